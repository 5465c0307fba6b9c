// SPDX-License-Identifier: MIT
/*
 * A worker's re-send path (dataplane/resend.c) with a real io_uring, a real UMEM on lo and
 * counters in real pinned maps: each copy a destination selects takes a send slot and a frame
 * reference until its completion; completions count as sent or as send errors and give slot
 * and reference back (the frame to the free stack with the last one); a full slot table is a
 * counted send_queue drop, a destination without a socket a counted send error. A datagram
 * that spans several frames goes through the socket (never the tx ring) as one sendmsg of its
 * pieces, holding each of its frames until its completion. The datagrams arrive at a loopback
 * UDP socket.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "../../dataplane/resend.h"
#include "testenv.h"

#define CHAN 3
#define PLEN 48

static const char *bpffs;
static int dir_seq;

struct fx {
	struct mapctl *m;
	struct umem *u;
	struct io_uring ring;
	struct resend rs;
	struct resend_dests d;
	struct xrelay_channel_cfg cfg;
	int rx;
	__u16 rx_port;
	__u64 frame;
	struct frame_pkt k;
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	char pin[256], err[512] = "";
	int big = 8 << 20;
	__u8 *p;

	assert_non_null(x);
	snprintf(pin, sizeof(pin), "%s/r%d", bpffs, ++dir_seq);
	if (mapctl_open(pin, MAPCTL_F_CREATE, &x->m, err, sizeof(err)))
		fail_msg("mapctl_open: %s", err);
	if (umem_create("lo", 0, 0, mapctl_fd(x->m, XRELAY_MAP_XSKS), &x->u, err, sizeof(err)))
		fail_msg("umem_create: %s", err);
	assert_int_equal(io_uring_queue_init(4096, &x->ring, 0), 0);
	assert_int_equal(resend_init(&x->rs, &x->ring, x->u, x->m, 0, "lo", true), 0);
	resend_dests_init(&x->d);

	x->rx = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(x->rx >= 0);
	(void)setsockopt(x->rx, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(x->rx, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(x->rx, (struct sockaddr *)&sin, &sl), 0);
	x->rx_port = sin.sin_port;

	/*
	 * A frame as a worker holds it: nothing redirects into this socket, so the kernel never
	 * fills frame 0 and its bytes are ours to stage a datagram in.
	 */
	x->frame = 0;
	p = umem_data(x->u, x->frame);
	memset(p, 0, 128);
	memset(p + 64, 0xab, PLEN);
	x->k.payload = p + 64;
	x->k.plen = PLEN;
	x->k.dport = 5000;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	resend_dests_close(&x->d);
	resend_fini(&x->rs);
	io_uring_queue_exit(&x->ring);
	umem_destroy(x->u, 0, mapctl_fd(x->m, XRELAY_MAP_XSKS));
	mapctl_close(x->m);
	close(x->rx);
	free(x);
	return 0;
}

static struct xrelay_dest mkdest(const char *v4, __be16 port, __u32 every, const char *ifname)
{
	struct xrelay_dest d;

	memset(&d, 0, sizeof(d));
	d.addr[10] = 0xff;
	d.addr[11] = 0xff;
	assert_int_equal(inet_pton(AF_INET, v4, d.addr + 12), 1);
	d.port = port;
	d.ttl = 1;
	d.every = every;
	if (ifname)
		snprintf(d.ifname, sizeof(d.ifname), "%s", ifname);
	return d;
}

/* Every frame of @n datagrams of a channel: the worker's own reference around the sends. */
static void send_n(struct fx *x, unsigned int n)
{
	struct xrelay_dp_chan_stats *st = stats_row(x->m, 0, CHAN);
	unsigned int i;

	for (i = 0; i < n; i++) {
		umem_ref(x->u, x->frame);
		resend_datagram(&x->rs, &x->d, &x->cfg, CHAN, st, x->frame, umem_data(x->u, 0),
				&x->k, NULL, i);
		umem_unref(x->u, x->frame);
	}
}

/* Take completions, as the worker's loop does, until nothing is in flight (or 3 s). */
static void reap_all(struct fx *x)
{
	int tries;

	(void)io_uring_submit(&x->ring);
	for (tries = 0; tries < 300 && !resend_idle(&x->rs); tries++) {
		struct __kernel_timespec ts = { .tv_nsec = 10 * 1000000 };
		struct io_uring_cqe *cqe;
		unsigned int head, n = 0;

		(void)io_uring_wait_cqe_timeout(&x->ring, &cqe, &ts);
		io_uring_for_each_cqe(&x->ring, head, cqe)
		{
			n++;
			assert_true(cqetag_is_send(cqe->user_data));
			resend_complete(&x->rs, cqetag_slot(cqe->user_data), cqe->res);
		}
		io_uring_cq_advance(&x->ring, n);
	}
	assert_true(resend_idle(&x->rs));
}

/* Datagrams waiting at the receiver, each checked to be the payload. */
static unsigned int received(struct fx *x)
{
	unsigned char buf[256];
	unsigned int n = 0;
	struct pollfd pfd = { .fd = x->rx, .events = POLLIN };
	ssize_t r;

	while (poll(&pfd, 1, 200) > 0) {
		while ((r = recv(x->rx, buf, sizeof(buf), 0)) >= 0) {
			assert_int_equal(r, PLEN);
			assert_int_equal(buf[0], 0xab);
			assert_int_equal(buf[PLEN - 1], 0xab);
			n++;
		}
	}
	return n;
}

static void test_slots_and_completions(void **state)
{
	struct fx *x = *state;
	struct xrelay_dp_chan_stats *st = stats_row(x->m, 0, CHAN);

	snprintf(x->cfg.name, sizeof(x->cfg.name), "send");
	x->cfg.ndests = 4;
	x->cfg.dests[0] = mkdest("127.0.0.1", x->rx_port, 1, NULL);
	x->cfg.dests[1] = mkdest("127.0.0.1", x->rx_port, 2, NULL);	 /* seq 0, 2, 4, ... */
	x->cfg.dests[2] = mkdest("192.0.2.1", htons(9), 1, NULL);	 /* no route: fails */
	x->cfg.dests[3] = mkdest("127.0.0.1", x->rx_port, 1, "nosuch0"); /* no socket */
	resend_dests_open(&x->rs, &x->d, &x->cfg, NULL);
	assert_true(x->d.socks[0].fd >= 0);
	assert_true(x->d.socks[2].fd >= 0);
	assert_int_equal(x->d.socks[3].fd, -1);
	assert_false(x->d.fast[0]);

	send_n(x, 10);
	/* In flight: 10 + 5 + 10 slots, each a reference to the frame. */
	assert_int_equal(x->rs.slots_free, RESEND_SLOTS - 25);
	assert_int_equal(x->u->refs[x->frame / UMEM_FRAME_SIZE], 25);
	assert_false(resend_idle(&x->rs));
	assert_int_equal(st->send_errors, 10); /* dest 3: counted at once */
	assert_int_equal(st->sent_packets, 0);

	reap_all(x);
	assert_int_equal(x->rs.slots_free, RESEND_SLOTS);
	assert_int_equal(st->sent_packets, 15);
	assert_int_equal(st->sent_bytes, 15 * PLEN);
	assert_int_equal(st->send_errors, 10 + 10);
	assert_int_equal(st->drops[XRELAY_DROP_SEND_QUEUE], 0);
	assert_int_equal(received(x), 15);
	/* The last reference gone, the frame is on the free stack (umem.h invariant 3). */
	assert_int_equal(x->u->refs[x->frame / UMEM_FRAME_SIZE], 0);
	assert_int_equal(x->u->nfree, 1);
	assert_int_equal(x->u->free[0], x->frame);
}

static void test_full_slot_table(void **state)
{
	struct fx *x = *state;
	struct xrelay_dp_chan_stats *st = stats_row(x->m, 0, CHAN);
	__u64 f;

	snprintf(x->cfg.name, sizeof(x->cfg.name), "full");
	x->cfg.ndests = 1;
	x->cfg.dests[0] = mkdest("127.0.0.1", x->rx_port, 1, NULL);
	resend_dests_open(&x->rs, &x->d, &x->cfg, NULL);

	/* Completions not taken: every slot stays in use, the rest is dropped and counted. */
	send_n(x, RESEND_SLOTS + 7);
	assert_int_equal(x->rs.slots_free, 0);
	assert_int_equal(st->drops[XRELAY_DROP_SEND_QUEUE], 7);
	assert_int_equal(x->u->refs[x->frame / UMEM_FRAME_SIZE], RESEND_SLOTS);

	reap_all(x);
	assert_int_equal(x->rs.slots_free, RESEND_SLOTS);
	assert_int_equal(st->sent_packets, RESEND_SLOTS);
	assert_int_equal(st->sent_packets + st->drops[XRELAY_DROP_SEND_QUEUE], RESEND_SLOTS + 7);
	assert_int_equal(st->send_errors, 0);
	assert_int_equal(x->u->refs[x->frame / UMEM_FRAME_SIZE], 0);
	assert_int_equal(x->u->nfree, 1);

	/* Slots came back: the next datagram goes again, in the frame taken back off the stack. */
	assert_int_equal(umem_take(x->u, &f), 0);
	assert_int_equal(f, x->frame);
	assert_int_equal(umem_take(x->u, &f), -ENOBUFS);
	send_n(x, 1);
	reap_all(x);
	assert_int_equal(st->sent_packets, RESEND_SLOTS + 1);
	assert_int_equal(st->drops[XRELAY_DROP_SEND_QUEUE], 7);
}

/*
 * A datagram of 8000 bytes over frames 1, 2 and 3 (3000, 3840 and 1160 bytes of it), to two
 * destinations, one of them marked for the tx ring: both copies go through the socket, each
 * holding all three frames, and arrive whole.
 */
static void test_frags(void **state)
{
	struct fx *x = *state;
	struct xrelay_dp_chan_stats *st = stats_row(x->m, 0, CHAN);
	static const size_t piece[3] = { 3000, 3840, 1160 };
	static __u8 want[8000], got[9000];
	struct frame_frags fr = { .n = 3, .niov = 3 };
	struct frame_pkt k = { .plen = sizeof(want), .dport = 5000 };
	size_t at = 0, j;
	ssize_t r;

	for (j = 0; j < sizeof(want); j++)
		want[j] = (__u8)(j * 13 + j / 251);
	for (j = 0; j < 3; j++) {
		__u8 *p = umem_data(x->u, (j + 1) * UMEM_FRAME_SIZE + 256);

		fr.frame[j] = (j + 1) * UMEM_FRAME_SIZE + 256;
		memcpy(p, want + at, piece[j]);
		fr.iov[j].iov_base = p;
		fr.iov[j].iov_len = piece[j];
		at += piece[j];
	}
	k.payload = fr.iov[0].iov_base;
	snprintf(x->cfg.name, sizeof(x->cfg.name), "frags");
	x->cfg.ndests = 2;
	x->cfg.dests[0] = mkdest("127.0.0.1", x->rx_port, 1, NULL);
	x->cfg.dests[1] = mkdest("127.0.0.1", x->rx_port, 1, NULL);
	resend_dests_open(&x->rs, &x->d, &x->cfg, NULL);
	x->d.fast[1] = true; /* the tx ring must decline it all the same */

	for (j = 0; j < 3; j++)
		umem_ref(x->u, fr.frame[j]);
	resend_datagram(&x->rs, &x->d, &x->cfg, CHAN, st, fr.frame[0], umem_data(x->u, 0), &k, &fr,
			0);
	for (j = 0; j < 3; j++) {
		umem_unref(x->u, fr.frame[j]);
		assert_int_equal(x->u->refs[j + 1], 2);
	}
	assert_int_equal(x->rs.slots_free, RESEND_SLOTS - 2);
	assert_false(umem_tx_busy(x->u));

	reap_all(x);
	assert_int_equal(st->sent_packets, 2);
	assert_int_equal(st->sent_bytes, 2 * sizeof(want));
	assert_int_equal(st->send_errors, 0);
	for (j = 0; j < 2; j++) {
		struct pollfd pfd = { .fd = x->rx, .events = POLLIN };

		assert_int_equal(poll(&pfd, 1, 1000), 1);
		r = recv(x->rx, got, sizeof(got), 0);
		assert_int_equal(r, sizeof(want));
		assert_memory_equal(got, want, sizeof(want));
	}
	/* Every frame of it back on the free stack, after the last send (umem.h invariant 5). */
	assert_int_equal(x->u->nfree, 3);
	for (j = 0; j < 3; j++)
		assert_int_equal(x->u->refs[j + 1], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_slots_and_completions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_slot_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frags, setup, teardown),
	};
	int r;

	bpffs = testenv_enter();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	testenv_leave();
	return r;
}
