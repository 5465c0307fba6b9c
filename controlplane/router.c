// SPDX-License-Identifier: MIT
/*
 * Routing and the endpoint handlers of the control API (openapi.yaml is the contract). Owns
 * the route table, the one errno -> HTTP mapping (response_errno) and the JSON/text bodies;
 * validation of request bodies is api/'s, map edits are lib/mapctl's.
 */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>

#include "router.h"
#include "xrelay/api.h"
#include "xrelay/avro.h"
#include "xrelay/log.h"

struct hctx {
	struct store *store;
	struct mapctl *m;
	const struct request *req;
	const char *prefix; /* "" or "/v1": echoed in Location */
	const char *name;   /* the {name} path segment, NUL-terminated; NULL if none */
	struct response *resp;
};

typedef void (*handler_fn)(struct hctx *c);

struct route {
	const char *method;
	const char *pattern; /* "{name}" matches one path segment */
	handler_fn fn;
};

void response_reset(struct response *resp)
{
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}

static void response_json(struct response *resp, int status, json_t *j)
{
	char *s;

	if (!j) {
		response_problem(resp, 500, NULL, "out of memory building the response");
		return;
	}
	s = json_dumps(j, JSON_INDENT(2));
	json_decref(j);
	if (!s) {
		response_problem(resp, 500, NULL, "out of memory building the response");
		return;
	}
	free(resp->body);
	resp->status = status;
	resp->content_type = "application/json";
	resp->body_len = strlen(s) + 1;
	resp->body = s;
	/* json_dumps' NUL becomes the newline curl users expect at the end. */
	resp->body[resp->body_len - 1] = '\n';
}

void response_problem(struct response *resp, int status, const char *field, const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	char *s;
	json_t *j;

	va_start(ap, fmt);
	(void)vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
	resp->status = status;
	resp->content_type = NULL;
	j = api_problem(status, api_status_title(status), detail, field ? field : "");
	s = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
	json_decref(j);
	if (!s)
		return; /* status alone: nothing better is possible without memory */
	resp->content_type = "application/problem+json";
	resp->body_len = strlen(s) + 1;
	resp->body = s;
	resp->body[resp->body_len - 1] = '\n';
}

/*
 * The one place an -errno from the maps becomes an HTTP status. @what names the object for
 * the detail ("channel feed-a").
 */
static void response_errno(struct response *resp, int err, const char *what)
{
	switch (err) {
	case -ENOENT:
		response_problem(resp, 404, NULL, "no %s", what);
		break;
	case -EEXIST:
		response_problem(resp, 409, "name", "%s exists already", what);
		break;
	case -EADDRINUSE:
		response_problem(resp, 409, "port", "%s", what);
		break;
	case -ENOSPC:
		response_problem(resp, 507, NULL,
				 "no free channel id: %u channels exist, which is the limit",
				 XRELAY_MAX_CHANNELS);
		break;
	/*
	 * -EINVAL from the maps means the API accepted what the contract library refuses: a
	 * bug, so 500 (the fuzzer fails on it), never a 422 without a field.
	 */
	case -ENODEV:
		response_problem(resp, 503, NULL, "the pinned maps are unusable: %s", what);
		break;
	default:
		response_problem(resp, 500, NULL, "%s: %s", what, strerror(-err));
		break;
	}
}

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
static bool body_ok(struct hctx *c, const char *const *types, const char *accepted)
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
static bool interfaces_exist(struct hctx *c, const struct xrelay_channel_cfg *cfg)
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

static void post_channels(struct hctx *c)
{
	static const char *const types[] = { "application/json", NULL };
	struct xrelay_channel_cfg cfg;
	struct api_error err = {};
	char what[256];
	__u32 id, other;
	int r;

	if (!body_ok(c, types, "application/json"))
		return;
	if (api_channel_parse(c->req->body, c->req->body_len, &cfg, &err)) {
		response_problem(c->resp, err.status, err.field, "%s", err.detail);
		return;
	}
	if (!interfaces_exist(c, &cfg))
		return;
	r = mapctl_channel_add(c->m, &cfg, &id);
	if (r == -EADDRINUSE) {
		struct xrelay_channel_cfg owner = {};
		char addr[64];

		if (!bpf_map_lookup_elem(mapctl_fd(c->m, XRELAY_MAP_CHANNELS), &cfg.key, &other))
			(void)mapctl_channel_get(c->m, other, &owner);
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
	snprintf(c->resp->location, sizeof(c->resp->location), "%s/channels/%s", c->prefix,
		 cfg.name);
	response_json(c->resp, 201, api_channel_to_json(&cfg, id));
}

/* A published channel, as listed by the read-only endpoints. */
struct listed {
	__u32 id;
	struct xrelay_channel_cfg cfg;
	struct mapctl_chan_totals t;
};

/*
 * The published channels in id order (from the store's cache), with their counters when
 * @totals. Returns the count with *@ret (malloc'ed) or -errno.
 */
static int list_channels(struct hctx *c, bool totals, struct listed **ret)
{
	__u32 *ids = malloc(sizeof(*ids) * XRELAY_MAX_CHANNELS);
	struct xrelay_channel_cfg *cfgs = malloc(sizeof(*cfgs) * XRELAY_MAX_CHANNELS);
	struct listed *l = NULL;
	int n = -ENOMEM, i, r = 0;

	if (ids && cfgs)
		n = store_channels(c->store, c->m, ids, cfgs);
	if (n >= 0) {
		l = calloc((size_t)n + 1, sizeof(*l));
		if (!l)
			n = -ENOMEM;
	}
	for (i = 0; n >= 0 && i < n && !r; i++) {
		l[i].id = ids[i];
		l[i].cfg = cfgs[i];
		if (totals)
			r = mapctl_channel_totals(c->m, ids[i], &l[i].t);
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

static void get_channels(struct hctx *c)
{
	json_t *list = json_array();
	struct listed *l = NULL;
	int n, i;

	n = list ? list_channels(c, false, &l) : -ENOMEM;
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

/* Find {name}; on failure the response is filled and -1 returned. */
static int find(struct hctx *c, struct xrelay_channel_cfg *cfg)
{
	char what[96];
	int id = -ENOENT;

	if (mapctl_name_valid(c->name))
		id = store_find(c->store, c->m, c->name, cfg);
	if (id < 0) {
		snprintf(what, sizeof(what), "channel named %.63s", c->name);
		response_errno(c->resp, id, what);
		return -1;
	}
	return id;
}

static void get_channel(struct hctx *c)
{
	struct xrelay_channel_cfg cfg;
	int id = find(c, &cfg);

	if (id >= 0)
		response_json(c->resp, 200, api_channel_to_json(&cfg, (__u32)id));
}

static void patch_channel(struct hctx *c)
{
	static const char *const types[] = { "application/merge-patch+json", "application/json",
					     NULL };
	struct xrelay_channel_cfg cfg;
	struct api_error err = {};
	char what[96];
	int id, r;

	if (!body_ok(c, types, "application/merge-patch+json or application/json"))
		return;
	id = find(c, &cfg);
	if (id < 0)
		return;
	if (api_channel_patch(c->req->body, c->req->body_len, &cfg, &err)) {
		response_problem(c->resp, err.status, err.field, "%s", err.detail);
		return;
	}
	if (!interfaces_exist(c, &cfg))
		return;
	r = mapctl_channel_update(c->m, c->name, &cfg);
	if (r) {
		snprintf(what, sizeof(what), "channel named %s", c->name);
		response_errno(c->resp, r, what);
		return;
	}
	log_channel("changed", &cfg, (__u32)id);
	response_json(c->resp, 200, api_channel_to_json(&cfg, (__u32)id));
}

static void delete_channel(struct hctx *c)
{
	char what[96];
	__u32 id;
	int r = -ENOENT;

	if (mapctl_name_valid(c->name))
		r = mapctl_channel_remove(c->m, c->name, &id);
	if (r) {
		snprintf(what, sizeof(what), "channel named %.63s", c->name);
		response_errno(c->resp, r, what);
		return;
	}
	pr_info("channel %s removed: id %u", c->name, id);
	response_reset(c->resp);
	c->resp->status = 204;
}

static void get_schema(struct hctx *c)
{
	struct xrelay_channel_cfg cfg;
	json_error_t jerr;

	if (find(c, &cfg) < 0)
		return;
	response_json(c->resp, 200, json_loads(XRELAY_PACKET_SCHEMA, 0, &jerr));
}

static const char *mode_name(__u32 mode)
{
	switch (mode) {
	case XRELAY_MODE_XDP_NATIVE:
		return "xdp-native";
	case XRELAY_MODE_XDP_GENERIC:
		return "xdp-generic";
	case XRELAY_MODE_SOCKET:
		return "socket";
	default:
		return "none";
	}
}

/* {"running", "pid", "mode", "interface", "queues", "heartbeat_age_ms", "zero_copy"} */
static json_t *dataplane_json(struct mapctl *m, bool brief)
{
	const struct xrelay_meta *meta = mapctl_meta(m);
	__u64 age;
	bool up = mapctl_dataplane_alive(m, MAPCTL_HEARTBEAT_FRESH_MS, &age);
	json_t *j = json_object(),
	       *age_j = age == UINT64_MAX ? json_null() : json_integer((json_int_t)age);
	char ifname[XRELAY_IFNAME_LEN + 1];

	if (!j)
		return NULL;
	json_object_set_new(j, "running", json_boolean(up));
	if (brief) {
		json_object_set_new(j, "heartbeat_age_ms", age_j);
		return j;
	}
	memcpy(ifname, meta->ifname, XRELAY_IFNAME_LEN);
	ifname[XRELAY_IFNAME_LEN] = '\0';
	json_object_set_new(j, "pid", up ? json_integer(meta->dp_pid) : json_null());
	json_object_set_new(j, "mode", json_string(up ? mode_name(meta->dp_mode) : "none"));
	json_object_set_new(j, "interface", up && ifname[0] ? json_string(ifname) : json_null());
	json_object_set_new(j, "queues", json_integer(up ? meta->nqueues : 0));
	json_object_set_new(j, "heartbeat_age_ms", age_j);
	json_object_set_new(j, "zero_copy", json_boolean(up && meta->xsk_zerocopy));
	return j;
}

/* The running dataplane's sockets, one per queue: [] when none runs. */
static json_t *sockets_json(struct mapctl *m)
{
	const struct xrelay_meta *meta = mapctl_meta(m);
	const struct xrelay_queue_stats *qs = mapctl_queue_stats(m);
	json_t *a = json_array();
	__u32 q, n = meta->nqueues;

	if (!a || !mapctl_dataplane_alive(m, MAPCTL_HEARTBEAT_FRESH_MS, NULL))
		return a;
	for (q = 0; q < n && q < XRELAY_MAX_QUEUES; q++)
		json_array_append_new(
			a,
			json_pack("{s:i, s:I, s:I, s:I, s:I, s:I}", "queue", (int)q, "rx_frames",
				  (json_int_t)__atomic_load_n(&qs[q].rx_frames, __ATOMIC_RELAXED),
				  "rx_dropped", (json_int_t)qs[q].rx_dropped, "rx_ring_full",
				  (json_int_t)qs[q].rx_ring_full, "rx_invalid_descs",
				  (json_int_t)qs[q].rx_invalid_descs, "rx_fill_ring_empty",
				  (json_int_t)qs[q].rx_fill_ring_empty));
	return a;
}

static void get_stats(struct hctx *c)
{
	json_t *chans = json_object(), *j;
	struct xrelay_xdp_global g;
	struct listed *l = NULL;
	int n, i, r;

	n = chans ? list_channels(c, true, &l) : -ENOMEM;
	r = n < 0 ? n : mapctl_xdp_global(c->m, &g);
	for (i = 0; !r && i < n; i++)
		json_object_set_new(chans, l[i].cfg.name, api_stats_to_json(&l[i].t));
	free(l);
	if (r) {
		json_decref(chans);
		response_errno(c->resp, r, "reading counters");
		return;
	}
	j = json_pack("{s:o?, s:o?, s:o?, s:o}", "dataplane", dataplane_json(c->m, false), "xdp",
		      api_xdp_global_to_json(&g), "sockets", sockets_json(c->m), "channels", chans);
	response_json(c->resp, 200, j);
}

static void get_channel_stats(struct hctx *c)
{
	struct xrelay_channel_cfg cfg;
	struct mapctl_chan_totals t;
	int id = find(c, &cfg), r;

	if (id < 0)
		return;
	r = mapctl_channel_totals(c->m, (__u32)id, &t);
	if (r) {
		response_errno(c->resp, r, "reading counters");
		return;
	}
	response_json(c->resp, 200, api_stats_to_json(&t));
}

static void get_metrics(struct hctx *c)
{
	struct xrelay_xdp_global g;
	struct listed *l = NULL;
	size_t k, len = 0, i, pos;
	char *buf = NULL;
	FILE *f = NULL;
	int n, r, id;
	__u64 age;
	bool up;

	n = list_channels(c, true, &l);
	r = n < 0 ? n : mapctl_xdp_global(c->m, &g);
	if (r)
		goto out;
	f = open_memstream(&buf, &len);
	if (!f) {
		r = -ENOMEM;
		goto out;
	}
	up = mapctl_dataplane_alive(c->m, MAPCTL_HEARTBEAT_FRESH_MS, &age);
	fprintf(f,
		"# HELP xrelay_dataplane_up Whether the dataplane's heartbeat is fresh.\n"
		"# TYPE xrelay_dataplane_up gauge\nxrelay_dataplane_up %d\n",
		up);
	if (age != UINT64_MAX)
		fprintf(f,
			"# HELP xrelay_dataplane_heartbeat_age_seconds Age of the dataplane's last "
			"heartbeat.\n# TYPE xrelay_dataplane_heartbeat_age_seconds gauge\n"
			"xrelay_dataplane_heartbeat_age_seconds %.3f\n",
			(double)age / 1000.0);
	fprintf(f,
		"# HELP xrelay_channels Channels defined.\n# TYPE xrelay_channels gauge\n"
		"xrelay_channels %d\n",
		n);
	fprintf(f, "# HELP xrelay_xdp_packets_total Packets the XDP program ran on, by outcome.\n"
		   "# TYPE xrelay_xdp_packets_total counter\n");
	for (pos = 1; pos <= api_xdp_counters_n; pos++)
		for (k = 0; k < api_xdp_counters_n; k++)
			if (api_xdp_counters[k].outcome == pos)
				fprintf(f, "xrelay_xdp_packets_total{outcome=\"%s\"} %llu\n",
					api_xdp_counters[k].name,
					(unsigned long long)api_counter_get(&api_xdp_counters[k],
									    &g));
	for (k = 0; k < api_chan_counters_n; k++) {
		const struct api_counter *m = &api_chan_counters[k];

		fprintf(f, "# HELP xrelay_%s_total %s\n# TYPE xrelay_%s_total counter\n", m->name,
			m->help, m->name);
		for (id = 0; id < n; id++)
			fprintf(f, "xrelay_%s_total{channel=\"%s\"} %llu\n", m->name,
				l[id].cfg.name, (unsigned long long)api_counter_get(m, &l[id].t));
	}
	fprintf(f, "# HELP xrelay_drops_total Packets of the channel not recorded, by cause.\n"
		   "# TYPE xrelay_drops_total counter\n");
	for (id = 0; id < n; id++)
		for (i = 0; i < api_drop_causes_n; i++)
			fprintf(f, "xrelay_drops_total{channel=\"%s\",cause=\"%s\"} %llu\n",
				l[id].cfg.name, api_drop_causes[i].name,
				(unsigned long long)api_drop_count(&l[id].t, i));
	r = fclose(f) ? -ENOMEM : 0;
	f = NULL;
	if (r)
		goto out;
	response_reset(c->resp);
	c->resp->status = 200;
	c->resp->content_type = "text/plain; version=0.0.4";
	c->resp->body = buf;
	c->resp->body_len = len;
	buf = NULL;
out:
	if (f)
		fclose(f);
	free(buf);
	free(l);
	if (r)
		response_errno(c->resp, r, "reading counters");
}

static void get_healthz(struct hctx *c)
{
	response_json(c->resp, 200,
		      json_pack("{s:s, s:o?, s:s}", "status", "ok", "dataplane",
				dataplane_json(c->m, true), "maps", "ok"));
}

static const struct route routes[] = {
	{ "POST", "/channels", post_channels },
	{ "GET", "/channels", get_channels },
	{ "GET", "/channels/{name}", get_channel },
	{ "PATCH", "/channels/{name}", patch_channel },
	{ "DELETE", "/channels/{name}", delete_channel },
	{ "GET", "/channels/{name}/schema", get_schema },
	{ "GET", "/channels/{name}/stats", get_channel_stats },
	{ "GET", "/stats", get_stats },
	{ "GET", "/metrics", get_metrics },
	{ "GET", "/healthz", get_healthz },
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

/* Methods in the order Allow lists them. */
static const char *const allow_order[] = { "GET", "HEAD", "POST", "PATCH", "DELETE" };

int router_handle(struct store *store, const struct request *req, struct response *resp)
{
	char name[XRELAY_NAME_LEN + 1], err[512];
	const struct route *hit = NULL;
	struct hctx c = { .store = store, .req = req, .prefix = "", .resp = resp };
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

	r = store_acquire(store, &c.m, err, sizeof(err));
	if (r) {
		response_errno(resp, r, err);
		return resp->status;
	}
	hit->fn(&c);
	store_release(store);
	return resp->status;
}
