// SPDX-License-Identifier: MIT
/*
 * The API's own health and the dataplane's state: GET /healthz, and the "dataplane" object
 * that /stats shows too. Whether a dataplane runs is the store's word (heartbeat and pid).
 */
#include <stdint.h>
#include <string.h>

#include "handler.h"

static const char *mode_name(__u32 mode)
{
	switch (mode) {
	case XRELAY_MODE_XDP_NATIVE:
		return "xdp-native";
	case XRELAY_MODE_XDP_GENERIC:
		return "xdp-generic";
	case XRELAY_MODE_SOCKET:
		return "socket";
	default:
		return "none";
	}
}

static const char *why_name(__u32 why)
{
	switch (why) {
	case XRELAY_MODE_WHY_ASKED:
		return "asked";
	case XRELAY_MODE_WHY_AUTO_XDP:
		return "auto-xdp";
	case XRELAY_MODE_WHY_AUTO_NO_XDP:
		return "auto-no-xdp";
	default:
		return NULL;
	}
}

static const char *bufs_name(__u32 bufs)
{
	switch (bufs) {
	case XRELAY_SOCK_BUFS_RING:
		return "ring";
	case XRELAY_SOCK_BUFS_PROVIDE:
		return "provide";
	default:
		return NULL;
	}
}

json_t *health_dataplane_json(struct store *s, bool brief)
{
	struct store_dataplane dp;
	const struct xrelay_meta *meta = &dp.meta;
	char ifname[XRELAY_IFNAME_LEN + 1];
	json_t *j, *age_j;
	bool up;

	store_dataplane(s, &dp);
	up = dp.running;
	j = json_object();
	if (!j)
		return NULL;
	age_j = dp.heartbeat_age_ms == UINT64_MAX ? json_null()
						  : json_integer((json_int_t)dp.heartbeat_age_ms);
	json_object_set_new(j, "running", json_boolean(up));
	if (brief) {
		json_object_set_new(j, "heartbeat_age_ms", age_j);
		return j;
	}
	memcpy(ifname, meta->ifname, XRELAY_IFNAME_LEN);
	ifname[XRELAY_IFNAME_LEN] = '\0';
	json_object_set_new(j, "pid", up ? json_integer(meta->dp_pid) : json_null());
	json_object_set_new(j, "mode", json_string(up ? mode_name(meta->dp_mode) : "none"));
	json_object_set_new(j, "mode_why",
			    up && why_name(meta->dp_mode_why)
				    ? json_string(why_name(meta->dp_mode_why))
				    : json_null());
	json_object_set_new(j, "socket_buffers",
			    up && bufs_name(meta->dp_sock_bufs)
				    ? json_string(bufs_name(meta->dp_sock_bufs))
				    : json_null());
	json_object_set_new(j, "interface", up && ifname[0] ? json_string(ifname) : json_null());
	json_object_set_new(j, "queues", json_integer(up ? meta->nqueues : 0));
	json_object_set_new(j, "heartbeat_age_ms", age_j);
	json_object_set_new(j, "zero_copy", json_boolean(up && meta->xsk_zerocopy));
	return j;
}

void health_get(struct handler_ctx *c)
{
	response_json(c->resp, 200,
		      json_pack("{s:s, s:o?, s:s}", "status", "ok", "dataplane",
				health_dataplane_json(c->store, true), "maps", "ok"));
}
