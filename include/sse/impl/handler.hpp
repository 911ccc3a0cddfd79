//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_IMPL_HANDLER_HPP
#define SSE_IMPL_HANDLER_HPP

#include <sse/server_options.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>

#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <utility>

namespace sse::detail {

// Runs an awaitable handler, as a coroutine whose result is
// default-constructible (what co_spawn asks of it). The request lives in
// this frame until the handler's awaitable is over: a handler may take it
// by reference. A handler that throws before its awaitable starts throws
// here, into co_spawn's completion.
template <class Handler>
net::awaitable<std::optional<handler_answer_t<Handler>>, net::any_io_executor> await_answer(Handler& handler, request req)
{
    co_return std::optional<handler_answer_t<Handler>>(co_await handler(std::move(req)));
}

// The answer to a request whose handler threw (to a HEAD request: without
// its body).
inline beast::http::response<beast::http::string_body>
internal_error_answer(unsigned version, bool keep_alive, bool head = false)
{
    namespace http = beast::http;
    http::response<http::string_body> res{http::status::internal_server_error, version};
    res.set(http::field::content_type, "text/plain");
    res.body() = "Internal Server Error\n";
    res.keep_alive(keep_alive);
    res.prepare_payload();
    if (head)
        res.body().clear();
    return res;
}

// Tells the user's hook that a request handler threw. The hook's own
// exceptions stop here: the connection goes on.
inline void report_handler_exception(std::function<void(std::exception_ptr)> const& hook, std::exception_ptr e) noexcept
{
    if (!hook)
        return;
    try {
        hook(std::move(e));
    } catch (...) {
    }
}

} // namespace sse::detail

#endif
