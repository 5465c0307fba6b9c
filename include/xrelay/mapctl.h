/* SPDX-License-Identifier: MIT */
/*
 * The userspace side of the map contract, shared by the dataplane and the controlplane: create
 * or open and check the pinned maps, and the typed edits and reads both sides need. Layouts are
 * in xrelay/maps.h. It does not log; failures return -errno and, at open, a message.
 *
 * Invariants of the channel edits (DESIGN.md "Order of edits"):
 *  1. A key is published in channels only after its channel_cfg slot is ACTIVE and its
 *     counters and sequence numbers are zero, so the first packet finds a whole config.
 *  2. A removal deletes the key first; the slot then stays DRAINING until the dataplane has
 *     closed that channel's files (mapctl_channel_release), so no id is reused while a
 *     worker may still hold frames for it. With no live dataplane the slot is freed at once.
 *  3. config_gen in meta is bumped after every edit; the dataplane reconciles when it moves.
 *     A slot's generation only grows; a new channel's is above every slot's, so a generation
 *     (the API's ETag) never names two versions of one channel name.
 *  4. Edits are serialised by flock on the pin directory (across processes) and a mutex (across
 *     threads of one process).
 */
#ifndef XRELAY_MAPCTL_H
#define XRELAY_MAPCTL_H

#include <stdbool.h>
#include <stddef.h>

#include "xrelay/maps.h"

#define MAPCTL_DEFAULT_PIN_DIR "/sys/fs/bpf/xrelay"

/*
 * A dataplane whose heartbeat (beaten every 250 ms) is older than this is taken for gone: by
 * the API's health and counters, by channel removal (drain or free at once) and by a second
 * dataplane starting on the same maps.
 */
#define MAPCTL_HEARTBEAT_FRESH_MS 3000

struct mapctl;

enum {
	MAPCTL_F_CREATE = 1u << 0, /* create (and pin) whichever maps are missing */
};

/* Sums over CPUs (XDP side) and over workers (dataplane side) for one channel. */
struct mapctl_chan_totals {
	struct xrelay_xdp_chan_stats xdp;
	struct xrelay_dp_chan_stats dp;
	struct xrelay_dest_stats dests[XRELAY_MAX_DESTS]; /* by slot of the channel's dests[] */
};

/*
 * Open the maps pinned in @pin_dir, or with MAPCTL_F_CREATE create and pin those missing (and
 * the directory). Every map's type, key size, value size, max_entries and flags, and the layout
 * version in meta, are checked; a mismatch is refused. On failure *@ret is untouched and a
 * sentence naming the cause (and both versions, for a mismatch) is in @err.
 * Returns 0, -ENOENT (not there, no CREATE), -EPROTO (layout mismatch), -ENOTSUP (not bpffs),
 * or another -errno. May block on the directory lock.
 */
int mapctl_open(const char *pin_dir, unsigned int flags, struct mapctl **ret, char *err,
		size_t errlen);

/* Close the fds and unmap. Accepts NULL. */
void mapctl_close(struct mapctl *m);

/* The fd of one map, owned by @m. */
int mapctl_fd(const struct mapctl *m, enum xrelay_map_id id);

/*
 * The mmap'ed shared memory of the BPF_F_MMAPABLE maps, valid until mapctl_close. Write only
 * the fields your side owns (see maps.h).
 */
struct xrelay_meta *mapctl_meta(const struct mapctl *m);
struct xrelay_dp_chan_stats *mapctl_dp_stats(const struct mapctl *m);
struct xrelay_dest_stats *mapctl_dest_stats(const struct mapctl *m);
struct xrelay_queue_stats *mapctl_queue_stats(const struct mapctl *m);

/*
 * Take the editors' lock: a flock on the pin directory (exclusive for @exclusive) and, for
 * threads of this process, a mutex. Blocks. Returns 0 or -errno. The edit functions below take
 * it themselves; use it directly only to make several reads consistent.
 */
int mapctl_lock(struct mapctl *m, bool exclusive);
void mapctl_unlock(struct mapctl *m);

/*
 * Add a channel. From @cfg are taken key, name, flags, ndests, dests, rotation, retention and
 * format; the state, generation and created_ns are set here. On success the new id is in *@ret_id and
 * @cfg is updated to what is stored.
 * Returns 0, -EEXIST (the name exists), -EADDRINUSE (the key exists), -ENOSPC (no free id),
 * -EINVAL (bad name, key padding, ndests), or another -errno.
 */
int mapctl_channel_add(struct mapctl *m, struct xrelay_channel_cfg *cfg, __u32 *ret_id);

/*
 * mapctl_channel_add of a datum channel (cfg->format XRELAY_FMT_DATUM) with its schema, @len
 * bytes of JSON (== cfg->schema_len, at most XRELAY_SCHEMA_MAX): the schema is in the schemas
 * map before the config, and goes when the id is released. Same returns (-EINVAL also for a
 * missing schema or a length that differs).
 */
int mapctl_channel_add_datum(struct mapctl *m, struct xrelay_channel_cfg *cfg, const char *schema,
			     size_t len, __u32 *ret_id);

/*
 * The schema of datum channel @id of incarnation @created_ns into @buf (not NUL-terminated).
 * Returns its length, -ENOENT (none), -ESTALE (another incarnation's), -ENOSPC (@buflen too
 * small) or -errno. Lock-free: editors write a schema before the config that names it.
 */
int mapctl_schema_get(struct mapctl *m, __u32 id, __u64 created_ns, char *buf, size_t buflen);

/*
 * Change channel @name by @edit under the editors' lock, so that no other editor (thread or
 * process) writes between the read and the write and no change is lost: @edit gets a copy of
 * the channel as stored now and changes flags, ndests, dests, rotation, retention in it (changes to other
 * fields are ignored: key, name and creation time stay). A negative return from @edit abandons
 * the edit and is returned as is. What @edit leaves is checked, stored with the channel's
 * generation bumped, config_gen bumped, and copied to *@ret_cfg (may be NULL).
 * @edit runs with the lock held: it must not call mapctl nor block for long.
 * Returns the channel's id (>= 0), -ENOENT, -EINVAL (the edited channel is invalid), @edit's
 * error, or another -errno.
 */
int mapctl_channel_edit(struct mapctl *m, const char *name,
			int (*edit)(struct xrelay_channel_cfg *cfg, void *arg), void *arg,
			struct xrelay_channel_cfg *ret_cfg);

/*
 * Change channel @name in place to @cfg's flags, ndests, dests, rotation, retention. A @cfg with a
 * created_ns was computed from a read of the channel: the stored channel must still be that
 * version (same created_ns and generation), else -ESTALE and nothing changes, so a change made
 * from a stale read never undoes a later one, nor lands on a new channel of the same name.
 * created_ns 0: whatever is stored is overwritten. On success @cfg holds what is stored.
 * Returns 0, -ENOENT, -ESTALE, -EINVAL, or another -errno.
 */
int mapctl_channel_update(struct mapctl *m, const char *name, struct xrelay_channel_cfg *cfg);

/*
 * Remove channel @name: unpublish its key, then mark it DRAINING (FREE when no dataplane is
 * alive), then bump config_gen. *@ret_id (may be NULL) gets its id. Returns 0 or -ENOENT.
 */
int mapctl_channel_remove(struct mapctl *m, const char *name, __u32 *ret_id);

/*
 * mapctl_channel_remove, but only when @check (may be NULL), given the channel as stored under
 * the editors' lock, returns 0; its negative return is returned and nothing changes. @check
 * must not call mapctl. Returns 0, -ENOENT, @check's error, or another -errno.
 */
int mapctl_channel_remove_if(struct mapctl *m, const char *name,
			     int (*check)(const struct xrelay_channel_cfg *cfg, void *arg),
			     void *arg, __u32 *ret_id);

/*
 * The dataplane's acknowledgement that channel @id (incarnation @created_ns) has no open file
 * left: DRAINING -> FREE. Returns 0, -ESTALE (another incarnation), -ENOENT (not draining).
 */
int mapctl_channel_release(struct mapctl *m, __u32 id, __u64 created_ns);

/*
 * Find channel @name among ACTIVE slots. Returns its id (>= 0) with *@cfg filled (@cfg may be
 * NULL), or -ENOENT.
 */
int mapctl_channel_find(struct mapctl *m, const char *name, struct xrelay_channel_cfg *cfg);

/*
 * Read slot @id consistently without the lock (a copy torn by a concurrent edit is re-read).
 * Returns 0, -EINVAL (id out of range), -EAGAIN (kept changing), or another -errno.
 */
int mapctl_channel_get(struct mapctl *m, __u32 id, struct xrelay_channel_cfg *cfg);

/*
 * Copy all XRELAY_MAX_CHANNELS slots into @all with one batched read. Without the lock a slot
 * being edited may be torn: confirm a slot you act on with mapctl_channel_get.
 * Returns 0 or -errno.
 */
int mapctl_channel_snapshot(struct mapctl *m, struct xrelay_channel_cfg *all);

/*
 * The ids of the published channels (keys in the channels map), ascending, into @ids (room for
 * XRELAY_MAX_CHANNELS). Cheap: one batched read of the small hash. Returns the count or -errno.
 */
int mapctl_channel_ids(struct mapctl *m, __u32 *ids);

/*
 * Iterate: the first slot with id > @after (use -1 to start) whose state is @state. Returns
 * its id with *@cfg filled, or -ENOENT at the end.
 */
int mapctl_channel_next(struct mapctl *m, int after, __u32 state, struct xrelay_channel_cfg *cfg);

/* Sum channel @id's counters into *@out. Returns 0, -EINVAL or -errno. */
int mapctl_channel_totals(struct mapctl *m, __u32 id, struct mapctl_chan_totals *out);

/* Sum the XDP program's global counters over CPUs. Returns 0 or -errno. */
int mapctl_xdp_global(struct mapctl *m, struct xrelay_xdp_global *out);

/* config_gen: read, and bump (returns the new value). Lock-free (atomic on the mmap). */
__u64 mapctl_gen(const struct mapctl *m);
__u64 mapctl_gen_bump(struct mapctl *m);

/*
 * Whether a dataplane is alive: a pid recorded and a heartbeat younger than @max_age_ms. Its
 * pid is also asked (kill 0) only when the caller shares the dataplane's PID namespace
 * (meta.dp_pidns), where a dead one is known at once. *@ret_age_ms (may be NULL) gets the
 * heartbeat's age, or UINT64_MAX for none. Any thread.
 */
bool mapctl_dataplane_alive(const struct mapctl *m, __u64 max_age_ms, __u64 *ret_age_ms);

/* The calling process's PID namespace (the inode of /proc/self/ns/pid), 0 if unknown. */
__u32 mapctl_pidns_self(void);

/* Build a key from a textual IPv4/IPv6 address (NULL or "" = any) and a host-order port. */
int mapctl_key_from_str(struct xrelay_chan_key *key, const char *addr, __u16 port);

#endif /* XRELAY_MAPCTL_H */
