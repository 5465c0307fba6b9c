// SPDX-License-Identifier: MIT
/*
 * The shared map layouts at the byte: every field's offset of every struct in xrelay/maps.h.
 * These offsets are a contract with pinned maps made by other builds; a change that moves one
 * must bump XRELAY_MAPS_VERSION, and this test is where that is noticed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "xrelay/maps.h"

#define OFF(type, field, want) assert_int_equal(offsetof(struct type, field), want)

static void test_version(void **state)
{
	(void)state;
	assert_int_equal(XRELAY_MAPS_VERSION, 2);
	assert_int_equal(XRELAY_MAPS_MAGIC, 0x594c5258);
	/* meta's first two words never move: they name a mismatch between any two versions. */
	OFF(xrelay_meta, magic, 0);
	OFF(xrelay_meta, version, 4);
}

static void test_key_and_dest(void **state)
{
	(void)state;
	OFF(xrelay_chan_key, addr, 0);
	OFF(xrelay_chan_key, port, 16);
	OFF(xrelay_chan_key, pad, 18);
	assert_int_equal(sizeof(struct xrelay_chan_key), 20);
	OFF(xrelay_dest, addr, 0);
	OFF(xrelay_dest, port, 16);
	OFF(xrelay_dest, ttl, 18);
	OFF(xrelay_dest, pad, 19);
	OFF(xrelay_dest, every, 20);
	OFF(xrelay_dest, ifname, 24);
	assert_int_equal(sizeof(struct xrelay_dest), 40);
}

static void test_channel_cfg(void **state)
{
	(void)state;
	OFF(xrelay_channel_cfg, state, 0);
	OFF(xrelay_channel_cfg, flags, 4);
	OFF(xrelay_channel_cfg, generation, 8);
	OFF(xrelay_channel_cfg, created_ns, 16);
	OFF(xrelay_channel_cfg, key, 24);
	OFF(xrelay_channel_cfg, ndests, 44);
	OFF(xrelay_channel_cfg, name, 48);
	OFF(xrelay_channel_cfg, dests, 112);
	OFF(xrelay_channel_cfg, rotate_bytes, 432);
	OFF(xrelay_channel_cfg, rotate_seconds, 440);
	OFF(xrelay_channel_cfg, format, 444);
	OFF(xrelay_channel_cfg, retain_bytes, 448);
	OFF(xrelay_channel_cfg, retain_seconds, 456);
	OFF(xrelay_channel_cfg, retain_pad, 460);
	OFF(xrelay_channel_cfg, codec, 464);
	OFF(xrelay_channel_cfg, prefix, 468);
	OFF(xrelay_channel_cfg, schema_id, 472);
	OFF(xrelay_channel_cfg, schema_len, 476);
	OFF(xrelay_channel_cfg, reserved, 480);
	assert_int_equal(sizeof(struct xrelay_channel_cfg), 512);
	OFF(xrelay_schema, created_ns, 0);
	OFF(xrelay_schema, len, 8);
	OFF(xrelay_schema, json, 16);
}

static void test_xdp_side(void **state)
{
	(void)state;
	OFF(xrelay_xdp_chan_stats, rx_packets, 0);
	OFF(xrelay_xdp_chan_stats, rx_bytes, 8);
	OFF(xrelay_xdp_chan_stats, redirect_miss, 16);
	OFF(xrelay_xdp_chan_stats, frags_passed, 24);
	OFF(xrelay_xdp_global, packets, 0);
	OFF(xrelay_xdp_global, pass_not_ip, 8);
	OFF(xrelay_xdp_global, pass_not_udp, 16);
	OFF(xrelay_xdp_global, pass_no_match, 24);
	OFF(xrelay_xdp_global, pass_frag, 32);
	OFF(xrelay_xdp_global, pass_malformed, 40);
	OFF(xrelay_xdp_global, redirected, 48);
	OFF(xrelay_xdp_global, meta_fail, 56);
	OFF(xrelay_xdp_meta, ts_ns, 0);
	OFF(xrelay_xdp_meta, seq, 8);
	OFF(xrelay_xdp_meta, channel_id, 16);
	OFF(xrelay_xdp_meta, flags, 20);
	assert_int_equal(sizeof(struct xrelay_xdp_meta), 24);
	assert_int_equal(XRELAY_SEQ_INDEX(3, 5), 3 * XRELAY_MAX_CHANNELS + 5);
}

static void test_dataplane_side(void **state)
{
	(void)state;
	OFF(xrelay_dp_chan_stats, recorded_packets, 0);
	OFF(xrelay_dp_chan_stats, recorded_bytes, 8);
	OFF(xrelay_dp_chan_stats, sent_packets, 16);
	OFF(xrelay_dp_chan_stats, sent_bytes, 24);
	OFF(xrelay_dp_chan_stats, write_errors, 32);
	OFF(xrelay_dp_chan_stats, send_errors, 40);
	OFF(xrelay_dp_chan_stats, drops, 48);
	OFF(xrelay_dp_chan_stats, not_recorded, 48 + 8 * XRELAY_DROP_SLOTS);
	OFF(xrelay_dp_chan_stats, record_failed, 56 + 8 * XRELAY_DROP_SLOTS);
	OFF(xrelay_dp_chan_stats, rejected, 64 + 8 * XRELAY_DROP_SLOTS);
	OFF(xrelay_dp_chan_stats, rejected_why, 72 + 8 * XRELAY_DROP_SLOTS);
	OFF(xrelay_dp_chan_stats, files_deleted,
	    72 + 8 * XRELAY_DROP_SLOTS + 8 * XRELAY_REJECT__MAX);
	OFF(xrelay_dp_chan_stats, bytes_deleted,
	    80 + 8 * XRELAY_DROP_SLOTS + 8 * XRELAY_REJECT__MAX);
	assert_int_equal(sizeof(struct xrelay_dp_chan_stats), 256);
	assert_int_equal(XRELAY_DROP__MAX, 9);
	assert_int_equal(XRELAY_DROP_SLOTS, 11);
	OFF(xrelay_dp_chan_stats, sock_rx_packets, 248);
	assert_int_equal(XRELAY_REJECT__MAX, 9);
	OFF(xrelay_dest_stats, selected, 0);
	OFF(xrelay_dest_stats, sent_packets, 8);
	OFF(xrelay_dest_stats, sent_bytes, 16);
	OFF(xrelay_dest_stats, send_errors, 24);
	OFF(xrelay_dest_stats, send_queue_full, 32);
	OFF(xrelay_dest_stats, died, 40);
	assert_int_equal(sizeof(struct xrelay_dest_stats), 48);
	assert_int_equal(XRELAY_DEST_INDEX(2, 5, 3),
			 (2 * XRELAY_MAX_CHANNELS + 5) * XRELAY_MAX_DESTS + 3);
	OFF(xrelay_queue_stats, rx_frames, 0);
	OFF(xrelay_queue_stats, rx_dropped, 8);
	OFF(xrelay_queue_stats, rx_invalid_descs, 16);
	OFF(xrelay_queue_stats, rx_ring_full, 24);
	OFF(xrelay_queue_stats, rx_fill_ring_empty, 32);
	OFF(xrelay_queue_stats, tx_invalid_descs, 40);
	OFF(xrelay_queue_stats, rx_bad_channel, 48);
	OFF(xrelay_meta, config_gen, 8);
	OFF(xrelay_meta, heartbeat_ns, 16);
	OFF(xrelay_meta, dp_pid, 24);
	OFF(xrelay_meta, dp_mode, 28);
	OFF(xrelay_meta, ifindex, 32);
	OFF(xrelay_meta, nqueues, 36);
	OFF(xrelay_meta, ifname, 40);
	OFF(xrelay_meta, dp_seen_gen, 56);
	OFF(xrelay_meta, xsk_zerocopy, 64);
	assert_int_equal(sizeof(struct xrelay_meta), 128);
	assert_int_equal(XRELAY_DP_INDEX(2, 7), 2 * XRELAY_MAX_CHANNELS + 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version),	       cmocka_unit_test(test_key_and_dest),
		cmocka_unit_test(test_channel_cfg),    cmocka_unit_test(test_xdp_side),
		cmocka_unit_test(test_dataplane_side),
	};

	return cmocka_run_group_tests_name("maps_layout", tests, NULL, NULL);
}
