//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// A load generator for a running reference_server (examples/reference_server:
// its routes /stream, /subscribe, /publish, /idle and /stats): plain HTTP/1.1 over
// loopback, one epoll loop over non-blocking sockets in one thread (plus a
// publisher thread in fan-out mode). Every mode is bounded in connections
// and in time: --seconds sets a deadline for the measurement, and an alarm
// 30 s past it ends the process whatever happens.
//
// Modes:
//
//   stream      one connection reads GET /stream?count=N&size=B as fast as
//               it can: events/s and MB/s.
//   concurrent  C connections (default 50) read that stream at once:
//               total events/s and MB/s.
//   fanout      K subscribers (GET /subscribe?topic=T, default 1,000) open
//               and get their headers; then E events are published with
//               POST /publish?topic=T on keep-alive connections (up to
//               --window requests in flight in all), in a burst
//               (--interval-us 0) or one every U us. Each body is
//               `t=<CLOCK_MONOTONIC ns>` padded so that the event's
//               `data: ...\n\n` is --size bytes (default 64). Each
//               subscriber records when each event arrives: deliveries/s
//               (from the first publish to the last receipt),
//               publish-to-receipt p50/p99, and the deliveries missing (K x E
//               minus those received) or out of order. Ids are compared as
//               they come: decimal ids (one process) must be consecutive,
//               Redis stream entry ids (`<ms>-<seq>`, servers sharing a
//               Redis) must increase in (ms, seq) order; an event without
//               an id fails the run. The publish rate (202 answers per
//               second, from the first request sent to the last answer) is
//               reported too; with --subs 0 it is the whole measurement.
//   idle        C connections (default 10,000) on GET /idle; once every one
//               has its headers, the growth of the server's VmRSS
//               (/proc/<--server-pid>/status) over C, and /stats'
//               open_streams checked against C (and against its value
//               before, once they are closed again), unless --no-stats (a
//               peer server without /stats).
//
// Several servers: --port P1,P2,... spreads the connections round-robin over
// the ports (subscriber i on port i mod n). In fanout mode the publishes go
// round-robin over --publish-port (default: the same list), on
// --publish-conns connections to each (default 1); each connection carries
// publishes one after another (HTTP/1.1 pipelining), the window bounds them
// all together. --slow N lists, on stderr, the N events whose slowest
// delivery was worst, with when they were published. --settle-ms M waits M ms between the last subscriber's
// headers and the first publish (default 0). idle takes one port.
//
// Events are counted while the chunked body is decoded: an event is a
// block of lines ending in a blank line that holds a field other than a
// comment (keep-alive comments are not counted). MB = 10^6 bytes of
// de-chunked event-stream payload.
//
//   sse_load --port P stream --count 500000 --size 64
//   sse_load --port P concurrent --conns 50 --count 20000 --size 64
//   sse_load --port P fanout --subs 10000 --events 200 [--interval-us 0]
//   sse_load --port P1,P2,P3 fanout --subs 3000 --events 200
//   sse_load --port P fanout --subs 0 --events 20000 --publish-conns 4
//   sse_load --port P idle --conns 10000 --server-pid PID
//
// --json prints one JSON object instead of the text summary. The exit status
// is 0 when every check passed, 1 when one failed, 2 on bad arguments.
// RLIMIT_NOFILE is raised to its hard limit at start.

#include "support.hpp"

#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock; // CLOCK_MONOTONIC on Linux
using namespace sse::bench;

std::uint64_t now_ns()
{
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

double seconds_since(std::uint64_t t0) { return static_cast<double>(now_ns() - t0) * 1e-9; }

// ------------------------------------------------------------------ options

struct options {
    std::string mode;
    std::vector<unsigned short> ports;         // connections go round-robin over them
    std::vector<unsigned short> publish_ports; // fanout: empty = ports
    long count = 100'000;  // stream, concurrent: events per stream
    long size = 64;        // stream: size= parameter; fanout: wire size of `data: ...\n\n`
    long conns = -1;       // -1: the mode's default
    long events = 200;     // fanout: events published
    long interval_us = 0;  // fanout: 0 = burst
    long window = 16;      // fanout: publish requests in flight, over every publish connection
    long publish_conns = 1; // fanout: connections to each publish port
    long settle_ms = 0;    // fanout: the wait between the last subscriber's headers and the first publish
    long slow = 0;         // fanout: list the events whose slowest delivery was worst, this many
    long server_pid = 0;   // idle
    bool stats = true;     // idle: the server has GET /stats (a peer may not)
    double seconds = 60;   // deadline of the measurement
    std::string topic;
    bool json = false;
};

// ------------------------------------------------------------------ parsing

// De-chunks an HTTP/1.1 chunked body; hands the data to a sink.
class chunk_decoder {
public:
    enum class status { more, done, failed };

    template <class Sink>
    status feed(char const* p, std::size_t n, Sink&& sink)
    {
        char const* const end = p + n;
        while (p != end && state_ != state::done && state_ != state::failed) {
            switch (state_) {
            case state::size: {
                char const c = *p++;
                if (c == '\r') {
                    state_ = digits_ ? state::size_lf : state::failed;
                } else if (c == ';') {
                    state_ = digits_ ? state::ext : state::failed;
                } else {
                    int const v = hex(c);
                    if (v < 0 || ++digits_ > 15)
                        state_ = state::failed;
                    size_ = size_ * 16 + static_cast<std::uint64_t>(v);
                }
                break;
            }
            case state::ext:
                if (*p++ == '\r')
                    state_ = state::size_lf;
                break;
            case state::size_lf:
                if (*p++ != '\n')
                    state_ = state::failed;
                else
                    state_ = size_ == 0 ? state::trailer : state::data;
                line_ = 0;
                break;
            case state::data: {
                std::size_t const k = static_cast<std::size_t>(std::min<std::uint64_t>(size_, static_cast<std::uint64_t>(end - p)));
                sink(p, k);
                p += k;
                size_ -= k;
                if (size_ == 0)
                    state_ = state::data_cr;
                break;
            }
            case state::data_cr:
                state_ = *p++ == '\r' ? state::data_lf : state::failed;
                break;
            case state::data_lf:
                if (*p++ != '\n') {
                    state_ = state::failed;
                } else {
                    state_ = state::size;
                    digits_ = 0;
                    size_ = 0;
                }
                break;
            case state::trailer: {
                // Trailer fields, then an empty line.
                char const c = *p++;
                if (c == '\n') {
                    if (line_ == 0)
                        state_ = state::done;
                    line_ = 0;
                } else if (c != '\r') {
                    ++line_;
                }
                break;
            }
            case state::done:
            case state::failed:
                break;
            }
        }
        return state_ == state::done ? status::done : state_ == state::failed ? status::failed : status::more;
    }

private:
    enum class state : std::uint8_t { size, ext, size_lf, data, data_cr, data_lf, trailer, done, failed };

    static int hex(char c)
    {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    }

    std::uint64_t size_ = 0;
    std::uint32_t line_ = 0;
    std::uint8_t digits_ = 0;
    state state_ = state::size;
};

std::optional<std::uint64_t> decimal(char const* p, std::size_t n)
{
    if (n == 0 || n > 20)
        return std::nullopt;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (p[i] < '0' || p[i] > '9')
            return std::nullopt;
        v = v * 10 + static_cast<std::uint64_t>(p[i] - '0');
    }
    return v;
}

// An event id as the fan-out checks compare them: a decimal (topics in one
// process), or a Redis stream entry id `<ms>-<seq>` (servers sharing a
// Redis; nchan's `<seconds>:<n>` is read the same way).
struct event_id {
    enum class kind : std::uint8_t { decimal, entry };
    kind k = kind::decimal;
    std::uint64_t hi = 0; // the decimal, or <ms>
    std::uint64_t lo = 0; // <seq>
};

// The size of a publish answer's body once all of it is in `rest` (what
// follows its header): by Content-Length, or chunked (a peer's choice);
// nothing while more is to come.
std::optional<std::size_t> answer_body_size(std::string_view head, std::string_view rest)
{
    std::string lower(head);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](char ch) { return static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch); });
    if (auto const cl = lower.find("content-length:"); cl != std::string::npos) {
        std::size_t const n = std::strtoul(lower.c_str() + cl + 15, nullptr, 10);
        return rest.size() >= n ? std::optional<std::size_t>(n) : std::nullopt;
    }
    if (lower.find("transfer-encoding: chunked") == std::string::npos)
        return 0;
    std::size_t at = 0;
    for (;;) {
        auto const eol = rest.find("\r\n", at);
        if (eol == std::string_view::npos)
            return std::nullopt;
        std::size_t const n = std::strtoul(std::string(rest.substr(at, eol - at)).c_str(), nullptr, 16);
        if (n == 0) {
            // The last chunk, then an empty trailer.
            if (rest.size() < eol + 4)
                return std::nullopt;
            return eol + 4;
        }
        at = eol + 2 + n + 2;
        if (rest.size() < at)
            return std::nullopt;
    }
}

std::optional<event_id> parse_id(char const* p, std::size_t n)
{
    auto const* dash = static_cast<char const*>(std::memchr(p, '-', n));
    if (!dash)
        dash = static_cast<char const*>(std::memchr(p, ':', n)); // nchan: <seconds>:<n>
    if (!dash) {
        auto const v = decimal(p, n);
        return v ? std::optional<event_id>(event_id{event_id::kind::decimal, *v, 0}) : std::nullopt;
    }
    auto const ms = decimal(p, static_cast<std::size_t>(dash - p));
    auto const seq = decimal(dash + 1, static_cast<std::size_t>(p + n - dash - 1));
    return ms && seq ? std::optional<event_id>(event_id{event_id::kind::entry, *ms, *seq}) : std::nullopt;
}

// Whether `next` may follow `prev` on one subscription: decimal ids are
// consecutive; entry ids increase, ordered by (ms, seq), as Redis orders them.
bool in_order(event_id const& prev, event_id const& next)
{
    if (prev.k != next.k)
        return false;
    if (next.k == event_id::kind::decimal)
        return next.hi == prev.hi + 1;
    return next.hi > prev.hi || (next.hi == prev.hi && next.lo > prev.lo);
}

// Splits an event stream into events: the `id:` and the `data: t=<ns>` of
// each are parsed from the first bytes of their lines.
class event_scanner {
public:
    struct event {
        std::optional<event_id> id;
        std::optional<std::uint64_t> stamp;
    };

    template <class OnEvent>
    void feed(char const* p, std::size_t n, OnEvent&& on_event)
    {
        char const* const end = p + n;
        while (p != end) {
            auto const* nl = static_cast<char const*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
            char const* const stop = nl ? nl : end;
            std::size_t const k = static_cast<std::size_t>(stop - p);
            if (prefix_len_ < sizeof prefix_) {
                std::size_t const m = std::min(k, sizeof prefix_ - prefix_len_);
                std::memcpy(prefix_ + prefix_len_, p, m);
                prefix_len_ += static_cast<std::uint8_t>(m);
            }
            line_len_ += k;
            if (!nl)
                return;
            p = nl + 1;
            end_line(on_event);
        }
    }

private:
    template <class OnEvent>
    void end_line(OnEvent& on_event)
    {
        std::string_view line(prefix_, prefix_len_);
        if (line.ends_with('\r') && line_len_ == prefix_len_)
            line.remove_suffix(1);
        if (line_len_ == 0 || (line.empty() && line_len_ == 1)) {
            if (has_field_)
                on_event(current_);
            has_field_ = false;
            current_ = {};
        } else if (line.front() != ':') {
            has_field_ = true;
            if (line.starts_with("id: ")) {
                // Only a whole id: a line longer than the prefix has none that fits.
                current_.id = line_len_ <= sizeof prefix_ ? parse_id(line.data() + 4, line.size() - 4) : std::nullopt;
            } else if (line.starts_with("data: t=")) {
                std::size_t digits = 0;
                while (8 + digits < line.size() && line[8 + digits] >= '0' && line[8 + digits] <= '9')
                    ++digits;
                current_.stamp = decimal(line.data() + 8, digits);
            }
        }
        line_len_ = 0;
        prefix_len_ = 0;
    }

    char prefix_[40];
    std::uint8_t prefix_len_ = 0;
    bool has_field_ = false;
    std::size_t line_len_ = 0;
    event current_;
};

// ------------------------------------------------------------ connections

enum class phase : std::uint8_t { connecting, head, body, done, failed };

struct connection {
    int fd = -1;
    phase ph = phase::connecting;
    std::uint32_t sent = 0;
    std::string head;
    chunk_decoder chunks;
    bool chunked = true; // else the body ends when the server closes (a peer server's choice)
    event_scanner scanner;
    std::uint64_t events = 0;
    std::uint64_t bytes = 0;
    std::optional<event_id> last_id; // fanout: the id of the last event
    std::uint64_t out_of_order = 0;
};

// An epoll loop over many client connections, each sending one GET and
// reading its (chunked) response.
class client {
public:
    // Connection i goes to opt.ports[i mod n].
    client(options const& opt, std::string path, std::size_t n, std::size_t buffer)
        : request_("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
        , conns_(n)
        , buf_(buffer)
        , evs_(1024)
    {
        ep_ = ::epoll_create1(EPOLL_CLOEXEC);
        for (unsigned short const port : opt.ports) {
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_port = htons(port);
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            addrs_.push_back(a);
        }
    }

    client(client const&) = delete;
    client& operator=(client const&) = delete;

    ~client()
    {
        close_all();
        if (ep_ >= 0)
            ::close(ep_);
    }

    // Opens the connections still to open, at most `in_flight` without
    // their headers at a time.
    void open_more(std::size_t in_flight = 256)
    {
        while (opened_ < conns_.size() && opened_ - headed_ - failed_before_head_ < in_flight) {
            auto& c = conns_[opened_];
            std::uint64_t const i = opened_++;
            c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (c.fd < 0) {
                fail(c, "socket", errno);
                continue;
            }
            int const one = 1;
            ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            auto const& addr = addrs_[i % addrs_.size()];
            if (::connect(c.fd, reinterpret_cast<sockaddr const*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
                fail(c, "connect", errno);
                continue;
            }
            epoll_event ev{};
            ev.events = EPOLLIN | EPOLLOUT;
            ev.data.u64 = i;
            if (::epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev) != 0)
                fail(c, "epoll_ctl", errno);
        }
    }

    // One pass: waits up to timeout_ms, handles what is ready. on_event(c,
    // event, receive time) runs for each event.
    template <class OnEvent>
    void poll(int timeout_ms, OnEvent&& on_event)
    {
        open_more();
        int const k = ::epoll_wait(ep_, evs_.data(), static_cast<int>(evs_.size()), timeout_ms);
        if (k < 0)
            return;
        for (int e = 0; e < k; ++e) {
            auto const& ev = evs_[static_cast<std::size_t>(e)];
            auto& c = conns_[ev.data.u64];
            if (c.ph == phase::connecting && (ev.events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
                send_request(c);
            if ((c.ph == phase::head || c.ph == phase::body) && (ev.events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
                receive(c, on_event);
        }
    }

    void close_all()
    {
        for (auto& c : conns_)
            if (c.fd >= 0) {
                ::close(c.fd);
                c.fd = -1;
            }
    }

    std::vector<connection>& conns() { return conns_; }
    std::size_t headed() const { return headed_; }
    std::size_t done() const { return done_; }
    std::size_t failed() const { return failed_; }
    std::size_t settled() const { return done_ + failed_; }
    std::string const& error() const { return error_; }

private:
    void fail(connection& c, char const* what, int err = 0)
    {
        if (c.ph == phase::connecting || c.ph == phase::head)
            ++failed_before_head_;
        c.ph = phase::failed;
        ++failed_;
        if (error_.empty())
            error_ = err ? std::string(what) + ": " + std::strerror(err) : std::string(what);
        if (c.fd >= 0) {
            ::close(c.fd); // closing removes it from the epoll set
            c.fd = -1;
        }
    }

    void send_request(connection& c)
    {
        int err = 0;
        socklen_t len = sizeof err;
        if (::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
            return fail(c, "connect", err);
        while (c.sent < request_.size()) {
            ssize_t const n = ::send(c.fd, request_.data() + c.sent, request_.size() - c.sent, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                return; // EPOLLOUT again
            if (n <= 0)
                return fail(c, "send", errno);
            c.sent += static_cast<std::uint32_t>(n);
        }
        c.ph = phase::head;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = static_cast<std::uint64_t>(&c - conns_.data());
        if (::epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev) != 0)
            fail(c, "epoll_ctl", errno);
    }

    template <class OnEvent>
    void receive(connection& c, OnEvent& on_event)
    {
        // A few reads per readiness, so that one busy connection does not
        // starve the others.
        for (int rd = 0; rd < 4; ++rd) {
            ssize_t const got = ::recv(c.fd, buf_.data(), buf_.size(), 0);
            if (got < 0 && errno == EINTR)
                continue;
            if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                return;
            if (got < 0)
                return fail(c, "recv", errno);
            if (got == 0 && c.ph == phase::body && !c.chunked) {
                c.ph = phase::done;
                ++done_;
                ::close(c.fd);
                c.fd = -1;
                return;
            }
            if (got == 0)
                return fail(c, "the server closed a connection before the end of its response");
            std::uint64_t const rx = now_ns();
            char const* p = buf_.data();
            std::size_t n = static_cast<std::size_t>(got);
            if (c.ph == phase::head) {
                std::size_t const old = c.head.size();
                c.head.append(p, std::min<std::size_t>(n, 8192));
                auto const end = c.head.find("\r\n\r\n", old >= 3 ? old - 3 : 0);
                if (end == std::string::npos) {
                    if (c.head.size() > 8192)
                        return fail(c, "response header too large");
                    continue;
                }
                std::string_view const h(c.head.data(), end + 4);
                if (!h.starts_with("HTTP/1.1 200"))
                    return fail(c, ("unexpected response: " + std::string(h.substr(0, h.find('\r')))).c_str());
                std::string lower(h);
                std::transform(lower.begin(), lower.end(), lower.begin(),
                               [](char ch) { return static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch); });
                c.chunked = lower.find("transfer-encoding: chunked") != std::string::npos;
                if (!c.chunked && lower.find("content-length:") != std::string::npos)
                    return fail(c, "an event stream with a Content-Length");
                std::size_t const used = end + 4 - old;
                p += used;
                n -= used;
                c.ph = phase::body;
                ++headed_;
                c.head = std::string();
            }
            auto const take = [&](char const* d, std::size_t len) {
                c.bytes += len;
                c.scanner.feed(d, len, [&](event_scanner::event const& e) {
                    ++c.events;
                    on_event(c, e, rx);
                });
            };
            if (!c.chunked) {
                take(p, n);
                continue;
            }
            auto const st = c.chunks.feed(p, n, take);
            if (st == chunk_decoder::status::failed)
                return fail(c, "bad chunked encoding");
            if (st == chunk_decoder::status::done) {
                c.ph = phase::done;
                ++done_;
                ::close(c.fd);
                c.fd = -1;
                return;
            }
        }
    }

    std::string request_;
    std::vector<connection> conns_;
    std::vector<char> buf_;
    std::vector<epoll_event> evs_;
    std::vector<sockaddr_in> addrs_;
    int ep_ = -1;
    std::size_t opened_ = 0;
    std::size_t headed_ = 0;
    std::size_t done_ = 0;
    std::size_t failed_ = 0;
    std::size_t failed_before_head_ = 0;
    std::string error_;
};

// ------------------------------------------------------------------ helpers

// VmRSS of another process, KiB, or -1.
long rss_kib_of(long pid)
{
    std::string const path = "/proc/" + std::to_string(pid) + "/status";
    int const fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char buf[8192];
    std::size_t len = 0;
    for (int i = 0; i < 16 && len < sizeof buf - 1; ++i) {
        ssize_t const n = ::read(fd, buf + len, sizeof buf - 1 - len);
        if (n <= 0)
            break;
        len += static_cast<std::size_t>(n);
    }
    ::close(fd);
    buf[len] = '\0';
    char const* p = std::strstr(buf, "VmRSS:");
    return p ? std::strtol(p + 6, nullptr, 10) : -1;
}

// GET /stats on a connection of its own: open_streams, or -1.
long open_streams(unsigned short port)
{
    int const fd = connect_loopback(port, 5);
    if (fd < 0)
        return -1;
    constexpr std::string_view req = "GET /stats HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    std::string res;
    if (send_all(fd, req.data(), req.size())) {
        char buf[4096];
        for (int i = 0; i < 64 && res.size() < 65536; ++i) {
            ssize_t const n = ::recv(fd, buf, sizeof buf, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            res.append(buf, static_cast<std::size_t>(n));
        }
    }
    ::close(fd);
    auto const at = res.find("\"open_streams\":");
    if (!res.starts_with("HTTP/1.1 200") || at == std::string::npos)
        return -1;
    char const* p = res.c_str() + at + 15;
    while (*p == ' ')
        ++p;
    return std::strtol(p, nullptr, 10);
}

// Raises the soft RLIMIT_NOFILE to the hard limit; false (and a message)
// when that is below `needed`.
bool raise_nofile(std::size_t needed)
{
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return false;
    if (rl.rlim_cur < rl.rlim_max) {
        rlimit want = rl;
        want.rlim_cur = rl.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &want) == 0)
            rl = want;
    }
    if (rl.rlim_cur < needed) {
        std::fprintf(stderr,
                     "sse_load: %zu file descriptors are needed, RLIMIT_NOFILE allows %llu (hard limit %llu):\n"
                     "          raise the hard limit (ulimit -Hn, limits.conf) or use fewer connections\n",
                     needed, static_cast<unsigned long long>(rl.rlim_cur), static_cast<unsigned long long>(rl.rlim_max));
        return false;
    }
    return true;
}

// A tiny JSON object writer: "key": value pairs, in order.
class json_out {
public:
    json_out& num(char const* k, double v, int prec = 3)
    {
        char b[64];
        std::snprintf(b, sizeof b, "%.*f", prec, v);
        return raw(k, b);
    }
    json_out& num(char const* k, std::uint64_t v) { return raw(k, std::to_string(v)); }
    json_out& num(char const* k, long v) { return raw(k, std::to_string(v)); }
    json_out& str(char const* k, std::string_view v)
    {
        std::string q = "\"";
        for (char c : v) {
            if (c == '"' || c == '\\')
                q += '\\';
            if (static_cast<unsigned char>(c) >= 0x20)
                q += c;
        }
        return raw(k, q + '"');
    }
    json_out& raw(char const* k, std::string const& v)
    {
        s_ += s_.empty() ? "{" : ", ";
        s_ += '"';
        s_ += k;
        s_ += "\": ";
        s_ += v;
        return *this;
    }
    std::string text() const { return s_ + "}"; }

private:
    std::string s_;
};

// ------------------------------------------------------------------- modes

int run_stream(options const& opt, std::size_t conns)
{
    std::string const path = "/stream?count=" + std::to_string(opt.count) + "&size=" + std::to_string(opt.size);
    client cl(opt, path, conns, conns == 1 ? 1 << 20 : 256 << 10);
    std::uint64_t const t0 = now_ns();
    std::uint64_t const deadline = t0 + static_cast<std::uint64_t>(opt.seconds * 1e9);
    bool timed_out = false;
    for (long pass = 0; cl.settled() < conns; ++pass) {
        if (now_ns() > deadline) {
            timed_out = true;
            break;
        }
        cl.poll(100, [](connection&, event_scanner::event const&, std::uint64_t) {});
    }
    double const secs = seconds_since(t0);
    std::uint64_t events = 0;
    std::uint64_t bytes = 0;
    std::size_t short_streams = 0;
    for (auto const& c : cl.conns()) {
        events += c.events;
        bytes += c.bytes;
        if (c.ph == phase::done && c.events != static_cast<std::uint64_t>(opt.count))
            ++short_streams;
    }
    std::uint64_t const expected = static_cast<std::uint64_t>(opt.count) * conns;
    bool const ok = !timed_out && cl.failed() == 0 && short_streams == 0 && events == expected;
    std::string error = timed_out ? "deadline reached" : cl.error();
    if (error.empty() && short_streams)
        error = std::to_string(short_streams) + " stream(s) ended with a wrong event count";
    double const eps = secs > 0 ? static_cast<double>(events) / secs : 0;
    double const mbps = secs > 0 ? static_cast<double>(bytes) / secs * 1e-6 : 0;
    if (opt.json) {
        std::printf("%s\n", json_out{}
                                .str("mode", opt.mode)
                                .num("conns", static_cast<long>(conns))
                                .num("count", opt.count)
                                .num("size", opt.size)
                                .num("events", events)
                                .num("expected", expected)
                                .num("bytes", bytes)
                                .num("seconds", secs, 4)
                                .num("events_per_s", eps, 0)
                                .num("mb_per_s", mbps, 2)
                                .num("failed", static_cast<long>(cl.failed()))
                                .raw("ok", ok ? "true" : "false")
                                .str("error", error)
                                .text()
                                .c_str());
    } else {
        std::printf("%s: %zu connection(s) x %ld events of size=%ld: %llu events, %.3f s, %.0f events/s, %.1f MB/s%s%s\n",
                    opt.mode.c_str(), conns, opt.count, opt.size, static_cast<unsigned long long>(events), secs, eps, mbps,
                    ok ? "" : "  FAILED: ", error.c_str());
    }
    return ok ? 0 : 1;
}

// The publisher: POST /publish on keep-alive connections, one after the
// other (publish i on connection i mod n), up to `window` requests in
// flight over them all.
struct publish_result {
    long sent = 0;
    long accepted = 0;
    std::uint64_t first_ns = 0;    // the first request sent
    std::uint64_t last_ns = 0;     // the last request sent
    std::uint64_t answered_ns = 0; // the last answer read
    std::string error;
};

// One connection of the publisher, and what it has read of its answers.
struct publish_conn {
    int fd = -1;
    std::string in;
};

void publish_all(options const& opt, std::uint64_t deadline, publish_result& r)
{
    // Connection j goes to ports[j mod n], so that consecutive publishes
    // alternate between the servers.
    auto const& ports = opt.publish_ports.empty() ? opt.ports : opt.publish_ports;
    std::vector<publish_conn> pc;
    for (long k = 0; k < opt.publish_conns; ++k) {
        for (unsigned short const port : ports) {
            int const fd = connect_loopback(port, 10);
            if (fd < 0) {
                r.error = "publisher: connect failed";
                for (auto const& c : pc)
                    ::close(c.fd);
                return;
            }
            int const one = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            pc.push_back({fd, {}});
        }
    }
    std::size_t const body_size = static_cast<std::size_t>(std::max(opt.size, 40L) - 8); // `data: ` + body + `\n\n`
    std::string const head = "POST /publish?topic=" + opt.topic +
                             " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: " +
                             std::to_string(body_size) + "\r\n\r\n";
    char buf[16384];
    std::deque<std::size_t> pending; // the connection of each request in flight, oldest first
    // Reads the oldest answer outstanding (the answers on one connection come in order).
    auto read_one = [&] {
        auto& c = pc[pending.front()];
        for (;;) {
            auto const end = c.in.find("\r\n\r\n");
            if (end != std::string::npos) {
                std::string_view const h(c.in.data(), end + 4);
                auto const body = answer_body_size(h, std::string_view(c.in).substr(end + 4));
                if (body) {
                    // 202 from the reference server; a peer may answer 200 or 201.
                    if (h.starts_with("HTTP/1.1 2"))
                        ++r.accepted;
                    else if (r.error.empty())
                        r.error = "publish answered " + std::string(h.substr(0, h.find('\r')));
                    c.in.erase(0, end + 4 + *body);
                    pending.pop_front();
                    r.answered_ns = now_ns();
                    return true;
                }
            }
            ssize_t const n = ::recv(c.fd, buf, sizeof buf, 0); // SO_RCVTIMEO: 10 s
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                if (r.error.empty())
                    r.error = "publisher: connection lost or timed out";
                return false;
            }
            c.in.append(buf, static_cast<std::size_t>(n));
        }
    };
    // Reads answers until at most `keep` are outstanding.
    auto drain = [&](std::size_t keep) {
        while (pending.size() > keep)
            if (!read_one())
                return false;
        return true;
    };
    std::uint64_t const t0 = now_ns();
    std::string req;
    for (long i = 0; i < opt.events; ++i) {
        if (opt.interval_us > 0) {
            std::uint64_t const at = t0 + static_cast<std::uint64_t>(i) * static_cast<std::uint64_t>(opt.interval_us) * 1000u;
            while (now_ns() < at) {
                // Read the answers while waiting; sleep the rest.
                std::uint64_t const left = at - now_ns();
                if (left > 200'000 && !pending.empty()) {
                    if (!drain(pending.size() - 1))
                        break;
                } else {
                    std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<std::uint64_t>(left, 100'000'000)));
                }
            }
        }
        if (now_ns() > deadline) {
            r.error = "publisher: deadline reached";
            break;
        }
        if (!drain(static_cast<std::size_t>(opt.window) - 1))
            break;
        std::uint64_t const ts = now_ns();
        char body[4096];
        int const w = std::snprintf(body, sizeof body, "t=%020llu ", static_cast<unsigned long long>(ts));
        for (std::size_t j = static_cast<std::size_t>(w); j < body_size; ++j)
            body[j] = static_cast<char>('a' + j % 26);
        req.assign(head);
        req.append(body, body_size);
        std::size_t const k = static_cast<std::size_t>(i) % pc.size();
        if (!send_all(pc[k].fd, req.data(), req.size())) {
            r.error = "publisher: send failed";
            break;
        }
        if (i == 0)
            r.first_ns = ts;
        r.last_ns = ts;
        ++r.sent;
        pending.push_back(k);
    }
    drain(0);
    for (auto const& c : pc)
        ::close(c.fd);
}

int run_fanout(options const& opt, std::size_t subs)
{
    client cl(opt, "/subscribe?topic=" + opt.topic, subs, 256 << 10);
    std::uint64_t const t0 = now_ns();
    std::uint64_t const deadline = t0 + static_cast<std::uint64_t>(opt.seconds * 1e9);
    std::uint64_t const expected = static_cast<std::uint64_t>(opt.events) * subs;
    std::vector<std::uint64_t> lat;
    std::map<std::uint64_t, std::uint64_t> slowest; // --slow: publish stamp -> its slowest delivery
    lat.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(expected, 64'000'000)));
    std::uint64_t deliveries = 0;
    std::uint64_t unstamped = 0;
    std::uint64_t no_id = 0; // events without an id that parses: every /subscribe event has one
    std::uint64_t last_rx = 0;
    auto on_event = [&](connection& c, event_scanner::event const& e, std::uint64_t rx) {
        ++deliveries;
        last_rx = rx;
        if (e.stamp && *e.stamp <= rx && lat.size() < lat.capacity()) {
            lat.push_back(rx - *e.stamp);
            if (opt.slow > 0) {
                auto& worst = slowest[*e.stamp];
                worst = std::max(worst, rx - *e.stamp);
            }
        } else
            ++unstamped;
        if (e.id) {
            if (c.last_id && !in_order(*c.last_id, *e.id))
                ++c.out_of_order;
            c.last_id = e.id;
        } else {
            ++no_id;
        }
    };
    std::string error;
    // Every subscriber gets its headers (it is subscribed before they are sent).
    while (cl.headed() + cl.failed() < subs && now_ns() < deadline)
        cl.poll(100, on_event);
    double const connect_s = seconds_since(t0);
    if (cl.headed() < subs)
        error = cl.failed() ? cl.error() : "deadline reached before every subscriber had its headers";
    // --settle-ms: reading on meanwhile.
    for (std::uint64_t const until = now_ns() + static_cast<std::uint64_t>(opt.settle_ms) * 1'000'000u;
         error.empty() && now_ns() < until;)
        cl.poll(10, on_event);

    publish_result pub;
    std::atomic<bool> published{false};
    std::thread publisher;
    if (error.empty())
        publisher = std::thread([&] {
            publish_all(opt, deadline, pub);
            published = true;
        });
    // Until every subscriber has every event, or 5 s without progress once
    // everything is published, or the deadline.
    std::uint64_t last_progress = now_ns();
    std::uint64_t seen = 0;
    while (error.empty() && deliveries < expected) {
        std::uint64_t const now = now_ns();
        if (now > deadline) {
            error = "deadline reached";
            break;
        }
        if (published && now - last_progress > 5'000'000'000u)
            break;
        cl.poll(50, on_event);
        if (deliveries != seen) {
            seen = deliveries;
            last_progress = now_ns();
        }
        if (published && pub.accepted < opt.events)
            break; // nothing more is coming
    }
    if (publisher.joinable())
        publisher.join();
    if (error.empty())
        error = pub.error;
    if (error.empty() && cl.failed())
        error = cl.error();

    std::uint64_t out_of_order = 0;
    for (auto const& c : cl.conns())
        out_of_order += c.out_of_order;
    std::uint64_t const missing = expected - std::min(expected, deliveries);
    double const span = last_rx > pub.first_ns && pub.first_ns ? static_cast<double>(last_rx - pub.first_ns) * 1e-9 : 0;
    double const rate = span > 0 ? static_cast<double>(deliveries) / span : 0;
    auto pct = [&](double q) {
        if (lat.empty())
            return 0.0;
        auto const i = std::min(lat.size() - 1, static_cast<std::size_t>(q * static_cast<double>(lat.size())));
        std::nth_element(lat.begin(), lat.begin() + static_cast<std::ptrdiff_t>(i), lat.end());
        return static_cast<double>(lat[i]) * 1e-6;
    };
    double const p50 = pct(0.50);
    double const p99 = pct(0.99);
    double const pmax = lat.empty() ? 0.0 : static_cast<double>(*std::max_element(lat.begin(), lat.end())) * 1e-6;
    // The publish rate: 202 answers from the first request sent to the last answer read.
    double const answer_s = pub.answered_ns > pub.first_ns && pub.first_ns ? static_cast<double>(pub.answered_ns - pub.first_ns) * 1e-9 : 0;
    double const pub_rate = answer_s > 0 ? static_cast<double>(pub.accepted) / answer_s : 0;
    std::size_t const pub_conns = static_cast<std::size_t>(opt.publish_conns) *
                                  (opt.publish_ports.empty() ? opt.ports.size() : opt.publish_ports.size());
    bool const ok = error.empty() && missing == 0 && out_of_order == 0 && unstamped == 0 && no_id == 0 &&
                   pub.accepted == opt.events;
    if (opt.json) {
        std::printf("%s\n", json_out{}
                                .str("mode", opt.mode)
                                .num("subs", static_cast<long>(subs))
                                .num("events", opt.events)
                                .num("interval_us", opt.interval_us)
                                .num("size", opt.size)
                                .num("published", pub.accepted)
                                .num("deliveries", deliveries)
                                .num("expected", expected)
                                .num("missing", missing)
                                .num("out_of_order", out_of_order)
                                .num("unstamped", unstamped)
                                .num("no_id", no_id)
                                .num("connect_s", connect_s, 3)
                                .num("publish_s", pub.last_ns > pub.first_ns ? static_cast<double>(pub.last_ns - pub.first_ns) * 1e-9 : 0.0, 4)
                                .num("seconds", span, 4)
                                .num("deliveries_per_s", rate, 0)
                                .num("p50_ms", p50, 3)
                                .num("p99_ms", p99, 3)
                                .num("max_ms", pmax, 3)
                                .num("publish_conns", static_cast<long>(pub_conns))
                                .num("window", opt.window)
                                .num("answer_s", answer_s, 4)
                                .num("publishes_per_s", pub_rate, 0)
                                .num("failed", static_cast<long>(cl.failed()))
                                .raw("ok", ok ? "true" : "false")
                                .str("error", error)
                                .text()
                                .c_str());
    } else if (subs == 0) {
        std::printf("publish: %ld/%ld answered 202 in %.3f s on %zu connection(s), up to %ld in flight: %.0f publishes/s%s%s\n",
                    pub.accepted, opt.events, answer_s, pub_conns, opt.window, pub_rate, ok ? "" : "  FAILED: ", error.c_str());
    } else {
        std::printf("fanout: %zu subscribers (ready in %.2f s), %ld/%ld events published%s%ld us apart: %llu deliveries in %.3f s, "
                    "%.0f deliveries/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms, missing %llu, out of order %llu%s%s\n",
                    subs, connect_s, pub.accepted, opt.events, opt.interval_us ? " " : " in a burst, ",
                    opt.interval_us, static_cast<unsigned long long>(deliveries), span, rate, p50, p99, pmax,
                    static_cast<unsigned long long>(missing), static_cast<unsigned long long>(out_of_order),
                    ok ? "" : "  FAILED: ", error.c_str());
    }
    if (opt.slow > 0 && !slowest.empty()) {
        // Where the tail is: the events whose last subscriber waited longest,
        // by their index and publish time.
        std::vector<std::pair<std::uint64_t, std::size_t>> worst; // (latency, index)
        std::size_t index = 0;
        for (auto const& [stamp, l] : slowest)
            worst.emplace_back(l, index++);
        auto const n = std::min(worst.size(), static_cast<std::size_t>(opt.slow));
        std::partial_sort(worst.begin(), worst.begin() + static_cast<std::ptrdiff_t>(n), worst.end(), std::greater<>());
        std::uint64_t const first = slowest.begin()->first;
        std::vector<std::uint64_t> stamps;
        for (auto const& [stamp, l] : slowest)
            stamps.push_back(stamp);
        std::fprintf(stderr, "slowest events (index, published at +ms, slowest delivery ms):");
        for (std::size_t i = 0; i < n; ++i)
            std::fprintf(stderr, " %zu@%.1f:%.1f", worst[i].second, static_cast<double>(stamps[worst[i].second] - first) * 1e-6,
                         static_cast<double>(worst[i].first) * 1e-6);
        std::fprintf(stderr, "\n");
    }
    return ok ? 0 : 1;
}

int run_idle(options const& opt, std::size_t conns)
{
    std::string error;
    long const streams_before = opt.stats ? open_streams(opt.ports.front()) : -1;
    long const rss_before = opt.server_pid > 0 ? rss_kib_of(opt.server_pid) : -1;
    if (opt.stats && streams_before < 0)
        error = "GET /stats failed";
    if (opt.server_pid > 0 && rss_before < 0)
        error = "cannot read VmRSS of process " + std::to_string(opt.server_pid);
    client cl(opt, "/idle", conns, 64 << 10);
    std::uint64_t const t0 = now_ns();
    std::uint64_t const deadline = t0 + static_cast<std::uint64_t>(opt.seconds * 1e9);
    auto ignore = [](connection&, event_scanner::event const&, std::uint64_t) {};
    while (error.empty() && cl.headed() + cl.failed() < conns && now_ns() < deadline)
        cl.poll(100, ignore);
    double const connect_s = seconds_since(t0);
    if (error.empty() && cl.headed() < conns)
        error = cl.failed() ? cl.error() : "deadline reached before every connection had its headers";
    // Let the server settle (its last sessions finish writing their headers).
    std::uint64_t const settle = now_ns() + 500'000'000u;
    while (now_ns() < settle)
        cl.poll(50, ignore);
    long const rss_after = opt.server_pid > 0 ? rss_kib_of(opt.server_pid) : -1;
    long const streams = opt.stats ? open_streams(opt.ports.front()) : -1;
    if (opt.stats && error.empty() && streams - streams_before != static_cast<long>(conns))
        error = "/stats open_streams is " + std::to_string(streams) + ", expected " +
                std::to_string(streams_before + static_cast<long>(conns));
    if (error.empty() && cl.failed())
        error = cl.error();
    // Close them all; the server should see every stream end.
    cl.close_all();
    long streams_after = -1;
    for (int i = 0; opt.stats && i < 100; ++i) {
        streams_after = open_streams(opt.ports.front());
        if (streams_after == streams_before)
            break;
        std::this_thread::sleep_for(50ms);
    }
    if (opt.stats && error.empty() && streams_after != streams_before)
        error = "/stats open_streams is " + std::to_string(streams_after) + " 5 s after closing, expected " +
                std::to_string(streams_before);
    double const kib = rss_before >= 0 && rss_after >= 0 ? static_cast<double>(rss_after - rss_before) / static_cast<double>(conns) : -1;
    bool const ok = error.empty();
    if (opt.json) {
        std::printf("%s\n", json_out{}
                                .str("mode", opt.mode)
                                .num("conns", static_cast<long>(conns))
                                .num("connect_s", connect_s, 3)
                                .num("rss_before_kib", rss_before)
                                .num("rss_after_kib", rss_after)
                                .num("kib_per_conn", kib, 3)
                                .num("open_streams_before", streams_before)
                                .num("open_streams", streams)
                                .num("open_streams_after_close", streams_after)
                                .num("failed", static_cast<long>(cl.failed()))
                                .raw("ok", ok ? "true" : "false")
                                .str("error", error)
                                .text()
                                .c_str());
    } else {
        std::printf("idle: %zu connections open in %.2f s; server VmRSS %ld -> %ld KiB: %.2f KiB per connection; "
                    "/stats open_streams %ld -> %ld -> %ld after closing%s%s\n",
                    conns, connect_s, rss_before, rss_after, kib, streams_before, streams, streams_after,
                    ok ? "" : "  FAILED: ", error.c_str());
    }
    return ok ? 0 : 1;
}

// ---------------------------------------------------------------- arguments

bool parse_options(int argc, char** argv, options& opt)
{
    auto number = [](char const* s, long lo, long hi, long& out) {
        char* end = nullptr;
        errno = 0;
        long const v = std::strtol(s, &end, 10);
        if (errno || end == s || *end || v < lo || v > hi)
            return false;
        out = v;
        return true;
    };
    for (int i = 1; i < argc; ++i) {
        std::string_view const a = argv[i];
        bool const has = i + 1 < argc;
        long v = 0;
        if ((a == "--port" || a == "--publish-port") && has) {
            auto& list = a == "--port" ? opt.ports : opt.publish_ports;
            list.clear();
            std::string_view rest = argv[++i];
            for (;;) {
                auto const comma = rest.find(',');
                std::string const one(rest.substr(0, comma));
                if (!number(one.c_str(), 1, 65535, v) || list.size() == 64)
                    return false;
                list.push_back(static_cast<unsigned short>(v));
                if (comma == std::string_view::npos)
                    break;
                rest.remove_prefix(comma + 1);
            }
        } else if (a == "--count" && has) {
            if (!number(argv[++i], 1, 1'000'000'000, opt.count))
                return false;
        } else if (a == "--size" && has) {
            if (!number(argv[++i], 0, 16 << 20, opt.size))
                return false;
        } else if ((a == "--conns" || a == "--subs") && has) {
            if (!number(argv[++i], 0, 100'000, opt.conns)) // 0: fanout only, the publish rate alone
                return false;
        } else if (a == "--slow" && has) {
            if (!number(argv[++i], 0, 1000, opt.slow))
                return false;
        } else if (a == "--settle-ms" && has) {
            if (!number(argv[++i], 0, 60'000, opt.settle_ms))
                return false;
        } else if (a == "--publish-conns" && has) {
            if (!number(argv[++i], 1, 256, opt.publish_conns))
                return false;
        } else if (a == "--events" && has) {
            if (!number(argv[++i], 1, 1'000'000, opt.events))
                return false;
        } else if (a == "--interval-us" && has) {
            if (!number(argv[++i], 0, 10'000'000, opt.interval_us))
                return false;
        } else if (a == "--window" && has) {
            if (!number(argv[++i], 1, 1024, opt.window))
                return false;
        } else if (a == "--server-pid" && has) {
            if (!number(argv[++i], 1, 1L << 30, opt.server_pid))
                return false;
        } else if (a == "--seconds" && has) {
            if (!number(argv[++i], 1, 3600, v))
                return false;
            opt.seconds = static_cast<double>(v);
        } else if (a == "--topic" && has) {
            opt.topic = argv[++i];
        } else if (a == "--json") {
            opt.json = true;
        } else if (a == "--no-stats") {
            opt.stats = false;
        } else if (opt.mode.empty() && (a == "stream" || a == "concurrent" || a == "fanout" || a == "idle")) {
            opt.mode = a;
        } else {
            return false;
        }
    }
    if (opt.mode.empty() || opt.ports.empty())
        return false;
    if (opt.conns == 0 && opt.mode != "fanout")
        return false;
    if (opt.mode == "idle" && opt.ports.size() != 1)
        return false; // its checks read one server's /stats and VmRSS
    if (opt.mode == "fanout" && opt.size < 40)
        return false; // the stamp needs room
    for (char c : opt.topic)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
            return false;
    return true;
}

constexpr char const* usage =
    "usage: sse_load --port P[,P2,...] MODE [options]   (connections round-robin over the ports)\n"
    "  stream      [--count N] [--size B]                 one GET /stream?count=N&size=B\n"
    "  concurrent  [--conns C] [--count N] [--size B]     C of them at once (default 50)\n"
    "  fanout      [--subs K] [--events E] [--interval-us U] [--size S] [--window W] [--topic T]\n"
    "              [--publish-port P[,P2,...]] [--publish-conns N] [--settle-ms M] [--slow N]\n"
    "              K subscribers (default 1000; 0: the publish rate alone), E publishes (default 200,\n"
    "              burst when U is 0) round-robin over N connections to each publish port (default:\n"
    "              --port), W in flight in all, M ms after the last subscriber has its headers;\n"
    "              ids decimal and consecutive, or Redis entry ids increasing\n"
    "  idle        [--conns C] [--server-pid PID] [--no-stats]\n"
    "                                                     C idle streams (default 10000), one port;\n"
    "                                                     --no-stats: the server has no GET /stats\n"
    "  common      [--seconds S] (deadline, default 60) [--json]\n";

} // namespace

int main(int argc, char** argv)
{
    options opt;
    if (!parse_options(argc, argv, opt)) {
        std::fputs(usage, stderr);
        return 2;
    }
    ::signal(SIGPIPE, SIG_IGN);
    // The hard deadline: whatever happens, the process ends 30 s after the
    // measurement's own deadline.
    ::alarm(static_cast<unsigned>(opt.seconds) + 30);
    long const conns = opt.conns >= 0 ? opt.conns
                       : opt.mode == "stream"     ? 1
                       : opt.mode == "concurrent" ? 50
                       : opt.mode == "fanout"     ? 1'000
                                                  : 10'000;
    std::size_t const publishers = static_cast<std::size_t>(opt.publish_conns) * std::max(opt.ports.size(), opt.publish_ports.size());
    if (!raise_nofile(static_cast<std::size_t>(conns) + publishers + 64))
        return 1;
    if (opt.topic.empty())
        opt.topic = "load-" + std::to_string(::getpid()) + "-" + std::to_string(now_ns());
    auto const n = static_cast<std::size_t>(conns);
    if (opt.mode == "stream" || opt.mode == "concurrent")
        return run_stream(opt, n);
    if (opt.mode == "fanout")
        return run_fanout(opt, n);
    return run_idle(opt, n);
}
