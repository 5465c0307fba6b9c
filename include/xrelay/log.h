/* SPDX-License-Identifier: MIT */
/*
 * Logging for the programs' main side: one printer, three levels, libbpf's own messages routed
 * in one level lower. Library modules (lib/, api/) do not log; they return -errno and, where a
 * reason helps, a message buffer.
 */
#ifndef XRELAY_LOG_H
#define XRELAY_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_WARN = 0,
	LOG_LEVEL_INFO = 1,
	LOG_LEVEL_DEBUG = 2,
};

/* Messages above this level are dropped; default LOG_LEVEL_INFO. Not thread-safe to change. */
extern enum log_level log_level;

/*
 * Print one line to stderr with the program name and level. Thread-safe (one fprintf a line).
 * May block on stderr: never call it per packet.
 */
void log_print(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Route libbpf's and libxdp's printers into log_print, one level lower than they ask. */
void log_route_libbpf(void);

/* Set the name printed before each line (argv[0]'s basename, say); not copied. */
void log_set_prog(const char *name);

#define pr_warn(fmt, ...) log_print(LOG_LEVEL_WARN, fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) log_print(LOG_LEVEL_INFO, fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) log_print(LOG_LEVEL_DEBUG, fmt, ##__VA_ARGS__)

#endif /* XRELAY_LOG_H */
