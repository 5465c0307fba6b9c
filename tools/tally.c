// SPDX-License-Identifier: MIT
/* Per-shard counts, sequence gaps and drop causes; see tally.h. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "tally.h"
#include "timearg.h"

struct shard_tally {
	uint64_t records, bytes, gaps, missing, restarts;
	uint64_t datums; /* records of datum files: no seq, no time */
	int64_t first_ts, last_ts, first_seq, last_seq;
	bool seen;
};

struct tally {
	unsigned int n;
	FILE *out;
	uint64_t gaps;
	struct shard_tally s[];
};

int tally_new(unsigned int nshards, FILE *gaps_out, struct tally **ret)
{
	struct tally *t = calloc(1, sizeof(*t) + nshards * sizeof(t->s[0]));

	if (!t)
		return -ENOMEM;
	t->n = nshards;
	t->out = gaps_out;
	*ret = t;
	return 0;
}

void tally_free(struct tally *t)
{
	free(t);
}

void tally_add(struct tally *t, const struct recset_rec *rec)
{
	struct shard_tally *s = &t->s[rec->shard->index];
	int64_t seq = rec->e.seq;
	char a[40], b[40];

	if (rec->datum) {
		s->records++;
		s->datums++;
		s->bytes += rec->len;
		return;
	}
	if (s->seen && seq != s->last_seq + 1) {
		if (seq <= s->last_seq) {
			s->restarts++;
			if (t->out)
				fprintf(t->out,
					"%s: seq restarts at %" PRId64 " after %" PRId64
					" at %s (the channel was created again)\n",
					rec->shard->name, seq, s->last_seq,
					timearg_format(rec->e.ts_ns, a, sizeof(a)));
		} else {
			s->gaps++;
			t->gaps++;
			s->missing += (uint64_t)(seq - s->last_seq - 1);
			if (t->out)
				fprintf(t->out,
					"%s: gap: seq %" PRId64 "..%" PRId64 ", %" PRId64
					" missing, between %s and %s\n",
					rec->shard->name, s->last_seq + 1, seq - 1,
					seq - s->last_seq - 1,
					timearg_format(s->last_ts, a, sizeof(a)),
					timearg_format(rec->e.ts_ns, b, sizeof(b)));
		}
	}
	if (!s->seen) {
		s->first_ts = rec->e.ts_ns;
		s->first_seq = seq;
	}
	s->seen = true;
	s->last_seq = seq;
	s->last_ts = rec->e.ts_ns;
	s->records++;
	s->bytes += rec->e.payload_len;
}

uint64_t tally_gaps(const struct tally *t)
{
	return t->gaps;
}

/* "ring_full 3, write_failed 1" of the channel's drops in @snap, or "none". */
static void drops_text(json_t *snap, const char *channel, char *buf, size_t len)
{
	json_t *ch = json_object_get(json_object_get(snap, "channels"), channel);
	json_t *drops = json_object_get(ch ? ch : snap, "drops"), *v;
	const char *k;
	size_t o = 0;

	buf[0] = '\0';
	if (!json_is_object(drops)) {
		snprintf(buf, len, "not in the snapshot");
		return;
	}
	json_object_foreach(drops, k, v)
	{
		if (json_integer_value(v) && o < len)
			o += (size_t)snprintf(buf + o, len - o, "%s%s %" JSON_INTEGER_FORMAT,
					      o ? ", " : "", k, json_integer_value(v));
	}
	if (!o)
		snprintf(buf, len, "none");
}

int tally_print(const struct tally *t, const struct recset *rs, bool gaps, const char *snapshot,
		FILE *f)
{
	uint64_t records = 0, bytes = 0, missing = 0, timed = 0;
	int64_t t0 = INT64_MAX, t1 = INT64_MIN;
	char a[40], b[40], drops[512];
	json_t *snap = NULL;
	json_error_t jerr;
	unsigned int i;

	if (snapshot) {
		snap = json_load_file(snapshot, 0, &jerr);
		if (!snap) {
			fprintf(stderr, "xrelay-read: %s: not a /stats snapshot: %s (line %d)\n",
				snapshot, jerr.text, jerr.line);
			return -EINVAL;
		}
	}
	for (i = 0; i < t->n; i++) {
		const struct shard_tally *s = &t->s[i];
		const struct recset_shard *sh = recset_shard(rs, i);
		double span = s->seen ? (double)(s->last_ts - s->first_ts) / 1e9 : 0;

		records += s->records;
		timed += s->records - s->datums;
		bytes += s->bytes;
		missing += s->missing;
		if (s->seen && s->first_ts < t0)
			t0 = s->first_ts;
		if (s->seen && s->last_ts > t1)
			t1 = s->last_ts;
		if (s->datums == s->records && s->datums) {
			fprintf(f,
				"%s: %" PRIu64 " records, %" PRIu64 " bytes (datums: no times)\n",
				sh->name, s->records, s->bytes);
			continue;
		}
		if (!s->seen) {
			fprintf(f, "%s: no records%s\n", sh->name, gaps ? "" : " in the window");
			continue;
		}
		if (gaps) {
			fprintf(f,
				"%s: %" PRIu64 " gap(s), %" PRIu64 " missing; %" PRIu64
				" records, seq %" PRId64 "..%" PRId64 "%s",
				sh->name, s->gaps, s->missing, s->records, s->first_seq,
				s->last_seq, s->restarts ? " (with restarts)" : "");
			if (snap) {
				drops_text(snap, sh->channel, drops, sizeof(drops));
				fprintf(f, "; drops counted for channel %s: %s", sh->channel,
					drops);
			}
			fputc('\n', f);
			continue;
		}
		fprintf(f,
			"%s: %" PRIu64 " records, %" PRIu64
			" bytes, %s to %s (%.3f s), %.1f records/s\n",
			sh->name, s->records, s->bytes, timearg_format(s->first_ts, a, sizeof(a)),
			timearg_format(s->last_ts, b, sizeof(b)), span,
			span > 0 ? (double)(s->records - 1) / span : 0.0);
	}
	if (gaps) {
		fprintf(f,
			"total: %" PRIu64 " gap(s), %" PRIu64 " missing, %" PRIu64
			" records in %u shard(s)\n",
			t->gaps, missing, records, t->n);
	} else if (timed) {
		double span = (double)(t1 - t0) / 1e9;

		fprintf(f,
			"total: %" PRIu64 " records, %" PRIu64
			" bytes, %s to %s (%.3f s), %.1f records/s, %u shard(s)\n",
			records, bytes, timearg_format(t0, a, sizeof(a)),
			timearg_format(t1, b, sizeof(b)), span,
			span > 0 ? (double)(timed - 1) / span : 0.0, t->n);
	} else if (records) {
		fprintf(f,
			"total: %" PRIu64 " records, %" PRIu64
			" bytes (datums: no times), %u shard(s)\n",
			records, bytes, t->n);
	} else {
		fprintf(f, "total: 0 records in %u shard(s)\n", t->n);
	}
	json_decref(snap);
	return 0;
}
