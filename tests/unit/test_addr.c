// SPDX-License-Identifier: MIT
/* The maps' address form (xrelay/addr.h, lib/addr.c): IPv4-mapped, any, multicast, parsing. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "xrelay/addr.h"
#include "xrelay/maps.h"

_Static_assert(ADDR_LEN == sizeof(((struct xrelay_chan_key *)0)->addr), "key address size");
_Static_assert(ADDR_LEN == sizeof(((struct xrelay_dest *)0)->addr), "destination address size");

static void test_set_v4(void **state)
{
	static const __u8 want[ADDR_LEN] = { [10] = 0xff, [11] = 0xff, 239, 1, 2, 3 };
	const __u8 v4[4] = { 239, 1, 2, 3 };
	__u8 a[ADDR_LEN];

	(void)state;
	memset(a, 0xaa, sizeof(a));
	addr_set_v4(a, v4);
	assert_memory_equal(a, want, ADDR_LEN);
	assert_true(addr_is_v4(a));
	assert_true(addr_is_multicast(a));
	assert_false(addr_is_any(a));
	assert_false(addr_is_unspecified(a));
}

static void test_classes(void **state)
{
	static const struct {
		const char *text;
		bool v4, any, unspecified, multicast;
	} t[] = {
		{ "0.0.0.0", true, false, true, false },
		{ "::", false, true, true, false },
		{ "::ffff:0.0.0.0", true, false, true, false },
		{ "224.0.0.1", true, false, false, true },
		{ "239.255.255.255", true, false, false, true },
		{ "223.255.255.255", true, false, false, false },
		{ "240.0.0.1", true, false, false, false },
		{ "10.1.2.3", true, false, false, false },
		{ "::ffff:239.1.1.1", true, false, false, true },
		{ "ff02::1", false, false, false, true },
		{ "fe80::1", false, false, false, false },
		{ "::1", false, false, false, false },
		{ "::239.1.1.1", false, false, false, false }, /* IPv4-compatible is not mapped */
		{ "0:0:0:0:0:fffe:ef01:101", false, false, false, false },
	};
	__u8 a[ADDR_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(addr_parse(t[i].text, a), 0);
		if (addr_is_v4(a) != t[i].v4 || addr_is_any(a) != t[i].any ||
		    addr_is_unspecified(a) != t[i].unspecified ||
		    addr_is_multicast(a) != t[i].multicast)
			fail_msg("%s: v4 %d any %d unspecified %d multicast %d", t[i].text,
				 addr_is_v4(a), addr_is_any(a), addr_is_unspecified(a),
				 addr_is_multicast(a));
	}
}

static void test_parse_same_forms(void **state)
{
	__u8 a[ADDR_LEN], b[ADDR_LEN];

	(void)state;
	assert_int_equal(addr_parse("239.1.1.1", a), 0);
	assert_int_equal(addr_parse("::FFFF:EF01:0101", b), 0);
	assert_memory_equal(a, b, ADDR_LEN);
	assert_int_equal(addr_parse("ff15::1", a), 0);
	assert_int_equal(a[0], 0xff);
	assert_int_equal(a[1], 0x15);
	assert_int_equal(a[15], 1);
}

static void test_parse_bad(void **state)
{
	static const char *const bad[] = { "",		"239.1.1",	"239.1.1.256",
					   "1.2.3.4 ",	"ff15::1%eth0", "gg::1",
					   "localhost", ":::" };
	static const __u8 zero[ADDR_LEN];
	__u8 a[ADDR_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(a, 0xaa, sizeof(a));
		if (addr_parse(bad[i], a) != -EINVAL)
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_memory_equal(a, zero, ADDR_LEN);
	}
	assert_int_equal(addr_parse(NULL, a), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_v4),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_parse_same_forms),
		cmocka_unit_test(test_parse_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
