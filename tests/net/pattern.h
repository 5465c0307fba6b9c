/* SPDX-License-Identifier: MIT */
/*
 * The test traffic pattern shared by udpgen (which sends it), udpsub (which checks what a
 * subscriber receives) and verify_avro.py (which checks the recorded files; it re-implements
 * these functions line for line, so change both or neither). Datagram i of a run with seed S
 * and length bounds [A, B] has length pattern_len(S, i, A, B) and the bytes pattern_fill()
 * writes; both are pure functions of (S, i) (and A, B for the length).
 *
 *   key(S, i)   = mix(mix(S) ^ i)                                  (64-bit arithmetic)
 *   len         = A + key % (B - A + 1)
 *   bytes 0..3  = i as big-endian u32, truncated to the first len bytes when len < 4
 *   bytes 4..   = tape(S)[off .. off + len - 4), off = (key >> 32) & 0xffff
 *   tape(S)     = the little-endian bytes of mix((S ^ PATTERN_TAPE_SALT) + j), j = 0, 1, ...
 *
 * mix() is the splitmix64 step. A payload is a window of a pseudo-random tape that starts at a
 * per-datagram offset, so a shifted, truncated, stale or swapped payload does not match, and a
 * checker compares whole payloads with memcmp (Python: slices) instead of byte loops.
 */
#ifndef XRELAY_TEST_PATTERN_H
#define XRELAY_TEST_PATTERN_H

#include <stdint.h>
#include <string.h>

/* Largest datagram length the pattern describes (a UDP payload never exceeds it). */
#define PATTERN_MAX_LEN 65535u
/* The tape covers the largest offset (0xffff) plus the longest body (PATTERN_MAX_LEN - 4). */
#define PATTERN_TAPE_LEN (1u << 17)
#define PATTERN_TAPE_SALT 0xa5a5a5a5a5a5a5a5ull

static inline uint64_t pattern_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static inline uint64_t pattern_key(uint64_t seed, uint32_t i)
{
	return pattern_mix(pattern_mix(seed) ^ i);
}

/* Length of datagram i, in [min_len, max_len] (max_len <= PATTERN_MAX_LEN, min_len <= max_len). */
static inline uint32_t pattern_len(uint64_t seed, uint32_t i, uint32_t min_len, uint32_t max_len)
{
	return min_len + (uint32_t)(pattern_key(seed, i) % ((uint64_t)max_len - min_len + 1));
}

/* Fill tape (PATTERN_TAPE_LEN bytes) for seed; done once per run. */
static inline void pattern_tape(uint64_t seed, uint8_t *tape)
{
	uint32_t j, b;

	for (j = 0; j < PATTERN_TAPE_LEN / 8; j++) {
		uint64_t w = pattern_mix((seed ^ PATTERN_TAPE_SALT) + j);

		for (b = 0; b < 8; b++)
			tape[8 * j + b] = (uint8_t)(w >> (8 * b));
	}
}

/* Write the len bytes of datagram i (len as pattern_len() gave it) into buf. */
static inline void pattern_fill(const uint8_t *tape, uint64_t seed, uint32_t i, uint8_t *buf,
				uint32_t len)
{
	uint32_t off = (uint32_t)(pattern_key(seed, i) >> 32) & 0xffff;
	uint32_t k;

	for (k = 0; k < 4 && k < len; k++)
		buf[k] = (uint8_t)(i >> (24 - 8 * k));
	if (len > 4)
		memcpy(buf + 4, tape + off, len - 4);
}

/*
 * 0 when buf (len bytes) is exactly datagram i of the run, 1 when the length differs from
 * pattern_len(), 2 when the bytes differ. For len >= 4 the caller reads i from the first 4
 * bytes (big-endian).
 */
static inline int pattern_check(const uint8_t *tape, uint64_t seed, uint32_t i, const uint8_t *buf,
				uint32_t len, uint32_t min_len, uint32_t max_len)
{
	uint32_t off = (uint32_t)(pattern_key(seed, i) >> 32) & 0xffff;
	uint32_t k;

	if (len != pattern_len(seed, i, min_len, max_len))
		return 1;
	for (k = 0; k < 4 && k < len; k++)
		if (buf[k] != (uint8_t)(i >> (24 - 8 * k)))
			return 2;
	if (len > 4 && memcmp(buf + 4, tape + off, len - 4))
		return 2;
	return 0;
}

#endif /* XRELAY_TEST_PATTERN_H */
