//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_IMPL_STREAM_RESPONSE_HPP
#define SSE_IMPL_STREAM_RESPONSE_HPP

#include <sse/detail/async_op.hpp>
#include <sse/detail/deadline_queue.hpp>
#include <sse/detail/stream_engine.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/serializer.hpp>

#include <array>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace sse {
namespace detail {

// The head of an event stream over HTTP/1.x, with the fields HTTP/1 adds:
// HTTP/1.1 is chunked, and says `Connection: close` when the request did;
// an HTTP/1.0 body ends with the connection.
inline std::string http1_stream_head(beast::http::response_header<>& header, bool keep_alive)
{
    namespace http = beast::http;
    if (header.version() >= 11) {
        header.set(http::field::transfer_encoding, "chunked");
        if (!keep_alive)
            header.set(http::field::connection, "close");
    }
    http::response<http::empty_body> res(std::move(header));
    http::response_serializer<http::empty_body> sr(res);
    sr.split(true);
    std::string out;
    error_code ec;
    while (!sr.is_header_done()) {
        sr.next(ec, [&](error_code&, auto const& buffers) {
            std::size_t n = 0;
            for (auto const b : beast::buffers_range_ref(buffers)) {
                out.append(static_cast<char const*>(b.data()), b.size());
                n += b.size();
            }
            sr.consume(n);
        });
        if (ec)
            throw system_error(ec, "sse::stream_response: serializing the header");
    }
    return out;
}

// The size line of an HTTP/1.1 chunk: hex digits, CRLF.
inline std::size_t chunk_size_line(std::size_t n, char (&out)[20]) noexcept
{
    static constexpr char digits[] = "0123456789abcdef";
    char tmp[16];
    std::size_t len = 0;
    do {
        tmp[len++] = digits[n & 0xF];
        n >>= 4;
    } while (n != 0);
    for (std::size_t i = 0; i < len; ++i)
        out[i] = tmp[len - 1 - i];
    out[len] = '\r';
    out[len + 1] = '\n';
    return len + 2;
}

// The connection's buffer, for a sink that was given none: bytes the watch
// reads cannot be given back.
struct no_buffer {};

// The HTTP/1.x sink of an event stream: it performs what the stream engine
// decides, and frames the payload (chunks, or close-delimited for
// HTTP/1.0). At most four sub-operations at once (the source, asked or
// watched for a failure; write; the read that watches the peer; a deadline
// in the context's deadline_queue), all on the stream's executor; five for
// the moment a watch on the source is being stopped as it is asked again.
template <class AsyncStream, class DynamicBuffer, class Source, class Handler>
class http1_stream_op final
    : public async_op<http1_stream_op<AsyncStream, DynamicBuffer, Source, Handler>, Handler, typename AsyncStream::executor_type> {
    using base = async_op<http1_stream_op, Handler, typename AsyncStream::executor_type>;
    using ref = typename base::ref;
    using executor_type = typename AsyncStream::executor_type;
    using clock = std::chrono::steady_clock;
    using item_type = typename Source::value_type;
    using parts_type = typename stream_response<Source>::parts;
    using action = stream_action;

public:
    http1_stream_op(Handler&& handler, executor_type const& ex, AsyncStream& stream, DynamicBuffer* buffer, parts_type&& parts)
        : base(std::move(handler), ex)
        , stream_(stream)
        , buffer_(buffer)
        , timer_(*this, ex)
        , engine_(parts.options, peer_watch::connection_read, parts.coding, parts.shared_blocks)
        , source_(std::move(parts.source))
        , on_end_(std::move(parts.on_end))
        , chunked_(parts.header.version() >= 11)
    {
        engine_.set_source_takes_backlog(source_takes_backlog(*source_));
        engine_.set_source_reports_failure(source_reports_failure(*source_));
        writes().head = http1_stream_head(parts.header, parts.keep_alive);
    }

    executor_type get_executor() const noexcept { return stream_.get_executor(); }

    void start()
    {
        ref const self(this);
        this->on_cancellation([this](net::cancellation_type type) {
            ref const self(this);
            engine_.cancelled(type);
            run();
        });
        engine_.start(clock::now());
        run();
    }

private:
    void run()
    {
        lazy_now now;
        for (auto a = engine_.next(now); !a.is_none(); a = engine_.next(now))
            perform(a, now);
    }

    void perform(action const& a, lazy_now& now)
    {
        using type = action::type;
        switch (a.get_type()) {
        case type::none: break;
        case type::ask_source: source_->async_next(next_handler{{ref(this)}}); break;
        case type::take_backlog: sse::detail::take_backlog(engine_, *source_, writes().batch, a.max_bytes()); break;
        case type::write: start_write(a, now); break;
        case type::defer_write:
            // A plain function object: posted to the stream's executor, and
            // run there without the work tracking of a handler's executor.
            net::post(this->get_executor(), [self = ref(this)] { self.p->on_turn(); });
            break;
        case type::wait_until: timer_.arm(a.expiry()); break;
        case type::cancel_wait: timer_.cancel(); break;
        case type::cancel_source: source_cancel_.emit(net::cancellation_type::terminal); break;
        case type::release_source: source_.reset(); break;
        case type::watch_source: sse::detail::watch_source(*source_, source_watch_handler{{ref(this)}}); break;
        case type::stop_source_watch: source_watch_cancel_.emit(net::cancellation_type::terminal); break;
        case type::watch: stream_.async_read_some(net::buffer(scratch_), read_handler{{ref(this)}}); break;
        case type::stop_watch: read_cancel_.emit(net::cancellation_type::terminal); break;
        case type::abort: write_cancel_.emit(net::cancellation_type::terminal); break;
        case type::complete: finish(a.error()); break;
        }
    }

    void start_write(action const& a, lazy_now& now)
    {
        static constexpr char crlf_end[] = "\r\n0\r\n\r\n";
        auto& w = writes();
        auto& buffers = w.buffers;
        buffers.clear();
        if (!w.head.empty())
            buffers.push_back(net::buffer(w.head));
        if (a.bytes() != 0) {
            if (chunked_)
                buffers.push_back(net::buffer(w.size_line, chunk_size_line(a.bytes(), w.size_line)));
            buffers.insert(buffers.end(), a.buffers().begin(), a.buffers().end());
            if (chunked_)
                buffers.push_back(net::buffer(crlf_end, a.last() ? 7 : 2));
        } else if (a.last() && chunked_) {
            buffers.push_back(net::buffer(crlf_end + 2, 5));
        }
        if (buffers.empty()) {
            engine_.wrote({}, now()); // the end of an HTTP/1.0 body: the connection's close
            return;
        }
        net::async_write(stream_, buffers, write_handler{{ref(this)}});
    }

    void finish(error_code ec)
    {
        if (on_end_)
            std::exchange(on_end_, nullptr)(ec);
        this->complete(ec);
    }

    // -------------------------------------------------------------- events

    void on_next(error_code ec, std::optional<item_type> item)
    {
        engine_.source_completed(ec, item);
        run();
    }

    void on_write(error_code ec)
    {
        if (writes_ && !writes_->head.empty())
            std::string().swap(writes_->head); // written
        write_cancel_.release();
        engine_.wrote(ec, clock::now());
        if (engine_.idle())
            writes_.reset(); // the header alone, or a heartbeat: an idle stream keeps no write storage
        run();
    }

    void on_source_watch(error_code ec)
    {
        engine_.source_watch_ended(ec);
        run();
    }

    void on_read(error_code ec, std::size_t n)
    {
        if (n != 0)
            keep(n);
        engine_.watch_ended(ec, n != 0);
        run();
    }

    // Bytes the watch read belong to the connection.
    void keep(std::size_t n)
    {
        if constexpr (std::is_same_v<DynamicBuffer, no_buffer>) {
            engine_.peer_bytes_lost();
        } else {
            try {
                buffer_->commit(net::buffer_copy(buffer_->prepare(n), net::buffer(scratch_, n)));
            } catch (std::length_error const&) {
                engine_.peer_bytes_lost(); // the buffer is full
            }
        }
    }

    // ------------------------------------------------------------ handlers

    using sub_handler = typename base::sub_handler;

    // The source's next message and the watch on the peer may be long in
    // coming: their memory is exactly their size (see async_op).
    struct next_handler : base::template cancellable_handler<&http1_stream_op::source_cancel_, true> {
        void operator()(error_code ec, std::optional<item_type> item) { this->self.p->on_next(ec, std::move(item)); }
    };

    // Held by the source for as long as the stream is held back.
    struct source_watch_handler : base::template cancellable_handler<&http1_stream_op::source_watch_cancel_, true> {
        void operator()(error_code ec) { this->self.p->on_source_watch(ec); }
    };

    struct write_handler : base::template cancellable_handler<&http1_stream_op::write_cancel_> {
        void operator()(error_code ec, std::size_t) { this->self.p->on_write(ec); }
    };

    struct read_handler : base::template cancellable_handler<&http1_stream_op::read_cancel_, true> {
        void operator()(error_code ec, std::size_t n) { this->self.p->on_read(ec, n); }
    };

    struct timer_handler : sub_handler {
        void operator()() { this->self.p->on_timer(); }
    };

    void on_timer()
    {
        engine_.timer_fired(clock::now());
        run();
    }

    void on_turn()
    {
        engine_.turn_done();
        run();
    }

    AsyncStream& stream_;
    DynamicBuffer* buffer_;
    op_timer<http1_stream_op, timer_handler> timer_;
    op_signal source_cancel_;
    op_signal source_watch_cancel_;
    op_signal write_cancel_;
    op_signal read_cancel_;
    stream_engine engine_;
    std::optional<Source> source_;
    std::function<void(error_code)> on_end_;
    // What writing needs, kept from write to write while the stream is busy
    // and let go when it is idle.
    struct write_storage {
        std::string head;                     // the response header, until it is written
        std::vector<net::const_buffer> buffers; // the write in flight: framing and payload
        std::vector<item_type> batch;         // a backlog being taken
        char size_line[20] = {};              // the chunk size line of the write in flight
    };

    write_storage& writes()
    {
        if (!writes_)
            writes_ = std::make_unique<write_storage>();
        return *writes_;
    }

    std::unique_ptr<write_storage> writes_;
    std::array<char, 1> scratch_{};
    bool chunked_;
};

// The initiation: the response's parts are taken when the operation is
// launched (a deferred async_write does not empty the response before).
template <class AsyncStream, class DynamicBuffer>
struct run_stream_op {
    AsyncStream* stream;
    DynamicBuffer* buffer;

    using executor_type = typename AsyncStream::executor_type;

    executor_type get_executor() const noexcept { return stream->get_executor(); }

    template <class Handler, class Source>
    void operator()(Handler&& handler, stream_response<Source>* response) const
    {
        launch(std::forward<Handler>(handler), response->release());
    }

    template <class Handler, class Source>
    void operator()(Handler&& handler, stream_response<Source>&& response) const
    {
        launch(std::forward<Handler>(handler), response.release());
    }

private:
    template <class Handler, class Parts>
    void launch(Handler&& handler, Parts&& parts) const
    {
        static_assert(
            beast::is_async_stream<AsyncStream>::value,
            "AsyncStream type requirements not met: see Beast's AsyncStream"
        );
        using source_type = std::remove_cvref_t<decltype(parts.source)>;
        using op = http1_stream_op<AsyncStream, DynamicBuffer, source_type, std::decay_t<Handler>>;
        std::decay_t<Handler> h(std::forward<Handler>(handler));
        op::create(std::move(h), stream->get_executor(), *stream, buffer, std::move(parts))->start();
    }
};

} // namespace detail

template <class Source>
content_coding stream_response<Source>::coding() const noexcept
{
    return detail::choose_coding(accepted_, options_.compression);
}

template <class Source>
auto stream_response<Source>::release() -> parts
{
    namespace http = beast::http;
    SSE_ASSERT(source_.has_value()); // a response is written once
    auto const c = coding();
    if (c != content_coding::identity)
        header_.set(http::field::content_encoding, to_string(c));
    if (options_.compression.enabled &&
        (coding_available(content_coding::gzip) || coding_available(content_coding::br))) {
        // Caches must key the response on what the client accepts.
        auto const vary = header_[http::field::vary];
        if (vary.empty())
            header_.set(http::field::vary, "Accept-Encoding");
        else if (!detail::lists_token(vary, "Accept-Encoding") && !detail::lists_token(vary, "*"))
            header_.set(http::field::vary, std::string(vary) + ", Accept-Encoding");
    }
    bool const shared = c == content_coding::gzip && shares_blocks();
    parts p{std::move(header_), options_, std::move(*source_), std::move(on_end_), keep_alive_, c, shared};
    source_.reset();
    return p;
}

template <class Source>
template <class Body, class Fields, adaptable_source S>
    requires std::same_as<source_for_t<S>, Source>
stream_response<Source>::stream_response(
    beast::http::request<Body, Fields> const& request,
    S&& source,
    stream_options const& options
)
    : options_(options)
    , source_(as_source(std::forward<S>(source)))
{
    namespace http = beast::http;
    unsigned const version = request.version() >= 11 ? 11 : 10;
    header_.version(version);
    header_.result(http::status::ok);
    header_.set(http::field::content_type, "text/event-stream");
    header_.set(http::field::cache_control, "no-cache");
    if (options_.no_accel_buffering)
        header_.set("X-Accel-Buffering", "no");
    // HTTP/1.0: the body ends with the connection.
    keep_alive_ = version == 11 && request.keep_alive();
    if (auto const it = request.find("Last-Event-ID"); it != request.end())
        last_event_id_.emplace(it->value());
    detail::check_compression_options(options_.compression);
    // Repeated lines are one list (RFC 9110 5.3).
    std::string accept_encoding;
    auto const lines = request.equal_range(http::field::accept_encoding);
    for (auto it = lines.first; it != lines.second; ++it) {
        if (!accept_encoding.empty())
            accept_encoding += ',';
        accept_encoding.append(it->value().data(), it->value().size());
    }
    accepted_ = detail::accepted_codings::parse(accept_encoding);
}

template <class Source>
template <class Other>
    requires(!std::same_as<Other, Source> && std::constructible_from<Source, Other &&>)
stream_response<Source>::stream_response(stream_response<Other>&& other)
    : header_(std::move(other.header_))
    , options_(other.options_)
    , last_event_id_(std::move(other.last_event_id_))
    , on_end_(std::move(other.on_end_))
    , accepted_(other.accepted_)
    , keep_alive_(other.keep_alive_)
    , shareable_(other.shareable_)
{
    SSE_ASSERT(other.source_.has_value()); // a response is written once
    source_.emplace(std::move(*other.source_));
    other.source_.reset();
}

template <class Source>
template <class AsyncStream, net::completion_token_for<void(error_code)> CompletionToken>
auto stream_response<Source>::async_write(AsyncStream& stream, CompletionToken&& token)
{
    return sse::async_write(stream, *this, std::forward<CompletionToken>(token));
}

template <
    class AsyncStream,
    class DynamicBuffer,
    class Source,
    net::completion_token_for<void(error_code)> CompletionToken>
    requires net::is_dynamic_buffer<DynamicBuffer>::value
auto async_write(AsyncStream& stream, DynamicBuffer& buffer, stream_response<Source>& response, CompletionToken&& token)
{
    return net::async_initiate<CompletionToken, void(error_code)>(
        detail::run_stream_op<AsyncStream, DynamicBuffer>{&stream, &buffer}, token, &response
    );
}

template <
    class AsyncStream,
    class DynamicBuffer,
    class Source,
    net::completion_token_for<void(error_code)> CompletionToken>
    requires net::is_dynamic_buffer<DynamicBuffer>::value
auto async_write(AsyncStream& stream, DynamicBuffer& buffer, stream_response<Source>&& response, CompletionToken&& token)
{
    return net::async_initiate<CompletionToken, void(error_code)>(
        detail::run_stream_op<AsyncStream, DynamicBuffer>{&stream, &buffer}, token, std::move(response)
    );
}

template <class AsyncStream, class Source, net::completion_token_for<void(error_code)> CompletionToken>
auto async_write(AsyncStream& stream, stream_response<Source>& response, CompletionToken&& token)
{
    return net::async_initiate<CompletionToken, void(error_code)>(
        detail::run_stream_op<AsyncStream, detail::no_buffer>{&stream, nullptr}, token, &response
    );
}

template <class AsyncStream, class Source, net::completion_token_for<void(error_code)> CompletionToken>
auto async_write(AsyncStream& stream, stream_response<Source>&& response, CompletionToken&& token)
{
    return net::async_initiate<CompletionToken, void(error_code)>(
        detail::run_stream_op<AsyncStream, detail::no_buffer>{&stream, nullptr}, token, std::move(response)
    );
}

} // namespace sse

#endif
