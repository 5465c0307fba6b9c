// SPDX-License-Identifier: MIT
/*
 * A recording's files in shards, read and merged by time; see recset.h. Past 500 lines: one
 * cursor (shard -> file -> block -> record, envelope or datum) that reads best in one place.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../dataplane/ocf_name.h"
#include "../dataplane/ocf_reader.h"
#include "recset.h"
#include "xrelay/api.h"
#include "xrelay/avro.h"
#include "xrelay/datum.h"

struct rfile {
	char *path;
	char key[160]; /* the shard: "<channel>-q<queue>", or the file name */
	char stamp[OCF_STAMP_LEN + 1];
	unsigned long n;
	bool part;
};

struct shard {
	struct recset_shard pub;
	struct rfile **files;
	size_t nfiles, next;
	struct ocf_reader *r;	 /* the file being read */
	struct datum_prog *prog; /* its schema, for a datum file */
	struct ocf_reader *ahead;
	size_t ahead_idx;
	const uint8_t *data; /* the loaded block's records */
	size_t len, pos;
	int64_t left; /* records of the block not decoded yet */
	struct ocf_reader_block blk;
	bool done, has;
	struct recset_rec rec;
	char rec_msg[400];
};

struct recset {
	struct recset_opts o;
	bool window;
	struct rfile *files;
	size_t nfiles;
	struct shard *shards;
	unsigned int nshards;
	uint64_t opened, damaged, bytes_done, bytes_total;
};

static void damage(struct recset *rs, const char *file, uint64_t off, const char *msg)
{
	rs->damaged++;
	if (rs->o.damage)
		rs->o.damage(rs->o.ctx, file, off, msg);
}

void recset_damage_print(void *ctx, const char *file, uint64_t off, const char *msg)
{
	if (off == UINT64_MAX)
		fprintf(stderr, "%s: %s: %s\n", (const char *)ctx, file, msg);
	else
		fprintf(stderr, "%s: %s: byte %" PRIu64 ": %s\n", (const char *)ctx, file, off,
			msg);
}

/* "<channel>-q<queue>-<stamp>-<n>.avro[.part]" -> key, stamp, n; 0 or -EINVAL. */
static int name_split(const char *name, struct rfile *f)
{
	char tmp[OCF_NAME_MAX + 8], base[OCF_NAME_MAX];
	size_t len = strlen(name), sl = strlen(OCF_FINAL_SUFFIX);
	size_t bl;

	f->part = len > strlen(OCF_PART_SUFFIX) &&
		  !strcmp(name + len - strlen(OCF_PART_SUFFIX), OCF_PART_SUFFIX);
	if (!f->part && (len <= sl || strcmp(name + len - sl, OCF_FINAL_SUFFIX)))
		return -EINVAL;
	if (snprintf(tmp, sizeof(tmp), "%s%s", name, f->part ? "" : ".part") >= (int)sizeof(tmp))
		return -EINVAL;
	if (ocf_name_parse_part(tmp, base, sizeof(base), &f->n))
		return -EINVAL;
	bl = strlen(base);
	memcpy(f->stamp, base + bl - OCF_STAMP_LEN, OCF_STAMP_LEN + 1);
	base[bl - OCF_STAMP_LEN - 1] = '\0';
	snprintf(f->key, sizeof(f->key), "%s", base);
	return 0;
}

static int add_file(struct recset *rs, const char *path, size_t *cap)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	struct rfile *f;

	if (rs->nfiles == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		struct rfile *nf = realloc(rs->files, nc * sizeof(*nf));

		if (!nf)
			return -ENOMEM;
		rs->files = nf;
		*cap = nc;
	}
	f = &rs->files[rs->nfiles];
	memset(f, 0, sizeof(*f));
	f->path = strdup(path);
	if (!f->path)
		return -ENOMEM;
	if (name_split(name, f))
		snprintf(f->key, sizeof(f->key), "%s", name);
	rs->nfiles++;
	return 0;
}

static bool avro_name(const char *name)
{
	size_t len = strlen(name);

	return (len > 5 && !strcmp(name + len - 5, ".avro")) ||
	       (len > 10 && !strcmp(name + len - 10, ".avro.part"));
}

static int add_path(struct recset *rs, const char *path, size_t *cap)
{
	char msg[300], sub[4096];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int e = 0;

	if (stat(path, &st) < 0) {
		snprintf(msg, sizeof(msg), "cannot open: %s", strerror(errno));
		damage(rs, path, UINT64_MAX, msg);
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return add_file(rs, path, cap);
	d = opendir(path);
	if (!d) {
		snprintf(msg, sizeof(msg), "cannot list the folder: %s", strerror(errno));
		damage(rs, path, UINT64_MAX, msg);
		return 0;
	}
	while (!e && (de = readdir(d))) {
		if (!avro_name(de->d_name))
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >= (int)sizeof(sub))
			continue;
		e = add_file(rs, sub, cap);
	}
	(void)closedir(d);
	return e;
}

/* Shard order, then (stamp, n) within a shard; a .part after its .avro twin. */
static int file_cmp(const void *a, const void *b)
{
	const struct rfile *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	c = strcmp(x->stamp, y->stamp);
	if (c)
		return c;
	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	return (int)x->part - (int)y->part;
}

static int shards_build(struct recset *rs)
{
	size_t i, j;
	unsigned int k = 0;

	for (i = 0; i < rs->nfiles; i++)
		if (!i || strcmp(rs->files[i].key, rs->files[i - 1].key))
			k++;
	rs->shards = calloc(k ? k : 1, sizeof(*rs->shards));
	if (!rs->shards)
		return -ENOMEM;
	rs->nshards = k;
	for (i = 0, k = 0; i < rs->nfiles; k++) {
		struct shard *s = &rs->shards[k];

		for (j = i; j < rs->nfiles && !strcmp(rs->files[j].key, rs->files[i].key); j++)
			;
		s->files = calloc(j - i, sizeof(*s->files));
		if (!s->files)
			return -ENOMEM;
		for (s->nfiles = 0; i < j; i++)
			s->files[s->nfiles++] = &rs->files[i];
		s->pub.index = k;
		s->pub.queue = -1;
		snprintf(s->pub.name, sizeof(s->pub.name), "%s", s->files[0]->key);
	}
	return 0;
}

int recset_open(char *const *paths, int npaths, const struct recset_opts *opts, struct recset **ret)
{
	struct recset *rs = calloc(1, sizeof(*rs));
	size_t cap = 0;
	struct stat st;
	int i, e = 0;

	if (!rs)
		return -ENOMEM;
	rs->o = *opts;
	rs->window = opts->from_ns != INT64_MIN || opts->to_ns != INT64_MAX;
	for (i = 0; !e && i < npaths; i++)
		e = add_path(rs, paths[i], &cap);
	if (!e && !rs->nfiles)
		e = -ENOENT;
	if (e)
		goto out_free;
	qsort(rs->files, rs->nfiles, sizeof(*rs->files), file_cmp);
	for (i = 0; i < (int)rs->nfiles; i++)
		if (!stat(rs->files[i].path, &st))
			rs->bytes_total += (uint64_t)st.st_size;
	e = shards_build(rs);
	if (e)
		goto out_free;
	*ret = rs;
	return 0;
out_free:
	recset_close(rs);
	return e;
}

static void shard_drop(struct recset *rs, struct shard *s)
{
	if (s->r)
		rs->bytes_done += ocf_reader_bytes_read(s->r);
	ocf_reader_close(s->r);
	s->r = NULL;
	datum_free(s->prog);
	s->prog = NULL;
	s->left = 0;
	s->pub.file = NULL;
}

/*
 * Open file @idx of @s: its reader (and for a datum file its compiled schema in *@ret_prog), or
 * NULL with the damage reported (@report).
 */
static struct ocf_reader *file_open(struct recset *rs, struct shard *s, size_t idx, bool report,
				    struct datum_prog **ret_prog)
{
	const char *path = s->files[idx]->path, *needs = rs->o.needs;
	struct ocf_reader *r = NULL;
	struct datum_error de;
	char err[256], msg[400];
	const char *schema;

	*ret_prog = NULL;
	if (s->ahead && s->ahead_idx == idx) {
		r = s->ahead;
		s->ahead = NULL;
		return r;
	}
	if (ocf_reader_open(AT_FDCWD, path, &r, err, sizeof(err))) {
		if (report)
			damage(rs, path, UINT64_MAX, err);
		return NULL;
	}
	if (ocf_reader_is_envelope(r))
		return r;
	/* Another schema: a datum channel's file, whose records are its schema's datums. */
	schema = ocf_reader_schema(r);
	if (datum_compile_text(schema, strlen(schema), ret_prog, &de)) {
		snprintf(msg, sizeof(msg),
			 "the schema is neither xrelay.Packet nor a valid Avro schema (at \"%s\": "
			 "%s)",
			 de.path, de.detail);
	} else if (needs || rs->window) {
		snprintf(msg, sizeof(msg),
			 "a datum channel's file (schema %s): its records carry no seq, ts_ns, "
			 "addresses or ports, which %s; passed over",
			 datum_name(*ret_prog),
			 needs ? needs : "a time window (--from/--to) needs");
	} else {
		return r;
	}
	if (report)
		damage(rs, path, UINT64_MAX, msg);
	datum_free(*ret_prog);
	*ret_prog = NULL;
	ocf_reader_close(r);
	return NULL;
}

/* First record's time of the file's first block, or INT64_MIN if unknown. */
static int64_t file_first_ts(struct ocf_reader *r)
{
	struct ocf_reader_block b;

	if (ocf_reader_peek(r, &b) || !b.first_ok)
		return INT64_MIN;
	return b.first_ts;
}

/* Move @s to its next file in the window; false when it has none. */
static bool shard_next_file(struct recset *rs, struct shard *s)
{
	char meta[64];
	int64_t t;

	while (s->next < s->nfiles) {
		size_t idx = s->next++;
		struct datum_prog *prog, *aprog;
		struct ocf_reader *r = file_open(rs, s, idx, true, &prog);

		if (!r)
			continue;
		rs->opened++;
		if (rs->o.from_ns != INT64_MIN && s->next < s->nfiles) {
			/* A file whose successor starts before the window holds none of it. */
			/* (A window passes datum files over: aprog stays NULL.) */
			s->ahead = file_open(rs, s, s->next, false, &aprog);
			s->ahead_idx = s->next;
			t = s->ahead ? file_first_ts(s->ahead) : INT64_MIN;
			if (t != INT64_MIN && t < rs->o.from_ns) {
				rs->bytes_done += ocf_reader_bytes_read(r);
				ocf_reader_close(r);
				continue;
			}
		}
		s->r = r;
		s->prog = prog;
		s->pub.file = s->files[idx]->path;
		if (ocf_reader_meta(r, XRELAY_META_CHANNEL, meta, sizeof(meta)) > 0 &&
		    name_valid(meta))
			snprintf(s->pub.channel, sizeof(s->pub.channel), "%s", meta);
		if (ocf_reader_meta(r, XRELAY_META_QUEUE, meta, sizeof(meta)) > 0)
			s->pub.queue = atoi(meta);
		if (rs->window) {
			t = file_first_ts(r);
			if (t != INT64_MIN && t > rs->o.to_ns) {
				shard_drop(rs, s);
				s->next = s->nfiles; /* later files are later still */
				return false;
			}
			if (rs->o.from_ns != INT64_MIN)
				(void)ocf_reader_skip_before(r, rs->o.from_ns);
		}
		return true;
	}
	return false;
}

/* A .part file is still being written (or was cut by a crash): its torn tail is no damage. */
static void file_damage(struct recset *rs, struct shard *s, int e)
{
	uint64_t off;
	const char *msg = ocf_reader_error(s->r, &off);

	if (!(e == -ENODATA && s->files[s->next - 1]->part))
		damage(rs, s->pub.file, off, msg);
	shard_drop(rs, s);
}

/* The next block of the current file into s->data; false at its end (or on damage). */
static bool shard_next_block(struct recset *rs, struct shard *s)
{
	int e = ocf_reader_next(s->r, &s->blk);

	if (e == OCF_READER_END) {
		shard_drop(rs, s);
		return false;
	}
	if (!e && rs->window && s->blk.first_ok && s->blk.first_ts > rs->o.to_ns) {
		shard_drop(rs, s);
		s->next = s->nfiles;
		return false;
	}
	if (!e)
		e = ocf_reader_load(s->r, &s->blk, &s->data, &s->len);
	if (e) {
		file_damage(rs, s, e);
		return false;
	}
	s->pos = 0;
	s->left = s->blk.count;
	return true;
}

/* The datum at s->pos into s->rec: its length, or -EBADMSG with s->rec_msg set. */
static int datum_record(struct shard *s)
{
	unsigned int why = 0;
	size_t used = 0;

	if (datum_check_one(s->prog, s->data + s->pos, s->len - s->pos, &used, &why)) {
		snprintf(s->rec_msg, sizeof(s->rec_msg),
			 "the block at byte %" PRIu64 ": record %" PRId64 " of %" PRId64
			 " (at byte %zu of its %zu) is not a datum of the file's schema %s (%s)",
			 s->blk.off, s->blk.count - s->left + 1, s->blk.count, s->pos, s->len,
			 datum_name(s->prog),
			 why < XRELAY_REJECT__MAX ? api_reject_reasons[why].name : "?");
		return -EBADMSG;
	}
	memset(&s->rec.e, 0, sizeof(s->rec.e));
	s->rec.payload = NULL;
	s->rec.datum = s->prog;
	s->rec.data = s->data + s->pos;
	s->rec.len = used;
	return (int)used;
}

/* Fill s->rec with the shard's next record in the window, or set s->done. */
static void shard_fill(struct recset *rs, struct shard *s)
{
	char msg[300];
	int n;

	while (!s->has && !s->done) {
		if (!s->r) {
			if (!shard_next_file(rs, s))
				s->done = !s->r;
			continue;
		}
		if (!s->left) {
			if (s->data && s->pos != s->len) {
				snprintf(msg, sizeof(msg),
					 "the block at byte %" PRIu64
					 " holds %zu bytes after its %" PRId64 " records",
					 s->blk.off, s->len - s->pos, s->blk.count);
				s->data = NULL;
				damage(rs, s->pub.file, s->blk.off, msg);
				shard_drop(rs, s);
				continue;
			}
			s->data = NULL;
			(void)shard_next_block(rs, s);
			continue;
		}
		if (s->prog) {
			n = datum_record(s);
			if (n < 0) {
				damage(rs, s->pub.file, s->blk.off, s->rec_msg);
				s->data = NULL;
				shard_drop(rs, s);
				continue;
			}
			s->pos += (size_t)n;
			s->left--;
			s->rec.shard = &s->pub;
			s->has = true;
			continue;
		}
		s->rec.datum = NULL;
		n = ocf_envelope_decode(s->data + s->pos, s->len - s->pos, &s->rec.e,
					&s->rec.payload);
		if (n < 0) {
			snprintf(msg, sizeof(msg),
				 "truncated block at byte %" PRIu64 ": record %" PRId64
				 " of %" PRId64 " %s its %zu bytes (at byte %zu of them)",
				 s->blk.off, s->blk.count - s->left + 1, s->blk.count,
				 n == -ENODATA ? "runs past" : "does not decode within", s->len,
				 s->pos);
			s->data = NULL;
			damage(rs, s->pub.file, s->blk.off, msg);
			shard_drop(rs, s);
			continue;
		}
		s->pos += (size_t)n;
		s->left--;
		if (s->rec.e.ts_ns < rs->o.from_ns || s->rec.e.ts_ns > rs->o.to_ns)
			continue;
		s->rec.shard = &s->pub;
		s->has = true;
	}
}

int recset_next(struct recset *rs, struct recset_rec *ret)
{
	struct shard *best = NULL;
	unsigned int i;

	for (i = 0; i < rs->nshards; i++) {
		struct shard *s = &rs->shards[i];

		shard_fill(rs, s);
		if (!s->has)
			continue;
		/* Datums carry no time: their shards first, in order. */
		if (!rs->o.merge || s->rec.datum) {
			best = s;
			break;
		}
		if (!best || s->rec.e.ts_ns < best->rec.e.ts_ns)
			best = s;
	}
	if (!best)
		return 1;
	best->has = false;
	*ret = best->rec;
	return 0;
}

unsigned int recset_shards(const struct recset *rs)
{
	return rs->nshards;
}

const struct recset_shard *recset_shard(const struct recset *rs, unsigned int i)
{
	return i < rs->nshards ? &rs->shards[i].pub : NULL;
}

uint64_t recset_files(const struct recset *rs)
{
	return rs->nfiles;
}

uint64_t recset_damaged(const struct recset *rs)
{
	return rs->damaged;
}

uint64_t recset_bytes_read(const struct recset *rs)
{
	uint64_t n = rs->bytes_done;
	unsigned int i;

	for (i = 0; i < rs->nshards; i++)
		if (rs->shards[i].r)
			n += ocf_reader_bytes_read(rs->shards[i].r);
	return n;
}

uint64_t recset_bytes_total(const struct recset *rs)
{
	return rs->bytes_total;
}

int recset_rewind(struct recset *rs)
{
	unsigned int i;

	for (i = 0; i < rs->nshards; i++) {
		struct shard *s = &rs->shards[i];

		shard_drop(rs, s);
		ocf_reader_close(s->ahead);
		s->ahead = NULL;
		s->next = 0;
		s->done = s->has = false;
		s->data = NULL;
	}
	rs->damaged = 0;
	return 0;
}

void recset_close(struct recset *rs)
{
	size_t i;

	if (!rs)
		return;
	for (i = 0; i < rs->nshards; i++) {
		ocf_reader_close(rs->shards[i].r);
		datum_free(rs->shards[i].prog);
		ocf_reader_close(rs->shards[i].ahead);
		free(rs->shards[i].files);
	}
	for (i = 0; i < rs->nfiles; i++)
		free(rs->files[i].path);
	free(rs->shards);
	free(rs->files);
	free(rs);
}
