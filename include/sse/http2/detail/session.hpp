//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_HTTP2_DETAIL_SESSION_HPP
#define SSE_HTTP2_DETAIL_SESSION_HPP

// One server-side nghttp2 session, without I/O and without a clock: bytes
// in (receive), frames out (produce, into a frame_batch that the
// connection writes by one gather write), each with the current time,
// requests assembled into Beast requests, answers submitted, and the limits
// a peer cannot get past. nghttp2 does the framing, HPACK and
// flow control; this class decides what the library adds. The connection
// operation in impl/serve.hpp performs the reads, writes and waits.
//
// DATA payloads are not copied into nghttp2's frame buffer: nghttp2 decides
// a frame's size (up to the peer's SETTINGS_MAX_FRAME_SIZE and the flow
// control windows), and the frame's header and the stream body's own bytes
// go into the batch by reference (NGHTTP2_DATA_FLAG_NO_COPY), kept alive by
// the body until the batch is written.

#include <sse/detail/config.hpp>
#include <sse/error.hpp>
#include <sse/server_options.hpp>
#include <sse/http2/detail/frame_batch.hpp>
#include <sse/http2/detail/stream_ids.hpp>

#include <boost/asio/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sse::http2::detail {

// What answers one stream: nghttp2 pulls its body, a frame at a time,
// through read() and take(); the batch that carries the bytes tells the
// body when they are written (sent()).
class body_base : public batch_holder {
public:
    virtual ~body_base() = default;

    // The size of the next DATA frame's payload, at most `len` bytes;
    // NGHTTP2_ERR_DEFERRED when none are ready yet (resume_data wakes the
    // stream); NGHTTP2_DATA_FLAG_EOF in *flags with the last bytes. The
    // bytes stay where they are until take().
    virtual ssize_t read(std::size_t len, std::uint32_t* flags) = 0;

    // Appends the next `len` bytes (as read() counted them) to `out`, and
    // holds the batch (frame_batch::hold) if it does not already: they stay
    // valid until sent().
    virtual void take(std::size_t len, frame_batch& out) = 0;

    // The stream is gone: ended normally (h2_error 0, after our END_STREAM),
    // reset by either side, or its connection ended. Called once; the
    // session drops its pointer after. A batch may still hold the body's
    // bytes: sent() follows then.
    virtual void closed(std::uint32_t h2_error, bool ended) = 0;

    // End gracefully: what is queued, then END_STREAM.
    virtual void shutdown() {}

    // The connection can take more queued bytes again.
    virtual void kick() {}
};

// A request being received on one stream.
struct request_stream {
    std::int32_t id = 0;
    beast::http::request<beast::http::string_body> request;
    std::size_t header_bytes = 0;
    body_base* body = nullptr;
    bool header_too_large = false;
    bool body_too_large = false;
    bool complete = false; // the whole request arrived
    bool head = false;     // a HEAD request: the answer has no body
    bool answered = false;
    bool reset_after_answer = false; // RST_STREAM(NO_ERROR) once the answer is sent
};

class session {
public:
    using clock = std::chrono::steady_clock;

    // The largest DATA frame sent, when the peer's SETTINGS_MAX_FRAME_SIZE
    // and the windows allow it (nghttp2's frame buffer grows to its size).
    static constexpr std::size_t max_data_frame = 64 * 1024;

    // Our receive windows, for uploads: a stream's (announced as
    // SETTINGS_INITIAL_WINDOW_SIZE) holds a whole request body, between
    // the protocol's 64 KiB and 1 MiB; the connection's, four of them.
    static std::uint32_t stream_window(server_options const& o) noexcept
    {
        return static_cast<std::uint32_t>(std::clamp<std::size_t>(o.max_body_size, 65535, 1024 * 1024));
    }
    static std::uint32_t connection_window(server_options const& o) noexcept { return 4 * stream_window(o); }

    // `now`: the time the connection starts (time is always given, never
    // read: the session can be driven by a script).
    session(server_options const& options, clock::time_point now);
    virtual ~session();

    session(session const&) = delete;
    session& operator=(session const&) = delete;

    server_options const& options() const noexcept { return options_; }

    // Feeds bytes read from the peer. False when the connection must end
    // (a GOAWAY is queued when there is one to send): result() tells why.
    bool receive(std::uint8_t const* data, std::size_t size, clock::time_point now);

    // Puts what nghttp2 has to send, up to about `limit` bytes, into the
    // batch (output()). False on a fatal error (result() tells why). Only
    // while no batch is pending: the last one's sent() was called.
    bool produce(std::size_t limit, clock::time_point now);

    // The frames produce() made, to be written in one gather write.
    frame_batch& output() noexcept { return batch_; }

    // The batch was written, or failed with `ec`: the bodies it held hear
    // of it, and it is empty again.
    void sent(error_code ec) { batch_.sent(ec); }

    // produce(), with the batch's bytes appended to `out` and the batch
    // sent at once (a script's view of the output).
    bool produce(std::string& out, std::size_t limit, clock::time_point now);

    // Whether the session still has something to read or write.
    bool alive() const noexcept
    {
        return nghttp2_session_want_read(session_) != 0 || nghttp2_session_want_write(session_) != 0;
    }

    bool wants_write() const noexcept { return nghttp2_session_want_write(session_) != 0; }

    std::size_t open_streams() const noexcept { return streams_.size(); }

    // Why the connection ended, if it was the peer's doing.
    error_code result() const noexcept { return result_; }

    // The peer sent a GOAWAY: it is leaving.
    bool peer_goaway() const noexcept { return peer_goaway_; }

    // Wakes a deferred stream body: it has bytes again.
    void resume(std::int32_t id) { nghttp2_session_resume_data(session_, id); }

    // Resets a stream (the body hit its send timeout, or failed).
    void reset(std::int32_t id, std::uint32_t h2_error) { nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, h2_error); }

    // Graceful shutdown: refuse new streams, end open ones; the GOAWAY goes
    // out once they have ended (goaway_if_drained()).
    void begin_shutdown();
    bool shutting_down() const noexcept { return shutting_down_; }
    void goaway_if_drained();

    // Ends every stream now: the connection is gone.
    void close_all();

    // Ends the session with a GOAWAY carrying `h2_error`.
    void terminate(std::uint32_t h2_error, error_code why)
    {
        if (!result_)
            result_ = why;
        nghttp2_session_terminate_session(session_, h2_error);
    }

    // Bytes queued by all stream bodies (their own accounting).
    std::size_t queued_bytes() const noexcept { return queued_bytes_; }
    void add_queued(std::ptrdiff_t delta) noexcept
    {
        queued_bytes_ = std::size_t(std::ptrdiff_t(queued_bytes_) + delta);
        if (over_queue_cap())
            cap_reached_ = true;
    }
    bool over_queue_cap() const noexcept { return queued_bytes_ >= options_.max_connection_queued_bytes; }

    // True once after the queued bytes were at the cap and are below it
    // again, wherever they fell (a write's end, a stream's): the streams
    // held back (kick()) can go on.
    bool cap_released() noexcept
    {
        if (!cap_reached_ || over_queue_cap())
            return false;
        cap_reached_ = false;
        return true;
    }

    // Answers a stream with a header and a body (nullptr: no body).
    void submit(request_stream& s, unsigned status, std::vector<nghttp2_nv> const& nva, body_base* body);

    // The streams whose requests are complete and not yet answered, in
    // arrival order (filled by receive()).
    std::vector<std::int32_t>& ready() noexcept { return ready_; }
    request_stream* find(std::int32_t id) noexcept
    {
        auto const it = streams_.find(id);
        return it == streams_.end() ? nullptr : it->second.get();
    }

    // Spends one unit of the peer's error budget; past it, GOAWAY.
    void spend_budget();

    template <class F>
    void for_each_body(F f)
    {
        for (auto& [id, s] : streams_)
            if (s->body)
                f(*s->body);
    }

    // A short plain answer: 400, 413, 431, 500.
    void answer_error(request_stream& s, unsigned status);

private:
    static int on_begin_headers(nghttp2_session*, nghttp2_frame const*, void*);
    static int on_header(nghttp2_session*, nghttp2_frame const*, std::uint8_t const*, std::size_t, std::uint8_t const*, std::size_t, std::uint8_t, void*);
    static int on_data_chunk(nghttp2_session*, std::uint8_t, std::int32_t, std::uint8_t const*, std::size_t, void*);
    static int on_frame_recv(nghttp2_session*, nghttp2_frame const*, void*);
    static int on_frame_send(nghttp2_session*, nghttp2_frame const*, void*);
    static int on_invalid_frame(nghttp2_session*, nghttp2_frame const*, int, void*);
    static int on_stream_close(nghttp2_session*, std::int32_t, std::uint32_t, void*);
    static ssize_t read_body(nghttp2_session*, std::int32_t, std::uint8_t*, std::size_t, std::uint32_t*, nghttp2_data_source*, void*);
    static int send_data(nghttp2_session*, nghttp2_frame*, std::uint8_t const*, std::size_t, nghttp2_data_source*, void*);
    static ssize_t data_length(nghttp2_session*, std::uint8_t, std::int32_t, std::int32_t, std::int32_t, std::uint32_t, void*);

    void request_complete(request_stream& s);

    server_options options_;
    nghttp2_session* session_ = nullptr;
    stream_id_check ids_;
    std::unordered_map<std::int32_t, std::unique_ptr<request_stream>> streams_;
    std::vector<std::int32_t> ready_;
    frame_batch batch_;
    std::size_t batch_limit_ = 0; // produce()'s limit
    std::size_t queued_bytes_ = 0;
    bool cap_reached_ = false; // queued_bytes_ reached the cap since cap_released() last said so
    double budget_;
    clock::time_point budget_time_; // when the budget was last refilled
    clock::time_point now_;         // the time of the receive or produce under way
    error_code result_;
    bool shutting_down_ = false;
    bool goaway_sent_ = false;
    bool peer_goaway_ = false;
};

} // namespace sse::http2::detail

#include <sse/http2/detail/impl/session.hpp>

#endif
