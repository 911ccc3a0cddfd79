//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_HTTP2_DETAIL_IMPL_SESSION_HPP
#define SSE_HTTP2_DETAIL_IMPL_SESSION_HPP

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>

namespace sse::http2::detail {

// A short plain answer the session gives by itself (400, 413, 431, 500),
// or an ordinary answer's body, collected whole. It goes when its stream
// has closed and no batch holds its bytes.
class fixed_body final : public body_base {
public:
    explicit fixed_body(std::string text) : text_(std::move(text)) {}

    ssize_t read(std::size_t len, std::uint32_t* flags) override
    {
        std::size_t const n = std::min(len, text_.size() - offset_);
        if (offset_ + n == text_.size())
            *flags |= NGHTTP2_DATA_FLAG_EOF;
        return static_cast<ssize_t>(n);
    }

    void take(std::size_t len, frame_batch& out) override
    {
        out.append_ref(text_.data() + offset_, len);
        offset_ += len;
        if (!held_) {
            held_ = true;
            out.hold(*this);
        }
    }

    void sent(error_code) override
    {
        held_ = false;
        if (closed_)
            delete this;
    }

    void closed(std::uint32_t, bool) override
    {
        closed_ = true;
        if (!held_)
            delete this;
    }

private:
    std::string text_;
    std::size_t offset_ = 0;
    bool held_ = false;
    bool closed_ = false;
};

inline session::session(server_options const& options, clock::time_point now)
    : options_(options)
    , budget_(static_cast<double>(options.reset_budget))
    , budget_time_(now)
    , now_(now)
{
    nghttp2_session_callbacks* cbs = nullptr;
    if (nghttp2_session_callbacks_new(&cbs) != 0)
        throw std::bad_alloc();
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, &on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cbs, &on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &on_data_chunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &on_frame_recv);
    nghttp2_session_callbacks_set_on_frame_send_callback(cbs, &on_frame_send);
    nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cbs, &on_invalid_frame);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &on_stream_close);
#ifdef SSE_NGHTTP2_HAS_SEND_DATA_CALLBACK
    nghttp2_session_callbacks_set_send_data_callback(cbs, &send_data);
#endif
#ifdef SSE_NGHTTP2_HAS_READ_LENGTH_CALLBACK
    nghttp2_session_callbacks_set_data_source_read_length_callback(cbs, &data_length);
#endif

    nghttp2_option* opt = nullptr;
    if (nghttp2_option_new(&opt) != 0) {
        nghttp2_session_callbacks_del(cbs);
        throw std::bad_alloc();
    }
    // Closed streams are kept (nghttp2 bounds them by the concurrent
    // streams setting), so that a frame on a stream already closed gets
    // STREAM_CLOSED rather than silence (RFC 9113, 5.1).
#ifdef SSE_NGHTTP2_HAS_STREAM_RESET_RATE_LIMIT
    // Rapid reset (CVE-2023-44487): nghttp2's own limit, at its defaults.
    nghttp2_option_set_stream_reset_rate_limit(opt, 1000, 33);
#endif
    int const rv = nghttp2_session_server_new2(&session_, cbs, this, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cbs);
    if (rv != 0)
        throw std::bad_alloc();

    nghttp2_settings_entry const settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, options_.max_concurrent_streams},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<std::uint32_t>(options_.max_header_size)},
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, stream_window(options_)},
    };
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
    // The connection's window: a WINDOW_UPDATE after the SETTINGS.
    std::int32_t const window = static_cast<std::int32_t>(connection_window(options_));
#ifdef SSE_NGHTTP2_HAS_SET_LOCAL_WINDOW_SIZE
    nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, window);
#else
    nghttp2_submit_window_update(
        session_, NGHTTP2_FLAG_NONE, 0, window - NGHTTP2_INITIAL_CONNECTION_WINDOW_SIZE
    );
#endif
}

inline session::~session()
{
    // The connection writes every batch before it ends; a script may not.
    batch_.sent(net::error::operation_aborted);
    close_all();
    nghttp2_session_del(session_);
}

inline bool session::receive(std::uint8_t const* data, std::size_t size, clock::time_point now)
{
    now_ = now;
    // nghttp2 ignores a HEADERS frame that opens a stream below one already
    // opened; RFC 9113 (5.1.1) makes it a connection error.
    std::size_t const valid = ids_.scan(data, size);
    auto const rv = valid == 0 ? 0 : nghttp2_session_mem_recv(session_, data, valid);
    if (rv >= 0 && valid < size) {
        terminate(NGHTTP2_PROTOCOL_ERROR, make_error_code(error::protocol_error));
        return false;
    }
    if (rv < 0) {
        // A connection error nghttp2 could not answer in the protocol: a
        // bad preface, a flood of frames it must answer, a callback that
        // refused. GOAWAY when the session can still send one.
        if (!result_)
            result_ = make_error_code(error::protocol_error);
        nghttp2_session_terminate_session(
            session_, rv == NGHTTP2_ERR_FLOODED ? NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_PROTOCOL_ERROR
        );
        return false;
    }
    return nghttp2_session_want_read(session_) != 0;
}

inline bool session::produce(std::size_t limit, clock::time_point now)
{
    SSE_ASSERT(batch_.empty()); // the last batch was sent
    now_ = now;
    batch_limit_ = limit;
    while (batch_.size() < limit) {
        // DATA frames go into the batch from send_data (or, copied, from
        // read_body) during this call; other frames come back from it.
        std::uint8_t const* data = nullptr;
        auto const n = nghttp2_session_mem_send(session_, &data);
        if (n < 0) {
            if (!result_)
                result_ = make_error_code(error::protocol_error);
            return false;
        }
        if (n == 0)
            break;
        batch_.append_copy(data, static_cast<std::size_t>(n));
    }
    return true;
}

inline bool session::produce(std::string& out, std::size_t limit, clock::time_point now)
{
    bool const ok = produce(limit, now);
    for (auto const b : batch_.buffers())
        out.append(static_cast<char const*>(b.data()), b.size());
    sent({});
    return ok;
}

inline void session::begin_shutdown()
{
    if (shutting_down_)
        return;
    shutting_down_ = true;
    for (auto& [id, s] : streams_)
        if (s->body)
            s->body->shutdown();
    goaway_if_drained();
}

inline void session::goaway_if_drained()
{
    if (!shutting_down_ || goaway_sent_)
        return;
    // Streams still being answered finish first; those whose request has
    // not arrived whole are refused by the GOAWAY's last stream id.
    for (auto const& [id, s] : streams_)
        if (s->answered || s->complete)
            return;
    goaway_sent_ = true;
    // Nothing more is read: the session ends once the GOAWAY is written.
    nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
}

inline void session::close_all()
{
    auto streams = std::move(streams_);
    streams_.clear();
    for (auto& [id, s] : streams)
        if (auto* b = std::exchange(s->body, nullptr))
            b->closed(NGHTTP2_CANCEL, false);
}

inline void session::spend_budget()
{
    double const elapsed = std::max(0.0, std::chrono::duration<double>(now_ - budget_time_).count());
    budget_time_ = now_;
    budget_ = std::min(
        static_cast<double>(options_.reset_budget),
        budget_ + elapsed * static_cast<double>(options_.reset_refill_per_second)
    );
    budget_ -= 1.0;
    if (budget_ < 0.0 && nghttp2_session_want_read(session_) != 0)
        terminate(NGHTTP2_ENHANCE_YOUR_CALM, make_error_code(error::reset_budget_exceeded));
}

inline void session::submit(request_stream& s, unsigned status, std::vector<nghttp2_nv> const& nva, body_base* body)
{
    (void)status;
    s.answered = true;
    s.body = body;
    nghttp2_data_provider provider{};
    provider.read_callback = &read_body;
    int const rv = nghttp2_submit_response(session_, s.id, nva.data(), nva.size(), body ? &provider : nullptr);
    if (rv != 0) {
        s.body = nullptr;
        if (body)
            body->closed(NGHTTP2_INTERNAL_ERROR, false);
        nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s.id, NGHTTP2_INTERNAL_ERROR);
    }
}

inline void session::answer_error(request_stream& s, unsigned status)
{
    auto const reason = beast::http::obsolete_reason(static_cast<beast::http::status>(status));
    std::string const code = std::to_string(status);
    static char const content_type[] = "text/plain; charset=utf-8";
    std::vector<nghttp2_nv> nva{
        {(std::uint8_t*)":status", (std::uint8_t*)code.data(), 7, code.size(), NGHTTP2_NV_FLAG_NONE},
        {(std::uint8_t*)"content-type", (std::uint8_t*)content_type, 12, sizeof(content_type) - 1, NGHTTP2_NV_FLAG_NONE},
    };
    submit(s, status, nva, s.head ? nullptr : new fixed_body(std::string(reason) + "\n"));
}

inline void session::request_complete(request_stream& s)
{
    if (s.answered || s.complete)
        return;
    s.complete = true;
    s.head = s.request.method() == beast::http::verb::head;
    if (s.header_too_large) {
        spend_budget();
        answer_error(s, 431);
        return;
    }
    if (s.request.method() == beast::http::verb::unknown && s.request.method_string().empty()) {
        spend_budget();
        answer_error(s, 400);
        return;
    }
    s.request.prepare_payload();
    ready_.push_back(s.id);
}

// ----------------------------------------------------------------- callbacks
// nghttp2 calls these inside mem_recv / mem_send, on the connection's
// executor. They never throw: an exception cannot cross C frames.

inline int session::on_begin_headers(nghttp2_session*, nghttp2_frame const* frame, void* user)
{
    auto& self = *static_cast<session*>(user);
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    if (self.shutting_down_) {
        nghttp2_submit_rst_stream(self.session_, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_REFUSED_STREAM);
        return 0;
    }
    try {
        auto s = std::make_unique<request_stream>();
        s->id = frame->hd.stream_id;
        s->request.version(20);
        self.streams_.emplace(s->id, std::move(s));
    } catch (...) {
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; // this stream is reset
    }
    return 0;
}

inline int session::on_header(
    nghttp2_session*,
    nghttp2_frame const* frame,
    std::uint8_t const* name_data,
    std::size_t name_len,
    std::uint8_t const* value_data,
    std::size_t value_len,
    std::uint8_t,
    void* user
)
{
    auto& self = *static_cast<session*>(user);
    if (frame->hd.type != NGHTTP2_HEADERS)
        return 0;
    auto* s = self.find(frame->hd.stream_id);
    if (!s || s->header_too_large)
        return 0;
    // The size as SETTINGS_MAX_HEADER_LIST_SIZE counts it (RFC 9113, 6.5.2).
    s->header_bytes += name_len + value_len + 32;
    if (s->header_bytes > self.options_.max_header_size) {
        s->header_too_large = true;
        s->request = {};
        return 0;
    }
    std::string_view const name(reinterpret_cast<char const*>(name_data), name_len);
    std::string_view const value(reinterpret_cast<char const*>(value_data), value_len);
    try {
        if (frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
            // Trailers: kept as fields, as Beast keeps them in a chunked body's trailer.
            if (!name.empty() && name[0] != ':')
                s->request.insert(name, value);
        } else if (name == ":method") {
            s->request.method_string(value);
        } else if (name == ":path") {
            s->request.target(value);
        } else if (name == ":authority") {
            s->request.set(beast::http::field::host, value);
        } else if (name == ":scheme" || name == ":protocol") {
            // Not part of an HTTP/1-style request.
        } else if (name == "host") {
            if (s->request.find(beast::http::field::host) == s->request.end())
                s->request.set(beast::http::field::host, value);
        } else {
            s->request.insert(name, value);
        }
    } catch (...) {
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    return 0;
}

inline int session::on_data_chunk(nghttp2_session*, std::uint8_t, std::int32_t id, std::uint8_t const* data, std::size_t len, void* user)
{
    auto& self = *static_cast<session*>(user);
    auto* s = self.find(id);
    if (!s || s->answered)
        return 0;
    if (s->body_too_large || s->request.body().size() + len > self.options_.max_body_size) {
        if (!s->body_too_large) {
            s->body_too_large = true;
            s->request.body().clear();
            s->request.body().shrink_to_fit();
            // Answer at once, then ask the peer to stop sending (RFC 9113, 8.1).
            s->reset_after_answer = true;
            self.spend_budget();
            self.answer_error(*s, 413);
        }
        return 0;
    }
    try {
        s->request.body().append(reinterpret_cast<char const*>(data), len);
    } catch (...) {
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    return 0;
}

inline int session::on_frame_recv(nghttp2_session*, nghttp2_frame const* frame, void* user)
{
    auto& self = *static_cast<session*>(user);
    switch (frame->hd.type) {
    case NGHTTP2_HEADERS:
    case NGHTTP2_DATA:
        if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
            if (auto* s = self.find(frame->hd.stream_id))
                self.request_complete(*s);
        }
        break;
    case NGHTTP2_RST_STREAM: self.spend_budget(); break;
    case NGHTTP2_GOAWAY: self.peer_goaway_ = true; break;
    case NGHTTP2_WINDOW_UPDATE:
        // Window dribbling (CVE-2019-9511): tiny increments make the
        // server send tiny frames. Legitimate peers grant in large steps.
        if (frame->window_update.window_size_increment < 1024)
            self.spend_budget();
        break;
    default: break;
    }
    return 0;
}

inline int session::on_frame_send(nghttp2_session*, nghttp2_frame const* frame, void* user)
{
    auto& self = *static_cast<session*>(user);
    if (frame->hd.type == NGHTTP2_GOAWAY) {
        // nghttp2 ended the connection for a protocol error of the peer's.
        if (frame->goaway.error_code != NGHTTP2_NO_ERROR && !self.result_)
            self.result_ = make_error_code(error::protocol_error);
        return 0;
    }
    if (frame->hd.type == NGHTTP2_RST_STREAM) {
        // A reset the server had to send: the peer provoked it
        // (MadeYouReset, CVE-2025-8671), unless the server chose it.
        if (frame->rst_stream.error_code != NGHTTP2_NO_ERROR && frame->rst_stream.error_code != NGHTTP2_CANCEL &&
            frame->rst_stream.error_code != NGHTTP2_REFUSED_STREAM)
            self.spend_budget();
        return 0;
    }
    if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
        auto* s = self.find(frame->hd.stream_id);
        if (s && s->reset_after_answer)
            nghttp2_submit_rst_stream(self.session_, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_NO_ERROR);
    }
    return 0;
}

inline int session::on_invalid_frame(nghttp2_session*, nghttp2_frame const*, int, void* user)
{
    static_cast<session*>(user)->spend_budget();
    return 0;
}

inline int session::on_stream_close(nghttp2_session*, std::int32_t id, std::uint32_t h2_error, void* user)
{
    auto& self = *static_cast<session*>(user);
    auto const it = self.streams_.find(id);
    if (it == self.streams_.end())
        return 0;
    auto s = std::move(it->second);
    self.streams_.erase(it);
    std::erase(self.ready_, id);
    if (auto* b = std::exchange(s->body, nullptr))
        b->closed(h2_error, true);
    self.goaway_if_drained();
    return 0;
}

inline ssize_t session::read_body(
    nghttp2_session*,
    std::int32_t id,
    std::uint8_t* buf,
    std::size_t len,
    std::uint32_t* flags,
    nghttp2_data_source*,
    void* user
)
{
    auto& self = *static_cast<session*>(user);
    auto* s = self.find(id);
    if (!s || !s->body)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    auto const n = s->body->read(len, flags);
    if (n < 0)
        return n;
#ifdef SSE_NGHTTP2_HAS_SEND_DATA_CALLBACK
    // The bytes stay where they are: send_data takes them.
    (void)buf;
    *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
#else
    // Copied into nghttp2's frame, which mem_send then returns.
    self.batch_.redirect(buf);
    s->body->take(static_cast<std::size_t>(n), self.batch_);
    self.batch_.redirect(nullptr);
#endif
    return n;
}

// A DATA frame nghttp2 sized by read_body: its header and padding copied,
// its payload the body's own bytes (RFC 9113, 6.1).
inline int session::send_data(
    nghttp2_session*,
    nghttp2_frame* frame,
    std::uint8_t const* header,
    std::size_t length,
    nghttp2_data_source*,
    void* user
)
{
    auto& self = *static_cast<session*>(user);
    auto* s = self.find(frame->hd.stream_id);
    if (!s || !s->body)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; // nothing written: the stream is reset
    auto& out = self.batch_;
    out.append_copy(header, 9);
    std::size_t const padding = frame->data.padlen;
    if (padding > 0) {
        std::uint8_t const pad_length = static_cast<std::uint8_t>(padding - 1);
        out.append_copy(&pad_length, 1);
    }
    s->body->take(length, out);
    if (padding > 1)
        out.append_zeros(padding - 1);
    // A full batch: mem_send returns, the rest goes in the next one.
    return out.size() >= self.batch_limit_ ? NGHTTP2_ERR_PAUSE : 0;
}

// The size of the next DATA frame: as large as the peer's
// SETTINGS_MAX_FRAME_SIZE allows, up to max_data_frame (nghttp2 applies the
// flow-control windows itself).
inline ssize_t session::data_length(
    nghttp2_session*,
    std::uint8_t,
    std::int32_t,
    std::int32_t session_window,
    std::int32_t stream_window,
    std::uint32_t max_frame_size,
    void*
)
{
    std::size_t n = std::min<std::size_t>(max_frame_size, max_data_frame);
    n = std::min<std::size_t>(n, static_cast<std::size_t>(std::max<std::int32_t>(session_window, 1)));
    n = std::min<std::size_t>(n, static_cast<std::size_t>(std::max<std::int32_t>(stream_window, 1)));
    return static_cast<ssize_t>(n);
}

} // namespace sse::http2::detail

#endif
