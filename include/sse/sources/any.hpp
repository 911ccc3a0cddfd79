//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_SOURCES_ANY_HPP
#define SSE_SOURCES_ANY_HPP

#include <sse/detail/config.hpp>
#include <sse/message_source.hpp>
#include <sse/serialized.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <type_traits>
#include <vector>

namespace sse {

namespace detail {
struct any_source_base;
} // namespace detail

/** A `message_source` of `serialized` items that holds any other source.

    One type for every source: a handler that answers some requests with a
    coroutine and others with a broadcaster subscription returns
    `stream_response<any_message_source>` (or `sse::response`), and a
    connection that runs many streams (HTTP/2) keeps them in one container.

    The wrapped source lives on the heap and is destroyed with the
    `any_message_source`. Messages it yields are serialized as they arrive;
    `serialized` items pass through untouched. When the wrapped source can
    hand over a backlog without waiting (it has `try_take`, as a
    broadcaster `subscription` does), `try_take` forwards to it, so a
    stream drains that backlog in one turn as it would unwrapped.

    Any `adaptable_source` converts implicitly: a `message_source`, a
    `net::experimental::coro` of messages, a channel, an input range (with
    the matching `<sse/sources/...>` header included). So does a
    `stream_response` of any of them into `stream_response<any_message_source>`.

    @par Example
    @code
    sse::stream_response<sse::any_message_source> pick(request const& req, sse::broadcaster& hub, net::any_io_executor ex)
    {
        if (req.target() == "/ticks")
            return sse::stream_response{req, ticks(ex)};   // a coroutine
        return sse::stream_response{req, hub.subscribe(req, "news")}; // a subscription
    }
    @endcode

    @par Object lifetimes
    A moved-from `any_message_source` holds nothing: it may only be
    destroyed or assigned to.

    @par Thread Safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
class any_message_source {
public:
    /// Every item is delivered serialized.
    using value_type = serialized;

    /** Wraps a source, or anything that adapts to one.

        @param source The source; it is moved (or, for a channel's
        `shared_ptr`, copied) into a heap allocation owned by this object.
    */
    template <class S>
        requires(!std::same_as<std::remove_cvref_t<S>, any_message_source> && adaptable_source<S> &&
                 requires(S&& s) { source_adapter<std::remove_cvref_t<S>>::adapt(std::forward<S>(s)); })
    any_message_source(S&& source); // NOLINT(google-explicit-constructor): conversion by design

    any_message_source(any_message_source&&) noexcept;
    any_message_source& operator=(any_message_source&&) noexcept;
    any_message_source(any_message_source const&) = delete;
    any_message_source& operator=(any_message_source const&) = delete;

    /// Destroys the wrapped source.
    ~any_message_source();

    /** Waits for the next item of the wrapped source.

        Starts the wrapped source's `async_next` and completes with what it
        delivers, a message converted to `serialized` on the way. At most
        one operation may be outstanding.

        @param token The completion token. The handler signature is
        @code void handler(error_code ec, std::optional<serialized> item) @endcode
        with the meaning given by `message_source`. The handler is invoked
        as if by `net::post`, never from within this function: the wrapped
        source completes that way on the handler's executor, and the
        handler is called from that completion.

        @par Executor
        The handler must have an associated executor that converts to
        `net::any_io_executor` (every Asio I/O executor, a strand of one,
        `net::system_executor`; a coroutine's token has one): the wrapped
        source sees it as a `net::any_io_executor`, and may post the
        completion to it. A handler without one, such as a plain lambda,
        is refused at compile time, on every Boost version: bind one with
        `net::bind_executor(ex, handler)`.

        @par Per-Operation Cancellation
        Whatever the wrapped source supports (every adapter of this library
        supports `terminal`, `partial` and `total`): the handler's
        associated cancellation slot is the one the wrapped source sees.

        @par Allocation
        One allocation per call, for the type-erased handler, made with the
        handler's associated allocator.
    */
    template <net::completion_token_for<void(error_code, std::optional<serialized>)> CompletionToken>
    auto async_next(CompletionToken&& token);

    /** Waits until the wrapped source fails while it is not asked.

        Forwards to the wrapped source's `async_wait_failure` when it has
        one (a broadcaster `subscription` does); otherwise completes with
        `net::error::operation_not_supported`. The handler's executor,
        slot and allocator are seen as for `async_next`.

        @code void handler(error_code ec) @endcode
    */
    template <net::completion_token_for<void(error_code)> CompletionToken>
    auto async_wait_failure(CompletionToken&& token);

    /** Whether the wrapped source has an `async_wait_failure`.

        A stream whose source has one watches it while a slow peer holds
        the stream back, and ends at once when it fails.
    */
    bool reports_failure() const noexcept;

    /** Takes what the wrapped source already holds, without waiting.

        Forwards to the wrapped source's `try_take(std::vector<Item>&,
        std::size_t max_bytes)`, converting messages to `serialized`, when
        it has one; otherwise takes nothing.

        @return How many items were appended to `out`.
    */
    std::size_t try_take(std::vector<serialized>& out, std::size_t max_bytes);

    /** Whether the wrapped source has a `try_take`.

        A stream that knows its source has none never asks it for a
        backlog; one that has it writes what it took at once, since the
        source holds nothing more until its producer runs again.
    */
    bool takes_backlog() const noexcept;

private:
    std::unique_ptr<detail::any_source_base> impl_;
};

} // namespace sse

#include <sse/impl/any_message_source.hpp>

#endif
