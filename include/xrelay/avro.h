/* SPDX-License-Identifier: MIT */
/*
 * The envelope record xrelay writes into its Avro files: the schema (xrelay.Packet), the
 * metadata keys it puts in every file header and the size bounds of one encoded record.
 * Encoding and the container file itself are in dataplane/ocf.h; this header is only constants,
 * so tests, tools and both programs can share it.
 */
#ifndef XRELAY_AVRO_H
#define XRELAY_AVRO_H

/*
 * The schema of one envelope record. Field order is part of the contract (Avro binary has no
 * field tags): seq, ts_ns, src_addr, src_port, dst_addr, dst_port, payload.
 */
#define XRELAY_PACKET_SCHEMA                                                                       \
	"{\"type\":\"record\",\"name\":\"Packet\",\"namespace\":\"xrelay\","                       \
	"\"doc\":\"One UDP datagram captured by xrelay.\","                                        \
	"\"fields\":["                                                                             \
	"{\"name\":\"seq\",\"type\":\"long\",\"doc\":\"Sequence number per (channel, rx queue), "  \
	"assigned at ingest from 0 at channel start; a gap within one file shard means packets "   \
	"lost between ingest and the file.\"},"                                                    \
	"{\"name\":\"ts_ns\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-nanos\"},"    \
	"\"doc\":\"Receive time in nanoseconds since the Unix epoch (UTC).\"},"                    \
	"{\"name\":\"src_addr\",\"type\":\"bytes\",\"doc\":\"Source IP address in network order: " \
	"4 bytes (IPv4) or 16 bytes (IPv6).\"},"                                                   \
	"{\"name\":\"src_port\",\"type\":\"int\",\"doc\":\"Source UDP port.\"},"                   \
	"{\"name\":\"dst_addr\",\"type\":\"bytes\",\"doc\":\"Destination IP address in network "   \
	"order: 4 bytes (IPv4) or 16 bytes (IPv6).\"},"                                            \
	"{\"name\":\"dst_port\",\"type\":\"int\",\"doc\":\"Destination UDP port.\"},"              \
	"{\"name\":\"payload\",\"type\":\"bytes\",\"doc\":\"The UDP payload, exactly as "          \
	"received.\"}"                                                                             \
	"]}"

#define XRELAY_PACKET_NAME "xrelay.Packet"
#define XRELAY_PACKET_NFIELDS 7

/* Metadata keys of every xrelay file header (values are UTF-8 text). */
#define XRELAY_META_CHANNEL "xrelay.channel" /* the channel's name */
#define XRELAY_META_QUEUE "xrelay.queue"     /* rx queue of the shard, decimal */
#define XRELAY_META_HOST "xrelay.host"	     /* host name of the writer */
#define XRELAY_META_WRITER "xrelay.writer"   /* writer name and version */

/* The writer version string stored under XRELAY_META_WRITER. */
#define XRELAY_WRITER_VERSION "xrelay-ocf/1"

/* Largest payload one envelope record carries (a UDP datagram without IPv6 jumbograms). */
#define XRELAY_PACKET_PAYLOAD_MAX 65535u

/*
 * Largest encoded record header: everything of one record before the payload bytes. Two longs
 * (10 bytes each at most), two bytes fields of 16 bytes with a 1-byte length, two ports
 * (0..65535: 3 bytes each as zigzag varints) and the payload's length (at most
 * XRELAY_PACKET_PAYLOAD_MAX: 3 bytes). A header is never longer; IPv4 headers with small
 * sequence numbers take about 30 bytes.
 */
#define XRELAY_PACKET_HDR_MAX (2 * 10 + 2 * (1 + 16) + 2 * 3 + 3)

#endif /* XRELAY_AVRO_H */
