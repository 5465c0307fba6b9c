/* SPDX-License-Identifier: MIT */
/*
 * One rx queue's AF_XDP socket and its UMEM: the frames, the fill, rx, tx and completion rings,
 * and the stack of frames the worker has finished with. Owned by one worker thread; nothing
 * here is shared.
 *
 * Frame life cycle (invariants). Only this file and umem.c touch the free stack and the
 * reference counts; the worker moves a frame between states through umem_ref, umem_unref,
 * umem_take and umem_put:
 *  1. Every frame is in exactly one place: the fill ring (the kernel's to fill), the rx ring
 *     (filled, not yet taken), the worker (taken: being recorded, or held by sends in flight),
 *     or the free stack (done, waiting to go back to the fill ring).
 *  2. A frame in the fill ring, the rx ring or the free stack holds no reference (refs 0).
 *     The worker takes one (umem_ref) for a frame off the rx ring while it handles it, and
 *     one per re-send in flight: a socket send until its completion, a transmission on the
 *     tx ring until the kernel hands its address back on the completion ring.
 *  3. A frame goes back to the free stack when its last reference goes (umem_unref): the
 *     record is copied into a block at once, so only re-sends in flight outlive the worker's
 *     own reference.
 *  4. A frame the worker takes from the free stack to transmit a copy (umem_take) is "taken"
 *     as well, with that transmission its only reference; if it cannot be used after all it
 *     goes straight back (umem_put).
 *  5. A packet longer than a frame's room (multi-buffer, XDP_USE_SG) comes as several rx
 *     descriptors, one frame each, XDP_PKT_CONTD on all but the last. Every holder of such a
 *     packet (the worker while it handles it, each send in flight) holds a reference to each
 *     of its frames, so they go back to the free stack together, after the last holder.
 *
 *      fill ring --kernel--> rx ring --worker--> taken --last ref--> free stack --refill--+
 *          ^                                      | ^                   |                 |
 *          |                        tx ring <-----+ +--- completion     +--> taken (copy) |
 *          +-------------------------------------------------------------------------------+
 */
#ifndef XRELAY_DP_UMEM_H
#define XRELAY_DP_UMEM_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include <linux/types.h>
#include <xdp/xsk.h>

#define UMEM_FRAME_SIZE 4096u
#define UMEM_FRAMES 16384u /* 64 MiB a queue */
#define UMEM_FILL_SIZE 16384u
#define UMEM_RX_SIZE 16384u
#define UMEM_TX_SIZE 2048u
#define UMEM_COMP_SIZE 2048u
/* Bytes of a packet one frame holds: the kernel keeps XDP_PACKET_HEADROOM (256) in each. */
#define UMEM_FRAME_ROOM (UMEM_FRAME_SIZE - 256u)

/* From linux/if_xdp.h of 6.6, newer than Debian 12's headers; the values are kernel ABI. */
#ifndef XDP_USE_SG
#define XDP_USE_SG (1 << 4) /* bind flag: a packet may span several rx descriptors */
#endif
#ifndef XDP_PKT_CONTD
#define XDP_PKT_CONTD (1 << 0) /* rx descriptor option: the packet goes on in the next one */
#endif

struct umem {
	void *area;
	size_t size; /* of the area */
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	__u32 tx_inflight; /* on the tx ring or sent, not yet on the completion ring */
	__u64 *free;	   /* stack of frame base addresses */
	__u32 nfree;
	__u16 *refs; /* per frame: references held by sends in flight */
	bool zerocopy;
	bool multibuf;	   /* bound with XDP_USE_SG: packets longer than UMEM_FRAME_ROOM arrive */
	char mode_why[96]; /* why copy mode, when it is */
	char mb_why[96];   /* why not multi-buffer, when it is not */
};

enum {
	UMEM_F_TRY_ZEROCOPY = 1u << 0,
	UMEM_F_BUSY_POLL = 1u << 1,
};

/*
 * Create the UMEM and bind an AF_XDP socket to @ifname's queue @queue (zero-copy if the driver
 * allows and UMEM_F_TRY_ZEROCOPY, else copy mode, with need_wakeup; multi-buffer, XDP_USE_SG,
 * where the kernel (6.6+) and driver allow, see u->multibuf and u->mb_why), fill the fill
 * ring, and put the socket in the XSKMAP @xsks_fd. Zero-copy is given up for multi-buffer only
 * when the interface's MTU needs more than one frame a packet. Returns 0 or -errno with a
 * sentence in @err.
 */
int umem_create(const char *ifname, __u32 queue, unsigned int flags, int xsks_fd, struct umem **ret,
		char *err, size_t errlen);

/*
 * Frame memory and its life cycle without an AF_XDP socket, for the socket backend
 * (sockrx.h), whose kernel-filled buffers are frames too: @nbufs buffers of @buf_size bytes
 * (a multiple of UMEM_FRAME_SIZE), all on the free stack, no rings (umem_refill, umem_tx_push
 * and umem_stats must not be called; nothing is ever in flight on the tx ring). The
 * invariants above hold with "buffer" for "frame": a buffer is referenced, and goes back to
 * the free stack, by its base address only (references are counted per UMEM_FRAME_SIZE, so
 * its first frame's count is the buffer's). Returns 0, -EINVAL or -ENOMEM. Any thread.
 */
int umem_create_pool(__u32 nbufs, size_t buf_size, struct umem **ret);

/* Remove the socket from the XSKMAP (@xsks_fd, if >= 0), close it, free the UMEM. NULL ok. */
void umem_destroy(struct umem *u, __u32 queue, int xsks_fd);

static inline int umem_fd(const struct umem *u)
{
	return xsk_socket__fd(u->xsk);
}

static inline __u64 umem_frame_base(__u64 addr)
{
	return addr - addr % UMEM_FRAME_SIZE;
}

static inline void *umem_data(const struct umem *u, __u64 addr)
{
	return (char *)u->area + addr;
}

/* A frame that holds no reference (invariant 2) onto the free stack. Worker thread. */
static inline void umem_put(struct umem *u, __u64 addr)
{
	u->free[u->nfree++] = umem_frame_base(addr);
}

/* One more reference to the frame holding @addr (invariant 2). Worker thread; per packet. */
static inline void umem_ref(struct umem *u, __u64 addr)
{
	u->refs[addr / UMEM_FRAME_SIZE]++;
}

/*
 * Drop a reference to the frame holding @addr; the last one puts the frame on the free stack
 * (invariant 3). Worker thread; per packet.
 */
static inline void umem_unref(struct umem *u, __u64 addr)
{
	if (--u->refs[addr / UMEM_FRAME_SIZE] == 0)
		umem_put(u, addr);
}

/*
 * Take a frame off the free stack for a copy of our own (invariant 4): its base address in
 * *@ret_frame, with no reference yet (umem_ref it, or umem_put it back). Returns 0, or
 * -ENOBUFS when the stack is empty. Worker thread; per packet.
 */
static inline int umem_take(struct umem *u, __u64 *ret_frame)
{
	if (!u->nfree)
		return -ENOBUFS;
	*ret_frame = u->free[--u->nfree];
	return 0;
}

/* Give free frames back to the fill ring; returns how many. Never blocks. */
__u32 umem_refill(struct umem *u);

/*
 * Queue @len bytes at UMEM offset @addr (within one frame) for transmission. 0, or -ENOBUFS
 * when the tx ring is full. Nothing leaves before umem_tx_kick.
 */
static inline int umem_tx_push(struct umem *u, __u64 addr, __u32 len)
{
	struct xdp_desc *d;
	__u32 idx;

	if (xsk_ring_prod__reserve(&u->tx, 1, &idx) != 1)
		return -ENOBUFS;
	d = xsk_ring_prod__tx_desc(&u->tx, idx);
	d->addr = addr;
	d->len = len;
	d->options = 0;
	xsk_ring_prod__submit(&u->tx, 1);
	u->tx_inflight++;
	return 0;
}

/*
 * Transmissions the kernel is done with: up to @max frame addresses from the completion ring,
 * the first at index *@ret_idx (read them with umem_comp_frame, then umem_comp_release the
 * count). Returns the count; 0 at once when nothing is in flight. Worker thread.
 */
static inline __u32 umem_comp_peek(struct umem *u, __u32 max, __u32 *ret_idx)
{
	if (!u->tx_inflight)
		return 0;
	return xsk_ring_cons__peek(&u->cq, max, ret_idx);
}

/* The base address of the frame at completion ring index @idx. */
static inline __u64 umem_comp_frame(struct umem *u, __u32 idx)
{
	return umem_frame_base(*xsk_ring_cons__comp_addr(&u->cq, idx));
}

/* Hand @n completion ring entries back to the kernel (after umem_comp_peek). */
static inline void umem_comp_release(struct umem *u, __u32 n)
{
	xsk_ring_cons__release(&u->cq, n);
	u->tx_inflight -= n;
}

/* Whether transmissions are in flight (pushed, not yet completed). */
static inline bool umem_tx_busy(const struct umem *u)
{
	return u->tx_inflight != 0;
}

/*
 * Where the rx ring stands: *@produced, how many descriptors the kernel has put on it so far,
 * *@consumed, how many the worker has released (both wrap at 2^32). The worker thread only.
 */
static inline void umem_rx_pos(const struct umem *u, __u32 *produced, __u32 *consumed)
{
	*produced = __atomic_load_n(u->rx.producer, __ATOMIC_ACQUIRE);
	*consumed = *u->rx.consumer;
}

/* Whether the tx ring holds frames the kernel has not taken yet. */
bool umem_tx_pending(struct umem *u);

/*
 * Have the kernel transmit what the tx ring holds, if it wants telling (need_wakeup): sendto,
 * again while it takes more (copy mode sends a budget of frames a call, on this thread), at
 * most 8 times. Never blocks; what a busy device leaves is for the next kick.
 */
void umem_tx_kick(struct umem *u);

/*
 * The socket's XDP_STATISTICS into the given counters (cumulative since bind). Thread-safe
 * (a getsockopt). Returns 0 or -errno.
 */
int umem_stats(const struct umem *u, __u64 *rx_dropped, __u64 *rx_invalid, __u64 *rx_ring_full,
	       __u64 *fill_empty, __u64 *tx_invalid);

#endif
