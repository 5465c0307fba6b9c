// SPDX-License-Identifier: MIT
/*
 * The controlplane's store (controlplane/store.c) against real maps pinned in a private bpffs:
 * channel add, owner, update, delete and look-up, the listing and its cache following edits
 * of another editor, counters, the dataplane's state and sockets, and -ENODEV (the API's 503)
 * on unusable maps until they are usable again, and a reopen when the pins are replaced; PATCH-
 * like edits from two servers at once that lose nothing, and a delete on a condition.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <bpf/bpf.h>

#include "../../controlplane/store.h"
#include "testenv.h"
#include "xrelay/clock.h"
#include "xrelay/mapctl.h"

static int dir_seq;

/* A fresh pin directory per test. */
static void new_pin_dir(char *buf, size_t len)
{
	snprintf(buf, len, "%s/s%d", testenv_bpffs(), ++dir_seq);
}

/* A store on @pin, held. */
static struct store *store_held(const char *pin)
{
	struct store *s = NULL;
	char err[512] = "";
	int r;

	assert_int_equal(store_new(pin, &s), 0);
	r = store_acquire(s, err, sizeof(err));
	if (r)
		fail_msg("store_acquire(%s): %d: %s", pin, r, err);
	return s;
}

/*
 * A second editor on the same pins, as the dataplane or another API server would be; with
 * MAPCTL_F_CREATE the one that makes them.
 */
static struct mapctl *editor_open(const char *pin, unsigned int flags)
{
	struct mapctl *m = NULL;
	char err[512] = "";

	if (mapctl_open(pin, flags, &m, err, sizeof(err)))
		fail_msg("mapctl_open(%s): %s", pin, err);
	return m;
}

static void cfg_make(struct xrelay_channel_cfg *cfg, const char *name, const char *addr, __u16 port)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->name, sizeof(cfg->name), "%s", name);
	assert_int_equal(mapctl_key_from_str(&cfg->key, addr, port), 0);
	cfg->flags = XRELAY_CH_F_RECORD;
}

static void test_channel_life(void **state)
{
	struct xrelay_channel_cfg cfg, got;
	char pin[256], longname[80];
	struct store *s;
	__u32 id, id2;

	(void)state;
	new_pin_dir(pin, sizeof(pin));
	s = store_held(pin);

	cfg_make(&cfg, "feed-a", "239.1.1.1", 5000);
	assert_int_equal(store_channel_add(s, &cfg, &id), 0);
	assert_true(cfg.created_ns > 0);
	assert_int_equal(cfg.state, XRELAY_CH_ACTIVE);
	assert_int_equal(store_channel_get(s, "feed-a", &got), (int)id);
	assert_memory_equal(&got, &cfg, sizeof(cfg));

	/* Conflicts: the name; the key, whose owner the store names. */
	cfg_make(&got, "feed-a", "239.1.1.2", 5000);
	assert_int_equal(store_channel_add(s, &got, &id2), -EEXIST);
	cfg_make(&got, "feed-b", "239.1.1.1", 5000);
	assert_int_equal(store_channel_add(s, &got, &id2), -EADDRINUSE);
	memset(&got, 0, sizeof(got));
	assert_int_equal(store_channel_owner(s, &cfg.key, &got), (int)id);
	assert_string_equal(got.name, "feed-a");
	cfg_make(&got, "x", "239.1.1.1", 5001);
	assert_int_equal(store_channel_owner(s, &got.key, &got), -ENOENT);

	/* Change: record off; the look-up sees it at once (the cache follows the generation). */
	got = cfg;
	got.flags = 0;
	assert_int_equal(store_channel_update(s, "feed-a", &got), 0);
	assert_int_equal(got.generation, cfg.generation + 1);
	assert_int_equal(store_channel_get(s, "feed-a", &got), (int)id);
	assert_int_equal(got.flags, 0);
	assert_int_equal(store_channel_update(s, "nope", &got), -ENOENT);

	/* Names that are no names are not found, never looked for. */
	assert_int_equal(store_channel_get(s, "../etc", &got), -ENOENT);
	assert_int_equal(store_channel_delete(s, "a b", NULL, NULL, NULL), -ENOENT);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(store_channel_get(s, longname, &got), -ENOENT);
	assert_int_equal(store_channel_get(s, "", &got), -ENOENT);

	/* Delete: gone from look-up and listing; a second delete finds nothing. */
	assert_int_equal(store_channel_delete(s, "feed-a", NULL, NULL, &id2), 0);
	assert_int_equal(id2, id);
	assert_int_equal(store_channel_get(s, "feed-a", &got), -ENOENT);
	assert_int_equal(store_channel_owner(s, &cfg.key, &got), -ENOENT);
	assert_int_equal(store_channel_delete(s, "feed-a", NULL, NULL, NULL), -ENOENT);
	store_release(s);
	store_free(s);
	store_free(NULL);
}

/* The listing is in id order and follows edits made by another editor on the same pins. */
static void test_channels_listing(void **state)
{
	static const char *const names[] = { "a", "b", "c", "d" };
	__u32 *ids = malloc(sizeof(*ids) * XRELAY_MAX_CHANNELS);
	struct xrelay_channel_cfg *cfgs = malloc(sizeof(*cfgs) * XRELAY_MAX_CHANNELS), cfg;
	struct mapctl *m;
	struct store *s;
	char pin[256];
	__u32 id[4];
	int i;

	(void)state;
	assert_non_null(ids);
	assert_non_null(cfgs);
	new_pin_dir(pin, sizeof(pin));
	s = store_held(pin);
	assert_int_equal(store_channels(s, ids, cfgs), 0);
	for (i = 0; i < 4; i++) {
		cfg_make(&cfg, names[i], NULL, (__u16)(6000 + i));
		assert_int_equal(store_channel_add(s, &cfg, &id[i]), 0);
	}
	assert_int_equal(store_channel_delete(s, "b", NULL, NULL, NULL), 0);
	assert_int_equal(store_channels(s, ids, cfgs), 3);
	assert_int_equal(ids[0], id[0]);
	assert_int_equal(ids[1], id[2]);
	assert_int_equal(ids[2], id[3]);
	assert_true(ids[0] < ids[1] && ids[1] < ids[2]);
	assert_string_equal(cfgs[0].name, "a");
	assert_string_equal(cfgs[1].name, "c");
	assert_string_equal(cfgs[2].name, "d");
	assert_int_equal(ntohs(cfgs[2].key.port), 6003);

	/* Another editor adds and removes: the store's next listing shows it. */
	m = editor_open(pin, 0);
	cfg_make(&cfg, "from-elsewhere", NULL, 7000);
	assert_int_equal(mapctl_channel_add(m, &cfg, &id[1]), 0);
	assert_int_equal(mapctl_channel_remove(m, "a", NULL), 0);
	mapctl_close(m);
	assert_int_equal(store_channels(s, ids, cfgs), 3);
	assert_int_equal(store_channel_get(s, "a", &cfg), -ENOENT);
	assert_int_equal(store_channel_get(s, "from-elsewhere", &cfg), (int)id[1]);
	for (i = 0; i < 3; i++)
		assert_int_not_equal(strcmp(cfgs[i].name, "a"), 0);
	store_release(s);
	store_free(s);
	free(ids);
	free(cfgs);
}

/* Counters as the workers and the XDP program leave them, summed by the store. */
static void test_stats(void **state)
{
	struct xrelay_xdp_global g;
	struct mapctl_chan_totals t;
	struct xrelay_channel_cfg cfg;
	struct xrelay_dp_chan_stats *dp;
	struct mapctl *m;
	struct store *s;
	char pin[256];
	__u32 id;

	(void)state;
	new_pin_dir(pin, sizeof(pin));
	s = store_held(pin);
	cfg_make(&cfg, "feed-a", NULL, 5000);
	assert_int_equal(store_channel_add(s, &cfg, &id), 0);
	assert_int_equal(store_channel_stats(s, id, &t), 0);
	assert_int_equal(t.xdp.rx_packets, 0);
	assert_int_equal(t.dp.recorded_packets, 0);
	assert_int_equal(store_xdp_stats(s, &g), 0);
	assert_int_equal(g.packets, 0);

	/* Two workers' rows of the channel. */
	m = editor_open(pin, 0);
	dp = mapctl_dp_stats(m);
	dp[0 * XRELAY_MAX_CHANNELS + id].recorded_packets = 5;
	dp[3 * XRELAY_MAX_CHANNELS + id].recorded_packets = 7;
	dp[3 * XRELAY_MAX_CHANNELS + id].drops[XRELAY_DROP_WRITE] = 2;
	assert_int_equal(store_channel_stats(s, id, &t), 0);
	assert_int_equal(t.dp.recorded_packets, 12);
	assert_int_equal(t.dp.drops[XRELAY_DROP_WRITE], 2);
	assert_int_equal(store_channel_stats(s, XRELAY_MAX_CHANNELS, &t), -EINVAL);
	mapctl_close(m);
	store_release(s);
	store_free(s);
}

/* No dataplane, a live one (this process, a fresh heartbeat), a stale one. */
static void test_dataplane(void **state)
{
	struct xrelay_queue_stats qs[XRELAY_MAX_QUEUES];
	struct store_dataplane dp;
	struct xrelay_meta *meta;
	struct mapctl *m;
	struct store *s;
	char pin[256];

	(void)state;
	new_pin_dir(pin, sizeof(pin));
	s = store_held(pin);
	store_dataplane(s, &dp);
	assert_false(dp.running);
	assert_true(dp.heartbeat_age_ms == UINT64_MAX);
	assert_int_equal(store_queue_stats(s, qs), 0);

	m = editor_open(pin, 0);
	meta = mapctl_meta(m);
	meta->dp_pid = (__u32)getpid();
	meta->dp_mode = XRELAY_MODE_SOCKET;
	meta->nqueues = 2;
	snprintf(meta->ifname, sizeof(meta->ifname), "veth0");
	mapctl_queue_stats(m)[1].rx_frames = 1234;
	mapctl_queue_stats(m)[1].rx_fill_ring_empty = 8;
	meta->heartbeat_ns = clock_ns(CLOCK_MONOTONIC);
	store_dataplane(s, &dp);
	assert_true(dp.running);
	assert_true(dp.heartbeat_age_ms < MAPCTL_HEARTBEAT_FRESH_MS);
	assert_int_equal(dp.meta.dp_pid, getpid());
	assert_int_equal(dp.meta.dp_mode, XRELAY_MODE_SOCKET);
	assert_int_equal(dp.meta.nqueues, 2);
	assert_string_equal(dp.meta.ifname, "veth0");
	memset(qs, 0xff, sizeof(qs));
	assert_int_equal(store_queue_stats(s, qs), 2);
	assert_int_equal(qs[0].rx_frames, 0);
	assert_int_equal(qs[1].rx_frames, 1234);
	assert_int_equal(qs[1].rx_fill_ring_empty, 8);

	/* Older than the limit: gone, and so are its sockets. */
	meta->heartbeat_ns =
		clock_ns(CLOCK_MONOTONIC) - (MAPCTL_HEARTBEAT_FRESH_MS + 1000) * 1000000ull;
	store_dataplane(s, &dp);
	assert_false(dp.running);
	assert_true(dp.heartbeat_age_ms > MAPCTL_HEARTBEAT_FRESH_MS);
	assert_int_equal(store_queue_stats(s, qs), 0);
	mapctl_close(m);
	store_release(s);
	store_free(s);
}

/*
 * Maps of a foreign layout: -ENODEV with the reason, the store not held; once the foreign map
 * is gone, the store opens (creating the missing map) within about a second.
 */
static void test_unusable_then_usable(void **state)
{
	char pin[256], path[300], err[512] = "";
	struct xrelay_channel_cfg cfg;
	struct store *s = NULL;
	__u32 id;
	int fd;

	(void)state;
	new_pin_dir(pin, sizeof(pin));
	mapctl_close(editor_open(pin, MAPCTL_F_CREATE));
	snprintf(path, sizeof(path), "%s/xrelay_cfg", pin);
	assert_int_equal(unlink(path), 0);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xrelay_cfg", 4, 480, XRELAY_MAX_CHANNELS, NULL);
	assert_true(fd >= 0);
	assert_int_equal(bpf_obj_pin(fd, path), 0);
	close(fd);

	assert_int_equal(store_new(pin, &s), 0);
	assert_int_equal(store_acquire(s, err, sizeof(err)), -ENODEV);
	if (!strstr(err, "xrelay_cfg") || !strstr(err, "480"))
		fail_msg("the reason does not name the map and its size: %s", err);
	/* Not held: a writer (the reopen) is not blocked, and the answer stays. */
	assert_int_equal(store_acquire(s, err, sizeof(err)), -ENODEV);

	assert_int_equal(unlink(path), 0);
	usleep(1100 * 1000);
	err[0] = '\0';
	if (store_acquire(s, err, sizeof(err)))
		fail_msg("still unusable after the foreign map went: %s", err);
	cfg_make(&cfg, "feed-a", NULL, 5000);
	assert_int_equal(store_channel_add(s, &cfg, &id), 0);
	store_release(s);
	store_free(s);
}

/* The pins removed and made again by someone else: the store follows to the new maps. */
static void test_pins_replaced(void **state)
{
	struct xrelay_channel_cfg cfg;
	struct store *s;
	char pin[256];
	__u32 id;

	(void)state;
	new_pin_dir(pin, sizeof(pin));
	s = store_held(pin);
	cfg_make(&cfg, "old", NULL, 5000);
	assert_int_equal(store_channel_add(s, &cfg, &id), 0);
	store_release(s);

	assert_int_equal(testenv_sh("rm -rf %s", pin), 0);
	mapctl_close(editor_open(pin, MAPCTL_F_CREATE));
	usleep(1100 * 1000);
	assert_int_equal(store_acquire(s, NULL, 0), 0);
	assert_int_equal(store_channel_get(s, "old", &cfg), -ENOENT);
	cfg_make(&cfg, "new", NULL, 5000);
	assert_int_equal(store_channel_add(s, &cfg, &id), 0);
	store_release(s);
	store_free(s);
}

/* One server's share of test_concurrent_edits: N edits of one field of channel "feed". */
struct editor {
	const char *pin;
	bool dests; /* change destinations, else recording */
	int r;
	__u16 last; /* the last value written: a port, or record on (1) or off (0) */
};

enum { EDITS = 300 };

static int edit_field(struct xrelay_channel_cfg *cfg, void *arg)
{
	const struct editor *e = arg;

	if (!e->dests) {
		cfg->flags = e->last ? cfg->flags | XRELAY_CH_F_RECORD
				     : cfg->flags & ~XRELAY_CH_F_RECORD;
		return 0;
	}
	memset(cfg->dests, 0, sizeof(cfg->dests));
	cfg->dests[0].port = htons(e->last);
	cfg->dests[0].every = 1;
	cfg->ndests = 1;
	return 0;
}

static void *editor_run(void *arg)
{
	struct editor *e = arg;
	struct store *s = NULL;
	char err[512];
	int i;

	e->r = store_new(e->pin, &s);
	for (i = 0; !e->r && i < EDITS; i++) {
		e->last = e->dests ? (__u16)(7000 + i) : (__u16)(i & 1);
		e->r = store_acquire(s, err, sizeof(err));
		if (e->r)
			break;
		e->r = store_channel_edit(s, "feed", edit_field, e, NULL);
		e->r = e->r < 0 ? e->r : 0;
		store_release(s);
	}
	store_free(s);
	return NULL;
}

/*
 * Two servers PATCH one channel at once, one only its recording, the other only its
 * destinations (issue 10, case 5): at the end each field holds its editor's last write, and
 * every edit moved the generation.
 */
static void test_concurrent_edits(void **state)
{
	struct editor ed[2];
	struct xrelay_channel_cfg cfg, got;
	pthread_t th[2];
	char pin[256];
	struct store *s;
	__u32 id;
	int k;

	(void)state;
	new_pin_dir(pin, sizeof(pin));
	s = store_held(pin);
	cfg_make(&cfg, "feed", "239.1.1.1", 5000);
	assert_int_equal(store_channel_add(s, &cfg, &id), 0);
	for (k = 0; k < 2; k++) {
		ed[k] = (struct editor){ .pin = pin, .dests = k == 1 };
		assert_int_equal(pthread_create(&th[k], NULL, editor_run, &ed[k]), 0);
	}
	for (k = 0; k < 2; k++) {
		assert_int_equal(pthread_join(th[k], NULL), 0);
		assert_int_equal(ed[k].r, 0);
	}
	assert_int_equal(store_channel_get(s, "feed", &got), (int)id);
	assert_int_equal(!!(got.flags & XRELAY_CH_F_RECORD), ed[0].last);
	assert_int_equal(got.ndests, 1);
	assert_int_equal(ntohs(got.dests[0].port), ed[1].last);
	assert_int_equal(got.generation, cfg.generation + 2 * EDITS);
	store_release(s);
	store_free(s);
}

static int refuse(const struct xrelay_channel_cfg *cfg, void *arg)
{
	return cfg->generation == *(const __u64 *)arg ? 0 : -ESTALE;
}

/* A delete on a condition the stored channel must meet: refused, nothing changes. */
static void test_delete_on_a_condition(void **state)
{
	struct xrelay_channel_cfg cfg, got;
	char pin[256];
	struct store *s;
	__u64 want;
	__u32 id, id2;

	(void)state;
	new_pin_dir(pin, sizeof(pin));
	s = store_held(pin);
	cfg_make(&cfg, "feed", NULL, 5000);
	assert_int_equal(store_channel_add(s, &cfg, &id), 0);
	want = cfg.generation + 1;
	assert_int_equal(store_channel_delete(s, "feed", refuse, &want, &id2), -ESTALE);
	assert_int_equal(store_channel_get(s, "feed", &got), (int)id);
	assert_memory_equal(&got, &cfg, sizeof(cfg));
	want = cfg.generation;
	assert_int_equal(store_channel_delete(s, "feed", refuse, &want, &id2), 0);
	assert_int_equal(id2, id);
	assert_int_equal(store_channel_get(s, "feed", &got), -ENOENT);
	assert_int_equal(store_channel_edit(s, "feed", edit_field, &(struct editor){}, NULL),
			 -ENOENT);
	assert_int_equal(store_channel_edit(s, "../x", edit_field, &(struct editor){}, NULL),
			 -ENOENT);
	store_release(s);
	store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_channel_life),
		cmocka_unit_test(test_channels_listing),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_dataplane),
		cmocka_unit_test(test_unusable_then_usable),
		cmocka_unit_test(test_pins_replaced),
		cmocka_unit_test(test_concurrent_edits),
		cmocka_unit_test(test_delete_on_a_condition),
	};

	return cmocka_run_group_tests_name("store", tests, testenv_group_setup,
					   testenv_group_teardown);
}
