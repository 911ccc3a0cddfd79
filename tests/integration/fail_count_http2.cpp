//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// What fail_count.cpp does for HTTP/1.1, for sse::http2::async_serve: the
// connection runs over Beast's in-memory test stream with a fail_count of
// N, for N = 0, 1, 2, ... until a run no injected failure reached; then
// it is cancelled after k turns of the io_context, for k = 0, 1, 2, ...
// until it finishes on its own, with each kind of cancellation.
//
// The client is an nghttp2 client session in the same process, on the
// other end of the test stream: it sends the preface, its SETTINGS and two
// requests, "GET /" (a plain answer) and "GET /events" (an event stream of
// three messages), acknowledges what it must, and once both streams have
// ended it sends a GOAWAY and closes.
//
// Whatever happens, the completion handler runs exactly once, with an
// error that says what happened; every event stream's source, and the
// request handler, are destroyed before it runs; every byte of the
// operation's memory, taken from the handler's allocator, is given back;
// the io_context runs out of work; and what the client decoded is a
// beginning of the right answers, the whole of them when nothing failed.

// Test that header file is self-contained.
#include <sse/http2.hpp>

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
#include <boost/beast/http/string_body.hpp>

#include <nghttp2/nghttp2.h>

#include "catch.hpp"
#include "fail_injection.hpp"
#include "h2_mem_client.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
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

std::string const plain_body = "hello\n";


// ------------------------------------------------------------ the client

using sse::test::h2_reply;

// The client: "GET /" (a plain answer) and "GET /events" (the event
// stream), sent with its preface.
struct h2_client : sse::test::h2_mem_client {
    std::int32_t plain_id = request("/");
    std::int32_t events_id = request("/events");

    bool both_closed() const { return plain().closed && events().closed; }
    h2_reply const& plain() const { return reply(plain_id); }
    h2_reply const& events() const { return reply(events_id); }
};

// ------------------------------------------------------------ the checks

// The header of a stream's answer, when it came: 200, with the fields of
// its kind, and none that HTTP/2 forbids.
void check_fields(h2_reply const& r, std::string_view content_type)
{
    if (!r.headers)
        return;
    CHECK(r.fields.at(":status") == "200");
    CHECK(r.fields.count("content-type") == 1);
    if (r.fields.count("content-type"))
        CHECK(r.fields.at("content-type") == content_type);
    for (char const* name : {"connection", "keep-alive", "transfer-encoding", "upgrade"})
        CHECK(r.fields.count(name) == 0);
}

// The plain answer, or a beginning of it.
void check_plain(h2_reply const& r)
{
    check_fields(r, "text/plain");
    CHECK(plain_body.starts_with(r.data));
    if (!r.headers)
        CHECK(r.data.empty());
    if (r.end_stream)
        CHECK(r.data == plain_body);
}

// The event stream, or a beginning of it: whole messages in every DATA
// frame; once it ended, the whole body when nothing stopped its source
// (`whole_if_ended`), whole messages when a graceful shutdown did.
void check_events(h2_reply const& r, bool whole_if_ended)
{
    check_fields(r, "text/event-stream");
    if (r.headers) {
        CHECK(r.fields.count("cache-control") == 1);
        CHECK(r.fields.count("content-length") == 0);
    }
    CHECK(full_payload().starts_with(r.data));
    if (!r.headers)
        CHECK(r.data.empty());
    for (std::size_t const end : r.frame_ends) {
        if (end != 0)
            CHECK(ends_a_message(end));
    }
    if (r.end_stream && whole_if_ended) {
        CHECK(r.data == full_payload());
        CHECK(sse::parse_events(r.data) == all_events);
    }
    if (r.end_stream && !r.data.empty())
        CHECK(ends_a_message(r.data.size()));
}

// Both answers, whole.
void check_whole(h2_client const& h2)
{
    CHECK(h2.error == 0);
    auto const& p = h2.plain();
    auto const& e = h2.events();
    REQUIRE(p.headers);
    REQUIRE(e.headers);
    CHECK(p.end_stream);
    CHECK(e.end_stream);
    CHECK_FALSE(p.reset);
    CHECK_FALSE(e.reset);
    CHECK(p.close_error == NGHTTP2_NO_ERROR);
    CHECK(e.close_error == NGHTTP2_NO_ERROR);
    CHECK(p.data == plain_body);
    CHECK(e.data == full_payload());
    CHECK(sse::parse_events(e.data) == all_events);
}

// ------------------------------------------------------------ a connection

// How the server gets the client preface.
enum class preface {
    in_buffer, // already read, as async_detect_preface leaves it
    read,      // async_serve reads it with the rest
};

char const* name_of(preface p)
{
    return p == preface::in_buffer ? "preface in buffer" : "preface read";
}

// One connection, with an nghttp2 client session reading the answers.
struct connection : connection_base {
    // The client's side.
    h2_client h2;
    std::array<char, 512> chunk{};
    bool goaway_sent = false;
    bool client_closed = false;

    using connection_base::connection_base;

    // Serves "/" with a plain answer and "/events" with the event stream.
    template <class Token>
    void start_serve(preface how, Token token)
    {
        std::string out = h2.output();
        REQUIRE(out.size() > 24);
        if (how == preface::in_buffer) {
            REQUIRE(std::string_view(out).substr(0, 24) == NGHTTP2_CLIENT_MAGIC);
            buffer.commit(net::buffer_copy(buffer.prepare(24), net::buffer(out.data(), 24)));
            out.erase(0, 24);
        }
        net::write(client, net::buffer(out));
        sse::http2::async_serve(
            stream,
            buffer,
            [this, token = lifetime_token(handlers)](http::request<http::string_body>&& req) -> sse::response {
                if (req.target() == "/events") {
                    ++streams_made;
                    return sse::stream_response{req, make_stream_source(sources), stream_options()};
                }
                return sse::make_response(req, http::status::ok, plain_body);
            },
            sse::server_options(),
            std::move(token)
        );
        read_client();
    }

    // The client reads what the server writes, answers what its session
    // must, and once both streams are over sends a GOAWAY and closes. It
    // stops when the server closes.
    void read_client()
    {
        client.async_read_some(net::buffer(chunk), [this](error_code ec, std::size_t n) {
            if (n != 0)
                h2.input(chunk.data(), n);
            if (ec) {
                close_client();
                return;
            }
            if (!goaway_sent && h2.both_closed()) {
                goaway_sent = true;
                h2.goaway();
            }
            flush_client();
            if (goaway_sent) {
                close_client();
                return;
            }
            read_client();
        });
    }

    void flush_client()
    {
        auto const out = h2.output();
        if (out.empty() || client_closed)
            return;
        error_code ec;
        net::write(client, net::buffer(out), ec); // fails once the server closed: nothing to do
    }

    void close_client()
    {
        if (!client_closed) {
            client_closed = true;
            client.close();
        }
    }
};

} // namespace

// ------------------------------------------------------------ failures

TEST_CASE("fail_count: sse::http2::async_serve completes once, whichever read or write fails", "[fail_count][http2]")
{
    for (preface const how : {preface::in_buffer, preface::read}) {
        for (std::size_t const io_size : {std::size_t(0), std::size_t(7)}) {
            bool finished = false;
            for (std::size_t n = 0; n < max_steps && !finished; ++n) {
                CAPTURE(name_of(how), io_size, n);
                watchdog dog(label(name_of(how), n, io_size));
                beast::test::fail_count fc(n);
                connection c(&fc, io_size);
                c.start_serve(how, c.completion());
                c.check_ended_cleanly();

                CHECK(c.h2.error == 0);
                check_plain(c.h2.plain());
                check_events(c.h2.events(), true);
                if (!c.failure_reached(n)) {
                    // Both answered; the session ends with no error when
                    // the client leaves.
                    CHECK_FALSE(c.result);
                    check_whole(c.h2);
                    finished = true;
                } else {
                    // A read or a write failed: the error is the transport's.
                    CHECK(c.result == beast::test::error::test_failure);
                }
            }
            CHECK(finished);
        }
    }
}

// ------------------------------------------------------------ cancellation

TEST_CASE("fail_count: sse::http2::async_serve cancelled after any number of turns", "[fail_count][http2]")
{
    for (auto const type :
         {net::cancellation_type::terminal, net::cancellation_type::partial, net::cancellation_type::total}) {
        for (preface const how : {preface::in_buffer, preface::read}) {
            bool finished = false;
            for (std::size_t k = 0; k < max_steps && !finished; ++k) {
                CAPTURE(name_of(type), name_of(how), k);
                watchdog dog(label(name_of(type), k, 0) + ", " + name_of(how));
                net::cancellation_signal signal;
                connection c(nullptr, 0);
                c.start_serve(how, net::bind_cancellation_slot(signal.slot(), c.completion()));
                finished = c.run_turns(k);
                if (!finished)
                    signal.emit(type);
                c.check_ended_cleanly();

                CHECK(c.h2.error == 0);
                check_plain(c.h2.plain());
                check_events(c.h2.events(), false);
                if (finished || !c.result) {
                    // It had finished: both answers went out whole.
                    CHECK_FALSE(c.result);
                    check_whole(c.h2);
                    continue;
                }
                CHECK(c.result == net::error::operation_aborted);
                // Partial and total stop gracefully: every answer begun is
                // finished with END_STREAM, none is reset.
                if (type != net::cancellation_type::terminal) {
                    for (auto const* r : {&c.h2.plain(), &c.h2.events()}) {
                        if (r->headers) {
                            CHECK(r->end_stream);
                            CHECK_FALSE(r->reset);
                        }
                    }
                }
            }
            CHECK(finished);
        }
    }
}
