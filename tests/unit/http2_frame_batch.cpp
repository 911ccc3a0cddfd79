//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// How the HTTP/2 session frames a body: DATA frames as large as the peer
// allows (up to session::max_data_frame), their payloads written from the
// body's own bytes, a batch per write that tells the body when its bytes
// are written, and our receive windows. By scripts of client frames, no
// sockets.
//
// Built twice: as it is, and with the nghttp2 features the build detected
// hidden (SSE_TEST_WITHOUT_NGHTTP2_FEATURES), where payloads are copied
// into nghttp2's frames, frames stay at 16 KiB and the connection window
// is raised by a WINDOW_UPDATE of our own.

#ifdef SSE_TEST_WITHOUT_NGHTTP2_FEATURES
#undef SSE_NGHTTP2_HAS_SEND_DATA_CALLBACK
#undef SSE_NGHTTP2_HAS_READ_LENGTH_CALLBACK
#undef SSE_NGHTTP2_HAS_SET_LOCAL_WINDOW_SIZE
#endif

// Test that header file is self-contained.
#include <sse/http2/detail/frame_batch.hpp>

#include <sse/http2/detail/session.hpp>

#include "catch.hpp"
#include "h2_frames.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

using sse::http2::detail::batch_holder;
using sse::http2::detail::body_base;
using sse::http2::detail::frame_batch;
using sse::http2::detail::session;

namespace {

using time_point = session::clock::time_point;
time_point const t0{std::chrono::hours(1)};

constexpr std::uint8_t DATA = 0x0, HEADERS = 0x1, SETTINGS = 0x4, WINDOW_UPDATE = 0x8;
constexpr std::uint8_t END_STREAM = 0x1, END_HEADERS = 0x4;
constexpr std::uint16_t INITIAL_WINDOW_SIZE = 0x4, MAX_FRAME_SIZE = 0x5;

using sse::test::frame;
using sse::test::u32;

std::string setting(std::uint16_t id, std::uint32_t value)
{
    return std::string{static_cast<char>(id >> 8), static_cast<char>(id & 0xff)} + u32(value);
}

std::string preface(std::string const& settings = {})
{
    return std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + frame(SETTINGS, 0, 0, settings);
}

// GET / with :authority x, in HPACK's static table and one literal.
std::string get(std::uint32_t id)
{
    return frame(HEADERS, END_HEADERS | END_STREAM, id, "\x82\x86\x84\x41\x01x");
}

struct received {
    std::uint8_t type;
    std::uint8_t flags;
    std::uint32_t id;
    std::string payload;

    std::uint32_t value(std::size_t at) const
    {
        std::uint32_t v = 0;
        for (std::size_t i = at; i < at + 4; ++i)
            v = v << 8 | static_cast<unsigned char>(payload[i]);
        return v;
    }
};

std::vector<received> parse(std::string const& bytes)
{
    std::vector<received> frames;
    std::size_t i = 0;
    while (i + 9 <= bytes.size()) {
        auto const b = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + k])); };
        std::size_t const length = b(0) << 16 | b(1) << 8 | b(2);
        REQUIRE(i + 9 + length <= bytes.size());
        frames.push_back({static_cast<std::uint8_t>(b(3)), static_cast<std::uint8_t>(b(4)),
                          (b(5) << 24 | b(6) << 16 | b(7) << 8 | b(8)) & 0x7fffffff, bytes.substr(i + 9, length)});
        i += 9 + length;
    }
    CHECK(i == bytes.size());
    return frames;
}

// A body over a string: one write, then END_STREAM. It counts the
// batches that held it and checks that its bytes are never given back
// while one does.
class string_body final : public body_base {
public:
    explicit string_body(std::string text) : text_(std::move(text)) {}

    ssize_t read(std::size_t len, std::uint32_t* flags) override
    {
        std::size_t const n = std::min(len, text_.size() - framed_);
        if (framed_ + n == text_.size())
            *flags |= NGHTTP2_DATA_FLAG_EOF;
        return static_cast<ssize_t>(n);
    }

    void take(std::size_t len, frame_batch& out) override
    {
        out.append_ref(text_.data() + framed_, len);
        framed_ += len;
        if (!held) {
            held = true;
            ++holds;
            out.hold(*this);
        }
    }

    void sent(sse::error_code ec) override
    {
        CHECK(held);
        held = false;
        ++sends;
        last_error = ec;
    }

    void closed(std::uint32_t h2_error, bool) override
    {
        closed_with = h2_error;
        is_closed = true;
    }

    std::string text_;
    std::size_t framed_ = 0;
    bool held = false;
    int holds = 0;
    int sends = 0;
    sse::error_code last_error;
    std::uint32_t closed_with = 0;
    bool is_closed = false;
};

struct script {
    sse::server_options options;
    session s{options, t0};

    void send(std::string const& bytes)
    {
        REQUIRE(s.receive(reinterpret_cast<std::uint8_t const*>(bytes.data()), bytes.size(), t0));
    }

    // One batch, as the connection writes it: its buffers, in order.
    std::string batch(std::size_t limit = 1 << 20)
    {
        REQUIRE(s.produce(limit, t0));
        std::string bytes;
        for (auto const b : s.output().buffers())
            bytes.append(static_cast<char const*>(b.data()), b.size());
        CHECK(bytes.size() == s.output().size());
        return bytes;
    }

    void answer(std::int32_t id, body_base* body)
    {
        auto* r = s.find(id);
        REQUIRE(r);
        static char const status[] = ":status";
        static char const ok[] = "200";
        std::vector<nghttp2_nv> const nva{
            {(std::uint8_t*)status, (std::uint8_t*)ok, 7, 3, NGHTTP2_NV_FLAG_NONE},
        };
        s.submit(*r, 200, nva, body);
    }
};

std::string pattern(std::size_t n)
{
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i)
        s[i] = static_cast<char>('a' + i % 26);
    return s;
}

} // namespace

TEST_CASE("frame_batch: copies and references, in order", "[http2][frame_batch]")
{
    struct holder final : batch_holder {
        int calls = 0;
        sse::error_code ec;
        void sent(sse::error_code e) override
        {
            ++calls;
            ec = e;
        }
    };

    frame_batch b;
    std::string const large(frame_batch::copy_threshold, 'L');
    std::string const small(frame_batch::copy_threshold - 1, 's');
    b.append_copy("head", 4);
    b.append_ref(small.data(), small.size()); // copied: it joins the copied run
    b.append_ref(large.data(), large.size()); // referenced
    b.append_zeros(3);
    b.append_copy("tail", 4);
    holder h;
    b.hold(h);

    auto const buffers = b.buffers();
    REQUIRE(buffers.size() == 3);
    CHECK(buffers[1].data() == large.data());
    std::string all;
    for (auto const x : buffers)
        all.append(static_cast<char const*>(x.data()), x.size());
    CHECK(all == "head" + small + large + std::string(3, '\0') + "tail");
    CHECK(b.size() == all.size());

    // Partial writes: what is left, as the connection's next write_some sees it.
    std::size_t const cuts[] = {0, 1, 4, small.size() + 4, small.size() + 5, all.size() - 1};
    for (std::size_t const first : cuts) {
        b.buffers();
        b.consume(first);
        std::string rest;
        for (auto const x : b.unwritten())
            rest.append(static_cast<char const*>(x.data()), x.size());
        CHECK(rest == all.substr(first));
        b.consume(rest.size());
        CHECK(b.unwritten().empty());
    }

    b.sent(boost::asio::error::broken_pipe);
    CHECK(h.calls == 1);
    CHECK(h.ec == boost::asio::error::broken_pipe);
    CHECK(b.empty());
    CHECK(b.buffers().empty());
    b.sent({});
    CHECK(h.calls == 1); // once per hold
}

TEST_CASE("http2 session: our receive windows", "[http2][frame_batch]")
{
    script c;
    c.send(preface());
    auto const frames = parse(c.batch());
    REQUIRE(frames.size() >= 2);
    REQUIRE(frames[0].type == SETTINGS);
    bool initial_window = false;
    for (std::size_t at = 0; at + 6 <= frames[0].payload.size(); at += 6) {
        auto const id = static_cast<std::uint16_t>(
            static_cast<unsigned char>(frames[0].payload[at]) << 8 | static_cast<unsigned char>(frames[0].payload[at + 1])
        );
        if (id == INITIAL_WINDOW_SIZE) {
            initial_window = true;
            CHECK(frames[0].value(at + 2) == session::stream_window(c.options));
        }
    }
    CHECK(initial_window);
    CHECK(session::stream_window(c.options) == 1024 * 1024); // a whole request body of the default limit
    bool connection_update = false;
    for (auto const& f : frames)
        if (f.type == WINDOW_UPDATE && f.id == 0) {
            connection_update = true;
            CHECK(f.value(0) == session::connection_window(c.options) - 65535);
        }
    CHECK(connection_update);
}

TEST_CASE("http2 session: DATA frames as large as the peer allows", "[http2][frame_batch]")
{
    std::string const text = pattern(300 * 1024);
#ifdef SSE_NGHTTP2_HAS_READ_LENGTH_CALLBACK
    bool const large_frames = true;
#else
    bool const large_frames = false;
#endif

    struct run_result {
        std::string data;
        std::size_t largest = 0;
        std::size_t frames = 0;
        bool end_stream = false;
    };
    // Batches of at most about `limit` bytes until the body is out, each
    // checked as the connection would write it.
    auto const run = [&](script& c, string_body& body, std::size_t limit) {
        run_result r;
        for (int i = 0; i < 100 && !r.end_stream; ++i) {
            int const sends = body.sends;
            auto const bytes = c.batch(limit);
            if (bytes.empty())
                break;
            if (body.held) {
#ifdef SSE_NGHTTP2_HAS_SEND_DATA_CALLBACK
                // The payload is the body's own bytes.
                bool referenced = false;
                for (auto const b : c.s.output().buffers())
                    if (static_cast<char const*>(b.data()) >= body.text_.data() &&
                        static_cast<char const*>(b.data()) < body.text_.data() + body.text_.size())
                        referenced = true;
                CHECK(referenced);
#endif
            }
            c.s.sent({});
            CHECK_FALSE(body.held);
            CHECK(body.sends - sends <= 1);
            for (auto const& f : parse(bytes)) {
                if (f.type != DATA || f.id != 1)
                    continue;
                r.data += f.payload;
                r.largest = std::max(r.largest, f.payload.size());
                ++r.frames;
                if (f.flags & END_STREAM)
                    r.end_stream = true;
            }
        }
        return r;
    };

    SECTION("a peer that takes 1 MiB frames and has the windows: 64 KiB frames")
    {
        script c;
        c.send(
            preface(setting(MAX_FRAME_SIZE, 1 << 20) + setting(INITIAL_WINDOW_SIZE, 1 << 30)) +
            frame(WINDOW_UPDATE, 0, 0, u32((1u << 30) - 65535)) + get(1)
        );
        string_body body(text);
        c.answer(1, &body);
        auto const r = run(c, body, 1 << 20);
        CHECK(r.end_stream);
        CHECK(r.data == text);
        CHECK(r.largest == (large_frames ? session::max_data_frame : 16384));
        CHECK(body.holds == body.sends);
        CHECK(body.is_closed);
        CHECK(body.closed_with == 0);
    }
    SECTION("a peer that takes 32 KiB frames: 32 KiB frames")
    {
        script c;
        c.send(
            preface(setting(MAX_FRAME_SIZE, 32 * 1024) + setting(INITIAL_WINDOW_SIZE, 1 << 30)) +
            frame(WINDOW_UPDATE, 0, 0, u32((1u << 30) - 65535)) + get(1)
        );
        string_body body(text);
        c.answer(1, &body);
        auto const r = run(c, body, 1 << 20);
        CHECK(r.data == text);
        CHECK(r.largest == (large_frames ? 32 * 1024 : 16384));
    }
    SECTION("a peer with the defaults: 16 KiB frames, 64 KiB of window")
    {
        script c;
        c.send(preface() + get(1));
        string_body body(text);
        c.answer(1, &body);
        auto r = run(c, body, 1 << 20);
        CHECK_FALSE(r.end_stream);
        CHECK(r.data.size() == 65535);
        CHECK(r.largest == 16384);
        // The window opens: the rest follows.
        c.send(frame(WINDOW_UPDATE, 0, 0, u32(1 << 20)) + frame(WINDOW_UPDATE, 0, 1, u32(1 << 20)));
        auto const rest = run(c, body, 1 << 20);
        CHECK(rest.end_stream);
        CHECK(r.data + rest.data == text);
    }
    SECTION("a batch stops near its limit; the next one goes on")
    {
        script c;
        c.send(
            preface(setting(MAX_FRAME_SIZE, 16384) + setting(INITIAL_WINDOW_SIZE, 1 << 30)) +
            frame(WINDOW_UPDATE, 0, 0, u32((1u << 30) - 65535)) + get(1)
        );
        c.batch();
        c.s.sent({});
        string_body body(text);
        c.answer(1, &body);
        REQUIRE(c.s.produce(40000, t0));
        // Whole frames, and no more once past the limit.
        CHECK(c.s.output().size() >= 40000);
        CHECK(c.s.output().size() < 40000 + 16384 + 9 + 200);
        CHECK(body.held);
        c.s.sent({});
        CHECK(body.sends == 1);
        auto const r = run(c, body, 40000);
        CHECK(r.end_stream);
        CHECK(body.holds == body.sends);
        CHECK(body.holds > 2);
    }
}

TEST_CASE("http2 session: a plain answer's bytes outlive its stream until written", "[http2][frame_batch]")
{
    // The stream closes (our END_STREAM is in the batch) while the batch
    // still holds the body's bytes: the body goes once the batch is
    // written. Sanitizers see a use after free if it went earlier.
    std::string const text = pattern(100000);
    script c;
    c.send(
        preface(setting(MAX_FRAME_SIZE, 1 << 20) + setting(INITIAL_WINDOW_SIZE, 1 << 20)) +
        frame(WINDOW_UPDATE, 0, 0, u32(1 << 20)) + get(1)
    );
    c.batch();
    c.s.sent({});
    c.answer(1, new sse::http2::detail::fixed_body(text));
    REQUIRE(c.s.produce(1 << 20, t0));
    CHECK(c.s.find(1) == nullptr); // closed: our END_STREAM ended it
    std::string bytes;
    for (auto const b : c.s.output().buffers())
        bytes.append(static_cast<char const*>(b.data()), b.size());
    c.s.sent({});
    std::string data;
    for (auto const& f : parse(bytes))
        if (f.type == DATA)
            data += f.payload;
    CHECK(data == text);
}

TEST_CASE("http2 session: a batch never written is given back", "[http2][frame_batch]")
{
    string_body body(pattern(100000));
    {
        script c;
        c.send(preface(setting(INITIAL_WINDOW_SIZE, 1 << 20)) + frame(WINDOW_UPDATE, 0, 0, u32(1 << 20)) + get(1));
        c.answer(1, &body);
        REQUIRE(c.s.produce(1 << 20, t0));
        CHECK(body.held);
    } // the session ends with the batch pending
    CHECK_FALSE(body.held);
    CHECK(body.sends == 1);
    CHECK(body.last_error == boost::asio::error::operation_aborted);
    CHECK(body.is_closed);
}
