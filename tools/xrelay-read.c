// SPDX-License-Identifier: MIT
/*
 * xrelay-read: a recording's records as JSON lines, pcap or pcapng, within a time window, or
 * its sequence gaps and counts per shard. Flags, output and exit codes; the reading is
 * recset.c's (over dataplane/ocf_reader.c), the formats jsonl.c's and pcap.c's.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonl.h"
#include "pcap.h"
#include "recset.h"
#include "tally.h"
#include "timearg.h"

#define PROG "xrelay-read"

enum { EXIT_GAPS = 1, EXIT_USAGE = 2, EXIT_DAMAGED = 3, EXIT_OUTPUT = 4 };
enum fmt { FMT_JSONL, FMT_PCAP, FMT_PCAPNG };

static void usage(FILE *f)
{
	fprintf(f,
		"NAME\n"
		"    xrelay-read - read xrelay recordings as JSON lines, pcap or pcapng; find gaps\n"
		"\n"
		"SYNOPSIS\n"
		"    xrelay-read [OPTIONS] PATH...\n"
		"    xrelay-read --gaps [--snapshot STATS.json] PATH...\n"
		"    xrelay-read --stats PATH...\n"
		"\n"
		"DESCRIPTION\n"
		"    PATH is an Avro file written by xrelay or a channel's folder (its *.avro and\n"
		"    *.avro.part files). Files are grouped into shards by name (<channel>-q<queue>),\n"
		"    each shard read in file order, and the shards' records merged by ts_ns. A\n"
		"    .avro.part file (still being written) is read up to its last whole block.\n"
		"    Codecs null, deflate and snappy (its CRC32 checked).\n"
		"\n"
		"    A datum channel's files (records of the channel's own schema) are read too:\n"
		"    jsonl prints each datum as its schema's JSON encoding (records as objects,\n"
		"    unions as null or {\"type\": value}, enums as their symbol, bytes and fixed\n"
		"    in base64, or hex with --hex; logical types as their underlying type), and\n"
		"    --stats counts them. Datums carry no seq, time, addresses or ports, so pcap,\n"
		"    pcapng, --gaps and --from/--to name such a file on stderr and pass it over\n"
		"    (exit 3); their shards come first, in file order, not merged by time. The\n"
		"    rejected datagrams (<name>-rejected-... files) are envelopes as any.\n"
		"\n"
		"    With --from/--to, blocks outside the window are skipped without reading their\n"
		"    records: only each block's first record and sync marker are read, so a minute\n"
		"    out of a day of files reads a small part of them.\n"
		"\n"
		"OPTIONS\n"
		"    -f, --format jsonl|pcap|pcapng\n"
		"        jsonl (default): one JSON object a record: channel, queue, seq, ts_ns,\n"
		"        src_addr, src_port, dst_addr, dst_port (addresses as text), payload.\n"
		"        pcap (nanosecond timestamps) or pcapng: each datagram as an Ethernet frame\n"
		"        with IPv4 or IPv6 and UDP headers rebuilt from the record (lengths and\n"
		"        checksums correct, MAC addresses made up), for Wireshark or tcpreplay.\n"
		"    --hex\n"
		"        jsonl payloads (and datums' bytes and fixed values) in hex (default\n"
		"        base64).\n"
		"    -o, --output FILE\n"
		"        write to FILE instead of stdout.\n"
		"    --from TIME, --to TIME\n"
		"        only records with TIME_FROM <= ts_ns <= TIME_TO. TIME is RFC 3339 with up\n"
		"        to nine fraction digits (2026-12-02T10:00:00.5Z, ...+01:00) or ns since\n"
		"        the epoch.\n"
		"    --gaps\n"
		"        print each sequence gap per shard (seq range, count, the times around it)\n"
		"        and the totals instead of the records; exit 1 if there is one.\n"
		"    --snapshot FILE\n"
		"        with --gaps: the JSON of GET /stats (or /channels/NAME/stats) taken for\n"
		"        the recording; each shard's line adds its channel's drop counters.\n"
		"    --stats\n"
		"        print records, bytes, time span and rate per shard and in all.\n"
		"    --no-merge\n"
		"        shard after shard instead of merged by time.\n"
		"    -v, --verbose\n"
		"        at the end, print what was read on stderr: records, files, and the bytes\n"
		"        read from the disk (/proc/self/io read_bytes) against the files' size.\n"
		"    -h, --help\n"
		"        this text.\n"
		"\n"
		"DAMAGED INPUT\n"
		"    A file that is not an Avro container, has a schema that does not compile, a\n"
		"    torn tail, a bad sync marker, a truncated block, a deflate or snappy block that\n"
		"    does not unpack or a snappy CRC32 that does not match gets one line on stderr,\n"
		"        xrelay-read: FILE: byte OFFSET: what is wrong\n"
		"    its records up to there are kept, and reading goes on with the next file.\n"
		"\n"
		"EXIT STATUS\n"
		"    0 all read; 1 --gaps found a gap; 2 usage error; 3 some input was damaged or\n"
		"    unreadable (the rest was read); 4 the output could not be written.\n"
		"\n"
		"EXAMPLES\n"
		"    xrelay-read /var/lib/xrelay/feed-a | head\n"
		"    xrelay-read -f pcap -o minute.pcap --from 2026-12-02T10:00:00Z \\\n"
		"        --to 2026-12-02T10:00:59.999999999Z /var/lib/xrelay/feed-a\n"
		"    xrelay-read --gaps --snapshot <(curl -s localhost:8080/stats) /var/lib/xrelay/feed-a\n");
}

/* read_bytes of /proc/self/io, or -1. */
static long long io_read_bytes(void)
{
	char line[128];
	long long v = -1;
	FILE *f = fopen("/proc/self/io", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "read_bytes: %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int parse_time(const char *flag, const char *s, int64_t *ret)
{
	if (!timearg_parse(s, ret))
		return 0;
	fprintf(stderr, "xrelay-read: %s takes " TIMEARG_FORMS ", not \"%s\"\n", flag, s);
	return -EINVAL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
					      { "output", required_argument, NULL, 'o' },
					      { "from", required_argument, NULL, 'F' },
					      { "to", required_argument, NULL, 'T' },
					      { "gaps", no_argument, NULL, 'g' },
					      { "stats", no_argument, NULL, 's' },
					      { "snapshot", required_argument, NULL, 'S' },
					      { "hex", no_argument, NULL, 'x' },
					      { "no-merge", no_argument, NULL, 'm' },
					      { "verbose", no_argument, NULL, 'v' },
					      { "help", no_argument, NULL, 'h' },
					      { 0 } };
	struct recset_opts ro = {
		.from_ns = INT64_MIN,
		.to_ns = INT64_MAX,
		.merge = true,
		.damage = recset_damage_print,
		.ctx = (void *)PROG,
	};
	const char *output = NULL, *snapshot = NULL;
	bool gaps = false, stats = false, hex = false, verbose = false, records;
	enum fmt fmt = FMT_JSONL;
	uint64_t n = 0, too_long = 0;
	struct recset *rs = NULL;
	struct tally *t = NULL;
	struct recset_rec rec;
	struct datum_text dt = { 0 };
	char *buf = NULL;
	FILE *out = stdout;
	int c, e, rc = 0;

	while ((c = getopt_long(argc, argv, "f:o:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "jsonl"))
				fmt = FMT_JSONL;
			else if (!strcmp(optarg, "pcap"))
				fmt = FMT_PCAP;
			else if (!strcmp(optarg, "pcapng"))
				fmt = FMT_PCAPNG;
			else {
				fprintf(stderr,
					"xrelay-read: --format takes jsonl, pcap or pcapng, not \"%s\"\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o':
			output = optarg;
			break;
		case 'F':
			if (parse_time("--from", optarg, &ro.from_ns))
				return EXIT_USAGE;
			break;
		case 'T':
			if (parse_time("--to", optarg, &ro.to_ns))
				return EXIT_USAGE;
			break;
		case 'g':
			gaps = true;
			break;
		case 's':
			stats = true;
			break;
		case 'S':
			snapshot = optarg;
			break;
		case 'x':
			hex = true;
			break;
		case 'm':
			ro.merge = false;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "xrelay-read: see xrelay-read --help\n");
			return EXIT_USAGE;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "xrelay-read: no file or folder given (see --help)\n");
		return EXIT_USAGE;
	}
	if (gaps && stats) {
		fprintf(stderr, "xrelay-read: --gaps and --stats are two runs, not one\n");
		return EXIT_USAGE;
	}
	if (snapshot && !gaps) {
		fprintf(stderr, "xrelay-read: --snapshot goes with --gaps\n");
		return EXIT_USAGE;
	}
	if (ro.from_ns > ro.to_ns) {
		fprintf(stderr, "xrelay-read: --from is after --to\n");
		return EXIT_USAGE;
	}
	records = !(gaps || stats) || output;
	if (records && fmt != FMT_JSONL && !output && isatty(STDOUT_FILENO)) {
		fprintf(stderr,
			"xrelay-read: not writing pcap to a terminal: give -o FILE or a pipe\n");
		return EXIT_USAGE;
	}
	/* What datum files (no seq, time or addresses) cannot give: said per file, exit 3. */
	if (gaps)
		ro.needs = "--gaps needs";
	else if (records && fmt != FMT_JSONL)
		ro.needs = "pcap and pcapng need";
	e = recset_open(argv + optind, argc - optind, &ro, &rs);
	if (e) {
		fprintf(stderr, "xrelay-read: %s\n",
			e == -ENOENT ? "no Avro files to read" : strerror(-e));
		return EXIT_DAMAGED;
	}
	if (records && output) {
		out = fopen(output, "w");
		if (!out) {
			fprintf(stderr, "xrelay-read: %s: %s\n", output, strerror(errno));
			rc = EXIT_OUTPUT;
			goto out;
		}
	}
	if (records)
		setvbuf(out, NULL, _IOFBF, 1 << 20);
	if ((gaps || stats) && tally_new(recset_shards(rs), gaps ? stdout : NULL, &t)) {
		rc = EXIT_OUTPUT;
		goto out;
	}
	buf = malloc(jsonl_max(XRELAY_PACKET_PAYLOAD_MAX));
	if (!buf || (records && fmt != FMT_JSONL && pcap_begin(out, fmt == FMT_PCAPNG))) {
		rc = EXIT_OUTPUT;
		goto out;
	}
	while (!(e = recset_next(rs, &rec))) {
		n++;
		if (t)
			tally_add(t, &rec);
		if (!records)
			continue;
		if (rec.datum) { /* (pcap and --gaps pass datum files over: jsonl here) */
			e = jsonl_datum(&rec, hex, &dt);
			if (!e)
				e = fwrite(dt.buf, 1, dt.len, out) == dt.len ? 0 : -EIO;
			else if (e == -EBADMSG) /* cannot be: recset checked it */
				e = 0;
		} else if (fmt == FMT_JSONL) {
			size_t len = jsonl_format(&rec, hex, buf);

			e = fwrite(buf, 1, len, out) == len ? 0 : -EIO;
		} else {
			e = pcap_write(out, fmt == FMT_PCAPNG, &rec);
			if (e == -EMSGSIZE) {
				too_long++;
				e = 0;
			}
		}
		if (e)
			break;
	}
	if (records && (fflush(out) || ferror(out) || e == -EIO)) {
		fprintf(stderr, "xrelay-read: writing %s: %s\n", output ? output : "stdout",
			strerror(errno ? errno : EIO));
		rc = EXIT_OUTPUT;
		goto out;
	}
	if (too_long)
		fprintf(stderr,
			"xrelay-read: %" PRIu64 " record(s) left out of the capture: a payload too "
			"long for one UDP datagram\n",
			too_long);
	if (t && tally_print(t, rs, gaps, snapshot, stdout))
		rc = EXIT_USAGE;
	else if (recset_damaged(rs))
		rc = EXIT_DAMAGED;
	else if (gaps && tally_gaps(t))
		rc = EXIT_GAPS;
	if (verbose)
		fprintf(stderr,
			"xrelay-read: %" PRIu64 " records from %" PRIu64 " file(s) in %u shard(s); "
			"read_bytes %lld of %" PRIu64 " bytes of files\n",
			n, recset_files(rs), recset_shards(rs), io_read_bytes(),
			recset_bytes_total(rs));
out:
	if (out && out != stdout && fclose(out) && !rc)
		rc = EXIT_OUTPUT;
	free(buf);
	free(dt.buf);
	tally_free(t);
	recset_close(rs);
	return rc;
}
