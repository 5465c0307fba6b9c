// SPDX-License-Identifier: MIT
/*
 * Datum schemas and their validator (xrelay/datum.h): schemas refused with the path of their
 * fault, and datums of a market-data-like schema accepted or refused with the right reason.
 * Datums python3-avro encodes are checked end to end by tests/net/test_datum.sh; random bytes
 * and schemas by the fuzz harness (tests/fuzz/fuzz_datum.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "xrelay/datum.h"
#include "mdschema.h"
#include "xrelay/maps.h"

static struct datum_prog *compile_ok(const char *json)
{
	struct datum_prog *p = NULL;
	struct datum_error e;
	int r = datum_compile_text(json, strlen(json), &p, &e);

	if (r)
		fail_msg("%s: refused at \"%s\": %s", json, e.path, e.detail);
	return p;
}

static void expect_refused(const char *json, const char *path, const char *words)
{
	struct datum_prog *p = NULL;
	struct datum_error e;

	assert_int_equal(datum_compile_text(json, strlen(json), &p, &e), -EINVAL);
	assert_null(p);
	/* A path longer than the error's room is cut short, never wrong. */
	if (strncmp(e.path, path, sizeof(e.path) - 1) ||
	    strlen(e.path) != (strlen(path) < sizeof(e.path) ? strlen(path) : sizeof(e.path) - 1))
		fail_msg("%s: path \"%s\", expected \"%s\" (%s)", json, e.path, path, e.detail);
	if (!strstr(e.detail, words))
		fail_msg("%s: detail \"%s\" lacks \"%s\"", json, e.detail, words);
}

static void test_schemas_refused(void **state)
{
	(void)state;
	expect_refused("{", "", "not JSON");
	expect_refused("\"nope\"", "", "unknown type");
	expect_refused("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\","
		       "\"type\":\"int\"},{\"name\":\"b\",\"type\":\"int\"},{\"name\":\"c\","
		       "\"type\":\"int\"},{\"name\":\"d\",\"type\":\"intt\"}]}",
		       "fields[3].type", "unknown type");
	expect_refused("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\","
		       "\"type\":\"int\"},{\"name\":\"a\",\"type\":\"int\"}]}",
		       "fields[1].name", "twice");
	expect_refused("{\"type\":\"record\",\"fields\":[]}", "name", "name");
	expect_refused("{\"type\":\"record\",\"name\":\"R\"}", "fields", "fields");
	expect_refused("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"A\"]}", "symbols[1]",
		       "twice");
	expect_refused("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"1A\"]}", "symbols[0]",
		       "symbol");
	expect_refused("[\"int\",[\"null\"]]", "[1]", "union");
	expect_refused("[\"int\",\"int\"]", "[1]", "once");
	expect_refused("{\"type\":\"array\"}", "items", "items");
	expect_refused("{\"type\":\"map\",\"values\":{\"type\":\"array\",\"items\":\"X\"}}",
		       "values.items", "unknown type");
	expect_refused("{\"type\":\"fixed\",\"name\":\"F\",\"size\":-1}", "size", "size");
	expect_refused("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":"
		       "{\"type\":\"fixed\",\"name\":\"R\",\"size\":1}}]}",
		       "fields[0].type", "already defined");
	expect_refused("42", "", "a type is");
}

static void test_schemas_deep(void **state)
{
	char deep[4096] = "", path[512] = "", *p = deep;
	int i;

	(void)state;
	for (i = 0; i < DATUM_DEPTH_MAX + 2; i++)
		p += sprintf(p, "{\"type\":\"array\",\"items\":");
	p += sprintf(p, "\"int\"");
	for (i = 0; i < DATUM_DEPTH_MAX + 2; i++)
		*p++ = '}';
	*p = '\0';
	/* The array at depth 32 holds the items that are one too deep. */
	for (i = 0; i < DATUM_DEPTH_MAX + 1; i++)
		strcat(path, i ? ".items" : "items");
	expect_refused(deep, path, "deeper");
}

static void test_schemas_accepted(void **state)
{
	static const char *const ok[] = {
		"\"null\"",
		"{\"type\":\"long\",\"logicalType\":\"timestamp-nanos\"}",
		MD_SCHEMA,
		/* A recursive type, a reference by short name inside its namespace. */
		"{\"type\":\"record\",\"name\":\"List\",\"namespace\":\"a.b\",\"fields\":["
		"{\"name\":\"v\",\"type\":\"int\"},{\"name\":\"next\",\"type\":[\"null\",\"List\"]}]}",
		"[\"null\",{\"type\":\"fixed\",\"name\":\"F\",\"size\":2},"
		"{\"type\":\"fixed\",\"name\":\"G\",\"size\":2},{\"type\":\"map\",\"values\":\"F\"}]",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		datum_free(compile_ok(ok[i]));
}

static int check(const struct datum_prog *p, const void *b, size_t n, unsigned int *why)
{
	*why = 99;
	return datum_check(p, b, n, why);
}

/* A good market-data datum, encoded by hand; see the field list in MD_SCHEMA. */
static const uint8_t md_good[] = {
	0x54,			      /* seq 42 */
	0x02,			      /* side ASK */
	0x06, 0x0f, 0x71, 0x34,	      /* price: 3 bytes, 1012020 = 101.2020 */
	0x08, 'A',  'B',  'C',	0x44, /* symbol "ABCD" */
	0x02, 0x06, 'X',  'N',	0x59, /* venue: branch 1, "XNY" */
	0x03, 0x08,		      /* levels: block of -2 items (zigzag 3), 4 bytes */
	0x02, 0x04,		      /* px 1, qty 2 */
	0x06, 0x08,		      /* px 3, qty 4 */
	0x00,			      /* end of levels */
};

static void test_market_data(void **state)
{
	struct datum_prog *p = compile_ok(MD_SCHEMA);
	uint8_t b[64];
	unsigned int why;
	size_t i;

	(void)state;
	assert_int_equal(check(p, md_good, sizeof(md_good), &why), 0);
	/* Every cut short is truncated (or, where the cut lands right, a bad length). */
	for (i = 0; i < sizeof(md_good); i++) {
		assert_int_equal(check(p, md_good, i, &why), -EBADMSG);
		assert_true(why == XRELAY_REJECT_TRUNCATED || why == XRELAY_REJECT_BAD_LENGTH);
	}
	memcpy(b, md_good, sizeof(md_good));
	b[sizeof(md_good)] = 0;
	assert_int_equal(check(p, b, sizeof(md_good) + 1, &why), -EBADMSG);
	assert_int_equal(why, XRELAY_REJECT_TRAILING);

	memcpy(b, md_good, sizeof(md_good));
	b[1] = 0x04; /* side 2 of 2 symbols */
	assert_int_equal(check(p, b, sizeof(md_good), &why), -EBADMSG);
	assert_int_equal(why, XRELAY_REJECT_BAD_ENUM);

	memcpy(b, md_good, sizeof(md_good));
	b[11] = 0x04; /* venue branch 2 of 2 */
	assert_int_equal(check(p, b, sizeof(md_good), &why), -EBADMSG);
	assert_int_equal(why, XRELAY_REJECT_BAD_UNION);

	memcpy(b, md_good, sizeof(md_good));
	b[6] = 0x07; /* symbol length -4 */
	assert_int_equal(check(p, b, sizeof(md_good), &why), -EBADMSG);
	assert_int_equal(why, XRELAY_REJECT_BAD_LENGTH);

	memcpy(b, md_good, sizeof(md_good));
	b[17] = 0x06; /* the levels block says 3 bytes, its items take 4 */
	assert_int_equal(check(p, b, sizeof(md_good), &why), -EBADMSG);
	assert_int_equal(why, XRELAY_REJECT_BAD_LENGTH);

	memcpy(b, md_good, sizeof(md_good));
	b[7] = 0xff; /* symbol not UTF-8 */
	assert_int_equal(check(p, b, sizeof(md_good), &why), -EBADMSG);
	assert_int_equal(why, XRELAY_REJECT_BAD_VALUE);

	/* seq: a long of 11 bytes. */
	memset(b, 0xff, 11);
	assert_int_equal(check(p, b, 11, &why), -EBADMSG);
	assert_int_equal(why, XRELAY_REJECT_BAD_VARINT);
	datum_free(p);
}

static void test_bounds(void **state)
{
	struct datum_prog *p;
	/* An array of nulls claiming 2^62 items in 10 bytes: refused, not looped over. */
	static const uint8_t many[] = {
		0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01
	};
	static const uint8_t list_deep[] = { 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
					     0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
					     0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
					     0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02 };
	unsigned int why;

	(void)state;
	p = compile_ok("{\"type\":\"array\",\"items\":\"null\"}");
	assert_int_equal(check(p, many, sizeof(many), &why), -EBADMSG);
	assert_int_equal(why, XRELAY_REJECT_BAD_LENGTH);
	datum_free(p);
	/* A recursive list deeper than the bound (v=1, next=branch 1, ...). */
	p = compile_ok("{\"type\":\"record\",\"name\":\"L\",\"fields\":[{\"name\":\"v\","
		       "\"type\":\"int\"},{\"name\":\"n\",\"type\":[\"null\",\"L\"]}]}");
	assert_int_equal(check(p, list_deep, sizeof(list_deep), &why), -EBADMSG);
	assert_int_equal(why, XRELAY_REJECT_TOO_DEEP);
	assert_int_equal(check(p, "\x02\x00", 2, &why), 0);
	datum_free(p);
	p = compile_ok("\"boolean\"");
	assert_int_equal(check(p, "\x01", 1, &why), 0);
	assert_int_equal(check(p, "\x02", 1, &why), -EBADMSG);
	assert_int_equal(why, XRELAY_REJECT_BAD_VALUE);
	datum_free(p);
	p = compile_ok("\"int\"");
	assert_int_equal(check(p, "\xff\xff\xff\xff\x0f", 5, &why), 0);
	assert_int_equal(check(p, "\xff\xff\xff\xff\x1f", 5, &why), -EBADMSG);
	assert_int_equal(why, XRELAY_REJECT_BAD_VARINT);
	datum_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schemas_refused),	 cmocka_unit_test(test_schemas_deep),
		cmocka_unit_test(test_schemas_accepted), cmocka_unit_test(test_market_data),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
