// SPDX-License-Identifier: MIT
/*
 * The control API's request handler (controlplane/router.c and the handlers it routes to)
 * against a real store on maps pinned in a private bpffs: a table of {method, path, content
 * type, body, expected status} run in order, with Location and Allow where they matter; the
 * errno -> status mapping (409, 507, 503); ETag and If-Match (412); and that every body
 * matches its content type.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "../../controlplane/router.h"
#include "testenv.h"
#include "xrelay/log.h"
#include "xrelay/mapctl.h"

#define JSON "application/json"
#define MERGE "application/merge-patch+json"

static int dir_seq;

struct row {
	const char *method, *path, *ctype, *body;
	int status;
	const char *header; /* expected Location (201) or Allow (405); NULL = neither sent */
	bool too_large;	    /* the body went past API_MAX_BODY */
	const char *detail; /* in the body (the problem's detail); NULL = not checked */
};

static const struct row rows[] = {
	{ "GET", "/healthz", NULL, NULL, .status = 200 },
	{ "HEAD", "/healthz", NULL, NULL, .status = 200 },
	{ "GET", "/v1/healthz", NULL, NULL, .status = 200 },
	{ "GET", "/channels", NULL, NULL, .status = 200 },
	{ "POST", "/channels", JSON, "{\"name\":\"feed-a\",\"port\":5000}", .status = 201,
	  .header = "/channels/feed-a" },
	{ "POST", "/v1/channels", JSON,
	  "{\"name\":\"feed-b\",\"port\":5001,\"addr\":\"239.1.1.1\"}", .status = 201,
	  .header = "/v1/channels/feed-b" },
	{ "POST", "/channels", "Application/JSON; charset=utf-8",
	  "{\"name\":\"feed-c\",\"port\":5002}", .status = 201, .header = "/channels/feed-c" },
	/* Conflicts: the name, the (address, port) key. */
	{ "POST", "/channels", JSON, "{\"name\":\"feed-a\",\"port\":5009}", .status = 409,
	  .detail = "channel feed-a exists already" },
	{ "POST", "/channels", JSON, "{\"name\":\"feed-z\",\"port\":5000}", .status = 409,
	  .detail = "channel feed-a already takes port 5000 on any address" },
	{ "POST", "/channels", JSON, "{\"name\":\"feed-z\",\"port\":5001,\"addr\":\"239.1.1.1\"}",
	  .status = 409, .detail = "channel feed-b already takes port 5001 on 239.1.1.1" },
	/* Bodies: media type, size, syntax, contents. */
	{ "POST", "/channels", "text/plain", "{\"name\":\"feed-z\",\"port\":5003}", .status = 415 },
	{ "POST", "/channels", NULL, "{\"name\":\"feed-z\",\"port\":5003}", .status = 415 },
	{ "POST", "/channels", JSON, "", .status = 413, .too_large = true },
	{ "POST", "/channels", JSON, "not json", .status = 400 },
	{ "POST", "/channels", JSON, "[]", .status = 400 },
	{ "POST", "/channels", JSON, "{\"name\":\"feed-z\",\"port\":5003,\"color\":1}",
	  .status = 400 },
	{ "POST", "/channels", JSON, "{\"name\":\"x\"}", .status = 422 },
	{ "POST", "/channels", JSON, "{\"name\":\"../etc\",\"port\":5003}", .status = 422 },
	{ "POST", "/channels", JSON,
	  "{\"name\":\"y\",\"port\":7,\"destinations\":[{\"addr\":\"239.1.1.1\",\"port\":9,"
	  "\"interface\":\"nope0\"}]}",
	  .status = 422 },
	/* One channel, its schema and counters. */
	{ "GET", "/channels/feed-a", NULL, NULL, .status = 200 },
	{ "GET", "/v1/channels/feed-b", NULL, NULL, .status = 200 },
	{ "GET", "/channels/nope", NULL, NULL, .status = 404, .detail = "no channel named nope" },
	{ "GET", "/channels/..%2Fetc", NULL, NULL, .status = 404 },
	{ "GET", "/channels/feed-a/schema", NULL, NULL, .status = 200 },
	{ "GET", "/channels/nope/schema", NULL, NULL, .status = 404 },
	{ "GET", "/channels/feed-a/stats", NULL, NULL, .status = 200 },
	{ "GET", "/channels/nope/stats", NULL, NULL, .status = 404 },
	/* Changes. */
	{ "PATCH", "/channels/feed-a", MERGE, "{\"record\":false}", .status = 200 },
	{ "PATCH", "/channels/feed-a", JSON, "{\"destinations\":null}", .status = 200 },
	{ "PATCH", "/channels/feed-a", MERGE, "{\"port\":1}", .status = 422 },
	{ "PATCH", "/channels/feed-a", MERGE, "{\"id\":1}", .status = 422 },
	{ "PATCH", "/channels/feed-a", MERGE, "{\"color\":1}", .status = 400 },
	{ "PATCH", "/channels/feed-a", "text/plain", "{}", .status = 415 },
	{ "PATCH", "/channels/feed-a", MERGE, "", .status = 413, .too_large = true },
	{ "PATCH", "/channels/nope", MERGE, "{}", .status = 404 },
	/* Removal. */
	{ "DELETE", "/channels/feed-c", NULL, NULL, .status = 204 },
	{ "DELETE", "/channels/feed-c", NULL, NULL, .status = 404 },
	{ "DELETE", "/channels/a%20b", NULL, NULL, .status = 404 },
	{ "GET", "/channels/feed-c", NULL, NULL, .status = 404 },
	/* Counters. */
	{ "GET", "/stats", NULL, NULL, .status = 200 },
	{ "GET", "/v1/stats", NULL, NULL, .status = 200 },
	{ "HEAD", "/stats", NULL, NULL, .status = 200 },
	{ "GET", "/metrics", NULL, NULL, .status = 200 },
	/* Methods a resource does not take: 405 with what it takes. */
	{ "POST", "/stats", JSON, "{}", .status = 405, .header = "GET, HEAD" },
	{ "PUT", "/channels", JSON, "{}", .status = 405, .header = "GET, HEAD, POST" },
	{ "DELETE", "/channels", NULL, NULL, .status = 405, .header = "GET, HEAD, POST" },
	{ "POST", "/channels/feed-a", JSON, "{}", .status = 405,
	  .header = "GET, HEAD, PATCH, DELETE" },
	{ "DELETE", "/v1/healthz", NULL, NULL, .status = 405, .header = "GET, HEAD" },
	/* The status page: GET and HEAD only. */
	{ "GET", "/", NULL, NULL, .status = 200 },
	{ "HEAD", "/v1/", NULL, NULL, .status = 200 },
	{ "DELETE", "/", NULL, NULL, .status = 405, .header = "GET, HEAD" },
	/* No resource. */
	{ "GET", "//", NULL, NULL, .status = 404 },
	{ "GET", "/v1", NULL, NULL, .status = 404 },
	{ "GET", "/v2/channels", NULL, NULL, .status = 404 },
	{ "GET", "/channels/", NULL, NULL, .status = 404 },
	{ "GET", "/channels//stats", NULL, NULL, .status = 404 },
	{ "GET", "/channels/feed-a/x", NULL, NULL, .status = 404 },
	{ "GET", "/channelsx", NULL, NULL, .status = 404 },
	{ "GET", "/stats/", NULL, NULL, .status = 404 },
	{ "GET",
	  "/channels/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  NULL, NULL, .status = 404 },
};

/* A fresh pin directory per test. */
static void new_pin_dir(char *buf, size_t len)
{
	snprintf(buf, len, "%s/r%d", testenv_bpffs(), ++dir_seq);
}

/* Run one request with an If-Match (may be NULL); the body is checked against its type. */
static int handle_if(struct store *s, const char *method, const char *path, const char *ctype,
		     const char *body, bool too_large, const char *if_match, struct response *resp)
{
	struct request req = {
		.method = method,
		.path = path,
		.content_type = ctype,
		.if_match = if_match,
		.body = too_large ? NULL : body,
		.body_len = body && !too_large ? strlen(body) : 0,
		.body_too_large = too_large,
	};
	json_error_t jerr;
	json_t *j;
	int st = router_handle(s, &req, resp);

	assert_int_equal(st, resp->status);
	if (st == 204 || !resp->content_type) {
		assert_int_equal(resp->body_len, 0);
		return st;
	}
	if (!strstr(resp->content_type, "json"))
		return st;
	j = json_loadb(resp->body, resp->body_len, 0, &jerr);
	if (!j)
		fail_msg("%s %s: %d with a body that is not JSON: %s", method, path, st, jerr.text);
	assert_int_equal(resp->body[resp->body_len - 1], '\n');
	if (st >= 400) {
		assert_string_equal(resp->content_type, "application/problem+json");
		assert_int_equal(json_integer_value(json_object_get(j, "status")), st);
	}
	json_decref(j);
	return st;
}

static int handle(struct store *s, const char *method, const char *path, const char *ctype,
		  const char *body, bool too_large, struct response *resp)
{
	return handle_if(s, method, path, ctype, body, too_large, NULL, resp);
}

static void test_table(void **state)
{
	struct response resp;
	struct store *s = NULL;
	char pin[256];
	size_t i;

	(void)state;
	new_pin_dir(pin, sizeof(pin));
	assert_int_equal(store_new(pin, &s), 0);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		int st = handle(s, r->method, r->path, r->ctype, r->body, r->too_large, &resp);

		if (st != r->status)
			fail_msg("row %zu: %s %s: %d, want %d: %.*s", i, r->method, r->path, st,
				 r->status, (int)resp.body_len, resp.body ? resp.body : "");
		if (r->header && st == 201)
			assert_string_equal(resp.location, r->header);
		else if (r->header)
			assert_string_equal(resp.allow, r->header);
		else {
			assert_string_equal(resp.location, "");
			assert_string_equal(resp.allow, "");
		}
		if (r->detail && (!resp.body || !strstr(resp.body, r->detail)))
			fail_msg("row %zu: %s %s: no \"%s\" in %.*s", i, r->method, r->path,
				 r->detail, (int)resp.body_len, resp.body ? resp.body : "");
		if (st == 200 && !strcmp(r->path, "/metrics"))
			assert_string_equal(resp.content_type, "text/plain; version=0.0.4");
		if (st == 200 && !strcmp(r->path, "/")) {
			assert_string_equal(resp.content_type, "text/html; charset=utf-8");
			assert_non_null(resp.headers);
			assert_string_equal(resp.headers[0], "Content-Security-Policy");
		}
		response_reset(&resp);
	}
	store_free(s);
}

/*
 * Request @method @path with @if_match (may be NULL) and @body: want status @want; the ETag
 * (or "") into @etag (ETAG_LEN), and the channel's generation, when the body is a channel,
 * must be what the ETag says.
 */
static void cond(struct store *s, const char *method, const char *path, const char *if_match,
		 const char *body, int want, char *etag)
{
	struct response resp;
	char tag[32];
	json_t *j, *gen;
	const char *ctype = !body ? NULL : !strcmp(method, "POST") ? JSON : MERGE;
	int st = handle_if(s, method, path, ctype, body, false, if_match, &resp);

	if (st != want)
		fail_msg("%s %s If-Match %s: %d, want %d: %.*s", method, path,
			 if_match ? if_match : "(none)", st, want, (int)resp.body_len,
			 resp.body ? resp.body : "");
	j = st < 300 && resp.body ? json_loadb(resp.body, resp.body_len, 0, NULL) : NULL;
	gen = json_object_get(j, "generation");
	if (gen) {
		snprintf(tag, sizeof(tag), "\"%lld\"", (long long)json_integer_value(gen));
		assert_string_equal(resp.etag, tag);
	} else {
		assert_string_equal(resp.etag, "");
	}
	json_decref(j);
	if (etag)
		snprintf(etag, 24, "%s", resp.etag);
	response_reset(&resp);
}

/* Whether channel feed-a records, as GET shows it. */
static bool records(struct store *s)
{
	struct response resp;
	json_t *j;
	bool on;

	assert_int_equal(handle(s, "GET", "/channels/feed-a", NULL, NULL, false, &resp), 200);
	j = json_loadb(resp.body, resp.body_len, 0, NULL);
	on = json_is_true(json_object_get(j, "record"));
	json_decref(j);
	response_reset(&resp);
	return on;
}

/*
 * ETag on every response that is a channel, and If-Match on PATCH and DELETE (issue 10, case
 * 5): a mismatch is 412 and changes nothing, also after a DELETE and a POST of the same name.
 */
static void test_conditional(void **state)
{
	static const char dests[] = "{\"destinations\":[{\"addr\":\"239.2.2.2\",\"port\":6000}]}";
	char pin[256], e1[24], e2[24], e3[24], eb[24], list[64], weak[32];
	struct response resp;
	struct store *s = NULL;

	(void)state;
	new_pin_dir(pin, sizeof(pin));
	assert_int_equal(store_new(pin, &s), 0);
	cond(s, "POST", "/channels", NULL, "{\"name\":\"other\",\"port\":4999}", 201, NULL);
	assert_int_equal(handle(s, "POST", "/channels", JSON, "{\"name\":\"feed-a\",\"port\":5000}",
				false, &resp),
			 201);
	response_reset(&resp);
	cond(s, "GET", "/channels/feed-a", NULL, NULL, 200, e1);
	assert_int_not_equal(e1[0], '\0');
	cond(s, "HEAD", "/channels/feed-a", NULL, NULL, 200, NULL);
	cond(s, "GET", "/channels", NULL, NULL, 200, NULL);
	cond(s, "GET", "/channels/feed-a/schema", NULL, NULL, 200, NULL);

	/* Mismatches: another tag, a weak one, none in an empty list; malformed is 400. */
	snprintf(weak, sizeof(weak), "W/%s", e1);
	cond(s, "PATCH", "/channels/feed-a", "\"999\"", "{\"record\":false}", 412, NULL);
	cond(s, "PATCH", "/channels/feed-a", weak, "{\"record\":false}", 412, NULL);
	cond(s, "PATCH", "/channels/feed-a", "", "{\"record\":false}", 412, NULL);
	cond(s, "PATCH", "/channels/feed-a", "abc", "{\"record\":false}", 400, NULL);
	cond(s, "DELETE", "/channels/feed-a", "\"999\"", NULL, 412, NULL);
	cond(s, "DELETE", "/channels/feed-a", "*, \"1\"", NULL, 400, NULL);
	cond(s, "GET", "/channels/feed-a", NULL, NULL, 200, e2);
	assert_string_equal(e2, e1);
	assert_true(records(s));

	/* Matches: the tag, a list holding it, "*"; each PATCH gives a new tag. */
	cond(s, "PATCH", "/channels/feed-a", e1, "{\"record\":false}", 200, e2);
	assert_string_not_equal(e2, e1);
	assert_false(records(s));
	snprintf(list, sizeof(list), "\"1\" , ,%s", e2);
	cond(s, "PATCH", "/channels/feed-a", list, "{\"record\":true}", 200, e3);
	assert_string_not_equal(e3, e2);
	cond(s, "PATCH", "/channels/feed-a", "*", "{}", 200, e3);
	/* The precondition holds, the body is refused: 422, nothing changed. */
	cond(s, "PATCH", "/channels/feed-a", e3, "{\"port\":1}", 422, NULL);
	cond(s, "GET", "/channels/feed-a", NULL, NULL, 200, e2);
	assert_string_equal(e2, e3);
	/* No channel: 404 whatever If-Match says. */
	cond(s, "PATCH", "/channels/nope", "*", "{}", 404, NULL);
	cond(s, "DELETE", "/channels/nope", "*", NULL, 404, NULL);

	/* Deleted and created again: the old tag names no version of the new channel. */
	cond(s, "DELETE", "/channels/other", NULL, NULL, 204, NULL);
	cond(s, "DELETE", "/channels/feed-a", e3, NULL, 204, NULL);
	assert_int_equal(handle(s, "POST", "/channels", JSON, "{\"name\":\"feed-a\",\"port\":5000}",
				false, &resp),
			 201);
	snprintf(eb, sizeof(eb), "%s", resp.etag);
	response_reset(&resp);
	assert_string_not_equal(eb, e1);
	assert_string_not_equal(eb, e2);
	assert_string_not_equal(eb, e3);
	cond(s, "PATCH", "/channels/feed-a", e3, dests, 412, NULL);
	cond(s, "DELETE", "/channels/feed-a", e1, NULL, 412, NULL);
	assert_int_equal(handle(s, "GET", "/channels/feed-a", NULL, NULL, false, &resp), 200);
	if (!strstr(resp.body, "\"destinations\": []"))
		fail_msg("the old channel's PATCH landed on the new one: %s", resp.body);
	response_reset(&resp);
	cond(s, "PATCH", "/channels/feed-a", eb, dests, 200, NULL);
	store_free(s);
}

/* All ids taken: 507, and a removal makes room again. */
static void test_ids_exhausted(void **state)
{
	struct response resp;
	struct store *s = NULL;
	char pin[256], body[96];
	unsigned int i;

	(void)state;
	new_pin_dir(pin, sizeof(pin));
	assert_int_equal(store_new(pin, &s), 0);
	for (i = 0; i < XRELAY_MAX_CHANNELS; i++) {
		snprintf(body, sizeof(body), "{\"name\":\"c%u\",\"port\":%u}", i, 10000 + i);
		if (handle(s, "POST", "/channels", JSON, body, false, &resp) != 201)
			fail_msg("channel %u: %d", i, resp.status);
		response_reset(&resp);
	}
	assert_int_equal(handle(s, "POST", "/channels", JSON, "{\"name\":\"one-more\",\"port\":9}",
				false, &resp),
			 507);
	response_reset(&resp);
	assert_int_equal(handle(s, "DELETE", "/channels/c7", NULL, NULL, false, &resp), 204);
	response_reset(&resp);
	assert_int_equal(handle(s, "POST", "/channels", JSON, "{\"name\":\"one-more\",\"port\":9}",
				false, &resp),
			 201);
	response_reset(&resp);
	store_free(s);
}

/* Maps of a foreign layout: 503 with the reason for every endpoint; 404 and 405 still hold. */
static void test_maps_unusable(void **state)
{
	static const char *const paths[] = { "/channels", "/channels/feed-a", "/stats", "/metrics",
					     "/healthz" };
	struct response resp;
	struct mapctl *m = NULL;
	struct store *s = NULL;
	char pin[256], err[512];
	size_t i;

	(void)state;
	new_pin_dir(pin, sizeof(pin));
	assert_int_equal(mapctl_open(pin, MAPCTL_F_CREATE, &m, err, sizeof(err)), 0);
	mapctl_meta(m)->version = 99;
	mapctl_close(m);
	assert_int_equal(store_new(pin, &s), 0);
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		assert_int_equal(handle(s, "GET", paths[i], NULL, NULL, false, &resp), 503);
		if (!strstr(resp.body, "layout version 99"))
			fail_msg("GET %s: the problem does not say why: %s", paths[i], resp.body);
		response_reset(&resp);
	}
	assert_int_equal(
		handle(s, "POST", "/channels", JSON, "{\"name\":\"a\",\"port\":1}", false, &resp),
		503);
	response_reset(&resp);
	assert_int_equal(handle(s, "GET", "/nothing", NULL, NULL, false, &resp), 404);
	response_reset(&resp);
	assert_int_equal(handle(s, "POST", "/stats", NULL, NULL, false, &resp), 405);
	response_reset(&resp);
	/* The status page reads no map: it is there to show the 503 of /stats. */
	assert_int_equal(handle(s, "GET", "/", NULL, NULL, false, &resp), 200);
	response_reset(&resp);
	store_free(s);
}

/* Only the status page is answered without the token. */
static void test_open(void **state)
{
	(void)state;
	assert_true(router_open("GET", "/"));
	assert_true(router_open("HEAD", "/"));
	assert_true(router_open("GET", "/v1/"));
	assert_false(router_open("POST", "/"));
	assert_false(router_open("DELETE", "/"));
	assert_false(router_open("GET", "//"));
	assert_false(router_open("GET", "/stats"));
	assert_false(router_open("GET", "/healthz"));
	assert_false(router_open("GET", "/channels"));
	assert_false(router_open("GET", "/v1/channels/x"));
	assert_false(router_open("GET", "/index.html"));
}

static int setup(void **state)
{
	(void)state;
	log_level = LOG_LEVEL_WARN; /* not a line per channel of test_ids_exhausted */
	(void)testenv_enter();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),	      cmocka_unit_test(test_ids_exhausted),
		cmocka_unit_test(test_maps_unusable), cmocka_unit_test(test_conditional),
		cmocka_unit_test(test_open),
	};

	return cmocka_run_group_tests_name("router", tests, setup, testenv_group_teardown);
}
