// SPDX-License-Identifier: MIT
/* Deadlines on requests that arrive too slowly; see guard.h. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/types.h>

#include "guard.h"
#include "xrelay/clock.h"

#define REAP_EVERY_MS 100

struct guard_conn {
	int fd;
	__u64 deadline_ns; /* CLOCK_MONOTONIC; 0: no request under way (answered) */
	bool used;
};

struct guard {
	pthread_mutex_t mutex; /* guards the slots and stop; held across shutdown() (see untrack) */
	pthread_cond_t wake;
	pthread_t th;
	bool stop;
	__u64 timeout_ns;
	unsigned long reaped;
	unsigned int nconns;
	struct guard_conn conns[];
};

static void *reaper(void *arg)
{
	struct guard *g = arg;
	struct timespec ts;
	unsigned int i;

	pthread_mutex_lock(&g->mutex);
	while (!g->stop) {
		__u64 now = clock_ns(CLOCK_MONOTONIC);

		for (i = 0; i < g->nconns; i++) {
			struct guard_conn *c = &g->conns[i];

			if (!c->used || !c->deadline_ns || now < c->deadline_ns)
				continue;
			/*
			 * The server sees end of file and closes the connection itself; the fd
			 * stays open until then (its close comes after guard_untrack, which
			 * waits for this mutex), so it cannot be another connection's yet.
			 */
			(void)shutdown(c->fd, SHUT_RDWR);
			c->deadline_ns = 0;
			__atomic_store_n(&g->reaped, g->reaped + 1, __ATOMIC_RELAXED);
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += REAP_EVERY_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&g->wake, &g->mutex, &ts);
	}
	pthread_mutex_unlock(&g->mutex);
	return NULL;
}

int guard_new(unsigned int max_conns, unsigned int timeout_ms, struct guard **ret)
{
	struct guard *g = calloc(1, sizeof(*g) + (size_t)max_conns * sizeof(g->conns[0]));
	pthread_condattr_t ca;
	int r;

	if (!g)
		return -ENOMEM;
	g->nconns = max_conns;
	g->timeout_ns = (__u64)timeout_ms * 1000000ull;
	pthread_mutex_init(&g->mutex, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->wake, &ca);
	pthread_condattr_destroy(&ca);
	r = pthread_create(&g->th, NULL, reaper, g);
	if (r) {
		pthread_cond_destroy(&g->wake);
		pthread_mutex_destroy(&g->mutex);
		free(g);
		return -r;
	}
	*ret = g;
	return 0;
}

void guard_free(struct guard *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->mutex);
	g->stop = true;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->mutex);
	pthread_join(g->th, NULL);
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->mutex);
	free(g);
}

struct guard_conn *guard_track(struct guard *g, int fd)
{
	struct guard_conn *found = NULL;
	unsigned int i;

	pthread_mutex_lock(&g->mutex);
	for (i = 0; i < g->nconns; i++) {
		if (!g->conns[i].used) {
			found = &g->conns[i];
			found->used = true;
			found->fd = fd;
			found->deadline_ns = clock_ns(CLOCK_MONOTONIC) + g->timeout_ns;
			break;
		}
	}
	pthread_mutex_unlock(&g->mutex);
	return found;
}

void guard_answered(struct guard *g, struct guard_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&g->mutex);
	c->deadline_ns = 0;
	pthread_mutex_unlock(&g->mutex);
}

void guard_next(struct guard *g, struct guard_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&g->mutex);
	c->deadline_ns = clock_ns(CLOCK_MONOTONIC) + g->timeout_ns;
	pthread_mutex_unlock(&g->mutex);
}

void guard_untrack(struct guard *g, struct guard_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&g->mutex);
	c->used = false;
	c->deadline_ns = 0;
	c->fd = -1;
	pthread_mutex_unlock(&g->mutex);
}

unsigned long guard_reaped(const struct guard *g)
{
	return __atomic_load_n(&g->reaped, __ATOMIC_RELAXED);
}
