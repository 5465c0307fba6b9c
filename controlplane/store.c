// SPDX-License-Identifier: MIT
/*
 * The controlplane's handle on the pinned maps, reopened when they change, and every edit and
 * read the API makes of them; see store.h. The only controlplane file that knows lib/mapctl.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "store.h"
#include "xrelay/clock.h"
#include "xrelay/log.h"
#include "xrelay/mapctl.h"
#include "xrelay/name.h"

struct store {
	char pin_dir[PATH_MAX];
	pthread_rwlock_t lock; /* read: a request uses m; write: (re)open */
	struct mapctl *m;      /* NULL while unusable */
	__u32 meta_id;	       /* kernel id of the meta map m holds */
	int last_err;
	char last_msg[512];
	__u64 checked_ns; /* last check or open attempt, CLOCK_MONOTONIC */
	/* The published channels as of config generation cache_gen (valid when cache_ok). */
	pthread_mutex_t cache_lock;
	bool cache_ok;
	__u64 cache_gen;
	int cache_n;
	__u32 cache_ids[XRELAY_MAX_CHANNELS];
	struct xrelay_channel_cfg cache_cfgs[XRELAY_MAX_CHANNELS];
};

static __u32 map_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* The id of the meta map pinned now, 0 if none. */
static __u32 pinned_meta_id(const char *pin_dir)
{
	char path[PATH_MAX + 16];
	__u32 id;
	int fd;

	snprintf(path, sizeof(path), "%s/xrelay_meta", pin_dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	id = map_id(fd);
	close(fd);
	return id;
}

/* Under the write lock. */
static void reopen(struct store *s)
{
	struct mapctl *m = NULL;
	int r;

	mapctl_close(s->m);
	s->m = NULL;
	r = mapctl_open(s->pin_dir, MAPCTL_F_CREATE, &m, s->last_msg, sizeof(s->last_msg));
	s->checked_ns = clock_ns(CLOCK_MONOTONIC);
	if (r) {
		if (r != s->last_err)
			pr_warn("maps in %s unusable: %s", s->pin_dir, s->last_msg);
		s->last_err = r;
		return;
	}
	if (s->last_err)
		pr_info("maps in %s usable again", s->pin_dir);
	s->m = m;
	s->meta_id = map_id(mapctl_fd(m, XRELAY_MAP_META));
	pthread_mutex_lock(&s->cache_lock);
	s->cache_ok = false;
	pthread_mutex_unlock(&s->cache_lock);
	s->last_err = 0;
	s->last_msg[0] = '\0';
}

const char *store_default_pin_dir(void)
{
	return MAPCTL_DEFAULT_PIN_DIR;
}

int store_new(const char *pin_dir, struct store **ret)
{
	struct store *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	snprintf(s->pin_dir, sizeof(s->pin_dir), "%s", pin_dir);
	pthread_rwlock_init(&s->lock, NULL);
	pthread_mutex_init(&s->cache_lock, NULL);
	reopen(s);
	*ret = s;
	return 0;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	mapctl_close(s->m);
	pthread_rwlock_destroy(&s->lock);
	pthread_mutex_destroy(&s->cache_lock);
	free(s);
}

int store_acquire(struct store *s, char *err, size_t errlen)
{
	__u64 now = clock_ns(CLOCK_MONOTONIC);

	pthread_rwlock_rdlock(&s->lock);
	/* At most once a second: are the pins still the maps we hold? */
	if (now - __atomic_load_n(&s->checked_ns, __ATOMIC_RELAXED) >= 1000000000ull) {
		bool stale = !s->m || pinned_meta_id(s->pin_dir) != s->meta_id;

		__atomic_store_n(&s->checked_ns, now, __ATOMIC_RELAXED);
		if (stale) {
			pthread_rwlock_unlock(&s->lock);
			pthread_rwlock_wrlock(&s->lock);
			if (!s->m || pinned_meta_id(s->pin_dir) != s->meta_id)
				reopen(s);
			pthread_rwlock_unlock(&s->lock);
			pthread_rwlock_rdlock(&s->lock);
		}
	}
	if (s->m)
		return 0;
	snprintf(err, errlen, "%s", s->last_msg);
	pthread_rwlock_unlock(&s->lock);
	return -ENODEV;
}

void store_release(struct store *s)
{
	pthread_rwlock_unlock(&s->lock);
}

/* Under cache_lock: read the published channels as of generation @gen. */
static int cache_fill(struct store *s, struct mapctl *m, __u64 gen)
{
	__u32 ids[XRELAY_MAX_CHANNELS];
	int n, i, k = 0, r;

	n = mapctl_channel_ids(m, ids);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		r = mapctl_channel_get(m, ids[i], &s->cache_cfgs[k]);
		if (r)
			return r;
		/* Removed since the keys were read: the next generation will say so. */
		if (s->cache_cfgs[k].state != XRELAY_CH_ACTIVE ||
		    !name_valid(s->cache_cfgs[k].name))
			continue;
		s->cache_ids[k++] = ids[i];
	}
	s->cache_n = k;
	s->cache_gen = gen;
	s->cache_ok = true;
	return 0;
}

/* Take the cache lock with the cache valid for the maps' current generation. */
static int cache_get(struct store *s)
{
	struct mapctl *m = s->m;
	/*
	 * Read the generation before the maps: an edit racing the fill moves it past what is
	 * stored with the cache, so the next call refills.
	 */
	__u64 gen = mapctl_gen(m);
	int r = 0;

	pthread_mutex_lock(&s->cache_lock);
	if (!s->cache_ok || s->cache_gen != gen)
		r = cache_fill(s, m, gen);
	if (r) {
		s->cache_ok = false;
		pthread_mutex_unlock(&s->cache_lock);
	}
	return r;
}

int store_channels(struct store *s, __u32 *ids, struct xrelay_channel_cfg *cfgs)
{
	int r = cache_get(s), n;

	if (r)
		return r;
	n = s->cache_n;
	memcpy(ids, s->cache_ids, sizeof(*ids) * (size_t)n);
	memcpy(cfgs, s->cache_cfgs, sizeof(*cfgs) * (size_t)n);
	pthread_mutex_unlock(&s->cache_lock);
	return n;
}

int store_channel_get(struct store *s, const char *name, struct xrelay_channel_cfg *cfg)
{
	int r, i;

	if (!name_valid(name))
		return -ENOENT;
	r = cache_get(s);
	if (r)
		return r;
	for (i = 0; i < s->cache_n; i++) {
		if (!strncmp(s->cache_cfgs[i].name, name, XRELAY_NAME_LEN)) {
			*cfg = s->cache_cfgs[i];
			r = (int)s->cache_ids[i];
			break;
		}
	}
	if (i == s->cache_n)
		r = -ENOENT;
	pthread_mutex_unlock(&s->cache_lock);
	return r;
}

int store_channel_add(struct store *s, struct xrelay_channel_cfg *cfg, __u32 *ret_id)
{
	return mapctl_channel_add(s->m, cfg, ret_id);
}

int store_channel_add_datum(struct store *s, struct xrelay_channel_cfg *cfg, const char *schema,
			    size_t len, __u32 *ret_id)
{
	return mapctl_channel_add_datum(s->m, cfg, schema, len, ret_id);
}

int store_schema_get(struct store *s, __u32 id, __u64 created_ns, char *buf, size_t buflen)
{
	return mapctl_schema_get(s->m, id, created_ns, buf, buflen);
}

int store_channel_owner(struct store *s, const struct xrelay_chan_key *key,
			struct xrelay_channel_cfg *cfg)
{
	__u32 id;
	int r;

	if (bpf_map_lookup_elem(mapctl_fd(s->m, XRELAY_MAP_CHANNELS), key, &id))
		return -errno;
	r = mapctl_channel_get(s->m, id, cfg);
	return r ? r : (int)id;
}

int store_channel_update(struct store *s, const char *name, struct xrelay_channel_cfg *cfg)
{
	return mapctl_channel_update(s->m, name, cfg);
}

int store_channel_edit(struct store *s, const char *name,
		       int (*edit)(struct xrelay_channel_cfg *cfg, void *arg), void *arg,
		       struct xrelay_channel_cfg *ret_cfg)
{
	if (!name_valid(name))
		return -ENOENT;
	return mapctl_channel_edit(s->m, name, edit, arg, ret_cfg);
}

int store_channel_delete(struct store *s, const char *name,
			 int (*check)(const struct xrelay_channel_cfg *cfg, void *arg), void *arg,
			 __u32 *ret_id)
{
	if (!name_valid(name))
		return -ENOENT;
	return mapctl_channel_remove_if(s->m, name, check, arg, ret_id);
}

int store_channel_stats(struct store *s, __u32 id, struct mapctl_chan_totals *out)
{
	return mapctl_channel_totals(s->m, id, out);
}

int store_xdp_stats(struct store *s, struct xrelay_xdp_global *out)
{
	return mapctl_xdp_global(s->m, out);
}

void store_dataplane(struct store *s, struct store_dataplane *out)
{
	out->running =
		mapctl_dataplane_alive(s->m, MAPCTL_HEARTBEAT_FRESH_MS, &out->heartbeat_age_ms);
	out->meta = *mapctl_meta(s->m);
}

int store_dataplane_wait_open(struct store *s, unsigned int timeout_ms)
{
	const struct xrelay_meta *meta = mapctl_meta(s->m);
	const struct timespec ms = { .tv_nsec = 1000000 };
	__u64 gen = mapctl_gen(s->m);
	unsigned int i;

	for (i = 0; i <= timeout_ms; i++) {
		if (__atomic_load_n(&meta->dp_mode, __ATOMIC_RELAXED) != XRELAY_MODE_SOCKET ||
		    !mapctl_dataplane_alive(s->m, MAPCTL_HEARTBEAT_FRESH_MS, NULL) ||
		    __atomic_load_n(&meta->dp_open_gen, __ATOMIC_ACQUIRE) >= gen)
			return 0;
		(void)nanosleep(&ms, NULL);
	}
	return -ETIMEDOUT;
}

_Static_assert(sizeof(struct xrelay_queue_stats) % sizeof(__u64) == 0,
	       "store_queue_stats copies queue rows as 64-bit counters");

int store_queue_stats(struct store *s, struct xrelay_queue_stats *qs)
{
	const __u64 *src = (const __u64 *)mapctl_queue_stats(s->m);
	__u32 n = mapctl_meta(s->m)->nqueues;
	__u64 *dst = (__u64 *)qs;
	size_t i;

	if (!mapctl_dataplane_alive(s->m, MAPCTL_HEARTBEAT_FRESH_MS, NULL))
		return 0;
	if (n > XRELAY_MAX_QUEUES)
		n = XRELAY_MAX_QUEUES;
	/* Whole 64-bit loads: the workers store each counter atomically, never a torn value. */
	for (i = 0; i < n * sizeof(*qs) / sizeof(__u64); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	return (int)n;
}
