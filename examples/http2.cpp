//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

//------------------------------------------------------------------------------
//
// Example: HTTP/1.1 and HTTP/2 over TLS on one port
//
// Why HTTP/2 matters for event streams: a browser opens at most 6 HTTP/1.1
// connections to an origin, and every open EventSource holds one. The page
// at / opens 12 event streams. Over HTTP/2 they all run at once on one
// connection; force HTTP/1.1 and the 7th stream waits for a free connection.
//
// sse::server does the rest: it accepts TLS connections, lets the handshake
// choose the protocol by ALPN (h2, then http/1.1) and serves each connection
// on a strand of its own. One handler answers both protocols: it returns an
// sse::response, either an ordinary Beast response or an event stream.
//
// Usage:
//     http2 --cert CERT.pem --key KEY.pem [--address 127.0.0.1] [--port 8443]
//
// Try:
//     openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost
//         -addext subjectAltName=DNS:localhost,IP:127.0.0.1
//         -keyout key.pem -out cert.pem                      (one command)
//     http2 --cert cert.pem --key key.pem
//     open https://localhost:8443/ in a browser (accept the certificate)
//     curl -k --http2 -N https://localhost:8443/clock?n=1
//     curl -k --http1.1 -N https://localhost:8443/clock?n=2
//     nghttp -n -s -m 12 https://localhost:8443/clock?n=1
//
// Port 0 picks a free port. Once the server accepts connections it prints
// "listening on PORT". Ctrl-C (SIGINT) or SIGTERM stops it: open streams end
// cleanly (HTTP/2: END_STREAM, then GOAWAY) and the program exits with 0.
//
//------------------------------------------------------------------------------

#include <sse/server.hpp>
#include <sse/sources/coro.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <ctime>
#include <iostream>
#include <string>
#include <string_view>

namespace net = boost::asio;
namespace http = boost::beast::http;
namespace ssl = net::ssl;
using namespace std::chrono_literals;

// The page: 12 EventSources, each showing its clock and its protocol.
constexpr std::string_view page = R"html(<!doctype html>
<html><head><meta charset="utf-8"><title>12 event streams</title>
<style>body { font: 16px sans-serif; margin: 2em; } td { padding: .2em 1em; }</style></head>
<body><h1>12 event streams, one page</h1>
<p>Protocol of this page: <b id="proto"></b>. Over HTTP/1.1 a browser holds at most 6
connections to a server, so streams 7 to 12 wait; over HTTP/2 they share one connection.</p>
<table id="t"></table>
<script>
const t = document.getElementById('t');
for (let i = 1; i <= 12; ++i) {
  const row = t.insertRow();
  row.insertCell().textContent = 'stream ' + i;
  const cell = row.insertCell();
  cell.textContent = 'waiting...';
  new EventSource('/clock?n=' + i).onmessage = (e) => { cell.textContent = e.data; };
}
setTimeout(() => {
  const nav = performance.getEntriesByType('navigation')[0];
  document.getElementById('proto').textContent = nav ? nav.nextHopProtocol : '?';
}, 100);
</script></body></html>
)html";

// A stream's producer: the time, once a second.
net::experimental::coro<sse::message> clock_events(net::any_io_executor ex, int n)
{
    net::steady_timer timer(ex);
    for (int i = 1;; ++i) {
        auto const now = std::time(nullptr);
        char text[32];
        std::strftime(text, sizeof text, "%H:%M:%S", std::localtime(&now));
        co_yield sse::message{}.id(i).data("stream " + std::to_string(n) + ": " + text);
        timer.expires_after(1s);
        co_await timer.async_wait(net::experimental::use_coro);
    }
}

// One handler for both protocols. A stream's producer runs on the
// connection's executor, ex.
sse::response handle(sse::request&& req, net::any_io_executor const& ex)
{
    std::string_view const target = req.target();
    if (req.method() != http::verb::get)
        return sse::make_response(req, http::status::method_not_allowed, "GET only\n");
    if (target == "/")
        return sse::make_response(req, http::status::ok, std::string(page), "text/html; charset=utf-8");
    if (target.starts_with("/clock?n=")) {
        int n = 0;
        for (char c : target.substr(9))
            n = (c >= '0' && c <= '9' && n < 1000) ? n * 10 + (c - '0') : n;
        return sse::stream_response{req, clock_events(ex, n)};
    }
    return sse::make_response(req, http::status::not_found, "not found\n");
}

int main(int argc, char* argv[])
{
    std::string address = "127.0.0.1";
    unsigned short port = 8443;
    std::string cert;
    std::string key;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string_view const arg = argv[i];
        if (arg == "--address")
            address = argv[i + 1];
        else if (arg == "--port")
            port = static_cast<unsigned short>(std::stoi(argv[i + 1]));
        else if (arg == "--cert")
            cert = argv[i + 1];
        else if (arg == "--key")
            key = argv[i + 1];
    }
    if (cert.empty() || key.empty()) {
        std::cerr << "usage: http2 --cert CERT.pem --key KEY.pem [--address A] [--port N]\n";
        return 2;
    }

    try {
        ssl::context ctx(ssl::context::tls_server);
        ctx.set_options(ssl::context::default_workarounds | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
        ctx.use_certificate_chain_file(cert);
        ctx.use_private_key_file(key, ssl::context::pem);

        net::io_context ioc;
        sse::server server(ioc, {net::ip::make_address(address), port}, ctx, handle);
        server.stop_on_signals(); // SIGINT, SIGTERM
        server.start();
        std::cout << "listening on " << server.local_endpoint().port() << std::endl;
        ioc.run(); // until the server has stopped
    } catch (std::exception const& e) {
        std::cerr << "http2: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
