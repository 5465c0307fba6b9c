/* SPDX-License-Identifier: MIT */
/*
 * Pacing for xrelay-replay: when each record is due on CLOCK_MONOTONIC (its recorded ts_ns
 * offset scaled by a speed, or a fixed rate, or now), waiting for a due time (sleep, then a
 * short spin for the last stretch), and the timing error of each send (sent minus due) kept
 * for its percentiles. Program-side code (tools/).
 */
#ifndef XRELAY_TOOLS_PACER_H
#define XRELAY_TOOLS_PACER_H

#include <stdint.h>

struct pacer;

enum pacer_mode {
	PACER_RECORDED, /* ts_ns offsets divided by the speed */
	PACER_RATE,	/* a fixed number of records a second */
	PACER_TOP,	/* every record due at once */
};

/* A pacer starting @lead_ns from now. @speed > 0 (PACER_RECORDED), @rate > 0 (PACER_RATE). */
int pacer_new(enum pacer_mode mode, double speed, double rate, int64_t lead_ns, struct pacer **ret);
void pacer_free(struct pacer *p);

/*
 * The monotonic due time of the next record, recorded at @ts_ns. A record older than the
 * previous one (another shard's, or a new loop) is due no earlier than it. Call once a record,
 * in order; pacer_loop between loops so that the next pass follows on from this one.
 */
int64_t pacer_due(struct pacer *p, int64_t ts_ns);
void pacer_loop(struct pacer *p);

/* Wait until CLOCK_MONOTONIC reaches @due_ns; returns the time it did (>= due_ns). */
int64_t pacer_wait(int64_t due_ns);

/* CLOCK_MONOTONIC in ns. */
int64_t pacer_now(void);

/* Count a send at @sent_ns of a record due at @due_ns. */
void pacer_note(struct pacer *p, int64_t due_ns, int64_t sent_ns);

/*
 * Percentile @pct (0-100) of |sent - due| over the sends noted, in ns (0 if none); the
 * latest lag (sent - due) for progress lines.
 */
int64_t pacer_error_pct(struct pacer *p, double pct);
int64_t pacer_last_lag(const struct pacer *p);

#endif /* XRELAY_TOOLS_PACER_H */
