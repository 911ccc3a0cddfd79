#!/usr/bin/env python3
#
# Copyright (c) 2026 The sse authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#

"""An HTTP/2 client at the frame level (python3-h2), for what curl and
nghttp cannot do on purpose: reset one stream, grant no window, send
garbage, flood resets, watch the order of END_STREAM and GOAWAY.

    h2_client.py reset PORT          three streams, RST_STREAM on the first
    h2_client.py nowindow PORT PATH  a stream that never gets a window
    h2_client.py garbage PORT        a valid preface, then a malformed frame
    h2_client.py flood PORT N        open and reset N streams, fast
    h2_client.py provoke PORT N      make the server reset N streams (MadeYouReset)
    h2_client.py hold PORT PATH      one stream, held until the server ends it
    h2_client.py goaway PORT         two streams, then a GOAWAY from the client

Each prints one JSON object on stdout. Times are CLOCK_MONOTONIC in
nanoseconds, the clock std::chrono::steady_clock reads on Linux.
Every wait is bounded.
"""

import json
import socket
import sys
import time

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.settings


def now_ns():
    return time.monotonic_ns()


class Client:
    def __init__(self, port, settings=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        config = h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        self.conn = h2.connection.H2Connection(config=config)
        self.conn.initiate_connection()
        if settings:
            self.conn.update_settings(settings)
        self.flush()
        self.data = {}      # stream id -> bytes
        self.ended = {}     # stream id -> time of END_STREAM
        self.resets = {}    # stream id -> error code of a RST_STREAM from the server
        self.goaway = None  # (time, error code)
        self.order = []     # what happened, in order
        self.closed = False

    def flush(self):
        out = self.conn.data_to_send()
        if out:
            self.sock.sendall(out)

    def request(self, path, end_stream=True):
        sid = self.conn.get_next_available_stream_id()
        self.conn.send_headers(sid, [
            (":method", "GET"), (":path", path), (":scheme", "http"),
            (":authority", "127.0.0.1"), ("accept", "text/event-stream"),
        ], end_stream=end_stream)
        self.data[sid] = b""
        self.flush()
        return sid

    def pump(self, timeout, until=lambda: False):
        """Reads and handles frames until `until()` or the timeout."""
        deadline = time.monotonic() + timeout
        while not until() and not self.closed and time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                break
            except ConnectionError:
                chunk = b""
            if not chunk:
                self.closed = True
                self.order.append("closed")
                break
            try:
                events = self.conn.receive_data(chunk)
            except h2.exceptions.ProtocolError:
                events = []
            for e in events:
                self.handle(e)
            try:
                self.flush()
            except ConnectionError:
                pass  # the peer closed first (after a GOAWAY): what it sent is still to be read
        return until()

    def handle(self, e):
        if isinstance(e, h2.events.DataReceived):
            self.data[e.stream_id] = self.data.get(e.stream_id, b"") + e.data
            # Only what the test grants: flow control is the test's to decide.
            if self.grant:
                self.conn.acknowledge_received_data(e.flow_controlled_length, e.stream_id)
        elif isinstance(e, h2.events.StreamEnded):
            self.ended[e.stream_id] = now_ns()
            self.order.append("end_stream")
        elif isinstance(e, h2.events.StreamReset):
            self.resets[e.stream_id] = int(e.error_code)
            self.order.append("rst_stream")
        elif isinstance(e, h2.events.ConnectionTerminated):
            self.goaway = (now_ns(), int(e.error_code))
            self.order.append("goaway")

    grant = True


def cmd_reset(port):
    c = Client(port)
    ids = [c.request("/forever?tag=" + t) for t in ("a", "b", "c")]
    c.pump(10, lambda: all(len(c.data[i]) > 0 for i in ids))
    c.conn.reset_stream(ids[0], error_code=h2.errors.ErrorCodes.CANCEL)
    reset_at = now_ns()  # before the bytes leave: the server may act at once
    c.flush()
    before = {i: len(c.data[i]) for i in ids}
    c.pump(1.0)
    after = {i: len(c.data[i]) - before[i] for i in ids}
    print(json.dumps({
        "reset_at": reset_at,
        "others_kept_streaming": all(after[i] > 0 for i in ids[1:]),
        "goaway": c.goaway is not None,
    }))
    c.sock.close()


def cmd_nowindow(port, path):
    c = Client(port, {h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
    c.grant = False
    sid = c.request(path)
    start = now_ns()
    c.pump(20, lambda: sid in c.resets or sid in c.ended)
    print(json.dumps({
        "reset": c.resets.get(sid),
        "ended": sid in c.ended,
        "seconds": (now_ns() - start) / 1e9,
        "bytes": len(c.data[sid]),
        "goaway": c.goaway is not None,
    }))
    c.sock.close()


def cmd_garbage(port):
    c = Client(port)
    # A DATA frame on stream 0: a connection error (RFC 9113, 6.1).
    c.sock.sendall(b"\x00\x00\x04\x00\x00\x00\x00\x00\x00garb")
    c.pump(10, lambda: c.goaway is not None and c.closed)
    print(json.dumps({
        "goaway": c.goaway[1] if c.goaway else None,
        "closed": c.closed,
    }))


def cmd_flood(port, n):
    c = Client(port)
    sent = 0
    for _ in range(n):
        if c.goaway is not None or c.closed:
            break
        try:
            sid = c.request("/forever?tag=flood")
            c.conn.reset_stream(sid, error_code=h2.errors.ErrorCodes.CANCEL)
            c.flush()
        except (h2.exceptions.ProtocolError, ConnectionError, OSError):
            break
        sent += 1
        if sent % 20 == 0:
            c.pump(0.05)
    c.pump(5, lambda: c.goaway is not None and c.closed)
    print(json.dumps({
        "sent": sent,
        "goaway": c.goaway[1] if c.goaway else None,
        "closed": c.closed,
    }))


def cmd_provoke(port, n):
    """Streams the server must reset itself: each gets a WINDOW_UPDATE that
    overflows its window past 2^31-1, a stream error (RFC 9113, 6.9.1) that
    the server answers with RST_STREAM FLOW_CONTROL_ERROR: the MadeYouReset
    pattern (CVE-2025-8671)."""
    c = Client(port)
    sent = 0
    for _ in range(n):
        if c.goaway is not None or c.closed:
            break
        try:
            sid = c.request("/forever?tag=provoked")
            c.sock.sendall(b"\x00\x00\x04\x08\x00" + sid.to_bytes(4, "big") + b"\x7f\xff\xff\xff")
        except (h2.exceptions.ProtocolError, ConnectionError, OSError):
            break
        sent += 1
        if sent % 20 == 0:
            c.pump(0.05)
    c.pump(5, lambda: c.goaway is not None and c.closed)
    print(json.dumps({
        "sent": sent,
        "server_resets": len(c.resets),
        "goaway": c.goaway[1] if c.goaway else None,
        "closed": c.closed,
    }))


def cmd_goaway(port):
    c = Client(port)
    ids = [c.request("/forever?tag=" + t) for t in ("x", "y")]
    c.pump(10, lambda: all(len(c.data[i]) > 0 for i in ids))
    c.conn.close_connection()
    sent_at = now_ns()  # before the bytes leave: the server may act at once
    c.flush()
    c.pump(10, lambda: c.closed)
    print(json.dumps({"goaway_at": sent_at, "closed": c.closed}))


def cmd_stall(port, path):
    # Grants every window there is, then stops reading: the server's writes
    # fill the socket buffers and stall. Reports when the server gave up.
    c = Client(port, {h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 2**31 - 1})
    c.conn.increment_flow_control_window(2**31 - 1 - 65535)
    c.flush()
    sid = c.request(path)
    c.pump(10, lambda: len(c.data[sid]) > 0)
    start = now_ns()
    time.sleep(2.0)  # not reading
    # Then read whatever is left: the connection ends, closed by the server.
    c.pump(20, lambda: c.closed)
    print(json.dumps({"closed": c.closed, "stalled_seconds": (now_ns() - start) / 1e9}))


def cmd_hold(port, path):
    c = Client(port)
    sid = c.request(path)
    c.pump(10, lambda: len(c.data[sid]) > 0)
    print("streaming", flush=True)  # the stream is open: the test may stop the server
    c.pump(20, lambda: c.closed)
    print(json.dumps({
        "order": c.order,
        "ended": sid in c.ended,
        "reset": c.resets.get(sid),
        "goaway": c.goaway[1] if c.goaway else None,
        "body": c.data[sid].decode("utf-8", "replace"),
    }))


def main():
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == "stall":
        return cmd_stall(port, sys.argv[3])
    if cmd == "reset":
        cmd_reset(port)
    elif cmd == "nowindow":
        cmd_nowindow(port, sys.argv[3])
    elif cmd == "garbage":
        cmd_garbage(port)
    elif cmd == "flood":
        cmd_flood(port, int(sys.argv[3]))
    elif cmd == "provoke":
        cmd_provoke(port, int(sys.argv[3]))
    elif cmd == "goaway":
        cmd_goaway(port)
    elif cmd == "hold":
        cmd_hold(port, sys.argv[3])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
