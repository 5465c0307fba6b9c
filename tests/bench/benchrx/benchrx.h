/* SPDX-License-Identifier: MIT */
/*
 * The layouts benchrx's XDP programs (benchrx.bpf.c) share with benchrx.c: the map values and
 * the latency histogram's bucket scheme. The stamp the sub mode reads is livegen's (livegen.h).
 */
#ifndef XRELAY_BENCH_BENCHRX_H
#define XRELAY_BENCH_BENCHRX_H

#include <linux/types.h>

/* XSKMAP slots: one per rx queue index. */
#define BENCHRX_MAX_QUEUES 64

/* drop and xsk: what the program took, per CPU (brx_count, a PERCPU_ARRAY of one entry). */
struct benchrx_count {
	__u64 packets;
	__u64 bytes;
};
_Static_assert(sizeof(struct benchrx_count) == 16, "benchrx_count: 2 counters");

/* sub: the subscriber's counters (brx_sub, an ARRAY of one entry). */
struct benchrx_sub_stats {
	__u64 packets;	  /* datagrams to the port with a full stamp */
	__u64 first_seq;  /* the stamp's seq of the first one */
	__u64 last_seq;	  /* and of the latest one */
	__u64 breaks;	  /* datagrams whose seq was not last_seq + 1 (a gap, repeat or reorder) */
	__u64 samples;	  /* datagrams timed: the k-th (from 0) when k % sample_every == 0 */
	__u64 future;	  /* of those, stamped later than they arrived: not in the histogram */
	__u64 lat_min_ns; /* receive time minus stamp over the samples not in the future */
	__u64 lat_max_ns;
};
_Static_assert(sizeof(struct benchrx_sub_stats) == 64, "benchrx_sub_stats: 8 counters");

/*
 * The latency histogram (brx_lat_hist, an ARRAY of BENCHRX_LAT_BUCKETS __u64 counts), in
 * nanoseconds, log-linear:
 *   ns < 16:             bucket ns (exact)
 *   h = highest set bit of ns (4..BENCHRX_LAT_TOP_BIT):
 *                        bucket 16 + (h - 4) * 16 + the 4 bits below bit h
 *                        holds [(16 + s) << (h - 4), (17 + s) << (h - 4)) for those bits s
 *   ns >= 2^(TOP_BIT+1): the last bucket too (2^36 ns = 68.7 s and up): its upper edge is
 *                        unbounded, so userspace caps percentiles at the maximum seen
 * A bucket's width is 2^(h-4) for values >= 2^h: taking its upper edge as the value is off by
 * less than 1/16 of it (6.25 %).
 */
#define BENCHRX_LAT_SUB_BITS 4u
#define BENCHRX_LAT_SUB (1u << BENCHRX_LAT_SUB_BITS)
#define BENCHRX_LAT_TOP_BIT 35u
#define BENCHRX_LAT_BUCKETS \
	(BENCHRX_LAT_SUB + (BENCHRX_LAT_TOP_BIT - BENCHRX_LAT_SUB_BITS + 1) * BENCHRX_LAT_SUB)
_Static_assert(BENCHRX_LAT_BUCKETS == 528, "16 exact buckets and 32 octaves of 16");

/* The largest latency bucket b holds (its upper edge, inclusive). */
static inline __u64 benchrx_bucket_upper(__u32 b)
{
	__u32 h, s;

	if (b < BENCHRX_LAT_SUB)
		return b;
	if (b >= BENCHRX_LAT_BUCKETS - 1)
		return ~0ull;
	h = (b - BENCHRX_LAT_SUB) / BENCHRX_LAT_SUB + BENCHRX_LAT_SUB_BITS;
	s = (b - BENCHRX_LAT_SUB) % BENCHRX_LAT_SUB;
	return ((__u64)(BENCHRX_LAT_SUB + s + 1) << (h - BENCHRX_LAT_SUB_BITS)) - 1;
}

#endif
