// SPDX-License-Identifier: MIT
/*
 * Entity tags (controlplane/etag.c): a generation's strong tag, and If-Match evaluated as RFC
 * 9110 says: "*", lists with spaces and empty elements, weak tags that never match, and what
 * is no list of entity tags.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "../../controlplane/etag.h"

static void test_format(void **state)
{
	char buf[ETAG_LEN];

	(void)state;
	etag_format(7, buf, sizeof(buf));
	assert_string_equal(buf, "\"7\"");
	etag_format(UINT64_MAX, buf, sizeof(buf));
	assert_string_equal(buf, "\"18446744073709551615\"");
}

static void test_match(void **state)
{
	static const struct {
		const char *if_match;
		int want; /* for generation 7 */
	} rows[] = {
		{ "\"7\"", 1 },
		{ "*", 1 },
		{ " * ", 1 },
		{ "\"1\", \"7\"", 1 },
		{ "\"1\",\t\"7\" ", 1 },
		{ ",, \"7\" ,", 1 },
		{ "\"1\", \"2\"", 0 },
		{ "\"07\"", 0 },
		{ "\"7 \"", -EINVAL }, /* a space is no etagc */
		{ "W/\"7\"", 0 },      /* weak: never a strong match */
		{ "W/\"1\", \"7\"", 1 },
		{ "\"\"", 0 },
		{ "\"caf\xc3\xa9\"", 0 }, /* obs-text is allowed */
		{ "", 0 },
		{ " , ", 0 },
		{ "7", -EINVAL },
		{ "\"7", -EINVAL },
		{ "\"7\"\"8\"", -EINVAL },
		{ "\"7\" x", -EINVAL },
		{ "*, \"7\"", -EINVAL },
		{ "**", -EINVAL },
		{ "w/\"7\"", -EINVAL },
		{ "\"a\"b\"", -EINVAL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int got = etag_match(rows[i].if_match, 7);

		if (got != rows[i].want)
			fail_msg("If-Match '%s': %d, want %d", rows[i].if_match, got, rows[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_match),
	};

	return cmocka_run_group_tests_name("etag", tests, NULL, NULL);
}
