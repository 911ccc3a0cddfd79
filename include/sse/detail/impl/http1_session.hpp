//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_DETAIL_IMPL_HTTP1_SESSION_HPP
#define SSE_DETAIL_IMPL_HTTP1_SESSION_HPP

#include <sse/error.hpp>

#include <boost/beast/core/string.hpp>

#include <utility>

namespace sse::detail {

// ----------------------------------------------------------------- events

template <class DynamicBuffer>
void http1_session::start(DynamicBuffer& buffer, time_point now)
{
    started_ = true;
    if (finishing_)
        return maybe_complete();
    next_request(buffer, now);
}

template <class DynamicBuffer>
void http1_session::read_done(error_code ec, DynamicBuffer& buffer, time_point now)
{
    reading_ = false;
    if (finishing_)
        return maybe_complete();
    if (phase_ == phase::lingering) {
        buffer.consume(buffer.size());
        if (ec || timed_out_ || cancel_requested_)
            return finish(cancel_requested_ ? error_code(net::error::operation_aborted) : refusal_ec_);
        return start_read(now);
    }
    if (cancel_requested_)
        return finish(net::error::operation_aborted);
    if (timed_out_)
        return finish(beast::error::timeout);
    if (ec == net::error::eof || ec == beast::http::error::end_of_stream) {
        if (phase_ == phase::idle && buffer.size() == 0)
            return finish({}); // the peer closed between requests
        return finish(beast::http::error::partial_message);
    }
    if (ec)
        return finish(ec);
    if (phase_ == phase::idle && buffer.size() != 0)
        begin_request(now);
    parse(buffer, now);
}

template <class DynamicBuffer>
void http1_session::buffer_full(DynamicBuffer& buffer, time_point now)
{
    reading_ = false;
    if (phase_ == phase::lingering) {
        buffer.consume(buffer.size());
        return start_read(now);
    }
    // The caller's buffer is full: the request is too large for it.
    refuse(
        parser_ && parser_->is_header_done() ? beast::http::error::body_limit : beast::http::error::header_limit, now
    );
}

template <class DynamicBuffer>
void http1_session::answered(http1_answer answer, bool keep_alive, DynamicBuffer&, time_point now)
{
    awaiting_ = false;
    if (finishing_)
        return maybe_complete();
    switch (answer) {
    case http1_answer::stream:
        keep_alive_ = keep_alive;
        writing_ = true;
        if (request_head_) {
            // The header a GET would get, and no body: the source is never
            // asked. Written as a plain answer is.
            phase_ = phase::plain;
            set_deadline(write_timeout_, now);
            push(http1_action::type::write_head);
            return arm_timer();
        }
        phase_ = phase::streaming;
        deadline_.reset(); // the stream has timeouts of its own
        if (waiting_)
            push(http1_action::type::cancel_wait);
        push(http1_action::type::write_stream);
        if (cancel_requested_) // stopped while an awaitable handler ran: end cleanly
            push_cancel_write(net::cancellation_type::partial);
        return;
    case http1_answer::plain:
    case http1_answer::failed:
        keep_alive_ = answer == http1_answer::failed ? request_keep_alive_ : keep_alive;
        phase_ = phase::plain;
        set_deadline(write_timeout_, now);
        writing_ = true;
        push(answer == http1_answer::failed ? http1_action::type::write_failure : http1_action::type::write_plain);
        arm_timer();
        return;
    }
}

template <class DynamicBuffer>
void http1_session::write_done(error_code ec, DynamicBuffer& buffer, time_point now)
{
    writing_ = false;
    if (finishing_)
        return maybe_complete();
    if (cancel_requested_)
        return finish(net::error::operation_aborted);
    switch (phase_) {
    case phase::refusing:
        if (ec || timed_out_)
            return finish(refusal_ec_);
        linger_after_shutdown_ = true;
        push(http1_action::type::shutdown_send);
        return;
    case phase::continuing:
        if (timed_out_)
            return finish(beast::error::timeout);
        if (ec)
            return finish(ec);
        // The peer may send the body now.
        phase_ = phase::request;
        set_deadline(request_timeout_, now);
        return parse(buffer, now);
    default: break;
    }
    if (timed_out_)
        return finish(beast::error::timeout);
    // A client that pipelined its next request during an event stream
    // ended the stream, cleanly: the request is in the buffer, next.
    if (ec && !(phase_ == phase::streaming && ec == error::unexpected_data))
        return finish(ec);
    if (!keep_alive_) {
        linger_after_shutdown_ = false;
        push(http1_action::type::shutdown_send);
        return;
    }
    next_request(buffer, now);
}

template <class DynamicBuffer>
void http1_session::send_shut(bool ok, DynamicBuffer&, time_point now)
{
    if (!linger_after_shutdown_)
        return finish({});
    // After a refusal: what the peer still sends is read and discarded
    // (until it closes, or for refusal_linger), unless nothing can be shut.
    if (!ok)
        return finish(refusal_ec_);
    phase_ = phase::lingering;
    deadline_ = now + refusal_linger;
    start_read(now);
}

inline void http1_session::timer_fired(time_point now)
{
    waiting_ = false;
    if (finishing_)
        return maybe_complete();
    if (!deadline_)
        return;
    if (now < *deadline_)
        return arm_timer();
    // Expired: end what is in progress; its completion ends the session.
    deadline_.reset();
    timed_out_ = true;
    if (reading_)
        push(http1_action::type::cancel_read);
    else if (writing_)
        push_cancel_write(net::cancellation_type::terminal);
}

inline void http1_session::cancelled(net::cancellation_type type)
{
    if (finishing_)
        return;
    bool const first = !std::exchange(cancel_requested_, true);
    switch (phase_) {
    case phase::idle:
    case phase::request:
    case phase::lingering:
        if (first && reading_)
            push(http1_action::type::cancel_read);
        break;
    case phase::streaming:
        // Terminal: the stream ends at once. Partial and total: cleanly,
        // with its last chunk; a terminal cancellation may follow.
        push_cancel_write(type);
        break;
    case phase::handling:
        // An awaitable handler: let it answer, unless told to stop now.
        if (awaiting_ && (type & net::cancellation_type::terminal) != net::cancellation_type::none)
            finish(net::error::operation_aborted);
        break;
    case phase::starting:
    case phase::plain:
    case phase::continuing:
    case phase::refusing:
        // Seen when the step in progress completes.
        break;
    }
}

// ---------------------------------------------------------------- actions

template <class DynamicBuffer>
void http1_session::next_request(DynamicBuffer& buffer, time_point now)
{
    if (cancel_requested_)
        return finish(net::error::operation_aborted);
    parser_.reset(); // made at the request's first byte
    continue_sent_ = false;
    if (buffer.size() != 0) {
        begin_request(now);
        parse(buffer, now);
    } else {
        phase_ = phase::idle;
        set_deadline(idle_timeout_, now);
        start_read(now);
    }
}

// The first byte of a request is in: from now on request_timeout applies.
inline void http1_session::begin_request(time_point now)
{
    phase_ = phase::request;
    set_deadline(request_timeout_, now);
}

inline void http1_session::make_parser()
{
    parser_ = std::make_unique<beast::http::request_parser<beast::http::string_body>>();
    parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(max_header_size_, UINT32_MAX)));
    parser_->body_limit(max_body_size_);
    parser_->eager(true);
}

// Feeds the parser what the buffer holds, then reads more, answers a
// complete request, or refuses a bad one.
template <class DynamicBuffer>
void http1_session::parse(DynamicBuffer& buffer, time_point now)
{
    if (!parser_)
        make_parser();
    for (;;) {
        if (buffer.size() != 0) {
            error_code ec;
            std::size_t const n = parser_->put(buffer.data(), ec);
            buffer.consume(n);
            if (ec && ec != beast::http::error::need_more)
                return refuse(ec, now);
            if (parser_->is_done()) {
                phase_ = phase::handling;
                deadline_.reset();
                // The request stays in the parser until take_request().
                auto const& req = parser_->get();
                request_keep_alive_ = req.keep_alive();
                request_version_ = req.version();
                request_head_ = req.method() == beast::http::verb::head;
                push(http1_action::type::handle);
                return;
            }
            if (!ec && n != 0)
                continue;
        }
        // More is needed. A client that waits for 100 Continue before its
        // body gets it once the header is in (a body too large for
        // max_body_size was refused with 413 above, from Content-Length).
        if (!continue_sent_ && parser_->is_header_done() && expects_continue()) {
            continue_sent_ = true;
            phase_ = phase::continuing;
            set_deadline(write_timeout_, now);
            writing_ = true;
            push(http1_action::type::write_continue);
            return arm_timer();
        }
        return start_read(now);
    }
}

inline bool http1_session::expects_continue() const
{
    auto const& h = parser_->get();
    if (h.version() < 11)
        return false;
    auto const it = h.find(beast::http::field::expect);
    return it != h.end() && beast::iequals(it->value(), "100-continue");
}

inline void http1_session::start_read(time_point)
{
    reading_ = true;
    push(http1_action::type::read);
    arm_timer();
}

// Answers a request the parser refused, then ends the session.
inline void http1_session::refuse(error_code ec, time_point now)
{
    namespace http = beast::http;
    refusal_ec_ = ec;
    parser_.reset();
    http::status status = http::status::bad_request;
    if (ec == http::error::header_limit)
        status = http::status::request_header_fields_too_large;
    else if (ec == http::error::body_limit)
        status = http::status::payload_too_large;
    phase_ = phase::refusing;
    set_deadline(write_timeout_, now);
    writing_ = true;
    refusal_status_ = status;
    push(http1_action::type::write_refusal);
    arm_timer();
}

inline void http1_session::set_deadline(std::chrono::milliseconds d, time_point now)
{
    if (d.count() > 0)
        deadline_ = now + d;
    else
        deadline_.reset();
}

// Keeps one wait on the timer while a deadline is set. A deadline that
// moves later needs no re-arming: the wait re-checks when it fires.
inline void http1_session::push_cancel_write(net::cancellation_type type) noexcept
{
    write_cancellation_ = type;
    push(http1_action::type::cancel_write);
}

inline void http1_session::arm_timer()
{
    if (!deadline_ || finishing_)
        return;
    if (waiting_) {
        if (timer_expiry_ > *deadline_)
            push(http1_action::type::cancel_wait); // fires, and re-arms at the earlier time
        return;
    }
    waiting_ = true;
    timer_expiry_ = *deadline_;
    push(http1_action::type::wait_until);
}

inline void http1_session::finish(error_code ec)
{
    if (finishing_)
        return;
    finishing_ = true;
    result_ec_ = ec;
    deadline_.reset();
    if (waiting_)
        push(http1_action::type::cancel_wait);
    if (reading_)
        push(http1_action::type::cancel_read);
    if (awaiting_)
        push(http1_action::type::cancel_handler);
    maybe_complete();
}

// Completes once every sub-operation has finished.
inline void http1_session::maybe_complete()
{
    if (completed_ || !finishing_ || !started_ || reading_ || writing_ || waiting_ || awaiting_)
        return;
    completed_ = true;
    parser_.reset();
    push(http1_action::type::complete);
}

} // namespace sse::detail

#endif
