// SPDX-License-Identifier: MIT
/*
 * What datum channels and codecs cost, with the real modules: the validator (lib/datum.c) on
 * market-data-like datums of tests/net/datum_tool.py's schema (ns per datum), and a block of
 * 256 records built with each codec (dataplane/ocf_block.c: copy, deflate level 1, snappy with
 * its CRC32) on those datums and on random payloads of the same sizes: ns per record to add and
 * finish, and the block's size over its records' bytes. Each figure is the median of 3 rounds.
 * Argument: datums per round (default 2,000,000). In memory only; about 10 s.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include "../../dataplane/ocf.h"
#include "mdschema.h"
#include "xrelay/datum.h"

#define NDATUM 256 /* distinct datums, and records a block */
#define ROUNDS 3

struct datum {
	uint8_t b[160];
	size_t len;
};

static struct datum md[NDATUM], rnd[NDATUM];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v)
{
	qsort(v, ROUNDS, sizeof(*v), cmp_double);
	return v[ROUNDS / 2];
}

static double bench_validator(const struct datum_prog *p, long n)
{
	double t[ROUNDS], t0;
	unsigned int why;
	long i, bad = 0;
	int r;

	for (r = 0; r < ROUNDS; r++) {
		t0 = now();
		for (i = 0; i < n; i++)
			bad += datum_check(p, md[i % NDATUM].b, md[i % NDATUM].len, &why) != 0;
		t[r] = (now() - t0) * 1e9 / (double)n;
	}
	if (bad) {
		fprintf(stderr, "bench_datum: %ld datums refused\n", bad);
		exit(1);
	}
	return median(t);
}

/* ns per record and the block's size over its records' bytes, for @codec on @set. */
static void bench_codec(enum ocf_codec codec, const struct datum *set, long n, double *ns,
			double *ratio)
{
	struct ocf_block_opts o = { .codec = codec, .max_records = NDATUM };
	uint8_t sync[OCF_SYNC_SIZE] = { 0 };
	double t[ROUNDS], t0;
	struct ocf_block *b;
	struct iovec *iov;
	long i, blocks = 0;
	size_t in = 0, out = 0;
	int r, k;

	if (ocf_block_new(&o, &b))
		exit(1);
	for (r = 0; r < ROUNDS; r++) {
		t0 = now();
		for (i = 0; i < n; i += NDATUM) {
			for (k = 0; k < NDATUM; k++)
				if (ocf_block_add(b, set[k].b, set[k].len))
					exit(1);
			if (ocf_block_finish(b, sync, &iov) != 1)
				exit(1);
			if (!r && blocks++ < 64) {
				in += ocf_block_bytes(b);
				out += ocf_block_size(b);
			}
			ocf_block_reset(b);
		}
		t[r] = (now() - t0) * 1e9 / (double)n;
	}
	ocf_block_free(b);
	*ns = median(t);
	*ratio = (double)out / (double)in;
}

int main(int argc, char **argv)
{
	static const enum ocf_codec codecs[] = { OCF_CODEC_NULL, OCF_CODEC_DEFLATE,
						 OCF_CODEC_SNAPPY };
	long n = argc > 1 ? atol(argv[1]) : 2000000;
	struct datum_prog *p;
	struct datum_error de;
	double ns, ratio, total = 0;
	unsigned int i, c;
	size_t j;

	if (n < NDATUM)
		n = NDATUM;
	srand(12);
	for (i = 0; i < NDATUM; i++) {
		md[i].len = md_datum(md[i].b, i);
		total += (double)md[i].len;
		rnd[i].len = md[i].len;
		for (j = 0; j < rnd[i].len; j++)
			rnd[i].b[j] = (uint8_t)rand();
	}
	if (datum_compile_text(MD_SCHEMA, strlen(MD_SCHEMA), &p, &de)) {
		fprintf(stderr, "bench_datum: schema refused at %s: %s\n", de.path, de.detail);
		return 1;
	}
	printf("market-data datums: %.1f bytes on average (%u distinct), %ld per round\n",
	       total / NDATUM, NDATUM, n);
	printf("validator: %.1f ns per datum\n", bench_validator(p, n));
	datum_free(p);
	printf("%-8s %-13s %14s %12s\n", "codec", "payloads", "ns per record", "size ratio");
	for (c = 0; c < 3; c++) {
		bench_codec(codecs[c], md, n / 4, &ns, &ratio);
		printf("%-8s %-13s %14.1f %12.3f\n", ocf_codec_name(codecs[c]), "market-data", ns,
		       ratio);
		bench_codec(codecs[c], rnd, n / 4, &ns, &ratio);
		printf("%-8s %-13s %14.1f %12.3f\n", ocf_codec_name(codecs[c]), "random", ns,
		       ratio);
	}
	return 0;
}
