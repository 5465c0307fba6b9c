/* SPDX-License-Identifier: MIT */
/*
 * The container header: magic, the metadata map (avro.schema, avro.codec and the xrelay keys)
 * and the file's sync marker, built for a new file and parsed back for recovery and reading.
 * Writing it to a file is ocf_file.c's; the records' schema is include/xrelay/avro.h's.
 */
#ifndef XRELAY_OCF_HEADER_H
#define XRELAY_OCF_HEADER_H

#include <stddef.h>
#include <stdint.h>

#include "ocf_format.h"

/* Largest header ocf_header builds and ocf_header_parse takes. */
#define OCF_HEADER_MAX (1u << 20)

/* Fill @sync with random bytes (getrandom). Returns 0 or -errno. May block only early at boot. */
int ocf_header_sync_random(uint8_t sync[OCF_SYNC_SIZE]);

/* One extra metadata entry. Keys starting "avro." and the xrelay keys are refused. */
struct ocf_meta {
	const char *key;
	const void *val;
	size_t len;
};

struct ocf_header_opts {
	const char *schema;	      /* the file's schema as JSON; NULL: XRELAY_PACKET_SCHEMA */
	enum ocf_codec codec;	      /* avro.codec */
	const char *channel;	      /* xrelay.channel, a valid channel name */
	unsigned int queue;	      /* xrelay.queue */
	const char *host;	      /* xrelay.host; NULL: gethostname() */
	const char *writer;	      /* xrelay.writer; NULL: XRELAY_WRITER_VERSION */
	const struct ocf_meta *extra; /* more entries, @nextra of them (may be NULL) */
	size_t nextra;
	uint8_t sync[OCF_SYNC_SIZE]; /* the file's sync marker (see ocf_header_sync_random) */
};

/*
 * Build the container header: magic "Obj\x01", the metadata map (avro.schema, avro.codec,
 * xrelay.channel, xrelay.queue, xrelay.host, xrelay.writer, then the extra entries in their
 * order) and the sync marker. Returns its length, or -ENOSPC if @len is too small (see
 * ocf_header_size; nothing useful is left in @buf), -EINVAL (bad channel, codec, extra key, or
 * a duplicate key), -EMSGSIZE (longer than OCF_HEADER_MAX), or -errno of gethostname.
 */
int ocf_header(const struct ocf_header_opts *o, uint8_t *buf, size_t len);

/* The length ocf_header would return for @o, or the same negative errors. */
int ocf_header_size(const struct ocf_header_opts *o);

/*
 * Parse a container header at the start of @p (@len bytes): magic, a metadata map holding a
 * non-empty avro.schema (at most 4096 entries), the sync marker. Returns 0 with its length in
 * *@ret_len and its sync marker copied to @ret_sync, -ENODATA if @p ends inside it, -EBADMSG
 * if it is not one. Pure.
 */
int ocf_header_parse(const uint8_t *p, size_t len, size_t *ret_len, uint8_t *ret_sync);

/*
 * The value of the metadata entry @key of the header at @p (@len bytes, as ocf_header_parse
 * takes it): *@ret_val points into @p, *@ret_len is its length (not NUL-terminated). Returns 0,
 * -ENOENT (no such key), or ocf_header_parse's errors. Pure.
 */
int ocf_header_meta(const uint8_t *p, size_t len, const char *key, const uint8_t **ret_val,
		    size_t *ret_len);

#endif /* XRELAY_OCF_HEADER_H */
