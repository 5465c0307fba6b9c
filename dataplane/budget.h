/* SPDX-License-Identifier: MIT */
/*
 * One budget for all the dataplane's block memory (--buffer-mb), shared by every shard of
 * every worker: a block buffer is made only if its bytes fit, and its bytes are given back
 * when it is freed. Over the budget a record is dropped and counted (buffer_full), never an
 * OOM. Header-only: lock-free (one atomic per buffer made or freed, never per packet).
 */
#ifndef XRELAY_DP_BUDGET_H
#define XRELAY_DP_BUDGET_H

#include <stdbool.h>

#include <linux/types.h>

struct budget {
	__u64 limit; /* bytes; set before any worker runs */
	__u64 used;  /* atomic */
};

/* Take @n bytes of @b if they fit: true, or false with nothing taken. Any thread. */
static inline bool budget_take(struct budget *b, __u64 n)
{
	__u64 used = __atomic_add_fetch(&b->used, n, __ATOMIC_RELAXED);

	if (used <= b->limit)
		return true;
	__atomic_sub_fetch(&b->used, n, __ATOMIC_RELAXED);
	return false;
}

/* Give @n bytes taken before back to @b. Any thread. */
static inline void budget_give(struct budget *b, __u64 n)
{
	__atomic_sub_fetch(&b->used, n, __ATOMIC_RELAXED);
}

#endif
