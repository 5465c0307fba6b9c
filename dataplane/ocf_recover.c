// SPDX-License-Identifier: MIT
/* Crash recovery of .avro.part files; see ocf_recover.h. No logging. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocf_header.h"
#include "ocf_reader.h"
#include "ocf_recover.h"

static bool all_zero(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* Walk the whole blocks from @off; returns the end of the last one (or @off) and counts. */
static int blocks_walk(int fd, uint64_t off, uint64_t fsize, const uint8_t *sync, uint64_t *ret_end,
		       uint64_t *ret_blocks, uint64_t *ret_records)
{
	struct ocf_reader_block b;
	int r;

	*ret_blocks = *ret_records = 0;
	for (;;) {
		r = ocf_reader_block_at(fd, off, fsize, sync, NULL, &b);
		if (r == -ENODATA || r == -EBADMSG || r == -EILSEQ || r == OCF_READER_END)
			break;
		if (r < 0)
			return r;
		(*ret_blocks)++;
		*ret_records += (uint64_t)b.count;
		off = b.end;
	}
	*ret_end = off;
	return 0;
}

int ocf_recover(int dir_fd, const char *name, unsigned int flags, struct ocf_recover_info *ret)
{
	struct ocf_recover_info info = { 0 };
	uint8_t sync[OCF_SYNC_SIZE], *hbuf = NULL;
	char base[OCF_NAME_MAX];
	unsigned long n;
	size_t hlen = 0, want;
	uint64_t end;
	struct stat st;
	int fd, r, got;

	if (ret)
		*ret = info;
	if (!name || ocf_name_parse_part(name, base, sizeof(base), &n))
		return -EINVAL;
	fd = openat(dir_fd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto out_close;
	}
	want = (uint64_t)st.st_size < OCF_HEADER_MAX ? (size_t)st.st_size : OCF_HEADER_MAX;
	hbuf = malloc(want ? want : 1);
	if (!hbuf) {
		r = -ENOMEM;
		goto out_close;
	}
	got = ocf_reader_pread(fd, hbuf, want, 0);
	if (got < 0) {
		r = got;
		goto out_close;
	}
	r = ocf_header_parse(hbuf, (size_t)got, &hlen, sync);
	if (r == -ENODATA && (uint64_t)got == (uint64_t)st.st_size)
		goto out_remove; /* ends inside its header: no block can be whole */
	if (r) {
		/* A crash can leave zero-filled pages; such a file holds nothing. */
		if ((uint64_t)got == (uint64_t)st.st_size && all_zero(hbuf, (size_t)got))
			goto out_remove;
		r = -EBADMSG;
		goto out_close;
	}
	r = blocks_walk(fd, hlen, (uint64_t)st.st_size, sync, &end, &info.blocks, &info.records);
	if (r)
		goto out_close;
	if (!info.blocks && flags & OCF_F_DROP_EMPTY)
		goto out_remove;
	info.size = end;
	info.cut = (uint64_t)st.st_size - end;
	if (info.cut && ftruncate(fd, (off_t)end) < 0) {
		r = -errno;
		goto out_close;
	}
	if (flags & OCF_F_FSYNC && fsync(fd) < 0) {
		r = -errno;
		goto out_close;
	}
	r = ocf_name_rename_final(dir_fd, name, base, n, info.name, sizeof(info.name));
	if (!r && flags & OCF_F_FSYNC && fsync(dir_fd) < 0)
		r = -errno;
	goto out_close;

out_remove:
	info = (struct ocf_recover_info){ 0 };
	r = unlinkat(dir_fd, name, 0) < 0 ? -errno : OCF_REMOVED;
out_close:
	free(hbuf);
	(void)close(fd);
	if (ret && r >= 0)
		*ret = info;
	return r;
}
