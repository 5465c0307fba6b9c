// SPDX-License-Identifier: MIT
/* The error-sentence helper of xrelay/errmsg.h. */
#include <stdio.h>

#include "xrelay/errmsg.h"

void errmsg_vset(char *buf, size_t len, const char *fmt, va_list ap)
{
	if (!buf || !len)
		return;
	(void)vsnprintf(buf, len, fmt, ap);
}

void errmsg_set(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errmsg_vset(buf, len, fmt, ap);
	va_end(ap);
}
