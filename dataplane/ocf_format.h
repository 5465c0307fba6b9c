/* SPDX-License-Identifier: MIT */
/*
 * What every part of the Avro container format shares: the magic, the sync marker's size and
 * the codecs. Constants only (and the codecs' names); the header, blocks, files and recovery
 * that use them have files of their own (see ocf.h).
 */
#ifndef XRELAY_OCF_FORMAT_H
#define XRELAY_OCF_FORMAT_H

#include <errno.h>
#include <stddef.h>
#include <string.h>

#define OCF_MAGIC "Obj\x01"
#define OCF_MAGIC_LEN 4
#define OCF_SYNC_SIZE 16

enum ocf_codec {
	OCF_CODEC_NULL = 0,
	OCF_CODEC_DEFLATE = 1, /* raw DEFLATE (RFC 1951), as the Avro spec says */
	OCF_CODEC_SNAPPY = 2,  /* snappy, then the big-endian CRC32 of the uncompressed data */
};

/* "null", "deflate" or "snappy" (the header's avro.codec); NULL for another value. */
static inline const char *ocf_codec_name(enum ocf_codec codec)
{
	switch (codec) {
	case OCF_CODEC_NULL:
		return "null";
	case OCF_CODEC_DEFLATE:
		return "deflate";
	case OCF_CODEC_SNAPPY:
		return "snappy";
	}
	return NULL;
}

/* The codec named @name ("null", "deflate", "snappy"): 0 and *@ret set, or -EINVAL. */
static inline int ocf_codec_parse(const char *name, enum ocf_codec *ret)
{
	enum ocf_codec c;

	for (c = OCF_CODEC_NULL; c <= OCF_CODEC_SNAPPY; c++)
		if (!strcmp(name, ocf_codec_name(c))) {
			*ret = c;
			return 0;
		}
	return -EINVAL;
}

#endif /* XRELAY_OCF_FORMAT_H */
