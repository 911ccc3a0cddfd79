#!/usr/bin/python3
#
# Copyright (c) 2026 The sse authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#

"""Drives sse::client from the outside, through sse_cat, over real sockets.

    test_client.py --sse-cat PATH/TO/sse_cat --server PATH/TO/reference_server [--openssl PATH]
        [--only TEST,...]

The contracts are sse-cat.md (command line, one JSON line per event on stdout, what a person wants on stderr,
exit statuses) and reference-server.md. sse_cat runs as a user runs it: a subprocess whose stdout and stderr
lines are read as they come, with their times. The servers are the reference server (HTTP/1.1 and, with
--openssl, TLS with a throwaway self-signed certificate) and `Awkward`, an HTTP/1.1 server written here whose
routes each misbehave in one way, and which records every request. HTTP/2 is not tested. Tests:

    reference       the reference server, over HTTP/1.1 and TLS (--insecure; without it the self-signed
                    certificate is refused: exit 1, a TLS error, no retry): /messages exactly (type, data, id,
                    in that key order, UTF-8 unescaped); its end, then the reconnection after its `retry: 1500`
                    with Last-Event-ID: 2; /stream?count=2 then the reconnection after the default 3000 ms;
                    /last-event-id with and without --last-event-id, on the first request and the next;
                    events of a slow stream printed as they come
    restart         /subscribe across a server restart on the same port: the client resumes with its last id
                    and gets what the history holds after it, then live events, each once, in order
    idle            --idle-timeout-ms 300 on /idle: a server that sends nothing (--keepalive-ms 10000) is a
                    lost connection (stderr) and the client reconnects; with --idle-timeout-ms 1000, one sending a
                    comment every 100 ms is not
    line_ends       CR-only line ends; a stream whose every byte (head, chunk sizes, CRLF pairs, UTF-8
                    sequences) comes in a TCP segment of its own
    statuses        204: exit 0, no retry; 401 with a JSON body: exit 1, status and body on stderr, no retry;
                    503 with Retry-After: 1, then a stream: the wait is the server's; a 200 text/html: exit 1
    cut             a stream cut mid-event (chunked, and close-delimited): the partial event is not printed,
                    the client reconnects with the last id, the next connection's events arrive
    ids             an id-only block (`id: 5` and no data) sets the Last-Event-ID of the reconnection; an
                    empty `id:` clears it
    watchdog        --idle-timeout-ms 300: a stream that goes quiet after an event, and a server that answers
                    nothing at all: the watchdog fires and the client reconnects
    redirects       302 to an absolute path, 307 to a relative one (a POST stays a POST with its body), a
                    redirect loop (exit 1 after 5 redirects)
    llm             an LLM-style POST (-X POST, -H Content-Type, -d JSON, and -d @file) with --once: the
                    server checks method, type and body, streams tokens then `data: [DONE]`, and keeps the
                    connection open: every token printed, exit 0 at once, no reconnection; the tokens are
                    printed as they come; without --once the body is sent again on reconnection
    retry_max       --retry-max 2: a port that refuses connections (2 failed attempts: one retry, after 3 s),
                    and a server that sets `retry: 50` then goes away: exit 1, "giving up"
    tls             a TLS server of the test's: ALPN http/1.1 offered, SNI sent for a name and not for an IP
                    address; a TLS server that hangs up during the handshake is retried
    signals         SIGINT during a live stream, SIGTERM while waiting to reconnect: exit 0 at once, with the
                    events received printed
    headers         every request the awkward server got had Accept: text/event-stream and
                    Cache-Control: no-cache

Whether sse_cat printed the right thing and whether it then exited with the right status are separate checks:
once it has nothing left to do (--max-events reached, or its last word on stderr) it gets GRACE seconds to exit.
Every wait is bounded. Python standard library only.
"""

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import sse_testing
from sse_testing import CheckedServer, check, skipped, summary

ARGS = None

# ----------------------------------------------------------------------------
# sse_cat as a subprocess.

GRACE = 1.5  # seconds sse_cat may take to exit once it has nothing left to do


class SseCat:
    """sse_cat with `args`, its stdout and stderr lines read as they come: (time.monotonic(), text)."""

    def __init__(self, *args):
        self.cmd = [ARGS.sse_cat, *args]
        self.max_events = int(args[args.index("--max-events") + 1]) if "--max-events" in args else None
        self.start = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.out, self.err = [], []
        self.cond = threading.Condition()
        self.readers = [threading.Thread(target=self._read, args=(self.proc.stdout, self.out), daemon=True),
                        threading.Thread(target=self._read, args=(self.proc.stderr, self.err), daemon=True)]
        for r in self.readers:
            r.start()
        self.rc = None
        self.exit_time = None
        self.done_at = None  # when done() was first seen true

    def _read(self, pipe, into):
        for raw in iter(pipe.readline, b""):
            with self.cond:
                into.append((time.monotonic(), raw.decode("utf-8", "replace").rstrip("\n")))
                self.cond.notify_all()
        pipe.close()

    def wait_for(self, predicate, seconds):
        with self.cond:
            return self.cond.wait_for(predicate, seconds)

    def wait_events(self, n, seconds):
        """Whether n events were printed within `seconds`."""
        return self.wait_for(lambda: len(self.out) >= n, seconds)

    def wait_err(self, pattern, seconds, after=0):
        """The first stderr line from the `after`-th on that matches `pattern`: (time, re.Match), or None."""
        rx = re.compile(pattern)

        def find():
            for t, line in self.err[after:]:
                m = rx.search(line)
                if m:
                    return t, m
            return None
        found = None

        def pred():
            nonlocal found
            found = find()
            return found is not None
        self.wait_for(pred, seconds)
        return found

    def done(self):
        """When sse_cat had nothing left to do (None: not yet): --max-events reached, or its last word on stderr (a
        line of its own that is not a reconnection: the end of a --once stream, a 204, a refusal, giving up)."""
        with self.cond:
            times = [t for t, line in self.err if line.startswith("sse_cat: ") and "reconnecting in" not in line]
            if self.max_events is not None and len(self.out) >= self.max_events:
                times.append(self.out[self.max_events - 1][0])
            return min(times) if times else None

    def finish(self, seconds=None, deadline=None, grace=GRACE):
        """The exit status once sse_cat exits within `seconds` (or by `deadline`, a time.monotonic()), or None
        (then it is killed). Once done() it gets `grace` seconds more at most."""
        end = time.monotonic() + seconds if deadline is None else max(deadline, time.monotonic() + 0.2)
        while self.proc.poll() is None:
            now = time.monotonic()
            if self.done_at is None and grace is not None:
                self.done_at = self.done()
            limit = end if self.done_at is None else min(end, self.done_at + grace)
            if now >= limit:
                self.kill()
                return None
            try:
                self.proc.wait(min(0.05, limit - now))
            except subprocess.TimeoutExpired:
                pass
        self.exit_time = time.monotonic()
        self.rc = self.proc.returncode
        for r in self.readers:
            r.join(5)
        return self.rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        for r in self.readers:
            r.join(5)

    def signal(self, sig):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def lines(self):
        with self.cond:
            return [line for _, line in self.out]

    def events(self):
        """Each stdout line as a list of (key, value) pairs, in order (None for a line that is not JSON)."""
        out = []
        for line in self.lines():
            try:
                out.append(json.loads(line, object_pairs_hook=list))
            except ValueError:
                out.append(None)
        return out

    def triples(self):
        """(type, data, id) of each event, when each line is exactly {"type","data","id"}; else None for it."""
        return [tuple(v for _, v in e) if e is not None and [k for k, _ in e] == ["type", "data", "id"] else None
                for e in self.events()]

    def stderr(self):
        with self.cond:
            return "\n".join(line for _, line in self.err)

    def describe(self):
        err = self.stderr().splitlines()
        shown = " | ".join(err[-4:])
        return f"exit {self.rc}, {len(self.out)} lines out, stderr: {shown[:300]!r}"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()


def check_exit(cat, want, label):
    """sse_cat exited with `want`; when it printed all it had to and then did not exit, a failed check."""
    if cat.rc is None and cat.done_at is not None:
        return check(False, f"{label}: exit {want} (still running {GRACE:.0f} s after its last word; "
                                    f"{cat.describe()})")
    return check(cat.rc == want, f"{label}: exit {want} ({cat.describe()})")


def reconnections(cat):
    """(ms, last id or None, time) of each `reconnecting in N ms [with Last-Event-ID: X]` line on stderr."""
    out = []
    with cat.cond:
        for t, line in cat.err:
            m = re.search(r"reconnecting in (\d+) ms(?: with Last-Event-ID: (.*))?$", line)
            if m:
                out.append((int(m.group(1)), m.group(2), t))
    return out


def responses(cat):
    """The times of the `HTTP <status>` lines on stderr: (time, status)."""
    with cat.cond:
        return [(t, int(m.group(1))) for t, line in cat.err for m in [re.match(r"HTTP/[\d.]+ (\d{3})\b", line)] if m]


def check_reconnection(cat, label, at_least_ms, last_id):
    """The first reconnection: `reconnecting in N ms with Last-Event-ID: last_id`, N >= at_least_ms (and at most
    twice that: the jitter), and the next response came no sooner than N ms after that line."""
    r = reconnections(cat)
    if not check(bool(r), f"{label}: stderr says 'reconnecting in N ms' ({cat.describe()})"):
        return
    ms, lid, t = r[0]
    check(at_least_ms <= ms <= 2 * at_least_ms and lid == last_id,
          f"{label}: reconnecting in {ms} ms (>= {at_least_ms}) with Last-Event-ID: {lid} (want {last_id})")
    later = [rt for rt, _ in responses(cat) if rt > t]
    gap = later[0] - t if later else None
    check(gap is not None and 0.9 * ms / 1000 - 0.05 <= gap <= ms / 1000 + 4,
          f"{label}: the next response came {gap if gap is None else round(gap, 2)} s after that line "
          f"(the delay is {ms} ms)")


# ----------------------------------------------------------------------------
# The reference server.


MESSAGES_JSON = {"n": 1, "s": "ü ✓", "nested": {"a": [1, 2]}}
MESSAGES = [("greeting", "Hello, world!", "1"), ("message", "line1\nline2\nline3\nline4", "1"),
            ("json", MESSAGES_JSON, "1"), ("message", " leading space", "1"), ("message", "Привет, мир 👋", "1"),
            ("last", "bye", "2")]


def messages_match(triples):
    """Whether (type, data, id) triples are the /messages sequence (the JSON item compared parsed)."""
    if len(triples) != len(MESSAGES) or None in triples:
        return False
    for (t, d, i), (wt, wd, wi) in zip(triples, MESSAGES):
        if isinstance(wd, dict):
            try:
                d = json.loads(d)
            except ValueError:
                return False
        if (t, d, i) != (wt, wd, wi):
            return False
    return True


def reference_server(*args, tls=None):
    cmd = [ARGS.server, "--port", "0", "--threads", str(ARGS.threads), *args]
    if tls:
        cmd += ["--tls", *tls]
    return CheckedServer(cmd, tls=bool(tls), stderr=subprocess.DEVNULL)


def publish(port, topic, data):
    """POST /publish: (status, body)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.request("POST", f"/publish?topic={topic}", body=data.encode())
        r = c.getresponse()
        return r.status, r.read().decode(errors="replace")
    finally:
        c.close()


def test_reference(tmp):
    transports = [("HTTP/1.1", None)]
    if ARGS.openssl:
        transports.append(("TLS", sse_testing.make_certificate(ARGS.openssl, tmp, reuse=True)))
    else:
        skipped.append("the reference server over TLS (no openssl)")
    servers, cats = [], []
    try:
        # Every sse_cat of both transports at once: most of the time is their reconnection delays.
        for name, tls in transports:
            server = reference_server(tls=tls)
            servers.append(server)
            flags = ["--insecure"] if tls else []
            c = {
                "once": SseCat(*flags, "--once", server.url("/messages")),
                "again": SseCat(*flags, "--max-events", "7", server.url("/messages")),
                "stream": SseCat(*flags, "--max-events", "3", server.url("/stream?count=2")),
                "leid": SseCat(*flags, "--max-events", "2", "--last-event-id", "abc", server.url("/last-event-id")),
                "no_leid": SseCat(*flags, "--once", server.url("/last-event-id")),
                "slow": SseCat(*flags, "--once", server.url("/stream?count=4&interval_ms=300")),
            }
            if tls:
                c["verify"] = SseCat("--once", server.url("/messages"))
            cats.append(c)

        # The longest: a reconnection after 3 s + 25 % jitter, and 1 s for a TLS close_notify that does not come.
        deadline = time.monotonic() + 20
        for (name, tls), server, c in zip(transports, servers, cats):
            print(f"  -- {name}", flush=True)
            once = c["once"]
            once.finish(deadline=deadline)
            check(messages_match(once.triples()),
                  f"{name} --once /messages: exactly the 6 events of the contract ({once.describe()}; {once.lines()})")
            check_exit(once, 0, f"{name} --once /messages")
            raw = once.lines()
            check(len(raw) == 6 and "Привет, мир 👋" in raw[4] and '"data":" leading space"' in raw[3]
                  and raw[0] == '{"type":"greeting","data":"Hello, world!","id":"1"}',
                  f"{name}: compact JSON lines, keys type, data, id, non-ASCII as UTF-8 ({raw[:1]})")
            check(re.search(r"^HTTP/1\.1 200 .*\(text/event-stream\)$", once.stderr(), re.M) is not None
                  and "reconnecting" not in once.stderr(),
                  f"{name}: stderr has the status, and --once does not reconnect ({once.stderr()!r})")

            again = c["again"]
            again.finish(deadline=deadline)
            t = again.triples()
            check(len(t) == 7 and messages_match(t[:6]) and t[6] == ("greeting", "Hello, world!", "1"),
                  f"{name} --max-events 7 /messages: the 6 events, then the first again ({again.describe()})")
            check_exit(again, 0, f"{name} --max-events 7 /messages")
            check_reconnection(again, f"{name} /messages", 1500, "2")

            stream = c["stream"]
            stream.finish(deadline=deadline)
            check(stream.triples() == [("message", "1:", "1"), ("message", "2:", "2"), ("message", "1:", "1")],
                  f"{name} --max-events 3 /stream?count=2: ids 1, 2, then 1 again ({stream.describe()})")
            check_exit(stream, 0, f"{name} --max-events 3 /stream?count=2")
            check_reconnection(stream, f"{name} /stream?count=2", 3000, "2")

            leid = c["leid"]
            leid.finish(deadline=deadline)
            check(leid.triples() == [("message", "abc", "abc")] * 2,
                  f"{name} --last-event-id abc /last-event-id: the server got abc, and again on the reconnection "
                  f"({leid.describe()}, {leid.lines()})")
            check_exit(leid, 0, f"{name} --max-events 2 --last-event-id abc /last-event-id")
            no_leid = c["no_leid"]
            no_leid.finish(deadline=deadline)
            check(no_leid.triples() == [("message", "none", "")],
                  f"{name} /last-event-id without an id: no Last-Event-ID sent ({no_leid.describe()}, "
                  f"{no_leid.lines()})")
            check_exit(no_leid, 0, f"{name} --once /last-event-id")

            slow = c["slow"]
            slow.finish(deadline=deadline)
            check([x[2] for x in slow.triples()] == ["1", "2", "3", "4"],
                  f"{name} --once /stream?count=4&interval_ms=300: 4 events ({slow.describe()})")
            check_exit(slow, 0, f"{name} --once /stream?count=4&interval_ms=300")
            times = [tt for tt, _ in slow.out]
            spread = times[-1] - times[0] if len(times) == 4 else 0
            check(spread >= 0.5, f"{name}: events 300 ms apart are printed as they come (first to last: "
                                         f"{spread:.3f} s, want ~0.9)")

            if tls:
                v = c["verify"]
                v.finish(deadline=deadline)
                check(re.search(r"TLS|certificate|handshake", v.stderr(), re.I) is not None
                      and "reconnecting" not in v.stderr() and not v.out,
                      f"TLS without --insecure: the self-signed certificate is refused: a TLS error, no retry "
                      f"({v.describe()})")
                check_exit(v, 1, "TLS without --insecure")
    finally:
        for c in cats:
            for cat in c.values():
                cat.kill()
        for server in servers:
            server.__exit__(None, None, None)


def test_restart(tmp):
    topic = "restart"
    cat = None
    servers = []
    try:
        server = reference_server()
        servers.append(server)
        port = server.port
        url = server.url(f"/subscribe?topic={topic}")
        cat = SseCat(url)
        check(cat.wait_err(r"^HTTP/1\.1 200", 10) is not None, f"subscribed ({cat.describe()})")
        ids = [publish(port, topic, f"a{i}") for i in range(1, 4)]
        check(ids == [(202, "1"), (202, "2"), (202, "3")], f"published a1..a3: ids 1..3 ({ids})")
        check(cat.wait_events(3, 3), f"the three events are printed while the stream is open "
                                             f"({len(cat.out)} printed)")

        status, took = server.stop()
        check(status == 0, f"the server exits with status 0 on SIGTERM ({status} after {took:.2f} s)")
        server.proc.stdout.close()
        r = cat.wait_err(r"reconnecting in (\d+) ms with Last-Event-ID: (\S+)", 10)
        check(r is not None and r[1].group(2) == "3" and int(r[1].group(1)) >= 3000,
              f"the end of the stream: reconnecting in >= 3000 ms with Last-Event-ID: 3 ({cat.describe()})")
        if r is None:
            return
        ended_at, delay = r[0], int(r[1].group(1)) / 1000
        n_responses = len(responses(cat))

        # The same port. Its history is in the process: restore it (a1..a3 again, ids 1..3), then publish what
        # the client misses while it waits (ids 4, 5).
        server = CheckedServer([ARGS.server, "--port", str(port), "--threads", str(ARGS.threads)],
                               stderr=subprocess.DEVNULL)
        servers.append(server)
        check(server.port == port, f"restarted on the same port {port}")
        ids = [publish(port, topic, d) for d in ("a1", "a2", "a3", "b4", "b5")]
        published_at = time.monotonic()
        check([i for _, i in ids] == ["1", "2", "3", "4", "5"], f"history restored and b4, b5 published ({ids})")
        check(published_at < ended_at + delay and len(responses(cat)) == n_responses,
              f"published {published_at - ended_at:.2f} s after the end, before the reconnection ({delay:.2f} s)")
        check(cat.wait_for(lambda: len(responses(cat)) > n_responses, delay + 10),
              f"reconnected ({cat.describe()})")
        ids = [publish(port, topic, d) for d in ("b6", "b7")]
        check([i for _, i in ids] == ["6", "7"], f"b6, b7 published live ({ids})")
        check(cat.wait_events(7, 3), f"b4 to b7 are printed while the stream is open ({len(cat.out)} "
                                             f"printed)")
        server.__exit__(None, None, None)  # SIGTERM: the stream ends cleanly, whatever is held is printed
        cat.wait_events(7, 5)
        want = [("message", f"a{i}", str(i)) for i in (1, 2, 3)] + [("message", f"b{i}", str(i)) for i in (4, 5, 6, 7)]
        got = cat.triples()
        check(got == want, f"every event once, in order, across the restart: a1 a2 a3 b4 b5 b6 b7 "
                           f"({[d for _, d, _ in (x or (None,) * 3 for x in got)]})")
    finally:
        if cat:
            cat.kill()
        for s in servers:
            if s.proc.poll() is None:
                s.__exit__(None, None, None)


def test_idle(tmp):
    with reference_server("--keepalive-ms", "10000") as quiet, reference_server("--keepalive-ms", "100") as chatty:
        silent_cat = SseCat("--idle-timeout-ms", "300", quiet.url("/idle"))
        # Ten intervals of the chatty server's comments: a loaded machine's stall is not a lost connection.
        chatty_cat = SseCat("--idle-timeout-ms", "1000", chatty.url("/idle"))
        with silent_cat, chatty_cat:
            r = silent_cat.wait_err(r"idle timeout.*reconnecting in (\d+) ms", 10)
            opened = responses(silent_cat)
            check(r is not None and opened and 0.2 <= r[0] - opened[0][0] <= 3,
                  f"--keepalive-ms 10000: nothing for 300 ms is a lost connection, reported on stderr "
                  f"{'' if not (r and opened) else f'{r[0] - opened[0][0]:.2f} s after the response '}"
                  f"({silent_cat.describe()})")
            if r:
                delay = int(r[1].group(1)) / 1000
                check(silent_cat.wait_for(lambda: len(responses(silent_cat)) >= 2, delay + 10),
                      f"... and the client reconnects after {delay:.2f} s ({silent_cat.describe()})")
            # The chatty one has been watched for two of its idle timeouts at least.
            time.sleep(max(0.0, 2 - (time.monotonic() - chatty_cat.start)))
            check(chatty_cat.wait_err(r"idle timeout", 0) is None and len(responses(chatty_cat)) == 1,
                          f"--keepalive-ms 100: a comment every 100 ms keeps the connection ({chatty_cat.describe()})")


# ----------------------------------------------------------------------------
# Awkward: an HTTP/1.1 server written here, each route misbehaving in one way.


class Request:
    def __init__(self, method, target, headers, body, n, sni=None, alpn=None):
        self.time = time.monotonic()
        self.method, self.target, self.headers, self.body = method, target, headers, body
        parts = urlsplit(target)
        self.path, self.query = parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.n = n  # the n-th request (from 1) for this target
        self.sni, self.alpn = sni, alpn

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)


class Conn:
    """One accepted connection, for a route: write bytes, heads, chunks; hold; cut."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.dead = False

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            self.dead = True
            return False

    def head(self, status, reason, fields=(), body=b""):
        body = body.encode() if isinstance(body, str) else body
        text = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields)
        if body or status not in (204, 304):
            text += f"Content-Length: {len(body)}\r\n"
        return self.send(text.encode() + b"\r\n" + body)

    def stream_head(self, chunked=True, content_type="text/event-stream"):
        framing = "Transfer-Encoding: chunked" if chunked else "Connection: close"
        return self.send(f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nCache-Control: no-cache\r\n"
                         f"{framing}\r\n\r\n")

    def chunk(self, data):
        data = data.encode() if isinstance(data, str) else data
        return self.send(b"%x\r\n%s\r\n" % (len(data), data))

    def end(self):
        return self.send(b"0\r\n\r\n")

    def hold(self, seconds, stop):
        """Keeps the connection until the peer closes it, `stop` is set, or `seconds` pass."""
        deadline = time.monotonic() + seconds
        self.sock.settimeout(0.05)
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                if not self.sock.recv(4096):
                    return
            except socket.timeout:
                continue
            except (OSError, ssl.SSLError):
                return


class Awkward:
    """A threaded HTTP/1.1 server (TLS with `tls`: (cert, key)) on 127.0.0.1; `routes` maps a path to a function
    (conn, request, server). Every request is kept in `requests`."""

    def __init__(self, tls=None):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.scheme = "https" if tls else "http"
        self.ctx = None
        self.local = threading.local()
        if tls:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(*tls)
            self.ctx.set_alpn_protocols(["http/1.1"])
            self.ctx.sni_callback = self._sni
        self.routes = {}
        self.requests = []
        self.counts = {}
        self.handshake_errors = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, target, host="127.0.0.1"):
        return f"{self.scheme}://{host}:{self.port}{target}"

    def _sni(self, sslsock, name, ctx):
        self.local.sni = name

    def _accept(self):
        while not self.stop.is_set():
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(10)
        sni = alpn = None
        try:
            if self.ctx:
                self.local.sni = None
                try:
                    sock = self.ctx.wrap_socket(sock, server_side=True)
                except (ssl.SSLError, OSError) as e:
                    with self.lock:
                        self.handshake_errors.append(str(e))
                    sock.close()
                    return
                sni, alpn = self.local.sni, sock.selected_alpn_protocol()
            conn = Conn(sock)
            while True:
                req = self._read_request(conn, sni, alpn)
                if req is None:
                    return
                route = self.routes.get(req.path)
                if route is None:
                    conn.head(404, "Not Found", [("Content-Type", "text/plain")], "no such route")
                    continue
                if route(conn, req, self) != "keep-alive" or conn.dead:
                    return
        except (OSError, ssl.SSLError):
            pass
        finally:
            try:
                sock.close()
            except OSError:
                pass

    def _read_request(self, conn, sni, alpn):
        sock = conn.sock
        while b"\r\n\r\n" not in conn.buf:
            try:
                data = sock.recv(65536)
            except (OSError, ssl.SSLError):
                return None
            if not data:
                return None
            conn.buf += data
        head, _, conn.buf = conn.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = (lines[0].split(" ") + ["", ""])[:3]
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            k = k.strip().lower()
            headers[k] = headers[k] + ", " + v.strip() if k in headers else v.strip()
        length = int(headers.get("content-length", "0") or 0)
        while len(conn.buf) < length:
            data = sock.recv(65536)
            if not data:
                return None
            conn.buf += data
        body, conn.buf = conn.buf[:length], conn.buf[length:]
        with self.lock:
            self.counts[target] = self.counts.get(target, 0) + 1
            req = Request(method, target, headers, body, self.counts[target], sni, alpn)
            self.requests.append(req)
        return req

    def got(self, path):
        """The requests for `path` (any query), in order."""
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def close(self):
        self.stop.set()
        self.listener.close()


AWKWARD = None  # the plain one, shared by the tests


def awkward():
    global AWKWARD
    if AWKWARD is None:
        AWKWARD = Awkward()
    return AWKWARD


def route(path):
    def register(fn):
        awkward().routes[path] = fn
        return fn
    return register


def test_line_ends(tmp):
    srv = awkward()

    @route("/cr")
    def cr(conn, req, srv):
        conn.stream_head(chunked=False)
        conn.send("data: one\rid: 1\r\r: a comment\rdata: two\rdata: lines\r\revent: last\rdata: three\r\r")

    with SseCat("--once", srv.url("/cr")) as cat:
        cat.finish(10)
        check_exit(cat, 0, "/cr --once")
        check(cat.triples() == [("message", "one", "1"), ("message", "two\nlines", "1"), ("last", "three", "1")],
              f"CR-only line ends, close-delimited: 3 events, the last one's CR CR at the very end too "
              f"({cat.describe()}, {cat.lines()})")

    body = ("retry: 100\r\n\r\nid: 1\r\ndata: héllo wörld ✓\r\n\r\n: comment\n"
            "event: e\ndata: a\ndata: b\n\ndata: x\r\rdata: 🎉\r\n\r\n").encode()

    def byte_by_byte(conn, chunked):
        """Every byte of the response in a TCP segment of its own."""
        if chunked:
            wire = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + b"".join(b"1\r\n%s\r\n" % body[i:i + 1] for i in range(len(body))) + b"0\r\n\r\n")
        else:
            wire = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n" + body
        for i in range(len(wire)):
            if not conn.send(wire[i:i + 1]):
                return
            time.sleep(0.001)

    route("/bytes")(lambda conn, req, srv: byte_by_byte(conn, req.query.get("chunked") == "1"))
    want = [("message", "héllo wörld ✓", "1"), ("e", "a\nb", "1"), ("message", "x", "1"), ("message", "🎉", "1")]
    cats = [SseCat("--once", srv.url("/bytes?chunked=1")), SseCat("--once", srv.url("/bytes?chunked=0"))]
    deadline = time.monotonic() + 20
    for cat, name in zip(cats, ("chunked, 1-byte chunks", "close-delimited")):
        with cat:
            cat.finish(deadline=deadline)
            check_exit(cat, 0, f"/bytes ({name}) --once")
            check(cat.triples() == want,
                  f"every byte in its own segment ({name}): CRLF split, UTF-8 split, mixed line ends: the 4 events "
                  f"({cat.describe()}, {cat.lines()})")


def test_statuses(tmp):
    srv = awkward()
    route("/204")(lambda conn, req, srv: conn.head(204, "No Content"))
    error_body = '{"error":{"message":"Invalid API key","type":"invalid_request_error","code":401}}'
    route("/401")(lambda conn, req, srv: conn.head(401, "Unauthorized", [("Content-Type", "application/json"),
                                                                           ("WWW-Authenticate", "Bearer")], error_body))
    route("/html")(lambda conn, req, srv: conn.head(200, "OK", [("Content-Type", "text/html; charset=utf-8")],
                                                     "<!doctype html><title>login</title>"))

    @route("/busy")
    def busy(conn, req, srv):
        if req.n == 1:
            conn.head(503, "Service Unavailable", [("Retry-After", "1"), ("Content-Type", "text/plain")], "busy")
        else:
            conn.stream_head()
            conn.chunk("id: 1\ndata: ok\n\nid: 2\ndata: fine\n\n")
            conn.end()

    cats = {"204": SseCat(srv.url("/204")), "401": SseCat(srv.url("/401")),
            "html": SseCat(srv.url("/html")), "busy": SseCat("--max-events", "2", srv.url("/busy"))}
    deadline = time.monotonic() + 15
    with cats["204"] as c204, cats["401"] as c401, cats["html"] as chtml, cats["busy"] as cbusy:
        c204.finish(deadline=deadline)
        check(not c204.out and "reconnecting" not in c204.stderr(),
              f"204: nothing printed, no reconnection ({c204.describe()})")
        check_exit(c204, 0, "204")
        c401.finish(deadline=deadline)
        err = c401.stderr()
        check("401" in err and error_body in err and "reconnecting" not in err,
              f"401 with a JSON body: the status and the body on stderr, no retry ({c401.describe()})")
        check_exit(c401, 1, "401")
        chtml.finish(deadline=deadline)
        check("200" in chtml.stderr() and "text/event-stream" in chtml.stderr()
              and "reconnecting" not in chtml.stderr() and not chtml.out,
              f"a 200 text/html: refused, no retry ({chtml.describe()})")
        check_exit(chtml, 1, "a 200 text/html")
        cbusy.finish(deadline=deadline)
        got = srv.got("/busy")
        gap = got[1].time - got[0].time if len(got) >= 2 else None
        check(cbusy.triples() == [("message", "ok", "1"), ("message", "fine", "2")],
              f"503 Retry-After: 1, then a stream: its events ({cbusy.describe()})")
        check_exit(cbusy, 0, "503 then a stream, --max-events 2")
        check(re.search(r"reconnecting in 1000 ms", cbusy.stderr()) is not None and gap is not None
              and 0.9 <= gap <= 2.5,
              f"... after the server's 1 s: 'reconnecting in 1000 ms', the second request "
              f"{gap if gap is None else round(gap, 2)} s after the first")
        time.sleep(0.2)
        check([len(srv.got(p)) for p in ("/204", "/401", "/html")] == [1, 1, 1],
              f"204, 401, text/html: one request each ({[len(srv.got(p)) for p in ('/204', '/401', '/html')]})")


def test_cut(tmp):
    srv = awkward()

    @route("/cut")
    def cut(conn, req, srv):
        chunked = req.query.get("chunked") == "1"
        conn.stream_head(chunked=chunked)
        send = conn.chunk if chunked else conn.send
        if req.n == 1:
            send("retry: 100\n\nid: 1\ndata: first\n\nid: 2\ndata: partial")
            time.sleep(0.1)
            return  # closed: no last chunk, or the end of a close-delimited body, mid-event
        send("id: 3\ndata: third\n\n")
        if chunked:
            conn.end()

    for chunked, name in (("1", "chunked, no last chunk"), ("0", "close-delimited")):
        with SseCat("--max-events", "2", srv.url(f"/cut?chunked={chunked}")) as cat:
            cat.finish(10)
            got = [r for r in srv.got("/cut") if r.query.get("chunked") == chunked]
            check_exit(cat, 0, f"/cut ({name}) --max-events 2")
            check(cat.triples() == [("message", "first", "1"), ("message", "third", "3")],
                  f"a stream cut mid-event ({name}): the partial event is not printed; the next connection's "
                  f"events are ({cat.describe()}, {cat.lines()})")
            check(len(got) == 2 and got[1].header("last-event-id") == "1",
                  f"... the reconnection sent Last-Event-ID: 1 "
                  f"({[r.header('last-event-id') for r in got]})")
            rec = reconnections(cat)
            check(rec and rec[0][0] <= 1000 and rec[0][1] == "1",
                  f"... after the stream's retry: 100 (with back-off and jitter): {rec[:1]}")


def test_ids(tmp):
    srv = awkward()

    @route("/idonly")
    def idonly(conn, req, srv):
        conn.stream_head()
        if req.n == 1:
            conn.chunk("retry: 100\n\nid: 1\ndata: a\n\nid: 5\n\n")
        else:
            conn.chunk("data: b\n\n")
        conn.end()

    @route("/idreset")
    def idreset(conn, req, srv):
        conn.stream_head()
        if req.n == 1:
            conn.chunk("retry: 100\n\nid: 1\ndata: a\n\nid\ndata: b\n\n")
        else:
            conn.chunk("data: c\n\n")
        conn.end()

    with SseCat("--max-events", "2", srv.url("/idonly")) as a, SseCat("--max-events", "3", srv.url("/idreset")) as b:
        deadline = time.monotonic() + 15
        a.finish(deadline=deadline)
        got = srv.got("/idonly")
        check(len(a.out) == 2 and len(got) == 2, f"/idonly: two connections, 2 events ({a.describe()})")
        check_exit(a, 0, "/idonly --max-events 2")
        check(len(got) == 2 and got[1].header("last-event-id") == "5"
                      and a.triples() == [("message", "a", "1"), ("message", "b", "5")],
                      f"an id-only block (id: 5, no data) sets the Last-Event-ID of the reconnection "
                      f"(sent {[r.header('last-event-id') for r in got]}, events {a.lines()})")
        b.finish(deadline=deadline)
        got = srv.got("/idreset")
        check_exit(b, 0, "/idreset --max-events 3")
        check(b.triples() == [("message", "a", "1"), ("message", "b", ""), ("message", "c", "")]
              and len(got) == 2 and got[1].header("last-event-id") is None,
              f"an empty id: clears the last event id: no Last-Event-ID on the reconnection "
              f"({b.describe()}, sent {[r.header('last-event-id') for r in got]})")


def test_watchdog(tmp):
    srv = awkward()

    @route("/quiet")
    def quiet(conn, req, srv):
        conn.stream_head()
        if req.n == 1:
            conn.chunk("retry: 100\n\nid: 7\ndata: hello\n\n")
            conn.hold(10, srv.stop)  # then nothing: no byte, not even a comment
        else:
            conn.chunk("data: again\n\n")
            conn.end()

    @route("/silent")
    def silent(conn, req, srv):
        conn.hold(60, srv.stop)  # the request is read; no response at all

    a = SseCat("--idle-timeout-ms", "300", "--max-events", "2", srv.url("/quiet"))
    b = SseCat("--idle-timeout-ms", "300", srv.url("/silent"))
    with a, b:
        a.finish(15)
        got = srv.got("/quiet")
        r = a.wait_err(r"idle timeout.*reconnecting in \d+ ms with Last-Event-ID: 7", 0)
        check_exit(a, 0, "/quiet --max-events 2")
        check(a.triples() == [("message", "hello", "7"), ("message", "again", "7")] and r is not None,
              f"a stream quiet after an event: the watchdog fires, 'reconnecting ... Last-Event-ID: 7', the next "
              f"connection's event ({a.describe()})")
        quiet_for = r[0] - got[0].time if r and got else None
        check(len(got) == 2 and got[1].header("last-event-id") == "7" and quiet_for is not None
              and 0.25 <= quiet_for <= 3,
              f"... it fired {quiet_for if quiet_for is None else round(quiet_for, 2)} s after the request; "
              f"the reconnection sent Last-Event-ID: 7")
        fired = b.wait_err(r"reconnecting", max(0.0, 3 - (time.monotonic() - b.start)))
        check(fired is not None and fired[0] - b.start <= 3 and len(srv.got("/silent")) >= 1,
                      f"a server that answers nothing: with --idle-timeout-ms 300 the client gives up on the "
                      f"connection within 3 s and reconnects ({b.describe()})")


def test_redirects(tmp):
    srv = awkward()

    @route("/r/start")
    def start(conn, req, srv):
        conn.head(302, "Found", [("Location", "/r/landed?from=302")])

    @route("/r/landed")
    def landed(conn, req, srv):
        conn.stream_head()
        conn.chunk(f"id: 1\ndata: landed {req.method} {req.body.decode()}\n\n")
        conn.end()

    @route("/r/a/post")
    def post(conn, req, srv):
        conn.head(307, "Temporary Redirect", [("Location", "landed")])  # relative: /r/a/landed

    route("/r/a/landed")(landed)

    @route("/r/loop")
    def loop(conn, req, srv):
        conn.head(302, "Found", [("Location", "/r/loop")])

    a = SseCat("--once", srv.url("/r/start"))
    b = SseCat("--once", "-X", "POST", "-d", "payload", srv.url("/r/a/post"))
    c = SseCat(srv.url("/r/loop"))
    deadline = time.monotonic() + 15
    with a, b, c:
        a.finish(deadline=deadline)
        got = srv.got("/r/landed")
        check_exit(a, 0, "302 --once")
        check(a.triples() == [("message", "landed GET ", "1")] and len(got) == 1
              and got[0].target == "/r/landed?from=302",
              f"302 to an absolute path: followed ({a.describe()}, {[r.target for r in got]})")
        b.finish(deadline=deadline)
        got = srv.got("/r/a/landed")
        check_exit(b, 0, "307 --once")
        check(b.triples() == [("message", "landed POST payload", "1")] and len(got) == 1,
              f"a POST, 307 to a relative path: followed to /r/a/landed as a POST with its body "
              f"({b.describe()}, {[(r.method, r.target, r.body) for r in got]})")
        c.finish(deadline=deadline)
        n = len(srv.got("/r/loop"))
        check_exit(c, 1, "a redirect loop")
        check(re.search(r"redirect", c.stderr(), re.I) is not None and n == 6,
              f"a redirect loop: 'too many redirects' on stderr, after 5 redirects followed "
              f"({n} requests; {c.describe()})")


TOKENS = ["Hel", "lo", ", ", "wor", "ld", "!"]


def test_llm(tmp):
    srv = awkward()
    sent = {}

    @route("/v1/chat")
    def chat(conn, req, srv):
        problems = []
        if req.method != "POST":
            problems.append(f"method {req.method}")
        if not (req.header("content-type") or "").startswith("application/json"):
            problems.append(f"content-type {req.header('content-type')}")
        try:
            if json.loads(req.body) != {"prompt": "hi"}:
                problems.append(f"body {req.body!r}")
        except ValueError:
            problems.append(f"body {req.body!r}")
        if problems:
            conn.head(400, "Bad Request", [("Content-Type", "application/json")],
                      json.dumps({"error": ", ".join(problems)}))
            return
        conn.stream_head()
        times = sent.setdefault(req.target, [])
        for tok in TOKENS:
            conn.chunk("data: " + json.dumps({"token": tok}, separators=(",", ":")) + "\n\n")
            times.append(time.monotonic())
            time.sleep(0.1)
        conn.chunk("data: [DONE]\n\n")
        conn.end()
        conn.hold(5, srv.stop)  # keep-alive: the end of the response is not the end of the connection

    @route("/v1/again")
    def again(conn, req, srv):
        conn.stream_head()
        conn.chunk(f"retry: 100\nid: {req.n}\ndata: {req.method} {req.header('content-type')} {req.body.decode()}\n\n")
        conn.end()

    body_file = os.path.join(tmp, "prompt.json")
    with open(body_file, "w") as f:
        f.write('{"prompt":"hi"}')
    want = [("message", json.dumps({"token": t}, separators=(",", ":")), "") for t in TOKENS] + \
           [("message", "[DONE]", "")]
    runs = [("-d BODY", SseCat("-X", "POST", "-H", "Content-Type: application/json", "-d", '{"prompt":"hi"}',
                               "--once", srv.url("/v1/chat?k=inline"))),
            ("-d @FILE", SseCat("-X", "POST", "-H", "Content-Type: application/json", "-d", "@" + body_file,
                                "--once", srv.url("/v1/chat?k=file")))]
    deadline = time.monotonic() + 15
    for name, cat in runs:
        with cat:
            cat.finish(deadline=deadline)
            key = "/v1/chat?k=" + ("inline" if name == "-d BODY" else "file")
            check(cat.triples() == want and "reconnecting" not in cat.stderr(),
                  f"LLM-style POST ({name}) --once: every token, then [DONE], no reconnection "
                  f"({cat.describe()}, {cat.lines()[:2]})")
            check_exit(cat, 0, f"LLM-style POST ({name}) --once")
            if cat.rc is not None and cat.out:
                took = cat.exit_time - cat.out[-1][0]
                check(took < 2.5, f"... at the end of the response, not when the kept-alive connection closes "
                                  f"({took:.2f} s after [DONE]; the server holds it 5 s)")
            check(len([r for r in srv.got("/v1/chat") if r.target == key]) == 1, "... one request")
            printed = [t for t, _ in cat.out]
            lag = printed[0] - sent[key][0] if printed and sent.get(key) else None
            check(lag is not None and lag < 0.25,
                          f"... the first token printed {lag if lag is None else round(lag, 3)} s after it was sent "
                          f"(the tokens come 100 ms apart)")

    with SseCat("-X", "POST", "-H", "Content-Type: application/json", "-d", '{"prompt":"again"}',
                "--max-events", "2", srv.url("/v1/again")) as cat:
        cat.finish(15)
        want = [("message", 'POST application/json {"prompt":"again"}', str(i)) for i in (1, 2)]
        check_exit(cat, 0, "a POST stream without --once, --max-events 2")
        check(cat.triples() == want,
              f"without --once: the reconnection sends the same method, headers and body "
              f"({cat.describe()}, {cat.lines()})")


def closed_port():
    """A socket bound to a port and not listening: a connection to it is refused, and no one else takes the
    port meanwhile."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    return s


CLOSED = {}  # the sse_cat against a closed port, started first: it waits 3 s then 6 s


def start_closed_port():
    CLOSED["sock"] = closed_port()
    CLOSED["cat"] = SseCat("--retry-max", "2", f"http://127.0.0.1:{CLOSED['sock'].getsockname()[1]}/events")


def test_retry_max(tmp):
    if "cat" not in CLOSED:
        start_closed_port()
    with CLOSED["cat"] as cat:
        cat.finish(30)
        gave_up = cat.wait_err(r"giving up", 0)
        took = gave_up[0] - cat.start if gave_up else time.monotonic() - cat.start
        rec = reconnections(cat)
        check_exit(cat, 1, "--retry-max 2 against a closed port")
        check(len(rec) == 1 and 3000 <= rec[0][0] <= 3750 and re.search(r"giving up", cat.stderr()) is not None,
              f"--retry-max 2 against a closed port: two failed attempts, one retry after 3000 ms (+ jitter), then "
              f"'giving up' ({[ms for ms, _, _ in rec]}, {took:.1f} s; {cat.describe()})")
        check(took >= rec[0][0] / 1000 - 0.2 if len(rec) == 1 else False,
              f"... the delay was waited ({took:.1f} s to 'giving up')")
    CLOSED["sock"].close()

    # retry: 50 then the server goes: the end, then two refused attempts (50, 100 ms + jitter).
    gone = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    gone.bind(("127.0.0.1", 0))
    gone.listen(1)
    port = gone.getsockname()[1]

    def serve_once():
        conn, _ = gone.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
                     b"retry: 50\n\nid: 1\ndata: only\n\n")
        gone.close()  # no more listener: the next attempts are refused
        conn.close()
    threading.Thread(target=serve_once, daemon=True).start()
    with SseCat("--retry-max", "2", f"http://127.0.0.1:{port}/") as cat:
        cat.finish(15)
        rec = reconnections(cat)
        check_exit(cat, 1, "retry: 50, then the server is gone, --retry-max 2")
        check(cat.triples() == [("message", "only", "1")] and len(rec) == 2
              and all(lid == "1" for _, lid, _ in rec) and "giving up" in cat.stderr(),
              f"retry: 50, then the server is gone: the end, then 2 refused attempts, 'giving up' "
              f"({[ms for ms, _, _ in rec]}; {cat.describe()})")


def test_tls(tmp):
    if not ARGS.openssl:
        skipped.append("tls (no openssl)")
        return
    cert, key = sse_testing.make_certificate(ARGS.openssl, tmp, reuse=True)
    srv = Awkward(tls=(cert, key))

    def hello(conn, req, srv):
        conn.stream_head()
        conn.chunk("id: 1\ndata: secure\n\n")
        conn.end()
    srv.routes["/hello"] = hello
    try:
        with SseCat("--insecure", "--once", srv.url("/hello", host="localhost")) as a:
            a.finish(10)
            got = srv.got("/hello")
            check_exit(a, 0, "TLS (localhost, --insecure) --once")
            check(a.triples() == [("message", "secure", "1")] and len(got) == 1,
                  f"TLS (localhost, --insecure): the event ({a.describe()}; handshake errors "
                  f"{srv.handshake_errors})")
            if got:
                check(got[0].sni == "localhost", f"... SNI: localhost ({got[0].sni!r})")
                check(got[0].alpn == "http/1.1", f"... ALPN http/1.1 negotiated ({got[0].alpn!r})")
                check(got[0].header("host") == f"localhost:{srv.port}", f"... Host: {got[0].header('host')}")
        with SseCat("--insecure", "--once", srv.url("/hello")) as b:
            b.finish(10)
            got = srv.got("/hello")
            check_exit(b, 0, "TLS (127.0.0.1, --insecure) --once")
            check(len(got) == 2 and b.triples() == [("message", "secure", "1")],
                  f"TLS (127.0.0.1, --insecure): the event ({b.describe()})")
            if len(got) == 2:
                check(got[1].sni is None, f"... no SNI for an IP address ({got[1].sni!r})")
    finally:
        srv.close()

    # A TLS port that hangs up at once (a server restarting behind a proxy): retried, like a refused connection.
    hangup = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    hangup.bind(("127.0.0.1", 0))
    hangup.listen(8)
    port = hangup.getsockname()[1]

    def hang_up():
        while True:
            try:
                conn, _ = hangup.accept()
            except OSError:
                return
            conn.close()
    threading.Thread(target=hang_up, daemon=True).start()
    try:
        with SseCat("--insecure", "--retry-max", "0", f"https://127.0.0.1:{port}/") as c:
            c.finish(10)
            check_exit(c, 1, "a TLS port that hangs up during the handshake, --retry-max 0")
            check("giving up" in c.stderr(),
                          f"... as a failed attempt that is retried ('giving up'), not a final TLS failure "
                          f"({c.stderr()!r})")
    finally:
        hangup.close()


def test_signals(tmp):
    srv = awkward()

    @route("/live")
    def live(conn, req, srv):
        conn.stream_head()
        conn.chunk("id: 1\ndata: one\n\nid: 2\ndata: two\n\nid: 3\ndata: three\n\n")
        deadline = time.monotonic() + 15
        while not srv.stop.is_set() and time.monotonic() < deadline and conn.chunk(": ping\n"):
            time.sleep(0.1)

    want = [("message", "one", "1"), ("message", "two", "2"), ("message", "three", "3")]
    with SseCat(srv.url("/live")) as cat:
        check(cat.wait_events(3, 3), f"a live stream: its 3 events are printed while it is open "
                                             f"({len(cat.out)} printed)")
        cat.signal(signal.SIGINT)
        signalled = time.monotonic()
        rc = cat.finish(GRACE, grace=None)
        what = f"SIGINT during a live stream: exit 0 within {GRACE:.0f} s ({cat.describe()})"
        if rc is None:
            check(False, what)
        else:
            check(rc == 0 and cat.exit_time - signalled < GRACE, what)
        if cat.triples() == want:
            check(True, "... the events received were printed")
        else:
            check(False, f"... the events received were printed ({cat.lines()})")

    ref = reference_server()
    with ref, SseCat(ref.url("/stream?count=2")) as cat:
        check(cat.wait_err(r"reconnecting in", 10) is not None, f"/stream?count=2 ended: waiting to reconnect "
                                                                  f"({cat.describe()})")
        cat.signal(signal.SIGTERM)
        rc = cat.finish(GRACE, grace=None)
        what = f"SIGTERM while waiting to reconnect: exit 0 within {GRACE:.0f} s ({cat.describe()})"
        if rc is None:
            check(False, what)
        else:
            check(rc == 0, what)
        check(cat.triples() == [("message", "1:", "1"), ("message", "2:", "2")],
              f"... the 2 events received were printed ({cat.lines()})")


def test_headers(tmp):
    srv = awkward()
    with srv.lock:
        reqs = list(srv.requests)
    bad = [(r.method, r.target, r.header("accept"), r.header("cache-control")) for r in reqs
           if r.header("accept") != "text/event-stream" or r.header("cache-control") != "no-cache"]
    check(reqs and not bad, f"every request of sse_cat ({len(reqs)}) had Accept: text/event-stream and "
                            f"Cache-Control: no-cache ({bad[:3]})")
    host_ok = all(r.header("host") == f"127.0.0.1:{srv.port}" for r in reqs)
    check(host_ok, "... and Host: 127.0.0.1:PORT")


def test_http2(tmp):
    """sse_cat --http2: h2c with prior knowledge on the reference server's plain port, h2 by ALPN over TLS;
    /messages exactly, Last-Event-ID sent and echoed, the reconnection after /messages' retry with its last id,
    and a refusal with its status and body."""
    transports = [("h2c", None)]
    if ARGS.openssl:
        transports.append(("h2 (ALPN)", sse_testing.make_certificate(ARGS.openssl, tmp, reuse=True)))
    else:
        skipped.append("sse_cat --http2 over TLS (no openssl)")
    with contextlib.ExitStack() as stack:
        # Both transports at once: most of the time is the reconnection after /messages' retry.
        cats = []
        for name, tls in transports:
            server = stack.enter_context(reference_server(tls=tls))
            flags = ["--http2"] + (["--insecure"] if tls else [])
            cats.append(tuple(stack.enter_context(SseCat(*flags, *args)) for args in (
                ("--once", server.url("/messages")),
                ("--once", "--last-event-id", "xyz", server.url("/last-event-id")),
                ("--max-events", "7", server.url("/messages")),
                (server.url("/no-such-route"),))))
        deadline = time.monotonic() + 15
        for (name, tls), (once, leid, again, refused) in zip(transports, cats):
            for c in (once, leid, again, refused):
                c.finish(deadline=deadline)
            check(messages_match(once.triples()), f"{name} --once /messages: the 6 events ({once.lines()})")
            check_exit(once, 0, f"{name} --once /messages")
            check(re.search(r"^HTTP/2 200 ", once.stderr(), re.M) is not None,
                  f"{name}: the response came over HTTP/2 ({once.stderr()!r})")
            check(leid.triples() == [("message", "xyz", "xyz")],
                  f"{name}: /last-event-id echoes the Last-Event-ID sent ({leid.lines()})")
            t = again.triples()
            check(len(t) == 7 and messages_match(t[:6]) and t[6] == ("greeting", "Hello, world!", "1"),
                  f"{name}: /messages, then again after the reconnection ({again.lines()})")
            check_reconnection(again, f"{name} /messages", 1500, "2")
            check_exit(refused, 1, f"{name} refused")
            check("404" in refused.stderr() and "not found" in refused.stderr(),
                  f"{name}: the refusal's status and body on stderr ({refused.stderr()!r})")


# ----------------------------------------------------------------------------

TESTS = {
    "reference": test_reference,
    "restart": test_restart,
    "idle": test_idle,
    "line_ends": test_line_ends,
    "statuses": test_statuses,
    "cut": test_cut,
    "ids": test_ids,
    "watchdog": test_watchdog,
    "redirects": test_redirects,
    "llm": test_llm,
    "tls": test_tls,
    "http2": test_http2,
    "signals": test_signals,
    "retry_max": test_retry_max,  # last: its closed-port sse_cat runs from the start
    "headers": test_headers,
}


def main():
    global ARGS
    ap = sse_testing.argument_parser(__doc__, ["openssl"])
    ap.add_argument("--sse-cat", required=True, help="the sse_cat executable")
    ap.add_argument("--only", help="comma-separated tests: " + ", ".join(TESTS))
    ARGS = ap.parse_args()
    only = ARGS.only.split(",") if ARGS.only else list(TESTS)
    for name in only:
        if name not in TESTS:
            raise SystemExit(f"unknown test {name}")
    start = time.monotonic()
    if "retry_max" in only:
        start_closed_port()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for name in only:
                print(f"\n== {name}", flush=True)
                t = time.monotonic()
                TESTS[name](tmp)
                print(f"        ({name}: {time.monotonic() - t:.1f} s)", flush=True)
        finally:
            if "cat" in CLOSED:
                CLOSED["cat"].kill()
            if AWKWARD:
                AWKWARD.close()
    return summary(start)


if __name__ == "__main__":
    sys.exit(main())
