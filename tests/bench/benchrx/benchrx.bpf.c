// SPDX-License-Identifier: GPL-2.0
/*
 * benchrx's XDP programs, one per mode (benchrx.c loads only the one it runs): drop (the ceiling
 * of any XDP program), xsk (the ceiling of AF_XDP receive: redirect to the socket) and sub (the
 * subscriber: reads livegen's stamps, counts and times them). Each acts on UDP to one port over
 * Ethernet + IPv4 or IPv6 (no extension headers) and passes every other frame untouched.
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
#include "benchrx.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by benchrx before load (skel->rodata); the verifier sees them as constants. */
const volatile __u16 port_be = 0;      /* UDP destination port, network order */
const volatile __u32 sample_every = 1; /* sub: time one datagram in sample_every */

/* drop and xsk: frames taken (dropped or redirected), one slot per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct benchrx_count);
	__uint(max_entries, 1);
} brx_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, BENCHRX_MAX_QUEUES);
} brx_xsks SEC(".maps");

/*
 * sub: one entry each, updated without atomics: benchrx sub serves one rx queue (livegen's
 * frames all arrive on queue 0 of the receiving veth), and NAPI never polls one queue on two
 * CPUs at once, so the program never runs twice at the same time on these frames.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct benchrx_sub_stats);
	__uint(max_entries, 1);
} brx_sub SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, BENCHRX_LAT_BUCKETS);
} brx_lat_hist SEC(".maps");

/* The UDP header of a datagram to port_be, or NULL. IPv4 options are skipped (ihl). */
static __always_inline struct udphdr *benchrx_udp(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct udphdr *udp;

	if ((void *)(eth + 1) > data_end)
		return NULL;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end || ip->protocol != IPPROTO_UDP || ip->ihl < 5)
			return NULL;
		udp = (void *)ip + ip->ihl * 4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end || ip6->nexthdr != IPPROTO_UDP)
			return NULL;
		udp = (void *)(ip6 + 1);
	} else {
		return NULL;
	}
	if ((void *)(udp + 1) > data_end || udp->dest != port_be)
		return NULL;
	return udp;
}

SEC("xdp")
int benchrx_drop(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct benchrx_count *c;
	__u32 key = 0;

	if (!benchrx_udp(data, data_end))
		return XDP_PASS;
	c = bpf_map_lookup_elem(&brx_count, &key);
	if (c) {
		c->packets++;
		c->bytes += data_end - data;
	}
	return XDP_DROP;
}

SEC("xdp")
int benchrx_xsk(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct benchrx_count *c;
	__u32 key = 0;
	long act;

	if (!benchrx_udp(data, data_end))
		return XDP_PASS;
	act = bpf_redirect_map(&brx_xsks, ctx->rx_queue_index, XDP_PASS);
	if (act == XDP_REDIRECT) {
		c = bpf_map_lookup_elem(&brx_count, &key);
		if (c) {
			c->packets++;
			c->bytes += data_end - data;
		}
	}
	return (int)act;
}

/* Position of the highest set bit of v (v != 0): 0..63. BPF has no count-leading-zeros. */
static __always_inline __u32 benchrx_fls64(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) {
		v >>= 32;
		r += 32;
	}
	if (v >> 16) {
		v >>= 16;
		r += 16;
	}
	if (v >> 8) {
		v >>= 8;
		r += 8;
	}
	if (v >> 4) {
		v >>= 4;
		r += 4;
	}
	if (v >> 2) {
		v >>= 2;
		r += 2;
	}
	if (v >> 1)
		r += 1;
	return r;
}

/* The histogram bucket of a latency, as benchrx.h describes. */
static __always_inline __u32 benchrx_bucket(__u64 ns)
{
	__u32 h;

	if (ns < BENCHRX_LAT_SUB)
		return (__u32)ns;
	h = benchrx_fls64(ns);
	if (h > BENCHRX_LAT_TOP_BIT)
		return BENCHRX_LAT_BUCKETS - 1;
	return BENCHRX_LAT_SUB + (h - BENCHRX_LAT_SUB_BITS) * BENCHRX_LAT_SUB +
	       (__u32)((ns >> (h - BENCHRX_LAT_SUB_BITS)) & (BENCHRX_LAT_SUB - 1));
}

SEC("xdp")
int benchrx_sub(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct livegen_stamp *st;
	struct benchrx_sub_stats *s;
	struct udphdr *udp;
	__u64 seq, tx_ns, now, lat, *slot;
	__u32 key = 0, b;

	udp = benchrx_udp(data, data_end);
	if (!udp)
		return XDP_PASS;
	st = (void *)(udp + 1);
	if ((void *)(st + 1) > data_end)
		return XDP_PASS;
	s = bpf_map_lookup_elem(&brx_sub, &key);
	if (!s)
		return XDP_PASS;

	seq = bpf_be64_to_cpu(st->seq);
	if (s->packets == 0) {
		s->first_seq = seq;
		s->lat_min_ns = ~0ull;
	} else if (seq != s->last_seq + 1) {
		s->breaks++;
	}
	s->last_seq = seq;
	if (sample_every > 1 && s->packets % sample_every) {
		s->packets++;
		return XDP_DROP;
	}
	s->packets++;
	s->samples++;
	tx_ns = bpf_be64_to_cpu(st->tx_ns);
	now = bpf_ktime_get_ns();
	if (tx_ns > now) {
		s->future++;
		return XDP_DROP;
	}
	lat = now - tx_ns;
	if (lat < s->lat_min_ns)
		s->lat_min_ns = lat;
	if (lat > s->lat_max_ns)
		s->lat_max_ns = lat;
	b = benchrx_bucket(lat);
	slot = bpf_map_lookup_elem(&brx_lat_hist, &b);
	if (slot)
		(*slot)++;
	return XDP_DROP;
}
