// SPDX-License-Identifier: MIT
/*
 * The userspace side of the map contract (see xrelay/mapctl.h for the invariants): creating,
 * checking and pinning the maps of xrelay/maps.h, the editors' lock, the dataplane's liveness
 * and the XDP program's global counters. Channel edits are lib/mapctl_channel.c's. Owns no
 * policy about HTTP or packets.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xrelay/addr.h"
#include "xrelay/clock.h"
#include "xrelay/errmsg.h"
#include "xrelay/mapctl.h"
#include "mapctl_int.h"

const struct map_def map_defs[XRELAY_MAP__MAX] = {
#define XRELAY_MAP_DEF(id, name_, type_, key_, value_, max_, flags_) \
	[XRELAY_MAP_##id] = { #name_, type_, sizeof(key_), sizeof(value_), max_, flags_ },
	XRELAY_MAP_LIST(XRELAY_MAP_DEF)
#undef XRELAY_MAP_DEF
};

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

static const char *map_type_name(__u32 type)
{
	const char *s = libbpf_bpf_map_type_str(type);

	return s ? s : "unknown";
}

/* mkdir -p for a path inside bpffs. */
static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path);
	char *p;

	if (len == 0 || len >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, len + 1);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static size_t mmap_len(const struct map_def *d)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = (size_t)((d->value_size + 7) & ~7u) * d->max_entries;

	return (len + page - 1) & ~(page - 1);
}

static void *map_mmap(int fd, const struct map_def *d, size_t *ret_len)
{
	size_t len = mmap_len(d);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return NULL;
	*ret_len = len;
	return p;
}

/* Check a pinned map's shape against this build's definition. */
static int map_check(int fd, const struct map_def *d, const char *pin_dir,
		     const struct xrelay_meta *pinned_meta, char *err, size_t errlen)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	__u32 theirs = pinned_meta ? pinned_meta->version : 0;
	const char *what = NULL;
	__u32 have = 0, want = 0;

	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		int e = -errno;

		errmsg_set(err, errlen, "%s/%s: cannot read map info: %s", pin_dir, d->name,
			   strerror(-e));
		return e;
	}
	if (info.type != d->type) {
		errmsg_set(
			err, errlen,
			"%s/%s: map type %s, this build expects %s (layout version %u here, %u there)",
			pin_dir, d->name, map_type_name(info.type), map_type_name(d->type),
			XRELAY_MAPS_VERSION, theirs);
		return -EPROTO;
	}
	if (info.key_size != d->key_size)
		what = "key size", have = info.key_size, want = d->key_size;
	else if (info.value_size != d->value_size)
		what = "value size", have = info.value_size, want = d->value_size;
	else if (info.max_entries != d->max_entries)
		what = "max_entries", have = info.max_entries, want = d->max_entries;
	else if (info.map_flags != d->flags)
		what = "map flags", have = info.map_flags, want = d->flags;
	if (what) {
		errmsg_set(
			err, errlen,
			"%s/%s: %s %u in the pinned map, %u in this build (layout version %u here, "
			"%u there); stop what uses %s and remove it, or use another --pin-dir",
			pin_dir, d->name, what, have, want, XRELAY_MAPS_VERSION, theirs, pin_dir);
		return -EPROTO;
	}
	return 0;
}

/*
 * Read the pinned meta's first two words (magic, version), whatever its value size: they are
 * at the same place in every layout version, so a mismatch can always be named.
 */
static int meta_peek(int fd, struct xrelay_meta *out)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), key = 0;
	void *buf;
	int ret = 0;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_ARRAY || info.value_size < 8)
		return -EPROTO;
	buf = calloc(1, info.value_size);
	if (!buf)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &key, buf))
		ret = -errno;
	else
		memcpy(out, buf, info.value_size < sizeof(*out) ? info.value_size : sizeof(*out));
	free(buf);
	return ret;
}

static int map_create(const struct map_def *d)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = d->flags);
	int fd =
		bpf_map_create(d->type, d->name, d->key_size, d->value_size, d->max_entries, &opts);

	return fd < 0 ? -errno : fd;
}

static int open_maps(struct mapctl *m, unsigned int flags, char *err, size_t errlen)
{
	const struct map_def *md = &map_defs[XRELAY_MAP_META];
	struct xrelay_meta pinned = {}, *meta_p = NULL;
	char path[PATH_MAX + 32];
	int i, fd, ret;

	/* meta first: its version names a mismatch better than any size can. */
	snprintf(path, sizeof(path), "%s/%s", m->pin_dir, md->name);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		m->fds[XRELAY_MAP_META] = fd;
		ret = meta_peek(fd, &pinned);
		if (ret) {
			errmsg_set(err, errlen, "%s: not an xrelay meta map: %s", path,
				   strerror(-ret));
			return ret;
		}
		if (pinned.magic == XRELAY_MAPS_MAGIC) {
			meta_p = &pinned;
			if (pinned.version != XRELAY_MAPS_VERSION) {
				errmsg_set(
					err, errlen,
					"maps in %s have layout version %u, this build uses version "
					"%u: stop the processes using them and remove the directory, "
					"or use another --pin-dir",
					m->pin_dir, pinned.version, XRELAY_MAPS_VERSION);
				return -EPROTO;
			}
		}
	}

	for (i = 0; i < XRELAY_MAP__MAX; i++) {
		const struct map_def *d = &map_defs[i];

		snprintf(path, sizeof(path), "%s/%s", m->pin_dir, d->name);
		if (m->fds[i] < 0) {
			fd = bpf_obj_get(path);
			if (fd < 0 && errno != ENOENT) {
				ret = -errno;
				errmsg_set(err, errlen, "%s: %s", path, strerror(errno));
				return ret;
			}
			m->fds[i] = fd;
		}
		if (m->fds[i] >= 0) {
			ret = map_check(m->fds[i], d, m->pin_dir, meta_p, err, errlen);
			if (ret)
				return ret;
			continue;
		}
		if (!(flags & MAPCTL_F_CREATE)) {
			errmsg_set(err, errlen,
				   "%s not found: no xrelay maps in %s yet (start xrelay-api or "
				   "xrelay-dataplane with this --pin-dir first)",
				   path, m->pin_dir);
			return -ENOENT;
		}
		fd = map_create(d);
		if (fd < 0) {
			errmsg_set(err, errlen, "creating map %s: %s", d->name, strerror(-fd));
			return fd;
		}
		if (bpf_obj_pin(fd, path)) {
			ret = -errno;
			close(fd);
			errmsg_set(err, errlen, "pinning %s: %s", path, strerror(-ret));
			return ret;
		}
		m->fds[i] = fd;
	}
	return 0;
}

int mapctl_open(const char *pin_dir, unsigned int flags, struct mapctl **ret, char *err,
		size_t errlen)
{
	struct mapctl *m;
	struct statfs sfs;
	int i, r;

	if (!pin_dir || !*pin_dir)
		pin_dir = MAPCTL_DEFAULT_PIN_DIR;
	if (strlen(pin_dir) >= PATH_MAX) {
		errmsg_set(err, errlen, "pin directory path too long");
		return -ENAMETOOLONG;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	snprintf(m->pin_dir, sizeof(m->pin_dir), "%s", pin_dir);
	m->dir_fd = -1;
	for (i = 0; i < XRELAY_MAP__MAX; i++)
		m->fds[i] = -1;
	pthread_mutex_init(&m->mutex, NULL);
	m->ncpus = libbpf_num_possible_cpus();
	if (m->ncpus <= 0) {
		r = m->ncpus ? m->ncpus : -EINVAL;
		errmsg_set(err, errlen, "cannot count possible CPUs: %s", strerror(-r));
		goto out_free;
	}

	if (flags & MAPCTL_F_CREATE) {
		r = mkdir_p(pin_dir);
		if (r) {
			errmsg_set(err, errlen, "creating pin directory %s: %s", pin_dir,
				   strerror(-r));
			goto out_free;
		}
	}
	m->dir_fd = open(pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (m->dir_fd < 0) {
		r = -errno;
		if (r == -ENOENT)
			errmsg_set(err, errlen,
				   "pin directory %s does not exist (start xrelay-api or "
				   "xrelay-dataplane with this --pin-dir first)",
				   pin_dir);
		else
			errmsg_set(err, errlen, "opening pin directory %s: %s", pin_dir,
				   strerror(-r));
		goto out_free;
	}
	if (fstatfs(m->dir_fd, &sfs) || sfs.f_type != BPF_FS_MAGIC) {
		r = -ENOTSUP;
		errmsg_set(err, errlen,
			   "%s is not on a BPF filesystem; mount one first: mount -t bpf bpf "
			   "/sys/fs/bpf",
			   pin_dir);
		goto out_free;
	}

	/* Creation and checking under the lock, so two starters never race to create. */
	r = mapctl_lock(m, true);
	if (r) {
		errmsg_set(err, errlen, "locking %s: %s", pin_dir, strerror(-r));
		goto out_free;
	}
	r = open_maps(m, flags, err, errlen);
	if (r)
		goto out_unlock;

	m->meta = map_mmap(m->fds[XRELAY_MAP_META], &map_defs[XRELAY_MAP_META], &m->meta_len);
	m->dp_stats = map_mmap(m->fds[XRELAY_MAP_DP_STATS], &map_defs[XRELAY_MAP_DP_STATS],
			       &m->dp_stats_len);
	m->dest_stats = map_mmap(m->fds[XRELAY_MAP_DEST_STATS], &map_defs[XRELAY_MAP_DEST_STATS],
				 &m->dest_stats_len);
	m->queue_stats = map_mmap(m->fds[XRELAY_MAP_QUEUE_STATS], &map_defs[XRELAY_MAP_QUEUE_STATS],
				  &m->queue_stats_len);
	if (!m->meta || !m->dp_stats || !m->dest_stats || !m->queue_stats) {
		r = -errno;
		errmsg_set(err, errlen, "mmap of the shared counters in %s: %s", pin_dir,
			   strerror(-r));
		goto out_unlock;
	}
	if (m->meta->magic != XRELAY_MAPS_MAGIC) {
		/* A new meta (or a creator that died before this point): stamp it. */
		m->meta->version = XRELAY_MAPS_VERSION;
		__atomic_store_n(&m->meta->magic, XRELAY_MAPS_MAGIC, __ATOMIC_RELEASE);
	}
	mapctl_unlock(m);
	*ret = m;
	return 0;

out_unlock:
	mapctl_unlock(m);
out_free:
	mapctl_close(m);
	return r;
}

void mapctl_close(struct mapctl *m)
{
	int i;

	if (!m)
		return;
	if (m->meta)
		munmap(m->meta, m->meta_len);
	if (m->dp_stats)
		munmap(m->dp_stats, m->dp_stats_len);
	if (m->dest_stats)
		munmap(m->dest_stats, m->dest_stats_len);
	if (m->queue_stats)
		munmap(m->queue_stats, m->queue_stats_len);
	for (i = 0; i < XRELAY_MAP__MAX; i++)
		if (m->fds[i] >= 0)
			close(m->fds[i]);
	if (m->dir_fd >= 0)
		close(m->dir_fd);
	pthread_mutex_destroy(&m->mutex);
	free(m);
}

int mapctl_fd(const struct mapctl *m, enum xrelay_map_id id)
{
	return id < XRELAY_MAP__MAX ? m->fds[id] : -EINVAL;
}

struct xrelay_meta *mapctl_meta(const struct mapctl *m)
{
	return m->meta;
}

struct xrelay_dp_chan_stats *mapctl_dp_stats(const struct mapctl *m)
{
	return m->dp_stats;
}

struct xrelay_dest_stats *mapctl_dest_stats(const struct mapctl *m)
{
	return m->dest_stats;
}

struct xrelay_queue_stats *mapctl_queue_stats(const struct mapctl *m)
{
	return m->queue_stats;
}

int mapctl_lock(struct mapctl *m, bool exclusive)
{
	int r;

	r = pthread_mutex_lock(&m->mutex);
	if (r)
		return -r;
	while (flock(m->dir_fd, exclusive ? LOCK_EX : LOCK_SH)) {
		if (errno == EINTR)
			continue;
		r = -errno;
		pthread_mutex_unlock(&m->mutex);
		return r;
	}
	return 0;
}

void mapctl_unlock(struct mapctl *m)
{
	(void)flock(m->dir_fd, LOCK_UN);
	pthread_mutex_unlock(&m->mutex);
}

__u64 mapctl_gen(const struct mapctl *m)
{
	return __atomic_load_n(&m->meta->config_gen, __ATOMIC_ACQUIRE);
}

__u64 mapctl_gen_bump(struct mapctl *m)
{
	return __atomic_add_fetch(&m->meta->config_gen, 1, __ATOMIC_ACQ_REL);
}

__u32 mapctl_pidns_self(void)
{
	static __u32 ino; /* the same for the process's life: computed once, races are benign */
	struct stat st;
	__u32 v = __atomic_load_n(&ino, __ATOMIC_RELAXED);

	if (!v && !stat("/proc/self/ns/pid", &st)) {
		v = (__u32)st.st_ino;
		__atomic_store_n(&ino, v, __ATOMIC_RELAXED);
	}
	return v;
}

bool mapctl_dataplane_alive(const struct mapctl *m, __u64 max_age_ms, __u64 *ret_age_ms)
{
	__u64 hb = __atomic_load_n(&m->meta->heartbeat_ns, __ATOMIC_ACQUIRE);
	__u32 pid = __atomic_load_n(&m->meta->dp_pid, __ATOMIC_ACQUIRE);
	__u32 pidns = __atomic_load_n(&m->meta->dp_pidns, __ATOMIC_ACQUIRE);
	__u64 now = clock_ns(CLOCK_MONOTONIC), age;

	age = hb && hb <= now ? (now - hb) / 1000000 : UINT64_MAX;
	if (hb && hb > now)
		age = 0;
	if (ret_age_ms)
		*ret_age_ms = age;
	if (!pid || age == UINT64_MAX || age > max_age_ms)
		return false;
	/*
	 * The heartbeat decides. The pid says more only inside the PID namespace it was taken in
	 * (an API in a container beside a host-network dataplane sees ESRCH for a live one):
	 * there, a dataplane that is gone is known gone now rather than max_age_ms later, so a
	 * restart after kill -9 need not wait.
	 */
	if (pidns && pidns == mapctl_pidns_self() && kill((pid_t)pid, 0) && errno == ESRCH)
		return false;
	return true;
}

int mapctl_key_from_str(struct xrelay_chan_key *key, const char *addr, __u16 port)
{
	memset(key, 0, sizeof(*key));
	key->port = htons(port);
	if (!addr || !*addr)
		return 0;
	return addr_parse(addr, key->addr);
}

int mapctl_xdp_global(struct mapctl *m, struct xrelay_xdp_global *out)
{
	struct xrelay_xdp_global *per_cpu;
	__u32 key = 0;
	size_t f, nf = sizeof(*out) / sizeof(__u64);
	int c, r = 0;

	memset(out, 0, sizeof(*out));
	per_cpu = calloc((size_t)m->ncpus, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(m->fds[XRELAY_MAP_XDP_GLOBAL], &key, per_cpu)) {
		r = -errno;
	} else {
		for (c = 0; c < m->ncpus; c++)
			for (f = 0; f < nf; f++)
				((__u64 *)out)[f] += ((__u64 *)&per_cpu[c])[f];
	}
	free(per_cpu);
	return r;
}
