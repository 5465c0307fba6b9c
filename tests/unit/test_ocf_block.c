// SPDX-License-Identifier: MIT
/*
 * Blocks (dataplane/ocf_block.c): the limits (records, bytes, the longest record, a block
 * never empty), the copied and deflated layouts byte for byte (deflate inflated back with
 * zlib), block prefixes, and ocf_iov_advance after a short write.
 */
#include <errno.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <cmocka.h>
#include <zlib.h>

#include "ocfcheck.h"

static void test_block_limits(void **state)
{
	struct ocf_block_opts o = { .max_records = 3, .max_bytes = 100, .max_record = 200 };
	uint8_t rec[300], sync[OCF_SYNC_SIZE];
	struct iovec *iov, parts[16];
	struct ocf_block *b;
	int i;

	(void)state;
	memset(rec, 0x11, sizeof(rec));
	memset(sync, 0x5a, sizeof(sync));
	assert_int_equal(ocf_block_new(&o, &b), 0);
	assert_int_equal(ocf_block_finish(b, sync, &iov), -ENODATA);
	assert_int_equal(ocf_block_add(b, rec, 201), -EMSGSIZE);
	assert_int_equal(ocf_block_addv(b, parts, 0), -EINVAL);
	/* By count. */
	for (i = 0; i < 3; i++)
		assert_int_equal(ocf_block_add(b, rec, 10), 0);
	assert_true(ocf_block_full(b));
	assert_int_equal(ocf_block_add(b, rec, 1), -ENOSPC);
	assert_int_equal(ocf_block_count(b), 3);
	assert_int_equal(ocf_block_bytes(b), 30);
	assert_int_equal(ocf_block_finish(b, sync, &iov), 1);
	assert_int_equal(ocf_block_add(b, rec, 1), -EBUSY);
	assert_int_equal(ocf_block_finish(b, sync, &iov), -EALREADY);
	ocf_block_reset(b);
	assert_int_equal(ocf_block_count(b), 0);
	assert_int_equal(ocf_block_size(b), 0);
	/* By bytes: 60 + 50 > 100 refused, 60 + 40 taken. */
	assert_int_equal(ocf_block_add(b, rec, 60), 0);
	assert_int_equal(ocf_block_add(b, rec, 50), -ENOSPC);
	assert_false(ocf_block_full(b));
	assert_int_equal(ocf_block_add(b, rec, 40), 0);
	assert_true(ocf_block_full(b));
	ocf_block_reset(b);
	/* A record longer than max_bytes is taken alone, never refused by every block. */
	assert_int_equal(ocf_block_add(b, rec, 150), 0);
	assert_true(ocf_block_full(b));
	assert_int_equal(ocf_block_add(b, rec, 1), -ENOSPC);
	assert_int_equal(ocf_block_add(b, rec, 0), -ENOSPC);
	ocf_block_reset(b);
	/* Empty records are records. */
	assert_int_equal(ocf_block_add(b, rec, 0), 0);
	assert_int_equal(ocf_block_count(b), 1);
	assert_int_equal(ocf_block_finish(b, sync, &iov), 1);
	assert_int_equal(ocf_block_size(b), 2 + OCF_SYNC_SIZE);
	ocf_block_free(b);

	/* Options refused. */
	o = (struct ocf_block_opts){ .max_records = OCF_BLOCK_RECORDS_MAX + 1 };
	assert_int_equal(ocf_block_new(&o, &b), -EINVAL);
	o = (struct ocf_block_opts){ .codec = (enum ocf_codec)5 };
	assert_int_equal(ocf_block_new(&o, &b), -EINVAL);
	o = (struct ocf_block_opts){ .deflate_level = 10, .codec = OCF_CODEC_DEFLATE };
	assert_int_equal(ocf_block_new(&o, &b), -EINVAL);
	ocf_block_free(NULL);
}

/* Decode a block prefix from @p; returns its length. */
static int prefix_get(const uint8_t *p, size_t len, int64_t *count, int64_t *size)
{
	int n1 = ocf_varint_get_long(p, len, count), n2;

	assert_true(n1 > 0);
	n2 = ocf_varint_get_long(p + n1, len - (size_t)n1, size);
	assert_true(n2 > 0);
	return n1 + n2;
}

static void test_block_layouts(void **state)
{
	struct ocf_block_opts o = { .max_records = 16 };
	uint8_t recs[3][500], sync[OCF_SYNC_SIZE], *flat, out[2000], pre[OCF_BLOCK_PREFIX_MAX];
	size_t lens[3] = { 500, 0, 77 }, total = 577, off;
	struct iovec *iov;
	struct ocf_block *b;
	int64_t count, size;
	int i, n, plen;
	z_stream z;

	(void)state;
	ocfcheck_rng_state = 3;
	for (i = 0; i < 3; i++)
		for (n = 0; n < 500; n++)
			recs[i][n] = (uint8_t)(ocfcheck_rnd() % 4); /* compressible */
	for (i = 0; i < OCF_SYNC_SIZE; i++)
		sync[i] = (uint8_t)i;
	flat = malloc(total);
	assert_non_null(flat);
	memcpy(flat, recs[0], 500);
	memcpy(flat + 500, recs[2], 77);

	/* Prefixes: [count][size] as two longs. */
	assert_int_equal(ocf_block_prefix(out, 1, 3, 577), -ENOSPC);
	assert_int_equal(ocf_block_prefix(out, sizeof(out), 0, 5), -EINVAL);
	assert_int_equal(ocf_block_prefix(out, sizeof(out), 1, -1), -EINVAL);
	n = ocf_block_prefix(pre, sizeof(pre), 3, 577);
	plen = prefix_get(pre, (size_t)n, &count, &size);
	assert_int_equal(plen, n);
	assert_int_equal(count, 3);
	assert_int_equal(size, 577);
	/* Advancing after a short write, over [prefix, record, record, sync]. */
	{
		struct iovec arr[4] = { { pre, (size_t)plen },
					{ recs[0], 500 },
					{ recs[2], 77 },
					{ sync, OCF_SYNC_SIZE } };
		struct iovec *it = arr;
		int cnt = 4;

		ocf_iov_advance(&it, &cnt, (size_t)plen + 10);
		assert_int_equal(cnt, 3);
		assert_ptr_equal(it->iov_base, recs[0] + 10);
		assert_int_equal(it->iov_len, 490);
		ocf_iov_advance(&it, &cnt, 490 + 77);
		assert_int_equal(cnt, 1);
		assert_int_equal(it->iov_len, OCF_SYNC_SIZE);
		ocf_iov_advance(&it, &cnt, OCF_SYNC_SIZE);
		assert_int_equal(cnt, 0);
	}

	/* Copy: one iovec, the records copied (the caller may reuse them at once). */
	assert_int_equal(ocf_block_new(&o, &b), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(ocf_block_add(b, recs[i], lens[i]), 0);
	recs[0][0] ^= 0xff;
	assert_int_equal(ocf_block_finish(b, sync, &iov), 1);
	recs[0][0] ^= 0xff;
	plen = prefix_get(iov[0].iov_base, iov[0].iov_len, &count, &size);
	assert_int_equal(count, 3);
	assert_int_equal(size, 577);
	assert_int_equal(iov[0].iov_len, (size_t)plen + 577 + OCF_SYNC_SIZE);
	assert_memory_equal((uint8_t *)iov[0].iov_base + plen, flat, 577);
	assert_memory_equal((uint8_t *)iov[0].iov_base + plen + 577, sync, OCF_SYNC_SIZE);
	ocf_block_free(b);

	/* Deflate: [count][compressed size][raw DEFLATE of the records][sync], one iovec. */
	o.codec = OCF_CODEC_DEFLATE;
	assert_int_equal(ocf_block_new(&o, &b), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(ocf_block_add(b, recs[i], lens[i]), 0);
	memset(recs, 0, sizeof(recs)); /* compressed at add: the source may be reused */
	assert_int_equal(ocf_block_finish(b, sync, &iov), 1);
	plen = prefix_get(iov[0].iov_base, iov[0].iov_len, &count, &size);
	assert_int_equal(count, 3);
	assert_true(size > 0 && size < 577);
	off = (size_t)plen + (size_t)size;
	assert_int_equal(iov[0].iov_len, off + OCF_SYNC_SIZE);
	assert_memory_equal((uint8_t *)iov[0].iov_base + off, sync, OCF_SYNC_SIZE);
	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, -15), Z_OK);
	z.next_in = (uint8_t *)iov[0].iov_base + plen;
	z.avail_in = (uInt)size;
	z.next_out = out;
	z.avail_out = sizeof(out);
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.total_out, 577);
	assert_int_equal(z.avail_in, 0);
	assert_memory_equal(out, flat, 577);
	inflateEnd(&z);
	/* Reused after reset: the second block is a fresh stream. */
	ocf_block_reset(b);
	assert_int_equal(ocf_block_add(b, flat, 577), 0);
	assert_int_equal(ocf_block_finish(b, sync, &iov), 1);
	plen = prefix_get(iov[0].iov_base, iov[0].iov_len, &count, &size);
	assert_int_equal(count, 1);
	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, -15), Z_OK);
	z.next_in = (uint8_t *)iov[0].iov_base + plen;
	z.avail_in = (uInt)size;
	z.next_out = out;
	z.avail_out = sizeof(out);
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.total_out, 577);
	assert_memory_equal(out, flat, 577);
	inflateEnd(&z);
	ocf_block_free(b);
	free(flat);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_limits),
		cmocka_unit_test(test_block_layouts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
