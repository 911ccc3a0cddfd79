//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_HANDLER_HPP
#define SSE_HANDLER_HPP

// What a server's request handler is: one shape for HTTP/1.x and HTTP/2.

#include <sse/detail/config.hpp>
#include <sse/response.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <concepts>
#include <type_traits>

namespace sse {

/// The request a request handler is given, whatever the protocol: HTTP/2
/// requests have `version()` 20 and a `Host` field from `:authority`.
using request = beast::http::request<beast::http::string_body>;

namespace detail {

template <class T>
struct awaitable_handler_result : std::false_type {};

template <class T>
struct awaitable_handler_result<net::awaitable<T, net::any_io_executor>> : std::bool_constant<handler_result<T>> {
    using type = T;
};

// What a handler may return: an answer, or an awaitable of one.
template <class R>
concept handler_answer_ok = handler_result<R> || awaitable_handler_result<R>::value;

} // namespace detail

/** A request handler that answers at once.

    Given a type `H` and an lvalue `h` of type `H`: `h(std::move(req))`,
    where `req` is an `sse::request`, returns a `handler_result`:
    `sse::response`, a `beast::http::response<Body, Fields>` or a
    `stream_response<Source>`.
*/
template <class H>
concept synchronous_request_handler = std::invocable<H&, request&&> &&
                                      handler_result<std::invoke_result_t<H&, request&&>>;


/** A request handler that may wait before it answers.

    Given a type `H` and an lvalue `h` of type `H`: `h(std::move(req))`
    returns a `net::awaitable<R>` (on `net::any_io_executor`), where `R` is
    a `handler_result`. The server runs it on the connection's executor
    (`co_await net::this_coro::executor` gives it) and answers with what it
    `co_return`s, so a handler can read a database before it answers.
*/
template <class H>
concept awaitable_request_handler = std::invocable<H&, request&&> &&
                                    detail::awaitable_handler_result<std::invoke_result_t<H&, request&&>>::value;

/** A request handler of `http1::async_serve`, `http2::async_serve` and `sse::server`.

    Either a `synchronous_request_handler` or an `awaitable_request_handler`.
    Both protocols treat it alike:

    @li it is called on the connection's executor, once per request, never
        from within the initiating function;
    @li it may keep the request by moving from it; what it leaves is
        destroyed once it returns (an event stream keeps none of its
        request, so a source must own what it needs of it);
    @li when it throws (or its awaitable ends with an exception), the
        request is answered with `500 Internal Server Error` and the
        connection goes on; the exception is given to
        `server_options::on_handler_exception`.
    @li a HEAD request gets the header its answer would have for GET and
        no body: an ordinary answer's body is not sent, an event stream's
        source is destroyed without being asked, and its `on_end` is
        called once the header is sent.

    @par Example
    @code
    // answers at once
    sse::response events(sse::request&& req);

    // reads a database first
    net::awaitable<sse::response> profile(sse::request&& req);
    @endcode
*/
template <class H>
concept request_handler = synchronous_request_handler<H> || awaitable_request_handler<H>;

namespace detail {

// What a request handler answers with: its result, or what its awaitable
// yields.
template <class Handler, class R = std::invoke_result_t<Handler&, request&&>>
struct handler_answer {
    using type = R;
};

template <class Handler, class R>
    requires awaitable_request_handler<Handler>
struct handler_answer<Handler, R> {
    using type = typename awaitable_handler_result<R>::type;
};

template <class Handler>
using handler_answer_t = typename handler_answer<Handler>::type;

} // namespace detail
} // namespace sse

#include <sse/impl/handler.hpp>

#endif
