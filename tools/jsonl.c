// SPDX-License-Identifier: MIT
/* Records as JSON lines; see jsonl.h. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "jsonl.h"

size_t jsonl_max(size_t payload_len)
{
	/* Fields and addresses take under 400 bytes; the channel name is at most 63. */
	return 512 + 2 * payload_len;
}

static size_t put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return n;
}

static size_t put_addr(char *p, const void *a, unsigned int len)
{
	char t[INET6_ADDRSTRLEN];

	if (!inet_ntop(len == 4 ? AF_INET : AF_INET6, a, t, sizeof(t)))
		t[0] = '\0';
	p[0] = '"';
	return 1 + put_str(p + 1, t) + put_str(p + 1 + strlen(t), "\"");
}

static size_t put_hex(char *p, const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		p[2 * i] = digits[b[i] >> 4];
		p[2 * i + 1] = digits[b[i] & 15];
	}
	return 2 * n;
}

static size_t put_base64(char *p, const uint8_t *b, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8 | b[i + 2];

		p[o++] = a[v >> 18];
		p[o++] = a[(v >> 12) & 63];
		p[o++] = a[(v >> 6) & 63];
		p[o++] = a[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)b[i] << 16 | (i + 1 < n ? (uint32_t)b[i + 1] << 8 : 0);

		p[o++] = a[v >> 18];
		p[o++] = a[(v >> 12) & 63];
		p[o++] = i + 1 < n ? a[(v >> 6) & 63] : '=';
		p[o++] = '=';
	}
	return o;
}

size_t jsonl_format(const struct recset_rec *rec, bool hex, char *buf)
{
	const struct ocf_envelope *e = &rec->e;
	char *p = buf;

	/* Channel names are [A-Za-z0-9_-] (xrelay/name.h): no escaping needed. */
	p += sprintf(p,
		     "{\"channel\":\"%s\",\"queue\":%d,\"seq\":%" PRId64 ",\"ts_ns\":%" PRId64
		     ",\"src_addr\":",
		     rec->shard->channel, rec->shard->queue, e->seq, e->ts_ns);
	p += put_addr(p, e->src_addr, e->src_len);
	p += sprintf(p, ",\"src_port\":%u,\"dst_addr\":", e->src_port);
	p += put_addr(p, e->dst_addr, e->dst_len);
	p += sprintf(p, ",\"dst_port\":%u,\"payload\":\"", e->dst_port);
	if (hex)
		p += put_hex(p, rec->payload, e->payload_len);
	else
		p += put_base64(p, rec->payload, e->payload_len);
	p += put_str(p, "\"}\n");
	return (size_t)(p - buf);
}
