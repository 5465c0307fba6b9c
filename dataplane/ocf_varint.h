/* SPDX-License-Identifier: MIT */
/*
 * Avro binary varints (the "Binary Encoding" of the Avro 1.11 specification): longs and ints
 * as zigzag, then base-128 groups, least significant first. All inline: the envelope encoder
 * writes seven of them per record. Nothing else of the container format is here.
 */
#ifndef XRELAY_OCF_VARINT_H
#define XRELAY_OCF_VARINT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#define OCF_LONG_MAX_BYTES 10 /* a zigzag varint long */
#define OCF_INT_MAX_BYTES 5   /* a zigzag varint int */

static inline uint64_t ocf_varint_zigzag64(int64_t v)
{
	return ((uint64_t)v << 1) ^ (0 - ((uint64_t)v >> 63));
}

static inline uint32_t ocf_varint_zigzag32(int32_t v)
{
	return ((uint32_t)v << 1) ^ (0 - ((uint32_t)v >> 31));
}

/* Bytes the varint of the zigzagged value @z takes. */
static inline unsigned int ocf_varint_size(uint64_t z)
{
	unsigned int n = 1;

	while (z >= 0x80) {
		z >>= 7;
		n++;
	}
	return n;
}

/* Write the varint of @z at @p, unchecked: the caller has room for ocf_varint_size(z) bytes. */
static inline unsigned int ocf_varint_encode(uint8_t *p, uint64_t z)
{
	unsigned int n = 0;

	while (z >= 0x80) {
		p[n++] = (uint8_t)(z | 0x80);
		z >>= 7;
	}
	p[n++] = (uint8_t)z;
	return n;
}

/* Write @v as an Avro long at @p, unchecked: the caller has room for OCF_LONG_MAX_BYTES. */
static inline unsigned int ocf_varint_encode_long(uint8_t *p, int64_t v)
{
	return ocf_varint_encode(p, ocf_varint_zigzag64(v));
}

/*
 * Read a varint of at most @maxb bytes whose last byte may carry at most @lastmax (the bits
 * left of the 64 or 32) into *@ret. Returns the bytes consumed, -ENODATA or -EBADMSG as
 * ocf_varint_get_long.
 */
static inline int ocf_varint_decode(const uint8_t *p, size_t len, unsigned int maxb,
				    uint8_t lastmax, uint64_t *ret)
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

/*
 * Write @v as an Avro long (zigzag, then base-128 varint, least significant group first) into
 * @buf of @len bytes. Returns the bytes written (1..OCF_LONG_MAX_BYTES) or -ENOSPC, in which
 * case nothing was written.
 */
static inline int ocf_varint_put_long(uint8_t *buf, size_t len, int64_t v)
{
	uint64_t z = ocf_varint_zigzag64(v);

	if (ocf_varint_size(z) > len)
		return -ENOSPC;
	return (int)ocf_varint_encode(buf, z);
}

/* The same for an Avro int: 1..OCF_INT_MAX_BYTES bytes, or -ENOSPC. */
static inline int ocf_varint_put_int(uint8_t *buf, size_t len, int32_t v)
{
	uint32_t z = ocf_varint_zigzag32(v);

	if (ocf_varint_size(z) > len)
		return -ENOSPC;
	return (int)ocf_varint_encode(buf, z);
}

/* Bytes ocf_varint_put_long would write for @v. */
static inline unsigned int ocf_varint_long_size(int64_t v)
{
	return ocf_varint_size(ocf_varint_zigzag64(v));
}

/*
 * Read an Avro long from @buf of @len bytes into *@ret_v. Returns the bytes consumed,
 * -ENODATA if @buf ends inside the varint, -EBADMSG if it is longer than a long can be or
 * overflows 64 bits. *@ret_v is untouched on failure.
 */
static inline int ocf_varint_get_long(const uint8_t *buf, size_t len, int64_t *ret_v)
{
	uint64_t z;
	int n = ocf_varint_decode(buf, len, OCF_LONG_MAX_BYTES, 0x01, &z);

	if (n < 0)
		return n;
	*ret_v = (int64_t)((z >> 1) ^ (0 - (z & 1)));
	return n;
}

/* The same for an Avro int (at most 5 bytes, 32 bits). */
static inline int ocf_varint_get_int(const uint8_t *buf, size_t len, int32_t *ret_v)
{
	uint64_t z;
	int n = ocf_varint_decode(buf, len, OCF_INT_MAX_BYTES, 0x0f, &z);
	uint32_t u;

	if (n < 0)
		return n;
	u = (uint32_t)z;
	*ret_v = (int32_t)((u >> 1) ^ (0 - (u & 1)));
	return n;
}

#endif /* XRELAY_OCF_VARINT_H */
