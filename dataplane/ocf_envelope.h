/* SPDX-License-Identifier: MIT */
/*
 * Envelope records (schema xrelay.Packet, include/xrelay/avro.h): the encoding of one record's
 * fields up to its payload, and the decoding of a whole record (the readers'). The schema itself and its check (tests/unit/test_ocf_envelope.c)
 * are elsewhere, and so are the blocks that hold records (ocf_block.h).
 */
#ifndef XRELAY_OCF_ENVELOPE_H
#define XRELAY_OCF_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "xrelay/avro.h"

/* One packet's fields; addresses and ports as on the wire (network byte order addresses). */
struct ocf_envelope {
	int64_t seq;
	int64_t ts_ns;
	const void *src_addr; /* src_len bytes: 4 (IPv4) or 16 (IPv6) */
	const void *dst_addr; /* dst_len bytes: 4 or 16 */
	uint8_t src_len;
	uint8_t dst_len;
	uint16_t src_port; /* host byte order */
	uint16_t dst_port;
	uint32_t payload_len; /* at most XRELAY_PACKET_PAYLOAD_MAX */
};

/*
 * Encode one record's header: every field up to and including the payload's length prefix,
 * so that the whole record is [header][payload bytes]. Returns the header's length (at most
 * XRELAY_PACKET_HDR_MAX), -EINVAL (address length not 4 or 16, payload too long) or -ENOSPC
 * (@len too small; nothing written). Pure, never blocks.
 */
int ocf_envelope_hdr(const struct ocf_envelope *e, uint8_t *buf, size_t len);

/*
 * Decode one whole record at @p (@len bytes left in its block): its fields into *@ret (the
 * addresses point into @p) and its payload's start into *@ret_payload. Returns the record's
 * length, -ENODATA (@p ends inside it: the block is short of its records) or -EBADMSG (a field
 * out of its range: an address not 4 or 16 bytes, a port above 65535, a negative length, a
 * payload above XRELAY_PACKET_PAYLOAD_MAX). Pure, never blocks.
 */
int ocf_envelope_decode(const uint8_t *p, size_t len, struct ocf_envelope *ret,
			const uint8_t **ret_payload);

#endif /* XRELAY_OCF_ENVELOPE_H */
