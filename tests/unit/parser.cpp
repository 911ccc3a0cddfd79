//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Test that header file is self-contained.
#include <sse/parser.hpp>

#include "catch.hpp"
#include "stream_items.hpp"

#include <string>
#include <vector>

using namespace std::chrono_literals;
using namespace std::string_literals;
using sse::test::item;
using sse::test::parse_outcome;

namespace {

// Parses the stream whole, then split at every offset, then byte by byte, and
// checks that every chunking reads the same; returns what was read.
parse_outcome grind(std::string_view stream, sse::parser_options const& options = {})
{
    parse_outcome const whole = sse::test::parse_whole(stream, options);
    for (std::size_t i = 1; i < stream.size(); ++i) {
        INFO("split at " << i);
        CHECK(sse::test::parse_split(stream, {i}, options) == whole);
    }
    for (std::size_t i = 1; i + 1 < stream.size(); ++i) {
        INFO("split at " << i << " and " << i + 1);
        CHECK(sse::test::parse_split(stream, {i, i + 1}, options) == whole);
    }
    CHECK(sse::test::parse_bytewise(stream, options) == whole);
    return whole;
}

std::vector<item> items(std::string_view stream)
{
    auto const r = grind(stream);
    CHECK(!r.ec);
    return r.items;
}

item ev(std::string data, std::string id = {}, std::string type = "message")
{
    return item::make_event(std::move(type), std::move(data), std::move(id));
}

} // namespace

TEST_CASE("parser: the examples of the HTML standard", "[parser]")
{
    SECTION("three data lines")
    {
        CHECK(items("data: YHOO\ndata: +2\ndata: 10\n\n") == std::vector{ev("YHOO\n+2\n10")});
    }
    SECTION("comment, ids, and spaces after the colon")
    {
        auto const stream = ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n";
        CHECK(items(stream) == std::vector{ev("first event", "1"), ev("second event", ""), ev(" third event", "")});
    }
    SECTION("empty data, two data lines, and an unterminated block")
    {
        CHECK(items("data\n\ndata\ndata\n\ndata:") == std::vector{ev(""), ev("\n")});
    }
    SECTION("one space after the colon is dropped")
    {
        CHECK(items("data:test\n\ndata: test\n\n") == std::vector{ev("test"), ev("test")});
    }
}

TEST_CASE("parser: line ends", "[parser]")
{
    std::vector const expected{ev("a\nb")};
    CHECK(items("data: a\ndata: b\n\n") == expected);
    CHECK(items("data: a\r\ndata: b\r\n\r\n") == expected);
    CHECK(items("data: a\rdata: b\r\r") == expected);
    CHECK(items("data: a\rdata: b\n\r\n") == expected);
    SECTION("CR LF is one line end; LF CR is two")
    {
        CHECK(items("data: a\r\n\r\n").size() == 1);
        CHECK(items("data: a\n\rdata: b\n\n") == std::vector{ev("a"), ev("b")});
    }
    SECTION("a CR at the end of the input ends its line at once")
    {
        sse::parser p;
        std::string_view in = "data: x\r\r";
        REQUIRE(p.parse(in) == sse::parse_result::event);
        CHECK(p.event().data == "x");
        CHECK(in.empty());
        std::string_view next = "\ndata: y\n\n"; // the LF completes the last CR's line break
        REQUIRE(p.parse(next) == sse::parse_result::event);
        CHECK(p.event().data == "y");
    }
}

TEST_CASE("parser: fields", "[parser]")
{
    SECTION("event sets the type, reset after each dispatch")
    {
        CHECK(items("event: a\ndata: 1\n\ndata: 2\n\n") == std::vector{ev("1", "", "a"), ev("2")});
    }
    SECTION("an empty event type reads as message")
    {
        CHECK(items("event\ndata: x\n\n") == std::vector{ev("x")});
        CHECK(items("event:\ndata: x\n\n") == std::vector{ev("x")});
    }
    SECTION("the last event field wins")
    {
        CHECK(items("event: a\nevent: b\ndata: x\n\n") == std::vector{ev("x", "", "b")});
    }
    SECTION("a block without data fires nothing and forgets its type")
    {
        CHECK(items("event: a\n\ndata: x\n\n") == std::vector{ev("x")});
    }
    SECTION("names are case-sensitive; unknown fields are ignored")
    {
        CHECK(items("Data: x\nDATA: y\nfoo: bar\nretry x: 1\n\n").empty());
        CHECK(items("foo\nbar: baz\ndata: x\n\n") == std::vector{ev("x")});
    }
    SECTION("a field without a colon has an empty value")
    {
        CHECK(items("data\ndata\ndata\n\n") == std::vector{ev("\n\n")});
    }
    SECTION("only the first colon separates")
    {
        CHECK(items("data: a: b:c\n\n") == std::vector{ev("a: b:c")});
        CHECK(items("data::\n\n") == std::vector{ev(":")});
    }
    SECTION("only one leading space is dropped, and no tab")
    {
        CHECK(items("data:   x\n\n") == std::vector{ev("  x")});
        CHECK(items("data:\tx\n\n") == std::vector{ev("\tx")});
        CHECK(items("data: x \n\n") == std::vector{ev("x ")});
    }
    SECTION("comments are ignored")
    {
        CHECK(items(":\n: data: x\n:data: y\n\n").empty());
        CHECK(items("data: a\n: between\ndata: b\n\n") == std::vector{ev("a\nb")});
    }
    SECTION("a space before the colon is part of the name")
    {
        CHECK(items("data : x\n\n").empty());
    }
}

TEST_CASE("parser: ids", "[parser]")
{
    SECTION("the id persists from event to event")
    {
        CHECK(items("id: 1\ndata: a\n\ndata: b\n\n") == std::vector{ev("a", "1"), ev("b", "1")});
    }
    SECTION("an id in a block without data still counts")
    {
        auto const r = grind("id: 7\n\ndata: x\n\n");
        CHECK(r.items == std::vector{ev("x", "7")});
        CHECK(grind("id: 7\n\n").last_event_id == "7");
    }
    SECTION("an id applies only when its block is dispatched")
    {
        auto const r = grind("id: 1\n\nid: 2\ndata: x");
        CHECK(r.items.empty());
        CHECK(r.last_event_id == "1");
    }
    SECTION("an empty id resets it")
    {
        CHECK(items("id: 1\ndata: a\n\nid\ndata: b\n\n") == std::vector{ev("a", "1"), ev("b", "")});
        CHECK(items("id: 1\ndata: a\n\nid: \ndata: b\n\n") == std::vector{ev("a", "1"), ev("b", "")});
    }
    SECTION("an id containing NUL is ignored")
    {
        CHECK(items("id: 1\n\nid: 2\0x\ndata: a\n\n"s) == std::vector{ev("a", "1")});
    }
    SECTION("the id keeps its spaces after the first")
    {
        CHECK(items("id:  a b \ndata: x\n\n") == std::vector{ev("x", " a b ")});
    }
}

TEST_CASE("parser: retry", "[parser]")
{
    CHECK(items("retry: 1500\n") == std::vector{item::make_retry(1500ms)});
    CHECK(items("retry:0\n") == std::vector{item::make_retry(0ms)});
    CHECK(items("retry: 007\n") == std::vector{item::make_retry(7ms)});
    SECTION("anything but ASCII digits is ignored")
    {
        CHECK(items("retry: 10abc\n").empty());
        CHECK(items("retry: -1\n").empty());
        CHECK(items("retry: 1.5\n").empty());
        CHECK(items("retry:  5\n").empty());
        CHECK(items("retry: 5 \n").empty());
        CHECK(items("retry: \xD9\xA1\n").empty()); // ARABIC-INDIC DIGIT ONE
        CHECK(items("retry\n").empty());
        CHECK(items("retry: \n").empty());
    }
    SECTION("the last valid value is kept")
    {
        sse::parser p;
        std::string_view in = "retry: 10\nretry: x\n\n";
        while (!in.empty())
            p.parse(in);
        CHECK(p.retry() == 10ms);
    }
    SECTION("huge values saturate")
    {
        CHECK(items("retry: 99999999999999999999999999\n") ==
              std::vector{item::make_retry(std::chrono::milliseconds::max())});
    }
    SECTION("retry does not need an empty line, and does not dispatch")
    {
        CHECK(items("data: a\nretry: 5\ndata: b\n\n") == std::vector{item::make_retry(5ms), ev("a\nb")});
    }
}

TEST_CASE("parser: BOM and UTF-8", "[parser]")
{
    SECTION("one leading BOM is dropped")
    {
        CHECK(items("\xEF\xBB\xBF"
                    "data: x\n\n") == std::vector{ev("x")});
        CHECK(items("\xEF\xBB\xBF\n"
                    "data: x\n\n") == std::vector{ev("x")});
    }
    SECTION("a second BOM is part of the field name")
    {
        CHECK(items("\xEF\xBB\xBF\xEF\xBB\xBF"
                    "data: x\n\n")
                  .empty());
    }
    SECTION("a BOM after the start is text")
    {
        CHECK(items("data: a\n\n\xEF\xBB\xBF"
                    "data: b\n\n") == std::vector{ev("a")});
        CHECK(items("data: \xEF\xBB\xBF"
                    "b\n\n") == std::vector{ev("\xEF\xBB\xBF"
                                                "b")});
    }
    SECTION("a partial BOM is an ill-formed sequence")
    {
        CHECK(items("\xEF\xBB\n"
                    "data: x\n\n") == std::vector{ev("x")});
    }
    SECTION("ill-formed bytes read as U+FFFD, one per maximal subpart")
    {
        CHECK(items("data: a\xFF"
                    "b\n\n") == std::vector{ev("a\xEF\xBF\xBD"
                                                "b")});
        // A truncated three-byte sequence is one replacement.
        CHECK(items("data: \xE2\x82\n\n") == std::vector{ev("\xEF\xBF\xBD")});
        // F0 80 cannot start a sequence: each byte is replaced.
        CHECK(items("data: \xF0\x80\x80\n\n") == std::vector{ev("\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD")});
        // A surrogate encoded in UTF-8.
        CHECK(items("data: \xED\xA0\x80\n\n") == std::vector{ev("\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD")});
        // Replacement in the type and the id too.
        CHECK(items("event: \xC3\nid: \xC3\ndata: x\n\n") == std::vector{ev("x", "\xEF\xBF\xBD", "\xEF\xBF\xBD")});
    }
    SECTION("well-formed text is kept as it is")
    {
        CHECK(items("data: Привет, мир 👋\n\n") == std::vector{ev("Привет, мир 👋")});
    }
}

TEST_CASE("parser: the end of the stream", "[parser]")
{
    CHECK(items("data: x\n").empty());
    CHECK(items("data: x").empty());
    CHECK(items("data: x\n\ndata: y\n").size() == 1);
    CHECK(items("").empty());
}

TEST_CASE("parser: limits", "[parser]")
{
    sse::parser_options options;
    options.max_line_size = 16;
    options.max_event_size = 32;

    SECTION("a long line fails, in one piece or in many")
    {
        std::string const stream = "data: " + std::string(11, 'x') + "\n\n";
        auto const r = sse::test::parse_whole(stream, options);
        CHECK(r.ec == sse::error::line_too_long);
        CHECK(sse::test::parse_bytewise(stream, options).ec == sse::error::line_too_long);
        std::string const fits = "data: " + std::string(10, 'x') + "\n\n";
        CHECK(!sse::test::parse_whole(fits, options).ec);
        CHECK(!sse::test::parse_bytewise(fits, options).ec);
    }
    SECTION("a line without end cannot grow without bound")
    {
        sse::parser p(options);
        std::string const junk(1000, 'j');
        std::string_view in = junk;
        sse::error_code ec;
        p.parse(in, ec);
        CHECK(ec == sse::error::line_too_long);
    }
    SECTION("large event data fails")
    {
        std::string stream;
        for (int i = 0; i < 4; ++i)
            stream += "data: 0123456789\n";
        stream += "\n";
        CHECK(sse::test::parse_whole(stream, options).ec == sse::error::event_too_large);
        CHECK(sse::test::parse_bytewise(stream, options).ec == sse::error::event_too_large);
    }
    SECTION("the limit counts data as decoded, U+FFFD included")
    {
        // 3 ill-formed bytes become 9 bytes of U+FFFD, 10 with the LF.
        sse::parser_options tight;
        tight.max_event_size = 9;
        CHECK(sse::test::parse_whole("data: \xFF\xFF\xFF\n\n", tight).ec == sse::error::event_too_large);
        tight.max_event_size = 10;
        CHECK(sse::test::parse_whole("data: \xFF\xFF\xFF\n\n", tight).items.size() == 1);
    }
    SECTION("after a failure the parser keeps failing until reset")
    {
        sse::parser p(options);
        std::string_view in = "data: 0123456789abcdef\n\n";
        sse::error_code ec;
        p.parse(in, ec);
        REQUIRE(ec == sse::error::line_too_long);
        std::string_view more = "data: ok\n\n";
        p.parse(more, ec);
        CHECK(ec == sse::error::line_too_long);
        p.reset();
        CHECK(p.parse(more, ec) == sse::parse_result::event);
        CHECK(!ec);
        CHECK(p.event().data == "ok");
    }
    SECTION("the throwing overload")
    {
        sse::parser p(options);
        std::string_view in = "data: 0123456789abcdef\n\n";
        CHECK_THROWS_AS(p.parse(in), sse::system_error);
        CHECK_THROWS_AS(sse::parse_events(std::string(100, 'x') + "\n", options), sse::system_error);
    }
}

TEST_CASE("parser: views and reset", "[parser]")
{
    sse::parser p;
    std::string_view in = "id: 3\nevent: e\ndata: d\n\ndata: next\n\n";
    REQUIRE(p.parse(in) == sse::parse_result::event);
    auto const v = p.event();
    CHECK(v.type == "e");
    CHECK(v.data == "d");
    CHECK(v.id == "3");
    CHECK(p.last_event_id() == "3");
    REQUIRE(p.parse(in) == sse::parse_result::event);
    CHECK(p.event().type == "message");
    CHECK(p.event().data == "next");
    CHECK(in.empty());
    p.reset();
    CHECK(p.last_event_id().empty());
    CHECK(!p.retry());
}

TEST_CASE("parser: parse_events", "[parser]")
{
    auto const events = sse::parse_events("id: 1\nevent: a\ndata: x\n\ndata: y\n\n");
    REQUIRE(events.size() == 2);
    CHECK(events[0] == sse::event("a", "x", "1"));
    CHECK(events[1] == sse::event("message", "y", "1"));

    sse::parser_options small;
    small.max_line_size = 4;
    sse::error_code ec;
    auto const partial = sse::parse_events("data\n\ndata: too long\n\n", ec, small);
    CHECK(ec == sse::error::line_too_long);
    CHECK(partial.size() == 1);
}
