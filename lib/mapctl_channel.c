// SPDX-License-Identifier: MIT
/*
 * Channels in the maps (see xrelay/mapctl.h): reading the published configuration, adding,
 * changing, removing and releasing a channel in the order that never misfiles a packet, and
 * summing a channel's counters. Opening and checking the maps is lib/mapctl.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "mapctl_int.h"
#include "xrelay/clock.h"
#include "xrelay/name.h"

int mapctl_channel_get(struct mapctl *m, __u32 id, struct xrelay_channel_cfg *cfg)
{
	int fd = m->fds[XRELAY_MAP_CHANNEL_CFG];
	struct xrelay_channel_cfg again;
	int tries;

	if (id >= XRELAY_MAX_CHANNELS)
		return -EINVAL;
	/*
	 * An array update from userspace is a plain memcpy in the kernel, so a read racing an
	 * edit can see a mix of both. Edits are rare: two identical reads in a row are whole.
	 */
	for (tries = 0; tries < 100; tries++) {
		if (bpf_map_lookup_elem(fd, &id, cfg) || bpf_map_lookup_elem(fd, &id, &again))
			return -errno;
		if (!memcmp(cfg, &again, sizeof(again)))
			return 0;
	}
	return -EAGAIN;
}

static int cfg_put(struct mapctl *m, __u32 id, const struct xrelay_channel_cfg *cfg)
{
	return bpf_map_update_elem(m->fds[XRELAY_MAP_CHANNEL_CFG], &id, cfg, BPF_ANY) ? -errno : 0;
}

int mapctl_channel_next(struct mapctl *m, int after, __u32 state, struct xrelay_channel_cfg *cfg)
{
	__u32 id;
	int r;

	for (id = (__u32)(after + 1); id < XRELAY_MAX_CHANNELS; id++) {
		r = mapctl_channel_get(m, id, cfg);
		if (r)
			return r;
		if (cfg->state == state)
			return (int)id;
	}
	return -ENOENT;
}

/*
 * Read up to @max entries of map @fd into @keys and @values with batched lookups (one syscall
 * when they fit). Returns the number read or -errno.
 */
static int batch_read(int fd, void *keys, size_t key_size, void *values, size_t value_size,
		      __u32 max)
{
	__u32 done = 0, count, next = 0;
	void *in = NULL;

	while (done < max) {
		count = max - done;
		if (bpf_map_lookup_batch(fd, in, &next, (char *)keys + done * key_size,
					 (char *)values + done * value_size, &count, NULL)) {
			if (errno != ENOENT)
				return -errno;
			done += count;
			break;
		}
		done += count;
		in = &next;
	}
	return (int)done;
}

int mapctl_channel_snapshot(struct mapctl *m, struct xrelay_channel_cfg *all)
{
	static __thread __u32 keys[XRELAY_MAX_CHANNELS];
	int n = batch_read(m->fds[XRELAY_MAP_CHANNEL_CFG], keys, sizeof(*keys), all, sizeof(*all),
			   XRELAY_MAX_CHANNELS);

	/* An array always has all its entries. */
	return n < 0 ? n : n == XRELAY_MAX_CHANNELS ? 0 : -EIO;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

int mapctl_channel_ids(struct mapctl *m, __u32 *ids)
{
	static __thread struct xrelay_chan_key keys[XRELAY_MAX_CHANNELS];
	/* The channels hash is small (24 bytes an entry): one batched read finds them all. */
	int n = batch_read(m->fds[XRELAY_MAP_CHANNELS], keys, sizeof(*keys), ids, sizeof(*ids),
			   XRELAY_MAX_CHANNELS);

	if (n > 0)
		qsort(ids, (size_t)n, sizeof(*ids), cmp_u32);
	return n;
}

/* Under the lock: find @name in a snapshot (any state but FREE when @any_state). */
static int snapshot_find(const struct xrelay_channel_cfg *all, const char *name, bool any_state)
{
	__u32 id;

	for (id = 0; id < XRELAY_MAX_CHANNELS; id++) {
		if (all[id].state == XRELAY_CH_FREE)
			continue;
		if (!any_state && all[id].state != XRELAY_CH_ACTIVE)
			continue;
		if (!strncmp(all[id].name, name, XRELAY_NAME_LEN))
			return (int)id;
	}
	return -ENOENT;
}

int mapctl_channel_find(struct mapctl *m, const char *name, struct xrelay_channel_cfg *cfg)
{
	struct xrelay_channel_cfg *all, tmp;
	int id, r, tries;

	if (!cfg)
		cfg = &tmp;
	all = malloc(sizeof(*all) * XRELAY_MAX_CHANNELS);
	if (!all)
		return -ENOMEM;
	for (tries = 0; tries < 10; tries++) {
		r = mapctl_channel_snapshot(m, all);
		if (r)
			break;
		id = snapshot_find(all, name, false);
		if (id < 0) {
			r = id;
			break;
		}
		/* The snapshot may hold a torn slot: confirm with a checked read. */
		r = mapctl_channel_get(m, (__u32)id, cfg);
		if (r)
			break;
		if (cfg->state == XRELAY_CH_ACTIVE && !strncmp(cfg->name, name, XRELAY_NAME_LEN)) {
			r = id;
			break;
		}
		r = -EAGAIN;
	}
	free(all);
	return r;
}

static int cfg_validate(const struct xrelay_channel_cfg *cfg)
{
	__u32 i;

	if (!memchr(cfg->name, '\0', sizeof(cfg->name)) || !name_valid(cfg->name))
		return -EINVAL;
	if (cfg->key.pad || !cfg->key.port || cfg->ndests > XRELAY_MAX_DESTS || cfg->retain_pad)
		return -EINVAL;
	for (i = 0; i < cfg->ndests; i++)
		if (!cfg->dests[i].every || !cfg->dests[i].port || cfg->dests[i].pad ||
		    !memchr(cfg->dests[i].ifname, '\0', XRELAY_IFNAME_LEN))
			return -EINVAL;
	return 0;
}

/* Zero a channel's counters and sequence numbers everywhere before its key is published. */
static int channel_reset(struct mapctl *m, __u32 id)
{
	size_t sz = sizeof(struct xrelay_xdp_chan_stats) * (size_t)m->ncpus;
	void *zero = calloc(1, sz);
	__u64 seq0 = 0;
	__u32 q, idx;
	int r = 0;

	if (!zero)
		return -ENOMEM;
	if (bpf_map_update_elem(m->fds[XRELAY_MAP_CHANNEL_STATS], &id, zero, BPF_ANY))
		r = -errno;
	free(zero);
	for (q = 0; !r && q < XRELAY_MAX_QUEUES; q++) {
		idx = XRELAY_SEQ_INDEX(q, id);
		if (bpf_map_update_elem(m->fds[XRELAY_MAP_SEQ], &idx, &seq0, BPF_ANY))
			r = -errno;
		memset(&m->dp_stats[XRELAY_DP_INDEX(q, id)], 0, sizeof(*m->dp_stats));
		memset(&m->dest_stats[XRELAY_DEST_INDEX(q, id, 0)], 0,
		       XRELAY_MAX_DESTS * sizeof(*m->dest_stats));
	}
	return r;
}

/*
 * A new incarnation's generation: above every slot's, so no generation a channel of the same
 * name ever had comes back (it is the API's entity tag), and each slot's only grows.
 */
static __u64 generation_next(const struct xrelay_channel_cfg *all)
{
	__u64 max = 0;
	__u32 id;

	for (id = 0; id < XRELAY_MAX_CHANNELS; id++)
		if (all[id].generation > max)
			max = all[id].generation;
	return max + 1;
}

static int channel_add(struct mapctl *m, struct xrelay_channel_cfg *cfg, const char *schema,
		       size_t schema_len, __u32 *ret_id)
{
	struct xrelay_channel_cfg *all;
	__u32 id, other;
	int r;

	r = cfg_validate(cfg);
	if (r)
		return r;
	if ((cfg->format == XRELAY_FMT_DATUM) != !!schema ||
	    (schema && (!schema_len || schema_len != cfg->schema_len)))
		return -EINVAL;
	all = malloc(sizeof(*all) * XRELAY_MAX_CHANNELS);
	if (!all)
		return -ENOMEM;
	r = mapctl_lock(m, true);
	if (r)
		goto out_free;
	if (!bpf_map_lookup_elem(m->fds[XRELAY_MAP_CHANNELS], &cfg->key, &other)) {
		r = -EADDRINUSE;
		goto out_unlock;
	}
	/* Editors hold the lock, so this snapshot cannot be torn. */
	r = mapctl_channel_snapshot(m, all);
	if (r)
		goto out_unlock;
	/* A draining namesake still owns its files' directory: refuse that name too. */
	if (snapshot_find(all, cfg->name, true) >= 0) {
		r = -EEXIST;
		goto out_unlock;
	}
	for (id = 0; id < XRELAY_MAX_CHANNELS && all[id].state != XRELAY_CH_FREE; id++)
		;
	if (id == XRELAY_MAX_CHANNELS) {
		r = -ENOSPC;
		goto out_unlock;
	}

	/* Invariant 1: config and zeroed counters first, the key last. */
	cfg->state = XRELAY_CH_ACTIVE;
	cfg->generation = generation_next(all);
	cfg->created_ns = clock_ns(CLOCK_REALTIME);
	memset(cfg->reserved, 0, sizeof(cfg->reserved));
	r = channel_reset(m, id);
	if (r)
		goto out_unlock;
	/* A datum channel's schema is there before anything can read its config. */
	r = schema ? mapctl_schema_put(m, id, cfg->created_ns, schema, schema_len) : 0;
	if (r)
		goto out_unlock;
	r = cfg_put(m, id, cfg);
	if (r)
		goto out_schema;
	if (bpf_map_update_elem(m->fds[XRELAY_MAP_CHANNELS], &cfg->key, &id, BPF_NOEXIST)) {
		r = -errno;
		(void)cfg_put(m, id, &all[id]);
		goto out_schema;
	}
	mapctl_gen_bump(m);
	*ret_id = id;
	goto out_unlock;
out_schema:
	if (schema)
		mapctl_schema_delete(m, id);
out_unlock:
	mapctl_unlock(m);
out_free:
	free(all);
	return r;
}

int mapctl_channel_add(struct mapctl *m, struct xrelay_channel_cfg *cfg, __u32 *ret_id)
{
	return channel_add(m, cfg, NULL, 0, ret_id);
}

int mapctl_channel_add_datum(struct mapctl *m, struct xrelay_channel_cfg *cfg, const char *schema,
			     size_t len, __u32 *ret_id)
{
	return channel_add(m, cfg, schema, len, ret_id);
}

/* Take the lock and find @name; on failure the lock is released. Returns the id or -errno. */
static int lock_find(struct mapctl *m, const char *name, struct xrelay_channel_cfg *cur)
{
	int id = mapctl_lock(m, true);

	if (id)
		return id;
	id = mapctl_channel_find(m, name, cur);
	if (id < 0)
		mapctl_unlock(m);
	return id;
}

int mapctl_channel_edit(struct mapctl *m, const char *name,
			int (*edit)(struct xrelay_channel_cfg *cfg, void *arg), void *arg,
			struct xrelay_channel_cfg *ret_cfg)
{
	struct xrelay_channel_cfg cur, next;
	int id, r;

	id = lock_find(m, name, &cur);
	if (id < 0)
		return id;
	next = cur;
	r = edit(&next, arg);
	if (r)
		goto out_unlock;
	/* Only what a change may touch is taken from the edit. */
	cur.flags = next.flags;
	cur.ndests = next.ndests;
	memcpy(cur.dests, next.dests, sizeof(cur.dests));
	cur.rotate_bytes = next.rotate_bytes;
	cur.rotate_seconds = next.rotate_seconds;
	cur.retain_bytes = next.retain_bytes;
	cur.retain_seconds = next.retain_seconds;
	r = cfg_validate(&cur);
	if (r)
		goto out_unlock;
	cur.generation++;
	r = cfg_put(m, (__u32)id, &cur);
	if (r)
		goto out_unlock;
	mapctl_gen_bump(m);
	if (ret_cfg)
		*ret_cfg = cur;
	r = id;
out_unlock:
	mapctl_unlock(m);
	return r;
}

/* mapctl_channel_update's edit: the stored channel must be the version @arg was read from. */
static int update_edit(struct xrelay_channel_cfg *cur, void *arg)
{
	const struct xrelay_channel_cfg *want = arg;

	if (want->created_ns &&
	    (cur->created_ns != want->created_ns || cur->generation != want->generation))
		return -ESTALE;
	*cur = *want;
	return 0;
}

int mapctl_channel_update(struct mapctl *m, const char *name, struct xrelay_channel_cfg *cfg)
{
	int r = mapctl_channel_edit(m, name, update_edit, cfg, cfg);

	return r < 0 ? r : 0;
}

int mapctl_channel_remove_if(struct mapctl *m, const char *name,
			     int (*check)(const struct xrelay_channel_cfg *cfg, void *arg),
			     void *arg, __u32 *ret_id)
{
	struct xrelay_channel_cfg cur;
	int id, r;

	id = lock_find(m, name, &cur);
	if (id < 0)
		return id;
	r = check ? check(&cur, arg) : 0;
	if (r)
		goto out_unlock;
	/* Invariant 2: unpublish first, so no new packet is stamped with this id. */
	if (bpf_map_delete_elem(m->fds[XRELAY_MAP_CHANNELS], &cur.key) && errno != ENOENT) {
		r = -errno;
		goto out_unlock;
	}
	cur.state = mapctl_dataplane_alive(m, MAPCTL_HEARTBEAT_FRESH_MS, NULL) ? XRELAY_CH_DRAINING
									       : XRELAY_CH_FREE;
	cur.generation++;
	r = cfg_put(m, (__u32)id, &cur);
	if (r)
		goto out_unlock;
	mapctl_gen_bump(m);
	if (ret_id)
		*ret_id = (__u32)id;
out_unlock:
	mapctl_unlock(m);
	return r;
}

int mapctl_channel_remove(struct mapctl *m, const char *name, __u32 *ret_id)
{
	return mapctl_channel_remove_if(m, name, NULL, NULL, ret_id);
}

int mapctl_channel_release(struct mapctl *m, __u32 id, __u64 created_ns)
{
	struct xrelay_channel_cfg cur;
	int r;

	r = mapctl_lock(m, true);
	if (r)
		return r;
	r = mapctl_channel_get(m, id, &cur);
	if (r)
		goto out_unlock;
	if (cur.created_ns != created_ns) {
		r = -ESTALE;
		goto out_unlock;
	}
	if (cur.state != XRELAY_CH_DRAINING) {
		r = -ENOENT;
		goto out_unlock;
	}
	cur.state = XRELAY_CH_FREE;
	cur.generation++;
	mapctl_schema_delete(m, id);
	r = cfg_put(m, id, &cur);
	if (!r)
		mapctl_gen_bump(m);
out_unlock:
	mapctl_unlock(m);
	return r;
}

/*
 * Add the @size / 8 counters at @src (a row another process writes, or a copy of one) to those
 * at @dst. Rows are arrays of __u64 counters, summed word by word, each an atomic load.
 */
static void sum_words(void *dst, const void *src, size_t size)
{
	const __u64 *from = src;
	__u64 *to = dst;
	size_t i;

	for (i = 0; i < size / sizeof(__u64); i++)
		to[i] += __atomic_load_n(&from[i], __ATOMIC_RELAXED);
}

int mapctl_channel_totals(struct mapctl *m, __u32 id, struct mapctl_chan_totals *out)
{
	struct xrelay_xdp_chan_stats *per_cpu;
	int c, r = 0;
	__u32 w;

	if (id >= XRELAY_MAX_CHANNELS)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	per_cpu = calloc((size_t)m->ncpus, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(m->fds[XRELAY_MAP_CHANNEL_STATS], &id, per_cpu)) {
		r = -errno;
		goto out_free;
	}
	for (c = 0; c < m->ncpus; c++)
		sum_words(&out->xdp, &per_cpu[c], sizeof(out->xdp));
	for (w = 0; w < XRELAY_MAX_QUEUES; w++) {
		sum_words(&out->dp, &m->dp_stats[XRELAY_DP_INDEX(w, id)], sizeof(out->dp));
		sum_words(out->dests, &m->dest_stats[XRELAY_DEST_INDEX(w, id, 0)],
			  sizeof(out->dests));
	}
	/* The socket backend's datagrams (maps.h): a channel's rx in either mode. */
	out->xdp.rx_packets += out->dp.sock_rx_packets;
out_free:
	free(per_cpu);
	return r;
}
