// SPDX-License-Identifier: MIT
/* The container-format tests' shared fixture; see ocfcheck.h. */
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

#include "ocfcheck.h"
#include "testocf.h"
#include "xrelay/avro.h"

int ocfcheck_tdir_setup(void **state)
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

int ocfcheck_tdir_teardown(void **state)
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

bool ocfcheck_exists(struct tdir *t, const char *name)
{
	struct stat st;

	return !fstatat(t->dfd, name, &st, AT_SYMLINK_NOFOLLOW);
}

void ocfcheck_path_of(struct tdir *t, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", t->path, name);
}

void ocfcheck_file_put(struct tdir *t, const char *name, const void *p, size_t len)
{
	int fd = openat(t->dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, len), (ssize_t)len);
	close(fd);
}

uint8_t *ocfcheck_file_get(struct tdir *t, const char *name, size_t *len)
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

uint64_t ocfcheck_rng_state;

uint64_t ocfcheck_rnd(void)
{
	uint64_t z = (ocfcheck_rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static const int64_t seq_edges[] = { 0,		1,	   -1,
				     63,	64,	   -64,
				     -65,	INT32_MAX, (int64_t)INT32_MAX + 1,
				     INT64_MAX, INT64_MIN, INT64_MIN + 1 };
static const int64_t ts_edges[] = { 0,	       INT64_MAX, START_NS, -1,	  INT64_MIN, 1,
				    1LL << 62, 127,	  128,	    8191, 8192 };
static const uint16_t port_edges[] = { 0, 65535, 1, 32768, 63, 64, 8191, 8192 };

struct rec *ocfcheck_recs_make(size_t n, uint32_t pmax, size_t jumbo, uint64_t seed)
{
	struct rec *r = calloc(n, sizeof(*r));
	size_t i, j;

	assert_non_null(r);
	ocfcheck_rng_state = seed;
	for (i = 0; i < n; i++) {
		struct rec *x = &r[i];
		uint32_t plen = i == jumbo ? 9000 : (uint32_t)(ocfcheck_rnd() % (pmax + 1));
		size_t fsize = HEADROOM + 64 + plen;
		uint8_t *l3;

		if (fsize < 2048)
			fsize = 2048;
		x->frame = malloc(fsize);
		assert_non_null(x->frame);
		memset(x->frame, 0xee, fsize);
		x->payload = x->frame + HEADROOM + 64;
		for (j = 0; j < plen; j++)
			x->payload[j] = (uint8_t)ocfcheck_rnd();
		x->e.seq = i < sizeof(seq_edges) / sizeof(seq_edges[0])
				   ? seq_edges[i]
				   : (int64_t)i + (i % 7 == 0 ? (1LL << 40) : 0);
		x->e.ts_ns = i < sizeof(ts_edges) / sizeof(ts_edges[0])
				     ? ts_edges[i]
				     : START_NS + (int64_t)(ocfcheck_rnd() % 1000000000000ull);
		x->e.src_port = i < 8 ? port_edges[i] : (uint16_t)ocfcheck_rnd();
		x->e.dst_port = i < 8 ? port_edges[7 - i] : (uint16_t)ocfcheck_rnd();
		x->e.src_len = i % 3 == 1 ? 16 : 4;
		x->e.dst_len = i % 3 == 0 ? 4 : 16;
		for (j = 0; j < 16; j++) {
			x->src[j] = (uint8_t)ocfcheck_rnd();
			x->dst[j] = (uint8_t)ocfcheck_rnd();
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

void ocfcheck_recs_free(struct rec *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(r[i].frame);
	free(r);
}

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

int ocfcheck_add_rec(struct ocf_block *b, struct rec *x)
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

void ocfcheck_write_file(struct tdir *t, const char *chan, struct rec *recs, size_t n,
			 enum layout l, unsigned int max_records, size_t max_bytes, bool keep_part,
			 struct written *w)
{
	struct ocf_file_opts fo = {
		.channel = chan,
		.queue = 3,
		.start_ns = START_NS,
		.codec = l == DEFLATE  ? OCF_CODEC_DEFLATE
			 : l == SNAPPY ? OCF_CODEC_SNAPPY
				       : OCF_CODEC_NULL,
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
		r = ocfcheck_add_rec(b, &recs[i]);
		if (r == -ENOSPC) {
			flush_block(f, b, w);
			r = ocfcheck_add_rec(b, &recs[i]);
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

json_t *ocfcheck_py_read(struct tdir *t, const char *const *names, size_t nfiles)
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
	snprintf(cmd, cmdlen, "cd '%s' && %s '%s'", t->path, OCFCHECK_PYTHON, script_path());
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

void ocfcheck_hex_of(const uint8_t *p, size_t n, char *out)
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
	ocfcheck_hex_of(p, n, want);
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

void ocfcheck_py_check_records(json_t *file, const struct rec *recs, size_t n)
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

const char *ocfcheck_py_meta(json_t *file, const char *key)
{
	return json_string_value(
		json_object_get(json_object_get(json_object_get(file, "head"), "meta"), key));
}

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

void ocfcheck_c_check_file(struct tdir *t, const char *name, const struct rec *recs, size_t n)
{
	avro_file_reader_t r;
	avro_value_iface_t *iface;
	avro_schema_t ws;
	avro_value_t rec;
	char path[PATH_MAX];
	size_t i = 0;

	ocfcheck_path_of(t, name, path, sizeof(path));
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
