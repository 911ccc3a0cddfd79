//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_HTTP2_IMPL_SERVE_HPP
#define SSE_HTTP2_IMPL_SERVE_HPP

#include <sse/detail/async_op.hpp>
#include <sse/detail/counted_ref.hpp>
#include <sse/detail/deadline_queue.hpp>
#include <sse/detail/stream_engine.hpp>
#include <sse/handler.hpp>
#include <sse/response.hpp>
#include <sse/http2/detail/session.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/message.hpp>

#include <array>
#include <exception>
#include <list>
#include <memory>
#include <optional>
#include <span>
#include <type_traits>

namespace sse::http2::detail {

// Connection-specific fields have no place in HTTP/2 (RFC 9113, 8.2.2); a
// `Connection` field makes some clients drop the whole connection.
inline bool connection_specific(std::string_view name) noexcept
{
    auto const is = [name](std::string_view other) {
        return name.size() == other.size() &&
               std::equal(name.begin(), name.end(), other.begin(), [](char a, char b) {
                   return std::tolower(static_cast<unsigned char>(a)) == b;
               });
    };
    return is("connection") || is("keep-alive") || is("proxy-connection") || is("transfer-encoding") ||
           is("upgrade");
}

// A response header as HTTP/2 name-value pairs: lower-case names, no
// connection-specific fields. The pairs point into `storage`.
template <class Fields>
std::vector<nghttp2_nv> header_block(beast::http::header<false, Fields> const& h, std::string& storage)
{
    std::size_t size = 3;
    std::size_t count = 1;
    for (auto const& f : h) {
        size += f.name_string().size() + f.value().size();
        ++count;
    }
    storage.clear();
    storage.reserve(size); // no reallocation below: the pairs point into it
    storage.append(std::to_string(h.result_int()));
    std::vector<nghttp2_nv> nva;
    nva.reserve(count);
    auto const nv = [&](std::size_t name_at, std::size_t name_len, std::size_t value_at, std::size_t value_len) {
        nva.push_back(
            {reinterpret_cast<std::uint8_t*>(storage.data() + name_at),
             reinterpret_cast<std::uint8_t*>(storage.data() + value_at),
             name_len,
             value_len,
             NGHTTP2_NV_FLAG_NONE}
        );
    };
    static char status_name[] = ":status";
    nva.push_back(
        {reinterpret_cast<std::uint8_t*>(status_name),
         reinterpret_cast<std::uint8_t*>(storage.data()),
         7,
         storage.size(),
         NGHTTP2_NV_FLAG_NO_COPY_NAME}
    );
    for (auto const& f : h) {
        auto const name = f.name_string();
        if (connection_specific(name))
            continue;
        std::size_t const name_at = storage.size();
        for (char c : name)
            storage.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        std::size_t const value_at = storage.size();
        storage.append(f.value().data(), f.value().size());
        nv(name_at, name.size(), value_at, f.value().size());
    }
    return nva;
}

// An ordinary answer's body, collected whole.
template <class Body, class Fields>
std::string collect_body(beast::http::response<Body, Fields>& res)
{
    if constexpr (std::is_same_v<Body, beast::http::empty_body>) {
        return {};
    } else if constexpr (std::is_same_v<typename Body::value_type, std::string>) {
        return std::move(res.body());
    } else {
        std::string out;
        error_code ec;
        typename Body::writer w(res.base(), res.body());
        w.init(ec);
        while (!ec) {
            auto r = w.get(ec);
            if (ec || !r)
                break;
            for (auto const b : beast::buffers_range_ref(r->first))
                out.append(static_cast<char const*>(b.data()), b.size());
            if (!r->second)
                break;
        }
        if (ec)
            throw system_error(ec, "sse::http2: serializing a response body");
        return out;
    }
}

// The connection as its streams see it: its session, and the op that
// performs the session's I/O.
class connection_base {
public:
    // The nghttp2 session.
    virtual detail::session& h2() noexcept = 0;

    // Output may be pending: write it.
    virtual void wake() = 0;

    // A stream body finished (its source is destroyed).
    virtual void stream_done() = 0;

protected:
    ~connection_base() = default;
};

// The HTTP/2 sink of an event stream, on one HTTP/2 stream: it performs
// what the stream engine decides. A write is offered to nghttp2, which
// frames it (read() sizes a DATA frame, take() puts the payload into the
// connection's batch by reference) as the flow-control window allows; the
// write is over once the batch that carries its end is written (sent()),
// and its bytes stay valid until then. The watch is the stream's close.
// Owned jointly by the session (until the stream closes), by the batch
// that holds its bytes, and by its pending operations.
template <class Executor, class Source>
class stream_body final : public body_base {
    using clock = std::chrono::steady_clock;
    using item_type = typename Source::value_type;
    using action = sse::detail::stream_action;

public:
    using executor_type = Executor;

    stream_body(connection_base& conn, std::int32_t id, Executor ex, typename stream_response<Source>::parts&& parts)
        : conn_(&conn)
        , session_(&conn.h2())
        , id_(id)
        , ex_(std::move(ex))
        , timer_(*this, ex_)
        , engine_(parts.options, sse::detail::peer_watch::stream_close, parts.coding, parts.shared_blocks)
        , source_(std::move(parts.source))
        , on_end_(std::move(parts.on_end))
        , refs_(1) // the session's
    {
        engine_.set_source_takes_backlog(sse::detail::source_takes_backlog(*source_));
        engine_.set_source_reports_failure(sse::detail::source_reports_failure(*source_));
    }

    void start()
    {
        ref const self(this);
        engine_.start(clock::now());
        if (session_->shutting_down())
            engine_.cancelled(net::cancellation_type::partial);
        run();
    }

    // ------------------------------------------------ called by the session

    ssize_t read(std::size_t len, std::uint32_t* flags) override
    {
        if (!writing_ || all_framed_ || stopped_) {
            // Nothing to frame, or the write's end waits for its batch.
            deferred_ = true;
            return NGHTTP2_ERR_DEFERRED;
        }
        std::size_t const n = std::min(len, unframed_);
        if (n == unframed_ && write_last_)
            *flags |= NGHTTP2_DATA_FLAG_EOF;
        return static_cast<ssize_t>(n);
    }

    void take(std::size_t len, frame_batch& out) override
    {
        SSE_ASSERT(writing_ && len <= unframed_);
        unframed_ -= len;
        while (len != 0) {
            SSE_ASSERT(index_ < buffers_.size());
            auto const b = buffers_[index_] + offset_;
            std::size_t const k = std::min(len, b.size());
            out.append_ref(b.data(), k);
            len -= k;
            offset_ += k;
            if (offset_ == buffers_[index_].size()) {
                offset_ = 0;
                ++index_;
            }
        }
        if (unframed_ == 0)
            all_framed_ = true;
        if (!in_flight_) {
            in_flight_ = true;
            add_ref(); // the batch's, until sent()
            out.hold(*this);
        }
    }

    void sent(error_code ec) override
    {
        ref const self(this);
        release_ref(); // the batch's
        in_flight_ = false;
        if (writing_ && (all_framed_ || stopped_ || ec)) {
            writing_ = false;
            if (!ec && !all_framed_)
                ec = stop_error_; // cut short: the stream closed or was reset
            engine_.wrote(ec, clock::now());
        }
        if (std::exchange(close_pending_, false) && watching_) {
            watching_ = false;
            engine_.watch_ended(net::error::connection_reset, false); // after our end: nothing
        }
        run();
    }

    void closed(std::uint32_t, bool) override
    {
        session_ = nullptr;
        stop(net::error::connection_reset);
        if (writing_ && !in_flight_) {
            // Never to be framed: the write ends with the stream.
            writing_ = false;
            engine_.wrote(stop_error_, clock::now());
        }
        if (watching_) {
            // A batch in flight may carry our END_STREAM: the close counts
            // once it is written.
            if (in_flight_) {
                close_pending_ = true;
            } else {
                watching_ = false;
                engine_.watch_ended(net::error::connection_reset, false); // after our end: nothing
            }
        }
        // Not inside nghttp2's callback: the source is torn down on a turn
        // of its own.
        post_run();
        release_ref(); // the session's
    }

    void shutdown() override
    {
        ref const self(this);
        engine_.cancelled(net::cancellation_type::partial);
        run();
    }

    void kick() override { run(); }

private:
    // ----------------------------------------------------------- actions

    void run()
    {
        sse::detail::lazy_now now;
        run(now);
    }

    void run(sse::detail::lazy_now& now)
    {
        if (engine_.done())
            return;
        engine_.set_backpressure(conn_->h2().over_queue_cap());
        for (auto a = engine_.next(now); !a.is_none(); a = engine_.next(now))
            perform(a, now);
        sync_queued();
    }

    void perform(action const& a, sse::detail::lazy_now& now)
    {
        using type = action::type;
        switch (a.get_type()) {
        case type::none: break;
        case type::ask_source: source_->async_next(next_handler{ref(this)}); break;
        case type::take_backlog: sse::detail::take_backlog(engine_, *source_, batch_, a.max_bytes()); break;
        case type::write: offer(a, now); break;
        case type::defer_write:
            net::post(ex_, [self = ref(this)] {
                self.p->engine_.turn_done();
                self.p->run();
            });
            break;
        case type::wait_until: timer_.arm(a.expiry()); break;
        case type::cancel_wait: timer_.cancel(); break;
        case type::cancel_source: source_cancel_.emit(net::cancellation_type::terminal); break;
        case type::release_source: source_.reset(); break;
        case type::watch_source: sse::detail::watch_source(*source_, source_watch_handler{ref(this)}); break;
        case type::stop_source_watch: source_watch_cancel_.emit(net::cancellation_type::terminal); break;
        case type::watch: watching_ = true; break; // the session calls closed()
        case type::stop_watch: break;              // not asked for a stream's close
        case type::abort:
            stop(net::error::operation_aborted);
            if (writing_ && !in_flight_) {
                writing_ = false;
                engine_.wrote(stop_error_, now());
            }
            // In flight: the write ends once its batch is written.
            if (session_) {
                session_->reset(id_, NGHTTP2_CANCEL);
                conn_->wake();
            }
            break;
        case type::complete: finish(a.error()); break;
        }
    }

    // A write: offered to nghttp2, which frames it through read() and take().
    void offer(action const& a, sse::detail::lazy_now& now)
    {
        if (a.bytes() == 0 && !a.last()) {
            engine_.wrote({}, now()); // the header alone: nghttp2 sent it with the response
            return;
        }
        if (stopped_) {
            engine_.wrote(stop_error_, now()); // the stream is gone: never to be framed
            return;
        }
        buffers_ = a.buffers();
        index_ = 0;
        offset_ = 0;
        unframed_ = net::buffer_size(buffers_);
        write_last_ = a.last();
        all_framed_ = false;
        writing_ = true;
        if (session_ && std::exchange(deferred_, false)) {
            session_->resume(id_);
            conn_->wake();
        }
    }

    // No more frames: the stream closed, or is being reset.
    void stop(error_code ec) noexcept
    {
        if (!stopped_) {
            stopped_ = true;
            stop_error_ = ec;
        }
    }

    void finish(error_code ec)
    {
        source_.reset();
        if (accounted_ != 0) {
            conn_->h2().add_queued(-static_cast<std::ptrdiff_t>(accounted_));
            accounted_ = 0;
        }
        if (on_end_)
            std::exchange(on_end_, nullptr)(ec);
        conn_->stream_done();
    }

    // The connection's count of queued bytes, for its cap.
    void sync_queued()
    {
        if (engine_.done())
            return;
        auto const q = engine_.queued();
        conn_->h2().add_queued(static_cast<std::ptrdiff_t>(q) - static_cast<std::ptrdiff_t>(accounted_));
        accounted_ = q;
    }

    void post_run()
    {
        if (!run_posted_) {
            run_posted_ = true;
            net::post(ex_, [self = ref(this)] {
                self.p->run_posted_ = false;
                self.p->run();
            });
        }
    }

    // ------------------------------------------------------------ events

    void on_next(error_code ec, std::optional<item_type> item)
    {
        engine_.source_completed(ec, item);
        run();
    }

    // Owned jointly by the session (until the stream closes) and by every
    // pending sub-operation's handler.
    using ref = sse::detail::counted_ref<stream_body>;
    friend ref;

    void add_ref() noexcept { ++refs_; }
    void release_ref() noexcept
    {
        if (--refs_ == 0)
            delete this;
    }

    struct handler_base {
        ref self;

        using executor_type = Executor;
        executor_type get_executor() const noexcept { return self.p->ex_; }
    };

    struct next_handler : handler_base {
        using cancellation_slot_type = net::cancellation_slot;
        cancellation_slot_type get_cancellation_slot() const noexcept { return this->self.p->source_cancel_.slot(); }

        void operator()(error_code ec, std::optional<item_type> item) { this->self.p->on_next(ec, std::move(item)); }
    };

    // Held by the source for as long as the stream is held back.
    struct source_watch_handler : handler_base {
        using cancellation_slot_type = net::cancellation_slot;
        cancellation_slot_type get_cancellation_slot() const noexcept { return this->self.p->source_watch_cancel_.slot(); }

        void operator()(error_code ec)
        {
            this->self.p->engine_.source_watch_ended(ec);
            this->self.p->run();
        }
    };

    // The deadline fell due or was cancelled (posted by the deadline queue).
    struct timer_handler : handler_base {
        void operator()()
        {
            this->self.p->engine_.timer_fired(clock::now());
            this->self.p->run();
        }
    };
    friend class sse::detail::op_timer<stream_body, timer_handler>;

    // For the deadline queue.
    executor_type get_executor() const noexcept { return ex_; }

    connection_base* conn_; // valid until stream_done()
    detail::session* session_; // null once nghttp2 closed the stream
    std::int32_t id_;
    Executor ex_;
    // In the execution context's deadline queue, not a timer of its own.
    sse::detail::op_timer<stream_body, timer_handler> timer_;
    net::cancellation_signal source_cancel_;
    net::cancellation_signal source_watch_cancel_;
    sse::detail::stream_engine engine_;
    std::optional<Source> source_;
    std::function<void(error_code)> on_end_;
    std::vector<item_type> batch_;
    std::span<net::const_buffer const> buffers_; // the write's payload
    std::size_t index_ = 0;                      // where the next frame starts
    std::size_t offset_ = 0;
    std::size_t unframed_ = 0;                   // bytes of the write not yet framed
    std::size_t accounted_ = 0;
    std::size_t refs_;
    error_code stop_error_;
    bool writing_ = false;       // a write is offered; the engine hears of its end
    bool write_last_ = false;
    bool all_framed_ = false;    // the write is in frames: it ends when its batch is written
    bool in_flight_ = false;     // a batch holds bytes of the write
    bool stopped_ = false;       // no more frames: closed or reset
    bool close_pending_ = false; // closed while a batch held bytes: the watch ends after it
    bool watching_ = false;
    bool deferred_ = false;
    bool run_posted_ = false;
};

// The connection: reads into the session, writes what it produces, calls
// the handler for each complete request, and ends when the session, the
// transport or the caller says so, once every stream has finished. This is
// all of it but the request handler and the caller's completion handler,
// so it is compiled once per stream and allocator type, however many
// handlers and completion tokens a program serves with; serve_op below
// adds them.
template <class AsyncStream, class Allocator>
class serve_core : public connection_base {
public:
    using executor_type = typename AsyncStream::executor_type;
    using allocator_type = Allocator;

    executor_type get_executor() const noexcept { return stream_.get_executor(); }

    // The operation's, for the sub-operations' handlers (op_handler).
    allocator_type get_allocator() const noexcept { return functions_->get_allocator(*this); }
    void add_ref() noexcept { functions_->add_ref(*this); }
    void release_ref() noexcept { functions_->release_ref(*this); }

    // ----------------------------------------------------- connection_base

    detail::session& h2() noexcept override { return session_; }

    void wake() override
    {
        if (!wake_posted_ && !writing_ && !ending_ && !notifying_) {
            wake_posted_ = true;
            net::post(stream_.get_executor(), [self = ref(this)] {
                self.p->wake_posted_ = false;
                self.p->run();
            });
        }
    }

    void stream_done() override
    {
        ref const self(this);
        this->release_ref(); // the stream's
        --streams_;
        if (ending_)
            post_complete();
        else
            wake(); // its bytes left the connection's queue: streams held back may go on
    }

protected:
    using clock = std::chrono::steady_clock;
    using ref = sse::detail::counted_ref<serve_core>;
    using timer_type = net::basic_waitable_timer<clock, net::wait_traits<clock>, executor_type>;

    // What the operation adds: its counted lifetime and allocator, the
    // handler's call for a request (answer() then, or for an awaitable
    // handler later, with answer_cancels_ holding its signal), and the
    // completion. A table per operation type rather than virtual
    // functions: GCC instantiates the virtual functions of a class template
    // where it warns (-Wsubobject-linkage) that an awaitable handler's
    // coroutine frame holds a type without linkage, a lambda's.
    struct functions {
        allocator_type (*get_allocator)(serve_core const&) noexcept;
        void (*add_ref)(serve_core&) noexcept;
        void (*release_ref)(serve_core&) noexcept;
        void (*handle)(serve_core&, request_stream&);
        void (*finish)(serve_core&, error_code);
    };

    // The read buffer is small while the peer sends little, so that an
    // idle connection holds 2 KiB rather than 16, and large once a read
    // fills it (an upload, a burst of requests) until a read brings less
    // than the small size again.
    static constexpr std::size_t small_read_size = 2 * 1024;
    static constexpr std::size_t read_size = 16 * 1024;
    static constexpr std::size_t write_size = 64 * 1024;

    serve_core(
        functions const& f,
        executor_type const& ex,
        AsyncStream& stream,
        server_options const& options
    )
        : functions_(&f)
        , stream_(stream)
        , session_(options, clock::now())
        , timer_(ex)
    {
    }

    ~serve_core() = default;

    template <class DynamicBuffer>
    void begin(DynamicBuffer& buffer)
    {
        ref const self(this);
        // Bytes read before: the preface, perhaps more.
        auto const bytes = buffer.data();
        for (auto const b : beast::buffers_range_ref(bytes)) {
            if (!session_.receive(static_cast<std::uint8_t const*>(b.data()), b.size(), clock::now()))
                break;
        }
        buffer.consume(buffer.size());
        dispatch_ready();
        run();
    }

protected:
    // ------------------------------------------------------------ actions

    void run()
    {
        if (ending_) {
            post_complete();
            return;
        }
        if (!writing_) {
            if (!session_.produce(write_size, clock::now())) {
                session_.sent(net::error::operation_aborted); // never written
                end();
                return;
            }
            if (!session_.output().empty())
                start_write();
        }
        if (session_.cap_released())
            kick_streams();
        if (!reading_ && !read_done_ && session_.alive())
            start_read();
        if (!writing_ && !session_.alive()) {
            end(); // GOAWAY written, or nothing left to do
            return;
        }
        if (read_done_ && !writing_) {
            end();
            return;
        }
        arm_timer();
    }

    // The batch, by gather writes: frame headers and control frames from
    // the session's storage, payloads from the streams' own bytes.
    void start_write()
    {
        writing_ = true;
        write_started_ = clock::now();
        session_.output().buffers();
        write_some();
    }

    // What is left of the batch, in one write_some: a socket takes up to
    // 64 buffers in one call (net::async_write would give it 16 at a time).
    void write_some() { stream_.async_write_some(session_.output().unwritten(), write_handler{ref(this)}); }

    void start_read()
    {
        reading_ = true;
        if (read_capacity_ != next_read_size_) {
            read_buffer_.reset();
            read_buffer_.reset(new std::uint8_t[next_read_size_]);
            read_capacity_ = next_read_size_;
        }
        stream_.async_read_some(net::buffer(read_buffer_.get(), read_capacity_), read_handler{ref(this)});
    }

    // The connection is over: every stream ends now, the read stops, and
    // the operation completes once they all have.
    void end()
    {
        if (ending_)
            return;
        ending_ = true;
        for (auto& c : answer_cancels_)
            c.emit(net::cancellation_type::terminal);
        session_.close_all();
        if (reading_)
            read_cancel_.emit(net::cancellation_type::terminal);
        if (writing_)
            write_cancel_.emit(net::cancellation_type::terminal);
        if (timer_armed_)
            timer_.cancel();
        post_complete();
    }

    // Completion happens on a turn of its own, never inside a callback of
    // the session or of a stream.
    void post_complete()
    {
        if (complete_posted_ || completed_)
            return;
        if (reading_ || writing_ || timer_armed_ || streams_ != 0 || !answer_cancels_.empty())
            return;
        complete_posted_ = true;
        net::post(stream_.get_executor(), [self = ref(this)] { self.p->on_complete(); });
    }

    void on_complete()
    {
        completed_ = true;
        error_code ec = session_.result();
        if (!ec)
            ec = result_;
        functions_->finish(*this, ec);
    }

    void arm_timer()
    {
        std::optional<clock::time_point> due;
        auto const& o = session_.options();
        if (writing_) {
            if (o.write_timeout.count() > 0)
                due = write_started_ + o.write_timeout;
        } else if (session_.open_streams() == 0 && o.idle_timeout.count() > 0 && !session_.shutting_down()) {
            due = last_active_ + o.idle_timeout;
        }
        if (!due)
            return;
        if (timer_armed_) {
            if (timer_.expiry() > *due)
                timer_.cancel();
            return;
        }
        timer_armed_ = true;
        timer_.expires_at(*due);
        timer_.async_wait(timer_handler{ref(this)});
    }

    void kick_streams();

    // Calls the handler for each request that arrived whole.
    void dispatch_ready()
    {
        while (!session_.ready().empty() && !ending_) {
            std::int32_t const id = session_.ready().front();
            session_.ready().erase(session_.ready().begin());
            auto* s = session_.find(id);
            if (!s || s->answered)
                continue;
            last_active_ = clock::now();
            s->head = s->request.method() == beast::http::verb::head;
            functions_->handle(*this, *s);
        }
        session_.goaway_if_drained();
    }

    // The handler threw: 500, and the user's hook hears of it.
    void fail(request_stream& s, std::exception_ptr e)
    {
        if (!s.answered)
            session_.answer_error(s, 500);
        sse::detail::report_handler_exception(session_.options().on_handler_exception, std::move(e));
    }

    template <class R>
    void answer(request_stream& s, R&& r)
    {
        using type = std::remove_cvref_t<R>;
        if constexpr (sse::detail::is_stream_response<type>::value) {
            answer_stream(s, r);
        } else if constexpr (std::same_as<type, response>) {
            if (r.is_stream())
                answer_stream(s, r.stream());
            else
                answer_plain(s, r.plain());
        } else {
            answer_plain(s, r);
        }
    }

    template <class Body, class Fields>
    void answer_plain(request_stream& s, beast::http::response<Body, Fields>& res)
    {
        std::string body = s.head ? std::string() : collect_body(res);
        auto nva = header_block(res.base(), header_storage_);
        if (body.empty()) {
            session_.submit(s, res.result_int(), nva, nullptr);
            return;
        }
        session_.submit(s, res.result_int(), nva, new fixed_body(std::move(body)));
    }

    // A HEAD request's stream: the header a GET gets, then END_STREAM. The
    // source goes unasked, then on_end hears that the stream is over.
    template <class Source>
    void answer_head(request_stream& s, stream_response<Source>& r)
    {
        std::function<void(error_code)> on_end;
        {
            auto parts = r.release();
            auto nva = header_block(parts.header, header_storage_);
            session_.submit(s, parts.header.result_int(), nva, nullptr);
            on_end = std::move(parts.on_end);
        }
        if (on_end)
            on_end({});
    }

    template <class Source>
    void answer_stream(request_stream& s, stream_response<Source>& r)
    {
        if (s.head)
            return answer_head(s, r);
        auto parts = r.release();
        auto nva = header_block(parts.header, header_storage_);
        unsigned const status = parts.header.result_int();
        auto* body = new stream_body<executor_type, Source>(*this, s.id, stream_.get_executor(), std::move(parts));
        ++streams_;
        this->add_ref(); // the stream's, until stream_done()
        session_.submit(s, status, nva, body);
        if (s.body == body)
            body->start();
    }

    // ------------------------------------------------------------- events

    void on_read(error_code ec, std::size_t n)
    {
        reading_ = false;
        if (ending_) {
            post_complete();
            return;
        }
        if (ec) {
            read_done_ = true;
            if (ec != net::error::eof && ec != net::error::connection_reset && ec != net::error::operation_aborted &&
                !result_)
                result_ = ec;
        } else {
            last_active_ = clock::now();
            if (n == read_capacity_)
                next_read_size_ = read_size;
            else if (n < small_read_size)
                next_read_size_ = small_read_size;
            if (!session_.receive(read_buffer_.get(), n, last_active_))
                read_done_ = true;
            dispatch_ready();
            if (session_.peer_goaway() && !read_done_) {
                // The peer is leaving: its event streams would never be
                // read. They end as if it had closed the connection.
                read_done_ = true;
                session_.terminate(NGHTTP2_NO_ERROR, {});
            }
        }
        run();
    }

    void on_write_some(error_code ec, std::size_t n)
    {
        if (!ec && !ending_) {
            auto& out = session_.output();
            out.consume(n);
            if (!out.unwritten().empty()) {
                if (n != 0) {
                    write_some();
                    return;
                }
                ec = net::error::broken_pipe; // the transport took nothing, and said nothing
            }
        }
        if (!ec && ending_)
            ec = net::error::operation_aborted;
        on_write(ec);
    }

    void on_write(error_code ec)
    {
        writing_ = false;
        last_active_ = clock::now();
        // The streams whose bytes the batch held end their writes and go
        // on; run() below writes what they offer (no wake-up of their own).
        notifying_ = true;
        session_.sent(ec);
        notifying_ = false;
        if (ending_) {
            post_complete();
            return;
        }
        if (ec) {
            if (!result_ && ec != net::error::operation_aborted)
                result_ = ec;
            end();
            return;
        }
        run();
    }

    void on_timer()
    {
        timer_armed_ = false;
        if (ending_) {
            post_complete();
            return;
        }
        auto const now = clock::now();
        auto const& o = session_.options();
        if (writing_) {
            if (o.write_timeout.count() > 0 && now >= write_started_ + o.write_timeout) {
                // The peer stopped reading: as over HTTP/1.1.
                if (!result_)
                    result_ = make_error_code(beast::error::timeout);
                end();
                return;
            }
        } else if (session_.open_streams() == 0 && o.idle_timeout.count() > 0 && now >= last_active_ + o.idle_timeout &&
                   !session_.shutting_down()) {
            session_.terminate(NGHTTP2_NO_ERROR, make_error_code(beast::error::timeout));
        }
        run();
    }

    // Terminal: every stream and the connection end at once. Partial and
    // total: a graceful shutdown (new streams refused, open ones ended with
    // END_STREAM, then GOAWAY); a terminal cancellation may follow.
    void on_cancel(net::cancellation_type type)
    {
        ref const self(this);
        if (!result_)
            result_ = net::error::operation_aborted;
        if ((type & net::cancellation_type::terminal) != net::cancellation_type::none) {
            end();
            return;
        }
        session_.begin_shutdown();
        run();
    }

    // The signals that cancel the read and the write (declared before the
    // handlers that name them).
    net::cancellation_signal read_cancel_;
    net::cancellation_signal write_cancel_;

private:
    // Owned jointly by every pending sub-operation and every stream still
    // running (each holds a counted reference).
    template <auto Signal>
    using cancellable_base =
        sse::detail::op_cancellable_handler<serve_core, executor_type, Allocator, Signal, false>;

    struct read_handler : cancellable_base<&serve_core::read_cancel_> {
        void operator()(error_code ec, std::size_t n) { this->self.p->on_read(ec, n); }
    };

    struct write_handler : cancellable_base<&serve_core::write_cancel_> {
        void operator()(error_code ec, std::size_t n) { this->self.p->on_write_some(ec, n); }
    };

    struct timer_handler : sse::detail::op_handler<serve_core, executor_type, Allocator, false> {
        void operator()(error_code) { this->self.p->on_timer(); }
    };

    functions const* functions_;

protected:
    AsyncStream& stream_;
    detail::session session_; // decides; this op performs its I/O
    timer_type timer_;
    std::list<net::cancellation_signal> answer_cancels_; // one per awaitable handler running
    std::unique_ptr<std::uint8_t[]> read_buffer_;
    std::size_t read_capacity_ = 0;
    std::size_t next_read_size_ = small_read_size;
    std::string header_storage_;
    error_code result_;
    clock::time_point last_active_ = clock::now();
    clock::time_point write_started_{};
    std::size_t streams_ = 0;
    bool reading_ = false;
    bool read_done_ = false;
    bool writing_ = false;
    bool timer_armed_ = false;
    bool wake_posted_ = false;
    bool notifying_ = false; // the batch's streams hear of its write
    bool ending_ = false;
    bool complete_posted_ = false;
    bool completed_ = false;
};

template <class AsyncStream, class Allocator>
void serve_core<AsyncStream, Allocator>::kick_streams()
{
    session_.for_each_body([](body_base& b) { b.kick(); });
}


// The composed operation behind http2::async_serve: the connection's
// serve_core, the request handler, and the caller's completion handler.
template <class AsyncStream, class Handler, class CompletionHandler>
class serve_op final
    : public sse::detail::async_op<
          serve_op<AsyncStream, Handler, CompletionHandler>,
          CompletionHandler,
          typename AsyncStream::executor_type>
    , public serve_core<AsyncStream, net::associated_allocator_t<CompletionHandler>> {
    using core = serve_core<AsyncStream, net::associated_allocator_t<CompletionHandler>>;
    using base = sse::detail::async_op<serve_op, CompletionHandler, typename AsyncStream::executor_type>;
    using ref = typename base::ref;
    using executor_type = typename AsyncStream::executor_type;
    using answer_type = sse::detail::handler_answer_t<Handler>;

public:
    serve_op(
        CompletionHandler&& done,
        executor_type const& ex,
        AsyncStream& stream,
        Handler&& handler,
        server_options const& options
    )
        : base(std::move(done), ex)
        , core(op_functions, ex, stream, options)
        , handler_(std::move(handler))
    {
    }

    using core::get_executor;
    using base::add_ref;
    using base::get_allocator;
    using base::release_ref;

    template <class DynamicBuffer>
    void start(DynamicBuffer& buffer)
    {
        ref const self(this);
        this->on_cancellation([this](net::cancellation_type type) { this->on_cancel(type); });
        this->begin(buffer);
    }

private:
    static serve_op& self(core& c) noexcept { return static_cast<serve_op&>(c); }

    static constexpr typename core::functions op_functions{
        [](core const& c) noexcept { return static_cast<serve_op const&>(c).get_allocator(); },
        [](core& c) noexcept { self(c).add_ref(); },
        [](core& c) noexcept { self(c).release_ref(); },
        [](core& c, request_stream& s) { self(c).handle(s); },
        [](core& c, error_code ec) { self(c).finish(ec); },
    };

    void handle(request_stream& s)
    {
        if constexpr (awaitable_request_handler<Handler>) {
            await_answer_of(s);
        } else {
            std::exception_ptr failure;
            try {
                // The request lives while the handler runs: the stream
                // keeps none of it (an event stream may last for hours).
                auto request = std::move(s.request);
                this->answer(s, (*handler_)(std::move(request)));
            } catch (...) {
                failure = std::current_exception();
            }
            if (failure)
                this->fail(s, std::move(failure));
        }
    }

    void finish(error_code ec)
    {
        handler_.reset(); // what it holds may go with the completion handler
        this->complete(ec);
    }

    // An awaitable handler runs on the connection's executor; its answer
    // goes to its stream if the stream is still there.
    void await_answer_of(request_stream& s)
    {
        auto const cancel = this->answer_cancels_.emplace(this->answer_cancels_.end());
        net::co_spawn(
            this->stream_.get_executor(),
            sse::detail::await_answer(*handler_, std::move(s.request)),
            answer_handler{{ref(this)}, s.id, cancel}
        );
    }

    void on_answer(std::int32_t id, std::exception_ptr e, std::optional<answer_type> r)
    {
        auto* s = this->ending_ ? nullptr : this->session_.find(id);
        if (s && !s->answered) {
            if (e)
                this->fail(*s, std::move(e));
            else
                this->answer(*s, std::move(*r));
        }
        r.reset(); // an answer not taken (its stream is gone) ends here
        this->session_.goaway_if_drained();
        this->run();
    }

    // The completion of an awaitable handler's coroutine; its slot is the
    // signal that cancels it when the connection ends.
    struct answer_handler : base::sub_handler {
        std::int32_t id;
        std::list<net::cancellation_signal>::iterator cancel;

        using cancellation_slot_type = net::cancellation_slot;
        cancellation_slot_type get_cancellation_slot() const noexcept { return cancel->slot(); }

        void operator()(std::exception_ptr e, std::optional<answer_type> r)
        {
            auto* op = this->self.p;
            op->answer_cancels_.erase(cancel);
            op->on_answer(id, std::move(e), std::move(r));
        }
    };

    std::optional<Handler> handler_; // destroyed before the completion handler runs
};

template <class AsyncStream, class DynamicBuffer, class Handler>
struct serve_initiation {
    AsyncStream* stream;

    using executor_type = typename AsyncStream::executor_type;

    executor_type get_executor() const noexcept { return stream->get_executor(); }

    template <class CompletionHandler>
    void operator()(CompletionHandler&& done, DynamicBuffer* buffer, Handler&& handler, server_options const& options)
        const
    {
        static_assert(
            beast::is_async_stream<AsyncStream>::value,
            "AsyncStream type requirements not met: see Beast's AsyncStream"
        );
        using op = serve_op<AsyncStream, Handler, std::decay_t<CompletionHandler>>;
        std::decay_t<CompletionHandler> d(std::forward<CompletionHandler>(done));
        op::create(std::move(d), stream->get_executor(), *stream, std::move(handler), options)->start(*buffer);
    }
};

} // namespace sse::http2::detail

namespace sse::http2 {

template <class AsyncStream, class DynamicBuffer, class Handler, net::completion_token_for<void(error_code)> CompletionToken>
auto async_serve(
    AsyncStream& stream,
    DynamicBuffer& buffer,
    Handler handler,
    server_options const& options,
    CompletionToken&& token
)
{
    static_assert(
        net::is_dynamic_buffer<DynamicBuffer>::value,
        "DynamicBuffer type requirements not met: see Beast's DynamicBuffer"
    );
    static_assert(
        sse::request_handler<Handler>,
        "Handler requirements not met: a request handler takes an sse::request&& and returns sse::response, "
        "a beast::http::response or an sse::stream_response, or a net::awaitable of one: see sse/handler.hpp"
    );
    using init = detail::serve_initiation<AsyncStream, DynamicBuffer, Handler>;
    return net::async_initiate<CompletionToken, void(error_code)>(
        init{&stream}, token, &buffer, std::move(handler), options
    );
}

template <class AsyncStream, class DynamicBuffer, class Handler, net::completion_token_for<void(error_code)> CompletionToken>
auto async_serve(AsyncStream& stream, DynamicBuffer& buffer, Handler handler, CompletionToken&& token)
{
    return http2::async_serve(stream, buffer, std::move(handler), server_options{}, std::forward<CompletionToken>(token));
}

} // namespace sse::http2

#endif
