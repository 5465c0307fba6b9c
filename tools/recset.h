/* SPDX-License-Identifier: MIT */
/*
 * A recording as the tools read it: files and channel folders grouped into shards (one per
 * channel and rx queue, by file name: <channel>-q<queue>-...; a file of another name is a
 * shard of its own), each shard's files in order, read through dataplane/ocf_reader.h, and
 * the shards' records merged by ts_ns within an optional time window. Damage is reported
 * through a callback and reading goes on with the next file. Program-side code (tools/).
 */
#ifndef XRELAY_TOOLS_RECSET_H
#define XRELAY_TOOLS_RECSET_H

#include <stdbool.h>
#include <stdint.h>

#include "../dataplane/ocf_envelope.h"
#include "xrelay/datum.h"

struct recset;

/* A shard: what the tools print per shard (gaps, stats). */
struct recset_shard {
	unsigned int index; /* 0.. in name order */
	char name[160];	    /* "<channel>-q<queue>", or the file's name */
	char channel[64];   /* xrelay.channel of its files ("" if none) */
	int queue;	    /* xrelay.queue, -1 if none */
	const char *file;   /* the file being read */
};

struct recset_rec {
	const struct recset_shard *shard;
	struct ocf_envelope e;	/* envelope records (e zeroed for datums) */
	const uint8_t *payload; /* e.payload_len bytes, valid until the next recset_next */
	/* Datum records: the file's compiled schema (else NULL) and the datum's bytes. */
	const struct datum_prog *datum;
	const uint8_t *data;
	size_t len;
};

struct recset_opts {
	int64_t from_ns; /* records with ts_ns in [from_ns, to_ns] only */
	int64_t to_ns;
	bool merge; /* merge the shards by ts_ns (else shard after shard) */
	/*
	 * Envelope records only, for what needs seq, times or addresses: "pcap needs" (say);
	 * a datum file is then reported (naming this) and passed over. NULL: datums welcome
	 * (but a time window, which needs ts_ns, passes them over all the same).
	 */
	const char *needs;
	/* Called for damage found in @file at byte @off (the message says what); may be NULL. */
	void (*damage)(void *ctx, const char *file, uint64_t off, const char *msg);
	void *ctx;
};

/*
 * A damage callback for the programs: "PROG: FILE: byte OFF: MSG" on stderr, with @ctx the
 * program's name (a const char *); without "byte OFF" when @off is UINT64_MAX.
 */
void recset_damage_print(void *ctx, const char *file, uint64_t off, const char *msg);

/*
 * Collect the files given (@paths: files, or folders whose *.avro and *.avro.part files are
 * taken) into shards. Returns 0, -ENOENT (nothing to read; a message went to @opts->damage
 * for each path that could not be listed), -ENOMEM. The reading starts at recset_next.
 */
int recset_open(char *const *paths, int npaths, const struct recset_opts *opts,
		struct recset **ret);

/*
 * The next record in the window (merged by ts_ns across shards, or shard by shard). Returns 0,
 * 1 when there is none left, -ENOMEM. A file's damage goes to the callback once, and its shard
 * goes on with its next file.
 */
int recset_next(struct recset *rs, struct recset_rec *ret);

/* Shards, files, damaged files, bytes of the files read (per the reader) so far. */
unsigned int recset_shards(const struct recset *rs);
const struct recset_shard *recset_shard(const struct recset *rs, unsigned int i);
uint64_t recset_files(const struct recset *rs);
uint64_t recset_damaged(const struct recset *rs);
uint64_t recset_bytes_read(const struct recset *rs);
uint64_t recset_bytes_total(const struct recset *rs);

/* Start over from the first record (for xrelay-replay --loop). Returns 0 or -ENOMEM. */
int recset_rewind(struct recset *rs);

/* Free. Accepts NULL. */
void recset_close(struct recset *rs);

#endif /* XRELAY_TOOLS_RECSET_H */
