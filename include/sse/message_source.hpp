//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_MESSAGE_SOURCE_HPP
#define SSE_MESSAGE_SOURCE_HPP

#include <sse/detail/config.hpp>
#include <sse/message.hpp>
#include <sse/serialized.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include <concepts>
#include <optional>
#include <type_traits>
#include <utility>

namespace sse {

namespace detail {

template <class T>
struct is_basic_message : std::false_type {};

template <class Allocator>
struct is_basic_message<basic_message<Allocator>> : std::true_type {};

// What a library operation hands to async_next: a handler with an
// executor and a cancellation slot.
template <class Item>
struct next_handler_archetype {
    using executor_type = net::any_io_executor;
    executor_type get_executor() const noexcept { return {}; }

    using cancellation_slot_type = net::cancellation_slot;
    cancellation_slot_type get_cancellation_slot() const noexcept { return {}; }

    void operator()(error_code, std::optional<Item>) {}
};

// The same for async_wait_failure.
struct failure_handler_archetype {
    using executor_type = net::any_io_executor;
    executor_type get_executor() const noexcept { return {}; }

    using cancellation_slot_type = net::cancellation_slot;
    cancellation_slot_type get_cancellation_slot() const noexcept { return {}; }

    void operator()(error_code) {}
};

// Whether a source can report a failure while it is not asked.
template <class S>
inline constexpr bool reports_failure = requires(S& s, failure_handler_archetype h) {
    s.async_wait_failure(std::move(h));
};

// Whether this source reports a failure while it is not asked: a source
// may say so at run time (a subscription that is never dropped, an
// any_message_source for what it wraps).
template <class S>
bool source_reports_failure(S const& source) noexcept
{
    if constexpr (requires { { source.reports_failure() } noexcept -> std::convertible_to<bool>; })
        return reports_failure<S> && source.reports_failure();
    else
        return reports_failure<S>;
}

} // namespace detail

/** What a source may yield: a `basic_message`, or `serialized` wire bytes. */
template <class T>
concept stream_item = detail::is_basic_message<T>::value || std::same_as<T, serialized>;

/** An asynchronous source of messages: "give me the next one, or tell me you're done".

    Given a type `S` and an lvalue `s` of type `S`:

    @li `S::value_type` is a `stream_item`: a `basic_message<...>` or `serialized`.
    @li `s.async_next(handler)` starts one operation, at most one at a time,
        that completes with the signature
        @code void(error_code ec, std::optional<S::value_type> item) @endcode
        - `!ec && item`: the next item;
        - `!ec && !item`: the source is finished, and `async_next` is not
          called again;
        - `ec`: the source failed, or was cancelled.
    @li The completion handler is invoked as if by `net::post` to its
        associated executor, never inside `async_next`.
    @li Per-operation cancellation through the handler's associated
        cancellation slot ends a pending `async_next` promptly with
        `net::error::operation_aborted`. `stream_response` cancels this way
        when the peer goes away, then destroys the source: a source's
        destructor is where a producer is torn down.

    @par What the author of a source may rely on
    Every handler this library passes to `async_next` (from
    `async_write`, `http1::async_serve`, `http2::async_serve` and
    `any_message_source`) has an associated executor that converts to
    `net::any_io_executor` (the connection's executor or strand) and an
    associated `net::cancellation_slot`; the library's call comes from
    that executor, and the handler may be posted to it. A source that
    owns an I/O object may fall back to that object's executor, as Asio's
    own operations do. A source that has none (a broadcaster's
    `subscription`, `range_source`, `any_message_source`) needs the
    handler's, and refuses at compile time a handler that has no
    associated executor, such as a plain lambda: give it one with
    `net::bind_executor(ex, handler)`, or use a coroutine's token. This
    rule is the same on every supported Boost version (Asio's own default
    for such a handler moved from `system_executor` to `inline_executor`,
    which cannot be posted to, in Boost 1.90).

    @par Optional members
    A source may also have these; `stream_response` uses them when it
    finds them:
    @li `s.try_take(std::vector<S::value_type>& out, std::size_t max_bytes)`
        appends what the source already holds, without waiting (at least
        one item if it holds any, then more while their total size stays
        within `max_bytes`), and returns how many. A stream then writes a
        backlog in one turn instead of one turn per item.
    @li `s.async_wait_failure(handler)`, with the signature
        @code void(error_code ec) @endcode
        completes when the source fails (with the error, posted as
        `async_next`'s handler is), and must complete promptly with
        `net::error::operation_aborted` when cancelled (terminal) through
        the handler's slot: the stream neither destroys its source nor
        completes while the wait is out. A stream held back by a slow peer
        asks for nothing and waits on this instead: when it completes
        with an error, the stream ends at once, its write in flight cut
        short (HTTP/2: the stream is reset), with that error. The stream
        may start `async_next` as soon as it has cancelled the wait,
        before the wait's handler has run. Completing without an error
        means no news: the source is not watched again until it has been
        asked again. `net::error::operation_not_supported` means it cannot
        report (a wrapper around a source that cannot): it is not watched
        again. A `bool reports_failure() const noexcept` member, if any,
        says at run time whether the source can fail unasked at all.
        A broadcaster's `subscription` has all of them.

    Adapters make these models of the concept, without wrapping by hand:
    `net::experimental::coro<Item>` (`<sse/sources/coro.hpp>`), a channel
    (`<sse/sources/channel.hpp>`), and any `std::ranges::input_range` of
    items (`<sse/sources/range.hpp>`).
*/
template <class S>
concept message_source = requires { typename S::value_type; } && stream_item<typename S::value_type> &&
                         requires(S& s, detail::next_handler_archetype<typename S::value_type> h) {
                             s.async_next(std::move(h));
                         };

/** Customization point: how a value of type `T` becomes a `message_source`.

    A specialization has a member type `type`, the source, and a static
    member function `adapt(T&&)` returning it. Every `message_source` adapts
    to itself; the headers under `<sse/sources/>` add the others.
*/
template <class T>
struct source_adapter {};

#ifndef SSE_DOXYGEN
template <message_source S>
struct source_adapter<S> {
    using type = S;
    static S adapt(S&& s) noexcept(std::is_nothrow_move_constructible_v<S>) { return std::move(s); }
};
#endif

/// The source a value of type `T` becomes.
template <class T>
using source_for_t = typename source_adapter<std::remove_cvref_t<T>>::type;

/// A type that is, or adapts to, a `message_source`.
template <class T>
concept adaptable_source = requires { typename source_for_t<T>; } && message_source<source_for_t<T>>;

/// Adapts a value to its `message_source`.
template <adaptable_source T>
source_for_t<T> as_source(T&& value)
{
    return source_adapter<std::remove_cvref_t<T>>::adapt(std::forward<T>(value));
}

} // namespace sse

#endif
