// SPDX-License-Identifier: GPL-2.0
/*
 * The XDP program: picks the channels' UDP datagrams out by destination (address, port),
 * counts them, stamps a metadata block and redirects them to the AF_XDP socket of their rx
 * queue. Every other packet goes to the kernel untouched (XDP_PASS), counted by why. It never
 * drops and never aborts. Map layouts come from include/xrelay/maps.h only.
 *
 * Fragment policy: IPv4 fragments (first or not) and IPv6 fragments are passed to the kernel,
 * which reassembles them for ordinary sockets; a non-first fragment has no UDP header to
 * match, so capturing only the first would record a torn datagram. A first fragment (IPv4, or
 * IPv6 with the UDP header right after its fragment header) whose UDP header matches a channel
 * is counted as received by that channel and as passed (frags_passed), so its books balance.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xrelay/addr.h"
#include "xrelay/maps.h"

char LICENSE[] SEC("license") = "GPL";

#define XRELAY_BPF_MAP(id, name_, type_, key_, value_, max_, flags_) \
	struct {                                                     \
		__uint(type, type_);                                 \
		__type(key, key_);                                   \
		__type(value, value_);                               \
		__uint(max_entries, max_);                           \
		__uint(map_flags, flags_);                           \
	} name_ SEC(".maps");
XRELAY_MAP_LIST(XRELAY_BPF_MAP)

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif
#define IP_MF 0x2000
#define IP_OFFSET 0x1fff
#define XRELAY_IPPROTO_FRAGMENT 44

/* Weak: the object still loads on kernels without the kfunc (before 6.3). */
extern int bpf_xdp_metadata_rx_timestamp(const struct xdp_md *ctx, __u64 *timestamp) __ksym __weak;

struct vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

/* Why a packet was passed; indexes the counters of struct xrelay_xdp_global. */
enum verdict_cause {
	PASS_NOT_IP,
	PASS_NOT_UDP,
	PASS_NO_MATCH,
	PASS_FRAG,
	PASS_MALFORMED,
};

static __always_inline int pass(struct xrelay_xdp_global *g, enum verdict_cause cause)
{
	switch (cause) {
	case PASS_NOT_IP:
		g->pass_not_ip++;
		break;
	case PASS_NOT_UDP:
		g->pass_not_udp++;
		break;
	case PASS_NO_MATCH:
		g->pass_no_match++;
		break;
	case PASS_FRAG:
		g->pass_frag++;
		break;
	case PASS_MALFORMED:
		g->pass_malformed++;
		break;
	}
	return XDP_PASS;
}

static __always_inline __u32 *channel_lookup(struct xrelay_chan_key *key)
{
	__u32 *id = bpf_map_lookup_elem(&xrelay_chans, key);

	if (id)
		return id;
	/* The wildcard: same port, any address. */
	__builtin_memset(key->addr, 0, sizeof(key->addr));
	return bpf_map_lookup_elem(&xrelay_chans, key);
}

/* IPv6's fragment header (RFC 8200 4.5). */
struct frag6_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off; /* offset in 8-byte units << 3, then 2 reserved bits and M */
	__be32 id;
};

/*
 * A first fragment for the channel of @key (if any): received (its frame's bytes, as for any
 * packet), and passed to the kernel, which alone can reassemble it.
 */
static __always_inline int frag_first(struct xdp_md *ctx, struct xrelay_xdp_global *g,
				      struct xrelay_chan_key *key)
{
	struct xrelay_xdp_chan_stats *cs;
	__u32 *idp = channel_lookup(key);
	__u32 chan;

	if (idp) {
		chan = *idp;
		cs = bpf_map_lookup_elem(&xrelay_xstats, &chan);
		if (cs) {
			cs->rx_packets++;
			cs->rx_bytes += bpf_xdp_get_buff_len(ctx);
			cs->frags_passed++;
		}
	}
	return pass(g, PASS_FRAG);
}

static __always_inline void key_set_v4(struct xrelay_chan_key *key, __be32 daddr, __be16 port)
{
	__builtin_memset(key, 0, sizeof(*key));
	addr_set_v4(key->addr, &daddr);
	key->port = port;
}

/*
 * The shared body of both entry points. @hw_ts is a compile-time constant: the kfunc may only
 * be called from a device-bound program, so only xrelay_xdp_hwts contains the call.
 */
static __always_inline int xrelay_handle(struct xdp_md *ctx, const int hw_ts)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct xrelay_xdp_chan_stats *cs;
	struct xrelay_xdp_global *g;
	struct xrelay_chan_key key;
	struct xrelay_xdp_meta *meta;
	struct ethhdr *eth = data;
	struct udphdr *udp;
	void *l3, *l4;
	__u32 zero = 0, qid, chan, seq_idx;
	__u64 *seq, ts = 0, s;
	__u16 proto, udp_len;
	__u32 meta_flags = 0;
	__u32 *idp;
	int i;

	g = bpf_map_lookup_elem(&xrelay_gstats, &zero);
	if (!g)
		return XDP_PASS;
	g->packets++;

	if ((void *)(eth + 1) > data_end)
		return pass(g, PASS_MALFORMED);
	proto = eth->h_proto;
	l3 = eth + 1;
#pragma unroll
	for (i = 0; i < 2; i++) {
		struct vlan_hdr *vh = l3;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > data_end)
			return pass(g, PASS_MALFORMED);
		proto = vh->encap_proto;
		l3 = vh + 1;
	}

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = l3;
		__u32 ihl;

		if ((void *)(iph + 1) > data_end)
			return pass(g, PASS_MALFORMED);
		ihl = iph->ihl * 4;
		if (iph->version != 4 || ihl < sizeof(*iph) || bpf_ntohs(iph->tot_len) < ihl)
			return pass(g, PASS_MALFORMED);
		if (l3 + ihl > data_end)
			return pass(g, PASS_MALFORMED);
		if (iph->protocol != IPPROTO_UDP)
			return pass(g, PASS_NOT_UDP);
		l4 = l3 + ihl;
		if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET)) {
			/* Only a first fragment carries the UDP header that names a channel. */
			udp = l4;
			if (!(iph->frag_off & bpf_htons(IP_OFFSET)) &&
			    (void *)(udp + 1) <= data_end) {
				key_set_v4(&key, iph->daddr, udp->dest);
				return frag_first(ctx, g, &key);
			}
			return pass(g, PASS_FRAG);
		}
		udp = l4;
		if ((void *)(udp + 1) > data_end)
			return pass(g, PASS_MALFORMED);
		udp_len = bpf_ntohs(udp->len);
		if (udp_len < sizeof(*udp) || udp_len > bpf_ntohs(iph->tot_len) - ihl)
			return pass(g, PASS_MALFORMED);
		/* The frame must hold what the header says (all buffers: jumbo frames are frags). */
		if ((__u64)(l3 - data) + bpf_ntohs(iph->tot_len) > bpf_xdp_get_buff_len(ctx))
			return pass(g, PASS_MALFORMED);
		key_set_v4(&key, iph->daddr, udp->dest);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > data_end)
			return pass(g, PASS_MALFORMED);
		if (ip6->version != 6)
			return pass(g, PASS_MALFORMED);
		if (ip6->nexthdr == XRELAY_IPPROTO_FRAGMENT) {
			struct frag6_hdr *fh = (void *)(ip6 + 1);

			/* Offset 0 and UDP next: a first fragment with the header that names. */
			udp = (void *)(fh + 1);
			if ((void *)(udp + 1) <= data_end && fh->nexthdr == IPPROTO_UDP &&
			    !(fh->frag_off & bpf_htons(0xfff8))) {
				__builtin_memcpy(key.addr, &ip6->daddr, sizeof(key.addr));
				key.port = udp->dest;
				key.pad = 0;
				return frag_first(ctx, g, &key);
			}
			return pass(g, PASS_FRAG);
		}
		/* Other extension headers are not walked: such datagrams go to the kernel. */
		if (ip6->nexthdr != IPPROTO_UDP)
			return pass(g, PASS_NOT_UDP);
		udp = (void *)(ip6 + 1);
		if ((void *)(udp + 1) > data_end)
			return pass(g, PASS_MALFORMED);
		udp_len = bpf_ntohs(udp->len);
		/* udp->len 0 is a jumbogram (RFC 2675), which needs an extension header: malformed. */
		if (udp_len < sizeof(*udp) || udp_len > bpf_ntohs(ip6->payload_len))
			return pass(g, PASS_MALFORMED);
		if ((__u64)(l3 - data) + sizeof(*ip6) + bpf_ntohs(ip6->payload_len) >
		    bpf_xdp_get_buff_len(ctx))
			return pass(g, PASS_MALFORMED);
		__builtin_memcpy(key.addr, &ip6->daddr, sizeof(key.addr));
		key.port = udp->dest;
		key.pad = 0;
	} else {
		return pass(g, PASS_NOT_IP);
	}

	idp = channel_lookup(&key);
	if (!idp)
		return pass(g, PASS_NO_MATCH);
	chan = *idp;
	cs = bpf_map_lookup_elem(&xrelay_xstats, &chan);
	if (!cs)
		return pass(g, PASS_MALFORMED); /* an id out of range: a broken editor */
	cs->rx_packets++;
	cs->rx_bytes += bpf_xdp_get_buff_len(ctx);

	qid = ctx->rx_queue_index;
	if (qid >= XRELAY_MAX_QUEUES || !bpf_map_lookup_elem(&xrelay_xsks, &qid)) {
		cs->redirect_miss++;
		return XDP_PASS;
	}

	/*
	 * Sequence numbers are per (channel, rx queue). One queue is normally served by one CPU
	 * at a time, but generic XDP may run one queue on several CPUs: fetch-and-add keeps the
	 * numbers unique and consecutive either way.
	 */
	seq_idx = XRELAY_SEQ_INDEX(qid, chan);
	seq = bpf_map_lookup_elem(&xrelay_seq, &seq_idx);
	if (!seq)
		return pass(g, PASS_MALFORMED);

	if (hw_ts && bpf_xdp_metadata_rx_timestamp) {
		if (bpf_xdp_metadata_rx_timestamp(ctx, &ts) == 0 && ts)
			meta_flags = XRELAY_META_F_TS_HW;
		else
			ts = 0;
	}
	if (!ts)
		ts = bpf_ktime_get_ns();

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*meta))) {
		g->meta_fail++;
		cs->redirect_miss++;
		return XDP_PASS;
	}
	/* adjust_meta invalidates every packet pointer: reload and re-check. */
	data = (void *)(long)ctx->data;
	meta = (void *)(long)ctx->data_meta;
	if ((void *)(meta + 1) > data) {
		g->meta_fail++;
		cs->redirect_miss++;
		return XDP_PASS;
	}
	s = __sync_fetch_and_add(seq, 1);
	meta->ts_ns = ts;
	meta->seq = s;
	meta->channel_id = chan;
	meta->flags = meta_flags;
	g->redirected++;
	return bpf_redirect_map(&xrelay_xsks, qid, XDP_PASS);
}

SEC("xdp.frags")
int xrelay_xdp(struct xdp_md *ctx)
{
	return xrelay_handle(ctx, 0);
}

/* Load device-bound (BPF_F_XDP_DEV_BOUND_ONLY, prog_ifindex) to get NIC receive timestamps. */
SEC("xdp.frags")
int xrelay_xdp_hwts(struct xdp_md *ctx)
{
	return xrelay_handle(ctx, 1);
}
