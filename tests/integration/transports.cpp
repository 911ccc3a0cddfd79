//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// stream_response over every kind of Beast stream (plain socket, tcp_stream,
// a rate-limited basic_stream, TLS), read by curl as a real client.

#include <sse/stream_response.hpp>

#include <sse/parser.hpp>
#include <sse/sources/coro.hpp>
#include <sse/sources/range.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/rate_policy.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include "catch.hpp"
#include "loopback.hpp"
#include "process.hpp"
#include "tls.hpp"

#include <iostream>
#include <vector>

using namespace sse::test;
namespace http = boost::beast::http;
namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;
namespace xp = boost::asio::experimental;

namespace {

using request = http::request<http::string_body>;

struct observed {
    latch_value<sse::error_code> completed;
    latch_value<bool> producer_destroyed;
};

xp::coro<sse::message> counted(net::any_io_executor ex, int n)
{
    net::steady_timer timer(ex);
    for (int i = 1; i <= n; ++i) {
        co_yield sse::message{}.id(i).event("count").data("message " + std::to_string(i) + "\nsecond line");
        timer.expires_after(std::chrono::milliseconds(5));
        co_await timer.async_wait(xp::use_coro);
    }
}

xp::coro<sse::message> sleeper(net::any_io_executor ex, observed& o)
{
    destroy_probe probe{&o.producer_destroyed};
    co_yield sse::message{}.data("hello");
    net::steady_timer timer(ex);
    timer.expires_after(std::chrono::hours(1));
    co_await timer.async_wait(xp::use_coro);
}

// Answers requests on any stream: /count streams five events, /sleep one
// event and then an idle producer.
template <class Stream>
net::awaitable<void> answer(Stream& stream, observed& o)
{
    beast::flat_buffer buffer;
    for (;;) {
        request req;
        auto [rec, rn] = co_await http::async_read(stream, buffer, req, net::as_tuple(net::use_awaitable));
        if (rec)
            co_return;
        auto ex = co_await net::this_coro::executor;
        sse::error_code ec;
        if (req.target() == "/sleep") {
            std::tie(ec) = co_await sse::async_write(stream, sse::stream_response{req, sleeper(ex, o)}, net::as_tuple(net::use_awaitable));
            o.completed.set(ec);
        } else {
            sse::stream_response res{req, counted(ex, 5)};
            std::tie(ec) = co_await sse::async_write(stream, res, net::as_tuple(net::use_awaitable));
            if (!ec && res.keep_alive())
                continue;
        }
        co_return;
    }
}

void check_five(std::string const& body)
{
    auto const events = sse::parse_events(body);
    REQUIRE(events.size() == 5);
    for (int i = 1; i <= 5; ++i) {
        CHECK(events[i - 1].type == "count");
        CHECK(events[i - 1].id == std::to_string(i));
        CHECK(events[i - 1].data == "message " + std::to_string(i) + "\nsecond line");
    }
}

std::string curl(std::string const& args)
{
    auto const r = run("curl -sS -N --max-time 20 " + args);
    INFO("curl " << args);
    CHECK(r.status == 0);
    return r.out;
}

} // namespace

TEST_CASE("transports: a plain tcp::socket", "[transports]")
{
    observed o;
    server srv([&](tcp::socket socket) -> net::awaitable<void> { co_await answer(socket, o); });
    client c(srv.port());
    c.get("/count");
    REQUIRE(c.read_until([](std::string const& r) { return has_last_chunk(r); }));
    check_five(parse_response(c.received()).body);
}

TEST_CASE("transports: a basic_stream with a rate limit", "[transports]")
{
    observed o;
    server srv([&](tcp::socket socket) -> net::awaitable<void> {
        beast::basic_stream<tcp, net::any_io_executor, beast::simple_rate_policy> stream(std::move(socket));
        stream.rate_policy().write_limit(64 * 1024);
        co_await answer(stream, o);
    });
    client c(srv.port());
    c.get("/count");
    REQUIRE(c.read_until([](std::string const& r) { return has_last_chunk(r); }));
    check_five(parse_response(c.received()).body);
}

TEST_CASE("transports: curl reads the stream", "[transports][curl]")
{
    observed o;
    server srv([&](tcp::socket socket) -> net::awaitable<void> {
        beast::tcp_stream stream(std::move(socket));
        co_await answer(stream, o);
    });
    auto const url = "http://127.0.0.1:" + std::to_string(srv.port());
    SECTION("HTTP/1.1")
    {
        check_five(curl(url + "/count"));
    }
    SECTION("HTTP/1.0")
    {
        check_five(curl("-0 " + url + "/count"));
    }
    SECTION("two streams on one connection")
    {
        auto const out = curl(url + "/count " + url + "/count");
        auto const events = sse::parse_events(out);
        CHECK(events.size() == 10);
    }
    SECTION("curl leaving ends the producer")
    {
        auto const r = run("curl -s -N --max-time 1 " + url + "/sleep");
        CHECK(r.status == 28); // curl's "operation timed out"
        CHECK(r.out == "data: hello\n\n");
        REQUIRE(o.producer_destroyed.wait());
        CHECK(*o.completed.wait() == sse::error::peer_gone);
    }
}

TEST_CASE("transports: TLS through net::ssl::stream", "[transports][tls]")
{
    observed o;
    auto const cert = make_self_signed_certificate();
    auto ctx = make_server_context(cert);
    server srv([&](tcp::socket socket) -> net::awaitable<void> {
        ssl::stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), ctx);
        auto [hec] = co_await stream.async_handshake(ssl::stream_base::server, net::as_tuple(net::use_awaitable));
        if (hec)
            co_return;
        co_await answer(stream, o);
        co_await stream.async_shutdown(net::as_tuple(net::use_awaitable));
    });
    auto const url = "https://127.0.0.1:" + std::to_string(srv.port());
    SECTION("curl reads the stream")
    {
        check_five(curl("-k --http1.1 " + url + "/count"));
    }
    SECTION("two streams on one TLS connection")
    {
        CHECK(sse::parse_events(curl("-k --http1.1 " + url + "/count " + url + "/count")).size() == 10);
    }
    SECTION("curl leaving ends the producer")
    {
        auto const r = run("curl -sk --http1.1 -N --max-time 1 " + url + "/sleep");
        CHECK(r.status == 28);
        CHECK(r.out == "data: hello\n\n");
        REQUIRE(o.producer_destroyed.wait());
        CHECK(*o.completed.wait() == sse::error::peer_gone);
    }
}
