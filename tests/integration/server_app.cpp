//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// A small server on sse::server, driven by real clients from
// tests/integration/test_server.py.
//
// Usage:
//     server_app [--address 127.0.0.1] [--port 0] [--threads 1]
//                [--max-connections 10000] [--shutdown-ms 5000]
//                [--tls CERT.pem KEY.pem] [--sync]
//
// By default the request handler is awaitable (it returns
// net::awaitable<sse::response>); --sync makes it synchronous (it returns
// sse::response), and the /await routes then answer 404. Routes:
//
//     /stream        an endless event stream, one event every 20 ms, ids 1, 2, ...
//     /burst         three events at once, then the end of the stream
//     /once          200, "once"
//     /throw         the handler throws std::runtime_error (awaitable: in
//                    the coroutine, before its first co_await)
//     /exceptions    200, how many exceptions on_handler_exception was given
//   awaitable handler only:
//     /throw-call    the handler throws when called, before it makes its awaitable
//     /await         waits 50 ms, then 200, "awaited"
//     /await-throw   waits 50 ms, then throws
//     /await-stream  waits 50 ms, then an event stream of three events
//
// It prints "listening on PORT" on stdout once it accepts, logs to stderr,
// and stops gracefully on SIGINT or SIGTERM (exit status 0).

#include <sse/server.hpp>

#include <sse/response.hpp>
#include <sse/sources/coro.hpp>
#include <sse/stream_response.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/coro.hpp>
#include <boost/asio/experimental/use_coro.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/status.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace net = boost::asio;
namespace http = boost::beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

namespace {

// Exceptions given to on_handler_exception, shown at /exceptions.
std::atomic<std::uint64_t> handler_exceptions{0};

// count events (0: for ever), ids from 1, the first at once, then one per interval.
net::experimental::coro<sse::message> ticks(net::any_io_executor ex, std::chrono::milliseconds interval, std::uint64_t count)
{
    net::steady_timer timer(ex);
    auto next = std::chrono::steady_clock::now();
    for (std::uint64_t i = 1; count == 0 || i <= count; ++i) {
        if (i > 1 && interval.count() > 0) {
            next += interval;
            timer.expires_at(next);
            co_await timer.async_wait(net::experimental::use_coro);
        }
        co_yield sse::message{}.id(i).data("tick " + std::to_string(i));
    }
}

sse::response text(sse::request const& req, std::string body, http::status status = http::status::ok)
{
    return sse::make_response(req, status, std::move(body), "text/plain");
}

// The routes both handlers share; nothing for the others.
std::optional<sse::response> common_route(sse::request const& req, net::any_io_executor const& ex)
{
    auto const target = req.target();
    if (target == "/stream")
        return sse::response(sse::stream_response{req, ticks(ex, 20ms, 0)});
    if (target == "/burst")
        return sse::response(sse::stream_response{req, ticks(ex, 0ms, 3)});
    if (target == "/once")
        return text(req, "once");
    if (target == "/exceptions")
        return text(req, std::to_string(handler_exceptions.load()));
    return std::nullopt;
}

// The synchronous handler.
struct sync_handler {
    sse::response operator()(sse::request&& req, net::any_io_executor const& ex) const
    {
        if (req.target() == "/throw")
            throw std::runtime_error("/throw: thrown by the synchronous handler");
        if (auto res = common_route(req, ex))
            return std::move(*res);
        return text(req, "not found\n", http::status::not_found);
    }
};

net::awaitable<void> wait_a_little()
{
    net::steady_timer timer(co_await net::this_coro::executor, 50ms);
    co_await timer.async_wait(net::use_awaitable);
}

net::awaitable<sse::response> answer(sse::request req, net::any_io_executor ex)
{
    auto const target = req.target();
    if (target == "/throw")
        throw std::runtime_error("/throw: thrown by the awaitable handler before its first co_await");
    if (target == "/await") {
        co_await wait_a_little();
        co_return text(req, "awaited");
    }
    if (target == "/await-throw") {
        co_await wait_a_little();
        throw std::runtime_error("/await-throw: thrown by the awaitable handler after a wait");
    }
    if (target == "/await-stream") {
        co_await wait_a_little();
        co_return sse::response(sse::stream_response{req, ticks(ex, 10ms, 3)});
    }
    if (auto res = common_route(req, ex))
        co_return std::move(*res);
    co_return text(req, "not found\n", http::status::not_found);
}

// The awaitable handler: not a coroutine itself, so that /throw-call throws
// from the call.
struct awaitable_handler {
    net::awaitable<sse::response> operator()(sse::request&& req, net::any_io_executor const& ex) const
    {
        if (req.target() == "/throw-call")
            throw std::runtime_error("/throw-call: thrown by the call, before an awaitable exists");
        return answer(std::move(req), ex);
    }
};

struct config {
    std::string address = "127.0.0.1";
    unsigned short port = 0;
    unsigned threads = 1;
    std::size_t max_connections = 10000;
    std::chrono::milliseconds shutdown_timeout = 5000ms;
    std::optional<std::pair<std::string, std::string>> tls_files;
    bool sync = false;
};

template <class Handler>
void run(config const& cfg, Handler handler)
{
    std::optional<ssl::context> tls;
    if (cfg.tls_files) {
        tls.emplace(ssl::context::tls_server);
        tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3);
        tls->use_certificate_chain_file(cfg.tls_files->first);
        tls->use_private_key_file(cfg.tls_files->second, ssl::context::pem);
    }

    sse::server_options options;
    options.max_connections = cfg.max_connections;
    options.shutdown_timeout = cfg.shutdown_timeout;
    options.on_handler_exception = [](std::exception_ptr e) {
        ++handler_exceptions;
        try {
            std::rethrow_exception(e);
        } catch (std::exception const& ex) {
            std::clog << "handler exception: " << ex.what() << std::endl;
        } catch (...) {
            std::clog << "handler exception: unknown" << std::endl;
        }
    };
    options.on_connection_error = [](sse::error_code ec, std::string_view where) {
        std::clog << where << ": " << ec.message() << std::endl;
    };

    net::io_context ioc(static_cast<int>(cfg.threads));
    tcp::endpoint const endpoint(net::ip::make_address(cfg.address), cfg.port);
    std::optional<sse::server<Handler>> server;
    if (tls)
        server.emplace(ioc, endpoint, *tls, std::move(handler), std::move(options));
    else
        server.emplace(ioc, endpoint, std::move(handler), std::move(options));
    server->stop_on_signals();
    server->start();
    std::cout << "listening on " << server->local_endpoint().port() << std::endl;

    std::vector<std::thread> pool;
    for (unsigned i = 1; i < cfg.threads; ++i)
        pool.emplace_back([&ioc] { ioc.run(); });
    ioc.run();
    for (auto& t : pool)
        t.join();
    std::clog << "stopped" << std::endl;
}

std::uint64_t number(std::string const& name, std::string const& value, std::uint64_t max)
{
    std::size_t used = 0;
    std::uint64_t n = 0;
    try {
        n = std::stoull(value, &used);
    } catch (std::exception const&) {
        used = 0;
    }
    if (used == 0 || used != value.size() || n > max)
        throw std::invalid_argument("bad value for " + name + ": " + value);
    return n;
}

constexpr char const* usage = "usage: server_app [--address A] [--port N] [--threads N] [--max-connections N]\n"
                              "                  [--shutdown-ms N] [--tls CERT.pem KEY.pem] [--sync]\n";

} // namespace

int main(int argc, char* argv[])
{
    config cfg;
    try {
        for (int i = 1; i < argc; ++i) {
            std::string const name = argv[i];
            if (name == "--sync") {
                cfg.sync = true;
                continue;
            }
            int const values = name == "--tls" ? 2 : 1;
            if (i + values >= argc)
                throw std::invalid_argument("no value after " + name);
            std::string const value = argv[i + 1];
            if (name == "--address")
                cfg.address = value;
            else if (name == "--port")
                cfg.port = static_cast<unsigned short>(number(name, value, 65535));
            else if (name == "--threads")
                cfg.threads = static_cast<unsigned>(std::max<std::uint64_t>(1, number(name, value, 256)));
            else if (name == "--max-connections")
                cfg.max_connections = number(name, value, 1000000);
            else if (name == "--shutdown-ms")
                cfg.shutdown_timeout = std::chrono::milliseconds(number(name, value, 3600 * 1000));
            else if (name == "--tls")
                cfg.tls_files.emplace(value, argv[i + 2]);
            else
                throw std::invalid_argument("unknown option " + name);
            i += values;
        }
    } catch (std::exception const& e) {
        std::cerr << "server_app: " << e.what() << '\n' << usage;
        return 2;
    }

    try {
        if (cfg.sync)
            run(cfg, sync_handler{});
        else
            run(cfg, awaitable_handler{});
        return 0;
    } catch (std::exception const& e) {
        std::cerr << "server_app: " << e.what() << '\n';
        return 1;
    }
}
