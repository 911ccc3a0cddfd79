//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_SERVER_OPTIONS_HPP
#define SSE_SERVER_OPTIONS_HPP

#include <sse/detail/config.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <string_view>

namespace sse {

/** Limits of a connection served by `sse::http1::async_serve`,
    `sse::http2::async_serve` or `sse::server`, and the server's own. Every
    field has a documented default; the defaults bound what one connection
    can cost the server, whatever the peer does.
*/
struct server_options {
    /** The most bytes of request header: the header block over HTTP/1.1
        (431 past it), the header list size over HTTP/2 (advertised in
        SETTINGS_MAX_HEADER_LIST_SIZE; 431 past it). Default: 16 KiB.
    */
    std::size_t max_header_size = 16 * 1024;

    /** The most bytes of request body. Past it the answer is 413; over
        HTTP/1.1 the connection then closes. Default: 1 MiB.
    */
    std::size_t max_body_size = 1024 * 1024;

    /** A connection with no request being read or answered and no stream
        open is closed after this long (HTTP/2: with a GOAWAY). Zero turns it
        off. Default: 60 s.
    */
    std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};

    /** HTTP/1.1: the longest a request may take to arrive once its first
        byte has (a slow-loris peer is closed). Zero turns it off. Default:
        30 s.
    */
    std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};

    /** A write on the connection that takes longer than this closes the
        connection (the peer stopped reading): every HTTP/2 write, and over
        HTTP/1.1 the writing of an ordinary response or a refusal (an event
        stream has its own `stream_options::send_timeout`). Zero turns it
        off. Default: 30 s.
    */
    std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};

    /// HTTP/2: the most streams the peer may open at once (SETTINGS_MAX_CONCURRENT_STREAMS). Default: 128.
    std::uint32_t max_concurrent_streams = 128;

    /** HTTP/2: the most bytes queued and not yet sent over all the
        connection's streams together; each stream also has its own
        `stream_options::max_queued_bytes`. At the cap the streams stop
        asking their sources for more. Default: 16 MiB.
    */
    std::size_t max_connection_queued_bytes = 16 * 1024 * 1024;

    /** HTTP/2: the budget of stream errors a peer may cause: each RST_STREAM
        it sends and each stream the server must reset or refuse because of
        the peer (malformed or refused requests, flow-control misuse) spends
        one. The budget holds `reset_budget` and refills by
        `reset_refill_per_second`; a peer that overspends it gets a GOAWAY
        (ENHANCE_YOUR_CALM) and the connection closes. Default: 200, 20 per second.
    */
    std::uint32_t reset_budget = 200;

    /// @copydoc reset_budget
    std::uint32_t reset_refill_per_second = 20;

    /** Called when a request handler throws (or its awaitable ends with an
        exception), with the exception, once the request is answered with
        500. It runs on the connection's executor; what it throws is
        ignored. Default: none (the exception is dropped).
    */
    std::function<void(std::exception_ptr)> on_handler_exception;

    // ------------------------------------------------ sse::server only

    /** The most connections `sse::server` serves at once. Past it a new
        connection is refused: on plain TCP with `503 Service Unavailable`
        and `Connection: close`, over TLS closed before the handshake.
        Default: 100000 (above what most descriptor limits allow: set it
        to what the machine can serve).
    */
    std::size_t max_connections = 100000;

    /** How long `sse::server` waits for a new connection's first bytes
        (to tell HTTP/2 from HTTP/1.x) or for its TLS handshake. Default: 10 s.
    */
    std::chrono::milliseconds handshake_timeout{std::chrono::seconds(10)};

    /** After `sse::server::stop()`, how long connections have to end
        cleanly (streams send their end, answers in progress complete)
        before what is left is closed. Default: 5 s.
    */
    std::chrono::milliseconds shutdown_timeout{std::chrono::seconds(5)};

    /** Called by `sse::server` when a connection ends with an error that is
        not routine, or when accepting fails or is refused
        (`error::connection_limit`): `where` says which step (`"accept"`,
        `"tls handshake"`, `"http1"`, `"http2"`, or `"session"` for an
        exception that ended one, such as a failure to allocate). A peer that
        closes, resets or times out, and the server's own stop, are routine
        and not reported. It may run on any of the server's threads.
        Default: none.
    */
    std::function<void(error_code, std::string_view where)> on_connection_error;
};

} // namespace sse

#endif
