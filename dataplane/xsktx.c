// SPDX-License-Identifier: MIT
/*
 * The AF_XDP transmit path's frames (see xsktx.h): eligibility of a destination, the header
 * template built once per destination, and the few bytes filled in per datagram.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>

#include "dest.h"
#include "xsktx.h"
#include "xrelay/addr.h"

/* Offsets in the template. */
#define ETH_OFF 0
#define IP_OFF ETH_HLEN
#define UDP_OFF (IP_OFF + 20)

int xsktx_iface(const char *ifname, struct xsktx_iface *ret)
{
	struct ifreq ifr;
	int fd, err = 0;

	if (strlen(ifname) >= IFNAMSIZ)
		return -ENODEV;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		err = errno == ENODEV ? -ENODEV : -errno;
		goto out;
	}
	memcpy(ret->mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	if (ioctl(fd, SIOCGIFMTU, &ifr)) {
		err = -errno;
		goto out;
	}
	ret->mtu = (__u32)ifr.ifr_mtu;
	if (ioctl(fd, SIOCGIFADDR, &ifr)) {
		err = errno == EADDRNOTAVAIL ? -EADDRNOTAVAIL : -errno;
		goto out;
	}
	ret->addr = ((struct sockaddr_in *)(void *)&ifr.ifr_addr)->sin_addr.s_addr;
out:
	close(fd);
	return err;
}

static __u32 csum_add(__u32 sum, const __u8 *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (__u32)(p[i] << 8 | p[i + 1]);
	return sum;
}

static __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

bool xsktx_dest(const struct xrelay_dest *d, const char *capture_if, const struct xsktx_iface *ifc,
		struct xsktx_hdr *ret)
{
	const __u8 *g = d->addr + 12;
	__u8 *e, *ip, *udp;

	if (!addr_is_v4(d->addr) || !addr_is_multicast(d->addr))
		return false;
	if (!d->ifname[0] || strncmp(d->ifname, capture_if, sizeof(d->ifname)) || !d->ttl ||
	    ifc->mtu < 20 + 8 + 1)
		return false;
	memset(ret, 0, sizeof(*ret));
	e = ret->b + ETH_OFF;
	/* RFC 1112: 01:00:5e and the group's low 23 bits. */
	e[0] = 0x01;
	e[1] = 0x00;
	e[2] = 0x5e;
	e[3] = g[1] & 0x7f;
	e[4] = g[2];
	e[5] = g[3];
	memcpy(e + ETH_ALEN, ifc->mac, ETH_ALEN);
	e[12] = ETH_P_IP >> 8;
	e[13] = ETH_P_IP & 0xff;
	ip = ret->b + IP_OFF;
	ip[0] = 0x45;	/* version 4, 5 words */
	ip[6] = 0x40;	/* don't fragment: with it, a zero id is fine (RFC 6864) */
	ip[8] = d->ttl; /* tot_len (2..3) and checksum (10..11) are per datagram */
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, &ifc->addr, 4);
	memcpy(ip + 16, g, 4);
	ret->csum_base = csum_add(0, ip, 20);
	udp = ret->b + UDP_OFF;
	memcpy(udp + 2, &d->port, 2); /* already big-endian; the source port is per datagram */
	ret->max_payload = ifc->mtu - 20 - 8;
	return true;
}

void xsktx_write(const struct xsktx_hdr *h, __u8 *at, __u32 payload_len, __u16 sport)
{
	__u32 tot = payload_len + 20 + 8, ulen = payload_len + 8;
	__u16 check = csum_fold(h->csum_base + tot);

	memcpy(at, h->b, XSKTX_HDR_LEN);
	at[IP_OFF + 2] = (__u8)(tot >> 8);
	at[IP_OFF + 3] = (__u8)tot;
	at[IP_OFF + 10] = (__u8)(check >> 8);
	at[IP_OFF + 11] = (__u8)check;
	at[UDP_OFF + 0] = (__u8)(sport >> 8);
	at[UDP_OFF + 1] = (__u8)sport;
	at[UDP_OFF + 4] = (__u8)(ulen >> 8);
	at[UDP_OFF + 5] = (__u8)ulen;
}
