//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

//------------------------------------------------------------------------------
//
// sse_cat: curl for event streams. Reads an event stream the way a browser's
// EventSource does (and the way an LLM API client needs) with sse::client,
// and prints each event as one JSON line:
//
//     {"type":"message","data":"...","id":"..."}
//
// Usage:
//     sse_cat [options] URL
//
//     -X METHOD              request method (default GET, with -d too: say -X POST)
//     -d BODY, -d @FILE      request body, sent again on each reconnection
//     -H 'Name: value'       a request header; repeatable
//     --last-event-id ID     Last-Event-ID on the first request
//     --once                 exit when the response ends instead of reconnecting
//     --max-events N         exit 0 once N events have been printed
//     --http2                HTTP/2: ALPN over https, prior knowledge (h2c) over http
//     --insecure             accept any TLS certificate
//     --retry-max N          give up after N failed connection attempts in a row
//     --idle-timeout-ms N    N ms without a byte is a lost connection
//
// Try:
//     sse_cat 'http://127.0.0.1:8080/stream?count=3'
//     sse_cat --once -X POST -H 'Content-Type: application/json'
//         -d '{"stream":true}' http://127.0.0.1:8000/v1/chat/completions   (one line)
//
// stdout has the events and nothing else, each line flushed; stderr has
// what a person wants to know (status, reconnection delays, errors).
// Exit status: 0 when --max-events is reached, when --once ends cleanly, on
// 204, or on SIGINT/SIGTERM; 1 when refused (status or content type),
// --retry-max is exceeded, or --once fails; 2 for a bad command line.
//
//------------------------------------------------------------------------------

#include <sse/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <nlohmann/json.hpp>

#include <charconv>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace net = boost::asio;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

namespace {

constexpr char const* usage =
    "usage: sse_cat [-X METHOD] [-d BODY|@FILE] [-H 'Name: value']... [--last-event-id ID]\n"
    "               [--once] [--max-events N] [--http2] [--insecure] [--retry-max N]\n"
    "               [--idle-timeout-ms N] URL\n";

struct bad_command_line : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::uint64_t number(std::string const& name, std::string_view value)
{
    std::uint64_t n = 0;
    auto const [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || end != value.data() + value.size() || value.empty())
        throw bad_command_line("bad value for " + name + ": " + std::string(value));
    return n;
}

struct command {
    sse::client_request request;
    sse::client_options options;
    std::optional<std::uint64_t> max_events;
};

command parse(int argc, char* argv[])
{
    command c;
    for (int i = 1; i < argc; ++i) {
        std::string const arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                throw bad_command_line("no value after " + arg);
            return argv[++i];
        };
        if (arg == "-X") {
            auto const m = http::string_to_verb(value());
            if (m == http::verb::unknown)
                throw bad_command_line("unknown method: " + std::string(argv[i]));
            c.request.method = m;
        } else if (arg == "-d") {
            auto v = value();
            if (!v.empty() && v.front() == '@') {
                std::ifstream in(v.substr(1), std::ios::binary);
                if (!in)
                    throw bad_command_line("cannot read " + v.substr(1));
                std::ostringstream s;
                s << in.rdbuf();
                v = s.str();
            }
            c.request.body = std::move(v);
        } else if (arg == "-H") {
            auto const h = value();
            auto const colon = h.find(':');
            if (colon == std::string::npos || colon == 0)
                throw bad_command_line("a header is 'Name: value': " + h);
            auto v = std::string_view(h).substr(colon + 1);
            while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
                v.remove_prefix(1);
            c.request.headers.insert(h.substr(0, colon), v);
        } else if (arg == "--last-event-id") {
            c.options.last_event_id = value();
        } else if (arg == "--once") {
            c.options.one_shot = true;
        } else if (arg == "--max-events") {
            c.max_events = number(arg, value());
        } else if (arg == "--http2") {
#ifdef SSE_CLIENT_HAS_HTTP2
            c.options.http2 = true;
#else
            throw bad_command_line("--http2: this build of sse_cat has no HTTP/2 (libnghttp2 was not found)");
#endif
        } else if (arg == "--insecure") {
            c.options.verify_peer = false;
        } else if (arg == "--retry-max") {
            c.options.max_attempts = number(arg, value());
        } else if (arg == "--idle-timeout-ms") {
            c.options.idle_timeout = std::chrono::milliseconds(number(arg, value()));
        } else if (!arg.empty() && arg.front() == '-') {
            throw bad_command_line("unknown option " + arg);
        } else if (c.request.url.empty()) {
            c.request.url = arg;
        } else {
            throw bad_command_line("more than one URL");
        }
    }
    if (c.request.url.empty())
        throw bad_command_line("no URL");
    return c;
}

// The exit status for the error that ended the stream.
int exit_status(sse::error_code ec)
{
    if (ec == sse::error::no_content || ec == sse::error::end_of_stream || ec == net::error::operation_aborted)
        return 0;
    return 1;
}

net::awaitable<void> run(sse::client& client, std::optional<std::uint64_t> max_events, int& status)
{
    std::uint64_t printed = 0;
    for (;;) {
        if (max_events && printed >= *max_events) {
            status = 0;
            break;
        }
        auto [ec, ev] = co_await client.async_next(net::as_tuple(net::use_awaitable));
        if (ec) {
            status = exit_status(ec);
            if (ec == sse::error::refused || ec == sse::error::bad_content_type) {
                auto const& f = client.failure();
                std::cerr << "sse_cat: refused: status " << f.status << ": " << ec.message() << '\n';
                if (!f.body.empty())
                    std::cerr << f.body << '\n';
            } else if (ec == sse::error::too_many_retries) {
                std::cerr << "sse_cat: giving up: " << client.failure().error.message() << '\n';
            } else if (ec != net::error::operation_aborted) {
                std::cerr << "sse_cat: " << ec.message() << '\n';
            }
            break;
        }
        nlohmann::ordered_json line = {{"type", ev.type}, {"data", ev.data}, {"id", ev.id}};
        std::cout << line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << std::endl;
        ++printed;
    }
    client.close();
}

} // namespace

int main(int argc, char* argv[])
{
    command cmd;
    try {
        cmd = parse(argc, argv);
    } catch (bad_command_line const& e) {
        std::cerr << "sse_cat: " << e.what() << '\n' << usage;
        return 2;
    }

    net::io_context ioc(1);
    cmd.options.on_response = [](http::response_header<> const& h) {
        if (h.version() == 20)
            std::cerr << "HTTP/2 ";
        else
            std::cerr << "HTTP/" << h.version() / 10 << '.' << h.version() % 10 << ' ';
        std::cerr << h.result_int() << ' ' << h.reason();
        if (auto const t = h[http::field::content_type]; !t.empty())
            std::cerr << " (" << t << ')';
        std::cerr << '\n';
    };
    cmd.options.on_failure = [](sse::client_failure const& f) {
        std::cerr << "sse_cat: " << f.error.message() << "; reconnecting in " << f.delay.count() << " ms";
        if (!f.last_event_id.empty())
            std::cerr << " with Last-Event-ID: " << f.last_event_id;
        std::cerr << '\n';
        return sse::retry_decision::after(f.delay);
    };
    auto const url = cmd.request.url;
    sse::client client(ioc.get_executor(), std::move(cmd.request), std::move(cmd.options));
    int status = 1;
    net::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](sse::error_code ec, int) {
        if (!ec) {
            status = 0;
            client.close();
        }
    });
    net::co_spawn(ioc, [&]() -> net::awaitable<void> {
        co_await run(client, cmd.max_events, status);
        signals.cancel();
    }, net::detached);
    try {
        ioc.run();
    } catch (std::exception const& e) {
        std::cerr << "sse_cat: " << url << ": " << e.what() << '\n';
        return 1;
    }
    return status;
}
