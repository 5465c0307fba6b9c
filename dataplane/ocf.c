// SPDX-License-Identifier: MIT
/*
 * Avro object container files: varints, header, envelope record headers, blocks (records
 * copied into them, codec null or deflate), the file life cycle and crash recovery. Written
 * from the Avro 1.11 specification ("Binary Encoding", "Object Container Files"). No logging;
 * the I/O loop is the caller's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "ocf.h"

#define DEFAULT_MAX_RECORDS 256u
#define DEFAULT_MAX_BYTES (256u * 1024)
#define DEFAULT_MAX_RECORD (XRELAY_PACKET_HDR_MAX + XRELAY_PACKET_PAYLOAD_MAX)
#define DEFAULT_DEFLATE_LEVEL 1
#define NAME_TRIES 10000ul /* <n> values tried before giving up with -EEXIST */
#define HEADER_MAX_ENTRIES 4096
#define PART_SUFFIX ".avro.part"
#define FINAL_SUFFIX ".avro"
#define STAMP_LEN 16 /* YYYYmmddTHHMMSSZ */

/* ---- Varints ---------------------------------------------------------------------------- */

static inline uint64_t zigzag64(int64_t v)
{
	return ((uint64_t)v << 1) ^ (0 - ((uint64_t)v >> 63));
}

static inline uint32_t zigzag32(int32_t v)
{
	return ((uint32_t)v << 1) ^ (0 - ((uint32_t)v >> 31));
}

static inline unsigned int varint_size(uint64_t z)
{
	unsigned int n = 1;

	while (z >= 0x80) {
		z >>= 7;
		n++;
	}
	return n;
}

/* Unchecked: the caller has room for varint_size(z) bytes. */
static inline unsigned int varint_put(uint8_t *p, uint64_t z)
{
	unsigned int n = 0;

	while (z >= 0x80) {
		p[n++] = (uint8_t)(z | 0x80);
		z >>= 7;
	}
	p[n++] = (uint8_t)z;
	return n;
}

static inline unsigned int put_long(uint8_t *p, int64_t v)
{
	return varint_put(p, zigzag64(v));
}

/*
 * Read a varint of at most @maxb bytes whose last byte may carry at most @lastmax (the bits
 * left of the 64 or 32).
 */
static int varint_get(const uint8_t *p, size_t len, unsigned int maxb, uint8_t lastmax,
		      uint64_t *ret)
{
	uint64_t z = 0;
	unsigned int i;

	for (i = 0; i < maxb; i++) {
		if (i == len)
			return -ENODATA;
		z |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			if (i == maxb - 1 && p[i] > lastmax)
				return -EBADMSG;
			*ret = z;
			return (int)i + 1;
		}
	}
	return -EBADMSG;
}

int ocf_put_long(uint8_t *buf, size_t len, int64_t v)
{
	uint64_t z = zigzag64(v);

	if (varint_size(z) > len)
		return -ENOSPC;
	return (int)varint_put(buf, z);
}

int ocf_put_int(uint8_t *buf, size_t len, int32_t v)
{
	uint32_t z = zigzag32(v);

	if (varint_size(z) > len)
		return -ENOSPC;
	return (int)varint_put(buf, z);
}

unsigned int ocf_long_size(int64_t v)
{
	return varint_size(zigzag64(v));
}

int ocf_get_long(const uint8_t *buf, size_t len, int64_t *ret_v)
{
	uint64_t z;
	int n = varint_get(buf, len, OCF_LONG_MAX_BYTES, 0x01, &z);

	if (n < 0)
		return n;
	*ret_v = (int64_t)((z >> 1) ^ (0 - (z & 1)));
	return n;
}

int ocf_get_int(const uint8_t *buf, size_t len, int32_t *ret_v)
{
	uint64_t z;
	int n = varint_get(buf, len, OCF_INT_MAX_BYTES, 0x0f, &z);
	uint32_t u;

	if (n < 0)
		return n;
	u = (uint32_t)z;
	*ret_v = (int32_t)((u >> 1) ^ (0 - (u & 1)));
	return n;
}

/* ---- Names ------------------------------------------------------------------------------ */

const char *ocf_codec_name(enum ocf_codec codec)
{
	switch (codec) {
	case OCF_CODEC_NULL:
		return "null";
	case OCF_CODEC_DEFLATE:
		return "deflate";
	}
	return NULL;
}

static bool channel_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

static bool channel_valid_n(const char *s, size_t n)
{
	size_t i;

	if (n < 1 || n > OCF_CHANNEL_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!channel_char(s[i]))
			return false;
	return true;
}

bool ocf_channel_valid(const char *name)
{
	return name && channel_valid_n(name, strnlen(name, OCF_CHANNEL_MAX + 1));
}

int ocf_sync_random(uint8_t sync[OCF_SYNC_SIZE])
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

/* ---- Header ----------------------------------------------------------------------------- */

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

	w_bytes(w, tmp, put_long(tmp, v));
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

	if (!codec || !ocf_channel_valid(o->channel) || (o->nextra && !o->extra))
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

/* ---- Envelope records ------------------------------------------------------------------- */

static int envelope_encode(const struct ocf_envelope *e, uint8_t *p)
{
	unsigned int n = 0;

	if ((e->src_len != 4 && e->src_len != 16) || (e->dst_len != 4 && e->dst_len != 16) ||
	    e->payload_len > XRELAY_PACKET_PAYLOAD_MAX)
		return -EINVAL;
	n += put_long(p + n, e->seq);
	n += put_long(p + n, e->ts_ns);
	n += put_long(p + n, e->src_len);
	memcpy(p + n, e->src_addr, e->src_len);
	n += e->src_len;
	n += put_long(p + n, e->src_port);
	n += put_long(p + n, e->dst_len);
	memcpy(p + n, e->dst_addr, e->dst_len);
	n += e->dst_len;
	n += put_long(p + n, e->dst_port);
	n += put_long(p + n, e->payload_len);
	return (int)n;
}

int ocf_envelope_hdr(const struct ocf_envelope *e, uint8_t *buf, size_t len)
{
	uint8_t tmp[XRELAY_PACKET_HDR_MAX];
	int n = envelope_encode(e, tmp);

	if (n < 0)
		return n;
	if ((size_t)n > len)
		return -ENOSPC;
	memcpy(buf, tmp, (size_t)n);
	return n;
}

/* ---- Blocks ----------------------------------------------------------------------------- */

struct ocf_block {
	enum ocf_codec codec;
	unsigned int max_records;
	size_t max_bytes;
	size_t max_record;

	unsigned int count; /* records */
	size_t bytes;	    /* their bytes before compression */
	bool finished;
	bool broken; /* zlib failed */
	size_t size; /* finished: bytes in the file */

	uint8_t *buf; /* [prefix room][data: cap bytes][sync room] */
	size_t cap;
	z_stream z;
	bool z_ready;
	struct iovec one; /* what finish hands out */
};

static uint8_t *block_data(const struct ocf_block *b)
{
	return b->buf + OCF_BLOCK_PREFIX_MAX;
}

int ocf_block_new(const struct ocf_block_opts *o, struct ocf_block **ret)
{
	struct ocf_block *b;
	size_t in_cap;
	int level;

	if (!ocf_codec_name(o->codec) || o->max_records > OCF_BLOCK_RECORDS_MAX ||
	    o->deflate_level < 0 || o->deflate_level > 9)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->codec = o->codec;
	b->max_records = o->max_records ? o->max_records : DEFAULT_MAX_RECORDS;
	b->max_bytes = o->max_bytes ? o->max_bytes : DEFAULT_MAX_BYTES;
	b->max_record = o->max_record ? o->max_record : DEFAULT_MAX_RECORD;
	if (b->max_bytes > INT32_MAX || b->max_record > INT32_MAX)
		goto out_inval;
	in_cap = b->max_bytes > b->max_record ? b->max_bytes : b->max_record;

	if (b->codec == OCF_CODEC_NULL) {
		b->cap = in_cap;
	} else {
		level = o->deflate_level ? o->deflate_level : DEFAULT_DEFLATE_LEVEL;
		/* windowBits -15: raw DEFLATE without the zlib wrapper, as Avro wants. */
		if (deflateInit2(&b->z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			goto out_nomem;
		b->z_ready = true;
		b->cap = deflateBound(&b->z, in_cap) + 64;
	}
	b->buf = malloc(OCF_BLOCK_PREFIX_MAX + b->cap + OCF_SYNC_SIZE);
	if (!b->buf)
		goto out_nomem;
	ocf_block_reset(b);
	*ret = b;
	return 0;

out_inval:
	ocf_block_free(b);
	return -EINVAL;
out_nomem:
	ocf_block_free(b);
	return -ENOMEM;
}

void ocf_block_free(struct ocf_block *b)
{
	if (!b)
		return;
	if (b->z_ready)
		(void)deflateEnd(&b->z);
	free(b->buf);
	free(b);
}

void ocf_block_reset(struct ocf_block *b)
{
	b->count = 0;
	b->bytes = 0;
	b->finished = false;
	b->broken = false;
	b->size = 0;
	if (b->z_ready) {
		(void)deflateReset(&b->z);
		b->z.next_out = block_data(b);
		b->z.avail_out = (uInt)b->cap;
	}
}

static int block_deflate(struct ocf_block *b, const void *p, size_t len, int flush)
{
	int r;

	b->z.next_in = (Bytef *)(uintptr_t)p;
	b->z.avail_in = (uInt)len;
	do {
		r = deflate(&b->z, flush);
		if (r == Z_STREAM_END)
			return 0;
		if (r != Z_OK && r != Z_BUF_ERROR)
			return -EIO;
		if (!b->z.avail_out)
			return -EIO; /* cannot happen: the buffer is deflateBound() of the input */
	} while (b->z.avail_in || flush == Z_FINISH);
	return 0;
}

int ocf_block_addv(struct ocf_block *b, const struct iovec *parts, unsigned int nparts)
{
	size_t len = 0;
	unsigned int i;
	int r;

	if (b->finished)
		return -EBUSY;
	if (b->broken)
		return -EIO;
	if (!nparts)
		return -EINVAL;
	for (i = 0; i < nparts; i++)
		len += parts[i].iov_len;
	if (len > b->max_record)
		return -EMSGSIZE;
	if (b->count && (b->count >= b->max_records || b->bytes > b->max_bytes ||
			 len > b->max_bytes - b->bytes))
		return -ENOSPC;

	if (b->codec == OCF_CODEC_NULL) {
		uint8_t *dst = block_data(b) + b->bytes;

		for (i = 0; i < nparts; i++) {
			if (parts[i].iov_len)
				memcpy(dst, parts[i].iov_base, parts[i].iov_len);
			dst += parts[i].iov_len;
		}
	} else {
		for (i = 0; i < nparts; i++) {
			r = block_deflate(b, parts[i].iov_base, parts[i].iov_len, Z_NO_FLUSH);
			if (r) {
				b->broken = true;
				return r;
			}
		}
	}
	b->count++;
	b->bytes += len;
	return 0;
}

int ocf_block_add(struct ocf_block *b, const void *rec, size_t len)
{
	struct iovec part = { .iov_base = (void *)(uintptr_t)rec, .iov_len = len };

	return ocf_block_addv(b, &part, 1);
}

unsigned int ocf_block_count(const struct ocf_block *b)
{
	return b->count;
}

size_t ocf_block_bytes(const struct ocf_block *b)
{
	return b->bytes;
}

bool ocf_block_full(const struct ocf_block *b)
{
	return b->count >= b->max_records || b->bytes >= b->max_bytes;
}

int ocf_block_prefix(uint8_t *buf, size_t len, int64_t count, int64_t size)
{
	unsigned int n1 = ocf_long_size(count), n2 = ocf_long_size(size);

	if (count < 1 || size < 0)
		return -EINVAL;
	if (n1 + n2 > len)
		return -ENOSPC;
	put_long(buf, count);
	put_long(buf + n1, size);
	return (int)(n1 + n2);
}

int ocf_block_finish(struct ocf_block *b, const uint8_t sync[OCF_SYNC_SIZE], struct iovec **ret_iov)
{
	uint8_t prefix[OCF_BLOCK_PREFIX_MAX], *start;
	size_t data_len;
	int plen, r;

	if (b->finished)
		return -EALREADY;
	if (b->broken)
		return -EIO;
	if (!b->count)
		return -ENODATA;

	if (b->codec == OCF_CODEC_DEFLATE) {
		r = block_deflate(b, NULL, 0, Z_FINISH);
		if (r) {
			b->broken = true;
			return r;
		}
		data_len = b->cap - b->z.avail_out;
	} else {
		data_len = b->bytes;
	}
	/* The prefix goes right before the data, the sync marker right after. */
	plen = ocf_block_prefix(prefix, sizeof(prefix), b->count, (int64_t)data_len);
	start = block_data(b) - plen;
	memcpy(start, prefix, (size_t)plen);
	memcpy(block_data(b) + data_len, sync, OCF_SYNC_SIZE);
	b->one.iov_base = start;
	b->one.iov_len = (size_t)plen + data_len + OCF_SYNC_SIZE;
	b->size = b->one.iov_len;
	b->finished = true;
	*ret_iov = &b->one;
	return 1;
}

size_t ocf_block_size(const struct ocf_block *b)
{
	return b->finished ? b->size : 0;
}

void ocf_iov_advance(struct iovec **iov, int *iovcnt, size_t done)
{
	while (*iovcnt > 0 && done >= (*iov)->iov_len) {
		done -= (*iov)->iov_len;
		(*iov)++;
		(*iovcnt)--;
	}
	if (*iovcnt > 0 && done) {
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + done;
		(*iov)->iov_len -= done;
	}
}

/* ---- Files ------------------------------------------------------------------------------ */

struct ocf_file {
	int fd;
	int dir_fd;
	unsigned long n;
	uint64_t size;
	uint64_t records;
	uint64_t header_len;
	char base[OCF_NAME_MAX]; /* <channel>-q<queue>-<stamp> */
	char name[OCF_NAME_MAX]; /* <base>-<n>.avro.part */
	uint8_t sync[OCF_SYNC_SIZE];
};

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int name_make(char *buf, size_t len, const char *base, unsigned long n, const char *suffix)
{
	int r = snprintf(buf, len, "%s-%lu%s", base, n, suffix);

	return r < 0 || (size_t)r >= len ? -ENAMETOOLONG : 0;
}

static int exists_at(int dir_fd, const char *name)
{
	struct stat st;

	if (!fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW))
		return 1;
	return errno == ENOENT ? 0 : -errno;
}

/* rename(2) that never replaces: RENAME_NOREPLACE, else link + unlink where unsupported. */
static int rename_noreplace(int dir_fd, const char *from, const char *to)
{
	if (!renameat2(dir_fd, from, dir_fd, to, RENAME_NOREPLACE))
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
		return -errno;
	if (linkat(dir_fd, from, dir_fd, to, 0) < 0)
		return -errno;
	if (unlinkat(dir_fd, from, 0) < 0)
		return -errno;
	return 0;
}

/* Rename @part to <base>-<n>.avro, or the next free <n>; the name taken goes to @out. */
static int rename_final(int dir_fd, const char *part, const char *base, unsigned long n, char *out,
			size_t outlen)
{
	char final[OCF_NAME_MAX];
	unsigned long i;
	int r;

	for (i = 0; i < NAME_TRIES; i++) {
		r = name_make(final, sizeof(final), base, n + i, FINAL_SUFFIX);
		if (r)
			return r;
		r = rename_noreplace(dir_fd, part, final);
		if (r == -EEXIST)
			continue;
		if (r)
			return r;
		if (out)
			snprintf(out, outlen, "%s", final);
		return 0;
	}
	return -EEXIST;
}

static int stamp_make(char *buf, size_t len, int64_t ns)
{
	time_t sec = (time_t)(ns / 1000000000);
	struct tm tm;

	if (!gmtime_r(&sec, &tm) || strftime(buf, len, "%Y%m%dT%H%M%SZ", &tm) != STAMP_LEN)
		return -EINVAL;
	return 0;
}

int ocf_file_open(int dir_fd, const struct ocf_file_opts *o, struct ocf_file **ret)
{
	struct ocf_header_opts h = {
		.schema = o->schema,
		.codec = o->codec,
		.channel = o->channel,
		.queue = o->queue,
		.host = o->host,
		.extra = o->extra,
		.nextra = o->nextra,
	};
	char stamp[STAMP_LEN + 1];
	struct ocf_file *f;
	uint8_t *hdr = NULL;
	int r, hlen, e;

	if (!ocf_channel_valid(o->channel) || o->start_ns < 0 || !ocf_codec_name(o->codec) ||
	    (o->mode & ~07777u))
		return -EINVAL;
	r = stamp_make(stamp, sizeof(stamp), o->start_ns);
	if (r)
		return r;
	if (o->sync) {
		memcpy(h.sync, o->sync, OCF_SYNC_SIZE);
	} else {
		r = ocf_sync_random(h.sync);
		if (r)
			return r;
	}
	hlen = ocf_header_size(&h);
	if (hlen < 0)
		return hlen;
	f = calloc(1, sizeof(*f));
	hdr = malloc((size_t)hlen);
	if (!f || !hdr) {
		r = -ENOMEM;
		goto out_free;
	}
	r = ocf_header(&h, hdr, (size_t)hlen);
	if (r < 0)
		goto out_free;
	f->fd = -1;
	f->dir_fd = dir_fd;
	memcpy(f->sync, h.sync, OCF_SYNC_SIZE);
	snprintf(f->base, sizeof(f->base), "%s-q%u-%s", o->channel, o->queue, stamp);

	r = -EEXIST;
	for (f->n = 1; f->n <= NAME_TRIES; f->n++) {
		char final[OCF_NAME_MAX];

		/* A closed file of this second must not be replaced at our rename either. */
		r = name_make(final, sizeof(final), f->base, f->n, FINAL_SUFFIX);
		if (r)
			goto out_free;
		e = exists_at(dir_fd, final);
		if (e < 0) {
			r = e;
			goto out_free;
		}
		if (e)
			continue;
		r = name_make(f->name, sizeof(f->name), f->base, f->n, PART_SUFFIX);
		if (r)
			goto out_free;
		f->fd = openat(dir_fd, f->name,
			       O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
			       o->mode ? o->mode : 0644);
		if (f->fd >= 0)
			break;
		r = -errno;
		if (r != -EEXIST)
			goto out_free;
	}
	if (f->fd < 0) {
		r = -EEXIST;
		goto out_free;
	}
	r = pwrite_all(f->fd, hdr, (size_t)hlen, 0);
	if (r)
		goto out_unlink;
	f->size = f->header_len = (uint64_t)hlen;
	free(hdr);
	*ret = f;
	return 0;

out_unlink:
	(void)unlinkat(dir_fd, f->name, 0);
	(void)close(f->fd);
out_free:
	free(hdr);
	free(f);
	return r;
}

int ocf_file_close(struct ocf_file *f, unsigned int flags, char *ret_name, size_t len)
{
	int r = 0;

	if (ret_name && len)
		ret_name[0] = '\0';
	if (!f)
		return 0;
	if (flags & OCF_F_DROP_EMPTY && !f->records) {
		(void)close(f->fd);
		r = unlinkat(f->dir_fd, f->name, 0) < 0 ? -errno : OCF_REMOVED;
		goto out_free;
	}
	if (flags & OCF_F_FSYNC && fsync(f->fd) < 0) {
		r = -errno;
		(void)close(f->fd);
		goto out_free;
	}
	if (close(f->fd) < 0) {
		r = -errno;
		goto out_free;
	}
	r = rename_final(f->dir_fd, f->name, f->base, f->n, ret_name, len);
	if (!r && flags & OCF_F_FSYNC && fsync(f->dir_fd) < 0)
		r = -errno;
out_free:
	free(f);
	return r;
}

int ocf_file_fd(const struct ocf_file *f)
{
	return f->fd;
}

const char *ocf_file_name(const struct ocf_file *f)
{
	return f->name;
}

const uint8_t *ocf_file_sync(const struct ocf_file *f)
{
	return f->sync;
}

uint64_t ocf_file_size(const struct ocf_file *f)
{
	return f->size;
}

uint64_t ocf_file_records(const struct ocf_file *f)
{
	return f->records;
}

uint64_t ocf_file_reserve(struct ocf_file *f, size_t size, unsigned int records)
{
	uint64_t off = f->size;

	f->size += size;
	f->records += records;
	return off;
}

int ocf_file_rewind(struct ocf_file *f, uint64_t offset, uint64_t records)
{
	if (offset < f->header_len || offset > f->size || records > f->records)
		return -EINVAL;
	if (ftruncate(f->fd, (off_t)offset) < 0)
		return -errno;
	f->size = offset;
	f->records = records;
	return 0;
}

/* ---- Recovery --------------------------------------------------------------------------- */

/* Split "<channel>-q<queue>-<stamp>-<n>.avro.part" into base (without "-<n>...") and n. */
static int part_name_parse(const char *name, char *base, size_t baselen, unsigned long *ret_n)
{
	size_t len = strnlen(name, OCF_NAME_MAX), slen = strlen(PART_SUFFIX), end, i, d;
	unsigned long n = 0;

	if (len >= OCF_NAME_MAX || len <= slen || strcmp(name + len - slen, PART_SUFFIX))
		return -EINVAL;
	end = len - slen;
	/* -<n> */
	for (d = 0; d < end && name[end - 1 - d] >= '0' && name[end - 1 - d] <= '9'; d++)
		;
	if (d < 1 || d > 9 || d >= end || name[end - 1 - d] != '-')
		return -EINVAL;
	for (i = end - d; i < end; i++)
		n = n * 10 + (unsigned long)(name[i] - '0');
	if (n < 1)
		return -EINVAL;
	end -= d + 1; /* base ends here */
	if (end >= baselen)
		return -EINVAL;
	memcpy(base, name, end);
	base[end] = '\0';
	/* -<stamp> */
	if (end < STAMP_LEN + 1 || base[end - STAMP_LEN - 1] != '-')
		return -EINVAL;
	for (i = 0; i < STAMP_LEN; i++) {
		char c = base[end - STAMP_LEN + i];
		bool ok = i == 8 ? c == 'T' : i == 15 ? c == 'Z' : c >= '0' && c <= '9';

		if (!ok)
			return -EINVAL;
	}
	end -= STAMP_LEN + 1;
	/* -q<queue> */
	for (d = 0; d < end && base[end - 1 - d] >= '0' && base[end - 1 - d] <= '9'; d++)
		;
	if (d < 1 || d > 10 || d + 2 > end || base[end - 1 - d] != 'q' || base[end - 2 - d] != '-')
		return -EINVAL;
	end -= d + 2;
	/* <channel> */
	if (!channel_valid_n(base, end))
		return -EINVAL;
	*ret_n = n;
	return 0;
}

/* A bounded reader over a buffer; running off its end is "incomplete". */
struct rbuf {
	const uint8_t *p;
	size_t len;
	size_t pos;
};

static int r_long(struct rbuf *rb, int64_t *v)
{
	int n = ocf_get_long(rb->p + rb->pos, rb->len - rb->pos, v);

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
 * Parse a container header. Returns 0 with its length and sync marker, -ENODATA if @p ends
 * inside it, -EBADMSG if it is not one.
 */
static int header_parse(const uint8_t *p, size_t len, size_t *ret_len, uint8_t *ret_sync)
{
	struct rbuf rb = { .p = p, .len = len };
	const uint8_t *key, *val, *sync;
	int64_t count, klen, vlen, bsize, i, entries = 0;
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
		}
	}
	r = r_skip(&rb, OCF_SYNC_SIZE, &sync);
	if (r)
		return r;
	if (!schema)
		return -EBADMSG;
	memcpy(ret_sync, sync, OCF_SYNC_SIZE);
	*ret_len = rb.pos;
	return 0;
}

static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, p + got, len - got, (off_t)(off + got));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (int)got;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * Walk the blocks from @off; returns the end of the last whole block (or @off) and counts.
 * A block is whole if its count is >= 1, its size fits in the file and the sync marker after
 * it is the header's.
 */
static int blocks_walk(int fd, uint64_t off, uint64_t fsize, const uint8_t *sync, uint64_t *ret_end,
		       uint64_t *ret_blocks, uint64_t *ret_records)
{
	uint8_t pre[OCF_BLOCK_PREFIX_MAX], mark[OCF_SYNC_SIZE];
	int64_t count, size;
	uint64_t end;
	int got, n1, n2;

	*ret_blocks = *ret_records = 0;
	for (;;) {
		got = pread_all(fd, pre, sizeof(pre), off);
		if (got < 0)
			return got;
		n1 = ocf_get_long(pre, (size_t)got, &count);
		if (n1 < 0 || count < 1)
			break;
		n2 = ocf_get_long(pre + n1, (size_t)got - (size_t)n1, &size);
		if (n2 < 0 || size < 0)
			break;
		if ((uint64_t)size > fsize ||
		    off + (uint64_t)(n1 + n2) + (uint64_t)size + OCF_SYNC_SIZE > fsize)
			break;
		end = off + (uint64_t)(n1 + n2) + (uint64_t)size + OCF_SYNC_SIZE;
		got = pread_all(fd, mark, sizeof(mark), end - OCF_SYNC_SIZE);
		if (got < 0)
			return got;
		if (got != OCF_SYNC_SIZE || memcmp(mark, sync, OCF_SYNC_SIZE))
			break;
		(*ret_blocks)++;
		*ret_records += (uint64_t)count;
		off = end;
	}
	*ret_end = off;
	return 0;
}

int ocf_recover(int dir_fd, const char *name, unsigned int flags, struct ocf_recover_info *ret)
{
	struct ocf_recover_info info = { 0 };
	uint8_t sync[OCF_SYNC_SIZE], *hbuf = NULL;
	char base[OCF_NAME_MAX];
	unsigned long n;
	size_t hlen = 0, want;
	uint64_t end;
	struct stat st;
	int fd, r, got;

	if (ret)
		*ret = info;
	if (!name || part_name_parse(name, base, sizeof(base), &n))
		return -EINVAL;
	fd = openat(dir_fd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto out_close;
	}
	want = (uint64_t)st.st_size < OCF_HEADER_MAX ? (size_t)st.st_size : OCF_HEADER_MAX;
	hbuf = malloc(want ? want : 1);
	if (!hbuf) {
		r = -ENOMEM;
		goto out_close;
	}
	got = pread_all(fd, hbuf, want, 0);
	if (got < 0) {
		r = got;
		goto out_close;
	}
	r = header_parse(hbuf, (size_t)got, &hlen, sync);
	if (r == -ENODATA && (uint64_t)got == (uint64_t)st.st_size)
		goto out_remove; /* ends inside its header: no block can be whole */
	if (r) {
		/* A crash can leave zero-filled pages; such a file holds nothing. */
		if ((uint64_t)got == (uint64_t)st.st_size && all_zero(hbuf, (size_t)got))
			goto out_remove;
		r = -EBADMSG;
		goto out_close;
	}
	r = blocks_walk(fd, hlen, (uint64_t)st.st_size, sync, &end, &info.blocks, &info.records);
	if (r)
		goto out_close;
	if (!info.blocks && flags & OCF_F_DROP_EMPTY)
		goto out_remove;
	info.size = end;
	info.cut = (uint64_t)st.st_size - end;
	if (info.cut && ftruncate(fd, (off_t)end) < 0) {
		r = -errno;
		goto out_close;
	}
	if (flags & OCF_F_FSYNC && fsync(fd) < 0) {
		r = -errno;
		goto out_close;
	}
	r = rename_final(dir_fd, name, base, n, info.name, sizeof(info.name));
	if (!r && flags & OCF_F_FSYNC && fsync(dir_fd) < 0)
		r = -errno;
	goto out_close;

out_remove:
	info = (struct ocf_recover_info){ 0 };
	r = unlinkat(dir_fd, name, 0) < 0 ? -errno : OCF_REMOVED;
out_close:
	free(hbuf);
	(void)close(fd);
	if (ret && r >= 0)
		*ret = info;
	return r;
}
