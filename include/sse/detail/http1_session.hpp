//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_DETAIL_HTTP1_SESSION_HPP
#define SSE_DETAIL_HTTP1_SESSION_HPP

// The HTTP/1 server session without I/O: which step comes next (read,
// answer, refuse, linger), the deadlines of each phase, Expect:
// 100-continue, cancellation, and how the session ended. Events and the
// current time come in; actions come out, one at a time from next(), until
// it returns none. http1::async_serve (impl/http1.hpp) performs them.

#include <sse/detail/config.hpp>
#include <sse/server_options.hpp>

#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

namespace sse::detail {

class http1_action {
public:
    using time_point = std::chrono::steady_clock::time_point;

    enum class type {
        none,           // nothing now: wait for an event
        read,           // read more into the buffer; then read_done (or buffer_full when it has no room)
        handle,         // take_request() and call the request handler; then answered (or awaiting, then answered)
        write_plain,    // write the handler's ordinary answer; then write_done
        write_stream,   // write the handler's event stream; then write_done
        write_head,     // a HEAD request's event stream: write its header only; then write_done
        write_failure,  // write 500 Internal Server Error (keep-alive as the request asked, no
                        // body for HEAD); then write_done
        write_refusal,  // write status() with Connection: close; then write_done
        write_continue, // write "HTTP/1.1 100 Continue"; then write_done
        shutdown_send,  // shut down the send side of the connection; then send_shut
        wait_until,     // arm the timer for expiry(); then timer_fired, whatever the outcome
        cancel_wait,    // cancel the pending wait (it fires at once)
        cancel_read,    // cancel the pending read (terminal)
        cancel_write,   // cancel the pending write with cancellation()
        cancel_handler, // cancel a running awaitable handler (terminal)
        complete,       // every sub-operation is done: free what is held, complete with error()
    };

    http1_action() = default;
    explicit http1_action(type t) noexcept : type_(t) {}

    type get_type() const noexcept { return type_; }
    bool is_none() const noexcept { return type_ == type::none; }
    beast::http::status status() const noexcept { return status_; }
    time_point expiry() const noexcept { return expiry_; }
    net::cancellation_type cancellation() const noexcept { return cancellation_; }
    error_code error() const noexcept { return error_; }

    static http1_action write_refusal(beast::http::status s) noexcept
    {
        http1_action a(type::write_refusal);
        a.status_ = s;
        return a;
    }
    static http1_action wait_until(time_point t) noexcept
    {
        http1_action a(type::wait_until);
        a.expiry_ = t;
        return a;
    }
    static http1_action cancel_write(net::cancellation_type c) noexcept
    {
        http1_action a(type::cancel_write);
        a.cancellation_ = c;
        return a;
    }
    static http1_action complete(error_code ec) noexcept
    {
        http1_action a(type::complete);
        a.error_ = ec;
        return a;
    }

private:
    type type_ = type::none;
    beast::http::status status_ = beast::http::status::ok;
    time_point expiry_{};
    net::cancellation_type cancellation_ = net::cancellation_type::none;
    error_code error_;
};

// What the request handler answered.
enum class http1_answer {
    plain,  // an ordinary response
    stream, // an event stream
    failed, // it threw: 500
};

class http1_session {
public:
    using clock = std::chrono::steady_clock;
    using time_point = clock::time_point;
    using request_type = beast::http::request<beast::http::string_body>;

    // How long a refused connection is read and discarded, after its
    // answer, before the session ends: long enough for the peer to see the
    // answer and close, rather than get a reset that may destroy it unread.
    static constexpr std::chrono::seconds refusal_linger{1};

    explicit http1_session(server_options const& options) noexcept
        : max_header_size_(options.max_header_size)
        , max_body_size_(options.max_body_size)
        , idle_timeout_(options.idle_timeout)
        , request_timeout_(options.request_timeout)
        , write_timeout_(options.write_timeout)
    {
    }

    // ------------------------------------------------------------- events

    /// The first turn, after the initiating function returned.
    template <class DynamicBuffer>
    void start(DynamicBuffer& buffer, time_point now);

    /// A read completed; its bytes are committed to `buffer`.
    template <class DynamicBuffer>
    void read_done(error_code ec, DynamicBuffer& buffer, time_point now);

    /// A read was due but `buffer` has no room left.
    template <class DynamicBuffer>
    void buffer_full(DynamicBuffer& buffer, time_point now);

    /** The request handler answered (at once, or its awaitable did).
        `keep_alive`: whether the connection goes on after the answer (a
        plain answer: it does not need the close to mark its end, and, when
        the request asked to close, carries `Connection: close`: see
        request_keep_alive(); a stream: its own keep_alive()). Ignored for
        a failure, which keeps the connection as the request asked.
    */
    template <class DynamicBuffer>
    void answered(http1_answer answer, bool keep_alive, DynamicBuffer& buffer, time_point now);

    /// The handler is an awaitable one, now running.
    void awaiting() noexcept { awaiting_ = true; }

    /// A write completed.
    template <class DynamicBuffer>
    void write_done(error_code ec, DynamicBuffer& buffer, time_point now);

    /// After a shutdown_send action: whether the send side is shut (false
    /// for TLS and for streams without a socket).
    template <class DynamicBuffer>
    void send_shut(bool ok, DynamicBuffer& buffer, time_point now);

    /// The timer's wait ended (expired or cancelled).
    void timer_fired(time_point now);

    /// The caller cancelled the operation.
    void cancelled(net::cancellation_type type);

    // ------------------------------------------------------------- output

    /// The next action; none when the session waits for an event.
    http1_action next() noexcept
    {
        using type = http1_action::type;
        if (head_ == tail_)
            return {};
        auto const t = queue_[head_++ % queue_.size()];
        switch (t) {
        case type::write_refusal: return http1_action::write_refusal(refusal_status_);
        case type::wait_until: return http1_action::wait_until(timer_expiry_);
        case type::cancel_write: return http1_action::cancel_write(write_cancellation_);
        case type::complete: return http1_action::complete(result_ec_);
        default: return http1_action(t);
        }
    }

    /// After a handle action: the request. The parser that read it goes.
    request_type take_request()
    {
        SSE_ASSERT(parser_ && parser_->is_done());
        request_type req = parser_->release();
        parser_.reset();
        return req;
    }

    /// Whether the request being answered asked to keep the connection.
    bool request_keep_alive() const noexcept { return request_keep_alive_; }

    /// Whether the request being answered is a HEAD request (its answer has no body).
    bool request_head() const noexcept { return request_head_; }
    unsigned request_version() const noexcept { return request_version_; }

private:
    enum class phase {
        starting,  // the first step is posted
        idle,      // waiting for the first byte of a request
        request,   // reading the rest of a request
        handling,  // in the request handler, or awaiting its answer
        plain,     // writing an ordinary response (or a 500)
        streaming, // writing an event stream
        continuing,// writing 100 Continue, then reading the body
        refusing,  // writing 400, 413 or 431
        lingering, // reading and discarding after a refusal
    };

    // An action's parameters are the session's own fields (see next()).
    void push(http1_action::type t) noexcept
    {
        // At most four actions follow one event, and the op takes them all
        // before the next: the queue never fills.
        SSE_ASSERT(static_cast<std::uint8_t>(tail_ - head_) < queue_.size());
        queue_[tail_++ % queue_.size()] = t;
    }

    template <class DynamicBuffer>
    void next_request(DynamicBuffer& buffer, time_point now);
    template <class DynamicBuffer>
    void parse(DynamicBuffer& buffer, time_point now);
    void begin_request(time_point now);
    void make_parser();
    void start_read(time_point now);
    void refuse(error_code ec, time_point now);
    void set_deadline(std::chrono::milliseconds d, time_point now);
    void arm_timer();
    void push_cancel_write(net::cancellation_type type) noexcept;
    void finish(error_code ec);
    void maybe_complete();
    bool expects_continue() const;

    std::size_t max_header_size_;
    std::size_t max_body_size_;
    std::chrono::milliseconds idle_timeout_;
    std::chrono::milliseconds request_timeout_;
    std::chrono::milliseconds write_timeout_;

    // Actions by type; their parameters are the fields below. The session
    // of an idle connection (or one serving an event stream) is small: the
    // parser exists only from a request's first byte to its handling.
    std::array<http1_action::type, 8> queue_{};
    std::uint8_t head_ = 0;
    std::uint8_t tail_ = 0;

    std::unique_ptr<beast::http::request_parser<beast::http::string_body>> parser_;
    std::optional<time_point> deadline_;
    time_point timer_expiry_{};
    error_code refusal_ec_;
    error_code result_ec_;
    beast::http::status refusal_status_ = beast::http::status::bad_request;
    net::cancellation_type write_cancellation_ = net::cancellation_type::none;
    phase phase_ = phase::starting;
    unsigned request_version_ = 11;
    bool request_keep_alive_ = false;
    bool request_head_ = false;
    bool keep_alive_ = false;
    bool reading_ = false;
    bool writing_ = false;
    bool waiting_ = false;
    bool started_ = false;
    bool awaiting_ = false;
    bool continue_sent_ = false;
    bool linger_after_shutdown_ = false;
    bool cancel_requested_ = false;
    bool timed_out_ = false;
    bool finishing_ = false;
    bool completed_ = false;
};

} // namespace sse::detail

#include <sse/detail/impl/http1_session.hpp>

#endif
