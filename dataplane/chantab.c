// SPDX-License-Identifier: MIT
/*
 * One worker's channel table (see chantab.h): open on the first frame, apply the published
 * config snapshots, close grace, drain, and the generation seen.
 */
#include <stdlib.h>
#include <string.h>

#include "chantab.h"
#include "follow.h"
#include "shard.h"
#include "stats.h"
#include "xrelay/log.h"

void chantab_init(struct chantab *t, const struct dp *dp, unsigned int queue, struct io_uring *ring,
		  struct resend *rs)
{
	memset(t, 0, sizeof(*t));
	t->dp = dp;
	t->queue = queue;
	t->ring = ring;
	t->rs = rs;
	t->gen_applied = mapctl_gen(dp->m);
	t->open_gen = ~0ull;
}

static void wchan_free(struct chantab *t, struct wchan *wc)
{
	shard_retire(wc->shard, &t->draining);
	resend_dests_close(&wc->dests);
	free(wc);
}

/* Serve channel @id with config @cfg on this queue: its destinations' sockets opened. */
static struct wchan *wchan_new(struct chantab *t, __u32 id, const struct xrelay_channel_cfg *cfg)
{
	struct wchan *wc = calloc(1, sizeof(*wc));

	if (!wc)
		return NULL;
	wc->cfg = *cfg;
	resend_dests_init(&wc->dests);
	if (wc->cfg.ndests > XRELAY_MAX_DESTS) /* an editor that is not mapctl: never trusted */
		wc->cfg.ndests = XRELAY_MAX_DESTS;
	wc->id = id;
	wc->st = stats_row(t->dp->m, t->queue, id);
	resend_dests_open(t->rs, &wc->dests, &wc->cfg, NULL);
	pr_info("channel %s: queue %u: serving (id %u, record %s, %u destination(s))", wc->cfg.name,
		t->queue, id, wc->cfg.flags & XRELAY_CH_F_RECORD ? "on" : "off", wc->cfg.ndests);
	t->ch[id] = wc;
	return wc;
}

/*
 * Channel @id is removed (@cfg, DRAINING) and this worker never served it: if the XDP program
 * numbered frames for it on this queue that the worker has not settled, they were received
 * while the channel existed and wait on the ring (a worker that lagged behind a short-lived
 * channel): serve it now, already closing, so that they are recorded, not dropped. Returns
 * it, or NULL when nothing waits (or no memory).
 */
static struct wchan *drain_unopened(struct chantab *t, __u32 id,
				    const struct xrelay_channel_cfg *cfg)
{
	struct xrelay_dp_chan_stats *row = stats_row(t->dp->m, t->queue, id);
	struct wchan *wc;
	__u64 given;

	if (stats_seq_given(t->dp->m, t->queue, id, &given) || given <= stats_settled(row))
		return NULL;
	wc = wchan_new(t, id, cfg);
	if (!wc)
		return NULL;
	wc->drain_seq = given;
	wc->close_at = dp_now_mono() + CHANTAB_CLOSE_GRACE_NS;
	t->closing++;
	pr_info("channel %s: queue %u: removed with %llu frame(s) not yet taken: recording them",
		cfg->name, t->queue, (unsigned long long)(given - stats_settled(row)));
	return wc;
}

struct wchan *chantab_open(struct chantab *t, __u32 id)
{
	struct xrelay_channel_cfg cfg;

	if (mapctl_channel_get(t->dp->m, id, &cfg))
		return NULL;
	if (cfg.state == XRELAY_CH_DRAINING) /* removed before this worker saw its first frame */
		return drain_unopened(t, id, &cfg);
	return cfg.state == XRELAY_CH_ACTIVE ? wchan_new(t, id, &cfg) : NULL;
}

struct shard *chantab_shard_open(struct chantab *t, struct wchan *wc)
{
	if (dp_now_mono() < wc->shard_retry_at)
		return NULL;
	if (shard_open(t->dp, t->ring, wc->id, &wc->cfg, t->queue, wc->st, &wc->shard)) {
		wc->shard = NULL;
		wc->shard_retry_at = dp_now_mono() + 1000000000ull;
	}
	return wc->shard;
}

/* A newer snapshot: close removed channels (after their grace), apply changed ones. */
static void apply(struct chantab *t, const struct follow_snap *snap)
{
	__u32 id;

	for (id = 0; id < XRELAY_MAX_CHANNELS; id++) {
		struct wchan *wc = t->ch[id];
		const struct xrelay_channel_cfg *s = &snap->cfg[id];
		struct xrelay_channel_cfg old;

		/*
		 * Slot generations only grow: an older one than ours is a snapshot taken before
		 * chantab_open read the slot, and says nothing about this incarnation.
		 */
		if (!wc) {
			if (s->state == XRELAY_CH_DRAINING)
				(void)drain_unopened(t, id, s);
			continue;
		}
		if (s->generation < wc->cfg.generation)
			continue;
		if (s->state != XRELAY_CH_ACTIVE || s->created_ns != wc->cfg.created_ns) {
			if (!wc->close_at) {
				/* The key is gone: no number past this one goes to this incarnation. */
				(void)stats_seq_given(t->dp->m, t->queue, id, &wc->drain_seq);
				wc->close_at = dp_now_mono() + CHANTAB_CLOSE_GRACE_NS;
				t->closing++;
			}
			continue;
		}
		if (s->generation == wc->cfg.generation)
			continue;
		old = wc->cfg;
		wc->cfg = *s;
		if (wc->cfg.ndests > XRELAY_MAX_DESTS)
			wc->cfg.ndests = XRELAY_MAX_DESTS;
		resend_dests_open(t->rs, &wc->dests, &wc->cfg, &old);
		if (!(s->flags & XRELAY_CH_F_RECORD) && wc->shard) {
			shard_retire(wc->shard, &t->draining);
			wc->shard = NULL;
		}
	}
	t->gen_applied = snap->gen;
}

void chantab_reconcile(struct chantab *t)
{
	struct follow *f = t->dp->follow;
	const struct follow_snap *snap = follow_acquire(f);
	__u32 id;

	if (snap && snap->gen > t->gen_applied)
		apply(t, snap);
	if (snap && t->open_all && snap->gen != t->open_gen) {
		for (id = 0; id < XRELAY_MAX_CHANNELS; id++)
			if (!t->ch[id] && snap->cfg[id].state == XRELAY_CH_ACTIVE)
				(void)chantab_open(t, id);
		t->open_gen = snap->gen;
		follow_opened(f, t->queue, snap->gen);
	}
	follow_quiesce(f, t->queue, snap);
	/*
	 * Removed channels whose grace is over and whose frames on the ring then were all taken
	 * (or their last numbered one came, or CHANTAB_CLOSE_MAX_NS passed): their shards drain
	 * and close; numbers never seen were lost, counted now.
	 */
	for (id = 0; t->closing && id < XRELAY_MAX_CHANNELS; id++) {
		struct wchan *wc = t->ch[id];
		__u64 now = dp_now_mono();

		__u32 produced = 0, consumed = 0;

		if (!wc || !wc->close_at || now < wc->close_at)
			continue;
		if (t->u)
			umem_rx_pos(t->u, &produced, &consumed);
		if (!wc->drain_pos_set) {
			wc->drain_pos = produced;
			wc->drain_pos_set = true;
		}
		if (wchan_seq_next(wc) < wc->drain_seq && (__s32)(consumed - wc->drain_pos) < 0 &&
		    now < wc->close_at - CHANTAB_CLOSE_GRACE_NS + CHANTAB_CLOSE_MAX_NS)
			continue;
		wchan_seq_tail(wc, wc->drain_seq);
		pr_info("channel %s: queue %u: closing", wc->cfg.name, t->queue);
		t->ch[id] = NULL;
		t->closing--;
		wchan_free(t, wc);
	}
	/* Draining shards: free those whose files are all closed. */
	if (shard_drain(&t->draining) && !t->closing)
		follow_seen(f, t->queue, t->gen_applied);
}

void chantab_tick(struct chantab *t, __u64 now_ns, bool rotate)
{
	__u32 id;

	for (id = 0; id < XRELAY_MAX_CHANNELS; id++) {
		struct wchan *wc = t->ch[id];

		if (wc && wc->shard)
			shard_tick(wc->shard, now_ns, rotate);
	}
}

void chantab_close_all(struct chantab *t)
{
	__u32 id;

	for (id = 0; id < XRELAY_MAX_CHANNELS; id++) {
		if (t->ch[id]) {
			wchan_free(t, t->ch[id]);
			t->ch[id] = NULL;
		}
	}
	t->closing = 0;
}

void chantab_fini(struct chantab *t)
{
	chantab_close_all(t);
	shard_free_all(&t->draining);
}
