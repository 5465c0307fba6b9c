/* SPDX-License-Identifier: MIT */
/*
 * Crafted frames for the XDP tests and benchmarks: Ethernet, 0-3 VLAN tags, IPv4 (options,
 * fragments) or IPv6 (any next header) or ARP, UDP with a patterned payload; plus deliberate
 * damage (cut, bad lengths). Checksums are not computed: XDP does not look at them.
 */
#ifndef XRELAY_TESTPKT_H
#define XRELAY_TESTPKT_H

#include <stddef.h>
#include <linux/types.h>

enum testpkt_l3 { TESTPKT_V4 = 0, TESTPKT_V6, TESTPKT_ARP };
enum testpkt_bad {
	TESTPKT_BAD_NONE = 0,
	TESTPKT_BAD_UDP_LEN_LONG,  /* UDP length one past the IP payload */
	TESTPKT_BAD_UDP_LEN_SHORT, /* UDP length 7 */
	TESTPKT_BAD_IHL,	   /* IPv4 ihl 4 */
	TESTPKT_BAD_VERSION,	   /* IPv4 ethertype, version 6 */
	TESTPKT_BAD_L3_LEN_LONG,   /* IPv4 total / IPv6 payload length 100 past the frame */
};

struct testpkt {
	enum testpkt_l3 l3;
	int vlans; /* tags; the outermost is 802.1ad when vlan_ad, all others 802.1Q */
	int vlan_ad;
	const char *dst; /* destination address, text */
	__u16 dport;
	__u8 proto;	  /* 0 = UDP, else this IPv4 protocol (no UDP header then) */
	int ip_opt_words; /* IPv4 NOP options, in 4-byte words */
	__u16 frag_off;	  /* IPv4 flags + fragment offset, host order */
	int v6_nexthdr;	  /* 0 = UDP; 0xff = hop-by-hop (0); else this next header */
	int v6_frag;	  /* a fragment header before UDP: 1 = first (offset 0, M), 2 = later */
	int payload;	  /* UDP payload bytes, pattern (i * 7 + 3) */
	int pad_to;	  /* Ethernet padding: grow the frame to this size */
	int cut;	  /* truncate the frame to this many bytes */
	enum testpkt_bad bad;
};

/* Build @p into @buf (zeroed first, @cap bytes); returns the frame length, 0 if it won't fit. */
size_t testpkt_build(const struct testpkt *p, __u8 *buf, size_t cap);

#endif
