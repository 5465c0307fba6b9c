// SPDX-License-Identifier: MIT
/*
 * Channels on the wire (xrelay/api.h): POST and PATCH bodies into struct xrelay_channel_cfg,
 * with every rule checked and a 400 or 422 that names the field at fault, and a stored channel
 * back into its JSON. Loading a body and wording its errors is api/body.c's. Pure: no I/O, no maps, no logging, no mutable globals.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "body.h"
#include "retention.h"
#include "xrelay/addr.h"
#include "xrelay/api.h"
#include "xrelay/name.h"

#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
#define IFNAME_CHARS NAME_CHARS ".:"
#define NAME_RULE "1 to 63 characters from A-Z a-z 0-9 _ -"
#define IFNAME_RULE "an interface name of 1 to 15 characters from A-Z a-z 0-9 _ . : - or null"
#define EVERY_MAX 1000000
#define TTL_MAX 255

static const char *const chan_fields[] = { "name",	   "port",	"addr",	     "record",
					   "destinations", "retention", "format",    "schema",
					   "codec",	   "prefix",	"schema_id", NULL };
static const char *const patch_fields[] = { "name",	    "port",	 "addr",   "record",
					    "destinations", "retention", "id",	   "created_at",
					    "generation",   "format",	 "schema", "codec",
					    "prefix",	    "schema_id", NULL };
static const char *const dest_fields[] = { "addr", "port", "every", "ttl", "interface", NULL };

/*
 * Unknown fields anywhere (the top level and each destination object) are checked before any
 * value, so a body with both an unknown field and a bad value is a 400 whatever the order.
 */
static int check_unknown(const json_t *body, const char *const *top, const char *top_accepts,
			 struct api_error *err)
{
	const json_t *dests = json_object_get(body, "destinations");
	const json_t *d;
	char prefix[48];
	size_t i;

	if (body_check_fields(body, top, "", top_accepts, err) ||
	    api_retention_check_unknown(json_object_get(body, "retention"), err))
		return -1;
	for (i = 0; i < json_array_size(dests); i++) {
		d = json_array_get(dests, i);
		if (!json_is_object(d))
			continue;
		snprintf(prefix, sizeof(prefix), "destinations/%zu", i);
		if (body_check_fields(d, dest_fields, prefix, "addr, port, every, ttl, interface",
				      err))
			return -1;
	}
	return 0;
}

/* An integer in [@min, @max] at @path, or a 422 that says so. */
static int parse_int(const json_t *v, const char *path, json_int_t min, json_int_t max,
		     json_int_t *out, struct api_error *err)
{
	char got[64];

	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return body_fail(err, 422, path,
				 "%s must be an integer from %" JSON_INTEGER_FORMAT
				 " to %" JSON_INTEGER_FORMAT ", got %s.",
				 path, min, max, body_describe(v, got, sizeof(got)));
	*out = json_integer_value(v);
	return 0;
}

/*
 * An IPv4 or IPv6 literal at @path into @out (IPv4 stored IPv4-mapped; "::ffff:a.b.c.d" is
 * the same address). The unspecified address is refused; @any_hint adds how to mean "any".
 */
static int parse_addr(const json_t *v, const char *path, bool any_hint, __u8 out[16],
		      struct api_error *err)
{
	const char *or_null = any_hint ? ", or null for any address" : "";
	char got[64], shown[48];
	const char *s;

	if (!json_is_string(v))
		return body_fail(err, 422, path,
				 "%s must be an IPv4 or IPv6 address as a string%s, got %s.", path,
				 or_null, body_describe(v, got, sizeof(got)));
	s = json_string_value(v);
	if (strlen(s) != json_string_length(v) || addr_parse(s, out)) {
		return body_fail(
			err, 422, path,
			"%s must be an IPv4 address (239.1.1.1) or an IPv6 address (ff15::1)%s, "
			"got \"%s\".",
			path, or_null, body_echo(shown, sizeof(shown), s, json_string_length(v)));
	}
	if (!addr_is_unspecified(out))
		return 0;
	if (any_hint)
		return body_fail(
			err, 422, path,
			"%s \"%s\" is the unspecified address; omit addr (or send null) to "
			"receive on any address.",
			path, body_echo(shown, sizeof(shown), s, json_string_length(v)));
	return body_fail(
		err, 422, path,
		"%s \"%s\" is the unspecified address; a destination needs a real address.", path,
		body_echo(shown, sizeof(shown), s, json_string_length(v)));
}

static int parse_name(const json_t *v, char out[XRELAY_NAME_LEN], struct api_error *err)
{
	char got[64], c[16];
	const char *s;
	size_t len, ok;

	if (!v)
		return body_fail(err, 422, "name", "name is required: " NAME_RULE ".");
	if (!json_is_string(v))
		return body_fail(err, 422, "name",
				 "name must be a string of " NAME_RULE ", got %s.",
				 body_describe(v, got, sizeof(got)));
	s = json_string_value(v);
	len = json_string_length(v);
	if (len == 0 || len > XRELAY_NAME_LEN - 1)
		return body_fail(err, 422, "name",
				 "name must be " NAME_RULE ", got %zu characters.", len);
	if (!name_valid_n(s, len)) {
		ok = strspn(s, NAME_CHARS);
		return body_fail(err, 422, "name",
				 "name must be " NAME_RULE
				 " (it becomes a file name), got %s at position "
				 "%zu.",
				 body_describe_char(s[ok], c, sizeof(c)), ok + 1);
	}
	memset(out, 0, XRELAY_NAME_LEN);
	memcpy(out, s, len);
	return 0;
}

static int parse_port(const json_t *v, const char *path, __be16 *out, struct api_error *err)
{
	json_int_t port;

	if (!v)
		return body_fail(err, 422, path, "%s is required: an integer from 1 to 65535.",
				 path);
	if (parse_int(v, path, 1, 65535, &port, err))
		return -1;
	*out = htons((__u16)port);
	return 0;
}

static int parse_record(const json_t *v, __u32 *flags, struct api_error *err)
{
	char got[64];

	if (!json_is_boolean(v))
		return body_fail(err, 422, "record", "record must be true or false, got %s.",
				 body_describe(v, got, sizeof(got)));
	if (json_is_true(v))
		*flags |= XRELAY_CH_F_RECORD;
	else
		*flags &= ~(__u32)XRELAY_CH_F_RECORD;
	return 0;
}

static int parse_ifname(const json_t *v, const char *path, char out[XRELAY_IFNAME_LEN],
			struct api_error *err)
{
	char got[64], c[16];
	const char *s;
	size_t len, ok;

	memset(out, 0, XRELAY_IFNAME_LEN);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return body_fail(err, 422, path, "%s must be " IFNAME_RULE ", got %s.", path,
				 body_describe(v, got, sizeof(got)));
	s = json_string_value(v);
	len = json_string_length(v);
	if (len == 0 || len > XRELAY_IFNAME_LEN - 1)
		return body_fail(err, 422, path, "%s must be " IFNAME_RULE ", got %zu characters.",
				 path, len);
	ok = strspn(s, IFNAME_CHARS);
	if (ok < len)
		return body_fail(err, 422, path,
				 "%s must be " IFNAME_RULE ", got %s at position %zu.", path,
				 body_describe_char(s[ok], c, sizeof(c)), ok + 1);
	memcpy(out, s, len);
	return 0;
}

static int parse_dest(const json_t *d, size_t i, struct xrelay_dest *dest, struct api_error *err)
{
	char prefix[48], path[64], got[64];
	const json_t *v;
	json_int_t n;

	snprintf(prefix, sizeof(prefix), "destinations/%zu", i);
	if (!json_is_object(d))
		return body_fail(err, 422, prefix,
				 "%s must be an object with addr, port and optionally every, ttl, "
				 "interface, got %s.",
				 prefix, body_describe(d, got, sizeof(got)));
	memset(dest, 0, sizeof(*dest));

	snprintf(path, sizeof(path), "%s/addr", prefix);
	v = json_object_get(d, "addr");
	if (!v)
		return body_fail(err, 422, path, "%s is required: an IPv4 or IPv6 address.", path);
	if (parse_addr(v, path, false, dest->addr, err))
		return -1;

	snprintf(path, sizeof(path), "%s/port", prefix);
	if (parse_port(json_object_get(d, "port"), path, &dest->port, err))
		return -1;

	dest->every = 1;
	snprintf(path, sizeof(path), "%s/every", prefix);
	v = json_object_get(d, "every");
	if (v) {
		if (parse_int(v, path, 1, EVERY_MAX, &n, err))
			return -1;
		dest->every = (__u32)n;
	}

	dest->ttl = 1;
	snprintf(path, sizeof(path), "%s/ttl", prefix);
	v = json_object_get(d, "ttl");
	if (v) {
		if (parse_int(v, path, 1, TTL_MAX, &n, err))
			return -1;
		dest->ttl = (__u8)n;
	}

	snprintf(path, sizeof(path), "%s/interface", prefix);
	return parse_ifname(json_object_get(d, "interface"), path, dest->ifname, err);
}

/*
 * Whether the channel @c would capture the copies it sends to @d and relay them again: @d is
 * the channel's own (address, port), or, for a channel on any address, a group on its port
 * (multicast loop is on, and generic XDP sees the looped copy as received).
 */
static bool dest_loops(const struct xrelay_channel_cfg *c, const struct xrelay_dest *d)
{
	if (d->port != c->key.port)
		return false;
	if (!memcmp(d->addr, c->key.addr, sizeof(d->addr)))
		return true;
	return addr_is_any(c->key.addr) && addr_is_multicast(d->addr);
}

/* The whole destination list of @c from the array @v (replacing what was there). */
static int parse_dests(const json_t *v, struct xrelay_channel_cfg *c, struct api_error *err)
{
	char got[64];
	size_t i, n;

	if (!json_is_array(v))
		return body_fail(
			err, 422, "destinations",
			"destinations must be an array of at most %u destination objects, got %s.",
			XRELAY_MAX_DESTS, body_describe(v, got, sizeof(got)));
	n = json_array_size(v);
	if (n > XRELAY_MAX_DESTS)
		return body_fail(err, 422, "destinations",
				 "destinations may list at most %u destinations, got %zu.",
				 XRELAY_MAX_DESTS, n);
	memset(c->dests, 0, sizeof(c->dests));
	for (i = 0; i < n; i++) {
		char path[48], shown[48];

		if (parse_dest(json_array_get(v, i), i, &c->dests[i], err))
			return -1;
		if (!dest_loops(c, &c->dests[i]))
			continue;
		snprintf(path, sizeof(path), "destinations/%zu/port", i);
		api_format_addr(c->dests[i].addr, shown, sizeof(shown));
		return body_fail(
			err, 422, path,
			"%s: %s port %u is what the channel itself receives, so every copy "
			"sent there would be relayed again (a loop); send to another port or "
			"address.",
			path, shown, ntohs(c->dests[i].port));
	}
	c->ndests = (__u32)n;
	return 0;
}

int api_channel_parse(const char *body, size_t len, struct xrelay_channel_cfg *cfg,
		      struct api_error *err)
{
	struct xrelay_channel_cfg c;
	json_t *root, *v;
	int r = -1;

	memset(cfg, 0, sizeof(*cfg));
	memset(&c, 0, sizeof(c));
	root = body_load(body, len, err);
	if (!root)
		return -1;
	if (check_unknown(
		    root, chan_fields,
		    "name, port, addr, record, destinations, retention, format, schema, codec, "
		    "prefix, schema_id",
		    err))
		goto out_free;
	if (parse_name(json_object_get(root, "name"), c.name, err))
		goto out_free;
	if (api_fileformat_parse(root, &c, err))
		goto out_free;
	if (parse_port(json_object_get(root, "port"), "port", &c.key.port, err))
		goto out_free;
	v = json_object_get(root, "addr");
	if (v && !json_is_null(v) && parse_addr(v, "addr", true, c.key.addr, err))
		goto out_free;
	c.flags = XRELAY_CH_F_RECORD;
	v = json_object_get(root, "record");
	if (v && parse_record(v, &c.flags, err))
		goto out_free;
	v = json_object_get(root, "destinations");
	if (v && parse_dests(v, &c, err))
		goto out_free;
	v = json_object_get(root, "retention");
	if (v && api_retention_merge(v, &c, err))
		goto out_free;
	*cfg = c;
	r = 0;
out_free:
	json_decref(root);
	return r;
}

/* A PATCH may name an immutable field only with the value it has. */
static int check_same(const json_t *root, const struct xrelay_channel_cfg *cfg,
		      struct api_error *err)
{
	char got[64], have[INET6_ADDRSTRLEN];
	const json_t *v;
	__u8 addr[16];

	v = json_object_get(root, "name");
	if (v &&
	    !(json_is_string(v) && json_string_length(v) == strnlen(cfg->name, sizeof(cfg->name)) &&
	      !memcmp(json_string_value(v), cfg->name, json_string_length(v))))
		return body_fail(
			err, 422, "name",
			"name cannot be changed: the channel is \"%.63s\", the patch says %s; "
			"remove the channel and add it again.",
			cfg->name, body_describe(v, got, sizeof(got)));
	v = json_object_get(root, "port");
	if (v && !(json_is_integer(v) && json_integer_value(v) == ntohs(cfg->key.port)))
		return body_fail(err, 422, "port",
				 "port cannot be changed: the channel has %u, the patch says %s; "
				 "remove the channel and add it again.",
				 ntohs(cfg->key.port), body_describe(v, got, sizeof(got)));
	v = json_object_get(root, "addr");
	if (!v)
		return 0;
	if (json_is_null(v))
		memset(addr, 0, sizeof(addr));
	else if (parse_addr(v, "addr", true, addr, err))
		return -1;
	if (memcmp(addr, cfg->key.addr, sizeof(addr))) {
		if (addr_is_any(cfg->key.addr))
			snprintf(have, sizeof(have), "any address (null)");
		else
			api_format_addr(cfg->key.addr, have, sizeof(have));
		return body_fail(err, 422, "addr",
				 "addr cannot be changed: the channel has %s, the patch says %s; "
				 "remove the channel and add it again.",
				 have, body_describe(v, got, sizeof(got)));
	}
	return 0;
}

int api_channel_patch(const char *body, size_t len, struct xrelay_channel_cfg *cfg,
		      struct api_error *err)
{
	static const char *const read_only[] = { "id", "created_at", "generation" };
	struct xrelay_channel_cfg c = *cfg;
	json_t *root, *v;
	size_t i;
	int r = -1;

	root = body_load(body, len, err);
	if (!root)
		return -1;
	if (check_unknown(root, patch_fields,
			  "record, destinations, retention (name, port, addr only unchanged)", err))
		goto out_free;
	for (i = 0; i < sizeof(read_only) / sizeof(read_only[0]); i++) {
		if (json_object_get(root, read_only[i])) {
			body_fail(err, 422, read_only[i],
				  "%s is read-only; leave it out of the patch (only record, "
				  "destinations and retention can change).",
				  read_only[i]);
			goto out_free;
		}
	}
	if (check_same(root, cfg, err) || api_fileformat_patch(root, cfg, err))
		goto out_free;
	v = json_object_get(root, "record");
	if (json_is_null(v))
		c.flags |= XRELAY_CH_F_RECORD;
	else if (v && parse_record(v, &c.flags, err))
		goto out_free;
	v = json_object_get(root, "destinations");
	if (json_is_null(v)) {
		memset(c.dests, 0, sizeof(c.dests));
		c.ndests = 0;
	} else if (v && parse_dests(v, &c, err)) {
		goto out_free;
	}
	v = json_object_get(root, "retention");
	if (v && api_retention_merge(v, &c, err))
		goto out_free;
	*cfg = c;
	r = 0;
out_free:
	json_decref(root);
	return r;
}

static json_t *dest_to_json(const struct xrelay_dest *d)
{
	char addr[INET6_ADDRSTRLEN];
	json_t *o = json_object();
	int bad = 0;

	if (!o)
		return NULL;
	api_format_addr(d->addr, addr, sizeof(addr));
	bad |= json_object_set_new(o, "addr", json_string(addr));
	bad |= json_object_set_new(o, "port", json_integer(ntohs(d->port)));
	bad |= json_object_set_new(o, "every", json_integer(d->every));
	bad |= json_object_set_new(o, "ttl", json_integer(d->ttl));
	bad |= json_object_set_new(
		o, "interface",
		d->ifname[0] ? json_stringn(d->ifname, strnlen(d->ifname, sizeof(d->ifname)))
			     : json_null());
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *api_channel_to_json(const struct xrelay_channel_cfg *cfg, __u32 id)
{
	char addr[INET6_ADDRSTRLEN], created[40];
	json_t *o = json_object(), *dests = json_array();
	__u32 i, n = cfg->ndests < XRELAY_MAX_DESTS ? cfg->ndests : XRELAY_MAX_DESTS;
	int bad = !o || !dests;

	for (i = 0; !bad && i < n; i++)
		bad |= json_array_append_new(dests, dest_to_json(&cfg->dests[i]));
	if (bad) {
		json_decref(o);
		json_decref(dests);
		return NULL;
	}
	api_format_addr(cfg->key.addr, addr, sizeof(addr));
	api_format_time(cfg->created_ns, created, sizeof(created));
	bad |= json_object_set_new(o, "id", json_integer(id));
	bad |= json_object_set_new(o, "name",
				   json_stringn(cfg->name, strnlen(cfg->name, sizeof(cfg->name))));
	bad |= json_object_set_new(o, "port", json_integer(ntohs(cfg->key.port)));
	bad |= json_object_set_new(o, "addr",
				   addr_is_any(cfg->key.addr) ? json_null() : json_string(addr));
	bad |= json_object_set_new(o, "record", json_boolean(cfg->flags & XRELAY_CH_F_RECORD));
	bad |= json_object_set_new(o, "destinations", dests);
	bad |= json_object_set_new(o, "retention", api_retention_to_json(cfg));
	bad |= json_object_set_new(o, "created_at", json_string(created));
	/* Generations count edits; 2^63 of them cannot happen, so the cast cannot go negative. */
	bad |= json_object_set_new(o, "generation", json_integer((json_int_t)cfg->generation));
	bad |= api_fileformat_to_json(cfg, o);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}
