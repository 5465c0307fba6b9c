// SPDX-License-Identifier: MIT
/*
 * The file life cycle (dataplane/ocf_file.c) checked the way a user would: files written with
 * both codecs are read back by python3-avro and avro-c and every field of every record is
 * compared byte for byte; offsets reserved for an asynchronous writer, a rewind; exclusive
 * names and renames that never overwrite; refused channel names.
 */
#include <errno.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cmocka.h>

#include "ocfcheck.h"
#include "testocf.h"
#include "xrelay/avro.h"

#define NRECS 3000

static void roundtrip(struct tdir *t, enum layout l)
{
	struct rec *recs = ocfcheck_recs_make(NRECS, 1472, 1234, 42 + l);
	struct written *w = calloc(1, sizeof(*w));
	const char *names[1];
	json_t *files, *blocks;
	unsigned int k, sum = 0;

	assert_non_null(w);
	ocfcheck_write_file(t, "rt", recs, NRECS, l, 200, 128 * 1024, false, w);
	assert_string_equal(w->name, "rt-q3-" STAMP "-1.avro");
	assert_true(w->nblocks >= 10);
	assert_false(ocfcheck_exists(t, "rt-q3-" STAMP "-1.avro.part"));

	names[0] = w->name;
	files = ocfcheck_py_read(t, names, 1);
	assert_string_equal(ocfcheck_py_meta(json_array_get(files, 0), "avro.codec"),
			    l == DEFLATE  ? "deflate"
			    : l == SNAPPY ? "snappy"
					  : "null");
	assert_string_equal(ocfcheck_py_meta(json_array_get(files, 0), XRELAY_META_QUEUE), "3");
	/* The reader's block walk sees the blocks we wrote. */
	blocks = json_object_get(json_object_get(json_array_get(files, 0), "head"), "blocks");
	assert_int_equal(json_array_size(blocks), w->nblocks);
	for (k = 1; k <= w->nblocks; k++) {
		assert_int_equal(json_integer_value(json_array_get(blocks, k - 1)), w->counts[k]);
		assert_true(w->counts[k] >= 1 && w->counts[k] <= 200);
		sum += w->counts[k];
	}
	assert_int_equal(sum, NRECS);
	ocfcheck_py_check_records(json_array_get(files, 0), recs, NRECS);
	json_decref(files);
	ocfcheck_c_check_file(t, w->name, recs, NRECS);
	ocfcheck_recs_free(recs, NRECS);
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

static void test_roundtrip_snappy(void **state)
{
	roundtrip(*state, SNAPPY);
}

/* An asynchronous writer: offsets reserved up front, blocks landing out of order, a rewind. */
static void test_async_reserve(void **state)
{
	struct tdir *t = *state;
	struct rec *recs = ocfcheck_recs_make(30, 200, 30, 9);
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
			assert_int_equal(ocfcheck_add_rec(b[i], &recs[10 * i + j]), 0);
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
	ocfcheck_c_check_file(t, name, recs, 20);
	ocfcheck_recs_free(recs, 30);
}

/* ---- Names ----------------------------------------------------------------------------------- */

static void test_names_exclusive(void **state)
{
	struct tdir *t = *state;
	struct ocf_file_opts fo = { .channel = "ch", .queue = 1, .start_ns = START_NS };
	struct rec *recs = ocfcheck_recs_make(3, 100, 3, 5);
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
	assert_int_equal(ocfcheck_add_rec(b, &recs[0]), 0);
	assert_int_equal(testocf_write_block(f1, b), 0);
	assert_int_equal(ocfcheck_add_rec(b, &recs[1]), 0);
	assert_int_equal(testocf_write_block(f2, b), 0);
	assert_int_equal(ocf_file_close(f2, 0, n2, sizeof(n2)), 0);
	assert_int_equal(ocf_file_close(f1, 0, n1, sizeof(n1)), 0);
	assert_string_equal(n1, "ch-q1-" STAMP "-1.avro");
	assert_string_equal(n2, "ch-q1-" STAMP "-2.avro");
	ocfcheck_c_check_file(t, n1, &recs[0], 1);
	ocfcheck_c_check_file(t, n2, &recs[1], 1);

	/* A third in that second skips the closed files' numbers and a stale .part. */
	ocfcheck_file_put(t, "ch-q1-" STAMP "-3.avro.part", "stale", 5);
	assert_int_equal(ocf_file_open(t->dfd, &fo, &f3), 0);
	assert_string_equal(ocf_file_name(f3), "ch-q1-" STAMP "-4.avro.part");
	p = ocfcheck_file_get(t, "ch-q1-" STAMP "-3.avro.part", &len);
	assert_int_equal(len, 5);
	assert_memory_equal(p, "stale", 5);
	free(p);

	/* Someone takes our final name meanwhile: the rename picks the next, never replaces. */
	ocfcheck_file_put(t, "ch-q1-" STAMP "-4.avro", "theirs", 6);
	assert_int_equal(ocfcheck_add_rec(b, &recs[2]), 0);
	assert_int_equal(testocf_write_block(f3, b), 0);
	assert_int_equal(ocf_file_close(f3, 0, n3, sizeof(n3)), 0);
	assert_string_equal(n3, "ch-q1-" STAMP "-5.avro");
	p = ocfcheck_file_get(t, "ch-q1-" STAMP "-4.avro", &len);
	assert_int_equal(len, 6);
	assert_memory_equal(p, "theirs", 6);
	free(p);
	ocfcheck_c_check_file(t, n3, &recs[2], 1);
	assert_false(ocfcheck_exists(t, "ch-q1-" STAMP "-4.avro.part"));

	/* Another queue or second is another name; an empty file can be dropped at close. */
	fo.queue = 12;
	fo.start_ns = 0;
	assert_int_equal(ocf_file_open(t->dfd, &fo, &f4), 0);
	assert_string_equal(ocf_file_name(f4), "ch-q12-19700101T000000Z-1.avro.part");
	assert_int_equal(ocf_file_close(f4, OCF_F_DROP_EMPTY | OCF_F_FSYNC, n1, sizeof(n1)),
			 OCF_REMOVED);
	assert_string_equal(n1, "");
	assert_false(ocfcheck_exists(t, "ch-q12-19700101T000000Z-1.avro.part"));
	assert_int_equal(ocf_file_close(NULL, 0, NULL, 0), 0);

	ocf_block_free(b);
	ocfcheck_recs_free(recs, 3);
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
		assert_false(name_valid(bad[i]));
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
	assert_true(name_valid(fo.channel));
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip_copy, ocfcheck_tdir_setup,
						ocfcheck_tdir_teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_snappy, ocfcheck_tdir_setup,
						ocfcheck_tdir_teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_deflate, ocfcheck_tdir_setup,
						ocfcheck_tdir_teardown),
		cmocka_unit_test_setup_teardown(test_async_reserve, ocfcheck_tdir_setup,
						ocfcheck_tdir_teardown),
		cmocka_unit_test_setup_teardown(test_names_exclusive, ocfcheck_tdir_setup,
						ocfcheck_tdir_teardown),
		cmocka_unit_test_setup_teardown(test_names_refused, ocfcheck_tdir_setup,
						ocfcheck_tdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
