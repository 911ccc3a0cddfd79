#
# Copyright (c) 2026 The sse authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#

"""What the Python test drivers share: checks, the server under test, raw clients.

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
    import sse_testing

- `check` prints one `ok` or `FAILED` line a check and keeps what failed in
  `failures`; `skipped` lists what a driver could not run; `summary` prints
  both at the end and gives the exit status;
- `Server` starts a server with `--port 0` and reads its `listening on PORT`
  line; `CheckedServer` also checks, on leaving its with block, that it
  exits with status 0 on SIGTERM;
- `Raw` is an HTTP/1 connection on a plain socket, `dechunk` reads a chunked
  body, `H2` is an HTTP/2 connection driven by the `h2` package;
- `make_certificate` makes a throwaway self-signed certificate with openssl.

Standard library only, but for `H2`: it needs `h2` (python3-h2), which only
the drivers that speak HTTP/2 through it have; this module imports without it.
"""

import argparse
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import time

try:
    import h2.config
    import h2.connection
    import h2.errors
    import h2.events
    import h2.exceptions
    import h2.settings
except ImportError:
    h2 = None

failures = []  # what each failed check said
skipped = []  # what could not run, and why


def check(condition, what):
    print(("ok      " if condition else "FAILED  ") + what, flush=True)
    if not condition:
        failures.append(what)
    return condition


def summary(start):
    """Prints the time since `start` (time.monotonic()), what was skipped and each failed check; returns the exit
    status: 1 when a check failed."""
    print(f"\n{time.monotonic() - start:.1f} s", flush=True)
    if skipped:
        print("skipped: " + ", ".join(skipped), flush=True)
    if failures:
        print(f"{len(failures)} check(s) failed:", flush=True)
        for f in failures:
            print("    " + f, flush=True)
        return 1
    print("all checks passed", flush=True)
    return 0


def argument_parser(description, tools):
    """The options every driver of a server has: --server (required), --threads, then --TOOL for each of `tools`,
    the program found on PATH unless given."""
    ap = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", required=True)
    ap.add_argument("--threads", type=int, default=1)
    for tool in tools:
        ap.add_argument("--" + tool, default=shutil.which(tool))
    return ap


def section(name, threads):
    print(f"\n== {name} (threads {threads})", flush=True)


def wait_until(predicate, seconds, step=0.02):
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(step)


# ----------------------------------------------------------------------------
# The server under test.


def read_pipe(pipe, deadline, size=65536):
    """What a pipe gives before the deadline, `size` bytes at most: b"" at the deadline or at its end."""
    ready, _, _ = select.select([pipe], [], [], max(0.0, deadline - time.monotonic()))
    return os.read(pipe.fileno(), size) if ready else b""


def read_line(pipe, deadline):
    """One line from a pipe, or what came before the deadline."""
    line = b""
    while not line.endswith(b"\n") and time.monotonic() < deadline:
        byte = read_pipe(pipe, deadline, 1)
        if not byte:
            break
        line += byte
    return line.decode(errors="replace")


class Server:
    """A server started with `--port 0` in `cmd`: its first line, `listening on PORT`, names the port.

    tls: whether it serves https. stop_seconds: how long stop() waits for the exit. Other keywords go to
    subprocess.Popen (stderr is the driver's own unless they say otherwise). Leaving a with block kills the
    server if it still runs.
    """

    def __init__(self, cmd, tls=False, stop_seconds=3, **popen):
        self.stop_seconds = stop_seconds
        print("$ " + " ".join(cmd), flush=True)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, **popen)
        line = read_line(self.proc.stdout, time.monotonic() + 20)
        if not re.fullmatch(r"listening on [0-9]+\n", line):
            self.proc.kill()
            self.proc.wait(5)
            raise SystemExit(f"expected 'listening on PORT', got {line!r}")
        self.port = int(line.split()[2])
        self.scheme = "https" if tls else "http"
        self.base = f"{self.scheme}://127.0.0.1:{self.port}"

    def url(self, target):
        return self.base + target

    def stop(self, seconds=None, sig=signal.SIGTERM):
        """SIGTERM (or `sig`); returns (exit status or None, seconds taken): stop_seconds at most, or `seconds`."""
        start = time.monotonic()
        self.proc.send_signal(sig)
        try:
            status = self.proc.wait(self.stop_seconds if seconds is None else seconds)
        except subprocess.TimeoutExpired:
            status = None
        return status, time.monotonic() - start

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:  # a check failed before the shutdown one
            self.proc.kill()
            self.proc.wait(5)


class CheckedServer(Server):
    """A Server whose end is a check: on leaving the with block, SIGTERM and exit status 0."""

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            status, elapsed = self.stop()
            check(status == 0, f"the server exits with status 0 on SIGTERM ({status} after {elapsed:.2f} s)")
            if status is None:
                self.proc.kill()
                self.proc.wait(5)
        else:
            # Stopped by the test, or died (a crash, a sanitizer's report).
            check(self.proc.returncode == 0, f"the server ended with status 0 ({self.proc.returncode})")
        self.proc.stdout.close()


def make_certificate(openssl, directory, reuse=False):
    """A self-signed certificate for 127.0.0.1 and localhost in `directory`: (cert path, key path).

    With `reuse`, one already there is kept.
    """
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    if not (reuse and os.path.exists(cert)):
        subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                        "-keyout", key, "-out", cert, "-days", "1"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    return cert, key


# ----------------------------------------------------------------------------
# Clients: raw HTTP/1 sockets, and an HTTP/2 connection through `h2`.


class Raw:
    """An HTTP/1 connection on a plain socket, for what curl hides: bytes, framing, timing.

    request: sent at once when given. rcvbuf: SO_RCVBUF, set before connecting (a small one makes a reader
    that falls behind). timeout: for connecting and for each blocking call.
    """

    def __init__(self, port, request=None, rcvbuf=None, timeout=5):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self.buf = bytearray()  # appended to in place: a stream of megabytes arrives in many reads
        self.eof = False
        self.reset = False  # the server reset the connection
        if request is not None:
            self.send(request)

    def send(self, data):
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def recv_some(self, timeout):
        ready, _, _ = select.select([self.sock], [], [], max(0.0, timeout))
        if not ready:
            return False
        try:
            chunk = self.sock.recv(1 << 20)
        except ConnectionResetError:
            self.reset = True
            chunk = b""
        except socket.timeout:
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def read_until(self, predicate, seconds):
        deadline = time.monotonic() + seconds
        while not predicate(self.buf) and not self.eof and time.monotonic() < deadline:
            self.recv_some(deadline - time.monotonic())
        return predicate(self.buf)

    def read_head(self, seconds=5):
        """The response head: (status code, fields); the body's first bytes stay in buf."""
        if not self.read_until(lambda b: b"\r\n\r\n" in b, seconds):
            return 0, {}
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.decode(errors="replace").split("\r\n")
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields.setdefault(name.strip().lower(), []).append(value.strip())
        parts = lines[0].split(" ")
        return (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0), fields

    def read_to_eof(self, seconds):
        deadline = time.monotonic() + seconds
        while not self.eof and time.monotonic() < deadline:
            self.recv_some(deadline - time.monotonic())
        return self.eof

    def close(self, reset=False):
        """Closes the connection; with `reset`, abortively (RST, not FIN)."""
        if reset:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


def dechunk(data):
    """(payload, complete, well_formed): a chunked body's bytes, and whether the last chunk came."""
    out = bytearray()
    pos = 0
    while True:
        end = data.find(b"\r\n", pos)
        if end < 0:
            return bytes(out), False, True
        try:
            size = int(data[pos:end].split(b";")[0], 16)
        except ValueError:
            return bytes(out), False, False
        if size == 0:
            return bytes(out), data[end + 2:] == b"\r\n", data[end + 2:] in (b"", b"\r", b"\r\n")
        if len(data) < end + 2 + size + 2:
            return bytes(out), False, True
        out += data[end + 2:end + 2 + size]
        if data[end + 2 + size:end + 4 + size] != b"\r\n":
            return bytes(out), False, False
        pos = end + 4 + size


class H2:
    """An HTTP/2 connection with prior knowledge, on a plain socket, driven by `h2`.

    window: SETTINGS_INITIAL_WINDOW_SIZE. auto_ack: DATA is acknowledged (WINDOW_UPDATE) as it is read.
    keep_reading: nothing is sent once the connection is closed, and a failed send does not close it, so that
    what the server sent before it closed is still read; without, a failed send marks it closed.
    """

    def __init__(self, port, window=1 << 24, auto_ack=True, keep_reading=False):
        if h2 is None:
            raise RuntimeError("H2 needs the h2 package (python3-h2)")
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        config = h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        self.conn = h2.connection.H2Connection(config=config)
        self.conn.initiate_connection()
        self.conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: window})
        self.conn.increment_flow_control_window(1 << 30)
        self.auto_ack = auto_ack
        self.keep_reading = keep_reading
        self.streams = {}
        self.log = []  # ("headers"|"end"|"reset"|"goaway"|"protocol_error", stream id or error code)
        self.goaway = None
        self.closed = False
        self.flush()

    def flush(self):
        data = self.conn.data_to_send()
        if not data or (self.closed and self.keep_reading):
            return
        try:
            self.sock.sendall(data)
        except OSError:
            if not self.keep_reading:
                self.closed = True

    def request(self, target, method="GET", headers=(), body=None):
        sid = self.conn.get_next_available_stream_id()
        hdrs = [(":method", method), (":scheme", "http"), (":authority", "127.0.0.1"), (":path", target), *headers]
        self.conn.send_headers(sid, hdrs, end_stream=body is None)
        if body is not None:
            self.conn.send_data(sid, body, end_stream=True)
        self.streams[sid] = {"status": None, "headers": {}, "data": bytearray(), "ended": False, "reset": None}
        self.flush()
        return sid

    def reset(self, sid, code=None):
        """RST_STREAM on `sid`, with `code` (CANCEL unless given)."""
        self.conn.reset_stream(sid, h2.errors.ErrorCodes.CANCEL if code is None else code)
        self.flush()

    def on_readable(self):
        """Reads what arrived; False once the connection is closed."""
        try:
            data = self.sock.recv(1 << 20)
        except OSError:
            data = b""
        if not data:
            self.closed = True
            return False
        try:
            events = self.conn.receive_data(data)
        except h2.exceptions.ProtocolError as e:
            self.log.append(("protocol_error", str(e)))
            self.closed = True
            return False
        for ev in events:
            s = self.streams.get(getattr(ev, "stream_id", None) or 0)
            if isinstance(ev, h2.events.ResponseReceived) and s is not None:
                s["headers"] = dict(ev.headers)
                s["status"] = int(s["headers"].get(":status", 0))
                self.log.append(("headers", ev.stream_id))
            elif isinstance(ev, h2.events.DataReceived) and s is not None:
                s["data"] += ev.data
                if self.auto_ack and ev.flow_controlled_length:
                    try:
                        self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                    except h2.exceptions.StreamClosedError:
                        pass
            elif isinstance(ev, h2.events.StreamEnded) and s is not None:
                s["ended"] = True
                self.log.append(("end", ev.stream_id))
            elif isinstance(ev, h2.events.StreamReset) and s is not None:
                s["reset"] = ev.error_code
                self.log.append(("reset", ev.stream_id))
            elif isinstance(ev, h2.events.ConnectionTerminated):
                self.goaway = ev.error_code
                self.log.append(("goaway", int(ev.error_code)))
        self.flush()
        return True

    def pump(self, timeout):
        """Reads what arrives within `timeout`; False once the connection is closed."""
        if self.closed:
            return False
        ready, _, _ = select.select([self.sock], [], [], max(0.0, timeout))
        if not ready:
            return True
        return self.on_readable()

    def wait(self, predicate, seconds):
        deadline = time.monotonic() + seconds
        while not predicate() and time.monotonic() < deadline:
            if not self.pump(min(0.1, max(0.0, deadline - time.monotonic()))):
                break
        return predicate()

    def wait_closed(self, seconds):
        deadline = time.monotonic() + seconds
        while not self.closed and time.monotonic() < deadline:
            self.pump(min(0.1, max(0.0, deadline - time.monotonic())))
        return self.closed

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
