//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_CLIENT_OPTIONS_HPP
#define SSE_CLIENT_OPTIONS_HPP

// What an sse::client sends, and how it reconnects.

#include <sse/detail/config.hpp>
#include <sse/error.hpp>
#include <sse/parser.hpp>

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

namespace sse {

/** The request an `sse::client` sends on every (re)connection.

    The client adds `Accept: text/event-stream`, `Cache-Control: no-cache`
    and, once it has seen an id, `Last-Event-ID`; `Host` comes from the
    URL. Anything else is yours: `Authorization`, `Content-Type`.
*/
struct client_request {
    /// The method: GET for an EventSource, POST for an LLM-style API.
    beast::http::verb method = beast::http::verb::get;

    /// `http://host[:port]/path?query` or `https://...`.
    std::string url;

    /// Headers sent as they are.
    beast::http::fields headers;

    /// The body (with a method that has one), sent again on every reconnection.
    std::string body;
};

/// What ended a connection attempt or an open stream, for the failure hook.
struct client_failure {
    /// Why: a transport error, `error::refused` (see `status`),
    /// `error::idle_timeout`, `error::peer_gone` for a stream cut short...
    error_code error;

    /// The HTTP status, when the server answered (0 otherwise).
    unsigned status = 0;

    /// The start of the response body when the server refused (at most
    /// `client_options::max_error_body` bytes): an API's error JSON.
    std::string body;

    /// How many attempts in a row have failed, this one included.
    std::size_t attempts = 0;

    /// When the client would try again if nobody objects.
    std::chrono::milliseconds delay{0};

    /// The `Last-Event-ID` the next attempt sends (empty: none).
    std::string last_event_id;
};

/// What the failure hook decides.
class retry_decision {
public:
    /// Try again after `delay`.
    static retry_decision after(std::chrono::milliseconds delay) noexcept { return retry_decision(delay); }

    /// Do not try again: `async_next` completes with `error::too_many_retries`
    /// (the failure itself is in `client::failure()`).
    static retry_decision stop() noexcept { return retry_decision(std::nullopt); }

    /// The delay, or none to stop.
    std::optional<std::chrono::milliseconds> delay() const noexcept { return delay_; }

private:
    explicit retry_decision(std::optional<std::chrono::milliseconds> d) noexcept : delay_(d) {}

    std::optional<std::chrono::milliseconds> delay_;
};

/** How an `sse::client` connects, validates, reads and reconnects.

    The defaults are those of a browser's `EventSource`, plus limits an
    API client needs.
*/
struct client_options {
    /** The reconnection time before the stream sets one with `retry:`.
        Default: 3 s (what browsers use).
    */
    std::chrono::milliseconds reconnection_time{std::chrono::seconds(3)};

    /** The longest wait between attempts when failures repeat (each
        failure in a row doubles the wait from the reconnection time).
        Default: 30 s.
    */
    std::chrono::milliseconds max_backoff{std::chrono::seconds(30)};

    /** Random extra wait, as a fraction of the wait (0: none): clients
        that lost the same server do not all come back at the same moment.
        Default: 0.25.
    */
    double jitter = 0.25;

    /** A stream that stayed open this long resets the back-off: its end
        counts as the first failure again. Default: 30 s.
    */
    std::chrono::milliseconds stable_after{std::chrono::seconds(30)};

    /** Give up (`error::too_many_retries`) after this many failed
        attempts in a row: 3 tries three times, and retries twice. An
        attempt that opens a stream ends the run. Default: never.
    */
    std::optional<std::size_t> max_attempts;

    /** Give up (`error::too_many_retries`) once failures in a row have
        lasted this long. Default: never.
    */
    std::optional<std::chrono::milliseconds> max_retry_time;

    /** One-shot: when the response ends (cleanly or not), do not
        reconnect. For LLM-style POST streams, where a replay would run
        the request again. Default: off.
    */
    bool one_shot = false;

    /** A connection that brings no byte (not even a comment) for this long
        is lost, and the client reconnects: half-open TCP connections are
        common behind NATs. Zero turns it off. Default: off.
    */
    std::chrono::milliseconds idle_timeout{0};

    /** The most time to connect (resolve, TCP, TLS) and get the response
        header. Default: 30 s.
    */
    std::chrono::milliseconds connect_timeout{std::chrono::seconds(30)};

    /// Redirects followed per connection. Default: 5.
    std::size_t max_redirects = 5;

    /// The most bytes of a refused response's body kept for `failure()`. Default: 1 KiB.
    std::size_t max_error_body = 1024;

    /// Verify the server's certificate and host name over TLS. Default: on.
    bool verify_peer = true;

    /** Use HTTP/2: offered by ALPN over `https` (HTTP/1.1 when the server
        does not take it), with prior knowledge (h2c) over `http`. Needs a
        build with HTTP/2 (link `sse::client` where `sse::http2` exists).
        Default: off (HTTP/1.1).
    */
    bool http2 = false;

    /// The parser's limits (line and event size).
    parser_options parser;

    /** The `Last-Event-ID` of the first request (later ones send the last
        id seen). Default: none.
    */
    std::optional<std::string> last_event_id;

    /** Called before every connection, the first one included, with the
        request about to be sent: refresh an `Authorization` token here.
    */
    std::function<void(client_request&)> on_connect;

    /** Called with the header of every response (redirects and refusals
        too), before the client acts on it: for logging, or to read a
        rate-limit header. Its `version()` is 11 for HTTP/1.1 and 20 for
        HTTP/2.
    */
    std::function<void(beast::http::response_header<> const&)> on_response;

    /** Called on each failure the client would retry (a lost connection, a
        retryable status, an error before the response): return
        `retry_decision::after(d)` to retry after `d` (the proposed delay is
        `failure.delay`), or `retry_decision::stop()`. Default: retry after
        the proposed delay.
    */
    std::function<retry_decision(client_failure const&)> on_failure;
};

} // namespace sse

#endif
