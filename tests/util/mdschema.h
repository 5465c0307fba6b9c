/* SPDX-License-Identifier: MIT */
/*
 * The market-data-like schema the datum tests and benchmarks use (tests/unit/test_datum.c,
 * tests/bench/bench_datum.c, tests/fuzz/fuzz_datum.c), the one tests/net/datum_tool.py sends:
 * a long sequence, an enum side, a decimal price, a symbol, an optional venue, levels.
 */
#ifndef XRELAY_TEST_MDSCHEMA_H
#define XRELAY_TEST_MDSCHEMA_H

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

#endif /* XRELAY_TEST_MDSCHEMA_H */
