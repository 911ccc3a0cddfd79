//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// sse::http2::async_serve writing event streams from their own bytes: an
// nghttp2 client in the same process, over Beast's test::stream, with the
// frame size and windows of each case. Every byte arrives in order; DATA
// frames are as large as the client allows (up to session::max_data_frame);
// an upload fits our windows without waiting for a WINDOW_UPDATE; a client
// that resets a stream while a write of its bytes is under way ends it
// cleanly. With the server's writes cut into small pieces, the bytes a
// write references stay in flight across many turns: sanitizer builds see
// any that go too early.

// Test that header file is self-contained.
#include <sse/http2.hpp>

#include <sse/parser.hpp>
#include <sse/response.hpp>
#include <sse/serialized.hpp>
#include <sse/sources/range.hpp>
#include <sse/stream_response.hpp>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/string_body.hpp>

#include <nghttp2/nghttp2.h>

#include "catch.hpp"
#include "h2_mem_client.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using sse::error_code;
using sse::http2::detail::session;

// Event i of the test streams: large ones are written from their own
// block, small ones copied into the stream's staging buffer.
sse::serialized event(std::size_t i)
{
    std::size_t const size = i % 3 == 0 ? 40 : 3000 + i % 7 * 1000;
    std::string data(size, static_cast<char>('a' + i % 26));
    return sse::serialized(sse::message{}.id(std::to_string(i)).data(data));
}

std::vector<sse::serialized> events(std::size_t n)
{
    std::vector<sse::serialized> v;
    for (std::size_t i = 0; i < n; ++i)
        v.push_back(event(i));
    return v;
}

std::string wire(std::vector<sse::serialized> const& v)
{
    std::string s;
    for (auto const& e : v)
        s += e.view();
    return s;
}

// Events 0, 1, 2, ... without end, each posted at once. A copy of `probe`
// lives as long as the source.
struct endless_source {
    using value_type = sse::serialized;

    std::shared_ptr<int> probe;
    std::size_t next = 0;

    template <net::completion_token_for<void(error_code, std::optional<sse::serialized>)> Token>
    auto async_next(Token&& token)
    {
        return net::async_initiate<Token, void(error_code, std::optional<sse::serialized>)>(
            [this](auto handler) {
                auto const ex = net::get_associated_executor(handler);
                net::post(ex, [h = std::move(handler), item = event(next++)]() mutable {
                    std::move(h)(error_code(), std::optional<sse::serialized>(std::move(item)));
                });
            },
            token
        );
    }
};

// What the client asks for: its settings, one request, and when it resets it.
struct client_config {
    sse::test::h2_client_settings settings;
    std::string path = "/events";
    std::size_t upload = 0;      // a POST body of this many bytes
    std::size_t reset_after = 0; // RST_STREAM(CANCEL) once this many bytes came (0: never)
};

// One connection: the server's end of a test stream pair (its writes cut
// into pieces of `write_size` bytes when not 0), the client at the other.
struct connection {
    net::io_context ioc;
    beast::test::stream server{ioc};
    beast::test::stream client{ioc};
    beast::flat_buffer buffer;
    sse::test::h2_mem_client h2;
    std::int32_t id;
    std::array<char, 4096> chunk{};
    std::shared_ptr<int> source_probe = std::make_shared<int>(0); // copied into each source
    std::vector<sse::serialized> stream_events;
    int completions = 0;
    error_code result;
    bool goaway_sent = false;
    bool client_closed = false;

    connection(client_config cfg, std::size_t write_size, std::vector<sse::serialized> evs)
        : h2(cfg.settings)
        , id(h2.request(cfg.path, cfg.upload))
        , stream_events(std::move(evs))
    {
        if (cfg.reset_after != 0)
            h2.reset_after(id, cfg.reset_after);
        server.connect(client);
        if (write_size != 0)
            server.write_size(write_size);
    }

    // What the client received of its stream.
    sse::test::h2_reply const& r() const { return h2.reply(id); }

    void run()
    {
        net::write(client, net::buffer(h2.output()));
        sse::http2::async_serve(
            server,
            buffer,
            [this](http::request<http::string_body>&& req) -> sse::response {
                if (req.target() == "/endless")
                    return sse::stream_response{req, endless_source{source_probe}};
                if (req.target() == "/upload")
                    return sse::make_response(req, http::status::ok, std::to_string(req.body().size()));
                return sse::stream_response{req, std::vector<sse::serialized>(stream_events)};
            },
            [this](error_code ec) {
                ++completions;
                result = ec;
                server.close();
            }
        );
        read_client();
        ioc.run();
    }

    void read_client()
    {
        client.async_read_some(net::buffer(chunk), [this](error_code ec, std::size_t n) {
            if (n != 0)
                h2.input(chunk.data(), n);
            if (ec) {
                close_client();
                return;
            }
            if (!goaway_sent && r().closed) {
                goaway_sent = true;
                h2.goaway();
            }
            auto const out = h2.output();
            if (!out.empty() && !client_closed) {
                error_code wec;
                net::write(client, net::buffer(out), wec);
            }
            if (goaway_sent) {
                close_client();
                return;
            }
            read_client();
        });
    }

    void close_client()
    {
        if (!client_closed) {
            client_closed = true;
            client.close();
        }
    }
};

std::size_t largest(std::vector<std::size_t> const& v)
{
    return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}

} // namespace

TEST_CASE("http2 frames: every byte in order, in frames the client allows", "[http2][frames]")
{
    auto const evs = events(300);
    std::string const expected = wire(evs);
    REQUIRE(expected.size() > 500 * 1024);
#ifdef SSE_NGHTTP2_HAS_READ_LENGTH_CALLBACK
    std::size_t const large = session::max_data_frame;
#else
    std::size_t const large = 16384;
#endif

    for (std::size_t write_size : {std::size_t{0}, std::size_t{1000}}) {
        DYNAMIC_SECTION("server writes cut at " << write_size)
        {
            SECTION("a client that takes 1 MiB frames, with large windows")
            {
                connection c({{1 << 20, 1 << 30, 1 << 30}}, write_size, evs);
                c.run();
                CHECK(c.completions == 1);
                CHECK(c.h2.error == 0);
                CHECK(c.r().status() == "200");
                CHECK(c.r().end_stream);
                CHECK(c.r().close_error == NGHTTP2_NO_ERROR);
                CHECK(c.r().data.size() == expected.size());
                CHECK((c.r().data == expected));
                // A frame carries at most one write (whole messages, up to
                // stream_options::max_write_size, 64 KiB).
                CHECK(largest(c.r().frames) > (large > 16384 ? 16384 : large - 1));
                CHECK(largest(c.r().frames) <= large);
                CHECK(c.source_probe.use_count() == 1);
            }
            SECTION("a client with the protocol's defaults")
            {
                connection c({}, write_size, evs);
                c.run();
                CHECK(c.completions == 1);
                CHECK(c.h2.error == 0);
                CHECK(c.r().data.size() == expected.size());
                CHECK((c.r().data == expected));
                CHECK(largest(c.r().frames) == 16384);
            }
            SECTION("a client with a 4 KiB stream window (increments above the dribbling limit)")
            {
                connection c({{0, 4096, 0}}, write_size, evs);
                c.run();
                CHECK(c.completions == 1);
                CHECK(c.h2.error == 0);
                CHECK(c.r().data.size() == expected.size());
                CHECK((c.r().data == expected));
                CHECK(largest(c.r().frames) <= 4096);
            }
            SECTION("a client that resets an endless stream mid-write")
            {
                client_config cfg{{1 << 20, 1 << 30, 1 << 30}};
                cfg.reset_after = 300 * 1024;
                cfg.path = "/endless";
                connection c(cfg, write_size, {});
                c.run();
                CHECK(c.completions == 1);
                CHECK(c.h2.error == 0);
                CHECK(c.r().closed);
                CHECK(c.r().close_error == NGHTTP2_CANCEL);
                CHECK(c.r().data.size() >= cfg.reset_after);
                // What came is the stream's beginning.
                std::string prefix;
                for (std::size_t i = 0; prefix.size() < c.r().data.size(); ++i)
                    prefix += event(i).view();
                CHECK((prefix.starts_with(c.r().data)));
                CHECK(c.source_probe.use_count() == 1); // the source is gone
            }
        }
    }
}

TEST_CASE("http2 frames: an upload within our windows", "[http2][frames]")
{
    client_config cfg;
    cfg.path = "/upload";
    cfg.upload = 900 * 1024; // below max_body_size
    connection c(cfg, 0, {});
    c.run();
    CHECK(c.completions == 1);
    CHECK(c.h2.error == 0);
    CHECK(c.r().status() == "200");
    CHECK(c.r().data == std::to_string(cfg.upload));
    // A stream may send a whole body of max_body_size; the connection four.
    CHECK(c.h2.remote_setting(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE) == 1024 * 1024);
    CHECK(c.h2.remote_window() == static_cast<std::int32_t>(4 * 1024 * 1024 - cfg.upload));
}
