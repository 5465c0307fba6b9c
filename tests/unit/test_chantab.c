// SPDX-License-Identifier: MIT
/*
 * A worker's channel table (dataplane/chantab.c) and the process's following of the config
 * (dataplane/follow.c) against real maps pinned in a private bpffs, edited through lib/mapctl
 * as the API does: a channel opens on its first frame, follows a change once the main thread
 * publishes it, and a removed one records through its grace, then its files are closed and
 * renamed, and only then its id is released. A real io_uring writes the files.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "../../dataplane/chantab.h"
#include "../../dataplane/follow.h"
#include "../../dataplane/shard.h"
#include "testenv.h"

static const char *bpffs;
static int dir_seq;

/* One fake worker of queue 0: the real table, ring, send path and follower, no thread. */
struct fx {
	char pin[256];
	char out[64];
	struct dp dp;
	struct io_uring ring;
	struct resend rs;
	struct chantab tab;
};

static void alive(struct mapctl *m)
{
	struct xrelay_meta *meta = mapctl_meta(m);

	/* Removals then leave the slot DRAINING for us to release (mapctl.h invariant 2). */
	meta->dp_pid = (__u32)getpid();
	meta->heartbeat_ns = clock_ns(CLOCK_MONOTONIC);
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	char err[512] = "";

	assert_non_null(x);
	snprintf(x->pin, sizeof(x->pin), "%s/c%d", bpffs, ++dir_seq);
	if (mapctl_open(x->pin, MAPCTL_F_CREATE, &x->dp.m, err, sizeof(err)))
		fail_msg("mapctl_open: %s", err);
	alive(x->dp.m);
	snprintf(x->out, sizeof(x->out), "/tmp/xrelay-chantab-XXXXXX");
	assert_non_null(mkdtemp(x->out));
	x->dp.out_fd = open(x->out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(x->dp.out_fd >= 0);
	x->dp.o.out_dir = x->out;
	x->dp.o.ifname = "lo";
	x->dp.o.xsk_tx_off = true;
	x->dp.o.codec = OCF_CODEC_NULL;
	x->dp.o.rotate_bytes = 1ull << 30;
	x->dp.o.rotate_seconds = 3600;
	x->dp.o.flush_ms = 10;
	assert_int_equal(io_uring_queue_init(256, &x->ring, 0), 0);
	assert_int_equal(resend_init(&x->rs, &x->ring, NULL, x->dp.m, 0, "lo", true), 0);
	assert_int_equal(follow_new(x->dp.m, 1, "lo", 1, &x->dp.follow), 0);
	chantab_init(&x->tab, &x->dp, 0, &x->ring, &x->rs);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	chantab_fini(&x->tab);
	follow_free(x->dp.follow);
	resend_fini(&x->rs);
	io_uring_queue_exit(&x->ring);
	mapctl_close(x->dp.m);
	close(x->dp.out_fd);
	(void)testenv_sh("rm -rf %s", x->out);
	free(x);
	return 0;
}

static __u32 add(struct fx *x, const char *name, __u16 port, unsigned int ndests)
{
	struct xrelay_channel_cfg cfg;
	__u32 id, i;

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.name, sizeof(cfg.name), "%s", name);
	assert_int_equal(mapctl_key_from_str(&cfg.key, "127.0.0.1", port), 0);
	cfg.flags = XRELAY_CH_F_RECORD;
	cfg.ndests = ndests;
	for (i = 0; i < ndests; i++) {
		cfg.dests[i].addr[10] = 0xff;
		cfg.dests[i].addr[11] = 0xff;
		cfg.dests[i].addr[12] = 127;
		cfg.dests[i].addr[15] = 1;
		cfg.dests[i].port = htons((__u16)(9000 + i));
		cfg.dests[i].ttl = 1;
		cfg.dests[i].every = 1;
	}
	assert_int_equal(mapctl_channel_add(x->dp.m, &cfg, &id), 0);
	return id;
}

static __u32 state_of(struct fx *x, __u32 id)
{
	struct xrelay_channel_cfg cfg;

	assert_int_equal(mapctl_channel_get(x->dp.m, id, &cfg), 0);
	return cfg.state;
}

/* Completions to their owners, as the worker's loop does. */
static void reap(struct fx *x)
{
	struct __kernel_timespec ts = { .tv_nsec = 5 * 1000000 };
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;

	(void)io_uring_submit(&x->ring);
	(void)io_uring_wait_cqe_timeout(&x->ring, &cqe, &ts);
	io_uring_for_each_cqe(&x->ring, head, cqe)
	{
		n++;
		if (cqetag_is_send(cqe->user_data))
			resend_complete(&x->rs, cqetag_slot(cqe->user_data), cqe->res);
		else if (cqe->user_data && cqe->user_data != LIBURING_UDATA_TIMEOUT)
			shard_complete(cqetag_to_wop(cqe->user_data), cqe->res);
	}
	io_uring_cq_advance(&x->ring, n);
}

/* Record @n datagrams into @wc's shard, as a frame of the channel would be. */
static void record(struct fx *x, struct wchan *wc, unsigned int n)
{
	static const __u8 src[4] = { 10, 0, 0, 1 }, dst[4] = { 127, 0, 0, 1 };
	static const __u8 payload[32] = "chantab test payload";
	struct frame_pkt k = { .src = src,
			       .dst = dst,
			       .alen = 4,
			       .sport = 1234,
			       .dport = 5000,
			       .payload = payload,
			       .plen = sizeof(payload) };
	struct shard *s = chantab_shard(&x->tab, wc);
	unsigned int i;

	assert_non_null(s);
	for (i = 0; i < n; i++)
		shard_record(s, i, clock_ns(CLOCK_REALTIME), &k, NULL, clock_ns(CLOCK_REALTIME));
}

/* How many files in <out>/@name end in @suffix. */
static int files(struct fx *x, const char *name, const char *suffix)
{
	char path[512];
	struct dirent *de;
	size_t sl = strlen(suffix);
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", x->out, name);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l >= sl && !strcmp(de->d_name + l - sl, suffix))
			n++;
	}
	closedir(d);
	return n;
}

/* Turn the worker's and the main thread's loops until @done or 3 s. */
#define TURN_UNTIL(x, done)                                                       \
	do {                                                                      \
		__u64 until_ = clock_ns(CLOCK_MONOTONIC) + 3000000000ull;         \
		while (!(done) && clock_ns(CLOCK_MONOTONIC) < until_) {           \
			chantab_tick(&(x)->tab, clock_ns(CLOCK_REALTIME), false); \
			reap(x);                                                  \
			chantab_reconcile(&(x)->tab);                             \
			follow_tick((x)->dp.follow);                              \
		}                                                                 \
	} while (0)

static void test_open_on_first_frame(void **state)
{
	struct fx *x = *state;
	__u32 id = add(x, "first", 5000, 2);
	struct wchan *wc;

	assert_null(x->tab.ch[id]);
	wc = chantab_get(&x->tab, id);
	assert_non_null(wc);
	assert_ptr_equal(chantab_get(&x->tab, id), wc);
	assert_string_equal(wc->cfg.name, "first");
	assert_int_equal(wc->cfg.ndests, 2);
	assert_true(wc->dests.socks[0].fd >= 0);
	assert_true(wc->dests.socks[1].fd >= 0);
	assert_null(wc->shard); /* no file before the first record */
	assert_int_equal(files(x, "first", ".avro.part"), -1);
	/* An id with no active channel opens nothing. */
	assert_null(chantab_get(&x->tab, id + 1));
	assert_null(x->tab.ch[id + 1]);
}

/* A change reaches the worker through the published snapshot, not before. */
static void test_follow_change(void **state)
{
	struct fx *x = *state;
	__u32 id = add(x, "change", 5001, 1);
	struct xrelay_channel_cfg cfg;
	struct wchan *wc = chantab_get(&x->tab, id);
	__u64 gen;

	assert_non_null(wc);
	record(x, wc, 3);
	cfg = wc->cfg;
	cfg.ndests = 2;
	cfg.dests[1] = cfg.dests[0];
	cfg.dests[1].port = htons(9100);
	cfg.flags = 0; /* record off */
	assert_int_equal(mapctl_channel_update(x->dp.m, "change", &cfg), 0);
	gen = mapctl_gen(x->dp.m);

	chantab_reconcile(&x->tab);
	assert_int_equal(wc->cfg.ndests, 1); /* nothing published yet */
	follow_tick(x->dp.follow);
	assert_int_equal(mapctl_gen(x->dp.m), gen); /* the follower does not bump */
	chantab_reconcile(&x->tab);
	assert_ptr_equal(x->tab.ch[id], wc);
	assert_int_equal(wc->cfg.ndests, 2);
	assert_int_equal(wc->cfg.flags & XRELAY_CH_F_RECORD, 0);
	assert_true(wc->dests.socks[1].fd >= 0);
	assert_int_equal(ntohs(wc->dests.socks[1].addr.sin.sin_port), 9100);
	assert_int_equal(wc->close_at, 0);
	assert_null(wc->shard);
	/* Record off: the shard's file is closed and renamed; the worker reports the gen. */
	TURN_UNTIL(x, chantab_drained(&x->tab) && mapctl_meta(x->dp.m)->dp_seen_gen == gen);
	assert_true(chantab_drained(&x->tab));
	assert_int_equal(mapctl_meta(x->dp.m)->dp_seen_gen, gen);
	assert_int_equal(files(x, "change", ".avro.part"), 0);
	assert_int_equal(files(x, "change", ".avro"), 1);
	assert_int_equal(stats_row(x->dp.m, 0, id)->recorded_packets, 3);
}

/* Removed: recorded through the grace, closed, then (and only then) the id released. */
static void test_drain_and_release(void **state)
{
	struct fx *x = *state;
	__u32 id = add(x, "gone", 5002, 1);
	struct wchan *wc = chantab_get(&x->tab, id);
	__u64 t0, t1, gen;

	assert_non_null(wc);
	record(x, wc, 5);
	alive(x->dp.m);
	assert_int_equal(mapctl_channel_remove(x->dp.m, "gone", NULL), 0);
	gen = mapctl_gen(x->dp.m);
	assert_int_equal(state_of(x, id), XRELAY_CH_DRAINING);

	follow_tick(x->dp.follow);
	t0 = clock_ns(CLOCK_MONOTONIC);
	chantab_reconcile(&x->tab);
	t1 = clock_ns(CLOCK_MONOTONIC);
	assert_int_equal(mapctl_gen(x->dp.m), gen);
	/* In its grace: still served, its files open, the id not released. */
	assert_ptr_equal(x->tab.ch[id], wc);
	assert_true(wc->close_at >= t0 + CHANTAB_CLOSE_GRACE_NS &&
		    wc->close_at <= t1 + CHANTAB_CLOSE_GRACE_NS);
	record(x, wc, 2);
	chantab_tick(&x->tab, clock_ns(CLOCK_REALTIME) + 1000000000ull, false); /* block due */
	reap(x);
	follow_tick(x->dp.follow);
	assert_int_equal(state_of(x, id), XRELAY_CH_DRAINING);
	assert_true(mapctl_meta(x->dp.m)->dp_seen_gen < gen);
	assert_int_equal(files(x, "gone", ".avro.part"), 1);

	TURN_UNTIL(x, state_of(x, id) == XRELAY_CH_FREE);
	assert_true(clock_ns(CLOCK_MONOTONIC) - t0 >= CHANTAB_CLOSE_GRACE_NS);
	assert_null(x->tab.ch[id]);
	assert_true(chantab_drained(&x->tab));
	assert_int_equal(state_of(x, id), XRELAY_CH_FREE);
	assert_true(mapctl_meta(x->dp.m)->dp_seen_gen >= gen);
	assert_int_equal(files(x, "gone", ".avro.part"), 0);
	assert_int_equal(files(x, "gone", ".avro"), 1);
	assert_int_equal(stats_row(x->dp.m, 0, id)->recorded_packets, 7);
	/* A frame stamped with the old id now opens nothing. */
	assert_null(chantab_get(&x->tab, id));
}

/*
 * A snapshot taken before a channel was added says nothing about it: the worker that opened
 * it on its first frame keeps it (slot generations only grow).
 */
static void test_older_snapshot_keeps_newer_channel(void **state)
{
	struct fx *x = *state;
	__u32 id;

	(void)add(x, "before", 5003, 0);
	follow_tick(x->dp.follow); /* published: "later" does not exist yet */
	id = add(x, "later", 5004, 0);
	assert_non_null(chantab_get(&x->tab, id));
	chantab_reconcile(&x->tab);
	assert_non_null(x->tab.ch[id]);
	assert_int_equal(x->tab.ch[id]->close_at, 0);
	assert_int_equal(x->tab.closing, 0);
	follow_tick(x->dp.follow);
	chantab_reconcile(&x->tab);
	assert_int_equal(x->tab.ch[id]->close_at, 0);
	follow_tick(x->dp.follow);
	assert_int_equal(mapctl_meta(x->dp.m)->dp_seen_gen, mapctl_gen(x->dp.m));
}

/* A snapshot the worker holds stays valid while newer ones are published. */
static void test_snapshot_outlives_publication(void **state)
{
	struct fx *x = *state;
	const struct follow_snap *s1, *s2;
	__u64 g1;

	(void)add(x, "s1", 5005, 0);
	follow_tick(x->dp.follow);
	s1 = follow_acquire(x->dp.follow);
	assert_non_null(s1);
	g1 = s1->gen;
	assert_int_equal(g1, mapctl_gen(x->dp.m));
	(void)add(x, "s2", 5006, 0);
	follow_tick(x->dp.follow);
	follow_tick(x->dp.follow);
	s2 = follow_acquire(x->dp.follow);
	assert_true(s2 != s1);
	assert_true(s2->gen > g1);
	assert_int_equal(s1->gen, g1); /* not freed: still held (ASan would tell) */
	assert_string_equal(s1->cfg[0].name, "s1");
	follow_quiesce(x->dp.follow, 0, s2);
	follow_tick(x->dp.follow); /* s1 may go now */
	assert_ptr_equal(follow_acquire(x->dp.follow), s2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_on_first_frame, setup, teardown),
		cmocka_unit_test_setup_teardown(test_follow_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drain_and_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_older_snapshot_keeps_newer_channel, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_outlives_publication, setup,
						teardown),
	};
	int r;

	bpffs = testenv_enter();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	testenv_leave();
	return r;
}
