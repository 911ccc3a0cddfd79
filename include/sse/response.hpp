//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_RESPONSE_HPP
#define SSE_RESPONSE_HPP

#include <sse/detail/config.hpp>
#include <sse/error.hpp>
#include <sse/sources/any.hpp>
#include <sse/stream_response.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include <concepts>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

namespace sse {

/** One answer to a request: an ordinary HTTP response or an event stream.

    A request handler that returns `sse::response` serves HTTP/1.1
    (`sse::http1::async_serve`) and HTTP/2 alike, and can answer one route
    with a page and another with a stream. Both kinds convert implicitly:

    @li any `beast::http::response<Body, Fields>`, whose body is serialized
        into a string when the `response` is made (a `string_body` response
        with `beast::http::fields` is moved, not copied);
    @li any `stream_response<S>`, whose source is type-erased into an
        `any_message_source`.

    @par Example
    @code
    sse::response handle(http::request<http::string_body>&& req)
    {
        if (req.target() == "/events")
            return sse::stream_response{req, ticks(ex)};
        if (req.target() == "/")
            return sse::make_response(req, http::status::ok, "<h1>hello</h1>", "text/html");
        return sse::make_response(req, http::status::not_found, "not found\n");
    }
    @endcode

    @par Thread Safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
class response {
public:
    /// The ordinary response type.
    using plain_type = beast::http::response<beast::http::string_body>;

    /// The event-stream response type.
    using stream_type = stream_response<any_message_source>;

    /** Holds an ordinary response.

        The header is kept as it is (call `prepare_payload()` on the
        response first if it has no `Content-Length`); the body is
        serialized through `Body::writer` into a string.

        @throws system_error when the body's writer fails.
    */
    template <class Body, class Fields>
    response(beast::http::response<Body, Fields>&& r); // NOLINT(google-explicit-constructor)

    /// Holds an event stream; its source is type-erased.
    template <class Source>
    response(stream_response<Source>&& r); // NOLINT(google-explicit-constructor)

    response(response&&) noexcept = default;
    response& operator=(response&&) noexcept = default;

    /// Whether this is an event stream.
    bool is_stream() const noexcept { return v_.index() == 1; }

    /// The ordinary response. Requires `!is_stream()`.
    plain_type& plain() noexcept
    {
        SSE_ASSERT(!is_stream());
        return *std::get_if<0>(&v_);
    }

    /// @copydoc plain()
    plain_type const& plain() const noexcept
    {
        SSE_ASSERT(!is_stream());
        return *std::get_if<0>(&v_);
    }

    /// The event stream. Requires `is_stream()`.
    stream_type& stream() noexcept
    {
        SSE_ASSERT(is_stream());
        return *std::get_if<1>(&v_);
    }

    /// @copydoc stream()
    stream_type const& stream() const noexcept
    {
        SSE_ASSERT(is_stream());
        return *std::get_if<1>(&v_);
    }

    /** The response header, whichever the kind: add headers here (CORS,
        cookies) before the response is written.
    */
    beast::http::response_header<>& header() noexcept;

    /// @copydoc header()
    beast::http::response_header<> const& header() const noexcept;

    /// Whether the connection can carry another request once the response is written.
    bool keep_alive() const noexcept;

private:
    std::variant<plain_type, stream_type> v_;
};

namespace detail {

template <class T>
struct is_stream_response : std::false_type {};

template <class Source>
struct is_stream_response<stream_response<Source>> : std::true_type {};

template <class T>
struct is_http_response : std::false_type {};

template <class Body, class Fields>
struct is_http_response<beast::http::message<false, Body, Fields>> : std::true_type {};

} // namespace detail

/** What a server's request handler may return: `sse::response`, a
    `beast::http::response<Body, Fields>`, or a `stream_response<Source>`.
    The server writes the latter two as they are, without conversion.
*/
template <class T>
concept handler_result =
    std::same_as<T, response> || detail::is_http_response<T>::value || detail::is_stream_response<T>::value;

/** Makes a small ordinary response to a request: a status and a text.

    The version and keep-alive follow the request, `Content-Type` is
    `content_type` (none when empty) and `Content-Length` is set
    (`prepare_payload`). Handy for 400, 404 and 405 answers.

    @param request The request being answered; read here only.
    @param status The status.
    @param body The body.
    @param content_type The media type of the body.
*/
template <class Body, class Fields>
beast::http::response<beast::http::string_body> make_response(
    beast::http::request<Body, Fields> const& request,
    beast::http::status status,
    std::string body,
    std::string_view content_type = "text/plain"
);

/** Writes a response of either kind.

    An ordinary response is written with `beast::http::async_write`, as it
    is: keep-alive and framing are what its header says. An event stream
    is written with `sse::async_write(AsyncStream&, DynamicBuffer&,
    stream_response<Source>&, CompletionToken&&)`, whose documentation
    describes how it ends and what becomes of bytes the client sends.

    @param stream The stream, an AsyncReadStream and AsyncWriteStream. Its
    executor must serialize handlers. It must remain valid until the handler
    is called; no other write (nor, for a stream, read) may be started on it
    meanwhile.

    @param buffer The connection's read buffer, where bytes the client
    pipelines during an event stream are appended (see the stream
    overload). The overloads without it cannot give such bytes back.

    @param response The response. The operation takes it over when it
    starts (for a deferred operation: when it is launched; the ordinary
    response is moved into the operation, which keeps it alive until the
    write is done): the response may be a temporary, and is left empty.

    @param token The completion token. The handler signature is
    @code void handler(error_code ec) @endcode
    Regardless of whether the operation completes immediately or not, the
    handler will not be invoked from within this function. Invocation of
    the handler will be performed in a manner equivalent to using
    `net::post`.

    @par Per-Operation Cancellation
    An event stream: `terminal` ends it at once, `partial` and `total`
    cleanly (see the stream overload). An ordinary response supports what
    `beast::http::async_write` supports: `terminal`, after which the
    connection must be closed.
*/
template <
    class AsyncStream,
    class DynamicBuffer,
    net::completion_token_for<void(error_code)> CompletionToken =
        net::default_completion_token_t<typename AsyncStream::executor_type>>
    requires net::is_dynamic_buffer<DynamicBuffer>::value
auto async_write(
    AsyncStream& stream,
    DynamicBuffer& buffer,
    response& response,
    CompletionToken&& token = CompletionToken()
);

/// @copydoc async_write(AsyncStream&, DynamicBuffer&, response&, CompletionToken&&)
template <
    class AsyncStream,
    class DynamicBuffer,
    net::completion_token_for<void(error_code)> CompletionToken =
        net::default_completion_token_t<typename AsyncStream::executor_type>>
    requires net::is_dynamic_buffer<DynamicBuffer>::value
auto async_write(
    AsyncStream& stream,
    DynamicBuffer& buffer,
    response&& response,
    CompletionToken&& token = CompletionToken()
);

/// @copydoc async_write(AsyncStream&, DynamicBuffer&, response&, CompletionToken&&)
template <
    class AsyncStream,
    net::completion_token_for<void(error_code)> CompletionToken =
        net::default_completion_token_t<typename AsyncStream::executor_type>>
auto async_write(AsyncStream& stream, response& response, CompletionToken&& token = CompletionToken());

/// @copydoc async_write(AsyncStream&, DynamicBuffer&, response&, CompletionToken&&)
template <
    class AsyncStream,
    net::completion_token_for<void(error_code)> CompletionToken =
        net::default_completion_token_t<typename AsyncStream::executor_type>>
auto async_write(AsyncStream& stream, response&& response, CompletionToken&& token = CompletionToken());

} // namespace sse

#include <sse/impl/response.hpp>

#endif
