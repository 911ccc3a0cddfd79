//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// The code shown in README.md, compiled and checked. Keep the two in step:
// each snippet sits between //[name and //] markers.

#include <sse/json.hpp>
#include <sse/sse.hpp>

#include <sse/broadcaster.hpp>
#include <sse/sources/coro.hpp>
#include <sse/stream_response.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/string_body.hpp>

#include "catch.hpp"

#include <iostream>
#include <string>
#include <vector>

TEST_CASE("doc: README quick look", "[doc]")
{
    //[readme_message
    using namespace std::chrono_literals;

    auto hello = sse::message{}.id(1).event("greeting").data("Hello,\nworld!");
    auto price = sse::message{}.event("price").json(nlohmann::json{{"EURUSD", 1.0841}});
    auto hint = sse::message{}.retry(2s).comment("reconnect in 2 s");

    std::string wire = sse::to_string(hello) + sse::to_string(price) + sse::to_string(hint);
    // id: 1
    // event: greeting
    // data: Hello,
    // data: world!
    //
    // event: price
    // data: {"EURUSD":1.0841}
    //
    // : reconnect in 2 s
    // retry: 2000
    //

    for (sse::event const& e : sse::parse_events(wire))
        std::cout << e.type << " #" << e.id << ": " << e.data << '\n';
    // greeting #1: Hello,
    // world!
    // price #1: {"EURUSD":1.0841}
    //]

    CHECK(wire == "id: 1\nevent: greeting\ndata: Hello,\ndata: world!\n\n"
                  "event: price\ndata: {\"EURUSD\":1.0841}\n\n"
                  ": reconnect in 2 s\nretry: 2000\n\n");
    auto const events = sse::parse_events(wire);
    REQUIRE(events.size() == 2);
    CHECK(events[0] == sse::event("greeting", "Hello,\nworld!", "1"));
    CHECK(events[1] == sse::event("price", "{\"EURUSD\":1.0841}", "1"));
}

TEST_CASE("doc: README buffers", "[doc]")
{
    //[readme_buffers
    auto msg = sse::message{}.event("tick").data("42");

    std::string out;
    sse::serialize(msg, out); // appends, exactly msg.serialized_size() bytes

    boost::beast::flat_buffer buffer;
    sse::serialize(msg, buffer); // any DynamicBuffer, written in place
    //]

    CHECK(out == "event: tick\ndata: 42\n\n");
    CHECK(buffer.size() == msg.serialized_size());
}

TEST_CASE("doc: README parser", "[doc]")
{
    std::string output;
    //[readme_parser
    sse::parser p; // limits: sse::parser_options{.max_line_size, .max_event_size}
    for (std::string_view chunk : {"data: hel", "lo\r", "\n\r\nretry: 3000\n"}) {
        while (!chunk.empty()) {
            switch (p.parse(chunk)) {
            case sse::parse_result::event: output += p.event().data; break; // "hello"
            case sse::parse_result::retry: output += " retry"; break; // p.retry() == 3000ms
            case sse::parse_result::comment: break; // only with .report_comments
            case sse::parse_result::need_more: break;
            }
        }
    }
    //]
    CHECK(output == "hello retry");
    CHECK(p.retry() == std::chrono::milliseconds(3000));
}

TEST_CASE("doc: README parser, comments and the end of the stream", "[doc]")
{
    std::vector<std::string> seen;
    //[readme_parser_end
    sse::parser p(sse::parser_options{.report_comments = true, .dispatch_unterminated = true});
    std::string_view body = ": ping\n\nid: 7\ndata: {\"text\":\"Hi\"}\n\ndata: [DONE]";
    while (!body.empty()) {
        auto const r = p.parse(body);
        if (r == sse::parse_result::comment)
            seen.emplace_back(p.comment()); // "ping"
        else if (r == sse::parse_result::event)
            seen.emplace_back(p.event().data); // {"text":"Hi"}
    }
    sse::end_state const end = p.finish(); // mid_line: no line break after [DONE]
    if (p.has_event())                     // dispatch_unterminated: not discarded
        seen.emplace_back(p.event().data); // "[DONE]", id 7
    p.reset(p.last_event_id(), p.retry()); // a reconnection goes on from id 7
    //]
    CHECK(end == sse::end_state::mid_line);
    CHECK(seen == std::vector<std::string>{"ping", "{\"text\":\"Hi\"}", "[DONE]"});
    CHECK(p.last_event_id() == "7");
}

TEST_CASE("doc: README errors", "[doc]")
{
    std::string what;
    try {
        //[readme_errors_throw
        sse::message{}.id("1\nevent: admin");
        //]
    } catch (sse::system_error const& e) {
        what = e.what();
    }
    CHECK(what.starts_with("id: line feed (0x0A) at offset 1: invalid id: contains CR, LF or NUL"));

    sse::message msg;
    msg.event("before");
    std::string const untrusted = "x\r\nid: 0";
    //[readme_errors_ec
    sse::error_code ec;
    msg.event(untrusted, ec); // ec == sse::error::invalid_event, msg unchanged

    sse::error_code ec_id, ec_data; // one per call: a success clears its ec
    auto reply = sse::message{}.id(untrusted, ec_id).data("ok", ec_data); // ec_id set; reply has data only
    //]
    CHECK(ec == sse::error::invalid_event);
    CHECK(msg.event() == "before");
    CHECK(ec_id == sse::error::invalid_id);
    CHECK(!ec_data);
    CHECK(sse::to_string(reply) == "data: ok\n\n");
}

//[readme_hello
namespace readme {

namespace net = boost::asio;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

// The producer: a coroutine that never touches a socket.
net::experimental::coro<sse::message> hello(net::any_io_executor ex)
{
    net::steady_timer timer(ex);
    for (;;) {
        co_yield sse::message{}.data("Hello, world!");
        timer.expires_after(1s);
        co_await timer.async_wait(net::experimental::use_coro);
    }
}

// Inside an existing Beast request handler.
net::awaitable<void> handle(boost::beast::tcp_stream& stream, http::request<http::string_body> const& req)
{
    if (req.target() == "/events")
        co_await sse::async_write(stream, sse::stream_response{req, hello(stream.get_executor())}, net::use_awaitable);
}

} // namespace readme
//]

TEST_CASE("doc: README hello compiles", "[doc]")
{
    auto f = &readme::handle;
    CHECK(f != nullptr);
}

//[readme_broadcaster
namespace readme {

sse::broadcaster hub; // topics, history, fan-out; safe from any thread

// GET /events?room=NAME: the room's events, resuming after Last-Event-ID.
net::awaitable<void> events(boost::beast::tcp_stream& stream, http::request<http::string_body> const& req)
{
    stream.expires_never();
    co_await sse::async_write(stream, sse::stream_response{req, hub.subscribe(req, "lobby")}, net::use_awaitable);
}

// Anywhere, on any thread: serialized once, shared by every subscriber.
void announce(std::string const& text)
{
    hub.publish("lobby", sse::message{}.event("chat").data(text)); // gets the next id: "1", "2", ...
}

} // namespace readme
//]

TEST_CASE("doc: README broadcaster", "[doc]")
{
    readme::announce("hello");
    CHECK(readme::hub.topic_count() == 1);
}

//[readme_publish_ahead
namespace readme_ahead {

namespace net = boost::asio;

net::awaitable<std::string> publish(std::string text) // by value: a coroutine outlives its caller's temporaries
{
    sse::broadcaster_options o;
    o.publish_ahead = 4;
    sse::broadcaster hub(o);
    // In a coroutine on the subscribers' io_context: at most 4 events ahead.
    auto id = co_await hub.async_publish("lobby", sse::message{}.data(text), net::use_awaitable);
    co_return id;
}

} // namespace readme_ahead
//]

TEST_CASE("doc: README publish_ahead", "[doc]")
{
    namespace net = boost::asio;
    net::io_context ioc;
    auto f = net::co_spawn(ioc, readme_ahead::publish("hello"), net::use_future);
    ioc.run();
    CHECK(f.get() == "1");
}
