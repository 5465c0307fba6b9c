/* SPDX-License-Identifier: MIT */
/*
 * Test environment: each test process gets its own network and mount namespace and a private
 * bpffs, so pinned maps and veths it makes vanish with it even when it crashes. Root only; a
 * test that cannot set this up is skipped (exit 77) with the reason.
 */
#ifndef XRELAY_TESTENV_H
#define XRELAY_TESTENV_H

/*
 * Enter fresh net + mount namespaces, bring lo up and mount a fresh bpffs over /sys/fs/bpf
 * (private to this process and its children). Returns that directory; exits 77 with a reason
 * if impossible.
 */
const char *testenv_enter(void);

/* Run a shell command (inside the namespaces); returns its exit status, -1 on failure. */
int testenv_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Unmount the private bpffs. */
void testenv_leave(void);

/* The private bpffs of testenv_enter ("" before it). */
const char *testenv_bpffs(void);

/*
 * cmocka group fixtures for a test file whose tests all run inside one testenv: enter it
 * before the first test, leave it after the last. @state is not used.
 */
int testenv_group_setup(void **state);
int testenv_group_teardown(void **state);

#endif
