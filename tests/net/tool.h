/* SPDX-License-Identifier: MIT */
/*
 * The helpers udpgen and udpsub share: clocks, number and address parsing, the pattern options
 * (--seed, --min-len, --max-len), signal-driven stop, socket setup steps and JSON booleans. Each
 * tool is one translation unit that defines TOOL_NAME (its name, for messages) before including
 * this. The pattern itself lives in pattern.h; what a tool sends, receives or checks stays in it.
 */
#ifndef XRELAY_TEST_TOOL_H
#define XRELAY_TEST_TOOL_H

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pattern.h"

#ifndef TOOL_NAME
#error "define TOOL_NAME (the program's name, for messages) before including tool.h"
#endif

/* Set by SIGINT or SIGTERM once tool_catch_signals() ran; the tools' loops poll it. */
static volatile sig_atomic_t tool_stop;

static inline void tool_on_signal(int sig)
{
	(void)sig;
	tool_stop = 1;
}

/* Route SIGINT and SIGTERM to tool_stop (no SA_RESTART: blocking calls return EINTR). */
static inline void tool_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tool_on_signal;
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
}

/* The time on clk in nanoseconds. */
static inline uint64_t tool_now_ns(clockid_t clk)
{
	struct timespec ts;

	(void)clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Parse s (decimal, 0x hex or 0 octal) as a number in 0..max into *ret. 0, or -EINVAL after a
 * message on stderr naming the option what; *ret is untouched then.
 */
static inline int tool_parse_u64(const char *s, const char *what, uint64_t max, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || v > max) {
		fprintf(stderr, TOOL_NAME ": %s: '%s' is not a number in 0..%" PRIu64 "\n", what, s,
			max);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

/* The pattern options both tools take: their getopt_long values, table entries and results. */
enum {
	TOOL_OPT_SEED = 0x100,
	TOOL_OPT_MIN_LEN,
	TOOL_OPT_MAX_LEN,
};

/* clang-format off */
#define TOOL_PATTERN_OPTIONS \
	{ "seed", required_argument, NULL, TOOL_OPT_SEED }, \
	{ "min-len", required_argument, NULL, TOOL_OPT_MIN_LEN }, \
	{ "max-len", required_argument, NULL, TOOL_OPT_MAX_LEN }
/* clang-format on */

struct tool_pattern_opts {
	uint64_t seed;
	uint64_t min_len;
	uint64_t max_len; /* UINT64_MAX: not given; see tool_max_payload() */
};

#define TOOL_PATTERN_DEFAULTS                                  \
	{                                                      \
		.seed = 1, .min_len = 0, .max_len = UINT64_MAX \
	}

/*
 * Take the argument arg of pattern option c (a TOOL_OPT_* value) into p. 0, or -EINVAL after a
 * message on stderr.
 */
static inline int tool_pattern_opt(int c, const char *arg, struct tool_pattern_opts *p)
{
	switch (c) {
	case TOOL_OPT_SEED:
		return tool_parse_u64(arg, "--seed", UINT64_MAX, &p->seed);
	case TOOL_OPT_MIN_LEN:
		return tool_parse_u64(arg, "--min-len", PATTERN_MAX_LEN, &p->min_len);
	default:
		return tool_parse_u64(arg, "--max-len", PATTERN_MAX_LEN, &p->max_len);
	}
}

/* The default longest payload: what fits an unfragmented datagram on a 1500-byte MTU. */
static inline uint64_t tool_max_payload(int family)
{
	return family == AF_INET6 ? 1452 : 1472;
}

/* An IPv4 or IPv6 socket address, ready for bind() or sendmsg(). */
struct tool_addr {
	struct sockaddr_storage sa;
	socklen_t len;
	int family; /* AF_INET or AF_INET6; 0 when unset */
	int multicast;
};

/* *ret = the wildcard address of family (AF_INET or AF_INET6) with port. */
static inline void tool_addr_any(int family, uint16_t port, struct tool_addr *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->family = family;
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ret->sa;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		ret->len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ret->sa;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		ret->len = sizeof(*s6);
	}
}

/*
 * Parse s, a numeric IPv4 or IPv6 address, into *ret with port. 0, or -EINVAL when s is neither
 * (*ret is zeroed then, family 0); prints nothing, the caller says which option was wrong.
 */
static inline int tool_addr_parse(const char *s, uint16_t port, struct tool_addr *ret)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ret->sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ret->sa;
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		tool_addr_any(AF_INET, port, ret);
		s4->sin_addr = a4;
		ret->multicast = IN_MULTICAST(ntohl(a4.s_addr));
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a6) == 1) {
		tool_addr_any(AF_INET6, port, ret);
		s6->sin6_addr = a6;
		ret->multicast = IN6_IS_ADDR_MULTICAST(&a6);
		return 0;
	}
	memset(ret, 0, sizeof(*ret));
	return -EINVAL;
}

/*
 * A UDP socket of family with its send or receive buffer at bytes: buf_force is SO_SNDBUFFORCE
 * or SO_RCVBUFFORCE (needs CAP_NET_ADMIN), buf the plain option tried when that fails. The fd,
 * or -errno after a message on stderr.
 */
static inline int tool_socket(int family, int buf_force, int buf, int bytes)
{
	int fd, err;

	fd = socket(family, SOCK_DGRAM, 0);
	if (fd < 0) {
		err = -errno;
		perror(TOOL_NAME ": socket");
		return err;
	}
	if (setsockopt(fd, SOL_SOCKET, buf_force, &bytes, sizeof(bytes)))
		(void)setsockopt(fd, SOL_SOCKET, buf, &bytes, sizeof(bytes));
	return fd;
}

/*
 * The index of interface ifname, given as option what. The index (> 0), or -ENODEV after a
 * message on stderr.
 */
static inline int tool_ifindex(const char *what, const char *ifname)
{
	unsigned int ifindex = if_nametoindex(ifname);

	if (!ifindex) {
		fprintf(stderr, TOOL_NAME ": %s %s: no such interface\n", what, ifname);
		return -ENODEV;
	}
	return (int)ifindex;
}

/* Bind fd to interface ifname (SO_BINDTODEVICE). 0, or -errno after a message on stderr. */
static inline int tool_bind_device(int fd, const char *ifname)
{
	int err;

	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname))) {
		err = -errno;
		perror(TOOL_NAME ": SO_BINDTODEVICE");
		return err;
	}
	return 0;
}

/* v as a JSON boolean. */
static inline const char *tool_json_bool(int v)
{
	return v ? "true" : "false";
}

#endif /* XRELAY_TEST_TOOL_H */
