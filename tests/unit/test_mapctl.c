// SPDX-License-Identifier: MIT
/*
 * The userspace contract (lib/mapctl.c) against real maps pinned in a private bpffs: create
 * then reopen from another process, refusal of foreign layouts with a message naming both
 * sides, channel add/change/remove/look-up and id reuse, counter sums, editors in two
 * processes serialised by the lock, and changes from a stale read or to a replaced channel
 * refused (issue 10, case 5).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "testenv.h"
#include "xrelay/clock.h"
#include "xrelay/mapctl.h"

static int dir_seq;

/* A fresh pin directory per test. */
static void new_pin_dir(char *buf, size_t len)
{
	snprintf(buf, len, "%s/t%d", testenv_bpffs(), ++dir_seq);
}

static struct mapctl *open_ok(const char *pin, unsigned int flags)
{
	struct mapctl *m = NULL;
	char err[512] = "";
	int r = mapctl_open(pin, flags, &m, err, sizeof(err));

	if (r)
		fail_msg("mapctl_open(%s): %d: %s", pin, r, err);
	return m;
}

static void cfg_make(struct xrelay_channel_cfg *cfg, const char *name, const char *addr, __u16 port)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->name, sizeof(cfg->name), "%s", name);
	assert_int_equal(mapctl_key_from_str(&cfg->key, addr, port), 0);
	cfg->flags = XRELAY_CH_F_RECORD;
}

static void test_open_missing_without_create(void **state)
{
	char pin[256], err[512] = "";
	struct mapctl *m = NULL;

	(void)state;
	new_pin_dir(pin, sizeof(pin));
	assert_int_equal(mapctl_open(pin, 0, &m, err, sizeof(err)), -ENOENT);
	assert_null(m);
	assert_non_null(strstr(err, pin));
}

static void test_not_bpffs_refused(void **state)
{
	char err[512] = "";
	struct mapctl *m = NULL;

	(void)state;
	assert_int_equal(mapctl_open("/tmp", 0, &m, err, sizeof(err)), -ENOTSUP);
	assert_non_null(strstr(err, "not on a BPF filesystem"));
}

/* Create in this process, reopen in a child that adds a channel; the parent sees it. */
static void test_create_then_reopen_elsewhere(void **state)
{
	struct xrelay_channel_cfg cfg;
	char pin[256];
	struct mapctl *m;
	int st, id;
	pid_t pid;

	(void)state;
	new_pin_dir(pin, sizeof(pin));
	m = open_ok(pin, MAPCTL_F_CREATE);
	assert_int_equal(mapctl_meta(m)->version, XRELAY_MAPS_VERSION);
	assert_int_equal(mapctl_meta(m)->magic, XRELAY_MAPS_MAGIC);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct mapctl *c = NULL;
		char err[512];
		__u32 cid;

		if (mapctl_open(pin, 0, &c, err, sizeof(err)))
			_exit(10);
		cfg_make(&cfg, "from-child", "239.1.2.3", 5555);
		if (mapctl_channel_add(c, &cfg, &cid))
			_exit(11);
		mapctl_close(c);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	id = mapctl_channel_find(m, "from-child", &cfg);
	assert_true(id >= 0);
	assert_int_equal(cfg.state, XRELAY_CH_ACTIVE);
	assert_int_equal(ntohs(cfg.key.port), 5555);
	assert_int_equal(mapctl_gen(m), 1);
	mapctl_close(m);
}

/* A new pin directory whose map @name is replaced by one of another shape. */
static void pin_foreign(char *pin, size_t len, const char *name, enum bpf_map_type type,
			__u32 key_size, __u32 value_size)
{
	char path[300];
	int fd;

	new_pin_dir(pin, len);
	mapctl_close(open_ok(pin, MAPCTL_F_CREATE));
	snprintf(path, sizeof(path), "%s/%s", pin, name);
	assert_int_equal(unlink(path), 0);
	fd = bpf_map_create(type, name, key_size, value_size, XRELAY_MAX_CHANNELS, NULL);
	assert_true(fd >= 0);
	assert_int_equal(bpf_obj_pin(fd, path), 0);
	close(fd);
}

/* A map of another layout in the pin directory is refused, naming both sizes. */
static void test_wrong_value_size_refused(void **state)
{
	char pin[256], err[512] = "";
	struct mapctl *m = NULL;

	(void)state;
	pin_foreign(pin, sizeof(pin), "xrelay_cfg", BPF_MAP_TYPE_ARRAY, 4, 480);
	assert_int_equal(mapctl_open(pin, MAPCTL_F_CREATE, &m, err, sizeof(err)), -EPROTO);
	assert_null(m);
	if (!strstr(err, "value size 480") || !strstr(err, "512") || !strstr(err, "xrelay_cfg"))
		fail_msg("message does not name both sizes and the map: %s", err);
}

static void test_wrong_type_refused(void **state)
{
	char pin[256], err[512] = "";
	struct mapctl *m = NULL;

	(void)state;
	pin_foreign(pin, sizeof(pin), "xrelay_chans", BPF_MAP_TYPE_LRU_HASH, 20, 4);
	assert_int_equal(mapctl_open(pin, 0, &m, err, sizeof(err)), -EPROTO);
	if (!strstr(err, "lru_hash") || !strstr(err, "expects hash"))
		fail_msg("message does not name both types: %s", err);
}

/* Maps stamped with another layout version are refused, naming both versions. */
static void test_other_version_refused(void **state)
{
	char pin[256], err[512] = "";
	struct mapctl *m;

	(void)state;
	new_pin_dir(pin, sizeof(pin));
	m = open_ok(pin, MAPCTL_F_CREATE);
	mapctl_meta(m)->version = 99;
	mapctl_close(m);
	m = NULL;
	assert_int_equal(mapctl_open(pin, MAPCTL_F_CREATE, &m, err, sizeof(err)), -EPROTO);
	assert_null(m);
	if (!strstr(err, "layout version 99") || !strstr(err, "uses version 2"))
		fail_msg("message does not name both versions: %s", err);
}

static void test_channel_life(void **state)
{
	struct xrelay_channel_cfg cfg, got;
	struct xrelay_chan_key dkey;
	__u32 id, id2, val;
	char pin[256];
	struct mapctl *m;
	__u64 gen;

	(void)state;
	new_pin_dir(pin, sizeof(pin));
	m = open_ok(pin, MAPCTL_F_CREATE);

	cfg_make(&cfg, "feed-a", "239.1.1.1", 5000);
	cfg.ndests = 1;
	assert_int_equal(mapctl_key_from_str(&dkey, "239.2.2.2", 6000), 0);
	memcpy(cfg.dests[0].addr, dkey.addr, sizeof(dkey.addr));
	cfg.dests[0].port = dkey.port;
	cfg.dests[0].every = 1;
	cfg.dests[0].ttl = 1;
	assert_int_equal(mapctl_channel_add(m, &cfg, &id), 0);
	assert_true(cfg.created_ns > 0);
	/* The key is published and points at the slot, which is whole and ACTIVE. */
	assert_int_equal(bpf_map_lookup_elem(mapctl_fd(m, XRELAY_MAP_CHANNELS), &cfg.key, &val), 0);
	assert_int_equal(val, id);
	assert_int_equal(mapctl_channel_get(m, id, &got), 0);
	assert_memory_equal(&got, &cfg, sizeof(cfg));

	/* Conflicts: same name, same key. */
	cfg_make(&got, "feed-a", "239.1.1.2", 5000);
	assert_int_equal(mapctl_channel_add(m, &got, &id2), -EEXIST);
	cfg_make(&got, "feed-b", "239.1.1.1", 5000);
	assert_int_equal(mapctl_channel_add(m, &got, &id2), -EADDRINUSE);
	/* Same port, any address: a different key, allowed. */
	cfg_make(&got, "feed-any", NULL, 5000);
	assert_int_equal(mapctl_channel_add(m, &got, &id2), 0);
	assert_int_not_equal(id, id2);
	/* Invalid names never reach a map. */
	cfg_make(&got, "../etc", NULL, 5001);
	assert_int_equal(mapctl_channel_add(m, &got, &id2), -EINVAL);

	/* Change: record off, destinations cleared; generation moves, key and name stay. */
	gen = mapctl_gen(m);
	memset(&got, 0, sizeof(got));
	got.flags = 0;
	got.ndests = 0;
	assert_int_equal(mapctl_channel_update(m, "feed-a", &got), 0);
	assert_int_equal(mapctl_gen(m), gen + 1);
	assert_int_equal(mapctl_channel_find(m, "feed-a", &got), (int)id);
	assert_int_equal(got.flags, 0);
	assert_int_equal(got.ndests, 0);
	assert_int_equal(got.generation, cfg.generation + 1);
	assert_memory_equal(&got.key, &cfg.key, sizeof(cfg.key));
	assert_int_equal(mapctl_channel_update(m, "nope", &got), -ENOENT);

	/* Remove with no dataplane alive: key gone, slot free at once. */
	assert_int_equal(mapctl_channel_remove(m, "feed-a", &id2), 0);
	assert_int_equal(id2, id);
	assert_int_not_equal(bpf_map_lookup_elem(mapctl_fd(m, XRELAY_MAP_CHANNELS), &cfg.key, &val),
			     0);
	assert_int_equal(mapctl_channel_find(m, "feed-a", NULL), -ENOENT);
	assert_int_equal(mapctl_channel_get(m, id, &got), 0);
	assert_int_equal(got.state, XRELAY_CH_FREE);
	assert_int_equal(mapctl_channel_remove(m, "feed-a", NULL), -ENOENT);
	mapctl_close(m);
}

/* With a live dataplane a removed channel drains, and its id comes back only after release. */
static void test_remove_drains_until_released(void **state)
{
	struct xrelay_channel_cfg cfg, got;
	struct xrelay_meta *meta;
	struct timespec ts;
	char pin[256];
	struct mapctl *m;
	__u32 id, id2;

	(void)state;
	new_pin_dir(pin, sizeof(pin));
	m = open_ok(pin, MAPCTL_F_CREATE);
	meta = mapctl_meta(m);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	meta->dp_pid = (__u32)getpid();
	meta->heartbeat_ns = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
	assert_true(mapctl_dataplane_alive(m, 3000, NULL));

	cfg_make(&cfg, "drain-me", NULL, 9000);
	assert_int_equal(mapctl_channel_add(m, &cfg, &id), 0);
	assert_int_equal(mapctl_channel_remove(m, "drain-me", NULL), 0);
	assert_int_equal(mapctl_channel_get(m, id, &got), 0);
	assert_int_equal(got.state, XRELAY_CH_DRAINING);
	/* Neither the id nor the name is reused while it drains. */
	cfg_make(&cfg, "drain-me", NULL, 9001);
	assert_int_equal(mapctl_channel_add(m, &cfg, &id2), -EEXIST);
	cfg_make(&cfg, "other", NULL, 9001);
	assert_int_equal(mapctl_channel_add(m, &cfg, &id2), 0);
	assert_int_not_equal(id2, id);
	/* A release naming another incarnation is refused; the right one frees the slot. */
	assert_int_equal(mapctl_channel_release(m, id, got.created_ns + 1), -ESTALE);
	assert_int_equal(mapctl_channel_release(m, id, got.created_ns), 0);
	assert_int_equal(mapctl_channel_get(m, id, &got), 0);
	assert_int_equal(got.state, XRELAY_CH_FREE);
	assert_int_equal(mapctl_channel_release(m, id, got.created_ns), -ENOENT);
	meta->dp_pid = 0;
	assert_false(mapctl_dataplane_alive(m, 3000, NULL));
	mapctl_close(m);
}

/*
 * Liveness is the heartbeat's: an API in another PID namespace than the dataplane's sees no
 * such pid, yet the dataplane runs. Only in the dataplane's own namespace is a gone pid dead.
 */
static void test_alive_across_pid_namespaces(void **state)
{
	struct xrelay_meta *meta;
	char pin[256];
	struct mapctl *m;
	pid_t child;

	(void)state;
	new_pin_dir(pin, sizeof(pin));
	m = open_ok(pin, MAPCTL_F_CREATE);
	meta = mapctl_meta(m);
	/* A pid that no process here has: a child that has been reaped. */
	child = fork();
	assert_true(child >= 0);
	if (!child)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	assert_int_not_equal(mapctl_pidns_self(), 0);
	meta->dp_pid = (__u32)child;
	meta->heartbeat_ns = clock_ns(CLOCK_MONOTONIC);

	meta->dp_pidns = mapctl_pidns_self() + 1; /* another namespace: the beat decides */
	assert_true(mapctl_dataplane_alive(m, 3000, NULL));
	meta->dp_pidns = 0; /* not known: the beat decides */
	assert_true(mapctl_dataplane_alive(m, 3000, NULL));
	meta->dp_pidns = mapctl_pidns_self(); /* ours, and the pid is gone: dead at once */
	assert_false(mapctl_dataplane_alive(m, 3000, NULL));
	meta->dp_pid = (__u32)getpid(); /* ours and alive */
	assert_true(mapctl_dataplane_alive(m, 3000, NULL));
	/* A stale beat is dead whatever the pid says. */
	meta->dp_pidns = mapctl_pidns_self() + 1;
	meta->heartbeat_ns = clock_ns(CLOCK_MONOTONIC) - 4000000000ull;
	assert_false(mapctl_dataplane_alive(m, 3000, NULL));
	mapctl_close(m);
}

static void test_ids_exhausted_then_reused(void **state)
{
	struct xrelay_channel_cfg cfg;
	char pin[256], name[32];
	struct mapctl *m;
	__u32 id, i;

	(void)state;
	new_pin_dir(pin, sizeof(pin));
	m = open_ok(pin, MAPCTL_F_CREATE);
	for (i = 0; i < XRELAY_MAX_CHANNELS; i++) {
		snprintf(name, sizeof(name), "c%u", i);
		cfg_make(&cfg, name, NULL, (__u16)(1000 + i));
		assert_int_equal(mapctl_channel_add(m, &cfg, &id), 0);
		assert_int_equal(id, i);
	}
	cfg_make(&cfg, "one-too-many", NULL, 60000);
	assert_int_equal(mapctl_channel_add(m, &cfg, &id), -ENOSPC);
	assert_int_equal(mapctl_channel_remove(m, "c17", NULL), 0);
	assert_int_equal(mapctl_channel_add(m, &cfg, &id), 0);
	assert_int_equal(id, 17);
	mapctl_close(m);
}

/* Counters: XDP side summed over CPUs, dataplane side over workers; a new channel starts at 0. */
static void test_counter_sums(void **state)
{
	struct xrelay_xdp_chan_stats *pc;
	struct xrelay_dp_chan_stats *dp;
	struct mapctl_chan_totals t;
	struct xrelay_channel_cfg cfg;
	int ncpu = libbpf_num_possible_cpus(), c;
	char pin[256];
	struct mapctl *m;
	__u32 id, w;

	(void)state;
	new_pin_dir(pin, sizeof(pin));
	m = open_ok(pin, MAPCTL_F_CREATE);
	cfg_make(&cfg, "counted", "239.0.0.1", 4000);
	assert_int_equal(mapctl_channel_add(m, &cfg, &id), 0);

	pc = calloc((size_t)ncpu, sizeof(*pc));
	assert_non_null(pc);
	for (c = 0; c < ncpu; c++) {
		pc[c].rx_packets = 10u + (unsigned)c;
		pc[c].rx_bytes = 1000u * (unsigned)(c + 1);
		pc[c].redirect_miss = 1;
		pc[c].frags_passed = 2;
	}
	assert_int_equal(bpf_map_update_elem(mapctl_fd(m, XRELAY_MAP_CHANNEL_STATS), &id, pc, 0),
			 0);
	dp = mapctl_dp_stats(m);
	for (w = 0; w < 3; w++) {
		dp[XRELAY_DP_INDEX(w, id)].recorded_packets = 100 + w;
		dp[XRELAY_DP_INDEX(w, id)].sent_bytes = 7;
		dp[XRELAY_DP_INDEX(w, id)].drops[XRELAY_DROP_XSK_GAP] = w;
	}
	dp[XRELAY_DP_INDEX(63, id)].write_errors = 5;
	dp[XRELAY_DP_INDEX(0, id + 1)].recorded_packets = 999; /* another channel */

	assert_int_equal(mapctl_channel_totals(m, id, &t), 0);
	assert_int_equal(t.xdp.rx_packets,
			 10u * (unsigned)ncpu + (unsigned)(ncpu * (ncpu - 1) / 2));
	assert_int_equal(t.xdp.rx_bytes, 1000u * (unsigned)(ncpu * (ncpu + 1) / 2));
	assert_int_equal(t.xdp.redirect_miss, (unsigned)ncpu);
	assert_int_equal(t.xdp.frags_passed, 2u * (unsigned)ncpu);
	assert_int_equal(t.dp.recorded_packets, 303);
	assert_int_equal(t.dp.sent_bytes, 21);
	assert_int_equal(t.dp.write_errors, 5);
	assert_int_equal(t.dp.drops[XRELAY_DROP_XSK_GAP], 3);

	/* Removed and added again: the new incarnation starts from zero everywhere. */
	assert_int_equal(mapctl_channel_remove(m, "counted", NULL), 0);
	assert_int_equal(mapctl_channel_add(m, &cfg, &id), 0);
	assert_int_equal(mapctl_channel_totals(m, id, &t), 0);
	assert_int_equal(t.xdp.rx_packets, 0);
	assert_int_equal(t.dp.recorded_packets, 0);
	assert_int_equal(t.dp.write_errors, 0);
	assert_int_equal(mapctl_channel_totals(m, XRELAY_MAX_CHANNELS, &t), -EINVAL);
	free(pc);
	mapctl_close(m);
}

/*
 * Two processes add the same 200 names (different ports) and remove and re-add them at once:
 * with the lock, every name exists exactly once at the end, no two slots share a name or a
 * key, and every add either won or saw -EEXIST.
 */
static void test_concurrent_editors(void **state)
{
	enum { N = 200 };
	struct xrelay_channel_cfg cfg;
	char pin[256], name[32];
	int wins[2] = { 0, 0 }, seen[N] = { 0 }, k, st, id;
	int pipes[2][2];
	struct mapctl *m;
	pid_t pid[2];

	(void)state;
	new_pin_dir(pin, sizeof(pin));
	m = open_ok(pin, MAPCTL_F_CREATE);
	for (k = 0; k < 2; k++) {
		assert_int_equal(pipe(pipes[k]), 0);
		pid[k] = fork();
		assert_true(pid[k] >= 0);
		if (pid[k] == 0) {
			struct mapctl *c = NULL;
			char err[256];
			int i, won = 0, r;
			__u32 cid;

			if (mapctl_open(pin, 0, &c, err, sizeof(err)))
				_exit(10);
			for (i = 0; i < N; i++) {
				snprintf(name, sizeof(name), "n%d", i);
				cfg_make(&cfg, name, NULL, (__u16)(10000 + k * N + i));
				r = mapctl_channel_add(c, &cfg, &cid);
				if (r == 0)
					won++;
				else if (r != -EEXIST)
					_exit(11);
			}
			if (write(pipes[k][1], &won, sizeof(won)) != sizeof(won))
				_exit(12);
			mapctl_close(c);
			_exit(0);
		}
		close(pipes[k][1]);
	}
	for (k = 0; k < 2; k++) {
		assert_int_equal(waitpid(pid[k], &st, 0), pid[k]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
		assert_int_equal(read(pipes[k][0], &wins[k], sizeof(wins[k])), sizeof(wins[k]));
		close(pipes[k][0]);
	}
	assert_int_equal(wins[0] + wins[1], N);
	id = -1;
	while ((id = mapctl_channel_next(m, id, XRELAY_CH_ACTIVE, &cfg)) >= 0) {
		int i = atoi(cfg.name + 1);
		__u32 val;

		assert_true(i >= 0 && i < N);
		seen[i]++;
		assert_int_equal(
			bpf_map_lookup_elem(mapctl_fd(m, XRELAY_MAP_CHANNELS), &cfg.key, &val), 0);
		assert_int_equal(val, (__u32)id);
	}
	for (k = 0; k < N; k++)
		if (seen[k] != 1)
			fail_msg("name n%d is stored %d times", k, seen[k]);
	assert_int_equal(mapctl_gen(m), N);
	mapctl_close(m);
}

/* One destination, to 239.2.2.2:@port. */
static int dest_set(struct xrelay_channel_cfg *cfg, void *arg)
{
	struct xrelay_chan_key k;
	int r = mapctl_key_from_str(&k, "239.2.2.2", *(const __u16 *)arg);

	memset(cfg->dests, 0, sizeof(cfg->dests));
	memcpy(cfg->dests[0].addr, k.addr, sizeof(k.addr));
	cfg->dests[0].port = k.port;
	cfg->dests[0].ttl = 1;
	cfg->dests[0].every = 1;
	cfg->ndests = 1;
	return r;
}

/*
 * Two editors read the same version (issue 10, case 5): one turns recording off, then the
 * other, from its copy, sets a destination. Written back whole, the second undid the first:
 * it is refused.
 */
static void test_update_from_a_stale_read(void **state)
{
	struct xrelay_channel_cfg cfg, a, b, got;
	__u16 port = 6000;
	char pin[256];
	struct mapctl *m;
	__u32 id;

	(void)state;
	new_pin_dir(pin, sizeof(pin));
	m = open_ok(pin, MAPCTL_F_CREATE);
	cfg_make(&cfg, "feed", "239.1.1.1", 5000);
	assert_int_equal(mapctl_channel_add(m, &cfg, &id), 0);
	assert_int_equal(mapctl_channel_find(m, "feed", &a), (int)id);
	b = a;
	a.flags = 0;
	assert_int_equal(mapctl_channel_update(m, "feed", &a), 0);
	assert_int_equal(dest_set(&b, &port), 0);
	assert_int_equal(mapctl_channel_update(m, "feed", &b), -ESTALE);
	assert_int_equal(mapctl_channel_find(m, "feed", &got), (int)id);
	assert_int_equal(got.flags & XRELAY_CH_F_RECORD, 0);
	assert_int_equal(got.ndests, 0);
	assert_int_equal(got.generation, a.generation);
	mapctl_close(m);
}

/* Edit callbacks of mapctl_channel_edit. */
static int record_off(struct xrelay_channel_cfg *cfg, void *arg)
{
	(void)arg;
	cfg->flags &= ~XRELAY_CH_F_RECORD;
	return 0;
}

static int rename_and_fail(struct xrelay_channel_cfg *cfg, void *arg)
{
	snprintf(cfg->name, sizeof(cfg->name), "renamed");
	cfg->key.port = 1;
	return *(int *)arg;
}

static int too_many_dests(struct xrelay_channel_cfg *cfg, void *arg)
{
	(void)arg;
	cfg->ndests = XRELAY_MAX_DESTS + 1;
	return 0;
}

/*
 * The same two changes made under the lock against what is stored lose nothing; an edit's
 * error abandons it, an invalid result is refused, and what an edit may not change stays.
 */
static void test_edit_merges_under_the_lock(void **state)
{
	struct xrelay_channel_cfg cfg, got;
	__u16 port = 6000;
	char pin[256];
	struct mapctl *m;
	int fail = -EPERM, ok = 0;
	__u32 id;
	__u64 gen;

	(void)state;
	new_pin_dir(pin, sizeof(pin));
	m = open_ok(pin, MAPCTL_F_CREATE);
	cfg_make(&cfg, "feed", "239.1.1.1", 5000);
	assert_int_equal(mapctl_channel_add(m, &cfg, &id), 0);
	assert_int_equal(mapctl_channel_edit(m, "feed", record_off, NULL, NULL), (int)id);
	assert_int_equal(mapctl_channel_edit(m, "feed", dest_set, &port, &got), (int)id);
	assert_int_equal(got.flags & XRELAY_CH_F_RECORD, 0);
	assert_int_equal(got.ndests, 1);
	assert_int_equal(got.generation, cfg.generation + 2);

	gen = mapctl_gen(m);
	assert_int_equal(mapctl_channel_edit(m, "feed", rename_and_fail, &fail, NULL), -EPERM);
	assert_int_equal(mapctl_channel_edit(m, "feed", too_many_dests, NULL, NULL), -EINVAL);
	assert_int_equal(mapctl_gen(m), gen);
	assert_int_equal(mapctl_channel_edit(m, "feed", rename_and_fail, &ok, &cfg), (int)id);
	assert_string_equal(cfg.name, "feed");
	assert_memory_equal(&cfg.key, &got.key, sizeof(cfg.key));
	assert_int_equal(cfg.generation, got.generation + 1);
	assert_int_equal(mapctl_channel_find(m, "feed", &got), (int)id);
	assert_memory_equal(&got, &cfg, sizeof(cfg));
	assert_int_equal(mapctl_channel_edit(m, "nope", record_off, NULL, NULL), -ENOENT);
	mapctl_close(m);
}

/*
 * A change computed against one channel, applied after a DELETE and a POST of the same name,
 * must not land on the new channel; and no generation (the API's ETag) of the old one comes
 * back as the new one's, even when the new one gets a slot with a shorter history.
 */
static void test_update_never_lands_on_a_new_incarnation(void **state)
{
	struct xrelay_channel_cfg cfg, a, b;
	__u16 port = 6000;
	char pin[256];
	struct mapctl *m;
	__u32 id, other, i;

	(void)state;
	new_pin_dir(pin, sizeof(pin));
	m = open_ok(pin, MAPCTL_F_CREATE);
	cfg_make(&cfg, "other", NULL, 4000);
	assert_int_equal(mapctl_channel_add(m, &cfg, &other), 0);
	cfg_make(&cfg, "feed", "239.1.1.1", 5000);
	assert_int_equal(mapctl_channel_add(m, &cfg, &id), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(mapctl_channel_find(m, "feed", &a), (int)id);
		assert_int_equal(dest_set(&a, &port), 0);
		assert_int_equal(mapctl_channel_update(m, "feed", &a), 0);
	}

	/* No dataplane: both slots are free at once; the new "feed" takes the lowest. */
	assert_int_equal(mapctl_channel_remove(m, "other", NULL), 0);
	assert_int_equal(mapctl_channel_remove(m, "feed", NULL), 0);
	cfg_make(&cfg, "feed", "239.1.1.1", 5000);
	assert_int_equal(mapctl_channel_add(m, &cfg, &id), 0);
	assert_int_equal(id, other);

	assert_int_equal(mapctl_channel_update(m, "feed", &a), -ESTALE);
	assert_int_equal(mapctl_channel_find(m, "feed", &b), (int)id);
	assert_int_equal(b.created_ns, cfg.created_ns);
	assert_int_equal(b.generation, cfg.generation);
	assert_int_equal(b.ndests, 0);
	if (b.generation <= a.generation)
		fail_msg("new channel's generation %llu repeats one of the old's (up to %llu)",
			 (unsigned long long)b.generation, (unsigned long long)a.generation);
	mapctl_close(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_missing_without_create),
		cmocka_unit_test(test_not_bpffs_refused),
		cmocka_unit_test(test_create_then_reopen_elsewhere),
		cmocka_unit_test(test_wrong_value_size_refused),
		cmocka_unit_test(test_wrong_type_refused),
		cmocka_unit_test(test_other_version_refused),
		cmocka_unit_test(test_channel_life),
		cmocka_unit_test(test_remove_drains_until_released),
		cmocka_unit_test(test_alive_across_pid_namespaces),
		cmocka_unit_test(test_ids_exhausted_then_reused),
		cmocka_unit_test(test_counter_sums),
		cmocka_unit_test(test_concurrent_editors),
		cmocka_unit_test(test_update_from_a_stale_read),
		cmocka_unit_test(test_update_never_lands_on_a_new_incarnation),
		cmocka_unit_test(test_edit_merges_under_the_lock),
	};

	return cmocka_run_group_tests_name("mapctl", tests, testenv_group_setup,
					   testenv_group_teardown);
}
