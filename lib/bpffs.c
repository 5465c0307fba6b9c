// SPDX-License-Identifier: MIT
/* The BPF file system under a pin directory: checked, and mounted where it belongs. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>

#include <linux/magic.h>

#include "xrelay/bpffs.h"
#include "xrelay/errmsg.h"

/* 1 if @path is on a bpffs, 0 if on another file system, -errno if it cannot be asked. */
static int on_bpffs(const char *path)
{
	struct statfs sfs;

	if (statfs(path, &sfs))
		return -errno;
	return sfs.f_type == BPF_FS_MAGIC;
}

/* Whether @path is @dir or lies below it (both absolute, no "..": compared as text). */
static int below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

int bpffs_ensure(const char *pin_dir, const char *mnt, char *err, size_t errlen)
{
	char at[PATH_MAX];
	size_t len = strlen(pin_dir);
	int r;

	if (len == 0 || len >= sizeof(at)) {
		errmsg_set(err, errlen, "pin directory \"%s\": empty or too long", pin_dir);
		return -ENAMETOOLONG;
	}
	/* The nearest existing directory of the path: the pins go on its file system. */
	memcpy(at, pin_dir, len + 1);
	while ((r = on_bpffs(at)) == -ENOENT && strcmp(at, "/") && strcmp(at, ".")) {
		char *slash = strrchr(at, '/');

		if (!slash)
			strcpy(at, ".");
		else if (slash == at)
			at[1] = '\0';
		else
			*slash = '\0';
	}
	if (r == 1)
		return 0;
	if (r < 0 && r != -ENOENT) {
		errmsg_set(err, errlen, "pin directory %s: %s", pin_dir, strerror(-r));
		return r;
	}
	if (pin_dir[0] != '/' || strstr(pin_dir, "/..") || !below(pin_dir, mnt)) {
		errmsg_set(err, errlen,
			   "pin directory %s is not on a BPF file system: mount one there first "
			   "(mount -t bpf bpf DIR) or choose a --pin-dir under %s",
			   pin_dir, mnt);
		return -ENOTSUP;
	}
	r = on_bpffs(mnt);
	if (r == 1) {
		/* @mnt is one, but the path's parent is another mount on top: not ours to fix. */
		errmsg_set(err, errlen,
			   "pin directory %s is on another file system mounted inside %s; choose a "
			   "--pin-dir on the BPF file system",
			   pin_dir, mnt);
		return -ENOTSUP;
	}
	if (r < 0) {
		errmsg_set(err, errlen, "%s: %s (the kernel's BPF file system mounts there)", mnt,
			   strerror(-r));
		return r;
	}
	if (mount("bpf", mnt, "bpf", 0, "mode=0700")) {
		r = -errno;
		errmsg_set(err, errlen,
			   "%s is not a BPF file system and mounting one failed: %s (run as root, "
			   "or: mount -t bpf bpf %s)",
			   mnt, strerror(-r), mnt);
		return r;
	}
	return 1;
}
