// SPDX-License-Identifier: MIT
/* A bound AF_XDP socket for tests; see testxsk.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <bpf/bpf.h>
#include <linux/if_xdp.h>
#include <xdp/xsk.h>

#include "testxsk.h"

#define UMEM_LEN (64 * 4096)

struct testxsk {
	void *area;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fq, tx;
	struct xsk_ring_cons cq, rx;
};

int testxsk_bind(const char *ifname, __u32 queue, int xsks_map_fd, struct testxsk **ret)
{
	struct xsk_socket_config cfg = {
		.rx_size = 64,
		.tx_size = 64,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_COPY,
	};
	struct testxsk *x = calloc(1, sizeof(*x));
	int r, fd;

	if (!x)
		return -ENOMEM;
	x->area = mmap(NULL, UMEM_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (x->area == MAP_FAILED) {
		r = -errno;
		free(x);
		return r;
	}
	r = xsk_umem__create(&x->umem, x->area, UMEM_LEN, &x->fq, &x->cq, NULL);
	if (r) {
		fprintf(stderr, "xsk_umem__create: %s\n", strerror(-r));
		goto out_close;
	}
	r = xsk_socket__create(&x->xsk, ifname, queue, x->umem, &x->rx, &x->tx, &cfg);
	if (r) {
		fprintf(stderr, "xsk_socket__create(%s, %u): %s\n", ifname, queue, strerror(-r));
		goto out_close;
	}
	fd = xsk_socket__fd(x->xsk);
	if (bpf_map_update_elem(xsks_map_fd, &queue, &fd, BPF_ANY)) {
		r = -errno;
		fprintf(stderr, "XSKMAP update: %s\n", strerror(errno));
		goto out_close;
	}
	*ret = x;
	return 0;

out_close:
	testxsk_close(x);
	return r;
}

void testxsk_close(struct testxsk *x)
{
	if (!x)
		return;
	if (x->xsk)
		xsk_socket__delete(x->xsk);
	if (x->umem)
		xsk_umem__delete(x->umem);
	munmap(x->area, UMEM_LEN);
	free(x);
}
