// SPDX-License-Identifier: MIT
/*
 * The worker of one rx queue (see worker.h): the receive loop, per-channel state, recording
 * into shards, re-sending with io_uring, and following configuration changes. The hot path
 * makes no allocation, takes no lock, logs nothing and makes no syscall per packet: one ring
 * peek, one io_uring_submit per batch.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <liburing.h>
#include <linux/if_ether.h>

#include "dest.h"
#include "umem.h"
#include "worker.h"
#include "writer.h"
#include "xsktx.h"
#include "xrelay/avro.h"
#include "xrelay/log.h"

#define RX_BATCH 64
#define RING_ENTRIES 4096
#define SEND_SLOTS 2048
#define SNDBUF (4 << 20)
#define IDLE_POLL_MS 5
#define SEND_TAG 1ull /* bit 0 of user_data: a send slot; clear: a writer block */
/*
 * A removed channel keeps recording this long before its files close: frames the XDP program
 * redirected before the key went away may still be in the ring, and belong in the file.
 */
#define CLOSE_GRACE_NS (100 * 1000000ull)
/*
 * The longest a stop waits for writes and sends in flight: a dead disk must not hang it. What
 * is left then stays as .part files, recovered at the next start.
 */
#define STOP_DEADLINE_NS (10 * 1000000000ull)

/* A file shard with what its completions must update; outlives its channel while draining. */
struct shard {
	struct writer *wr;
	struct xrelay_dp_chan_stats *st;
	char name[XRELAY_NAME_LEN];
	unsigned int queue;
	int dir_fd;
	struct shard *next; /* on the draining list */
};

/* This worker's view of one channel (one incarnation of one id). */
struct wchan {
	__u32 id;
	struct xrelay_channel_cfg cfg;
	struct dest_sock socks[XRELAY_MAX_DESTS];
	bool fast[XRELAY_MAX_DESTS];		/* sent through the AF_XDP tx ring */
	struct xsktx_hdr txh[XRELAY_MAX_DESTS]; /* and these are its headers */
	struct shard *shard; /* NULL until the first record, and when record is off */
	struct xrelay_dp_chan_stats *st;
	bool seq_seen;
	__u64 first_seq;
	__u64 next_seq;
	__u64 close_at;	      /* removed: close at this CLOCK_MONOTONIC time; 0 = live */
	__u64 shard_retry_at; /* the shard could not open: not again before (CLOCK_MONOTONIC) */
};

struct sslot {
	struct msghdr mh;
	struct iovec iov;
	__u64 frame;
	__u32 id; /* channel id, for the counters */
	__u32 next_free;
};

struct worker {
	struct dp *dp;
	unsigned int queue;
	int cpu;
	pthread_t th;
	bool started;
	struct umem *u;
	struct io_uring ring;
	bool ring_ok;
	struct wchan *ch[XRELAY_MAX_CHANNELS];
	struct shard *draining;
	struct xrelay_channel_cfg *snap;
	__u64 gen_applied;    /* config generation applied to ch[] */
	unsigned int closing; /* channels removed, in their close grace */
	__u64 seen_gen;	      /* atomic: gen_applied once nothing of it is draining */
	__u64 rotate_seen;
	struct sslot *slots;
	__u32 free_slot;
	__u32 slots_free;
	struct xrelay_queue_stats *qst;
	__u32 *tx_chan;	 /* per UMEM frame on the tx ring: its channel id, for the counters */
	__u32 *tx_len;	 /* and its payload length */
	__u64 last_rx;	 /* CLOCK_REALTIME of the last batch that had frames */
	bool stop_grace; /* stopping: the ring was found empty once after the grace poll */
};

static void stat_add(__u64 *counter, __u64 n)
{
	/* One writer per row (this worker); readers take whole 64-bit values. */
	__atomic_store_n(counter, *counter + n, __ATOMIC_RELAXED);
}

static void shard_report(struct shard *s, const struct writer_report *rep)
{
	if (rep->recorded_packets) {
		stat_add(&s->st->recorded_packets, rep->recorded_packets);
		stat_add(&s->st->recorded_bytes, rep->recorded_bytes);
	}
	if (rep->write_errors)
		stat_add(&s->st->write_errors, rep->write_errors);
	if (rep->dropped)
		stat_add(&s->st->drops[XRELAY_DROP_WRITE], rep->dropped);
	if (rep->opened[0])
		pr_info("channel %s: queue %u: writing %s", s->name, s->queue, rep->opened);
	if (rep->closed[0])
		pr_info("channel %s: queue %u: closed %s", s->name, s->queue, rep->closed);
	if (rep->error &&
	    (rep->write_errors || rep->dropped || (!rep->opened[0] && !rep->closed[0])))
		pr_warn("channel %s: queue %u: file error: %s%s", s->name, s->queue,
			strerror(-rep->error),
			rep->error == -ENOSPC ? " (disk full: free space or lower retention)" : "");
}

static struct shard *shard_new(struct worker *w, struct wchan *wc)
{
	struct dp *dp = w->dp;
	struct writer_opts o = {
		.channel = wc->cfg.name,
		.queue = w->queue,
		.codec = dp->o.codec,
		.rotate_bytes = wc->cfg.rotate_bytes ? wc->cfg.rotate_bytes : dp->o.rotate_bytes,
		.rotate_ns =
			(wc->cfg.rotate_seconds ? wc->cfg.rotate_seconds : dp->o.rotate_seconds) *
			1000000000ull,
		.flush_ns = dp->o.flush_ms * 1000000ull,
	};
	struct shard *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	/* The name is [A-Za-z0-9_-]{1,63} (checked by the API and here): never a path. */
	if (!mapctl_name_valid(wc->cfg.name))
		goto out_free;
	if (mkdirat(dp->out_fd, wc->cfg.name, 0755) && errno != EEXIST)
		goto out_free;
	s->dir_fd =
		openat(dp->out_fd, wc->cfg.name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (s->dir_fd < 0)
		goto out_free;
	o.dir_fd = s->dir_fd;
	o.owner = s;
	if (writer_new(&o, &s->wr))
		goto out_close;
	s->st = wc->st;
	s->queue = w->queue;
	snprintf(s->name, sizeof(s->name), "%s", wc->cfg.name);
	return s;

out_close:
	close(s->dir_fd);
out_free:
	pr_warn("channel %s: queue %u: cannot open %s/%s: %s", wc->cfg.name, w->queue,
		dp->o.out_dir, wc->cfg.name, strerror(errno));
	free(s);
	return NULL;
}

/* Hand a shard to the draining list: its files close as their writes finish. */
static void shard_retire(struct worker *w, struct shard *s)
{
	struct writer_report rep = {};

	if (!s)
		return;
	(void)writer_drain(s->wr, &w->ring, &rep);
	shard_report(s, &rep);
	s->next = w->draining;
	w->draining = s;
}

/*
 * Which destinations the AF_XDP tx ring serves: IPv4 groups out of the capture interface (see
 * xsktx.h); the others, and datagrams too long for the MTU, go through their sockets. The
 * interface is looked up anew, so an address changed since the last time is followed.
 */
static void tx_paths(struct worker *w, struct wchan *wc)
{
	struct xsktx_iface ifc;
	bool have = !w->dp->o.xsk_tx_off && !xsktx_iface(w->dp->o.ifname, &ifc);
	char what[DEST_FORMAT_MAX];
	__u32 i;

	for (i = 0; i < XRELAY_MAX_DESTS; i++) {
		bool was = wc->fast[i];

		wc->fast[i] = have && i < wc->cfg.ndests &&
			      xsktx_dest(&wc->cfg.dests[i], w->dp->o.ifname, &ifc, &wc->txh[i]);
		if (wc->fast[i] && !was && w->queue == 0 &&
		    dest_format(&wc->cfg.dests[i], what, sizeof(what)) > 0)
			pr_info("channel %s: %s through the AF_XDP tx ring of %s", wc->cfg.name,
				what, w->dp->o.ifname);
	}
}

static void socks_open(struct worker *w, struct wchan *wc, const struct xrelay_channel_cfg *old)
{
	char what[DEST_FORMAT_MAX];
	__u32 i;
	int r;

	for (i = 0; i < XRELAY_MAX_DESTS; i++) {
		bool same = old && i < old->ndests && i < wc->cfg.ndests &&
			    !memcmp(&old->dests[i], &wc->cfg.dests[i], sizeof(old->dests[i]));

		if (same)
			continue;
		dest_close(&wc->socks[i]);
		if (i >= wc->cfg.ndests)
			continue;
		/*
		 * A multicast destination's socket is connected: an unconnected socket looks the
		 * route up and allocates and frees a dst entry for every datagram (multicast
		 * output routes are not cached), a third of the send path's cost here. A group
		 * sends no ICMP errors back, so connecting costs nothing; a unicast destination's
		 * port-unreachable would fail the next send of a connected socket instead.
		 */
		r = dest_open(&wc->cfg.dests[i], SNDBUF,
			      dest_is_multicast(wc->cfg.dests[i].addr) ? DEST_F_CONNECT : 0,
			      &wc->socks[i]);
		(void)dest_format(&wc->cfg.dests[i], what, sizeof(what));
		if (r)
			pr_warn("channel %s: queue %u: destination %s: %s; its copies are counted as "
				"send errors",
				wc->cfg.name, w->queue, what, strerror(-r));
		else if (w->queue == 0)
			pr_info("channel %s: sending to %s", wc->cfg.name, what);
	}
	tx_paths(w, wc);
}

static void wchan_free(struct worker *w, struct wchan *wc)
{
	__u32 i;

	shard_retire(w, wc->shard);
	for (i = 0; i < XRELAY_MAX_DESTS; i++)
		dest_close(&wc->socks[i]);
	free(wc);
}

/* A frame for a channel this worker has no state for: open it on the spot from the maps. */
static struct wchan *wchan_open(struct worker *w, __u32 id)
{
	struct wchan *wc;
	__u32 i;

	wc = calloc(1, sizeof(*wc));
	if (!wc)
		return NULL;
	if (mapctl_channel_get(w->dp->m, id, &wc->cfg) || wc->cfg.state != XRELAY_CH_ACTIVE) {
		free(wc);
		return NULL;
	}
	for (i = 0; i < XRELAY_MAX_DESTS; i++)
		wc->socks[i].fd = -1;
	if (wc->cfg.ndests > XRELAY_MAX_DESTS) /* an editor that is not mapctl: never trusted */
		wc->cfg.ndests = XRELAY_MAX_DESTS;
	wc->id = id;
	wc->st = &mapctl_dp_stats(w->dp->m)[XRELAY_DP_INDEX(w->queue, id)];
	socks_open(w, wc, NULL);
	pr_info("channel %s: queue %u: serving (id %u, record %s, %u destination(s))", wc->cfg.name,
		w->queue, id, wc->cfg.flags & XRELAY_CH_F_RECORD ? "on" : "off", wc->cfg.ndests);
	w->ch[id] = wc;
	return wc;
}

/* Follow the maps: close removed channels, apply changed ones. Not per packet: on a new gen. */
static void reconcile(struct worker *w)
{
	struct mapctl *m = w->dp->m;
	__u64 gen = mapctl_gen(m);
	struct writer_report rep;
	struct shard **pp;
	__u32 id;

	if (gen != w->gen_applied && !mapctl_channel_snapshot(m, w->snap)) {
		for (id = 0; id < XRELAY_MAX_CHANNELS; id++) {
			struct wchan *wc = w->ch[id];
			const struct xrelay_channel_cfg *s = &w->snap[id];
			struct xrelay_channel_cfg old;

			if (!wc)
				continue;
			if (s->generation != wc->cfg.generation &&
			    mapctl_channel_get(m, id, &w->snap[id]))
				continue; /* the batched read may be torn: act on a checked one */
			if (s->state != XRELAY_CH_ACTIVE || s->created_ns != wc->cfg.created_ns) {
				if (!wc->close_at) {
					wc->close_at = dp_now_mono() + CLOSE_GRACE_NS;
					w->closing++;
				}
				continue;
			}
			if (s->generation == wc->cfg.generation)
				continue;
			old = wc->cfg;
			wc->cfg = *s;
			if (wc->cfg.ndests > XRELAY_MAX_DESTS)
				wc->cfg.ndests = XRELAY_MAX_DESTS;
			socks_open(w, wc, &old);
			if (!(s->flags & XRELAY_CH_F_RECORD) && wc->shard) {
				shard_retire(w, wc->shard);
				wc->shard = NULL;
			}
		}
		w->gen_applied = gen;
	}
	/* Removed channels whose grace is over: their shards drain and close. */
	for (id = 0; w->closing && id < XRELAY_MAX_CHANNELS; id++) {
		struct wchan *wc = w->ch[id];

		if (!wc || !wc->close_at || dp_now_mono() < wc->close_at)
			continue;
		pr_info("channel %s: queue %u: closing", wc->cfg.name, w->queue);
		w->ch[id] = NULL;
		w->closing--;
		wchan_free(w, wc);
	}
	/* Draining shards: free those whose files are all closed. */
	for (pp = &w->draining; *pp;) {
		struct shard *s = *pp;

		memset(&rep, 0, sizeof(rep));
		if (writer_drain(s->wr, &w->ring, &rep)) {
			*pp = s->next;
			shard_report(s, &rep);
			writer_free(s->wr);
			close(s->dir_fd);
			free(s);
			continue;
		}
		shard_report(s, &rep);
		pp = &s->next;
	}
	if (!w->draining && !w->closing)
		__atomic_store_n(&w->seen_gen, w->gen_applied, __ATOMIC_RELEASE);
}

static struct io_uring_sqe *sqe_get(struct worker *w)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);

	if (!sqe) {
		(void)io_uring_submit(&w->ring);
		sqe = io_uring_get_sqe(&w->ring);
	}
	return sqe;
}

static void frame_unref(struct worker *w, __u64 frame)
{
	__u32 i = (__u32)(frame / UMEM_FRAME_SIZE);

	if (--w->u->refs[i] == 0)
		umem_put(w->u, frame);
}

static void send_one(struct worker *w, struct wchan *wc, struct dest_sock *ds, __u64 frame,
		     const void *payload, __u32 len)
{
	struct io_uring_sqe *sqe;
	struct sslot *s;
	__u32 i;

	if (!w->slots_free || !(sqe = sqe_get(w))) {
		stat_add(&wc->st->drops[XRELAY_DROP_SEND_QUEUE], 1);
		return;
	}
	i = w->free_slot;
	s = &w->slots[i];
	w->free_slot = s->next_free;
	w->slots_free--;
	s->iov.iov_base = (void *)payload;
	s->iov.iov_len = len;
	s->mh.msg_name = ds->connected ? NULL : &ds->addr;
	s->mh.msg_namelen = ds->connected ? 0 : ds->addrlen;
	s->mh.msg_iov = &s->iov;
	s->mh.msg_iovlen = 1;
	s->frame = frame;
	s->id = wc->id;
	w->u->refs[frame / UMEM_FRAME_SIZE]++;
	io_uring_prep_sendmsg(sqe, ds->fd, &s->mh, 0);
	io_uring_sqe_set_data64(sqe, ((__u64)i << 1) | SEND_TAG);
}

static void send_done(struct worker *w, __u32 i, int res)
{
	struct sslot *s = &w->slots[i];
	struct xrelay_dp_chan_stats *st =
		&mapctl_dp_stats(w->dp->m)[XRELAY_DP_INDEX(w->queue, s->id)];

	if (res >= 0) {
		stat_add(&st->sent_packets, 1);
		stat_add(&st->sent_bytes, s->iov.iov_len);
	} else {
		stat_add(&st->send_errors, 1);
	}
	frame_unref(w, s->frame);
	s->next_free = w->free_slot;
	w->free_slot = i;
	w->slots_free++;
}

static void reap(struct worker *w)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;

	io_uring_for_each_cqe(&w->ring, head, cqe)
	{
		__u64 ud = cqe->user_data;

		n++;
		if (ud == LIBURING_UDATA_TIMEOUT) /* liburing's own, on kernels before 5.11 */
			continue;
		if (ud & SEND_TAG) {
			send_done(w, (__u32)(ud >> 1), cqe->res);
		} else if (ud) {
			struct wblock *b = (struct wblock *)(uintptr_t)ud;
			struct shard *s = writer_block_owner(b);
			struct writer_report rep = {};

			writer_complete(s->wr, &w->ring, b, cqe->res, &rep);
			shard_report(s, &rep);
		}
	}
	io_uring_cq_advance(&w->ring, n);
}

/* What the userspace parse of a redirected frame finds. */
struct pkt {
	const __u8 *src, *dst;
	__u8 alen;
	__u16 sport, dport;
	const __u8 *payload;
	__u32 plen;
};

/*
 * Parse Ethernet, VLAN tags, IPv4/IPv6 and UDP again: the XDP program checked them, but a
 * frame is bytes in shared memory and is checked before use. Returns 0 or -1 (truncated).
 */
static int parse(const __u8 *p, __u32 len, struct pkt *k)
{
	const __u8 *end = p + len, *l3 = p + ETH_HLEN;
	__u16 proto;
	int i;

	if (len < ETH_HLEN)
		return -1;
	proto = (__u16)(p[12] << 8 | p[13]);
	for (i = 0; i < 2 && (proto == ETH_P_8021Q || proto == ETH_P_8021AD); i++) {
		if (l3 + 4 > end)
			return -1;
		proto = (__u16)(l3[2] << 8 | l3[3]);
		l3 += 4;
	}
	if (proto == ETH_P_IP) {
		__u32 ihl;

		if (l3 + 20 > end)
			return -1;
		ihl = (__u32)(l3[0] & 0xf) * 4;
		k->src = l3 + 12;
		k->dst = l3 + 16;
		k->alen = 4;
		l3 += ihl;
	} else if (proto == ETH_P_IPV6) {
		if (l3 + 40 > end)
			return -1;
		k->src = l3 + 8;
		k->dst = l3 + 24;
		k->alen = 16;
		l3 += 40;
	} else {
		return -1;
	}
	if (l3 + 8 > end)
		return -1;
	k->sport = (__u16)(l3[0] << 8 | l3[1]);
	k->dport = (__u16)(l3[2] << 8 | l3[3]);
	k->plen = (__u32)(l3[4] << 8 | l3[5]);
	if (k->plen < 8 || l3 + k->plen > end)
		return -1;
	k->plen -= 8;
	k->payload = l3 + 8;
	return 0;
}

/*
 * Transmit the datagram @k of @frame (whose packet starts at @pkt) to destination @i through
 * the tx ring: the first such copy in place, its headers written over the received ones right
 * before the payload (the record is already copied and socket sends read the payload only);
 * further copies in a frame from the free stack. False when it cannot (no room before the
 * payload nor a free frame, the tx ring full, past the MTU): the caller sends through the
 * socket instead. The frame is held until the kernel gives its address back (reap_tx).
 */
static bool tx_one(struct worker *w, struct wchan *wc, __u32 i, __u64 frame, const __u8 *pkt,
		   const struct pkt *k, bool *inplace)
{
	struct umem *u = w->u;
	__u64 base = frame;
	__u8 *at;
	__u32 fi;

	if (k->plen > wc->txh[i].max_payload)
		return false;
	if (*inplace && k->payload - XSKTX_HDR_LEN >= pkt) {
		at = (__u8 *)(uintptr_t)(k->payload - XSKTX_HDR_LEN);
	} else {
		if (!u->nfree || k->plen + XSKTX_HDR_LEN > UMEM_FRAME_SIZE)
			return false;
		base = u->free[u->nfree - 1];
		at = umem_data(u, base);
		memcpy(at + XSKTX_HDR_LEN, k->payload, k->plen);
	}
	xsktx_write(&wc->txh[i], at, k->plen, k->dport);
	if (umem_tx_push(u, (__u64)(at - (__u8 *)u->area), k->plen + XSKTX_HDR_LEN))
		return false;
	if (base == frame)
		*inplace = false;
	else
		u->nfree--;
	fi = (__u32)(base / UMEM_FRAME_SIZE);
	u->refs[fi]++;
	w->tx_chan[fi] = wc->id;
	w->tx_len[fi] = k->plen;
	return true;
}

/* Transmissions the kernel is done with: counted as sent, their frames released. */
static void reap_tx(struct worker *w)
{
	struct umem *u = w->u;
	__u32 idx, n, i;

	umem_tx_kick(u); /* returns at once when nothing waits on the tx ring */
	if (!u->tx_inflight)
		return;
	n = xsk_ring_cons__peek(&u->cq, UMEM_COMP_SIZE, &idx);
	for (i = 0; i < n; i++) {
		__u64 base = umem_frame_base(*xsk_ring_cons__comp_addr(&u->cq, idx + i));
		__u32 fi = (__u32)(base / UMEM_FRAME_SIZE);
		struct xrelay_dp_chan_stats *st =
			&mapctl_dp_stats(w->dp->m)[XRELAY_DP_INDEX(w->queue, w->tx_chan[fi])];

		stat_add(&st->sent_packets, 1);
		stat_add(&st->sent_bytes, w->tx_len[fi]);
		frame_unref(w, base);
	}
	xsk_ring_cons__release(&u->cq, n);
	u->tx_inflight -= n;
}

static void rx_frame(struct worker *w, __u64 addr, __u32 len, __u64 now_real)
{
	__u64 frame = umem_frame_base(addr);
	const __u8 *p = umem_data(w->u, addr);
	struct xrelay_xdp_meta meta;
	__u8 hdr[XRELAY_PACKET_HDR_MAX];
	struct ocf_envelope env;
	struct wchan *wc;
	struct pkt k;
	bool inplace = true;
	__u64 ts;
	__u32 i;
	int r, hlen;

	w->u->refs[frame / UMEM_FRAME_SIZE] = 1; /* the worker's own, dropped at the end */
	memcpy(&meta, p - sizeof(meta), sizeof(meta));
	if (meta.channel_id >= XRELAY_MAX_CHANNELS)
		goto out;
	wc = w->ch[meta.channel_id];
	if (!wc && !(wc = wchan_open(w, meta.channel_id))) {
		/* Its channel is gone (past the close grace): counted, so rx = recorded + dropped. */
		stat_add(&mapctl_dp_stats(w->dp->m)[XRELAY_DP_INDEX(w->queue, meta.channel_id)]
				  .drops[XRELAY_DROP_NO_WRITER],
			 1);
		goto out;
	}
	/*
	 * A gap in this (channel, queue)'s numbers: frames lost before us (rx ring full). The
	 * numbers only move forward: generic XDP may run one queue on several CPUs, so a frame can
	 * arrive after a later-numbered one; it fills a gap counted before, so it is taken back.
	 */
	if (!wc->seq_seen || meta.seq >= wc->next_seq) {
		if (wc->seq_seen && meta.seq > wc->next_seq)
			stat_add(&wc->st->drops[XRELAY_DROP_XSK_GAP], meta.seq - wc->next_seq);
		if (!wc->seq_seen)
			wc->first_seq = meta.seq;
		wc->seq_seen = true;
		wc->next_seq = meta.seq + 1;
	} else if (meta.seq >= wc->first_seq && wc->st->drops[XRELAY_DROP_XSK_GAP]) {
		__atomic_store_n(&wc->st->drops[XRELAY_DROP_XSK_GAP],
				 wc->st->drops[XRELAY_DROP_XSK_GAP] - 1, __ATOMIC_RELAXED);
	}
	if (parse(p, len, &k)) {
		stat_add(&wc->st->drops[XRELAY_DROP_TRUNCATED], 1);
		goto out;
	}
	ts = meta.flags & XRELAY_META_F_TS_HW
		     ? meta.ts_ns
		     : meta.ts_ns + (__u64)__atomic_load_n(&w->dp->mono_to_real, __ATOMIC_RELAXED);

	if (wc->cfg.flags & XRELAY_CH_F_RECORD) {
		struct writer_report rep = {};

		/* A shard that cannot open is retried (and logged) once a second, not per frame. */
		if (!wc->shard && dp_now_mono() >= wc->shard_retry_at) {
			wc->shard = shard_new(w, wc);
			if (!wc->shard)
				wc->shard_retry_at = dp_now_mono() + 1000000000ull;
		}
		if (!wc->shard) {
			stat_add(&wc->st->drops[XRELAY_DROP_NO_WRITER], 1);
		} else {
			env = (struct ocf_envelope){
				.seq = (int64_t)meta.seq,
				.ts_ns = (int64_t)ts,
				.src_addr = k.src,
				.dst_addr = k.dst,
				.src_len = k.alen,
				.dst_len = k.alen,
				.src_port = k.sport,
				.dst_port = k.dport,
				.payload_len = k.plen,
			};
			hlen = ocf_envelope_hdr(&env, hdr, sizeof(hdr));
			r = hlen < 0 ? hlen
				     : writer_add(wc->shard->wr, &w->ring, hdr, (size_t)hlen,
						  k.payload, k.plen, now_real, &rep);
			if (r)
				stat_add(&wc->st->drops[r == -ENOSPC ? XRELAY_DROP_WRITE
								     : XRELAY_DROP_NO_WRITER],
					 1);
			if (rep.opened[0] || rep.closed[0] || rep.error || rep.dropped)
				shard_report(wc->shard, &rep);
		}
	}
	for (i = 0; i < wc->cfg.ndests; i++) {
		if (!dest_selects(&wc->cfg.dests[i], meta.seq))
			continue;
		if (wc->fast[i] && tx_one(w, wc, i, frame, p, &k, &inplace))
			continue;
		if (wc->socks[i].fd < 0) {
			stat_add(&wc->st->send_errors, 1);
			continue;
		}
		send_one(w, wc, &wc->socks[i], frame, k.payload, k.plen);
	}
out:
	frame_unref(w, frame);
}

static void tick(struct worker *w, __u64 now_real, bool rotate)
{
	struct writer_report rep;
	__u32 id;

	for (id = 0; id < XRELAY_MAX_CHANNELS; id++) {
		struct wchan *wc = w->ch[id];

		if (!wc || !wc->shard)
			continue;
		memset(&rep, 0, sizeof(rep));
		writer_tick(wc->shard->wr, &w->ring, now_real, rotate, &rep);
		if (rep.opened[0] || rep.closed[0] || rep.error || rep.dropped)
			shard_report(wc->shard, &rep);
	}
}

/*
 * At stop, with XDP detached and the ring drained: frames the XDP program numbered for this
 * (channel, queue) beyond the last one seen never arrived (lost at the end of a run, where no
 * later frame shows the gap). Count them with the other ring losses.
 */
static void account_tail(struct worker *w, struct wchan *wc)
{
	__u32 idx = XRELAY_SEQ_INDEX(w->queue, wc->id);
	__u64 next = 0;

	if (!wc->seq_seen ||
	    bpf_map_lookup_elem(mapctl_fd(w->dp->m, XRELAY_MAP_SEQ), &idx, &next) ||
	    next <= wc->next_seq)
		return;
	stat_add(&wc->st->drops[XRELAY_DROP_XSK_GAP], next - wc->next_seq);
}

/*
 * The ring's io-wq workers run what cannot be done without blocking: buffered file writes on
 * most file systems (tmpfs, or any under writeback). They belong to the submitting thread and
 * inherit its CPU, so the writes take turns with the packets on the worker's own core. With
 * --io-cpus they run there instead: right where cores are to spare, wrong where those cores
 * are busy with receive processing (the benchmark's 2-vCPU stage: docs/benchmarks.md). Called
 * on the worker thread: the affinity is that of the calling thread's io-wq, which the kernel
 * makes with the thread's io_uring context (here: io_uring_register_ring_fd, which also
 * spares each io_uring_enter a file look-up).
 */
static void ring_iowq_cpus(struct worker *w)
{
	int r;

	if (!CPU_COUNT(&w->dp->o.io_cpus))
		return;
	r = io_uring_register_iowq_aff(&w->ring, sizeof(w->dp->o.io_cpus), &w->dp->o.io_cpus);
	if (r)
		pr_warn("queue %u: --io-cpus refused (%s%s): file writes run on the worker's CPU",
			w->queue, strerror(-r), r == -EINVAL ? "; needs Linux 5.14" : "");
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct dp *dp = w->dp;
	struct pollfd pfd = { .fd = umem_fd(w->u), .events = POLLIN };
	__u64 last_tick = 0, now, stop_deadline = 0;
	unsigned int n, i;
	__u32 idx;
	bool stopping = false;

	/* Pinned first: the io-wq it is about to make takes the thread's CPU as its default. */
	if (w->cpu >= 0) {
		cpu_set_t set;
		int r;

		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		r = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
		if (r)
			pr_warn("queue %u: cannot pin to CPU %d: %s", w->queue, w->cpu,
				strerror(r));
	}
	(void)io_uring_register_ring_fd(&w->ring);
	ring_iowq_cpus(w);
	for (;;) {
		bool rotate = false;
		__u64 epoch;

		/* Once stopping, the ring was drained and no frame can come: it is not read. */
		n = stopping ? 0 : xsk_ring_cons__peek(&w->u->rx, RX_BATCH, &idx);
		if (n) {
			now = dp_now_real();
			w->last_rx = now;
			for (i = 0; i < n; i++) {
				const struct xdp_desc *d =
					xsk_ring_cons__rx_desc(&w->u->rx, idx + i);

				rx_frame(w, d->addr, d->len, now);
			}
			xsk_ring_cons__release(&w->u->rx, n);
			stat_add(&w->qst->rx_frames, n);
		}
		if (io_uring_sq_ready(&w->ring))
			(void)io_uring_submit(&w->ring);
		reap(w);
		reap_tx(w);
		umem_refill(w->u);
		if (n == RX_BATCH)
			continue;

		/* The ring ran dry: housekeeping, then wait a little for more. */
		now = dp_now_real();
		epoch = __atomic_load_n(&dp->rotate_epoch, __ATOMIC_RELAXED);
		if (epoch != w->rotate_seen) {
			w->rotate_seen = epoch;
			rotate = true;
		}
		if (rotate || now - last_tick >= dp->o.flush_ms * 1000000ull / 4) {
			tick(w, now, rotate);
			last_tick = now;
		}
		reconcile(w);
		if (stopping) {
			if (!w->draining && !io_uring_sq_ready(&w->ring) &&
			    w->slots_free == SEND_SLOTS && !w->u->tx_inflight)
				break;
			if (dp_now_mono() > stop_deadline) {
				pr_warn("queue %u: writes or sends still in flight after %llu s; leaving "
					"their files as .part, recovered at the next start",
					w->queue, STOP_DEADLINE_NS / 1000000000ull);
				break;
			}
			{
				struct __kernel_timespec ts = { .tv_nsec = 50 * 1000000 };
				struct io_uring_cqe *cqe;

				(void)io_uring_submit(&w->ring);
				(void)io_uring_wait_cqe_timeout(&w->ring, &cqe, &ts);
			}
			reap(w);
			reap_tx(w);
			reconcile(w);
			continue;
		}
		if (__atomic_load_n(&dp->stop, __ATOMIC_ACQUIRE)) {
			__u32 id;

			/*
			 * Stop. XDP is detached already; frames the kernel was still handing
			 * over land within a moment: take the ring until it stays empty.
			 */
			if (n || !w->stop_grace) {
				w->stop_grace = true;
				(void)poll(&pfd, 1, IDLE_POLL_MS);
				continue;
			}
			/* Every shard writes what it holds and closes its files. */
			for (id = 0; id < XRELAY_MAX_CHANNELS; id++) {
				if (w->ch[id]) {
					account_tail(w, w->ch[id]);
					wchan_free(w, w->ch[id]);
					w->ch[id] = NULL;
				}
			}
			w->closing = 0;
			stopping = true;
			stop_deadline = dp_now_mono() + STOP_DEADLINE_NS;
			continue;
		}
		if (!n) {
			if (xsk_ring_prod__needs_wakeup(&w->u->fq))
				(void)recvfrom(pfd.fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
			/*
			 * Sleep only once no frame came for --spin-us: waking from poll() costs
			 * 50 us at the median here (an IPI to a halted vCPU) and a burst waits
			 * for it, while under load the next frame is rarely that far away.
			 */
			if (!dp->o.busy_poll && now - w->last_rx >= dp->o.spin_us * 1000ull &&
			    !umem_tx_pending(w->u))
				(void)poll(&pfd, 1, IDLE_POLL_MS);
		}
	}
	if (io_uring_sq_ready(&w->ring))
		(void)io_uring_submit(&w->ring);
	reap(w);
	return NULL;
}

int worker_create(struct dp *dp, unsigned int queue, int cpu, struct worker **ret, char *err,
		  size_t errlen)
{
	struct io_uring_params params = {};
	struct io_uring_probe *probe;
	struct worker *w = calloc(1, sizeof(*w));
	unsigned int flags = UMEM_F_TRY_ZEROCOPY;
	__u32 i;
	int r;

	if (!w)
		return -ENOMEM;
	w->dp = dp;
	w->queue = queue;
	w->cpu = cpu;
	w->snap = malloc(sizeof(*w->snap) * XRELAY_MAX_CHANNELS);
	w->slots = calloc(SEND_SLOTS, sizeof(*w->slots));
	w->tx_chan = calloc(UMEM_FRAMES, sizeof(*w->tx_chan));
	w->tx_len = calloc(UMEM_FRAMES, sizeof(*w->tx_len));
	if (!w->snap || !w->slots || !w->tx_chan || !w->tx_len) {
		r = -ENOMEM;
		goto out_destroy;
	}
	for (i = 0; i < SEND_SLOTS; i++)
		w->slots[i].next_free = i + 1;
	w->slots_free = SEND_SLOTS;
	w->qst = &mapctl_queue_stats(dp->m)[queue];
	memset(w->qst, 0, sizeof(*w->qst));
	w->gen_applied = mapctl_gen(dp->m);
	w->seen_gen = w->gen_applied;

	r = io_uring_queue_init_params(RING_ENTRIES, &w->ring, &params);
	if (r) {
		snprintf(err, errlen, "queue %u: io_uring_setup: %s%s", queue, strerror(-r),
			 r == -ENOSYS  ? " (io_uring needs kernel 5.1+)"
			 : r == -EPERM ? " (io_uring disabled: sysctl kernel.io_uring_disabled)"
				       : "");
		goto out_destroy;
	}
	w->ring_ok = true;
	probe = io_uring_get_probe_ring(&w->ring);
	if (!probe || !io_uring_opcode_supported(probe, IORING_OP_SENDMSG) ||
	    !io_uring_opcode_supported(probe, IORING_OP_WRITEV)) {
		snprintf(err, errlen, "queue %u: io_uring lacks SENDMSG or WRITEV (kernel 5.3+)",
			 queue);
		if (probe)
			io_uring_free_probe(probe);
		r = -EOPNOTSUPP;
		goto out_destroy;
	}
	io_uring_free_probe(probe);
	if (dp->o.busy_poll)
		flags |= UMEM_F_BUSY_POLL;
	if (dp->o.xdp_mode == XRELAY_MODE_XDP_GENERIC)
		flags &= ~UMEM_F_TRY_ZEROCOPY;
	r = umem_create(dp->o.ifname, queue, flags, mapctl_fd(dp->m, XRELAY_MAP_XSKS), &w->u, err,
			errlen);
	if (r)
		goto out_destroy;
	*ret = w;
	return 0;

out_destroy:
	worker_destroy(w);
	return r;
}

int worker_start(struct worker *w)
{
	int r = pthread_create(&w->th, NULL, worker_main, w);

	if (r)
		return -r;
	w->started = true;
	return 0;
}

void worker_join(struct worker *w)
{
	if (w && w->started) {
		pthread_join(w->th, NULL);
		w->started = false;
	}
}

void worker_destroy(struct worker *w)
{
	__u32 id;

	if (!w)
		return;
	for (id = 0; id < XRELAY_MAX_CHANNELS; id++)
		if (w->ch[id])
			wchan_free(w, w->ch[id]);
	while (w->draining) {
		struct shard *s = w->draining;

		w->draining = s->next;
		writer_free(s->wr);
		close(s->dir_fd);
		free(s);
	}
	umem_destroy(w->u, w->queue, mapctl_fd(w->dp->m, XRELAY_MAP_XSKS));
	if (w->ring_ok)
		io_uring_queue_exit(&w->ring);
	free(w->snap);
	free(w->slots);
	free(w->tx_chan);
	free(w->tx_len);
	free(w);
}

__u64 worker_seen_gen(const struct worker *w)
{
	return __atomic_load_n(&w->seen_gen, __ATOMIC_ACQUIRE);
}

int worker_xsk_stats(const struct worker *w, struct xrelay_queue_stats *out)
{
	__u64 tx_invalid;

	return umem_stats(w->u, &out->rx_dropped, &out->rx_invalid_descs, &out->rx_ring_full,
			  &out->rx_fill_ring_empty, &tx_invalid);
}

bool worker_zerocopy(const struct worker *w, const char **why)
{
	*why = w->u->mode_why;
	return w->u->zerocopy;
}
