//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// libFuzzer target for sse::http2::async_serve: the peer sends a valid
// client preface and an empty SETTINGS frame, then the input's bytes, in
// pieces of any size, then closes or resets. The input layout, the
// connection and the request handlers are in session_harness.hpp (the
// protocol's units, for the cutting modes 5 to 7, are frames).
//
// Whatever the bytes: the completion handler runs exactly once, after
// every stream has ended (its on_end ran, its source is destroyed) and the
// request handler is destroyed, and every exception of the handler was
// reported (with an awaitable handler: every stream it answered in time,
// and no more); no read or write is outstanding then, none
// starts after, and none overlaps another of its kind; the io_context runs
// out of work and every coroutine producer and stream_response is
// destroyed; no timeout is reported (none can fall due).

#include <sse/http2.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "session_harness.hpp"

namespace {

namespace fz = sse::fuzz;
namespace net = boost::asio;

// The client connection preface and an empty SETTINGS frame.
constexpr std::string_view preface(
    "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    "\x00\x00\x00\x04\x00\x00\x00\x00\x00",
    33
);

// The frames the server wrote, one line each: type, flags, stream, length.
std::string frames_of(std::string_view s)
{
    std::string out;
    for (std::size_t pos = 0; pos + 9 <= s.size();) {
        auto const b = [&](std::size_t i) {
            return static_cast<std::uint32_t>(static_cast<unsigned char>(s[pos + i]));
        };
        std::uint32_t const length = (b(0) << 16) | (b(1) << 8) | b(2);
        std::uint32_t const stream = ((b(5) & 0x7f) << 24) | (b(6) << 16) | (b(7) << 8) | b(8);
        char line[80];
        std::snprintf(
            line,
            sizeof line,
            "type %u flags 0x%02x stream %u length %u\n",
            b(3),
            b(4),
            stream,
            length
        );
        out += line;
        pos += 9 + length;
    }
    return out;
}

// Where each frame ends, by the lengths in the frame headers.
std::vector<std::size_t> frame_ends(std::string_view s)
{
    std::vector<std::size_t> ends;
    std::size_t pos = 0;
    while (pos + 9 <= s.size()) {
        auto const b = [&](std::size_t i) {
            return static_cast<std::size_t>(static_cast<unsigned char>(s[pos + i]));
        };
        pos += 9 + ((b(0) << 16) | (b(1) << 8) | b(2));
        ends.push_back(pos);
    }
    return ends;
}

template <int Kind>
void start(fz::session& s)
{
    sse::http2::async_serve(
        s.stream(),
        s.buffer(),
        fz::request_handler<Kind>(s),
        s.options(),
        s.completion()
    );
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    std::string_view input(reinterpret_cast<char const*>(data), size);
    auto const cfg = fz::read_config(input);
    fz::choices rng(cfg.seed);
    auto pieces = fz::cut(input, cfg.cutting, rng, frame_ends);
    pieces.insert(pieces.begin(), preface);

    // An awaitable handler may answer a stream the peer already reset.
    fz::session s(cfg, cfg.handler != 3);
    std::size_t first = 0;
    if (cfg.prefill && s.prefill(preface))
        first = 1;
    switch (cfg.handler) {
    case 1:
        start<1>(s);
        break;
    case 2:
        start<2>(s);
        break;
    case 3:
        start<3>(s);
        break;
    default:
        start<0>(s);
        break;
    }
    s.feed(pieces, first, rng, false);
    if (std::getenv("SSE_FUZZ_TRACE"))
        s.trace(frames_of(s.connection().output()));
    s.check_end();
    return 0;
}
