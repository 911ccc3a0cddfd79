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

// What the client asks for, and how it receives.
struct client_config {
    std::uint32_t max_frame_size = 0;    // 0: the protocol's 16 KiB
    std::uint32_t initial_window = 0;    // 0: the protocol's 64 KiB
    std::uint32_t connection_window = 0; // 0: the protocol's 64 KiB
    std::size_t reset_after = 0;         // RST_STREAM(CANCEL) once this many bytes came (0: never)
    std::string path = "/events";
    std::size_t upload = 0; // a POST body of this many bytes
};

struct reply {
    std::string data;
    std::vector<std::size_t> frames; // DATA payload sizes
    std::string status;
    bool end_stream = false;
    bool closed = false;
    std::uint32_t close_error = 0;
};

// nghttp2's client session, without I/O.
class h2_client {
public:
    explicit h2_client(client_config cfg) : cfg_(std::move(cfg))
    {
        nghttp2_session_callbacks* cb = nullptr;
        if (nghttp2_session_callbacks_new(&cb) != 0)
            throw std::bad_alloc();
        nghttp2_session_callbacks_set_on_header_callback(cb, &on_header);
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, &on_data);
        nghttp2_session_callbacks_set_on_frame_recv_callback(cb, &on_frame);
        nghttp2_session_callbacks_set_on_stream_close_callback(cb, &on_close);
        int const rv = nghttp2_session_client_new(&session_, cb, this);
        nghttp2_session_callbacks_del(cb);
        if (rv != 0)
            throw std::runtime_error("nghttp2_session_client_new");

        std::vector<nghttp2_settings_entry> settings;
        if (cfg_.max_frame_size)
            settings.push_back({NGHTTP2_SETTINGS_MAX_FRAME_SIZE, cfg_.max_frame_size});
        if (cfg_.initial_window)
            settings.push_back({NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, cfg_.initial_window});
        nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings.data(), settings.size());
        if (cfg_.connection_window)
            nghttp2_submit_window_update(
                session_, NGHTTP2_FLAG_NONE, 0, static_cast<std::int32_t>(cfg_.connection_window - 65535)
            );

        auto const nv = [](char const* name, std::string const& value) {
            return nghttp2_nv{
                reinterpret_cast<std::uint8_t*>(const_cast<char*>(name)),
                reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())),
                std::strlen(name),
                value.size(),
                NGHTTP2_NV_FLAG_NONE};
        };
        static std::string const get = "GET", post = "POST", scheme = "http", authority = "localhost";
        nghttp2_nv const nva[] = {
            nv(":method", cfg_.upload ? post : get), nv(":scheme", scheme), nv(":authority", authority),
            nv(":path", cfg_.path)};
        nghttp2_data_provider provider{};
        provider.read_callback = &read_upload;
        id_ = nghttp2_submit_request(session_, nullptr, nva, std::size(nva), cfg_.upload ? &provider : nullptr, nullptr);
        if (id_ < 0)
            throw std::runtime_error("nghttp2_submit_request");
    }

    h2_client(h2_client const&) = delete;
    h2_client& operator=(h2_client const&) = delete;
    ~h2_client() { nghttp2_session_del(session_); }

    std::string output()
    {
        std::string out;
        for (;;) {
            std::uint8_t const* data = nullptr;
            auto const n = nghttp2_session_mem_send(session_, &data);
            if (n <= 0) {
                if (n < 0)
                    error = static_cast<int>(n);
                break;
            }
            out.append(reinterpret_cast<char const*>(data), static_cast<std::size_t>(n));
        }
        return out;
    }

    void input(char const* data, std::size_t size)
    {
        auto const n = nghttp2_session_mem_recv(session_, reinterpret_cast<std::uint8_t const*>(data), size);
        if (n < 0 && error == 0)
            error = static_cast<int>(n);
    }

    void goaway() { nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR); }

    std::int32_t remote_setting(nghttp2_settings_id id) const
    {
        return static_cast<std::int32_t>(nghttp2_session_get_remote_settings(session_, id));
    }

    // The connection's send window, as the client sees it.
    std::int32_t remote_window() const { return nghttp2_session_get_remote_window_size(session_); }

    reply r;
    int error = 0;

private:
    static h2_client& self(void* p) { return *static_cast<h2_client*>(p); }

    static ssize_t read_upload(
        nghttp2_session*,
        std::int32_t,
        std::uint8_t* buf,
        std::size_t len,
        std::uint32_t* flags,
        nghttp2_data_source*,
        void* user
    )
    {
        auto& c = self(user);
        std::size_t const n = std::min(len, c.cfg_.upload - c.uploaded_);
        std::memset(buf, 'u', n);
        c.uploaded_ += n;
        if (c.uploaded_ == c.cfg_.upload)
            *flags |= NGHTTP2_DATA_FLAG_EOF;
        return static_cast<ssize_t>(n);
    }

    static int on_header(
        nghttp2_session*,
        nghttp2_frame const*,
        std::uint8_t const* name,
        std::size_t name_len,
        std::uint8_t const* value,
        std::size_t value_len,
        std::uint8_t,
        void* user
    )
    {
        if (std::string_view(reinterpret_cast<char const*>(name), name_len) == ":status")
            self(user).r.status.assign(reinterpret_cast<char const*>(value), value_len);
        return 0;
    }

    static int on_data(nghttp2_session* s, std::uint8_t, std::int32_t id, std::uint8_t const* data, std::size_t len, void* user)
    {
        auto& c = self(user);
        c.r.data.append(reinterpret_cast<char const*>(data), len);
        if (c.cfg_.reset_after != 0 && c.r.data.size() >= c.cfg_.reset_after && !c.reset_sent_) {
            c.reset_sent_ = true;
            nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
        }
        return 0;
    }

    static int on_frame(nghttp2_session*, nghttp2_frame const* frame, void* user)
    {
        auto& c = self(user);
        if (frame->hd.stream_id != c.id_)
            return 0;
        if (frame->hd.type == NGHTTP2_DATA)
            c.r.frames.push_back(frame->hd.length);
        if ((frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS) &&
            (frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
            c.r.end_stream = true;
        return 0;
    }

    static int on_close(nghttp2_session*, std::int32_t id, std::uint32_t error_code, void* user)
    {
        auto& c = self(user);
        if (id == c.id_) {
            c.r.closed = true;
            c.r.close_error = error_code;
        }
        return 0;
    }

    client_config cfg_;
    nghttp2_session* session_ = nullptr;
    std::int32_t id_ = 0;
    std::size_t uploaded_ = 0;
    bool reset_sent_ = false;
};

// One connection: the server's end of a test stream pair (its writes cut
// into pieces of `write_size` bytes when not 0), the client at the other.
struct connection {
    net::io_context ioc;
    beast::test::stream server{ioc};
    beast::test::stream client{ioc};
    beast::flat_buffer buffer;
    h2_client h2;
    std::array<char, 4096> chunk{};
    std::shared_ptr<int> source_probe = std::make_shared<int>(0); // copied into each source
    std::vector<sse::serialized> stream_events;
    int completions = 0;
    error_code result;
    bool goaway_sent = false;
    bool client_closed = false;

    connection(client_config cfg, std::size_t write_size, std::vector<sse::serialized> evs)
        : h2(std::move(cfg))
        , stream_events(std::move(evs))
    {
        server.connect(client);
        if (write_size != 0)
            server.write_size(write_size);
    }

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
            if (!goaway_sent && h2.r.closed) {
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
                connection c({1 << 20, 1 << 30, 1 << 30}, write_size, evs);
                c.run();
                CHECK(c.completions == 1);
                CHECK(c.h2.error == 0);
                CHECK(c.h2.r.status == "200");
                CHECK(c.h2.r.end_stream);
                CHECK(c.h2.r.close_error == NGHTTP2_NO_ERROR);
                CHECK(c.h2.r.data.size() == expected.size());
                CHECK((c.h2.r.data == expected));
                // A frame carries at most one write (whole messages, up to
                // stream_options::max_write_size, 64 KiB).
                CHECK(largest(c.h2.r.frames) > (large > 16384 ? 16384 : large - 1));
                CHECK(largest(c.h2.r.frames) <= large);
                CHECK(c.source_probe.use_count() == 1);
            }
            SECTION("a client with the protocol's defaults")
            {
                connection c({}, write_size, evs);
                c.run();
                CHECK(c.completions == 1);
                CHECK(c.h2.error == 0);
                CHECK(c.h2.r.data.size() == expected.size());
                CHECK((c.h2.r.data == expected));
                CHECK(largest(c.h2.r.frames) == 16384);
            }
            SECTION("a client with a 4 KiB stream window (increments above the dribbling limit)")
            {
                connection c({0, 4096, 0}, write_size, evs);
                c.run();
                CHECK(c.completions == 1);
                CHECK(c.h2.error == 0);
                CHECK(c.h2.r.data.size() == expected.size());
                CHECK((c.h2.r.data == expected));
                CHECK(largest(c.h2.r.frames) <= 4096);
            }
            SECTION("a client that resets an endless stream mid-write")
            {
                client_config cfg{1 << 20, 1 << 30, 1 << 30};
                cfg.reset_after = 300 * 1024;
                cfg.path = "/endless";
                connection c(cfg, write_size, {});
                c.run();
                CHECK(c.completions == 1);
                CHECK(c.h2.error == 0);
                CHECK(c.h2.r.closed);
                CHECK(c.h2.r.close_error == NGHTTP2_CANCEL);
                CHECK(c.h2.r.data.size() >= cfg.reset_after);
                // What came is the stream's beginning.
                std::string prefix;
                for (std::size_t i = 0; prefix.size() < c.h2.r.data.size(); ++i)
                    prefix += event(i).view();
                CHECK((prefix.starts_with(c.h2.r.data)));
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
    CHECK(c.h2.r.status == "200");
    CHECK(c.h2.r.data == std::to_string(cfg.upload));
    // A stream may send a whole body of max_body_size; the connection four.
    CHECK(c.h2.remote_setting(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE) == 1024 * 1024);
    CHECK(c.h2.remote_window() == static_cast<std::int32_t>(4 * 1024 * 1024 - cfg.upload));
}
