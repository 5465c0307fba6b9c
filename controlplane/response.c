// SPDX-License-Identifier: MIT
/* Response bodies of the control API and the one errno -> HTTP mapping; see response.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "response.h"
#include "xrelay/api.h"

void response_reset(struct response *resp)
{
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}

void response_json(struct response *resp, int status, json_t *j)
{
	char *s;

	if (!j) {
		response_problem(resp, 500, NULL, "out of memory building the response");
		return;
	}
	s = json_dumps(j, JSON_INDENT(2));
	json_decref(j);
	if (!s) {
		response_problem(resp, 500, NULL, "out of memory building the response");
		return;
	}
	free(resp->body);
	resp->status = status;
	resp->content_type = "application/json";
	resp->body_len = strlen(s) + 1;
	resp->body = s;
	/* json_dumps' NUL becomes the newline curl users expect at the end. */
	resp->body[resp->body_len - 1] = '\n';
}

void response_body(struct response *resp, int status, const char *content_type, char *body,
		   size_t len)
{
	response_reset(resp);
	resp->status = status;
	resp->content_type = content_type;
	resp->body = body;
	resp->body_len = len;
}

void response_problem(struct response *resp, int status, const char *field, const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	char *s;
	json_t *j;

	va_start(ap, fmt);
	(void)vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
	resp->status = status;
	resp->content_type = NULL;
	j = api_problem(status, api_status_title(status), detail, field ? field : "");
	s = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
	json_decref(j);
	if (!s)
		return; /* status alone: nothing better is possible without memory */
	resp->content_type = "application/problem+json";
	resp->body_len = strlen(s) + 1;
	resp->body = s;
	resp->body[resp->body_len - 1] = '\n';
}

void response_errno(struct response *resp, int err, const char *what)
{
	switch (err) {
	case -ENOENT:
		response_problem(resp, 404, NULL, "no %s", what);
		break;
	case -EEXIST:
		response_problem(resp, 409, "name", "%s exists already", what);
		break;
	case -EADDRINUSE:
		response_problem(resp, 409, "port", "%s", what);
		break;
	case -ESTALE:
		response_problem(
			resp, 412, NULL,
			"%s is not at a version If-Match names: it changed since that ETag "
			"was given; GET it and decide again",
			what);
		break;
	case -ENOSPC:
		response_problem(resp, 507, NULL,
				 "no free channel id: %u channels exist, which is the limit",
				 XRELAY_MAX_CHANNELS);
		break;
	/*
	 * -EINVAL from the maps means the API accepted what the contract library refuses: a
	 * bug, so 500 (the fuzzer fails on it), never a 422 without a field.
	 */
	case -ENODEV:
		response_problem(resp, 503, NULL, "the pinned maps are unusable: %s", what);
		break;
	default:
		response_problem(resp, 500, NULL, "%s: %s", what, strerror(-err));
		break;
	}
}
