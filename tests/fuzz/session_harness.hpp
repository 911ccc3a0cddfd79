//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_FUZZ_SESSION_HARNESS_HPP
#define SSE_FUZZ_SESSION_HARNESS_HPP

// What the session fuzzers (http1_session.cpp, http2_session.cpp) share: an
// in-memory connection whose peer is the harness, request handlers that
// answer by target, sources whose lifetimes are counted, and the driver
// that feeds the input in pieces and checks what every session promises.
//
// Input layout: a 3-byte header, then the bytes the peer sends.
//
//   byte 0  bits 0-2: how the bytes are cut into pieces (see cut())
//           bits 3-4: the request handler: 0 answers with sse::response
//                     (streams, plain answers, 404), 1 with a concrete
//                     stream_response<gated_source> for every request, 2
//                     with a plain beast response, 3 with an awaitable of
//                     what 0 answers
//           bit  5:   the first piece is in the caller's buffer before the
//                     session starts (as if read while detecting the
//                     protocol)
//           bits 6-7: how the peer ends: 0 and 3 close (reads see EOF,
//                     writes still go through), 1 reset (reads and writes
//                     fail), 2 close and stop reading (writes fail)
//   byte 1  bits 0-6: the seed of piece sizes and of the peer's choices
//           bit  7:   the caller's buffer holds at most 600 bytes (less
//                     than max_header_size)
//   byte 2  bits 0-1: the most bytes one read returns (0: no limit, 1, 7, 100)
//           bits 2-3: the most bytes one write takes (0: no limit, 3, 61, 512)
//           bit  4:   writes wait until the peer drains them
//           bit  5:   server_options timeouts off (else one hour)
//           bit  6:   gated sources (and, over HTTP/2, awaitable handlers)
//                     still waiting when the input ends are left waiting
//                     while the peer leaves; else they finish first
//           bit  7:   between pieces, gated sources get a random choice
//                     (nothing, a message, the end, a failure); else one
//                     message each. Waiting awaitable handlers go on at
//                     every choice but nothing.
//
// Shorter inputs are sent whole, after a header of zeros.
//
// The targets a request may ask for (the rest get 404):
//
//   /events   a range of messages      /coro   a coroutine of messages
//   /bytes    a range of serialized    /idle   a coroutine that never yields
//   /gate     a source the peer drives (a message, the end or a failure
//             between pieces of input)
//   /         "hello"                  /echo   the request body
//   /big      1500 bytes               /close  with Connection: close
//   /raw      no Content-Length        /empty  204, empty_body
//   /throw    the handler throws (the server answers 500)
//
// A stream target takes flags after '?': a digit (how many messages, 3 by
// default), r (a retry field first), q (max_queued_bytes 1), w
// (max_write_size 1), h (no heartbeat), s (no send timeout), n (no
// X-Accel-Buffering), x (a header of the handler's own). With handler 3,
// the flag a on any target makes the handler wait for the peer's next
// choice before it answers.
//
// Nothing waits on a clock: timeouts and heartbeats are an hour long (or
// off), and the session ends because the peer closes, so a run is a few
// turns of a single-threaded io_context.

#include <sse/error.hpp>
#include <sse/message.hpp>
#include <sse/message_source.hpp>
#include <sse/response.hpp>
#include <sse/serialized.hpp>
#include <sse/server_options.hpp>
#include <sse/sources/coro.hpp>
#include <sse/sources/range.hpp>
#include <sse/stream_options.hpp>
#include <sse/stream_response.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sse::fuzz {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using sse::error_code;

[[noreturn]] inline void fail(char const* what)
{
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
}

inline void require(bool ok, char const* what)
{
    if (!ok)
        fail(what);
}

// ------------------------------------------------------------ the input

enum class peer_end { close, reset, close_no_read };

struct config {
    unsigned cutting = 0;
    unsigned handler = 0;
    bool prefill = false;
    peer_end end = peer_end::close;
    std::uint32_t seed = 0;
    bool small_buffer = false;
    std::size_t read_cap = 0; // 0: no limit
    std::size_t write_cap = 0;
    bool hold_writes = false;
    bool timeouts_off = false;
    bool gate_random = false;
    bool gate_leave = false; // gated sources are left waiting at the end
};

// Takes the header off the input.
inline config read_config(std::string_view& input)
{
    config c;
    if (input.size() < 3)
        return c;
    auto const h = [&](std::size_t i) {
        return static_cast<unsigned char>(input[i]);
    };
    static constexpr std::size_t read_caps[] = {0, 1, 7, 100};
    static constexpr std::size_t write_caps[] = {0, 3, 61, 512};
    c.cutting = h(0) & 7;
    c.handler = (h(0) >> 3) & 3;
    c.prefill = (h(0) & 0x20) != 0;
    unsigned const end = h(0) >> 6;
    c.end = end == 1 ? peer_end::reset : end == 2 ? peer_end::close_no_read : peer_end::close;
    c.seed = h(1) & 0x7f;
    c.small_buffer = (h(1) & 0x80) != 0;
    c.read_cap = read_caps[h(2) & 3];
    c.write_cap = write_caps[(h(2) >> 2) & 3];
    c.hold_writes = (h(2) & 0x10) != 0;
    c.timeouts_off = (h(2) & 0x20) != 0;
    c.gate_random = (h(2) & 0x80) != 0;
    c.gate_leave = (h(2) & 0x40) != 0;
    input.remove_prefix(3);
    return c;
}

// The peer's choices, from the seed.
class choices {
public:
    explicit choices(std::uint32_t seed)
        : x_((seed * 2654435761u) | 1)
    {
    }

    std::uint32_t next()
    {
        x_ ^= x_ << 13;
        x_ ^= x_ >> 17;
        x_ ^= x_ << 5;
        return x_;
    }

private:
    std::uint32_t x_; // xorshift never leaves 0
};

// The pieces the peer sends. `units` cuts the bytes where the protocol's
// own units end (requests, frames), as ascending offsets.
template <class Units>
std::vector<std::string_view> cut(std::string_view s, unsigned mode, choices& rng, Units units)
{
    std::vector<std::string_view> pieces;
    std::size_t pos = 0;
    auto take = [&](std::size_t n) {
        n = std::min(n, s.size() - pos);
        pieces.push_back(s.substr(pos, n));
        pos += n;
    };
    switch (mode) {
    case 0: // whole
        take(s.size());
        break;
    case 1: // byte by byte
        while (pos < s.size())
            take(1);
        break;
    case 2: // small random pieces, empty ones among them
        while (pos < s.size())
            take(rng.next() % 4);
        break;
    case 3:
        while (pos < s.size())
            take(1 + rng.next() % 16);
        break;
    case 4:
        while (pos < s.size())
            take(1 + rng.next() % 256);
        break;
    default: { // at the protocol's units; 6 and 7 also cut each unit once more
        for (std::size_t const end : units(s)) {
            if (end <= pos || end > s.size())
                continue;
            if (mode != 5 && end - pos > 1)
                take(1 + rng.next() % (end - pos - 1));
            take(end - pos);
        }
        if (pos < s.size())
            take(s.size() - pos);
        break;
    }
    }
    if (pieces.empty())
        pieces.emplace_back();
    return pieces;
}

// ------------------------------------------------------------ lifetimes

// Counts the live copies of the object that holds it.
class counted {
public:
    explicit counted(int& n) noexcept
        : n_(&n)
    {
        ++*n_;
    }
    counted(counted const& other) noexcept
        : n_(other.n_)
    {
        ++*n_;
    }
    counted& operator=(counted const&) = delete;
    ~counted() { --*n_; }

private:
    int* n_;
};

// One stream_response the handler made.
struct stream_record {
    int sources = 0; // live objects of its source
    int ends = 0;    // calls of its on_end function
};

// What a run observes.
struct counters {
    int sources = 0;  // live sources (all kinds): destroyed before the completion handler runs
    int frames = 0;   // live coroutine frames: destroyed once the io_context runs out of work
    int handlers = 0; // live copies of the request handler
    int on_ends = 0;  // live on_end functions, held by a stream_response or its sink
    int streams = 0;  // stream_responses made
    int ends = 0;     // on_end calls
    int requests = 0; // request handler calls
    int throws = 0;   // calls that throw (or whose awaitable will)
    int reported = 0; // on_handler_exception calls
    std::vector<std::pair<http::verb, bool>> answers; // method, and whether a stream answered it
};

// Held by a source: counts it in the run's and in its stream's numbers.
class source_guard {
public:
    source_guard(counters& c, std::shared_ptr<stream_record> r)
        : c_(&c)
        , r_(std::move(r))
    {
        up();
    }
    source_guard(source_guard const& other)
        : c_(other.c_)
        , r_(other.r_)
    {
        up();
    }
    source_guard& operator=(source_guard const&) = delete;

    ~source_guard()
    {
        --c_->sources;
        --r_->sources;
    }

private:
    void up()
    {
        ++c_->sources;
        ++r_->sources;
    }

    counters* c_;
    std::shared_ptr<stream_record> r_;
};

// A source with a guard in it.
template <class Inner>
class guarded_source {
public:
    using value_type = typename Inner::value_type;

    guarded_source(Inner inner, source_guard guard)
        : inner_(std::move(inner))
        , guard_(std::move(guard))
    {
    }

    guarded_source(guarded_source&&) = default;
    guarded_source& operator=(guarded_source&&) = delete;

    template <class Token>
    auto async_next(Token&& token)
    {
        return inner_.async_next(std::forward<Token>(token));
    }

private:
    Inner inner_;
    source_guard guard_;
};

// ------------------------------------------------------------ the connection

// Completes a handler as if by post. Its cancellation handler is removed
// first, unless it is the caller.
template <class Handler, class... Args>
void complete_later(net::io_context& ioc, Handler h, bool from_cancellation, Args... args)
{
    if (!from_cancellation) {
        if (auto slot = h.get_cancellation_slot(); slot.is_connected())
            slot.clear();
    }
    net::post(ioc.get_executor(), beast::bind_front_handler(std::move(h), std::move(args)...));
}

// Both ends of an in-memory connection: the server's end is a
// `fuzz_stream`, the harness plays the peer. Reads and writes complete as
// if by post and honour per-operation cancellation, as a socket's do. A
// shutdown of the send side is recorded, so the HTTP/1.1 refusal lingers
// as over TCP.
class wire {
public:
    using io_handler = net::any_completion_handler<void(error_code, std::size_t)>;

    wire(net::io_context& ioc, config const& c)
        : ioc_(ioc)
        , cfg_(c)
    {
    }

    wire(wire const&) = delete;
    wire& operator=(wire const&) = delete;

    net::io_context& context() noexcept { return ioc_; }

    // --------------------------------------------------- the server's end

    void start_read(io_handler h, std::vector<net::mutable_buffer> buffers)
    {
        require(!over_, "a read started after the operation completed");
        require(!read_, "two reads at once");
        read_.emplace(std::move(h));
        read_buffers_ = std::move(buffers);
        std::uint64_t const id = ++read_id_;
        if (pos_ < in_.size() || closed_ || net::buffer_size(read_buffers_) == 0)
            return deliver_read();
        if (auto slot = read_->get_cancellation_slot(); slot.is_connected()) {
            slot.assign([this, id](net::cancellation_type) {
                if (read_ && read_id_ == id) {
                    auto handler = std::move(*read_);
                    read_.reset();
                    complete_later(
                        ioc_,
                        std::move(handler),
                        true,
                        error_code(net::error::operation_aborted),
                        std::size_t(0)
                    );
                }
            });
        }
    }

    void start_write(io_handler h, std::vector<net::const_buffer> buffers)
    {
        require(!over_, "a write started after the operation completed");
        require(!write_, "two writes at once");
        require(!send_shut_, "a write after shutdown(send)");
        std::uint64_t const id = ++write_id_;
        if (auto const ec = write_error())
            return complete_later(ioc_, std::move(h), false, ec, std::size_t(0));
        std::size_t n = net::buffer_size(buffers);
        if (cfg_.write_cap != 0)
            n = std::min(n, cfg_.write_cap);
        pending_out_.resize(n);
        net::buffer_copy(net::buffer(pending_out_), buffers, n);
        if (!cfg_.hold_writes || n == 0) {
            out_ += pending_out_;
            return complete_later(ioc_, std::move(h), false, error_code(), n);
        }
        write_.emplace(std::move(h));
        if (auto slot = write_->get_cancellation_slot(); slot.is_connected()) {
            slot.assign([this, id](net::cancellation_type) {
                if (write_ && write_id_ == id) {
                    auto handler = std::move(*write_);
                    write_.reset();
                    complete_later(
                        ioc_,
                        std::move(handler),
                        true,
                        error_code(net::error::operation_aborted),
                        std::size_t(0)
                    );
                }
            });
        }
    }

    void shutdown(net::socket_base::shutdown_type what, error_code& ec)
    {
        ec = {};
        if (what != net::socket_base::shutdown_receive)
            send_shut_ = true;
    }

    // --------------------------------------------------- the peer's end

    // Sends bytes to the server.
    void send(std::string_view bytes)
    {
        if (pos_ == in_.size()) {
            in_.clear();
            pos_ = 0;
        }
        in_.append(bytes);
        if (read_ && !bytes.empty())
            deliver_read();
    }

    // Takes what a held write offers; false when none waits.
    bool drain()
    {
        if (!write_)
            return false;
        auto handler = std::move(*write_);
        write_.reset();
        out_ += pending_out_;
        complete_later(ioc_, std::move(handler), false, error_code(), pending_out_.size());
        return true;
    }

    void close(peer_end how)
    {
        closed_ = true;
        reset_ = how == peer_end::reset;
        no_read_ = how == peer_end::close_no_read;
        if (read_)
            deliver_read();
        if (write_) {
            if (auto const ec = write_error()) {
                auto handler = std::move(*write_);
                write_.reset();
                complete_later(ioc_, std::move(handler), false, ec, std::size_t(0));
            }
        }
    }

    // The operation completed: from now on the stream is the caller's.
    void operation_over() noexcept { over_ = true; }

    bool busy() const noexcept { return read_.has_value() || write_.has_value(); }

    // What the server wrote, in order.
    std::string const& output() const noexcept { return out_; }

private:
    void deliver_read()
    {
        auto handler = std::move(*read_);
        read_.reset();
        error_code ec;
        std::size_t n = 0;
        if (reset_) {
            ec = net::error::connection_reset;
        } else if (pos_ < in_.size()) {
            std::size_t avail = in_.size() - pos_;
            if (cfg_.read_cap != 0)
                avail = std::min(avail, cfg_.read_cap);
            n = net::buffer_copy(read_buffers_, net::buffer(in_.data() + pos_, avail));
            pos_ += n;
        } else if (net::buffer_size(read_buffers_) != 0) {
            ec = net::error::eof;
        }
        complete_later(ioc_, std::move(handler), false, ec, n);
    }

    error_code write_error() const
    {
        if (reset_)
            return net::error::connection_reset;
        if (no_read_)
            return net::error::broken_pipe;
        return {};
    }

    net::io_context& ioc_;
    config cfg_;
    std::string in_;
    std::size_t pos_ = 0;
    std::string out_;
    std::string pending_out_;
    std::optional<io_handler> read_;
    std::vector<net::mutable_buffer> read_buffers_;
    std::optional<io_handler> write_;
    std::uint64_t read_id_ = 0;
    std::uint64_t write_id_ = 0;
    bool closed_ = false;
    bool reset_ = false;
    bool no_read_ = false;
    bool send_shut_ = false;
    bool over_ = false;
};

// The server's end of a wire.
class fuzz_stream {
public:
    using executor_type = net::io_context::executor_type;

    explicit fuzz_stream(wire& w) noexcept
        : wire_(&w)
    {
    }

    executor_type get_executor() const noexcept { return wire_->context().get_executor(); }

    template <class MutableBufferSequence, class ReadToken>
    auto async_read_some(MutableBufferSequence const& buffers, ReadToken&& token)
    {
        return net::async_initiate<ReadToken, void(error_code, std::size_t)>(
            [w = wire_](auto handler, MutableBufferSequence const& b) {
                w->start_read(
                    wire::io_handler(std::move(handler)),
                    std::vector<net::mutable_buffer>(
                        net::buffer_sequence_begin(b),
                        net::buffer_sequence_end(b)
                    )
                );
            },
            token,
            buffers
        );
    }

    template <class ConstBufferSequence, class WriteToken>
    auto async_write_some(ConstBufferSequence const& buffers, WriteToken&& token)
    {
        return net::async_initiate<WriteToken, void(error_code, std::size_t)>(
            [w = wire_](auto handler, ConstBufferSequence const& b) {
                w->start_write(
                    wire::io_handler(std::move(handler)),
                    std::vector<net::const_buffer>(net::buffer_sequence_begin(b), net::buffer_sequence_end(b))
                );
            },
            token,
            buffers
        );
    }

    void shutdown(net::socket_base::shutdown_type what, error_code& ec) { wire_->shutdown(what, ec); }

private:
    wire* wire_;
};

// ------------------------------------------------------------ sources

inline sse::message nth_message(int i)
{
    switch (i % 5) {
    case 0:
        return sse::message{}.id(i).data("one");
    case 1:
        return sse::message{}.event("tick").data("two\nlines");
    case 2:
        return sse::message{}.comment("a comment");
    case 3:
        return sse::message{}.retry(std::chrono::milliseconds(1500)).data("");
    default:
        return sse::message{}.id("").event("x").data("\xC3\xBC \xE2\x9C\x93");
    }
}

// A source the peer drives: async_next waits until the harness gives it a
// message, the end or a failure.
struct gate_state {
    using next_handler = net::any_completion_handler<void(error_code, std::optional<sse::message>)>;

    explicit gate_state(net::io_context& c)
        : ioc(c)
    {
    }

    void park(next_handler h)
    {
        require(!parked, "async_next while another is pending");
        require(!finished, "async_next after the source finished");
        parked.emplace(std::move(h));
        std::uint64_t const id = ++parked_id;
        if (auto slot = parked->get_cancellation_slot(); slot.is_connected()) {
            slot.assign([w = weak, id](net::cancellation_type) {
                auto const st = w.lock();
                if (st && st->parked && st->parked_id == id)
                    st->complete(true, net::error::operation_aborted, std::nullopt);
            });
        }
    }

    void complete(bool from_cancellation, error_code ec, std::optional<sse::message> item)
    {
        auto handler = std::move(*parked);
        parked.reset();
        complete_later(ioc, std::move(handler), from_cancellation, ec, std::move(item));
    }

    net::io_context& ioc;
    std::weak_ptr<gate_state> weak;
    std::optional<next_handler> parked;
    std::uint64_t parked_id = 0;
    int yielded = 0;
    bool finished = false;
};

class gated_source {
public:
    using value_type = sse::message;

    gated_source(std::shared_ptr<gate_state> state, source_guard guard)
        : state_(std::move(state))
        , guard_(std::move(guard))
    {
    }

    gated_source(gated_source&& other) noexcept = default;
    gated_source& operator=(gated_source&&) = delete;

    ~gated_source()
    {
        if (state_)
            require(!state_->parked, "a source was destroyed while its async_next was pending");
    }

    template <net::completion_token_for<void(error_code, std::optional<sse::message>)> Token>
    auto async_next(Token&& token)
    {
        return net::async_initiate<Token, void(error_code, std::optional<sse::message>)>(
            [st = state_](auto handler) { st->park(gate_state::next_handler(std::move(handler))); },
            token
        );
    }

private:
    std::shared_ptr<gate_state> state_;
    source_guard guard_;
};

// A coroutine producer; the guard lives in its frame.
inline net::experimental::coro<sse::message> counted_coro(net::any_io_executor, counted, int n)
{
    for (int i = 0; i < n; ++i)
        co_yield nth_message(i);
}

// Never yields until cancelled: ending the stream cancels its wait.
inline net::experimental::coro<sse::message> idle_coro(net::any_io_executor ex, counted)
{
    net::steady_timer timer(ex, net::steady_timer::time_point::max());
    for (;;) {
        co_await timer.async_wait(net::experimental::use_coro);
        co_yield sse::message{}.comment("idle");
    }
}

// ------------------------------------------------------------ the session

struct handler_failure : std::exception {
    char const* what() const noexcept override { return "the request handler threw"; }
};

// A run: the io_context, the connection, what the handlers made, and the
// completion.
class session {
public:
    // `strict`: every answer a handler gives reaches its stream, so every
    // stream_response starts (its on_end runs) and every exception is
    // reported. Not so over HTTP/2 with an awaitable handler, whose stream
    // may be gone by the time it answers.
    session(config const& c, bool strict)
        : cfg_(c)
        , strict_(strict)
        , wire_(ioc_, c)
        , stream_(wire_)
        , buffer_(c.small_buffer ? 600 : std::numeric_limits<std::size_t>::max())
    {
    }

    session(session const&) = delete;
    session& operator=(session const&) = delete;

    net::io_context& context() noexcept { return ioc_; }
    fuzz_stream& stream() noexcept { return stream_; }
    beast::flat_buffer& buffer() noexcept { return buffer_; }

    // Puts bytes in the caller's buffer before the session starts, as if
    // read while detecting the protocol. False when they do not fit.
    bool prefill(std::string_view bytes)
    {
        if (bytes.size() > buffer_.max_size())
            return false;
        buffer_.commit(net::buffer_copy(buffer_.prepare(bytes.size()), net::buffer(bytes)));
        return true;
    }
    counters& count() noexcept { return count_; }
    config const& cfg() const noexcept { return cfg_; }
    wire const& connection() const noexcept { return wire_; }
    int completions() const noexcept { return completions_; }
    error_code result() const noexcept { return result_; }

    server_options options()
    {
        server_options o;
        o.max_header_size = 1024;
        o.max_body_size = 4096;
        auto const t = cfg_.timeouts_off ? std::chrono::milliseconds(0) : std::chrono::hours(1);
        o.idle_timeout = t;
        o.request_timeout = t;
        o.write_timeout = t;
        o.max_concurrent_streams = 8;
        o.max_connection_queued_bytes = 200;
        o.reset_budget = 16;
        o.reset_refill_per_second = 1;
        o.on_handler_exception = [this](std::exception_ptr e) {
            require(e != nullptr, "on_handler_exception without an exception");
            ++count_.reported;
        };
        return o;
    }

    // The completion handler of the operation under test.
    auto completion()
    {
        return net::bind_executor(ioc_, [this](error_code ec) {
            ++completions_;
            result_ = ec;
            require(completions_ == 1, "the completion handler ran twice");
            require(count_.sources == 0, "a source outlived the completion");
            require(count_.handlers == 0, "the request handler outlived the completion");
            require(count_.ends <= count_.streams, "more on_end calls than streams");
            require(
                !strict_ || count_.ends == count_.streams,
                "a stream's on_end had not run at the completion"
            );
            require(!wire_.busy(), "the operation completed with a read or write outstanding");
            wire_.operation_over();
        });
    }

    // -------------------------------------------------- what handlers use

    std::shared_ptr<gate_state> new_gate()
    {
        auto st = std::make_shared<gate_state>(ioc_);
        st->weak = st;
        gates_.push_back(st);
        return st;
    }

    // The on_end function of a stream: called once, after its source is gone.
    auto on_end(std::shared_ptr<stream_record> r)
    {
        ++count_.streams;
        return [this, r = std::move(r), token = counted(count_.on_ends)](error_code) {
            require(++r->ends == 1, "on_end ran twice");
            require(r->sources == 0, "on_end ran before the source was destroyed");
            ++count_.ends;
        };
    }

    // A wait of an awaitable handler, until the peer's next choice.
    class waiter {
    public:
        explicit waiter(session& s)
            : s_(s)
            , timer_(s.ioc_, net::steady_timer::time_point::max())
        {
            s_.waiters_.push_back(&timer_);
        }

        waiter(waiter const&) = delete;
        waiter& operator=(waiter const&) = delete;

        ~waiter() { std::erase(s_.waiters_, &timer_); }

        net::steady_timer& timer() noexcept { return timer_; }

    private:
        session& s_;
        net::steady_timer timer_;
    };

    // ------------------------------------------------------------ driving

    // Feeds the pieces, then ends the connection as the configuration says.
    // `release_waiters`: awaitable handlers that wait once the input is over
    // are let go, even those called after the peer left (an HTTP/1 session
    // reads nothing while one runs, so it cannot see the peer leave: a
    // handler that never answers holds it forever).
    void
    feed(std::vector<std::string_view> const& pieces, std::size_t first, choices& rng, bool release_waiters)
    {
        settle();
        for (std::size_t i = first; i < pieces.size(); ++i) {
            wire_.send(pieces[i]);
            settle();
            gate_step(rng);
            if (cfg_.hold_writes) {
                for (unsigned k = rng.next() % 4; k != 0 && wire_.drain(); --k)
                    settle();
            }
        }
        if (!cfg_.gate_leave) {
            gate_all(gate_action::finish);
        } else if (release_waiters) {
            release_all();
            settle();
        }
        wire_.close(cfg_.end);
        // The peer still reads what the server writes, unless it reset.
        for (;;) {
            settle();
            if (release_waiters && !waiters_.empty()) {
                release_all();
                continue;
            }
            if (!wire_.drain())
                break;
        }
    }

    void settle()
    {
        if (ioc_.stopped())
            ioc_.restart();
        try {
            ioc_.poll();
        } catch (std::exception const& e) {
            std::fprintf(stderr, "exception: %s\n", e.what());
            fail("an exception escaped io_context::poll");
        }
    }

    // With SSE_FUZZ_TRACE set, what happened, on stderr: for writing seeds
    // and reading reproducers.
    void trace(std::string_view output) const
    {
        if (!std::getenv("SSE_FUZZ_TRACE"))
            return;
        std::fprintf(
            stderr,
            "completions %d, result \"%s\", requests %d, streams %d (%d ended), throws %d (%d reported), "
            "%zu bytes written:\n",
            completions_,
            result_.message().c_str(),
            count_.requests,
            count_.streams,
            count_.ends,
            count_.throws,
            count_.reported,
            wire_.output().size()
        );
        std::fwrite(output.data(), 1, output.size(), stderr);
        std::fputc('\n', stderr);
    }

    // The promises every run keeps, once the peer has closed.
    void check_end()
    {
        settle();
        require(completions_ == 1, "the operation did not complete after the peer closed");
        require(result_ != beast::error::timeout, "a timeout no clock could have reached");
        require(result_ != sse::error::send_timeout, "a send timeout no clock could have reached");
        require(result_ != net::error::operation_aborted, "operation_aborted without cancellation");
        require(count_.sources == 0, "a source was never destroyed");
        require(count_.handlers == 0, "the request handler was never destroyed");
        require(count_.frames == 0, "a coroutine producer was never destroyed");
        require(count_.on_ends == 0, "a stream_response (its on_end) was never destroyed");
        require(!strict_ || count_.ends == count_.streams, "a stream's on_end never ran");
        require(count_.reported <= count_.throws, "more exceptions reported than thrown");
        require(!strict_ || count_.reported == count_.throws, "a handler's exception was not reported");
        require(waiters_.empty(), "an awaitable handler was never finished");
        require(!wire_.busy(), "a read or write is still outstanding");
        require(ioc_.stopped(), "the io_context still has work");
    }

private:
    enum class gate_action { none, yield, finish, fail };

    void gate_step(choices& rng)
    {
        if (!cfg_.gate_random) {
            gate_all(gate_action::yield);
            return;
        }
        static constexpr gate_action actions[] = {
            gate_action::none,
            gate_action::yield,
            gate_action::yield,
            gate_action::finish,
            gate_action::fail};
        gate_all(actions[rng.next() % 5]);
    }

    // Lets every waiting awaitable handler go on.
    void release_all()
    {
        for (auto* t : waiters_)
            t->cancel();
    }

    void gate_all(gate_action a)
    {
        if (a == gate_action::none)
            return;
        release_all();
        std::erase_if(gates_, [](auto const& w) { return w.expired(); });
        for (auto const& w : gates_) {
            auto const st = w.lock();
            if (!st || !st->parked)
                continue;
            switch (a) {
            case gate_action::yield:
                st->complete(false, {}, sse::message{}.id(++st->yielded).data("gate"));
                break;
            case gate_action::finish:
                st->finished = true;
                st->complete(false, {}, std::nullopt);
                break;
            case gate_action::fail:
                st->complete(false, net::error::no_buffer_space, std::nullopt);
                break;
            case gate_action::none:
                break;
            }
        }
        settle();
    }

    config cfg_;
    bool strict_;
    net::io_context ioc_;
    counters count_;
    std::vector<std::weak_ptr<gate_state>> gates_;
    std::vector<net::steady_timer*> waiters_;
    wire wire_;
    fuzz_stream stream_;
    beast::flat_buffer buffer_;
    int completions_ = 0;
    error_code result_;
};

// ------------------------------------------------------------ answers

// A stream target's options, from the flags after '?'.
struct stream_target {
    std::string_view path;
    int count = 3;
    stream_options options;
};

inline stream_target parse_target(std::string_view target)
{
    stream_target t;
    auto const q = target.find('?');
    t.path = target.substr(0, q);
    t.options.heartbeat = std::chrono::hours(1);
    t.options.send_timeout = std::chrono::hours(1);
    if (q == std::string_view::npos)
        return t;
    for (char const c : target.substr(q + 1)) {
        if (c >= '0' && c <= '9')
            t.count = c - '0';
        else if (c == 'r')
            t.options.retry = std::chrono::milliseconds(2500);
        else if (c == 'q')
            t.options.max_queued_bytes = 1;
        else if (c == 'w')
            t.options.max_write_size = 1;
        else if (c == 'h')
            t.options.heartbeat = std::chrono::milliseconds(0);
        else if (c == 's')
            t.options.send_timeout = std::chrono::milliseconds(0);
        else if (c == 'n')
            t.options.no_accel_buffering = false;
    }
    return t;
}

inline bool has_flag(std::string_view target, char flag)
{
    auto const q = target.find('?');
    return q != std::string_view::npos && target.substr(q + 1).find(flag) != std::string_view::npos;
}

inline std::string_view target_of(http::request<http::string_body> const& req)
{
    return std::string_view(req.target().data(), req.target().size());
}

// The answer to a target, as the handler returns it. Plain answers keep
// their Content-Length and lose their body for HEAD.
inline http::response<http::string_body> plain_answer(http::request<http::string_body> const& req)
{
    std::string_view const path = parse_target(target_of(req)).path;
    if (path == "/throw")
        throw handler_failure();
    http::response<http::string_body> res;
    if (path == "/") {
        res = sse::make_response(req, http::status::ok, "hello\n");
    } else if (path == "/echo") {
        res = sse::make_response(req, http::status::ok, req.body(), "application/octet-stream");
    } else if (path == "/big") {
        res = sse::make_response(req, http::status::ok, std::string(1500, 'x'));
    } else if (path == "/close") {
        res = sse::make_response(req, http::status::ok, "bye\n");
        res.keep_alive(false);
    } else if (path == "/raw") {
        res = http::response<http::string_body>(http::status::ok, req.version());
        res.body() = "until the connection closes\n";
    } else {
        res = sse::make_response(req, http::status::not_found, "not found\n");
    }
    if (req.method() == http::verb::head)
        res.body().clear();
    return res;
}

inline bool is_stream_path(std::string_view path)
{
    return path == "/events" || path == "/coro" || path == "/bytes" || path == "/idle" || path == "/gate";
}

// A stream_response for a stream target.
template <class Source>
stream_response<Source>
make_stream(http::request<http::string_body> const& req, Source source, stream_target const& t)
{
    stream_response<Source> res{req, std::move(source), t.options};
    if (has_flag(target_of(req), 'x'))
        res.header().set("Access-Control-Allow-Origin", "*");
    return res;
}

// The answer of handler kinds 0 and 3: streams, plain answers, 404.
inline sse::response mixed_answer(session& s, http::request<http::string_body> const& req)
{
    auto const t = parse_target(target_of(req));
    if (t.path == "/empty") {
        http::response<http::empty_body> empty(http::status::no_content, req.version());
        empty.keep_alive(req.keep_alive());
        return empty;
    }
    if (!is_stream_path(t.path) || req.method() == http::verb::head)
        return plain_answer(req);
    auto const rec = std::make_shared<stream_record>();
    source_guard guard(s.count(), rec);
    auto ex = net::any_io_executor(s.context().get_executor());
    sse::response out = [&]() -> sse::response {
        if (t.path == "/events") {
            std::vector<sse::message> v;
            for (int i = 0; i < t.count; ++i)
                v.push_back(nth_message(i));
            return make_stream(req, guarded_source{sse::as_source(std::move(v)), guard}, t);
        }
        if (t.path == "/bytes") {
            std::vector<sse::serialized> v;
            for (int i = 0; i < t.count; ++i)
                v.emplace_back(nth_message(i));
            return make_stream(req, guarded_source{sse::as_source(std::move(v)), guard}, t);
        }
        if (t.path == "/coro") {
            auto c = counted_coro(ex, counted(s.count().frames), t.count);
            return make_stream(req, guarded_source{sse::as_source(std::move(c)), guard}, t);
        }
        if (t.path == "/idle") {
            auto c = idle_coro(ex, counted(s.count().frames));
            return make_stream(req, guarded_source{sse::as_source(std::move(c)), guard}, t);
        }
        return make_stream(req, gated_source(s.new_gate(), guard), t);
    }();
    out.stream().on_end(s.on_end(rec));
    return out;
}

// The answer of handler kind 1: a gated stream, whatever the request.
inline stream_response<gated_source> gated_answer(session& s, http::request<http::string_body> const& req)
{
    auto const rec = std::make_shared<stream_record>();
    auto res = make_stream(
        req,
        gated_source(s.new_gate(), source_guard(s.count(), rec)),
        parse_target(target_of(req))
    );
    res.on_end(s.on_end(rec));
    return res;
}

// Counts a call of a handler of the given kind, and what it will answer.
inline void note_request(session& s, int kind, http::request<http::string_body> const& req)
{
    auto& c = s.count();
    ++c.requests;
    auto const t = parse_target(target_of(req));
    bool const head = req.method() == http::verb::head;
    bool const stream = kind == 1 || (kind != 2 && t.path != "/empty" && is_stream_path(t.path) && !head);
    c.answers.emplace_back(req.method(), stream);
    if (kind != 1 && t.path == "/throw")
        ++c.throws;
}

// The awaitable handler's answer: with flag a, once the peer chooses.
inline net::awaitable<sse::response> awaited_answer(session& s, http::request<http::string_body> req)
{
    if (has_flag(target_of(req), 'a')) {
        session::waiter w(s);
        co_await w.timer().async_wait(net::as_tuple(net::use_awaitable));
    }
    co_return mixed_answer(s, req);
}

// A request handler of the given kind, counting its copies and its calls.
// Kinds: 0 sse::response, 1 stream_response<gated_source>, 2 a plain
// beast response, 3 net::awaitable<sse::response>.
template <int Kind>
class request_handler {
public:
    explicit request_handler(session& s)
        : s_(&s)
        , token_(s.count().handlers)
    {
    }

    auto operator()(http::request<http::string_body>&& req)
    {
        note_request(*s_, Kind, req);
        if constexpr (Kind == 1)
            return gated_answer(*s_, req);
        else if constexpr (Kind == 2)
            return plain_answer(req);
        else if constexpr (Kind == 3)
            return awaited_answer(*s_, std::move(req));
        else
            return mixed_answer(*s_, req);
    }

private:
    session* s_;
    counted token_;
};

} // namespace sse::fuzz

#endif
