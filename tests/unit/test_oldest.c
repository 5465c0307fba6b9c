// SPDX-License-Identifier: MIT
/*
 * The bounded oldest-first set (dataplane/oldest.c): with more files offered than it keeps, it
 * keeps exactly the oldest (ties broken by name) and hands them back oldest first.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../dataplane/oldest.h"

#define OFFERED (3 * OLDEST_MAX + 17)

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static void test_keeps_the_oldest(void **state)
{
	static __u64 all[OFFERED];
	struct oldest o;
	struct oldest_file f;
	unsigned int i;

	(void)state;
	assert_int_equal(oldest_init(&o), 0);
	srandom(42);
	memset(&f, 0, sizeof(f));
	for (i = 0; i < OFFERED; i++) {
		/* Many equal times: the name decides among them. */
		all[i] = ((__u64)(random() % 5000) << 20) | i;
		f.mtime_ns = all[i] >> 20;
		snprintf(f.name, sizeof(f.name), "f%08u", i);
		oldest_push(&o, &f);
	}
	assert_int_equal(o.n, OLDEST_MAX);
	oldest_sort(&o);
	qsort(all, OFFERED, sizeof(all[0]), cmp_u64);
	for (i = 0; i < OLDEST_MAX; i++) {
		char want[16];

		snprintf(want, sizeof(want), "f%08u", (unsigned int)(all[i] & 0xfffff));
		assert_int_equal(o.f[i].mtime_ns, all[i] >> 20);
		assert_string_equal(o.f[i].name, want);
	}
	oldest_fini(&o);
}

static void test_few(void **state)
{
	struct oldest o;
	struct oldest_file f;

	(void)state;
	assert_int_equal(oldest_init(&o), 0);
	memset(&f, 0, sizeof(f));
	f.mtime_ns = 30;
	strcpy(f.name, "c");
	oldest_push(&o, &f);
	f.mtime_ns = 10;
	strcpy(f.name, "b");
	oldest_push(&o, &f);
	f.mtime_ns = 10;
	strcpy(f.name, "a");
	oldest_push(&o, &f);
	oldest_sort(&o);
	assert_int_equal(o.n, 3);
	assert_string_equal(o.f[0].name, "a");
	assert_string_equal(o.f[1].name, "b");
	assert_string_equal(o.f[2].name, "c");
	oldest_fini(&o);
	oldest_fini(&o); /* twice: harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keeps_the_oldest),
		cmocka_unit_test(test_few),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
