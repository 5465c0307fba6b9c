/* SPDX-License-Identifier: MIT */
/*
 * A response of the control API without HTTP: status, headers, body. The one home of the
 * bodies' forms (JSON, problem+json) and of the one mapping from -errno to an HTTP status;
 * what goes into a body is the handlers' (and api/'s) business.
 */
#ifndef XRELAY_CP_RESPONSE_H
#define XRELAY_CP_RESPONSE_H

#include <stddef.h>

#include <jansson.h>

struct response {
	int status;
	const char *content_type; /* static string; NULL with no body */
	char *body;		  /* malloc'ed, owned; may be NULL */
	size_t body_len;
	char location[96];	    /* "" = no Location header */
	char allow[64];		    /* "" = no Allow header */
	char etag[24];		    /* "" = no ETag header (etag.h's form) */
	const char *const *headers; /* static {name, value, ..., NULL}; NULL = none */
};

/* Free the body and zero @resp. */
void response_reset(struct response *resp);

/*
 * Fill @resp with a problem document (RFC 9457) of @status; @field may be NULL.
 * The detail is printf-formatted. Out of memory: the status alone, no body.
 */
void response_problem(struct response *resp, int status, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Fill @resp with @status and @j as indented JSON ending in a newline. Takes @j's reference;
 * @j NULL (a failed build) or out of memory: a 500 problem instead.
 */
void response_json(struct response *resp, int status, json_t *j);

/* Fill @resp with @status and @body (malloc'ed, @len bytes, taken) of static @content_type. */
void response_body(struct response *resp, int status, const char *content_type, char *body,
		   size_t len);

/*
 * The one place an -errno from the store becomes an HTTP status: -ENOENT 404, -EEXIST and
 * -EADDRINUSE 409, -ESTALE 412 (not the version If-Match names), -ENOSPC 507, -ENODEV 503
 * (maps unusable), anything else 500. @what names the object for the detail ("channel named
 * feed-a").
 */
void response_errno(struct response *resp, int err, const char *what);

#endif
