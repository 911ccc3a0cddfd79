//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Benchmarks of sse::stream_response over loopback (127.0.0.1 only), each
// beside a hand-written Beast server measured in the same run:
//
//   1. One-stream throughput, in events/s and MB/s (MB = 10^6 bytes of
//      event-stream payload, chunk framing not counted), for 64-byte and
//      4 KiB events (the wire size of `data: <text>\n\n`). The server writes
//      N events from a std::ranges view (building an sse::message per event,
//      or copying one prebuilt sse::serialized), or from a
//      net::experimental::coro producer that co_yields as fast as it can
//      (messages, or serialized; or 64 KiB batches of messages serialized
//      into one sse::serialized per co_yield), or from a net::awaitable
//      producer that pushes into an sse::stream_writer (sse::spawn_writer:
//      one co_await out.async_send(msg) per event, with one message reused,
//      or one prebuilt sse::serialized). The client is a blocking socket in another
//      thread that reads into a 1 MiB buffer and walks the chunk framing
//      (to check the byte count) until the last chunk. Time runs from the
//      request to the last chunk. The server's CPU time per event is the
//      main thread's CPU time (it runs the io_context) over the same span.
//
//   2. The baseline: a Beast coroutine that writes the header through an
//      http::response_serializer<http::empty_body>, then awaits one
//      net::async_write of http::make_chunk(event) per event, then the last
//      chunk. Same events (prebuilt bytes), same client. The summary gives
//      each sse figure as a ratio of it; the goals are >= 4x for 64-byte
//      events and >= 1.5x for 4 KiB events.
//
//   3. Memory per idle open stream: a server process holds S (default
//      10,000) connections, each over beast::tcp_stream, the request read
//      by http::async_read. The figure is the growth of the server's RSS
//      (VmRSS, after malloc_trim(0)) from before the first connection to
//      after every client has received its headers, divided by S; the growth
//      of the malloc heap in use (mallinfo2) is shown beside it. The clients
//      run in a process forked from the server before it creates anything,
//      so their sockets are not counted. Rows:
//        sse coro      stream_response whose coro producer awaits a 1 h timer
//        sse channel   stream_response over a channel nobody sends to
//        beast         header written by response_serializer, then an idle
//                      co_await timer.async_wait(use_awaitable)
//        bare          the request read, nothing written, the same idle wait
//                      (what every row pays for the connection and its coroutine)
//      keep_alive stays at its default of 15 s (the figures are taken before
//      the first keep-alive is due). "over bare" is a row minus the bare row:
//      what holding the stream costs beyond the connection and its coroutine.
//      For the sse rows, "kept/st" is the heap still in use, per stream, once
//      the clients have reset their connections and every stream has ended
//      (with error::peer_gone, checked): a leak check. Asio keeps each
//      socket's reactor state (about 170 bytes) pooled, so it is not zero.
//      The goal is <= 2 KiB per idle sse stream.
//
// Run it from an optimised build (about 1 to 2 minutes on two cores), e.g.
//
//   ninja -C <build> bench_stream && <build>/tests/bench/bench_stream
//   bench_stream --small 100000 --large 10000 --reps 1 --streams 2000   (quick)
//   bench_stream --no-memory          (or --no-throughput)
//   bench_stream --filter coro        (only the servers whose name has "coro")
//
// Throughput figures are medians of --reps runs (default 3), interleaved
// across servers. The process needs 2 * streams + a few file descriptors
// in all, no more than streams + a few in one process.

#include <sse/message.hpp>
#include <sse/serialized.hpp>
#include <sse/sources/channel.hpp>
#include <sse/sources/coro.hpp>
#include <sse/sources/pipe.hpp>
#include <sse/sources/range.hpp>
#include <sse/stream_response.hpp>

#include "support.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <ranges>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace xp = net::experimental;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using namespace sse::bench;

// ------------------------------------------------------------------ options

struct options {
    std::size_t small_events = 500'000;
    std::size_t large_events = 50'000;
    int reps = 3;
    int streams = 10'000;
    bool throughput = true;
    bool memory = true;
    std::string filter; // run only the servers whose name contains this
};

// ------------------------------------------------------------------ helpers

// The event `data: <text>\n\n` of exactly `wire_size` bytes.
std::string make_data(std::size_t wire_size)
{
    std::string s(wire_size - 8, ' ');
    for (std::size_t i = 0; i < s.size(); ++i)
        s[i] = static_cast<char>('a' + i % 26);
    return s;
}

// ------------------------------------------------------------- the client

// Walks an HTTP/1.1 chunked response: the header, then the chunk framing,
// skipping the chunk data (counted, not looked at).
class chunk_reader {
public:
    // Consumes bytes; true once the last chunk has been read.
    bool feed(char const* p, std::size_t n)
    {
        char const* const end = p + n;
        while (p != end && state_ != state::done && state_ != state::failed) {
            switch (state_) {
            case state::head:
                head_ += *p;
                if (head_.size() > 4096) {
                    state_ = state::failed;
                } else if (head_.ends_with("\r\n\r\n")) {
                    state_ = head_.starts_with("HTTP/1.1 200") ? state::size : state::failed;
                }
                ++p;
                break;
            case state::size: {
                char const c = *p++;
                if (c == '\r') {
                    state_ = digits_ ? state::size_lf : state::failed;
                } else {
                    int const v = hex(c);
                    if (v < 0 || ++digits_ > 15)
                        state_ = state::failed;
                    size_ = size_ * 16 + static_cast<std::size_t>(v);
                }
                break;
            }
            case state::size_lf:
                if (*p++ != '\n') {
                    state_ = state::failed;
                } else if (size_ == 0) {
                    state_ = state::trailer_cr;
                } else {
                    ++chunks_;
                    left_ = size_;
                    state_ = state::data;
                }
                break;
            case state::data: {
                std::size_t const k = std::min<std::size_t>(left_, static_cast<std::size_t>(end - p));
                p += k;
                left_ -= k;
                payload_ += k;
                if (left_ == 0)
                    state_ = state::data_cr;
                break;
            }
            case state::data_cr: state_ = *p++ == '\r' ? state::data_lf : state::failed; break;
            case state::data_lf:
                state_ = *p++ == '\n' ? state::size : state::failed;
                size_ = 0;
                digits_ = 0;
                break;
            case state::trailer_cr: state_ = *p++ == '\r' ? state::trailer_lf : state::failed; break;
            case state::trailer_lf: state_ = *p++ == '\n' ? state::done : state::failed; break;
            case state::done:
            case state::failed: break;
            }
        }
        return state_ == state::done;
    }

    bool failed() const noexcept { return state_ == state::failed; }
    std::size_t payload() const noexcept { return payload_; }
    std::size_t chunks() const noexcept { return chunks_; }

private:
    static int hex(char c) noexcept
    {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    }

    enum class state { head, size, size_lf, data, data_cr, data_lf, trailer_cr, trailer_lf, done, failed };
    state state_ = state::head;
    std::string head_;
    std::size_t size_ = 0;
    int digits_ = 0;
    std::size_t left_ = 0;
    std::size_t payload_ = 0;
    std::size_t chunks_ = 0;
};

struct client_result {
    bool ok = false;
    std::string error;
    double seconds = 0;
    std::size_t payload = 0;
    std::size_t wire = 0;
    std::size_t chunks = 0;
};

// Sends one request and reads the response to its last chunk, as fast as it can.
client_result read_stream(unsigned short port, clock_type::duration limit)
{
    client_result r;
    int const fd = connect_loopback(port, 10);
    if (fd < 0) {
        r.error = "connect failed";
        return r;
    }
    std::vector<char> buf(1 << 20);
    chunk_reader reader;
    auto const t0 = clock_type::now();
    auto const deadline = t0 + limit;
    bool done = false;
    if (!send_all(fd, request_text.data(), request_text.size())) {
        r.error = "send failed";
    } else {
        // Bounded: every recv returns at least one byte or ends the loop, and
        // the deadline is checked on each pass.
        for (std::size_t pass = 0; pass < (std::size_t{1} << 32) && !done; ++pass) {
            ssize_t const n = ::recv(fd, buf.data(), buf.size(), 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                r.error = n == 0 ? "closed before the last chunk" : "recv failed or timed out";
                break;
            }
            r.wire += static_cast<std::size_t>(n);
            done = reader.feed(buf.data(), static_cast<std::size_t>(n));
            if (reader.failed()) {
                r.error = "malformed response";
                break;
            }
            if (!done && clock_type::now() > deadline) {
                r.error = "time limit";
                break;
            }
        }
    }
    auto const t1 = clock_type::now();
    ::close(fd);
    r.ok = done;
    r.seconds = std::chrono::duration<double>(t1 - t0).count();
    r.payload = reader.payload();
    r.chunks = reader.chunks();
    return r;
}

// ------------------------------------------------------------ throughput

enum class server_kind {
    sse_range_message,
    sse_range_serialized,
    sse_coro_message,
    sse_coro_serialized,
    sse_coro_batch,
    sse_pipe_message,
    sse_pipe_serialized,
    beast_loop
};

constexpr server_kind all_kinds[] = {
    server_kind::beast_loop,
    server_kind::sse_range_message,
    server_kind::sse_range_serialized,
    server_kind::sse_coro_message,
    server_kind::sse_coro_serialized,
    server_kind::sse_coro_batch,
    server_kind::sse_pipe_message,
    server_kind::sse_pipe_serialized,
};

char const* name_of(server_kind k)
{
    switch (k) {
    case server_kind::sse_range_message: return "sse range<message>";
    case server_kind::sse_range_serialized: return "sse range<serialized>";
    case server_kind::sse_coro_message: return "sse coro<message>";
    case server_kind::sse_coro_serialized: return "sse coro<serialized>";
    case server_kind::sse_coro_batch: return "sse coro, 64 KiB batches";
    case server_kind::sse_pipe_message: return "sse pipe, message";
    case server_kind::sse_pipe_serialized: return "sse pipe, serialized";
    case server_kind::beast_loop: return "beast chunk/event";
    }
    return "?";
}

// Clang 14 cannot compile libstdc++ 12's iota_view and transform_view: there
// the range servers use a minimal hand-written view instead.
#if defined(__clang__) && __clang_major__ < 15 && defined(__GLIBCXX__)
#define SSE_BENCH_STD_VIEWS 0
#else
#define SSE_BENCH_STD_VIEWS 1
#endif

// A view of n results of f().
template <class F>
class generate_n_view : public std::ranges::view_base {
public:
    using value_type = std::invoke_result_t<F const&>;

    class iterator {
    public:
        using value_type = generate_n_view::value_type;
        using difference_type = std::ptrdiff_t;

        iterator() = default;
        iterator(F const* f, std::size_t i) : f_(f), i_(i) {}
        value_type operator*() const { return (*f_)(); }
        iterator& operator++()
        {
            ++i_;
            return *this;
        }
        void operator++(int) { ++i_; }
        bool operator==(iterator const& other) const { return i_ == other.i_; }

    private:
        F const* f_ = nullptr;
        std::size_t i_ = 0;
    };

    generate_n_view() = default;
    generate_n_view(std::size_t n, F f) : n_(n), f_(std::move(f)) {}
    iterator begin() const { return {&f_, 0}; }
    iterator end() const { return {&f_, n_}; }

private:
    std::size_t n_ = 0;
    F f_;
};

// n results of f(), as `iota | transform` where the compiler allows it.
template <class F>
auto n_times(std::size_t n, F f)
{
#if SSE_BENCH_STD_VIEWS
    return std::views::iota(std::size_t{0}, n) | std::views::transform([f = std::move(f)](std::size_t) { return f(); });
#else
    return generate_n_view<F>(n, std::move(f));
#endif
}

struct make_message {
    std::string_view data;
    sse::message operator()() const { return sse::message{}.data(data); }
};

struct copy_serialized {
    sse::serialized s;
    sse::serialized operator()() const { return s; }
};

xp::coro<sse::message> produce_messages(net::any_io_executor, std::size_t n, std::string_view data)
{
    for (std::size_t i = 0; i < n; ++i)
        co_yield sse::message{}.data(data);
}

xp::coro<sse::serialized> produce_serialized(net::any_io_executor, std::size_t n, sse::serialized s)
{
    for (std::size_t i = 0; i < n; ++i)
        co_yield s;
}

// Several messages per resumption: each co_yield hands over up to 64 KiB
// of serialized messages (one message, reused, serialized into a string).
xp::coro<sse::serialized> produce_batches(net::any_io_executor, std::size_t n, std::string_view data)
{
    constexpr std::size_t batch_bytes = 64 * 1024;
    sse::message msg;
    std::string batch;
    for (std::size_t i = 0; i < n;) {
        batch.clear();
        for (; i < n && batch.size() < batch_bytes; ++i) {
            msg.clear();
            msg.data(data);
            sse::serialize(msg, batch);
        }
        co_yield sse::serialized::from_wire(batch);
    }
}

// A push-style producer: co_await out.async_send(msg) completes at once
// while the pipe has room. One message, reused.
net::awaitable<void> send_messages(sse::stream_writer out, std::size_t n, std::string_view data)
{
    sse::message msg;
    for (std::size_t i = 0; i < n; ++i) {
        msg.clear();
        msg.data(data);
        co_await out.async_send(msg);
    }
}

net::awaitable<void> send_serialized(sse::stream_writer out, std::size_t n, sse::serialized s)
{
    for (std::size_t i = 0; i < n; ++i)
        co_await out.async_send(s);
}

struct server_result {
    bool ok = false;
    std::string error;
};

template <server_kind Kind>
net::awaitable<void> serve_events(beast::tcp_stream& stream, http::request<http::string_body>& req, std::size_t n, std::string const& data, std::string const& wire, server_result& out)
{
    auto ex = stream.get_executor();
    sse::error_code ec;
    if constexpr (Kind == server_kind::sse_range_message) {
        auto view = n_times(n, make_message{data});
        std::tie(ec) = co_await sse::async_write(stream, sse::stream_response{req, view}, net::as_tuple(net::use_awaitable));
    } else if constexpr (Kind == server_kind::sse_range_serialized) {
        auto view = n_times(n, copy_serialized{sse::serialized::from_wire(wire)});
        std::tie(ec) = co_await sse::async_write(stream, sse::stream_response{req, view}, net::as_tuple(net::use_awaitable));
    } else if constexpr (Kind == server_kind::sse_coro_message) {
        std::tie(ec) = co_await sse::async_write(
            stream, sse::stream_response{req, produce_messages(ex, n, data)}, net::as_tuple(net::use_awaitable)
        );
    } else if constexpr (Kind == server_kind::sse_coro_serialized) {
        std::tie(ec) = co_await sse::async_write(
            stream, sse::stream_response{req, produce_serialized(ex, n, sse::serialized::from_wire(wire))},
            net::as_tuple(net::use_awaitable)
        );
    } else if constexpr (Kind == server_kind::sse_coro_batch) {
        std::tie(ec) = co_await sse::async_write(
            stream, sse::stream_response{req, produce_batches(ex, n, data)}, net::as_tuple(net::use_awaitable)
        );
    } else if constexpr (Kind == server_kind::sse_pipe_message) {
        auto source = sse::spawn_writer(ex, [n, &data](sse::stream_writer out) { return send_messages(std::move(out), n, data); });
        std::tie(ec) = co_await sse::async_write(stream, sse::stream_response{req, std::move(source)}, net::as_tuple(net::use_awaitable));
    } else if constexpr (Kind == server_kind::sse_pipe_serialized) {
        auto source = sse::spawn_writer(ex, [n, s = sse::serialized::from_wire(wire)](sse::stream_writer out) {
            return send_serialized(std::move(out), n, s);
        });
        std::tie(ec) = co_await sse::async_write(stream, sse::stream_response{req, std::move(source)}, net::as_tuple(net::use_awaitable));
    } else {
        // How a Beast user writes an event stream by hand: the header, then
        // one chunk per event, each write awaited before the next.
        http::response<http::empty_body> res{http::status::ok, req.version()};
        res.set(http::field::content_type, "text/event-stream");
        res.set(http::field::cache_control, "no-cache");
        res.set("X-Accel-Buffering", "no");
        res.chunked(true);
        http::response_serializer<http::empty_body> sr{res};
        std::tie(ec, std::ignore) = co_await http::async_write_header(stream, sr, net::as_tuple(net::use_awaitable));
        for (std::size_t i = 0; i < n && !ec; ++i)
            std::tie(ec, std::ignore) = co_await net::async_write(
                stream, http::make_chunk(net::buffer(wire)), net::as_tuple(net::use_awaitable)
            );
        if (!ec)
            std::tie(ec, std::ignore) = co_await net::async_write(stream, http::make_chunk_last(), net::as_tuple(net::use_awaitable));
    }
    if (ec)
        out.error = ec.message();
    out.ok = !ec;
}

template <server_kind Kind>
net::awaitable<void> serve_one(tcp::acceptor& acc, std::size_t n, std::string const& data, std::string const& wire, server_result& out)
{
    auto [aec, socket] = co_await acc.async_accept(net::as_tuple(net::use_awaitable));
    if (aec) {
        out.error = "accept: " + aec.message();
        co_return;
    }
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    auto [rec, rn] = co_await http::async_read(stream, buffer, req, net::as_tuple(net::use_awaitable));
    if (rec) {
        out.error = "read: " + rec.message();
        co_return;
    }
    co_await serve_events<Kind>(stream, req, n, data, wire, out);
    // Wait for the client to close, so that the server's close never races
    // the last bytes.
    char c;
    co_await stream.async_read_some(net::buffer(&c, 1), net::as_tuple(net::use_awaitable));
}

struct throughput_run {
    bool ok = false;
    std::string error;
    double seconds = 0;
    double server_cpu = 0;
    std::size_t chunks = 0;
};

throughput_run run_throughput(server_kind kind, std::size_t n, std::string const& data, std::string const& wire)
{
    throughput_run out;
    net::io_context ioc(1);
    auto acc = make_acceptor(ioc, 16);
    unsigned short const port = acc.local_endpoint().port();
    server_result sr;
    auto spawn = [&]<server_kind K>() { net::co_spawn(ioc, serve_one<K>(acc, n, data, wire, sr), net::detached); };
    switch (kind) {
    case server_kind::sse_range_message: spawn.operator()<server_kind::sse_range_message>(); break;
    case server_kind::sse_range_serialized: spawn.operator()<server_kind::sse_range_serialized>(); break;
    case server_kind::sse_coro_message: spawn.operator()<server_kind::sse_coro_message>(); break;
    case server_kind::sse_coro_serialized: spawn.operator()<server_kind::sse_coro_serialized>(); break;
    case server_kind::sse_coro_batch: spawn.operator()<server_kind::sse_coro_batch>(); break;
    case server_kind::sse_pipe_message: spawn.operator()<server_kind::sse_pipe_message>(); break;
    case server_kind::sse_pipe_serialized: spawn.operator()<server_kind::sse_pipe_serialized>(); break;
    case server_kind::beast_loop: spawn.operator()<server_kind::beast_loop>(); break;
    }
    auto const limit = 120s;
    client_result cr;
    double const cpu0 = thread_cpu_seconds();
    std::thread client([&] { cr = read_stream(port, limit); });
    ioc.run_for(limit + 10s);
    double const cpu1 = thread_cpu_seconds();
    client.join();
    out.server_cpu = cpu1 - cpu0;
    out.seconds = cr.seconds;
    out.chunks = cr.chunks;
    if (!cr.ok)
        out.error = "client: " + cr.error;
    else if (!sr.ok)
        out.error = "server: " + (sr.error.empty() ? std::string("did not finish") : sr.error);
    else if (cr.payload != n * wire.size())
        out.error = "client read " + std::to_string(cr.payload) + " payload bytes, not " + std::to_string(n * wire.size());
    out.ok = out.error.empty();
    return out;
}

double median(std::vector<double> v)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    std::size_t const m = v.size() / 2;
    return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

bool run_throughput_table(options const& opt)
{
    struct size_case {
        char const* label;
        std::size_t wire_size;
        std::size_t events;
        double goal;
    };
    size_case const cases[] = {
        {"64 B", 64, opt.small_events, 4.0},
        {"4 KiB", 4096, opt.large_events, 1.5},
    };
    bool all_ok = true;
    std::printf("== Throughput, one stream over loopback (median of %d runs) ==\n", opt.reps);
    if (!SSE_BENCH_STD_VIEWS)
        std::printf("(range servers: a hand-written view, this compiler has no usable iota | transform)\n");
    std::printf("%-6s %-22s %10s %12s %9s %12s %11s %9s\n", "event", "server", "events", "events/s", "MB/s",
                "server ns/ev", "events/chunk", "vs beast");
    for (auto const& c : cases) {
        std::string const data = make_data(c.wire_size);
        std::string const wire = "data: " + data + "\n\n";
        if (sse::serialized(sse::message{}.data(data)).view() != wire) {
            std::printf("the event is not serialized as expected\n");
            return false;
        }
        constexpr std::size_t nkinds = std::size(all_kinds);
        std::vector<double> rate[nkinds], cpu[nkinds], per_chunk[nkinds];
        std::string errors[nkinds];
        for (int rep = 0; rep < opt.reps; ++rep) {
            for (std::size_t i = 0; i < nkinds; ++i) {
                // Rotate the order, so that no server always runs first.
                std::size_t const k = (i + static_cast<std::size_t>(rep)) % nkinds;
                if (std::string_view(name_of(all_kinds[k])).find(opt.filter) == std::string_view::npos)
                    continue;
                auto const r = run_throughput(all_kinds[k], c.events, data, wire);
                if (!r.ok) {
                    errors[k] = r.error;
                    continue;
                }
                rate[k].push_back(static_cast<double>(c.events) / r.seconds);
                cpu[k].push_back(r.server_cpu * 1e9 / static_cast<double>(c.events));
                per_chunk[k].push_back(static_cast<double>(c.events) / static_cast<double>(std::max<std::size_t>(r.chunks, 1)));
            }
        }
        double const base = median(rate[0]);
        double best_sse = 0;
        for (std::size_t k = 0; k < nkinds; ++k) {
            if (rate[k].empty() && errors[k].empty())
                continue;
            if (rate[k].empty()) {
                std::printf("%-6s %-22s FAILED: %s\n", c.label, name_of(all_kinds[k]), errors[k].c_str());
                all_ok = false;
                continue;
            }
            double const r = median(rate[k]);
            if (k != 0)
                best_sse = std::max(best_sse, r);
            char ratio[32] = "-";
            if (k != 0 && base > 0)
                std::snprintf(ratio, sizeof ratio, "%.2fx", r / base);
            std::printf("%-6s %-22s %10zu %12.0f %9.1f %12.0f %11.1f %9s\n", c.label, name_of(all_kinds[k]), c.events,
                        r, r * static_cast<double>(c.wire_size) / 1e6, median(cpu[k]), median(per_chunk[k]), ratio);
            if (!errors[k].empty())
                std::printf("       (a run failed: %s)\n", errors[k].c_str());
        }
        if (base > 0) {
            // The goal is met when every sse server meets it.
            double worst = 0;
            bool any = false;
            for (std::size_t k = 1; k < nkinds; ++k) {
                if (rate[k].empty())
                    continue;
                double const x = median(rate[k]) / base;
                worst = any ? std::min(worst, x) : x;
                any = true;
            }
            std::printf("%-6s goal >= %.1fx vs beast: worst sse %.2fx, best %.2fx: %s\n", c.label, c.goal, worst,
                        best_sse / base, any && worst >= c.goal ? "met" : "NOT met");
        }
        std::fflush(stdout);
    }
    return all_ok;
}

// ---------------------------------------------------------------- memory

enum class hold_kind { sse_coro, sse_channel, beast, bare };

char const* name_of(hold_kind k)
{
    switch (k) {
    case hold_kind::sse_coro: return "sse coro (1 h timer)";
    case hold_kind::sse_channel: return "sse channel (no sends)";
    case hold_kind::beast: return "beast header + timer";
    case hold_kind::bare: return "bare (request + timer)";
    }
    return "?";
}

struct memory_result {
    int ok = 0;
    int streams = 0;
    int completed = 0; // streams that ended (with peer_gone) after the clients closed
    long rss_before = 0;
    long rss_after = 0;
    long heap_before = 0;
    long heap_after = 0;
    long heap_closed = 0; // heap in use once every sse stream has ended
    double open_seconds = 0;
    char error[120] = {};
};

struct hold_state {
    int accepted = 0;
    int idle = 0; // connections known to have reached their idle wait
    int completed = 0;
    int peer_gone = 0;
};

xp::coro<sse::message> idle_producer(net::any_io_executor ex)
{
    net::steady_timer timer(ex);
    timer.expires_after(1h);
    co_await timer.async_wait(xp::use_coro);
    co_yield sse::message{}.data("never");
}

template <hold_kind Kind>
net::awaitable<void> hold_connection(tcp::socket socket, hold_state& st)
{
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    auto [rec, rn] = co_await http::async_read(stream, buffer, req, net::as_tuple(net::use_awaitable));
    if (rec)
        co_return;
    auto ex = stream.get_executor();
    if constexpr (Kind == hold_kind::sse_coro) {
        auto [ec] = co_await sse::async_write(stream, sse::stream_response{req, idle_producer(ex)}, net::as_tuple(net::use_awaitable));
        ++st.completed;
        st.peer_gone += ec == sse::error::peer_gone;
    } else if constexpr (Kind == hold_kind::sse_channel) {
        using channel = xp::channel<void(sse::error_code, sse::message)>;
        auto ch = std::make_shared<channel>(ex, 16);
        auto [ec] = co_await sse::async_write(stream, sse::stream_response{req, ch}, net::as_tuple(net::use_awaitable));
        ++st.completed;
        st.peer_gone += ec == sse::error::peer_gone;
    } else if constexpr (Kind == hold_kind::beast) {
        http::response<http::empty_body> res{http::status::ok, req.version()};
        res.set(http::field::content_type, "text/event-stream");
        res.set(http::field::cache_control, "no-cache");
        res.set("X-Accel-Buffering", "no");
        res.chunked(true);
        http::response_serializer<http::empty_body> sr{res};
        auto [wec, wn] = co_await http::async_write_header(stream, sr, net::as_tuple(net::use_awaitable));
        if (wec)
            co_return;
        ++st.idle;
        net::steady_timer timer(ex);
        timer.expires_after(1h);
        co_await timer.async_wait(net::as_tuple(net::use_awaitable));
    } else {
        ++st.idle;
        net::steady_timer timer(ex);
        timer.expires_after(1h);
        co_await timer.async_wait(net::as_tuple(net::use_awaitable));
    }
}

template <hold_kind Kind>
net::awaitable<void> accept_loop(tcp::acceptor& acc, int streams, hold_state& st)
{
    for (int i = 0; i < streams; ++i) {
        auto [ec, socket] = co_await acc.async_accept(net::as_tuple(net::use_awaitable));
        if (ec)
            co_return;
        ++st.accepted;
        net::co_spawn(acc.get_executor(), hold_connection<Kind>(std::move(socket), st), net::detached);
    }
}

// The client process: opens the connections, reads their headers, reports
// readiness, then closes them all when told to.
[[noreturn]] void memory_client(int ctl, int streams)
{
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::alarm(300);
    // The port, then whether the server answers with a header.
    unsigned char hello[3] = {};
    if (!read_exact(ctl, hello, sizeof hello, 60'000))
        ::_exit(1);
    std::uint16_t port = 0;
    std::memcpy(&port, hello, sizeof port);
    bool const headers = hello[2] != 0;
    std::vector<int> fds;
    fds.reserve(static_cast<std::size_t>(streams));
    char fail = 'F';
    bool ok = true;
    int const batch = 200;
    for (int base = 0; ok && base < streams; base += batch) {
        int const end = std::min(base + batch, streams);
        for (int i = base; ok && i < end; ++i) {
            int const fd = connect_loopback(port, 30);
            ok = fd >= 0 && send_all(fd, request_text.data(), request_text.size());
            if (fd >= 0)
                fds.push_back(fd);
        }
        // Read each header; the bytes after it, if any, are left.
        for (int i = base; ok && headers && i < end; ++i) {
            std::string head;
            char buf[1024];
            for (int pass = 0; ok && pass < 64 && head.find("\r\n\r\n") == std::string::npos; ++pass) {
                ssize_t const k = ::recv(fds[static_cast<std::size_t>(i)], buf, sizeof buf, 0);
                if (k < 0 && errno == EINTR)
                    continue;
                ok = k > 0;
                if (ok)
                    head.append(buf, static_cast<std::size_t>(k));
            }
            ok = ok && head.starts_with("HTTP/1.1 200") && head.find("\r\n\r\n") != std::string::npos;
        }
    }
    char const ready = ok ? 'R' : fail;
    if (::write(ctl, &ready, 1) != 1 || !ok)
        ::_exit(1);
    char cmd = 0;
    read_exact(ctl, &cmd, 1, 300'000);
    linger const lg{1, 0}; // reset: no TIME_WAIT left behind
    for (int fd : fds) {
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        ::close(fd);
    }
    char const done = 'D';
    if (::write(ctl, &done, 1) != 1)
        ::_exit(1);
    ::_exit(0);
}

// Waits for the clients, samples the memory, then has the clients close.
template <hold_kind Kind>
net::awaitable<void> control(net::io_context& ioc, net::posix::stream_descriptor& ctl, hold_state& st,
                             memory_result& r, clock_type::time_point t0)
{
    net::steady_timer settle(ioc);
    char c = 0;
    auto [ec, n] = co_await net::async_read(ctl, net::buffer(&c, 1), net::as_tuple(net::use_awaitable));
    if (ec || c != 'R') {
        std::snprintf(r.error, sizeof r.error, "clients failed (%d accepted)", st.accepted);
        ioc.stop();
        co_return;
    }
    // The clients have their headers; connections that write none are counted.
    for (int i = 0; i < 1000 && (Kind == hold_kind::beast || Kind == hold_kind::bare) && st.idle < st.accepted; ++i) {
        settle.expires_after(10ms);
        co_await settle.async_wait(net::as_tuple(net::use_awaitable));
    }
    r.open_seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
    // Let every write completion run.
    settle.expires_after(300ms);
    co_await settle.async_wait(net::as_tuple(net::use_awaitable));
    ::malloc_trim(0);
    r.rss_after = rss_kib();
    r.heap_after = heap_in_use();
    r.streams = st.accepted;
    c = 'C';
    co_await net::async_write(ctl, net::buffer(&c, 1), net::as_tuple(net::use_awaitable));
    co_await net::async_read(ctl, net::buffer(&c, 1), net::as_tuple(net::use_awaitable));
    if constexpr (Kind == hold_kind::sse_coro || Kind == hold_kind::sse_channel) {
        // Every stream should see its peer go, and end.
        for (int i = 0; i < 1000 && st.completed < st.accepted; ++i) {
            settle.expires_after(10ms);
            co_await settle.async_wait(net::as_tuple(net::use_awaitable));
        }
        r.completed = st.completed;
        settle.expires_after(50ms);
        co_await settle.async_wait(net::as_tuple(net::use_awaitable));
        ::malloc_trim(0);
        r.heap_closed = heap_in_use();
        if (st.peer_gone != st.completed)
            std::snprintf(r.error, sizeof r.error, "%d of %d streams ended with another error",
                          st.completed - st.peer_gone, st.completed);
    }
    r.ok = r.error[0] == '\0';
    ioc.stop();
}

template <hold_kind Kind>
void memory_server_run(int ctl_fd, int streams, memory_result& r)
{
    hold_state st;
    net::io_context ioc(1);
    auto acc = make_acceptor(ioc, 4096);
    std::uint16_t const port = acc.local_endpoint().port();
    net::posix::stream_descriptor ctl(ioc, ctl_fd);
    ::malloc_trim(0);
    r.rss_before = rss_kib();
    r.heap_before = heap_in_use();
    auto const t0 = clock_type::now();
    unsigned char hello[3] = {};
    std::memcpy(hello, &port, sizeof port);
    hello[2] = Kind != hold_kind::bare;
    net::write(ctl, net::buffer(hello));
    net::co_spawn(ioc, accept_loop<Kind>(acc, streams, st), net::detached);
    net::co_spawn(ioc, control<Kind>(ioc, ctl, st, r, t0), net::detached);
    ioc.run_for(240s);
    if (!r.ok && r.error[0] == '\0')
        std::snprintf(r.error, sizeof r.error, "time limit (%d accepted)", st.accepted);
    // Exit without tearing down: the process ends here.
}

// The server process. It forks the client process before creating anything.
[[noreturn]] void memory_server(hold_kind kind, int streams, int result_fd)
{
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::alarm(300);
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        ::_exit(1);
    pid_t const client = ::fork();
    if (client < 0)
        ::_exit(1);
    if (client == 0) {
        ::close(sv[0]);
        ::close(result_fd);
        memory_client(sv[1], streams);
    }
    ::close(sv[1]);
    memory_result r;
    try {
        switch (kind) {
        case hold_kind::sse_coro: memory_server_run<hold_kind::sse_coro>(sv[0], streams, r); break;
        case hold_kind::sse_channel: memory_server_run<hold_kind::sse_channel>(sv[0], streams, r); break;
        case hold_kind::beast: memory_server_run<hold_kind::beast>(sv[0], streams, r); break;
        case hold_kind::bare: memory_server_run<hold_kind::bare>(sv[0], streams, r); break;
        }
    } catch (std::exception const& e) {
        r.ok = 0;
        std::snprintf(r.error, sizeof r.error, "%s", e.what());
    }
    ssize_t const w = ::write(result_fd, &r, sizeof r);
    ::kill(client, SIGKILL);
    ::waitpid(client, nullptr, 0);
    ::_exit(w == static_cast<ssize_t>(sizeof r) ? 0 : 1);
}

std::optional<memory_result> measure_memory(hold_kind kind, int streams)
{
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0)
        return std::nullopt;
    std::fflush(stdout);
    pid_t const pid = ::fork();
    if (pid < 0)
        return std::nullopt;
    if (pid == 0) {
        ::close(p[0]);
        memory_server(kind, streams, p[1]);
    }
    ::close(p[1]);
    memory_result r;
    bool const got = read_exact(p[0], &r, sizeof r, 300'000);
    ::close(p[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!got)
        return std::nullopt;
    return r;
}

bool run_memory_table(options const& opt)
{
    std::printf("\n== Memory per idle open stream, %d streams (server process only; clients in another) ==\n",
                opt.streams);
    std::printf("%-24s %8s %10s %11s %11s %12s %8s\n", "server", "streams", "RSS KiB", "RSS KiB/st",
                "heap KiB/st", "kept/st", "open s");
    bool all_ok = true;
    std::optional<double> sse_kib, kib[4];
    constexpr hold_kind kinds[] = {hold_kind::sse_coro, hold_kind::sse_channel, hold_kind::beast, hold_kind::bare};
    for (auto k : kinds) {
        if (std::string_view(name_of(k)).find(opt.filter) == std::string_view::npos)
            continue;
        auto const r = measure_memory(k, opt.streams);
        if (!r || !r->ok) {
            std::printf("%-24s FAILED: %s\n", name_of(k), r ? r->error : "no result");
            all_ok = false;
            continue;
        }
        double const n = r->streams;
        double const rss = static_cast<double>(r->rss_after - r->rss_before) / n;
        double const heap = static_cast<double>(r->heap_after - r->heap_before) / 1024.0 / n;
        char left[32] = "-";
        if (k == hold_kind::sse_coro || k == hold_kind::sse_channel)
            std::snprintf(left, sizeof left, "%.0f B", static_cast<double>(r->heap_closed - r->heap_before) / n);
        std::printf("%-24s %8d %10ld %11.2f %11.2f %12s %8.2f\n", name_of(k), r->streams, r->rss_after - r->rss_before,
                    rss, heap, left, r->open_seconds);
        if ((k == hold_kind::sse_coro || k == hold_kind::sse_channel) && r->completed != r->streams)
            std::printf("   only %d of %d streams ended after their clients closed\n", r->completed, r->streams);
        if (k == hold_kind::sse_coro)
            sse_kib = rss;
        kib[static_cast<int>(k)] = rss;
        std::fflush(stdout);
    }
    if (auto const bare = kib[static_cast<int>(hold_kind::bare)]) {
        std::printf("over bare:");
        for (auto k : {hold_kind::sse_coro, hold_kind::sse_channel, hold_kind::beast})
            if (auto const v = kib[static_cast<int>(k)])
                std::printf("  %s %+.2f KiB", name_of(k), *v - *bare);
        std::printf("\n");
    }
    if (sse_kib)
        std::printf("goal <= 2 KiB per idle sse stream (coro): %.2f KiB: %s\n", *sse_kib, *sse_kib <= 2.0 ? "met" : "NOT met");
    return all_ok;
}

bool parse_options(int argc, char** argv, options& opt)
{
    for (int i = 1; i < argc; ++i) {
        std::string_view const a = argv[i];
        auto value = [&]() -> long {
            if (i + 1 >= argc)
                return -1;
            return std::strtol(argv[++i], nullptr, 10);
        };
        if (a == "--small") {
            long const v = value();
            if (v <= 0)
                return false;
            opt.small_events = static_cast<std::size_t>(v);
        } else if (a == "--large") {
            long const v = value();
            if (v <= 0)
                return false;
            opt.large_events = static_cast<std::size_t>(v);
        } else if (a == "--reps") {
            long const v = value();
            if (v <= 0 || v > 100)
                return false;
            opt.reps = static_cast<int>(v);
        } else if (a == "--streams") {
            long const v = value();
            if (v <= 0 || v > 100'000)
                return false;
            opt.streams = static_cast<int>(v);
        } else if (a == "--filter") {
            if (i + 1 >= argc)
                return false;
            opt.filter = argv[++i];
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

} // namespace

int main(int argc, char** argv)
{
    options opt;
    if (!parse_options(argc, argv, opt)) {
        std::fprintf(stderr,
                     "usage: %s [--small N] [--large N] [--reps R] [--streams S] [--filter TEXT]\n"
                     "          [--no-memory] [--no-throughput]\n",
                     argv[0]);
        return 2;
    }
    ::signal(SIGPIPE, SIG_IGN);
    bool ok = true;
    if (opt.throughput)
        ok = run_throughput_table(opt) && ok;
    if (opt.memory)
        ok = run_memory_table(opt) && ok;
    return ok ? 0 : 1;
}
