//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_STREAM_RESPONSE_HPP
#define SSE_STREAM_RESPONSE_HPP

#include <sse/detail/config.hpp>
#include <sse/error.hpp>
#include <sse/message_source.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

namespace sse {

namespace detail {
template <class AsyncStream, class Source>
struct stream_initiation;
struct stream_response_access;
} // namespace detail

/// How a `stream_response` paces and bounds its stream. Every field has a documented default.
struct stream_options {
    /** Send a comment line after this long without output, so that proxies
        and clients keep an idle connection open. Counted from the last write,
        so a busy stream sends none. Zero turns it off. Default: 15 s.
    */
    std::chrono::milliseconds keep_alive{std::chrono::seconds(15)};

    /// A reconnection time sent first, as `retry: N`. Default: none.
    std::optional<std::chrono::milliseconds> retry;

    /** End the stream with `error::send_timeout` when one write takes longer
        than this: the peer stopped reading. Zero turns it off. Default: 30 s.
    */
    std::chrono::milliseconds send_timeout{std::chrono::seconds(30)};

    /** The most bytes serialized but not yet written. At the cap the stream
        stops asking the source for more until writes drain it: a slow
        reader holds back the producer instead of growing memory. Default:
        1 MiB.
    */
    std::size_t max_queued_bytes = 1024 * 1024;

    /** The most bytes one write gathers when several messages are ready.
        Messages are never split across writes by this limit: a write holds
        at least one whole message. Default: 64 KiB.
    */
    std::size_t max_write_size = 64 * 1024;

    /// Send `X-Accel-Buffering: no`, which stops nginx buffering the stream. Default: on.
    bool no_accel_buffering = true;
};

/** An HTTP response whose body is an event stream fed by a source.

    Built from the request, it answers with status 200 and the headers an
    event stream needs (`Content-Type: text/event-stream`, `Cache-Control:
    no-cache`, `X-Accel-Buffering: no`, no `Content-Length`); an HTTP/1.1
    body is chunked, an HTTP/1.0 body ends when the connection closes. Add
    headers of your own through `header()` before writing.

    @par Example
    @code
    if (req.target() == "/events")
        co_await sse::async_write(stream, sse::stream_response{req, ticks(ex)}, net::use_awaitable);
    @endcode

    @tparam Source The `message_source` type. Class template argument
    deduction adapts what is given: a `message_source`, a
    `net::experimental::coro` of messages, a channel, or an input range
    (include the matching `<sse/sources/...>` header).

    @par Thread Safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
template <class Source>
class stream_response {
    static_assert(message_source<Source>, "MessageSource requirements not met: see sse/message_source.hpp");

public:
    /// The source type.
    using source_type = Source;

    /** Constructs the response for a request.

        @param request The request being answered. It is read here (its
        version, keep-alive and `Last-Event-ID`) and need not outlive the
        response.
        @param source The source, or anything that adapts to it.
        @param options Pacing and limits.
    */
    template <class Body, class Fields, adaptable_source S>
        requires std::same_as<source_for_t<S>, Source>
    stream_response(
        beast::http::request<Body, Fields> const& request,
        S&& source,
        stream_options const& options = {}
    );

    /** Converts a response of another source type, such as a concrete
        source into `any_message_source`.
    */
    template <class Other>
        requires(!std::same_as<Other, Source> && std::constructible_from<Source, Other &&>)
    stream_response(stream_response<Other>&& other);

    /// The response header: add headers here (CORS, cookies) before writing.
    beast::http::response_header<>& header() noexcept { return header_; }

    /// @copydoc header()
    beast::http::response_header<> const& header() const noexcept { return header_; }

    /// The options.
    stream_options& options() noexcept { return options_; }

    /// @copydoc options()
    stream_options const& options() const noexcept { return options_; }

    /// The request's `Last-Event-ID`, if it had one.
    std::optional<std::string> const& last_event_id() const noexcept { return last_event_id_; }

    /** Whether the connection can carry another request once the stream ends.

        False for HTTP/1.0 (whose stream ends with the connection) and for a
        request that asked to close.
    */
    bool keep_alive() const noexcept { return keep_alive_; }

    /// The source. Valid until the response is written.
    Source& source() noexcept { return *source_; }

    /** Sets a function called once when the stream has ended, with the
        result its operation completes with (see `sse::async_write`), on the
        stream's executor, after the source is destroyed and before the
        completion handler runs. Over HTTP/2, where the connection runs the
        stream, this is how a handler learns how its stream ended.

        @param f A callable with the signature `void(error_code)`.
    */
    template <class F>
        requires std::invocable<F&, error_code>
    stream_response& on_end(F&& f)
    {
        on_end_ = std::forward<F>(f);
        return *this;
    }

    /// Writes the response; see `sse::async_write`.
    template <
        class AsyncStream,
        net::completion_token_for<void(error_code)> CompletionToken =
            net::default_completion_token_t<typename AsyncStream::executor_type>>
    auto async_write(AsyncStream& stream, CompletionToken&& token = CompletionToken());

private:
    template <class AsyncStream, class S>
    friend struct detail::stream_initiation;
    friend struct detail::stream_response_access;
    template <class S>
    friend class stream_response;

    beast::http::response_header<> header_;
    stream_options options_;
    std::optional<std::string> last_event_id_;
    std::optional<Source> source_;
    std::function<void(error_code)> on_end_;
    bool keep_alive_ = false;
};

#ifndef SSE_DOXYGEN
template <class Body, class Fields, adaptable_source S>
stream_response(beast::http::request<Body, Fields> const&, S&&, stream_options const& = {})
    -> stream_response<source_for_t<S>>;
#endif

/** Writes an event-stream response, pumping the source until it ends or the peer goes away.

    The headers go out at once, before the first message. Then messages are
    written as the source yields them; when several are ready they go out in
    one gather write (up to `max_write_size`). While it pumps, one read stays
    outstanding on the connection, so a peer that closes or resets is seen at
    once, even when the source is idle.

    The operation ends on the first of:
    @li the source finishing: the stream ends cleanly (HTTP/1.1: the last
        chunk; the connection can carry the next request if `keep_alive()`),
        and the operation completes with no error;
    @li the peer closing or resetting: `error::peer_gone`;
    @li a write outlasting `send_timeout`: `error::send_timeout`;
    @li the source failing: the stream ends cleanly, then
        `error::source_failed` (or the source's own error);
    @li the peer sending bytes during the stream (pipelining is not
        supported on an event stream): the stream ends cleanly, then
        `error::unexpected_data`;
    @li cancellation: see below.

    Whichever comes first ends the others, and the source is destroyed (a
    producer coroutine's frame with it) before the completion handler runs.
    After an error the connection should be closed.

    @param stream The stream, an AsyncReadStream and AsyncWriteStream
    (`beast::tcp_stream`, `ssl_stream<tcp_stream>`, `tcp::socket`, ...). Its
    executor must serialize handlers (use a strand when the io_context runs
    on several threads). It must remain valid until the handler is called;
    no other read or write may be started on it meanwhile. The stream's own
    timeouts apply to the read that watches for the peer: call
    `beast::tcp_stream::expires_never()` first, or the stream ends with
    `beast::error::timeout` when the expiry passes.

    @param response The response. The operation takes what it needs from it
    when it starts: the response may be a temporary.

    @param token The completion token. The handler signature is
    @code void handler(error_code ec) @endcode
    Regardless of whether the operation completes immediately or not, the
    handler will not be invoked from within this function. Invocation of
    the handler will be performed in a manner equivalent to using
    `net::post`.

    @par Per-Operation Cancellation
    Supports `terminal`, `partial` and `total` cancellation alike: the
    source is cancelled and destroyed, what it already produced is flushed
    and the stream is ended cleanly (bounded by `send_timeout`), then the
    operation completes with `net::error::operation_aborted`.
*/
template <
    class AsyncStream,
    class Source,
    net::completion_token_for<void(error_code)> CompletionToken =
        net::default_completion_token_t<typename AsyncStream::executor_type>>
auto async_write(AsyncStream& stream, stream_response<Source>& response, CompletionToken&& token = CompletionToken());

/// @copydoc async_write(AsyncStream&, stream_response<Source>&, CompletionToken&&)
template <
    class AsyncStream,
    class Source,
    net::completion_token_for<void(error_code)> CompletionToken =
        net::default_completion_token_t<typename AsyncStream::executor_type>>
auto async_write(AsyncStream& stream, stream_response<Source>&& response, CompletionToken&& token = CompletionToken());

} // namespace sse

#include <sse/impl/stream_response.hpp>

#endif
