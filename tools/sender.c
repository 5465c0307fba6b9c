// SPDX-License-Identifier: MIT
/* UDP sockets and sendmmsg batches for xrelay-replay; see sender.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sender.h"
#include "xrelay/errmsg.h"

#define BATCH_MAX 1024

struct sender {
	int fd4, fd6;
	const struct sockaddr_storage *dest;
	unsigned int cap, n;
	struct mmsghdr *msgs;
	struct iovec *iov;
	struct sockaddr_in6 *addrs;
	uint8_t *bufs; /* cap x XRELAY_PACKET_PAYLOAD_MAX */
	int *fam;
	uint64_t sent, bytes, errors;
	int last_errno;
};

int sender_parse_dest(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	char *end;
	unsigned long port;
	size_t hl;

	if (!colon)
		return -EINVAL;
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || port < 1 || port > 65535)
		return -EINVAL;
	hl = (size_t)(colon - s);
	if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
		s++;
		hl -= 2;
	}
	if (!hl || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		return 0;
	}
	return -EINVAL;
}

static int sock_open(int fam, const struct sender_opts *o, unsigned int ifindex, char *err,
		     size_t errlen)
{
	int fd = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC, 0), e, one = 1;

	if (fd < 0) {
		e = -errno;
		errmsg_set(err, errlen, "socket: %s", strerror(errno));
		return e;
	}
	if (o->iface &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o->iface, (socklen_t)strlen(o->iface)) < 0)
		goto fail;
	if (o->sndbuf > 0) {
		int v = (int)o->sndbuf;

		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)) < 0)
			goto fail;
	}
	if (fam == AF_INET) {
		struct ip_mreqn m = { .imr_ifindex = (int)ifindex };

		if (o->ttl >= 0 &&
		    (setsockopt(fd, IPPROTO_IP, IP_TTL, &o->ttl, sizeof(int)) < 0 ||
		     setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &o->ttl, sizeof(int)) < 0))
			goto fail;
		if (ifindex && setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof(m)) < 0)
			goto fail;
		(void)setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &one, sizeof(one));
	} else {
		if (o->ttl >= 0 &&
		    (setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &o->ttl, sizeof(int)) < 0 ||
		     setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &o->ttl, sizeof(int)) < 0))
			goto fail;
		if (ifindex &&
		    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex)) < 0)
			goto fail;
	}
	/*
	 * One destination for every datagram: a connected socket looks its route up once, not
	 * per datagram (a large part of a small datagram's send cost).
	 */
	if (o->dest &&
	    connect(fd, (const struct sockaddr *)o->dest,
		    fam == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) < 0)
		goto fail;
	return fd;
fail:
	e = -errno;
	errmsg_set(err, errlen, "setting up the %s socket: %s", fam == AF_INET ? "IPv4" : "IPv6",
		   strerror(errno));
	(void)close(fd);
	return e;
}

int sender_new(const struct sender_opts *o, struct sender **ret, char *err, size_t errlen)
{
	struct sender *s;
	unsigned int ifindex = 0, i;
	int e;

	if (!o->batch || o->batch > BATCH_MAX)
		return -EINVAL;
	if (o->iface) {
		ifindex = if_nametoindex(o->iface);
		if (!ifindex) {
			errmsg_set(err, errlen, "no interface %s", o->iface);
			return -EINVAL;
		}
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd4 = s->fd6 = -1;
	s->dest = o->dest;
	s->cap = o->batch;
	s->msgs = calloc(s->cap, sizeof(*s->msgs));
	s->iov = calloc(s->cap, sizeof(*s->iov));
	s->addrs = calloc(s->cap, sizeof(*s->addrs));
	s->fam = calloc(s->cap, sizeof(*s->fam));
	s->bufs = malloc((size_t)s->cap * XRELAY_PACKET_PAYLOAD_MAX);
	if (!s->msgs || !s->iov || !s->addrs || !s->fam || !s->bufs) {
		e = -ENOMEM;
		goto out_free;
	}
	for (i = 0; i < s->cap; i++) {
		s->iov[i].iov_base = s->bufs + (size_t)i * XRELAY_PACKET_PAYLOAD_MAX;
		s->msgs[i].msg_hdr.msg_iov = &s->iov[i];
		s->msgs[i].msg_hdr.msg_iovlen = 1;
		s->msgs[i].msg_hdr.msg_name = &s->addrs[i];
	}
	if (!o->dest || o->dest->ss_family == AF_INET) {
		s->fd4 = e = sock_open(AF_INET, o, ifindex, err, errlen);
		if (e < 0)
			goto out_free;
	}
	if (!o->dest || o->dest->ss_family == AF_INET6) {
		s->fd6 = e = sock_open(AF_INET6, o, ifindex, err, errlen);
		if (e < 0)
			goto out_free;
	}
	*ret = s;
	return 0;
out_free:
	sender_free(s);
	return e;
}

void sender_free(struct sender *s)
{
	if (!s)
		return;
	if (s->fd4 >= 0)
		(void)close(s->fd4);
	if (s->fd6 >= 0)
		(void)close(s->fd6);
	free(s->msgs);
	free(s->iov);
	free(s->addrs);
	free(s->fam);
	free(s->bufs);
	free(s);
}

unsigned int sender_queued(const struct sender *s)
{
	return s->n;
}

bool sender_full(const struct sender *s)
{
	return s->n == s->cap;
}

int sender_add(struct sender *s, const struct ocf_envelope *e, const uint8_t *payload)
{
	struct sockaddr_in6 *a = &s->addrs[s->n];
	unsigned int i = s->n;

	if (s->dest) {
		s->fam[i] = s->dest->ss_family; /* the socket is connected to it */
	} else if (e->dst_len == 4) {
		struct sockaddr_in *a4 = (struct sockaddr_in *)a;

		memset(a, 0, sizeof(*a));
		a4->sin_family = AF_INET;
		a4->sin_port = htons(e->dst_port);
		memcpy(&a4->sin_addr, e->dst_addr, 4);
		s->fam[i] = AF_INET;
	} else {
		memset(a, 0, sizeof(*a));
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(e->dst_port);
		memcpy(&a->sin6_addr, e->dst_addr, 16);
		s->fam[i] = AF_INET6;
	}
	s->msgs[i].msg_hdr.msg_namelen = s->dest		? 0
					 : s->fam[i] == AF_INET ? sizeof(struct sockaddr_in)
								: sizeof(struct sockaddr_in6);
	s->iov[i].iov_len = e->payload_len;
	memcpy(s->iov[i].iov_base, payload, e->payload_len);
	s->n++;
	return 0;
}

unsigned int sender_flush(struct sender *s)
{
	unsigned int i = 0, j, done = 0;

	while (i < s->n) {
		/* A run of one family goes in one sendmmsg. */
		for (j = i; j < s->n && s->fam[j] == s->fam[i]; j++)
			;
		int fd = s->fam[i] == AF_INET ? s->fd4 : s->fd6;
		int r = sendmmsg(fd, &s->msgs[i], j - i, 0);

		if (r < 0) {
			/*
			 * EINTR, or ECONNREFUSED: a connected socket reports a port unreachable
			 * that came back for an earlier datagram on the next send, which did not
			 * go; the report is taken, so it goes now.
			 */
			if (errno == EINTR || errno == ECONNREFUSED)
				continue;
			s->errors++;
			s->last_errno = errno;
			i++;
			continue;
		}
		for (j = i; j < i + (unsigned int)r; j++)
			s->bytes += s->iov[j].iov_len;
		s->sent += (uint64_t)r;
		done += (unsigned int)r;
		i += (unsigned int)r;
	}
	s->n = 0;
	return done;
}

uint64_t sender_sent(const struct sender *s)
{
	return s->sent;
}

uint64_t sender_bytes(const struct sender *s)
{
	return s->bytes;
}

uint64_t sender_errors(const struct sender *s, int *ret_last_errno)
{
	if (ret_last_errno)
		*ret_last_errno = s->last_errno;
	return s->errors;
}
