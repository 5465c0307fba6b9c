/* SPDX-License-Identifier: MIT */
/*
 * The oldest files of a folder scan, in bounded memory: of however many files are offered, the
 * OLDEST_MAX oldest (by last write, then name) are kept, and handed back oldest first. For
 * retention (retain.c), which removes files in that order; it touches no file itself.
 */
#ifndef XRELAY_DP_OLDEST_H
#define XRELAY_DP_OLDEST_H

#include <linux/types.h>

#include "ocf_name.h"
#include "xrelay/maps.h"

#define OLDEST_MAX 4096u /* files kept per set */

/* A closed file that may be removed. */
struct oldest_file {
	__u64 mtime_ns; /* its last write: when it was closed */
	__u64 size;	/* st_size: what the counters and max_bytes count */
	__u64 space;	/* st_blocks * 512: what its removal frees */
	__s32 id;	/* its channel's id, -1 for a folder no channel owns */
	__u32 queue;
	char folder[XRELAY_NAME_LEN];
	char name[OCF_NAME_MAX]; /* "" once removed */
};

/* A set: a max-heap on (mtime, name) until oldest_sort, so the newest kept is dropped first. */
struct oldest {
	struct oldest_file *f; /* room for OLDEST_MAX */
	unsigned int n;
};

/* Room for OLDEST_MAX files, none kept. Returns 0 or -ENOMEM. */
int oldest_init(struct oldest *o);

/* Free the room. Accepts an oldest_init'ed or zeroed set. */
void oldest_fini(struct oldest *o);

/* Offer @f: kept if fewer than OLDEST_MAX are, or if older than the newest kept (which goes). */
void oldest_push(struct oldest *o, const struct oldest_file *f);

/* The kept files in o->f[0 .. o->n - 1], oldest first. No push after this until n is reset. */
void oldest_sort(struct oldest *o);

#endif
