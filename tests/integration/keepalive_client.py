#!/usr/bin/env python3
#
# Copyright (c) 2026 The sse authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#

"""Many requests on one keep-alive connection, as Python's http.client makes them.

Usage: keepalive_client.py PORT [REQUESTS]

Alternates GET /stream?count=N (N from 1 to 50) and GET /plain on one
HTTPConnection, reads every response to its end and checks it byte for byte:
a stream of N events "id: i / data: message i of N", and the plain body
"ok\\n". http.client sends each request as soon as it has read the previous
response, the way a keep-alive client does.

Prints a line per wrong answer and a summary line; exits 0 only if every
answer was right and every request went over the same connection (http.client
silently opens a new one when the server closes).
"""

import http.client
import sys


def expected_stream(n):
    return "".join(f"id: {i}\ndata: message {i} of {n}\n\n" for i in range(1, n + 1)).encode()


def main():
    port = int(sys.argv[1])
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 200

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    conn.connect()
    first = conn.sock
    right = 0
    wrong = []
    reopened = False
    try:
        for i in range(total):
            if i % 2 == 0:
                n = 1 + (i // 2 * 7) % 50
                target = f"/stream?count={n}"
                want_type = "text/event-stream"
                want = expected_stream(n)
            else:
                target = "/plain"
                want_type = "text/plain"
                want = b"ok\n"
            conn.request("GET", target)
            resp = conn.getresponse()
            body = resp.read()
            problems = []
            if resp.status != 200:
                problems.append(f"status {resp.status}")
            if resp.getheader("Content-Type") != want_type:
                problems.append(f"Content-Type {resp.getheader('Content-Type')!r}")
            if want_type == "text/event-stream" and not resp.chunked:
                problems.append("not chunked")
            if body != want:
                problems.append(f"body {body[:120]!r}")
            if conn.sock is not first:
                reopened = True
                problems.append("the connection was closed after this answer")
            if problems:
                wrong.append(f"request {i} {target}: " + ", ".join(problems))
                if reopened:
                    break
            else:
                right += 1
    except (OSError, http.client.HTTPException) as e:
        wrong.append(f"request {right + len(wrong)}: {type(e).__name__}: {e}")
    finally:
        conn.close()

    for line in wrong[:10]:
        print(line)
    print(f"{total} requests, {right} right, {'reopened' if reopened else 'one connection'}")
    return 0 if right == total and not wrong else 1


if __name__ == "__main__":
    sys.exit(main())
