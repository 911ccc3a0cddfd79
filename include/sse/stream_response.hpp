//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_STREAM_RESPONSE_HPP
#define SSE_STREAM_RESPONSE_HPP

#include <sse/compression.hpp>
#include <sse/detail/config.hpp>
#include <sse/error.hpp>
#include <sse/message_source.hpp>
#include <sse/serialized.hpp>
#include <sse/stream_options.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

namespace sse {

/** An HTTP response whose body is an event stream fed by a source.

    Built from the request, it answers with status 200 and the headers an
    event stream needs (`Content-Type: text/event-stream`, `Cache-Control:
    no-cache`, `X-Accel-Buffering: no`, no `Content-Length`). Add headers of
    your own through `header()` before writing.

    The response is protocol-neutral: status, headers, options, source and
    `on_end`. What a protocol needs is added by the sink that writes it:
    `sse::async_write` (HTTP/1.1) adds `Transfer-Encoding: chunked`, and
    `Connection: close` when the request asked for it (an HTTP/1.0 body is
    not chunked and ends when the connection closes); `http2::async_serve`
    builds its header block from the same fields.

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
        version, keep-alive, `Last-Event-ID` and `Accept-Encoding`) and need
        not outlive the response.
        @param source The source, or anything that adapts to it.
        @param options Pacing, limits and compression.

        @throws std::invalid_argument when a compression option is out of
        its range (values changed later through `options()` are clamped).
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

    /// What a sink takes out of the response when it starts writing it.
    struct parts {
        beast::http::response_header<> header;   ///< Status and fields, without framing fields.
        stream_options options;                  ///< Pacing and limits.
        Source source;                           ///< The source.
        std::function<void(error_code)> on_end; ///< Called once when the stream has ended.
        bool keep_alive;                         ///< Whether the connection may carry another request.
        content_coding coding;                   ///< The body's content coding (`Content-Encoding` is set).
        bool shared_blocks;                      ///< gzip from per-event blocks shared across streams.
    };

    /** The content coding the body will have, chosen from the request's
        `Accept-Encoding` and `options().compression`.
    */
    content_coding coding() const noexcept;

    /** Takes the parts out, for a sink to write them: the response is
        empty afterwards. `sse::async_write` and `http2::async_serve` call
        it when their operation starts; a sink of your own may too.

        When the stream is compressed, the header gets `Content-Encoding`;
        whenever compression is on, it gets `Vary: Accept-Encoding`.
    */
    parts release();

    /// Writes the response; see `sse::async_write`.
    template <
        class AsyncStream,
        net::completion_token_for<void(error_code)> CompletionToken =
            net::default_completion_token_t<typename AsyncStream::executor_type>>
    auto async_write(AsyncStream& stream, CompletionToken&& token = CompletionToken());

private:
    template <class S>
    friend class stream_response;

    beast::http::response_header<> header_;
    stream_options options_;
    std::optional<std::string> last_event_id_;
    std::optional<Source> source_;
    std::function<void(error_code)> on_end_;
    detail::accepted_codings accepted_;
    bool keep_alive_ = false;
    // Whether the source as given yields serialized bytes, which can be
    // compressed once for every stream (kept when the source is erased
    // into any_message_source, which serializes whatever it is given).
    bool shareable_ = std::same_as<typename Source::value_type, serialized>;

    bool shares_blocks() const noexcept
    {
        return shareable_ && options_.compression.sharing == compression_sharing::automatic;
    }
};

#ifndef SSE_DOXYGEN
template <class Body, class Fields, adaptable_source S>
stream_response(beast::http::request<Body, Fields> const&, S&&, stream_options const& = {})
    -> stream_response<source_for_t<S>>;
#endif

/** A cancellation filter that passes any cancellation on as `partial`: with it, cancelling ends an event stream cleanly.

    Cancellation ends a stream at once when it is `terminal`, cleanly when
    it is `partial` or `total`. A coroutine (`net::awaitable`) lets only
    terminal cancellation through to its operations, and `||`, `co_spawn`
    and most of Asio cancel with terminal. To have such a cancellation end
    a stream cleanly, make this the coroutine's out-filter while the stream
    runs:

    @code
    co_await net::this_coro::reset_cancellation_state(net::enable_terminal_cancellation(), sse::end_cleanly);
    co_await sse::async_write(stream, buffer, response, net::use_awaitable);
    co_await net::this_coro::reset_cancellation_state();
    @endcode
*/
struct end_cleanly_t {
    constexpr net::cancellation_type operator()(net::cancellation_type type) const noexcept
    {
        return type == net::cancellation_type::none ? type : net::cancellation_type::partial;
    }
};

/// @copydoc end_cleanly_t
inline constexpr end_cleanly_t end_cleanly{};

/** Writes an event-stream response over HTTP/1.x, pumping the source until it ends or the peer goes away.

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
    @li the peer sending bytes during the stream (a client pipelining its
        next request): the stream ends cleanly, then
        `error::unexpected_data`;
    @li cancellation: see below.

    Whichever comes first ends the others, and the source is destroyed (a
    producer coroutine's frame with it) before the completion handler runs.
    After an error the connection should be closed, except after
    `error::unexpected_data` with the overload that takes the buffer: the
    stream ended cleanly and the pipelined bytes are in the buffer, so the
    connection can go on with the next request (as `http1::async_serve`
    does). These rules are the same over HTTP/2 (`http2::async_serve`):
    one engine decides for both.

    @par No byte is lost between requests
    The read that watches the peer ends before the last chunk is written,
    so a request the client sends once it has the end of the stream is
    never read by the stream: it is all still on the connection for the
    caller's next read. Bytes that arrive during the stream (a pipelining
    client) are read by the watch; the overload that takes the
    connection's `buffer` appends them to it, where the caller's next
    request parse finds them. Without a buffer they cannot be given back:
    the operation then completes with `error::unexpected_data`, and the
    connection must be closed.

    @param stream The stream, an AsyncReadStream and AsyncWriteStream
    (`beast::tcp_stream`, `net::ssl::stream<beast::tcp_stream>`,
    `tcp::socket`, ...). Its executor must serialize handlers (use a strand
    when the io_context runs on several threads). It must remain valid
    until the handler is called; no other read or write may be started on
    it meanwhile. Its `async_read_some` must support per-operation
    cancellation (`terminal`), as Asio's sockets, `beast::tcp_stream` and
    `net::ssl::stream` do: the read that watches the peer is cancelled
    before the last chunk is written. The stream's own timeouts apply to
    that read: call `beast::tcp_stream::expires_never()` first, or the
    stream ends with `beast::error::timeout` when the expiry passes.

    @param buffer The connection's read buffer (a DynamicBuffer, such as
    the `beast::flat_buffer` the request was read with), where bytes the
    peer sends during the stream are appended. It must remain valid until
    the handler is called.

    @param response The response. The operation takes what it needs from it
    when it starts (for a deferred operation: when it is launched); the
    response may be a temporary.

    @param token The completion token. The handler signature is
    @code void handler(error_code ec) @endcode
    Regardless of whether the operation completes immediately or not, the
    handler will not be invoked from within this function. Invocation of
    the handler will be performed in a manner equivalent to using
    `net::post`.

    @par Per-Operation Cancellation
    `terminal`: the stream ends at once, with nothing more written (the
    write in flight is cancelled; the body is left unfinished, so the
    connection must be closed). `partial` and `total`: the source is
    cancelled and destroyed, what it already produced is flushed and the
    stream ends cleanly (bounded by `send_timeout`). Either way the
    operation completes with `net::error::operation_aborted`.
*/
template <
    class AsyncStream,
    class DynamicBuffer,
    class Source,
    net::completion_token_for<void(error_code)> CompletionToken =
        net::default_completion_token_t<typename AsyncStream::executor_type>>
    requires net::is_dynamic_buffer<DynamicBuffer>::value
auto async_write(
    AsyncStream& stream,
    DynamicBuffer& buffer,
    stream_response<Source>& response,
    CompletionToken&& token = CompletionToken()
);

/// @copydoc async_write(AsyncStream&, DynamicBuffer&, stream_response<Source>&, CompletionToken&&)
template <
    class AsyncStream,
    class DynamicBuffer,
    class Source,
    net::completion_token_for<void(error_code)> CompletionToken =
        net::default_completion_token_t<typename AsyncStream::executor_type>>
    requires net::is_dynamic_buffer<DynamicBuffer>::value
auto async_write(
    AsyncStream& stream,
    DynamicBuffer& buffer,
    stream_response<Source>&& response,
    CompletionToken&& token = CompletionToken()
);

/// @copydoc async_write(AsyncStream&, DynamicBuffer&, stream_response<Source>&, CompletionToken&&)
template <
    class AsyncStream,
    class Source,
    net::completion_token_for<void(error_code)> CompletionToken =
        net::default_completion_token_t<typename AsyncStream::executor_type>>
auto async_write(AsyncStream& stream, stream_response<Source>& response, CompletionToken&& token = CompletionToken());

/// @copydoc async_write(AsyncStream&, DynamicBuffer&, stream_response<Source>&, CompletionToken&&)
template <
    class AsyncStream,
    class Source,
    net::completion_token_for<void(error_code)> CompletionToken =
        net::default_completion_token_t<typename AsyncStream::executor_type>>
auto async_write(AsyncStream& stream, stream_response<Source>&& response, CompletionToken&& token = CompletionToken());

} // namespace sse

#include <sse/impl/stream_response.hpp>

#endif
