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

#include <optional>
#include <ostream>
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

// Everything a parser reports over a whole stream, comments and the end
// included: the results of parse in order, then what finish says and any
// event it dispatches.
struct transcript {
    std::vector<std::string> items; // "comment(...)", "retry(...)", "event(type|data|id)"
    sse::end_state end = sse::end_state::clean;
    std::string last_event_id;
    std::optional<std::chrono::milliseconds> retry;
    sse::error_code ec;

    friend bool operator==(transcript const&, transcript const&) = default;

    friend std::ostream& operator<<(std::ostream& os, transcript const& t)
    {
        os << "{";
        for (auto const& i : t.items)
            os << i << " ";
        return os << "end " << static_cast<int>(t.end) << ", last id \"" << t.last_event_id << "\", ec "
                  << t.ec.message() << "}";
    }
};

std::string comment_item(std::string_view text)
{
    return "comment(" + std::string(text) + ")";
}

std::string event_item(std::string_view data, std::string_view id = {}, std::string_view type = "message")
{
    return "event(" + std::string(type) + "|" + std::string(data) + "|" + std::string(id) + ")";
}

std::string retry_item(std::chrono::milliseconds ms)
{
    return "retry(" + std::to_string(ms.count()) + ")";
}

// Reads `stream` cut at the given offsets, then finishes it.
transcript read(
    std::string_view stream,
    std::vector<std::size_t> const& cuts,
    sse::parser_options const& options
)
{
    sse::parser p(options);
    transcript t;
    std::size_t pos = 0;
    auto feed = [&](std::string_view chunk) {
        while (!chunk.empty() && !t.ec) {
            switch (p.parse(chunk, t.ec)) {
            case sse::parse_result::event:
                REQUIRE(p.has_event());
                t.items.push_back(event_item(p.event().data, p.event().id, p.event().type));
                break;
            case sse::parse_result::retry: t.items.push_back(retry_item(*p.retry())); break;
            case sse::parse_result::comment:
                REQUIRE(options.report_comments);
                REQUIRE(!p.has_event());
                t.items.push_back(comment_item(p.comment()));
                break;
            case sse::parse_result::need_more:
                REQUIRE(!p.has_event());
                if (!t.ec)
                    REQUIRE(chunk.empty());
                break;
            }
        }
    };
    for (std::size_t cut : cuts) {
        feed(stream.substr(pos, cut - pos));
        pos = cut;
    }
    feed(stream.substr(pos));
    if (t.ec) {
        // A failed parser reports its failure at the end too.
        sse::error_code ec;
        p.finish(ec);
        CHECK(ec == t.ec);
    } else {
        t.end = p.finish(t.ec);
        if (p.has_event()) {
            REQUIRE(options.dispatch_unterminated);
            t.items.push_back(event_item(p.event().data, p.event().id, p.event().type));
        }
    }
    t.last_event_id = std::string(p.last_event_id());
    t.retry = p.retry();
    return t;
}

// Reads the stream whole, split at every offset, at every two adjacent
// offsets and byte by byte; checks that all read the same and returns it.
transcript grind_all(std::string_view stream, sse::parser_options const& options)
{
    transcript const whole = read(stream, {}, options);
    for (std::size_t i = 1; i < stream.size(); ++i) {
        INFO("split at " << i);
        CHECK(read(stream, {i}, options) == whole);
    }
    for (std::size_t i = 1; i + 1 < stream.size(); ++i) {
        INFO("split at " << i << " and " << i + 1);
        CHECK(read(stream, {i, i + 1}, options) == whole);
    }
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < stream.size(); ++i)
        every.push_back(i);
    CHECK(read(stream, every, options) == whole);
    return whole;
}

sse::parser_options const with_comments{.report_comments = true};
sse::parser_options const lenient{.report_comments = true, .dispatch_unterminated = true};

using strings = std::vector<std::string>;

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

TEST_CASE("parser: comments, when asked", "[parser]")
{
    SECTION("not reported by default")
    {
        auto const t = grind_all(": a\ndata: x\n: b\n\n:\n", {});
        CHECK(t.items == strings{event_item("x")});
        CHECK(t.end == sse::end_state::clean);
    }
    SECTION("reported in order with events and retries")
    {
        auto const t =
            grind_all(": hello\n\ndata: a\n: mid\nretry: 5\ndata: b\n\n:\n:  two\n:no space\n", with_comments);
        CHECK(
            t.items == strings{
                           comment_item("hello"),
                           comment_item("mid"),
                           retry_item(std::chrono::milliseconds(5)),
                           event_item("a\nb"),
                           comment_item(""),
                           comment_item(" two"),
                           comment_item("no space"),
                       }
        );
        CHECK(t.end == sse::end_state::clean);
    }
    SECTION("the text is what follows the colon, minus one space")
    {
        CHECK(grind_all(": data: x\n", with_comments).items == strings{comment_item("data: x")});
        CHECK(grind_all(":\t x\n", with_comments).items == strings{comment_item("\t x")});
        CHECK(grind_all(": x \n", with_comments).items == strings{comment_item("x ")});
        CHECK(grind_all("::\n", with_comments).items == strings{comment_item(":")});
        CHECK(grind_all(":\0\n"s, with_comments).items == strings{comment_item("\0"s)});
    }
    SECTION("every line end ends a comment; a CR at the end of the input at once")
    {
        CHECK(grind_all(": a\r: b\r\n:c\n", with_comments).items ==
              strings{comment_item("a"), comment_item("b"), comment_item("c")});
        sse::parser p(with_comments);
        std::string_view in = ": now\r";
        REQUIRE(p.parse(in) == sse::parse_result::comment);
        CHECK(p.comment() == "now");
        std::string_view next = "\n: later\n";
        REQUIRE(p.parse(next) == sse::parse_result::comment);
        CHECK(p.comment() == "later");
    }
    SECTION("after a leading BOM")
    {
        CHECK(grind_all("\xEF\xBB\xBF: x\n", with_comments).items == strings{comment_item("x")});
    }
    SECTION("ill-formed UTF-8 reads as U+FFFD")
    {
        CHECK(grind_all(": a\xFF\n", with_comments).items == strings{comment_item("a\xEF\xBF\xBD")});
    }
    SECTION("a comment does not touch the block around it")
    {
        auto const t = grind_all("event: e\ndata: a\n: c\nid: 3\n: d\ndata: b\n\n", with_comments);
        CHECK(t.items == strings{comment_item("c"), comment_item("d"), event_item("a\nb", "3", "e")});
    }
    SECTION("a comment line counts toward max_line_size")
    {
        sse::parser_options o = with_comments;
        o.max_line_size = 8;
        CHECK(grind_all(": 123456\n", o).items == strings{comment_item("123456")});
        CHECK(grind_all(": 1234567\n", o).ec == sse::error::line_too_long);
    }
    SECTION("the text stays until the next call")
    {
        sse::parser p(with_comments);
        std::string_view in = ": first\n: second\ndata: x\n\n";
        REQUIRE(p.parse(in) == sse::parse_result::comment);
        std::string_view const first = p.comment();
        CHECK(first == "first");
        REQUIRE(p.parse(in) == sse::parse_result::comment);
        CHECK(p.comment() == "second");
        REQUIRE(p.parse(in) == sse::parse_result::event);
        CHECK(p.event().data == "x");
    }
    SECTION("parse_events skips them")
    {
        CHECK(
            sse::parse_events(": a\ndata: x\n\n: b\n", with_comments) == std::vector{sse::event("message", "x")}
        );
    }
}

TEST_CASE("parser: where the stream ended, in both modes", "[parser]")
{
    using sse::end_state;
    struct row {
        std::string stream;
        end_state end;
        strings strict;  // what the stream reports, by the standard
        strings lenient; // what it reports with dispatch_unterminated
        std::string strict_id = {};
        std::string lenient_id = {};
    };
    auto const x = event_item("x");
    auto const ten = std::chrono::milliseconds(10);
    std::vector<row> const rows{
        {"", end_state::clean, {}, {}},
        {"\n", end_state::clean, {}, {}},
        {"\r", end_state::clean, {}, {}},
        {"data: x\n\n", end_state::clean, {x}, {x}},
        {"data: x\n\n\n", end_state::clean, {x}, {x}},
        {"data: x\r\r", end_state::clean, {x}, {x}},
        {"data: x\n\r", end_state::clean, {x}, {x}},
        // At a line boundary inside a block.
        {"data: x\n", end_state::mid_event, {}, {x}},
        {"data: x\r\n", end_state::mid_event, {}, {x}},
        // A CR as the last byte has ended its line already.
        {"data: x\r", end_state::mid_event, {}, {x}},
        {"data: a\n\ndata: x\n", end_state::mid_event, {event_item("a")}, {event_item("a"), x}},
        // Inside a line.
        {"data: x", end_state::mid_line, {}, {x}},
        {"data", end_state::mid_line, {}, {event_item("")}},
        {"data: a\ndata: x", end_state::mid_line, {}, {event_item("a\nx")}},
        {"data: a\n\ndata: x", end_state::mid_line, {event_item("a")}, {event_item("a"), x}},
        {"event: e\ndata: x", end_state::mid_line, {}, {event_item("x", "", "e")}},
        {"data: \xE2\x82", end_state::mid_line, {}, {event_item("\xEF\xBF\xBD")}},
        // The BOM.
        {"\xEF\xBB\xBF", end_state::clean, {}, {}},
        {"\xEF\xBB\xBF\n", end_state::clean, {}, {}},
        {"\xEF\xBB", end_state::mid_line, {}, {}},
        {"\xEF\xBB\xBF"
         "data: x",
         end_state::mid_line,
         {},
         {x}},
        // Comments alone open no block.
        {": ping\n", end_state::clean, {comment_item("ping")}, {comment_item("ping")}},
        {": ping\r", end_state::clean, {comment_item("ping")}, {comment_item("ping")}},
        {"data: x\n\n: ping\n", end_state::clean, {x, comment_item("ping")}, {x, comment_item("ping")}},
        {"\xEF\xBB\xBF: ping\n", end_state::clean, {comment_item("ping")}, {comment_item("ping")}},
        // A comment in the last line is not reported, even in the lenient mode.
        {": ping", end_state::mid_line, {}, {}},
        {"data: x\n: ping", end_state::mid_line, {}, {x}},
        {"data: x\n: ping\n", end_state::mid_event, {comment_item("ping")}, {comment_item("ping"), x}},
        // Blocks without data: the id applies only in the lenient mode.
        {"id: 5\n", end_state::mid_event, {}, {}, "", "5"},
        {"id: 5", end_state::mid_line, {}, {}, "", "5"},
        {"id: 1\n\nid: 2\ndata: x\n", end_state::mid_event, {}, {event_item("x", "2")}, "1", "2"},
        {"id: 1\ndata: a\n\ndata: x",
         end_state::mid_line,
         {event_item("a", "1")},
         {event_item("a", "1"), event_item("x", "1")},
         "1",
         "1"},
        {"event: done\n", end_state::mid_event, {}, {}},
        {"foo\n", end_state::mid_event, {}, {}},
        {"retry: x\n", end_state::mid_event, {}, {}},
        // A retry applies at once; its block is still open.
        {"retry: 10\n", end_state::mid_event, {retry_item(ten)}, {retry_item(ten)}},
    };
    for (auto const& r : rows) {
        INFO("stream: " << r.stream);
        auto const strict = grind_all(r.stream, with_comments);
        CHECK(!strict.ec);
        CHECK(strict.end == r.end);
        CHECK(strict.items == r.strict);
        CHECK(strict.last_event_id == r.strict_id);
        auto const loose = grind_all(r.stream, lenient);
        CHECK(!loose.ec);
        CHECK(loose.end == r.end);
        CHECK(loose.items == r.lenient);
        CHECK(loose.last_event_id == r.lenient_id);
    }
    SECTION("a retry in the last line applies in the lenient mode only")
    {
        CHECK(!grind_all("retry: 10", with_comments).retry);
        auto const t = grind_all("retry: 10", lenient);
        CHECK(t.end == end_state::mid_line);
        CHECK(t.items.empty());
        CHECK(t.retry == std::chrono::milliseconds(10));
    }
}

TEST_CASE("parser: a last event without its empty line, LLM style", "[parser]")
{
    std::string const body = "data: {\"delta\":\"Hel\"}\n\ndata: {\"delta\":\"lo\"}\n\ndata: [DONE]";
    for (std::string const tail : {"", "\n", "\r\n", "\r"}) {
        std::string const stream = body + tail;
        INFO("stream: " << stream);
        auto const strict = grind_all(stream, {});
        CHECK(strict.items == strings{event_item("{\"delta\":\"Hel\"}"), event_item("{\"delta\":\"lo\"}")});
        CHECK(strict.end == (tail.empty() ? sse::end_state::mid_line : sse::end_state::mid_event));
        auto const loose = grind_all(stream, lenient);
        CHECK(
            loose.items ==
            strings{event_item("{\"delta\":\"Hel\"}"), event_item("{\"delta\":\"lo\"}"), event_item("[DONE]")}
        );
        CHECK(loose.end == strict.end);

        CHECK(sse::parse_events(stream).size() == 2);
        auto const events = sse::parse_events(stream, lenient);
        REQUIRE(events.size() == 3);
        CHECK(events.back() == sse::event("message", "[DONE]"));
    }
    SECTION("a stream that ends properly gets nothing more")
    {
        auto const t = grind_all(body + "\n\n", lenient);
        CHECK(t.items.size() == 3);
        CHECK(t.end == sse::end_state::clean);
    }
}

TEST_CASE("parser: finish", "[parser]")
{
    SECTION("the dispatched event stays until the next call")
    {
        sse::parser p(lenient);
        std::string_view in = "id: 4\nevent: done\ndata: bye";
        CHECK(p.parse(in) == sse::parse_result::need_more);
        CHECK(!p.has_event());
        REQUIRE(p.finish() == sse::end_state::mid_line);
        REQUIRE(p.has_event());
        CHECK(p.event().type == "done");
        CHECK(p.event().data == "bye");
        CHECK(p.event().id == "4");
        CHECK(p.last_event_id() == "4");
        std::string_view next = "data: new\n\n";
        REQUIRE(p.parse(next) == sse::parse_result::event);
        CHECK(p.event().type == "message");
        CHECK(p.event().data == "new");
        CHECK(p.parse(next) == sse::parse_result::need_more);
        CHECK(!p.has_event());
    }
    SECTION("an event that parse returned is not pending")
    {
        for (auto const& o : {sse::parser_options{}, lenient}) {
            sse::parser p(o);
            std::string_view in = "data: x\n\n";
            REQUIRE(p.parse(in) == sse::parse_result::event);
            CHECK(p.has_event());
            CHECK(p.finish() == sse::end_state::clean);
            CHECK(!p.has_event());
        }
    }
    SECTION("twice")
    {
        sse::parser p(lenient);
        std::string_view in = "data: x";
        p.parse(in);
        CHECK(p.finish() == sse::end_state::mid_line);
        CHECK(p.has_event());
        CHECK(p.finish() == sse::end_state::clean);
        CHECK(!p.has_event());
    }
    SECTION("then a new stream, which keeps the last event id and retry")
    {
        for (auto const& o : {sse::parser_options{}, lenient}) {
            sse::parser p(o);
            std::string_view in = "retry: 250\nid: 1\ndata: a\n\nid: 2\nevent: e\ndata: b\n";
            while (!in.empty())
                p.parse(in);
            CHECK(p.finish() == sse::end_state::mid_event);
            std::string const id = o.dispatch_unterminated ? "2" : "1";
            CHECK(p.last_event_id() == id);
            CHECK(p.retry() == std::chrono::milliseconds(250));
            // A BOM at the start of the new stream is dropped; the pending
            // block (its id and type) is gone in both modes.
            std::string_view next = "\xEF\xBB\xBF"
                                    "data: c\n\n";
            REQUIRE(p.parse(next) == sse::parse_result::event);
            CHECK(p.event().data == "c");
            CHECK(p.event().type == "message");
            CHECK(p.event().id == id);
        }
    }
    SECTION("a LF after a final CR belongs to the next stream")
    {
        sse::parser p;
        std::string_view in = "data: a\r";
        p.parse(in);
        CHECK(p.finish() == sse::end_state::mid_event);
        std::string_view next = "\ndata: b\n\n"; // an empty line first: nothing to dispatch
        REQUIRE(p.parse(next) == sse::parse_result::event);
        CHECK(p.event().data == "b");
    }
    SECTION("after a failure")
    {
        sse::parser_options o = lenient;
        o.max_line_size = 4;
        sse::parser p(o);
        std::string_view in = "data: too long\n\n";
        sse::error_code ec;
        p.parse(in, ec);
        REQUIRE(ec == sse::error::line_too_long);
        p.finish(ec);
        CHECK(ec == sse::error::line_too_long);
        CHECK(!p.has_event());
        CHECK_THROWS_AS(p.finish(), sse::system_error);
    }
    SECTION("the last line of the lenient mode within the limits")
    {
        sse::parser_options o = lenient;
        o.max_event_size = 4;
        sse::parser p(o);
        std::string_view in = "data: 12\ndata: 3";
        sse::error_code ec;
        p.parse(in, ec);
        REQUIRE(!ec);
        p.finish(ec);
        CHECK(ec == sse::error::event_too_large);
        CHECK(!p.has_event());
        CHECK_THROWS_AS(p.finish(), sse::system_error);

        sse::error_code ec2;
        auto const events = sse::parse_events("data: a\n\ndata: 12\ndata: 3", ec2, o);
        CHECK(ec2 == sse::error::event_too_large);
        CHECK(events == std::vector{sse::event("message", "a")});
        CHECK_THROWS_AS(sse::parse_events("data: 12\ndata: 3", o), sse::system_error);
    }
}

TEST_CASE("parser: starting from a last event id and a reconnection time", "[parser]")
{
    using namespace std::chrono_literals;
    SECTION("the events carry the id until one sets another")
    {
        sse::parser p;
        p.reset("41", 3000ms);
        CHECK(p.last_event_id() == "41");
        CHECK(p.retry() == 3000ms);
        std::string_view in = "data: a\n\nid: 42\n\ndata: b\n\nid\ndata: c\n\n";
        REQUIRE(p.parse(in) == sse::parse_result::event);
        CHECK(p.event().id == "41");
        REQUIRE(p.parse(in) == sse::parse_result::event);
        CHECK(p.event().id == "42");
        REQUIRE(p.parse(in) == sse::parse_result::event);
        CHECK(p.event().id == "");
        CHECK(p.retry() == 3000ms);
    }
    SECTION("a block without data keeps the id unless it sets one")
    {
        sse::parser p;
        p.reset("7");
        CHECK(!p.retry());
        std::string_view in = "event: x\n\ndata: a\n\n";
        REQUIRE(p.parse(in) == sse::parse_result::event);
        CHECK(p.event().id == "7");
        CHECK(p.last_event_id() == "7");
    }
    SECTION("the stream's retry replaces the one given")
    {
        sse::parser p;
        p.reset("", 3000ms);
        std::string_view in = "retry: 10\n";
        REQUIRE(p.parse(in) == sse::parse_result::retry);
        CHECK(p.retry() == 10ms);
    }
    SECTION("from the parser's own last event id: a reconnection")
    {
        std::string const long_id(200, 'i'); // on the heap
        sse::parser p;
        std::string const first = "retry: 500\nid: " + long_id + "\ndata: a\n\ndata: cut sh";
        std::string_view in = first;
        while (!in.empty())
            p.parse(in);
        CHECK(p.finish() == sse::end_state::mid_line);
        p.reset(p.last_event_id(), p.retry());
        CHECK(p.last_event_id() == long_id);
        CHECK(p.retry() == 500ms);
        std::string_view next = "data: b\n\n";
        REQUIRE(p.parse(next) == sse::parse_result::event);
        CHECK(p.event().id == long_id);
    }
    SECTION("the rest is forgotten, a failure too")
    {
        sse::parser_options o;
        o.max_line_size = 8;
        sse::parser p(o);
        std::string_view in = "event: e\ndata: a\n";
        p.parse(in);
        p.reset("1", 1s);
        std::string_view next = "data: b\n\n";
        REQUIRE(p.parse(next) == sse::parse_result::event);
        CHECK(p.event().type == "message");
        CHECK(p.event().data == "b");

        std::string_view bad = "data: 0123456789\n";
        sse::error_code ec;
        p.parse(bad, ec);
        REQUIRE(ec == sse::error::line_too_long);
        p.reset("2", 1s);
        std::string_view good = "data: c\n\n";
        REQUIRE(p.parse(good, ec) == sse::parse_result::event);
        CHECK(!ec);
        CHECK(p.event().id == "2");
    }
    SECTION("reset() forgets both")
    {
        sse::parser p;
        p.reset("9", 5s);
        p.reset();
        CHECK(p.last_event_id().empty());
        CHECK(!p.retry());
    }
    SECTION("at every split")
    {
        // The seeded parser reads as if the stream were preceded by the id
        // and retry that set them.
        std::string const stream = "data: a\n\nid: 3\ndata: b\n\ndata: c\n\n";
        for (std::size_t i = 0; i <= stream.size(); ++i) {
            sse::parser p;
            p.reset("2", 100ms);
            strings got;
            std::string_view const all = stream;
            for (std::string_view in : {all.substr(0, i), all.substr(i)})
                while (!in.empty())
                    if (p.parse(in) == sse::parse_result::event)
                        got.push_back(event_item(p.event().data, p.event().id));
            CHECK(got == strings{event_item("a", "2"), event_item("b", "3"), event_item("c", "3")});
        }
    }
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

TEST_CASE("parser: has_event", "[parser]")
{
    sse::parser p(with_comments);
    CHECK(!p.has_event());
    std::string_view in = "data: a\n\nretry: 1\n: c\n";
    REQUIRE(p.parse(in) == sse::parse_result::event);
    CHECK(p.has_event());
    REQUIRE(p.parse(in) == sse::parse_result::retry);
    CHECK(!p.has_event());
    REQUIRE(p.parse(in) == sse::parse_result::comment);
    CHECK(!p.has_event());
    p.reset();
    CHECK(!p.has_event());
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
