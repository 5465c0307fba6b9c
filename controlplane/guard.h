/* SPDX-License-Identifier: MIT */
/*
 * The control API's bound on how long one request may take to arrive: a client that trickles
 * a byte at a time keeps a connection past the idle timeout, so every tracked connection has a
 * deadline for its current request, and a reaper thread shuts the overdue ones down. Knows
 * sockets and times only; libmicrohttpd's callbacks call in from http.c.
 */
#ifndef XRELAY_CP_GUARD_H
#define XRELAY_CP_GUARD_H

struct guard;
struct guard_conn;

/*
 * A guard for up to @max_conns connections whose requests must arrive whole within
 * @timeout_ms of the connection's start or of the previous response. Starts the reaper
 * thread. Returns 0 or -errno (-ENOMEM, or pthread_create's).
 */
int guard_new(unsigned int max_conns, unsigned int timeout_ms, struct guard **ret);

/* Stop the reaper and free; no connection may be tracked any more. Accepts NULL. */
void guard_free(struct guard *g);

/*
 * Track the connected socket @fd, its first request's clock running. NULL when every slot is
 * taken (the connection then goes untracked: the server's connection limit is meant to be at
 * most @max_conns). Any thread.
 */
struct guard_conn *guard_track(struct guard *g, int fd);

/* The current request was answered: its clock stops. NULL ok. Any thread. */
void guard_answered(struct guard *g, struct guard_conn *c);

/* The response went out: the next request's clock starts. NULL ok. Any thread. */
void guard_next(struct guard *g, struct guard_conn *c);

/*
 * Forget @c; call before its socket is closed, so the reaper never shuts a reused descriptor
 * down. NULL ok. Any thread.
 */
void guard_untrack(struct guard *g, struct guard_conn *c);

/* Connections shut down for being late so far. Any thread. */
unsigned long guard_reaped(const struct guard *g);

#endif
