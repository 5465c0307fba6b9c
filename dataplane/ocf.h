/* SPDX-License-Identifier: MIT */
/*
 * Avro object container files (OCF) as the dataplane writes them: Avro binary varints, the
 * container header, envelope record headers, blocks assembled in a buffer of their own (copied
 * or deflated), and the file life cycle (.avro.part created
 * exclusively, renamed to .avro when closed, cut back to its last whole block after a crash).
 * It does not own the I/O loop: blocks are handed to the caller as iovecs to submit (io_uring;
 * tests and benchmarks write them with tests/util/testocf.h). It does not log.
 *
 * Invariants of a file written through this module:
 *  1. A file name is never reused and nothing is overwritten: .avro.part is created with
 *     O_EXCL, and renamed with RENAME_NOREPLACE semantics (the next free <n> if taken).
 *  2. A block holds at least one record and is written whole (one writev) or cut away at
 *     recovery; blocks end with the header's sync marker, which is how recovery finds them.
 *  3. Only names of the form <channel>-q<queue>-<YYYYmmddTHHMMSSZ>-<n>.avro[.part] inside the
 *     directory given are created, renamed, truncated or removed.
 *
 * Thread safety: objects (struct ocf_block, struct ocf_file) belong to one thread at a time;
 * functions on different objects may run concurrently. The pure encoders never block.
 */
#ifndef XRELAY_OCF_H
#define XRELAY_OCF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "xrelay/avro.h"

#define OCF_MAGIC "Obj\x01"
#define OCF_MAGIC_LEN 4
#define OCF_SYNC_SIZE 16
#define OCF_LONG_MAX_BYTES 10 /* a zigzag varint long */
#define OCF_INT_MAX_BYTES 5   /* a zigzag varint int */
/* A block's prefix: object count and byte size, two longs. */
#define OCF_BLOCK_PREFIX_MAX (2 * OCF_LONG_MAX_BYTES)
/* Largest header ocf_header builds and ocf_recover parses. */
#define OCF_HEADER_MAX (1u << 20)
/* Longest file name this module makes, with its terminating NUL. */
#define OCF_NAME_MAX 128
#define OCF_CHANNEL_MAX 63
/* Records of one block at most (the bound IOV_MAX set when a block could be an iovec array). */
#define OCF_BLOCK_RECORDS_MAX 1022

enum ocf_codec {
	OCF_CODEC_NULL = 0,
	OCF_CODEC_DEFLATE = 1, /* raw DEFLATE (RFC 1951), as the Avro spec says */
};

/* Flags of ocf_file_close and ocf_recover. */
enum {
	OCF_F_FSYNC = 1u << 0,	    /* fsync the file before the rename and the directory after */
	OCF_F_DROP_EMPTY = 1u << 1, /* a file without records is removed, not renamed */
};

/* Positive results of ocf_file_close and ocf_recover (0 is "renamed to .avro"). */
enum {
	OCF_REMOVED = 1, /* the file was removed: nothing in it worth keeping */
};

/* ---- Avro binary varints --------------------------------------------------------------- */

/*
 * Write @v as an Avro long (zigzag, then base-128 varint, least significant group first) into
 * @buf of @len bytes. Returns the bytes written (1..OCF_LONG_MAX_BYTES) or -ENOSPC, in which
 * case nothing was written.
 */
int ocf_put_long(uint8_t *buf, size_t len, int64_t v);

/* The same for an Avro int: 1..OCF_INT_MAX_BYTES bytes, or -ENOSPC. */
int ocf_put_int(uint8_t *buf, size_t len, int32_t v);

/* Bytes ocf_put_long would write for @v. */
unsigned int ocf_long_size(int64_t v);

/*
 * Read an Avro long from @buf of @len bytes into *@ret_v. Returns the bytes consumed,
 * -ENODATA if @buf ends inside the varint, -EBADMSG if it is longer than a long can be or
 * overflows 64 bits. *@ret_v is untouched on failure.
 */
int ocf_get_long(const uint8_t *buf, size_t len, int64_t *ret_v);

/* The same for an Avro int (at most 5 bytes, 32 bits). */
int ocf_get_int(const uint8_t *buf, size_t len, int32_t *ret_v);

/* ---- Names ------------------------------------------------------------------------------ */

/* "null" or "deflate"; NULL for another value. */
const char *ocf_codec_name(enum ocf_codec codec);

/* Whether @name is a channel name: [A-Za-z0-9_-]{1,63}. */
bool ocf_channel_valid(const char *name);

/* Fill @sync with random bytes (getrandom). Returns 0 or -errno. May block only early at boot. */
int ocf_sync_random(uint8_t sync[OCF_SYNC_SIZE]);

/* ---- The container header -------------------------------------------------------------- */

/* One extra metadata entry. Keys starting "avro." and the xrelay keys are refused. */
struct ocf_meta {
	const char *key;
	const void *val;
	size_t len;
};

struct ocf_header_opts {
	const char *schema;	      /* the file's schema as JSON; NULL: XRELAY_PACKET_SCHEMA */
	enum ocf_codec codec;	      /* avro.codec */
	const char *channel;	      /* xrelay.channel, a valid channel name */
	unsigned int queue;	      /* xrelay.queue */
	const char *host;	      /* xrelay.host; NULL: gethostname() */
	const char *writer;	      /* xrelay.writer; NULL: XRELAY_WRITER_VERSION */
	const struct ocf_meta *extra; /* more entries, @nextra of them (may be NULL) */
	size_t nextra;
	uint8_t sync[OCF_SYNC_SIZE]; /* the file's sync marker (see ocf_sync_random) */
};

/*
 * Build the container header: magic "Obj\x01", the metadata map (avro.schema, avro.codec,
 * xrelay.channel, xrelay.queue, xrelay.host, xrelay.writer, then the extra entries in their
 * order) and the sync marker. Returns its length, or -ENOSPC if @len is too small (see
 * ocf_header_size; nothing useful is left in @buf), -EINVAL (bad channel, codec, extra key, or
 * a duplicate key), -EMSGSIZE (longer than OCF_HEADER_MAX), or -errno of gethostname.
 */
int ocf_header(const struct ocf_header_opts *o, uint8_t *buf, size_t len);

/* The length ocf_header would return for @o, or the same negative errors. */
int ocf_header_size(const struct ocf_header_opts *o);

/* ---- Envelope records (schema xrelay.Packet) ------------------------------------------- */

/* One packet's fields; addresses and ports as on the wire (network byte order addresses). */
struct ocf_envelope {
	int64_t seq;
	int64_t ts_ns;
	const void *src_addr; /* src_len bytes: 4 (IPv4) or 16 (IPv6) */
	const void *dst_addr; /* dst_len bytes: 4 or 16 */
	uint8_t src_len;
	uint8_t dst_len;
	uint16_t src_port; /* host byte order */
	uint16_t dst_port;
	uint32_t payload_len; /* at most XRELAY_PACKET_PAYLOAD_MAX */
};

/*
 * Encode one record's header: every field up to and including the payload's length prefix,
 * so that the whole record is [header][payload bytes]. Returns the header's length (at most
 * XRELAY_PACKET_HDR_MAX), -EINVAL (address length not 4 or 16, payload too long) or -ENOSPC
 * (@len too small; nothing written). Pure, never blocks.
 */
int ocf_envelope_hdr(const struct ocf_envelope *e, uint8_t *buf, size_t len);

/* ---- Blocks ----------------------------------------------------------------------------- */

/*
 * A block in the making: [object count][byte size][records][sync marker], in a buffer owned
 * by the block, so the caller's records may be reused as soon as they are added:
 *  - codec null: records are copied in;
 *  - codec deflate: records are compressed as they are added (raw DEFLATE, zlib windowBits
 *    -15), and the block is [count][compressed size][compressed data][sync].
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
 * 256 KiB of zlib state and an output buffer of that input's deflateBound). Returns 0 and the
 * block in *@ret, -EINVAL (bad options) or -ENOMEM.
 */
int ocf_block_new(const struct ocf_block_opts *o, struct ocf_block **ret);

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
 * (already finished), or -EIO (zlib failed). Never blocks.
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

/* ---- Files ------------------------------------------------------------------------------ */

struct ocf_file;

struct ocf_file_opts {
	const char *channel; /* [A-Za-z0-9_-]{1,63}: the name's first part */
	unsigned int queue;  /* rx queue of the shard */
	int64_t start_ns;    /* start time, ns since the epoch (UTC), >= 0 */
	enum ocf_codec codec;
	const char *schema;	      /* NULL: XRELAY_PACKET_SCHEMA */
	const char *host;	      /* NULL: gethostname() */
	const struct ocf_meta *extra; /* further metadata, as for ocf_header */
	size_t nextra;
	const uint8_t *sync; /* NULL: random (ocf_sync_random) */
	unsigned int mode;   /* file mode before umask; 0: 0644 */
};

/*
 * Create "<channel>-q<queue>-<YYYYmmddTHHMMSSZ of start_ns>-<n>.avro.part" in the directory
 * @dir_fd (which must stay open until ocf_file_close), with the smallest n >= 1 for which
 * neither that name nor its ".avro" exists (O_CREAT|O_EXCL: nothing is ever overwritten, and
 * two files started in the same second get two names), and write the header. Returns 0 and
 * the file in *@ret, -EINVAL (bad options), -EEXIST (10000 names taken), -EMSGSIZE (header
 * too long) or another -errno (the .part is removed again). Blocks on the file system.
 */
int ocf_file_open(int dir_fd, const struct ocf_file_opts *o, struct ocf_file **ret);

/*
 * Close the file (no write may be in flight): with OCF_F_FSYNC fsync it, rename the .avro.part
 * to .avro without overwriting (if that .avro exists, the next free <n> is taken), with
 * OCF_F_FSYNC fsync the directory. With OCF_F_DROP_EMPTY a file holding no record is removed
 * instead and OCF_REMOVED returned. The final name (or "") goes to @ret_name if not NULL.
 * Returns 0, OCF_REMOVED or -errno; @f is freed in every case (on failure the .part stays for
 * ocf_recover). Accepts NULL (returns 0). Blocks on the file system.
 */
int ocf_file_close(struct ocf_file *f, unsigned int flags, char *ret_name, size_t len);

/* The file's descriptor (write-only, owned by @f), for the caller's own writes. */
int ocf_file_fd(const struct ocf_file *f);

/* The file's current name (the .avro.part), owned by @f. */
const char *ocf_file_name(const struct ocf_file *f);

/* The file's sync marker (OCF_SYNC_SIZE bytes), owned by @f: finish its blocks with it. */
const uint8_t *ocf_file_sync(const struct ocf_file *f);

/* Bytes written or reserved so far, header included: where the next block goes. */
uint64_t ocf_file_size(const struct ocf_file *f);

/* Records written or reserved so far. */
uint64_t ocf_file_records(const struct ocf_file *f);

/*
 * For an asynchronous writer: take the next @size bytes of the file for a block of @records
 * records and return their offset; the caller writes the block there (io_uring writev at that
 * offset). Size and records count at once, so rotation decisions see queued blocks. Never
 * blocks, never fails.
 */
uint64_t ocf_file_reserve(struct ocf_file *f, size_t size, unsigned int records);

/*
 * Cut the file back to @offset (a block boundary from ocf_file_reserve, or the header's end)
 * holding @records records: for an asynchronous write that failed, once no later write is in
 * flight. Returns 0, -EINVAL (@offset inside the header or beyond the size) or -errno.
 */
int ocf_file_rewind(struct ocf_file *f, uint64_t offset, uint64_t records);

/* ---- Recovery --------------------------------------------------------------------------- */

struct ocf_recover_info {
	uint64_t blocks;	 /* whole blocks kept */
	uint64_t records;	 /* records in them */
	uint64_t size;		 /* the file's size now */
	uint64_t cut;		 /* bytes cut from its end */
	char name[OCF_NAME_MAX]; /* the .avro name it has now; "" if removed */
};

/*
 * Recover "<channel>-q<queue>-<stamp>-<n>.avro.part" (@name, in @dir_fd) left by a writer that
 * died: parse the header, walk the blocks (count >= 1, size, sync marker equal to the
 * header's), cut the file at the end of the last whole block, and rename it to .avro without
 * overwriting (the next free <n> if taken). A file ending inside its header (or all zeros)
 * holds no block and is removed: OCF_REMOVED; so is one with no block under OCF_F_DROP_EMPTY.
 * With OCF_F_FSYNC the file and directory are synced. Only @name and its new name in @dir_fd
 * are touched (no symlinks followed). Details go to *@ret if not NULL.
 * Returns 0 (renamed), OCF_REMOVED, -EINVAL (@name not of that form, or not a regular file),
 * -EBADMSG (a header that is not an Avro header: the file is left as it is), or another -errno.
 * The file must not be open for writing by anyone. Blocks on the file system.
 */
int ocf_recover(int dir_fd, const char *name, unsigned int flags, struct ocf_recover_info *ret);

#endif /* XRELAY_OCF_H */
