//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Test that header file is self-contained.
#include <sse/sources/pipe.hpp>

#include <sse/handler.hpp>
#include <sse/parser.hpp>
#include <sse/response.hpp>
#include <sse/sources/any.hpp>
#include <sse/stream_response.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include "catch.hpp"
#include "loopback.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace beast = boost::beast;
namespace http = beast::http;
using namespace sse::test;

static_assert(sse::message_source<sse::pipe_source>);
static_assert(std::is_same_v<sse::source_for_t<sse::pipe_source>, sse::pipe_source>);
static_assert(std::is_convertible_v<sse::pipe_source, sse::any_message_source>);
static_assert(!std::is_copy_constructible_v<sse::stream_writer>);
static_assert(std::is_nothrow_move_constructible_v<sse::stream_writer>);
static_assert(std::is_nothrow_move_constructible_v<sse::pipe_source>);

namespace {

// The wire bytes of message i of a test: "id: i" and "data: <i>:<pad>".
sse::message numbered(int i, std::size_t pad = 0)
{
    return sse::message{}.id(i).data(std::to_string(i) + ":" + std::string(pad, 'x'));
}

std::string wire_of(int from, int to, std::size_t pad = 0)
{
    std::string w;
    for (int i = from; i <= to; ++i)
        w += sse::to_string(numbered(i, pad));
    return w;
}

struct next_result {
    sse::error_code ec;
    std::optional<sse::serialized> item;
    bool called = false;
};

// Starts async_next; the result is filled in when it completes.
void start_next(net::io_context& ioc, sse::pipe_source& src, next_result& r, net::cancellation_slot slot = {})
{
    src.async_next(net::bind_cancellation_slot(
        slot,
        net::bind_executor(ioc, [&r](sse::error_code ec, std::optional<sse::serialized> item) {
            r.ec = ec;
            r.item = std::move(item);
            r.called = true;
        })
    ));
}

// Everything the source yields, until its end, taking backlogs as a stream does.
struct drained {
    std::string wire;
    sse::error_code ec;
    int items = 0;
};

net::awaitable<void> drain(sse::pipe_source& src, drained& out, std::size_t max_bytes = 64 * 1024)
{
    std::vector<sse::serialized> batch;
    for (;;) {
        auto [ec, item] = co_await src.async_next(net::as_tuple(net::use_awaitable));
        if (ec || !item) {
            out.ec = ec;
            co_return;
        }
        ++out.items;
        out.wire += item->view();
        batch.clear();
        src.try_take(batch, max_bytes);
        for (auto const& s : batch) {
            ++out.items;
            out.wire += s.view();
        }
    }
}

net::awaitable<void> send_numbered(sse::stream_writer& out, int from, int to, std::size_t pad)
{
    sse::message msg;
    for (int i = from; i <= to; ++i) {
        msg = numbered(i, pad);
        co_await out.async_send(msg);
    }
}

} // namespace

TEST_CASE("pipe: try_send queues while there is room; try_take hands over whole messages", "[pipe]")
{
    auto const one = sse::to_string(numbered(1)).size(); // "id: 1\ndata: 1:\n\n"
    auto [out, src] = sse::make_pipe(3 * one);
    CHECK(out.capacity() == 3 * one);
    CHECK(out.is_open());
    CHECK(out.try_send(numbered(1)));
    CHECK(out.try_send(numbered(2)));
    CHECK(out.try_send(sse::serialized(numbered(3))));
    CHECK_FALSE(out.try_send(numbered(4))); // full
    CHECK(out.is_open());
    CHECK(out.try_send(sse::message{})); // an empty message takes no room

    std::vector<sse::serialized> got;
    SECTION("everything, in one item")
    {
        REQUIRE(src.try_take(got, 1 << 20) == 1);
        REQUIRE(got.size() == 1);
        CHECK(got[0].view() == wire_of(1, 3));
        CHECK(src.try_take(got, 1 << 20) == 0);
    }
    SECTION("whole messages within max_bytes, at least one")
    {
        REQUIRE(src.try_take(got, 2 * one + 1) == 1);
        CHECK(got.back().view() == wire_of(1, 2));
        REQUIRE(src.try_take(got, 1) == 1); // less than one message: one anyway
        CHECK(got.back().view() == wire_of(3, 3));
        CHECK(src.try_take(got, 1 << 20) == 0);
    }
    SECTION("room again after a take")
    {
        REQUIRE(src.try_take(got, 1 << 20) == 1);
        CHECK(out.try_send(numbered(4)));
        REQUIRE(src.try_take(got, 1 << 20) == 1);
        CHECK(got.back().view() == wire_of(4, 4));
    }
}

TEST_CASE("pipe: a message larger than the capacity is queued alone", "[pipe]")
{
    auto [out, src] = sse::make_pipe(16);
    CHECK(out.try_send(numbered(1, 100)));
    CHECK_FALSE(out.try_send(numbered(2)));
    std::vector<sse::serialized> got;
    REQUIRE(src.try_take(got, 1 << 20) == 1);
    CHECK(got[0].view() == wire_of(1, 1, 100));
    CHECK(out.try_send(numbered(2)));
}

TEST_CASE("pipe: async_next waits, delivers what is queued, then the end", "[pipe]")
{
    net::io_context ioc;
    auto [out, src] = sse::make_pipe();
    next_result r;
    start_next(ioc, src, r);
    CHECK_FALSE(r.called); // never inside async_next
    ioc.poll();
    CHECK_FALSE(r.called); // nothing queued yet

    // Sent before the posted completion runs: one item holds them all.
    CHECK(out.try_send(numbered(1)));
    CHECK(out.try_send(numbered(2)));
    CHECK_FALSE(r.called);
    ioc.restart();
    ioc.poll();
    REQUIRE(r.called);
    CHECK_FALSE(r.ec);
    REQUIRE(r.item);
    CHECK(r.item->view() == wire_of(1, 2));

    SECTION("close: what was sent, then the end")
    {
        CHECK(out.try_send(numbered(3)));
        out.close();
        CHECK_FALSE(out.is_open());
        CHECK_FALSE(out.try_send(numbered(4)));
        next_result r2;
        start_next(ioc, src, r2);
        ioc.restart();
        ioc.poll();
        REQUIRE(r2.called);
        REQUIRE(r2.item);
        CHECK(r2.item->view() == wire_of(3, 3));
        next_result r3;
        start_next(ioc, src, r3);
        ioc.restart();
        ioc.poll();
        REQUIRE(r3.called);
        CHECK_FALSE(r3.ec);
        CHECK_FALSE(r3.item);
    }
    SECTION("close while the reader waits")
    {
        next_result r2;
        start_next(ioc, src, r2);
        ioc.restart();
        ioc.poll();
        CHECK_FALSE(r2.called);
        out.close();
        ioc.restart();
        ioc.poll();
        REQUIRE(r2.called);
        CHECK_FALSE(r2.ec);
        CHECK_FALSE(r2.item);
    }
    SECTION("close with an error: the source fails with it, after what was sent")
    {
        CHECK(out.try_send(numbered(3)));
        out.close(sse::make_error_code(sse::error::source_failed));
        next_result r2;
        start_next(ioc, src, r2);
        ioc.restart();
        ioc.poll();
        REQUIRE(r2.item);
        CHECK_FALSE(r2.ec);
        next_result r3;
        start_next(ioc, src, r3);
        ioc.restart();
        ioc.poll();
        REQUIRE(r3.called);
        CHECK(r3.ec == sse::error::source_failed);
        CHECK_FALSE(r3.item);
    }
    SECTION("a make_pipe writer destroyed closes the pipe")
    {
        { auto gone = std::move(out); }
        next_result r2;
        start_next(ioc, src, r2);
        ioc.restart();
        ioc.poll();
        REQUIRE(r2.called);
        CHECK_FALSE(r2.ec);
        CHECK_FALSE(r2.item);
    }
}

TEST_CASE("pipe: a waiting async_next is cancelled by its slot", "[pipe]")
{
    auto const type =
        GENERATE(net::cancellation_type::terminal, net::cancellation_type::partial, net::cancellation_type::total);
    net::io_context ioc;
    auto [out, src] = sse::make_pipe();
    net::cancellation_signal sig;
    next_result r;
    start_next(ioc, src, r, sig.slot());
    ioc.poll();
    sig.emit(type);
    CHECK_FALSE(r.called); // posted
    ioc.restart();
    ioc.poll();
    REQUIRE(r.called);
    CHECK(r.ec == net::error::operation_aborted);
    CHECK_FALSE(r.item);
    // Nothing was lost: the next wait gets what comes.
    CHECK(out.try_send(numbered(1)));
    next_result r2;
    start_next(ioc, src, r2, sig.slot());
    ioc.restart();
    ioc.poll();
    REQUIRE(r2.item);
    CHECK(r2.item->view() == wire_of(1, 1));
}

TEST_CASE("pipe: a coroutine's sends complete without a turn of the executor while there is room", "[pipe]")
{
    net::io_context ioc;
    int const n = 500;
    bool done = false;
    auto src = sse::spawn_writer(ioc, [&](sse::stream_writer& out) -> net::awaitable<void> {
        co_await send_numbered(out, 1, n, 0);
        done = true;
    });
    // co_spawn's own start takes a few handlers; the 500 sends take none.
    std::size_t handlers = 0;
    while (!done && handlers < 10)
        handlers += ioc.run_one();
    CHECK(done);
    CHECK(handlers <= 3);
    ioc.restart();
    ioc.poll();
    std::vector<sse::serialized> got;
    REQUIRE(src.try_take(got, 1 << 20) == 1);
    CHECK(got[0].view() == wire_of(1, n));
}

TEST_CASE("pipe: a full pipe holds the producer until the stream takes", "[pipe]")
{
    net::io_context ioc;
    int const n = 2000;
    std::size_t const pad = GENERATE(std::size_t{0}, std::size_t{300});
    std::size_t const capacity =
        GENERATE(std::size_t{0}, std::size_t{100}, std::size_t{1000}, sse::default_pipe_capacity);
    std::size_t const max_bytes = GENERATE(std::size_t{1}, std::size_t{4096});
    INFO("pad " << pad << ", capacity " << capacity << ", max_bytes " << max_bytes);
    auto src = sse::spawn_writer(ioc, [&](sse::stream_writer& out) { return send_numbered(out, 1, n, pad); }, capacity);
    drained d;
    net::co_spawn(ioc, drain(src, d, max_bytes), net::detached);
    ioc.run();
    CHECK_FALSE(d.ec);
    CHECK(d.wire == wire_of(1, n, pad));
    CHECK_FALSE(src.exception());
}

TEST_CASE("pipe: async_send with completion tokens", "[pipe]")
{
    net::io_context ioc;
    auto pipe = sse::make_pipe(1); // every second send waits
    auto& out = pipe.first;
    auto& src = pipe.second;
    std::vector<sse::error_code> results;
    auto record = net::bind_executor(ioc, [&](sse::error_code ec) { results.push_back(ec); });

    out.async_send(numbered(1), record);
    CHECK(results.empty()); // posted even when queued at once
    ioc.poll();
    REQUIRE(results.size() == 1);
    CHECK_FALSE(results[0]);

    out.async_send(numbered(2), record); // full: waits
    ioc.restart();
    ioc.poll();
    CHECK(results.size() == 1);
    std::vector<sse::serialized> got;
    REQUIRE(src.try_take(got, 1 << 20) == 1); // takes 1, lets 2 in
    ioc.restart();
    ioc.poll();
    REQUIRE(results.size() == 2);
    CHECK_FALSE(results[1]);
    REQUIRE(src.try_take(got, 1 << 20) == 1);
    CHECK(std::string(got[0].view()) + std::string(got[1].view()) == wire_of(1, 2));

    // deferred: the item is read when the operation is launched.
    auto op = out.async_send(numbered(3), net::deferred);
    std::move(op)(record);
    ioc.restart();
    ioc.poll();
    REQUIRE(results.size() == 3);
    CHECK_FALSE(results[2]);

    // use_awaitable and as_tuple: full (3 is queued) until a take.
    net::co_spawn(ioc, [&]() -> net::awaitable<void> {
        auto [ec] = co_await out.async_send(numbered(4), net::as_tuple(net::use_awaitable));
        results.push_back(ec);
    }, net::detached);
    ioc.restart();
    ioc.poll();
    CHECK(results.size() == 3);
    REQUIRE(src.try_take(got, 1 << 20) == 1);
    ioc.restart();
    ioc.run();
    REQUIRE(results.size() == 4);
    CHECK_FALSE(results[3]);
    REQUIRE(src.try_take(got, 1 << 20) == 1);
    CHECK(got.back().view() == wire_of(4, 4));
}

TEST_CASE("pipe: a waiting async_send is cancelled, and its message not sent", "[pipe]")
{
    auto const type =
        GENERATE(net::cancellation_type::terminal, net::cancellation_type::partial, net::cancellation_type::total);
    net::io_context ioc;
    auto [out, src] = sse::make_pipe(1);
    CHECK(out.try_send(numbered(1)));
    net::cancellation_signal sig;
    std::optional<sse::error_code> result;
    auto record = net::bind_executor(ioc, [&](sse::error_code ec) { result = ec; });
    out.async_send(numbered(2), net::bind_cancellation_slot(sig.slot(), record));
    ioc.poll();
    CHECK_FALSE(result);
    sig.emit(type);
    ioc.restart();
    ioc.poll();
    REQUIRE(result);
    CHECK(*result == net::error::operation_aborted);
    std::vector<sse::serialized> got;
    REQUIRE(src.try_take(got, 1 << 20) == 1);
    CHECK(got[0].view() == wire_of(1, 1));
    CHECK(src.try_take(got, 1 << 20) == 0);
    CHECK(out.try_send(numbered(3)));
}

TEST_CASE("pipe: once the source is gone, sends fail with broken_pipe", "[pipe]")
{
    net::io_context ioc;
    auto [out, src] = sse::make_pipe(1);
    CHECK(out.try_send(numbered(1)));
    std::optional<sse::error_code> waiting;
    out.async_send(numbered(2), net::bind_executor(ioc, [&](sse::error_code ec) { waiting = ec; }));
    { auto gone = std::move(src); }
    ioc.poll();
    REQUIRE(waiting);
    CHECK(*waiting == net::error::broken_pipe);
    CHECK_FALSE(out.is_open());
    CHECK_FALSE(out.try_send(numbered(3)));
    std::optional<sse::error_code> later;
    out.async_send(numbered(3), net::bind_executor(ioc, [&](sse::error_code ec) { later = ec; }));
    ioc.restart();
    ioc.poll();
    REQUIRE(later);
    CHECK(*later == net::error::broken_pipe);
    out.close(); // nothing to do
}

TEST_CASE("pipe: after close, sends fail with shut_down", "[pipe]")
{
    net::io_context ioc;
    auto pipe = sse::make_pipe();
    auto& out = pipe.first;
    out.close();
    std::optional<sse::error_code> r;
    out.async_send(numbered(1), net::bind_executor(ioc, [&](sse::error_code ec) { r = ec; }));
    ioc.poll();
    REQUIRE(r);
    CHECK(*r == net::error::shut_down);
    bool threw = false;
    net::co_spawn(ioc, [&]() -> net::awaitable<void> {
        try {
            co_await out.async_send(numbered(1));
        } catch (sse::system_error const& e) {
            threw = e.code() == net::error::shut_down;
        }
    }, net::detached);
    ioc.restart();
    ioc.run();
    CHECK(threw);
}

TEST_CASE("pipe: a spawned producer is cancelled and destroyed when the source goes", "[pipe]")
{
    net::io_context ioc;
    latch_value<bool> destroyed;
    std::optional<sse::error_code> wait_result;
    bool const in_send = GENERATE(false, true); // asleep on a timer, or waiting for room
    INFO((in_send ? "waiting for room" : "asleep on a timer"));
    std::optional<sse::pipe_source> src;
    src.emplace(sse::spawn_writer(
        ioc.get_executor(),
        [&](sse::stream_writer out) -> net::awaitable<void> {
            destroy_probe probe{&destroyed};
            co_await out.async_send(numbered(1));
            if (in_send) {
                for (int i = 2;; ++i)
                    co_await out.async_send(numbered(i));
            }
            auto const ex = co_await net::this_coro::executor;
            net::steady_timer timer(ex, std::chrono::hours(1));
            auto [ec] = co_await timer.async_wait(net::as_tuple(net::use_awaitable));
            wait_result = ec;
        },
        64
    ));
    ioc.poll();
    CHECK_FALSE(destroyed.is_set());
    src.reset();
    ioc.restart();
    ioc.run_for(std::chrono::seconds(5));
    CHECK(destroyed.is_set());
    if (!in_send) {
        REQUIRE(wait_result);
        CHECK(*wait_result == net::error::operation_aborted);
    }
    CHECK(ioc.stopped()); // nothing left behind
}

TEST_CASE("pipe: an exception escaping the producer fails the stream after what was sent", "[pipe]")
{
    net::io_context ioc;
    auto src = sse::spawn_writer(ioc, [](sse::stream_writer& out) -> net::awaitable<void> {
        co_await out.async_send(numbered(1));
        throw std::runtime_error("producer failed");
    });
    drained d;
    net::co_spawn(ioc, drain(src, d), net::detached);
    ioc.run();
    CHECK(d.wire == wire_of(1, 1));
    CHECK(d.ec == sse::error::source_failed);
    REQUIRE(src.exception());
    CHECK_THROWS_AS(std::rethrow_exception(src.exception()), std::runtime_error);
}

TEST_CASE("pipe: any_message_source forwards try_take", "[pipe]")
{
    net::io_context ioc;
    auto [out, src] = sse::make_pipe();
    sse::any_message_source any(std::move(src));
    CHECK(out.try_send(numbered(1)));
    CHECK(out.try_send(numbered(2)));
    std::vector<sse::serialized> got;
    REQUIRE(any.try_take(got, 1 << 20) == 1);
    CHECK(got[0].view() == wire_of(1, 2));
}

// ------------------------------------------------------------- over sockets

namespace {

using request = http::request<http::string_body>;

struct observed {
    latch_value<sse::error_code> completed;
    latch_value<bool> producer_destroyed;
};

// Reads one request and answers it with a stream from `make_source(ex)`.
template <class MakeSource>
server::session stream_session(MakeSource make_source, observed& o, sse::stream_options options = {})
{
    return [make_source, &o, options](tcp::socket socket) -> net::awaitable<void> {
        beast::tcp_stream stream(std::move(socket));
        beast::flat_buffer buffer;
        request req;
        auto [rec, n] = co_await http::async_read(stream, buffer, req, net::as_tuple(net::use_awaitable));
        if (rec)
            co_return;
        sse::stream_response res{req, make_source(stream.get_executor()), options};
        auto [ec] = co_await sse::async_write(stream, buffer, res, net::as_tuple(net::use_awaitable));
        o.completed.set(ec);
    };
}

} // namespace

TEST_CASE("pipe: a stream of 20,000 events over a socket, in order, coalesced", "[pipe][socket]")
{
    observed o;
    int const n = 20000;
    server srv(stream_session(
        [&](net::any_io_executor ex) {
            return sse::spawn_writer(ex, [&](sse::stream_writer out) -> net::awaitable<void> {
                destroy_probe probe{&o.producer_destroyed};
                co_await send_numbered(out, 1, n, 40);
            });
        },
        o
    ));
    client c(srv.port());
    c.get("/events");
    REQUIRE(c.read_until([](std::string const& r) { return has_last_chunk(r); }));
    auto const res = parse_response(c.received());
    CHECK(res.complete);
    CHECK(res.body == wire_of(1, n, 40));
    CHECK(res.chunks.size() < static_cast<std::size_t>(n) / 50); // many events per write
    auto const ec = o.completed.wait();
    REQUIRE(ec);
    CHECK_FALSE(*ec);
    CHECK(o.producer_destroyed.wait());
}

TEST_CASE("pipe: a peer that leaves ends the producer, asleep or sending", "[pipe][socket]")
{
    bool const endless = GENERATE(false, true);
    INFO((endless ? "sending without end" : "asleep on a timer"));
    observed o;
    server srv(stream_session(
        [&](net::any_io_executor ex) {
            return sse::spawn_writer(ex, [&](sse::stream_writer out) -> net::awaitable<void> {
                destroy_probe probe{&o.producer_destroyed};
                co_await out.async_send(sse::message{}.data("hello"));
                sse::message msg;
                msg.data(std::string(1000, 'p'));
                while (endless)
                    co_await out.async_send(msg);
                auto const ex = co_await net::this_coro::executor;
                net::steady_timer timer(ex, std::chrono::hours(1));
                co_await timer.async_wait(net::use_awaitable);
            });
        },
        o
    ));
    client c(srv.port());
    c.get("/events");
    REQUIRE(c.read_until_contains("data: hello\n\n"));
    c.reset();
    REQUIRE(o.producer_destroyed.wait());
    auto const ec = o.completed.wait();
    REQUIRE(ec);
    CHECK(*ec == sse::error::peer_gone);
}

TEST_CASE("pipe: a producer on another thread feeds a stream over a socket", "[pipe][socket][threads]")
{
    // The producer runs on an io_context of its own; the stream on the
    // server's. Every event arrives, in order, and the stream ends cleanly.
    net::io_context producer_ioc;
    auto guard = net::make_work_guard(producer_ioc);
    std::thread producer_thread([&] { producer_ioc.run(); });
    observed o;
    int const n = 20000;
    server srv(stream_session(
        [&](net::any_io_executor) {
            return sse::spawn_writer(producer_ioc, [&](sse::stream_writer out) -> net::awaitable<void> {
                destroy_probe probe{&o.producer_destroyed};
                co_await send_numbered(out, 1, n, 20);
            }, 4096);
        },
        o
    ));
    client c(srv.port());
    c.get("/events");
    REQUIRE(c.read_until([](std::string const& r) { return has_last_chunk(r); }));
    auto const res = parse_response(c.received());
    CHECK(res.body == wire_of(1, n, 20));
    auto const ec = o.completed.wait();
    REQUIRE(ec);
    CHECK_FALSE(*ec);
    CHECK(o.producer_destroyed.wait());
    guard.reset();
    producer_thread.join();
}

// Provokes the races the mutex is there for: the writer closes (or sends,
// or waits for room) on one thread while the reader takes, waits or goes
// away on another. Run under ThreadSanitizer by the tsan preset.
TEST_CASE("pipe: close on one thread while the stream takes on another", "[pipe][threads]")
{
    int const rounds = 400;
    for (int round = 0; round < rounds; ++round) {
        net::io_context reader_ioc(1);
        net::io_context writer_ioc(1);
        int const n = 1 + (round * 7) % 300;
        std::size_t const capacity = (round % 3 == 0) ? 1 : (round % 3 == 1) ? 64 : 4096;
        auto pipe = sse::make_pipe(capacity);
        auto& out = pipe.first;
        auto& src = pipe.second;
        drained d;
        net::co_spawn(reader_ioc, drain(src, d, static_cast<std::size_t>(1 + round % 200)), net::detached);
        bool const close_from_callback = round % 2 == 0;
        net::co_spawn(writer_ioc, [&, close_from_callback]() -> net::awaitable<void> {
            sse::message msg;
            for (int i = 1; i <= n; ++i) {
                msg = numbered(i);
                if (i % 3 == 0 && out.try_send(msg))
                    continue;
                co_await out.async_send(msg);
            }
            if (!close_from_callback)
                out.close();
        }, [&](std::exception_ptr) {
            if (close_from_callback)
                out.close();
        });
        // Both threads start together, so that the writer's last sends and
        // its close meet the reader's takes.
        std::atomic<bool> go{false};
        std::thread writer([&] {
            while (!go.load())
                std::this_thread::yield();
            writer_ioc.run();
        });
        go = true;
        reader_ioc.run();
        writer.join();
        INFO("round " << round);
        REQUIRE_FALSE(d.ec);
        REQUIRE(d.wire == wire_of(1, n));
    }
}

TEST_CASE("pipe: the source goes away on one thread while the writer sends on another", "[pipe][threads]")
{
    int const rounds = 200;
    for (int round = 0; round < rounds; ++round) {
        net::io_context reader_ioc(1);
        net::io_context writer_ioc(1);
        std::optional<sse::pipe_source> src;
        std::atomic<int> sent{0};
        std::optional<sse::error_code> end;
        latch_value<bool> destroyed;
        src.emplace(sse::spawn_writer(writer_ioc, [&](sse::stream_writer out) -> net::awaitable<void> {
            destroy_probe probe{&destroyed};
            sse::message msg;
            for (int i = 1;; ++i) {
                msg = numbered(i);
                co_await out.async_send(msg);
                ++sent;
            }
        }, 256));
        // The reader takes a few items, then drops the source.
        int const takes = round % 4;
        net::co_spawn(reader_ioc, [&]() -> net::awaitable<void> {
            std::vector<sse::serialized> batch;
            for (int i = 0; i < takes; ++i) {
                auto [ec, item] = co_await src->async_next(net::as_tuple(net::use_awaitable));
                if (ec || !item) {
                    end = ec;
                    break;
                }
                src->try_take(batch, 100);
            }
            src.reset();
        }, net::detached);
        std::atomic<bool> go{false};
        std::thread writer([&] {
            while (!go.load())
                std::this_thread::yield();
            writer_ioc.run();
        });
        go = true;
        reader_ioc.run();
        writer.join(); // the producer ended: its io_context ran out of work
        INFO("round " << round);
        REQUIRE(destroyed.is_set());
        REQUIRE_FALSE(end);
    }
}

// ------------------------------------------------------ README snippets

namespace readme {

double quote(std::string const&)
{
    return 1.0841;
}

//[readme_pipe
// A producer that pushes: one co_await per event, which completes at once
// while the pipe has room, and a message reused from one event to the next.
net::awaitable<void> prices(sse::stream_writer out, std::string symbol)
{
    auto const ex = co_await net::this_coro::executor;
    net::steady_timer timer(ex);
    sse::message msg;
    for (int i = 1;; ++i) {
        msg.clear();
        msg.id(i).event("price").data(symbol + " " + std::to_string(quote(symbol)));
        co_await out.async_send(msg);                  // throws once the stream has ended
        timer.expires_after(std::chrono::milliseconds(100));
        co_await timer.async_wait(net::use_awaitable); // cancelled when the client leaves
    }
}

sse::response handle(sse::request const& req, net::any_io_executor const& ex)
{
    return sse::stream_response{req, sse::spawn_writer(ex, [](sse::stream_writer out) {
        return prices(std::move(out), "EURUSD");
    })};
}
//]

} // namespace readme

TEST_CASE("pipe: README, a producer that pushes", "[pipe][doc]")
{
    net::io_context ioc;
    sse::request req{http::verb::get, "/prices", 11};
    {
        auto res = readme::handle(req, ioc.get_executor());
        ioc.run_for(std::chrono::milliseconds(50)); // the producer sends its first event, then waits
    } // the response, never written, goes: the producer is cancelled
    ioc.restart();
    ioc.run_for(std::chrono::seconds(5));
    CHECK(ioc.stopped());
}

TEST_CASE("pipe: README, a feed on a thread of its own", "[pipe][doc][socket]")
{
    observed o;
    std::thread feed_thread;
    server srv(stream_session(
        [&](net::any_io_executor) {
            //[readme_make_pipe
            auto [out, source] = sse::make_pipe();
            std::thread feed([out = std::move(out)]() mutable {
                for (int i = 1; i <= 1000; ++i)
                    out.async_send(sse::message{}.id(i).data("tick"), net::use_future).get(); // waits while full
            }); // returning destroys the writer, which ends the stream after the last event
            //]
            feed_thread = std::move(feed);
            return std::move(source);
        },
        o
    ));
    client c(srv.port());
    c.get("/ticks");
    REQUIRE(c.read_until([](std::string const& r) { return has_last_chunk(r); }));
    auto const events = sse::parse_events(parse_response(c.received()).body);
    REQUIRE(events.size() == 1000);
    CHECK(events.back().id == "1000");
    auto const ec = o.completed.wait();
    REQUIRE(ec);
    CHECK_FALSE(*ec);
    feed_thread.join();
}
