/* SPDX-License-Identifier: MIT */
/*
 * The names of container files: <channel>-q<queue>-<YYYYmmddTHHMMSSZ>-<n>.avro[.part] (the
 * channel part checked by xrelay/name.h), and the rename to the final name that never replaces
 * a file. Shared by ocf_file.c (which creates and closes files) and ocf_recover.c (which
 * renames leftovers); it opens no file itself.
 */
#ifndef XRELAY_OCF_NAME_H
#define XRELAY_OCF_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xrelay/name.h"

/* Longest file name this module makes, with its terminating NUL. */
#define OCF_NAME_MAX 128
#define OCF_NAME_TRIES 10000ul /* <n> values tried before giving up with -EEXIST */
#define OCF_PART_SUFFIX ".avro.part"
#define OCF_FINAL_SUFFIX ".avro"
#define OCF_STAMP_LEN 16 /* YYYYmmddTHHMMSSZ */

/*
 * Write "<base>-<n><suffix>" into @buf of @len bytes. Returns 0 or -ENAMETOOLONG. Pure.
 */
int ocf_name_make(char *buf, size_t len, const char *base, unsigned long n, const char *suffix);

/*
 * Write the UTC second of @ns (since the epoch) as YYYYmmddTHHMMSSZ into @buf of @len
 * (> OCF_STAMP_LEN) bytes. Returns 0 or -EINVAL. Pure.
 */
int ocf_name_stamp(char *buf, size_t len, int64_t ns);

/*
 * Split "<channel>-q<queue>-<stamp>-<n>.avro.part" into its base (without "-<n>...", into
 * @base of @baselen bytes) and n (1..999999999). Returns 0, or -EINVAL if @name is not of that
 * form (a valid channel, a queue of 1-10 digits, a stamp of the form above). Pure.
 */
int ocf_name_parse_part(const char *name, char *base, size_t baselen, unsigned long *ret_n);

/* Whether @name exists in @dir_fd (symlinks not followed): 1, 0, or -errno. */
int ocf_name_exists(int dir_fd, const char *name);

/*
 * Rename @part (in @dir_fd) to <base>-<n>.avro, or to the first free <n + i> (i < OCF_NAME_TRIES)
 * if that name is taken: nothing is ever replaced (RENAME_NOREPLACE, else link + unlink where
 * the file system lacks it). The name taken goes to @out of @outlen bytes if not NULL. Returns
 * 0, -EEXIST (all taken), -ENAMETOOLONG or -errno. Blocks on the file system.
 */
int ocf_name_rename_final(int dir_fd, const char *part, const char *base, unsigned long n,
			  char *out, size_t outlen);

#endif /* XRELAY_OCF_NAME_H */
