// SPDX-License-Identifier: MIT
/* Text to the maps' address form; the form itself is in xrelay/addr.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "xrelay/addr.h"

int addr_parse(const char *s, __u8 out[ADDR_LEN])
{
	struct in_addr a4;

	memset(out, 0, ADDR_LEN);
	if (!s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, &a4) == 1) {
		addr_set_v4(out, &a4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, out) == 1)
		return 0;
	memset(out, 0, ADDR_LEN);
	return -EINVAL;
}
