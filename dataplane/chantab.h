/* SPDX-License-Identifier: MIT */
/*
 * One worker's channel table: its state of each channel it serves (config, destination
 * sockets, file shard, sequence numbers), opened on the channel's first frame from the maps,
 * then kept in step with the snapshots follow.h publishes: changes applied, a removed channel
 * served through a close grace, then its shard drained and closed before the worker reports
 * the generation seen (which lets the main thread release the id). Owned by one worker thread,
 * which calls every function here; none blocks.
 */
#ifndef XRELAY_DP_CHANTAB_H
#define XRELAY_DP_CHANTAB_H

#include <stdbool.h>

#include <liburing.h>
#include <linux/types.h>

#include "dp.h"
#include "resend.h"
#include "umem.h"
#include "stats.h"

struct shard;

/*
 * A removed channel keeps recording this long before its files close: frames the XDP program
 * redirected before the key went away may still be in the ring, and belong in the file.
 */
#define CHANTAB_CLOSE_GRACE_NS (100 * 1000000ull)
/*
 * ... and it waits, past the grace, until the worker has taken every frame that was on its rx
 * ring when the grace ended (an overloaded ring holds a backlog), but no longer than this.
 * Its id is only released after, so an old frame is never taken for a new channel's on that
 * id. Numbers given to the channel and not seen by then were lost: counted as ring_full.
 */
#define CHANTAB_CLOSE_MAX_NS (3 * 1000000000ull)

/* This worker's view of one channel (one incarnation of one id). */
struct wchan {
	__u32 id;
	struct xrelay_channel_cfg cfg;
	struct resend_dests dests;
	struct shard *shard; /* NULL until the first record, and when record is off */
	struct xrelay_dp_chan_stats *st;
	bool seq_seen;
	__u64 first_seq;
	__u64 next_seq;
	__u64 close_at;	 /* removed: close at this CLOCK_MONOTONIC time; 0 = live */
	__u64 drain_seq; /* removed: the XDP program had numbered this many for the pair */
	__u32 drain_pos; /* removed, grace over: the rx ring's produced count then */
	bool drain_pos_set;
	__u64 shard_retry_at; /* the shard could not open: not again before (CLOCK_MONOTONIC) */
};

struct chantab {
	const struct dp *dp;
	unsigned int queue;
	struct io_uring *ring;
	struct resend *rs;
	const struct umem
		*u; /* the worker's rx ring, for a removed channel's backlog; NULL: none */
	struct wchan *ch[XRELAY_MAX_CHANNELS];
	struct shard *draining;
	__u64 gen_applied; /* generation of the last snapshot applied to ch[] */
	bool open_all;	   /* every active channel is opened from the snapshot (socket backend) */
	__u64 open_gen;	   /* and this snapshot's were; ~0: none yet */
	unsigned int closing; /* channels removed, in their close grace */
};

/*
 * Set up @t for the worker of @queue: shards from @dp's options submitting to @ring,
 * destinations through @rs, the config followed through dp->follow (reader @queue). It holds
 * no channel; it starts at the current config_gen.
 */
void chantab_init(struct chantab *t, const struct dp *dp, unsigned int queue, struct io_uring *ring,
		  struct resend *rs);

/*
 * Open channel @id on its first frame, from the maps (channel_cfg): its destinations' sockets
 * (its shard waits for its first record). A channel removed before this worker saw its first
 * frame is opened already closing when frames numbered for it wait on this queue (they were
 * received while it existed). Returns it, or NULL when the id is not an active channel, or a
 * removed one with nothing waiting (or no memory).
 */
struct wchan *chantab_open(struct chantab *t, __u32 id);

/* The channel of a frame stamped @id (< XRELAY_MAX_CHANNELS), opened if new. Per packet. */
static inline struct wchan *chantab_get(struct chantab *t, __u32 id)
{
	struct wchan *wc = t->ch[id];

	return wc ? wc : chantab_open(t, id);
}

/*
 * Open @wc's shard, unless it failed less than a second ago (retried, and logged, once a
 * second, not per frame). Returns it or NULL.
 */
struct shard *chantab_shard_open(struct chantab *t, struct wchan *wc);

/* @wc's shard for a record, opened on the first one. Per packet. */
static inline struct shard *chantab_shard(struct chantab *t, struct wchan *wc)
{
	return wc->shard ? wc->shard : chantab_shard_open(t, wc);
}

/*
 * Follow the config (not per packet: on the worker's idle turn): apply a newer published
 * snapshot (changed channels take their new config and sockets; removed ones enter their
 * close grace; with open_all, active channels not yet open are opened), close channels whose grace is over, move draining shards along, and report
 * the generation seen once nothing is closing or draining.
 */
void chantab_reconcile(struct chantab *t);

/* Time passes for every shard (wall time @now_ns; @rotate: start new files now). */
void chantab_tick(struct chantab *t, __u64 now_ns, bool rotate);

/* Stop: close every channel now, no grace; their shards drain (chantab_reconcile moves them). */
void chantab_close_all(struct chantab *t);

/* Whether no shard is draining. */
static inline bool chantab_drained(const struct chantab *t)
{
	return !t->draining;
}

/* Free everything at once (nothing may be in flight any more). */
void chantab_fini(struct chantab *t);

/*
 * The sequence numbers of @wc's (channel, queue), which the worker alone writes. The next one
 * it expects: before its first frame, the one after all that the books have settled for the
 * pair (0 for a new channel; after a restart, what the XDP program had given out then).
 */
static inline __u64 wchan_seq_next(struct wchan *wc)
{
	if (!wc->seq_seen) {
		wc->seq_seen = true;
		wc->first_seq = wc->next_seq = stats_settled(wc->st);
	}
	return wc->next_seq;
}

/*
 * Frame @seq came: a gap before it is frames lost before the worker (rx ring full). The
 * numbers only move forward: generic XDP may run one queue on several CPUs, so a frame can
 * arrive after a later-numbered one; it fills a gap counted before, so it is taken back.
 */
static inline void wchan_seq_track(struct wchan *wc, __u64 seq)
{
	__u64 next = wchan_seq_next(wc);

	if (seq >= next) {
		if (seq > next)
			stats_add(&wc->st->drops[XRELAY_DROP_XSK_GAP], seq - next);
		wc->next_seq = seq + 1;
	} else if (seq >= wc->first_seq && wc->st->drops[XRELAY_DROP_XSK_GAP]) {
		__atomic_store_n(&wc->st->drops[XRELAY_DROP_XSK_GAP],
				 wc->st->drops[XRELAY_DROP_XSK_GAP] - 1, __ATOMIC_RELAXED);
	}
}

/*
 * The XDP program had numbered @given for the pair, and the frames past those the worker saw
 * are not coming (an idle ring, a stop, a removed channel's last wait): counted as ring
 * losses, and the numbers move on (a straggler is taken back by wchan_seq_track).
 */
static inline void wchan_seq_tail(struct wchan *wc, __u64 given)
{
	__u64 next = wchan_seq_next(wc);

	if (given <= next)
		return;
	stats_add(&wc->st->drops[XRELAY_DROP_XSK_GAP], given - next);
	wc->next_seq = given;
}

#endif
