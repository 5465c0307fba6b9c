// SPDX-License-Identifier: MIT
/* Crafted frames for the XDP tests and benchmarks; see testpkt.h. */
#include <arpa/inet.h>
#include <string.h>

#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

#include "testpkt.h"

static void put_be16(__u8 *p, __u16 v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

size_t testpkt_build(const struct testpkt *r, __u8 *buf, size_t cap)
{
	struct ethhdr *eth = (struct ethhdr *)buf;
	__u8 *proto = (__u8 *)&eth->h_proto;
	size_t off = sizeof(*eth), len, l4len;
	int i;

	if ((size_t)r->payload + 14 + 12 + 60 + 8 > cap)
		return 0;
	memset(buf, 0, cap);
	memcpy(eth->h_dest, "\x01\x00\x5e\x01\x01\x01", 6);
	memcpy(eth->h_source, "\x02\x00\x00\x00\x00\x01", 6);
	for (i = 0; i < r->vlans; i++) {
		put_be16(proto, i == 0 && r->vlan_ad ? ETH_P_8021AD : ETH_P_8021Q);
		buf[off + 1] = (__u8)(10 + i); /* VLAN id */
		proto = buf + off + 2;
		off += 4;
	}
	l4len = (r->proto == 0 ? sizeof(struct udphdr) : 0) + (size_t)r->payload;
	if (r->l3 == TESTPKT_ARP) {
		put_be16(proto, ETH_P_ARP);
		len = off + 28;
	} else if (r->l3 == TESTPKT_V4) {
		struct iphdr iph = {}, *ip = &iph; /* built aligned, copied in */
		size_t ihl = sizeof(*ip) + 4 * (size_t)r->ip_opt_words;

		put_be16(proto, ETH_P_IP);
		ip->version = r->bad == TESTPKT_BAD_VERSION ? 6 : 4;
		ip->ihl = r->bad == TESTPKT_BAD_IHL ? 4 : (__u8)(ihl / 4);
		ip->ttl = 64;
		ip->protocol = r->proto ? r->proto : IPPROTO_UDP;
		ip->tot_len =
			htons((__u16)(ihl + l4len + (r->bad == TESTPKT_BAD_L3_LEN_LONG ? 100 : 0)));
		ip->frag_off = htons(r->frag_off);
		ip->saddr = htonl(0xc0000201);
		if (inet_pton(AF_INET, r->dst, &ip->daddr) != 1)
			return 0;
		memcpy(buf + off, ip, sizeof(*ip));
		for (i = 0; i < 4 * r->ip_opt_words; i++)
			buf[off + sizeof(*ip) + (size_t)i] = 1; /* NOP options */
		off += ihl;
		len = off + l4len;
	} else {
		struct ipv6hdr ip6h = {}, *ip6 = &ip6h;

		put_be16(proto, ETH_P_IPV6);
		ip6->version = 6;
		ip6->nexthdr = r->v6_nexthdr ? (__u8)(r->v6_nexthdr & 0xff) : IPPROTO_UDP;
		if (r->v6_nexthdr == 0xff)
			ip6->nexthdr = 0; /* hop-by-hop */
		if (r->v6_frag)
			ip6->nexthdr = 44;
		ip6->hop_limit = 64;
		ip6->payload_len = htons((__u16)(l4len + (r->v6_frag ? 8 : 0) +
						 (r->bad == TESTPKT_BAD_L3_LEN_LONG ? 100 : 0)));
		if (inet_pton(AF_INET6, "2001:db8::1", &ip6->saddr) != 1 ||
		    inet_pton(AF_INET6, r->dst, &ip6->daddr) != 1)
			return 0;
		memcpy(buf + off, ip6, sizeof(*ip6));
		off += sizeof(*ip6);
		if (r->v6_frag) {
			buf[off] = IPPROTO_UDP; /* next header; then reserved, offset + M, id */
			put_be16(buf + off + 2, r->v6_frag == 1 ? 1 : (185 << 3) | 1);
			buf[off + 7] = 42;
			off += 8;
		}
		len = off + l4len;
	}
	if (r->l3 != TESTPKT_ARP) {
		struct udphdr udph = {}, *udp = &udph;
		__u16 ulen = (__u16)l4len;

		if (r->bad == TESTPKT_BAD_UDP_LEN_LONG)
			ulen = (__u16)(l4len + 1);
		else if (r->bad == TESTPKT_BAD_UDP_LEN_SHORT)
			ulen = 7;
		udp->source = htons(40000);
		udp->dest = htons(r->dport);
		udp->len = htons(ulen);
		memcpy(buf + off, udp, sizeof(*udp));
		for (i = 0; i < r->payload; i++)
			buf[off + sizeof(*udp) + (size_t)i] = (__u8)(i * 7 + 3);
	}
	if (r->pad_to && len < (size_t)r->pad_to)
		len = (size_t)r->pad_to;
	if (r->cut)
		len = (size_t)r->cut;
	return len;
}
