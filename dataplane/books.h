/* SPDX-License-Identifier: MIT */
/*
 * The books at a dataplane's start: what a dataplane that died (kill -9, a crash, the OOM
 * killer) took off the wire and never settled, counted as dataplane_died, so that every frame
 * the XDP program numbered is again recorded, not recorded or dropped with its cause. The
 * running workers' own counting is in worker.c, shard.c and resend.c.
 */
#ifndef XRELAY_DP_BOOKS_H
#define XRELAY_DP_BOOKS_H

#include <linux/types.h>

#include "xrelay/mapctl.h"

/*
 * For every channel in the maps and every queue: the numbers the XDP program gave out past
 * those the rows have settled (stats_settled) were lost with the dataplane before this one;
 * they are added to the row's XRELAY_DROP_DIED, and the copies its destination rows selected
 * past those settled to their `died`. Call on the main thread after the maps are
 * open and before any worker binds a socket (so no frame is numbered meanwhile). *@ret_died
 * gets the total and *@ret_channels the channels it touched. Returns 0 or -errno.
 */
int books_settle_died(struct mapctl *m, __u64 *ret_died, unsigned int *ret_channels);

#endif
