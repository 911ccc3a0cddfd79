//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Fan-out benchmark over loopback (127.0.0.1 only): one publisher, N
// subscribers, sse::broadcaster + sse::stream_response beside a
// hand-written Beast fan-out measured in the same run.
//
//   sse     each connection: the request read by http::async_read over a
//           beast::tcp_stream, expires_never(), then
//           co_await sse::async_write(stream, sse::stream_response{req,
//           hub.subscribe(req, "bench")}). The publisher thread calls
//           hub.publish("bench", message) directly.
//   beast   each connection: the request read the same way, the header
//           written by http::async_write_header, then the connection is
//           put in a vector. The publisher thread posts each event to the
//           io_context, which appends it to every connection's queue; a
//           connection writes its queue front with one
//           net::async_write(stream, http::make_chunk(event)) at a time.
//
// Two modes: "burst", where the publisher publishes E events as fast as it
// can (2,000 at 1,000 subscribers or fewer, 200 above), and "paced", one
// event every N x 10 us (100,000 deliveries/s offered, 100 events), where
// latency is not dominated by the backlog a burst leaves behind.
//
// Every event is 64 bytes of `data: <publish time> ...\n\n` (steady_clock
// ns, zero-padded to 20 digits) behind an `id: N\n` line (the broadcaster
// adds it; the baseline sends the same bytes). The publisher runs on a
// thread of its own. The clients run in a process forked from the server process
// before the server creates anything: one epoll loop over all N sockets,
// which finds "data: " in what it reads, parses the time and records
// receipt time minus publish time. It stops once every subscriber has had
// every event, or 15 s after the last receipt, or 60 s after the start.
//
// Figures, per row:
//   deliv/s   deliveries (subscriber x event) over the span from the first
//             publish to the last receipt
//   p50, p99  publish -> receipt latency, ms
//   lost      N x E minus deliveries
//   KiB/sub   growth of the server's RSS (VmRSS after malloc_trim(0)) from
//             before the first connection to when every client has its
//             response header, over N: memory per idle subscribed stream
//
// Threads: the io_context runs on 1 thread, or on 2 with a strand per
// connection (the baseline then posts each event to each connection's
// strand). The publisher is one more thread in every case.
//
// Run it from an optimised build, e.g.
//
//   ninja -C <build> bench_fanout && <build>/tests/bench/bench_fanout
//   bench_fanout --subs 1000 --events 500 --threads 1 --interval-us 0  (quick, burst only)
//   bench_fanout --interval-us 2000   (paced only, one event per 2 ms)
//
// The server process needs N + a few file descriptors, the client process
// the same.

#include <sse/broadcaster.hpp>
#include <sse/message.hpp>
#include <sse/stream_response.hpp>

#include "support.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
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
#include <sys/epoll.h>
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
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using namespace sse::bench;

struct options {
    std::vector<int> subs{1'000, 10'000};
    long events_small = 2'000; // at 1,000 subscribers or fewer
    long events_large = 200;   // above
    long events = 0;           // overrides both when set
    std::vector<int> threads{1, 2};
    long interval_us = -1;     // one event per this many us; -1: both modes
    long paced_events = 100;
    long paced_us_per_sub = 10; // paced mode: interval = subscribers x this (100k deliveries/s)
    std::string filter;
};

enum class server_kind { sse, beast };

char const* name_of(server_kind k) { return k == server_kind::sse ? "sse" : "beast"; }

std::uint64_t now_ns()
{
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch()).count());
}

// The data of an event: the time, 20 digits, then filler; `data: ` + it +
// `\n\n` is 64 bytes.
constexpr std::size_t data_size = 64 - 8;
constexpr std::size_t stamp_digits = 20;

void write_data(char* p, std::uint64_t ts)
{
    for (std::size_t i = stamp_digits; i-- > 0;) {
        p[i] = static_cast<char>('0' + ts % 10);
        ts /= 10;
    }
    for (std::size_t i = stamp_digits; i < data_size; ++i)
        p[i] = i == stamp_digits ? ' ' : static_cast<char>('a' + i % 26);
}

// ------------------------------------------------------------- the client

struct client_result {
    int ok = 0;
    int connected = 0;
    std::uint64_t expected = 0;
    std::uint64_t received = 0;
    double seconds = 0; // first publish to last receipt
    double p50_ms = 0;
    double p99_ms = 0;
    double max_ms = 0;
    char error[96] = {};
};

struct client_conn {
    int fd = -1;
    bool head = false;   // the response header has been read
    std::uint32_t got = 0;
    std::uint8_t carry_len = 0;
    char carry[31];      // the unparsed tail of the last read
};

// Scans buf[0, len) (carry first) for "data: <20 digits>", records each,
// and keeps the tail that may hold the start of another.
template <class Record>
void scan(client_conn& c, char* buf, std::size_t len, Record&& record)
{
    static constexpr char key[] = "data: ";
    std::size_t pos = 0;
    std::size_t keep = len > 5 ? len - 5 : 0;
    for (int guard = 0; guard < 1 << 20; ++guard) {
        auto* m = static_cast<char*>(::memmem(buf + pos, len - pos, key, 6));
        if (!m) {
            keep = std::max(keep, pos);
            break;
        }
        std::size_t const at = static_cast<std::size_t>(m - buf);
        if (at + 6 + stamp_digits > len) {
            keep = at;
            break;
        }
        std::uint64_t ts = 0;
        for (std::size_t i = 0; i < stamp_digits; ++i)
            ts = ts * 10 + static_cast<std::uint64_t>(buf[at + 6 + i] - '0');
        record(ts);
        ++c.got;
        pos = at + 6 + stamp_digits;
    }
    c.carry_len = static_cast<std::uint8_t>(len - keep);
    std::memcpy(c.carry, buf + keep, c.carry_len);
}

// The client process: opens the connections, reads their headers, reports
// readiness, then reads events until every one has come or time runs out,
// and reports.
[[noreturn]] void client_main(int ctl)
{
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::alarm(300);
    client_result r;
    struct hello_t {
        std::uint16_t port;
        std::int32_t subs;
        std::int32_t events;
    } hello{};
    if (!read_exact(ctl, &hello, sizeof hello, 60'000))
        ::_exit(1);
    auto const n = static_cast<std::size_t>(hello.subs);
    r.expected = static_cast<std::uint64_t>(hello.subs) * static_cast<std::uint64_t>(hello.events);
    auto fail = [&](char const* what) {
        std::snprintf(r.error, sizeof r.error, "%s (%d connected)", what, r.connected);
        char const c = 'F';
        (void)::write(ctl, &c, 1);
        (void)::write(ctl, &r, sizeof r);
        ::_exit(1);
    };
    std::vector<client_conn> conns(n);
    int const ep = ::epoll_create1(EPOLL_CLOEXEC);
    for (std::size_t i = 0; i < n; ++i) {
        int const fd = connect_loopback(hello.port);
        if (fd < 0 || !send_all(fd, request_text.data(), request_text.size()))
            fail("connect or send failed");
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
        conns[i].fd = fd;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = i;
        if (::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
            fail("epoll_ctl failed");
        ++r.connected;
    }

    std::vector<std::uint64_t> lat;
    lat.reserve(r.expected);
    std::uint64_t first_ts = ~std::uint64_t{0};
    std::uint64_t last_rx = 0;
    std::vector<char> buf(64 * 1024 + 64);
    std::vector<epoll_event> evs(1024);
    std::size_t heads = 0;
    bool ready_sent = false;
    auto const t0 = clock_type::now();
    auto const head_deadline = t0 + 60s;
    clock_type::time_point data_deadline{};
    clock_type::time_point last_progress{};
    std::uint64_t total = 0;

    // Bounded: each pass waits at most 100 ms and the deadlines end it.
    for (long pass = 0; pass < 10'000'000; ++pass) {
        auto const now = clock_type::now();
        if (!ready_sent && now > head_deadline)
            fail("headers time limit");
        if (ready_sent && (total >= r.expected || now > data_deadline ||
                           (last_rx != 0 && now - last_progress > 15s) || (last_rx == 0 && now > data_deadline - 45s)))
            break;
        int const k = ::epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), 100);
        if (k < 0 && errno != EINTR)
            fail("epoll_wait failed");
        for (int e = 0; e < k; ++e) {
            auto& c = conns[evs[static_cast<std::size_t>(e)].data.u64];
            for (int rd = 0; rd < 64; ++rd) {
                std::memcpy(buf.data(), c.carry, c.carry_len);
                ssize_t const got = ::recv(c.fd, buf.data() + c.carry_len, buf.size() - 64, 0);
                if (got < 0 && errno == EINTR)
                    continue;
                if (got <= 0) {
                    if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                        ::epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
                    }
                    break;
                }
                std::size_t len = c.carry_len + static_cast<std::size_t>(got);
                char* p = buf.data();
                if (!c.head) {
                    std::string_view const sv(p, len);
                    auto const end = sv.find("\r\n\r\n");
                    if (end == std::string_view::npos) {
                        // Headers are far shorter than one read; keep nothing.
                        c.carry_len = 0;
                        continue;
                    }
                    if (!sv.starts_with("HTTP/1.1 200"))
                        fail("bad response");
                    c.head = true;
                    ++heads;
                    p += end + 4;
                    len -= end + 4;
                }
                std::uint64_t const rx = now_ns();
                auto const before = c.got;
                scan(c, p, len, [&](std::uint64_t ts) {
                    lat.push_back(rx - ts);
                    first_ts = std::min(first_ts, ts);
                });
                if (c.got != before) {
                    total += c.got - before;
                    last_rx = rx;
                    last_progress = clock_type::now();
                }
            }
        }
        if (!ready_sent && heads == n) {
            char const c = 'R';
            if (::write(ctl, &c, 1) != 1)
                ::_exit(1);
            ready_sent = true;
            data_deadline = clock_type::now() + 60s;
        }
    }
    r.received = total;
    if (!lat.empty()) {
        r.seconds = static_cast<double>(last_rx - first_ts) * 1e-9;
        auto pct = [&](double q) {
            auto const i = std::min(lat.size() - 1, static_cast<std::size_t>(q * static_cast<double>(lat.size())));
            std::nth_element(lat.begin(), lat.begin() + static_cast<std::ptrdiff_t>(i), lat.end());
            return static_cast<double>(lat[i]) * 1e-6;
        };
        r.p50_ms = pct(0.50);
        r.p99_ms = pct(0.99);
        r.max_ms = static_cast<double>(*std::max_element(lat.begin(), lat.end())) * 1e-6;
    }
    r.ok = 1;
    char const c = 'D';
    (void)::write(ctl, &c, 1);
    (void)::write(ctl, &r, sizeof r);
    ::_exit(0);
}

// ------------------------------------------------------------- the server

struct run_result {
    int ok = 0;
    client_result client;
    long rss_before = 0;
    long rss_idle = 0;
    long published = 0;
    double publish_seconds = 0;
    char error[160] = {};
};

// The hand-written fan-out: a queue per connection, one write at a time.
struct beast_conn {
    explicit beast_conn(beast::tcp_stream s) : stream(std::move(s)) {}
    beast::tcp_stream stream;
    std::deque<std::shared_ptr<std::string const>> queue;
    bool writing = false;
    bool dead = false;
};

void write_front(std::shared_ptr<beast_conn> const& c)
{
    c->writing = true;
    net::async_write(c->stream, http::make_chunk(net::buffer(*c->queue.front())),
                     [c](beast::error_code ec, std::size_t) {
                         c->queue.pop_front();
                         if (ec) {
                             c->dead = true;
                             c->queue.clear();
                         }
                         if (c->queue.empty() || c->dead)
                             c->writing = false;
                         else
                             write_front(c);
                     });
}

void enqueue(std::shared_ptr<beast_conn> const& c, std::shared_ptr<std::string const> const& ev)
{
    if (c->dead)
        return;
    c->queue.push_back(ev);
    if (!c->writing)
        write_front(c);
}

struct server_state {
    sse::broadcaster hub;
    std::mutex mutex;
    std::vector<std::shared_ptr<beast_conn>> beast_conns;
    std::atomic<int> accepted{0};
    std::atomic<int> ended{0};
};

net::awaitable<void> serve_sse(tcp::socket socket, server_state& st)
{
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    auto [rec, rn] = co_await http::async_read(stream, buffer, req, net::as_tuple(net::use_awaitable));
    if (rec)
        co_return;
    stream.expires_never();
    co_await sse::async_write(stream, sse::stream_response{req, st.hub.subscribe(req, "bench")},
                              net::as_tuple(net::use_awaitable));
    ++st.ended;
}

net::awaitable<void> serve_beast(tcp::socket socket, server_state& st)
{
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    auto [rec, rn] = co_await http::async_read(stream, buffer, req, net::as_tuple(net::use_awaitable));
    if (rec)
        co_return;
    stream.expires_never();
    http::response<http::empty_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "text/event-stream");
    res.set(http::field::cache_control, "no-cache");
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    auto [wec, wn] = co_await http::async_write_header(stream, sr, net::as_tuple(net::use_awaitable));
    if (wec)
        co_return;
    auto c = std::make_shared<beast_conn>(std::move(stream));
    std::lock_guard lock(st.mutex);
    st.beast_conns.push_back(std::move(c));
}

net::awaitable<void> accept_loop(tcp::acceptor& acc, server_kind kind, int subs, int threads, server_state& st)
{
    auto& ioc = static_cast<net::io_context&>(acc.get_executor().context());
    for (int i = 0; i < subs; ++i) {
        net::any_io_executor ex = threads > 1 ? net::any_io_executor(net::make_strand(ioc))
                                              : net::any_io_executor(ioc.get_executor());
        auto [ec, socket] = co_await acc.async_accept(ex, net::as_tuple(net::use_awaitable));
        if (ec)
            co_return;
        ++st.accepted;
        auto sex = socket.get_executor();
        if (kind == server_kind::sse)
            net::co_spawn(sex, serve_sse(std::move(socket), st), net::detached);
        else
            net::co_spawn(sex, serve_beast(std::move(socket), st), net::detached);
    }
}

// Publishes `events` events as fast as it can (or paced), from its own thread.
void publish_all(server_kind kind, int threads, long events, long interval_us, net::io_context& ioc,
                 server_state& st, run_result& r)
{
    auto const t0 = clock_type::now();
    auto const limit = t0 + 20s;
    long i = 0;
    for (; i < events && clock_type::now() < limit; ++i) {
        if (interval_us > 0)
            std::this_thread::sleep_until(t0 + std::chrono::microseconds(interval_us * i));
        char data[data_size];
        write_data(data, now_ns());
        if (kind == server_kind::sse) {
            st.hub.publish("bench", sse::message{}.data(std::string_view(data, data_size)));
        } else {
            // The same bytes the broadcaster sends: the id line, then the data.
            auto ev = std::make_shared<std::string>("id: " + std::to_string(i + 1) + "\ndata: ");
            ev->append(data, data_size);
            ev->append("\n\n");
            std::shared_ptr<std::string const> cev = std::move(ev);
            net::post(ioc, [&st, cev, threads] {
                for (auto const& c : st.beast_conns) {
                    if (threads > 1)
                        net::post(c->stream.get_executor(), [c, cev] { enqueue(c, cev); });
                    else
                        enqueue(c, cev);
                }
            });
        }
    }
    r.published = i;
    r.publish_seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
}

net::awaitable<void> control(net::io_context& ioc, net::posix::stream_descriptor& ctl, server_kind kind, int threads,
                             long events, long interval_us, server_state& st, run_result& r, std::thread& publisher)
{
    char c = 0;
    auto [ec, n] = co_await net::async_read(ctl, net::buffer(&c, 1), net::as_tuple(net::use_awaitable));
    if (ec || c != 'R') {
        if (!ec && c == 'F')
            co_await net::async_read(ctl, net::buffer(&r.client, sizeof r.client), net::as_tuple(net::use_awaitable));
        std::snprintf(r.error, sizeof r.error, "clients failed (%d accepted): %s", st.accepted.load(),
                      r.client.error);
        ioc.stop();
        co_return;
    }
    // Every client has its header: the streams are subscribed and idle.
    net::steady_timer settle(ioc);
    settle.expires_after(300ms);
    co_await settle.async_wait(net::as_tuple(net::use_awaitable));
    ::malloc_trim(0);
    r.rss_idle = rss_kib();
    publisher = std::thread([&, kind, threads, events, interval_us] {
        publish_all(kind, threads, events, interval_us, ioc, st, r);
    });
    auto [ec2, n2] = co_await net::async_read(ctl, net::buffer(&c, 1), net::as_tuple(net::use_awaitable));
    if (!ec2)
        co_await net::async_read(ctl, net::buffer(&r.client, sizeof r.client), net::as_tuple(net::use_awaitable));
    r.ok = !ec2 && c == 'D';
    if (!r.ok)
        std::snprintf(r.error, sizeof r.error, "no result from the clients");
    ioc.stop();
}

// The server process. It forks the client process before creating anything.
[[noreturn]] void server_main(server_kind kind, int subs, int threads, long events, long interval_us, int result_fd)
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
        client_main(sv[1]);
    }
    ::close(sv[1]);
    run_result r;
    std::thread publisher;
    try {
        server_state st;
        net::io_context ioc(threads);
        auto acc = make_acceptor(ioc, 4096);
        net::posix::stream_descriptor ctl(ioc, sv[0]);
        ::malloc_trim(0);
        r.rss_before = rss_kib();
        struct {
            std::uint16_t port;
            std::int32_t subs;
            std::int32_t events;
        } hello{acc.local_endpoint().port(), subs, static_cast<std::int32_t>(events)};
        net::write(ctl, net::buffer(&hello, sizeof hello));
        net::co_spawn(ioc, accept_loop(acc, kind, subs, threads, st), net::detached);
        net::co_spawn(ioc, control(ioc, ctl, kind, threads, events, interval_us, st, r, publisher), net::detached);
        std::vector<std::thread> extra;
        for (int t = 1; t < threads; ++t)
            extra.emplace_back([&] { ioc.run_for(200s); });
        ioc.run_for(200s);
        for (auto& t : extra)
            t.join();
        if (publisher.joinable())
            publisher.join();
        if (!r.ok && r.error[0] == '\0')
            std::snprintf(r.error, sizeof r.error, "time limit (%d accepted)", st.accepted.load());
        ssize_t const w = ::write(result_fd, &r, sizeof r);
        ::kill(client, SIGKILL);
        ::waitpid(client, nullptr, 0);
        // Exit without tearing down: the process ends here.
        ::_exit(w == static_cast<ssize_t>(sizeof r) ? 0 : 1);
    } catch (std::exception const& e) {
        r.ok = 0;
        std::snprintf(r.error, sizeof r.error, "%s", e.what());
    }
    ssize_t const w = ::write(result_fd, &r, sizeof r);
    ::kill(client, SIGKILL);
    ::waitpid(client, nullptr, 0);
    ::_exit(w == static_cast<ssize_t>(sizeof r) ? 0 : 1);
}

std::optional<run_result> run_one(server_kind kind, int subs, int threads, long events, long interval_us)
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
        server_main(kind, subs, threads, events, interval_us, p[1]);
    }
    ::close(p[1]);
    run_result r;
    bool const got = read_exact(p[0], &r, sizeof r, 150'000);
    ::close(p[0]);
    if (!got)
        ::kill(pid, SIGKILL); // hung: its client goes with it (PR_SET_PDEATHSIG)
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!got)
        return std::nullopt;
    return r;
}

bool parse_list(char const* s, std::vector<int>& out)
{
    out.clear();
    for (int i = 0; i < 16 && *s; ++i) {
        char* end = nullptr;
        long const v = std::strtol(s, &end, 10);
        if (end == s || v <= 0 || v > 100'000)
            return false;
        out.push_back(static_cast<int>(v));
        s = *end == ',' ? end + 1 : end;
    }
    return !out.empty();
}

bool parse_options(int argc, char** argv, options& opt)
{
    for (int i = 1; i < argc; ++i) {
        std::string_view const a = argv[i];
        bool const has = i + 1 < argc;
        if (a == "--subs" && has) {
            if (!parse_list(argv[++i], opt.subs))
                return false;
        } else if (a == "--threads" && has) {
            if (!parse_list(argv[++i], opt.threads))
                return false;
        } else if (a == "--events" && has) {
            opt.events = std::strtol(argv[++i], nullptr, 10);
            if (opt.events <= 0 || opt.events > 1'000'000)
                return false;
        } else if (a == "--interval-us" && has) {
            opt.interval_us = std::strtol(argv[++i], nullptr, 10);
            if (opt.interval_us < 0 || opt.interval_us > 1'000'000)
                return false;
        } else if (a == "--paced-events" && has) {
            opt.paced_events = std::strtol(argv[++i], nullptr, 10);
            if (opt.paced_events <= 0 || opt.paced_events > 100'000)
                return false;
        } else if (a == "--filter" && has) {
            opt.filter = argv[++i];
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
                     "usage: %s [--subs N[,N...]] [--events E] [--threads T[,T...]] [--interval-us U]\n"
                     "          [--paced-events E] [--filter sse|beast]\n",
                     argv[0]);
        return 2;
    }
    ::signal(SIGPIPE, SIG_IGN);
    std::printf("== Fan-out over loopback: one publisher, N subscribers, 64-byte events ==\n");
    std::printf("%-6s %3s %7s %6s %7s %12s %9s %9s %9s %8s %8s\n", "server", "thr", "subs", "events", "gap us",
                "deliv/s", "p50 ms", "p99 ms", "max ms", "lost", "KiB/sub");
    bool all_ok = true;
    struct row {
        int subs, threads;
        long interval;
        server_kind kind;
        run_result r;
    };
    std::vector<row> rows;
    std::vector<long> modes;
    if (opt.interval_us < 0)
        modes = {0, 1};
    else
        modes = {opt.interval_us == 0 ? 0L : 2L};
    for (long mode : modes)
    for (int subs : opt.subs) {
        long const interval = mode == 0 ? 0 : mode == 1 ? subs * opt.paced_us_per_sub : opt.interval_us;
        long const events = opt.events ? opt.events
                            : mode != 0 ? opt.paced_events
                            : subs <= 1'000 ? opt.events_small : opt.events_large;
        for (int threads : opt.threads) {
            for (auto kind : {server_kind::sse, server_kind::beast}) {
                if (std::string_view(name_of(kind)).find(opt.filter) == std::string_view::npos)
                    continue;
                auto const r = run_one(kind, subs, threads, events, interval);
                if (!r || !r->ok) {
                    std::printf("%-6s %3d %7d FAILED: %s\n", name_of(kind), threads, subs, r ? r->error : "no result");
                    all_ok = false;
                    continue;
                }
                auto const& c = r->client;
                double const rate = c.seconds > 0 ? static_cast<double>(c.received) / c.seconds : 0;
                double const kib = static_cast<double>(r->rss_idle - r->rss_before) / subs;
                std::printf("%-6s %3d %7d %6ld %7ld %12.0f %9.2f %9.2f %9.2f %8llu %8.2f\n", name_of(kind), threads,
                            subs, r->published, interval, rate, c.p50_ms, c.p99_ms, c.max_ms,
                            static_cast<unsigned long long>(c.expected - std::min(c.expected, c.received)), kib);
                std::fflush(stdout);
                rows.push_back({subs, threads, interval, kind, *r});
            }
        }
    }
    // Ratios and goals.
    std::printf("\nsse / beast:\n");
    for (auto const& a : rows) {
        if (a.kind != server_kind::sse)
            continue;
        for (auto const& b : rows) {
            if (b.kind != server_kind::beast || b.subs != a.subs || b.threads != a.threads || b.interval != a.interval)
                continue;
            auto rate = [](run_result const& r) {
                return r.client.seconds > 0 ? static_cast<double>(r.client.received) / r.client.seconds : 0.0;
            };
            double const rr = rate(b.r) > 0 ? rate(a.r) / rate(b.r) : 0;
            double const pr = b.r.client.p99_ms > 0 ? a.r.client.p99_ms / b.r.client.p99_ms : 0;
            std::printf("  %-6s %6d subs, %d thread(s): deliveries/s x%.2f, p99 x%.3f", a.interval ? "paced" : "burst",
                        a.subs, a.threads, rr, pr);
            if (a.subs >= 10'000 && a.interval == 0)
                std::printf("   goal >= 3x and <= 1/3: %s", rr >= 3.0 && pr <= 1.0 / 3.0 ? "met" : "NOT met");
            std::printf("\n");
        }
        if (a.subs <= 1'000)
            std::printf("  %-6s %6d subs, %d thread(s): sse p99 %.2f ms   goal < 5 ms: %s\n",
                        a.interval ? "paced" : "burst", a.subs, a.threads,
                        a.r.client.p99_ms, a.r.client.p99_ms < 5.0 ? "met" : "NOT met");
    }
    return all_ok ? 0 : 1;
}
