//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_HTTP2_SERVE_HPP
#define SSE_HTTP2_SERVE_HPP

#include <sse/detail/config.hpp>
#include <sse/error.hpp>
#include <sse/server_options.hpp>
#include <sse/stream_response.hpp>

#include <boost/asio/async_result.hpp>

namespace sse::http2 {

/** Serves one HTTP/2 connection: every request goes to `handler`, every answer back on its stream.

    The connection is HTTP/2 from its first byte: a TCP connection that
    opened with the client preface (h2c with prior knowledge, see
    `async_detect_preface`), or a TLS stream whose ALPN chose `h2` (see
    `enable_alpn`). nghttp2 does the framing, HPACK and flow control; all
    I/O and every call into the session stay on the stream's executor.

    Requests reach the handler as Beast requests, body included, with
    `version()` 20, the method, the target (`:path`) and a `Host` field
    (`:authority`). The handler is the one an HTTP/1.1 server uses (see
    `sse::http1::async_serve`):
    @code
    R handler(beast::http::request<beast::http::string_body>&& request);
    @endcode
    where `R` is a `beast::http::response<Body, Fields>`, a
    `stream_response<Source>`, or an `sse::response`. It is called on the
    stream's executor, once per request; a handler that throws answers 500.

    An event stream goes out as DATA frames as its source yields messages,
    within the flow-control window the peer grants: a peer that grants no
    window holds back the source once `stream_options::max_queued_bytes`
    are queued, and the stream is reset when it makes no progress for
    `stream_options::send_timeout` (`error::send_timeout`). Keep-alive
    comments, coalescing and the `retry` field work as over HTTP/1.1.
    Connection-specific fields (`Connection`, `Keep-Alive`,
    `Proxy-Connection`, `Transfer-Encoding`, `Upgrade`) are never sent,
    whatever the handler set, and field names go out in lower case.

    A stream the peer resets (RST_STREAM) ends at once: its source is
    cancelled and destroyed, the others go on, and its `on_end` function
    sees `error::peer_gone`. When the connection ends, or the peer sends a
    GOAWAY (it is leaving), every stream on it ends the same way.

    @par Limits
    The `server_options`: concurrent streams (SETTINGS_MAX_CONCURRENT_STREAMS),
    header list size (431), request body size (413, then RST_STREAM
    NO_ERROR), idle time, write time, bytes queued over all streams, and a
    budget of peer-caused stream errors and resets (past it: GOAWAY with
    ENHANCE_YOUR_CALM). nghttp2 itself answers malformed frames with a
    GOAWAY and bounds rapid resets, CONTINUATION floods and floods of
    frames it must acknowledge.

    @param stream The stream. Its executor must serialize handlers (use a
    strand when the io_context runs on several threads). It must remain
    valid until the handler is called; no other operation may be started
    on it meanwhile. The caller closes it after completion.

    @param buffer A DynamicBuffer holding bytes already read from the
    stream (the preface, when `async_detect_preface` read it); they are
    consumed first. It must remain valid until the handler is called.

    @param handler The request handler, moved into the operation.

    @param options The connection's limits.

    @param token The completion token. The handler signature is
    @code void handler(error_code ec) @endcode
    `ec` is clear when the peer closed the connection or ended it with a
    GOAWAY; `error::protocol_error` or `error::reset_budget_exceeded` when
    the server ended it for the peer's conduct; `beast::error::timeout`
    after the idle timeout, or when a write outlasted `write_timeout` (as
    over HTTP/1.1; a stream's own `send_timeout` ends that stream with
    `error::send_timeout`); `net::error::operation_aborted` after cancellation;
    otherwise the transport's error. Every stream of the connection has
    ended, and its source is destroyed, before the handler is called. The
    handler is not invoked from within this function; invocation is
    performed in a manner equivalent to `net::post`.

    @par Per-Operation Cancellation
    `partial` and `total` start a graceful shutdown: new streams are
    refused, open event streams flush what their sources produced and end
    with END_STREAM, plain answers complete, then a GOAWAY goes out.
    `terminal` ends every stream and the connection at once (it may follow
    a partial cancellation, to cut a graceful shutdown short). Either way
    the operation completes with `net::error::operation_aborted`. The same
    holds over HTTP/1.1 (`http1::async_serve`).
*/
template <
    class AsyncStream,
    class DynamicBuffer,
    class Handler,
    net::completion_token_for<void(error_code)> CompletionToken =
        net::default_completion_token_t<typename AsyncStream::executor_type>>
auto async_serve(
    AsyncStream& stream,
    DynamicBuffer& buffer,
    Handler handler,
    server_options const& options,
    CompletionToken&& token = CompletionToken()
);

/// Serves with the default `server_options`.
template <
    class AsyncStream,
    class DynamicBuffer,
    class Handler,
    net::completion_token_for<void(error_code)> CompletionToken =
        net::default_completion_token_t<typename AsyncStream::executor_type>>
auto async_serve(AsyncStream& stream, DynamicBuffer& buffer, Handler handler, CompletionToken&& token = CompletionToken());

} // namespace sse::http2

#include <sse/http2/impl/serve.hpp>

#endif
