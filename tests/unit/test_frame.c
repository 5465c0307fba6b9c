// SPDX-License-Identifier: MIT
/*
 * The worker's read of a redirected frame (dataplane/frame.h), as a fixture table of crafted
 * frames: what the parse finds (addresses, ports, the payload's place and length) or that it
 * refuses a truncated or foreign frame, the metadata block read from before the packet, and
 * the payload's pieces of a packet cut over several frames (multi-buffer AF_XDP).
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

/*
 * Cut @len bytes of @pkt into pieces of @room bytes (the last @tail bytes longer, an Ethernet
 * trailer past the datagram), each in a frame of its own, as the kernel hands them over.
 */
static void cut(const __u8 *pkt, size_t len, size_t room, __u8 frames[][4096],
		struct frame_frags *fr)
{
	size_t off = 0;

	memset(fr, 0, sizeof(*fr));
	for (fr->n = 0; off < len; fr->n++) {
		size_t n = len - off < room ? len - off : room;

		assert_true(fr->n < FRAME_FRAGS_MAX);
		memcpy(frames[fr->n] + 256, pkt + off, n);
		fr->frame[fr->n] = fr->n * 4096ull + 256;
		fr->iov[fr->n].iov_base = frames[fr->n] + 256;
		fr->iov[fr->n].iov_len = n;
		off += n;
	}
}

/* The payload's pieces, joined, are the datagram's payload, whatever the cut. */
static void test_frags(void **state)
{
	static const struct {
		const char *what;
		struct testpkt p;
		size_t room;
		__u32 pieces;
	} fc[] = {
		{ "IPv4, 8972 bytes over 3840-byte pieces",
		  { .dst = "192.0.2.1", .dport = 5000, .payload = 8972 },
		  3840,
		  3 },
		{ "IPv6, 8952 bytes",
		  { .l3 = TESTPKT_V6, .dst = "2001:db8::1", .dport = 5000, .payload = 8952 },
		  3840,
		  3 },
		{ "the first piece ends where the payload starts",
		  { .dst = "192.0.2.1", .dport = 5000, .payload = 100 },
		  14 + 20 + 8,
		  3 },
		{ "a trailer past the datagram is left out",
		  { .dst = "192.0.2.1", .dport = 5000, .payload = 3900, .pad_to = 3900 + 42 + 60 },
		  3840,
		  2 },
		{ "an empty payload in a two-piece frame",
		  { .dst = "192.0.2.1", .dport = 5000, .payload = 0, .pad_to = 60 },
		  50,
		  0 },
		{ "64 KiB in the most pieces",
		  { .dst = "192.0.2.1", .dport = 5000, .payload = 65507 },
		  3840,
		  18 },
	};
	static __u8 pkt[70000], frames[FRAME_FRAGS_MAX][4096], joined[70000];
	size_t i, j, len, at;
	struct frame_frags fr;
	struct frame_pkt k = { 0 };

	(void)state;
	for (i = 0; i < ARRAY_SIZE(fc); i++) {
		__u32 total = 0;

		print_message("%s\n", fc[i].what);
		len = testpkt_build(&fc[i].p, pkt, sizeof(pkt));
		assert_true(len > 0);
		cut(pkt, len, fc[i].room, frames, &fr);
		for (j = 0; j < fr.n; j++)
			total += (__u32)fr.iov[j].iov_len;
		assert_int_equal(
			frame_parse_frags(fr.iov[0].iov_base, (__u32)fr.iov[0].iov_len, total, &k),
			0);
		assert_int_equal(k.plen, fc[i].p.payload);
		assert_int_equal(k.dport, 5000);
		assert_int_equal(frame_frags_payload(&fr, &k), 0);
		assert_int_equal(fr.niov, fc[i].pieces);
		for (j = 0, at = 0; j < fr.niov; j++) {
			assert_true(fr.iov[j].iov_len > 0);
			memcpy(joined + at, fr.iov[j].iov_base, fr.iov[j].iov_len);
			at += fr.iov[j].iov_len;
		}
		assert_int_equal(at, k.plen);
		if (at)
			assert_memory_equal(
				joined, pkt + 14 + (fc[i].p.l3 == TESTPKT_V6 ? 40 : 20) + 8, at);
	}
}

/* A datagram longer than its frames hold is refused, by the parse or by the cut. */
static void test_frags_short(void **state)
{
	const struct testpkt p = { .dst = "192.0.2.1", .dport = 5000, .payload = 8000 };
	static __u8 pkt[9000], frames[FRAME_FRAGS_MAX][4096];
	struct frame_frags fr;
	struct frame_pkt k = { 0 };
	size_t len;

	(void)state;
	len = testpkt_build(&p, pkt, sizeof(pkt));
	cut(pkt, len - 1, 3840, frames, &fr);
	/* One byte short in all: the parse says so. */
	assert_int_equal(frame_parse_frags(fr.iov[0].iov_base, 3840, (__u32)len - 1, &k), -1);
	/* A total that claims more than the pieces hold: the cut says so. */
	assert_int_equal(frame_parse_frags(fr.iov[0].iov_base, 3840, (__u32)len, &k), 0);
	assert_int_equal(frame_frags_payload(&fr, &k), -1);
	/* The headers must be in the first piece. */
	cut(pkt, 60, 30, frames, &fr);
	assert_int_equal(frame_parse_frags(fr.iov[0].iov_base, 30, (__u32)len, &k), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_meta),
		cmocka_unit_test(test_frags),
		cmocka_unit_test(test_frags_short),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
