// SPDX-License-Identifier: MIT
/* The channel-name rule (xrelay/name.h): what becomes a directory and file name. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "xrelay/maps.h"
#include "xrelay/name.h"

_Static_assert(NAME_MAX_LEN == XRELAY_NAME_LEN - 1, "the maps' name field holds a longest name");

static void test_good(void **state)
{
	static const char *const good[] = { "a", "feed-a", "FEED_b-9", "0", "-", "_" };
	char longest[NAME_MAX_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!name_valid(good[i]))
			fail_msg("\"%s\" was refused", good[i]);
	memset(longest, 'x', NAME_MAX_LEN);
	longest[NAME_MAX_LEN] = '\0';
	assert_true(name_valid(longest));
	assert_true(name_valid_n(longest, NAME_MAX_LEN));
}

static void test_bad(void **state)
{
	static const char *const bad[] = { "",	".",   "..",   "a/b", "/etc", "a b", "a.avro",
					   "é", "a\n", "a\\b", "~x",  "a:b",  "*" };
	char too_long[NAME_MAX_LEN + 2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (name_valid(bad[i]))
			fail_msg("\"%s\" was accepted", bad[i]);
	assert_false(name_valid(NULL));
	memset(too_long, 'x', NAME_MAX_LEN + 1);
	too_long[NAME_MAX_LEN + 1] = '\0';
	assert_false(name_valid(too_long));
	assert_false(name_valid_n(too_long, NAME_MAX_LEN + 1));
	/* Counted: a NUL inside the count is not a name character. */
	assert_false(name_valid_n("ab\0c", 4));
	assert_true(name_valid_n("ab/c", 2));
	assert_false(name_valid_n("ab", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
