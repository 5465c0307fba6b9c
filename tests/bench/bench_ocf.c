// SPDX-License-Identifier: MIT
/*
 * The cost of recording, with the real module (dataplane/ocf*.c) as the dataplane uses it: each
 * record's envelope header is built from the addresses in its frame (a 2048-byte UMEM frame:
 * 256 bytes of headroom, Ethernet + IPv4 + UDP) and header and payload are copied into the
 * block's buffer; a block (N = 256 records, codec null) is one write into a file in a fresh
 * directory under /tmp (its file system is printed). Payloads of 64 and 1000 bytes. Each figure
 * is the median of 3 rounds; "build only" is the same without the write (what the CPU spends
 * in user space). The file is cut back every 64 MiB (outside the timing) so the page cache
 * stays small. Stops by itself in about 6 s and removes its files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "../../dataplane/ocf.h"
#include "testocf.h"

#define NREC 256	   /* records a block, and frames in the pool */
#define FRAME_SIZE 2048	   /* a UMEM frame */
#define HEADROOM 256	   /* UMEM frame headroom */
#define L2L4 (14 + 20 + 8) /* Ethernet, IPv4, UDP */
#define ROUNDS 3
#define WRITE_SECS 0.5
#define BUILD_SECS 0.3
#define CUT_BYTES (64ull << 20)
#define DEADLINE_SECS 18.0 /* stop early rather than run past this */

static char dir_path[64];
static int dir_fd = -1;
static uint8_t *frames;
static double t_start;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Remove whatever the benchmark left in its directory, and the directory. */
static void cleanup(void)
{
	char cmd[128];

	if (dir_fd >= 0)
		close(dir_fd);
	dir_fd = -1;
	if (dir_path[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir_path);
		if (system(cmd) != 0)
			fprintf(stderr, "bench_ocf: could not remove %s\n", dir_path);
		dir_path[0] = '\0';
	}
}

static const char *fs_name(const char *path)
{
	struct statfs s;

	if (statfs(path, &s) < 0)
		return "unknown";
	switch ((unsigned long)s.f_type) {
	case 0x01021994:
		return "tmpfs (memory)";
	case 0xef53:
		return "ext4 (disk, through the page cache)";
	case 0x58465342:
		return "xfs (disk, through the page cache)";
	case 0x9123683e:
		return "btrfs (disk, through the page cache)";
	case 0x794c7630:
		return "overlayfs";
	}
	return "another file system";
}

struct result {
	double ns_per_rec;
	double mb_per_s; /* file bytes */
};

/*
 * One round: blocks of NREC records of @plen-byte payloads, written to a file (@do_write) or
 * only built, for about @secs seconds.
 */
static int round_run(uint32_t plen, bool do_write, double secs, struct result *res)
{
	static const uint8_t src[4] = { 10, 1, 2, 3 }, dst[4] = { 239, 1, 1, 1 };
	struct ocf_block_opts bo = {
		.max_records = NREC,
		.max_bytes = 1u << 20,
	};
	struct ocf_file_opts fo = { .channel = "bench", .start_ns = 1700000000000000000LL };
	struct ocf_envelope e = {
		.src_len = 4,
		.dst_len = 4,
		.src_port = 40000,
		.dst_port = 5000,
		.payload_len = plen,
		.ts_ns = 1700000000000000000LL,
	};
	uint8_t sync[OCF_SYNC_SIZE], hdr[XRELAY_PACKET_HDR_MAX];
	uint64_t records = 0, bytes = 0, hdr_end = 0;
	double t0, paused = 0, t;
	struct ocf_file *f = NULL;
	struct ocf_block *b;
	struct iovec *iov, parts[2];
	char name[OCF_NAME_MAX];
	int r, i, n;

	r = ocf_block_new(&bo, &b);
	if (r)
		return r;
	if (do_write) {
		r = ocf_file_open(dir_fd, &fo, &f);
		if (r)
			goto out_block;
		hdr_end = ocf_file_size(f);
	}
	r = ocf_header_sync_random(sync);
	if (r)
		goto out_file;
	for (i = 0; i < NREC; i++) {
		uint8_t *ip = frames + (size_t)i * FRAME_SIZE + HEADROOM + 14;

		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
	}
	t0 = now();
	do {
		for (i = 0; i < NREC; i++) {
			uint8_t *payload = frames + (size_t)i * FRAME_SIZE + HEADROOM + L2L4;

			/* The addresses come from the frame's IPv4 header. */
			e.src_addr = payload - 8 - 20 + 12;
			e.dst_addr = payload - 8 - 20 + 16;
			e.seq++;
			e.ts_ns += 1000;
			n = ocf_envelope_hdr(&e, hdr, sizeof(hdr));
			if (n < 0)
				goto out_err;
			parts[0] = (struct iovec){ hdr, (size_t)n };
			parts[1] = (struct iovec){ payload, plen };
			r = ocf_block_addv(b, parts, 2);
			if (r)
				goto out_file;
		}
		records += NREC;
		if (do_write) {
			r = testocf_write_block(f, b);
			if (r)
				goto out_file;
			if (ocf_file_size(f) >= CUT_BYTES) {
				t = now();
				bytes += ocf_file_size(f) - hdr_end;
				r = ocf_file_rewind(f, hdr_end, 0);
				if (r)
					goto out_file;
				paused += now() - t;
			}
		} else {
			r = ocf_block_finish(b, sync, &iov);
			if (r < 0)
				goto out_file;
			bytes += ocf_block_size(b);
			ocf_block_reset(b);
		}
	} while (now() - t0 - paused < secs);
	t = now() - t0 - paused;
	if (do_write)
		bytes += ocf_file_size(f) - hdr_end;
	res->ns_per_rec = t * 1e9 / (double)records;
	res->mb_per_s = (double)bytes / t / 1e6;
	r = 0;
	goto out_file;

out_err:
	r = n;
out_file:
	if (f) {
		int c = ocf_file_close(f, 0, name, sizeof(name));

		if (!r && c < 0)
			r = c;
		if (c == 0)
			(void)unlinkat(dir_fd, name, 0);
	}
out_block:
	ocf_block_free(b);
	return r;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of ROUNDS rounds. */
static int measure(uint32_t plen, bool do_write, struct result *res)
{
	double ns[ROUNDS], mb[ROUNDS], secs = do_write ? WRITE_SECS : BUILD_SECS;
	struct result one;
	int round, r;

	for (round = 0; round < ROUNDS; round++) {
		if (now() - t_start > DEADLINE_SECS)
			return -ETIME;
		r = round_run(plen, do_write, secs, &one);
		if (r)
			return r;
		ns[round] = one.ns_per_rec;
		mb[round] = one.mb_per_s;
	}
	qsort(ns, ROUNDS, sizeof(double), cmp_double);
	qsort(mb, ROUNDS, sizeof(double), cmp_double);
	res->ns_per_rec = ns[ROUNDS / 2];
	res->mb_per_s = mb[ROUNDS / 2];
	return 0;
}

int main(void)
{
	static const uint32_t sizes[] = { 64, 1000 };
	struct result w, bo, warm;
	size_t s, i;
	int r;

	t_start = now();
	snprintf(dir_path, sizeof(dir_path), "/tmp/bench_ocf.XXXXXX");
	if (!mkdtemp(dir_path)) {
		perror("bench_ocf: mkdtemp");
		return 1;
	}
	atexit(cleanup);
	dir_fd = open(dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	frames = aligned_alloc(4096, (size_t)NREC * FRAME_SIZE);
	if (dir_fd < 0 || !frames) {
		perror("bench_ocf: setup");
		return 1;
	}
	srand(1);
	for (i = 0; i < (size_t)NREC * FRAME_SIZE; i++)
		frames[i] = (uint8_t)rand();

	printf("Avro blocks: codec null, IPv4 envelope, %d records a block, files in %s: %s\n",
	       NREC, dir_path, fs_name(dir_path));
	printf("medians of %d rounds (%.1f s each written, %.1f s built only); MB/s = file bytes\n",
	       ROUNDS, WRITE_SECS, BUILD_SECS);
	printf("%-8s %14s %10s %18s %10s\n", "payload", "write ns/rec", "MB/s", "build-only ns/rec",
	       "MB/s");
	/* Warm the page cache, the allocator and the CPU's clocks. */
	r = round_run(1000, true, 0.2, &warm);
	if (r)
		goto out_err;
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		r = measure(sizes[s], true, &w);
		if (!r)
			r = measure(sizes[s], false, &bo);
		if (r)
			goto out_err;
		printf("%-8u %14.1f %10.0f %18.1f %10.0f\n", sizes[s], w.ns_per_rec, w.mb_per_s,
		       bo.ns_per_rec, bo.mb_per_s);
	}
	printf("(%.1f s in all)\n", now() - t_start);
	free(frames);
	return 0;

out_err:
	fprintf(stderr, "bench_ocf: %s\n", strerror(-r));
	free(frames);
	return 1;
}
