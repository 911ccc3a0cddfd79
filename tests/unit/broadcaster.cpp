//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Test that header file is self-contained.
#include <sse/broadcaster.hpp>

#include <sse/parser.hpp>
#include <sse/sources/any.hpp>
#include <sse/stream_response.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include "catch.hpp"
#include "loopback.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace sse::test;
namespace http = boost::beast::http;
namespace beast = boost::beast;

namespace {

// Reads a subscription on an executor until it has `want` events, or fails.
struct reader : std::enable_shared_from_this<reader> {
    sse::subscription sub;
    net::strand<net::io_context::executor_type> strand;
    std::size_t want;
    std::string wire;
    std::atomic<std::size_t> got{0};
    sse::error_code ec;
    latch_value<bool> done;

    reader(sse::subscription s, net::io_context& ioc, std::size_t n)
        : sub(std::move(s))
        , strand(net::make_strand(ioc))
        , want(n)
    {
    }

    void start()
    {
        net::dispatch(strand, [self = shared_from_this()] { self->next(); });
    }

    void next()
    {
        if (got == want) {
            done.set(true);
            return;
        }
        sub.async_next(net::bind_executor(strand, [self = shared_from_this()](sse::error_code e, std::optional<sse::serialized> s) {
            if (e || !s) {
                self->ec = e;
                self->done.set(true);
                return;
            }
            self->wire += s->view();
            ++self->got;
            self->next();
        }));
    }

    std::vector<sse::event> events() const { return sse::parse_events(wire); }
};

// Options with publish_ahead = n.
sse::broadcaster_options ahead(std::size_t n)
{
    sse::broadcaster_options o;
    o.publish_ahead = n;
    return o;
}

// Adds `n` readers of topic "t" on `ioc`, each for `want` events, that
// wait from now on (the context need not run).
void add_waiting_readers(std::vector<std::shared_ptr<reader>>& readers, sse::broadcaster& hub, net::io_context& ioc, std::size_t n, std::size_t want)
{
    for (std::size_t i = 0; i < n; ++i) {
        readers.push_back(std::make_shared<reader>(hub.subscribe("t"), ioc, want));
        readers.back()->next();
    }
}

// The events the readers got, in all.
std::size_t total_got(std::vector<std::shared_ptr<reader>> const& readers)
{
    std::size_t n = 0;
    for (auto const& rd : readers)
        n += rd->got;
    return n;
}

// Runs an io_context on a few threads for the life of the object.
struct runner {
    net::io_context ioc;
    net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
    std::vector<std::thread> threads;

    explicit runner(int n)
    {
        for (int i = 0; i < n; ++i)
            threads.emplace_back([this] { ioc.run(); });
    }
    ~runner()
    {
        work.reset();
        ioc.stop();
        for (auto& t : threads)
            t.join();
    }
};

std::vector<std::string> ids_of(std::vector<sse::event> const& events)
{
    std::vector<std::string> ids;
    for (auto const& e : events)
        ids.push_back(e.id);
    return ids;
}

[[maybe_unused]] std::vector<std::string> range_ids(int from, int to)
{
    std::vector<std::string> v;
    for (int i = from; i <= to; ++i)
        v.push_back(std::to_string(i));
    return v;
}

} // namespace

TEST_CASE("broadcaster: ids, history and live events", "[broadcaster]")
{
    sse::broadcaster hub;
    CHECK(hub.publish("t", sse::message{}.data("a")) == "1");
    CHECK(hub.publish("t", sse::message{}.data("b")) == "2");
    CHECK(hub.publish("other", sse::message{}.data("x")) == "1"); // ids are per topic
    CHECK(hub.publish("t", sse::message{}.id("custom").data("c")) == "custom");
    CHECK(hub.publish("t", sse::message{}.data("d")) == "3");

    runner r(1);
    SECTION("without a last id: live events only")
    {
        auto rd = std::make_shared<reader>(hub.subscribe("t"), r.ioc, 1);
        rd->start();
        hub.publish("t", sse::message{}.event("e").data("live"));
        REQUIRE(rd->done.wait());
        auto const ev = rd->events();
        REQUIRE(ev.size() == 1);
        CHECK(ev[0] == sse::event("e", "live", "4"));
    }
    SECTION("resuming after an id in the history")
    {
        auto rd = std::make_shared<reader>(hub.subscribe("t", std::string_view("2")), r.ioc, 3);
        rd->start();
        hub.publish("t", sse::message{}.data("e"));
        REQUIRE(rd->done.wait());
        CHECK(ids_of(rd->events()) == std::vector<std::string>{"custom", "3", "4"});
    }
    SECTION("resuming after the newest id: nothing old")
    {
        auto rd = std::make_shared<reader>(hub.subscribe("t", std::string_view("3")), r.ioc, 1);
        rd->start();
        hub.publish("t", sse::message{}.data("e"));
        REQUIRE(rd->done.wait());
        CHECK(ids_of(rd->events()) == std::vector<std::string>{"4"});
    }
    SECTION("an unknown id: a gap event, then all the history")
    {
        auto rd = std::make_shared<reader>(hub.subscribe("t", std::string_view("nope")), r.ioc, 5);
        rd->start();
        REQUIRE(rd->done.wait());
        auto const ev = rd->events();
        REQUIRE(ev.size() == 5);
        CHECK(ev[0].type == "gap");
        CHECK(ev[0].data == "nope");
        CHECK(ev[0].id.empty()); // the gap carries no id
        CHECK(ids_of(ev) == std::vector<std::string>{"", "1", "2", "custom", "3"});
    }
}

TEST_CASE("broadcaster: a bounded history, and ids older than it", "[broadcaster]")
{
    sse::broadcaster_options o;
    o.history_count = 3;
    sse::broadcaster hub(o);
    for (int i = 0; i < 10; ++i)
        hub.publish(sse::message{}.data("m"));
    runner r(1);
    auto rd = std::make_shared<reader>(hub.subscribe("", std::string_view("2")), r.ioc, 4);
    rd->start();
    REQUIRE(rd->done.wait());
    auto const ev = rd->events();
    CHECK(ev[0].type == "gap");
    CHECK(ids_of(ev) == std::vector<std::string>{"", "8", "9", "10"});

    SECTION("by bytes too")
    {
        sse::broadcaster_options ob;
        ob.history_bytes = 100;
        sse::broadcaster small(ob);
        for (int i = 0; i < 10; ++i)
            small.publish(sse::message{}.data(std::string(30, 'x'))); // ~45 bytes each
        auto rd2 = std::make_shared<reader>(small.subscribe("", std::string_view("1")), r.ioc, 3);
        rd2->start();
        REQUIRE(rd2->done.wait());
        CHECK(ids_of(rd2->events()) == std::vector<std::string>{"", "9", "10"});
    }
}

TEST_CASE("broadcaster: slow subscribers", "[broadcaster]")
{
    sse::broadcaster_options o;
    o.max_subscriber_bytes = 200;
    runner r(1);
    SECTION("disconnect")
    {
        sse::broadcaster hub(o);
        auto sub = hub.subscribe("t");
        for (int i = 0; i < 20; ++i)
            hub.publish("t", sse::message{}.data("0123456789"));
        CHECK(sub.queued() == 0); // dropped with the subscriber
        auto rd = std::make_shared<reader>(std::move(sub), r.ioc, 1);
        rd->start();
        REQUIRE(rd->done.wait());
        CHECK(rd->ec == sse::error::slow_subscriber);
    }
    SECTION("skip to the newest")
    {
        o.slow_policy = sse::slow_subscriber_policy::skip_to_newest;
        sse::broadcaster hub(o);
        auto sub = hub.subscribe("t");
        for (int i = 0; i < 20; ++i)
            hub.publish("t", sse::message{}.data("0123456789"));
        auto const q = sub.queued();
        CHECK(q < 20);
        auto rd = std::make_shared<reader>(std::move(sub), r.ioc, q);
        rd->start();
        REQUIRE(rd->done.wait());
        CHECK(!rd->ec);
        auto const ev = rd->events();
        REQUIRE(!ev.empty());
        CHECK(ev[0].type == "gap");
        CHECK(std::stoi(ev[0].data) > 0);
        CHECK(ev.back().id == "20"); // the newest is kept
        // After the gap, the ids run without a hole to the newest.
        for (std::size_t i = 2; i < ev.size(); ++i)
            CHECK(std::stoi(ev[i].id) == std::stoi(ev[i - 1].id) + 1);
    }
    SECTION("one slow subscriber does not hold back the others")
    {
        sse::broadcaster hub(o);
        auto slow = hub.subscribe("t");
        auto fast = std::make_shared<reader>(hub.subscribe("t"), r.ioc, 20);
        fast->start();
        for (int i = 0; i < 20; ++i) {
            hub.publish("t", sse::message{}.data("0123456789"));
            // Let the fast reader keep up, as a live connection would: wait
            // for it to take this event (a deadline bounds a failure).
            auto const until = std::chrono::steady_clock::now() + deadline;
            while (fast->got < static_cast<std::size_t>(i + 1) && !fast->done.is_set() &&
                   std::chrono::steady_clock::now() < until)
                std::this_thread::yield();
        }
        REQUIRE(fast->done.wait());
        CHECK(fast->got == 20);
        CHECK(!fast->ec);
    }
}

TEST_CASE("broadcaster: taking a backlog without waiting", "[broadcaster]")
{
    sse::broadcaster hub;
    auto sub = hub.subscribe("t");
    for (int i = 0; i < 10; ++i)
        hub.publish("t", sse::message{}.data("0123456789")); // 24 bytes each with its id
    std::vector<sse::serialized> out;
    CHECK(sub.try_take(out, 50) == 2);
    CHECK(sub.try_take(out, 1) == 1); // at least one
    CHECK(sub.try_take(out, 1000) == 7);
    CHECK(sub.try_take(out, 1000) == 0);
    std::string wire;
    for (auto const& s : out)
        wire += s.view();
    CHECK(ids_of(sse::parse_events(wire)) == range_ids(1, 10));
}

TEST_CASE("broadcaster: unsubscribing and freeing topics", "[broadcaster]")
{
    sse::broadcaster hub;
    {
        auto a = hub.subscribe("room");
        auto b = hub.subscribe("room");
        CHECK(hub.subscriber_count("room") == 2);
        CHECK(hub.topic_count() == 1);
    }
    CHECK(hub.subscriber_count("room") == 0);
    CHECK(hub.topic_count() == 0); // no subscribers, no history: freed
    hub.publish("room", sse::message{}.data("kept"));
    {
        auto c = hub.subscribe("room");
    }
    CHECK(hub.topic_count() == 1); // its history keeps it

    SECTION("publishing with no subscribers costs no queue")
    {
        for (int i = 0; i < 100; ++i)
            hub.publish("empty", sse::message{}.data("x"));
        CHECK(hub.subscriber_count("empty") == 0);
    }
    SECTION("a subscription may outlive the broadcaster")
    {
        auto sub = std::make_unique<sse::broadcaster>();
        auto s = sub->subscribe("x");
        sub.reset();
    }
}

TEST_CASE("broadcaster: the last id from a request", "[broadcaster]")
{
    sse::broadcaster_options o;
    o.last_event_id_param = "lastEventId";
    sse::broadcaster hub(o);
    for (int i = 0; i < 5; ++i)
        hub.publish("t", sse::message{}.data("m"));
    runner r(1);
    auto read_from = [&](http::request<http::string_body> const& req, std::size_t n) {
        auto rd = std::make_shared<reader>(hub.subscribe(req, "t"), r.ioc, n);
        rd->start();
        REQUIRE(rd->done.wait());
        return ids_of(rd->events());
    };
    http::request<http::string_body> req{http::verb::get, "/events?room=t&lastEventId=3", 11};
    CHECK(read_from(req, 2) == std::vector<std::string>{"4", "5"});
    req.set("Last-Event-ID", "4"); // the header wins
    CHECK(read_from(req, 1) == std::vector<std::string>{"5"});
    http::request<http::string_body> encoded{http::verb::get, "/e?lastEventId=%34", 11};
    CHECK(read_from(encoded, 1) == std::vector<std::string>{"5"});
}

TEST_CASE("broadcaster: publishing on the thread a subscriber waits on", "[broadcaster]")
{
    // The waiting handler must be posted, never run inside publish: run
    // inline, it would re-enter the subscription under the topic's lock.
    sse::broadcaster hub;
    net::io_context ioc;
    auto rd = std::make_shared<reader>(hub.subscribe("t"), ioc, 3);
    rd->start();
    ioc.poll(); // the reader now waits
    ioc.restart();
    net::post(ioc, [&] {
        for (int i = 0; i < 3; ++i)
            hub.publish("t", sse::message{}.data("x"));
    });
    ioc.run_for(std::chrono::seconds(10));
    REQUIRE(rd->done.is_set());
    CHECK(ids_of(rd->events()) == range_ids(1, 3));
}

TEST_CASE("broadcaster: cancelling a wait", "[broadcaster]")
{
    sse::broadcaster hub;
    runner r(1);
    auto sub = hub.subscribe("t");
    net::cancellation_signal sig;
    latch_value<sse::error_code> result;
    auto strand = net::make_strand(r.ioc);
    net::dispatch(strand, [&] {
        sub.async_next(net::bind_cancellation_slot(sig.slot(), net::bind_executor(strand, [&](sse::error_code ec, std::optional<sse::serialized>) {
            result.set(ec);
        })));
    });
    net::dispatch(strand, [&] { sig.emit(net::cancellation_type::terminal); });
    auto const ec = result.wait();
    REQUIRE(ec);
    CHECK(*ec == net::error::operation_aborted);
}

namespace {

// One subscriber that waits and cancels its own wait, over and over, on its
// own strand: the cancellation signal lives there, and only there may its
// slot be installed, cleared or emitted. Each round drains what is queued
// first, so that the wait is a real one, then races its cancellation with
// the publisher; it goes on until both outcomes were seen many times.
struct canceller : std::enable_shared_from_this<canceller> {
    sse::subscription sub;
    net::strand<net::io_context::executor_type> strand;
    net::cancellation_signal signal;
    std::chrono::steady_clock::time_point until;
    std::vector<sse::serialized> drained;
    int delivered = 0;
    int aborted = 0;
    latch_value<bool> done;

    canceller(sse::subscription s, net::io_context& ioc)
        : sub(std::move(s))
        , strand(net::make_strand(ioc))
        , until(std::chrono::steady_clock::now() + std::chrono::seconds(20))
    {
    }

    void start()
    {
        net::dispatch(strand, [self = shared_from_this()] { self->round(); });
    }

    void round()
    {
        if ((delivered >= 200 && aborted >= 200) || std::chrono::steady_clock::now() > until) {
            done.set(true);
            return;
        }
        drained.clear();
        sub.try_take(drained, std::size_t(-1));
        auto self = shared_from_this();
        sub.async_next(net::bind_cancellation_slot(
            signal.slot(),
            net::bind_executor(strand, [self](sse::error_code ec, std::optional<sse::serialized> s) {
                if (ec == net::error::operation_aborted)
                    ++self->aborted;
                else if (!ec && s)
                    ++self->delivered;
                self->round();
            })
        ));
        // The cancellation races with the publisher on the other thread.
        net::post(strand, [self] { self->signal.emit(net::cancellation_type::terminal); });
    }
};

} // namespace

TEST_CASE("broadcaster: a wait cancelled on one thread while another publishes", "[broadcaster][threads]")
{
    // Each subscriber cancels its own wait on its strand while a publisher
    // on another thread delivers to it: the publisher must never touch the
    // waiting operation's cancellation slot (a use-after-free once did).
    sse::broadcaster_options o;
    o.history_count = 16;
    o.slow_policy = sse::slow_subscriber_policy::skip_to_newest;
    sse::broadcaster hub(o);
    runner r(2);
    std::vector<std::shared_ptr<canceller>> subs;
    for (int i = 0; i < 8; ++i)
        subs.push_back(std::make_shared<canceller>(hub.subscribe("t"), r.ioc));
    std::atomic<bool> stop{false};
    std::thread publisher([&] {
        while (!stop) {
            for (int i = 0; i < 4; ++i)
                hub.publish("t", sse::message{}.data("x"));
            std::this_thread::sleep_for(std::chrono::microseconds(20));
        }
    });
    struct joiner {
        std::atomic<bool>& stop;
        std::thread& t;
        ~joiner()
        {
            stop = true;
            t.join();
        }
    } join_publisher{stop, publisher};
    for (auto& s : subs)
        s->start();
    int delivered = 0;
    int aborted = 0;
    for (auto& s : subs) {
        // Set on the strand after its last round: the counts are final.
        REQUIRE(s->done.wait(std::chrono::seconds(60)));
        delivered += s->delivered;
        aborted += s->aborted;
    }
    // Both outcomes happened: the race was run, many times over.
    INFO("delivered " << delivered << ", aborted " << aborted);
    CHECK(delivered > 0);
    CHECK(aborted > 0);
}

TEST_CASE("broadcaster: order and completeness across threads", "[broadcaster][threads]")
{
    constexpr int subscribers = 100;
    constexpr int publishers = 4;
    constexpr int per_publisher = 250;
    constexpr int total = publishers * per_publisher;
    sse::broadcaster hub;
    runner r(4);
    std::vector<std::shared_ptr<reader>> readers;
    for (int i = 0; i < subscribers; ++i) {
        readers.push_back(std::make_shared<reader>(hub.subscribe("t"), r.ioc, total));
        readers.back()->start();
    }
    std::vector<std::thread> pubs;
    for (int p = 0; p < publishers; ++p)
        pubs.emplace_back([&, p] {
            for (int i = 0; i < per_publisher; ++i)
                hub.publish("t", sse::message{}.event("p" + std::to_string(p)).data(std::to_string(i)));
        });
    for (auto& t : pubs)
        t.join();
    auto const expected = range_ids(1, total);
    for (auto& rd : readers) {
        REQUIRE(rd->done.wait());
        CHECK(!rd->ec);
        auto const ev = rd->events();
        CHECK(ids_of(ev) == expected);
        // Each publisher's events arrive in the order it published them.
        std::vector<int> last(publishers, -1);
        for (auto const& e : ev) {
            int const p = e.type[1] - '0';
            CHECK(std::stoi(e.data) == last[p] + 1);
            last[p] = std::stoi(e.data);
        }
    }
}

TEST_CASE("broadcaster: one publish wakes its subscribers in a few sweeps, not a post each", "[broadcaster]")
{
    // Subscribers on strands of one io_context, run by this thread: the
    // publish posts one sweep, which runs every handler on its strand there
    // and then, a few at a time (the part size is 8), not a post per
    // subscriber.
    constexpr std::size_t subscribers = 200;
    sse::broadcaster hub;
    net::io_context ioc;
    auto const work = net::make_work_guard(ioc); // poll() never runs out of work
    std::vector<std::shared_ptr<reader>> readers;
    for (std::size_t i = 0; i < subscribers; ++i) {
        readers.push_back(std::make_shared<reader>(hub.subscribe("t"), ioc, 2));
        readers.back()->start();
    }
    ioc.poll(); // every reader waits
    for (int round = 1; round <= 2; ++round) {
        hub.publish("t", sse::message{}.data("x"));
        for (auto const& rd : readers)
            REQUIRE(rd->got == static_cast<std::size_t>(round - 1)); // never inside publish
        std::size_t const turns = ioc.poll();
        CHECK(turns <= subscribers / 8 + 1);
        for (auto const& rd : readers)
            CHECK(rd->got == static_cast<std::size_t>(round));
    }
}

TEST_CASE("broadcaster: subscribers are served in the order they started waiting", "[broadcaster]")
{
    // A publish wakes 200 subscribers. After the first part of its sweep,
    // a second publish wakes the few already served again: none of them
    // gets the second event while a subscriber still waits for the first.
    // (A sweep per publish let the second sweep take turns with the first,
    // and the end of the first waited for everyone else's next events.)
    // The others have the second event queued when they take the first;
    // a stream that comes back for it takes its turn behind those still
    // queued, like a woken one.
    constexpr std::size_t subscribers = 200;
    sse::broadcaster hub;
    net::io_context ioc;
    auto const work = net::make_work_guard(ioc);
    std::vector<std::shared_ptr<reader>> readers;
    for (std::size_t i = 0; i < subscribers; ++i) {
        readers.push_back(std::make_shared<reader>(hub.subscribe("t"), ioc, 2));
        readers.back()->start();
    }
    ioc.poll(); // every reader waits
    auto const count = [&](std::size_t n) {
        return static_cast<std::size_t>(std::count_if(readers.begin(), readers.end(), [n](auto const& rd) { return rd->got >= n; }));
    };
    hub.publish("t", sse::message{}.data("first"));
    REQUIRE(ioc.run_one() == 1); // one part of the sweep
    std::vector<std::shared_ptr<reader>> early; // served by that part, and waiting again
    for (auto const& rd : readers) {
        if (rd->got == 1)
            early.push_back(rd);
    }
    REQUIRE(!early.empty());
    REQUIRE(early.size() < subscribers);
    hub.publish("t", sse::message{}.data("second"));
    while (ioc.poll_one() == 1) {
        if (count(1) < subscribers) {
            for (auto const& rd : early)
                REQUIRE(rd->got == 1);
        }
    }
    CHECK(count(2) == subscribers);
}

TEST_CASE("broadcaster: async_publish with publish_ahead waits for earlier events to be handed out", "[broadcaster]")
{
    // 20 subscribers wait; three events are published at once with
    // publish_ahead = 2. The sweep that hands out the first takes three
    // turns (parts of 8). The first two publishes complete after its first
    // turn, without waiting for it; the third only once the first event
    // has reached every subscriber that waited for it.
    constexpr std::size_t subscribers = 20;
    sse::broadcaster hub(ahead(2));
    net::io_context ioc;
    auto const work = net::make_work_guard(ioc);
    std::vector<std::shared_ptr<reader>> readers;
    add_waiting_readers(readers, hub, ioc, subscribers, 1);
    auto const got = [&] { return total_got(readers); };
    std::vector<std::string> ids;
    std::vector<std::size_t> got_then; // deliveries made when each completed
    for (int i = 0; i < 3; ++i) {
        hub.async_publish("t", sse::message{}.data("x"), net::bind_executor(ioc, [&](sse::error_code ec, std::string id) {
            CHECK(!ec);
            ids.push_back(std::move(id));
            got_then.push_back(got());
        }));
    }
    CHECK(ids.empty()); // never inside async_publish
    ioc.poll();
    REQUIRE(ids == std::vector<std::string>{"1", "2", "3"});
    CHECK(got_then[0] < subscribers);
    CHECK(got_then[1] < subscribers);
    CHECK(got_then[2] == subscribers);
    for (auto const& rd : readers)
        CHECK(rd->sub.queued() == 2); // the other two events wait in each queue
}

TEST_CASE("broadcaster: publish_ahead never waits for a subscriber that is not ready", "[broadcaster]")
{
    // A subscriber that is not waiting (its stream is writing, or its
    // socket is full) is not queued for a turn: nothing holds a publish
    // back, whatever the bound.
    sse::broadcaster hub(ahead(1));
    net::io_context ioc;
    auto busy = hub.subscribe("t");
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        hub.async_publish("t", sse::message{}.data("x"), net::bind_executor(ioc, [&](sse::error_code ec, std::string id) {
            CHECK(!ec);
            ids.push_back(std::move(id));
        }));
    }
    ioc.run();
    CHECK(ids == std::vector<std::string>{"1", "2", "3", "4", "5"});
    CHECK(busy.queued() == 5);
}

TEST_CASE("broadcaster: publish_ahead with a publisher and subscribers on four threads", "[broadcaster][threads]")
{
    // A publisher that awaits each async_publish, 50 subscribers on strands
    // of a context run by four threads: every publish completes, every
    // subscriber gets every event in order.
    constexpr std::size_t subscribers = 50;
    constexpr int events = 300;
    sse::broadcaster hub(ahead(3));
    runner r(4);
    std::vector<std::shared_ptr<reader>> readers;
    for (std::size_t i = 0; i < subscribers; ++i) {
        readers.push_back(std::make_shared<reader>(hub.subscribe("t"), r.ioc, events));
        readers.back()->start();
    }
    auto const publisher = net::make_strand(r.ioc);
    latch_value<int> published;
    std::function<void(int)> publish_from = [&](int i) {
        if (i > events) {
            published.set(events);
            return;
        }
        hub.async_publish("t", sse::message{}.data(std::to_string(i)), net::bind_executor(publisher, [&, i](sse::error_code ec, std::string id) {
            CHECK(!ec);
            CHECK(id == std::to_string(i));
            publish_from(i + 1);
        }));
    };
    net::post(publisher, [&] { publish_from(1); });
    REQUIRE(published.wait() == events);
    auto const expected = range_ids(1, events);
    for (auto& rd : readers) {
        REQUIRE(rd->done.wait());
        CHECK(!rd->ec);
        CHECK(ids_of(rd->events()) == expected);
    }
}

TEST_CASE("broadcaster: publish_ahead bounds a publisher whose subscribers are on other contexts", "[broadcaster]")
{
    // The completions run on `pub`; 10 subscribers on `a`, 10 on `b`.
    // With publish_ahead = 1 the second and third publishes complete only
    // once the first event was handed out on both contexts.
    sse::broadcaster hub(ahead(1));
    net::io_context pub;
    net::io_context a;
    net::io_context b;
    std::vector<std::shared_ptr<reader>> readers;
    add_waiting_readers(readers, hub, a, 10, 3);
    add_waiting_readers(readers, hub, b, 10, 3);
    auto const poll = [](net::io_context& ctx) {
        ctx.restart(); // it stopped when it ran out of work
        ctx.poll();
    };
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i) {
        hub.async_publish("t", sse::message{}.data("x"), net::bind_executor(pub, [&](sse::error_code ec, std::string id) {
            CHECK(!ec);
            ids.push_back(std::move(id));
        }));
    }
    pub.poll();
    CHECK(ids == std::vector<std::string>{"1"});
    CHECK(!pub.stopped()); // the waiting publishes count as its work
    poll(a); // the first event handed out on `a` only
    poll(pub);
    CHECK(ids == std::vector<std::string>{"1"});
    poll(b);
    poll(pub);
    CHECK(ids == std::vector<std::string>{"1", "2", "3"});
    poll(a);
    poll(b);
    for (auto const& rd : readers)
        CHECK(rd->got == 3);
}

TEST_CASE("broadcaster: publish_ahead with a publisher on a context of its own and subscribers on two others", "[broadcaster][threads]")
{
    // The publisher awaits each async_publish on a context that one
    // thread runs with no work guard: its waiting publishes are its work,
    // so run() returns only after the last. 40 subscribers on two
    // contexts of two threads each get every event, in order.
    constexpr std::size_t per_context = 20;
    constexpr int events = 200;
    sse::broadcaster hub(ahead(2));
    runner a(2);
    runner b(2);
    std::vector<std::shared_ptr<reader>> readers;
    for (auto* r : {&a, &b}) {
        for (std::size_t i = 0; i < per_context; ++i) {
            readers.push_back(std::make_shared<reader>(hub.subscribe("t"), r->ioc, events));
            readers.back()->start();
        }
    }
    net::io_context pub;
    std::vector<std::string> ids; // on pub's thread only
    std::function<void(int)> publish_from = [&](int i) {
        if (i > events)
            return;
        hub.async_publish("t", sse::message{}.data(std::to_string(i)), net::bind_executor(pub, [&, i](sse::error_code ec, std::string id) {
            CHECK(!ec);
            ids.push_back(std::move(id));
            publish_from(i + 1);
        }));
    };
    net::post(pub, [&] { publish_from(1); });
    std::thread([&] { pub.run(); }).join();
    CHECK(ids == range_ids(1, events));
    auto const expected = range_ids(1, events);
    for (auto& rd : readers) {
        REQUIRE(rd->done.wait());
        CHECK(!rd->ec);
        CHECK(ids_of(rd->events()) == expected);
    }
}

TEST_CASE("broadcaster: a deferred async_publish takes its place against publish_ahead when it is made", "[broadcaster]")
{
    // The first publish is deferred and launched last: its event went out
    // first, so the second waits for it to be handed out to all 20
    // subscribers (a sweep of three parts); launched once it was, the
    // first completes at once.
    constexpr std::size_t subscribers = 20;
    sse::broadcaster hub(ahead(1));
    net::io_context ioc;
    std::vector<std::shared_ptr<reader>> readers;
    add_waiting_readers(readers, hub, ioc, subscribers, 2);
    auto const got = [&] { return total_got(readers); };
    auto first = hub.async_publish("t", sse::message{}.data("1"), net::deferred);
    std::vector<std::pair<std::string, std::size_t>> done; // (id, deliveries then)
    auto const record = [&](sse::error_code ec, std::string id) {
        CHECK(!ec);
        done.emplace_back(std::move(id), got());
    };
    hub.async_publish("t", sse::message{}.data("2"), net::bind_executor(ioc, record));
    ioc.run();
    REQUIRE(done.size() == 1);
    CHECK(done[0].first == "2");
    CHECK(done[0].second >= subscribers); // once the first event reached every subscriber
    std::move(first)(net::bind_executor(ioc, record));
    ioc.restart();
    ioc.run();
    REQUIRE(done.size() == 2);
    CHECK(done[1].first == "1");
    CHECK(got() == 2 * subscribers);
}

TEST_CASE("broadcaster: a deferred async_publish launched twice completes twice", "[broadcaster]")
{
    // Both launches share the event's place; cancelling one leaves the
    // other waiting for its turn.
    sse::broadcaster hub(ahead(1));
    net::io_context ioc;
    auto rd = std::make_shared<reader>(hub.subscribe("t"), ioc, 2);
    rd->next();
    hub.async_publish("t", sse::message{}.data("1"), net::bind_executor(ioc, [](sse::error_code, std::string) {}));
    auto second = hub.async_publish("t", sse::message{}.data("2"), net::deferred);
    std::vector<std::pair<sse::error_code, std::string>> done;
    auto const record = [&](sse::error_code ec, std::string id) { done.emplace_back(ec, std::move(id)); };
    net::cancellation_signal cancel;
    second(net::bind_executor(ioc, record));
    second(net::bind_cancellation_slot(cancel.slot(), net::bind_executor(ioc, record)));
    cancel.emit(net::cancellation_type::terminal);
    ioc.run();
    REQUIRE(done.size() == 2);
    CHECK(done[0] == std::pair<sse::error_code, std::string>(net::error::operation_aborted, "2")); // at once
    CHECK(done[1] == std::pair<sse::error_code, std::string>(sse::error_code(), "2"));
    CHECK(rd->got == 2);
}

TEST_CASE("broadcaster: a subscription that outlived the context it waited on holds no publish back", "[broadcaster]")
{
    sse::broadcaster hub(ahead(1));
    auto sub = hub.subscribe("t");
    {
        net::io_context gone;
        int got = 0;
        sub.async_next(net::bind_executor(gone, [&](sse::error_code, std::optional<sse::serialized>) { ++got; }));
        hub.publish("t", sse::message{}.data("1"));
        gone.run();
        REQUIRE(got == 1);
    }
    net::io_context ioc;
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i) {
        hub.async_publish("t", sse::message{}.data("x"), net::bind_executor(ioc, [&](sse::error_code ec, std::string id) {
            CHECK(!ec);
            ids.push_back(std::move(id));
        }));
    }
    ioc.run();
    CHECK(ids == std::vector<std::string>{"2", "3", "4"});
    CHECK(sub.queued() == 3);
}

TEST_CASE("broadcaster: a cancelled publish_ahead wait ends at once and keeps its place", "[broadcaster]")
{
    // publish_ahead = 1. The first event goes to 20 waiting subscribers,
    // the second to 20 more that wait from then on. The second and the
    // fourth publishes wait and are cancelled (terminal, partial): they
    // complete at once, with their ids. The third still waits for both
    // earlier events to be handed out, so it completes only once the
    // second event reached the 20 that waited for it. A signal emitted
    // again once its wait completed does nothing.
    constexpr std::size_t group = 20;
    sse::broadcaster hub(ahead(1));
    net::io_context ioc;
    std::vector<std::shared_ptr<reader>> readers;
    auto const got = [&] { return total_got(readers); };
    struct result {
        int calls = 0;
        sse::error_code ec;
        std::string id;
        std::size_t got_then = 0;
    };
    std::array<result, 4> results;
    auto const record = [&](std::size_t i) {
        return [&, i](sse::error_code ec, std::string id) {
            ++results[i].calls;
            results[i].ec = ec;
            results[i].id = std::move(id);
            results[i].got_then = got();
        };
    };
    add_waiting_readers(readers, hub, ioc, group, 4);
    hub.async_publish("t", sse::message{}.data("1"), net::bind_executor(ioc, record(0)));
    add_waiting_readers(readers, hub, ioc, group, 3);
    net::cancellation_signal cancel2;
    net::cancellation_signal cancel4;
    hub.async_publish("t", sse::message{}.data("2"), net::bind_cancellation_slot(cancel2.slot(), net::bind_executor(ioc, record(1))));
    hub.async_publish("t", sse::message{}.data("3"), net::bind_executor(ioc, record(2)));
    hub.async_publish("t", sse::message{}.data("4"), net::bind_cancellation_slot(cancel4.slot(), net::bind_executor(ioc, record(3))));
    cancel4.emit(net::cancellation_type::partial);
    cancel2.emit(net::cancellation_type::terminal);
    ioc.run();
    cancel2.emit(net::cancellation_type::terminal);
    cancel4.emit(net::cancellation_type::terminal);
    ioc.restart();
    ioc.run();

    for (auto const& r : results)
        CHECK(r.calls == 1);
    CHECK(!results[0].ec);
    CHECK(results[1].ec == net::error::operation_aborted);
    CHECK(results[1].id == "2");
    CHECK(results[1].got_then < group); // before the first event was handed out
    CHECK(!results[2].ec);
    CHECK(results[2].id == "3");
    CHECK(results[2].got_then >= 2 * group);
    CHECK(results[3].ec == net::error::operation_aborted);
    CHECK(results[3].id == "4");
    CHECK(results[3].got_then < group);
    CHECK(got() == group * 4 + group * 3); // every event reached every subscriber
}

TEST_CASE("broadcaster: a publish_ahead wait ignores total cancellation", "[broadcaster]")
{
    // The event is published when the wait begins: a cancellation that
    // requires no side effect cannot be honoured, so the wait goes on.
    sse::broadcaster hub(ahead(1));
    net::io_context ioc;
    auto rd = std::make_shared<reader>(hub.subscribe("t"), ioc, 2);
    rd->next();
    hub.async_publish("t", sse::message{}.data("1"), net::bind_executor(ioc, [](sse::error_code, std::string) {}));
    net::cancellation_signal cancel;
    std::optional<sse::error_code> second;
    hub.async_publish("t", sse::message{}.data("2"), net::bind_cancellation_slot(cancel.slot(), net::bind_executor(ioc, [&](sse::error_code ec, std::string id) {
        CHECK(id == "2");
        second = ec;
    })));
    cancel.emit(net::cancellation_type::total);
    ioc.run();
    REQUIRE(second);
    CHECK(!*second);
    CHECK(rd->got == 2);
}

TEST_CASE("broadcaster: publishes waiting for their turn when the context goes away", "[broadcaster]")
{
    // The context that would hand the events out is never run: the
    // waiting completions are destroyed with it, not run and not leaked.
    auto hub = std::make_unique<sse::broadcaster>(ahead(1));
    int completed = 0;
    {
        net::io_context ioc;
        auto sub = hub->subscribe("t");
        sub.async_next(net::bind_executor(ioc, [](sse::error_code, std::optional<sse::serialized>) {}));
        for (int i = 0; i < 3; ++i)
            hub->async_publish("t", sse::message{}.data("x"), net::bind_executor(ioc, [&](sse::error_code, std::string) { ++completed; }));
        hub.reset(); // the broadcaster first, then the context
    }
    CHECK(completed == 0);
}

TEST_CASE("broadcaster: publishes waiting on a context that went away hold nothing back", "[broadcaster]")
{
    // The broadcaster outlives a context whose publishes wait for their
    // turn: they are destroyed with it, and a publisher on another context
    // is bounded as if they had never been.
    sse::broadcaster hub(ahead(1));
    int completed = 0;
    {
        net::io_context ioc;
        auto sub = hub.subscribe("t");
        sub.async_next(net::bind_executor(ioc, [](sse::error_code, std::optional<sse::serialized>) {}));
        for (int i = 0; i < 3; ++i)
            hub.async_publish("t", sse::message{}.data("x"), net::bind_executor(ioc, [&](sse::error_code, std::string) { ++completed; }));
    }
    CHECK(completed == 0);

    net::io_context ioc;
    auto rd = std::make_shared<reader>(hub.subscribe("t"), ioc, 3);
    rd->next();
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i) {
        hub.async_publish("t", sse::message{}.data("y"), net::bind_executor(ioc, [&](sse::error_code ec, std::string id) {
            CHECK(!ec);
            ids.push_back(std::move(id));
        }));
    }
    ioc.run();
    CHECK(ids == std::vector<std::string>{"4", "5", "6"});
    CHECK(rd->got == 3);
}

TEST_CASE("broadcaster: a waiting publish of a context that went away is never run by another", "[broadcaster]")
{
    // Publishers on two contexts share the bound. The one on `gone`, which
    // has no subscriber, waits behind events that `kept` hands out, and
    // `gone` is destroyed first: its completion is destroyed with it, and
    // handing those events out later must not run (or touch) it.
    sse::broadcaster hub(ahead(1));
    net::io_context kept;
    auto rd = std::make_shared<reader>(hub.subscribe("t"), kept, 3);
    rd->next();
    std::vector<std::string> ids;
    auto const record = [&](sse::error_code ec, std::string id) {
        CHECK(!ec);
        ids.push_back(std::move(id));
    };
    hub.async_publish("t", sse::message{}.data("1"), net::bind_executor(kept, record));
    hub.async_publish("t", sse::message{}.data("2"), net::bind_executor(kept, record));
    int gone_completed = 0;
    std::weak_ptr<int> gone_handler; // alive while its handler is
    {
        net::io_context gone;
        auto token = std::make_shared<int>(0);
        gone_handler = token;
        hub.async_publish("t", sse::message{}.data("3"), net::bind_executor(gone, [&, token](sse::error_code, std::string) { ++gone_completed; }));
    }
    CHECK(gone_handler.expired()); // destroyed with its context
    kept.run();
    CHECK(gone_completed == 0);
    CHECK(ids == std::vector<std::string>{"1", "2"});
    CHECK(rd->got == 3);
}

TEST_CASE("broadcaster: subscribers on several execution contexts and executors", "[broadcaster][threads]")
{
    // Two io_contexts on two threads each; on each, subscribers on strands
    // and on the context's own executor. A sweep per context: every one
    // gets every event, in order.
    constexpr int per_kind = 25;
    constexpr int total = 300;
    sse::broadcaster hub;
    runner a(2);
    runner b(2);

    struct plain_reader : std::enable_shared_from_this<plain_reader> {
        sse::subscription sub;
        net::any_io_executor ex;
        std::mutex mutex; // handlers may run on either thread of the context
        std::string wire;
        int got = 0;
        sse::error_code ec;
        latch_value<bool> done;

        void next()
        {
            sub.async_next(net::bind_executor(ex, [self = shared_from_this()](sse::error_code e, std::optional<sse::serialized> s) {
                std::unique_lock lock(self->mutex);
                if (e || !s) {
                    self->ec = e;
                    lock.unlock();
                    self->done.set(true);
                    return;
                }
                self->wire += s->view();
                if (++self->got == total) {
                    lock.unlock();
                    self->done.set(true);
                    return;
                }
                lock.unlock();
                self->next();
            }));
        }
    };

    std::vector<std::shared_ptr<reader>> stranded;
    std::vector<std::shared_ptr<plain_reader>> plain;
    for (auto* r : {&a, &b}) {
        for (int i = 0; i < per_kind; ++i) {
            stranded.push_back(std::make_shared<reader>(hub.subscribe("t"), r->ioc, total));
            stranded.back()->start();
            auto p = std::make_shared<plain_reader>();
            p->sub = hub.subscribe("t");
            p->ex = r->ioc.get_executor();
            plain.push_back(p);
            net::post(p->ex, [p] { p->next(); });
        }
    }
    std::thread publisher([&] {
        for (int i = 0; i < total; ++i)
            hub.publish("t", sse::message{}.data(std::to_string(i)));
    });
    publisher.join();
    auto const expected = range_ids(1, total);
    for (auto& rd : stranded) {
        REQUIRE(rd->done.wait());
        CHECK(!rd->ec);
        CHECK(ids_of(rd->events()) == expected);
    }
    for (auto& p : plain) {
        REQUIRE(p->done.wait());
        std::lock_guard lock(p->mutex);
        CHECK(!p->ec);
        CHECK(ids_of(sse::parse_events(p->wire)) == expected);
    }
}

TEST_CASE("broadcaster: the seam between history and live events", "[broadcaster][threads]")
{
    constexpr int total = 2000;
    sse::broadcaster_options o;
    o.history_count = total; // id 1 stays in the history: this tests the seam only
    sse::broadcaster hub(o);
    runner r(2);
    std::atomic<bool> go{false};
    std::thread publisher([&] {
        while (!go)
            std::this_thread::yield();
        for (int i = 0; i < total; ++i)
            hub.publish("t", sse::message{}.data("x"));
    });
    go = true;
    // Subscribe while publishing goes on, each from the id last seen.
    std::vector<std::shared_ptr<reader>> readers;
    for (int k = 0; k < 20; ++k) {
        std::this_thread::yield();
        readers.push_back(std::make_shared<reader>(hub.subscribe("t", std::string_view("1")), r.ioc, total - 1));
        readers.back()->start();
    }
    publisher.join();
    for (auto& rd : readers) {
        REQUIRE(rd->done.wait());
        auto const ev = rd->events();
        REQUIRE(!ev.empty());
        // Before id 1 exists, "1" is unknown: a gap, then everything from 1;
        // after, everything from 2. Either way no hole and no duplicate.
        bool const gap = ev[0].type == "gap";
        std::size_t const first = gap ? 1 : 0;
        REQUIRE(ev.size() > first);
        CHECK(ev[first].id == (gap ? "1" : "2"));
        for (std::size_t i = first + 1; i < ev.size(); ++i)
            CHECK(std::stoi(ev[i].id) == std::stoi(ev[i - 1].id) + 1);
    }
}

namespace {

using request = http::request<http::string_body>;

// A server session that reads one request and streams what `subscribe`
// returns for it, then sets `ended` to how the stream ended.
template <class Subscribe>
server::session streaming(Subscribe subscribe, sse::stream_options options, latch_value<sse::error_code>& ended)
{
    return [subscribe, options, &ended](tcp::socket socket) -> net::awaitable<void> {
        beast::tcp_stream stream(std::move(socket));
        beast::flat_buffer buffer;
        request req;
        co_await http::async_read(stream, buffer, req, net::use_awaitable);
        auto [ec] = co_await sse::async_write(stream, sse::stream_response{req, subscribe(req), options}, net::as_tuple(net::use_awaitable));
        ended.set(ec);
    };
}

} // namespace

TEST_CASE("broadcaster: streams over loopback, removed when the client leaves", "[broadcaster]")
{
    sse::broadcaster hub;
    latch_value<sse::error_code> ended;
    server srv(streaming([&](request const& req) { return hub.subscribe(req, "news"); }, {}, ended));
    client c(srv.port());
    c.get("/events");
    REQUIRE(c.read_until_contains("\r\n\r\n"));
    // The subscription is live before the headers are sent.
    CHECK(hub.subscriber_count("news") == 1);
    hub.publish("news", sse::message{}.event("headline").data("one"));
    hub.publish("news", sse::message{}.event("headline").data("two"));
    REQUIRE(c.read_until_contains("data: two\n"));
    auto const r = parse_response(c.received());
    auto const ev = sse::parse_events(r.body);
    REQUIRE(ev.size() == 2);
    CHECK(ev[1] == sse::event("headline", "two", "2"));
    c.close();
    REQUIRE(ended.wait());
    CHECK(*ended.wait() == sse::error::peer_gone);
    CHECK(hub.subscriber_count("news") == 0);
}

TEST_CASE("broadcaster: async_wait_failure", "[broadcaster]")
{
    sse::broadcaster_options o;
    o.max_subscriber_bytes = 200;
    sse::broadcaster hub(o);
    runner r(1);
    auto strand = net::make_strand(r.ioc);
    auto sub = hub.subscribe("t");
    latch_value<sse::error_code> result;
    // Returns once the wait has started.
    auto wait = [&](net::cancellation_slot slot = {}) {
        latch_value<bool> started;
        net::dispatch(strand, [&, slot] {
            sub.async_wait_failure(net::bind_cancellation_slot(slot, net::bind_executor(strand, [&](sse::error_code ec) {
                result.set(ec);
            })));
            started.set(true);
        });
        REQUIRE(started.wait());
    };
    CHECK(sub.reports_failure());
    SECTION("dropped as too slow while it waits")
    {
        wait();
        hub.publish("t", sse::message{}.data("0123456789"));
        CHECK(!result.wait(std::chrono::milliseconds(50))); // one event is not too many
        for (int i = 0; i < 20; ++i)
            hub.publish("t", sse::message{}.data("0123456789"));
        auto const ec = result.wait();
        REQUIRE(ec);
        CHECK(*ec == sse::error::slow_subscriber);
    }
    SECTION("dropped before it waits: at once")
    {
        for (int i = 0; i < 20; ++i)
            hub.publish("t", sse::message{}.data("0123456789"));
        wait();
        auto const ec = result.wait();
        REQUIRE(ec);
        CHECK(*ec == sse::error::slow_subscriber);
    }
    SECTION("cancelled")
    {
        net::cancellation_signal sig;
        wait(sig.slot());
        net::dispatch(strand, [&] { sig.emit(net::cancellation_type::terminal); });
        auto const ec = result.wait();
        REQUIRE(ec);
        CHECK(*ec == net::error::operation_aborted);
        // The subscription goes on.
        hub.publish("t", sse::message{}.data("after"));
        CHECK(sub.queued() == 1);
    }
    SECTION("through any_message_source")
    {
        sse::any_message_source any(std::move(sub));
        CHECK(any.reports_failure());
        latch_value<bool> started;
        net::dispatch(strand, [&] {
            any.async_wait_failure(net::bind_executor(strand, [&](sse::error_code ec) { result.set(ec); }));
            started.set(true);
        });
        REQUIRE(started.wait());
        for (int i = 0; i < 20; ++i)
            hub.publish("t", sse::message{}.data("0123456789"));
        auto const ec = result.wait();
        REQUIRE(ec);
        CHECK(*ec == sse::error::slow_subscriber);
    }
}

TEST_CASE("broadcaster: a subscription that is never dropped does not report failures", "[broadcaster]")
{
    sse::broadcaster_options o;
    o.slow_policy = sse::slow_subscriber_policy::skip_to_newest;
    sse::broadcaster hub(o);
    auto sub = hub.subscribe("t");
    CHECK(!sub.reports_failure());
    CHECK(!sse::any_message_source(std::move(sub)).reports_failure());
}

TEST_CASE("broadcaster: a failure wait cancelled on one thread while another drops the subscriber", "[broadcaster][threads]")
{
    // Each round, a subscriber's strand starts a wait and cancels it at
    // once while this thread publishes it into failure: whichever comes
    // first, the handler runs once, on its strand, and the slot is never
    // touched by the publisher.
    sse::broadcaster_options o;
    o.max_subscriber_bytes = 100;
    sse::broadcaster hub(o);
    runner r(2);
    int aborted = 0;
    int failed = 0;
    for (int round = 0; round < 300; ++round) {
        auto const topic = "t" + std::to_string(round);
        auto sub = std::make_shared<sse::subscription>(hub.subscribe(topic));
        auto strand = net::make_strand(r.ioc);
        auto signal = std::make_shared<net::cancellation_signal>();
        auto calls = std::make_shared<std::atomic<int>>(0);
        latch_value<sse::error_code> result;
        net::dispatch(strand, [&result, sub, signal, strand, calls] {
            sub->async_wait_failure(net::bind_cancellation_slot(
                signal->slot(),
                net::bind_executor(strand, [&result, strand, calls](sse::error_code ec) {
                    CHECK(strand.running_in_this_thread());
                    ++*calls;
                    result.set(ec);
                })
            ));
            net::post(strand, [signal] { signal->emit(net::cancellation_type::terminal); });
        });
        for (int i = 0; i < 12; ++i)
            hub.publish(topic, sse::message{}.data("0123456789"));
        auto const ec = result.wait();
        REQUIRE(ec);
        if (*ec == net::error::operation_aborted) {
            ++aborted;
        } else {
            CHECK(*ec == sse::error::slow_subscriber);
            ++failed;
        }
        // Nothing more comes: one more turn of the strand, then the count.
        latch_value<bool> drained;
        net::post(strand, [&drained] { drained.set(true); });
        REQUIRE(drained.wait());
        CHECK(*calls == 1);
    }
    std::cout << "failure waits: " << aborted << " cancelled first, " << failed << " failed first\n";
}

TEST_CASE("broadcaster: a subscriber dropped while its peer reads nothing ends its stream at once", "[broadcaster]")
{
    // The send timeout is an hour: only the subscriber's failure can end
    // the stream, held back behind a peer that reads nothing.
    // The subscriber's queue is large against the pace of publishing (32
    // ms of it), so that it is dropped once its stream is held back, not
    // while the stream's strand waits for a loaded CPU.
    sse::broadcaster_options o;
    o.max_subscriber_bytes = 1024 * 1024;
    sse::broadcaster hub(o);
    sse::stream_options so;
    so.send_timeout = std::chrono::hours(1);
    so.max_queued_bytes = 64 * 1024;
    latch_value<sse::error_code> ended;
    // Erased, as a server with many routes holds it.
    server srv(streaming([&](request const&) { return sse::any_message_source(hub.subscribe("t")); }, so, ended));
    client c(srv.port());
    // Not below the loopback MSS (32 KiB here): with a smaller window the
    // sender avoids silly windows and sends once per persist timer, and
    // reading to the close below would take many seconds.
    c.socket().set_option(net::socket_base::receive_buffer_size(256 * 1024));
    c.get("/events");
    REQUIRE(c.read_until_contains("\r\n\r\n"));
    REQUIRE(hub.subscriber_count("t") == 1);
    // 4 KiB events until the subscriber is dropped: the socket's buffers
    // fill first (a few MiB on loopback), then the stream's queue, then
    // the subscriber's.
    std::string const payload(4096, 'x');
    std::size_t published = 0;
    while (!ended.wait(std::chrono::milliseconds(0)) && published < 100'000) {
        hub.publish("t", sse::message{}.data(payload));
        if (++published % 8 == 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(1)); // let the stream take them
    }
    auto const ec = ended.wait();
    REQUIRE(ec);
    CHECK(*ec == sse::error::slow_subscriber);
    CHECK(hub.subscriber_count("t") == 0);
    // The connection is closed: what the socket held is all there is.
    CHECK(c.read_to_close());
    std::cout << "dropped subscriber: " << published << " events of 4 KiB published, " << c.received().size()
              << " bytes reached the client before the close\n";
}

namespace {

// What a new subscription holds before any live event: the replay, parsed.
std::vector<sse::event> replay(sse::broadcaster& hub, std::string_view topic, std::optional<std::string_view> last_id)
{
    auto sub = hub.subscribe(topic, last_id);
    std::vector<sse::serialized> out;
    sub.try_take(out, std::numeric_limits<std::size_t>::max());
    std::string wire;
    for (auto const& s : out)
        wire += s.view();
    return sse::parse_events(wire);
}

// A gap event: no id, the given type and data.
bool is_gap(sse::event const& e, std::string_view type, std::string_view data)
{
    return e.id.empty() && e.type == type && e.data == data;
}

// Ten events on topic "t", of which the history keeps the last five (6..10).
sse::broadcaster_options after_id_options(std::string gap_event = "gap")
{
    sse::broadcaster_options o;
    o.history_count = 5;
    o.resume = sse::resume_mode::after_id;
    o.gap_event = std::move(gap_event);
    return o;
}

void publish_ten(sse::broadcaster& hub)
{
    for (int i = 1; i <= 10; ++i)
        CHECK(hub.publish("t", sse::message{}.data("m" + std::to_string(i))) == std::to_string(i));
}

} // namespace

TEST_CASE("broadcaster: resume after_id", "[broadcaster][resume]")
{
    sse::broadcaster hub(after_id_options());
    publish_ten(hub);
    CHECK(hub.options().resume == sse::resume_mode::after_id);

    SECTION("K inside the history: exactly the events after it")
    {
        CHECK(ids_of(replay(hub, "t", "7")) == range_ids(8, 10));
        CHECK(ids_of(replay(hub, "t", "6")) == range_ids(7, 10));
        auto const ev = replay(hub, "t", "9");
        REQUIRE(ev.size() == 1);
        CHECK(ev[0] == sse::event("message", "m10", "10"));
    }
    SECTION("K just before the oldest held: all of it, no gap")
    {
        CHECK(ids_of(replay(hub, "t", "5")) == range_ids(6, 10));
    }
    SECTION("events after K were dropped: a gap event, then all the history holds")
    {
        auto const ev = replay(hub, "t", "4");
        REQUIRE(ev.size() == 6);
        CHECK(is_gap(ev[0], "gap", "4")); // the data is the id asked for
        CHECK(ids_of(ev) == std::vector<std::string>{"", "6", "7", "8", "9", "10"});
        auto const from_zero = replay(hub, "t", "0");
        REQUIRE(!from_zero.empty());
        CHECK(is_gap(from_zero[0], "gap", "0"));
        CHECK(from_zero.size() == 6);
    }
    SECTION("K at the newest id: nothing, then live events")
    {
        CHECK(replay(hub, "t", "10").empty());
        runner r(1);
        auto rd = std::make_shared<reader>(hub.subscribe("t", std::string_view("10")), r.ioc, 1);
        rd->start();
        hub.publish("t", sse::message{}.data("live"));
        REQUIRE(rd->done.wait());
        auto const ev = rd->events();
        REQUIRE(ev.size() == 1);
        CHECK(ev[0] == sse::event("message", "live", "11"));
    }
    SECTION("K past the newest id: nothing, no gap; live events still come")
    {
        CHECK(replay(hub, "t", "11").empty());
        CHECK(replay(hub, "t", "1000").empty());
        runner r(1);
        auto rd = std::make_shared<reader>(hub.subscribe("t", std::string_view("1000")), r.ioc, 1);
        rd->start();
        hub.publish("t", sse::message{}.data("live"));
        REQUIRE(rd->done.wait());
        CHECK(ids_of(rd->events()) == std::vector<std::string>{"11"});
    }
    SECTION("ids compare as numbers, not strings")
    {
        // As strings "10" < "9": only a numeric comparison replays id 10 here.
        CHECK(ids_of(replay(hub, "t", "9")) == std::vector<std::string>{"10"});
        CHECK(ids_of(replay(hub, "t", "8")) == std::vector<std::string>{"9", "10"});
    }
    SECTION("leading zeros: the same number")
    {
        CHECK(ids_of(replay(hub, "t", "007")) == range_ids(8, 10));
        CHECK(ids_of(replay(hub, "t", "0000000000000000000000000009")) == std::vector<std::string>{"10"});
        CHECK(replay(hub, "t", "010").empty());
    }
    SECTION("K beyond 64 bits: past every id")
    {
        CHECK(replay(hub, "t", "18446744073709551615").empty()); // 2^64 - 1
        CHECK(replay(hub, "t", "18446744073709551616").empty()); // 2^64
        CHECK(replay(hub, "t", "99999999999999999999999999999999999999").empty());
    }
    SECTION("K not decimal: a gap event, then the whole history")
    {
        for (std::string_view k : {"abc", "+7", "-1", " 7", "7 ", "7.0", "0x7", "", "7a", "\xd9\xa7" /* Arabic-Indic 7 */}) {
            INFO("K = \"" << std::string(k) << '"');
            auto const ev = replay(hub, "t", k);
            REQUIRE(ev.size() == 6);
            CHECK(ev[0].id.empty());
            CHECK(ev[0].type == "gap");
            CHECK(ev[0].data == k);
            CHECK(ids_of(ev) == std::vector<std::string>{"", "6", "7", "8", "9", "10"});
        }
    }
    SECTION("no last id: live events only")
    {
        CHECK(replay(hub, "t", std::nullopt).empty());
    }
    SECTION("a topic that never was: K is past its newest id")
    {
        CHECK(replay(hub, "none", "3").empty());
        CHECK(replay(hub, "none", "0").empty());
    }
}

TEST_CASE("broadcaster: resume after_id without gap events", "[broadcaster][resume]")
{
    // The reference server's contract: every held event after K, nothing else.
    sse::broadcaster hub(after_id_options(""));
    publish_ten(hub);
    CHECK(ids_of(replay(hub, "t", "7")) == range_ids(8, 10));
    CHECK(ids_of(replay(hub, "t", "4")) == range_ids(6, 10)); // dropped events: no gap event
    CHECK(ids_of(replay(hub, "t", "0")) == range_ids(6, 10));
    CHECK(replay(hub, "t", "10").empty());
    CHECK(replay(hub, "t", "12").empty());
    CHECK(ids_of(replay(hub, "t", "nope")) == range_ids(6, 10)); // not decimal: the whole history
}

TEST_CASE("broadcaster: resume after_id with ids set by the message", "[broadcaster][resume]")
{
    sse::broadcaster_options o;
    o.resume = sse::resume_mode::after_id;
    sse::broadcaster hub(o);
    CHECK(hub.publish("t", sse::message{}.id("x").data("before 1")) == "x");
    CHECK(hub.publish("t", sse::message{}.data("a")) == "1");
    CHECK(hub.publish("t", sse::message{}.data("b")) == "2");
    CHECK(hub.publish("t", sse::message{}.id("custom").data("c")) == "custom"); // does not move the counter
    CHECK(hub.publish("t", sse::message{}.data("d")) == "3");

    SECTION("an event with its own id is replayed when it came after K")
    {
        CHECK(ids_of(replay(hub, "t", "2")) == std::vector<std::string>{"custom", "3"});
        CHECK(ids_of(replay(hub, "t", "1")) == std::vector<std::string>{"2", "custom", "3"});
        CHECK(ids_of(replay(hub, "t", "0")) == std::vector<std::string>{"x", "1", "2", "custom", "3"});
        CHECK(replay(hub, "t", "3").empty());
    }
    SECTION("resuming from a non-decimal id of its own: after it")
    {
        CHECK(ids_of(replay(hub, "t", "custom")) == std::vector<std::string>{"3"});
        CHECK(ids_of(replay(hub, "t", "x")) == std::vector<std::string>{"1", "2", "custom", "3"});
    }
    SECTION("a decimal id of its own is read as a number")
    {
        CHECK(hub.publish("t", sse::message{}.id("100").data("e")) == "100");
        CHECK(replay(hub, "t", "100").empty()); // past id 3
        CHECK(ids_of(replay(hub, "t", "3")) == std::vector<std::string>{"100"});
    }
    SECTION("an event with its own id dropped after K: a gap")
    {
        sse::broadcaster_options small = o;
        small.history_count = 2;
        sse::broadcaster h2(small);
        h2.publish("t", sse::message{}.data("a"));                // 1
        h2.publish("t", sse::message{}.id("y").data("between")); // after 1, dropped
        h2.publish("t", sse::message{}.data("b"));                // 2
        h2.publish("t", sse::message{}.data("c"));                // 3
        auto const ev = replay(h2, "t", "1");
        REQUIRE(ev.size() == 3);
        CHECK(is_gap(ev[0], "gap", "1"));
        CHECK(ids_of(ev) == std::vector<std::string>{"", "2", "3"});
        CHECK(ids_of(replay(h2, "t", "2")) == std::vector<std::string>{"3"});
    }
}

TEST_CASE("broadcaster: resume after_id when the history is bounded by bytes", "[broadcaster][resume]")
{
    sse::broadcaster_options o;
    o.resume = sse::resume_mode::after_id;
    o.history_bytes = 100;
    sse::broadcaster hub(o);
    for (int i = 0; i < 10; ++i)
        hub.publish(sse::message{}.data(std::string(30, 'x'))); // ~45 bytes each: 9 and 10 are held
    CHECK(ids_of(replay(hub, "", "8")) == range_ids(9, 10));
    auto const ev = replay(hub, "", "7");
    REQUIRE(!ev.empty());
    CHECK(is_gap(ev[0], "gap", "7"));
    CHECK(ids_of(ev) == std::vector<std::string>{"", "9", "10"});
}

TEST_CASE("broadcaster: resume after_id from a request", "[broadcaster][resume]")
{
    sse::broadcaster_options o = after_id_options("");
    o.last_event_id_param = "lastEventId";
    sse::broadcaster hub(o);
    publish_ten(hub);
    auto from = [&](http::request<http::string_body> const& req) {
        auto sub = hub.subscribe(req, "t");
        std::vector<sse::serialized> out;
        sub.try_take(out, std::numeric_limits<std::size_t>::max());
        std::string wire;
        for (auto const& s : out)
            wire += s.view();
        return ids_of(sse::parse_events(wire));
    };
    http::request<http::string_body> req{http::verb::get, "/events?lastEventId=8", 11};
    CHECK(from(req) == range_ids(9, 10));
    req.target("/events?lastEventId=%38"); // decoded
    CHECK(from(req) == range_ids(9, 10));
    req.set("Last-Event-ID", "9"); // the header wins
    CHECK(from(req) == range_ids(10, 10));
    req.erase("Last-Event-ID");
    req.target("/events?lastEventId=%3"); // malformed: no id, live events only
    CHECK(from(req).empty());
    req.target("/events");
    CHECK(from(req).empty());
}

TEST_CASE("broadcaster: an empty gap_event sends no gap event", "[broadcaster]")
{
    sse::broadcaster_options o;
    o.gap_event = "";
    o.history_count = 3;
    SECTION("gap_then_history: an unknown id gets the whole history only")
    {
        sse::broadcaster hub(o);
        for (int i = 0; i < 10; ++i)
            hub.publish("t", sse::message{}.data("m"));
        CHECK(ids_of(replay(hub, "t", "2")) == range_ids(8, 10));
        CHECK(ids_of(replay(hub, "t", "nope")) == range_ids(8, 10));
        CHECK(ids_of(replay(hub, "t", "8")) == range_ids(9, 10));
    }
    SECTION("skip_to_newest: the queue is dropped without a gap event")
    {
        o.max_subscriber_bytes = 200;
        o.slow_policy = sse::slow_subscriber_policy::skip_to_newest;
        sse::broadcaster hub(o);
        auto sub = hub.subscribe("t");
        for (int i = 0; i < 20; ++i)
            hub.publish("t", sse::message{}.data("0123456789"));
        std::vector<sse::serialized> out;
        sub.try_take(out, std::numeric_limits<std::size_t>::max());
        std::string wire;
        for (auto const& s : out)
            wire += s.view();
        auto const ev = sse::parse_events(wire);
        REQUIRE(!ev.empty());
        CHECK(ev.size() < 20);
        for (auto const& e : ev)
            CHECK(!e.id.empty()); // no gap event among them
        CHECK(ev.back().id == "20");
    }
}

TEST_CASE("broadcaster: the seam in after_id mode", "[broadcaster][threads][resume]")
{
    constexpr int total = 2000;
    sse::broadcaster_options o;
    o.history_count = total;
    o.resume = sse::resume_mode::after_id;
    o.gap_event = "";
    sse::broadcaster hub(o);
    runner r(2);
    std::atomic<bool> go{false};
    std::thread publisher([&] {
        while (!go)
            std::this_thread::yield();
        for (int i = 0; i < total; ++i)
            hub.publish("t", sse::message{}.data("x"));
    });
    go = true;
    std::vector<std::shared_ptr<reader>> readers;
    for (int k = 0; k < 20; ++k) {
        std::this_thread::yield();
        readers.push_back(std::make_shared<reader>(hub.subscribe("t", std::string_view("0")), r.ioc, total));
        readers.back()->start();
    }
    publisher.join();
    for (auto& rd : readers) {
        REQUIRE(rd->done.wait());
        // K = 0 and nothing dropped: every event from 1, no hole, no duplicate.
        CHECK(ids_of(rd->events()) == range_ids(1, total));
    }
}

// The resumption snippet of README.md, compiled and checked: the reference
// server's contract for GET /subscribe.
TEST_CASE("broadcaster: the README resume snippet", "[broadcaster][resume][doc]")
{
    sse::broadcaster_options o;
    o.resume = sse::resume_mode::after_id;
    o.gap_event = ""; // no gap events
    o.history_count = 5;
    sse::broadcaster hub(o);
    for (int i = 0; i < 10; ++i)
        hub.publish("t", sse::message{}.data("m"));
    std::string_view const topic = "t";

    auto const subscribe = [&](http::request<http::string_body> const& req) {
        // Last-Event-ID: K resumes when K is decimal; anything else is ignored.
        auto const k = sse::last_event_id(req);
        bool const decimal = k && !k->empty() && std::ranges::all_of(*k, [](char c) { return c >= '0' && c <= '9'; });
        auto sub = hub.subscribe(topic, decimal ? k : std::nullopt);
        std::vector<sse::serialized> out;
        sub.try_take(out, std::numeric_limits<std::size_t>::max());
        std::string wire;
        for (auto const& s : out)
            wire += s.view();
        return ids_of(sse::parse_events(wire));
    };
    http::request<http::string_body> req{http::verb::get, "/subscribe?topic=t", 11};
    CHECK(subscribe(req).empty());
    for (auto const& [k, expected] : std::vector<std::pair<std::string, std::vector<std::string>>>{
             {"7", range_ids(8, 10)},
             {"2", range_ids(6, 10)}, // 3..5 are gone: what is held, no gap event
             {"10", {}},
             {"11", {}},
             {"abc", {}}, // ignored: live events only
             {"+7", {}},
             {"", {}},
             {"007", range_ids(8, 10)},
             {"123456789012345678901234567890", {}},
         }) {
        INFO("Last-Event-ID: " << k);
        req.set("Last-Event-ID", k);
        CHECK(subscribe(req) == expected);
    }
}
