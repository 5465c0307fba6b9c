/* SPDX-License-Identifier: MIT */
/*
 * One worker per rx queue (socket backend: per worker, its channel sockets, sockrx.h, instead
 * of the AF_XDP socket): a thread, pinned, with its own AF_XDP socket and UMEM, its own
 * io_uring, its own file shards and destination sockets; it shares nothing on the hot path.
 * It records each frame of a channel into the channel's shard and re-sends it to the
 * channel's destinations, applies the config snapshots follow.h publishes (its chantab.h),
 * and counts everything in its own rows of the mmap'ed dp_stats map.
 */
#ifndef XRELAY_DP_WORKER_H
#define XRELAY_DP_WORKER_H

#include <stddef.h>

#include <linux/types.h>

#include "dp.h"

struct worker;

/*
 * Set up queue @queue (socket, UMEM, ring; dp->o.mode XRELAY_MODE_SOCKET: the socket
 * backend's buffers, dp->nqueues set); the thread is not started. @cpu < 0: no pinning.
 * dp->follow must be set (reader @queue). Returns 0 or -errno with a sentence in @err.
 * Main thread.
 */
int worker_create(struct dp *dp, unsigned int queue, int cpu, struct worker **ret, char *err,
		  size_t errlen);

/* Start the thread. Returns 0 or -errno. */
int worker_start(struct worker *w);

/* Wait for the thread to finish (after dp->stop): every file closed and renamed. */
void worker_join(struct worker *w);

/* Tear down (after join, or if never started). Accepts NULL. */
void worker_destroy(struct worker *w);

/*
 * The AF_XDP socket's counters (XDP_STATISTICS: rx_dropped, rx_invalid_descs, rx_ring_full,
 * rx_fill_ring_empty, tx_invalid_descs) into @out; rx_frames is left alone. Returns 0 or
 * -errno (-EOPNOTSUPP for the socket backend, whose worker counts its own). Any thread (a
 * getsockopt).
 */
int worker_xsk_stats(const struct worker *w, struct xrelay_queue_stats *out);

/* The socket backend's ingest of @w (NULL in XDP mode), for sockrx_publish. */
struct sockrx *worker_sockrx(struct worker *w);

/* How the socket backend's buffers reach the kernel (XRELAY_SOCK_BUFS_*; NONE in XDP mode). */
int worker_sock_bufs(const struct worker *w);

/* Whether the socket runs in zero-copy mode, and why not (*@why). Any thread. */
bool worker_zerocopy(const struct worker *w, const char **why);

#endif
