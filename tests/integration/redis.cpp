//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// sse::redis_backend against a real redis-server of the test's own: append,
// follow and replay; ids; MAXLEN trimming and the gap it leaves; several
// broadcasters (instances) on one Redis, publishing from several threads;
// resumption while others publish; Redis stopped and started again, empty.

// Test that header file is self-contained.
#include <sse/redis.hpp>

#include <sse/broadcaster.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/system_executor.hpp>
#include <boost/asio/use_future.hpp>

#include "catch.hpp"
#include "redis_server.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace net = boost::asio;
using namespace std::chrono_literals;

namespace {

// A completion handler run by the system executor (any thread). What it
// is handed that holds a subscription goes back to the test's thread: a
// subscription keeps its backend, and must not outlive the io_context the
// backend runs on.
template <class F>
auto anywhere(F f)
{
    return net::bind_executor(net::system_executor(), std::move(f));
}

// An io_context run by `n` threads for the test's life.
class runner {
public:
    explicit runner(int n = 1) : ioc_(n), guard_(net::make_work_guard(ioc_))
    {
        for (int i = 0; i < n; ++i)
            threads_.emplace_back([this] { ioc_.run(); });
    }

    ~runner()
    {
        guard_.reset();
        for (auto& t : threads_)
            t.join();
    }

    net::any_io_executor executor() { return ioc_.get_executor(); }

private:
    net::io_context ioc_;
    net::executor_work_guard<net::io_context::executor_type> guard_;
    std::vector<std::thread> threads_;
};

// One instance: a backend and the broadcaster on it. Closes the backend at
// the end, so that the runner's threads finish.
struct instance {
    std::shared_ptr<sse::redis_backend> backend;
    sse::broadcaster hub;

    instance(net::any_io_executor ex, unsigned short port, sse::broadcaster_options o = {})
        : backend(std::make_shared<sse::redis_backend>(ex, options(port)))
        , hub(std::move(o), backend)
    {
        wait_connected();
    }

    ~instance() { backend->close(); }

    static sse::redis_options options(unsigned short port)
    {
        sse::redis_options o;
        o.port = port;
        o.reconnect_max = 200ms;
        return o;
    }

    void wait_connected(std::chrono::milliseconds limit = 5s)
    {
        auto const until = std::chrono::steady_clock::now() + limit;
        while (!backend->connected()) {
            if (std::chrono::steady_clock::now() > until)
                throw std::runtime_error("the backend did not connect");
            std::this_thread::sleep_for(5ms);
        }
    }

    // Subscribes, once the topic is live here (async_subscribe).
    sse::subscription subscribe(std::string const& topic, std::optional<std::string> last = std::nullopt)
    {
        std::promise<sse::subscription> p;
        hub.async_subscribe(topic, last, anywhere([&p](sse::error_code, sse::subscription sub) { p.set_value(std::move(sub)); }));
        return p.get_future().get();
    }

    // Publishes `data`; the id, or the error.
    std::pair<sse::error_code, std::string> publish(std::string const& topic, std::string const& data)
    {
        std::promise<std::pair<sse::error_code, std::string>> p;
        auto f = p.get_future();
        hub.async_publish(topic, sse::message{}.data(data), anywhere([&p](sse::error_code ec, std::string id) {
            p.set_value({ec, std::move(id)});
        }));
        if (f.wait_for(5s) != std::future_status::ready)
            throw std::runtime_error("publish did not complete");
        return f.get();
    }

    std::string must_publish(std::string const& topic, std::string const& data)
    {
        auto [ec, id] = publish(topic, data);
        if (ec)
            throw std::runtime_error("publish failed: " + ec.message());
        return id;
    }
};

// The next event of a subscription as wire text; nothing after `limit`.
std::optional<std::string> next(sse::subscription& sub, std::chrono::milliseconds limit = 5s)
{
    std::promise<std::optional<std::string>> p;
    auto f = p.get_future();
    net::cancellation_signal cancel;
    // A cancellation slot belongs to its operation's executor: the wait
    // completes on a strand, and the cancellation is emitted there, never
    // while the completion clears the slot on another thread.
    auto strand = net::make_strand(net::system_executor());
    sub.async_next(net::bind_cancellation_slot(cancel.slot(), net::bind_executor(strand, [&p](sse::error_code ec, std::optional<sse::serialized> s) {
        if (ec || !s)
            p.set_value(std::nullopt);
        else
            p.set_value(std::string(s->view()));
    })));
    if (f.wait_for(limit) != std::future_status::ready) {
        std::promise<void> emitted;
        net::post(strand, [&] {
            cancel.emit(net::cancellation_type::terminal);
            emitted.set_value();
        });
        emitted.get_future().wait();
        f.wait();
    }
    return f.get();
}

std::string event(std::string const& id, std::string const& data)
{
    return "id: " + id + "\ndata: " + data + "\n\n";
}

// The id and data of an `id: ...\ndata: ...\n\n` event.
std::pair<std::string, std::string> fields(std::string const& wire)
{
    auto const nl = wire.find('\n');
    REQUIRE(wire.rfind("id: ", 0) == 0);
    REQUIRE(wire.compare(nl + 1, 6, "data: ") == 0);
    return {wire.substr(4, nl - 4), wire.substr(nl + 7, wire.size() - nl - 9)};
}

} // namespace

TEST_CASE("redis: a published event reaches the subscribers with its entry id")
{
    sse::test::redis_server redis;
    runner run;
    instance a(run.executor(), redis.port());

    auto sub = a.subscribe("prices");
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i)
        ids.push_back(a.must_publish("prices", "tick " + std::to_string(i)));
    REQUIRE(a.backend->before(ids[0], ids[1]));
    REQUIRE(a.backend->before(ids[1], ids[2]));
    for (int i = 0; i < 3; ++i)
        CHECK(next(sub) == event(ids[i], "tick " + std::to_string(i)));

    SECTION("an event named and with several lines keeps its form")
    {
        std::promise<std::string> p;
        a.hub.async_publish("prices", sse::message{}.event("quote").data("a\nb"), anywhere([&](sse::error_code ec, std::string id) {
            p.set_value(ec ? "" : id);
        }));
        auto const id = p.get_future().get();
        REQUIRE(!id.empty());
        CHECK(next(sub) == "id: " + id + "\nevent: quote\ndata: a\ndata: b\n\n");
    }
    SECTION("a message with an id of its own is refused; publish() asks for async_publish")
    {
        std::promise<sse::error_code> p;
        a.hub.async_publish("prices", sse::message{}.id("7").data("x"), anywhere([&](sse::error_code ec, std::string) { p.set_value(ec); }));
        CHECK(p.get_future().get() == sse::error::id_not_allowed);
        CHECK_THROWS_AS(a.hub.publish("prices", sse::message{}.data("x")), std::logic_error);
        CHECK_FALSE(next(sub, 200ms));
    }
    SECTION("another topic is another stream")
    {
        a.must_publish("other", "x");
        CHECK_FALSE(next(sub, 200ms));
    }
}

TEST_CASE("redis: a subscriber resumes after an id, with no gap and no duplicate")
{
    sse::test::redis_server redis;
    runner run(2);
    instance a(run.executor(), redis.port());
    instance b(run.executor(), redis.port());

    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i)
        ids.push_back(a.must_publish("t", std::to_string(i)));

    SECTION("on another instance, then live")
    {
        auto sub = b.hub.subscribe("t", ids[1]);
        for (int i = 2; i < 5; ++i)
            CHECK(next(sub) == event(ids[i], std::to_string(i)));
        auto const id = a.must_publish("t", "5");
        CHECK(next(sub) == event(id, "5"));
        CHECK_FALSE(next(sub, 100ms));
    }
    SECTION("after the newest id: nothing but live events")
    {
        auto sub = b.hub.subscribe("t", ids[4]);
        CHECK_FALSE(next(sub, 200ms));
        auto const id = a.must_publish("t", "5");
        CHECK(next(sub) == event(id, "5"));
    }
    SECTION("an id that is not an entry id: a gap event, then all that is held")
    {
        auto sub = b.hub.subscribe("t", "banana");
        CHECK(next(sub) == "event: gap\ndata: banana\n\n");
        for (int i = 0; i < 5; ++i)
            CHECK(next(sub) == event(ids[i], std::to_string(i)));
    }
    SECTION("an entry id this stream never held: a gap event")
    {
        auto sub = b.hub.subscribe("t", "1-1");
        CHECK(next(sub) == "event: gap\ndata: 1-1\n\n");
        CHECK(next(sub) == event(ids[0], "0"));
    }
    SECTION("after an id this instance has not read yet")
    {
        // b follows the topic, but resumes after an event the moment a
        // published it, before b's reader may have brought it: that event
        // must not come live afterwards.
        auto standing = b.subscribe("t");
        for (int i = 0; i < 100; ++i) {
            auto const k = a.must_publish("t", "k" + std::to_string(i));
            auto sub = b.hub.subscribe("t", k);
            auto const next_id = a.must_publish("t", "n" + std::to_string(i));
            REQUIRE(next(sub) == event(next_id, "n" + std::to_string(i)));
        }
    }
    SECTION("while another instance publishes as fast as it can")
    {
        // Resumptions at every moment of a burst: each one must see the
        // sequence from its id on, exactly once each, in order.
        std::atomic<bool> done = false;
        std::vector<std::string> published = ids;
        std::mutex m;
        std::thread publisher([&] {
            for (int i = 5; i < 400; ++i) {
                auto id = a.must_publish("t", std::to_string(i));
                std::lock_guard lock(m);
                published.push_back(id);
            }
            done = true;
        });
        std::vector<std::pair<std::size_t, sse::subscription>> subs;
        for (int k = 0; k < 20; ++k) {
            std::size_t from;
            std::string id;
            {
                std::lock_guard lock(m);
                from = published.size() - 1;
                id = published[from];
            }
            subs.emplace_back(from, b.hub.subscribe("t", id));
            std::this_thread::sleep_for(3ms);
        }
        publisher.join();
        for (auto& [from, sub] : subs) {
            for (std::size_t i = from + 1; i < published.size(); ++i) {
                auto const e = next(sub);
                REQUIRE(e);
                REQUIRE(*e == event(published[i], std::to_string(i)));
            }
            CHECK_FALSE(next(sub, 50ms));
        }
    }
}

TEST_CASE("redis: async_subscribe completes once the topic is live on this instance")
{
    sse::test::redis_server redis;
    runner run(2);
    instance a(run.executor(), redis.port());
    instance b(run.executor(), redis.port());

    // A topic new to b each time, published on a the moment b's
    // subscription completes: subscribe() alone would miss some.
    for (int i = 0; i < 50; ++i) {
        auto const topic = "new" + std::to_string(i);
        std::promise<sse::subscription> p;
        b.hub.async_subscribe(topic, std::nullopt, anywhere([&](sse::error_code ec, sse::subscription sub) {
            REQUIRE(!ec);
            p.set_value(std::move(sub));
        }));
        auto sub = p.get_future().get();
        auto const id = a.must_publish(topic, "first");
        REQUIRE(next(sub) == event(id, "first"));
    }
}

TEST_CASE("redis: async_subscribe on an instance still connecting waits for its connection")
{
    // The race of an instance just started: a subscription made before its
    // connection is up completes only once the topic is live there, so an
    // event published elsewhere the moment it completes is not missed.
    sse::test::redis_server redis;
    runner run(2);
    instance a(run.executor(), redis.port());
    for (int i = 0; i < 10; ++i) {
        auto const topic = "early" + std::to_string(i);
        auto backend = std::make_shared<sse::redis_backend>(run.executor(), instance::options(redis.port()));
        sse::broadcaster hub({}, backend);
        std::promise<std::pair<sse::error_code, sse::subscription>> p;
        hub.async_subscribe(topic, std::nullopt, anywhere([&](sse::error_code ec, sse::subscription sub) {
            p.set_value({ec, std::move(sub)});
        }));
        auto [ec, sub] = p.get_future().get();
        REQUIRE(!ec);
        auto const id = a.must_publish(topic, "first");
        CHECK(next(sub) == event(id, "first"));
        backend->close();
    }
}

TEST_CASE("redis: async_subscribe while Redis is unreachable reports it")
{
    // Nothing listens on the port: the subscription cannot be live.
    runner run;
    auto backend = std::make_shared<sse::redis_backend>(run.executor(), instance::options(sse::test::free_port()));
    sse::broadcaster hub({}, backend);
    for (int i = 0; i < 3; ++i) {
        std::promise<std::pair<sse::error_code, sse::subscription>> p;
        hub.async_subscribe("t", std::nullopt, anywhere([&](sse::error_code ec, sse::subscription sub) {
            p.set_value({ec, std::move(sub)});
        }));
        auto f = p.get_future();
        REQUIRE(f.wait_for(10s) == std::future_status::ready);
        CHECK(f.get().first == sse::error::backend_unavailable);
    }
    backend->close();
}

TEST_CASE("redis: the stream is trimmed to about history_count; a trimmed id gets a gap event")
{
    sse::test::redis_server redis;
    runner run;
    sse::broadcaster_options o;
    o.history_count = 10;
    instance a(run.executor(), redis.port(), o);

    std::vector<std::string> ids;
    for (int i = 0; i < 1000; ++i)
        ids.push_back(a.must_publish("t", std::to_string(i)));

    // MAXLEN ~ 10 keeps at least 10 and trims whole nodes (100 entries by default).
    auto sub = a.hub.subscribe("t", ids[0]);
    CHECK(next(sub) == "event: gap\ndata: " + ids[0] + "\n\n");
    // The replay gives the newest history_count held.
    for (int i = 990; i < 1000; ++i)
        CHECK(next(sub) == event(ids[i], std::to_string(i)));
    CHECK_FALSE(next(sub, 100ms));

    SECTION("an id still held: no gap")
    {
        auto s2 = a.hub.subscribe("t", ids[995]);
        for (int i = 996; i < 1000; ++i)
            CHECK(next(s2) == event(ids[i], std::to_string(i)));
    }
}

TEST_CASE("redis: instances publishing from several threads see one order")
{
    sse::test::redis_server redis;
    runner run(2);
    std::vector<std::unique_ptr<instance>> instances;
    for (int i = 0; i < 3; ++i)
        instances.push_back(std::make_unique<instance>(run.executor(), redis.port()));
    std::vector<sse::subscription> subs;
    for (auto& in : instances) {
        for (int s = 0; s < 3; ++s)
            subs.push_back(in->subscribe("t"));
    }

    int const per_thread = 200;
    std::vector<std::thread> threads;
    std::mutex m;
    std::map<std::string, std::string> published; // id -> data
    for (int t = 0; t < 6; ++t) {
        threads.emplace_back([&, t] {
            auto& in = *instances[static_cast<std::size_t>(t % 3)];
            for (int i = 0; i < per_thread; ++i) {
                auto data = std::to_string(t) + "." + std::to_string(i);
                auto id = in.must_publish("t", data);
                std::lock_guard lock(m);
                published.emplace(id, data);
            }
        });
    }
    for (auto& t : threads)
        t.join();
    REQUIRE(published.size() == 6 * per_thread);

    std::vector<std::string> first;
    for (auto& sub : subs) {
        std::vector<std::string> got;
        for (std::size_t i = 0; i < published.size(); ++i) {
            auto const e = next(sub);
            REQUIRE(e);
            auto const [id, data] = fields(*e);
            REQUIRE(published.at(id) == data); // the id the publisher was given
            got.push_back(id);
        }
        CHECK_FALSE(next(sub, 50ms));
        if (first.empty())
            first = got;
        REQUIRE(got == first); // one order everywhere: the entry ids' order
    }
    for (std::size_t i = 1; i < first.size(); ++i)
        REQUIRE(instances[0]->backend->before(first[i - 1], first[i]));
}

TEST_CASE("redis: Redis down, then back")
{
    sse::test::redis_server redis;
    runner run;
    instance a(run.executor(), redis.port());
    auto sub = a.subscribe("t");
    auto const first = a.must_publish("t", "before");
    CHECK(next(sub) == event(first, "before"));

    redis.stop();
    auto const until = std::chrono::steady_clock::now() + 5s;
    while (a.backend->connected() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(5ms);
    REQUIRE_FALSE(a.backend->connected());

    // Publishing says so; the subscription stays open and quiet.
    auto const [ec, id] = a.publish("t", "lost");
    CHECK(ec == sse::error::backend_unavailable);
    CHECK(id.empty());
    CHECK_FALSE(next(sub, 100ms));

    // A resumption waits for Redis.
    auto resumed = a.hub.subscribe("t", first);

    // Back, empty: what followed the last delivered entry is gone.
    redis.start();
    a.wait_connected();
    CHECK(next(sub) == "event: gap\ndata: " + first + "\n\n");
    CHECK(next(resumed) == "event: gap\ndata: " + first + "\n\n");
    auto const after = a.must_publish("t", "after");
    CHECK(next(sub) == event(after, "after"));
    CHECK(next(resumed) == event(after, "after"));
    CHECK_FALSE(next(sub, 100ms));
}

TEST_CASE("redis: a Redis that hangs fails publishes after answer_timeout, and is reconnected to")
{
    sse::test::redis_server redis;
    runner run;
    auto o = instance::options(redis.port());
    o.answer_timeout = 300ms;
    auto backend = std::make_shared<sse::redis_backend>(run.executor(), o);
    sse::broadcaster hub({}, backend);
    auto const until = std::chrono::steady_clock::now() + 5s;
    while (!backend->connected() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(5ms);
    REQUIRE(backend->connected());

    redis.pause();
    std::promise<sse::error_code> p;
    auto const start = std::chrono::steady_clock::now();
    hub.async_publish("t", sse::message{}.data("x"), anywhere([&](sse::error_code ec, std::string) { p.set_value(ec); }));
    auto f = p.get_future();
    REQUIRE(f.wait_for(5s) == std::future_status::ready);
    CHECK(f.get() == sse::error::backend_unavailable);
    CHECK(std::chrono::steady_clock::now() - start >= 300ms);
    CHECK_FALSE(backend->connected());

    redis.resume();
    std::string id;
    for (int i = 0; i < 100 && id.empty(); ++i) {
        std::promise<std::string> q;
        hub.async_publish("t", sse::message{}.data("y"), anywhere([&](sse::error_code ec, std::string got) { q.set_value(ec ? "" : got); }));
        id = q.get_future().get();
        if (id.empty())
            std::this_thread::sleep_for(50ms);
    }
    CHECK(!id.empty());
    backend->close();
}

TEST_CASE("redis: unreachable at start; connects once Redis is there")
{
    auto const port = sse::test::free_port();
    runner run;
    auto backend = std::make_shared<sse::redis_backend>(run.executor(), instance::options(port));
    sse::broadcaster hub({}, backend);
    auto sub = hub.subscribe("t");
    std::promise<sse::error_code> p;
    hub.async_publish("t", sse::message{}.data("x"), anywhere([&](sse::error_code ec, std::string) { p.set_value(ec); }));
    CHECK(p.get_future().get() == sse::error::backend_unavailable);

    sse::test::redis_server redis(port);
    auto const until = std::chrono::steady_clock::now() + 5s;
    while (!backend->connected() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(5ms);
    REQUIRE(backend->connected());
    // Once a second subscription is live, so is the first.
    std::promise<sse::subscription> live;
    hub.async_subscribe("t", std::nullopt, anywhere([&](sse::error_code, sse::subscription s) { live.set_value(std::move(s)); }));
    auto const second = live.get_future().get();
    std::promise<std::string> q;
    hub.async_publish("t", sse::message{}.data("y"), anywhere([&](sse::error_code ec, std::string id) { q.set_value(ec ? "" : id); }));
    auto const id = q.get_future().get();
    REQUIRE(!id.empty());
    CHECK(next(sub) == event(id, "y"));
    backend->close();
}
