// SPDX-License-Identifier: MIT
/*
 * Datums decoded to their schema's JSON encoding (datum_json in xrelay/datum.h): hand-encoded
 * datums of small schemas give the exact text (unions named by branch, enums, maps, nested and
 * recursive records, escapes, floats, bytes in base64 and hex), a datum that is not one gives
 * -EBADMSG and its reason and leaves the output as it was, and datum_name names the schema.
 * Against python3-avro, on files of every type: tests/read/test_read_datum.sh.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mdschema.h"
#include "xrelay/datum.h"
#include "xrelay/maps.h"

static struct datum_prog *compile_ok(const char *json)
{
	struct datum_prog *p = NULL;
	struct datum_error e;

	if (datum_compile_text(json, strlen(json), &p, &e))
		fail_msg("%s: refused at \"%s\": %s", json, e.path, e.detail);
	return p;
}

/* @json's datum @b (@n bytes) decodes to exactly @want. */
static void expect_json(const char *json, const void *b, size_t n, unsigned int flags,
			const char *want)
{
	struct datum_prog *p = compile_ok(json);
	struct datum_text t = { 0 };
	unsigned int why = 99;
	int r = datum_json(p, b, n, flags, &t, &why);

	if (r)
		fail_msg("%s: datum_json %d (why %u)", json, r, why);
	if (strcmp(t.buf, want) || t.len != strlen(want))
		fail_msg("%s:\n got  %s\n want %s", json, t.buf, want);
	free(t.buf);
	datum_free(p);
}

static void test_primitives(void **state)
{
	static const uint8_t f[] = { 0x00, 0x00, 0xc0, 0x7f };			     /* NaN */
	static const uint8_t d[] = { 0, 0, 0, 0, 0, 0, 0xf8, 0x3f };		     /* 1.5 */
	static const uint8_t s[] = { 0x0e, 'a', '"', '\\', '\n', 0x01, 0xc3, 0xa9 }; /* 7 */
	static const uint8_t by[] = { 0x06, 0xff, 0x00, 0x10 };

	(void)state;
	expect_json("\"null\"", "", 0, 0, "null");
	expect_json("\"boolean\"", "\x01", 1, 0, "true");
	expect_json("\"int\"", "\x03", 1, 0, "-2");
	expect_json("\"long\"", "\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10, 0,
		    "9223372036854775807");
	expect_json("\"float\"", f, 4, 0, "\"NaN\"");
	expect_json("\"double\"", d, 8, 0, "1.5");
	expect_json("\"string\"", s, sizeof(s), 0, "\"a\\\"\\\\\\n\\u0001\xc3\xa9\"");
	expect_json("\"bytes\"", by, sizeof(by), 0, "\"/wAQ\"");
	expect_json("\"bytes\"", by, sizeof(by), DATUM_JSON_HEX, "\"ff0010\"");
	expect_json("{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}", "\x04", 1, 0, "2");
}

static void test_complex(void **state)
{
	/* A union of null, a named record, an array and a map; a recursive list. */
	static const char *const schema =
		"{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"n\",\"fields\":["
		"{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\","
		"\"B\"]}},"
		"{\"name\":\"u\",\"type\":{\"type\":\"array\",\"items\":[\"null\",{\"type\":"
		"\"record\",\"name\":\"x.P\",\"fields\":[{\"name\":\"v\",\"type\":\"int\"}]},"
		"{\"type\":\"array\",\"items\":\"int\"},{\"type\":\"map\",\"values\":\"E\"}]}},"
		"{\"name\":\"fx\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":2}},"
		"{\"name\":\"next\",\"type\":[\"null\",\"R\"]}]}";
	static const uint8_t b[] = {
		0x02,			/* e: B */
		0x07, 0x1a,		/* u: a block of -4 items in 13 bytes */
		0x00,			/* null */
		0x02, 0x06,		/* x.P {v: 3} */
		0x04, 0x02, 0x02, 0x00, /* array [1] */
		0x06, 0x02, 0x02, 'k',	0x00 /* map {"k": A} ... */, 0x00, 0x00, /* end of u */
		'h',  'i',							 /* fx */
		0x02, 0x00, /* next: R {e: A, */
		0x00,	    /*  u: [], */
		0x00, 0x00, /*  fx */
		0x00,	    /*  next: null} */
	};

	(void)state;
	expect_json(schema, b, sizeof(b), 0,
		    "{\"e\":\"B\",\"u\":[null,{\"x.P\":{\"v\":3}},{\"array\":[1]},{\"map\":"
		    "{\"k\":\"A\"}}],\"fx\":\"aGk=\",\"next\":{\"n.R\":{\"e\":\"A\",\"u\":[],"
		    "\"fx\":\"AAA=\",\"next\":null}}}");
}

static void test_md_and_refused(void **state)
{
	struct datum_prog *p = compile_ok(MD_SCHEMA);
	struct datum_text t = { 0 };
	uint8_t b[MD_DATUM_MAX];
	size_t n = md_datum(b, 7);
	unsigned int why = 99;

	(void)state;
	assert_string_equal(datum_name(p), "md.Quote");
	assert_int_equal(datum_json(p, b, n, 0, &t, &why), 0);
	assert_string_equal(t.buf,
			    "{\"seq\":7000021,\"side\":\"ASK\",\"price\":\"AAAH\",\"symbol\":"
			    "\"BRK.B\",\"venue\":{\"string\":\"XNYS\"},\"levels\":[{\"px\":"
			    "1000049,\"qty\":100},{\"px\":1000050,\"qty\":200}]}");
	/* Appended after what is there; a datum cut short leaves it as it was. */
	assert_int_equal(datum_json(p, b, n - 1, 0, &t, &why), -EBADMSG);
	assert_int_equal(why, XRELAY_REJECT_TRUNCATED);
	assert_int_equal(t.len, strlen(t.buf));
	assert_true(t.buf[t.len - 1] == '}');
	b[n] = 0;
	assert_int_equal(datum_json(p, b, n + 1, 0, &t, &why), -EBADMSG);
	assert_int_equal(why, XRELAY_REJECT_TRAILING);
	free(t.buf);
	datum_free(p);
	p = compile_ok("{\"type\":\"array\",\"items\":\"int\"}");
	assert_string_equal(datum_name(p), "array");
	datum_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_primitives),
		cmocka_unit_test(test_complex),
		cmocka_unit_test(test_md_and_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
