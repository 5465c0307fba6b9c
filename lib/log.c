// SPDX-License-Identifier: MIT
/* The one log printer of the programs, and the bridge from libbpf's and libxdp's printers. */
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "xrelay/log.h"

enum log_level log_level = LOG_LEVEL_INFO;
static const char *log_prog = "xrelay";

static const char *const level_names[] = {
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

void log_set_prog(const char *name)
{
	log_prog = name;
}

static void log_vprint(enum log_level level, const char *fmt, va_list ap)
{
	char line[1024];
	size_t n;

	if (level > log_level)
		return;
	n = (size_t)snprintf(line, sizeof(line), "%s: %s: ", log_prog, level_names[level]);
	if (n < sizeof(line))
		(void)vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	fprintf(stderr, "%s\n", line);
}

void log_print(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint(level, fmt, ap);
	va_end(ap);
}

static int libbpf_printer(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's warnings are often expected probes: demote every level by one. */
	log_vprint(level == LIBBPF_WARN ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG, fmt, ap);
	return 0;
}

static int libxdp_printer(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	log_vprint(level == LIBXDP_WARN ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG, fmt, ap);
	return 0;
}

void log_route_libbpf(void)
{
	libbpf_set_print(libbpf_printer);
	libxdp_set_print(libxdp_printer);
}
