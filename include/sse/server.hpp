//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_SERVER_HPP
#define SSE_SERVER_HPP

// A whole server: listener, protocol detection, TLS, limits, shutdown.
// Needs the CMake target sse::server (nghttp2 and OpenSSL).

#include <sse/detail/config.hpp>
#include <sse/handler.hpp>
#include <sse/server_options.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <concepts>
#include <csignal>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <type_traits>

namespace sse {

namespace detail {
template <class Handler>
struct server_state;
} // namespace detail

/** A request handler of `sse::server`: an `sse::request_handler`, or one
    that also takes the connection's executor.

    Given a type `H` and an lvalue `h` of type `H`: either `h(std::move(req))`
    is valid as for `request_handler`, or `h(std::move(req), ex)`, where `ex`
    is the connection's `net::any_io_executor` (a strand of its own), returns
    what a `request_handler` may return. A producer coroutine made in the
    handler runs on `ex`, beside the connection.
*/
template <class H>
concept server_handler = request_handler<H> ||
                         (std::invocable<H&, request&&, net::any_io_executor const&> &&
                          detail::handler_answer_ok<std::invoke_result_t<H&, request&&, net::any_io_executor const&>>);

/** An HTTP server that answers every request with one handler, over
    HTTP/1.x and HTTP/2, on plain TCP or TLS.

    It accepts connections, sets `TCP_NODELAY` on each, tells the protocol
    (on plain TCP by the HTTP/2 client preface, for h2c with prior
    knowledge; over TLS by ALPN, `h2` then `http/1.1`), and serves each
    connection on a strand of its own with `http1::async_serve` or
    `http2::async_serve`, which see. Run the execution context on as many
    threads as you like.

    @par Example
    @code
    int main()
    {
        net::io_context ioc;
        sse::server server(ioc, {net::ip::make_address("127.0.0.1"), 8080},
            [](sse::request&& req, net::any_io_executor const& ex) -> sse::response {
                if (req.target() == "/events")
                    return sse::stream_response{req, ticks(ex)};
                return sse::make_response(req, beast::http::status::not_found, "not found\n");
            });
        server.stop_on_signals(); // SIGINT, SIGTERM
        server.start();
        ioc.run(); // returns once the server has stopped
    }
    @endcode

    @par Limits
    `options.max_connections` connections at once: past it a plain TCP
    connection gets `503 Service Unavailable` and is closed, a TLS one is
    closed before its handshake. `options.handshake_timeout` bounds the
    wait for a connection's first bytes and for its TLS handshake; the
    other limits are those of `http1::async_serve` and
    `http2::async_serve`.

    @par Closing
    A connection is closed gracefully, except one whose HTTP/1.1 event
    stream ended because the client stopped reading
    (`error::slow_subscriber`, `error::send_timeout`): it is reset, so that
    the kernel drops what the client never read at once.

    @par Shutdown
    `stop()` (or a signal given to `stop_on_signals`) stops accepting and
    ends every connection gracefully: event streams end cleanly (HTTP/1.1:
    the last chunk; HTTP/2: END_STREAM, then GOAWAY), answers being
    written are finished, idle connections close. Connections still open
    after `options.shutdown_timeout` are ended at once (streams aborted,
    sockets closed). When the last connection is gone, nothing of the
    server is left in the execution context: `io_context::run` returns if
    nothing else runs.

    @par Errors
    A handler that throws answers 500 (see `request_handler`); the
    exception goes to `options.on_handler_exception`. Connections that end
    with an error that is not routine, and failures to accept, go to
    `options.on_connection_error`.

    @tparam Handler A `server_handler`. It is called on many connections'
    strands at once when the execution context runs on several threads:
    calling it must then be thread-safe.

    @par Thread Safety
    Distinct objects: Safe. Shared objects: `stop()` and
    `connection_count()` are safe from any thread; the rest, Unsafe.
*/
template <class Handler>
class server {
    static_assert(
        server_handler<Handler>,
        "Handler requirements not met: a request handler takes an sse::request&& (and optionally the connection's "
        "net::any_io_executor) and returns sse::response, a beast::http::response or an sse::stream_response, or a "
        "net::awaitable of one: see sse/handler.hpp and sse/server.hpp"
    );

public:
    /// The executor the server accepts on; each connection runs on a strand of it.
    using executor_type = net::any_io_executor;

    /** Listens on `endpoint`, serving plain TCP (HTTP/1.x and h2c).

        The acceptor is opened, bound (with `SO_REUSEADDR`) and listening
        when the constructor returns, so `local_endpoint()` tells the port
        when `endpoint` asked for port 0. Nothing is accepted before
        `start()`.

        @throws system_error when the endpoint cannot be bound.
    */
    server(executor_type ex, net::ip::tcp::endpoint endpoint, Handler handler, server_options options = {});

    /// @copydoc server(executor_type, net::ip::tcp::endpoint, Handler, server_options)
    template <class ExecutionContext>
        requires std::is_convertible_v<ExecutionContext&, net::execution_context&>
    server(ExecutionContext& ctx, net::ip::tcp::endpoint endpoint, Handler handler, server_options options = {})
        : server(executor_type(ctx.get_executor()), endpoint, std::move(handler), std::move(options))
    {
    }

    /** Listens on `endpoint`, serving TLS (HTTP/2 or HTTP/1.1 by ALPN).

        @param tls The TLS context, with its certificate and key; ALPN is
        enabled on it (`http2::enable_alpn`). It must outlive the server's
        last connection.
    */
    server(
        executor_type ex,
        net::ip::tcp::endpoint endpoint,
        net::ssl::context& tls,
        Handler handler,
        server_options options = {}
    );

    /// @copydoc server(executor_type, net::ip::tcp::endpoint, net::ssl::context&, Handler, server_options)
    template <class ExecutionContext>
        requires std::is_convertible_v<ExecutionContext&, net::execution_context&>
    server(
        ExecutionContext& ctx,
        net::ip::tcp::endpoint endpoint,
        net::ssl::context& tls,
        Handler handler,
        server_options options = {}
    )
        : server(executor_type(ctx.get_executor()), endpoint, tls, std::move(handler), std::move(options))
    {
    }

    /** Serves the connections of an acceptor the caller opened and set up
        (listening); the server takes it. `tls` as above, or null for plain
        TCP.

        Since `tls` is known only at run time, this constructor compiles
        both the plain and the TLS connection; each of the others compiles
        only the one it serves.
    */
    server(net::ip::tcp::acceptor acceptor, net::ssl::context* tls, Handler handler, server_options options = {});

    server(server const&) = delete;
    server& operator=(server const&) = delete;

    /// Stops the server (see `stop()`); connections end on their own afterwards.
    ~server();

    /// The address and port listened on.
    net::ip::tcp::endpoint local_endpoint() const;

    /// Starts accepting connections. Call it once.
    void start();

    /** Stops the server gracefully: see the class' Shutdown paragraph.

        Returns at once; the connections end afterwards, on their strands.
        Calling it again does nothing.
    */
    void stop();

    /** Calls `stop()` when one of the signals arrives (by default SIGINT or
        SIGTERM). The signals are no longer watched once the server stops.
    */
    void stop_on_signals(std::initializer_list<int> signals = {SIGINT, SIGTERM});

    /// The number of connections being served.
    std::size_t connection_count() const;

    /// The options.
    server_options const& options() const noexcept;

private:
    using state_type = detail::server_state<Handler>;

    static std::shared_ptr<state_type> make_state(
        net::ip::tcp::acceptor acceptor,
        net::ssl::context* tls,
        typename state_type::launcher launch,
        Handler handler,
        server_options options
    );

    std::shared_ptr<state_type> state_; // shared with every connection
};

template <class Handler>
server(net::any_io_executor, net::ip::tcp::endpoint, Handler, server_options = {}) -> server<Handler>;

template <class ExecutionContext, class Handler>
    requires std::is_convertible_v<ExecutionContext&, net::execution_context&>
server(ExecutionContext&, net::ip::tcp::endpoint, Handler, server_options = {}) -> server<Handler>;

template <class Handler>
server(net::any_io_executor, net::ip::tcp::endpoint, net::ssl::context&, Handler, server_options = {})
    -> server<Handler>;

template <class ExecutionContext, class Handler>
    requires std::is_convertible_v<ExecutionContext&, net::execution_context&>
server(ExecutionContext&, net::ip::tcp::endpoint, net::ssl::context&, Handler, server_options = {})
    -> server<Handler>;

} // namespace sse

#include <sse/impl/server.hpp>

#endif
