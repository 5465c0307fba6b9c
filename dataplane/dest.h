/* SPDX-License-Identifier: MIT */
/*
 * Re-send destinations: the UDP socket the dataplane sends one destination's copies through
 * (family, TTL, multicast loop and interface, send buffer, no DF), the `every` rule, and a
 * destination's text for logs. It does not send: the I/O loop (io_uring SENDMSG, resend.c)
 * is the caller's; group memberships are mcast.h's. It does not log.
 *
 * Thread safety: a struct dest_sock belongs to one thread at a time; the pure
 * functions (dest_selects, dest_format) may be called from any thread.
 */
#ifndef XRELAY_DEST_H
#define XRELAY_DEST_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "xrelay/maps.h"

/* Longest text dest_format writes, NUL included: "[IPv6]:port ttl N every N via IFNAME". */
#define DEST_FORMAT_MAX 96

/* Flags of dest_open. */
enum {
	DEST_F_CONNECT = 1u << 0, /* connect() the socket: sends may then leave msg_name NULL */
};

/*
 * One destination's socket. Callers read the fields; only dest_open and dest_close write them.
 * The sockaddr is always filled in, connected or not: pass &addr.sa and addrlen as msg_name
 * and msg_namelen (or NULL and 0 if connected).
 */
struct dest_sock {
	int fd;		   /* -1 when closed */
	int ifindex;	   /* the out interface's index; 0 = routing decides */
	socklen_t addrlen; /* sizeof(struct sockaddr_in) or sizeof(struct sockaddr_in6) */
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;	  /* IPv4-mapped destinations: an AF_INET socket */
		struct sockaddr_in6 sin6; /* all others: an AF_INET6 socket */
	} addr;
	bool connected; /* opened with DEST_F_CONNECT */
	bool multicast;
};

/*
 * Open a non-blocking, close-on-exec UDP socket for @d: AF_INET (sockaddr_in) for an
 * IPv4-mapped address, AF_INET6 otherwise. The TTL / hop limit d->ttl (1..255) is set for
 * unicast and multicast alike; multicast loop is on, so subscribers on this host get the copies
 * too. With an interface (d->ifname not ""): for a multicast address it is the multicast out
 * interface (IP_MULTICAST_IF by index, IPV6_MULTICAST_IF), for a unicast one the socket is bound
 * to it (SO_BINDTODEVICE); a link-local IPv6 address gets it as its scope id as well. Don't
 * fragment is off (IPv4 IP_PMTUDISC_DONT, IPv6 IPV6_DONTFRAG 0): a datagram of up to 65507
 * bytes goes out, fragmented if it must be. @sndbuf > 0 sizes the send buffer
 * (SO_SNDBUFFORCE, or SO_SNDBUF capped by net.core.wmem_max without CAP_NET_ADMIN); 0 keeps
 * the default. With DEST_F_CONNECT the socket is connected to the destination: then ICMP
 * errors (port unreachable) come back as the error of a later send (ECONNREFUSED).
 * Returns 0 and the socket in *@ret (owned by the caller: dest_close), -EINVAL (port 0,
 * unspecified address, ttl 0, ifname not NUL-terminated, link-local IPv6 without interface,
 * unknown flags or @sndbuf above INT_MAX / 2), -ENODEV (no such interface) or another -errno
 * of socket(), setsockopt() or connect() (-ENETUNREACH: no route). *@ret.fd is -1 on failure.
 * Any thread; does not block.
 */
int dest_open(const struct xrelay_dest *d, size_t sndbuf, unsigned int flags,
	      struct dest_sock *ret);

/* Close @s's socket and mark it closed (fd -1). Accepts NULL and a closed socket. */
void dest_close(struct dest_sock *s);

/*
 * Whether the datagram of sequence number @seq goes to @d: seq % every == 0, every 0 counting
 * as 1 (every datagram). Pure.
 */
bool dest_selects(const struct xrelay_dest *d, __u64 seq);

/*
 * Write @d for logs into @buf of @len bytes: "239.2.2.2:6000 ttl 1 every 10 via eth0",
 * "[ff0e::1:2]:7000 ttl 8 every 1" (no " via" without an interface). Returns the length
 * written (without the NUL), or -ENOSPC if it did not fit (@buf then holds as much as fits,
 * NUL-terminated, if @len > 0). DEST_FORMAT_MAX bytes always suffice. Pure.
 */
int dest_format(const struct xrelay_dest *d, char *buf, size_t len);

#endif /* XRELAY_DEST_H */
