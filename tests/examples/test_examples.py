#!/usr/bin/env python3
#
# Copyright (c) 2026 The sse authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#

"""Runs an example server and checks it from the outside, as a user would.

    test_examples.py hello PATH/TO/hello [PATH/TO/curl]
    test_examples.py beast_integration PATH/TO/beast_integration [PATH/TO/curl]

The server is started on a free port of 127.0.0.1 with a 100 ms interval;
event streams are read with `curl -N`. Last, the server gets SIGTERM while a
stream and an idle connection are open: the stream must end cleanly and the
server must exit with status 0 within 3 s (under the sanitizers, that also
means no leak). Every wait is bounded. Standard library only.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import sse_testing
from sse_testing import check, failures, read_pipe

CURL = "curl"
INTERVAL_MS = 100


class Server(sse_testing.Server):
    """The example `exe` with a 100 ms interval and `args`; killed on leaving the with block if it still runs."""

    def __init__(self, exe, *args):
        super().__init__([exe, "--address", "127.0.0.1", "--port", "0", "--interval-ms", str(INTERVAL_MS), *args])


def curl(*args, timeout=10):
    """Runs curl to completion; returns (exit status, stdout)."""
    r = subprocess.run([CURL, "-s", "--max-time", "5", *args], stdout=subprocess.PIPE, timeout=timeout)
    return r.returncode, r.stdout.decode(errors="replace")


def get(url, *args):
    """(status, content type, body) of a GET."""
    rc, out = curl("-w", "\n%{http_code} %{content_type}", *args, url)
    body, _, tail = out.rpartition("\n")
    status, _, content_type = tail.partition(" ")
    return int(status or 0), content_type, body


def parse_events(text):
    """Events as EventSource dispatches them, and whether every line is a well-formed field."""
    events, fields, well_formed = [], {}, True
    for line in text.split("\n")[:-1]:  # the part after the last LF is not a line yet
        if line == "":
            if "data" in fields:
                events.append(fields)
            fields = {}
        elif line.startswith(":"):
            pass
        else:
            name, colon, value = line.partition(":")
            well_formed &= bool(colon) and name in ("data", "id", "event", "retry") and value.startswith(" ")
            value = value[1:] if value.startswith(" ") else value
            if name == "data" and "data" in fields:
                fields["data"] += "\n" + value
            else:
                fields[name] = value
    return events, well_formed


class Stream:
    """`curl -sN URL`, read until enough events have come."""

    def __init__(self, url, *headers):
        args = [CURL, "-sN", "--max-time", "3"]
        for h in headers:
            args += ["-H", h]
        self.proc = subprocess.Popen(args + [url], stdout=subprocess.PIPE)
        self.text = ""

    def read_events(self, count, seconds=3):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            events, _ = parse_events(self.text)
            if len(events) >= count:
                break
            chunk = read_pipe(self.proc.stdout, deadline)
            if not chunk:
                break
            self.text += chunk.decode(errors="replace")
        return parse_events(self.text)

    def read_to_end(self, seconds):
        """Reads until curl exits; returns its exit status, or None at the deadline."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            chunk = read_pipe(self.proc.stdout, deadline)
            if not chunk:
                break
            self.text += chunk.decode(errors="replace")
        try:
            return self.proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return None

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(3)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(3)


def read_three(url, *headers):
    s = Stream(url, *headers)
    try:
        return s.read_events(3)
    finally:
        s.close()


def check_keep_alive(server):
    # Two requests in one curl run: the second reuses the connection.
    rc, out = curl("-w", "%{http_code} %{num_connects}\n", "-o", "/dev/null", server.url("/nowhere"),
                   "-o", "/dev/null", server.url("/nowhere/else"))
    lines = out.splitlines()
    check(lines == ["404 1", "404 0"], f"404 keeps the connection open: {lines}")


def check_shutdown(server):
    """SIGTERM with an open stream and an idle connection: all ends cleanly, exit 0 within 3 s."""
    stream = Stream(server.url("/events"))
    idle = socket.create_connection(("127.0.0.1", server.port), timeout=3)
    try:
        events, _ = stream.read_events(1)
        check(len(events) >= 1, "a stream is open before SIGTERM")
        start = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        try:
            status = server.proc.wait(3)
        except subprocess.TimeoutExpired:
            status = None
        elapsed = time.monotonic() - start
        check(status == 0, f"SIGTERM: exit status {status} after {elapsed:.2f} s (want 0 within 3 s)")
        # curl exits 0 only when the chunked body was ended properly.
        rc = stream.read_to_end(3)
        check(rc == 0, f"the open stream ended cleanly on shutdown (curl exit status {rc})")
        try:
            idle_end = idle.recv(1)
        except OSError as e:
            idle_end = e
        check(idle_end == b"", f"the idle connection was closed on shutdown ({idle_end!r})")
    finally:
        idle.close()
        stream.close()


def test_hello(exe):
    with Server(exe) as server:
        events, well_formed = read_three(server.url("/events"))
        check(len(events) >= 2, f"/events: {len(events)} events (want at least 2)")
        check(well_formed, "/events: every line is a well-formed field")
        check(all(e == {"data": "Hello, world!"} for e in events),
              f"/events: each says Hello, world! ({events})")

        status, _, body = get(server.url("/nowhere"))
        check(status == 404 and body.strip() != "", f"/nowhere: {status} with a body ({body.strip()!r})")
        check_keep_alive(server)
        check_shutdown(server)


def test_beast_integration(exe):
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "root")
        os.makedirs(os.path.join(root, "sub"))
        files = {
            "index.html": "<!doctype html><title>home</title>\n",
            "style.css": "body { color: teal }\n",
            "sub/index.html": "<p>sub</p>\n",
        }
        for name, text in files.items():
            with open(os.path.join(root, name), "w") as f:
                f.write(text)
        with open(os.path.join(tmp, "secret.txt"), "w") as f:
            f.write("SECRET\n")

        with Server(exe, "--root", root) as server:
            events, well_formed = read_three(server.url("/events"))
            check(len(events) >= 2, f"/events: {len(events)} events (want at least 2)")
            check(well_formed, "/events: every line is a well-formed field")
            check(all(e.get("event") == "time" for e in events), "/events: each is named time")
            ok = True
            for e in events:
                try:
                    ok &= isinstance(json.loads(e["data"])["time"], str)
                except (ValueError, KeyError, TypeError):
                    ok = False
            check(ok, f"/events: each holds JSON with a time key ({[e['data'] for e in events]})")
            check([e.get("id") for e in events] == [str(i) for i in range(1, len(events) + 1)],
                  f"/events: ids count from 1 ({[e.get('id') for e in events]})")

            events, _ = read_three(server.url("/events"), "Last-Event-ID: 41")
            check([e.get("id") for e in events][:2] == ["42", "43"],
                  f"/events after Last-Event-ID 41: ids go on from 42 ({[e.get('id') for e in events]})")
            events, _ = read_three(server.url("/events"), "Last-Event-ID: x7")
            ids = [e.get("id") for e in events]
            check(ids[:1] == ["1"], f"/events after a Last-Event-ID that is no number: ids from 1 ({ids})")

            status, content_type, body = get(server.url("/api/time"))
            try:
                time_ok = isinstance(json.loads(body)["time"], str)
            except (ValueError, KeyError, TypeError):
                time_ok = False
            check(status == 200 and content_type == "application/json" and time_ok,
                  f"/api/time: {status} {content_type} {body!r}")

            for target, name, want_type in [("/", "index.html", "text/html"),
                                            ("/style.css", "style.css", "text/css"),
                                            ("/sub/", "sub/index.html", "text/html")]:
                status, content_type, body = get(server.url(target))
                check(status == 200 and content_type == want_type and body == files[name],
                      f"{target}: {status} {content_type} {body!r}")

            for target in ["/missing.txt", "/sub", "/index.html/x"]:
                status, _, _ = get(server.url(target))
                check(status == 404, f"{target}: {status} (want 404)")

            # Targets that climb out of the root. --path-as-is: curl sends them unchanged.
            for target in ["/../secret.txt", "/sub/../../secret.txt", "/..", "/../etc/passwd",
                           "/..\\secret.txt"]:
                status, _, body = get(server.url(target), "--path-as-is")
                check(status == 400 and "SECRET" not in body and "root:" not in body,
                      f"{target}: {status} (want 400)")
            for target in ["/%2e%2e/secret.txt", "//etc/passwd", "/sub/..%2f..%2fsecret.txt"]:
                status, _, body = get(server.url(target), "--path-as-is")
                check(status == 404 and "SECRET" not in body and "root:" not in body,
                      f"{target}: {status} (want 404)")

            check_keep_alive(server)
            check_shutdown(server)


def main():
    global CURL
    if len(sys.argv) not in (3, 4) or sys.argv[1] not in ("hello", "beast_integration"):
        raise SystemExit(__doc__)
    if len(sys.argv) == 4:
        CURL = sys.argv[3]
    {"hello": test_hello, "beast_integration": test_beast_integration}[sys.argv[1]](sys.argv[2])
    if failures:
        print(f"{len(failures)} check(s) failed", flush=True)
        return 1
    print("all checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
