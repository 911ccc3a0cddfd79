//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_CLIENT_HPP
#define SSE_CLIENT_HPP

// Asio 1.81: the channel before anything that may include experimental/coro.
#include <boost/asio/experimental/channel.hpp>

#include <sse/client_options.hpp>
#include <sse/detail/config.hpp>
#include <sse/error.hpp>
#include <sse/parser.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sse {

/** An event-stream client: `EventSource` for C++, and what API users need on top.

    It sends the request (any method, body and headers, over `http` or
    `https`), checks the answer as the WHATWG model says (200 with
    `text/event-stream` opens the stream; 204 stops for good; 429, 502,
    503 and 504 are retried, after `Retry-After` when given; redirects are
    followed; any other status or content type fails for good, with the
    status and the start of the body in `failure()`), and reads the
    stream with `sse::parser`. When a stream ends or the connection is
    lost, it connects again after the reconnection time (3 s, or what
    the stream's `retry:` says), sending `Last-Event-ID`; repeated failures
    back off exponentially with jitter, up to the limits in
    `client_options`. `client_options::one_shot` never reconnects (for
    LLM-style POST streams, where a replay would run the request again).

    Events are pulled: `async_next` gives the next one. The connection is
    read only as fast as the caller pulls, so a slow consumer holds back
    the server (TCP flow control) instead of growing memory.

    @par Example
    @code
    sse::client c(ex, {.url = "https://example.com/events"});
    for (;;) {
        auto [ec, ev] = co_await c.async_next(net::as_tuple(net::use_awaitable));
        if (ec)
            break; // sse::error::refused, too_many_retries, ...
        std::cout << ev.type << ": " << ev.data << '\n';
    }
    @endcode

    HTTP/1.1 (Beast), plain or over TLS (SNI, certificate and host name
    verified unless `client_options::verify_peer` is off).

    @par Thread Safety
    Distinct objects: Safe. Shared objects: Unsafe. Use a client from its
    executor (a strand when the io_context runs on several threads).
*/
template <class Executor = net::any_io_executor>
class basic_client {
public:
    /// The executor type.
    using executor_type = Executor;

    /** Makes a client; nothing is sent until the first `async_next`.

        For `https` URLs without a TLS context of yours, the client makes
        one with the system's trusted certificates.
    */
    basic_client(Executor const& ex, client_request request, client_options options = {});

    /// Makes a client that uses `tls` for `https` (it must outlive the client).
    basic_client(Executor const& ex, net::ssl::context& tls, client_request request, client_options options = {});

    /// Closes the connection; a pending `async_next` completes with `net::error::operation_aborted`.
    ~basic_client();

    basic_client(basic_client const&) = delete;
    basic_client& operator=(basic_client const&) = delete;

    /// The executor.
    executor_type get_executor() const noexcept;

    /** Waits for the next event.

        The first call connects. The handler gets the event, or an error
        that ends the stream for good: `error::no_content` (204),
        `error::refused`, `error::bad_content_type`,
        `error::too_many_retries`, `error::too_many_redirects`,
        `error::bad_url`, `error::event_too_large`, `error::line_too_long`,
        `error::end_of_stream` (one-shot, ended cleanly), a transport error
        (one-shot), `error::tls_failed`. Once it gave such an error, every
        later call gives it again. Lost connections and idle timeouts are
        not errors here: the client reconnects (see `failure()` for the
        last one).

        @param token The completion token. The handler signature is
        @code void handler(error_code ec, sse::event ev) @endcode

        @par Per-Operation Cancellation
        All types: the wait ends with `net::error::operation_aborted`; the
        connection stays, and the next call goes on where this one stopped
        (no event is lost).
    */
    template <net::completion_token_for<void(error_code, event)> CompletionToken = net::default_completion_token_t<Executor>>
    auto async_next(CompletionToken&& token = CompletionToken());

    /** Takes the next event if one is ready, without waiting.

        What one read of the connection brings is parsed at once; its
        events wait in the client (at most 64) until pulled. A reader that
        handles many small events drains them with this call and awaits
        `async_next` only when it returns nothing: one wait per read
        instead of one per event.

        @code
        for (;;) {
            sse::error_code ec;
            while (auto ev = c.try_next(ec))
                handle(*ev);
            if (ec)
                break; // the end, as async_next would give it
            auto [ec2, ev] = co_await c.async_next(net::as_tuple(net::use_awaitable));
            if (ec2)
                break;
            handle(ev);
        }
        @endcode

        @param ec Set when the stream has ended for good (the error
        `async_next` would give); cleared otherwise.
        @return The event, or nothing when none is ready (or the end).
        The first call starts the connection.
    */
    std::optional<event> try_next(error_code& ec);

    /** Ends the connection and every reconnection: a pending `async_next`,
        and every later one, completes with `net::error::operation_aborted`.
    */
    void close();

    /// The last event id seen (sent as `Last-Event-ID` on reconnection).
    std::string const& last_event_id() const noexcept;

    /// The reconnection time: the default, or what the stream set.
    std::chrono::milliseconds reconnection_time() const noexcept;

    /// The last failure: what ended the last connection or attempt.
    client_failure const& failure() const noexcept;

    /// Whether a stream is open now.
    bool is_open() const noexcept;

private:
    struct state;
    std::shared_ptr<state> state_;
};

/// A client on `net::any_io_executor`.
using client = basic_client<>;

} // namespace sse

#include <sse/impl/client.hpp>

#endif
