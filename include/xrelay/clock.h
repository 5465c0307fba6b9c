/* SPDX-License-Identifier: MIT */
/* The time in nanoseconds, for every part that compares or stores times as one number. */
#ifndef XRELAY_CLOCK_H
#define XRELAY_CLOCK_H

#include <time.h>

#include <linux/types.h>

/* @clk now, in ns (CLOCK_MONOTONIC is what the XDP program and the heartbeat use). */
static inline __u64 clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

#endif
