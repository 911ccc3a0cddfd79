//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Test that header file is self-contained.
#include <sse/message.hpp>

#include <sse/parser.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/buffers_adaptor.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/multi_buffer.hpp>
#include <boost/beast/core/static_buffer.hpp>

#include "catch.hpp"

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

using namespace std::chrono_literals;
using namespace std::string_literals;

namespace {

std::string wire(sse::message const& m)
{
    return sse::to_string(m);
}

// Checks that the throwing setter refuses the value with the given error and
// a message naming the field, and that the error_code setter does too while
// leaving the message as it was.
template <class Set, class SetEc>
void check_refused(Set set, SetEc set_ec, sse::error expected, std::string const& needle)
{
    sse::message m;
    m.data("before");
    std::string const before = wire(m);
    try {
        set(m);
        FAIL("no exception");
    } catch (sse::system_error const& e) {
        CHECK(e.code() == expected);
        CHECK(std::string(e.what()).find(needle) != std::string::npos);
    }
    CHECK(wire(m) == before);

    sse::error_code ec;
    set_ec(m, ec);
    CHECK(ec == expected);
    CHECK(wire(m) == before);
}

} // namespace

TEST_CASE("message: data lines", "[message]")
{
    SECTION("one line")
    {
        CHECK(wire(sse::message{}.data("Hello, world!")) == "data: Hello, world!\n\n");
    }
    SECTION("empty data is one empty data line")
    {
        CHECK(wire(sse::message{}.data("")) == "data: \n\n");
    }
    SECTION("a trailing LF is an empty last line")
    {
        CHECK(wire(sse::message{}.data("x\n")) == "data: x\ndata: \n\n");
    }
    SECTION("LF, CR and CRLF each split once")
    {
        CHECK(wire(sse::message{}.data("a\nb")) == "data: a\ndata: b\n\n");
        CHECK(wire(sse::message{}.data("a\rb")) == "data: a\ndata: b\n\n");
        CHECK(wire(sse::message{}.data("a\r\nb")) == "data: a\ndata: b\n\n");
        CHECK(wire(sse::message{}.data("a\n\rb")) == "data: a\ndata: \ndata: b\n\n");
        CHECK(wire(sse::message{}.data("a\r\rb")) == "data: a\ndata: \ndata: b\n\n");
        CHECK(wire(sse::message{}.data("\r\n")) == "data: \ndata: \n\n");
        CHECK(wire(sse::message{}.data("line1\nline2\r\nline3\rline4")) ==
              "data: line1\ndata: line2\ndata: line3\ndata: line4\n\n");
    }
    SECTION("a leading space survives")
    {
        CHECK(wire(sse::message{}.data(" leading space")) == "data:  leading space\n\n");
    }
    SECTION("field-like text is data, not a field")
    {
        CHECK(wire(sse::message{}.data("x\nid: 9\n\nevent: evil")) ==
              "data: x\ndata: id: 9\ndata: \ndata: event: evil\n\n");
    }
    SECTION("NUL and other control bytes pass through")
    {
        CHECK(wire(sse::message{}.data("a\0b\tc"s)) == "data: a\0b\tc\n\n"s);
    }
    SECTION("unicode passes through")
    {
        CHECK(wire(sse::message{}.data("Привет, мир 👋")) == "data: Привет, мир 👋\n\n");
    }
    SECTION("a second data() replaces the first")
    {
        CHECK(wire(sse::message{}.data("a").data("b")) == "data: b\n\n");
    }
    SECTION("no data, no data line")
    {
        CHECK(wire(sse::message{}.event("e")) == "event: e\n\n");
    }
}

TEST_CASE("message: fields and their order", "[message]")
{
    SECTION("all fields")
    {
        auto m = sse::message{}.data("d").event("e").id("7").retry(1500ms).comment("c");
        CHECK(wire(m) == ": c\nretry: 1500\nid: 7\nevent: e\ndata: d\n\n");
    }
    SECTION("empty id resets the last event id")
    {
        CHECK(wire(sse::message{}.id("")) == "id: \n\n");
    }
    SECTION("integer ids")
    {
        CHECK(wire(sse::message{}.id(42)) == "id: 42\n\n");
        CHECK(wire(sse::message{}.id(-1)) == "id: -1\n\n");
        CHECK(wire(sse::message{}.id(std::numeric_limits<std::uint64_t>::max())) ==
              "id: 18446744073709551615\n\n");
    }
    SECTION("spaces in values survive")
    {
        CHECK(wire(sse::message{}.id(" 1").event(" e ")) == "id:  1\nevent:  e \n\n");
    }
    SECTION("NUL is allowed in an event type")
    {
        CHECK(wire(sse::message{}.event("a\0b"s)) == "event: a\0b\n\n"s);
    }
    SECTION("retry in any unit that converts to milliseconds")
    {
        CHECK(wire(sse::message{}.retry(3s)) == "retry: 3000\n\n");
        CHECK(wire(sse::message{}.retry(0ms)) == "retry: 0\n\n");
        CHECK(wire(sse::message{}.retry(2min)) == "retry: 120000\n\n");
    }
}

TEST_CASE("message: comments and empty messages", "[message]")
{
    SECTION("a comment-only message (a heartbeat) ends with the empty line")
    {
        CHECK(wire(sse::message{}.comment("ping")) == ": ping\n\n");
        CHECK(wire(sse::message{}.comment("keep-alive")) == ": keep-alive\n\n");
    }
    SECTION("an empty comment is a lone colon")
    {
        CHECK(wire(sse::message{}.comment("")) == ":\n\n");
    }
    SECTION("comments split on line breaks")
    {
        CHECK(wire(sse::message{}.comment("a\nb\r\nc\rd")) == ": a\n: b\n: c\n: d\n\n");
        CHECK(wire(sse::message{}.comment("a\n\nb\n")) == ": a\n:\n: b\n:\n\n");
    }
    SECTION("a comment with other fields has one empty line, at the end")
    {
        CHECK(wire(sse::message{}.comment("c").data("d")) == ": c\ndata: d\n\n");
        CHECK(wire(sse::message{}.comment("c").retry(1s)) == ": c\nretry: 1000\n\n");
    }
    SECTION("a heartbeat fires no event and reads back as its comment")
    {
        CHECK(sse::parse_events(wire(sse::message{}.comment("ping"))).empty());
        sse::parser p(sse::parser_options{.report_comments = true});
        std::string const w = wire(sse::message{}.comment("ping"));
        std::string_view in = w;
        REQUIRE(p.parse(in) == sse::parse_result::comment);
        CHECK(p.comment() == "ping");
        CHECK(p.parse(in) == sse::parse_result::need_more);
        CHECK(in.empty());
        CHECK(p.finish() == sse::end_state::clean);
    }
    SECTION("an empty message writes nothing")
    {
        sse::message m;
        CHECK(m.empty());
        CHECK(m.serialized_size() == 0);
        CHECK(wire(m).empty());
    }
    SECTION("clear() empties the message")
    {
        auto m = sse::message{}.data("x").id(1).event("e").comment("c").retry(1s);
        m.clear();
        CHECK(m.empty());
        CHECK(wire(m).empty());
        CHECK(!m.data());
        m.data("y");
        CHECK(wire(m) == "data: y\n\n");
    }
}

TEST_CASE("message: getters", "[message]")
{
    auto m = sse::message{}.data("d").event("e").id("").retry(5ms);
    CHECK(m.data() == "d");
    CHECK(m.event() == "e");
    CHECK(m.id() == "");
    CHECK(m.id().has_value());
    CHECK(!m.comment().has_value());
    CHECK(m.retry() == 5ms);
    CHECK(!sse::message{}.data().has_value());
    CHECK(sse::message{}.data("x") == sse::message{}.data("x"));
    CHECK(!(sse::message{}.data("x") == sse::message{}.data("x").id("")));
}

TEST_CASE("message: refused input", "[message]")
{
    SECTION("id with a line feed")
    {
        check_refused(
            [](sse::message& m) { m.id("1\nevent: x"); },
            [](sse::message& m, sse::error_code& ec) { m.id("1\nevent: x", ec); },
            sse::error::invalid_id,
            "id: line feed (0x0A) at offset 1"
        );
    }
    SECTION("id with a carriage return")
    {
        check_refused(
            [](sse::message& m) { m.id("ab\r"); },
            [](sse::message& m, sse::error_code& ec) { m.id("ab\r", ec); },
            sse::error::invalid_id,
            "id: carriage return (0x0D) at offset 2"
        );
    }
    SECTION("id with NUL")
    {
        check_refused(
            [](sse::message& m) { m.id("a\0"s); },
            [](sse::message& m, sse::error_code& ec) { m.id("a\0"s, ec); },
            sse::error::invalid_id,
            "id: NUL (0x00) at offset 1"
        );
    }
    SECTION("event with a line break")
    {
        check_refused(
            [](sse::message& m) { m.event("a\r\nb"); },
            [](sse::message& m, sse::error_code& ec) { m.event("a\r\nb", ec); },
            sse::error::invalid_event,
            "event: carriage return (0x0D) at offset 1"
        );
    }
    SECTION("ill-formed UTF-8 in each field")
    {
        check_refused(
            [](sse::message& m) { m.data("ok\xC3("); },
            [](sse::message& m, sse::error_code& ec) { m.data("ok\xC3(", ec); },
            sse::error::invalid_utf8,
            "data: ill-formed UTF-8 (byte 0xC3) at offset 2"
        );
        check_refused(
            [](sse::message& m) { m.comment("\xFF"); },
            [](sse::message& m, sse::error_code& ec) { m.comment("\xFF", ec); },
            sse::error::invalid_utf8,
            "comment: ill-formed UTF-8 (byte 0xFF) at offset 0"
        );
        check_refused(
            [](sse::message& m) { m.event("\xED\xA0\x80"); }, // a UTF-16 surrogate
            [](sse::message& m, sse::error_code& ec) { m.event("\xED\xA0\x80", ec); },
            sse::error::invalid_utf8,
            "event: ill-formed UTF-8 (byte 0xED) at offset 0"
        );
        check_refused(
            [](sse::message& m) { m.id("\xC0\xAF"); }, // overlong
            [](sse::message& m, sse::error_code& ec) { m.id("\xC0\xAF", ec); },
            sse::error::invalid_utf8,
            "id: ill-formed UTF-8 (byte 0xC0) at offset 0"
        );
    }
    SECTION("a truncated sequence at the end")
    {
        check_refused(
            [](sse::message& m) { m.data("\xF0\x9F\x91"); },
            [](sse::message& m, sse::error_code& ec) { m.data("\xF0\x9F\x91", ec); },
            sse::error::invalid_utf8,
            "offset 0"
        );
    }
    SECTION("negative retry")
    {
        check_refused(
            [](sse::message& m) { m.retry(-1ms); },
            [](sse::message& m, sse::error_code& ec) { m.retry(-1ms, ec); },
            sse::error::invalid_retry,
            "retry: negative"
        );
    }
    SECTION("the error_code overloads clear ec on success")
    {
        sse::message m;
        sse::error_code ec = sse::error::invalid_id;
        m.id("fine", ec);
        CHECK(!ec);
        CHECK(m.id() == "fine");
    }
}

TEST_CASE("message: the error_code overloads on a temporary", "[message]")
{
    SECTION("they yield an rvalue, as the throwing ones do")
    {
        sse::error_code ec;
        STATIC_REQUIRE(std::is_same_v<decltype(sse::message{}.data("x", ec)), sse::message&&>);
        STATIC_REQUIRE(std::is_same_v<decltype(sse::message{}.event("x", ec)), sse::message&&>);
        STATIC_REQUIRE(std::is_same_v<decltype(sse::message{}.id("x", ec)), sse::message&&>);
        STATIC_REQUIRE(std::is_same_v<decltype(sse::message{}.retry(1ms, ec)), sse::message&&>);
        STATIC_REQUIRE(std::is_same_v<decltype(sse::message{}.comment("x", ec)), sse::message&&>);
        // Unevaluated: json() needs <sse/json.hpp> only when it is called.
        STATIC_REQUIRE(std::is_same_v<decltype(sse::message{}.json(1, ec)), sse::message&&>);
        sse::message m;
        STATIC_REQUIRE(std::is_same_v<decltype(m.data("x", ec)), sse::message&>);
        STATIC_REQUIRE(std::is_same_v<decltype(m.comment("x", ec)), sse::message&>);
    }
    SECTION("a chain that is accepted")
    {
        sse::error_code e1, e2, e3, e4, e5;
        auto m = sse::message{}.comment("c", e1).retry(2s, e2).id("7", e3).event("e", e4).data("d", e5);
        CHECK(!e1);
        CHECK(!e2);
        CHECK(!e3);
        CHECK(!e4);
        CHECK(!e5);
        CHECK(wire(m) == ": c\nretry: 2000\nid: 7\nevent: e\ndata: d\n\n");
    }
    SECTION("a refusal in the chain is detected and leaves its field unset")
    {
        sse::error_code ec_id, ec_event, ec_data;
        sse::message const m =
            sse::message{}.id("1\nevent: admin", ec_id).event("tick", ec_event).data("ok", ec_data);
        CHECK(ec_id == sse::error::invalid_id);
        CHECK(!ec_event);
        CHECK(!ec_data);
        CHECK(!m.id());
        CHECK(wire(m) == "event: tick\ndata: ok\n\n");
    }
    SECTION("each refused field, in a chain")
    {
        sse::error_code ec;
        CHECK(sse::message{}.data("\xFF", ec).empty());
        CHECK(ec == sse::error::invalid_utf8);
        CHECK(sse::message{}.event("a\rb", ec).empty());
        CHECK(ec == sse::error::invalid_event);
        CHECK(sse::message{}.retry(-1s, ec).empty());
        CHECK(ec == sse::error::invalid_retry);
        CHECK(sse::message{}.comment("\xC0\xAF", ec).empty());
        CHECK(ec == sse::error::invalid_utf8);
    }
    SECTION("one error_code shared along a chain reports the last call only")
    {
        // Each call sets its error_code, as every Beast error_code overload
        // does: a later success clears an earlier refusal.
        sse::error_code ec;
        auto const m = sse::message{}.id("bad\r", ec).data("fine", ec);
        CHECK(!ec);
        CHECK(!m.id());
        sse::message{}.data("fine", ec).id("bad\r", ec);
        CHECK(ec == sse::error::invalid_id);
    }
    SECTION("a co_yield-style move out of the chain keeps the fields")
    {
        sse::error_code ec;
        sse::message m(sse::message{}.data(std::string(1000, 'x'), ec));
        CHECK(!ec);
        CHECK(m.data()->size() == 1000);
    }
}

TEST_CASE("message: serialized_size is exact", "[message]")
{
    std::array<sse::message, 10> const messages{
        sse::message{},
        sse::message{}.comment(""),
        sse::message{}.comment("ping"),
        sse::message{}.comment("a\r\n\nb\r"),
        sse::message{}.comment(" x\n").data(""),
        sse::message{}.data(""),
        sse::message{}.data("\r\n\r\n\n\r"),
        sse::message{}.retry(0ms),
        sse::message{}.retry(std::chrono::milliseconds::max()),
        sse::message{}.comment("x").retry(10s).id("i").event("e").data("a\nb"),
    };
    for (auto const& m : messages) {
        std::string const s = wire(m);
        CHECK(m.serialized_size() == s.size());
        std::string raw(m.serialized_size(), '?');
        CHECK(m.serialize(raw.data()) == raw.data() + raw.size());
        CHECK(raw == s);
    }
}

TEST_CASE("message: serializing into buffers", "[message]")
{
    auto const m = sse::message{}.id(3).event("tick").data("one\ntwo");
    std::string const expected = "id: 3\nevent: tick\ndata: one\ndata: two\n\n";

    SECTION("appends to a std::string")
    {
        std::string s = "prefix|";
        sse::serialize(m, s);
        CHECK(s == "prefix|" + expected);
    }
    SECTION("beast::flat_buffer")
    {
        boost::beast::flat_buffer b;
        sse::serialize(m, b);
        sse::serialize(m, b);
        CHECK(boost::beast::buffers_to_string(b.data()) == expected + expected);
    }
    SECTION("beast::multi_buffer")
    {
        boost::beast::multi_buffer b;
        sse::serialize(m, b);
        sse::serialize(m, b);
        CHECK(boost::beast::buffers_to_string(b.data()) == expected + expected);
    }
    SECTION("beast::static_buffer, and its overflow")
    {
        boost::beast::static_buffer<64> b;
        sse::serialize(m, b);
        CHECK(boost::beast::buffers_to_string(b.data()) == expected);
        CHECK_THROWS_AS(sse::serialize(m, b), std::length_error);
        CHECK(boost::beast::buffers_to_string(b.data()) == expected);
    }
    SECTION("a buffer sequence of many small pieces")
    {
        std::array<char, 7> a{};
        std::array<char, 1> b{};
        std::array<char, 13> c{};
        std::array<char, 64> d{};
        std::array<boost::asio::mutable_buffer, 4> pieces{
            boost::asio::buffer(a), boost::asio::buffer(b), boost::asio::buffer(c), boost::asio::buffer(d)
        };
        boost::beast::buffers_adaptor<decltype(pieces)> adaptor(pieces);
        sse::serialize(m, adaptor);
        CHECK(boost::beast::buffers_to_string(adaptor.data()) == expected);
    }
    SECTION("asio::dynamic_buffer over a string")
    {
        std::string s = "x";
        sse::serialize(m, boost::asio::dynamic_buffer(s));
        CHECK(s == "x" + expected);
    }
}

namespace {

// Counts the bytes a message allocates through it.
template <class T>
struct counting_allocator {
    using value_type = T;
    std::size_t* bytes;

    explicit counting_allocator(std::size_t* b) noexcept : bytes(b) {}
    template <class U>
    counting_allocator(counting_allocator<U> const& o) noexcept : bytes(o.bytes)
    {
    }
    T* allocate(std::size_t n)
    {
        *bytes += n * sizeof(T);
        return std::allocator<T>{}.allocate(n);
    }
    void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>{}.deallocate(p, n); }
    template <class U>
    bool operator==(counting_allocator<U> const& o) const noexcept
    {
        return bytes == o.bytes;
    }
};

} // namespace

TEST_CASE("message: allocator and storage", "[message]")
{
    SECTION("a custom allocator holds the fields")
    {
        std::size_t bytes = 0;
        sse::basic_message<counting_allocator<char>> m{counting_allocator<char>(&bytes)};
        m.data(std::string(1000, 'x')).comment(std::string(100, 'c'));
        CHECK(bytes >= 1100);
        std::string s;
        sse::serialize(m, s);
        CHECK(s.size() == m.serialized_size());
        CHECK(m.get_allocator().bytes == &bytes);
    }
    SECTION("data() takes a string's storage")
    {
        std::string big(10000, 'y');
        char const* storage = big.data();
        auto m = sse::message{}.data(std::move(big));
        CHECK(m.data()->data() == storage);
        CHECK(m.serialized_size() == 10000 + 7 + 1);
    }
    SECTION("a moved-in string is still validated")
    {
        sse::message m;
        CHECK_THROWS_AS(m.data(std::string("\x80")), sse::system_error);
        CHECK(!m.data());
    }
    SECTION("clear() keeps capacity")
    {
        sse::message m;
        m.data(std::string(5000, 'z'));
        char const* storage = m.data()->data();
        m.clear();
        m.data(std::string_view(std::string(4000, 'w')));
        CHECK(m.data()->data() == storage);
    }
    SECTION("setters on a temporary yield an rvalue")
    {
        STATIC_REQUIRE(std::is_same_v<decltype(sse::message{}.data("x")), sse::message&&>);
        sse::message m;
        STATIC_REQUIRE(std::is_same_v<decltype(m.data("x")), sse::message&>);
    }
}
