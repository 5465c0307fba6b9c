/* SPDX-License-Identifier: MIT */
/*
 * The map contract: every layout shared by the XDP program, the dataplane, the controlplane and
 * the tests. This is the only place a map key, value, size or flag is defined. It owns no code;
 * lib/mapctl.c creates, checks and edits the maps it describes.
 *
 * Incompatible change = bump XRELAY_MAPS_VERSION *and* rename the changed map (suffix _v2), so
 * an old binary refuses a new pin directory instead of misreading it.
 */
#ifndef XRELAY_MAPS_H
#define XRELAY_MAPS_H

#include <linux/types.h>
#include <linux/bpf.h>

#define XRELAY_MAPS_MAGIC 0x594c5258u /* "XRLY" little endian */
#define XRELAY_MAPS_VERSION 2u

#define XRELAY_MAX_CHANNELS 1024u /* channel ids are 0 .. XRELAY_MAX_CHANNELS - 1 */
#define XRELAY_MAX_QUEUES 64u	  /* rx queues, and so dataplane workers */
#define XRELAY_MAX_DESTS 8u
#define XRELAY_NAME_LEN 64u   /* channel name incl. NUL: [A-Za-z0-9_-]{1,63} */
#define XRELAY_IFNAME_LEN 16u /* IFNAMSIZ */

/*
 * channels (HASH): where a UDP datagram goes. The XDP program looks the exact (address, port)
 * up first, then the wildcard (address all zero) for the port.
 */
struct xrelay_chan_key {
	__u8 addr[16]; /* destination, IPv4 as ::ffff:a.b.c.d; all zero = any address */
	__be16 port;   /* destination UDP port, network order */
	__u16 pad;     /* must be zero: part of the hash */
};

/* One re-send destination of a channel. */
struct xrelay_dest {
	__u8 addr[16]; /* IPv4-mapped or IPv6, unicast or multicast */
	__be16 port;
	__u8 ttl; /* hop limit for multicast and unicast */
	__u8 pad;
	__u32 every;			/* send one datagram in `every` (>= 1) */
	char ifname[XRELAY_IFNAME_LEN]; /* out interface, "" = routing decides */
};

enum {
	XRELAY_CH_FREE = 0,	/* id not in use; may be allocated */
	XRELAY_CH_ACTIVE = 1,	/* published in channels */
	XRELAY_CH_DRAINING = 2, /* removed from channels; dataplane closing its files */
};

enum {
	XRELAY_CH_F_RECORD = 1u << 0, /* write Avro files */
};

enum {
	XRELAY_FMT_ENVELOPE = 0, /* xrelay.Packet records */
	XRELAY_FMT_DATUM = 1,	 /* each datagram one datum of the channel's schema (schemas map) */
};

/* A channel's block codec (channel_cfg.codec). */
enum {
	XRELAY_CODEC_DEFAULT = 0, /* the dataplane's --codec */
	XRELAY_CODEC_NULL = 1,
	XRELAY_CODEC_DEFLATE = 2,
	XRELAY_CODEC_SNAPPY = 3,
};

/* What precedes a datum channel's datum in each datagram (channel_cfg.prefix). */
enum {
	XRELAY_PREFIX_NONE = 0,
	XRELAY_PREFIX_CONFLUENT = 1, /* magic byte 0, then the 4-byte big-endian schema id */
};

/*
 * channel_cfg (ARRAY by channel id): written only by editors holding the pin-directory lock,
 * never read by the XDP program. Readers without the lock use mapctl_channel_get(), which
 * retries a torn copy.
 */
struct xrelay_channel_cfg {
	__u32 state;	  /* XRELAY_CH_* */
	__u32 flags;	  /* XRELAY_CH_F_* */
	__u64 generation; /* per-channel: bumped by every change of this slot */
	__u64 created_ns; /* CLOCK_REALTIME at creation; (id, created_ns) names one incarnation */
	struct xrelay_chan_key key;
	__u32 ndests;
	char name[XRELAY_NAME_LEN];
	struct xrelay_dest dests[XRELAY_MAX_DESTS];
	__u64 rotate_bytes;   /* 0 = dataplane default */
	__u32 rotate_seconds; /* 0 = dataplane default */
	__u32 format;	      /* XRELAY_FMT_* */
	/* Retention (dataplane/retain.c): closed files removed, oldest first, past either limit. */
	__u64 retain_bytes;   /* keep the channel's files under this many bytes; 0 = no limit */
	__u32 retain_seconds; /* remove closed files older than this; 0 = no limit */
	__u32 retain_pad;     /* must be zero */
	__u32 codec;	      /* XRELAY_CODEC_* */
	__u32 prefix;	      /* XRELAY_PREFIX_* (datum channels) */
	__u32 schema_id;      /* XRELAY_PREFIX_CONFLUENT: the id the prefix must carry */
	__u32 schema_len;     /* datum channels: bytes of the schema in the schemas map */
	__u32 reserved[8];
};

/*
 * schemas (HASH, BPF_F_NO_PREALLOC, by channel id): a datum channel's Avro schema (compact
 * JSON), written by editors before the channel's key is published, deleted when its id is
 * released; only datum channels take memory. created_ns ties it to one incarnation of the id.
 * Never read by the XDP program.
 */
#define XRELAY_SCHEMA_MAX (32u * 1024 - 16) /* bytes of schema JSON at most */
struct xrelay_schema {
	__u64 created_ns; /* channel_cfg.created_ns of the channel it belongs to */
	__u32 len;	  /* bytes in json (no NUL) */
	__u32 pad;
	char json[XRELAY_SCHEMA_MAX];
};

/*
 * channel_stats (PERCPU_ARRAY by channel id): written by the XDP program; in socket mode (no
 * XDP program) rx_bytes by the dataplane's main thread (bpf_map_update_elem).
 */
struct xrelay_xdp_chan_stats {
	__u64 rx_packets;    /* matched and handed to AF_XDP (or attempted) */
	__u64 rx_bytes;	     /* frame bytes, L2 header included */
	__u64 redirect_miss; /* matched, no AF_XDP socket on the rx queue: passed to the kernel */
	__u64 frags_passed;  /* first fragment (v4/v6) to this channel: passed */
};

/* xdp_global (PERCPU_ARRAY, one entry): what the XDP program saw that matched no channel. */
struct xrelay_xdp_global {
	__u64 packets;	      /* every packet the program ran on */
	__u64 pass_not_ip;    /* not IPv4/IPv6 (ARP, LLDP, ...) */
	__u64 pass_not_udp;   /* IPv4/IPv6 but not UDP (TCP, ICMP, IPv6 extension headers) */
	__u64 pass_no_match;  /* UDP to no channel */
	__u64 pass_frag;      /* IPv4 and IPv6 fragments, first or not */
	__u64 pass_malformed; /* truncated or inconsistent headers */
	__u64 redirected;     /* handed to XSKMAP */
	__u64 meta_fail;      /* bpf_xdp_adjust_meta refused: passed, counted */
};

/*
 * Metadata block the XDP program writes right before the frame (bpf_xdp_adjust_meta); the
 * dataplane finds it at frame_addr - sizeof(struct xrelay_xdp_meta).
 */
struct xrelay_xdp_meta {
	__u64 ts_ns;	  /* receive time; clock given by flags */
	__u64 seq;	  /* per (channel, rx queue), from 0 at channel creation */
	__u32 channel_id; /* index into channel_cfg */
	__u32 flags;	  /* XRELAY_META_F_* */
};

enum {
	XRELAY_META_F_TS_HW = 1u << 0, /* ts_ns from the NIC (PHC time); else CLOCK_MONOTONIC */
};

/* seq (ARRAY by rx_queue * XRELAY_MAX_CHANNELS + channel id): next sequence number. */
#define XRELAY_SEQ_INDEX(queue, chan) ((queue)*XRELAY_MAX_CHANNELS + (chan))

/*
 * Drop causes the dataplane counts per channel; the API names them (api/stats.c). All but
 * XRELAY_DROP_SEND_QUEUE are record-path drops: a datagram that is not in the channel's file.
 */
enum {
	XRELAY_DROP_XSK_GAP = 0,     /* seq gap: lost between XDP and the worker (rx ring full) */
	XRELAY_DROP_NO_BUFFER,	     /* socket backend: none so far: see below */
	XRELAY_DROP_NO_WRITER,	     /* file could not be opened, or its channel is gone */
	XRELAY_DROP_WRITE,	     /* block write failed for good */
	XRELAY_DROP_SEND_QUEUE,	     /* send path: a copy not sent, the send ring or queue full */
	XRELAY_DROP_TRUNCATED,	     /* frame shorter than its headers say */
	XRELAY_DROP_BUFFER_FULL,     /* every block buffer busy (a slow disk) or the budget spent */
	XRELAY_DROP_DIED,	     /* numbered for the queue, lost when its dataplane died */
	XRELAY_DROP_SOCKET_OVERFLOW, /* socket backend: dropped by the kernel (SO_RXQ_OVFL) */
	XRELAY_DROP__MAX,
};
#define XRELAY_DROP_SLOTS 11u /* room in the row for causes to come */
/*
 * XRELAY_DROP_NO_BUFFER stays 0: a multishot receive that finds no free buffer ends with
 * -ENOBUFS and leaves the datagram queued in its socket, so nothing is lost then; the worker
 * counts the event in its queue_stats row (rx_fill_ring_empty, as AF_XDP counts an empty
 * fill ring) and re-arms. If the socket's queue overflows meanwhile, that is SOCKET_OVERFLOW.
 */

/*
 * Why a datum channel's datagram was not one valid datum of its schema (rejected_why[]). Such
 * a datagram is recorded in the channel's rejected shard, so it is settled, not dropped.
 */
enum {
	XRELAY_REJECT_TRUNCATED = 0, /* the bytes ended inside the value */
	XRELAY_REJECT_TRAILING,	     /* bytes left after one whole value */
	XRELAY_REJECT_BAD_UNION,     /* union branch index out of range */
	XRELAY_REJECT_BAD_LENGTH,    /* negative or oversized length or block count */
	XRELAY_REJECT_BAD_ENUM,	     /* enum symbol index out of range */
	XRELAY_REJECT_BAD_VARINT,    /* a long or int longer than its encoding allows */
	XRELAY_REJECT_BAD_PREFIX,    /* the Confluent prefix missing or not the channel's */
	XRELAY_REJECT_TOO_DEEP,	     /* nesting past the validator's depth bound */
	XRELAY_REJECT_BAD_VALUE,     /* a boolean not 0 or 1, a string not UTF-8 */
	XRELAY_REJECT__MAX,
};

/*
 * dp_stats (ARRAY, BPF_F_MMAPABLE, by worker * XRELAY_MAX_CHANNELS + channel id): each worker
 * writes only its own rows, through the mmap, without syscalls; readers sum over workers.
 * 64-bit aligned stores are atomic on every supported arch, so readers see no torn counter.
 * Every frame numbered for a (channel, queue) is, at rest, exactly one of: recorded, rejected
 * (recorded in the rejected shard), not recorded (recording off), or dropped with a record-path
 * cause (drops[] but SEND_QUEUE, and record_failed): the dataplane's part of the books.
 */
struct xrelay_dp_chan_stats {
	__u64 recorded_packets;
	__u64 recorded_bytes; /* payload bytes written in records */
	__u64 sent_packets;   /* over all destinations */
	__u64 sent_bytes;
	__u64 write_errors;
	__u64 send_errors;
	__u64 drops[XRELAY_DROP_SLOTS];
	__u64 not_recorded;			/* taken while the channel's recording was off */
	__u64 record_failed;			/* dropped: a record could not be framed */
	__u64 rejected;				/* datum channels: not one valid datum */
	__u64 rejected_why[XRELAY_REJECT__MAX]; /* by XRELAY_REJECT_* */
	__u64 files_deleted;			/* retention: closed files removed */
	__u64 bytes_deleted;			/* and their bytes */
	/*
	 * Socket backend (dp_mode XRELAY_MODE_SOCKET): datagrams taken off the channel's sockets
	 * by this worker, plus those the kernel dropped on them (drops[SOCKET_OVERFLOW]): the
	 * XDP program's rx_packets in that mode, here so the row's books are exact without a
	 * syscall. Readers add it to channel_stats' rx_packets. (Their bytes go to channel_stats'
	 * rx_bytes, published by the dataplane's main thread.)
	 */
	__u64 sock_rx_packets;
};
#define XRELAY_DP_INDEX(worker, chan) ((worker)*XRELAY_MAX_CHANNELS + (chan))

/*
 * dest_stats (ARRAY, BPF_F_MMAPABLE, by XRELAY_DEST_INDEX): a worker's copies of a channel's
 * datagrams to one destination slot (dests[d] of its channel_cfg). Written like dp_stats. At
 * rest selected == sent_packets + send_errors + send_queue_full + died: the destination's books.
 * A slot's counters follow the slot, not the address: a PATCH that replaces dests[d] keeps them.
 */
struct xrelay_dest_stats {
	__u64 selected;	       /* copies meant for this destination */
	__u64 sent_packets;    /* sends completed */
	__u64 sent_bytes;      /* payload bytes of those */
	__u64 send_errors;     /* sends that failed */
	__u64 send_queue_full; /* copies not sent: the send ring or queue was full */
	__u64 died;	       /* in flight when the dataplane died: counted by the next one */
};
#define XRELAY_DEST_INDEX(worker, chan, d) \
	(((worker)*XRELAY_MAX_CHANNELS + (chan)) * XRELAY_MAX_DESTS + (d))

/* queue_stats (ARRAY, BPF_F_MMAPABLE, by worker): per-socket counters (XDP_STATISTICS). */
struct xrelay_queue_stats {
	__u64 rx_frames;
	__u64 rx_dropped;
	__u64 rx_invalid_descs;
	__u64 rx_ring_full;
	__u64 rx_fill_ring_empty;
	__u64 tx_invalid_descs;
	__u64 rx_bad_channel; /* frames whose metadata names no channel id: dropped */
	__u64 reserved[1];
};

enum {
	XRELAY_MODE_NONE = 0,
	XRELAY_MODE_XDP_NATIVE = 1,
	XRELAY_MODE_XDP_GENERIC = 2,
	XRELAY_MODE_SOCKET = 3,
};

/* Why the dataplane runs in its dp_mode (meta.dp_mode_why). */
enum {
	XRELAY_MODE_WHY_NONE = 0,	 /* no dataplane, or one from before this field */
	XRELAY_MODE_WHY_ASKED = 1,	 /* --mode xdp or --mode socket */
	XRELAY_MODE_WHY_AUTO_XDP = 2,	 /* --mode auto, and XDP attached */
	XRELAY_MODE_WHY_AUTO_NO_XDP = 3, /* --mode auto, XDP would not attach: socket backend */
};

/* How the socket backend gives the kernel its receive buffers (meta.dp_sock_bufs). */
enum {
	XRELAY_SOCK_BUFS_NONE = 0,    /* not the socket backend */
	XRELAY_SOCK_BUFS_RING = 1,    /* a registered provided-buffer ring (Linux 5.19+) */
	XRELAY_SOCK_BUFS_PROVIDE = 2, /* IORING_OP_PROVIDE_BUFFERS (Linux 5.7+) */
};

/*
 * meta (ARRAY, BPF_F_MMAPABLE, one entry). Fields are owned by one side each and written with
 * single aligned stores or atomics through the mmap, never by whole-value map updates, so the
 * two processes never overwrite each other's fields.
 */
struct xrelay_meta {
	__u32 magic;	  /* XRELAY_MAPS_MAGIC, written once by the creator */
	__u32 version;	  /* XRELAY_MAPS_VERSION of the creator */
	__u64 config_gen; /* bumped (atomically) by editors after every change */
	/* dataplane-owned */
	__u64 heartbeat_ns; /* CLOCK_MONOTONIC of the dataplane's last beat; 0 = never */
	__u32 dp_pid;	    /* 0 = no dataplane */
	__u32 dp_mode;	    /* XRELAY_MODE_* */
	__u32 ifindex;
	__u32 nqueues;
	char ifname[XRELAY_IFNAME_LEN];
	__u64 dp_seen_gen;  /* last config_gen the dataplane reconciled */
	__u32 xsk_zerocopy; /* 1 = AF_XDP zero-copy, 0 = copy */
	__u32 dp_pidns;	    /* inode of the dataplane's PID namespace; 0 = not known */
	__u32 dp_mode_why;  /* XRELAY_MODE_WHY_* */
	__u32 dp_sock_bufs; /* XRELAY_SOCK_BUFS_* */
	/*
	 * Socket backend: the config_gen whose active channels every worker has opened sockets
	 * for; a POST answers once this reaches its change, so nothing sent after the answer
	 * finds no socket. 0 in XDP mode.
	 */
	__u64 dp_open_gen;
	__u32 reserved[10];
};

/*
 * Every pinned map: X(id, pin/map name, type, key, value, max_entries, map_flags). The BPF
 * program declares its maps from this list and lib/mapctl.c creates and checks them from it,
 * so the two cannot disagree.
 */
#define XRELAY_MAP_LIST(X)                                                                       \
	X(CHANNELS, xrelay_chans, BPF_MAP_TYPE_HASH, struct xrelay_chan_key, __u32,              \
	  XRELAY_MAX_CHANNELS, 0)                                                                \
	X(CHANNEL_CFG, xrelay_cfg, BPF_MAP_TYPE_ARRAY, __u32, struct xrelay_channel_cfg,         \
	  XRELAY_MAX_CHANNELS, 0)                                                                \
	X(CHANNEL_STATS, xrelay_xstats, BPF_MAP_TYPE_PERCPU_ARRAY, __u32,                        \
	  struct xrelay_xdp_chan_stats, XRELAY_MAX_CHANNELS, 0)                                  \
	X(XDP_GLOBAL, xrelay_gstats, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, struct xrelay_xdp_global, \
	  1, 0)                                                                                  \
	X(SEQ, xrelay_seq, BPF_MAP_TYPE_ARRAY, __u32, __u64,                                     \
	  XRELAY_MAX_QUEUES *XRELAY_MAX_CHANNELS, 0)                                             \
	X(DP_STATS, xrelay_dstats_v2, BPF_MAP_TYPE_ARRAY, __u32, struct xrelay_dp_chan_stats,    \
	  XRELAY_MAX_QUEUES *XRELAY_MAX_CHANNELS, BPF_F_MMAPABLE)                                \
	X(DEST_STATS, xrelay_dest_stats, BPF_MAP_TYPE_ARRAY, __u32, struct xrelay_dest_stats,    \
	  XRELAY_MAX_QUEUES *XRELAY_MAX_CHANNELS *XRELAY_MAX_DESTS, BPF_F_MMAPABLE)              \
	X(QUEUE_STATS, xrelay_qstats, BPF_MAP_TYPE_ARRAY, __u32, struct xrelay_queue_stats,      \
	  XRELAY_MAX_QUEUES, BPF_F_MMAPABLE)                                                     \
	X(META, xrelay_meta, BPF_MAP_TYPE_ARRAY, __u32, struct xrelay_meta, 1, BPF_F_MMAPABLE)   \
	X(XSKS, xrelay_xsks, BPF_MAP_TYPE_XSKMAP, __u32, __u32, XRELAY_MAX_QUEUES, 0)            \
	X(SCHEMAS, xrelay_schemas, BPF_MAP_TYPE_HASH, __u32, struct xrelay_schema,               \
	  XRELAY_MAX_CHANNELS, BPF_F_NO_PREALLOC)

enum xrelay_map_id {
#define XRELAY_MAP_ENUM(id, name, type, key, value, max, flags) XRELAY_MAP_##id,
	XRELAY_MAP_LIST(XRELAY_MAP_ENUM)
#undef XRELAY_MAP_ENUM
		XRELAY_MAP__MAX,
};

_Static_assert(sizeof(struct xrelay_chan_key) == 20, "xrelay_chan_key layout");
_Static_assert(sizeof(struct xrelay_dest) == 40, "xrelay_dest layout");
_Static_assert(sizeof(struct xrelay_channel_cfg) == 512, "xrelay_channel_cfg layout");
_Static_assert(sizeof(struct xrelay_xdp_chan_stats) == 32, "xrelay_xdp_chan_stats layout");
_Static_assert(sizeof(struct xrelay_xdp_global) == 64, "xrelay_xdp_global layout");
_Static_assert(sizeof(struct xrelay_xdp_meta) == 24, "xrelay_xdp_meta layout");
_Static_assert(sizeof(struct xrelay_xdp_meta) % 4 == 0, "bpf_xdp_adjust_meta wants 4-byte units");
_Static_assert(sizeof(struct xrelay_dp_chan_stats) == 256, "xrelay_dp_chan_stats layout");
_Static_assert(XRELAY_DROP__MAX <= XRELAY_DROP_SLOTS, "drop causes fit their slots");
_Static_assert(sizeof(struct xrelay_dest_stats) == 48, "xrelay_dest_stats layout");
_Static_assert(sizeof(struct xrelay_queue_stats) == 64, "xrelay_queue_stats layout");
_Static_assert(sizeof(struct xrelay_meta) == 128, "xrelay_meta layout");
_Static_assert(sizeof(struct xrelay_schema) == 32u * 1024, "xrelay_schema layout");

#endif /* XRELAY_MAPS_H */
