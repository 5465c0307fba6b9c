// SPDX-License-Identifier: MIT
/*
 * A channel's retention limits on the wire (api/retention.h): the merge of a `retention` member
 * into the stored limits and their JSON. Pure: no I/O, no maps, no logging, no mutable globals.
 */
#include "body.h"
#include "retention.h"

static const char *const retain_fields[] = { "max_age", "max_bytes", NULL };

/* A member of `retention` at @path: absent keeps *@out, null clears it, else [1, @max]. */
static int merge_limit(const json_t *obj, const char *key, const char *path, json_int_t max,
		       const char *unit, __u64 *out, struct api_error *err)
{
	const json_t *v = json_object_get(obj, key);
	char got[64];

	if (!v)
		return 0;
	if (json_is_null(v)) {
		*out = 0;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > max)
		return body_fail(err, 422, path,
				 "%s must be a whole number of %s from 1 to %" JSON_INTEGER_FORMAT
				 ", or null for no limit, got %s.",
				 path, unit, max, body_describe(v, got, sizeof(got)));
	*out = (__u64)json_integer_value(v);
	return 0;
}

int api_retention_check_unknown(const json_t *v, struct api_error *err)
{
	if (!json_is_object(v))
		return 0;
	return body_check_fields(v, retain_fields, "retention", "max_age, max_bytes", err);
}

int api_retention_merge(const json_t *v, struct xrelay_channel_cfg *cfg, struct api_error *err)
{
	__u64 age = cfg->retain_seconds, bytes = cfg->retain_bytes;
	char got[64];

	if (json_is_null(v)) {
		cfg->retain_seconds = 0;
		cfg->retain_bytes = 0;
		return 0;
	}
	if (!json_is_object(v))
		return body_fail(
			err, 422, "retention",
			"retention must be an object {\"max_age\": seconds, \"max_bytes\": "
			"bytes} (either may be null or left out), or null, got %s.",
			body_describe(v, got, sizeof(got)));
	if (api_retention_check_unknown(v, err))
		return -1;
	if (merge_limit(v, "max_age", "retention/max_age", API_RETAIN_AGE_MAX, "seconds", &age,
			err) ||
	    merge_limit(v, "max_bytes", "retention/max_bytes", API_RETAIN_BYTES_MAX, "bytes",
			&bytes, err))
		return -1;
	cfg->retain_seconds = (__u32)age;
	cfg->retain_bytes = bytes;
	return 0;
}

json_t *api_retention_to_json(const struct xrelay_channel_cfg *cfg)
{
	json_t *o = json_object();
	int bad = !o;

	if (bad)
		return NULL;
	bad |= json_object_set_new(o, "max_age",
				   cfg->retain_seconds ? json_integer(cfg->retain_seconds)
						       : json_null());
	bad |= json_object_set_new(o, "max_bytes",
				   cfg->retain_bytes ? json_integer((json_int_t)cfg->retain_bytes)
						     : json_null());
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}
