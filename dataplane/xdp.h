/* SPDX-License-Identifier: MIT */
/*
 * Attaching the XDP program to the capture interface: native (driver) mode, generic (skb)
 * mode, or native with a fallback; detaching it at the end. Attached through a BPF link, so
 * the kernel detaches it when the process dies however it dies: a crash never leaves the
 * interface redirecting to sockets that are gone. Loading is lib/xdpprog's.
 */
#ifndef XRELAY_DP_XDP_H
#define XRELAY_DP_XDP_H

#include <stdbool.h>
#include <stddef.h>

#include "xrelay/xdpprog.h"

struct xdp_link {
	struct xdpprog *prog;
	int ifindex;
	int link_fd; /* the BPF link: closing it detaches */
	int mode;    /* XRELAY_MODE_XDP_NATIVE or _GENERIC */
	int hw_ts;   /* the NIC-timestamp variant is in use */
};

/*
 * Load the program with the maps of @m and attach it to @ifindex in @mode (0 = native, else
 * generic; XRELAY_MODE_XDP_NATIVE or _GENERIC to insist). With @nic_ts the variant reading NIC
 * receive timestamps is used where the device allows it. Refuses to replace a program someone
 * else attached. Returns 0 or -errno with a sentence (cause and fix) in @err.
 */
int xdp_link_attach(struct mapctl *m, int ifindex, const char *ifname, int mode, bool nic_ts,
		    struct xdp_link *ret, char *err, size_t errlen);

/* Detach (only our program) and unload. */
void xdp_link_detach(struct xdp_link *l);

#endif
