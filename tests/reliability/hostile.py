#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Hostile clients against xrelay-api, and one ordinary client that must still be served.

usage: hostile.py PORT SECONDS TRICKLERS

From 127.0.0.1: TRICKLERS connections, half trickling a request's headers a byte at a time, half
announcing a body (Content-Length 60000) and trickling it, each byte every 0.5 s. From
127.0.0.2 meanwhile: an ordinary client making one request after another (GET /stats, POST and
DELETE of a channel), each timed. Prints one JSON object: the ordinary client's requests and
their slowest and median time, how many trickling connections the server refused at once,
held, and cut off, and the longest a trickling connection lived."""
import json
import socket
import statistics
import sys
import time

port, seconds, n = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])


def ordinary(path, method="GET", body=None):
    c = socket.create_connection(("127.0.0.1", port), 5, source_address=("127.0.0.2", 0))
    c.settimeout(5)
    head = "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" % (method, path)
    if body is not None:
        head += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
    t = time.time()
    c.sendall((head + "\r\n" + (body or "")).encode())
    reply = b""
    while True:
        chunk = c.recv(65536)
        if not chunk:
            break
        reply += chunk
    c.close()
    return time.time() - t, int(reply.split(b" ", 2)[1]) if reply else 0


socks, born = [], {}
for i in range(n):
    try:
        s = socket.create_connection(("127.0.0.1", port), 2)
    except OSError:
        continue
    if i % 2:
        s.sendall(b"POST /channels HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 60000\r\n\r\n{")
    else:
        s.sendall(b"GET /stats HTTP/1.1\r\nHost: x\r\n")
    s.setblocking(False)
    socks.append(s)
    born[s] = time.time()

def closed(s):
    """Whether the server closed the (non-blocking) socket s."""
    try:
        return s.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


# Those over the per-address limit are closed at once: count them before any byte more.
time.sleep(0.3)
refused, cut, lived = 0, 0, 0.0
alive = set(socks)
for s in socks:
    if closed(s):
        refused += 1
        alive.discard(s)
times, statuses = [], []
t0 = time.time()
next_byte = t0
k = 0
while time.time() - t0 < seconds:
    if time.time() >= next_byte:
        next_byte += 0.5
        for s in list(alive):
            if closed(s):
                cut += 1
                lived = max(lived, time.time() - born[s])
                alive.discard(s)
                continue
            try:
                s.send(b"x")
            except BlockingIOError:
                pass
            except OSError:
                pass
    k += 1
    name = "hostile-%d" % k
    for method, path, body in (("GET", "/stats", None),
                               ("POST", "/channels",
                                json.dumps({"name": name, "port": 20000 + k % 10000})),
                               ("DELETE", "/channels/" + name, None)):
        dt, st = ordinary(path, method, body)
        times.append(dt)
        statuses.append(st)
    time.sleep(0.05)
for s in socks:
    s.close()
print(json.dumps({
    "requests": len(times),
    "slowest_s": round(max(times), 3),
    "median_s": round(statistics.median(times), 4),
    "statuses": ",".join(str(x) for x in sorted(set(statuses))),
    "tricklers": n, "connected": len(socks), "refused": refused, "cut_off": cut,
    "still_open": len(alive), "longest_lived_s": round(lived, 1),
}))
