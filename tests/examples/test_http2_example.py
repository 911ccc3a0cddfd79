#!/usr/bin/env python3
#
# Copyright (c) 2026 The sse authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#

"""Runs examples/http2 with a fresh self-signed certificate and checks it
with curl, as the example's banner says to try it.

    test_http2_example.py PATH/TO/http2 PATH/TO/curl PATH/TO/openssl

- ALPN: `curl --http2` gets HTTP/2 and `curl --http1.1` HTTP/1.1, on one port;
- the page's point: 12 event streams at once on one HTTP/2 connection;
- SIGTERM with a stream open: the stream ends cleanly (curl exits 0, the
  body is whole) and the server exits 0 within 3 s.

Every wait is bounded. Standard library only.
"""

import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time

failures = []


def check(condition, what):
    print(("ok      " if condition else "FAILED  ") + what, flush=True)
    if not condition:
        failures.append(what)
    return condition


def main():
    exe, curl, openssl = sys.argv[1:4]
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=localhost", "-keyout", key, "-out", cert],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        proc = subprocess.Popen([exe, "--cert", cert, "--key", key, "--port", "0"], stdout=subprocess.PIPE)
        try:
            ready, _, _ = select.select([proc.stdout], [], [], 20)
            line = proc.stdout.readline().decode() if ready else ""
            if not re.fullmatch(r"listening on [0-9]+\n", line):
                raise SystemExit(f"expected 'listening on PORT', got {line!r}")
            base = "https://127.0.0.1:" + line.split()[2]

            for flag, version in (("--http2", "2"), ("--http1.1", "1.1")):
                r = subprocess.run([curl, "-sk", flag, "--max-time", "1.5", "-w", "\n%{http_version}",
                                    base + "/clock?n=1"], stdout=subprocess.PIPE, timeout=10)
                out = r.stdout.decode()
                check(out.endswith("\n" + version), f"curl {flag} speaks HTTP/{version}")
                check("data: stream 1: " in out, f"curl {flag} reads the stream")

            # The page's 12 streams, side by side on one HTTP/2 connection.
            urls = [f"{base}/clock?n={i}" for i in range(1, 13)]
            r = subprocess.run([curl, "-sk", "--http2", "-Z", "--parallel-max", "12",
                                "--max-time", "2.5", "-w", "\nproto=%{http_version} connects=%{num_connects}\n", *urls],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=20)
            out = r.stdout.decode()
            seen = {int(n) for n in re.findall(r"data: stream ([0-9]+): ", out)}
            check(seen == set(range(1, 13)), f"12 streams at once: {sorted(seen)}")
            versions = re.findall(r"proto=(\S+) connects=([0-9]+)", out)
            check(len(versions) == 12 and all(v == "2" for v, _ in versions), "all 12 over HTTP/2")
            check(sum(int(c) for _, c in versions) == 1, "on one connection")

            # SIGTERM with an HTTP/2 stream open.
            stream = subprocess.Popen([curl, "-skN", "--http2", "--max-time", "10", base + "/clock?n=7"],
                                      stdout=subprocess.PIPE)
            first = b""  # the stream is open once its first event has arrived
            deadline = time.monotonic() + 10
            while b"\n\n" not in first and time.monotonic() < deadline:
                ready, _, _ = select.select([stream.stdout], [], [], max(0.0, deadline - time.monotonic()))
                chunk = os.read(stream.stdout.fileno(), 65536) if ready else b""
                if not chunk:
                    break
                first += chunk
            check(b"data: stream 7: " in first, "a stream is open before SIGTERM")
            start = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            try:
                status = proc.wait(3)
            except subprocess.TimeoutExpired:
                status = None
            check(status == 0, f"SIGTERM: exit {status} after {time.monotonic() - start:.2f} s (want 0 within 3 s)")
            body = (first + stream.communicate(timeout=10)[0]).decode()
            check(stream.returncode == 0, f"the open stream ended cleanly (curl exit {stream.returncode})")
            check(body.endswith("\n\n") and "data: stream 7: " in body, "its body is whole")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)


if __name__ == "__main__":
    main()
