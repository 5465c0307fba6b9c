// SPDX-License-Identifier: MIT
/* Entity tags and If-Match; see etag.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "etag.h"

void etag_format(__u64 generation, char *buf, size_t len)
{
	(void)snprintf(buf, len, "\"%llu\"", (unsigned long long)generation);
}

static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* etagc: %x21 / %x23-7E / obs-text. */
static bool etagc(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c != 0x7f);
}

int etag_match(const char *if_match, __u64 generation)
{
	const char *p = skip_ows(if_match), *tag;
	char mine[ETAG_LEN];
	int match = 0;
	bool weak;

	if (*p == '*')
		return *skip_ows(p + 1) ? -EINVAL : 1;
	etag_format(generation, mine, sizeof(mine));
	while (*p) {
		/* A list may hold empty elements (RFC 9110 5.6.1.2). */
		if (*p == ',') {
			p = skip_ows(p + 1);
			continue;
		}
		weak = !strncmp(p, "W/", 2);
		if (weak)
			p += 2;
		if (*p != '"')
			return -EINVAL;
		tag = p++;
		while (etagc((unsigned char)*p))
			p++;
		if (*p++ != '"')
			return -EINVAL;
		if (!weak && (size_t)(p - tag) == strlen(mine) && !memcmp(tag, mine, strlen(mine)))
			match = 1;
		p = skip_ows(p);
		if (*p && *p != ',')
			return -EINVAL;
	}
	return match;
}
