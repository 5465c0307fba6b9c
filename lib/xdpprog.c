// SPDX-License-Identifier: MIT
/* Loading the XDP program with the pinned maps of the contract; see xrelay/xdpprog.h. */
#include <errno.h>
#include <stdlib.h>

#include <bpf/libbpf.h>

#include "xrelay/xdpprog.h"
#include "xrelay.skel.h"

#ifndef BPF_F_XDP_DEV_BOUND_ONLY
#define BPF_F_XDP_DEV_BOUND_ONLY (1U << 6) /* kernel 6.3 UAPI; Debian 12 headers are 6.1 */
#endif

struct xdpprog {
	struct xrelay *skel;
	struct bpf_program *prog;
};

static int load_one(struct mapctl *m, int hw_ifindex, struct xrelay **ret)
{
	struct bpf_map *maps[XRELAY_MAP__MAX];
	struct xrelay *skel;
	int i, r;

	skel = xrelay__open();
	if (!skel)
		return -errno;
	i = 0;
#define XRELAY_MAP_PTR(id, name_, type_, key_, value_, max_, flags_) maps[i++] = skel->maps.name_;
	XRELAY_MAP_LIST(XRELAY_MAP_PTR)
#undef XRELAY_MAP_PTR
	for (i = 0; i < XRELAY_MAP__MAX; i++) {
		r = bpf_map__reuse_fd(maps[i], mapctl_fd(m, (enum xrelay_map_id)i));
		if (r)
			goto out_destroy;
	}
	if (hw_ifindex > 0) {
		bpf_program__set_autoload(skel->progs.xrelay_xdp, false);
		bpf_program__set_ifindex(skel->progs.xrelay_xdp_hwts, (__u32)hw_ifindex);
		bpf_program__set_flags(skel->progs.xrelay_xdp_hwts,
				       bpf_program__flags(skel->progs.xrelay_xdp_hwts) |
					       BPF_F_XDP_DEV_BOUND_ONLY);
	} else {
		bpf_program__set_autoload(skel->progs.xrelay_xdp_hwts, false);
	}
	r = xrelay__load(skel);
	if (r)
		goto out_destroy;
	*ret = skel;
	return 0;

out_destroy:
	xrelay__destroy(skel);
	return r < 0 ? r : -EINVAL;
}

int xdpprog_load(struct mapctl *m, int hw_ifindex, struct xdpprog **ret, int *ret_hw_ts)
{
	struct xdpprog *p = calloc(1, sizeof(*p));
	int r = -ENODEV;

	if (!p)
		return -ENOMEM;
	if (hw_ifindex > 0)
		r = load_one(m, hw_ifindex, &p->skel);
	if (r == 0) {
		p->prog = p->skel->progs.xrelay_xdp_hwts;
	} else {
		r = load_one(m, 0, &p->skel);
		if (r) {
			free(p);
			return r;
		}
		p->prog = p->skel->progs.xrelay_xdp;
	}
	if (ret_hw_ts)
		*ret_hw_ts = p->prog == p->skel->progs.xrelay_xdp_hwts;
	*ret = p;
	return 0;
}

int xdpprog_fd(const struct xdpprog *p)
{
	return bpf_program__fd(p->prog);
}

void xdpprog_close(struct xdpprog *p)
{
	if (!p)
		return;
	xrelay__destroy(p->skel);
	free(p);
}
