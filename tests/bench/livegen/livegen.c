// SPDX-License-Identifier: MIT
/*
 * livegen: an in-kernel UDP traffic generator for the benchmarks. Builds one Ethernet/IP/UDP
 * template frame, loads livegen.bpf.c and has the kernel run it on copies of the frame through
 * BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES (Linux 5.18): each copy is stamped (sequence
 * number, send time) and redirected out of one interface. Paced in 1 ms slices or flat out;
 * prints one JSON line. It checks nothing on the receiving side (selftest.sh does).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "livegen.h"
#include "livegen.skel.h"

#define NSEC 1000000000ull
/* Pacing slice of --rate (default; --slice-us): each slice sends what is due, then sleeps. */
#define LIVEGEN_SLICE_NS 1000000ull
/* Frames per test run at most: bounds how long one syscall runs (~3 ms at 20 M/s). */
#define LIVEGEN_CHUNK 65536u
/* The kernel's limit on batch_size (TEST_XDP_MAX_BATCH). */
#define LIVEGEN_BATCH_MAX 256u
#define LIVEGEN_FRAME_MAX 4096u

struct livegen_opts {
	const char *dev;
	unsigned int ifindex;
	__u8 src_mac[ETH_ALEN];
	__u8 dst_mac[ETH_ALEN];
	int family;
	struct in6_addr src6, dst6;
	struct in_addr src4, dst4;
	__u16 sport, dport;
	__u32 size; /* UDP payload bytes */
	__u64 rate; /* frames a second; 0 with flat_out */
	int flat_out;
	__u64 count;	  /* 0: no limit */
	__u64 seconds_ns; /* 0: no limit */
	int cpu;	  /* -1: not pinned */
	__u32 batch;
	__u64 first_seq;
	int no_attach;
	const char *attach_dev; /* where the program is attached; NULL: dev */
	int stamp_frame;	/* read the clock for every frame, not once a batch */
	__u64 slice_ns;		/* pacing slice of --rate */
	int verbose;
};

static volatile sig_atomic_t livegen_stop;

static void livegen_on_signal(int sig)
{
	(void)sig;
	livegen_stop = 1;
}

static void livegen_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void livegen_err(const char *fmt, ...)
{
	va_list ap;

	fputs("livegen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int livegen_verbose;

/* libbpf's messages one level down: its warnings show with --verbose only. */
static int livegen_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!livegen_verbose || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static __u64 livegen_now_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * NSEC + (__u64)ts.tv_nsec;
}

static void livegen_usage(FILE *f)
{
	fprintf(f,
		"Usage: livegen --dev IF --dst-mac MAC --src IP --dst IP --dport P [OPTIONS]\n"
		"Send UDP datagrams out of IF from the kernel (XDP live frames, Linux 5.18+) and\n"
		"print one JSON line:\n"
		"  {\"sent\", \"seconds\", \"rate\", \"offered_rate\", \"cpu_user_s\", \"cpu_sys_s\",\n"
		"   \"first_seq\", \"last_seq\", \"mode\", \"frame_bytes\", \"stamp\",\n"
		"   \"attached\", \"interrupted\"}\n\n"
		"  --dev IF            interface to send out of, in this network namespace (required)\n"
		"  --dst-mac MAC       destination MAC (required; the source MAC is IF's)\n"
		"  --src IP            source address, IPv4 or IPv6 (required)\n"
		"  --dst IP            destination address, same family (required)\n"
		"  --dport P           destination UDP port (required)\n"
		"  --sport P           source UDP port (default: --dport)\n"
		"  --size BYTES        UDP payload bytes, >= %u (default %u); the first %u carry the\n"
		"                      stamp: sequence number and send time, big-endian u64 each\n"
		"  --rate PPS          datagrams a second, paced in slices on CLOCK_MONOTONIC\n"
		"  --flat-out          as fast as the kernel sends (the default)\n"
		"  --seconds S         stop after S seconds (may be fractional)\n"
		"  --count N           stop after N datagrams (with --seconds: whichever comes first;\n"
		"                      neither: run until SIGINT or SIGTERM)\n"
		"  --cpu C             pin to CPU C (the kernel sends on the caller's CPU)\n"
		"  --batch N           frames per kernel batch, 1..%u (default 64; more than 64 can\n"
		"                      overflow a veth's 256-frame ring: lost frames show as\n"
		"                      xdp_xmit_errors in ethtool -S IF)\n"
		"  --first-seq N       sequence number of the first datagram (default 0)\n"
		"  --slice-us US       pacing slice of --rate (default 1000): each slice's datagrams\n"
		"                      leave together; shorter slices make smaller bursts (the\n"
		"                      sleep's own jitter, ~50 us on a VM, is the floor)\n"
		"  --stamp frame|batch read the clock for every frame, or once per kernel batch for\n"
		"                      all its frames, which leave together at its end (default batch:\n"
		"                      the clock costs ~20 ns a read on a VM)\n"
		"  --no-attach         do not attach the program to IF (see below)\n"
		"  --attach-dev IF2    attach it to IF2 instead (any interface with native XDP in\n"
		"                      this namespace), leaving IF free for another XDP program\n"
		"  --verbose           show libbpf's warnings\n"
		"  --help              this text\n\n"
		"Run it in the network namespace that holds IF. Frames redirected into a veth are\n"
		"dropped silently unless the receiving end has an XDP program attached or GRO on.\n"
		"While it runs, the program is also attached to IF (a BPF link, gone when livegen\n"
		"exits; frames arriving on IF pass untouched): otherwise every test run re-patches\n"
		"the kernel's XDP dispatcher, about 0.5 ms of CPU each. When IF already has an XDP\n"
		"program it runs without (\"attached\": false in the JSON line).\n"
		"IPv4 datagrams carry no UDP checksum (0); IPv6 ones a valid one. \"offered_rate\" is\n"
		"--rate, null when flat out; \"rate\" is sent / seconds. Ctrl-C stops and prints what\n"
		"was sent. Exit 0, 1 on an error, 2 on a usage error.\n",
		LIVEGEN_STAMP_LEN, 64, LIVEGEN_STAMP_LEN, LIVEGEN_BATCH_MAX);
}

/* Parse an unsigned decimal in [min, max] for option name into *ret; -EINVAL after a message. */
static int livegen_parse_u64(const char *s, const char *name, __u64 min, __u64 max, __u64 *ret)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		livegen_err("%s: '%s' is not a number in %llu..%llu", name, s,
			    (unsigned long long)min, (unsigned long long)max);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

static int livegen_parse_mac(const char *s, __u8 *mac)
{
	unsigned int b[ETH_ALEN];
	char tail;
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) !=
	    ETH_ALEN) {
		livegen_err("--dst-mac: '%s' is not a MAC address (aa:bb:cc:dd:ee:ff)", s);
		return -EINVAL;
	}
	for (i = 0; i < ETH_ALEN; i++) {
		if (b[i] > 0xff) {
			livegen_err("--dst-mac: '%s' is not a MAC address", s);
			return -EINVAL;
		}
		mac[i] = (__u8)b[i];
	}
	return 0;
}

/* Parse an IPv4 or IPv6 address into *a4 or *a6; the family, or -EINVAL after a message. */
static int livegen_parse_ip(const char *s, const char *name, struct in_addr *a4,
			    struct in6_addr *a6)
{
	if (inet_pton(AF_INET, s, a4) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, a6) == 1)
		return AF_INET6;
	livegen_err("%s: '%s' is not a numeric IPv4 or IPv6 address", name, s);
	return -EINVAL;
}

/* The seconds given as "S" or "S.F" in nanoseconds; -EINVAL after a message. */
static int livegen_parse_seconds(const char *s, __u64 *ret_ns)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || v > 1e7) {
		livegen_err("--seconds: '%s' is not a duration in seconds (> 0)", s);
		return -EINVAL;
	}
	*ret_ns = (__u64)(v * 1e9);
	return 0;
}

enum {
	OPT_DEV = 0x100,
	OPT_DST_MAC,
	OPT_SRC,
	OPT_DST,
	OPT_DPORT,
	OPT_SPORT,
	OPT_SIZE,
	OPT_RATE,
	OPT_FLAT_OUT,
	OPT_SECONDS,
	OPT_COUNT,
	OPT_CPU,
	OPT_BATCH,
	OPT_FIRST_SEQ,
	OPT_NO_ATTACH,
	OPT_STAMP,
	OPT_SLICE_US,
	OPT_ATTACH_DEV,
	OPT_VERBOSE,
	OPT_HELP,
};

static const struct option livegen_options[] = {
	{ "dev", required_argument, NULL, OPT_DEV },
	{ "dst-mac", required_argument, NULL, OPT_DST_MAC },
	{ "src", required_argument, NULL, OPT_SRC },
	{ "dst", required_argument, NULL, OPT_DST },
	{ "dport", required_argument, NULL, OPT_DPORT },
	{ "sport", required_argument, NULL, OPT_SPORT },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "flat-out", no_argument, NULL, OPT_FLAT_OUT },
	{ "seconds", required_argument, NULL, OPT_SECONDS },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "cpu", required_argument, NULL, OPT_CPU },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "first-seq", required_argument, NULL, OPT_FIRST_SEQ },
	{ "no-attach", no_argument, NULL, OPT_NO_ATTACH },
	{ "stamp", required_argument, NULL, OPT_STAMP },
	{ "slice-us", required_argument, NULL, OPT_SLICE_US },
	{ "attach-dev", required_argument, NULL, OPT_ATTACH_DEV },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* Fill *o from argv; 0, 1 for --help, or -EINVAL after a message. */
static int livegen_parse_args(int argc, char **argv, struct livegen_opts *o)
{
	const char *src = NULL, *dst = NULL, *mac = NULL;
	struct in_addr d4;
	struct in6_addr d6;
	int c, fam_src, fam_dst, have_sport = 0, err = 0;
	__u64 v;

	memset(o, 0, sizeof(*o));
	o->size = 64;
	o->cpu = -1;
	o->batch = 64;
	o->slice_ns = LIVEGEN_SLICE_NS;
	o->flat_out = 1;
	while ((c = getopt_long(argc, argv, "", livegen_options, NULL)) != -1) {
		switch (c) {
		case OPT_DEV:
			o->dev = optarg;
			break;
		case OPT_DST_MAC:
			mac = optarg;
			break;
		case OPT_SRC:
			src = optarg;
			break;
		case OPT_DST:
			dst = optarg;
			break;
		case OPT_DPORT:
			err = livegen_parse_u64(optarg, "--dport", 1, 65535, &v);
			o->dport = (__u16)v;
			break;
		case OPT_SPORT:
			err = livegen_parse_u64(optarg, "--sport", 1, 65535, &v);
			o->sport = (__u16)v;
			have_sport = 1;
			break;
		case OPT_SIZE:
			err = livegen_parse_u64(optarg, "--size", LIVEGEN_STAMP_LEN, 65507, &v);
			o->size = (__u32)v;
			break;
		case OPT_RATE:
			err = livegen_parse_u64(optarg, "--rate", 1, 1000000000, &o->rate);
			o->flat_out = 0;
			break;
		case OPT_FLAT_OUT:
			o->flat_out = 1;
			o->rate = 0;
			break;
		case OPT_SECONDS:
			err = livegen_parse_seconds(optarg, &o->seconds_ns);
			break;
		case OPT_COUNT:
			err = livegen_parse_u64(optarg, "--count", 1, UINT64_MAX / 2, &o->count);
			break;
		case OPT_CPU:
			err = livegen_parse_u64(optarg, "--cpu", 0, CPU_SETSIZE - 1, &v);
			o->cpu = (int)v;
			break;
		case OPT_BATCH:
			err = livegen_parse_u64(optarg, "--batch", 1, LIVEGEN_BATCH_MAX, &v);
			o->batch = (__u32)v;
			break;
		case OPT_FIRST_SEQ:
			err = livegen_parse_u64(optarg, "--first-seq", 0, UINT64_MAX / 2,
						&o->first_seq);
			break;
		case OPT_NO_ATTACH:
			o->no_attach = 1;
			break;
		case OPT_STAMP:
			if (!strcmp(optarg, "frame") || !strcmp(optarg, "batch")) {
				o->stamp_frame = optarg[0] == 'f';
			} else {
				livegen_err("--stamp: '%s' is neither frame nor batch", optarg);
				err = -EINVAL;
			}
			break;
		case OPT_ATTACH_DEV:
			o->attach_dev = optarg;
			break;
		case OPT_SLICE_US:
			err = livegen_parse_u64(optarg, "--slice-us", 1, 1000000, &v);
			o->slice_ns = v * 1000;
			break;
		case OPT_VERBOSE:
			o->verbose = 1;
			break;
		case OPT_HELP:
			livegen_usage(stdout);
			return 1;
		default:
			livegen_usage(stderr);
			return -EINVAL;
		}
		if (err)
			return err;
	}
	if (optind < argc) {
		livegen_err("unexpected argument '%s' (see --help)", argv[optind]);
		return -EINVAL;
	}
	if (!o->dev || !mac || !src || !dst || !o->dport) {
		livegen_err("--dev, --dst-mac, --src, --dst and --dport are required (see --help)");
		return -EINVAL;
	}
	if (livegen_parse_mac(mac, o->dst_mac))
		return -EINVAL;
	fam_src = livegen_parse_ip(src, "--src", &o->src4, &o->src6);
	fam_dst = livegen_parse_ip(dst, "--dst", &d4, &d6);
	if (fam_src < 0 || fam_dst < 0)
		return -EINVAL;
	if (fam_src != fam_dst) {
		livegen_err("--src and --dst must both be IPv4 or both IPv6");
		return -EINVAL;
	}
	o->family = fam_dst;
	o->dst4 = d4;
	o->dst6 = d6;
	if (!have_sport)
		o->sport = o->dport;
	return 0;
}

/*
 * Look IF up in this network namespace: its index, MAC and MTU into *o; -errno after a message
 * (-ENODEV: no such interface, -ENETDOWN: it is down, -EMSGSIZE: the frame exceeds its MTU).
 */
static int livegen_dev(struct livegen_opts *o, __u32 l3_len)
{
	struct ifreq ifr;
	int fd, err = 0;

	o->ifindex = if_nametoindex(o->dev);
	if (!o->ifindex) {
		livegen_err("no interface '%s' in this network namespace (run livegen in the "
			    "namespace that holds it: nsenter --net=/run/netns/NAME livegen ...)",
			    o->dev);
		return -ENODEV;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		livegen_err("socket: %s", strerror(-err));
		return err;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o->dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		err = -errno;
		livegen_err("%s: reading its MAC address: %s", o->dev, strerror(-err));
		goto out_close;
	}
	memcpy(o->src_mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		err = -errno;
		livegen_err("%s: reading its flags: %s", o->dev, strerror(-err));
		goto out_close;
	}
	if (!(ifr.ifr_flags & IFF_UP)) {
		livegen_err("%s is down (ip link set dev %s up)", o->dev, o->dev);
		err = -ENETDOWN;
		goto out_close;
	}
	if (ioctl(fd, SIOCGIFMTU, &ifr)) {
		err = -errno;
		livegen_err("%s: reading its MTU: %s", o->dev, strerror(-err));
		goto out_close;
	}
	if (l3_len > (__u32)ifr.ifr_mtu) {
		livegen_err("--size %u makes a %u-byte IP packet, more than %s's MTU of %d (the "
			    "receiving veth drops it)",
			    o->size, l3_len, o->dev, ifr.ifr_mtu);
		err = -EMSGSIZE;
	}
out_close:
	close(fd);
	return err;
}

/* Ones' complement sum of len bytes as 16-bit words in memory order, added to sum, unfolded. */
static __u32 livegen_csum_add(__u32 sum, const void *buf, size_t len)
{
	const __u8 *p = buf;
	__u16 w;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		memcpy(&w, p + i, 2);
		sum += w;
	}
	if (len & 1) {
		w = 0;
		memcpy(&w, p + len - 1, 1);
		sum += w;
	}
	return sum;
}

static __u16 livegen_csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/*
 * Build the template frame into frame (LIVEGEN_FRAME_MAX bytes): its length. For IPv6,
 * *ret_csum_base is the folded sum the XDP program completes (see livegen.bpf.c).
 */
static __u32 livegen_build_frame(const struct livegen_opts *o, __u8 *frame, __u32 *ret_csum_base)
{
	struct ethhdr *eth = (struct ethhdr *)frame;
	__u32 l4_off = o->family == AF_INET ? LIVEGEN_L4_OFF_V4 : LIVEGEN_L4_OFF_V6;
	struct udphdr *udp = (struct udphdr *)(frame + l4_off);
	__u8 *payload = frame + l4_off + LIVEGEN_UDP_LEN;
	__u32 udp_len = LIVEGEN_UDP_LEN + o->size, k;

	memset(frame, 0, LIVEGEN_FRAME_MAX);
	memcpy(eth->h_dest, o->dst_mac, ETH_ALEN);
	memcpy(eth->h_source, o->src_mac, ETH_ALEN);
	udp->source = htons(o->sport);
	udp->dest = htons(o->dport);
	udp->len = htons((__u16)udp_len);
	udp->check = 0;
	for (k = LIVEGEN_STAMP_LEN; k < o->size; k++)
		payload[k] = (__u8)k;
	*ret_csum_base = 0;
	if (o->family == AF_INET) {
		struct iphdr *ip = (struct iphdr *)(frame + LIVEGEN_ETH_LEN);

		eth->h_proto = htons(ETH_P_IP);
		ip->version = 4;
		ip->ihl = 5;
		ip->tot_len = htons((__u16)(20 + udp_len));
		ip->frag_off = htons(0x4000); /* DF */
		ip->ttl = 64;
		ip->protocol = IPPROTO_UDP;
		ip->saddr = o->src4.s_addr;
		ip->daddr = o->dst4.s_addr;
		ip->check = (__u16)~livegen_csum_fold(livegen_csum_add(0, ip, 20));
	} else {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)(frame + LIVEGEN_ETH_LEN);
		__u32 sum, proto = htonl(IPPROTO_UDP), len32 = htonl(udp_len);

		eth->h_proto = htons(ETH_P_IPV6);
		ip6->version = 6;
		ip6->payload_len = htons((__u16)udp_len);
		ip6->nexthdr = IPPROTO_UDP;
		ip6->hop_limit = 64;
		memcpy(&ip6->saddr, &o->src6, 16);
		memcpy(&ip6->daddr, &o->dst6, 16);
		/* Pseudo-header (RFC 8200, 8.1): addresses, upper-layer length, next header. */
		sum = livegen_csum_add(0, &o->src6, 16);
		sum = livegen_csum_add(sum, &o->dst6, 16);
		sum = livegen_csum_add(sum, &len32, 4);
		sum = livegen_csum_add(sum, &proto, 4);
		sum = livegen_csum_add(sum, udp, udp_len); /* stamp and checksum still zero */
		*ret_csum_base = livegen_csum_fold(sum);
	}
	return l4_off + udp_len;
}

/* The kernel's major and minor version, from uname (0.0 when unreadable). */
static void livegen_kernel_version(int *major, int *minor, const char **release)
{
	static struct utsname u;

	*major = 0;
	*minor = 0;
	*release = "unknown";
	if (uname(&u))
		return;
	*release = u.release;
	if (sscanf(u.release, "%d.%d", major, minor) != 2) {
		*major = 0;
		*minor = 0;
	}
}

/* Say why a test run failed with err (-errno), naming the kernel version a feature needs. */
static void livegen_explain_run_error(int err, __u32 frame_len, __u32 batch)
{
	const char *release;
	int major, minor;

	livegen_kernel_version(&major, &minor, &release);
	if (err == -EPERM || err == -EACCES) {
		livegen_err("running the XDP program was refused (%s): needs root or CAP_BPF and "
			    "CAP_NET_ADMIN",
			    strerror(-err));
	} else if ((err == -EINVAL || err == -EOPNOTSUPP || err == -524 /* ENOTSUPP */) &&
		   (major < 5 || (major == 5 && minor < 18))) {
		livegen_err("kernel %s has no live-frames test runs (BPF_F_TEST_XDP_LIVE_FRAMES "
			    "needs Linux 5.18 or later)",
			    release);
	} else if (err == -EINVAL || err == -E2BIG) {
		livegen_err("kernel %s refused the live-frames test run (%s): a %u-byte frame "
			    "must fit one page with XDP headroom, and --batch %u must be 1..%u",
			    release, strerror(-err), frame_len, batch, LIVEGEN_BATCH_MAX);
	} else {
		livegen_err("BPF_PROG_TEST_RUN (live frames): %s", strerror(-err));
	}
}

/*
 * Attach the program to IF through a BPF link (detached when livegen exits, even killed), only
 * to keep it in the kernel's XDP dispatcher. A test run with repeat > 1 adds its program to the
 * dispatcher and removes it again (net/bpf/test_run.c); for a program no device holds, each of
 * the two re-patches kernel text (bpf_dispatcher_change_prog: text_poke, IPIs), about 0.5 ms of
 * CPU per test run measured here: half the core at 1000 paced runs a second. A program already
 * in the dispatcher only has its count moved. Failing that, livegen runs on, slower.
 * Side effects while attached: frames arriving on IF pass through the program (XDP_PASS), and
 * veth turns GSO off on IF's peer (veth_xdp_set).
 */
static void livegen_attach(struct livegen *skel, const struct livegen_opts *o)
{
	const char *dev = o->attach_dev ? o->attach_dev : o->dev;
	unsigned int ifindex = o->attach_dev ? if_nametoindex(o->attach_dev) : o->ifindex;
	struct bpf_link *link =
		ifindex ? bpf_program__attach_xdp(skel->progs.livegen_xdp, (int)ifindex) : NULL;
	const char *why;
	int err;

	if (!link) {
		err = errno;
		if (err == EBUSY || err == EEXIST)
			why = "it has another XDP program";
		else if (err == ERANGE)
			why = "its MTU or its peer's is too large for XDP";
		else
			why = strerror(err);
		livegen_err("note: cannot attach to %s (%s): each test run will cost about 0.5 ms "
			    "of CPU more",
			    dev, ifindex ? why : "no such interface");
		return;
	}
	skel->links.livegen_xdp = link;
}

/* Per-run state of the send loop. */
struct livegen_run {
	int prog_fd;
	const __u8 *frame;
	__u32 frame_len;
	__u32 batch;
	volatile __u64 *seq_next;   /* the program's counter (mmapped .bss) */
	volatile __u32 *batch_left; /* zeroed before each test run: it starts a new batch */
	__u64 first_seq;
};

/* Frames stamped so far: the counter moved by the program, so exact even after EINTR. */
static __u64 livegen_sent(const struct livegen_run *r)
{
	return *r->seq_next - r->first_seq;
}

/*
 * Have the kernel send n frames (n <= LIVEGEN_CHUNK). 0, -EINTR when a signal cut the run short
 * (some frames may have gone: see livegen_sent), or another -errno after a message.
 */
static int livegen_send(const struct livegen_run *r, __u32 n)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = r->frame, .data_size_in = r->frame_len,
		    .repeat = (int)n, .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = r->batch);
	int err;

	*r->batch_left = 0;
	if (!bpf_prog_test_run_opts(r->prog_fd, &opts))
		return 0;
	err = -errno;
	if (err == -EINTR)
		return err;
	livegen_explain_run_error(err, r->frame_len, r->batch);
	return err;
}

/* Frames due by elapsed_ns at rate, not past limit (rate * elapsed without 64-bit overflow). */
static __u64 livegen_due(__u64 rate, __u64 elapsed_ns, __u64 limit)
{
	__u64 due = rate * (elapsed_ns / NSEC) + rate * (elapsed_ns % NSEC) / NSEC;

	return due < limit ? due : limit;
}

/* Sleep until the next pacing slice boundary after now (absolute: the schedule does not drift). */
static void livegen_sleep_slice(__u64 start, __u64 now, __u64 slice_ns)
{
	__u64 t = start + ((now - start) / slice_ns + 1) * slice_ns;
	struct timespec ts = { .tv_sec = (time_t)(t / NSEC), .tv_nsec = (long)(t % NSEC) };

	(void)clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/*
 * The send loop: until the count or the time is reached or a signal arrives. 0 or -errno.
 * *ret_elapsed_ns is from the first send to the end of the last; *ret_due is what --rate asked
 * for in that time (with --count, at most the count), UINT64_MAX when flat out.
 *
 * --rate: datagram k is due at k / rate; each slice (1 ms, or --slice-us) sends all that is
 * due in one test run. A generator that falls behind catches up with runs of up to LIVEGEN_CHUNK frames, but
 * stops at the --seconds deadline: at most two slices' worth owed then is still sent.
 */
static int livegen_loop(const struct livegen_opts *o, const struct livegen_run *r,
			__u64 *ret_elapsed_ns, __u64 *ret_due)
{
	__u64 limit = o->count ? o->count : UINT64_MAX;
	__u64 quota = 2 * (o->rate * o->slice_ns / NSEC) + 1;
	__u64 start = livegen_now_ns(), due = 0, sent;
	int err = 0;

	for (;;) {
		__u64 elapsed;
		int last = 0;

		if (livegen_stop)
			break;
		elapsed = livegen_now_ns() - start;
		if (o->seconds_ns && elapsed >= o->seconds_ns) {
			if (o->flat_out)
				break;
			elapsed = o->seconds_ns;
			last = 1;
		}
		due = o->flat_out ? limit : livegen_due(o->rate, elapsed, limit);
		sent = livegen_sent(r);
		while (sent < due && !livegen_stop) {
			__u64 n = due - sent;

			if (last && n > quota)
				break;
			err = livegen_send(r, n < LIVEGEN_CHUNK ? (__u32)n : LIVEGEN_CHUNK);
			sent = livegen_sent(r);
			if (err)
				goto out;
			if (!last && o->seconds_ns && livegen_now_ns() - start >= o->seconds_ns)
				break;
		}
		if (last || sent >= limit)
			break;
		if (!o->flat_out)
			livegen_sleep_slice(start, livegen_now_ns(), o->slice_ns);
	}
out:
	*ret_elapsed_ns = livegen_now_ns() - start;
	*ret_due = o->flat_out ? UINT64_MAX : due;
	if (err == -EINTR)
		err = 0;
	return err;
}

static double livegen_tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void livegen_print(const struct livegen_opts *o, const struct livegen_run *r,
			  __u64 elapsed_ns, const struct rusage *ru0, const struct rusage *ru1,
			  int attached, int interrupted)
{
	__u64 sent = livegen_sent(r);
	double secs = (double)elapsed_ns / 1e9;
	char offered[32], first[32], last[32];

	if (o->flat_out)
		snprintf(offered, sizeof(offered), "null");
	else
		snprintf(offered, sizeof(offered), "%" PRIu64, (uint64_t)o->rate);
	if (sent) {
		snprintf(first, sizeof(first), "%" PRIu64, (uint64_t)r->first_seq);
		snprintf(last, sizeof(last), "%" PRIu64, (uint64_t)(r->first_seq + sent - 1));
	} else {
		snprintf(first, sizeof(first), "null");
		snprintf(last, sizeof(last), "null");
	}
	printf("{\"sent\": %" PRIu64 ", \"seconds\": %.6f, \"rate\": %.0f, \"offered_rate\": %s, "
	       "\"cpu_user_s\": %.3f, \"cpu_sys_s\": %.3f, \"first_seq\": %s, \"last_seq\": %s, "
	       "\"mode\": \"%s\", \"frame_bytes\": %u, \"stamp\": \"%s\", \"attached\": %s, "
	       "\"interrupted\": %s}\n",
	       (uint64_t)sent, secs, secs > 0 ? (double)sent / secs : 0.0, offered,
	       livegen_tv_s(ru1->ru_utime) - livegen_tv_s(ru0->ru_utime),
	       livegen_tv_s(ru1->ru_stime) - livegen_tv_s(ru0->ru_stime), first, last,
	       o->flat_out ? "flat-out" : "rate", r->frame_len, o->stamp_frame ? "frame" : "batch",
	       attached ? "true" : "false", interrupted ? "true" : "false");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	/* The frame starts 2 bytes in, so that its IP header is 4-byte aligned (NET_IP_ALIGN). */
	static __u8 buf[2 + LIVEGEN_FRAME_MAX] __attribute__((aligned(8)));
	__u8 *frame = buf + 2;
	struct livegen_opts o;
	struct livegen_run r;
	struct livegen *skel;
	struct rusage ru0, ru1;
	struct sigaction sa;
	__u64 elapsed_ns = 0, due = 0;
	__u32 csum_base, l3_len;
	int err;

	err = livegen_parse_args(argc, argv, &o);
	if (err)
		return err > 0 ? 0 : 2;
	livegen_verbose = o.verbose;
	libbpf_set_print(livegen_libbpf_print);

	l3_len = (o.family == AF_INET ? 20 : 40) + LIVEGEN_UDP_LEN + o.size;
	if (LIVEGEN_ETH_LEN + l3_len > LIVEGEN_FRAME_MAX) {
		/* The kernel's own limit is lower still: one page less XDP head- and tailroom. */
		livegen_err("--size %u makes a %u-byte frame; a live frame must fit one page",
			    o.size, LIVEGEN_ETH_LEN + l3_len);
		return 2;
	}
	if (livegen_dev(&o, l3_len))
		return 1;
	/*
	 * Wake at the slice boundary, not up to 50 us later (the default timer slack): that slack
	 * would make each paced slice's burst larger than --slice-us asks.
	 */
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	if (o.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			livegen_err("--cpu %d: %s", o.cpu, strerror(errno));
			return 1;
		}
	}

	skel = livegen__open();
	if (!skel) {
		livegen_err("opening the BPF skeleton: %s", strerror(errno));
		return 1;
	}
	skel->rodata->out_ifindex = o.ifindex;
	skel->rodata->ipv6 = o.family == AF_INET6;
	memset(&r, 0, sizeof(r));
	r.frame = frame;
	r.frame_len = livegen_build_frame(&o, frame, &csum_base);
	skel->rodata->csum_base = csum_base;
	skel->rodata->stamp_every = o.stamp_frame ? 1 : o.batch;
	err = livegen__load(skel);
	if (err) {
		if (err == -EPERM || err == -EACCES)
			livegen_err(
				"loading the XDP program was refused (%s): needs root or CAP_BPF, "
				"CAP_PERFMON and CAP_NET_ADMIN",
				strerror(-err));
		else
			livegen_err("loading the XDP program: %s (--verbose shows libbpf's log)",
				    strerror(-err));
		goto out_destroy;
	}
	skel->bss->seq_next = o.first_seq;
	if (!o.no_attach)
		livegen_attach(skel, &o);
	r.prog_fd = bpf_program__fd(skel->progs.livegen_xdp);
	r.batch = o.batch;
	r.seq_next = &skel->bss->seq_next;
	r.batch_left = &skel->bss->batch_left;
	r.first_seq = o.first_seq;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = livegen_on_signal; /* no SA_RESTART: a running test run returns EINTR */
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);

	(void)getrusage(RUSAGE_SELF, &ru0);
	err = livegen_loop(&o, &r, &elapsed_ns, &due);
	(void)getrusage(RUSAGE_SELF, &ru1);
	if (!err && !livegen_stop && due != UINT64_MAX && livegen_sent(&r) < due)
		livegen_err("note: fell behind --rate: sent %" PRIu64 " of the %" PRIu64
			    " due (the kernel did not send faster)",
			    (uint64_t)livegen_sent(&r), (uint64_t)due);
	if (!err || livegen_sent(&r))
		livegen_print(&o, &r, elapsed_ns, &ru0, &ru1, skel->links.livegen_xdp != NULL,
			      livegen_stop);
out_destroy:
	livegen__destroy(skel);
	return err ? 1 : 0;
}
