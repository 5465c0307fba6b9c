// SPDX-License-Identifier: MIT
/*
 * Counters on the wire (xrelay/api.h): the one table per kind of counter (a channel's own, its
 * drop causes, the XDP program's global ones) with name, help and source, which /stats' JSON
 * (built here) and /metrics' text (controlplane/stats.c) both iterate.
 * Pure: no I/O, no maps, no logging, no mutable globals.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>

#include "xrelay/api.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* Designators of the source of a counter: in struct mapctl_chan_totals, in struct xrelay_xdp_global. */
#define TOTALS(f) .off = offsetof(struct mapctl_chan_totals, f)
#define XDP(f) .off = offsetof(struct xrelay_xdp_global, f)
#define DEST(f) .off = offsetof(struct xrelay_dest_stats, f)

const struct api_counter api_chan_counters[] = {
	{ "rx_packets",
	  "Packets matched to the channel by the XDP program (socket mode: taken off its sockets "
	  "or dropped on them).",
	  TOTALS(xdp.rx_packets) },
	{ "rx_bytes", "Frame bytes matched to the channel by the XDP program.",
	  TOTALS(xdp.rx_bytes) },
	{ "recorded_packets", "Records written to the channel's Avro files.",
	  TOTALS(dp.recorded_packets) },
	{ "recorded_bytes", "Payload bytes written to the channel's Avro files.",
	  TOTALS(dp.recorded_bytes) },
	{ "not_recorded_packets", "Packets taken while the channel's recording was off.",
	  TOTALS(dp.not_recorded) },
	{ "rejected_packets",
	  "Datum channels: datagrams that were not one datum of the schema, recorded in the "
	  "channel's rejected files.",
	  TOTALS(dp.rejected) },
	{ "sent_packets", "Datagrams re-sent, over all destinations.", TOTALS(dp.sent_packets) },
	{ "sent_bytes", "Payload bytes re-sent, over all destinations.", TOTALS(dp.sent_bytes) },
	{ "write_errors", "Failed block writes (retried).", TOTALS(dp.write_errors) },
	{ "send_errors", "Failed sends.", TOTALS(dp.send_errors) },
	{ "send_queue_full", "Copies not sent: the re-send ring or queue was full.",
	  TOTALS(dp.drops[XRELAY_DROP_SEND_QUEUE]) },
	{ "files_deleted", "Closed files of the channel removed by retention.",
	  TOTALS(dp.files_deleted) },
	{ "bytes_deleted", "Bytes of the closed files removed by retention.",
	  TOTALS(dp.bytes_deleted) },
};
const size_t api_chan_counters_n = ARRAY_SIZE(api_chan_counters);

/* The record path's causes: a datagram matched to the channel that is not in its files. */
const struct api_counter api_drop_causes[] = {
	{ "redirect_miss",
	  "matched at XDP but no AF_XDP socket on the rx queue: passed to the kernel, not captured",
	  TOTALS(xdp.redirect_miss) },
	{ "fragments",
	  "first IPv4 or IPv6 fragments to the channel: passed to the kernel, not captured",
	  TOTALS(xdp.frags_passed) },
	{ "ring_full", "lost between XDP and the dataplane worker (AF_XDP rx ring full)",
	  TOTALS(dp.drops[XRELAY_DROP_XSK_GAP]) },
	{ "no_buffer", "socket backend had no free receive buffer",
	  TOTALS(dp.drops[XRELAY_DROP_NO_BUFFER]) },
	{ "no_writer", "the channel's file could not be opened, or the channel was gone",
	  TOTALS(dp.drops[XRELAY_DROP_NO_WRITER]) },
	{ "write_failed", "a block write to the channel's file failed for good",
	  TOTALS(dp.drops[XRELAY_DROP_WRITE]) },
	{ "buffer_full",
	  "every block buffer was busy writing (a slow disk) or the memory budget spent",
	  TOTALS(dp.drops[XRELAY_DROP_BUFFER_FULL]) },
	{ "record_failed", "the record could not be framed (longer than a block, or a codec error)",
	  TOTALS(dp.record_failed) },
	{ "dataplane_died",
	  "taken off the wire for the dataplane, lost when it died (its ring or its memory)",
	  TOTALS(dp.drops[XRELAY_DROP_DIED]) },
	{ "truncated", "frame shorter than its headers say",
	  TOTALS(dp.drops[XRELAY_DROP_TRUNCATED]) },
	{ "socket_overflow",
	  "socket backend: dropped by the kernel, the channel socket's buffer full",
	  TOTALS(dp.drops[XRELAY_DROP_SOCKET_OVERFLOW]) },
};
const size_t api_drop_causes_n = ARRAY_SIZE(api_drop_causes);
/*
 * The two XDP causes, every dataplane cause but the send path's, and record_failed: a new
 * XRELAY_DROP_* needs a line here (or in api_chan_counters, for the send path).
 */
_Static_assert(ARRAY_SIZE(api_drop_causes) == 2 + (XRELAY_DROP__MAX - 1) + 1,
	       "api_drop_causes must name every record-path XRELAY_DROP_* cause");

/* Why a datum channel's datagram was rejected (the validator's classes). */
const struct api_counter api_reject_reasons[] = {
	[XRELAY_REJECT_TRUNCATED] = { "truncated", "the datagram ended inside the datum",
				      TOTALS(dp.rejected_why[XRELAY_REJECT_TRUNCATED]) },
	[XRELAY_REJECT_TRAILING] = { "trailing_bytes", "bytes left after one whole datum",
				     TOTALS(dp.rejected_why[XRELAY_REJECT_TRAILING]) },
	[XRELAY_REJECT_BAD_UNION] = { "bad_union", "a union branch index out of range",
				      TOTALS(dp.rejected_why[XRELAY_REJECT_BAD_UNION]) },
	[XRELAY_REJECT_BAD_LENGTH] = { "bad_length",
				       "a negative or impossible length or block count",
				       TOTALS(dp.rejected_why[XRELAY_REJECT_BAD_LENGTH]) },
	[XRELAY_REJECT_BAD_ENUM] = { "bad_enum", "an enum symbol index out of range",
				     TOTALS(dp.rejected_why[XRELAY_REJECT_BAD_ENUM]) },
	[XRELAY_REJECT_BAD_VARINT] = { "bad_varint", "an int or long longer than its encoding",
				       TOTALS(dp.rejected_why[XRELAY_REJECT_BAD_VARINT]) },
	[XRELAY_REJECT_BAD_PREFIX] = { "bad_prefix",
				       "the Confluent prefix missing or naming another schema",
				       TOTALS(dp.rejected_why[XRELAY_REJECT_BAD_PREFIX]) },
	[XRELAY_REJECT_TOO_DEEP] = { "too_deep", "nesting past the validator's bound",
				     TOTALS(dp.rejected_why[XRELAY_REJECT_TOO_DEEP]) },
	[XRELAY_REJECT_BAD_VALUE] = { "bad_value", "a boolean not 0 or 1, a string not UTF-8",
				      TOTALS(dp.rejected_why[XRELAY_REJECT_BAD_VALUE]) },
};
const size_t api_reject_reasons_n = ARRAY_SIZE(api_reject_reasons);
_Static_assert(ARRAY_SIZE(api_reject_reasons) == XRELAY_REJECT__MAX,
	       "api_reject_reasons must name every XRELAY_REJECT_* reason");

const struct api_counter api_dest_counters[] = {
	{ "selected", "Copies meant for the destination.", DEST(selected) },
	{ "sent_packets", "Copies sent to the destination.", DEST(sent_packets) },
	{ "sent_bytes", "Payload bytes sent to the destination.", DEST(sent_bytes) },
	{ "send_errors", "Copies to the destination whose send failed.", DEST(send_errors) },
	{ "send_queue_full", "Copies not sent: the re-send ring or queue was full.",
	  DEST(send_queue_full) },
	{ "dataplane_died", "Copies in flight when the dataplane died, counted by the next one.",
	  DEST(died) },
};
const size_t api_dest_counters_n = ARRAY_SIZE(api_dest_counters);
_Static_assert(ARRAY_SIZE(api_dest_counters) * sizeof(__u64) == sizeof(struct xrelay_dest_stats),
	       "every counter of struct xrelay_dest_stats needs a line in api_dest_counters");

const struct api_counter api_xdp_counters[] = {
	{ "packets", "Packets the XDP program ran on.", XDP(packets), .outcome = 0 },
	{ "pass_not_ip", "Passed: not IPv4 or IPv6 (ARP, LLDP, ...).", XDP(pass_not_ip),
	  .outcome = 2 },
	{ "pass_not_udp", "Passed: IPv4 or IPv6 but not UDP.", XDP(pass_not_udp), .outcome = 3 },
	{ "pass_no_match", "Passed: no channel takes the destination.", XDP(pass_no_match),
	  .outcome = 4 },
	{ "pass_frag", "Passed: IPv4 and IPv6 fragments, first or not.", XDP(pass_frag),
	  .outcome = 5 },
	{ "pass_malformed", "Passed: truncated or inconsistent headers.", XDP(pass_malformed),
	  .outcome = 6 },
	{ "redirected", "Handed to an AF_XDP socket (XSKMAP).", XDP(redirected), .outcome = 1 },
	{ "meta_fail", "Passed: bpf_xdp_adjust_meta refused the metadata block.", XDP(meta_fail),
	  .outcome = 7 },
};
const size_t api_xdp_counters_n = ARRAY_SIZE(api_xdp_counters);
_Static_assert(ARRAY_SIZE(api_xdp_counters) * sizeof(__u64) == sizeof(struct xrelay_xdp_global),
	       "every counter of struct xrelay_xdp_global needs a line in api_xdp_counters");

__u64 api_counter_get(const struct api_counter *c, const void *stats)
{
	__u64 v;

	memcpy(&v, (const char *)stats + c->off, sizeof(v));
	return v;
}

__u64 api_drop_count(const struct mapctl_chan_totals *t, size_t i)
{
	return i < api_drop_causes_n ? api_counter_get(&api_drop_causes[i], t) : 0;
}

/*
 * JSON integers are signed 64-bit: a counter past INT64_MAX (centuries at line rate) shows
 * as INT64_MAX rather than as a negative number.
 */
static json_t *counter(__u64 v)
{
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* Set every counter of @table (@n lines) in @stats into @o; nonzero on ENOMEM. */
static int counters_set(json_t *o, const struct api_counter *table, size_t n, const void *stats)
{
	int bad = 0;
	size_t i;

	for (i = 0; !bad && i < n; i++)
		bad |= json_object_set_new(o, table[i].name,
					   counter(api_counter_get(&table[i], stats)));
	return bad;
}

/* The per-destination counters of @t, one object per destination of @cfg; NULL on ENOMEM. */
static json_t *dests_to_json(const struct mapctl_chan_totals *t,
			     const struct xrelay_channel_cfg *cfg)
{
	__u32 i, n = cfg->ndests < XRELAY_MAX_DESTS ? cfg->ndests : XRELAY_MAX_DESTS;
	char addr[INET6_ADDRSTRLEN];
	json_t *a = json_array(), *d;
	int bad = !a;

	for (i = 0; !bad && i < n; i++) {
		d = json_object();
		api_format_addr(cfg->dests[i].addr, addr, sizeof(addr));
		bad = !d || json_object_set_new(d, "addr", json_string(addr)) ||
		      json_object_set_new(d, "port", json_integer(ntohs(cfg->dests[i].port))) ||
		      counters_set(d, api_dest_counters, api_dest_counters_n, &t->dests[i]);
		bad = json_array_append_new(a, d) || bad;
	}
	if (bad) {
		json_decref(a);
		return NULL;
	}
	return a;
}

json_t *api_stats_to_json(const struct mapctl_chan_totals *t, const struct xrelay_channel_cfg *cfg)
{
	json_t *o = json_object(), *drops = json_object(), *why = json_object();
	__u64 sum = 0, n;
	int bad = !o || !drops || !why;
	size_t i;

	for (i = 0; !bad && i < api_drop_causes_n; i++) {
		n = api_drop_count(t, i);
		sum = sum + n < sum ? UINT64_MAX : sum + n;
	}
	bad = bad || counters_set(drops, api_drop_causes, api_drop_causes_n, t);
	bad = bad || counters_set(why, api_reject_reasons, api_reject_reasons_n, t);
	if (bad) {
		json_decref(o);
		json_decref(drops);
		json_decref(why);
		return NULL;
	}
	bad |= counters_set(o, api_chan_counters, api_chan_counters_n, t);
	bad |= json_object_set_new(o, "dropped_packets", counter(sum));
	bad |= json_object_set_new(o, "drops", drops);
	bad |= json_object_set_new(o, "rejected", why);
	bad |= json_object_set_new(o, "destinations", dests_to_json(t, cfg));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *api_xdp_global_to_json(const struct xrelay_xdp_global *g)
{
	json_t *o = json_object();

	if (!o || counters_set(o, api_xdp_counters, api_xdp_counters_n, g)) {
		json_decref(o);
		return NULL;
	}
	return o;
}
