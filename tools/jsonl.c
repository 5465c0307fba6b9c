// SPDX-License-Identifier: MIT
/* Records as JSON lines; see jsonl.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "jsonl.h"
#include "xrelay/bytetext.h"

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
		p += bytetext_hex(p, rec->payload, e->payload_len);
	else
		p += bytetext_base64(p, rec->payload, e->payload_len);
	p += put_str(p, "\"}\n");
	return (size_t)(p - buf);
}

int jsonl_datum(const struct recset_rec *rec, bool hex, struct datum_text *out)
{
	unsigned int why;
	char *nb;
	int e;

	out->len = 0;
	e = datum_json(rec->datum, rec->data, rec->len, hex ? DATUM_JSON_HEX : 0, out, &why);
	if (e)
		return e;
	if (out->cap < out->len + 2) {
		nb = realloc(out->buf, out->len + 2);
		if (!nb)
			return -ENOMEM;
		out->buf = nb;
		out->cap = out->len + 2;
	}
	out->buf[out->len++] = '\n';
	out->buf[out->len] = '\0';
	return 0;
}
