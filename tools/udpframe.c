// SPDX-License-Identifier: MIT
/* Ethernet, IP and UDP headers rebuilt for a record; see udpframe.h. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "udpframe.h"

static uint64_t sum_bytes(uint64_t s, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void to_v6(const void *a, unsigned int len, uint8_t *out)
{
	if (len == 16) {
		memcpy(out, a, 16);
		return;
	}
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, a, 4);
}

static void dst_mac(uint8_t *mac, const uint8_t *dst, unsigned int len)
{
	if (len == 4 && (dst[0] & 0xf0) == 0xe0) {
		const uint8_t m[6] = { 0x01, 0x00, 0x5e, dst[1] & 0x7f, dst[2], dst[3] };

		memcpy(mac, m, 6);
	} else if (len == 16 && dst[0] == 0xff) {
		const uint8_t m[6] = { 0x33, 0x33, dst[12], dst[13], dst[14], dst[15] };

		memcpy(mac, m, 6);
	} else {
		memcpy(mac, UDPFRAME_DST_MAC, 6);
	}
}

int udpframe_build(const struct ocf_envelope *e, const uint8_t *payload, uint8_t *hdr)
{
	bool v4 = e->src_len == 4 && e->dst_len == 4;
	uint32_t ulen = 8 + e->payload_len;
	uint8_t *ip = hdr + 14, *udp, src[16], dst[16];
	uint64_t s;

	if (e->payload_len > (v4 ? 65507u : 65527u))
		return -EMSGSIZE;
	memcpy(hdr + 6, UDPFRAME_SRC_MAC, 6);
	if (v4) {
		dst_mac(hdr, e->dst_addr, 4);
		put16(hdr + 12, 0x0800);
		memset(ip, 0, 20);
		ip[0] = 0x45;
		put16(ip + 2, 20 + ulen);
		put16(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, e->src_addr, 4);
		memcpy(ip + 16, e->dst_addr, 4);
		put16(ip + 10, fold(sum_bytes(0, ip, 20)));
		udp = ip + 20;
		s = sum_bytes(0, ip + 12, 8) + 17 + ulen;
	} else {
		to_v6(e->src_addr, e->src_len, src);
		to_v6(e->dst_addr, e->dst_len, dst);
		dst_mac(hdr, dst, 16);
		put16(hdr + 12, 0x86dd);
		memset(ip, 0, 8);
		ip[0] = 0x60;
		put16(ip + 4, ulen);
		ip[6] = 17;
		ip[7] = 64;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
		udp = ip + 40;
		s = sum_bytes(0, ip + 8, 32) + 17 + ulen;
	}
	put16(udp, e->src_port);
	put16(udp + 2, e->dst_port);
	put16(udp + 4, ulen);
	put16(udp + 6, 0);
	s = sum_bytes(s, udp, 8);
	s = sum_bytes(s, payload, e->payload_len);
	s = fold(s);
	put16(udp + 6, s ? (uint32_t)s : 0xffff);
	return (int)(udp + 8 - hdr);
}
