// SPDX-License-Identifier: MIT
/*
 * Container file names (dataplane/ocf_name.c): names made and parsed back, stamps of the UTC
 * second, .part names refused when not of the form, and the rename to the final name that
 * takes the next free <n> rather than replace a file. (name_valid is checked in
 * test_ocf_file.c, with the refusals of ocf_file_open.)
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

static void test_name_make_parse(void **state)
{
	static const struct {
		const char *base;
		unsigned long n;
	} ok[] = {
		{ "a-q0-" STAMP, 1 },
		{ "md-feed_A-q4294967295-" STAMP, 999999999 },
		{ "x-q12-19700101T000000Z", 42 },
	};
	char name[OCF_NAME_MAX], base[OCF_NAME_MAX], small[8];
	unsigned long n;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(
			ocf_name_make(name, sizeof(name), ok[i].base, ok[i].n, OCF_PART_SUFFIX), 0);
		assert_int_equal(ocf_name_parse_part(name, base, sizeof(base), &n), 0);
		assert_string_equal(base, ok[i].base);
		assert_int_equal(n, ok[i].n);
		/* The final name is not a .part name. */
		assert_int_equal(
			ocf_name_make(name, sizeof(name), ok[i].base, ok[i].n, OCF_FINAL_SUFFIX),
			0);
		assert_int_equal(ocf_name_parse_part(name, base, sizeof(base), &n), -EINVAL);
	}
	assert_int_equal(ocf_name_make(small, sizeof(small), "a-q0-" STAMP, 1, OCF_PART_SUFFIX),
			 -ENAMETOOLONG);
	/* A base that does not fit the caller's buffer is refused, not cut. */
	assert_int_equal(
		ocf_name_parse_part("a-q0-" STAMP "-1.avro.part", small, sizeof(small), &n),
		-EINVAL);
}

static void test_name_stamp(void **state)
{
	char buf[OCF_STAMP_LEN + 1];

	(void)state;
	assert_int_equal(ocf_name_stamp(buf, sizeof(buf), START_NS), 0);
	assert_string_equal(buf, STAMP);
	assert_int_equal(ocf_name_stamp(buf, sizeof(buf), 0), 0);
	assert_string_equal(buf, "19700101T000000Z");
	assert_int_equal(ocf_name_stamp(buf, sizeof(buf), 999999999), 0);
	assert_string_equal(buf, "19700101T000000Z");
	assert_int_equal(ocf_name_stamp(buf, OCF_STAMP_LEN, START_NS), -EINVAL);
}

static void test_name_rename_final(void **state)
{
	struct tdir *t = *state;
	char out[OCF_NAME_MAX];
	uint8_t *p;
	size_t len;

	ocfcheck_file_put(t, "c-q0-" STAMP "-1.avro.part", "mine", 4);
	ocfcheck_file_put(t, "c-q0-" STAMP "-1.avro", "theirs", 6);
	ocfcheck_file_put(t, "c-q0-" STAMP "-2.avro", "theirs", 6);
	assert_int_equal(ocf_name_exists(t->dfd, "c-q0-" STAMP "-1.avro"), 1);
	assert_int_equal(ocf_name_exists(t->dfd, "c-q0-" STAMP "-3.avro"), 0);
	assert_int_equal(ocf_name_rename_final(t->dfd, "c-q0-" STAMP "-1.avro.part", "c-q0-" STAMP,
					       1, out, sizeof(out)),
			 0);
	assert_string_equal(out, "c-q0-" STAMP "-3.avro");
	assert_int_equal(ocf_name_exists(t->dfd, "c-q0-" STAMP "-1.avro.part"), 0);
	p = ocfcheck_file_get(t, "c-q0-" STAMP "-3.avro", &len);
	assert_int_equal(len, 4);
	assert_memory_equal(p, "mine", 4);
	free(p);
	p = ocfcheck_file_get(t, "c-q0-" STAMP "-1.avro", &len);
	assert_int_equal(len, 6);
	free(p);
	assert_int_equal(ocf_name_rename_final(t->dfd, "c-q0-" STAMP "-9.avro.part", "c-q0-" STAMP,
					       9, NULL, 0),
			 -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_make_parse),
		cmocka_unit_test(test_name_stamp),
		cmocka_unit_test_setup_teardown(test_name_rename_final, ocfcheck_tdir_setup,
						ocfcheck_tdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
