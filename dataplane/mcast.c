// SPDX-License-Identifier: MIT
/*
 * Multicast group memberships: the host joins the group a channel captures, on a socket that
 * never receives, so that the NIC and the switches deliver it. Sending to groups is not here
 * (dest.c, resend.c). No logging.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "dest.h"
#include "mcast.h"
#include "xrelay/addr.h"

int mcast_join(int ifindex, const __u8 addr[16], struct mcast_group *ret)
{
	bool v4 = addr_is_v4(addr);
	int fd, err = 0;

	ret->fd = -1;
	if (ifindex < 0 || !addr_is_multicast(addr))
		return -EINVAL;
	/*
	 * Never bound: a socket without a local port is in no UDP lookup table, so it receives
	 * nothing, while the membership it holds (on the socket, not the port) stays. Binding
	 * and then shutdown(SHUT_RD) or a minimal SO_RCVBUF would not do: UDP queues past
	 * SHUT_RD, and a full receive buffer drops into RcvbufErrors.
	 */
	fd = socket(v4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    IPPROTO_UDP);
	if (fd < 0)
		return -errno;
	if (v4) {
		struct ip_mreqn mr;

		memset(&mr, 0, sizeof(mr));
		memcpy(&mr.imr_multiaddr, addr + 12, 4);
		mr.imr_ifindex = ifindex;
		if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)))
			err = -errno;
	} else {
		struct ipv6_mreq mr;

		memset(&mr, 0, sizeof(mr));
		memcpy(&mr.ipv6mr_multiaddr, addr, 16);
		mr.ipv6mr_interface = (unsigned int)ifindex;
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr)))
			err = -errno;
	}
	if (err) {
		(void)close(fd);
		return err;
	}
	ret->fd = fd;
	ret->ifindex = ifindex;
	memcpy(ret->addr, addr, 16);
	return 0;
}

void mcast_leave(struct mcast_group *g)
{
	if (!g || g->fd < 0)
		return;
	(void)close(g->fd);
	g->fd = -1;
}
