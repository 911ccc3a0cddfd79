#!/usr/bin/python3
#
# Copyright (c) 2026 The sse authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#

"""Points real clients at the reference server and checks its contract.

    test_reference.py --server PATH/TO/reference_server [--threads N]
        [--curl PATH] [--nghttp PATH] [--h2load PATH] [--openssl PATH]
        [--node PATH --node-prefix DIR [--chromium PATH]]
        [--only SECTION,...] [--publish-ahead N]

The contract is reference-server.md. Each section starts its own server
(`--port 0`, on 127.0.0.1, with --threads N, and --publish-ahead N when given)
and reads its `listening on PORT` line. The clients are programs written by
others: curl (HTTP/1.1, HTTP/1.0, h2c, TLS with ALPN), nghttp and h2load (100
streams on one connection), Node's `eventsource` package and headless Chromium
(through the .mjs scripts beside this file), and, where a check needs frames
or bytes that no client program shows, Python's `h2` package or a raw socket.
Event streams are read back with a port of the WHATWG parsing rules written
here (`EventStreamParser`), independent of the library's own parser.

A section whose client program is not given is skipped and says so. Every
wait is bounded. Python standard library plus `h2` only.
"""

import codecs
import http.client
import json
import os
import re
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import h2.errors
import h2.exceptions

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import sse_testing
from sse_testing import H2, Raw, check, dechunk, read_pipe, skipped, summary, wait_until

ARGS = None


def section(name):
    sse_testing.section(name, ARGS.threads)


# ----------------------------------------------------------------------------
# The WHATWG event-stream rules (HTML, "Server-sent events", 9.2.6), ported.


class EventStreamParser:
    """Reads text/event-stream as a browser's EventSource does.

    `items` lists, in order: ("comment", text after the colon),
    ("retry", milliseconds) for a valid retry field, and ("event", type,
    data, last event id, set of field names in the block) for each dispatched
    event. `lines` counts every line; `malformed` lists the lines that a
    spec-exact server would never write (a field without ": ", an unknown
    field name, a retry that is not digits).
    """

    _line_end = re.compile(r"\r\n|\r|\n")

    def __init__(self):
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._started = False
        self._skip_lf = False
        self._pending = ""
        self.data = ""
        self.event_type = ""
        self.id_buffer = ""
        self.last_event_id = ""
        self.fields = set()
        self.retry = None
        self.items = []
        self.malformed = []
        self.lines = 0

    def feed(self, chunk, final=False):
        text = self._decoder.decode(chunk, final)
        if not self._started and text:
            self._started = True
            if text.startswith("\ufeff"):
                text = text[1:]
        if self._skip_lf and text:
            self._skip_lf = False
            if text.startswith("\n"):
                text = text[1:]
        text = self._pending + text
        pos = 0
        for m in self._line_end.finditer(text):
            if m.group() == "\r" and m.end() == len(text):
                self._skip_lf = True  # a LF in the next chunk belongs to this line end
            self._line(text[pos:m.start()])
            pos = m.end()
        # At the end of the stream, an unterminated line and block are discarded.
        self._pending = "" if final else text[pos:]

    def events(self):
        return [i for i in self.items if i[0] == "event"]

    def _line(self, line):
        self.lines += 1
        if line == "":
            self._dispatch()
            return
        if line.startswith(":"):
            self.items.append(("comment", line[1:]))
            return
        name, colon, value = line.partition(":")
        if not colon or not value.startswith(" ") or name not in ("data", "id", "event", "retry"):
            self.malformed.append(line)
        if value.startswith(" "):
            value = value[1:]
        self.fields.add(name)
        if name == "event":
            self.event_type = value
        elif name == "data":
            self.data += value + "\n"
        elif name == "id":
            if "\0" not in value:
                self.id_buffer = value
        elif name == "retry":
            if value and all("0" <= c <= "9" for c in value):
                self.retry = int(value)
                self.items.append(("retry", self.retry))
            else:
                self.malformed.append(line)

    def _dispatch(self):
        self.last_event_id = self.id_buffer
        fields, self.fields = self.fields, set()
        if self.data == "":
            self.event_type = ""
            return
        data = self.data[:-1] if self.data.endswith("\n") else self.data
        self.items.append(("event", self.event_type or "message", data, self.last_event_id, fields))
        self.data = ""
        self.event_type = ""


def parse_stream(body):
    p = EventStreamParser()
    p.feed(body, final=True)
    return p


# ----------------------------------------------------------------------------
# What the contract says the routes send.

MESSAGES_JSON = {"n": 1, "s": "\u00fc \u2713", "nested": {"a": [1, 2]}}


def check_messages(p, what):
    """The /messages sequence, item by item."""
    items = [i for i in p.items if not (i[0] == "comment" and i[1] != " hello")]  # keep-alives aside
    want = [
        ("comment", " hello"),
        ("retry", 1500),
        ("event", "greeting", "Hello, world!", "1", {"id", "event", "data"}),
        ("event", "message", "line1\nline2\nline3\nline4", "1", {"data"}),
        ("event", "json", MESSAGES_JSON, "1", {"event", "data"}),
        ("event", "message", " leading space", "1", {"data"}),
        ("event", "message", "Привет, мир 👋", "1", {"data"}),
        ("event", "last", "bye", "2", {"id", "event", "data"}),
    ]
    got = []
    for i in items:
        if i[0] == "event" and i[1] == "json":
            try:
                i = (i[0], i[1], json.loads(i[2]), *i[3:])
            except ValueError:
                pass
        got.append(i)
    ok = check(got == want, f"{what}: the /messages sequence, exactly")
    if not ok:
        print(f"        got  {got!r}\n        want {want!r}")
    check(not p.malformed, f"{what}: every line is a well-formed field ({p.malformed[:3]})")
    check(p.last_event_id == "2", f"{what}: the last event id is 2 ({p.last_event_id!r})")


def stream_event(i, size, event=None):
    data = f"{i}:"
    data += "x" * max(0, size - len(data))
    return ("event", event or "message", data, str(i), {"id", "data"} | ({"event"} if event else set()))


def check_stream(p, count, size, event, what):
    want = [stream_event(i, size, event) for i in range(1, count + 1)]
    got = p.events()
    ok = check(got == want, f"{what}: {count} events, ids 1..{count}, data of {size} bytes")
    if not ok:
        print(f"        got  {got[:3]!r}... ({len(got)})\n        want {want[:3]!r}... ({len(want)})")
    check(not p.malformed, f"{what}: every line is a well-formed field")


# ----------------------------------------------------------------------------
# The server under test.


class Server(sse_testing.CheckedServer):
    """reference_server with --threads N and `args`; stop() waits 3 s at most."""

    def __init__(self, *args, tls=None):
        cmd = [ARGS.server, "--address", "127.0.0.1", "--port", "0", "--threads", str(ARGS.threads), *args]
        if ARGS.publish_ahead is not None:
            cmd += ["--publish-ahead", str(ARGS.publish_ahead)]
        if tls:
            cmd += ["--tls", tls[0], tls[1]]
        super().__init__(cmd, tls=bool(tls), stop_seconds=3)

    def rss_kib(self):
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def stats(self):
        if self.scheme == "https":
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=5, context=context)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request("GET", "/stats")
            r = conn.getresponse()
            return json.loads(r.read())
        finally:
            conn.close()

    def wait_idle(self, seconds=3):
        """Waits until no stream is open and no producer lives; returns the last stats."""
        last = {}

        def idle():
            nonlocal last
            last = self.stats()
            return last["open_streams"] == 0 and last["live_producers"] == 0

        wait_until(idle, seconds, 0.05)
        return last


# ----------------------------------------------------------------------------
# Clients: curl, raw HTTP/1 sockets, and an HTTP/2 connection through `h2`.


def curl(*args, timeout=15):
    """Runs curl to completion: (exit status, headers text, body bytes, write-out)."""
    with tempfile.NamedTemporaryFile() as headers, tempfile.NamedTemporaryFile() as body:
        r = subprocess.run([ARGS.curl, "-sS", "-N", "--max-time", "10", "-D", headers.name, "-o", body.name,
                            "-w", "%{http_code} %{http_version}", *args],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        return r.returncode, open(headers.name, "rb").read().decode(errors="replace"), \
            open(body.name, "rb").read(), r.stdout.decode()


def header_map(text):
    """The last response's header fields, lower-cased names; and its status line."""
    blocks = [b for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    if not blocks:
        return "", {}
    lines = blocks[-1].split("\n")
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        fields.setdefault(name.strip().lower(), []).append(value.strip())
    return lines[0], fields


PROTOCOLS = {
    "HTTP/1.1": ["--http1.1"],
    "HTTP/1.0": ["--http1.0"],
    "h2c": ["--http2-prior-knowledge"],
}


def check_event_stream_headers(status_line, fields, protocol, what):
    check(" 200" in status_line, f"{what}: status 200 ({status_line!r})")
    check(fields.get("content-type", [""])[0].split(";")[0].strip() == "text/event-stream",
          f"{what}: Content-Type: text/event-stream ({fields.get('content-type')})")
    check(fields.get("cache-control") == ["no-cache"], f"{what}: Cache-Control: no-cache ({fields.get('cache-control')})")
    check("content-length" not in fields, f"{what}: no Content-Length")
    if protocol == "HTTP/1.1":
        check(fields.get("transfer-encoding") == ["chunked"], f"{what}: chunked ({fields.get('transfer-encoding')})")
    else:
        check("transfer-encoding" not in fields, f"{what}: not chunked")


def simple_request(port, method, target, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, target, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
    finally:
        conn.close()


class Background:
    """A client program run in the background (curl -N, nghttp), killed at will."""

    def __init__(self, *cmd):
        self.proc = subprocess.Popen(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.out = b""

    def read_until(self, predicate, seconds):
        deadline = time.monotonic() + seconds
        while not predicate(self.out) and time.monotonic() < deadline:
            chunk = read_pipe(self.proc.stdout, deadline)
            if not chunk:
                break
            self.out += chunk
        return predicate(self.out)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(5)
        self.proc.stdout.close()


def has_events(n):
    return lambda out: len(parse_stream(out).events()) >= n


# ----------------------------------------------------------------------------
# Sections


def test_routes():
    """Every route over HTTP/1.1, HTTP/1.0 and h2c, through curl."""
    section("routes through curl")
    with Server() as server:
        for protocol, flags in PROTOCOLS.items():
            rc, headers, body, wo = curl(*flags, server.url("/messages"))
            status_line, fields = header_map(headers)
            what = f"/messages {protocol}"
            check(rc == 0, f"{what}: curl exit status 0 (a cleanly ended body; {rc})")
            want_version = {"HTTP/1.1": "1.1", "HTTP/1.0": "1.0", "h2c": "2"}[protocol]
            check(wo.endswith(" " + want_version) or (want_version == "1.0" and wo.endswith(" 1")),
                  f"{what}: spoken as HTTP {want_version} ({wo})")
            check_event_stream_headers(status_line, fields, protocol, what)
            check_messages(parse_stream(body), what)

            for count, size, event in [(5, 0, None), (3, 40, "tick"), (2, 1, None), (100, 1000, "big")]:
                target = f"/stream?count={count}&size={size}" + (f"&event={event}" if event else "")
                rc, headers, body, _ = curl(*flags, server.url(target))
                check(rc == 0, f"{target} {protocol}: curl exit status 0 ({rc})")
                check_event_stream_headers(*header_map(headers), protocol, f"{target} {protocol}")
                check_stream(parse_stream(body), count, size, event, f"{target} {protocol}")

            rc, _, body, _ = curl(*flags, "-H", "Last-Event-ID: 41", server.url("/last-event-id"))
            events = parse_stream(body).events()
            check(rc == 0 and [e[2] for e in events] == ["41"], f"/last-event-id {protocol} with 41: {events}")
            rc, _, body, _ = curl(*flags, server.url("/last-event-id"))
            events = parse_stream(body).events()
            check(rc == 0 and [e[2] for e in events] == ["none"], f"/last-event-id {protocol} without: {events}")

            for target in ["/stream?count=-1", "/stream?count=abc", "/stream?size=1.5", "/stream?interval_ms=",
                           "/stream?count=%2B3", "/stream?count=3&size=99999999999999999999999",
                           "/stream?event=a%0Ab"]:
                rc, headers, body, wo = curl(*flags, "--path-as-is", server.url(target))
                check(wo.startswith("400 "), f"{target} {protocol}: 400 ({wo})")
            for method, target, want in [("GET", "/nowhere", "404"), ("POST", "/stream", "405"),
                                         ("GET", "/publish", "405"), ("PUT", "/stats", "405"),
                                         ("DELETE", "/subscribe", "405"), ("GET", "/stats/x", "404")]:
                rc, headers, _, wo = curl(*flags, "-X", method, server.url(target))
                check(wo.startswith(want + " "), f"{method} {target} {protocol}: {want} ({wo})")

            rc, headers, body, wo = curl(*flags, server.url("/stats"))
            try:
                stats = json.loads(body)
            except ValueError:
                stats = None
            check(wo.startswith("200 ") and isinstance(stats, dict)
                  and sorted(stats) == ["disconnects", "live_producers", "open_streams"]
                  and all(isinstance(v, int) for v in stats.values()),
                  f"/stats {protocol}: the three counters as JSON ({body[:100]!r})")
            rc, headers, body, wo = curl(*flags, server.url("/"))
            check(wo.startswith("200 ") and b"EventSource" in body, f"/ {protocol}: the page ({wo})")

        # Headers go out as soon as the stream opens; then one event every T ms.
        raw = Raw(server.port, "GET /stream?count=3&interval_ms=400 HTTP/1.1\r\nHost: x\r\n\r\n")
        start = time.monotonic()
        status, fields = raw.read_head(2)
        t_head = time.monotonic() - start
        raw.read_until(lambda b: has_events(1)(dechunk(b)[0]), 2)
        t_first = time.monotonic() - start
        raw.read_until(lambda b: dechunk(b)[1], 3)
        t_all = time.monotonic() - start
        payload, complete, well_formed = dechunk(raw.buf)
        check(status == 200 and t_head < 0.3, f"/stream with 400 ms: headers at once ({t_head:.3f} s)")
        check(t_first < 0.3, f"/stream with 400 ms: the first event at once ({t_first:.3f} s)")
        check(0.75 < t_all < 1.6, f"/stream with 400 ms: three events take about 0.8 s ({t_all:.3f} s)")
        check(complete and well_formed, "/stream: the chunked body ends with the last chunk")
        check_stream(parse_stream(payload), 3, 0, None, "/stream?count=3&interval_ms=400")
        raw.close()

        # An HTTP/1.0 stream ends with the connection.
        raw = Raw(server.port, "GET /stream?count=2 HTTP/1.0\r\n\r\n")
        status, fields = raw.read_head(2)
        closed = raw.read_to_eof(3)
        check(status == 200 and closed and "transfer-encoding" not in fields and "content-length" not in fields,
              f"HTTP/1.0: an unchunked body ended by the close ({status}, {fields})")
        check_stream(parse_stream(raw.buf), 2, 0, None, "HTTP/1.0 /stream?count=2")
        raw.close()
        stats = server.wait_idle()
        check(stats.get("open_streams") == 0 and stats.get("live_producers") == 0, f"/stats after the routes: {stats}")


def read_subscription(raw, count, seconds):
    raw.read_until(lambda b: len(parse_stream(dechunk(b)[0]).events()) >= count, seconds)
    return parse_stream(dechunk(raw.buf)[0]).events()


def publish(port, topic, body, event=None):
    target = "/publish?topic=" + urllib.parse.quote(topic) + ("&event=" + urllib.parse.quote(event) if event else "")
    status, _, answer = simple_request(port, "POST", target, body=body)
    return status, answer.decode(errors="replace")


def test_pubsub():
    """/publish and /subscribe: ids per topic, live before the headers, resumption from the history."""
    section("publish and subscribe")
    with Server() as server:
        topic = "news"
        sub = Raw(server.port, f"GET /subscribe?topic={topic} HTTP/1.1\r\nHost: x\r\n\r\n")
        status, fields = sub.read_head(2)
        check(status == 200 and fields.get("content-type", [""])[0].startswith("text/event-stream"),
              f"/subscribe: 200 event stream ({status})")
        h2c = H2(server.port)
        s2 = h2c.request(f"/subscribe?topic={topic}")
        check(h2c.wait(lambda: h2c.streams[s2]["status"] is not None, 3) and h2c.streams[s2]["status"] == 200,
              "/subscribe over h2c: 200")
        # Published right after the headers arrived: the subscription was live.
        answers = [publish(server.port, topic, f"event {i}", "note") for i in range(1, 4)]
        check(answers == [(202, "1"), (202, "2"), (202, "3")], f"/publish: 202 with ids 1, 2, 3 ({answers})")
        other = publish(server.port, "other", "x")
        check(other == (202, "1"), f"/publish: ids count per topic ({other})")
        want = [("event", "note", f"event {i}", str(i), {"id", "event", "data"}) for i in range(1, 4)]
        got = read_subscription(sub, 3, 3)
        check(got == want, f"/subscribe HTTP/1.1: the three events, in order ({got})")
        h2c.wait(lambda: len(parse_stream(bytes(h2c.streams[s2]["data"])).events()) >= 3, 3)
        got = parse_stream(bytes(h2c.streams[s2]["data"])).events()
        check(got == want, f"/subscribe h2c: the three events, in order ({got})")

        # Multi-line bodies, an empty body, non-ASCII text.
        for body in ["a\nb\r\nc", "", "ü ✓ 👋", " lead"]:
            status, id_ = publish(server.port, "shapes", body.encode())
            r = Raw(server.port, f"GET /subscribe?topic=shapes HTTP/1.1\r\nHost: x\r\n"
                                 f"Last-Event-ID: {int(id_) - 1}\r\n\r\n")
            r.read_head(2)
            read_subscription(r, 1, 3)
            r.read_until(lambda b: False, 0.05)  # anything after the event would show
            events = parse_stream(dechunk(r.buf)[0]).events()
            r.close()
            expect = body.replace("\r\n", "\n")
            check(status == 202 and len(events) == 1 and events[0][2] == expect and events[0][3] == id_,
                  f"/publish {body!r} reads back as {expect!r} ({events})")
        status, answer = simple_request(server.port, "POST", "/publish?topic=x", body=b"\xff\xfe")[0:3:2]
        check(status == 400, f"/publish with a body that is not UTF-8: 400 ({status})")
        status = simple_request(server.port, "POST", "/publish?topic=x&event=a%0Db", body=b"x")[0]
        check(status == 400, f"/publish with a CR in the event name: 400 ({status})")

        # Resumption: each case on a topic of its own that holds ids 1, 2, 3.
        for n, (last, want_ids) in enumerate([("1", ["2", "3"]), ("3", []), ("0", ["1", "2", "3"]), ("999", []),
                                              ("abc", []), ("-1", []), ("", []), ("0002", ["3"])]):
            t = f"resume{n}"
            for i in range(3):
                publish(server.port, t, f"old {i}")
            r = Raw(server.port, f"GET /subscribe?topic={t} HTTP/1.1\r\nHost: x\r\nLast-Event-ID: {last}\r\n\r\n")
            r.read_head(2)
            publish(server.port, t, "marker")
            events = read_subscription(r, len(want_ids) + 1, 3)
            ids = [e[3] for e in events]
            check(ids == want_ids + ["4"], f"/subscribe with Last-Event-ID {last!r}: ids {ids} (want {want_ids + ['4']})")
            r.close()

        # The history keeps the last 1000 events of a topic.
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        ids = []
        for i in range(1, 1101):
            conn.request("POST", "/publish?topic=long", body=f"long {i}")
            r = conn.getresponse()
            ids.append(r.read().decode())
        conn.close()
        check(ids == [str(i) for i in range(1, 1101)], "/publish: 1100 ids in a row on one connection")
        r = Raw(server.port, "GET /subscribe?topic=long HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 100\r\n\r\n")
        r.read_head(2)
        events = read_subscription(r, 1000, 5)
        check([e[3] for e in events] == [str(i) for i in range(101, 1101)]
              and all(e[2] == f"long {e[3]}" for e in events),
              f"Last-Event-ID 100 after 1100 events: ids 101..1100 from the history ({len(events)} events)")
        r.close()
        sub.close()
        h2c.close()
        stats = server.wait_idle()
        check(stats.get("open_streams") == 0 and stats.get("live_producers") == 0, f"/stats at the end: {stats}")


def test_keepalive():
    section("keep-alive comments")
    with Server("--keepalive-ms", "200") as server:
        start = time.monotonic()
        bg = Background(ARGS.curl, "-sN", "--max-time", "5", server.url("/idle"))
        bg.read_until(lambda out: out.count(b"\n:") + out.startswith(b":") >= 3, 3)
        elapsed = time.monotonic() - start
        bg.kill()
        p = parse_stream(bg.out)
        comments = [i for i in p.items if i[0] == "comment"]
        check(len(comments) >= 3 and not p.events() and 0.5 < elapsed < 1.5,
              f"/idle HTTP/1.1 with --keepalive-ms 200: comments only, about one per 200 ms "
              f"({len(comments)} in {elapsed:.2f} s)")
        c = H2(server.port)
        sid = c.request("/idle")
        c.wait(lambda: bytes(c.streams[sid]["data"]).count(b":") >= 3, 2)
        p = parse_stream(bytes(c.streams[sid]["data"]))
        check(len([i for i in p.items if i[0] == "comment"]) >= 3 and not p.events(),
              f"/idle h2c with --keepalive-ms 200: comments only ({p.items[:4]})")
        c.close()
        # A busy stream sends none.
        rc, _, body, _ = curl(server.url("/stream?count=8&interval_ms=100"))
        p = parse_stream(body)
        check(rc == 0 and not [i for i in p.items if i[0] == "comment"] and len(p.events()) == 8,
              f"a stream with output every 100 ms gets no comment ({p.items[:3]})")
    with Server("--keepalive-ms", "0") as server:
        bg = Background(ARGS.curl, "-sN", "--max-time", "5", server.url("/idle"))
        bg.read_until(lambda out: len(out) > 0, 0.8)
        check(bg.out == b"", f"--keepalive-ms 0: no comment ({bg.out[:40]!r})")
        # SIGINT stops the server as SIGTERM does.
        status, elapsed = server.stop(sig=signal.SIGINT)
        check(status == 0 and elapsed < 3, f"SIGINT: exit status {status} after {elapsed:.2f} s")
        try:
            rc = bg.proc.wait(3)
        except subprocess.TimeoutExpired:
            rc = None
        check(rc == 0, f"SIGINT: the open /idle stream ended cleanly (curl exit status {rc})")
        bg.kill()


def test_multiplex():
    """100 streams on one HTTP/2 connection: h2load, nghttp, and h2 checking every byte."""
    section("HTTP/2: 100 streams on one connection")
    with Server() as server:
        if ARGS.h2load:
            r = subprocess.run([ARGS.h2load, "-n", "100", "-c", "1", "-m", "100",
                                server.url("/stream?count=50&size=100")],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
            out = r.stdout.decode(errors="replace")
            m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed", out)
            check(r.returncode == 0 and m and m.group(4) == "100" and m.group(5) == "0",
                  f"h2load, 100 streams at once on 1 connection: {m.group(0) if m else out[-300:]}")
            m = re.search(r"status codes: (\d+) 2xx", out)
            check(m and m.group(1) == "100", f"h2load: 100 answers 2xx ({m.group(0) if m else ''})")
        else:
            skipped.append("h2load")
        if ARGS.nghttp:
            with tempfile.TemporaryDirectory():
                r = subprocess.run([ARGS.nghttp, "-n", "-s", "-m", "100", "-t", "20",
                                    server.url("/stream?count=20&size=64&interval_ms=10")],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
                out = r.stdout.decode(errors="replace")
                # With -s, nghttp prints one line per stream it completed:
                # id, responseEnd, requestStart, process, code, size, path.
                done = re.findall(r"^\s*\d+\s+\+\S+\s+\+\S+\s+\S+\s+200\s+\S+\s+/stream", out, re.M)
                check(r.returncode == 0 and len(done) == 100,
                      f"nghttp -m 100: exit status 0 and 100 streams with status 200 ({r.returncode}, {len(done)})")
        else:
            skipped.append("nghttp")

        # h2: 100 different streams opened at once, every event compared.
        c = H2(server.port)
        want = {}
        for i in range(100):
            count, size = 10 + i % 7, (i * 37) % 300
            sid = c.request(f"/stream?count={count}&size={size}&event=s{i}")
            want[sid] = (count, size, f"s{i}")
        c.wait(lambda: all(s["ended"] or s["reset"] is not None for s in c.streams.values()), 20)
        complete = all(s["ended"] and s["status"] == 200 for s in c.streams.values())
        exact = all(parse_stream(bytes(c.streams[sid]["data"])).events() ==
                    [stream_event(i, size, ev) for i in range(1, count + 1)]
                    for sid, (count, size, ev) in want.items())
        check(complete, f"h2: 100 concurrent streams each end with END_STREAM and status 200")
        check(exact, "h2: each of the 100 streams carries exactly its own events")
        headers = c.streams[1]["headers"]
        check(headers.get("content-type", "").startswith("text/event-stream") and "content-length" not in headers
              and headers.get("cache-control") == "no-cache",
              f"h2: event-stream headers, no content-length ({headers})")
        # A stream more than SETTINGS_MAX_CONCURRENT_STREAMS allows is not what we test: at least 100.
        settings = c.conn.remote_settings
        check(settings.max_concurrent_streams >= 100,
              f"h2: SETTINGS_MAX_CONCURRENT_STREAMS >= 100 ({settings.max_concurrent_streams})")
        c.close()
        stats = server.wait_idle()
        check(stats.get("open_streams") == 0 and stats.get("live_producers") == 0, f"/stats at the end: {stats}")


def test_disconnects():
    """/stats: a client that leaves takes its producer with it, over both protocols."""
    section("clients that leave: /stats")
    with Server() as server:
        def settle(open_, live, seconds=3):
            last = {}

            def ok():
                nonlocal last
                last = server.stats()
                return last["open_streams"] == open_ and last["live_producers"] == live
            wait_until(ok, seconds, 0.02)
            return last

        base = server.stats()["disconnects"]
        cases = [("curl HTTP/1.1", [ARGS.curl, "-sN", "--http1.1"], "/stream?count=0&interval_ms=20", 1),
                 ("curl h2c", [ARGS.curl, "-sN", "--http2-prior-knowledge"], "/stream?count=0&interval_ms=20", 1),
                 ("curl HTTP/1.1 on /subscribe", [ARGS.curl, "-sN"], "/subscribe?topic=gone", 0),
                 ("curl HTTP/1.1 on /idle", [ARGS.curl, "-sN"], "/idle", 0)]
        for name, cmd, target, events in cases:
            bg = Background(*cmd, "--max-time", "20", server.url(target))
            if events:
                bg.read_until(has_events(events), 3)
            stats = settle(1, 1)
            check(stats == {"open_streams": 1, "live_producers": 1, "disconnects": base},
                  f"{name}: while it reads, one stream and one producer ({stats})")
            start = time.monotonic()
            bg.kill()
            stats = settle(0, 0)
            elapsed = time.monotonic() - start
            check(stats == {"open_streams": 0, "live_producers": 0, "disconnects": base + 1},
                  f"{name} killed: the stream ended, the producer is gone, one disconnect "
                  f"({stats}, {elapsed:.3f} s)")
            base = stats["disconnects"]

        if ARGS.nghttp:
            bg = Background(ARGS.nghttp, server.url("/stream?count=0&interval_ms=20"), server.url("/idle"),
                            server.url("/subscribe?topic=gone"))
            # nghttp's output to a pipe is block-buffered: the server's own count says when all three are open.
            stats = settle(3, 3)
            check(stats["open_streams"] == 3 and stats["live_producers"] == 3,
                  f"nghttp, three streams on one connection: three producers ({stats})")
            bg.kill()
            stats = settle(0, 0)
            check(stats == {"open_streams": 0, "live_producers": 0, "disconnects": base + 3},
                  f"nghttp killed: every stream ended, three disconnects ({stats})")
            base = stats["disconnects"]
        else:
            skipped.append("nghttp")

        # RST_STREAM ends one stream; the others and the connection go on.
        c = H2(server.port)
        s1 = c.request("/stream?count=0&interval_ms=20")
        s2 = c.request("/idle")
        s3 = c.request("/subscribe?topic=rst")
        c.wait(lambda: all(c.streams[s]["status"] for s in (s1, s2, s3)), 3)
        stats = settle(3, 3)
        check(stats["open_streams"] == 3, f"h2, three streams: {stats}")
        c.reset(s1)
        stats = settle(2, 2)
        check(stats == {"open_streams": 2, "live_producers": 2, "disconnects": base + 1},
              f"RST_STREAM on one: its producer is gone at once, the others live ({stats})")
        publish(server.port, "rst", "still here")
        c.wait(lambda: b"still here" in c.streams[s3]["data"], 3)
        check(b"still here" in c.streams[s3]["data"], "the connection goes on: the subscriber gets an event")
        c.reset(s2)
        c.reset(s3)
        stats = settle(0, 0)
        check(stats == {"open_streams": 0, "live_producers": 0, "disconnects": base + 3},
              f"RST_STREAM on the others: all gone, three disconnects ({stats})")
        s4 = c.request("/messages")
        c.wait(lambda: c.streams[s4]["ended"], 3)
        check(c.streams[s4]["ended"], "a new stream on the same connection still works")
        check_messages(parse_stream(bytes(c.streams[s4]["data"])), "h2 /messages after resets")
        c.close()

        # A stream that ends by itself does not count as a disconnect.
        curl(server.url("/stream?count=3"))
        stats = settle(0, 0)
        check(stats["disconnects"] == base + 3, f"a stream the server ends is no disconnect ({stats})")


def frames(data):
    """HTTP/2 frames in raw bytes: [(type, flags, stream id, payload)], and the rest."""
    out = []
    while len(data) >= 9:
        length = int.from_bytes(data[0:3], "big")
        if len(data) < 9 + length:
            break
        out.append((data[3], data[4], int.from_bytes(data[5:9], "big") & 0x7FFFFFFF, data[9:9 + length]))
        data = data[9 + length:]
    return out, data


PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def test_hostile():
    section("hostile clients")
    with Server() as server:
        # Malformed HTTP/1 requests: 400, and the connection closes.
        for name, req in [("no colon in a field", "GET / HTTP/1.1\r\nHost x\r\n\r\n"),
                          ("a bad request line", "GARBAGE\r\n\r\n"),
                          ("a bad version", "GET / HTTP/9.Z\r\nHost: x\r\n\r\n"),
                          ("a bad Content-Length", "POST /publish HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n"),
                          ("a bad chunk size",
                           "POST /publish HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")]:
            r = Raw(server.port, req)
            status, _ = r.read_head(3)
            closed = r.read_to_eof(3)
            check(status == 400 and closed, f"{name}: 400 and the connection closes ({status}, closed {closed})")
            r.close()
        # Headers over 16 KiB: 431.
        r = Raw(server.port, "GET /stats HTTP/1.1\r\nHost: x\r\nX-Big: " + "a" * 20000 + "\r\n\r\n")
        status, _ = r.read_head(3)
        check(status == 431 and r.read_to_eof(3), f"20 KB of header: 431 and close ({status})")
        r.close()
        # Bodies over 1 MiB: 413 and close, by Content-Length and chunked alike; 1 MiB itself is fine.
        status, _, answer = simple_request(server.port, "POST", "/publish?topic=size", body=b"y" * (1 << 20))
        check(status == 202, f"/publish with a body of exactly 1 MiB: 202 ({status})")
        r = Raw(server.port, f"POST /publish?topic=size HTTP/1.1\r\nHost: x\r\nContent-Length: {(1 << 20) + 1}\r\n\r\n")
        status, fields = r.read_head(3)
        check(status == 413 and r.read_to_eof(3), f"Content-Length of 1 MiB + 1: 413 and close ({status})")
        r.close()
        r = Raw(server.port, "POST /publish?topic=size HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        try:
            for _ in range(20):
                r.send(b"10000\r\n" + b"z" * 0x10000 + b"\r\n")
        except OSError:
            pass
        status, _ = r.read_head(3)
        check(status == 413 and r.read_to_eof(3), f"a chunked body past 1 MiB: 413 and close ({status})")
        r.close()
        check(publish(server.port, "size", "after")[0] == 202, "the server still answers")

        # Garbage after the HTTP/2 preface: GOAWAY, the connection closes, the server goes on.
        for name, junk in [("text", b"GARBAGE GARBAGE GARBAGE\r\n\r\n"),
                           ("a DATA frame on stream 0", b"\x00\x00\x04\x00\x00\x00\x00\x00\x00abcd"),
                           ("HEADERS before SETTINGS", b"\x00\x00\x01\x01\x05\x00\x00\x00\x01\x82")]:
            r = Raw(server.port, PREFACE + junk)
            r.read_to_eof(3)
            got, _ = frames(r.buf)
            goaway = [f for f in got if f[0] == 7]
            check(goaway and r.eof, f"HTTP/2 preface then {name}: GOAWAY and close "
                                    f"({[(t, len(p)) for t, _, _, p in got]}, closed {r.eof})")
            r.close()
        check(server.stats()["open_streams"] == 0, "the server still answers")

        # A reset flood: streams opened and reset as fast as possible.
        c = H2(server.port)
        opened = 0
        start = time.monotonic()
        try:
            while c.goaway is None and not c.closed and opened < 20000 and time.monotonic() - start < 10:
                for _ in range(50):
                    sid = c.request("/stream?count=0")
                    c.conn.reset_stream(sid, h2.errors.ErrorCodes.CANCEL)
                    opened += 1
                c.flush()
                c.pump(0)
        except (h2.exceptions.ProtocolError, OSError):
            pass
        c.wait_closed(3)
        check(c.goaway is not None, f"a reset flood gets GOAWAY ({opened} streams reset, "
                                    f"error code {c.goaway!r}, after {time.monotonic() - start:.2f} s; {c.log[-2:]})")
        c.close()
        stats = server.wait_idle()
        check(stats.get("open_streams") == 0 and stats.get("live_producers") == 0,
              f"after the reset flood the server is up, nothing left open ({stats})")

        # A thousand connections dropped half-way through their request.
        partial = [b"GET /stream?count=5 HTTP/1.1\r\nHo",
                   b"GET /subscribe?topic=half HTTP/1.1\r\nHost: x\r\n",
                   b"POST /publish?topic=half HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + b"q" * 50,
                   b"PRI * HTTP/2.0\r\n",
                   PREFACE + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00" + b"\x00\x00\x20\x01\x04\x00\x00\x00\x01",
                   b"G"]
        start = time.monotonic()
        for batch in range(10):
            socks = []
            for i in range(100):
                s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
                s.sendall(partial[(batch * 100 + i) % len(partial)])
                socks.append(s)
            for i, s in enumerate(socks):
                if i % 2:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.close()
        check(True, f"1000 connections dropped half-way ({time.monotonic() - start:.2f} s)")
        rc, _, body, _ = curl(server.url("/stream?count=3"))
        check(rc == 0 and len(parse_stream(body).events()) == 3, "the server still streams")
        stats = server.wait_idle(5)
        check(stats.get("open_streams") == 0 and stats.get("live_producers") == 0,
              f"after all that, /stats shows nothing open ({stats})")


def test_slow_subscriber():
    """A subscriber that never reads while 32 MiB are published to its topic: four times the 8 MiB it may have
    queued, with room for what the sockets hold (about 5 MiB on loopback here)."""
    section("a subscriber that never reads")
    with Server() as server:
        topic = "flood"
        slow = Raw(server.port, f"GET /subscribe?topic={topic} HTTP/1.1\r\nHost: x\r\n\r\n", rcvbuf=16384)
        check(slow.read_head(3)[0] == 200, "the slow subscriber is subscribed")
        reader = Raw(server.port, f"GET /subscribe?topic={topic} HTTP/1.1\r\nHost: x\r\n\r\n")
        check(reader.read_head(3)[0] == 200, "the reading subscriber is subscribed")
        chunks = []
        stop = threading.Event()

        def read():
            reader.sock.settimeout(0.1)  # sees `stop` soon after it is set
            while not stop.is_set():
                try:
                    chunk = reader.sock.recv(1 << 20)
                except socket.timeout:
                    continue
                except OSError:
                    break
                if not chunk:
                    break
                chunks.append(chunk)

        rss = {"max": 0, "start": server.rss_kib()}

        def sample():
            while not stop.is_set():
                rss["max"] = max(rss["max"], server.rss_kib())
                time.sleep(0.02)

        threads = [threading.Thread(target=read), threading.Thread(target=sample)]
        for t in threads:
            t.start()
        count, size = 1024, 32 * 1024
        start = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        ids = []
        for i in range(1, count + 1):
            body = f"{i}:".encode() + b"y" * (size - len(f"{i}:"))
            conn.request("POST", f"/publish?topic={topic}", body=body)
            ids.append(conn.getresponse().read())
        conn.close()
        publish_time = time.monotonic() - start
        check(ids == [str(i).encode() for i in range(1, count + 1)],
              f"{count * size >> 20} MiB published as {count} events of 32 KiB ({publish_time:.2f} s)")
        # Dropped, the slow subscriber's stream ends at once, though it has
        # read nothing: not at the send timeout, 30 s after its stuck write
        # started, which was after the first publish. So it must end less
        # than 25 s after that, however long publishing took.
        open_streams = {}

        def slow_one_ended():
            open_streams.update(server.stats())
            return open_streams["open_streams"] == 1
        ended = wait_until(slow_one_ended, max(0.0, start + 25 - time.monotonic()), 0.05)
        check(ended, f"the slow subscriber's stream ended while it read nothing, "
                     f"{time.monotonic() - start:.1f} s after the first publish ({open_streams.get('open_streams')} open)")

        def received():
            return parse_stream(dechunk(b"".join(chunks))[0]).events()

        wait_until(lambda: len(b"".join(chunks)) >= count * size, 20, 0.1)
        events = received()
        stop.set()
        for t in threads:
            t.join(5)
        ok = [e[3] for e in events] == [str(i) for i in range(1, count + 1)] and \
            all(len(e[2]) == size and e[2].startswith(e[3] + ":") for e in events)
        check(ok, f"the reading subscriber got every event, in order ({len(events)} of {count})")
        check(rss["max"] < 200 * 1024, f"server RSS stayed bounded: {rss['start'] // 1024} MiB at the start, "
                                       f"{rss['max'] // 1024} MiB at most (limit 200)")
        # The slow one was disconnected: what it can still read ends.
        closed = slow.read_to_eof(10)
        got = len(parse_stream(dechunk(slow.buf)[0]).events())
        check(closed and got < count, f"the slow subscriber was disconnected ({got} events reached it, closed {closed})")
        check(slow.reset, "its connection was reset, not closed gracefully: the server's kernel keeps nothing "
                          "for a client that stopped reading")
        slow.close()
        reader.close()
        stats = server.wait_idle()
        check(stats.get("open_streams") == 0 and stats.get("live_producers") == 0, f"/stats at the end: {stats}")


def make_certificate(directory):
    return sse_testing.make_certificate(ARGS.openssl, directory)


def test_tls(tmp):
    section("TLS: the protocol by ALPN")
    cert, key = make_certificate(tmp)
    with Server(tls=(cert, key)) as server:
        for name, flags, version in [("ALPN h2", ["--http2"], "2"), ("ALPN http/1.1", ["--http1.1"], "1.1"),
                                     ("no ALPN", ["--http1.1", "--no-alpn"], "1.1"),
                                     ("HTTP/1.0, no ALPN", ["--http1.0", "--no-alpn"], "1.0")]:
            rc, headers, body, wo = curl("-k", *flags, server.url("/messages"))
            check(rc == 0 and wo in ("200 " + version, "200 1" if version == "1.0" else ""),
                  f"TLS, {name}: HTTP {version}, curl exit 0 ({rc}, {wo})")
            check_messages(parse_stream(body), f"TLS, {name}")
        rc, _, body, wo = curl("-k", "--http2", server.url("/stream?count=200&size=500"))
        check_stream(parse_stream(body), 200, 500, None, "TLS h2 /stream")
        if ARGS.h2load:
            r = subprocess.run([ARGS.h2load, "-n", "100", "-c", "1", "-m", "100", server.url("/stream?count=20")],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
            out = r.stdout.decode(errors="replace")
            check("100 succeeded, 0 failed" in out and "h2" in out,
                  f"h2load over TLS: 100 streams, one connection ({re.findall(r'requests: .*', out)})")
        # Shutdown with streams open over TLS, both protocols: curl exits 0 only for a cleanly ended body.
        streams = [Background(ARGS.curl, "-skN", "--max-time", "10", *flags, server.url("/stream?count=0&interval_ms=50"))
                   for flags in (["--http2"], ["--http1.1"])]
        for s in streams:
            s.read_until(has_events(1), 3)
        status, elapsed = server.stop()
        check(status == 0 and elapsed < 3, f"TLS server: SIGTERM, exit status {status} after {elapsed:.2f} s")
        for s, name in zip(streams, ["h2", "HTTP/1.1"]):
            try:
                rc = s.proc.wait(3)
            except subprocess.TimeoutExpired:
                rc = None
            s.read_until(lambda _: False, 0.2)
            check(rc == 0, f"TLS {name}: the open stream ended cleanly on shutdown (curl exit status {rc})")
            s.kill()


def test_node(tmp):
    section("Node's eventsource package")
    with Server() as server:
        r = subprocess.run([ARGS.node, os.path.join(HERE, "eventsource_client.mjs"), server.base, ARGS.node_prefix],
                           timeout=60)
        check(r.returncode == 0, f"eventsource_client.mjs: exit status {r.returncode}")


def test_browser(tmp):
    section("headless Chromium")
    cert, key = make_certificate(tmp)
    with Server() as plain, Server(tls=(cert, key)) as tls:
        r = subprocess.run([ARGS.node, os.path.join(HERE, "browser.mjs"), ARGS.chromium, ARGS.node_prefix,
                            plain.base, tls.base], timeout=90)
        check(r.returncode == 0, f"browser.mjs: exit status {r.returncode}")
        for server, name in [(plain, "HTTP"), (tls, "TLS")]:
            stats = server.wait_idle()
            check(stats.get("open_streams") == 0 and stats.get("live_producers") == 0,
                  f"{name}: once the browser has gone, nothing is left open ({stats})")


def test_shutdown():
    """SIGTERM with streams open on both protocols."""
    section("graceful shutdown")
    with Server() as server:
        h1 = Raw(server.port, "GET /stream?count=0&interval_ms=50 HTTP/1.1\r\nHost: x\r\n\r\n")
        sub = Raw(server.port, "GET /subscribe?topic=bye HTTP/1.1\r\nHost: x\r\n\r\n")
        old = Raw(server.port, "GET /idle HTTP/1.0\r\n\r\n")
        for r in (h1, sub, old):
            r.read_head(3)
        h1.read_until(lambda b: has_events(1)(dechunk(b)[0]), 3)
        kept = Raw(server.port, "GET /stats HTTP/1.1\r\nHost: x\r\n\r\n")
        kept.read_until(lambda b: b.endswith(b"}"), 3)  # answered; the connection stays open
        idle = Raw(server.port)  # connected, nothing sent
        c = H2(server.port)
        s1 = c.request("/stream?count=0&interval_ms=50")
        s2 = c.request("/idle")
        s3 = c.request("/subscribe?topic=bye")
        c.wait(lambda: all(c.streams[s]["status"] for s in (s1, s2, s3)) and c.streams[s1]["data"], 3)
        idle_h2 = H2(server.port)
        idle_h2.wait(lambda: idle_h2.conn.remote_settings.max_concurrent_streams < 2 ** 31, 0.5)
        stats = server.stats()
        check(stats["open_streams"] == 6, f"six streams open before SIGTERM ({stats})")

        status, elapsed = server.stop()
        check(status == 0 and elapsed < 3, f"SIGTERM: exit status {status} after {elapsed:.2f} s (want 0 within 3 s)")

        for r, name in [(h1, "/stream"), (sub, "/subscribe")]:
            closed = r.read_to_eof(3)
            payload, complete, well_formed = dechunk(r.buf)
            check(complete and well_formed and r.buf.endswith(b"0\r\n\r\n") and closed,
                  f"HTTP/1.1 {name}: the last chunk 0\\r\\n\\r\\n, then the close ({bytes(r.buf[-12:])!r}, closed {closed})")
            check(not parse_stream(payload).malformed, f"HTTP/1.1 {name}: whole events only")
        check(old.read_to_eof(3), "HTTP/1.0 /idle: the connection closes")
        check(kept.read_to_eof(3) and kept.buf.endswith(b"}"), "an idle keep-alive connection is closed")
        check(idle.read_to_eof(3) and idle.buf == b"", "a connection that sent nothing is closed")

        c.wait_closed(3)
        log = c.log
        ends = [e for e in log if e[0] == "end"]
        goaway_at = next((i for i, e in enumerate(log) if e[0] == "goaway"), None)
        check(len(ends) == 3 and not [e for e in log if e[0] == "reset"],
              f"h2: each of the three streams ends with END_STREAM, none is reset ({log[-6:]})")
        check(goaway_at is not None and all(log.index(e) < goaway_at for e in ends) and c.goaway == 0,
              f"h2: END_STREAM on every stream, then GOAWAY (NO_ERROR) ({log[-6:]})")
        check(c.closed, "h2: then the connection closes")
        for sid in (s1, s3):
            check(not parse_stream(bytes(c.streams[sid]["data"])).malformed, f"h2 stream {sid}: whole events only")
        idle_h2.wait_closed(3)
        check(idle_h2.goaway == 0 and idle_h2.closed,
              f"an idle h2 connection gets GOAWAY and is closed ({idle_h2.log})")
        for r in (h1, sub, old, kept, idle):
            r.close()
        c.close()
        idle_h2.close()


HERE = os.path.dirname(os.path.abspath(__file__))

SECTIONS = ["routes", "pubsub", "keepalive", "multiplex", "disconnects", "hostile", "slow", "tls", "node",
            "browser", "shutdown"]


def main():
    global ARGS
    ap = sse_testing.argument_parser(__doc__, ["curl", "nghttp", "h2load", "openssl"])
    ap.add_argument("--node")
    ap.add_argument("--node-prefix")
    ap.add_argument("--chromium")
    ap.add_argument("--only", help="comma-separated sections: " + ", ".join(SECTIONS))
    ap.add_argument("--publish-ahead", type=int, help="the server's --publish-ahead (default: its own)")
    ARGS = ap.parse_args()
    if not ARGS.curl:
        raise SystemExit("curl is needed")
    only = ARGS.only.split(",") if ARGS.only else SECTIONS
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        for name in only:
            if name == "routes":
                test_routes()
            elif name == "pubsub":
                test_pubsub()
            elif name == "keepalive":
                test_keepalive()
            elif name == "multiplex":
                test_multiplex()
            elif name == "disconnects":
                test_disconnects()
            elif name == "hostile":
                test_hostile()
            elif name == "slow":
                test_slow_subscriber()
            elif name == "tls":
                if ARGS.openssl:
                    test_tls(tmp)
                else:
                    skipped.append("tls (no openssl)")
            elif name == "node":
                if ARGS.node and ARGS.node_prefix:
                    test_node(tmp)
                else:
                    skipped.append("node (no node)")
            elif name == "browser":
                if ARGS.node and ARGS.node_prefix and ARGS.chromium and ARGS.openssl:
                    test_browser(tmp)
                else:
                    skipped.append("browser (no node, chromium or openssl)")
            elif name == "shutdown":
                test_shutdown()
            else:
                raise SystemExit(f"unknown section {name}")
    return summary(start)


if __name__ == "__main__":
    sys.exit(main())
