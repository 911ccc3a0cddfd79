//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_DETAIL_IMPL_STREAM_ENGINE_HPP
#define SSE_DETAIL_IMPL_STREAM_ENGINE_HPP

#include <boost/beast/core/error.hpp>

namespace sse::detail {

inline stream_engine::stream_engine(stream_options const& options, peer_watch watch, content_coding coding, bool shared)
    : heartbeat_(options.keep_alive.value().value_or(options.heartbeat))
    , send_timeout_(options.send_timeout)
    , max_queued_bytes_(options.max_queued_bytes)
    , max_write_size_(options.max_write_size)
    , encoder_(make_encoder(coding, options.compression, shared))
    , watch_kind_(watch)
{
    if (encoder_ && encoder_->shares_events())
        queue_.share_all();
    // The retry field goes first, with the header.
    if (auto const retry = options.retry) {
        message m;
        m.retry(*retry);
        queue_.push(m);
    }
}

inline void stream_engine::start(time_point now)
{
    SSE_ASSERT(!started_);
    started_ = true;
    last_write_ = now;
}

inline void stream_engine::source_finished() noexcept
{
    SSE_ASSERT(source_ == source_state::busy);
    source_ = source_state::idle;
    finish({});
}

inline void stream_engine::source_failed(error_code ec) noexcept
{
    SSE_ASSERT(source_ == source_state::busy);
    source_ = source_state::idle;
    finish(ec);
}

inline void stream_engine::wrote(error_code ec, time_point now) noexcept
{
    SSE_ASSERT(writing_);
    writing_ = false;
    last_write_ = now;
    queue_.wrote(2 * max_write_size_);
    if (encoder_)
        encoder_->wrote(2 * max_write_size_);
    idle_ = std::exchange(idle_write_, false) && !ec && queue_.pending() == 0;
    if (idle_)
        queue_.release_storage();
    if (ec) {
        // The transport's own timeout (beast::tcp_stream's expiry) is
        // reported as it is; any other failure means the peer is gone. A
        // write this engine aborted already has its result.
        abort(ec == beast::error::timeout ? ec : make_error_code(error::peer_gone));
        return;
    }
    if (end_issued_)
        end_written_ = true;
}

inline void stream_engine::watch_ended(error_code ec, bool data) noexcept
{
    SSE_ASSERT(watch_ == watch_state::active || watch_ == watch_state::stopping);
    bool const stopped = watch_ == watch_state::stopping;
    watch_ = watch_state::done;
    if (aborted_ || end_written_)
        return;
    if (data) {
        // Pipelining into an event stream is not supported: the stream
        // ends cleanly. The bytes stay with the connection.
        finish(make_error_code(error::unexpected_data));
        return;
    }
    if (stopped && (!ec || ec == net::error::operation_aborted))
        return; // stopped as asked
    if (ec) {
        // The peer closed or reset, even as the watch was being stopped:
        // the stream is over, and the connection with it.
        abort(ec == beast::error::timeout ? ec : make_error_code(error::peer_gone));
        return;
    }
    watch_ = watch_state::off; // ended without news: watch again
}

inline void stream_engine::source_watch_ended(error_code ec) noexcept
{
    SSE_ASSERT(source_watch_ != source_watch_state::off);
    bool const stopped = source_watch_ == source_watch_state::stopping;
    source_watch_ = source_watch_state::off;
    if (stopped)
        return; // a failure that raced the stop is the next async_next's
    if (ec == net::error::operation_not_supported) {
        // A wrapper whose wrapped source cannot report (an
        // any_message_source around a range): never watched again.
        reports_failure_ = false;
        return;
    }
    if (!ec || ec == net::error::operation_aborted) {
        // No news, or cancelled by someone else: not watched again until
        // the source is asked again, so that such a source cannot spin.
        source_watch_spent_ = true;
        return;
    }
    if (aborted_ || end_written_)
        return;
    if (queue_full()) {
        // The source failed while the stream was held back behind its
        // peer (a broadcaster dropped the subscriber as too slow): the
        // stream ends now, the write in flight included, rather than once
        // the peer has read what is queued, which it may never do.
        abort(ec);
    } else {
        // Held back only by its HTTP/2 connection: this peer reads, and
        // what is queued goes out before the end, as for a failure that
        // comes with an answer.
        finish(ec);
    }
}

inline void stream_engine::timer_fired(time_point now) noexcept
{
    SSE_ASSERT(timer_armed_);
    timer_armed_ = false;
    timer_cancelled_ = false;
    if (aborted_ || end_written_)
        return;
    if (writing_) {
        if (send_timeout_.count() > 0 && now >= write_started_ + send_timeout_)
            abort(make_error_code(error::send_timeout));
        return;
    }
    if (heartbeat_.count() > 0 && !finishing_ && now >= last_write_ + heartbeat_ && queue_.pending() == 0) {
        queue_.push_bytes(":\n");
        heartbeat_queued_ = true;
        drained_ = true; // nothing to wait for: write it now
    }
}

inline void stream_engine::turn_done() noexcept
{
    SSE_ASSERT(turn_posted_);
    turn_posted_ = false;
    if (writing_ || finishing_ || aborted_)
        return; // the end of the write decides
    if (arrivals_ > 0 && source_ == source_state::busy && queue_.pending() < max_write_size_)
        return; // the source is still delivering: one more turn
    flush_due_ = true;
}

inline void stream_engine::cancelled(net::cancellation_type type) noexcept
{
    if ((type & net::cancellation_type::terminal) != net::cancellation_type::none)
        abort(net::error::operation_aborted);
    else
        finish(net::error::operation_aborted);
}

inline void stream_engine::peer_bytes_lost() noexcept
{
    bytes_lost_ = true;
    finish(make_error_code(error::unexpected_data));
}

inline void stream_engine::finish(error_code ec) noexcept
{
    if (!finishing_ && !aborted_)
        result_ = ec;
    finishing_ = true;
}

inline void stream_engine::abort(error_code ec) noexcept
{
    if (end_written_ || aborted_)
        return;
    // Bytes from the peer end a stream cleanly only if its end is written:
    // cut off before, it ends with the abort's cause.
    if (!result_ || result_ == error::unexpected_data)
        result_ = ec;
    aborted_ = true;
}

// Holds a write back while the source delivers an item on every turn of
// the executor, so that a fast source's messages go out in one write (up
// to max_write_size) instead of one write each. A source that waits
// between items costs one turn of latency.
inline bool stream_engine::would_defer() const noexcept
{
    if (drained_ || flush_due_ || finishing_ || source_ != source_state::busy)
        return false;
    return queue_.pending() < max_write_size_;
}

template <class Now>
stream_action stream_engine::decide_write(Now& now)
{
    bool const pending = queue_.pending() != 0;
    bool const ending = finishing_ && source_ != source_state::busy;
    if (opened_ && !pending && !ending)
        return action::none();
    if (opened_ && !ending && would_defer()) {
        if (turn_posted_)
            return action::none();
        turn_posted_ = true;
        arrivals_ = 0;
        return action::simple(action::type::defer_write);
    }
    bool const last = ending && queue_.fits(max_write_size_);
    if (last && watch_kind_ == peer_watch::connection_read) {
        // The watch ends before the end of the body goes out: once the
        // client has the end it may send its next request, which belongs
        // to the connection, not to this stream.
        if (watch_ == watch_state::active) {
            watch_ = watch_state::stopping;
            return action::simple(action::type::stop_watch);
        }
        if (watch_ == watch_state::stopping)
            return action::none();
    }
    // The header alone, or only a heartbeat: once written, the stream is idle.
    bool const heartbeat_only = std::exchange(heartbeat_queued_, false) && queue_.pending() == 2;
    idle_write_ = !last && (!pending || heartbeat_only);
    std::span<net::const_buffer const> payload;
    if (pending)
        payload = queue_.take(max_write_size_);
    std::size_t bytes = queue_.writing();
    // Encoded and flushed: the write decodes to whole events. The header
    // alone (no payload, not the end) has nothing to encode.
    if (encoder_ && (pending || last)) {
        payload = encoder_->encode(payload, queue_.writing_shared(), last);
        bytes = encoder_->size();
    }
    opened_ = true;
    writing_ = true;
    write_started_ = now();
    flush_due_ = false;
    drained_ = false;
    end_issued_ = last;
    return action::write(payload, bytes, last);
}

inline std::optional<stream_engine::time_point> stream_engine::deadline() const noexcept
{
    if (aborted_ || end_written_)
        return std::nullopt;
    if (writing_) {
        if (send_timeout_.count() > 0)
            return write_started_ + send_timeout_;
        return std::nullopt;
    }
    if (heartbeat_.count() > 0 && !finishing_)
        return last_write_ + heartbeat_;
    return std::nullopt;
}

template <class Now>
    requires std::is_invocable_r_v<stream_engine::time_point, Now&>
stream_action stream_engine::next(Now&& now)
{
    using type = action::type;
    if (completed_ || !started_)
        return action::none();
    bool const ending = finishing_ || aborted_;

    // The source: cancelled, then released, once the stream is ending.
    if (ending && source_ == source_state::busy && !source_cancelled_) {
        source_cancelled_ = true;
        return action::simple(type::cancel_source);
    }
    if (ending && source_watch_ == source_watch_state::active) {
        source_watch_ = source_watch_state::stopping;
        return action::simple(type::stop_source_watch);
    }
    if (ending && source_ == source_state::idle && source_watch_ == source_watch_state::off) {
        source_ = source_state::gone;
        return action::simple(type::release_source);
    }

    if (aborted_) {
        if (!aborting_) {
            aborting_ = true;
            return action::simple(type::abort);
        }
        if (watch_ == watch_state::active && watch_kind_ == peer_watch::connection_read) {
            watch_ = watch_state::stopping;
            return action::simple(type::stop_watch);
        }
    } else {
        if (watch_ == watch_state::off && !end_issued_) {
            watch_ = watch_state::active;
            return action::simple(type::watch);
        }
        if (std::exchange(backlog_wanted_, false) && !finishing_ && queue_.pending() < max_write_size_)
            return action::take_backlog(max_write_size_ - queue_.pending());
        bool const held_back = backpressure_ || queue_full();
        if (source_ == source_state::idle && !finishing_ && !held_back) {
            // Asked again: a failure now comes with the answer, and ends
            // the stream cleanly.
            if (source_watch_ == source_watch_state::active) {
                source_watch_ = source_watch_state::stopping;
                return action::simple(type::stop_source_watch);
            }
            source_watch_spent_ = false;
            source_ = source_state::busy;
            return action::simple(type::ask_source);
        }
        if (source_ == source_state::idle && !finishing_ && held_back && reports_failure_ &&
            source_watch_ == source_watch_state::off && !source_watch_spent_) {
            source_watch_ = source_watch_state::active;
            return action::simple(type::watch_source);
        }
        if (!writing_ && !end_written_) {
            auto const a = decide_write(now);
            if (!a.is_none())
                return a;
        }
    }

    // One wait on the timer while something can fall due. A deadline that
    // moves later needs no new wait: the wait re-checks when it fires.
    if (auto const due = deadline()) {
        if (!timer_armed_) {
            timer_armed_ = true;
            timer_expiry_ = *due;
            return action::wait_until(*due);
        }
        if (*due < timer_expiry_ && !timer_cancelled_) {
            timer_cancelled_ = true;
            return action::simple(type::cancel_wait);
        }
    } else if (timer_armed_ && !timer_cancelled_) {
        timer_cancelled_ = true; // nothing can fall due: no wait stays out
        return action::simple(type::cancel_wait);
    }

    // Done once every sub-operation is.
    if ((end_written_ || aborted_) && source_ == source_state::gone && !writing_ && !timer_armed_ && !turn_posted_ &&
        (watch_ == watch_state::off || watch_ == watch_state::done) && source_watch_ == source_watch_state::off) {
        completed_ = true;
        error_code ec = result_;
        if (!ec && bytes_lost_)
            ec = make_error_code(error::unexpected_data);
        return action::complete(ec);
    }
    return action::none();
}

} // namespace sse::detail

#endif
