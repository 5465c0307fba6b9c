// SPDX-License-Identifier: MIT
/*
 * The process's following of the channel config (see follow.h): the one snapshot per config
 * generation and its publication, captured groups, and the release of removed channels' ids.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dest.h"
#include "follow.h"
#include "mcast.h"
#include "xrelay/log.h"
#include "xrelay/addr.h"

/* The main thread's view of one channel id: its group membership and its removal. */
struct follow_track {
	__u64 created_ns;
	bool joined;
	struct mcast_group group;
	bool draining;
	__u64 drain_gen; /* the snapshot's generation at which the removal was seen */
};

/* Written by one worker, read by the main thread: a cache line each. */
struct follow_reader {
	__u64 quiet;	/* holds no snapshot of a generation below this one */
	__u64 seen_gen; /* see follow_seen */
	__u64 open_gen; /* see follow_opened */
} __attribute__((aligned(64)));

struct follow {
	struct mapctl *m;
	int ifindex;
	const char *ifname;
	unsigned int nreaders;
	struct follow_snap *cur; /* atomic: the published snapshot */
	struct follow_snap *retired;
	__u64 gen_seen; /* config_gen of cur, 0 before the first */
	struct follow_reader rd[XRELAY_MAX_QUEUES];
	struct follow_track track[XRELAY_MAX_CHANNELS];
};

int follow_new(struct mapctl *m, int ifindex, const char *ifname, unsigned int nreaders,
	       struct follow **ret)
{
	struct follow *f;
	__u64 gen = mapctl_gen(m);
	unsigned int q;

	if (nreaders > XRELAY_MAX_QUEUES)
		return -EINVAL;
	f = aligned_alloc(64, sizeof(*f));
	if (!f)
		return -ENOMEM;
	memset(f, 0, sizeof(*f));
	f->m = m;
	f->ifindex = ifindex;
	f->ifname = ifname;
	f->nreaders = nreaders;
	for (q = 0; q < XRELAY_MAX_CHANNELS; q++)
		f->track[q].group.fd = -1;
	for (q = 0; q < nreaders; q++)
		f->rd[q].seen_gen = gen;
	f->rd[q].open_gen = 0;
	*ret = f;
	return 0;
}

static void snaps_free(struct follow_snap *s)
{
	while (s) {
		struct follow_snap *next = s->next;

		free(s);
		s = next;
	}
}

void follow_free(struct follow *f)
{
	__u32 id;

	if (!f)
		return;
	for (id = 0; id < XRELAY_MAX_CHANNELS; id++)
		if (f->track[id].joined)
			mcast_leave(&f->track[id].group);
	snaps_free(f->retired);
	free(f->cur);
	free(f);
}

/*
 * A consistent snapshot: editors hold the lock exclusively from their write to their
 * config_gen bump, so under the shared lock no slot is torn and every change shown has been
 * followed by its bump, which the generation read here includes.
 */
static struct follow_snap *snap_take(struct mapctl *m)
{
	struct follow_snap *s = malloc(sizeof(*s));
	int r;

	if (!s)
		return NULL;
	r = mapctl_lock(m, false);
	if (!r) {
		s->gen = mapctl_gen(m);
		r = mapctl_channel_snapshot(m, s->cfg);
		mapctl_unlock(m);
	}
	if (r) {
		pr_debug("channel config snapshot: %s; again at the next tick", strerror(-r));
		free(s);
		return NULL;
	}
	s->next = NULL;
	return s;
}

/* Groups and removals of one new snapshot. */
static void apply(struct follow *f, const struct follow_snap *s)
{
	__u32 id;
	int r;

	for (id = 0; id < XRELAY_MAX_CHANNELS; id++) {
		const struct xrelay_channel_cfg *c = &s->cfg[id];
		struct follow_track *k = &f->track[id];
		bool active = c->state == XRELAY_CH_ACTIVE;

		if (k->joined && (!active || c->created_ns != k->created_ns)) {
			mcast_leave(&k->group);
			k->joined = false;
		}
		if (active && !k->joined && addr_is_multicast(c->key.addr)) {
			r = mcast_join(f->ifindex, c->key.addr, &k->group);
			if (r)
				pr_warn("channel %s: joining its group on %s: %s", c->name,
					f->ifname, strerror(-r));
			else
				pr_info("channel %s: joined its multicast group on %s", c->name,
					f->ifname);
			k->joined = !r;
			k->created_ns = c->created_ns;
		}
		if (c->state == XRELAY_CH_DRAINING && !k->draining) {
			/* A worker that applied this snapshot has seen the removal (follow.h). */
			k->draining = true;
			k->drain_gen = s->gen;
			k->created_ns = c->created_ns;
		}
	}
}

void follow_tick(struct follow *f)
{
	__u64 min_seen = UINT64_MAX, min_quiet = UINT64_MAX, min_open = UINT64_MAX;
	struct follow_snap *s, **pp;
	unsigned int q;
	__u32 id;
	int r;

	if (mapctl_gen(f->m) != f->gen_seen && (s = snap_take(f->m))) {
		apply(f, s);
		if (f->cur) {
			f->cur->next = f->retired;
			f->retired = f->cur;
		}
		__atomic_store_n(&f->cur, s, __ATOMIC_RELEASE);
		f->gen_seen = s->gen;
	}
	for (q = 0; q < f->nreaders; q++) {
		__u64 seen = __atomic_load_n(&f->rd[q].seen_gen, __ATOMIC_ACQUIRE);
		__u64 quiet = __atomic_load_n(&f->rd[q].quiet, __ATOMIC_ACQUIRE);
		__u64 open = __atomic_load_n(&f->rd[q].open_gen, __ATOMIC_ACQUIRE);

		if (seen < min_seen)
			min_seen = seen;
		if (open < min_open)
			min_open = open;
		if (quiet < min_quiet)
			min_quiet = quiet;
	}
	__atomic_store_n(&mapctl_meta(f->m)->dp_seen_gen, min_seen, __ATOMIC_RELAXED);
	if (f->nreaders)
		__atomic_store_n(&mapctl_meta(f->m)->dp_open_gen, min_open, __ATOMIC_RELEASE);
	/* Every worker has closed the files of channels removed by min_seen: release them. */
	for (id = 0; id < XRELAY_MAX_CHANNELS; id++) {
		struct follow_track *k = &f->track[id];

		if (!k->draining || k->drain_gen > min_seen)
			continue;
		r = mapctl_channel_release(f->m, id, k->created_ns);
		if (r && r != -ESTALE && r != -ENOENT)
			continue; /* try again next tick */
		pr_info("channel id %u: every file closed, id released", id);
		k->draining = false;
	}
	/* Retired snapshots older than what every reader has announced: none holds them. */
	for (pp = &f->retired; *pp;) {
		s = *pp;
		if (s->gen < min_quiet) {
			*pp = s->next;
			free(s);
			continue;
		}
		pp = &s->next;
	}
}

const struct follow_snap *follow_acquire(struct follow *f)
{
	return __atomic_load_n(&f->cur, __ATOMIC_ACQUIRE);
}

void follow_quiesce(struct follow *f, unsigned int reader, const struct follow_snap *s)
{
	/* Release: the reader's reads of older snapshots happen before the main thread frees. */
	if (s)
		__atomic_store_n(&f->rd[reader].quiet, s->gen, __ATOMIC_RELEASE);
}

void follow_opened(struct follow *f, unsigned int reader, __u64 gen)
{
	__atomic_store_n(&f->rd[reader].open_gen, gen, __ATOMIC_RELEASE);
}

void follow_seen(struct follow *f, unsigned int reader, __u64 gen)
{
	__atomic_store_n(&f->rd[reader].seen_gen, gen, __ATOMIC_RELEASE);
}
