// SPDX-License-Identifier: MIT
/*
 * The counters of the control API: GET /stats (JSON), GET /channels/{name}/stats and GET
 * /metrics (Prometheus text). The counters, their names and help come from api/stats.c's
 * tables, which both forms iterate; the numbers from the store.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "handler.h"

/* The running dataplane's sockets, one per queue: [] when none runs. */
static json_t *sockets_json(struct store *s)
{
	struct xrelay_queue_stats qs[XRELAY_MAX_QUEUES];
	json_t *a = json_array();
	int q, n;

	if (!a)
		return a;
	n = store_queue_stats(s, qs);
	for (q = 0; q < n; q++)
		json_array_append_new(
			a, json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "queue", q,
				     "rx_frames", (json_int_t)qs[q].rx_frames, "rx_dropped",
				     (json_int_t)qs[q].rx_dropped, "rx_ring_full",
				     (json_int_t)qs[q].rx_ring_full, "rx_invalid_descs",
				     (json_int_t)qs[q].rx_invalid_descs, "rx_fill_ring_empty",
				     (json_int_t)qs[q].rx_fill_ring_empty, "tx_invalid_descs",
				     (json_int_t)qs[q].tx_invalid_descs, "rx_bad_channel",
				     (json_int_t)qs[q].rx_bad_channel));
	return a;
}

void stats_get(struct handler_ctx *c)
{
	json_t *chans = json_object(), *j;
	struct xrelay_xdp_global g;
	struct channels_row *l = NULL;
	int n, i, r;

	n = chans ? channels_rows(c->store, true, &l) : -ENOMEM;
	r = n < 0 ? n : store_xdp_stats(c->store, &g);
	for (i = 0; !r && i < n; i++)
		json_object_set_new(chans, l[i].cfg.name, api_stats_to_json(&l[i].t, &l[i].cfg));
	free(l);
	if (r) {
		json_decref(chans);
		response_errno(c->resp, r, "reading counters");
		return;
	}
	j = json_pack("{s:o?, s:o?, s:o?, s:o}", "dataplane",
		      health_dataplane_json(c->store, false), "xdp", api_xdp_global_to_json(&g),
		      "sockets", sockets_json(c->store), "channels", chans);
	response_json(c->resp, 200, j);
}

void stats_channel(struct handler_ctx *c)
{
	struct xrelay_channel_cfg cfg;
	struct mapctl_chan_totals t;
	int id = channels_find(c, &cfg), r;

	if (id < 0)
		return;
	r = store_channel_stats(c->store, (__u32)id, &t);
	if (r) {
		response_errno(c->resp, r, "reading counters");
		return;
	}
	response_json(c->resp, 200, api_stats_to_json(&t, &cfg));
}

/* The Prometheus text of /metrics into @f. */
static void metrics_write(FILE *f, const struct store_dataplane *dp,
			  const struct xrelay_xdp_global *g, const struct channels_row *l, int n)
{
	size_t k, pos, i;
	int id;

	fprintf(f,
		"# HELP xrelay_dataplane_up Whether the dataplane's heartbeat is fresh.\n"
		"# TYPE xrelay_dataplane_up gauge\nxrelay_dataplane_up %d\n",
		dp->running);
	if (dp->heartbeat_age_ms != UINT64_MAX)
		fprintf(f,
			"# HELP xrelay_dataplane_heartbeat_age_seconds Age of the dataplane's last "
			"heartbeat.\n# TYPE xrelay_dataplane_heartbeat_age_seconds gauge\n"
			"xrelay_dataplane_heartbeat_age_seconds %.3f\n",
			(double)dp->heartbeat_age_ms / 1000.0);
	fprintf(f,
		"# HELP xrelay_channels Channels defined.\n# TYPE xrelay_channels gauge\n"
		"xrelay_channels %d\n",
		n);
	fprintf(f, "# HELP xrelay_xdp_packets_total Packets the XDP program ran on, by outcome.\n"
		   "# TYPE xrelay_xdp_packets_total counter\n");
	for (pos = 1; pos <= api_xdp_counters_n; pos++)
		for (k = 0; k < api_xdp_counters_n; k++)
			if (api_xdp_counters[k].outcome == pos)
				fprintf(f, "xrelay_xdp_packets_total{outcome=\"%s\"} %llu\n",
					api_xdp_counters[k].name,
					(unsigned long long)api_counter_get(&api_xdp_counters[k],
									    g));
	for (k = 0; k < api_chan_counters_n; k++) {
		const struct api_counter *m = &api_chan_counters[k];

		fprintf(f, "# HELP xrelay_%s_total %s\n# TYPE xrelay_%s_total counter\n", m->name,
			m->help, m->name);
		for (id = 0; id < n; id++)
			fprintf(f, "xrelay_%s_total{channel=\"%s\"} %llu\n", m->name,
				l[id].cfg.name, (unsigned long long)api_counter_get(m, &l[id].t));
	}
	fprintf(f, "# HELP xrelay_drops_total Packets of the channel not recorded, by cause.\n"
		   "# TYPE xrelay_drops_total counter\n");
	for (id = 0; id < n; id++)
		for (i = 0; i < api_drop_causes_n; i++)
			fprintf(f, "xrelay_drops_total{channel=\"%s\",cause=\"%s\"} %llu\n",
				l[id].cfg.name, api_drop_causes[i].name,
				(unsigned long long)api_drop_count(&l[id].t, i));
	for (k = 0; k < api_dest_counters_n; k++) {
		const struct api_counter *m = &api_dest_counters[k];

		fprintf(f, "# HELP xrelay_dest_%s_total %s\n# TYPE xrelay_dest_%s_total counter\n",
			m->name, m->help, m->name);
		for (id = 0; id < n; id++)
			for (i = 0; i < l[id].cfg.ndests && i < XRELAY_MAX_DESTS; i++) {
				char addr[INET6_ADDRSTRLEN];

				api_format_addr(l[id].cfg.dests[i].addr, addr, sizeof(addr));
				fprintf(f,
					"xrelay_dest_%s_total{channel=\"%s\",destination=\"%s%s%s:%u\","
					"slot=\"%zu\"} %llu\n",
					m->name, l[id].cfg.name, strchr(addr, ':') ? "[" : "", addr,
					strchr(addr, ':') ? "]" : "",
					ntohs(l[id].cfg.dests[i].port), i,
					(unsigned long long)api_counter_get(m, &l[id].t.dests[i]));
			}
	}
}

void stats_metrics(struct handler_ctx *c)
{
	struct store_dataplane dp;
	struct xrelay_xdp_global g;
	struct channels_row *l = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int n, r;

	n = channels_rows(c->store, true, &l);
	r = n < 0 ? n : store_xdp_stats(c->store, &g);
	if (r)
		goto out;
	f = open_memstream(&buf, &len);
	if (!f) {
		r = -ENOMEM;
		goto out;
	}
	store_dataplane(c->store, &dp);
	metrics_write(f, &dp, &g, l, n);
	if (fclose(f)) {
		r = -ENOMEM;
		goto out;
	}
	response_body(c->resp, 200, "text/plain; version=0.0.4", buf, len);
	buf = NULL;
out:
	free(buf);
	free(l);
	if (r)
		response_errno(c->resp, r, "reading counters");
}
