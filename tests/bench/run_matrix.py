#!/usr/bin/python3
#
# Copyright (c) 2026 The sse authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#
"""The benchmark matrix against examples/reference_server, over loopback.

    run_matrix.py [--smoke] [--threads N] [--h2load PATH] [--peers DIR] SERVER [SSE_LOAD]

SERVER is the reference_server executable, SSE_LOAD the sse_load one
(default: tests/bench/sse_load in SERVER's build tree). The script starts the
server (--port 0 --threads 1, reading its `listening on PORT` line), runs
sse_load and h2load against it, stops it with SIGTERM (checking that it exits
0), and prints markdown tables to stdout (progress goes to stderr). With two
CPUs or more, the server runs on the first and the load clients on the others.

--threads N: the reference server runs N threads (--threads N). With N > 1
nothing is pinned, for any server: the servers and the clients share every
CPU, and the machine line says so.

--peers DIR: the same scenarios, in the same run, against the peer servers in
DIR that are present: node-http/server.js (node), beast-raw/build/server
(built with make when missing), nchan/run.sh (nginx-light with nchan). Their
failures are reported, not counted. A second table puts every server side by
side with the project's goals (fan-out against nchan, memory against
beast-raw, one stream against node-http, h2c against HTTP/1.1), met or missed.

The scenarios, for each server:

  - one stream (GET /stream) with 64 B and 4 KiB events: events/s and MB/s
    (MB = 10^6 bytes of event-stream payload, chunk framing not counted);
  - 50 streams at once, 64 B events: total events/s;
  - fan-out to 1,000 and 10,000 subscribers, 64-byte events (`data: ...\\n\\n`
    on the wire, behind the `id:` line), published with POST /publish, in a
    burst (up to 16 requests in flight on one connection), one at a time
    (each request sent once the last was answered) and paced (50,000
    deliveries/s offered): deliveries/s, publish-to-receipt p50/p99, and the
    deliveries missing or out of order;
  - memory per idle stream: the server's VmRSS growth over 10,000 GET /idle
    streams (a server of its own, started for it), /stats checked; for the
    reference server also over h2c (h2load), 10,000 connections of one
    stream and 100 connections of 100 streams;
  - h2load: one stream and 100 streams on one h2c connection, beside one and
    100 HTTP/1.1 connections, GET /stream with size=64: events/s = events over
    h2load's `finished in` time; the payload's byte count is checked.

With bench_send_floor beside SSE_LOAD, the floor of a fan-out here is printed
under the goals: one send() to each of 1,000 and 10,000 loopback sockets
from the server's CPU, with no server at all, and when a client that only
reads has the last byte: no fan-out of one event at a time on one core has
a p99 below it.

Throughput rows are the median of 3 runs (1 with --smoke). The whole matrix
takes 1 to 2 minutes on 2 cores (about 4 with the peers); --smoke runs the
same rows with tiny counts in a few seconds (ctest label: bench). The exit status is 1 when a check
failed (h2load missing is not a failure: its rows are skipped).
Standard library only.
"""

import json
import os
import platform
import re
import resource
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

SERVER_START_S = 10
SERVER_STOP_S = 5


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def machine():
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, nproc %d, Linux %s" % (cpu, len(os.sched_getaffinity(0)), platform.release())


SERVER_CPU = 0  # the server runs here, the load clients on the other CPUs
CLIENT_CPUS = None


def pin_cpus():
    """Server on CPU 0, clients on the rest (with at least 2 CPUs)."""
    global CLIENT_CPUS
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) >= 2:
        CLIENT_CPUS = set(cpus[1:])
        return cpus[0]
    return None


def client_preexec():
    if CLIENT_CPUS:
        os.sched_setaffinity(0, CLIENT_CPUS)


class Server:
    """A server on a free port (`cmd`, to which `--port 0` is appended); stopped with SIGTERM.

    `name` is how it is reported. `pid` is the process whose memory is
    measured: the server itself, or for nchan the nginx worker process.
    """

    def __init__(self, cmd, name="reference_server", cpu=None):
        self.name = name
        self.err = tempfile.TemporaryFile()
        preexec = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None
        self.proc = subprocess.Popen(list(cmd) + ["--port", "0"], stdout=subprocess.PIPE, stderr=self.err,
                                     preexec_fn=preexec, start_new_session=True)
        self.port = None
        deadline = time.monotonic() + SERVER_START_S
        line = b""
        while time.monotonic() < deadline and not line.endswith(b"\n"):
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 256)
                if not chunk:
                    break
                line += chunk
        m = re.match(rb"listening on (\d+)\n", line)
        if not m:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("%s did not print `listening on PORT` (got %r)" % (name, line))
        self.port = int(m.group(1))

    @property
    def pid(self):
        """The process that serves: the deepest descendant named like a worker, else the server."""
        if self.name != "nchan":
            return self.proc.pid
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            for pid in descendants(self.proc.pid):
                try:
                    with open("/proc/%d/cmdline" % pid, "rb") as f:
                        if b"worker process" in f.read():
                            return pid
                except OSError:
                    pass
            time.sleep(0.1)
        return self.proc.pid

    def stop(self):
        """SIGTERM; returns a note when it did not exit 0 in time, or logged errors."""
        notes = []
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(SERVER_STOP_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
                rc = None
                notes.append("did not exit within %d s of SIGTERM" % SERVER_STOP_S)
        else:
            rc = self.proc.returncode
            notes.append("exited early")
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # what it started (nginx) goes too
        except OSError:
            pass
        if self.name == "reference_server" and rc not in (0, None):
            notes.append("exit status %s" % rc)
        self.err.seek(0)
        lines = [l for l in self.err.read().decode(errors="replace").splitlines()
                 if l.strip() and l.strip() not in ("signal 15: stopping", "stopped")]
        if lines and self.name == "reference_server":
            notes.append("stderr: " + "; ".join(lines[:5]) + (" ..." if len(lines) > 5 else ""))
        self.err.close()
        return notes


def descendants(pid):
    """Every descendant of pid (from /proc)."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def run_load(sse_load, port, mode, args, seconds):
    cmd = [sse_load, "--port", str(port), mode, "--json", "--seconds", str(seconds)] + [str(a) for a in args]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 45, preexec_fn=client_preexec)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": "sse_load did not end in time"}
    for line in reversed(p.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {"ok": False, "error": ("sse_load exit %d: %s" % (p.returncode, p.stderr.strip()))[:300]}


def stream_bytes(count, size):
    """Payload bytes of GET /stream?count=N&size=B (no event name)."""
    total = 0
    for digits in range(1, 21):
        lo, hi = 10 ** (digits - 1), min(count, 10 ** digits - 1)
        if lo > count:
            break
        n = hi - lo + 1
        # id: i\n  data: <max(B, digits+1) bytes>\n\n
        total += n * (4 + digits + 1 + 6 + max(size, digits + 1) + 2)
    return total


def parse_duration(text):
    m = re.match(r"([\d.]+)(us|ms|s)$", text)
    if not m:
        return None
    return float(m.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0}[m.group(2)]


def run_h2load(h2load, port, h1, clients, streams, count, size, timeout):
    url = "http://127.0.0.1:%d/stream?count=%d&size=%d" % (port, count, size)
    cmd = [h2load] + (["--h1"] if h1 else []) + ["-c", str(clients), "-n", str(streams)]
    if not h1:
        cmd += ["-m", str(streams // clients)]
    cmd.append(url)
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, preexec_fn=client_preexec)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": "h2load did not end in time"}
    out = p.stdout
    fin = re.search(r"finished in ([\d.]+(?:us|ms|s)),", out)
    req = re.search(r"requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded", out)
    data = re.search(r"traffic: .*?, ([\d.]+\w*) \((\d+)\) data", out)
    proto = re.search(r"Application protocol: (\S+)", out)
    if not (fin and req and data):
        return {"ok": False, "error": ("h2load exit %d: %s" % (p.returncode, (out + p.stderr).strip()[-300:]))}
    secs = parse_duration(fin.group(1))
    succeeded = int(req.group(3))
    got = int(data.group(2))
    want = streams * stream_bytes(count, size)
    events = streams * count
    r = {
        "seconds": secs,
        "events": events,
        "events_per_s": events / secs if secs else 0,
        "mb_per_s": got / secs * 1e-6 if secs else 0,
        "bytes": got,
        "expected_bytes": want,
        "protocol": proto.group(1) if proto else "?",
        "ok": succeeded == streams and got == want and p.returncode == 0,
    }
    if succeeded != streams:
        r["error"] = "%d of %d requests succeeded" % (succeeded, streams)
    elif got != want:
        r["error"] = "%d payload bytes, expected %d" % (got, want)
    return r


def median_run(reps, fn, key="events_per_s"):
    """Runs fn reps times; the run with the median `key` (all must pass)."""
    runs = []
    for _ in range(reps):
        r = fn()
        if not r.get("ok"):
            return r
        runs.append(r)
    runs.sort(key=lambda r: r[key])
    best = dict(runs[len(runs) // 2])
    if reps > 1:
        best["spread"] = "%s..%s" % (kilo(runs[0][key]), kilo(runs[-1][key]))
    return best


def kilo(v):
    """1 630 k style: thousands, digits grouped by thin spaces as in README."""
    k = v / 1000.0
    if k >= 100:
        return "{:,.0f} k".format(k).replace(",", " ")
    return "%.1f k" % k


def grouped(n):
    return "{:,}".format(n)


# --------------------------------------------------------------------- matrix

FULL = {
    "reps": 3,
    "stream_small": 500_000,
    "stream_large": 100_000,
    "concurrent": 20_000,
    # (subscribers, events, publish interval in us (0: a burst), publishes in flight)
    "fan": [(1_000, 500, 0, 16), (1_000, 200, 0, 1), (1_000, 100, 20_000, 16),
            (10_000, 50, 0, 16), (10_000, 30, 0, 1), (10_000, 20, 200_000, 16)],
    "idle": 10_000,
    "h2_one": 200_000,
    "h2_many": 5_000,
    "seconds": 60,
}

SMOKE = {
    "reps": 1,
    "stream_small": 5_000,
    "stream_large": 500,
    "concurrent": 200,
    "fan": [(100, 20, 0, 16), (100, 10, 0, 1), (100, 10, 10_000, 16)],
    "idle": 200,
    "h2_one": 2_000,
    "h2_many": 100,
    "seconds": 20,
}


PEERS = (
    # name, command under the peers directory, what it serves beyond fan-out and /idle
    ("node-http", lambda d: ["node", os.path.join(d, "node-http", "server.js")], {"stream"}),
    ("beast-raw", lambda d: [os.path.join(d, "beast-raw", "build", "server")], {"stream"}),
    ("nchan", lambda d: [os.path.join(d, "nchan", "run.sh")], set()),
)


def peer_commands(peers_dir, notes):
    """The peers found in peers_dir (beast-raw is built there with make when it is not)."""
    found = []
    for name, cmd, caps in PEERS:
        c = cmd(peers_dir)
        if name == "node-http" and not shutil.which("node"):
            notes.append("peer node-http skipped: no node")
            continue
        if name == "nchan" and not os.path.exists("/usr/lib/nginx/modules/ngx_nchan_module.so"):
            notes.append("peer nchan skipped: nginx-light and libnginx-mod-nchan are not installed")
            continue
        if name == "beast-raw" and not os.access(c[0], os.X_OK):
            log("building beast-raw ...")
            subprocess.run(["make", "-s", "-C", os.path.join(peers_dir, "beast-raw")], stdout=sys.stderr)
        if not os.path.exists(c[-1]):
            notes.append("peer %s skipped: %s not found" % (name, c[-1]))
            continue
        found.append((name, c, caps))
    return found


def main(argv):
    smoke = "--smoke" in argv
    argv = [a for a in argv if a != "--smoke"]
    h2load = shutil.which("h2load")
    peers_dir = None
    threads = 1
    for opt in ("--h2load", "--peers", "--threads"):
        if opt in argv:
            i = argv.index(opt)
            value = argv[i + 1] if i + 1 < len(argv) else None
            del argv[i:i + 2]
            if opt == "--h2load":
                h2load = value
            elif opt == "--threads":
                if not value or not value.isdigit() or int(value) < 1:
                    print("run_matrix.py: --threads takes a number of threads, at least 1", file=sys.stderr)
                    return 2
                threads = int(value)
            else:
                peers_dir = os.path.abspath(value) if value else None
    if len(argv) not in (1, 2) or argv[0].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    server_path = os.path.abspath(argv[0])
    if len(argv) == 2:
        sse_load = os.path.abspath(argv[1])
    else:
        build = os.path.dirname(os.path.dirname(server_path))
        sse_load = os.path.join(build, "tests", "bench", "sse_load")
    for p in (server_path, sse_load):
        if not os.access(p, os.X_OK):
            print("run_matrix.py: %s is not an executable" % p, file=sys.stderr)
            return 2
    cfg = SMOKE if smoke else FULL
    nofile = raise_nofile()
    if nofile < cfg["idle"] + 64:
        print("run_matrix.py: RLIMIT_NOFILE is %d, %d are needed: raise the hard limit" % (nofile, cfg["idle"] + 64),
              file=sys.stderr)
        return 1
    server_cpu = pin_cpus() if threads == 1 else None

    secs = cfg["seconds"]
    rows = []  # (server, measurement, client, protocol, load, result, MB/s, p50, p99, check, ok)
    notes = []
    results = {}  # server -> scenario -> sse_load/h2load result
    started = time.monotonic()
    servers = [("reference_server", [server_path, "--threads", str(threads)], {"stream", "stats", "h2"})]
    if peers_dir:
        servers += peer_commands(peers_dir, notes)

    def add(server, key, measurement, client, protocol, load, r, result, mbps="", p50="", p99="", check="ok",
            required=True):
        ok = bool(r.get("ok"))
        if not ok:
            check = "FAILED: " + r.get("error", "?")
        results.setdefault(server, {})[key] = r
        # A peer's failure is reported, not the run's.
        rows.append((server, measurement, client, protocol, load, result if ok or result else "-", mbps, p50, p99,
                     check, ok or not required))
        log("  %s | %s | %s | %s | %s | %s" % (server, measurement, load, result, mbps, check))

    for name, cmd, caps in servers:
        ours = name == "reference_server"
        reps = cfg["reps"]

        # ---- throughput: one stream, 50 streams, h2load (one server)
        if "stream" in caps:
            log("throughput (%s) ..." % name)
            srv = Server(cmd, name, server_cpu)
            try:
                for size, count in ((64, cfg["stream_small"]), (4096, cfg["stream_large"])):
                    r = median_run(reps, lambda: run_load(sse_load, srv.port, "stream",
                                                          ["--count", count, "--size", size], secs))
                    add(name, "stream%d" % size, "one stream, size=%d" % size, "sse_load", "HTTP/1.1",
                        "%s events" % grouped(count), r,
                        "%s events/s" % kilo(r.get("events_per_s", 0)), "%.1f" % r.get("mb_per_s", 0),
                        check="%s events%s" % (grouped(r.get("events", 0)),
                                               ", runs " + r["spread"] if "spread" in r else ""), required=ours)
                count = cfg["concurrent"]
                r = median_run(reps, lambda: run_load(sse_load, srv.port, "concurrent",
                                                      ["--conns", 50, "--count", count, "--size", 64], secs))
                add(name, "concurrent", "50 streams at once, size=64", "sse_load", "HTTP/1.1",
                    "50 x %s events" % grouped(count), r,
                    "%s events/s" % kilo(r.get("events_per_s", 0)), "%.1f" % r.get("mb_per_s", 0),
                    check="%s events%s" % (grouped(r.get("events", 0)),
                                           ", runs " + r["spread"] if "spread" in r else ""), required=ours)

                if "h2" in caps and h2load:
                    one, many = cfg["h2_one"], cfg["h2_many"]
                    for key, h1, clients, streams, count, label in (
                        ("h2_one", False, 1, 1, one, "1 stream"),
                        ("h2_many", False, 1, 100, many, "100 streams on 1 connection"),
                        ("h1_one", True, 1, 1, one, "1 connection"),
                        ("h1_many", True, 100, 100, many, "100 connections"),
                    ):
                        r = median_run(reps, lambda: run_h2load(h2load, srv.port, h1, clients, streams, count, 64,
                                                                secs + 30))
                        proto = "HTTP/1.1" if h1 else "HTTP/2 (%s)" % r.get("protocol", "h2c")
                        add(name, key, "h2load, %s, size=64" % label, "h2load", proto,
                            "%s x %s events" % (streams, grouped(count)) if streams > 1 else "%s events" % grouped(
                                count), r,
                            "%s events/s" % kilo(r.get("events_per_s", 0)), "%.1f" % r.get("mb_per_s", 0),
                            check="%s B payload%s" % (grouped(r.get("bytes", 0)),
                                                      ", runs " + r["spread"] if "spread" in r else ""))
                elif "h2" in caps:
                    notes.append("h2load not found: the HTTP/2 rows are skipped")
            finally:
                notes += ["%s (throughput): %s" % (name, n) for n in srv.stop()]

        # ---- fan-out (a server of its own)
        log("fan-out (%s) ..." % name)
        srv = Server(cmd, name, server_cpu)
        try:
            for subs, events, interval, window in cfg["fan"]:
                r = run_load(sse_load, srv.port, "fanout",
                             ["--subs", subs, "--events", events, "--interval-us", interval, "--size", 64,
                              "--window", window], secs)
                if interval:
                    what, key = "fan-out, paced", "fan%d_paced" % subs
                    load = "%s subs x %d events, 1 per %g ms (%s deliveries/s offered)" % (
                        grouped(subs), events, interval / 1000, kilo(subs * 1e6 / interval))
                elif window == 1:
                    what, key = "fan-out, one publish at a time", "fan%d_w1" % subs
                    load = "%s subs x %d events, each published once the last was answered" % (grouped(subs), events)
                else:
                    what, key = "fan-out, burst", "fan%d_burst" % subs
                    load = "%s subs x %d events, %d publishes in flight" % (grouped(subs), events, window)
                check = "%s of %s delivered, %d missing, %d out of order" % (
                    grouped(r.get("deliveries", 0)), grouped(r.get("expected", 0)), r.get("missing", 0),
                    r.get("out_of_order", 0))
                add(name, key, what + ", 64 B events", "sse_load", "HTTP/1.1", load, r,
                    "%s deliveries/s" % kilo(r.get("deliveries_per_s", 0)), "",
                    "%.1f ms" % r.get("p50_ms", 0), "%.1f ms" % r.get("p99_ms", 0), check, required=ours)
        finally:
            notes += ["%s (fan-out): %s" % (name, n) for n in srv.stop()]

        # ---- memory per idle stream (a fresh server: nothing else in its heap)
        log("idle streams (fresh %s) ..." % name)
        srv = Server(cmd, name, server_cpu)
        try:
            n = cfg["idle"]
            r = run_load(sse_load, srv.port, "idle", ["--conns", n, "--server-pid", srv.pid] +
                         ([] if "stats" in caps else ["--no-stats"]), secs)
            stats = ("; /stats open_streams %s, %s after close" % (r.get("open_streams", "?"),
                                                                    r.get("open_streams_after_close", "?"))
                     if "stats" in caps else "")
            add(name, "idle", "idle streams (GET /idle)", "sse_load", "HTTP/1.1", "%s connections" % grouped(n), r,
                "%.2f KiB per stream" % r.get("kib_per_conn", 0), "", "", "",
                "VmRSS %s -> %s KiB%s" % (grouped(r.get("rss_before_kib", 0)), grouped(r.get("rss_after_kib", 0)),
                                          stats), required=ours)
        finally:
            notes += ["%s (idle): %s" % (name, n) for n in srv.stop()]

        # ---- memory per idle HTTP/2 stream: one per connection, then 100 per connection
        if "h2" in caps and h2load:
            for conns, per_conn in ((cfg["idle"], 1), (cfg["idle"] // 100, 100)):
                log("idle h2c streams, %d x %d (fresh %s) ..." % (conns, per_conn, name))
                srv = Server(cmd, name, server_cpu)
                try:
                    r = run_idle_h2(h2load, srv, conns, per_conn, secs)
                    add(name, "idle_h2_%d" % per_conn, "idle streams (GET /idle), %d per connection" % per_conn,
                        "h2load", "HTTP/2 (h2c)", "%s connections x %d" % (grouped(conns), per_conn), r,
                        "%.2f KiB per stream" % r.get("kib_per_stream", 0), "", "", "",
                        "VmRSS %s -> %s KiB; /stats open_streams %s, 0 after h2load left" % (
                            grouped(r.get("rss_before_kib", 0)), grouped(r.get("rss_after_kib", 0)),
                            r.get("open_streams", "?")))
                finally:
                    notes += ["%s (idle h2c): %s" % (name, n) for n in srv.stop()]

    # ---- the floor of a fan-out here: one send() per subscriber, no server
    floor = os.path.join(os.path.dirname(sse_load), "bench_send_floor")
    if os.access(floor, os.X_OK):
        log("send floor ...")
        for subs in sorted({f[0] for f in cfg["fan"]}):
            results.setdefault("floor", {})[subs] = run_floor(floor, subs, server_cpu)
    else:
        notes.append("bench_send_floor not found beside sse_load: the floor is not measured")

    # ---- the tables
    elapsed = time.monotonic() - started
    print("Machine: %s. reference_server --threads %d; %s; loopback; %s; %.0f s in all." % (
        machine(), threads,
        "servers on CPU %d, load clients on the others" % server_cpu if server_cpu is not None else "no CPU pinning",
        "smoke run (tiny counts)" if smoke else "throughput rows: median of %d runs" % cfg["reps"], elapsed))
    print()
    print("| server | measurement | client | protocol | load | result | MB/s | p50 | p99 | check |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(str(c) for c in row[:10]) + " |")
    print()
    print_goals(results, [s[0] for s in servers])
    if notes:
        print()
        for n in notes:
            print("- " + n)
    sys.stdout.flush()
    failed = [r for r in rows if not r[10]]
    return 1 if failed else 0


def server_stats(port):
    """The reference server's /stats, or None."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/stats" % port, timeout=5) as f:
            return json.loads(f.read())
    except (OSError, ValueError):
        return None


def vm_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def run_idle_h2(h2load, srv, conns, per_conn, seconds):
    """`conns` h2c connections with `per_conn` idle streams (GET /idle) each,
    opened by h2load: the growth of the server's VmRSS once /stats counts
    them all, over the number of streams. h2load is then stopped, and the
    streams must be closed again."""
    n = conns * per_conn
    before = vm_rss_kib(srv.pid)
    cmd = [h2load, "-c", str(conns), "-m", str(per_conn), "-n", str(n), "http://127.0.0.1:%d/idle" % srv.port]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=client_preexec)
    r = {"ok": False, "streams": n, "rss_before_kib": before}
    try:
        deadline = time.monotonic() + seconds
        open_streams = 0
        while time.monotonic() < deadline:
            st = server_stats(srv.port)
            open_streams = st.get("open_streams", 0) if st else 0
            if open_streams >= n or p.poll() is not None:
                break
            time.sleep(0.1)
        if open_streams != n:
            r["error"] = "%d of %d streams open (h2load %s)" % (
                open_streams, n, "exited %d" % p.returncode if p.poll() is not None else "running")
            return r
        time.sleep(0.5)  # the last streams' first writes
        after = vm_rss_kib(srv.pid)
        r.update(rss_after_kib=after, kib_per_stream=(after - before) / n, open_streams=open_streams)
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        st = server_stats(srv.port)
        if st and st.get("open_streams") == 0:
            r["ok"] = True
            return r
        time.sleep(0.1)
    r["error"] = "streams still open after h2load left"
    return r


def run_floor(floor, subs, server_cpu):
    """bench_send_floor for `subs` sockets: the writer on the server's CPU, the reader on a client's."""
    cmd = [floor, "--subs", str(subs), "--passes", "20", "--json"]
    if server_cpu is not None and CLIENT_CPUS:
        cmd += ["--writer-cpu", str(server_cpu), "--reader-cpu", str(min(CLIENT_CPUS))]
    try:
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        if out.returncode != 0:
            return None
        return json.loads(out.stdout)
    except (subprocess.TimeoutExpired, ValueError):
        return None


def value(results, server, key, field):
    r = results.get(server, {}).get(key)
    if not r or not r.get("ok") or field not in r:
        return None
    return r[field]


def print_goals(results, names):
    """One row per scenario: each server's figure, the goal, and whether it is met."""
    ours = "reference_server"
    peers = [n for n in names if n != ours]

    def fan(key, n):
        d, p50, p99 = (value(results, n, key, f) for f in ("deliveries_per_s", "p50_ms", "p99_ms"))
        return "%s, %.1f / %.1f ms" % (kilo(d), p50, p99) if d is not None else "-"

    def fan_goal(key, times_p99):
        d, p99 = value(results, ours, key, "deliveries_per_s"), value(results, ours, key, "p99_ms")
        nd, np99 = value(results, "nchan", key, "deliveries_per_s"), value(results, "nchan", key, "p99_ms")
        if None in (d, p99, nd, np99):
            return "-"
        return "%.2fx nchan's deliveries/s (goal 3x), p99 %.2fx nchan's (goal %s): %s" % (
            d / nd, p99 / np99, "1/3" if times_p99 < 1 else "1x",
            "met" if d >= 3 * nd and p99 <= times_p99 * np99 else "missed")

    def ratio(a, b, goal, lower_is_better=False):
        if a is None or b is None or b == 0:
            return "-"
        x = a / b
        met = x <= goal if lower_is_better else x >= goal
        return "%.2fx (goal %s %.1fx): %s" % (x, "<=" if lower_is_better else ">=", goal, "met" if met else "missed")

    rows = []
    for key, label, p99_factor in (
        ("fan10000_w1", "fan-out, 10,000 subscribers, one publish at a time: deliveries/s, p50 / p99", 1 / 3),
        ("fan10000_burst", "fan-out, 10,000 subscribers, 16 publishes in flight", 1 / 3),
        ("fan1000_w1", "fan-out, 1,000 subscribers, one publish at a time", 1),
        ("fan1000_burst", "fan-out, 1,000 subscribers, 16 publishes in flight", 1),
    ):
        rows.append([label] + [fan(key, n) for n in names] + [fan_goal(key, p99_factor)])
    idle = {n: value(results, n, "idle", "kib_per_conn") for n in names}
    rows.append(["KiB per idle stream (GET /idle)"] + ["%.2f" % idle[n] if idle[n] is not None else "-"
                                                         for n in names] +
                [("vs beast-raw " + ratio(idle[ours], idle.get("beast-raw"), 0.4, True))
                 if "beast-raw" in names else "-"])
    one = {n: value(results, n, "stream64", "events_per_s") for n in names}
    rows.append(["one stream, 64 B events: events/s"] + [kilo(one[n]) if one[n] is not None else "-" for n in names] +
                [("vs node-http " + ratio(one[ours], one.get("node-http"), 4)) if "node-http" in names else "-"])
    h2, h1 = value(results, ours, "h2_one", "events_per_s"), value(results, ours, "h1_one", "events_per_s")
    rows.append(["one stream, h2c vs HTTP/1.1 (h2load)"] + [("%s vs %s" % (kilo(h2), kilo(h1)) if h2 and h1 else "-")
                                                           if n == ours else "-" for n in names] +
                ["h2c/HTTP/1.1 " + ratio(h2, h1, 0.8)])
    print("| scenario | " + " | ".join(names) + " | reference_server against the goal |")
    print("|---|" + "---|" * len(names) + "---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    floors = results.get("floor", {})
    for subs, f in sorted(floors.items()):
        if not f:
            print("\nbench_send_floor failed for %s sockets." % grouped(subs))
            continue
        row = f["rows"][0]
        key = "fan%d_w1" % subs
        np99 = value(results, "nchan", key, "p99_ms")
        target = (np99 / 3 if subs >= 10_000 else np99) if np99 is not None else None
        print("\nFloor, %s sockets (bench_send_floor): one %d B send() to each from the server's CPU, and nothing "
              "else, takes %.1f ms (%.2f us a send); a client doing nothing but read has the last byte %.1f ms after "
              "the first send%s." % (
                  grouped(subs), row["size"], row["pass_ms"], row["us_per_send"], row["last_ms"],
                  "; the p99 goal at one publish at a time is %.1f ms" % target if target is not None else ""))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
