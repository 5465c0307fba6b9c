/* SPDX-License-Identifier: MIT */
/*
 * A synchronous block write for the container-format tests, bench_ocf and the baseline relay:
 * the dataplane writes its blocks through io_uring (dataplane/writer.c) and has no use for it.
 * Built only on the public calls of dataplane/ocf.h.
 */
#ifndef XRELAY_TESTOCF_H
#define XRELAY_TESTOCF_H

struct ocf_block;
struct ocf_file;

/*
 * Finish @b with @f's sync marker, write it at the end of @f (pwritev, short writes continued)
 * and reset @b. Returns 0; -ENODATA (empty block), -EALREADY (@b already finished: only a
 * block in the making is taken), or -errno of the write: then the file is cut back to where
 * the block began and @b stays finished (reset it to drop the records). Not to be mixed with
 * ocf_file_reserve writes in flight. Blocks on the file system.
 */
int testocf_write_block(struct ocf_file *f, struct ocf_block *b);

#endif /* XRELAY_TESTOCF_H */
