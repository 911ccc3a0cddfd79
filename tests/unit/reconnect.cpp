//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// The client's decisions without I/O (sse/detail/reconnect.hpp), driven by
// script: what each response status means, the back-off sequence with a
// seeded jitter, the limits, one-shot, the failure hook; and the URL parts
// and redirect resolution of sse/detail/url.hpp (RFC 3986 5.2).

// Test that header file is self-contained.
#include <sse/detail/reconnect.hpp>
#include <sse/detail/url.hpp>

#include <boost/asio/error.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catch.hpp"

namespace {

using namespace std::chrono_literals;
using ms = std::chrono::milliseconds;
using fsm_type = sse::detail::reconnect_fsm;
using kind = sse::detail::response_verdict::kind;

// A fixed origin: the machine's clock plays no part.
fsm_type::time_point const t0 = fsm_type::time_point{} + 1h;

sse::client_options no_jitter()
{
    sse::client_options o;
    o.jitter = 0;
    return o;
}

sse::error_code const refused_conn = boost::asio::error::connection_refused;
sse::error_code const peer_gone = sse::make_error_code(sse::error::peer_gone);

// The delays of `n` failed attempts in a row, one second apart.
std::vector<std::int64_t> failed_attempts(fsm_type& fsm, int n, fsm_type::time_point start = t0)
{
    std::vector<std::int64_t> delays;
    for (int i = 0; i < n; ++i) {
        sse::client_failure f;
        auto const s = fsm.attempt_failed(refused_conn, std::nullopt, start + std::chrono::seconds(i), f);
        REQUIRE(s.retry);
        CHECK(f.delay == s.delay);
        delays.push_back(s.delay.count());
    }
    return delays;
}

} // namespace

// ----------------------------------------------------------------------------
// judge_response

TEST_CASE("reconnect: judge_response: 200 opens only a text/event-stream", "[reconnect]")
{
    for (char const* type :
         {"text/event-stream",
          "text/event-stream; charset=utf-8",
          "text/event-stream;charset=UTF-8",
          "TEXT/Event-Stream",
          " text/event-stream ",
          "text/event-stream\t; x=y"}) {
        INFO(type);
        auto const v = sse::detail::judge_response(200, type, "", false);
        CHECK(v.what == kind::open);
        CHECK(!v.error);
        CHECK(!v.delay);
    }
    for (char const* type :
         {"text/html",
          "",
          "text/event-streams",
          "text/event",
          "application/json",
          "text/plain; x=text/event-stream",
          "event-stream"}) {
        INFO(type);
        auto const v = sse::detail::judge_response(200, type, "", false);
        CHECK(v.what == kind::fail);
        CHECK(v.error == sse::error::bad_content_type);
    }
    // A Location or a Retry-After changes nothing on a 200.
    CHECK(sse::detail::judge_response(200, "text/event-stream", "5", true).what == kind::open);
}

TEST_CASE("reconnect: judge_response: 204 stops for good", "[reconnect]")
{
    for (char const* type : {"", "text/event-stream", "text/html"}) {
        auto const v = sse::detail::judge_response(204, type, "3", false);
        CHECK(v.what == kind::stop);
        CHECK(v.error == sse::error::no_content);
    }
}

TEST_CASE("reconnect: judge_response: redirects", "[reconnect]")
{
    for (unsigned status : {301u, 302u, 303u, 307u, 308u}) {
        INFO(status);
        auto const with = sse::detail::judge_response(status, "text/html", "", true);
        CHECK(with.what == kind::redirect);
        CHECK(!with.error);
        // Without a Location there is nowhere to go: refused.
        auto const without = sse::detail::judge_response(status, "text/html", "", false);
        CHECK(without.what == kind::fail);
        CHECK(without.error == sse::error::refused);
    }
    // 300, 304, 305 are not followed, Location or not.
    for (unsigned status : {300u, 304u, 305u}) {
        INFO(status);
        CHECK(sse::detail::judge_response(status, "", "", true).what == kind::fail);
    }
}

TEST_CASE("reconnect: judge_response: refusals", "[reconnect]")
{
    for (unsigned status : {100u, 201u, 206u, 400u, 401u, 403u, 404u, 405u, 406u, 410u, 500u, 501u, 505u}) {
        INFO(status);
        for (char const* type : {"text/event-stream", "application/json"}) {
            auto const v = sse::detail::judge_response(status, type, "1", false);
            CHECK(v.what == kind::fail);
            CHECK(v.error == sse::error::refused);
            CHECK(!v.delay); // Retry-After means nothing on a status that is not retried
        }
    }
}

TEST_CASE(
    "reconnect: judge_response: 429, 502, 503, 504 are retried, after Retry-After in seconds", "[reconnect]"
)
{
    for (unsigned status : {429u, 502u, 503u, 504u}) {
        INFO(status);
        auto const plain = sse::detail::judge_response(status, "text/html", "", false);
        CHECK(plain.what == kind::retry);
        CHECK(plain.error == sse::error::refused);
        CHECK(!plain.delay);

        auto const after = sse::detail::judge_response(status, "text/html", "120", false);
        CHECK(after.what == kind::retry);
        REQUIRE(after.delay);
        CHECK(*after.delay == 120s);

        CHECK(sse::detail::judge_response(status, "", " 7 ", false).delay == ms(7s));
        CHECK(sse::detail::judge_response(status, "", "0", false).delay == ms(0));

        // An HTTP-date is not read: the client's own delay applies.
        auto const date = sse::detail::judge_response(status, "", "Wed, 21 Oct 2015 07:28:00 GMT", false);
        CHECK(date.what == kind::retry);
        CHECK(!date.delay);
        // Nor is anything else but digits.
        for (char const* value : {"1.5", "-1", "+1", "1s", "0x10", "1 2", "1234567890"}) {
            INFO(value);
            CHECK(!sse::detail::judge_response(status, "", value, false).delay);
        }
    }
    CHECK(sse::detail::parse_retry_after("999999999") == ms(999999999s));
    CHECK(sse::detail::parse_retry_after("\t3\t") == ms(3s));
    CHECK(!sse::detail::parse_retry_after(""));
    CHECK(!sse::detail::parse_retry_after("   "));
}

// ----------------------------------------------------------------------------
// reconnect_fsm: back-off

TEST_CASE("reconnect: failed attempts back off exponentially up to max_backoff (jitter 0)", "[reconnect]")
{
    auto const o = no_jitter();
    fsm_type fsm(o, 1);
    CHECK(fsm.reconnection_time() == 3s);
    CHECK(
        failed_attempts(fsm, 7) == std::vector<std::int64_t>{3000, 6000, 12000, 24000, 30000, 30000, 30000}
    );
    CHECK(fsm.failures() == 7);
}

TEST_CASE("reconnect: failure.attempts counts the failed attempts in a row", "[reconnect]")
{
    auto const o = no_jitter();
    fsm_type fsm(o, 1);
    for (std::size_t i = 1; i <= 4; ++i) {
        sse::client_failure f;
        auto const s = fsm.attempt_failed(refused_conn, std::nullopt, t0, f);
        CHECK(s.retry);
        CHECK(f.attempts == i);
        CHECK(f.error == refused_conn);
        CHECK(fsm.failures() == i);
    }
    fsm.opened(t0 + 10s);
    CHECK(fsm.failures() == 0);
}

TEST_CASE(
    "reconnect: the jitter adds at most its fraction, and a seed gives the same sequence", "[reconnect]"
)
{
    sse::client_options o; // jitter 0.25 by default
    REQUIRE(o.jitter == 0.25);
    std::vector<std::int64_t> const base{3000, 6000, 12000, 24000, 30000, 30000};

    fsm_type a(o, 42);
    fsm_type b(o, 42);
    auto const da = failed_attempts(a, 6);
    auto const db = failed_attempts(b, 6);
    CHECK(da == db);
    for (std::size_t i = 0; i < base.size(); ++i) {
        INFO("attempt " << i + 1 << ": " << da[i] << " ms");
        CHECK(da[i] >= base[i]);
        CHECK(da[i] <= std::min<std::int64_t>(base[i] + base[i] / 4, 30000));
    }

    // Another seed, another sequence (the first four are below the ceiling).
    fsm_type c(o, 43);
    auto const dc = failed_attempts(c, 6);
    CHECK(
        std::vector<std::int64_t>(dc.begin(), dc.begin() + 4) !=
        std::vector<std::int64_t>(da.begin(), da.begin() + 4)
    );

    // The jitter does add something: over 50 seeds, the first delays are not all 3000.
    std::int64_t largest = 0;
    for (std::uint64_t seed = 0; seed < 50; ++seed) {
        fsm_type f(o, seed);
        largest = std::max(largest, failed_attempts(f, 1)[0]);
    }
    CHECK(largest > 3000);
    CHECK(largest <= 3750);
}

TEST_CASE("reconnect: a jitter above 1 counts as 1", "[reconnect]")
{
    sse::client_options o;
    o.jitter = 5;
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
        fsm_type f(o, seed);
        auto const d = failed_attempts(f, 2);
        CHECK(d[0] >= 3000);
        CHECK(d[0] <= 6000);
        CHECK(d[1] >= 6000);
        CHECK(d[1] <= 12000);
    }
}

TEST_CASE("reconnect: a reconnection time above max_backoff is kept", "[reconnect]")
{
    auto o = no_jitter();
    o.reconnection_time = 60s;
    fsm_type fsm(o, 1);
    CHECK(failed_attempts(fsm, 3) == std::vector<std::int64_t>{60000, 60000, 60000});
}

TEST_CASE("reconnect: a clean end waits exactly the reconnection time, which retry: changes", "[reconnect]")
{
    auto const o = no_jitter();
    fsm_type fsm(o, 1);
    for (int i = 0; i < 3; ++i) {
        fsm.opened(t0 + std::chrono::seconds(10 * i));
        sse::client_failure f;
        auto const s = fsm.ended({}, t0 + std::chrono::seconds(10 * i + 1), f);
        CHECK(s.retry);
        CHECK(s.delay == 3s); // every time: a clean end is no failure
        CHECK(f.error == sse::error::end_of_stream);
        CHECK(f.status == 200);
        CHECK(f.attempts == 0);
        CHECK(f.delay == 3s);
    }

    fsm.set_reconnection_time(1500ms);
    CHECK(fsm.reconnection_time() == 1500ms);
    fsm.opened(t0 + 100s);
    sse::client_failure f;
    CHECK(fsm.ended({}, t0 + 101s, f).delay == 1500ms);

    // retry: 0 reconnects at once.
    fsm.set_reconnection_time(0ms);
    fsm.opened(t0 + 200s);
    CHECK(fsm.ended({}, t0 + 201s, f).delay == 0ms);
}

TEST_CASE("reconnect: retry: sets the base of the back-off too", "[reconnect]")
{
    auto const o = no_jitter();
    fsm_type fsm(o, 1);
    fsm.set_reconnection_time(500ms);
    CHECK(failed_attempts(fsm, 4) == std::vector<std::int64_t>{500, 1000, 2000, 4000});
}

TEST_CASE("reconnect: a clean end resets the back-off", "[reconnect]")
{
    auto const o = no_jitter();
    fsm_type fsm(o, 1);
    CHECK(failed_attempts(fsm, 3) == std::vector<std::int64_t>{3000, 6000, 12000});
    fsm.opened(t0 + 30s);
    sse::client_failure f;
    CHECK(fsm.ended({}, t0 + 31s, f).delay == 3s);
}

TEST_CASE("reconnect: streams cut short back off; one that was stable starts over", "[reconnect]")
{
    auto const o = no_jitter(); // stable_after 30 s
    REQUIRE(o.stable_after == 30s);
    fsm_type fsm(o, 1);
    std::vector<std::int64_t> delays;
    auto now = t0;
    for (int i = 0; i < 4; ++i) {
        fsm.opened(now);
        now += 1s;
        sse::client_failure f;
        auto const s = fsm.ended(peer_gone, now, f);
        CHECK(s.retry);
        CHECK(f.error == sse::error::peer_gone);
        CHECK(f.status == 200);
        delays.push_back(s.delay.count());
        now += s.delay;
    }
    CHECK(delays == std::vector<std::int64_t>{3000, 6000, 12000, 24000});

    // Open for stable_after: its end counts as the first failure again.
    fsm.opened(now);
    sse::client_failure f;
    CHECK(fsm.ended(peer_gone, now + 30s, f).delay == 3s);
    // ... and the next short one doubles from there.
    fsm.opened(now + 40s);
    CHECK(fsm.ended(peer_gone, now + 41s, f).delay == 6s);

    // A shorter stable_after.
    auto o2 = no_jitter();
    o2.stable_after = 5s;
    fsm_type g(o2, 1);
    CHECK(failed_attempts(g, 3) == std::vector<std::int64_t>{3000, 6000, 12000});
    g.opened(t0 + 100s);
    CHECK(g.ended(peer_gone, t0 + 104s, f).delay == 24s); // 4 s: not stable yet
    g.opened(t0 + 200s);
    CHECK(g.ended(peer_gone, t0 + 205s, f).delay == 3s); // 5 s: stable
    CHECK(g.ended(peer_gone, t0 + 300s, f).delay == 6s); // no opened(): not stable
}

TEST_CASE("reconnect: a failed attempt after a clean end (current behaviour)", "[reconnect]")
{
    // The clean end waited the reconnection time; a reconnection that then
    // fails waits twice that (the wait after the clean end counts as the
    // first of the series). See the report: the comment of backoff() ("doubled
    // for each failure in a row before this one") reads as 3000 here.
    auto const o = no_jitter();
    fsm_type fsm(o, 1);
    fsm.opened(t0);
    sse::client_failure f;
    CHECK(fsm.ended({}, t0 + 1s, f).delay == 3s);
    CHECK(failed_attempts(fsm, 3, t0 + 4s) == std::vector<std::int64_t>{6000, 12000, 24000});
}

TEST_CASE(
    "reconnect: a server's Retry-After is the delay, exactly, and does not advance the back-off",
    "[reconnect]"
)
{
    sse::client_options o; // with jitter: the server's delay gets none
    fsm_type fsm(o, 7);
    sse::client_failure f;
    auto s = fsm.attempt_failed(sse::make_error_code(sse::error::refused), ms(1000), t0, f);
    CHECK(s.retry);
    CHECK(s.delay == 1000ms);
    CHECK(f.delay == 1000ms);
    CHECK(f.attempts == 1);
    s = fsm.attempt_failed(sse::make_error_code(sse::error::refused), ms(0), t0 + 1s, f);
    CHECK(s.delay == 0ms);

    auto const nj = no_jitter();
    fsm_type g(nj, 7);
    CHECK(
        g.attempt_failed(refused_conn, ms(120000), t0, f).delay == 120s
    ); // above max_backoff: the server's word
    CHECK(failed_attempts(g, 2, t0 + 120s) == std::vector<std::int64_t>{3000, 6000});
}

// ----------------------------------------------------------------------------
// reconnect_fsm: limits

TEST_CASE("reconnect: max_attempts", "[reconnect]")
{
    auto o = no_jitter();
    o.max_attempts = 2;
    fsm_type fsm(o, 1);
    sse::client_failure f;
    // N = 2: the first failed attempt is retried, the second gives up.
    CHECK(fsm.attempt_failed(refused_conn, std::nullopt, t0, f).retry);
    auto const s = fsm.attempt_failed(refused_conn, std::nullopt, t0 + 3s, f);
    CHECK(!s.retry);
    CHECK(s.error == sse::error::too_many_retries);
    CHECK(f.error == refused_conn); // the cause stays in the failure
    CHECK(f.attempts == 2);

    // An open stream starts the count over; ends of open streams are not attempts.
    fsm_type g(o, 1);
    CHECK(g.attempt_failed(refused_conn, std::nullopt, t0, f).retry);
    g.opened(t0 + 2s);
    for (int i = 0; i < 5; ++i)
        CHECK(g.ended(peer_gone, t0 + 3s, f).retry);
    CHECK(g.attempt_failed(refused_conn, std::nullopt, t0 + 4s, f).retry);
    CHECK(!g.attempt_failed(refused_conn, std::nullopt, t0 + 5s, f).retry);

    // max_attempts 0 or 1: no retry at all.
    for (std::size_t const n : {0u, 1u}) {
        o.max_attempts = n;
        fsm_type h(o, 1);
        auto const s0 = h.attempt_failed(refused_conn, std::nullopt, t0, f);
        CHECK(!s0.retry);
        CHECK(s0.error == sse::error::too_many_retries);
    }

    // A Retry-After counts as an attempt too.
    o.max_attempts = 2;
    fsm_type k(o, 1);
    CHECK(k.attempt_failed(sse::make_error_code(sse::error::refused), ms(1000), t0, f).retry);
    CHECK(!k.attempt_failed(sse::make_error_code(sse::error::refused), ms(1000), t0 + 1s, f).retry);
}

TEST_CASE("reconnect: max_retry_time", "[reconnect]")
{
    auto o = no_jitter();
    o.max_retry_time = 10s;
    fsm_type fsm(o, 1);
    sse::client_failure f;
    // Failing since t0: retry while the wait ends within 10 s of it.
    auto s = fsm.attempt_failed(refused_conn, std::nullopt, t0, f); // 0 + 3 s
    CHECK(s.retry);
    CHECK(s.delay == 3s);
    s = fsm.attempt_failed(refused_conn, std::nullopt, t0 + 3s, f); // 3 + 6 s
    CHECK(s.retry);
    CHECK(s.delay == 6s);
    s = fsm.attempt_failed(refused_conn, std::nullopt, t0 + 9s, f); // 9 + 12 s > 10 s
    CHECK(!s.retry);
    CHECK(s.error == sse::error::too_many_retries);

    // Up to the limit exactly is allowed (a server's delay that ends at 10 s).
    fsm_type g(o, 1);
    CHECK(g.attempt_failed(refused_conn, std::nullopt, t0, f).retry);
    CHECK(g.attempt_failed(refused_conn, ms(7000), t0 + 3s, f).retry); // 3 + 7 = 10 s
    CHECK(!g.attempt_failed(refused_conn, ms(1), t0 + 10s, f).retry);  // 10 s + 1 ms

    // An open stream starts the window over.
    fsm_type h(o, 1);
    CHECK(h.attempt_failed(refused_conn, std::nullopt, t0, f).retry);
    CHECK(h.attempt_failed(refused_conn, std::nullopt, t0 + 3s, f).retry);
    h.opened(t0 + 9s);
    CHECK(h.ended(peer_gone, t0 + 60s, f).retry);                           // stable: back to 3 s
    CHECK(h.attempt_failed(refused_conn, std::nullopt, t0 + 63s, f).retry); // window from 63 s: 0 + 6 s
    CHECK(h.attempt_failed(refused_conn, std::nullopt, t0 + 69s, f).retry == false); // 6 + 12 s > 10 s
}

// ----------------------------------------------------------------------------
// reconnect_fsm: one-shot

TEST_CASE("reconnect: one-shot never retries", "[reconnect]")
{
    auto o = no_jitter();
    o.one_shot = true;
    int hook_calls = 0;
    o.on_failure = [&](sse::client_failure const&) {
        ++hook_calls;
        return sse::retry_decision::after(1ms);
    };
    fsm_type fsm(o, 1);
    sse::client_failure f;

    fsm.opened(t0);
    auto s = fsm.ended({}, t0 + 1s, f);
    CHECK(!s.retry);
    CHECK(s.error == sse::error::end_of_stream);

    fsm.opened(t0 + 2s);
    s = fsm.ended(peer_gone, t0 + 3s, f);
    CHECK(!s.retry);
    CHECK(s.error == sse::error::peer_gone);

    s = fsm.attempt_failed(refused_conn, std::nullopt, t0 + 4s, f);
    CHECK(!s.retry);
    CHECK(s.error == refused_conn);

    s = fsm.attempt_failed(sse::make_error_code(sse::error::refused), ms(1000), t0 + 5s, f);
    CHECK(!s.retry);
    CHECK(s.error == sse::error::refused);

    CHECK(hook_calls == 0);
}

// ----------------------------------------------------------------------------
// reconnect_fsm: the failure hook

TEST_CASE("reconnect: on_failure sees the failure and decides", "[reconnect]")
{
    auto o = no_jitter();
    std::vector<sse::client_failure> seen;
    std::optional<ms> answer; // none: stop
    o.on_failure = [&](sse::client_failure const& f) {
        seen.push_back(f);
        return answer ? sse::retry_decision::after(*answer) : sse::retry_decision::stop();
    };
    fsm_type fsm(o, 1);
    sse::client_failure f;
    f.last_event_id = "41"; // the caller's: passed through untouched

    answer = 250ms;
    auto s = fsm.attempt_failed(refused_conn, std::nullopt, t0, f);
    CHECK(s.retry);
    CHECK(s.delay == 250ms);
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].error == refused_conn);
    CHECK(seen[0].attempts == 1);
    CHECK(seen[0].delay == 3s); // the proposed delay
    CHECK(seen[0].last_event_id == "41");

    // The hook's delay does not change the back-off: the next proposal doubles.
    answer = -5ms; // negative: at once
    s = fsm.attempt_failed(refused_conn, std::nullopt, t0 + 1s, f);
    CHECK(s.retry);
    CHECK(s.delay == 0ms);
    REQUIRE(seen.size() == 2);
    CHECK(seen[1].attempts == 2);
    CHECK(seen[1].delay == 6s);

    // A server's Retry-After is what the hook is proposed.
    answer = 10ms;
    s = fsm.attempt_failed(sse::make_error_code(sse::error::refused), ms(1000), t0 + 2s, f);
    CHECK(s.delay == 10ms);
    REQUIRE(seen.size() == 3);
    CHECK(seen[2].delay == 1000ms);
    CHECK(seen[2].error == sse::error::refused);

    // The end of an open stream goes through the hook too.
    fsm.opened(t0 + 3s);
    answer = 20ms;
    s = fsm.ended(peer_gone, t0 + 4s, f);
    CHECK(s.delay == 20ms);
    REQUIRE(seen.size() == 4);
    CHECK(seen[3].error == sse::error::peer_gone);
    CHECK(seen[3].status == 200);
    CHECK(seen[3].attempts == 0);
    CHECK(seen[3].delay == 12s); // the back-off goes on: two failed attempts before, a stream cut short

    // stop(): no retry.
    answer.reset();
    s = fsm.attempt_failed(refused_conn, std::nullopt, t0 + 5s, f);
    CHECK(!s.retry);
    CHECK(s.error == sse::error::too_many_retries);
    fsm.opened(t0 + 6s);
    s = fsm.ended({}, t0 + 7s, f);
    CHECK(!s.retry);
    REQUIRE(seen.size() == 6);
    CHECK(seen[5].error == sse::error::end_of_stream);
}

TEST_CASE("reconnect: the limits apply before the hook is asked", "[reconnect]")
{
    auto o = no_jitter();
    o.max_attempts = 2;
    int calls = 0;
    o.on_failure = [&](sse::client_failure const&) {
        ++calls;
        return sse::retry_decision::after(1ms);
    };
    fsm_type fsm(o, 1);
    sse::client_failure f;
    CHECK(fsm.attempt_failed(refused_conn, std::nullopt, t0, f).retry);
    auto const s = fsm.attempt_failed(refused_conn, std::nullopt, t0, f);
    CHECK(!s.retry);
    CHECK(s.error == sse::error::too_many_retries);
    CHECK(calls == 1);
}

// client_options.hpp, retry_decision::stop(): "Do not try again: `async_next`
// completes with `error::too_many_retries`" (the failure is in failure()).
TEST_CASE("reconnect: on_failure's stop() ends with too_many_retries, as documented", "[reconnect]")
{
    auto o = no_jitter();
    o.on_failure = [](sse::client_failure const&) {
        return sse::retry_decision::stop();
    };
    fsm_type fsm(o, 1);
    sse::client_failure f;
    auto const s = fsm.attempt_failed(refused_conn, std::nullopt, t0, f);
    CHECK(!s.retry);
    CHECK(s.error == sse::error::too_many_retries);
    CHECK(f.error == refused_conn);
    fsm.opened(t0 + 1s);
    auto const e = fsm.ended(peer_gone, t0 + 2s, f);
    CHECK(!e.retry);
    CHECK(e.error == sse::error::too_many_retries);
    CHECK(f.error == sse::error::peer_gone);
}

// ----------------------------------------------------------------------------
// parse_url

TEST_CASE("url: parse_url", "[reconnect][url]")
{
    using sse::detail::parse_url;
    SECTION("defaults")
    {
        auto const u = parse_url("http://example.com");
        REQUIRE(u);
        CHECK(!u->tls);
        CHECK(u->host == "example.com");
        CHECK(u->port == "80");
        CHECK(u->target == "/");
        CHECK(u->host_field() == "example.com");
        CHECK(u->str() == "http://example.com/");

        auto const s = parse_url("https://example.com/events");
        REQUIRE(s);
        CHECK(s->tls);
        CHECK(s->port == "443");
        CHECK(s->target == "/events");
        CHECK(s->host_field() == "example.com");
    }
    SECTION("ports: in the Host field unless the scheme's default")
    {
        auto const u = parse_url("http://example.com:8080");
        REQUIRE(u);
        CHECK(u->port == "8080");
        CHECK(u->target == "/");
        CHECK(u->host_field() == "example.com:8080");
        CHECK(parse_url("https://example.com:443/")->host_field() == "example.com");
        CHECK(parse_url("http://example.com:443/")->host_field() == "example.com:443");
        CHECK(parse_url("https://example.com:80/")->host_field() == "example.com:80");
        CHECK(parse_url("http://example.com:80/x")->host_field() == "example.com");
        CHECK(parse_url("http://example.com:/x")->port == "80"); // an empty port is the default (RFC 3986)
    }
    SECTION("query and fragment")
    {
        auto const u = parse_url("https://example.com:8443/a/b?x=1&y=%20#frag");
        REQUIRE(u);
        CHECK(u->target == "/a/b?x=1&y=%20");
        CHECK(parse_url("http://h?q=1")->target == "/?q=1");
        CHECK(parse_url("http://h#f")->target == "/");
        CHECK(parse_url("http://h/p#f?x")->target == "/p");
        CHECK(parse_url("http://h:81?q")->host_field() == "h:81");
        CHECK(parse_url("http://h/a?b=http://x/y")->target == "/a?b=http://x/y");
    }
    SECTION("IPv6")
    {
        auto const u = parse_url("http://[2001:db8::1]:8443/p?q#f");
        REQUIRE(u);
        CHECK(u->host == "2001:db8::1");
        CHECK(u->port == "8443");
        CHECK(u->target == "/p?q");
        CHECK(u->host_field() == "[2001:db8::1]:8443");
        CHECK(u->str() == "http://[2001:db8::1]:8443/p?q");
        auto const d = parse_url("https://[::1]/");
        REQUIRE(d);
        CHECK(d->host == "::1");
        CHECK(d->port == "443");
        CHECK(d->host_field() == "[::1]");
        CHECK(parse_url("http://[::1]")->target == "/");
    }
    SECTION("userinfo is dropped")
    {
        auto const u = parse_url("http://user:pa@ss@example.com:81/x");
        REQUIRE(u);
        CHECK(u->host == "example.com");
        CHECK(u->port == "81");
        CHECK(u->target == "/x");
        // An @ after the authority is not userinfo.
        CHECK(parse_url("http://h/p@q")->host == "h");
        CHECK(parse_url("http://h?x=a@b")->host == "h");
    }
    SECTION("upper-case schemes")
    {
        CHECK(parse_url("HTTP://h/")->tls == false);
        CHECK(parse_url("HTTPS://h/")->tls == true);
    }
    SECTION("refused")
    {
        for (char const* bad :
             {"",
              "example.com/x",
              "//example.com/",
              "ftp://h/",
              "ws://h/",
              "http:/h/",
              "http://",
              "http:///path",
              "http://:8080/",
              "http://h:x/",
              "http://h:-1/",
              "http://h:8 0/",
              "http://[::1",
              "http://[::1]x/",
              "http://@/",
              "mailto:x@example.com"}) {
            INFO(bad);
            CHECK(!parse_url(bad));
        }
    }
}

// RFC 3986 3.1: "schemes are case-insensitive"; 3.2.3: a port is a TCP
// port (at most 65535: above it, the resolver fails and the client retries
// for ever instead of stopping with bad_url).
TEST_CASE("url: parse_url: mixed-case schemes, ports out of range", "[reconnect][url]")
{
    using sse::detail::parse_url;
    auto const u = parse_url("Https://h/");
    CHECK(u);
    CHECK((u && u->tls));
    CHECK(!parse_url("http://h:65536/"));
    CHECK(!parse_url("http://h:99999999999/"));
}

// ----------------------------------------------------------------------------
// resolve_location

TEST_CASE("url: resolve_location", "[reconnect][url]")
{
    using sse::detail::parse_url;
    using sse::detail::resolve_location;
    auto const base = *parse_url("http://example.com:8080/a/b?x=1");

    auto r = resolve_location(base, "/c");
    REQUIRE(r);
    CHECK(!r->tls);
    CHECK(r->host == "example.com");
    CHECK(r->port == "8080");
    CHECK(r->target == "/c");

    CHECK(resolve_location(base, "/c?y=2#f")->target == "/c?y=2");
    CHECK(resolve_location(base, "c")->target == "/a/c");
    CHECK(resolve_location(base, "c?y=2")->target == "/a/c?y=2");
    CHECK(resolve_location(base, "c/d#e")->target == "/a/c/d");
    CHECK(resolve_location(*parse_url("http://h/"), "c")->target == "/c");
    CHECK(resolve_location(*parse_url("http://h/a/"), "c")->target == "/a/c");
    CHECK(
        resolve_location(*parse_url("http://h/a/b?p=/q/r"), "c")->target == "/a/c"
    ); // the query's / is no directory

    // Network-path references keep the scheme.
    r = resolve_location(base, "//other.example/d");
    REQUIRE(r);
    CHECK(!r->tls);
    CHECK(r->host == "other.example");
    CHECK(r->port == "80");
    CHECK(r->target == "/d");
    r = resolve_location(*parse_url("https://h/x"), "//o:444/d");
    REQUIRE(r);
    CHECK(r->tls);
    CHECK(r->host == "o");
    CHECK(r->port == "444");

    // Absolute URLs, to another scheme, host or port.
    r = resolve_location(base, "https://secure.example/e#f");
    REQUIRE(r);
    CHECK(r->tls);
    CHECK(r->host == "secure.example");
    CHECK(r->port == "443");
    CHECK(r->target == "/e");
    r = resolve_location(base, "http://[::1]:9/x");
    REQUIRE(r);
    CHECK(r->host == "::1");
    CHECK(r->host_field() == "[::1]:9");
    CHECK(!resolve_location(base, "ftp://files.example/f"));
}

// RFC 3986 5.2 and 5.4.1 (base http://a/b/c/d;p?q): "?y" -> http://a/b/c/d;p?y,
// "" -> the base, "#s" -> the base, "../g" -> http://a/b/g, "./g" -> http://a/b/c/g.
TEST_CASE(
    "url: resolve_location: query-only, empty and dot-segment references (RFC 3986 5.4.1)",
    "[reconnect][url]"
)
{
    using sse::detail::parse_url;
    using sse::detail::resolve_location;
    auto const base = *parse_url("http://a/b/c/d;p?q");
    CHECK(resolve_location(base, "?y")->target == "/b/c/d;p?y");
    CHECK(resolve_location(base, "")->target == "/b/c/d;p?q");
    CHECK(resolve_location(base, "#s")->target == "/b/c/d;p?q");
    CHECK(resolve_location(base, "../g")->target == "/b/g");
    CHECK(resolve_location(base, "./g")->target == "/b/c/g");
    CHECK(resolve_location(base, "../../../g")->target == "/g");
}
