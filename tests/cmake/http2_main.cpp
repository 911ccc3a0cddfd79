//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// The HTTP/2 part reached through `sse::http2` alone: the headers, nghttp2's
// headers and its library. An HTTP/2 connection is served on a socket that
// was never connected: the session starts (nghttp2 queues its SETTINGS), the
// first write fails, and the operation completes.

#include <sse/http2.hpp>
#include <sse/response.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <cstdio>

int main()
{
    namespace net = boost::asio;
    namespace http = boost::beast::http;
    net::io_context ioc;
    net::ip::tcp::socket socket(ioc);
    boost::beast::flat_buffer buffer;
    bool completed = false;
    sse::http2::async_serve(
        socket,
        buffer,
        [](http::request<http::string_body>&& req) { return sse::make_response(req, http::status::ok, "ok\n"); },
        [&](sse::error_code ec) {
            completed = true;
            std::printf("http2: the connection ended: %s\n", ec.message().c_str());
        }
    );
    ioc.run();
    bool const preface = bool(sse::http2::is_preface(net::buffer(sse::http2::client_preface)));
    if (!completed || !preface) {
        std::printf("http2: FAILED (completed %d, preface %d)\n", completed, preface);
        return 1;
    }
    return 0;
}
