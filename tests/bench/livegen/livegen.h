/* SPDX-License-Identifier: MIT */
/*
 * The layout livegen's frames share with their readers: the XDP program that stamps them
 * (livegen.bpf.c), the generator that builds the template (livegen.c), the self-test's counting
 * receiver (rxcount.bpf.c) and any benchmark that reads the stamps. Frames are Ethernet (no
 * VLAN) + IPv4 without options or IPv6 without extension headers + UDP, so every offset is fixed.
 */
#ifndef XRELAY_BENCH_LIVEGEN_H
#define XRELAY_BENCH_LIVEGEN_H

#include <linux/types.h>

/*
 * The stamp at the start of every UDP payload, both fields big-endian (network order):
 *   seq    the datagram's sequence number: first_seq, first_seq + 1, ... in send order, one per
 *          datagram, never repeated within one livegen run (see livegen.bpf.c for why)
 *   tx_ns  bpf_ktime_get_ns() (CLOCK_MONOTONIC, this host) when the XDP program stamped it:
 *          read for every frame (livegen --stamp frame) or for the first frame of each kernel
 *          batch and shared by the batch (--stamp batch, the default; the batch leaves at once
 *          when the kernel flushes it, after the last frame is stamped)
 * The payload bytes after the stamp are the template's: byte k (k >= 16) is k & 0xff.
 */
struct livegen_stamp {
	__be64 seq;
	__be64 tx_ns;
};
_Static_assert(sizeof(struct livegen_stamp) == 16, "livegen_stamp is 16 bytes on the wire");

#define LIVEGEN_STAMP_LEN 16u
#define LIVEGEN_ETH_LEN 14u
#define LIVEGEN_UDP_LEN 8u
/* Offset of the UDP header in the frame. */
#define LIVEGEN_L4_OFF_V4 (LIVEGEN_ETH_LEN + 20u)
#define LIVEGEN_L4_OFF_V6 (LIVEGEN_ETH_LEN + 40u)
/* Offset of the stamp (the UDP payload) in the frame. */
#define LIVEGEN_STAMP_OFF_V4 (LIVEGEN_L4_OFF_V4 + LIVEGEN_UDP_LEN)
#define LIVEGEN_STAMP_OFF_V6 (LIVEGEN_L4_OFF_V6 + LIVEGEN_UDP_LEN)

#endif
