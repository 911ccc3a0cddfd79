//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Heartbeats from the execution context's one deadline_queue, raced
// against everything that ends a stream, on an io_context run by four
// threads with every connection on a strand of its own: a stream ended
// (cleanly or at once) just as its heartbeat falls due, peers that leave
// while heartbeats are written, many streams ended at once from other
// threads, and the server stopped in the middle of it all. Built for the
// ThreadSanitizer preset; under the others it checks that every stream
// ends, every source is destroyed and nothing is left in the context.

// Test that header file is self-contained.
#include <sse/server.hpp>

#include <sse/detail/deadline_queue.hpp>
#include <sse/stream_response.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/string_body.hpp>

#include "catch.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

constexpr int threads = 4;

// A source that never yields: its pending async_next waits in the
// cancellation slot the stream emits on when it ends. Counts its live
// instances.
class silent_source {
public:
    using value_type = sse::serialized;

    explicit silent_source(std::atomic<int>& live) noexcept : live_(&live) { ++*live_; }
    silent_source(silent_source&& other) noexcept : live_(std::exchange(other.live_, nullptr)) {}
    silent_source& operator=(silent_source&&) = delete;
    ~silent_source()
    {
        if (live_)
            --*live_;
    }

    template <net::completion_token_for<void(sse::error_code, std::optional<sse::serialized>)> Token>
    auto async_next(Token&& token)
    {
        return net::async_initiate<Token, void(sse::error_code, std::optional<sse::serialized>)>(
            [](auto handler) {
                auto slot = net::get_associated_cancellation_slot(handler);
                REQUIRE(slot.is_connected());
                slot.template emplace<parked<decltype(handler)>>(std::move(handler));
            },
            token
        );
    }

private:
    template <class Handler>
    struct parked {
        explicit parked(Handler&& h) : handler(std::move(h)) {}
        void operator()(net::cancellation_type)
        {
            if (std::exchange(done, true))
                return;
            auto const ex = net::get_associated_executor(handler);
            net::post(
                ex, net::append(std::move(handler), net::error::operation_aborted, std::optional<sse::serialized>())
            );
        }
        Handler handler;
        bool done = false;
    };

    std::atomic<int>* live_;
};

// Runs `ioc` on `threads` threads until it has nothing left to do.
void run_threads(net::io_context& ioc)
{
    std::vector<std::thread> pool;
    for (int i = 0; i < threads; ++i)
        pool.emplace_back([&ioc] { ioc.run(); });
    for (auto& t : pool)
        t.join();
}

// One stream written with sse::async_write on a strand, its peer reading on
// another, ended by the test at a random moment near a heartbeat.
struct stream_case {
    explicit stream_case(net::io_context& ioc)
        : server_socket(net::make_strand(ioc))
        , client_socket(net::make_strand(ioc))
        , stopper(server_socket.get_executor())
    {
    }

    tcp::socket server_socket;
    tcp::socket client_socket;
    net::steady_timer stopper; // on the server socket's strand
    net::cancellation_signal stop;
    boost::beast::flat_buffer buffer;
    std::array<char, 256> scratch{};
    std::size_t received = 0;
    std::optional<sse::error_code> result;
};

} // namespace

TEST_CASE("heartbeat races: streams ended as their heartbeats fall due", "[heartbeat][threads]")
{
    constexpr int streams = 48;
    auto const round = GENERATE(1, 2, 3, 4, 5);
    net::io_context ioc(threads);
    tcp::acceptor acceptor(ioc, {net::ip::make_address("127.0.0.1"), 0});
    std::atomic<int> live{0};
    std::atomic<int> ended{0};
    std::vector<std::unique_ptr<stream_case>> cases;
    std::minstd_rand rng(static_cast<unsigned>(round));

    for (int i = 0; i < streams; ++i) {
        auto c = std::make_unique<stream_case>(ioc);
        c->client_socket.connect(acceptor.local_endpoint());
        acceptor.accept(c->server_socket);
        cases.push_back(std::move(c));
    }

    for (int i = 0; i < streams; ++i) {
        auto& c = *cases[static_cast<std::size_t>(i)];
        // How this one ends: 0 terminal, 1 partial (cleanly), 2 the peer
        // closes, 3 the peer closes and the server cancels at once.
        int const how = i % 4;
        auto const after = std::chrono::microseconds(1000 + rng() % 4000);
        net::dispatch(c.server_socket.get_executor(), [&c, &live, &ended, how, after] {
            http::request<http::string_body> req{http::verb::get, "/", 11};
            sse::stream_options options;
            options.heartbeat = 1ms; // due all the time
            sse::async_write(
                c.server_socket,
                c.buffer,
                sse::stream_response{req, silent_source(live), options},
                net::bind_cancellation_slot(
                    c.stop.slot(),
                    net::bind_executor(c.server_socket.get_executor(), [&c, &ended](sse::error_code ec) {
                        c.result = ec;
                        ++ended;
                        boost::system::error_code ignored;
                        c.server_socket.close(ignored);
                    })
                )
            );
            if (how == 0 || how == 1 || how == 3) {
                c.stopper.expires_after(after);
                c.stopper.async_wait([&c, how](sse::error_code) {
                    c.stop.emit(how == 1 ? net::cancellation_type::partial : net::cancellation_type::terminal);
                });
            }
        });
        // The peer reads everything; for 2 and 3 it leaves after a few
        // heartbeats.
        struct reader {
            stream_case* c;
            std::size_t leave_after;
            void operator()(sse::error_code ec = {}, std::size_t n = 0)
            {
                c->received += n;
                if (ec || (leave_after != 0 && c->received >= leave_after)) {
                    boost::system::error_code ignored;
                    c->client_socket.close(ignored);
                    return;
                }
                c->client_socket.async_read_some(net::buffer(c->scratch), std::move(*this));
            }
        };
        std::size_t const leave_after = how >= 2 ? 200 + rng() % 200 : 0;
        net::dispatch(c.client_socket.get_executor(), reader{&c, leave_after});
    }

    run_threads(ioc);

    CHECK(ended == streams);
    CHECK(live == 0);
    for (int i = 0; i < streams; ++i) {
        auto& c = *cases[static_cast<std::size_t>(i)];
        REQUIRE(c.result);
        CHECK(c.received > 100); // the header, and heartbeats
        // Cancelled: operation_aborted; the peer gone first: peer_gone.
        bool const expected = *c.result == net::error::operation_aborted || *c.result == sse::error::peer_gone;
        CHECK(expected);
        if (i % 4 == 2)
            CHECK(*c.result == sse::error::peer_gone);
    }
    CHECK(sse::detail::deadline_queue::of(ioc.get_executor()).size() == 0);
}

namespace {

// A blocking client of the server: GET /idle, then it reads.
struct idle_client {
    tcp::socket socket;
    std::string head;

    explicit idle_client(net::io_context& ioc) : socket(ioc) {}

    void open(unsigned short port)
    {
        socket.connect({net::ip::make_address("127.0.0.1"), port});
        net::write(socket, net::buffer(std::string_view("GET /idle HTTP/1.1\r\nHost: x\r\n\r\n")));
    }

    // Reads until the header and one heartbeat are in.
    void wait_heartbeat()
    {
        char buf[512];
        while (head.find("\r\n\r\n") == std::string::npos || head.find(":\n") == std::string::npos) {
            auto const n = socket.read_some(net::buffer(buf));
            head.append(buf, n);
        }
    }
};

} // namespace

TEST_CASE("heartbeat races: many streams ended from other threads, then the server stopped", "[heartbeat][threads]")
{
    constexpr int connections = 64;
    net::io_context ioc(threads);
    std::atomic<int> live{0};
    std::atomic<int> ends{0};
    sse::server_options options;
    options.shutdown_timeout = 2s;
    using handler_type = std::function<sse::response(sse::request&&)>;
    sse::server<handler_type> server(
        ioc,
        {net::ip::make_address("127.0.0.1"), 0},
        handler_type([&live, &ends](sse::request&& req) -> sse::response {
            sse::stream_options so;
            so.heartbeat = 1ms;
            sse::stream_response res{req, silent_source(live), so};
            res.on_end([&ends](sse::error_code) { ++ends; });
            return res;
        }),
        options
    );
    server.start();
    auto const port = server.local_endpoint().port();

    std::vector<std::thread> pool;
    for (int i = 0; i < threads; ++i)
        pool.emplace_back([&ioc] { ioc.run(); });

    // The clients: a context of their own, blocking calls from this thread
    // and two more.
    net::io_context client_ioc;
    std::vector<std::unique_ptr<idle_client>> clients;
    for (int i = 0; i < connections; ++i) {
        clients.push_back(std::make_unique<idle_client>(client_ioc));
        clients.back()->open(port);
    }
    for (auto& c : clients)
        c->wait_heartbeat();
    CHECK(server.connection_count() == connections);

    // Half leave at once, from two threads, while their heartbeats fall due.
    {
        std::thread a([&] {
            for (int i = 0; i < connections / 2; i += 2)
                clients[static_cast<std::size_t>(i)]->socket.close();
        });
        std::thread b([&] {
            for (int i = 1; i < connections / 2; i += 2)
                clients[static_cast<std::size_t>(i)]->socket.close();
        });
        a.join();
        b.join();
    }
    auto const until = std::chrono::steady_clock::now() + 20s;
    while (ends < connections / 2 && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(1ms);
    CHECK(ends == connections / 2);

    // The rest end with the server, still sending heartbeats as it stops.
    server.stop();
    for (auto& t : pool)
        t.join(); // run() returns: nothing of the server is left
    CHECK(ends == connections);
    CHECK(live == 0);
    CHECK(server.connection_count() == 0);
    CHECK(sse::detail::deadline_queue::of(ioc.get_executor()).size() == 0);
    // The ones left open saw their stream end cleanly: the last chunk.
    for (int i = connections / 2; i < connections; ++i) {
        auto& c = *clients[static_cast<std::size_t>(i)];
        std::string rest;
        char buf[512];
        boost::system::error_code ec;
        for (;;) {
            auto const n = c.socket.read_some(net::buffer(buf), ec);
            rest.append(buf, n);
            if (ec)
                break;
        }
        CHECK(rest.ends_with("0\r\n\r\n"));
    }
}
