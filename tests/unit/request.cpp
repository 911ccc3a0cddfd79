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
