//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_ERROR_HPP
#define SSE_ERROR_HPP

#include <sse/detail/config.hpp>

#include <type_traits>

namespace sse {

/** Error codes of the `sse` category.

    Values are stable: new ones are only ever appended.
*/
enum class error {
    /** An `id` value contains a carriage return, a line feed or a NUL.

        A line break would end the field early and inject whatever follows
        into the stream as a field of its own; a NUL makes every client ignore
        the id. The builder refuses both.
    */
    invalid_id = 1,

    /** An `event` value contains a carriage return or a line feed. */
    invalid_event,

    /** A field value is not well-formed UTF-8.

        An event stream is always decoded as UTF-8, so a client would read
        U+FFFD in place of the bytes given: the builder refuses them instead.
    */
    invalid_utf8,

    /** A `retry` value is negative. */
    invalid_retry,

    /** A value given to `json()` could not be serialized as JSON. */
    invalid_json,

    /** The parser met a line longer than its `max_line_size` limit. */
    line_too_long,

    /** The parser's data buffer for one event grew past its `max_event_size` limit. */
    event_too_large,

    /** The peer closed or reset the connection while the stream was open. */
    peer_gone,

    /** A write did not complete within the stream's send timeout: the peer
        stopped reading. */
    send_timeout,

    /** The source failed: its producer threw, or it reported an error. */
    source_failed,

    /** The peer sent bytes during an HTTP/1.1 event stream (it pipelined
        its next request): the stream ended cleanly, early. The bytes are
        in the connection's buffer when `async_write` was given one. */
    unexpected_data,

    /** A subscriber fell behind by more than its queue holds, and was
        disconnected (`slow_subscriber_policy::disconnect`). */
    slow_subscriber,

    /** The HTTP/2 peer broke the protocol (a malformed frame, a bad
        preface, a flood nghttp2 refuses): the connection ended with a
        GOAWAY. */
    protocol_error,

    /** The HTTP/2 peer caused more stream errors and resets than
        `server_options::reset_budget` allows: the connection ended with a
        GOAWAY (ENHANCE_YOUR_CALM). */
    reset_budget_exceeded,

    /** A query string is not well-formed percent-encoding: a `%` is not
        followed by two hex digits (`%`, `%4`, `%zz`). From `url_decode`
        and `parse_query`. */
    bad_percent_encoding,

    /** `sse::server` refused a connection: `server_options::max_connections`
        were being served. Given to `server_options::on_connection_error`. */
    connection_limit,

    /** `sse::client`: the server answered with a status that is not an
        event stream and is not retried (not 200, 204, 429, 502, 503 or
        504, nor a redirect). The status and the start of the body are in
        `client::failure()`. */
    refused,

    /** `sse::client`: a 200 answer whose `Content-Type` is not
        `text/event-stream`. */
    bad_content_type,

    /** `sse::client`: the server answered 204 No Content, which tells an
        event-stream client to stop for good. */
    no_content,

    /** `sse::client`: the reconnection limits (`max_attempts`,
        `max_retry_time`) were reached, or the failure hook said stop. The
        last failure is in `client::failure()`. */
    too_many_retries,

    /** `sse::client`: no byte came from the server (not even a comment)
        for `client_options::idle_timeout`. */
    idle_timeout,

    /** `sse::client`: more redirects than `client_options::max_redirects`. */
    too_many_redirects,

    /** `sse::client`: a URL that is not `http://` or `https://` with a
        host (a redirect to one, too). */
    bad_url,

    /** `sse::client`: the response ended cleanly. In one-shot mode this
        ends the client (the stream is not requested again); otherwise it
        is the failure the client reconnects after. */
    end_of_stream,

    /** `sse::client`: the TLS handshake failed (certificate refused,
        protocol mismatch); the cause is in `client::failure()`. */
    tls_failed,

    /** `sse::broadcaster`: its backend cannot be reached (a Redis server
        down or unreachable): the event was not published. Subscriptions
        stay open, and the backend reconnects on its own. */
    backend_unavailable,

    /** `sse::broadcaster`: the backend refused a command (a Redis error
        reply: wrong password, a key of another type, out of memory). */
    backend_error,

    /** `sse::broadcaster::async_publish`: the message carries an id of its
        own, but the broadcaster's backend gives every event its id. */
    id_not_allowed,

    /// Deprecated: the old name of `slow_subscriber`, kept for one release.
    slow_consumer [[deprecated("sse::error::slow_consumer is renamed sse::error::slow_subscriber")]] = slow_subscriber,
};

/// Returns the error category of the `sse::error` values.
boost::system::error_category const& error_category() noexcept;

/// Makes an `error_code` from an `sse::error`.
error_code make_error_code(error e) noexcept;

} // namespace sse

template <>
struct boost::system::is_error_code_enum<::sse::error> : std::true_type {};

#include <sse/impl/error.hpp>

#endif
