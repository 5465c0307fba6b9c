// SPDX-License-Identifier: MIT
/*
 * Envelope records (dataplane/ocf_envelope.c): the bytes of a record header field by field,
 * the worst case's length, the refusals; and the envelope schema (include/xrelay/avro.h)
 * parsed with avro-c to exactly the fields, types and order the encoder writes, the check the
 * dataplane once made at every start.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <avro.h>
#include <jansson.h>

#include "../../dataplane/ocf_envelope.h"
#include "xrelay/avro.h"

static void test_envelope_hdr(void **state)
{
	static const uint8_t v4[4] = { 10, 0, 0, 1 };
	static const uint8_t v6[16] = { 0xff, 0x02, [15] = 0x01 };
	static const uint8_t want[] = { 0x02,			/* seq 1 */
					0x04,			/* ts_ns 2 */
					0x08, 10,   0,	  0, 1, /* src_addr, 4 bytes */
					0xa4, 0x13,		/* src_port 1234 */
					0x20, 0xff, 0x02, 0, 0, 0, 0, 0,    0,
					0,    0,    0,	  0, 0, 0, 0, 0x01, /* dst_addr, 16 */
					0x90, 0x4e,			    /* dst_port 5000 */
					0x06 };				    /* payload 3 bytes */
	struct ocf_envelope e = {
		.seq = 1,
		.ts_ns = 2,
		.src_addr = v4,
		.src_len = 4,
		.src_port = 1234,
		.dst_addr = v6,
		.dst_len = 16,
		.dst_port = 5000,
		.payload_len = 3,
	};
	uint8_t buf[128];
	int n, i;

	(void)state;
	memset(buf, 0xcc, sizeof(buf));
	assert_int_equal(ocf_envelope_hdr(&e, buf, sizeof(buf)), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(buf[sizeof(want)], 0xcc);
	assert_int_equal(ocf_envelope_hdr(&e, buf, sizeof(want) - 1), -ENOSPC);

	/* The worst case is exactly XRELAY_PACKET_HDR_MAX. */
	e.seq = INT64_MIN;
	e.ts_ns = INT64_MIN;
	e.src_addr = e.dst_addr = v6;
	e.src_len = e.dst_len = 16;
	e.src_port = e.dst_port = 65535;
	e.payload_len = XRELAY_PACKET_PAYLOAD_MAX;
	assert_int_equal(ocf_envelope_hdr(&e, buf, sizeof(buf)), XRELAY_PACKET_HDR_MAX);

	/* Refused: address lengths other than 4 and 16, payloads too long. */
	for (i = 0; i <= 17; i++) {
		e.src_len = (uint8_t)i;
		n = ocf_envelope_hdr(&e, buf, sizeof(buf));
		if (i == 4 || i == 16)
			assert_true(n > 0);
		else
			assert_int_equal(n, -EINVAL);
	}
	e.src_len = 4;
	e.dst_len = 5;
	assert_int_equal(ocf_envelope_hdr(&e, buf, sizeof(buf)), -EINVAL);
	e.dst_len = 4;
	e.payload_len = XRELAY_PACKET_PAYLOAD_MAX + 1;
	assert_int_equal(ocf_envelope_hdr(&e, buf, sizeof(buf)), -EINVAL);
}

static void msg(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void msg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static const struct {
	const char *name;
	avro_type_t type;
} envelope_fields[XRELAY_PACKET_NFIELDS] = {
	{ "seq", AVRO_INT64 },	    { "ts_ns", AVRO_INT64 },	{ "src_addr", AVRO_BYTES },
	{ "src_port", AVRO_INT32 }, { "dst_addr", AVRO_BYTES }, { "dst_port", AVRO_INT32 },
	{ "payload", AVRO_BYTES },
};

static int envelope_check(avro_schema_t s, char *err, size_t errlen)
{
	size_t i, nf = avro_schema_record_size(s);

	if (nf != XRELAY_PACKET_NFIELDS) {
		msg(err, errlen, "%s has %zu fields, the envelope has %d", XRELAY_PACKET_NAME, nf,
		    XRELAY_PACKET_NFIELDS);
		return -EPROTO;
	}
	for (i = 0; i < nf; i++) {
		const char *fname = avro_schema_record_field_name(s, (int)i);
		avro_schema_t ft = avro_schema_record_field_get_by_index(s, (int)i);

		if (!fname || strcmp(fname, envelope_fields[i].name)) {
			msg(err, errlen, "%s field %zu is \"%s\", the envelope has \"%s\"",
			    XRELAY_PACKET_NAME, i, fname ? fname : "", envelope_fields[i].name);
			return -EPROTO;
		}
		if (!ft || avro_typeof(ft) != envelope_fields[i].type) {
			msg(err, errlen, "%s field \"%s\" has type %s, the envelope has another",
			    XRELAY_PACKET_NAME, fname, ft ? avro_schema_type_name(ft) : "?");
			return -EPROTO;
		}
	}
	return 0;
}

/*
 * What the dataplane checked at every start until the check became this test: parse @json with
 * avro-c (NULL: XRELAY_PACKET_SCHEMA); a record named xrelay.Packet (so always for NULL) must
 * have exactly the envelope's fields, names, types and order. Returns 0, -EINVAL (not a valid
 * Avro schema) or -EPROTO (not the envelope layout), with a sentence in @err (if not NULL).
 */
static int schema_check(const char *json, char *err, size_t errlen)
{
	bool envelope = !json, named = false;
	avro_schema_t s;
	const char *name, *space;
	int r = 0;

	if (!json)
		json = XRELAY_PACKET_SCHEMA;
	if (avro_schema_from_json_length(json, strlen(json), &s)) {
		msg(err, errlen, "not a valid Avro schema: %s", avro_strerror());
		return -EINVAL;
	}
	if (is_avro_record(s)) {
		name = avro_schema_name(s);
		space = avro_schema_namespace(s);
		named = name && space && !strcmp(name, "Packet") && !strcmp(space, "xrelay");
	}
	if (named || envelope) {
		if (!is_avro_record(s)) {
			msg(err, errlen, "the envelope schema is not a record");
			r = -EPROTO;
		} else if (!named) {
			msg(err, errlen, "the envelope schema is not named %s", XRELAY_PACKET_NAME);
			r = -EPROTO;
		} else {
			r = envelope_check(s, err, errlen);
		}
	}
	avro_schema_decref(s);
	return r;
}

static void test_schema_check(void **state)
{
	char err[256] = "";

	(void)state;
	assert_int_equal(schema_check(NULL, err, sizeof(err)), 0);
	assert_int_equal(schema_check(XRELAY_PACKET_SCHEMA, err, sizeof(err)), 0);
	assert_int_equal(schema_check("\"long\"", err, sizeof(err)), 0);
	assert_int_equal(
		schema_check("{\"type\":\"record\",\"name\":\"Other\",\"fields\":[]}", NULL, 0), 0);
	assert_int_equal(schema_check("{", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a valid Avro schema"));
	assert_int_equal(schema_check("{\"type\":\"nope\"}", err, sizeof(err)), -EINVAL);
	/* Claims to be the envelope but its fields differ. */
	assert_int_equal(
		schema_check("{\"type\":\"record\",\"name\":\"Packet\",\"namespace\":\"xrelay\","
			     "\"fields\":[{\"name\":\"ts_ns\",\"type\":\"long\"},"
			     "{\"name\":\"seq\",\"type\":\"long\"}]}",
			     err, sizeof(err)),
		-EPROTO);
	assert_non_null(strstr(err, "fields"));
	assert_int_equal(
		schema_check("{\"type\":\"record\",\"name\":\"Packet\",\"namespace\":\"xrelay\","
			     "\"fields\":[{\"name\":\"seq\",\"type\":\"int\"},"
			     "{\"name\":\"ts_ns\",\"type\":\"long\"},"
			     "{\"name\":\"src_addr\",\"type\":\"bytes\"},"
			     "{\"name\":\"src_port\",\"type\":\"int\"},"
			     "{\"name\":\"dst_addr\",\"type\":\"bytes\"},"
			     "{\"name\":\"dst_port\",\"type\":\"int\"},"
			     "{\"name\":\"payload\",\"type\":\"bytes\"}]}",
			     err, sizeof(err)),
		-EPROTO);
	assert_non_null(strstr(err, "\"seq\""));
}

/* ts_ns is a timestamp-nanos (Avro 1.12), so engines show a time; the value stays a long. */
static void test_ts_logical_type(void **state)
{
	json_error_t jerr;
	json_t *root = json_loads(XRELAY_PACKET_SCHEMA, 0, &jerr);
	json_t *f;

	(void)state;
	assert_non_null(root);
	f = json_array_get(json_object_get(root, "fields"), 1);
	assert_string_equal(json_string_value(json_object_get(f, "name")), "ts_ns");
	assert_string_equal(json_string_value(json_object_get(json_object_get(f, "type"), "type")),
			    "long");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(f, "type"), "logicalType")),
		"timestamp-nanos");
	json_decref(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_envelope_hdr),
		cmocka_unit_test(test_schema_check),
		cmocka_unit_test(test_ts_logical_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
