// SPDX-License-Identifier: MIT
/* Bearer-token authentication of the control API; see auth.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "auth.h"

int auth_load(const char *path, char **ret, char *err, size_t errlen)
{
	char line[4200], *s, *e;
	struct stat st;
	FILE *f;
	size_t i;

	f = fopen(path, "re");
	if (!f) {
		int r = -errno;

		snprintf(err, errlen, "token file %s: %s", path, strerror(errno));
		return r;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 0077))
		snprintf(err, errlen, "token file %s is readable by group or others (chmod 600)",
			 path);
	else if (errlen)
		err[0] = '\0';
	s = fgets(line, sizeof(line), f);
	fclose(f);
	if (!s) {
		snprintf(err, errlen, "token file %s is empty", path);
		return -EINVAL;
	}
	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	for (i = 0; s[i]; i++)
		if (!isgraph((unsigned char)s[i]))
			break;
	if (s[i] || i < 16 || i > 4096) {
		snprintf(err, errlen,
			 "token in %s must be 16 to 4096 printable characters without spaces",
			 path);
		return -EINVAL;
	}
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

bool auth_check(const char *token, const char *header)
{
	size_t tlen = strlen(token), plen, i;
	const volatile char *p;
	unsigned char diff;

	if (!header || strncasecmp(header, "Bearer ", 7))
		return false;
	p = header + 7;
	plen = strlen(header + 7);
	/* Compare every byte of the token whatever the presented one is. */
	diff = (unsigned char)(plen != tlen);
	for (i = 0; i < tlen; i++)
		diff |= (unsigned char)(token[i] ^ (i < plen ? p[i] : 0));
	return diff == 0;
}
