/* SPDX-License-Identifier: MIT */
/*
 * Multicast group memberships of the capture side: joining the group a channel listens on so
 * that the host reports it (IGMP / MLD) and the group is delivered, on a socket that never
 * receives. Sending to groups is dest.h's. It does not log. A struct mcast_group belongs to
 * one thread at a time.
 */
#ifndef XRELAY_DP_MCAST_H
#define XRELAY_DP_MCAST_H

#include <linux/types.h>

/* A multicast group membership held for as long as the struct's socket is open. */
struct mcast_group {
	int fd; /* -1 when left */
	int ifindex;
	__u8 addr[16];
};

/*
 * Join the multicast group @addr (IPv4-mapped or IPv6) on the interface @ifindex (0: the one
 * the routing table picks for the group) so that the host reports the membership (IGMP / MLD)
 * and the NIC and switches deliver the group. The membership lives as long as a socket of
 * its own, held in *@ret until mcast_leave. That socket is never bound, so it is in no UDP
 * lookup table: it never receives or queues a datagram and adds nothing to the UDP drop
 * counters, whoever else (AF_XDP, a bound socket) consumes the group's traffic.
 * Returns 0, -EINVAL (@addr not multicast, @ifindex negative), -ENODEV (no such interface, or
 * no route for the group with @ifindex 0) or another -errno of socket() or setsockopt().
 * *@ret.fd is -1 on failure. Any thread; does not block.
 */
int mcast_join(int ifindex, const __u8 addr[16], struct mcast_group *ret);

/*
 * Drop the membership held in @g (closing its socket; the kernel leaves the group once no
 * other socket on the host holds it on that interface) and mark it left (fd -1). Accepts NULL
 * and a group already left.
 */
void mcast_leave(struct mcast_group *g);

#endif
