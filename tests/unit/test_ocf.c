// SPDX-License-Identifier: MIT
/*
 * The Avro container writer (dataplane/ocf.c) checked the way a user would: files written
 * with both codecs (null blocks copied, deflate blocks compressed) are read back by two independent readers,
 * Debian's python3-avro (tests/util/avro_read.py) and avro-c's avro_file_reader, and every
 * field of every record is compared byte for byte. Also the varints against the spec's
 * vectors, the header's metadata, exclusive naming and renames that never overwrite, and
 * crash recovery of files cut at every offset of their last block and of their header, and
 * that the envelope schema (include/xrelay/avro.h) parses with avro-c to the fields we encode.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cmocka.h>
#include <avro.h>
#include <jansson.h>
#include <zlib.h>

#include "../../dataplane/ocf.h"
#include "testocf.h"
#include "xrelay/avro.h"

#define PYTHON "/usr/bin/python3"
#define START_NS 1700000000123456789LL /* 2023-11-14T22:13:20Z */
#define STAMP "20231114T221320Z"
#define HEADROOM 256

/* ---- Fixture: a fresh directory per test ------------------------------------------------ */

struct tdir {
	char path[64];
	int dfd;
};

static int tdir_setup(void **state)
{
	struct tdir *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	snprintf(t->path, sizeof(t->path), "/tmp/test_ocf.XXXXXX");
	assert_non_null(mkdtemp(t->path));
	t->dfd = open(t->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(t->dfd >= 0);
	*state = t;
	return 0;
}

static int tdir_teardown(void **state)
{
	struct tdir *t = *state;
	struct dirent *de;
	DIR *d = fdopendir(dup(t->dfd));

	if (d) {
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			if (unlinkat(t->dfd, de->d_name, 0) < 0)
				(void)unlinkat(t->dfd, de->d_name, AT_REMOVEDIR);
		}
		closedir(d);
	}
	close(t->dfd);
	rmdir(t->path);
	free(t);
	return 0;
}

static bool exists(struct tdir *t, const char *name)
{
	struct stat st;

	return !fstatat(t->dfd, name, &st, AT_SYMLINK_NOFOLLOW);
}

static void path_of(struct tdir *t, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", t->path, name);
}

static void file_put(struct tdir *t, const char *name, const void *p, size_t len)
{
	int fd = openat(t->dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, len), (ssize_t)len);
	close(fd);
}

/* The whole file; *len its size. Caller frees. */
static uint8_t *file_get(struct tdir *t, const char *name, size_t *len)
{
	int fd = openat(t->dfd, name, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *p;

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	p = malloc((size_t)st.st_size + 1);
	assert_non_null(p);
	assert_int_equal(pread(fd, p, (size_t)st.st_size, 0), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return p;
}

/* ---- Deterministic records ----------------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct rec {
	struct ocf_envelope e;
	uint8_t src[16];
	uint8_t dst[16];
	uint8_t *frame;	  /* a receive buffer: headroom, fake L3/L4 headers, payload */
	uint8_t *payload; /* inside frame */
};

static const int64_t seq_edges[] = { 0,		1,	   -1,
				     63,	64,	   -64,
				     -65,	INT32_MAX, (int64_t)INT32_MAX + 1,
				     INT64_MAX, INT64_MIN, INT64_MIN + 1 };
static const int64_t ts_edges[] = { 0,	       INT64_MAX, START_NS, -1,	  INT64_MIN, 1,
				    1LL << 62, 127,	  128,	    8191, 8192 };
static const uint16_t port_edges[] = { 0, 65535, 1, 32768, 63, 64, 8191, 8192 };

/*
 * Make @n records: payloads of 0..@pmax random bytes (record @jumbo, if < n, has 9000), seq
 * and ts edge values first, IPv4, IPv6 and mixed addresses. The addresses are stored both in
 * rec->src/dst and inside the frame, where an IP header would carry them, and the envelope
 * points at the frame's copy, as the dataplane's does.
 */
static struct rec *recs_make(size_t n, uint32_t pmax, size_t jumbo, uint64_t seed)
{
	struct rec *r = calloc(n, sizeof(*r));
	size_t i, j;

	assert_non_null(r);
	rng_state = seed;
	for (i = 0; i < n; i++) {
		struct rec *x = &r[i];
		uint32_t plen = i == jumbo ? 9000 : (uint32_t)(rnd() % (pmax + 1));
		size_t fsize = HEADROOM + 64 + plen;
		uint8_t *l3;

		if (fsize < 2048)
			fsize = 2048;
		x->frame = malloc(fsize);
		assert_non_null(x->frame);
		memset(x->frame, 0xee, fsize);
		x->payload = x->frame + HEADROOM + 64;
		for (j = 0; j < plen; j++)
			x->payload[j] = (uint8_t)rnd();
		x->e.seq = i < sizeof(seq_edges) / sizeof(seq_edges[0])
				   ? seq_edges[i]
				   : (int64_t)i + (i % 7 == 0 ? (1LL << 40) : 0);
		x->e.ts_ns = i < sizeof(ts_edges) / sizeof(ts_edges[0])
				     ? ts_edges[i]
				     : START_NS + (int64_t)(rnd() % 1000000000000ull);
		x->e.src_port = i < 8 ? port_edges[i] : (uint16_t)rnd();
		x->e.dst_port = i < 8 ? port_edges[7 - i] : (uint16_t)rnd();
		x->e.src_len = i % 3 == 1 ? 16 : 4;
		x->e.dst_len = i % 3 == 0 ? 4 : 16;
		for (j = 0; j < 16; j++) {
			x->src[j] = (uint8_t)rnd();
			x->dst[j] = (uint8_t)rnd();
		}
		/* Fake IP header ending where UDP begins, 8 bytes before the payload. */
		l3 = x->payload - 8 - 40;
		memcpy(l3 + 8, x->src, x->e.src_len);
		memcpy(l3 + 24, x->dst, x->e.dst_len);
		x->e.src_addr = l3 + 8;
		x->e.dst_addr = l3 + 24;
		x->e.payload_len = plen;
	}
	return r;
}

static void recs_free(struct rec *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(r[i].frame);
	free(r);
}

/* ---- Writing files -------------------------------------------------------------------------- */

enum layout {
	COPY = 1, /* header in a separate buffer, record added as two parts and copied */
	DEFLATE,  /* the same, compressed */
};

struct written {
	char name[OCF_NAME_MAX];   /* final .avro name */
	uint64_t bounds[4096];	   /* bounds[0] header end, bounds[k] end of block k */
	unsigned int counts[4096]; /* counts[k] records in block k (k >= 1) */
	unsigned int nblocks;
	uint8_t sync[OCF_SYNC_SIZE];
};

static void flush_block(struct ocf_file *f, struct ocf_block *b, struct written *w)
{
	unsigned int c = ocf_block_count(b);

	assert_int_equal(testocf_write_block(f, b), 0);
	assert_int_equal(ocf_block_count(b), 0);
	w->nblocks++;
	assert_true(w->nblocks < 4096);
	w->bounds[w->nblocks] = ocf_file_size(f);
	w->counts[w->nblocks] = c;
}

/* Put the addresses back where the frame's IP header has them, as in a fresh packet. */
static void frame_refresh(struct rec *x)
{
	memcpy((uint8_t *)(uintptr_t)x->e.src_addr, x->src, x->e.src_len);
	memcpy((uint8_t *)(uintptr_t)x->e.dst_addr, x->dst, x->e.dst_len);
}

/* Add one record to @b as the dataplane does (header, payload); returns ocf_block_addv's. */
static int add_rec(struct ocf_block *b, struct rec *x)
{
	uint8_t hdr[XRELAY_PACKET_HDR_MAX];
	struct iovec parts[2];
	int n, r;

	frame_refresh(x);
	n = ocf_envelope_hdr(&x->e, hdr, sizeof(hdr));
	assert_true(n > 0);
	parts[0] = (struct iovec){ hdr, (size_t)n };
	parts[1] = (struct iovec){ x->payload, x->e.payload_len };
	r = ocf_block_addv(b, parts, 2);
	/* Copy and deflate take the bytes at once: scribbling over them changes nothing. */
	memset(hdr, 0xa5, sizeof(hdr));
	return r;
}

/*
 * Write @n records into a new file of channel @chan in @t with @l, blocks of at most
 * @max_records records and @max_bytes bytes, and close it; with @keep_part it is then renamed
 * back to its .part name, as a writer that died before closing would have left it.
 */
static void write_file(struct tdir *t, const char *chan, struct rec *recs, size_t n, enum layout l,
		       unsigned int max_records, size_t max_bytes, bool keep_part,
		       struct written *w)
{
	struct ocf_file_opts fo = {
		.channel = chan,
		.queue = 3,
		.start_ns = START_NS,
		.codec = l == DEFLATE ? OCF_CODEC_DEFLATE : OCF_CODEC_NULL,
		.host = "testhost",
	};
	struct ocf_block_opts bo = {
		.codec = fo.codec,
		.max_records = max_records,
		.max_bytes = max_bytes,
	};
	struct ocf_block *b;
	struct ocf_file *f;
	size_t i;
	int r;

	memset(w, 0, sizeof(*w));
	assert_int_equal(ocf_file_open(t->dfd, &fo, &f), 0);
	assert_int_equal(ocf_block_new(&bo, &b), 0);
	memcpy(w->sync, ocf_file_sync(f), OCF_SYNC_SIZE);
	w->bounds[0] = ocf_file_size(f);
	for (i = 0; i < n; i++) {
		/* A full block refuses the record and is written; the record goes to the next. */
		r = add_rec(b, &recs[i]);
		if (r == -ENOSPC) {
			flush_block(f, b, w);
			r = add_rec(b, &recs[i]);
		}
		assert_int_equal(r, 0);
	}
	if (ocf_block_count(b))
		flush_block(f, b, w);
	ocf_block_free(b);
	assert_int_equal(ocf_file_records(f), n);
	assert_int_equal(ocf_file_close(f, OCF_F_FSYNC, w->name, sizeof(w->name)), 0);
	if (keep_part) {
		/* Back to the name a writer that died before closing would have left. */
		char part[OCF_NAME_MAX + 8];

		snprintf(part, sizeof(part), "%s.part", w->name);
		assert_int_equal(renameat(t->dfd, w->name, t->dfd, part), 0);
		assert_true(strlen(part) < sizeof(w->name));
		memcpy(w->name, part, strlen(part) + 1);
	}
}

/* ---- Reader 1: python3-avro through tests/util/avro_read.py ------------------------------- */

/* tests/util/avro_read.py, found from the working directory or from the test binary up. */
static const char *script_path(void)
{
	static char path[PATH_MAX];
	char dir[PATH_MAX - 32], *slash;
	ssize_t n;

	if (path[0])
		return path;
	if (realpath("tests/util/avro_read.py", path))
		return path;
	n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	assert_true(n > 0);
	dir[n] = '\0';
	while ((slash = strrchr(dir, '/'))) {
		*slash = '\0';
		snprintf(path, sizeof(path), "%s/tests/util/avro_read.py", dir);
		if (!access(path, R_OK))
			return path;
	}
	path[0] = '\0';
	fail_msg("tests/util/avro_read.py not found from the working directory or the binary");
	return NULL;
}

/*
 * Run avro_read.py on @nfiles files of @t; returns an array with one object per file:
 * {"head": <its first line>, "records": [...]}. Fails the test if the reader fails.
 */
static json_t *py_read(struct tdir *t, const char *const *names, size_t nfiles)
{
	size_t cmdlen = 2 * PATH_MAX + nfiles * (OCF_NAME_MAX + 4), len = 0, i;
	char *cmd = malloc(cmdlen), *line = NULL;
	json_t *files = json_array(), *cur = NULL;
	json_error_t jerr;
	ssize_t got;
	FILE *p;
	int st;

	assert_non_null(cmd);
	/* From inside the directory, so a long list of names stays short. */
	snprintf(cmd, cmdlen, "cd '%s' && %s '%s'", t->path, PYTHON, script_path());
	for (i = 0; i < nfiles; i++) {
		size_t l = strlen(cmd);

		snprintf(cmd + l, cmdlen - l, " '%s'", names[i]);
	}
	p = popen(cmd, "r");
	assert_non_null(p);
	while ((got = getline(&line, &len, p)) > 0) {
		json_t *o = json_loads(line, 0, &jerr);

		if (!o)
			fail_msg("avro_read.py printed a line that is not JSON: %s", jerr.text);
		if (json_object_get(o, "file") && json_object_get(o, "meta")) {
			cur = json_pack("{s:o,s:o}", "head", o, "records", json_array());
			json_array_append_new(files, cur);
		} else {
			assert_non_null(cur);
			json_array_append_new(json_object_get(cur, "records"), o);
		}
	}
	free(line);
	st = pclose(p);
	if (st != 0)
		fail_msg("%s exited with status %d", cmd, st);
	assert_int_equal(json_array_size(files), nfiles);
	free(cmd);
	return files;
}

static void hex_of(const uint8_t *p, size_t n, char *out)
{
	static const char h[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = h[p[i] >> 4];
		out[2 * i + 1] = h[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static void expect_hex(json_t *o, const char *field, const uint8_t *p, size_t n, size_t idx)
{
	const char *got = json_string_value(json_object_get(o, field));
	char *want = malloc(2 * n + 1);

	assert_non_null(want);
	hex_of(p, n, want);
	if (!got || strcmp(got, want))
		fail_msg("python record %zu: %s is %.80s, want %.80s", idx, field, got ? got : "?",
			 want);
	free(want);
}

static void expect_int(json_t *o, const char *field, int64_t want, size_t idx)
{
	json_t *v = json_object_get(o, field);

	if (!json_is_integer(v) || (int64_t)json_integer_value(v) != want)
		fail_msg("python record %zu: %s is %lld, want %lld", idx, field,
			 v ? (long long)json_integer_value(v) : -1LL, (long long)want);
}

/* The records of one python file object equal @recs[0..n). */
static void py_check_records(json_t *file, const struct rec *recs, size_t n)
{
	json_t *records = json_object_get(file, "records");
	size_t i;

	assert_int_equal(json_array_size(records), n);
	for (i = 0; i < n; i++) {
		json_t *o = json_array_get(records, i);
		const struct rec *x = &recs[i];

		assert_int_equal(json_object_size(o), XRELAY_PACKET_NFIELDS);
		expect_int(o, "seq", x->e.seq, i);
		expect_int(o, "ts_ns", x->e.ts_ns, i);
		expect_hex(o, "src_addr", x->src, x->e.src_len, i);
		expect_int(o, "src_port", x->e.src_port, i);
		expect_hex(o, "dst_addr", x->dst, x->e.dst_len, i);
		expect_int(o, "dst_port", x->e.dst_port, i);
		expect_hex(o, "payload", x->payload, x->e.payload_len, i);
	}
}

static const char *py_meta(json_t *file, const char *key)
{
	return json_string_value(
		json_object_get(json_object_get(json_object_get(file, "head"), "meta"), key));
}

/* ---- Reader 2: avro-c ----------------------------------------------------------------------- */

static void c_check_bytes(avro_value_t *rec, size_t field, const uint8_t *want, size_t n, size_t i)
{
	avro_value_t v;
	const void *p;
	size_t len;

	assert_int_equal(avro_value_get_by_index(rec, field, &v, NULL), 0);
	assert_int_equal(avro_value_get_bytes(&v, &p, &len), 0);
	if (len != n || (n && memcmp(p, want, n)))
		fail_msg("avro-c record %zu field %zu: %zu bytes differ from the %zu written", i,
			 field, len, n);
}

static int64_t c_long(avro_value_t *rec, size_t field)
{
	avro_value_t v;
	int64_t x;

	assert_int_equal(avro_value_get_by_index(rec, field, &v, NULL), 0);
	assert_int_equal(avro_value_get_long(&v, &x), 0);
	return x;
}

static int32_t c_int(avro_value_t *rec, size_t field)
{
	avro_value_t v;
	int32_t x;

	assert_int_equal(avro_value_get_by_index(rec, field, &v, NULL), 0);
	assert_int_equal(avro_value_get_int(&v, &x), 0);
	return x;
}

/* Read @name of @t with avro_file_reader and compare every record with @recs[0..n). */
static void c_check_file(struct tdir *t, const char *name, const struct rec *recs, size_t n)
{
	avro_file_reader_t r;
	avro_value_iface_t *iface;
	avro_schema_t ws;
	avro_value_t rec;
	char path[PATH_MAX];
	size_t i = 0;

	path_of(t, name, path, sizeof(path));
	if (avro_file_reader(path, &r))
		fail_msg("avro_file_reader(%s): %s", path, avro_strerror());
	ws = avro_file_reader_get_writer_schema(r);
	assert_true(is_avro_record(ws));
	assert_string_equal(avro_schema_name(ws), "Packet");
	assert_string_equal(avro_schema_namespace(ws), "xrelay");
	iface = avro_generic_class_from_schema(ws);
	assert_non_null(iface);
	assert_int_equal(avro_generic_value_new(iface, &rec), 0);
	while (i < n + 1 && avro_file_reader_read_value(r, &rec) == 0) {
		const struct rec *x = &recs[i];

		assert_true(i < n);
		assert_int_equal(c_long(&rec, 0), x->e.seq);
		assert_int_equal(c_long(&rec, 1), x->e.ts_ns);
		c_check_bytes(&rec, 2, x->src, x->e.src_len, i);
		assert_int_equal(c_int(&rec, 3), x->e.src_port);
		c_check_bytes(&rec, 4, x->dst, x->e.dst_len, i);
		assert_int_equal(c_int(&rec, 5), x->e.dst_port);
		c_check_bytes(&rec, 6, x->payload, x->e.payload_len, i);
		i++;
	}
	if (i != n)
		fail_msg("avro-c read %zu records of %s, want %zu", i, name, n);
	avro_value_decref(&rec);
	avro_value_iface_decref(iface);
	avro_schema_decref(ws); /* libavro 1.11 hands out a reference */
	avro_file_reader_close(r);
}

/* ---- Varints -------------------------------------------------------------------------------- */

static void test_varint_vectors(void **state)
{
	/* The Avro specification's table ("Binary Encoding") and the type limits. */
	static const struct {
		int64_t v;
		uint8_t len;
		uint8_t b[10];
	} vec[] = {
		{ 0, 1, { 0x00 } },
		{ -1, 1, { 0x01 } },
		{ 1, 1, { 0x02 } },
		{ -2, 1, { 0x03 } },
		{ 2, 1, { 0x04 } },
		{ -64, 1, { 0x7f } },
		{ 64, 2, { 0x80, 0x01 } },
		{ -65, 2, { 0x81, 0x01 } },
		{ 8191, 2, { 0xfe, 0x7f } },
		{ 8192, 3, { 0x80, 0x80, 0x01 } },
		{ INT32_MAX, 5, { 0xfe, 0xff, 0xff, 0xff, 0x0f } },
		{ INT32_MIN, 5, { 0xff, 0xff, 0xff, 0xff, 0x0f } },
		{ INT64_MAX, 10, { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 } },
		{ INT64_MIN, 10, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 } },
	};
	uint8_t buf[16];
	size_t i;
	int64_t v;
	int32_t v32;

	(void)state;
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		memset(buf, 0xcc, sizeof(buf));
		assert_int_equal(ocf_varint_put_long(buf, sizeof(buf), vec[i].v), vec[i].len);
		assert_memory_equal(buf, vec[i].b, vec[i].len);
		assert_int_equal(buf[vec[i].len], 0xcc);
		assert_int_equal(ocf_varint_long_size(vec[i].v), vec[i].len);
		assert_int_equal(ocf_varint_get_long(buf, vec[i].len, &v), vec[i].len);
		assert_int_equal(v, vec[i].v);
		if (vec[i].v >= INT32_MIN && vec[i].v <= INT32_MAX) {
			memset(buf, 0xcc, sizeof(buf));
			assert_int_equal(ocf_varint_put_int(buf, sizeof(buf), (int32_t)vec[i].v),
					 vec[i].len);
			assert_memory_equal(buf, vec[i].b, vec[i].len);
			assert_int_equal(ocf_varint_get_int(buf, vec[i].len, &v32), vec[i].len);
			assert_int_equal(v32, vec[i].v);
		}
	}
}

static void test_varint_bounds(void **state)
{
	static const uint8_t overlong[11] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
					      0x80, 0x80, 0x80, 0x80, 0x00 };
	static const uint8_t overflow[10] = { 0xff, 0xff, 0xff, 0xff, 0xff,
					      0xff, 0xff, 0xff, 0xff, 0x03 };
	static const uint8_t int_overflow[5] = { 0xff, 0xff, 0xff, 0xff, 0x1f };
	uint8_t buf[OCF_LONG_MAX_BYTES + 1];
	int64_t v, w;
	int32_t v32;
	unsigned int k;
	int i, n;

	(void)state;
	/* Too little room: -ENOSPC and not a byte written. */
	memset(buf, 0xcc, sizeof(buf));
	assert_int_equal(ocf_varint_put_long(buf, 1, 64), -ENOSPC);
	assert_int_equal(ocf_varint_put_long(buf, 9, INT64_MIN), -ENOSPC);
	assert_int_equal(ocf_varint_put_int(buf, 4, INT32_MIN), -ENOSPC);
	assert_int_equal(ocf_varint_put_long(buf, 0, 0), -ENOSPC);
	for (k = 0; k < sizeof(buf); k++)
		assert_int_equal(buf[k], 0xcc);
	/* Every length boundary, both signs: size, round trip, truncation. */
	for (k = 0; k < 64; k++) {
		int64_t vals[4] = { (int64_t)((1ull << k) - 1), -(int64_t)((1ull << k) - 1) - 1,
				    k < 63 ? (int64_t)(1ull << k) : INT64_MAX,
				    k < 63 ? -(int64_t)(1ull << k) : INT64_MIN };

		for (i = 0; i < 4; i++) {
			n = ocf_varint_put_long(buf, sizeof(buf), vals[i]);
			assert_true(n >= 1 && n <= OCF_LONG_MAX_BYTES);
			assert_int_equal(n, ocf_varint_long_size(vals[i]));
			assert_int_equal(ocf_varint_get_long(buf, (size_t)n, &v), n);
			assert_int_equal(v, vals[i]);
			w = 12345;
			assert_int_equal(ocf_varint_get_long(buf, (size_t)n - 1, &w), -ENODATA);
			assert_int_equal(w, 12345);
		}
	}
	rng_state = 7;
	for (k = 0; k < 100000; k++) {
		v = (int64_t)rnd() >> (rnd() % 64);
		n = ocf_varint_put_long(buf, sizeof(buf), v);
		assert_int_equal(ocf_varint_get_long(buf, sizeof(buf), &w), n);
		assert_int_equal(w, v);
	}
	assert_int_equal(ocf_varint_get_long(overlong, sizeof(overlong), &v), -EBADMSG);
	assert_int_equal(ocf_varint_get_long(overflow, sizeof(overflow), &v), -EBADMSG);
	assert_int_equal(ocf_varint_get_int(int_overflow, sizeof(int_overflow), &v32), -EBADMSG);
	assert_int_equal(ocf_varint_get_long(overflow, 0, &v), -ENODATA);
}

/* ---- Envelope record headers ------------------------------------------------------------------ */

static void test_envelope_hdr(void **state)
{
	static const uint8_t v4[4] = { 10, 0, 0, 1 };
	static const uint8_t v6[16] = { 0xff, 0x02, [15] = 0x01 };
	static const uint8_t want[] = { 0x02,			/* seq 1 */
					0x04,			/* ts_ns 2 */
					0x08, 10,   0,	  0, 1, /* src_addr, 4 bytes */
					0xa4, 0x13,		/* src_port 1234 */
					0x20, 0xff, 0x02, 0, 0, 0, 0, 0,    0,
					0,    0,    0,	  0, 0, 0, 0, 0x01, /* dst_addr, 16 */
					0x90, 0x4e,			    /* dst_port 5000 */
					0x06 };				    /* payload 3 bytes */
	struct ocf_envelope e = {
		.seq = 1,
		.ts_ns = 2,
		.src_addr = v4,
		.src_len = 4,
		.src_port = 1234,
		.dst_addr = v6,
		.dst_len = 16,
		.dst_port = 5000,
		.payload_len = 3,
	};
	uint8_t buf[128];
	int n, i;

	(void)state;
	memset(buf, 0xcc, sizeof(buf));
	assert_int_equal(ocf_envelope_hdr(&e, buf, sizeof(buf)), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(buf[sizeof(want)], 0xcc);
	assert_int_equal(ocf_envelope_hdr(&e, buf, sizeof(want) - 1), -ENOSPC);

	/* The worst case is exactly XRELAY_PACKET_HDR_MAX. */
	e.seq = INT64_MIN;
	e.ts_ns = INT64_MIN;
	e.src_addr = e.dst_addr = v6;
	e.src_len = e.dst_len = 16;
	e.src_port = e.dst_port = 65535;
	e.payload_len = XRELAY_PACKET_PAYLOAD_MAX;
	assert_int_equal(ocf_envelope_hdr(&e, buf, sizeof(buf)), XRELAY_PACKET_HDR_MAX);

	/* Refused: address lengths other than 4 and 16, payloads too long. */
	for (i = 0; i <= 17; i++) {
		e.src_len = (uint8_t)i;
		n = ocf_envelope_hdr(&e, buf, sizeof(buf));
		if (i == 4 || i == 16)
			assert_true(n > 0);
		else
			assert_int_equal(n, -EINVAL);
	}
	e.src_len = 4;
	e.dst_len = 5;
	assert_int_equal(ocf_envelope_hdr(&e, buf, sizeof(buf)), -EINVAL);
	e.dst_len = 4;
	e.payload_len = XRELAY_PACKET_PAYLOAD_MAX + 1;
	assert_int_equal(ocf_envelope_hdr(&e, buf, sizeof(buf)), -EINVAL);
}

/* ---- Header --------------------------------------------------------------------------------- */

static void test_header(void **state)
{
	struct tdir *t = *state;
	static const uint8_t bin[] = { 0xff, 0x00 };
	const struct ocf_meta extra[] = {
		{ "xrelay.format", "envelope", 8 },
		{ "bin", bin, sizeof(bin) },
		{ "empty", NULL, 0 },
	};
	struct ocf_header_opts h = {
		.codec = OCF_CODEC_DEFLATE,
		.channel = "md-feed_A",
		.queue = 7,
		.host = "hostA",
		.extra = extra,
		.nextra = 3,
	};
	struct ocf_file_opts fo = {
		.channel = "md-feed_A",
		.queue = 7,
		.start_ns = START_NS,
		.codec = OCF_CODEC_DEFLATE,
		.host = "hostA",
		.extra = extra,
		.nextra = 3,
	};
	struct ocf_meta bad[2];
	uint8_t *buf, sync[OCF_SYNC_SIZE];
	char name[OCF_NAME_MAX], synchex[2 * OCF_SYNC_SIZE + 1], queue[4];
	const char *names[1] = { name };
	struct ocf_file *f;
	json_t *files, *head;
	int n, i;

	/* Built in memory: magic first, sync marker last, size as announced. */
	for (i = 0; i < OCF_SYNC_SIZE; i++)
		h.sync[i] = (uint8_t)(0xa0 + i);
	n = ocf_header_size(&h);
	assert_true(n > (int)strlen(XRELAY_PACKET_SCHEMA));
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(ocf_header(&h, buf, (size_t)n - 1), -ENOSPC);
	assert_int_equal(ocf_header(&h, buf, (size_t)n), n);
	assert_memory_equal(buf, "Obj\x01", 4);
	assert_memory_equal(buf + n - OCF_SYNC_SIZE, h.sync, OCF_SYNC_SIZE);
	assert_int_equal(buf[n - OCF_SYNC_SIZE - 1], 0); /* the map's closing zero count */
	free(buf);

	/* Refused: bad channel or codec, reserved or duplicate keys. */
	h.channel = "a/b";
	assert_int_equal(ocf_header_size(&h), -EINVAL);
	h.channel = "ok";
	h.codec = (enum ocf_codec)7;
	assert_int_equal(ocf_header_size(&h), -EINVAL);
	h.codec = OCF_CODEC_NULL;
	h.extra = bad;
	h.nextra = 1;
	bad[0] = (struct ocf_meta){ "avro.foo", "x", 1 };
	assert_int_equal(ocf_header_size(&h), -EINVAL);
	bad[0] = (struct ocf_meta){ XRELAY_META_CHANNEL, "x", 1 };
	assert_int_equal(ocf_header_size(&h), -EINVAL);
	bad[0] = (struct ocf_meta){ "k", "x", 1 };
	bad[1] = (struct ocf_meta){ "k", "y", 1 };
	h.nextra = 2;
	assert_int_equal(ocf_header_size(&h), -EINVAL);
	bad[1] = (struct ocf_meta){ "", "y", 1 };
	assert_int_equal(ocf_header_size(&h), -EINVAL);
	bad[1] = (struct ocf_meta){ "k2", NULL, 1 };
	assert_int_equal(ocf_header_size(&h), -EINVAL);

	/* A file holding only its header: python3-avro shows every key and zero records. */
	assert_int_equal(ocf_file_open(t->dfd, &fo, &f), 0);
	memcpy(sync, ocf_file_sync(f), OCF_SYNC_SIZE);
	assert_int_equal(ocf_file_close(f, 0, name, sizeof(name)), 0);
	assert_string_equal(name, "md-feed_A-q7-" STAMP "-1.avro");
	files = py_read(t, names, 1);
	head = json_object_get(json_array_get(files, 0), "head");
	assert_int_equal(json_array_size(json_object_get(json_array_get(files, 0), "records")), 0);
	assert_string_equal(json_string_value(json_object_get(head, "codec")), "deflate");
	hex_of(sync, OCF_SYNC_SIZE, synchex);
	assert_string_equal(json_string_value(json_object_get(head, "sync")), synchex);
	assert_string_equal(py_meta(json_array_get(files, 0), "avro.schema"), XRELAY_PACKET_SCHEMA);
	assert_string_equal(py_meta(json_array_get(files, 0), "avro.codec"), "deflate");
	assert_string_equal(py_meta(json_array_get(files, 0), XRELAY_META_CHANNEL), "md-feed_A");
	snprintf(queue, sizeof(queue), "%d", 7);
	assert_string_equal(py_meta(json_array_get(files, 0), XRELAY_META_QUEUE), queue);
	assert_string_equal(py_meta(json_array_get(files, 0), XRELAY_META_HOST), "hostA");
	assert_string_equal(py_meta(json_array_get(files, 0), XRELAY_META_WRITER),
			    XRELAY_WRITER_VERSION);
	assert_string_equal(py_meta(json_array_get(files, 0), "xrelay.format"), "envelope");
	assert_string_equal(py_meta(json_array_get(files, 0), "bin"), "hex:ff00");
	assert_string_equal(py_meta(json_array_get(files, 0), "empty"), "");
	assert_int_equal(json_object_size(json_object_get(head, "meta")), 9);
	json_decref(files);
}

/* ---- Blocks --------------------------------------------------------------------------------- */

static void test_block_limits(void **state)
{
	struct ocf_block_opts o = { .max_records = 3, .max_bytes = 100, .max_record = 200 };
	uint8_t rec[300], sync[OCF_SYNC_SIZE];
	struct iovec *iov, parts[16];
	struct ocf_block *b;
	int i;

	(void)state;
	memset(rec, 0x11, sizeof(rec));
	memset(sync, 0x5a, sizeof(sync));
	assert_int_equal(ocf_block_new(&o, &b), 0);
	assert_int_equal(ocf_block_finish(b, sync, &iov), -ENODATA);
	assert_int_equal(ocf_block_add(b, rec, 201), -EMSGSIZE);
	assert_int_equal(ocf_block_addv(b, parts, 0), -EINVAL);
	/* By count. */
	for (i = 0; i < 3; i++)
		assert_int_equal(ocf_block_add(b, rec, 10), 0);
	assert_true(ocf_block_full(b));
	assert_int_equal(ocf_block_add(b, rec, 1), -ENOSPC);
	assert_int_equal(ocf_block_count(b), 3);
	assert_int_equal(ocf_block_bytes(b), 30);
	assert_int_equal(ocf_block_finish(b, sync, &iov), 1);
	assert_int_equal(ocf_block_add(b, rec, 1), -EBUSY);
	assert_int_equal(ocf_block_finish(b, sync, &iov), -EALREADY);
	ocf_block_reset(b);
	assert_int_equal(ocf_block_count(b), 0);
	assert_int_equal(ocf_block_size(b), 0);
	/* By bytes: 60 + 50 > 100 refused, 60 + 40 taken. */
	assert_int_equal(ocf_block_add(b, rec, 60), 0);
	assert_int_equal(ocf_block_add(b, rec, 50), -ENOSPC);
	assert_false(ocf_block_full(b));
	assert_int_equal(ocf_block_add(b, rec, 40), 0);
	assert_true(ocf_block_full(b));
	ocf_block_reset(b);
	/* A record longer than max_bytes is taken alone, never refused by every block. */
	assert_int_equal(ocf_block_add(b, rec, 150), 0);
	assert_true(ocf_block_full(b));
	assert_int_equal(ocf_block_add(b, rec, 1), -ENOSPC);
	assert_int_equal(ocf_block_add(b, rec, 0), -ENOSPC);
	ocf_block_reset(b);
	/* Empty records are records. */
	assert_int_equal(ocf_block_add(b, rec, 0), 0);
	assert_int_equal(ocf_block_count(b), 1);
	assert_int_equal(ocf_block_finish(b, sync, &iov), 1);
	assert_int_equal(ocf_block_size(b), 2 + OCF_SYNC_SIZE);
	ocf_block_free(b);

	/* Options refused. */
	o = (struct ocf_block_opts){ .max_records = OCF_BLOCK_RECORDS_MAX + 1 };
	assert_int_equal(ocf_block_new(&o, &b), -EINVAL);
	o = (struct ocf_block_opts){ .codec = (enum ocf_codec)5 };
	assert_int_equal(ocf_block_new(&o, &b), -EINVAL);
	o = (struct ocf_block_opts){ .deflate_level = 10, .codec = OCF_CODEC_DEFLATE };
	assert_int_equal(ocf_block_new(&o, &b), -EINVAL);
	ocf_block_free(NULL);
}

/* Decode a block prefix from @p; returns its length. */
static int prefix_get(const uint8_t *p, size_t len, int64_t *count, int64_t *size)
{
	int n1 = ocf_varint_get_long(p, len, count), n2;

	assert_true(n1 > 0);
	n2 = ocf_varint_get_long(p + n1, len - (size_t)n1, size);
	assert_true(n2 > 0);
	return n1 + n2;
}

static void test_block_layouts(void **state)
{
	struct ocf_block_opts o = { .max_records = 16 };
	uint8_t recs[3][500], sync[OCF_SYNC_SIZE], *flat, out[2000], pre[OCF_BLOCK_PREFIX_MAX];
	size_t lens[3] = { 500, 0, 77 }, total = 577, off;
	struct iovec *iov;
	struct ocf_block *b;
	int64_t count, size;
	int i, n, plen;
	z_stream z;

	(void)state;
	rng_state = 3;
	for (i = 0; i < 3; i++)
		for (n = 0; n < 500; n++)
			recs[i][n] = (uint8_t)(rnd() % 4); /* compressible */
	for (i = 0; i < OCF_SYNC_SIZE; i++)
		sync[i] = (uint8_t)i;
	flat = malloc(total);
	assert_non_null(flat);
	memcpy(flat, recs[0], 500);
	memcpy(flat + 500, recs[2], 77);

	/* Prefixes: [count][size] as two longs. */
	assert_int_equal(ocf_block_prefix(out, 1, 3, 577), -ENOSPC);
	assert_int_equal(ocf_block_prefix(out, sizeof(out), 0, 5), -EINVAL);
	assert_int_equal(ocf_block_prefix(out, sizeof(out), 1, -1), -EINVAL);
	n = ocf_block_prefix(pre, sizeof(pre), 3, 577);
	plen = prefix_get(pre, (size_t)n, &count, &size);
	assert_int_equal(plen, n);
	assert_int_equal(count, 3);
	assert_int_equal(size, 577);
	/* Advancing after a short write, over [prefix, record, record, sync]. */
	{
		struct iovec arr[4] = { { pre, (size_t)plen },
					{ recs[0], 500 },
					{ recs[2], 77 },
					{ sync, OCF_SYNC_SIZE } };
		struct iovec *it = arr;
		int cnt = 4;

		ocf_iov_advance(&it, &cnt, (size_t)plen + 10);
		assert_int_equal(cnt, 3);
		assert_ptr_equal(it->iov_base, recs[0] + 10);
		assert_int_equal(it->iov_len, 490);
		ocf_iov_advance(&it, &cnt, 490 + 77);
		assert_int_equal(cnt, 1);
		assert_int_equal(it->iov_len, OCF_SYNC_SIZE);
		ocf_iov_advance(&it, &cnt, OCF_SYNC_SIZE);
		assert_int_equal(cnt, 0);
	}

	/* Copy: one iovec, the records copied (the caller may reuse them at once). */
	assert_int_equal(ocf_block_new(&o, &b), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(ocf_block_add(b, recs[i], lens[i]), 0);
	recs[0][0] ^= 0xff;
	assert_int_equal(ocf_block_finish(b, sync, &iov), 1);
	recs[0][0] ^= 0xff;
	plen = prefix_get(iov[0].iov_base, iov[0].iov_len, &count, &size);
	assert_int_equal(count, 3);
	assert_int_equal(size, 577);
	assert_int_equal(iov[0].iov_len, (size_t)plen + 577 + OCF_SYNC_SIZE);
	assert_memory_equal((uint8_t *)iov[0].iov_base + plen, flat, 577);
	assert_memory_equal((uint8_t *)iov[0].iov_base + plen + 577, sync, OCF_SYNC_SIZE);
	ocf_block_free(b);

	/* Deflate: [count][compressed size][raw DEFLATE of the records][sync], one iovec. */
	o.codec = OCF_CODEC_DEFLATE;
	assert_int_equal(ocf_block_new(&o, &b), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(ocf_block_add(b, recs[i], lens[i]), 0);
	memset(recs, 0, sizeof(recs)); /* compressed at add: the source may be reused */
	assert_int_equal(ocf_block_finish(b, sync, &iov), 1);
	plen = prefix_get(iov[0].iov_base, iov[0].iov_len, &count, &size);
	assert_int_equal(count, 3);
	assert_true(size > 0 && size < 577);
	off = (size_t)plen + (size_t)size;
	assert_int_equal(iov[0].iov_len, off + OCF_SYNC_SIZE);
	assert_memory_equal((uint8_t *)iov[0].iov_base + off, sync, OCF_SYNC_SIZE);
	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, -15), Z_OK);
	z.next_in = (uint8_t *)iov[0].iov_base + plen;
	z.avail_in = (uInt)size;
	z.next_out = out;
	z.avail_out = sizeof(out);
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.total_out, 577);
	assert_int_equal(z.avail_in, 0);
	assert_memory_equal(out, flat, 577);
	inflateEnd(&z);
	/* Reused after reset: the second block is a fresh stream. */
	ocf_block_reset(b);
	assert_int_equal(ocf_block_add(b, flat, 577), 0);
	assert_int_equal(ocf_block_finish(b, sync, &iov), 1);
	plen = prefix_get(iov[0].iov_base, iov[0].iov_len, &count, &size);
	assert_int_equal(count, 1);
	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, -15), Z_OK);
	z.next_in = (uint8_t *)iov[0].iov_base + plen;
	z.avail_in = (uInt)size;
	z.next_out = out;
	z.avail_out = sizeof(out);
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.total_out, 577);
	assert_memory_equal(out, flat, 577);
	inflateEnd(&z);
	ocf_block_free(b);
	free(flat);
}

/* ---- Round trips through both readers ----------------------------------------------------- */

#define NRECS 3000

static void roundtrip(struct tdir *t, enum layout l)
{
	struct rec *recs = recs_make(NRECS, 1472, 1234, 42 + l);
	struct written *w = calloc(1, sizeof(*w));
	const char *names[1];
	json_t *files, *blocks;
	unsigned int k, sum = 0;

	assert_non_null(w);
	write_file(t, "rt", recs, NRECS, l, 200, 128 * 1024, false, w);
	assert_string_equal(w->name, "rt-q3-" STAMP "-1.avro");
	assert_true(w->nblocks >= 10);
	assert_false(exists(t, "rt-q3-" STAMP "-1.avro.part"));

	names[0] = w->name;
	files = py_read(t, names, 1);
	assert_string_equal(py_meta(json_array_get(files, 0), "avro.codec"),
			    l == DEFLATE ? "deflate" : "null");
	assert_string_equal(py_meta(json_array_get(files, 0), XRELAY_META_QUEUE), "3");
	/* The reader's block walk sees the blocks we wrote. */
	blocks = json_object_get(json_object_get(json_array_get(files, 0), "head"), "blocks");
	assert_int_equal(json_array_size(blocks), w->nblocks);
	for (k = 1; k <= w->nblocks; k++) {
		assert_int_equal(json_integer_value(json_array_get(blocks, k - 1)), w->counts[k]);
		assert_true(w->counts[k] >= 1 && w->counts[k] <= 200);
		sum += w->counts[k];
	}
	assert_int_equal(sum, NRECS);
	py_check_records(json_array_get(files, 0), recs, NRECS);
	json_decref(files);
	c_check_file(t, w->name, recs, NRECS);
	recs_free(recs, NRECS);
	free(w);
}

static void test_roundtrip_copy(void **state)
{
	roundtrip(*state, COPY);
}

static void test_roundtrip_deflate(void **state)
{
	roundtrip(*state, DEFLATE);
}

/* An asynchronous writer: offsets reserved up front, blocks landing out of order, a rewind. */
static void test_async_reserve(void **state)
{
	struct tdir *t = *state;
	struct rec *recs = recs_make(30, 200, 30, 9);
	struct ocf_file_opts fo = { .channel = "as", .start_ns = START_NS, .host = "h" };
	struct ocf_block_opts bo = { .max_records = 10 };
	struct ocf_block *b[3];
	struct ocf_file *f;
	struct iovec *iov[3];
	uint64_t off[3], hdr;
	int cnt[3], i, j;
	char name[OCF_NAME_MAX];
	ssize_t n;

	assert_int_equal(ocf_file_open(t->dfd, &fo, &f), 0);
	hdr = ocf_file_size(f);
	for (i = 0; i < 3; i++) {
		assert_int_equal(ocf_block_new(&bo, &b[i]), 0);
		for (j = 0; j < 10; j++)
			assert_int_equal(add_rec(b[i], &recs[10 * i + j]), 0);
		cnt[i] = ocf_block_finish(b[i], ocf_file_sync(f), &iov[i]);
		assert_int_equal(cnt[i], 1);
		off[i] = ocf_file_reserve(f, ocf_block_size(b[i]), ocf_block_count(b[i]));
	}
	assert_int_equal(off[0], hdr);
	assert_int_equal(off[1], off[0] + ocf_block_size(b[0]));
	assert_int_equal(ocf_file_records(f), 30);
	/* Completions in reverse order; the third one "fails" after half its bytes. */
	n = pwritev(ocf_file_fd(f), iov[2], cnt[2], (off_t)off[2]);
	assert_int_equal(n, (ssize_t)ocf_block_size(b[2]));
	assert_int_equal(ftruncate(ocf_file_fd(f), (off_t)(off[2] + ocf_block_size(b[2]) / 2)), 0);
	for (i = 1; i >= 0; i--) {
		n = pwritev(ocf_file_fd(f), iov[i], cnt[i], (off_t)off[i]);
		assert_int_equal(n, (ssize_t)ocf_block_size(b[i]));
	}
	assert_int_equal(ocf_file_rewind(f, hdr - 1, 0), -EINVAL);
	assert_int_equal(ocf_file_rewind(f, ocf_file_size(f) + 1, 0), -EINVAL);
	assert_int_equal(ocf_file_rewind(f, off[2], 20), 0);
	assert_int_equal(ocf_file_size(f), off[2]);
	assert_int_equal(ocf_file_records(f), 20);
	for (i = 0; i < 3; i++)
		ocf_block_free(b[i]);
	assert_int_equal(ocf_file_close(f, OCF_F_DROP_EMPTY, name, sizeof(name)), 0);
	assert_string_equal(name, "as-q0-" STAMP "-1.avro");
	c_check_file(t, name, recs, 20);
	recs_free(recs, 30);
}

/* ---- Names ----------------------------------------------------------------------------------- */

static void test_names_exclusive(void **state)
{
	struct tdir *t = *state;
	struct ocf_file_opts fo = { .channel = "ch", .queue = 1, .start_ns = START_NS };
	struct rec *recs = recs_make(3, 100, 3, 5);
	struct ocf_block_opts bo = { 0 };
	struct ocf_file *f1, *f2, *f3, *f4;
	struct ocf_block *b;
	char n1[OCF_NAME_MAX], n2[OCF_NAME_MAX], n3[OCF_NAME_MAX];
	uint8_t *p;
	size_t len;

	assert_int_equal(ocf_block_new(&bo, &b), 0);
	/* Two files started in the same second: two names, both kept. */
	assert_int_equal(ocf_file_open(t->dfd, &fo, &f1), 0);
	assert_int_equal(ocf_file_open(t->dfd, &fo, &f2), 0);
	assert_string_equal(ocf_file_name(f1), "ch-q1-" STAMP "-1.avro.part");
	assert_string_equal(ocf_file_name(f2), "ch-q1-" STAMP "-2.avro.part");
	assert_memory_not_equal(ocf_file_sync(f1), ocf_file_sync(f2), OCF_SYNC_SIZE);
	assert_int_equal(add_rec(b, &recs[0]), 0);
	assert_int_equal(testocf_write_block(f1, b), 0);
	assert_int_equal(add_rec(b, &recs[1]), 0);
	assert_int_equal(testocf_write_block(f2, b), 0);
	assert_int_equal(ocf_file_close(f2, 0, n2, sizeof(n2)), 0);
	assert_int_equal(ocf_file_close(f1, 0, n1, sizeof(n1)), 0);
	assert_string_equal(n1, "ch-q1-" STAMP "-1.avro");
	assert_string_equal(n2, "ch-q1-" STAMP "-2.avro");
	c_check_file(t, n1, &recs[0], 1);
	c_check_file(t, n2, &recs[1], 1);

	/* A third in that second skips the closed files' numbers and a stale .part. */
	file_put(t, "ch-q1-" STAMP "-3.avro.part", "stale", 5);
	assert_int_equal(ocf_file_open(t->dfd, &fo, &f3), 0);
	assert_string_equal(ocf_file_name(f3), "ch-q1-" STAMP "-4.avro.part");
	p = file_get(t, "ch-q1-" STAMP "-3.avro.part", &len);
	assert_int_equal(len, 5);
	assert_memory_equal(p, "stale", 5);
	free(p);

	/* Someone takes our final name meanwhile: the rename picks the next, never replaces. */
	file_put(t, "ch-q1-" STAMP "-4.avro", "theirs", 6);
	assert_int_equal(add_rec(b, &recs[2]), 0);
	assert_int_equal(testocf_write_block(f3, b), 0);
	assert_int_equal(ocf_file_close(f3, 0, n3, sizeof(n3)), 0);
	assert_string_equal(n3, "ch-q1-" STAMP "-5.avro");
	p = file_get(t, "ch-q1-" STAMP "-4.avro", &len);
	assert_int_equal(len, 6);
	assert_memory_equal(p, "theirs", 6);
	free(p);
	c_check_file(t, n3, &recs[2], 1);
	assert_false(exists(t, "ch-q1-" STAMP "-4.avro.part"));

	/* Another queue or second is another name; an empty file can be dropped at close. */
	fo.queue = 12;
	fo.start_ns = 0;
	assert_int_equal(ocf_file_open(t->dfd, &fo, &f4), 0);
	assert_string_equal(ocf_file_name(f4), "ch-q12-19700101T000000Z-1.avro.part");
	assert_int_equal(ocf_file_close(f4, OCF_F_DROP_EMPTY | OCF_F_FSYNC, n1, sizeof(n1)),
			 OCF_REMOVED);
	assert_string_equal(n1, "");
	assert_false(exists(t, "ch-q12-19700101T000000Z-1.avro.part"));
	assert_int_equal(ocf_file_close(NULL, 0, NULL, 0), 0);

	ocf_block_free(b);
	recs_free(recs, 3);
}

static void test_names_refused(void **state)
{
	struct tdir *t = *state;
	static const char *const bad[] = {
		"",
		"a/b",
		"..",
		".",
		"a.b",
		"a b",
		"ch\n",
		"\xc3\xa9",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 64 */
	};
	struct ocf_file_opts fo = { .start_ns = START_NS };
	struct ocf_file *f;
	struct dirent *de;
	size_t i;
	int entries = 0;
	DIR *d;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fo.channel = bad[i];
		assert_false(ocf_channel_valid(bad[i]));
		assert_int_equal(ocf_file_open(t->dfd, &fo, &f), -EINVAL);
	}
	fo.channel = NULL;
	assert_int_equal(ocf_file_open(t->dfd, &fo, &f), -EINVAL);
	fo.channel = "ok";
	fo.start_ns = -1;
	assert_int_equal(ocf_file_open(t->dfd, &fo, &f), -EINVAL);
	fo.start_ns = 0;
	fo.codec = (enum ocf_codec)3;
	assert_int_equal(ocf_file_open(t->dfd, &fo, &f), -EINVAL);
	/* 63 characters of every allowed kind are fine. */
	fo.codec = OCF_CODEC_NULL;
	fo.channel = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
	assert_true(ocf_channel_valid(fo.channel));
	assert_int_equal(ocf_file_open(t->dfd, &fo, &f), 0);
	assert_int_equal(ocf_file_close(f, OCF_F_DROP_EMPTY, NULL, 0), OCF_REMOVED);
	/* Nothing was created by the refusals. */
	d = fdopendir(dup(t->dfd));
	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			entries++;
	closedir(d);
	assert_int_equal(entries, 0);
}

/* ---- Recovery --------------------------------------------------------------------------------- */

/* Records expected in a file cut to @len bytes: the whole blocks before it. */
static size_t kept_records(const struct written *w, uint64_t len, unsigned int *ret_blocks,
			   uint64_t *ret_end)
{
	size_t records = 0;
	unsigned int k;

	*ret_blocks = 0;
	*ret_end = w->bounds[0];
	for (k = 1; k <= w->nblocks && w->bounds[k] <= len; k++) {
		records += w->counts[k];
		*ret_blocks = k;
		*ret_end = w->bounds[k];
	}
	return records;
}

static void add_offset(uint64_t *offs, size_t *n, size_t cap, uint64_t off, uint64_t max)
{
	size_t i;

	if (off > max)
		return;
	for (i = 0; i < *n; i++)
		if (offs[i] == off)
			return;
	assert_true(*n < cap);
	offs[(*n)++] = off;
}

/*
 * A file of small blocks, cut at every offset of its header and of its last block, at every
 * block boundary +-1 and every 11th byte elsewhere; each cut copy is recovered and must hold
 * exactly the records of its whole blocks, for both readers.
 */
static void recover_cuts(struct tdir *t, enum layout l)
{
	struct rec *recs = recs_make(40, 48, 40, 100 + l);
	struct written *w = calloc(1, sizeof(*w));
	uint64_t *offs = calloc(8192, sizeof(*offs)), size, end;
	char(*names)[OCF_NAME_MAX] = calloc(8192, OCF_NAME_MAX);
	const char **pynames = calloc(8192, sizeof(*pynames));
	size_t noffs = 0, npy = 0, i, len, records, fi;
	struct ocf_recover_info info;
	unsigned int k, blocks;
	uint8_t *orig;
	json_t *files;
	char part[OCF_NAME_MAX];
	int r;

	assert_true(w && offs && names && pynames);
	write_file(t, "orig", recs, 40, l, 8, 1 << 20, false, w);
	assert_int_equal(w->nblocks, 5);
	orig = file_get(t, w->name, &len);
	size = len;
	assert_int_equal(size, w->bounds[w->nblocks]);

	for (i = 0; i <= w->bounds[0]; i++)
		add_offset(offs, &noffs, 8192, i, size);
	for (i = w->bounds[w->nblocks - 1]; i <= size; i++)
		add_offset(offs, &noffs, 8192, i, size);
	for (k = 0; k <= w->nblocks; k++) {
		add_offset(offs, &noffs, 8192, w->bounds[k] - 1, size);
		add_offset(offs, &noffs, 8192, w->bounds[k], size);
		add_offset(offs, &noffs, 8192, w->bounds[k] + 1, size);
	}
	for (i = w->bounds[0]; i < size; i += 11)
		add_offset(offs, &noffs, 8192, i, size);

	for (i = 0; i < noffs; i++) {
		snprintf(part, sizeof(part), "cut-q0-%s-%zu.avro.part", STAMP, i + 1);
		file_put(t, part, orig, offs[i]);
		records = kept_records(w, offs[i], &blocks, &end);
		r = ocf_recover(t->dfd, part, 0, &info);
		assert_false(exists(t, part));
		if (offs[i] < w->bounds[0]) {
			if (r != OCF_REMOVED)
				fail_msg("cut at %llu (in the header): %d, want removed",
					 (unsigned long long)offs[i], r);
			assert_string_equal(info.name, "");
			continue;
		}
		if (r != 0)
			fail_msg("cut at %llu: ocf_recover %d", (unsigned long long)offs[i], r);
		snprintf(names[i], OCF_NAME_MAX, "cut-q0-%s-%zu.avro", STAMP, i + 1);
		assert_string_equal(info.name, names[i]);
		assert_int_equal(info.blocks, blocks);
		assert_int_equal(info.records, records);
		assert_int_equal(info.size, end);
		assert_int_equal(info.cut, offs[i] - end);
		free(file_get(t, names[i], &len));
		assert_int_equal(len, end);
		if (records)
			c_check_file(t, names[i], recs, records);
		pynames[npy++] = names[i];
	}
	/* One python run reads every recovered file. */
	files = py_read(t, pynames, npy);
	for (fi = 0, i = 0; i < noffs; i++) {
		if (offs[i] < w->bounds[0])
			continue;
		records = kept_records(w, offs[i], &blocks, &end);
		py_check_records(json_array_get(files, fi), recs, records);
		assert_int_equal(
			json_array_size(json_object_get(
				json_object_get(json_array_get(files, fi), "head"), "blocks")),
			blocks);
		fi++;
	}
	assert_int_equal(fi, npy);
	print_message(
		"%s: %zu cuts of a %llu-byte file: %zu in the header (removed), %zu recovered and "
		"read by python3-avro and avro-c\n",
		l == DEFLATE ? "deflate" : "null", noffs, (unsigned long long)size, noffs - npy,
		npy);
	json_decref(files);
	free(orig);
	free(pynames);
	free(names);
	free(offs);
	free(w);
	recs_free(recs, 40);
}

static void test_recover_cuts_null(void **state)
{
	recover_cuts(*state, COPY);
}

static void test_recover_cuts_deflate(void **state)
{
	recover_cuts(*state, DEFLATE);
}

/* Tails a crash or a bad disk can leave after the last whole block are cut. */
static void test_recover_garbage_tail(void **state)
{
	struct tdir *t = *state;
	struct rec *recs = recs_make(25, 300, 25, 77);
	struct written w;
	uint8_t *orig, *tail = malloc(8192), *buf = malloc(1 << 20), pre[OCF_BLOCK_PREFIX_MAX];
	char names[5][OCF_NAME_MAX], part[OCF_NAME_MAX];
	const char *pynames[5];
	size_t len, tlen = 0, i;
	struct ocf_recover_info info;
	json_t *files;
	int n, c;

	assert_true(tail && buf);
	write_file(t, "g", recs, 25, COPY, 10, 1 << 20, true, &w);
	orig = file_get(t, w.name, &len);
	assert_int_equal(unlinkat(t->dfd, w.name, 0), 0);
	rng_state = 1;
	for (c = 0; c < 5; c++) {
		switch (c) {
		case 0: /* random bytes */
			tlen = 1000;
			for (i = 0; i < tlen; i++)
				tail[i] = (uint8_t)rnd();
			break;
		case 1: /* zero-filled pages */
			tlen = 8192;
			memset(tail, 0, tlen);
			break;
		case 2: /* a plausible block whose sync marker is wrong */
			n = ocf_block_prefix(pre, sizeof(pre), 1, 10);
			memcpy(tail, pre, (size_t)n);
			memset(tail + n, 0x02, 10);
			memcpy(tail + n + 10, w.sync, OCF_SYNC_SIZE);
			tail[n + 10 + OCF_SYNC_SIZE - 1] ^= 1;
			tlen = (size_t)n + 10 + OCF_SYNC_SIZE;
			break;
		case 3: /* a block claiming more bytes than there are */
			n = ocf_block_prefix(pre, sizeof(pre), 3, 1 << 30);
			memcpy(tail, pre, (size_t)n);
			memset(tail + n, 0x02, 100);
			tlen = (size_t)n + 100;
			break;
		case 4: /* a count of zero, then the right sync marker */
			tail[0] = 0;
			tail[1] = 0;
			memcpy(tail + 2, w.sync, OCF_SYNC_SIZE);
			tlen = 2 + OCF_SYNC_SIZE;
			break;
		}
		memcpy(buf, orig, len);
		memcpy(buf + len, tail, tlen);
		snprintf(part, sizeof(part), "g-q0-%s-%d.avro.part", STAMP, c + 1);
		file_put(t, part, buf, len + tlen);
		assert_int_equal(ocf_recover(t->dfd, part, OCF_F_FSYNC, &info), 0);
		assert_int_equal(info.size, len);
		assert_int_equal(info.cut, tlen);
		assert_int_equal(info.blocks, 3);
		assert_int_equal(info.records, 25);
		snprintf(names[c], OCF_NAME_MAX, "%s", info.name);
		pynames[c] = names[c];
		c_check_file(t, names[c], recs, 25);
	}
	files = py_read(t, pynames, 5);
	for (c = 0; c < 5; c++)
		py_check_records(json_array_get(files, (size_t)c), recs, 25);
	json_decref(files);
	free(orig);
	free(tail);
	free(buf);
	recs_free(recs, 25);
}

static void test_recover_refused(void **state)
{
	struct tdir *t = *state;
	static const char *const bad[] = {
		"x.avro.part",
		"../a-q0-" STAMP "-1.avro.part",
		"a/b-q0-" STAMP "-1.avro.part",
		"a.b-q0-" STAMP "-1.avro.part",
		"a-q0-" STAMP "-1.avro",
		"a-q0-" STAMP "-1.part",
		"a-q0-2023111T221320Z-1.avro.part",
		"a-q0-20231114X221320Z-1.avro.part",
		"a-q-" STAMP "-1.avro.part",
		"a-0-" STAMP "-1.avro.part",
		"-q0-" STAMP "-1.avro.part",
		"a-q0-" STAMP "-0.avro.part",
		"a-q0-" STAMP "-.avro.part",
		"a-q0-" STAMP "-1234567890.avro.part",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-q0-" STAMP
		"-1.avro.part",
		"",
	};
	struct rec *recs = recs_make(5, 50, 5, 8);
	struct ocf_recover_info info;
	struct written w;
	uint8_t zeros[5000] = { 0 }, *p, *orig;
	size_t i, len, olen;
	char target[PATH_MAX];
	int fd;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!strchr(bad[i], '/') && bad[i][0])
			file_put(t, bad[i], "Obj\x01", 4);
		assert_int_equal(ocf_recover(t->dfd, bad[i], 0, &info), -EINVAL);
		if (!strchr(bad[i], '/') && bad[i][0])
			assert_true(exists(t, bad[i])); /* untouched */
	}
	assert_int_equal(ocf_recover(t->dfd, NULL, 0, NULL), -EINVAL);
	assert_int_equal(ocf_recover(t->dfd, "a-q0-" STAMP "-9.avro.part", 0, NULL), -ENOENT);

	/* Not an Avro header, with data after it: left exactly as it is. */
	file_put(t, "bad-q0-" STAMP "-1.avro.part", "hello, world, not avro at all", 29);
	assert_int_equal(ocf_recover(t->dfd, "bad-q0-" STAMP "-1.avro.part", 0, &info), -EBADMSG);
	p = file_get(t, "bad-q0-" STAMP "-1.avro.part", &len);
	assert_int_equal(len, 29);
	free(p);
	/* A header whose map is malformed (negative key length). */
	file_put(t, "bad-q0-" STAMP "-2.avro.part", "Obj\x01\x02\x01xyzxyzxyzxyzxyzxyzxyz", 25);
	assert_int_equal(ocf_recover(t->dfd, "bad-q0-" STAMP "-2.avro.part", 0, NULL), -EBADMSG);
	assert_true(exists(t, "bad-q0-" STAMP "-2.avro.part"));

	/* Zero-filled (a crash before the data reached the disk), or empty: removed. */
	file_put(t, "z-q0-" STAMP "-1.avro.part", zeros, sizeof(zeros));
	assert_int_equal(ocf_recover(t->dfd, "z-q0-" STAMP "-1.avro.part", 0, NULL), OCF_REMOVED);
	assert_false(exists(t, "z-q0-" STAMP "-1.avro.part"));
	file_put(t, "z-q0-" STAMP "-2.avro.part", zeros, 0);
	assert_int_equal(ocf_recover(t->dfd, "z-q0-" STAMP "-2.avro.part", 0, NULL), OCF_REMOVED);

	/* A symlink is not followed; a directory is not a file. */
	write_file(t, "real", recs, 5, COPY, 10, 1 << 20, true, &w);
	orig = file_get(t, w.name, &olen);
	path_of(t, w.name, target, sizeof(target));
	assert_int_equal(symlinkat(target, t->dfd, "ln-q0-" STAMP "-1.avro.part"), 0);
	assert_int_equal(ocf_recover(t->dfd, "ln-q0-" STAMP "-1.avro.part", 0, NULL), -ELOOP);
	assert_int_equal(mkdirat(t->dfd, "dir-q0-" STAMP "-1.avro.part", 0755), 0);
	assert_true(ocf_recover(t->dfd, "dir-q0-" STAMP "-1.avro.part", 0, NULL) < 0);

	/* A whole .part is renamed as it is; taken final names are skipped, not replaced. */
	file_put(t, "real-q3-" STAMP "-1.avro", "theirs", 6);
	assert_int_equal(ocf_recover(t->dfd, w.name, OCF_F_FSYNC, &info), 0);
	assert_string_equal(info.name, "real-q3-" STAMP "-2.avro");
	assert_int_equal(info.cut, 0);
	assert_int_equal(info.records, 5);
	p = file_get(t, "real-q3-" STAMP "-1.avro", &len);
	assert_int_equal(len, 6);
	free(p);
	p = file_get(t, info.name, &len);
	assert_int_equal(len, olen);
	assert_memory_equal(p, orig, olen);
	free(p);
	c_check_file(t, info.name, recs, 5);

	/* A whole header without blocks: renamed, or removed under OCF_F_DROP_EMPTY. */
	{
		uint64_t hlen;
		struct written w2;

		write_file(t, "hdr", recs, 1, COPY, 10, 1 << 20, true, &w2);
		hlen = w2.bounds[0];
		fd = openat(t->dfd, w2.name, O_WRONLY);
		assert_int_equal(ftruncate(fd, (off_t)hlen), 0);
		close(fd);
		assert_int_equal(ocf_recover(t->dfd, w2.name, OCF_F_DROP_EMPTY, &info),
				 OCF_REMOVED);
		assert_false(exists(t, w2.name));
		write_file(t, "hdr", recs, 1, COPY, 10, 1 << 20, true, &w2);
		fd = openat(t->dfd, w2.name, O_WRONLY);
		assert_int_equal(ftruncate(fd, (off_t)hlen + 3), 0);
		close(fd);
		assert_int_equal(ocf_recover(t->dfd, w2.name, 0, &info), 0);
		assert_int_equal(info.blocks, 0);
		assert_int_equal(info.size, hlen);
		assert_int_equal(info.cut, 3);
	}
	free(orig);
	recs_free(recs, 5);
}

/* ---- Schema ----------------------------------------------------------------------------------- */

static void msg(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void msg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static const struct {
	const char *name;
	avro_type_t type;
} envelope_fields[XRELAY_PACKET_NFIELDS] = {
	{ "seq", AVRO_INT64 },	    { "ts_ns", AVRO_INT64 },	{ "src_addr", AVRO_BYTES },
	{ "src_port", AVRO_INT32 }, { "dst_addr", AVRO_BYTES }, { "dst_port", AVRO_INT32 },
	{ "payload", AVRO_BYTES },
};

static int envelope_check(avro_schema_t s, char *err, size_t errlen)
{
	size_t i, nf = avro_schema_record_size(s);

	if (nf != XRELAY_PACKET_NFIELDS) {
		msg(err, errlen, "%s has %zu fields, the envelope has %d", XRELAY_PACKET_NAME, nf,
		    XRELAY_PACKET_NFIELDS);
		return -EPROTO;
	}
	for (i = 0; i < nf; i++) {
		const char *fname = avro_schema_record_field_name(s, (int)i);
		avro_schema_t ft = avro_schema_record_field_get_by_index(s, (int)i);

		if (!fname || strcmp(fname, envelope_fields[i].name)) {
			msg(err, errlen, "%s field %zu is \"%s\", the envelope has \"%s\"",
			    XRELAY_PACKET_NAME, i, fname ? fname : "", envelope_fields[i].name);
			return -EPROTO;
		}
		if (!ft || avro_typeof(ft) != envelope_fields[i].type) {
			msg(err, errlen, "%s field \"%s\" has type %s, the envelope has another",
			    XRELAY_PACKET_NAME, fname, ft ? avro_schema_type_name(ft) : "?");
			return -EPROTO;
		}
	}
	return 0;
}

/*
 * What the dataplane checked at every start until the check became this test: parse @json with
 * avro-c (NULL: XRELAY_PACKET_SCHEMA); a record named xrelay.Packet (so always for NULL) must
 * have exactly the envelope's fields, names, types and order. Returns 0, -EINVAL (not a valid
 * Avro schema) or -EPROTO (not the envelope layout), with a sentence in @err (if not NULL).
 */
static int schema_check(const char *json, char *err, size_t errlen)
{
	bool envelope = !json, named = false;
	avro_schema_t s;
	const char *name, *space;
	int r = 0;

	if (!json)
		json = XRELAY_PACKET_SCHEMA;
	if (avro_schema_from_json_length(json, strlen(json), &s)) {
		msg(err, errlen, "not a valid Avro schema: %s", avro_strerror());
		return -EINVAL;
	}
	if (is_avro_record(s)) {
		name = avro_schema_name(s);
		space = avro_schema_namespace(s);
		named = name && space && !strcmp(name, "Packet") && !strcmp(space, "xrelay");
	}
	if (named || envelope) {
		if (!is_avro_record(s)) {
			msg(err, errlen, "the envelope schema is not a record");
			r = -EPROTO;
		} else if (!named) {
			msg(err, errlen, "the envelope schema is not named %s", XRELAY_PACKET_NAME);
			r = -EPROTO;
		} else {
			r = envelope_check(s, err, errlen);
		}
	}
	avro_schema_decref(s);
	return r;
}

static void test_schema_check(void **state)
{
	char err[256] = "";

	(void)state;
	assert_int_equal(schema_check(NULL, err, sizeof(err)), 0);
	assert_int_equal(schema_check(XRELAY_PACKET_SCHEMA, err, sizeof(err)), 0);
	assert_int_equal(schema_check("\"long\"", err, sizeof(err)), 0);
	assert_int_equal(
		schema_check("{\"type\":\"record\",\"name\":\"Other\",\"fields\":[]}", NULL, 0), 0);
	assert_int_equal(schema_check("{", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a valid Avro schema"));
	assert_int_equal(schema_check("{\"type\":\"nope\"}", err, sizeof(err)), -EINVAL);
	/* Claims to be the envelope but its fields differ. */
	assert_int_equal(
		schema_check("{\"type\":\"record\",\"name\":\"Packet\",\"namespace\":\"xrelay\","
			     "\"fields\":[{\"name\":\"ts_ns\",\"type\":\"long\"},"
			     "{\"name\":\"seq\",\"type\":\"long\"}]}",
			     err, sizeof(err)),
		-EPROTO);
	assert_non_null(strstr(err, "fields"));
	assert_int_equal(
		schema_check("{\"type\":\"record\",\"name\":\"Packet\",\"namespace\":\"xrelay\","
			     "\"fields\":[{\"name\":\"seq\",\"type\":\"int\"},"
			     "{\"name\":\"ts_ns\",\"type\":\"long\"},"
			     "{\"name\":\"src_addr\",\"type\":\"bytes\"},"
			     "{\"name\":\"src_port\",\"type\":\"int\"},"
			     "{\"name\":\"dst_addr\",\"type\":\"bytes\"},"
			     "{\"name\":\"dst_port\",\"type\":\"int\"},"
			     "{\"name\":\"payload\",\"type\":\"bytes\"}]}",
			     err, sizeof(err)),
		-EPROTO);
	assert_non_null(strstr(err, "\"seq\""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_varint_vectors),
		cmocka_unit_test(test_varint_bounds),
		cmocka_unit_test(test_envelope_hdr),
		cmocka_unit_test_setup_teardown(test_header, tdir_setup, tdir_teardown),
		cmocka_unit_test(test_block_limits),
		cmocka_unit_test(test_block_layouts),
		cmocka_unit_test_setup_teardown(test_roundtrip_copy, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_deflate, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_async_reserve, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_names_exclusive, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_names_refused, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_recover_cuts_null, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_recover_cuts_deflate, tdir_setup,
						tdir_teardown),
		cmocka_unit_test_setup_teardown(test_recover_garbage_tail, tdir_setup,
						tdir_teardown),
		cmocka_unit_test_setup_teardown(test_recover_refused, tdir_setup, tdir_teardown),
		cmocka_unit_test(test_schema_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
