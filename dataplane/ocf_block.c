// SPDX-License-Identifier: MIT
/* Blocks; see ocf_block.h. Never blocks, never logs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <snappy-c.h>
#include <zlib.h>

#include "ocf_block.h"
#include "xrelay/avro.h"

#define DEFAULT_MAX_RECORDS 256u
#define DEFAULT_MAX_BYTES (256u * 1024)
#define DEFAULT_MAX_RECORD (XRELAY_PACKET_HDR_MAX + XRELAY_PACKET_PAYLOAD_MAX)
#define DEFAULT_DEFLATE_LEVEL 1
#define SNAPPY_CRC_SIZE 4 /* Avro's snappy framing: CRC32 of the uncompressed data, big endian */

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
	uint8_t *in; /* snappy: the records, compressed at finish (null and deflate: unused) */
	size_t in_cap;
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

	b->in_cap = in_cap;
	if (b->codec == OCF_CODEC_NULL) {
		b->cap = in_cap;
	} else if (b->codec == OCF_CODEC_SNAPPY) {
		b->in = malloc(in_cap);
		if (!b->in)
			goto out_nomem;
		b->cap = snappy_max_compressed_length(in_cap) + SNAPPY_CRC_SIZE;
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

size_t ocf_block_footprint(const struct ocf_block *b)
{
	/* The buffer, the block, and deflate's state (zlib: about 256 KiB at level 1-9). */
	return sizeof(*b) + OCF_BLOCK_PREFIX_MAX + b->cap + OCF_SYNC_SIZE +
	       (b->z_ready ? 268u * 1024 : 0) + (b->in ? b->in_cap : 0);
}

void ocf_block_free(struct ocf_block *b)
{
	if (!b)
		return;
	if (b->z_ready)
		(void)deflateEnd(&b->z);
	free(b->in);
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

	if (b->codec != OCF_CODEC_DEFLATE) {
		uint8_t *dst = (b->in ? b->in : block_data(b)) + b->bytes;

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
	unsigned int n1 = ocf_varint_long_size(count), n2 = ocf_varint_long_size(size);

	if (count < 1 || size < 0)
		return -EINVAL;
	if (n1 + n2 > len)
		return -ENOSPC;
	ocf_varint_encode_long(buf, count);
	ocf_varint_encode_long(buf + n1, size);
	return (int)(n1 + n2);
}

/* Compress the gathered records into the block's data, then their CRC32, as Avro frames it. */
static int block_snappy(struct ocf_block *b, size_t *ret_len)
{
	size_t clen = b->cap - SNAPPY_CRC_SIZE;
	uint32_t crc = (uint32_t)crc32(0, b->in, (uInt)b->bytes);
	uint8_t *p = block_data(b);

	if (snappy_compress((const char *)b->in, b->bytes, (char *)p, &clen) != SNAPPY_OK)
		return -EIO;
	p[clen] = (uint8_t)(crc >> 24);
	p[clen + 1] = (uint8_t)(crc >> 16);
	p[clen + 2] = (uint8_t)(crc >> 8);
	p[clen + 3] = (uint8_t)crc;
	*ret_len = clen + SNAPPY_CRC_SIZE;
	return 0;
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
	} else if (b->codec == OCF_CODEC_SNAPPY) {
		r = block_snappy(b, &data_len);
		if (r) {
			b->broken = true;
			return r;
		}
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
