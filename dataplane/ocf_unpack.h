/* SPDX-License-Identifier: MIT */
/*
 * A block's records back from its codec, for reading: inflated (deflate) or uncompressed with
 * their CRC32 checked (snappy, as the Avro spec frames it), and a block's first bytes without
 * unpacking all of it (the reader's peek at its first record). Compressing is ocf_block.c's;
 * finding blocks in a file is ocf_reader.c's. No I/O, no logging.
 */
#ifndef XRELAY_OCF_UNPACK_H
#define XRELAY_OCF_UNPACK_H

#include <stddef.h>
#include <stdint.h>

#include "ocf_format.h"

/* The most a block's records may take once unpacked. */
#define OCF_UNPACK_MAX (256u << 20)
/* Room for the reason ocf_unpack_block leaves. */
#define OCF_UNPACK_WHY 96

struct ocf_unpack;

/* Allocate an unpacker (buffers grow with use). Returns 0 and *@ret, or -ENOMEM. */
int ocf_unpack_new(struct ocf_unpack **ret);

/* Free. Accepts NULL. */
void ocf_unpack_free(struct ocf_unpack *u);

/*
 * Unpack the @len bytes of a block's data as stored under @codec (deflate or snappy; null is
 * the caller's: nothing to do) into @u's buffer: *@ret_data and *@ret_len stay valid until the
 * next call on @u. Returns 0; -EBADMSG (not a whole deflate stream, or snappy data that does
 * not uncompress), -EILSEQ (snappy: the CRC32 after the data is not that of what it
 * uncompresses to), -EFBIG (past OCF_UNPACK_MAX), -EINVAL (codec null or unknown), -ENOMEM;
 * on failure a phrase for the message goes to @why (OCF_UNPACK_WHY bytes).
 */
int ocf_unpack_block(struct ocf_unpack *u, enum ocf_codec codec, const uint8_t *data, size_t len,
		     const uint8_t **ret_data, size_t *ret_len, char *why);

/*
 * The first bytes (at most @outlen) of a block's records from the first @inlen bytes of its
 * stored data, into @out. Deflate inflates what it can of them. Snappy: without @all, the
 * bytes of the data's leading literal (a snappy stream starts with one, and for records led
 * by varints it nearly always holds the first record's first fields) that @in holds, nothing
 * uncompressed; with @all, @in is all of the block's data, which is uncompressed (its CRC32
 * checked): for when the literal is too short. Returns the bytes produced (>= 0, possibly
 * fewer than wanted), -EBADMSG (damage: loading the block words it) or -ENOMEM.
 */
int ocf_unpack_head(enum ocf_codec codec, const uint8_t *in, size_t inlen, int all, uint8_t *out,
		    size_t outlen);

#endif /* XRELAY_OCF_UNPACK_H */
