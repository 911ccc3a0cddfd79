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

// Shared with the other failure-injection test.
using sse::test::fail_injection::cancellable_stream;
using sse::test::fail_injection::counted_source;
using sse::test::fail_injection::counting_allocator;
using sse::test::fail_injection::heap_usage;
using sse::test::fail_injection::lifetime_token;
using sse::test::fail_injection::lifetimes;
using sse::test::fail_injection::max_steps;
using sse::test::fail_injection::watchdog;

// ------------------------------------------------------------ the answers

std::string const plain_body = "hello\n";

std::chrono::milliseconds const reconnect_time{2500};

std::vector<sse::message> messages()
{
    return {
        sse::message{}.id(1).data("one"),
        sse::message{}.id(2).event("tick").data("two\nlines"),
        sse::message{}.id(3).data("three"),
    };
}

std::vector<sse::event> const all_events = {
    {"message", "one", "1"},
    {"tick", "two\nlines", "2"},
    {"message", "three", "3"},
};

// With a retry, the first write carries a payload along with the head.
sse::stream_options stream_options()
{
    sse::stream_options o;
    o.retry = reconnect_time;
    return o;
}

// The whole body of the event stream.
std::string const& full_payload()
{
    static std::string const payload = [] {
        std::string s = sse::to_string(sse::message{}.retry(reconnect_time));
        for (auto const& m : messages())
            s += sse::to_string(m);
        return s;
    }();
    return payload;
}

// Whether the first `size` bytes of the body are whole messages.
bool ends_a_message(std::size_t size)
{
    std::size_t end = sse::to_string(sse::message{}.retry(reconnect_time)).size();
    if (size == end)
        return true;
    for (auto const& m : messages()) {
        end += sse::to_string(m).size();
        if (size == end)
            return true;
    }
    return false;
}

auto make_stream_source(lifetimes& sources)
{
    return counted_source{sse::as_source(messages()), sources};
}

// ------------------------------------------------------------ the client

// One HTTP/2 stream as the client saw it.
struct h2_reply {
    std::map<std::string, std::string> fields; // the response header, pseudo-fields included
    std::string data;                          // the DATA payload, as far as it came
    std::vector<std::size_t> frame_ends;       // the size of `data` after each DATA frame
    bool headers = false;                      // the response HEADERS arrived
    bool end_stream = false;                   // END_STREAM arrived
    bool reset = false;                        // the server reset the stream
    bool closed = false;                       // the stream is over, one way or another
    std::uint32_t close_error = 0;             // why, as nghttp2 says
};

// An HTTP/2 client without I/O: nghttp2's client session. Its bytes go
// out through output(), the server's come in through input().
class h2_client {
public:
    h2_client()
    {
        nghttp2_session_callbacks* cb = nullptr;
        if (nghttp2_session_callbacks_new(&cb) != 0)
            throw std::bad_alloc();
        nghttp2_session_callbacks_set_on_header_callback(cb, &h2_client::on_header);
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, &h2_client::on_data);
        nghttp2_session_callbacks_set_on_frame_recv_callback(cb, &h2_client::on_frame);
        nghttp2_session_callbacks_set_on_stream_close_callback(cb, &h2_client::on_close);
        int const rv = nghttp2_session_client_new(&session_, cb, this);
        nghttp2_session_callbacks_del(cb);
        if (rv != 0)
            throw std::runtime_error("nghttp2_session_client_new");

        nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, nullptr, 0);
        plain_id = request("/");
        events_id = request("/events");
    }

    h2_client(h2_client const&) = delete;
    h2_client& operator=(h2_client const&) = delete;

    ~h2_client() { nghttp2_session_del(session_); }

    // What the session has to send: the first call gives the preface, the
    // SETTINGS and both requests; later ones the acknowledgements, window
    // updates and the GOAWAY.
    std::string output()
    {
        std::string out;
        for (;;) {
            std::uint8_t const* data = nullptr;
            auto const n = nghttp2_session_mem_send(session_, &data);
            if (n < 0) {
                error = static_cast<int>(n);
                break;
            }
            if (n == 0)
                break;
            out.append(reinterpret_cast<char const*>(data), static_cast<std::size_t>(n));
        }
        return out;
    }

    // Bytes the server wrote.
    void input(char const* data, std::size_t size)
    {
        auto const n = nghttp2_session_mem_recv(session_, reinterpret_cast<std::uint8_t const*>(data), size);
        if (n < 0 && error == 0)
            error = static_cast<int>(n);
    }

    // The client is leaving.
    void goaway() { nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR); }

    bool both_closed() const { return plain().closed && events().closed; }

    h2_reply const& plain() const { return replies_[plain_id]; }
    h2_reply const& events() const { return replies_[events_id]; }

    std::int32_t plain_id = 0;
    std::int32_t events_id = 0;
    bool goaway_received = false;
    int error = 0; // an nghttp2 error: the server broke the protocol

private:
    std::int32_t request(char const* path)
    {
        auto const nv = [](char const* name, char const* value) {
            return nghttp2_nv{
                reinterpret_cast<std::uint8_t*>(const_cast<char*>(name)),
                reinterpret_cast<std::uint8_t*>(const_cast<char*>(value)),
                std::strlen(name),
                std::strlen(value),
                NGHTTP2_NV_FLAG_NONE};
        };
        nghttp2_nv const nva[] = {
            nv(":method", "GET"), nv(":scheme", "http"), nv(":authority", "localhost"), nv(":path", path)};
        std::int32_t const id = nghttp2_submit_request(session_, nullptr, nva, std::size(nva), nullptr, nullptr);
        if (id < 0)
            throw std::runtime_error("nghttp2_submit_request");
        return id;
    }

    static h2_client& self(void* p) { return *static_cast<h2_client*>(p); }

    static int on_header(
        nghttp2_session*,
        nghttp2_frame const* frame,
        std::uint8_t const* name,
        std::size_t name_len,
        std::uint8_t const* value,
        std::size_t value_len,
        std::uint8_t,
        void* user
    )
    {
        auto& r = self(user).replies_[frame->hd.stream_id];
        r.fields[std::string(reinterpret_cast<char const*>(name), name_len)] =
            std::string(reinterpret_cast<char const*>(value), value_len);
        return 0;
    }

    static int on_data(nghttp2_session*, std::uint8_t, std::int32_t id, std::uint8_t const* data, std::size_t len, void* user)
    {
        self(user).replies_[id].data.append(reinterpret_cast<char const*>(data), len);
        return 0;
    }

    static int on_frame(nghttp2_session*, nghttp2_frame const* frame, void* user)
    {
        auto& c = self(user);
        switch (frame->hd.type) {
        case NGHTTP2_HEADERS: {
            auto& r = c.replies_[frame->hd.stream_id];
            r.headers = true;
            if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)
                r.end_stream = true;
            break;
        }
        case NGHTTP2_DATA: {
            auto& r = c.replies_[frame->hd.stream_id];
            r.frame_ends.push_back(r.data.size());
            if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)
                r.end_stream = true;
            break;
        }
        case NGHTTP2_RST_STREAM: c.replies_[frame->hd.stream_id].reset = true; break;
        case NGHTTP2_GOAWAY: c.goaway_received = true; break;
        default: break;
        }
        return 0;
    }

    static int on_close(nghttp2_session*, std::int32_t id, std::uint32_t error_code, void* user)
    {
        auto& r = self(user).replies_[id];
        r.closed = true;
        r.close_error = error_code;
        return 0;
    }

    nghttp2_session* session_ = nullptr;
    mutable std::map<std::int32_t, h2_reply> replies_;
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

// One connection: the server's end of a test stream pair (failing as a
// fail_count says, when given one), the client's end, and what a test
// observes of the operation.
struct connection {
    net::io_context ioc;
    beast::test::stream server;
    beast::test::stream client;
    cancellable_stream stream{server};
    beast::flat_buffer buffer;

    lifetimes sources;
    lifetimes handlers;
    heap_usage heap;
    int completions = 0;
    error_code result;
    bool source_alive_at_completion = false;
    bool handler_alive_at_completion = false;
    int streams_made = 0;

    // The client's side.
    h2_client h2;
    std::array<char, 512> chunk{};
    bool goaway_sent = false;
    bool client_closed = false;

    // io_size, when not zero, caps every read and write of the server's
    // end: the client's bytes arrive in pieces, and a write is cut in
    // pieces.
    connection(beast::test::fail_count* fc, std::size_t io_size)
        : server(fc ? beast::test::stream(ioc, *fc) : beast::test::stream(ioc))
        , client(ioc)
    {
        server.connect(client);
        if (io_size != 0) {
            server.read_size(io_size);
            server.write_size(io_size);
        }
    }

    // A plain callback on the io_context, with a counting allocator. It
    // closes the connection, as a caller does when the operation is over.
    auto completion()
    {
        return net::bind_executor(
            ioc,
            net::bind_allocator(counting_allocator<char>(heap), [this](error_code ec) {
                ++completions;
                result = ec;
                source_alive_at_completion = sources.live != 0;
                handler_alive_at_completion = handlers.live != 0;
                server.close();
            })
        );
    }

    // Whether the fail_count's failure was reached: the N-th call fails
    // (the first when N is 0), and every call after it.
    bool failure_reached(std::size_t n) const
    {
        return server.nread() + server.nwrite() >= std::max<std::size_t>(n, 1);
    }

    // Runs up to k handlers; returns whether the operation completed meanwhile.
    bool run_turns(std::size_t k)
    {
        for (std::size_t i = 0; i < k && completions == 0; ++i) {
            if (ioc.run_one() == 0)
                break;
        }
        return completions != 0;
    }

    // The operation completed once, having given back what it held.
    void check_ended_cleanly()
    {
        ioc.run(); // returns: the operation holds no work
        REQUIRE(completions == 1);
        CHECK_FALSE(source_alive_at_completion);
        CHECK(sources.live == 0);
        CHECK(handlers.live == 0);
        CHECK(heap.allocations != 0); // the operation allocated from the handler's allocator
        CHECK(heap.live == 0);
    }

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

std::string label(char const* what, std::size_t step, std::size_t io_size)
{
    return std::string(what) + ", step " + std::to_string(step) + ", io_size " + std::to_string(io_size);
}

char const* name_of(net::cancellation_type type)
{
    switch (type) {
    case net::cancellation_type::terminal: return "terminal";
    case net::cancellation_type::partial: return "partial";
    case net::cancellation_type::total: return "total";
    default: return "?";
    }
}

} // namespace

// ------------------------------------------------------------ failures

TEST_CASE("fail_count: sse::http2::async_serve completes once, whichever read or write fails", "[fail_count][http2]")
{
    for (preface const how : {preface::in_buffer, preface::read}) {
        for (std::size_t const io_size : {std::size_t(0), std::size_t(7)}) {
            bool finished = false;
            bool handler_outlived = false;
            for (std::size_t n = 0; n < max_steps && !finished; ++n) {
                CAPTURE(name_of(how), io_size, n);
                watchdog dog(label(name_of(how), n, io_size));
                beast::test::fail_count fc(n);
                connection c(&fc, io_size);
                c.start_serve(how, c.completion());
                c.check_ended_cleanly();
                handler_outlived = handler_outlived || c.handler_alive_at_completion;

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
            // The request handler is destroyed before the completion
            // handler runs, as http1::async_serve promises: a caller may
            // free what the handler refers to once the operation is over.
            // Known failure: http2's serve_op keeps its handler_ until its
            // last reference goes, after the completion handler returned,
            // so a completion handler that frees what the request handler
            // refers to makes its destructor use freed memory.
            CHECK_FALSE(handler_outlived);
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
            bool handler_outlived = false;
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
                handler_outlived = handler_outlived || c.handler_alive_at_completion;

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
            CHECK_FALSE(handler_outlived); // as above
        }
    }
}
