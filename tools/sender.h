/* SPDX-License-Identifier: MIT */
/*
 * The sending side of xrelay-replay: a UDP socket per address family (TTL, out interface and
 * multicast options set), and a batch of datagrams (payloads copied in) sent with sendmmsg,
 * each to one destination: the one given, or each record's own. Program-side code (tools/).
 */
#ifndef XRELAY_TOOLS_SENDER_H
#define XRELAY_TOOLS_SENDER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "../dataplane/ocf_envelope.h"

struct sender;

struct sender_opts {
	const struct sockaddr_storage *dest; /* NULL: each record's dst_addr and dst_port */
	int ttl;			     /* -1: the kernel's (1 for multicast, 64 unicast) */
	const char *iface;		     /* NULL: the routing table's */
	unsigned int batch;		     /* datagrams per sendmmsg, 1..1024 */
	int64_t sndbuf;			     /* SO_SNDBUF, 0: the default */
};

/*
 * Open the sockets. Returns 0, or -errno with a sentence in @err: -EINVAL (no such
 * interface), -errno of socket/setsockopt.
 */
int sender_new(const struct sender_opts *o, struct sender **ret, char *err, size_t errlen);
void sender_free(struct sender *s);

/* Datagrams in the batch; whether it is full. */
unsigned int sender_queued(const struct sender *s);
bool sender_full(const struct sender *s);

/* Add one record's payload to the batch (copied). Returns 0 or -EAFNOSUPPORT (--original
 * with an address the sockets cannot take). The batch must not be full. */
int sender_add(struct sender *s, const struct ocf_envelope *e, const uint8_t *payload);

/*
 * Send the batch with sendmmsg (continuing after partial sends; a datagram the kernel refuses
 * is counted as an error and skipped) and empty it. Returns the datagrams sent; errors go to
 * sender_errors.
 */
unsigned int sender_flush(struct sender *s);

/* Datagrams and payload bytes sent, send errors, and the last error's errno. */
uint64_t sender_sent(const struct sender *s);
uint64_t sender_bytes(const struct sender *s);
uint64_t sender_errors(const struct sender *s, int *ret_last_errno);

/*
 * Parse "ADDR:PORT" or "[ADDR6]:PORT" into @ss. Returns 0 or -EINVAL.
 */
int sender_parse_dest(const char *s, struct sockaddr_storage *ss);

#endif /* XRELAY_TOOLS_SENDER_H */
