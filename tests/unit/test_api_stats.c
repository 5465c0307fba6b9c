// SPDX-License-Identifier: MIT
/*
 * Counters and problems on the wire (api/stats.c, api/problem.c): drop causes, their order and
 * sources, the stats JSON and its sum, the XDP global counters, problem documents and their
 * type slugs, reason phrases, RFC 3339 times and address text.
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

static const char *const cause_names[] = { "redirect_miss", "fragments",      "ring_full",
					   "no_buffer",	    "no_writer",      "write_failed",
					   "buffer_full",   "record_failed",  "dataplane_died",
					   "truncated",	    "socket_overflow" };

/* Every counter a distinct value, so a count read from the wrong place shows. */
static void totals_fill(struct mapctl_chan_totals *t)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	t->xdp.rx_packets = 1001;
	t->xdp.rx_bytes = 1002;
	t->xdp.redirect_miss = 3;
	t->xdp.frags_passed = 5;
	t->dp.recorded_packets = 2001;
	t->dp.recorded_bytes = 2002;
	t->dp.sent_packets = 2003;
	t->dp.sent_bytes = 2004;
	t->dp.write_errors = 2005;
	t->dp.send_errors = 2006;
	for (i = 0; i < XRELAY_DROP__MAX; i++)
		t->dp.drops[i] = 100u * (i + 1);
	t->dp.not_recorded = 7777;
	t->dp.record_failed = 8888;
	t->dp.files_deleted = 31;
	t->dp.bytes_deleted = 31u << 20;
	for (i = 0; i < XRELAY_MAX_DESTS; i++) {
		t->dests[i].selected = 10u * (i + 3);
		t->dests[i].sent_packets = 10u * (i + 3) + 1;
		t->dests[i].sent_bytes = 10u * (i + 3) + 2;
		t->dests[i].send_errors = 10u * (i + 3) + 3;
		t->dests[i].send_queue_full = 10u * (i + 3) + 4;
		t->dests[i].died = 10u * (i + 3) + 5;
	}
}

/* A channel with two destinations, one IPv4 and one IPv6 group, and a third slot unused. */
static void cfg_fill(struct xrelay_channel_cfg *cfg)
{
	static const __u8 v4[16] = { [10] = 0xff, [11] = 0xff, 239, 1, 2, 3 };
	static const __u8 v6[16] = { 0xff, 0x15, [15] = 7 };

	memset(cfg, 0, sizeof(*cfg));
	cfg->ndests = 2;
	memcpy(cfg->dests[0].addr, v4, 16);
	cfg->dests[0].port = htons(5001);
	memcpy(cfg->dests[1].addr, v6, 16);
	cfg->dests[1].port = htons(6000);
}

static void test_drop_causes(void **state)
{
	size_t i;

	(void)state;
	assert_int_equal(api_drop_causes_n, ARRAY_SIZE(cause_names));
	for (i = 0; i < api_drop_causes_n; i++) {
		assert_string_equal(api_drop_causes[i].name, cause_names[i]);
		assert_non_null(api_drop_causes[i].help);
		assert_true(strlen(api_drop_causes[i].help) > 10);
		assert_null(strchr(api_drop_causes[i].help, '\n')); /* one line for # HELP */
	}
}

static void test_drop_count_sources(void **state)
{
	struct mapctl_chan_totals t;

	(void)state;
	totals_fill(&t);
	assert_int_equal(api_drop_count(&t, 0), 3); /* redirect_miss */
	assert_int_equal(api_drop_count(&t, 1), 5); /* fragments */
	assert_int_equal(api_drop_count(&t, 2), 100 * (XRELAY_DROP_XSK_GAP + 1)); /* ring_full */
	assert_int_equal(api_drop_count(&t, 3), 100 * (XRELAY_DROP_NO_BUFFER + 1));
	assert_int_equal(api_drop_count(&t, 4), 100 * (XRELAY_DROP_NO_WRITER + 1));
	assert_int_equal(api_drop_count(&t, 5), 100 * (XRELAY_DROP_WRITE + 1));
	assert_int_equal(api_drop_count(&t, 6), 100 * (XRELAY_DROP_BUFFER_FULL + 1));
	assert_int_equal(api_drop_count(&t, 7), 8888); /* record_failed */
	assert_int_equal(api_drop_count(&t, 8), 100 * (XRELAY_DROP_DIED + 1));
	assert_int_equal(api_drop_count(&t, 9), 100 * (XRELAY_DROP_TRUNCATED + 1));
	assert_int_equal(api_drop_count(&t, 10), 100 * (XRELAY_DROP_SOCKET_OVERFLOW + 1));
	assert_int_equal(api_drop_count(&t, api_drop_causes_n), 0);
	assert_int_equal(api_drop_count(&t, (size_t)-1), 0);
}

static __u64 get_u64(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		fail_msg("\"%s\" missing or not an integer", key);
	return (__u64)json_integer_value(v);
}

static void test_stats_json(void **state)
{
	static const char *const keys[] = { "rx_packets",
					    "rx_bytes",
					    "recorded_packets",
					    "recorded_bytes",
					    "not_recorded_packets",
					    "rejected_packets",
					    "sent_packets",
					    "sent_bytes",
					    "write_errors",
					    "send_errors",
					    "send_queue_full",
					    "files_deleted",
					    "bytes_deleted",
					    "dropped_packets",
					    "drops",
					    "rejected",
					    "destinations" };
	static const char *const dest_keys[] = {
		"addr",	      "port",	     "selected",	"sent_packets",
		"sent_bytes", "send_errors", "send_queue_full", "dataplane_died"
	};
	struct xrelay_channel_cfg cfg;
	struct mapctl_chan_totals t;
	const json_t *dests, *d;
	json_t *j, *drops;
	void *it;
	__u64 sum = 0;
	size_t i;

	(void)state;
	totals_fill(&t);
	cfg_fill(&cfg);
	j = api_stats_to_json(&t, &cfg);
	assert_non_null(j);
	assert_int_equal(json_object_size(j), ARRAY_SIZE(keys));
	/* In the documented order. */
	for (it = json_object_iter(j), i = 0; it; it = json_object_iter_next(j, it), i++)
		assert_string_equal(json_object_iter_key(it), keys[i]);
	assert_int_equal(get_u64(j, "rx_packets"), 1001);
	assert_int_equal(get_u64(j, "rx_bytes"), 1002);
	assert_int_equal(get_u64(j, "recorded_packets"), 2001);
	assert_int_equal(get_u64(j, "recorded_bytes"), 2002);
	assert_int_equal(get_u64(j, "sent_packets"), 2003);
	assert_int_equal(get_u64(j, "sent_bytes"), 2004);
	assert_int_equal(get_u64(j, "write_errors"), 2005);
	assert_int_equal(get_u64(j, "send_errors"), 2006);
	assert_int_equal(get_u64(j, "not_recorded_packets"), 7777);
	/* The send path's loss is a counter beside the drops, not a drop: the books. */
	assert_int_equal(get_u64(j, "send_queue_full"), 100 * (XRELAY_DROP_SEND_QUEUE + 1));
	/* Retention's removals are not drops: the records were in files before. */
	assert_int_equal(get_u64(j, "files_deleted"), 31);
	assert_int_equal(get_u64(j, "bytes_deleted"), 31u << 20);

	drops = json_object_get(j, "drops");
	assert_true(json_is_object(drops));
	assert_int_equal(json_object_size(drops), ARRAY_SIZE(cause_names));
	for (i = 0; i < ARRAY_SIZE(cause_names); i++) {
		assert_int_equal(get_u64(drops, cause_names[i]), api_drop_count(&t, i));
		sum += get_u64(drops, cause_names[i]);
	}
	/* Every record-path cause: all dataplane ones but the send queue (500), record_failed. */
	assert_int_equal(sum, 3 + 5 + 100 * (1 + 2 + 3 + 4 + 6 + 7 + 8 + 9) + 8888);
	assert_int_equal(get_u64(j, "dropped_packets"), sum);

	/* One object per destination of the channel, in its order, its slot's counters. */
	dests = json_object_get(j, "destinations");
	assert_true(json_is_array(dests));
	assert_int_equal(json_array_size(dests), 2);
	d = json_array_get(dests, 0);
	for (it = json_object_iter((json_t *)d), i = 0; it;
	     it = json_object_iter_next((json_t *)d, it), i++)
		assert_string_equal(json_object_iter_key(it), dest_keys[i]);
	assert_int_equal(i, ARRAY_SIZE(dest_keys));
	assert_string_equal(json_string_value(json_object_get(d, "addr")), "239.1.2.3");
	assert_int_equal(get_u64(d, "port"), 5001);
	assert_int_equal(get_u64(d, "selected"), 30);
	assert_int_equal(get_u64(d, "sent_packets"), 31);
	assert_int_equal(get_u64(d, "send_queue_full"), 34);
	assert_int_equal(get_u64(d, "dataplane_died"), 35);
	d = json_array_get(dests, 1);
	assert_string_equal(json_string_value(json_object_get(d, "addr")), "ff15::7");
	assert_int_equal(get_u64(d, "port"), 6000);
	assert_int_equal(get_u64(d, "selected"), 40);
	assert_int_equal(get_u64(d, "sent_bytes"), 42);
	assert_int_equal(get_u64(d, "send_errors"), 43);
	json_decref(j);
}

static void test_stats_zero(void **state)
{
	struct xrelay_channel_cfg cfg;
	struct mapctl_chan_totals t;
	json_t *j, *drops;
	size_t i;

	(void)state;
	memset(&t, 0, sizeof(t));
	memset(&cfg, 0, sizeof(cfg));
	j = api_stats_to_json(&t, &cfg);
	assert_non_null(j);
	assert_int_equal(json_object_size(j), 17);
	assert_int_equal(json_array_size(json_object_get(j, "destinations")), 0);
	assert_int_equal(get_u64(j, "dropped_packets"), 0);
	drops = json_object_get(j, "drops");
	assert_int_equal(json_object_size(drops), api_drop_causes_n);
	for (i = 0; i < api_drop_causes_n; i++)
		assert_int_equal(get_u64(drops, api_drop_causes[i].name), 0);
	json_decref(j);
}

/* JSON integers are signed: a counter past INT64_MAX shows as INT64_MAX, never negative. */
static void test_stats_huge(void **state)
{
	struct xrelay_channel_cfg cfg;
	struct mapctl_chan_totals t;
	json_t *j;

	(void)state;
	memset(&t, 0, sizeof(t));
	memset(&cfg, 0, sizeof(cfg));
	t.xdp.rx_bytes = UINT64_MAX;
	t.xdp.redirect_miss = (__u64)INT64_MAX;
	t.dp.drops[XRELAY_DROP_TRUNCATED] = (__u64)INT64_MAX;
	j = api_stats_to_json(&t, &cfg);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "rx_bytes")), INT64_MAX);
	assert_int_equal(json_integer_value(json_object_get(j, "dropped_packets")), INT64_MAX);
	json_decref(j);

	/* The sum saturates rather than wrapping round to a small number. */
	memset(&t, 0, sizeof(t));
	t.xdp.redirect_miss = UINT64_MAX;
	t.xdp.frags_passed = 5;
	j = api_stats_to_json(&t, &cfg);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "dropped_packets")), INT64_MAX);
	json_decref(j);
}

static void test_xdp_global_json(void **state)
{
	static const char *const keys[] = { "packets",	     "pass_not_ip", "pass_not_udp",
					    "pass_no_match", "pass_frag",   "pass_malformed",
					    "redirected",    "meta_fail" };
	struct xrelay_xdp_global g = {
		.packets = 11,
		.pass_not_ip = 12,
		.pass_not_udp = 13,
		.pass_no_match = 14,
		.pass_frag = 15,
		.pass_malformed = 16,
		.redirected = 17,
		.meta_fail = 18,
	};
	json_t *j;
	size_t i;

	(void)state;
	j = api_xdp_global_to_json(&g);
	assert_non_null(j);
	assert_int_equal(json_object_size(j), ARRAY_SIZE(keys));
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		assert_int_equal(get_u64(j, keys[i]), 11 + i);
	json_decref(j);
}

static void test_problem(void **state)
{
	json_t *p;
	char *s;

	(void)state;
	p = api_problem(422, "Unprocessable Content",
			"port must be an integer from 1 to 65535, got 70000", "port");
	assert_non_null(p);
	s = json_dumps(p, JSON_COMPACT);
	assert_string_equal(s, "{\"type\":\"https://xrelay.dev/problems/unprocessable-content\","
			       "\"title\":\"Unprocessable Content\",\"status\":422,"
			       "\"detail\":\"port must be an integer from 1 to 65535, got 70000\","
			       "\"field\":\"port\"}");
	free(s);
	json_decref(p);

	/* No field: no "field" member; no title: the reason phrase. */
	p = api_problem(404, NULL, "no channel named \"x\"", "");
	assert_non_null(p);
	assert_int_equal(json_object_size(p), 4);
	assert_null(json_object_get(p, "field"));
	assert_string_equal(json_string_value(json_object_get(p, "title")), "Not Found");
	assert_string_equal(json_string_value(json_object_get(p, "type")),
			    "https://xrelay.dev/problems/not-found");
	assert_int_equal(json_integer_value(json_object_get(p, "status")), 404);
	assert_string_equal(json_string_value(json_object_get(p, "detail")),
			    "no channel named \"x\"");
	json_decref(p);

	p = api_problem(409, "Conflict", "exists", NULL);
	assert_non_null(p);
	assert_null(json_object_get(p, "field"));
	json_decref(p);

	/* The type follows the status, not a caller's own title. */
	p = api_problem(503, "Maps Unusable", "layout version 2", "");
	assert_non_null(p);
	assert_string_equal(json_string_value(json_object_get(p, "type")),
			    "https://xrelay.dev/problems/service-unavailable");
	assert_string_equal(json_string_value(json_object_get(p, "title")), "Maps Unusable");
	json_decref(p);
}

static void test_problem_slugs(void **state)
{
	static const struct {
		int status;
		const char *slug, *title;
	} cases[] = {
		{ 400, "bad-request", "Bad Request" },
		{ 401, "unauthorized", "Unauthorized" },
		{ 404, "not-found", "Not Found" },
		{ 405, "method-not-allowed", "Method Not Allowed" },
		{ 409, "conflict", "Conflict" },
		{ 413, "content-too-large", "Content Too Large" },
		{ 415, "unsupported-media-type", "Unsupported Media Type" },
		{ 422, "unprocessable-content", "Unprocessable Content" },
		{ 500, "internal-server-error", "Internal Server Error" },
		{ 503, "service-unavailable", "Service Unavailable" },
		{ 507, "insufficient-storage", "Insufficient Storage" },
		{ 418, "client-error", "Client Error" },
		{ 599, "server-error", "Server Error" },
	};
	char want[128];
	json_t *p;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		p = api_problem(cases[i].status, NULL, "d", "");
		assert_non_null(p);
		snprintf(want, sizeof(want), "https://xrelay.dev/problems/%s", cases[i].slug);
		assert_string_equal(json_string_value(json_object_get(p, "type")), want);
		assert_string_equal(json_string_value(json_object_get(p, "title")), cases[i].title);
		assert_string_equal(api_status_title(cases[i].status), cases[i].title);
		json_decref(p);
	}
}

static void test_format_time(void **state)
{
	char buf[40];

	(void)state;
	api_format_time(1795493106123456789ull, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-24T04:05:06.123456789Z");
	api_format_time(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00.000000000Z");
	api_format_time(5, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00.000000005Z");
	api_format_time(951782400ull * 1000000000u + 999999999u, buf, sizeof(buf));
	assert_string_equal(buf, "2000-02-29T00:00:00.999999999Z");
	api_format_time(UINT64_MAX, buf, 32);
	assert_string_equal(buf, "2554-07-21T23:34:33.709551615Z");
	/* Short buffers are cut and terminated, never overrun. */
	memset(buf, 'x', sizeof(buf));
	api_format_time(0, buf, 5);
	assert_string_equal(buf, "1970");
	assert_int_equal(buf[5], 'x');
}

static void format_addr6(const char *in, const char *want)
{
	char buf[64];
	__u8 a[16];

	assert_int_equal(inet_pton(AF_INET6, in, a), 1);
	api_format_addr(a, buf, sizeof(buf));
	if (strcmp(buf, want))
		fail_msg("%s printed \"%s\", want \"%s\"", in, buf, want);
}

static void test_format_addr(void **state)
{
	char buf[64];
	__u8 a[16] = { [10] = 0xff, [11] = 0xff, [12] = 239, [13] = 1, [14] = 2, [15] = 3 };

	(void)state;
	api_format_addr(a, buf, sizeof(buf));
	assert_string_equal(buf, "239.1.2.3");
	format_addr6("::ffff:255.255.255.255", "255.255.255.255");
	format_addr6("::ffff:0.0.0.0", "0.0.0.0");
	/* RFC 5952: lower case, no leading zeros, the longest run (first of equals) as "::",
	 * a single zero group not compressed. */
	format_addr6("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
	format_addr6("::", "::");
	format_addr6("::1", "::1");
	format_addr6("1::", "1::");
	format_addr6("ff02::1:2", "ff02::1:2");
	format_addr6("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1");
	format_addr6("2001:0:0:1:0:0:0:1", "2001:0:0:1::1");
	format_addr6("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");
	format_addr6("2001:db8::ABCD:ef01", "2001:db8::abcd:ef01");
	format_addr6("fe80:1:2:3:4:5:6:7", "fe80:1:2:3:4:5:6:7");
	format_addr6("0:1:2:3:4:5:6:0", "0:1:2:3:4:5:6:0");
	format_addr6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	/* IPv4-compatible (::/96) is not IPv4-mapped: plain hex, unlike glibc's inet_ntop. */
	format_addr6("::1.2.3.4", "::102:304");
	format_addr6("::fffe:1.2.3.4", "::fffe:102:304");
	/* Short buffers are cut and terminated. */
	memset(buf, 'x', sizeof(buf));
	api_format_addr(a, buf, 4);
	assert_string_equal(buf, "239");
	assert_int_equal(buf[4], 'x');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drop_causes), cmocka_unit_test(test_drop_count_sources),
		cmocka_unit_test(test_stats_json),  cmocka_unit_test(test_stats_zero),
		cmocka_unit_test(test_stats_huge),  cmocka_unit_test(test_xdp_global_json),
		cmocka_unit_test(test_problem),	    cmocka_unit_test(test_problem_slugs),
		cmocka_unit_test(test_format_time), cmocka_unit_test(test_format_addr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
