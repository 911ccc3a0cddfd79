//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_IMPL_HTTP1_HPP
#define SSE_IMPL_HTTP1_HPP

#include <sse/detail/async_op.hpp>
#include <sse/handler.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <utility>

namespace sse {
namespace detail {

// Shuts down the send side of a plain TCP connection: the stream is its
// own lowest layer (not TLS over it) and has a socket. Returns whether it
// did.
template <class AsyncStream>
bool shutdown_send(AsyncStream& stream)
{
    using lowest = std::remove_cvref_t<decltype(beast::get_lowest_layer(stream))>;
    if constexpr (std::is_same_v<AsyncStream, lowest>) {
        error_code ec;
        if constexpr (requires(AsyncStream& s, error_code& e) {
                          s.socket().shutdown(net::socket_base::shutdown_send, e);
                      }) {
            stream.socket().shutdown(net::socket_base::shutdown_send, ec);
            return !ec;
        } else if constexpr (requires(AsyncStream& s, error_code& e) {
                                 s.shutdown(net::socket_base::shutdown_send, e);
                             }) {
            stream.shutdown(net::socket_base::shutdown_send, ec);
            return !ec;
        }
    }
    return false;
}

// How long a refused connection is read and discarded, after its answer,
// before the session ends: long enough for the peer to see the answer and
// close, rather than get a reset that may destroy the answer unread.
inline constexpr std::chrono::seconds refusal_linger{1};

// The composed operation behind http1::async_serve: one heap block per
// connection, at most one read or write and one timer wait outstanding,
// all on the stream's executor.
template <class AsyncStream, class DynamicBuffer, class Handler, class CompletionHandler>
class serve_op final : public async_op<
                           serve_op<AsyncStream, DynamicBuffer, Handler, CompletionHandler>,
                           CompletionHandler,
                           typename AsyncStream::executor_type> {
    using base = async_op<serve_op, CompletionHandler, typename AsyncStream::executor_type>;
    using ref = typename base::ref;
    using executor_type = typename AsyncStream::executor_type;
    using clock = std::chrono::steady_clock;
    using timer_type = net::basic_waitable_timer<clock, net::wait_traits<clock>, executor_type>;
    using request_type = http1::request;
    using parser_type = beast::http::request_parser<beast::http::string_body>;
    using result_type = handler_answer_t<Handler>;
    using refusal_type = beast::http::response<beast::http::string_body>;

    enum class phase {
        starting,  // the first step is posted
        idle,      // waiting for the first byte of a request
        request,   // reading the rest of a request
        handling,  // in the request handler, or awaiting its answer
        plain,     // writing an ordinary response
        streaming, // writing an event stream
        refusing,  // writing 400, 413 or 431
        lingering, // reading and discarding after a refusal
    };

public:
    serve_op(
        CompletionHandler&& completion,
        executor_type const& ex,
        AsyncStream& stream,
        DynamicBuffer& buffer,
        Handler&& handler,
        server_options const& options
    )
        : base(std::move(completion), ex)
        , stream_(stream)
        , buffer_(buffer)
        , handler_(std::move(handler))
        , options_(options)
        , timer_(ex)
    {
    }

    executor_type get_executor() const noexcept { return stream_.get_executor(); }

    void start()
    {
        ref const self(this);
        this->on_cancellation([this](net::cancellation_type type) { on_cancel(type); });
        if constexpr (requires { beast::get_lowest_layer(stream_).expires_never(); })
            beast::get_lowest_layer(stream_).expires_never();
        posted_ = true;
        net::post(stream_.get_executor(), post_handler{{ref(this)}});
    }

private:
    // ------------------------------------------------------------- actions

    void next_request()
    {
        if (cancel_requested_)
            return finish(net::error::operation_aborted);
        parser_.emplace();
        parser_->header_limit(options_.max_header_size);
        parser_->body_limit(options_.max_body_size);
        parser_->eager(true);
        if (buffer_.size() != 0) {
            begin_request();
            parse();
        } else {
            phase_ = phase::idle;
            set_deadline(options_.idle_timeout);
            start_read();
        }
    }

    // The first byte of a request is in: from now on request_timeout applies.
    void begin_request()
    {
        phase_ = phase::request;
        set_deadline(options_.request_timeout);
    }

    // Feeds the parser what the buffer holds, then reads more, answers a
    // complete request, or refuses a bad one.
    void parse()
    {
        for (;;) {
            if (buffer_.size() == 0)
                return start_read();
            error_code ec;
            std::size_t const n = parser_->put(buffer_.data(), ec);
            buffer_.consume(n);
            if (ec == beast::http::error::need_more)
                return start_read();
            if (ec)
                return refuse(ec);
            if (parser_->is_done())
                return handle_request();
            if (n == 0)
                return start_read();
        }
    }

    void start_read()
    {
        std::size_t const size = beast::read_size(buffer_, 65536);
        if (size == 0) {
            // The caller's buffer is full: the request is too large for it.
            if (phase_ == phase::lingering)
                buffer_.consume(buffer_.size());
            else
                return refuse(
                    parser_ && parser_->is_header_done() ? beast::http::error::body_limit
                                                         : beast::http::error::header_limit
                );
        }
        reading_ = true;
        stream_.async_read_some(buffer_.prepare(beast::read_size(buffer_, 65536)), read_handler{{ref(this)}});
        arm_timer();
    }

    void handle_request()
    {
        phase_ = phase::handling;
        deadline_.reset();
        request_type req = parser_->release();
        parser_.reset();
        request_keep_alive_ = req.keep_alive();
        request_version_ = req.version();
        if constexpr (awaitable_request_handler<Handler>) {
            // Run on the stream's executor; nothing is read meanwhile.
            awaiting_ = true;
            net::co_spawn(stream_.get_executor(), await_answer(*handler_, std::move(req)), answer_handler{{ref(this)}});
        } else {
            std::exception_ptr failure;
            try {
                result_.emplace(std::invoke(*handler_, std::move(req)));
            } catch (...) {
                failure = std::current_exception();
            }
            answer(std::move(failure));
        }
    }

    // Writes the handler's answer, or a 500 when it threw.
    void answer(std::exception_ptr failure)
    {
        if (failure) {
            failure_.emplace(internal_error_answer(request_version_, request_keep_alive_));
            start_plain(*failure_);
            report_handler_exception(options_, std::move(failure));
            return;
        }
        if constexpr (std::is_same_v<result_type, response>) {
            if (result_->is_stream())
                start_stream(result_->stream());
            else
                start_plain(result_->plain());
        } else if constexpr (is_stream_response<result_type>::value) {
            start_stream(*result_);
        } else {
            start_plain(*result_);
        }
    }

    template <class Body, class Fields>
    void start_plain(beast::http::response<Body, Fields>& res)
    {
        if (!request_keep_alive_ && res.keep_alive())
            res.keep_alive(false);
        keep_alive_ = !res.need_eof();
        phase_ = phase::plain;
        set_deadline(options_.write_timeout);
        writing_ = true;
        beast::http::async_write(stream_, res, write_handler{{ref(this)}});
        arm_timer();
    }

    template <class Source>
    void start_stream(stream_response<Source>& res)
    {
        keep_alive_ = res.keep_alive();
        phase_ = phase::streaming;
        deadline_.reset(); // the stream has timeouts of its own
        if (timer_armed_)
            timer_.cancel();
        writing_ = true;
        // Bytes the client pipelines during the stream end it, and stay in
        // the buffer for the next request; a request sent after the stream
        // ended is never read by it.
        sse::async_write(stream_, buffer_, res, write_handler{{ref(this)}});
        if (cancel_requested_) // stopped while an awaitable handler ran
            write_cancel_.emit(net::cancellation_type::partial);
    }

    // Answers a request the parser refused, then ends the session.
    void refuse(error_code ec)
    {
        namespace http = beast::http;
        refusal_ec_ = ec;
        parser_.reset();
        http::status status = http::status::bad_request;
        if (ec == http::error::header_limit)
            status = http::status::request_header_fields_too_large;
        else if (ec == http::error::body_limit)
            status = http::status::payload_too_large;
        refusal_.emplace(status, 11);
        refusal_->keep_alive(false);
        refusal_->set(http::field::content_type, "text/plain");
        refusal_->body() = std::string(http::obsolete_reason(status)) + "\n";
        refusal_->prepare_payload();
        phase_ = phase::refusing;
        set_deadline(options_.write_timeout);
        writing_ = true;
        http::async_write(stream_, *refusal_, write_handler{{ref(this)}});
        arm_timer();
    }

    void set_deadline(std::chrono::milliseconds d)
    {
        if (d.count() > 0)
            deadline_ = clock::now() + d;
        else
            deadline_.reset();
    }

    // Keeps one wait on the timer while a deadline is set. A deadline that
    // moves later needs no re-arming: the wait re-checks when it fires.
    void arm_timer()
    {
        if (!deadline_ || finishing_)
            return;
        if (timer_armed_) {
            if (timer_.expiry() > *deadline_)
                timer_.cancel(); // the wait ends, and re-arms at the earlier time
            return;
        }
        timer_armed_ = true;
        timer_.expires_at(*deadline_);
        timer_.async_wait(timer_handler{{ref(this)}});
    }

    void finish(error_code ec)
    {
        if (finishing_)
            return;
        finishing_ = true;
        result_ec_ = ec;
        deadline_.reset();
        if (timer_armed_)
            timer_.cancel();
        if (reading_)
            read_cancel_.emit(net::cancellation_type::terminal);
        if (awaiting_)
            answer_cancel_.emit(net::cancellation_type::terminal);
        maybe_complete();
    }

    // Completes once every sub-operation has finished. The request handler
    // and the last response are destroyed first; the op's memory goes with
    // the last reference to it.
    void maybe_complete()
    {
        if (completed_ || !finishing_ || reading_ || writing_ || timer_armed_ || posted_ || awaiting_)
            return;
        completed_ = true;
        result_.reset();
        refusal_.reset();
        failure_.reset();
        parser_.reset();
        handler_.reset();
        this->complete(result_ec_);
    }

    // -------------------------------------------------------------- events

    void on_start()
    {
        posted_ = false;
        if (finishing_) // cancelled before the first step
            return maybe_complete();
        next_request();
    }

    void on_read(error_code ec, std::size_t n)
    {
        reading_ = false;
        buffer_.commit(n);
        if (finishing_)
            return maybe_complete();
        if (phase_ == phase::lingering) {
            buffer_.consume(buffer_.size());
            if (ec || timed_out_ || cancel_requested_)
                return finish(cancel_requested_ ? error_code(net::error::operation_aborted) : refusal_ec_);
            return start_read();
        }
        if (cancel_requested_)
            return finish(net::error::operation_aborted);
        if (timed_out_)
            return finish(beast::error::timeout);
        if (ec == net::error::eof || ec == beast::http::error::end_of_stream) {
            if (phase_ == phase::idle && buffer_.size() == 0)
                return finish({}); // the peer closed between requests
            return finish(beast::http::error::partial_message);
        }
        if (ec)
            return finish(ec);
        if (phase_ == phase::idle && buffer_.size() != 0)
            begin_request();
        parse();
    }

    // An awaitable handler's answer, or its exception.
    void on_answer(std::exception_ptr e, std::optional<result_type> answer_value)
    {
        awaiting_ = false;
        if (finishing_)
            return maybe_complete();
        if (!e)
            result_ = std::move(answer_value);
        // Stopped meanwhile (partial or total): the answer is still
        // written; a stream ends cleanly at once.
        answer(std::move(e));
    }

    void on_write(error_code ec)
    {
        writing_ = false;
        result_.reset();
        failure_.reset();
        if (finishing_)
            return maybe_complete();
        if (phase_ == phase::refusing) {
            refusal_.reset();
            if (cancel_requested_)
                return finish(net::error::operation_aborted);
            if (ec || timed_out_ || !shutdown_send(stream_))
                return finish(refusal_ec_);
            phase_ = phase::lingering;
            deadline_ = clock::now() + refusal_linger;
            return start_read();
        }
        if (cancel_requested_)
            return finish(net::error::operation_aborted);
        if (timed_out_)
            return finish(beast::error::timeout);
        // A client that pipelined its next request during an event stream
        // ended the stream, cleanly: the request is in the buffer, next.
        if (ec && !(phase_ == phase::streaming && ec == error::unexpected_data))
            return finish(ec);
        if (!keep_alive_) {
            shutdown_send(stream_);
            return finish({});
        }
        next_request();
    }

    void on_timer()
    {
        timer_armed_ = false;
        if (finishing_)
            return maybe_complete();
        if (!deadline_)
            return;
        if (clock::now() < *deadline_)
            return arm_timer();
        // Expired: end what is in progress; its completion ends the session.
        deadline_.reset();
        timed_out_ = true;
        if (reading_)
            read_cancel_.emit(net::cancellation_type::terminal);
        else if (writing_)
            write_cancel_.emit(net::cancellation_type::terminal);
    }

    void on_cancel(net::cancellation_type type)
    {
        ref const self(this);
        if (finishing_)
            return;
        bool const first = !std::exchange(cancel_requested_, true);
        switch (phase_) {
        case phase::idle:
        case phase::request:
        case phase::lingering:
            if (first && reading_)
                read_cancel_.emit(net::cancellation_type::terminal);
            break;
        case phase::streaming:
            // Terminal: the stream ends at once. Partial and total: cleanly,
            // with its last chunk; a terminal cancellation may follow.
            write_cancel_.emit(type);
            break;
        case phase::handling:
            // An awaitable handler: let it answer, unless told to stop now.
            if (awaiting_ && (type & net::cancellation_type::terminal) != net::cancellation_type::none)
                finish(net::error::operation_aborted);
            break;
        case phase::starting:
        case phase::plain:
        case phase::refusing:
            // Seen when the step in progress completes.
            break;
        }
    }

    // The handlers of the sub-operations: each holds a counted reference
    // to the operation, which frees itself with the last.
    using sub_handler = typename base::sub_handler;

    struct post_handler : sub_handler {
        void operator()() { this->self.p->on_start(); }
    };

    struct read_handler : base::template cancellable_handler<&serve_op::read_cancel_> {
        void operator()(error_code ec, std::size_t n) { this->self.p->on_read(ec, n); }
    };

    struct write_handler : base::template cancellable_handler<&serve_op::write_cancel_> {
        void operator()(error_code ec) { this->self.p->on_write(ec); }
        void operator()(error_code ec, std::size_t) { this->self.p->on_write(ec); }
    };

    struct timer_handler : sub_handler {
        void operator()(error_code) { this->self.p->on_timer(); }
    };

    struct answer_handler : base::template cancellable_handler<&serve_op::answer_cancel_> {
        void operator()(std::exception_ptr e, std::optional<result_type> r)
        {
            this->self.p->on_answer(std::move(e), std::move(r));
        }
    };

    AsyncStream& stream_;
    DynamicBuffer& buffer_;
    std::optional<Handler> handler_;
    server_options options_;
    timer_type timer_;
    net::cancellation_signal read_cancel_;
    net::cancellation_signal write_cancel_;
    net::cancellation_signal answer_cancel_;
    std::optional<parser_type> parser_;
    std::optional<result_type> result_;
    std::optional<refusal_type> refusal_;
    std::optional<refusal_type> failure_; // the 500 of a handler that threw
    std::optional<clock::time_point> deadline_;
    error_code refusal_ec_;
    error_code result_ec_;
    phase phase_ = phase::starting;
    bool request_keep_alive_ = false;
    unsigned request_version_ = 11;
    bool keep_alive_ = false;
    bool reading_ = false;
    bool writing_ = false;
    bool timer_armed_ = false;
    bool posted_ = false;
    bool cancel_requested_ = false;
    bool timed_out_ = false;
    bool finishing_ = false;
    bool completed_ = false;
    bool awaiting_ = false; // an awaitable handler runs
};

template <class AsyncStream, class DynamicBuffer>
struct serve_initiation {
    AsyncStream* stream;
    DynamicBuffer* buffer;

    using executor_type = typename AsyncStream::executor_type;

    executor_type get_executor() const noexcept { return stream->get_executor(); }

    template <class CompletionHandler, class Handler>
    void operator()(CompletionHandler&& completion, Handler&& handler, server_options const& options) const
    {
        using op = serve_op<AsyncStream, DynamicBuffer, std::decay_t<Handler>, std::decay_t<CompletionHandler>>;
        std::decay_t<CompletionHandler> c(std::forward<CompletionHandler>(completion));
        std::decay_t<Handler> h(std::forward<Handler>(handler));
        op::create(std::move(c), stream->get_executor(), *stream, *buffer, std::move(h), options)->start();
    }
};

} // namespace detail

namespace http1 {

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
        beast::is_async_stream<AsyncStream>::value,
        "AsyncStream type requirements not met: see Beast's AsyncStream"
    );
    static_assert(
        net::is_dynamic_buffer<DynamicBuffer>::value,
        "DynamicBuffer type requirements not met: see Beast's DynamicBuffer"
    );
    static_assert(
        request_handler<Handler>,
        "Handler requirements not met: a request handler takes an sse::request&& and returns sse::response, "
        "a beast::http::response or an sse::stream_response, or a net::awaitable of one: see sse/handler.hpp"
    );
    using init = detail::serve_initiation<AsyncStream, DynamicBuffer>;
    return net::async_initiate<CompletionToken, void(error_code)>(
        init{&stream, &buffer}, token, std::move(handler), options
    );
}

template <class AsyncStream, class DynamicBuffer, class Handler, net::completion_token_for<void(error_code)> CompletionToken>
auto async_serve(AsyncStream& stream, DynamicBuffer& buffer, Handler handler, CompletionToken&& token)
{
    return http1::async_serve(stream, buffer, std::move(handler), server_options(), std::forward<CompletionToken>(token));
}

} // namespace http1
} // namespace sse

#endif
