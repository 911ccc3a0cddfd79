#!/usr/bin/python3
#
# Copyright (c) 2026 The sse authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#

"""Churns the reference server for a bounded time, then checks that it survived.

    soak.py --server PATH/TO/reference_server [--threads N] [--seconds S]
        [--protocols h1,h2c] [--seed N] [--server-log FILE]
        [--h1-clients N] [--subscribers N] [--h2c-clients N] [--publish-rate N]

The contract is reference-server.md. The soak starts the server itself
(`--port 0 --threads N` on 127.0.0.1, its stderr to a log file), then, for S
seconds, all at once:

  - HTTP/1.1 clients (24) cycling through short `/stream?count=K&size=B`
    requests with varying K and B. Some are read to the end, checked event by
    event, and their connection carries the next request at once
    (keep-alive); others are dropped half-way, by a clean close (FIN) or by a
    reset (SO_LINGER 0, then close), sometimes before the answer even came.
  - `/subscribe?topic=T` subscribers over HTTP/1.1 coming and going, some
    resuming with `Last-Event-ID`, dropped by FIN or RST, over four topics.
  - h2c connections (prior knowledge, Python's `h2` on a raw socket) opening
    three streams (/stream or /subscribe), then dropped at TCP level (close
    or RST) without any RST_STREAM.
  - two publishers POSTing `/publish` to the subscribers' topics all along,
    first filling each topic's history (1000 events), then at a steady rate.
  - a monitor that every second GETs /stats and samples the server's VmRSS.

This is the churn that once crashed the server: a publish on one io thread
racing with a subscription being cancelled on another. Then the load stops
and the checks run: the server stayed alive; /stats always answered; RSS did
not keep growing in the last third of the run; every stream read to the end
was exact (ids 1..K, data of the exact size and format), so was every event
that reached a subscriber (ids without gap or duplicate, data as published)
and every request sent on a reused keep-alive connection was answered; once
the load is gone /stats comes back to no open stream and no live producer;
SIGTERM ends the server with status 0 within 5 s; its stderr holds no
sanitizer report. The last line is `soak: N passed, M failed`; the exit
status is 0 only when nothing failed.

A run takes S seconds and about one more (a crash ends the load at once).
When the server dies, or prints an AddressSanitizer error, the load stops:
the timeouts, resets and refusals that clients then meet are put down to the
crash and not counted again; wrong answers still are. In an ASan build the
quarantine of freed memory is capped at 32 MiB (unless ASAN_OPTIONS sets
quarantine_size_mb), so that RSS levels off within the run.

The publishers and the monitor always speak HTTP/1.1; `--protocols` chooses
which of the HTTP/1.1 clients (stream clients and subscribers) and h2c
clients run. Every socket has a timeout, every wait checks the deadline, and
all traffic goes to 127.0.0.1. The load runs at a lower CPU priority than
the server (nice +5), and being Python it uses about one core at most.
Python standard library plus `h2` (Debian: python3-h2) only.
"""

import argparse
import collections
import json
import os
import random
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

try:
    import h2.config
    import h2.connection
    import h2.events
    import h2.exceptions
except ImportError:  # only needed for h2c; main() says so when it is asked for
    h2 = None

ARGS = None

TOPICS = ["soak-a", "soak-b", "soak-c", "soak-d"]
HISTORY = 1000          # the history the contract promises per topic, at least
IO_TIMEOUT = 10.0       # a client waits this long for a byte before it calls it a hang
STATS_TIMEOUT = 5.0     # /stats must answer within this
POLL_STEP = 0.25        # the longest a client blocks before it looks at the stop flag again
MIB = 1024 * 1024

SANITIZER_PATTERNS = ["ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                      "WARNING: ThreadSanitizer", "ERROR: ThreadSanitizer"]


# ----------------------------------------------------------------------------
# What the load saw: counters and problems, shared by every thread.


class Stopped(Exception):
    """The load is over: the client drops what it was doing, without blame."""


class TransportError(Exception):
    """A hang, an unexpected close or reset, a refused connection."""


class Report:
    """Counters and problems. A problem is (seconds into the load, transport?, text), kept per kind."""

    MAX_KEPT = 8  # problems printed per kind; the rest are only counted

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = collections.Counter()
        self.problems = collections.defaultdict(list)
        self.t0 = time.monotonic()

    def now(self):
        return time.monotonic() - self.t0

    def count(self, what, n=1):
        with self.lock:
            self.counts[what] += n

    def problem(self, kind, text, transport=False):
        with self.lock:
            self.problems[kind].append((self.now(), transport, text))

    def relevant(self, kind, crashed_at):
        """The problems of `kind`, without the transport errors that a crash of the server explains."""
        with self.lock:
            got = list(self.problems.get(kind, []))
        if crashed_at is None:
            return got
        return [p for p in got if not (p[1] and p[0] >= crashed_at - 1.5)]


REPORT = Report()
STOP = threading.Event()


# ----------------------------------------------------------------------------
# What the contract says the routes send.


def stream_data(i, size):
    """The data of event i of /stream?size=B: the decimal i, ':', then 'x' up to B bytes."""
    head = b"%d:" % i
    return head + b"x" * (size - len(head))


def stream_wire(count, size):
    """/stream?count=K&size=B as the server writes it today (one `id:` and one `data:` line per event).

    Only a fast path: a body that differs is parsed and compared event by event."""
    return b"".join(b"id: %d\ndata: %b\n\n" % (i, stream_data(i, size)) for i in range(1, count + 1))


def stream_wire_prefix(size, length):
    """The first `length` bytes, at least, of an endless /stream?size=B, in the same form."""
    parts, total, i = [], 0, 0
    while total < length:
        i += 1
        part = b"id: %d\ndata: %b\n\n" % (i, stream_data(i, size))
        parts.append(part)
        total += len(part)
    return b"".join(parts)


def publish_body(topic, n):
    """What the publishers send as event n of `topic`: it names itself, then padding of a length set by n."""
    head = b"%s %d " % (topic.encode(), n)
    return head + b"p" * ((n * 7919) % 1500)


class EventParser:
    """Reads text/event-stream incrementally, as an EventSource would.

    feed() returns the events its bytes completed, as (id, event, data) bytes
    (None for a field the block lacks). Unlike a browser, the id is the
    block's own `id:` field, not the last one seen, since the contract puts
    one on every event checked here. Comments are counted; lines that are
    not a known field are listed in `malformed`."""

    def __init__(self):
        self.pending = b""
        self.id = None
        self.event = None
        self.data = []
        self.comments = 0
        self.malformed = []

    def feed(self, chunk):
        text = self.pending + bytes(chunk)
        hold = b""
        if b"\r" in text:
            # CRLF and a lone CR end lines too; a CR at the very end may be half of a CRLF.
            if text.endswith(b"\r"):
                text, hold = text[:-1], b"\r"
            text = text.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = text.split(b"\n")
        self.pending = lines.pop() + hold
        out = []
        for line in lines:
            if not line:
                if self.data:
                    out.append((self.id, self.event, b"\n".join(self.data)))
                self.id, self.event, self.data = None, None, []
            elif line.startswith(b":"):
                self.comments += 1
            else:
                name, _, value = line.partition(b":")
                if value.startswith(b" "):
                    value = value[1:]
                if name == b"data":
                    self.data.append(value)
                elif name == b"id":
                    self.id = value
                elif name == b"event":
                    self.event = value
                elif name != b"retry":
                    self.malformed.append(line[:60])
        return out


def check_stream_events(payload, count, size, complete):
    """Compares a /stream body with the contract; None when it matches, else what differs.

    count 0 is an endless stream. With `complete`, the body must be the whole
    stream; without, it may stop anywhere: its whole events must then be the
    first ones of the stream."""
    if complete:
        if payload == stream_wire(count, size):
            return None
    elif payload == stream_wire_prefix(size, len(payload))[:len(payload)] and \
            (count == 0 or payload.count(b"\n\n") <= count):
        return None
    # Not the expected bytes: compare the events, which is what the contract fixes.
    p = EventParser()
    events = p.feed(payload)
    if p.malformed:
        return f"malformed lines {p.malformed[:2]}"
    for n, (eid, event, data) in enumerate(events, 1):
        want = stream_data(n, size)
        if eid != b"%d" % n or event is not None or data != want:
            return (f"event {n}: got id {eid!r} event {event!r} data {data[:40]!r}... ({len(data)} bytes), "
                    f"want id {n}, data {want[:40]!r}... ({len(want)} bytes)")
    if count and len(events) > count:
        return f"{len(events)} events, more than the {count} asked"
    if complete and len(events) != count:
        return f"{len(events)} events, not {count}" + (f" (and {len(p.pending)} bytes of an unfinished line)"
                                                      if p.pending else "")
    return None


class SubscriptionChecker:
    """The events of one subscription to `topic`: ids without gap or duplicate, data as published.

    after: the Last-Event-ID sent, if any. exact_first: the history surely
    still held id after+1, so that must come first."""

    def __init__(self, topic, after=None, exact_first=False):
        self.topic = topic
        self.after = after
        self.exact_first = exact_first
        self.parser = EventParser()
        self.last = None
        self.events = 0
        self.error = None

    def feed(self, payload):
        if self.error:
            return
        for eid, event, data in self.parser.feed(payload):
            self.events += 1
            if not eid or not eid.isdigit():
                self.error = f"event {self.events} has id {eid!r}"
                return
            n = int(eid)
            if self.last is None:
                if self.after is not None and n <= self.after:
                    self.error = f"Last-Event-ID {self.after}, yet the first event is {n}"
                elif self.exact_first and n != self.after + 1:
                    self.error = f"Last-Event-ID {self.after}, the history holds {self.after + 1}, yet the first is {n}"
            elif n != self.last + 1:
                self.error = f"id {n} after {self.last} ({'a gap' if n > self.last else 'a repeat or disorder'})"
            if not self.error and (data != publish_body(self.topic, n) or event is not None):
                self.error = f"event {n}: data {data[:40]!r} ({len(data)} bytes), event {event!r}: not what was published"
            if self.error:
                return
            self.last = n
        if self.parser.malformed:
            self.error = f"malformed lines {self.parser.malformed[:2]}"


# ----------------------------------------------------------------------------
# Clients on raw sockets: HTTP/1.1 and h2c.


def wait_readable(sock, timeout):
    p = select.poll()
    p.register(sock, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(p.poll(max(0.0, timeout) * 1000))


def connect(port):
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
    except OSError as e:
        raise TransportError(f"connect: {e}") from None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def drop(sock, reset):
    """Closes the socket: a FIN, or with `reset` a RST (SO_LINGER 0)."""
    try:
        if reset:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass


def receive(sock, until=None, stop=True):
    """The next bytes on `sock`, or b"" when `until` (a monotonic time) comes first.

    Raises Stopped when the load stops (unless stop=False), TransportError on
    a close, a reset, or IO_TIMEOUT without a byte."""
    silent_until = time.monotonic() + IO_TIMEOUT
    while True:
        if stop and STOP.is_set():
            raise Stopped()
        now = time.monotonic()
        if until is not None and now >= until:
            return b""
        if now >= silent_until:
            raise TransportError(f"nothing received for {IO_TIMEOUT:.0f} s")
        limit = min(POLL_STEP, silent_until - now, (until - now) if until is not None else POLL_STEP)
        if wait_readable(sock, limit):
            try:
                chunk = sock.recv(1 << 18)
            except OSError as e:
                raise TransportError(f"recv: {e}") from None
            if not chunk:
                raise TransportError("the server closed the connection")
            return chunk


class H1:
    """An HTTP/1.1 connection: requests out, response heads and bodies in, as raw bytes."""

    def __init__(self, port):
        self.sock = connect(port)
        self.buf = bytearray()
        self.requests = 0
        self.received = 0

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise TransportError(f"send: {e}") from None
        self.requests += 1

    def more(self, until=None, stop=True):
        chunk = receive(self.sock, until, stop)
        self.received += len(chunk)
        return chunk

    def read_head(self, stop=True):
        """(status, lower-cased fields, status line); what follows the head stays in buf."""
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > 65536:
                raise TransportError("a response head over 64 KiB")
            self.buf += self.more(stop=stop)
        head, _, rest = bytes(self.buf).partition(b"\r\n\r\n")
        self.buf = bytearray(rest)
        lines = head.decode("latin-1").split("\r\n")
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        parts = lines[0].split(" ")
        status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        return status, fields, lines[0]

    def read_sized(self, length, stop=True):
        while len(self.buf) < length:
            self.buf += self.more(stop=stop)
        body, self.buf = bytes(self.buf[:length]), self.buf[length:]
        return body

    def close(self, reset=False):
        REPORT.count("bytes read", self.received)
        self.received = 0
        drop(self.sock, reset)


class ChunkedBody:
    """Undoes the chunked transfer coding as bytes come. `done` once the last chunk came;
    `rest`: the bytes after it (none, when nothing else was asked); `error`: bad framing."""

    def __init__(self):
        self.raw = bytearray()
        self.pos = 0
        self.payload = bytearray()
        self.done = False
        self.rest = b""
        self.error = None

    def feed(self, data):
        """Returns the payload bytes that `data` completed."""
        self.raw += data
        start = len(self.payload)
        while not self.done and not self.error:
            end = self.raw.find(b"\r\n", self.pos)
            if end < 0:
                if len(self.raw) - self.pos > 32:
                    self.error = f"a chunk size line that does not end: {bytes(self.raw[self.pos:self.pos + 32])!r}"
                break
            try:
                size = int(bytes(self.raw[self.pos:end]).split(b";")[0], 16)
            except ValueError:
                self.error = f"a bad chunk size line {bytes(self.raw[self.pos:end])[:32]!r}"
                break
            if size == 0:
                if len(self.raw) < end + 4:
                    break
                if self.raw[end + 2:end + 4] != b"\r\n":
                    self.error = f"trailers or junk after the last chunk: {bytes(self.raw[end + 2:end + 34])!r}"
                    break
                self.done = True
                self.rest = bytes(self.raw[end + 4:])
                break
            if len(self.raw) < end + 4 + size:
                break
            if self.raw[end + 2 + size:end + 4 + size] != b"\r\n":
                self.error = "a chunk not followed by CRLF"
                break
            self.payload += self.raw[end + 2:end + 2 + size]
            self.pos = end + 4 + size
        if self.pos > 1 << 16:
            del self.raw[:self.pos]
            self.pos = 0
        return self.payload[start:]


def answer_problem(conn, status, fields, line, reused):
    """What is wrong with the head of a /stream answer, with the body of a short error answer; or None."""
    problem = event_stream_head_problem(status, fields, line)
    if problem and status != 200:
        length = int(fields.get("content-length", "-1") or "-1")
        if 0 <= length <= 1000:
            problem += f", body {conn.read_sized(length)!r}"
        if reused and status in (400, 405):
            problem += " (the server did not read the request as sent: its first bytes lost after the last stream?)"
    return problem


def event_stream_head_problem(status, fields, line):
    if status != 200:
        return f"answered {line!r}"
    if not fields.get("content-type", "").startswith("text/event-stream"):
        return f"Content-Type {fields.get('content-type')!r}"
    if fields.get("transfer-encoding", "").lower() != "chunked" or "content-length" in fields:
        return f"not a chunked body without Content-Length ({fields})"
    return None


class H2c:
    """An HTTP/2 connection with prior knowledge on a raw socket, driven by the `h2` package."""

    def __init__(self, port, acknowledge):
        self.sock = connect(port)
        self.conn = h2.connection.H2Connection(
            config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.conn.initiate_connection()
        self.acknowledge = acknowledge  # without, the server soon stalls on flow control
        self.streams = {}
        self.trouble = []  # what the server should not have done: RST_STREAM, GOAWAY, bad frames
        self.received = 0
        self.flush()

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            try:
                self.sock.sendall(data)
            except OSError as e:
                raise TransportError(f"send: {e}") from None

    def request(self, target, headers=(), on_data=None):
        sid = self.conn.get_next_available_stream_id()
        self.conn.send_headers(sid, [(":method", "GET"), (":scheme", "http"), (":authority", "127.0.0.1"),
                                     (":path", target), *headers], end_stream=True)
        self.streams[sid] = {"target": target, "status": None, "ended": False, "on_data": on_data,
                             "data": bytearray()}
        self.flush()
        return sid

    def run_until(self, until):
        """Reads and answers frames until `until` (a monotonic time)."""
        while True:
            chunk = receive(self.sock, until)
            if not chunk:
                return
            self.received += len(chunk)
            try:
                events = self.conn.receive_data(chunk)
            except h2.exceptions.ProtocolError as e:
                raise TransportError(f"a protocol error from the server's frames: {e}") from None
            for ev in events:
                s = self.streams.get(getattr(ev, "stream_id", 0))
                if isinstance(ev, h2.events.ResponseReceived) and s:
                    s["status"] = int(dict(ev.headers).get(":status", 0))
                elif isinstance(ev, h2.events.DataReceived) and s:
                    s["data"] += ev.data
                    if self.acknowledge and ev.flow_controlled_length:
                        try:
                            self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                        except h2.exceptions.StreamClosedError:
                            pass
                elif isinstance(ev, h2.events.StreamEnded) and s:
                    s["ended"] = True
                elif isinstance(ev, h2.events.StreamReset):
                    self.trouble.append(f"RST_STREAM on stream {ev.stream_id} ({ev.error_code!r})")
                elif isinstance(ev, h2.events.ConnectionTerminated):
                    self.trouble.append(f"GOAWAY ({ev.error_code!r})")
            self.flush()

    def close(self, reset):
        REPORT.count("bytes read", self.received)
        drop(self.sock, reset)


# ----------------------------------------------------------------------------
# The load.


class Topics:
    """The newest id each topic's publisher has had answered, for subscribers to resume from,
    and whether its history is full (the publisher then goes at its steady pace)."""

    def __init__(self):
        self.latest = {t: 0 for t in TOPICS}
        self.steady = {t: False for t in TOPICS}


TOPIC_STATE = Topics()


def pick_resume(rng, topic):
    """A Last-Event-ID for a new subscriber: (header value or None, after, exact_first)."""
    latest = TOPIC_STATE.latest[topic]
    r = rng.random()
    if latest == 0 or r < 0.4:
        return None, None, False
    if r < 0.8:
        # Well inside the history: the events after it come first, from the history, then live ones.
        # At the steady pace, the history cannot move by 600 ids before the server sees the
        # request; while it fills, it can: then only "after K" is checked.
        after = max(1, latest - rng.randint(0, 400))
        return str(after), after, TOPIC_STATE.steady[topic]
    if r < 0.9:
        # Older than the history holds, perhaps: whatever comes is after it.
        return "1", 1, False
    return "not-a-number", None, False  # ignored, says the contract


def h1_stream_client(port, rng):
    """One connection's life: short /stream requests, each read to the end and checked (the next
    request then goes out at once on the same connection), until one is dropped half-way."""
    conn = None
    kind, what = "h1 full", "connect"  # what is in flight, to blame a transport error on
    try:
        conn = H1(port)
        while not STOP.is_set():
            action = rng.choices(["full", "fin", "rst"], weights=[60, 20, 20])[0]
            reused = conn.requests > 0
            if action == "full":
                count = rng.choice([1, 2, 3, 7, 20, 64, rng.randint(1, 300)])
                size = rng.choice([0, 1, 2, 3, 9, 100, 1000, 4096, rng.randint(0, 3000)])
                kind = "h1 keep-alive" if reused else "h1 full"
                what = f"GET /stream?count={count}&size={size}" + (
                    f" (request {conn.requests + 1} on its connection)" if reused else "")
                conn.send(b"GET /stream?count=%d&size=%d HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % (count, size))
                REPORT.count("h1 full streams on a reused connection" if reused else "h1 full streams on a new connection")
                status, fields, line = conn.read_head()
                problem = answer_problem(conn, status, fields, line, reused)
                if problem:
                    REPORT.problem(kind, f"{what}: {problem}")
                    return
                body = ChunkedBody()
                body.feed(conn.buf)
                conn.buf = bytearray()
                while not body.done and not body.error:
                    body.feed(conn.more())
                problem = body.error or (f"{len(body.rest)} bytes after the last chunk: {body.rest[:40]!r}"
                                         if body.rest else None) \
                    or check_stream_events(bytes(body.payload), count, size, complete=True)
                if problem:
                    REPORT.problem(kind, f"{what}: {problem}")
                    return
                if conn.requests >= 50:
                    return
                # Else the next request goes out on this connection at once.
            else:
                reset = action == "rst"
                count = rng.choice([0, 0, 100000, rng.randint(200, 5000)])
                size = rng.choice([0, 10, 500, 4096, rng.randint(0, 2000)])
                kind = "h1 dropped"
                what = f"GET /stream?count={count}&size={size}" + (" (reused connection)" if reused else "")
                conn.send(b"GET /stream?count=%d&size=%d HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % (count, size))
                if reused:
                    REPORT.count("h1 streams to drop on a reused connection")
                when = rng.random()
                REPORT.count(f"h1 streams dropped by {'RST' if reset else 'FIN'}")
                problem = None
                if when >= 0.1:  # else gone before the answer: the handler may be starting as the connection dies
                    status, fields, line = conn.read_head()
                    problem = answer_problem(conn, status, fields, line, reused)
                    if problem and reused:
                        kind = "h1 keep-alive"  # a request on a reused connection that went wrong
                    if not problem and when >= 0.2:
                        # Then some of the body: up to 256 KiB.
                        target = rng.randint(1, 256 * 1024)
                        body = ChunkedBody()
                        body.feed(conn.buf)
                        while len(body.payload) < target and not body.done and not body.error:
                            body.feed(conn.more())
                        problem = body.error or check_stream_events(bytes(body.payload), count, size,
                                                                    complete=body.done)
                if problem:
                    REPORT.problem(kind, f"{what}: {problem}")
                conn.close(reset)
                conn = None
                return
    except Stopped:
        pass
    except TransportError as e:
        REPORT.problem(kind, f"{what}: {e}", transport=True)
        STOP.wait(0.1)
    finally:
        if conn is not None:
            conn.close()


def h1_stream_loop(port, rng):
    while not STOP.is_set():
        h1_stream_client(port, rng)


def h1_subscriber(port, rng):
    """Subscribers coming and going: each reads for a while, checking every event, then drops (FIN or RST)."""
    while not STOP.is_set():
        topic = rng.choice(TOPICS)
        header, after, exact_first = pick_resume(rng, topic)
        reset = rng.random() < 0.5
        conn = None
        try:
            what = f"/subscribe?topic={topic}" + (f" with Last-Event-ID {header}" if header else "")
            conn = H1(port)
            conn.send(f"GET /subscribe?topic={topic} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      f"{'Last-Event-ID: ' + header + chr(13) + chr(10) if header else ''}\r\n".encode())
            REPORT.count(f"h1 subscribers dropped by {'RST' if reset else 'FIN'}")
            if header:
                REPORT.count("h1 subscribers with Last-Event-ID")
            if rng.random() < 0.1:
                continue  # dropped before the answer (see finally)
            status, fields, line = conn.read_head()
            problem = event_stream_head_problem(status, fields, line)
            if problem:
                REPORT.problem("subscribe", f"{what}: {problem}")
                continue
            checker = SubscriptionChecker(topic, after, exact_first)
            body = ChunkedBody()
            checker.feed(body.feed(conn.buf))
            until = time.monotonic() + rng.choice([0.02, 0.2, rng.uniform(0.05, 2.0)])
            while time.monotonic() < until and not body.error and not checker.error:
                checker.feed(body.feed(conn.more(until)))
            REPORT.count("subscriber events", checker.events)
            if body.done:
                REPORT.problem("subscribe", f"{what}: the stream ended, the contract says without end")
            elif body.error or checker.error:
                REPORT.problem("subscribe", f"{what}: {body.error or checker.error}")
        except Stopped:
            pass
        except TransportError as e:
            REPORT.problem("subscribe", f"{what}: {e}", transport=True)
            STOP.wait(0.1)
        finally:
            if conn is not None:
                conn.close(reset)


def h2c_client(port, rng):
    """h2c connections with three streams each, dropped at TCP level without RST_STREAM."""
    while not STOP.is_set():
        c = None
        reset = rng.random() < 0.5
        try:
            c = H2c(port, acknowledge=rng.random() < 0.7)
            REPORT.count(f"h2c connections dropped by {'RST' if reset else 'FIN'}")
            checks = {}
            for _ in range(3):
                if rng.random() < 0.5:
                    count = rng.choice([0, 5, 50, rng.randint(1, 2000)])
                    size = rng.choice([0, 3, 200, rng.randint(0, 3000)])
                    sid = c.request(f"/stream?count={count}&size={size}")
                    checks[sid] = ("stream", count, size)
                else:
                    topic = rng.choice(TOPICS)
                    header, after, exact_first = pick_resume(rng, topic)
                    sid = c.request(f"/subscribe?topic={topic}", [("last-event-id", header)] if header else [])
                    checks[sid] = ("subscribe", SubscriptionChecker(topic, after, exact_first), header)
                REPORT.count("h2c streams")
            c.run_until(time.monotonic() + rng.choice([0.0, 0.05, rng.uniform(0.05, 1.0)]))
            for sid, check in checks.items():
                s = c.streams[sid]
                what = f"h2c {s['target']}"
                if s["status"] not in (None, 200):
                    REPORT.problem("h2c", f"{what}: status {s['status']}")
                elif check[0] == "stream":
                    problem = check_stream_events(bytes(s["data"]), check[1], check[2], complete=s["ended"])
                    if problem:
                        REPORT.problem("h2c", f"{what}: {problem}")
                else:
                    checker = check[1]
                    checker.feed(bytes(s["data"]))
                    REPORT.count("subscriber events", checker.events)
                    if s["ended"] or checker.error:
                        REPORT.problem("h2c", f"{what}{' with Last-Event-ID ' + check[2] if check[2] else ''}: "
                                              f"{checker.error or 'the stream ended, the contract says without end'}")
            if c.trouble:
                REPORT.problem("h2c", "the server sent " + ", ".join(c.trouble))
        except Stopped:
            pass
        except TransportError as e:
            REPORT.problem("h2c", f"h2c connection: {e}", transport=True)
            STOP.wait(0.1)
        finally:
            if c is not None:
                c.close(reset)


def publisher(port, topics, rate):
    """POSTs to its topics in turn on one keep-alive connection: first HISTORY events each, then `rate` a second.

    The ids are expected to go 1, 2, 3... per topic, so the body of id n is
    publish_body(topic, n), which lets every subscriber check every event."""
    conn = None
    sent = 0
    start = time.monotonic()
    turn = 0
    while not STOP.is_set():
        topic = topics[turn % len(topics)]
        turn += 1
        filling = any(TOPIC_STATE.latest[t] < HISTORY for t in topics)
        if not filling:
            for t in topics:
                TOPIC_STATE.steady[t] = True
            # Steady pace once the histories are full.
            sent += 1
            pause = start + sent / rate - time.monotonic()
            if pause > 0:
                STOP.wait(pause)
                if STOP.is_set():
                    break
        else:
            start = time.monotonic()
        n = TOPIC_STATE.latest[topic] + 1
        body = publish_body(topic, n)
        try:
            if conn is None:
                conn = H1(port)
            conn.send(b"POST /publish?topic=%s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n%b"
                      % (topic.encode(), len(body), body))
            # Once sent, a publish is waited for even when the load stops, so that ids stay known.
            status, fields, line = conn.read_head(stop=False)
            answer = conn.read_sized(int(fields.get("content-length", "0")), stop=False)
        except TransportError as e:
            REPORT.problem("publish", f"POST /publish?topic={topic}: {e}", transport=True)
            if conn is not None:
                conn.close()
            conn = None
            STOP.wait(0.2)
            continue
        REPORT.count("publishes")
        if status != 202 or answer != b"%d" % n:
            REPORT.problem("publish", f"POST /publish?topic={topic}: {line!r}, answer {answer[:40]!r}, want 202 and {n}")
        if answer.isdigit():
            TOPIC_STATE.latest[topic] = int(answer)
        if fields.get("connection", "").lower() == "close":
            conn.close()
            conn = None
    if conn is not None:
        conn.close()


def get_stats(port):
    """GET /stats on its own connection, within STATS_TIMEOUT: (the JSON, seconds) or raises TransportError."""
    start = time.monotonic()
    conn = H1(port)
    try:
        conn.sock.settimeout(STATS_TIMEOUT)
        conn.send(b"GET /stats HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        deadline = start + STATS_TIMEOUT
        while b"\r\n\r\n" not in conn.buf:
            chunk = receive(conn.sock, deadline, stop=False)
            if not chunk:
                raise TransportError(f"no answer within {STATS_TIMEOUT:.0f} s")
            conn.buf += chunk
        status, fields, line = conn.read_head(stop=False)
        length = int(fields.get("content-length", "-1"))
        while len(conn.buf) < length:
            chunk = receive(conn.sock, deadline, stop=False)
            if not chunk:
                raise TransportError(f"no whole answer within {STATS_TIMEOUT:.0f} s")
            conn.buf += chunk
    finally:
        conn.close()
    if status != 200:
        raise TransportError(f"/stats answered {line!r}")
    try:
        stats = json.loads(bytes(conn.buf[:length]))
    except ValueError:
        raise TransportError(f"/stats answered {bytes(conn.buf[:80])!r}, not JSON") from None
    if not isinstance(stats, dict) or sorted(stats) != ["disconnects", "live_producers", "open_streams"]:
        raise TransportError(f"/stats answered {stats!r}, not the three counters")
    return stats, time.monotonic() - start


# ----------------------------------------------------------------------------
# The server under test.


class Server:
    def __init__(self, log_path, sanitizers):
        env = dict(os.environ)
        if "AddressSanitizer" in sanitizers and "quarantine_size_mb" not in env.get("ASAN_OPTIONS", ""):
            # ASan keeps freed memory aside (256 MiB by default) to catch late uses: RSS grows until
            # that is full, which can take longer than the run. 32 MiB still holds what a race
            # frees microseconds before its use, and leaves RSS flat in the last third.
            env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "quarantine_size_mb=32"]))
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.log_seen = 0
        cmd = [ARGS.server, "--address", "127.0.0.1", "--port", "0", "--threads", str(ARGS.threads)]
        print("$ " + (f"ASAN_OPTIONS={env['ASAN_OPTIONS']} " if "ASAN_OPTIONS" in env else "")
              + " ".join(cmd) + f"  2> {log_path}", flush=True)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log, env=env)
        self.port = None
        line = b""
        deadline = time.monotonic() + 30  # a sanitized debug build starts slowly
        while not line.endswith(b"\n") and time.monotonic() < deadline:
            if not wait_readable(self.proc.stdout, deadline - time.monotonic()):
                break
            byte = os.read(self.proc.stdout.fileno(), 1)
            if not byte:
                break
            line += byte
        m = re.fullmatch(rb"listening on ([0-9]+)\n", line)
        if m:
            self.port = int(m.group(1))
        self.crashed_at = None   # seconds into the load when it died, or printed a sanitizer error
        self.crash = None        # how

    def rss_kib(self):
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return None

    def new_stderr(self):
        """What the server wrote to stderr since the last call."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self.log_seen)
                data = f.read()
        except OSError:
            return ""
        self.log_seen += len(data)
        return data.decode(errors="replace")

    def stderr(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def cpu_seconds(self):
        """The CPU time the server has used so far (user and system)."""
        try:
            with open(f"/proc/{self.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return None

    def exited(self):
        return self.proc.poll() is not None


def describe_status(code):
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def sanitizers_in(path):
    """Which sanitizers the server binary carries, from its symbol names."""
    marks = {b"__asan_init": "AddressSanitizer", b"__tsan_init": "ThreadSanitizer",
             b"__ubsan_handle_": "UndefinedBehaviorSanitizer"}
    found = set()
    try:
        with open(path, "rb") as f:
            tail = b""
            while True:
                block = f.read(1 << 22)
                if not block:
                    break
                data = tail + block
                found |= {name for mark, name in marks.items() if mark in data}
                tail = data[-32:]
    except OSError:
        pass
    return sorted(found)


FRAME = re.compile(r"^(\s*#\d+) 0x[0-9a-f]+ in (.*?)(?: (\S+:\d+(?::\d+)?))?$")


def sanitizer_reports(text):
    """The sanitizer reports in the server's stderr, each shortened to be read in a test log: its
    lines up to the SUMMARY, with the first 8 frames of each stack and long names cut. Repeats
    (UBSan reports the same line again and again) are given once."""
    lines = text.splitlines()
    reports, i = [], 0
    while i < len(lines):
        if not any(p in lines[i] for p in SANITIZER_PATTERNS):
            i += 1
            continue
        kept, end = [], i
        fatal = "ERROR:" in lines[i]  # a report with stacks, up to its SUMMARY; else one line
        while end < len(lines) and end < i + 400:
            line = lines[end]
            end += 1
            number = re.match(r"^\s*#(\d+)\s", line)
            if number:
                m = FRAME.match(line)
                if int(number.group(1)) >= 8:
                    pass
                elif m:
                    name = m.group(2) if len(m.group(2)) <= 110 else m.group(2)[:100] + " [...]"
                    kept.append(f"{m.group(1)} {name} {m.group(3) or ''}".rstrip())
                else:
                    kept.append(line[:200])
            elif line.strip():
                kept.append(line[:240])
            if not fatal or line.startswith("SUMMARY:"):
                break
        report = "\n".join(kept)
        if report not in reports:
            reports.append(report)
        i = end
    return reports


def monitor(server, samples):
    """Every second: /stats, the server's RSS, and whether its stderr shows a sanitizer's error."""
    tick = time.monotonic()
    while not STOP.is_set():
        t = REPORT.now()
        rss = server.rss_kib()
        try:
            stats, took = get_stats(server.port)
            samples.append((t, rss, stats, took, None))
        except TransportError as e:
            samples.append((t, rss, None, None, str(e)))
        text = server.new_stderr()
        if "ERROR: AddressSanitizer" in text and server.crashed_at is None:
            # A fatal report: the server is about to die; stop the load so the rest stays readable.
            server.crashed_at = REPORT.now()
            server.crash = "a sanitizer report on stderr"
            STOP.set()
        tick += 1.0
        STOP.wait(max(0.0, tick - time.monotonic()))


# ----------------------------------------------------------------------------
# Checks and the summary


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = []

    def __call__(self, condition, what, details=()):
        print(("ok      " if condition else "FAILED  ") + what, flush=True)
        if not condition:
            self.failed.append(what)
            for d in details:
                print("        " + d, flush=True)
        else:
            self.passed += 1
        return condition


def problem_lines(problems):
    shown = [f"[{t:6.2f} s] {'(transport) ' if transport else ''}{text}" for t, transport, text in problems[:Report.MAX_KEPT]]
    if len(problems) > Report.MAX_KEPT:
        shown.append(f"... and {len(problems) - Report.MAX_KEPT} more")
    return shown


def rss_verdict(samples, seconds):
    """(ok, text) for the RSS samples of the last third of the load.

    The histories are full after the first seconds, so the memory should be
    flat by then: the growth from the start to the end of the last third
    (each a median of three samples, against one-off spikes) must stay under
    20% and under 64 MiB. The 20% never goes below 8 MiB, so that a small
    server's allocator noise is no failure."""
    window = [(t, rss) for t, rss, *_ in samples if rss and t >= seconds * 2 / 3]
    if len(window) < 4:
        return False, f"only {len(window)} RSS samples in the last third"
    first = sorted(r for _, r in window[:3])[len(window[:3]) // 2]
    last = sorted(r for _, r in window[-3:])[len(window[-3:]) // 2]
    growth = last - first
    allowed = min(64 * 1024, max(first * 0.2, 8 * 1024))
    return growth < allowed, (f"RSS in the last third: {first / 1024:.1f} MiB -> {last / 1024:.1f} MiB, "
                              f"growth {growth / 1024:+.1f} MiB (allowed < {allowed / 1024:.1f} MiB)")


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", required=True)
    ap.add_argument("--threads", type=int, default=2, help="the server's io threads (default 2)")
    ap.add_argument("--seconds", type=float, default=30, help="how long the load runs (default 30)")
    ap.add_argument("--protocols", default="h1,h2c", help="which clients run: h1, h2c or both (default)")
    ap.add_argument("--seed", type=int, help="seeds the clients' choices (default: from the clock)")
    ap.add_argument("--server-log", help="where the server's stderr goes (default: a temporary file, "
                                         "kept when a check fails)")
    ap.add_argument("--h1-clients", type=int, default=24)
    ap.add_argument("--subscribers", type=int, default=8)
    ap.add_argument("--h2c-clients", type=int, default=3)
    ap.add_argument("--publish-rate", type=float, default=400, help="events a second, all topics (default 400)")
    ARGS = ap.parse_args()
    protocols = set(ARGS.protocols.split(","))
    if not protocols or protocols - {"h1", "h2c"}:
        ap.error(f"--protocols: h1, h2c or h1,h2c, not {ARGS.protocols!r}")
    if "h2c" in protocols and h2 is None:
        raise SystemExit("soak: h2c needs Python's h2 package (Debian: python3-h2)")
    seed = ARGS.seed if ARGS.seed is not None else int(time.time() * 1000) % 1000000
    sanitizers = sanitizers_in(ARGS.server)
    print(f"soak: {ARGS.seconds:g} s, server threads {ARGS.threads}, protocols {','.join(sorted(protocols))}, "
          f"seed {seed}, sanitizers: {', '.join(sanitizers) or 'none'}", flush=True)

    if ARGS.server_log:
        log_path, keep_log = ARGS.server_log, True
    else:
        fd, log_path = tempfile.mkstemp(prefix="soak-server-", suffix=".log")
        os.close(fd)
        keep_log = False
    check = Checks()
    server = Server(log_path, sanitizers)
    if not check(server.port is not None, "the server starts and prints 'listening on PORT'"):
        if server.proc.poll() is None:
            server.proc.kill()
        server.proc.wait(5)
        print(server.stderr()[-3000:])
        print(f"soak: {check.passed} passed, {len(check.failed)} failed", flush=True)
        return 1

    # The load yields the CPU to the server: threads started from here on inherit the lower priority.
    try:
        os.nice(5)
    except OSError:
        pass

    REPORT.t0 = time.monotonic()
    samples = []
    threads = [threading.Thread(target=monitor, args=(server, samples), name="monitor")]
    publish_rate = ARGS.publish_rate / 2
    threads += [threading.Thread(target=publisher, args=(server.port, TOPICS[i::2], publish_rate), name=f"pub{i}")
                for i in range(2)]
    if "h1" in protocols:
        threads += [threading.Thread(target=h1_stream_loop, args=(server.port, random.Random(seed * 1000 + i)),
                                     name=f"h1-{i}") for i in range(ARGS.h1_clients)]
        threads += [threading.Thread(target=h1_subscriber, args=(server.port, random.Random(seed * 1000 + 100 + i)),
                                     name=f"sub-{i}") for i in range(ARGS.subscribers)]
    if "h2c" in protocols:
        threads += [threading.Thread(target=h2c_client, args=(server.port, random.Random(seed * 1000 + 200 + i)),
                                     name=f"h2c-{i}") for i in range(ARGS.h2c_clients)]
    for t in threads:
        t.daemon = True
        t.start()

    # The load runs until the deadline, or until the server dies.
    deadline = REPORT.t0 + ARGS.seconds
    while time.monotonic() < deadline and not STOP.is_set():
        if server.exited():
            server.crashed_at = REPORT.now()
            server.crash = describe_status(server.proc.returncode)
            break
        time.sleep(0.1)
    load_seconds = REPORT.now()
    STOP.set()
    join_deadline = time.monotonic() + 20
    for t in threads:
        t.join(max(0.0, join_deadline - time.monotonic()))
    stuck = [t.name for t in threads if t.is_alive()]
    if stuck:
        print(f"warning: load threads still running 20 s after the stop: {stuck}", flush=True)
    if server.exited() and server.crashed_at is None:
        server.crashed_at = REPORT.now()
        server.crash = describe_status(server.proc.returncode)
    crashed_at = server.crashed_at
    server_cpu = server.cpu_seconds()
    client_cpu = sum(os.times()[:2])
    print(f"\nload stopped after {load_seconds:.1f} s", flush=True)

    # --- checks
    check(not server.exited() and server.crash is None,
          "the server stays alive under the load" + (f" (it did not: {server.crash} at {crashed_at:.1f} s)"
                                                     if server.crash else ""))

    stats_samples = [s for s in samples if crashed_at is None or s[0] < crashed_at - 1.5]
    bad = [s for s in stats_samples if s[4] is not None]
    slowest = max((s[3] for s in stats_samples if s[3] is not None), default=0.0)
    check(stats_samples and not bad,
          f"/stats answers 200 with its three counters every second ({len(stats_samples) - len(bad)} of "
          f"{len(stats_samples)}, slowest {slowest:.2f} s)",
          [f"[{s[0]:6.2f} s] {s[4]}" for s in bad[:Report.MAX_KEPT]])

    if ARGS.seconds < 12:
        print("skipped RSS: judging its growth needs a run of 12 s at least", flush=True)
    elif crashed_at is None:
        ok, text = rss_verdict(samples, load_seconds)
        check(ok, text)

    counts = REPORT.counts

    def kind_check(kinds, done, what):
        problems = sorted(p for k in kinds for p in REPORT.relevant(k, crashed_at))
        check(done > 0 and not problems, f"{what} ({done} done, {len(problems)} wrong)", problem_lines(problems))

    if "h1" in protocols and ARGS.h1_clients:
        kind_check(["h1 full"], counts["h1 full streams on a new connection"],
                   "HTTP/1.1 streams read to the end on a new connection are exact")
        kind_check(["h1 keep-alive"], counts["h1 full streams on a reused connection"]
                   + counts["h1 streams to drop on a reused connection"],
                   "HTTP/1.1 requests sent at once on a reused keep-alive connection get their whole exact stream")
        kind_check(["h1 dropped"], counts["h1 streams dropped by FIN"] + counts["h1 streams dropped by RST"],
                   "HTTP/1.1 streams dropped half-way: what arrived was exact")
    if "h1" in protocols and ARGS.subscribers:
        kind_check(["subscribe"], counts["h1 subscribers dropped by FIN"] + counts["h1 subscribers dropped by RST"],
                   "HTTP/1.1 subscribers: ids without gap or duplicate, data as published")
    if "h2c" in protocols and ARGS.h2c_clients:
        kind_check(["h2c"], counts["h2c streams"],
                   "h2c streams: status 200, what arrived was exact, no RST_STREAM or GOAWAY")
    kind_check(["publish"], counts["publishes"], "publishes: 202 with the next id of the topic")

    # After the load: nothing left open.
    final = None
    if not server.exited():
        idle_deadline = time.monotonic() + 10
        start = time.monotonic()
        while time.monotonic() < idle_deadline and not server.exited():
            try:
                final, _ = get_stats(server.port)
                if final["open_streams"] == 0 and final["live_producers"] == 0:
                    break
            except TransportError as e:
                final = str(e)
            time.sleep(0.2)
        check(isinstance(final, dict) and final["open_streams"] == 0 and final["live_producers"] == 0,
              f"after the load /stats comes back to no open stream and no live producer "
              f"({final}, after {time.monotonic() - start:.1f} s)")
    else:
        check(False, "after the load /stats comes back to no open stream and no live producer (the server is gone)")

    # SIGTERM: exit status 0 within 5 s.
    if server.proc.poll() is None:
        start = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        try:
            server.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        elapsed = time.monotonic() - start
        code = server.proc.poll()
        check(code == 0, f"SIGTERM: the server exits with status 0 within 5 s ({describe_status(code)} "
                         f"after {elapsed:.2f} s)")
        if code is None:
            server.proc.kill()
            server.proc.wait(10)
    else:
        check(False, f"SIGTERM: the server exits with status 0 within 5 s (it was gone already: "
                     f"{describe_status(server.proc.returncode)})")
    server.log.close()
    server.proc.stdout.close()

    text = server.stderr()
    reports = sanitizer_reports(text)
    check(not reports, f"no sanitizer report on the server's stderr ({len(reports)} found)")
    for r in reports[:3]:
        print("        " + r.replace("\n", "\n        "), flush=True)
    if len(reports) > 3:
        print(f"        ... and {len(reports) - 3} more in {log_path}", flush=True)

    # --- summary
    print("\nsummary:", flush=True)
    for name in ["h1 full streams on a new connection", "h1 full streams on a reused connection",
                 "h1 streams to drop on a reused connection", "h1 streams dropped by FIN",
                 "h1 streams dropped by RST", "h1 subscribers dropped by FIN", "h1 subscribers dropped by RST",
                 "h1 subscribers with Last-Event-ID", "subscriber events", "h2c connections dropped by FIN",
                 "h2c connections dropped by RST", "h2c streams", "publishes"]:
        if counts[name]:
            print(f"    {name:38} {counts[name]}", flush=True)
    print(f"    {'bytes read':38} {counts['bytes read'] / MIB:.1f} MiB", flush=True)
    print(f"    {'/stats polls':38} {len(samples)}", flush=True)
    if server_cpu is not None:
        print(f"    {'CPU seconds: server, load':38} {server_cpu:.1f}, {client_cpu:.1f}", flush=True)
    if isinstance(final, dict):
        print(f"    {'disconnects counted by the server':38} {final['disconnects']}", flush=True)
    print("    RSS (MiB), one sample a second: "
          + " ".join(f"{s[1] / 1024:.1f}" if s[1] else "-" for s in samples), flush=True)
    if check.failed and not reports:
        tail = text.splitlines()[-20:]
        if tail:
            print("    the server's stderr, last lines:\n        " + "\n        ".join(tail), flush=True)
    if check.failed:
        print(f"    the server's stderr is kept in {log_path}", flush=True)
    elif not keep_log:
        os.unlink(log_path)
    print(f"soak: {check.passed} passed, {len(check.failed)} failed", flush=True)
    return 1 if check.failed else 0


if __name__ == "__main__":
    sys.exit(main())
