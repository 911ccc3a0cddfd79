#!/usr/bin/python3
#
# Copyright (c) 2026 The sse authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#

"""Points real clients at sse::server (through server_app.cpp) and checks it.

    test_server.py --server PATH/TO/server_app [--threads N] [--curl PATH]
        [--nghttp PATH] [--openssl PATH] [--only SECTION,...]

Each section starts its own server (`--port 0` on 127.0.0.1, with
--threads N) and reads its `listening on PORT` line. The clients are curl
(HTTP/1.1, h2c with prior knowledge, TLS with ALPN), nghttp, and, where a
check needs bytes, frames or timing that no client program shows, raw
sockets and Python's `h2` package. Sections:

    handlers    a throwing handler answers 500 on both protocols, plain and
                TLS, for the synchronous and the awaitable handler; the
                HTTP/1.1 connection stays usable; on_handler_exception
                counts each exception; the awaitable handler answers and
                streams on both protocols
    nodelay     small requests in sequence on one keep-alive connection are
                not held back by Nagle's algorithm and delayed ACKs
    limit       --max-connections: the next connection gets 503 and is
                closed; once connections close, new ones are served
    shutdown    SIGTERM with 200 HTTP/1.1 and 200 HTTP/2 streams open: every
                stream ends cleanly, then GOAWAY, and exit status 0
    idle        a connection that sent nothing is closed at once on SIGTERM

A section whose client program is not given is skipped and says so. Every
wait is bounded. Python standard library plus `h2` only.
"""

import os
import re
import selectors
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import sse_testing
from sse_testing import H2, Raw, check, dechunk, skipped, summary, wait_until

ARGS = None

SHUTDOWN_MS = 2000  # --shutdown-ms unless a section says otherwise: the exit must follow within this + 1 s


def section(name):
    sse_testing.section(name, ARGS.threads)


# ----------------------------------------------------------------------------
# Event streams: whole events, their ids.


def parse_events(data):
    """(ids, complete): the ids of the events in `data`, and whether it ends after a whole event."""
    text = data.decode(errors="replace") if isinstance(data, (bytes, bytearray)) else data
    ids = []
    for block in text.split("\n\n")[:-1]:
        fields = dict(line.partition(": ")[::2] for line in block.split("\n") if line)
        if "data" in fields:
            ids.append(fields.get("id"))
    return ids, text == "" or text.endswith("\n\n")


def numbered(ids, count=None):
    """Whether the ids are 1, 2, 3, ... (count of them, when given)."""
    return ids == [str(i) for i in range(1, len(ids) + 1)] and (count is None or len(ids) == count)


# ----------------------------------------------------------------------------
# The server under test.


class Server(sse_testing.CheckedServer):
    """server_app with --threads N and `args`; stop() waits --shutdown-ms + 1 s at most."""

    def __init__(self, *args, sync=False, tls=None, shutdown_ms=SHUTDOWN_MS):
        self.shutdown_ms = shutdown_ms
        cmd = [ARGS.server, "--address", "127.0.0.1", "--port", "0", "--threads", str(ARGS.threads),
               "--shutdown-ms", str(shutdown_ms), *args]
        if sync:
            cmd.append("--sync")
        if tls:
            cmd += ["--tls", tls[0], tls[1]]
        super().__init__(cmd, tls=bool(tls), stop_seconds=shutdown_ms / 1000 + 1)

    def exceptions(self):
        """What /exceptions says: on_handler_exception's count (-1 when it cannot be read)."""
        flags = ["-k", "--http1.1"] if self.scheme == "https" else []
        rc, body, wo = curl(*flags, self.url("/exceptions"))
        return int(body) if rc == 0 and body.isdigit() else -1


def make_certificate(directory):
    return sse_testing.make_certificate(ARGS.openssl, directory, reuse=True)


# ----------------------------------------------------------------------------
# Clients


WRITE_OUT = "%{http_code} %{http_version} %{num_connects}\n"


def curl(*args, timeout=15):
    """Runs curl to completion: (exit status, body text, write-out text)."""
    with tempfile.NamedTemporaryFile() as body:
        r = subprocess.run([ARGS.curl, "-sS", "-N", "--max-time", "10", "-o", body.name, "-w", WRITE_OUT, *args],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        return r.returncode, open(body.name, "rb").read().decode(errors="replace"), r.stdout.decode()


def curl_stream(flags, url, events, seconds=10):
    """curl on an endless stream, stopped once `events` events arrived (or after `seconds`): (status line, event
    ids, whether the stream was still open when curl was stopped)."""
    proc = subprocess.Popen([ARGS.curl, "-sS", "-N", "-i", *flags, url], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + seconds
    out = head = body = b""
    try:
        while time.monotonic() < deadline:
            chunk = sse_testing.read_pipe(proc.stdout, deadline)
            if not chunk:
                break
            out += chunk
            head, sep, body = out.partition(b"\r\n\r\n")
            if sep and len(parse_events(body)[0]) >= events:
                break
        open_ = proc.poll() is None
    finally:
        proc.kill()
        proc.wait(5)
        proc.stdout.close()
    return head.decode(errors="replace").split("\r\n")[0], parse_events(body)[0], open_


def curl_two(flags, first, second):
    """Two URLs with one curl: the write-out line of each (status, version, connections made)."""
    r = subprocess.run([ARGS.curl, "-sS", "--max-time", "10", *flags, "-w", WRITE_OUT, "-o", "/dev/null", first,
                        "-w", WRITE_OUT, "-o", "/dev/null", second],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=15)
    return r.returncode, r.stdout.decode().splitlines()


def nghttp(*args, timeout=15):
    """Runs nghttp to completion: (exit status, output)."""
    r = subprocess.run([ARGS.nghttp, "-t", "10", *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       timeout=timeout)
    return r.returncode, r.stdout.decode(errors="replace")


def nghttp_status(url):
    """The :status nghttp received for url (0 when none), and its exit status."""
    rc, out = nghttp("-v", "-n", url)
    m = re.search(r"recv \(stream_id=\d+\) :status: (\d+)", out)
    return (int(m.group(1)) if m else 0), rc


def complete_response(buf):
    """The length of the first whole HTTP/1.1 response in buf (Content-Length or chunked), or 0."""
    head_end = buf.find(b"\r\n\r\n")
    if head_end < 0:
        return 0
    head = buf[:head_end].decode(errors="replace").lower()
    body = head_end + 4
    m = re.search(r"\r\ncontent-length: *(\d+)", head)
    if m:
        end = body + int(m.group(1))
        return end if len(buf) >= end else 0
    if "transfer-encoding: chunked" in head:
        end = buf.find(b"\r\n0\r\n\r\n", body - 2)
        return end + 7 if end >= 0 else 0
    return 0


# ----------------------------------------------------------------------------
# Sections


def check_throwing(server, protocol, flags, targets):
    """Each target answers 500 over the protocol; returns how many exceptions that made."""
    version = {"HTTP/1.1": "1.1", "h2c": "2", "TLS h2": "2", "TLS HTTP/1.1": "1.1"}[protocol]
    for target in targets:
        rc, body, wo = curl(*flags, server.url(target))
        check(rc == 0 and wo.split()[:2] == ["500", version],
              f"{protocol} {target}: 500 over HTTP/{version} (curl exit {rc}, {wo.strip()!r}, {body.strip()!r})")
    # The connection goes on: a second request on it, no new connection.
    if protocol == "h2c":
        # curl 7.88 cannot reuse an h2c connection with prior knowledge (curl/curl#10634): h2 does it.
        c = H2(server.port, keep_reading=True)
        first = c.request(targets[0])
        c.wait(lambda: c.streams[first]["ended"] or c.streams[first]["reset"] is not None, 5)
        second = c.request("/once")
        c.wait(lambda: c.streams[second]["ended"] or c.streams[second]["reset"] is not None, 5)
        c.close()
        got = [(c.streams[s]["status"], bytes(c.streams[s]["data"]), c.streams[s]["ended"]) for s in (first, second)]
        check(got[0][0] == 500 and got[0][2] and got[1] == (200, b"once", True) and c.goaway is None,
              f"{protocol}: after the 500 of {targets[0]}, /once is answered on the same connection ({got}, "
              f"GOAWAY {c.goaway})")
    else:
        rc, lines = curl_two(flags, server.url(targets[0]), server.url("/once"))
        check(rc == 0 and lines == [f"500 {version} 1", f"200 {version} 0"],
              f"{protocol}: after the 500 of {targets[0]}, /once is answered on the same connection ({lines})")
    return len(targets) + 1


def check_answers(server, protocol, flags, awaitable):
    """/once, /stream, and the awaitable routes when the handler is awaitable."""
    version = {"HTTP/1.1": "1.1", "h2c": "2", "TLS h2": "2", "TLS HTTP/1.1": "1.1"}[protocol]
    rc, body, wo = curl(*flags, server.url("/once"))
    check(rc == 0 and wo.split()[:2] == ["200", version] and body == "once",
          f"{protocol} /once: 200 once ({rc}, {wo.strip()!r}, {body!r})")
    # /stream never ends: read until three events came, with the stream still open.
    status_line, ids, open_ = curl_stream(flags, server.url("/stream"), 3)
    check(status_line.split()[:2] == [f"HTTP/{version}", "200"] and len(ids) >= 3 and numbered(ids) and open_,
          f"{protocol} /stream: events with ids 1, 2, 3, ... ({status_line!r}, {len(ids)} events, ids {ids[:5]}, "
          f"still open {open_})")
    if not awaitable:
        return
    rc, body, wo = curl(*flags, server.url("/await"))
    check(rc == 0 and wo.split()[:2] == ["200", version] and body == "awaited",
          f"{protocol} /await: 200 awaited from the awaitable handler ({rc}, {wo.strip()!r}, {body!r})")
    rc, body, wo = curl(*flags, server.url("/await-stream"))
    ids, complete = parse_events(body)
    check(rc == 0 and wo.split()[:2] == ["200", version] and numbered(ids, 3) and complete,
          f"{protocol} /await-stream: three events, then the end of the stream ({rc}, {wo.strip()!r}, ids {ids})")


def test_handlers(tmp):
    """Throwing and awaitable handlers on both protocols, plain and TLS."""
    transports = [("plain", None)]
    if ARGS.openssl:
        transports.append(("TLS", make_certificate(tmp)))
    else:
        skipped.append("handlers over TLS (no openssl)")
    for awaitable in (False, True):
        kind = "awaitable" if awaitable else "synchronous"
        throwing = ["/throw", "/throw-call", "/await-throw"] if awaitable else ["/throw"]
        for name, tls in transports:
            section(f"{kind} handler, {name}")
            with Server(sync=not awaitable, tls=tls) as server:
                protocols = [("HTTP/1.1", ["--http1.1"]), ("h2c", ["--http2-prior-knowledge"])] if not tls else \
                            [("TLS h2", ["-k", "--http2"]), ("TLS HTTP/1.1", ["-k", "--http1.1"])]
                thrown = 0
                for protocol, flags in protocols:
                    thrown += check_throwing(server, protocol, flags, throwing)
                    check_answers(server, protocol, flags, awaitable)
                if ARGS.nghttp:
                    for target in throwing:
                        status, rc = nghttp_status(server.url(target))
                        check(status == 500, f"nghttp {name} {target}: :status 500 ({status}, exit {rc})")
                        thrown += 1
                    if awaitable:
                        rc, out = nghttp(server.url("/await"))
                        check(rc == 0 and out == "awaited", f"nghttp {name} /await: awaited ({rc}, {out!r})")
                        rc, out = nghttp(server.url("/await-stream"))
                        ids, complete = parse_events(out)
                        check(rc == 0 and numbered(ids, 3) and complete,
                              f"nghttp {name} /await-stream: three events, then the end ({rc}, ids {ids})")
                else:
                    skipped.append(f"nghttp {name} (no nghttp)")
                # The hook runs once the 500 is on its way: give it a moment.
                wait_until(lambda: server.exceptions() == thrown, 3, 0.05)
                seen = server.exceptions()
                check(seen == thrown, f"on_handler_exception was given each of the {thrown} exceptions ({seen})")


def test_nodelay():
    """Sequential small requests on one keep-alive connection, each sent once the previous answer is read.

    An ordinary answer (/once) leaves in one write, which Nagle's algorithm does not hold back. An event
    stream's head and events are separate writes: without TCP_NODELAY each /burst waits for the client's
    delayed ACK, some 40 ms, before its second write leaves. The average is the only timing this file checks.
    """
    section("TCP_NODELAY: small answers go out at once")
    with Server(sync=True) as server:
        raw = Raw(server.port)
        times = {}
        for target in ("/once", "/burst"):
            request = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
            # One answer not timed: the connection and the code paths are warm.
            raw.send(request)
            raw.read_until(lambda b: complete_response(b) > 0, 5)
            raw.buf = raw.buf[complete_response(raw.buf):]
            spent = []
            for _ in range(20):
                start = time.monotonic()
                raw.send(request)
                done = raw.read_until(lambda b: complete_response(b) > 0, 5)
                spent.append(time.monotonic() - start)
                if not done:
                    break
                raw.buf = raw.buf[complete_response(raw.buf):]
            times[target] = spent
        raw.close()
        ok = all(len(t) == 20 for t in times.values())
        averages = {k: sum(t) / len(t) * 1000 for k, t in times.items()}
        text = ", ".join(f"{k}: {v:.2f} ms average, {max(times[k]) * 1000:.2f} ms at most"
                         for k, v in averages.items())
        print(f"        {text}", flush=True)
        check(ok and all(a < 30 for a in averages.values()),
              f"20 requests of each target in sequence on one connection: each well under 40 ms on average ({text})")


def test_limit(tmp):
    """--max-connections 5: the sixth connection is refused; once some close, new ones are served."""
    section("the connection limit")
    with Server("--max-connections", "5") as server:
        idle = [Raw(server.port) for _ in range(5)]
        sixth = Raw(server.port, "GET /once HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        closed = sixth.read_to_eof(5)
        check(sixth.buf.startswith(b"HTTP/1.1 503 ") and closed,
              f"five connections open, the sixth gets HTTP/1.1 503 and is closed ({bytes(sixth.buf[:40])!r}, closed {closed})")
        sixth.close()
        still = [not r.recv_some(0) and not r.eof for r in idle]
        check(all(still), f"the five idle connections are still open ({still})")
        for r in idle:
            r.close()

        def served():
            r = Raw(server.port, "GET /once HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            r.read_to_eof(5)
            r.close()
            return r.buf if r.buf.startswith(b"HTTP/1.1 200 ") else None

        got = wait_until(served, 5, 0.05)
        check(got is not None and got.endswith(b"once"),
              f"once the idle connections are closed, a new connection is served ({got!r})")
    if not ARGS.openssl:
        skipped.append("the connection limit over TLS (no openssl)")
        return
    with Server("--max-connections", "5", tls=make_certificate(tmp)) as server:
        idle = [Raw(server.port) for _ in range(5)]
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        try:
            with context.wrap_socket(sock, server_hostname="localhost") as tls:
                outcome = f"handshake done ({tls.version()})"
        except (ssl.SSLError, OSError) as e:
            outcome = f"{type(e).__name__}: {e}"
        check(not outcome.startswith("handshake done"),
              f"TLS: five connections open, the sixth is closed before its handshake ({outcome})")
        for r in idle:
            r.close()


def test_shutdown():
    """SIGTERM with 200 HTTP/1.1 streams and 200 HTTP/2 streams (two connections) receiving events."""
    section("graceful shutdown under load")
    h1_count, h2_connections, h2_streams = 200, 2, 100
    with Server() as server:
        sel = selectors.DefaultSelector()
        h1 = []
        for _ in range(h1_count):
            r = Raw(server.port, "GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            sel.register(r.sock, selectors.EVENT_READ, r)
            h1.append(r)
        h2c = []
        for _ in range(h2_connections):
            c = H2(server.port, keep_reading=True)
            for _ in range(h2_streams):
                c.request("/stream")
            sel.register(c.sock, selectors.EVENT_READ, c)
            h2c.append(c)

        def pump(seconds):
            for key, _ in sel.select(seconds):
                conn = key.data
                alive = conn.on_readable() if isinstance(conn, H2) else conn.recv_some(0)
                if not alive:
                    sel.unregister(key.fileobj)

        def h1_events(r):
            return parse_events(dechunk(r.buf.partition(b"\r\n\r\n")[2])[0])[0]

        def all_receiving():
            return all(b"\r\n\r\n" in r.buf and h1_events(r) for r in h1) and \
                all(s["status"] == 200 and s["data"] for c in h2c for s in c.streams.values())

        deadline = time.monotonic() + 15
        while not all_receiving() and time.monotonic() < deadline:
            pump(0.05)
        receiving = all_receiving()
        check(receiving, f"{h1_count} HTTP/1.1 streams and {h2_connections * h2_streams} HTTP/2 streams "
                         f"on {h2_connections} connections receive events")
        # Under load for a moment, reading all the while.
        settle = time.monotonic() + 0.5
        while time.monotonic() < settle:
            pump(0.05)

        start = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        exited_after = None
        limit = server.shutdown_ms / 1000 + 1
        deadline = start + limit + 5  # the clients read on a little after the exit limit
        while time.monotonic() < deadline:
            if exited_after is None and server.proc.poll() is not None:
                exited_after = time.monotonic() - start
            if exited_after is not None and not sel.get_map():
                break
            pump(0.05)
        status = server.proc.poll()
        check(status == 0 and exited_after is not None and exited_after <= limit,
              f"SIGTERM: exit status {status} after {exited_after if exited_after is None else round(exited_after, 2)}"
              f" s (want 0 within {limit:.1f} s)")

        bad = []
        for i, r in enumerate(h1):
            head, _, body = r.buf.partition(b"\r\n\r\n")
            payload, complete, well_formed = dechunk(body)
            ids, whole = parse_events(payload)
            if not (head.startswith(b"HTTP/1.1 200 ") and complete and well_formed and body.endswith(b"0\r\n\r\n")
                    and whole and ids and numbered(ids) and r.eof):
                bad.append(f"#{i}: {body[-30:]!r} complete {complete} well-formed {well_formed} whole events "
                           f"{whole} {len(ids)} events, closed {r.eof}")
        check(not bad, f"every HTTP/1.1 stream ends with 0\\r\\n\\r\\n after whole events, then the close "
                       f"({len(bad)} of {h1_count} do not{': ' + bad[0] if bad else ''})")
        events = sum(len(h1_events(r)) for r in h1)
        print(f"        {events} events over HTTP/1.1", flush=True)

        for n, c in enumerate(h2c):
            bad = []
            for sid, s in c.streams.items():
                ids, whole = parse_events(bytes(s["data"]))
                if not (s["status"] == 200 and s["ended"] and s["reset"] is None and whole and ids and numbered(ids)):
                    bad.append(f"stream {sid}: status {s['status']} ended {s['ended']} reset {s['reset']} "
                               f"whole events {whole} {len(ids)} events ({bytes(s['data'][-30:])!r})")
            check(not bad, f"h2 connection {n + 1}: every stream ends with END_STREAM after whole events, none "
                           f"is reset ({len(bad)} of {len(c.streams)} do not{': ' + bad[0] if bad else ''})")
            ends = [i for i, e in enumerate(c.log) if e[0] == "end"]
            goaway_at = next((i for i, e in enumerate(c.log) if e[0] == "goaway"), None)
            check(goaway_at is not None and c.goaway == 0 and all(i < goaway_at for i in ends),
                  f"h2 connection {n + 1}: then GOAWAY (NO_ERROR) (code {c.goaway}, last frames {c.log[-3:]})")
            check(c.closed, f"h2 connection {n + 1}: then the connection closes")
        for r in h1:
            r.close()
        for c in h2c:
            c.close()
        sel.close()


def test_idle(tmp):
    """A connection that sent nothing is closed at once on SIGTERM: not after the handshake timeout (10 s), nor
    at the shutdown deadline (--shutdown-ms 5000)."""
    section("an idle connection on SIGTERM")
    transports = [("plain", None)]
    if ARGS.openssl:
        transports.append(("TLS", make_certificate(tmp)))
    else:
        skipped.append("the idle connection over TLS (no openssl)")
    for name, tls in transports:
        with Server(tls=tls, shutdown_ms=5000) as server:
            idle = Raw(server.port)
            # Connections are accepted in order: once a later one is answered, the idle one is being served.
            flags = ["-k", "--http1.1"] if tls else []
            rc, body, _ = curl(*flags, server.url("/once"))
            check(rc == 0 and body == "once", f"{name}: a connection is open and idle")
            start = time.monotonic()
            server.proc.send_signal(signal.SIGTERM)
            closed = idle.read_to_eof(5)
            closed_after = time.monotonic() - start
            try:
                status = server.proc.wait(5)
            except subprocess.TimeoutExpired:
                status = None
            exited_after = time.monotonic() - start
            check(closed and idle.buf == b"" and closed_after < 1.5,
                  f"{name}: SIGTERM closes the idle connection at once ({closed_after:.2f} s, closed {closed}, "
                  f"{bytes(idle.buf[:40])!r})")
            check(status == 0 and exited_after < 1.5,
                  f"{name}: the server exits with status 0 at once ({status} after {exited_after:.2f} s)")
            idle.close()


SECTIONS = ["handlers", "nodelay", "limit", "shutdown", "idle"]


def main():
    global ARGS
    ap = sse_testing.argument_parser(__doc__, ["curl", "nghttp", "openssl"])
    ap.add_argument("--only", help="comma-separated sections: " + ", ".join(SECTIONS))
    ARGS = ap.parse_args()
    if not ARGS.curl:
        raise SystemExit("curl is needed")
    only = ARGS.only.split(",") if ARGS.only else SECTIONS
    for name in only:
        if name not in SECTIONS:
            raise SystemExit(f"unknown section {name}")
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        for name in only:
            if name == "handlers":
                test_handlers(tmp)
            elif name == "nodelay":
                test_nodelay()
            elif name == "limit":
                test_limit(tmp)
            elif name == "shutdown":
                test_shutdown()
            elif name == "idle":
                test_idle(tmp)
    return summary(start)


if __name__ == "__main__":
    sys.exit(main())
