//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Test that header file is self-contained.
#include <sse/http1.hpp>

#include <sse/parser.hpp>
#include <sse/response.hpp>
#include <sse/sources/coro.hpp>
#include <sse/sources/range.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/vector_body.hpp>

#include "catch.hpp"
#include "loopback.hpp"

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace sse::test;
namespace http = boost::beast::http;
namespace beast = boost::beast;
namespace xp = boost::asio::experimental;

namespace {

using request = sse::http1::request;

// Runs every accepted connection through async_serve on a plain socket,
// recording how it completed.
template <class Handler>
server::session serve(Handler handler, sse::server_options options, latch_value<sse::error_code>& done)
{
    return [handler, options, &done](tcp::socket socket) -> net::awaitable<void> {
        beast::flat_buffer buffer;
        auto [ec] = co_await sse::http1::async_serve(socket, buffer, handler, options, net::as_tuple(net::use_awaitable));
        done.set(ec);
    };
}

std::vector<sse::message> two_messages(std::string const& tag)
{
    return {sse::message{}.id(1).data(tag + " one"), sse::message{}.id(2).data(tag + " two")};
}

// Yields once, then sleeps for an hour.
xp::coro<sse::message> sleeper(net::any_io_executor ex, latch_value<bool>* destroyed)
{
    destroy_probe probe{destroyed};
    co_yield sse::message{}.data("hello");
    net::steady_timer timer(ex);
    timer.expires_after(std::chrono::hours(1));
    co_await timer.async_wait(xp::use_coro);
    co_yield sse::message{}.data("never");
}

// One response's worth of what a client received: through the end of the
// head plus Content-Length bytes, or through the last chunk.
bool has_response(std::string const& r)
{
    auto const head_end = r.find("\r\n\r\n");
    if (head_end == std::string::npos)
        return false;
    auto const head = r.substr(0, head_end + 2);
    auto const cl = head.find("Content-Length: ");
    if (cl != std::string::npos) {
        auto const n = std::stoul(head.substr(cl + 16));
        return r.size() >= head_end + 4 + n;
    }
    return has_last_chunk(r);
}

// The router most tests use: plain routes and stream routes from one
// handler returning sse::response.
sse::response route(request&& req)
{
    if (req.target() == "/plain")
        return sse::make_response(req, http::status::ok, "hello\n");
    if (req.target() == "/events")
        return sse::stream_response{req, two_messages("events")};
    if (req.target() == "/echo")
        return sse::make_response(req, http::status::ok, req.body());
    return sse::make_response(req, http::status::not_found, "not found\n");
}

} // namespace

TEST_CASE("http1::async_serve: plain and stream routes on one keep-alive connection", "[http1]")
{
    latch_value<sse::error_code> done;
    server srv(serve(route, {}, done));
    client c(srv.port());

    c.get("/plain");
    REQUIRE(c.read_until(has_response));
    auto r = parse_response(c.take());
    CHECK(r.status_line == "HTTP/1.1 200 OK");
    CHECK(r.get("content-type") == "text/plain");
    CHECK(r.get("content-length") == "6");
    CHECK(r.body == "hello\n");

    c.get("/events");
    REQUIRE(c.read_until(has_last_chunk));
    r = parse_response(c.take());
    CHECK(r.status_line == "HTTP/1.1 200 OK");
    CHECK(r.get("content-type") == "text/event-stream");
    CHECK(r.complete);
    CHECK(r.body == "id: 1\ndata: events one\n\nid: 2\ndata: events two\n\n");

    c.get("/nowhere");
    REQUIRE(c.read_until(has_response));
    r = parse_response(c.take());
    CHECK(r.status_line == "HTTP/1.1 404 Not Found");
    CHECK(r.body == "not found\n");

    c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab");
    c.send("cde");
    REQUIRE(c.read_until(has_response));
    CHECK(parse_response(c.take()).body == "abcde");

    c.get("/plain", "Connection: close\r\n");
    REQUIRE(c.read_to_close());
    r = parse_response(c.take());
    CHECK(r.get("connection") == "close");
    CHECK(r.body == "hello\n");
    auto const ec = done.wait();
    REQUIRE(ec);
    CHECK(!*ec);
}

TEST_CASE("http1::async_serve: pipelined requests, and bytes already read", "[http1]")
{
    SECTION("pipelined")
    {
        latch_value<sse::error_code> done;
        server srv(serve(route, {}, done));
        client c(srv.port());
        c.send("GET /plain HTTP/1.1\r\nHost: x\r\n\r\nGET /events HTTP/1.1\r\nHost: x\r\n\r\n"
               "GET /plain HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        REQUIRE(c.read_to_close());
        std::string const all = c.received();
        CHECK(all.find("hello\n") != std::string::npos);
        CHECK(all.find("data: events two\n\n") != std::string::npos);
        CHECK(all.rfind("hello\n") > all.find("data: events two"));
        REQUIRE(done.wait());
        CHECK(!*done.wait());
    }

    SECTION("the caller read the first bytes")
    {
        latch_value<sse::error_code> done;
        server srv([&](tcp::socket socket) -> net::awaitable<void> {
            beast::flat_buffer buffer;
            // As a server that looks for the HTTP/2 preface would.
            auto n = co_await net::async_read(socket, buffer.prepare(4), net::use_awaitable);
            buffer.commit(n);
            auto [ec] = co_await sse::http1::async_serve(socket, buffer, route, net::as_tuple(net::use_awaitable));
            done.set(ec);
        });
        client c(srv.port());
        c.get("/plain", "Connection: close\r\n");
        REQUIRE(c.read_to_close());
        CHECK(parse_response(c.received()).body == "hello\n");
        CHECK(!*done.wait());
    }
}

TEST_CASE("http1::async_serve: handlers returning each kind", "[http1]")
{
    latch_value<sse::error_code> done;

    SECTION("a typed stream_response, not erased")
    {
        server srv(serve(
            [](request&& req) {
                auto res = sse::stream_response{req, two_messages("typed")};
                static_assert(std::is_same_v<decltype(res)::source_type, sse::range_source<std::vector<sse::message>>>);
                return res;
            },
            {},
            done
        ));
        client c(srv.port());
        c.get("/");
        REQUIRE(c.read_until(has_last_chunk));
        CHECK(parse_response(c.take()).body == "id: 1\ndata: typed one\n\nid: 2\ndata: typed two\n\n");
        c.get("/", "Connection: close\r\n");
        REQUIRE(c.read_to_close());
        auto const r = parse_response(c.received());
        CHECK(r.get("connection") == "close");
        CHECK(r.complete);
        CHECK(!*done.wait());
    }

    SECTION("a beast response with another body")
    {
        server srv(serve(
            [](request&& req) {
                http::response<http::vector_body<char>> res{http::status::ok, req.version()};
                res.body() = {'a', 'b', 'c'};
                res.prepare_payload();
                return res;
            },
            {},
            done
        ));
        client c(srv.port());
        c.get("/", "Connection: close\r\n");
        REQUIRE(c.read_to_close());
        auto const r = parse_response(c.received());
        CHECK(r.body == "abc");
        CHECK(r.get("connection") == "close"); // the request asked to close
        CHECK(!*done.wait());
    }

    SECTION("sse::response converted from every kind")
    {
        server srv(serve(
            [](request&& req) -> sse::response {
                if (req.target() == "/empty") {
                    http::response<http::empty_body> res{http::status::no_content, req.version()};
                    res.set("X-Kind", "empty");
                    return res;
                }
                if (req.target() == "/vector") {
                    http::response<http::vector_body<char>> res{http::status::ok, req.version()};
                    res.body() = {'x', 'y'};
                    res.prepare_payload();
                    return res;
                }
                sse::response res = sse::stream_response{req, two_messages("erased")};
                CHECK(res.is_stream());
                res.header().set("X-Kind", "stream");
                return res;
            },
            {},
            done
        ));
        client c(srv.port());
        c.get("/empty");
        REQUIRE(c.read_until_contains("\r\n\r\n"));
        auto r = parse_response(c.take());
        CHECK(r.status_line == "HTTP/1.1 204 No Content");
        CHECK(r.get("x-kind") == "empty");
        c.get("/vector");
        REQUIRE(c.read_until(has_response));
        CHECK(parse_response(c.take()).body == "xy");
        c.get("/stream");
        REQUIRE(c.read_until(has_last_chunk));
        r = parse_response(c.take());
        CHECK(r.get("x-kind") == "stream");
        CHECK(r.body == "id: 1\ndata: erased one\n\nid: 2\ndata: erased two\n\n");
    }
}

TEST_CASE("http1::async_serve: HTTP/1.0 stream ends at close", "[http1]")
{
    latch_value<sse::error_code> done;
    server srv(serve(route, {}, done));
    client c(srv.port());
    c.get("/events", {}, "1.0");
    REQUIRE(c.read_to_close());
    CHECK(c.received().starts_with("HTTP/1.0 200 OK\r\n"));
    CHECK(c.received().ends_with("\r\n\r\nid: 1\ndata: events one\n\nid: 2\ndata: events two\n\n"));
    REQUIRE(done.wait());
    CHECK(!*done.wait());
}

TEST_CASE("http1::async_serve: requests refused", "[http1]")
{
    latch_value<sse::error_code> done;
    sse::server_options options;
    options.max_header_size = 1024;
    options.max_body_size = 100;
    server srv(serve(route, options, done));
    client c(srv.port());

    SECTION("a malformed request line: 400")
    {
        c.send("GET /plain HTTP/x.y\r\nHost: x\r\n\r\n");
        REQUIRE(c.read_to_close());
        auto const r = parse_response(c.received());
        CHECK(r.status_line == "HTTP/1.1 400 Bad Request");
        CHECK(r.get("connection") == "close");
        REQUIRE(done.wait());
        CHECK(done.wait()->category() == http::make_error_code(http::error::bad_version).category());
    }

    SECTION("garbage after a good request: the good one is answered, then 400")
    {
        c.send("GET /plain HTTP/1.1\r\nHost: x\r\n\r\n\x01\x02 nonsense\r\n\r\n");
        REQUIRE(c.read_to_close());
        std::string const all = c.received();
        CHECK(all.starts_with("HTTP/1.1 200 OK"));
        CHECK(all.find("HTTP/1.1 400 Bad Request") != std::string::npos);
        REQUIRE(done.wait());
        CHECK(*done.wait());
    }

    SECTION("an oversized header: 431")
    {
        c.get("/plain", "X-Big: " + std::string(4000, 'a') + "\r\n");
        REQUIRE(c.read_to_close());
        auto const r = parse_response(c.received());
        CHECK(r.status_line == "HTTP/1.1 431 Request Header Fields Too Large");
        CHECK(r.get("connection") == "close");
        CHECK(*done.wait() == http::error::header_limit);
    }

    SECTION("an oversized body: 413 and close")
    {
        c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'b'));
        REQUIRE(c.read_to_close());
        auto const r = parse_response(c.received());
        CHECK(r.status_line == "HTTP/1.1 413 Payload Too Large");
        CHECK(r.get("connection") == "close");
        CHECK(*done.wait() == http::error::body_limit);
    }

    SECTION("an oversized chunked body: 413 and close")
    {
        c.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int i = 0; i < 5; ++i)
            c.send("20\r\n" + std::string(32, 'c') + "\r\n");
        REQUIRE(c.read_to_close());
        CHECK(parse_response(c.received()).status_line == "HTTP/1.1 413 Payload Too Large");
        CHECK(*done.wait() == http::error::body_limit);
    }
}

TEST_CASE("http1::async_serve: timeouts", "[http1]")
{
    latch_value<sse::error_code> done;
    sse::server_options options;

    SECTION("idle: a silent connection is closed")
    {
        options.idle_timeout = std::chrono::milliseconds(200);
        server srv(serve(route, options, done));
        client c(srv.port());
        auto const start = std::chrono::steady_clock::now();
        REQUIRE(c.read_to_close());
        CHECK(c.received().empty());
        CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(150));
        CHECK(*done.wait() == beast::error::timeout);
    }

    SECTION("idle: between requests")
    {
        options.idle_timeout = std::chrono::milliseconds(200);
        server srv(serve(route, options, done));
        client c(srv.port());
        c.get("/plain");
        REQUIRE(c.read_until(has_response));
        c.take();
        REQUIRE(c.read_to_close());
        CHECK(c.received().empty());
        CHECK(*done.wait() == beast::error::timeout);
    }

    SECTION("request: a request that never completes")
    {
        options.request_timeout = std::chrono::milliseconds(200);
        server srv(serve(route, options, done));
        client c(srv.port());
        c.send("GET /plain HTTP/1.1\r\nHost: x\r\n");
        REQUIRE(c.read_to_close());
        CHECK(*done.wait() == beast::error::timeout);
    }

    SECTION("none while a stream is open")
    {
        options.idle_timeout = std::chrono::milliseconds(100);
        options.request_timeout = std::chrono::milliseconds(100);
        std::atomic<net::io_context*> ctx{nullptr};
        latch_value<bool> destroyed;
        server srv(serve(
            [&](request&& req) {
                return sse::stream_response{req, sleeper(ctx.load()->get_executor(), &destroyed)};
            },
            options,
            done
        ));
        ctx = &srv.context();
        client c(srv.port());
        c.get("/events");
        REQUIRE(c.read_until_contains("data: hello\n\n"));
        // Several idle timeouts pass with the stream open and quiet.
        CHECK(!c.read_until_contains("never", std::chrono::milliseconds(500)));
        CHECK(!c.closed());
        CHECK(!done.is_set());
    }
}

TEST_CASE("http1::async_serve: a plain response the peer does not read hits write_timeout", "[http1]")
{
    latch_value<sse::error_code> done;
    sse::server_options options;
    options.write_timeout = std::chrono::milliseconds(300);
    server srv(serve(
        [](request&& req) { return sse::make_response(req, http::status::ok, std::string(64 * 1024 * 1024, 'z')); },
        options,
        done
    ));
    client c(srv.port());
    c.get("/big");
    auto const ec = done.wait();
    REQUIRE(ec);
    CHECK(*ec == beast::error::timeout);
}

TEST_CASE("http1::async_serve: a peer leaving mid-stream destroys the producer", "[http1]")
{
    latch_value<sse::error_code> done;
    std::atomic<net::io_context*> ctx{nullptr};
    latch_value<bool> destroyed;
    server srv(serve(
        [&](request&& req) -> sse::response {
            return sse::stream_response{req, sleeper(ctx.load()->get_executor(), &destroyed)};
        },
        {},
        done
    ));
    ctx = &srv.context();
    client c(srv.port());
    c.get("/events");
    REQUIRE(c.read_until_contains("data: hello\n\n"));
    c.close();
    REQUIRE(destroyed.wait());
    auto const ec = done.wait();
    REQUIRE(ec);
    CHECK(*ec == sse::error::peer_gone);
    CHECK(destroyed.when() <= done.when());
}

TEST_CASE("http1::async_serve: cancellation", "[http1]")
{
    latch_value<sse::error_code> done;
    std::atomic<net::io_context*> ctx{nullptr};
    latch_value<bool> destroyed;
    std::optional<client> c;

    SECTION("an open stream ends with its last chunk")
    {
        {
            server srv(serve(
                [&](request&& req) {
                    return sse::stream_response{req, sleeper(ctx.load()->get_executor(), &destroyed)};
                },
                {},
                done
            ));
            ctx = &srv.context();
            c.emplace(srv.port());
            c->get("/events");
            REQUIRE(c->read_until_contains("data: hello\n\n"));
        } // the server cancels its sessions and waits for them
        REQUIRE(c->read_to_close());
        CHECK(has_last_chunk(c->received()));
        CHECK(parse_response(c->received()).complete);
        CHECK(destroyed.is_set());
        REQUIRE(done.is_set());
        CHECK(*done.wait() == net::error::operation_aborted);
    }

    SECTION("a session waiting for a request stops")
    {
        {
            server srv(serve(route, {}, done));
            c.emplace(srv.port());
            c->get("/plain");
            REQUIRE(c->read_until(has_response));
        }
        REQUIRE(c->read_to_close());
        REQUIRE(done.is_set());
        CHECK(*done.wait() == net::error::operation_aborted);
    }
}

// A server-side stream and its peer, connected over loopback.
struct connected {
    net::io_context ioc;
    tcp::socket peer{ioc};
    beast::tcp_stream stream{accept(ioc, peer)};
    beast::flat_buffer buffer;

    static tcp::socket accept(net::io_context& ioc, tcp::socket& peer)
    {
        tcp::acceptor acceptor(ioc, {net::ip::make_address("127.0.0.1"), 0});
        peer.connect(acceptor.local_endpoint());
        return acceptor.accept();
    }
};

// Everything the peer is sent until the server closes the connection.
std::string read_to_close(tcp::socket& peer)
{
    std::string all;
    sse::error_code ec;
    char buf[4096];
    for (;;) {
        std::size_t const n = peer.read_some(net::buffer(buf), ec);
        if (ec)
            return all;
        all.append(buf, n);
    }
}

TEST_CASE("http1::async_serve: a handler that throws", "[http1]")
{
    connected c;
    auto& ioc = c.ioc;
    auto& peer = c.peer;
    auto& stream = c.stream;
    auto& buffer = c.buffer;
    std::vector<std::string> reported;
    sse::server_options options;
    options.on_handler_exception = [&](std::exception_ptr e) {
        try {
            std::rethrow_exception(e);
        } catch (std::exception const& ex) {
            reported.push_back(ex.what());
        }
    };
    std::optional<sse::error_code> result;
    sse::http1::async_serve(
        stream,
        buffer,
        [](request&& req) -> sse::response {
            if (req.target() == "/throw")
                throw std::runtime_error("handler failed");
            return sse::make_response(req, beast::http::status::ok, "fine\n");
        },
        options,
        [&](sse::error_code ec) { result = ec; }
    );
    // Both requests at once: the second is answered on the same connection.
    net::write(peer, net::buffer(std::string_view("GET /throw HTTP/1.1\r\nHost: x\r\n\r\n"
                                                  "GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")));
    std::string answers;
    std::thread reader([&] { answers = read_to_close(peer); });
    ioc.run(); // nothing escapes it
    reader.join();
    CHECK(answers.starts_with("HTTP/1.1 500 Internal Server Error\r\n"));
    auto const second = answers.find("HTTP/1.1 200 OK\r\n");
    CHECK(second != std::string::npos);
    CHECK(answers.ends_with("fine\n"));
    CHECK(answers.find("Connection: close") > second); // the 500 kept the connection
    CHECK(reported == std::vector<std::string>{"handler failed"});
    REQUIRE(result);
    CHECK(!*result);
}

// An awaitable handler: it waits, then answers; its request lives as long
// as it runs, even taken by reference.
net::awaitable<sse::response> slow_route(request&& req)
{
    net::steady_timer timer(co_await net::this_coro::executor, std::chrono::milliseconds(20));
    co_await timer.async_wait(net::use_awaitable);
    if (req.target() == "/throw")
        throw std::runtime_error("awaitable failed");
    if (req.target() == "/stream")
        co_return sse::stream_response{req, two_messages("late")};
    co_return sse::make_response(req, beast::http::status::ok, "waited for " + std::string(req.target()) + "\n");
}

TEST_CASE("http1::async_serve: an awaitable handler", "[http1]")
{
    connected c;
    auto& ioc = c.ioc;
    auto& peer = c.peer;
    auto& stream = c.stream;
    auto& buffer = c.buffer;
    int exceptions = 0;
    sse::server_options options;
    options.on_handler_exception = [&](std::exception_ptr) { ++exceptions; };
    std::optional<sse::error_code> result;
    sse::http1::async_serve(stream, buffer, &slow_route, options, [&](sse::error_code ec) { result = ec; });
    net::write(
        peer,
        net::buffer(std::string_view("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                                     "GET /throw HTTP/1.1\r\nHost: x\r\n\r\n"
                                     "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"
                                     "GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
    );
    std::string answers;
    std::thread reader([&] { answers = read_to_close(peer); });
    ioc.run();
    reader.join();
    // In order, on one connection.
    auto const a = answers.find("waited for /a\n");
    auto const failed = answers.find("HTTP/1.1 500");
    // (A stream with a request pipelined behind it ends at once, cleanly:
    // its header is there, its events may not be.)
    auto const streamed = answers.find("Content-Type: text/event-stream\r\n");
    auto const b = answers.find("waited for /b\n");
    CHECK(a != std::string::npos);
    CHECK(failed > a);
    CHECK(streamed > failed);
    CHECK(b > streamed);
    CHECK(b != std::string::npos);
    CHECK(exceptions == 1);
    REQUIRE(result);
    CHECK(!*result);
}

TEST_CASE("http1::async_serve: an awaitable handler is cancelled when the session is", "[http1]")
{
    connected c;
    auto& ioc = c.ioc;
    auto& peer = c.peer;
    auto& stream = c.stream;
    auto& buffer = c.buffer;
    auto const alive = std::make_shared<int>(0);
    std::optional<sse::error_code> result;
    net::cancellation_signal stop;
    sse::http1::async_serve(
        stream,
        buffer,
        [alive](request&&) -> net::awaitable<sse::response> {
            auto const keep = alive; // in the coroutine's frame
            net::steady_timer forever(co_await net::this_coro::executor, net::steady_timer::time_point::max());
            co_await forever.async_wait(net::use_awaitable); // throws when cancelled
            co_return sse::make_response(sse::request{}, beast::http::status::ok, "unreachable\n");
        },
        net::bind_cancellation_slot(stop.slot(), [&](sse::error_code ec) { result = ec; })
    );
    net::write(peer, net::buffer(std::string_view("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
    net::steady_timer later(ioc, std::chrono::milliseconds(50));
    later.async_wait([&](sse::error_code) {
        CHECK(alive.use_count() == 3); // the op's handler, and the running coroutine
        stop.emit(net::cancellation_type::partial); // waits for the answer...
        net::post(ioc, [&] { stop.emit(net::cancellation_type::terminal); }); // ...until told not to
    });
    ioc.run();
    REQUIRE(result);
    CHECK(*result == net::error::operation_aborted);
    CHECK(alive.use_count() == 1);
}

TEST_CASE("http1::async_serve: HEAD", "[http1]")
{
    connected c;
    auto& ioc = c.ioc;
    auto& peer = c.peer;
    auto& stream = c.stream;
    auto& buffer = c.buffer;
    std::optional<sse::error_code> result;
    sse::http1::async_serve(
        stream,
        buffer,
        [](request&& req) -> sse::response {
            if (req.target() == "/throw")
                throw std::runtime_error("no");
            return sse::stream_response{req, two_messages("x")};
        },
        [&](sse::error_code ec) { result = ec; }
    );
    // A stream and a 500 to HEAD requests: headers only, and the connection
    // carries the next request.
    net::write(peer, net::buffer(std::string_view("HEAD /events HTTP/1.1\r\nHost: x\r\n\r\n"
                                                  "HEAD /throw HTTP/1.1\r\nHost: x\r\n\r\n"
                                                  "HEAD /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")));
    std::string answers;
    std::thread reader([&] { answers = read_to_close(peer); });
    ioc.run();
    reader.join();
    auto const first = answers.find("HTTP/1.1 200 OK\r\n");
    auto const failed = answers.find("HTTP/1.1 500 Internal Server Error\r\n");
    auto const last = answers.rfind("HTTP/1.1 200 OK\r\n");
    CHECK(first == 0);
    CHECK(failed > first);
    CHECK(last > failed);
    CHECK(answers.find("data:") == std::string::npos);
    CHECK(answers.find("Internal Server Error\n") == std::string::npos); // no 500 body
    CHECK(answers.ends_with("\r\n\r\n"));                              // headers, and nothing after
    CHECK(answers.find("0\r\n\r\n") == std::string::npos);             // not even a last chunk
    REQUIRE(result);
    CHECK(!*result);
}

TEST_CASE("http1::async_serve: Expect: 100-continue", "[http1]")
{
    connected c;
    auto& ioc = c.ioc;
    auto& peer = c.peer;
    auto& stream = c.stream;
    auto& buffer = c.buffer;
    std::optional<sse::error_code> result;
    sse::http1::async_serve(
        stream,
        buffer,
        [](request&& req) { return sse::make_response(req, beast::http::status::ok, "got " + req.body() + "\n"); },
        [&](sse::error_code ec) { result = ec; }
    );
    std::string seen;
    std::thread client([&] {
        // The body goes only after the interim answer, as curl does.
        net::write(peer, net::buffer(std::string_view("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                                                      "Expect: 100-continue\r\nConnection: close\r\n\r\n")));
        std::string interim(25, '\0');
        net::read(peer, net::buffer(interim));
        seen = interim;
        net::write(peer, net::buffer(std::string_view("hello")));
        seen += read_to_close(peer);
    });
    ioc.run();
    client.join();
    CHECK(seen.starts_with("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"));
    CHECK(seen.ends_with("got hello\n"));
    REQUIRE(result);
    CHECK(!*result);
}

TEST_CASE("http1::async_serve: completion tokens", "[http1]")
{
    net::io_context ioc;
    tcp::acceptor acceptor(ioc, {net::ip::make_address("127.0.0.1"), 0});
    tcp::socket peer(ioc);
    peer.connect(acceptor.local_endpoint());
    tcp::socket socket = acceptor.accept();
    beast::flat_buffer buffer;
    net::write(peer, net::buffer(std::string_view("GET /plain HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")));

    std::optional<sse::error_code> result;
    auto op = sse::http1::async_serve(socket, buffer, route, net::deferred);
    std::move(op)([&](sse::error_code ec) { result = ec; });
    CHECK(!result);
    ioc.run();
    REQUIRE(result);
    CHECK(!*result);
    std::string got;
    sse::error_code ec;
    net::read(peer, net::dynamic_buffer(got), ec);
    CHECK(ec == net::error::eof); // the send side was shut down
    CHECK(parse_response(got).body == "hello\n");
}
