//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Test that header file is self-contained.
#include <sse/sources/any.hpp>

#include <sse/broadcaster.hpp>
#include <sse/sources/channel.hpp>
#include <sse/sources/coro.hpp>
#include <sse/sources/range.hpp>
#include <sse/stream_response.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/system_executor.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/version.hpp>

#include "catch.hpp"

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace net = boost::asio;
namespace http = boost::beast::http;
namespace xp = boost::asio::experimental;

static_assert(sse::message_source<sse::any_message_source>);
static_assert(!std::is_copy_constructible_v<sse::any_message_source>);
static_assert(std::is_nothrow_move_constructible_v<sse::any_message_source>);
static_assert(std::is_convertible_v<std::vector<sse::message>, sse::any_message_source>);
static_assert(!std::is_convertible_v<int, sse::any_message_source>);

namespace {

struct outcome {
    sse::error_code ec;
    std::optional<sse::serialized> item;
    bool called = false;
};

// Takes one item, running the context until it arrives.
outcome next(net::io_context& ioc, sse::any_message_source& src)
{
    outcome o;
    src.async_next(net::bind_executor(ioc, [&](sse::error_code ec, std::optional<sse::serialized> item) {
        o.ec = ec;
        o.item = std::move(item);
        o.called = true;
    }));
    CHECK(!o.called); // never inside async_next
    ioc.restart();
    ioc.run();
    CHECK(o.called);
    return o;
}

// Every item until the source finishes, concatenated.
std::string drain(net::io_context& ioc, sse::any_message_source& src)
{
    std::string wire;
    for (;;) {
        auto o = next(ioc, src);
        REQUIRE(!o.ec);
        if (!o.item)
            return wire;
        wire += o.item->view();
    }
}

struct probe {
    bool* destroyed;
    ~probe() { *destroyed = true; }
};

xp::coro<sse::message> two(net::any_io_executor)
{
    co_yield sse::message{}.id(1).data("one");
    co_yield sse::message{}.event("e").data("two");
}

xp::coro<sse::message> sleeper(net::any_io_executor ex, bool* destroyed)
{
    probe p{destroyed};
    co_yield sse::message{}.data("first");
    net::steady_timer timer(ex);
    timer.expires_after(std::chrono::hours(1));
    co_await timer.async_wait(xp::use_coro);
    co_yield sse::message{}.data("never");
}

// A message_source that counts try_take calls and keeps nothing back.
struct plain_source {
    using value_type = sse::message;
    bool* destroyed = nullptr;

    plain_source(bool* d) : destroyed(d) {}
    plain_source(plain_source&& o) noexcept : destroyed(std::exchange(o.destroyed, nullptr)) {}
    ~plain_source()
    {
        if (destroyed)
            *destroyed = true;
    }

    template <class Token>
    auto async_next(Token&& token)
    {
        return net::async_initiate<Token, void(sse::error_code, std::optional<sse::message>)>(
            [](auto h) {
                auto ex = net::get_associated_executor(h);
                net::post(ex, [h = std::move(h)]() mutable { std::move(h)(sse::error_code(), std::nullopt); });
            },
            token
        );
    }
};

// A source of messages that can hand over a backlog of messages.
struct backlog_source {
    using value_type = sse::message;
    std::vector<sse::message> backlog;

    template <class Token>
    auto async_next(Token&& token)
    {
        return net::async_initiate<Token, void(sse::error_code, std::optional<sse::message>)>(
            [](auto h) {
                auto ex = net::get_associated_executor(h);
                net::post(ex, [h = std::move(h)]() mutable { std::move(h)(sse::error_code(), std::nullopt); });
            },
            token
        );
    }

    std::size_t try_take(std::vector<sse::message>& out, std::size_t)
    {
        auto const n = backlog.size();
        for (auto& m : backlog)
            out.push_back(std::move(m));
        backlog.clear();
        return n;
    }
};

// Completes only when cancelled, through the handler's cancellation slot.
struct waiting_source {
    using value_type = sse::message;
    bool* destroyed = nullptr;
    std::optional<net::any_completion_handler<void(sse::error_code, std::optional<sse::message>)>> waiting;

    waiting_source(bool* d) : destroyed(d) {}
    waiting_source(waiting_source&& o) noexcept : destroyed(std::exchange(o.destroyed, nullptr)) {}
    ~waiting_source()
    {
        if (destroyed)
            *destroyed = true;
    }

    template <class Token>
    auto async_next(Token&& token)
    {
        return net::async_initiate<Token, void(sse::error_code, std::optional<sse::message>)>(
            [this](auto h) {
                auto slot = net::get_associated_cancellation_slot(h);
                auto ex = net::get_associated_executor(h);
                waiting.emplace(std::move(h));
                slot.assign([this, ex](net::cancellation_type) {
                    net::post(ex, [this] {
                        auto w = std::move(*waiting);
                        waiting.reset();
                        std::move(w)(net::error::operation_aborted, std::nullopt);
                    });
                });
            },
            token
        );
    }
};

} // namespace

TEST_CASE("any_message_source: sources of every kind, serialized", "[any_source]")
{
    net::io_context ioc;

    SECTION("range of messages")
    {
        sse::any_message_source src = std::vector{sse::message{}.data("a"), sse::message{}.id(2).data("b")};
        CHECK(drain(ioc, src) == "data: a\n\nid: 2\ndata: b\n\n");
    }

    SECTION("range of serialized passes through")
    {
        auto const s = sse::serialized::from_wire("data: x\n\n");
        sse::any_message_source src = std::vector{s};
        auto o = next(ioc, src);
        REQUIRE(o.item);
        CHECK(o.item->view() == "data: x\n\n");
        CHECK(o.item->use_count() >= 2); // the same bytes, not a copy
    }

    SECTION("coroutine")
    {
        sse::any_message_source src = two(ioc.get_executor());
        CHECK(drain(ioc, src) == "id: 1\ndata: one\n\nevent: e\ndata: two\n\n");
    }

    SECTION("channel")
    {
        using channel = xp::channel<void(sse::error_code, sse::message)>;
        auto ch = std::make_shared<channel>(ioc, 4);
        sse::any_message_source src = ch;
        CHECK(ch->try_send(sse::error_code(), sse::message{}.data("via channel")));
        auto o = next(ioc, src);
        CHECK(!o.ec);
        REQUIRE(o.item);
        CHECK(o.item->view() == "data: via channel\n\n");
        ch->close();
        o = next(ioc, src);
        CHECK(!o.ec);
        CHECK(!o.item); // closed: finished
    }

    SECTION("a closed channel: what it buffered first (Boost 1.82 on)")
    {
        using channel = xp::channel<void(sse::error_code, sse::message)>;
        auto ch = std::make_shared<channel>(ioc, 4);
        sse::any_message_source src = ch;
        CHECK(ch->try_send(sse::error_code(), sse::message{}.data("1")));
        CHECK(ch->try_send(sse::error_code(), sse::message{}.data("2")));
        ch->close();
#if BOOST_VERSION >= 108200
        for (char const* want : {"data: 1\n\n", "data: 2\n\n"}) {
            auto o = next(ioc, src);
            CHECK(!o.ec);
            REQUIRE(o.item);
            CHECK(o.item->view() == want);
        }
#endif
        auto o = next(ioc, src); // Boost 1.81: close() dropped both
        CHECK(!o.ec);
        CHECK(!o.item);
    }

    SECTION("a message_source of one's own")
    {
        bool destroyed = false;
        {
            sse::any_message_source src = plain_source(&destroyed);
            auto o = next(ioc, src);
            CHECK(!o.ec);
            CHECK(!o.item);
            CHECK(!destroyed);
        }
        CHECK(destroyed);
    }

    SECTION("moved")
    {
        sse::any_message_source a = std::vector{sse::message{}.data("m")};
        sse::any_message_source b = std::move(a);
        sse::any_message_source c = std::vector{sse::message{}.data("other")};
        c = std::move(b);
        CHECK(drain(ioc, c) == "data: m\n\n");
    }
}

TEST_CASE("any_message_source: completes on the handler's executor", "[any_source]")
{
    net::io_context ioc;
    auto strand = net::make_strand(ioc);
    sse::any_message_source src = std::vector{sse::message{}.data("s")};
    bool on_strand = false;
    bool called = false;
    src.async_next(net::bind_executor(strand, [&](sse::error_code, std::optional<sse::serialized>) {
        on_strand = strand.running_in_this_thread();
        called = true;
    }));
    ioc.run();
    CHECK(called);
    CHECK(on_strand);
}

TEST_CASE("any_message_source: the handler rule, the same on every Boost version", "[any_source]")
{
    // A handler needs an associated executor (a plain lambda is refused at
    // compile time: see tests/compile_fail/plain_lambda_*.cpp). One bound to
    // net::system_executor runs on the system's thread pool, as asked.
    net::io_context ioc;
    sse::any_message_source src = std::vector{sse::message{}.data("s")};
    struct result {
        sse::error_code ec;
        std::optional<sse::serialized> item;
        std::thread::id thread;
    };
    std::promise<result> ran;
    src.async_next(net::bind_executor(net::system_executor(), [&](sse::error_code ec, std::optional<sse::serialized> s) {
        ran.set_value({ec, std::move(s), std::this_thread::get_id()});
    }));
    auto f = ran.get_future();
    REQUIRE(f.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    auto const r = f.get();
    CHECK(!r.ec);
    CHECK((r.item && r.item->view() == "data: s\n\n"));
    CHECK(r.thread != std::this_thread::get_id());

    // A broadcaster subscription: an io_context's executor, bound.
    sse::broadcaster b;
    auto sub = b.subscribe("t");
    b.publish("t", sse::message{}.data("live"));
    std::optional<std::string> got;
    sub.async_next(net::bind_executor(ioc, [&](sse::error_code ec, std::optional<sse::serialized> s) {
        CHECK(!ec);
        if (s)
            got.emplace(s->view());
    }));
    CHECK(!got); // never inside async_next
    ioc.run();
    CHECK(got == "id: 1\ndata: live\n\n");
}

namespace {

// Counts the allocations made through it.
template <class T>
struct counting_allocator {
    using value_type = T;
    int* count;

    explicit counting_allocator(int* c) noexcept : count(c) {}
    template <class U>
    counting_allocator(counting_allocator<U> const& other) noexcept : count(other.count)
    {
    }

    T* allocate(std::size_t n)
    {
        ++*count;
        return std::allocator<T>().allocate(n);
    }
    void deallocate(T* p, std::size_t n) { std::allocator<T>().deallocate(p, n); }

    template <class U>
    bool operator==(counting_allocator<U> const& other) const noexcept
    {
        return count == other.count;
    }
};

} // namespace

TEST_CASE("any_message_source: the erased handler uses the handler's allocator", "[any_source]")
{
    net::io_context ioc;
    bool destroyed = false;
    sse::any_message_source src = plain_source(&destroyed);
    int count = 0;
    bool called = false;
    src.async_next(net::bind_allocator(
        counting_allocator<void>(&count),
        net::bind_executor(ioc, [&](sse::error_code, std::optional<sse::serialized>) { called = true; })
    ));
    CHECK(count == 1);
    ioc.run();
    CHECK(called);
}

TEST_CASE("any_message_source: cancellation reaches the wrapped source", "[any_source]")
{
    net::io_context ioc;

    SECTION("the slot is the caller's")
    {
        bool destroyed = false;
        std::optional<sse::any_message_source> src;
        src.emplace(waiting_source(&destroyed));
        net::cancellation_signal sig;
        outcome o;
        src->async_next(net::bind_cancellation_slot(
            sig.slot(),
            net::bind_executor(ioc, [&](sse::error_code ec, std::optional<sse::serialized> item) {
                o.ec = ec;
                o.item = std::move(item);
                o.called = true;
            })
        ));
        CHECK(sig.slot().has_handler()); // the wrapped source's handler, in our slot
        ioc.poll();
        CHECK(!o.called);
        sig.emit(net::cancellation_type::partial);
        ioc.restart();
        ioc.run();
        REQUIRE(o.called);
        CHECK(o.ec == net::error::operation_aborted);
        CHECK(!o.item);
        CHECK(!destroyed);
        src.reset();
        CHECK(destroyed);
    }

    SECTION("a coroutine's wait is cancelled, its frame destroyed with the wrapper")
    {
        bool destroyed = false;
        std::optional<sse::any_message_source> src;
        src.emplace(sleeper(ioc.get_executor(), &destroyed));

        auto first = next(ioc, *src);
        REQUIRE(first.item);
        CHECK(first.item->view() == "data: first\n\n");

        net::cancellation_signal sig;
        bool called = false;
        src->async_next(net::bind_cancellation_slot(
            sig.slot(),
            net::bind_executor(ioc, [&](sse::error_code, std::optional<sse::serialized>) { called = true; })
        ));
        ioc.restart();
        ioc.poll();
        CHECK(!called); // the coroutine sleeps for an hour
        sig.emit(net::cancellation_type::terminal);
        ioc.run(); // returns: the sleep was cancelled
        CHECK(called);
        CHECK(!destroyed);
        src.reset();
        ioc.restart();
        ioc.run(); // Asio destroys a coroutine frame on its executor
        CHECK(destroyed);
    }
}

TEST_CASE("any_message_source: try_take", "[any_source]")
{
    net::io_context ioc;

    SECTION("forwarded to a subscription")
    {
        sse::broadcaster hub;
        sse::any_message_source src = hub.subscribe("t");
        hub.publish("t", sse::message{}.data("1"));
        hub.publish("t", sse::message{}.data("2"));
        hub.publish("t", sse::message{}.data("3"));
        std::vector<sse::serialized> out;
        CHECK(src.try_take(out, 1024) == 3);
        REQUIRE(out.size() == 3);
        CHECK(out[0].view() == "id: 1\ndata: 1\n\n");
        CHECK(out[2].view() == "id: 3\ndata: 3\n\n");
        CHECK(src.try_take(out, 1024) == 0);
        CHECK(hub.subscriber_count("t") == 1);
        src = std::vector<sse::message>{};
        CHECK(hub.subscriber_count("t") == 0); // destroyed with the wrapper: unsubscribed
    }

    SECTION("messages converted")
    {
        backlog_source b;
        b.backlog.push_back(sse::message{}.data("x"));
        b.backlog.push_back(sse::message{}.data("y"));
        sse::any_message_source src = std::move(b);
        std::vector<sse::serialized> out;
        CHECK(src.try_take(out, 1024) == 2);
        REQUIRE(out.size() == 2);
        CHECK(out[1].view() == "data: y\n\n");
    }

    SECTION("a source without it takes nothing")
    {
        sse::any_message_source src = std::vector{sse::message{}.data("x")};
        std::vector<sse::serialized> out;
        CHECK(src.try_take(out, 1024) == 0);
        CHECK(out.empty());
    }
}

TEST_CASE("any_message_source: async_wait_failure, where the wrapped source has none", "[any_source]")
{
    static_assert(sse::detail::reports_failure<sse::subscription>);
    static_assert(sse::detail::reports_failure<sse::any_message_source>);
    net::io_context ioc;
    sse::any_message_source src(std::vector<sse::message>{sse::message{}.data("a")});
    CHECK(!src.reports_failure());
    CHECK(!sse::detail::source_reports_failure(src));
    std::optional<sse::error_code> result;
    src.async_wait_failure(net::bind_executor(ioc, [&](sse::error_code ec) { result = ec; }));
    CHECK(!result); // never inside the call
    ioc.run();
    REQUIRE(result);
    CHECK(*result == net::error::operation_not_supported);
    // The source goes on.
    ioc.restart();
    CHECK(drain(ioc, src) == "data: a\n\n");
}

TEST_CASE("any_message_source: stream_response converts", "[any_source]")
{
    net::io_context ioc;
    http::request<http::string_body> req{http::verb::get, "/", 11};
    req.set("Last-Event-ID", "7");
    sse::stream_response concrete{req, two(ioc.get_executor())};
    concrete.header().set("X-Custom", "1");
    sse::stream_response<sse::any_message_source> erased = std::move(concrete);
    CHECK(erased.header()["X-Custom"] == "1");
    CHECK(erased.last_event_id() == "7");
    CHECK(erased.keep_alive());
    CHECK(drain(ioc, erased.source()) == "id: 1\ndata: one\n\nevent: e\ndata: two\n\n");
}
