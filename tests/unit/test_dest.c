// SPDX-License-Identifier: MIT
/*
 * Re-send destinations (dataplane/dest.c) and group memberships (dataplane/mcast.c) checked
 * the way a user would: datagrams sent with the stored sockaddr arrive at receiving sockets
 * (unicast IPv4/IPv6 on lo, multicast over a veth
 * and over lo through the loop-back copy), socket options read back, large datagrams leave
 * fragmented and without DF as seen on the wire of a veth into a second namespace, group
 * memberships appear in /proc/net/igmp(6) and vanish again, and the `every` rule and log text.
 * All inside a private network namespace (testenv).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "../../dataplane/dest.h"
#include "../../dataplane/mcast.h"
#include "testenv.h"
#include "xrelay/addr.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define VETH "md0" /* this end is ours; its peer md1 stays here too */
#define VETH_PEER "md1"
#define WAIT_MS 2000
#define QUIET_MS 300

static int veth_ifindex;

/* ---- Helpers ----------------------------------------------------------------------------- */

static struct xrelay_dest mkdest(const char *addr, unsigned int port, unsigned int ttl,
				 unsigned int every, const char *ifname)
{
	struct xrelay_dest d;

	memset(&d, 0, sizeof(d));
	if (inet_pton(AF_INET, addr, d.addr + 12) == 1) {
		d.addr[10] = 0xff;
		d.addr[11] = 0xff;
	} else {
		assert_int_equal(inet_pton(AF_INET6, addr, d.addr), 1);
	}
	d.port = htons((uint16_t)port);
	d.ttl = (__u8)ttl;
	d.every = every;
	if (ifname)
		snprintf(d.ifname, sizeof(d.ifname), "%s", ifname);
	return d;
}

static void addr16(const char *addr, __u8 out[16])
{
	struct xrelay_dest d = mkdest(addr, 1, 1, 1, NULL);

	memcpy(out, d.addr, 16);
}

static int getint(int fd, int level, int opt)
{
	int v = -1;
	socklen_t l = sizeof(v);

	assert_return_code(getsockopt(fd, level, opt, &v, &l), errno);
	return v;
}

/* A receiving UDP socket bound to @addr (NULL: any) and @port (0: ephemeral); returns its port. */
static int rx_open(int family, const char *addr, unsigned int port, unsigned int *ret_port)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} a;
	socklen_t len;
	int fd, one = 1;

	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_return_code(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), errno);
	memset(&a, 0, sizeof(a));
	if (family == AF_INET) {
		a.sin.sin_family = AF_INET;
		a.sin.sin_port = htons((uint16_t)port);
		if (addr)
			assert_int_equal(inet_pton(AF_INET, addr, &a.sin.sin_addr), 1);
		len = sizeof(a.sin);
		assert_return_code(setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)),
				   errno);
	} else {
		a.sin6.sin6_family = AF_INET6;
		a.sin6.sin6_port = htons((uint16_t)port);
		if (addr)
			assert_int_equal(inet_pton(AF_INET6, addr, &a.sin6.sin6_addr), 1);
		len = sizeof(a.sin6);
		assert_return_code(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)),
				   errno);
		assert_return_code(
			setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)), errno);
	}
	assert_return_code(bind(fd, &a.sa, len), errno);
	if (ret_port) {
		assert_return_code(getsockname(fd, &a.sa, &len), errno);
		*ret_port = ntohs(family == AF_INET ? a.sin.sin_port : a.sin6.sin6_port);
	}
	return fd;
}

/* Join @group on @ifindex with the receiver @fd itself (the plain way, for comparison). */
static void rx_join(int fd, const char *group, int ifindex)
{
	__u8 a[16];

	addr16(group, a);
	if (a[10] == 0xff) {
		struct ip_mreqn mr = { .imr_ifindex = ifindex };

		memcpy(&mr.imr_multiaddr, a + 12, 4);
		assert_return_code(setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)),
				   errno);
	} else {
		struct ipv6_mreq mr = { .ipv6mr_interface = (unsigned int)ifindex };

		memcpy(&mr.ipv6mr_multiaddr, a, 16);
		assert_return_code(setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr)),
				   errno);
	}
}

/*
 * Wait up to @ms for one datagram on @fd: its length (MSG_TRUNC: the real one) or -ETIMEDOUT;
 * the interface it came in on goes to *@ret_ifindex if not NULL.
 */
static ssize_t rx_wait(int fd, void *buf, size_t len, int ms, int *ret_ifindex)
{
	char cbuf[256];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct cmsghdr *c;
	ssize_t n;

	if (poll(&p, 1, ms) != 1)
		return -ETIMEDOUT;
	n = recvmsg(fd, &mh, MSG_TRUNC | MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	for (c = CMSG_FIRSTHDR(&mh); c && ret_ifindex; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			*ret_ifindex = pi.ipi_ifindex;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			*ret_ifindex = (int)pi.ipi6_ifindex;
		}
	}
	return n;
}

/* Send as the dataplane does: sendmsg with the stored sockaddr, or none when connected. */
static ssize_t dsend(const struct dest_sock *s, const void *buf, size_t len)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (!s->connected) {
		mh.msg_name = (void *)&s->addr.sa;
		mh.msg_namelen = s->addrlen;
	}
	n = sendmsg(s->fd, &mh, 0);
	return n < 0 ? -errno : n;
}

/* Send @msg to @d through a fresh dest socket and expect it once on @rx (from @ifindex if > 0). */
static void send_expect(const struct xrelay_dest *d, unsigned int flags, int rx, const char *msg,
			int ifindex)
{
	struct dest_sock s;
	char buf[256];
	int in_if = -1;
	ssize_t n;

	assert_int_equal(dest_open(d, 0, flags, &s), 0);
	assert_int_equal(dsend(&s, msg, strlen(msg)), (ssize_t)strlen(msg));
	n = rx_wait(rx, buf, sizeof(buf), WAIT_MS, &in_if);
	assert_int_equal(n, (ssize_t)strlen(msg));
	assert_memory_equal(buf, msg, strlen(msg));
	if (ifindex > 0)
		assert_int_equal(in_if, ifindex);
	/* Exactly one copy. */
	assert_int_equal(rx_wait(rx, buf, sizeof(buf), QUIET_MS, NULL), -ETIMEDOUT);
	dest_close(&s);
	assert_int_equal(s.fd, -1);
}

/*
 * Whether /proc/net/igmp (IPv4-mapped @addr) or /proc/net/igmp6 lists @addr on @ifname.
 * igmp: a device line "<idx>\t<name> : ..." then one "\t\t\t\t<group %08X> ..." line per group,
 * the group being the network-order address printed as a host-order word.
 * igmp6: "<idx> <name> <group as 32 hex digits> <users> ..." per group.
 */
static bool igmp_has(const char *ifname, const __u8 addr[16])
{
	char line[256], dev[IFNAMSIZ + 2] = "", want[40], g[40];
	bool v4 = addr[10] == 0xff, found = false;
	FILE *f;
	int i;

	if (v4) {
		uint32_t w;

		memcpy(&w, addr + 12, 4);
		snprintf(want, sizeof(want), "%08X", w);
	} else {
		for (i = 0; i < 16; i++)
			snprintf(want + 2 * i, sizeof(want) - 2 * (size_t)i, "%02x", addr[i]);
	}
	f = fopen(v4 ? "/proc/net/igmp" : "/proc/net/igmp6", "re");
	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f)) {
		if (v4 && isdigit((unsigned char)line[0])) {
			if (sscanf(line, "%*d %17s", dev) == 1 && dev[strlen(dev) - 1] == ':')
				dev[strlen(dev) - 1] = '\0';
		} else if (v4 && line[0] == '\t') {
			found = sscanf(line, " %39s", g) == 1 && !strcmp(dev, ifname) &&
				!strcmp(g, want);
		} else if (!v4) {
			found = sscanf(line, "%*d %17s %39s", dev, g) == 2 &&
				!strcmp(dev, ifname) && !strcmp(g, want);
		}
	}
	fclose(f);
	return found;
}

static size_t pending(int fd)
{
	int n = -1;

	assert_return_code(ioctl(fd, FIONREAD, &n), errno);
	return (size_t)n;
}

/* ---- Unicast ------------------------------------------------------------------------------ */

static void check_sock_basics(const struct dest_sock *s, int family)
{
	int fl = fcntl(s->fd, F_GETFL), fdfl = fcntl(s->fd, F_GETFD);

	assert_true(s->fd >= 0);
	assert_true(fl & O_NONBLOCK);
	assert_true(fdfl & FD_CLOEXEC);
	assert_int_equal(getint(s->fd, SOL_SOCKET, SO_DOMAIN), family);
	assert_int_equal(getint(s->fd, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
	assert_int_equal(getint(s->fd, SOL_SOCKET, SO_PROTOCOL), IPPROTO_UDP);
	assert_int_equal(s->addr.sa.sa_family, family);
	assert_int_equal(s->addrlen, family == AF_INET ? sizeof(struct sockaddr_in)
						       : sizeof(struct sockaddr_in6));
}

static void test_unicast_v4(void **state)
{
	unsigned int port;
	int rx = rx_open(AF_INET, "127.0.0.1", 0, &port);
	struct xrelay_dest d = mkdest("127.0.0.1", port, 64, 1, NULL);
	struct dest_sock s;

	(void)state;
	assert_int_equal(dest_open(&d, 0, 0, &s), 0);
	check_sock_basics(&s, AF_INET);
	assert_int_equal(ntohs(s.addr.sin.sin_port), port);
	assert_int_equal(ntohl(s.addr.sin.sin_addr.s_addr), INADDR_LOOPBACK);
	assert_false(s.connected);
	assert_false(s.multicast);
	assert_int_equal(s.ifindex, 0);
	dest_close(&s);

	send_expect(&d, 0, rx, "unicast v4", 1);
	close(rx);
}

static void test_unicast_v6(void **state)
{
	unsigned int port;
	int rx = rx_open(AF_INET6, "::1", 0, &port);
	struct xrelay_dest d = mkdest("::1", port, 64, 1, NULL);
	struct dest_sock s;

	(void)state;
	assert_int_equal(dest_open(&d, 0, 0, &s), 0);
	check_sock_basics(&s, AF_INET6);
	assert_int_equal(ntohs(s.addr.sin6.sin6_port), port);
	assert_true(IN6_IS_ADDR_LOOPBACK(&s.addr.sin6.sin6_addr));
	dest_close(&s);

	send_expect(&d, 0, rx, "unicast v6", 1);
	close(rx);
}

/* DEST_F_CONNECT: sendmsg without msg_name reaches the destination; the peer is it. */
static void test_unicast_connected(void **state)
{
	static const char *const addrs[] = { "127.0.0.1", "::1" };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(addrs); i++) {
		int family = strchr(addrs[i], ':') ? AF_INET6 : AF_INET;
		unsigned int port;
		int rx = rx_open(family, addrs[i], 0, &port);
		struct xrelay_dest d = mkdest(addrs[i], port, 3, 1, NULL);
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		struct dest_sock s;

		assert_int_equal(dest_open(&d, 0, DEST_F_CONNECT, &s), 0);
		assert_true(s.connected);
		assert_return_code(getpeername(s.fd, (struct sockaddr *)&peer, &plen), errno);
		assert_int_equal(plen, s.addrlen);
		assert_memory_equal(&peer, &s.addr, s.addrlen);
		dest_close(&s);
		send_expect(&d, DEST_F_CONNECT, rx, "connected", 1);
		close(rx);
	}
}

/* A unicast destination with an interface is bound to it (SO_BINDTODEVICE). */
static void test_unicast_interface(void **state)
{
	unsigned int port;
	int rx = rx_open(AF_INET, "127.0.0.1", 0, &port);
	struct xrelay_dest d = mkdest("127.0.0.1", port, 64, 1, "lo");
	char name[IFNAMSIZ] = "";
	socklen_t l = sizeof(name);
	struct dest_sock s;

	(void)state;
	assert_int_equal(dest_open(&d, 0, 0, &s), 0);
	assert_int_equal(s.ifindex, 1);
	assert_return_code(getsockopt(s.fd, SOL_SOCKET, SO_BINDTODEVICE, name, &l), errno);
	assert_string_equal(name, "lo");
	dest_close(&s);
	send_expect(&d, 0, rx, "via lo", 1);
	close(rx);

	/* A destination beyond the veth: bound to it by name. */
	d = mkdest("10.66.0.99", 9, 64, 1, VETH);
	assert_int_equal(dest_open(&d, 0, 0, &s), 0);
	l = sizeof(name);
	assert_return_code(getsockopt(s.fd, SOL_SOCKET, SO_BINDTODEVICE, name, &l), errno);
	assert_string_equal(name, VETH);
	dest_close(&s);
}

/* ---- Options read back --------------------------------------------------------------------- */

static void test_options_v4(void **state)
{
	struct xrelay_dest d = mkdest("127.0.0.1", 9, 7, 1, NULL);
	struct dest_sock s;

	(void)state;
	assert_int_equal(dest_open(&d, 4u << 20, 0, &s), 0);
	assert_int_equal(getint(s.fd, IPPROTO_IP, IP_TTL), 7);
	assert_int_equal(getint(s.fd, IPPROTO_IP, IP_MULTICAST_TTL), 7);
	assert_int_equal(getint(s.fd, IPPROTO_IP, IP_MULTICAST_LOOP), 1);
	assert_int_equal(getint(s.fd, IPPROTO_IP, IP_MTU_DISCOVER), IP_PMTUDISC_DONT);
	/* The kernel doubles the value for its bookkeeping; FORCE lifted the wmem_max cap. */
	assert_true(getint(s.fd, SOL_SOCKET, SO_SNDBUF) >= 4 << 20);
	dest_close(&s);

	d = mkdest("239.2.2.2", 6000, 255, 1, VETH);
	assert_int_equal(dest_open(&d, 0, 0, &s), 0);
	assert_true(s.multicast);
	assert_int_equal(s.ifindex, veth_ifindex);
	assert_int_equal(getint(s.fd, IPPROTO_IP, IP_TTL), 255);
	assert_int_equal(getint(s.fd, IPPROTO_IP, IP_MULTICAST_TTL), 255);
	assert_int_equal(getint(s.fd, IPPROTO_IP, IP_MULTICAST_LOOP), 1);
	/* Multicast leaves by IP_MULTICAST_IF, the socket itself is bound to no device. */
	assert_int_equal(getint(s.fd, SOL_SOCKET, SO_BINDTOIFINDEX), 0);
	dest_close(&s);
}

static void test_options_v6(void **state)
{
	struct xrelay_dest d = mkdest("::1", 9, 9, 1, NULL);
	struct dest_sock s;

	(void)state;
	assert_int_equal(dest_open(&d, 1u << 20, 0, &s), 0);
	assert_int_equal(getint(s.fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS), 9);
	assert_int_equal(getint(s.fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS), 9);
	assert_int_equal(getint(s.fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP), 1);
	assert_int_equal(getint(s.fd, IPPROTO_IPV6, IPV6_DONTFRAG), 0);
	assert_true(getint(s.fd, SOL_SOCKET, SO_SNDBUF) >= 1 << 20);
	dest_close(&s);

	d = mkdest("ff05::1:6", 6000, 32, 1, VETH);
	assert_int_equal(dest_open(&d, 0, 0, &s), 0);
	assert_true(s.multicast);
	assert_int_equal(getint(s.fd, IPPROTO_IPV6, IPV6_MULTICAST_IF), veth_ifindex);
	assert_int_equal(getint(s.fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS), 32);
	assert_int_equal(getint(s.fd, SOL_SOCKET, SO_BINDTOIFINDEX), 0);
	assert_int_equal(s.addr.sin6.sin6_scope_id, 0); /* site scope: no zone */
	dest_close(&s);

	/* Link-scoped addresses carry the interface as their zone. */
	d = mkdest("ff02::1:6", 6000, 1, 1, VETH);
	assert_int_equal(dest_open(&d, 0, 0, &s), 0);
	assert_int_equal(s.addr.sin6.sin6_scope_id, veth_ifindex);
	dest_close(&s);
	d = mkdest("fe80::99", 6000, 1, 1, VETH);
	assert_int_equal(dest_open(&d, 0, 0, &s), 0);
	assert_int_equal(s.addr.sin6.sin6_scope_id, veth_ifindex);
	dest_close(&s);
}

/* ---- Multicast ------------------------------------------------------------------------------ */

/*
 * Over the veth: the receiver joins on md0 on this host; the sender's copy comes back through
 * multicast loop, on md0 (so IP_MULTICAST_IF chose it), exactly once.
 */
static void test_multicast_v4_veth(void **state)
{
	unsigned int port;
	int rx = rx_open(AF_INET, NULL, 0, &port);
	struct xrelay_dest d = mkdest("239.2.2.2", port, 1, 1, VETH);

	(void)state;
	rx_join(rx, "239.2.2.2", veth_ifindex);
	send_expect(&d, 0, rx, "multicast v4 over veth", veth_ifindex);
	send_expect(&d, DEST_F_CONNECT, rx, "multicast v4 connected", veth_ifindex);
	close(rx);
}

static void test_multicast_v6_veth(void **state)
{
	static const char *const groups[] = { "ff05::1:6", "ff02::1:6" };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(groups); i++) {
		unsigned int port;
		int rx = rx_open(AF_INET6, NULL, 0, &port);
		struct xrelay_dest d = mkdest(groups[i], port, 1, 1, VETH);

		rx_join(rx, groups[i], veth_ifindex);
		send_expect(&d, 0, rx, "multicast v6 over veth", veth_ifindex);
		send_expect(&d, DEST_F_CONNECT, rx, "multicast v6 connected", veth_ifindex);
		close(rx);
	}
}

/*
 * Over lo, IPv4 works once a route sends the group there (lo needs no MULTICAST flag). IPv6
 * multicast over lo does not: the kernel finds no neighbour entry for a multicast address on
 * lo and drops the datagram after sendmsg succeeded (Ip6OutNoRoutes), so it is not tested.
 */
static void test_multicast_v4_lo(void **state)
{
	unsigned int port;
	int rx = rx_open(AF_INET, NULL, 0, &port);
	struct xrelay_dest d = mkdest("239.3.3.3", port, 1, 1, NULL);

	(void)state;
	assert_int_equal(testenv_sh("ip route add 239.3.0.0/16 dev lo"), 0);
	rx_join(rx, "239.3.3.3", 1);
	send_expect(&d, 0, rx, "multicast v4 over lo, routed", 1);
	d = mkdest("239.3.3.3", port, 1, 1, "lo");
	send_expect(&d, 0, rx, "multicast v4 over lo, by interface", 1);
	close(rx);
	assert_int_equal(testenv_sh("ip route del 239.3.0.0/16 dev lo"), 0);
}

/* ---- Errors --------------------------------------------------------------------------------- */

static void test_unknown_interface(void **state)
{
	static const char *const addrs[] = { "10.1.2.3", "239.1.2.3", "2001:db8::1", "ff05::1",
					     "fe80::1" };
	struct mcast_group g;
	struct dest_sock s;
	__u8 a[16];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(addrs); i++) {
		struct xrelay_dest d = mkdest(addrs[i], 6000, 1, 1, "nosuch0");

		s.fd = 42;
		assert_int_equal(dest_open(&d, 0, 0, &s), -ENODEV);
		assert_int_equal(s.fd, -1);
	}
	addr16("239.1.2.3", a);
	assert_int_equal(mcast_join(99999, a, &g), -ENODEV);
	assert_int_equal(g.fd, -1);
	addr16("ff05::1", a);
	assert_int_equal(mcast_join(99999, a, &g), -ENODEV);
	assert_int_equal(g.fd, -1);
}

static void test_invalid(void **state)
{
	struct xrelay_dest d;
	struct dest_sock s;
	struct mcast_group g;
	__u8 a[16];

	(void)state;
	d = mkdest("127.0.0.1", 0, 1, 1, NULL); /* port 0 */
	assert_int_equal(dest_open(&d, 0, 0, &s), -EINVAL);
	d = mkdest("127.0.0.1", 9, 0, 1, NULL); /* ttl 0 */
	assert_int_equal(dest_open(&d, 0, 0, &s), -EINVAL);
	d = mkdest("0.0.0.0", 9, 1, 1, NULL);
	assert_int_equal(dest_open(&d, 0, 0, &s), -EINVAL);
	d = mkdest("::", 9, 1, 1, NULL);
	assert_int_equal(dest_open(&d, 0, 0, &s), -EINVAL);
	d = mkdest("fe80::1", 9, 1, 1, NULL); /* link-local without a zone */
	assert_int_equal(dest_open(&d, 0, 0, &s), -EINVAL);
	d = mkdest("127.0.0.1", 9, 1, 1, NULL);
	memset(d.ifname, 'x', sizeof(d.ifname)); /* not NUL-terminated */
	assert_int_equal(dest_open(&d, 0, 0, &s), -EINVAL);
	d = mkdest("127.0.0.1", 9, 1, 1, NULL);
	assert_int_equal(dest_open(&d, 0, 1u << 7, &s), -EINVAL);
	assert_int_equal(dest_open(&d, (size_t)1 << 31, 0, &s), -EINVAL);
	assert_int_equal(s.fd, -1);

	addr16("10.1.2.3", a);
	assert_int_equal(mcast_join(0, a, &g), -EINVAL);
	addr16("2001:db8::1", a);
	assert_int_equal(mcast_join(0, a, &g), -EINVAL);
	addr16("239.1.1.1", a);
	assert_int_equal(mcast_join(-1, a, &g), -EINVAL);

	/* The destructors accept NULL and what is already closed. */
	dest_close(NULL);
	mcast_leave(NULL);
	s.fd = -1;
	dest_close(&s);
	g.fd = -1;
	mcast_leave(&g);
}

/* ---- Group membership ------------------------------------------------------------------------ */

/*
 * mcast_join's membership is listed for the interface (and by `ip maddr`), it makes the host
 * accept the group there (a receiver bound to the port without joining gets the loop-back copy
 * only because of it: IP(V6)_MULTICAST_ALL), its own socket never queues a byte, and after
 * mcast_leave the membership and the delivery are gone.
 */
static void check_join_leave(const char *group, int family)
{
	struct mcast_group g;
	unsigned int port;
	int rx = rx_open(family, NULL, 0, &port);
	struct xrelay_dest d = mkdest(group, port, 1, 1, VETH);
	char buf[64];
	__u8 a[16];

	addr16(group, a);
	assert_false(igmp_has(VETH, a));
	assert_int_equal(mcast_join(veth_ifindex, a, &g), 0);
	assert_true(g.fd >= 0);
	assert_int_equal(g.ifindex, veth_ifindex);
	assert_memory_equal(g.addr, a, 16);
	assert_true(igmp_has(VETH, a));
	assert_false(igmp_has(VETH_PEER, a));
	assert_int_equal(testenv_sh("ip maddr show dev " VETH " | grep -qw '%s'", group), 0);

	send_expect(&d, 0, rx, "to a joined group", veth_ifindex);
	assert_int_equal(pending(g.fd), 0);
	assert_int_equal(recv(g.fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);

	mcast_leave(&g);
	assert_int_equal(g.fd, -1);
	assert_false(igmp_has(VETH, a));
	{
		struct dest_sock s;

		assert_int_equal(dest_open(&d, 0, 0, &s), 0);
		assert_int_equal(dsend(&s, "left", 4), 4);
		assert_int_equal(rx_wait(rx, buf, sizeof(buf), QUIET_MS, NULL), -ETIMEDOUT);
		dest_close(&s);
	}
	mcast_leave(&g); /* twice is harmless */
	close(rx);
}

static void test_join_leave_v4(void **state)
{
	(void)state;
	check_join_leave("239.7.7.7", AF_INET);
}

static void test_join_leave_v6(void **state)
{
	(void)state;
	check_join_leave("ff05::7:7", AF_INET6);
}

/* Two holders of one group: the kernel counts users; the group stays until the last leaves. */
static void test_join_twice(void **state)
{
	struct mcast_group g1, g2;
	__u8 a[16];

	(void)state;
	addr16("239.8.8.8", a);
	assert_int_equal(mcast_join(veth_ifindex, a, &g1), 0);
	assert_int_equal(mcast_join(veth_ifindex, a, &g2), 0);
	mcast_leave(&g1);
	assert_true(igmp_has(VETH, a));
	mcast_leave(&g2);
	assert_false(igmp_has(VETH, a));
}

/* ---- every ------------------------------------------------------------------------------------ */

static void test_selects(void **state)
{
	static const struct {
		__u32 every;
		unsigned int count;
	} cases[] = { { 0, 100 }, { 1, 100 }, { 10, 10 }, { 3, 34 }, { 1000, 1 } };
	size_t i;
	__u64 seq;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct xrelay_dest d = mkdest("127.0.0.1", 9, 1, cases[i].every, NULL);
		unsigned int n = 0;

		for (seq = 0; seq < 100; seq++) {
			bool sel = dest_selects(&d, seq);

			n += sel;
			if (cases[i].every == 10)
				assert_int_equal(sel, seq % 10 == 0);
		}
		assert_int_equal(n, cases[i].count);
	}
	/* Sequence numbers are 64-bit. */
	{
		struct xrelay_dest d = mkdest("127.0.0.1", 9, 1, 10, NULL);

		assert_true(dest_selects(&d, 10000000000000000000ull));
		assert_false(dest_selects(&d, 10000000000000000001ull));
	}
}

/* ---- Large datagrams -------------------------------------------------------------------------- */

/* A 9000-byte datagram over lo (MTU 65536: whole) arrives whole, IPv4 and IPv6. */
static void test_big_lo(void **state)
{
	static const char *const addrs[] = { "127.0.0.1", "::1" };
	static char out[9000], in[70000];
	size_t i, k;

	(void)state;
	for (k = 0; k < sizeof(out); k++)
		out[k] = (char)(k * 7);
	for (i = 0; i < ARRAY_SIZE(addrs); i++) {
		int family = strchr(addrs[i], ':') ? AF_INET6 : AF_INET;
		unsigned int port;
		int rx = rx_open(family, addrs[i], 0, &port);
		struct xrelay_dest d = mkdest(addrs[i], port, 1, 1, NULL);
		struct dest_sock s;

		assert_int_equal(dest_open(&d, 0, 0, &s), 0);
		assert_int_equal(dsend(&s, out, sizeof(out)), (ssize_t)sizeof(out));
		assert_int_equal(rx_wait(rx, in, sizeof(in), WAIT_MS, NULL), (ssize_t)sizeof(out));
		assert_memory_equal(in, out, sizeof(out));
		dest_close(&s);
		close(rx);
	}
}

/*
 * The peer namespace for the wire test: a child process in a network namespace of its own
 * holding the far end of a veth (MTU 1500), reporting the length of every datagram it receives
 * on port PEER_PORT.
 */
#define PEER_PORT 7700
#define WIRE0 "xw0"
#define WIRE1 "xw1"

struct peer_report {
	int family;
	int len;
};

static void peer_main(int rd, int wr)
{
	static char buf[70000];
	struct pollfd p[3];
	char c;
	int i;

	if (unshare(CLONE_NEWNET) || write(wr, "u", 1) != 1 || read(rd, &c, 1) != 1)
		_exit(2);
	if (testenv_sh("ip link set lo up && ip addr add 10.77.0.2/24 dev " WIRE1
		       " && ip -6 addr add fd77::2/64 dev " WIRE1 " nodad && ip link set " WIRE1
		       " up"))
		_exit(3);
	p[0].fd = rx_open(AF_INET, NULL, PEER_PORT, NULL);
	p[1].fd = rx_open(AF_INET6, NULL, PEER_PORT, NULL);
	p[2].fd = rd;
	for (i = 0; i < 3; i++)
		p[i].events = POLLIN;
	if (write(wr, "r", 1) != 1)
		_exit(4);
	while (poll(p, 3, 10000) > 0 && !p[2].revents) {
		for (i = 0; i < 2; i++) {
			struct peer_report r = { i ? AF_INET6 : AF_INET, 0 };

			if (!(p[i].revents & POLLIN))
				continue;
			r.len = (int)recv(p[i].fd, buf, sizeof(buf), MSG_TRUNC);
			if (write(wr, &r, sizeof(r)) != sizeof(r))
				_exit(5);
		}
	}
	_exit(0);
}

static void read_full(int fd, void *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	assert_int_equal(poll(&p, 1, 5000), 1);
	assert_int_equal(read(fd, buf, len), (ssize_t)len);
}

/* Count the outgoing IP fragments on the capture socket @cap; no IPv4 UDP packet may carry DF. */
static void count_fragments(int cap, int *ret_v4, int *ret_v6)
{
	static unsigned char pkt[2048];
	struct sockaddr_ll from;
	socklen_t fl = sizeof(from);
	ssize_t n;

	*ret_v4 = 0;
	*ret_v6 = 0;
	while ((n = recvfrom(cap, pkt, sizeof(pkt), MSG_DONTWAIT, (struct sockaddr *)&from, &fl)) >
	       0) {
		fl = sizeof(from);
		if (from.sll_pkttype != PACKET_OUTGOING)
			continue;
		if (ntohs(from.sll_protocol) == ETH_P_IP && n >= (ssize_t)sizeof(struct iphdr)) {
			struct iphdr ip;
			uint16_t off;

			memcpy(&ip, pkt, sizeof(ip));
			off = ntohs(ip.frag_off);
			if (ip.protocol != IPPROTO_UDP)
				continue;
			assert_false(off & IP_DF); /* whole or fragment: never DF */
			assert_true(n <= 1500);
			if (off & (IP_MF | IP_OFFMASK))
				(*ret_v4)++;
		} else if (ntohs(from.sll_protocol) == ETH_P_IPV6 &&
			   n >= (ssize_t)sizeof(struct ip6_hdr)) {
			struct ip6_hdr ip6;

			memcpy(&ip6, pkt, sizeof(ip6));
			if (ip6.ip6_nxt != IPPROTO_FRAGMENT)
				continue;
			assert_true(n <= 1500);
			(*ret_v6)++;
		}
	}
}

/*
 * 9000 and 65507 bytes (IPv4's largest UDP payload; 65527 for IPv6 without jumbograms, 65000
 * here) to a unicast destination behind a veth of MTU 1500: they leave as fragments (IPv4
 * without DF, as is a datagram that fits) and arrive whole in the other namespace.
 */
static void test_big_wire(void **state)
{
	static const struct {
		const char *addr;
		int family;
		size_t len;
	} cases[] = {
		{ "10.77.0.2", AF_INET, 1000 },	 { "10.77.0.2", AF_INET, 9000 },
		{ "10.77.0.2", AF_INET, 65507 }, { "fd77::2", AF_INET6, 9000 },
		{ "fd77::2", AF_INET6, 65000 },
	};
	static char out[65507];
	int to_child[2], from_child[2], cap, st;
	struct sockaddr_ll ll = { .sll_family = AF_PACKET };
	char c;
	pid_t pid;
	size_t i;

	(void)state;
	assert_int_equal(testenv_sh("ip link add " WIRE0 " type veth peer name " WIRE1), 0);
	assert_return_code(pipe2(to_child, O_CLOEXEC), errno);
	assert_return_code(pipe2(from_child, O_CLOEXEC), errno);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(to_child[1]);
		close(from_child[0]);
		peer_main(to_child[0], from_child[1]);
	}
	close(to_child[0]);
	close(from_child[1]);
	read_full(from_child[0], &c, 1);
	assert_int_equal(c, 'u');
	assert_int_equal(testenv_sh("ip link set " WIRE1
				    " netns %d && ip addr add 10.77.0.1/24 dev " WIRE0
				    " && ip -6 addr add fd77::1/64 dev " WIRE0
				    " nodad && ip link set " WIRE0 " up",
				    (int)pid),
			 0);
	assert_int_equal(write(to_child[1], "g", 1), 1);
	read_full(from_child[0], &c, 1);
	assert_int_equal(c, 'r');

	cap = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ALL));
	assert_true(cap >= 0);
	/* Room for all 45 fragments of the largest datagram. */
	st = 4 << 20;
	assert_return_code(setsockopt(cap, SOL_SOCKET, SO_RCVBUFFORCE, &st, sizeof(st)), errno);
	ll.sll_protocol = htons(ETH_P_ALL);
	ll.sll_ifindex = (int)if_nametoindex(WIRE0);
	assert_return_code(bind(cap, (struct sockaddr *)&ll, sizeof(ll)), errno);

	for (i = 0; i < sizeof(out); i++)
		out[i] = (char)i;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct xrelay_dest d = mkdest(cases[i].addr, PEER_PORT, 64, 1, WIRE0);
		struct peer_report r;
		struct dest_sock s;
		int v4, v6;

		assert_int_equal(dest_open(&d, 1u << 20, 0, &s), 0);
		assert_int_equal(dsend(&s, out, cases[i].len), (ssize_t)cases[i].len);
		read_full(from_child[0], &r, sizeof(r));
		assert_int_equal(r.family, cases[i].family);
		assert_int_equal(r.len, (int)cases[i].len);
		count_fragments(cap, &v4, &v6);
		/* At most 1480 payload bytes per IPv4 fragment, 1448 per IPv6 one. */
		if (cases[i].len <= 1000)
			assert_int_equal(v4 + v6, 0);
		else if (cases[i].family == AF_INET)
			assert_true(v4 >= (int)((cases[i].len + 8 + 1479) / 1480));
		else
			assert_true(v6 >= (int)((cases[i].len + 8 + 1447) / 1448));
		dest_close(&s);
	}
	close(cap);
	close(to_child[1]); /* the peer ends when its pipe closes */
	close(from_child[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* ---- Log text ---------------------------------------------------------------------------------- */

static void test_format(void **state)
{
	static const struct {
		const char *addr;
		unsigned int port, ttl, every;
		const char *ifname, *text;
	} cases[] = {
		{ "239.2.2.2", 6000, 1, 10, "eth0", "239.2.2.2:6000 ttl 1 every 10 via eth0" },
		{ "10.0.0.7", 6001, 64, 1, NULL, "10.0.0.7:6001 ttl 64 every 1" },
		{ "ff0e::1:2", 7000, 8, 1, NULL, "[ff0e::1:2]:7000 ttl 8 every 1" },
		{ "fe80::1", 1, 255, 4294967295u, "verylongname123",
		  "[fe80::1]:1 ttl 255 every 4294967295 via verylongname123" },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535, 255, 4294967295u,
		  "verylongname123",
		  "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535 ttl 255 every 4294967295 via "
		  "verylongname123" },
	};
	char buf[DEST_FORMAT_MAX];
	struct xrelay_dest d;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		d = mkdest(cases[i].addr, cases[i].port, cases[i].ttl, cases[i].every,
			   cases[i].ifname);
		assert_int_equal(dest_format(&d, buf, sizeof(buf)), (int)strlen(cases[i].text));
		assert_string_equal(buf, cases[i].text);
	}
	/* Too small: -ENOSPC, and what fits, terminated. */
	d = mkdest("239.2.2.2", 6000, 1, 10, "eth0");
	assert_int_equal(dest_format(&d, buf, 10), -ENOSPC);
	assert_string_equal(buf, "239.2.2.2");
	assert_int_equal(dest_format(&d, buf, 0), -ENOSPC);
	/* An ifname filling its array is printed within it. */
	memset(d.ifname, 'x', sizeof(d.ifname));
	assert_true(dest_format(&d, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, " via xxxxxxxxxxxxxxxx"));
	assert_null(strstr(buf, " via xxxxxxxxxxxxxxxxx"));
}

static void test_is_multicast(void **state)
{
	static const struct {
		const char *addr;
		bool mc;
	} cases[] = {
		{ "224.0.0.1", true },	      { "239.255.255.255", true },
		{ "223.255.255.255", false }, { "240.0.0.1", false },
		{ "10.0.0.1", false },	      { "ff02::1", true },
		{ "ff0e::1:2", true },	      { "fe80::1", false },
		{ "2001:db8::1", false },     { "::ffff:10.0.0.1", false },
	};
	size_t i;
	__u8 a[16];

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		addr16(cases[i].addr, a);
		assert_int_equal(addr_is_multicast(a), cases[i].mc);
	}
}

/* ---- Setup ------------------------------------------------------------------------------------- */

static int setup(void **state)
{
	(void)state;
	(void)testenv_enter();
	signal(SIGPIPE, SIG_IGN);
	/* No duplicate address detection: addresses are usable at once. */
	if (testenv_sh("echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad"
		       " && echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad"
		       " && ip link add " VETH " type veth peer name " VETH_PEER
		       " && ip addr add 10.66.0.1/24 dev " VETH
		       " && ip -6 addr add fd66::1/64 dev " VETH " nodad && ip link set " VETH
		       " up && ip link set " VETH_PEER " up"))
		return -1;
	veth_ifindex = (int)if_nametoindex(VETH);
	return veth_ifindex > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	testenv_leave();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unicast_v4),	  cmocka_unit_test(test_unicast_v6),
		cmocka_unit_test(test_unicast_connected), cmocka_unit_test(test_unicast_interface),
		cmocka_unit_test(test_options_v4),	  cmocka_unit_test(test_options_v6),
		cmocka_unit_test(test_multicast_v4_veth), cmocka_unit_test(test_multicast_v6_veth),
		cmocka_unit_test(test_multicast_v4_lo),	  cmocka_unit_test(test_unknown_interface),
		cmocka_unit_test(test_invalid),		  cmocka_unit_test(test_join_leave_v4),
		cmocka_unit_test(test_join_leave_v6),	  cmocka_unit_test(test_join_twice),
		cmocka_unit_test(test_selects),		  cmocka_unit_test(test_big_lo),
		cmocka_unit_test(test_big_wire),	  cmocka_unit_test(test_format),
		cmocka_unit_test(test_is_multicast),
	};

	return cmocka_run_group_tests_name("dest", tests, setup, teardown);
}
