// SPDX-License-Identifier: MIT
/*
 * Avro binary varints (dataplane/ocf_varint.h) against the specification's vectors and the
 * type limits: every length boundary of both signs, truncation, overlong and overflowing input,
 * and 100000 random round trips.
 */
#include <errno.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ocfcheck.h"

static void test_varint_vectors(void **state)
{
	/* The Avro specification's table ("Binary Encoding") and the type limits. */
	static const struct {
		int64_t v;
		uint8_t len;
		uint8_t b[10];
	} vec[] = {
		{ 0, 1, { 0x00 } },
		{ -1, 1, { 0x01 } },
		{ 1, 1, { 0x02 } },
		{ -2, 1, { 0x03 } },
		{ 2, 1, { 0x04 } },
		{ -64, 1, { 0x7f } },
		{ 64, 2, { 0x80, 0x01 } },
		{ -65, 2, { 0x81, 0x01 } },
		{ 8191, 2, { 0xfe, 0x7f } },
		{ 8192, 3, { 0x80, 0x80, 0x01 } },
		{ INT32_MAX, 5, { 0xfe, 0xff, 0xff, 0xff, 0x0f } },
		{ INT32_MIN, 5, { 0xff, 0xff, 0xff, 0xff, 0x0f } },
		{ INT64_MAX, 10, { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 } },
		{ INT64_MIN, 10, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 } },
	};
	uint8_t buf[16];
	size_t i;
	int64_t v;
	int32_t v32;

	(void)state;
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		memset(buf, 0xcc, sizeof(buf));
		assert_int_equal(ocf_varint_put_long(buf, sizeof(buf), vec[i].v), vec[i].len);
		assert_memory_equal(buf, vec[i].b, vec[i].len);
		assert_int_equal(buf[vec[i].len], 0xcc);
		assert_int_equal(ocf_varint_long_size(vec[i].v), vec[i].len);
		assert_int_equal(ocf_varint_get_long(buf, vec[i].len, &v), vec[i].len);
		assert_int_equal(v, vec[i].v);
		if (vec[i].v >= INT32_MIN && vec[i].v <= INT32_MAX) {
			memset(buf, 0xcc, sizeof(buf));
			assert_int_equal(ocf_varint_put_int(buf, sizeof(buf), (int32_t)vec[i].v),
					 vec[i].len);
			assert_memory_equal(buf, vec[i].b, vec[i].len);
			assert_int_equal(ocf_varint_get_int(buf, vec[i].len, &v32), vec[i].len);
			assert_int_equal(v32, vec[i].v);
		}
	}
}

static void test_varint_bounds(void **state)
{
	static const uint8_t overlong[11] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
					      0x80, 0x80, 0x80, 0x80, 0x00 };
	static const uint8_t overflow[10] = { 0xff, 0xff, 0xff, 0xff, 0xff,
					      0xff, 0xff, 0xff, 0xff, 0x03 };
	static const uint8_t int_overflow[5] = { 0xff, 0xff, 0xff, 0xff, 0x1f };
	uint8_t buf[OCF_LONG_MAX_BYTES + 1];
	int64_t v, w;
	int32_t v32;
	unsigned int k;
	int i, n;

	(void)state;
	/* Too little room: -ENOSPC and not a byte written. */
	memset(buf, 0xcc, sizeof(buf));
	assert_int_equal(ocf_varint_put_long(buf, 1, 64), -ENOSPC);
	assert_int_equal(ocf_varint_put_long(buf, 9, INT64_MIN), -ENOSPC);
	assert_int_equal(ocf_varint_put_int(buf, 4, INT32_MIN), -ENOSPC);
	assert_int_equal(ocf_varint_put_long(buf, 0, 0), -ENOSPC);
	for (k = 0; k < sizeof(buf); k++)
		assert_int_equal(buf[k], 0xcc);
	/* Every length boundary, both signs: size, round trip, truncation. */
	for (k = 0; k < 64; k++) {
		int64_t vals[4] = { (int64_t)((1ull << k) - 1), -(int64_t)((1ull << k) - 1) - 1,
				    k < 63 ? (int64_t)(1ull << k) : INT64_MAX,
				    k < 63 ? -(int64_t)(1ull << k) : INT64_MIN };

		for (i = 0; i < 4; i++) {
			n = ocf_varint_put_long(buf, sizeof(buf), vals[i]);
			assert_true(n >= 1 && n <= OCF_LONG_MAX_BYTES);
			assert_int_equal(n, ocf_varint_long_size(vals[i]));
			assert_int_equal(ocf_varint_get_long(buf, (size_t)n, &v), n);
			assert_int_equal(v, vals[i]);
			w = 12345;
			assert_int_equal(ocf_varint_get_long(buf, (size_t)n - 1, &w), -ENODATA);
			assert_int_equal(w, 12345);
		}
	}
	ocfcheck_rng_state = 7;
	for (k = 0; k < 100000; k++) {
		v = (int64_t)ocfcheck_rnd() >> (ocfcheck_rnd() % 64);
		n = ocf_varint_put_long(buf, sizeof(buf), v);
		assert_int_equal(ocf_varint_get_long(buf, sizeof(buf), &w), n);
		assert_int_equal(w, v);
	}
	assert_int_equal(ocf_varint_get_long(overlong, sizeof(overlong), &v), -EBADMSG);
	assert_int_equal(ocf_varint_get_long(overflow, sizeof(overflow), &v), -EBADMSG);
	assert_int_equal(ocf_varint_get_int(int_overflow, sizeof(int_overflow), &v32), -EBADMSG);
	assert_int_equal(ocf_varint_get_long(overflow, 0, &v), -ENODATA);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_varint_vectors),
		cmocka_unit_test(test_varint_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
