/* SPDX-License-Identifier: MIT */
/* Command-line helpers the programs share. Program-side code: it reports through log.h. */
#ifndef XRELAY_CLI_H
#define XRELAY_CLI_H

#include <linux/types.h>

/*
 * Parse @s as a whole number from @min to @max into *@ret. On failure says what @flag takes
 * (pr_warn) and returns -EINVAL; *@ret is then untouched.
 */
int cli_parse_u64(const char *flag, const char *s, __u64 min, __u64 max, __u64 *ret);

#endif
