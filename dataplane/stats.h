/* SPDX-License-Identifier: MIT */
/*
 * A worker's counters in the mmap'ed dp_stats and dest_stats rows (maps.h): its own row of a
 * channel or of one of its destinations, and the store that adds to a counter. One writer per row (the worker of that queue), so a
 * plain read and an atomic store suffice; readers in other processes take whole 64-bit
 * values. Header-only: counters move once or more per packet.
 */
#ifndef XRELAY_DP_STATS_H
#define XRELAY_DP_STATS_H

#include <errno.h>

#include <bpf/bpf.h>
#include <linux/types.h>

#include "xrelay/mapctl.h"

/* Add @n to @counter, a field of a row only the calling thread writes. */
static inline void stats_add(__u64 *counter, __u64 n)
{
	__atomic_store_n(counter, *counter + n, __ATOMIC_RELAXED);
}

/* The row of channel @id for the worker of @queue (@id < XRELAY_MAX_CHANNELS). */
static inline struct xrelay_dp_chan_stats *stats_row(const struct mapctl *m, unsigned int queue,
						     __u32 id)
{
	return &mapctl_dp_stats(m)[XRELAY_DP_INDEX(queue, id)];
}

/* The row of destination slot @d of channel @id for the worker of @queue (@d < XRELAY_MAX_DESTS). */
static inline struct xrelay_dest_stats *stats_dest_row(const struct mapctl *m, unsigned int queue,
						       __u32 id, __u32 d)
{
	return &mapctl_dest_stats(m)[XRELAY_DEST_INDEX(queue, id, d)];
}

/*
 * How many frames the XDP program has numbered so far for channel @id on @queue (its next
 * sequence number) into *@ret: 0, or -errno with *@ret 0. A syscall: never per packet.
 */
static inline int stats_seq_given(const struct mapctl *m, unsigned int queue, __u32 id, __u64 *ret)
{
	__u32 idx = XRELAY_SEQ_INDEX(queue, id);

	*ret = 0;
	if (bpf_map_lookup_elem(mapctl_fd(m, XRELAY_MAP_SEQ), &idx, ret)) {
		*ret = 0;
		return -errno;
	}
	return 0;
}

/*
 * The frames of @row's (channel, queue) the dataplane has settled: recorded, rejected, not recorded
 * (recording off) or dropped with a record-path cause. At rest it equals the number the XDP
 * program gave out for the pair; the next frame expected is numbered this. Only the row's
 * worker, or the main thread before the workers run, may rely on it being exact.
 */
static inline __u64 stats_settled(const struct xrelay_dp_chan_stats *row)
{
	__u64 n = row->recorded_packets + row->rejected + row->not_recorded + row->record_failed;
	unsigned int k;

	for (k = 0; k < XRELAY_DROP__MAX; k++)
		if (k != XRELAY_DROP_SEND_QUEUE)
			n += row->drops[k];
	return n;
}

#endif
