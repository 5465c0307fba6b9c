// SPDX-License-Identifier: MIT
/* A synchronous block write for tests and benchmarks; see testocf.h. */
#include <errno.h>
#include <sys/uio.h>

#include "../../dataplane/ocf.h"
#include "testocf.h"

int testocf_write_block(struct ocf_file *f, struct ocf_block *b)
{
	uint64_t records = ocf_file_records(f), off, at;
	struct iovec *iov;
	ssize_t n;
	int cnt, r;

	cnt = ocf_block_finish(b, ocf_file_sync(f), &iov);
	if (cnt < 0)
		return cnt;
	off = ocf_file_reserve(f, ocf_block_size(b), ocf_block_count(b));
	for (at = off; cnt > 0;) {
		n = pwritev(ocf_file_fd(f), iov, cnt, (off_t)at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			goto out_cut;
		}
		at += (uint64_t)n;
		ocf_iov_advance(&iov, &cnt, (size_t)n);
	}
	ocf_block_reset(b);
	return 0;

out_cut:
	(void)ocf_file_rewind(f, off, records);
	return r;
}
