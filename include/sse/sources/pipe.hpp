//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_SOURCES_PIPE_HPP
#define SSE_SOURCES_PIPE_HPP

#include <sse/detail/config.hpp>
#include <sse/message.hpp>
#include <sse/message_source.hpp>
#include <sse/serialized.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution_context.hpp>

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace sse {

class stream_writer;
class pipe_source;

namespace detail {
class pipe_state;
struct pipe_access;
} // namespace detail

/// The default capacity of a pipe: 64 KiB of serialized messages.
inline constexpr std::size_t default_pipe_capacity = 64 * 1024;

/** The producer's end of a pipe: a push-style writer for one event stream.

    A producer written as a coroutine sends messages with `co_await
    out.async_send(msg)`. While the pipe has room the send completes at
    once: the message is serialized into the pipe's buffer, and the
    coroutine goes on without a post or a turn of the executor (the
    awaitable's frame comes from Asio's per-thread recycling allocator, the
    buffer is reused: no allocation once warm). Only when the pipe is full
    does it wait, until the stream has taken what is queued. The stream
    takes everything queued in one go (`pipe_source::try_take`), so a fast
    producer costs a wake-up or two per write, not one coroutine resumption
    (with an allocation) per message as a `coro` producer does.

    @par Example
    @code
    net::awaitable<void> ticks(sse::stream_writer out, int count)
    {
        sse::message msg;       // reused: no allocation per event once warm
        for (int i = 1; i <= count; ++i) {
            msg.clear();
            msg.id(i).data("tick");
            co_await out.async_send(msg);   // throws when the stream has ended
        }
    }   // returning ends the stream, after everything sent

    // In a request handler, on the connection's executor `ex`:
    auto source = sse::spawn_writer(ex, [](sse::stream_writer out) { return ticks(std::move(out), 100); });
    return sse::stream_response{req, std::move(source)};
    @endcode

    A writer comes from `spawn_writer` (the usual way: the producer runs as
    a coroutine, and is cancelled when the stream ends) or from `make_pipe`
    (for a producer of any kind, on any thread).

    @par When the stream ends
    Once the stream's source is destroyed (the peer went away, a send timed
    out, the stream was cancelled), every send fails with
    `net::error::broken_pipe`, including one waiting for room; `is_open()`
    returns false. A producer started by `spawn_writer` is also cancelled
    (terminal cancellation of what it awaits, on its executor), so one that
    sleeps on a timer ends at once, and its coroutine frame is destroyed.

    @par Ending the stream
    `close()` ends the stream after every message already sent (nothing
    queued is lost); `close(ec)` ends it the same way, then with the error
    `ec`. Destroying a writer that came from `make_pipe` closes it; with
    `spawn_writer`, the producer's coroutine returning closes it, and an
    exception escaping it ends the stream with `error::source_failed` (see
    `pipe_source::exception()`).

    @par Memory
    The pipe keeps its buffer between bursts, up to its capacity (64 KiB
    by default): a stream that once ran fast holds that much while it is
    open. Give many streams that burst a smaller capacity. A message larger
    than the capacity is queued alone, and its storage is not kept.

    @par Thread Safety
    Distinct objects: Safe. Shared objects: Unsafe. The writer and its
    `pipe_source` share the pipe's state under a mutex: the producer may
    run on another executor, or another thread, than the stream. A
    completion is posted to its handler's associated executor (the
    producer's for a send, the stream's for the source's operations).

    @see make_pipe, spawn_writer, pipe_source
*/
class stream_writer {
public:
    /// Moves the writer; `other` holds nothing afterwards.
    stream_writer(stream_writer&& other) noexcept;

    /// Moves the writer, first releasing the one held (see the destructor).
    stream_writer& operator=(stream_writer&& other) noexcept;

    stream_writer(stream_writer const&) = delete;
    stream_writer& operator=(stream_writer const&) = delete;

    /** Destroys the writer.

        A writer made by `make_pipe` is closed: the stream ends after what
        was sent. One given to a `spawn_writer` producer is not: the
        producer's end closes the pipe.
    */
    ~stream_writer();

    /** Sends a message if the pipe has room, without waiting.

        @param item A `basic_message` or `serialized`. It is serialized (or
        copied) into the pipe's buffer; the caller keeps it.

        @return `true` when the item is queued; `false` when the pipe is
        full, closed, or its stream has ended (`is_open()` tells which).
    */
    template <stream_item Item>
    bool try_send(Item const& item);

    /** Sends a message from a `net::awaitable` coroutine, waiting only when the pipe is full.

        While the pipe has room (less than its capacity is queued, or
        nothing is), the item is serialized into the pipe's buffer and the
        returned awaitable completes when it is awaited, without a post or
        a turn of the executor. When the pipe is full it waits until the
        stream has taken enough, as `async_send(item, net::use_awaitable)`.

        Await the result at once: the item is read when the awaitable
        runs. This overload is for coroutines of `net::awaitable<T>` (the
        default `net::any_io_executor`); other coroutines and callbacks
        use the overload with a completion token.

        @param item A `basic_message` or `serialized`. It must remain valid
        until the returned awaitable completes; ownership is not
        transferred.

        @throws system_error with `net::error::broken_pipe` when the stream
        has ended, `net::error::shut_down` after `close()`, or
        `net::error::operation_aborted` when a wait for room was cancelled
        (the item was not sent).
    */
    template <stream_item Item>
    net::awaitable<void> async_send(Item const& item);

    /** Sends a message, waiting while the pipe is full.

        The item is queued at once when the pipe has room; otherwise it is
        serialized into a slot of its own and queued as soon as the stream
        has taken enough.

        @param item A `basic_message` or `serialized`. It is read when the
        operation starts (with `net::deferred`, when the deferred operation
        is launched); the caller keeps it.

        @param token The completion token. The handler signature is
        @code void handler(error_code ec) @endcode
        where `ec` is empty when the item is queued, and otherwise
        `net::error::broken_pipe` (the stream has ended),
        `net::error::shut_down` (the writer was closed) or
        `net::error::operation_aborted` (the wait was cancelled; the item
        was not sent). The handler is invoked as if by `net::post`, never
        from within this function, even when the item was queued at once:
        for the fast path of coroutines, use the overload without a token.

        @par Executor
        The handler must have an associated executor that converts to
        `net::any_io_executor` (a coroutine's token has one); its
        completion is posted there. While the operation waits, it counts as
        work on that executor.

        @par Per-Operation Cancellation
        `terminal`, `partial` and `total`: a wait for room ends with
        `net::error::operation_aborted`, and the item is not sent. An item
        queued at once is sent whatever is cancelled afterwards.

        At most one `async_send` may be outstanding.
    */
    template <stream_item Item, net::completion_token_for<void(error_code)> CompletionToken>
    auto async_send(Item const& item, CompletionToken&& token);

    /** Ends the stream after everything sent.

        A send waiting for room at that moment is still queued when room
        comes, and the stream ends after it. Closing twice, or after the
        stream has ended, does nothing.

        @param ec Empty (the default): the stream ends cleanly. Otherwise
        the source fails with `ec` once what was sent is written: the
        stream's completion reports it.
    */
    void close(error_code ec = {});

    /// Whether a send can still succeed: not closed, and the stream has not ended.
    bool is_open() const;

    /// The pipe's capacity in bytes of serialized messages.
    std::size_t capacity() const noexcept;

private:
    friend struct detail::pipe_access;

    stream_writer(std::shared_ptr<detail::pipe_state> state, bool closes) noexcept;

    void release() noexcept;

    std::shared_ptr<detail::pipe_state> state_;
    bool closes_ = true;
};

/** The stream's end of a pipe: a `message_source` of what a `stream_writer` sends.

    Each item it yields is a `serialized` holding every message queued
    since the last one, whole messages in the order they were sent.
    `try_take` hands over what is queued without waiting, so the stream
    writes a fast producer's backlog in one turn.

    Give it to a `stream_response` (or any sink of this library); it is
    destroyed when the stream ends, and then the writer's sends fail with
    `net::error::broken_pipe` and a `spawn_writer` producer is cancelled.

    @par Thread Safety
    Distinct objects: Safe. Shared objects: Unsafe. The writer may be used
    on another thread at the same time (see `stream_writer`).
*/
class pipe_source {
public:
    /// Every item is delivered serialized.
    using value_type = serialized;

    /// Moves the source; `other` holds nothing afterwards.
    pipe_source(pipe_source&& other) noexcept = default;
    pipe_source& operator=(pipe_source&&) = delete;

    /** Destroys the source: the writer's sends fail from now on, and a
        producer started by `spawn_writer` is cancelled.
    */
    ~pipe_source();

    /** Waits for what the writer sends.

        Completes with everything queued (whole messages, in one
        `serialized`) as soon as something is; with no item once the
        writer is closed and everything was delivered; with the writer's
        error after `close(ec)`.

        @param token The completion token. The handler signature is
        @code void handler(error_code ec, std::optional<serialized> item) @endcode
        with the meaning given by `message_source`. The handler is invoked
        as if by `net::post`, never from within this function.

        @par Executor
        The handler must have an associated executor that converts to
        `net::any_io_executor`: the completion is posted to it. A handler
        without one, such as a plain lambda, is refused at compile time:
        bind one with `net::bind_executor(ex, handler)`.

        @par Per-Operation Cancellation
        `terminal`, `partial` and `total`: a pending wait ends with
        `net::error::operation_aborted`; nothing is taken.

        At most one `async_next` may be outstanding.
    */
    template <net::completion_token_for<void(error_code, std::optional<serialized>)> CompletionToken>
    auto async_next(CompletionToken&& token);

    /** Takes what is queued, without waiting.

        Appends one `serialized` holding the queued messages: at least
        one if any is queued, then more while the total stays within
        `max_bytes`. A send waiting for room is queued as room comes.

        @return How many items were appended to `out` (0 or 1).
    */
    std::size_t try_take(std::vector<serialized>& out, std::size_t max_bytes);

    /// The exception that escaped a `spawn_writer` producer, if one did.
    std::exception_ptr exception() const;

private:
    friend struct detail::pipe_access;

    explicit pipe_source(std::shared_ptr<detail::pipe_state> state) noexcept;

    std::shared_ptr<detail::pipe_state> state_;
};

/** Makes a pipe: a `stream_writer` and the `pipe_source` it feeds.

    For a producer that is not a coroutine of its own (a callback, another
    thread, a loop that already runs): it sends with `try_send` or
    `async_send(item, token)`, and learns that the stream has ended when a
    send fails with `net::error::broken_pipe`. For a coroutine producer,
    `spawn_writer` is shorter, and cancels the producer when the stream
    ends.

    @par Example
    @code
    auto [out, source] = sse::make_pipe();
    feed.on_quote([out = std::make_shared<sse::stream_writer>(std::move(out))](quote const& q) {
        out->try_send(sse::message{}.event("quote").json(q)); // dropped when full
    });
    co_await sse::async_write(stream, sse::stream_response{req, std::move(source)}, net::use_awaitable);
    @endcode

    @param capacity How many bytes of serialized messages may wait in the
    pipe before a send waits. A message larger than that is queued alone.
*/
std::pair<stream_writer, pipe_source> make_pipe(std::size_t capacity = default_pipe_capacity);

namespace detail {

// A producer for spawn_writer: called once with the writer (as an lvalue
// if it takes one, else as an rvalue), it returns the awaitable to run.
template <class Producer>
concept pipe_producer = std::is_invocable_r_v<net::awaitable<void>, std::decay_t<Producer>&, stream_writer&> ||
                        std::is_invocable_r_v<net::awaitable<void>, std::decay_t<Producer>&, stream_writer&&>;

} // namespace detail

/** Runs a producer coroutine that writes into a new pipe, and returns the pipe's source.

    `producer` is called once, with the writer, and returns a
    `net::awaitable<void>` that is `co_spawn`ed on `ex`. The callable is
    kept until the coroutine ends, so the captures of a lambda remain
    valid in it.

    - The coroutine returning closes the pipe: the stream ends after
      everything sent.
    - An exception escaping it ends the stream with `error::source_failed`
      after everything sent (`pipe_source::exception()` returns it);
      `net::error::operation_aborted` ends it with that error. Once the
      stream has ended, the exception is only the producer's way out and is
      dropped.
    - When the source is destroyed (the stream ended), the coroutine's
      current wait is cancelled (`terminal`, emitted on `ex`), and its sends
      fail with `net::error::broken_pipe`: its frame is destroyed as it
      unwinds.

    @par Example
    @code
    sse::response stream(sse::request const& req, net::any_io_executor const& ex)
    {
        return sse::stream_response{req, sse::spawn_writer(ex, [](sse::stream_writer out) -> net::awaitable<void> {
            net::steady_timer timer(co_await net::this_coro::executor);
            for (int i = 1;; ++i) {
                co_await out.async_send(sse::message{}.id(i).data("tick"));
                timer.expires_after(std::chrono::seconds(1));
                co_await timer.async_wait(net::use_awaitable); // cancelled when the client leaves
            }
        })};
    }
    @endcode

    @param ex The executor the producer runs on: the connection's (a
    strand), or another one; the pipe is thread-safe.
    @param producer A callable taking `stream_writer&` or `stream_writer`
    and returning `net::awaitable<void>`. It is decay-copied.
    @param capacity As for `make_pipe`.
*/
template <class Executor, class Producer>
    requires(std::is_convertible_v<Executor const&, net::any_io_executor> && detail::pipe_producer<Producer>)
pipe_source spawn_writer(Executor const& ex, Producer&& producer, std::size_t capacity = default_pipe_capacity);

/// Runs a producer on an execution context's executor (see above).
template <class ExecutionContext, class Producer>
    requires(std::is_convertible_v<ExecutionContext&, net::execution_context&> && detail::pipe_producer<Producer>)
pipe_source spawn_writer(ExecutionContext& context, Producer&& producer, std::size_t capacity = default_pipe_capacity);

} // namespace sse

#include <sse/sources/impl/pipe.hpp>

#endif
