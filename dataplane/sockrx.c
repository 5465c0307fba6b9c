// SPDX-License-Identifier: MIT
/*
 * The socket backend's ingest (see sockrx.h): channel sockets, multishot receives, the
 * provided buffers, and the counters of what the kernel dropped before a datagram was ours.
 * Over 500 lines: the sockets' options, both ways of handing buffers to the kernel, the
 * control-message parse and the byte counts' publication share the per-channel socket state,
 * which no other file should see.
 */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <linux/sock_diag.h>

#include "cqetag.h"
#include "resend.h"
#include "sockrx.h"
#include "stats.h"
#include "xrelay/addr.h"
#include "xrelay/log.h"

#define BGID 1
#define POOL_BYTES (32u << 20) /* a worker's buffers, about */
#define NBUFS_MIN 64u
#define NBUFS_MAX 8192u /* a power of 2 (buffer ring), at most 32768 */

#ifndef IP_FREEBIND
#define IP_FREEBIND 15
#endif
#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78
#endif

struct sockrx_chan {
	int fd;		  /* -1: none */
	__u64 created_ns; /* the incarnation it serves */
	bool armed;	  /* a multishot receive in flight */
	bool cancelled;	  /* closing: its receive was cancelled; closed when it ends */
	bool want_arm;
	__u32 drops_seen; /* the socket's drop count (sk_drops) counted so far */
	__u16 port;	  /* the channel's, host order */
	__u8 addr[16];	  /* and its address: the destination when no IP_PKTINFO says */
};

static __u16 buf_id(const struct sockrx *sr, __u64 base)
{
	return (__u16)(base / sr->buf_size);
}

/* The buffer ring (IORING_REGISTER_PBUF_RING, 5.19+): mapped here, liburing 2.3 has no helper. */
static int ring_setup(struct sockrx *sr)
{
	struct io_uring_buf_reg reg = {};
	void *p;
	int r;

	sr->br_size = (size_t)sr->nbufs * sizeof(struct io_uring_buf);
	p = mmap(NULL, sr->br_size, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	reg.ring_addr = (__u64)(uintptr_t)p;
	reg.ring_entries = sr->nbufs;
	reg.bgid = BGID;
	r = io_uring_register_buf_ring(sr->ring, &reg, 0);
	if (r) {
		munmap(p, sr->br_size);
		return r;
	}
	sr->br = p;
	io_uring_buf_ring_init(sr->br);
	return 0;
}

int sockrx_init(struct sockrx *sr, struct io_uring *ring, struct mapctl *m,
		const struct sockrx_opts *o, char *err, size_t errlen)
{
	struct io_uring_probe *probe;
	__u32 id;
	bool multishot;
	int r;

	memset(sr, 0, sizeof(*sr));
	sr->o = *o;
	sr->ring = ring;
	sr->m = m;
	sr->buf_size = (SOCKRX_HDR_LEN + o->max_datagram + UMEM_FRAME_SIZE - 1) / UMEM_FRAME_SIZE *
		       UMEM_FRAME_SIZE;
	for (sr->nbufs = NBUFS_MAX;
	     sr->nbufs > NBUFS_MIN && (size_t)sr->nbufs * sr->buf_size > POOL_BYTES; sr->nbufs /= 2)
		;
	sr->ch = calloc(XRELAY_MAX_CHANNELS, sizeof(*sr->ch));
	sr->rx_bytes = calloc(XRELAY_MAX_CHANNELS, sizeof(*sr->rx_bytes));
	if (!sr->ch || !sr->rx_bytes) {
		r = -ENOMEM;
		goto out_fini;
	}
	for (id = 0; id < XRELAY_MAX_CHANNELS; id++)
		sr->ch[id].fd = -1;
	probe = io_uring_get_probe_ring(ring);
	/* Multishot recvmsg came with 6.0, as the probe cannot tell: ask for 6.0's last op. */
	multishot = probe && io_uring_opcode_supported(probe, IORING_OP_RECVMSG) &&
		    io_uring_opcode_supported(probe, IORING_OP_SENDMSG_ZC);
	if (probe)
		io_uring_free_probe(probe);
	if (!multishot) {
		snprintf(err, errlen,
			 "queue %u: the socket backend needs multishot recvmsg (Linux 6.0)",
			 o->queue);
		r = -EOPNOTSUPP;
		goto out_fini;
	}
	r = umem_create_pool(sr->nbufs, sr->buf_size, &sr->pool);
	if (r) {
		snprintf(err, errlen, "queue %u: no memory for %u receive buffers of %zu bytes",
			 o->queue, sr->nbufs, sr->buf_size);
		goto out_fini;
	}
	if (o->bufs != SOCKRX_BUFS_PROVIDE) {
		r = ring_setup(sr);
		if (!r) {
			sr->use_ring = true;
		} else if (o->bufs == SOCKRX_BUFS_RING) {
			snprintf(err, errlen, "queue %u: registering a provided-buffer ring: %s%s",
				 o->queue, strerror(-r), r == -EINVAL ? " (needs Linux 5.19)" : "");
			goto out_fini;
		} else {
			pr_info("queue %u: no provided-buffer ring (%s; Linux 5.19 has them): "
				"IORING_OP_PROVIDE_BUFFERS instead",
				o->queue, strerror(-r));
		}
	}
	sr->mh.msg_namelen = SOCKRX_NAME_LEN;
	sr->mh.msg_controllen = SOCKRX_CTRL_LEN;
	sockrx_refill(sr);
	return 0;

out_fini:
	sockrx_fini(sr);
	return r;
}

void sockrx_fini(struct sockrx *sr)
{
	__u32 id;

	if (sr->ch)
		for (id = 0; id < XRELAY_MAX_CHANNELS; id++)
			if (sr->ch[id].fd >= 0)
				close(sr->ch[id].fd);
	if (sr->br) {
		(void)io_uring_unregister_buf_ring(sr->ring, BGID);
		munmap(sr->br, sr->br_size);
	}
	umem_destroy(sr->pool, 0, -1);
	free(sr->ch);
	free(sr->rx_bytes);
	memset(sr, 0, sizeof(*sr));
}

/* Arm channel @id's multishot receive; false when no SQE (tried again later). */
static bool arm(struct sockrx *sr, __u32 id)
{
	struct sockrx_chan *c = &sr->ch[id];
	struct io_uring_sqe *sqe = resend_sqe(sr->ring);

	if (!sqe || !sr->in_kernel) {
		c->want_arm = sr->need_arm = true;
		return false;
	}
	io_uring_prep_recvmsg_multishot(sqe, c->fd, &sr->mh, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	io_uring_sqe_set_data64(sqe, cqetag_recv(id));
	c->armed = true;
	c->want_arm = false;
	sr->armed++;
	return true;
}

void sockrx_refill(struct sockrx *sr)
{
	struct umem *u = sr->pool;
	__u32 n = u->nfree, i;
	__u64 base;

	if (n && sr->use_ring) {
		int mask = io_uring_buf_ring_mask(sr->nbufs);

		for (i = 0; i < n; i++) {
			base = u->free[--u->nfree];
			io_uring_buf_ring_add(sr->br, umem_data(u, base),
					      (unsigned int)sr->buf_size, buf_id(sr, base), mask,
					      (int)i);
		}
		io_uring_buf_ring_advance(sr->br, (int)n);
		sr->in_kernel += n;
	} else if (n) {
		while (u->nfree) {
			struct io_uring_sqe *sqe = resend_sqe(sr->ring);

			if (!sqe)
				break;
			base = u->free[--u->nfree];
			io_uring_prep_provide_buffers(sqe, umem_data(u, base), (int)sr->buf_size, 1,
						      BGID, buf_id(sr, base));
			io_uring_sqe_set_data64(sqe, 0);
			sr->in_kernel++;
		}
	}
	if (sr->need_arm && !sr->stopping && sr->in_kernel) {
		__u32 id;

		sr->need_arm = false;
		for (id = 0; id < XRELAY_MAX_CHANNELS; id++)
			if (sr->ch[id].want_arm && sr->ch[id].fd >= 0 && !sr->ch[id].cancelled)
				(void)arm(sr, id);
	}
}

/* The kernel's drop count of channel @id's socket is @now: what is new is counted. */
static void drops_seen(struct sockrx *sr, __u32 id, __u32 now)
{
	struct sockrx_chan *c = &sr->ch[id];
	__u32 d = now - c->drops_seen;
	struct xrelay_dp_chan_stats *st;

	if ((__s32)d <= 0)
		return;
	c->drops_seen = now;
	st = stats_row(sr->m, sr->o.queue, id);
	stats_add(&st->sock_rx_packets, d);
	stats_add(&st->drops[XRELAY_DROP_SOCKET_OVERFLOW], d);
}

/* The socket's drop count now (SO_MEMINFO), for the drops no later datagram reports. */
static void drops_poll(struct sockrx *sr, __u32 id)
{
	__u32 mi[SK_MEMINFO_VARS] = {};
	socklen_t len = sizeof(mi);

	if (!getsockopt(sr->ch[id].fd, SOL_SOCKET, SO_MEMINFO, mi, &len) &&
	    len > SK_MEMINFO_DROPS * sizeof(__u32))
		drops_seen(sr, id, mi[SK_MEMINFO_DROPS]);
}

static int opt(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val)) ? -errno : 0;
}

/*
 * A socket for channel @cfg: IPv4 channels on an AF_INET socket, IPv6 and any-address ones on
 * an AF_INET6 one (dual-stack for any address: IPv4 arrives mapped), bound to the channel's
 * address (free-bind: it need not be up yet) and port on the interface, with the receive
 * time, the destination address and the drop count in each datagram's control messages.
 */
static int chan_socket(const struct sockrx *sr, const struct xrelay_channel_cfg *cfg, int *ret_fd)
{
	const __u8 *a = cfg->key.addr;
	bool v4 = addr_is_v4(a) && !addr_is_any(a);
	union {
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} sa = {};
	socklen_t salen;
	int fd, r, rcv = sr->o.rcvbuf > (size_t)INT32_MAX / 2 ? INT32_MAX / 2 : (int)sr->o.rcvbuf;

	fd = socket(v4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = opt(fd, SOL_SOCKET, SO_REUSEPORT, 1);
	if (!r)
		r = setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, sr->o.ifname,
			       (socklen_t)strlen(sr->o.ifname))
			    ? -errno
			    : 0;
	if (!r)
		r = opt(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1);
	if (!r)
		r = opt(fd, SOL_SOCKET, SO_RXQ_OVFL, 1);
	if (!r && rcv && opt(fd, SOL_SOCKET, SO_RCVBUFFORCE, rcv))
		r = opt(fd, SOL_SOCKET, SO_RCVBUF, rcv);
	if (!r && v4) {
		r = opt(fd, IPPROTO_IP, IP_PKTINFO, 1);
		if (!r)
			r = opt(fd, IPPROTO_IP, IP_FREEBIND, 1);
		sa.sin.sin_family = AF_INET;
		sa.sin.sin_port = cfg->key.port;
		memcpy(&sa.sin.sin_addr, a + 12, 4);
		salen = sizeof(sa.sin);
	} else if (!r) {
		r = opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, !addr_is_any(a));
		if (!r)
			r = opt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
		if (!r)
			r = opt(fd, IPPROTO_IPV6, IPV6_FREEBIND, 1);
		sa.sin6.sin6_family = AF_INET6;
		sa.sin6.sin6_port = cfg->key.port;
		memcpy(&sa.sin6.sin6_addr, a, 16);
		if (IN6_IS_ADDR_LINKLOCAL(&sa.sin6.sin6_addr) ||
		    IN6_IS_ADDR_MC_LINKLOCAL(&sa.sin6.sin6_addr))
			sa.sin6.sin6_scope_id = if_nametoindex(sr->o.ifname);
		salen = sizeof(sa.sin6);
	}
	if (!r && bind(fd, (struct sockaddr *)&sa, salen))
		r = -errno;
	if (r) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* End channel @id's socket: cancel its receive (closed when it ends) or close it now. */
static void chan_close(struct sockrx *sr, __u32 id)
{
	struct sockrx_chan *c = &sr->ch[id];
	struct io_uring_sqe *sqe;

	if (c->fd < 0)
		return;
	drops_poll(sr, id);
	c->want_arm = false;
	if (c->armed) {
		if (!c->cancelled && (sqe = resend_sqe(sr->ring))) {
			io_uring_prep_cancel64(sqe, cqetag_recv(id), 0);
			io_uring_sqe_set_data64(sqe, 0);
			c->cancelled = true;
		}
		return;
	}
	close(c->fd);
	c->fd = -1;
	c->cancelled = false;
	sr->open--;
}

/* Whether this worker serves channel @cfg: all do, but a multicast group has one. */
static bool takes(const struct sockrx *sr, const struct xrelay_channel_cfg *cfg, __u32 id)
{
	return !addr_is_multicast(cfg->key.addr) || id % sr->o.nworkers == sr->o.queue;
}

void sockrx_follow(struct sockrx *sr, struct chantab *t)
{
	__u32 id;
	int r;

	if (sr->stopping)
		return;
	for (id = 0; id < XRELAY_MAX_CHANNELS; id++) {
		struct wchan *wc = t->ch[id];
		struct sockrx_chan *c = &sr->ch[id];

		if (c->fd >= 0) {
			if (!wc || wc->cfg.created_ns != c->created_ns)
				chan_close(sr, id);
			else
				drops_poll(sr, id);
			continue;
		}
		if (!wc || wc->close_at || !takes(sr, &wc->cfg, id))
			continue;
		r = chan_socket(sr, &wc->cfg, &c->fd);
		if (r) {
			/* Not again for this incarnation: it would fail (and log) every turn. */
			if (c->created_ns != wc->cfg.created_ns)
				pr_warn("channel %s: queue %u: no socket: %s; its datagrams are not "
					"received",
					wc->cfg.name, sr->o.queue, strerror(-r));
			c->created_ns = wc->cfg.created_ns;
			c->fd = -1;
			continue;
		}
		c->created_ns = wc->cfg.created_ns;
		c->drops_seen = 0;
		(void)wchan_seq_next(wc); /* numbered from here: drops on the socket come after */
		c->port = ntohs(wc->cfg.key.port);
		memcpy(c->addr, wc->cfg.key.addr, sizeof(c->addr));
		sr->open++;
		(void)arm(sr, id);
		if (sr->o.queue == 0 || addr_is_multicast(wc->cfg.key.addr))
			pr_info("channel %s: queue %u: receiving on its socket", wc->cfg.name,
				sr->o.queue);
	}
}

/* A datagram of channel @id that cannot be recorded whole (cut short): received, dropped. */
static void count_truncated(struct sockrx *sr, __u32 id)
{
	struct xrelay_dp_chan_stats *st = stats_row(sr->m, sr->o.queue, id);

	stats_add(&st->sock_rx_packets, 1);
	stats_add(&st->drops[XRELAY_DROP_TRUNCATED], 1);
}

/* Read the control messages of @o into @ret (destination, time) and count reported drops. */
static void control(struct sockrx *sr, __u32 id, struct io_uring_recvmsg_out *o,
		    struct sockrx_dgram *ret, const __u8 **dst)
{
	struct cmsghdr *cm;

	for (cm = io_uring_recvmsg_cmsg_firsthdr(o, &sr->mh); cm;
	     cm = io_uring_recvmsg_cmsg_nexthdr(o, &sr->mh, cm)) {
		void *data = CMSG_DATA(cm);

		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, data, sizeof(ts));
			ret->ts_ns = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
		} else if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL) {
			__u32 v;

			memcpy(&v, data, sizeof(v));
			drops_seen(sr, id, v);
		} else if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			*dst = (const __u8 *)data + offsetof(struct in_pktinfo, ipi_addr);
		} else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
			*dst = (const __u8 *)data + offsetof(struct in6_pktinfo, ipi6_addr);
		}
	}
}

int sockrx_complete(struct sockrx *sr, __u32 id, const struct io_uring_cqe *cqe,
		    struct sockrx_dgram *ret)
{
	struct sockrx_chan *c = &sr->ch[id];
	struct xrelay_dp_chan_stats *st;
	struct io_uring_recvmsg_out *o;
	const __u8 *dst = NULL, *src;
	__u8 *buf;
	__u16 port;

	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		/* The receive ended: out of buffers, cancelled, or an error. */
		c->armed = false;
		sr->armed--;
		/*
		 * No free buffer: the datagram stays queued in its socket, so nothing is lost
		 * yet (if the queue overflows meanwhile, that is socket_overflow). Counted
		 * per worker as AF_XDP counts an empty fill ring.
		 */
		if (cqe->res == -ENOBUFS)
			stats_add(&mapctl_queue_stats(sr->m)[sr->o.queue].rx_fill_ring_empty, 1);
		if (c->cancelled || sr->stopping) {
			chan_close(sr, id);
		} else if (c->fd >= 0) {
			c->want_arm = sr->need_arm = true;
		}
	}
	if (!(cqe->flags & IORING_CQE_F_BUFFER))
		return 0;
	sr->in_kernel--;
	ret->buf = (__u64)(cqe->flags >> IORING_CQE_BUFFER_SHIFT) * sr->buf_size;
	buf = umem_data(sr->pool, ret->buf);
	o = io_uring_recvmsg_validate(buf, cqe->res, &sr->mh);
	if (!o || (o->flags & MSG_TRUNC) || o->namelen > SOCKRX_NAME_LEN) {
		count_truncated(sr, id);
		umem_put(sr->pool, ret->buf);
		return 0;
	}
	ret->id = id;
	ret->ts_ns = 0;
	control(sr, id, o, ret, &dst);
	ret->k.payload = io_uring_recvmsg_payload(o, &sr->mh);
	ret->k.plen = io_uring_recvmsg_payload_length(o, cqe->res, &sr->mh);
	src = io_uring_recvmsg_name(o);
	if (((const struct sockaddr *)src)->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)src;

		ret->k.src = (const __u8 *)&sin->sin_addr;
		port = sin->sin_port;
		ret->k.alen = 4;
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)src;
		const __u8 *a = (const __u8 *)&sin6->sin6_addr;

		port = sin6->sin6_port;
		ret->k.alen = addr_is_v4(a) ? 4 : 16;
		ret->k.src = ret->k.alen == 4 ? a + 12 : a;
		if (dst && ret->k.alen == 4)
			dst += 12;
	}
	ret->k.dst = dst ? dst : ret->k.alen == 4 ? c->addr + 12 : c->addr;
	ret->k.sport = ntohs(port);
	ret->k.dport = c->port;
	st = stats_row(sr->m, sr->o.queue, id);
	stats_add(&st->sock_rx_packets, 1);
	/* As the XDP program counts rx_bytes: the frame, with an untagged Ethernet header. */
	stats_add(&sr->rx_bytes[id], ret->k.plen + 8 + (ret->k.alen == 4 ? 20 : 40) + 14);
	return 1;
}

void sockrx_stop(struct sockrx *sr)
{
	__u32 id;

	sr->stopping = true;
	for (id = 0; id < XRELAY_MAX_CHANNELS; id++)
		chan_close(sr, id);
}

int sockrx_publish(struct mapctl *m, struct sockrx *const *srs, unsigned int n, __u64 *published)
{
	int ncpus = libbpf_num_possible_cpus(), r = 0;
	struct xrelay_xdp_chan_stats *per_cpu;
	__u32 id;

	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	per_cpu = calloc((size_t)ncpus, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	for (id = 0; id < XRELAY_MAX_CHANNELS; id++) {
		__u64 sum = 0;
		unsigned int i;

		for (i = 0; i < n; i++)
			sum += __atomic_load_n(&srs[i]->rx_bytes[id], __ATOMIC_RELAXED);
		if (sum == published[id])
			continue;
		/* The only writer in socket mode: no XDP program runs. */
		if (bpf_map_lookup_elem(mapctl_fd(m, XRELAY_MAP_CHANNEL_STATS), &id, per_cpu) ||
		    (per_cpu[0].rx_bytes += sum - published[id],
		     bpf_map_update_elem(mapctl_fd(m, XRELAY_MAP_CHANNEL_STATS), &id, per_cpu,
					 BPF_EXIST))) {
			r = -errno;
			continue;
		}
		published[id] = sum;
	}
	free(per_cpu);
	return r;
}
