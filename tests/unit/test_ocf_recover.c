// SPDX-License-Identifier: MIT
/*
 * Crash recovery (dataplane/ocf_recover.c): files (null, deflate, snappy) cut at every offset
 * of their header and of their last block, and with garbage after their last whole block, keep exactly the records
 * of their whole blocks for both readers; names not of the .part form, foreign and zeroed
 * files, symlinks and taken final names are refused or handled without loss.
 */
#include <errno.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ocfcheck.h"

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
	struct rec *recs = ocfcheck_recs_make(40, 48, 40, 100 + l);
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
	ocfcheck_write_file(t, "orig", recs, 40, l, 8, 1 << 20, false, w);
	assert_int_equal(w->nblocks, 5);
	orig = ocfcheck_file_get(t, w->name, &len);
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
		ocfcheck_file_put(t, part, orig, offs[i]);
		records = kept_records(w, offs[i], &blocks, &end);
		r = ocf_recover(t->dfd, part, 0, &info);
		assert_false(ocfcheck_exists(t, part));
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
		free(ocfcheck_file_get(t, names[i], &len));
		assert_int_equal(len, end);
		if (records)
			ocfcheck_c_check_file(t, names[i], recs, records);
		pynames[npy++] = names[i];
	}
	/* One python run reads every recovered file. */
	files = ocfcheck_py_read(t, pynames, npy);
	for (fi = 0, i = 0; i < noffs; i++) {
		if (offs[i] < w->bounds[0])
			continue;
		records = kept_records(w, offs[i], &blocks, &end);
		ocfcheck_py_check_records(json_array_get(files, fi), recs, records);
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
		l == DEFLATE  ? "deflate"
		: l == SNAPPY ? "snappy"
			      : "null",
		noffs, (unsigned long long)size, noffs - npy, npy);
	json_decref(files);
	free(orig);
	free(pynames);
	free(names);
	free(offs);
	free(w);
	ocfcheck_recs_free(recs, 40);
}

static void test_recover_cuts_null(void **state)
{
	recover_cuts(*state, COPY);
}

static void test_recover_cuts_deflate(void **state)
{
	recover_cuts(*state, DEFLATE);
}

/* Snappy blocks end with their CRC32: a cut inside one must not keep it either. */
static void test_recover_cuts_snappy(void **state)
{
	recover_cuts(*state, SNAPPY);
}

/* Tails a crash or a bad disk can leave after the last whole block are cut. */
static void test_recover_garbage_tail(void **state)
{
	struct tdir *t = *state;
	struct rec *recs = ocfcheck_recs_make(25, 300, 25, 77);
	struct written w;
	uint8_t *orig, *tail = malloc(8192), *buf = malloc(1 << 20), pre[OCF_BLOCK_PREFIX_MAX];
	char names[5][OCF_NAME_MAX], part[OCF_NAME_MAX];
	const char *pynames[5];
	size_t len, tlen = 0, i;
	struct ocf_recover_info info;
	json_t *files;
	int n, c;

	assert_true(tail && buf);
	ocfcheck_write_file(t, "g", recs, 25, COPY, 10, 1 << 20, true, &w);
	orig = ocfcheck_file_get(t, w.name, &len);
	assert_int_equal(unlinkat(t->dfd, w.name, 0), 0);
	ocfcheck_rng_state = 1;
	for (c = 0; c < 5; c++) {
		switch (c) {
		case 0: /* random bytes */
			tlen = 1000;
			for (i = 0; i < tlen; i++)
				tail[i] = (uint8_t)ocfcheck_rnd();
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
		ocfcheck_file_put(t, part, buf, len + tlen);
		assert_int_equal(ocf_recover(t->dfd, part, OCF_F_FSYNC, &info), 0);
		assert_int_equal(info.size, len);
		assert_int_equal(info.cut, tlen);
		assert_int_equal(info.blocks, 3);
		assert_int_equal(info.records, 25);
		snprintf(names[c], OCF_NAME_MAX, "%s", info.name);
		pynames[c] = names[c];
		ocfcheck_c_check_file(t, names[c], recs, 25);
	}
	files = ocfcheck_py_read(t, pynames, 5);
	for (c = 0; c < 5; c++)
		ocfcheck_py_check_records(json_array_get(files, (size_t)c), recs, 25);
	json_decref(files);
	free(orig);
	free(tail);
	free(buf);
	ocfcheck_recs_free(recs, 25);
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
	struct rec *recs = ocfcheck_recs_make(5, 50, 5, 8);
	struct ocf_recover_info info;
	struct written w;
	uint8_t zeros[5000] = { 0 }, *p, *orig;
	size_t i, len, olen;
	char target[PATH_MAX];
	int fd;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!strchr(bad[i], '/') && bad[i][0])
			ocfcheck_file_put(t, bad[i], "Obj\x01", 4);
		assert_int_equal(ocf_recover(t->dfd, bad[i], 0, &info), -EINVAL);
		if (!strchr(bad[i], '/') && bad[i][0])
			assert_true(ocfcheck_exists(t, bad[i])); /* untouched */
	}
	assert_int_equal(ocf_recover(t->dfd, NULL, 0, NULL), -EINVAL);
	assert_int_equal(ocf_recover(t->dfd, "a-q0-" STAMP "-9.avro.part", 0, NULL), -ENOENT);

	/* Not an Avro header, with data after it: left exactly as it is. */
	ocfcheck_file_put(t, "bad-q0-" STAMP "-1.avro.part", "hello, world, not avro at all", 29);
	assert_int_equal(ocf_recover(t->dfd, "bad-q0-" STAMP "-1.avro.part", 0, &info), -EBADMSG);
	p = ocfcheck_file_get(t, "bad-q0-" STAMP "-1.avro.part", &len);
	assert_int_equal(len, 29);
	free(p);
	/* A header whose map is malformed (negative key length). */
	ocfcheck_file_put(t, "bad-q0-" STAMP "-2.avro.part", "Obj\x01\x02\x01xyzxyzxyzxyzxyzxyzxyz",
			  25);
	assert_int_equal(ocf_recover(t->dfd, "bad-q0-" STAMP "-2.avro.part", 0, NULL), -EBADMSG);
	assert_true(ocfcheck_exists(t, "bad-q0-" STAMP "-2.avro.part"));

	/* Zero-filled (a crash before the data reached the disk), or empty: removed. */
	ocfcheck_file_put(t, "z-q0-" STAMP "-1.avro.part", zeros, sizeof(zeros));
	assert_int_equal(ocf_recover(t->dfd, "z-q0-" STAMP "-1.avro.part", 0, NULL), OCF_REMOVED);
	assert_false(ocfcheck_exists(t, "z-q0-" STAMP "-1.avro.part"));
	ocfcheck_file_put(t, "z-q0-" STAMP "-2.avro.part", zeros, 0);
	assert_int_equal(ocf_recover(t->dfd, "z-q0-" STAMP "-2.avro.part", 0, NULL), OCF_REMOVED);

	/* A symlink is not followed; a directory is not a file. */
	ocfcheck_write_file(t, "real", recs, 5, COPY, 10, 1 << 20, true, &w);
	orig = ocfcheck_file_get(t, w.name, &olen);
	ocfcheck_path_of(t, w.name, target, sizeof(target));
	assert_int_equal(symlinkat(target, t->dfd, "ln-q0-" STAMP "-1.avro.part"), 0);
	assert_int_equal(ocf_recover(t->dfd, "ln-q0-" STAMP "-1.avro.part", 0, NULL), -ELOOP);
	assert_int_equal(mkdirat(t->dfd, "dir-q0-" STAMP "-1.avro.part", 0755), 0);
	assert_true(ocf_recover(t->dfd, "dir-q0-" STAMP "-1.avro.part", 0, NULL) < 0);

	/* A whole .part is renamed as it is; taken final names are skipped, not replaced. */
	ocfcheck_file_put(t, "real-q3-" STAMP "-1.avro", "theirs", 6);
	assert_int_equal(ocf_recover(t->dfd, w.name, OCF_F_FSYNC, &info), 0);
	assert_string_equal(info.name, "real-q3-" STAMP "-2.avro");
	assert_int_equal(info.cut, 0);
	assert_int_equal(info.records, 5);
	p = ocfcheck_file_get(t, "real-q3-" STAMP "-1.avro", &len);
	assert_int_equal(len, 6);
	free(p);
	p = ocfcheck_file_get(t, info.name, &len);
	assert_int_equal(len, olen);
	assert_memory_equal(p, orig, olen);
	free(p);
	ocfcheck_c_check_file(t, info.name, recs, 5);

	/* A whole header without blocks: renamed, or removed under OCF_F_DROP_EMPTY. */
	{
		uint64_t hlen;
		struct written w2;

		ocfcheck_write_file(t, "hdr", recs, 1, COPY, 10, 1 << 20, true, &w2);
		hlen = w2.bounds[0];
		fd = openat(t->dfd, w2.name, O_WRONLY);
		assert_int_equal(ftruncate(fd, (off_t)hlen), 0);
		close(fd);
		assert_int_equal(ocf_recover(t->dfd, w2.name, OCF_F_DROP_EMPTY, &info),
				 OCF_REMOVED);
		assert_false(ocfcheck_exists(t, w2.name));
		ocfcheck_write_file(t, "hdr", recs, 1, COPY, 10, 1 << 20, true, &w2);
		fd = openat(t->dfd, w2.name, O_WRONLY);
		assert_int_equal(ftruncate(fd, (off_t)hlen + 3), 0);
		close(fd);
		assert_int_equal(ocf_recover(t->dfd, w2.name, 0, &info), 0);
		assert_int_equal(info.blocks, 0);
		assert_int_equal(info.size, hlen);
		assert_int_equal(info.cut, 3);
	}
	free(orig);
	ocfcheck_recs_free(recs, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_recover_cuts_null, ocfcheck_tdir_setup,
						ocfcheck_tdir_teardown),
		cmocka_unit_test_setup_teardown(test_recover_cuts_deflate, ocfcheck_tdir_setup,
						ocfcheck_tdir_teardown),
		cmocka_unit_test_setup_teardown(test_recover_cuts_snappy, ocfcheck_tdir_setup,
						ocfcheck_tdir_teardown),
		cmocka_unit_test_setup_teardown(test_recover_garbage_tail, ocfcheck_tdir_setup,
						ocfcheck_tdir_teardown),
		cmocka_unit_test_setup_teardown(test_recover_refused, ocfcheck_tdir_setup,
						ocfcheck_tdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
