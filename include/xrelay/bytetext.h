/* SPDX-License-Identifier: MIT */
/*
 * Bytes as text for JSON output: base64 (RFC 4648, padded) and lowercase hex, written into the
 * caller's buffer. For the tools' envelope payloads (tools/jsonl.c) and datums' bytes and
 * fixed values (lib/datum_json.c). No allocation, no I/O.
 */
#ifndef XRELAY_BYTETEXT_H
#define XRELAY_BYTETEXT_H

#include <stddef.h>
#include <stdint.h>

/* Characters bytetext_base64 writes for @n bytes (no NUL); bytetext_hex writes 2 * @n. */
#define BYTETEXT_BASE64_LEN(n) (((n) + 2) / 3 * 4)

/* @n bytes of @in as base64 into @out (BYTETEXT_BASE64_LEN(@n) chars, no NUL): that length. */
size_t bytetext_base64(char *out, const uint8_t *in, size_t n);

/* @n bytes of @in as lowercase hex into @out (2 * @n chars, no NUL): that length. */
size_t bytetext_hex(char *out, const uint8_t *in, size_t n);

#endif /* XRELAY_BYTETEXT_H */
