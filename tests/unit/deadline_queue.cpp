//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Test that header file is self-contained.
#include <sse/detail/deadline_queue.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "catch.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <random>
#include <thread>
#include <vector>

namespace {

namespace net = boost::asio;
using sse::detail::deadline_queue;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

// An operation as op_timer sees one: counted by reference on its own
// executor, told on that executor when its deadline falls due or is
// cancelled.
class fake_op {
public:
    explicit fake_op(net::any_io_executor ex) : ex_(std::move(ex)), timer_(*this, ex_) {}

    net::any_io_executor get_executor() const noexcept { return ex_; }

    void add_ref() noexcept { ++refs; }
    void release_ref() noexcept { --refs; }

    void arm(clock_type::time_point t)
    {
        CHECK(!armed);
        armed = true;
        ++arms;
        timer_.arm(t);
    }
    void cancel() { timer_.cancel(); }

    struct handler {
        sse::detail::counted_ref<fake_op> self;

        using executor_type = net::any_io_executor;
        executor_type get_executor() const noexcept { return self.p->get_executor(); }

        void operator()() const
        {
            auto& op = *self.p;
            // Only ever on the op's strand: no other handler of it runs now.
            CHECK(!op.inside.exchange(true));
            CHECK(op.armed);
            op.armed = false;
            ++op.fired;
            op.last_fired = clock_type::now();
            if (op.on_fire)
                op.on_fire(op);
            op.inside = false;
        }
    };

    // Counted only on the op's strand (or after the threads are done).
    std::size_t refs = 0;
    std::size_t arms = 0;
    std::size_t fired = 0;
    bool armed = false;
    std::atomic<bool> inside{false};
    clock_type::time_point last_fired{};
    std::function<void(fake_op&)> on_fire;

private:
    net::any_io_executor ex_;
    sse::detail::op_timer<fake_op, handler> timer_;
};

} // namespace

TEST_CASE("deadline_queue: entries fall due in order, once each", "[deadline_queue]")
{
    net::io_context ioc;
    std::vector<std::unique_ptr<fake_op>> ops;
    std::vector<int> order;
    auto const t0 = clock_type::now();
    for (int i = 0; i < 5; ++i) {
        ops.push_back(std::make_unique<fake_op>(ioc.get_executor()));
        ops.back()->on_fire = [&order, i](fake_op&) { order.push_back(i); };
    }
    // Armed out of order.
    ops[3]->arm(t0 + 40ms);
    ops[0]->arm(t0 + 10ms);
    ops[4]->arm(t0 + 50ms);
    ops[1]->arm(t0 + 20ms);
    ops[2]->arm(t0 + 30ms);
    CHECK(deadline_queue::of(ioc.get_executor()).size() == 5);
    ioc.run();
    CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
    for (auto& op : ops) {
        CHECK(op->fired == 1);
        CHECK(op->refs == 0);
        CHECK(op->last_fired >= t0 + 10ms);
    }
    CHECK(ops[4]->last_fired >= t0 + 50ms);
    CHECK(deadline_queue::of(ioc.get_executor()).size() == 0);
}

TEST_CASE("deadline_queue: cancel fires at once; nothing lingers", "[deadline_queue]")
{
    net::io_context ioc;
    fake_op a(ioc.get_executor());
    fake_op b(ioc.get_executor());
    auto const t0 = clock_type::now();

    SECTION("a cancelled entry fires at once, and run() returns without waiting for its expiry")
    {
        a.arm(t0 + 1h);
        b.arm(t0 + 2h);
        CHECK(a.refs == 1);
        a.cancel();
        b.cancel();
        CHECK(deadline_queue::of(ioc.get_executor()).size() == 0);
        ioc.run(); // returns: the queue's own wait was cancelled too
        CHECK(clock_type::now() - t0 < 1min);
        CHECK(a.fired == 1);
        CHECK(b.fired == 1);
        CHECK(a.refs == 0);
        CHECK(b.refs == 0);
    }

    SECTION("cancel after it fell due does nothing more")
    {
        a.arm(t0);
        a.on_fire = [](fake_op& op) { op.cancel(); }; // already due: no second call
        ioc.run();
        CHECK(a.fired == 1);
        CHECK(a.refs == 0);
    }

    SECTION("an earlier entry moves the queue's wait")
    {
        a.arm(t0 + 1h);
        b.arm(t0 + 10ms);
        b.on_fire = [&a](fake_op&) { a.cancel(); };
        ioc.run();
        CHECK(b.fired == 1);
        CHECK(a.fired == 1);
        CHECK(clock_type::now() - t0 < 1min);
    }

    SECTION("re-armed from its own handler")
    {
        a.arm(t0 + 1ms);
        a.on_fire = [](fake_op& op) {
            if (op.fired < 5)
                op.arm(clock_type::now() + 1ms);
        };
        ioc.run();
        CHECK(a.fired == 5);
        CHECK(a.arms == 5);
        CHECK(a.refs == 0);
    }
}

TEST_CASE("deadline_queue: the context's shutdown drops what is armed", "[deadline_queue]")
{
    auto ioc = std::make_unique<net::io_context>();
    fake_op a(ioc->get_executor());
    fake_op b(ioc->get_executor());
    a.arm(clock_type::now() + 1h);
    b.arm(clock_type::now()); // due, its handler posted but never run
    ioc->run_for(50ms);
    CHECK(b.fired == 1);
    b.arm(clock_type::now() + 1h);
    CHECK(a.refs == 1);
    CHECK(b.refs == 1);
    ioc.reset(); // shutdown: both references let go, no handler runs
    CHECK(a.refs == 0);
    CHECK(b.refs == 0);
    CHECK(a.fired == 0);
    CHECK(b.fired == 1);
}

// Many operations, each on its own strand, arming and cancelling while the
// queue's timer fires on other threads: every arming ends in exactly one
// handler on the operation's strand, and every reference comes back.
TEST_CASE("deadline_queue: arming and cancelling on many strands, many threads", "[deadline_queue][threads]")
{
    constexpr int threads = 4;
    constexpr int ops_count = 64;
    constexpr std::size_t rounds = 200;
    net::io_context ioc(threads);
    std::vector<std::unique_ptr<fake_op>> ops;
    std::atomic<int> finished{0};
    for (int i = 0; i < ops_count; ++i) {
        ops.push_back(std::make_unique<fake_op>(net::make_strand(ioc)));
        auto rng = std::make_shared<std::minstd_rand>(static_cast<unsigned>(i + 1));
        ops.back()->on_fire = [rng, &finished](fake_op& op) {
            if (op.arms == rounds) {
                ++finished;
                return;
            }
            // Due within 0 to 300 us: many fall due together, on the timer's
            // thread, while others are armed or cancelled on theirs.
            op.arm(clock_type::now() + std::chrono::microseconds((*rng)() % 300));
            switch ((*rng)() % 3) {
            case 0: op.cancel(); break; // at once
            case 1:
                net::post(op.get_executor(), [&op] { op.cancel(); }); // later, maybe after it fell due
                break;
            default: break; // let it fall due
            }
        };
    }
    for (auto& op : ops)
        net::post(op->get_executor(), [&op] { op->arm(clock_type::now()); });
    std::vector<std::thread> pool;
    for (int i = 0; i < threads; ++i)
        pool.emplace_back([&ioc] { ioc.run(); });
    for (auto& t : pool)
        t.join();
    CHECK(finished == ops_count);
    for (auto& op : ops) {
        CHECK(op->arms == rounds);
        CHECK(op->fired == rounds);
        CHECK(op->refs == 0);
        CHECK(!op->armed);
    }
    CHECK(deadline_queue::of(ioc.get_executor()).size() == 0);
}
