// SPDX-License-Identifier: MIT
/*
 * udpsub: the end-to-end tests' subscriber. Joins a multicast group (or binds a unicast
 * address), receives datagrams of the pattern in pattern.h until it has the expected number
 * or a timeout, checks each against the pattern and prints one JSON line. It sends nothing.
 *
 * Datagrams of 4 bytes or more carry their index i in their first 4 bytes and are checked
 * whole (length and every byte). One of 0-3 bytes cannot name its index (its bytes are the top
 * bytes of a big-endian index); with --expect it is matched against the multiset of the short
 * datagrams expected (every expected index whose pattern length is < 4, as (length, bytes)): a
 * match uses one up, one with no match left is a duplicate, one matching no expected short
 * datagram is bad. Without --expect short datagrams are only counted.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TOOL_NAME "udpsub"
#include "pattern.h"
#include "tool.h"

#define BATCH 64
#define BUF_LEN 65536
/* Indices tracked for duplicates without --expect (a bitmap of 32 MiB at most). */
#define TRACK_MAX (1u << 28)

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: udpsub (--group ADDR | --bind ADDR) --port P [OPTIONS]\n"
		"Receive datagrams of the test pattern (tests/net/pattern.h), check them and print\n"
		"a JSON line: {\"received\", \"bad\", \"distinct\", \"duplicates\", \"unexpected\",\n"
		"\"short\", \"truncated\", \"min_index\", \"max_index\", \"indices_mod_every_ok\",\n"
		"\"first_ns\", \"last_ns\", \"seconds\", \"timed_out\"}.\n\n"
		"  --group ADDR     join this IPv4/IPv6 multicast group (on --if) and bind to it\n"
		"  --bind ADDR      bind this unicast address instead (0.0.0.0 or :: for any)\n"
		"  --port P         UDP port\n"
		"  --if IF          interface to join the group on (bind to it with --bind)\n"
		"  --expect N       stop after N datagrams; expected indices are 0..N-1, or\n"
		"                   0, K, 2K, .., (N-1)K with --every K\n"
		"  --every K        the sender's datagrams were decimated 1 in K (indices %% K == 0)\n"
		"  --timeout S      give up after S seconds in all (default 30)\n"
		"  --idle S         give up S seconds after the last datagram (default 3)\n"
		"  --linger MS      after the N-th datagram keep listening MS ms for extra ones\n"
		"                   (default 200)\n"
		"  --seed S         pattern seed (default 1)\n"
		"  --min-len A      pattern shortest payload (default 0)\n"
		"  --max-len B      pattern longest payload (default 1472 IPv4, 1452 IPv6)\n"
		"  --ready-file F   create F once the socket is bound and joined\n"
		"  --help           this text\n\n"
		"Exit 0 when --expect N is given and exactly the N expected datagrams arrived, each\n"
		"once and intact (without --expect: when nothing was bad or duplicated, and with\n"
		"--every K every index was a multiple of K); 1 otherwise;\n"
		"2 for usage or setup errors.\n");
}

static int parse_secs(const char *s, const char *what, double *ret)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || v > 86400) {
		fprintf(stderr, "udpsub: %s: '%s' is not a number of seconds\n", what, s);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

/* One kind of expected short datagram: (length << 24 | its bytes) and how many are left. */
struct short_kind {
	uint32_t code;
	uint32_t left;
};

struct sub {
	uint64_t seed;
	uint32_t min_len, max_len;
	uint64_t expect; /* 0: not given */
	uint64_t every;	 /* 1: not decimated */
	uint8_t *tape;
	uint8_t *seen;
	uint64_t seen_bits;
	struct short_kind *shorts;
	size_t nshorts;
	/* results */
	uint64_t received, bad, distinct, duplicates, unexpected, shorts_rx, truncated;
	uint64_t min_index, max_index;
	int mod_ok;
	uint64_t first_ns, last_ns;
};

static uint32_t short_code(uint32_t i, uint32_t len)
{
	uint32_t code = len << 24, k;

	for (k = 0; k < len; k++)
		code |= (uint32_t)(uint8_t)(i >> (24 - 8 * k)) << (16 - 8 * k);
	return code;
}

static int cmp_kind(const void *a, const void *b)
{
	const struct short_kind *x = a, *y = b;

	return x->code < y->code ? -1 : x->code > y->code;
}

/* The expected short datagrams, merged by code. 0 or -ENOMEM. */
static int sub_build_shorts(struct sub *s)
{
	size_t cap = 0, n = 0, j, w;
	uint64_t k;

	for (k = 0; k < s->expect; k++) {
		uint32_t i = (uint32_t)(k * s->every);
		uint32_t len = pattern_len(s->seed, i, s->min_len, s->max_len);

		if (len >= 4)
			continue;
		if (n == cap) {
			struct short_kind *p;

			cap = cap ? 2 * cap : 256;
			p = realloc(s->shorts, cap * sizeof(*p));
			if (!p)
				return -ENOMEM;
			s->shorts = p;
		}
		s->shorts[n].code = short_code(i, len);
		s->shorts[n].left = 1;
		n++;
	}
	if (n)
		qsort(s->shorts, n, sizeof(*s->shorts), cmp_kind);
	for (j = 0, w = 0; j < n; j++) {
		if (w && s->shorts[w - 1].code == s->shorts[j].code)
			s->shorts[w - 1].left++;
		else
			s->shorts[w++] = s->shorts[j];
	}
	s->nshorts = w;
	return 0;
}

static void sub_short(struct sub *s, const uint8_t *buf, uint32_t len)
{
	struct short_kind key, *k;
	uint32_t k2;

	s->shorts_rx++;
	if (!s->expect)
		return;
	key.code = len << 24;
	for (k2 = 0; k2 < len; k2++)
		key.code |= (uint32_t)buf[k2] << (16 - 8 * k2);
	k = s->nshorts ? bsearch(&key, s->shorts, s->nshorts, sizeof(*k), cmp_kind) : NULL;
	if (!k)
		s->bad++;
	else if (!k->left)
		s->duplicates++;
	else {
		k->left--;
		s->distinct++;
	}
}

/* Mark index i seen; 1 when it was seen before, 0 when new, -1 when not tracked. */
static int sub_mark(struct sub *s, uint32_t i)
{
	uint8_t bit;

	if (i >= s->seen_bits) {
		uint64_t want = s->seen_bits ? s->seen_bits : 1u << 20;
		uint8_t *p;

		if (s->expect || i >= TRACK_MAX)
			return -1;
		while (want <= i)
			want *= 2;
		p = realloc(s->seen, want / 8);
		if (!p)
			return -1;
		memset(p + s->seen_bits / 8, 0, (want - s->seen_bits) / 8);
		s->seen = p;
		s->seen_bits = want;
	}
	bit = (uint8_t)(1u << (i % 8));
	if (s->seen[i / 8] & bit)
		return 1;
	s->seen[i / 8] |= bit;
	return 0;
}

static void sub_datagram(struct sub *s, const uint8_t *buf, uint32_t len)
{
	uint32_t i;
	int seen;

	s->received++;
	if (len < 4) {
		sub_short(s, buf, len);
		return;
	}
	i = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
	if (pattern_check(s->tape, s->seed, i, buf, len, s->min_len, s->max_len)) {
		s->bad++;
		return;
	}
	if (i % s->every)
		s->mod_ok = 0;
	if (s->expect && (i % s->every || i / s->every >= s->expect)) {
		s->unexpected++;
		return;
	}
	seen = sub_mark(s, i);
	if (seen > 0) {
		s->duplicates++;
		return;
	}
	s->distinct++;
	if (i < s->min_index)
		s->min_index = i;
	if (i > s->max_index)
		s->max_index = i;
}

static int sub_socket(const char *addr, int group, uint16_t port, const char *ifname)
{
	struct tool_addr a;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&a.sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a.sa;
	int fd, one = 1, zero = 0, ifindex = 0;

	if (tool_addr_parse(addr, port, &a)) {
		fprintf(stderr, "udpsub: %s: not an IPv4 or IPv6 address\n", addr);
		return -1;
	}
	if (group && !a.multicast) {
		fprintf(stderr, "udpsub: --group %s is not a multicast address\n", addr);
		return -1;
	}
	if (ifname) {
		ifindex = tool_ifindex("--if", ifname);
		if (ifindex < 0)
			return -1;
		if (a.family == AF_INET6)
			s6->sin6_scope_id = (uint32_t)ifindex;
	}
	fd = tool_socket(a.family, SO_RCVBUFFORCE, SO_RCVBUF, 32 << 20);
	if (fd < 0)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (!group && ifname && tool_bind_device(fd, ifname))
		goto out_close;
	if (bind(fd, (struct sockaddr *)&a.sa, a.len)) {
		fprintf(stderr, "udpsub: bind %s port %u: %s\n", addr, port, strerror(errno));
		goto out_close;
	}
	if (group && a.family == AF_INET) {
		struct ip_mreqn mr;

		memset(&mr, 0, sizeof(mr));
		mr.imr_multiaddr = s4->sin_addr;
		mr.imr_ifindex = ifindex;
		/* Only the groups this socket joined, not every group joined on the host. */
		(void)setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof(zero));
		if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr))) {
			perror("udpsub: IP_ADD_MEMBERSHIP");
			goto out_close;
		}
	} else if (group) {
		struct ipv6_mreq mr;

		memset(&mr, 0, sizeof(mr));
		mr.ipv6mr_multiaddr = s6->sin6_addr;
		mr.ipv6mr_interface = (unsigned int)ifindex;
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &zero, sizeof(zero));
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr))) {
			perror("udpsub: IPV6_JOIN_GROUP");
			goto out_close;
		}
	}
	return fd;

out_close:
	close(fd);
	return -1;
}

/* Receive until done; returns 1 when it timed out (overall or idle), 0 otherwise. */
static int sub_run(struct sub *s, int fd, double timeout, double idle, uint64_t linger_ms)
{
	static uint8_t bufs[BATCH][BUF_LEN];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	uint64_t start = tool_now_ns(CLOCK_MONOTONIC), last = 0, done_at = 0;
	uint64_t end = start + (uint64_t)(timeout * 1e9);
	uint64_t idle_ns = (uint64_t)(idle * 1e9);
	int k;

	for (k = 0; k < BATCH; k++) {
		iov[k].iov_base = bufs[k];
		iov[k].iov_len = BUF_LEN;
	}
	while (!tool_stop) {
		uint64_t now = tool_now_ns(CLOCK_MONOTONIC), until = end;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int n, r;

		if (last && last + idle_ns < until)
			until = last + idle_ns;
		if (done_at && done_at + linger_ms * 1000000u < until)
			until = done_at + linger_ms * 1000000u;
		if (now >= until)
			return done_at ? 0 : 1;
		r = poll(&pfd, 1, (int)((until - now) / 1000000u) + 1);
		if (r < 0 && errno != EINTR) {
			perror("udpsub: poll");
			return 1;
		}
		if (r <= 0)
			continue;
		for (k = 0; k < BATCH; k++) {
			memset(&msgs[k].msg_hdr, 0, sizeof(msgs[k].msg_hdr));
			msgs[k].msg_hdr.msg_iov = &iov[k];
			msgs[k].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			perror("udpsub: recvmmsg");
			return 1;
		}
		last = tool_now_ns(CLOCK_MONOTONIC);
		if (!s->first_ns)
			s->first_ns = tool_now_ns(CLOCK_REALTIME);
		s->last_ns = tool_now_ns(CLOCK_REALTIME);
		for (k = 0; k < n; k++) {
			if (msgs[k].msg_hdr.msg_flags & MSG_TRUNC) {
				s->received++;
				s->truncated++;
				s->bad++;
				continue;
			}
			sub_datagram(s, bufs[k], msgs[k].msg_len);
		}
		if (s->expect && !done_at && s->received >= s->expect)
			done_at = last;
	}
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "group", required_argument, NULL, 'g' },
		{ "bind", required_argument, NULL, 'b' },
		{ "port", required_argument, NULL, 'p' },
		{ "if", required_argument, NULL, 'i' },
		{ "expect", required_argument, NULL, 'n' },
		{ "every", required_argument, NULL, 'e' },
		{ "timeout", required_argument, NULL, 't' },
		{ "idle", required_argument, NULL, 'I' },
		{ "linger", required_argument, NULL, 'l' },
		TOOL_PATTERN_OPTIONS,
		{ "ready-file", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static uint8_t tape[PATTERN_TAPE_LEN];
	struct sub s;
	struct tool_pattern_opts po = TOOL_PATTERN_DEFAULTS;
	struct tool_addr a;
	const char *addr = NULL, *ifname = NULL, *ready = NULL;
	uint64_t port = 0, linger = 200, t0;
	double timeout = 30, idle = 3;
	int group = 0, have_port = 0, every_given = 0, fd, c, timed_out, ok;

	memset(&s, 0, sizeof(s));
	s.every = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'g':
		case 'b':
			if (addr) {
				fprintf(stderr, "udpsub: give one of --group and --bind\n");
				return 2;
			}
			addr = optarg;
			group = c == 'g';
			break;
		case 'p':
			if (tool_parse_u64(optarg, "--port", 65535, &port))
				return 2;
			have_port = 1;
			break;
		case 'i':
			ifname = optarg;
			break;
		case 'n':
			if (tool_parse_u64(optarg, "--expect", UINT32_MAX, &s.expect))
				return 2;
			break;
		case 'e':
			if (tool_parse_u64(optarg, "--every", UINT32_MAX, &s.every) || !s.every)
				return 2;
			every_given = 1;
			break;
		case 't':
			if (parse_secs(optarg, "--timeout", &timeout))
				return 2;
			break;
		case 'I':
			if (parse_secs(optarg, "--idle", &idle))
				return 2;
			break;
		case 'l':
			if (tool_parse_u64(optarg, "--linger", 600000, &linger))
				return 2;
			break;
		case TOOL_OPT_SEED:
		case TOOL_OPT_MIN_LEN:
		case TOOL_OPT_MAX_LEN:
			if (tool_pattern_opt(c, optarg, &po))
				return 2;
			break;
		case 'r':
			ready = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!addr || !have_port || optind != argc) {
		usage(stderr);
		return 2;
	}
	/* Only for the default length here; sub_socket() says what is wrong with addr. */
	(void)tool_addr_parse(addr, 0, &a);
	if (po.max_len == UINT64_MAX)
		po.max_len = tool_max_payload(a.family);
	if (po.min_len > po.max_len) {
		fprintf(stderr, "udpsub: --min-len > --max-len\n");
		return 2;
	}
	if (s.expect && (s.expect - 1) * s.every > UINT32_MAX) {
		fprintf(stderr, "udpsub: --expect x --every exceeds 2^32 indices\n");
		return 2;
	}
	s.seed = po.seed;
	s.min_len = (uint32_t)po.min_len;
	s.max_len = (uint32_t)po.max_len;
	s.tape = tape;
	s.mod_ok = 1;
	s.min_index = UINT64_MAX;
	pattern_tape(s.seed, tape);
	if (s.expect) {
		/* The expected indices k * every, k < expect: one bit each. */
		s.seen_bits = ((s.expect - 1) * s.every + 8) & ~7ull;
		s.seen = calloc(s.seen_bits / 8, 1);
		if (!s.seen || sub_build_shorts(&s)) {
			fprintf(stderr, "udpsub: out of memory\n");
			return 2;
		}
	}

	tool_catch_signals();

	fd = sub_socket(addr, group, (uint16_t)port, ifname);
	if (fd < 0)
		return 2;
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (!f || fclose(f)) {
			fprintf(stderr, "udpsub: --ready-file %s: %s\n", ready, strerror(errno));
			close(fd);
			return 2;
		}
	}
	t0 = tool_now_ns(CLOCK_MONOTONIC);
	timed_out = sub_run(&s, fd, timeout, idle, linger);
	close(fd);

	if (s.expect)
		ok = s.received == s.expect && s.distinct == s.expect && !s.bad && !s.duplicates &&
		     !s.unexpected;
	else
		ok = !s.bad && !s.duplicates;
	ok = ok && s.mod_ok;
	printf("{\"received\": %" PRIu64 ", \"bad\": %" PRIu64 ", \"distinct\": %" PRIu64
	       ", \"duplicates\": %" PRIu64 ", \"unexpected\": %" PRIu64 ", \"short\": %" PRIu64
	       ", \"truncated\": %" PRIu64,
	       s.received, s.bad, s.distinct, s.duplicates, s.unexpected, s.shorts_rx, s.truncated);
	if (s.min_index == UINT64_MAX)
		printf(", \"min_index\": null, \"max_index\": null");
	else
		printf(", \"min_index\": %" PRIu64 ", \"max_index\": %" PRIu64, s.min_index,
		       s.max_index);
	if (every_given)
		printf(", \"indices_mod_every_ok\": %s", tool_json_bool(s.mod_ok));
	printf(", \"expect\": %" PRIu64 ", \"first_ns\": %" PRIu64 ", \"last_ns\": %" PRIu64
	       ", \"seconds\": %.3f, \"timed_out\": %s, \"ok\": %s}\n",
	       s.expect, s.first_ns, s.last_ns, (double)(tool_now_ns(CLOCK_MONOTONIC) - t0) / 1e9,
	       tool_json_bool(timed_out), tool_json_bool(ok));
	free(s.seen);
	free(s.shorts);
	return ok ? 0 : 1;
}
