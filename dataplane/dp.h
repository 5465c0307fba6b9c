/* SPDX-License-Identifier: MIT */
/*
 * The dataplane's shared state: options, the maps, the workers, and the few values the main
 * thread publishes to the workers (stop, rotate requests, the clock offset). Workers read these
 * with atomic loads on their loop; nothing here is written on the hot path.
 */
#ifndef XRELAY_DP_H
#define XRELAY_DP_H

#include <sched.h>
#include <stdbool.h>

#include <linux/types.h>

#include "ocf.h"
#include "xrelay/clock.h"
#include "xrelay/mapctl.h"

struct follow;
struct worker;
struct budget;

struct dp_opts {
	const char *ifname;
	const char *out_dir;
	const char *pin_dir;
	int mode;     /* --mode: XRELAY_MODE_SOCKET, an XDP one, or 0 = auto, until resolved */
	int xdp_mode; /* XRELAY_MODE_XDP_NATIVE, _GENERIC, or 0 = auto */
	unsigned int queues; /* 0 = all */
	int cpus[XRELAY_MAX_QUEUES];
	unsigned int ncpus; /* 0 = worker q on CPU q % online CPUs */
	__u64 rotate_bytes;
	__u64 rotate_seconds;
	__u64 flush_ms;
	enum ocf_codec codec;
	bool busy_poll;
	__u64 spin_us; /* the worker polls its ring this long after the last frame, then sleeps */
	cpu_set_t io_cpus;   /* where the io-wq workers run; empty: each on its worker's CPU */
	bool nic_timestamps; /* NIC receive timestamps (the PHC must run on UTC) */
	bool xsk_tx_off;     /* every destination through its socket, none through the tx ring */
	bool fsync_never;    /* --fsync never: closed files are renamed without an fsync */
	__u64 buffer_mb;     /* --buffer-mb: all block buffers together; 0 = the default */
	/* The socket backend's (sockrx.h) */
	size_t rcvbuf;	    /* --rcvbuf-kb: each channel socket's receive buffer */
	__u32 max_datagram; /* --max-datagram: the longest payload a buffer holds */
	int sock_bufs;	    /* --sock-buffers: enum sockrx_bufs */
};

struct dp {
	struct dp_opts o;
	struct mapctl *m;
	struct budget *budget; /* every shard's block memory (--buffer-mb) */
	int out_fd;
	int ifindex;
	unsigned int nqueues;
	struct worker *workers[XRELAY_MAX_QUEUES];
	struct follow *follow; /* the channel config, as the workers see it (follow.h) */
	int stop;	       /* atomic: workers finish up */
	__u64 rotate_epoch;    /* atomic: bumped by SIGHUP */
	__s64 mono_to_real;    /* atomic: CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
	bool zerocopy;	       /* every queue's AF_XDP socket runs in zero-copy mode */
	__u32 mode_why;	       /* XRELAY_MODE_WHY_* */
};

/* Monotonic (as the XDP program stamps) and real-time now, in ns. */
static inline __u64 dp_now_mono(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static inline __u64 dp_now_real(void)
{
	return clock_ns(CLOCK_REALTIME);
}

#endif
