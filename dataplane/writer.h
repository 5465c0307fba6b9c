/* SPDX-License-Identifier: MIT */
/*
 * One channel's file shard of one worker: records gathered into Avro blocks (copied into the
 * block buffer), each finished block written with one io_uring write at an offset reserved in
 * the file, files rotated by size, age or on request, closed and renamed once their writes are
 * done. Owned by one worker thread; it submits to that worker's ring and is told of each
 * completion. Library-like: counts, never logs (the caller logs what writer_* report).
 */
#ifndef XRELAY_DP_WRITER_H
#define XRELAY_DP_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

#include <liburing.h>
#include <linux/types.h>

#include "ocf.h"

struct writer;
struct wop;
struct budget;

struct writer_opts {
	int dir_fd;	     /* <out>/<channel>, kept open by the caller */
	const char *channel; /* copied */
	unsigned int queue;
	enum ocf_codec codec;
	const char *schema; /* the files' schema (JSON), owned by the caller, outliving the writer;
			       NULL: xrelay.Packet */
	__u64 rotate_bytes;
	__u64 rotate_ns;
	__u64 flush_ns; /* the longest a record waits in memory before its block is written */
	void *owner;	/* the caller's, given back by writer_op_owner */
	bool fsync;	/* a closed file is synced, renamed, and its folder synced */
	struct budget *budget; /* block memory shared with other writers; NULL: unbounded */
};

/* What a completion or a tick changed, for the caller's counters and logs. */
struct writer_report {
	__u64 recorded_packets;
	__u64 recorded_bytes;
	__u64 write_errors;
	__u64 dropped;		   /* records lost for good (write failed after retries) */
	__u64 dropped_no_file;	   /* records lost: their file could not be opened */
	char opened[OCF_NAME_MAX]; /* a file was opened: its name */
	char closed[OCF_NAME_MAX]; /* a file was closed: its final name */
	int error;		   /* the last -errno seen, for the log */
};

int writer_new(const struct writer_opts *o, struct writer **ret);

/*
 * Add one record ([@hdr][@payload]). A full block is written first (opening a file when none
 * is open; if that fails, that block's records are reported in dropped_no_file). Returns 0 or
 * -errno: the record was not taken (count it as dropped: -ENOBUFS every block buffer busy
 * or the memory budget spent,
 * -EMSGSIZE longer than a block, another -errno the codec's failure).
 */
int writer_add(struct writer *w, struct io_uring *ring, const void *hdr, size_t hdr_len,
	       const void *payload, size_t payload_len, __u64 now_ns, struct writer_report *rep);

/* Payload pieces writer_addv takes at most. */
#define WRITER_PIECES_MAX 32

/*
 * writer_add of a payload in @npayload pieces (at most WRITER_PIECES_MAX, else -EMSGSIZE),
 * such as a datagram that spans several UMEM frames.
 */
int writer_addv(struct writer *w, struct io_uring *ring, const void *hdr, size_t hdr_len,
		const struct iovec *payload, unsigned int npayload, __u64 now_ns,
		struct writer_report *rep);

/*
 * Time passes: write a block older than flush_ns, rotate a file past its size or age, or
 * (@rotate) rotate now. Never blocks.
 */
void writer_tick(struct writer *w, struct io_uring *ring, __u64 now_ns, bool rotate,
		 struct writer_report *rep);

/*
 * A writer's operation @op (a block's write, a file's fsync) completed with @res (the CQE's).
 * May resubmit; may close a file.
 */
void writer_complete(struct writer *w, struct io_uring *ring, struct wop *op, int res,
		     struct writer_report *rep);

/*
 * Stop: write what is gathered and close files as their writes finish. Returns true when
 * nothing is in flight any more and every file is closed (then writer_free).
 */
bool writer_drain(struct writer *w, struct io_uring *ring, struct writer_report *rep);

/* Free (nothing may be in flight). Accepts NULL. */
void writer_free(struct writer *w);

/* Blocks in flight (the caller waits on its ring while > 0 before freeing). */
unsigned int writer_inflight(const struct writer *w);

/*
 * A writer's SQEs carry a struct wop pointer as user_data (cqetag.h); this gives back the
 * owner of the writer that submitted it.
 */
void *writer_op_owner(const struct wop *op);

#endif
