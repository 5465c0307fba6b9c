// SPDX-License-Identifier: MIT
/*
 * One channel's file shard of one worker (see shard.h): the envelope record header, the writer
 * and what its reports mean for the counters and the log.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shard.h"
#include "stats.h"
#include "writer.h"
#include "xrelay/avro.h"
#include "xrelay/datum.h"
#include "xrelay/log.h"
#include "xrelay/mapctl.h"
#include "xrelay/name.h"

/* One writer of a shard: its records, or (datum channels) its rejected datagrams. */
struct shard_out {
	struct shard *s;
	struct writer *wr;
	bool rejected; /* what it records counts as rejected, not recorded */
};

/* A file shard with what its completions must update; outlives its channel while draining. */
struct shard {
	struct shard_out out[2]; /* [0]: the channel's files; [1]: datum channels' rejected ones */
	unsigned int nout;
	struct datum_prog *prog; /* datum channels: the validator; NULL: envelope */
	char *schema;		 /* datum channels: the files' schema */
	__u8 *flat;		 /* datum channels: a datagram of several frames, in one piece */
	__u32 prefix, schema_id;
	struct io_uring *ring;
	struct xrelay_dp_chan_stats *st;
	char name[XRELAY_NAME_LEN];
	unsigned int queue;
	int dir_fd;
	__u64 warned_ns;	/* CLOCK_MONOTONIC of the last file-error warning */
	unsigned long unwarned; /* file errors since, not logged */
	struct shard *next;	/* on the draining list */
};

/* File errors are logged at most once a second a shard (a full disk fails every block). */
#define WARN_EVERY_NS (1000000000ull)

static void shard_report(struct shard_out *o, const struct writer_report *rep)
{
	struct shard *s = o->s;

	if (rep->recorded_packets && o->rejected) {
		stats_add(&s->st->rejected, rep->recorded_packets);
	} else if (rep->recorded_packets) {
		stats_add(&s->st->recorded_packets, rep->recorded_packets);
		stats_add(&s->st->recorded_bytes, rep->recorded_bytes);
	}
	if (rep->write_errors)
		stats_add(&s->st->write_errors, rep->write_errors);
	if (rep->dropped)
		stats_add(&s->st->drops[XRELAY_DROP_WRITE], rep->dropped);
	if (rep->dropped_no_file)
		stats_add(&s->st->drops[XRELAY_DROP_NO_WRITER], rep->dropped_no_file);
	if (rep->opened[0])
		pr_info("channel %s: queue %u: writing %s", s->name, s->queue, rep->opened);
	if (rep->closed[0])
		pr_info("channel %s: queue %u: closed %s", s->name, s->queue, rep->closed);
	if (rep->error && (rep->write_errors || rep->dropped || rep->dropped_no_file ||
			   (!rep->opened[0] && !rep->closed[0]))) {
		__u64 now = dp_now_mono();

		if (s->warned_ns && now - s->warned_ns < WARN_EVERY_NS) {
			s->unwarned++;
			return;
		}
		pr_warn("channel %s: queue %u: file error: %s%s (%lu more since the last warning)",
			s->name, s->queue, strerror(-rep->error),
			rep->error == -ENOSPC ? " (disk full: free space or lower retention)" : "",
			s->unwarned);
		s->warned_ns = now;
		s->unwarned = 0;
	}
}

/* The codec of @cfg's files: its own, or the dataplane's --codec. */
static enum ocf_codec shard_codec(const struct dp *dp, const struct xrelay_channel_cfg *cfg)
{
	switch (cfg->codec) {
	case XRELAY_CODEC_NULL:
		return OCF_CODEC_NULL;
	case XRELAY_CODEC_DEFLATE:
		return OCF_CODEC_DEFLATE;
	case XRELAY_CODEC_SNAPPY:
		return OCF_CODEC_SNAPPY;
	}
	return dp->o.codec;
}

/* A datum channel's schema and validator, from the schemas map. Returns 0 or -errno (logged). */
static int shard_datum(struct shard *s, const struct dp *dp, __u32 id,
		       const struct xrelay_channel_cfg *cfg)
{
	struct datum_error de;
	int n, r;

	s->schema = malloc(XRELAY_SCHEMA_MAX + 1);
	s->flat = malloc(XRELAY_PACKET_PAYLOAD_MAX);
	if (!s->schema || !s->flat)
		return -ENOMEM;
	n = mapctl_schema_get(dp->m, id, cfg->created_ns, s->schema, XRELAY_SCHEMA_MAX);
	if (n < 0) {
		pr_warn("channel %s: its schema cannot be read: %s", cfg->name, strerror(-n));
		return n;
	}
	s->schema[n] = '\0';
	r = datum_compile_text(s->schema, (size_t)n, &s->prog, &de);
	if (r)
		pr_warn("channel %s: its schema does not compile at \"%s\": %s", cfg->name, de.path,
			de.detail);
	s->prefix = cfg->prefix;
	s->schema_id = cfg->schema_id;
	return r;
}

static void shard_free(struct shard *s)
{
	unsigned int i;

	for (i = 0; i < s->nout; i++)
		writer_free(s->out[i].wr);
	if (s->dir_fd >= 0)
		close(s->dir_fd);
	datum_free(s->prog);
	free(s->schema);
	free(s->flat);
	free(s);
}

int shard_open(const struct dp *dp, struct io_uring *ring, __u32 id,
	       const struct xrelay_channel_cfg *cfg, unsigned int queue,
	       struct xrelay_dp_chan_stats *st, struct shard **ret)
{
	struct writer_opts o = {
		.channel = cfg->name,
		.queue = queue,
		.codec = shard_codec(dp, cfg),
		.rotate_bytes = cfg->rotate_bytes ? cfg->rotate_bytes : dp->o.rotate_bytes,
		.rotate_ns = (cfg->rotate_seconds ? cfg->rotate_seconds : dp->o.rotate_seconds) *
			     1000000000ull,
		.flush_ns = dp->o.flush_ms * 1000000ull,
		.fsync = !dp->o.fsync_never,
		.budget = dp->budget,
	};
	char rejected[XRELAY_NAME_LEN + 16];
	struct shard *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->dir_fd = -1;
	/* The name is [A-Za-z0-9_-]{1,63} (checked by the API and here): never a path. */
	if (!name_valid(cfg->name)) {
		r = -EINVAL;
		goto out_free;
	}
	if (cfg->format == XRELAY_FMT_DATUM) {
		r = shard_datum(s, dp, id, cfg);
		if (r)
			goto out_free;
		o.schema = s->schema;
	}
	if (mkdirat(dp->out_fd, cfg->name, 0755) && errno != EEXIST) {
		r = -errno;
		goto out_free;
	}
	s->dir_fd = openat(dp->out_fd, cfg->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (s->dir_fd < 0) {
		r = -errno;
		goto out_free;
	}
	o.dir_fd = s->dir_fd;
	o.owner = &s->out[0];
	r = writer_new(&o, &s->out[0].wr);
	if (r)
		goto out_free;
	s->out[0].s = s;
	s->nout = 1;
	if (s->prog) {
		/* Rejected datagrams: envelopes, in the same folder, <name>-rejected-q<queue>-... */
		snprintf(rejected, sizeof(rejected), "%s-rejected", cfg->name);
		o.channel = rejected;
		o.schema = NULL;
		o.owner = &s->out[1];
		r = name_valid(rejected) ? writer_new(&o, &s->out[1].wr) : -EINVAL;
		if (r)
			goto out_free;
		s->out[1].s = s;
		s->out[1].rejected = true;
		s->nout = 2;
	}
	s->ring = ring;
	s->st = st;
	s->queue = queue;
	snprintf(s->name, sizeof(s->name), "%s", cfg->name);
	*ret = s;
	return 0;

out_free:
	pr_warn("channel %s: queue %u: cannot open %s/%s: %s", cfg->name, queue, dp->o.out_dir,
		cfg->name, strerror(-r));
	shard_free(s);
	return r;
}

/* One envelope record into @o's files (the channel's, or a datum channel's rejected ones). */
static void record_envelope(struct shard_out *o, __u64 seq, __u64 ts_ns, const struct frame_pkt *k,
			    const struct frame_frags *fr, __u64 now_ns)
{
	const struct ocf_envelope env = {
		.seq = (int64_t)seq,
		.ts_ns = (int64_t)ts_ns,
		.src_addr = k->src,
		.dst_addr = k->dst,
		.src_len = k->alen,
		.dst_len = k->alen,
		.src_port = k->sport,
		.dst_port = k->dport,
		.payload_len = k->plen,
	};
	struct shard *s = o->s;
	struct writer_report rep = {};
	__u8 hdr[XRELAY_PACKET_HDR_MAX];
	int r, hlen;

	hlen = ocf_envelope_hdr(&env, hdr, sizeof(hdr));
	if (hlen < 0)
		r = hlen;
	else if (!fr)
		r = writer_add(o->wr, s->ring, hdr, (size_t)hlen, k->payload, k->plen, now_ns,
			       &rep);
	else
		r = writer_addv(o->wr, s->ring, hdr, (size_t)hlen, fr->iov, fr->niov, now_ns, &rep);
	if (r == -ENOBUFS)
		stats_add(&s->st->drops[XRELAY_DROP_BUFFER_FULL], 1);
	else if (r)
		stats_add(&s->st->record_failed, 1);
	if (rep.opened[0] || rep.closed[0] || rep.error || rep.dropped || rep.dropped_no_file)
		shard_report(o, &rep);
}

/*
 * A datum channel's datagram: the Confluent prefix (if the channel has one) checked and
 * stripped, the rest checked to be one datum and recorded as it is; else it goes to the
 * rejected files, counted by reason.
 */
static void record_datum(struct shard *s, __u64 seq, __u64 ts_ns, const struct frame_pkt *k,
			 const struct frame_frags *fr, __u64 now_ns)
{
	const __u8 *p = k->payload;
	struct writer_report rep = {};
	size_t n = k->plen, off = 0;
	unsigned int why, i;
	int r;

	if (fr) {
		for (i = 0; i < fr->niov && off + fr->iov[i].iov_len <= XRELAY_PACKET_PAYLOAD_MAX;
		     i++) {
			memcpy(s->flat + off, fr->iov[i].iov_base, fr->iov[i].iov_len);
			off += fr->iov[i].iov_len;
		}
		p = s->flat;
		n = off;
	}
	if (s->prefix == XRELAY_PREFIX_CONFLUENT) {
		if (n < 5 || p[0] ||
		    ((__u32)p[1] << 24 | (__u32)p[2] << 16 | (__u32)p[3] << 8 | p[4]) !=
			    s->schema_id) {
			why = XRELAY_REJECT_BAD_PREFIX;
			goto reject;
		}
		p += 5;
		n -= 5;
	}
	if (datum_check(s->prog, p, n, &why))
		goto reject;
	r = writer_add(s->out[0].wr, s->ring, NULL, 0, p, n, now_ns, &rep);
	if (r == -ENOBUFS)
		stats_add(&s->st->drops[XRELAY_DROP_BUFFER_FULL], 1);
	else if (r)
		stats_add(&s->st->record_failed, 1);
	if (rep.opened[0] || rep.closed[0] || rep.error || rep.dropped || rep.dropped_no_file)
		shard_report(&s->out[0], &rep);
	return;
reject:
	stats_add(&s->st->rejected_why[why], 1);
	record_envelope(&s->out[1], seq, ts_ns, k, fr, now_ns);
}

void shard_record(struct shard *s, __u64 seq, __u64 ts_ns, const struct frame_pkt *k,
		  const struct frame_frags *fr, __u64 now_ns)
{
	if (s->prog)
		record_datum(s, seq, ts_ns, k, fr, now_ns);
	else
		record_envelope(&s->out[0], seq, ts_ns, k, fr, now_ns);
}

void shard_tick(struct shard *s, __u64 now_ns, bool rotate)
{
	struct writer_report rep;
	unsigned int i;

	for (i = 0; i < s->nout; i++) {
		memset(&rep, 0, sizeof(rep));
		writer_tick(s->out[i].wr, s->ring, now_ns, rotate, &rep);
		if (rep.opened[0] || rep.closed[0] || rep.error || rep.dropped ||
		    rep.dropped_no_file)
			shard_report(&s->out[i], &rep);
	}
}

void shard_complete(void *block, int res)
{
	struct wop *op = block;
	struct shard_out *o = writer_op_owner(op);
	struct writer_report rep = {};

	writer_complete(o->wr, o->s->ring, op, res, &rep);
	shard_report(o, &rep);
}

/* Move @s's writers towards closed; true when all are. */
static bool shard_writers_drain(struct shard *s)
{
	struct writer_report rep;
	bool done = true;
	unsigned int i;

	for (i = 0; i < s->nout; i++) {
		memset(&rep, 0, sizeof(rep));
		if (!writer_drain(s->out[i].wr, s->ring, &rep))
			done = false;
		shard_report(&s->out[i], &rep);
	}
	return done;
}

void shard_retire(struct shard *s, struct shard **draining)
{
	if (!s)
		return;
	(void)shard_writers_drain(s);
	s->next = *draining;
	*draining = s;
}

bool shard_drain(struct shard **draining)
{
	struct shard **pp;

	for (pp = draining; *pp;) {
		struct shard *s = *pp;

		if (shard_writers_drain(s)) {
			*pp = s->next;
			shard_free(s);
			continue;
		}
		pp = &s->next;
	}
	return !*draining;
}

void shard_free_all(struct shard **draining)
{
	while (*draining) {
		struct shard *s = *draining;

		*draining = s->next;
		shard_free(s);
	}
}
