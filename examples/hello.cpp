//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

//------------------------------------------------------------------------------
//
// Example: hello, world
//
// An HTTP/1.1 server written with Beast and C++20 coroutines. GET /events
// answers with an event stream that says "Hello, world!" once a second until
// the client goes away; any other request gets a 404.
//
// The messages come from a producer, a coroutine that co_yields them and
// never touches the socket. sse::stream_response writes them as they come,
// and when the client leaves it cancels the producer and destroys it.
//
// Usage:
//     hello [--address 127.0.0.1] [--port 8080] [--interval-ms 1000]
//
// Try:
//     hello
//     curl -N http://127.0.0.1:8080/events
//
// Port 0 picks a free port. Once the server accepts connections it prints
// "listening on PORT". Ctrl-C (SIGINT) or SIGTERM stops it: open streams
// end cleanly and the program exits with status 0.
//
//------------------------------------------------------------------------------

#include <sse/sources/coro.hpp>
#include <sse/stream_response.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <csignal>
#include <iostream>
#include <stdexcept>
#include <string>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using std::chrono::milliseconds;
using namespace net::experimental::awaitable_operators;

// The producer: "Hello, world!" now, then once per interval, for ever.
net::experimental::coro<sse::message> hello(net::any_io_executor ex, milliseconds interval)
{
    net::steady_timer timer(ex);
    for (;;) {
        co_yield sse::message{}.data("Hello, world!");
        timer.expires_after(interval);
        co_await timer.async_wait(net::experimental::use_coro);
    }
}

// Serves one connection until the client closes it or the server stops.
net::awaitable<void> session(beast::tcp_stream stream, milliseconds interval)
{
    beast::flat_buffer buffer;
    try {
        for (;;) {
            http::request<http::string_body> req;
            stream.expires_after(std::chrono::seconds(30));
            co_await http::async_read(stream, buffer, req, net::use_awaitable);

            if (req.method() == http::verb::get && req.target() == "/events") {
                stream.expires_never(); // a stream lasts as long as the client wants it
                sse::stream_response res{req, hello(stream.get_executor(), interval)};
                // The server's stop cancels this coroutine with terminal
                // cancellation (what `||` sends), which would end the stream
                // at once: while it runs, the write sees it as partial, and
                // ends the stream cleanly.
                co_await net::this_coro::reset_cancellation_state(net::enable_terminal_cancellation(), sse::end_cleanly);
                co_await sse::async_write(stream, buffer, res, net::use_awaitable);
                co_await net::this_coro::reset_cancellation_state();
                if (!res.keep_alive())
                    break;
                continue;
            }

            http::response<http::string_body> res{http::status::not_found, req.version()};
            res.set(http::field::content_type, "text/plain");
            res.keep_alive(req.keep_alive());
            res.body() = "Not found. Try GET /events\n";
            res.prepare_payload();
            co_await http::async_write(stream, res, net::use_awaitable);
            if (!res.keep_alive())
                break;
        }
        stream.socket().shutdown(tcp::socket::shutdown_send);
    } catch (boost::system::system_error const& e) {
        // http::error::end_of_stream: the client closed the connection;
        // sse::error::peer_gone: it left an event stream;
        // net::error::operation_aborted: the server is stopping.
        std::clog << "connection closed: " << e.code().message() << '\n';
    }
}

// Completes when the server stops. A coroutine raced against it, as in
// `session(...) || stopped(stop)`, is cancelled then. (`||` waits for the
// first side to complete without an exception: session catches its own.)
net::awaitable<void> stopped(net::steady_timer& stop)
{
    co_await stop.async_wait(net::as_tuple(net::use_awaitable));
}

// Accepts connections until the acceptor is closed, and serves each one in a
// coroutine of its own.
net::awaitable<void> listen(tcp::acceptor& acceptor, net::steady_timer& stop, milliseconds interval)
{
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(net::as_tuple(net::use_awaitable));
        if (ec) {
            std::clog << "no longer accepting: " << ec.message() << '\n';
            co_return;
        }
        auto serve = session(beast::tcp_stream(std::move(socket)), interval) || stopped(stop);
        net::co_spawn(acceptor.get_executor(), std::move(serve), net::detached);
    }
}

struct options {
    std::string address = "127.0.0.1";
    unsigned short port = 8080;
    milliseconds interval{1000};
};

options parse_options(int argc, char* argv[])
{
    options o;
    for (int i = 1; i < argc; i += 2) {
        std::string const name = argv[i];
        if (i + 1 == argc)
            throw std::invalid_argument("no value after " + name);
        std::string const value = argv[i + 1];
        if (name == "--address")
            o.address = value;
        else if (name == "--port" && std::stoul(value) <= 65535)
            o.port = static_cast<unsigned short>(std::stoul(value));
        else if (name == "--interval-ms")
            o.interval = milliseconds(std::stoul(value));
        else
            throw std::invalid_argument("bad option " + name + " " + value);
    }
    return o;
}

int main(int argc, char* argv[])
{
    options o;
    try {
        o = parse_options(argc, argv);
    } catch (std::exception const& e) {
        std::cerr << "hello: " << e.what() << "\n"
                  << "usage: hello [--address 127.0.0.1] [--port 8080] [--interval-ms 1000]\n";
        return 2;
    }
    try {
        net::io_context ioc;
        tcp::acceptor acceptor(ioc, {net::ip::make_address(o.address), o.port});

        // SIGINT or SIGTERM stops the server: the acceptor closes, and the
        // timer that every session races expires, which cancels them all (an
        // event stream ends cleanly). Then run() returns, as nothing is left.
        net::steady_timer stop(ioc, net::steady_timer::time_point::max());
        net::signal_set signals(ioc, SIGINT, SIGTERM);
        signals.async_wait([&](boost::system::error_code, int) {
            acceptor.close();
            stop.expires_at(net::steady_timer::time_point::min());
        });

        net::co_spawn(ioc, listen(acceptor, stop, o.interval), net::detached);
        std::cout << "listening on " << acceptor.local_endpoint().port() << std::endl;
        ioc.run();
        return 0;
    } catch (std::exception const& e) {
        std::cerr << "hello: " << e.what() << '\n';
        return 1;
    }
}
