//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_BENCH_SUPPORT_HPP
#define SSE_BENCH_SUPPORT_HPP

// Helpers shared by the loopback benchmarks (stream.cpp, fanout.cpp):
// process measurements, blocking socket I/O and the listening socket.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace sse::bench {

// CPU time of the calling thread, in seconds.
inline double thread_cpu_seconds()
{
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// VmRSS in KiB, read without allocating.
inline long rss_kib()
{
    int const fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
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

// Bytes the malloc heap has handed out and not had back.
inline long heap_in_use()
{
    struct mallinfo2 const mi = ::mallinfo2();
    return static_cast<long>(mi.uordblks + mi.hblkhd);
}

inline bool send_all(int fd, char const* p, std::size_t n)
{
    for (int i = 0; n > 0 && i < 1000; ++i) {
        ssize_t const k = ::send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k;
        n -= static_cast<std::size_t>(k);
    }
    return n == 0;
}

// Waits for fd to be readable, then reads exactly n bytes.
inline bool read_exact(int fd, void* out, std::size_t n, int timeout_ms)
{
    auto* p = static_cast<char*>(out);
    for (int i = 0; n > 0 && i < 1000; ++i) {
        pollfd pfd{fd, POLLIN, 0};
        int const r = ::poll(&pfd, 1, timeout_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        ssize_t const k = ::read(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k;
        n -= static_cast<std::size_t>(k);
    }
    return n == 0;
}

// A blocking socket connected to 127.0.0.1:port, or -1. Sends and receives
// time out after timeout_s seconds.
inline int connect_loopback(unsigned short port, int timeout_s = 30)
{
    int const fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    timeval tv{timeout_s, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < 100; ++i) {
        if (::connect(fd, reinterpret_cast<sockaddr const*>(&a), sizeof a) == 0)
            return fd;
        if (errno != EINTR)
            break;
    }
    ::close(fd);
    return -1;
}

inline constexpr std::string_view request_text =
    "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";

// A listening socket on 127.0.0.1, on a port the system picks.
inline boost::asio::ip::tcp::acceptor make_acceptor(boost::asio::io_context& ioc, int backlog)
{
    using tcp = boost::asio::ip::tcp;
    tcp::acceptor acc(ioc);
    tcp::endpoint const ep(boost::asio::ip::address_v4::loopback(), 0);
    acc.open(ep.protocol());
    acc.set_option(tcp::acceptor::reuse_address(true));
    acc.bind(ep);
    acc.listen(backlog);
    return acc;
}

} // namespace sse::bench

#endif
