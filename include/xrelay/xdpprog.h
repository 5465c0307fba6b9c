/* SPDX-License-Identifier: MIT */
/*
 * The XDP program as an object to load: the skeleton built from bpf/xrelay.bpf.c, its maps
 * replaced by the pinned ones of a struct mapctl, so the program, the dataplane, the API and
 * the tests all see the same maps. Attaching to an interface is the dataplane's business.
 */
#ifndef XRELAY_XDPPROG_H
#define XRELAY_XDPPROG_H

#include "xrelay/mapctl.h"

struct xdpprog;

/*
 * Load the program with the maps of @m. With @hw_ifindex > 0 the variant that reads NIC
 * receive timestamps is loaded device-bound to that interface (kernel 6.3+); on failure it
 * falls back to the software-timestamp variant and says so through *@ret_hw_ts (0 or 1; may
 * be NULL). Returns 0 with *@ret set, or -errno.
 */
int xdpprog_load(struct mapctl *m, int hw_ifindex, struct xdpprog **ret, int *ret_hw_ts);

/* The loaded program's fd, owned by @p. */
int xdpprog_fd(const struct xdpprog *p);

/* Unload (does not detach anything). Accepts NULL. */
void xdpprog_close(struct xdpprog *p);

#endif /* XRELAY_XDPPROG_H */
