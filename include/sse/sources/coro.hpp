//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_SOURCES_CORO_HPP
#define SSE_SOURCES_CORO_HPP

#include <sse/message_source.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
// Asio 1.81 needs the channel header before the coro header.
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/experimental/coro.hpp>
#include <boost/asio/experimental/use_coro.hpp>

#include <exception>
#include <optional>

namespace sse {

namespace detail {
template <class Source, class Handler>
struct resume_handler;
} // namespace detail

/** A `message_source` over `net::experimental::coro<Item>`: a producer
    written as a coroutine that `co_yield`s messages.

    @code
    net::experimental::coro<sse::message> ticks(net::any_io_executor ex)
    {
        net::steady_timer timer(ex);
        for (int i = 1;; ++i) {
            timer.expires_after(1s);
            co_await timer.async_wait(net::experimental::use_coro);
            co_yield sse::message{}.id(i).data("tick");
        }
    }
    @endcode

    Each `async_next` resumes the coroutine until its next `co_yield`; the
    coroutine returning finishes the source. Cancelling `async_next` cancels
    what the coroutine awaits: with Asio 1.81's `use_coro` the cancelled
    wait returns (it does not throw) and the coroutine runs on to its next
    `co_yield`, so a producer that loops should not rely on an exception to
    stop. Destroying the source destroys the coroutine frame with every
    RAII object in it; Asio does that on a turn of the coroutine's
    executor, just after.

    An exception escaping the coroutine ends the source with
    `error::source_failed`; `exception()` returns it.
*/

template <class Item, class Executor, class Allocator>
class coro_source {
    template <class S, class H>
    friend struct detail::resume_handler;

public:
    using coro_type = net::experimental::coro<Item, void, Executor, Allocator>;
    using value_type = std::remove_cvref_t<Item>;

    static_assert(stream_item<value_type>, "coro_source: the coroutine must yield sse::basic_message or sse::serialized");

    explicit coro_source(coro_type c) noexcept : coro_(std::move(c)) {}

    coro_source(coro_source&&) noexcept = default;
    coro_source& operator=(coro_source&&) = delete;

    /** Resumes the coroutine until its next `co_yield`, or its end.

        @param token The completion token, with the signature
        @code void(error_code ec, std::optional<value_type> item) @endcode
        as `message_source` describes. The coroutine's executor runs it;
        the handler's associated executor, cancellation slot and allocator
        pass through to the resumption.
    */
    template <net::completion_token_for<void(error_code, std::optional<std::remove_cvref_t<Item>>)> Token>
    auto async_next(Token&& token);

    /// The exception that escaped the coroutine, if one did.
    std::exception_ptr exception() const noexcept { return exception_; }

private:
    template <class Handler>
    void start(Handler handler);

    error_code to_error(std::exception_ptr e);

    coro_type coro_;
    std::exception_ptr exception_;
};

} // namespace sse

namespace sse {

#ifndef SSE_DOXYGEN
template <class Item, class Executor, class Allocator>
    requires stream_item<std::remove_cvref_t<Item>>
struct source_adapter<net::experimental::coro<Item, void, Executor, Allocator>> {
    using type = coro_source<Item, Executor, Allocator>;
    static type adapt(net::experimental::coro<Item, void, Executor, Allocator>&& c) noexcept
    {
        return type(std::move(c));
    }
};
#endif

} // namespace sse

#include <sse/sources/impl/coro.hpp>

#endif
