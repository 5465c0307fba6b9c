/* SPDX-License-Identifier: MIT */
/*
 * The control API's HTTP server: libmicrohttpd with an epoll thread pool, bounded (body size,
 * header memory, connections in all and per client, idle time, a request's whole time), on
 * TCP or a unix socket. Every request goes to
 * router_handle; this file owns only HTTP: reading bodies, authentication, headers.
 */
#ifndef XRELAY_CP_HTTP_H
#define XRELAY_CP_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "store.h"

struct http_opts {
	const char *listen; /* "HOST:PORT", "[V6]:PORT" or "unix:PATH" */
	struct store *store;
	const char *token; /* NULL = no authentication */
	unsigned int threads;
	unsigned int max_connections;
	unsigned int idle_timeout_s;
	unsigned int request_timeout_ms; /* a request must arrive whole within this */
	unsigned int max_per_client;	 /* connections per client address; 0 = no limit */
	bool insecure;			 /* allow a TCP listen beyond loopback without a token */
};

struct http;

/*
 * Listen and serve in background threads. A TCP address that is not loopback is refused
 * (-EPERM) unless there is a token or @insecure; a unix socket is created mode 0660. Returns 0
 * or -errno with a sentence in @err.
 */
int http_start(const struct http_opts *opts, struct http **ret, char *err, size_t errlen);

/* Stop serving, close the socket (and remove a unix socket file). Accepts NULL. */
void http_stop(struct http *h);

#endif
