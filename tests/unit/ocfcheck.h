/* SPDX-License-Identifier: MIT */
/*
 * The fixture the container-format tests (tests/unit/test_ocf_*.c) share: a fresh directory
 * per test, deterministic envelope records, files written through the real modules, and two
 * independent readers to check them with: Debian's python3-avro (tests/util/avro_read.py) and
 * avro-c's avro_file_reader. Test code: failures are cmocka assertions, not return values.
 */
#ifndef XRELAY_OCFCHECK_H
#define XRELAY_OCFCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "../../dataplane/ocf.h"

#define OCFCHECK_PYTHON "/usr/bin/python3"
#define START_NS 1700000000123456789LL /* 2023-11-14T22:13:20Z */
#define STAMP "20231114T221320Z"
#define HEADROOM 256

/* A fresh directory under /tmp, with an open descriptor. */
struct tdir {
	char path[64];
	int dfd;
};

/* cmocka setup and teardown: *state becomes a struct tdir, removed with all it holds. */
int ocfcheck_tdir_setup(void **state);
int ocfcheck_tdir_teardown(void **state);

/* Whether @name exists in @t (symlinks not followed). */
bool ocfcheck_exists(struct tdir *t, const char *name);

/* The path of @name in @t, into @buf of @len bytes. */
void ocfcheck_path_of(struct tdir *t, const char *name, char *buf, size_t len);

/* Create (or replace) @name in @t holding @len bytes of @p. */
void ocfcheck_file_put(struct tdir *t, const char *name, const void *p, size_t len);

/* The whole file; *len its size. Caller frees. */
uint8_t *ocfcheck_file_get(struct tdir *t, const char *name, size_t *len);

/* A splitmix64 generator: the state, and the next number. */
extern uint64_t ocfcheck_rng_state;
uint64_t ocfcheck_rnd(void);

/* One record and the receive buffer its payload is in. */
struct rec {
	struct ocf_envelope e;
	uint8_t src[16];
	uint8_t dst[16];
	uint8_t *frame;	  /* a receive buffer: headroom, fake L3/L4 headers, payload */
	uint8_t *payload; /* inside frame */
};

/*
 * Make @n records: payloads of 0..@pmax random bytes (record @jumbo, if < n, has 9000), seq
 * and ts edge values first, IPv4, IPv6 and mixed addresses. The addresses are stored both in
 * rec->src/dst and inside the frame, where an IP header would carry them, and the envelope
 * points at the frame's copy, as the dataplane's does. Free with ocfcheck_recs_free.
 */
struct rec *ocfcheck_recs_make(size_t n, uint32_t pmax, size_t jumbo, uint64_t seed);
void ocfcheck_recs_free(struct rec *r, size_t n);

enum layout {
	COPY = 1, /* header in a separate buffer, record added as two parts and copied */
	DEFLATE,  /* the same, compressed */
	SNAPPY,	  /* the same, snappy framed with its CRC32 */
};

/* What ocfcheck_write_file wrote. */
struct written {
	char name[OCF_NAME_MAX];   /* final .avro name */
	uint64_t bounds[4096];	   /* bounds[0] header end, bounds[k] end of block k */
	unsigned int counts[4096]; /* counts[k] records in block k (k >= 1) */
	unsigned int nblocks;
	uint8_t sync[OCF_SYNC_SIZE];
};

/* Add one record to @b as the dataplane does (header, payload); returns ocf_block_addv's. */
int ocfcheck_add_rec(struct ocf_block *b, struct rec *x);

/*
 * Write @n records into a new file of channel @chan in @t with @l, blocks of at most
 * @max_records records and @max_bytes bytes, and close it; with @keep_part it is then renamed
 * back to its .part name, as a writer that died before closing would have left it.
 */
void ocfcheck_write_file(struct tdir *t, const char *chan, struct rec *recs, size_t n,
			 enum layout l, unsigned int max_records, size_t max_bytes, bool keep_part,
			 struct written *w);

/*
 * Run avro_read.py on @nfiles files of @t; returns an array with one object per file:
 * {"head": <its first line>, "records": [...]}. Fails the test if the reader fails.
 */
json_t *ocfcheck_py_read(struct tdir *t, const char *const *names, size_t nfiles);

/* @n bytes of @p as lower-case hex into @out (2 * n + 1 bytes). */
void ocfcheck_hex_of(const uint8_t *p, size_t n, char *out);

/* The records of one python file object equal @recs[0..n). */
void ocfcheck_py_check_records(json_t *file, const struct rec *recs, size_t n);

/* The value of metadata @key in one python file object, or NULL. */
const char *ocfcheck_py_meta(json_t *file, const char *key);

/* Read @name of @t with avro_file_reader and compare every record with @recs[0..n). */
void ocfcheck_c_check_file(struct tdir *t, const char *name, const struct rec *recs, size_t n);

#endif /* XRELAY_OCFCHECK_H */
