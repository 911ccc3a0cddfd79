//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_IMPL_SERVER_HPP
#define SSE_IMPL_SERVER_HPP

#include <sse/error.hpp>
#include <sse/http1.hpp>
#include <sse/http2/alpn.hpp>
#include <sse/http2/detect.hpp>
#include <sse/http2/serve.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>

#include <chrono>
#include <exception>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

namespace sse::detail {

// Whether a connection's end is routine: the peer left or reset, timed
// out, sent what was refused (its 4xx told it), or the server stopped.
inline bool routine_end(error_code ec) noexcept
{
    return !ec || ec == net::error::operation_aborted || ec == net::error::eof || ec == net::error::connection_reset ||
           ec == net::error::broken_pipe || ec == net::error::not_connected || ec == beast::error::timeout ||
           ec == error::peer_gone || ec == net::ssl::error::stream_truncated ||
           ec.category() == make_error_code(beast::http::error::end_of_stream).category();
}

// What the per-connection serve operations call: the server's handler,
// given the connection's executor when it takes one.
template <class Handler>
struct connection_handler {
    Handler* handler;
    net::any_io_executor executor;

    decltype(auto) operator()(request&& req)
    {
        if constexpr (std::is_invocable_v<Handler&, request&&, net::any_io_executor const&>)
            return (*handler)(std::move(req), std::as_const(executor));
        else
            return (*handler)(std::move(req));
    }
};

template <class Handler>
struct server_state : std::enable_shared_from_this<server_state<Handler>> {
    using executor_type = net::any_io_executor;
    using tcp = net::ip::tcp;
    using clock = std::chrono::steady_clock;

    // One connection: its strand, and how the server ends it.
    struct connection {
        explicit connection(executor_type ex) : strand(std::move(ex)) {}

        executor_type strand;
        net::cancellation_signal stop; // emitted on the strand
        tcp::socket* socket = nullptr; // while the session runs; on the strand only
    };

    server_state(executor_type ex, tcp::acceptor a, net::ssl::context* t, Handler h, server_options o)
        : executor(std::move(ex))
        , strand(net::make_strand(executor))
        , acceptor(std::move(a))
        , deadline(strand)
        , handler(std::move(h))
        , options(std::move(o))
        , tls(t)
    {
        if (tls)
            http2::enable_alpn(*tls);
    }

    executor_type executor; // the one given; connections get strands of it
    executor_type strand;   // the acceptor's, the signals', the deadline's
    tcp::acceptor acceptor;
    std::optional<net::signal_set> signals;
    net::steady_timer deadline;
    Handler handler;
    server_options const options;
    net::ssl::context* tls;

    mutable std::mutex mutex; // guards what follows
    std::unordered_set<std::shared_ptr<connection>> connections;
    std::size_t lingering = 0; // refused connections still being closed
    bool stopping = false;

    // ------------------------------------------------------- accepting

    net::awaitable<void> accept_loop()
    {
        auto const self = this->shared_from_this();
        for (;;) {
            // Every connection gets a strand of its own: its handlers never
            // run at once, whatever the number of threads.
            auto [ec, socket] = co_await acceptor.async_accept(connection_strand(), net::as_tuple(net::use_awaitable));
            if (!acceptor.is_open())
                co_return; // stopped
            if (ec) {
                // Out of descriptors, or a connection reset while queued: go on.
                report(ec, "accept");
                net::steady_timer pause(strand, std::chrono::milliseconds(50));
                co_await pause.async_wait(net::as_tuple(net::use_awaitable));
                continue;
            }
            // Short answers go out at once, not after the peer's delayed ACK.
            error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            admit(std::move(socket));
        }
    }

    // A strand for a new connection: on an io_context's own executor type
    // when that is what the server was given (a strand over the type-erased
    // executor would dispatch through two layers on every handler).
    executor_type connection_strand() const
    {
        if (auto const* io = executor.target<net::io_context::executor_type>())
            return net::make_strand(*io);
        return net::make_strand(executor);
    }

    // Runs on the acceptor's strand, as stop() does: a connection's slot is
    // bound before stop() can emit on it.
    void admit(tcp::socket socket)
    {
        auto conn = std::make_shared<connection>(socket.get_executor());
        bool full = false;
        {
            std::lock_guard lock(mutex);
            full = connections.size() >= options.max_connections;
            if (!full)
                connections.insert(conn);
        }
        if (full)
            return refuse(std::move(socket));
        auto self = this->shared_from_this();
        net::co_spawn(
            conn->strand,
            session(self, std::move(socket), conn),
            net::bind_cancellation_slot(conn->stop.slot(), [self, conn](std::exception_ptr e) {
                self->finished(conn, e);
            })
        );
    }

    // Past the connection limit: plain TCP gets a 503 (it fits in the
    // socket's send buffer: written at once), TLS is closed before its
    // handshake costs anything.
    void refuse(tcp::socket socket)
    {
        report(error::connection_limit, "accept"); // the user's hook: no lock held
        if (tls)
            return;
        {
            std::lock_guard lock(mutex);
            if (lingering >= 64) // a flood of refusals is closed at once
                return;
            ++lingering;
        }
        static constexpr std::string_view answer = "HTTP/1.1 503 Service Unavailable\r\n"
                                                   "Content-Type: text/plain\r\n"
                                                   "Content-Length: 21\r\n"
                                                   "Retry-After: 1\r\n"
                                                   "Connection: close\r\n"
                                                   "\r\n"
                                                   "Too many connections\n";
        error_code ec;
        socket.non_blocking(true, ec);
        socket.write_some(net::buffer(answer), ec);
        socket.shutdown(tcp::socket::shutdown_send, ec);
        if (ec) {
            std::lock_guard lock(mutex);
            --lingering;
            return;
        }
        // Read what the peer sends until it closes (1 s at most): closing
        // with unread bytes would reset the connection, answer unread.
        auto self = this->shared_from_this();
        auto ex = socket.get_executor();
        net::co_spawn(
            ex,
            [](beast::tcp_stream stream) -> net::awaitable<void> {
                co_await drain(stream, std::chrono::seconds(1));
            }(beast::tcp_stream(std::move(socket))),
            [self](std::exception_ptr) {
                std::lock_guard lock(self->mutex);
                --self->lingering;
            }
        );
    }

    // ------------------------------------------------------ connections

    static net::awaitable<bool> stopped()
    {
        auto const state = co_await net::this_coro::cancellation_state;
        co_return state.cancelled() != net::cancellation_type::none;
    }

    // A session: the protocol by TLS ALPN or by the HTTP/2 preface, then the
    // connection served until it closes or the server stops it.
    static net::awaitable<void> session(
        std::shared_ptr<server_state> self,
        tcp::socket socket,
        std::shared_ptr<connection> conn
    )
    {
        // The server's stop is a cancellation of whatever the session
        // awaits, checked between the steps, not thrown. It is partial (a
        // graceful stop: streams end cleanly) until the deadline, then
        // terminal. Before a request can have begun (the first bytes, the
        // TLS handshake), any stop ends the wait at once.
        co_await net::this_coro::throw_if_cancelled(false);
        co_await net::this_coro::reset_cancellation_state(
            [](net::cancellation_type type) { return type != net::cancellation_type::none ? net::cancellation_type::terminal : type; }
        );
        beast::tcp_stream stream(std::move(socket));
        conn->socket = &stream.socket();
        struct forget {
            connection& c;
            ~forget() { c.socket = nullptr; }
        } const forget_socket{*conn};

        if (self->tls)
            co_await self->serve_tls(std::move(stream), *conn);
        else
            co_await self->serve_plain(stream);
    }

    net::awaitable<void> serve_plain(beast::tcp_stream& stream)
    {
        beast::flat_buffer buffer;
        // The first bytes tell HTTP/2 with prior knowledge from HTTP/1.x.
        stream.expires_after(options.handshake_timeout);
        auto [ec, h2] = co_await http2::async_detect_preface(stream, buffer, net::as_tuple(net::use_awaitable));
        if (ec || co_await stopped())
            co_return;
        stream.expires_never(); // the protocols keep their own time
        co_await net::this_coro::reset_cancellation_state(net::enable_partial_cancellation());
        connection_handler<Handler> h{&handler, stream.get_executor()};
        if (h2)
            std::tie(ec) = co_await http2::async_serve(stream, buffer, h, options, net::as_tuple(net::use_awaitable));
        else
            std::tie(ec) = co_await http1::async_serve(stream, buffer, h, options, net::as_tuple(net::use_awaitable));
        if (!routine_end(ec))
            report(ec, h2 ? "http2" : "http1");
        // Close gracefully: the send side first, then read what the peer
        // still sends until it closes (1 s at most; not when the server
        // stops). Closing a socket with unread bytes sends a reset, which
        // can destroy the last answer (a GOAWAY) before the peer reads it.
        stream.socket().shutdown(tcp::socket::shutdown_send, ec);
        if (co_await stopped())
            co_return;
        co_await drain(stream, std::chrono::seconds(1));
    }

    // A coroutine of its own, so that its buffer is not part of every
    // connection's frame while the connection is served.
    static net::awaitable<void> drain(beast::tcp_stream& stream, std::chrono::milliseconds limit)
    {
        stream.expires_after(limit);
        char discard[4096];
        for (;;) {
            auto [ec, n] = co_await stream.async_read_some(net::buffer(discard), net::as_tuple(net::use_awaitable));
            if (ec)
                break;
        }
    }

    net::awaitable<void> serve_tls(beast::tcp_stream stream, connection& conn)
    {
        net::ssl::stream<beast::tcp_stream> tls_stream(std::move(stream), *tls);
        conn.socket = &tls_stream.next_layer().socket();
        beast::flat_buffer buffer;
        tls_stream.next_layer().expires_after(options.handshake_timeout);
        auto [ec] = co_await tls_stream.async_handshake(net::ssl::stream_base::server, net::as_tuple(net::use_awaitable));
        if (ec) {
            if (!routine_end(ec))
                report(ec, "tls handshake");
            co_return;
        }
        if (co_await stopped())
            co_return;
        tls_stream.next_layer().expires_never();
        co_await net::this_coro::reset_cancellation_state(net::enable_partial_cancellation());
        // ALPN chose h2, or http/1.1, or nothing (HTTP/1.1 too).
        bool const h2 = http2::negotiated_h2(tls_stream);
        connection_handler<Handler> h{&handler, tls_stream.get_executor()};
        if (h2)
            std::tie(ec) = co_await http2::async_serve(tls_stream, buffer, h, options, net::as_tuple(net::use_awaitable));
        else
            std::tie(ec) = co_await http1::async_serve(tls_stream, buffer, h, options, net::as_tuple(net::use_awaitable));
        if (!routine_end(ec))
            report(ec, h2 ? "http2" : "http1");
        // close_notify, so that a body ended by the close reads as complete.
        tls_stream.next_layer().expires_after(
            co_await stopped() ? std::chrono::milliseconds(250) : std::chrono::milliseconds(1000)
        );
        co_await tls_stream.async_shutdown(net::as_tuple(net::use_awaitable));
    }

    // On the connection's strand, once its session is over.
    void finished(std::shared_ptr<connection> const& conn, std::exception_ptr e)
    {
        conn->stop.slot().clear();
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (system_error const& ex) {
                report(ex.code(), "session");
            } catch (...) {
                report(make_error_code(boost::system::errc::state_not_recoverable), "session");
            }
        }
        std::lock_guard lock(mutex);
        connections.erase(conn);
        if (stopping && connections.empty())
            net::post(strand, [self = this->shared_from_this()] { self->deadline.cancel(); });
    }

    void report(error_code ec, std::string_view where) const noexcept
    {
        if (!options.on_connection_error)
            return;
        try {
            options.on_connection_error(ec, where);
        } catch (...) {
        }
    }

    // --------------------------------------------------------- stopping

    // On the acceptor's strand: stop accepting, end every session gracefully
    // (a partial cancellation, emitted on its strand), and end what is left
    // at the deadline.
    void stop_now()
    {
        error_code ignored;
        acceptor.close(ignored);
        if (signals)
            signals->cancel(ignored);
        std::vector<std::shared_ptr<connection>> open;
        {
            std::lock_guard lock(mutex);
            if (stopping)
                return;
            stopping = true;
            open.assign(connections.begin(), connections.end());
        }
        emit_all(open, net::cancellation_type::partial);
        if (open.empty())
            return;
        deadline.expires_after(options.shutdown_timeout);
        deadline.async_wait([self = this->shared_from_this()](error_code ec) {
            if (!ec)
                self->cut_off();
        });
    }

    // The deadline passed: what is left ends at once; a session that does
    // not (a TLS shutdown the peer ignores) has its socket closed a little
    // later.
    void cut_off()
    {
        std::vector<std::shared_ptr<connection>> left;
        {
            std::lock_guard lock(mutex);
            left.assign(connections.begin(), connections.end());
        }
        if (left.empty())
            return;
        emit_all(left, net::cancellation_type::terminal);
        deadline.expires_after(std::chrono::milliseconds(500));
        deadline.async_wait([self = this->shared_from_this()](error_code ec) {
            if (ec)
                return;
            std::vector<std::shared_ptr<connection>> stuck;
            {
                std::lock_guard lock(self->mutex);
                stuck.assign(self->connections.begin(), self->connections.end());
            }
            for (auto const& c : stuck)
                net::dispatch(c->strand, [c] {
                    error_code ignored;
                    if (c->socket)
                        c->socket->close(ignored);
                });
        });
    }

    static void emit_all(std::vector<std::shared_ptr<connection>> const& conns, net::cancellation_type type)
    {
        for (auto const& c : conns)
            net::dispatch(c->strand, [c, type] { c->stop.emit(type); });
    }
};

} // namespace sse::detail

namespace sse {

template <class Handler>
server<Handler>::server(executor_type ex, net::ip::tcp::endpoint endpoint, Handler handler, server_options options)
    // Opened, SO_REUSEADDR, bound and listening.
    : server(net::ip::tcp::acceptor(ex, endpoint), nullptr, std::move(handler), std::move(options))
{
}

template <class Handler>
server<Handler>::server(
    executor_type ex,
    net::ip::tcp::endpoint endpoint,
    net::ssl::context& tls,
    Handler handler,
    server_options options
)
    : server(net::ip::tcp::acceptor(ex, endpoint), &tls, std::move(handler), std::move(options))
{
}

template <class Handler>
server<Handler>::server(
    net::ip::tcp::acceptor acceptor,
    net::ssl::context* tls,
    Handler handler,
    server_options options
)
{
    auto ex = acceptor.get_executor();
    state_ = std::make_shared<detail::server_state<Handler>>(
        std::move(ex), std::move(acceptor), tls, std::move(handler), std::move(options)
    );
}

template <class Handler>
server<Handler>::~server()
{
    stop();
}

template <class Handler>
net::ip::tcp::endpoint server<Handler>::local_endpoint() const
{
    return state_->acceptor.local_endpoint();
}

template <class Handler>
void server<Handler>::start()
{
    auto& s = *state_;
    net::co_spawn(s.strand, s.accept_loop(), [](std::exception_ptr e) {
        if (e)
            std::rethrow_exception(e);
    });
}

template <class Handler>
void server<Handler>::stop()
{
    net::post(state_->strand, [s = state_] { s->stop_now(); });
}

template <class Handler>
void server<Handler>::stop_on_signals(std::initializer_list<int> signals)
{
    auto& s = *state_;
    s.signals.emplace(s.strand);
    for (int n : signals)
        s.signals->add(n);
    s.signals->async_wait([w = std::weak_ptr(state_)](error_code ec, int) {
        if (auto s = w.lock(); s && !ec)
            s->stop_now();
    });
}

template <class Handler>
std::size_t server<Handler>::connection_count() const
{
    std::lock_guard lock(state_->mutex);
    return state_->connections.size();
}

template <class Handler>
server_options const& server<Handler>::options() const noexcept
{
    return state_->options;
}

} // namespace sse

#endif
