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

// The lines a comment is written as: split at CRLF, CR and LF, empty pieces
// included, as data is.
std::vector<std::string> comment_lines(std::string_view s)
{
    std::vector<std::string> lines(1);
    std::string const n = normalize_breaks(s);
    for (char const c : n) {
        if (c == '\n')
            lines.emplace_back();
        else
            lines.back() += c;
    }
    return lines;
}

// What a client that reports comments reads, in order: "comment(...)",
// "retry(...)" and "event(type|data|id)", then where the stream ended.
struct full_read {
    std::vector<std::string> items;
    sse::end_state end = sse::end_state::clean;
    std::string last_event_id;
    sse::error_code ec;
};

std::string event_text(std::string_view type, std::string_view data, std::string_view id)
{
    return "event(" + std::string(type) + "|" + std::string(data) + "|" + std::string(id) + ")";
}

full_read read_with_comments(std::string_view stream, std::vector<std::size_t> const& cuts, bool lenient)
{
    sse::parser p(sse::parser_options{.report_comments = true, .dispatch_unterminated = lenient});
    full_read out;
    std::size_t pos = 0;
    auto feed = [&](std::string_view chunk) {
        while (!chunk.empty() && !out.ec) {
            switch (p.parse(chunk, out.ec)) {
            case sse::parse_result::event:
                out.items.push_back(event_text(p.event().type, p.event().data, p.event().id));
                break;
            case sse::parse_result::retry:
                out.items.push_back("retry(" + std::to_string(p.retry()->count()) + ")");
                break;
            case sse::parse_result::comment:
                out.items.push_back("comment(" + std::string(p.comment()) + ")");
                break;
            case sse::parse_result::need_more: break;
            }
        }
    };
    for (std::size_t cut : cuts) {
        feed(stream.substr(pos, cut - pos));
        pos = cut;
    }
    feed(stream.substr(pos));
    if (!out.ec) {
        out.end = p.finish(out.ec);
        if (p.has_event())
            out.items.push_back("unterminated " + event_text(p.event().type, p.event().data, p.event().id));
    }
    out.last_event_id = std::string(p.last_event_id());
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
    int comments = 0;
    for (int n = 0; n < 5000; ++n) {
        INFO("case " << n);
        std::string stream;
        std::vector<item> expected;
        std::vector<std::string> expected_full; // with comments
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
            std::optional<std::string> comment;
            if (g.chance(15)) {
                comment = g.text(true, true);
                m.comment(*comment);
                ++comments;
            }

            std::string const wire = sse::to_string(m);
            CHECK(wire.size() == m.serialized_size());
            // Every message that is not empty ends with the empty line.
            CHECK(wire.empty() == m.empty());
            if (!m.empty())
                CHECK(wire.ends_with("\n\n"));
            stream += wire;

            // What the WHATWG rules make of this message.
            if (comment)
                for (auto const& line : comment_lines(*comment))
                    expected_full.push_back("comment(" + line + ")");
            if (retry) {
                expected.push_back(item::make_retry(*retry));
                expected_full.push_back("retry(" + std::to_string(retry->count()) + ")");
            }
            if (id)
                last_id = *id;
            if (data) {
                std::string const t = type && !type->empty() ? *type : "message";
                expected.push_back(item::make_event(t, normalize_breaks(*data), last_id));
                expected_full.push_back(event_text(t, normalize_breaks(*data), last_id));
            }
        }

        auto const cuts = g.cuts(stream.size());
        auto const got = sse::test::parse_split(stream, cuts);
        INFO("stream: " << stream);
        REQUIRE(!got.ec);
        REQUIRE(got.items == expected);
        REQUIRE(got.last_event_id == last_id);

        // With comments reported, and at the end: a serialized stream always
        // ends between messages, so the lenient mode dispatches nothing more.
        for (bool const lenient : {false, true}) {
            auto const full = read_with_comments(stream, cuts, lenient);
            REQUIRE(!full.ec);
            REQUIRE(full.items == expected_full);
            REQUIRE(full.end == sse::end_state::clean);
            REQUIRE(full.last_event_id == last_id);
        }
    }
    // The byte generator must exercise both outcomes.
    CHECK(accepted_bytes > 0);
    CHECK(refused_bytes > 0);
    CHECK(comments > 0);
}

TEST_CASE("roundtrip: comment-only messages (heartbeats)", "[roundtrip]")
{
    std::vector<sse::message> const messages{
        sse::message{}.comment("ping"),
        sse::message{}.id(1).data("a"),
        sse::message{}.comment(""),
        sse::message{}.comment("ping"),
        sse::message{}.comment(" two\r\nlines "),
        sse::message{}.event("e").data("b"),
        sse::message{}.comment("a\r\rb\n"),
    };
    std::string stream;
    for (auto const& m : messages)
        stream += sse::to_string(m);
    CHECK(stream.starts_with(": ping\n\nid: 1\n"));

    std::vector<std::string> const expected{
        "comment(ping)",
        event_text("message", "a", "1"),
        "comment()",
        "comment(ping)",
        "comment( two)",
        "comment(lines )",
        event_text("e", "b", "1"),
        "comment(a)",
        "comment()",
        "comment(b)",
        "comment()",
    };
    for (bool const lenient : {false, true}) {
        auto const whole = read_with_comments(stream, {}, lenient);
        CHECK(whole.items == expected);
        CHECK(whole.end == sse::end_state::clean);
        for (std::size_t i = 1; i < stream.size(); ++i) {
            INFO("split at " << i);
            auto const r = read_with_comments(stream, {i}, lenient);
            CHECK(r.items == expected);
            CHECK(r.end == sse::end_state::clean);
        }
    }
    // Without comments reported, heartbeats are invisible.
    CHECK(
        sse::test::parse_whole(stream).items ==
        std::vector{item::make_event("message", "a", "1"), item::make_event("e", "b", "1")}
    );
    // A heartbeat cut before its empty line ends a stream cleanly too: comments open no block.
    std::string const cut = sse::to_string(sse::message{}.comment("ping"));
    auto const r = read_with_comments(std::string_view(cut).substr(0, cut.size() - 1), {}, false);
    CHECK(r.items == std::vector<std::string>{"comment(ping)"});
    CHECK(r.end == sse::end_state::clean);
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

    // The comments read back too, and the stream ends cleanly.
    std::vector<std::string> const with_comments{
        "comment(hello)",
        "retry(1500)",
        event_text("greeting", "Hello, world!", "1"),
        event_text("message", "line1\nline2\nline3\nline4", "1"),
        event_text("message", " leading space", "1"),
        event_text("message", "Привет, мир 👋", "1"),
        "comment(a)",
        "comment(b)",
        event_text("message", "", "1"),
        event_text("message", "\n\n", "1"),
        event_text("last", "bye", "2"),
    };
    for (std::size_t i = 0; i < stream.size(); ++i) {
        auto const r = read_with_comments(stream, i == 0 ? std::vector<std::size_t>{} : std::vector{i}, true);
        CHECK(r.items == with_comments);
        CHECK(r.end == sse::end_state::clean);
    }
}
