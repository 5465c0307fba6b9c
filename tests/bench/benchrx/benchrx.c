// SPDX-License-Identifier: MIT
/*
 * benchrx: the benchmarks' receivers. drop and xsk measure the ceilings on the receiving end
 * (XDP_DROP; AF_XDP receive through the dataplane's own socket setup, dataplane/umem.c, with
 * the work taken out), sub is the subscriber of the relays' re-sent datagrams (counts, sequence
 * and latency of livegen's stamps). Attaches natively, runs until SIGINT or SIGTERM, prints one
 * JSON line. It generates nothing (livegen does).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "umem.h"
#include "livegen.h"
#include "benchrx.h"
#include "benchrx.skel.h"

#define BENCHRX_RX_BATCH 64u
#define BENCHRX_IDLE_POLL_MS 5
/* After the signal, xsk mode keeps taking frames this long before it detaches. */
#define BENCHRX_DRAIN_NS 50000000ull

enum benchrx_mode {
	BENCHRX_DROP,
	BENCHRX_XSK,
	BENCHRX_SUB,
	BENCHRX_NMODES,
};

static const char *const benchrx_mode_names[] = {
	[BENCHRX_DROP] = "drop",
	[BENCHRX_XSK] = "xsk",
	[BENCHRX_SUB] = "sub",
};
_Static_assert(sizeof(benchrx_mode_names) / sizeof(benchrx_mode_names[0]) == BENCHRX_NMODES,
	       "a name for every mode");

struct benchrx_opts {
	enum benchrx_mode mode;
	const char *dev;
	unsigned int ifindex;
	__u16 port;
	__u32 queue;
	int cpu; /* -1: not pinned */
	const char *ready_file;
	__u32 sample;
};

static volatile sig_atomic_t benchrx_stop;

static void benchrx_on_signal(int sig)
{
	(void)sig;
	benchrx_stop = 1;
}

static void benchrx_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void benchrx_err(const char *fmt, ...)
{
	va_list ap;

	fputs("benchrx: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* libbpf's messages one level down: only its warnings show (benchrx's own errors say why). */
static int benchrx_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_WARN)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static __u64 benchrx_now_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

static void benchrx_usage(FILE *f)
{
	fprintf(f,
		"Usage: benchrx MODE --dev IF --port P [OPTIONS]\n"
		"Receive UDP datagrams to port P on IF (Ethernet + IPv4, or IPv6 without extension\n"
		"headers) with an XDP program attached in native mode, until SIGINT or SIGTERM; then\n"
		"detach and print one JSON line. Other frames pass untouched. MODE:\n"
		"  drop  count and XDP_DROP them (the ceiling of any XDP program):\n"
		"        {\"mode\", \"packets\", \"bytes\", \"cpu_user_s\", \"cpu_sys_s\", \"max_rss_kb\"}\n"
		"  xsk   redirect them to an AF_XDP socket on queue Q, set up as the dataplane does\n"
		"        (zero-copy if the driver allows, else copy mode), and only recycle the frames\n"
		"        in userspace (the ceiling of userspace receive):\n"
		"        {\"mode\", \"packets\" (taken in userspace), \"redirected\", \"rx_dropped\",\n"
		"         \"rx_ring_full\", \"fill_ring_empty\", \"zerocopy\", \"cpu_user_s\",\n"
		"         \"cpu_sys_s\", \"max_rss_kb\"}\n"
		"  sub   read livegen's stamp (seq, tx_ns) from payloads of %u bytes or more, count\n"
		"        sequence breaks, time 1 in N (receive minus send, CLOCK_MONOTONIC) and drop:\n"
		"        {\"mode\", \"packets\", \"first_seq\", \"last_seq\", \"breaks\", \"samples\",\n"
		"         \"future\", \"lat_min_ns\", \"lat_p50_ns\", \"lat_p99_ns\", \"lat_p999_ns\",\n"
		"         \"lat_max_ns\"} (percentiles: a log-linear histogram's bucket upper edge,\n"
		"         < 1/16 high; null without samples)\n\n"
		"  --dev IF          interface, in this network namespace (required)\n"
		"  --port P          UDP destination port (required)\n"
		"  --queue Q         xsk: the rx queue to bind to (default 0)\n"
		"  --cpu C           pin the process to CPU C\n"
		"  --ready-file F    create F (empty) once attached (and, xsk, the socket bound)\n"
		"  --sample N        sub: time one datagram in N (default 1: all)\n"
		"  --help            this text\n\n"
		"One benchrx per interface: native XDP holds one program. Exit 0, 1 on an error, 2 on\n"
		"a usage error.\n",
		LIVEGEN_STAMP_LEN);
}

/* Parse an unsigned decimal in [min, max] for option name into *ret; -EINVAL after a message. */
static int benchrx_parse_u64(const char *s, const char *name, __u64 min, __u64 max, __u64 *ret)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		benchrx_err("%s: '%s' is not a number in %llu..%llu", name, s,
			    (unsigned long long)min, (unsigned long long)max);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

enum {
	OPT_DEV = 0x100,
	OPT_PORT,
	OPT_QUEUE,
	OPT_CPU,
	OPT_READY_FILE,
	OPT_SAMPLE,
	OPT_HELP,
};

static const struct option benchrx_options[] = {
	{ "dev", required_argument, NULL, OPT_DEV },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "queue", required_argument, NULL, OPT_QUEUE },
	{ "cpu", required_argument, NULL, OPT_CPU },
	{ "ready-file", required_argument, NULL, OPT_READY_FILE },
	{ "sample", required_argument, NULL, OPT_SAMPLE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* The mode named s, or -EINVAL after a message. */
static int benchrx_parse_mode(const char *s)
{
	int m;

	for (m = 0; m < BENCHRX_NMODES; m++)
		if (!strcmp(s, benchrx_mode_names[m]))
			return m;
	benchrx_err("'%s' is not a mode: drop, xsk or sub (see --help)", s);
	return -EINVAL;
}

/* Fill *o from argv; 0, 1 for --help, or -EINVAL after a message. */
static int benchrx_parse_args(int argc, char **argv, struct benchrx_opts *o)
{
	int c, mode, err = 0;
	__u64 v;

	memset(o, 0, sizeof(*o));
	o->cpu = -1;
	o->sample = 1;
	while ((c = getopt_long(argc, argv, "", benchrx_options, NULL)) != -1) {
		switch (c) {
		case OPT_DEV:
			o->dev = optarg;
			break;
		case OPT_PORT:
			err = benchrx_parse_u64(optarg, "--port", 1, 65535, &v);
			o->port = (__u16)v;
			break;
		case OPT_QUEUE:
			err = benchrx_parse_u64(optarg, "--queue", 0, BENCHRX_MAX_QUEUES - 1, &v);
			o->queue = (__u32)v;
			break;
		case OPT_CPU:
			err = benchrx_parse_u64(optarg, "--cpu", 0, CPU_SETSIZE - 1, &v);
			o->cpu = (int)v;
			break;
		case OPT_READY_FILE:
			o->ready_file = optarg;
			break;
		case OPT_SAMPLE:
			err = benchrx_parse_u64(optarg, "--sample", 1, UINT32_MAX, &v);
			o->sample = (__u32)v;
			break;
		case OPT_HELP:
			benchrx_usage(stdout);
			return 1;
		default:
			benchrx_usage(stderr);
			return -EINVAL;
		}
		if (err)
			return err;
	}
	if (optind >= argc) {
		benchrx_err("a mode is required: drop, xsk or sub (see --help)");
		return -EINVAL;
	}
	mode = benchrx_parse_mode(argv[optind++]);
	if (mode < 0)
		return mode;
	o->mode = (enum benchrx_mode)mode;
	if (optind < argc) {
		benchrx_err("unexpected argument '%s' (see --help)", argv[optind]);
		return -EINVAL;
	}
	if (!o->dev || !o->port) {
		benchrx_err("--dev and --port are required (see --help)");
		return -EINVAL;
	}
	return 0;
}

/* The mode's program; the others are not loaded. */
static struct bpf_program *benchrx_prog(struct benchrx *skel, enum benchrx_mode mode)
{
	switch (mode) {
	case BENCHRX_XSK:
		return skel->progs.benchrx_xsk;
	case BENCHRX_SUB:
		return skel->progs.benchrx_sub;
	default:
		return skel->progs.benchrx_drop;
	}
}

/* Open and load the skeleton with only the mode's program; NULL after a message. */
static struct benchrx *benchrx_load(const struct benchrx_opts *o)
{
	struct bpf_program *keep;
	struct benchrx *skel;
	int m, err;

	skel = benchrx__open();
	if (!skel) {
		benchrx_err("opening the BPF skeleton: %s", strerror(errno));
		return NULL;
	}
	keep = benchrx_prog(skel, o->mode);
	for (m = 0; m < BENCHRX_NMODES; m++) {
		struct bpf_program *p = benchrx_prog(skel, (enum benchrx_mode)m);

		if (p != keep)
			(void)bpf_program__set_autoload(p, false);
	}
	skel->rodata->port_be = htons(o->port);
	skel->rodata->sample_every = o->sample;
	err = benchrx__load(skel);
	if (err) {
		if (err == -EPERM || err == -EACCES)
			benchrx_err("loading the XDP program was refused (%s): needs root or "
				    "CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN",
				    strerror(-err));
		else
			benchrx_err("loading the XDP program: %s", strerror(-err));
		benchrx__destroy(skel);
		return NULL;
	}
	return skel;
}

/*
 * Attach prog natively (driver mode, never generic) to the interface through a BPF link: the
 * kernel detaches it when the link's fd is closed, also when benchrx is killed. The link's fd,
 * or -errno after a message.
 */
static int benchrx_attach(const struct benchrx_opts *o, struct bpf_program *prog)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = XDP_FLAGS_DRV_MODE);
	const char *why;
	int fd, err;

	fd = bpf_link_create(bpf_program__fd(prog), (int)o->ifindex, BPF_XDP, &opts);
	if (fd >= 0)
		return fd;
	err = -errno;
	if (err == -EBUSY || err == -EEXIST)
		why = "it has an XDP program already";
	else if (err == -EOPNOTSUPP)
		why = "its driver has no native XDP";
	else if (err == -ERANGE)
		why = "its MTU or its peer's is too large for XDP";
	else
		why = "";
	benchrx_err("cannot attach XDP in native (driver) mode to %s: %s%s%s", o->dev,
		    strerror(-err), *why ? ": " : "", why);
	return err;
}

/* Create the ready file (empty). 0 or -errno after a message. */
static int benchrx_ready(const char *path)
{
	int fd, err;

	if (!path)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = -errno;
		benchrx_err("--ready-file %s: %s", path, strerror(-err));
		return err;
	}
	(void)close(fd);
	return 0;
}

/* Sleep until SIGINT or SIGTERM (handled: they set benchrx_stop). */
static void benchrx_wait_signal(void)
{
	sigset_t block, old;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	(void)sigprocmask(SIG_BLOCK, &block, &old);
	while (!benchrx_stop)
		(void)sigsuspend(&old);
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
}

/* Take what the rx ring holds (up to a batch): back to the free stack, then the fill ring. */
static __u32 benchrx_xsk_take(struct umem *u)
{
	__u32 idx = 0, n, i;

	n = xsk_ring_cons__peek(&u->rx, BENCHRX_RX_BATCH, &idx);
	for (i = 0; i < n; i++)
		umem_put(u, xsk_ring_cons__rx_desc(&u->rx, idx + i)->addr);
	if (n)
		xsk_ring_cons__release(&u->rx, n);
	umem_refill(u);
	return n;
}

/*
 * The dataplane worker's receive loop (dataplane/worker.c, worker_main) without its work: take
 * frames, recycle them, and when the ring is dry wake the kernel if it asks and wait. After the
 * signal it goes on for BENCHRX_DRAIN_NS, so that frames in flight are counted. Returns the
 * frames taken.
 */
static __u64 benchrx_xsk_loop(struct umem *u)
{
	struct pollfd pfd = { .fd = umem_fd(u), .events = POLLIN };
	__u64 packets = 0, deadline = 0;
	__u32 n;

	for (;;) {
		n = benchrx_xsk_take(u);
		packets += n;
		if (n == BENCHRX_RX_BATCH)
			continue;
		if (benchrx_stop) {
			if (!deadline)
				deadline = benchrx_now_ns() + BENCHRX_DRAIN_NS;
			else if (benchrx_now_ns() >= deadline)
				break;
		}
		if (!n) {
			if (xsk_ring_prod__needs_wakeup(&u->fq))
				(void)recvfrom(pfd.fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
			(void)poll(&pfd, 1, BENCHRX_IDLE_POLL_MS);
		}
	}
	return packets;
}

/* The per-CPU brx_count summed over the CPUs. 0 or -errno after a message. */
static int benchrx_read_count(struct benchrx *skel, struct benchrx_count *ret)
{
	int ncpus = libbpf_num_possible_cpus(), i, err;
	struct benchrx_count *per;
	__u32 key = 0;

	if (ncpus < 0) {
		benchrx_err("counting the possible CPUs: %s", strerror(-ncpus));
		return ncpus;
	}
	per = calloc((size_t)ncpus, sizeof(*per));
	if (!per)
		return -ENOMEM;
	err = bpf_map_lookup_elem(bpf_map__fd(skel->maps.brx_count), &key, per);
	if (err) {
		err = -errno;
		benchrx_err("reading the counters: %s", strerror(-err));
		goto out_free;
	}
	memset(ret, 0, sizeof(*ret));
	for (i = 0; i < ncpus; i++) {
		ret->packets += per[i].packets;
		ret->bytes += per[i].bytes;
	}
out_free:
	free(per);
	return err;
}

static double benchrx_tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* The CPU time since ru0 and the peak RSS, as JSON fields (no leading comma). */
static void benchrx_print_rusage(const struct rusage *ru0)
{
	struct rusage ru;

	(void)getrusage(RUSAGE_SELF, &ru);
	printf("\"cpu_user_s\": %.3f, \"cpu_sys_s\": %.3f, \"max_rss_kb\": %ld",
	       benchrx_tv_s(ru.ru_utime) - benchrx_tv_s(ru0->ru_utime),
	       benchrx_tv_s(ru.ru_stime) - benchrx_tv_s(ru0->ru_stime), ru.ru_maxrss);
}

/*
 * The latency at quantile q (0 < q < 1) of the histogram (total counts): the upper edge of the
 * bucket where the cumulative count reaches ceil(q * total), capped at the largest seen.
 */
static __u64 benchrx_quantile(const __u64 *hist, __u64 total, double q, __u64 max_ns)
{
	__u64 want = (__u64)(q * (double)total), cum = 0, edge;
	__u32 b;

	if ((double)want < q * (double)total)
		want++;
	if (!want)
		want = 1;
	for (b = 0; b < BENCHRX_LAT_BUCKETS; b++) {
		cum += hist[b];
		if (cum >= want)
			break;
	}
	edge = benchrx_bucket_upper(b < BENCHRX_LAT_BUCKETS ? b : BENCHRX_LAT_BUCKETS - 1);
	return edge < max_ns ? edge : max_ns;
}

/* Print sub mode's JSON line from its maps. 0 or -errno after a message. */
static int benchrx_print_sub(struct benchrx *skel)
{
	static __u64 hist[BENCHRX_LAT_BUCKETS];
	int hfd = bpf_map__fd(skel->maps.brx_lat_hist);
	struct benchrx_sub_stats s;
	__u64 total = 0;
	__u32 key = 0, b;
	char seqs[64];
	int err;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.brx_sub), &key, &s)) {
		err = -errno;
		benchrx_err("reading the counters: %s", strerror(-err));
		return err;
	}
	for (b = 0; b < BENCHRX_LAT_BUCKETS; b++) {
		if (bpf_map_lookup_elem(hfd, &b, &hist[b])) {
			err = -errno;
			benchrx_err("reading the latency histogram: %s", strerror(-err));
			return err;
		}
		total += hist[b];
	}
	if (s.packets)
		snprintf(seqs, sizeof(seqs), "%" PRIu64 ", \"last_seq\": %" PRIu64,
			 (uint64_t)s.first_seq, (uint64_t)s.last_seq);
	else
		snprintf(seqs, sizeof(seqs), "null, \"last_seq\": null");
	printf("{\"mode\": \"sub\", \"packets\": %" PRIu64
	       ", \"first_seq\": %s, \"breaks\": %" PRIu64 ", \"samples\": %" PRIu64
	       ", \"future\": %" PRIu64 ", ",
	       (uint64_t)s.packets, seqs, (uint64_t)s.breaks, (uint64_t)s.samples,
	       (uint64_t)s.future);
	if (total)
		printf("\"lat_min_ns\": %" PRIu64 ", \"lat_p50_ns\": %" PRIu64
		       ", \"lat_p99_ns\": %" PRIu64 ", \"lat_p999_ns\": %" PRIu64
		       ", \"lat_max_ns\": %" PRIu64 "}\n",
		       (uint64_t)s.lat_min_ns,
		       (uint64_t)benchrx_quantile(hist, total, 0.5, s.lat_max_ns),
		       (uint64_t)benchrx_quantile(hist, total, 0.99, s.lat_max_ns),
		       (uint64_t)benchrx_quantile(hist, total, 0.999, s.lat_max_ns),
		       (uint64_t)s.lat_max_ns);
	else
		printf("\"lat_min_ns\": null, \"lat_p50_ns\": null, \"lat_p99_ns\": null, "
		       "\"lat_p999_ns\": null, \"lat_max_ns\": null}\n");
	return 0;
}

/* drop and sub: wait for the signal, detach, print. 0 or -errno after a message. */
static int benchrx_run_xdp(const struct benchrx_opts *o, struct benchrx *skel, int link_fd,
			   const struct rusage *ru0)
{
	struct benchrx_count c;
	int err;

	benchrx_wait_signal();
	(void)close(link_fd);
	if (o->mode == BENCHRX_SUB)
		return benchrx_print_sub(skel);
	err = benchrx_read_count(skel, &c);
	if (err)
		return err;
	printf("{\"mode\": \"drop\", \"packets\": %" PRIu64 ", \"bytes\": %" PRIu64 ", ",
	       (uint64_t)c.packets, (uint64_t)c.bytes);
	benchrx_print_rusage(ru0);
	printf("}\n");
	return 0;
}

/*
 * xsk: the socket is bound and in the XSKMAP before the program is attached, so no frame is
 * passed for want of a socket. 0 or -errno after a message.
 */
static int benchrx_run_xsk(const struct benchrx_opts *o, struct benchrx *skel)
{
	__u64 packets, n, rx_dropped = 0, rx_invalid = 0, ring_full = 0, fill_empty = 0, tx_invalid;
	int xsks_fd = bpf_map__fd(skel->maps.brx_xsks), link_fd, err;
	struct benchrx_count c;
	struct rusage ru0;
	struct umem *u;
	char why[256];

	err = umem_create(o->dev, o->queue, UMEM_F_TRY_ZEROCOPY, xsks_fd, &u, why, sizeof(why));
	if (err) {
		benchrx_err("%s: %s", o->dev, why);
		return err;
	}
	if (!u->zerocopy)
		benchrx_err("note: %s queue %u in copy mode: %s", o->dev, o->queue, u->mode_why);
	link_fd = benchrx_attach(o, skel->progs.benchrx_xsk);
	if (link_fd < 0) {
		err = link_fd;
		goto out_destroy;
	}
	err = benchrx_ready(o->ready_file);
	if (err) {
		(void)close(link_fd);
		goto out_destroy;
	}
	(void)getrusage(RUSAGE_SELF, &ru0);
	packets = benchrx_xsk_loop(u);
	(void)close(link_fd);
	/* Detached: what the kernel redirected before is in the ring now. */
	while ((n = benchrx_xsk_take(u)))
		packets += n;
	err = benchrx_read_count(skel, &c);
	if (err)
		goto out_destroy;
	err = umem_stats(u, &rx_dropped, &rx_invalid, &ring_full, &fill_empty, &tx_invalid);
	if (err) {
		benchrx_err("reading the socket's statistics: %s", strerror(-err));
		goto out_destroy;
	}
	printf("{\"mode\": \"xsk\", \"packets\": %" PRIu64 ", \"redirected\": %" PRIu64
	       ", \"rx_dropped\": %" PRIu64 ", \"rx_ring_full\": %" PRIu64
	       ", \"fill_ring_empty\": %" PRIu64 ", \"zerocopy\": %s, ",
	       (uint64_t)packets, (uint64_t)c.packets, (uint64_t)rx_dropped, (uint64_t)ring_full,
	       (uint64_t)fill_empty, u->zerocopy ? "true" : "false");
	benchrx_print_rusage(&ru0);
	printf("}\n");
out_destroy:
	umem_destroy(u, o->queue, xsks_fd);
	return err;
}

int main(int argc, char **argv)
{
	struct benchrx_opts o;
	struct benchrx *skel;
	struct rusage ru0;
	struct sigaction sa;
	int err, link_fd;

	err = benchrx_parse_args(argc, argv, &o);
	if (err)
		return err > 0 ? 0 : 2;
	libbpf_set_print(benchrx_libbpf_print);

	o.ifindex = if_nametoindex(o.dev);
	if (!o.ifindex) {
		benchrx_err("no interface '%s' in this network namespace", o.dev);
		return 1;
	}
	if (o.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			benchrx_err("--cpu %d: %s", o.cpu, strerror(errno));
			return 1;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = benchrx_on_signal; /* no SA_RESTART: poll returns at once */
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);

	skel = benchrx_load(&o);
	if (!skel)
		return 1;
	if (o.mode == BENCHRX_XSK) {
		err = benchrx_run_xsk(&o, skel);
		goto out_destroy;
	}
	link_fd = benchrx_attach(&o, benchrx_prog(skel, o.mode));
	if (link_fd < 0) {
		err = link_fd;
		goto out_destroy;
	}
	err = benchrx_ready(o.ready_file);
	if (err) {
		(void)close(link_fd);
		goto out_destroy;
	}
	(void)getrusage(RUSAGE_SELF, &ru0);
	err = benchrx_run_xdp(&o, skel, link_fd, &ru0);
out_destroy:
	fflush(stdout);
	benchrx__destroy(skel);
	return err ? 1 : 0;
}
