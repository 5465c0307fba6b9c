// SPDX-License-Identifier: MIT
/*
 * xrelay-dataplane: attaches the XDP program to one interface (or, in socket mode, receives
 * on channel sockets: sockrx.h), runs one worker per rx queue,
 * and from its main thread keeps the heartbeat, the clock offset and the socket counters,
 * follows the channel config (follow.h: snapshots for the workers, captured groups, release of
 * removed channels), tells systemd it is ready and alive (sdnotify.h), and handles signals
 * (INT/TERM stop, HUP rotates). Retention runs in a thread of its own (retain.h). Over 500 lines: a
 * third of it is the usage text and the flags, the rest the start and stop order in one place.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "books.h"
#include "budget.h"
#include "dp.h"
#include "follow.h"
#include "retain.h"
#include "sockrx.h"
#include "worker.h"
#include "xdp.h"
#include "xrelay/bpffs.h"
#include "xrelay/cli.h"
#include "xrelay/log.h"
#include "xrelay/name.h"
#include "xrelay/sdnotify.h"

#define TICK_MS 20
#define HEARTBEAT_MS 250

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: xrelay-dataplane --iface IF [OPTIONS]\n"
		"Captures the channels' UDP traffic on IF with XDP and AF_XDP (or UDP sockets),\n"
		"records it into Avro files and re-sends it to the channels' destinations. Channels\n"
		"are managed through xrelay-api (or any editor of the pinned maps) and followed live.\n"
		"\n"
		"  --iface IF              the capture interface (required; lo too in socket mode)\n"
		"  --mode xdp|socket|auto  XDP and AF_XDP, or UDP sockets with io_uring (any\n"
		"                          interface, IP fragments reassembled); default auto: XDP\n"
		"                          where it attaches, else sockets\n"
		"  --rcvbuf-kb N           socket mode: each channel socket's receive buffer\n"
		"                          (default 16384)\n"
		"  --max-datagram N        socket mode: longest payload recorded whole (default\n"
		"                          8016; longer ones are counted as truncated)\n"
		"  --sock-buffers auto|ring|provide  socket mode: a provided-buffer ring (5.19+)\n"
		"                          or IORING_OP_PROVIDE_BUFFERS (default auto: the ring\n"
		"                          where the kernel has one)\n"
		"  --out DIR               where files go: DIR/<channel>/ (default /var/lib/xrelay)\n"
		"  --pin-dir DIR           pinned maps (default %s)\n"
		"  --xdp-mode MODE         native, generic or auto (default: native, else generic)\n"
		"  --queues all|N          rx queues to serve (default all)\n"
		"  --cpus LIST             pin worker i to the i-th CPU of LIST (e.g. 2,3 or 2-5)\n"
		"  --rotate-bytes N        start a new file past N bytes (default 1 GiB)\n"
		"  --rotate-seconds N      start a new file after N seconds (default 3600)\n"
		"  --flush-ms N            longest a packet waits in memory before its block is\n"
		"                          written (default 100)\n"
		"  --codec null|deflate|snappy  Avro block codec of channels that name none\n"
		"                          (default null)\n"
		"  --busy-poll             poll the sockets busily (lowest latency, a full core)\n"
		"  --io-cpus LIST          run the io_uring workers that write the files on these\n"
		"                          CPUs (default: each on its worker's CPU)\n"
		"  --spin-us N             a worker keeps polling its ring N us after the last\n"
		"                          frame before it sleeps (default 50; 0: sleep at once)\n"
		"  --nic-timestamps        use the NIC's receive timestamps where the driver gives\n"
		"                          them (its clock must run on UTC, e.g. phc2sys -O 0);\n"
		"                          default: the kernel clock at XDP\n"
		"  --xsk-tx on|off         send to IPv4 groups out of IF through the AF_XDP tx\n"
		"                          ring, no socket (default on; off: sockets for all)\n"
		"  --buffer-mb N           memory for all record blocks together (default: an eighth\n"
		"                          of the RAM, 64 to 1024); past it records are dropped and\n"
		"                          counted as buffer_full\n"
		"  --fsync close|never     sync a closed file, rename it, sync its folder (default\n"
		"                          close: a closed .avro survives a power loss); never: just\n"
		"                          rename\n"
		"  --keep-free PERCENT%%|SIZE  keep this much of the output folder's file system\n"
		"                          free by removing the oldest closed files (default 10%%;\n"
		"                          SIZE in bytes or with K, M, G, T; 0 = off)\n"
		"  -v, --verbose           debug logging\n"
		"  -h, --help              this text\n"
		"Signals: INT/TERM flush and close every file and exit; HUP starts new files now.\n",
		MAPCTL_DEFAULT_PIN_DIR);
}

/* A CPU list like 2,3 or 2-5 for @flag into @cpus (at most XRELAY_MAX_QUEUES), count in *@n. */
static int parse_cpus(const char *s, const char *flag, int *cpus, unsigned int *n)
{
	const char *p = s;
	long a, b;
	char *end;

	*n = 0;
	while (*p) {
		a = strtol(p, &end, 10);
		if (end == p || a < 0 || a >= CPU_SETSIZE)
			goto bad;
		b = a;
		p = end;
		if (*p == '-') {
			b = strtol(p + 1, &end, 10);
			if (end == p + 1 || b < a || b >= CPU_SETSIZE)
				goto bad;
			p = end;
		}
		for (; a <= b; a++) {
			if (*n == XRELAY_MAX_QUEUES)
				goto bad;
			cpus[(*n)++] = (int)a;
		}
		if (*p == ',')
			p++;
		else if (*p)
			goto bad;
	}
	if (*n)
		return 0;
bad:
	pr_warn("%s takes a list like 2,3 or 2-5, got '%s'", flag, s);
	return -EINVAL;
}

/* Active rx queues of @ifname, from /sys/class/net/IF/queues/rx-*. */
static unsigned int rx_queues(const char *ifname)
{
	char path[128];
	struct dirent *de;
	unsigned int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", ifname);
	d = opendir(path);
	if (!d)
		return 1;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "rx-", 3))
			n++;
	closedir(d);
	return n ? n : 1;
}

/* Leftover .part files from a crash: cut back to their last whole block and renamed. */
static void recover_leftovers(int out_fd, const char *out_dir)
{
	DIR *top = fdopendir(dup(out_fd));
	struct dirent *de;

	if (!top)
		return;
	while ((de = readdir(top))) {
		struct ocf_recover_info info;
		struct dirent *fe;
		DIR *cd;
		int dfd;

		if (!name_valid(de->d_name))
			continue;
		dfd = openat(out_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd < 0)
			continue;
		cd = fdopendir(dfd);
		if (!cd) {
			close(dfd);
			continue;
		}
		while ((fe = readdir(cd))) {
			size_t n = strlen(fe->d_name);
			int r;

			if (n < 10 || strcmp(fe->d_name + n - 10, ".avro.part"))
				continue;
			r = ocf_recover(dfd, fe->d_name, OCF_F_DROP_EMPTY, &info);
			if (r < 0)
				pr_warn("%s/%s/%s: left as it is: %s", out_dir, de->d_name,
					fe->d_name, strerror(-r));
			else
				pr_info("%s/%s/%s: recovered %llu records", out_dir, de->d_name,
					fe->d_name, (unsigned long long)info.records);
		}
		closedir(cd);
	}
	closedir(top);
}

/* CLOCK_REALTIME - CLOCK_MONOTONIC in ns, from the narrowest of 5 bracketed readings. */
static __s64 clock_offset(void)
{
	__u64 best = UINT64_MAX;
	__s64 off = 0;
	int i;

	for (i = 0; i < 5; i++) {
		__u64 m0 = dp_now_mono(), r = dp_now_real(), m1 = dp_now_mono();

		if (m1 - m0 < best) {
			best = m1 - m0;
			off = (__s64)(r - (m0 + (m1 - m0) / 2));
		}
	}
	return off;
}

/* No dataplane any more: what the API's "running" reads. */
static void heartbeat_clear(struct dp *dp)
{
	struct xrelay_meta *meta = mapctl_meta(dp->m);

	__atomic_store_n(&meta->dp_pid, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&meta->heartbeat_ns, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&meta->dp_mode, XRELAY_MODE_NONE, __ATOMIC_RELEASE);
	__atomic_store_n(&meta->dp_mode_why, XRELAY_MODE_WHY_NONE, __ATOMIC_RELAXED);
	__atomic_store_n(&meta->dp_sock_bufs, XRELAY_SOCK_BUFS_NONE, __ATOMIC_RELAXED);
}

/* Alive: the beat, the clock offset and the sockets' statistics. Workers must exist. */
static void heartbeat(struct dp *dp)
{
	struct xrelay_meta *meta = mapctl_meta(dp->m);
	struct xrelay_queue_stats st;
	__s64 off;
	unsigned int q;

	/*
	 * The XDP program stamps CLOCK_MONOTONIC; files want UTC. Re-measured every beat from the
	 * tightest of a few (monotonic, real, monotonic) readings, so a preemption between two
	 * reads cannot skew every timestamp until the next beat.
	 */
	off = clock_offset();
	__atomic_store_n(&dp->mono_to_real, off, __ATOMIC_RELAXED);
	for (q = 0; q < dp->nqueues; q++) {
		struct xrelay_queue_stats *row = &mapctl_queue_stats(dp->m)[q];

		if (worker_xsk_stats(dp->workers[q], &st))
			continue;
		__atomic_store_n(&row->rx_dropped, st.rx_dropped, __ATOMIC_RELAXED);
		__atomic_store_n(&row->rx_invalid_descs, st.rx_invalid_descs, __ATOMIC_RELAXED);
		__atomic_store_n(&row->rx_ring_full, st.rx_ring_full, __ATOMIC_RELAXED);
		__atomic_store_n(&row->rx_fill_ring_empty, st.rx_fill_ring_empty, __ATOMIC_RELAXED);
		__atomic_store_n(&row->tx_invalid_descs, st.tx_invalid_descs, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&meta->heartbeat_ns, dp_now_mono(), __ATOMIC_RELEASE);
}

/* An eighth of the RAM, from 64 to 1024 MiB: room for 16-128 shards at full depth. */
static __u64 default_buffer_mb(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	__u64 mb = pages > 0 && page > 0 ? ((__u64)pages * (__u64)page >> 20) / 8 : 256;

	return mb < 64 ? 64 : mb > 1024 ? 1024 : mb;
}

/* Socket mode: the workers' received bytes into channel_stats (sockrx_publish). */
static void publish_rx(struct dp *dp)
{
	static __u64 published[XRELAY_MAX_CHANNELS];
	struct sockrx *srs[XRELAY_MAX_QUEUES];
	unsigned int q;

	if (dp->o.mode != XRELAY_MODE_SOCKET)
		return;
	for (q = 0; q < dp->nqueues; q++)
		srs[q] = worker_sockrx(dp->workers[q]);
	(void)sockrx_publish(dp->m, srs, dp->nqueues, published);
}

int main(int argc, char **argv)
{
	static struct budget budget;
	static const struct option longopts[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "out", required_argument, NULL, 'o' },
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "xdp-mode", required_argument, NULL, 'x' },
		{ "queues", required_argument, NULL, 'q' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "rotate-bytes", required_argument, NULL, 'B' },
		{ "rotate-seconds", required_argument, NULL, 'S' },
		{ "flush-ms", required_argument, NULL, 'F' },
		{ "codec", required_argument, NULL, 'C' },
		{ "busy-poll", no_argument, NULL, 'b' },
		{ "nic-timestamps", no_argument, NULL, 'T' },
		{ "xsk-tx", required_argument, NULL, 'X' },
		{ "fsync", required_argument, NULL, 'Y' },
		{ "buffer-mb", required_argument, NULL, 'M' },
		{ "spin-us", required_argument, NULL, 'U' },
		{ "io-cpus", required_argument, NULL, 'W' },
		{ "keep-free", required_argument, NULL, 'K' },
		{ "mode", required_argument, NULL, 'm' },
		{ "rcvbuf-kb", required_argument, NULL, 'R' },
		{ "max-datagram", required_argument, NULL, 'D' },
		{ "sock-buffers", required_argument, NULL, 'G' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct dp dp = {
		.o = {
			.out_dir = "/var/lib/xrelay",
			.pin_dir = MAPCTL_DEFAULT_PIN_DIR,
			.rotate_bytes = 1ull << 30,
			.rotate_seconds = 3600,
			.flush_ms = 100,
			.spin_us = 50,
			.codec = OCF_CODEC_NULL,
			.rcvbuf = 16384 << 10,
			.max_datagram = 8192 - SOCKRX_HDR_LEN,
		},
		.out_fd = -1,
	};
	struct xdp_link link = { .link_fd = -1 };
	struct retain_keep keep = { .value = 10, .percent = true };
	struct retain *retain = NULL;
	__u64 watchdog_ns = sdnotify_watchdog_usec() * 500, last_dog = 0;
	char err[512] = "";
	struct xrelay_meta *meta;
	__u64 v, last_beat = 0;
	unsigned int q;
	sigset_t set;
	int c, r, sig, rc = 1, online;
	enum { WANT_AUTO, WANT_XDP, WANT_SOCKET } want = WANT_AUTO;
	struct timespec tick = { .tv_nsec = TICK_MS * 1000000 };

	log_set_prog("xrelay-dataplane");
	log_route_libbpf();
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			dp.o.ifname = optarg;
			break;
		case 'o':
			dp.o.out_dir = optarg;
			break;
		case 'p':
			dp.o.pin_dir = optarg;
			break;
		case 'x':
			if (!strcmp(optarg, "native"))
				dp.o.xdp_mode = XRELAY_MODE_XDP_NATIVE;
			else if (!strcmp(optarg, "generic"))
				dp.o.xdp_mode = XRELAY_MODE_XDP_GENERIC;
			else if (!strcmp(optarg, "auto"))
				dp.o.xdp_mode = 0;
			else {
				pr_warn("--xdp-mode takes native, generic or auto, got '%s'",
					optarg);
				return 2;
			}
			break;
		case 'q':
			if (!strcmp(optarg, "all"))
				dp.o.queues = 0;
			else if (cli_parse_u64("--queues", optarg, 1, XRELAY_MAX_QUEUES, &v))
				return 2;
			else
				dp.o.queues = (unsigned int)v;
			break;
		case 'c':
			if (parse_cpus(optarg, "--cpus", dp.o.cpus, &dp.o.ncpus))
				return 2;
			break;
		case 'B':
			if (cli_parse_u64("--rotate-bytes", optarg, 4096, 1ull << 50,
					  &dp.o.rotate_bytes))
				return 2;
			break;
		case 'S':
			if (cli_parse_u64("--rotate-seconds", optarg, 1, 366ull * 86400,
					  &dp.o.rotate_seconds))
				return 2;
			break;
		case 'F':
			if (cli_parse_u64("--flush-ms", optarg, 1, 60000, &dp.o.flush_ms))
				return 2;
			break;
		case 'C':
			if (ocf_codec_parse(optarg, &dp.o.codec)) {
				pr_warn("--codec takes null, deflate or snappy, got '%s'", optarg);
				return 2;
			}
			break;
		case 'b':
			dp.o.busy_poll = true;
			break;
		case 'T':
			dp.o.nic_timestamps = true;
			break;
		case 'W': {
			int cpus[XRELAY_MAX_QUEUES];
			unsigned int n, i;

			if (parse_cpus(optarg, "--io-cpus", cpus, &n))
				return 2;
			CPU_ZERO(&dp.o.io_cpus);
			for (i = 0; i < n; i++)
				CPU_SET(cpus[i], &dp.o.io_cpus);
			break;
		}
		case 'U':
			if (cli_parse_u64("--spin-us", optarg, 0, 1000000, &dp.o.spin_us))
				return 2;
			break;
		case 'X':
			if (strcmp(optarg, "on") && strcmp(optarg, "off")) {
				pr_warn("--xsk-tx: '%s' is neither on nor off", optarg);
				return 2;
			}
			dp.o.xsk_tx_off = !strcmp(optarg, "off");
			break;
		case 'M':
			if (cli_parse_u64("--buffer-mb", optarg, 8, 1ull << 20, &dp.o.buffer_mb))
				return 2;
			break;
		case 'Y':
			if (strcmp(optarg, "close") && strcmp(optarg, "never")) {
				pr_warn("--fsync: '%s' is neither close nor never", optarg);
				return 2;
			}
			dp.o.fsync_never = !strcmp(optarg, "never");
			break;
		case 'K':
			if (retain_parse_keep(optarg, &keep)) {
				pr_warn("--keep-free takes a percentage (0%%-99%%) or a size (512M, "
					"20G, a number of bytes; 0 = off), got '%s'",
					optarg);
				return 2;
			}
			break;
		case 'm':
			if (!strcmp(optarg, "xdp"))
				want = WANT_XDP;
			else if (!strcmp(optarg, "socket"))
				want = WANT_SOCKET;
			else if (!strcmp(optarg, "auto"))
				want = WANT_AUTO;
			else {
				pr_warn("--mode takes xdp, socket or auto, got '%s'", optarg);
				return 2;
			}
			break;
		case 'R':
			if (cli_parse_u64("--rcvbuf-kb", optarg, 4, 1u << 20, &v))
				return 2;
			dp.o.rcvbuf = (size_t)v << 10;
			break;
		case 'D':
			if (cli_parse_u64("--max-datagram", optarg, 1, 65507, &v))
				return 2;
			dp.o.max_datagram = (__u32)v;
			break;
		case 'G':
			if (!strcmp(optarg, "auto"))
				dp.o.sock_bufs = SOCKRX_BUFS_AUTO;
			else if (!strcmp(optarg, "ring"))
				dp.o.sock_bufs = SOCKRX_BUFS_RING;
			else if (!strcmp(optarg, "provide"))
				dp.o.sock_bufs = SOCKRX_BUFS_PROVIDE;
			else {
				pr_warn("--sock-buffers takes auto, ring or provide, got '%s'",
					optarg);
				return 2;
			}
			break;
		case 'v':
			log_level = LOG_LEVEL_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc || !dp.o.ifname) {
		pr_warn(optind < argc ? "unexpected argument '%s'" : "--iface is required",
			optind < argc ? argv[optind] : "");
		usage(stderr);
		return 2;
	}
	dp.ifindex = (int)if_nametoindex(dp.o.ifname);
	if (!dp.ifindex) {
		pr_warn("interface %s does not exist (ip link show lists them)", dp.o.ifname);
		return 1;
	}

	/* The output folder: created if missing, and it must take files. */
	if (mkdir(dp.o.out_dir, 0755) && errno != EEXIST) {
		pr_warn("cannot create the output folder %s: %s", dp.o.out_dir, strerror(errno));
		return 1;
	}
	dp.out_fd = open(dp.o.out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dp.out_fd < 0 || faccessat(dp.out_fd, ".", W_OK, AT_EACCESS)) {
		pr_warn("the output folder %s is not writable: %s", dp.o.out_dir, strerror(errno));
		return 1;
	}
	/*
	 * One dataplane per output folder, held for the process's life: a second one must not
	 * "recover" the .part files the first is writing.
	 */
	if (flock(dp.out_fd, LOCK_EX | LOCK_NB)) {
		pr_warn("another xrelay-dataplane writes into %s (its lock is held); one per --out",
			dp.o.out_dir);
		return 1;
	}
	r = bpffs_ensure(dp.o.pin_dir, BPFFS_DEFAULT_MOUNT, err, sizeof(err));
	if (r < 0) {
		pr_warn("%s", err);
		return 1;
	}
	if (r == 1)
		pr_info("mounted the BPF file system at %s", BPFFS_DEFAULT_MOUNT);
	r = mapctl_open(dp.o.pin_dir, MAPCTL_F_CREATE, &dp.m, err, sizeof(err));
	if (r) {
		pr_warn("%s", err);
		return 1;
	}
	meta = mapctl_meta(dp.m);
	if (meta->dp_pid && (__u32)getpid() != meta->dp_pid &&
	    mapctl_dataplane_alive(dp.m, MAPCTL_HEARTBEAT_FRESH_MS, NULL)) {
		pr_warn("another dataplane (pid %u) serves the maps in %s; one per pin directory",
			meta->dp_pid, dp.o.pin_dir);
		goto out_maps;
	}
	recover_leftovers(dp.out_fd, dp.o.out_dir);
	{
		const struct retain_opts ro = {
			.out_fd = dp.out_fd, .out_dir = dp.o.out_dir, .m = dp.m, .keep = keep
		};

		r = retain_new(&ro, &retain);
		if (r) {
			pr_warn("cannot set up retention: %s", strerror(-r));
			goto out_maps;
		}
		if (!keep.value)
			pr_info("--keep-free 0: only the channels' own retention limits apply");
		else
			pr_info("retention keeps %llu%s of %s's file system free (--keep-free)",
				(unsigned long long)keep.value, keep.percent ? "%" : " bytes",
				dp.o.out_dir);
	}
	budget.limit = (dp.o.buffer_mb ? dp.o.buffer_mb : default_buffer_mb()) << 20;
	dp.budget = &budget;
	pr_info("record blocks may take %llu MiB in all (--buffer-mb)",
		(unsigned long long)(budget.limit >> 20));
	{
		unsigned int nch = 0;
		__u64 died = 0;

		r = books_settle_died(dp.m, &died, &nch);
		if (r)
			pr_warn("cannot settle the books of the dataplane before: %s",
				strerror(-r));
		else if (died)
			pr_warn("%llu datagram(s) of %u channel(s) were taken off the wire by a "
				"dataplane that died before settling them; counted as "
				"dataplane_died",
				(unsigned long long)died, nch);
	}

	r = want == WANT_SOCKET ? -EOPNOTSUPP
				: xdp_link_attach(dp.m, dp.ifindex, dp.o.ifname, dp.o.xdp_mode,
						  dp.o.nic_timestamps, &link, err, sizeof(err));
	if (r && want == WANT_XDP) {
		pr_warn("%s", err);
		goto out_maps;
	}
	if (r) {
		if (want == WANT_AUTO)
			pr_warn("%s", err);
		dp.o.mode = XRELAY_MODE_SOCKET;
		dp.mode_why =
			want == WANT_AUTO ? XRELAY_MODE_WHY_AUTO_NO_XDP : XRELAY_MODE_WHY_ASKED;
		pr_info("socket mode (%s): UDP sockets with io_uring on %s, IP fragments reassembled "
			"by the kernel; receive buffer %zu KiB a socket, datagrams up to %u bytes",
			want == WANT_AUTO ? "--mode auto, and XDP would not attach"
					  : "--mode socket",
			dp.o.ifname, dp.o.rcvbuf >> 10, dp.o.max_datagram);
	} else {
		pr_info("XDP program attached to %s in %s mode (%s); timestamps: %s", dp.o.ifname,
			link.mode == XRELAY_MODE_XDP_NATIVE ? "native (driver)" : "generic (skb)",
			want == WANT_AUTO ? "--mode auto" : "--mode xdp",
			link.hw_ts ? "the NIC's where it gives one, else the kernel clock"
				   : "the kernel clock at XDP");
		if (dp.o.xdp_mode == 0 && link.mode == XRELAY_MODE_XDP_GENERIC)
			pr_info("native XDP was refused on %s; generic mode is slower",
				dp.o.ifname);
		dp.o.mode = dp.o.xdp_mode = link.mode;
		dp.mode_why = want == WANT_AUTO ? XRELAY_MODE_WHY_AUTO_XDP : XRELAY_MODE_WHY_ASKED;
	}

	dp.nqueues = rx_queues(dp.o.ifname);
	if (dp.o.queues && dp.o.queues < dp.nqueues)
		dp.nqueues = dp.o.queues;
	if (dp.nqueues > XRELAY_MAX_QUEUES)
		dp.nqueues = XRELAY_MAX_QUEUES;
	r = follow_new(dp.m, dp.ifindex, dp.o.ifname, dp.nqueues, &dp.follow);
	if (r) {
		pr_warn("cannot follow the channel config: %s", strerror(-r));
		goto out_workers;
	}
	online = (int)sysconf(_SC_NPROCESSORS_ONLN);
	/* Zero-copy for /stats only if every queue has it; each queue's reason is logged. */
	dp.zerocopy = true;
	for (q = 0; q < dp.nqueues; q++) {
		int cpu =
			dp.o.ncpus ? dp.o.cpus[q % dp.o.ncpus] : (int)q % (online > 0 ? online : 1);
		const char *why;
		bool zc;

		r = worker_create(&dp, q, cpu, &dp.workers[q], err, sizeof(err));
		if (r) {
			pr_warn("%s", err);
			goto out_workers;
		}
		zc = worker_zerocopy(dp.workers[q], &why);
		if (dp.o.mode == XRELAY_MODE_SOCKET)
			pr_info("queue %u: receive buffers through %s, worker on CPU %d", q,
				worker_sock_bufs(dp.workers[q]) == XRELAY_SOCK_BUFS_RING
					? "a provided-buffer ring (IORING_REGISTER_PBUF_RING)"
					: "IORING_OP_PROVIDE_BUFFERS",
				cpu);
		else
			pr_info("queue %u: AF_XDP socket in %s mode%s%s, worker on CPU %d", q,
				zc ? "zero-copy" : "copy", zc ? "" : ": ", zc ? "" : why, cpu);
		dp.zerocopy = dp.zerocopy && zc;
	}

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	heartbeat(&dp);
	for (q = 0; q < dp.nqueues; q++) {
		r = worker_start(dp.workers[q]);
		if (r) {
			pr_warn("queue %u: cannot start its worker: %s", q, strerror(-r));
			__atomic_store_n(&dp.stop, 1, __ATOMIC_RELEASE);
			goto out_join;
		}
	}
	/* Whole, NUL and all: an earlier dataplane's longer name must not show through. */
	memset(meta->ifname, 0, sizeof(meta->ifname));
	memcpy(meta->ifname, dp.o.ifname, strnlen(dp.o.ifname, XRELAY_IFNAME_LEN - 1));
	meta->ifindex = (__u32)dp.ifindex;
	meta->nqueues = dp.nqueues;
	meta->xsk_zerocopy = dp.zerocopy;
	meta->dp_mode_why = dp.mode_why;
	meta->dp_sock_bufs = (__u32)worker_sock_bufs(dp.workers[0]);
	__atomic_store_n(&meta->dp_mode, (__u32)dp.o.mode, __ATOMIC_RELEASE);
	__atomic_store_n(&meta->dp_pidns, mapctl_pidns_self(), __ATOMIC_RELAXED);
	__atomic_store_n(&meta->dp_pid, (__u32)getpid(), __ATOMIC_RELEASE);
	pr_info("serving %u queue(s) of %s; files in %s; maps in %s", dp.nqueues, dp.o.ifname,
		dp.o.out_dir, dp.o.pin_dir);
	r = retain_start(retain);
	if (r)
		pr_warn("cannot start the retention thread: %s; files are not removed",
			strerror(-r));
	(void)sdnotify("READY=1\nSTATUS=recording");

	for (;;) {
		sig = sigtimedwait(&set, NULL, &tick);
		if (sig == SIGINT || sig == SIGTERM) {
			pr_info("stopping (%s): closing every file", strsignal(sig));
			(void)sdnotify("STOPPING=1");
			break;
		}
		if (sig == SIGHUP) {
			pr_info("SIGHUP: starting new files");
			__atomic_add_fetch(&dp.rotate_epoch, 1, __ATOMIC_RELEASE);
		}
		follow_tick(dp.follow);
		publish_rx(&dp);
		if (dp_now_mono() - last_beat >= HEARTBEAT_MS * 1000000ull) {
			heartbeat(&dp);
			last_beat = dp_now_mono();
		}
		/* Half the interval systemd asks for: the loop runs, so follow and beat do. */
		if (watchdog_ns && dp_now_mono() - last_dog >= watchdog_ns) {
			(void)sdnotify("WATCHDOG=1");
			last_dog = dp_now_mono();
		}
	}
	rc = 0;
	/*
	 * Ingest stops first: with XDP detached no frame reaches the rings any more, so the
	 * workers can take every frame still there, then close every file. (Socket mode: each
	 * worker closes its sockets, then takes what its receives had.)
	 */
	xdp_link_detach(&link);
	__atomic_store_n(&dp.stop, 1, __ATOMIC_RELEASE);
out_join:
	for (q = 0; q < dp.nqueues; q++)
		worker_join(dp.workers[q]);
	/* Files are closed: removals that waited on them can be released now. */
	follow_tick(dp.follow);
	publish_rx(&dp);
out_workers:
	xdp_link_detach(&link);
	for (q = 0; q < dp.nqueues; q++)
		worker_destroy(dp.workers[q]);
	follow_free(dp.follow);
	heartbeat_clear(&dp);
	pr_info("%s %s; the pinned maps stay in %s",
		dp.o.mode == XRELAY_MODE_SOCKET ? "stopped receiving on" : "detached from",
		dp.o.ifname, dp.o.pin_dir);
out_maps:
	retain_free(retain);
	mapctl_close(dp.m);
	close(dp.out_fd);
	return rc;
}
