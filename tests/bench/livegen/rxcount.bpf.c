// SPDX-License-Identifier: GPL-2.0
/*
 * The self-test's receiver: an XDP program for the receiving veth end that checks livegen's
 * datagrams as they arrive (count, sequence continuity, stamp sanity) and drops them, or passes
 * them on to the stack when told to (rxc_cfg.pass). Every other frame is passed and counted.
 * It is a test fixture, not part of xrelay; selftest.sh loads it with bpftool.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "livegen.h"

char LICENSE[] SEC("license") = "GPL";

struct rxc_cfg {
	__u32 port; /* UDP destination port (host order) of livegen's datagrams; 0: any */
	__u32 pass; /* 1: XDP_PASS them after counting (for a socket), 0: XDP_DROP */
};

/*
 * One entry, updated without atomics: the receiving end has one rx queue, and NAPI never polls
 * one queue on two CPUs at once, so the frames arrive one after another in send order.
 */
struct rxc_stats {
	__u64 count;	  /* livegen datagrams seen */
	__u64 first_seq;  /* sequence number of the first one */
	__u64 last_seq;	  /* and of the latest one */
	__u64 breaks;	  /* datagrams whose seq was not last_seq + 1 (a gap, repeat or reorder) */
	__u64 sampled;	  /* datagrams whose stamp was checked: seq % RXC_SAMPLE == 0 */
	__u64 future;	  /* of those, stamped later than they arrived (a broken stamp) */
	__u64 lat_min_ns; /* receive time minus stamp, over the sampled ones */
	__u64 lat_max_ns;
	__u64 lat_sum_ns;
	__u64 other; /* frames that are not livegen datagrams (passed) */
};

_Static_assert(sizeof(struct rxc_cfg) == 8, "rxc_cfg: selftest.sh writes 8 bytes");
_Static_assert(sizeof(struct rxc_stats) == 80, "rxc_stats: 10 counters");

/* Read the clock for one datagram in RXC_SAMPLE only: a read costs ~20 ns on this VM. */
#define RXC_SAMPLE 64

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct rxc_cfg);
	__uint(max_entries, 1);
} rxc_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct rxc_stats);
	__uint(max_entries, 1);
} rxc_stats SEC(".maps");

SEC("xdp")
int rxcount_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct livegen_stamp *st;
	struct rxc_stats *s;
	struct rxc_cfg *cfg;
	struct udphdr *udp;
	__u64 seq, tx_ns, now, lat;
	__u32 key = 0;

	s = bpf_map_lookup_elem(&rxc_stats, &key);
	cfg = bpf_map_lookup_elem(&rxc_cfg, &key);
	if (!s || !cfg)
		return XDP_PASS;
	if ((void *)(eth + 1) > data_end)
		goto other;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end || ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
			goto other;
		udp = (void *)(ip + 1);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end || ip6->nexthdr != IPPROTO_UDP)
			goto other;
		udp = (void *)(ip6 + 1);
	} else {
		goto other;
	}
	st = (void *)(udp + 1);
	if ((void *)(st + 1) > data_end || (cfg->port && udp->dest != bpf_htons(cfg->port)))
		goto other;

	seq = bpf_be64_to_cpu(st->seq);
	tx_ns = bpf_be64_to_cpu(st->tx_ns);
	if (s->count == 0) {
		s->first_seq = seq;
		s->lat_min_ns = ~0ull;
	} else if (seq != s->last_seq + 1) {
		s->breaks++;
	}
	s->last_seq = seq;
	s->count++;
	if (seq % RXC_SAMPLE)
		goto out;
	s->sampled++;
	now = bpf_ktime_get_ns();
	if (tx_ns > now) {
		s->future++;
	} else {
		lat = now - tx_ns;
		s->lat_sum_ns += lat;
		if (lat < s->lat_min_ns)
			s->lat_min_ns = lat;
		if (lat > s->lat_max_ns)
			s->lat_max_ns = lat;
	}
out:
	return cfg->pass ? XDP_PASS : XDP_DROP;
other:
	s->other++;
	return XDP_PASS;
}
