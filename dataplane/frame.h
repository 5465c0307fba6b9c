/* SPDX-License-Identifier: MIT */
/*
 * A redirected packet as the worker reads it: the metadata block the XDP program wrote before
 * the packet (struct xrelay_xdp_meta), the parse of Ethernet, VLAN tags, IPv4/IPv6 and UDP
 * down to the payload, and the payload's pieces when the packet spans several UMEM frames
 * (multi-buffer). Pure and header-only: all run once per packet. It neither owns nor releases
 * frames (umem.h does).
 */
#ifndef XRELAY_DP_FRAME_H
#define XRELAY_DP_FRAME_H

#include <string.h>
#include <sys/uio.h>

#include <linux/if_ether.h>
#include <linux/types.h>

#include "xrelay/maps.h"

/* What the parse of a frame finds; the pointers point into the frame. */
struct frame_pkt {
	const __u8 *src, *dst; /* IP addresses, alen bytes each */
	__u8 alen;	       /* 4 (IPv4) or 16 (IPv6) */
	__u16 sport, dport;    /* host order */
	const __u8 *payload;
	__u32 plen;
};

/*
 * Frames a packet may span: a 64 KiB datagram over 3840-byte pieces (a 4096-byte UMEM frame
 * less the kernel's headroom) takes 18, the kernel's MAX_SKB_FRAGS + 1 by default.
 */
#define FRAME_FRAGS_MAX 18

/*
 * A packet that spans several UMEM frames (multi-buffer AF_XDP: several rx descriptors, the
 * metadata block before the first one's data only).
 */
struct frame_frags {
	__u32 n;			   /* frames, 2..FRAME_FRAGS_MAX */
	__u32 niov;			   /* payload pieces in iov (frame_frags_payload) */
	__u64 frame[FRAME_FRAGS_MAX];	   /* their UMEM addresses, in packet order */
	struct iovec iov[FRAME_FRAGS_MAX]; /* each frame's data; then the payload's pieces */
};

/*
 * The metadata block of the packet that starts at @pkt, which the XDP program put right
 * before it (bpf_xdp_adjust_meta; maps.h): copied out, as it may be unaligned. The caller
 * knows the frame came through the XDP program. Pure.
 */
static inline void frame_meta(const __u8 *pkt, struct xrelay_xdp_meta *ret)
{
	memcpy(ret, pkt - sizeof(*ret), sizeof(*ret));
}

/*
 * Parse Ethernet, up to two VLAN tags, IPv4/IPv6 and UDP of the @len bytes at @p into @k:
 * the XDP program checked them, but a frame is bytes in shared memory and is checked before
 * use. The headers lie in those @len bytes; the datagram may go on past them into further
 * frames, up to @total bytes from @p in all (@total = @len: one frame). Returns 0, or -1 when
 * it is truncated or not UDP over IP (then @k is partly written). Pure; never reads outside
 * [@p, @p + @len).
 */
static inline int frame_parse_frags(const __u8 *p, __u32 len, __u32 total, struct frame_pkt *k)
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
	if (k->plen < 8 || (__u32)(l3 - p) + k->plen > total)
		return -1;
	k->plen -= 8;
	k->payload = l3 + 8;
	return 0;
}

/* frame_parse_frags of a packet in one frame: the @len bytes at @p. */
static inline int frame_parse(const __u8 *p, __u32 len, struct frame_pkt *k)
{
	return frame_parse_frags(p, len, len, k);
}

/*
 * Turn @fr's iov, each frame's data in packet order (iov[0] the one @k was parsed from by
 * frame_parse_frags), into the pieces of @k's payload: the first starts at k->payload, the
 * last ends at its k->plen-th byte, empty pieces left out (fr->niov of them). Returns 0, or
 * -1 when the frames hold less than that. Pure.
 */
static inline int frame_frags_payload(struct frame_frags *fr, const struct frame_pkt *k)
{
	size_t skip = (size_t)(k->payload - (const __u8 *)fr->iov[0].iov_base), left = k->plen;
	__u32 i, n = 0;

	for (i = 0; i < fr->n && left; i++) {
		__u8 *at = fr->iov[i].iov_base;
		size_t len = fr->iov[i].iov_len;

		if (skip >= len) {
			skip -= len;
			continue;
		}
		at += skip;
		len -= skip;
		skip = 0;
		if (len > left)
			len = left;
		fr->iov[n].iov_base = at;
		fr->iov[n].iov_len = len;
		n++;
		left -= len;
	}
	fr->niov = n;
	return left ? -1 : 0;
}

#endif
