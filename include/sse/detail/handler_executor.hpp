//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_DETAIL_HANDLER_EXECUTOR_HPP
#define SSE_DETAIL_HANDLER_EXECUTOR_HPP

// The executor a completion handler runs on, for operations that have no
// I/O object of their own to fall back to (a broadcaster subscription, a
// range). Asio's default for a handler without one changed between
// versions (system_executor up to 1.36, inline_executor from 1.37, which
// can be neither posted to nor converted to any_io_executor), so the rule
// is ours, and the same on every version: such a handler is refused at
// compile time.

#include <sse/detail/config.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>

#include <type_traits>

namespace sse::detail {

// Stands for "no executor" when asking for a handler's.
struct no_associated_executor {};

template <class Handler>
inline constexpr bool has_associated_executor =
    !std::is_same_v<net::associated_executor_t<std::decay_t<Handler>, no_associated_executor>, no_associated_executor>;

// The handler's associated executor, which must exist and convert to
// net::any_io_executor.
template <class Handler>
auto handler_executor(Handler const& handler) noexcept
{
    static_assert(
        has_associated_executor<Handler>,
        "sse: this completion handler has no associated executor, so there is nowhere to run it: use a "
        "coroutine's token (net::use_awaitable; in a net::experimental::coro, net::deferred), or bind one "
        "with net::bind_executor(ex, handler) (see sse/message_source.hpp)"
    );
    using executor = net::associated_executor_t<Handler>;
    static_assert(
        std::is_convertible_v<executor, net::any_io_executor>,
        "sse: the completion handler's associated executor must convert to net::any_io_executor"
    );
    return net::get_associated_executor(handler);
}

} // namespace sse::detail

#endif
