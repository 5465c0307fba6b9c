// SPDX-License-Identifier: MIT
/* libmicrohttpd glue of the control API; see http.h. */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <microhttpd.h>

#include "auth.h"
#include "guard.h"
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
	struct guard *guard;
};

/* Per-request state, from the first call of the access handler to completion. */
struct conn {
	char *body;
	size_t len;
	bool too_large;
	bool answered;	/* a response was queued before the body was read */
	char *if_match; /* the If-Match field lines joined, NULL when none */
	bool nomem;	/* joining them ran out of memory: the request is dropped */
};

/* Join the If-Match field lines into one list (RFC 9110 5.3): a condition is never dropped. */
static enum MHD_Result join_if_match(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *value)
{
	struct conn *c = cls;
	char *joined;

	(void)kind;
	if (strcasecmp(key, MHD_HTTP_HEADER_IF_MATCH))
		return MHD_YES;
	if (!c->if_match)
		joined = strdup(value ? value : "");
	else if (asprintf(&joined, "%s, %s", c->if_match, value ? value : "") < 0)
		joined = NULL;
	if (!joined) {
		c->nomem = true;
		return MHD_NO;
	}
	free(c->if_match);
	c->if_match = joined;
	return MHD_YES;
}

static int listen_unix(const char *path, struct http *h, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old_mask;
	int fd, bound;

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
	/* Owner and group only, from its creation on: the umask would decide otherwise. */
	old_mask = umask(0117);
	bound = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	(void)umask(old_mask);
	if (bound || chmod(path, 0660) || listen(fd, 128)) {
		int r = -errno;

		snprintf(err, errlen, "listening on unix:%s: %s", path, strerror(-r));
		close(fd);
		return r;
	}
	snprintf(h->unix_path, sizeof(h->unix_path), "%s", path);
	return fd;
}

/* Whether @sa is a loopback address: 127.0.0.0/8, ::1, or ::ffff:127.0.0.0/104. */
static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

static int listen_tcp(const char *spec, bool open_ok, char *err, size_t errlen)
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
		if (!open_ok && !is_loopback(ai->ai_addr)) {
			snprintf(
				err, errlen,
				"--listen %s is reachable from other hosts and there is no "
				"--token-file: anyone who reaches it could change the channels. Add "
				"--token-file FILE, or --insecure where a firewall keeps others out",
				spec);
			close(fd);
			freeaddrinfo(res);
			return -EPERM;
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
	const char *const *h;
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
	if (resp->etag[0])
		MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, resp->etag);
	for (h = resp->headers; h && h[0]; h += 2)
		MHD_add_response_header(r, h[0], h[1]);
	if (resp->status == 401)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"xrelay\"");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(mc, (unsigned int)resp->status, r);
	MHD_destroy_response(r);
	response_reset(resp);
	return ret;
}

/* The connection's guard slot (its socket context), NULL if untracked. */
static struct guard_conn *guard_of(struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* A request is answered: its response is queued, the guard's clock for it stops. */
static enum MHD_Result answer(struct http *h, struct MHD_Connection *mc, struct conn *c,
			      struct response *resp)
{
	c->answered = true;
	guard_answered(h->guard, guard_of(mc));
	return queue(mc, resp);
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
		if (h->token && !router_open(method, url) &&
		    !auth_check(h->token,
				MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
							    MHD_HTTP_HEADER_AUTHORIZATION))) {
			response_problem(&resp, 401, NULL,
					 "this server needs Authorization: Bearer <token>");
			return answer(h, mc, c, &resp);
		}
		cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
						 MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > API_MAX_BODY) {
			response_problem(&resp, 413, NULL, "request body over %d bytes",
					 API_MAX_BODY);
			return answer(h, mc, c, &resp);
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
	(void)MHD_get_connection_values(mc, MHD_HEADER_KIND, join_if_match, c);
	if (c->nomem)
		return MHD_NO;
	req.if_match = c->if_match;
	req.body = c->body;
	req.body_len = c->len;
	req.body_too_large = c->too_large;
	router_handle(h->store, &req, &resp);
	pr_debug("%s %s -> %d", method, url, resp.status);
	return answer(h, mc, c, &resp);
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	struct conn *c = *con_cls;

	(void)toe;
	guard_next(h->guard, guard_of(mc)); /* a kept-alive connection's next request */
	if (c) {
		free(c->body);
		free(c->if_match);
		free(c);
		*con_cls = NULL;
	}
}

/* Connections start and end: the guard tracks each while its socket is open. */
static void on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http *h = cls;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);

		*socket_context = ci ? guard_track(h->guard, ci->connect_fd) : NULL;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		guard_untrack(h->guard, *socket_context);
		*socket_context = NULL;
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
	int fd, r;

	if (!h)
		return -ENOMEM;
	h->store = opts->store;
	h->token = opts->token;
	h->fd = -1;
	r = guard_new(opts->max_connections, opts->request_timeout_ms, &h->guard);
	if (r) {
		snprintf(err, errlen, "starting the request guard: %s", strerror(-r));
		free(h);
		return r;
	}
	if (!strncmp(opts->listen, "unix:", 5))
		fd = listen_unix(opts->listen + 5, h, err, errlen);
	else
		fd = listen_tcp(opts->listen, opts->token || opts->insecure, err, errlen);
	if (fd < 0) {
		http_stop(h);
		return fd;
	}
	h->fd = fd;
	h->mhd = MHD_start_daemon(
		MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, h,
		MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE, opts->threads,
		MHD_OPTION_CONNECTION_LIMIT, opts->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
		opts->idle_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HEADER_MEMORY,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, opts->max_per_client,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_NOTIFY_CONNECTION,
		on_connection, h, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_END);
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
	guard_free(h->guard);
	free(h);
}
