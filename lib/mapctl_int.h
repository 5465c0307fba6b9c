/* SPDX-License-Identifier: MIT */
/*
 * What lib/mapctl.c and lib/mapctl_channel.c share and nobody else sees: the handle's inside
 * and the table of map definitions (from XRELAY_MAP_LIST).
 */
#ifndef XRELAY_LIB_MAPCTL_INT_H
#define XRELAY_LIB_MAPCTL_INT_H

#include <limits.h>
#include <pthread.h>
#include <stddef.h>

#include "xrelay/mapctl.h"

struct map_def {
	const char *name;
	__u32 type;
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;
	__u32 flags;
};

extern const struct map_def map_defs[XRELAY_MAP__MAX];

/*
 * A datum channel's schema in the schemas map (lib/mapctl_schema.c): put for channel @id
 * of incarnation @created_ns (editors, under the lock), deleted when the id is released.
 * Put returns 0, -EMSGSIZE (longer than XRELAY_SCHEMA_MAX) or -errno.
 */
int mapctl_schema_put(struct mapctl *m, __u32 id, __u64 created_ns, const char *json, size_t len);
void mapctl_schema_delete(struct mapctl *m, __u32 id);

struct mapctl {
	char pin_dir[PATH_MAX];
	int dir_fd;
	int fds[XRELAY_MAP__MAX];
	int ncpus;
	struct xrelay_meta *meta;
	size_t meta_len;
	struct xrelay_dp_chan_stats *dp_stats;
	size_t dp_stats_len;
	struct xrelay_dest_stats *dest_stats;
	size_t dest_stats_len;
	struct xrelay_queue_stats *queue_stats;
	size_t queue_stats_len;
	pthread_mutex_t mutex;
};

#endif /* XRELAY_LIB_MAPCTL_INT_H */
