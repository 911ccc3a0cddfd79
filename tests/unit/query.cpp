//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Test that header file is self-contained.
#include <sse/query.hpp>

#include <sse/request.hpp>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "catch.hpp"

#include <iterator>
#include <ranges>
#include <string>
#include <utility>
#include <vector>

namespace http = boost::beast::http;

namespace {

using pairs = std::vector<std::pair<std::string, std::string>>;

// Every parameter, in order, as owned strings.
pairs all_of(sse::query_params const& q)
{
    pairs out;
    for (auto [name, value] : q)
        out.emplace_back(name, value);
    return out;
}

pairs parsed(std::string_view target)
{
    auto const q = sse::parse_query(target);
    REQUIRE(q.has_value());
    return all_of(*q);
}

} // namespace

static_assert(std::ranges::bidirectional_range<sse::query_params>);
static_assert(std::bidirectional_iterator<sse::query_params::iterator>);

TEST_CASE("query: url_decode", "[query]")
{
    SECTION("plain text is unchanged")
    {
        CHECK(sse::url_decode("").value() == "");
        CHECK(sse::url_decode("abc-._~").value() == "abc-._~");
    }
    SECTION("percent sequences, either case")
    {
        CHECK(sse::url_decode("%41%42c").value() == "ABc");
        CHECK(sse::url_decode("a%2fb%2Fc").value() == "a/b/c");
        CHECK(sse::url_decode("%25").value() == "%");
        CHECK(sse::url_decode("%2B").value() == "+"); // an encoded plus stays a plus
        CHECK(sse::url_decode("%00").value() == std::string(1, '\0'));
    }
    SECTION("'+' is a space, as in an HTML form")
    {
        CHECK(sse::url_decode("a+b").value() == "a b");
        CHECK(sse::url_decode("+++").value() == "   ");
        CHECK(sse::url_decode("a%20b").value() == "a b");
    }
    SECTION("UTF-8 in percent sequences")
    {
        CHECK(sse::url_decode("caf%C3%A9").value() == "caf\xC3\xA9");                       // café
        CHECK(sse::url_decode("%E2%9C%93").value() == "\xE2\x9C\x93");                      // ✓
        CHECK(sse::url_decode("%F0%9F%91%8B+hi").value() == "\xF0\x9F\x91\x8B hi");         // 👋 hi
        CHECK(sse::url_decode("%FF%FE").value() == "\xFF\xFE"); // bytes, not checked as UTF-8
    }
    SECTION("raw bytes that a lenient client left unencoded pass through")
    {
        CHECK(sse::url_decode("a=b?c/\xC3\xA9").value() == "a=b?c/\xC3\xA9");
    }
    SECTION("a '%' without two hex digits is an error")
    {
        for (auto const* bad : {"%", "a%", "%4", "a%4", "%zz", "%4g", "%g4", "100%", "%%41", "%-1", "% 41"}) {
            INFO(bad);
            auto const r = sse::url_decode(bad);
            REQUIRE(r.has_error());
            CHECK(r.error() == sse::error::bad_percent_encoding);
        }
        CHECK(sse::make_error_code(sse::error::bad_percent_encoding).message().find("percent") != std::string::npos);
        CHECK_THROWS_AS(sse::url_decode("%").value(), sse::system_error);
    }
}

TEST_CASE("query: parse_query", "[query]")
{
    SECTION("names and values, in order")
    {
        CHECK(parsed("/events?topic=a&n=1") == pairs{{"topic", "a"}, {"n", "1"}});
        CHECK(parsed("/?x=1") == pairs{{"x", "1"}});
        CHECK(parsed("?x=1") == pairs{{"x", "1"}});
    }
    SECTION("no query")
    {
        auto const q = sse::parse_query("/events");
        REQUIRE(q.has_value());
        CHECK(q->empty());
        CHECK(q->size() == 0);
        CHECK(q->begin() == q->end());
        CHECK(!q->get("x"));
        CHECK(parsed("") == pairs{});
        CHECK(parsed("/events?") == pairs{});
        CHECK(parsed("/events?&&") == pairs{});
    }
    SECTION("names and values are decoded")
    {
        CHECK(parsed("/s?q=a+b%26c&na%6De=v%3D1") == pairs{{"q", "a b&c"}, {"name", "v=1"}});
        CHECK(parsed("/s?city=Z%C3%BCrich") == pairs{{"city", "Z\xC3\xBCrich"}});
        CHECK(parsed("/s?my+name=x") == pairs{{"my name", "x"}});
    }
    SECTION("empty values, bare names, empty names")
    {
        CHECK(parsed("/e?a=&b&c=1") == pairs{{"a", ""}, {"b", ""}, {"c", "1"}});
        CHECK(parsed("/e?=x") == pairs{{"", "x"}});
        CHECK(parsed("/e?=") == pairs{{"", ""}});
        auto const q = sse::parse_query("/e?flag&empty=");
        REQUIRE(q.has_value());
        CHECK(q->get("flag") == "");
        CHECK(q->get("empty") == "");
        CHECK(!q->get("absent"));
    }
    SECTION("split at the first '=' and on '&' only")
    {
        CHECK(parsed("/e?a==b&c=d=e") == pairs{{"a", "=b"}, {"c", "d=e"}});
        CHECK(parsed("/e?a=1;b=2") == pairs{{"a", "1;b=2"}});
        CHECK(parsed("/e?a=1?b=2") == pairs{{"a", "1?b=2"}}); // the first '?' starts the query
    }
    SECTION("empty parameters are skipped")
    {
        CHECK(parsed("/e?&a=1&&b=2&") == pairs{{"a", "1"}, {"b", "2"}});
    }
    SECTION("a name given twice: get() is the last value, iteration sees both")
    {
        auto const q = sse::parse_query("/e?n=1&m=x&n=2&n=");
        REQUIRE(q.has_value());
        CHECK(q->get("n") == "");
        CHECK(q->size() == 4);
        CHECK(all_of(*q) == pairs{{"n", "1"}, {"m", "x"}, {"n", "2"}, {"n", ""}});
        auto const r = sse::parse_query("/e?n=1&n=2");
        CHECK(r->get("n") == "2");
    }
    SECTION("names compare exactly, after decoding")
    {
        auto const q = sse::parse_query("/e?Topic=a&t%6Fpic=b");
        REQUIRE(q.has_value());
        CHECK(q->get("topic") == "b");
        CHECK(q->get("Topic") == "a");
        CHECK(!q->get("TOPIC"));
    }
    SECTION("a fragment ends the query")
    {
        CHECK(parsed("/e?a=1#frag") == pairs{{"a", "1"}});
        CHECK(parsed("/e?a=1&b=2#x&c=3") == pairs{{"a", "1"}, {"b", "2"}});
        CHECK(parsed("/e?a=x#") == pairs{{"a", "x"}});
        CHECK(parsed("/e#x?a=1") == pairs{}); // the '?' is in the fragment
        CHECK(parsed("/e?a=%23b") == pairs{{"a", "#b"}}); // a '#' in a value is sent encoded
        CHECK(parsed("/e?a=1#%zz") == pairs{{"a", "1"}}); // a fragment is not decoded
    }
    SECTION("malformed encoding refuses the whole query")
    {
        for (auto const* bad : {"/e?a=%", "/e?a=1%", "/e?a=%4", "/e?a=%zz&b=1", "/e?b=1&a%=1", "/e?ok=1&x=%G0"}) {
            INFO(bad);
            auto const q = sse::parse_query(bad);
            REQUIRE(q.has_error());
            CHECK(q.error() == sse::error::bad_percent_encoding);
        }
        // Outside the query, a '%' is not looked at.
        CHECK(parsed("/100%?a=1") == pairs{{"a", "1"}});
    }
    SECTION("a request's target")
    {
        http::request<http::string_body> req{http::verb::get, "/events?topic=a%20b&lastEventId=42", 11};
        auto const q = sse::parse_query(req.target());
        REQUIRE(q.has_value());
        CHECK(q->get("topic") == "a b");
        CHECK(q->get("lastEventId") == "42");
    }
    SECTION("copies and moves keep their views valid")
    {
        auto q = sse::parse_query("/e?a_long_name_that_is_not_inlined=a_long_value_that_is_not_inlined_either&b=2").value();
        auto copy = q;
        auto moved = std::move(q);
        CHECK(copy.get("a_long_name_that_is_not_inlined") == "a_long_value_that_is_not_inlined_either");
        CHECK(moved.get("b") == "2");
        CHECK(all_of(copy) == all_of(moved));
    }
    SECTION("iterating both ways")
    {
        auto const q = sse::parse_query("/e?a=1&b=2&c=3").value();
        std::vector<std::string> backwards;
        for (auto it = q.end(); it != q.begin();)
            backwards.emplace_back((*--it).first);
        CHECK(backwards == std::vector<std::string>{"c", "b", "a"});
        CHECK(std::ranges::distance(q) == 3);
    }
}

TEST_CASE("query: query_parameter", "[query]")
{
    CHECK(sse::query_parameter("/events?lastEventId=42", "lastEventId") == "42");
    CHECK(sse::query_parameter("/events?a=1&lastEventId=%34%32&b=2", "lastEventId") == "42");
    CHECK(sse::query_parameter("/events?q=a+b", "q") == "a b");
    CHECK(sse::query_parameter("/e?n=1&n=2", "n") == "2"); // the last one
    CHECK(sse::query_parameter("/e?flag", "flag") == "");
    CHECK(sse::query_parameter("/e?flag=", "flag") == "");
    CHECK(sse::query_parameter("/e?city=Z%C3%BCrich", "city") == "Z\xC3\xBCrich");
    CHECK(sse::query_parameter("/e?na%6De=v", "name") == "v"); // names are decoded too
    CHECK(sse::query_parameter("/e?my+name=v", "my name") == "v");
    CHECK(sse::query_parameter("/e?a=1#b=2", "b") == std::nullopt);

    SECTION("absent")
    {
        CHECK(!sse::query_parameter("/events", "a"));
        CHECK(!sse::query_parameter("/events?", "a"));
        CHECK(!sse::query_parameter("/events?ab=1&b", "a"));
        CHECK(!sse::query_parameter("/events?A=1", "a"));
    }
    SECTION("malformed encoding anywhere in the query: nothing, as parse_query refuses it")
    {
        CHECK(!sse::query_parameter("/e?a=%zz", "a"));
        CHECK(!sse::query_parameter("/e?a=1&b=%", "a"));
        CHECK(!sse::query_parameter("/e?%=x&a=1", "a"));
        CHECK(!sse::query_parameter("/e?a=1%", "a"));
    }
    SECTION("the same answer as parse_query then get")
    {
        for (auto const* target : {"/e?a=1&b=2&a=3", "/e?a", "/e?b=%41", "/e?a=%4", "/e?a=x#a=y", "/e", "/e?a=+%2B+"}) {
            INFO(target);
            auto const q = sse::parse_query(target);
            std::optional<std::string> expected;
            if (q)
                if (auto const v = q->get("a"))
                    expected = std::string(*v);
            CHECK(sse::query_parameter(target, "a") == expected);
        }
    }
}

// The query snippet of README.md, compiled and checked.
TEST_CASE("query: the README snippet", "[query][doc]")
{
    http::request<http::string_body> req{http::verb::get, "/events?topic=a+b&n=1&n=2&flag", 11};
    std::string_view const target(req.target().data(), req.target().size());
    auto const bad_request = [](std::string const& why) { return why; };
    auto const run = [&]() -> std::string {
        auto const q = sse::parse_query(req.target()); // "/events?topic=a+b&n=1&n=2&flag"
        if (!q)                                        // a '%' without two hex digits
            return bad_request(q.error().message());   // sse::error::bad_percent_encoding
        CHECK(q->get("topic") == "a b");
        CHECK(q->get("n") == "2");
        CHECK(q->get("flag") == "");
        std::size_t n = 0;
        for (auto [name, value] : *q) {
            CHECK(!name.empty());
            ++n;
        }
        CHECK(n == 4);
        CHECK(sse::query_parameter(target, "n") == "2");
        CHECK(sse::url_decode("caf%C3%A9").value() == "caf\xC3\xA9");
        CHECK(!sse::last_event_id(req, "lastEventId"));
        return "ok";
    };
    CHECK(run() == "ok");
    req.target("/events?topic=%");
    CHECK(run() == sse::make_error_code(sse::error::bad_percent_encoding).message());
}
