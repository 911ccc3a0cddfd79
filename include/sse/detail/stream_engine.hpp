//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_DETAIL_STREAM_ENGINE_HPP
#define SSE_DETAIL_STREAM_ENGINE_HPP

// Every decision about one event stream, without I/O and without a clock:
// the queue and its cap, coalescing whole messages into writes, the
// heartbeat, the send timeout, when to ask the source for more and when to
// cancel or release it, and how the stream ended. It knows no HTTP version
// and no socket.
//
// A sink (HTTP/1.1 in impl/stream_response.hpp, HTTP/2 in
// http2/impl/serve.hpp) reports events, with the current time where time
// matters, then performs the actions next() returns, one at a time, until
// it returns none:
//
//     engine.wrote(ec, now);
//     for (auto a = engine.next(now); !a.is_none(); a = engine.next(now))
//         perform(a);
//
// Each action is returned once; the engine counts it as started (a write
// in flight, a source asked, a timer armed) until the event that ends it.

#include <sse/detail/config.hpp>
#include <sse/detail/encoder.hpp>
#include <sse/detail/message_queue.hpp>
#include <sse/error.hpp>
#include <sse/message_source.hpp>
#include <sse/stream_options.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/error.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <type_traits>
#include <vector>

namespace sse::detail {

// What a sink does next.
class stream_action {
public:
    using time_point = std::chrono::steady_clock::time_point;

    enum class type {
        none,           // nothing now: wait for an event
        ask_source,     // start the source's async_next; then source_yielded/finished/failed
        take_backlog,   // push what the source already holds, up to max_bytes(), without
                        // waiting (its try_take, if it has one); then backlog_taken
        write,          // write the payload (buffers()), then end the body if last(); then wrote
        defer_write,    // post a turn of the executor; then turn_done
        wait_until,     // arm the timer for expiry(); then timer_fired, whatever the outcome
        cancel_wait,    // cancel the pending wait (it fires at once, and is re-armed)
        cancel_source,  // cancel the pending async_next (terminal)
        release_source, // destroy the source: the producer is torn down
        watch_source,   // wait for the source to fail while it is not asked (its
                        // async_wait_failure); then source_watch_ended
        stop_source_watch, // cancel that wait (terminal); then source_watch_ended
        watch,          // start watching the peer; then watch_ended
        stop_watch,     // stop watching (HTTP/1.1: cancel the read); then watch_ended
        abort,          // end the stream at once, without its proper end: cancel the write in
                        // flight (then wrote), or reset the stream (HTTP/2)
        complete,       // the stream is over, every sub-operation done: result is error()
    };

    static stream_action none() noexcept { return stream_action(type::none); }
    static stream_action simple(type t) noexcept { return stream_action(t); }
    static stream_action take_backlog(std::size_t max_bytes) noexcept
    {
        stream_action a(type::take_backlog);
        a.bytes_ = max_bytes;
        return a;
    }
    static stream_action write(std::span<net::const_buffer const> payload, std::size_t bytes, bool last) noexcept
    {
        stream_action a(type::write);
        a.buffers_ = payload;
        a.bytes_ = bytes;
        a.last_ = last;
        return a;
    }
    static stream_action wait_until(time_point t) noexcept
    {
        stream_action a(type::wait_until);
        a.expiry_ = t;
        return a;
    }
    static stream_action complete(error_code ec) noexcept
    {
        stream_action a(type::complete);
        a.ec_ = ec;
        return a;
    }

    type get_type() const noexcept { return type_; }
    bool is_none() const noexcept { return type_ == type::none; }

    // write: the payload (whole messages, no framing) and its size; valid
    // until wrote().
    std::span<net::const_buffer const> buffers() const noexcept
    {
        SSE_ASSERT(type_ == type::write);
        return buffers_;
    }
    // write: the payload's size; take_backlog: the most bytes to take.
    std::size_t bytes() const noexcept
    {
        SSE_ASSERT(type_ == type::write || type_ == type::take_backlog);
        return bytes_;
    }
    std::size_t max_bytes() const noexcept { return bytes(); }
    // write: the body ends after this payload.
    bool last() const noexcept
    {
        SSE_ASSERT(type_ == type::write);
        return last_;
    }
    time_point expiry() const noexcept
    {
        SSE_ASSERT(type_ == type::wait_until);
        return expiry_;
    }
    error_code error() const noexcept
    {
        SSE_ASSERT(type_ == type::complete);
        return ec_;
    }

private:
    explicit stream_action(type t) noexcept : type_(t) {}

    type type_;
    std::span<net::const_buffer const> buffers_;
    std::size_t bytes_ = 0;
    bool last_ = false;
    time_point expiry_{};
    error_code ec_;
};

// How a sink watches for its peer going away.
enum class peer_watch {
    // A read on the connection (HTTP/1.1). It is stopped, and its end
    // awaited, before the end of the body is written: the next request
    // cannot have been sent yet, so the stream never reads a byte of it.
    connection_read,

    // The stream's own close (HTTP/2): it ends after the end of the body,
    // or when the peer resets the stream. It is not stopped.
    stream_close,
};

class stream_engine {
public:
    using clock = std::chrono::steady_clock;
    using time_point = clock::time_point;
    using action = stream_action;

    // `coding`: the body's content coding (every write is encoded and
    // flushed); `shared`: with gzip, from shared per-event blocks.
    stream_engine(
        stream_options const& options,
        peer_watch watch,
        content_coding coding = content_coding::identity,
        bool shared = false
    );

    // The heartbeat interval (zero: none).
    std::chrono::milliseconds heartbeat() const noexcept { return heartbeat_; }

    // ------------------------------------------------------------ events

    // The stream opens: the first write (the response header, with the
    // retry field if any) goes out at once.
    void start(time_point now);

    // The source's async_next completed: with an error, with nothing (the
    // source finished) or with an item.
    template <class Item>
    void source_completed(error_code ec, std::optional<Item> const& item)
    {
        if (ec)
            source_failed(ec);
        else if (!item)
            source_finished();
        else
            source_yielded(*item);
    }

    // The source's async_next delivered an item.
    template <class Item>
    void source_yielded(Item const& item)
    {
        SSE_ASSERT(source_ == source_state::busy);
        source_ = source_state::idle;
        if (finishing_ || aborted_)
            return; // the source is on its way out: the item is dropped
        queue_.push(item);
        ++arrivals_;
        backlog_wanted_ = takes_backlog_;
    }

    // One item of a backlog (take_backlog).
    template <class Item>
    void push(Item const& item)
    {
        if (!finishing_ && !aborted_)
            queue_.push(item);
    }

    // The backlog is taken (its items pushed). The source holds nothing
    // more, and can hold more only once its producer runs again: a
    // deferring turn would delay the write and gain nothing, so it goes now.
    void backlog_taken() noexcept { drained_ = true; }

    // The source finished: what is queued is written, then the body ends.
    void source_finished() noexcept;

    // The source failed with `ec`: what is queued is written, the body
    // ends, and the stream reports `ec`.
    void source_failed(error_code ec) noexcept;

    // The write completed. An error means the peer is gone, except the
    // transport's own timeout, reported as it is.
    void wrote(error_code ec, time_point now) noexcept;

    // The watch ended: with bytes from the peer (`data`), with an error, or
    // because it was stopped.
    void watch_ended(error_code ec, bool data) noexcept;

    // The timer's wait ended, fired or cancelled.
    void timer_fired(time_point now) noexcept;

    // The deferring turn came back.
    void turn_done() noexcept;

    // Per-operation cancellation: terminal ends the stream at once, with
    // nothing more written; partial and total end it cleanly (what is
    // queued, then the end of the body). Either reports operation_aborted.
    void cancelled(net::cancellation_type type) noexcept;

    // Whether the source can hand over what it holds without waiting (it
    // has try_take): if not, no take_backlog action is ever returned.
    void set_source_takes_backlog(bool can) noexcept { takes_backlog_ = can; }

    // Whether the source can report a failure while it is not asked (it
    // has async_wait_failure): if so, a stream held back behind a slow peer
    // watches it, and ends at once when it fails.
    void set_source_reports_failure(bool can) noexcept { reports_failure_ = can; }

    // The source's async_wait_failure completed: with the error the source
    // failed with, or because it was stopped.
    void source_watch_ended(error_code ec) noexcept;

    // The connection holds too many bytes for all its streams (HTTP/2): no
    // more asking the source until it drains.
    void set_backpressure(bool on) noexcept { backpressure_ = on; }

    // Bytes the peer sent could not be kept for the connection: the stream
    // reports unexpected_data even if it ended cleanly.
    void peer_bytes_lost() noexcept;

    // ----------------------------------------------------------- actions

    // The next action. `now` is a function returning the current time,
    // called only when the action needs it (a write starts): reading the
    // clock costs more than deciding.
    template <class Now>
        requires std::is_invocable_r_v<time_point, Now&>
    action next(Now&& now);

    // The next action, at a time given.
    action next(time_point now)
    {
        return next([now] { return now; });
    }

    // -------------------------------------------------------- observers

    // Bytes serialized and not yet written, the write in flight included.
    std::size_t queued() const noexcept { return queue_.queued(); }

    // The complete action was returned (its error is the stream's result).
    bool done() const noexcept { return completed_; }

    // After wrote(): the write was the header alone or a heartbeat, and
    // nothing is queued. The stream is idle: the engine kept no storage for
    // the next write, and the sink need not either.
    bool idle() const noexcept { return idle_; }

private:
    enum class source_state { idle, busy, gone };
    enum class watch_state { off, active, stopping, done };
    enum class source_watch_state { off, active, stopping };

    void finish(error_code ec) noexcept;
    void abort(error_code ec) noexcept;
    bool would_defer() const noexcept;
    bool queue_full() const noexcept { return queue_.queued() >= max_queued_bytes_; }
    template <class Now>
    action decide_write(Now& now);
    std::optional<time_point> deadline() const noexcept;

    // What the engine uses of its stream_options.
    std::chrono::milliseconds heartbeat_;
    std::chrono::milliseconds send_timeout_;
    std::size_t max_queued_bytes_;
    std::size_t max_write_size_;
    message_queue queue_;
    std::unique_ptr<stream_encoder> encoder_;
    peer_watch watch_kind_;
    source_state source_ = source_state::idle;
    watch_state watch_ = watch_state::off;
    source_watch_state source_watch_ = source_watch_state::off;
    error_code result_;
    time_point last_write_{};
    time_point write_started_{};
    time_point timer_expiry_{};
    std::size_t arrivals_ = 0;
    bool started_ = false;
    bool opened_ = false;         // the first write is issued
    bool writing_ = false;
    bool end_issued_ = false;     // the write in flight ends the body
    bool end_written_ = false;
    bool finishing_ = false;      // end cleanly: flush, then the end of the body
    bool aborted_ = false;        // end now: nothing more is written
    bool completed_ = false;
    bool source_cancelled_ = false;
    bool aborting_ = false;       // the abort action is issued
    bool timer_armed_ = false;
    bool timer_cancelled_ = false;
    bool turn_posted_ = false;
    bool flush_due_ = false;      // the deferring turn came back: write now
    bool drained_ = false;        // a backlog was taken: write now
    bool backlog_wanted_ = false;
    bool takes_backlog_ = true;
    bool reports_failure_ = false;
    bool source_watch_spent_ = false; // it ended without news: not again until the source is asked
    bool backpressure_ = false;
    bool bytes_lost_ = false;
    bool heartbeat_queued_ = false; // the timer queued a heartbeat
    bool idle_write_ = false;       // the write in flight is the header alone or that heartbeat
    bool idle_ = false;
};

// For sinks: the current time, read once and only when asked for.
class lazy_now {
public:
    stream_engine::time_point operator()()
    {
        if (!now_)
            now_ = stream_engine::clock::now();
        return *now_;
    }

private:
    std::optional<stream_engine::time_point> now_;
};

// Whether a source can hand over what it holds without waiting.
template <class Source>
inline constexpr bool takes_backlog =
    requires(Source& s, std::vector<typename Source::value_type>& v, std::size_t n) { s.try_take(v, n); };

// Whether this source hands over what it holds without waiting: a source
// that wraps another (any_message_source) says so at run time.
template <class Source>
bool source_takes_backlog(Source const& source) noexcept
{
    if constexpr (requires { { source.takes_backlog() } noexcept -> std::convertible_to<bool>; })
        return source.takes_backlog();
    else
        return takes_backlog<Source>;
}

// For sinks, the watch_source action: the source's async_wait_failure
// with `handler`. A source without it is never watched.
template <class Source, class Handler>
void watch_source(Source& source, Handler&& handler)
{
    if constexpr (reports_failure<Source>)
        source.async_wait_failure(std::forward<Handler>(handler));
    else
        SSE_ASSERT(false);
}

// For sinks, the take_backlog action: what `source` already holds, up to
// `max_bytes`, taken without waiting into the engine (through `batch`, kept
// by the sink for its storage). A source without try_take holds nothing.
template <class Source, class Item>
void take_backlog(stream_engine& engine, Source& source, std::vector<Item>& batch, std::size_t max_bytes)
{
    if constexpr (requires { source.try_take(batch, max_bytes); }) {
        batch.clear();
        source.try_take(batch, max_bytes);
        for (auto const& item : batch)
            engine.push(item);
        batch.clear();
    }
    engine.backlog_taken();
}

} // namespace sse::detail

#include <sse/detail/impl/stream_engine.hpp>

#endif
