/* SPDX-License-Identifier: MIT */
/*
 * The market-data-like schema the datum tests and benchmarks use (tests/unit/test_datum.c,
 * tests/bench/bench_datum.c, tests/fuzz/fuzz_datum.c), the one tests/net/datum_tool.py sends:
 * a long sequence, an enum side, a decimal price, a symbol, an optional venue, levels; and
 * md_datum, the C writer of such datums (bench_datum, tests/read/recgen).
 */
#ifndef XRELAY_TEST_MDSCHEMA_H
#define XRELAY_TEST_MDSCHEMA_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../dataplane/ocf_varint.h"

#define MD_SCHEMA                                                                           \
	"{\"type\":\"record\",\"name\":\"Quote\",\"namespace\":\"md\",\"fields\":["         \
	"{\"name\":\"seq\",\"type\":\"long\"},"                                             \
	"{\"name\":\"side\",\"type\":{\"type\":\"enum\",\"name\":\"Side\","                 \
	"\"symbols\":[\"BID\",\"ASK\"]}},"                                                  \
	"{\"name\":\"price\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\","     \
	"\"precision\":12,\"scale\":4}},"                                                   \
	"{\"name\":\"symbol\",\"type\":\"string\"},"                                        \
	"{\"name\":\"venue\",\"type\":[\"null\",\"string\"],\"default\":null},"             \
	"{\"name\":\"levels\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\"," \
	"\"name\":\"Level\",\"fields\":[{\"name\":\"px\",\"type\":\"long\"},"               \
	"{\"name\":\"qty\",\"type\":\"int\"}]}}}]}"

/* Room md_datum needs at most. */
#define MD_DATUM_MAX 160

/*
 * Datum number @i of MD_SCHEMA into @b (MD_DATUM_MAX bytes): seq i * 1000003, side i & 1, a
 * 3-byte price (i's low 24 bits, two's complement), one of four symbols, venue "XNYS" unless
 * i % 3 == 0, i % 5 levels. Returns its length.
 */
static inline size_t md_datum(uint8_t *b, unsigned int i)
{
	static const char *const syms[] = { "ABC", "XYZW", "MSFT", "BRK.B" };
	const char *sym = syms[i % 4];
	uint8_t *p = b;
	unsigned int k, levels = i % 5;

	p += ocf_varint_encode_long(p, (int64_t)i * 1000003);
	p += ocf_varint_encode_long(p, i & 1);
	p += ocf_varint_encode_long(p, 3);
	*p++ = (uint8_t)(i >> 16);
	*p++ = (uint8_t)(i >> 8);
	*p++ = (uint8_t)i;
	p += ocf_varint_encode_long(p, (int64_t)strlen(sym));
	memcpy(p, sym, strlen(sym));
	p += strlen(sym);
	if (i % 3) {
		p += ocf_varint_encode_long(p, 1);
		p += ocf_varint_encode_long(p, 4);
		memcpy(p, "XNYS", 4);
		p += 4;
	} else {
		p += ocf_varint_encode_long(p, 0);
	}
	if (levels) {
		p += ocf_varint_encode_long(p, levels);
		for (k = 0; k < levels; k++) {
			p += ocf_varint_encode_long(p, 1000000 + (int64_t)i * 7 + k);
			p += ocf_varint_encode_long(p, (int64_t)(k + 1) * 100);
		}
	}
	p += ocf_varint_encode_long(p, 0);
	return (size_t)(p - b);
}

#endif /* XRELAY_TEST_MDSCHEMA_H */
