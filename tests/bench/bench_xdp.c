// SPDX-License-Identifier: MIT
/*
 * What the XDP program costs per packet, for hits and misses, through bpf_prog_test_run_opts.
 *
 * Each row is one call with a large repeat count (the kernel's own loop and timer):
 *  - hits run in BPF_F_TEST_XDP_LIVE_FRAMES mode: every frame starts fresh (plain test runs
 *    do not reset data_meta between repeats, so every hit after the first would take the
 *    "metadata refused" branch) and the redirect into the AF_XDP socket really happens (the
 *    socket's fill ring is empty, so the kernel drops the frame there, as a full ring would);
 *    two floors: an empty XDP_DROP program in the same mode (frame reset and recycling), and
 *    a program that only calls bpf_redirect_map into the same socket (plus the redirect);
 *    "program" is the row minus the redirect floor: what xrelay's parsing, look-ups,
 *    counters and metadata add to a bare redirect.
 *  - passes run as plain test runs (live mode would build an skb for each); the floor is an
 *    empty XDP_PASS program.
 * Every row is checked against the program's counters, so it measures the path it names.
 * Per-call timing (repeat = 1) is not used: after each syscall the caches are cold and the
 * figure is several times the steady-state cost. Times here are noisy: compare rows of one run.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/in.h>

#include "testenv.h"
#include "testpkt.h"
#include "testxsk.h"
#include "xrelay/mapctl.h"
#include "xrelay/xdpprog.h"

#define VETH "xrb0"

struct bench_case {
	const char *name;
	struct testpkt pkt;
	__u32 queue;
	__u32 verdict; /* XDP_REDIRECT rows run live, XDP_PASS rows plain */
};

static const struct bench_case cases[] = {
	{ "hit  IPv4 exact, 64 B payload -> redirect",
	  { .l3 = TESTPKT_V4, .dst = "239.1.1.1", .dport = 5000, .payload = 64 },
	  0,
	  XDP_REDIRECT },
	{ "hit  IPv4 wildcard, 64 B -> redirect",
	  { .l3 = TESTPKT_V4, .dst = "239.7.7.7", .dport = 5001, .payload = 64 },
	  0,
	  XDP_REDIRECT },
	{ "hit  IPv6 exact, 64 B -> redirect",
	  { .l3 = TESTPKT_V6, .dst = "ff0e::1", .dport = 6000, .payload = 64 },
	  0,
	  XDP_REDIRECT },
	{ "hit  IPv4 exact, 2 VLAN tags -> redirect",
	  { .l3 = TESTPKT_V4,
	    .vlans = 2,
	    .vlan_ad = 1,
	    .dst = "239.1.1.1",
	    .dport = 5000,
	    .payload = 64 },
	  0,
	  XDP_REDIRECT },
	{ "hit  IPv4 exact, 1000 B -> redirect",
	  { .l3 = TESTPKT_V4, .dst = "239.1.1.1", .dport = 5000, .payload = 1000 },
	  0,
	  XDP_REDIRECT },
	{ "hit  no socket on queue -> pass",
	  { .l3 = TESTPKT_V4, .dst = "239.1.1.1", .dport = 5000, .payload = 64 },
	  1,
	  XDP_PASS },
	{ "miss UDP, other port -> pass",
	  { .l3 = TESTPKT_V4, .dst = "239.1.1.1", .dport = 5999, .payload = 64 },
	  0,
	  XDP_PASS },
	{ "miss TCP -> pass",
	  { .l3 = TESTPKT_V4,
	    .dst = "239.1.1.1",
	    .dport = 5000,
	    .proto = IPPROTO_TCP,
	    .payload = 64 },
	  0,
	  XDP_PASS },
	{ "miss ARP -> pass", { .l3 = TESTPKT_ARP }, 0, XDP_PASS },
};

static int ifindex;

/* One test run of @repeat frames; live mode for @live. Returns 0 or -errno. */
static int run(int prog_fd, const __u8 *pkt, size_t len, __u32 queue, __u32 repeat, int live,
	       __u32 *retval, __u32 *duration)
{
	static __u8 out[4096];
	struct xdp_md ctx = {
		.data_end = (__u32)len,
		.ingress_ifindex = (__u32)ifindex,
		.rx_queue_index = queue,
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = (__u32)len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = repeat);
	int r;

	if (live) {
		opts.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
	} else {
		opts.data_out = out;
		opts.data_size_out = sizeof(out);
	}
	r = bpf_prog_test_run_opts(prog_fd, &opts);
	*retval = opts.retval;
	*duration = opts.duration;
	return r;
}

/* An empty program: r0 = @verdict; exit. The floor of any test run. */
static int load_empty(__u32 verdict)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K,
		  .dst_reg = BPF_REG_0,
		  .imm = (__s32)verdict },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "xrelay_empty", "GPL", insns, 2, NULL);
}

/* r0 = bpf_redirect_map(xsks, 0, 0): the floor for a redirect into the same socket. */
static int load_redirect_only(int xsks_fd)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_LD | BPF_DW | BPF_IMM,
		  .dst_reg = BPF_REG_1,
		  .src_reg = BPF_PSEUDO_MAP_FD,
		  .imm = xsks_fd },
		{ 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_3, .imm = 0 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_redirect_map },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "xrelay_redir", "GPL", insns, 6, NULL);
}

static int add(struct mapctl *m, const char *name, const char *addr, __u16 port)
{
	struct xrelay_channel_cfg cfg = {};
	__u32 id;

	snprintf(cfg.name, sizeof(cfg.name), "%s", name);
	if (mapctl_key_from_str(&cfg.key, addr, port))
		return -EINVAL;
	return mapctl_channel_add(m, &cfg, &id);
}

int main(int argc, char **argv)
{
	__u32 repeat = argc > 1 ? (__u32)atoi(argv[1]) : 5000000;
	struct xrelay_xdp_global g0, g1;
	struct xdpprog *prog = NULL;
	struct testxsk *xsk = NULL;
	struct mapctl *m = NULL;
	char pin[128], err[512];
	double floor_pass, floor_live, floor_redir;
	int pass_fd, drop_fd, redir_fd, r;
	__u32 ret, dur;
	size_t i, len;
	__u8 pkt[4096];

	snprintf(pin, sizeof(pin), "%s/xrelay", testenv_enter());
	if (testenv_sh("ip link add " VETH " numrxqueues 2 numtxqueues 2 type veth peer name xrb1"
		       " && ip link set " VETH " up && ip link set xrb1 up")) {
		fprintf(stderr, "cannot create a veth pair\n");
		return 1;
	}
	ifindex = (int)if_nametoindex(VETH);
	r = mapctl_open(pin, MAPCTL_F_CREATE, &m, err, sizeof(err));
	if (r) {
		fprintf(stderr, "mapctl_open: %s\n", err);
		return 1;
	}
	if (xdpprog_load(m, 0, &prog, NULL) || add(m, "exact4", "239.1.1.1", 5000) ||
	    add(m, "any", NULL, 5001) || add(m, "exact6", "ff0e::1", 6000) ||
	    testxsk_bind(VETH, 0, mapctl_fd(m, XRELAY_MAP_XSKS), &xsk)) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	pass_fd = load_empty(XDP_PASS);
	drop_fd = load_empty(XDP_DROP);
	redir_fd = load_redirect_only(mapctl_fd(m, XRELAY_MAP_XSKS));
	if (pass_fd < 0 || drop_fd < 0 || redir_fd < 0) {
		fprintf(stderr, "loading the empty programs: %s\n", strerror(errno));
		return 1;
	}
	len = testpkt_build(&cases[0].pkt, pkt, sizeof(pkt));
	if (run(pass_fd, pkt, len, 0, repeat, 0, &ret, &dur))
		return 1;
	floor_pass = dur;
	if (run(drop_fd, pkt, len, 0, repeat, 1, &ret, &dur))
		return 1;
	floor_live = dur;
	if (run(redir_fd, pkt, len, 0, repeat, 1, &ret, &dur))
		return 1;
	floor_redir = dur;

	printf("XDP program cost, ns per packet (bpf_prog_test_run_opts, repeat %u per row)\n",
	       repeat);
	printf("%-44s %6s %8s %8s %8s\n", "case", "mode", "ns/pkt", "floor", "program");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bench_case *c = &cases[i];
		int live = c->verdict == XDP_REDIRECT;
		double floor = live ? floor_redir : floor_pass;
		__u64 moved;

		len = testpkt_build(&c->pkt, pkt, sizeof(pkt));
		mapctl_xdp_global(m, &g0);
		r = run(xdpprog_fd(prog), pkt, len, c->queue, repeat, live, &ret, &dur);
		mapctl_xdp_global(m, &g1);
		if (r || (!live && ret != c->verdict)) {
			fprintf(stderr, "%s: run failed (%d) or verdict %u\n", c->name, r, ret);
			return 1;
		}
		moved = g1.redirected - g0.redirected;
		if (g1.packets - g0.packets != repeat || g1.meta_fail != g0.meta_fail ||
		    moved != (live ? repeat : 0)) {
			fprintf(stderr, "%s: %llu of %u runs redirected: another path was taken\n",
				c->name, (unsigned long long)moved, repeat);
			return 1;
		}
		printf("%-44s %6s %8.1f %8.1f %8.1f\n", c->name, live ? "live" : "plain",
		       (double)dur, floor, dur - floor);
	}
	printf("floors: live XDP_DROP %.1f ns, live redirect_map only %.1f ns, plain XDP_PASS "
	       "%.1f ns\n",
	       floor_live, floor_redir, floor_pass);

	close(pass_fd);
	close(drop_fd);
	close(redir_fd);
	testxsk_close(xsk);
	xdpprog_close(prog);
	mapctl_close(m);
	(void)testenv_sh("ip link del " VETH " 2>/dev/null");
	testenv_leave();
	return 0;
}
