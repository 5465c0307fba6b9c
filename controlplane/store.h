/* SPDX-License-Identifier: MIT */
/*
 * The API's handle on the pinned maps: opens (creating them if missing) at start, and keeps
 * serving whatever happens to them: when they are unusable (a foreign layout) requests get
 * 503 and the store retries at most once a second; when the pins are replaced underneath it
 * (the directory removed and made again), it reopens. The only code of the controlplane that
 * holds a struct mapctl.
 */
#ifndef XRELAY_CP_STORE_H
#define XRELAY_CP_STORE_H

#include <stddef.h>

#include "xrelay/mapctl.h"

struct store;

/*
 * Create the store for @pin_dir (copied) and try to open the maps at once. Fails only on
 * ENOMEM; a map problem is remembered and reported by store_acquire. *@ret set on success.
 */
int store_new(const char *pin_dir, struct store **ret);

/* Accepts NULL. No request may hold the store. */
void store_free(struct store *s);

/*
 * Get the maps for one request: 0 with *@ret_m set (release with store_release), or -ENODEV
 * when they are unusable, with the reason in @err (the store is not held then). Thread-safe; may block briefly while
 * another thread reopens.
 */
int store_acquire(struct store *s, struct mapctl **ret_m, char *err, size_t errlen);
void store_release(struct store *s);

/*
 * The published channels in id order: @ids and @cfgs (room for XRELAY_MAX_CHANNELS each) get
 * copies from a cache rebuilt only when the maps' config generation moves, so listing costs
 * no syscall while nothing changes. Call with the store acquired (@m from store_acquire).
 * Returns the count or -errno.
 */
int store_channels(struct store *s, struct mapctl *m, __u32 *ids, struct xrelay_channel_cfg *cfgs);

/* Find published channel @name in the same cache: its id with *@cfg, or -ENOENT / -errno. */
int store_find(struct store *s, struct mapctl *m, const char *name, struct xrelay_channel_cfg *cfg);

#endif
