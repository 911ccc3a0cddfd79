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
    what the coroutine awaits (with `use_coro` that throws
    `operation_aborted` inside it), and destroying the source destroys the
    coroutine frame with every RAII object in it.

    An exception escaping the coroutine ends the source with
    `error::source_failed`; `exception()` returns it.
*/
template <class Item, class Executor, class Allocator>
class coro_source {
public:
    using coro_type = net::experimental::coro<Item, void, Executor, Allocator>;
    using value_type = std::remove_cvref_t<Item>;

    static_assert(stream_item<value_type>, "coro_source: the coroutine must yield sse::basic_message or sse::serialized");

    explicit coro_source(coro_type c) noexcept : coro_(std::move(c)) {}

    coro_source(coro_source&&) noexcept = default;
    coro_source& operator=(coro_source&&) = delete;

    template <net::completion_token_for<void(error_code, std::optional<value_type>)> Token>
    auto async_next(Token&& token)
    {
        return net::async_initiate<Token, void(error_code, std::optional<value_type>)>(
            [this](auto handler) { this->start(std::move(handler)); }, token
        );
    }

    /// The exception that escaped the coroutine, if one did.
    std::exception_ptr exception() const noexcept { return exception_; }

private:
    template <class Handler>
    void start(Handler handler)
    {
        auto slot = net::get_associated_cancellation_slot(handler);
        auto ex = net::get_associated_executor(handler, coro_.get_executor());
        if constexpr (coro_type::is_noexcept) {
            coro_.async_resume(net::bind_cancellation_slot(
                slot,
                net::bind_executor(ex, [h = std::move(handler)](std::optional<value_type> item) mutable {
                    std::move(h)(error_code(), std::move(item));
                })
            ));
        } else {
            coro_.async_resume(net::bind_cancellation_slot(
                slot,
                net::bind_executor(
                    ex,
                    [this, h = std::move(handler)](std::exception_ptr e, std::optional<value_type> item) mutable {
                        std::move(h)(to_error(e), std::move(item));
                    }
                )
            ));
        }
    }

    error_code to_error(std::exception_ptr e)
    {
        if (!e)
            return {};
        try {
            std::rethrow_exception(e);
        } catch (boost::system::system_error const& se) {
            if (se.code() == net::error::operation_aborted)
                return se.code();
        } catch (...) {
        }
        exception_ = e;
        return make_error_code(error::source_failed);
    }

    coro_type coro_;
    std::exception_ptr exception_;
};

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

#endif
