// SPDX-License-Identifier: MIT
/* One rx queue's AF_XDP socket and UMEM; see umem.h for the frame life cycle. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_xdp.h>

#include "umem.h"

#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif

static int bind_socket(struct umem *u, const char *ifname, __u32 queue, __u16 bind_flags)
{
	struct xsk_socket_config cfg = {
		.rx_size = UMEM_RX_SIZE,
		.tx_size = UMEM_TX_SIZE,
		/* Our own XDP program and XSKMAP: libxdp must load nothing. */
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = bind_flags | XDP_USE_NEED_WAKEUP,
	};

	return xsk_socket__create(&u->xsk, ifname, queue, u->umem, &u->rx, &u->tx, &cfg);
}

/* The interface's MTU, or 0 when it cannot be read. */
static unsigned int iface_mtu(const char *ifname)
{
	struct ifreq ifr = {};
	int fd, r;

	if (strlen(ifname) >= IFNAMSIZ)
		return 0;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	strcpy(ifr.ifr_name, ifname);
	r = ioctl(fd, SIOCGIFMTU, &ifr);
	close(fd);
	return r ? 0 : (unsigned int)ifr.ifr_mtu;
}

/*
 * Bind in the best mode the kernel and driver take: zero-copy before copy mode (if asked),
 * multi-buffer before single-buffer. Zero-copy without multi-buffer is preferred to copy mode
 * with it only where a frame holds the longest packet the MTU allows (with two VLAN tags).
 * XDP_USE_SG is refused with EINVAL before 6.6, and with EOPNOTSUPP in zero-copy mode by a
 * driver without multi-buffer zero-copy. Returns the last bind's 0 or -errno.
 */
static int bind_modes(struct umem *u, const char *ifname, __u32 queue, unsigned int flags)
{
	unsigned int mtu = iface_mtu(ifname);
	bool fits = mtu && mtu + ETH_HLEN + 8 <= UMEM_FRAME_ROOM;
	int r = -EOPNOTSUPP, r_sg;

	if (flags & UMEM_F_TRY_ZEROCOPY) {
		r = bind_socket(u, ifname, queue, XDP_ZEROCOPY | XDP_USE_SG);
		if (!r) {
			u->zerocopy = u->multibuf = true;
			return 0;
		}
		r_sg = r;
		if (fits) {
			r = bind_socket(u, ifname, queue, XDP_ZEROCOPY);
			if (!r) {
				u->zerocopy = true;
				snprintf(u->mb_why, sizeof(u->mb_why),
					 "refused in zero-copy mode (%s)", strerror(-r_sg));
				return 0;
			}
		}
		snprintf(u->mode_why, sizeof(u->mode_why), "the driver refused zero-copy (%s)",
			 strerror(-r));
	} else {
		snprintf(u->mode_why, sizeof(u->mode_why), "XDP in generic mode");
	}
	r = bind_socket(u, ifname, queue, XDP_COPY | XDP_USE_SG);
	if (!r) {
		u->multibuf = true;
		return 0;
	}
	snprintf(u->mb_why, sizeof(u->mb_why), "refused (%s%s)", strerror(-r),
		 r == -EINVAL ? "; needs Linux 6.6" : "");
	return bind_socket(u, ifname, queue, XDP_COPY);
}

/* The struct, the area of @size bytes and its per-frame tables, nothing on the free stack. */
static int area_alloc(size_t size, struct umem **ret)
{
	size_t frames = size / UMEM_FRAME_SIZE;
	struct umem *u = calloc(1, sizeof(*u));

	if (!u)
		return -ENOMEM;
	u->free = calloc(frames, sizeof(*u->free));
	u->refs = calloc(frames, sizeof(*u->refs));
	u->area = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (u->area == MAP_FAILED)
		u->area = NULL;
	else
		u->size = size;
	if (!u->free || !u->refs || !u->area) {
		umem_destroy(u, 0, -1);
		return -ENOMEM;
	}
	*ret = u;
	return 0;
}

int umem_create_pool(__u32 nbufs, size_t buf_size, struct umem **ret)
{
	struct umem *u;
	__u32 i;
	int r;

	if (!nbufs || !buf_size || buf_size % UMEM_FRAME_SIZE)
		return -EINVAL;
	r = area_alloc((size_t)nbufs * buf_size, &u);
	if (r)
		return r;
	for (i = 0; i < nbufs; i++)
		u->free[u->nfree++] = (__u64)i * buf_size;
	*ret = u;
	return 0;
}

int umem_create(const char *ifname, __u32 queue, unsigned int flags, int xsks_fd, struct umem **ret,
		char *err, size_t errlen)
{
	const struct xsk_umem_config ucfg = {
		.fill_size = UMEM_FILL_SIZE,
		.comp_size = UMEM_COMP_SIZE,
		.frame_size = UMEM_FRAME_SIZE,
		.frame_headroom = 0,
	};
	const size_t size = (size_t)UMEM_FRAMES * UMEM_FRAME_SIZE;
	struct umem *u;
	int r, fd;
	__u32 i;

	r = area_alloc(size, &u);
	if (r) {
		snprintf(err, errlen, "queue %u: no memory for a %zu MiB UMEM", queue, size >> 20);
		return r;
	}
	r = xsk_umem__create(&u->umem, u->area, size, &u->fq, &u->cq, &ucfg);
	if (r) {
		snprintf(err, errlen, "queue %u: registering the UMEM: %s", queue, strerror(-r));
		goto out_free;
	}
	r = bind_modes(u, ifname, queue, flags);
	if (r) {
		snprintf(err, errlen, "queue %u: binding an AF_XDP socket to %s: %s%s", queue,
			 ifname, strerror(-r),
			 r == -EPERM ? " (needs CAP_NET_RAW and CAP_BPF, or root)" : "");
		goto out_free;
	}
	if (flags & UMEM_F_BUSY_POLL) {
		int one = 1, usecs = 20, budget = 64;

		fd = xsk_socket__fd(u->xsk);
		(void)setsockopt(fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one, sizeof(one));
		(void)setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &usecs, sizeof(usecs));
		(void)setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget, sizeof(budget));
	}
	for (i = 0; i < UMEM_FRAMES; i++)
		u->free[u->nfree++] = (__u64)i * UMEM_FRAME_SIZE;
	umem_refill(u);

	fd = xsk_socket__fd(u->xsk);
	if (bpf_map_update_elem(xsks_fd, &queue, &fd, BPF_ANY)) {
		r = -errno;
		snprintf(err, errlen, "queue %u: adding the socket to the XSKMAP: %s", queue,
			 strerror(-r));
		goto out_free;
	}
	*ret = u;
	return 0;

out_free:
	umem_destroy(u, queue, -1);
	return r;
}

void umem_destroy(struct umem *u, __u32 queue, int xsks_fd)
{
	if (!u)
		return;
	if (xsks_fd >= 0)
		(void)bpf_map_delete_elem(xsks_fd, &queue);
	if (u->xsk)
		xsk_socket__delete(u->xsk);
	if (u->umem)
		xsk_umem__delete(u->umem);
	if (u->area)
		munmap(u->area, u->size);
	free(u->free);
	free(u->refs);
	free(u);
}

__u32 umem_refill(struct umem *u)
{
	__u32 n = u->nfree, idx, i;

	if (!n)
		return 0;
	n = xsk_prod_nb_free(&u->fq, n);
	if (n > u->nfree)
		n = u->nfree;
	if (!n || xsk_ring_prod__reserve(&u->fq, n, &idx) != n)
		return 0;
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&u->fq, idx + i) = u->free[--u->nfree];
	xsk_ring_prod__submit(&u->fq, n);
	return n;
}

bool umem_tx_pending(struct umem *u)
{
	return xsk_prod_nb_free(&u->tx, UMEM_TX_SIZE) < UMEM_TX_SIZE;
}

void umem_tx_kick(struct umem *u)
{
	int i;

	if (!u->tx_inflight) /* nothing pushed (always so for a pool: umem_create_pool) */
		return;
	/*
	 * Copy mode transmits 32 frames a call (the kernel's TX_BATCH_SIZE): call again while the
	 * kernel takes more, a bounded number of times. EAGAIN, EBUSY (device busy) and ENOBUFS
	 * leave the rest queued for the next kick.
	 */
	for (i = 0; i < 8 && umem_tx_pending(u) && xsk_ring_prod__needs_wakeup(&u->tx); i++)
		if (sendto(xsk_socket__fd(u->xsk), NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 &&
		    errno != EAGAIN)
			break;
}

int umem_stats(const struct umem *u, __u64 *rx_dropped, __u64 *rx_invalid, __u64 *rx_ring_full,
	       __u64 *fill_empty, __u64 *tx_invalid)
{
	struct xdp_statistics st = {};
	socklen_t len = sizeof(st);

	if (getsockopt(xsk_socket__fd(u->xsk), SOL_XDP, XDP_STATISTICS, &st, &len))
		return -errno;
	*rx_dropped = st.rx_dropped;
	*rx_invalid = st.rx_invalid_descs;
	*rx_ring_full = st.rx_ring_full;
	*fill_empty = st.rx_fill_ring_empty_descs;
	*tx_invalid = st.tx_invalid_descs;
	return 0;
}
