// SPDX-License-Identifier: MIT
/* Private namespaces and bpffs for one test process; see testenv.h. */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testenv.h"

static char bpffs_dir[64];

static void skip(const char *why)
{
	fprintf(stderr, "SKIP: %s\n", why);
	exit(77);
}

int testenv_sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	(void)vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

const char *testenv_enter(void)
{
	if (geteuid() != 0)
		skip("needs root (namespaces, bpffs, BPF maps)");
	if (unshare(CLONE_NEWNET | CLONE_NEWNS))
		skip("unshare(CLONE_NEWNET|CLONE_NEWNS) refused");
	/* Keep our mounts out of the parent namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		skip("cannot make / private in the new mount namespace");
	/*
	 * A fresh bpffs over /sys/fs/bpf, seen only in this mount namespace: nothing is made on
	 * the host, and it vanishes with the process even when the process is killed.
	 */
	snprintf(bpffs_dir, sizeof(bpffs_dir), "/sys/fs/bpf");
	if (mount("bpf", bpffs_dir, "bpf", 0, "mode=0700")) {
		fprintf(stderr, "mount -t bpf bpf %s: %s\n", bpffs_dir, strerror(errno));
		skip("cannot mount a bpffs");
	}
	if (testenv_sh("ip link set lo up") != 0)
		skip("ip link set lo up failed");
	return bpffs_dir;
}

void testenv_leave(void)
{
	if (!bpffs_dir[0])
		return;
	(void)umount2(bpffs_dir, MNT_DETACH);
	bpffs_dir[0] = '\0';
}

const char *testenv_bpffs(void)
{
	return bpffs_dir;
}

int testenv_group_setup(void **state)
{
	(void)state;
	(void)testenv_enter();
	return 0;
}

int testenv_group_teardown(void **state)
{
	(void)state;
	testenv_leave();
	return 0;
}
