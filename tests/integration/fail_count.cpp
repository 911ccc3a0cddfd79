//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Every way the self-owning operations can end, reached on purpose, as
// Beast's own tests do (test/beast/http/write.cpp, testFailures): the
// operation runs over Beast's in-memory test stream with a fail_count of
// N, for N = 0, 1, 2, ... until a run no injected failure reached. The
// N-th read or write on the server's end fails with
// beast::test::error::test_failure, and so does every one after it. Then
// the same operations are cancelled after k turns of the io_context, for
// k = 0, 1, 2, ... until they finish on their own, with each kind of
// cancellation.
//
// Whatever happens, a user may rely on this: the completion handler runs
// exactly once, with an error that says what happened; the source is
// destroyed before it runs (and the request handler of async_serve too);
// every byte of the operation's memory, taken from the handler's
// allocator, is given back; the io_context runs out of work; and what the
// client received is a beginning of the right answer, the whole of it when
// nothing failed.

// Test that header file is self-contained.
#include <sse/http1.hpp>

#include <sse/parser.hpp>
#include <sse/response.hpp>
#include <sse/sources/range.hpp>
#include <sse/stream_response.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/_experimental/test/error.hpp>
#include <boost/beast/_experimental/test/fail_count.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "catch.hpp"
#include "fail_injection.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using sse::error_code;

// What both failure-injection tests use (tests/support/fail_injection.hpp).
using namespace sse::test::fail_injection;

// ------------------------------------------------------------ the answers

std::string const stream_head = "HTTP/1.1 200 OK\r\n"
                                "Content-Type: text/event-stream\r\n"
                                "Cache-Control: no-cache\r\n"
                                "X-Accel-Buffering: no\r\n"
                                "Transfer-Encoding: chunked\r\n\r\n";

std::string const plain_answer = "HTTP/1.1 200 OK\r\n"
                                 "Content-Type: text/plain\r\n"
                                 "Content-Length: 6\r\n\r\n"
                                 "hello\n";

std::string const plain_request = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
std::string const stream_request = "GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n";


// One response as the client read it.
struct reply {
    std::string raw;  // its bytes
    std::string head; // up to the empty line (all of raw when it has none)
    std::string body; // de-chunked, as far as it came
    bool complete = false;
    bool well_formed = true;
};

// Splits what the client received into responses, as an HTTP/1.1 client
// parses them. The last one may be cut short.
std::vector<reply> replies_in(std::string_view wire)
{
    std::vector<reply> out;
    while (!wire.empty()) {
        reply r;
        auto const end_of_head = wire.find("\r\n\r\n");
        r.head = std::string(wire.substr(0, end_of_head == std::string_view::npos ? wire.size() : end_of_head + 4));
        http::response_parser<http::string_body> parser;
        parser.eager(true);
        std::size_t used = 0;
        error_code ec;
        while (!parser.is_done() && used < wire.size()) {
            std::size_t const n = parser.put(net::buffer(wire.data() + used, wire.size() - used), ec);
            used += n;
            if (ec == http::error::need_more) {
                ec = {};
                used = wire.size(); // the rest is a beginning
                break;
            }
            if (ec || n == 0)
                break;
        }
        r.well_formed = !ec;
        r.complete = parser.is_done();
        if (!r.complete)
            used = wire.size();
        r.raw = std::string(wire.substr(0, used));
        r.body = parser.get().body();
        wire.remove_prefix(used);
        bool const last = !r.complete || !r.well_formed;
        out.push_back(std::move(r));
        if (last)
            break;
    }
    return out;
}

// The data of each whole chunk of a chunked body, as it was framed.
std::vector<std::string> chunks_of(std::string_view body)
{
    std::vector<std::string> out;
    for (;;) {
        auto const eol = body.find("\r\n");
        if (eol == std::string_view::npos)
            break;
        std::size_t const size = std::stoul(std::string(body.substr(0, eol)), nullptr, 16);
        if (body.size() < eol + 2 + size + 2)
            break;
        out.emplace_back(body.substr(eol + 2, size));
        body.remove_prefix(eol + 2 + size + 2);
        if (size == 0)
            break;
    }
    return out;
}

// What a client has of the event stream is a beginning of the right one:
// the head, then whole chunks of whole messages when the transport wrote
// whole writes, and, once complete, the end of the body. Which messages
// made it is for the caller to check.
void check_stream_reply(reply const& r, bool whole_writes)
{
    CHECK(r.well_formed);
    if (r.head.size() < stream_head.size() || !r.head.ends_with("\r\n\r\n")) {
        CHECK(stream_head.starts_with(r.head));
        CHECK(!r.complete);
        return;
    }
    CHECK(r.head == stream_head);
    CHECK(full_payload().starts_with(r.body));
    if (whole_writes && !r.body.empty())
        CHECK(ends_a_message(r.body.size()));
    if (whole_writes) {
        CHECK(r.raw.size() > r.head.size()); // the head never goes out alone: the retry is with it
        // A write is one chunk of whole messages: none is split.
        std::size_t sent = 0;
        for (auto const& chunk : chunks_of(std::string_view(r.raw).substr(r.head.size()))) {
            sent += chunk.size();
            if (!chunk.empty())
                CHECK(ends_a_message(sent));
        }
        CHECK(sent == r.body.size());
    }
    if (r.complete) {
        CHECK(r.raw.ends_with("\r\n0\r\n\r\n"));
        CHECK(ends_a_message(r.body.size()));
    }
}

// The whole event stream, byte for byte once de-chunked, as a client
// reads it.
void check_whole_stream(reply const& r)
{
    CHECK(r.complete);
    CHECK(r.head == stream_head);
    CHECK(r.body == full_payload());
    CHECK(sse::parse_events(r.body) == all_events);
}

// An ordinary response goes out whole, or as a beginning of itself.
void check_plain_reply(reply const& r)
{
    CHECK(r.well_formed);
    if (r.complete)
        CHECK(r.raw == plain_answer);
    else
        CHECK(plain_answer.starts_with(r.raw));
}

// ------------------------------------------------------------ a connection

// One connection, with an HTTP/1.1 client reading the answers.
struct connection : connection_base {
    // The client's side.
    std::string received;
    std::array<char, 512> chunk{};
    bool second_sent = false;

    using connection_base::connection_base;

    // ------------------------------------------------------- async_write

    // Writes an event stream of three messages, with the overload that
    // takes the connection's buffer (the response an lvalue) or the one
    // without (the response a temporary).
    template <class Token>
    void start_write(bool with_buffer, Token token)
    {
        http::request<http::string_body> req{http::verb::get, "/events", 11};
        req.set(http::field::host, "localhost");
        if (with_buffer) {
            auto response = sse::stream_response{req, make_stream_source(sources), stream_options()};
            sse::async_write(stream, buffer, response, std::move(token));
        } else {
            sse::async_write(
                stream, sse::stream_response{req, make_stream_source(sources), stream_options()}, std::move(token)
            );
        }
    }

    // ------------------------------------------------------- async_serve

    // Serves "GET /" with a plain answer and "GET /events" with the event
    // stream.
    template <class Token>
    void start_serve(bool pipelined, Token token)
    {
        sse::http1::async_serve(
            stream,
            buffer,
            [this, token = lifetime_token(handlers)](sse::http1::request&& req) -> sse::response {
                if (req.target() == "/events") {
                    ++streams_made;
                    return sse::stream_response{req, make_stream_source(sources), stream_options()};
                }
                return sse::make_response(req, http::status::ok, "hello\n");
            },
            sse::server_options(),
            std::move(token)
        );
        start_client(pipelined);
    }

    // The client sends "GET /" and "GET /events", both at once or the
    // second once it has the first answer; it closes once it has the end
    // of the event stream, and stops when the server closes.
    void start_client(bool pipelined)
    {
        second_sent = pipelined;
        net::write(client, net::buffer(pipelined ? plain_request + stream_request : plain_request));
        read_client();
    }

    void read_client()
    {
        client.async_read_some(net::buffer(chunk), [this](error_code ec, std::size_t n) {
            received.append(chunk.data(), n);
            if (ec)
                return;
            if (!second_sent && received.size() >= plain_answer.size()) {
                second_sent = true;
                net::write(client, net::buffer(stream_request));
            }
            if (received.ends_with("\r\n0\r\n\r\n")) {
                client.close();
                return;
            }
            read_client();
        });
    }
};

} // namespace

// ------------------------------------------------------------ failures

TEST_CASE("fail_count: sse::async_write completes once, whichever read or write fails", "[fail_count]")
{
    for (bool const with_buffer : {true, false}) {
        for (std::size_t const io_size : {std::size_t(0), std::size_t(7)}) {
            bool finished = false;
            for (std::size_t n = 0; n < max_steps && !finished; ++n) {
                CAPTURE(with_buffer, io_size, n);
                watchdog dog(label(with_buffer ? "async_write(buffer)" : "async_write", n, io_size));
                beast::test::fail_count fc(n);
                connection c(&fc, io_size);
                c.start_write(with_buffer, c.completion());
                c.check_ended_cleanly();

                auto const replies = replies_in(std::string(c.client.str()));
                REQUIRE(replies.size() <= 1);
                if (!replies.empty())
                    check_stream_reply(replies[0], io_size == 0);
                if (c.failure_reached(n)) {
                    // A failed read or write means the peer is gone; the
                    // body is left unfinished.
                    CHECK(c.result == sse::error::peer_gone);
                    CHECK((replies.empty() || !replies[0].complete));
                } else {
                    CHECK_FALSE(c.result);
                    REQUIRE(replies.size() == 1);
                    check_whole_stream(replies[0]);
                    finished = true;
                }
            }
            CHECK(finished);
        }
    }
}

TEST_CASE("fail_count: sse::http1::async_serve completes once, whichever read or write fails", "[fail_count]")
{
    for (bool const pipelined : {true, false}) {
        for (std::size_t const io_size : {std::size_t(0), std::size_t(7)}) {
            bool finished = false;
            for (std::size_t n = 0; n < max_steps && !finished; ++n) {
                CAPTURE(pipelined, io_size, n);
                watchdog dog(label(pipelined ? "async_serve, pipelined" : "async_serve", n, io_size));
                beast::test::fail_count fc(n);
                connection c(&fc, io_size);
                c.start_serve(pipelined, c.completion());
                c.check_ended_cleanly();

                auto const replies = replies_in(c.received);
                REQUIRE(replies.size() <= 2);
                if (!replies.empty())
                    check_plain_reply(replies[0]);
                if (replies.size() == 2) {
                    CHECK(replies[0].complete);
                    check_stream_reply(replies[1], io_size == 0);
                }
                bool const stream_complete = replies.size() == 2 && replies[1].complete;
                if (!c.failure_reached(n)) {
                    // Both answered; the session ends with no error when
                    // the client closes.
                    CHECK_FALSE(c.result);
                    REQUIRE(replies.size() == 2);
                    CHECK(replies[0].raw == plain_answer);
                    check_whole_stream(replies[1]);
                    finished = true;
                } else if (c.streams_made != 0 && !stream_complete) {
                    // The event stream was cut: it reports the peer gone,
                    // and the session with it.
                    CHECK(c.result == sse::error::peer_gone);
                } else {
                    // A request read or a plain answer failed: the error is
                    // the transport's.
                    CHECK(c.result == beast::test::error::test_failure);
                }
            }
            CHECK(finished);
        }
    }
}

// ------------------------------------------------------------ cancellation

TEST_CASE("fail_count: sse::async_write cancelled after any number of turns", "[fail_count]")
{
    for (auto const type :
         {net::cancellation_type::terminal, net::cancellation_type::partial, net::cancellation_type::total}) {
        for (bool const with_buffer : {true, false}) {
            bool finished = false;
            for (std::size_t k = 0; k < max_steps && !finished; ++k) {
                CAPTURE(name_of(type), with_buffer, k);
                watchdog dog(label(name_of(type), k, 0) + (with_buffer ? ", async_write(buffer)" : ", async_write"));
                net::cancellation_signal signal;
                connection c(nullptr, 0);
                c.start_write(with_buffer, net::bind_cancellation_slot(signal.slot(), c.completion()));
                finished = c.run_turns(k);
                if (!finished)
                    signal.emit(type);
                c.check_ended_cleanly();

                auto const replies = replies_in(std::string(c.client.str()));
                REQUIRE(replies.size() <= 1);
                if (!replies.empty())
                    check_stream_reply(replies[0], true);
                if (finished || !c.result) {
                    // It had finished: the whole stream went out.
                    CHECK_FALSE(c.result);
                    REQUIRE(replies.size() == 1);
                    check_whole_stream(replies[0]);
                    continue;
                }
                CHECK(c.result == net::error::operation_aborted);
                // Partial and total end the stream cleanly: a client that
                // had the head has the end of the body.
                if (type != net::cancellation_type::terminal && !replies.empty())
                    CHECK(replies[0].complete);
            }
            CHECK(finished);
        }
    }
}

TEST_CASE("fail_count: sse::http1::async_serve cancelled after any number of turns", "[fail_count]")
{
    for (auto const type :
         {net::cancellation_type::terminal, net::cancellation_type::partial, net::cancellation_type::total}) {
        for (bool const pipelined : {true, false}) {
            bool finished = false;
            for (std::size_t k = 0; k < max_steps && !finished; ++k) {
                CAPTURE(name_of(type), pipelined, k);
                watchdog dog(label(name_of(type), k, 0) + (pipelined ? ", async_serve, pipelined" : ", async_serve"));
                net::cancellation_signal signal;
                connection c(nullptr, 0);
                c.start_serve(pipelined, net::bind_cancellation_slot(signal.slot(), c.completion()));
                finished = c.run_turns(k);
                if (!finished)
                    signal.emit(type);
                c.check_ended_cleanly();

                auto const replies = replies_in(c.received);
                REQUIRE(replies.size() <= 2);
                if (!replies.empty())
                    check_plain_reply(replies[0]);
                if (replies.size() == 2) {
                    CHECK(replies[0].complete);
                    check_stream_reply(replies[1], true);
                }
                if (finished || !c.result) {
                    // It had finished: both answers went out whole.
                    CHECK_FALSE(c.result);
                    REQUIRE(replies.size() == 2);
                    CHECK(replies[0].raw == plain_answer);
                    check_whole_stream(replies[1]);
                    continue;
                }
                CHECK(c.result == net::error::operation_aborted);
                // Partial and total stop gracefully: every answer begun is
                // finished, the event stream with the end of its body.
                if (type != net::cancellation_type::terminal) {
                    for (auto const& r : replies)
                        CHECK(r.complete);
                }
            }
            CHECK(finished);
        }
    }
}
