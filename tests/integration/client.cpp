//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// sse::client against an sse::server in the same process, over loopback
// sockets, HTTP/1.1 and HTTP/2 (h2c): reconnection with Last-Event-ID after
// the stream's retry, back-pressure (a client that stops pulling stops the
// producer), per-operation cancellation that loses nothing, close() and
// destruction with a wait pending, a one-shot POST stream.

// Test that header file is self-contained.
#include <sse/client.hpp>

#include <sse/server.hpp>
#include <sse/sources/coro.hpp>
#include <sse/sources/range.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "catch.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace net = boost::asio;
namespace http = boost::beast::http;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

// Numbered events as fast as the connection takes them; counts what it made.
net::experimental::coro<sse::message> numbers(net::any_io_executor, std::atomic<std::uint64_t>& made)
{
    std::string const pad(1000, 'x');
    for (std::uint64_t i = 1;; ++i) {
        made = i;
        co_yield sse::message{}.id(std::to_string(i)).data(pad);
    }
}

// Numbered events, one every 5 ms.
net::experimental::coro<sse::message> slowly(net::any_io_executor ex)
{
    net::steady_timer timer(ex);
    for (std::uint64_t i = 1;; ++i) {
        co_yield sse::message{}.id(std::to_string(i)).data("tick");
        timer.expires_after(5ms);
        co_await timer.async_wait(net::experimental::use_coro);
    }
}

// A server on a free port and a client of it, on one thread.
struct fixture {
    net::io_context ioc;
    std::atomic<std::uint64_t> made{0};
    int connections = 0;
    std::string last_event_id_seen;
    std::string body_seen;
    using handler_type = std::function<sse::response(sse::request&&, net::any_io_executor const&)>;
    std::optional<sse::server<handler_type>> server_;

    fixture()
    {
        server_.emplace(ioc, net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), 0),
                        handler_type([this](sse::request&& req, net::any_io_executor const& ex) -> sse::response {
                            return handle(std::move(req), ex);
                        }));
        server_->start();
    }

    sse::response handle(sse::request&& req, net::any_io_executor const& ex)
    {
        if (req.target() == "/twice") {
            // First connection: retry 50 ms, two events, the end. Later
            // ones: the Last-Event-ID they sent, as an event.
            ++connections;
            if (connections == 1) {
                std::vector<sse::message> v;
                v.push_back(sse::message{}.retry(50ms).id("1").data("a"));
                v.push_back(sse::message{}.id("2").data("b"));
                return sse::stream_response{req, std::move(v)};
            }
            last_event_id_seen = std::string(req["Last-Event-ID"]);
            std::vector<sse::message> v;
            v.push_back(sse::message{}.data("again:" + last_event_id_seen));
            return sse::stream_response{req, std::move(v)};
        }
        if (req.target() == "/flood")
            return sse::stream_response{req, numbers(ex, made)};
        if (req.target() == "/slow")
            return sse::stream_response{req, slowly(ex)};
        if (req.target() == "/llm") {
            body_seen = req.body();
            std::vector<sse::message> v;
            v.push_back(sse::message{}.data(R"({"token":"Hel"})"));
            v.push_back(sse::message{}.data(R"({"token":"lo"})"));
            v.push_back(sse::message{}.data("[DONE]"));
            return sse::stream_response{req, std::move(v)};
        }
        return sse::make_response(req, http::status::not_found, "no\n");
    }

    std::string url(std::string_view path) const
    {
        return "http://127.0.0.1:" + std::to_string(server_->local_endpoint().port()) + std::string(path);
    }

    // Runs `body` as a coroutine, then stops the server; fails the test
    // if it takes over 20 s.
    void run(std::function<net::awaitable<void>()> body)
    {
        bool done = false;
        net::co_spawn(ioc, [&]() -> net::awaitable<void> {
            co_await body();
            done = true;
            server_->stop();
        }, [](std::exception_ptr e) {
            if (e)
                std::rethrow_exception(e);
        });
        ioc.run_for(20s);
        REQUIRE(done);
    }
};

sse::client_options options(bool h2)
{
    sse::client_options o;
    o.http2 = h2;
    o.jitter = 0;
    return o;
}

} // namespace

TEST_CASE("client: a stream, its end, then the reconnection after retry with Last-Event-ID", "[client]")
{
    for (bool const h2 : {false, true}) {
        CAPTURE(h2);
        fixture f;
        f.run([&]() -> net::awaitable<void> {
            sse::client_request r;
            r.url = f.url("/twice");
            auto o = options(h2);
            unsigned version = 0;
            o.on_response = [&](http::response_header<> const& h) { version = h.version(); };
            sse::client c(f.ioc.get_executor(), r, o);
            auto [e1, a] = co_await c.async_next(net::as_tuple(net::use_awaitable));
            auto [e2, b] = co_await c.async_next(net::as_tuple(net::use_awaitable));
            auto const ended = clock_type::now();
            auto [e3, again] = co_await c.async_next(net::as_tuple(net::use_awaitable));
            auto const waited = clock_type::now() - ended;
            CHECK(!e1);
            CHECK(a == sse::event("message", "a", "1"));
            CHECK(!e2);
            CHECK(b == sse::event("message", "b", "2"));
            CHECK(!e3);
            // The id persists across connections: the event has none of its own.
            CHECK(again == sse::event("message", "again:2", "2"));
            CHECK(waited >= 50ms); // the stream's retry, not the default 3 s
            CHECK(waited < 2s);
            CHECK(c.reconnection_time() == 50ms);
            CHECK(c.last_event_id() == "2");
            CHECK(version == (h2 ? 20u : 11u)); // the protocol asked for
        });
        CHECK(f.last_event_id_seen == "2");
        CHECK(f.connections == 2);
    }
}

TEST_CASE("client: a client that stops pulling stops the producer, and loses nothing", "[client]")
{
    for (bool const h2 : {false, true}) {
        CAPTURE(h2);
        fixture f;
        f.run([&]() -> net::awaitable<void> {
            sse::client_request r;
            r.url = f.url("/flood");
            sse::client c(f.ioc.get_executor(), r, options(h2));
            std::uint64_t expect = 1;
            for (int i = 0; i < 100; ++i) {
                auto [ec, ev] = co_await c.async_next(net::as_tuple(net::use_awaitable));
                REQUIRE(!ec);
                REQUIRE(ev.id == std::to_string(expect++));
            }
            // Stop pulling: what the producer makes is bounded by the
            // socket buffers, the stream's queue and the HTTP/2 window.
            // It stops once the buffers are full: no event made in 300 ms
            // (checked every 100 ms, for at most 10 s: sanitizers are slow).
            net::steady_timer t(f.ioc);
            std::uint64_t paused = f.made.load();
            int quiet = 0;
            for (int i = 0; i < 100 && quiet < 3; ++i) {
                t.expires_after(100ms);
                co_await t.async_wait(net::use_awaitable);
                auto const now = f.made.load();
                quiet = now == paused ? quiet + 1 : 0;
                paused = now;
            }
            CHECK(quiet == 3);           // it stopped
            CHECK(paused < 100 + 20000); // 20 MB: far under what 10 s would make unchecked
            // Pulling again resumes it, and nothing was lost.
            while (f.made.load() <= paused + 100 && expect < paused + 100000) {
                auto [ec, ev] = co_await c.async_next(net::as_tuple(net::use_awaitable));
                REQUIRE(!ec);
                REQUIRE(ev.id == std::to_string(expect++));
            }
            CHECK(f.made.load() > paused + 100);
        });
    }
}

TEST_CASE("client: cancelling a wait keeps the connection and loses no event", "[client]")
{
    for (bool const h2 : {false, true}) {
        CAPTURE(h2);
        fixture f;
        f.run([&]() -> net::awaitable<void> {
            sse::client_request r;
            r.url = f.url("/slow");
            sse::client c(f.ioc.get_executor(), r, options(h2));
            std::uint64_t expect = 1;
            int cancelled = 0;
            for (int round = 0; round < 30; ++round) {
                // A wait cancelled at once: it ends with operation_aborted,
                // or, when an event was ready, with that event. Either way
                // the next wait goes on from there.
                net::cancellation_signal cancel;
                std::optional<sse::event> got;
                bool aborted = false;
                c.async_next(net::bind_cancellation_slot(cancel.slot(), [&](sse::error_code ec, sse::event ev) {
                    aborted = ec == net::error::operation_aborted;
                    if (!ec)
                        got = std::move(ev);
                }));
                cancel.emit(net::cancellation_type::terminal);
                auto [ec, ev] = co_await c.async_next(net::as_tuple(net::use_awaitable));
                REQUIRE(!ec);
                if (got) {
                    REQUIRE(got->id == std::to_string(expect++));
                } else {
                    CHECK(aborted);
                    ++cancelled;
                }
                REQUIRE(ev.id == std::to_string(expect++));
            }
            CHECK(cancelled > 0);
            CHECK(f.server_->connection_count() == 1);
        });
    }
}

TEST_CASE("client: try_next drains what is ready without waiting", "[client]")
{
    fixture f;
    f.run([&]() -> net::awaitable<void> {
        sse::client_request r;
        r.url = f.url("/flood");
        sse::client c(f.ioc.get_executor(), r);
        std::uint64_t expect = 1;
        std::uint64_t drained = 0;
        while (expect <= 5000) {
            sse::error_code ec;
            while (auto ev = c.try_next(ec)) {
                REQUIRE(ev->id == std::to_string(expect++));
                ++drained;
            }
            REQUIRE(!ec);
            auto [ec2, ev] = co_await c.async_next(net::as_tuple(net::use_awaitable));
            REQUIRE(!ec2);
            REQUIRE(ev.id == std::to_string(expect++));
        }
        CHECK(drained > 2500); // most events came without a wait
        c.close();
        sse::error_code ec;
        CHECK(!c.try_next(ec));
        auto [ec3, ev3] = co_await c.async_next(net::as_tuple(net::use_awaitable));
        CHECK(ec3 == net::error::operation_aborted);
    });
}

TEST_CASE("client: close() ends a pending wait and every later one; destruction mid-stream", "[client]")
{
    fixture f;
    f.run([&]() -> net::awaitable<void> {
        sse::client_request r;
        r.url = f.url("/flood");
        {
            sse::client c(f.ioc.get_executor(), r);
            auto [e1, ev] = co_await c.async_next(net::as_tuple(net::use_awaitable));
            CHECK(!e1);
            c.close();
            auto [e2, ev2] = co_await c.async_next(net::as_tuple(net::use_awaitable));
            CHECK(e2 == net::error::operation_aborted);
            auto [e3, ev3] = co_await c.async_next(net::as_tuple(net::use_awaitable));
            CHECK(e3 == net::error::operation_aborted);
        }
        {
            // Destroyed while connected and reading.
            sse::client c(f.ioc.get_executor(), r);
            auto [e1, ev] = co_await c.async_next(net::as_tuple(net::use_awaitable));
            CHECK(!e1);
        }
        net::steady_timer t(f.ioc);
        t.expires_after(100ms);
        co_await t.async_wait(net::use_awaitable);
    });
    // Everything ended: run() returned with no work left.
    CHECK(f.ioc.stopped());
}

TEST_CASE("client: a one-shot POST stream, as LLM APIs send", "[client]")
{
    for (bool const h2 : {false, true}) {
        CAPTURE(h2);
        fixture f;
        f.run([&]() -> net::awaitable<void> {
            sse::client_request r;
            r.url = f.url("/llm");
            r.method = http::verb::post;
            r.headers.set(http::field::content_type, "application/json");
            r.body = R"({"prompt":"hi"})";
            auto o = options(h2);
            o.one_shot = true;
            sse::client c(f.ioc.get_executor(), r, o);
            std::string text;
            for (;;) {
                auto [ec, ev] = co_await c.async_next(net::as_tuple(net::use_awaitable));
                if (ec) {
                    CHECK(ec == sse::error::end_of_stream);
                    break;
                }
                text += ev.data + "|";
            }
            CHECK(text == R"({"token":"Hel"}|{"token":"lo"}|[DONE]|)");
        });
        CHECK(f.body_seen == R"({"prompt":"hi"})");
    }
}

TEST_CASE("client: refusals for good, with the status and the body", "[client]")
{
    for (bool const h2 : {false, true}) {
        CAPTURE(h2);
        fixture f;
        f.run([&]() -> net::awaitable<void> {
            sse::client_request r;
            r.url = f.url("/missing");
            sse::client c(f.ioc.get_executor(), r, options(h2));
            auto [ec, ev] = co_await c.async_next(net::as_tuple(net::use_awaitable));
            CHECK(ec == sse::error::refused);
            CHECK(c.failure().status == 404);
            CHECK(c.failure().body == "no\n");
            auto [ec2, ev2] = co_await c.async_next(net::as_tuple(net::use_awaitable));
            CHECK(ec2 == sse::error::refused); // and again
        });
    }
}
