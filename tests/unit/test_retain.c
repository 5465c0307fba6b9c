// SPDX-License-Identifier: MIT
/*
 * Retention (dataplane/retain.c) on real files and real maps: --keep-free parsing, a channel's
 * max_age and max_bytes (oldest first, .part files and foreign names left alone), a file a
 * reader holds a shared flock on skipped until released, --keep-free on a 1 MiB tmpfs across
 * channels and an orphan folder, and the counters in the file's (queue, channel) row.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../dataplane/retain.h"
#include "testenv.h"
#include "xrelay/clock.h"

#define NS 1000000000ull

static const char *bpffs;
static int dir_seq;

struct fx {
	char pin[256];
	char out[64];
	int out_fd;
	struct mapctl *m;
	struct retain *r;
	__u64 now;
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	char err[512] = "";

	assert_non_null(x);
	snprintf(x->pin, sizeof(x->pin), "%s/r%d", bpffs, ++dir_seq);
	if (mapctl_open(x->pin, MAPCTL_F_CREATE, &x->m, err, sizeof(err)))
		fail_msg("mapctl_open: %s", err);
	snprintf(x->out, sizeof(x->out), "/tmp/xrelay-retain-XXXXXX");
	assert_non_null(mkdtemp(x->out));
	x->out_fd = open(x->out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(x->out_fd >= 0);
	x->now = clock_ns(CLOCK_REALTIME);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	retain_free(x->r);
	mapctl_close(x->m);
	close(x->out_fd);
	(void)testenv_sh("umount %s 2>/dev/null; rm -rf %s", x->out, x->out);
	free(x);
	return 0;
}

static void make_retain(struct fx *x, struct retain_keep keep)
{
	const struct retain_opts o = {
		.out_fd = x->out_fd, .out_dir = x->out, .m = x->m, .keep = keep
	};

	assert_int_equal(retain_new(&o, &x->r), 0);
}

static __u32 add(struct fx *x, const char *name, __u16 port, __u32 max_age, __u64 max_bytes)
{
	struct xrelay_channel_cfg cfg;
	__u32 id;

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.name, sizeof(cfg.name), "%s", name);
	assert_int_equal(mapctl_key_from_str(&cfg.key, "127.0.0.1", port), 0);
	cfg.flags = XRELAY_CH_F_RECORD;
	cfg.retain_seconds = max_age;
	cfg.retain_bytes = max_bytes;
	assert_int_equal(mapctl_channel_add(x->m, &cfg, &id), 0);
	return id;
}

/* @folder/@name of @size bytes, last written @age_s seconds before x->now. */
static void mkfile(struct fx *x, const char *folder, const char *name, size_t size, __u64 age_s)
{
	char path[512];
	struct timespec t[2];
	char *buf = calloc(1, size + 1);
	int fd;

	assert_non_null(buf);
	snprintf(path, sizeof(path), "%s/%s", x->out, folder);
	(void)mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", x->out, folder, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, size), (ssize_t)size);
	t[0].tv_sec = t[1].tv_sec = (time_t)((x->now - age_s * NS) / NS);
	t[0].tv_nsec = t[1].tv_nsec = 0;
	assert_int_equal(futimens(fd, t), 0);
	close(fd);
	free(buf);
}

static bool exists(struct fx *x, const char *folder, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s/%s", x->out, folder, name);
	return access(path, F_OK) == 0;
}

static void deleted(struct fx *x, __u32 id, __u64 files, __u64 bytes)
{
	struct mapctl_chan_totals t;

	assert_int_equal(mapctl_channel_totals(x->m, id, &t), 0);
	assert_int_equal(t.dp.files_deleted, files);
	assert_int_equal(t.dp.bytes_deleted, bytes);
}

static void test_parse_keep(void **state)
{
	static const char *const bad[] = { "",	"%",   "100%", "-1",	    "10x", "1.5G",
					   "G", "1KB", " 5",   "16777216T", "5% ", "0x10" };
	struct retain_keep k;
	size_t i;

	(void)state;
	assert_int_equal(retain_parse_keep("10%", &k), 0);
	assert_true(k.percent && k.value == 10);
	assert_int_equal(retain_parse_keep("0", &k), 0);
	assert_true(!k.percent && k.value == 0);
	assert_int_equal(retain_parse_keep("0%", &k), 0);
	assert_true(k.percent && k.value == 0);
	assert_int_equal(retain_parse_keep("99%", &k), 0);
	assert_int_equal(retain_parse_keep("512M", &k), 0);
	assert_true(!k.percent && k.value == 512ull << 20);
	assert_int_equal(retain_parse_keep("2G", &k), 0);
	assert_true(k.value == 2ull << 30);
	assert_int_equal(retain_parse_keep("1T", &k), 0);
	assert_true(k.value == 1ull << 40);
	assert_int_equal(retain_parse_keep("4K", &k), 0);
	assert_true(k.value == 4096);
	assert_int_equal(retain_parse_keep("1048577", &k), 0);
	assert_true(k.value == 1048577);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		k.value = 77;
		if (retain_parse_keep(bad[i], &k) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
		assert_int_equal(k.value, 77);
	}
}

static void test_max_age(void **state)
{
	struct fx *x = *state;
	struct retain_report rep;
	__u32 id, other;

	id = add(x, "a", 5000, 100, 0);
	other = add(x, "b", 5001, 0, 0);
	make_retain(x, (struct retain_keep){ 0 });
	mkfile(x, "a", "a-q0-20260101T000000Z-1.avro", 1000, 200);
	mkfile(x, "a", "a-q1-20260101T000000Z-1.avro", 1500, 150);
	mkfile(x, "a", "a-q0-20260101T000001Z-1.avro", 700, 50);
	mkfile(x, "a", "a-q0-20260101T000002Z-1.avro.part", 900, 500);
	mkfile(x, "a", "notes.avro", 10, 1000);
	mkfile(x, "b", "b-q0-20260101T000000Z-1.avro", 10, 1000);

	/* Limits not due, space plenty: nothing is even looked at. */
	assert_int_equal(retain_pass(x->r, x->now, false, &rep), 0);
	assert_int_equal(rep.scanned, 0);
	assert_true(exists(x, "a", "a-q0-20260101T000000Z-1.avro"));

	assert_int_equal(retain_pass(x->r, x->now, true, &rep), 0);
	assert_int_equal(rep.scanned, 1); /* b has no limits: not scanned */
	assert_int_equal(rep.removed, 2);
	assert_int_equal(rep.bytes, 2500);
	assert_false(exists(x, "a", "a-q0-20260101T000000Z-1.avro"));
	assert_false(exists(x, "a", "a-q1-20260101T000000Z-1.avro"));
	assert_true(exists(x, "a", "a-q0-20260101T000001Z-1.avro"));
	assert_true(exists(x, "a", "a-q0-20260101T000002Z-1.avro.part"));
	assert_true(exists(x, "a", "notes.avro"));
	assert_true(exists(x, "b", "b-q0-20260101T000000Z-1.avro"));
	/* Each in the row of its file's queue. */
	assert_int_equal(mapctl_dp_stats(x->m)[XRELAY_DP_INDEX(0, id)].files_deleted, 1);
	assert_int_equal(mapctl_dp_stats(x->m)[XRELAY_DP_INDEX(0, id)].bytes_deleted, 1000);
	assert_int_equal(mapctl_dp_stats(x->m)[XRELAY_DP_INDEX(1, id)].files_deleted, 1);
	assert_int_equal(mapctl_dp_stats(x->m)[XRELAY_DP_INDEX(1, id)].bytes_deleted, 1500);
	deleted(x, id, 2, 2500);
	deleted(x, other, 0, 0);

	/* Nothing more is old enough. */
	assert_int_equal(retain_pass(x->r, x->now, true, &rep), 0);
	assert_int_equal(rep.removed, 0);
}

static void test_max_bytes(void **state)
{
	struct fx *x = *state;
	struct retain_report rep;
	char name[64];
	__u32 id;
	int i;

	id = add(x, "feed-b", 5000, 0, 3000);
	make_retain(x, (struct retain_keep){ 0 });
	for (i = 1; i <= 5; i++) {
		snprintf(name, sizeof(name), "feed-b-q0-20260101T00000%dZ-1.avro", i);
		mkfile(x, "feed-b", name, 1000, (__u64)(10 - i));
	}
	mkfile(x, "feed-b", "feed-b-q0-20260101T000009Z-1.avro.part", 500, 0);
	/* 5500 bytes in all, the .part included: the three oldest go (4500, 3500, 2500). */
	assert_int_equal(retain_pass(x->r, x->now, true, &rep), 0);
	assert_int_equal(rep.removed, 3);
	for (i = 1; i <= 5; i++) {
		snprintf(name, sizeof(name), "feed-b-q0-20260101T00000%dZ-1.avro", i);
		assert_int_equal(exists(x, "feed-b", name), i > 3);
	}
	deleted(x, id, 3, 3000);
}

static void test_locked_skipped(void **state)
{
	struct fx *x = *state;
	struct retain_report rep;
	char path[512];
	__u32 id;
	int fd;

	id = add(x, "c", 5000, 10, 0);
	make_retain(x, (struct retain_keep){ 0 });
	mkfile(x, "c", "c-q0-20260101T000000Z-1.avro", 100, 30);
	mkfile(x, "c", "c-q0-20260101T000001Z-1.avro", 200, 20);
	snprintf(path, sizeof(path), "%s/c/c-q0-20260101T000000Z-1.avro", x->out);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_SH), 0);
	assert_int_equal(retain_pass(x->r, x->now, true, &rep), 0);
	assert_int_equal(rep.removed, 1);
	assert_int_equal(rep.busy, 1);
	assert_true(exists(x, "c", "c-q0-20260101T000000Z-1.avro"));
	assert_false(exists(x, "c", "c-q0-20260101T000001Z-1.avro"));
	deleted(x, id, 1, 200);
	/* The reader is done: the next pass takes it. */
	close(fd);
	assert_int_equal(retain_pass(x->r, x->now, true, &rep), 0);
	assert_int_equal(rep.removed, 1);
	assert_int_equal(rep.busy, 0);
	assert_false(exists(x, "c", "c-q0-20260101T000000Z-1.avro"));
	deleted(x, id, 2, 300);
}

static void test_keep_free(void **state)
{
	struct fx *x = *state;
	struct retain_report rep;
	char name[64];
	__u32 id;
	int i;

	if (testenv_sh("mount -t tmpfs -o size=1m xrelay-test %s", x->out))
		skip();
	close(x->out_fd);
	x->out_fd = open(x->out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(x->out_fd >= 0);
	id = add(x, "d", 5000, 0, 0);
	make_retain(x, (struct retain_keep){ .value = 50, .percent = true });
	/* An orphan folder (no channel) holds the oldest file; d four of 200 KiB; 900 KiB. */
	mkfile(x, "gone", "gone-q0-20260101T000000Z-1.avro", 100 << 10, 100);
	for (i = 1; i <= 4; i++) {
		snprintf(name, sizeof(name), "d-q0-20260101T00000%dZ-1.avro", i);
		mkfile(x, "d", name, 200 << 10, (__u64)(50 - i));
	}
	/* ~124 KiB free, 512 KiB wanted: the orphan's and d's two oldest (500 KiB) go. */
	assert_int_equal(retain_pass(x->r, x->now, false, &rep), 0);
	assert_int_equal(rep.removed, 3);
	assert_int_equal(rep.short_bytes, 0);
	assert_false(exists(x, "gone", "gone-q0-20260101T000000Z-1.avro"));
	assert_false(exists(x, "d", "d-q0-20260101T000001Z-1.avro"));
	assert_false(exists(x, "d", "d-q0-20260101T000002Z-1.avro"));
	assert_true(exists(x, "d", "d-q0-20260101T000003Z-1.avro"));
	assert_true(exists(x, "d", "d-q0-20260101T000004Z-1.avro"));
	deleted(x, id, 2, 400 << 10);
	/* Enough free now: nothing more. */
	assert_int_equal(retain_pass(x->r, x->now, false, &rep), 0);
	assert_int_equal(rep.scanned, 0);
	assert_int_equal(rep.removed, 0);
}

static void test_thread_stops(void **state)
{
	struct fx *x = *state;
	__u32 id;
	int i;

	id = add(x, "e", 5000, 1, 0);
	make_retain(x, (struct retain_keep){ 0 });
	mkfile(x, "e", "e-q3-20260101T000000Z-1.avro", 64, 10);
	assert_int_equal(retain_start(x->r), 0);
	/* Limits are applied at once when the thread starts, then every second. */
	for (i = 0; i < 100 && exists(x, "e", "e-q3-20260101T000000Z-1.avro"); i++)
		usleep(20000);
	assert_false(exists(x, "e", "e-q3-20260101T000000Z-1.avro"));
	assert_int_equal(mapctl_dp_stats(x->m)[XRELAY_DP_INDEX(3, id)].files_deleted, 1);
	retain_free(x->r);
	x->r = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_keep),
		cmocka_unit_test_setup_teardown(test_max_age, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_free, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thread_stops, setup, teardown),
	};
	int r;

	bpffs = testenv_enter();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	testenv_leave();
	return r;
}
