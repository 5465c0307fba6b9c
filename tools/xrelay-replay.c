// SPDX-License-Identifier: MIT
/*
 * xrelay-replay: sends a recording back onto the network at its recorded pacing (scaled), at
 * a fixed rate or as fast as it can, and says how closely it kept the schedule. Flags,
 * progress and summary; the reading is recset.c's, pacing pacer.c's, sending sender.c's.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pacer.h"
#include "recset.h"
#include "sender.h"
#include "timearg.h"

#define PROG "xrelay-replay"

enum { EXIT_USAGE = 2, EXIT_DAMAGED = 3, EXIT_SEND = 4 };

/* Records whose due times fall within this of a batch's first go out with it. */
#define BATCH_WINDOW_NS 20000

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"NAME\n"
		"    xrelay-replay - send an xrelay recording back onto the network, paced\n"
		"\n"
		"SYNOPSIS\n"
		"    xrelay-replay (--dest ADDR:PORT | --original) [OPTIONS] PATH...\n"
		"\n"
		"DESCRIPTION\n"
		"    Sends the payload of each record of the recording (files or channel folders,\n"
		"    shards merged by ts_ns, as xrelay-read reads them) as one UDP datagram, at the\n"
		"    recorded inter-arrival times. Each record's due time is computed from its ts_ns\n"
		"    against CLOCK_MONOTONIC (no sleep per packet): the sender sleeps, spins the last\n"
		"    80 us, and sends the records due together with one sendmmsg. The timing error\n"
		"    (sent minus due) of every datagram is tracked and summed up at the end.\n"
		"\n"
		"    A datum channel's files are not replayed: their records are the senders'\n"
		"    datums, without the receive time to pace them by or the addresses they came\n"
		"    to. Each is named on stderr and passed over (exit 3); the channel's rejected\n"
		"    datagrams (<name>-rejected-... files) are envelopes and replay as any.\n"
		"\n"
		"OPTIONS\n"
		"    -d, --dest ADDR:PORT\n"
		"        where to send: IPv4 or [IPv6], unicast or multicast.\n"
		"    --original\n"
		"        send each record to its recorded destination address and port instead.\n"
		"    --from TIME, --to TIME\n"
		"        only the records in this window (RFC 3339 or ns since the epoch; see\n"
		"        xrelay-read --help); blocks outside it are skipped unread.\n"
		"    --speed X\n"
		"        scale the recorded gaps: 2 sends twice as fast, 0.5 at half speed (default 1).\n"
		"    --rate PPS\n"
		"        a fixed rate, ignoring the recorded times.\n"
		"    --top-speed\n"
		"        as fast as the socket takes them.\n"
		"    --loop N\n"
		"        send the recording N times (default 1; 0 = until interrupted).\n"
		"    --ttl N\n"
		"        TTL / hop limit, unicast and multicast (default: the kernel's, 1 for groups).\n"
		"    --iface IF\n"
		"        send out of IF (SO_BINDTODEVICE, and the multicast interface).\n"
		"    --batch N\n"
		"        datagrams per sendmmsg at most (default 64).\n"
		"    --json\n"
		"        print the summary as one JSON object on stdout.\n"
		"    -q, --quiet\n"
		"        no progress line (it is printed only on a terminal anyway).\n"
		"    -h, --help\n"
		"        this text.\n"
		"\n"
		"OUTPUT\n"
		"    On a terminal, once a second: records sent, the rate, and the lag behind the\n"
		"    schedule. At the end, on stderr (or stdout with --json): records and bytes\n"
		"    sent, seconds, rate, the timing error's p50/p99/max, send errors.\n"
		"\n"
		"EXIT STATUS\n"
		"    0 all sent; 2 usage error; 3 some input was damaged (the rest was sent); 4\n"
		"    some datagrams could not be sent.\n"
		"\n"
		"EXAMPLES\n"
		"    xrelay-replay --dest 239.1.1.1:5000 --iface eth1 /var/lib/xrelay/feed-a\n"
		"    xrelay-replay --dest 10.0.0.7:6000 --speed 10 --from 2026-12-02T10:00:00Z \\\n"
		"        --to 2026-12-02T10:05:00Z /var/lib/xrelay/feed-a\n"
		"    xrelay-replay --original --top-speed --loop 3 feed-a-q0-20261202T100000Z-1.avro\n");
}

static int num(const char *flag, const char *s, double min, double *ret)
{
	char *end;
	double v = strtod(s, &end);

	if (*s && !*end && v >= min && v < 1e12) {
		*ret = v;
		return 0;
	}
	fprintf(stderr, "xrelay-replay: %s takes a number >= %g, not \"%s\"\n", flag, min, s);
	return -EINVAL;
}

struct run {
	struct recset *rs;
	struct pacer *p;
	struct sender *s;
	int64_t due[1024]; /* of the datagrams in the batch */
	int64_t start;
	bool progress;
	int64_t next_progress;
};

static void batch_send(struct run *r)
{
	unsigned int i, n = sender_queued(r->s);
	int64_t sent;

	if (!n)
		return;
	pacer_wait(r->due[0]);
	sent = pacer_now();
	(void)sender_flush(r->s);
	for (i = 0; i < n; i++)
		pacer_note(r->p, r->due[i], sent);
	if (r->progress && sent >= r->next_progress) {
		double secs = (double)(sent - r->start) / 1e9;

		fprintf(stderr, "\r%" PRIu64 " records, %.0f/s, lag %.3f ms   ", sender_sent(r->s),
			secs > 0 ? (double)sender_sent(r->s) / secs : 0.0,
			(double)pacer_last_lag(r->p) / 1e6);
		r->next_progress = sent + 1000000000ll;
	}
}

static int run_pass(struct run *r)
{
	struct recset_rec rec;
	int64_t due;
	int e;

	while (!stop && !(e = recset_next(r->rs, &rec))) {
		due = pacer_due(r->p, rec.e.ts_ns);
		/* Behind the schedule, everything already due goes out together. */
		if (sender_queued(r->s) &&
		    (sender_full(r->s) || (due > r->due[0] + BATCH_WINDOW_NS && due > pacer_now())))
			batch_send(r);
		r->due[sender_queued(r->s)] = due;
		(void)sender_add(r->s, &rec.e, rec.payload);
	}
	batch_send(r);
	return e < 0 ? e : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "dest", required_argument, NULL, 'd' },
					      { "original", no_argument, NULL, 'O' },
					      { "from", required_argument, NULL, 'F' },
					      { "to", required_argument, NULL, 'T' },
					      { "speed", required_argument, NULL, 'S' },
					      { "rate", required_argument, NULL, 'R' },
					      { "top-speed", no_argument, NULL, 't' },
					      { "loop", required_argument, NULL, 'l' },
					      { "ttl", required_argument, NULL, 'L' },
					      { "iface", required_argument, NULL, 'i' },
					      { "batch", required_argument, NULL, 'b' },
					      { "json", no_argument, NULL, 'j' },
					      { "quiet", no_argument, NULL, 'q' },
					      { "help", no_argument, NULL, 'h' },
					      { 0 } };
	struct recset_opts ro = {
		.from_ns = INT64_MIN,
		.to_ns = INT64_MAX,
		.merge = true,
		/* Datums carry no time to pace by and no address to send to: refused per file. */
		.needs = "replaying needs (pacing by ts_ns, --original's addresses)",
		.damage = recset_damage_print,
		.ctx = (void *)PROG,
	};
	struct sender_opts so = { .ttl = -1, .batch = 64 };
	struct sockaddr_storage dest;
	enum pacer_mode mode = PACER_RECORDED;
	double speed = 1, rate = 0, loops = 1, v;
	bool original = false, json = false, quiet = false, have_dest = false;
	struct run r = { 0 };
	char err[256];
	uint64_t pass, errors;
	int c, e, rc = 0, last_errno;
	int64_t end;

	while ((c = getopt_long(argc, argv, "d:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (sender_parse_dest(optarg, &dest)) {
				fprintf(stderr,
					"xrelay-replay: --dest takes ADDR:PORT or [ADDR6]:PORT, not \"%s\"\n",
					optarg);
				return EXIT_USAGE;
			}
			have_dest = true;
			break;
		case 'O':
			original = true;
			break;
		case 'F':
		case 'T':
			if (timearg_parse(optarg, c == 'F' ? &ro.from_ns : &ro.to_ns)) {
				fprintf(stderr,
					"xrelay-replay: %s takes " TIMEARG_FORMS ", not \"%s\"\n",
					c == 'F' ? "--from" : "--to", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'S':
			if (num("--speed", optarg, 1e-6, &speed))
				return EXIT_USAGE;
			mode = PACER_RECORDED;
			break;
		case 'R':
			if (num("--rate", optarg, 1e-3, &rate))
				return EXIT_USAGE;
			mode = PACER_RATE;
			break;
		case 't':
			mode = PACER_TOP;
			break;
		case 'l':
			if (num("--loop", optarg, 0, &loops))
				return EXIT_USAGE;
			break;
		case 'L':
			if (num("--ttl", optarg, 0, &v) || v > 255)
				return EXIT_USAGE;
			so.ttl = (int)v;
			break;
		case 'i':
			so.iface = optarg;
			break;
		case 'b':
			if (num("--batch", optarg, 1, &v) || v > 1024)
				return EXIT_USAGE;
			so.batch = (unsigned int)v;
			break;
		case 'j':
			json = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "xrelay-replay: see xrelay-replay --help\n");
			return EXIT_USAGE;
		}
	}
	if (have_dest == original) {
		fprintf(stderr, "xrelay-replay: give one of --dest ADDR:PORT or --original\n");
		return EXIT_USAGE;
	}
	if (optind == argc) {
		fprintf(stderr, "xrelay-replay: no file or folder given (see --help)\n");
		return EXIT_USAGE;
	}
	so.dest = have_dest ? &dest : NULL;
	e = recset_open(argv + optind, argc - optind, &ro, &r.rs);
	if (e) {
		fprintf(stderr, "xrelay-replay: %s\n",
			e == -ENOENT ? "no Avro files to read" : strerror(-e));
		return EXIT_DAMAGED;
	}
	e = sender_new(&so, &r.s, err, sizeof(err));
	if (e) {
		fprintf(stderr, "xrelay-replay: %s\n", err[0] ? err : strerror(-e));
		rc = EXIT_USAGE;
		goto out;
	}
	/* 2 ms of lead: the first blocks are read before the first record is due. */
	if (pacer_new(mode, speed, rate, 2000000, &r.p)) {
		rc = EXIT_SEND;
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	r.progress = !quiet && isatty(STDERR_FILENO);
	r.start = pacer_now();
	for (pass = 0; !stop && (loops == 0 || pass < (uint64_t)loops); pass++) {
		if (pass && (recset_rewind(r.rs), true))
			pacer_loop(r.p);
		if (run_pass(&r))
			break;
	}
	end = pacer_now();
	if (r.progress)
		fputc('\n', stderr);
	errors = sender_errors(r.s, &last_errno);
	{
		double secs = (double)(end - r.start) / 1e9;
		double pps = secs > 0 ? (double)sender_sent(r.s) / secs : 0;
		int64_t p50 = pacer_error_pct(r.p, 50), p99 = pacer_error_pct(r.p, 99),
			pmax = pacer_error_pct(r.p, 100);

		if (json)
			printf("{\"sent\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"seconds\": %.6f, "
			       "\"rate\": %.1f, \"error_p50_ns\": %" PRId64
			       ", \"error_p99_ns\": %" PRId64 ", \"error_max_ns\": %" PRId64
			       ", \"send_errors\": %" PRIu64 ", \"damaged_files\": %" PRIu64
			       ", \"interrupted\": %s}\n",
			       sender_sent(r.s), sender_bytes(r.s), secs, pps, p50, p99, pmax,
			       errors, recset_damaged(r.rs), stop ? "true" : "false");
		else
			fprintf(stderr,
				"xrelay-replay: sent %" PRIu64 " datagrams (%" PRIu64
				" bytes) in %.3f s, "
				"%.0f/s; timing error p50 %.1f us, p99 %.1f us, max %.1f us; %" PRIu64
				" send errors%s%s\n",
				sender_sent(r.s), sender_bytes(r.s), secs, pps, (double)p50 / 1e3,
				(double)p99 / 1e3, (double)pmax / 1e3, errors,
				errors ? ", the last: " : "", errors ? strerror(last_errno) : "");
	}
	if (recset_damaged(r.rs))
		rc = EXIT_DAMAGED;
	else if (errors)
		rc = EXIT_SEND;
out:
	pacer_free(r.p);
	sender_free(r.s);
	recset_close(r.rs);
	return rc;
}
