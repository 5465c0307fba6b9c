// SPDX-License-Identifier: MIT
/* RFC 3339 and epoch-ns times; see timearg.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timearg.h"

#define NS 1000000000ll

static int digits(const char **s, int n, int *ret)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*s)[i]))
			return -EINVAL;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	*ret = v;
	return 0;
}

static int expect(const char **s, const char *set)
{
	if (!**s || !strchr(set, **s))
		return -EINVAL;
	(*s)++;
	return 0;
}

int timearg_parse(const char *s, int64_t *ret_ns)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0, i;
	int64_t frac = 0, scale = 100000000, secs;
	struct tm tm = { 0 };
	char *end;

	if (!s || !*s)
		return -EINVAL;
	if (strspn(s, "0123456789") == strlen(s)) {
		unsigned long long v;

		errno = 0;
		v = strtoull(s, &end, 10);
		if (errno || *end || v > (unsigned long long)INT64_MAX)
			return -EINVAL;
		*ret_ns = (int64_t)v;
		return 0;
	}
	if (digits(&s, 4, &y) || expect(&s, "-") || digits(&s, 2, &mo) || expect(&s, "-") ||
	    digits(&s, 2, &d) || expect(&s, "Tt ") || digits(&s, 2, &h) || expect(&s, ":") ||
	    digits(&s, 2, &mi) || expect(&s, ":") || digits(&s, 2, &sec))
		return -EINVAL;
	if (*s == '.') {
		s++;
		for (i = 0; isdigit((unsigned char)*s); i++, s++) {
			if (i < 9)
				frac += (*s - '0') * scale;
			scale /= 10;
		}
		if (!i)
			return -EINVAL;
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s == '-' ? -1 : 1;
		s++;
		if (digits(&s, 2, &oh) || expect(&s, ":") || digits(&s, 2, &om))
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (*s || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 ||
	    oh > 23 || om > 59 || y < 1970)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	secs = (int64_t)timegm(&tm) - sign * (oh * 3600 + om * 60);
	if (secs < 0 || secs > INT64_MAX / NS - 1)
		return -EINVAL;
	*ret_ns = secs * NS + frac;
	return 0;
}

char *timearg_format(int64_t ns, char *buf, size_t len)
{
	time_t secs = (time_t)(ns / NS);
	int64_t frac = ns % NS;
	struct tm tm;
	char day[24];

	if (frac < 0) {
		frac += NS;
		secs--;
	}
	gmtime_r(&secs, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09lldZ", day, (long long)frac);
	return buf;
}
