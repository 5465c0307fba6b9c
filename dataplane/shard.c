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
#include "xrelay/log.h"
#include "xrelay/name.h"

/* A file shard with what its completions must update; outlives its channel while draining. */
struct shard {
	struct writer *wr;
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

static void shard_report(struct shard *s, const struct writer_report *rep)
{
	if (rep->recorded_packets) {
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

int shard_open(const struct dp *dp, struct io_uring *ring, const struct xrelay_channel_cfg *cfg,
	       unsigned int queue, struct xrelay_dp_chan_stats *st, struct shard **ret)
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
	struct shard *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	/* The name is [A-Za-z0-9_-]{1,63} (checked by the API and here): never a path. */
	if (!name_valid(cfg->name)) {
		errno = EINVAL;
		goto out_free;
	}
	if (mkdirat(dp->out_fd, cfg->name, 0755) && errno != EEXIST)
		goto out_free;
	s->dir_fd = openat(dp->out_fd, cfg->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (s->dir_fd < 0)
		goto out_free;
	o.dir_fd = s->dir_fd;
	o.owner = s;
	r = writer_new(&o, &s->wr);
	if (r) {
		errno = -r;
		goto out_close;
	}
	s->ring = ring;
	s->st = st;
	s->queue = queue;
	snprintf(s->name, sizeof(s->name), "%s", cfg->name);
	*ret = s;
	return 0;

out_close:
	r = errno;
	close(s->dir_fd);
	errno = r;
out_free:
	r = -errno;
	pr_warn("channel %s: queue %u: cannot open %s/%s: %s", cfg->name, queue, dp->o.out_dir,
		cfg->name, strerror(-r));
	free(s);
	return r;
}

void shard_record(struct shard *s, __u64 seq, __u64 ts_ns, const struct frame_pkt *k,
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
	struct writer_report rep = {};
	__u8 hdr[XRELAY_PACKET_HDR_MAX];
	int r, hlen;

	hlen = ocf_envelope_hdr(&env, hdr, sizeof(hdr));
	if (hlen < 0)
		r = hlen;
	else if (!fr)
		r = writer_add(s->wr, s->ring, hdr, (size_t)hlen, k->payload, k->plen, now_ns,
			       &rep);
	else
		r = writer_addv(s->wr, s->ring, hdr, (size_t)hlen, fr->iov, fr->niov, now_ns, &rep);
	if (r == -ENOBUFS)
		stats_add(&s->st->drops[XRELAY_DROP_BUFFER_FULL], 1);
	else if (r)
		stats_add(&s->st->record_failed, 1);
	if (rep.opened[0] || rep.closed[0] || rep.error || rep.dropped || rep.dropped_no_file)
		shard_report(s, &rep);
}

void shard_tick(struct shard *s, __u64 now_ns, bool rotate)
{
	struct writer_report rep = {};

	writer_tick(s->wr, s->ring, now_ns, rotate, &rep);
	if (rep.opened[0] || rep.closed[0] || rep.error || rep.dropped || rep.dropped_no_file)
		shard_report(s, &rep);
}

void shard_complete(void *block, int res)
{
	struct wop *op = block;
	struct shard *s = writer_op_owner(op);
	struct writer_report rep = {};

	writer_complete(s->wr, s->ring, op, res, &rep);
	shard_report(s, &rep);
}

static void shard_free(struct shard *s)
{
	writer_free(s->wr);
	close(s->dir_fd);
	free(s);
}

void shard_retire(struct shard *s, struct shard **draining)
{
	struct writer_report rep = {};

	if (!s)
		return;
	(void)writer_drain(s->wr, s->ring, &rep);
	shard_report(s, &rep);
	s->next = *draining;
	*draining = s;
}

bool shard_drain(struct shard **draining)
{
	struct writer_report rep;
	struct shard **pp;

	for (pp = draining; *pp;) {
		struct shard *s = *pp;

		memset(&rep, 0, sizeof(rep));
		if (writer_drain(s->wr, s->ring, &rep)) {
			*pp = s->next;
			shard_report(s, &rep);
			shard_free(s);
			continue;
		}
		shard_report(s, &rep);
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
