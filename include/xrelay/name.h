/* SPDX-License-Identifier: MIT */
/*
 * The channel-name rule, [A-Za-z0-9_-]{1,63}: the one place it is written. Names become
 * directory and file names, so the rule is what keeps every path inside the output folder;
 * the API, the maps' editors, the dataplane and the file format all ask this header.
 */
#ifndef XRELAY_NAME_H
#define XRELAY_NAME_H

#include <stdbool.h>
#include <stddef.h>

#define NAME_MAX_LEN 63 /* characters, without the NUL (maps.h's XRELAY_NAME_LEN - 1) */

static inline bool name_char_valid(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* Whether the @n bytes at @s are a valid name (no NUL needed). */
static inline bool name_valid_n(const char *s, size_t n)
{
	size_t i;

	if (!s || n < 1 || n > NAME_MAX_LEN)
		return false;
	for (i = 0; i < n; i++)
		if (!name_char_valid(s[i]))
			return false;
	return true;
}

/* Whether the string @s (NULL: no) is a valid name. Reads at most NAME_MAX_LEN + 1 bytes. */
static inline bool name_valid(const char *s)
{
	size_t n = 0;

	if (!s)
		return false;
	while (n <= NAME_MAX_LEN && s[n])
		n++;
	return name_valid_n(s, n);
}

#endif /* XRELAY_NAME_H */
