#!/usr/bin/env python3
#
# Copyright (c) 2026 The sse authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#

"""Writes the hand-written seeds of the session fuzzers.

    tests/fuzz/make_session_seeds.py [tests/fuzz/corpus]

Each seed is the 3-byte header of session_harness.hpp, then what the peer
sends: HTTP/1.1 text for corpus/http1_session, HTTP/2 frames (after the
preface and SETTINGS the harness sends itself) for corpus/http2_session.
HPACK blocks use literals without Huffman coding, so that a mutation of a
target or a field stays readable to the decoder.
"""

import os
import struct
import sys


def header(cut=0, handler=0, prefill=False, end=0, seed=0, small_buffer=False, read_cap=0, write_cap=0,
           hold=False, timeouts_off=False, gate=0):
    """The harness header; see session_harness.hpp for the meaning of each field.

    gate: 1 leaves waiting gated sources (HTTP/2: and awaitable handlers)
    waiting when the peer leaves, 2 gives them random choices, 3 both.
    """
    b0 = cut | handler << 3 | (0x20 if prefill else 0) | end << 6
    b1 = seed | (0x80 if small_buffer else 0)
    b2 = read_cap | write_cap << 2 | (0x10 if hold else 0) | (0x20 if timeouts_off else 0) | gate << 6
    return bytes([b0, b1, b2])


# ----------------------------------------------------------------- HTTP/1.1

def get(target, version="1.1", extra=""):
    return f"GET {target} HTTP/{version}\r\nHost: a\r\n{extra}\r\n".encode()


def http1_seeds():
    big_field = "X-Big: " + "b" * 1100 + "\r\n"
    return {
        "get-events": header() + get("/events"),
        "get-events-retry-split": header(cut=1) + get("/events?r5x"),
        "get-coro": header(cut=3, seed=7) + get("/coro?4"),
        "get-bytes": header() + get("/bytes?2n"),
        "get-gate": header(cut=2, seed=3) + get("/gate"),
        "get-gate-random": header(cut=5, gate=2, seed=9) + get("/gate") + get("/"),
        "get-idle-pipelined": header(cut=5) + get("/idle?h") + get("/"),
        "pipelined": header() + get("/") + get("/events?3") + get("/coro?1") + get("/missing"),
        "pipelined-units": header(cut=6, seed=5) + get("/events?qw") + get("/gate") + get("/big"),
        "post-body": header() + b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
        + get("/"),
        "post-chunked": header(cut=3, seed=2)
        + b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"5\r\nhello\r\n3;ext=1\r\n, w\r\n0\r\nTrailer: t\r\n\r\n"
        + get("/events"),
        "post-too-large": header() + b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n"
        + b"z" * 5000,
        "header-too-large": header() + get("/", extra=big_field),
        "small-buffer": header(small_buffer=True, cut=4) + get("/", extra="X-Mid: " + "m" * 700 + "\r\n")
        + get("/events"),
        "small-buffer-body": header(small_buffer=True, prefill=True)
        + b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 900\r\n\r\n" + b"z" * 900,
        "expect-continue": header(cut=5) + b"POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
        + b"Content-Length: 5\r\n\r\n" + b"hello" + get("/events"),
        "expect-continue-too-large": header(cut=5) + b"POST /echo HTTP/1.1\r\nHost: a\r\n"
        + b"Expect: 100-continue\r\nContent-Length: 9000\r\n\r\n",
        "http10-stream": header() + get("/events", version="1.0"),
        "http10-keep-alive": header() + get("/", version="1.0", extra="Connection: keep-alive\r\n")
        + get("/"),
        "connection-close-stream": header() + get("/events", extra="Connection: close\r\n") + get("/"),
        "head": header() + b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n"
        + b"HEAD /events HTTP/1.1\r\nHost: a\r\n\r\n",
        "close-raw-empty": header() + get("/empty") + get("/close") + get("/raw"),
        "raw": header() + get("/raw"),
        "throw": header() + get("/") + get("/throw"),
        "bad-request": header() + b"GET / HTTP/1.1\r\nHost a\r\n\r\n",
        "bad-version": header() + b"GET / HTTP/9.9\r\n\r\n",
        "lone-lf": header() + b"GET /events HTTP/1.1\nHost: a\n\n",
        "stream-handler": header(handler=1) + get("/a?r") + get("/b"),
        "stream-handler-random": header(handler=1, cut=4, gate=3, seed=11) + get("/a") + get("/b?1qw"),
        "plain-handler": header(handler=2) + get("/") + get("/big") + get("/events"),
        "awaitable-handler": header(handler=3, cut=5) + get("/events?a") + get("/gate") + get("/throw?a")
        + get("/coro"),
        "awaitable-handler-random": header(handler=3, cut=3, gate=3, seed=6) + get("/gate?a") + get("/?a"),
        "prefill": header(prefill=True, cut=5) + get("/events") + get("/"),
        "hold-writes": header(hold=True, read_cap=1, write_cap=2, seed=4) + get("/events?r") + get("/big"),
        "small-io": header(read_cap=2, write_cap=1) + get("/coro") + get("/"),
        "reset": header(end=1, cut=5) + get("/gate") + get("/"),
        "close-no-read": header(end=2, hold=True) + get("/events") + get("/big"),
        "timeouts-off": header(timeouts_off=True) + get("/events") + b"GET / HT",
        "partial": header() + b"GET /events HTTP/1.1\r\nHo",
        "empty": header(),
    }


# ------------------------------------------------------------------- HTTP/2

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = (
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20


def frame(type_, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([type_, flags]) + struct.pack(">I", stream) + payload


def hpack_string(s):
    b = s.encode()
    assert len(b) < 127
    return bytes([len(b)]) + b


def hpack_long_string(s):
    # Length with the 7-bit prefix integer encoding, no Huffman.
    b = s.encode()
    n = len(b)
    if n < 127:
        return bytes([n]) + b
    out = [127]
    n -= 127
    while n >= 128:
        out.append(n % 128 + 128)
        n //= 128
    out.append(n)
    return bytes(out) + b


def request_block(method="GET", path="/events", authority="a", extra=()):
    """A header block of literals: indexed names from the static table, values as literals."""
    names = {":authority": 1, ":method": 2, ":path": 4, ":scheme": 6}
    block = b""
    for name, value in ((":method", method), (":scheme", "http"), (":path", path), (":authority", authority)):
        block += bytes([names[name]]) + hpack_string(value)  # literal without indexing, indexed name
    for name, value in extra:
        block += b"\x00" + hpack_string(name) + hpack_long_string(value)  # literal name and value
    return block


def request(stream, path="/events", method="GET", end_stream=True, extra=()):
    flags = END_HEADERS | (END_STREAM if end_stream else 0)
    return frame(HEADERS, flags, stream, request_block(method, path, extra=extra))


def settings(*pairs):
    return frame(SETTINGS, 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in pairs))


def http2_seeds():
    settings_ack = frame(SETTINGS, ACK, 0)
    return {
        "headers-events": header() + request(1),
        "headers-events-acked": header() + settings_ack + request(1, "/events?r5x"),
        "headers-many": header(cut=5) + request(1, "/events?r") + request(3, "/coro?2") + request(5, "/gate")
        + request(7, "/") + request(9, "/missing") + request(11, "/bytes?4"),
        "headers-split": header(cut=6, seed=3) + request(1, "/gate") + request(3, "/idle"),
        "rst-stream": header(cut=5) + request(1, "/gate") + frame(RST_STREAM, 0, 1, struct.pack(">I", 8)),
        "rst-idle": header(cut=5) + request(1, "/idle") + frame(RST_STREAM, 0, 1, struct.pack(">I", 0)),
        "window-update": header(cut=5) + settings((4, 0)) + request(1, "/events?9")
        + frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 10))
        + frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 5000)),
        "window-zero-queue": header(cut=5) + settings((4, 0)) + request(1, "/events?9qw")
        + request(3, "/big"),
        "ping": header() + frame(PING, 0, 0, b"12345678") + request(1, "/"),
        "goaway": header(cut=5) + request(1, "/idle") + frame(GOAWAY, 0, 0, struct.pack(">II", 1, 0)),
        "settings": header() + settings((1, 0), (2, 0), (3, 1), (4, 1), (5, 16384), (6, 100)) + settings_ack
        + request(1, "/coro?3"),
        "post-body": header(cut=5) + request(1, "/echo", "POST", end_stream=False)
        + frame(DATA, 0, 1, b"hello ") + frame(DATA, END_STREAM, 1, b"world"),
        "post-padded": header() + request(1, "/echo", "POST", end_stream=False)
        + frame(DATA, END_STREAM | PADDED, 1, b"\x03abc\x00\x00\x00"),
        "body-too-large": header() + request(1, "/echo", "POST", end_stream=False)
        + frame(DATA, 0, 1, b"y" * 5000) + frame(DATA, END_STREAM, 1, b"y"),
        "header-too-large": header() + request(1, "/", extra=(("x-big", "b" * 1100),)),
        "continuation": header(cut=5) + frame(HEADERS, END_STREAM, 1, request_block(path="/events")[:6])
        + frame(CONTINUATION, END_HEADERS, 1, request_block(path="/events")[6:]),
        "priority": header() + frame(PRIORITY, 0, 1, struct.pack(">IB", 0, 15)) + request(3, "/coro"),
        "headers-priority": header() + frame(HEADERS, END_HEADERS | END_STREAM | PRIORITY_FLAG, 1,
                                             struct.pack(">IB", 0, 200) + request_block(path="/events")),
        "head": header() + request(1, "/", "HEAD") + request(3, "/events", "HEAD"),
        "throw": header() + request(1, "/throw") + request(3, "/events"),
        "empty-204": header() + request(1, "/empty") + request(3, "/raw") + request(5, "/close"),
        "trailers": header(cut=5) + request(1, "/echo", "POST", end_stream=False) + frame(DATA, 0, 1, b"x")
        + frame(HEADERS, END_HEADERS | END_STREAM, 1, b"\x00" + hpack_string("t") + hpack_string("v")),
        "rst-flood": header() + b"".join(request(i, "/gate") + frame(RST_STREAM, 0, i, struct.pack(">I", 8))
                                         for i in range(1, 60, 2)),
        "too-many-streams": header() + b"".join(request(i, "/idle") for i in range(1, 24, 2)),
        "stream-handler": header(handler=1, cut=5) + request(1, "/a?r") + request(3, "/b?2"),
        "stream-handler-random": header(handler=1, cut=4, gate=3, seed=11) + request(1, "/a")
        + request(3, "/b"),
        "plain-handler": header(handler=2) + request(1, "/") + request(3, "/big"),
        "awaitable-handler": header(handler=3, cut=5) + request(1, "/events?a") + request(3, "/gate")
        + request(5, "/throw?a") + request(7, "/coro"),
        "awaitable-rst": header(handler=3, cut=5, gate=1) + request(1, "/idle?a") + request(3, "/gate?a")
        + frame(RST_STREAM, 0, 1, struct.pack(">I", 8)),
        "awaitable-left": header(handler=3, gate=1) + request(1, "/events?a") + request(3, "/throw?a"),
        "prefill": header(prefill=True, cut=5) + request(1, "/events"),
        "hold-writes": header(hold=True, read_cap=2, write_cap=3, seed=4) + request(1, "/events?r")
        + request(3, "/big"),
        "reset": header(end=1, cut=5) + request(1, "/gate") + request(3, "/"),
        "close-no-read": header(end=2, hold=True) + request(1, "/events"),
        "push-promise": header() + frame(PUSH_PROMISE, END_HEADERS, 1, struct.pack(">I", 2)),
        "bad-frame": header() + frame(DATA, 0, 0, b"x"),
        "garbage": header() + b"\xff" * 20,
        "empty": header(),
    }


def write(directory, seeds):
    os.makedirs(directory, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus")
    write(os.path.join(root, "http1_session"), http1_seeds())
    write(os.path.join(root, "http2_session"), http2_seeds())


if __name__ == "__main__":
    main()
