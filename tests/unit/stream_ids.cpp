//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// The HTTP/2 stream id rule nghttp2 leaves to us (RFC 9113, 5.1.1), by
// scripts of client bytes: the preface, then frames, split at every offset.

// Test that header file is self-contained.
#include <sse/http2/detail/stream_ids.hpp>

#include "catch.hpp"

#include <cstdint>
#include <string>
#include <vector>

using sse::http2::detail::stream_id_check;

namespace {

std::string const preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// A frame header and a payload of `length` bytes.
std::string frame(std::uint8_t type, std::uint32_t id, std::size_t length = 3, std::uint8_t flags = 0)
{
    std::string f;
    f += static_cast<char>(length >> 16 & 0xff);
    f += static_cast<char>(length >> 8 & 0xff);
    f += static_cast<char>(length & 0xff);
    f += static_cast<char>(type);
    f += static_cast<char>(flags);
    f += static_cast<char>(id >> 24 & 0x7f);
    f += static_cast<char>(id >> 16 & 0xff);
    f += static_cast<char>(id >> 8 & 0xff);
    f += static_cast<char>(id & 0xff);
    f.append(length, 'x');
    return f;
}

std::string headers(std::uint32_t id) { return frame(0x1, id, 5); }
std::string data(std::uint32_t id) { return frame(0x0, id, 7); }
std::string settings() { return frame(0x4, 0, 6); }

// Feeds `bytes` in pieces cut at `cuts`; returns how many were let through.
std::size_t feed(stream_id_check& c, std::string const& bytes, std::vector<std::size_t> cuts = {})
{
    cuts.push_back(bytes.size());
    std::size_t at = 0;
    std::size_t passed = 0;
    for (std::size_t cut : cuts) {
        auto const* p = reinterpret_cast<std::uint8_t const*>(bytes.data()) + at;
        std::size_t const n = c.scan(p, cut - at);
        passed += n;
        if (n < cut - at)
            return passed;
        at = cut;
    }
    return passed;
}

} // namespace

TEST_CASE("streams opened in increasing order pass, with trailers and frames on old streams")
{
    stream_id_check c;
    std::string const bytes = preface + settings() + headers(1) + data(1) + headers(3) + headers(7) + headers(1) +
                              data(3) + headers(7) + headers(9);
    CHECK(feed(c, bytes) == bytes.size());
    CHECK_FALSE(c.violated());
}

TEST_CASE("a HEADERS frame on a lower id never opened stops right before it")
{
    std::string const before = preface + settings() + headers(5);
    std::string const bytes = before + headers(3) + data(5);
    // Split at every offset: the answer does not depend on how bytes arrive.
    for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
        stream_id_check c;
        std::size_t const passed = feed(c, bytes, {cut});
        CAPTURE(cut);
        CHECK(c.violated());
        // Everything before the bad frame goes through; of the bad frame,
        // only what came in an earlier piece (part of its header).
        CHECK(passed >= std::min(cut, before.size()));
        CHECK(passed <= std::max(cut, before.size()));
        CHECK(passed <= before.size() + 8);
        CHECK(c.scan(reinterpret_cast<std::uint8_t const*>("x"), 1) == 0);
    }
}

TEST_CASE("the first stream may skip ids, and the skipped ones cannot be opened later")
{
    stream_id_check c;
    std::string const ok = preface + headers(7) + headers(11);
    CHECK(feed(c, ok) == ok.size());
    stream_id_check d;
    CHECK(feed(d, ok + headers(9)) == ok.size());
    CHECK(d.violated());
    stream_id_check e;
    CHECK(feed(e, ok + headers(1)) == ok.size());
    CHECK(e.violated());
}

TEST_CASE("a payload that looks like a HEADERS frame is skipped, as are large payloads split anywhere")
{
    stream_id_check c;
    // DATA on stream 3 whose payload is a HEADERS header for stream 1.
    std::string payload = headers(1);
    std::string f = frame(0x0, 3, payload.size());
    f.replace(9, payload.size(), payload);
    std::string const bytes = preface + headers(3) + f + frame(0x0, 3, 70000) + headers(5);
    CHECK(feed(c, bytes, {1, 30, 40, 1000, 50000}) == bytes.size());
    CHECK_FALSE(c.violated());
}

TEST_CASE("even and zero ids are left to nghttp2")
{
    stream_id_check c;
    std::string const bytes = preface + headers(5) + headers(2) + headers(0);
    CHECK(feed(c, bytes) == bytes.size());
}

TEST_CASE("many gaps: the oldest are forgotten, memory stays bounded")
{
    stream_id_check c;
    std::string bytes = preface;
    for (std::uint32_t id = 3; id < 3 + 4 * 100; id += 4)
        bytes += headers(id); // skips id - 2 each time
    CHECK(feed(c, bytes) == bytes.size());
    // A recent gap is still known; the first ones are forgotten, and
    // treated as used (nghttp2 ignores a HEADERS frame on them).
    std::string const recent = headers(3 + 4 * 99 - 2);
    stream_id_check d = c;
    CHECK(feed(d, recent) == 0);
    std::string const old = headers(1);
    CHECK(feed(c, old) == old.size());
}
