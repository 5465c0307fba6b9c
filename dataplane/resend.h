/* SPDX-License-Identifier: MIT */
/*
 * One worker's re-send path: the sockets of a channel's destinations, the send slots of its
 * io_uring (a sendmsg each, holding the frame until its completion), the transmissions on the
 * AF_XDP tx ring for the destinations it serves, and the counters of their completions. It
 * does not own the ring, the UMEM (umem.h) or the channel table (chantab.h). Owned by one
 * worker thread, which calls every function here; none blocks.
 */
#ifndef XRELAY_DP_RESEND_H
#define XRELAY_DP_RESEND_H

#include <stdbool.h>
#include <sys/socket.h>

#include <liburing.h>
#include <linux/types.h>

#include "cqetag.h"
#include "dest.h"
#include "frame.h"
#include "stats.h"
#include "umem.h"
#include "xsktx.h"

#define RESEND_SLOTS 2048u

/*
 * A socket send in flight: its message and the frames it holds (one, or each frame of a
 * datagram that spans several; iov the payload's pieces in them).
 */
struct resend_slot {
	struct msghdr mh;
	__u32 len;  /* payload bytes */
	__u32 id;   /* channel id, for the counters */
	__u32 dest; /* and its destination slot */
	__u32 next_free;
	__u32 nframes;
	__u64 frame[FRAME_FRAGS_MAX];
	struct iovec iov[FRAME_FRAGS_MAX];
};

struct resend {
	struct io_uring *ring;
	struct umem *u;
	struct mapctl *m;
	unsigned int queue;
	const char *ifname; /* the capture interface: the tx ring's */
	bool xsk_tx_off;    /* every destination through its socket */
	struct resend_slot *slots;
	__u32 free_slot;
	__u32 slots_free;
	__u32 *tx_col; /* per UMEM frame on the tx ring: channel id * XRELAY_MAX_DESTS + slot */
	__u32 *tx_len; /* and its payload length */
};

/* A channel's destinations as one worker sends to them. */
struct resend_dests {
	struct dest_sock socks[XRELAY_MAX_DESTS];
	bool fast[XRELAY_MAX_DESTS];		/* sent through the AF_XDP tx ring */
	struct xsktx_hdr txh[XRELAY_MAX_DESTS]; /* and these are its headers */
};

/*
 * An SQE of the worker's @ring, submitting what waits first when the ring is full; NULL when
 * there is still none. Per packet.
 */
static inline struct io_uring_sqe *resend_sqe(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe) {
		(void)io_uring_submit(ring);
		sqe = io_uring_get_sqe(ring);
	}
	return sqe;
}

/*
 * Set up @rs for the worker of @queue: sends go on @ring, frames are @u's (the tx ring as
 * well, unless @xsk_tx_off), counters in @m's dp_stats rows of @queue. @ifname is kept, not
 * copied. Returns 0 or -ENOMEM. Any thread, before the worker runs.
 */
int resend_init(struct resend *rs, struct io_uring *ring, struct umem *u, struct mapctl *m,
		unsigned int queue, const char *ifname, bool xsk_tx_off);

/* Free what resend_init allocated (nothing may be in flight). Accepts a zeroed @rs. */
void resend_fini(struct resend *rs);

/* Mark every socket of @d closed, before its first resend_dests_open. */
void resend_dests_init(struct resend_dests *d);

/*
 * Follow channel @cfg's destinations: (re)open the socket of each that differs from @old's
 * (NULL: all), close those beyond cfg->ndests, and choose again which go through the tx ring
 * (the interface is looked up anew). A socket that cannot open is logged; its copies are
 * counted as send errors.
 */
void resend_dests_open(const struct resend *rs, struct resend_dests *d,
		       const struct xrelay_channel_cfg *cfg, const struct xrelay_channel_cfg *old);

/* Close every socket of @d. */
void resend_dests_close(struct resend_dests *d);

/*
 * Send datagram @k of frame @frame (whose packet starts at @pkt; sequence number @seq) to each
 * of channel @id's destinations in @cfg that selects it: through the tx ring where it serves,
 * else through the destination's socket. Each send in flight holds a reference to the frame.
 * The first tx ring copy may overwrite the bytes right before the payload. A datagram that
 * spans several frames (@fr not NULL: its frames, and its payload's pieces in fr->iov) goes
 * through the sockets only, one sendmsg of those pieces each, holding every one of its
 * frames; the tx ring takes single-frame datagrams only. Each copy is counted as selected in
 * its destination's row; one that cannot go is counted there and in @st (send_queue: no slot
 * or SQE; send_errors: no socket). Per packet.
 */
void resend_datagram(struct resend *rs, const struct resend_dests *d,
		     const struct xrelay_channel_cfg *cfg, __u32 id,
		     struct xrelay_dp_chan_stats *st, __u64 frame, const __u8 *pkt,
		     const struct frame_pkt *k, const struct frame_frags *fr, __u64 seq);

/*
 * The socket send of slot @slot (cqetag_slot of its completion) completed with @res: counted
 * as sent or as a send error (the channel's and the destination's), its frame reference
 * dropped, the slot free again. Per packet.
 */
static inline void resend_complete(struct resend *rs, __u32 slot, int res)
{
	struct resend_slot *s = &rs->slots[slot];
	struct xrelay_dp_chan_stats *st = stats_row(rs->m, rs->queue, s->id);
	struct xrelay_dest_stats *ds = stats_dest_row(rs->m, rs->queue, s->id, s->dest);
	__u32 i;

	if (res >= 0) {
		stats_add(&st->sent_packets, 1);
		stats_add(&st->sent_bytes, s->len);
		stats_add(&ds->sent_packets, 1);
		stats_add(&ds->sent_bytes, s->len);
	} else {
		stats_add(&st->send_errors, 1);
		stats_add(&ds->send_errors, 1);
	}
	umem_unref(rs->u, s->frame[0]);
	for (i = 1; __builtin_expect(i < s->nframes, 0); i++)
		umem_unref(rs->u, s->frame[i]);
	s->next_free = rs->free_slot;
	rs->free_slot = slot;
	rs->slots_free++;
}

/*
 * Have the kernel transmit what waits on the tx ring, and take the transmissions it is done
 * with: counted as sent, their frame references dropped.
 */
void resend_reap_tx(struct resend *rs);

/* Whether nothing is in flight: every slot free, no transmission on the tx ring. */
static inline bool resend_idle(const struct resend *rs)
{
	return rs->slots_free == RESEND_SLOTS && !umem_tx_busy(rs->u);
}

#endif
