//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_SOURCES_IMPL_CORO_HPP
#define SSE_SOURCES_IMPL_CORO_HPP

#include <boost/asio/associator.hpp>

namespace sse {

namespace detail {

// Adapts the handler of async_next to the coroutine's completion signature,
// passing its associated executor, cancellation slot and allocator through
// instead of copying them into binders.
template <class Source, class Handler>
struct resume_handler {
    Source* source;
    Handler handler;

    template <class Item>
    void operator()(std::optional<Item> item)
    {
        std::move(handler)(error_code(), std::move(item));
    }

    template <class Item>
    void operator()(std::exception_ptr e, std::optional<Item> item)
    {
        std::move(handler)(source->to_error(e), std::move(item));
    }
};

} // namespace detail

template <class Item, class Executor, class Allocator>
template <net::completion_token_for<void(error_code, std::optional<std::remove_cvref_t<Item>>)> Token>
auto coro_source<Item, Executor, Allocator>::async_next(Token&& token)
{
    return net::async_initiate<Token, void(error_code, std::optional<value_type>)>(
        [this](auto handler) { this->start(std::move(handler)); }, token
    );
}

template <class Item, class Executor, class Allocator>
template <class Handler>
void coro_source<Item, Executor, Allocator>::start(Handler handler)
{
    coro_.async_resume(detail::resume_handler<coro_source, Handler>{this, std::move(handler)});
}

template <class Item, class Executor, class Allocator>
error_code coro_source<Item, Executor, Allocator>::to_error(std::exception_ptr e)
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

} // namespace sse

template <template <class, class> class Associator, class Source, class Handler, class Default>
struct boost::asio::associator<Associator, sse::detail::resume_handler<Source, Handler>, Default>
    : Associator<Handler, Default> {
    static typename Associator<Handler, Default>::type get(sse::detail::resume_handler<Source, Handler> const& h) noexcept
    {
        return Associator<Handler, Default>::get(h.handler);
    }
    static auto get(sse::detail::resume_handler<Source, Handler> const& h, Default const& d) noexcept
    {
        return Associator<Handler, Default>::get(h.handler, d);
    }
};

#endif
