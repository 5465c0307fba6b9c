/* SPDX-License-Identifier: MIT */
/*
 * Addresses as the maps store them: 16 bytes, an IPv4 address in its IPv4-mapped form
 * (::ffff:a.b.c.d), all zero for "any address" (a channel key's wildcard). The one home of that
 * encoding for the XDP program, lib/, api/ and the dataplane; the inline part is BPF-safe (no
 * library calls, fixed-length loops). Parsing text is userspace only (lib/addr.c).
 */
#ifndef XRELAY_ADDR_H
#define XRELAY_ADDR_H

#include <stdbool.h>

#include <linux/types.h>

#define ADDR_LEN 16

#ifdef __bpf__
#define ADDR_INLINE static __always_inline
#else
#define ADDR_INLINE static inline __attribute__((always_inline))
#endif

/* @a = the IPv4-mapped form of the 4 bytes at @v4 (network order). */
ADDR_INLINE void addr_set_v4(__u8 a[ADDR_LEN], const void *v4)
{
	const __u8 *p = (const __u8 *)v4;
	int i;

	for (i = 0; i < 10; i++)
		a[i] = 0;
	a[10] = 0xff;
	a[11] = 0xff;
	for (i = 0; i < 4; i++)
		a[12 + i] = p[i];
}

/* Whether @a is an IPv4 address (IPv4-mapped): its last 4 bytes are the address. */
ADDR_INLINE bool addr_is_v4(const __u8 a[ADDR_LEN])
{
	int i;

	for (i = 0; i < 10; i++)
		if (a[i])
			return false;
	return a[10] == 0xff && a[11] == 0xff;
}

/* Whether @a is all zero: "any address" in a channel key. */
ADDR_INLINE bool addr_is_any(const __u8 a[ADDR_LEN])
{
	int i;

	for (i = 0; i < ADDR_LEN; i++)
		if (a[i])
			return false;
	return true;
}

/* Whether @a is an unspecified address: :: or 0.0.0.0 (IPv4-mapped). */
ADDR_INLINE bool addr_is_unspecified(const __u8 a[ADDR_LEN])
{
	return addr_is_any(a) || (addr_is_v4(a) && !a[12] && !a[13] && !a[14] && !a[15]);
}

/* Whether @a is a multicast address: 224.0.0.0/4 or ff00::/8. */
ADDR_INLINE bool addr_is_multicast(const __u8 a[ADDR_LEN])
{
	return addr_is_v4(a) ? (a[12] & 0xf0) == 0xe0 : a[0] == 0xff;
}

#ifndef __bpf__
/*
 * An IPv4 ("239.1.1.1", stored IPv4-mapped) or IPv6 literal ("ff15::1"; "::ffff:a.b.c.d" is the
 * same as the IPv4 form) into @out. Returns 0, or -EINVAL (@out then all zero). Any thread.
 */
int addr_parse(const char *s, __u8 out[ADDR_LEN]);
#endif

#endif /* XRELAY_ADDR_H */
