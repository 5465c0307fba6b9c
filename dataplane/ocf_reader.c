// SPDX-License-Identifier: MIT
/* Reading container files: header, block walk, skipping, loading; see ocf_reader.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocf_block.h"
#include "ocf_header.h"
#include "ocf_reader.h"
#include "ocf_unpack.h"
#include "ocf_varint.h"
#include "xrelay/avro.h"
#include "xrelay/errmsg.h"

/* What a block's head read takes: its prefix and its first record's seq and ts_ns. */
#define HEAD_LEN (OCF_BLOCK_PREFIX_MAX + 2 * OCF_LONG_MAX_BYTES)
/* Stored bytes read to peek a compressed block's first record (deflate; snappy's literal). */
#define PEEK_IN 512
#define HEADER_FIRST_READ 4096

struct ocf_reader {
	int fd;
	uint64_t size;
	uint64_t hlen;
	uint64_t pos; /* the next block's offset */
	uint64_t bytes_read;
	enum ocf_codec codec;
	bool envelope;
	int err;
	uint64_t err_off;
	uint8_t sync[OCF_SYNC_SIZE];
	uint8_t *header; /* the header's bytes, hlen of them */
	char *schema;
	uint8_t *raw; /* a block as stored */
	size_t raw_cap;
	struct ocf_unpack *unpack; /* a compressed block's records */
	char msg[256];
};

int ocf_reader_pread(int fd, void *buf, size_t len, uint64_t off)
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

/* Read @len bytes at @off into a new buffer; NULL if it cannot. */
static uint8_t *read_new(int fd, uint64_t off, size_t len)
{
	uint8_t *buf = malloc(len ? len : 1);

	if (buf && ocf_reader_pread(fd, buf, len, off) != (int)len) {
		free(buf);
		buf = NULL;
	}
	return buf;
}

/* The first record's seq and ts_ns from @len bytes at @p: whether both decode. */
static bool peek_longs(const uint8_t *p, size_t len, struct ocf_reader_block *b)
{
	int n = ocf_varint_get_long(p, len, &b->first_seq);

	return n > 0 && ocf_varint_get_long(p + n, len - (size_t)n, &b->first_ts) > 0;
}

static void peek_first(int fd, const uint8_t *head, size_t headlen, enum ocf_codec codec,
		       struct ocf_reader_block *b)
{
	uint8_t in[PEEK_IN], buf[2 * OCF_LONG_MAX_BYTES], *all;
	size_t off = (size_t)(b->data_off - b->off), len;
	int n;

	if (codec == OCF_CODEC_NULL) {
		len = headlen - off;
		if ((uint64_t)len > (uint64_t)b->size)
			len = (size_t)b->size;
		b->first_ok = peek_longs(head + off, len, b);
		return;
	}
	len = (uint64_t)b->size < sizeof(in) ? (size_t)b->size : sizeof(in);
	n = ocf_reader_pread(fd, in, len, b->data_off);
	if (n >= 0)
		n = ocf_unpack_head(codec, in, (size_t)n, 0, buf, sizeof(buf));
	if (n >= 0)
		b->first_ok = peek_longs(buf, (size_t)n, b);
	/* Snappy whose leading literal is too short: the first record needs all of the block. */
	if (b->first_ok || codec != OCF_CODEC_SNAPPY || n < 0 || (size_t)n == sizeof(buf) ||
	    (uint64_t)b->size > OCF_UNPACK_MAX)
		return;
	all = read_new(fd, b->data_off, (size_t)b->size);
	n = all ? ocf_unpack_head(codec, all, (size_t)b->size, 1, buf, sizeof(buf)) : -ENOMEM;
	free(all);
	if (n >= 0)
		b->first_ok = peek_longs(buf, (size_t)n, b);
}

int ocf_reader_block_at(int fd, uint64_t off, uint64_t fsize, const uint8_t sync[OCF_SYNC_SIZE],
			const enum ocf_codec *peek, struct ocf_reader_block *ret)
{
	struct ocf_reader_block b = { .off = off };
	uint8_t head[HEAD_LEN], mark[OCF_SYNC_SIZE];
	int got, hgot, n1, n2;

	if (off >= fsize)
		return OCF_READER_END;
	got = hgot = ocf_reader_pread(fd, head, sizeof(head), off);
	if (got < 0)
		return got;
	n1 = ocf_varint_get_long(head, (size_t)got, &b.count);
	if (n1 == -ENODATA)
		return -ENODATA;
	if (n1 < 0 || b.count < 1)
		return -EBADMSG;
	n2 = ocf_varint_get_long(head + n1, (size_t)got - (size_t)n1, &b.size);
	if (n2 == -ENODATA)
		return -ENODATA;
	if (n2 < 0 || b.size < 0)
		return -EBADMSG;
	b.data_off = off + (uint64_t)(n1 + n2);
	if ((uint64_t)b.size > fsize || b.data_off + (uint64_t)b.size + OCF_SYNC_SIZE > fsize)
		return -ENODATA;
	b.end = b.data_off + (uint64_t)b.size + OCF_SYNC_SIZE;
	got = ocf_reader_pread(fd, mark, sizeof(mark), b.end - OCF_SYNC_SIZE);
	if (got < 0)
		return got;
	if (got != OCF_SYNC_SIZE)
		return -ENODATA; /* the file shrank under us */
	if (memcmp(mark, sync, OCF_SYNC_SIZE))
		return -EILSEQ;
	if (peek)
		peek_first(fd, head, (size_t)hgot, *peek, &b);
	*ret = b;
	return 0;
}

static int read_header(struct ocf_reader *r, char *err, size_t errlen)
{
	size_t want = r->size < HEADER_FIRST_READ ? (size_t)r->size : HEADER_FIRST_READ;
	size_t hlen = 0;
	uint8_t *buf = NULL, *nb;
	int got, ret;

	for (;;) {
		nb = realloc(buf, want ? want : 1);
		if (!nb) {
			ret = -ENOMEM;
			goto out;
		}
		buf = nb;
		got = ocf_reader_pread(r->fd, buf, want, 0);
		if (got < 0) {
			ret = got;
			errmsg_set(err, errlen, "cannot read: %s", strerror(-got));
			goto out;
		}
		r->bytes_read += (uint64_t)got;
		ret = ocf_header_parse(buf, (size_t)got, &hlen, r->sync);
		if (ret != -ENODATA || (uint64_t)got == r->size || want >= OCF_HEADER_MAX)
			break;
		want = want * 16 > OCF_HEADER_MAX ? OCF_HEADER_MAX : want * 16;
		if ((uint64_t)want > r->size)
			want = (size_t)r->size;
	}
	if (ret == -ENODATA && (got < OCF_MAGIC_LEN || !memcmp(buf, OCF_MAGIC, OCF_MAGIC_LEN))) {
		errmsg_set(err, errlen,
			   "byte %" PRIu64 ": the file ends inside its Avro header (%s)", r->size,
			   r->size ? "torn at its start" : "empty file");
		goto out;
	}
	if (ret == -ENODATA || (ret && memcmp(buf, OCF_MAGIC, OCF_MAGIC_LEN))) {
		ret = -EBADMSG;
		errmsg_set(err, errlen,
			   "byte 0: not an Avro object container file (no \"Obj\\x01\" magic)");
		goto out;
	}
	if (ret) {
		errmsg_set(err, errlen, "byte 4: the Avro header does not parse (%s)",
			   strerror(-ret));
		ret = -EBADMSG;
		goto out;
	}
	r->header = buf;
	r->hlen = hlen;
	buf = NULL;
out:
	free(buf);
	return ret;
}

static int read_meta(const struct ocf_reader *r, const char *key, char **ret)
{
	const uint8_t *val;
	size_t len;
	char *s;
	int e = ocf_header_meta(r->header, (size_t)r->hlen, key, &val, &len);

	if (e)
		return e;
	s = malloc(len + 1);
	if (!s)
		return -ENOMEM;
	memcpy(s, val, len);
	s[len] = '\0';
	*ret = s;
	return 0;
}

int ocf_reader_open(int dir_fd, const char *path, struct ocf_reader **ret, char *err, size_t errlen)
{
	struct ocf_reader *r;
	char *codec = NULL;
	struct stat st;
	int e;

	errmsg_set(err, errlen, "%s", "");
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		e = -errno;
		errmsg_set(err, errlen, "cannot open: %s", strerror(-e));
		free(r);
		return e;
	}
	/*
	 * A file being read is not removed by retention (README, "Retention"): hold a shared
	 * lock while it is open. Not granted means retention has it this instant and is removing
	 * it; the open file still reads to its end, so go on.
	 */
	(void)flock(r->fd, LOCK_SH | LOCK_NB);
	if (fstat(r->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		e = S_ISREG(st.st_mode) ? -errno : -EINVAL;
		errmsg_set(err, errlen, "not a regular file");
		goto out_free;
	}
	r->size = (uint64_t)st.st_size;
	e = read_header(r, err, errlen);
	if (e)
		goto out_free;
	e = read_meta(r, "avro.schema", &r->schema);
	if (!e)
		e = read_meta(r, "avro.codec", &codec);
	if (e == -ENOENT) { /* the spec's default codec */
		codec = strdup("null");
		e = codec ? 0 : -ENOMEM;
	}
	if (e)
		goto out_free;
	if (ocf_codec_parse(codec, &r->codec)) {
		errmsg_set(err, errlen,
			   "codec \"%.40s\" is not one this reader knows (null, deflate, snappy)",
			   codec);
		e = -ENOTSUP;
		goto out_free;
	}
	if (r->codec != OCF_CODEC_NULL) {
		e = ocf_unpack_new(&r->unpack);
		if (e)
			goto out_free;
	}
	r->envelope = !strcmp(r->schema, XRELAY_PACKET_SCHEMA);
	r->pos = r->hlen;
	free(codec);
	*ret = r;
	return 0;
out_free:
	free(codec);
	ocf_reader_close(r);
	return e;
}

void ocf_reader_close(struct ocf_reader *r)
{
	if (!r)
		return;
	ocf_unpack_free(r->unpack);
	if (r->fd >= 0)
		(void)close(r->fd);
	free(r->header);
	free(r->schema);
	free(r->raw);
	free(r);
}

uint64_t ocf_reader_size(const struct ocf_reader *r)
{
	return r->size;
}

uint64_t ocf_reader_header_len(const struct ocf_reader *r)
{
	return r->hlen;
}

enum ocf_codec ocf_reader_codec(const struct ocf_reader *r)
{
	return r->codec;
}

const char *ocf_reader_schema(const struct ocf_reader *r)
{
	return r->schema;
}

bool ocf_reader_is_envelope(const struct ocf_reader *r)
{
	return r->envelope;
}

int ocf_reader_meta(const struct ocf_reader *r, const char *key, char *buf, size_t len)
{
	const uint8_t *val;
	size_t vlen;
	int e = ocf_header_meta(r->header, (size_t)r->hlen, key, &val, &vlen);

	if (e)
		return e;
	if (len) {
		size_t n = vlen < len - 1 ? vlen : len - 1;

		memcpy(buf, val, n);
		buf[n] = '\0';
	}
	return (int)vlen;
}

/* Word the error @e of the block at @off, and keep it: the file is not read further. */
static int fail(struct ocf_reader *r, int e, uint64_t off)
{
	uint64_t left = r->size - off;

	r->err = e;
	r->err_off = off;
	switch (e) {
	case -ENODATA:
		errmsg_set(r->msg, sizeof(r->msg),
			   "torn tail: the file ends inside the block at byte %" PRIu64 " (%" PRIu64
			   " bytes after the last whole block are not read)",
			   off, left);
		break;
	case -EBADMSG:
		errmsg_set(r->msg, sizeof(r->msg),
			   "no block at byte %" PRIu64 " (a bad block count or size; %" PRIu64
			   " bytes to the end are not read)",
			   off, left);
		break;
	case -EILSEQ:
		errmsg_set(r->msg, sizeof(r->msg),
			   "bad sync marker: the block at byte %" PRIu64
			   " does not end with the file's sync marker (%" PRIu64
			   " bytes to the end are not read)",
			   off, left);
		break;
	default:
		errmsg_set(r->msg, sizeof(r->msg), "read error at byte %" PRIu64 ": %s", off,
			   strerror(-e));
	}
	return e;
}

/* What to peek blocks with: envelope records lead with seq and ts_ns; others do not. */
static const enum ocf_codec *peek_codec(const struct ocf_reader *r)
{
	return r->envelope ? &r->codec : NULL;
}

/* The block at the cursor, its error kept. */
static int block_here(struct ocf_reader *r, struct ocf_reader_block *ret)
{
	int e;

	if (r->err)
		return r->err;
	e = ocf_reader_block_at(r->fd, r->pos, r->size, r->sync, peek_codec(r), ret);
	return e < 0 ? fail(r, e, r->pos) : e;
}

int ocf_reader_next(struct ocf_reader *r, struct ocf_reader_block *ret)
{
	int e = block_here(r, ret);

	if (!e)
		r->pos = ret->end;
	return e;
}

int ocf_reader_peek(struct ocf_reader *r, struct ocf_reader_block *ret)
{
	int e = block_here(r, ret);

	if (!e)
		r->bytes_read += HEAD_LEN + OCF_SYNC_SIZE;
	return e;
}

int64_t ocf_reader_skip_before(struct ocf_reader *r, int64_t from_ns)
{
	struct ocf_reader_block cur, next;
	int64_t skipped = 0;

	if (r->err)
		return 0;
	/* Heads only: no read-ahead of the blocks passed over. */
	(void)posix_fadvise(r->fd, 0, 0, POSIX_FADV_RANDOM);
	if (ocf_reader_block_at(r->fd, r->pos, r->size, r->sync, peek_codec(r), &cur))
		goto out;
	r->bytes_read += HEAD_LEN + OCF_SYNC_SIZE;
	while (cur.first_ok) {
		if (ocf_reader_block_at(r->fd, cur.end, r->size, r->sync, peek_codec(r), &next))
			break;
		r->bytes_read += HEAD_LEN + OCF_SYNC_SIZE;
		if (!next.first_ok || next.first_ts >= from_ns)
			break;
		r->pos = next.off;
		skipped++;
		cur = next;
	}
out:
	(void)posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return skipped;
}

static int grow(uint8_t **buf, size_t *cap, size_t want)
{
	uint8_t *nb;

	if (want <= *cap)
		return 0;
	nb = realloc(*buf, want);
	if (!nb)
		return -ENOMEM;
	*buf = nb;
	*cap = want;
	return 0;
}

int ocf_reader_load(struct ocf_reader *r, const struct ocf_reader_block *b,
		    const uint8_t **ret_data, size_t *ret_len)
{
	char why[OCF_UNPACK_WHY];
	int got, e;

	e = grow(&r->raw, &r->raw_cap, (size_t)b->size + 1);
	if (e)
		return e;
	got = ocf_reader_pread(r->fd, r->raw, (size_t)b->size, b->data_off);
	if (got >= 0 && (int64_t)got != b->size)
		got = -ENODATA;
	if (got < 0)
		return fail(r, got, b->off);
	r->bytes_read += (uint64_t)(b->end - b->off);
	if (r->codec == OCF_CODEC_NULL) {
		*ret_data = r->raw;
		*ret_len = (size_t)b->size;
		return 0;
	}
	e = ocf_unpack_block(r->unpack, r->codec, r->raw, (size_t)b->size, ret_data, ret_len, why);
	if (e) {
		r->err_off = b->off;
		if (e == -EILSEQ)
			errmsg_set(r->msg, sizeof(r->msg),
				   "the snappy block at byte %" PRIu64
				   " fails its CRC32 check (%s)",
				   b->off, why);
		else
			errmsg_set(r->msg, sizeof(r->msg),
				   "the %s block at byte %" PRIu64 " does not %s (%s)",
				   ocf_codec_name(r->codec), b->off,
				   r->codec == OCF_CODEC_DEFLATE ? "inflate" : "uncompress", why);
		return e;
	}
	return 0;
}

const char *ocf_reader_error(const struct ocf_reader *r, uint64_t *ret_off)
{
	if (ret_off)
		*ret_off = r->err_off;
	return r->msg;
}

uint64_t ocf_reader_bytes_read(const struct ocf_reader *r)
{
	return r->bytes_read;
}
