// SPDX-License-Identifier: MIT
/*
 * Counters on the wire (xrelay/api.h): a channel's totals and the XDP program's global
 * counters as JSON, and the drop causes the API names with where each count comes from.
 * Pure: no I/O, no maps, no logging, no mutable globals.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "xrelay/api.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const struct api_drop_cause api_drop_causes[] = {
	{ "redirect_miss",
	  "matched at XDP but no AF_XDP socket on the rx queue: passed to the kernel, not captured" },
	{ "fragments", "first IPv4 fragments to the channel: passed to the kernel, not captured" },
	{ "ring_full", "lost between XDP and the dataplane worker (AF_XDP rx ring full)" },
	{ "no_buffer", "socket backend had no free receive buffer" },
	{ "no_writer", "the channel's file could not be opened" },
	{ "write_failed", "a block write to the channel's file failed for good" },
	{ "send_queue_full", "the re-send ring or queue was full" },
	{ "truncated", "frame shorter than its headers say" },
};
const size_t api_drop_causes_n = ARRAY_SIZE(api_drop_causes);

/* Where the count of each cause of api_drop_causes is, in the same order. */
static const size_t drop_offsets[] = {
	offsetof(struct mapctl_chan_totals, xdp.redirect_miss),
	offsetof(struct mapctl_chan_totals, xdp.frags_passed),
	offsetof(struct mapctl_chan_totals, dp.drops[XRELAY_DROP_XSK_GAP]),
	offsetof(struct mapctl_chan_totals, dp.drops[XRELAY_DROP_NO_BUFFER]),
	offsetof(struct mapctl_chan_totals, dp.drops[XRELAY_DROP_NO_WRITER]),
	offsetof(struct mapctl_chan_totals, dp.drops[XRELAY_DROP_WRITE]),
	offsetof(struct mapctl_chan_totals, dp.drops[XRELAY_DROP_SEND_QUEUE]),
	offsetof(struct mapctl_chan_totals, dp.drops[XRELAY_DROP_TRUNCATED]),
};
_Static_assert(ARRAY_SIZE(drop_offsets) == ARRAY_SIZE(api_drop_causes),
	       "every drop cause needs a source in drop_offsets");
/* The two XDP causes plus one per dataplane cause: a new XRELAY_DROP_* needs a name here. */
_Static_assert(ARRAY_SIZE(api_drop_causes) == 2 + XRELAY_DROP_TRUNCATED + 1 &&
		       XRELAY_DROP_TRUNCATED + 1 == XRELAY_DROP__RESERVED6,
	       "api_drop_causes must name every XRELAY_DROP_* cause");

__u64 api_drop_count(const struct mapctl_chan_totals *t, size_t i)
{
	__u64 v;

	if (i >= ARRAY_SIZE(drop_offsets))
		return 0;
	memcpy(&v, (const char *)t + drop_offsets[i], sizeof(v));
	return v;
}

/*
 * JSON integers are signed 64-bit: a counter past INT64_MAX (centuries at line rate) shows
 * as INT64_MAX rather than as a negative number.
 */
static json_t *counter(__u64 v)
{
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

json_t *api_stats_to_json(const struct mapctl_chan_totals *t)
{
	json_t *o = json_object(), *drops = json_object();
	__u64 sum = 0, n;
	int bad = !o || !drops;
	size_t i;

	for (i = 0; !bad && i < api_drop_causes_n; i++) {
		n = api_drop_count(t, i);
		sum = sum + n < sum ? UINT64_MAX : sum + n;
		bad |= json_object_set_new(drops, api_drop_causes[i].name, counter(n));
	}
	if (bad) {
		json_decref(o);
		json_decref(drops);
		return NULL;
	}
	bad |= json_object_set_new(o, "rx_packets", counter(t->xdp.rx_packets));
	bad |= json_object_set_new(o, "rx_bytes", counter(t->xdp.rx_bytes));
	bad |= json_object_set_new(o, "recorded_packets", counter(t->dp.recorded_packets));
	bad |= json_object_set_new(o, "recorded_bytes", counter(t->dp.recorded_bytes));
	bad |= json_object_set_new(o, "sent_packets", counter(t->dp.sent_packets));
	bad |= json_object_set_new(o, "sent_bytes", counter(t->dp.sent_bytes));
	bad |= json_object_set_new(o, "write_errors", counter(t->dp.write_errors));
	bad |= json_object_set_new(o, "send_errors", counter(t->dp.send_errors));
	bad |= json_object_set_new(o, "dropped_packets", counter(sum));
	bad |= json_object_set_new(o, "drops", drops);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static const struct {
	const char *name;
	size_t off;
} xdp_global_fields[] = {
	{ "packets", offsetof(struct xrelay_xdp_global, packets) },
	{ "pass_not_ip", offsetof(struct xrelay_xdp_global, pass_not_ip) },
	{ "pass_not_udp", offsetof(struct xrelay_xdp_global, pass_not_udp) },
	{ "pass_no_match", offsetof(struct xrelay_xdp_global, pass_no_match) },
	{ "pass_frag", offsetof(struct xrelay_xdp_global, pass_frag) },
	{ "pass_malformed", offsetof(struct xrelay_xdp_global, pass_malformed) },
	{ "redirected", offsetof(struct xrelay_xdp_global, redirected) },
	{ "meta_fail", offsetof(struct xrelay_xdp_global, meta_fail) },
};
_Static_assert(ARRAY_SIZE(xdp_global_fields) * sizeof(__u64) == sizeof(struct xrelay_xdp_global),
	       "every counter of struct xrelay_xdp_global needs a name");

json_t *api_xdp_global_to_json(const struct xrelay_xdp_global *g)
{
	json_t *o = json_object();
	int bad = !o;
	size_t i;
	__u64 v;

	for (i = 0; !bad && i < ARRAY_SIZE(xdp_global_fields); i++) {
		memcpy(&v, (const char *)g + xdp_global_fields[i].off, sizeof(v));
		bad |= json_object_set_new(o, xdp_global_fields[i].name, counter(v));
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}
