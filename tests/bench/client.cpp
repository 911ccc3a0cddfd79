//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Benchmarks of sse::client over loopback (127.0.0.1 only), beside bare
// readers of the same bytes measured in the same run:
//
//   1. One-stream throughput, in events/s and MB/s (MB = 10^6 bytes of
//      event-stream payload, the response header not counted). A server
//      thread (its own io_context, blocking calls) accepts one connection,
//      reads the request and answers `200`, `text/event-stream`,
//      `Connection: close`, then N events of exactly 64 bytes
//      (`id: 0000001\ndata: <44 x>\n\n`, ids zero-padded to 7 digits or
//      more), close-delimited (no chunking), 1,024 events per write from one
//      prebuilt block whose ids it rewrites in place, then closes. Readers,
//      each on the main thread, timed from the connect to the end of the
//      response:
//        A  the ceiling: a blocking socket, read_some into 64 KiB, counting
//           bytes only
//        C  A plus sse::parser over every byte (the parse cost alone)
//        D  what sse::client does, without the channel: a coroutine over
//           beast::tcp_stream, http::async_read of a response_parser
//           <buffer_body> into a 16 KiB chunk, sse::parser, and per event
//           an sse::event and a copy of the last id
//        F  D with the flat_buffer reserved to 16 KiB after the header:
//           Beast reads max(512, capacity - size) bytes at a time, and the
//           header leaves the buffer's capacity at 512 bytes
//        B  sse::client (HTTP/1.1, one_shot), a coroutine pulling every
//           event with co_await c.async_next(as_tuple(use_awaitable))
//        E  the hand-off alone, no socket: a coroutine sending N sse::event
//           through the client's channel type (unbuffered), another
//           receiving them through the same deferred adapter as async_next
//      Each row checks the event count, the data bytes and that the last
//      id is N. Figures are medians of --reps runs (default 3), interleaved
//      across readers. "cpu ns/ev" is the reader thread's CPU time per event
//      (the server runs on another thread). The goal is B / A >= 0.5.
//
//   2. Memory per idle open client: K (default 1,000) sse::client, each
//      with a pending async_next (a plain callback, no coroutine of the
//      caller's), connected to a server that answers the event-stream
//      header and then sends nothing. The server runs in a process forked
//      at the start, before anything else exists, so its sockets are not
//      counted. The figure is the growth of this process's RSS (VmRSS,
//      after malloc_trim(0)) from before the first client to after every
//      client is open (is_open()), divided by K; the growth of the malloc
//      heap in use (mallinfo2) is shown beside it. One client opened before
//      the baseline takes the one-time costs (the resolver's thread, the
//      allocator's first arenas). The kernel's socket buffers are not in
//      RSS.
//
// Run it from an optimised build, e.g.
//
//   ninja -C <build> bench_client && <build>/tests/bench/bench_client
//   bench_client --quick              (tiny counts: the ctest smoke run)
//   bench_client --events N --reps R --clients K --only b --no-memory
//
// No timing is asserted; the exit status says whether every check passed.

#include <sse/client.hpp>
#include <sse/parser.hpp>

#include "support.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <malloc.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using clock_type = std::chrono::steady_clock;
using namespace sse::bench;

constexpr std::size_t event_size = 64;
constexpr std::size_t events_per_write = 1024;

struct options {
    std::size_t events = 2'000'000;
    int reps = 3;
    std::size_t clients = 1000;
    bool quick = false;
    bool throughput = true;
    bool memory = true;
    std::string only; // readers to run (letters), empty: all
};

[[noreturn]] void die(char const* what)
{
    std::fprintf(stderr, "bench_client: %s\n", what);
    std::exit(1);
}

double seconds_since(clock_type::time_point t0)
{
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// ------------------------------------------------------------------ the stream

// The ids' width: 7 digits, or more for a larger N.
std::size_t id_width(std::size_t n)
{
    std::size_t w = 1;
    for (std::size_t v = n; v >= 10; v /= 10)
        ++w;
    return std::max<std::size_t>(7, w);
}

// `id: <width digits>\n` + `data: <payload>\n\n` = 64 bytes.
std::size_t payload_size(std::size_t n)
{
    return event_size - (4 + id_width(n) + 1) - (6 + 2);
}

std::string padded_id(std::size_t v, std::size_t width)
{
    std::string s = std::to_string(v);
    return std::string(width - std::min(width, s.size()), '0') + s;
}

// A block of events_per_write events whose ids are rewritten before each write.
class event_block {
public:
    explicit event_block(std::size_t n)
        : width_(id_width(n))
        , counter_(width_, '0')
    {
        std::string const payload(payload_size(n), 'x');
        for (std::size_t i = 0; i < events_per_write; ++i) {
            block_ += "id: ";
            block_ += std::string(width_, '0');
            block_ += "\ndata: ";
            block_ += payload;
            block_ += "\n\n";
        }
        if (block_.size() != events_per_write * event_size)
            die("event block of the wrong size");
    }

    // The next k events (k <= events_per_write), numbered on from the last.
    std::string_view next(std::size_t k)
    {
        for (std::size_t i = 0; i < k; ++i) {
            increment();
            std::memcpy(block_.data() + i * event_size + 4, counter_.data(), width_);
        }
        return std::string_view(block_.data(), k * event_size);
    }

private:
    void increment()
    {
        for (std::size_t i = width_; i-- > 0;) {
            if (counter_[i] != '9') {
                ++counter_[i];
                return;
            }
            counter_[i] = '0';
        }
    }

    std::size_t width_;
    std::string counter_;
    std::string block_;
};

constexpr std::string_view stream_header =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n";

constexpr std::string_view idle_header =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n";

// A server thread for one connection: N events as fast as the socket takes them.
class stream_server {
public:
    explicit stream_server(std::size_t n)
        : acc_(make_acceptor(ioc_, 4))
        , port_(acc_.local_endpoint().port())
        , thread_([this, n] { run(n); })
    {
    }

    ~stream_server()
    {
        if (thread_.joinable())
            thread_.join();
    }

    stream_server(stream_server const&) = delete;
    stream_server& operator=(stream_server const&) = delete;

    unsigned short port() const noexcept { return port_; }

    // Waits for the end; whether every event went out.
    bool finish()
    {
        thread_.join();
        return ok_;
    }

private:
    void run(std::size_t n)
    {
        error_code ec;
        tcp::socket s(ioc_);
        acc_.accept(s, ec);
        if (ec)
            return;
        std::string request;
        net::read_until(s, net::dynamic_buffer(request), "\r\n\r\n", ec);
        if (ec)
            return;
        net::write(s, net::buffer(stream_header), ec);
        event_block block(n);
        for (std::size_t sent = 0; sent < n && !ec;) {
            std::size_t const k = std::min(events_per_write, n - sent);
            net::write(s, net::buffer(block.next(k)), ec);
            sent += k;
        }
        if (ec)
            return;
        s.shutdown(tcp::socket::shutdown_send, ec);
        // Waits for the reader's close, so that nothing is reset.
        char sink[256];
        while (!ec)
            s.read_some(net::buffer(sink), ec);
        ok_ = true;
    }

    net::io_context ioc_;
    tcp::acceptor acc_;
    unsigned short port_;
    bool ok_ = false;
    std::thread thread_;
};

tcp::endpoint loopback(unsigned short port)
{
    return tcp::endpoint(net::ip::address_v4::loopback(), port);
}

sse::client_request request_to(unsigned short port)
{
    sse::client_request req;
    req.url = "http://127.0.0.1:" + std::to_string(port) + "/events";
    return req;
}

// ------------------------------------------------------------------ readers

struct run_result {
    bool ok = false;
    double seconds = 0;
    double cpu_seconds = 0;
    std::size_t events = 0;
    std::size_t data_bytes = 0;
    std::string last_id;
    std::string note; // what went wrong
};

// The checks every reader that parses must pass.
void check(run_result& r, std::size_t n, std::size_t width)
{
    if (r.events != n)
        r.note = "got " + std::to_string(r.events) + " events";
    else if (r.data_bytes != n * payload_size(n))
        r.note = "got " + std::to_string(r.data_bytes) + " data bytes";
    else if (r.last_id != padded_id(n, width))
        r.note = "last id " + r.last_id;
    else
        r.ok = true;
}

// A: bytes only.
run_result read_bare(std::size_t n)
{
    run_result r;
    stream_server server(n);
    net::io_context ioc;
    tcp::socket s(ioc);
    std::vector<char> buf(64 * 1024);
    double const c0 = thread_cpu_seconds();
    auto const t0 = clock_type::now();
    error_code ec;
    s.connect(loopback(server.port()), ec);
    if (!ec)
        net::write(s, net::buffer(request_text), ec);
    std::size_t total = 0;
    while (!ec)
        total += s.read_some(net::buffer(buf), ec);
    r.seconds = seconds_since(t0);
    r.cpu_seconds = thread_cpu_seconds() - c0;
    s.close();
    bool const served = server.finish();
    if (ec != net::error::eof || !served)
        r.note = "transport: " + ec.message();
    else if (total != stream_header.size() + n * event_size)
        r.note = "got " + std::to_string(total) + " bytes";
    else
        r.ok = true;
    r.events = n;
    return r;
}

// C: bytes and sse::parser.
run_result read_parse(std::size_t n)
{
    run_result r;
    stream_server server(n);
    net::io_context ioc;
    tcp::socket s(ioc);
    std::vector<char> buf(64 * 1024);
    sse::parser events;
    std::string head;
    bool in_body = false;
    double const c0 = thread_cpu_seconds();
    auto const t0 = clock_type::now();
    error_code ec;
    s.connect(loopback(server.port()), ec);
    if (!ec)
        net::write(s, net::buffer(request_text), ec);
    error_code pec;
    while (!ec && !pec) {
        std::size_t const k = s.read_some(net::buffer(buf), ec);
        std::string_view in(buf.data(), k);
        if (!in_body) {
            head.append(in);
            auto const end = head.find("\r\n\r\n");
            if (end == std::string::npos)
                continue;
            in_body = true;
            in = std::string_view(head).substr(end + 4);
        }
        while (!in.empty()) {
            if (events.parse(in, pec) == sse::parse_result::event) {
                ++r.events;
                r.data_bytes += events.event().data.size();
            }
            if (pec)
                break;
        }
    }
    r.seconds = seconds_since(t0);
    r.cpu_seconds = thread_cpu_seconds() - c0;
    s.close();
    bool const served = server.finish();
    r.last_id = std::string(events.last_event_id());
    if (pec)
        r.note = "parse: " + pec.message();
    else if (ec != net::error::eof || !served)
        r.note = "transport: " + ec.message();
    else
        check(r, n, id_width(n));
    return r;
}

// D: the client's read path without the channel.
net::awaitable<void> beast_reader(unsigned short port, std::size_t reserve, run_result& r, error_code& end)
{
    auto ex = co_await net::this_coro::executor;
    beast::tcp_stream s(ex);
    error_code ec;
    co_await s.async_connect(loopback(port), net::redirect_error(net::use_awaitable, ec));
    if (ec) {
        end = ec;
        co_return;
    }
    http::request<http::empty_body> req(http::verb::get, "/events", 11);
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::accept, "text/event-stream");
    req.set(http::field::cache_control, "no-cache");
    co_await http::async_write(s, req, net::redirect_error(net::use_awaitable, ec));
    beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> p;
    p.body_limit(std::numeric_limits<std::uint64_t>::max());
    if (!ec)
        co_await http::async_read_header(s, buffer, p, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
        end = ec;
        co_return;
    }
    // Beast reads max(512, capacity - size) bytes at a time.
    if (reserve > buffer.capacity())
        buffer.reserve(reserve);
    sse::parser events;
    std::array<char, 16 * 1024> chunk;
    std::string last_id;
    while (!p.is_done()) {
        s.expires_never();
        p.get().body().data = chunk.data();
        p.get().body().size = chunk.size();
        co_await http::async_read(s, buffer, p, net::redirect_error(net::use_awaitable, ec));
        if (ec == http::error::need_buffer)
            ec = {};
        std::string_view in(chunk.data(), chunk.size() - p.get().body().size);
        while (!in.empty()) {
            error_code pec;
            if (events.parse(in, pec) == sse::parse_result::event) {
                last_id = std::string(events.last_event_id());
                sse::event ev(events.event());
                ++r.events;
                r.data_bytes += ev.data.size();
                r.last_id.swap(ev.id);
            }
            if (pec) {
                end = pec;
                co_return;
            }
        }
        if (ec) {
            end = ec;
            co_return;
        }
    }
}

run_result read_beast(std::size_t n, std::size_t reserve)
{
    run_result r;
    stream_server server(n);
    net::io_context ioc;
    error_code end;
    double const c0 = thread_cpu_seconds();
    auto const t0 = clock_type::now();
    net::co_spawn(ioc, beast_reader(server.port(), reserve, r, end), net::detached);
    ioc.run();
    r.seconds = seconds_since(t0);
    r.cpu_seconds = thread_cpu_seconds() - c0;
    bool const served = server.finish();
    if (end || !served)
        r.note = "ended with " + end.message();
    else
        check(r, n, id_width(n));
    return r;
}

run_result read_beast_as_is(std::size_t n)
{
    return read_beast(n, 0);
}

run_result read_beast_reserved(std::size_t n)
{
    return read_beast(n, 16 * 1024);
}

// B: sse::client. The client's coroutine waits to hand the end out again
// until the client goes, so the reader stops the io_context.
net::awaitable<void> client_reader(sse::client& c, run_result& r, error_code& end, net::io_context& ioc, bool drain)
{
    for (;;) {
        if (drain) {
            // G: what is ready, without a wait; then one wait.
            error_code ready;
            while (auto ev = c.try_next(ready)) {
                ++r.events;
                r.data_bytes += ev->data.size();
                r.last_id.swap(ev->id);
            }
        }
        auto [ec, ev] = co_await c.async_next(net::as_tuple(net::use_awaitable));
        if (ec) {
            end = ec;
            ioc.stop();
            co_return;
        }
        ++r.events;
        r.data_bytes += ev.data.size();
        r.last_id.swap(ev.id);
    }
}

run_result read_client_with(std::size_t n, bool drain)
{
    run_result r;
    stream_server server(n);
    net::io_context ioc;
    error_code end;
    sse::client_options o;
    o.one_shot = true;
    double c0 = 0;
    clock_type::time_point t0;
    {
        sse::client c(ioc.get_executor(), request_to(server.port()), std::move(o));
        c0 = thread_cpu_seconds();
        t0 = clock_type::now();
        net::co_spawn(ioc, client_reader(c, r, end, ioc, drain), net::detached);
        ioc.run();
        r.seconds = seconds_since(t0);
        r.cpu_seconds = thread_cpu_seconds() - c0;
    }
    ioc.restart();
    ioc.run(); // the client's coroutine ends
    bool const served = server.finish();
    if (end != sse::error::end_of_stream || !served)
        r.note = "ended with " + end.message();
    else
        check(r, n, id_width(n));
    return r;
}

// E: the hand-off alone, as the client does it.
using client_channel =
    net::experimental::basic_channel<net::any_io_executor, net::experimental::channel_traits<>, void(error_code, sse::event)>;

net::awaitable<void> channel_sender(client_channel& ch, std::size_t n)
{
    std::size_t const width = id_width(n);
    std::string const data(payload_size(n), 'x');
    std::string id(width, '0');
    std::string last_id;
    for (std::size_t i = 1; i <= n; ++i) {
        // The id changes per event (the client copies it from the parser).
        for (std::size_t j = width; j-- > 0;) {
            if (id[j] != '9') {
                ++id[j];
                break;
            }
            id[j] = '0';
        }
        last_id = id;
        sse::event ev(sse::event_view{"message", data, id});
        error_code sec;
        co_await ch.async_send(error_code(), std::move(ev), net::redirect_error(net::use_awaitable, sec));
        if (sec)
            co_return;
    }
    ch.close();
}

net::awaitable<void> channel_receiver(client_channel& ch, run_result& r, error_code& end)
{
    for (;;) {
        auto [ec, ev] = co_await ch.async_receive(net::deferred([](error_code e, sse::event v) {
            if (e == net::experimental::error::channel_cancelled || e == net::experimental::error::channel_closed)
                e = net::error::operation_aborted;
            return net::deferred.values(e, std::move(v));
        }))(net::as_tuple(net::use_awaitable));
        if (ec) {
            end = ec;
            co_return;
        }
        ++r.events;
        r.data_bytes += ev.data.size();
        r.last_id.swap(ev.id);
    }
}

run_result hand_off(std::size_t n)
{
    run_result r;
    net::io_context ioc;
    client_channel ch(ioc.get_executor());
    error_code end;
    double const c0 = thread_cpu_seconds();
    auto const t0 = clock_type::now();
    net::co_spawn(ioc, channel_receiver(ch, r, end), net::detached);
    net::co_spawn(ioc, channel_sender(ch, n), net::detached);
    ioc.run();
    r.seconds = seconds_since(t0);
    r.cpu_seconds = thread_cpu_seconds() - c0;
    if (end != net::error::operation_aborted)
        r.note = "ended with " + end.message();
    else
        check(r, n, id_width(n));
    return r;
}

// ------------------------------------------------------------------ throughput table

struct reader {
    char letter;
    char const* name;
    run_result (*run)(std::size_t);
};

run_result read_client(std::size_t n)
{
    return read_client_with(n, false);
}

run_result read_client_drain(std::size_t n)
{
    return read_client_with(n, true);
}

constexpr reader readers[] = {
    {'a', "A bare read_some 64 KiB (ceiling)", read_bare},
    {'c', "C A + sse::parser", read_parse},
    {'d', "D beast buffer_body 16 KiB + parser + event", read_beast_as_is},
    {'f', "F D + flat_buffer.reserve(16 KiB)", read_beast_reserved},
    {'b', "B sse::client async_next", read_client},
    {'g', "G sse::client try_next, then async_next", read_client_drain},
    {'e', "E channel hand-off alone (no socket)", hand_off},
};

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

bool run_throughput(options const& opt)
{
    std::size_t const n = opt.events;
    std::printf("== 1. One stream: %zu events of %zu B (`id: %s\\ndata: <%zu B>\\n\\n`), "
                "close-delimited HTTP/1.1, 127.0.0.1 ==\n",
                n, event_size, padded_id(1, id_width(n)).c_str(), payload_size(n));
    std::printf("   median of %d run%s, interleaved; MB = 10^6 B of event stream; cpu = reader thread\n\n", opt.reps,
                opt.reps == 1 ? "" : "s");

    struct row {
        reader const* r;
        std::vector<double> seconds, cpu;
        bool ok = true;
        std::string note;
    };
    std::vector<row> rows;
    for (auto const& r : readers)
        if (opt.only.empty() || opt.only.find(r.letter) != std::string::npos)
            rows.push_back({&r, {}, {}, true, {}});

    for (int rep = 0; rep < opt.reps; ++rep) {
        for (auto& row : rows) {
            run_result const res = row.r->run(n);
            if (!res.ok) {
                row.ok = false;
                row.note = res.note;
            }
            row.seconds.push_back(res.seconds);
            row.cpu.push_back(res.cpu_seconds);
        }
    }

    std::printf("%-46s %12s %9s %10s %9s %7s\n", "reader", "events/s", "MB/s", "cpu ns/ev", "seconds", "vs A");
    double a_rate = 0;
    double b_rate = 0;
    bool ok = true;
    for (auto const& row : rows) {
        double const s = median(row.seconds);
        double const rate = s > 0 ? static_cast<double>(n) / s : 0;
        double const cpu_ns = median(row.cpu) * 1e9 / static_cast<double>(n);
        if (row.r->letter == 'a')
            a_rate = rate;
        if (row.r->letter == 'b')
            b_rate = rate;
        char vs[32] = "-";
        if (a_rate > 0)
            std::snprintf(vs, sizeof vs, "%.3fx", rate / a_rate);
        std::printf("%-46s %12.0f %9.1f %10.1f %9.3f %7s%s%s\n", row.r->name, rate,
                    rate * static_cast<double>(event_size) / 1e6, cpu_ns, s, vs, row.ok ? "" : "  FAILED: ",
                    row.note.c_str());
        ok = ok && row.ok;
    }
    if (a_rate > 0 && b_rate > 0)
        std::printf("\nB / A = %.3fx (goal >= 0.5x)\n", b_rate / a_rate);
    std::printf("\n");
    return ok;
}

// ------------------------------------------------------------------ memory

// The idle server, in a child process: every connection gets the header
// and then nothing, until the client goes.
net::awaitable<void> hold(tcp::socket s)
{
    error_code ec;
    std::string request;
    co_await net::async_read_until(s, net::dynamic_buffer(request), "\r\n\r\n", net::redirect_error(net::use_awaitable, ec));
    if (!ec)
        co_await net::async_write(s, net::buffer(idle_header), net::redirect_error(net::use_awaitable, ec));
    char sink[64];
    while (!ec)
        co_await s.async_read_some(net::buffer(sink), net::redirect_error(net::use_awaitable, ec));
}

net::awaitable<void> accept_loop(tcp::acceptor& acc)
{
    for (;;) {
        error_code ec;
        tcp::socket s = co_await acc.async_accept(net::redirect_error(net::use_awaitable, ec));
        if (ec == net::error::no_descriptors || ec == net::error::no_buffer_space)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        else if (ec)
            co_return;
        else
            net::co_spawn(acc.get_executor(), hold(std::move(s)), net::detached);
    }
}

struct idle_server {
    pid_t pid = -1;
    unsigned short port = 0;
};

// Forks the idle server; call it before anything else exists.
idle_server start_idle_server(int backlog)
{
    idle_server srv;
    int const fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket");
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr const*>(&a), sizeof a) != 0 || ::listen(fd, backlog) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        die("listen");
    srv.port = ntohs(a.sin_port);
    std::fflush(stdout);
    srv.pid = ::fork();
    if (srv.pid < 0)
        die("fork");
    if (srv.pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        net::io_context ioc;
        tcp::acceptor acc(ioc, tcp::v4(), fd);
        net::co_spawn(ioc, accept_loop(acc), net::detached);
        ioc.run();
        ::_exit(0);
    }
    ::close(fd);
    return srv;
}

void stop_idle_server(idle_server const& srv)
{
    if (srv.pid > 0) {
        ::kill(srv.pid, SIGTERM);
        ::waitpid(srv.pid, nullptr, 0);
    }
}

// Runs ioc until pred() or the deadline.
template <class Pred>
bool run_until(net::io_context& ioc, Pred pred, std::chrono::seconds limit)
{
    auto const deadline = clock_type::now() + limit;
    while (!pred()) {
        if (clock_type::now() > deadline)
            return false;
        ioc.run_for(std::chrono::milliseconds(5));
        if (ioc.stopped())
            ioc.restart();
    }
    return true;
}

bool run_memory(options const& opt, idle_server const& srv)
{
    std::size_t const k = opt.clients;
    std::printf("== 2. Memory per idle open sse::client: %zu clients, each with a pending async_next ==\n", k);
    net::io_context ioc;
    std::size_t completed = 0;
    auto on_next = [&completed](error_code, sse::event) { ++completed; };
    auto make = [&] {
        return std::make_unique<sse::client>(ioc.get_executor(), request_to(srv.port));
    };

    // One client first: the resolver's thread, the allocator's arenas.
    auto warm = make();
    warm->async_next(on_next);
    if (!run_until(ioc, [&] { return warm->is_open(); }, std::chrono::seconds(30))) {
        std::printf("FAILED: the first client did not open\n\n");
        return false;
    }
    std::vector<std::unique_ptr<sse::client>> clients;
    clients.reserve(k);

    ::malloc_trim(0);
    long const rss0 = rss_kib();
    long const heap0 = heap_in_use();
    auto const t0 = clock_type::now();
    for (std::size_t i = 0; i < k; ++i) {
        clients.push_back(make());
        clients.back()->async_next(on_next);
    }
    std::size_t open = 0;
    bool const all_open = run_until(
        ioc,
        [&] {
            open = static_cast<std::size_t>(
                std::count_if(clients.begin(), clients.end(), [](auto const& c) { return c->is_open(); }));
            return open == k;
        },
        std::chrono::seconds(60));
    double const open_s = seconds_since(t0);
    ::malloc_trim(0);
    long const rss1 = rss_kib();
    long const heap1 = heap_in_use();
    bool const none_completed = completed == 0;

    double const kd = static_cast<double>(k);
    std::printf("%-30s %12s %12s %14s %12s\n", "", "RSS growth", "RSS/client", "heap/client", "open after");
    std::printf("%-30s %9.1f MiB %9.0f B %12.0f B %10.2f s\n", "sse::client, idle", static_cast<double>(rss1 - rss0) / 1024.0,
                static_cast<double>(rss1 - rss0) * 1024.0 / kd, static_cast<double>(heap1 - heap0) / kd, open_s);
    std::printf("   (VmRSS after malloc_trim(0), before the first client and after all are open; the kernel's\n"
                "    socket buffers are not in RSS; the server is another process)\n");

    clients.clear();
    warm.reset();
    bool const all_ended = run_until(ioc, [&] { return completed == k + 1; }, std::chrono::seconds(30));
    ioc.run_for(std::chrono::milliseconds(50));

    bool ok = true;
    if (!all_open) {
        std::printf("FAILED: %zu of %zu clients open\n", open, k);
        ok = false;
    }
    if (!none_completed) {
        std::printf("FAILED: an async_next completed while the streams were idle\n");
        ok = false;
    }
    if (!all_ended) {
        std::printf("FAILED: %zu of %zu pending async_next completed after the clients went\n", completed, k + 1);
        ok = false;
    }
    std::printf("\n");
    return ok;
}

// ------------------------------------------------------------------ main

bool parse_options(int argc, char** argv, options& opt)
{
    for (int i = 1; i < argc; ++i) {
        std::string_view const a = argv[i];
        auto value = [&](long lo, long hi, long& out) {
            if (i + 1 >= argc)
                return false;
            char* end = nullptr;
            out = std::strtol(argv[++i], &end, 10);
            return *end == '\0' && out >= lo && out <= hi;
        };
        long v = 0;
        if (a == "--quick") {
            opt.quick = true;
            opt.events = 20'000;
            opt.reps = 1;
            opt.clients = 50;
        } else if (a == "--events") {
            if (!value(1, 1'000'000'000, v))
                return false;
            opt.events = static_cast<std::size_t>(v);
        } else if (a == "--reps") {
            if (!value(1, 100, v))
                return false;
            opt.reps = static_cast<int>(v);
        } else if (a == "--clients") {
            if (!value(1, 100'000, v))
                return false;
            opt.clients = static_cast<std::size_t>(v);
        } else if (a == "--only") {
            if (i + 1 >= argc)
                return false;
            opt.only = argv[++i];
        } else if (a == "--no-memory") {
            opt.memory = false;
        } else if (a == "--no-throughput") {
            opt.throughput = false;
        } else {
            return false;
        }
    }
    return true;
}

// Soft RLIMIT_NOFILE up to the hard limit; the descriptors available.
rlim_t raise_fd_limit()
{
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &rl);
        ::getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur;
}

} // namespace

int main(int argc, char** argv)
{
    options opt;
    if (!parse_options(argc, argv, opt)) {
        std::fprintf(stderr,
                     "usage: %s [--quick] [--events N] [--reps R] [--clients K] [--only abcdefg]\n"
                     "          [--no-memory] [--no-throughput]\n",
                     argv[0]);
        return 2;
    }
    ::signal(SIGPIPE, SIG_IGN);
    rlim_t const fds = raise_fd_limit();
    if (fds != RLIM_INFINITY && fds < opt.clients + 64) {
        std::size_t const k = fds > 128 ? static_cast<std::size_t>(fds) - 64 : 64;
        std::printf("(RLIMIT_NOFILE is %llu: %zu clients instead of %zu)\n", static_cast<unsigned long long>(fds), k,
                    opt.clients);
        opt.clients = k;
    }

    // The idle server first, forked before anything else exists.
    idle_server srv;
    if (opt.memory)
        srv = start_idle_server(static_cast<int>(std::min<std::size_t>(opt.clients, 4096)));

    std::printf("bench_client: %u CPUs, RLIMIT_NOFILE %llu%s\n\n", std::thread::hardware_concurrency(),
                static_cast<unsigned long long>(fds), opt.quick ? "; --quick: tiny counts, figures not meaningful" : "");
    bool ok = true;
    if (opt.throughput)
        ok = run_throughput(opt) && ok;
    if (opt.memory)
        ok = run_memory(opt, srv) && ok;
    stop_idle_server(srv);
    return ok ? 0 : 1;
}
