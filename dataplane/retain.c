// SPDX-License-Identifier: MIT
/*
 * Retention (see retain.h): the passes that pick and remove closed files, and the thread that
 * runs them. It owns its own snapshot of the channel config (read under the editors' shared
 * lock, like follow.c's) and writes nothing but files_deleted and bytes_deleted. Unlike the
 * library-like modules it logs: each removal is the record an operator asks for.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "ocf_name.h"
#include "oldest.h"
#include "retain.h"
#include "stats.h"
#include "xrelay/clock.h"
#include "xrelay/log.h"

#define RETAIN_WARN_NS (60ull * 1000000000ull) /* one "cannot keep free" warning a minute */
#define NS 1000000000ull

/* A channel as retention sees it, sorted by name. */
struct chan {
	char name[XRELAY_NAME_LEN];
	__u32 id;
	__u64 max_bytes;
	__u64 max_age_ns;
};

struct retain {
	struct retain_opts o;
	struct xrelay_channel_cfg *all; /* the snapshot */
	struct chan *chans;
	unsigned int nchans;
	struct oldest local, global; /* a folder's oldest files; all folders' */
	__u64 warned_ns;
	pthread_t thread;
	bool started;
	bool stop; /* under lock */
	pthread_mutex_t lock;
	pthread_cond_t wake;
};

int retain_parse_keep(const char *s, struct retain_keep *ret)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (!strcmp(end, "%")) {
		if (v > 99)
			return -EINVAL;
		*ret = (struct retain_keep){ .value = v, .percent = true };
		return 0;
	}
	switch (*end) {
	case 'T':
		shift += 10;
		/* fall through */
	case 'G':
		shift += 10;
		/* fall through */
	case 'M':
		shift += 10;
		/* fall through */
	case 'K':
		shift += 10;
		end++;
		break;
	case '\0':
		break;
	default:
		return -EINVAL;
	}
	if (*end || (shift && v > (~0ull >> shift)))
		return -EINVAL;
	*ret = (struct retain_keep){ .value = v << shift, .percent = false };
	return 0;
}

static int chan_cmp(const void *a, const void *b)
{
	return strcmp(((const struct chan *)a)->name, ((const struct chan *)b)->name);
}

/* The channels of a consistent snapshot (editors' shared lock, as follow.c takes it). */
static int chans_load(struct retain *r)
{
	unsigned int id;
	int err;

	err = mapctl_lock(r->o.m, false);
	if (err)
		return err;
	err = mapctl_channel_snapshot(r->o.m, r->all);
	mapctl_unlock(r->o.m);
	if (err)
		return err;
	r->nchans = 0;
	for (id = 0; id < XRELAY_MAX_CHANNELS; id++) {
		const struct xrelay_channel_cfg *c = &r->all[id];
		struct chan *ch;

		if (c->state == XRELAY_CH_FREE || !memchr(c->name, '\0', sizeof(c->name)))
			continue;
		ch = &r->chans[r->nchans++];
		memcpy(ch->name, c->name, sizeof(ch->name));
		ch->id = id;
		ch->max_bytes = c->retain_bytes;
		ch->max_age_ns = (__u64)c->retain_seconds * NS;
	}
	qsort(r->chans, r->nchans, sizeof(*r->chans), chan_cmp);
	return 0;
}

static const struct chan *chans_find(const struct retain *r, const char *name)
{
	struct chan key;

	/* @name passed name_valid: at most NAME_MAX_LEN characters. */
	memcpy(key.name, name, strlen(name) + 1);
	return bsearch(&key, r->chans, r->nchans, sizeof(*r->chans), chan_cmp);
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && !memcmp(s + n - k, suffix, k);
}

/*
 * Whether @name is a closed file the dataplane made (<channel>-q<queue>-<stamp>-<n>.avro, by
 * ocf_name's rule), its queue into *@queue.
 */
static bool name_closed(const char *name, size_t n, __u32 *queue)
{
	char part[OCF_NAME_MAX], base[OCF_NAME_MAX];
	unsigned long num;
	const char *p, *digits;

	if (!ends_with(name, n, OCF_FINAL_SUFFIX) || n + 6 > sizeof(part))
		return false;
	memcpy(part, name, n);
	memcpy(part + n, ".part", 6);
	if (ocf_name_parse_part(part, base, sizeof(base), &num))
		return false;
	/* base = <channel>-q<queue>-<stamp>, and the parser checked that form. */
	p = base + strlen(base) - OCF_STAMP_LEN - 1;
	for (digits = p; digits > base && digits[-1] >= '0' && digits[-1] <= '9'; digits--)
		;
	*queue = (__u32)strtoul(digits, NULL, 10);
	if (*queue >= XRELAY_MAX_QUEUES)
		*queue = 0;
	return true;
}

/*
 * Remove @c from @dfd unless a reader holds a lock on it; count it and log @why. Returns 1
 * removed, 0 gone already or locked (*@busy set), -errno.
 */
static int remove_one(struct retain *r, int dfd, const struct oldest_file *c, __u64 now_ns,
		      const char *why, bool *busy)
{
	struct xrelay_dp_chan_stats *row;
	struct stat st;
	int fd, err = 0;

	*busy = false;
	fd = openat(dfd, c->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? 0 : -errno;
		*busy = !err;
		goto out_close;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto out_close;
	}
	if (unlinkat(dfd, c->name, 0)) {
		err = errno == ENOENT ? 0 : -errno;
		goto out_close;
	}
	err = 1;
	if (c->id >= 0) {
		row = stats_row(r->o.m, c->queue, (__u32)c->id);
		__atomic_fetch_add(&row->files_deleted, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&row->bytes_deleted, (__u64)st.st_size, __ATOMIC_RELAXED);
	}
	pr_info("retention: removed %s/%s/%s (%lld bytes, closed %llu s ago): %s", r->o.out_dir,
		c->folder, c->name, (long long)st.st_size,
		(unsigned long long)(now_ns > c->mtime_ns ? (now_ns - c->mtime_ns) / NS : 0), why);
out_close:
	close(fd);
	return err;
}

/* Remove @c, logging a failure. Returns whether it is gone now. */
static bool remove_logged(struct retain *r, int dfd, const struct oldest_file *c, __u64 now_ns,
			  const char *why, struct retain_report *rep)
{
	bool busy;
	int err = remove_one(r, dfd, c, now_ns, why, &busy);

	if (err == 1) {
		rep->removed++;
		rep->bytes += c->size;
		return true;
	}
	if (busy) {
		rep->busy++;
		pr_debug("retention: %s/%s/%s is locked by a reader; left for now", r->o.out_dir,
			 c->folder, c->name);
	} else if (err < 0) {
		pr_warn("retention: cannot remove %s/%s/%s: %s", r->o.out_dir, c->folder, c->name,
			strerror(-err));
	}
	return false;
}

/*
 * One folder: its closed files into r->local, the channel's limits applied to them (when
 * @limits and it has some), what is left offered to r->global (when @need).
 */
static void scan_folder(struct retain *r, const char *folder, const struct chan *ch, bool limits,
			bool need, __u64 now_ns, struct retain_report *rep)
{
	struct dirent *de;
	__u64 total = 0;
	unsigned int i;
	char why[160];
	int dfd;
	DIR *d;

	dfd = openat(r->o.out_fd, folder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return;
	d = fdopendir(dup(dfd));
	if (!d)
		goto out_close;
	rep->scanned++;
	r->local.n = 0;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		struct oldest_file c;
		struct stat st;
		bool part;

		part = ends_with(de->d_name, n, OCF_PART_SUFFIX);
		if (!part && !name_closed(de->d_name, n, &c.queue))
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		total += (__u64)st.st_size;
		if (part)
			continue;
		c.mtime_ns = (__u64)st.st_mtim.tv_sec * NS + (__u64)st.st_mtim.tv_nsec;
		c.size = (__u64)st.st_size;
		c.space = (__u64)st.st_blocks * 512;
		c.id = ch ? (__s32)ch->id : -1;
		/* Both lengths were checked: name_valid, and name_closed's bound. */
		memcpy(c.folder, folder, strlen(folder) + 1);
		memcpy(c.name, de->d_name, n + 1);
		oldest_push(&r->local, &c);
	}
	closedir(d);
	oldest_sort(&r->local);
	for (i = 0; i < r->local.n; i++) {
		struct oldest_file *c = &r->local.f[i];
		bool old, big;

		if (!limits || !ch)
			break;
		old = ch->max_age_ns && now_ns > c->mtime_ns &&
		      now_ns - c->mtime_ns > ch->max_age_ns;
		big = ch->max_bytes && total > ch->max_bytes;
		/* Oldest first: once this one is within both limits, so are the rest. */
		if (!old && !big)
			break;
		if (old)
			snprintf(why, sizeof(why), "older than the channel's max_age of %llu s",
				 (unsigned long long)(ch->max_age_ns / NS));
		else
			snprintf(why, sizeof(why),
				 "the channel's files take %llu bytes, its max_bytes is %llu",
				 (unsigned long long)total, (unsigned long long)ch->max_bytes);
		if (remove_logged(r, dfd, c, now_ns, why, rep)) {
			total -= c->size;
			c->name[0] = '\0';
		}
	}
	for (i = 0; need && i < r->local.n; i++)
		if (r->local.f[i].name[0])
			oldest_push(&r->global, &r->local.f[i]);
out_close:
	close(dfd);
}

int retain_pass(struct retain *r, __u64 now_ns, bool limits, struct retain_report *rep)
{
	__u64 avail, keep, need, freed = 0;
	struct statvfs sv;
	struct dirent *de;
	unsigned int i;
	char why[160];
	DIR *top;
	int err;

	memset(rep, 0, sizeof(*rep));
	if (fstatvfs(r->o.out_fd, &sv))
		return -errno;
	avail = (__u64)sv.f_bavail * sv.f_frsize;
	keep = r->o.keep.percent ? (__u64)sv.f_blocks * sv.f_frsize / 100 * r->o.keep.value
				 : r->o.keep.value;
	need = keep > avail ? keep - avail : 0;
	if (!need && !limits)
		return 0;
	err = chans_load(r);
	if (err)
		return err;
	top = fdopendir(dup(r->o.out_fd));
	if (!top)
		return -errno;
	/* A dup shares the offset, which the last reader of the folder left at its end. */
	rewinddir(top);
	r->global.n = 0;
	while ((de = readdir(top))) {
		const struct chan *ch;

		if (!name_valid(de->d_name))
			continue;
		ch = chans_find(r, de->d_name);
		if (!need && !(ch && (ch->max_bytes || ch->max_age_ns)))
			continue;
		scan_folder(r, de->d_name, ch, limits, need, now_ns, rep);
	}
	closedir(top);
	if (!need)
		return 0;
	/* Space: what the channels' limits freed counts, then the oldest closed files anywhere. */
	if (fstatvfs(r->o.out_fd, &sv) == 0) {
		avail = (__u64)sv.f_bavail * sv.f_frsize;
		need = keep > avail ? keep - avail : 0;
	}
	oldest_sort(&r->global);
	snprintf(why, sizeof(why), "--keep-free: %llu bytes free, %llu wanted",
		 (unsigned long long)avail, (unsigned long long)keep);
	for (i = 0; i < r->global.n && freed < need; i++) {
		const struct oldest_file *c = &r->global.f[i];
		int dfd = openat(r->o.out_fd, c->folder,
				 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (dfd < 0)
			continue;
		if (remove_logged(r, dfd, c, now_ns, why, rep))
			freed += c->space;
		close(dfd);
	}
	rep->short_bytes = freed < need ? need - freed : 0;
	return 0;
}

int retain_new(const struct retain_opts *o, struct retain **ret)
{
	struct retain *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->o = *o;
	if (!r->o.interval_ms)
		r->o.interval_ms = 100;
	if (!r->o.limits_ms)
		r->o.limits_ms = 1000;
	r->all = malloc(sizeof(*r->all) * XRELAY_MAX_CHANNELS);
	r->chans = malloc(sizeof(*r->chans) * XRELAY_MAX_CHANNELS);
	if (!r->all || !r->chans || oldest_init(&r->local) || oldest_init(&r->global)) {
		retain_free(r);
		return -ENOMEM;
	}
	pthread_mutex_init(&r->lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&r->wake, &ca);
		pthread_condattr_destroy(&ca);
	}
	*ret = r;
	return 0;
}

/* The thread: a pass every interval (limits every limits_ms), until retain_free. */
static void *retain_thread(void *arg)
{
	struct retain *r = arg;
	__u64 last_limits = 0;
	struct timespec ts;

	pthread_mutex_lock(&r->lock);
	while (!r->stop) {
		struct retain_report rep;
		__u64 now = clock_ns(CLOCK_MONOTONIC);
		bool limits = now - last_limits >= r->o.limits_ms * 1000000ull;
		int err;

		pthread_mutex_unlock(&r->lock);
		if (limits)
			last_limits = now;
		err = retain_pass(r, clock_ns(CLOCK_REALTIME), limits, &rep);
		if (err)
			pr_warn("retention: cannot check %s: %s", r->o.out_dir, strerror(-err));
		else if (rep.short_bytes && now - r->warned_ns >= RETAIN_WARN_NS) {
			r->warned_ns = now;
			pr_warn("retention: %s is %llu bytes short of --keep-free and has no closed "
				"file left to remove%s (the files being written take the rest: a "
				"smaller --rotate-bytes helps)",
				r->o.out_dir, (unsigned long long)rep.short_bytes,
				rep.busy ? " that no reader holds" : "");
		}
		pthread_mutex_lock(&r->lock);
		now = clock_ns(CLOCK_MONOTONIC) + r->o.interval_ms * 1000000ull;
		ts.tv_sec = (time_t)(now / NS);
		ts.tv_nsec = (long)(now % NS);
		while (!r->stop && pthread_cond_timedwait(&r->wake, &r->lock, &ts) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

int retain_start(struct retain *r)
{
	int err = pthread_create(&r->thread, NULL, retain_thread, r);

	if (err)
		return -err;
	(void)pthread_setname_np(r->thread, "xr-retain");
	r->started = true;
	return 0;
}

void retain_free(struct retain *r)
{
	if (!r)
		return;
	if (r->started) {
		pthread_mutex_lock(&r->lock);
		r->stop = true;
		pthread_cond_signal(&r->wake);
		pthread_mutex_unlock(&r->lock);
		pthread_join(r->thread, NULL);
		pthread_cond_destroy(&r->wake);
		pthread_mutex_destroy(&r->lock);
	}
	free(r->all);
	free(r->chans);
	oldest_fini(&r->local);
	oldest_fini(&r->global);
	free(r);
}
