// SPDX-License-Identifier: MIT
/*
 * The status page at / (GET and HEAD, no token needed): controlplane/status.html, compiled in
 * by the Makefile (scripts/embed-page.sh), served with a Content-Security-Policy that lets only
 * its own inline script and style run and lets it fetch from this server only. The page holds
 * no data of the server: its script reads /stats and /channels, with the token where one is set.
 */
#include <stdlib.h>
#include <string.h>

#include "controlplane/status_page.h"
#include "handler.h"

static const char *const page_headers[] = {
	"Content-Security-Policy",
	STATUS_PAGE_CSP,
	"X-Content-Type-Options",
	"nosniff",
	"X-Frame-Options",
	"DENY",
	"Referrer-Policy",
	"no-referrer",
	NULL,
};

void page_get(struct handler_ctx *c)
{
	char *body = malloc(status_html_len);

	if (!body) {
		response_problem(c->resp, 500, NULL, "out of memory building the response");
		return;
	}
	memcpy(body, status_html, status_html_len);
	response_body(c->resp, 200, "text/html; charset=utf-8", body, status_html_len);
	c->resp->headers = page_headers;
}
