#!/usr/bin/python3
#
# Copyright (c) 2026 The sse authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#

"""Compressed event streams checked with real clients, against the reference server's `--compress`.

    test_compression.py --server PATH/TO/reference_server [--threads N] [--curl PATH] [--br]
        [--node PATH [--eventsource-prefix DIR] [--chromium PATH --playwright-prefix DIR]]
        [--only TEST,...]

The contract is reference-server.md (`--compress`: br or gzip when the request's Accept-Encoding allows it,
br preferred, with Content-Encoding and Vary: Accept-Encoding; every write flushed through the compressor).
--br says the server was built with libbrotli (br is offered); without it, what would be br is expected as
gzip or identity instead. Each test starts its own server (`--port 0` on 127.0.0.1, --threads N) and checks,
on leaving, that it exits with status 0 on SIGTERM. Tests:

    curl_stream             curl --compressed, HTTP/1.1, h2c and HTTP/1.0, Accept-Encoding gzip and br:
                            /stream?count=2000&size=100 and /messages decode byte-identical to the
                            uncompressed response; Content-Encoding is the negotiated coding, Vary lists
                            Accept-Encoding, and fewer bytes crossed the wire
    curl_subscribe          the same over /subscribe (a broadcaster: gzip from shared blocks) with 200
                            events published while gzip, br and uncompressed curls listen on both
                            protocols; SIGTERM then ends every stream cleanly and curl accepts the end
    identity                Accept-Encoding: identity, an empty one and none: not compressed, no
                            Content-Encoding
    without_flag            a server started without --compress never compresses, whatever is accepted
    prompt_gzip             a raw-socket subscriber accepting gzip only decodes each of 20 events
                            published 20 ms apart before the next is published (a compressor that
                            holds one back stalls the publisher and fails); the delays are printed
    prompt_br               the same with br, when Python has a brotli module (else skipped), and through
                            curl's br decoder
    heartbeats              --keepalive-ms 200: idle compressed streams (gzip /subscribe, gzip /idle, br
                            through curl) decode a `:` comment within 1 s; events between heartbeats
                            decode whole; a clean end closes the gzip stream (trailer, CRC-32 and length)
    browser                 headless Chromium's EventSource (Accept-Encoding: gzip, deflate, br, ...) gets
                            br: 20 events 20 ms apart, each at onmessage before the next is published
    eventsource             Node's eventsource@4.1.1 (fetch, which decodes gzip and br) gets the 100 events
                            of /stream?count=100 exact: with fetch's own Accept-Encoding, gzip only, br only
    fanout                  200 raw subscribers of one topic (100 gzip-only: shared blocks, 40 br, 60
                            none), joining before and between 200 publications, some resuming with
                            Last-Event-ID: every decoded stream has exactly the events and the bytes of an
                            uncompressed subscriber that joined at the same point, and, after SIGTERM, a
                            complete coding (gzip trailer checked by zlib, br's last block)
    bad_accept_encoding     garbage, 8 KiB and odd q-values in Accept-Encoding: always a 200 stream whose
                            events decode, with exactly the coding RFC 9110's rules give

A test whose client is not given is skipped and says so. Every wait is bounded. Nothing is timed against a
bound: promptness is checked by publishing each event only once the one before was decoded, and the delays
are printed. Python standard library only (br bodies read off raw sockets are decoded by Node,
compression_clients.mjs).
"""

import base64
import codecs
import json
import os
import random
import select
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import sse_testing
from sse_testing import Raw, check, dechunk, skipped, summary, wait_until

try:
    import brotli  # not in Debian 12's python3 by default: the raw-socket br variant is skipped then
except ImportError:
    brotli = None

ARGS = None
HERE = os.path.dirname(os.path.abspath(__file__))
CLIENTS = os.path.join(HERE, "compression_clients.mjs")

PROMPT_EVENTS = 20  # published 20 ms apart, each once the one before was decoded
PROMPT_INTERVAL = 0.020
PROMPT_LIVENESS = 5.0  # an event not decoded by then was held back


def section(name):
    sse_testing.section(name, ARGS.threads)


def br_or(fallback):
    """The coding chosen where br would win: br when the build has it, else `fallback`."""
    return "br" if ARGS.br else fallback


# ----------------------------------------------------------------------------
# The server under test.


class Server(sse_testing.CheckedServer):
    """reference_server with --threads N, --compress unless told otherwise, and `args`."""

    def __init__(self, *args, compress=True):
        cmd = [ARGS.server, "--address", "127.0.0.1", "--port", "0", "--threads", str(ARGS.threads), *args]
        if compress:
            cmd.append("--compress")
        super().__init__(cmd)

    def sigterm(self):
        self.sigterm_at = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)

    def check_exit(self, what):
        """After sigterm(): checks the exit, status 0 within 3 s of the signal."""
        try:
            status = self.proc.wait(max(0.0, self.sigterm_at + 3 - time.monotonic()))
        except subprocess.TimeoutExpired:
            status = None
        elapsed = time.monotonic() - self.sigterm_at
        check(status == 0, f"{what}: the server exits with status 0 on SIGTERM ({status} after {elapsed:.2f} s)")
        if status is None:
            self.proc.kill()
            self.proc.wait(5)

    def stop_checked(self, what):
        """SIGTERM now; checks the exit (status 0 within 3 s)."""
        self.sigterm()
        self.check_exit(what)


# ----------------------------------------------------------------------------
# Event streams: what the contract's routes send, and a reader of them.


def stream_bytes(count, size):
    """The exact body of /stream?count=COUNT&size=SIZE (reference-server.md)."""
    return "".join(f"id: {i}\ndata: {f'{i}:'.ljust(size, 'x')}\n\n" for i in range(1, count + 1)).encode()


class EventParser:
    """text/event-stream fed in pieces: `items` lists ("event", {"id", "event", "data"}) and ("comment", text) in
    order. The server ends lines with LF; an event's id is its own `id:` field (None without one)."""

    def __init__(self):
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._pending = ""
        self._block = {}
        self.items = []

    def feed(self, data):
        """Parses `data` (bytes); returns the items it completed."""
        *lines, self._pending = (self._pending + self._decoder.decode(data)).split("\n")
        new = []
        for line in lines:
            if line == "":
                if "data" in self._block:
                    new.append(("event", {"id": self._block.get("id"), "event": self._block.get("event", "message"),
                                          "data": "\n".join(self._block["data"])}))
                self._block = {}
            elif line.startswith(":"):
                new.append(("comment", line[1:]))
            else:
                name, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if name == "data":
                    self._block.setdefault("data", []).append(value)
                else:
                    self._block[name] = value
        self.items += new
        return new

    def events(self):
        return [i[1] for i in self.items if i[0] == "event"]

    def comments(self):
        return [i[1] for i in self.items if i[0] == "comment"]


def parse_events(data):
    p = EventParser()
    p.feed(data)
    return p


class Dechunker:
    """An HTTP/1.1 chunked body fed in pieces; feed() gives the payload bytes as soon as they arrive."""

    def __init__(self):
        self._buf = b""
        self._left = 0  # payload bytes of the current chunk still to come
        self._crlf = False  # the CRLF after a chunk's payload is due
        self.complete = False  # the last chunk came
        self.bad = None

    def feed(self, data):
        self._buf += data
        out = bytearray()
        while not self.complete and not self.bad:
            if self._left:
                take = self._buf[:self._left]
                out += take
                self._left -= len(take)
                self._buf = self._buf[len(take):]
                if self._left:
                    break
                self._crlf = True
            elif self._crlf:
                if len(self._buf) < 2:
                    break
                if self._buf[:2] != b"\r\n":
                    self.bad = f"no CRLF after a chunk: {self._buf[:10]!r}"
                    break
                self._buf = self._buf[2:]
                self._crlf = False
            else:
                end = self._buf.find(b"\r\n")
                if end < 0:
                    break
                try:
                    size = int(self._buf[:end].split(b";")[0], 16)
                except ValueError:
                    self.bad = f"bad chunk size line: {self._buf[:end][:20]!r}"
                    break
                self._buf = self._buf[end + 2:]
                if size == 0:
                    self.complete = True
                else:
                    self._left = size
        return bytes(out)


class Decoder:
    """The decoded payload of a response body in `coding` (identity, gzip; br with Python's brotli module),
    fed in pieces. For gzip, `finished` tells that the trailer came and zlib accepted its CRC-32 and length."""

    def __init__(self, coding):
        self.coding = coding
        self.error = None
        self.finished = False
        if coding == "gzip":
            self._z = zlib.decompressobj(wbits=31)
        elif coding == "br":
            if brotli is None:
                raise RuntimeError("no brotli module")
            self._br = brotli.Decompressor()

    def feed(self, data):
        if self.error or not data:
            return b""
        try:
            if self.coding == "gzip":
                out = self._z.decompress(data)
                if self._z.eof:
                    self.finished = True
                    if self._z.unused_data:
                        self.error = f"bytes after the gzip trailer: {self._z.unused_data[:20]!r}"
                return out
            if self.coding == "br":
                return self._br.process(data)
            return data
        except zlib.error as e:
            self.error = f"zlib: {e}"
        except Exception as e:  # brotli.error
            self.error = f"{self.coding}: {e}"
        return b""


def socket_reader(sock):
    """read(timeout): bytes, None when nothing came within the timeout, b"" at the end."""

    def read(timeout):
        ready, _, _ = select.select([sock], [], [], timeout)
        if not ready:
            return None
        try:
            return sock.recv(1 << 16)
        except (ConnectionResetError, socket.timeout):
            return b""

    return read


def pipe_reader(pipe):
    def read(timeout):
        ready, _, _ = select.select([pipe], [], [], timeout)
        return os.read(pipe.fileno(), 1 << 16) if ready else None

    return read


class TimedStream(threading.Thread):
    """Reads an event stream in a thread and stamps each event and comment with time.monotonic() once it is
    whole and parsed. `read` gives raw bytes (see socket_reader); `decode` turns them into event-stream bytes.
    `early` is what came with the response head."""

    def __init__(self, read, decode, early=b""):
        super().__init__(daemon=True)
        self.read = read
        self.decode = decode
        self.parser = EventParser()
        self.events = []  # (time, event)
        self.comments = []  # (time, text)
        self.decoded = bytearray()
        self.error = None
        self.ended = False
        self.lock = threading.Lock()
        self._halt = threading.Event()
        self._early = early

    def run(self):
        try:
            data = self._early
            while True:
                if data:
                    text = self.decode(data)
                    new = self.parser.feed(text)
                    now = time.monotonic()
                    with self.lock:
                        self.decoded += text
                        for kind, value in new:
                            (self.events if kind == "event" else self.comments).append((now, value))
                if self._halt.is_set():
                    return
                data = self.read(0.05)
                if data == b"":
                    self.ended = True
                    return
        except Exception as e:
            self.error = repr(e)

    def stop(self):
        self._halt.set()
        self.join(5)

    def count(self):
        with self.lock:
            return len(self.events), len(self.comments)


class Publisher:
    """POST /publish on one keep-alive HTTP/1.1 connection."""

    def __init__(self, port):
        self.raw = Raw(port, timeout=10)

    def publish(self, topic, body, event=None):
        """(status, answer text); the answer is read to its end."""
        target = "/publish?topic=" + urllib.parse.quote(topic)
        if event:
            target += "&event=" + urllib.parse.quote(event)
        data = body.encode()
        self.raw.send(f"POST {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                      f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
        status, fields = self.raw.read_head(10)
        n = int(fields.get("content-length", ["0"])[0])
        self.raw.read_until(lambda b: len(b) >= n, 10)
        answer, self.raw.buf = self.raw.buf[:n], self.raw.buf[n:]
        return status, answer.decode(errors="replace")

    def close(self):
        self.raw.close()


def get_request(target, accept_encoding=None, extra=""):
    """An HTTP/1.1 GET; `accept_encoding` None: no such header."""
    ae = "" if accept_encoding is None else f"Accept-Encoding: {accept_encoding}\r\n"
    return f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{ae}{extra}\r\n"


def coding_of(fields):
    """The Content-Encoding of a response head (Raw.read_head's fields), "identity" without one."""
    values = fields.get("content-encoding", [])
    return values[0] if len(values) == 1 else ("identity" if not values else ",".join(values))


# ----------------------------------------------------------------------------
# Clients: curl, and Node for the browser, eventsource and brotli decoding.


class CurlResult:
    def __init__(self, rc, status, version, headers, body, wire_bytes, stderr):
        self.rc, self.status, self.version, self.headers = rc, status, version, headers
        self.body, self.wire_bytes, self.stderr = body, wire_bytes, stderr

    def header(self, name):
        return ", ".join(self.headers.get(name, []))

    def coding(self):
        return self.header("content-encoding") or "identity"

    def varies_on_accept_encoding(self):
        return any(t.strip().lower() == "accept-encoding" for t in self.header("vary").split(","))

    def __repr__(self):
        return f"curl exit {self.rc}, {self.version} {self.status}, {self.stderr.strip()[:200]!r}"


def read_text(path):
    """A file's text as it is (CR LF kept), "" when it does not exist."""
    try:
        with open(path, newline="", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def head_complete(path):
    """Whether a curl -D file holds a whole response head."""
    return "\r\n\r\n" in read_text(path)


def parse_header_dump(text, with_version=False):
    """The last response head of a curl -D file: (status, {lowercase name: [values]}), and with_version, the
    status line's protocol (HTTP/1.0, HTTP/1.1, HTTP/2) first."""
    blocks = [b for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    lines = blocks[-1].split("\n") if blocks else [""]
    parts = lines[0].split()
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        fields.setdefault(name.strip().lower(), []).append(value.strip())
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    return (parts[0] if parts else "", status, fields) if with_version else (status, fields)


def curl(*args, timeout=30):
    """Runs curl to completion (-sS, at most 20 s)."""
    with tempfile.TemporaryDirectory() as tmp:
        body, head = os.path.join(tmp, "body"), os.path.join(tmp, "head")
        r = subprocess.run([ARGS.curl, "-sS", "--max-time", "20", "-o", body, "-D", head,
                            "-w", "%{size_download}", *args],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        dump = read_text(head)
        version, status, headers = parse_header_dump(dump, with_version=True)
        data = open(body, "rb").read() if os.path.exists(body) else b""
    size = r.stdout.decode().strip()
    return CurlResult(r.returncode, status, version, headers, data, int(size) if size.isdigit() else 0,
                      r.stderr.decode(errors="replace"))


# (name, curl's flags, the response's status line protocol)
PROTOCOLS = [("HTTP/1.1", ["--http1.1"], "HTTP/1.1"), ("h2c", ["--http2-prior-knowledge"], "HTTP/2"),
             ("HTTP/1.0", ["--http1.0"], "HTTP/1.0")]


def run_node(mode, *args, timeout=60):
    """Runs compression_clients.mjs in a mode that prints checks; relays its lines, returns its exit status."""
    try:
        r = subprocess.run([ARGS.node, CLIENTS, mode, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"        node {mode} did not end within {timeout} s", flush=True)
        return None
    for line in r.stdout.decode(errors="replace").splitlines():
        print("  node: " + line, flush=True)
    return r.returncode


def brotli_decode(bodies):
    """Decodes br bodies through Node's zlib: [(decoded bytes, complete, error)], or None without Node."""
    if not ARGS.node:
        return None
    r = subprocess.run([ARGS.node, CLIENTS, "brotli-decode"],
                       input=json.dumps([base64.b64encode(b).decode() for b in bodies]).encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("brotli-decode failed: " + r.stderr.decode(errors="replace"))
    return [(base64.b64decode(o["data"]), o["complete"], o["error"]) for o in json.loads(r.stdout)]


# ----------------------------------------------------------------------------
# 1. curl --compressed


def test_curl_stream():
    """curl --compressed decodes /stream and /messages byte-identical to the uncompressed response."""
    section("curl --compressed: /stream and /messages, gzip and br, HTTP/1.1, h2c, HTTP/1.0")
    count, size = 2000, 100
    target = f"/stream?count={count}&size={size}"
    want = stream_bytes(count, size)
    with Server() as server:
        for proto, flags, version in PROTOCOLS:
            plain = curl(*flags, server.url(target))
            check(plain.rc == 0 and plain.status == 200 and plain.version == version and plain.body == want,
                  f"{proto}: {target} uncompressed (no Accept-Encoding) is the contract's {len(want)} bytes "
                  f"({len(plain.body)} bytes, {plain})")
            check(plain.coding() == "identity", f"{proto}: and has no Content-Encoding ({plain.coding()})")
            messages = curl(*flags, server.url("/messages"))
            check(messages.rc == 0 and messages.body.endswith(b"id: 2\nevent: last\ndata: bye\n\n"),
                  f"{proto}: /messages uncompressed ({messages})")
            for asked in ("gzip", "br"):
                want_coding = asked if asked == "gzip" else br_or("identity")
                r = curl(*flags, "--compressed", "-H", f"Accept-Encoding: {asked}", server.url(target))
                what = f"{proto}, Accept-Encoding: {asked}"
                check(r.rc == 0 and r.status == 200 and r.version == version,
                      f"{what}: {target} answered 200 over {version} ({r})")
                check(r.body == want, f"{what}: decodes byte-identical to the uncompressed body "
                                      f"({len(r.body)} bytes, want {len(want)})")
                check(r.coding() == want_coding, f"{what}: Content-Encoding: {want_coding} ({r.coding()})")
                check(r.varies_on_accept_encoding(), f"{what}: Vary: Accept-Encoding ({r.header('vary')!r})")
                if want_coding != "identity":
                    check(r.wire_bytes < len(want) // 4,
                          f"{what}: the wire carried {r.wire_bytes} bytes for {len(want)} (less than a quarter)")
                m = curl(*flags, "--compressed", "-H", f"Accept-Encoding: {asked}", server.url("/messages"))
                check(m.rc == 0 and m.coding() == want_coding and m.body == messages.body,
                      f"{what}: /messages (a compressor per stream) decodes byte-identical, Content-Encoding: "
                      f"{want_coding} ({m.coding()}, {len(m.body)} bytes, {m})")


def test_curl_subscribe():
    """curl --compressed on /subscribe: what gzip and br curls decode is what uncompressed ones read."""
    section("curl --compressed: /subscribe with 200 publications, gzip (shared blocks) and br, HTTP/1.1 and h2c")
    topic = "curl-subscribe"
    published = publications(200, seed=1)
    with Server() as server, tempfile.TemporaryDirectory() as tmp:
        listeners = []
        for proto, flags, version in PROTOCOLS[:2]:
            for asked in (None, "gzip", "br"):
                name = f"{proto}, " + (f"Accept-Encoding: {asked}" if asked else "uncompressed")
                body, head = os.path.join(tmp, f"{len(listeners)}.body"), os.path.join(tmp, f"{len(listeners)}.head")
                cmd = [ARGS.curl, "-sS", "-N", "--max-time", "30", "-o", body, "-D", head, *flags]
                if asked:
                    cmd += ["--compressed", "-H", f"Accept-Encoding: {asked}"]
                cmd.append(server.url("/subscribe?topic=" + topic))
                proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                listeners.append({"name": name, "asked": asked, "proc": proc, "body": body, "head": head})

        ok = wait_until(lambda: all(head_complete(listener["head"]) for listener in listeners), 10)
        check(ok, f"{len(listeners)} curls subscribed: their response heads came")
        publisher = Publisher(server.port)
        answers = [publisher.publish(topic, body, event) for body, event in published]
        publisher.close()
        check(answers == [(202, str(i)) for i in range(1, len(published) + 1)],
              f"{len(published)} publications answered 202 with ids 1 to {len(published)}")
        last = b"id: %d\n" % len(published)

        def body_of(listener):
            try:
                return open(listener["body"], "rb").read()
            except OSError:
                return b""

        wait_until(lambda: all(last in body_of(listener) for listener in listeners), 10)
        # SIGTERM: every stream ends cleanly, the coding with it (gzip's trailer, br's last block), and curl,
        # which checks the end of what it decodes, exits 0.
        server.stop_checked("with the curls listening")
        rcs = []
        for listener in listeners:
            try:
                rcs.append(listener["proc"].wait(10))
            except subprocess.TimeoutExpired:
                listener["proc"].kill()
                rcs.append(listener["proc"].wait(5))
        want_events = [{"id": str(i), "event": event or "message", "data": body}
                       for i, (body, event) in enumerate(published, start=1)]
        reference = {}
        for listener, rc in zip(listeners, rcs):
            status, headers = parse_header_dump(read_text(listener["head"]))
            body = body_of(listener)
            proto = listener["name"].split(",")[0]
            want_coding = {None: "identity", "gzip": "gzip", "br": br_or("identity")}[listener["asked"]]
            got_coding = ", ".join(headers.get("content-encoding", [])) or "identity"
            name = listener["name"]
            check(status == 200 and got_coding == want_coding,
                  f"{name}: 200 with Content-Encoding: {want_coding} ({status}, {got_coding})")
            if listener["asked"]:
                vary = ", ".join(headers.get("vary", []))
                check("accept-encoding" in vary.lower(), f"{name}: Vary: Accept-Encoding ({vary!r})")
            err = listener["proc"].stderr.read().decode(errors="replace").strip()
            check(rc == 0, f"{name}: curl saw the stream end cleanly and decoded all of it (exit {rc} {err!r})")
            events = parse_events(body).events()
            check(events == want_events, f"{name}: the {len(published)} events, ids, names and data exact "
                                         f"({len(events)} events)")
            if listener["asked"] is None:
                reference[proto] = body
            else:
                check(body == reference.get(proto),
                      f"{name}: decodes byte-identical to the uncompressed subscriber's {len(reference.get(proto, b''))} "
                      f"bytes ({len(body)})")


# ----------------------------------------------------------------------------
# 2. Not compressed


def test_identity():
    """No Accept-Encoding, an empty one, identity only: not compressed, no Content-Encoding."""
    section("identity: no Accept-Encoding, an empty one, identity")
    target = "/stream?count=50&size=30"
    want = stream_bytes(50, 30)
    with Server() as server:
        for proto, flags, _ in PROTOCOLS[:2]:
            cases = [("no Accept-Encoding", []), ("Accept-Encoding: identity", ["-H", "Accept-Encoding: identity"]),
                     ("an empty Accept-Encoding", ["-H", "Accept-Encoding;"])]
            for what, extra in cases:
                r = curl(*flags, *extra, server.url(target))  # no --compressed: what curl writes is what came
                check(r.rc == 0 and r.status == 200 and r.coding() == "identity" and r.body == want,
                      f"{proto}, {what}: not compressed, no Content-Encoding ({r.coding()}, {len(r.body)} bytes, {r})")
        # On a raw socket, no header at all: nothing curl could add.
        raw = Raw(server.port, get_request(target, extra="Connection: close\r\n"))
        status, fields = raw.read_head(5)
        raw.read_to_eof(10)
        payload, complete, _ = dechunk(raw.buf)
        raw.close()
        check(status == 200 and "content-encoding" not in fields and complete and payload == want,
              f"raw HTTP/1.1 without Accept-Encoding: the plain body ({status}, {fields.get('content-encoding')})")


def test_without_flag():
    """A server started without --compress never compresses."""
    section("a server without --compress")
    target = "/stream?count=50&size=30"
    want = stream_bytes(50, 30)
    with Server(compress=False) as server:
        for proto, flags, _ in PROTOCOLS[:2]:
            for asked in ("gzip", "br", "gzip, deflate, br", "*"):
                r = curl(*flags, "--compressed", "-H", f"Accept-Encoding: {asked}", server.url(target))
                check(r.rc == 0 and r.status == 200 and r.coding() == "identity" and r.body == want
                      and r.wire_bytes == len(want),
                      f"{proto}, Accept-Encoding: {asked}: not compressed ({r.coding()}, {r.wire_bytes} bytes on the "
                      f"wire, {r})")
            r = curl(*flags, "--compressed", server.url("/messages"))
            check(r.rc == 0 and r.coding() == "identity" and r.body.startswith(b": hello\n"),
                  f"{proto}: /messages with curl's own Accept-Encoding: not compressed ({r.coding()}, {r})")
        # A subscription (the broadcaster's shared-block path when compressed), on a raw socket.
        sub = Raw(server.port, get_request("/subscribe?topic=plain", "gzip, br"))
        status, fields = sub.read_head(5)
        publisher = Publisher(server.port)
        publisher.publish("plain", "hello")
        publisher.close()
        sub.read_until(lambda b: b"\n\n" in dechunk(b)[0], 5)
        payload = dechunk(sub.buf)[0]
        sub.close()
        check(status == 200 and "content-encoding" not in fields and payload == b"id: 1\ndata: hello\n\n",
              f"/subscribe with Accept-Encoding: gzip, br: not compressed ({fields.get('content-encoding')}, "
              f"{payload!r})")


# ----------------------------------------------------------------------------
# 3. Promptness


def subscribe_raw(port, topic, accept_encoding):
    """A raw HTTP/1.1 subscriber: (Raw, status, fields) once its head came."""
    raw = Raw(port, get_request("/subscribe?topic=" + urllib.parse.quote(topic), accept_encoding), timeout=10)
    status, fields = raw.read_head(5)
    return raw, status, fields


def timed_subscriber(raw, coding):
    """A TimedStream reading a chunked, `coding`-encoded subscription off raw."""
    dechunker, decoder = Dechunker(), Decoder(coding)
    stream = TimedStream(socket_reader(raw.sock), lambda data: decoder.feed(dechunker.feed(data)), early=raw.buf)
    stream.dechunker, stream.decoder = dechunker, decoder
    raw.buf = b""
    stream.start()
    return stream


def publish_timed(port, topic, stream, what):
    """Publishes PROMPT_EVENTS events PROMPT_INTERVAL apart, each only once `stream` has decoded the one before.
    A compressor that holds an event back until more data comes never lets the next one be published: the
    wait ends after PROMPT_LIVENESS and the check fails. How long each event took, from its POST's completion
    (the 202 read) to being decoded whole, is printed: a figure, not a bound (the machine is shared)."""
    publisher = Publisher(port)
    done = []
    bodies = []
    held = None
    start = time.monotonic()
    for i in range(PROMPT_EVENTS):
        if i and not wait_until(lambda: stream.count()[0] >= i, PROMPT_LIVENESS):
            held = i
            break
        wait = start + i * PROMPT_INTERVAL - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        body = json.dumps({"seq": i + 1, "kind": "tick", "symbol": "SSE", "price": 100 + i / 4, "note": "x" * (7 * i)})
        status, answer = publisher.publish(topic, body)
        done.append(time.monotonic())
        bodies.append((status, answer, body))
    publisher.close()
    wait_until(lambda: stream.count()[0] >= len(bodies), PROMPT_LIVENESS)
    stream.stop()
    check(held is None,
          f"{what}: each event decoded whole before the next was published (none held back"
          f"{'' if held is None else f'; event {held} not decoded within {PROMPT_LIVENESS:.0f} s'})")
    check(len(bodies) == PROMPT_EVENTS and all(s == 202 and a == str(i) for i, (s, a, _) in enumerate(bodies, start=1)),
          f"{what}: {PROMPT_EVENTS} publications answered 202 with ids 1 to {PROMPT_EVENTS}")
    with stream.lock:
        got = list(stream.events)
    check([e for _, e in got] == [{"id": str(i), "event": "message", "data": b} for i, (_, _, b) in enumerate(bodies, 1)],
          f"{what}: the {len(bodies)} events decoded, ids and data exact ({len(got)} events, "
          f"error {stream.error or getattr(stream, 'decoder', None) and stream.decoder.error})")
    delays = []
    for (t_done, (_, _, body)) in zip(done, bodies):
        t = next((t for t, e in got if e["data"] == body), None)
        delays.append(float("inf") if t is None else t - t_done)
    print(f"        {what}: publish to decoded, ms: {' '.join(f'{d * 1000:.1f}' for d in delays)}", flush=True)


def test_prompt_gzip():
    """A gzip-only raw subscriber decodes every event before the next is published."""
    section("promptness: gzip, raw socket, zlib fed as bytes arrive")
    with Server() as server:
        raw, status, fields = subscribe_raw(server.port, "prompt-gzip", "gzip")
        check(status == 200 and coding_of(fields) == "gzip" and fields.get("transfer-encoding") == ["chunked"],
              f"Accept-Encoding: gzip: 200, chunked, Content-Encoding: gzip ({status}, {coding_of(fields)})")
        stream = timed_subscriber(raw, "gzip")
        publish_timed(server.port, "prompt-gzip", stream, "gzip")
        raw.close()


def test_prompt_br():
    """The same with br: on a raw socket when Python has brotli; through curl's br decoder in any case."""
    section("promptness: br")
    if not ARGS.br:
        skipped.append("br promptness (the server was built without libbrotli)")
        return
    with Server() as server:
        if brotli is None:
            skipped.append("br promptness on a raw socket (no Python brotli module; Chromium and curl cover br)")
            print("        skipped: Python has no brotli module (python3 -c 'import brotli')", flush=True)
        else:
            raw, status, fields = subscribe_raw(server.port, "prompt-br", "br")
            check(status == 200 and coding_of(fields) == "br",
                  f"raw, Accept-Encoding: br: 200 with Content-Encoding: br ({status}, {coding_of(fields)})")
            stream = timed_subscriber(raw, "br")
            publish_timed(server.port, "prompt-br", stream, "br on a raw socket")
            raw.close()

        # curl decodes br as it arrives and writes it at once (-N): timed on its stdout.
        with tempfile.TemporaryDirectory() as tmp:
            head = os.path.join(tmp, "head")
            proc = subprocess.Popen([ARGS.curl, "-sS", "-N", "--max-time", "20", "--compressed", "-H",
                                     "Accept-Encoding: br", "-D", head, server.url("/subscribe?topic=prompt-curl")],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            try:
                came = wait_until(lambda: head_complete(head), 10)
                status, headers = parse_header_dump(read_text(head)) if came else (0, {})
                check(status == 200 and headers.get("content-encoding") == ["br"],
                      f"curl, Accept-Encoding: br: 200 with Content-Encoding: br ({status}, "
                      f"{headers.get('content-encoding')})")
                stream = TimedStream(pipe_reader(proc.stdout), lambda data: data)
                stream.start()
                publish_timed(server.port, "prompt-curl", stream, "br through curl")
            finally:
                proc.kill()
                proc.wait(5)
                proc.stdout.close()


def test_heartbeats():
    """Idle compressed streams send keep-alive comments that decode at once."""
    section("heartbeats on compressed streams (--keepalive-ms 200)")
    with Server("--keepalive-ms", "200") as server:
        # gzip on a subscription: the shared-block encoder sends heartbeats as stored blocks.
        raw, status, fields = subscribe_raw(server.port, "heartbeat", "gzip")
        check(status == 200 and coding_of(fields) == "gzip",
              f"/subscribe, Accept-Encoding: gzip: Content-Encoding: gzip ({coding_of(fields)})")
        opened = time.monotonic()
        stream = timed_subscriber(raw, "gzip")
        wait_until(lambda: stream.count()[1] >= 1, 3)
        with stream.lock:
            first = stream.comments[0][0] - opened if stream.comments else None
        check(first is not None and first <= 1.0,
              f"/subscribe gzip: a `:` comment decodes within 1 s of an idle start "
              f"({'none' if first is None else f'{first * 1000:.0f} ms'})")
        # Events between heartbeats (a shared block after a stored one, and the reverse) decode whole.
        publisher = Publisher(server.port)
        bodies = []
        for i in range(3):
            n = stream.count()[1]
            wait_until(lambda: stream.count()[1] > n, 2)  # one more heartbeat first
            body = json.dumps({"seq": i + 1, "between": "heartbeats", "pad": "y" * 50})
            publisher.publish("heartbeat", body)
            bodies.append(body)
        publisher.close()
        wait_until(lambda: stream.count()[0] >= 3, 3)
        n = stream.count()[1]
        wait_until(lambda: stream.count()[1] > n, 2)
        with stream.lock:
            events = [e["data"] for _, e in stream.events]
            kinds = [k for k, _ in stream.parser.items]
        check(events == bodies, f"/subscribe gzip: 3 events published between heartbeats decode whole ({len(events)})")
        check(kinds.count("comment") >= 5 and kinds[-1] == "comment",
              f"/subscribe gzip: heartbeats came before, between and after them ({kinds})")

        # gzip on /idle: a compressor of its own.
        idle_raw = Raw(server.port, get_request("/idle", "gzip"))
        status, fields = idle_raw.read_head(5)
        opened = time.monotonic()
        idle = timed_subscriber(idle_raw, "gzip")
        wait_until(lambda: idle.count()[1] >= 2, 3)
        with idle.lock:
            times = [t - opened for t, _ in idle.comments]
        check(status == 200 and coding_of(fields) == "gzip" and len(times) >= 2 and times[0] <= 1.0,
              f"/idle gzip: `:` comments decode, the first within 1 s ({coding_of(fields)}, "
              f"{' '.join(f'{t * 1000:.0f}' for t in times)} ms)")

        # br on /idle, through curl.
        if ARGS.br:
            proc = subprocess.Popen([ARGS.curl, "-sS", "-N", "--max-time", "10", "--compressed", "-H",
                                     "Accept-Encoding: br", server.url("/idle")],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            opened = time.monotonic()
            curl_stream = TimedStream(pipe_reader(proc.stdout), lambda data: data)
            curl_stream.start()
            wait_until(lambda: curl_stream.count()[1] >= 2, 3)
            curl_stream.stop()
            proc.kill()
            proc.wait(5)
            proc.stdout.close()
            with curl_stream.lock:
                times = [t - opened for t, _ in curl_stream.comments]
            check(len(times) >= 2 and times[0] <= 1.0,
                  f"/idle br through curl: `:` comments decode, the first within 1 s "
                  f"({' '.join(f'{t * 1000:.0f}' for t in times)} ms)")
        else:
            skipped.append("br heartbeats (no br in this build)")

        # SIGTERM ends the streams cleanly: the gzip coding ends too, with a trailer zlib accepts.
        server.stop_checked("with compressed streams open")
        for what, s in (("/subscribe gzip", stream), ("/idle gzip", idle)):
            s.join(5)
            check(s.ended and s.dechunker.complete and s.decoder.finished and not s.decoder.error and not s.error,
                  f"{what}: the clean end closes the chunked body and the gzip stream (trailer: CRC-32 and length "
                  f"checked) (chunked end {s.dechunker.complete}, gzip end {s.decoder.finished}, "
                  f"{s.decoder.error or s.error})")
        raw.close()
        idle_raw.close()


# ----------------------------------------------------------------------------
# 4, 5. Node: Chromium and eventsource


def test_browser():
    """Headless Chromium's EventSource gets br, every event before the next is published."""
    section("headless Chromium's EventSource")
    if not (ARGS.node and ARGS.chromium and ARGS.playwright_prefix):
        skipped.append("the browser (needs --node, --chromium and --playwright-prefix)")
        return
    with Server() as server:
        rc = run_node("browser", ARGS.chromium, ARGS.playwright_prefix, server.base, br_or("gzip"))
        check(rc == 0, f"Chromium: every check of compression_clients.mjs browser passed (exit {rc})")


def test_eventsource():
    """Node's eventsource package reads /stream?count=100 exact, compressed."""
    section("Node's eventsource package")
    if not (ARGS.node and ARGS.eventsource_prefix):
        skipped.append("eventsource (needs --node and --eventsource-prefix)")
        return
    with Server() as server:
        # fetch's own Accept-Encoding (Node 20: gzip and deflate over http; later ones add br), then gzip only,
        # then br only (no Content-Encoding from a build without br).
        rc = run_node("eventsource", ARGS.eventsource_prefix, server.base, "gzip|br" if ARGS.br else "gzip",
                      br_or("none"))
        check(rc == 0, f"eventsource: every check of compression_clients.mjs eventsource passed (exit {rc})")


# ----------------------------------------------------------------------------
# 6. The broadcaster's shared compression, many subscribers


def publications(n, seed):
    """n (body, event name or None) of JSON-like text with repeated keys: some multi-line, some tiny, one over
    the shared encoder's 8 KiB dictionary limit and one of 100 KiB."""
    rnd = random.Random(seed)
    symbols = ["ACME", "INIT", "GLOBEX", "UMBRELLA", "HOOLI", "STARK"]
    out = []
    for i in range(1, n + 1):
        record = {"type": "quote", "seq": i, "symbol": rnd.choice(symbols), "bid": round(rnd.uniform(10, 500), 2),
                  "ask": round(rnd.uniform(10, 500), 2), "venue": rnd.choice(["XNAS", "XNYS", "BATS"]),
                  "flags": {"halted": rnd.random() < 0.1, "auction": False}, "note": "ünïcødé ✓" if i % 7 == 0 else ""}
        body = json.dumps(record)
        if i % 25 == 0:
            body = json.dumps(record, indent=1)  # multi-line data
        elif i % 31 == 0:
            body = "x"  # too small to compress: stored
        elif i == 77:
            body = json.dumps([record] * 60)  # over 8 KiB: no dictionary for the next one
        elif i == 133:
            body = json.dumps([dict(record, seq=k) for k in range(800)])  # about 100 KiB
        out.append((body, "trade" if i % 10 == 0 else None))
    return out


class FanoutSubscriber:
    def __init__(self, port, topic, coding, group, last_event_id=None):
        self.coding, self.group = coding, group
        extra = f"Last-Event-ID: {last_event_id}\r\n" if last_event_id is not None else ""
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(get_request("/subscribe?topic=" + topic, None if coding == "identity" else coding,
                                      extra).encode())
        self.sock.setblocking(False)
        self.raw = bytearray()
        self.head = None  # (status, fields) once it came
        self.response_coding = None  # its Content-Encoding
        self.dechunker = Dechunker()
        self.decoder = None  # as it arrives, but br: decoded at the end, by Node
        self.decoded = bytearray()
        self.br_complete, self.br_error = False, "not decoded"
        self.wire = bytearray()  # the encoded payload
        self.eof = False

    def on_readable(self):
        try:
            data = self.sock.recv(1 << 16)
        except (BlockingIOError, InterruptedError):
            return
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
            return
        if self.head is None:
            self.raw += data
            if b"\r\n\r\n" not in self.raw:
                return
            head, _, data = bytes(self.raw).partition(b"\r\n\r\n")
            lines = head.decode(errors="replace").split("\r\n")
            fields = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                fields.setdefault(name.strip().lower(), []).append(value.strip())
            parts = lines[0].split()
            self.head = (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0, fields)
            self.response_coding = coding_of(fields)
            if self.response_coding != "br":
                self.decoder = Decoder(self.response_coding)
        payload = self.dechunker.feed(data)
        self.wire += payload
        if self.decoder:
            self.decoded += self.decoder.feed(payload)


def test_fanout():
    """200 subscribers, gzip from shared blocks, br and none, joining at four points: every decoded stream is
    exactly what an uncompressed subscriber that joined at the same point got."""
    section("the broadcaster's shared compression: 200 subscribers, 200 publications")
    topic = "fanout"
    published = publications(200, seed=6)
    # (join after this many publications, Last-Event-ID or None, gzip, br, none)
    groups = [(0, None, 40, 10, 15), (50, None, 30, 10, 15), (120, None, 20, 10, 15), (150, "100", 10, 10, 15)]
    # --keepalive-ms 0: no heartbeat, so subscribers of one group receive the very same bytes.
    with Server("--keepalive-ms", "0") as server:
        sel = selectors.DefaultSelector()
        subs = []
        publisher = Publisher(server.port)
        answers = []

        def pump(timeout):
            for key, _ in sel.select(timeout):
                s = key.data
                s.on_readable()
                if s.eof:
                    sel.unregister(s.sock)

        def pump_until(predicate, seconds):
            deadline = time.monotonic() + seconds
            while not predicate() and time.monotonic() < deadline:
                pump(min(0.05, max(0.0, deadline - time.monotonic())))
            return predicate()

        start = time.monotonic()
        for gi, (after, last_id, n_gzip, n_br, n_none) in enumerate(groups):
            while len(answers) < after:
                body, event = published[len(answers)]
                answers.append(publisher.publish(topic, body, event))
                pump(0)
            joined = []
            codings = ["gzip"] * n_gzip + ["br"] * n_br + ["identity"] * n_none
            random.Random(gi).shuffle(codings)
            for coding in codings:
                s = FanoutSubscriber(server.port, topic, coding, gi, last_id)
                sel.register(s.sock, selectors.EVENT_READ, s)
                joined.append(s)
            subs += joined
            ok = pump_until(lambda: all(s.head or s.eof for s in joined), 15)
            check(ok and all(s.head and s.head[0] == 200 for s in joined),
                  f"group {gi}: {len(joined)} subscribers after {after} publications"
                  + (f" with Last-Event-ID: {last_id}" if last_id else "") + ": 200, live")
        while len(answers) < len(published):
            body, event = published[len(answers)]
            answers.append(publisher.publish(topic, body, event))
            pump(0)
        publisher.close()
        print(f"        {len(subs)} subscribers, {len(published)} publications in "
              f"{time.monotonic() - start:.1f} s", flush=True)
        check(answers == [(202, str(i)) for i in range(1, len(published) + 1)],
              f"{len(published)} publications answered 202 with ids 1 to {len(published)}")

        last = f"id: {len(published)}\n".encode()
        pump_until(lambda: all(last in s.decoded for s in subs if s.decoder), 20)
        pump(0.3)  # the br streams carry the same writes; a little time for theirs
        # SIGTERM: every stream ends cleanly, its coding finished. Read on while the server ends them.
        server.sigterm()
        pump_until(lambda: all(s.eof for s in subs), 10)
        server.check_exit("with 200 subscribers")
        for s in subs:
            s.sock.close()
        sel.close()

        br_subs = [s for s in subs if s.response_coding == "br"]
        br_decoded = bool(br_subs) and brotli_decode([bytes(s.wire) for s in br_subs])
        if br_decoded is None:
            skipped.append("decoding the br subscribers (no Node)")
        elif br_decoded:
            for s, (data, complete, error) in zip(br_subs, br_decoded):
                s.decoded, s.br_complete, s.br_error = bytearray(data), complete, error

        for gi, (after, last_id, *_) in enumerate(groups):
            first = int(last_id) + 1 if last_id else after + 1
            want = [{"id": str(i), "event": event or "message", "data": body}
                    for i, (body, event) in enumerate(published, start=1) if i >= first]
            members = [s for s in subs if s.group == gi]
            reference = next((bytes(s.decoded) for s in members if s.coding == "identity"), b"")
            what = f"group {gi} (from event {first})"
            check(parse_events(reference).events() == want,
                  f"{what}: an uncompressed subscriber got events {first} to {len(published)}, exact")
            for coding in ("identity", "gzip", "br"):
                of = [s for s in members if s.coding == coding]
                want_coding = coding if coding != "br" else br_or("identity")
                check(all(s.response_coding == want_coding for s in of),
                      f"{what}, {len(of)} Accept-Encoding {coding}: Content-Encoding: {want_coding} "
                      f"({sorted(set(str(s.response_coding) for s in of))})")
                if want_coding == "br" and br_decoded is None:
                    continue  # not decoded (no Node)
                wrong = [s for s in of if parse_events(bytes(s.decoded)).events() != want]
                check(not wrong, f"{what}, {len(of)} Accept-Encoding {coding}: the same events, parsed "
                                 f"({len(wrong)} differ)")
                differ = [s for s in of if bytes(s.decoded) != reference]
                check(not differ, f"{what}, {len(of)} Accept-Encoding {coding}: byte-identical to the uncompressed "
                                  f"subscriber's {len(reference)} bytes ({len(differ)} differ)")
                ended = [s for s in of if s.dechunker.complete and not s.dechunker.bad]
                if want_coding == "gzip":
                    ended = [s for s in ended if s.decoder.finished and not s.decoder.error]
                    errors = sorted(set(str(s.decoder.error) for s in of if s.decoder.error))
                    check(len(ended) == len(of), f"{what}, {len(of)} gzip: the chunked body and the gzip stream end, "
                                                 f"trailer accepted by zlib ({len(ended)}; {errors})")
                    gzip_os = sorted(set(s.wire[9] for s in of if len(s.wire) > 9))
                    print(f"        (gzip header OS byte {gzip_os}: 255 is the shared-block encoder's)", flush=True)
                elif want_coding == "br":
                    ended = [s for s in ended if s.br_complete]
                    check(len(ended) == len(of), f"{what}, {len(of)} br: the chunked body and the brotli stream end "
                                                 f"({len(ended)}; {sorted(set(str(s.br_error) for s in of))})")
                else:
                    check(len(ended) == len(of), f"{what}, {len(of)} identity: the chunked body ends ({len(ended)})")


# ----------------------------------------------------------------------------
# 7. Bad Accept-Encoding headers


def bad_accept_encoding_cases():
    """(label, Accept-Encoding value, coding with br, coding without br)."""
    unknown = ""
    i = 0
    while len(unknown) < 8192:
        unknown += f"x-unknown-{i};q=0.{i % 10}, "
        i += 1
    return [
        ("garbage", "@@@;;;,,", "identity", "identity"),
        ("8 KiB of unknown codings between br;q=0.4 and gzip;q=0.5", "br;q=0.4, " + unknown + "gzip;q=0.5",
         "gzip", "gzip"),
        ("an 8 KiB token, then br", "a" * 8192 + ", br", "br", "identity"),
        ("q above 1", "gzip;q=2", "identity", "identity"),
        ("a negative q", "br;q=-1", "identity", "identity"),
        ("q with 4 decimals", "gzip;q=0.0001", "identity", "identity"),
        ("q not a number", "gzip;q=abc", "identity", "identity"),
        ("q=0", "gzip;q=0", "identity", "identity"),
        ("*;q=0", "*;q=0", "identity", "identity"),
        ("identity;q=0 alone", "identity;q=0", "identity", "identity"),
        ("br refused, gzip half", "br;q=0, gzip;q=0.5", "gzip", "gzip"),
        ("uppercase", "GZIP", "gzip", "gzip"),
        ("x-gzip", "x-gzip", "gzip", "gzip"),
        ("uppercase BR and GZIP", "GZIP, BR", "br", "gzip"),
        ("a tie: br wins", "gzip, br", "br", "gzip"),
        ("a better q for gzip", "gzip;q=1.0, br;q=0.9", "gzip", "gzip"),
        ("q of 1.001", "br;q=1.001", "identity", "identity"),
        ("the smallest q", "gzip;q=0.001", "gzip", "gzip"),
        ("*", "*", "br", "gzip"),
        ("*, but not br", "*, br;q=0", "gzip", "gzip"),
        ("* at half, gzip refused", "*;q=0.5, gzip;q=0", "br", "identity"),
        ("identity preferred", "gzip;q=0.5, identity", "identity", "identity"),
        ("a coding ties identity", "br;q=0.5, gzip;q=0.5, identity;q=0.5", "br", "gzip"),
        ("identity refused, gzip", "identity;q=0, gzip", "gzip", "gzip"),
        ("whitespace and Q", "gzip ;\tQ = 0.5 , br ; q=0.4", "gzip", "gzip"),
        ("a parameter without a value", "gzip;level, br;q=0.1", "br", "identity"),
        ("a second, bad q", "gzip;q=0.5;q=abc, br;q=0.2", "br", "identity"),
        ("an unknown parameter", "gzip;level=9", "gzip", "gzip"),
        ("empty elements", ", , ,gzip,,", "gzip", "gzip"),
        ("unknown codings only", "deflate, compress, zstd", "identity", "identity"),
        ("listed twice, the better one", "gzip;q=0, gzip;q=0.7, br;q=0.6", "gzip", "gzip"),
        ("obs-text", "gzip\xff, br\xe9", "identity", "identity"),
    ]


def test_bad_accept_encoding():
    """Each odd Accept-Encoding gets a 200 stream whose events decode, in exactly the coding the rules give."""
    section("bad Accept-Encoding headers")
    count, size = 5, 20
    target = f"/stream?count={count}&size={size}"
    want = stream_bytes(count, size)
    cases = bad_accept_encoding_cases()
    with Server() as server:
        results = []
        for label, value, with_br, without_br in cases:
            raw = Raw(server.port, (get_request(target, value, "Connection: close\r\n")).encode("latin-1"))
            status, fields = raw.read_head(5)
            raw.read_to_eof(10)
            payload, complete, well_formed = dechunk(raw.buf)
            raw.close()
            results.append((label, value, with_br if ARGS.br else without_br, status, fields, payload,
                            complete and well_formed))
        br_bodies = [r[5] for r in results if coding_of(r[4]) == "br"]
        br_decoded = iter(brotli_decode(br_bodies) or []) if br_bodies else iter([])
        for label, value, want_coding, status, fields, payload, complete in results:
            got = coding_of(fields)
            shown = value if len(value) < 60 else f"{value[:30]}...{value[-20:]} ({len(value)} bytes)"
            what = f"{label} ({shown!r})"
            check(got == want_coding, f"{what}: Content-Encoding: {want_coding} ({got})")
            if got == "gzip":
                d = Decoder("gzip")
                body = d.feed(payload)
                ok = d.finished and not d.error
            elif got == "br":
                body, ok, _ = next(br_decoded, (b"", False, "not decoded (no Node)"))
                if not ARGS.node:
                    skipped.append(f"decoding br for {label} (no Node)")
                    ok, body = True, want
            else:
                body, ok = payload, got == "identity"
            check(status == 200 and complete and ok and body == want and len(parse_events(body).events()) == count,
                  f"{what}: 200, a whole stream, {count} events after decoding ({status}, {len(body)} bytes)")
        # The same rules over HTTP/2 (curl, h2c).
        for value, with_br, without_br in (("GZIP", "gzip", "gzip"), ("br;q=0, gzip;q=0.5", "gzip", "gzip"),
                                           ("*;q=0", "identity", "identity"), ("gzip;q=abc, br", "br", "identity")):
            r = curl("--http2-prior-knowledge", "--compressed", "-H", f"Accept-Encoding: {value}", server.url(target))
            want_coding = with_br if ARGS.br else without_br
            check(r.rc == 0 and r.status == 200 and r.version == "HTTP/2" and r.coding() == want_coding and r.body == want,
                  f"h2c, {value!r}: Content-Encoding: {want_coding}, the whole stream ({r.coding()}, {r})")


# ----------------------------------------------------------------------------

TESTS = {
    "curl_stream": test_curl_stream,
    "curl_subscribe": test_curl_subscribe,
    "identity": test_identity,
    "without_flag": test_without_flag,
    "prompt_gzip": test_prompt_gzip,
    "prompt_br": test_prompt_br,
    "heartbeats": test_heartbeats,
    "browser": test_browser,
    "eventsource": test_eventsource,
    "fanout": test_fanout,
    "bad_accept_encoding": test_bad_accept_encoding,
}


def main():
    global ARGS
    ap = sse_testing.argument_parser(__doc__, ["curl", "node"])
    ap.add_argument("--br", action="store_true", help="the server was built with libbrotli: br is offered")
    ap.add_argument("--chromium", help="Chromium, for the browser test")
    ap.add_argument("--playwright-prefix", help="where playwright-core is installed (npm --prefix)")
    ap.add_argument("--eventsource-prefix", help="where eventsource@4.1.1 is installed (npm --prefix)")
    ap.add_argument("--only", help="comma-separated tests: " + ", ".join(TESTS))
    ARGS = ap.parse_args()
    if not ARGS.curl:
        raise SystemExit("curl is needed")
    only = ARGS.only.split(",") if ARGS.only else list(TESTS)
    for name in only:
        if name not in TESTS:
            raise SystemExit(f"unknown test {name}")
    start = time.monotonic()
    for name in only:
        t = time.monotonic()
        TESTS[name]()
        print(f"        ({name}: {time.monotonic() - t:.1f} s)", flush=True)
    return summary(start)


if __name__ == "__main__":
    sys.exit(main())
