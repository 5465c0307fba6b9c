// SPDX-License-Identifier: MIT
/* The books at a dataplane's start; see books.h. */
#include <errno.h>
#include <stdlib.h>

#include "books.h"
#include "stats.h"

/* The copies to channel @id's destinations that @q's dead worker had in flight: died. */
static void dests_settle_died(struct mapctl *m, unsigned int q, __u32 id)
{
	__u32 d;

	for (d = 0; d < XRELAY_MAX_DESTS; d++) {
		struct xrelay_dest_stats *ds = stats_dest_row(m, q, id, d);
		__u64 settled = ds->sent_packets + ds->send_errors + ds->send_queue_full + ds->died;

		if (ds->selected > settled)
			stats_add(&ds->died, ds->selected - settled);
	}
}

int books_settle_died(struct mapctl *m, __u64 *ret_died, unsigned int *ret_channels)
{
	struct xrelay_channel_cfg *all = malloc(sizeof(*all) * XRELAY_MAX_CHANNELS);
	unsigned int channels = 0;
	__u64 died = 0;
	__u32 id, q;
	int r;

	if (!all)
		return -ENOMEM;
	r = mapctl_channel_snapshot(m, all);
	if (r)
		goto out_free;
	for (id = 0; id < XRELAY_MAX_CHANNELS; id++) {
		bool touched = false;

		if (all[id].state == XRELAY_CH_FREE)
			continue;
		for (q = 0; q < XRELAY_MAX_QUEUES; q++) {
			struct xrelay_dp_chan_stats *row = stats_row(m, q, id);
			__u64 given, settled;

			dests_settle_died(m, q, id);
			r = stats_seq_given(m, q, id, &given);
			if (r)
				goto out_free;
			given += row->sock_rx_packets; /* the socket backend numbers at receipt */
			settled = stats_settled(row);
			if (given <= settled)
				continue;
			stats_add(&row->drops[XRELAY_DROP_DIED], given - settled);
			died += given - settled;
			touched = true;
		}
		channels += touched;
	}
	*ret_died = died;
	*ret_channels = channels;
out_free:
	free(all);
	return r;
}
