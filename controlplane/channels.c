// SPDX-License-Identifier: MIT
/*
 * The channel resource of the control API: POST and GET /channels, GET, PATCH and DELETE
 * /channels/{name}, and /channels/{name}/schema. Request bodies are checked here for size and
 * media type and parsed by api/; the maps are edited through the store, a PATCH merged into
 * the stored channel under the editors' lock; ETag and If-Match (the channel's generation).
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include "etag.h"
#include "handler.h"
#include "xrelay/avro.h"
#include "xrelay/log.h"

/* Whether the request's content type is one of the media types in @types (NULL-ended). */
static bool content_type_is(const struct request *req, const char *const *types)
{
	const char *ct = req->content_type;
	size_t n;

	if (!ct)
		return false;
	while (*ct == ' ')
		ct++;
	n = strcspn(ct, "; \t");
	for (; *types; types++)
		if (strlen(*types) == n && !strncasecmp(ct, *types, n))
			return true;
	return false;
}

/* Body checks every body-taking endpoint shares: size and media type. */
static bool body_ok(struct handler_ctx *c, const char *const *types, const char *accepted)
{
	if (c->req->body_too_large) {
		response_problem(c->resp, 413, NULL, "request body over %d bytes", API_MAX_BODY);
		return false;
	}
	if (!content_type_is(c->req, types)) {
		response_problem(c->resp, 415, NULL, "%s %s takes %s, got %s", c->req->method,
				 c->req->path, accepted,
				 c->req->content_type ? c->req->content_type : "no Content-Type");
		return false;
	}
	return true;
}

/* Destinations naming an interface that this host does not have are refused. */
static bool interfaces_exist(struct handler_ctx *c, const struct xrelay_channel_cfg *cfg)
{
	char field[64];
	__u32 i;

	for (i = 0; i < cfg->ndests; i++) {
		const char *ifn = cfg->dests[i].ifname;

		if (ifn[0] && !if_nametoindex(ifn)) {
			snprintf(field, sizeof(field), "destinations/%u/interface", i);
			response_problem(c->resp, 422, field,
					 "interface %s does not exist on this host", ifn);
			return false;
		}
	}
	return true;
}

/* The key's address as text, or @any for the wildcard. */
static void key_addr(const struct xrelay_chan_key *key, const char *any, char *buf, size_t len)
{
	static const __u8 zero[16];

	if (memcmp(key->addr, zero, sizeof(zero)))
		api_format_addr(key->addr, buf, len);
	else
		snprintf(buf, len, "%s", any);
}

static void log_channel(const char *verb, const struct xrelay_channel_cfg *cfg, __u32 id)
{
	char addr[64];

	key_addr(&cfg->key, "any", addr, sizeof(addr));
	pr_info("channel %s %s: id %u, %s port %u, record %s, %u destination(s)", cfg->name, verb,
		id, addr, ntohs(cfg->key.port), cfg->flags & XRELAY_CH_F_RECORD ? "on" : "off",
		cfg->ndests);
}

/* Answer @status with channel @cfg (id @id) and its ETag. */
static void channel_reply(struct handler_ctx *c, int status, const struct xrelay_channel_cfg *cfg,
			  __u32 id)
{
	response_json(c->resp, status, api_channel_to_json(cfg, id));
	if (c->resp->status == status)
		etag_format(cfg->generation, c->resp->etag, sizeof(c->resp->etag));
}

/* An If-Match that is no list of entity tags is refused (400) before the channel is looked up. */
static bool if_match_valid(struct handler_ctx *c)
{
	if (!c->req->if_match || etag_match(c->req->if_match, 0) >= 0)
		return true;
	response_problem(c->resp, 400, NULL,
			 "If-Match must be \"*\" or a list of entity tags such as \"7\" (a "
			 "channel's ETag)");
	return false;
}

/* Whether the request has an If-Match that does not name version @generation of the channel. */
static bool if_match_fails(const struct request *req, __u64 generation)
{
	return req->if_match && etag_match(req->if_match, generation) != 1;
}

/*
 * How long a POST waits for a socket-backend dataplane to open the new channel's sockets
 * (store_dataplane_wait_open): it follows the maps within a few milliseconds.
 */
#define CHANNELS_OPEN_WAIT_MS 1000u

/* Add @cfg, with its schema from the request body when it is a datum channel. */
static int channel_add(struct handler_ctx *c, struct xrelay_channel_cfg *cfg, __u32 *ret_id)
{
	char *schema;
	int n, r;

	if (cfg->format != XRELAY_FMT_DATUM)
		return store_channel_add(c->store, cfg, ret_id);
	schema = malloc(XRELAY_SCHEMA_MAX);
	if (!schema)
		return -ENOMEM;
	n = api_fileformat_schema(c->req->body, c->req->body_len, schema, XRELAY_SCHEMA_MAX);
	r = n < 0 ? n : store_channel_add_datum(c->store, cfg, schema, (size_t)n, ret_id);
	free(schema);
	return r;
}

void channels_post(struct handler_ctx *c)
{
	static const char *const types[] = { "application/json", NULL };
	struct xrelay_channel_cfg cfg;
	struct api_error err = {};
	char what[256];
	__u32 id;
	int r;

	if (!body_ok(c, types, "application/json"))
		return;
	if (api_channel_parse(c->req->body, c->req->body_len, &cfg, &err)) {
		response_problem(c->resp, err.status, err.field, "%s", err.detail);
		return;
	}
	if (!interfaces_exist(c, &cfg))
		return;
	r = channel_add(c, &cfg, &id);
	if (r == -EADDRINUSE) {
		struct xrelay_channel_cfg owner = {};
		char addr[64];

		(void)store_channel_owner(c->store, &cfg.key, &owner);
		key_addr(&cfg.key, "any address", addr, sizeof(addr));
		snprintf(what, sizeof(what), "channel %s already takes port %u on %s",
			 owner.name[0] ? owner.name : "(another)", ntohs(cfg.key.port), addr);
		response_errno(c->resp, r, what);
		return;
	}
	if (r) {
		snprintf(what, sizeof(what), "channel %s", cfg.name);
		response_errno(c->resp, r, what);
		return;
	}
	log_channel("created", &cfg, id);
	if (store_dataplane_wait_open(c->store, CHANNELS_OPEN_WAIT_MS))
		pr_warn("channel %s: the socket-backend dataplane has not opened its sockets within "
			"%u ms; datagrams that come before it does are not received",
			cfg.name, CHANNELS_OPEN_WAIT_MS);
	snprintf(c->resp->location, sizeof(c->resp->location), "%s/channels/%s", c->prefix,
		 cfg.name);
	channel_reply(c, 201, &cfg, id);
}

int channels_rows(struct store *s, bool totals, struct channels_row **ret)
{
	__u32 *ids = malloc(sizeof(*ids) * XRELAY_MAX_CHANNELS);
	struct xrelay_channel_cfg *cfgs = malloc(sizeof(*cfgs) * XRELAY_MAX_CHANNELS);
	struct channels_row *l = NULL;
	int n = -ENOMEM, i, r = 0;

	if (ids && cfgs)
		n = store_channels(s, ids, cfgs);
	if (n >= 0) {
		l = calloc((size_t)n + 1, sizeof(*l));
		if (!l)
			n = -ENOMEM;
	}
	for (i = 0; n >= 0 && i < n && !r; i++) {
		l[i].id = ids[i];
		l[i].cfg = cfgs[i];
		if (totals)
			r = store_channel_stats(s, ids[i], &l[i].t);
	}
	free(ids);
	free(cfgs);
	if (n >= 0 && r) {
		free(l);
		n = r;
	}
	if (n >= 0)
		*ret = l;
	return n;
}

void channels_list(struct handler_ctx *c)
{
	json_t *list = json_array();
	struct channels_row *l = NULL;
	int n, i;

	n = list ? channels_rows(c->store, false, &l) : -ENOMEM;
	for (i = 0; i < n; i++)
		if (json_array_append_new(list, api_channel_to_json(&l[i].cfg, l[i].id)))
			n = -ENOMEM;
	free(l);
	if (n < 0) {
		json_decref(list);
		response_errno(c->resp, n, "listing channels");
		return;
	}
	response_json(c->resp, 200, json_pack("{s:o}", "channels", list));
}

int channels_find(struct handler_ctx *c, struct xrelay_channel_cfg *cfg)
{
	char what[96];
	int id = store_channel_get(c->store, c->name, cfg);

	if (id < 0) {
		snprintf(what, sizeof(what), "channel named %.63s", c->name);
		response_errno(c->resp, id, what);
		return -1;
	}
	return id;
}

void channels_get(struct handler_ctx *c)
{
	struct xrelay_channel_cfg cfg;
	int id = channels_find(c, &cfg);

	if (id >= 0)
		channel_reply(c, 200, &cfg, (__u32)id);
}

/*
 * The PATCH applied to @cfg, the channel as stored, under the editors' lock: -ESTALE (412) on
 * a failed If-Match; a refused body fills the response and is -ECANCELED.
 */
static int patch_edit(struct xrelay_channel_cfg *cfg, void *arg)
{
	struct handler_ctx *c = arg;
	struct api_error err = {};

	if (if_match_fails(c->req, cfg->generation))
		return -ESTALE;
	if (api_channel_patch(c->req->body, c->req->body_len, cfg, &err)) {
		response_problem(c->resp, err.status, err.field, "%s", err.detail);
		return -ECANCELED;
	}
	return interfaces_exist(c, cfg) ? 0 : -ECANCELED;
}

void channels_patch(struct handler_ctx *c)
{
	static const char *const types[] = { "application/merge-patch+json", "application/json",
					     NULL };
	struct xrelay_channel_cfg cfg;
	char what[96];
	int id;

	if (!body_ok(c, types, "application/merge-patch+json or application/json") ||
	    !if_match_valid(c))
		return;
	id = store_channel_edit(c->store, c->name, patch_edit, c, &cfg);
	if (id == -ECANCELED)
		return;
	if (id < 0) {
		snprintf(what, sizeof(what), "channel named %.63s", c->name);
		response_errno(c->resp, id, what);
		return;
	}
	log_channel("changed", &cfg, (__u32)id);
	channel_reply(c, 200, &cfg, (__u32)id);
}

/* Under the editors' lock, before channel @cfg is removed: -ESTALE (412) on a failed If-Match. */
static int delete_check(const struct xrelay_channel_cfg *cfg, void *arg)
{
	const struct handler_ctx *c = arg;

	return if_match_fails(c->req, cfg->generation) ? -ESTALE : 0;
}

void channels_delete(struct handler_ctx *c)
{
	char what[96];
	__u32 id;
	int r;

	if (!if_match_valid(c))
		return;
	r = store_channel_delete(c->store, c->name, delete_check, c, &id);
	if (r) {
		snprintf(what, sizeof(what), "channel named %.63s", c->name);
		response_errno(c->resp, r, what);
		return;
	}
	pr_info("channel %s removed: id %u", c->name, id);
	response_reset(c->resp);
	c->resp->status = 204;
}

void channels_schema(struct handler_ctx *c)
{
	struct xrelay_channel_cfg cfg;
	json_error_t jerr;

	char *buf;
	int id, n;

	id = channels_find(c, &cfg);
	if (id < 0)
		return;
	if (cfg.format != XRELAY_FMT_DATUM) {
		response_json(c->resp, 200, json_loads(XRELAY_PACKET_SCHEMA, 0, &jerr));
		return;
	}
	buf = malloc(XRELAY_SCHEMA_MAX);
	n = buf ? store_schema_get(c->store, (__u32)id, cfg.created_ns, buf, XRELAY_SCHEMA_MAX)
		: -ENOMEM;
	if (n < 0)
		response_errno(c->resp, n, "the channel's schema");
	else
		response_json(c->resp, 200, json_loadb(buf, (size_t)n, JSON_DECODE_ANY, &jerr));
	free(buf);
}
