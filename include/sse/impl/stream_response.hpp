//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_IMPL_STREAM_RESPONSE_HPP
#define SSE_IMPL_STREAM_RESPONSE_HPP

#include <sse/detail/counted_ref.hpp>
#include <sse/detail/pump.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/serializer.hpp>

#include <array>
#include <type_traits>

namespace sse {
namespace detail {

inline pump::pump(stream_options const& options, bool chunked) : options_(options), chunked_(chunked) {}

// What an operation takes out of a stream_response when it starts.
template <class Source>
struct stream_parts {
    std::string head; // the serialized response header
    stream_options options;
    bool chunked;
    Source source;
    std::function<void(error_code)> on_end;
};

inline std::string serialize_head(beast::http::response_header<>&& header)
{
    beast::http::response<beast::http::empty_body> res(std::move(header));
    beast::http::response_serializer<beast::http::empty_body> sr(res);
    sr.split(true);
    std::string out;
    error_code ec;
    while (!sr.is_header_done()) {
        sr.next(ec, [&](error_code&, auto const& buffers) {
            std::size_t n = 0;
            for (auto const b : beast::buffers_range_ref(buffers)) {
                out.append(static_cast<char const*>(b.data()), b.size());
                n += b.size();
            }
            sr.consume(n);
        });
        if (ec)
            throw system_error(ec, "sse::stream_response: serializing the header");
    }
    return out;
}

// The composed operation behind async_write: one heap block per stream,
// four sub-operations at most (source, write, watch read, timer), all on the
// stream's executor. The decisions are pump's; this class performs them.
template <class AsyncStream, class Source, class Handler>
class stream_op {
    using executor_type = typename AsyncStream::executor_type;
    using clock = std::chrono::steady_clock;
    using timer_type = net::basic_waitable_timer<clock, net::wait_traits<clock>, executor_type>;
    using item_type = typename Source::value_type;
    using handler_executor = net::associated_executor_t<Handler, executor_type>;
    using work_type = std::decay_t<decltype(net::prefer(
        std::declval<handler_executor>(),
        net::execution::outstanding_work.tracked
    ))>;

public:
    stream_op(AsyncStream& stream, stream_parts<Source>&& parts, Handler&& handler)
        : stream_(stream)
        , handler_(std::move(handler))
        , work_(net::prefer(
              net::get_associated_executor(handler_, stream.get_executor()),
              net::execution::outstanding_work.tracked
          ))
        , timer_(stream.get_executor())
        , head_(std::move(parts.head))
        , pump_(parts.options, parts.chunked)
        , source_(std::move(parts.source))
        , on_end_(std::move(parts.on_end))
    {
    }

    void start()
    {
        ref const self(this);
        auto slot = net::get_associated_cancellation_slot(handler_);
        if (slot.is_connected())
            slot.assign([this](net::cancellation_type) { on_cancel(); });
        if (auto const retry = pump_.options().retry) {
            message m;
            m.retry(*retry);
            pump_.push(m);
        }
        start_read();
        run();
    }

private:
    // ------------------------------------------------------------- actions

    void run()
    {
        if (completed_)
            return;
        if (pump_.aborted()) {
            if (source_busy_ && !source_cancelled_) {
                source_cancelled_ = true;
                source_cancel_.emit(net::cancellation_type::terminal);
            }
            if (writing_)
                write_cancel_.emit(net::cancellation_type::terminal);
            stop_read_and_timer();
            maybe_complete();
            return;
        }
        if (pump_.finishing() && source_busy_ && !source_cancelled_) {
            source_cancelled_ = true;
            source_cancel_.emit(net::cancellation_type::terminal);
        }
        if (!source_busy_ && source_ && pump_.wants_next())
            start_next();
        if (!writing_ && !defer_write()) {
            bool const head = !head_sent_;
            auto const what = pump_.next_write(head, source_busy_);
            if (what != pump::write_kind::none)
                start_write(what, head);
            else if (pump_.done())
                stop_read_and_timer();
        }
        arm_timer();
        maybe_complete();
    }

    // Holds a write back while the source delivers an item on every turn
    // of the executor, so that a fast source's messages go out in one
    // write (up to max_write_size) instead of one write each. A source that
    // waits between items costs one extra turn of latency.
    bool defer_write()
    {
        if (std::exchange(drained_, false))
            return false; // the source's backlog is in: write it now
        if (flush_due_ || !head_sent_ || !source_busy_ || pump_.finishing() || pump_.aborted())
            return false;
        auto const queued = pump_.queued();
        if (queued == 0 || queued >= pump_.options().max_write_size)
            return false;
        if (!flush_posted_)
            post_flush();
        return true;
    }

    void post_flush()
    {
        flush_posted_ = true;
        arrivals_ = 0;
        net::post(stream_.get_executor(), [self = ref(this)] { self.p->on_flush(); });
    }

    void on_flush()
    {
        flush_posted_ = false;
        if (arrivals_ > 0 && !writing_ && source_busy_ && !pump_.finishing() && !pump_.aborted() &&
            pump_.queued() < pump_.options().max_write_size) {
            post_flush(); // the source is still delivering: one more turn
            return;
        }
        flush_due_ = true;
        run();
        flush_due_ = false;
    }

    void start_next()
    {
        source_busy_ = true;
        source_->async_next(next_handler{{ref(this)}});
    }

    void start_write(pump::write_kind what, bool head)
    {
        writing_ = true;
        head_sent_ = true;
        write_started_ = clock::now();
        auto const& buffers = pump_.frame(what, head ? net::buffer(head_) : net::const_buffer());
        net::async_write(stream_, buffers, write_handler{{ref(this)}});
    }

    void start_read()
    {
        reading_ = true;
        stream_.async_read_some(net::buffer(scratch_), read_handler{{ref(this)}});
    }

    void stop_read_and_timer()
    {
        if (reading_ && !read_cancelled_) {
            read_cancelled_ = true;
            read_cancel_.emit(net::cancellation_type::terminal);
        }
        if (timer_armed_)
            timer_.cancel();
    }

    // Keeps one wait on the timer while something can fall due: the send
    // timeout of a write in flight, or the keep-alive of an idle stream. A
    // deadline that moves later needs no re-arming: the wait re-checks when
    // it fires.
    void arm_timer()
    {
        if (pump_.done() || pump_.aborted())
            return;
        std::optional<clock::time_point> due;
        auto const& o = pump_.options();
        if (writing_) {
            if (o.send_timeout.count() > 0)
                due = write_started_ + o.send_timeout;
        } else if (o.keep_alive.count() > 0 && !pump_.finishing()) {
            due = last_write_ + o.keep_alive;
        }
        if (!due)
            return;
        if (timer_armed_) {
            if (timer_.expiry() <= *due)
                return;
            timer_.cancel(); // the wait ends, and re-arms at the earlier time
            return;
        }
        timer_armed_ = true;
        timer_.expires_at(*due);
        timer_.async_wait(timer_handler{{ref(this)}});
    }

    // Completes once the stream has ended and every sub-operation has
    // finished. The source, and a producer's frame with it, is destroyed
    // first; the op's memory goes with the last reference to it.
    void maybe_complete()
    {
        if (completed_ || !(pump_.done() || pump_.aborted()) || source_busy_ || writing_ || reading_ ||
            timer_armed_ || flush_posted_)
            return;
        completed_ = true;
        source_.reset();
        auto slot = net::get_associated_cancellation_slot(handler_);
        if (slot.is_connected())
            slot.clear();
        error_code const ec = pump_.result();
        if (on_end_)
            std::exchange(on_end_, nullptr)(ec);
        Handler handler = std::move(handler_);
        work_type work = std::move(work_);
        net::dispatch(work, net::append(std::move(handler), ec));
    }

    // -------------------------------------------------------------- events

    void on_next(error_code ec, std::optional<item_type> item)
    {
        source_busy_ = false;
        if (ec) {
            pump_.source_failed(ec);
            source_.reset();
        } else if (!item) {
            pump_.source_finished();
            source_.reset();
        } else if (!pump_.finishing() && !pump_.aborted()) {
            pump_.push(*item);
            ++arrivals_;
            // A source that can hand over what it already holds without
            // waiting drains its backlog now, in one turn.
            if constexpr (requires(std::vector<item_type>& v) { source_->try_take(v, std::size_t()); }) {
                auto const room = pump_.options().max_write_size;
                if (pump_.queued() < room) {
                    batch_.clear();
                    if (source_->try_take(batch_, room - pump_.queued()) != 0) {
                        for (auto const& i : batch_)
                            pump_.push(i);
                        batch_.clear();
                        drained_ = true;
                    }
                }
            }
        }
        if (pump_.finishing() || pump_.aborted())
            source_.reset();
        run();
    }

    void on_write(error_code ec)
    {
        writing_ = false;
        if (head_.capacity() != 0)
            std::string().swap(head_); // written: an idle stream need not keep it
        last_write_ = clock::now();
        if (ec) {
            // A send timeout already set its own result.
            pump_.abort(ec == beast::error::timeout ? ec : make_error_code(error::peer_gone));
        } else {
            pump_.wrote();
        }
        run();
    }

    void on_read(error_code ec, std::size_t n)
    {
        reading_ = false;
        if (read_cancelled_ || pump_.done() || pump_.aborted()) {
            maybe_complete();
            return;
        }
        if (ec) {
            // A stream's own timeout (beast::tcp_stream's expiry) is reported
            // as it is; any other failure of the read means the peer is gone.
            pump_.abort(ec == beast::error::timeout ? ec : make_error_code(error::peer_gone));
        } else if (n > 0) {
            pump_.finish(make_error_code(error::unexpected_data));
        } else {
            start_read();
        }
        run();
    }

    void on_timer()
    {
        timer_armed_ = false;
        if (pump_.done() || pump_.aborted()) {
            maybe_complete();
            return;
        }
        auto const now = clock::now();
        auto const& o = pump_.options();
        if (writing_) {
            if (o.send_timeout.count() > 0 && now >= write_started_ + o.send_timeout)
                pump_.abort(make_error_code(error::send_timeout));
        } else if (o.keep_alive.count() > 0 && now >= last_write_ + o.keep_alive) {
            pump_.keep_alive_due();
        }
        run();
    }

    void on_cancel()
    {
        ref const self(this);
        pump_.finish(net::error::operation_aborted);
        run();
    }

    // Owned jointly by every pending sub-operation's handler.
    using ref = counted_ref<stream_op>;
    friend ref;

    void add_ref() noexcept { ++refs_; }
    void release_ref() noexcept
    {
        if (--refs_ == 0)
            delete this;
    }

    // The handlers of the sub-operations: one pointer each, which answers
    // for the stream's executor and the sub-operation's cancellation slot,
    // so that moving a handler through an operation's layers copies no
    // executor.
    struct handler_base {
        ref self;

        using executor_type = typename stream_op::executor_type;
        executor_type get_executor() const noexcept { return self.p->stream_.get_executor(); }
    };

    struct next_handler : handler_base {
        using cancellation_slot_type = net::cancellation_slot;
        cancellation_slot_type get_cancellation_slot() const noexcept { return this->self.p->source_cancel_.slot(); }

        void operator()(error_code ec, std::optional<item_type> item) { this->self.p->on_next(ec, std::move(item)); }
    };

    struct write_handler : handler_base {
        using cancellation_slot_type = net::cancellation_slot;
        cancellation_slot_type get_cancellation_slot() const noexcept { return this->self.p->write_cancel_.slot(); }

        void operator()(error_code ec, std::size_t) { this->self.p->on_write(ec); }
    };

    struct read_handler : handler_base {
        using cancellation_slot_type = net::cancellation_slot;
        cancellation_slot_type get_cancellation_slot() const noexcept { return this->self.p->read_cancel_.slot(); }

        void operator()(error_code ec, std::size_t n) { this->self.p->on_read(ec, n); }
    };

    struct timer_handler : handler_base {
        void operator()(error_code) { this->self.p->on_timer(); }
    };

    AsyncStream& stream_;
    Handler handler_;
    work_type work_;
    timer_type timer_;
    net::cancellation_signal source_cancel_;
    net::cancellation_signal write_cancel_;
    net::cancellation_signal read_cancel_;
    std::string head_;
    pump pump_;
    std::optional<Source> source_;
    std::function<void(error_code)> on_end_;
    clock::time_point last_write_ = clock::now();
    clock::time_point write_started_{};
    std::array<char, 1> scratch_{};
    bool head_sent_ = false;
    bool source_busy_ = false;
    bool source_cancelled_ = false;
    bool writing_ = false;
    bool reading_ = false;
    bool read_cancelled_ = false;
    bool timer_armed_ = false;
    bool completed_ = false;
    bool drained_ = false;
    std::vector<item_type> batch_;
    bool flush_posted_ = false;
    bool flush_due_ = false;
    std::size_t arrivals_ = 0;
    std::size_t refs_ = 0;
};

template <class AsyncStream, class Source>
struct stream_initiation {
    AsyncStream* stream;

    using executor_type = typename AsyncStream::executor_type;

    executor_type get_executor() const noexcept { return stream->get_executor(); }

    template <class Handler>
    void operator()(Handler&& handler, stream_parts<Source>&& parts) const
    {
        static_assert(
            beast::is_async_stream<AsyncStream>::value,
            "AsyncStream type requirements not met: see Beast's AsyncStream"
        );
        using op = stream_op<AsyncStream, Source, std::decay_t<Handler>>;
        (new op(*stream, std::move(parts), std::forward<Handler>(handler)))->start();
    }

    template <class S>
    static stream_parts<Source> take(stream_response<S>& r)
    {
        SSE_ASSERT(r.source_.has_value()); // a response is written once
        bool const chunked = r.header_.version() >= 11;
        stream_parts<Source> parts{
            serialize_head(std::move(r.header_)), r.options_, chunked, std::move(*r.source_), std::move(r.on_end_)};
        r.source_.reset();
        return parts;
    }
};

} // namespace detail

template <class Source>
template <class Body, class Fields, adaptable_source S>
    requires std::same_as<source_for_t<S>, Source>
stream_response<Source>::stream_response(
    beast::http::request<Body, Fields> const& request,
    S&& source,
    stream_options const& options
)
    : options_(options)
    , source_(as_source(std::forward<S>(source)))
{
    namespace http = beast::http;
    unsigned const version = request.version() >= 11 ? 11 : 10;
    header_.version(version);
    header_.result(http::status::ok);
    header_.set(http::field::content_type, "text/event-stream");
    header_.set(http::field::cache_control, "no-cache");
    if (options_.no_accel_buffering)
        header_.set("X-Accel-Buffering", "no");
    if (version == 11) {
        keep_alive_ = request.keep_alive();
        if (!keep_alive_)
            header_.set(http::field::connection, "close");
        header_.set(http::field::transfer_encoding, "chunked");
    }
    if (auto const it = request.find("Last-Event-ID"); it != request.end())
        last_event_id_.emplace(it->value());
}

template <class Source>
template <class Other>
    requires(!std::same_as<Other, Source> && std::constructible_from<Source, Other &&>)
stream_response<Source>::stream_response(stream_response<Other>&& other)
    : header_(std::move(other.header_))
    , options_(other.options_)
    , last_event_id_(std::move(other.last_event_id_))
    , on_end_(std::move(other.on_end_))
    , keep_alive_(other.keep_alive_)
{
    SSE_ASSERT(other.source_.has_value()); // a response is written once
    source_.emplace(std::move(*other.source_));
    other.source_.reset();
}

template <class Source>
template <class AsyncStream, net::completion_token_for<void(error_code)> CompletionToken>
auto stream_response<Source>::async_write(AsyncStream& stream, CompletionToken&& token)
{
    return sse::async_write(stream, *this, std::forward<CompletionToken>(token));
}

template <class AsyncStream, class Source, net::completion_token_for<void(error_code)> CompletionToken>
auto async_write(AsyncStream& stream, stream_response<Source>& response, CompletionToken&& token)
{
    using init = detail::stream_initiation<AsyncStream, Source>;
    return net::async_initiate<CompletionToken, void(error_code)>(init{&stream}, token, init::take(response));
}

template <class AsyncStream, class Source, net::completion_token_for<void(error_code)> CompletionToken>
auto async_write(AsyncStream& stream, stream_response<Source>&& response, CompletionToken&& token)
{
    return sse::async_write(stream, response, std::forward<CompletionToken>(token));
}

} // namespace sse

#endif
