/* SPDX-License-Identifier: MIT */
/*
 * Crash recovery: a .avro.part left by a writer that died is cut back to its last whole block
 * and renamed to .avro (or removed when nothing in it is worth keeping). Finding the leftovers
 * in a directory is the caller's (dataplane/main.c).
 */
#ifndef XRELAY_OCF_RECOVER_H
#define XRELAY_OCF_RECOVER_H

#include <stdint.h>

#include "ocf_file.h"
#include "ocf_name.h"

struct ocf_recover_info {
	uint64_t blocks;	 /* whole blocks kept */
	uint64_t records;	 /* records in them */
	uint64_t size;		 /* the file's size now */
	uint64_t cut;		 /* bytes cut from its end */
	char name[OCF_NAME_MAX]; /* the .avro name it has now; "" if removed */
};

/*
 * Recover "<channel>-q<queue>-<stamp>-<n>.avro.part" (@name, in @dir_fd) left by a writer that
 * died: parse the header, walk the blocks (count >= 1, size, sync marker equal to the
 * header's), cut the file at the end of the last whole block, and rename it to .avro without
 * overwriting (the next free <n> if taken). A file ending inside its header (or all zeros)
 * holds no block and is removed: OCF_REMOVED; so is one with no block under OCF_F_DROP_EMPTY.
 * With OCF_F_FSYNC the file and directory are synced. Only @name and its new name in @dir_fd
 * are touched (no symlinks followed). Details go to *@ret if not NULL.
 * Returns 0 (renamed), OCF_REMOVED, -EINVAL (@name not of that form, or not a regular file),
 * -EBADMSG (a header that is not an Avro header: the file is left as it is), or another -errno.
 * The file must not be open for writing by anyone. Blocks on the file system.
 */
int ocf_recover(int dir_fd, const char *name, unsigned int flags, struct ocf_recover_info *ret);

#endif /* XRELAY_OCF_RECOVER_H */
