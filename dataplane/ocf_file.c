// SPDX-License-Identifier: MIT
/* The file life cycle; see ocf_file.h. No logging. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocf_file.h"

struct ocf_file {
	int fd;
	int dir_fd;
	unsigned long n;
	uint64_t size;
	uint64_t records;
	uint64_t header_len;
	char base[OCF_NAME_MAX]; /* <channel>-q<queue>-<stamp> */
	char name[OCF_NAME_MAX]; /* <base>-<n>.avro.part */
	uint8_t sync[OCF_SYNC_SIZE];
};

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

int ocf_file_open(int dir_fd, const struct ocf_file_opts *o, struct ocf_file **ret)
{
	struct ocf_header_opts h = {
		.schema = o->schema,
		.codec = o->codec,
		.channel = o->channel,
		.queue = o->queue,
		.host = o->host,
		.extra = o->extra,
		.nextra = o->nextra,
	};
	char stamp[OCF_STAMP_LEN + 1];
	struct ocf_file *f;
	uint8_t *hdr = NULL;
	int r, hlen, e;

	if (!name_valid(o->channel) || o->start_ns < 0 || !ocf_codec_name(o->codec) ||
	    (o->mode & ~07777u))
		return -EINVAL;
	r = ocf_name_stamp(stamp, sizeof(stamp), o->start_ns);
	if (r)
		return r;
	if (o->sync) {
		memcpy(h.sync, o->sync, OCF_SYNC_SIZE);
	} else {
		r = ocf_header_sync_random(h.sync);
		if (r)
			return r;
	}
	hlen = ocf_header_size(&h);
	if (hlen < 0)
		return hlen;
	f = calloc(1, sizeof(*f));
	hdr = malloc((size_t)hlen);
	if (!f || !hdr) {
		r = -ENOMEM;
		goto out_free;
	}
	r = ocf_header(&h, hdr, (size_t)hlen);
	if (r < 0)
		goto out_free;
	f->fd = -1;
	f->dir_fd = dir_fd;
	memcpy(f->sync, h.sync, OCF_SYNC_SIZE);
	snprintf(f->base, sizeof(f->base), "%s-q%u-%s", o->channel, o->queue, stamp);

	r = -EEXIST;
	for (f->n = o->n_min ? o->n_min : 1; f->n <= OCF_NAME_TRIES; f->n++) {
		char final[OCF_NAME_MAX];

		/* A closed file of this second must not be replaced at our rename either. */
		r = ocf_name_make(final, sizeof(final), f->base, f->n, OCF_FINAL_SUFFIX);
		if (r)
			goto out_free;
		e = ocf_name_exists(dir_fd, final);
		if (e < 0) {
			r = e;
			goto out_free;
		}
		if (e)
			continue;
		r = ocf_name_make(f->name, sizeof(f->name), f->base, f->n, OCF_PART_SUFFIX);
		if (r)
			goto out_free;
		f->fd = openat(dir_fd, f->name,
			       O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
			       o->mode ? o->mode : 0644);
		if (f->fd >= 0)
			break;
		r = -errno;
		if (r != -EEXIST)
			goto out_free;
	}
	if (f->fd < 0) {
		r = -EEXIST;
		goto out_free;
	}
	r = pwrite_all(f->fd, hdr, (size_t)hlen, 0);
	if (r)
		goto out_unlink;
	f->size = f->header_len = (uint64_t)hlen;
	free(hdr);
	*ret = f;
	return 0;

out_unlink:
	(void)unlinkat(dir_fd, f->name, 0);
	(void)close(f->fd);
out_free:
	free(hdr);
	free(f);
	return r;
}

int ocf_file_close(struct ocf_file *f, unsigned int flags, char *ret_name, size_t len)
{
	int r = 0;

	if (ret_name && len)
		ret_name[0] = '\0';
	if (!f)
		return 0;
	if (flags & OCF_F_DROP_EMPTY && !f->records) {
		(void)close(f->fd);
		r = unlinkat(f->dir_fd, f->name, 0) < 0 ? -errno : OCF_REMOVED;
		goto out_free;
	}
	if (flags & OCF_F_FSYNC && fsync(f->fd) < 0) {
		r = -errno;
		(void)close(f->fd);
		goto out_free;
	}
	if (close(f->fd) < 0) {
		r = -errno;
		goto out_free;
	}
	r = ocf_name_rename_final(f->dir_fd, f->name, f->base, f->n, ret_name, len);
	if (!r && flags & OCF_F_FSYNC && fsync(f->dir_fd) < 0)
		r = -errno;
out_free:
	free(f);
	return r;
}

int ocf_file_fd(const struct ocf_file *f)
{
	return f->fd;
}

unsigned long ocf_file_n(const struct ocf_file *f)
{
	return f->n;
}

const char *ocf_file_name(const struct ocf_file *f)
{
	return f->name;
}

const uint8_t *ocf_file_sync(const struct ocf_file *f)
{
	return f->sync;
}

uint64_t ocf_file_size(const struct ocf_file *f)
{
	return f->size;
}

uint64_t ocf_file_records(const struct ocf_file *f)
{
	return f->records;
}

uint64_t ocf_file_reserve(struct ocf_file *f, size_t size, unsigned int records)
{
	uint64_t off = f->size;

	f->size += size;
	f->records += records;
	return off;
}

int ocf_file_rewind(struct ocf_file *f, uint64_t offset, uint64_t records)
{
	if (offset < f->header_len || offset > f->size || records > f->records)
		return -EINVAL;
	if (ftruncate(f->fd, (off_t)offset) < 0)
		return -errno;
	f->size = offset;
	f->records = records;
	return 0;
}
