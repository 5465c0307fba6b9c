/* SPDX-License-Identifier: MIT */
/*
 * A recorded datagram framed again as it was on the wire: Ethernet, IPv4 or IPv6 and UDP
 * headers rebuilt from the record's addresses and ports, with correct lengths and checksums
 * (what pcap and pcapng files carry). The MAC addresses are made up: a multicast group's MAC
 * (RFC 1112, RFC 2464) for a group, locally administered ones otherwise. Pure; no I/O.
 */
#ifndef XRELAY_TOOLS_UDPFRAME_H
#define XRELAY_TOOLS_UDPFRAME_H

#include <stddef.h>
#include <stdint.h>

#include "../dataplane/ocf_envelope.h"

/* The longest header udpframe_build writes: Ethernet 14 + IPv6 40 + UDP 8. */
#define UDPFRAME_HDR_MAX 62
#define UDPFRAME_SRC_MAC "\x02\x00\x00\x00\x00\x01"
#define UDPFRAME_DST_MAC "\x02\x00\x00\x00\x00\x02"

/*
 * Write the headers for @e (addresses of 4 or 16 bytes; a 4-byte address beside a 16-byte one
 * is IPv4-mapped into IPv6) carrying @payload into @hdr (UDPFRAME_HDR_MAX bytes): IPv4 with
 * TTL 64 and DF, or IPv6 with hop limit 64; the UDP checksum over the pseudo-header and
 * payload. Returns the headers' length, or -EMSGSIZE if the payload is too long for one UDP
 * datagram of that family (65507 bytes over IPv4, 65527 over IPv6).
 */
int udpframe_build(const struct ocf_envelope *e, const uint8_t *payload, uint8_t *hdr);

#endif /* XRELAY_TOOLS_UDPFRAME_H */
