//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// The stream's decisions without I/O: queueing, coalescing whole messages,
// HTTP/1.1 chunk framing, and how a stream ends.

#include <sse/stream_response.hpp>

#include <sse/detail/pump.hpp>
#include <sse/parser.hpp>

#include <boost/asio/buffer.hpp>

#include "catch.hpp"

#include <random>
#include <string>

using sse::detail::pump;
using kind = pump::write_kind;

namespace {

// Performs the write the pump decided, as the operation would, and returns
// its bytes.
std::string write(pump& p, kind k)
{
    std::string out;
    for (auto b : p.frame(k, {}))
        out.append(static_cast<char const*>(b.data()), b.size());
    p.wrote();
    return out;
}

// The payload of a chunked write: its bytes without the chunk framing.
std::string payload_of(pump& p, kind k)
{
    auto const& bufs = p.frame(k, {});
    std::string out;
    for (std::size_t i = 1; i + 1 < bufs.size(); ++i)
        out.append(static_cast<char const*>(bufs[i].data()), bufs[i].size());
    p.wrote();
    return out;
}

// The bytes of one chunk, without its size line and trailing CRLF.
std::string parse_response_body(std::string const& chunk)
{
    auto const start = chunk.find("\r\n") + 2;
    return chunk.substr(start, chunk.size() - start - 2);
}

} // namespace

TEST_CASE("pump: chunk framing and the end of the body", "[pump]")
{
    sse::stream_options options;
    pump p(options, true);
    CHECK(p.next_write(true, true) == kind::head);
    CHECK(write(p, kind::head).empty());
    p.push(sse::message{}.data("x"));
    CHECK(p.queued() == 9);
    CHECK(p.next_write(false, true) == kind::data);
    CHECK(write(p, kind::data) == "9\r\ndata: x\n\n\r\n");
    CHECK(p.queued() == 0);
    CHECK(p.next_write(false, true) == kind::none);

    p.push(sse::message{}.data(std::string(20, 'y')));
    p.source_finished();
    CHECK(p.next_write(false, false) == kind::data_and_end);
    CHECK(write(p, kind::data_and_end) == "1c\r\ndata: " + std::string(20, 'y') + "\n\n\r\n0\r\n\r\n");
    CHECK(p.done());
    CHECK(!p.result());
}

TEST_CASE("pump: an empty end, and HTTP/1.0", "[pump]")
{
    sse::stream_options options;
    SECTION("chunked")
    {
        pump p(options, true);
        p.source_finished();
        CHECK(p.next_write(false, true) == kind::none); // the source may still answer
        CHECK(p.next_write(false, false) == kind::end);
        CHECK(write(p, kind::end) == "0\r\n\r\n");
        CHECK(p.done());
    }
    SECTION("close-delimited")
    {
        pump p(options, false);
        p.push(sse::message{}.data("x"));
        p.source_finished();
        auto const k = p.next_write(false, false);
        CHECK(k == kind::data);
        CHECK(write(p, k) == "data: x\n\n");
        CHECK(p.next_write(false, false) == kind::none);
        CHECK(p.done());
    }
}

TEST_CASE("pump: a backlog drains in whole messages, in order", "[pump]")
{
    sse::stream_options options;
    options.max_write_size = 100;
    pump p(options, true);
    std::mt19937 rng(7);
    std::string expected;
    std::string sent;
    int writes = 0;
    for (int round = 0; round < 200; ++round) {
        int const n = static_cast<int>(rng() % 8);
        for (int i = 0; i < n; ++i) {
            auto const m = sse::message{}.data(std::string(rng() % 150, static_cast<char>('a' + i)));
            expected += sse::to_string(m);
            p.push(m);
        }
        if (rng() % 3 == 0)
            continue; // a write still in flight: the backlog grows
        if (auto const k = p.next_write(false, true); k != kind::none) {
            auto const chunk = payload_of(p, k);
            ++writes;
            // Whole messages only; more than one only within the limit.
            CHECK(chunk.ends_with("\n\n"));
            if (chunk.size() > options.max_write_size)
                CHECK(sse::parse_events(chunk).size() == 1);
            sent += chunk;
        }
        CHECK(p.queued() == expected.size() - sent.size());
    }
    while (p.queued() != 0)
        sent += payload_of(p, p.next_write(false, true));
    CHECK(sent == expected);
    CHECK(writes > 50);
}

TEST_CASE("pump: the queue cap and keep-alive", "[pump]")
{
    sse::stream_options options;
    options.max_queued_bytes = 30;
    pump p(options, true);
    CHECK(p.wants_next());
    p.push(sse::message{}.data(std::string(25, 'z')));
    CHECK(!p.wants_next()); // 33 bytes queued: the source waits
    write(p, p.next_write(false, true));
    CHECK(p.wants_next());

    p.keep_alive_due();
    CHECK(write(p, p.next_write(false, true)) == "2\r\n:\n\r\n");
    p.push(sse::message{}.data("q"));
    p.keep_alive_due(); // something is queued already: no comment
    CHECK(write(p, p.next_write(false, true)) == "9\r\ndata: q\n\n\r\n");
}

TEST_CASE("pump: how a stream ends", "[pump]")
{
    sse::stream_options options;
    SECTION("the first reason is the result")
    {
        pump p(options, true);
        p.finish(sse::error::unexpected_data);
        p.abort(sse::error::peer_gone);
        CHECK(p.aborted());
        CHECK(p.result() == sse::error::unexpected_data);
        CHECK(p.next_write(false, false) == kind::none);
    }
    SECTION("an abort after the end changes nothing")
    {
        pump p(options, true);
        p.source_finished();
        write(p, p.next_write(false, false));
        p.abort(sse::error::peer_gone);
        CHECK(!p.aborted());
        CHECK(!p.result());
    }
    SECTION("a finish stops asking the source")
    {
        pump p(options, true);
        p.finish(boost::asio::error::operation_aborted);
        CHECK(!p.wants_next());
        CHECK(p.finishing());
    }
}

TEST_CASE("pump: large shared messages are written from their own bytes", "[pump]")
{
    sse::stream_options options;
    pump p(options, true);
    sse::serialized const big(sse::message{}.data(std::string(2000, 'b')));
    sse::serialized const small(sse::message{}.data("s"));
    p.push(small);
    p.push(big);
    p.push(sse::message{}.data("m"));
    CHECK(big.use_count() == 2); // queued by reference
    auto const k = p.next_write(false, true);
    auto const& bufs = p.frame(k, {});
    bool referenced = false;
    std::string all;
    for (auto b : bufs) {
        referenced = referenced || b.data() == big.buffer().data();
        all.append(static_cast<char const*>(b.data()), b.size());
    }
    CHECK(referenced); // no copy of the shared bytes
    auto const expected = std::string(small.view()) + std::string(big.view()) + "data: m\n\n";
    CHECK(parse_response_body(all) == expected);
    p.wrote();
    CHECK(big.use_count() == 1); // released once written
}
