// SPDX-License-Identifier: MIT
/*
 * The channel wire format (api/channel.c): every field of a POST body at and past its bounds,
 * unknown and duplicate keys, malformed and too deep bodies, wrong types naming the field,
 * defaults, addresses, the response JSON byte for byte, round trips, and PATCH merge rules.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xrelay/api.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A body with one destination; %s is more fields of that destination. */
#define DEST_BODY \
	"{\"name\":\"a\",\"port\":1,\"destinations\":[{\"addr\":\"239.2.2.2\",\"port\":6000%s}]}"

/* A stored channel that PATCH tests start from. */
#define STORED                                                                                     \
	"{\"name\":\"feed-a\",\"port\":5000,\"addr\":\"239.1.1.1\",\"record\":true,"               \
	"\"destinations\":[{\"addr\":\"239.2.2.2\",\"port\":6000},{\"addr\":\"ff15::1\",\"port\":" \
	"6001,\"ttl\":9},{\"addr\":\"10.0.0.1\",\"port\":6002,\"every\":3}]}"

/* Values of one field and what the API must answer: 0 = accepted, else the status. */
struct value_case {
	const char *value;
	int status;
};

__attribute__((format(printf, 3, 4))) static const char *fmt(char *buf, size_t size, const char *f,
							     ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf, size, f, ap);
	va_end(ap);
	return buf;
}

/* An error must carry status, field and a detail fit for a problem document. */
static void check_error(const char *body, int r, const struct api_error *err, int status,
			const char *field)
{
	json_t *p;

	if (r != -1)
		fail_msg("accepted, want %d \"%s\": %s", status, field, body);
	if (err->status != status || strcmp(err->field, field))
		fail_msg("got %d \"%s\" (%s), want %d \"%s\": %s", err->status, err->field,
			 err->detail, status, field, body);
	if (!err->detail[0])
		fail_msg("no detail: %s", body);
	p = api_problem(err->status, NULL, err->detail, err->field);
	if (!p)
		fail_msg("detail not usable in a problem document (%s): %s", err->detail, body);
	json_decref(p);
}

static void parse_ok(const char *body, struct xrelay_channel_cfg *cfg)
{
	struct api_error err;

	memset(&err, 0, sizeof(err));
	if (api_channel_parse(body, strlen(body), cfg, &err))
		fail_msg("refused with %d \"%s\" (%s): %s", err.status, err.field, err.detail,
			 body);
}

/* Refused with @status naming @field; the error is left in *@ret (may be NULL). */
static void parse_bad(const char *body, int status, const char *field, struct api_error *ret)
{
	struct xrelay_channel_cfg cfg;
	struct api_error err;
	int r;

	memset(&err, 0, sizeof(err));
	r = api_channel_parse(body, strlen(body), &cfg, &err);
	check_error(body, r, &err, status, field);
	if (ret)
		*ret = err;
}

static void parse_expect(const char *body, int status, const char *field)
{
	struct xrelay_channel_cfg cfg;

	if (status)
		parse_bad(body, status, field, NULL);
	else
		parse_ok(body, &cfg);
}

static void assert_detail_has(const struct api_error *err, const char *want)
{
	if (!strstr(err->detail, want))
		fail_msg("detail \"%s\" lacks \"%s\"", err->detail, want);
}

static void addr_of(const char *text, __u8 out[16])
{
	struct in_addr a4;

	memset(out, 0, 16);
	if (inet_pton(AF_INET, text, &a4) == 1) {
		out[10] = 0xff;
		out[11] = 0xff;
		memcpy(&out[12], &a4, 4);
		return;
	}
	assert_int_equal(inet_pton(AF_INET6, text, out), 1);
}

static void test_parse_minimal_defaults(void **state)
{
	struct xrelay_channel_cfg cfg;
	static const __u8 zero[16];
	size_t i;

	(void)state;
	memset(&cfg, 0xa5, sizeof(cfg)); /* everything not set must come out zero */
	parse_ok("{\"name\":\"feed-a\",\"port\":5000}", &cfg);
	assert_string_equal(cfg.name, "feed-a");
	assert_int_equal(cfg.key.port, htons(5000));
	assert_memory_equal(cfg.key.addr, zero, 16);
	assert_int_equal(cfg.key.pad, 0);
	assert_int_equal(cfg.flags, XRELAY_CH_F_RECORD);
	assert_int_equal(cfg.ndests, 0);
	assert_int_equal(cfg.state, 0);
	assert_int_equal(cfg.generation, 0);
	assert_int_equal(cfg.created_ns, 0);
	assert_int_equal(cfg.rotate_bytes, 0);
	assert_int_equal(cfg.rotate_seconds, 0);
	assert_int_equal(cfg.format, XRELAY_FMT_ENVELOPE);
	for (i = 0; i < sizeof(cfg.dests); i++)
		assert_int_equal(((const unsigned char *)cfg.dests)[i], 0);
	for (i = 0; i < ARRAY_SIZE(cfg.reserved); i++)
		assert_int_equal(cfg.reserved[i], 0);
	for (i = strlen("feed-a"); i < sizeof(cfg.name); i++)
		assert_int_equal(cfg.name[i], 0);
}

static void test_parse_full(void **state)
{
	struct xrelay_channel_cfg cfg;
	__u8 want[16];

	(void)state;
	parse_ok("{\"name\":\"feed-a\",\"port\":5000,\"addr\":\"239.1.1.1\",\"record\":false,"
		 "\"destinations\":[{\"addr\":\"239.2.2.2\",\"port\":6000},"
		 "{\"addr\":\"ff15::1\",\"port\":6001,\"every\":10,\"ttl\":32,\"interface\":"
		 "\"eth0\"},{\"addr\":\"10.0.0.1\",\"port\":6002,\"interface\":null}]}",
		 &cfg);
	addr_of("239.1.1.1", want);
	assert_memory_equal(cfg.key.addr, want, 16);
	assert_int_equal(cfg.flags & XRELAY_CH_F_RECORD, 0);
	assert_int_equal(cfg.ndests, 3);

	addr_of("239.2.2.2", want);
	assert_memory_equal(cfg.dests[0].addr, want, 16);
	assert_int_equal(cfg.dests[0].port, htons(6000));
	assert_int_equal(cfg.dests[0].every, 1);
	assert_int_equal(cfg.dests[0].ttl, 1);
	assert_string_equal(cfg.dests[0].ifname, "");
	assert_int_equal(cfg.dests[0].pad, 0);

	addr_of("ff15::1", want);
	assert_memory_equal(cfg.dests[1].addr, want, 16);
	assert_int_equal(cfg.dests[1].port, htons(6001));
	assert_int_equal(cfg.dests[1].every, 10);
	assert_int_equal(cfg.dests[1].ttl, 32);
	assert_string_equal(cfg.dests[1].ifname, "eth0");

	addr_of("10.0.0.1", want);
	assert_memory_equal(cfg.dests[2].addr, want, 16);
	assert_int_equal(cfg.dests[2].port, htons(6002));
	assert_string_equal(cfg.dests[2].ifname, "");
}

static void test_parse_port(void **state)
{
	static const struct value_case cases[] = {
		{ "0", 422 },	 { "1", 0 },	    { "65535", 0 },	 { "65536", 422 },
		{ "-1", 422 },	 { "70000", 422 },  { "5000", 0 },	 { "-0", 422 },
		{ "1e3", 422 },	 { "5000.0", 422 }, { "\"5000\"", 422 }, { "true", 422 },
		{ "null", 422 }, { "[5000]", 422 }, { "{}", 422 },
	};
	struct xrelay_channel_cfg cfg;
	struct api_error err;
	char body[256];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		parse_expect(
			fmt(body, sizeof(body), "{\"name\":\"a\",\"port\":%s}", cases[i].value),
			cases[i].status, "port");
	parse_ok("{\"name\":\"a\",\"port\":1}", &cfg);
	assert_int_equal(cfg.key.port, htons(1));
	parse_ok("{\"name\":\"a\",\"port\":65535}", &cfg);
	assert_int_equal(cfg.key.port, htons(65535));
	parse_bad("{\"name\":\"a\",\"port\":70000}", 422, "port", &err);
	assert_string_equal(err.detail, "port must be an integer from 1 to 65535, got 70000.");
	parse_bad("{\"name\":\"a\",\"port\":\"5000\"}", 422, "port", &err);
	assert_detail_has(&err, "a string");
	parse_bad("{\"name\":\"a\",\"port\":5000.0}", 422, "port", &err);
	assert_detail_has(&err, "fraction");
}

static void test_parse_name(void **state)
{
	static const struct value_case cases[] = {
		{ "\"a\"", 0 },	      { "\"feed_A-9\"", 0 },  { "\"\"", 422 },
		{ "\"a/b\"", 422 },   { "\"/\"", 422 },	      { "\"..\"", 422 },
		{ "\".\"", 422 },     { "\"a.b\"", 422 },     { "\"a b\"", 422 },
		{ "\"a\\tb\"", 422 }, { "\"\\u00e9\"", 422 }, { "\"a\\\\b\"", 422 },
		{ "\"a~b\"", 422 },   { "5", 422 },	      { "null", 422 },
		{ "[\"a\"]", 422 },   { "true", 422 },
	};
	char name[80], body[256];
	struct xrelay_channel_cfg cfg;
	struct api_error err;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		parse_expect(fmt(body, sizeof(body), "{\"name\":%s,\"port\":1}", cases[i].value),
			     cases[i].status, "name");

	memset(name, 'n', 63);
	name[63] = '\0';
	parse_ok(fmt(body, sizeof(body), "{\"name\":\"%s\",\"port\":1}", name), &cfg);
	assert_string_equal(cfg.name, name);
	name[63] = 'n';
	name[64] = '\0';
	parse_bad(fmt(body, sizeof(body), "{\"name\":\"%s\",\"port\":1}", name), 422, "name", &err);
	assert_detail_has(&err, "64");

	parse_ok("{\"name\":\"ABCDEFGHIJKLMNOPQRSTUVWXYZ_-\",\"port\":1}", &cfg);
	assert_string_equal(cfg.name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-");
	parse_ok("{\"name\":\"abcdefghijklmnopqrstuvwxyz0123456789\",\"port\":1}", &cfg);
	assert_string_equal(cfg.name, "abcdefghijklmnopqrstuvwxyz0123456789");

	parse_bad("{\"name\":\"a/b\",\"port\":1}", 422, "name", &err);
	assert_detail_has(&err, "'/'");
	parse_bad("{\"name\":\"\\u00e9\",\"port\":1}", 422, "name", &err);
	assert_detail_has(&err, "0xc3");
}

static void test_parse_addr(void **state)
{
	static const char *const bad[] = {
		"\"256.1.1.1\"",
		"\"1.2.3\"",
		"\"foo\"",
		"\"\"",
		"\"fe80::1%eth0\"",
		"\"1.2.3.4/32\"",
		"\"::ffff:1.2.3.4.5\"",
		"\"01.2.3.4\"",
		"5",
		"true",
		"[\"1.2.3.4\"]",
		"\"1.2.3.4 \"",
	};
	static const char *const unspecified[] = { "0.0.0.0", "::", "::ffff:0.0.0.0",
						   "0:0:0:0:0:0:0:0" };
	struct xrelay_channel_cfg cfg, mapped;
	struct api_error err;
	static const __u8 zero[16];
	char body[256];
	__u8 want[16];
	size_t i;

	(void)state;
	parse_ok("{\"name\":\"a\",\"port\":1,\"addr\":\"239.1.1.1\"}", &cfg);
	addr_of("239.1.1.1", want);
	assert_memory_equal(cfg.key.addr, want, 16);
	assert_int_equal(cfg.key.addr[10], 0xff);
	assert_int_equal(cfg.key.addr[12], 239);

	parse_ok("{\"name\":\"a\",\"port\":1,\"addr\":\"::ffff:239.1.1.1\"}", &mapped);
	assert_memory_equal(mapped.key.addr, cfg.key.addr, 16);
	parse_ok("{\"name\":\"a\",\"port\":1,\"addr\":\"::FFFF:EF01:0101\"}", &mapped);
	assert_memory_equal(mapped.key.addr, cfg.key.addr, 16);

	parse_ok("{\"name\":\"a\",\"port\":1,\"addr\":\"FF15::1\"}", &cfg);
	addr_of("ff15::1", want);
	assert_memory_equal(cfg.key.addr, want, 16);
	parse_ok("{\"name\":\"a\",\"port\":1,\"addr\":\"2001:db8::1:2\"}", &cfg);
	addr_of("2001:db8::1:2", want);
	assert_memory_equal(cfg.key.addr, want, 16);

	parse_ok("{\"name\":\"a\",\"port\":1,\"addr\":null}", &cfg);
	assert_memory_equal(cfg.key.addr, zero, 16);
	parse_ok("{\"name\":\"a\",\"port\":1}", &cfg);
	assert_memory_equal(cfg.key.addr, zero, 16);

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		parse_bad(
			fmt(body, sizeof(body), "{\"name\":\"a\",\"port\":1,\"addr\":%s}", bad[i]),
			422, "addr", NULL);
	for (i = 0; i < ARRAY_SIZE(unspecified); i++) {
		parse_bad(fmt(body, sizeof(body), "{\"name\":\"a\",\"port\":1,\"addr\":\"%s\"}",
			      unspecified[i]),
			  422, "addr", &err);
		assert_detail_has(&err, "unspecified");
		assert_detail_has(&err, "omit addr");
	}
}

static void test_parse_record(void **state)
{
	static const char *const bad[] = { "\"true\"", "1", "0", "null", "[]", "{}" };
	struct xrelay_channel_cfg cfg;
	char body[256];
	size_t i;

	(void)state;
	parse_ok("{\"name\":\"a\",\"port\":1,\"record\":true}", &cfg);
	assert_int_equal(cfg.flags, XRELAY_CH_F_RECORD);
	parse_ok("{\"name\":\"a\",\"port\":1,\"record\":false}", &cfg);
	assert_int_equal(cfg.flags, 0);
	parse_ok("{\"name\":\"a\",\"port\":1}", &cfg);
	assert_int_equal(cfg.flags, XRELAY_CH_F_RECORD);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		parse_bad(fmt(body, sizeof(body), "{\"name\":\"a\",\"port\":1,\"record\":%s}",
			      bad[i]),
			  422, "record", NULL);
}

static void test_parse_dest_every(void **state)
{
	static const struct value_case cases[] = {
		{ "0", 422 },	    { "1", 0 },	     { "1000000", 0 },
		{ "1000001", 422 }, { "-1", 422 },   { "\"1\"", 422 },
		{ "1.0", 422 },	    { "null", 422 }, { "false", 422 },
	};
	struct xrelay_channel_cfg cfg;
	char body[256], more[64];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		parse_expect(fmt(body, sizeof(body), DEST_BODY,
				 fmt(more, sizeof(more), ",\"every\":%s", cases[i].value)),
			     cases[i].status, "destinations/0/every");
	parse_ok(fmt(body, sizeof(body), DEST_BODY, ",\"every\":1000000"), &cfg);
	assert_int_equal(cfg.dests[0].every, 1000000);
	parse_ok(fmt(body, sizeof(body), DEST_BODY, ""), &cfg);
	assert_int_equal(cfg.dests[0].every, 1);
}

static void test_parse_dest_ttl(void **state)
{
	static const struct value_case cases[] = {
		{ "0", 422 },  { "1", 0 },	 { "255", 0 },	 { "256", 422 },
		{ "-1", 422 }, { "\"1\"", 422 }, { "1.5", 422 }, { "null", 422 },
	};
	struct xrelay_channel_cfg cfg;
	char body[256], more[64];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		parse_expect(fmt(body, sizeof(body), DEST_BODY,
				 fmt(more, sizeof(more), ",\"ttl\":%s", cases[i].value)),
			     cases[i].status, "destinations/0/ttl");
	parse_ok(fmt(body, sizeof(body), DEST_BODY, ",\"ttl\":255"), &cfg);
	assert_int_equal(cfg.dests[0].ttl, 255);
	parse_ok(fmt(body, sizeof(body), DEST_BODY, ""), &cfg);
	assert_int_equal(cfg.dests[0].ttl, 1);
}

static void test_parse_dest_port_addr(void **state)
{
	static const struct value_case ports[] = {
		{ "0", 422 },  { "1", 0 },	    { "65535", 0 },    { "65536", 422 },
		{ "-1", 422 }, { "\"6000\"", 422 }, { "6000.0", 422 }, { "null", 422 },
	};
	static const char *const unspecified[] = { "0.0.0.0", "::", "::ffff:0.0.0.0" };
	struct xrelay_channel_cfg cfg;
	struct api_error err;
	char body[256];
	__u8 want[16];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(ports); i++)
		parse_expect(
			fmt(body, sizeof(body),
			    "{\"name\":\"a\",\"port\":1,\"destinations\":[{\"addr\":\"1.2.3.4\","
			    "\"port\":%s}]}",
			    ports[i].value),
			ports[i].status, "destinations/0/port");
	parse_bad("{\"name\":\"a\",\"port\":1,\"destinations\":[{\"addr\":\"1.2.3.4\"}]}", 422,
		  "destinations/0/port", &err);
	assert_detail_has(&err, "required");
	parse_bad("{\"name\":\"a\",\"port\":1,\"destinations\":[{\"port\":1}]}", 422,
		  "destinations/0/addr", &err);
	assert_detail_has(&err, "required");
	parse_bad("{\"name\":\"a\",\"port\":1,\"destinations\":[{\"addr\":null,\"port\":1}]}", 422,
		  "destinations/0/addr", NULL);
	parse_bad("{\"name\":\"a\",\"port\":1,\"destinations\":[{\"addr\":\"x\",\"port\":1}]}", 422,
		  "destinations/0/addr", NULL);
	for (i = 0; i < ARRAY_SIZE(unspecified); i++) {
		parse_bad(fmt(body, sizeof(body),
			      "{\"name\":\"a\",\"port\":1,\"destinations\":[{\"addr\":\"%s\","
			      "\"port\":1}]}",
			      unspecified[i]),
			  422, "destinations/0/addr", &err);
		assert_detail_has(&err, "unspecified");
	}
	parse_ok("{\"name\":\"a\",\"port\":1,\"destinations\":[{\"addr\":\"::ffff:10.1.2.3\","
		 "\"port\":65535}]}",
		 &cfg);
	addr_of("10.1.2.3", want);
	assert_memory_equal(cfg.dests[0].addr, want, 16);
	assert_int_equal(cfg.dests[0].port, htons(65535));
}

/* A destination the channel would capture again is refused: a relay into itself loops. */
static void test_parse_dest_loops(void **state)
{
	static const struct {
		const char *chan_addr; /* NULL: any address */
		const char *dest_addr;
		int dest_port, status;
	} t[] = {
		{ "239.1.1.1", "239.1.1.1", 5000, 422 },	/* its own group and port */
		{ "239.1.1.1", "::ffff:239.1.1.1", 5000, 422 }, /* the same, written mapped */
		{ "ff15::1", "ff15::1", 5000, 422 },
		{ "192.0.2.1", "192.0.2.1", 5000, 422 }, /* its own unicast address */
		{ NULL, "239.1.1.2", 5000, 422 },	 /* any address: a group loops back */
		{ NULL, "ff15::2", 5000, 422 },
		{ "239.1.1.1", "239.1.1.1", 5001, 0 }, /* another port */
		{ "239.1.1.1", "239.1.1.2", 5000, 0 }, /* another group */
		{ "239.1.1.1", "192.0.2.9", 5000, 0 },
		{ NULL, "192.0.2.9", 5000, 0 }, /* any address: a unicast elsewhere is fine */
	};
	struct xrelay_channel_cfg cfg;
	struct api_error err;
	char body[512], addr[64];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		if (t[i].chan_addr)
			fmt(addr, sizeof(addr), "\"addr\":\"%s\",", t[i].chan_addr);
		else
			addr[0] = '\0';
		fmt(body, sizeof(body),
		    "{\"name\":\"a\",%s\"port\":5000,\"destinations\":[{\"addr\":\"10.9.9.9\","
		    "\"port\":5000},{\"addr\":\"%s\",\"port\":%d}]}",
		    addr, t[i].dest_addr, t[i].dest_port);
		parse_expect(body, t[i].status, "destinations/1/port");
	}
	parse_bad("{\"name\":\"a\",\"addr\":\"239.1.1.1\",\"port\":5000,\"destinations\":[{"
		  "\"addr\":\"239.1.1.1\",\"port\":5000}]}",
		  422, "destinations/0/port", &err);
	assert_detail_has(&err, "loop");
	assert_detail_has(&err, "239.1.1.1 port 5000");
	/* A PATCH is checked against the stored channel's own address and port. */
	parse_ok("{\"name\":\"a\",\"addr\":\"239.1.1.1\",\"port\":5000}", &cfg);
	memset(&err, 0, sizeof(err));
	fmt(body, sizeof(body), "{\"destinations\":[{\"addr\":\"239.1.1.1\",\"port\":5000}]}");
	assert_int_equal(api_channel_patch(body, strlen(body), &cfg, &err), -1);
	assert_int_equal(err.status, 422);
	assert_string_equal(err.field, "destinations/0/port");
	assert_int_equal(cfg.ndests, 0);
}

static void test_parse_dest_interface(void **state)
{
	static const struct value_case cases[] = {
		{ "\"eth0\"", 0 },
		{ "\"a\"", 0 },
		{ "\"vlan.10:x_y-Z\"", 0 },
		{ "\"123456789012345\"", 0 },
		{ "\"1234567890123456\"", 422 },
		{ "\"\"", 422 },
		{ "\"eth 0\"", 422 },
		{ "\"eth/0\"", 422 },
		{ "\"eth0\\n\"", 422 },
		{ "\"\\u00e9th\"", 422 },
		{ "\"eth%0\"", 422 },
		{ "5", 422 },
		{ "true", 422 },
		{ "[\"eth0\"]", 422 },
		{ "null", 0 },
	};
	struct xrelay_channel_cfg cfg;
	char body[256], more[64];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		parse_expect(fmt(body, sizeof(body), DEST_BODY,
				 fmt(more, sizeof(more), ",\"interface\":%s", cases[i].value)),
			     cases[i].status, "destinations/0/interface");
	parse_ok(fmt(body, sizeof(body), DEST_BODY, ",\"interface\":\"123456789012345\""), &cfg);
	assert_string_equal(cfg.dests[0].ifname, "123456789012345");
	parse_ok(fmt(body, sizeof(body), DEST_BODY, ",\"interface\":null"), &cfg);
	assert_string_equal(cfg.dests[0].ifname, "");
}

/* A POST (or with @patch a PATCH) body with @n destinations 239.2.2.<i+1>:<6000+i>. */
static void dests_body(char *buf, size_t size, bool patch, unsigned int n)
{
	size_t off;
	unsigned int i;

	off = (size_t)snprintf(buf, size, "{%sdestinations\":[",
			       patch ? "\"" : "\"name\":\"a\",\"port\":1,\"");
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(buf + off, size - off,
					"%s{\"addr\":\"239.2.2.%u\",\"port\":%u}", i ? "," : "",
					i + 1, 6000 + i);
	snprintf(buf + off, size - off, "]}");
}

static void test_parse_dest_count(void **state)
{
	struct xrelay_channel_cfg cfg;
	struct api_error err;
	char body[2048];
	unsigned int i;

	(void)state;
	parse_ok("{\"name\":\"a\",\"port\":1,\"destinations\":[]}", &cfg);
	assert_int_equal(cfg.ndests, 0);
	dests_body(body, sizeof(body), false, XRELAY_MAX_DESTS);
	parse_ok(body, &cfg);
	assert_int_equal(cfg.ndests, XRELAY_MAX_DESTS);
	for (i = 0; i < XRELAY_MAX_DESTS; i++) {
		assert_int_equal(cfg.dests[i].port, htons(6000 + i));
		assert_int_equal(cfg.dests[i].addr[15], i + 1);
	}
	dests_body(body, sizeof(body), false, XRELAY_MAX_DESTS + 1);
	parse_bad(body, 422, "destinations", &err);
	assert_detail_has(&err, "8");

	/* The path names the element at fault. */
	parse_bad(
		"{\"name\":\"a\",\"port\":1,\"destinations\":[{\"addr\":\"1.1.1.1\",\"port\":1},"
		"{\"addr\":\"1.1.1.2\",\"port\":1},{\"addr\":\"1.1.1.3\",\"port\":1,\"every\":0}]}",
		422, "destinations/2/every", &err);
	assert_detail_has(&err, "destinations/2/every");
	assert_detail_has(&err, "1 to 1000000");
}

static void test_parse_dest_types(void **state)
{
	static const char *const not_array[] = { "{}", "null", "\"x\"", "1", "true" };
	static const char *const not_object[] = { "[]", "null", "\"x\"", "1", "true" };
	char body[256];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(not_array); i++)
		parse_bad(fmt(body, sizeof(body), "{\"name\":\"a\",\"port\":1,\"destinations\":%s}",
			      not_array[i]),
			  422, "destinations", NULL);
	for (i = 0; i < ARRAY_SIZE(not_object); i++)
		parse_bad(fmt(body, sizeof(body),
			      "{\"name\":\"a\",\"port\":1,\"destinations\":[{\"addr\":\"1.1.1.1\","
			      "\"port\":1},%s]}",
			      not_object[i]),
			  422, "destinations/1", NULL);
}

static void test_parse_unknown_fields(void **state)
{
	struct api_error err;

	(void)state;
	parse_bad("{\"name\":\"a\",\"port\":1,\"foo\":1}", 400, "foo", &err);
	assert_detail_has(&err, "foo");
	parse_bad("{\"name\":\"a\",\"port\":1,\"Name\":\"a\"}", 400, "Name", NULL);
	parse_bad("{\"name\":\"a\",\"port\":1,\"id\":3}", 400, "id", NULL);
	parse_bad("{\"name\":\"a\",\"port\":1,\"generation\":1}", 400, "generation", NULL);
	parse_bad("{\"name\":\"a\",\"port\":1,\"destinations\":[{\"addr\":\"1.1.1.1\",\"port\":1},"
		  "{\"addr\":\"1.1.1.1\",\"port\":1,\"iface\":\"eth0\"}]}",
		  400, "destinations/1/iface", &err);
	assert_detail_has(&err, "iface");
	/* Unknown fields win over bad values, wherever they are. */
	parse_bad("{\"name\":\"a\",\"port\":0,\"foo\":1}", 400, "foo", NULL);
	parse_bad("{\"port\":\"x\",\"destinations\":[{\"addr\":\"0.0.0.0\",\"bar\":1}]}", 400,
		  "destinations/0/bar", NULL);
	/* Keys become JSON pointer tokens, and non-ASCII never breaks the detail. */
	parse_bad("{\"name\":\"a\",\"port\":1,\"a/b~c\":1}", 400, "a~1b~0c", NULL);
	parse_bad("{\"name\":\"a\",\"port\":1,\"\\u00e9\\u00e9\":1}", 400, "????", &err);
	parse_bad("{\"name\":\"a\",\"port\":1,\"\":1}", 400, "", NULL);
}

/* A member given twice is a 400 naming it, wherever it is. */
static void test_parse_duplicate_keys(void **state)
{
	struct api_error err;

	(void)state;
	parse_bad("{\"name\":\"a\",\"name\":\"b\",\"port\":1}", 400, "name", &err);
	assert_detail_has(&err, "twice");
	parse_bad("{\"name\":\"a\",\"port\":1,\"port\":1}", 400, "port", NULL);
	parse_bad("{ \"name\" : \"a\" , \"port\" : 1 , \"port\" : 1 }", 400, "port", NULL);
	parse_bad("{\"name\":\"a\",\"port\":1,\"destinations\":[{\"addr\":\"1.1.1.1\",\"port\":1},"
		  "{\"addr\":\"1.1.1.1\",\"port\":1,\"ttl\":[1,{\"x\":\"}]\\\"\"}],"
		  "\"addr\":\"1.1.1.2\"}]}",
		  400, "destinations/1/addr", NULL);
	/* Keys compare decoded; the path shows the decoded key. */
	parse_bad("{\"name\":\"a\",\"n\\u0061me\":\"b\",\"port\":1}", 400, "name", NULL);
	parse_bad("{\"name\":{\"a/b\":1,\"a/b\":2},\"port\":1}", 400, "name/a~1b", NULL);
	parse_bad("{\"name\":[0,[1,2,{\"k\":1,\"k\":1}]],\"port\":1}", 400, "name/1/2/k", NULL);
	/* The walk counts bytes, as jansson's position does, also after non-ASCII text. */
	parse_bad("{\"name\":\"\xc3\xa9\xc3\xa9\",\"destinations\":[{\"port\":1,\"port\":1}]}", 400,
		  "destinations/0/port", NULL);
	/* Duplicates are found before unknown members and bad values. */
	parse_bad("{\"foo\":1,\"port\":0,\"port\":0}", 400, "port", NULL);
}

static void test_parse_malformed(void **state)
{
	static const char *const bodies[] = {
		"{",
		"}",
		"{\"name\":}",
		"{\"name\":\"a\",\"port\":1,}",
		"{\"name\":\"a\",\"port\":1} x",
		"{\"name\":\"a\",\"port\":1}{}",
		"{'name':'a','port':1}",
		"{name:\"a\",\"port\":1}",
		"{\"name\":\"a\",\"port\":01}",
		"{\"name\":\"a\",\"port\":NaN}",
		"{\"name\":\"a\",\"port\":100000000000000000000}",
		"{\"name\":\"a\\u0000b\",\"port\":1}",
		"{\"name\":\"\xff\",\"port\":1}",
		"\xef\xbb\xbf{\"name\":\"a\",\"port\":1}",
		"{\"name\":\"a\",\"port\":1",
		"{\"name\":\"a",
		" ",
		"\"",
	};
	struct xrelay_channel_cfg cfg;
	struct api_error err;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bodies); i++)
		parse_bad(bodies[i], 400, "", NULL);

	memset(&err, 0, sizeof(err));
	r = api_channel_parse(NULL, 0, &cfg, &err);
	check_error("(NULL)", r, &err, 400, "");
	memset(&err, 0, sizeof(err));
	r = api_channel_parse("", 0, &cfg, &err);
	check_error("(empty)", r, &err, 400, "");
	/* The length counts, not a NUL: a whole body cut short is malformed. */
	memset(&err, 0, sizeof(err));
	r = api_channel_parse("{\"name\":\"a\",\"port\":1}", 10, &cfg, &err);
	check_error("(cut)", r, &err, 400, "");
	/* ... and bytes past the length are not read. */
	r = api_channel_parse("{\"name\":\"a\",\"port\":1}garbage",
			      strlen("{\"name\":\"a\",\"port\":1}"), &cfg, &err);
	assert_int_equal(r, 0);
}

static void test_parse_not_object(void **state)
{
	static const char *const bodies[] = { "[]",    "[{\"name\":\"a\",\"port\":1}]",
					      "\"a\"", "5",
					      "null",  "true" };
	struct api_error err;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bodies); i++)
		parse_bad(bodies[i], 400, "", NULL);
	parse_bad("[1]", 400, "", &err);
	assert_detail_has(&err, "object");
}

/* {"name": [[..[1]..]], "port": 1} with the name @n brackets deep: 1 + n levels in all. */
static void nested_name(char *buf, size_t size, int n)
{
	size_t off = (size_t)snprintf(buf, size, "{\"name\":");
	int i;

	for (i = 0; i < n; i++)
		buf[off++] = '[';
	buf[off++] = '1';
	for (i = 0; i < n; i++)
		buf[off++] = ']';
	snprintf(buf + off, size - off, ",\"port\":1}");
}

/* [..[1]..] @n brackets deep (a static buffer). */
static const char *nested(int n)
{
	static char buf[2 * API_MAX_DEPTH + 8];
	int i;

	for (i = 0; i < n; i++) {
		buf[i] = '[';
		buf[n + 1 + i] = ']';
	}
	buf[n] = '1';
	buf[2 * n + 1] = '\0';
	return buf;
}

/* ,"ttl":{"a":[..[1]..]} with the object and @n - 1 brackets: @n levels. */
static const char *nested_ttl(char *buf, int n)
{
	int off = sprintf(buf, ",\"ttl\":{\"a\":"), i;

	for (i = 1; i < n; i++)
		buf[off++] = '[';
	buf[off++] = '1';
	for (i = 1; i < n; i++)
		buf[off++] = ']';
	strcpy(buf + off, "}");
	return buf;
}

static void test_parse_depth(void **state)
{
	char body[256], ttl[128];

	(void)state;
	nested_name(body, sizeof(body), API_MAX_DEPTH - 1);
	parse_bad(body, 422, "name", NULL); /* API_MAX_DEPTH levels: read, then a wrong type */
	nested_name(body, sizeof(body), API_MAX_DEPTH);
	parse_bad(body, 400, "", NULL);
	nested_name(body, sizeof(body), 100);
	parse_bad(body, 400, "", NULL);

	/* Objects count too: body, destinations, destination = 3, then the ttl's nesting. */
	parse_bad(fmt(body, sizeof(body), DEST_BODY, nested_ttl(ttl, API_MAX_DEPTH - 3)), 422,
		  "destinations/0/ttl", NULL);
	parse_bad(fmt(body, sizeof(body), DEST_BODY, nested_ttl(ttl, API_MAX_DEPTH - 2)), 400, "",
		  NULL);

	/* Brackets in strings are not nesting. */
	parse_bad("{\"name\":\"[[[[[[[[[[[[{{{{{{{{{\",\"port\":1}", 422, "name", NULL);
	parse_bad("{\"name\":\"a\\\"[[[[[[[[[[[[\",\"port\":1}", 422, "name", NULL);
	parse_bad("{\"[[[[[[[[[[\":1,\"name\":\"a\",\"port\":1}", 400, "[[[[[[[[[[", NULL);
	/* An escaped backslash does not escape the closing quote. */
	parse_bad("{\"name\":\"a\\\\\",\"port\":[[[[[[[1]]]]]]]}", 422, "name", NULL);
	parse_bad(
		"{\"name\":\"a\\\\\",\"port\":"
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
		400, "", NULL);
}

static void test_parse_wrong_types(void **state)
{
	(void)state;
	parse_bad("{\"name\":5,\"port\":1}", 422, "name", NULL);
	parse_bad("{\"name\":\"a\",\"port\":\"1\"}", 422, "port", NULL);
	parse_bad("{\"name\":\"a\",\"port\":1.0}", 422, "port", NULL);
	parse_bad("{\"name\":\"a\",\"port\":true}", 422, "port", NULL);
	parse_bad("{\"name\":\"a\",\"port\":1,\"addr\":3925934337}", 422, "addr", NULL);
	parse_bad("{\"name\":\"a\",\"port\":1,\"record\":\"yes\"}", 422, "record", NULL);
	parse_bad("{\"name\":\"a\",\"port\":1,\"destinations\":{}}", 422, "destinations", NULL);
	parse_bad("{\"name\":\"a\",\"port\":1,\"destinations\":[{\"addr\":\"1.1.1.1\",\"port\":1,"
		  "\"every\":\"2\"}]}",
		  422, "destinations/0/every", NULL);
	parse_bad("{\"name\":\"a\",\"port\":1,\"destinations\":[{\"addr\":1,\"port\":1}]}", 422,
		  "destinations/0/addr", NULL);
	parse_bad("{\"name\":\"a\",\"port\":1,\"destinations\":[{\"addr\":\"1.1.1.1\",\"port\":1,"
		  "\"interface\":0}]}",
		  422, "destinations/0/interface", NULL);
}

static void test_parse_missing_required(void **state)
{
	struct api_error err;

	(void)state;
	parse_bad("{}", 422, "name", &err);
	assert_detail_has(&err, "required");
	parse_bad("{\"port\":1}", 422, "name", NULL);
	parse_bad("{\"name\":\"a\"}", 422, "port", &err);
	assert_detail_has(&err, "required");
	parse_bad("{\"name\":\"a\",\"addr\":\"1.1.1.1\",\"record\":true}", 422, "port", NULL);
}

static const char shape_body[] =
	"{\"name\":\"feed-a\",\"port\":5000,\"addr\":\"239.1.1.1\",\"record\":true,"
	"\"destinations\":[{\"addr\":\"239.2.2.2\",\"port\":6000,\"every\":1,\"ttl\":1,"
	"\"interface\":\"eth0\"},{\"addr\":\"ff15::1\",\"port\":6001,\"every\":10,\"ttl\":32,"
	"\"interface\":null}]}";

/* 2026-11-24T04:05:06.123456789Z */
#define KNOWN_NS 1795493106123456789ull

static void test_to_json_shape(void **state)
{
	struct xrelay_channel_cfg cfg;
	json_t *j;
	char *s;

	(void)state;
	parse_ok(shape_body, &cfg);
	cfg.created_ns = KNOWN_NS;
	cfg.generation = 1;
	cfg.state = XRELAY_CH_ACTIVE;
	j = api_channel_to_json(&cfg, 3);
	assert_non_null(j);
	s = json_dumps(j, JSON_COMPACT);
	assert_non_null(s);
	assert_string_equal(
		s, "{\"id\":3,\"name\":\"feed-a\",\"port\":5000,\"addr\":\"239.1.1.1\","
		   "\"record\":true,\"destinations\":[{\"addr\":\"239.2.2.2\",\"port\":6000,"
		   "\"every\":1,\"ttl\":1,\"interface\":\"eth0\"},{\"addr\":\"ff15::1\","
		   "\"port\":6001,\"every\":10,\"ttl\":32,\"interface\":null}],"
		   "\"retention\":{\"max_age\":null,\"max_bytes\":null},"
		   "\"created_at\":\"2026-11-24T04:05:06.123456789Z\",\"generation\":1,"
		   "\"format\":\"envelope\",\"codec\":null,\"prefix\":null}");
	free(s);
	json_decref(j);
}

static void test_to_json_defaults(void **state)
{
	struct xrelay_channel_cfg cfg;
	json_t *j, *d;

	(void)state;
	parse_ok("{\"name\":\"b\",\"port\":65535,\"record\":false,"
		 "\"destinations\":[{\"addr\":\"2001:db8:0:0:1:0:0:1\",\"port\":1}]}",
		 &cfg);
	j = api_channel_to_json(&cfg, 1023);
	assert_non_null(j);
	assert_int_equal(json_object_size(j), 12);
	assert_int_equal(json_integer_value(json_object_get(j, "id")), 1023);
	assert_string_equal(json_string_value(json_object_get(j, "name")), "b");
	assert_int_equal(json_integer_value(json_object_get(j, "port")), 65535);
	assert_true(json_is_null(json_object_get(j, "addr")));
	assert_true(json_is_false(json_object_get(j, "record")));
	assert_string_equal(json_string_value(json_object_get(j, "created_at")),
			    "1970-01-01T00:00:00.000000000Z");
	assert_int_equal(json_integer_value(json_object_get(j, "generation")), 0);
	assert_int_equal(json_array_size(json_object_get(j, "destinations")), 1);
	d = json_array_get(json_object_get(j, "destinations"), 0);
	assert_int_equal(json_object_size(d), 5);
	assert_string_equal(json_string_value(json_object_get(d, "addr")), "2001:db8::1:0:0:1");
	assert_int_equal(json_integer_value(json_object_get(d, "port")), 1);
	assert_int_equal(json_integer_value(json_object_get(d, "every")), 1);
	assert_int_equal(json_integer_value(json_object_get(d, "ttl")), 1);
	assert_true(json_is_null(json_object_get(d, "interface")));
	json_decref(j);

	parse_ok("{\"name\":\"c\",\"port\":1}", &cfg);
	j = api_channel_to_json(&cfg, 0);
	assert_non_null(j);
	assert_true(json_is_array(json_object_get(j, "destinations")));
	assert_int_equal(json_array_size(json_object_get(j, "destinations")), 0);
	assert_true(json_is_true(json_object_get(j, "record")));
	json_decref(j);
}

/* parse -> to_json -> (minus the server's fields) parse gives the same config. */
static void test_round_trip(void **state)
{
	static const char *const bodies[] = {
		shape_body,
		"{\"name\":\"x\",\"port\":1}",
		"{\"name\":\"y\",\"port\":9,\"addr\":\"::ffff:10.0.0.1\",\"record\":false}",
		"{\"name\":\"z\",\"port\":9,\"addr\":\"2001:DB8::0:1\",\"destinations\":[{\"addr\":"
		"\"::1\",\"port\":2,\"every\":1000000,\"ttl\":255,\"interface\":\"lo\"}]}",
	};
	struct xrelay_channel_cfg a, b;
	size_t i;
	json_t *j;
	char *s;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bodies); i++) {
		parse_ok(bodies[i], &a);
		j = api_channel_to_json(&a, 7);
		assert_non_null(j);
		assert_int_equal(json_object_del(j, "id"), 0);
		assert_int_equal(json_object_del(j, "created_at"), 0);
		assert_int_equal(json_object_del(j, "generation"), 0);
		s = json_dumps(j, JSON_COMPACT);
		assert_non_null(s);
		parse_ok(s, &b);
		assert_memory_equal(&a, &b, sizeof(a));
		free(s);
		json_decref(j);
	}
}

/* The stored channel PATCH tests start from, with server-side fields set. */
static void stored(struct xrelay_channel_cfg *cfg)
{
	parse_ok(STORED, cfg);
	cfg->state = XRELAY_CH_ACTIVE;
	cfg->generation = 5;
	cfg->created_ns = KNOWN_NS;
	cfg->rotate_bytes = 1 << 20;
	cfg->rotate_seconds = 60;
}

static void patch_ok(const char *body, struct xrelay_channel_cfg *cfg)
{
	struct api_error err;

	memset(&err, 0, sizeof(err));
	if (api_channel_patch(body, strlen(body), cfg, &err))
		fail_msg("refused with %d \"%s\" (%s): %s", err.status, err.field, err.detail,
			 body);
}

/* Refused with @status naming @field, and the stored channel left as it was. */
static void patch_bad(const char *body, int status, const char *field, struct api_error *ret)
{
	struct xrelay_channel_cfg cfg, before;
	struct api_error err;
	int r;

	stored(&cfg);
	before = cfg;
	memset(&err, 0, sizeof(err));
	r = api_channel_patch(body, strlen(body), &cfg, &err);
	check_error(body, r, &err, status, field);
	assert_memory_equal(&cfg, &before, sizeof(cfg));
	if (ret)
		*ret = err;
}

static void test_patch_record(void **state)
{
	struct xrelay_channel_cfg cfg, before;

	(void)state;
	stored(&cfg);
	before = cfg;
	patch_ok("{\"record\":false}", &cfg);
	assert_int_equal(cfg.flags & XRELAY_CH_F_RECORD, 0);
	/* Nothing else moved. */
	before.flags &= ~(__u32)XRELAY_CH_F_RECORD;
	assert_memory_equal(&cfg, &before, sizeof(cfg));
	patch_ok("{\"record\":true}", &cfg);
	assert_int_equal(cfg.flags & XRELAY_CH_F_RECORD, XRELAY_CH_F_RECORD);
	patch_ok("{\"record\":false}", &cfg);
	patch_ok("{\"record\":null}", &cfg);
	assert_int_equal(cfg.flags & XRELAY_CH_F_RECORD, XRELAY_CH_F_RECORD);
	patch_ok("{}", &cfg);
	assert_int_equal(cfg.flags & XRELAY_CH_F_RECORD, XRELAY_CH_F_RECORD);

	patch_bad("{\"record\":\"false\"}", 422, "record", NULL);
	patch_bad("{\"record\":0}", 422, "record", NULL);
}

static void test_patch_destinations(void **state)
{
	struct xrelay_channel_cfg cfg, before;
	static const struct xrelay_dest zero;
	char body[2048];
	__u8 want[16];
	unsigned int i;

	(void)state;
	stored(&cfg);
	before = cfg;
	assert_int_equal(cfg.ndests, 3);
	/* The list is replaced, not merged: one destination left, the rest cleared. */
	patch_ok("{\"destinations\":[{\"addr\":\"ff02::1\",\"port\":7000,\"interface\":\"eth1\"}]}",
		 &cfg);
	assert_int_equal(cfg.ndests, 1);
	addr_of("ff02::1", want);
	assert_memory_equal(cfg.dests[0].addr, want, 16);
	assert_int_equal(cfg.dests[0].port, htons(7000));
	assert_int_equal(cfg.dests[0].every, 1);
	assert_int_equal(cfg.dests[0].ttl, 1);
	assert_string_equal(cfg.dests[0].ifname, "eth1");
	for (i = 1; i < XRELAY_MAX_DESTS; i++)
		assert_memory_equal(&cfg.dests[i], &zero, sizeof(zero));
	assert_int_equal(cfg.flags, before.flags);
	assert_memory_equal(&cfg.key, &before.key, sizeof(cfg.key));
	assert_string_equal(cfg.name, before.name);
	assert_int_equal(cfg.generation, before.generation);
	assert_int_equal(cfg.created_ns, before.created_ns);
	assert_int_equal(cfg.state, before.state);
	assert_int_equal(cfg.rotate_bytes, before.rotate_bytes);
	assert_int_equal(cfg.rotate_seconds, before.rotate_seconds);

	stored(&cfg);
	patch_ok("{\"destinations\":null}", &cfg);
	assert_int_equal(cfg.ndests, 0);
	for (i = 0; i < XRELAY_MAX_DESTS; i++)
		assert_memory_equal(&cfg.dests[i], &zero, sizeof(zero));
	stored(&cfg);
	patch_ok("{\"destinations\":[]}", &cfg);
	assert_int_equal(cfg.ndests, 0);

	stored(&cfg);
	dests_body(body, sizeof(body), true, XRELAY_MAX_DESTS);
	patch_ok(body, &cfg);
	assert_int_equal(cfg.ndests, XRELAY_MAX_DESTS);
	assert_int_equal(cfg.dests[XRELAY_MAX_DESTS - 1].port, htons(6000 + XRELAY_MAX_DESTS - 1));
	dests_body(body, sizeof(body), true, XRELAY_MAX_DESTS + 1);
	patch_bad(body, 422, "destinations", NULL);

	patch_bad("{\"destinations\":[{\"addr\":\"1.1.1.1\",\"port\":1,\"ttl\":256}]}", 422,
		  "destinations/0/ttl", NULL);
	patch_bad("{\"destinations\":{}}", 422, "destinations", NULL);
	patch_bad("{\"destinations\":[{\"addr\":\"1.1.1.1\",\"port\":1,\"x\":1}]}", 400,
		  "destinations/0/x", NULL);
}

static void test_patch_same_immutables(void **state)
{
	struct xrelay_channel_cfg cfg, before;

	(void)state;
	stored(&cfg);
	before = cfg;
	patch_ok("{\"name\":\"feed-a\",\"port\":5000,\"addr\":\"239.1.1.1\"}", &cfg);
	assert_memory_equal(&cfg, &before, sizeof(cfg));
	patch_ok("{\"addr\":\"::ffff:239.1.1.1\"}", &cfg);
	patch_ok("{\"name\":\"feed-a\",\"record\":false}", &cfg);
	assert_int_equal(cfg.flags & XRELAY_CH_F_RECORD, 0);

	parse_ok("{\"name\":\"any\",\"port\":1}", &cfg);
	patch_ok("{\"addr\":null,\"port\":1}", &cfg);
	parse_ok("{\"name\":\"six\",\"port\":1,\"addr\":\"ff15::1\"}", &cfg);
	patch_ok("{\"addr\":\"FF15:0:0::1\"}", &cfg);
}

static void test_patch_changed_immutables(void **state)
{
	struct xrelay_channel_cfg cfg, before;
	struct api_error err;
	int r;

	(void)state;
	patch_bad("{\"name\":\"feed-b\"}", 422, "name", &err);
	assert_detail_has(&err, "cannot be changed");
	patch_bad("{\"name\":\"FEED-A\"}", 422, "name", NULL);
	patch_bad("{\"name\":\"feed-a\\u0000\"}", 400, "", NULL);
	patch_bad("{\"name\":null}", 422, "name", NULL);
	patch_bad("{\"name\":5}", 422, "name", NULL);
	patch_bad("{\"port\":5001}", 422, "port", &err);
	assert_detail_has(&err, "cannot be changed");
	assert_detail_has(&err, "5000");
	patch_bad("{\"port\":5000.0}", 422, "port", NULL);
	patch_bad("{\"port\":\"5000\"}", 422, "port", NULL);
	patch_bad("{\"port\":null}", 422, "port", NULL);
	patch_bad("{\"addr\":\"239.1.1.2\"}", 422, "addr", &err);
	assert_detail_has(&err, "cannot be changed");
	patch_bad("{\"addr\":null}", 422, "addr", NULL);
	patch_bad("{\"addr\":\"bogus\"}", 422, "addr", NULL);
	patch_bad("{\"addr\":\"0.0.0.0\"}", 422, "addr", NULL);
	/* A change refused: the record change in the same body is not applied either. */
	patch_bad("{\"record\":false,\"port\":1}", 422, "port", NULL);

	parse_ok("{\"name\":\"any\",\"port\":1}", &cfg);
	before = cfg;
	memset(&err, 0, sizeof(err));
	r = api_channel_patch("{\"addr\":\"1.2.3.4\"}", strlen("{\"addr\":\"1.2.3.4\"}"), &cfg,
			      &err);
	check_error("addr on any", r, &err, 422, "addr");
	assert_memory_equal(&cfg, &before, sizeof(cfg));
}

static void test_patch_read_only(void **state)
{
	struct api_error err;

	(void)state;
	patch_bad("{\"id\":3}", 422, "id", &err);
	assert_detail_has(&err, "read-only");
	patch_bad("{\"created_at\":\"2026-11-24T04:05:06.123456789Z\"}", 422, "created_at", NULL);
	patch_bad("{\"generation\":5}", 422, "generation", NULL);
	patch_bad("{\"generation\":null}", 422, "generation", NULL);
	patch_bad("{\"record\":false,\"id\":3}", 422, "id", NULL);
}

static void test_patch_unknown(void **state)
{
	(void)state;
	patch_bad("{\"foo\":1}", 400, "foo", NULL);
	patch_bad("{\"foo\":null}", 400, "foo", NULL);
	patch_bad("{\"record\":false,\"rotate_bytes\":1}", 400, "rotate_bytes", NULL);
	/* Unknown wins over read-only and over changes of immutables. */
	patch_bad("{\"id\":1,\"port\":9,\"foo\":1}", 400, "foo", NULL);
}

static void test_patch_body_errors(void **state)
{
	char body[256];

	(void)state;
	patch_bad("[]", 400, "", NULL);
	patch_bad("null", 400, "", NULL);
	patch_bad("\"record\"", 400, "", NULL);
	patch_bad("{\"record\":false", 400, "", NULL);
	patch_bad("{\"record\":false,\"record\":true}", 400, "record", NULL);
	patch_bad("", 400, "", NULL);
	snprintf(body, sizeof(body), "{\"destinations\":%s}", nested(API_MAX_DEPTH));
	patch_bad(body, 400, "", NULL);
	snprintf(body, sizeof(body), "{\"destinations\":[[[[[[[1]]]]]]]}");
	patch_bad(body, 422, "destinations/0", NULL);
}

/* Every refusal leaves the stored channel untouched, even after parts were valid. */
static void test_patch_error_leaves_cfg(void **state)
{
	(void)state;
	patch_bad("{\"record\":false,\"destinations\":[{\"addr\":\"1.1.1.1\",\"port\":1},"
		  "{\"addr\":\"1.1.1.2\",\"port\":0}]}",
		  422, "destinations/1/port", NULL);
	patch_bad("{\"destinations\":[],\"record\":7}", 422, "record", NULL);
	patch_bad("{\"destinations\":[{\"addr\":\"1.1.1.1\",\"port\":1}],\"name\":\"other\"}", 422,
		  "name", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_minimal_defaults),
		cmocka_unit_test(test_parse_full),
		cmocka_unit_test(test_parse_port),
		cmocka_unit_test(test_parse_name),
		cmocka_unit_test(test_parse_addr),
		cmocka_unit_test(test_parse_record),
		cmocka_unit_test(test_parse_dest_every),
		cmocka_unit_test(test_parse_dest_ttl),
		cmocka_unit_test(test_parse_dest_port_addr),
		cmocka_unit_test(test_parse_dest_loops),
		cmocka_unit_test(test_parse_dest_interface),
		cmocka_unit_test(test_parse_dest_count),
		cmocka_unit_test(test_parse_dest_types),
		cmocka_unit_test(test_parse_unknown_fields),
		cmocka_unit_test(test_parse_duplicate_keys),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_parse_not_object),
		cmocka_unit_test(test_parse_depth),
		cmocka_unit_test(test_parse_wrong_types),
		cmocka_unit_test(test_parse_missing_required),
		cmocka_unit_test(test_to_json_shape),
		cmocka_unit_test(test_to_json_defaults),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_patch_record),
		cmocka_unit_test(test_patch_destinations),
		cmocka_unit_test(test_patch_same_immutables),
		cmocka_unit_test(test_patch_changed_immutables),
		cmocka_unit_test(test_patch_read_only),
		cmocka_unit_test(test_patch_unknown),
		cmocka_unit_test(test_patch_body_errors),
		cmocka_unit_test(test_patch_error_leaves_cfg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
