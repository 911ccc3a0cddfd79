//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_SOURCES_CHANNEL_HPP
#define SSE_SOURCES_CHANNEL_HPP

#include <sse/message_source.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/experimental/basic_channel.hpp>
#include <boost/asio/experimental/basic_concurrent_channel.hpp>
#include <boost/asio/experimental/channel_error.hpp>

#include <memory>
#include <optional>

namespace sse {

/** A `message_source` that receives from a channel other code sends into.

    `Channel` is a `net::experimental::channel<void(error_code, Item)>` or a
    `concurrent_channel` of that signature, where `Item` is a message or
    `serialized`. Closing the channel finishes the source (after what was
    already sent); a value sent with an error code fails it with that error.

    With Boost 1.81 only (Asio 1.26), `close()` discards what a buffered
    channel still holds, so the last messages sent before it may never
    arrive; from Boost 1.82 on they are received first. To end a stream
    after its last message on every version, close an unbuffered channel
    (capacity 0: each `async_send` completes once the message is taken),
    or close only after the buffered messages were taken.

    The source shares the channel through a `std::shared_ptr`. When the
    source is destroyed, as `stream_response` does once the peer goes away,
    it closes the channel: the producer's next `async_send` fails with
    `net::experimental::error::channel_closed`, which is how it learns that
    nobody is listening.

    @code
    auto ch = std::make_shared<net::experimental::channel<void(sse::error_code, sse::message)>>(ex, 64);
    net::co_spawn(ex, produce(ch), net::detached); // co_await ch->async_send({}, msg, ...)
    co_await sse::async_write(stream, sse::stream_response{req, ch}, net::use_awaitable);
    @endcode
*/
template <class Channel, class Item>
class channel_source {
public:
    using value_type = Item;

    explicit channel_source(std::shared_ptr<Channel> channel) noexcept : channel_(std::move(channel)) {}

    channel_source(channel_source&&) noexcept = default;
    channel_source& operator=(channel_source&&) = delete;

    ~channel_source()
    {
        if (channel_)
            channel_->close();
    }

    /// The channel.
    Channel& channel() const noexcept { return *channel_; }

    /** Receives the next message from the channel.

        @param token The completion token, with the signature
        @code void(error_code ec, std::optional<value_type> item) @endcode
        as `message_source` describes: the channel closed finishes the
        source, a cancelled receive is `net::error::operation_aborted`. The
        handler's associated executor (the channel's when it has none) and
        cancellation slot apply to the receive.
    */
    template <net::completion_token_for<void(error_code, std::optional<Item>)> Token>
    auto async_next(Token&& token);

private:
    std::shared_ptr<Channel> channel_;
};

namespace detail {

template <class Channel>
struct channel_item {};

template <class Executor, class Traits, class Item>
struct channel_item<net::experimental::basic_channel<Executor, Traits, void(error_code, Item)>> {
    using type = Item;
};

template <class Executor, class Traits, class Item>
struct channel_item<net::experimental::basic_concurrent_channel<Executor, Traits, void(error_code, Item)>> {
    using type = Item;
};

} // namespace detail

#ifndef SSE_DOXYGEN
template <class Channel>
    requires stream_item<typename detail::channel_item<Channel>::type>
struct source_adapter<std::shared_ptr<Channel>> {
    using type = channel_source<Channel, typename detail::channel_item<Channel>::type>;
    static type adapt(std::shared_ptr<Channel> c) noexcept { return type(std::move(c)); }
};
#endif

} // namespace sse

#include <sse/sources/impl/channel.hpp>

#endif
