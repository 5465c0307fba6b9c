// SPDX-License-Identifier: MIT
/*
 * The dataplane's shard writer (dataplane/writer.c) with a real io_uring and real files: blocks
 * by count and by age, rotation by size, age and on request, drain, and a real disk-full (a
 * small tmpfs in the test's own mount namespace): the failed block is counted as dropped, the
 * file is cut back to its last whole block and stays readable by python3-avro.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cmocka.h>
#include <liburing.h>

#include "../../dataplane/budget.h"
#include "../../dataplane/writer.h"
#include "testenv.h"
#include "xrelay/avro.h"

#define MS 1000000ull

static char base[64] = "/tmp/xrelay-wtest-XXXXXX";
static char root[4096]; /* the repository (for the reader script): $XRELAY_ROOT, else the cwd */
static char dir[128];
static int dir_fd = -1;
static struct io_uring ring;
static int tdir_seq;

struct totals {
	__u64 recorded, bytes, errors, dropped, dropped_no_file, opened, closed;
};

static void add(struct totals *t, const struct writer_report *r)
{
	t->recorded += r->recorded_packets;
	t->bytes += r->recorded_bytes;
	t->errors += r->write_errors;
	t->dropped += r->dropped;
	t->dropped_no_file += r->dropped_no_file;
	t->opened += r->opened[0] != '\0';
	t->closed += r->closed[0] != '\0';
}

/* Reap every completion (waiting for at least one while @w has writes in flight). */
static void pump(struct writer *w, struct totals *t)
{
	struct io_uring_cqe *cqe;

	(void)io_uring_submit(&ring);
	while (writer_inflight(w)) {
		struct writer_report rep = {};

		assert_int_equal(io_uring_wait_cqe(&ring, &cqe), 0);
		writer_complete(w, &ring, io_uring_cqe_get_data(cqe), cqe->res, &rep);
		io_uring_cqe_seen(&ring, cqe);
		add(t, &rep);
		(void)io_uring_submit(&ring);
	}
}

/* The envelope header of record @seq, received at @now, of @plen payload bytes, into @hdr. */
static size_t envelope(__u8 hdr[XRELAY_PACKET_HDR_MAX], __u64 seq, __u64 now, size_t plen)
{
	const __u8 a[4] = { 192, 0, 2, 1 }, b[4] = { 239, 1, 1, 1 };
	struct ocf_envelope e = {
		.seq = (int64_t)seq,
		.ts_ns = (int64_t)now,
		.src_addr = a,
		.dst_addr = b,
		.src_len = 4,
		.dst_len = 4,
		.src_port = 40000,
		.dst_port = 5000,
		.payload_len = (uint32_t)plen,
	};
	int n = ocf_envelope_hdr(&e, hdr, XRELAY_PACKET_HDR_MAX);

	assert_true(n > 0);
	return (size_t)n;
}

static void record(struct writer *w, __u64 seq, size_t plen, __u64 now, struct totals *t)
{
	static __u8 payload[2000];
	__u8 hdr[XRELAY_PACKET_HDR_MAX];
	struct writer_report rep = {};
	size_t n = envelope(hdr, seq, now, plen);

	memset(payload, (int)(seq & 0xff), plen);
	assert_int_equal(writer_add(w, &ring, hdr, n, payload, plen, now, &rep), 0);
	add(t, &rep);
}

/* A fresh directory under @parent; its fd in dir_fd. */
static void fresh_dir(const char *parent)
{
	snprintf(dir, sizeof(dir), "%s/w%d", parent, ++tdir_seq);
	assert_int_equal(mkdir(dir, 0755), 0);
	if (dir_fd >= 0)
		close(dir_fd);
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dir_fd >= 0);
}

static struct budget *next_budget; /* the budget new_writer gives its writer */

static struct writer *new_writer(__u64 rotate_bytes, __u64 rotate_ms, __u64 flush_ms)
{
	struct writer_opts o = {
		.budget = next_budget,
		.dir_fd = dir_fd,
		.channel = "wtest",
		.queue = 3,
		.codec = OCF_CODEC_NULL,
		.rotate_bytes = rotate_bytes,
		.rotate_ns = rotate_ms * MS,
		.flush_ns = flush_ms * MS,
	};
	struct writer *w = NULL;

	assert_int_equal(writer_new(&o, &w), 0);
	return w;
}

static void drain(struct writer *w, struct totals *t)
{
	struct writer_report rep = {};
	int i;

	for (i = 0; i < 100; i++) {
		bool done = writer_drain(w, &ring, &rep);

		add(t, &rep);
		memset(&rep, 0, sizeof(rep));
		if (done)
			break;
		pump(w, t);
	}
	assert_int_equal(writer_inflight(w), 0);
	writer_free(w);
}

/* Records in the .avro files of dir read by python3-avro, and whether any .part is left. */
static long read_back(int *parts, int *files)
{
	char cmd[4600], line[256];
	long n = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "cd %s && ls | grep -c '\\.part$'; ls | grep -c '\\.avro$'; "
		 "/usr/bin/python3 %s/tests/util/avro_read.py *.avro | grep -c '\"seq\"'",
		 dir, root);
	p = popen(cmd, "r");
	assert_non_null(p);
	if (fgets(line, sizeof(line), p))
		*parts = atoi(line);
	if (fgets(line, sizeof(line), p))
		*files = atoi(line);
	if (fgets(line, sizeof(line), p))
		n = atol(line);
	pclose(p);
	return n;
}

static void test_blocks_rotation_drain(void **state)
{
	struct totals t = {};
	struct writer *w;
	struct writer_report rep = {};
	int parts = -1, files = -1;
	__u64 now = 1795000000000000000ull, i;

	(void)state;
	fresh_dir(base);
	w = new_writer(64 * 1024, 1000, 100);
	/* 2100 records of 100 bytes: blocks of OCF_BLOCK_RECORDS_MAX, files past 64 KiB rotate. */
	for (i = 0; i < 2100; i++)
		record(w, i, 100, now, &t);
	pump(w, &t);
	/* An old block is written by a tick, a young one is not. */
	record(w, 2100, 10, now, &t);
	writer_tick(w, &ring, now + 50 * MS, false, &rep);
	add(&t, &rep);
	pump(w, &t);
	assert_int_equal(t.recorded, 2 * OCF_BLOCK_RECORDS_MAX);
	writer_tick(w, &ring, now + 150 * MS, false, &rep);
	pump(w, &t);
	add(&t, &rep);
	assert_int_equal(t.recorded, 2101);
	/* Rotation by request: a new file for the next records. */
	memset(&rep, 0, sizeof(rep));
	writer_tick(w, &ring, now + 151 * MS, true, &rep);
	add(&t, &rep);
	record(w, 2101, 10, now + 152 * MS, &t);
	drain(w, &t);
	assert_int_equal(t.recorded, 2102);
	assert_int_equal(t.dropped, 0);
	assert_int_equal(t.errors, 0);
	assert_int_equal(t.bytes, 2100 * 100 + 10 + 10);
	assert_int_equal(read_back(&parts, &files), 2102);
	assert_int_equal(parts, 0);
	assert_true(files >= 3); /* rotated by size at least once, and on request */
	assert_int_equal(t.opened, (__u64)files);
	assert_int_equal(t.closed, (__u64)files);
}

static void test_rotation_by_age(void **state)
{
	struct totals t = {};
	struct writer_report rep = {};
	struct writer *w;
	int parts, files;
	__u64 now = 1795000000000000000ull;

	(void)state;
	fresh_dir(base);
	w = new_writer(1ull << 30, 1000, 10);
	record(w, 0, 100, now, &t);
	writer_tick(w, &ring, now + 20 * MS, false, &rep); /* flushed, file stays */
	add(&t, &rep);
	pump(w, &t);
	memset(&rep, 0, sizeof(rep));
	writer_tick(w, &ring, now + 1001 * MS, false, &rep); /* a second old: closed */
	add(&t, &rep);
	assert_true(rep.closed[0]);
	record(w, 1, 100, now + 1002 * MS, &t);
	drain(w, &t);
	assert_int_equal(read_back(&parts, &files), 2);
	assert_int_equal(files, 2);
	assert_int_equal(parts, 0);
}

/* A full disk: the block that does not fit is dropped and counted; the file stays readable. */
/*
 * A file removed within the second it started (retention on tiny files) does not give its
 * name to the next file of that second: a name is never used twice.
 */
static void test_name_never_reused(void **state)
{
	struct totals t = {};
	struct writer_report rep = {};
	char path[4200];
	struct writer *w;
	int parts, files;
	__u64 now = 1795000000000000000ull;

	(void)state;
	fresh_dir(base);
	w = new_writer(1ull << 30, 10000, 10);
	record(w, 0, 100, now, &t);
	writer_tick(w, &ring, now + 20 * MS, true, &rep); /* rotation on request: -1 closes */
	add(&t, &rep);
	pump(w, &t);
	assert_int_equal(t.closed, 1);
	snprintf(path, sizeof(path), "%s/wtest-q3-20261118T110640Z-1.avro", dir);
	assert_int_equal(unlink(path), 0); /* as retention would */
	record(w, 1, 100, now + 30 * MS, &t);
	drain(w, &t);
	assert_int_equal(read_back(&parts, &files), 1);
	assert_int_equal(files, 1);
	snprintf(path, sizeof(path), "%s/wtest-q3-20261118T110640Z-2.avro", dir);
	assert_int_equal(access(path, F_OK), 0);
}

static void test_disk_full(void **state)
{
	struct totals t = {};
	struct writer *w;
	int parts = -1, files = -1;
	long got;
	__u64 now = 1795000000000000000ull, i;
	char full[128];

	(void)state;

	snprintf(full, sizeof(full), "%s/full", base);
	assert_int_equal(mkdir(full, 0755), 0);
	assert_int_equal(mount("tmpfs", full, "tmpfs", 0, "size=256k"), 0);
	fresh_dir(full);
	w = new_writer(1ull << 30, 3600000, 100);
	/* 3000 records of 400 bytes (about 1.2 MB) into 256 KiB. */
	for (i = 0; i < 3000; i++) {
		record(w, i, 400, now, &t);
		pump(w, &t);
	}
	drain(w, &t);
	assert_true(t.errors > 0);
	assert_true(t.dropped > 0);
	assert_int_equal(t.recorded + t.dropped, 3000);
	got = read_back(&parts, &files);
	/* Every record counted as recorded is in a file that reads to its end. */
	assert_int_equal(got, (long)t.recorded);
	assert_int_equal(parts, 0);
	printf("[ INFO     ] disk full: %llu recorded, %llu dropped, %llu write errors, %d files\n",
	       (unsigned long long)t.recorded, (unsigned long long)t.dropped,
	       (unsigned long long)t.errors, files);
	close(dir_fd);
	dir_fd = -1;
	assert_int_equal(umount(full), 0);
}

/* Add records of 16 bytes to @w until it refuses one; returns how many it took and the error. */
static __u64 add_until_refused(struct writer *w, __u64 first, int *ret_err)
{
	static __u8 payload[16];
	__u64 now = 1795000000000000000ull, i;
	__u8 hdr[XRELAY_PACKET_HDR_MAX];
	int r = 0;

	for (i = first; i < first + 200000; i++) {
		struct writer_report rep = {};
		size_t n = envelope(hdr, i, now, sizeof(payload));

		r = writer_add(w, &ring, hdr, n, payload, sizeof(payload), now, &rep);
		if (r)
			break;
	}
	*ret_err = r;
	return i - first;
}

/*
 * Every block buffer busy (a disk slower than the traffic): the record is refused with its own
 * error, -ENOBUFS (the shard counts buffer_full), not a write failure; once the writes
 * complete, recording goes on and every record taken is in the file.
 */
static void test_buffers_busy(void **state)
{
	__u64 now = 1795000000000000000ull, taken;
	int r, parts = -1, files = -1;
	struct totals t = {};
	struct writer *w;

	(void)state;
	fresh_dir(base);
	w = new_writer(1ull << 40, 1000000, 1000000);
	/* No completion is reaped: every finished block stays busy until pump(). */
	taken = add_until_refused(w, 0, &r);
	assert_int_equal(r, -ENOBUFS);
	assert_true(taken >= 63 * OCF_BLOCK_RECORDS_MAX);
	pump(w, &t);
	record(w, taken, 16, now, &t); /* room again */
	taken++;
	drain(w, &t);
	assert_int_equal(t.recorded, taken);
	assert_int_equal(t.dropped + t.dropped_no_file + t.errors, 0);
	assert_int_equal(read_back(&parts, &files), (long)taken);
}

/*
 * A block whose file cannot be opened (here: its folder was removed) is reported as records
 * without a file (the shard counts no_writer), not as a failed write.
 */
static void test_no_file(void **state)
{
	struct writer_report rep = {};
	struct totals t = {};
	__u64 now = 1795000000000000000ull;
	struct writer *w;

	(void)state;
	fresh_dir(base);
	w = new_writer(1ull << 30, 1000, 10);
	assert_int_equal(rmdir(dir), 0);
	record(w, 0, 100, now, &t);
	record(w, 1, 100, now, &t);
	writer_tick(w, &ring, now + 20 * MS, false, &rep); /* flush: the file is opened now */
	add(&t, &rep);
	assert_int_equal(rep.dropped_no_file, 2);
	assert_int_equal(rep.dropped, 0);
	assert_int_equal(rep.error, -ENOENT);
	drain(w, &t);
	assert_int_equal(t.recorded, 0);
}

/*
 * One memory budget for every writer: a burst takes buffers up to it, the next record is
 * refused (-ENOBUFS, counted buffer_full) rather than memory grown; once written, the burst's
 * buffers past the few a writer keeps go back, and another writer can record again.
 */
static void test_memory_budget(void **state)
{
	const struct ocf_block_opts bo = { .codec = OCF_CODEC_NULL,
					   .max_records = OCF_BLOCK_RECORDS_MAX };
	struct ocf_block *probe;
	struct budget budget = {};
	struct totals ta = {}, tb = {};
	struct writer *a, *b;
	__u64 fp, took;
	int r;

	(void)state;
	assert_int_equal(ocf_block_new(&bo, &probe), 0);
	fp = ocf_block_footprint(probe);
	ocf_block_free(probe);
	budget.limit = 6 * fp;
	next_budget = &budget;
	fresh_dir(base);
	a = new_writer(1ull << 40, 1000000, 1000000);
	fresh_dir(base);
	b = new_writer(1ull << 40, 1000000, 1000000);
	next_budget = NULL;

	took = add_until_refused(a, 0, &r);
	assert_int_equal(r, -ENOBUFS);
	assert_int_equal(took, 6 * OCF_BLOCK_RECORDS_MAX); /* 6 blocks, all being written */
	assert_int_equal(budget.used, 6 * fp);
	assert_int_equal(add_until_refused(b, 0, &r), 0); /* b gets nothing */
	assert_int_equal(r, -ENOBUFS);
	pump(a, &ta);
	assert_int_equal(ta.recorded, 6 * OCF_BLOCK_RECORDS_MAX);
	/* a keeps 4 idle buffers; the other two went back: b records two blocks' worth. */
	assert_int_equal(budget.used, 4 * fp);
	took = add_until_refused(b, 0, &r);
	assert_int_equal(r, -ENOBUFS);
	assert_int_equal(took, 2 * OCF_BLOCK_RECORDS_MAX);
	drain(a, &ta);
	drain(b, &tb);
	assert_int_equal(ta.recorded, 6 * OCF_BLOCK_RECORDS_MAX);
	assert_int_equal(tb.recorded, 2 * OCF_BLOCK_RECORDS_MAX);
	assert_int_equal(budget.used, 0); /* every byte back */
}

static int setup(void **state)
{
	(void)state;
	if (getenv("XRELAY_ROOT"))
		snprintf(root, sizeof(root), "%s", getenv("XRELAY_ROOT"));
	else if (!getcwd(root, sizeof(root)))
		return -1;
	(void)testenv_enter(); /* a private mount namespace: the tmpfs below is ours alone */
	if (!mkdtemp(base) || mount("tmpfs", base, "tmpfs", 0, "size=64m"))
		return -1;
	return io_uring_queue_init(256, &ring, 0);
}

static int teardown(void **state)
{
	(void)state;
	io_uring_queue_exit(&ring);
	if (dir_fd >= 0)
		close(dir_fd);
	(void)umount2(base, MNT_DETACH); /* everything written goes with it */
	(void)rmdir(base);
	testenv_leave();
	return 0;
}

/*
 * Records whose payload comes in pieces (a datagram over several UMEM frames): written as the
 * joined payload, which python3-avro reads back byte for byte; too many pieces are refused.
 */
static void test_pieces(void **state)
{
	static __u8 payload[8000];
	struct iovec iov[WRITER_PIECES_MAX + 1];
	__u8 hdr[XRELAY_PACKET_HDR_MAX];
	struct writer_report rep = {};
	struct totals t = {};
	__u64 now = 1795000000000000000ull;
	char cmd[4600], want[64], line[20000];
	struct writer *w;
	int i, parts = -1, files = -1;
	size_t n;
	FILE *p;

	(void)state;
	for (i = 0; i < (int)sizeof(payload); i++)
		payload[i] = (__u8)(i * 7 + i / 256);
	fresh_dir(base);
	w = new_writer(1 << 20, 1000, 100);
	n = envelope(hdr, 0, now, sizeof(payload));
	iov[0] = (struct iovec){ .iov_base = payload, .iov_len = 3000 };
	iov[1] = (struct iovec){ .iov_base = payload + 3000, .iov_len = 0 };
	iov[2] = (struct iovec){ .iov_base = payload + 3000, .iov_len = 3840 };
	iov[3] = (struct iovec){ .iov_base = payload + 6840, .iov_len = 1160 };
	for (i = 0; i < 3; i++) {
		assert_int_equal(writer_addv(w, &ring, hdr, n, iov, 4, now, &rep), 0);
		add(&t, &rep);
	}
	assert_int_equal(writer_addv(w, &ring, hdr, n, iov, WRITER_PIECES_MAX + 1, now, &rep),
			 -EMSGSIZE);
	drain(w, &t);
	assert_int_equal(t.recorded, 3);
	assert_int_equal(t.bytes, 3 * sizeof(payload));
	assert_int_equal(read_back(&parts, &files), 3);
	/* The first record's payload, as the reader prints it (hex), is the whole payload. */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && /usr/bin/python3 %s/tests/util/avro_read.py *.avro | sed -n 2p | "
		 "/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[\"payload\"])'",
		 dir, root);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	pclose(p);
	assert_int_equal(strlen(line), 2 * sizeof(payload) + 1);
	for (i = 0; i < (int)sizeof(payload); i += 997) {
		snprintf(want, sizeof(want), "%02x", payload[i]);
		assert_memory_equal(line + 2 * i, want, 2);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks_rotation_drain),
		cmocka_unit_test(test_rotation_by_age),
		cmocka_unit_test(test_name_never_reused),
		cmocka_unit_test(test_disk_full),
		cmocka_unit_test(test_buffers_busy),
		cmocka_unit_test(test_no_file),
		cmocka_unit_test(test_memory_budget),
		cmocka_unit_test(test_pieces),
	};

	return cmocka_run_group_tests_name("writer", tests, setup, teardown);
}
