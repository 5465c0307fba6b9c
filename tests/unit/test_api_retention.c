// SPDX-License-Identifier: MIT
/*
 * A channel's retention on the wire (api/retention.c), through the channel parser that calls it:
 * POST with and without limits, bounds, wrong types and unknown members naming the field, PATCH
 * merging member by member, null clearing, and the response JSON.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xrelay/api.h"

#define BODY(ret) "{\"name\":\"a\",\"port\":1" ret "}"

static void parse_ok(const char *body, struct xrelay_channel_cfg *cfg)
{
	struct api_error err;

	if (api_channel_parse(body, strlen(body), cfg, &err))
		fail_msg("refused (%d %s: %s): %s", err.status, err.field, err.detail, body);
}

static void parse_bad(const char *body, int status, const char *field)
{
	struct xrelay_channel_cfg cfg;
	struct api_error err;

	if (!api_channel_parse(body, strlen(body), &cfg, &err))
		fail_msg("accepted, want %d %s: %s", status, field, body);
	if (err.status != status || strcmp(err.field, field))
		fail_msg("got %d \"%s\" (%s), want %d \"%s\": %s", err.status, err.field,
			 err.detail, status, field, body);
	assert_true(err.detail[0] != '\0');
}

static void patch_ok(const char *body, struct xrelay_channel_cfg *cfg)
{
	struct api_error err;

	if (api_channel_patch(body, strlen(body), cfg, &err))
		fail_msg("refused (%d %s: %s): %s", err.status, err.field, err.detail, body);
}

static void test_post(void **state)
{
	struct xrelay_channel_cfg cfg;

	(void)state;
	parse_ok(BODY(""), &cfg);
	assert_int_equal(cfg.retain_seconds, 0);
	assert_int_equal(cfg.retain_bytes, 0);
	parse_ok(BODY(",\"retention\":{\"max_age\":3600,\"max_bytes\":1073741824}"), &cfg);
	assert_int_equal(cfg.retain_seconds, 3600);
	assert_int_equal(cfg.retain_bytes, 1073741824);
	parse_ok(BODY(",\"retention\":{\"max_bytes\":5}"), &cfg);
	assert_int_equal(cfg.retain_seconds, 0);
	assert_int_equal(cfg.retain_bytes, 5);
	parse_ok(BODY(",\"retention\":{\"max_age\":4294967295,\"max_bytes\":null}"), &cfg);
	assert_int_equal(cfg.retain_seconds, 4294967295u);
	assert_int_equal(cfg.retain_bytes, 0);
	parse_ok(BODY(",\"retention\":{\"max_bytes\":1152921504606846976}"), &cfg);
	assert_true(cfg.retain_bytes == 1ull << 60);
	parse_ok(BODY(",\"retention\":null"), &cfg);
	parse_ok(BODY(",\"retention\":{}"), &cfg);
	assert_int_equal(cfg.retain_pad, 0);
}

static void test_post_errors(void **state)
{
	(void)state;
	parse_bad(BODY(",\"retention\":{\"max_age\":0}"), 422, "retention/max_age");
	parse_bad(BODY(",\"retention\":{\"max_age\":-1}"), 422, "retention/max_age");
	parse_bad(BODY(",\"retention\":{\"max_age\":4294967296}"), 422, "retention/max_age");
	parse_bad(BODY(",\"retention\":{\"max_age\":\"7d\"}"), 422, "retention/max_age");
	parse_bad(BODY(",\"retention\":{\"max_age\":1.5}"), 422, "retention/max_age");
	parse_bad(BODY(",\"retention\":{\"max_bytes\":0}"), 422, "retention/max_bytes");
	parse_bad(BODY(",\"retention\":{\"max_bytes\":1152921504606846977}"), 422,
		  "retention/max_bytes");
	parse_bad(BODY(",\"retention\":{\"max_bytes\":true}"), 422, "retention/max_bytes");
	parse_bad(BODY(",\"retention\":86400"), 422, "retention");
	parse_bad(BODY(",\"retention\":[]"), 422, "retention");
	parse_bad(BODY(",\"retention\":{\"max_files\":3}"), 400, "retention/max_files");
	/* An unknown member is a 400 even with a bad value before it. */
	parse_bad("{\"name\":\"a\",\"port\":0,\"retention\":{\"maxage\":1}}", 400,
		  "retention/maxage");
}

static void test_patch_merges(void **state)
{
	struct xrelay_channel_cfg cfg, before;
	struct api_error err;
	const char *bad;

	(void)state;
	parse_ok(BODY(",\"retention\":{\"max_age\":60,\"max_bytes\":1000}"), &cfg);
	patch_ok("{\"retention\":{\"max_bytes\":2000}}", &cfg);
	assert_int_equal(cfg.retain_seconds, 60);
	assert_int_equal(cfg.retain_bytes, 2000);
	patch_ok("{\"retention\":{\"max_age\":null}}", &cfg);
	assert_int_equal(cfg.retain_seconds, 0);
	assert_int_equal(cfg.retain_bytes, 2000);
	patch_ok("{\"record\":false}", &cfg);
	assert_int_equal(cfg.retain_bytes, 2000);
	patch_ok("{\"retention\":{\"max_age\":7}}", &cfg);
	patch_ok("{\"retention\":null}", &cfg);
	assert_int_equal(cfg.retain_seconds, 0);
	assert_int_equal(cfg.retain_bytes, 0);

	/* A refused patch changes nothing, not even the valid member beside the bad one. */
	patch_ok("{\"retention\":{\"max_age\":9,\"max_bytes\":9}}", &cfg);
	before = cfg;
	bad = "{\"retention\":{\"max_age\":10,\"max_bytes\":0}}";
	assert_int_equal(api_channel_patch(bad, strlen(bad), &cfg, &err), -1);
	assert_int_equal(err.status, 422);
	assert_string_equal(err.field, "retention/max_bytes");
	assert_memory_equal(&cfg, &before, sizeof(cfg));
}

static void test_to_json(void **state)
{
	struct xrelay_channel_cfg cfg;
	json_t *j, *r;

	(void)state;
	parse_ok(BODY(",\"retention\":{\"max_age\":86400}"), &cfg);
	j = api_channel_to_json(&cfg, 0);
	assert_non_null(j);
	r = json_object_get(j, "retention");
	assert_true(json_is_object(r));
	assert_int_equal(json_object_size(r), 2);
	assert_int_equal(json_integer_value(json_object_get(r, "max_age")), 86400);
	assert_true(json_is_null(json_object_get(r, "max_bytes")));
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_post),
		cmocka_unit_test(test_post_errors),
		cmocka_unit_test(test_patch_merges),
		cmocka_unit_test(test_to_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
