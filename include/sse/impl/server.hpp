//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_IMPL_SERVER_HPP
#define SSE_IMPL_SERVER_HPP

#include <sse/detail/counted_ref.hpp>
#include <sse/detail/deadline_queue.hpp>
#include <sse/error.hpp>
#include <sse/http1.hpp>
#include <sse/http2/alpn.hpp>
#include <sse/http2/detect.hpp>
#include <sse/http2/serve.hpp>

#include <boost/asio/as_tuple.hpp>
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
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/intrusive/list.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <string_view>
#include <type_traits>
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

// The connection ended because its peer stopped reading: an event stream
// held back behind it was dropped by its broadcaster, or a write took
// longer than its stream's send timeout.
inline bool peer_stopped_reading(error_code ec) noexcept
{
    return ec == error::slow_subscriber || ec == error::send_timeout;
}

// What the per-connection serve operations call: the server's handler,
// given the connection's executor when it takes one (the executor lives in
// the connection: two pointers kept for the connection's life).
template <class Handler>
struct connection_handler {
    Handler* handler;
    net::any_io_executor const* executor;

    decltype(auto) operator()(request&& req)
    {
        if constexpr (std::is_invocable_v<Handler&, request&&, net::any_io_executor const&>)
            return (*handler)(std::move(req), *executor);
        else
            return (*handler)(std::move(req));
    }
};

template <class Handler>
struct server_state : std::enable_shared_from_this<server_state<Handler>> {
    using executor_type = net::any_io_executor;
    using tcp = net::ip::tcp;
    using clock = std::chrono::steady_clock;
    using time_point = clock::time_point;

    // What the server sees of a connection: on its list while served, and
    // told to stop or close on the connection's strand.
    class connection_base {
    public:
        using hook_type = boost::intrusive::list_member_hook<boost::intrusive::link_mode<boost::intrusive::safe_link>>;

        connection_base() = default;
        connection_base(connection_base const&) = delete;
        connection_base& operator=(connection_base const&) = delete;

        // The connection's strand (its socket's executor).
        virtual executor_type const& strand() const noexcept = 0;

        // On the strand: a graceful stop (partial), or an immediate one (terminal).
        virtual void stop(net::cancellation_type type) = 0;
        // On the strand: close the socket, whatever the connection is doing.
        virtual void close() = 0;

        // References, from any thread: the connection's own steps hold one,
        // and so does each stop or close on its way to the strand.
        void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
        void release_ref() noexcept
        {
            if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1)
                delete this;
        }

        hook_type hook; // on the server's list, under its mutex

    protected:
        virtual ~connection_base() = default;

    private:
        std::atomic<std::uint32_t> refs_{0};
    };

    using connection_list = boost::intrusive::list<
        connection_base,
        boost::intrusive::member_hook<connection_base, typename connection_base::hook_type, &connection_base::hook>,
        boost::intrusive::constant_time_size<true>>;

    using connection_ref = counted_ref<connection_base>;

    // One connection and its steps, without a coroutine frame: the
    // protocol by TLS ALPN or by the HTTP/2 preface, the connection served
    // until it ends or the server stops it, then a graceful close. `Tls`:
    // an ssl::stream over the socket. Each pending step's handler holds a
    // reference; the connection goes with the last.
    template <bool Tls>
    class connection final : public connection_base {
        using stream_type = std::conditional_t<Tls, net::ssl::stream<tcp::socket>, tcp::socket>;

        enum class phase {
            starting,
            handshake,  // reading the first bytes (plain), or the TLS handshake
            serving,    // http1::async_serve or http2::async_serve
            closing,    // after serving: plain: reading until the peer closes; TLS: close_notify
            done,
        };

    public:
        template <class... Args>
        connection(std::shared_ptr<server_state> server, tcp::socket socket, Args&&... tls)
            : server_(std::move(server))
            , stream_(std::move(socket), std::forward<Args>(tls)...)
            , timer_(*this, lowest().get_executor())
        {
        }

        ~connection() override
        {
            if (this->hook.is_linked()) // its context shut down while it ran
                server_->finished(*this);
        }

        // The strand is the socket's: it lives as long as the connection.
        executor_type const& strand() const noexcept override
        {
            return const_cast<connection*>(this)->lowest().get_executor();
        }
        net::any_io_executor get_executor() const noexcept { return strand(); }

        // On the strand: the first step.
        void start()
        {
            phase_ = phase::handshake;
            if (stop_ != net::cancellation_type::none)
                return finish();
            arm(server_->options.handshake_timeout);
            if constexpr (Tls)
                stream_.async_handshake(net::ssl::stream_base::server, step_handler{connection_ref(this)});
            else
                http2::async_detect_preface(stream_, buffer_, detect_handler{connection_ref(this)});
        }

        void stop(net::cancellation_type type) override
        {
            stop_ |= type;
            switch (phase_) {
            case phase::starting:
            case phase::done: break;
            case phase::handshake:
                // No request can have begun: the wait ends at once.
                close();
                break;
            case phase::serving: serve_stop_.emit(type); break;
            case phase::closing:
                // A plain connection stops reading; TLS sends close_notify
                // within its limit (or, on a terminal stop, not at all).
                if (!Tls || (type & net::cancellation_type::terminal) != net::cancellation_type::none)
                    close();
                break;
            }
        }

        void close() override
        {
            error_code ignored;
            lowest().close(ignored);
        }

    private:
        tcp::socket& lowest() noexcept
        {
            if constexpr (Tls)
                return stream_.next_layer();
            else
                return stream_;
        }

        // A step (the handshake, the close) has a time limit: past it the
        // socket is closed, which ends the step.
        void arm(std::chrono::milliseconds limit)
        {
            due_ = clock::now() + limit;
            timing_ = true;
            if (!waiting_) {
                waiting_ = true;
                timer_.arm(due_);
            }
        }

        void disarm()
        {
            timing_ = false;
            if (waiting_)
                timer_.cancel(); // its handler comes, and finds nothing due
        }

        void on_timer()
        {
            waiting_ = false;
            if (!timing_)
                return;
            if (clock::now() < due_) { // armed again while a cancelled wait came back
                waiting_ = true;
                timer_.arm(due_);
                return;
            }
            timing_ = false;
            close();
        }

        // The handshake (TLS), or the first bytes (plain), are in.
        void handshaken(error_code ec, bool h2)
        {
            disarm();
            if (ec) {
                if constexpr (Tls) {
                    if (!routine_end(ec))
                        server_->report(ec, "tls handshake");
                }
                return finish();
            }
            if (stop_ != net::cancellation_type::none)
                return finish();
            h2_ = h2;
            phase_ = phase::serving;
            connection_handler<Handler> h{&server_->handler, &lowest().get_executor()};
            try {
                if (h2)
                    http2::async_serve(stream_, buffer_, h, server_->options, serve_handler{connection_ref(this)});
                else
                    http1::async_serve(stream_, buffer_, h, server_->options, serve_handler{connection_ref(this)});
            } catch (...) {
                server_->report_exception(std::current_exception());
                finish();
            }
        }

        void served(error_code ec)
        {
            if (!routine_end(ec))
                server_->report(ec, h2_ ? "http2" : "http1");
            phase_ = phase::closing;
            buffer_.consume(buffer_.size());
            buffer_.shrink_to_fit();
            if (peer_stopped_reading(ec)) {
                // A reset, not a graceful close: the peer would never read
                // a close_notify or what the kernel still holds for it, and
                // an orphaned socket keeps those bytes (up to its send
                // buffer, megabytes) until the kernel gives up on it.
                error_code ignored;
                lowest().set_option(net::socket_base::linger(true, 0), ignored);
                return finish();
            }
            if constexpr (Tls) {
                // close_notify, so that a body ended by the close reads as complete.
                arm(stop_ != net::cancellation_type::none ? std::chrono::milliseconds(250)
                                                          : std::chrono::milliseconds(1000));
                stream_.async_shutdown(step_handler{connection_ref(this)});
            } else {
                // Close gracefully: the send side first, then read what the
                // peer still sends until it closes (1 s at most; not when
                // the server stops). Closing a socket with unread bytes
                // sends a reset, which can destroy the last answer (a
                // GOAWAY) before the peer reads it.
                lowest().shutdown(tcp::socket::shutdown_send, ec);
                if (stop_ != net::cancellation_type::none)
                    return finish();
                arm(std::chrono::seconds(1));
                drain();
            }
        }

        void drain()
        {
            stream_.async_read_some(buffer_.prepare(512), drain_handler{connection_ref(this)});
        }

        void drained(error_code ec)
        {
            buffer_.consume(buffer_.size());
            if (!ec && stop_ == net::cancellation_type::none)
                return drain();
            disarm();
            finish();
        }

        // The last step: off the server's list; the socket closes with the
        // connection, once the last handler holding it is gone.
        void finish()
        {
            if (phase_ == phase::done)
                return;
            phase_ = phase::done;
            close();
            server_->finished(*this);
        }

        // The handlers of the steps.
        struct handler_base {
            connection_ref self;

            using executor_type = net::any_io_executor;
            executor_type get_executor() const noexcept { return static_cast<connection*>(self.p)->get_executor(); }

            // It runs on the socket's executor (see async_op).
            using io_executor_handler = void;

            connection& c() const noexcept { return *static_cast<connection*>(self.p); }
        };

        struct detect_handler : handler_base {
            void operator()(error_code ec, bool h2) const { this->c().handshaken(ec, h2); }
        };

        struct step_handler : handler_base {
            void operator()(error_code ec) const
            {
                auto& c = this->c();
                if (c.phase_ == phase::handshake)
                    return c.handshaken(ec, Tls && !ec && http2::negotiated_h2(c.stream_));
                c.disarm();
                c.finish();
            }
        };

        struct serve_handler : handler_base {
            using cancellation_slot_type = net::cancellation_slot;
            cancellation_slot_type get_cancellation_slot() const noexcept { return this->c().serve_stop_.slot(); }

            void operator()(error_code ec) const { this->c().served(ec); }
        };

        struct drain_handler : handler_base {
            void operator()(error_code ec, std::size_t n) const
            {
                auto& c = this->c();
                c.buffer_.commit(n);
                c.drained(ec);
            }
        };

        struct timer_handler {
            counted_ref<connection> self;

            using executor_type = net::any_io_executor;
            executor_type get_executor() const noexcept { return self.p->get_executor(); }

            void operator()() const { self.p->on_timer(); }
        };

        friend class op_timer<connection, timer_handler>;

        std::shared_ptr<server_state> server_;
        stream_type stream_;
        beast::flat_buffer buffer_; // empty while a stream is served
        net::cancellation_signal serve_stop_;
        op_timer<connection, timer_handler> timer_;
        time_point due_{};
        net::cancellation_type stop_ = net::cancellation_type::none;
        phase phase_ = phase::starting;
        bool h2_ = false;
        bool waiting_ = false; // the deadline is armed, or its handler is on its way
        bool timing_ = false;  // a step has a deadline
    };

    // Starts serving an accepted socket: a plain or a TLS connection.
    using launcher = void (*)(server_state&, tcp::socket);

    // The launcher for `tls` (null: plain TCP), chosen where the server is
    // made: a server constructed for plain TCP alone never instantiates the
    // TLS connection (its handshake, and both protocols over ssl::stream),
    // which is about a third of what a server costs to compile.
    template <bool Tls>
    static void launch_connection(server_state& s, tcp::socket socket)
    {
        if constexpr (Tls)
            s.launch(new connection<true>(s.shared_from_this(), std::move(socket), *s.tls));
        else
            s.launch(new connection<false>(s.shared_from_this(), std::move(socket)));
    }

    server_state(executor_type ex, tcp::acceptor a, net::ssl::context* t, launcher l, Handler h, server_options o)
        : executor(std::move(ex))
        , strand(net::make_strand(executor))
        , acceptor(std::move(a))
        , deadline(strand)
        , handler(std::move(h))
        , options(std::move(o))
        , tls(t)
        , start_connection(l)
    {
        SSE_ASSERT(start_connection);
        if (tls)
            http2::enable_alpn(*tls);
    }

    ~server_state() { SSE_ASSERT(connections.empty()); }

    executor_type executor; // the one given; connections get strands of it
    executor_type strand;   // the acceptor's, the signals', the deadline's
    tcp::acceptor acceptor;
    std::optional<net::signal_set> signals;
    net::steady_timer deadline;
    Handler handler;
    server_options const options;
    net::ssl::context* tls;
    launcher const start_connection; // launch_connection<true> or <false>

    mutable std::mutex mutex; // guards what follows
    connection_list connections;
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

    // Runs on the acceptor's strand, as stop() does: a connection is on the
    // list before stop() can look for it (and only admit() adds to it).
    void admit(tcp::socket socket)
    {
        bool full = false;
        {
            std::lock_guard lock(mutex);
            full = connections.size() >= options.max_connections;
        }
        if (full)
            return refuse(std::move(socket));
        try {
            start_connection(*this, std::move(socket));
        } catch (...) {
            report_exception(std::current_exception()); // no memory, or no TLS session: the socket goes
        }
    }

    template <class Connection>
    void launch(Connection* conn)
    {
        counted_ref<Connection> keep(conn);
        {
            std::lock_guard lock(mutex);
            connections.push_back(*conn);
        }
        auto const& strand = conn->strand();
        net::dispatch(strand, [c = std::move(keep)]() { c.p->start(); });
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

    // Read what the peer sends until it closes, `limit` at most (a refused
    // connection).
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

    // On the connection's strand, once it is over.
    void finished(connection_base& conn)
    {
        std::lock_guard lock(mutex);
        connections.erase(connections.iterator_to(conn));
        if (stopping && connections.empty())
            net::post(strand, [self = this->shared_from_this()] { self->deadline.cancel(); });
    }

    // A connection that could not go on: it is reported as `session`.
    void report_exception(std::exception_ptr e) const noexcept
    {
        try {
            std::rethrow_exception(e);
        } catch (system_error const& ex) {
            report(ex.code(), "session");
        } catch (...) {
            report(make_error_code(boost::system::errc::state_not_recoverable), "session");
        }
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

    // Every connection on the list, each with a reference (under the
    // mutex: none is destroyed before it is off the list).
    std::vector<connection_ref> listed() const
    {
        std::vector<connection_ref> out;
        std::lock_guard lock(mutex);
        out.reserve(connections.size());
        for (auto& c : connections)
            out.emplace_back(const_cast<connection_base*>(&c));
        return out;
    }

    // On the acceptor's strand: stop accepting, end every connection
    // gracefully (a partial stop, on its strand), and end what is left at
    // the deadline.
    void stop_now()
    {
        error_code ignored;
        acceptor.close(ignored);
        if (signals)
            signals->cancel(ignored);
        {
            std::lock_guard lock(mutex);
            if (stopping)
                return;
            stopping = true;
        }
        auto open = listed();
        emit_all(open, net::cancellation_type::partial);
        if (open.empty())
            return;
        deadline.expires_after(options.shutdown_timeout);
        deadline.async_wait([self = this->shared_from_this()](error_code ec) {
            if (!ec)
                self->cut_off();
        });
    }

    // The deadline passed: what is left ends at once; a connection that
    // does not (a TLS shutdown the peer ignores) has its socket closed a
    // little later.
    void cut_off()
    {
        auto left = listed();
        if (left.empty())
            return;
        emit_all(left, net::cancellation_type::terminal);
        deadline.expires_after(std::chrono::milliseconds(500));
        deadline.async_wait([self = this->shared_from_this()](error_code ec) {
            if (ec)
                return;
            for (auto& c : self->listed()) {
                auto const& strand = c.p->strand();
                net::dispatch(strand, [c = std::move(c)] { c.p->close(); });
            }
        });
    }

    static void emit_all(std::vector<connection_ref>& conns, net::cancellation_type type)
    {
        for (auto& c : conns) {
            auto const& strand = c.p->strand();
            net::dispatch(strand, [c = std::move(c), type] { c.p->stop(type); });
        }
    }
};

} // namespace sse::detail

namespace sse {

template <class Handler>
server<Handler>::server(executor_type ex, net::ip::tcp::endpoint endpoint, Handler handler, server_options options)
    // Opened, SO_REUSEADDR, bound and listening.
    : state_(make_state(
          net::ip::tcp::acceptor(ex, endpoint), nullptr, &state_type::template launch_connection<false>,
          std::move(handler), std::move(options)
      ))
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
    : state_(make_state(
          net::ip::tcp::acceptor(ex, endpoint), &tls, &state_type::template launch_connection<true>, std::move(handler),
          std::move(options)
      ))
{
}

template <class Handler>
server<Handler>::server(
    net::ip::tcp::acceptor acceptor,
    net::ssl::context* tls,
    Handler handler,
    server_options options
)
    : state_(make_state(
          std::move(acceptor), tls,
          tls ? &state_type::template launch_connection<true> : &state_type::template launch_connection<false>,
          std::move(handler), std::move(options)
      ))
{
}

template <class Handler>
auto server<Handler>::make_state(
    net::ip::tcp::acceptor acceptor,
    net::ssl::context* tls,
    typename state_type::launcher launch,
    Handler handler,
    server_options options
) -> std::shared_ptr<state_type>
{
    auto ex = acceptor.get_executor();
    return std::make_shared<state_type>(
        std::move(ex), std::move(acceptor), tls, launch, std::move(handler), std::move(options)
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
