//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Test that header file is self-contained.
#include <sse/stream_response.hpp>

#include <sse/parser.hpp>
#include <sse/sources/channel.hpp>
#include <sse/sources/coro.hpp>
#include <sse/sources/range.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "catch.hpp"
#include "loopback.hpp"

#include <chrono>
#include <cstdint>
#include <iostream>
#include <ranges>
#include <vector>

// Clang 14 cannot compile libstdc++ 12's iota_view and transform_view.
#if defined(__clang__) && __clang_major__ < 15 && defined(__GLIBCXX__)
#define SSE_TEST_HAS_VIEWS 0
#else
#define SSE_TEST_HAS_VIEWS 1
#endif

using namespace sse::test;
namespace http = boost::beast::http;
namespace beast = boost::beast;
namespace xp = boost::asio::experimental;

namespace {

using request = http::request<http::string_body>;

// What a test observes from the server side.
struct observed {
    latch_value<sse::error_code> completed;
    latch_value<bool> producer_destroyed;
    std::atomic<std::size_t> produced_bytes{0};
    std::atomic<int> produced{0};
    // The longest time between two messages of `counted`, in microseconds.
    std::atomic<std::int64_t> longest_gap_us{0};
};

// Reads one request and answers it with `respond`, then, while the
// connection stays usable, the next ones.
template <class Respond>
server::session http_session(Respond respond)
{
    return [respond](tcp::socket socket) -> net::awaitable<void> {
        beast::tcp_stream stream(std::move(socket));
        beast::flat_buffer buffer;
        for (;;) {
            request req;
            auto [ec, n] = co_await http::async_read(stream, buffer, req, net::as_tuple(net::use_awaitable));
            if (ec)
                co_return;
            bool const again = co_await respond(stream, req);
            if (!again)
                co_return;
        }
    };
}

// Events as a client reads them from a body.
std::vector<sse::event> events_of(std::string const& body)
{
    return sse::parse_events(body);
}

// Keeps in `o` the longest time between two calls.
void note_gap(observed& o, std::chrono::steady_clock::time_point& last)
{
    auto const now = std::chrono::steady_clock::now();
    auto const us = std::chrono::duration_cast<std::chrono::microseconds>(now - last).count();
    last = now;
    if (us > o.longest_gap_us)
        o.longest_gap_us = us;
}

xp::coro<sse::message> counted(net::any_io_executor ex, int n, observed& o, std::chrono::milliseconds gap)
{
    destroy_probe probe{&o.producer_destroyed};
    net::steady_timer timer(ex);
    auto last = std::chrono::steady_clock::now();
    for (int i = 1; i <= n; ++i) {
        if (gap.count() > 0) {
            timer.expires_after(gap);
            co_await timer.async_wait(xp::use_coro);
        }
        note_gap(o, last);
        ++o.produced;
        co_yield sse::message{}.id(i).data("message " + std::to_string(i));
    }
    note_gap(o, last);
}

// Yields as fast as it is asked, without end, counting the bytes.
xp::coro<sse::message> endless(net::any_io_executor, std::string const& payload, observed& o)
{
    for (;;) {
        auto m = sse::message{}.data(payload);
        o.produced_bytes += m.serialized_size();
        co_yield std::move(m);
    }
}

// Yields once, then sleeps for an hour.
xp::coro<sse::message> sleeper(net::any_io_executor ex, observed& o)
{
    destroy_probe probe{&o.producer_destroyed};
    co_yield sse::message{}.data("hello");
    net::steady_timer timer(ex);
    timer.expires_after(std::chrono::hours(1));
    co_await timer.async_wait(xp::use_coro);
    co_yield sse::message{}.data("never");
}

std::string const head_11 = "HTTP/1.1 200 OK\r\n"
                            "Content-Type: text/event-stream\r\n"
                            "Cache-Control: no-cache\r\n"
                            "X-Accel-Buffering: no\r\n"
                            "Transfer-Encoding: chunked\r\n\r\n";

} // namespace

TEST_CASE("stream_response: headers and chunks, byte for byte", "[stream_response]")
{
    observed o;
    server srv(http_session([&](beast::tcp_stream& s, request& req) -> net::awaitable<bool> {
        std::vector<sse::message> messages{
            sse::message{}.id(1).event("a").data("one"), sse::message{}.data("two\nlines")
        };
        auto [ec] = co_await sse::async_write(s, sse::stream_response{req, std::move(messages)}, net::as_tuple(net::use_awaitable));
        o.completed.set(ec);
        co_return !ec;
    }));
    client c(srv.port());
    c.get("/events");
    REQUIRE(c.read_until([](std::string const& r) { return has_last_chunk(r); }));
    std::string const raw = c.received();
    CHECK(raw.starts_with(head_11));
    auto const r = parse_response(raw);
    CHECK(r.complete);
    CHECK(r.body == "id: 1\nevent: a\ndata: one\n\ndata: two\ndata: lines\n\n");
    // Each chunk holds whole messages.
    for (auto const& chunk : r.chunks)
        CHECK(chunk.ends_with("\n\n"));
    CHECK(!r.has("content-length"));
    REQUIRE(o.completed.wait());
    CHECK(!*o.completed.wait());
}

TEST_CASE("stream_response: HTTP/1.0 ends with the connection", "[stream_response]")
{
    observed o;
    server srv(http_session([&](beast::tcp_stream& s, request& req) -> net::awaitable<bool> {
        sse::stream_response res{req, std::vector{sse::message{}.data("x"), sse::message{}.data("y")}};
        CHECK(!res.keep_alive());
        auto [ec] = co_await sse::async_write(s, res, net::as_tuple(net::use_awaitable));
        o.completed.set(ec);
        co_return false; // close
    }));
    client c(srv.port());
    c.get("/events", {}, "1.0");
    REQUIRE(c.read_to_close());
    CHECK(c.received() == "HTTP/1.0 200 OK\r\n"
                          "Content-Type: text/event-stream\r\n"
                          "Cache-Control: no-cache\r\n"
                          "X-Accel-Buffering: no\r\n\r\n"
                          "data: x\n\ndata: y\n\n");
    CHECK(!*o.completed.wait());
}

TEST_CASE("stream_response: the connection carries the next request", "[stream_response]")
{
    server srv(http_session([&](beast::tcp_stream& s, request& req) -> net::awaitable<bool> {
        if (req.target() == "/plain") {
            http::response<http::string_body> res{http::status::ok, req.version(), "plain"};
            res.prepare_payload();
            co_await http::async_write(s, res, net::use_awaitable);
            co_return true;
        }
        sse::stream_response res{req, std::vector{sse::message{}.data(std::string(req.target()))}};
        auto [ec] = co_await sse::async_write(s, res, net::as_tuple(net::use_awaitable));
        co_return !ec && res.keep_alive();
    }));
    client c(srv.port());
    c.get("/first");
    REQUIRE(c.read_until([](std::string const& r) { return has_last_chunk(r); }));
    CHECK(parse_response(c.take()).body == "data: /first\n\n");
    c.get("/second");
    REQUIRE(c.read_until([](std::string const& r) { return has_last_chunk(r); }));
    CHECK(parse_response(c.take()).body == "data: /second\n\n");
    c.get("/plain");
    REQUIRE(c.read_until_contains("plain"));
    c.take();
    c.get("/last", "Connection: close\r\n");
    REQUIRE(c.read_to_close());
    auto const r = parse_response(c.received());
    CHECK(r.get("connection") == "close");
    CHECK(r.body == "data: /last\n\n");
}

namespace {

// A source written by hand: it models the concept directly.
struct countdown_source {
    using value_type = sse::serialized;
    int left;

    template <class Token>
    auto async_next(Token&& token)
    {
        return net::async_initiate<Token, void(sse::error_code, std::optional<sse::serialized>)>(
            [this](auto handler) {
                std::optional<sse::serialized> item;
                if (left > 0)
                    item = sse::serialized(sse::message{}.data(std::to_string(left--)));
                auto ex = net::get_associated_executor(handler);
                net::post(ex, net::append(std::move(handler), sse::error_code(), std::move(item)));
            },
            token
        );
    }
};
static_assert(sse::message_source<countdown_source>);
static_assert(!sse::message_source<int>);
static_assert(!sse::adaptable_source<std::vector<int>>);
static_assert(sse::adaptable_source<std::vector<sse::message>>);

} // namespace

TEST_CASE("stream_response: every kind of source", "[stream_response]")
{
    observed o;
    server srv(http_session([&](beast::tcp_stream& s, request& req) -> net::awaitable<bool> {
        auto ex = s.get_executor();
        sse::error_code ec;
        auto const t = req.target();
        if (t == "/coro") {
            std::tie(ec) = co_await sse::async_write(s, sse::stream_response{req, counted(ex, 3, o, {})}, net::as_tuple(net::use_awaitable));
        } else if (t == "/channel") {
            using channel = xp::channel<void(sse::error_code, sse::message)>;
            auto ch = std::make_shared<channel>(ex, 8);
            net::co_spawn(ex, [ch]() -> net::awaitable<void> {
                for (int i = 1; i <= 3; ++i)
                    co_await ch->async_send({}, sse::message{}.data("ch " + std::to_string(i)), net::use_awaitable);
                ch->close();
            }, net::detached);
            std::tie(ec) = co_await sse::async_write(s, sse::stream_response{req, ch}, net::as_tuple(net::use_awaitable));
        } else if (t == "/view") {
#if SSE_TEST_HAS_VIEWS
            auto view = std::views::iota(1, 4) | std::views::transform([](int i) { return sse::message{}.data("v" + std::to_string(i)); });
#else
            std::vector<sse::message> const owned{sse::message{}.data("v1"), sse::message{}.data("v2"), sse::message{}.data("v3")};
            auto const& view = owned; // a container copied, where views are out of reach
#endif
            std::tie(ec) = co_await sse::async_write(s, sse::stream_response{req, view}, net::as_tuple(net::use_awaitable));
        } else if (t == "/serialized") {
            std::vector<sse::serialized> v{sse::serialized(sse::message{}.data("s1")), sse::serialized::from_wire("data: s2\n\n")};
            std::tie(ec) = co_await sse::async_write(s, sse::stream_response{req, std::move(v)}, net::as_tuple(net::use_awaitable));
        } else {
            std::tie(ec) = co_await sse::async_write(s, sse::stream_response{req, countdown_source{3}}, net::as_tuple(net::use_awaitable));
        }
        co_return !ec;
    }));
    client c(srv.port());
    auto fetch = [&](std::string_view target) {
        c.get(target);
        REQUIRE(c.read_until([](std::string const& r) { return has_last_chunk(r); }));
        std::vector<std::string> data;
        for (auto const& e : events_of(parse_response(c.take()).body))
            data.push_back(e.data);
        return data;
    };
    CHECK(fetch("/coro") == std::vector<std::string>{"message 1", "message 2", "message 3"});
    CHECK(o.producer_destroyed.wait());
    CHECK(fetch("/channel") == std::vector<std::string>{"ch 1", "ch 2", "ch 3"});
    CHECK(fetch("/view") == std::vector<std::string>{"v1", "v2", "v3"});
    CHECK(fetch("/serialized") == std::vector<std::string>{"s1", "s2"});
    CHECK(fetch("/user") == std::vector<std::string>{"3", "2", "1"});
}

TEST_CASE("stream_response: a peer that leaves ends an idle producer at once", "[stream_response]")
{
    bool const reset = GENERATE(false, true);
    INFO((reset ? "reset" : "close"));
    observed o;
    server srv(http_session([&](beast::tcp_stream& s, request& req) -> net::awaitable<bool> {
        auto [ec] = co_await sse::async_write(s, sse::stream_response{req, sleeper(s.get_executor(), o)}, net::as_tuple(net::use_awaitable));
        o.completed.set(ec);
        co_return false;
    }));
    client c(srv.port());
    c.get("/events");
    REQUIRE(c.read_until_contains("data: hello\n\n"));
    auto const left = std::chrono::steady_clock::now();
    if (reset)
        c.reset();
    else
        c.close();
    REQUIRE(o.producer_destroyed.wait());
    auto const ec = o.completed.wait();
    REQUIRE(ec);
    CHECK(*ec == sse::error::peer_gone);
    auto const delay = std::chrono::duration_cast<std::chrono::microseconds>(o.producer_destroyed.when() - left);
    // The producer's frame is gone before the handler runs.
    CHECK(o.producer_destroyed.when() <= o.completed.when());
    std::cout << "disconnect (" << (reset ? "RST" : "FIN") << ") to producer destroyed: " << delay.count() << " us\n";
}

TEST_CASE("stream_response: a peer that stops reading hits the send timeout", "[stream_response]")
{
    observed o;
    sse::stream_options options;
    options.send_timeout = std::chrono::milliseconds(300);
    options.max_queued_bytes = 256 * 1024;
    std::string const payload(4000, 'p');
    server srv(http_session([&](beast::tcp_stream& s, request& req) -> net::awaitable<bool> {
        auto [ec] = co_await sse::async_write(s, sse::stream_response{req, endless(s.get_executor(), payload, o), options}, net::as_tuple(net::use_awaitable));
        o.completed.set(ec);
        co_return false;
    }));
    client c(srv.port());
    // Keep the kernel's buffers small, so that the server's queue fills.
    c.socket().set_option(net::socket_base::receive_buffer_size(16 * 1024));
    c.get("/events", {}, "1.0");
    auto const ec = o.completed.wait();
    REQUIRE(ec);
    CHECK(*ec == sse::error::send_timeout);
    // Whatever reached the socket can now be read; what was produced but
    // never written stayed under the cap.
    REQUIRE(c.read_to_close());
    auto const body = c.received().size() - c.received().find("\r\n\r\n") - 4;
    auto const unwritten = o.produced_bytes.load() - body;
    std::cout << "send timeout: produced " << o.produced_bytes << " B, delivered " << body << " B, dropped "
              << unwritten << " B (cap " << options.max_queued_bytes << ")\n";
    CHECK(unwritten <= options.max_queued_bytes + payload.size() + 16);
}

TEST_CASE("stream_response: keep-alive comments on an idle stream only", "[stream_response]")
{
    observed o;
    sse::stream_options options;
    options.heartbeat = std::chrono::milliseconds(100);
    server srv(http_session([&](beast::tcp_stream& s, request& req) -> net::awaitable<bool> {
        auto ex = s.get_executor();
        if (req.target() == "/idle") {
            co_await sse::async_write(s, sse::stream_response{req, sleeper(ex, o), options}, net::as_tuple(net::use_awaitable));
            co_return false;
        }
        // Busy: a message every 20 ms for 600 ms.
        co_await sse::async_write(s, sse::stream_response{req, counted(ex, 30, o, std::chrono::milliseconds(20)), options}, net::as_tuple(net::use_awaitable));
        co_return false;
    }));
    SECTION("idle")
    {
        client c(srv.port());
        auto const start = std::chrono::steady_clock::now();
        c.get("/idle");
        REQUIRE(c.read_until([](std::string const& r) {
            std::size_t n = 0;
            for (std::size_t i = 0; (i = r.find("\r\n:\n\r\n", i)) != std::string::npos; ++i)
                ++n;
            return n >= 3;
        }));
        // Three intervals at least have passed: comments never come early.
        CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(300));
        auto const r = parse_response(c.received());
        CHECK(r.body.starts_with("data: hello\n\n:\n:\n:\n"));
    }
    SECTION("busy")
    {
        client c(srv.port());
        c.get("/busy");
        REQUIRE(c.read_until([](std::string const& r) { return has_last_chunk(r); }));
        auto const r = parse_response(c.received());
        CHECK(events_of(r.body).size() == 30);
        // A comment here is a bug, unless the process stalled between two
        // messages for half the interval (a loaded machine): the stream was
        // then idle in fact, and the comment was right.
        auto const longest_gap = std::chrono::microseconds(o.longest_gap_us.load());
        INFO("longest gap between two messages: " << longest_gap.count() << " us");
        if (longest_gap < options.heartbeat / 2)
            CHECK(r.body.find(":\n") == std::string::npos);
        else
            WARN("the process stalled for " << longest_gap.count() << " us: comments are allowed");
    }
}

TEST_CASE("stream_response: an initial retry and extra headers", "[stream_response]")
{
    server srv(http_session([&](beast::tcp_stream& s, request& req) -> net::awaitable<bool> {
        sse::stream_options options;
        options.retry = std::chrono::milliseconds(2500);
        options.no_accel_buffering = false;
        sse::stream_response res{req, std::vector{sse::message{}.data("x")}, options};
        res.header().set(http::field::access_control_allow_origin, "*");
        CHECK(res.last_event_id() == "41");
        co_await sse::async_write(s, res, net::use_awaitable);
        co_return true;
    }));
    client c(srv.port());
    c.get("/events", "Last-Event-ID: 41\r\n");
    REQUIRE(c.read_until([](std::string const& r) { return has_last_chunk(r); }));
    auto const r = parse_response(c.received());
    CHECK(r.get("access-control-allow-origin") == "*");
    CHECK(!r.has("x-accel-buffering"));
    CHECK(r.body == "retry: 2500\n\ndata: x\n\n");
}

TEST_CASE("stream_response: cancellation, graceful or at once", "[stream_response]")
{
    for (auto const type :
         {net::cancellation_type::partial, net::cancellation_type::total, net::cancellation_type::terminal}) {
        bool const graceful = type != net::cancellation_type::terminal;
        INFO("cancellation type " << int(type));
        observed o;
        net::cancellation_signal signal;
        server srv(http_session([&](beast::tcp_stream& s, request& req) -> net::awaitable<bool> {
            // The coroutine lets every type through to the operation.
            co_await net::this_coro::reset_cancellation_state(net::enable_total_cancellation());
            auto [ec] = co_await sse::async_write(
                s,
                sse::stream_response{req, sleeper(s.get_executor(), o)},
                net::bind_cancellation_slot(signal.slot(), net::as_tuple(net::use_awaitable))
            );
            o.completed.set(ec);
            co_return false;
        }));
        client c(srv.port());
        c.get("/events");
        REQUIRE(c.read_until_contains("data: hello\n\n"));
        net::post(srv.context(), [&] { signal.emit(type); });
        auto const ec = o.completed.wait();
        REQUIRE(ec);
        CHECK(*ec == net::error::operation_aborted);
        CHECK(o.producer_destroyed.wait());
        REQUIRE(c.read_to_close());
        // Partial and total end the stream with its last chunk; terminal at
        // once, with nothing more written (the connection then closes).
        CHECK(has_last_chunk(c.received()) == graceful);
        CHECK(parse_response(c.received()).complete == graceful);
    }
}

TEST_CASE("stream_response: bytes from the peer mid-stream end it", "[stream_response]")
{
    observed o;
    server srv(http_session([&](beast::tcp_stream& s, request& req) -> net::awaitable<bool> {
        auto [ec] = co_await sse::async_write(s, sse::stream_response{req, sleeper(s.get_executor(), o)}, net::as_tuple(net::use_awaitable));
        o.completed.set(ec);
        co_return false;
    }));
    client c(srv.port());
    c.get("/events");
    REQUIRE(c.read_until_contains("data: hello\n\n"));
    c.get("/pipelined");
    REQUIRE(c.read_until([](std::string const& r) { return has_last_chunk(r); }));
    CHECK(*o.completed.wait() == sse::error::unexpected_data);
    CHECK(o.producer_destroyed.wait());
}

TEST_CASE("stream_response: completion tokens", "[stream_response]")
{
    std::map<std::string, latch_value<std::string>> how;
    for (auto t : {"/callback", "/deferred", "/awaitable"})
        how[t];
    server srv([&](tcp::socket socket) -> net::awaitable<void> {
        auto owned = std::make_shared<beast::tcp_stream>(std::move(socket));
        auto& stream = *owned;
        beast::flat_buffer buffer;
        request req;
        co_await http::async_read(stream, buffer, req, net::use_awaitable);
        auto messages = [] { return std::vector{sse::message{}.data("t")}; };
        std::string const t(req.target());
        if (t == "/callback") {
            sse::async_write(stream, sse::stream_response{req, messages()}, [&, owned](sse::error_code ec) {
                how["/callback"].set(ec ? ec.message() : "callback");
            });
            co_return;
        }
        if (t == "/deferred") {
            auto op = sse::async_write(stream, sse::stream_response{req, messages()}, net::deferred);
            co_await std::move(op)(net::use_awaitable);
            how["/deferred"].set("deferred");
            co_return;
        }
        co_await sse::stream_response{req, messages()}.async_write(stream, net::use_awaitable);
        how["/awaitable"].set("awaitable");
    });
    for (std::string t : {"callback", "deferred", "awaitable"}) {
        client c(srv.port());
        c.get("/" + t);
        REQUIRE(c.read_until([](std::string const& r) { return has_last_chunk(r); }));
        auto const got = how["/" + t].wait();
        REQUIRE(got);
        CHECK(*got == t);
    }
}
