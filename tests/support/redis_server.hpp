//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_TEST_REDIS_SERVER_HPP
#define SSE_TEST_REDIS_SERVER_HPP

// A redis-server of the test's own: on a free port, without persistence,
// stopped by its pid. SSE_TEST_REDIS_SERVER names the executable.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

namespace sse::test {

inline unsigned short free_port()
{
    int const fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw std::runtime_error("no free port");
    ::close(fd);
    return ntohs(a.sin_port);
}

class redis_server {
public:
    explicit redis_server(unsigned short port = free_port()) : port_(port) { start(); }

    redis_server(redis_server const&) = delete;
    redis_server& operator=(redis_server const&) = delete;

    ~redis_server() { stop(); }

    unsigned short port() const noexcept { return port_; }

    // Starts it again, on the same port, with an empty dataset.
    void start()
    {
        if (pid_ > 0)
            return;
        auto const port = std::to_string(port_);
        pid_ = ::fork();
        if (pid_ < 0)
            throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            int const null = ::open("/dev/null", O_WRONLY);
            ::dup2(null, 1); // its start-up banner and warnings
            ::execl(SSE_TEST_REDIS_SERVER, SSE_TEST_REDIS_SERVER, "--port", port.c_str(), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--loglevel", "warning", static_cast<char*>(nullptr));
            ::_exit(127);
        }
        // Ready once it accepts a connection.
        for (int i = 0; i < 500; ++i) {
            int const fd = ::socket(AF_INET, SOCK_STREAM, 0);
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            a.sin_port = htons(port_);
            bool const ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
            ::close(fd);
            if (ok)
                return;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        stop();
        throw std::runtime_error("redis-server did not start on port " + port);
    }

    // Freezes it (SIGSTOP): its connections stay open and nothing answers.
    void pause() { ::kill(pid_, SIGSTOP); }

    // Lets it run again (SIGCONT).
    void resume() { ::kill(pid_, SIGCONT); }

    // Stops it (SIGKILL: no goodbye to the clients, nothing saved).
    void stop()
    {
        if (pid_ <= 0)
            return;
        ::kill(pid_, SIGKILL);
        ::kill(pid_, SIGCONT);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

private:
    unsigned short port_;
    pid_t pid_ = -1;
};

} // namespace sse::test

#endif
