/* SPDX-License-Identifier: MIT */
/*
 * An AF_XDP socket for tests and benchmarks: bound (copy mode) to one queue of an interface
 * and put in an XSKMAP, so the XDP program's redirect path is taken. Nothing reads its rings.
 */
#ifndef XRELAY_TESTXSK_H
#define XRELAY_TESTXSK_H

#include <linux/types.h>

struct testxsk;

/* Returns 0 with *@ret set, or -errno (message on stderr). */
int testxsk_bind(const char *ifname, __u32 queue, int xsks_map_fd, struct testxsk **ret);

/* Accepts NULL. */
void testxsk_close(struct testxsk *x);

#endif
