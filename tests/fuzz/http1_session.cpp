//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// libFuzzer target for sse::http1::async_serve: what a hostile peer sends
// on a connection, in pieces of any size, then the peer closes or resets.
// The input layout, the connection and the request handlers are in
// session_harness.hpp.
//
// Whatever the bytes: the completion handler runs exactly once, after
// every source and the request handler are destroyed and every stream's
// on_end ran; every exception of the handler was reported; no read or
// write is outstanding then, none starts after, and none overlaps another
// of its kind; no write follows shutdown(send); the io_context runs out of
// work and every coroutine producer and stream_response is destroyed; no
// timeout is reported (none can fall due). What the server wrote is a
// sequence of well-formed responses (a 100 Continue before a final one),
// none after one that ended the connection, the last unfinished only when
// the session ended with an error; an event stream's body is a valid event
// stream.

#include <sse/http1.hpp>
#include <sse/parser.hpp>

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/parser.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string_view>
#include <utility>
#include <vector>

#include "session_harness.hpp"

namespace {

namespace fz = sse::fuzz;
namespace net = boost::asio;
namespace http = boost::beast::http;
using fz::require;
using sse::error_code;

// Where each request header ends.
std::vector<std::size_t> request_ends(std::string_view s)
{
    std::vector<std::size_t> ends;
    for (auto at = s.find("\r\n\r\n"); at != std::string_view::npos; at = s.find("\r\n\r\n", at + 1))
        ends.push_back(at + 4);
    return ends;
}

template <int Kind>
void start(fz::session& s)
{
    sse::http1::async_serve(
        s.stream(),
        s.buffer(),
        fz::request_handler<Kind>(s),
        s.options(),
        s.completion()
    );
}

// What the server wrote, read as a client reads it.
void check_output(
    std::string_view out, std::vector<std::pair<http::verb, bool>> const& answers, error_code result
)
{
    std::size_t index = 0;
    while (!out.empty()) {
        // An answer to HEAD has no body, whatever its header says.
        bool const head = index < answers.size() && answers[index].first == http::verb::head;
        bool const stream = index < answers.size() && answers[index].second && !head;
        http::response_parser<http::string_body> p;
        p.eager(true);
        p.body_limit(std::numeric_limits<std::uint64_t>::max());
        if (head)
            p.skip(true);
        error_code ec;
        std::size_t used = 0;
        while (!p.is_done()) {
            std::size_t const n = p.put(net::buffer(out.data() + used, out.size() - used), ec);
            used += n;
            if (ec == http::error::need_more) {
                ec = {};
                break;
            }
            if (ec || n == 0)
                break;
        }
        require(!ec, "the server wrote a malformed response");
        if (!p.is_done() && p.is_header_done() && used == out.size()) {
            // A body that ends with the connection.
            error_code eof;
            p.put_eof(eof);
        }
        if (!p.is_done()) {
            require(result.failed(), "a session that ended cleanly left a response unfinished");
            return;
        }
        out.remove_prefix(used);
        if (p.get().result_int() / 100 == 1) {
            // 100 Continue: the final response follows.
            require(p.get().result() == http::status::continue_, "an interim response other than 100");
            continue;
        }
        ++index;
        require(index <= answers.size() + 1, "more responses than requests");
        if (stream && p.get().result() == http::status::ok) {
            require(
                p.get()[http::field::content_type] == "text/event-stream",
                "an event stream without its Content-Type"
            );
            error_code parse_ec;
            sse::parse_events(p.get().body(), parse_ec);
            require(!parse_ec, "an event stream's body does not parse");
        }
        require(p.keep_alive() || out.empty(), "bytes after a response that ended the connection");
    }
}

} // namespace

// Built with BOOST_ENABLE_ASSERT_HANDLER (see CMakeLists.txt). Beast's
// parser before Boost 1.86 asserts when a final chunk ("0\r\n") is
// followed by one more byte in a later read (boostorg/beast#2861); the code
// after the assertion handles that case, and later parsers are rewritten.
// That assertion is let pass; any other aborts.
namespace boost {

void assertion_failed_msg(
    char const* expr, char const* msg, char const* function, char const* file, long line
)
{
    if (std::string_view(expr) == "n >= 5" && std::string_view(file).ends_with("/http/impl/basic_parser.ipp"))
        return;
    std::fprintf(
        stderr,
        "%s:%ld: %s: Assertion `%s' failed. %s\n",
        file,
        line,
        function,
        expr,
        msg ? msg : ""
    );
    std::abort();
}

void assertion_failed(char const* expr, char const* function, char const* file, long line)
{
    assertion_failed_msg(expr, nullptr, function, file, line);
}

} // namespace boost

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    std::string_view input(reinterpret_cast<char const*>(data), size);
    auto const cfg = fz::read_config(input);
    fz::choices rng(cfg.seed);
    auto const pieces = fz::cut(input, cfg.cutting, rng, request_ends);

    fz::session s(cfg, true);
    std::size_t first = 0;
    if (cfg.prefill && s.prefill(pieces.front()))
        first = 1;
    switch (cfg.handler) {
    case 1:
        start<1>(s);
        break;
    case 2:
        start<2>(s);
        break;
    case 3:
        start<3>(s);
        break;
    default:
        start<0>(s);
        break;
    }
    s.feed(pieces, first, rng, true);
    s.trace(s.connection().output());
    s.check_end();
    check_output(s.connection().output(), s.count().answers, s.result());
    return 0;
}
