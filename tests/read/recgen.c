// SPDX-License-Identifier: MIT
/*
 * recgen: writes a recording as the dataplane would, through the project's own writer
 * (dataplane/ocf_*.c, blocks by tests/util/testocf.c), for the tests and benchmarks of
 * xrelay-read and xrelay-replay: one channel, several queues (shards), files rotated every N
 * records, records paced at a fixed interval, sequence gaps on purpose, a .part file left
 * open. Payloads are the test pattern (tests/net/pattern.h); with --datum the records are
 * datums of the market-data schema (tests/util/mdschema.h), as a datum channel's files hold
 * them. Prints one JSON line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../dataplane/ocf.h"
#include "../net/pattern.h"
#include "mdschema.h"
#include "testocf.h"

#define GAPS_MAX 64

static void usage(void)
{
	fprintf(stderr,
		"Usage: recgen --dir DIR [OPTIONS]\n"
		"  --channel NAME      channel name (default rec)\n"
		"  --queues Q          shards; record i goes to queue i %% Q (default 1)\n"
		"  --count N           records in all (default 1000)\n"
		"  --start NS          ts_ns of record 0 (default 1764669600000000000)\n"
		"  --interval NS       ts_ns step between records (default 1000000)\n"
		"  --per-file N        records of a shard per file (default: all in one)\n"
		"  --block N           records per block (default 256)\n"
		"  --codec C           null, deflate or snappy (default null)\n"
		"  --min-len A, --max-len B   payload lengths (default 0, 1400)\n"
		"  --seed S            pattern seed (default 1)\n"
		"  --v6                IPv6 addresses (default IPv4)\n"
		"  --src A --dst A     addresses (default 192.0.2.2 -> 192.0.2.1 / 2001:db8::2 -> ::1)\n"
		"  --sport P --dport P ports (default 47000, 5000)\n"
		"  --gap Q:SEQ:LEN     in queue Q, seq SEQ..SEQ+LEN-1 are never written (repeatable)\n"
		"  --leave-part        the last file of each shard stays .avro.part\n"
		"  --datum             a datum channel's files: record i is md_datum(i) of MD_SCHEMA\n");
	exit(2);
}

struct gap {
	unsigned int q;
	int64_t seq, len;
};

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "dir", 1, NULL, 'd' },
					      { "channel", 1, NULL, 'c' },
					      { "queues", 1, NULL, 'q' },
					      { "count", 1, NULL, 'n' },
					      { "start", 1, NULL, 's' },
					      { "interval", 1, NULL, 'i' },
					      { "per-file", 1, NULL, 'p' },
					      { "block", 1, NULL, 'b' },
					      { "codec", 1, NULL, 'C' },
					      { "min-len", 1, NULL, 'a' },
					      { "max-len", 1, NULL, 'B' },
					      { "seed", 1, NULL, 'S' },
					      { "v6", 0, NULL, '6' },
					      { "src", 1, NULL, 'A' },
					      { "dst", 1, NULL, 'D' },
					      { "sport", 1, NULL, 'P' },
					      { "dport", 1, NULL, 'O' },
					      { "gap", 1, NULL, 'g' },
					      { "leave-part", 0, NULL, 'l' },
					      { "datum", 0, NULL, 'm' },
					      { 0 } };
	const char *dir = NULL, *channel = "rec", *src = NULL, *dst = NULL;
	unsigned int queues = 1, nblock = 256, minl = 0, maxl = 1400, ngaps = 0, q;
	uint64_t count = 1000, per_file = 0, seed = 1, written = 0, files = 0;
	int64_t start = 1764669600000000000ll, interval = 1000000;
	uint16_t sport = 47000, dport = 5000;
	enum ocf_codec codec = OCF_CODEC_NULL;
	struct gap gaps[GAPS_MAX];
	bool v6 = false, leave = false, datum = false;
	uint8_t sa[16], da[16], hdr[XRELAY_PACKET_HDR_MAX + MD_DATUM_MAX], *tape, *payload;
	struct ocf_file **f;
	struct ocf_block **b;
	uint64_t *infile, i;
	int64_t *seq;
	int c, dfd, r;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'c':
			channel = optarg;
			break;
		case 'q':
			queues = (unsigned int)atoi(optarg);
			break;
		case 'n':
			count = strtoull(optarg, NULL, 0);
			break;
		case 's':
			start = strtoll(optarg, NULL, 0);
			break;
		case 'i':
			interval = strtoll(optarg, NULL, 0);
			break;
		case 'p':
			per_file = strtoull(optarg, NULL, 0);
			break;
		case 'b':
			nblock = (unsigned int)atoi(optarg);
			break;
		case 'C':
			if (ocf_codec_parse(optarg, &codec))
				usage();
			break;
		case 'a':
			minl = (unsigned int)atoi(optarg);
			break;
		case 'B':
			maxl = (unsigned int)atoi(optarg);
			break;
		case 'S':
			seed = strtoull(optarg, NULL, 0);
			break;
		case '6':
			v6 = true;
			break;
		case 'A':
			src = optarg;
			break;
		case 'D':
			dst = optarg;
			break;
		case 'P':
			sport = (uint16_t)atoi(optarg);
			break;
		case 'O':
			dport = (uint16_t)atoi(optarg);
			break;
		case 'g':
			if (ngaps == GAPS_MAX ||
			    sscanf(optarg, "%u:%" SCNd64 ":%" SCNd64, &gaps[ngaps].q,
				   &gaps[ngaps].seq, &gaps[ngaps].len) != 3)
				usage();
			ngaps++;
			break;
		case 'l':
			leave = true;
			break;
		case 'm':
			datum = true;
			break;
		default:
			usage();
		}
	}
	if (!dir || !queues || maxl > PATTERN_MAX_LEN || minl > maxl || !nblock)
		usage();
	if (!src)
		src = v6 ? "2001:db8::2" : "192.0.2.2";
	if (!dst)
		dst = v6 ? "2001:db8::1" : "192.0.2.1";
	if (inet_pton(v6 ? AF_INET6 : AF_INET, src, sa) != 1 ||
	    inet_pton(v6 ? AF_INET6 : AF_INET, dst, da) != 1)
		usage();
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		perror(dir);
		return 1;
	}
	tape = malloc(PATTERN_TAPE_LEN);
	payload = malloc(PATTERN_MAX_LEN);
	f = calloc(queues, sizeof(*f));
	b = calloc(queues, sizeof(*b));
	infile = calloc(queues, sizeof(*infile));
	seq = calloc(queues, sizeof(*seq));
	if (!tape || !payload || !f || !b || !infile || !seq)
		return 1;
	pattern_tape(seed, tape);
	for (q = 0; q < queues; q++) {
		struct ocf_block_opts bo = { .codec = codec,
					     .max_records = nblock,
					     .max_bytes = 64u << 20 };

		if (ocf_block_new(&bo, &b[q]))
			return 1;
	}
	for (i = 0; i < count; i++) {
		q = (unsigned int)(i % queues);
		int64_t ts = start + (int64_t)i * interval;
		unsigned int k;

		for (k = 0; k < ngaps; k++)
			if (gaps[k].q == q && seq[q] == gaps[k].seq)
				seq[q] += gaps[k].len;
		if (!f[q]) {
			struct ocf_file_opts fo = { .channel = channel,
						    .queue = q,
						    .start_ns = ts,
						    .codec = codec,
						    .schema = datum ? MD_SCHEMA : NULL,
						    .host = "recgen" };

			r = ocf_file_open(dfd, &fo, &f[q]);
			if (r) {
				fprintf(stderr, "recgen: ocf_file_open: %s\n", strerror(-r));
				return 1;
			}
			files++;
			infile[q] = 0;
		}
		uint32_t len = pattern_len(seed, (uint32_t)i, minl, maxl);
		struct ocf_envelope e = { .seq = seq[q]++,
					  .ts_ns = ts,
					  .src_addr = sa,
					  .dst_addr = da,
					  .src_len = v6 ? 16 : 4,
					  .dst_len = v6 ? 16 : 4,
					  .src_port = sport,
					  .dst_port = dport,
					  .payload_len = len };
		int hl = ocf_envelope_hdr(&e, hdr, sizeof(hdr));
		struct iovec iov[2] = { { hdr, (size_t)hl }, { payload, len } };

		pattern_fill(tape, seed, (uint32_t)i, payload, len);
		if (datum) {
			iov[0].iov_len = md_datum(hdr, (unsigned int)i);
			iov[1].iov_len = 0;
		}
		r = ocf_block_addv(b[q], iov, 2);
		if (r == -ENOSPC) {
			if (testocf_write_block(f[q], b[q]))
				return 1;
			r = ocf_block_addv(b[q], iov, 2);
		}
		if (r) {
			fprintf(stderr, "recgen: ocf_block_addv: %s\n", strerror(-r));
			return 1;
		}
		written++;
		if (per_file && ++infile[q] == per_file) {
			if (testocf_write_block(f[q], b[q]) || ocf_file_close(f[q], 0, NULL, 0) < 0)
				return 1;
			f[q] = NULL;
		}
	}
	for (q = 0; q < queues; q++) {
		if (!f[q])
			continue;
		if (ocf_block_count(b[q]) && testocf_write_block(f[q], b[q]))
			return 1;
		char name[OCF_NAME_MAX], part[OCF_NAME_MAX + 8];

		if (ocf_file_close(f[q], 0, name, sizeof(name)) < 0)
			return 1;
		/* A file still being written: the same bytes under its .part name. */
		snprintf(part, sizeof(part), "%s.part", name);
		if (leave && renameat(dfd, name, dfd, part) < 0)
			return 1;
	}
	for (q = 0; q < queues; q++)
		ocf_block_free(b[q]);
	free(b);
	free(f);
	free(infile);
	free(seq);
	free(tape);
	free(payload);
	(void)close(dfd);
	printf("{\"records\": %" PRIu64 ", \"files\": %" PRIu64 ", \"first_ts\": %" PRId64
	       ", \"last_ts\": %" PRId64 "}\n",
	       written, files, start, start + (int64_t)(count ? count - 1 : 0) * interval);
	return 0;
}
