/* SPDX-License-Identifier: MIT */
/*
 * How the dataplane follows the channel config in the maps, for the whole process: one
 * snapshot of channel_cfg per config generation, taken by the main thread under the editors'
 * shared lock and published to the workers; the multicast groups of the channels captured;
 * and the release of a removed channel's id once every worker has closed its files. Each
 * worker's own channel table applies the published snapshot (chantab.h).
 *
 * Publication is read-copy-update: the main thread swaps in a new snapshot and frees the old
 * one only once every worker has announced (follow_quiesce) that it holds none older.
 *
 * Release protocol (mapctl.h invariant 2): a worker publishes as its seen generation that of
 * the last snapshot it applied once none of its channels is closing or draining. A snapshot
 * taken under the editors' lock shows a removal (DRAINING) only after the editor's config_gen
 * bump, so a worker whose seen generation reaches the snapshot's has closed that channel's
 * files; then the id is released. The dataplane never bumps config_gen itself (maps.h
 * reserves it for editors; mapctl_channel_release, an edit, bumps it).
 */
#ifndef XRELAY_DP_FOLLOW_H
#define XRELAY_DP_FOLLOW_H

#include <linux/types.h>

#include "xrelay/mapctl.h"

struct follow;

/* One published snapshot, read-only once published. */
struct follow_snap {
	__u64 gen;		  /* config_gen it was taken at */
	struct follow_snap *next; /* on the main thread's list of retired snapshots */
	struct xrelay_channel_cfg cfg[XRELAY_MAX_CHANNELS];
};

/*
 * Make the follower of @m for @nreaders workers (their queues 0 .. @nreaders - 1), joining
 * captured groups on @ifindex (@ifname, kept, for the logs). No snapshot yet: the first
 * follow_tick takes one. Each reader's seen generation starts at the current config_gen (it
 * holds no channel yet). Returns 0 or -ENOMEM, -EINVAL (@nreaders > XRELAY_MAX_QUEUES).
 */
int follow_new(struct mapctl *m, int ifindex, const char *ifname, unsigned int nreaders,
	       struct follow **ret);

/*
 * Leave every group and free every snapshot. No reader may run any more. Accepts NULL.
 */
void follow_free(struct follow *f);

/*
 * The main thread's turn, every few ms: if config_gen moved, take and publish a snapshot
 * (joining and leaving groups, noting removals); publish the workers' least seen generation
 * (meta.dp_seen_gen); release removed ids that every worker has closed; free retired
 * snapshots no worker holds. A map error leaves the work for the next turn. Main thread only;
 * may block briefly on the editors' lock.
 */
void follow_tick(struct follow *f);

/*
 * A reader's (worker @reader's) view: the newest published snapshot, or NULL before the
 * first. Valid until the reader's next follow_quiesce. Never blocks.
 */
const struct follow_snap *follow_acquire(struct follow *f);

/*
 * Reader @reader is done with @s (from its last follow_acquire; NULL if it had none) and
 * holds no snapshot until its next follow_acquire. Never blocks.
 */
void follow_quiesce(struct follow *f, unsigned int reader, const struct follow_snap *s);

/*
 * Reader @reader has applied the snapshot of generation @gen and has no channel of it closing
 * or draining. Never blocks.
 */
void follow_seen(struct follow *f, unsigned int reader, __u64 gen);

/*
 * Reader @reader (socket backend) has opened the sockets of every channel active in the
 * snapshot of generation @gen; the main thread publishes the least such generation as
 * meta.dp_open_gen, which the API waits for before it answers a POST.
 */
void follow_opened(struct follow *f, unsigned int reader, __u64 gen);

#endif
