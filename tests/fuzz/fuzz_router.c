// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness over the control API's request handler, without HTTP: an input is
 * "METHOD PATH\nCONTENT-TYPE\nBODY" (any bytes), run through router_handle against real maps
 * pinned in a private bpffs. Checked for every input: a known status, a body that matches its
 * content type (JSON bodies parse; problems carry their status), no crash, no leak (ASan).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "router.h"
#include "store.h"
#include "testenv.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *store;
static unsigned long inputs;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char pin[128];

	(void)argc;
	(void)argv;
	snprintf(pin, sizeof(pin), "%s/xrelay-fuzz", testenv_enter());
	if (store_new(pin, &store))
		abort();
	return 0;
}

/* Cut the next '\n'-terminated piece of @s (NUL-terminated copy into @out). */
static const char *piece(const char *s, const char *end, char *out, size_t len)
{
	const char *nl = memchr(s, '\n', (size_t)(end - s));
	size_t n = (size_t)((nl ? nl : end) - s);

	if (n >= len)
		n = len - 1;
	memcpy(out, s, n);
	out[n] = '\0';
	return nl ? nl + 1 : end;
}

static void check(const struct response *r)
{
	static const int ok[] = { 200, 201, 204, 400, 404, 405, 409, 413, 415, 422, 503, 507 };
	json_error_t jerr;
	json_t *j;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]) && ok[i] != r->status; i++)
		;
	if (i == sizeof(ok) / sizeof(ok[0]) || r->status == 500) {
		fprintf(stderr, "unexpected status %d: %.*s\n", r->status, (int)r->body_len,
			r->body ? r->body : "");
		abort();
	}
	if (r->status == 204 || !r->content_type) {
		if (r->body_len)
			abort();
		return;
	}
	if (!strstr(r->content_type, "json"))
		return;
	j = json_loadb(r->body, r->body_len, 0, &jerr);
	if (!j) {
		fprintf(stderr, "status %d: body is not JSON: %s\n", r->status, jerr.text);
		abort();
	}
	if (r->status >= 400 && json_integer_value(json_object_get(j, "status")) != r->status)
		abort();
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *end = s + size;
	char line[256], method[16], path[200], ctype[64];
	struct request req = {};
	struct response resp = {};
	char *body;

	s = piece(s, end, line, sizeof(line));
	if (sscanf(line, "%15s %199s", method, path) != 2)
		return 0;
	s = piece(s, end, ctype, sizeof(ctype));
	body = malloc((size_t)(end - s) + 1);
	if (!body)
		return 0;
	memcpy(body, s, (size_t)(end - s));
	req.method = method;
	req.path = path;
	req.content_type = ctype[0] ? ctype : NULL;
	req.body = body;
	req.body_len = (size_t)(end - s);
	router_handle(store, &req, &resp);
	check(&resp);
	response_reset(&resp);
	free(body);
	/* Keep room for new channels: clear them now and then, as an operator would. */
	if (++inputs % 4096 == 0) {
		struct request del = { .method = "DELETE" };
		struct request list = { .method = "GET", .path = "/channels" };
		json_t *j, *ch;
		size_t i;

		router_handle(store, &list, &resp);
		j = json_loadb(resp.body, resp.body_len, 0, NULL);
		response_reset(&resp);
		json_array_foreach(json_object_get(j, "channels"), i, ch)
		{
			snprintf(path, sizeof(path), "/channels/%s",
				 json_string_value(json_object_get(ch, "name")));
			del.path = path;
			router_handle(store, &del, &resp);
			response_reset(&resp);
		}
		json_decref(j);
	}
	return 0;
}
