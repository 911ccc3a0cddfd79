//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_HTTP2_DETECT_HPP
#define SSE_HTTP2_DETECT_HPP

#include <sse/detail/config.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/logic/tribool.hpp>

#include <string_view>

namespace sse::http2 {

/// The client connection preface that opens every HTTP/2 connection (RFC 9113, 3.4).
inline constexpr std::string_view client_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/** Tells whether bytes are the start of an HTTP/2 connection preface.

    @return `true` when `bytes` begins with the whole preface, `false` when
    it cannot be one, and indeterminate when `bytes` is a proper prefix of it
    (more bytes are needed to tell).
*/
template <class ConstBufferSequence>
boost::tribool is_preface(ConstBufferSequence const& bytes);

/** Reads until it can tell whether a connection opens with the HTTP/2 preface.

    This serves HTTP/2 with prior knowledge (h2c) and HTTP/1.1 on one plain
    TCP port: read the first bytes, then hand the connection, with the bytes
    read, to `http2::async_serve` or to the HTTP/1.1 path (both start from a
    buffer that already holds bytes). An HTTP/1.1 request is told apart on
    its first bytes, usually without a second read.

    @par Example
    @code
    beast::flat_buffer buffer;
    bool const h2 = co_await sse::http2::async_detect_preface(stream, buffer, net::use_awaitable);
    if (h2)
        co_await sse::http2::async_serve(stream, buffer, handler, options, net::use_awaitable);
    else
        co_await sse::http1::async_serve(stream, buffer, handler, options, net::use_awaitable);
    @endcode

    @param stream The stream to read from. It must remain valid until the
    handler is called.

    @param buffer A DynamicBuffer that receives the bytes read; bytes already
    in it are examined first. Nothing is consumed from it. It must remain
    valid until the handler is called.

    @param token The completion token. The handler signature is
    @code void handler(error_code ec, bool is_http2) @endcode
    A peer that closes before the preface can be told apart completes with
    the read's error (`net::error::eof`). The handler is not invoked from
    within this function; invocation is performed in a manner equivalent to
    `net::post`.

    @par Per-Operation Cancellation
    As the stream's `async_read_some`: a cancelled read completes the
    operation with its error.
*/
template <
    class AsyncReadStream,
    class DynamicBuffer,
    net::completion_token_for<void(error_code, bool)> CompletionToken =
        net::default_completion_token_t<typename AsyncReadStream::executor_type>>
auto async_detect_preface(AsyncReadStream& stream, DynamicBuffer& buffer, CompletionToken&& token = CompletionToken());

} // namespace sse::http2

#include <sse/http2/impl/detect.hpp>

#endif
