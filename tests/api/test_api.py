#!/usr/bin/python3
"""End-to-end tests of xrelay-api: the real server on loopback (and on a unix socket), real
maps pinned in a private bpffs, driven with curl. After every change the pinned maps are read
back with bpftool and decoded here with struct, independently of the C code; every response
is written to a JSONL file that validate.mjs checks against openapi.yaml at the end.

Runs itself in fresh mount and network namespaces (unshare), so nothing it makes outlives it.
Usage: test_api.py [BUILD_DIR]   (default $BUILD, else build)
"""
import http.client
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                        os.environ.get("BUILD") or os.path.join(ROOT, "build"))
API = os.path.join(BUILD, "xrelay-api")
PIN = "/sys/fs/bpf/xrelay-test"
WORK = None  # temporary directory: logs, responses, token, unix socket
RESPONSES = None
NCPU = None

# struct layouts from include/xrelay/maps.h, decoded independently of the C code
CFG_FMT = "<IIQQ16sHHI64s" + "16sHBBI16s" * 8 + "QII64x"
DP_FMT = "<6Q11Q2Q1Q9Q2Q1Q"  # see struct xrelay_dp_chan_stats
assert struct.calcsize(CFG_FMT) == 512 and struct.calcsize(DP_FMT) == 256


def possible_cpus():
    n = 0
    with open("/sys/devices/system/cpu/possible") as f:
        for part in f.read().strip().split(","):
            a, _, b = part.partition("-")
            n += int(b or a) - int(a) + 1
    return n


def sh(*args, check=True, **kw):
    return subprocess.run(args, check=check, capture_output=True, text=True, **kw)


def bpftool_json(*args):
    return json.loads(sh("bpftool", "-j", *args).stdout)


def hexbytes(lst):
    return bytes(int(x, 16) for x in lst)


def u32le(v):
    return ["%d" % b for b in struct.pack("<I", v)]


def cfg_slot(chan_id, pin=PIN):
    """Decode channel_cfg[chan_id] from the pinned map."""
    j = bpftool_json("map", "lookup", "pinned", pin + "/xrelay_cfg", "key", *u32le(chan_id))
    f = struct.unpack(CFG_FMT, hexbytes(j["value"]))
    dests = []
    for i in range(f[7] if f[7] <= 8 else 0):
        addr, port, ttl, _pad, every, ifname = f[9 + i * 6: 15 + i * 6]
        dests.append({"addr": addr, "port": socket.ntohs(port), "ttl": ttl, "every": every,
                      "ifname": ifname.rstrip(b"\0").decode()})
    return {"state": f[0], "flags": f[1], "generation": f[2], "created_ns": f[3],
            "addr": f[4], "port": socket.ntohs(f[5]), "ndests": f[7],
            "name": f[8].rstrip(b"\0").decode(), "dests": dests}


def channel_keys(pin=PIN):
    """{(addr16, port): id} from the pinned channels hash."""
    out = {}
    for e in bpftool_json("map", "dump", "pinned", pin + "/xrelay_chans"):
        k = hexbytes(e["key"])
        out[(k[:16], socket.ntohs(struct.unpack("<H", k[16:18])[0]))] = \
            struct.unpack("<I", hexbytes(e["value"]))[0]
    return out


def v4mapped(a):
    return b"\0" * 10 + b"\xff\xff" + socket.inet_aton(a)


def maps_state(pin=PIN):
    """Everything an error must leave untouched: keys and every non-free slot."""
    keys = channel_keys(pin)
    slots = {i: cfg_slot(i, pin) for i in sorted(set(keys.values()))}
    return keys, slots


class Server:
    def __init__(self, *args, listen=None):
        self.port = None
        if listen is not None and not listen.startswith("unix:"):
            self.port = int(listen.rpartition(":")[2])
        if listen is None:
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
            s.close()
            listen = "127.0.0.1:%d" % self.port
        self.listen = listen
        self.log = open(os.path.join(WORK, "api-%s.log" % len(os.listdir(WORK))), "w+")
        self.proc = subprocess.Popen([API, "--listen", listen] + list(args),
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("xrelay-api exited: " + self.logtext())
            if listen.startswith("unix:"):
                if os.path.exists(listen[5:]):
                    return
            else:
                try:
                    socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                    return
                except OSError:
                    pass
            time.sleep(0.05)
        self.proc.kill()  # never leave a server behind a failed start
        self.proc.wait(10)
        raise RuntimeError("xrelay-api did not listen: " + self.logtext())

    def logtext(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(10)
        self.log.close()
        return rc

    def req(self, method, path, body=None, ctype="application/json", headers=(),
            raw=None, record=True):
        """curl it; returns (status, {header: value}, parsed body or text or None)."""
        cmd = ["curl", "-sS", "-i", "--max-time", "10", "-X", method]
        if method == "HEAD":
            cmd = ["curl", "-sS", "-i", "--max-time", "10", "--head"]
        if self.listen.startswith("unix:"):
            cmd += ["--unix-socket", self.listen[5:]]
            url = "http://localhost" + path
        else:
            url = "http://127.0.0.1:%d%s" % (self.port, path)
        for h in headers:
            cmd += ["-H", h]
        data = None
        if raw is not None:
            data = raw
        elif body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            cmd += ["--data-binary", "@-"]
            if ctype is not None:
                cmd += ["-H", "Content-Type: " + ctype]
            else:
                cmd += ["-H", "Content-Type:"]
        cmd.append(url)
        p = subprocess.run(cmd, input=data, capture_output=True, timeout=20)
        if p.returncode != 0:
            raise AssertionError("curl failed: %s" % p.stderr.decode())
        head, _, payload = p.stdout.partition(b"\r\n\r\n")
        while head.startswith(b"HTTP/1.1 100"):
            head, _, payload = payload.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        ct = hdrs.get("content-type", "")
        if not payload:
            parsed = None
        elif "json" in ct:
            parsed = json.loads(payload)
        else:
            parsed = payload.decode()
        if record and method != "HEAD":
            with open(RESPONSES, "a") as f:
                f.write(json.dumps({"method": method, "path": path, "status": status,
                                    "content_type": ct, "headers": hdrs,
                                    "body": parsed}) + "\n")
        return status, hdrs, parsed


FEED_A = {"name": "feed-a", "port": 5000, "addr": "239.1.1.1", "record": True,
          "destinations": [{"addr": "239.2.2.2", "port": 6000, "every": 1, "ttl": 1,
                            "interface": "lo"}]}


class ApiTest(unittest.TestCase):
    srv = None

    @classmethod
    def setUpClass(cls):
        cls.srv = Server("--pin-dir", PIN)

    @classmethod
    def tearDownClass(cls):
        assert cls.srv.alive(), "server died: " + cls.srv.logtext()
        assert cls.srv.stop() == 0

    def setUp(self):
        # each test starts with no channels
        st, _, body = self.srv.req("GET", "/channels", record=False)
        for ch in body["channels"]:
            self.srv.req("DELETE", "/channels/" + ch["name"], record=False)

    def problem(self, resp, status, field=None):
        st, hdrs, body = resp
        self.assertEqual(st, status, body)
        self.assertTrue(hdrs.get("content-type", "").startswith("application/problem+json"))
        self.assertEqual(body["status"], status)
        self.assertTrue(body["title"] and body["detail"] and body["type"])
        if field is not None:
            self.assertEqual(body.get("field"), field, body)
        return body

    def unchanged(self, before, what):
        self.assertEqual(maps_state(), before, "maps changed by " + what)

    def test_channel_life(self):
        s = self.srv
        st, h, ch = s.req("POST", "/channels", FEED_A)
        self.assertEqual(st, 201, ch)
        self.assertEqual(h["location"], "/channels/feed-a")
        for k in ("id", "name", "port", "addr", "record", "destinations", "created_at",
                  "generation"):
            self.assertIn(k, ch)
        self.assertEqual((ch["name"], ch["port"], ch["addr"], ch["record"]),
                         ("feed-a", 5000, "239.1.1.1", True))
        self.assertEqual(ch["destinations"], FEED_A["destinations"])
        # in the maps: the key published, the slot whole and ACTIVE
        keys = channel_keys()
        self.assertEqual(keys.get((v4mapped("239.1.1.1"), 5000)), ch["id"])
        slot = cfg_slot(ch["id"])
        self.assertEqual((slot["state"], slot["name"], slot["port"], slot["flags"] & 1),
                         (1, "feed-a", 5000, 1))
        self.assertEqual(slot["dests"], [{"addr": v4mapped("239.2.2.2"), "port": 6000,
                                          "ttl": 1, "every": 1, "ifname": "lo"}])
        created = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(slot["created_ns"] // 10**9))
        self.assertTrue(ch["created_at"].startswith(created), ch["created_at"])

        st, _, lst = s.req("GET", "/channels")
        self.assertEqual(st, 200)
        self.assertEqual([c["name"] for c in lst["channels"]], ["feed-a"])
        self.assertEqual(lst["channels"][0], ch)
        st, _, one = s.req("GET", "/channels/feed-a")
        self.assertEqual((st, one), (200, ch))

        patch = {"record": False, "destinations": [
            {"addr": "ff0e::5", "port": 7000, "every": 10, "ttl": 4},
            {"addr": "127.0.0.1", "port": 7001}]}
        st, _, p = s.req("PATCH", "/channels/feed-a", patch, ctype="application/merge-patch+json")
        self.assertEqual(st, 200, p)
        self.assertFalse(p["record"])
        self.assertEqual(p["destinations"], [
            {"addr": "ff0e::5", "port": 7000, "every": 10, "ttl": 4, "interface": None},
            {"addr": "127.0.0.1", "port": 7001, "every": 1, "ttl": 1, "interface": None}])
        self.assertEqual((p["id"], p["created_at"]), (ch["id"], ch["created_at"]))
        self.assertGreater(p["generation"], ch["generation"])
        slot = cfg_slot(ch["id"])
        self.assertEqual(slot["flags"] & 1, 0)
        self.assertEqual(slot["ndests"], 2)
        self.assertEqual(slot["dests"][0]["addr"], socket.inet_pton(socket.AF_INET6, "ff0e::5"))
        self.assertEqual((slot["dests"][0]["every"], slot["dests"][0]["ttl"]), (10, 4))
        # record: null resets to the default
        st, _, p = s.req("PATCH", "/channels/feed-a", {"record": None})
        self.assertEqual((st, p["record"]), (200, True))
        self.assertEqual(cfg_slot(ch["id"])["flags"] & 1, 1)

        st, _, body = s.req("DELETE", "/channels/feed-a")
        self.assertEqual((st, body), (204, None))
        self.assertNotIn((v4mapped("239.1.1.1"), 5000), channel_keys())
        self.assertEqual(cfg_slot(ch["id"])["state"], 0)  # no dataplane: freed at once
        self.problem(s.req("GET", "/channels/feed-a"), 404)
        self.problem(s.req("DELETE", "/channels/feed-a"), 404)

    def test_v1_prefix_and_any_address(self):
        st, h, ch = self.srv.req("POST", "/v1/channels", {"name": "any-9000", "port": 9000})
        self.assertEqual(st, 201, ch)
        self.assertEqual(h["location"], "/v1/channels/any-9000")
        self.assertIsNone(ch["addr"])
        self.assertEqual((ch["record"], ch["destinations"]), (True, []))
        self.assertEqual(channel_keys().get((b"\0" * 16, 9000)), ch["id"])
        st, _, ch6 = self.srv.req("POST", "/v1/channels",
                                  {"name": "v6", "port": 9000, "addr": "FF0E:0::1"})
        self.assertEqual((st, ch6["addr"]), (201, "ff0e::1"))
        self.assertEqual(self.srv.req("GET", "/v1/channels/v6")[2], ch6)

    def test_conflicts(self):
        s = self.srv
        self.assertEqual(s.req("POST", "/channels", FEED_A)[0], 201)
        before = maps_state()
        b = self.problem(s.req("POST", "/channels", dict(FEED_A, port=5001)), 409)
        self.assertIn("feed-a", b["detail"])
        b = self.problem(s.req("POST", "/channels", dict(FEED_A, name="feed-b")), 409)
        self.assertIn("feed-a", b["detail"])  # names the channel that has the port
        self.unchanged(before, "conflicting POSTs")
        # the same port on any address is a different channel
        self.assertEqual(s.req("POST", "/channels", {"name": "feed-any", "port": 5000})[0], 201)

    def test_body_errors_change_nothing(self):
        s = self.srv
        self.assertEqual(s.req("POST", "/channels", FEED_A)[0], 201)
        before = maps_state()
        cases = [
            (b'{"name": "x", "port": ', 400, None),
            (b'{"name": "x", "port": 1, "colour": "red"}', 400, None),
            (b'{"name": "x", "name": "y", "port": 1}', 400, None),
            (b'{"name": "x", "port": 1, "destinations": [{"addr": "239.0.0.1", "port": 1, '
             b'"speed": 3}]}', 400, None),
            (b'[1, 2]', 400, None),
            (b'{"name": "x", "port": 1, "destinations": ' + b"[" * 41 + b"1" + b"]" * 41 + b"}",
             400, None),
            (b'{"name": "x", "port": "5000"}', 422, "port"),
            (b'{"name": "x", "port": 70000}', 422, "port"),
            (b'{"name": "x", "port": 0}', 422, "port"),
            (b'{"name": "../etc", "port": 1}', 422, "name"),
            (b'{"name": "' + b"n" * 64 + b'", "port": 1}', 422, "name"),
            (b'{"port": 1}', 422, "name"),
            (b'{"name": "x"}', 422, "port"),
            (b'{"name": "x", "port": 1, "addr": "239.1.1"}', 422, "addr"),
            (b'{"name": "x", "port": 1, "addr": "0.0.0.0"}', 422, "addr"),
            (b'{"name": "x", "port": 1, "record": "yes"}', 422, "record"),
            (b'{"name": "x", "port": 1, "destinations": [{"port": 1}]}', 422,
             "destinations/0/addr"),
            (b'{"name": "x", "port": 1, "destinations": [{"addr": "239.0.0.1", "port": 1, '
             b'"every": 0}]}', 422, "destinations/0/every"),
            (b'{"name": "x", "port": 1, "destinations": [{"addr": "239.0.0.1", "port": 1, '
             b'"ttl": 256}]}', 422, "destinations/0/ttl"),
            (b'{"name": "x", "port": 1, "destinations": [{"addr": "239.0.0.1", "port": 2, '
             b'"interface": "nosuch0"}]}', 422, "destinations/0/interface"),
            (json.dumps({"name": "x", "port": 1, "destinations": [
                {"addr": "239.0.0.1", "port": 1}] * 9}).encode(), 422, "destinations"),
        ]
        for raw, status, field in cases:
            with self.subTest(body=raw[:60]):
                self.problem(s.req("POST", "/channels", raw=raw), status, field)
        self.unchanged(before, "bad POST bodies")

        self.problem(s.req("POST", "/channels", raw=b'{"name": "x", "port": 1}',
                           ctype="text/plain"), 415)
        self.problem(s.req("POST", "/channels", raw=b'{"name": "x", "port": 1}', ctype=None),
                     415)
        big = b'{"name": "x", "port": 1, "pad": "' + b"a" * (64 * 1024) + b'"}'
        self.problem(s.req("POST", "/channels", raw=big), 413)
        for raw, status, field in [
                (b'{"name": "other"}', 422, "name"),
                (b'{"port": 5001}', 422, "port"),
                (b'{"addr": "239.1.1.2"}', 422, "addr"),
                (b'{"id": 7}', 422, "id"),
                (b'{"colour": 1}', 400, None),
                (b'{"record": 1}', 422, "record")]:
            with self.subTest(patch=raw):
                self.problem(s.req("PATCH", "/channels/feed-a", raw=raw), status, field)
        self.problem(s.req("PATCH", "/channels/feed-a", raw=b'{"record": false}',
                           ctype="text/plain"), 415)
        self.problem(s.req("PATCH", "/channels/nope", {"record": False}), 404)
        self.unchanged(before, "bad PATCH bodies")
        # the same values for name/port/addr are not a change
        st, _, p = s.req("PATCH", "/channels/feed-a",
                         {"name": "feed-a", "port": 5000, "addr": "239.1.1.1"})
        self.assertEqual(st, 200, p)

    def etag_of(self, resp, status=200):
        """The ETag of a response that is one channel: the channel's generation, quoted."""
        st, h, ch = resp
        self.assertEqual(st, status, ch)
        self.assertEqual(h.get("etag"), '"%d"' % ch["generation"])
        return h["etag"]

    def test_etag_and_if_match(self):
        """Issue 10, case 5: ETag on every channel response, If-Match on PATCH and DELETE."""
        s = self.srv
        e1 = self.etag_of(s.req("POST", "/channels", FEED_A), 201)
        self.assertEqual(self.etag_of(s.req("GET", "/channels/feed-a")), e1)
        self.assertEqual(self.etag_of(s.req("GET", "/v1/channels/feed-a")), e1)
        self.assertNotIn("etag", s.req("GET", "/channels")[1])
        self.assertNotIn("etag", s.req("GET", "/channels/feed-a/schema")[1])

        # a mismatch is 412 and changes nothing; so is a malformed If-Match (400)
        before = maps_state()
        off = {"record": False}
        for tag, status in (('"999999"', 412), ("W/" + e1, 412), ('"1", "2"', 412),
                            ("feed-a", 400), ('*, ' + e1, 400), ('"' + e1, 400)):
            with self.subTest(if_match=tag):
                self.problem(s.req("PATCH", "/channels/feed-a", off,
                                   headers=["If-Match: " + tag]), status)
                self.problem(s.req("DELETE", "/channels/feed-a",
                                   headers=["If-Match: " + tag]), status)
        self.unchanged(before, "PATCH and DELETE with a failed If-Match")
        self.assertEqual(self.etag_of(s.req("GET", "/channels/feed-a")), e1)

        # a match: applied, with a new tag; a list holding it, two lines, "*" match too
        e2 = self.etag_of(s.req("PATCH", "/channels/feed-a", off, headers=["If-Match: " + e1]))
        self.assertNotEqual(e2, e1)
        ch_id = s.req("GET", "/channels/feed-a")[2]["id"]
        self.assertEqual(cfg_slot(ch_id)["flags"] & 1, 0)
        self.assertEqual(cfg_slot(ch_id)["generation"], int(e2.strip('"')))
        e3 = self.etag_of(s.req("PATCH", "/channels/feed-a", {"record": True},
                                headers=['If-Match: "1", ' + e2]))
        e4 = self.etag_of(s.req("PATCH", "/channels/feed-a", {},
                                headers=['If-Match: "1"', "If-Match: " + e3]))
        e5 = self.etag_of(s.req("PATCH", "/channels/feed-a", {}, headers=["If-Match: *"]))
        self.assertEqual(len({e1, e2, e3, e4, e5}), 5)
        self.problem(s.req("PATCH", "/channels/nope", {}, headers=["If-Match: *"]), 404)

        # deleted and created again: the old tag names no version of the new channel
        self.problem(s.req("DELETE", "/channels/feed-a", headers=["If-Match: " + e4]), 412)
        st, _, _ = s.req("DELETE", "/channels/feed-a", headers=["If-Match: " + e5])
        self.assertEqual(st, 204)
        eb = self.etag_of(s.req("POST", "/channels", dict(FEED_A, destinations=[])), 201)
        self.assertNotIn(eb, (e1, e2, e3, e4, e5))
        before = maps_state()
        self.problem(s.req("PATCH", "/channels/feed-a", {"destinations": FEED_A["destinations"]},
                           headers=["If-Match: " + e5]), 412)
        self.problem(s.req("DELETE", "/channels/feed-a", headers=["If-Match: " + e5]), 412)
        self.unchanged(before, "PATCH and DELETE with the former channel's ETag")
        st, _, _ = s.req("DELETE", "/channels/feed-a", headers=["If-Match: " + eb])
        self.assertEqual(st, 204)

    def test_concurrent_patches_lose_nothing(self):
        """Issue 10, case 5: one client only toggles record, another only changes
        destinations, both at once, round after round: after each round each field is what its
        client wrote, so no PATCH undid the other's."""
        s = self.srv
        rounds = 80
        st, _, ch = s.req("POST", "/channels", dict(FEED_A, destinations=[]))
        self.assertEqual(st, 201, ch)
        start = threading.Barrier(2, timeout=20)
        errors = []

        def patch(body):
            # a connection per request, so the two land on different server threads
            conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=20)
            try:
                start.wait()
                conn.request("PATCH", "/channels/feed-a", json.dumps(body),
                             {"Content-Type": "application/merge-patch+json"})
                r = conn.getresponse()
                data = r.read()
                if r.status != 200:
                    errors.append("PATCH %s: %d %s" % (body, r.status, data))
            except Exception as e:  # reported by the main thread
                errors.append(e)
            finally:
                conn.close()

        lost = []
        for i in range(rounds):
            record = i % 2 == 1
            dests = [{"addr": "239.2.2.%d" % (i % 250 + 1), "port": 6000 + i, "every": 1,
                      "ttl": 1, "interface": None}]
            threads = [threading.Thread(target=patch, args=({"record": record},)),
                       threading.Thread(target=patch, args=({"destinations": dests},))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            self.assertEqual(errors, [])
            st, _, got = s.req("GET", "/channels/feed-a", record=False)
            if (got["record"], got["destinations"]) != (record, dests):
                lost.append((i, got["record"], got["destinations"][:1]))
        self.assertEqual(lost, [], "rounds where one PATCH undid the other's")
        self.assertEqual(got["generation"], ch["generation"] + 2 * rounds)
        slot = cfg_slot(got["id"])
        self.assertEqual(slot["flags"] & 1, int(record))
        self.assertEqual([d["port"] for d in slot["dests"]], [dests[0]["port"]])

    def test_methods_and_paths(self):
        s = self.srv
        st, h, b = s.req("PUT", "/channels", {"name": "x", "port": 1})
        self.problem((st, h, b), 405)
        self.assertEqual(h["allow"], "GET, HEAD, POST")
        st, h, b = s.req("POST", "/stats", {})
        self.problem((st, h, b), 405)
        self.assertEqual(h["allow"], "GET, HEAD")
        st, h, b = s.req("DELETE", "/v1/channels")
        self.problem((st, h, b), 405)
        self.assertEqual(h["allow"], "GET, HEAD, POST")
        st, h, b = s.req("POST", "/channels/x")
        self.problem((st, h, b), 405)
        self.assertEqual(h["allow"], "GET, HEAD, PATCH, DELETE")
        # no such resource: 404 (not recorded: these paths are outside the document)
        for p in ("/nope", "/channels/", "/channels/a/b/c", "/v2/channels"):
            self.problem(s.req("GET", p, record=False), 404)
        for p in ("/channels/..%2Fetc", "/channels/x/stats", "/channels/x/schema"):
            self.problem(s.req("GET", p), 404)
        st, h, b = s.req("HEAD", "/stats")
        self.assertEqual((st, b), (200, None))
        self.assertTrue(h["content-type"].startswith("application/json"))
        # the status page: GET and HEAD only, with its Content-Security-Policy
        st, h, page = s.req("GET", "/")
        self.assertEqual(st, 200)
        self.assertIn("<title>xrelay status</title>", page)
        self.assertTrue(h["content-security-policy"].startswith("default-src 'none'; "))
        st, h, b = s.req("DELETE", "/")
        self.problem((st, h, b), 405)
        self.assertEqual(h["allow"], "GET, HEAD")

    def test_schema(self):
        self.assertEqual(self.srv.req("POST", "/channels", FEED_A)[0], 201)
        st, _, sc = self.srv.req("GET", "/channels/feed-a/schema")
        self.assertEqual(st, 200)
        self.assertEqual((sc["type"], sc["name"], sc["namespace"]), ("record", "Packet", "xrelay"))
        self.assertEqual([(f["name"], f["type"]) for f in sc["fields"]],
                         [("seq", "long"),
                          ("ts_ns", {"type": "long", "logicalType": "timestamp-nanos"}),
                          ("src_addr", "bytes"),
                          ("src_port", "int"), ("dst_addr", "bytes"), ("dst_port", "int"),
                          ("payload", "bytes")])

    def test_datum_channel(self):
        s = self.srv
        md = {"type": "record", "name": "Quote", "namespace": "md", "fields": [
            {"name": "seq", "type": "long"},
            {"name": "side", "type": {"type": "enum", "name": "Side", "symbols": ["BID", "ASK"]}},
            {"name": "levels", "type": {"type": "array", "items": "long"}}]}
        body = {"name": "md", "port": 5100, "format": "datum", "schema": md, "codec": "snappy",
                "prefix": "confluent", "schema_id": 7}
        st, _, ch = s.req("POST", "/channels", body)
        self.assertEqual(st, 201, ch)
        self.assertEqual((ch["format"], ch["codec"], ch["prefix"], ch["schema_id"]),
                         ("datum", "snappy", "confluent", 7))
        st, _, sc = s.req("GET", "/channels/md/schema")
        self.assertEqual((st, sc), (200, md))
        # The schema, the format and the codec stay for the channel's life.
        for patch, field in (({"schema": "long"}, "schema"), ({"format": "envelope"}, "format"),
                             ({"codec": "null"}, "codec")):
            st, _, p = s.req("PATCH", "/channels/md", patch)
            self.assertEqual((st, p.get("field")), (422, field), p)
        self.assertEqual(s.req("PATCH", "/channels/md", {"codec": "snappy", "record": False})[0],
                         200)
        # A bad schema: 422 with the path of the fault.
        bad = dict(md, fields=md["fields"] + [{"name": "x", "type": "nope"}])
        st, _, p = s.req("POST", "/channels", dict(body, name="md2", port=5101, schema=bad))
        self.assertEqual((st, p["field"]), (422, "schema.fields[3].type"), p)
        st, _, p = s.req("POST", "/channels", {"name": "md3", "port": 5102, "format": "datum"})
        self.assertEqual((st, p["field"]), (422, "schema"), p)
        st, _, p = s.req("POST", "/channels", {"name": "e", "port": 5103, "codec": "zstd"})
        self.assertEqual((st, p["field"]), (422, "codec"), p)
        # The envelope is still the default, and its stats show the rejected counters.
        st, _, st_md = s.req("GET", "/channels/md/stats")
        self.assertEqual(st_md["rejected_packets"], 0)
        self.assertEqual(set(st_md["rejected"]), {"truncated", "trailing_bytes", "bad_union",
                                                  "bad_length", "bad_enum", "bad_varint",
                                                  "bad_prefix", "too_deep", "bad_value"})
        # Removed and added again: the schema is the new channel's.
        self.assertEqual(s.req("DELETE", "/channels/md")[0], 204)

    def test_stats_and_metrics(self):
        s = self.srv
        st, _, ch = s.req("POST", "/channels", FEED_A)
        cid = ch["id"]
        st, _, zero = s.req("GET", "/channels/feed-a/stats")
        self.assertEqual(st, 200)
        self.assertTrue(all(v == 0 for k, v in zero.items()
                            if k not in ("drops", "rejected", "destinations")), zero)
        self.assertEqual([sorted(x.items()) for x in zero["destinations"]], [sorted({
            "addr": "239.2.2.2", "port": 6000, "selected": 0, "sent_packets": 0, "sent_bytes": 0,
            "send_errors": 0, "send_queue_full": 0, "dataplane_died": 0}.items())])
        self.assertEqual(sorted(zero["drops"]), sorted(
            ["redirect_miss", "fragments", "ring_full", "no_buffer", "no_writer",
             "write_failed", "buffer_full", "record_failed", "dataplane_died", "truncated",
             "socket_overflow"]))
        # counters as the XDP program (per CPU) and two dataplane workers would write them
        xdp = struct.pack("<4Q", 10, 1000, 2, 3)
        sh("bpftool", "map", "update", "pinned", PIN + "/xrelay_xstats", "key", *u32le(cid),
           "value", *["%d" % b for b in xdp])
        for worker, base in ((0, 1), (5, 100)):
            row = struct.pack(DP_FMT, base, base * 10, base * 2, base * 20, base * 3,
                              base * 4, base * 5, 0, 0, 0, base * 6, 0, 0, 0, 0, 0, 0,
                              base * 7, 0, *([0] * 13))
            sh("bpftool", "map", "update", "pinned", PIN + "/xrelay_dstats_v2", "key",
               *u32le(worker * 1024 + cid), "value", *["%d" % b for b in row])
            # destination slot 0: selected, sent, sent bytes, send errors, queue full
            dest = struct.pack("<6Q", base * 9, base * 5, base * 50, base * 2, base, base)
            sh("bpftool", "map", "update", "pinned", PIN + "/xrelay_dest_stats", "key",
               *u32le((worker * 1024 + cid) * 8), "value", *["%d" % b for b in dest])
        st, _, t = s.req("GET", "/channels/feed-a/stats")
        self.assertEqual(st, 200)
        want = {"rx_packets": 10 * NCPU, "rx_bytes": 1000 * NCPU, "recorded_packets": 101,
                "recorded_bytes": 1010, "sent_packets": 202, "sent_bytes": 2020,
                "write_errors": 303, "send_errors": 404}
        for k, v in want.items():
            self.assertEqual(t[k], v, k)
        self.assertEqual(t["drops"]["redirect_miss"], 2 * NCPU)
        self.assertEqual(t["drops"]["fragments"], 3 * NCPU)
        self.assertEqual(t["drops"]["ring_full"], 505)
        self.assertEqual(t["send_queue_full"], 606)  # the send path: not a drop
        self.assertEqual(t["not_recorded_packets"], 707)
        self.assertEqual(t["dropped_packets"], sum(t["drops"].values()))
        self.assertEqual(t["destinations"], [
            {"addr": "239.2.2.2", "port": 6000, "selected": 909, "sent_packets": 505,
             "sent_bytes": 5050, "send_errors": 202, "send_queue_full": 101,
             "dataplane_died": 101}])
        st, _, all_ = s.req("GET", "/stats")
        self.assertEqual(st, 200)
        self.assertEqual(all_["channels"]["feed-a"], t)
        self.assertFalse(all_["dataplane"]["running"])
        self.assertEqual(all_["sockets"], [])  # no dataplane, no sockets
        self.assertIn("packets", all_["xdp"])
        st, h, text = s.req("GET", "/metrics")
        self.assertEqual(st, 200)
        self.assertEqual(h["content-type"], "text/plain; version=0.0.4")
        self.assertIn("# TYPE xrelay_rx_packets_total counter", text)
        self.assertIn('xrelay_rx_packets_total{channel="feed-a"} %d' % (10 * NCPU), text)
        self.assertIn('xrelay_recorded_packets_total{channel="feed-a"} 101', text)
        self.assertIn('xrelay_drops_total{channel="feed-a",cause="ring_full"} 505', text)
        self.assertIn("xrelay_dataplane_up 0", text)
        self.assertIn('xrelay_dest_selected_total{channel="feed-a",destination="239.2.2.2:6000",'
                      'slot="0"} 909', text)
        for line in text.splitlines():
            self.assertTrue(line.startswith("#") or len(line.split()) == 2, line)
        # a channel removed and added again starts from zero
        s.req("DELETE", "/channels/feed-a")
        s.req("POST", "/channels", FEED_A)
        st, _, t = s.req("GET", "/channels/feed-a/stats")
        self.assertEqual((t["rx_packets"], t["recorded_packets"]), (0, 0))
        self.assertEqual(t["destinations"][0]["selected"], 0)

    def test_healthz_follows_the_dataplane_heartbeat(self):
        s = self.srv
        st, _, hz = s.req("GET", "/healthz")
        self.assertEqual(st, 200)
        self.assertEqual((hz["status"], hz["maps"], hz["dataplane"]["running"]),
                         ("ok", "ok", False))
        # play the dataplane: our pid and a fresh CLOCK_MONOTONIC heartbeat in meta
        j = bpftool_json("map", "lookup", "pinned", PIN + "/xrelay_meta", "key", *u32le(0))
        meta = bytearray(hexbytes(j["value"]))
        struct.pack_into("<QIII", meta, 16, time.monotonic_ns(), os.getpid(), 1, 1)
        meta[40:56] = b"veth0".ljust(16, b"\0")
        struct.pack_into("<I", meta, 36, 2)
        sh("bpftool", "map", "update", "pinned", PIN + "/xrelay_meta", "key", *u32le(0),
           "value", *["%d" % b for b in meta])
        st, _, hz = s.req("GET", "/healthz")
        self.assertTrue(hz["dataplane"]["running"], hz)
        self.assertLess(hz["dataplane"]["heartbeat_age_ms"], 3000)
        st, _, stats = s.req("GET", "/stats")
        d = stats["dataplane"]
        self.assertEqual((d["running"], d["pid"], d["mode"], d["interface"], d["queues"]),
                         (True, os.getpid(), "xdp-native", "veth0", 2))
        # one entry per queue, from the queue_stats rows the workers write
        row = struct.pack("<8Q", 1234, 5, 6, 7, 8, 0, 0, 0)
        sh("bpftool", "map", "update", "pinned", PIN + "/xrelay_qstats", "key", *u32le(1),
           "value", *["%d" % b for b in row])
        st, _, stats = s.req("GET", "/stats")
        self.assertEqual(stats["sockets"][1], {"queue": 1, "rx_frames": 1234, "rx_dropped": 5,
                                               "rx_invalid_descs": 6, "rx_ring_full": 7,
                                               "rx_fill_ring_empty": 8, "tx_invalid_descs": 0,
                                               "rx_bad_channel": 0})
        self.assertEqual([q["queue"] for q in stats["sockets"]], [0, 1])
        # with a live dataplane a removed channel drains instead of being freed
        st, _, ch = s.req("POST", "/channels", FEED_A)
        s.req("DELETE", "/channels/feed-a")
        self.assertEqual(cfg_slot(ch["id"])["state"], 2)
        self.assertEqual(s.req("POST", "/channels", FEED_A)[0], 409)  # name still draining
        # a stale heartbeat: not running
        struct.pack_into("<Q", meta, 16, time.monotonic_ns() - 10 * 10**9)
        sh("bpftool", "map", "update", "pinned", PIN + "/xrelay_meta", "key", *u32le(0),
           "value", *["%d" % b for b in meta])
        st, _, hz = s.req("GET", "/healthz")
        self.assertFalse(hz["dataplane"]["running"])
        # release the draining slot as the dataplane would, for the next tests
        slot = bpftool_json("map", "lookup", "pinned", PIN + "/xrelay_cfg", "key",
                            *u32le(ch["id"]))
        raw = bytearray(hexbytes(slot["value"]))
        struct.pack_into("<I", raw, 0, 0)
        sh("bpftool", "map", "update", "pinned", PIN + "/xrelay_cfg", "key", *u32le(ch["id"]),
           "value", *["%d" % b for b in raw])

    def test_header_bound(self):
        st, _, _ = self.srv.req("GET", "/stats", headers=["X-Big: " + "a" * 40000],
                                record=False)
        self.assertIn(st, (400, 413, 431))
        self.assertTrue(self.srv.alive())
        self.assertEqual(self.srv.req("GET", "/healthz")[0], 200)


class TokenTest(unittest.TestCase):
    def test_token(self):
        tok = os.path.join(WORK, "token")
        with open(tok, "w") as f:
            f.write("s3cret-token-0123456789\n")
        os.chmod(tok, 0o600)
        srv = Server("--pin-dir", PIN + "-tok", "--token-file", tok)
        try:
            for hdrs in ([], ["Authorization: Bearer wrong-token-0123456789"],
                         ["Authorization: Bearer s3cret-token-012345678"],
                         ["Authorization: Basic czNjcmV0"]):
                st, h, b = srv.req("GET", "/channels", headers=hdrs)
                self.assertEqual(st, 401, hdrs)
                self.assertTrue(h["www-authenticate"].startswith("Bearer"))
                self.assertEqual(b["status"], 401)
            ok = ["Authorization: Bearer s3cret-token-0123456789"]
            self.assertEqual(srv.req("GET", "/healthz", headers=ok)[0], 200)
            st, _, ch = srv.req("POST", "/channels", FEED_A, headers=ok)
            self.assertEqual(st, 201, ch)
            self.assertEqual(cfg_slot(ch["id"], PIN + "-tok")["name"], "feed-a")
            # an unauthenticated POST changes nothing
            before = maps_state(PIN + "-tok")
            self.assertEqual(srv.req("POST", "/channels", dict(FEED_A, name="b", port=1))[0],
                             401)
            self.assertEqual(maps_state(PIN + "-tok"), before)
            # the status page alone is open (GET and HEAD), and holds nothing of the server
            for path in ("/", "/v1/"):
                st, h, page = srv.req("GET", path)
                self.assertEqual((st, h["content-type"]), (200, "text/html; charset=utf-8"))
                self.assertNotIn("feed-a", page)
                self.assertEqual(srv.req("HEAD", path)[0], 200)
            self.assertEqual(srv.req("POST", "/", {}, record=False)[0], 401)
            self.assertEqual(srv.req("GET", "/stats")[0], 401)
        finally:
            self.assertEqual(srv.stop(), 0)


class UnixSocketTest(unittest.TestCase):
    def test_unix_socket(self):
        path = os.path.join(WORK, "api.sock")
        srv = Server("--pin-dir", PIN + "-unix", listen="unix:" + path)
        try:
            st, _, hz = srv.req("GET", "/healthz")
            self.assertEqual((st, hz["status"]), (200, "ok"))
            st, h, ch = srv.req("POST", "/channels", {"name": "u", "port": 4242})
            self.assertEqual(st, 201)
            self.assertEqual(channel_keys(PIN + "-unix").get((b"\0" * 16, 4242)), ch["id"])
            # a second server may not steal a live socket
            p = subprocess.run([API, "--listen", "unix:" + path, "--pin-dir", PIN + "-unix"],
                               capture_output=True, text=True, timeout=10)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("another server listens", p.stderr)
        finally:
            self.assertEqual(srv.stop(), 0)
        self.assertFalse(os.path.exists(path))


class ExposureTest(unittest.TestCase):
    """Who can reach the API, and for how long one client may hold it (issue 10, case 11)."""

    def free_port(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        return port

    def test_open_listen_needs_token_or_insecure(self):
        port = self.free_port()
        for listen in ("0.0.0.0:%d" % port, "[::]:%d" % port):
            p = sh(API, "--listen", listen, "--pin-dir", PIN + "-open", check=False, timeout=10)
            self.assertEqual(p.returncode, 1, listen)
            self.assertIn("--token-file", p.stderr, listen)
            self.assertIn("--insecure", p.stderr, listen)
        srv = Server("--pin-dir", PIN + "-open", "--insecure", listen="0.0.0.0:%d" % port)
        try:
            self.assertEqual(srv.req("GET", "/healthz", record=False)[0], 200)
        finally:
            self.assertEqual(srv.stop(), 0)
        tok = os.path.join(WORK, "open-token")
        with open(tok, "w") as f:
            f.write("s3cret-token-0123456789\n")
        os.chmod(tok, 0o600)
        srv = Server("--pin-dir", PIN + "-open", "--token-file", tok, listen="[::]:%d" % port)
        try:
            self.assertEqual(srv.req("GET", "/healthz", record=False)[0], 401)
        finally:
            self.assertEqual(srv.stop(), 0)

    def test_unix_socket_mode(self):
        path = os.path.join(WORK, "mode.sock")
        old = os.umask(0)
        try:
            srv = Server("--pin-dir", PIN + "-mode", listen="unix:" + path)
        finally:
            os.umask(old)
        try:
            self.assertEqual(os.stat(path).st_mode & 0o777, 0o660)
        finally:
            self.assertEqual(srv.stop(), 0)

    def test_tricklers_are_bounded(self):
        """Clients that send a byte at a time are cut off after --request-timeout and may
        hold only --max-per-client connections; another client is served meanwhile."""
        srv = Server("--pin-dir", PIN + "-slow", "--request-timeout", "2", "--max-per-client",
                     "4", "--max-connections", "16", "--idle-timeout", "30")
        socks = []
        try:
            for _ in range(10):
                s = socket.create_connection(("127.0.0.1", srv.port), 2)
                s.sendall(b"GET /stats HTTP/1.1\r\nHost: x\r\n")
                socks.append(s)
            t0 = time.time()
            closed = set()
            served = None
            while time.time() - t0 < 4.5:
                for i, s in enumerate(socks):
                    if i in closed:
                        continue
                    try:
                        s.sendall(b"X")  # one more byte of a header, never ending
                        s.settimeout(0.01)
                        if s.recv(1) == b"":
                            closed.add(i)
                    except socket.timeout:
                        pass
                    except OSError:
                        closed.add(i)
                if served is None and time.time() - t0 > 0.3:
                    # Another client: another source address on the loopback.
                    c = socket.create_connection(("127.0.0.1", srv.port), 2,
                                                 source_address=("127.0.0.2", 0))
                    c.settimeout(2)
                    t1 = time.time()
                    c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    reply = c.recv(64)
                    served = time.time() - t1
                    c.close()
                    self.assertTrue(reply.startswith(b"HTTP/1.1 200"), reply)
                    # Over the per-client limit: already refused, the rest still held.
                    self.assertGreaterEqual(len(closed), 6, "per-client limit not applied")
                    self.assertLess(len(closed), 10, "held connections closed too soon")
                time.sleep(0.2)
            self.assertLess(served, 1.0)
            self.assertEqual(len(closed), 10, "a trickling client outlived --request-timeout")
            self.assertTrue(srv.alive())
        finally:
            for s in socks:
                s.close()
            self.assertEqual(srv.stop(), 0)


class UnusableMapsTest(unittest.TestCase):
    def test_foreign_layout_then_recovery(self):
        pin = PIN + "-foreign"
        os.makedirs(pin)
        sh("bpftool", "map", "create", pin + "/xrelay_cfg", "type", "array", "key", "4",
           "value", "480", "entries", "1024", "name", "xrelay_cfg")
        srv = Server("--pin-dir", pin)
        try:
            for path in ("/channels", "/stats", "/healthz"):
                b = ApiTest.problem(self, srv.req("GET", path), 503)
                self.assertIn("value size 480", b["detail"])
            ApiTest.problem(self, srv.req("POST", "/channels", FEED_A), 503)
            self.assertIn("value size 480", srv.logtext())
            # the operator removes the foreign pins: served again, no restart
            sh("rm", "-r", pin)
            deadline = time.time() + 5
            while srv.req("GET", "/healthz", record=False)[0] != 200:
                self.assertLess(time.time(), deadline, "not recovered")
                time.sleep(0.2)
            self.assertEqual(srv.req("POST", "/channels", FEED_A)[0], 201)
            self.assertEqual(cfg_slot(0, pin)["name"], "feed-a")
        finally:
            self.assertEqual(srv.stop(), 0)


class FlagsTest(unittest.TestCase):
    def test_flags(self):
        p = sh(API, "--help")
        for flag in ("--listen", "--pin-dir", "--token-file"):
            self.assertIn(flag, p.stdout)
        for args, msg in ((["--threads", "0"], "--threads"),
                          (["--listen", "nohostport"], "HOST:PORT"),
                          (["--token-file", "/nonexistent"], "/nonexistent"),
                          (["stray"], "unexpected argument")):
            p = sh(API, *args, "--pin-dir", PIN + "-flags", check=False, timeout=10)
            self.assertNotEqual(p.returncode, 0, args)
            self.assertIn(msg, p.stderr, args)


def validate_responses():
    """Every response recorded above, against openapi.yaml (tests/api/validate.mjs)."""
    node_dir = os.path.join(BUILD, "node")
    sh("sh", os.path.join(ROOT, "tests/api/npm-setup.sh"), node_dir)
    p = subprocess.run(["node", os.path.join(ROOT, "tests/api/validate.mjs"),
                        os.path.join(ROOT, "openapi.yaml"), RESPONSES],
                       capture_output=True, text=True,
                       env=dict(os.environ, NODE_PATH=os.path.join(node_dir, "node_modules")))
    sys.stdout.write(p.stdout[-3000:])
    sys.stderr.write(p.stderr[-3000:])
    return p.returncode == 0


def main():
    global WORK, RESPONSES, NCPU
    if os.geteuid() != 0:
        print("SKIP: needs root (namespaces, bpffs)")
        sys.exit(77)
    if os.environ.get("XRELAY_TEST_NS") != "1":
        # fresh mount + net namespaces: a private bpffs and loopback
        os.environ["XRELAY_TEST_NS"] = "1"
        os.execvp("unshare", ["unshare", "--mount", "--net", "--propagation", "private",
                              sys.executable] + sys.argv)
    sh("mount", "-t", "bpf", "bpf", "/sys/fs/bpf")
    sh("ip", "link", "set", "lo", "up")
    NCPU = possible_cpus()
    WORK = tempfile.mkdtemp(prefix="xrelay-api-test-")
    RESPONSES = os.path.join(WORK, "responses.jsonl")
    try:
        suite = unittest.TestLoader().loadTestsFromModule(sys.modules[__name__])
        ok = unittest.TextTestRunner(verbosity=2).run(suite).wasSuccessful()
        n = sum(1 for _ in open(RESPONSES))
        print("validating %d recorded responses against openapi.yaml" % n)
        ok = validate_responses() and ok
    finally:
        subprocess.run(["rm", "-rf", WORK])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
