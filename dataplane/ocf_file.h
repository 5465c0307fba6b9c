/* SPDX-License-Identifier: MIT */
/*
 * The life cycle of one container file: created exclusively as .avro.part with its header,
 * offsets reserved for the blocks an asynchronous writer puts there, cut back after a failed
 * write, renamed to .avro when closed. It writes no block itself (the caller does, io_uring in
 * dataplane/writer.c); names are ocf_name.h's, leftovers of a crash ocf_recover.h's.
 */
#ifndef XRELAY_OCF_FILE_H
#define XRELAY_OCF_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "ocf_format.h"
#include "ocf_header.h"
#include "ocf_name.h"

/* Flags of ocf_file_close and ocf_recover. */
enum {
	OCF_F_FSYNC = 1u << 0,	    /* fsync the file before the rename and the directory after */
	OCF_F_DROP_EMPTY = 1u << 1, /* a file without records is removed, not renamed */
};

/* Positive results of ocf_file_close and ocf_recover (0 is "renamed to .avro"). */
enum {
	OCF_REMOVED = 1, /* the file was removed: nothing in it worth keeping */
};

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
	const uint8_t *sync; /* NULL: random (ocf_header_sync_random) */
	unsigned int mode;   /* file mode before umask; 0: 0644 */
	unsigned long n_min; /* the smallest <n> to take; 0: 1 */
};

/*
 * Create "<channel>-q<queue>-<YYYYmmddTHHMMSSZ of start_ns>-<n>.avro.part" in the directory
 * @dir_fd (which must stay open until ocf_file_close), with the smallest n >= max(1, n_min)
 * for which neither that name nor its ".avro" exists (O_CREAT|O_EXCL: nothing is ever overwritten, and
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

/* The <n> of the file's name. */
unsigned long ocf_file_n(const struct ocf_file *f);

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

#endif /* XRELAY_OCF_FILE_H */
