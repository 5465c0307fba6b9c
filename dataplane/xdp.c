// SPDX-License-Identifier: MIT
/* Attaching the XDP program to the capture interface; see xdp.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "xdp.h"
#include "xrelay/maps.h"

static int try_attach(struct xdp_link *l, int ifindex, unsigned int mode_flag)
{
	/* A link never replaces another program: the kernel refuses (EBUSY) if one is there. */
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = mode_flag);
	int fd = bpf_link_create(xdpprog_fd(l->prog), ifindex, BPF_XDP, &opts);

	if (fd < 0)
		return -errno;
	l->link_fd = fd;
	return 0;
}

int xdp_link_attach(struct mapctl *m, int ifindex, const char *ifname, int mode, bool nic_ts,
		    struct xdp_link *ret, char *err, size_t errlen)
{
	struct xdp_link l = { .ifindex = ifindex, .link_fd = -1 };
	__u32 prog_id = 0;
	int r;

	/* The NIC-timestamp variant needs a device-bound load, native mode only. */
	r = xdpprog_load(m, nic_ts && mode != XRELAY_MODE_XDP_GENERIC ? ifindex : 0, &l.prog,
			 &l.hw_ts);
	if (r) {
		snprintf(err, errlen, "loading the XDP program: %s%s", strerror(-r),
			 r == -EPERM ? " (needs root, or CAP_BPF and CAP_NET_ADMIN)" : "");
		return r;
	}
	if (!bpf_xdp_query_id(ifindex, 0, &prog_id) && prog_id) {
		snprintf(err, errlen,
			 "%s already has an XDP program (id %u); xrelay does not replace it. "
			 "Detach it first (ip link set dev %s xdp off) if it is not needed",
			 ifname, prog_id, ifname);
		xdpprog_close(l.prog);
		return -EBUSY;
	}
	r = -EOPNOTSUPP;
	if (mode != XRELAY_MODE_XDP_GENERIC)
		r = try_attach(&l, ifindex, XDP_FLAGS_DRV_MODE);
	if (r && mode == 0 && l.hw_ts) {
		/* A device-bound program attaches in native mode only: reload it plain. */
		xdpprog_close(l.prog);
		l.prog = NULL;
		r = xdpprog_load(m, 0, &l.prog, &l.hw_ts);
		if (r) {
			snprintf(err, errlen, "loading the XDP program: %s", strerror(-r));
			return r;
		}
		r = -EOPNOTSUPP;
	}
	if (r == 0) {
		l.mode = XRELAY_MODE_XDP_NATIVE;
	} else if (mode != XRELAY_MODE_XDP_NATIVE) {
		r = try_attach(&l, ifindex, XDP_FLAGS_SKB_MODE);
		if (r == 0)
			l.mode = XRELAY_MODE_XDP_GENERIC;
	}
	if (r) {
		snprintf(err, errlen, "attaching XDP to %s in %s mode: %s%s", ifname,
			 mode == XRELAY_MODE_XDP_NATIVE ? "native" : "native or generic",
			 strerror(-r),
			 mode == XRELAY_MODE_XDP_NATIVE
				 ? " (the driver may have no native XDP: try --xdp-mode generic)"
				 : "");
		xdpprog_close(l.prog);
		return r;
	}
	*ret = l;
	return 0;
}

void xdp_link_detach(struct xdp_link *l)
{
	if (!l->prog)
		return;
	if (l->link_fd >= 0)
		close(l->link_fd); /* the link's last reference: the program is detached */
	l->link_fd = -1;
	xdpprog_close(l->prog);
	l->prog = NULL;
}
