/* SPDX-License-Identifier: MIT */
/*
 * The request handler without HTTP: (method, path, content type, body) -> (status, headers,
 * body). A static route table, the handlers of every endpoint, and the one function that maps
 * errors to HTTP statuses. The HTTP server (http.c) and the fuzz harness both call
 * router_handle; nothing here knows about sockets.
 */
#ifndef XRELAY_CP_ROUTER_H
#define XRELAY_CP_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "store.h"

struct request {
	const char *method;
	const char *path;	  /* without the query string */
	const char *content_type; /* NULL when absent */
	const char *body;	  /* may be NULL when body_len is 0 */
	size_t body_len;
	bool body_too_large; /* the body went past API_MAX_BODY and was not kept */
};

struct response {
	int status;
	const char *content_type; /* static string; NULL with no body */
	char *body;		  /* malloc'ed, owned; may be NULL */
	size_t body_len;
	char location[96]; /* "" = no Location header */
	char allow[64];	   /* "" = no Allow header */
};

/*
 * Handle one request against the maps of @store. Always fills @resp (a problem document on
 * any error) and returns its status. Thread-safe. Release with response_reset.
 */
int router_handle(struct store *store, const struct request *req, struct response *resp);

/* Free the body and zero @resp. */
void response_reset(struct response *resp);

/*
 * Fill @resp with a problem document (RFC 9457) of @status; @field may be NULL.
 * The detail is printf-formatted.
 */
void response_problem(struct response *resp, int status, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
