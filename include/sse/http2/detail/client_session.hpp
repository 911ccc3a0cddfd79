//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_HTTP2_DETAIL_CLIENT_SESSION_HPP
#define SSE_HTTP2_DETAIL_CLIENT_SESSION_HPP

// One client-side nghttp2 session carrying one request, without I/O: bytes
// in (receive), bytes out (produce), the response header and body as they
// arrive. The body's flow-control window is given back only as the caller
// consumes the body (consume()), so a reader that stops pulling stops the
// server once the window (64 KiB) is full: the same back-pressure as TCP
// gives the HTTP/1.1 client.

#include <sse/detail/config.hpp>
#include <sse/error.hpp>

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/verb.hpp>

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sse::http2::detail {

class client_session {
public:
    client_session()
    {
        nghttp2_session_callbacks* cbs = nullptr;
        if (nghttp2_session_callbacks_new(&cbs) != 0)
            throw std::bad_alloc();
        nghttp2_session_callbacks_set_on_header_callback(cbs, &on_header);
        nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &on_frame_recv);
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &on_data_chunk);
        nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &on_stream_close);
        nghttp2_option* opt = nullptr;
        if (nghttp2_option_new(&opt) != 0) {
            nghttp2_session_callbacks_del(cbs);
            throw std::bad_alloc();
        }
        nghttp2_option_set_no_auto_window_update(opt, 1); // consume() gives the window back
        int const rv = nghttp2_session_client_new2(&session_, cbs, this, opt);
        nghttp2_option_del(opt);
        nghttp2_session_callbacks_del(cbs);
        if (rv != 0)
            throw std::bad_alloc();
        nghttp2_settings_entry const settings[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0}};
        nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 1);
    }

    ~client_session() { nghttp2_session_del(session_); }

    client_session(client_session const&) = delete;
    client_session& operator=(client_session const&) = delete;

    // Submits the request: `authority` is host[:port], `scheme` http or https.
    void submit(
        beast::http::verb method,
        std::string_view scheme,
        std::string_view authority,
        std::string_view path,
        beast::http::fields const& headers,
        std::string body
    )
    {
        body_ = std::move(body);
        std::vector<std::string> names;
        std::vector<nghttp2_nv> nva;
        auto const add = [&](std::string_view name, std::string_view value) {
            nva.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
                           reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
                           NGHTTP2_NV_FLAG_NONE});
        };
        auto const m = beast::http::to_string(method);
        add(":method", m);
        add(":scheme", scheme);
        add(":authority", authority);
        add(":path", path);
        names.reserve(static_cast<std::size_t>(std::distance(headers.begin(), headers.end())));
        for (auto const& f : headers) {
            // HTTP/2 names are lowercase; connection-specific fields are not sent.
            std::string name(f.name_string());
            for (auto& c : name)
                c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
            if (name == "host" || name == "connection" || name == "keep-alive" || name == "transfer-encoding" ||
                name == "upgrade" || name == "proxy-connection")
                continue;
            names.push_back(std::move(name));
            add(names.back(), f.value());
        }
        std::string length;
        if (!body_.empty()) {
            length = std::to_string(body_.size());
            add("content-length", length);
        }
        nghttp2_data_provider provider{};
        provider.read_callback = &read_body;
        stream_id_ = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(), body_.empty() ? nullptr : &provider, this);
        if (stream_id_ < 0)
            throw std::runtime_error("sse: nghttp2 refused the request");
    }

    // Feeds bytes from the server; false when the connection is broken.
    bool receive(std::uint8_t const* data, std::size_t size)
    {
        auto const rv = nghttp2_session_mem_recv(session_, data, size);
        if (rv < 0) {
            failed_ = true;
            return false;
        }
        return true;
    }

    // Appends what nghttp2 has to send.
    bool produce(std::string& out)
    {
        for (;;) {
            std::uint8_t const* data = nullptr;
            auto const n = nghttp2_session_mem_send(session_, &data);
            if (n < 0) {
                failed_ = true;
                return false;
            }
            if (n == 0)
                return true;
            out.append(reinterpret_cast<char const*>(data), static_cast<std::size_t>(n));
        }
    }

    // The response header arrived (its fields are in response()).
    bool has_response() const noexcept { return has_response_; }
    beast::http::response_header<> const& response() const noexcept { return response_; }

    // Body bytes received and not yet consumed.
    std::string_view body() const noexcept { return std::string_view(data_).substr(taken_); }

    // The caller is done with `n` bytes of body(): the server may send as many more.
    void consume(std::size_t n)
    {
        taken_ += n;
        if (taken_ == data_.size()) {
            data_.clear();
            taken_ = 0;
        }
        nghttp2_session_consume(session_, stream_id_, n);
    }

    // The stream ended: cleanly (END_STREAM, error 0) or reset.
    bool closed() const noexcept { return closed_; }
    bool ended_cleanly() const noexcept { return closed_ && ended_ && close_error_ == 0; }

    // The connection is broken, or the server is going away with our stream unanswered.
    bool failed() const noexcept { return failed_; }

    bool wants_io() const noexcept
    {
        return nghttp2_session_want_read(session_) != 0 || nghttp2_session_want_write(session_) != 0;
    }

private:
    static client_session& self(void* p) noexcept { return *static_cast<client_session*>(p); }

    static ssize_t read_body(nghttp2_session*, std::int32_t, std::uint8_t* buf, std::size_t len, std::uint32_t* flags, nghttp2_data_source*, void* user)
    {
        auto& s = self(user);
        auto const n = std::min(len, s.body_.size() - s.body_sent_);
        std::memcpy(buf, s.body_.data() + s.body_sent_, n);
        s.body_sent_ += n;
        if (s.body_sent_ == s.body_.size())
            *flags |= NGHTTP2_DATA_FLAG_EOF;
        return static_cast<ssize_t>(n);
    }

    static int on_header(nghttp2_session*, nghttp2_frame const* frame, std::uint8_t const* name, std::size_t namelen,
                         std::uint8_t const* value, std::size_t valuelen, std::uint8_t, void* user)
    {
        auto& s = self(user);
        if (frame->hd.stream_id != s.stream_id_ || frame->hd.type != NGHTTP2_HEADERS || s.has_response_)
            return 0; // trailers, or another stream
        std::string_view const n(reinterpret_cast<char const*>(name), namelen);
        std::string_view const v(reinterpret_cast<char const*>(value), valuelen);
        if (n == ":status") {
            unsigned status = 0;
            for (char const c : v)
                status = status * 10 + static_cast<unsigned>(c - '0');
            s.interim_ = status >= 100 && status < 200;
            if (!s.interim_) {
                s.response_.result(status);
                s.response_.version(20); // HTTP/2
            }
        } else if (!n.empty() && n.front() != ':' && !s.interim_) {
            s.response_.insert(n, v);
        }
        return 0;
    }

    static int on_frame_recv(nghttp2_session*, nghttp2_frame const* frame, void* user)
    {
        auto& s = self(user);
        if (frame->hd.stream_id == s.stream_id_ && frame->hd.type == NGHTTP2_HEADERS && !s.interim_ && s.response_.result_int() != 0)
            s.has_response_ = true;
        if (frame->hd.stream_id == s.stream_id_ && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0)
            s.ended_ = true;
        if (frame->hd.type == NGHTTP2_GOAWAY && frame->goaway.last_stream_id < s.stream_id_)
            s.failed_ = true; // our request was not processed
        return 0;
    }

    static int on_data_chunk(nghttp2_session*, std::uint8_t, std::int32_t id, std::uint8_t const* data, std::size_t len, void* user)
    {
        auto& s = self(user);
        if (id == s.stream_id_)
            s.data_.append(reinterpret_cast<char const*>(data), len);
        return 0;
    }

    static int on_stream_close(nghttp2_session*, std::int32_t id, std::uint32_t error_code, void* user)
    {
        auto& s = self(user);
        if (id == s.stream_id_) {
            s.closed_ = true;
            s.close_error_ = error_code;
        }
        return 0;
    }

    nghttp2_session* session_ = nullptr;
    std::int32_t stream_id_ = -1;
    std::string body_;
    std::size_t body_sent_ = 0;
    beast::http::response_header<> response_;
    std::string data_;
    std::size_t taken_ = 0;
    std::uint32_t close_error_ = 0;
    bool has_response_ = false;
    bool interim_ = false;
    bool ended_ = false;
    bool closed_ = false;
    bool failed_ = false;
};

} // namespace sse::http2::detail

#endif
