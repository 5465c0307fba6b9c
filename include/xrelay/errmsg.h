/* SPDX-License-Identifier: MIT */
/*
 * The error sentence a failing call leaves for its caller (library code does not log): one
 * helper for every module that returns -errno with a reason in a caller's buffer.
 */
#ifndef XRELAY_ERRMSG_H
#define XRELAY_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>

/*
 * printf @fmt into @buf of @len bytes, cut short if it must (always NUL-terminated). A NULL
 * @buf or a zero @len is allowed: nothing is written. Any thread; never fails.
 */
void errmsg_set(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void errmsg_vset(char *buf, size_t len, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#endif /* XRELAY_ERRMSG_H */
