/* SPDX-License-Identifier: MIT */
/*
 * Request bodies before any resource looks at them, for api/'s resource files: loading, the
 * unknown-member check, and the wording of a 400 or 422. Pure functions of their arguments.
 */
#ifndef XRELAY_API_BODY_H
#define XRELAY_API_BODY_H

#include <stddef.h>

#include "xrelay/api.h"

/*
 * Fill *@err with @status, the field path @field ("" for none) and a detail from @fmt. Returns
 * -1, so that a parser can `return body_fail(...)`.
 */
int body_fail(struct api_error *err, int status, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * The body as a JSON object (a new reference), or NULL with *@err filled: 400 for an empty
 * body, nesting deeper than API_MAX_DEPTH, malformed JSON, a member given twice (its path in
 * the field) or anything but an object; 500 when out of memory.
 */
json_t *body_load(const char *body, size_t len, struct api_error *err);

/*
 * 400 naming the first member of @obj not in the NULL-ended @allowed; @prefix is @obj's own
 * path ("" at the top, "destinations/2") and @accepts lists the allowed members for a person.
 * Returns 0 or -1 with *@err filled.
 */
int body_check_fields(const json_t *obj, const char *const *allowed, const char *prefix,
		      const char *accepts, struct api_error *err);

/*
 * A user's @len bytes at @s made fit to quote in a detail, into @buf of @size: printable ASCII
 * only (anything else '?'), cut short with "..." (never half a UTF-8 sequence). Returns @buf.
 */
const char *body_echo(char *buf, size_t size, const char *s, size_t len);

/* What a JSON value is, for "..., got <this>": 42, a string ("x"), an object, ... */
const char *body_describe(const json_t *v, char *buf, size_t size);

/* One character of a name, for a detail: '/' or byte 0xc3. */
const char *body_describe_char(char c, char *buf, size_t size);

#endif /* XRELAY_API_BODY_H */
