//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Test that header file is self-contained.
#include <sse/json.hpp>

#include <sse/parser.hpp>

#include "catch.hpp"

#include <string>
#include <vector>

namespace shop {

struct quote {
    std::string symbol;
    double price;
};

void to_json(nlohmann::json& j, quote const& q)
{
    j = nlohmann::json{{"symbol", q.symbol}, {"price", q.price}};
}

} // namespace shop

TEST_CASE("json: data from a nlohmann::json value", "[json]")
{
    SECTION("compact, one data line")
    {
        auto const m = sse::message{}.json(nlohmann::json{{"b", {1, 2}}, {"a", nullptr}});
        CHECK(sse::to_string(m) == "data: {\"a\":null,\"b\":[1,2]}\n\n");
    }
    SECTION("line breaks inside strings are escaped, never split")
    {
        auto const m = sse::message{}.json(nlohmann::json{{"text", "one\ntwo\r\nthree"}});
        CHECK(sse::to_string(m) == "data: {\"text\":\"one\\ntwo\\r\\nthree\"}\n\n");
    }
    SECTION("UTF-8 is kept as it is")
    {
        auto const m = sse::message{}.json(nlohmann::json{{"s", "ü ✓"}});
        CHECK(sse::to_string(m) == "data: {\"s\":\"ü ✓\"}\n\n");
    }
    SECTION("ordered_json keeps insertion order")
    {
        auto const m = sse::message{}.json(nlohmann::ordered_json{{"z", 1}, {"a", 2}});
        CHECK(sse::to_string(m) == "data: {\"z\":1,\"a\":2}\n\n");
    }
    SECTION("scalars")
    {
        CHECK(sse::to_string(sse::message{}.json(42)) == "data: 42\n\n");
        CHECK(sse::to_string(sse::message{}.json(std::string("hi"))) == "data: \"hi\"\n\n");
        CHECK(sse::to_string(sse::message{}.json(std::vector<int>{1, 2})) == "data: [1,2]\n\n");
    }
    SECTION("with the other fields")
    {
        auto const m = sse::message{}.event("json").id(5).json(nlohmann::json::array());
        CHECK(sse::to_string(m) == "id: 5\nevent: json\ndata: []\n\n");
        CHECK(m.serialized_size() == sse::to_string(m).size());
    }
}

TEST_CASE("json: a user type with to_json", "[json]")
{
    auto const m = sse::message{}.event("quote").json(shop::quote{"EURUSD", 1.5});
    CHECK(sse::to_string(m) == "event: quote\ndata: {\"price\":1.5,\"symbol\":\"EURUSD\"}\n\n");
}

TEST_CASE("json: refused values", "[json]")
{
    nlohmann::json const bad = std::string("\xFF");
    sse::message m;
    m.data("kept");
    CHECK_THROWS_AS(m.json(bad), sse::system_error);
    try {
        m.json(bad);
    } catch (sse::system_error const& e) {
        CHECK(e.code() == sse::error::invalid_json);
        CHECK(std::string(e.what()).find("UTF-8") != std::string::npos);
    }
    sse::error_code ec;
    m.json(bad, ec);
    CHECK(ec == sse::error::invalid_json);
    CHECK(m.data() == "kept");
    m.json(nlohmann::json(1), ec);
    CHECK(!ec);
    CHECK(m.data() == "1");
}

TEST_CASE("json: reads back as the same value", "[json]")
{
    nlohmann::json const value = {
        {"n", 1}, {"s", "ü ✓\n\"quoted\""}, {"nested", {{"a", {1, 2}}}}, {"empty", ""}, {"f", 0.25}
    };
    auto const events = sse::parse_events(sse::to_string(sse::message{}.event("json").json(value)));
    REQUIRE(events.size() == 1);
    CHECK(events[0].type == "json");
    CHECK(nlohmann::json::parse(events[0].data) == value);
}
