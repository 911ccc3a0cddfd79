//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// The HTTP/1 session core by scripts: events with times in, the exact
// actions out. No sockets, no sleeps, no clock: time is an argument.

// Test that header file is self-contained.
#include <sse/detail/http1_session.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "catch.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

using sse::detail::http1_action;
using sse::detail::http1_answer;
using sse::detail::http1_session;
using namespace std::chrono_literals;
using actions = std::vector<std::string>;
namespace net = boost::asio;
namespace http = boost::beast::http;

namespace {

using time_point = http1_session::time_point;
time_point const t0{std::chrono::hours(1)};

std::string at(time_point t)
{
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(t - t0).count()) + "ms";
}

// Every action the session has now, as text.
actions drain(http1_session& s)
{
    actions out;
    for (auto a = s.next(); !a.is_none(); a = s.next()) {
        using type = http1_action::type;
        switch (a.get_type()) {
        case type::none: break;
        case type::read: out.push_back("read"); break;
        case type::handle: out.push_back("handle"); break;
        case type::write_plain: out.push_back("write_plain"); break;
        case type::write_stream: out.push_back("write_stream"); break;
        case type::write_head: out.push_back("write_head"); break;
        case type::write_failure: out.push_back("write_failure"); break;
        case type::write_refusal: out.push_back("write_refusal " + std::to_string(unsigned(a.status()))); break;
        case type::write_continue: out.push_back("write_continue"); break;
        case type::shutdown_send: out.push_back("shutdown_send"); break;
        case type::wait_until: out.push_back("wait_until " + at(a.expiry())); break;
        case type::cancel_wait: out.push_back("cancel_wait"); break;
        case type::cancel_read: out.push_back("cancel_read"); break;
        case type::cancel_write:
            out.push_back(
                a.cancellation() == net::cancellation_type::terminal ? "cancel_write terminal" : "cancel_write partial"
            );
            break;
        case type::cancel_handler: out.push_back("cancel_handler"); break;
        case type::complete: out.push_back("complete " + (a.error() ? a.error().message() : std::string("ok"))); break;
        }
    }
    return out;
}

sse::server_options options()
{
    sse::server_options o;
    o.idle_timeout = 60s;
    o.request_timeout = 30s;
    o.write_timeout = 10s;
    o.max_header_size = 1024;
    o.max_body_size = 16;
    return o;
}

// A session and its buffer, with the bytes a read brings.
struct script {
    http1_session s{options()};
    boost::beast::flat_buffer buffer;

    actions start(time_point now = t0)
    {
        s.start(buffer, now);
        return drain(s);
    }

    actions read(std::string_view bytes, time_point now = t0)
    {
        auto b = buffer.prepare(bytes.size());
        net::buffer_copy(b, net::buffer(bytes));
        buffer.commit(bytes.size());
        s.read_done({}, buffer, now);
        return drain(s);
    }

    actions read_error(sse::error_code ec, time_point now = t0)
    {
        s.read_done(ec, buffer, now);
        return drain(s);
    }

    actions answered(http1_answer a, bool keep_alive = true, time_point now = t0)
    {
        s.answered(a, keep_alive, buffer, now);
        return drain(s);
    }

    actions wrote(sse::error_code ec = {}, time_point now = t0)
    {
        s.write_done(ec, buffer, now);
        return drain(s);
    }

    actions shut(bool ok = true, time_point now = t0)
    {
        s.send_shut(ok, buffer, now);
        return drain(s);
    }

    actions fired(time_point now)
    {
        s.timer_fired(now);
        return drain(s);
    }

    actions cancel(net::cancellation_type t)
    {
        s.cancelled(t);
        return drain(s);
    }
};

constexpr std::string_view get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

} // namespace

TEST_CASE("http1_session: a request, its answer, the next request on the connection", "[http1_session]")
{
    script c;
    CHECK(c.start() == actions{"read", "wait_until 60000ms"});
    // Partly in: request_timeout now applies, earlier than the idle wait.
    CHECK(c.read("GET / HT", t0 + 1s) == actions{"read", "cancel_wait"});
    CHECK(c.fired(t0 + 1s) == actions{"wait_until 31000ms"});
    CHECK(c.read("TP/1.1\r\nHost: x\r\n\r\n", t0 + 2s) == actions{"handle"});
    auto const req = c.s.take_request();
    CHECK(req.target() == "/");
    CHECK(c.s.request_keep_alive());
    // The wait armed for 31 s is later than the write's deadline: re-armed.
    CHECK(c.answered(http1_answer::plain, true, t0 + 2s) == actions{"write_plain", "cancel_wait"});
    CHECK(c.fired(t0 + 2s) == actions{"wait_until 12000ms"});
    CHECK(c.wrote({}, t0 + 3s) == actions{"read"}); // the idle deadline (63 s) is later: no re-arm yet
    CHECK(c.fired(t0 + 12s) == actions{"wait_until 63000ms"});
    CHECK(c.read_error(net::error::eof, t0 + 20s) == actions{"cancel_wait"});
    CHECK(c.fired(t0 + 20s) == actions{"complete ok"});
}

TEST_CASE("http1_session: pipelined requests are answered in turn without a read", "[http1_session]")
{
    script c;
    c.start();
    CHECK(c.read(std::string(get) + std::string(get)) == actions{"handle"});
    c.s.take_request();
    c.answered(http1_answer::plain);
    CHECK(c.wrote() == actions{"handle"});
}

TEST_CASE("http1_session: timeouts", "[http1_session]")
{
    SECTION("idle")
    {
        script c;
        c.start();
        CHECK(c.fired(t0 + 60s) == actions{"cancel_read"});
        CHECK(c.read_error(net::error::operation_aborted, t0 + 60s) == actions{"complete The socket was closed due to a timeout"});
    }
    SECTION("a write that does not complete")
    {
        script c;
        c.start();
        c.read(get);
        c.s.take_request();
        c.answered(http1_answer::plain);
        c.fired(t0);
        CHECK(c.fired(t0 + 10s) == actions{"cancel_write terminal"});
        CHECK(c.wrote(net::error::operation_aborted, t0 + 10s) == actions{"complete The socket was closed due to a timeout"});
    }
}

TEST_CASE("http1_session: a bad request is refused, then the peer is read until it closes", "[http1_session]")
{
    script c;
    c.start();
    CHECK(c.read("BAD REQUEST LINE\r\n\r\n") == actions{"write_refusal 400", "cancel_wait"});
    CHECK(c.fired(t0) == actions{"wait_until 10000ms"});
    CHECK(c.wrote({}, t0 + 1s) == actions{"shutdown_send"});
    CHECK(c.shut(true, t0 + 1s) == actions{"read", "cancel_wait"});
    CHECK(c.fired(t0 + 1s) == actions{"wait_until 2000ms"});
    CHECK(c.read("more", t0 + 1500ms) == actions{"read"});
    CHECK(c.buffer.size() == 0); // discarded
    CHECK(c.read_error(net::error::eof, t0 + 1600ms) == actions{"cancel_wait"});
    auto const end = c.fired(t0 + 1600ms);
    REQUIRE(end.size() == 1);
    CHECK(end[0].starts_with("complete "));
    CHECK(end[0] != "complete ok");
}

TEST_CASE("http1_session: limits", "[http1_session]")
{
    SECTION("a header over max_header_size: 431")
    {
        script c;
        c.start();
        CHECK(c.read("GET / HTTP/1.1\r\nX: " + std::string(2000, 'a') + "\r\n\r\n")[0] == "write_refusal 431");
    }
    SECTION("a body over max_body_size, by Content-Length: 413 before the body")
    {
        script c;
        c.start();
        CHECK(c.read("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n")[0] == "write_refusal 413");
    }
    SECTION("a buffer with no room: 431 before the header is done, 413 after")
    {
        script c;
        c.start();
        c.read("GET / HTTP/1.1\r\n");
        c.s.buffer_full(c.buffer, t0);
        CHECK(drain(c.s)[0] == "write_refusal 431");
    }
}

TEST_CASE("http1_session: Expect: 100-continue", "[http1_session]")
{
    SECTION("the interim answer once the header is in, then the body")
    {
        script c;
        c.start();
        CHECK(
            c.read("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n", t0 + 1s) ==
            actions{"write_continue", "cancel_wait"}
        );
        CHECK(c.fired(t0 + 1s) == actions{"wait_until 11000ms"});
        CHECK(c.wrote({}, t0 + 1s) == actions{"read"});
        CHECK(c.read("hello", t0 + 2s) == actions{"handle"});
        CHECK(c.s.take_request().body() == "hello");
    }
    SECTION("a body that came with the header needs no interim answer")
    {
        script c;
        c.start();
        CHECK(c.read("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello") == actions{"handle"});
    }
    SECTION("too large: 413 instead")
    {
        script c;
        c.start();
        CHECK(c.read("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99\r\nExpect: 100-continue\r\n\r\n")[0] == "write_refusal 413");
    }
    SECTION("HTTP/1.0 clients get none")
    {
        script c;
        c.start();
        CHECK(c.read("POST / HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n") == actions{"read", "cancel_wait"});
    }
}

TEST_CASE("http1_session: how a connection ends", "[http1_session]")
{
    SECTION("the peer closes in the middle of a request")
    {
        script c;
        c.start();
        c.read("GET / HTTP/1.1\r\n");
        c.read_error(net::error::eof);
        auto const a = c.fired(t0);
        CHECK(a == actions{"complete partial message"});
    }
    SECTION("a request that asks to close: its answer, then the send side shut")
    {
        script c;
        c.start();
        c.read("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        CHECK_FALSE(c.s.request_keep_alive());
        c.answered(http1_answer::plain, false);
        CHECK(c.wrote() == actions{"shutdown_send"});
        CHECK(c.shut(false) == actions{"cancel_wait"});
        CHECK(c.fired(t0) == actions{"complete ok"});
    }
    SECTION("a handler that threw: 500, and the connection goes on")
    {
        script c;
        c.start();
        c.read(get);
        CHECK(c.answered(http1_answer::failed, false)[0] == "write_failure");
        CHECK(c.wrote() == actions{"read"});
    }
    SECTION("an event stream ended by a pipelined request: that request is next")
    {
        script c;
        c.start();
        c.read(get);
        CHECK(c.answered(http1_answer::stream) == actions{"cancel_wait", "write_stream"});
        auto b = c.buffer.prepare(get.size());
        net::buffer_copy(b, net::buffer(get));
        c.buffer.commit(get.size());
        CHECK(c.wrote(sse::error::unexpected_data) == actions{"handle"});
    }
    SECTION("a HEAD request answered with an event stream: its header only, and the connection goes on")
    {
        script c;
        c.start();
        c.read("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
        CHECK(c.s.request_head());
        CHECK(c.answered(http1_answer::stream)[0] == "write_head");
        CHECK(c.wrote() == actions{"read"});
    }
    SECTION("an event stream that failed ends the session with its error")
    {
        script c;
        c.start();
        c.read(get);
        c.answered(http1_answer::stream);
        c.fired(t0);
        CHECK(c.wrote(sse::error::peer_gone) == actions{"complete " + sse::make_error_code(sse::error::peer_gone).message()});
    }
}

TEST_CASE("http1_session: cancellation", "[http1_session]")
{
    SECTION("waiting for a request: at once")
    {
        script c;
        c.start();
        CHECK(c.cancel(net::cancellation_type::partial) == actions{"cancel_read"});
        CHECK(c.cancel(net::cancellation_type::terminal) == actions{}); // already under way
        CHECK(c.read_error(net::error::operation_aborted) == actions{"cancel_wait"});
        CHECK(c.fired(t0) == actions{"complete Operation canceled"});
    }
    SECTION("an event stream: partial ends it cleanly, terminal at once")
    {
        script c;
        c.start();
        c.read(get);
        c.answered(http1_answer::stream);
        CHECK(c.cancel(net::cancellation_type::partial) == actions{"cancel_write partial"});
        CHECK(c.cancel(net::cancellation_type::terminal) == actions{"cancel_write terminal"});
        c.fired(t0);
        CHECK(c.wrote() == actions{"complete Operation canceled"});
    }
    SECTION("an awaitable handler: partial lets it answer, and a stream it returns ends cleanly")
    {
        script c;
        c.start();
        c.read(get);
        c.s.awaiting();
        CHECK(c.cancel(net::cancellation_type::partial) == actions{});
        CHECK(c.answered(http1_answer::stream) == actions{"cancel_wait", "write_stream", "cancel_write partial"});
    }
    SECTION("an awaitable handler: terminal cancels it, and the session waits for it")
    {
        script c;
        c.start();
        c.read(get);
        c.s.awaiting();
        c.fired(t0);
        CHECK(c.cancel(net::cancellation_type::terminal) == actions{"cancel_handler"});
        CHECK(c.answered(http1_answer::failed) == actions{"complete Operation canceled"});
    }
    SECTION("before the first turn")
    {
        script c;
        CHECK(c.cancel(net::cancellation_type::partial) == actions{});
        CHECK(c.start() == actions{"complete Operation canceled"});
    }
}
