#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The relay benchmark's driver: run by bench_relay.sh inside the stage it built (namespaces,
veth links, xrelay-api), never on its own. For each system and payload size it measures the
rate and loss at full offered load, finds the zero-loss rate by bisection (every datagram sent
in the file and, where re-sent, at the subscriber, over a probe of 5 s), the CPU time per
packet on each core, the peak RSS, and for the relays the one-way latency at half the zero-loss
rate; then xrelay's memory over a long full-load run. Prints the table with the ratios and
writes relay.json and relay.md into $BUILD/bench (and the results section of $BENCH_DOC).

Each probe starts the system afresh, sends with livegen from CPU 0 and stops the system, so
every count is of that probe alone: files are counted by reading their Avro block headers here
(not with xrelay's code), the subscriber and the ceilings by their own counters."""

import datetime
import glob
import json
import os
import platform
import signal
import subprocess
import sys
import threading
import time
import urllib.request

E = os.environ
NS, H, P, SP = E["BENCH_NS"], E["BENCH_H"], E["BENCH_P"], E["BENCH_SP"]
HMAC, H4, P4 = E["BENCH_HMAC"], E["BENCH_H4"], E["BENCH_P4"]
OUT, PIN, API, BUILD, TMP = E["BENCH_OUT"], E["BENCH_PIN"], E["BENCH_API"], E["BENCH_BUILD"], \
    E["BENCH_TMP"]
QUICK = E.get("QUICK", "0") not in ("", "0")
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

LIVEGEN = os.path.join(BUILD, "bench/livegen")
BENCHRX = os.path.join(BUILD, "bench/benchrx")
BASELINE = os.path.join(BUILD, "bench/baseline-relay")
DATAPLANE = os.path.join(BUILD, "xrelay-dataplane")

PORT, GROUP, GPORT, CHANNEL = 5000, "239.20.0.1", 6000, "bench"
PROBE_S = 1.0 if QUICK else 5.0
MEM_S = 5 if QUICK else 60
MAX_STEPS = 3 if QUICK else 7
TOL = 0.10 if QUICK else 0.03  # bisection stops when (hi - lo) / hi is below this
SIZES = [int(s) for s in E.get("BENCH_SIZES", "64" if QUICK else "64,1000").split(",")]
HZ = os.sysconf("SC_CLK_TCK")

SYSTEMS = [
    ("ceil-a", "ceiling A: XDP_DROP"),
    ("ceil-b", "ceiling B: AF_XDP copy mode, frames only returned"),
    ("xr-rec", "xrelay, recording only"),
    ("xr-relay", "xrelay, recording + re-send to 1 multicast group"),
    ("xr-relay-sock", "xrelay, the same through a socket (--xsk-tx off)"),
    ("xr-sock-rec", "xrelay socket backend (--mode socket), recording only"),
    ("xr-sock-relay", "xrelay socket backend, recording + re-send to 1 multicast group"),
    ("base-relay", "baseline, recording + re-send (recvmmsg, writev, sendmmsg)"),
    ("base-rec", "baseline, recording only"),
    ("xr-rec-disk", "xrelay, recording only, to the disk, 1 GiB files, --fsync close"),
    ("xr-rec-disk-nofsync", "xrelay, recording only, to the disk, 1 GiB files, --fsync never"),
]
# The disk systems measure what the fsync on close costs at the default rotation (issue 10):
# their files go to an ext4 file system on the machine's disk, not to the tmpfs, and are 1 GiB,
# so the probes are longer, for a file or more to close in each.
DISK = ("xr-rec-disk", "xr-rec-disk-nofsync")
DISK_OUT = E.get("BENCH_DISK_OUT", "")
DISK_PROBE_S = 15.0
if QUICK:  # the smoke run leaves out the diagnostic and the disk systems
    SYSTEMS = [s for s in SYSTEMS if s[0] != "xr-relay-sock" and s[0] not in DISK]
if E.get("BENCH_SYSTEMS"):
    SYSTEMS = [s for s in SYSTEMS if s[0] in E["BENCH_SYSTEMS"].split(",")]
if not DISK_OUT:
    SYSTEMS = [s for s in SYSTEMS if s[0] not in DISK]
RELAYS = ("xr-relay", "xr-relay-sock", "xr-sock-relay", "base-relay")


def log(msg):
    print("bench-relay: " + msg, flush=True)


class Fail(Exception):
    pass


def on_term(sig, frame):
    raise SystemExit(1)


signal.signal(signal.SIGTERM, on_term)


def peer(*args):
    return ["nsenter", "--net=/run/netns/" + NS] + list(args)


# --- counting ---------------------------------------------------------------------------------

def _long(f):
    """One Avro long (zig-zag varint) from f, or None at the end of the file."""
    shift = acc = 0
    while True:
        b = f.read(1)
        if not b:
            if shift:
                raise Fail("%s: the file ends inside a number" % f.name)
            return None
        acc |= (b[0] & 0x7F) << shift
        shift += 7
        if not b[0] & 0x80:
            return (acc >> 1) ^ -(acc & 1)


def avro_records(path):
    """Records in one Avro object container file, from its block headers (the spec's layout:
    magic, metadata map, sync; then count, size, data, sync per block). Checks each sync."""
    with open(path, "rb") as f:
        if f.read(4) != b"Obj\x01":
            raise Fail("%s: not an Avro object container file" % path)
        while True:
            n = _long(f)
            if n is None:
                raise Fail("%s: the header ends early" % path)
            if n == 0:
                break
            if n < 0:
                _long(f)
                n = -n
            for _ in range(2 * n):
                f.seek(_long(f), 1)
        sync = f.read(16)
        total = 0
        while True:
            n = _long(f)
            if n is None:
                return total
            size = _long(f)
            if n <= 0 or size is None or size < 0:
                raise Fail("%s: a bad block header" % path)
            f.seek(size, 1)
            if f.read(16) != sync:
                raise Fail("%s: a block without its sync marker (torn or misframed)" % path)
            total += n


ROTATE_BYTES = 32 << 20  # both relays start a new file past this


class FileCounter:
    """Counts a channel's files. While a probe runs, a thread on CPU 1 counts and removes the
    closed ones (both relays rename a file to .avro when they rotate it) every quarter second:
    as a recorder's retention would, and because on this VM memory that has been free for a
    while goes back to the host (virtio-balloon free page reporting), so a page cache that only
    grows takes a host fault per new page (dd into a tmpfs: 0.5 GB/s cold, 3 GB/s warm) and
    the writes, not the relay, would be measured. Files of 32 MiB cost about a millisecond
    each to remove, on the system's core, absorbed by its rings."""

    def __init__(self, chan_dir):
        self.dir, self.records, self.files = chan_dir, 0, 0
        self.stop_ev = threading.Event()
        self.error = None
        self.th = threading.Thread(target=self.run, daemon=True)
        self.th.start()

    def sweep(self):
        for path in sorted(glob.glob(os.path.join(self.dir, "*.avro"))):
            self.records += avro_records(path)
            self.files += 1
            os.unlink(path)

    def run(self):
        try:
            os.sched_setaffinity(0, {1})  # this thread only: not on the generator's core
            while not self.stop_ev.wait(0.25):
                self.sweep()
        except Exception as e:  # reported by finish()
            self.error = e

    def finish(self):
        """After the system stopped: the last files. Returns (records, files, leftover .part)."""
        self.stop_ev.set()
        self.th.join()
        if self.error:
            raise self.error
        self.sweep()
        parts = glob.glob(os.path.join(self.dir, "*.part"))
        return self.records, self.files, len(parts)


# --- processes --------------------------------------------------------------------------------

STARTED = []  # every process started here; what still runs at the end is killed


def start(name, argv, stdout=None):
    err = open(os.path.join(TMP, name + ".err"), "w")
    proc = subprocess.Popen(argv, stdout=stdout or subprocess.DEVNULL, stderr=err)
    STARTED.append(proc)
    return proc


def errtail(name):
    try:
        with open(os.path.join(TMP, name + ".err")) as f:
            return " ".join(f.read().split()[-40:])
    except OSError:
        return ""


def stop(proc, name, timeout=15):
    """SIGTERM, wait; KILL past timeout. Returns its stdout's last line parsed as JSON, if any."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        raise Fail("%s did not stop within %d s of SIGTERM" % (name, timeout))
    if proc.returncode != 0:
        raise Fail("%s exited %d: %s" % (name, proc.returncode, errtail(name)))
    lines = (out or b"").decode().strip().splitlines()
    return json.loads(lines[-1]) if lines else None


def wait_for(cond, what, proc, name, log, seconds=10):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return
        if proc.poll() is not None:
            raise Fail("%s exited at start (%d): %s" % (name, proc.returncode, errtail(log)))
        time.sleep(0.05)
    raise Fail("%s: %s not within %d s" % (name, what, seconds))


def start_ready(log, argv, cond, name, stdout=None):
    """Start a receiver and wait until cond() says it is ready. The kernel releases an AF_XDP
    socket (and its queue) a moment after its process exits: a start that finds the queue still
    bound ("busy") is tried again, for up to 2 s."""
    for attempt in range(20):
        proc = start(log, argv, stdout)
        try:
            wait_for(cond, "ready", proc, name, log)
            return proc
        except Fail:
            if proc.poll() is None or "busy" not in errtail(log) or attempt == 19:
                raise
            time.sleep(0.1)


def ready_file(name):
    path = os.path.join(TMP, name + ".ready")
    if os.path.exists(path):
        os.unlink(path)
    return path


def api(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(API + path, data=data, method=method)
    if data:
        req.add_header("Content-Type", "application/merge-patch+json" if method == "PATCH"
                       else "application/json")
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def proc_cpu_s(pid):
    """utime + stime of a process (all its threads), seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def proc_mem_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def cpu_busy():
    """Busy seconds of cpu0 and cpu1 so far: wall time less the time in idle states, which
    cpuidle counts to the microsecond. Not /proc/stat: it samples at the tick, and a generator
    paced in 1 ms slices runs in step with the tick, so the samples miss most of its work."""
    now = time.monotonic()
    busy = []
    for cpu in (0, 1):
        idle_us = 0
        for state in glob.glob("/sys/devices/system/cpu/cpu%d/cpuidle/state*/time" % cpu):
            with open(state) as f:
                idle_us += int(f.read())
        busy.append(now - idle_us / 1e6)
    return busy[0], busy[1]


def xmit_errors():
    """Frames the generator's veth could not hand to the system's side (its ring was full)."""
    out = subprocess.run(peer("ethtool", "-S", P), capture_output=True, text=True).stdout
    return sum(int(line.split()[1]) for line in out.splitlines()
               if "xdp_xmit_errors" in line)


def channel_stats():
    st, body = api("GET", "/channels/%s/stats" % CHANNEL)
    if st != 200:
        raise Fail("GET /channels/%s/stats answered %d: %s" % (CHANNEL, st, body))
    return body


# --- the systems --------------------------------------------------------------------------------

class System:
    """One system under test: start() before the generator, finish() after; finish returns what
    it delivered: {"file": records or None, "sub": datagrams at the subscriber or None,
    "rx": what a ceiling received or None} and extra details."""

    def __init__(self, key):
        self.key = key
        self.pid = None
        self.sub = None
        self.out = DISK_OUT if key in DISK else OUT
        self.probe_s = DISK_PROBE_S if key in DISK else PROBE_S

    def start_sub(self, sample):
        rf = ready_file("sub")
        self.sub = start_ready("sub", peer(BENCHRX, "sub", "--dev", P, "--port", str(GPORT),
                                           "--sample", str(sample), "--ready-file", rf),
                               lambda: os.path.exists(rf), "benchrx sub", subprocess.PIPE)

    def finish_sub(self):
        return stop(self.sub, "benchrx sub")

    def configure(self):
        pass


class Ceiling(System):
    def start(self, size, sample):
        mode = "drop" if self.key == "ceil-a" else "xsk"
        rf = ready_file("rx")
        argv = [BENCHRX, mode, "--dev", H, "--port", str(PORT), "--ready-file", rf]
        if mode == "xsk":
            argv += ["--queue", "0", "--cpu", "1"]
        self.proc = start_ready("rx", argv, lambda: os.path.exists(rf), "benchrx " + mode,
                                subprocess.PIPE)
        self.pid = self.proc.pid

    def finish(self):
        j = stop(self.proc, "benchrx")
        return {"rx": j["packets"], "detail": j}


class Xrelay(System):
    def configure(self):
        dests = []
        if self.key in RELAYS:
            dests = [{"addr": GROUP, "port": GPORT, "ttl": 1, "interface": H}]
        record = E.get("BENCH_RECORD", "1") != "0"  # 0: a diagnostic run, files not counted
        st, body = api("GET", "/channels/" + CHANNEL)
        if st == 404:
            st, body = api("POST", "/channels", {"name": CHANNEL, "addr": H4, "port": PORT,
                                                 "destinations": dests, "record": record})
            if st != 201:
                raise Fail("POST /channels answered %d: %s" % (st, body))
        else:
            st, body = api("PATCH", "/channels/" + CHANNEL, {"destinations": dests,
                                                             "record": record})
            if st != 200:
                raise Fail("PATCH /channels/%s answered %d: %s" % (CHANNEL, st, body))

    def start(self, size, sample):
        if self.key in RELAYS:
            self.start_sub(sample)
        self.counter = FileCounter(os.path.join(self.out, CHANNEL))
        argv = [DATAPLANE, "--iface", H, "--out", self.out, "--pin-dir", PIN, "--cpus", "1",
                "--xdp-mode", "native"]
        if self.key not in DISK:
            argv += ["--rotate-bytes", str(ROTATE_BYTES)]  # else the default, 1 GiB
        if self.key == "xr-relay-sock":
            argv += ["--xsk-tx", "off"]
        if self.key == "xr-rec-disk-nofsync":
            argv += ["--fsync", "never"]
        if self.key.startswith("xr-sock"):
            argv += ["--mode", "socket"]
        argv += E.get("BENCH_DP_ARGS", "").split()

        def running():
            try:
                st, body = api("GET", "/healthz")
                return st == 200 and body["dataplane"]["running"] is True
            except (OSError, KeyError, TypeError, ValueError):
                return False
        self.proc = start_ready("dataplane", argv, running, "xrelay-dataplane")
        self.pid = self.proc.pid
        self.stats0 = channel_stats()

    def finish(self):
        stop(self.proc, "xrelay-dataplane")
        records, files, parts = self.counter.finish()
        if parts:
            raise Fail("xrelay-dataplane left %d .part file(s) after SIGTERM" % parts)
        s1 = channel_stats()
        d = {k: s1[k] - self.stats0[k] for k in ("rx_packets", "recorded_packets",
                                                 "sent_packets", "dropped_packets",
                                                 "send_errors", "write_errors")}
        d["drops"] = {k: v - self.stats0["drops"].get(k, 0) for k, v in s1["drops"].items()
                      if v - self.stats0["drops"].get(k, 0)}
        r = {"file": records, "files": files, "detail": d}
        if self.sub:
            r["sub"] = self.finish_sub()
            self.sub = None
        return r


class Baseline(System):
    def start(self, size, sample):
        argv = [BASELINE, "--bind", H4, "--port", str(PORT), "--out", OUT, "--channel",
                CHANNEL, "--cpu", "1", "--rotate-bytes", str(ROTATE_BYTES)]
        if self.key == "base-relay":
            self.start_sub(sample)
            argv += ["--dest", "%s:%d" % (GROUP, GPORT), "--dest-if", H, "--ttl", "1"]
        else:
            argv += ["--no-send"]
        self.counter = FileCounter(os.path.join(OUT, CHANNEL))
        # Ready once its file exists: it binds the socket before it creates the file.
        self.proc = start_ready("baseline", argv,
                                lambda: glob.glob(os.path.join(OUT, CHANNEL, "*.avro.part")),
                                "baseline-relay", subprocess.PIPE)
        self.pid = self.proc.pid

    def finish(self):
        j = stop(self.proc, "baseline-relay")
        records, files, parts = self.counter.finish()
        if parts:
            raise Fail("baseline-relay left %d .part file(s) after SIGTERM" % parts)
        r = {"file": records, "files": files, "detail": j}
        if self.sub:
            r["sub"] = self.finish_sub()
            self.sub = None
        return r


def make_system(key):
    if key.startswith("ceil"):
        return Ceiling(key)
    if key.startswith("xr"):
        return Xrelay(key)
    return Baseline(key)


# --- one probe ----------------------------------------------------------------------------------

def livegen_argv(size, rate, seconds, latency):
    argv = [LIVEGEN, "--dev", P, "--dst-mac", HMAC, "--src", P4, "--dst", H4, "--dport",
            str(PORT), "--sport", "40000", "--cpu", "0", "--size", str(size), "--seconds",
            str(seconds), "--attach-dev", SP]
    argv += ["--rate", str(int(rate))] if rate else ["--flat-out"]
    if latency:
        # Small bursts and a clock reading per frame: the latency of each datagram, not of
        # the wait of a 1 ms slice's burst for its turn.
        argv += ["--stamp", "frame", "--slice-us", E.get("BENCH_SLICE_US", "20")]
    return peer(*argv)


def probe(sysobj, size, rate, seconds=None, latency=False, rss_every=0):
    """One run at rate (None: flat out) for seconds (default: the system's probe length).
    Returns a dict of the figures of that run."""
    seconds = seconds or sysobj.probe_s
    for f in glob.glob(os.path.join(sysobj.out, CHANNEL, "*")):
        os.unlink(f)
    sysobj.start(size, 1 if latency else 16)
    x0 = xmit_errors()
    c0 = cpu_busy()
    p0 = proc_cpu_s(sysobj.pid)
    rss = []
    gen = start("livegen", livegen_argv(size, rate, seconds, latency), stdout=subprocess.PIPE)
    if rss_every:
        t0 = time.monotonic()
        while gen.poll() is None:
            time.sleep(rss_every)
            rss.append((round(time.monotonic() - t0, 1),
                        proc_mem_kb(sysobj.pid, "VmRSS")))
    out, _ = gen.communicate(timeout=seconds + 30)
    c1 = cpu_busy()
    p1 = proc_cpu_s(sysobj.pid)
    if gen.returncode != 0:
        sysobj.finish()
        raise Fail("livegen exited %d: %s" % (gen.returncode, errtail("livegen")))
    g = json.loads(out.decode().strip().splitlines()[-1])
    time.sleep(0.3)  # what is in the rings and queues reaches its end
    hwm = proc_mem_kb(sysobj.pid, "VmHWM")
    x1 = xmit_errors()
    got = sysobj.finish()
    sent = g["sent"]
    delivered = [v for v in (got.get("rx"), got.get("file"),
                             got.get("sub", {}).get("packets") if got.get("sub") else None)
                 if v is not None]
    worst = min(delivered)
    r = {
        "system": sysobj.key, "size": size, "offered": rate, "sent": sent,
        "seconds": g["seconds"], "send_rate": g["rate"], "delivered": worst,
        "delivered_rate": worst / g["seconds"], "lost": sent - worst,
        "loss_pct": 100.0 * (sent - worst) / sent if sent else 0.0,
        "zero_loss": sent > 0 and all(v == sent for v in delivered),
        "over": [v for v in delivered if v > sent],
        "xmit_errors": x1 - x0,
        "cpu0_ns": (c1[0] - c0[0]) * 1e9 / max(worst, 1),
        "cpu1_ns": (c1[1] - c0[1]) * 1e9 / max(worst, 1),
        "cpu0_load": (c1[0] - c0[0]) / g["seconds"], "cpu1_load": (c1[1] - c0[1]) / g["seconds"],
        "sut_ns": (p1 - p0) * 1e9 / max(worst, 1), "sut_cpu_s": p1 - p0,
        "gen_cpu_s": g["cpu_user_s"] + g["cpu_sys_s"],
        "hwm_kb": hwm, "rss": rss, "got": got,
    }
    if r["over"]:
        raise Fail("%s counted more than livegen sent (%s > %d): a counting error" %
                   (sysobj.key, r["over"], sent))
    return r


def describe(r):
    s = "%-10s %4d B %s: sent %d at %.0f/s, delivered %d (%.3f%% lost)" % (
        r["system"], r["size"], "flat out" if not r["offered"] else "%9.0f/s" % r["offered"],
        r["sent"], r["send_rate"], r["delivered"], r["loss_pct"])
    if r["xmit_errors"]:
        s += ", %d refused by the veth" % r["xmit_errors"]
    d = r["got"].get("detail", {})
    if d.get("drops"):
        s += ", xrelay drops %s" % d["drops"]
    if "rcvbuf_drops" in d and d["rcvbuf_drops"]:
        s += ", socket drops %d" % d["rcvbuf_drops"]
    if r["got"].get("files") is not None:
        s += ", %d file(s) closed" % r["got"]["files"]
    if r["got"].get("sub") is not None and r["got"].get("file") is not None:
        s += " (file %d, subscriber %d)" % (r["got"]["file"], r["got"]["sub"]["packets"])
    s += "; cpu0 %.0f%%, cpu1 %.0f%%" % (100 * r["cpu0_load"], 100 * r["cpu1_load"])
    return s


def zero_loss_rate(sysobj, size, full):
    """Bisection on the offered rate, from the full-load result: the highest rate whose probe
    lost nothing. Returns (rate, probe) or (0, None); rate is a lower bound when the system
    kept up with the generator flat out."""
    if full["zero_loss"]:
        return full["send_rate"], full, True
    lo, hi, best = 0.0, float(full["send_rate"]), None
    r = max(full["delivered_rate"] * 0.9, 1000.0)
    for _ in range(MAX_STEPS):
        p = probe(sysobj, size, r)
        log("  " + describe(p))
        if p["zero_loss"]:
            lo, best = r, p
        else:
            hi = r
        if lo and (hi - lo) / hi <= TOL:
            break
        if lo == 0:
            r = r * 0.5
        elif hi >= full["send_rate"] and lo * 1.3 < hi:
            r = lo * 1.3  # passed: look above geometrically before bisecting
        else:
            r = (lo + hi) / 2
    return lo, best, False


# --- the run ------------------------------------------------------------------------------------

def main():
    t_start = time.monotonic()
    os.makedirs(os.path.join(BUILD, "bench"), exist_ok=True)
    results = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "kernel": platform.release(), "cpu": cpu_model(), "cpus": os.cpu_count(),
               "quick": QUICK, "probe_s": PROBE_S, "systems": {}, "memory": None}
    perf = E.get("BENCH_PERF", "0") not in ("", "0")
    if E.get("BENCH_LATENCY_AT"):
        # Diagnostics: only the latency probe, at this rate, of each relay named.
        for key, label in SYSTEMS:
            sysobj = make_system(key)
            sysobj.configure()
            for size in SIZES:
                p = probe(sysobj, size, float(E["BENCH_LATENCY_AT"]), latency=True)
                sub = p["got"].get("sub") or {}
                log("%s; latency us p50 %s p99 %s p99.9 %s max %s" % (
                    describe(p), *[None if sub.get(k) is None else round(sub[k] / 1e3, 1)
                                   for k in ("lat_p50_ns", "lat_p99_ns", "lat_p999_ns",
                                             "lat_max_ns")]))
        return
    for key, label in SYSTEMS:
        sysobj = make_system(key)
        sysobj.configure()
        for size in SIZES:
            log("%s, %d-byte payloads: %s" % (key, size, label))
            full = probe(sysobj, size, None)
            log("  " + describe(full))
            zl, zp, bound = zero_loss_rate(sysobj, size, full)
            log("  zero-loss rate %s%.0f/s" % (">= " if bound else "", zl))
            lat = None
            if key in RELAYS and zl:
                lat = probe(sysobj, size, zl / 2, latency=True)
                log("  latency at %.0f/s: %s" % (zl / 2, describe(lat)))
            if perf and size == SIZES[0]:
                perf_profile(sysobj, size)
            results["systems"].setdefault(key, {"label": label, "sizes": {}})["sizes"][
                str(size)] = {"full": slim(full), "zero_loss_rate": zl, "zero_loss_bound": bound,
                              "zero_loss_probe": slim(zp) if zp else None,
                              "latency": slim(lat) if lat else None}
    if any(k == "xr-relay" for k, _ in SYSTEMS):
        sysobj = make_system("xr-relay")
        sysobj.configure()
        log("xrelay memory: recording + re-send, flat out for %d s, VmRSS every second" % MEM_S)
        m = probe(sysobj, SIZES[0], None, seconds=MEM_S, rss_every=1.0)
        log("  " + describe(m))
        results["memory"] = {"seconds": MEM_S, "rss": m["rss"], "hwm_kb": m["hwm_kb"],
                             "delivered_rate": m["delivered_rate"], "loss_pct": m["loss_pct"]}
    results["elapsed_s"] = round(time.monotonic() - t_start, 1)
    with open(os.path.join(BUILD, "bench", "relay.json"), "w") as f:
        json.dump(results, f, indent=1)
    md = render(results)
    with open(os.path.join(BUILD, "bench", "relay.md"), "w") as f:
        f.write(md)
    print(md)
    doc = E.get("BENCH_DOC")
    if doc:
        write_doc(doc, md)
        log("results written into %s" % doc)


def slim(r):
    return {k: v for k, v in r.items() if k != "rss"} if r else r


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.machine()


def perf_profile(sysobj, size):
    """perf record of both cores while the system runs flat out, its top symbols kept."""
    data = os.path.join(BUILD, "bench", "perf-%s-%d.data" % (sysobj.key, size))
    rec = start("perf", ["perf", "record", "-q", "-a", "-C", "0,1", "-g", "-o", data, "--",
                         "sleep", str(PROBE_S)])
    r = probe(sysobj, size, None)
    rec.wait()
    rep = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children",
                          "--sort", "cpu,comm,sym", "--percent-limit", "0.7", "-g", "none"],
                         capture_output=True, text=True)
    path = data[:-5] + ".txt"
    with open(path, "w") as f:
        f.write(describe(r) + "\n" + rep.stdout)
    log("  perf profile of both cores at full load: %s" % path)


def fmt_rate(v):
    return "%.2f M/s" % (v / 1e6) if v >= 1e6 else "%.0f k/s" % (v / 1e3)


def render(res):
    S = res["systems"]
    lines = ["Run %s, kernel %s, %s (%d vCPUs)%s; probes of %.0f s; generator (livegen) on CPU 0,"
             " system on CPU 1." % (res["date"], res["kernel"], res["cpu"], res["cpus"],
                                     ", QUICK" if res["quick"] else "", res["probe_s"]), ""]
    lines += ["| system | payload | zero-loss rate | full load: rate (loss) | CPU 0 ns/pkt |"
              " CPU 1 ns/pkt | system's CPU ns/pkt | peak RSS | latency p50 / p99 / p99.9 |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for key, s in S.items():
        for size, z in s["sizes"].items():
            f = z["full"]
            lat = z["latency"]
            ltxt = "-"
            if lat:
                sub = lat["got"]["sub"]
                if sub.get("lat_p50_ns") is not None:
                    ltxt = "%.1f / %.1f / %.1f us" % (sub["lat_p50_ns"] / 1e3,
                                                    sub["lat_p99_ns"] / 1e3,
                                                    sub["lat_p999_ns"] / 1e3)
            lines.append("| %s | %s B | %s%s | %s (%.1f%%) | %.0f | %.0f | %.0f | %.1f MiB | %s |" % (
                s["label"], size, ">= " if z["zero_loss_bound"] else "",
                fmt_rate(z["zero_loss_rate"]), fmt_rate(f["delivered_rate"]), f["loss_pct"],
                f["cpu0_ns"], f["cpu1_ns"], f["sut_ns"], f["hwm_kb"] / 1024.0, ltxt))
    lines.append("")
    ratios = [("xr-rec", "ceil-b", "xrelay recording / ceiling B", 0.65),
              ("xr-rec", "base-rec", "xrelay recording / baseline recording", 3.0),
              ("xr-relay", "base-relay", "xrelay relay / baseline relay", 1.5),
              ("xr-relay-sock", "base-relay", "xrelay relay through a socket / baseline relay",
               None),
              ("xr-relay", "ceil-b", "xrelay relay / ceiling B", None),
              ("xr-sock-rec", "base-rec",
               "xrelay socket backend recording / baseline recording", 1.3),
              ("xr-sock-relay", "base-relay", "xrelay socket backend relay / baseline relay",
               None),
              ("xr-sock-rec", "xr-rec", "xrelay socket backend / XDP mode, recording", None),
              ("ceil-b", "ceil-a", "ceiling B / ceiling A", None)]
    rows = []
    for a, b, what, goal in ratios:
        if a not in S or b not in S:
            continue
        for size in S[a]["sizes"]:
            za, zb = S[a]["sizes"][size], S[b]["sizes"].get(size)
            if not zb or not zb["zero_loss_rate"]:
                continue
            q = za["zero_loss_rate"] / zb["zero_loss_rate"]
            verdict = ""
            if goal is not None and size == "64":
                verdict = "reached (goal >= %.2f)" % goal if q >= goal else \
                    "MISSED (goal >= %.2f)" % goal
            rows.append("| %s | %s B | %.2f | %s |" % (what, size, q, verdict))
    if rows:
        lines += ["| zero-loss ratio | payload | ratio | the issues' figure (5, 11) |",
                  "| --- | --- | --- | --- |"] + rows + [""]
    m = res.get("memory")
    if m and m["rss"]:
        rss = m["rss"]
        warm = [kb for t, kb in rss if t >= min(10, m["seconds"] / 2)]
        lines.append("xrelay memory, recording + re-send flat out for %d s (%s delivered, %.2f%% "
                     "lost): VmRSS %.1f MiB after 1 s, %.1f MiB at %.0f s, %.1f MiB at the end; "
                     "growth after warm-up %+.1f MiB; VmHWM %.1f MiB." % (
                         m["seconds"], fmt_rate(m["delivered_rate"]), m["loss_pct"],
                         rss[0][1] / 1024, warm[0] / 1024 if warm else 0,
                         min(10, m["seconds"] / 2), rss[-1][1] / 1024,
                         (rss[-1][1] - (warm[0] if warm else rss[0][1])) / 1024,
                         m["hwm_kb"] / 1024))
        lines.append("")
    return "\n".join(lines) + "\n"


BEGIN, END = "<!-- results: begin (written by make bench) -->", "<!-- results: end -->"


def write_doc(path, md):
    with open(path) as f:
        doc = f.read()
    if BEGIN not in doc or END not in doc:
        raise Fail("%s has no results markers (%s ... %s)" % (path, BEGIN, END))
    head, rest = doc.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    with open(path, "w") as f:
        f.write(head + BEGIN + "\n" + md + END + tail)


if __name__ == "__main__":
    try:
        main()
    except Fail as e:
        log("FAIL - %s" % e)
        sys.exit(1)
    finally:
        for p in STARTED:
            if p.poll() is None:
                p.kill()
                p.wait()
