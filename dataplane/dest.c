// SPDX-License-Identifier: MIT
/*
 * Re-send destinations: one UDP socket per destination set up for sendmsg, the `every` rule
 * and log text. Sending itself belongs to resend.c, group memberships to mcast.c. No logging.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include "dest.h"
#include "xrelay/addr.h"

/* Whether an IPv6 address means nothing without an interface (RFC 4007 zones). */
static bool v6_needs_scope(const __u8 addr[16])
{
	if (addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80) /* fe80::/10 link-local unicast */
		return true;
	/* Multicast, interface-local (1) or link-local (2) scope. */
	return addr[0] == 0xff && ((addr[1] & 0x0f) == 1 || (addr[1] & 0x0f) == 2);
}

static int set_int(int fd, int level, int opt, int val)
{
	if (setsockopt(fd, level, opt, &val, sizeof(val)))
		return -errno;
	return 0;
}

/* The index of the interface @name, asked through the socket @fd: -ENODEV if there is none. */
static int ifindex_of(int fd, const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, strlen(name) + 1);
	if (ioctl(fd, SIOCGIFINDEX, &ifr))
		return -errno;
	return ifr.ifr_ifindex;
}

bool dest_selects(const struct xrelay_dest *d, __u64 seq)
{
	return d->every <= 1 || seq % d->every == 0;
}

int dest_format(const struct xrelay_dest *d, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	size_t ifn = strnlen(d->ifname, sizeof(d->ifname));
	bool v4 = addr_is_v4(d->addr);
	int n;

	if (!inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? d->addr + 12 : d->addr, a, sizeof(a)))
		return -errno;
	n = snprintf(buf, len, "%s%s%s:%u ttl %u every %u%s%.*s", v4 ? "" : "[", a, v4 ? "" : "]",
		     ntohs(d->port), d->ttl, d->every, ifn ? " via " : "", (int)ifn, d->ifname);
	if (n < 0)
		return -errno;
	if ((size_t)n >= len)
		return -ENOSPC;
	return n;
}

static int check_dest(const struct xrelay_dest *d, size_t sndbuf, unsigned int flags)
{
	if (flags & ~(unsigned int)DEST_F_CONNECT)
		return -EINVAL;
	if (!d->port || !d->ttl || sndbuf > INT_MAX / 2)
		return -EINVAL;
	if (!memchr(d->ifname, '\0', sizeof(d->ifname)))
		return -EINVAL;
	if (addr_is_unspecified(d->addr))
		return -EINVAL;
	if (!addr_is_v4(d->addr) && v6_needs_scope(d->addr) && !addr_is_multicast(d->addr) &&
	    !d->ifname[0])
		return -EINVAL;
	return 0;
}

/* TTL, loop, don't-fragment and multicast interface of an AF_INET socket. */
static int setup_v4(int fd, const struct xrelay_dest *d, const struct dest_sock *s)
{
	int err;

	err = set_int(fd, IPPROTO_IP, IP_TTL, d->ttl);
	if (!err)
		err = set_int(fd, IPPROTO_IP, IP_MULTICAST_TTL, d->ttl);
	if (!err)
		err = set_int(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 1);
	/* Never DF: datagrams above the path MTU are fragmented here instead of refused. */
	if (!err)
		err = set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT);
	if (!err && s->multicast && s->ifindex) {
		struct ip_mreqn mr;

		memset(&mr, 0, sizeof(mr));
		mr.imr_ifindex = s->ifindex;
		if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)))
			err = -errno;
	}
	return err;
}

/* The same for an AF_INET6 socket. */
static int setup_v6(int fd, const struct xrelay_dest *d, const struct dest_sock *s)
{
	int err;

	err = set_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, d->ttl);
	if (!err)
		err = set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, d->ttl);
	if (!err)
		err = set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 1);
	/* The default, made explicit: above the path MTU the sender fragments (IPv6 routers don't). */
	if (!err)
		err = set_int(fd, IPPROTO_IPV6, IPV6_DONTFRAG, 0);
	if (!err && s->multicast && s->ifindex)
		err = set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, s->ifindex);
	return err;
}

static int set_sndbuf(int fd, size_t sndbuf)
{
	int err;

	if (!sndbuf)
		return 0;
	/* FORCE ignores net.core.wmem_max but needs CAP_NET_ADMIN; without it, take the cap. */
	err = set_int(fd, SOL_SOCKET, SO_SNDBUFFORCE, (int)sndbuf);
	if (err == -EPERM)
		err = set_int(fd, SOL_SOCKET, SO_SNDBUF, (int)sndbuf);
	return err;
}

int dest_open(const struct xrelay_dest *d, size_t sndbuf, unsigned int flags, struct dest_sock *ret)
{
	struct dest_sock s;
	int fd, err;

	ret->fd = -1;
	err = check_dest(d, sndbuf, flags);
	if (err)
		return err;

	memset(&s, 0, sizeof(s));
	s.multicast = addr_is_multicast(d->addr);
	if (addr_is_v4(d->addr)) {
		s.addr.sin.sin_family = AF_INET;
		s.addr.sin.sin_port = d->port;
		memcpy(&s.addr.sin.sin_addr, d->addr + 12, 4);
		s.addrlen = sizeof(s.addr.sin);
	} else {
		s.addr.sin6.sin6_family = AF_INET6;
		s.addr.sin6.sin6_port = d->port;
		memcpy(&s.addr.sin6.sin6_addr, d->addr, 16);
		s.addrlen = sizeof(s.addr.sin6);
	}

	fd = socket(s.addr.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_UDP);
	if (fd < 0)
		return -errno;

	if (d->ifname[0]) {
		err = ifindex_of(fd, d->ifname);
		if (err < 0)
			goto out_close;
		s.ifindex = err;
		if (s.addr.sa.sa_family == AF_INET6 && v6_needs_scope(d->addr))
			s.addr.sin6.sin6_scope_id = (__u32)s.ifindex;
	}

	err = s.addr.sa.sa_family == AF_INET ? setup_v4(fd, d, &s) : setup_v6(fd, d, &s);
	if (err)
		goto out_close;
	/* Multicast goes out by IP(V6)_MULTICAST_IF; unicast is pinned to the device. */
	if (!s.multicast && s.ifindex &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, d->ifname, strlen(d->ifname))) {
		err = -errno;
		goto out_close;
	}
	err = set_sndbuf(fd, sndbuf);
	if (err)
		goto out_close;
	if (flags & DEST_F_CONNECT) {
		if (connect(fd, &s.addr.sa, s.addrlen)) {
			err = -errno;
			goto out_close;
		}
		s.connected = true;
	}

	s.fd = fd;
	*ret = s;
	return 0;

out_close:
	(void)close(fd);
	return err;
}

void dest_close(struct dest_sock *s)
{
	if (!s || s->fd < 0)
		return;
	(void)close(s->fd);
	s->fd = -1;
}
