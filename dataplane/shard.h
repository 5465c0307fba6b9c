/* SPDX-License-Identifier: MIT */
/*
 * One channel's file shard of one worker: it takes a received datagram with its metadata and
 * owns everything about records: the record's Avro header (the envelope format), the writer
 * of its files, and the counters and logs of what its writer reports. It does not decide when
 * a channel records (chantab.h) nor parse frames (frame.h). Owned by one worker thread, which
 * calls every function here; none blocks.
 */
#ifndef XRELAY_DP_SHARD_H
#define XRELAY_DP_SHARD_H

#include <stdbool.h>

#include <liburing.h>
#include <linux/types.h>

#include "dp.h"
#include "frame.h"

struct shard;

/*
 * Open channel @cfg's shard for the worker of @queue: its folder <out>/<name> (made if
 * missing), a writer with the channel's rotation (or the dataplane's defaults) that submits to
 * @ring, counting into @st (the worker's row of the channel, which must outlive the shard).
 * No file is opened before the first record. A datum channel (@id's schema, from the schemas
 * map, compiled once here) also gets a writer of envelopes for its rejected datagrams,
 * "<name>-rejected" files in the same folder. Returns 0 with *@ret set, or -errno (-EINVAL:
 * the name is no valid channel name, or the schema does not compile; -ENOMEM; the folder's
 * or the schema map's error), then logged as a warning.
 */
int shard_open(const struct dp *dp, struct io_uring *ring, __u32 id,
	       const struct xrelay_channel_cfg *cfg, unsigned int queue,
	       struct xrelay_dp_chan_stats *st, struct shard **ret);

/*
 * Record one datagram: sequence number @seq, receive time @ts_ns (UTC), addresses, ports and
 * payload from @k (or, when @fr is not NULL, the payload's pieces in fr->iov: a datagram that
 * spans several frames), at wall time @now_ns. The payload is copied before this returns. A
 * record that cannot be taken is counted as a drop (write: no block buffer; no_writer: the
 * file cannot be opened). A datum channel records the payload itself when it is one datum of
 * its schema, else the envelope in its rejected files (rejected, rejected_why). Per packet.
 */
void shard_record(struct shard *s, __u64 seq, __u64 ts_ns, const struct frame_pkt *k,
		  const struct frame_frags *fr, __u64 now_ns);

/* Time passes (wall time @now_ns): flush old blocks, rotate by size or age, or now (@rotate). */
void shard_tick(struct shard *s, __u64 now_ns, bool rotate);

/*
 * A writer's operation completed: @block is the completion's user_data (cqetag_to_wop), @res
 * its result. Counts and logs what it finished.
 */
void shard_complete(void *block, int res);

/*
 * Retire @s (NULL: nothing): it writes what it gathered and goes on the list *@draining, where
 * its files close as their writes finish.
 */
void shard_retire(struct shard *s, struct shard **draining);

/*
 * Move the shards on *@draining along; those whose files are all closed are freed. Returns
 * true when the list is empty.
 */
bool shard_drain(struct shard **draining);

/* Free every shard on *@draining at once (nothing may be in flight any more). */
void shard_free_all(struct shard **draining);

#endif
