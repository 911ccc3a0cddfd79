//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_TEST_H2_MEM_CLIENT_HPP
#define SSE_TEST_H2_MEM_CLIENT_HPP

// An HTTP/2 client without I/O, for tests that drive a server over an
// in-memory stream: nghttp2's client session, its bytes taken with
// output() and the server's given with input(). It records what each of
// its streams received.

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <map>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sse::test {

// One stream as the client saw it.
struct h2_reply {
    std::map<std::string, std::string> fields; // the response header, pseudo-fields included
    std::string data;                          // the DATA payload, as far as it came
    std::vector<std::size_t> frames;           // the payload size of each DATA frame
    std::vector<std::size_t> frame_ends;       // the size of `data` after each DATA frame
    bool headers = false;                      // the response HEADERS arrived
    bool end_stream = false;                   // END_STREAM arrived
    bool reset = false;                        // the server reset the stream
    bool closed = false;                       // the stream is over, one way or another
    std::uint32_t close_error = 0;             // why, as nghttp2 says

    std::string status() const
    {
        auto const it = fields.find(":status");
        return it == fields.end() ? std::string() : it->second;
    }
};

// What the client announces; 0 leaves the protocol's default.
struct h2_client_settings {
    std::uint32_t max_frame_size = 0;    // the protocol's 16 KiB
    std::uint32_t initial_window = 0;    // the protocol's 64 KiB
    std::uint32_t connection_window = 0; // the protocol's 64 KiB
};

class h2_mem_client {
public:
    explicit h2_mem_client(h2_client_settings s = {})
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
        if (s.max_frame_size)
            settings.push_back({NGHTTP2_SETTINGS_MAX_FRAME_SIZE, s.max_frame_size});
        if (s.initial_window)
            settings.push_back({NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, s.initial_window});
        nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings.data(), settings.size());
        if (s.connection_window)
            nghttp2_submit_window_update(session_, NGHTTP2_FLAG_NONE, 0, static_cast<std::int32_t>(s.connection_window - 65535));
    }

    h2_mem_client(h2_mem_client const&) = delete;
    h2_mem_client& operator=(h2_mem_client const&) = delete;

    ~h2_mem_client() { nghttp2_session_del(session_); }

    // A GET of `path`, or a POST of `upload` bytes when not 0; its stream id.
    std::int32_t request(std::string const& path, std::size_t upload = 0)
    {
        auto const nv = [](std::string_view name, std::string_view value) {
            return nghttp2_nv{
                reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
                reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())),
                name.size(),
                value.size(),
                NGHTTP2_NV_FLAG_NONE};
        };
        nghttp2_nv const nva[] = {
            nv(":method", upload ? "POST" : "GET"), nv(":scheme", "http"), nv(":authority", "localhost"), nv(":path", path)};
        nghttp2_data_provider provider{};
        provider.read_callback = &read_upload;
        std::int32_t const id = nghttp2_submit_request(session_, nullptr, nva, std::size(nva), upload ? &provider : nullptr, nullptr);
        if (id < 0)
            throw std::runtime_error("nghttp2_submit_request");
        if (upload)
            uploads_[id] = {upload, 0};
        return id;
    }

    // Resets stream `id` (RST_STREAM, CANCEL) once `bytes` of its DATA came.
    void reset_after(std::int32_t id, std::size_t bytes) { resets_[id] = bytes; }

    // What the session has to send: the first call gives the preface, the
    // SETTINGS and the requests; later ones acknowledgements, window
    // updates, resets and the GOAWAY.
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

    // Bytes the server wrote.
    void input(char const* data, std::size_t size)
    {
        auto const n = nghttp2_session_mem_recv(session_, reinterpret_cast<std::uint8_t const*>(data), size);
        if (n < 0 && error == 0)
            error = static_cast<int>(n);
    }

    // The client is leaving.
    void goaway() { nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR); }

    h2_reply const& reply(std::int32_t id) const { return replies_[id]; }

    std::int32_t remote_setting(nghttp2_settings_id id) const
    {
        return static_cast<std::int32_t>(nghttp2_session_get_remote_settings(session_, id));
    }

    // The connection's send window, as the client sees it.
    std::int32_t remote_window() const { return nghttp2_session_get_remote_window_size(session_); }

    bool goaway_received = false;
    int error = 0; // an nghttp2 error: the server broke the protocol

private:
    struct upload {
        std::size_t size;
        std::size_t sent;
    };

    static h2_mem_client& self(void* p) { return *static_cast<h2_mem_client*>(p); }

    static ssize_t read_upload(
        nghttp2_session*,
        std::int32_t id,
        std::uint8_t* buf,
        std::size_t len,
        std::uint32_t* flags,
        nghttp2_data_source*,
        void* user
    )
    {
        auto& u = self(user).uploads_[id];
        std::size_t const n = std::min(len, u.size - u.sent);
        std::memset(buf, 'u', n);
        u.sent += n;
        if (u.sent == u.size)
            *flags |= NGHTTP2_DATA_FLAG_EOF;
        return static_cast<ssize_t>(n);
    }

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
        self(user).replies_[frame->hd.stream_id].fields[std::string(reinterpret_cast<char const*>(name), name_len)] =
            std::string(reinterpret_cast<char const*>(value), value_len);
        return 0;
    }

    static int on_data(nghttp2_session* s, std::uint8_t, std::int32_t id, std::uint8_t const* data, std::size_t len, void* user)
    {
        auto& c = self(user);
        auto& r = c.replies_[id];
        r.data.append(reinterpret_cast<char const*>(data), len);
        auto const reset = c.resets_.find(id);
        if (reset != c.resets_.end() && r.data.size() >= reset->second) {
            c.resets_.erase(reset);
            nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
        }
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
            r.frames.push_back(frame->hd.length);
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
    std::map<std::int32_t, upload> uploads_;
    std::map<std::int32_t, std::size_t> resets_;
};

} // namespace sse::test

#endif
