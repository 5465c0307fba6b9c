// SPDX-License-Identifier: MIT
/*
 * Problem documents (RFC 9457) and the small text forms the API prints: HTTP reason phrases,
 * RFC 3339 times with nanoseconds, and addresses (dotted IPv4, RFC 5952 IPv6). It does not
 * decide which status an error gets: the controlplane does, in one place.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "xrelay/addr.h"
#include "xrelay/api.h"

#define PROBLEM_BASE "https://xrelay.dev/problems/"

/* Reason phrases (RFC 9110); a problem's type is its phrase lower-cased and hyphenated. */
static const struct {
	int status;
	const char *title;
} statuses[] = {
	{ 200, "OK" },
	{ 201, "Created" },
	{ 204, "No Content" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" },
	{ 408, "Request Timeout" },
	{ 409, "Conflict" },
	{ 411, "Length Required" },
	{ 412, "Precondition Failed" },
	{ 413, "Content Too Large" },
	{ 414, "URI Too Long" },
	{ 415, "Unsupported Media Type" },
	{ 422, "Unprocessable Content" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
	{ 507, "Insufficient Storage" },
};

const char *api_status_title(int status)
{
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].status == status)
			return statuses[i].title;
	if (status >= 400 && status < 500)
		return "Client Error";
	if (status >= 500 && status < 600)
		return "Server Error";
	return "Unknown Status";
}

json_t *api_problem(int status, const char *title, const char *detail, const char *field)
{
	const char *phrase = api_status_title(status);
	char type[96] = PROBLEM_BASE;
	size_t n = strlen(type);
	json_t *o = json_object();
	char c;
	int bad = !o;

	if (bad)
		return NULL;
	/* By hand rather than tolower(), which would depend on the process's locale. */
	for (; *phrase && n + 1 < sizeof(type); phrase++) {
		c = *phrase;
		if (c == ' ')
			c = '-';
		else if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		type[n++] = c;
	}
	type[n] = '\0';
	bad |= json_object_set_new(o, "type", json_string(type));
	bad |= json_object_set_new(o, "title",
				   json_string(title ? title : api_status_title(status)));
	bad |= json_object_set_new(o, "status", json_integer(status));
	if (detail)
		bad |= json_object_set_new(o, "detail", json_string(detail));
	if (field && *field)
		bad |= json_object_set_new(o, "field", json_string(field));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

void api_format_time(__u64 ns, char *buf, size_t len)
{
	time_t secs = (time_t)(ns / 1000000000u);
	unsigned int frac = (unsigned int)(ns % 1000000000u);
	struct tm tm;

	if (!len)
		return;
	if (!gmtime_r(&secs, &tm)) {
		buf[0] = '\0';
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09uZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

/*
 * RFC 5952 by hand rather than inet_ntop: glibc prints ::a.b.c.d for IPv4-compatible
 * addresses (::/96), which RFC 5952 reserves for addresses known to embed IPv4.
 */
void api_format_addr(const __u8 addr[16], char *buf, size_t len)
{
	int best = -1, best_len = 1, run, i;
	unsigned int w[8];
	char out[48];
	size_t n = 0;

	if (!len)
		return;
	if (addr_is_v4(addr)) {
		snprintf(buf, len, "%u.%u.%u.%u", addr[12], addr[13], addr[14], addr[15]);
		return;
	}
	for (i = 0; i < 8; i++)
		w[i] = (unsigned int)addr[2 * i] << 8 | addr[2 * i + 1];
	/* The longest run of two or more zero groups, the first of equals, becomes "::". */
	for (i = 0; i < 8; i += run ? run : 1) {
		for (run = 0; i + run < 8 && !w[i + run]; run++)
			;
		if (run > best_len) {
			best = i;
			best_len = run;
		}
	}
	for (i = 0; i < 8; i++) {
		if (i == best) {
			n += (size_t)snprintf(out + n, sizeof(out) - n, "::");
			i += best_len - 1;
			continue;
		}
		if (i > 0 && i != best + best_len)
			out[n++] = ':';
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%x", w[i]);
	}
	out[n] = '\0';
	snprintf(buf, len, "%s", out);
}
