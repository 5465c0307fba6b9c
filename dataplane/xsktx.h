/* SPDX-License-Identifier: MIT */
/*
 * The AF_XDP transmit path's frames: which destinations it serves (IPv4 multicast groups out of
 * the capture interface itself, where a group's MAC address is derived from the group and no
 * neighbour lookup is needed) and the Ethernet, IPv4 and UDP headers written in front of a
 * payload in the UMEM. Such frames leave by the wire only: unlike a socket's multicast loop,
 * nothing reaches a subscriber on this host. Pure functions but for the interface look-up; no logging. The rings
 * themselves are umem.c's; what goes on them, resend.c decides.
 */
#ifndef XRELAY_DP_XSKTX_H
#define XRELAY_DP_XSKTX_H

#include <stdbool.h>

#include <linux/if_ether.h>
#include <linux/types.h>

#include "xrelay/maps.h"

/* Ethernet + IPv4 (no options) + UDP: what a transmitted frame has before its payload. */
#define XSKTX_HDR_LEN 42u

/* What the headers need of the interface the frames leave by. */
struct xsktx_iface {
	__u8 mac[ETH_ALEN];
	__be32 addr; /* its primary IPv4 address, the frames' source */
	__u32 mtu;
};

/* A destination's headers, all but the lengths and the IPv4 checksum, ready to copy. */
struct xsktx_hdr {
	__u8 b[XSKTX_HDR_LEN];
	__u32 csum_base;   /* the IPv4 header's ones' complement sum without tot_len, not folded */
	__u32 max_payload; /* longest payload that fits the interface's MTU */
};

/*
 * Look @ifname up: its MAC address, primary IPv4 address and MTU. Returns 0, -ENODEV, or
 * -EADDRNOTAVAIL when it has no IPv4 address (then no destination can use the path). May be
 * called from any thread; makes three ioctls.
 */
int xsktx_iface(const char *ifname, struct xsktx_iface *ret);

/*
 * Whether @d can be served by the transmit ring of @capture_if: an IPv4 multicast group whose
 * out interface is named and is @capture_if. If so, fill @ret with its headers: source the
 * interface's MAC and address, destination the group's MAC, address and port, TTL
 * d->ttl, don't-fragment set (payloads past the MTU take the socket path), UDP checksum 0
 * (none, as RFC 768 allows for IPv4). Pure.
 */
bool xsktx_dest(const struct xrelay_dest *d, const char *capture_if, const struct xsktx_iface *ifc,
		struct xsktx_hdr *ret);

/*
 * Write @h's headers for a payload of @payload_len bytes (<= h->max_payload) to @at, the
 * XSKTX_HDR_LEN bytes right before the payload, with UDP source port @sport (the relay sends
 * from the port the datagram came in on): lengths and IPv4 header checksum filled in. Hot
 * path: no branch on the data, a few byte stores and one checksum fold.
 */
void xsktx_write(const struct xsktx_hdr *h, __u8 *at, __u32 payload_len, __u16 sport);

#endif
