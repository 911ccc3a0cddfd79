//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_SOURCES_IMPL_CHANNEL_HPP
#define SSE_SOURCES_IMPL_CHANNEL_HPP

namespace sse {

template <class Channel, class Item>
template <net::completion_token_for<void(error_code, std::optional<Item>)> Token>
auto channel_source<Channel, Item>::async_next(Token&& token)
{
    return net::async_initiate<Token, void(error_code, std::optional<value_type>)>(
        [this](auto handler) {
            auto slot = net::get_associated_cancellation_slot(handler);
            auto ex = net::get_associated_executor(handler, channel_->get_executor());
            auto receive = [h = std::move(handler)](error_code ec, value_type item) mutable {
                if (ec == net::experimental::error::channel_closed)
                    std::move(h)(error_code(), std::nullopt);
                else if (ec == net::experimental::error::channel_cancelled)
                    std::move(h)(error_code(net::error::operation_aborted), std::nullopt);
                else if (ec)
                    std::move(h)(ec, std::nullopt);
                else
                    std::move(h)(error_code(), std::optional<value_type>(std::move(item)));
            };
            channel_->async_receive(net::bind_cancellation_slot(slot, net::bind_executor(ex, std::move(receive))));
        },
        token
    );
}

} // namespace sse

#endif
