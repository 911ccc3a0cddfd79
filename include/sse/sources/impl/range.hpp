//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_SOURCES_IMPL_RANGE_HPP
#define SSE_SOURCES_IMPL_RANGE_HPP

#include <sse/detail/handler_executor.hpp>

#include <boost/asio/post.hpp>

namespace sse {

template <std::ranges::input_range Range>
    requires stream_item<std::remove_cvref_t<std::ranges::range_value_t<Range>>>
template <net::completion_token_for<
    void(error_code, std::optional<std::remove_cvref_t<std::ranges::range_value_t<Range>>>)> Token>
auto range_source<Range>::async_next(Token&& token)
{
    return net::async_initiate<Token, void(error_code, std::optional<value_type>)>(
        [this](auto handler) {
            // The item is made when the posted function runs, so that it
            // is not moved through every layer of the post.
            auto ex = detail::handler_executor(handler);
            net::post(ex, [this, h = std::move(handler)]() mutable {
                std::optional<value_type> item = this->next();
                std::move(h)(error_code(), std::move(item));
            });
        },
        token
    );
}

template <std::ranges::input_range Range>
    requires stream_item<std::remove_cvref_t<std::ranges::range_value_t<Range>>>
auto range_source<Range>::next() -> std::optional<value_type>
{
    if (!it_)
        it_.emplace(std::ranges::begin(range_));
    if (*it_ == std::ranges::end(range_))
        return std::nullopt;
    std::optional<value_type> item;
    if constexpr (std::ranges::view<Range>)
        item.emplace(**it_);
    else
        item.emplace(std::ranges::iter_move(*it_));
    ++*it_;
    return item;
}

} // namespace sse

#endif
