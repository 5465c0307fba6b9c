// SPDX-License-Identifier: MIT
/* pcap and pcapng writers; see pcap.h. Host byte order, as both formats allow. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "pcap.h"
#include "udpframe.h"

#define PCAP_MAGIC_NS 0xa1b23c4du
#define LINKTYPE_ETHERNET 1
#define SNAPLEN 262144u

static int put(FILE *f, const void *p, size_t n)
{
	return n && fwrite(p, 1, n, f) != n ? -EIO : 0;
}

int pcap_begin(FILE *f, bool ng)
{
	if (!ng) {
		const struct {
			uint32_t magic;
			uint16_t major, minor;
			int32_t zone;
			uint32_t sigfigs, snaplen, linktype;
		} h = { PCAP_MAGIC_NS, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET };

		return put(f, &h, sizeof(h));
	}
	/* Section header block, then one interface with nanosecond timestamps. */
	const uint32_t shb[7] = {
		0x0a0d0d0a, 28, 0x1a2b3c4d, 0x00000001, 0xffffffff, 0xffffffff, 28
	};
	const uint32_t idb[8] = { 1, 32, LINKTYPE_ETHERNET, SNAPLEN,
				  /* if_tsresol (9) = 9: 10^-9 s; then opt_endofopt */
				  0x00010009, 0x00000009, 0, 32 };

	if (put(f, shb, sizeof(shb)) || put(f, idb, sizeof(idb)))
		return -EIO;
	return 0;
}

int pcap_write(FILE *f, bool ng, const struct recset_rec *rec)
{
	uint8_t hdr[UDPFRAME_HDR_MAX];
	uint64_t ts = rec->e.ts_ns < 0 ? 0 : (uint64_t)rec->e.ts_ns;
	int hl = udpframe_build(&rec->e, rec->payload, hdr);
	uint32_t len, pad;
	static const uint8_t zeros[4];

	if (hl < 0)
		return hl;
	len = (uint32_t)hl + rec->e.payload_len;
	if (!ng) {
		const uint32_t r[4] = { (uint32_t)(ts / 1000000000u), (uint32_t)(ts % 1000000000u),
					len, len };

		if (put(f, r, sizeof(r)))
			return -EIO;
	} else {
		pad = (4 - len % 4) % 4;
		const uint32_t total = 28 + len + pad + 4;
		const uint32_t b[7] = { 6, total, 0, (uint32_t)(ts >> 32), (uint32_t)ts, len, len };

		if (put(f, b, sizeof(b)))
			return -EIO;
		if (put(f, hdr, (size_t)hl) || put(f, rec->payload, rec->e.payload_len) ||
		    put(f, zeros, pad) || put(f, &total, 4))
			return -EIO;
		return 0;
	}
	if (put(f, hdr, (size_t)hl) || put(f, rec->payload, rec->e.payload_len))
		return -EIO;
	return 0;
}
