/* SPDX-License-Identifier: MIT */
/*
 * Datum channels' schemas and their validator: an Avro schema (JSON) compiled once into a small
 * program of skip operations, which checks that a datagram is exactly one well-formed datum of
 * it. The API compiles to refuse a bad schema with the path of its fault; the dataplane compiles
 * once per channel and checks every datagram; the tools compile a file's schema and decode its
 * records to JSON (datum_json). Storing schemas is lib/mapctl's; recording them is the
 * dataplane's. No I/O, no logging.
 */
#ifndef XRELAY_DATUM_H
#define XRELAY_DATUM_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define DATUM_NODES_MAX 4096 /* types (and union branches, record fields) in a schema */
#define DATUM_DEPTH_MAX 32   /* nesting of a schema, and of a value (recursive types) */
#define DATUM_FIXED_MAX 65536
/* Items of arrays and maps that may take no bytes (null, empty records) in one datum. */
#define DATUM_EMPTY_ITEMS_MAX 65536

struct datum_prog;

/* Why a schema was refused: where (e.g. "fields[3].type", "" for the top) and what. */
struct datum_error {
	char path[96];
	char detail[200];
};

/*
 * Compile @schema (any Avro schema: primitives, records, enums, arrays, maps, unions, fixed,
 * named-type references, logical types, which are checked as their underlying type) into a
 * validator. Refused: an unknown type or type name, a name defined twice, bad or duplicate
 * field or symbol names, a union inside a union or with two branches of one type, nesting past
 * DATUM_DEPTH_MAX, more than DATUM_NODES_MAX types. Returns 0 and *@ret (free with
 * datum_free), -EINVAL with *@err filled, or -ENOMEM. Any thread; allocates.
 */
int datum_compile(const json_t *schema, struct datum_prog **ret, struct datum_error *err);

/* datum_compile of @len bytes of JSON text; malformed JSON is -EINVAL too. */
int datum_compile_text(const char *json, size_t len, struct datum_prog **ret,
		       struct datum_error *err);

/*
 * Whether @buf (@len bytes) is exactly one datum of @p's schema: every length, count and
 * varint checked against the bytes left, nesting bounded by DATUM_DEPTH_MAX, no allocation.
 * Returns 0, or -EBADMSG with the reason's XRELAY_REJECT_* in *@ret_why. Never reads outside
 * @buf. Any thread; @p is only read.
 */
int datum_check(const struct datum_prog *p, const uint8_t *buf, size_t len, unsigned int *ret_why);

/*
 * The one datum at the start of @buf (@len bytes, more may follow): checked as datum_check does
 * (all but the trailing bytes), its length in *@ret_len. Returns 0, or -EBADMSG with the
 * reason's XRELAY_REJECT_* in *@ret_why. For walking records packed one after the other.
 */
int datum_check_one(const struct datum_prog *p, const uint8_t *buf, size_t len, size_t *ret_len,
		    unsigned int *ret_why);

/* The schema's name: a named type's full name ("md.Quote"), else its type ("long", "array"). */
const char *datum_name(const struct datum_prog *p);

/* A growing text, datum_json's output: zero it to start, free(buf) when done. */
struct datum_text {
	char *buf; /* NUL-terminated */
	size_t len, cap;
};

/* datum_json flags. */
#define DATUM_JSON_HEX 1u /* bytes and fixed values in lowercase hex, else base64 */

/*
 * Append the datum @buf (@len bytes, exactly one datum, checked first as datum_check does) to
 * @out as its schema's JSON encoding (the Avro spec's): records as objects in field order,
 * enums as their symbol, arrays, maps as objects, a union's value as null or {"branch": value}
 * (branch: the full name of a named type, else its type name), strings as JSON strings,
 * float and double as numbers ("NaN", "Infinity", "-Infinity" as strings: JSON has none),
 * and, unlike the spec's ISO-8859-1 strings, bytes and fixed as base64 (or hex with
 * DATUM_JSON_HEX). Logical types are written as their underlying type. Returns 0, -EBADMSG
 * (not one datum: the reason in *@ret_why) or -ENOMEM. Any thread; @p is only read.
 */
int datum_json(const struct datum_prog *p, const uint8_t *buf, size_t len, unsigned int flags,
	       struct datum_text *out, unsigned int *ret_why);

/* Free a program. Accepts NULL. */
void datum_free(struct datum_prog *p);

#endif /* XRELAY_DATUM_H */
