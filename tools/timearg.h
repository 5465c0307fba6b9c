/* SPDX-License-Identifier: MIT */
/*
 * Times as the tools take and print them: RFC 3339 with up to nine fraction digits (UTC "Z" or
 * an offset), or nanoseconds since the epoch as a bare number. Pure; no I/O.
 */
#ifndef XRELAY_TOOLS_TIMEARG_H
#define XRELAY_TOOLS_TIMEARG_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse @s ("2026-12-02T10:00:00.123456789Z", "2026-12-02T11:00:00+01:00", "1764669600123456789")
 * into ns since the epoch. Returns 0 or -EINVAL (anything else, or out of int64 range).
 */
int timearg_parse(const char *s, int64_t *ret_ns);

/* What timearg_parse takes, in words, for the tools' messages. */
#define TIMEARG_FORMS "RFC 3339 (2026-12-02T10:00:00.123456789Z) or ns since the epoch"

/* Write @ns as "YYYY-mm-ddTHH:MM:SS.nnnnnnnnnZ" into @buf (at least 32 bytes). Returns @buf. */
char *timearg_format(int64_t ns, char *buf, size_t len);

#endif /* XRELAY_TOOLS_TIMEARG_H */
