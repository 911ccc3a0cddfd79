//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_TEST_LOOPBACK_HPP
#define SSE_TEST_LOOPBACK_HPP

// Real sockets on 127.0.0.1: a server whose io_context runs on its own
// thread, and a blocking client whose every wait has a deadline. Tests wait
// for events (bytes, a completion, a destructor) and never sleep and hope.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <poll.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

namespace sse::test {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

// Generous: these machines are shared and loaded. A deadline is a failure
// bound, never a measure of speed.
inline constexpr std::chrono::seconds deadline{20};

// A value set once on one thread and awaited on another.
template <class T>
class latch_value {
public:
    // Notifies under the lock: a waiter that then destroys the latch
    // cannot do so while this is still notifying.
    void set(T v)
    {
        std::lock_guard lock(m_);
        v_ = std::move(v);
        at_ = std::chrono::steady_clock::now();
        cv_.notify_all();
    }

    // The value, or nullopt when the deadline passed first.
    std::optional<T> wait(std::chrono::steady_clock::duration d = deadline)
    {
        std::unique_lock lock(m_);
        cv_.wait_for(lock, d, [&] { return v_.has_value(); });
        return v_;
    }

    bool is_set()
    {
        std::lock_guard lock(m_);
        return v_.has_value();
    }

    std::chrono::steady_clock::time_point when()
    {
        std::lock_guard lock(m_);
        return at_;
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    std::optional<T> v_;
    std::chrono::steady_clock::time_point at_{};
};

// Sets a flag in its destructor: the producer's RAII resource.
struct destroy_probe {
    latch_value<bool>* destroyed;
    ~destroy_probe()
    {
        if (destroyed)
            destroyed->set(true);
    }
};

// A server on 127.0.0.1 running each accepted connection through a
// coroutine, on a thread of its own. It shuts down as a server should:
// it stops accepting, cancels every session (which ends open streams
// cleanly), waits for them to finish, then stops.
class server {
public:
    using session = std::function<net::awaitable<void>(tcp::socket)>;

    explicit server(session s) : session_(std::move(s))
    {
        net::co_spawn(ioc_, accept_loop(), net::detached);
        thread_ = std::thread([this] { ioc_.run(); });
    }

    ~server()
    {
        net::post(ioc_, [this] {
            acceptor_.close();
            for (auto& sig : signals_)
                sig.emit(net::cancellation_type::partial);
        });
        {
            std::unique_lock lock(m_);
            cv_.wait_for(lock, deadline, [&] { return sessions_ == 0; });
        }
        ioc_.stop();
        thread_.join();
    }

    unsigned short port() const { return port_; }

    net::io_context& context() { return ioc_; }

private:
    net::awaitable<void> accept_loop()
    {
        for (;;) {
            auto [ec, socket] = co_await acceptor_.async_accept(net::as_tuple(net::use_awaitable));
            if (ec)
                co_return;
            {
                std::lock_guard lock(m_);
                ++sessions_;
            }
            auto& sig = signals_.emplace_back();
            net::co_spawn(ioc_, run_session(std::move(socket)), net::bind_cancellation_slot(sig.slot(), [this](std::exception_ptr) {
                              std::lock_guard lock(m_);
                              --sessions_;
                              cv_.notify_all();
                          }));
        }
    }

    // A session sees the server's stop as partial cancellation: a graceful
    // one (an awaitable lets only terminal cancellation in, unless told).
    net::awaitable<void> run_session(tcp::socket socket)
    {
        co_await net::this_coro::reset_cancellation_state(net::enable_partial_cancellation());
        co_await session_(std::move(socket));
    }

    net::io_context ioc_;
    tcp::acceptor acceptor_{ioc_, {net::ip::make_address("127.0.0.1"), 0}};
    unsigned short port_ = acceptor_.local_endpoint().port();
    session session_;
    std::list<net::cancellation_signal> signals_;
    std::mutex m_;
    std::condition_variable cv_;
    int sessions_ = 0;
    std::thread thread_;
};

// A blocking client with deadlines.
class client {
public:
    explicit client(unsigned short port)
    {
        socket_.connect({net::ip::make_address("127.0.0.1"), port});
        socket_.set_option(tcp::no_delay(true));
    }

    tcp::socket& socket() { return socket_; }

    void send(std::string_view bytes) { net::write(socket_, net::buffer(bytes)); }

    void get(std::string_view target, std::string_view extra_headers = {}, std::string_view version = "1.1")
    {
        std::string req = "GET " + std::string(target) + " HTTP/" + std::string(version) +
                          "\r\nHost: localhost\r\n" + std::string(extra_headers) + "\r\n";
        send(req);
    }

    // Reads until pred(received) holds, the peer closes, or the deadline
    // passes. Returns whether pred holds.
    template <class Pred>
    bool read_until(Pred pred, std::chrono::steady_clock::duration d = deadline)
    {
        auto const end = std::chrono::steady_clock::now() + d;
        while (!pred(received_)) {
            if (closed_)
                return false;
            auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                return false;
            pollfd p{socket_.native_handle(), POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
                continue;
            char buf[65536];
            boost::system::error_code ec;
            std::size_t const n = socket_.read_some(net::buffer(buf), ec);
            if (ec)
                closed_ = true;
            received_.append(buf, n);
        }
        return true;
    }

    bool read_until_contains(std::string_view s, std::chrono::steady_clock::duration d = deadline)
    {
        return read_until([&](std::string const& r) { return r.find(s) != std::string::npos; }, d);
    }

    // Reads until the peer closes.
    bool read_to_close(std::chrono::steady_clock::duration d = deadline)
    {
        read_until([](std::string const&) { return false; }, d);
        return closed_;
    }

    std::string const& received() const { return received_; }
    std::string take()
    {
        std::string r = std::move(received_);
        received_.clear();
        return r;
    }
    bool closed() const { return closed_; }

    // Closes with a RST instead of a FIN.
    void reset()
    {
        socket_.set_option(net::socket_base::linger(true, 0));
        socket_.close();
    }

    void close() { socket_.close(); }

private:
    net::io_context ioc_;
    tcp::socket socket_{ioc_};
    std::string received_;
    bool closed_ = false;
};

// An HTTP/1.x response taken apart: the head, and the body with its chunk
// framing checked and removed.
struct response {
    std::string status_line;
    std::multimap<std::string, std::string> headers; // names lower-cased
    std::vector<std::string> chunks;                 // chunked: each chunk's payload
    std::string body;
    bool complete = false; // chunked: the last chunk arrived

    bool has(std::string const& name) const { return headers.count(name) != 0; }
    std::string get(std::string const& name) const
    {
        auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
};

// Parses what a client received. Throws on malformed framing.
inline response parse_response(std::string_view raw)
{
    response r;
    auto const head_end = raw.find("\r\n\r\n");
    if (head_end == std::string_view::npos)
        throw std::runtime_error("no end of header");
    std::string_view head = raw.substr(0, head_end + 2);
    std::string_view rest = raw.substr(head_end + 4);
    auto line_end = head.find("\r\n");
    r.status_line = std::string(head.substr(0, line_end));
    head.remove_prefix(line_end + 2);
    while (!head.empty()) {
        line_end = head.find("\r\n");
        auto const line = head.substr(0, line_end);
        auto const colon = line.find(':');
        std::string name(line.substr(0, colon));
        for (auto& c : name)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        auto value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ')
            value.remove_prefix(1);
        r.headers.emplace(name, std::string(value));
        head.remove_prefix(line_end + 2);
    }
    if (r.get("transfer-encoding") != "chunked") {
        r.body = std::string(rest);
        return r;
    }
    while (!rest.empty()) {
        auto const size_end = rest.find("\r\n");
        if (size_end == std::string_view::npos)
            break; // partial
        std::size_t const size = std::stoul(std::string(rest.substr(0, size_end)), nullptr, 16);
        if (rest.size() < size_end + 2 + size + 2)
            break; // partial
        if (rest.substr(size_end + 2 + size, 2) != "\r\n")
            throw std::runtime_error("chunk not followed by CRLF");
        if (size == 0) {
            r.complete = true;
            if (rest.size() != size_end + 4)
                throw std::runtime_error("bytes after the last chunk");
            break;
        }
        r.chunks.emplace_back(rest.substr(size_end + 2, size));
        r.body += r.chunks.back();
        rest.remove_prefix(size_end + 2 + size + 2);
    }
    return r;
}

// Whether a chunked response has ended.
inline bool has_last_chunk(std::string const& raw)
{
    return raw.size() >= 5 && raw.compare(raw.size() - 5, 5, "0\r\n\r\n") == 0 && raw.find("\r\n\r\n") + 4 <= raw.size() - 5;
}

} // namespace sse::test

#endif
