/* SPDX-License-Identifier: MIT */
/*
 * The request handler without HTTP: (method, path, content type, body) -> (status, headers,
 * body). Owns the static route table {method, path pattern, handler} and its matching (the
 * /v1 prefix, HEAD, 404 and 405 with Allow); the handlers are in the files named for their
 * resources (handler.h). The HTTP server (http.c) and the fuzz harness both call router_handle.
 */
#ifndef XRELAY_CP_ROUTER_H
#define XRELAY_CP_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "response.h"
#include "store.h"

struct request {
	const char *method;
	const char *path;	  /* without the query string */
	const char *content_type; /* NULL when absent */
	const char *if_match;	  /* If-Match (field lines joined by ", "); NULL when absent */
	const char *body;	  /* may be NULL when body_len is 0 */
	size_t body_len;
	bool body_too_large; /* the body went past API_MAX_BODY and was not kept */
};

/*
 * Handle one request against the maps of @store. Always fills @resp (a problem document on
 * any error) and returns its status. Thread-safe. Release with response_reset.
 */
int router_handle(struct store *store, const struct request *req, struct response *resp);

/*
 * Whether @method on @path is answered without the token: only the status page (GET or HEAD
 * of /), which holds no data. Thread-safe.
 */
bool router_open(const char *method, const char *path);

#endif
