/* SPDX-License-Identifier: MIT */
/*
 * Blocks of the container format: [object count][byte size][records][sync marker], assembled
 * in a buffer each block owns (records copied in, deflated as they are added, or snappy
 * compressed at the end), handed out as one iovec to write; and ocf_iov_advance, to resubmit
 * such iovecs after a short write. The file a block goes into and its sync marker are
 * ocf_file.h's.
 */
#ifndef XRELAY_OCF_BLOCK_H
#define XRELAY_OCF_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "ocf_format.h"
#include "ocf_varint.h"

/* A block's prefix: object count and byte size, two longs. */
#define OCF_BLOCK_PREFIX_MAX (2 * OCF_LONG_MAX_BYTES)
/* Records of one block at most (the bound IOV_MAX set when a block could be an iovec array). */
#define OCF_BLOCK_RECORDS_MAX 1022

/*
 * A block in the making: [object count][byte size][records][sync marker], in a buffer owned
 * by the block, so the caller's records may be reused as soon as they are added:
 *  - codec null: records are copied in;
 *  - codec deflate: records are compressed as they are added (raw DEFLATE, zlib windowBits
 *    -15), and the block is [count][compressed size][compressed data][sync];
 *  - codec snappy: records are copied into a second buffer and compressed at finish (libsnappy
 *    has no streaming API), and the block is [count][size][snappy data][CRC32 of the
 *    uncompressed records, 4 bytes big endian][sync], as the Avro spec frames it.
 * The finished block is one iovec. Life cycle: new -> add... -> finish -> (write completes)
 * -> reset -> add... ; free.
 */
struct ocf_block;

struct ocf_block_opts {
	enum ocf_codec codec;
	unsigned int max_records; /* 1..OCF_BLOCK_RECORDS_MAX; 0: 256 */
	size_t max_bytes;	  /* records' bytes (before compression) per block; 0: 256 KiB */
	size_t max_record;	  /* the longest one record; 0: XRELAY_PACKET_HDR_MAX +
				     XRELAY_PACKET_PAYLOAD_MAX */
	int deflate_level;	  /* 1..9; 0: 1 (fastest) */
};

/*
 * Allocate a block (its buffer of max(max_bytes, max_record) bytes and, for deflate, about
 * 256 KiB of zlib state and an output buffer of that input's deflateBound; for snappy, an
 * input buffer of that size and an output buffer of snappy_max_compressed_length + 4). Returns 0 and the
 * block in *@ret, -EINVAL (bad options) or -ENOMEM.
 */
int ocf_block_new(const struct ocf_block_opts *o, struct ocf_block **ret);

/* The memory @b holds, in bytes (its buffer and codec state): what a memory budget charges. */
size_t ocf_block_footprint(const struct ocf_block *b);

/* Free a block. Accepts NULL. Its write must not be in flight. */
void ocf_block_free(struct ocf_block *b);

/*
 * Add one record made of @nparts pieces (an envelope header and its payload, say); ocf_block_add
 * is the same for one contiguous record. A block that already holds records refuses one that
 * would take it past max_records or max_bytes: -ENOSPC, the block unchanged
 * (finish it, then add the record to the next). An empty block accepts any record of up to
 * max_record bytes even beyond max_bytes, so a block is never empty and every record fits
 * somewhere. Returns 0, -ENOSPC, -EMSGSIZE (record longer than max_record), -EBUSY (the
 * block is finished and not reset), -EINVAL (no parts) or -EIO (zlib failed; the block is
 * broken until reset). Never blocks; the record's bytes are taken before it returns.
 */
int ocf_block_addv(struct ocf_block *b, const struct iovec *parts, unsigned int nparts);
int ocf_block_add(struct ocf_block *b, const void *rec, size_t len);

/* Records in the block. */
unsigned int ocf_block_count(const struct ocf_block *b);

/* Bytes of the records in the block, before compression. */
size_t ocf_block_bytes(const struct ocf_block *b);

/* Whether the block takes no further record (max_records or max_bytes reached). */
bool ocf_block_full(const struct ocf_block *b);

/*
 * Close the block with the file's sync marker (copied) and hand out what to write: *@ret_iov
 * points at an iovec array owned by the block, valid until reset or free; the caller may
 * advance it (ocf_iov_advance) to resubmit after a short write. Returns the number of iovecs
 * (1), -ENODATA (no records: blocks are never empty), -EALREADY
 * (already finished), or -EIO (zlib or snappy failed). Never blocks.
 */
int ocf_block_finish(struct ocf_block *b, const uint8_t sync[OCF_SYNC_SIZE],
		     struct iovec **ret_iov);

/* Bytes the finished block occupies in the file (sum of its iovecs); 0 if not finished. */
size_t ocf_block_size(const struct ocf_block *b);

/* Empty the block for reuse. Its write must have completed (or been abandoned). */
void ocf_block_reset(struct ocf_block *b);

/*
 * Encode a block prefix, [@count][@size] as two longs, into @buf. Returns its length (at most
 * OCF_BLOCK_PREFIX_MAX) or -ENOSPC / -EINVAL (@count < 1 or @size < 0).
 */
int ocf_block_prefix(uint8_t *buf, size_t len, int64_t count, int64_t size);

/*
 * Step an iovec array past @done bytes already written: whole iovecs are skipped (*@iov and
 * *@iovcnt move on), the first partly written one is shortened in place.
 */
void ocf_iov_advance(struct iovec **iov, int *iovcnt, size_t done);

#endif /* XRELAY_OCF_BLOCK_H */
