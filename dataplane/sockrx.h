/* SPDX-License-Identifier: MIT */
/*
 * The socket backend's ingest for one worker: a UDP socket per channel (SO_REUSEPORT across
 * the workers), one multishot recvmsg on each, and the receive buffers the kernel fills,
 * given to it through a registered provided-buffer ring (or IORING_OP_PROVIDE_BUFFERS on
 * kernels without one). It turns a completion into a datagram for the worker and counts what
 * never becomes one (socket drops, truncation); recording and re-sending are the worker's
 * (worker.c), the buffers' life cycle the pool's (umem.h). Owned by one worker thread.
 */
#ifndef XRELAY_DP_SOCKRX_H
#define XRELAY_DP_SOCKRX_H

#include <stdbool.h>
#include <stddef.h>

#include <liburing.h>
#include <linux/types.h>

#include "chantab.h"
#include "frame.h"
#include "umem.h"
#include "xrelay/mapctl.h"

/* Bytes of a buffer before the payload: recvmsg_out, the address, the control messages. */
#define SOCKRX_NAME_LEN 32u /* a sockaddr_in6 (28), rounded up so the cmsgs are aligned */
#define SOCKRX_CTRL_LEN 128u
#define SOCKRX_HDR_LEN (16u + SOCKRX_NAME_LEN + SOCKRX_CTRL_LEN)

/* How the buffers reach the kernel (sockrx_opts.bufs). */
enum sockrx_bufs {
	SOCKRX_BUFS_AUTO = 0, /* the ring where the kernel has it (5.19+), else provide */
	SOCKRX_BUFS_RING,
	SOCKRX_BUFS_PROVIDE,
};

struct sockrx_opts {
	const char *ifname; /* the sockets are bound to it (SO_BINDTODEVICE) */
	unsigned int queue; /* this worker */
	unsigned int nworkers;
	size_t rcvbuf;	       /* SO_RCVBUF(FORCE) of each socket, bytes */
	__u32 max_datagram;    /* longest payload a buffer holds; longer ones are truncated */
	enum sockrx_bufs bufs; /* asked for */
};

/* A datagram taken off a channel socket; the pointers are into its buffer. */
struct sockrx_dgram {
	__u32 id;  /* channel id */
	__u64 buf; /* the buffer's pool address (umem_ref / umem_unref it) */
	__u64 ts_ns;
	struct frame_pkt k;
};

struct sockrx_chan;

struct sockrx {
	struct sockrx_opts o;
	struct io_uring *ring;
	struct mapctl *m;
	struct umem *pool; /* the buffers, as frames (umem_create_pool) */
	size_t buf_size;
	__u32 nbufs;
	bool use_ring; /* a registered buffer ring; else PROVIDE_BUFFERS */
	struct io_uring_buf_ring *br;
	size_t br_size;
	struct msghdr mh;	/* what each multishot recvmsg reserves in a buffer */
	struct sockrx_chan *ch; /* by channel id */
	unsigned int armed;	/* receives in flight */
	unsigned int open;	/* sockets open */
	bool need_arm;		/* a receive stopped for want of buffers, or of an SQE */
	__u32 in_kernel;	/* buffers given and not yet come back in a completion */
	__u64 *rx_bytes;	/* by channel id: bytes received (sockrx_publish reads them) */
	bool stopping;
};

/*
 * Set up @sr on @ring (the worker's, made): the buffer pool, handed to the kernel the way
 * o->bufs asks (AUTO: the ring, else PROVIDE_BUFFERS; RING refuses a kernel without it),
 * counters in @m's rows of o->queue. No socket yet. Returns 0 or -errno with a sentence in
 * @err naming the kernel a missing feature needs. Worker or main thread, before the loop.
 */
int sockrx_init(struct sockrx *sr, struct io_uring *ring, struct mapctl *m,
		const struct sockrx_opts *o, char *err, size_t errlen);

/* Free what sockrx_init made; the sockets must be closed (sockrx_busy false). Zeroed @sr ok. */
void sockrx_fini(struct sockrx *sr);

/*
 * Follow @t (not per packet): open and arm a socket for each channel @t serves that this
 * worker takes (a multicast channel only on one worker: the kernel gives every socket of a
 * group a copy, it does not spread them), close those whose channel @t no longer holds (after
 * its close grace: its datagrams still queued are received first), count the kernel's drops
 * on the sockets (SO_MEMINFO, for the drops after the last datagram), re-arm receives that
 * stopped. A channel's numbers start when its socket opens (wchan_seq_next). Logs what it
 * opens, and a socket that cannot open.
 */
void sockrx_follow(struct sockrx *sr, struct chantab *t);

/*
 * Completion @cqe of channel @id's receive (cqetag_is_recv): a datagram into *@ret (returns
 * 1; the caller handles it and the buffer goes back when its references go), or nothing
 * (returns 0: a receive ended, re-armed later; a datagram that could not be one, counted as
 * received and dropped as truncated). Socket drops the kernel reports with it are counted.
 * Per packet.
 */
int sockrx_complete(struct sockrx *sr, __u32 id, const struct io_uring_cqe *cqe,
		    struct sockrx_dgram *ret);

/* Give free buffers back to the kernel and re-arm receives that waited for them. */
void sockrx_refill(struct sockrx *sr);

/* Stop: cancel every receive and close its socket once it ended (sockrx_follow no more). */
void sockrx_stop(struct sockrx *sr);

/*
 * Main thread, every few ms: add the bytes the @n workers' @srs received since the last call
 * (per channel; *@published, XRELAY_MAX_CHANNELS of them, the sums published so far, zeroed
 * at first) to channel_stats' rx_bytes in @m, which no XDP program writes in socket mode.
 * Two syscalls per channel that received. Returns 0 or the last -errno (that channel is
 * tried again next time).
 */
int sockrx_publish(struct mapctl *m, struct sockrx *const *srs, unsigned int n, __u64 *published);

/* Whether a receive is still armed or a socket open. */
static inline bool sockrx_busy(const struct sockrx *sr)
{
	return sr->armed || sr->open;
}

#endif
