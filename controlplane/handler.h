/* SPDX-License-Identifier: MIT */
/*
 * What the router hands an endpoint's handler, and the handlers by resource: channels.c
 * (/channels...), stats.c (/stats, /channels/{name}/stats, /metrics), health.c (/healthz),
 * page.c (the status page at /).
 * A handler runs with the store held and fills the response, never a status of its own
 * from an -errno (response_errno does that).
 */
#ifndef XRELAY_CP_HANDLER_H
#define XRELAY_CP_HANDLER_H

#include <stdbool.h>

#include <jansson.h>

#include "response.h"
#include "router.h"
#include "store.h"
#include "xrelay/api.h"

/* One request on its way through a handler. */
struct handler_ctx {
	struct store *store; /* held (store_acquire) for the whole call, but in open routes */
	const struct request *req;
	const char *prefix; /* "" or "/v1": echoed in Location */
	const char *name;   /* the {name} path segment, NUL-terminated; NULL if none */
	struct response *resp;
};

/* channels.c: POST, GET /channels; GET, PATCH, DELETE /channels/{name}; .../schema. */
void channels_post(struct handler_ctx *c);
void channels_list(struct handler_ctx *c);
void channels_get(struct handler_ctx *c);
void channels_patch(struct handler_ctx *c);
void channels_delete(struct handler_ctx *c);
void channels_schema(struct handler_ctx *c);

/* A published channel as the read-only endpoints list it. */
struct channels_row {
	__u32 id;
	struct xrelay_channel_cfg cfg;
	struct mapctl_chan_totals t; /* zero unless asked for */
};

/*
 * The published channels in id order, with their counters when @totals. Returns the count
 * with *@ret (malloc'ed, never NULL on success; the caller frees it) or -errno.
 */
int channels_rows(struct store *s, bool totals, struct channels_row **ret);

/*
 * Channel {name} of @c: its id with *@cfg filled; else -1 with @c's response filled (404, or
 * what response_errno makes of the store's error).
 */
int channels_find(struct handler_ctx *c, struct xrelay_channel_cfg *cfg);

/* stats.c: GET /stats, GET /channels/{name}/stats, GET /metrics. */
void stats_get(struct handler_ctx *c);
void stats_channel(struct handler_ctx *c);
void stats_metrics(struct handler_ctx *c);

/* health.c: GET /healthz. */
void health_get(struct handler_ctx *c);

/* page.c: GET / (the status page; the router serves it without the token). */
void page_get(struct handler_ctx *c);

/*
 * The dataplane's state: {"running", "heartbeat_age_ms"} when @brief, else {"running", "pid",
 * "mode", "interface", "queues", "heartbeat_age_ms", "zero_copy"}. New reference;
 * NULL on ENOMEM.
 */
json_t *health_dataplane_json(struct store *s, bool brief);

#endif
