//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Test that header file is self-contained.
#include <sse/request.hpp>

#include <boost/beast/http/string_body.hpp>

#include "catch.hpp"

namespace http = boost::beast::http;

namespace {

http::request<http::string_body> with_accept(char const* accept)
{
    http::request<http::string_body> req{http::verb::get, "/events", 11};
    if (accept)
        req.set(http::field::accept, accept);
    return req;
}

} // namespace

TEST_CASE("request: Last-Event-ID", "[request]")
{
    http::request<http::string_body> req{http::verb::get, "/events", 11};
    CHECK(!sse::last_event_id(req));
    req.set("Last-Event-ID", "42");
    CHECK(sse::last_event_id(req) == "42");
    req.set("last-event-id", "");
    CHECK(sse::last_event_id(req) == "");
}

TEST_CASE("request: Last-Event-ID or a query parameter", "[request]")
{
    SECTION("neither")
    {
        http::request<http::string_body> req{http::verb::get, "/events?topic=a", 11};
        CHECK(!sse::last_event_id(req, "lastEventId"));
    }
    SECTION("the header only")
    {
        http::request<http::string_body> req{http::verb::get, "/events", 11};
        req.set("Last-Event-ID", "42");
        CHECK(sse::last_event_id(req, "lastEventId") == "42");
    }
    SECTION("the query only, decoded")
    {
        http::request<http::string_body> req{http::verb::get, "/events?lastEventId=42", 11};
        CHECK(sse::last_event_id(req, "lastEventId") == "42");
        req.target("/events?topic=x&lastEventId=a%2Fb+c");
        CHECK(sse::last_event_id(req, "lastEventId") == "a/b c");
        req.target("/events?lastEventId=");
        CHECK(sse::last_event_id(req, "lastEventId") == "");
        CHECK(!sse::last_event_id(req, "other"));
        CHECK(!sse::last_event_id(req)); // the one-argument form reads the header only
    }
    SECTION("both: the header wins")
    {
        http::request<http::string_body> req{http::verb::get, "/events?lastEventId=1", 11};
        req.set("Last-Event-ID", "2");
        CHECK(sse::last_event_id(req, "lastEventId") == "2");
        req.set("Last-Event-ID", ""); // present, even empty
        CHECK(sse::last_event_id(req, "lastEventId") == "");
    }
    SECTION("a malformed query gives no id")
    {
        http::request<http::string_body> req{http::verb::get, "/events?lastEventId=4%2", 11};
        CHECK(!sse::last_event_id(req, "lastEventId"));
        req.set("Last-Event-ID", "7");
        CHECK(sse::last_event_id(req, "lastEventId") == "7");
    }
}

TEST_CASE("request: accepts_event_stream", "[request]")
{
    CHECK(sse::accepts_event_stream(with_accept(nullptr)));
    CHECK(sse::accepts_event_stream(with_accept("text/event-stream")));
    CHECK(sse::accepts_event_stream(with_accept("Text/Event-Stream")));
    CHECK(sse::accepts_event_stream(with_accept("*/*")));
    CHECK(sse::accepts_event_stream(with_accept("text/*;q=0.5")));
    CHECK(sse::accepts_event_stream(with_accept("application/json, text/event-stream;q=0.9")));
    CHECK(sse::accepts_event_stream(with_accept("text/html , text/event-stream ; charset=utf-8")));
    CHECK(!sse::accepts_event_stream(with_accept("application/json")));
    CHECK(!sse::accepts_event_stream(with_accept("text/html, application/xhtml+xml")));
    CHECK(!sse::accepts_event_stream(with_accept("text/event-stream;q=0")));
    CHECK(!sse::accepts_event_stream(with_accept("text/event-stream; q=0.000, application/json")));
    CHECK(!sse::accepts_event_stream(with_accept("text/event-streams")));
}

TEST_CASE("request: no_content", "[request]")
{
    http::request<http::string_body> req{http::verb::get, "/events", 11};
    auto res = sse::no_content(req);
    CHECK(res.result() == http::status::no_content);
    CHECK(res.version() == 11);
    CHECK(res.keep_alive());
    req.keep_alive(false);
    CHECK(!sse::no_content(req).keep_alive());
    http::request<http::string_body> old{http::verb::get, "/events", 10};
    CHECK(sse::no_content(old).version() == 10);
}
