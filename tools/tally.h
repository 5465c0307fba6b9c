/* SPDX-License-Identifier: MIT */
/*
 * What xrelay-read --gaps and --stats report per shard: records, payload bytes (a datum's
 * bytes for datum files, which have no time), time span and rate; each sequence gap (the seq range missing, the times around it) and the totals; and,
 * from a /stats snapshot, the channel's drop counters by cause beside them. Program-side code
 * (tools/): it prints to the stream it is given.
 */
#ifndef XRELAY_TOOLS_TALLY_H
#define XRELAY_TOOLS_TALLY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "recset.h"

struct tally;

/* A tally for @nshards shards; gap lines go to @gaps_out as they are found (NULL: none). */
int tally_new(unsigned int nshards, FILE *gaps_out, struct tally **ret);
void tally_free(struct tally *t);

/* Count one record (records of a shard arrive in its order). */
void tally_add(struct tally *t, const struct recset_rec *rec);

/* Gaps found so far, and the seq numbers they miss. */
uint64_t tally_gaps(const struct tally *t);

/*
 * Print the per-shard and total lines of --gaps (@gaps) or --stats to @f. @snapshot, if not
 * NULL, is the JSON of GET /stats or GET /channels/NAME/stats: the drop causes of each shard's
 * channel are printed beside its gaps. Returns 0, or -EINVAL with a message on stderr when the
 * snapshot does not parse.
 */
int tally_print(const struct tally *t, const struct recset *rs, bool gaps, const char *snapshot,
		FILE *f);

#endif /* XRELAY_TOOLS_TALLY_H */
