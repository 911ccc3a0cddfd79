//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_IMPL_HTTP1_HPP
#define SSE_IMPL_HTTP1_HPP

#include <sse/detail/async_op.hpp>
#include <sse/detail/deadline_queue.hpp>
#include <sse/detail/http1_session.hpp>
#include <sse/handler.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/asio/write.hpp>
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
#include <memory>
#include <optional>
#include <string_view>
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

// What http1::async_serve performs on a connection that does not depend
// on the request handler or on the caller's completion handler: the
// session, the reads, the writes, the deadline. Compiled once per stream,
// buffer and allocator, however many handlers and completion tokens a
// program serves with; serve_op below adds the handler and the
// completion. One heap block per connection (the op), at most one read or
// write and one deadline outstanding, all on the stream's executor. What
// only a request being answered needs (the handler's answer, a refusal)
// is a block of its own, gone once the answer is written or, for an event
// stream, handed to the stream: an idle stream's connection keeps little
// more than the session.
template <class AsyncStream, class DynamicBuffer, class Allocator>
class serve_core {
public:
    using executor_type = typename AsyncStream::executor_type;
    using allocator_type = Allocator;

    executor_type get_executor() const noexcept { return stream_.get_executor(); }

    // The operation's, for the sub-operations' handlers (op_handler).
    allocator_type get_allocator() const noexcept { return functions_->get_allocator(*this); }
    void add_ref() noexcept { functions_->add_ref(*this); }
    void release_ref() noexcept { functions_->release_ref(*this); }

protected:
    using clock = std::chrono::steady_clock;
    using ref = counted_ref<serve_core>;
    using action = http1_action;
    using plain_type = beast::http::response<beast::http::string_body>;

    // What the operation adds: its counted lifetime and allocator, the
    // handler's call (answered() then, or for an awaitable handler later,
    // after session_.awaiting()), the write of the handler's answer, and
    // the completion. A table per operation type rather than virtual
    // functions: GCC instantiates the virtual functions of a class template
    // where it warns (-Wsubobject-linkage) that an awaitable handler's
    // coroutine frame holds a type without linkage, a lambda's.
    struct functions {
        allocator_type (*get_allocator)(serve_core const&) noexcept;
        void (*add_ref)(serve_core&) noexcept;
        void (*release_ref)(serve_core&) noexcept;
        void (*handle)(serve_core&, request);
        void (*write_answer)(serve_core&, action::type);
        void (*finish)(serve_core&, error_code);
    };

    // A request's answer, from the handler's call until it is written; the
    // operation's own block adds the handler's answer to it.
    struct answer_base {
        std::optional<plain_type> plain;             // a refusal, or the 500 of a handler that threw
        std::string head;                            // the header of a stream answering HEAD
        std::function<void(error_code)> head_on_end; // and its on_end, called once it is written

        virtual ~answer_base() = default;
    };

    serve_core(
        functions const& f,
        AsyncStream& stream,
        DynamicBuffer& buffer,
        server_options const& options,
        executor_type const& ex
    )
        : functions_(&f)
        , stream_(stream)
        , buffer_(buffer)
        , session_(options)
        , on_handler_exception_(options.on_handler_exception)
        , timer_(*this, ex)
    {
    }

    ~serve_core() = default;

    void begin()
    {
        if constexpr (requires { beast::get_lowest_layer(stream_).expires_never(); })
            beast::get_lowest_layer(stream_).expires_never();
        net::post(stream_.get_executor(), post_handler{{ref(this)}});
    }

    void cancelled(net::cancellation_type type)
    {
        ref const self(this);
        session_.cancelled(type);
        run();
    }

    // Performs the session's actions until it waits for an event.
    void run()
    {
        for (auto a = session_.next(); !a.is_none(); a = session_.next())
            perform(a);
    }

    // ---------------------------------------------- the handler's answer

    // The handler threw: a 500, and the user's hook hears of it.
    void answered_failure(std::exception_ptr failure)
    {
        answer_->plain.emplace(internal_error_answer(
            session_.request_version(), session_.request_keep_alive(), session_.request_head()
        ));
        session_.answered(http1_answer::failed, false, buffer_, clock::now());
        report_handler_exception(on_handler_exception_, std::move(failure));
    }

    template <class Body, class Fields>
    void answered_plain(beast::http::response<Body, Fields>& res)
    {
        // A request that asked to close gets its answer with Connection: close.
        if (!session_.request_keep_alive() && res.keep_alive())
            res.keep_alive(false);
        session_.answered(http1_answer::plain, !res.need_eof(), buffer_, clock::now());
    }

    template <class Source>
    void answered_stream(stream_response<Source>& res)
    {
        session_.answered(http1_answer::stream, res.keep_alive(), buffer_, clock::now());
    }

    template <class Body, class Fields>
    void write_plain(beast::http::response<Body, Fields>& res)
    {
        beast::http::async_write(stream_, res, write_handler{{ref(this)}});
    }

    template <class Source>
    void write_stream(stream_response<Source>& res)
    {
        // While the stream lasts the connection keeps no more than it
        // needs: no read buffer when no byte waits in it (a watch read that
        // gets some makes one), no cancellation memory of the request
        // reads.
        if constexpr (requires { buffer_.shrink_to_fit(); }) {
            if (buffer_.size() == 0)
                buffer_.shrink_to_fit();
        }
        read_cancel_.release();
        // Bytes the client pipelines during the stream end it, and stay in
        // the buffer for the next request; a request sent after the stream
        // ended is never read by it.
        sse::async_write(stream_, buffer_, res, write_handler{{ref(this)}});
        answer_.reset(); // the stream took the response's parts
    }

    // A HEAD request's stream: the header a GET gets, then nothing. The
    // source goes without being asked.
    template <class Source>
    void write_head(stream_response<Source>& res)
    {
        answer_->head = [&] {
            auto parts = res.release();
            answer_->head_on_end = std::move(parts.on_end);
            return http1_stream_head(parts.header, parts.keep_alive);
        }();
        net::async_write(stream_, net::buffer(answer_->head), write_handler{{ref(this)}});
    }

private:
    void perform(action const& a)
    {
        using type = action::type;
        switch (a.get_type()) {
        case type::none: break;
        case type::read: read(); break;
        case type::handle: functions_->handle(*this, session_.take_request()); break;
        case type::write_plain:
        case type::write_stream:
        case type::write_head: functions_->write_answer(*this, a.get_type()); break;
        case type::write_failure: write_plain(*answer_->plain); break;
        case type::write_refusal: write_refusal(a.status()); break;
        case type::write_continue:
            net::async_write(stream_, net::buffer(continue_answer), write_handler{{ref(this)}});
            break;
        case type::shutdown_send: session_.send_shut(shutdown_send(stream_), buffer_, clock::now()); break;
        case type::wait_until: timer_.arm(a.expiry()); break;
        case type::cancel_wait: timer_.cancel(); break;
        case type::cancel_read: read_cancel_.emit(net::cancellation_type::terminal); break;
        case type::cancel_write: write_cancel_.emit(a.cancellation()); break;
        case type::cancel_handler: answer_cancel_.emit(net::cancellation_type::terminal); break;
        case type::complete:
            // The last answer and the request handler go first; the op's
            // memory goes with the last reference to it.
            answer_.reset();
            functions_->finish(*this, a.error());
            break;
        }
    }

    void read()
    {
        std::size_t const size = beast::read_size(buffer_, 65536);
        if (size == 0)
            return session_.buffer_full(buffer_, clock::now());
        stream_.async_read_some(buffer_.prepare(size), read_handler{{ref(this)}});
    }

    void write_refusal(beast::http::status status)
    {
        namespace http = beast::http;
        answer_ = std::make_unique<answer_base>();
        auto& plain = answer_->plain.emplace(status, 11);
        plain.keep_alive(false);
        plain.set(http::field::content_type, "text/plain");
        plain.body() = std::string(http::obsolete_reason(status)) + "\n";
        plain.prepare_payload();
        http::async_write(stream_, plain, write_handler{{ref(this)}});
    }

    static constexpr std::string_view continue_answer = "HTTP/1.1 100 Continue\r\n\r\n";

    // -------------------------------------------------------------- events

    void on_read(error_code ec, std::size_t n)
    {
        buffer_.commit(n);
        session_.read_done(ec, buffer_, clock::now());
        run();
    }

    void on_write(error_code ec)
    {
        write_cancel_.release();
        if (auto const done = std::move(answer_); done && done->head_on_end) {
            // A stream answering HEAD is over with its header.
            std::exchange(done->head_on_end, nullptr)(ec ? make_error_code(error::peer_gone) : ec);
        }
        session_.write_done(ec, buffer_, clock::now());
        run();
    }

protected:
    // The signals that cancel the sub-operations (declared before the
    // handlers that name them).
    op_signal read_cancel_;
    op_signal write_cancel_;
    op_signal answer_cancel_;

private:
    // The handlers of the sub-operations: each holds a counted reference
    // to the operation, which frees itself with the last.
    template <bool Waits = false>
    using handler_base = op_handler<serve_core, executor_type, Allocator, Waits>;
    template <auto Signal, bool Waits = false>
    using cancellable_base = op_cancellable_handler<serve_core, executor_type, Allocator, Signal, Waits>;

    struct post_handler : handler_base<> {
        void operator()()
        {
            auto* op = this->self.p;
            op->session_.start(op->buffer_, clock::now());
            op->run();
        }
    };

    // A read may wait long (for the next request on an idle connection):
    // its memory is exactly its size (see async_op).
    struct read_handler : cancellable_base<&serve_core::read_cancel_, true> {
        void operator()(error_code ec, std::size_t n) { this->self.p->on_read(ec, n); }
    };

    struct write_handler : cancellable_base<&serve_core::write_cancel_> {
        void operator()(error_code ec) { this->self.p->on_write(ec); }
        void operator()(error_code ec, std::size_t) { this->self.p->on_write(ec); }
    };

    struct timer_handler : handler_base<> {
        void operator()()
        {
            auto* op = this->self.p;
            op->session_.timer_fired(clock::now());
            op->run();
        }
    };

    functions const* functions_;

protected:
    AsyncStream& stream_;
    DynamicBuffer& buffer_;
    http1_session session_;
    std::function<void(std::exception_ptr)> on_handler_exception_;
    op_timer<serve_core, timer_handler> timer_;
    std::unique_ptr<answer_base> answer_;
};

// The composed operation behind http1::async_serve: the connection's
// serve_core, the request handler, and the caller's completion handler.
template <class AsyncStream, class DynamicBuffer, class Handler, class CompletionHandler>
class serve_op final
    : public async_op<
          serve_op<AsyncStream, DynamicBuffer, Handler, CompletionHandler>,
          CompletionHandler,
          typename AsyncStream::executor_type>
    , public serve_core<AsyncStream, DynamicBuffer, net::associated_allocator_t<CompletionHandler>> {
    using core = serve_core<AsyncStream, DynamicBuffer, net::associated_allocator_t<CompletionHandler>>;
    using base = async_op<serve_op, CompletionHandler, typename AsyncStream::executor_type>;
    using ref = typename base::ref;
    using executor_type = typename AsyncStream::executor_type;
    using result_type = handler_answer_t<Handler>;
    using type = typename core::action::type;

public:
    using allocator_type = typename base::allocator_type;

    serve_op(
        CompletionHandler&& completion,
        executor_type const& ex,
        AsyncStream& stream,
        DynamicBuffer& buffer,
        Handler&& handler,
        server_options const& options
    )
        : base(std::move(completion), ex)
        , core(op_functions, stream, buffer, options, ex)
        , handler_(std::move(handler))
    {
    }

    // The handler's answer goes before the handler and the completion
    // handler, as on completion.
    ~serve_op() { this->answer_.reset(); }

    using core::get_executor;
    using base::add_ref;
    using base::get_allocator;
    using base::release_ref;

    void start()
    {
        ref const self(this);
        this->on_cancellation([this](net::cancellation_type type) { this->cancelled(type); });
        this->begin();
    }

private:
    // A request's answer: the core's part and the handler's.
    struct answer_state : core::answer_base {
        std::optional<result_type> result;
    };

    answer_state& answer() noexcept { return static_cast<answer_state&>(*this->answer_); }

    static serve_op& self(core& c) noexcept { return static_cast<serve_op&>(c); }

    static constexpr typename core::functions op_functions{
        [](core const& c) noexcept { return static_cast<serve_op const&>(c).get_allocator(); },
        [](core& c) noexcept { self(c).add_ref(); },
        [](core& c) noexcept { self(c).release_ref(); },
        [](core& c, request req) { self(c).handle(std::move(req)); },
        [](core& c, type t) { self(c).write_answer(t); },
        [](core& c, error_code ec) { self(c).finish(ec); },
    };

    void handle(request req)
    {
        this->answer_ = std::make_unique<answer_state>();
        if constexpr (awaitable_request_handler<Handler>) {
            // Run on the stream's executor; nothing is read meanwhile.
            this->session_.awaiting();
            net::co_spawn(
                this->stream_.get_executor(),
                await_answer(*handler_, std::move(req)),
                answer_handler{{ref(this)}}
            );
        } else {
            std::exception_ptr failure;
            try {
                answer().result.emplace(std::invoke(*handler_, std::move(req)));
            } catch (...) {
                failure = std::current_exception();
            }
            answered(std::move(failure));
        }
    }

    // Tells the session what the handler answered: a 500 when it threw.
    void answered(std::exception_ptr failure)
    {
        auto& result = answer().result;
        if (failure) {
            result.reset();
            this->answered_failure(std::move(failure));
        } else if (result) {
            if constexpr (std::is_same_v<result_type, response>) {
                if (result->is_stream())
                    this->answered_stream(result->stream());
                else
                    this->answered_plain(result->plain());
            } else if constexpr (is_stream_response<result_type>::value) {
                this->answered_stream(*result);
            } else {
                this->answered_plain(*result);
            }
        }
    }

    void write_answer(type t)
    {
        auto& result = *answer().result;
        if constexpr (std::is_same_v<result_type, response>) {
            if (t == type::write_plain)
                this->write_plain(result.plain());
            else if (t == type::write_stream)
                this->write_stream(result.stream());
            else
                this->write_head(result.stream());
        } else if constexpr (is_stream_response<result_type>::value) {
            if (t == type::write_stream)
                this->write_stream(result);
            else if (t == type::write_head)
                this->write_head(result);
        } else if (t == type::write_plain) {
            this->write_plain(result);
        }
    }

    void finish(error_code ec)
    {
        handler_.reset();
        this->complete(ec);
    }

    void on_answer(std::exception_ptr e, std::optional<result_type> answer)
    {
        // The coroutine is done: the memory of its cancellation handler
        // is not kept for the connection's life.
        this->answer_cancel_.release();
        if (!e)
            this->answer().result = std::move(answer);
        answered(std::move(e));
        this->run();
    }

    struct answer_handler : base::template cancellable_handler<&serve_op::answer_cancel_> {
        void operator()(std::exception_ptr e, std::optional<result_type> r)
        {
            this->self.p->on_answer(std::move(e), std::move(r));
        }
    };

    std::optional<Handler> handler_;
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
