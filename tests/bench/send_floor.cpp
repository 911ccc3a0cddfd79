//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// The floor of a fan-out on this machine, with no server at all: N
// connected loopback TCP sockets (TCP_NODELAY, as every server here sets
// it). The writer, on --writer-cpu, sends B bytes to each of them in turn;
// a reader process on --reader-cpu (a minimal client: one epoll loop that
// reads and counts) drains the other ends. A pass is what one event to N
// subscribers costs a server that does nothing but send, one send() per
// subscriber; the writer waits until the reader has all of a pass before
// it starts the next, as when events come one at a time.
//
// Per row (--size bytes per send(): one 64 B event, then ten events in
// one write, as a server writes a subscriber's backlog):
//   us/send    the writer's wall time per send()
//   pass ms    the writer's time for one send to each of N sockets
//   last ms    from the first send of a pass to the reader having all of
//              it: the publish-to-receipt latency of the last subscriber
//              for a server that costs nothing but its sends, measured by
//              a client that costs nothing but its reads. No fan-out
//              measured on this machine has a p99 below it.
//
//   bench_send_floor [--subs 10000] [--passes 20] [--writer-cpu 0] [--reader-cpu 1] [--json]
//
// Each process needs N + a few file descriptors (RLIMIT_NOFILE is raised
// to its hard limit). Exit status 0, 1 when a socket or the reader failed,
// 2 on bad arguments.

#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "support.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
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

// A time (or 0) on the report pipe.
bool put(int fd, std::uint64_t t)
{
    return ::write(fd, &t, sizeof t) == static_cast<ssize_t>(sizeof t);
}

std::uint64_t now_ns()
{
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count()
    );
}

// The reader process: connects n sockets to `port`, says so on `report`,
// then reads; at the end of each pass (every `pass_bytes[i]` bytes, in
// order) it writes the time to `report`, for the writer to go on.
int reader(options const& o, unsigned short port, std::size_t n, std::vector<std::size_t> const& pass_bytes, int report)
{
    pin(o.reader_cpu);
    std::vector<int> fds;
    for (std::size_t i = 0; i < n; ++i) {
        int const c = sse::bench::connect_loopback(port);
        if (c < 0)
            return 1;
        ::fcntl(c, F_SETFL, O_NONBLOCK);
        fds.push_back(c);
    }
    int const ep = ::epoll_create1(EPOLL_CLOEXEC);
    for (int fd : fds) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    if (!put(report, 0))
        return 1;
    std::vector<epoll_event> events(1024);
    std::vector<char> buf(64 * 1024);
    std::size_t got = 0;
    for (std::size_t const want : pass_bytes) {
        while (got < want) {
            int const k = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 10'000);
            if (k <= 0)
                return 1;
            for (int i = 0; i < k; ++i) {
                for (;;) {
                    ssize_t const r = ::read(events[static_cast<std::size_t>(i)].data.fd, buf.data(), buf.size());
                    if (r <= 0)
                        break;
                    got += static_cast<std::size_t>(r);
                }
            }
        }
        if (!put(report, now_ns()))
            return 1;
    }
    return 0;
}

struct row {
    std::size_t size;
    double us_per_send;
    double pass_ms;
    double last_ms;     // mean over the passes
    double last_max_ms; // the slowest pass
    double sends_per_s;
};

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
    if (rl.rlim_cur < n + 16) {
        std::fprintf(stderr, "bench_send_floor: %zu sockets need %zu file descriptors; the limit is %llu\n", n, n + 16,
                     static_cast<unsigned long long>(rl.rlim_cur));
        return 1;
    }
    ::signal(SIGPIPE, SIG_IGN);

    std::vector<std::size_t> const sizes = {64, 640};
    std::vector<std::size_t> pass_bytes; // cumulative, at the end of each pass
    std::size_t total = 0;
    for (std::size_t size : sizes) {
        for (long p = 0; p < o.passes; ++p)
            pass_bytes.push_back(total += n * size);
    }

    int const l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int report[2];
    if (l < 0 || ::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(l, 4096) != 0 ||
        ::getsockname(l, reinterpret_cast<sockaddr*>(&a), &len) != 0 || ::pipe(report) != 0) {
        std::perror("bench_send_floor: listening");
        return 1;
    }
    pid_t const child = ::fork();
    if (child == 0) {
        ::close(l);
        ::close(report[0]);
        ::_exit(reader(o, ntohs(a.sin_port), n, pass_bytes, report[1]));
    }
    ::close(report[1]);
    auto const fail = [&](char const* what) {
        std::fprintf(stderr, "bench_send_floor: %s\n", what);
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
        return 1;
    };

    pin(o.writer_cpu);
    int const one = 1;
    std::vector<int> out;
    while (out.size() < n) {
        int const s = ::accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
        if (s < 0)
            return fail("accept failed");
        ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        out.push_back(s);
    }
    ::close(l);
    std::uint64_t t = 0;
    if (!sse::bench::read_exact(report[0], &t, sizeof t, 60'000))
        return fail("the reader did not connect");

    std::vector<row> rows;
    for (std::size_t size : sizes) {
        std::string const payload(size, 'x');
        double send_s = 0;
        double last_sum = 0;
        double last_max = 0;
        for (long p = 0; p < o.passes; ++p) {
            std::uint64_t const start = now_ns();
            for (int fd : out) {
                if (!sse::bench::send_all(fd, payload.data(), payload.size()))
                    return fail("a send failed");
            }
            send_s += static_cast<double>(now_ns() - start) * 1e-9;
            if (!sse::bench::read_exact(report[0], &t, sizeof t, 60'000))
                return fail("the reader did not get a whole pass");
            double const last = static_cast<double>(t - start) * 1e-6;
            last_sum += last;
            last_max = std::max(last_max, last);
        }
        double const sends = static_cast<double>(n) * static_cast<double>(o.passes);
        rows.push_back({size, send_s / sends * 1e6, send_s / static_cast<double>(o.passes) * 1e3,
                        last_sum / static_cast<double>(o.passes), last_max, sends / send_s});
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    for (int fd : out)
        ::close(fd);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "bench_send_floor: the reader failed\n");
        return 1;
    }

    if (o.json) {
        std::printf("{\"subs\": %zu, \"passes\": %ld, \"rows\": [", n, o.passes);
        for (std::size_t i = 0; i < rows.size(); ++i)
            std::printf("%s{\"size\": %zu, \"us_per_send\": %.3f, \"pass_ms\": %.2f, \"last_ms\": %.2f, \"last_max_ms\": %.2f, "
                        "\"sends_per_s\": %.0f}",
                        i ? ", " : "", rows[i].size, rows[i].us_per_send, rows[i].pass_ms, rows[i].last_ms,
                        rows[i].last_max_ms, rows[i].sends_per_s);
        std::printf("]}\n");
    } else {
        std::printf("%zu loopback sockets, %ld passes, writer on CPU %d, reader on CPU %d\n", n, o.passes, o.writer_cpu,
                    o.reader_cpu);
        std::printf("%8s %10s %10s %10s %10s %12s\n", "bytes", "us/send", "pass ms", "last ms", "last max", "sends/s");
        for (auto const& r : rows)
            std::printf("%8zu %10.2f %10.2f %10.2f %10.2f %12.0f\n", r.size, r.us_per_send, r.pass_ms, r.last_ms,
                        r.last_max_ms, r.sends_per_s);
    }
    return 0;
}
