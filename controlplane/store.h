/* SPDX-License-Identifier: MIT */
/*
 * The API's handle on the pinned maps and the only controlplane code that touches them: opens
 * (creating them if missing) at start and keeps serving whatever happens to them: when they are
 * unusable (a foreign layout) requests get -ENODEV and the store retries at most once a second;
 * when the pins are replaced underneath it, it reopens. Every edit and read is a named operation
 * on plain structs of xrelay/maps.h; HTTP, JSON and status codes are not its business.
 */
#ifndef XRELAY_CP_STORE_H
#define XRELAY_CP_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "xrelay/maps.h"

struct store;
struct mapctl_chan_totals; /* xrelay/mapctl.h, as the API shows it in xrelay/api.h */

/* The pin directory used when none is given ("/sys/fs/bpf/xrelay"). */
const char *store_default_pin_dir(void);

/*
 * Create the store for @pin_dir (copied) and try to open the maps at once. Fails only on
 * ENOMEM; a map problem is remembered and reported by store_acquire. *@ret set on success.
 */
int store_new(const char *pin_dir, struct store **ret);

/* Accepts NULL. No request may hold the store. */
void store_free(struct store *s);

/*
 * Hold the maps for one request: 0 (release with store_release), or -ENODEV when they are
 * unusable, with the reason in @err (the store is not held then). Thread-safe; may block
 * briefly while another thread reopens.
 */
int store_acquire(struct store *s, char *err, size_t errlen);
void store_release(struct store *s);

/*
 * Everything below: call with the store held (store_acquire), from any thread. The edits
 * serialise with every other editor of the maps (mapctl's lock) and may block on it; the
 * reads do not block.
 */

/*
 * Add a channel from @cfg (key, name, flags, destinations, ...; see mapctl_channel_add): the
 * new id in *@ret_id and @cfg updated to what is stored. Returns 0, -EEXIST (the name exists),
 * -EADDRINUSE (the key is published; store_channel_owner says by whom), -ENOSPC (no free id),
 * -EINVAL, or another -errno.
 */
int store_channel_add(struct store *s, struct xrelay_channel_cfg *cfg, __u32 *ret_id);

/* store_channel_add of a datum channel with its schema (see mapctl_channel_add_datum). */
int store_channel_add_datum(struct store *s, struct xrelay_channel_cfg *cfg, const char *schema,
			    size_t len, __u32 *ret_id);

/* Datum channel @id's schema (see mapctl_schema_get): its length in @buf, or -errno. */
int store_schema_get(struct store *s, __u32 id, __u64 created_ns, char *buf, size_t buflen);

/*
 * The channel that publishes @key: its id with *@cfg filled, or -ENOENT (none, or it went
 * between the two reads) / -errno.
 */
int store_channel_owner(struct store *s, const struct xrelay_chan_key *key,
			struct xrelay_channel_cfg *cfg);

/*
 * Change channel @name from @cfg (flags, destinations, rotation), which must have been read
 * from the version stored now when it has a created_ns (see mapctl_channel_update). On
 * success @cfg holds what is stored. Returns 0, -ENOENT, -ESTALE, -EINVAL, or another -errno.
 */
int store_channel_update(struct store *s, const char *name, struct xrelay_channel_cfg *cfg);

/*
 * Change channel @name by @edit, which is given the channel as stored and runs under the
 * editors' lock, so a concurrent edit is never lost (see mapctl_channel_edit: @edit must not
 * call the store). *@ret_cfg (may be NULL) gets what is stored. Returns the channel's id,
 * -ENOENT (also for an invalid name), -EINVAL, @edit's error, or another -errno.
 */
int store_channel_edit(struct store *s, const char *name,
		       int (*edit)(struct xrelay_channel_cfg *cfg, void *arg), void *arg,
		       struct xrelay_channel_cfg *ret_cfg);

/*
 * Remove channel @name (it drains while a dataplane lives) if @check (may be NULL), given the
 * channel as stored under the editors' lock, returns 0. *@ret_id (may be NULL) gets its id.
 * Returns 0, -ENOENT (no such channel, or @name is no valid name), @check's error, or -errno.
 */
int store_channel_delete(struct store *s, const char *name,
			 int (*check)(const struct xrelay_channel_cfg *cfg, void *arg), void *arg,
			 __u32 *ret_id);

/*
 * Published channel @name: its id with *@cfg filled, or -ENOENT (also for an invalid name) /
 * -errno. From the same cache as store_channels.
 */
int store_channel_get(struct store *s, const char *name, struct xrelay_channel_cfg *cfg);

/*
 * The published channels in id order: @ids and @cfgs (room for XRELAY_MAX_CHANNELS each) get
 * copies from a cache rebuilt only when the maps' config generation moves, so listing costs
 * no syscall while nothing changes. Returns the count or -errno.
 */
int store_channels(struct store *s, __u32 *ids, struct xrelay_channel_cfg *cfgs);

/* Channel @id's counters summed over CPUs and workers. Returns 0, -EINVAL or -errno. */
int store_channel_stats(struct store *s, __u32 id, struct mapctl_chan_totals *out);

/* The XDP program's global counters summed over CPUs. Returns 0 or -errno. */
int store_xdp_stats(struct store *s, struct xrelay_xdp_global *out);

/* The dataplane as the maps show it. */
struct store_dataplane {
	bool running; /* a live pid and a heartbeat younger than MAPCTL_HEARTBEAT_FRESH_MS */
	__u64 heartbeat_age_ms;	 /* UINT64_MAX when it never beat */
	struct xrelay_meta meta; /* a copy: pid, mode, interface, queues, zero-copy, ... */
};
void store_dataplane(struct store *s, struct store_dataplane *out);

/*
 * After a channel change: wait, at most @timeout_ms, until a running socket-backend dataplane
 * has opened the sockets of every channel of the current config generation (meta.dp_open_gen),
 * so that a datagram sent after the answer finds its socket. Returns 0 at once when no
 * dataplane runs or it runs in XDP mode (whose program follows the maps itself), 0 once
 * opened, -ETIMEDOUT. Sleeps a millisecond a turn.
 */
int store_dataplane_wait_open(struct store *s, unsigned int timeout_ms);

/*
 * The running dataplane's per-queue socket counters into @qs (room for XRELAY_MAX_QUEUES), one
 * row per queue. Returns the number of queues: 0 when no dataplane runs.
 */
int store_queue_stats(struct store *s, struct xrelay_queue_stats *qs);

#endif
