//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Property tests: random messages, serialized, then read back by the parser
// in random chunkings, equal what a WHATWG client must see. Seeded and
// reproducible: set SSE_TEST_SEED to run another sequence.

#include <sse/message.hpp>
#include <sse/parser.hpp>

#include "catch.hpp"
#include "stream_items.hpp"
#include "utf8_encode.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <vector>

using sse::test::item;

namespace {

std::uint64_t test_seed()
{
    if (char const* s = std::getenv("SSE_TEST_SEED"))
        return std::strtoull(s, nullptr, 10);
    return 20261121;
}

// A reference UTF-8 check written independently of the library's: decode
// each sequence to a code point, then reject overlong forms, surrogates and
// values past U+10FFFF.
bool is_utf8(std::string_view s)
{
    std::size_t i = 0;
    while (i < s.size()) {
        auto const c = static_cast<unsigned char>(s[i]);
        int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (len == 0 || i + len > s.size())
            return false;
        std::uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
        for (int k = 1; k < len; ++k) {
            auto const b = static_cast<unsigned char>(s[i + k]);
            if ((b & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (b & 0x3F);
        }
        static constexpr std::uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

// CRLF and CR become LF: what a client reads back from data lines.
std::string normalize_breaks(std::string_view s)
{
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\r') {
            out += '\n';
            if (i + 1 < s.size() && s[i + 1] == '\n')
                ++i;
        } else {
            out += s[i];
        }
    }
    return out;
}

class generator {
public:
    explicit generator(std::uint64_t seed) : rng_(seed) {}

    std::size_t below(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
    bool chance(int percent) { return below(100) < static_cast<std::size_t>(percent); }

    // Text built from atoms that stress the wire rules.
    std::string text(bool breaks, bool nul)
    {
        std::string s;
        std::size_t const atoms = below(4) == 0 ? 0 : below(12);
        for (std::size_t i = 0; i < atoms; ++i) {
            switch (below(12)) {
            case 0: s += ' '; break;
            case 1: s += ':'; break;
            case 2:
                if (breaks)
                    s += "\n";
                break;
            case 3:
                if (breaks)
                    s += "\r";
                break;
            case 4:
                if (breaks)
                    s += "\r\n";
                break;
            case 5:
                if (nul)
                    s += '\0';
                break;
            case 6: sse::test::put_utf8(s, static_cast<std::uint32_t>(0x80 + below(0x800 - 0x80))); break;
            case 7: {
                auto cp = static_cast<std::uint32_t>(0x800 + below(0x10000 - 0x800));
                if (cp >= 0xD800 && cp <= 0xDFFF)
                    cp = 0xFEFF; // the BOM, in the middle of text
                sse::test::put_utf8(s, cp);
                break;
            }
            case 8: sse::test::put_utf8(s, static_cast<std::uint32_t>(0x10000 + below(0x110000 - 0x10000))); break;
            case 9: s += below(2) ? "data: " : "id: "; break;
            default: s += static_cast<char>(0x21 + below(0x7F - 0x21)); break;
            }
        }
        return s;
    }

    // Random bytes: mostly ill-formed UTF-8.
    std::string bytes()
    {
        std::string s(below(16), '\0');
        for (auto& c : s)
            c = static_cast<char>(below(256));
        return s;
    }

    std::vector<std::size_t> cuts(std::size_t size)
    {
        std::vector<std::size_t> v;
        if (size < 2)
            return v;
        std::size_t const n = below(12);
        for (std::size_t i = 0; i < n; ++i)
            v.push_back(1 + below(size - 1));
        std::sort(v.begin(), v.end());
        v.erase(std::unique(v.begin(), v.end()), v.end());
        return v;
    }

private:
    std::mt19937_64 rng_;
};

} // namespace

TEST_CASE("roundtrip: random messages read back as built", "[roundtrip]")
{
    std::uint64_t const seed = test_seed();
    INFO("SSE_TEST_SEED=" << seed);
    generator g(seed);

    int accepted_bytes = 0;
    int refused_bytes = 0;
    for (int n = 0; n < 5000; ++n) {
        INFO("case " << n);
        std::string stream;
        std::vector<item> expected;
        std::string last_id;

        std::size_t const count = 1 + g.below(5);
        for (std::size_t k = 0; k < count; ++k) {
            sse::message m;
            sse::error_code ec;
            std::optional<std::string> data;
            std::optional<std::string> type;
            std::optional<std::string> id;
            std::optional<std::chrono::milliseconds> retry;

            if (g.chance(10)) {
                std::string const raw = g.bytes();
                m.data(raw, ec);
                bool const valid = is_utf8(raw);
                CHECK(!ec == valid);
                if (valid) {
                    data = raw;
                    ++accepted_bytes;
                } else {
                    CHECK(ec == sse::error::invalid_utf8);
                    CHECK(!m.data());
                    ++refused_bytes;
                }
            } else if (g.chance(75)) {
                data = g.text(true, true);
                m.data(*data);
            }
            if (g.chance(40)) {
                type = g.text(false, true);
                m.event(*type);
            }
            if (g.chance(40)) {
                id = g.text(false, false);
                m.id(*id);
            }
            if (g.chance(10)) {
                // Forbidden bytes in an id or event are refused and change nothing.
                std::string bad = g.text(false, false);
                bad.insert(g.below(bad.size() + 1), 1, "\r\n\0"[g.below(3)]);
                m.id(bad, ec);
                CHECK(ec == sse::error::invalid_id);
                if (bad.find('\0') == std::string::npos) {
                    m.event(bad, ec);
                    CHECK(ec == sse::error::invalid_event);
                }
            }
            if (g.chance(15)) {
                retry = std::chrono::milliseconds(g.below(100000));
                m.retry(*retry);
            }
            if (g.chance(15))
                m.comment(g.text(true, true));

            std::string const wire = sse::to_string(m);
            CHECK(wire.size() == m.serialized_size());
            stream += wire;

            // What the WHATWG rules make of this message.
            if (retry)
                expected.push_back(item::make_retry(*retry));
            if (id)
                last_id = *id;
            if (data) {
                std::string const t = type && !type->empty() ? *type : "message";
                expected.push_back(item::make_event(t, normalize_breaks(*data), last_id));
            }
        }

        auto const cuts = g.cuts(stream.size());
        auto const got = sse::test::parse_split(stream, cuts);
        INFO("stream: " << stream);
        REQUIRE(!got.ec);
        REQUIRE(got.items == expected);
        REQUIRE(got.last_event_id == last_id);
    }
    // The byte generator must exercise both outcomes.
    CHECK(accepted_bytes > 0);
    CHECK(refused_bytes > 0);
}

TEST_CASE("roundtrip: a stream of every message read in every chunking", "[roundtrip]")
{
    using namespace std::chrono_literals;
    std::vector<sse::message> const messages{
        sse::message{}.comment("hello"),
        sse::message{}.retry(1500ms),
        sse::message{}.id(1).event("greeting").data("Hello, world!"),
        sse::message{}.data("line1\nline2\r\nline3\rline4"),
        sse::message{}.data(" leading space"),
        sse::message{}.data("Привет, мир 👋"),
        sse::message{}.data("").comment("a\r\nb"),
        sse::message{}.data("\r\n\r"),
        sse::message{}.id(2).event("last").data("bye"),
    };
    std::string stream;
    for (auto const& m : messages)
        stream += sse::to_string(m);

    std::vector<item> const expected{
        item::make_retry(1500ms),
        item::make_event("greeting", "Hello, world!", "1"),
        item::make_event("message", "line1\nline2\nline3\nline4", "1"),
        item::make_event("message", " leading space", "1"),
        item::make_event("message", "Привет, мир 👋", "1"),
        item::make_event("message", "", "1"),
        item::make_event("message", "\n\n", "1"),
        item::make_event("last", "bye", "2"),
    };
    CHECK(sse::test::parse_whole(stream).items == expected);
    CHECK(sse::test::parse_bytewise(stream).items == expected);
    for (std::size_t i = 1; i < stream.size(); ++i)
        CHECK(sse::test::parse_split(stream, {i}).items == expected);
}
