//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// UTF-8 handling, checked exhaustively on short sequences against a reference
// written from the WHATWG Encoding standard's UTF-8 decoder: the builder
// accepts exactly the well-formed strings, and the parser reads ill-formed
// bytes as the decoder does (one U+FFFD per maximal subpart).

#include <sse/message.hpp>
#include <sse/parser.hpp>

#include "catch.hpp"
#include "utf8_encode.hpp"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace {

using sse::test::put_utf8;

struct decoded {
    std::string text; // re-encoded as UTF-8
    bool had_errors = false;
};

// https://encoding.spec.whatwg.org/#utf-8-decoder, step by step.
decoded whatwg_decode(std::string_view in)
{
    decoded out;
    std::uint32_t cp = 0;
    int needed = 0;
    int seen = 0;
    unsigned lower = 0x80;
    unsigned upper = 0xBF;
    auto error = [&] {
        out.had_errors = true;
        put_utf8(out.text, 0xFFFD);
    };
    std::size_t i = 0;
    while (i < in.size()) {
        unsigned const byte = static_cast<unsigned char>(in[i]);
        if (needed == 0) {
            ++i;
            if (byte <= 0x7F) {
                put_utf8(out.text, byte);
            } else if (byte >= 0xC2 && byte <= 0xDF) {
                needed = 1;
                cp = byte & 0x1F;
            } else if (byte >= 0xE0 && byte <= 0xEF) {
                if (byte == 0xE0)
                    lower = 0xA0;
                if (byte == 0xED)
                    upper = 0x9F;
                needed = 2;
                cp = byte & 0xF;
            } else if (byte >= 0xF0 && byte <= 0xF4) {
                if (byte == 0xF0)
                    lower = 0x90;
                if (byte == 0xF4)
                    upper = 0x8F;
                needed = 3;
                cp = byte & 0x7;
            } else {
                error();
            }
            continue;
        }
        if (byte < lower || byte > upper) {
            cp = 0;
            needed = seen = 0;
            lower = 0x80;
            upper = 0xBF;
            error(); // the byte is processed again
            continue;
        }
        ++i;
        lower = 0x80;
        upper = 0xBF;
        cp = (cp << 6) | (byte & 0x3F);
        if (++seen == needed) {
            put_utf8(out.text, cp);
            cp = 0;
            needed = seen = 0;
        }
    }
    if (needed != 0)
        error();
    return out;
}

// Every byte string over the given alphabets, one alphabet per position.
std::vector<std::string> combinations(std::vector<std::vector<unsigned>> const& alphabets)
{
    std::vector<std::string> out{""};
    for (auto const& alphabet : alphabets) {
        std::vector<std::string> next;
        for (auto const& prefix : out)
            for (unsigned b : alphabet)
                next.push_back(prefix + static_cast<char>(b));
        out.swap(next);
    }
    return out;
}

std::vector<unsigned> all_bytes_but_breaks()
{
    std::vector<unsigned> v;
    for (unsigned b = 0; b < 256; ++b)
        if (b != '\r' && b != '\n')
            v.push_back(b);
    return v;
}

// Bytes at the edges of every range the decoder distinguishes.
std::vector<unsigned> const edges{0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0,
                                  0xC1, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF};

void check_all(std::vector<std::string> const& inputs)
{
    sse::parser p;
    std::size_t mismatches = 0;
    for (auto const& s : inputs) {
        decoded const ref = whatwg_decode(s);

        sse::error_code ec;
        sse::message m;
        m.data(s, ec);
        bool const accepted = !ec;
        bool const well_formed = !ref.had_errors;

        std::string const stream = "data: " + s + "\n\n";
        std::string_view in = stream;
        p.reset();
        std::string read;
        while (!in.empty())
            if (p.parse(in) == sse::parse_result::event)
                read = p.event().data;

        if (accepted != well_formed || read != ref.text) {
            if (++mismatches <= 10) {
                std::string hex;
                for (unsigned char c : s) {
                    char buf[4];
                    std::snprintf(buf, sizeof buf, "%02X ", c);
                    hex += buf;
                }
                FAIL_CHECK("bytes " << hex << ": builder accepted=" << accepted << " well-formed=" << well_formed
                                    << ", parser read matches decoder=" << (read == ref.text));
            }
        }
    }
    CHECK(mismatches == 0);
}

} // namespace

TEST_CASE("utf8: every one- and two-byte string", "[utf8]")
{
    auto const bytes = all_bytes_but_breaks();
    check_all(combinations({bytes}));
    check_all(combinations({bytes, bytes}));
}

TEST_CASE("utf8: three-byte strings around every boundary", "[utf8]")
{
    auto const bytes = all_bytes_but_breaks();
    check_all(combinations({edges, bytes, edges}));
    check_all(combinations({edges, edges, bytes}));
}

TEST_CASE("utf8: four- and five-byte strings around every boundary", "[utf8]")
{
    check_all(combinations({edges, edges, edges, edges}));
    check_all(combinations({{0xF0, 0xF4, 0xE0, 0xC2}, edges, edges, edges, {0x41, 0x80, 0xBF}}));
}

TEST_CASE("utf8: well-formed text of every length class", "[utf8]")
{
    std::vector<std::string> inputs;
    for (std::uint32_t cp : {0x7Fu, 0x80u, 0x7FFu, 0x800u, 0xD7FFu, 0xE000u, 0xFEFFu, 0xFFFDu, 0xFFFFu,
                             0x10000u, 0x10FFFFu}) {
        std::string s;
        put_utf8(s, cp);
        inputs.push_back(s);
        inputs.push_back(std::string(17, 'a') + s + std::string(17, 'b')); // crosses the 16-byte fast path
    }
    check_all(inputs);
}
