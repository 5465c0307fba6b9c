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

/* One long at p[*pos], range-checked into [lo, hi]. */
static int get_long(const uint8_t *p, size_t len, size_t *pos, int64_t lo, int64_t hi, int64_t *ret)
{
	int n = ocf_varint_get_long(p + *pos, len - *pos, ret);

	if (n < 0)
		return n;
	*pos += (size_t)n;
	return *ret < lo || *ret > hi ? -EBADMSG : 0;
}

static int get_addr(const uint8_t *p, size_t len, size_t *pos, const void **ret, uint8_t *ret_len)
{
	int64_t n;
	int r = get_long(p, len, pos, 0, 16, &n);

	if (r)
		return r;
	if (n != 4 && n != 16)
		return -EBADMSG;
	if ((size_t)n > len - *pos)
		return -ENODATA;
	*ret = p + *pos;
	*ret_len = (uint8_t)n;
	*pos += (size_t)n;
	return 0;
}

int ocf_envelope_decode(const uint8_t *p, size_t len, struct ocf_envelope *ret,
			const uint8_t **ret_payload)
{
	struct ocf_envelope e = { 0 };
	int64_t v;
	size_t pos = 0;
	int r;

	r = get_long(p, len, &pos, INT64_MIN, INT64_MAX, &e.seq);
	if (!r)
		r = get_long(p, len, &pos, INT64_MIN, INT64_MAX, &e.ts_ns);
	if (!r)
		r = get_addr(p, len, &pos, &e.src_addr, &e.src_len);
	if (!r && !(r = get_long(p, len, &pos, 0, 65535, &v)))
		e.src_port = (uint16_t)v;
	if (!r)
		r = get_addr(p, len, &pos, &e.dst_addr, &e.dst_len);
	if (!r && !(r = get_long(p, len, &pos, 0, 65535, &v)))
		e.dst_port = (uint16_t)v;
	if (!r && !(r = get_long(p, len, &pos, 0, XRELAY_PACKET_PAYLOAD_MAX, &v)))
		e.payload_len = (uint32_t)v;
	if (r)
		return r;
	if (e.payload_len > len - pos)
		return -ENODATA;
	*ret = e;
	*ret_payload = p + pos;
	return (int)(pos + e.payload_len);
}
