// SPDX-License-Identifier: MIT
/*
 * One worker's re-send path (see resend.h): destination sockets, send slots on its io_uring,
 * transmissions on the AF_XDP tx ring, and their completions' counters.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "resend.h"
#include "xrelay/log.h"
#include "xrelay/addr.h"

#define SNDBUF (4 << 20)

int resend_init(struct resend *rs, struct io_uring *ring, struct umem *u, struct mapctl *m,
		unsigned int queue, const char *ifname, bool xsk_tx_off)
{
	__u32 i;

	memset(rs, 0, sizeof(*rs));
	rs->ring = ring;
	rs->u = u;
	rs->m = m;
	rs->queue = queue;
	rs->ifname = ifname;
	rs->xsk_tx_off = xsk_tx_off;
	rs->slots = calloc(RESEND_SLOTS, sizeof(*rs->slots));
	rs->tx_col = calloc(UMEM_FRAMES, sizeof(*rs->tx_col));
	rs->tx_len = calloc(UMEM_FRAMES, sizeof(*rs->tx_len));
	if (!rs->slots || !rs->tx_col || !rs->tx_len) {
		resend_fini(rs);
		return -ENOMEM;
	}
	for (i = 0; i < RESEND_SLOTS; i++)
		rs->slots[i].next_free = i + 1;
	rs->slots_free = RESEND_SLOTS;
	return 0;
}

void resend_fini(struct resend *rs)
{
	free(rs->slots);
	free(rs->tx_col);
	free(rs->tx_len);
	rs->slots = NULL;
	rs->tx_col = NULL;
	rs->tx_len = NULL;
}

void resend_dests_init(struct resend_dests *d)
{
	__u32 i;

	for (i = 0; i < XRELAY_MAX_DESTS; i++)
		d->socks[i].fd = -1;
}

/*
 * Which destinations the AF_XDP tx ring serves: IPv4 groups out of the capture interface (see
 * xsktx.h); the others, datagrams too long for the MTU and those that span several UMEM
 * frames (the tx ring path sends one frame a datagram) go through their sockets. The
 * interface is looked up anew, so an address changed since the last time is followed.
 */
static void tx_paths(const struct resend *rs, struct resend_dests *d,
		     const struct xrelay_channel_cfg *cfg)
{
	struct xsktx_iface ifc;
	bool have = !rs->xsk_tx_off && !xsktx_iface(rs->ifname, &ifc);
	char what[DEST_FORMAT_MAX];
	__u32 i;

	for (i = 0; i < XRELAY_MAX_DESTS; i++) {
		bool was = d->fast[i];

		d->fast[i] = have && i < cfg->ndests &&
			     xsktx_dest(&cfg->dests[i], rs->ifname, &ifc, &d->txh[i]);
		if (d->fast[i] && !was && rs->queue == 0 &&
		    dest_format(&cfg->dests[i], what, sizeof(what)) > 0)
			pr_info("channel %s: %s through the AF_XDP tx ring of %s", cfg->name, what,
				rs->ifname);
	}
}

void resend_dests_open(const struct resend *rs, struct resend_dests *d,
		       const struct xrelay_channel_cfg *cfg, const struct xrelay_channel_cfg *old)
{
	char what[DEST_FORMAT_MAX];
	__u32 i;
	int r;

	for (i = 0; i < XRELAY_MAX_DESTS; i++) {
		bool same = old && i < old->ndests && i < cfg->ndests &&
			    !memcmp(&old->dests[i], &cfg->dests[i], sizeof(old->dests[i]));

		if (same)
			continue;
		dest_close(&d->socks[i]);
		if (i >= cfg->ndests)
			continue;
		/*
		 * A multicast destination's socket is connected: an unconnected socket looks the
		 * route up and allocates and frees a dst entry for every datagram (multicast
		 * output routes are not cached), a third of the send path's cost here. A group
		 * sends no ICMP errors back, so connecting costs nothing; a unicast destination's
		 * port-unreachable would fail the next send of a connected socket instead.
		 */
		r = dest_open(&cfg->dests[i], SNDBUF,
			      addr_is_multicast(cfg->dests[i].addr) ? DEST_F_CONNECT : 0,
			      &d->socks[i]);
		(void)dest_format(&cfg->dests[i], what, sizeof(what));
		if (r)
			pr_warn("channel %s: queue %u: destination %s: %s; its copies are counted as "
				"send errors",
				cfg->name, rs->queue, what, strerror(-r));
		else if (rs->queue == 0)
			pr_info("channel %s: sending to %s", cfg->name, what);
	}
	tx_paths(rs, d, cfg);
}

void resend_dests_close(struct resend_dests *d)
{
	__u32 i;

	for (i = 0; i < XRELAY_MAX_DESTS; i++)
		dest_close(&d->socks[i]);
}

/*
 * Send datagram @k (its payload in @frame, or in the frames of @fr) through socket @ds: a
 * sendmsg on the ring, holding each frame until its completion (resend_complete).
 */
static void send_one(struct resend *rs, const struct dest_sock *ds, __u32 id, __u32 dest,
		     struct xrelay_dp_chan_stats *st, struct xrelay_dest_stats *dst, __u64 frame,
		     const struct frame_pkt *k, const struct frame_frags *fr)
{
	struct io_uring_sqe *sqe;
	struct resend_slot *s;
	__u32 i, j;

	if (!rs->slots_free || !(sqe = resend_sqe(rs->ring))) {
		stats_add(&st->drops[XRELAY_DROP_SEND_QUEUE], 1);
		stats_add(&dst->send_queue_full, 1);
		return;
	}
	i = rs->free_slot;
	s = &rs->slots[i];
	rs->free_slot = s->next_free;
	rs->slots_free--;
	s->mh.msg_name = ds->connected ? NULL : (void *)&ds->addr;
	s->mh.msg_namelen = ds->connected ? 0 : ds->addrlen;
	s->mh.msg_iov = s->iov;
	s->len = k->plen;
	s->id = id;
	s->dest = dest;
	if (!fr) {
		s->iov[0].iov_base = (void *)k->payload;
		s->iov[0].iov_len = k->plen;
		s->mh.msg_iovlen = 1;
		s->frame[0] = frame;
		s->nframes = 1;
		umem_ref(rs->u, frame);
	} else {
		memcpy(s->iov, fr->iov, fr->niov * sizeof(fr->iov[0]));
		s->mh.msg_iovlen = fr->niov;
		memcpy(s->frame, fr->frame, fr->n * sizeof(fr->frame[0]));
		s->nframes = fr->n;
		for (j = 0; j < fr->n; j++)
			umem_ref(rs->u, fr->frame[j]);
	}
	io_uring_prep_sendmsg(sqe, ds->fd, &s->mh, 0);
	io_uring_sqe_set_data64(sqe, cqetag_send(i));
}

/*
 * Transmit datagram @k of @frame (whose packet starts at @pkt) to destination @i through the
 * tx ring: the first such copy in place, its headers written over the received ones right
 * before the payload (the record is already copied and socket sends read the payload only);
 * further copies in a frame taken from the free stack. False when it cannot (no room before
 * the payload nor a free frame, the tx ring full, past the MTU): the caller sends through the
 * socket instead. The frame is held until the kernel gives its address back (resend_reap_tx).
 */
static bool tx_one(struct resend *rs, const struct resend_dests *d, __u32 id, __u32 i, __u64 frame,
		   const __u8 *pkt, const struct frame_pkt *k, bool *inplace)
{
	struct umem *u = rs->u;
	__u64 base = frame;
	__u8 *at;
	__u32 fi;

	if (k->plen > d->txh[i].max_payload)
		return false;
	if (*inplace && k->payload - XSKTX_HDR_LEN >= pkt) {
		at = (__u8 *)(uintptr_t)(k->payload - XSKTX_HDR_LEN);
	} else {
		if (k->plen + XSKTX_HDR_LEN > UMEM_FRAME_SIZE || umem_take(u, &base))
			return false;
		at = umem_data(u, base);
		memcpy(at + XSKTX_HDR_LEN, k->payload, k->plen);
	}
	xsktx_write(&d->txh[i], at, k->plen, k->dport);
	if (umem_tx_push(u, (__u64)(at - (__u8 *)u->area), k->plen + XSKTX_HDR_LEN)) {
		if (base != frame)
			umem_put(u, base); /* unused: straight back (umem.h invariant 4) */
		return false;
	}
	if (base == frame)
		*inplace = false;
	fi = (__u32)(base / UMEM_FRAME_SIZE);
	umem_ref(u, base);
	rs->tx_col[fi] = id * XRELAY_MAX_DESTS + i;
	rs->tx_len[fi] = k->plen;
	return true;
}

void resend_datagram(struct resend *rs, const struct resend_dests *d,
		     const struct xrelay_channel_cfg *cfg, __u32 id,
		     struct xrelay_dp_chan_stats *st, __u64 frame, const __u8 *pkt,
		     const struct frame_pkt *k, const struct frame_frags *fr, __u64 seq)
{
	bool inplace = true;
	__u32 i;

	for (i = 0; i < cfg->ndests; i++) {
		struct xrelay_dest_stats *dst;

		if (!dest_selects(&cfg->dests[i], seq))
			continue;
		dst = stats_dest_row(rs->m, rs->queue, id, i);
		stats_add(&dst->selected, 1);
		if (d->fast[i] && !fr && tx_one(rs, d, id, i, frame, pkt, k, &inplace))
			continue;
		if (d->socks[i].fd < 0) {
			stats_add(&st->send_errors, 1);
			stats_add(&dst->send_errors, 1);
			continue;
		}
		send_one(rs, &d->socks[i], id, i, st, dst, frame, k, fr);
	}
}

void resend_reap_tx(struct resend *rs)
{
	struct umem *u = rs->u;
	__u32 idx, n, i;

	umem_tx_kick(u); /* returns at once when nothing waits on the tx ring */
	n = umem_comp_peek(u, UMEM_COMP_SIZE, &idx);
	if (!n)
		return;
	for (i = 0; i < n; i++) {
		__u64 base = umem_comp_frame(u, idx + i);
		__u32 fi = (__u32)(base / UMEM_FRAME_SIZE), col = rs->tx_col[fi];
		__u32 id = col / XRELAY_MAX_DESTS;
		struct xrelay_dp_chan_stats *st = stats_row(rs->m, rs->queue, id);
		struct xrelay_dest_stats *ds =
			stats_dest_row(rs->m, rs->queue, id, col % XRELAY_MAX_DESTS);

		stats_add(&st->sent_packets, 1);
		stats_add(&st->sent_bytes, rs->tx_len[fi]);
		stats_add(&ds->sent_packets, 1);
		stats_add(&ds->sent_bytes, rs->tx_len[fi]);
		umem_unref(u, base);
	}
	umem_comp_release(u, n);
}
