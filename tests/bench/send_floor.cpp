//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// The floor of a fan-out on this machine, with no server at all: N
// connected loopback TCP sockets (TCP_NODELAY, as every server here sets
// it), one thread on --writer-cpu sends B bytes to each of them in turn, a
// pass after another, while a thread on --reader-cpu drains the other ends
// with epoll. A pass is what one event to N subscribers costs a server
// that does nothing but send (one send() per subscriber), so no fan-out on
// one core delivers an event to all N faster than one pass: its p99
// publish-to-receipt latency is at least about a pass.
//
// Per row: --size bytes per send() (one event of 64 B, then ten events in
// one write, as a server does when a subscriber has a backlog):
//   us/send    wall time of the writer per send()
//   pass ms    one send to each of N sockets
//   sends/s    one core's sends per second; deliveries/s at --size 64
//
//   bench_send_floor [--subs 10000] [--passes 20] [--writer-cpu 0] [--reader-cpu 1] [--json]
//
// The process needs 2N + a few file descriptors (RLIMIT_NOFILE is raised
// to its hard limit). Exit status 0, 1 when a socket failed, 2 on bad
// arguments.

#include <netinet/tcp.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#include "support.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace {

struct options {
    long subs = 10'000;
    long passes = 20;
    int writer_cpu = 0;
    int reader_cpu = 1;
    bool json = false;
};

bool parse(int argc, char** argv, options& o)
{
    for (int i = 1; i < argc; ++i) {
        std::string const a = argv[i];
        auto value = [&](long& out) {
            if (i + 1 >= argc)
                return false;
            char* end = nullptr;
            out = std::strtol(argv[++i], &end, 10);
            return *end == '\0';
        };
        long v = 0;
        if (a == "--subs" && value(o.subs) && o.subs > 0)
            continue;
        if (a == "--passes" && value(o.passes) && o.passes > 0)
            continue;
        if (a == "--writer-cpu" && value(v) && v >= 0) {
            o.writer_cpu = static_cast<int>(v);
            continue;
        }
        if (a == "--reader-cpu" && value(v) && v >= 0) {
            o.reader_cpu = static_cast<int>(v);
            continue;
        }
        if (a == "--json") {
            o.json = true;
            continue;
        }
        std::fprintf(stderr, "bench_send_floor: bad argument '%s'\n", a.c_str());
        return false;
    }
    return true;
}

void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (::sched_setaffinity(0, sizeof set, &set) != 0)
        std::fprintf(stderr, "bench_send_floor: cannot pin to CPU %d; running unpinned\n", cpu);
}

// N connected pairs: `out` the accepted ends (written), `in` the connected
// ends (read, non-blocking).
bool connect_pairs(std::size_t n, std::vector<int>& out, std::vector<int>& in)
{
    int const l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (l < 0 || ::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(l, 4096) != 0
        || ::getsockname(l, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        return false;
    int const one = 1;
    while (out.size() < n) {
        // A batch of connects, then their accepts: the backlog bounds a batch.
        std::size_t const batch = std::min<std::size_t>(n - out.size(), 1024);
        for (std::size_t i = 0; i < batch; ++i) {
            int const c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (c < 0 || ::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
                return false;
            ::fcntl(c, F_SETFL, O_NONBLOCK);
            in.push_back(c);
        }
        for (std::size_t i = 0; i < batch; ++i) {
            int const s = ::accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
            if (s < 0)
                return false;
            ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            out.push_back(s);
        }
    }
    ::close(l);
    return true;
}

struct row {
    std::size_t size;
    double us_per_send;
    double pass_ms;
    double sends_per_s;
};

// `passes` passes of one `size`-byte send per socket; the reader drains
// until it has every byte.
bool measure(options const& o, std::vector<int> const& out, std::vector<int> const& in, std::size_t size, row& r)
{
    std::size_t const total = out.size() * static_cast<std::size_t>(o.passes) * size;
    std::atomic<bool> failed{false};
    std::thread reader([&] {
        pin(o.reader_cpu);
        int const ep = ::epoll_create1(EPOLL_CLOEXEC);
        for (int fd : in) {
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.fd = fd;
            ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        }
        std::vector<epoll_event> events(1024);
        std::vector<char> buf(64 * 1024);
        std::size_t got = 0;
        auto const until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (got < total && std::chrono::steady_clock::now() < until) {
            int const k = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
            for (int i = 0; i < k; ++i) {
                for (;;) {
                    ssize_t const n = ::read(events[static_cast<std::size_t>(i)].data.fd, buf.data(), buf.size());
                    if (n <= 0)
                        break;
                    got += static_cast<std::size_t>(n);
                }
            }
        }
        ::close(ep);
        if (got < total)
            failed = true;
    });

    pin(o.writer_cpu);
    std::string const payload(size, 'x');
    auto const start = std::chrono::steady_clock::now();
    for (long p = 0; p < o.passes && !failed; ++p) {
        for (int fd : out) {
            if (!sse::bench::send_all(fd, payload.data(), payload.size()))
                failed = true;
        }
    }
    auto const end = std::chrono::steady_clock::now();
    reader.join();
    if (failed)
        return false;
    double const seconds = std::chrono::duration<double>(end - start).count();
    double const sends = static_cast<double>(out.size()) * static_cast<double>(o.passes);
    r = {size, seconds / sends * 1e6, seconds / static_cast<double>(o.passes) * 1e3, sends / seconds};
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    options o;
    if (!parse(argc, argv, o))
        return 2;
    auto const n = static_cast<std::size_t>(o.subs);
    rlimit rl{};
    ::getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < 2 * n + 16) {
        std::fprintf(stderr, "bench_send_floor: %zu sockets need %zu file descriptors; the limit is %llu\n", n, 2 * n + 16,
                     static_cast<unsigned long long>(rl.rlim_cur));
        return 1;
    }
    std::vector<int> out;
    std::vector<int> in;
    if (!connect_pairs(n, out, in)) {
        std::perror("bench_send_floor: connecting the sockets");
        return 1;
    }
    std::vector<row> rows;
    for (std::size_t size : {std::size_t(64), std::size_t(640)}) {
        row r{};
        if (!measure(o, out, in, size, r)) {
            std::fprintf(stderr, "bench_send_floor: a send or the reader failed at %zu bytes\n", size);
            return 1;
        }
        rows.push_back(r);
    }
    if (o.json) {
        std::printf("{\"subs\": %zu, \"passes\": %ld, \"rows\": [", n, o.passes);
        for (std::size_t i = 0; i < rows.size(); ++i)
            std::printf("%s{\"size\": %zu, \"us_per_send\": %.3f, \"pass_ms\": %.2f, \"sends_per_s\": %.0f}", i ? ", " : "",
                        rows[i].size, rows[i].us_per_send, rows[i].pass_ms, rows[i].sends_per_s);
        std::printf("]}\n");
    } else {
        std::printf("%zu loopback sockets, %ld passes, writer on CPU %d, reader on CPU %d\n", n, o.passes, o.writer_cpu, o.reader_cpu);
        std::printf("%8s %10s %10s %12s\n", "bytes", "us/send", "pass ms", "sends/s");
        for (auto const& r : rows)
            std::printf("%8zu %10.2f %10.2f %12.0f\n", r.size, r.us_per_send, r.pass_ms, r.sends_per_s);
    }
    for (int fd : out)
        ::close(fd);
    for (int fd : in)
        ::close(fd);
    return 0;
}
