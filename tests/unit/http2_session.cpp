//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// The HTTP/2 session core by scripts: client frames and the time in, the
// server's frames out. No sockets and no clock: the error budget refills
// by the times the script gives.

// Test that header file is self-contained.
#include <sse/http2/detail/session.hpp>

#include "catch.hpp"
#include "h2_frames.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

using sse::http2::detail::session;
using namespace std::chrono_literals;

namespace {

using time_point = session::clock::time_point;
time_point const t0{std::chrono::hours(1)};

constexpr std::uint8_t DATA = 0x0, HEADERS = 0x1, RST_STREAM = 0x3, SETTINGS = 0x4, GOAWAY = 0x7;
constexpr std::uint8_t END_STREAM = 0x1, END_HEADERS = 0x4, ACK = 0x1;
constexpr std::uint32_t NO_ERROR = 0x0, PROTOCOL_ERROR = 0x1, STREAM_CLOSED = 0x5, ENHANCE_YOUR_CALM = 0xb;

using sse::test::frame;
using sse::test::u32;

std::string const preface = std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + frame(SETTINGS, 0, 0);

// GET / with :authority x, in HPACK's static table and one literal.
std::string get(std::uint32_t id, bool end_stream = true)
{
    std::string const block = "\x82\x86\x84\x41\x01x";
    return frame(HEADERS, static_cast<std::uint8_t>(END_HEADERS | (end_stream ? END_STREAM : 0)), id, block);
}

struct received {
    std::uint8_t type;
    std::uint8_t flags;
    std::uint32_t id;
    std::string payload;

    std::uint32_t code() const // RST_STREAM's, or GOAWAY's
    {
        std::size_t const at = type == GOAWAY ? 4 : 0;
        std::uint32_t v = 0;
        for (std::size_t i = at; i < at + 4; ++i)
            v = v << 8 | static_cast<unsigned char>(payload[i]);
        return v;
    }
};

struct script {
    sse::server_options options;
    std::optional<session> s;
    bool alive = true;

    explicit script(sse::server_options o = {}) : options(std::move(o)) { s.emplace(options, t0); }

    // Sends bytes; returns the frames the server writes back.
    std::vector<received> send(std::string const& bytes, time_point now = t0)
    {
        alive = s->receive(reinterpret_cast<std::uint8_t const*>(bytes.data()), bytes.size(), now) && alive;
        return out(now);
    }

    std::vector<received> out(time_point now = t0)
    {
        std::string bytes;
        s->produce(bytes, 1 << 20, now);
        std::vector<received> frames;
        std::size_t i = 0;
        while (i + 9 <= bytes.size()) {
            auto const b = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + k])); };
            std::size_t const length = b(0) << 16 | b(1) << 8 | b(2);
            frames.push_back({static_cast<std::uint8_t>(b(3)), static_cast<std::uint8_t>(b(4)),
                              (b(5) << 24 | b(6) << 16 | b(7) << 8 | b(8)) & 0x7fffffff, bytes.substr(i + 9, length)});
            i += 9 + length;
        }
        return frames;
    }
};

bool has(std::vector<received> const& frames, std::uint8_t type, std::uint32_t code)
{
    for (auto const& f : frames)
        if (f.type == type && f.code() == code)
            return true;
    return false;
}

} // namespace

TEST_CASE("http2 session: a request arrives as a Beast request", "[http2_session]")
{
    script c;
    auto const first = c.send(preface + get(1));
    CHECK(first.front().type == SETTINGS); // the server's settings
    REQUIRE(c.s->ready() == std::vector<std::int32_t>{1});
    auto* r = c.s->find(1);
    REQUIRE(r);
    CHECK(r->request.version() == 20);
    CHECK(r->request.target() == "/");
    CHECK(r->request[boost::beast::http::field::host] == "x");
}

TEST_CASE("http2 session: the error budget refills with the time given", "[http2_session]")
{
    sse::server_options o;
    o.reset_budget = 3;
    o.reset_refill_per_second = 1;

    SECTION("four resets at once: GOAWAY(ENHANCE_YOUR_CALM)")
    {
        script c(o);
        c.send(preface);
        std::string resets;
        for (std::uint32_t id : {1u, 3u, 5u, 7u})
            resets += get(id, false) + frame(RST_STREAM, 0, id, u32(0x8));
        auto const frames = c.send(resets, t0);
        CHECK(has(frames, GOAWAY, ENHANCE_YOUR_CALM));
        CHECK(c.s->result() == sse::error::reset_budget_exceeded);
    }
    SECTION("the fourth two seconds later: the budget has refilled")
    {
        script c(o);
        c.send(preface);
        std::string resets;
        for (std::uint32_t id : {1u, 3u, 5u})
            resets += get(id, false) + frame(RST_STREAM, 0, id, u32(0x8));
        CHECK_FALSE(has(c.send(resets, t0), GOAWAY, ENHANCE_YOUR_CALM));
        auto const later = c.send(get(7, false) + frame(RST_STREAM, 0, 7, u32(0x8)), t0 + 2s);
        CHECK_FALSE(has(later, GOAWAY, ENHANCE_YOUR_CALM));
        CHECK(!c.s->result());
    }
}

TEST_CASE("http2 session: stream states (RFC 9113, 5.1)", "[http2_session]")
{
    SECTION("HEADERS that would open a stream below one already opened: GOAWAY(PROTOCOL_ERROR)")
    {
        script c;
        c.send(preface + get(5));
        auto const frames = c.send(get(3));
        CHECK_FALSE(c.alive);
        CHECK(has(frames, GOAWAY, PROTOCOL_ERROR));
        CHECK(c.s->ready() == std::vector<std::int32_t>{5}); // stream 3 never reached the handler
    }
    SECTION("DATA on a stream closed both ways: STREAM_CLOSED")
    {
        script c;
        c.send(preface + get(1));
        c.s->answer_error(*c.s->find(1), 404);
        auto const answer = c.out();
        REQUIRE(!answer.empty());
        CHECK((answer.back().flags & END_STREAM) != 0);
        auto const frames = c.send(frame(DATA, END_STREAM, 1, "late"));
        CHECK((has(frames, RST_STREAM, STREAM_CLOSED) || has(frames, GOAWAY, STREAM_CLOSED)));
    }
    SECTION("DATA after the client's own RST_STREAM: STREAM_CLOSED")
    {
        script c;
        c.send(preface + get(1, false) + frame(RST_STREAM, 0, 1, u32(0x8)));
        auto const frames = c.send(frame(DATA, 0, 1, "late"));
        CHECK((has(frames, RST_STREAM, STREAM_CLOSED) || has(frames, GOAWAY, STREAM_CLOSED)));
    }
}

TEST_CASE("http2 session: graceful shutdown", "[http2_session]")
{
    script c;
    c.send(preface);
    c.out();
    c.s->begin_shutdown();
    auto const frames = c.out();
    CHECK(has(frames, GOAWAY, NO_ERROR));
    // Settings acknowledged, nothing else open: the session has nothing left to do.
    c.send(frame(SETTINGS, ACK, 0));
    CHECK_FALSE(c.s->alive());
}
