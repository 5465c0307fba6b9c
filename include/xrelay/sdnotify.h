/* SPDX-License-Identifier: MIT */
/*
 * The systemd notification protocol (sd_notify(3)), written out: one datagram to the unix
 * socket named by $NOTIFY_SOCKET, so that Type=notify units know when a program is ready and
 * WatchdogSec= sees it alive, without a dependency on libsystemd. Outside systemd (no
 * $NOTIFY_SOCKET) every call does nothing.
 */
#ifndef XRELAY_SDNOTIFY_H
#define XRELAY_SDNOTIFY_H

#include <linux/types.h>

/*
 * Send @state ("READY=1", "WATCHDOG=1", "STOPPING=1", "STATUS=...", newline-separated) to
 * $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace). Returns 1 sent, 0 when
 * there is no $NOTIFY_SOCKET, -EINVAL (a name too long or not absolute), or -errno of the send.
 * Never blocks (a full socket is -EAGAIN). Any thread.
 */
int sdnotify(const char *state);

/*
 * The watchdog interval systemd asks for ($WATCHDOG_USEC, when $WATCHDOG_PID is unset or this
 * process), in microseconds; 0 when there is none. Ping with sdnotify("WATCHDOG=1") at least
 * twice per interval.
 */
__u64 sdnotify_watchdog_usec(void);

#endif
