/* SPDX-License-Identifier: MIT */
/*
 * A redirected frame as the worker reads it: the metadata block the XDP program wrote before
 * the packet (struct xrelay_xdp_meta), and the parse of Ethernet, VLAN tags, IPv4/IPv6 and
 * UDP down to the payload. Pure and header-only: both run once per packet. It neither owns
 * nor releases frames (umem.h does).
 */
#ifndef XRELAY_DP_FRAME_H
#define XRELAY_DP_FRAME_H

#include <string.h>

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
 * use. Returns 0, or -1 when it is truncated or not UDP over IP (then @k is partly written).
 * Pure; never reads outside [@p, @p + @len).
 */
static inline int frame_parse(const __u8 *p, __u32 len, struct frame_pkt *k)
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

#endif
