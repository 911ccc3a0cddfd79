//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// The stream engine by scripts: events with times in, the exact actions
// out. No sockets, no sleeps, no clock: time is an argument.

// Test that header file is self-contained.
#include <sse/detail/stream_engine.hpp>

#include <sse/message.hpp>
#include <sse/serialized.hpp>

#include <boost/beast/core/error.hpp>

#include "catch.hpp"

#include <chrono>
#include <string>
#include <vector>

using sse::detail::peer_watch;
using sse::detail::stream_engine;
using type = sse::detail::stream_action::type;
using namespace std::chrono_literals;
using actions = std::vector<std::string>;

namespace {

// An engine, a clock that only moves when told, and the actions written as
// text: "write(data: x\n\n)", "write(|end)" for an empty last write,
// "wait(+15000)" for a wait 15000 ms after the start, "complete(sse:6)".
struct script {
    stream_engine e;
    stream_engine::time_point t0 = stream_engine::clock::now();
    stream_engine::time_point now = t0;

    explicit script(sse::stream_options const& o = {}, peer_watch w = peer_watch::connection_read) : e(o, w) {}

    void at(std::chrono::milliseconds t) { now = t0 + t; }

    std::string text(sse::detail::stream_action const& a)
    {
        switch (a.get_type()) {
        case type::none: return "none";
        case type::ask_source: return "ask";
        case type::take_backlog: return "take(" + std::to_string(a.max_bytes()) + ")";
        case type::write: {
            std::string s = "write(";
            for (auto const& b : a.buffers())
                s.append(static_cast<char const*>(b.data()), b.size());
            if (a.last())
                s += "|end";
            return s + ")";
        }
        case type::defer_write: return "defer";
        case type::wait_until:
            return "wait(+" +
                   std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(a.expiry() - t0).count()) + ")";
        case type::cancel_wait: return "cancel_wait";
        case type::cancel_source: return "cancel_source";
        case type::release_source: return "release";
        case type::watch_source: return "watch_source";
        case type::stop_source_watch: return "stop_source_watch";
        case type::watch: return "watch";
        case type::stop_watch: return "stop_watch";
        case type::abort: return "abort";
        case type::complete:
            return "complete(" + std::string(a.error() ? a.error().category().name() : "") +
                   (a.error() ? ":" + std::to_string(a.error().value()) : "") + ")";
        }
        return "?";
    }

    // Every action the engine wants now.
    actions run()
    {
        actions out;
        for (auto a = e.next(now); !a.is_none(); a = e.next(now)) {
            out.push_back(text(a));
            REQUIRE(out.size() < 50);
        }
        return out;
    }

    actions start()
    {
        e.start(now);
        return run();
    }

    // Started, the header written, and idle: waiting for the source and for
    // the heartbeat.
    void open()
    {
        CHECK(start() == actions{"watch", "ask", "write()", "wait(+30000)"});
        e.wrote({}, now);
        auto const heartbeat = e.heartbeat().count();
        CHECK(run() == actions{"cancel_wait"});
        e.timer_fired(now);
        CHECK(run() == (heartbeat ? actions{"wait(+" + std::to_string(heartbeat) + ")"} : actions{}));
    }
};

std::string completed(sse::error_code ec)
{
    return "complete(" + std::string(ec ? ec.category().name() : "") + (ec ? ":" + std::to_string(ec.value()) : "") +
           ")";
}

sse::message data(std::string s)
{
    return sse::message{}.data(s);
}

} // namespace

TEST_CASE("stream engine: opening, a message, the end", "[stream_engine]")
{
    script s;
    // The watch, the source, the header at once, the send timeout.
    CHECK(s.start() == actions{"watch", "ask", "write()", "wait(+30000)"});
    s.at(1ms);
    s.e.wrote({}, s.now);
    // Idle: the heartbeat is due 15 s after the last write, earlier than
    // the pending wait: it is cancelled and re-armed.
    CHECK(s.run() == actions{"cancel_wait"});
    s.e.timer_fired(s.now);
    CHECK(s.run() == actions{"wait(+15001)"});

    s.at(2ms);
    s.e.source_yielded(data("x"));
    // A backlog is asked for first, then the next item; the write is held
    // back one turn while the source may still deliver.
    CHECK(s.run() == actions{"take(65527)", "ask", "defer"});
    s.e.backlog_taken();
    s.e.turn_done();
    CHECK(s.run() == actions{"write(data: x\n\n)"});
    s.at(3ms);
    s.e.wrote({}, s.now);
    CHECK(s.run().empty()); // the heartbeat wait stands (it re-checks when it fires)

    s.e.source_finished();
    // The source goes, the watch ends before the end of the body is
    // written, then the end, then completion.
    // No heartbeat while ending: the wait goes.
    CHECK(s.run() == actions{"release", "stop_watch", "cancel_wait"});
    s.e.timer_fired(s.now);
    CHECK(s.run().empty());
    s.e.watch_ended(boost::asio::error::operation_aborted, false);
    CHECK(s.run() == actions{"write(|end)", "wait(+30003)"});
    s.e.wrote({}, s.now);
    CHECK(s.run() == actions{"cancel_wait"}); // nothing can fall due any more
    s.e.timer_fired(s.now);
    CHECK(s.run() == actions{completed({})});
    CHECK(s.e.done());
}

TEST_CASE("stream engine: coalescing under a fast source", "[stream_engine]")
{
    sse::stream_options o;
    o.max_write_size = 30;
    o.retry = std::chrono::milliseconds(1500);
    script s(o);
    s.e.set_source_takes_backlog(false); // a coroutine: one item per resumption
    CHECK(s.start() == actions{"watch", "ask", "write(retry: 1500\n\n)", "wait(+30000)"});
    s.e.wrote({}, s.now);
    s.e.timer_fired(s.now);
    CHECK(s.run() == actions{"wait(+15000)"});

    // One item per turn: the write waits while items keep coming.
    s.e.source_yielded(data("1"));
    CHECK(s.run() == actions{"ask", "defer"});
    s.e.source_yielded(data("2"));
    CHECK(s.run() == actions{"ask"});
    s.e.turn_done(); // an item arrived during the turn: one more
    CHECK(s.run() == actions{"defer"});
    s.e.source_yielded(data("3"));
    // 27 bytes queued, under 30: still holding back.
    CHECK(s.run() == actions{"ask"});
    s.e.source_yielded(data("4")); // 36 bytes: past max_write_size, no more holding back
    // Whole messages only, up to the limit: three of them (27 bytes).
    CHECK(s.run() == actions{"ask", "write(data: 1\n\ndata: 2\n\ndata: 3\n\n)"});
    s.e.turn_done(); // back during the write: the write's end decides
    CHECK(s.run().empty());
    s.e.wrote({}, s.now);
    // The fourth waits one turn, as a single message does.
    CHECK(s.run() == actions{"defer"});
    s.e.turn_done();
    CHECK(s.run() == actions{"write(data: 4\n\n)"});
}

TEST_CASE("stream engine: a backlog is written at once", "[stream_engine]")
{
    script s;
    s.start();
    s.e.wrote({}, s.now);
    s.run();
    s.e.source_yielded(data("a"));
    CHECK(s.run() == actions{"take(65527)", "ask", "defer"});
    s.e.push(data("b"));
    s.e.push(sse::serialized(data("c")));
    s.e.backlog_taken();
    // No waiting for the turn: the backlog is all there is.
    CHECK(s.run() == actions{"write(data: a\n\ndata: b\n\ndata: c\n\n)"});
    s.e.turn_done();
    CHECK(s.run().empty());
}

TEST_CASE("stream engine: a source that holds nothing more is written at once", "[stream_engine]")
{
    // A broadcaster subscription: once its backlog is taken, nothing more
    // can arrive before a publisher runs, so a deferring turn would only
    // delay the event (behind every other subscriber's).
    script s;
    s.start();
    s.e.wrote({}, s.now);
    s.run();
    s.e.source_yielded(data("a"));
    // As a sink performs it: the backlog is taken before the next action.
    auto a = s.e.next(s.now);
    REQUIRE(a.get_type() == sse::detail::stream_action::type::take_backlog);
    s.e.backlog_taken();
    CHECK(s.run() == actions{"ask", "write(data: a\n\n)"});
}

TEST_CASE("stream engine: the heartbeat only after the stream was idle", "[stream_engine]")
{
    sse::stream_options o;
    o.heartbeat = 100ms;
    script s(o);
    s.start();
    s.e.wrote({}, s.now);
    CHECK(s.run() == actions{"cancel_wait"});
    s.e.timer_fired(s.now);
    CHECK(s.run() == actions{"wait(+100)"});

    // A write at 60 ms moves the heartbeat to 160 ms: the wait at 100
    // finds nothing due and waits again.
    s.at(50ms);
    s.e.source_yielded(data("x"));
    s.run();
    s.e.backlog_taken();
    s.e.turn_done();
    CHECK(s.run() == actions{"write(data: x\n\n)"});
    s.at(60ms);
    s.e.wrote({}, s.now);
    CHECK(s.run().empty());
    s.at(100ms);
    s.e.timer_fired(s.now);
    CHECK(s.run() == actions{"wait(+160)"});
    s.at(160ms);
    s.e.timer_fired(s.now);
    CHECK(s.run() == actions{"write(:\n)", "wait(+30160)"});
    s.at(161ms);
    s.e.wrote({}, s.now);
    CHECK(s.run() == actions{"cancel_wait"});

    SECTION("zero turns it off")
    {
        o.heartbeat = 0ms;
        script z(o);
        z.start();
        z.e.wrote({}, z.now);
        CHECK(z.run() == actions{"cancel_wait"});
        z.e.timer_fired(z.now);
        CHECK(z.run().empty());
    }
}

TEST_CASE("stream engine: the send timeout counts from the start of each write", "[stream_engine]")
{
    sse::stream_options o;
    o.send_timeout = 500ms;
    o.heartbeat = 0ms;
    script s(o);
    CHECK(s.start() == actions{"watch", "ask", "write()", "wait(+500)"});
    s.at(400ms);
    s.e.wrote({}, s.now);
    CHECK(s.run() == actions{"cancel_wait"});
    s.e.timer_fired(s.now);
    CHECK(s.run().empty());

    s.e.source_yielded(data("x"));
    s.run();
    s.e.backlog_taken();
    s.e.turn_done();
    CHECK(s.run() == actions{"write(data: x\n\n)", "wait(+900)"});
    s.at(899ms);
    s.e.timer_fired(s.now);
    CHECK(s.run() == actions{"wait(+900)"});
    s.at(900ms);
    s.e.timer_fired(s.now);
    // Nothing more is written: the source is cancelled, the write aborted,
    // the watch stopped.
    CHECK(s.run() == actions{"cancel_source", "abort", "stop_watch"});
    s.e.source_failed(boost::asio::error::operation_aborted);
    s.e.wrote(boost::asio::error::operation_aborted, s.now);
    s.e.watch_ended(boost::asio::error::operation_aborted, false);
    CHECK(s.run() == actions{"release", completed(sse::error::send_timeout)});
}

TEST_CASE("stream engine: the queue cap holds the source back until writes drain it", "[stream_engine]")
{
    sse::stream_options o;
    o.max_queued_bytes = 20;
    o.max_write_size = 9;
    o.heartbeat = 0ms;
    script s(o);
    s.start();
    s.e.wrote({}, s.now);
    CHECK(s.run() == actions{"cancel_wait"});
    s.e.timer_fired(s.now);
    s.e.source_yielded(data("1"));
    CHECK(s.run() == actions{"ask", "write(data: 1\n\n)", "wait(+30000)"}); // 9 bytes: at max_write_size
    s.e.source_yielded(data("2"));
    CHECK(s.run() == actions{"ask"}); // 18 queued
    s.e.source_yielded(data("3"));
    CHECK(s.run().empty()); // 27 queued: at the cap, the source is not asked
    CHECK(s.e.queued() == 27);
    s.e.wrote({}, s.now);
    // 18 queued: under the cap again.
    CHECK(s.run() == actions{"ask", "write(data: 2\n\n)"});
}

namespace {

// Held back by the queue cap: three messages of 9 bytes queued against a
// cap of 20, the first being written. The source can report a failure.
void held_back(script& s)
{
    s.e.set_source_reports_failure(true);
    s.start();
    s.e.wrote({}, s.now);
    CHECK(s.run() == actions{"cancel_wait"});
    s.e.timer_fired(s.now);
    s.e.source_yielded(data("1"));
    CHECK(s.run() == actions{"ask", "write(data: 1\n\n)", "wait(+30000)"});
    s.e.source_yielded(data("2"));
    CHECK(s.run() == actions{"ask"});
    s.e.source_yielded(data("3"));
    // Asked for nothing: the source is watched for a failure instead.
    CHECK(s.run() == actions{"watch_source"});
}

sse::stream_options capped()
{
    sse::stream_options o;
    o.max_queued_bytes = 20;
    o.max_write_size = 9;
    o.heartbeat = 0ms;
    return o;
}

} // namespace

TEST_CASE("stream engine: a source that fails while the stream is held back ends it at once", "[stream_engine]")
{
    script s(capped());
    held_back(s);
    s.e.source_watch_ended(sse::error::slow_subscriber);
    // The write in flight is cut short: the peer may never read it.
    CHECK(s.run() == actions{"release", "abort", "stop_watch", "cancel_wait"});
    s.e.wrote(boost::asio::error::operation_aborted, s.now);
    s.e.watch_ended(boost::asio::error::operation_aborted, false);
    s.e.timer_fired(s.now);
    CHECK(s.run() == actions{completed(sse::error::slow_subscriber)});
}

TEST_CASE("stream engine: the watch on the source stops when it is asked again", "[stream_engine]")
{
    script s(capped());
    held_back(s);
    s.e.wrote({}, s.now);
    // 18 queued: under the cap. A failure now comes with the answer.
    CHECK(s.run() == actions{"stop_source_watch", "ask", "write(data: 2\n\n)"});
    SECTION("stopped")
    {
        s.e.source_watch_ended(boost::asio::error::operation_aborted);
    }
    SECTION("a failure that raced the stop is left to the answer")
    {
        s.e.source_watch_ended(sse::error::slow_subscriber);
    }
    CHECK(s.run().empty());
    s.e.source_failed(sse::error::slow_subscriber);
    // A clean end: what is queued, then the end of the body.
    CHECK(s.run() == actions{"release"});
    s.e.wrote({}, s.now);
    CHECK(s.run() == actions{"stop_watch", "cancel_wait"});
    s.e.watch_ended(boost::asio::error::operation_aborted, false);
    CHECK(s.run() == actions{"write(data: 3\n\n|end)"});
    s.e.wrote({}, s.now);
    CHECK(s.run().empty());
    s.e.timer_fired(s.now);
    CHECK(s.run() == actions{completed(sse::error::slow_subscriber)});
}

TEST_CASE("stream engine: the source is released only once its watch is over", "[stream_engine]")
{
    script s(capped());
    held_back(s);
    s.e.cancelled(boost::asio::cancellation_type::terminal);
    CHECK(s.run() == actions{"stop_source_watch", "abort", "stop_watch", "cancel_wait"});
    s.e.wrote(boost::asio::error::operation_aborted, s.now);
    s.e.watch_ended(boost::asio::error::operation_aborted, false);
    s.e.timer_fired(s.now);
    CHECK(s.run().empty()); // the source is still watched: not destroyed
    s.e.source_watch_ended(boost::asio::error::operation_aborted);
    CHECK(s.run() == actions{"release", completed(boost::asio::error::operation_aborted)});
}

TEST_CASE("stream engine: a watch that ends without news is not restarted while held back", "[stream_engine]")
{
    // Without an error, or cancelled by someone else: a source that did
    // either at once would otherwise be watched again and again.
    auto const ec = GENERATE(sse::error_code(), sse::error_code(boost::asio::error::operation_aborted));
    script s(capped());
    held_back(s);
    s.e.source_watch_ended(ec);
    CHECK(s.run().empty());
    s.e.wrote({}, s.now);
    CHECK(s.run() == actions{"ask", "write(data: 2\n\n)"});
    s.e.source_yielded(data("4"));
    CHECK(s.run() == actions{"watch_source"}); // held back again: watched again
}

TEST_CASE("stream engine: a source that cannot report after all is not watched again", "[stream_engine]")
{
    // A wrapper whose wrapped source cannot report (an any_message_source
    // around a range, in a source of the user's).
    script s(capped());
    held_back(s);
    s.e.source_watch_ended(boost::asio::error::operation_not_supported);
    CHECK(s.run().empty()); // no abort
    s.e.wrote({}, s.now);
    CHECK(s.run() == actions{"ask", "write(data: 2\n\n)"});
    s.e.source_yielded(data("4"));
    CHECK(s.run().empty()); // held back again, and not watched
}

TEST_CASE("stream engine: a source that fails while its HTTP/2 connection holds the stream back", "[stream_engine]")
{
    // Its own queue is small: the peer reads this stream, so what is
    // queued goes out before the end, as for a failure that comes with an
    // answer.
    script s({}, peer_watch::stream_close);
    s.e.set_source_reports_failure(true);
    s.e.set_source_takes_backlog(false);
    CHECK(s.start() == actions{"watch", "ask", "write()", "wait(+30000)"});
    s.e.source_yielded(data("x"));
    s.e.set_backpressure(true);
    CHECK(s.run() == actions{"watch_source"});
    SECTION("it fails")
    {
        s.e.source_watch_ended(sse::error::slow_subscriber);
        CHECK(s.run() == actions{"release"});
        s.e.wrote({}, s.now);
        CHECK(s.run() == actions{"write(data: x\n\n|end)"});
    }
    SECTION("the connection drains")
    {
        s.e.set_backpressure(false);
        CHECK(s.run() == actions{"stop_source_watch", "ask"});
        s.e.source_watch_ended(boost::asio::error::operation_aborted);
        CHECK(s.run().empty());
    }
}

TEST_CASE("stream engine: a graceful end while the source is watched", "[stream_engine]")
{
    script s(capped());
    held_back(s);
    s.e.cancelled(boost::asio::cancellation_type::partial);
    CHECK(s.run() == actions{"stop_source_watch"});
    s.e.source_watch_ended(boost::asio::error::operation_aborted);
    CHECK(s.run() == actions{"release"});
    s.e.wrote({}, s.now);
    CHECK(s.run() == actions{"write(data: 2\n\n)"}); // what is queued still goes out
}

TEST_CASE("stream engine: the source fails", "[stream_engine]")
{
    script s;
    s.open();
    s.e.source_yielded(data("x"));
    s.run();
    s.e.backlog_taken();
    s.e.source_failed(sse::error::source_failed);
    // What was queued goes out with the end of the body.
    CHECK(s.run() == actions{"release", "stop_watch", "cancel_wait"});
    s.e.timer_fired(s.now);
    s.e.watch_ended(boost::asio::error::operation_aborted, false);
    CHECK(s.run() == actions{"write(data: x\n\n|end)", "wait(+30000)"});
    s.e.turn_done();
    s.e.wrote({}, s.now);
    CHECK(s.run() == actions{"cancel_wait"});
    s.e.timer_fired(s.now);
    CHECK(s.run() == actions{completed(sse::error::source_failed)});
}

TEST_CASE("stream engine: the peer goes while the source is suspended", "[stream_engine]")
{
    script s;
    s.start();
    s.e.wrote({}, s.now);
    s.run();
    s.e.timer_fired(s.now);
    s.run();
    s.e.watch_ended(boost::asio::error::eof, false);
    CHECK(s.run() == actions{"cancel_source", "abort", "cancel_wait"});
    s.e.timer_fired(s.now);
    CHECK(s.run().empty()); // the source has not answered yet
    s.e.source_failed(boost::asio::error::operation_aborted);
    CHECK(s.run() == actions{"release", completed(sse::error::peer_gone)});

    SECTION("the transport's own timeout is reported as it is")
    {
        script t;
        t.start();
        t.e.watch_ended(boost::beast::error::timeout, false);
        t.run();
        t.e.source_failed(boost::asio::error::operation_aborted);
        t.e.wrote(boost::asio::error::operation_aborted, t.now);
        t.e.timer_fired(t.now);
        CHECK(t.run() == actions{"release", completed(boost::beast::error::timeout)});
    }
}

TEST_CASE("stream engine: bytes from the peer during the stream", "[stream_engine]")
{
    script s;
    s.start();
    s.e.wrote({}, s.now);
    s.run();
    s.e.timer_fired(s.now);
    s.run();
    s.e.watch_ended({}, true);
    // The stream ends cleanly; the bytes stay with the connection.
    CHECK(s.run() == actions{"cancel_source", "cancel_wait"});
    s.e.timer_fired(s.now);
    s.e.source_failed(boost::asio::error::operation_aborted);
    CHECK(s.run() == actions{"release", "write(|end)", "wait(+30000)"});
    s.e.wrote({}, s.now);
    CHECK(s.run() == actions{"cancel_wait"});
    s.e.timer_fired(s.now);
    CHECK(s.run() == actions{completed(sse::error::unexpected_data)});
}

TEST_CASE("stream engine: every kind of cancellation", "[stream_engine]")
{
    auto const idle = [](script& s) {
        s.start();
        s.e.wrote({}, s.now);
        s.run();
        s.e.timer_fired(s.now);
        s.run();
        s.e.source_yielded(data("queued"));
        s.run();
        s.e.backlog_taken();
    };
    SECTION("terminal: at once, nothing more written")
    {
        script s;
        idle(s);
        s.e.cancelled(boost::asio::cancellation_type::terminal);
        CHECK(s.run() == actions{"cancel_source", "abort", "stop_watch", "cancel_wait"});
        s.e.source_failed(boost::asio::error::operation_aborted);
        s.e.watch_ended(boost::asio::error::operation_aborted, false);
        s.e.timer_fired(s.now);
        s.e.turn_done();
        CHECK(s.run() == actions{"release", completed(boost::asio::error::operation_aborted)});
    }
    for (auto const type : {boost::asio::cancellation_type::partial, boost::asio::cancellation_type::total}) {
        DYNAMIC_SECTION("partial or total: cleanly, with what is queued " << int(type))
        {
            script s;
            idle(s);
            s.e.cancelled(type);
            // What is queued goes at once, while the source is cancelled.
            CHECK(s.run() == actions{"cancel_source", "write(data: queued\n\n)"});
            s.e.turn_done();
            s.e.source_failed(boost::asio::error::operation_aborted);
            CHECK(s.run() == actions{"release"});
            s.e.wrote({}, s.now);
            CHECK(s.run() == actions{"stop_watch", "cancel_wait"});
            s.e.timer_fired(s.now);
            s.e.watch_ended(boost::asio::error::operation_aborted, false);
            CHECK(s.run() == actions{"write(|end)", "wait(+30000)"});
            s.e.wrote({}, s.now);
            CHECK(s.run() == actions{"cancel_wait"});
            s.e.timer_fired(s.now);
            CHECK(s.run() == actions{completed(boost::asio::error::operation_aborted)});
        }
    }
}

TEST_CASE("stream engine: over HTTP/2 the watch is the stream's close", "[stream_engine]")
{
    script s({}, peer_watch::stream_close);
    s.open();
    s.e.source_finished();
    // No stop: the end of the body ends the stream, and its close follows.
    CHECK(s.run() == actions{"release", "write(|end)"});
    s.e.wrote({}, s.now);
    CHECK(s.run() == actions{"cancel_wait"});
    s.e.timer_fired(s.now);
    CHECK(s.run().empty()); // the close has not come yet
    s.e.watch_ended({}, false);
    CHECK(s.run() == actions{completed({})});

    SECTION("a reset by the peer")
    {
        script r({}, peer_watch::stream_close);
        r.start();
        r.e.wrote({}, r.now);
        CHECK(r.run() == actions{"cancel_wait"});
        r.e.timer_fired(r.now);
        CHECK(r.run() == actions{"wait(+15000)"});
        r.e.watch_ended(boost::asio::error::connection_reset, false);
        CHECK(r.run() == actions{"cancel_source", "abort", "cancel_wait"});
        r.e.source_failed(boost::asio::error::operation_aborted);
        r.e.timer_fired(r.now);
        CHECK(r.run() == actions{"release", completed(sse::error::peer_gone)});
    }
}

TEST_CASE("stream engine: bytes that could not be kept", "[stream_engine]")
{
    // A sink without the connection's buffer reads a byte after the source
    // finished: the stream ends as planned, and says the connection lost it.
    script s;
    s.open();
    s.e.source_finished();
    CHECK(s.run() == actions{"release", "stop_watch", "cancel_wait"});
    s.e.timer_fired(s.now);
    s.e.peer_bytes_lost();
    s.e.watch_ended({}, true);
    CHECK(s.run() == actions{"write(|end)", "wait(+30000)"});
    s.e.wrote({}, s.now);
    CHECK(s.run() == actions{"cancel_wait"});
    s.e.timer_fired(s.now);
    CHECK(s.run() == actions{completed(sse::error::unexpected_data)});
}

TEST_CASE("stream engine: back pressure from the connection", "[stream_engine]")
{
    script s({}, peer_watch::stream_close);
    s.e.set_backpressure(true);
    CHECK(s.start() == actions{"watch", "write()", "wait(+30000)"});
    s.e.set_backpressure(false);
    CHECK(s.run() == actions{"ask"});
}

TEST_CASE("stream engine: the deprecated keep_alive still sets the heartbeat", "[stream_engine]")
{
    sse::stream_options o;
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
    o.keep_alive = std::chrono::milliseconds(250);
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
    script s(o);
    s.start();
    s.e.wrote({}, s.now);
    CHECK(s.run() == actions{"cancel_wait"});
    s.e.timer_fired(s.now);
    CHECK(s.run() == actions{"wait(+250)"});
}

TEST_CASE("stream engine: bytes from the peer, then the connection fails before the end is written", "[stream_engine]")
{
    // The stream would have ended cleanly, but its end never went out: it
    // was cut off, and says so.
    script s;
    s.start();
    s.e.wrote({}, s.now);
    s.run();
    s.e.timer_fired(s.now);
    s.run();
    s.e.watch_ended({}, true);
    s.run();
    s.e.timer_fired(s.now);
    s.e.source_failed(boost::asio::error::operation_aborted);
    CHECK(s.run() == actions{"release", "write(|end)", "wait(+30000)"});
    s.e.wrote(boost::asio::error::connection_reset, s.now);
    CHECK(s.run() == actions{"abort", "cancel_wait"});
    s.e.timer_fired(s.now);
    CHECK(s.run() == actions{completed(sse::error::peer_gone)});
}

TEST_CASE("stream engine: the peer leaves as the watch is being stopped", "[stream_engine]")
{
    // The read ends with the peer's close rather than the cancellation: the
    // connection is over, so is the stream, whose end is never written.
    script s;
    s.open();
    s.e.source_finished();
    CHECK(s.run() == actions{"release", "stop_watch", "cancel_wait"});
    s.e.timer_fired(s.now);
    s.e.watch_ended(boost::asio::error::eof, false);
    CHECK(s.run() == actions{"abort", completed(sse::error::peer_gone)});
}
