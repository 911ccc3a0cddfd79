#!/usr/bin/python3
#
# Copyright (c) 2026 The sse authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#
"""Three reference servers sharing one Redis (label: redis).

    test_redis.py --server PATH [--threads N] [--redis-server PATH]

The test starts its own redis-server on a free port, without persistence
(but for the one restart that keeps the dataset: SHUTDOWN SAVE into a
directory of its own), and stops it by its pid. Then, with three
`reference_server --redis 127.0.0.1:PORT` instances:

  - subscribers on all three, publishes on all three from several threads:
    every subscriber gets every event once, in one order (the same on every
    instance, the entry ids' order), with the ids the `202` answers gave;
  - an event published on one instance the moment a subscription's headers
    arrive from another (a topic new to it) reaches the subscriber;
  - a client that resumes with Last-Event-ID on another instance than the
    one that served it, while publishing goes on, misses nothing and gets
    nothing twice;
  - one instance cut off from Redis (through a TCP proxy that drops its
    connections and refuses new ones) while the others publish: its
    publishes answer 503, its streams stay open; once it is let through
    again, its subscribers get what the others published meanwhile, once
    each, in order, with no gap event;
  - one instance stopped (SIGSTOP) while the others publish and deliver:
    they go on; once it runs again, its subscribers catch up, once each;
  - Redis stopped (its dataset kept) while subscribers are open and
    publishes go on: 503 on every instance, the streams stay open (their
    keep-alive comments go on); Redis back: what was published after it came
    back arrives, once, with no gap event;
  - Redis killed and started again empty: every subscriber gets a gap event,
    then what is published next;
  - every instance exits 0 on SIGTERM.
"""

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import sse_testing  # noqa: E402
from sse_testing import check, section, wait_until, CheckedServer, Raw  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    """A redis-server of the test's own, on one port for its whole life."""

    def __init__(self, exe, directory):
        self.exe = exe
        self.dir = directory
        self.port = free_port()
        self.proc = None
        self.start()

    def start(self, keep_data=False):
        if not keep_data:
            dump = os.path.join(self.dir, "dump.rdb")
            if os.path.exists(dump):
                os.remove(dump)
        self.proc = subprocess.Popen(
            [self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.dir, "--loglevel", "warning"],
            stdout=subprocess.DEVNULL)
        ok = wait_until(lambda: self.ping(), 10)
        if not ok:
            raise SystemExit("redis-server did not start")

    def ping(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def command(self, *words):
        """One command in RESP; the first line of the answer."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            out = f"*{len(words)}\r\n".encode()
            for w in words:
                out += f"${len(w)}\r\n{w}\r\n".encode()
            s.sendall(out)
            return s.recv(4096).split(b"\r\n")[0]

    def stop_saving(self):
        """SHUTDOWN SAVE: the dataset is written, and read back by start(keep_data=True)."""
        try:
            self.command("SHUTDOWN", "SAVE")
        except OSError:
            pass
        self.proc.wait(10)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)


class Proxy:
    """A TCP proxy to Redis that can cut its clients off: `cut()` drops every connection and refuses new ones
    (closes them at once) until `restore()`."""

    def __init__(self, target_port):
        self.target = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.open = True
        self.pairs = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                if not self.open:
                    client.close()
                    continue
                try:
                    upstream = socket.create_connection(("127.0.0.1", self.target), timeout=5)
                except OSError:
                    client.close()
                    continue
                self.pairs.append((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pump, args=(a, b), daemon=True).start()

    @staticmethod
    def pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        with self.lock:
            self.open = False
            for a, b in self.pairs:
                for sock in (a, b):
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
            self.pairs = []

    def restore(self):
        with self.lock:
            self.open = True

    def close(self):
        self.cut()
        self.listener.close()


class Subscriber:
    """GET /subscribe on one instance, read by a thread of its own; `events` as they come: dicts of id, event, data."""

    def __init__(self, port, topic, last_id=None):
        extra = f"Last-Event-ID: {last_id}\r\n" if last_id else ""
        self.raw = Raw(port, f"GET /subscribe?topic={topic} HTTP/1.1\r\nHost: x\r\n{extra}\r\n")
        self.status, _ = self.raw.read_head()
        self.events = []
        self.comments = 0
        self.lock = threading.Lock()
        self.body = self.raw.buf
        self.raw.buf = b""
        self.stopped = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stopped and not self.raw.eof:
            if self.raw.recv_some(0.1):
                self.body += self.raw.buf
                self.raw.buf = b""
                self.parse()

    def parse(self):
        payload, _, _ = sse_testing.dechunk(self.body)
        text = payload.decode()
        comments = sum(1 for line in text.split("\n") if line.startswith(":"))  # keep-alive ":" lines
        events = []
        for block in text.split("\n\n")[:-1]:
            e = {}
            for line in block.split("\n"):
                if not line.startswith(":"):
                    name, _, value = line.partition(": ")
                    e[name] = value
            if "data" in e:
                events.append(e)
        with self.lock:
            self.events = events
            self.comments = comments

    def count(self):
        with self.lock:
            return len(self.events)

    def close(self):
        self.stopped = True
        self.thread.join(5)
        self.raw.close()


class Publisher:
    """POST /publish on one keep-alive connection."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def publish(self, topic, data):
        """(status, body)."""
        self.conn.request("POST", f"/publish?topic={topic}", body=data.encode())
        r = self.conn.getresponse()
        return r.status, r.read().decode()

    def close(self):
        self.conn.close()


def entry(id):
    ms, _, seq = id.partition("-")
    return int(ms), int(seq or 0)


def publish_many(ports, topic, threads_per_instance, count, prefix):
    """Publishes `count` events from each of `threads_per_instance` threads per instance; {id: data} of the 202s,
    and the other answers."""
    published, others = {}, []
    lock = threading.Lock()

    def run(port, t):
        p = Publisher(port)
        for i in range(count):
            data = f"{prefix}{port}.{t}.{i}"
            status, body = p.publish(topic, data)
            with lock:
                if status == 202:
                    published[body] = data
                else:
                    others.append((status, body))
        p.close()

    threads = [threading.Thread(target=run, args=(port, t)) for port in ports for t in range(threads_per_instance)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return published, others


def order_and_ids(subs, published, what):
    """Every subscriber got exactly the published events, each once, in one order (the entry ids')."""
    n = len(published)
    got_all = wait_until(lambda: all(s.count() >= n for s in subs), 30)
    check(got_all, f"{what}: every subscriber got {n} events ({[s.count() for s in subs]})")
    first = None
    same = ids_ok = ordered = once = True
    for s in subs:
        with s.lock:
            seq = [(e.get("id"), e["data"]) for e in s.events]
        once = once and len(seq) == n and len({i for i, _ in seq}) == n
        ids_ok = ids_ok and all(published.get(i) == d for i, d in seq)
        ordered = ordered and all(entry(a[0]) < entry(b[0]) for a, b in zip(seq, seq[1:]))
        if first is None:
            first = seq
        same = same and seq == first
    check(once, f"{what}: each event once")
    check(ids_ok, f"{what}: each event carries the id its 202 answered")
    check(ordered, f"{what}: in the entry ids' order")
    check(same, f"{what}: the same order on every instance")


def main():
    ap = sse_testing.argument_parser(__doc__, ["redis-server"])
    args = ap.parse_args()
    if not args.redis_server:
        print("redis-server not found")
        return 1
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as directory:
        redis = Redis(args.redis_server, directory)
        try:
            run(args, redis)
        finally:
            if redis.proc.poll() is None:
                redis.kill()
    return sse_testing.summary(start)


def run(args, redis):
    # The third instance reaches Redis through a proxy that can cut it off.
    proxy = Proxy(redis.port)
    cmd = [args.server, "--port", "0", "--threads", str(args.threads), "--keepalive-ms", "200", "--redis"]
    servers = [CheckedServer(cmd + [f"127.0.0.1:{port}"], stderr=subprocess.DEVNULL)
               for port in (redis.port, redis.port, proxy.port)]
    try:
        with servers[0], servers[1], servers[2]:
            instances(args, redis, proxy, servers)
    finally:
        proxy.close()


def instances(args, redis, proxy, servers):
    ports = [s.port for s in servers]

    section("one order on three instances", args.threads)
    # Each subscription is live once its headers are in: no wait before publishing.
    subs = [Subscriber(port, "t") for port in ports for _ in range(4)]
    check(all(s.status == 200 for s in subs), "every subscription is answered 200")
    published, others = publish_many(ports, "t", 2, 100, "a")
    check(not others and len(published) == 600, f"600 publishes answered 202 ({len(published)}, others {others[:3]})")
    order_and_ids(subs, published, "three instances")
    for s in subs:
        s.close()

    section("live once the headers are in", args.threads)
    # A topic new to the instance each time, published on another the
    # moment the headers arrive.
    missed = 0
    for i in range(50):
        sub = Subscriber(ports[i % 3], f"new{i}")
        p = Publisher(ports[(i + 1) % 3])
        status, _ = p.publish(f"new{i}", "first")
        p.close()
        if status != 202 or not wait_until(lambda: sub.count() == 1, 5):
            missed += 1
        sub.close()
    check(missed == 0, f"an event published once the headers are in reaches the subscriber (missed {missed} of 50)")

    section("resumption on another instance", args.threads)
    first = Subscriber(ports[0], "r")
    done = threading.Event()
    result = {}

    def publishing():
        result["published"], result["others"] = publish_many(ports, "r", 1, 150, "r")
        done.set()

    t = threading.Thread(target=publishing)
    t.start()
    wait_until(lambda: first.count() >= 60, 20)
    first.close()
    with first.lock:
        seen = list(first.events)
    resumed = Subscriber(ports[1], "r", seen[-1]["id"])
    t.join()
    all_ids = sorted(result["published"], key=entry)
    check(wait_until(lambda: len(seen) + resumed.count() >= len(all_ids), 20),
          f"the resumed stream reaches the end ({len(seen)} + {resumed.count()} of {len(all_ids)})")
    with resumed.lock:
        ids = [e.get("id") for e in seen] + [e.get("id") for e in resumed.events]
        gaps = [e for e in resumed.events if e.get("event") == "gap"]
    check(not gaps, "no gap event")
    check(ids == all_ids, "the events before and after the resumption are all of them, once each, in order")
    resumed.close()

    section("one instance cut off from Redis, then let through", args.threads)
    subs = [Subscriber(port, "p") for port in ports]
    before, _ = publish_many(ports, "p", 1, 5, "p")
    check(wait_until(lambda: all(s.count() == 15 for s in subs), 10), "the events before the cut arrive")
    proxy.cut()
    time.sleep(0.3)
    p = Publisher(ports[2])
    check(p.publish("p", "cut off")[0] == 503, "the instance cut off answers 503")
    p.close()
    meanwhile, others = publish_many(ports[:2], "p", 2, 50, "m")
    check(not others, f"the others publish meanwhile ({len(meanwhile)} answered 202)")
    check(wait_until(lambda: all(s.count() == 15 + 200 for s in subs[:2]), 10), "and deliver to their subscribers")
    check(subs[2].count() == 15 and not subs[2].raw.eof, "the instance cut off keeps its stream open, quiet")
    proxy.restore()
    check(wait_until(lambda: subs[2].count() >= 215, 10),
          f"let through, its subscriber catches up ({subs[2].count()} of 215)")
    time.sleep(0.2)
    ordered = sorted(list(before) + list(meanwhile), key=entry)
    for s in subs:
        with s.lock:
            ids = [e.get("id") for e in s.events]
        check(ids == ordered, f"subscriber on {s.raw.sock.getpeername()[1]}: every event once, in order, no gap")
    for s in subs:
        s.close()

    section("one instance stopped while the others go on", args.threads)
    subs = [Subscriber(port, "s") for port in ports]
    servers[2].proc.send_signal(signal.SIGSTOP)
    try:
        published, others = publish_many(ports[:2], "s", 2, 100, "s")
        check(not others, "the others publish")
        check(wait_until(lambda: all(s.count() == 400 for s in subs[:2]), 10),
              "and deliver while one instance is stopped")
    finally:
        servers[2].proc.send_signal(signal.SIGCONT)
    check(wait_until(lambda: subs[2].count() >= 400, 10), "running again, it catches up")
    time.sleep(0.2)
    with subs[2].lock:
        ids = [e.get("id") for e in subs[2].events]
    check(ids == sorted(published, key=entry), "each event once, in order")
    for s in subs:
        s.close()

    section("Redis stopped, then back with its dataset", args.threads)
    subs = [Subscriber(port, "f") for port in ports]
    before, _ = publish_many(ports, "f", 1, 10, "b")
    check(wait_until(lambda: all(s.count() == 30 for s in subs), 10), "the events before the stop arrive")
    redis.stop_saving()
    time.sleep(0.3)
    answers = []
    for port in ports:
        p = Publisher(port)
        answers.append(p.publish("f", "while down")[0])
        p.close()
    check(answers == [503, 503, 503], f"publishing answers 503 on every instance while Redis is down ({answers})")
    comments = [s.count() for s in subs], [s.comments for s in subs]
    time.sleep(0.6)
    check(all(not s.raw.eof for s in subs), "the streams stay open")
    check(all(s.comments > c for s, c in zip(subs, comments[1])), "their keep-alive comments go on")
    redis.start(keep_data=True)
    # Publishing works again once every instance is back.
    for port in ports:
        p = Publisher(port)
        check(wait_until(lambda: p.publish("f", "probe")[0] == 202, 10), f"instance {port} publishes again")
        p.close()
    after, others = publish_many(ports, "f", 1, 10, "c")
    expected = len(before) + 3 + len(after)
    check(wait_until(lambda: all(s.count() >= expected for s in subs), 10),
          f"what was published after Redis came back arrives ({[s.count() for s in subs]} of {expected})")
    time.sleep(0.2)
    for s in subs:
        with s.lock:
            ids = [e.get("id") for e in s.events]
            gaps = [e for e in s.events if e.get("event") == "gap"]
        if not check(len(ids) == expected and len(set(ids)) == expected and not gaps,
                     f"subscriber on {s.raw.sock.getpeername()[1]}: each event once, no gap event"):
            break
    for s in subs:
        s.close()

    section("Redis killed, started again empty", args.threads)
    subs = [Subscriber(port, "k") for port in ports]
    publish_many(ports[:1], "k", 1, 5, "k")
    check(wait_until(lambda: all(s.count() == 5 for s in subs), 10), "the first events arrive")
    redis.kill()
    redis.start(keep_data=False)
    for port in ports:
        p = Publisher(port)
        check(wait_until(lambda: p.publish("k", "again")[0] == 202, 10), f"instance {port} publishes again")
        p.close()
    check(wait_until(lambda: all(s.count() >= 9 for s in subs), 10), "what is published next arrives")
    for s in subs:
        with s.lock:
            kinds = [e.get("event", "message") for e in s.events]
        if not check(kinds[:5] == ["message"] * 5 and kinds[5] == "gap" and kinds[6:] == ["message"] * 3,
                     f"a gap event between the old events and the new ones ({kinds})"):
            break
    for s in subs:
        s.close()


if __name__ == "__main__":
    sys.exit(main())
