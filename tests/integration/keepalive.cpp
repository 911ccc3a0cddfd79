//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Keep-alive after an event stream. A client that has a stream's last chunk
// may send its next request at once, on the same connection: that request
// belongs to the connection, and must be read whole by the next request
// parse, never (even in part) by the stream that just ended.
//
// Real sockets on 127.0.0.1, and a server on two threads as real servers
// run. Many connections at once, each sending its next request from the
// very read completion that delivered the last chunk, split across two
// writes at every offset; every answer is checked byte for byte. Then curl
// and Python's http.client, which reuse a connection the way browsers and
// proxies do.
//
// Define SSE_TEST_KEEPALIVE_SERVE_ONLY to build only the tests that go
// through http1::async_serve (leaving out the session loop written around
// the buffer overload of sse::async_write).

#include <sse/http1.hpp>

#include <sse/parser.hpp>
#include <sse/response.hpp>
#include <sse/sources/range.hpp>
#ifndef SSE_TEST_KEEPALIVE_SERVE_ONLY
#include <sse/sources/coro.hpp>
#endif

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "catch.hpp"
#include "loopback.hpp"
#include "process.hpp"
#include "tls.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <condition_variable>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#ifndef SSE_TEST_PYTHON
#define SSE_TEST_PYTHON "python3"
#endif

using namespace sse::test;
namespace http = boost::beast::http;
namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;

namespace {

// ------------------------------------------------------------------ server

// A server like sse::test::server, but as a multi-threaded server runs: its
// io_context on several threads, each connection on a strand of its own.
// While one thread finishes writing a stream's last chunk, another may be
// waiting in the reactor, ready to read whatever the client sends next.
class threaded_server {
public:
    using session = server::session;

    threaded_server(int threads, session s) : session_(std::move(s))
    {
        net::co_spawn(accept_strand_, accept_loop(), net::detached);
        for (int i = 0; i < threads; ++i)
            threads_.emplace_back([this] { ioc_.run(); });
    }

    // Stops accepting, cancels every session (which ends open streams
    // cleanly), waits for them to finish, then stops.
    ~threaded_server()
    {
        net::post(accept_strand_, [this] {
            acceptor_.close();
            for (auto& r : running_)
                net::post(r.executor, [&r] { r.signal.emit(net::cancellation_type::terminal); });
        });
        {
            std::unique_lock lock(m_);
            cv_.wait_for(lock, deadline, [&] { return sessions_ == 0; });
        }
        ioc_.stop();
        for (auto& t : threads_)
            t.join();
    }

    unsigned short port() const { return port_; }

private:
    struct running {
        net::any_io_executor executor;
        net::cancellation_signal signal;
    };

    net::awaitable<void> accept_loop()
    {
        for (;;) {
            auto [ec, socket] =
                co_await acceptor_.async_accept(net::make_strand(ioc_), net::as_tuple(net::use_awaitable));
            if (ec)
                co_return;
            {
                std::lock_guard lock(m_);
                ++sessions_;
            }
            auto& r = running_.emplace_back();
            r.executor = socket.get_executor();
            net::co_spawn(
                r.executor,
                session_(std::move(socket)),
                net::bind_cancellation_slot(r.signal.slot(), [this](std::exception_ptr) {
                    std::lock_guard lock(m_);
                    --sessions_;
                    cv_.notify_all();
                })
            );
        }
    }

    net::io_context ioc_;
    net::strand<net::io_context::executor_type> accept_strand_{net::make_strand(ioc_)};
    tcp::acceptor acceptor_{accept_strand_, {net::ip::make_address("127.0.0.1"), 0}};
    unsigned short port_ = acceptor_.local_endpoint().port();
    session session_;
    std::list<running> running_; // touched on accept_strand_ only
    std::mutex m_;
    std::condition_variable cv_;
    int sessions_ = 0;
    std::vector<std::thread> threads_;
};

// Two: one thread can wait in the reactor while the other runs a
// connection's handlers.
constexpr int server_threads = 2;

// The N of "/stream?count=N", if the target is one.
std::optional<int> stream_count(std::string_view target)
{
    constexpr std::string_view prefix = "/stream?count=";
    if (!target.starts_with(prefix))
        return std::nullopt;
    target.remove_prefix(prefix.size());
    int n = 0;
    auto const [p, e] = std::from_chars(target.data(), target.data() + target.size(), n);
    if (e != std::errc() || p != target.data() + target.size() || n < 0)
        return std::nullopt;
    return n;
}

std::string event_data(int i, int n)
{
    return "message " + std::to_string(i) + " of " + std::to_string(n);
}

// N small events: "id: i", "data: message i of N".
std::vector<sse::message> numbered(int n)
{
    std::vector<sse::message> v;
    for (int i = 1; i <= n; ++i)
        v.push_back(sse::message{}.id(i).data(event_data(i, n)));
    return v;
}

// /stream?count=N streams N events; /plain answers "ok\n". Any other
// method is refused with 405, so that a request that lost its first bytes
// ("ET /plain") shows as a wrong answer rather than going unnoticed.
sse::response route(sse::http1::request&& req)
{
    if (req.method() != http::verb::get)
        return sse::make_response(req, http::status::method_not_allowed, "method not allowed\n");
    if (req.target() == "/plain")
        return sse::make_response(req, http::status::ok, "ok\n");
    if (auto const n = stream_count(req.target()))
        return sse::stream_response{req, numbered(*n)};
    return sse::make_response(req, http::status::not_found, "not found\n");
}

// How the server's sessions and streams ended, gathered from its thread.
class server_log {
public:
    struct stream_end {
        sse::error_code ec;
        std::string buffered; // what the connection's buffer held afterwards
        std::string target;   // the request the stream answered
    };

    void session_started()
    {
        std::lock_guard lock(m_);
        ++started_;
    }

    void session_ended(sse::error_code ec)
    {
        {
            std::lock_guard lock(m_);
            sessions_.push_back(ec);
        }
        cv_.notify_all();
    }

    void stream_ended(sse::error_code ec, std::string buffered, std::string target)
    {
        std::lock_guard lock(m_);
        streams_.push_back({ec, std::move(buffered), std::move(target)});
    }

    // Waits until n sessions have ended; false when the deadline passed.
    bool wait_sessions(std::size_t n)
    {
        std::unique_lock lock(m_);
        return cv_.wait_for(lock, deadline, [&] { return sessions_.size() >= n; });
    }

    int started()
    {
        std::lock_guard lock(m_);
        return started_;
    }

    std::vector<sse::error_code> sessions()
    {
        std::lock_guard lock(m_);
        return sessions_;
    }

    std::vector<stream_end> streams()
    {
        std::lock_guard lock(m_);
        return streams_;
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    int started_ = 0;
    std::vector<sse::error_code> sessions_;
    std::vector<stream_end> streams_;
};

// A server's socket, with Nagle's algorithm off as event streams want:
// their writes are small, and a client waits for each.
tcp::socket no_delay(tcp::socket s)
{
    s.set_option(tcp::no_delay(true));
    return s;
}

// Serves each connection with http1::async_serve over a beast::tcp_stream.
server::session serve_tcp(server_log& log)
{
    return [&log](tcp::socket socket) -> net::awaitable<void> {
        log.session_started();
        beast::tcp_stream stream(no_delay(std::move(socket)));
        beast::flat_buffer buffer;
        auto [ec] =
            co_await sse::http1::async_serve(stream, buffer, route, net::as_tuple(net::use_awaitable));
        log.session_ended(ec);
    };
}

// The same over TLS. The session ends with the client's close_notify.
server::session serve_tls(ssl::context& ctx, server_log& log)
{
    return [&ctx, &log](tcp::socket socket) -> net::awaitable<void> {
        log.session_started();
        ssl::stream<beast::tcp_stream> stream(beast::tcp_stream(no_delay(std::move(socket))), ctx);
        auto [hec] =
            co_await stream.async_handshake(ssl::stream_base::server, net::as_tuple(net::use_awaitable));
        if (hec) {
            log.session_ended(hec);
            co_return;
        }
        beast::flat_buffer buffer;
        auto [ec] =
            co_await sse::http1::async_serve(stream, buffer, route, net::as_tuple(net::use_awaitable));
        log.session_ended(ec);
        if (!ec)
            co_await stream.async_shutdown(net::as_tuple(net::use_awaitable));
    };
}

// ------------------------------------------------------------------ client

std::string lower(std::string_view s)
{
    std::string r(s);
    for (auto& c : r)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return r;
}

// The size of the complete HTTP/1.1 response at the start of `r`: the head
// and Content-Length bytes, or the head and every chunk through the last
// one. 0 while it is incomplete. Throws on framing that is not HTTP.
std::size_t response_size(std::string_view r)
{
    auto const head_end = r.find("\r\n\r\n");
    if (head_end == std::string_view::npos)
        return 0;
    std::size_t const body = head_end + 4;
    std::string const head = lower(r.substr(0, body));
    if (head.find("\r\ntransfer-encoding: chunked\r\n") != std::string::npos) {
        std::size_t pos = body;
        for (;;) {
            auto const eol = r.find("\r\n", pos);
            if (eol == std::string_view::npos)
                return 0;
            std::size_t size = 0;
            auto const [p, e] = std::from_chars(r.data() + pos, r.data() + eol, size, 16);
            if (e != std::errc() || p != r.data() + eol)
                throw std::runtime_error("a malformed chunk size line");
            pos = eol + 2;
            if (r.size() < pos + size + 2)
                return 0;
            if (r.substr(pos + size, 2) != "\r\n")
                throw std::runtime_error("a chunk not followed by CRLF");
            pos += size + 2;
            if (size == 0)
                return pos; // the last chunk, no trailer
        }
    }
    if (auto const cl = head.find("\r\ncontent-length: "); cl != std::string::npos) {
        std::size_t n = 0;
        auto const first = head.data() + cl + 18;
        auto const [p, e] = std::from_chars(first, head.data() + head.size(), n);
        if (e != std::errc() || p == first)
            throw std::runtime_error("a malformed Content-Length");
        return r.size() >= body + n ? body + n : 0;
    }
    return body;
}

// Bytes shown in a failure message, control characters escaped.
std::string show(std::string_view s, std::size_t max = 300)
{
    std::string r;
    for (char const c : s.substr(0, max)) {
        if (c == '\r')
            r += "\\r";
        else if (c == '\n')
            r += "\\n";
        else if (std::isprint(static_cast<unsigned char>(c)))
            r += c;
        else
            r += '?';
    }
    if (s.size() > max)
        r += "...";
    return r;
}

// One request of a client, and what its answer must be.
struct exchange {
    int count = 0; // the events of /stream?count=N; 0 asks /plain

    std::string target() const { return count == 0 ? "/plain" : "/stream?count=" + std::to_string(count); }
    std::string request() const { return "GET " + target() + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"; }
};

// Whether `raw`, one whole response, is exactly the answer to `x`: an empty
// string when it is, else what is wrong. A stream the client pipelined
// into may have ended early (`cut`): it must still end with its last chunk,
// and its events be the first ones, in order.
std::string check_answer(std::string_view raw, exchange const& x, bool cut = false)
{
    try {
        auto const r = parse_response(raw);
        if (r.status_line != "HTTP/1.1 200 OK")
            return "status \"" + r.status_line + "\", body \"" + show(r.body, 80) + "\"";
        if (x.count == 0) {
            if (r.get("content-type") != "text/plain" || r.get("content-length") != "3")
                return "the head of /plain: " + show(raw.substr(0, raw.find("\r\n\r\n")));
            if (r.body != "ok\n")
                return "the body of /plain: \"" + show(r.body) + "\"";
            return {};
        }
        if (r.get("content-type") != "text/event-stream" || r.get("transfer-encoding") != "chunked")
            return "the head of a stream: " + show(raw.substr(0, raw.find("\r\n\r\n")));
        if (!r.complete)
            return "a stream without its last chunk";
        auto const events = sse::parse_events(r.body);
        auto const want = static_cast<std::size_t>(x.count);
        if (cut ? events.size() > want : events.size() != want)
            return std::to_string(events.size()) + " events of " + std::to_string(x.count) + ": \"" +
                   show(r.body) + "\"";
        for (int i = 1; i <= static_cast<int>(events.size()); ++i) {
            auto const& e = events[static_cast<std::size_t>(i - 1)];
            if (e.type != "message" || e.id != std::to_string(i) || e.data != event_data(i, x.count))
                return "event " + std::to_string(i) + ": id \"" + e.id + "\", data \"" + show(e.data) + "\"";
        }
        return {};
    } catch (std::exception const& e) {
        return std::string("unparsable (") + e.what() + "): \"" + show(raw) + "\"";
    }
}

// Whether a client that pipelines sends request i + 1 as soon as the head of
// answer i arrives: every other stream.
bool pipelined_round(bool pipelining, std::size_t i, exchange const& x)
{
    return pipelining && i % 2 == 1 && x.count != 0;
}

// What every client of a run counts, on the clients' one thread.
struct race_tally {
    int answers = 0;          // answers checked and right
    int races = 0;            // requests sent from the read that delivered a stream's last chunk
    int pipelined = 0;        // requests sent while a stream was still coming
    int clients_done = 0;     // clients that had every answer
    std::size_t sends = 0;    // requests sent, for the split offsets
    std::set<std::size_t> offsets; // the split offsets used
    std::vector<std::string> failures;
};

// A client's TLS stream: a handshake first, close_notify last.
template <class Stream>
concept tls_stream = requires(Stream& s) {
    s.async_handshake(ssl::stream_base::client, [](sse::error_code) {});
};

// A client on its own io_context that sends a planned series of requests
// on one connection. Each request after the first is sent from the read
// completion that delivered the end of the previous answer: no delay, no
// other read in between. It goes out in two writes, split at an offset
// that moves on with every request. In pipelining rounds the next request
// is sent as soon as the head of a stream arrives, before the stream ends
// (which may end it early: pipelining into an event stream is not
// supported, but the request must still be answered).
template <class Stream>
class race_client {
public:
    race_client(Stream stream, int index, std::vector<exchange> plan, bool pipelining, race_tally& tally)
        : stream_(std::move(stream))
        , index_(index)
        , plan_(std::move(plan))
        , pipelining_(pipelining)
        , tally_(tally)
    {
    }

    // TLS: the handshake first, within the run's deadline.
    void start()
    {
        if constexpr (tls_stream<Stream>) {
            stream_.async_handshake(ssl::stream_base::client, [this](sse::error_code ec) {
                if (ec)
                    return fail("the TLS handshake: " + ec.message());
                send(0);
                read();
            });
        } else {
            send(0);
            read();
        }
    }

private:
    bool pipelines(std::size_t i) const { return pipelined_round(pipelining_, i, plan_[i]); }

    void send(std::size_t i)
    {
        std::string const req = plan_[i].request();
        std::size_t const offset = 1 + tally_.sends++ % (req.size() - 1);
        tally_.offsets.insert(offset);
        sse::error_code ec;
        net::write(stream_, net::buffer(req.data(), offset), ec);
        if (!ec)
            net::write(stream_, net::buffer(req.data() + offset, req.size() - offset), ec);
        if (ec)
            return fail("sending " + plan_[i].target() + ": " + ec.message());
        sent_ = i + 1;
    }

    void read()
    {
        if (failed_)
            return;
        stream_.async_read_some(net::buffer(buf_), [this](sse::error_code ec, std::size_t n) {
            on_read(ec, n);
        });
    }

    void on_read(sse::error_code ec, std::size_t n)
    {
        received_.append(buf_, n);
        if (ec)
            return fail("the connection ended (" + ec.message() + ") with \"" + show(received_) + "\"");
        try {
            for (;;) {
                if (pipelines(current_) && sent_ == current_ + 1 && sent_ < plan_.size() &&
                    received_.find("\r\n\r\n") != std::string::npos) {
                    ++tally_.pipelined;
                    send(sent_);
                    if (failed_)
                        return;
                }
                std::size_t const size = response_size(received_);
                if (size == 0)
                    break;
                std::string_view const answer = std::string_view(received_).substr(0, size);
                auto const wrong = check_answer(answer, plan_[current_], pipelines(current_));
                if (!wrong.empty())
                    return fail(wrong);
                ++tally_.answers;
                received_.erase(0, size);
                ++current_;
                if (current_ == plan_.size()) {
                    if (!received_.empty())
                        return fail("bytes after the last answer: \"" + show(received_) + "\"");
                    ++tally_.clients_done;
                    return finish();
                }
                if (sent_ == current_) {
                    if (!received_.empty())
                        return fail("bytes before the request was sent: \"" + show(received_) + "\"");
                    // The race: the next request goes out from the very
                    // completion that brought the end of the last answer.
                    if (plan_[current_ - 1].count != 0)
                        ++tally_.races;
                    send(current_);
                    if (failed_)
                        return;
                }
            }
        } catch (std::exception const& e) {
            return fail(std::string("unparsable answer (") + e.what() + "): \"" + show(received_) + "\"");
        }
        read();
    }

    void fail(std::string what)
    {
        if (failed_)
            return;
        failed_ = true;
        tally_.failures.push_back(
            "connection " + std::to_string(index_) + ", request " + std::to_string(current_) + " (" +
            plan_[std::min(current_, plan_.size() - 1)].target() + "): " + what
        );
        beast::get_lowest_layer(stream_).close();
    }

    // TLS ends with close_notify, so that the server's session ends cleanly;
    // TCP with a FIN.
    void finish()
    {
        if constexpr (tls_stream<Stream>) {
            stream_.async_shutdown([this](sse::error_code) { beast::get_lowest_layer(stream_).close(); });
        } else {
            beast::get_lowest_layer(stream_).close();
        }
    }

    Stream stream_;
    int index_;
    std::vector<exchange> plan_;
    bool pipelining_;
    race_tally& tally_;
    std::string received_;
    std::size_t current_ = 0; // the request whose answer is awaited
    std::size_t sent_ = 0;    // requests sent
    bool failed_ = false;
    char buf_[16 * 1024];
};

// A client's requests: a stream first, then streams of 1 to 50 events
// mixed with /plain, so that a stream is followed by a stream or by
// /plain in turn.
std::vector<exchange> plan_for(int index, int requests)
{
    std::vector<exchange> plan;
    for (int i = 0; i < requests; ++i) {
        bool const plain = i != 0 && (index + i) % 3 == 0;
        plan.push_back({plain ? 0 : 1 + (index * 7 + i * 13) % 50});
    }
    return plan;
}

struct race_result {
    race_tally tally;
    int expected_answers = 0;
    int expected_streams = 0;
    int expected_races = 0;
    bool finished = false; // the clients' io_context ran out of work within the deadline
};

// Runs `connections` clients of `requests` requests each at once, on one
// io_context on this thread. make_stream(ioc) returns a connected stream.
template <class MakeStream>
race_result run_race(int connections, int requests, bool pipelining, MakeStream make_stream)
{
    race_result r;
    net::io_context ioc;
    using stream_type = decltype(make_stream(ioc));
    std::vector<std::unique_ptr<race_client<stream_type>>> clients;
    for (int i = 0; i < connections; ++i) {
        auto plan = plan_for(i, requests);
        r.expected_answers += requests;
        for (std::size_t j = 0; j < plan.size(); ++j) {
            if (plan[j].count == 0)
                continue;
            ++r.expected_streams;
            if (j + 1 < plan.size() && !pipelined_round(pipelining, j, plan[j]))
                ++r.expected_races;
        }
        clients.push_back(std::make_unique<race_client<stream_type>>(
            make_stream(ioc), i, std::move(plan), pipelining, r.tally
        ));
    }
    for (auto& c : clients)
        c->start();
    ioc.run_for(deadline);
    r.finished = ioc.stopped();
    return r;
}

tcp::socket connect_tcp(net::io_context& ioc, unsigned short port)
{
    tcp::socket s(ioc);
    s.connect({net::ip::make_address("127.0.0.1"), port});
    s.set_option(tcp::no_delay(true)); // each of the two writes is a segment of its own
    return s;
}

// What a race run must show: every client got every answer, each exactly
// right; every stream not pipelined into was followed by a race; and the
// split offsets covered every position of the shortest request.
void check_race(race_result const& r, int connections)
{
    INFO("answers " << r.tally.answers << " of " << r.expected_answers << ", races " << r.tally.races
                    << ", pipelined " << r.tally.pipelined << ", failures " << r.tally.failures.size());
    CHECK(r.finished);
    for (std::size_t i = 0; i < std::min<std::size_t>(r.tally.failures.size(), 5); ++i)
        UNSCOPED_INFO(r.tally.failures[i]);
    CHECK(r.tally.failures.empty());
    CHECK(r.tally.clients_done == connections);
    REQUIRE(r.tally.answers == r.expected_answers);
    CHECK(r.tally.races == r.expected_races);
    std::size_t const shortest = exchange{}.request().size(); // GET /plain
    for (std::size_t offset = 1; offset < shortest; ++offset)
        CHECK(r.tally.offsets.count(offset) == 1);
}

// Every session ended cleanly when its client closed.
void check_sessions(server_log& log, int connections)
{
    REQUIRE(log.wait_sessions(static_cast<std::size_t>(connections)));
    CHECK(log.started() == connections);
    for (auto const& ec : log.sessions()) {
        INFO(ec.message());
        CHECK(!ec);
    }
}

// The http.client script: SSE_TEST_KEEPALIVE_CLIENT, or the one beside
// this file.
std::string keepalive_client()
{
#ifdef SSE_TEST_KEEPALIVE_CLIENT
    return SSE_TEST_KEEPALIVE_CLIENT;
#else
    return (std::filesystem::path(__FILE__).parent_path() / "keepalive_client.py").string();
#endif
}

// Where `got` first differs from `want`, with what follows there on each
// side; empty when they are equal.
std::string difference(std::string const& got, std::string const& want)
{
    if (got == want)
        return {};
    auto const mismatch = std::mismatch(got.begin(), got.end(), want.begin(), want.end());
    auto const at = static_cast<std::size_t>(mismatch.first - got.begin());
    return "at byte " + std::to_string(at) + " of " + std::to_string(got.size()) + " (expected " +
           std::to_string(want.size()) + "): got \"" + show(std::string_view(got).substr(at), 120) +
           "\", expected \"" + show(std::string_view(want).substr(at), 120) + "\"";
}

// The exact body of /stream?count=N.
std::string stream_body(int n)
{
    std::string s;
    for (int i = 1; i <= n; ++i)
        s += "id: " + std::to_string(i) + "\ndata: " + event_data(i, n) + "\n\n";
    return s;
}

} // namespace

TEST_CASE("keepalive: async_serve over TCP: the request sent right after the last chunk", "[keepalive]")
{
    constexpr int connections = 64;
    constexpr int requests = 48;
    server_log log;
    threaded_server srv(server_threads, serve_tcp(log));
    auto const r = run_race(connections, requests, false, [&](net::io_context& ioc) {
        return connect_tcp(ioc, srv.port());
    });
    check_race(r, connections);
    check_sessions(log, connections);
}

TEST_CASE("keepalive: async_serve answers a request pipelined during a stream", "[keepalive]")
{
    // The pipelined request ends the stream early, cleanly; its bytes stay
    // in the session's buffer and it is answered next, on the same
    // connection.
    constexpr int connections = 32;
    constexpr int requests = 24;
    server_log log;
    threaded_server srv(server_threads, serve_tcp(log));
    auto const r = run_race(connections, requests, true, [&](net::io_context& ioc) {
        return connect_tcp(ioc, srv.port());
    });
    check_race(r, connections);
    CHECK(r.tally.pipelined > 0);
    check_sessions(log, connections);
}

TEST_CASE("keepalive: async_serve over TLS: the request sent right after the last chunk", "[keepalive][tls]")
{
    constexpr int connections = 32;
    constexpr int requests = 64;
    auto const cert = make_self_signed_certificate();
    auto server_ctx = make_server_context(cert);
    ssl::context client_ctx(ssl::context::tls_client);
    client_ctx.set_verify_mode(ssl::verify_none);
    server_log log;
    threaded_server srv(server_threads, serve_tls(server_ctx, log));
    auto const r = run_race(connections, requests, false, [&](net::io_context& ioc) {
        return ssl::stream<tcp::socket>(connect_tcp(ioc, srv.port()), client_ctx);
    });
    check_race(r, connections);
    check_sessions(log, connections);
}

#ifndef SSE_TEST_KEEPALIVE_SERVE_ONLY

namespace xp = boost::asio::experimental;

namespace {

// One event, then nothing until the stream is ended from outside.
xp::coro<sse::message> hold(net::any_io_executor ex)
{
    co_yield sse::message{}.data("first");
    net::steady_timer timer(ex);
    timer.expires_after(std::chrono::hours(1));
    co_await timer.async_wait(xp::use_coro);
}

// Writes one stream with the buffer overload, and logs how it ended with
// what the buffer then held. Returns whether the connection goes on: after
// a clean end, and after a client pipelined (unexpected_data), whose bytes
// are at the start of the buffer for the next request parse.
template <class Source>
net::awaitable<bool> write_stream(
    beast::tcp_stream& stream,
    beast::flat_buffer& buffer,
    sse::stream_response<Source> res,
    std::string target,
    server_log& log
)
{
    bool const keep_alive = res.keep_alive();
    auto [ec] = co_await sse::async_write(stream, buffer, res, net::as_tuple(net::use_awaitable));
    log.stream_ended(ec, beast::buffers_to_string(buffer.data()), std::move(target));
    if ((ec && ec != sse::error::unexpected_data) || !keep_alive) {
        log.session_ended(ec);
        co_return false;
    }
    co_return true;
}

// A session loop of one's own around sse::async_write: read a request into
// the connection's buffer, answer it, go on while keep-alive holds.
net::awaitable<void> own_loop(tcp::socket socket, server_log& log)
{
    log.session_started();
    beast::tcp_stream stream(no_delay(std::move(socket)));
    beast::flat_buffer buffer;
    for (;;) {
        http::request<http::string_body> req;
        auto [rec, rn] = co_await http::async_read(stream, buffer, req, net::as_tuple(net::use_awaitable));
        if (rec) {
            log.session_ended(rec == http::error::end_of_stream ? sse::error_code() : rec);
            co_return;
        }
        std::string const target(req.target());
        bool const get = req.method() == http::verb::get;
        if (get && target == "/hold") {
            auto const ex = co_await net::this_coro::executor;
            if (!co_await write_stream(stream, buffer, sse::stream_response{req, hold(ex)}, target, log))
                co_return;
            continue;
        }
        if (auto const n = stream_count(target); get && n) {
            if (!co_await write_stream(stream, buffer, sse::stream_response{req, numbered(*n)}, target, log))
                co_return;
            continue;
        }
        auto res = !get ? sse::make_response(req, http::status::method_not_allowed, "method not allowed\n")
                   : target == "/plain" ? sse::make_response(req, http::status::ok, "ok\n")
                                        : sse::make_response(req, http::status::not_found, "not found\n");
        bool const keep_alive = res.keep_alive();
        auto [wec, wn] = co_await http::async_write(stream, res, net::as_tuple(net::use_awaitable));
        if (wec || !keep_alive) {
            log.session_ended(wec);
            co_return;
        }
    }
}

// Whether `buffered` could be the start of a request of these clients.
bool request_prefix(std::string_view buffered)
{
    constexpr std::string_view start = "GET /";
    return buffered.starts_with(start) || start.starts_with(buffered);
}

} // namespace

TEST_CASE("keepalive: sse::async_write with the connection's buffer in a loop of one's own", "[keepalive]")
{
    server_log log;
    threaded_server srv(server_threads, [&](tcp::socket socket) { return own_loop(std::move(socket), log); });

    SECTION("the request after the last chunk is never read by the stream")
    {
        constexpr int connections = 48;
        constexpr int requests = 48;
        auto const r = run_race(connections, requests, false, [&](net::io_context& ioc) {
            return connect_tcp(ioc, srv.port());
        });
        check_race(r, connections);
        check_sessions(log, connections);
        // Each stream ended cleanly with the buffer empty: the watch had
        // stopped before the last chunk went out, so not one byte of the
        // next request was read by it.
        auto const streams = log.streams();
        CHECK(static_cast<int>(streams.size()) == r.expected_streams);
        int wrong = 0;
        for (auto const& s : streams) {
            bool const ok = !s.ec && s.buffered.empty();
            if (!ok && ++wrong <= 5)
                UNSCOPED_INFO("a stream ended with " << s.ec.message() << ", buffer \"" << show(s.buffered)
                                                     << "\"");
        }
        CHECK(wrong == 0);
    }

    SECTION("a request pipelined while streams are being written is answered")
    {
        constexpr int connections = 32;
        constexpr int requests = 24;
        auto const r = run_race(connections, requests, true, [&](net::io_context& ioc) {
            return connect_tcp(ioc, srv.port());
        });
        check_race(r, connections);
        CHECK(r.tally.pipelined > 0);
        check_sessions(log, connections);
        // A stream that saw the pipelined request begin ended with
        // unexpected_data and left those bytes in the buffer; one that ended
        // first left them on the connection. Either way nothing else.
        int caught = 0;
        int wrong = 0;
        for (auto const& s : log.streams()) {
            bool const ok = (!s.ec || s.ec == sse::error::unexpected_data) && request_prefix(s.buffered) &&
                            (s.ec != sse::error::unexpected_data || !s.buffered.empty());
            if (s.ec == sse::error::unexpected_data)
                ++caught;
            if (!ok && ++wrong <= 5)
                UNSCOPED_INFO("a stream ended with " << s.ec.message() << ", buffer \"" << show(s.buffered)
                                                     << "\"");
        }
        INFO(caught << " streams of " << log.streams().size() << " saw a pipelined request begin");
        CHECK(wrong == 0);
    }

    SECTION("a request pipelined during a stream is kept whole, at every split")
    {
        client c(srv.port());
        int const rounds = static_cast<int>(exchange{}.request().size()) - 1;
        for (int round = 0; round < rounds; ++round) {
            std::size_t const offset = static_cast<std::size_t>(round) + 1;
            exchange const next{round % 2 == 0 ? 0 : 1 + round};
            std::string const req = next.request();
            INFO("round " << round << ", next " << next.target() << ", split after " << offset << " bytes");
            c.get("/hold");
            REQUIRE(c.read_until_contains("data: first\n\n"));
            // The stream is still open: the next request goes out now,
            // in two writes.
            c.send(std::string_view(req).substr(0, offset));
            c.send(std::string_view(req).substr(offset));
            REQUIRE(c.read_until([](std::string const& got) {
                auto const first = response_size(got);
                return first != 0 && response_size(std::string_view(got).substr(first)) != 0;
            }));
            std::string const got = c.take();
            std::size_t const first = response_size(got);
            std::size_t const second = response_size(std::string_view(got).substr(first));
            CHECK(first + second == got.size());

            // The stream ended cleanly, with its last chunk.
            auto const stream = parse_response(got.substr(0, first));
            CHECK(stream.status_line == "HTTP/1.1 200 OK");
            CHECK(stream.complete);
            CHECK(stream.body == "data: first\n\n");

            // The pipelined request was answered, exactly.
            INFO(show(got.substr(first)));
            CHECK(check_answer(std::string_view(got).substr(first), next).empty());

            // The stream reported the pipelining, and what it read of the
            // request was at the start of the buffer for the next parse.
            // (It is logged before the next request is read, so it is in.)
            std::vector<server_log::stream_end> held;
            for (auto const& s : log.streams())
                if (s.target == "/hold")
                    held.push_back(s);
            REQUIRE(held.size() == static_cast<std::size_t>(round) + 1);
            auto const& s = held.back();
            CHECK(s.ec == sse::error::unexpected_data);
            CHECK(!s.buffered.empty());
            CHECK(std::string_view(req).starts_with(s.buffered));
        }
        c.close();
        check_sessions(log, 1);
    }
}

#endif // SSE_TEST_KEEPALIVE_SERVE_ONLY

TEST_CASE("keepalive: curl reuses the connection after a stream", "[keepalive][curl]")
{
    server_log log;
    threaded_server srv(server_threads, serve_tcp(log));
    // Each URL quoted for the shell.
    auto const url = [&](std::string const& target) {
        return " 'http://127.0.0.1:" + std::to_string(srv.port()) + target + "'";
    };
    // -w '%{num_connects}': after each transfer, the connections it opened.
    // Only the first opens one; the others reuse it.
    auto const curl = [](std::string const& urls) {
        return run("curl -s --max-time 20 -w '%{num_connects}\\n'" + urls);
    };

    SECTION("a stream, a page, a stream")
    {
        auto const r = curl(url("/stream?count=3") + url("/plain") + url("/stream?count=2"));
        CHECK(r.status == 0);
        CHECK(difference(r.out, stream_body(3) + "1\n" + "ok\n" + "0\n" + stream_body(2) + "0\n") == "");
    }

    SECTION("three hundred transfers, streams and pages in turn")
    {
        std::string urls;
        std::string expected;
        for (int i = 0; i < 300; ++i) {
            int const n = i % 3 == 1 ? 0 : 1 + i % 7;
            urls += url(exchange{n}.target());
            expected += (n == 0 ? std::string("ok\n") : stream_body(n)) + (i == 0 ? "1\n" : "0\n");
        }
        auto const r = curl(urls);
        CHECK(r.status == 0);
        CHECK(difference(r.out, expected) == "");
    }
    // One session, which ended cleanly when curl closed.
    check_sessions(log, 1);
}

TEST_CASE("keepalive: Python's http.client sends 200 requests on one connection", "[keepalive][python]")
{
    server_log log;
    threaded_server srv(server_threads, serve_tcp(log));
    auto const port = std::to_string(srv.port());
    auto const r = run(std::string(SSE_TEST_PYTHON) + " '" + keepalive_client() + "' " + port + " 200");
    INFO(r.out);
    CHECK(r.status == 0);
    CHECK(r.out.ends_with("200 requests, 200 right, one connection\n"));
    check_sessions(log, 1);
}
