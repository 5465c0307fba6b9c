// SPDX-License-Identifier: MIT
/* The container header, built and parsed; see ocf_header.h. No logging. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "ocf_header.h"
#include "ocf_name.h"
#include "ocf_varint.h"
#include "xrelay/avro.h"

#define HEADER_MAX_ENTRIES 4096

int ocf_header_sync_random(uint8_t sync[OCF_SYNC_SIZE])
{
	size_t got = 0;

	while (got < OCF_SYNC_SIZE) {
		ssize_t n = getrandom(sync + got, OCF_SYNC_SIZE - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	return 0;
}

/* A bounded writer; with buf NULL it only counts. */
struct wbuf {
	uint8_t *buf;
	size_t len;
	size_t pos;
};

static void w_bytes(struct wbuf *w, const void *p, size_t n)
{
	if (w->buf && w->pos <= w->len && n <= w->len - w->pos && n)
		memcpy(w->buf + w->pos, p, n);
	w->pos += n;
}

static void w_long(struct wbuf *w, int64_t v)
{
	uint8_t tmp[OCF_LONG_MAX_BYTES];

	w_bytes(w, tmp, ocf_varint_encode_long(tmp, v));
}

static void w_blob(struct wbuf *w, const void *p, size_t n)
{
	w_long(w, (int64_t)n);
	w_bytes(w, p, n);
}

static bool reserved_key(const char *key)
{
	return !strncmp(key, "avro.", 5) || !strcmp(key, XRELAY_META_CHANNEL) ||
	       !strcmp(key, XRELAY_META_QUEUE) || !strcmp(key, XRELAY_META_HOST) ||
	       !strcmp(key, XRELAY_META_WRITER);
}

static int header_build(const struct ocf_header_opts *o, struct wbuf *w)
{
	char host[256], queue[16];
	const char *schema = o->schema ? o->schema : XRELAY_PACKET_SCHEMA;
	const char *writer = o->writer ? o->writer : XRELAY_WRITER_VERSION;
	const char *codec = ocf_codec_name(o->codec);
	const char *hostname = o->host;
	size_t i, j;

	if (!codec || !name_valid(o->channel) || (o->nextra && !o->extra))
		return -EINVAL;
	if (o->nextra > HEADER_MAX_ENTRIES - 6)
		return -EINVAL;
	for (i = 0; i < o->nextra; i++) {
		const struct ocf_meta *m = &o->extra[i];

		if (!m->key || !m->key[0] || reserved_key(m->key) || (m->len && !m->val))
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (!strcmp(m->key, o->extra[j].key))
				return -EINVAL;
	}
	if (!hostname) {
		if (gethostname(host, sizeof(host)) < 0)
			return -errno;
		host[sizeof(host) - 1] = '\0';
		hostname = host;
	}
	snprintf(queue, sizeof(queue), "%u", o->queue);

	w_bytes(w, OCF_MAGIC, OCF_MAGIC_LEN);
	w_long(w, (int64_t)(6 + o->nextra));
	w_blob(w, "avro.schema", strlen("avro.schema"));
	w_blob(w, schema, strlen(schema));
	w_blob(w, "avro.codec", strlen("avro.codec"));
	w_blob(w, codec, strlen(codec));
	w_blob(w, XRELAY_META_CHANNEL, strlen(XRELAY_META_CHANNEL));
	w_blob(w, o->channel, strlen(o->channel));
	w_blob(w, XRELAY_META_QUEUE, strlen(XRELAY_META_QUEUE));
	w_blob(w, queue, strlen(queue));
	w_blob(w, XRELAY_META_HOST, strlen(XRELAY_META_HOST));
	w_blob(w, hostname, strlen(hostname));
	w_blob(w, XRELAY_META_WRITER, strlen(XRELAY_META_WRITER));
	w_blob(w, writer, strlen(writer));
	for (i = 0; i < o->nextra; i++) {
		w_blob(w, o->extra[i].key, strlen(o->extra[i].key));
		w_blob(w, o->extra[i].val, o->extra[i].len);
	}
	w_long(w, 0);
	w_bytes(w, o->sync, OCF_SYNC_SIZE);
	if (w->pos > OCF_HEADER_MAX)
		return -EMSGSIZE;
	return (int)w->pos;
}

int ocf_header_size(const struct ocf_header_opts *o)
{
	struct wbuf w = { 0 };

	return header_build(o, &w);
}

int ocf_header(const struct ocf_header_opts *o, uint8_t *buf, size_t len)
{
	struct wbuf w = { .buf = buf, .len = len };
	int r = header_build(o, &w);

	if (r >= 0 && (size_t)r > len)
		return -ENOSPC;
	return r;
}

/* A bounded reader over a buffer; running off its end is "incomplete". */
struct rbuf {
	const uint8_t *p;
	size_t len;
	size_t pos;
};

static int r_long(struct rbuf *rb, int64_t *v)
{
	int n = ocf_varint_get_long(rb->p + rb->pos, rb->len - rb->pos, v);

	if (n > 0)
		rb->pos += (size_t)n;
	return n < 0 ? n : 0;
}

static int r_skip(struct rbuf *rb, int64_t n, const uint8_t **ret)
{
	if (n < 0)
		return -EBADMSG;
	if ((uint64_t)n > rb->len - rb->pos)
		return -ENODATA;
	*ret = rb->p + rb->pos;
	rb->pos += (size_t)n;
	return 0;
}

/*
 * Walk the header at @p: as ocf_header_parse, and if @want is not NULL the value of the
 * metadata key @want into *@ret_val and *@ret_vlen (-ENOENT if it is missing).
 */
static int header_scan(const uint8_t *p, size_t len, const char *want, const uint8_t **ret_val,
		       size_t *ret_vlen, size_t *ret_len, uint8_t *ret_sync)
{
	struct rbuf rb = { .p = p, .len = len };
	const uint8_t *key, *val, *sync, *found = NULL;
	int64_t count, klen, vlen, bsize, i, entries = 0, found_len = 0;
	size_t wlen = want ? strlen(want) : 0;
	bool schema = false;
	int r;

	if (len < OCF_MAGIC_LEN)
		return memcmp(p, OCF_MAGIC, len) ? -EBADMSG : -ENODATA;
	if (memcmp(p, OCF_MAGIC, OCF_MAGIC_LEN))
		return -EBADMSG;
	rb.pos = OCF_MAGIC_LEN;
	for (;;) {
		r = r_long(&rb, &count);
		if (r)
			return r;
		if (!count)
			break;
		if (count < 0) {
			if (count == INT64_MIN)
				return -EBADMSG;
			count = -count;
			r = r_long(&rb, &bsize);
			if (r)
				return r;
		}
		entries += count;
		if (count > HEADER_MAX_ENTRIES || entries > HEADER_MAX_ENTRIES)
			return -EBADMSG;
		for (i = 0; i < count; i++) {
			r = r_long(&rb, &klen);
			if (!r)
				r = r_skip(&rb, klen, &key);
			if (!r)
				r = r_long(&rb, &vlen);
			if (!r)
				r = r_skip(&rb, vlen, &val);
			if (r)
				return r;
			if (klen == 11 && !memcmp(key, "avro.schema", 11))
				schema = vlen > 0;
			if (want && (size_t)klen == wlen && !memcmp(key, want, wlen)) {
				found = val;
				found_len = vlen;
			}
		}
	}
	r = r_skip(&rb, OCF_SYNC_SIZE, &sync);
	if (r)
		return r;
	if (!schema)
		return -EBADMSG;
	if (ret_sync)
		memcpy(ret_sync, sync, OCF_SYNC_SIZE);
	if (ret_len)
		*ret_len = rb.pos;
	if (want) {
		if (!found)
			return -ENOENT;
		*ret_val = found;
		*ret_vlen = (size_t)found_len;
	}
	return 0;
}

int ocf_header_parse(const uint8_t *p, size_t len, size_t *ret_len, uint8_t *ret_sync)
{
	return header_scan(p, len, NULL, NULL, NULL, ret_len, ret_sync);
}

int ocf_header_meta(const uint8_t *p, size_t len, const char *key, const uint8_t **ret_val,
		    size_t *ret_len)
{
	if (!key)
		return -EINVAL;
	return header_scan(p, len, key, ret_val, ret_len, NULL, NULL);
}
