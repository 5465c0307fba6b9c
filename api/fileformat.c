// SPDX-License-Identifier: MIT
/*
 * How a channel's files are written, on the wire (xrelay/api.h): the members `format`,
 * `schema`, `codec`, `prefix` and `schema_id` of a channel, parsed into its config, checked
 * (a datum schema compiled by lib/datum.c, its faults named by path), refused in a PATCH that
 * would change them, and shown. The rest of a channel is api/channel.c's. Pure.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "body.h"
#include "xrelay/api.h"
#include "xrelay/datum.h"

static const char *const codec_names[] = { [XRELAY_CODEC_NULL] = "null",
					   [XRELAY_CODEC_DEFLATE] = "deflate",
					   [XRELAY_CODEC_SNAPPY] = "snappy" };
#define NCODECS (sizeof(codec_names) / sizeof(codec_names[0]))

static int parse_codec(const json_t *v, __u32 *out, struct api_error *err)
{
	char got[64];
	__u32 i;

	if (!v || json_is_null(v)) {
		*out = XRELAY_CODEC_DEFAULT;
		return 0;
	}
	for (i = 1; json_is_string(v) && i < NCODECS; i++)
		if (!strcmp(json_string_value(v), codec_names[i])) {
			*out = i;
			return 0;
		}
	return body_fail(err, 422, "codec",
			 "codec must be \"null\", \"deflate\", \"snappy\" or null (the "
			 "dataplane's --codec), got %s.",
			 body_describe(v, got, sizeof(got)));
}

/* The schema member: compiled to find its faults, measured in its compact form. */
static int parse_schema(const json_t *v, struct xrelay_channel_cfg *cfg, struct api_error *err)
{
	struct datum_prog *p = NULL;
	struct datum_error de;
	char field[sizeof(err->field)];
	size_t n;
	int r;

	if (!v)
		return body_fail(err, 422, "schema",
				 "a datum channel needs \"schema\": the Avro schema (JSON) of the "
				 "datum each datagram carries.");
	r = datum_compile(v, &p, &de);
	datum_free(p);
	if (r == -ENOMEM)
		return body_fail(err, 500, "schema", "out of memory while reading the schema.");
	if (r) {
		snprintf(field, sizeof(field), "schema%s%.*s",
			 de.path[0] == '[' || !de.path[0] ? "" : ".", (int)sizeof(field) - 8,
			 de.path);
		return body_fail(err, 422, field, "%s: %s.", field, de.detail);
	}
	n = json_dumpb(v, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!n || n > XRELAY_SCHEMA_MAX)
		return body_fail(err, 422, "schema",
				 "the schema takes %zu bytes as compact JSON; at most %u are kept.",
				 n, XRELAY_SCHEMA_MAX);
	cfg->schema_len = (__u32)n;
	return 0;
}

static int parse_prefix(const json_t *root, struct xrelay_channel_cfg *cfg, struct api_error *err)
{
	const json_t *v = json_object_get(root, "prefix"), *id = json_object_get(root, "schema_id");
	char got[64];

	if (!v || json_is_null(v)) {
		if (id && !json_is_null(id))
			return body_fail(err, 422, "schema_id",
					 "schema_id goes with \"prefix\": \"confluent\".");
		return 0;
	}
	if (!json_is_string(v) || strcmp(json_string_value(v), "confluent"))
		return body_fail(err, 422, "prefix",
				 "prefix must be \"confluent\" (magic byte 0 and a 4-byte schema "
				 "id before each datum) or null, got %s.",
				 body_describe(v, got, sizeof(got)));
	if (cfg->format != XRELAY_FMT_DATUM)
		return body_fail(err, 422, "prefix",
				 "prefix is for \"format\": \"datum\" channels.");
	if (!json_is_integer(id) || json_integer_value(id) < 0 ||
	    json_integer_value(id) > (json_int_t)UINT32_MAX)
		return body_fail(err, 422, "schema_id",
				 "with the confluent prefix, schema_id is required: the schema id "
				 "(0 to 4294967295) each datagram's prefix must carry, got %s.",
				 body_describe(id, got, sizeof(got)));
	cfg->prefix = XRELAY_PREFIX_CONFLUENT;
	cfg->schema_id = (__u32)json_integer_value(id);
	return 0;
}

int api_fileformat_parse(const json_t *root, struct xrelay_channel_cfg *cfg, struct api_error *err)
{
	const json_t *v = json_object_get(root, "format");
	char got[64];

	cfg->format = XRELAY_FMT_ENVELOPE;
	if (v && json_is_string(v) && !strcmp(json_string_value(v), "datum"))
		cfg->format = XRELAY_FMT_DATUM;
	else if (v && !json_is_null(v) &&
		 !(json_is_string(v) && !strcmp(json_string_value(v), "envelope")))
		return body_fail(err, 422, "format",
				 "format must be \"envelope\" (default) or \"datum\", got %s.",
				 body_describe(v, got, sizeof(got)));
	if (parse_codec(json_object_get(root, "codec"), &cfg->codec, err))
		return -1;
	if (cfg->format == XRELAY_FMT_DATUM) {
		if (strlen(cfg->name) > API_DATUM_NAME_MAX)
			return body_fail(err, 422, "name",
					 "a datum channel's name has at most %d characters (its "
					 "rejected datagrams go to <name>-rejected files).",
					 API_DATUM_NAME_MAX);
		if (parse_schema(json_object_get(root, "schema"), cfg, err))
			return -1;
	} else if (json_object_get(root, "schema")) {
		return body_fail(err, 422, "schema",
				 "schema is for \"format\": \"datum\" channels; an envelope "
				 "channel's schema is xrelay.Packet.");
	}
	return parse_prefix(root, cfg, err);
}

int api_fileformat_schema(const char *body, size_t len, char *buf, size_t buflen)
{
	json_t *root = json_loadb(body, len, JSON_DECODE_ANY, NULL);
	size_t n = 0;

	if (root && json_object_get(root, "schema"))
		n = json_dumpb(json_object_get(root, "schema"), buf, buflen,
			       JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(root);
	return n && n <= buflen ? (int)n : -EINVAL;
}

int api_fileformat_patch(const json_t *root, const struct xrelay_channel_cfg *cfg,
			 struct api_error *err)
{
	struct xrelay_channel_cfg now = *cfg;
	const char *changed = NULL;
	struct api_error ignored;

	if (json_object_get(root, "schema"))
		changed = "schema";
	else if (api_fileformat_parse(root, &now, &ignored))
		changed = json_object_get(root, "format")  ? "format"
			  : json_object_get(root, "codec") ? "codec"
							   : "prefix";
	else if (json_object_get(root, "format") && now.format != cfg->format)
		changed = "format";
	else if (json_object_get(root, "codec") && now.codec != cfg->codec)
		changed = "codec";
	else if ((json_object_get(root, "prefix") || json_object_get(root, "schema_id")) &&
		 (now.prefix != cfg->prefix || now.schema_id != cfg->schema_id))
		changed = json_object_get(root, "prefix") ? "prefix" : "schema_id";
	if (!changed)
		return 0;
	return body_fail(err, 422, changed,
			 "%s cannot be changed: a channel keeps its format, schema, codec and "
			 "prefix for its life (its files depend on them); add a new channel.",
			 changed);
}

int api_fileformat_to_json(const struct xrelay_channel_cfg *cfg, json_t *o)
{
	int bad = 0;

	bad |= json_object_set_new(
		o, "format", json_string(cfg->format == XRELAY_FMT_DATUM ? "datum" : "envelope"));
	bad |= json_object_set_new(o, "codec",
				   cfg->codec && cfg->codec < NCODECS
					   ? json_string(codec_names[cfg->codec])
					   : json_null());
	bad |= json_object_set_new(o, "prefix",
				   cfg->prefix == XRELAY_PREFIX_CONFLUENT ? json_string("confluent")
									  : json_null());
	if (cfg->prefix == XRELAY_PREFIX_CONFLUENT)
		bad |= json_object_set_new(o, "schema_id", json_integer(cfg->schema_id));
	return bad ? -ENOMEM : 0;
}
