/* SPDX-License-Identifier: MIT */
/*
 * Entity tags of the control API (RFC 9110 8.8.3, 13.1.1): a channel's ETag is its generation
 * as a strong tag, and If-Match is evaluated against it. Which responses carry one and what a
 * failed precondition answers is the handlers'.
 */
#ifndef XRELAY_CP_ETAG_H
#define XRELAY_CP_ETAG_H

#include <stddef.h>

#include <linux/types.h>

/* Room for any tag etag_format writes: a quoted 64-bit number. */
#define ETAG_LEN 24

/* Write @generation's tag ("\"7\"", quotes included) into @buf of @len (ETAG_LEN) bytes. */
void etag_format(__u64 generation, char *buf, size_t len);

/*
 * Evaluate an If-Match field value (several field lines joined by ", ") for a channel that
 * exists with @generation, by strong comparison: 1 when it is "*" or lists the channel's tag,
 * 0 when it lists only others (weak tags never match; an empty list matches nothing), -EINVAL
 * when it is not "*" nor a list of entity tags. Pure; any thread.
 */
int etag_match(const char *if_match, __u64 generation);

#endif
