/* SPDX-License-Identifier: MIT */
/*
 * A channel's `retention` member on the wire, for api/channel.c: {"max_age": seconds | null,
 * "max_bytes": bytes | null} into and out of struct xrelay_channel_cfg's retain_* fields.
 * Pure functions of their arguments. Applying the limits is the dataplane's (dataplane/retain.c).
 */
#ifndef XRELAY_API_RETENTION_H
#define XRELAY_API_RETENTION_H

#include <jansson.h>

#include "xrelay/api.h"

#define API_RETAIN_AGE_MAX 4294967295ll	 /* seconds: ~136 years, a __u32 */
#define API_RETAIN_BYTES_MAX (1ll << 60) /* an exbibyte */

/*
 * 400 if @v (the value of `retention`; NULL when absent) is an object with a member other than
 * max_age and max_bytes. Returns 0 or -1 with *@err filled.
 */
int api_retention_check_unknown(const json_t *v, struct api_error *err);

/*
 * Merge @v, the value of `retention` in a POST or PATCH body, into @cfg (JSON merge patch,
 * RFC 7396): null clears both limits; an object sets each member it names (an integer, 1 to
 * API_RETAIN_AGE_MAX seconds or API_RETAIN_BYTES_MAX bytes) or clears it (null), and leaves
 * the others. A member other than max_age and max_bytes is a 400; anything but an object or
 * null, or a value out of range, a 422 naming the field ("retention/max_age"). On error @cfg
 * is unchanged. Returns 0 or -1 with *@err filled.
 */
int api_retention_merge(const json_t *v, struct xrelay_channel_cfg *cfg, struct api_error *err);

/* {"max_age": n | null, "max_bytes": n | null} of @cfg. New reference; NULL on ENOMEM. */
json_t *api_retention_to_json(const struct xrelay_channel_cfg *cfg);

#endif
