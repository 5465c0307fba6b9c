/* SPDX-License-Identifier: MIT */
/*
 * Retention: removing closed files from the output folder, oldest first, past a channel's
 * limits (channel_cfg's retain_seconds and retain_bytes) and while the folder's file system has
 * less free space than --keep-free. Runs in a thread of its own (never in a worker: a folder
 * scan and an unlink are syscalls that may take milliseconds), which logs each removal and counts it in the
 * dp_stats row of the file's (queue, channel): files_deleted, bytes_deleted (the only writer
 * of those two fields).
 *
 * Never removed: a file being written (.avro.part), anything whose name the dataplane did not
 * make, and a file a reader holds a flock on (shared or exclusive): readers that must not lose a
 * file while they read it take flock(fd, LOCK_SH) on it; the removal takes LOCK_EX | LOCK_NB
 * first and skips the file while that fails, until a later pass.
 */
#ifndef XRELAY_DP_RETAIN_H
#define XRELAY_DP_RETAIN_H

#include <stdbool.h>

#include <linux/types.h>

#include "xrelay/mapctl.h"

/* --keep-free: a share of the file system's size, or a number of bytes; 0 = off. */
struct retain_keep {
	__u64 value;
	bool percent; /* value is 0-99 percent of the file system's size */
};

struct retain_opts {
	int out_fd;	     /* the output folder, kept open by the caller */
	const char *out_dir; /* for the logs */
	struct mapctl *m;    /* the channel config and the counters */
	struct retain_keep keep;
	__u64 interval_ms; /* how often free space is checked (100 if 0) */
	__u64 limits_ms;   /* how often channels' limits are applied (1000 if 0) */
};

/* What one pass did. */
struct retain_report {
	unsigned int scanned; /* folders scanned */
	unsigned int removed; /* files removed */
	__u64 bytes;	      /* their sizes */
	unsigned int busy;    /* files left because a reader holds a lock on them */
	__u64 short_bytes;    /* free space still missing for --keep-free after the pass */
};

struct retain;

/*
 * Parse --keep-free: "N%" (0-99) or a size in bytes with an optional K, M, G or T suffix
 * (powers of 1024; "0" = off). Returns 0 or -EINVAL (*@ret untouched). Pure.
 */
int retain_parse_keep(const char *s, struct retain_keep *ret);

/* Make the retention of @o (copied; its fds and maps stay the caller's). 0 or -ENOMEM. */
int retain_new(const struct retain_opts *o, struct retain **ret);

/*
 * One pass now, in the calling thread, as the thread runs it: free space checked; when it is
 * short, or @limits, every folder scanned and files removed. @now_ns is CLOCK_REALTIME.
 * Returns 0 or -errno of the output folder (statvfs); per-file failures are logged and
 * skipped. Blocks on the file system. Not concurrently with the thread.
 */
int retain_pass(struct retain *r, __u64 now_ns, bool limits, struct retain_report *rep);

/* Start the thread ("xr-retain"). Returns 0 or -errno. */
int retain_start(struct retain *r);

/* Stop the thread (if started) and free. Waits for a pass in progress. Accepts NULL. */
void retain_free(struct retain *r);

#endif
