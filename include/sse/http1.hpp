//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_HTTP1_HPP
#define SSE_HTTP1_HPP

#include <sse/detail/config.hpp>
#include <sse/error.hpp>
#include <sse/handler.hpp>
#include <sse/response.hpp>
#include <sse/server_options.hpp>
#include <sse/stream_response.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <concepts>
#include <type_traits>

namespace sse {
namespace http1 {

/// The request a handler of `async_serve` is given (`sse::request`).
using request = sse::request;

/// A request handler of `async_serve`: see `sse::request_handler`.
template <class H>
concept request_handler = sse::request_handler<H>;

/** Serves HTTP/1.x on a connection: reads requests and writes the handler's answers until the connection ends.

    A complete server session on a stream the caller owns (and accepted,
    and for TLS handshook). In a loop it:

    @li reads a request, starting with the bytes already in `buffer` (the
        caller may have read some, for instance to look for the HTTP/2
        preface), with `options.max_header_size` and
        `options.max_body_size` as the parser's limits;
    @li calls `handler(std::move(req))`, on the stream's executor; an
        awaitable handler's awaitable is run there (`net::co_spawn`) and
        its result awaited, reading nothing meanwhile;
    @li writes what it returns: an ordinary response with
        `beast::http::async_write`; a `stream_response<S>` with
        `sse::async_write`, without type erasure; an `sse::response` of
        either kind;
    @li goes on with the next request while both the request and the
        response allow it (keep-alive, and framing that does not need the
        connection closed). A plain response to a request that asked to
        close is sent with `Connection: close`.

    A plain response is written as it is: call `prepare_payload()` on it
    (`sse::make_response` does), or its end is marked by closing the
    connection.

    The operation completes:
    @li with no error when the peer closes between requests, or when a
        response ends the connection (no keep-alive; an HTTP/1.0 stream),
        after which the send side of a TCP connection is shut down;
    @li with the parser's error after answering a request it cannot take:
        `400 Bad Request` for a malformed request,
        `431 Request Header Fields Too Large` past `max_header_size`
        (`beast::http::error::header_limit`), `413 Payload Too Large` past
        `max_body_size` (`beast::http::error::body_limit`), each with
        `Connection: close`; a TCP connection then has its send side shut
        down and what the peer still sends is read and discarded for up to
        one second (or until the peer closes), so that the peer gets the
        answer rather than a reset;
    @li with `beast::error::timeout` when `options.idle_timeout` passes
        with no request begun (before the first request, and between
        requests), when `options.request_timeout` passes between the first
        byte of a request and its last, or when writing a plain response
        takes longer than `options.write_timeout` (a peer that does not
        read);
    @li with the error of a stream that ended otherwise than cleanly
        (`error::peer_gone` when the peer left, `error::send_timeout`, ...);
        see `sse::async_write`. A stream that a pipelined request ended
        (`error::unexpected_data`) ended cleanly: that request is answered
        next;
    @li with `beast::http::error::partial_message` when the peer closes in
        the middle of a request, or with the error of a failed read or
        write;
    @li with `net::error::operation_aborted` on cancellation: see below.

    After any completion the caller closes the stream (for TLS, after
    `async_shutdown` if it wants to). No timeouts of this operation apply
    while an event stream is written: the stream has its own
    (`stream_options`).

    @param stream The stream: `beast::tcp_stream`,
    `net::ssl::stream<beast::tcp_stream>`, `tcp::socket` or any other
    AsyncReadStream and AsyncWriteStream. Its executor must serialize
    handlers (use a strand when the io_context runs on several threads);
    the request handler is called on it. It must remain valid until the
    completion handler is called, and nothing else may read or write it
    meanwhile. Its `async_read_some` must support per-operation
    cancellation (`terminal`), as Asio's sockets, `beast::tcp_stream` and
    `net::ssl::stream` do: reads are cancelled on timeouts, on
    cancellation, and before an event stream's last chunk. When its lowest
    layer is a `beast::basic_stream`, `expires_never()` is called on it:
    the timeouts are this operation's.

    @param buffer A Beast DynamicBuffer (`beast::flat_buffer`, ...) holding
    the bytes already read from the stream, if any. It must remain valid
    until the completion handler is called; on completion it holds what was
    read and not consumed.

    @param handler The request handler, an `sse::request_handler`; it is
    moved into the operation and destroyed before the completion handler
    is called. It is called once per request, and returns its answer (or
    an awaitable of it); it may keep the request. If it throws, or its
    awaitable ends with an exception, the request is answered with
    `500 Internal Server Error` (keep-alive as the request asked) and the
    session goes on; the exception is given to
    `options.on_handler_exception`. The same holds over HTTP/2.

    @param options The limits and timeouts; copied.

    @param token The completion token. The handler signature is
    @code void handler(error_code ec) @endcode
    Regardless of whether the operation completes immediately or not, the
    handler will not be invoked from within this function, nor will the
    request handler. Invocation of the handler will be performed in a
    manner equivalent to using `net::post`.

    @par Example
    @code
    net::awaitable<void> session(tcp::socket socket)
    {
        beast::flat_buffer buffer;
        auto [ec] = co_await sse::http1::async_serve(socket, buffer,
            [](sse::http1::request&& req) -> sse::response {
                if (req.target() == "/events")
                    return sse::stream_response{req, ticks(ex)};
                return sse::make_response(req, http::status::not_found, "not found\n");
            },
            net::as_tuple(net::use_awaitable));
    }
    @endcode

    @par Per-Operation Cancellation
    `partial` and `total`: a graceful stop. A session waiting for a
    request (or reading one) stops at once; an event stream being written
    ends cleanly (HTTP/1.1: with the last chunk, after what its source
    already produced, within `send_timeout`); a plain response being
    written is finished first (within `write_timeout`). `terminal`: the
    same, except that an event stream ends at once, with nothing more
    written; a terminal cancellation may follow a partial one, to cut a
    graceful stop short. An awaitable handler being awaited is let finish
    on `partial` and `total` (its answer is written; a stream it returns
    ends cleanly at once) and is cancelled on `terminal`. Either way the
    operation completes with `net::error::operation_aborted`, and the
    caller closes the stream. The same holds over HTTP/2
    (`http2::async_serve`).

    @par Thread Safety
    Distinct objects: Safe. Shared objects: Unsafe. The operation and the
    request handler run on the stream's executor.
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

/// Serves HTTP/1.x with the default `server_options`; see the overload above.
template <
    class AsyncStream,
    class DynamicBuffer,
    class Handler,
    net::completion_token_for<void(error_code)> CompletionToken =
        net::default_completion_token_t<typename AsyncStream::executor_type>>
auto async_serve(AsyncStream& stream, DynamicBuffer& buffer, Handler handler, CompletionToken&& token = CompletionToken());

} // namespace http1
} // namespace sse

#include <sse/impl/http1.hpp>

#endif
