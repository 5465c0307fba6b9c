// SPDX-License-Identifier: MIT
/* Envelope record headers; see ocf_envelope.h. Pure functions, no allocation. */
#include <errno.h>
#include <string.h>

#include "ocf_envelope.h"
#include "ocf_varint.h"

static int envelope_encode(const struct ocf_envelope *e, uint8_t *p)
{
	unsigned int n = 0;

	if ((e->src_len != 4 && e->src_len != 16) || (e->dst_len != 4 && e->dst_len != 16) ||
	    e->payload_len > XRELAY_PACKET_PAYLOAD_MAX)
		return -EINVAL;
	n += ocf_varint_encode_long(p + n, e->seq);
	n += ocf_varint_encode_long(p + n, e->ts_ns);
	n += ocf_varint_encode_long(p + n, e->src_len);
	memcpy(p + n, e->src_addr, e->src_len);
	n += e->src_len;
	n += ocf_varint_encode_long(p + n, e->src_port);
	n += ocf_varint_encode_long(p + n, e->dst_len);
	memcpy(p + n, e->dst_addr, e->dst_len);
	n += e->dst_len;
	n += ocf_varint_encode_long(p + n, e->dst_port);
	n += ocf_varint_encode_long(p + n, e->payload_len);
	return (int)n;
}

int ocf_envelope_hdr(const struct ocf_envelope *e, uint8_t *buf, size_t len)
{
	uint8_t tmp[XRELAY_PACKET_HDR_MAX];
	int n = envelope_encode(e, tmp);

	if (n < 0)
		return n;
	if ((size_t)n > len)
		return -ENOSPC;
	memcpy(buf, tmp, (size_t)n);
	return n;
}
