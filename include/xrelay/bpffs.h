/* SPDX-License-Identifier: MIT */
/*
 * Making sure a pin directory can hold pins: the BPF file system under it, mounted at
 * /sys/fs/bpf when that is not one yet (a machine fresh from boot without systemd), as libxdp
 * and cilium do. Does not create the directory nor open maps (mapctl does).
 */
#ifndef XRELAY_BPFFS_H
#define XRELAY_BPFFS_H

#include <stddef.h>

#define BPFFS_DEFAULT_MOUNT "/sys/fs/bpf"

/*
 * Check that @pin_dir (or, while it does not exist yet, its nearest existing parent) is on a
 * BPF file system. When it is not and @pin_dir lies under @mnt (BPFFS_DEFAULT_MOUNT but for
 * tests), mount a bpffs at @mnt (mode 0700) first. Returns 0 (was one), 1 (mounted one now),
 * or -errno with the reason and its fix in @err: -ENOTSUP for a directory on another file
 * system elsewhere, the mount's error (-EPERM without CAP_SYS_ADMIN, say). May block briefly
 * (stat, mount); call it at start, before the maps are opened.
 */
int bpffs_ensure(const char *pin_dir, const char *mnt, char *err, size_t errlen);

#endif /* XRELAY_BPFFS_H */
