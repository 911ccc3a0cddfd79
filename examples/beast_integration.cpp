//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

//------------------------------------------------------------------------------
//
// Example: adding an event stream to a Beast server
//
// An ordinary HTTP/1.1 server written with Beast and C++20 coroutines: it
// serves the files under a directory, and GET /api/time answers with the
// time as JSON, {"time": "..."}. Then one route is added: GET /events pushes
// the same JSON as an event named "time" every second. All it took is
// between the "[sse] begin" and "[sse] end" comments.
//
// Each event has an id, a counter. A client that reconnects sends the last
// id it saw (EventSource does so by itself) and the count goes on from it.
//
// Usage:
//     beast_integration [--root .] [--address 127.0.0.1] [--port 8080] [--interval-ms 1000]
//
// Try:
//     beast_integration --root .
//     curl http://127.0.0.1:8080/api/time
//     curl -N http://127.0.0.1:8080/events
//     curl -N -H "Last-Event-ID: 41" http://127.0.0.1:8080/events
// or, in the console of a browser showing a page from the server:
//     new EventSource("/events").addEventListener("time", e => console.log(e.lastEventId, e.data))
//
// Port 0 picks a free port. Once the server accepts connections it prints
// "listening on PORT". Ctrl-C (SIGINT) or SIGTERM stops it: open streams
// end cleanly and the program exits with status 0.
//
//------------------------------------------------------------------------------

// [sse] begin
#include <sse/json.hpp>
#include <sse/request.hpp>
#include <sse/sources/coro.hpp>
#include <sse/stream_response.hpp>

#include <charconv> // Last-Event-ID to a number
#include <cstdint>
// [sse] end

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
#include <boost/beast/core/buffers_generator.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/message_generator.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using request = http::request<http::string_body>;
using std::chrono::milliseconds;
using namespace net::experimental::awaitable_operators;

struct options {
    std::string root = ".";
    std::string address = "127.0.0.1";
    unsigned short port = 8080;
    milliseconds interval{1000};
};

// The MIME type of a file, from its extension.
std::string_view mime_type(std::string_view path)
{
    static constexpr std::pair<std::string_view, std::string_view> types[] = {
        {".html", "text/html"},         {".htm", "text/html"},         {".css", "text/css"},
        {".js", "text/javascript"},     {".json", "application/json"}, {".txt", "text/plain"},
        {".svg", "image/svg+xml"},      {".png", "image/png"},         {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},        {".gif", "image/gif"},         {".ico", "image/vnd.microsoft.icon"},
        {".wasm", "application/wasm"},  {".xml", "application/xml"},   {".pdf", "application/pdf"},
    };
    auto const dot = path.rfind('.');
    if (dot != std::string_view::npos)
        for (auto const& [ext, type] : types)
            if (beast::iequals(path.substr(dot), ext))
                return type;
    return "application/octet-stream";
}

// The file that a request target names under root, or nothing when the
// target could reach outside root: it must start with '/', and hold no ".."
// segment, backslash or NUL. A directory stands for its index.html.
std::optional<std::string> file_path(std::string_view root, std::string_view target)
{
    target = target.substr(0, target.find('?'));
    if (!target.starts_with('/') || target.find_first_of(std::string_view("\\\0", 2)) != target.npos)
        return std::nullopt;
    for (std::size_t slash = 0; slash != std::string_view::npos;) {
        auto const next = target.find('/', slash + 1);
        if (target.substr(slash + 1, next - slash - 1) == "..")
            return std::nullopt;
        slash = next;
    }
    std::string path(root);
    if (path.ends_with('/'))
        path.pop_back();
    path.append(target);
    if (path.ends_with('/'))
        path.append("index.html");
    return path;
}

// {"time": "2026-01-31T12:34:56.789Z"}: the time now, in UTC.
nlohmann::json now()
{
    auto const t = std::chrono::system_clock::now();
    std::time_t const seconds = std::chrono::system_clock::to_time_t(t);
    auto const ms = std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char text[40];
    auto const n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(ms));
    return {{"time", text}};
}

// Answers GET /api/time, and GET for a file under root.
http::message_generator handle_request(std::string const& root, request const& req)
{
    auto const answer = [&req](http::status status, std::string_view type, std::string body) {
        http::response<http::string_body> res{status, req.version()};
        res.set(http::field::content_type, type);
        res.keep_alive(req.keep_alive());
        res.body() = std::move(body);
        res.prepare_payload();
        return res;
    };
    if (req.method() != http::verb::get)
        return answer(http::status::method_not_allowed, "text/plain", "Only GET is supported\n");
    if (req.target() == "/api/time")
        return answer(http::status::ok, "application/json", now().dump());

    auto const path = file_path(root, req.target());
    if (!path)
        return answer(http::status::bad_request, "text/plain", "Illegal request target\n");
    beast::error_code ec;
    http::file_body::value_type file;
    file.open(path->c_str(), beast::file_mode::scan, ec);
    if (ec || std::filesystem::is_directory(*path))
        return answer(http::status::not_found, "text/plain", "Not found\n");
    http::response<http::file_body> res{
        std::piecewise_construct,
        std::make_tuple(std::move(file)),
        std::make_tuple(http::status::ok, req.version())
    };
    res.set(http::field::content_type, mime_type(*path));
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    return res;
}

// [sse] begin
// GET /events: the time, as an event named "time", every interval. The ids
// count up from next_id.
net::experimental::coro<sse::message>
time_events(net::any_io_executor ex, milliseconds interval, std::uint64_t next_id)
{
    net::steady_timer timer(ex);
    for (;; ++next_id) {
        co_yield sse::message{}.id(next_id).event("time").json(now());
        timer.expires_after(interval);
        co_await timer.async_wait(net::experimental::use_coro);
    }
}

// Streams until the client leaves or the server stops; returns whether the
// connection can carry another request.
net::awaitable<bool>
serve_events(beast::tcp_stream& stream, beast::flat_buffer& buffer, request const& req, milliseconds interval)
{
    // A reconnecting client says which event it saw last: carry on after it.
    std::uint64_t next_id = 1;
    if (auto const last = sse::last_event_id(req)) {
        std::uint64_t n = 0;
        auto const end = last->data() + last->size();
        if (auto const r = std::from_chars(last->data(), end, n); r.ec == std::errc() && r.ptr == end)
            next_id = n + 1;
    }
    sse::stream_response res{req, time_events(stream.get_executor(), interval, next_id)};
    stream.expires_never(); // a stream lasts as long as the client wants it
    // The server's stop cancels this coroutine with terminal cancellation
    // (what `||` sends), which would end the stream at once: while it runs,
    // the write sees it as partial, and ends the stream cleanly.
    co_await net::this_coro::reset_cancellation_state(net::enable_terminal_cancellation(), sse::end_cleanly);
    co_await sse::async_write(stream, buffer, res, net::use_awaitable);
    co_await net::this_coro::reset_cancellation_state();
    co_return res.keep_alive();
}
// [sse] end

// Serves one connection until the client closes it or the server stops.
net::awaitable<void> session(beast::tcp_stream stream, options o)
{
    beast::flat_buffer buffer;
    try {
        for (;;) {
            request req;
            stream.expires_after(std::chrono::seconds(30));
            co_await http::async_read(stream, buffer, req, net::use_awaitable);

            // [sse] begin
            if (req.method() == http::verb::get && req.target() == "/events") {
                if (!co_await serve_events(stream, buffer, req, o.interval))
                    break;
                continue;
            }
            // [sse] end

            http::message_generator res = handle_request(o.root, req);
            bool const keep_alive = res.keep_alive();
            co_await beast::async_write(stream, std::move(res), net::use_awaitable);
            if (!keep_alive)
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
net::awaitable<void> listen(tcp::acceptor& acceptor, net::steady_timer& stop, options o)
{
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(net::as_tuple(net::use_awaitable));
        if (ec) {
            std::clog << "no longer accepting: " << ec.message() << '\n';
            co_return;
        }
        auto serve = session(beast::tcp_stream(std::move(socket)), o) || stopped(stop);
        net::co_spawn(acceptor.get_executor(), std::move(serve), net::detached);
    }
}

options parse_options(int argc, char* argv[])
{
    options o;
    for (int i = 1; i < argc; i += 2) {
        std::string const name = argv[i];
        if (i + 1 == argc)
            throw std::invalid_argument("no value after " + name);
        std::string const value = argv[i + 1];
        if (name == "--root")
            o.root = value;
        else if (name == "--address")
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
        std::cerr << "beast_integration: " << e.what() << "\n"
                  << "usage: beast_integration [--root .] [--address 127.0.0.1] [--port 8080]"
                     " [--interval-ms 1000]\n";
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

        net::co_spawn(ioc, listen(acceptor, stop, o), net::detached);
        std::cout << "listening on " << acceptor.local_endpoint().port() << std::endl;
        ioc.run();
        return 0;
    } catch (std::exception const& e) {
        std::cerr << "beast_integration: " << e.what() << '\n';
        return 1;
    }
}
