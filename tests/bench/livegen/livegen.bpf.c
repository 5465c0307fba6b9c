// SPDX-License-Identifier: GPL-2.0
/*
 * livegen's XDP program: run by BPF_PROG_TEST_RUN in live-frames mode, it stamps each copy of
 * the template frame with a sequence number and the send time (layout in livegen.h) and
 * redirects it out of one interface. It parses nothing: livegen.c built the template, so the
 * offsets are fixed (IPv4 or IPv6, chosen by a read-only global).
 */
#include <linux/bpf.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "livegen.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by livegen before load (skel->rodata); the verifier sees them as constants. */
const volatile __u32 out_ifindex = 0;
const volatile __u32 ipv6 = 0;
/*
 * IPv6 only: the ones' complement sum (folded to 16 bits, in memory byte order) of the UDP
 * pseudo-header, the UDP header with a zero checksum and the payload with a zero stamp. IPv6
 * forbids a zero UDP checksum (RFC 8200, 8.1), so each frame gets its own, updated for the
 * 16 stamp bytes; IPv4 frames keep the template's zero checksum ("none", RFC 768).
 */
const volatile __u32 csum_base = 0;

/*
 * The next sequence number; livegen sets the first one (skel->bss) and reads it back to know how
 * many frames the program stamped. A plain global incremented without an atomic: one test run
 * executes the program on the calling thread's CPU with bottom halves disabled, livegen runs one
 * test run at a time from one thread, and each livegen process loads its own copy of the
 * program, so no two increments ever race and a locked add per frame would be pure cost (the
 * copy attached to the sending interface returns before it, see below).
 */
__u64 seq_next = 0;

/*
 * The clock is read once per stamp_every frames: 1 reads it for every frame; livegen's default
 * is its --batch, so once per kernel batch (a test run cuts its repeat count into batches of
 * batch_size frames, each buffered and transmitted at once at the batch's end, so one reading
 * per batch is as close to the send time as one per frame). Reading kvm-clock costs about 20 ns
 * here, two fifths of a frame's budget at 20 M/s: flat out, one reading a frame gave 14.7 M/s
 * against 21.8 M/s in back-to-back runs. livegen zeroes batch_left before every test run, which
 * starts a new batch; the same single-thread argument as for seq_next applies.
 */
const volatile __u32 stamp_every = 1;
__u32 batch_left = 0;
__u64 batch_ns = 0;

/* The ifindex of every namespace's loopback device, where context-less test runs come in. */
#define LOOPBACK_IFINDEX 1

/* Ones' complement sum of the four 16-bit words of w as it lies in memory (little-endian). */
static __always_inline __u32 csum_add64(__u32 sum, __u64 w)
{
	return sum + (__u32)(w & 0xffff) + (__u32)((w >> 16) & 0xffff) +
	       (__u32)((w >> 32) & 0xffff) + (__u32)(w >> 48);
}

SEC("xdp")
int livegen_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 off = ipv6 ? LIVEGEN_STAMP_OFF_V6 : LIVEGEN_STAMP_OFF_V4;
	struct livegen_stamp *st = data + off;
	__u64 seq, now;

	/*
	 * livegen also attaches the program to the sending interface, only to keep it in the
	 * kernel's XDP dispatcher (livegen.c says why): frames that really arrive there are not
	 * ours to stamp. The test runs have no context, so they come in on the loopback device.
	 */
	if (ctx->ingress_ifindex != LOOPBACK_IFINDEX)
		return XDP_PASS;
	if ((void *)(st + 1) > data_end)
		return XDP_ABORTED;
	seq = seq_next;
	seq_next = seq + 1;
	if (batch_left == 0) {
		batch_ns = bpf_ktime_get_ns();
		batch_left = stamp_every;
	}
	batch_left--;
	now = batch_ns;
	st->seq = bpf_cpu_to_be64(seq);
	st->tx_ns = bpf_cpu_to_be64(now);
	if (ipv6) {
		struct udphdr *udp = data + LIVEGEN_L4_OFF_V6;
		__u32 sum = csum_add64(csum_add64(csum_base, st->seq), st->tx_ns);
		__u16 check;

		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		check = (__u16)~sum;
		udp->check = check ? check : 0xffff;
	}
	return bpf_redirect(out_ifindex, 0);
}
