/* SPDX-License-Identifier: MIT */
/*
 * The one scheme of a worker's io_uring user_data, so that its loop can tell whose each
 * completion is: bit 0 set, a send slot's index above it (resend.h); bits 1-0 = 10, a channel
 * socket's receive, the channel id above them (sockrx.h); bits 1-0 = 00 and not 0, a writer's
 * operation (struct wop: a block's write or a file's fsync, writer.h; pointers are 8-byte
 * aligned); 0 (requests whose completion nobody needs) or LIBURING_UDATA_TIMEOUT, liburing's
 * own. Header-only and pure: decoded once per completion.
 */
#ifndef XRELAY_DP_CQETAG_H
#define XRELAY_DP_CQETAG_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/types.h>

#define CQETAG_SEND 1ull
#define CQETAG_RECV 2ull

/* The user_data of send slot @slot. */
static inline __u64 cqetag_send(__u32 slot)
{
	return ((__u64)slot << 1) | CQETAG_SEND;
}

/* The user_data of a writer's operation @op (an aligned pointer). */
static inline __u64 cqetag_wop(const void *op)
{
	return (__u64)(uintptr_t)op;
}

/* The user_data of channel @id's receive on its socket. */
static inline __u64 cqetag_recv(__u32 id)
{
	return ((__u64)id << 2) | CQETAG_RECV;
}

/* Whether @ud is a receive's (not a send's: test cqetag_is_send first). */
static inline bool cqetag_is_recv(__u64 ud)
{
	return ud & CQETAG_RECV;
}

/* The channel id of a receive's user_data (cqetag_is_recv). */
static inline __u32 cqetag_recv_id(__u64 ud)
{
	return (__u32)(ud >> 2);
}

static inline bool cqetag_is_send(__u64 ud)
{
	return ud & CQETAG_SEND;
}

/* The slot of a send's user_data (cqetag_is_send). */
static inline __u32 cqetag_slot(__u64 ud)
{
	return (__u32)(ud >> 1);
}

/* The writer's operation of a user_data (not cqetag_is_send, not 0). */
static inline void *cqetag_to_wop(__u64 ud)
{
	return (void *)(uintptr_t)ud;
}

#endif
