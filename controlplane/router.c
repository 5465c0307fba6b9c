// SPDX-License-Identifier: MIT
/*
 * The control API's route table and its matching (openapi.yaml is the contract): the /v1
 * prefix, HEAD as GET, 404 for no resource and 405 with Allow for a wrong method, and the
 * store held around the handler. The handlers are the resources' (handler.h).
 */
#include <string.h>

#include "handler.h"
#include "router.h"

struct route {
	const char *method;
	const char *pattern; /* "{name}" matches one path segment */
	void (*fn)(struct handler_ctx *c);
	bool open; /* answered without the token (router_open) */
};

static const struct route routes[] = {
	{ "POST", "/channels", channels_post, false },
	{ "GET", "/channels", channels_list, false },
	{ "GET", "/channels/{name}", channels_get, false },
	{ "PATCH", "/channels/{name}", channels_patch, false },
	{ "DELETE", "/channels/{name}", channels_delete, false },
	{ "GET", "/channels/{name}/schema", channels_schema, false },
	{ "GET", "/channels/{name}/stats", stats_channel, false },
	{ "GET", "/stats", stats_get, false },
	{ "GET", "/metrics", stats_metrics, false },
	{ "GET", "/healthz", health_get, false },
	{ "GET", "/", page_get, true },
};

/*
 * Match @path against @pattern segment by segment; a "{name}" segment takes one non-empty
 * segment, copied into @name (at most @len - 1 bytes; longer is no match).
 */
static bool route_match(const char *pattern, const char *path, char *name, size_t len)
{
	while (*pattern && *path) {
		if (*pattern != '/' || *path != '/')
			return false;
		pattern++;
		path++;
		if (!strncmp(pattern, "{name}", 6)) {
			size_t n = strcspn(path, "/");

			if (n == 0 || n >= len)
				return false;
			memcpy(name, path, n);
			name[n] = '\0';
			pattern += 6;
			path += n;
			continue;
		}
		while (*pattern && *pattern != '/' && *pattern == *path) {
			pattern++;
			path++;
		}
		if ((*pattern && *pattern != '/') || (*path && *path != '/'))
			return false;
	}
	return !*pattern && !*path;
}

bool router_open(const char *method, const char *path)
{
	char name[XRELAY_NAME_LEN + 1];
	size_t i;

	if (!strncmp(path, "/v1/", 4))
		path += 3;
	if (!strcmp(method, "HEAD"))
		method = "GET";
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (routes[i].open && !strcmp(routes[i].method, method) &&
		    route_match(routes[i].pattern, path, name, sizeof(name)))
			return true;
	return false;
}

/* Methods in the order Allow lists them. */
static const char *const allow_order[] = { "GET", "HEAD", "POST", "PATCH", "DELETE" };

int router_handle(struct store *store, const struct request *req, struct response *resp)
{
	char name[XRELAY_NAME_LEN + 1], err[512];
	const struct route *hit = NULL;
	struct handler_ctx c = { .store = store, .req = req, .prefix = "", .resp = resp };
	const char *path = req->path;
	const char *method = req->method;
	unsigned int allowed = 0;
	size_t i, k, n = 0;
	int r;

	memset(resp, 0, sizeof(*resp));
	if (!strncmp(path, "/v1/", 4)) {
		path += 3;
		c.prefix = "/v1";
	}
	if (!strcmp(method, "HEAD"))
		method = "GET";
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!route_match(routes[i].pattern, path, name, sizeof(name)))
			continue;
		for (k = 0; k < sizeof(allow_order) / sizeof(allow_order[0]); k++)
			if (!strcmp(allow_order[k], routes[i].method))
				allowed |= 1u << k | (k == 0 ? 2u : 0u); /* GET brings HEAD */
		if (!hit && !strcmp(routes[i].method, method))
			hit = &routes[i];
	}
	if (!hit) {
		if (!allowed) {
			response_problem(resp, 404, NULL, "no resource at %s", req->path);
			return resp->status;
		}
		for (k = 0; k < sizeof(allow_order) / sizeof(allow_order[0]); k++)
			if (allowed & (1u << k))
				n += (size_t)snprintf(resp->allow + n, sizeof(resp->allow) - n,
						      "%s%s", n ? ", " : "", allow_order[k]);
		response_problem(resp, 405, NULL, "%s is not allowed on %s; allowed: %s",
				 req->method, req->path, resp->allow);
		return resp->status;
	}
	if (strstr(hit->pattern, "{name}"))
		c.name = name;

	/* The open routes read no map: the page is served even while the maps are unusable. */
	if (hit->open) {
		hit->fn(&c);
		return resp->status;
	}
	r = store_acquire(store, err, sizeof(err));
	if (r) {
		response_errno(resp, r, err);
		return resp->status;
	}
	hit->fn(&c);
	store_release(store);
	return resp->status;
}
