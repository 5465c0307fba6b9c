// SPDX-License-Identifier: MIT
/*
 * The worker's read of a redirected frame (dataplane/frame.h), as a fixture table of crafted
 * frames: what the parse finds (addresses, ports, the payload's place and length) or that it
 * refuses a truncated or foreign frame, and the metadata block read from before the packet.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "../../dataplane/frame.h"
#include "testpkt.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *what;
	struct testpkt p;
	int ret;
	size_t payload_off; /* from the frame's start, when ret is 0 */
} cases[] = {
	{ "IPv4", { .dst = "239.1.1.1", .dport = 5000, .payload = 100 }, 0, 14 + 20 + 8 },
	{ "IPv4 padded past its end",
	  { .dst = "10.0.0.1", .dport = 5000, .payload = 2, .pad_to = 60 },
	  0,
	  14 + 20 + 8 },
	{ "IPv4 with options",
	  { .dst = "10.0.0.1", .dport = 7, .payload = 9, .ip_opt_words = 3 },
	  0,
	  14 + 32 + 8 },
	{ "IPv4, one VLAN tag",
	  { .dst = "10.0.0.1", .dport = 7, .payload = 9, .vlans = 1 },
	  0,
	  18 + 20 + 8 },
	{ "IPv4, 802.1ad + 802.1Q",
	  { .dst = "10.0.0.1", .dport = 7, .payload = 9, .vlans = 2, .vlan_ad = 1 },
	  0,
	  22 + 20 + 8 },
	{ "IPv6",
	  { .l3 = TESTPKT_V6, .dst = "ff15::1", .dport = 6000, .payload = 64 },
	  0,
	  14 + 40 + 8 },
	{ "empty payload", { .dst = "10.0.0.1", .dport = 7, .payload = 0 }, 0, 14 + 20 + 8 },
	{ "three VLAN tags", { .dst = "10.0.0.1", .dport = 7, .payload = 9, .vlans = 3 }, -1, 0 },
	{ "ARP", { .l3 = TESTPKT_ARP }, -1, 0 },
	{ "cut in the Ethernet header",
	  { .dst = "10.0.0.1", .dport = 7, .payload = 9, .cut = 13 },
	  -1,
	  0 },
	{ "cut in the IPv4 header",
	  { .dst = "10.0.0.1", .dport = 7, .payload = 9, .cut = 30 },
	  -1,
	  0 },
	{ "cut in the IPv6 header",
	  { .l3 = TESTPKT_V6, .dst = "ff15::1", .dport = 7, .payload = 9, .cut = 50 },
	  -1,
	  0 },
	{ "cut in the UDP header",
	  { .dst = "10.0.0.1", .dport = 7, .payload = 9, .cut = 40 },
	  -1,
	  0 },
	{ "cut in the payload", { .dst = "10.0.0.1", .dport = 7, .payload = 9, .cut = 48 }, -1, 0 },
	{ "UDP length past the frame",
	  { .dst = "10.0.0.1", .dport = 7, .payload = 9, .bad = TESTPKT_BAD_UDP_LEN_LONG },
	  -1,
	  0 },
	{ "UDP length below its header",
	  { .dst = "10.0.0.1", .dport = 7, .payload = 9, .bad = TESTPKT_BAD_UDP_LEN_SHORT },
	  -1,
	  0 },
};

static void test_parse(void **state)
{
	__u8 buf[2048];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t len = testpkt_build(&cases[i].p, buf, sizeof(buf));
		struct frame_pkt k;
		__u8 dst[16];
		int r;

		print_message("%s\n", cases[i].what);
		assert_true(len > 0);
		r = frame_parse(buf, (__u32)len, &k);
		assert_int_equal(r, cases[i].ret);
		if (r)
			continue;
		assert_ptr_equal(k.payload, buf + cases[i].payload_off);
		assert_int_equal(k.plen, cases[i].p.payload);
		assert_int_equal(k.sport, 40000);
		assert_int_equal(k.dport, cases[i].p.dport);
		if (cases[i].p.l3 == TESTPKT_V6) {
			assert_int_equal(k.alen, 16);
			assert_int_equal(inet_pton(AF_INET6, cases[i].p.dst, dst), 1);
		} else {
			static const __u8 src4[4] = { 192, 0, 2, 1 };

			assert_int_equal(k.alen, 4);
			assert_memory_equal(k.src, src4, 4);
			assert_int_equal(inet_pton(AF_INET, cases[i].p.dst, dst), 1);
		}
		assert_memory_equal(k.dst, dst, k.alen);
		if (k.plen)
			assert_int_equal(k.payload[k.plen - 1], (__u8)((k.plen - 1) * 7 + 3));
	}
}

/* The block right before the packet, whatever its alignment. */
static void test_meta(void **state)
{
	const struct xrelay_xdp_meta m = {
		.ts_ns = 1234567890123ull, .seq = 42, .channel_id = 7, .flags = XRELAY_META_F_TS_HW
	};
	__u8 buf[128];
	struct xrelay_xdp_meta got;
	size_t off;

	(void)state;
	for (off = 0; off < 8; off++) {
		memset(buf, 0xee, sizeof(buf));
		memcpy(buf + off, &m, sizeof(m));
		frame_meta(buf + off + sizeof(m), &got);
		assert_memory_equal(&got, &m, sizeof(m));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_meta),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
