/* SPDX-License-Identifier: MIT */
/*
 * The API's wire format: JSON <-> the map contract's structs, and validation, for every
 * resource of openapi.yaml. Pure functions: no I/O, no maps, no logging, no globals; safe from
 * any thread. The controlplane calls these and maps their errors to HTTP in one place.
 *
 * Channel JSON (response), all fields always present:
 *   {"id": 3, "name": "feed-a", "port": 5000, "addr": "239.1.1.1" | null, "record": true,
 *    "destinations": [{"addr": "239.2.2.2", "port": 6000, "every": 1, "ttl": 1,
 *                      "interface": "eth0" | null}],
 *    "retention": {"max_age": 86400 | null, "max_bytes": 10737418240 | null},
 *    "created_at": "2026-11-24T04:05:06.123456789Z", "generation": 1}
 * addr null = any destination address. IPv4 addresses are printed dotted (they are stored
 * IPv4-mapped), IPv6 in RFC 5952 form.
 */
#ifndef XRELAY_API_H
#define XRELAY_API_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "xrelay/mapctl.h"
#include "xrelay/maps.h"

#define API_MAX_BODY (64 * 1024) /* bytes; larger bodies are 413 */
/* Nesting of [ and { in a request body (deeper is 400): room for a datum schema's nesting. */
#define API_MAX_DEPTH 40
/* A datum channel's name at most: <name>-rejected is a channel name too (its files). */
#define API_DATUM_NAME_MAX (XRELAY_NAME_LEN - 1 - 9)

/* What went wrong with a request body: the HTTP status and a problem detail. */
struct api_error {
	int status; /* 400 or 422; 500 only when out of memory */
	char field
		[96]; /* JSON pointer-ish path of the culprit: "destinations/2/port"; "" if none */
	char detail[256]; /* one sentence for a person: what is wrong and what is accepted */
};

/*
 * Parse a POST /channels body into @cfg (zeroed first; state, generation, created_ns left 0).
 * Rules: a JSON object; `name` ([A-Za-z0-9_-]{1,63}) and `port` (integer 1-65535) required;
 * `addr` IPv4/IPv6 literal or null/absent (= any), not unspecified (0.0.0.0, ::);
 * `record` boolean (default true); `destinations` array of at most XRELAY_MAX_DESTS objects,
 * each `addr` (required, not unspecified) and `port` (required, 1-65535), `every` (integer
 * 1-1000000, default 1), `ttl` (integer 1-255, default 1), `interface` (string 1-15 chars of
 * [A-Za-z0-9_.:-], or null = none); `retention` {max_age seconds, max_bytes} or null (see
 * api/retention.h; default no limit).
 * Errors: malformed JSON, nesting deeper than API_MAX_DEPTH, a body that is not an object,
 * unknown fields and duplicate keys -> 400; a wrong type or value, a missing required field
 * -> 422 naming the field. Returns 0 or -1 with *@err filled.
 */
int api_channel_parse(const char *body, size_t len, struct xrelay_channel_cfg *cfg,
		      struct api_error *err);

/*
 * Apply a PATCH body (JSON merge patch, RFC 7396) to @cfg, which holds the stored channel.
 * Only `record`, `destinations` and `retention` may change (null resets: record -> true,
 * destinations -> none, retention -> no limits; retention merges member by member); `name`, `port`, `addr` present with a different value -> 422 ("cannot change"), with
 * the same value -> accepted; `id`, `created_at`, `generation` -> 422 (read-only); any other
 * field -> 400. Same body errors as api_channel_parse. On error @cfg is unchanged.
 * Returns 0 or -1 with *@err filled.
 */
int api_channel_patch(const char *body, size_t len, struct xrelay_channel_cfg *cfg,
		      struct api_error *err);

/*
 * How a channel's files are written (api/fileformat.c), a part of the two parsers above:
 * `format` "envelope" (default) or "datum"; a datum channel's `schema` (any Avro schema,
 * compiled by lib/datum.c: a fault is a 422 naming "schema.<its path>", and at most
 * XRELAY_SCHEMA_MAX bytes as compact JSON, whose length goes to cfg->schema_len) and its name
 * at most API_DATUM_NAME_MAX characters; `codec` "null", "deflate", "snappy" or null (the
 * dataplane's); `prefix` "confluent" with `schema_id`, or null. api_fileformat_parse reads them
 * from a POST body's @root into @cfg (whose name is set); api_fileformat_patch refuses (422) a
 * PATCH that names one with another value, or names schema at all. Return 0 or -1 with *@err.
 */
int api_fileformat_parse(const json_t *root, struct xrelay_channel_cfg *cfg, struct api_error *err);
int api_fileformat_patch(const json_t *root, const struct xrelay_channel_cfg *cfg,
			 struct api_error *err);

/*
 * The schema of a POST body already accepted by api_channel_parse, as compact JSON into @buf
 * (not NUL-terminated). Returns its length, or -EINVAL (none, or longer than @buflen).
 */
int api_fileformat_schema(const char *body, size_t len, char *buf, size_t buflen);

/* Add "format", "codec", "prefix" (and "schema_id") of @cfg to the channel object @o. */
int api_fileformat_to_json(const struct xrelay_channel_cfg *cfg, json_t *o);

/* The channel as the API shows it (see the file header). New reference; NULL on ENOMEM. */
json_t *api_channel_to_json(const struct xrelay_channel_cfg *cfg, __u32 id);

/*
 * One counter as the API shows it: a __u64 at @off in the struct its table is about. The tables
 * below drive both the JSON of /stats and the Prometheus text of /metrics, so a new counter is
 * added in one place: a line in its table.
 */
struct api_counter {
	const char *name; /* the JSON key; what /metrics makes of it is said per table */
	const char *help; /* one line for # HELP and the docs */
	size_t off;	  /* offset of the __u64 in the table's struct */
	/* api_xdp_counters only: place among /metrics' outcomes, from 1; 0 = not an outcome */
	unsigned int outcome;
};

/*
 * A channel's own counters, in struct mapctl_chan_totals, in JSON order; /metrics shows each as
 * the family xrelay_<name>_total with this help.
 */
extern const struct api_counter api_chan_counters[];
extern const size_t api_chan_counters_n;

/*
 * Drop causes as the API names them ("redirect_miss", "fragments", "ring_full", ...), in struct
 * mapctl_chan_totals, in JSON order; /metrics: xrelay_drops_total{channel, cause=<name>}.
 */
extern const struct api_counter api_drop_causes[];
extern const size_t api_drop_causes_n;

/*
 * Why datum channels' datagrams were rejected ("truncated", "trailing_bytes", "bad_union",
 * ...), by XRELAY_REJECT_*, in struct mapctl_chan_totals; /stats: "rejected": {reason: n}.
 */
extern const struct api_counter api_reject_reasons[];
extern const size_t api_reject_reasons_n;

/*
 * The XDP program's global counters, in struct xrelay_xdp_global, in JSON order (the struct's);
 * /metrics: xrelay_xdp_packets_total{outcome=<name>}, in the order of .outcome, those with
 * outcome 0 left out.
 */
extern const struct api_counter api_xdp_counters[];
extern const size_t api_xdp_counters_n;

/*
 * A destination's counters (struct xrelay_dest_stats), in JSON order; /metrics:
 * xrelay_dest_<name>_total{channel, destination="<addr>:<port>", slot=<i>}.
 */
extern const struct api_counter api_dest_counters[];
extern const size_t api_dest_counters_n;

/* The value of counter @c in @stats, the struct of @c's table. */
__u64 api_counter_get(const struct api_counter *c, const void *stats);

/* The count of cause @i of api_drop_causes in @t; 0 when @i is out of range. */
__u64 api_drop_count(const struct mapctl_chan_totals *t, size_t i);

/*
 * A channel's counters: {"rx_packets", "rx_bytes", "recorded_packets", "recorded_bytes",
 * "sent_packets", "sent_bytes", "write_errors", "send_errors" (api_chan_counters),
 * "dropped_packets", "drops": {cause: n, ...}, "rejected": {reason: n, ...} (rejected_packets'
 * reasons, api_reject_reasons), "destinations": [...]} with every cause of
 * api_drop_causes always present and dropped_packets their sum; destinations[i] is @cfg's
 * dests[i]: {"addr", "port"} and its api_dest_counters. New reference; NULL on ENOMEM.
 */
json_t *api_stats_to_json(const struct mapctl_chan_totals *t, const struct xrelay_channel_cfg *cfg);

/* The XDP program's global counters by name (api_xdp_counters). New reference. */
json_t *api_xdp_global_to_json(const struct xrelay_xdp_global *g);

/*
 * A problem document (RFC 9457): {"type": "https://xrelay.dev/problems/<slug>", "title",
 * "status", "detail"} plus "field" when @field is non-empty. New reference.
 */
json_t *api_problem(int status, const char *title, const char *detail, const char *field);

/* The reason phrase of an HTTP status ("Unprocessable Content" for 422, ...). */
const char *api_status_title(int status);

/* RFC 3339 UTC with nanoseconds from CLOCK_REALTIME nanoseconds, into @buf (>= 32 bytes). */
void api_format_time(__u64 ns, char *buf, size_t len);

/*
 * Text of an address stored IPv4-mapped or IPv6 (16 bytes) into @buf (>= 46 bytes): dotted
 * for IPv4-mapped, RFC 5952 for the rest.
 */
void api_format_addr(const __u8 addr[16], char *buf, size_t len);

#endif /* XRELAY_API_H */
