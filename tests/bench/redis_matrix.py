#!/usr/bin/python3
#
# Copyright (c) 2026 The sse authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#
"""Scale-out through Redis: three reference servers sharing one Redis, beside one server alone.

    redis_matrix.py [--smoke] [--redis-server PATH] SERVER [SSE_LOAD]

SERVER is the reference_server executable (built with Redis support), SSE_LOAD
the sse_load one (default: tests/bench/sse_load in SERVER's build tree),
PATH redis-server (default: the one on PATH). In one run, over loopback, the
script:

  - starts its own redis-server on a free port (--save "" --appendonly no,
    a directory of its own), and three `reference_server --port 0 --threads 1
    --redis 127.0.0.1:PORT`, and waits until each answers a publish with 202
    (each prints `listening on` before its Redis connection is up);
  - fan-out to 3 x 1,000 subscribers (1,000 on each instance), 64-byte events
    published with POST /publish round-robin over the three instances: in a
    burst, up to 16 requests in flight, as run_matrix.py does (one
    connection to each instance, where they queue behind one another) and
    on about 16 connections (one request in flight on each); and paced
    (50,000 deliveries/s offered, as run_matrix.py): deliveries/s and
    publish-to-receipt p50/p99; the ids are stream entry ids, each
    subscriber's must increase (a subscription's headers come once the
    instance follows its topic, so publishing starts at once);
  - the publish rate one instance sustains through Redis (--subs 0: 202
    answers per second, 16 in flight, on one connection, where they queue
    behind one another, and on 16 connections);
  - then stops them and Redis, and on ONE reference_server without Redis, the
    same: fan-out to 3,000 subscribers, and the publish rate.

Beside each figure: the CPU seconds that redis-server, each reference server
(utime + stime from /proc/PID/stat) and sse_load (its rusage) used during
that measurement, what the rest of the machine used meanwhile (/proc/stat's
busy time less those), and the wall time. It prints one markdown table to
stdout with the machine and its load average above it (progress goes to
stderr). Fan-out rows are one run each; publish-rate rows the median of 3
(1 with --smoke). Nothing is pinned to a CPU (unlike run_matrix.py): on a
small machine the servers, Redis and sse_load share the cores.

The whole run takes one to two minutes; --smoke runs the same rows with tiny
counts in a few seconds (ctest bench_redis_smoke, label: bench). The exit
status is 1 when a check failed. Standard library only; run_matrix.py
(beside this file) provides the server handling and sse_load runner.
"""

import http.client
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_matrix import Server, grouped, kilo, log, machine, median_run, raise_nofile, run_load  # noqa: E402

REDIS_START_S = 10
REDIS_STOP_S = 5
# Between the last subscriber's headers and the first publish: none (a
# subscription is live once its headers are out, with Redis too).
SETTLE_MS = 0
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    """A redis-server of our own on a free port, no persistence; stopped by its pid."""

    def __init__(self, exe):
        self.dir = tempfile.TemporaryDirectory(prefix="sse-redis-bench-")
        self.out = tempfile.TemporaryFile()
        for _ in range(3):  # the port may be taken between free_port() and the bind
            self.port = free_port()
            self.proc = subprocess.Popen(
                [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", self.dir.name, "--loglevel", "warning"],
                stdout=self.out, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + REDIS_START_S
            while time.monotonic() < deadline and self.proc.poll() is None:
                if self.ping():
                    return
                time.sleep(0.05)
            self.kill()
        raise RuntimeError("redis-server did not start: " + self.output())

    @property
    def pid(self):
        return self.proc.pid

    def ping(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def output(self):
        self.out.seek(0)
        return self.out.read().decode(errors="replace").strip()[-300:]

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        """SIGTERM to its pid; returns notes when it did not exit 0 in time."""
        notes = []
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(REDIS_STOP_S)
            except subprocess.TimeoutExpired:
                self.kill()
                rc = None
                notes.append("redis-server did not exit within %d s of SIGTERM" % REDIS_STOP_S)
        else:
            rc = self.proc.returncode
            notes.append("redis-server exited early: " + self.output())
        if rc not in (0, None):
            notes.append("redis-server exit status %s" % rc)
        self.out.close()
        self.dir.cleanup()
        return notes


def wait_until_published(instances):
    """Until each instance answers a publish with 202: its Redis connection is up
    (`listening on` comes before it)."""
    deadline = time.monotonic() + REDIS_START_S
    for s in instances:
        while True:
            status = None
            try:
                c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=5)
                c.request("POST", "/publish?topic=redis-matrix-warm-up", body=b"warm-up")
                status = c.getresponse().status
                c.close()
            except OSError:
                pass
            if status == 202:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("an instance did not publish through Redis within %d s (last answer: %s)" % (
                    REDIS_START_S, status))
            time.sleep(0.05)


def cpu_seconds(pid):
    """utime + stime of a process (every thread), in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        text = f.read()
    fields = text[text.rindex(")") + 2:].split()  # fields[0] is field 3 of proc(5)
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def measured(procs, fn):
    """Runs fn; adds to its result the CPU seconds each of procs ((name, pid)...) used meanwhile,
    sse_load's own (the children reaped meanwhile: sse_load only) and the wall time."""
    before = [cpu_seconds(pid) for _, pid in procs]
    client = children_cpu()
    busy = machine_busy()
    t0 = time.monotonic()
    r = fn()
    r["wall_s"] = time.monotonic() - t0
    r["client_cpu"] = children_cpu() - client
    r["cpu"] = [(name, cpu_seconds(pid) - b) for (name, pid), b in zip(procs, before)]
    r["other_cpu"] = max(0.0, machine_busy() - busy - r["client_cpu"] - sum(c for _, c in r["cpu"]))
    return r


def machine_busy():
    """CPU seconds the whole machine has been busy (every core, /proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = v
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


# --------------------------------------------------------------------- matrix

PACED_OFFERED = 50_000  # deliveries/s, as run_matrix.py's paced rows

FULL = {
    "subs": 1_000,  # per instance; the instance without Redis gets 3 x this
    "burst": 500,
    "paced": 100,
    "publish": 50_000,
    "reps": 3,
    "seconds": 60,
}

SMOKE = {
    "subs": 20,
    "burst": 20,
    "paced": 10,
    "publish": 300,
    "reps": 1,
    "seconds": 20,
}


def main(argv):
    smoke = "--smoke" in argv
    argv = [a for a in argv if a != "--smoke"]
    redis_exe = shutil.which("redis-server")
    if "--redis-server" in argv:
        i = argv.index("--redis-server")
        redis_exe = argv[i + 1] if i + 1 < len(argv) else None
        del argv[i:i + 2]
    if len(argv) not in (1, 2) or argv[0].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    server_path = os.path.abspath(argv[0])
    if len(argv) == 2:
        sse_load = os.path.abspath(argv[1])
    else:
        build = os.path.dirname(os.path.dirname(server_path))
        sse_load = os.path.join(build, "tests", "bench", "sse_load")
    for p in (server_path, sse_load, redis_exe):
        if not p or not os.access(p, os.X_OK):
            print("redis_matrix.py: %s is not an executable" % (p or "redis-server"), file=sys.stderr)
            return 2
    cfg = SMOKE if smoke else FULL
    subs = cfg["subs"]
    raise_nofile()

    secs = cfg["seconds"]
    # (measurement, servers, load, result, p50, p99, CPU: redis, servers, sse_load, the rest; wall, check, ok)
    rows = []
    notes = []
    rates = {}
    started = time.monotonic()
    load_before = loadavg()

    def add(measurement, servers, load, r, result, p50="", p99="", check="ok"):
        ok = bool(r.get("ok"))
        if not ok:
            check = "FAILED: " + (r.get("error") or check)
        cpu = dict(r.get("cpu", []))
        redis_cpu = "%.2f" % cpu.pop("redis", 0) if "redis" in cpu else "-"
        ours = " + ".join("%.2f" % v for v in cpu.values()) or "-"
        rows.append((measurement, servers, load, result if ok else "-", p50, p99, redis_cpu, ours,
                     "%.2f" % r.get("client_cpu", 0), "%.2f" % r.get("other_cpu", 0), "%.1f" % r.get("wall_s", 0),
                     check, ok))
        log("  %s | %s | %s | %s | redis %s, ours %s, sse_load %.2f | %s" % (
            measurement, load, result, p50, redis_cpu, ours, r.get("client_cpu", 0), check))

    def fanout(ports, procs, servers, per_instance, settle_ms):
        """The burst rows and the paced row, subscribers round-robin over ports, publishes too."""
        total = per_instance * len(ports)
        port_list = ",".join(str(p) for p in ports)
        interval = int(total * 1e6 / PACED_OFFERED)
        spread = -(-16 // len(ports))  # connections to each port for about 16 in all
        for events, gap, conns in ((cfg["burst"], 0, 1), (cfg["burst"], 0, spread), (cfg["paced"], interval, 1)):
            r = measured(procs, lambda: run_load(
                sse_load, port_list, "fanout",
                ["--subs", total, "--events", events, "--interval-us", gap, "--size", 64, "--window", 16,
                 "--publish-conns", conns, "--settle-ms", settle_ms], secs))
            subs_text = ("%d x %s subs" % (len(ports), grouped(per_instance)) if len(ports) > 1
                         else "%s subs" % grouped(total))
            if gap:
                what = "fan-out, paced"
                load = "%s x %d events, 1 per %g ms (%s deliveries/s offered)" % (
                    subs_text, events, gap / 1000, kilo(total * 1e6 / gap))
            elif conns == 1:
                what = "fan-out, burst"
                load = "%s x %d events, 16 publishes in flight on %s" % (
                    subs_text, events, "1 connection" if len(ports) == 1 else "1 connection to each")
            else:
                what = "fan-out, burst"
                load = "%s x %d events, 16 publishes in flight on %d connections" % (
                    subs_text, events, conns * len(ports))
            if len(ports) > 1:
                load += ", published round-robin on the %d" % len(ports)
            check = "%s of %s delivered, %d missing, %d out of order" % (
                grouped(r.get("deliveries", 0)), grouped(r.get("expected", 0)), r.get("missing", 0),
                r.get("out_of_order", 0))
            add(what + ", 64 B events", servers, load, r,
                "%s deliveries/s" % kilo(r.get("deliveries_per_s", 0)),
                "%.1f ms" % r.get("p50_ms", 0), "%.1f ms" % r.get("p99_ms", 0), check)

    def publish_rate(port, procs, servers, key):
        n = cfg["publish"]
        for conns in (1, 16):
            r = median_run(cfg["reps"], lambda: measured(procs, lambda: run_load(
                sse_load, port, "fanout",
                ["--subs", 0, "--events", n, "--window", 16, "--publish-conns", conns, "--size", 64], secs)),
                key="publishes_per_s")
            rates[(key, conns)] = r.get("publishes_per_s", 0) if r.get("ok") else 0
            where = "1 connection (16 queued on it)" if conns == 1 else "16 connections (1 in flight on each)"
            add("publish rate, 64 B events", servers,
                "%s POSTs, no subscribers, %s" % (grouped(n), where), r,
                "%s publishes/s" % kilo(r.get("publishes_per_s", 0)),
                check="%s of %s answered 202%s" % (grouped(r.get("published", 0)), grouped(n),
                                                 ", runs " + r["spread"] if "spread" in r else ""))

    # ---- three instances sharing one Redis
    log("three reference_server --threads 1 --redis, one redis-server ...")
    redis = Redis(redis_exe)
    instances = []
    try:
        for _ in range(3):
            instances.append(Server([server_path, "--threads", "1", "--redis", "127.0.0.1:%d" % redis.port]))
        wait_until_published(instances)
        procs = [("redis", redis.pid)] + [("server %d" % i, s.pid) for i, s in enumerate(instances, 1)]
        servers = "3 x reference_server + Redis"
        fanout([s.port for s in instances], procs, servers, subs, SETTLE_MS)
        publish_rate(instances[0].port, procs, "1 of 3 reference_server + Redis", "redis")
    finally:
        for i, s in enumerate(instances, 1):
            notes += ["Redis instance %d: %s" % (i, n) for n in s.stop()]
        notes += redis.stop()

    # ---- one instance, topics in the process
    log("one reference_server --threads 1, no Redis ...")
    srv = Server([server_path, "--threads", "1"])
    try:
        procs = [("server", srv.pid)]
        fanout([srv.port], procs, "1 x reference_server, no Redis", 3 * subs, 0)
        publish_rate(srv.port, procs, "1 x reference_server, no Redis", "local")
    finally:
        notes += ["instance without Redis: " + n for n in srv.stop()]

    for conns in (1, 16):
        a, b = rates.get(("redis", conns), 0), rates.get(("local", conns), 0)
        if a and b:
            notes.append("publish rate through Redis / without, %d connection%s: %.2f" % (
                conns, "" if conns == 1 else "s", a / b))

    # ---- the table
    elapsed = time.monotonic() - started
    print("Machine: %s. reference_server --threads 1 each, redis-server %s, loopback, nothing pinned; "
          "load average %s before, %s after; %s; %.0f s in all." % (
              machine(), redis_version(redis_exe), load_before, loadavg(),
              "smoke run (tiny counts)" if smoke else "publish-rate rows: median of %d runs" % cfg["reps"],
              elapsed))
    print()
    print("| measurement | servers | load | result | p50 | p99 | CPU s redis-server | CPU s reference_server "
          "| CPU s sse_load | CPU s rest of machine | wall s | check |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(str(c) for c in row[:12]) + " |")
    print()
    print("- CPU s: utime + stime used during the row's sse_load run (its subscribers connecting, the "
          "publishes, the deliveries), per process; `a + b + c` is each of the three instances; the rest "
          "of machine is every other process (and the kernel's own threads) meanwhile, out of %d cores x "
          "the wall time." % len(os.sched_getaffinity(0)))
    for n in notes:
        print("- " + n)
    sys.stdout.flush()
    failed = [r for r in rows if not r[12]]
    return 1 if failed else 0


def redis_version(exe):
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    for word in out.split():
        if word.startswith("v="):
            return word[2:]
    return "?"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
