// SPDX-License-Identifier: MIT
/* Due times, waiting and timing errors; see pacer.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "pacer.h"

/* Errors kept at most (then every other one is dropped: a uniform thinning). */
#define ERRORS_MAX (1u << 22)
/* The last stretch before a due time is spun, not slept: a sleep wakes up late by ~50 us. */
#define SPIN_NS 80000

struct pacer {
	enum pacer_mode mode;
	double speed, rate;
	int64_t t0;   /* monotonic time of the first record */
	int64_t ts0;  /* its recorded ts_ns */
	int64_t last; /* the last due time given */
	int64_t base; /* due-time offset of the current loop */
	uint64_t n;   /* records paced in this loop */
	bool first;
	int64_t lag;
	int32_t *err;
	size_t nerr, step, skip;
	bool sorted;
};

int64_t pacer_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

int pacer_new(enum pacer_mode mode, double speed, double rate, int64_t lead_ns, struct pacer **ret)
{
	struct pacer *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->err = malloc(ERRORS_MAX * sizeof(*p->err));
	if (!p->err) {
		free(p);
		return -ENOMEM;
	}
	p->mode = mode;
	p->speed = speed;
	p->rate = rate;
	p->t0 = pacer_now() + lead_ns;
	p->last = p->t0;
	p->first = true;
	p->step = 1;
	*ret = p;
	return 0;
}

void pacer_free(struct pacer *p)
{
	if (!p)
		return;
	free(p->err);
	free(p);
}

int64_t pacer_due(struct pacer *p, int64_t ts_ns)
{
	int64_t due;

	if (p->first) {
		p->ts0 = ts_ns;
		p->first = false;
	}
	switch (p->mode) {
	case PACER_RECORDED:
		due = p->base + p->t0 + (int64_t)((double)(ts_ns - p->ts0) / p->speed);
		break;
	case PACER_RATE:
		due = p->base + p->t0 + (int64_t)((double)p->n * 1e9 / p->rate);
		break;
	default:
		due = p->t0;
	}
	p->n++;
	if (due < p->last)
		due = p->last;
	p->last = due;
	return due;
}

void pacer_loop(struct pacer *p)
{
	/* The next pass starts one mean gap after the last record of this one. */
	int64_t gap = p->n > 1 ? (p->last - p->base - p->t0) / (int64_t)(p->n - 1) : 0;

	if (p->mode == PACER_TOP)
		return;
	p->base = p->last - p->t0 + gap;
	p->first = true;
	p->n = 0;
}

int64_t pacer_wait(int64_t due_ns)
{
	int64_t now = pacer_now();

	if (due_ns - now > SPIN_NS) {
		int64_t until = due_ns - SPIN_NS;
		struct timespec ts = { .tv_sec = until / 1000000000ll,
				       .tv_nsec = until % 1000000000ll };

		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
	while ((now = pacer_now()) < due_ns)
		;
	return now;
}

void pacer_note(struct pacer *p, int64_t due_ns, int64_t sent_ns)
{
	int64_t e = sent_ns - due_ns;
	size_t i;

	p->lag = e;
	if (++p->skip < p->step)
		return;
	p->skip = 0;
	if (p->nerr == ERRORS_MAX) {
		for (i = 0; i < ERRORS_MAX / 2; i++)
			p->err[i] = p->err[2 * i];
		p->nerr = ERRORS_MAX / 2;
		p->step *= 2;
	}
	if (e < 0)
		e = -e;
	p->err[p->nerr++] = e > INT32_MAX ? INT32_MAX : (int32_t)e;
	p->sorted = false;
}

static int cmp32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

int64_t pacer_error_pct(struct pacer *p, double pct)
{
	size_t i;

	if (!p->nerr)
		return 0;
	if (!p->sorted) {
		qsort(p->err, p->nerr, sizeof(*p->err), cmp32);
		p->sorted = true;
	}
	i = (size_t)(pct / 100.0 * (double)(p->nerr - 1) + 0.5);
	return p->err[i < p->nerr ? i : p->nerr - 1];
}

int64_t pacer_last_lag(const struct pacer *p)
{
	return p->lag;
}
