// SPDX-License-Identifier: MIT
/*
 * baseline-relay: the relay written the usual way, without XDP or io_uring, for xrelay's
 * benchmarks to compare against. One thread: recvmmsg in batches from one UDP socket, each
 * datagram an envelope record in the same Avro container files (dataplane/ocf.h, copy layout,
 * blocks written synchronously with pwritev, a new file past --rotate-bytes), the batch re-sent
 * with one sendmmsg. It does not recover .part files or serve an API; it prints one JSON line
 * when it stops.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/sock_diag.h>

#include "xrelay/avro.h"
#include "xrelay/cli.h"
#include "xrelay/log.h"

#include "../../../dataplane/ocf.h"
#include "testocf.h"

#define BATCH_MAX 1024 /* sendmmsg's and recvmmsg's vlen limit (UIO_MAXIOV) */
#define BUF_SIZE 65536 /* any UDP payload fits: no datagram is ever truncated */
/* Room for SCM_TIMESTAMPNS, SO_RXQ_OVFL and both kinds of PKTINFO (dual-stack sockets). */
#define CTRL_SIZE                                                             \
	(CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(uint32_t)) + \
	 CMSG_SPACE(sizeof(struct in_pktinfo)) + CMSG_SPACE(sizeof(struct in6_pktinfo)))
#define DEFAULT_RCVBUF (16u << 20)
#define DEFAULT_SNDBUF (4u << 20) /* as the dataplane's destination sockets */
#define RCVTIMEO_MAX_MS 100	  /* the loop looks at signals and --seconds this often */

struct opts {
	const char *bind;
	const char *group;
	const char *ifname;
	const char *out;
	const char *channel;
	const char *dest;
	const char *dest_if;
	uint64_t port;
	uint64_t ttl;
	uint64_t batch;
	uint64_t flush_ms;
	uint64_t rotate_bytes; /* 0: one file for the run */
	uint64_t rcvbuf;
	uint64_t seconds;
	int cpu;
	bool record;
	bool send;
};

/* What one receive slot needs besides its payload buffer. */
struct slot {
	struct sockaddr_storage from;
	uint8_t ctrl[CTRL_SIZE] __attribute__((aligned(8)));
	uint8_t hdr[XRELAY_PACKET_HDR_MAX];
};

struct relay {
	struct opts o;
	int fd;	   /* the receive socket */
	int tx_fd; /* the send socket, -1 with --no-send */
	int out_fd;
	int dir_fd;
	struct sockaddr_storage local; /* the bound address, for a datagram without PKTINFO */
	struct sockaddr_storage dest;
	socklen_t dest_len;

	uint8_t *bufs; /* batch * BUF_SIZE */
	struct slot *slots;
	struct iovec *rx_iov;
	struct mmsghdr *rx;
	struct iovec *tx_iov;
	struct mmsghdr *tx;

	struct ocf_file *file;
	struct ocf_block *block;
	uint64_t block_first_ns; /* CLOCK_MONOTONIC of the block's first record */
	char file_name[OCF_NAME_MAX];

	uint64_t seq;
	uint64_t received;
	uint64_t recorded;
	uint64_t sent;
	uint64_t send_errors;
	uint64_t write_errors; /* records lost to failed writes */
	uint64_t truncated;
	uint32_t rcvbuf_drops; /* the socket's drop counter (SO_RXQ_OVFL, SO_MEMINFO) */
	int last_send_err;
	int last_write_err;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: baseline-relay --bind ADDR --port P [OPTIONS]\n"
		"A UDP relay written the usual way (recvmmsg, writev, sendmmsg), the baseline of\n"
		"xrelay's benchmarks: records every datagram to ADDR:P as an xrelay.Packet envelope in\n"
		"<out>/<channel>/<channel>-q0-<UTC>-<n>.avro and re-sends it to --dest.\n\n"
		"  --bind ADDR        local IPv4/IPv6 address to bind (0.0.0.0, ::, or the group)\n"
		"  --port P           UDP port to receive on\n"
		"  --group MCAST      join this multicast group (on --if)\n"
		"  --if IF            interface to join the group on (without --group: bind to it)\n"
		"  --out DIR          output folder (default .)\n"
		"  --channel NAME     channel name, [A-Za-z0-9_-]{1,63} (default baseline)\n"
		"  --dest ADDR:PORT   re-send every datagram here ([ADDR]:PORT for IPv6)\n"
		"  --dest-if IF       out interface for --dest (IP_MULTICAST_IF; SO_BINDTODEVICE for\n"
		"                     unicast)\n"
		"  --ttl N            TTL / hop limit of re-sent datagrams (default 1)\n"
		"  --batch N          datagrams per recvmmsg and sendmmsg, 1..%d (default 64)\n"
		"  --flush-ms N       a block not yet full is written once its first record is N ms\n"
		"                     old (default 100; 0: after every batch)\n"
		"  --rcvbuf BYTES     receive buffer (SO_RCVBUFFORCE; default %u)\n"
		"  --rotate-bytes N   a new file past N bytes (default 0: one file for the run)\n"
		"  --no-record        do not write files\n"
		"  --no-send          do not re-send\n"
		"  --cpu C            pin the thread to CPU C\n"
		"  --seconds S        stop after S seconds (default: at SIGINT/SIGTERM only)\n"
		"  --help             this text\n\n"
		"At SIGINT or SIGTERM (or after --seconds) it writes the last block, renames the file\n"
		"to .avro and prints one JSON line:\n"
		"  {\"received\", \"recorded\", \"sent\", \"send_errors\", \"write_errors\", \"truncated\",\n"
		"   \"rcvbuf_drops\", \"seconds\", \"cpu_user_s\", \"cpu_sys_s\", \"max_rss_kb\", \"file\"}\n"
		"rcvbuf_drops is the socket's drop counter (datagrams the kernel dropped because the\n"
		"receive buffer was full). Exit 0; 1 on a setup or I/O error; 2 on a usage error.\n",
		BATCH_MAX, DEFAULT_RCVBUF);
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	(void)clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int set_int(int fd, int level, int name, int v)
{
	return setsockopt(fd, level, name, &v, sizeof(v)) < 0 ? -errno : 0;
}

/* Parse an IPv4 or IPv6 address (no port) into *@ss with @port. 0 or -EINVAL. */
static int parse_addr(const char *s, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return 0;
	}
	return -EINVAL;
}

/* Parse "ADDR:PORT" or "[ADDR6]:PORT". 0 or -EINVAL. */
static int parse_addr_port(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *h = s;
	size_t hlen;
	__u64 port;

	colon = strrchr(s, ':');
	if (!colon)
		return -EINVAL;
	hlen = (size_t)(colon - s);
	if (s[0] == '[') {
		if (hlen < 2 || colon[-1] != ']')
			return -EINVAL;
		h = s + 1;
		hlen -= 2;
	}
	if (hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (cli_parse_u64("--dest's port", colon + 1, 1, 65535, &port))
		return -EINVAL;
	return parse_addr(host, (uint16_t)port, ss, len);
}

static bool ss_is_multicast(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return IN_MULTICAST(ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr));
	return IN6_IS_ADDR_MULTICAST(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

/* The address bytes (4 for IPv4 and v4-mapped IPv6, else 16) and port of a socket address. */
static void ss_addr(const struct sockaddr_storage *ss, const void **ret_addr, uint8_t *ret_len,
		    uint16_t *ret_port)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET) {
		*ret_addr = &sin->sin_addr;
		*ret_len = 4;
		*ret_port = ntohs(sin->sin_port);
	} else if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		*ret_addr = &sin6->sin6_addr.s6_addr[12];
		*ret_len = 4;
		*ret_port = ntohs(sin6->sin6_port);
	} else {
		*ret_addr = &sin6->sin6_addr;
		*ret_len = 16;
		*ret_port = ntohs(sin6->sin6_port);
	}
}

static int if_index(const char *flag, const char *name)
{
	unsigned int i = if_nametoindex(name);

	if (!i)
		pr_warn("%s %s: no such interface", flag, name);
	return (int)i;
}

/* The receive socket: bound, joined, large buffer, the ancillary data each datagram needs. */
static int rx_socket(struct relay *r)
{
	const struct opts *o = &r->o;
	struct sockaddr_storage grp;
	socklen_t len, glen;
	int fd, err, ifindex = 0, v6;

	if (parse_addr(o->bind, (uint16_t)o->port, &r->local, &len)) {
		pr_warn("--bind %s: not an IPv4 or IPv6 address", o->bind);
		return -EINVAL;
	}
	v6 = r->local.ss_family == AF_INET6;
	if (o->ifname) {
		ifindex = if_index("--if", o->ifname);
		if (!ifindex)
			return -ENODEV;
	}
	fd = socket(r->local.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		pr_warn("socket: %s", strerror(-err));
		return err;
	}
	/* FORCE ignores net.core.rmem_max but needs CAP_NET_ADMIN; without it, take the cap. */
	err = set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, (int)o->rcvbuf);
	if (err == -EPERM)
		err = set_int(fd, SOL_SOCKET, SO_RCVBUF, (int)o->rcvbuf);
	if (!err)
		err = set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (!err)
		err = set_int(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1);
	if (!err)
		err = set_int(fd, SOL_SOCKET, SO_RXQ_OVFL, 1);
	if (!err && !v6)
		err = set_int(fd, IPPROTO_IP, IP_PKTINFO, 1);
	if (!err && v6) {
		err = set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
		/* A dual-stack socket gives IPv4 datagrams' destinations through IP_PKTINFO. */
		(void)set_int(fd, IPPROTO_IP, IP_PKTINFO, 1);
	}
	if (err) {
		pr_warn("setsockopt on the receive socket: %s", strerror(-err));
		goto out_close;
	}
	{
		struct timeval tv = { .tv_usec = 1000 * RCVTIMEO_MAX_MS };

		if (o->flush_ms && o->flush_ms < RCVTIMEO_MAX_MS)
			tv.tv_usec = (suseconds_t)(1000 * o->flush_ms);
		if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
			err = -errno;
			pr_warn("SO_RCVTIMEO: %s", strerror(-err));
			goto out_close;
		}
	}
	if (o->ifname && !o->group &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o->ifname, (socklen_t)strlen(o->ifname))) {
		err = -errno;
		pr_warn("SO_BINDTODEVICE %s: %s", o->ifname, strerror(-err));
		goto out_close;
	}
	if (bind(fd, (struct sockaddr *)&r->local, len) < 0) {
		err = -errno;
		pr_warn("bind %s port %" PRIu64 ": %s", o->bind, o->port, strerror(-err));
		goto out_close;
	}
	if (o->group) {
		if (parse_addr(o->group, 0, &grp, &glen) || !ss_is_multicast(&grp) ||
		    grp.ss_family != r->local.ss_family) {
			pr_warn("--group %s: not a multicast address of --bind's family", o->group);
			err = -EINVAL;
			goto out_close;
		}
		if (!v6) {
			struct ip_mreqn m = {
				.imr_multiaddr = ((struct sockaddr_in *)&grp)->sin_addr,
				.imr_ifindex = ifindex,
			};

			err = setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m)) ? -errno
											   : 0;
			/* Only the group joined here, not every group some socket joined. */
			if (!err)
				err = set_int(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0);
		} else {
			struct ipv6_mreq m = {
				.ipv6mr_multiaddr = ((struct sockaddr_in6 *)&grp)->sin6_addr,
				.ipv6mr_interface = (unsigned int)ifindex,
			};

			err = setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof(m)) ? -errno
											   : 0;
			if (!err)
				err = set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0);
		}
		if (err) {
			pr_warn("joining %s: %s", o->group, strerror(-err));
			goto out_close;
		}
	}
	r->fd = fd;
	return 0;

out_close:
	close(fd);
	return err;
}

/* The send socket for --dest: TTL, multicast loop on, out interface. */
static int tx_socket(struct relay *r)
{
	const struct opts *o = &r->o;
	int fd, err, ifindex = 0, v6, mc;

	if (parse_addr_port(o->dest, &r->dest, &r->dest_len)) {
		pr_warn("--dest %s: not ADDR:PORT or [ADDR6]:PORT", o->dest);
		return -EINVAL;
	}
	v6 = r->dest.ss_family == AF_INET6;
	mc = ss_is_multicast(&r->dest);
	if (o->dest_if) {
		ifindex = if_index("--dest-if", o->dest_if);
		if (!ifindex)
			return -ENODEV;
	}
	fd = socket(r->dest.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		pr_warn("socket: %s", strerror(-err));
		return err;
	}
	err = set_int(fd, SOL_SOCKET, SO_SNDBUFFORCE, (int)DEFAULT_SNDBUF);
	if (err == -EPERM)
		err = set_int(fd, SOL_SOCKET, SO_SNDBUF, (int)DEFAULT_SNDBUF);
	if (!err && !v6) {
		err = set_int(fd, IPPROTO_IP, mc ? IP_MULTICAST_TTL : IP_TTL, (int)o->ttl);
		if (!err && mc)
			err = set_int(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 1);
		if (!err && mc && ifindex) {
			struct ip_mreqn m = { .imr_ifindex = ifindex };

			err = setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof(m)) ? -errno
											 : 0;
		}
	} else if (!err) {
		err = set_int(fd, IPPROTO_IPV6, mc ? IPV6_MULTICAST_HOPS : IPV6_UNICAST_HOPS,
			      (int)o->ttl);
		if (!err && mc)
			err = set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 1);
		if (!err && mc && ifindex)
			err = set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex);
	}
	if (!err && !mc && o->dest_if &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o->dest_if, (socklen_t)strlen(o->dest_if)))
		err = -errno;
	if (err) {
		pr_warn("setsockopt on the send socket: %s", strerror(-err));
		close(fd);
		return err;
	}
	r->tx_fd = fd;
	return 0;
}

/* A new file in <out>/<channel>/, starting now. */
static int new_file(struct relay *r)
{
	struct ocf_file_opts fo = {
		.channel = r->o.channel,
		.queue = 0,
		.start_ns = (int64_t)now_ns(CLOCK_REALTIME),
		.codec = OCF_CODEC_NULL,
	};
	int err = ocf_file_open(r->dir_fd, &fo, &r->file);

	if (err)
		pr_warn("creating a file in %s/%s: %s", r->o.out, r->o.channel, strerror(-err));
	return err;
}

/* <out>/<channel>/, the block, and the first file of the run in it. */
static int open_file(struct relay *r)
{
	const struct opts *o = &r->o;
	struct ocf_block_opts bo = { .codec = OCF_CODEC_NULL };
	int err;

	if (mkdir(o->out, 0755) < 0 && errno != EEXIST) {
		err = -errno;
		pr_warn("mkdir %s: %s", o->out, strerror(-err));
		return err;
	}
	r->out_fd = open(o->out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->out_fd < 0) {
		err = -errno;
		pr_warn("%s: %s", o->out, strerror(-err));
		return err;
	}
	if (mkdirat(r->out_fd, o->channel, 0755) < 0 && errno != EEXIST) {
		err = -errno;
		pr_warn("mkdir %s/%s: %s", o->out, o->channel, strerror(-err));
		return err;
	}
	r->dir_fd = openat(r->out_fd, o->channel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->dir_fd < 0) {
		err = -errno;
		pr_warn("%s/%s: %s", o->out, o->channel, strerror(-err));
		return err;
	}
	err = ocf_block_new(&bo, &r->block);
	if (err) {
		pr_warn("allocating a block: %s", strerror(-err));
		return err;
	}
	return new_file(r);
}

/* Write the current block (if it holds records); a failed write loses them, counted. */
static void flush_block(struct relay *r)
{
	unsigned int n = ocf_block_count(r->block);
	int err;

	if (!n)
		return;
	if (!r->file) { /* a rotation failed: the run is stopping */
		r->write_errors += n;
		ocf_block_reset(r->block);
		return;
	}
	err = testocf_write_block(r->file, r->block);
	if (err) {
		r->write_errors += n;
		r->last_write_err = -err;
		ocf_block_reset(r->block);
		return;
	}
	r->recorded += n;
	if (r->o.rotate_bytes && ocf_file_size(r->file) >= r->o.rotate_bytes) {
		/* Synchronously, as the rest: close (renamed to .avro), then the next file. */
		err = ocf_file_close(r->file, OCF_F_DROP_EMPTY, r->file_name, sizeof(r->file_name));
		r->file = NULL;
		if (err < 0 || new_file(r)) {
			pr_warn("rotating the file: %s", strerror(err < 0 ? -err : EIO));
			stop = 1;
		}
	}
}

/* The receive buffers, their message headers, and the send headers over the same buffers. */
static int alloc_batch(struct relay *r)
{
	unsigned int n = (unsigned int)r->o.batch, i;

	r->bufs = aligned_alloc(4096, (size_t)n * BUF_SIZE);
	r->slots = calloc(n, sizeof(*r->slots));
	r->rx_iov = calloc(n, sizeof(*r->rx_iov));
	r->rx = calloc(n, sizeof(*r->rx));
	r->tx_iov = calloc(n, sizeof(*r->tx_iov));
	r->tx = calloc(n, sizeof(*r->tx));
	if (!r->bufs || !r->slots || !r->rx_iov || !r->rx || !r->tx_iov || !r->tx)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		r->rx_iov[i].iov_base = r->bufs + (size_t)i * BUF_SIZE;
		r->rx_iov[i].iov_len = BUF_SIZE;
		r->rx[i].msg_hdr.msg_iov = &r->rx_iov[i];
		r->rx[i].msg_hdr.msg_iovlen = 1;
		r->tx_iov[i].iov_base = r->rx_iov[i].iov_base;
		r->tx[i].msg_hdr.msg_iov = &r->tx_iov[i];
		r->tx[i].msg_hdr.msg_iovlen = 1;
		r->tx[i].msg_hdr.msg_name = &r->dest;
	}
	return 0;
}

/* recvmmsg overwrites the name and control lengths: give the used slots their room back. */
static void rearm(struct relay *r, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct msghdr *mh = &r->rx[i].msg_hdr;

		mh->msg_name = &r->slots[i].from;
		mh->msg_namelen = sizeof(r->slots[i].from);
		mh->msg_control = r->slots[i].ctrl;
		mh->msg_controllen = sizeof(r->slots[i].ctrl);
		mh->msg_flags = 0;
	}
}

/* Datagram @i of the batch as an envelope record in the current block. */
static void record_one(struct relay *r, unsigned int i, uint32_t len, uint64_t batch_ts)
{
	struct msghdr *mh = &r->rx[i].msg_hdr;
	struct slot *s = &r->slots[i];
	struct ocf_envelope e = { .seq = (int64_t)r->seq, .ts_ns = (int64_t)batch_ts };
	uint8_t dst[16];
	struct cmsghdr *c;
	struct iovec parts[2];
	int hlen, err;

	ss_addr(&s->from, &e.src_addr, &e.src_len, &e.src_port);
	ss_addr(&r->local, &e.dst_addr, &e.dst_len, &e.dst_port);
	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			e.ts_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		} else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
			uint32_t drops;

			/* The socket's drop counter when this datagram was queued: it only grows. */
			memcpy(&drops, CMSG_DATA(c), sizeof(drops));
			if (drops > r->rcvbuf_drops)
				r->rcvbuf_drops = drops;
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memcpy(dst, &pi.ipi_addr, 4); /* the header's destination */
			e.dst_addr = dst;
			e.dst_len = 4;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			if (IN6_IS_ADDR_V4MAPPED(&pi.ipi6_addr)) {
				memcpy(dst, &pi.ipi6_addr.s6_addr[12], 4);
				e.dst_len = 4;
			} else {
				memcpy(dst, &pi.ipi6_addr, 16);
				e.dst_len = 16;
			}
			e.dst_addr = dst;
		}
	}
	r->seq++;
	if (!r->file)
		return;
	e.payload_len = len;
	hlen = ocf_envelope_hdr(&e, s->hdr, sizeof(s->hdr));
	if (hlen < 0) { /* cannot happen: addresses are 4 or 16 bytes, payloads < 64 KiB */
		r->write_errors++;
		return;
	}
	parts[0].iov_base = s->hdr;
	parts[0].iov_len = (size_t)hlen;
	parts[1].iov_base = mh->msg_iov->iov_base;
	parts[1].iov_len = len;
	err = ocf_block_addv(r->block, parts, 2);
	if (err == -ENOSPC) {
		flush_block(r);
		err = ocf_block_addv(r->block, parts, 2);
	}
	if (err) {
		r->write_errors++;
		r->last_write_err = -err;
	}
}

/* Re-send the batch's @n datagrams with sendmmsg; a datagram the kernel refuses is skipped. */
static void send_batch(struct relay *r, unsigned int n)
{
	unsigned int done = 0;
	int k;

	while (done < n) {
		k = sendmmsg(r->tx_fd, r->tx + done, n - done, 0);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			/* sendmmsg reports the error of its first datagram: drop that one. */
			r->last_send_err = errno;
			r->send_errors++;
			done++;
			continue;
		}
		r->sent += (unsigned int)k;
		done += (unsigned int)k;
	}
}

static int run(struct relay *r)
{
	uint64_t flush_ns = r->o.flush_ms * 1000000ull, t, deadline = 0;
	unsigned int batch = (unsigned int)r->o.batch, i, n;
	int k, err = 0;

	if (r->o.seconds)
		deadline = now_ns(CLOCK_MONOTONIC) + r->o.seconds * 1000000000ull;
	rearm(r, batch);
	while (!stop) {
		k = recvmmsg(r->fd, r->rx, batch, MSG_WAITFORONE, NULL);
		if (k < 0 && errno != EAGAIN && errno != EINTR) {
			err = -errno;
			pr_warn("recvmmsg: %s", strerror(-err));
			break;
		}
		n = k > 0 ? (unsigned int)k : 0;
		t = now_ns(CLOCK_MONOTONIC);
		if (n) {
			/* Without a kernel timestamp (never seen) the batch's time stands in. */
			uint64_t batch_ts = now_ns(CLOCK_REALTIME);

			r->received += n;
			for (i = 0; i < n; i++) {
				uint32_t len = r->rx[i].msg_len;

				if (r->rx[i].msg_hdr.msg_flags & MSG_TRUNC)
					r->truncated++;
				r->tx_iov[i].iov_len = len;
				r->tx[i].msg_hdr.msg_namelen = r->dest_len;
				if (r->file && !ocf_block_count(r->block))
					r->block_first_ns = t;
				record_one(r, i, len, batch_ts);
			}
			if (r->file && ocf_block_full(r->block))
				flush_block(r);
			if (r->tx_fd >= 0)
				send_batch(r, n);
			rearm(r, n);
		}
		if (r->file && ocf_block_count(r->block) && t - r->block_first_ns >= flush_ns)
			flush_block(r);
		if (deadline && t >= deadline)
			break;
	}
	return err;
}

/* SO_MEMINFO's drop counter: also the drops after the last datagram that was received. */
static void read_drops(struct relay *r)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (!getsockopt(r->fd, SOL_SOCKET, SO_MEMINFO, mem, &len) &&
	    len > SK_MEMINFO_DROPS * sizeof(uint32_t) && mem[SK_MEMINFO_DROPS] > r->rcvbuf_drops)
		r->rcvbuf_drops = mem[SK_MEMINFO_DROPS];
}

static void report(const struct relay *r, uint64_t wall_ns)
{
	struct rusage ru;

	(void)getrusage(RUSAGE_SELF, &ru);
	printf("{\"received\": %" PRIu64 ", \"recorded\": %" PRIu64 ", \"sent\": %" PRIu64
	       ", \"send_errors\": %" PRIu64 ", \"write_errors\": %" PRIu64
	       ", \"truncated\": %" PRIu64 ", \"rcvbuf_drops\": %" PRIu32
	       ", \"seconds\": %.3f, \"cpu_user_s\": %.3f, \"cpu_sys_s\": %.3f"
	       ", \"max_rss_kb\": %ld, \"file\": \"%s\"}\n",
	       r->received, r->recorded, r->sent, r->send_errors, r->write_errors, r->truncated,
	       r->rcvbuf_drops, (double)wall_ns / 1e9,
	       (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss,
	       r->file_name);
	(void)fflush(stdout);
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "bind", required_argument, NULL, 'b' },
		{ "port", required_argument, NULL, 'p' },
		{ "group", required_argument, NULL, 'g' },
		{ "if", required_argument, NULL, 'i' },
		{ "out", required_argument, NULL, 'o' },
		{ "channel", required_argument, NULL, 'c' },
		{ "dest", required_argument, NULL, 'd' },
		{ "dest-if", required_argument, NULL, 'I' },
		{ "ttl", required_argument, NULL, 't' },
		{ "batch", required_argument, NULL, 'B' },
		{ "flush-ms", required_argument, NULL, 'F' },
		{ "rotate-bytes", required_argument, NULL, 'r' },
		{ "rcvbuf", required_argument, NULL, 'R' },
		{ "no-record", no_argument, NULL, 'N' },
		{ "no-send", no_argument, NULL, 'S' },
		{ "cpu", required_argument, NULL, 'C' },
		{ "seconds", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	__u64 v;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o->bind = optarg;
			break;
		case 'p':
			if (cli_parse_u64("--port", optarg, 1, 65535, &v))
				return -EINVAL;
			o->port = v;
			break;
		case 'g':
			o->group = optarg;
			break;
		case 'i':
			o->ifname = optarg;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'c':
			o->channel = optarg;
			break;
		case 'd':
			o->dest = optarg;
			break;
		case 'I':
			o->dest_if = optarg;
			break;
		case 't':
			if (cli_parse_u64("--ttl", optarg, 0, 255, &v))
				return -EINVAL;
			o->ttl = v;
			break;
		case 'B':
			if (cli_parse_u64("--batch", optarg, 1, BATCH_MAX, &v))
				return -EINVAL;
			o->batch = v;
			break;
		case 'F':
			if (cli_parse_u64("--flush-ms", optarg, 0, 60000, &v))
				return -EINVAL;
			o->flush_ms = v;
			break;
		case 'r':
			if (cli_parse_u64("--rotate-bytes", optarg, 0, UINT64_MAX, &v))
				return -EINVAL;
			o->rotate_bytes = v;
			break;
		case 'R':
			if (cli_parse_u64("--rcvbuf", optarg, 4096, INT32_MAX / 2, &v))
				return -EINVAL;
			o->rcvbuf = v;
			break;
		case 'N':
			o->record = false;
			break;
		case 'S':
			o->send = false;
			break;
		case 'C':
			if (cli_parse_u64("--cpu", optarg, 0, CPU_SETSIZE - 1, &v))
				return -EINVAL;
			o->cpu = (int)v;
			break;
		case 's':
			if (cli_parse_u64("--seconds", optarg, 1, 86400 * 365, &v))
				return -EINVAL;
			o->seconds = v;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -EINVAL;
		}
	}
	if (optind < argc) {
		pr_warn("unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	if (!o->bind || !o->port) {
		pr_warn("--bind and --port are required");
		return -EINVAL;
	}
	if (!name_valid(o->channel)) {
		pr_warn("--channel '%s': want [A-Za-z0-9_-]{1,63}", o->channel);
		return -EINVAL;
	}
	if (o->send && !o->dest) {
		pr_warn("give --dest ADDR:PORT, or --no-send");
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct relay r = {
		.o = {
			.out = ".",
			.channel = "baseline",
			.ttl = 1,
			.batch = 64,
			.flush_ms = 100,
			.rcvbuf = DEFAULT_RCVBUF,
			.cpu = -1,
			.record = true,
			.send = true,
		},
		.fd = -1,
		.tx_fd = -1,
		.out_fd = -1,
		.dir_fd = -1,
	};
	struct sigaction sa = { .sa_handler = on_signal };
	uint64_t t0 = 0;
	bool ran = false;
	int err, rc = 0;

	log_set_prog("baseline-relay");
	if (parse_opts(argc, argv, &r.o)) {
		usage(stderr);
		return 2;
	}
	/* No SA_RESTART: a signal ends a blocking recvmmsg with EINTR. */
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	if (r.o.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(r.o.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0) {
			pr_warn("--cpu %d: %s", r.o.cpu, strerror(errno));
			return 1;
		}
	}
	err = alloc_batch(&r);
	if (err) {
		pr_warn("allocating %" PRIu64 " receive buffers: %s", r.o.batch, strerror(-err));
		rc = 1;
		goto out_free;
	}
	err = rx_socket(&r);
	if (!err && r.o.send)
		err = tx_socket(&r);
	if (!err && r.o.record)
		err = open_file(&r);
	if (err) {
		rc = 1;
		goto out_close;
	}
	pr_info("receiving on %s port %" PRIu64 "%s%s, %s%s, %s%s", r.o.bind, r.o.port,
		r.o.group ? " group " : "", r.o.group ? r.o.group : "",
		r.file ? "recording to " : "not recording", r.file ? ocf_file_name(r.file) : "",
		r.o.send ? "re-sending to " : "not re-sending", r.o.send ? r.o.dest : "");

	t0 = now_ns(CLOCK_MONOTONIC);
	ran = true;
	if (run(&r))
		rc = 1;
	if (r.file)
		flush_block(&r);
	t0 = now_ns(CLOCK_MONOTONIC) - t0;
	read_drops(&r);

out_close:
	if (r.file) {
		err = ocf_file_close(r.file, OCF_F_DROP_EMPTY, r.file_name, sizeof(r.file_name));
		if (err < 0) {
			pr_warn("closing the file (left as .avro.part): %s", strerror(-err));
			rc = 1;
		}
		r.file = NULL;
	}
	if (r.write_errors)
		pr_warn("%" PRIu64 " records not written: %s", r.write_errors,
			strerror(r.last_write_err));
	if (r.send_errors)
		pr_warn("%" PRIu64 " datagrams not re-sent: %s", r.send_errors,
			strerror(r.last_send_err));
	if (ran)
		report(&r, t0);
	ocf_block_free(r.block);
	if (r.dir_fd >= 0)
		close(r.dir_fd);
	if (r.out_fd >= 0)
		close(r.out_fd);
	if (r.tx_fd >= 0)
		close(r.tx_fd);
	if (r.fd >= 0)
		close(r.fd);
out_free:
	free(r.tx);
	free(r.tx_iov);
	free(r.rx);
	free(r.rx_iov);
	free(r.slots);
	free(r.bufs);
	return rc;
}
