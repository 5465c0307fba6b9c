/* SPDX-License-Identifier: MIT */
/*
 * What every part of the Avro container format shares: the magic, the sync marker's size and
 * the codecs. Constants only (and the codecs' names); the header, blocks, files and recovery
 * that use them have files of their own (see ocf.h).
 */
#ifndef XRELAY_OCF_FORMAT_H
#define XRELAY_OCF_FORMAT_H

#include <stddef.h>

#define OCF_MAGIC "Obj\x01"
#define OCF_MAGIC_LEN 4
#define OCF_SYNC_SIZE 16

enum ocf_codec {
	OCF_CODEC_NULL = 0,
	OCF_CODEC_DEFLATE = 1, /* raw DEFLATE (RFC 1951), as the Avro spec says */
};

/* "null" or "deflate" (the header's avro.codec); NULL for another value. */
static inline const char *ocf_codec_name(enum ocf_codec codec)
{
	switch (codec) {
	case OCF_CODEC_NULL:
		return "null";
	case OCF_CODEC_DEFLATE:
		return "deflate";
	}
	return NULL;
}

#endif /* XRELAY_OCF_FORMAT_H */
