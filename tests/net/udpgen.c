// SPDX-License-Identifier: MIT
/*
 * udpgen: the end-to-end tests' traffic generator. Sends datagrams first..first+count-1 of the
 * pattern in pattern.h to one IPv4 or IPv6 address (unicast or multicast), paced at a rate on
 * CLOCK_MONOTONIC, in sendmmsg batches, and prints one JSON line of what it did. It does not
 * check anything on the receiving side (udpsub and verify_avro.py do).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TOOL_NAME "udpgen"
#include "pattern.h"
#include "tool.h"

#define BATCH_MAX 256

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: udpgen --dst ADDR --port P [OPTIONS]\n"
		"Send datagrams FIRST..FIRST+N-1 of the test pattern (tests/net/pattern.h) to ADDR:P\n"
		"(IPv4 or IPv6, unicast or multicast) and print a JSON line:\n"
		"  {\"sent\", \"first\", \"start_ns\", \"end_ns\" (CLOCK_REALTIME), \"seconds\", \"rate\",\n"
		"   \"retries\", \"interrupted\"}\n\n"
		"  --dst ADDR          destination address (required)\n"
		"  --port P            destination UDP port (required)\n"
		"  --src-port P        bind this source port (default: any)\n"
		"  --count N           datagrams to send (default 1000)\n"
		"  --first I           index of the first datagram (default 0)\n"
		"  --every K           send only every K-th index: FIRST, FIRST+K, .. (N in all)\n"
		"  --rate PPS          datagrams per second, paced on CLOCK_MONOTONIC (default 0: as\n"
		"                      fast as the socket takes them)\n"
		"  --seed S            pattern seed (default 1)\n"
		"  --min-len A         shortest payload (default 0)\n"
		"  --max-len B         longest payload (default 1472 for IPv4, 1452 for IPv6)\n"
		"  --bind-if IF        send out of IF (SO_BINDTODEVICE; IP(V6)_MULTICAST_IF for groups)\n"
		"  --ttl N             TTL / hop limit (default 1 for multicast, 64 for unicast)\n"
		"  --batch N           datagrams per sendmmsg at most (default 32, max %d)\n"
		"  --spin              busy-wait between batches instead of sleeping\n"
		"  --timeline FILE     write a line per sendmmsg call: FIRST_INDEX COUNT T_BEFORE\n"
		"                      T_AFTER (CLOCK_REALTIME ns around the call), to tell exactly\n"
		"                      which datagrams left before or after a moment\n"
		"  --help              this text\n\n"
		"Pacing: datagram k (k = 0..N-1) is due at start + k/PPS; each step sends every due\n"
		"datagram (at most --batch) in one sendmmsg, then sleeps (clock_nanosleep, absolute)\n"
		"or spins until the next is due. Datagrams are never fragmented: a payload too large\n"
		"for the path MTU is an error.\n",
		BATCH_MAX);
}

struct gen {
	struct tool_addr dst;
	uint64_t seed;
	uint64_t count;
	uint64_t first;
	uint64_t rate;
	uint32_t min_len;
	uint32_t max_len;
	uint64_t every;
	uint32_t batch;
	int spin;
	uint64_t retries;
	/* --timeline: one entry per sendmmsg call */
	FILE *timeline;
};

static int gen_socket(const struct gen *g, const char *bind_if, int src_port, int ttl)
{
	int fd, one = 1, ifindex = 0;

	fd = tool_socket(g->dst.family, SO_SNDBUFFORCE, SO_SNDBUF, 4 << 20);
	if (fd < 0)
		return -1;
	if (bind_if) {
		ifindex = tool_ifindex("--bind-if", bind_if);
		if (ifindex < 0 || tool_bind_device(fd, bind_if))
			goto out_close;
	}
	if (src_port >= 0) {
		struct tool_addr a;

		tool_addr_any(g->dst.family, (uint16_t)src_port, &a);
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&a.sa, a.len)) {
			perror("udpgen: bind --src-port");
			goto out_close;
		}
	}
	if (g->dst.family == AF_INET) {
		int pmtu = IP_PMTUDISC_DO, zero = 0;

		if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu)))
			perror("udpgen: IP_MTU_DISCOVER");
		if (g->dst.multicast) {
			struct ip_mreqn mr;

			memset(&mr, 0, sizeof(mr));
			mr.imr_ifindex = ifindex;
			if (ifindex &&
			    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr))) {
				perror("udpgen: IP_MULTICAST_IF");
				goto out_close;
			}
			if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) ||
			    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero, sizeof(zero))) {
				perror("udpgen: IP_MULTICAST_TTL/LOOP");
				goto out_close;
			}
		} else if (setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl))) {
			perror("udpgen: IP_TTL");
			goto out_close;
		}
	} else {
		int zero = 0;

		if (setsockopt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, &one, sizeof(one)))
			perror("udpgen: IPV6_DONTFRAG");
		if (g->dst.multicast) {
			if (ifindex && setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex,
						  sizeof(ifindex))) {
				perror("udpgen: IPV6_MULTICAST_IF");
				goto out_close;
			}
			if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof(ttl)) ||
			    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &zero,
				       sizeof(zero))) {
				perror("udpgen: IPV6_MULTICAST_HOPS/LOOP");
				goto out_close;
			}
		} else if (setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl))) {
			perror("udpgen: IPV6_UNICAST_HOPS");
			goto out_close;
		}
	}
	return fd;

out_close:
	close(fd);
	return -1;
}

/* Nanoseconds after the start at which datagram k (0-based in this run) is due. */
static uint64_t due_at(const struct gen *g, uint64_t k)
{
	return (uint64_t)((unsigned __int128)k * 1000000000u / g->rate);
}

/*
 * Send msgs[0..n) whole; retries on a full socket buffer. 0 or -1 (error printed). index is the
 * pattern index of msgs[0], for the timeline.
 */
static int send_all(struct gen *g, int fd, struct mmsghdr *msgs, unsigned int n, uint64_t index)
{
	unsigned int done = 0;
	unsigned int busy = 0;

	while (done < n) {
		uint64_t before = g->timeline ? tool_now_ns(CLOCK_REALTIME) : 0;
		int r = sendmmsg(fd, msgs + done, n - done, 0);

		if (r > 0 && g->timeline)
			fprintf(g->timeline, "%" PRIu64 " %d %" PRIu64 " %" PRIu64 "\n",
				index + done * g->every, r, before, tool_now_ns(CLOCK_REALTIME));
		if (r > 0) {
			done += (unsigned int)r;
			busy = 0;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED)) {
			/* A full queue (or a stale ICMP error): wait a little, bounded. */
			struct timespec ts = { 0, 50000 };

			g->retries++;
			if (++busy > 200000) {
				fprintf(stderr, "udpgen: sendmmsg: %s for 10 s, giving up\n",
					strerror(errno));
				return -1;
			}
			(void)nanosleep(&ts, NULL);
			continue;
		}
		fprintf(stderr, "udpgen: sendmmsg: %s\n", r < 0 ? strerror(errno) : "sent nothing");
		return -1;
	}
	return 0;
}

static int gen_run(struct gen *g, int fd, uint64_t *ret_sent)
{
	static uint8_t tape[PATTERN_TAPE_LEN];
	struct mmsghdr msgs[BATCH_MAX];
	struct iovec iov[BATCH_MAX];
	uint8_t *bufs;
	uint64_t sent = 0, t0;
	int err = 0;

	pattern_tape(g->seed, tape);
	bufs = malloc((size_t)g->batch * (g->max_len ? g->max_len : 1));
	if (!bufs) {
		fprintf(stderr, "udpgen: out of memory\n");
		return -1;
	}
	memset(msgs, 0, sizeof(msgs));
	t0 = tool_now_ns(CLOCK_MONOTONIC);
	while (sent < g->count && !tool_stop) {
		uint64_t n = g->count - sent;
		unsigned int k;

		if (g->rate) {
			uint64_t el = tool_now_ns(CLOCK_MONOTONIC) - t0;
			uint64_t due =
				(uint64_t)((unsigned __int128)el * g->rate / 1000000000u) + 1;

			if (due <= sent) {
				uint64_t at = t0 + due_at(g, sent);

				if (g->spin) {
					while (tool_now_ns(CLOCK_MONOTONIC) < at && !tool_stop)
						;
				} else {
					struct timespec ts = { (time_t)(at / 1000000000u),
							       (long)(at % 1000000000u) };

					(void)clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
							      NULL);
				}
				continue;
			}
			if (due - sent < n)
				n = due - sent;
		}
		if (n > g->batch)
			n = g->batch;
		for (k = 0; k < n; k++) {
			uint32_t i = (uint32_t)(g->first + (sent + k) * g->every);
			uint32_t len = pattern_len(g->seed, i, g->min_len, g->max_len);
			uint8_t *b = bufs + (size_t)k * g->max_len;

			pattern_fill(tape, g->seed, i, b, len);
			iov[k].iov_base = b;
			iov[k].iov_len = len;
			msgs[k].msg_hdr.msg_name = &g->dst.sa;
			msgs[k].msg_hdr.msg_namelen = g->dst.len;
			msgs[k].msg_hdr.msg_iov = &iov[k];
			msgs[k].msg_hdr.msg_iovlen = 1;
		}
		if (send_all(g, fd, msgs, (unsigned int)n, g->first + sent * g->every)) {
			err = -1;
			break;
		}
		sent += n;
	}
	free(bufs);
	*ret_sent = sent;
	return err;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dst", required_argument, NULL, 'd' },
		{ "port", required_argument, NULL, 'p' },
		{ "src-port", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "first", required_argument, NULL, 'f' },
		{ "rate", required_argument, NULL, 'r' },
		TOOL_PATTERN_OPTIONS,
		{ "bind-if", required_argument, NULL, 'i' },
		{ "ttl", required_argument, NULL, 't' },
		{ "every", required_argument, NULL, 'e' },
		{ "batch", required_argument, NULL, 'B' },
		{ "spin", no_argument, NULL, 'P' },
		{ "timeline", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct gen g;
	struct tool_pattern_opts po = TOOL_PATTERN_DEFAULTS;
	const char *dst = NULL, *bind_if = NULL, *timeline = NULL;
	uint64_t port = 0, v, sent = 0, ttl = UINT64_MAX;
	uint64_t t_mono0, t_real0, t_mono1, t_real1;
	int src_port = -1, have_port = 0, fd, c, err;
	double secs;

	memset(&g, 0, sizeof(g));
	g.count = 1000;
	g.batch = 32;
	g.every = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dst = optarg;
			break;
		case 'p':
			if (tool_parse_u64(optarg, "--port", 65535, &port))
				return 2;
			have_port = 1;
			break;
		case 's':
			if (tool_parse_u64(optarg, "--src-port", 65535, &v))
				return 2;
			src_port = (int)v;
			break;
		case 'n':
			if (tool_parse_u64(optarg, "--count", UINT32_MAX, &g.count))
				return 2;
			break;
		case 'f':
			if (tool_parse_u64(optarg, "--first", UINT32_MAX, &g.first))
				return 2;
			break;
		case 'r':
			if (tool_parse_u64(optarg, "--rate", 100000000, &g.rate))
				return 2;
			break;
		case TOOL_OPT_SEED:
		case TOOL_OPT_MIN_LEN:
		case TOOL_OPT_MAX_LEN:
			if (tool_pattern_opt(c, optarg, &po))
				return 2;
			break;
		case 'i':
			bind_if = optarg;
			break;
		case 't':
			if (tool_parse_u64(optarg, "--ttl", 255, &ttl))
				return 2;
			break;
		case 'e':
			if (tool_parse_u64(optarg, "--every", UINT32_MAX, &g.every) || !g.every)
				return 2;
			break;
		case 'B':
			if (tool_parse_u64(optarg, "--batch", BATCH_MAX, &v) || !v)
				return 2;
			g.batch = (uint32_t)v;
			break;
		case 'P':
			g.spin = 1;
			break;
		case 'T':
			timeline = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!dst || !have_port || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (tool_addr_parse(dst, (uint16_t)port, &g.dst)) {
		fprintf(stderr, "udpgen: --dst %s: not an IPv4 or IPv6 address\n", dst);
		return 2;
	}
	if (g.dst.family == AF_INET6 && bind_if)
		((struct sockaddr_in6 *)&g.dst.sa)->sin6_scope_id = if_nametoindex(bind_if);
	if (po.max_len == UINT64_MAX)
		po.max_len = tool_max_payload(g.dst.family);
	if (po.min_len > po.max_len) {
		fprintf(stderr, "udpgen: --min-len %" PRIu64 " > --max-len %" PRIu64 "\n",
			po.min_len, po.max_len);
		return 2;
	}
	if (g.count && g.first + (g.count - 1) * g.every > UINT32_MAX) {
		fprintf(stderr, "udpgen: --first + --count x --every exceed 2^32 indices\n");
		return 2;
	}
	g.seed = po.seed;
	g.min_len = (uint32_t)po.min_len;
	g.max_len = (uint32_t)po.max_len;
	if (ttl == UINT64_MAX)
		ttl = g.dst.multicast ? 1 : 64;

	tool_catch_signals();
	/* Wake from clock_nanosleep on time, not up to 50 us late. */
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

	if (timeline) {
		/* Fully buffered (8 MiB): written to the file mostly at the end, off the send path. */
		static char tlbuf[8 << 20];

		g.timeline = fopen(timeline, "w");
		if (!g.timeline) {
			fprintf(stderr, "udpgen: --timeline %s: %s\n", timeline, strerror(errno));
			return 2;
		}
		(void)setvbuf(g.timeline, tlbuf, _IOFBF, sizeof(tlbuf));
	}
	fd = gen_socket(&g, bind_if, src_port, (int)ttl);
	if (fd < 0)
		return 1;
	t_real0 = tool_now_ns(CLOCK_REALTIME);
	t_mono0 = tool_now_ns(CLOCK_MONOTONIC);
	err = gen_run(&g, fd, &sent);
	t_mono1 = tool_now_ns(CLOCK_MONOTONIC);
	t_real1 = tool_now_ns(CLOCK_REALTIME);
	close(fd);
	if (g.timeline && fclose(g.timeline)) {
		perror("udpgen: --timeline");
		err = -1;
	}
	secs = (double)(t_mono1 - t_mono0) / 1e9;
	printf("{\"sent\": %" PRIu64 ", \"first\": %" PRIu64 ", \"start_ns\": %" PRIu64
	       ", \"end_ns\": %" PRIu64 ", \"seconds\": %.6f, \"rate\": %.1f, \"retries\": %" PRIu64
	       ", \"interrupted\": %s}\n",
	       sent, g.first, t_real0, t_real1, secs, secs > 0 ? (double)sent / secs : 0.0,
	       g.retries, tool_json_bool(tool_stop));
	return err || tool_stop ? 1 : 0;
}
