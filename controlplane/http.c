// SPDX-License-Identifier: MIT
/* libmicrohttpd glue of the control API; see http.h. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <microhttpd.h>

#include "auth.h"
#include "http.h"
#include "router.h"
#include "xrelay/api.h"
#include "xrelay/log.h"

#define HEADER_MEMORY (32 * 1024) /* per connection: request line and headers */

struct http {
	struct MHD_Daemon *mhd;
	int fd;
	char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct store *store;
	const char *token;
};

/* Per-request state, from the first call of the access handler to completion. */
struct conn {
	char *body;
	size_t len;
	bool too_large;
	bool answered; /* a response was queued before the body was read */
};

static int listen_unix(const char *path, struct http *h, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "unix socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A socket file left by a server that is gone is replaced; a live one is not. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int live = probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0;

		if (probe >= 0)
			close(probe);
		if (live) {
			snprintf(err, errlen, "another server listens on %s", path);
			close(fd);
			return -EADDRINUSE;
		}
		unlink(path);
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 128)) {
		int r = -errno;

		snprintf(err, errlen, "listening on unix:%s: %s", path, strerror(-r));
		close(fd);
		return r;
	}
	snprintf(h->unix_path, sizeof(h->unix_path), "%s", path);
	return fd;
}

static int listen_tcp(const char *spec, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res = NULL, *ai;
	char host[256], *port;
	int fd = -1, one = 1, r;

	if (strlen(spec) >= sizeof(host)) {
		snprintf(err, errlen, "--listen %s: too long", spec);
		return -EINVAL;
	}
	strcpy(host, spec);
	port = strrchr(host, ':');
	if (!port || !port[1]) {
		snprintf(err, errlen, "--listen %s: expected HOST:PORT, [IPV6]:PORT or unix:PATH",
			 spec);
		return -EINVAL;
	}
	*port++ = '\0';
	if (host[0] == '[') {
		size_t n = strlen(host);

		if (n < 2 || host[n - 1] != ']') {
			snprintf(err, errlen, "--listen %s: unbalanced [ ]", spec);
			return -EINVAL;
		}
		host[n - 1] = '\0';
		memmove(host, host + 1, n - 1);
	}
	r = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (r) {
		snprintf(err, errlen, "--listen %s: %s", spec, gai_strerror(r));
		return -EINVAL;
	}
	r = -EADDRNOTAVAIL;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    ai->ai_protocol);
		if (fd < 0) {
			r = -errno;
			continue;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0)
			break;
		r = -errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(err, errlen, "listening on %s: %s", spec, strerror(-r));
	return fd < 0 ? r : fd;
}

static enum MHD_Result queue(struct MHD_Connection *mc, struct response *resp)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(resp->body_len, resp->body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		response_reset(resp);
		return MHD_NO;
	}
	resp->body = NULL; /* MHD owns it now */
	if (resp->content_type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
	if (resp->location[0])
		MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, resp->location);
	if (resp->allow[0])
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, resp->allow);
	if (resp->status == 401)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"xrelay\"");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(mc, (unsigned int)resp->status, r);
	MHD_destroy_response(r);
	response_reset(resp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct http *h = cls;
	struct conn *c = *con_cls;
	struct response resp = {};
	struct request req = {};

	(void)version;
	if (!c) {
		const char *cl;

		c = calloc(1, sizeof(*c));
		if (!c)
			return MHD_NO;
		*con_cls = c;
		/* Refuse before reading a body: no token, or a body announced too large. */
		if (h->token && !auth_check(h->token, MHD_lookup_connection_value(
							      mc, MHD_HEADER_KIND,
							      MHD_HTTP_HEADER_AUTHORIZATION))) {
			response_problem(&resp, 401, NULL,
					 "this server needs Authorization: Bearer <token>");
			c->answered = true;
			return queue(mc, &resp);
		}
		cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
						 MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > API_MAX_BODY) {
			response_problem(&resp, 413, NULL, "request body over %d bytes",
					 API_MAX_BODY);
			c->answered = true;
			return queue(mc, &resp);
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (c->answered || c->too_large)
			return MHD_YES;
		if (c->len + n > API_MAX_BODY) {
			c->too_large = true;
			free(c->body);
			c->body = NULL;
			c->len = 0;
			return MHD_YES;
		}
		if (!c->body) {
			c->body = malloc(API_MAX_BODY + 1);
			if (!c->body)
				return MHD_NO;
		}
		memcpy(c->body + c->len, upload_data, n);
		c->len += n;
		return MHD_YES;
	}
	if (c->answered)
		return MHD_YES;

	req.method = method;
	req.path = url;
	req.content_type =
		MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	req.body = c->body;
	req.body_len = c->len;
	req.body_too_large = c->too_large;
	router_handle(h->store, &req, &resp);
	pr_debug("%s %s -> %d", method, url, resp.status);
	c->answered = true;
	return queue(mc, &resp);
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct conn *c = *con_cls;

	(void)cls;
	(void)mc;
	(void)toe;
	if (c) {
		free(c->body);
		free(c);
		*con_cls = NULL;
	}
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	pr_debug("libmicrohttpd: %s", line);
}

int http_start(const struct http_opts *opts, struct http **ret, char *err, size_t errlen)
{
	struct http *h = calloc(1, sizeof(*h));
	int fd;

	if (!h)
		return -ENOMEM;
	h->store = opts->store;
	h->token = opts->token;
	if (!strncmp(opts->listen, "unix:", 5))
		fd = listen_unix(opts->listen + 5, h, err, errlen);
	else
		fd = listen_tcp(opts->listen, err, errlen);
	if (fd < 0) {
		free(h);
		return fd;
	}
	h->fd = fd;
	h->mhd = MHD_start_daemon(
		MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, h,
		MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE, opts->threads,
		MHD_OPTION_CONNECTION_LIMIT, opts->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
		opts->idle_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HEADER_MEMORY,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_EXTERNAL_LOGGER,
		on_mhd_log, NULL, MHD_OPTION_END);
	if (!h->mhd) {
		snprintf(err, errlen, "libmicrohttpd did not start on %s", opts->listen);
		http_stop(h);
		return -EIO;
	}
	*ret = h;
	return 0;
}

void http_stop(struct http *h)
{
	if (!h)
		return;
	if (h->mhd)
		MHD_stop_daemon(h->mhd);
	if (h->fd >= 0)
		close(h->fd);
	if (h->unix_path[0])
		unlink(h->unix_path);
	free(h);
}
