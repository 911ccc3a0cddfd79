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
// A whole server. GET /events answers with an event stream that says
// "Hello, world!" once a second until the client goes away; anything else
// gets a 404. HTTP/1.1 and HTTP/2 (h2c) share the port.
//
// The messages come from a producer, a coroutine that co_yields them and
// never touches a socket. When the client leaves, the producer is cancelled
// and destroyed. Ctrl-C (SIGINT) or SIGTERM ends every stream cleanly and
// the program exits with status 0.
//
// Usage:
//     hello [--address 127.0.0.1] [--port 8080] [--interval-ms 1000]
//
// Try:
//     hello
//     curl -N http://127.0.0.1:8080/events
//     curl -N --http2-prior-knowledge http://127.0.0.1:8080/events
//
// Port 0 picks a free port; the server prints "listening on PORT".
//
//------------------------------------------------------------------------------

#include <sse/server.hpp>
#include <sse/sources/coro.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <iostream>
#include <map>
#include <string>

namespace net = boost::asio;
using std::chrono::milliseconds;

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

int main(int argc, char* argv[])
{
    std::map<std::string, std::string> arg{{"--address", "127.0.0.1"}, {"--port", "8080"}, {"--interval-ms", "1000"}};
    for (int i = 1; i + 1 < argc; i += 2)
        arg.at(argv[i]) = argv[i + 1]; // an unknown option throws
    milliseconds const interval(std::stoul(arg["--interval-ms"]));
    net::ip::tcp::endpoint const endpoint(net::ip::make_address(arg["--address"]), std::stoi(arg["--port"]));

    net::io_context ioc;
    sse::server server(ioc, endpoint, [interval](sse::request&& req, net::any_io_executor const& ex) -> sse::response {
        if (req.target() == "/events")
            return sse::stream_response{req, hello(ex, interval)};
        return sse::make_response(req, boost::beast::http::status::not_found, "Not found. Try GET /events\n");
    });
    server.stop_on_signals(); // SIGINT, SIGTERM
    server.start();
    std::cout << "listening on " << server.local_endpoint().port() << std::endl;
    ioc.run(); // until the server has stopped
}
