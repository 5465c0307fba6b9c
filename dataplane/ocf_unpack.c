// SPDX-License-Identifier: MIT
/* Blocks' records back from their codec; see ocf_unpack.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <snappy-c.h>
#include <zlib.h>

#include "ocf_unpack.h"

#define SNAPPY_CRC_SIZE 4

struct ocf_unpack {
	uint8_t *out;
	size_t cap;
	z_stream z;
	int z_ready;
};

int ocf_unpack_new(struct ocf_unpack **ret)
{
	struct ocf_unpack *u = calloc(1, sizeof(*u));

	if (!u)
		return -ENOMEM;
	*ret = u;
	return 0;
}

void ocf_unpack_free(struct ocf_unpack *u)
{
	if (!u)
		return;
	if (u->z_ready)
		(void)inflateEnd(&u->z);
	free(u->out);
	free(u);
}

static int grow(struct ocf_unpack *u, size_t want)
{
	uint8_t *nb;

	if (want <= u->cap)
		return 0;
	nb = realloc(u->out, want);
	if (!nb)
		return -ENOMEM;
	u->out = nb;
	u->cap = want;
	return 0;
}

static int inflate_all(struct ocf_unpack *u, const uint8_t *in, size_t len, size_t *ret_len)
{
	size_t cap = u->cap ? u->cap : 4 * len + 4096;
	int zr, e;

	if (!u->z_ready) {
		/* windowBits -15: raw DEFLATE, as Avro writes it. */
		if (inflateInit2(&u->z, -15) != Z_OK)
			return -ENOMEM;
		u->z_ready = 1;
	} else {
		(void)inflateReset(&u->z);
	}
	u->z.next_in = (Bytef *)(uintptr_t)in;
	u->z.avail_in = (uInt)len;
	u->z.total_out = 0;
	for (;;) {
		e = grow(u, cap);
		if (e)
			return e;
		u->z.next_out = u->out + u->z.total_out;
		u->z.avail_out = (uInt)(u->cap - u->z.total_out);
		zr = inflate(&u->z, Z_FINISH);
		if (zr == Z_STREAM_END)
			break;
		if (zr != Z_BUF_ERROR && zr != Z_OK)
			return -EBADMSG;
		if (!u->z.avail_in && u->z.avail_out)
			return -EBADMSG; /* the stream stops short of its end */
		if (u->cap >= OCF_UNPACK_MAX)
			return -EFBIG;
		cap = u->cap * 2 > OCF_UNPACK_MAX ? OCF_UNPACK_MAX : u->cap * 2;
	}
	*ret_len = u->z.total_out;
	return 0;
}

static int snappy_all(struct ocf_unpack *u, const uint8_t *in, size_t len, size_t *ret_len,
		      char *why)
{
	size_t ulen, dlen = len - SNAPPY_CRC_SIZE;
	const uint8_t *c = in + dlen;
	uint32_t stored, crc;
	int e;

	if (len < SNAPPY_CRC_SIZE ||
	    snappy_uncompressed_length((const char *)in, dlen, &ulen) != SNAPPY_OK) {
		snprintf(why, OCF_UNPACK_WHY, "%s",
			 len < SNAPPY_CRC_SIZE ? "shorter than its CRC32" : "no snappy length");
		return -EBADMSG;
	}
	if (ulen > OCF_UNPACK_MAX) {
		snprintf(why, OCF_UNPACK_WHY, "it would take %zu bytes, past 256 MiB", ulen);
		return -EFBIG;
	}
	e = grow(u, ulen ? ulen : 1);
	if (e)
		return e;
	if (snappy_uncompress((const char *)in, dlen, (char *)u->out, &ulen) != SNAPPY_OK) {
		snprintf(why, OCF_UNPACK_WHY, "a broken snappy stream");
		return -EBADMSG;
	}
	stored = (uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 | (uint32_t)c[2] << 8 | c[3];
	crc = (uint32_t)crc32(0, u->out, (uInt)ulen);
	if (crc != stored) {
		snprintf(why, OCF_UNPACK_WHY,
			 "CRC32 %08" PRIx32 " stored, %08" PRIx32
			 " of the %zu bytes it uncompresses to",
			 stored, crc, ulen);
		return -EILSEQ;
	}
	*ret_len = ulen;
	return 0;
}

int ocf_unpack_block(struct ocf_unpack *u, enum ocf_codec codec, const uint8_t *data, size_t len,
		     const uint8_t **ret_data, size_t *ret_len, char *why)
{
	int e;

	why[0] = '\0';
	if (codec == OCF_CODEC_DEFLATE) {
		e = inflate_all(u, data, len, ret_len);
		if (e)
			snprintf(why, OCF_UNPACK_WHY, "%s",
				 e == -EFBIG ? "past 256 MiB" : "a broken stream");
	} else if (codec == OCF_CODEC_SNAPPY) {
		e = snappy_all(u, data, len, ret_len, why);
	} else {
		return -EINVAL;
	}
	if (!e)
		*ret_data = u->out;
	return e;
}

/* Raw-inflate @in into @out; returns the bytes produced (Z_BUF_ERROR = ran out: fine here). */
static int inflate_some(const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen)
{
	z_stream z = { 0 };
	int r;

	if (inflateInit2(&z, -15) != Z_OK)
		return -ENOMEM;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)inlen;
	z.next_out = out;
	z.avail_out = (uInt)outlen;
	r = inflate(&z, Z_SYNC_FLUSH);
	(void)inflateEnd(&z);
	if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR)
		return -EBADMSG;
	return (int)(outlen - z.avail_out);
}

/*
 * A snappy stream: the uncompressed length (a varint), then elements; the first element is a
 * literal (tag & 3 == 0) of (tag >> 2) + 1 bytes, or for tag >> 2 >= 60 of 1 + the next
 * (tag >> 2) - 59 bytes little endian. Returns the bytes of it found in @in (at most @outlen).
 */
static int snappy_literal(const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen)
{
	uint64_t ulen = 0, lit = 0;
	size_t pos = 0, n, i;
	unsigned int shift = 0, extra;
	uint8_t tag;

	do {
		if (pos == inlen || shift > 28)
			return pos == inlen ? 0 : -EBADMSG;
		ulen |= (uint64_t)(in[pos] & 0x7f) << shift;
		shift += 7;
	} while (in[pos++] & 0x80);
	if (!ulen || pos == inlen)
		return 0;
	tag = in[pos++];
	if (tag & 3)
		return -EBADMSG; /* a copy with nothing to copy from */
	if ((tag >> 2) < 60) {
		lit = (tag >> 2) + 1u;
	} else {
		extra = (tag >> 2) - 59u;
		if (inlen - pos < extra)
			return 0;
		for (i = 0; i < extra; i++)
			lit |= (uint64_t)in[pos++] << (8 * i);
		lit++;
	}
	if (lit > ulen)
		return -EBADMSG;
	n = lit < outlen ? (size_t)lit : outlen;
	if (n > inlen - pos)
		n = inlen - pos;
	memcpy(out, in + pos, n);
	return (int)n;
}

int ocf_unpack_head(enum ocf_codec codec, const uint8_t *in, size_t inlen, int all, uint8_t *out,
		    size_t outlen)
{
	struct ocf_unpack *u;
	const uint8_t *data;
	char why[OCF_UNPACK_WHY];
	size_t len;
	int n;

	if (codec == OCF_CODEC_DEFLATE)
		return inflate_some(in, inlen, out, outlen);
	if (codec != OCF_CODEC_SNAPPY)
		return -EINVAL;
	if (!all)
		return snappy_literal(in, inlen, out, outlen);
	if (ocf_unpack_new(&u))
		return -ENOMEM;
	n = ocf_unpack_block(u, codec, in, inlen, &data, &len, why);
	if (!n) {
		n = (int)(len < outlen ? len : outlen);
		memcpy(out, data, (size_t)n);
	}
	ocf_unpack_free(u);
	return n == -EILSEQ || n == -EFBIG ? -EBADMSG : n;
}
