// SPDX-License-Identifier: MIT
/*
 * The container header (dataplane/ocf_header.c): built in memory (magic, sync marker, size,
 * refusals of bad channels, codecs and keys) and in a file that python3-avro reads back with
 * every metadata key.
 */
#include <errno.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ocfcheck.h"
#include "xrelay/avro.h"

static void test_header(void **state)
{
	struct tdir *t = *state;
	static const uint8_t bin[] = { 0xff, 0x00 };
	const struct ocf_meta extra[] = {
		{ "xrelay.format", "envelope", 8 },
		{ "bin", bin, sizeof(bin) },
		{ "empty", NULL, 0 },
	};
	struct ocf_header_opts h = {
		.codec = OCF_CODEC_DEFLATE,
		.channel = "md-feed_A",
		.queue = 7,
		.host = "hostA",
		.extra = extra,
		.nextra = 3,
	};
	struct ocf_file_opts fo = {
		.channel = "md-feed_A",
		.queue = 7,
		.start_ns = START_NS,
		.codec = OCF_CODEC_DEFLATE,
		.host = "hostA",
		.extra = extra,
		.nextra = 3,
	};
	struct ocf_meta bad[2];
	uint8_t *buf, sync[OCF_SYNC_SIZE];
	char name[OCF_NAME_MAX], synchex[2 * OCF_SYNC_SIZE + 1], queue[4];
	const char *names[1] = { name };
	struct ocf_file *f;
	json_t *files, *head;
	int n, i;

	/* Built in memory: magic first, sync marker last, size as announced. */
	for (i = 0; i < OCF_SYNC_SIZE; i++)
		h.sync[i] = (uint8_t)(0xa0 + i);
	n = ocf_header_size(&h);
	assert_true(n > (int)strlen(XRELAY_PACKET_SCHEMA));
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(ocf_header(&h, buf, (size_t)n - 1), -ENOSPC);
	assert_int_equal(ocf_header(&h, buf, (size_t)n), n);
	assert_memory_equal(buf, "Obj\x01", 4);
	assert_memory_equal(buf + n - OCF_SYNC_SIZE, h.sync, OCF_SYNC_SIZE);
	assert_int_equal(buf[n - OCF_SYNC_SIZE - 1], 0); /* the map's closing zero count */
	free(buf);

	/* Refused: bad channel or codec, reserved or duplicate keys. */
	h.channel = "a/b";
	assert_int_equal(ocf_header_size(&h), -EINVAL);
	h.channel = "ok";
	h.codec = (enum ocf_codec)7;
	assert_int_equal(ocf_header_size(&h), -EINVAL);
	h.codec = OCF_CODEC_NULL;
	h.extra = bad;
	h.nextra = 1;
	bad[0] = (struct ocf_meta){ "avro.foo", "x", 1 };
	assert_int_equal(ocf_header_size(&h), -EINVAL);
	bad[0] = (struct ocf_meta){ XRELAY_META_CHANNEL, "x", 1 };
	assert_int_equal(ocf_header_size(&h), -EINVAL);
	bad[0] = (struct ocf_meta){ "k", "x", 1 };
	bad[1] = (struct ocf_meta){ "k", "y", 1 };
	h.nextra = 2;
	assert_int_equal(ocf_header_size(&h), -EINVAL);
	bad[1] = (struct ocf_meta){ "", "y", 1 };
	assert_int_equal(ocf_header_size(&h), -EINVAL);
	bad[1] = (struct ocf_meta){ "k2", NULL, 1 };
	assert_int_equal(ocf_header_size(&h), -EINVAL);

	/* A file holding only its header: python3-avro shows every key and zero records. */
	assert_int_equal(ocf_file_open(t->dfd, &fo, &f), 0);
	memcpy(sync, ocf_file_sync(f), OCF_SYNC_SIZE);
	assert_int_equal(ocf_file_close(f, 0, name, sizeof(name)), 0);
	assert_string_equal(name, "md-feed_A-q7-" STAMP "-1.avro");
	files = ocfcheck_py_read(t, names, 1);
	head = json_object_get(json_array_get(files, 0), "head");
	assert_int_equal(json_array_size(json_object_get(json_array_get(files, 0), "records")), 0);
	assert_string_equal(json_string_value(json_object_get(head, "codec")), "deflate");
	ocfcheck_hex_of(sync, OCF_SYNC_SIZE, synchex);
	assert_string_equal(json_string_value(json_object_get(head, "sync")), synchex);
	assert_string_equal(ocfcheck_py_meta(json_array_get(files, 0), "avro.schema"),
			    XRELAY_PACKET_SCHEMA);
	assert_string_equal(ocfcheck_py_meta(json_array_get(files, 0), "avro.codec"), "deflate");
	assert_string_equal(ocfcheck_py_meta(json_array_get(files, 0), XRELAY_META_CHANNEL),
			    "md-feed_A");
	snprintf(queue, sizeof(queue), "%d", 7);
	assert_string_equal(ocfcheck_py_meta(json_array_get(files, 0), XRELAY_META_QUEUE), queue);
	assert_string_equal(ocfcheck_py_meta(json_array_get(files, 0), XRELAY_META_HOST), "hostA");
	assert_string_equal(ocfcheck_py_meta(json_array_get(files, 0), XRELAY_META_WRITER),
			    XRELAY_WRITER_VERSION);
	assert_string_equal(ocfcheck_py_meta(json_array_get(files, 0), "xrelay.format"),
			    "envelope");
	assert_string_equal(ocfcheck_py_meta(json_array_get(files, 0), "bin"), "hex:ff00");
	assert_string_equal(ocfcheck_py_meta(json_array_get(files, 0), "empty"), "");
	assert_int_equal(json_object_size(json_object_get(head, "meta")), 9);
	json_decref(files);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_header, ocfcheck_tdir_setup,
						ocfcheck_tdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
