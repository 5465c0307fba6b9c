// SPDX-License-Identifier: MIT
/*
 * The worker of one rx queue (see worker.h): its thread, the receive loop, and the dispatch
 * of its io_uring's completions. What a frame means is elsewhere: its parse (frame.h), its
 * channel (chantab.h), its record (shard.h), its copies (resend.h), its memory (umem.h). The
 * hot path makes no allocation, takes no lock, logs nothing and makes no syscall per packet:
 * one ring peek, one io_uring_submit per batch. Over 500 lines because the loop, its
 * housekeeping schedule and the stop (drain, deadline, cancel) share the thread's state and
 * invariants; the multi-buffer gather stays beside the fast path it branches off, and the
 * socket backend's datagrams (sockrx.h) join the same delivery and the same loop.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <liburing.h>

#include "chantab.h"
#include "cqetag.h"
#include "frame.h"
#include "resend.h"
#include "shard.h"
#include "sockrx.h"
#include "stats.h"
#include "umem.h"
#include "worker.h"
#include "xrelay/log.h"

#define RX_BATCH 64
#define RING_ENTRIES 4096
#define IDLE_POLL_MS 5
/*
 * Housekeeping (config changes, flushing, rotation, draining, stop) runs whenever the rx ring
 * runs dry, and under a load that never lets it run dry at least this often: it must not
 * starve (a deleted channel's files closed, a PATCH applied, within the same bound).
 */
#define HOUSEKEEPING_NS (1000000ull)
/*
 * A ring idle this long: frames the XDP program numbered beyond the last one taken are not
 * coming (lost when the ring was full), so they are counted now rather than when a later frame
 * shows the gap; the books balance at rest. One that does turn up after all is taken back.
 */
#define TAIL_IDLE_NS (200 * 1000000ull)
/*
 * The longest a stop waits for writes and sends in flight: a dead disk must not hang it. What
 * is left then stays as .part files, recovered at the next start.
 */
#define STOP_DEADLINE_NS (10 * 1000000000ull)

struct worker {
	struct dp *dp;
	unsigned int queue;
	int cpu;
	pthread_t th;
	bool started;
	struct umem *u; /* the AF_XDP socket's UMEM; the socket backend's buffers (sr.pool) */
	bool sock;	/* the socket backend (sr) instead of AF_XDP */
	struct sockrx sr;
	struct io_uring ring;
	bool ring_ok;
	struct chantab tab;
	struct resend rs;
	__u64 rotate_seen;
	struct xrelay_queue_stats *qst;
	__u64 last_rx;	   /* CLOCK_REALTIME of the last batch that had frames */
	__u64 last_house;  /* CLOCK_REALTIME of the last housekeeping */
	bool leak;	   /* stopped with I/O in flight: its buffers must outlive the process */
	bool tail_counted; /* since the last frame, the tails were counted (account_tail) */
	bool stop_grace;   /* stopping: the ring was found empty once after the grace poll */
};

/*
 * A datagram of channel @wc numbered @seq, received at @ts: recorded (or counted as not
 * recorded), then re-sent; its memory (@frame, or @fr's frames) is held by the caller.
 */
static inline __attribute__((always_inline)) void
deliver(struct worker *w, struct wchan *wc, __u64 seq, __u64 ts, const struct frame_pkt *k,
	struct frame_frags *fr, __u64 frame, const __u8 *p, __u64 now_real)
{
	struct shard *s;

	if (wc->cfg.flags & XRELAY_CH_F_RECORD) {
		s = chantab_shard(&w->tab, wc);
		if (s)
			shard_record(s, seq, ts, k, fr, now_real);
		else
			stats_add(&wc->st->drops[XRELAY_DROP_NO_WRITER], 1);
	} else {
		stats_add(&wc->st->not_recorded, 1);
	}
	resend_datagram(&w->rs, &wc->dests, &wc->cfg, wc->id, wc->st, frame, p, k, fr, seq);
}

/*
 * A datagram off a channel socket (the socket backend): numbered for its (channel, worker) at
 * receipt, so that its shard reads as one of XDP mode's, then delivered. Its buffer is held
 * until the record is copied and the sends took their own references.
 */
static void rx_dgram(struct worker *w, const struct sockrx_dgram *d, __u64 now_real)
{
	struct wchan *wc = w->tab.ch[d->id];
	__u64 seq;

	umem_ref(w->u, d->buf);
	if (!wc) {
		/* Its channel closed while the datagram was on its way: counted, as in rx_packet. */
		stats_add(&stats_row(w->dp->m, w->queue, d->id)->drops[XRELAY_DROP_NO_WRITER], 1);
	} else {
		seq = wchan_seq_next(wc);
		wc->next_seq = seq + 1;
		deliver(w, wc, seq, d->ts_ns ? d->ts_ns : now_real, &d->k, NULL, d->buf,
			d->k.payload, now_real);
	}
	umem_unref(w->u, d->buf);
}

/*
 * Completions: each to its owner by its tag (cqetag.h). Returns the datagrams taken off
 * channel sockets (the socket backend).
 */
static unsigned int reap(struct worker *w)
{
	struct sockrx_dgram d;
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0, got = 0;
	__u64 now = 0;

	io_uring_for_each_cqe(&w->ring, head, cqe)
	{
		__u64 ud = cqe->user_data;

		n++;
		if (ud == LIBURING_UDATA_TIMEOUT) /* liburing's own, on kernels before 5.11 */
			continue;
		if (cqetag_is_send(ud)) {
			resend_complete(&w->rs, cqetag_slot(ud), cqe->res);
		} else if (cqetag_is_recv(ud)) {
			if (!sockrx_complete(&w->sr, cqetag_recv_id(ud), cqe, &d))
				continue;
			if (!got++)
				now = dp_now_real();
			rx_dgram(w, &d, now);
		} else if (ud) {
			shard_complete(cqetag_to_wop(ud), cqe->res);
		}
	}
	io_uring_cq_advance(&w->ring, n);
	if (got) {
		w->last_rx = now;
		stats_add(&w->qst->rx_frames, got);
	}
	return got;
}

/*
 * One packet off the rx ring: its metadata, channel, record and copies. @len bytes at @addr
 * (its first frame), @total in all; @fr its frames when it spans several (NULL: one frame, the
 * fast path, which the compiler makes of this body on its own). Every frame of the packet is
 * held (umem_ref) until the record is copied and the sends took their own references.
 */
static inline __attribute__((always_inline)) void rx_packet(struct worker *w, __u64 addr, __u32 len,
							    __u32 total, struct frame_frags *fr,
							    __u64 now_real)
{
	__u64 frame = umem_frame_base(addr);
	const __u8 *p = umem_data(w->u, addr);
	struct xrelay_xdp_meta meta;
	struct frame_pkt k;
	struct wchan *wc;
	__u32 i;
	__u64 ts;

	umem_ref(w->u, frame); /* the worker's own, dropped at the end */
	for (i = 1; fr && i < fr->n; i++)
		umem_ref(w->u, fr->frame[i]);
	frame_meta(p, &meta); /* before the first frame's data only */
	if (meta.channel_id >= XRELAY_MAX_CHANNELS) {
		stats_add(&w->qst->rx_bad_channel, 1); /* no channel's row to count it in */
		goto out;
	}
	wc = chantab_get(&w->tab, meta.channel_id);
	if (!wc) {
		/* Its channel is gone (past the close grace): counted, so rx = recorded + dropped. */
		stats_add(&stats_row(w->dp->m, w->queue, meta.channel_id)
				   ->drops[XRELAY_DROP_NO_WRITER],
			  1);
		goto out;
	}
	wchan_seq_track(wc, meta.seq);
	if (frame_parse_frags(p, len, total, &k) || (fr && frame_frags_payload(fr, &k))) {
		stats_add(&wc->st->drops[XRELAY_DROP_TRUNCATED], 1);
		goto out;
	}
	ts = meta.flags & XRELAY_META_F_TS_HW
		     ? meta.ts_ns
		     : meta.ts_ns + (__u64)__atomic_load_n(&w->dp->mono_to_real, __ATOMIC_RELAXED);
	deliver(w, wc, meta.seq, ts, &k, fr, frame, p, now_real);
out:
	umem_unref(w->u, frame);
	for (i = 1; fr && i < fr->n; i++)
		umem_unref(w->u, fr->frame[i]);
}

static void rx_frame(struct worker *w, __u64 addr, __u32 len, __u64 now_real)
{
	rx_packet(w, addr, len, len, NULL, now_real);
}

/*
 * A packet over several rx descriptors (multi-buffer), the first at ring index @idx, of which
 * @avail from @idx on were peeked; more are peeked here when the packet goes past them, their
 * count added to *@more (they are the caller's batch too). Returns the packet's descriptors,
 * or 0 when its last one is not on the ring (nothing done; the kernel publishes the
 * descriptors of a packet together, so it does not happen). Frames past FRAME_FRAGS_MAX go
 * straight back to the free stack, and the packet, short of them, is counted as truncated.
 */
static __attribute__((noinline)) unsigned int
rx_multi(struct worker *w, __u32 idx, unsigned int avail, unsigned int *more, __u64 now_real)
{
	struct frame_frags fr;
	const struct xdp_desc *d;
	unsigned int n = 0, got;
	__u32 total = 0, at;

	do {
		if (n == avail) {
			got = xsk_ring_cons__peek(&w->u->rx, FRAME_FRAGS_MAX, &at);
			if (!got)
				return 0;
			avail += got;
			*more += got;
		}
		d = xsk_ring_cons__rx_desc(&w->u->rx, idx + n);
		if (n < FRAME_FRAGS_MAX) {
			fr.frame[n] = d->addr;
			fr.iov[n].iov_base = umem_data(w->u, d->addr);
			fr.iov[n].iov_len = d->len;
			total += d->len;
		}
		n++;
	} while (d->options & XDP_PKT_CONTD);
	fr.n = n < FRAME_FRAGS_MAX ? n : FRAME_FRAGS_MAX;
	rx_packet(w, fr.frame[0], (__u32)fr.iov[0].iov_len, total, &fr, now_real);
	for (got = FRAME_FRAGS_MAX; got < n; got++)
		umem_put(w->u, xsk_ring_cons__rx_desc(&w->u->rx, idx + got)->addr);
	return n;
}

/*
 * Take up to RX_BATCH descriptors off the rx ring (more when a packet goes past them) and
 * handle their packets: single-frame ones on the fast path, the others through rx_multi.
 * Returns the descriptors taken (0: the ring was empty).
 */
static unsigned int rx_ring(struct worker *w)
{
	unsigned int n, i, k, more = 0;
	__u64 now;
	__u32 idx;

	n = xsk_ring_cons__peek(&w->u->rx, RX_BATCH, &idx);
	if (!n)
		return 0;
	now = dp_now_real();
	w->last_rx = now;
	for (i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&w->u->rx, idx + i);

		if (__builtin_expect(!(d->options & XDP_PKT_CONTD), 1)) {
			rx_frame(w, d->addr, d->len, now);
			continue;
		}
		k = rx_multi(w, idx + i, n - i, &more, now);
		n += more;
		more = 0;
		if (!k) {
			/* Its end is not there yet: leave the packet on the ring for the next turn. */
			xsk_ring_cons__cancel(&w->u->rx, n - i);
			n = i;
			break;
		}
		i += k - 1;
	}
	if (n) {
		xsk_ring_cons__release(&w->u->rx, n);
		stats_add(&w->qst->rx_frames, n);
	}
	return n;
}

/*
 * With the ring idle (TAIL_IDLE_NS), or at stop with XDP detached and the ring drained: frames
 * the XDP program numbered for this (channel, queue) beyond the last one seen never arrived
 * (lost at the end of a burst, where no later frame shows the gap). Count them with the other
 * ring losses (wchan_seq_tail).
 */
static void account_tail(struct worker *w, struct wchan *wc)
{
	__u64 given;

	if (!stats_seq_given(w->dp->m, w->queue, wc->id, &given))
		wchan_seq_tail(wc, given);
}

static void account_tails(struct worker *w)
{
	__u32 id;

	for (id = 0; id < XRELAY_MAX_CHANNELS; id++)
		if (w->tab.ch[id])
			account_tail(w, w->tab.ch[id]);
	w->tail_counted = true;
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

/* Nothing of this worker is in flight: no write, no fsync, no send, no transmission. */
static bool worker_idle(struct worker *w)
{
	return chantab_drained(&w->tab) && !io_uring_sq_ready(&w->ring) && resend_idle(&w->rs);
}

/*
 * Past the stop deadline with I/O still in flight (a dead disk): ask the kernel to cancel all
 * of it (IORING_ASYNC_CANCEL_ANY, Linux 5.19+) and take the completions for a bounded time.
 * What is still in flight then keeps its memory: the block buffers and the UMEM are never
 * freed under a write or a send (w->leak); the process is about to exit anyway.
 */
static void cancel_inflight(struct worker *w)
{
	struct __kernel_timespec ts = { .tv_nsec = 100 * 1000000 };
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);
	struct io_uring_cqe *cqe;
	int i;

	if (sqe) {
		io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
		io_uring_sqe_set_data64(sqe, 0);
	}
	for (i = 0; i < 10 && !worker_idle(w); i++) {
		(void)io_uring_submit(&w->ring);
		(void)io_uring_wait_cqe_timeout(&w->ring, &cqe, &ts);
		reap(w);
		resend_reap_tx(&w->rs);
		chantab_reconcile(&w->tab);
	}
	w->leak = !worker_idle(w);
	if (w->leak)
		pr_warn("queue %u: writes or sends still in flight after cancelling: their buffers "
			"are kept until the process exits",
			w->queue);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct dp *dp = w->dp;
	struct pollfd pfd = { .fd = w->sock ? -1 : umem_fd(w->u), .events = POLLIN };
	__u64 last_tick = 0, now, stop_deadline = 0;
	unsigned int n;
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
		n = stopping || w->sock ? 0 : rx_ring(w);
		if (io_uring_sq_ready(&w->ring))
			(void)io_uring_submit(&w->ring);
		else if (w->sock && IO_URING_READ_ONCE(*w->ring.sq.kflags) & IORING_SQ_TASKRUN)
			(void)io_uring_get_events(&w->ring);
		n += reap(w); /* the socket backend's datagrams come as completions */
		if (n) {
			now = w->last_rx;
			w->tail_counted = false;
		}
		resend_reap_tx(&w->rs);
		if (w->sock)
			sockrx_refill(&w->sr);
		else
			umem_refill(w->u);
		/* The ring ran dry, or it is time anyway: housekeeping, then maybe a wait. */
		if (n >= RX_BATCH && now - w->last_house < HOUSEKEEPING_NS)
			continue;
		now = dp_now_real();
		w->last_house = now;
		epoch = __atomic_load_n(&dp->rotate_epoch, __ATOMIC_RELAXED);
		if (epoch != w->rotate_seen) {
			w->rotate_seen = epoch;
			rotate = true;
		}
		if (rotate || now - last_tick >= dp->o.flush_ms * 1000000ull / 4) {
			chantab_tick(&w->tab, now, rotate);
			last_tick = now;
		}
		chantab_reconcile(&w->tab);
		if (w->sock)
			sockrx_follow(&w->sr, &w->tab);
		if (stopping) {
			if (worker_idle(w))
				break;
			if (dp_now_mono() > stop_deadline) {
				pr_warn("queue %u: writes or sends still in flight after %llu s; leaving "
					"their files as .part, recovered at the next start",
					w->queue, STOP_DEADLINE_NS / 1000000000ull);
				cancel_inflight(w);
				break;
			}
			{
				struct __kernel_timespec ts = { .tv_nsec = 50 * 1000000 };
				struct io_uring_cqe *cqe;

				(void)io_uring_submit(&w->ring);
				(void)io_uring_wait_cqe_timeout(&w->ring, &cqe, &ts);
			}
			reap(w);
			resend_reap_tx(&w->rs);
			chantab_reconcile(&w->tab);
			continue;
		}
		if (__atomic_load_n(&dp->stop, __ATOMIC_ACQUIRE)) {
			/*
			 * Stop. The socket backend: every receive cancelled and its socket closed,
			 * the datagrams it had taken handled.
			 */
			if (w->sock && (sockrx_stop(&w->sr), sockrx_busy(&w->sr))) {
				struct __kernel_timespec ts = { .tv_nsec = IDLE_POLL_MS * 1000000 };
				struct io_uring_cqe *cqe;

				(void)io_uring_submit(&w->ring);
				(void)io_uring_wait_cqe_timeout(&w->ring, &cqe, &ts);
				continue;
			}
			/*
			 * XDP is detached already; frames the kernel was still handing over land
			 * within a moment: take the ring until it stays empty.
			 */
			if (!w->sock && (n || !w->stop_grace)) {
				w->stop_grace = true;
				(void)poll(&pfd, 1, IDLE_POLL_MS);
				continue;
			}
			/* Every shard writes what it holds and closes its files. */
			if (!w->sock)
				account_tails(w);
			chantab_close_all(&w->tab);
			stopping = true;
			stop_deadline = dp_now_mono() + STOP_DEADLINE_NS;
			continue;
		}
		if (!n && !w->sock && !w->tail_counted && now - w->last_rx >= TAIL_IDLE_NS)
			account_tails(w);
		if (!n && w->sock) {
			/* As below, with the ring's completions as the thing waited for. */
			if (!dp->o.busy_poll && now - w->last_rx >= dp->o.spin_us * 1000ull) {
				struct __kernel_timespec ts = { .tv_nsec = IDLE_POLL_MS * 1000000 };
				struct io_uring_cqe *cqe;

				(void)io_uring_submit(&w->ring);
				(void)io_uring_wait_cqe_timeout(&w->ring, &cqe, &ts);
			}
		} else if (!n) {
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
	int r;

	if (!w)
		return -ENOMEM;
	w->dp = dp;
	w->queue = queue;
	w->cpu = cpu;
	w->sock = dp->o.mode == XRELAY_MODE_SOCKET;
	/* The socket backend has no tx ring: every destination through its socket. */
	r = resend_init(&w->rs, &w->ring, NULL, dp->m, queue, dp->o.ifname,
			dp->o.xsk_tx_off || w->sock);
	if (r)
		goto out_destroy;
	chantab_init(&w->tab, dp, queue, &w->ring, &w->rs);
	w->qst = &mapctl_queue_stats(dp->m)[queue];
	memset(w->qst, 0, sizeof(*w->qst));

	/*
	 * The socket backend: a datagram's completion is task work on this thread. By default
	 * the kernel interrupts the thread for it (a signal-like notification per wake-up);
	 * cooperatively it waits until the thread enters the kernel, which the loop does once per
	 * turn when IORING_SQ_TASKRUN says work waits (Linux 5.19; refused before: plain setup).
	 */
	if (w->sock)
		params.flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
	r = io_uring_queue_init_params(RING_ENTRIES, &w->ring, &params);
	if (r == -EINVAL && params.flags) {
		memset(&params, 0, sizeof(params));
		r = io_uring_queue_init_params(RING_ENTRIES, &w->ring, &params);
	}
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
	if (w->sock) {
		const struct sockrx_opts so = {
			.ifname = dp->o.ifname,
			.queue = queue,
			.nworkers = dp->nqueues,
			.rcvbuf = dp->o.rcvbuf,
			.max_datagram = dp->o.max_datagram,
			.bufs = dp->o.sock_bufs,
		};

		r = sockrx_init(&w->sr, &w->ring, dp->m, &so, err, errlen);
		if (r)
			goto out_destroy;
		w->u = w->rs.u = w->sr.pool;
		w->tab.open_all = true; /* no frame opens a channel: its socket must be there */
		*ret = w;
		return 0;
	}
	if (dp->o.busy_poll)
		flags |= UMEM_F_BUSY_POLL;
	if (dp->o.xdp_mode == XRELAY_MODE_XDP_GENERIC)
		flags &= ~UMEM_F_TRY_ZEROCOPY;
	r = umem_create(dp->o.ifname, queue, flags, mapctl_fd(dp->m, XRELAY_MAP_XSKS), &w->u, err,
			errlen);
	if (r)
		goto out_destroy;
	w->tab.u = w->u;
	if (w->u->multibuf)
		pr_info("queue %u: AF_XDP multi-buffer on: packets up to the MTU are captured whole",
			queue);
	else
		pr_warn("queue %u: AF_XDP multi-buffer %s: frames over %u bytes are not captured "
			"(counted as ring_full)",
			queue, w->u->mb_why, UMEM_FRAME_ROOM);
	w->rs.u = w->u;
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
	if (!w)
		return;
	if (w->leak) {
		/*
		 * I/O of this worker may still read its block buffers and UMEM frames: out of
		 * the XSKMAP, but nothing freed (see cancel_inflight).
		 */
		(void)bpf_map_delete_elem(mapctl_fd(w->dp->m, XRELAY_MAP_XSKS), &w->queue);
		return;
	}
	if (w->tab.dp)
		chantab_fini(&w->tab);
	if (w->sock)
		sockrx_fini(&w->sr); /* its pool is w->u */
	else
		umem_destroy(w->u, w->queue, mapctl_fd(w->dp->m, XRELAY_MAP_XSKS));
	if (w->ring_ok)
		io_uring_queue_exit(&w->ring);
	resend_fini(&w->rs);
	free(w);
}

int worker_xsk_stats(const struct worker *w, struct xrelay_queue_stats *out)
{
	if (w->sock)
		return -EOPNOTSUPP;
	return umem_stats(w->u, &out->rx_dropped, &out->rx_invalid_descs, &out->rx_ring_full,
			  &out->rx_fill_ring_empty, &out->tx_invalid_descs);
}

struct sockrx *worker_sockrx(struct worker *w)
{
	return w->sock ? &w->sr : NULL;
}

int worker_sock_bufs(const struct worker *w)
{
	return !w->sock		? XRELAY_SOCK_BUFS_NONE
	       : w->sr.use_ring ? XRELAY_SOCK_BUFS_RING
				: XRELAY_SOCK_BUFS_PROVIDE;
}

bool worker_zerocopy(const struct worker *w, const char **why)
{
	if (w->sock) {
		*why = "the socket backend";
		return false;
	}
	*why = w->u->mode_why;
	return w->u->zerocopy;
}
