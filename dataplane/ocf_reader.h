/* SPDX-License-Identifier: MIT */
/*
 * Reading container files back: the header and its metadata, the walk over whole blocks
 * (prefix, sync marker, the first record's seq and ts_ns peeked without decoding the block),
 * skipping the blocks before a time, and a block's records loaded (unpacked by ocf_unpack.c
 * for deflate and snappy). The one reader of the format: ocf_recover.c walks blocks with it, the tools (tools/) read with
 * it. Records are decoded by ocf_envelope_decode; merging files and shards is the tools'.
 * Nothing here logs: a failure leaves its sentence and byte offset in the reader.
 */
#ifndef XRELAY_OCF_READER_H
#define XRELAY_OCF_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ocf_format.h"

/* A positive result of ocf_reader_next: no block follows. */
#define OCF_READER_END 1

/* One whole block, as found by ocf_reader_block_at. */
struct ocf_reader_block {
	uint64_t off;	   /* where its prefix starts */
	uint64_t data_off; /* where its (compressed) records start */
	uint64_t end;	   /* just past its sync marker: where the next block starts */
	int64_t count;	   /* records, >= 1 */
	int64_t size;	   /* bytes of its records as stored (compressed, and snappy's CRC32) */
	int64_t first_seq; /* the first record's seq and ts_ns, if first_ok */
	int64_t first_ts;
	bool first_ok; /* false: not peeked (not an envelope file), or it did not decode */
};

/*
 * Read the block at @off of the file @fd of @fsize bytes whose header's sync marker is @sync:
 * its prefix (count >= 1, size >= 0), its sync marker, and its first record's
 * first two longs (@peek: NULL not to, else the file's codec; a snappy block whose leading
 * literal is too short for them is read whole). Returns 0 with the block in *@ret,
 * OCF_READER_END if @off == @fsize,
 * -ENODATA (the file ends inside the block: a torn tail), -EBADMSG (not a block prefix),
 * -EILSEQ (the block's end is not the sync marker) or -errno of pread. Blocks on the file.
 */
int ocf_reader_block_at(int fd, uint64_t off, uint64_t fsize, const uint8_t sync[OCF_SYNC_SIZE],
			const enum ocf_codec *peek, struct ocf_reader_block *ret);

/* pread @len bytes at @off, retrying short reads: the bytes read (less at the end of file). */
int ocf_reader_pread(int fd, void *buf, size_t len, uint64_t off);

struct ocf_reader;

/*
 * Open @path (relative to @dir_fd, or absolute) for reading and parse its header. Returns 0
 * and the reader in *@ret, or -errno with a sentence in @err (of @errlen bytes): -EBADMSG (not
 * an Avro object container file, or a header that does not parse), -ENODATA (the file ends
 * inside its header), -ENOTSUP (a codec other than null, deflate and snappy), -ENOMEM, or -errno of
 * open/read. The file's size is taken now: a file still being written is read up to there.
 */
int ocf_reader_open(int dir_fd, const char *path, struct ocf_reader **ret, char *err,
		    size_t errlen);

/* Close and free. Accepts NULL. */
void ocf_reader_close(struct ocf_reader *r);

/* The file's size (as opened), header length, codec and avro.schema (NUL-terminated). */
uint64_t ocf_reader_size(const struct ocf_reader *r);
uint64_t ocf_reader_header_len(const struct ocf_reader *r);
enum ocf_codec ocf_reader_codec(const struct ocf_reader *r);
const char *ocf_reader_schema(const struct ocf_reader *r);

/* Whether the schema is xrelay.Packet exactly as this project writes it (envelope records). */
bool ocf_reader_is_envelope(const struct ocf_reader *r);

/*
 * Copy the metadata value of @key as text into @buf of @len bytes (NUL-terminated, cut short
 * if it must). Returns its full length, or -ENOENT.
 */
int ocf_reader_meta(const struct ocf_reader *r, const char *key, char *buf, size_t len);

/*
 * The next whole block from the cursor (at first the block after the header), its first
 * record peeked (envelope files); the cursor moves past it. Returns 0, OCF_READER_END, or an error of
 * ocf_reader_block_at with its sentence and offset left in the reader (ocf_reader_error);
 * after an error the file is not read further (every call returns the same error).
 */
int ocf_reader_next(struct ocf_reader *r, struct ocf_reader_block *ret);

/* The block at the cursor, as ocf_reader_next would return it, without moving the cursor. */
int ocf_reader_peek(struct ocf_reader *r, struct ocf_reader_block *ret);

/*
 * Move the cursor past the blocks all of whose records are older than @from_ns: a block is
 * passed over when the block after it starts (first record) before @from_ns, on the
 * assumption that ts_ns does not decrease along a file (one queue's receive order). Only the
 * blocks' prefixes, first records and sync markers are read. Returns the blocks passed over
 * (>= 0); damage stops the walk where it is found and is reported by the next ocf_reader_next.
 */
int64_t ocf_reader_skip_before(struct ocf_reader *r, int64_t from_ns);

/*
 * Load @b's records (as ocf_reader_next returned it) into the reader's buffer, inflated for
 * deflate, uncompressed and their CRC32 checked for snappy: *@ret_data and *@ret_len are valid
 * until the next call on @r. Returns 0, -EBADMSG (the data does not inflate or uncompress to
 * a whole stream), -EILSEQ (snappy: a CRC32 mismatch), -EFBIG (past 256 MiB), -ENOMEM, or
 * -errno of pread; errors also leave their sentence (naming the block's byte offset).
 */
int ocf_reader_load(struct ocf_reader *r, const struct ocf_reader_block *b,
		    const uint8_t **ret_data, size_t *ret_len);

/* The sentence and byte offset of the last error ("" and 0 if none). */
const char *ocf_reader_error(const struct ocf_reader *r, uint64_t *ret_off);

/* Bytes of the file actually read so far (headers, heads and blocks; not counting re-reads). */
uint64_t ocf_reader_bytes_read(const struct ocf_reader *r);

#endif /* XRELAY_OCF_READER_H */
