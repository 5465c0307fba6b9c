/* SPDX-License-Identifier: MIT */
/* Bearer-token authentication of the control API: loading the token and checking a request. */
#ifndef XRELAY_CP_AUTH_H
#define XRELAY_CP_AUTH_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Read the token from @path: its first line, surrounding white space removed; it must be
 * 16-4096 printable characters without spaces. Returns 0 with *@ret (malloc'ed) or -errno with
 * a sentence in @err.
 */
int auth_load(const char *path, char **ret, char *err, size_t errlen);

/*
 * Whether @header (an Authorization value, may be NULL) is "Bearer <token>". Time spent does
 * not depend on where the presented token differs from @token.
 */
bool auth_check(const char *token, const char *header);

#endif
