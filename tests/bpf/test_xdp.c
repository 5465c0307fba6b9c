// SPDX-License-Identifier: MIT
/*
 * The XDP program run through bpf_prog_test_run_opts on a fixture table of crafted packets.
 * Each row names its verdict and every counter it must move; every other counter of every
 * channel and of the program must stay as it was. Redirected rows also check the metadata
 * block (channel id, per-(channel, queue) sequence from a model, timestamp inside the run) and
 * that the frame after it is byte-for-byte the input; passed rows check the frame is untouched.
 * Runs in its own netns (a 2-queue veth for rx_queue_index, an AF_XDP socket on queue 0 only)
 * and its own bpffs.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <bpf/bpf.h>
#include <linux/in.h>

#include "testenv.h"
#include "testpkt.h"
#include "testxsk.h"
#include "xrelay/mapctl.h"
#include "xrelay/xdpprog.h"

#define VETH "xrt0"
#define NCHAN 5
#define FRAME_MAX 9100

/* The fixture's channels. */
static const struct {
	const char *name;
	const char *addr; /* NULL = any address */
	__u16 port;
} chan_defs[NCHAN] = {
	{ "v4-exact", "239.1.1.1", 5000 }, { "any-5000", NULL, 5000 },
	{ "v6-exact", "ff0e::1", 6000 },   { "any-7000", NULL, 7000 },
	{ "removable", "10.0.0.1", 8000 },
};
enum { C_V4 = 0, C_ANY5000, C_V6, C_ANY7000, C_RM, C_NONE = -1 };

enum act { ACT_NONE = 0, ACT_REMOVE, ACT_ADD };
/* Which single global counter (besides `packets`) a row moves. */
enum gc { G_NONE = 0, G_NOT_IP, G_NOT_UDP, G_NO_MATCH, G_FRAG, G_MALFORMED, G_REDIRECTED };

struct row {
	const char *desc;
	struct testpkt pkt;
	/* the run */
	__u32 queue;
	enum act act; /* on the "removable" channel, before the packet */
	/* what must happen */
	__u32 verdict;
	int chan;	 /* channel whose rx counters move (or C_NONE) */
	int miss;	 /* redirect_miss on chan instead of a redirect */
	int frag_passed; /* frags_passed on chan, with rx: received, passed to the kernel */
	enum gc gc;
};

#define UDP4(d, p) .pkt.l3 = TESTPKT_V4, .pkt.dst = (d), .pkt.dport = (p)
#define UDP6(d, p) .pkt.l3 = TESTPKT_V6, .pkt.dst = (d), .pkt.dport = (p)
#define HIT(c) .verdict = XDP_REDIRECT, .chan = (c), .gc = G_REDIRECTED
#define PASS(g) .verdict = XDP_PASS, .chan = C_NONE, .gc = (g)

static const struct row rows[] = {
	{ "IPv4 exact hit", UDP4("239.1.1.1", 5000), .pkt.payload = 100, HIT(C_V4) },
	{ "IPv4 exact hit again: next sequence number", UDP4("239.1.1.1", 5000), .pkt.payload = 1,
	  HIT(C_V4) },
	{ "IPv4 wildcard hit", UDP4("239.9.9.9", 5000), .pkt.payload = 64, HIT(C_ANY5000) },
	{ "exact wins over wildcard", UDP4("239.1.1.1", 5000), .pkt.payload = 64, HIT(C_V4) },
	{ "IPv4 to another port", UDP4("239.1.1.1", 5001), .pkt.payload = 64, PASS(G_NO_MATCH) },
	{ "TCP to a channel port", UDP4("239.1.1.1", 5000), .pkt.proto = IPPROTO_TCP,
	  .pkt.payload = 20, PASS(G_NOT_UDP) },
	{ "ICMP", UDP4("239.1.1.1", 5000), .pkt.proto = IPPROTO_ICMP, .pkt.payload = 8,
	  PASS(G_NOT_UDP) },
	{ "ARP", .pkt.l3 = TESTPKT_ARP, PASS(G_NOT_IP) },
	{ "IPv6 exact hit", UDP6("ff0e::1", 6000), .pkt.payload = 200, HIT(C_V6) },
	{ "IPv6 other address, no wildcard on the port", UDP6("ff0e::2", 6000), .pkt.payload = 20,
	  PASS(G_NO_MATCH) },
	{ "IPv6 wildcard hit", UDP6("2001:db8::5", 7000), .pkt.payload = 20, HIT(C_ANY7000) },
	{ "IPv4 on an any-address channel", UDP4("192.0.2.9", 7000), .pkt.payload = 20,
	  HIT(C_ANY7000) },
	{ "one 802.1Q tag", UDP4("239.1.1.1", 5000), .pkt.vlans = 1, .pkt.payload = 64, HIT(C_V4) },
	{ "802.1ad + 802.1Q tags", UDP4("239.1.1.1", 5000), .pkt.vlans = 2, .pkt.vlan_ad = 1,
	  .pkt.payload = 64, HIT(C_V4) },
	{ "two 802.1Q tags, IPv6", UDP6("ff0e::1", 6000), .pkt.vlans = 2, .pkt.payload = 64,
	  HIT(C_V6) },
	{ "three tags: not parsed", UDP4("239.1.1.1", 5000), .pkt.vlans = 3, .pkt.payload = 64,
	  PASS(G_NOT_IP) },
	{ "IPv4 with options (ihl 8)", UDP4("239.1.1.1", 5000), .pkt.ip_opt_words = 3,
	  .pkt.payload = 64, HIT(C_V4) },
	{ "IPv4 first fragment to a channel", UDP4("239.1.1.1", 5000), .pkt.frag_off = 0x2000,
	  .pkt.payload = 64, .verdict = XDP_PASS, .chan = C_V4, .frag_passed = 1, .gc = G_FRAG },
	{ "IPv4 middle fragment", UDP4("239.1.1.1", 5000), .pkt.frag_off = 0x2000 | 100,
	  .pkt.payload = 64, PASS(G_FRAG) },
	{ "IPv4 last fragment", UDP4("239.1.1.1", 5000), .pkt.frag_off = 200, .pkt.payload = 64,
	  PASS(G_FRAG) },
	{ "IPv6 fragment header", UDP6("ff0e::1", 6000), .pkt.v6_nexthdr = 44, .pkt.payload = 64,
	  PASS(G_FRAG) },
	{ "IPv6 first fragment to a channel", UDP6("ff0e::1", 6000), .pkt.v6_frag = 1,
	  .pkt.payload = 64, .verdict = XDP_PASS, .chan = C_V6, .frag_passed = 1, .gc = G_FRAG },
	{ "IPv6 first fragment to an any-address channel", UDP6("2001:db8::5", 7000),
	  .pkt.v6_frag = 1, .pkt.payload = 64, .verdict = XDP_PASS, .chan = C_ANY7000,
	  .frag_passed = 1, .gc = G_FRAG },
	{ "IPv6 later fragment", UDP6("ff0e::1", 6000), .pkt.v6_frag = 2, .pkt.payload = 64,
	  PASS(G_FRAG) },
	{ "IPv6 hop-by-hop header", UDP6("ff0e::1", 6000), .pkt.v6_nexthdr = 0xff,
	  .pkt.payload = 64, PASS(G_NOT_UDP) },
	{ "cut after Ethernet", UDP4("239.1.1.1", 5000), .pkt.payload = 64, .pkt.cut = 14,
	  PASS(G_MALFORMED) },
	{ "cut inside a VLAN tag", UDP4("239.1.1.1", 5000), .pkt.vlans = 1, .pkt.payload = 64,
	  .pkt.cut = 16, PASS(G_MALFORMED) },
	{ "cut inside the IPv4 header", UDP4("239.1.1.1", 5000), .pkt.payload = 64, .pkt.cut = 24,
	  PASS(G_MALFORMED) },
	{ "cut inside IPv4 options", UDP4("239.1.1.1", 5000), .pkt.ip_opt_words = 3,
	  .pkt.payload = 64, .pkt.cut = 14 + 24, PASS(G_MALFORMED) },
	{ "cut inside the UDP header", UDP4("239.1.1.1", 5000), .pkt.payload = 64,
	  .pkt.cut = 14 + 20 + 4, PASS(G_MALFORMED) },
	{ "cut inside the IPv6 header", UDP6("ff0e::1", 6000), .pkt.payload = 64,
	  .pkt.cut = 14 + 30, PASS(G_MALFORMED) },
	{ "cut inside the UDP header after IPv6", UDP6("ff0e::1", 6000), .pkt.payload = 64,
	  .pkt.cut = 14 + 40 + 6, PASS(G_MALFORMED) },
	{ "UDP length beyond the IPv4 payload", UDP4("239.1.1.1", 5000), .pkt.payload = 64,
	  .pkt.bad = TESTPKT_BAD_UDP_LEN_LONG, PASS(G_MALFORMED) },
	{ "IPv4 total length past the frame", UDP4("239.1.1.1", 5000), .pkt.payload = 64,
	  .pkt.bad = TESTPKT_BAD_L3_LEN_LONG, PASS(G_MALFORMED) },
	{ "IPv6 payload length past the frame", UDP6("ff0e::1", 6000), .pkt.payload = 64,
	  .pkt.bad = TESTPKT_BAD_L3_LEN_LONG, PASS(G_MALFORMED) },
	{ "UDP length below 8", UDP4("239.1.1.1", 5000), .pkt.payload = 64,
	  .pkt.bad = TESTPKT_BAD_UDP_LEN_SHORT, PASS(G_MALFORMED) },
	{ "IPv4 ihl below 5", UDP4("239.1.1.1", 5000), .pkt.payload = 64,
	  .pkt.bad = TESTPKT_BAD_IHL, PASS(G_MALFORMED) },
	{ "IPv4 ethertype, version 6", UDP4("239.1.1.1", 5000), .pkt.payload = 64,
	  .pkt.bad = TESTPKT_BAD_VERSION, PASS(G_MALFORMED) },
	{ "zero-length UDP payload", UDP4("239.1.1.1", 5000), .pkt.payload = 0, HIT(C_V4) },
	{ "zero-length payload with Ethernet padding", UDP4("239.1.1.1", 5000), .pkt.payload = 0,
	  .pkt.pad_to = 60, HIT(C_V4) },
	{ "9000-byte frame", UDP4("239.1.1.1", 5000), .pkt.payload = 9000 - 42, HIT(C_V4) },
	{ "queue 1 has no socket: passed, counted", UDP4("239.1.1.1", 5000), .pkt.payload = 64,
	  .queue = 1, .verdict = XDP_PASS, .chan = C_V4, .miss = 1, .gc = G_NONE },
	{ "IPv6 on queue 1: passed, counted", UDP6("ff0e::1", 6000), .pkt.payload = 64, .queue = 1,
	  .verdict = XDP_PASS, .chan = C_V6, .miss = 1, .gc = G_NONE },
	{ "channel to be removed: hit", UDP4("10.0.0.1", 8000), .pkt.payload = 30, HIT(C_RM) },
	{ "same packet after the channel is removed", UDP4("10.0.0.1", 8000), .pkt.payload = 30,
	  .act = ACT_REMOVE, PASS(G_NO_MATCH) },
	{ "channel added again: hit, sequence from 0", UDP4("10.0.0.1", 8000), .pkt.payload = 30,
	  .act = ACT_ADD, HIT(C_RM) },
	{ "and its next sequence number", UDP4("10.0.0.1", 8000), .pkt.payload = 31, HIT(C_RM) },
};

static struct {
	struct mapctl *m;
	struct xdpprog *prog;
	int ifindex;
	__u32 ids[NCHAN];
	__u64 next_seq[NCHAN][2]; /* the model: per channel and queue */
	struct testxsk *xsk;
} T;

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

static void add_channel(int c)
{
	struct xrelay_channel_cfg cfg = {};
	int r;

	snprintf(cfg.name, sizeof(cfg.name), "%s", chan_defs[c].name);
	assert_int_equal(mapctl_key_from_str(&cfg.key, chan_defs[c].addr, chan_defs[c].port), 0);
	cfg.flags = XRELAY_CH_F_RECORD;
	r = mapctl_channel_add(T.m, &cfg, &T.ids[c]);
	assert_int_equal(r, 0);
	T.next_seq[c][0] = T.next_seq[c][1] = 0;
}

struct snap {
	struct mapctl_chan_totals ch[NCHAN];
	struct xrelay_xdp_global g;
};

static void snap(struct snap *s)
{
	int c;

	for (c = 0; c < NCHAN; c++)
		assert_int_equal(mapctl_channel_totals(T.m, T.ids[c], &s->ch[c]), 0);
	assert_int_equal(mapctl_xdp_global(T.m, &s->g), 0);
}

static void expect_delta(const char *desc, const char *what, __u64 before, __u64 after, __u64 want)
{
	if (after - before != want)
		fail_msg("%s: %s moved by %llu, expected %llu", desc, what,
			 (unsigned long long)(after - before), (unsigned long long)want);
}

static void run_row(const struct row *r)
{
	static __u8 in[FRAME_MAX], out[FRAME_MAX + 64];
	struct snap b, a;
	struct xdp_md ctx_in = {}, ctx_out = {};
	size_t len = testpkt_build(&r->pkt, in, sizeof(in));
	__u64 t0, t1;
	int c, err;

	if (r->act == ACT_REMOVE) {
		assert_int_equal(mapctl_channel_remove(T.m, chan_defs[C_RM].name, NULL), 0);
	} else if (r->act == ACT_ADD) {
		add_channel(C_RM);
	}
	ctx_in.data_end = (__u32)(len > 3000 ? 3000 : len);
	ctx_in.ingress_ifindex = (__u32)T.ifindex;
	ctx_in.rx_queue_index = r->queue;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = (__u32)len,
		    .data_out = out, .data_size_out = sizeof(out), .ctx_in = &ctx_in,
		    .ctx_size_in = sizeof(ctx_in), .ctx_out = &ctx_out,
		    .ctx_size_out = sizeof(ctx_out), .repeat = 1);

	snap(&b);
	t0 = mono_ns();
	err = bpf_prog_test_run_opts(xdpprog_fd(T.prog), &opts);
	t1 = mono_ns();
	if (err)
		fail_msg("%s: bpf_prog_test_run_opts: %s", r->desc, strerror(-err));
	snap(&a);

	if (opts.retval != r->verdict)
		fail_msg("%s: verdict %u, expected %u", r->desc, opts.retval, r->verdict);
	expect_delta(r->desc, "packets", b.g.packets, a.g.packets, 1);
	expect_delta(r->desc, "pass_not_ip", b.g.pass_not_ip, a.g.pass_not_ip, r->gc == G_NOT_IP);
	expect_delta(r->desc, "pass_not_udp", b.g.pass_not_udp, a.g.pass_not_udp,
		     r->gc == G_NOT_UDP);
	expect_delta(r->desc, "pass_no_match", b.g.pass_no_match, a.g.pass_no_match,
		     r->gc == G_NO_MATCH);
	expect_delta(r->desc, "pass_frag", b.g.pass_frag, a.g.pass_frag, r->gc == G_FRAG);
	expect_delta(r->desc, "pass_malformed", b.g.pass_malformed, a.g.pass_malformed,
		     r->gc == G_MALFORMED);
	expect_delta(r->desc, "redirected", b.g.redirected, a.g.redirected, r->gc == G_REDIRECTED);
	expect_delta(r->desc, "meta_fail", b.g.meta_fail, a.g.meta_fail, 0);
	for (c = 0; c < NCHAN; c++) {
		int mine = c == r->chan, rx = mine;

		expect_delta(r->desc, "rx_packets", b.ch[c].xdp.rx_packets, a.ch[c].xdp.rx_packets,
			     (__u64)rx);
		expect_delta(r->desc, "rx_bytes", b.ch[c].xdp.rx_bytes, a.ch[c].xdp.rx_bytes,
			     rx ? len : 0);
		expect_delta(r->desc, "redirect_miss", b.ch[c].xdp.redirect_miss,
			     a.ch[c].xdp.redirect_miss, (__u64)(mine && r->miss));
		expect_delta(r->desc, "frags_passed", b.ch[c].xdp.frags_passed,
			     a.ch[c].xdp.frags_passed, (__u64)(mine && r->frag_passed));
	}

	if (r->verdict == XDP_REDIRECT) {
		struct xrelay_xdp_meta meta;

		if (ctx_out.data != sizeof(meta) || opts.data_size_out != len + sizeof(meta))
			fail_msg(
				"%s: metadata block of %u bytes, frame %u bytes; expected %zu, %zu",
				r->desc, ctx_out.data, opts.data_size_out - ctx_out.data,
				sizeof(meta), len);
		memcpy(&meta, out, sizeof(meta));
		if (meta.channel_id != T.ids[r->chan])
			fail_msg("%s: meta channel %u, expected %u", r->desc, meta.channel_id,
				 T.ids[r->chan]);
		if (meta.seq != T.next_seq[r->chan][r->queue])
			fail_msg("%s: meta seq %llu, expected %llu", r->desc,
				 (unsigned long long)meta.seq,
				 (unsigned long long)T.next_seq[r->chan][r->queue]);
		T.next_seq[r->chan][r->queue]++;
		if (meta.ts_ns == 0 || meta.ts_ns < t0 || meta.ts_ns > t1)
			fail_msg("%s: meta ts %llu outside the run [%llu, %llu]", r->desc,
				 (unsigned long long)meta.ts_ns, (unsigned long long)t0,
				 (unsigned long long)t1);
		if (meta.flags != 0)
			fail_msg("%s: meta flags %#x, expected software timestamp", r->desc,
				 meta.flags);
		if (memcmp(out + sizeof(meta), in, len))
			fail_msg("%s: redirected frame differs from the input", r->desc);
	} else {
		if (ctx_out.data != 0 || opts.data_size_out != len || memcmp(out, in, len))
			fail_msg("%s: passed frame was changed (meta %u bytes, %u bytes out)",
				 r->desc, ctx_out.data, opts.data_size_out);
	}
}

static void test_fixture_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&rows[i]);
	printf("[ INFO     ] %zu fixture packets checked\n", i);
}

/* Sequence numbers stay consecutive per (channel, queue) over many packets on both queues. */
static void test_sequence_per_queue(void **state)
{
	static const struct row r0 = { "seq q0", UDP4("239.9.9.9", 5000), .pkt.payload = 10,
				       HIT(C_ANY5000) };
	int i;

	(void)state;
	for (i = 0; i < 500; i++)
		run_row(&r0);
	assert_int_equal(T.next_seq[C_ANY5000][1], 0);
}

/* The program accepts being loaded device-bound for NIC timestamps (kernel 6.3+). */
static void test_hw_ts_variant_loads(void **state)
{
	struct xdpprog *p = NULL;
	int hw = -1;

	(void)state;
	assert_int_equal(xdpprog_load(T.m, T.ifindex, &p, &hw), 0);
	assert_int_equal(hw, 1);
	xdpprog_close(p);
}

static int setup(void **state)
{
	char pin[128], err[512];
	int c, r;

	(void)state;
	snprintf(pin, sizeof(pin), "%s/xrelay", testenv_enter());
	if (testenv_sh("ip link add " VETH " numrxqueues 2 numtxqueues 2 type veth peer name "
		       "xrt1 && ip link set " VETH " up && ip link set xrt1 up") != 0) {
		fprintf(stderr, "cannot create a veth pair\n");
		return -1;
	}
	T.ifindex = (int)if_nametoindex(VETH);
	r = mapctl_open(pin, MAPCTL_F_CREATE, &T.m, err, sizeof(err));
	if (r) {
		fprintf(stderr, "mapctl_open: %s\n", err);
		return -1;
	}
	r = xdpprog_load(T.m, 0, &T.prog, NULL);
	if (r) {
		fprintf(stderr, "loading the XDP program: %s\n", strerror(-r));
		return -1;
	}
	for (c = 0; c < NCHAN; c++)
		add_channel(c);
	/* A socket on queue 0 only: queue 1 exercises the redirect miss. */
	return testxsk_bind(VETH, 0, mapctl_fd(T.m, XRELAY_MAP_XSKS), &T.xsk) ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	testxsk_close(T.xsk);
	xdpprog_close(T.prog);
	mapctl_close(T.m);
	(void)testenv_sh("ip link del " VETH " 2>/dev/null");
	testenv_leave();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_table),
		cmocka_unit_test(test_sequence_per_queue),
		cmocka_unit_test(test_hw_ts_variant_loads),
	};

	return cmocka_run_group_tests_name("xdp", tests, setup, teardown);
}
