// SPDX-License-Identifier: MIT
/* Container file names and renames; see ocf_name.h. No logging. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ocf_name.h"

int ocf_name_make(char *buf, size_t len, const char *base, unsigned long n, const char *suffix)
{
	int r = snprintf(buf, len, "%s-%lu%s", base, n, suffix);

	return r < 0 || (size_t)r >= len ? -ENAMETOOLONG : 0;
}

int ocf_name_stamp(char *buf, size_t len, int64_t ns)
{
	time_t sec = (time_t)(ns / 1000000000);
	struct tm tm;

	if (!gmtime_r(&sec, &tm) || strftime(buf, len, "%Y%m%dT%H%M%SZ", &tm) != OCF_STAMP_LEN)
		return -EINVAL;
	return 0;
}

int ocf_name_parse_part(const char *name, char *base, size_t baselen, unsigned long *ret_n)
{
	size_t len = strnlen(name, OCF_NAME_MAX), slen = strlen(OCF_PART_SUFFIX), end, i, d;
	unsigned long n = 0;

	if (len >= OCF_NAME_MAX || len <= slen || strcmp(name + len - slen, OCF_PART_SUFFIX))
		return -EINVAL;
	end = len - slen;
	/* -<n> */
	for (d = 0; d < end && name[end - 1 - d] >= '0' && name[end - 1 - d] <= '9'; d++)
		;
	if (d < 1 || d > 9 || d >= end || name[end - 1 - d] != '-')
		return -EINVAL;
	for (i = end - d; i < end; i++)
		n = n * 10 + (unsigned long)(name[i] - '0');
	if (n < 1)
		return -EINVAL;
	end -= d + 1; /* base ends here */
	if (end >= baselen)
		return -EINVAL;
	memcpy(base, name, end);
	base[end] = '\0';
	/* -<stamp> */
	if (end < OCF_STAMP_LEN + 1 || base[end - OCF_STAMP_LEN - 1] != '-')
		return -EINVAL;
	for (i = 0; i < OCF_STAMP_LEN; i++) {
		char c = base[end - OCF_STAMP_LEN + i];
		bool ok = i == 8 ? c == 'T' : i == 15 ? c == 'Z' : c >= '0' && c <= '9';

		if (!ok)
			return -EINVAL;
	}
	end -= OCF_STAMP_LEN + 1;
	/* -q<queue> */
	for (d = 0; d < end && base[end - 1 - d] >= '0' && base[end - 1 - d] <= '9'; d++)
		;
	if (d < 1 || d > 10 || d + 2 > end || base[end - 1 - d] != 'q' || base[end - 2 - d] != '-')
		return -EINVAL;
	end -= d + 2;
	/* <channel> */
	if (!name_valid_n(base, end))
		return -EINVAL;
	*ret_n = n;
	return 0;
}

int ocf_name_exists(int dir_fd, const char *name)
{
	struct stat st;

	if (!fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW))
		return 1;
	return errno == ENOENT ? 0 : -errno;
}

/* rename(2) that never replaces: RENAME_NOREPLACE, else link + unlink where unsupported. */
static int rename_noreplace(int dir_fd, const char *from, const char *to)
{
	if (!renameat2(dir_fd, from, dir_fd, to, RENAME_NOREPLACE))
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
		return -errno;
	if (linkat(dir_fd, from, dir_fd, to, 0) < 0)
		return -errno;
	if (unlinkat(dir_fd, from, 0) < 0)
		return -errno;
	return 0;
}

int ocf_name_rename_final(int dir_fd, const char *part, const char *base, unsigned long n,
			  char *out, size_t outlen)
{
	char final[OCF_NAME_MAX];
	unsigned long i;
	int r;

	for (i = 0; i < OCF_NAME_TRIES; i++) {
		r = ocf_name_make(final, sizeof(final), base, n + i, OCF_FINAL_SUFFIX);
		if (r)
			return r;
		r = rename_noreplace(dir_fd, part, final);
		if (r == -EEXIST)
			continue;
		if (r)
			return r;
		if (out)
			snprintf(out, outlen, "%s", final);
		return 0;
	}
	return -EEXIST;
}
