// SPDX-License-Identifier: MIT
/*
 * xrelay-api: the control API server. Parses flags, opens (or creates) the pinned maps, serves
 * HTTP until SIGINT/SIGTERM, telling systemd when it listens (sdnotify.h). Runs whether or not
 * the dataplane runs.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "http.h"
#include "store.h"
#include "xrelay/bpffs.h"
#include "xrelay/cli.h"
#include "xrelay/log.h"
#include "xrelay/sdnotify.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: xrelay-api [OPTIONS]\n"
		"The xrelay control API: add, change and remove channels and read counters live,\n"
		"by editing the BPF maps pinned in --pin-dir (see openapi.yaml).\n"
		"\n"
		"  --listen HOST:PORT     listen on TCP (default 127.0.0.1:8080; [::1]:8080 for IPv6)\n"
		"  --listen unix:PATH     listen on a unix socket instead\n"
		"  --pin-dir DIR          pinned maps (default %s); created if missing\n"
		"  --token-file FILE      require 'Authorization: Bearer <token>' (token: the first\n"
		"                         line of FILE, 16-4096 printable characters)\n"
		"  --threads N            worker threads (default 4)\n"
		"  --max-connections N    concurrent connections (default 256)\n"
		"  --idle-timeout S       close connections idle for S seconds (default 30)\n"
		"  --request-timeout S    a request must arrive whole within S seconds (default 10)\n"
		"  --max-per-client N     connections per client address (default 32; 0 = no limit)\n"
		"  --insecure             allow --listen beyond loopback without --token-file\n"
		"  -v, --verbose          log every request\n"
		"  -h, --help             this text\n",
		store_default_pin_dir());
}

/* A numeric flag into an unsigned int. */
static int parse_uint(const char *flag, const char *s, unsigned int min, unsigned int max,
		      unsigned int *ret)
{
	__u64 v;
	int r = cli_parse_u64(flag, s, min, max, &v);

	if (!r)
		*ret = (unsigned int)v;
	return r;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "token-file", required_argument, NULL, 't' },
		{ "threads", required_argument, NULL, 'T' },
		{ "max-connections", required_argument, NULL, 'C' },
		{ "idle-timeout", required_argument, NULL, 'I' },
		{ "request-timeout", required_argument, NULL, 'R' },
		{ "max-per-client", required_argument, NULL, 'P' },
		{ "insecure", no_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct http_opts opts = {
		.listen = "127.0.0.1:8080",
		.threads = 4,
		.max_connections = 256,
		.idle_timeout_s = 30,
		.request_timeout_ms = 10000,
		.max_per_client = 32,
	};
	unsigned int request_timeout_s = 10;
	const char *pin_dir = store_default_pin_dir(), *token_file = NULL;
	struct store *store = NULL;
	struct http *http = NULL;
	char *token = NULL, err[512] = "";
	sigset_t set;
	int c, sig, r;

	log_set_prog("xrelay-api");
	log_route_libbpf();
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			opts.listen = optarg;
			break;
		case 'p':
			pin_dir = optarg;
			break;
		case 't':
			token_file = optarg;
			break;
		case 'T':
			if (parse_uint("--threads", optarg, 1, 64, &opts.threads))
				return 2;
			break;
		case 'C':
			if (parse_uint("--max-connections", optarg, 1, 65536,
				       &opts.max_connections))
				return 2;
			break;
		case 'I':
			if (parse_uint("--idle-timeout", optarg, 1, 3600, &opts.idle_timeout_s))
				return 2;
			break;
		case 'R':
			if (parse_uint("--request-timeout", optarg, 1, 3600, &request_timeout_s))
				return 2;
			opts.request_timeout_ms = request_timeout_s * 1000;
			break;
		case 'P':
			if (parse_uint("--max-per-client", optarg, 0, 65536, &opts.max_per_client))
				return 2;
			break;
		case 'S':
			opts.insecure = true;
			break;
		case 'v':
			log_level = LOG_LEVEL_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		pr_warn("unexpected argument '%s'", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (token_file) {
		r = auth_load(token_file, &token, err, sizeof(err));
		if (r) {
			pr_warn("%s", err);
			return 1;
		}
		if (err[0])
			pr_warn("%s", err);
	}

	/* Signals are taken synchronously below; the server threads must not see them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	r = bpffs_ensure(pin_dir, BPFFS_DEFAULT_MOUNT, err, sizeof(err));
	if (r < 0) {
		pr_warn("%s", err);
		free(token);
		return 1;
	}
	if (r == 1)
		pr_info("mounted the BPF file system at %s", BPFFS_DEFAULT_MOUNT);
	r = store_new(pin_dir, &store);
	if (r) {
		pr_warn("out of memory");
		return 1;
	}
	opts.store = store;
	opts.token = token;
	r = http_start(&opts, &http, err, sizeof(err));
	if (r) {
		pr_warn("%s", err);
		store_free(store);
		free(token);
		return 1;
	}
	pr_info("listening on %s, maps in %s%s", opts.listen, pin_dir,
		token ? ", bearer token required" : "");
	(void)sdnotify("READY=1");

	while (sigwait(&set, &sig) == 0 && sig != SIGINT && sig != SIGTERM)
		;
	pr_info("stopping (%s)", strsignal(sig));
	(void)sdnotify("STOPPING=1");
	http_stop(http);
	store_free(store);
	free(token);
	return 0;
}
