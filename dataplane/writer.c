// SPDX-License-Identifier: MIT
/*
 * One channel's file shard of one worker; see writer.h. Blocks go through four states: free,
 * filling (at most one), queued on their file (an offset reserved in it, its write in flight)
 * and done. Every queued block's write is in flight at once: io_uring punts buffered writes to
 * its io-wq worker where the file system cannot write without blocking (tmpfs, or any under
 * writeback), and one write at a time would cost a worker wake-up and a trip through this
 * thread's loop per block; under load that wait, not the copying, filled every block buffer.
 * The blocks' offsets are reserved, so they may land in any order; a block is counted as
 * recorded only when it and everything before it in the file are done (the queue is retired
 * from its head). A file is closed and renamed only when nothing of it is queued. A write that
 * fails for good cuts its file back to where that block began (so the file stays readable to
 * its last record: writes past the cut that finish later are cut too, the file being cut when
 * its last write is done), counts the records of that block and of every block after it as
 * dropped, and the shard continues in a new file.
 *
 * Closing a file, with fsync on (the default): its last write done, an fsync of the file goes
 * through the ring; when it completes the file is renamed from .part to .avro, and an fsync of
 * the folder makes the rename durable; only then is the file off the closing list. Nothing
 * of it blocks the worker. Over 500 lines because blocks and files are one state machine
 * driven by the same completions (a block's failure cuts its file; a file closes when its
 * last block is done).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "budget.h"
#include "cqetag.h"
#include "writer.h"

/*
 * One filling, the rest in flight: 64 blocks of up to 1022 records or 256 KiB absorb 40 ms of
 * 64-byte datagrams at 1.5 M/s while the writes wait for the io-wq worker's turn on a CPU (32
 * ran out at 1.5 M/s on this 2-vCPU VM, where that CPU is the generator's). Buffers are made
 * on first use and their pages touched as records fill them: a shard that never sees a burst
 * never holds more than a few.
 */
#define NBLOCKS 64
#define MAX_TRIES 3 /* a failed write is tried this often in all */
/*
 * Idle buffers a shard keeps for its next blocks; past that they are freed, so a burst's
 * buffers go back to the budget (and to the other shards) once it is written.
 */
#define IDLE_KEEP 4

/*
 * What a writer's io_uring user_data points to (cqetag.h): a block's write, or a file's fsync.
 * The first member of both.
 */
struct wop {
	struct writer *w;
	bool is_file;
};

enum wfile_sync {
	SYNC_NONE = 0,	/* not asked yet */
	SYNC_FILE,	/* the file's fsync in flight */
	SYNC_FILE_DONE, /* the file is on disk: rename it */
	SYNC_DIR,	/* renamed; the folder's fsync in flight */
};

struct wfile {
	struct wop op;
	struct ocf_file *f;
	enum wfile_sync sync;
	__u64 start_ns;
	unsigned int inflight; /* blocks queued on it, done or not */
	struct wblock *head, *tail;
	bool closing;
	bool broken;
	__u64 cut_off; /* when broken: where the file is cut back to */
	__u64 cut_records;
	struct wfile *next; /* on the closing list */
};

struct wblock {
	struct wop op;
	struct ocf_block *b;
	struct wfile *wf;
	bool busy;
	__u64 start_off;   /* where the block begins in its file */
	__u64 off;	   /* where the rest goes after a short write */
	__u64 recs_before; /* records in the file before this block */
	struct iovec *iov;
	int iovcnt;
	unsigned int records;
	__u64 payload_bytes;
	int tries;
	bool writing;	     /* its write is in flight */
	bool done;	     /* written, or given up (then past its file's cut) */
	struct wblock *next; /* on its file's queue */
};

struct writer {
	struct writer_opts o;
	char channel[NAME_MAX_LEN + 1];
	struct wblock blocks[NBLOCKS];
	struct wblock *fill;
	__u64 fill_first_ns;
	struct wfile *cur;
	struct wfile *closing;
	/*
	 * The second and <n> of the last file opened: a file of the same second takes a higher
	 * <n>, so a name is never used twice even when retention removed the first file.
	 */
	__u64 last_open_s;
	unsigned long last_n;
	unsigned int inflight;
	unsigned int idle; /* blocks with a buffer, not busy */
};

int writer_new(const struct writer_opts *o, struct writer **ret)
{
	struct writer *w;
	int i;

	if (!name_valid(o->channel))
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->o = *o;
	strcpy(w->channel, o->channel);
	w->o.channel = w->channel;
	for (i = 0; i < NBLOCKS; i++)
		w->blocks[i].op.w = w;
	*ret = w;
	return 0;
}

/* Free @b's buffer and give its bytes back to the budget. */
static void block_unmake(struct writer *w, struct wblock *b)
{
	if (!b->b)
		return;
	if (w->o.budget)
		budget_give(w->o.budget, ocf_block_footprint(b->b));
	ocf_block_free(b->b);
	b->b = NULL;
}

static struct wblock *block_get(struct writer *w)
{
	const struct ocf_block_opts bo = {
		.codec = w->o.codec,
		.max_records = OCF_BLOCK_RECORDS_MAX,
	};
	struct wblock *b = NULL;
	int i;

	/* A buffer made before and idle first; else a slot whose buffer is made now. */
	for (i = 0; i < NBLOCKS && !b; i++)
		if (!w->blocks[i].busy && w->blocks[i].b)
			b = &w->blocks[i];
	for (i = 0; i < NBLOCKS && !b; i++)
		if (!w->blocks[i].busy)
			b = &w->blocks[i];
	if (!b)
		return NULL;
	if (b->b) {
		w->idle--;
	} else {
		/* Made on first use (an idle shard costs no memory), if the budget has room. */
		if (ocf_block_new(&bo, &b->b))
			return NULL;
		if (w->o.budget && !budget_take(w->o.budget, ocf_block_footprint(b->b))) {
			ocf_block_free(b->b);
			b->b = NULL;
			return NULL;
		}
	}
	b->busy = true;
	b->records = 0;
	b->payload_bytes = 0;
	b->tries = 0;
	b->writing = false;
	b->done = false;
	b->wf = NULL;
	return b;
}

/* The buffer of @b back to its writer: kept for the next block, or freed past IDLE_KEEP. */
static void block_put(struct wblock *b)
{
	struct writer *w = b->op.w;

	b->busy = false;
	if (w->idle >= IDLE_KEEP) {
		block_unmake(w, b);
		return;
	}
	ocf_block_reset(b->b);
	w->idle++;
}

static void closing_unlink(struct writer *w, struct wfile *wf)
{
	struct wfile **pp;

	for (pp = &w->closing; *pp; pp = &(*pp)->next)
		if (*pp == wf) {
			*pp = wf->next;
			break;
		}
}

/* An fsync of @fd for @wf through the ring; false if no submission entry could be had. */
static bool sync_submit(struct writer *w, struct io_uring *ring, struct wfile *wf, int fd)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe) {
		(void)io_uring_submit(ring);
		sqe = io_uring_get_sqe(ring);
		if (!sqe)
			return false;
	}
	io_uring_prep_fsync(sqe, fd, 0);
	io_uring_sqe_set_data64(sqe, cqetag_wop(&wf->op));
	w->inflight++;
	return true;
}

/*
 * @wf's writes are all done: cut it back if broken, have it on disk (fsync), rename it, have
 * the rename on disk (the folder's fsync), free it. Called again as each fsync completes.
 */
static void file_finish(struct writer *w, struct io_uring *ring, struct wfile *wf,
			struct writer_report *rep)
{
	int r;

	if (wf->sync == SYNC_NONE) {
		if (wf->broken) {
			r = ocf_file_rewind(wf->f, wf->cut_off, wf->cut_records);
			if (r)
				rep->error = r;
		}
		wf->sync = SYNC_FILE_DONE;
		if (w->o.fsync && ocf_file_records(wf->f)) {
			if (sync_submit(w, ring, wf, ocf_file_fd(wf->f))) {
				wf->sync = SYNC_FILE;
				return;
			}
			if (fsync(ocf_file_fd(wf->f)) < 0) /* the ring is full: the slow way */
				rep->error = -errno;
		}
	}
	if (wf->sync == SYNC_FILE)
		return;
	if (wf->sync == SYNC_FILE_DONE) {
		bool kept;

		r = ocf_file_close(wf->f, OCF_F_DROP_EMPTY, rep->closed, sizeof(rep->closed));
		wf->f = NULL;
		if (r < 0)
			rep->error = r;
		kept = r == 0;
		if (kept && w->o.fsync) {
			if (sync_submit(w, ring, wf, w->o.dir_fd)) {
				wf->sync = SYNC_DIR;
				return;
			}
			if (fsync(w->o.dir_fd) < 0)
				rep->error = -errno;
		}
	}
	closing_unlink(w, wf);
	free(wf);
}

/* No more blocks go to @wf; it is closed when its writes are done. */
static void file_retire(struct writer *w, struct io_uring *ring, struct wfile *wf,
			struct writer_report *rep)
{
	if (w->cur == wf)
		w->cur = NULL;
	wf->closing = true;
	wf->next = w->closing;
	w->closing = wf;
	if (!wf->inflight)
		file_finish(w, ring, wf, rep);
}

static int file_open(struct writer *w, __u64 now_ns, struct writer_report *rep)
{
	struct ocf_file_opts fo = {
		.channel = w->channel,
		.queue = w->o.queue,
		.start_ns = (int64_t)now_ns,
		.codec = w->o.codec,
		.n_min = w->last_n && w->last_open_s == now_ns / 1000000000u ? w->last_n + 1 : 1,
		.schema = w->o.schema,
	};
	struct wfile *wf = calloc(1, sizeof(*wf));
	int r;

	if (!wf)
		return -ENOMEM;
	r = ocf_file_open(w->o.dir_fd, &fo, &wf->f);
	if (r) {
		free(wf);
		rep->error = r;
		return r;
	}
	w->last_open_s = now_ns / 1000000000u;
	w->last_n = ocf_file_n(wf->f);
	wf->op.w = w;
	wf->op.is_file = true;
	wf->start_ns = now_ns;
	w->cur = wf;
	strncpy(rep->opened, ocf_file_name(wf->f), sizeof(rep->opened) - 1);
	return 0;
}

/*
 * Submit the write of every block queued on @wf that is not in flight yet. On a broken file
 * nothing more is written: its waiting blocks are done at once (past the cut, dropped).
 */
static void file_kick(struct io_uring *ring, struct wfile *wf)
{
	struct io_uring_sqe *sqe;
	struct wblock *b;

	for (b = wf->head; b; b = b->next) {
		if (b->writing || b->done)
			continue;
		if (wf->broken) {
			b->done = true;
			continue;
		}
		sqe = io_uring_get_sqe(ring);
		if (!sqe) {
			/* The submission queue is full: hand it to the kernel, take a fresh one. */
			(void)io_uring_submit(ring);
			sqe = io_uring_get_sqe(ring);
			if (!sqe)
				return; /* still full: the next tick or completion tries again */
		}
		io_uring_prep_writev(sqe, ocf_file_fd(wf->f), b->iov, (unsigned int)b->iovcnt,
				     b->off);
		io_uring_sqe_set_data64(sqe, cqetag_wop(&b->op));
		b->writing = true;
	}
}

static void file_enqueue(struct io_uring *ring, struct wfile *wf, struct wblock *b)
{
	b->next = NULL;
	if (wf->tail)
		wf->tail->next = b;
	else
		wf->head = b;
	wf->tail = b;
	file_kick(ring, wf);
}

static void drop_block(struct wblock *b, struct writer_report *rep)
{
	rep->dropped += b->records;
	block_put(b);
}

/* The filling block is complete: write it to the current file (opened now if needed). */
static void submit_fill(struct writer *w, struct io_uring *ring, struct writer_report *rep)
{
	struct wblock *b = w->fill;
	struct wfile *wf;
	size_t size;
	int n;

	w->fill = NULL;
	if (!b)
		return;
	/* A file starts (and is named) at its first record's time. */
	if (!w->cur && file_open(w, w->fill_first_ns, rep)) {
		rep->dropped_no_file += b->records;
		block_put(b);
		return;
	}
	wf = w->cur;
	n = ocf_block_finish(b->b, ocf_file_sync(wf->f), &b->iov);
	if (n < 0) {
		rep->error = n;
		drop_block(b, rep);
		return;
	}
	b->iovcnt = n;
	size = ocf_block_size(b->b);
	b->recs_before = ocf_file_records(wf->f);
	b->start_off = b->off = ocf_file_reserve(wf->f, size, b->records);
	b->wf = wf;
	wf->inflight++;
	w->inflight++;
	file_enqueue(ring, wf, b);
	if (ocf_file_size(wf->f) >= w->o.rotate_bytes)
		file_retire(w, ring, wf, rep);
}

/* Add the record made of @nparts pieces, @payload_len of its bytes payload. */
static int add_parts(struct writer *w, struct io_uring *ring, const struct iovec *parts,
		     unsigned int nparts, size_t payload_len, __u64 now_ns,
		     struct writer_report *rep)
{
	int r;

	if (!w->fill) {
		w->fill = block_get(w);
		if (!w->fill)
			return -ENOBUFS;
		w->fill_first_ns = now_ns;
	}
	r = ocf_block_addv(w->fill->b, parts, nparts);
	if (r == -ENOSPC) {
		submit_fill(w, ring, rep);
		w->fill = block_get(w);
		if (!w->fill)
			return -ENOBUFS;
		w->fill_first_ns = now_ns;
		r = ocf_block_addv(w->fill->b, parts, nparts);
	}
	if (r)
		return r;
	w->fill->records++;
	w->fill->payload_bytes += payload_len;
	if (ocf_block_full(w->fill->b))
		submit_fill(w, ring, rep);
	return 0;
}

int writer_add(struct writer *w, struct io_uring *ring, const void *hdr, size_t hdr_len,
	       const void *payload, size_t payload_len, __u64 now_ns, struct writer_report *rep)
{
	const struct iovec parts[2] = {
		{ .iov_base = (void *)hdr, .iov_len = hdr_len },
		{ .iov_base = (void *)payload, .iov_len = payload_len },
	};

	return add_parts(w, ring, parts, 2, payload_len, now_ns, rep);
}

int writer_addv(struct writer *w, struct io_uring *ring, const void *hdr, size_t hdr_len,
		const struct iovec *payload, unsigned int npayload, __u64 now_ns,
		struct writer_report *rep)
{
	struct iovec parts[1 + WRITER_PIECES_MAX];
	size_t payload_len = 0;
	unsigned int i;

	if (npayload > WRITER_PIECES_MAX)
		return -EMSGSIZE;
	parts[0].iov_base = (void *)hdr;
	parts[0].iov_len = hdr_len;
	for (i = 0; i < npayload; i++) {
		parts[1 + i] = payload[i];
		payload_len += payload[i].iov_len;
	}
	return add_parts(w, ring, parts, 1 + npayload, payload_len, now_ns, rep);
}

void writer_tick(struct writer *w, struct io_uring *ring, __u64 now_ns, bool rotate,
		 struct writer_report *rep)
{
	struct wfile *wf;

	/* Writes that found the submission queue full go now. */
	if (w->cur)
		file_kick(ring, w->cur);
	for (wf = w->closing; wf; wf = wf->next)
		file_kick(ring, wf);
	if (w->fill && (rotate || now_ns - w->fill_first_ns >= w->o.flush_ns))
		submit_fill(w, ring, rep);
	if (w->cur && (rotate || now_ns - w->cur->start_ns >= w->o.rotate_ns ||
		       ocf_file_size(w->cur->f) >= w->o.rotate_bytes))
		file_retire(w, ring, w->cur, rep);
}

/*
 * Retire @wf's done blocks from the head of its queue, in file order: each is recorded, or
 * dropped when it lies past the cut of a broken file.
 */
static void file_retire_done(struct writer *w, struct wfile *wf, struct writer_report *rep)
{
	while (wf->head && wf->head->done) {
		struct wblock *b = wf->head;

		wf->head = b->next;
		if (!wf->head)
			wf->tail = NULL;
		if (wf->broken && b->start_off >= wf->cut_off) {
			rep->dropped += b->records;
		} else {
			rep->recorded_packets += b->records;
			rep->recorded_bytes += b->payload_bytes;
		}
		block_put(b);
		wf->inflight--;
		w->inflight--;
	}
}

/* An fsync of @wf (the file's or its folder's) completed with @res. */
static void sync_complete(struct writer *w, struct io_uring *ring, struct wfile *wf, int res,
			  struct writer_report *rep)
{
	w->inflight--;
	if (res < 0) {
		/* Not known to be on disk: said in the log and counted; the file is kept. */
		rep->write_errors++;
		rep->error = res;
	}
	if (wf->sync == SYNC_FILE) {
		wf->sync = SYNC_FILE_DONE;
		file_finish(w, ring, wf, rep);
		return;
	}
	closing_unlink(w, wf);
	free(wf);
}

void writer_complete(struct writer *w, struct io_uring *ring, struct wop *op, int res,
		     struct writer_report *rep)
{
	struct wblock *b = (struct wblock *)op;
	struct wfile *wf;
	size_t left = 0;
	int i;

	if (op->is_file) {
		sync_complete(w, ring, (struct wfile *)op, res, rep);
		return;
	}
	wf = b->wf;
	for (i = 0; i < b->iovcnt; i++)
		left += b->iov[i].iov_len;
	b->writing = false;
	if (res > 0 && (size_t)res < left) {
		/* A short write: the rest goes right after what was written. */
		ocf_iov_advance(&b->iov, &b->iovcnt, (size_t)res);
		b->off += (__u64)res;
		file_kick(ring, wf);
		return;
	}
	if (res <= 0 && left) {
		/* An error, or nothing written at all (which would otherwise repeat forever). */
		rep->write_errors++;
		rep->error = res ? res : -EIO;
		if (++b->tries < MAX_TRIES && !wf->broken) {
			file_kick(ring, wf);
			return;
		}
		/* For good: cut the file back to this block (or an earlier cut), go on anew. */
		if (!wf->broken || b->start_off < wf->cut_off) {
			wf->cut_off = b->start_off;
			wf->cut_records = b->recs_before;
		}
		wf->broken = true;
	}
	b->done = true;
	if (wf->broken)
		file_kick(ring, wf); /* its waiting blocks are done, unwritten */
	file_retire_done(w, wf, rep);
	if (wf->broken && !wf->closing)
		file_retire(w, ring, wf, rep);
	else if (wf->closing && !wf->inflight)
		file_finish(w, ring, wf, rep);
}

bool writer_drain(struct writer *w, struct io_uring *ring, struct writer_report *rep)
{
	struct wfile *wf;

	for (wf = w->closing; wf; wf = wf->next)
		file_kick(ring, wf);
	if (w->fill)
		submit_fill(w, ring, rep);
	if (w->cur)
		file_retire(w, ring, w->cur, rep);
	return !w->inflight && !w->closing;
}

unsigned int writer_inflight(const struct writer *w)
{
	return w->inflight;
}

void writer_free(struct writer *w)
{
	int i;

	if (!w)
		return;
	for (i = 0; i < NBLOCKS; i++)
		block_unmake(w, &w->blocks[i]);
	free(w);
}

void *writer_op_owner(const struct wop *op)
{
	return op->w->o.owner;
}
