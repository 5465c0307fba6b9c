// SPDX-License-Identifier: MIT
/* Command-line helpers the programs share; see xrelay/cli.h. */
#include <errno.h>
#include <stdlib.h>

#include "xrelay/cli.h"
#include "xrelay/log.h"

int cli_parse_u64(const char *flag, const char *s, __u64 min, __u64 max, __u64 *ret)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		pr_warn("%s takes a whole number from %llu to %llu, got '%s'", flag,
			(unsigned long long)min, (unsigned long long)max, s);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}
