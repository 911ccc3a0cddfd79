//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_TEST_FAIL_INJECTION_HPP
#define SSE_TEST_FAIL_INJECTION_HPP

// What the failure-injection tests (integration/fail_count*.cpp) share: a
// source that counts its lifetime, an allocator that counts its bytes,
// Beast's test stream with reads that honour cancellation, the server's
// side of a connection over it with what a test observes of the
// operation, and a watchdog.

#include <sse/detail/config.hpp>
#include <sse/error.hpp>
#include <sse/message.hpp>
#include <sse/message_source.hpp>
#include <sse/parser.hpp>
#include <sse/sources/range.hpp>
#include <sse/stream_options.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/_experimental/test/error.hpp>
#include <boost/beast/_experimental/test/fail_count.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "catch.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace sse::test::fail_injection {

namespace net = boost::asio;
namespace beast = boost::beast;
using sse::error_code;

// A bound on N and k: far more than any operation here needs.
constexpr std::size_t max_steps = 2000;

// ------------------------------------------------------------ lifetimes

// How many objects of a kind are alive.
struct lifetimes {
    int live = 0;
};

// A source that counts its live objects, so that a test sees when the
// producer is destroyed. It forwards to the source it wraps.
template <class Inner>
class counted_source {
public:
    using value_type = typename Inner::value_type;

    counted_source(Inner inner, lifetimes& l) : inner_(std::move(inner)), lifetimes_(&l) { ++lifetimes_->live; }

    counted_source(counted_source&& other) : inner_(std::move(other.inner_)), lifetimes_(other.lifetimes_)
    {
        ++lifetimes_->live;
    }

    counted_source& operator=(counted_source&&) = delete;

    ~counted_source() { --lifetimes_->live; }

    template <class Token>
    auto async_next(Token&& token)
    {
        return inner_.async_next(std::forward<Token>(token));
    }

private:
    Inner inner_;
    lifetimes* lifetimes_;
};

// Held by a request handler: counts the handler's live copies.
class lifetime_token {
public:
    explicit lifetime_token(lifetimes& l) : lifetimes_(&l) { ++lifetimes_->live; }
    lifetime_token(lifetime_token const& other) : lifetimes_(other.lifetimes_) { ++lifetimes_->live; }
    lifetime_token& operator=(lifetime_token const&) = delete;
    ~lifetime_token() { --lifetimes_->live; }

private:
    lifetimes* lifetimes_;
};

// ------------------------------------------------------------ memory

// The bytes taken from a completion handler's allocator and not given back.
struct heap_usage {
    std::size_t live = 0;
    std::size_t allocations = 0;
};

// An allocator that counts what it hands out: bound to the completion
// handler, it is what the operation allocates itself with.
template <class T>
struct counting_allocator {
    using value_type = T;

    heap_usage* usage;

    explicit counting_allocator(heap_usage& u) noexcept : usage(&u) {}

    template <class U>
    counting_allocator(counting_allocator<U> const& other) noexcept : usage(other.usage)
    {
    }

    T* allocate(std::size_t n)
    {
        usage->live += n * sizeof(T);
        ++usage->allocations;
        return std::allocator<T>().allocate(n);
    }

    void deallocate(T* p, std::size_t n) noexcept
    {
        usage->live -= n * sizeof(T);
        std::allocator<T>().deallocate(p, n);
    }

    template <class U>
    bool operator==(counting_allocator<U> const& other) const noexcept
    {
        return usage == other.usage;
    }
};

// ------------------------------------------------------------ the stream

// Beast's test stream with reads that honour per-operation cancellation,
// as a socket's do. Beast's test stream (1.81 to 1.90) leaves a read's
// cancellation slot alone: a read it holds ends only when the peer writes
// or closes. An HTTP/1.1 event stream ends by cancelling the read that
// watches the peer, and both async_serve operations stop a waiting read
// the same way, so over the bare test stream none could end before the
// client did.
//
// Reads go to the test stream, into a buffer of this adapter's; a
// cancelled read completes at once with operation_aborted while the test
// stream's read stays pending, and the bytes it brings are kept for the
// next read. Failures the test stream injects reach the read that is
// waiting, or the next one. Writes go straight to the test stream.
class cancellable_stream {
public:
    using executor_type = beast::test::stream::executor_type;

    explicit cancellable_stream(beast::test::stream& next) : state_(std::make_shared<state>(next)) {}

    executor_type get_executor() noexcept { return state_->next.get_executor(); }

    template <class MutableBufferSequence, class ReadToken>
    auto async_read_some(MutableBufferSequence const& buffers, ReadToken&& token)
    {
        return net::async_initiate<ReadToken, void(error_code, std::size_t)>(
            [st = state_](auto handler, MutableBufferSequence const& b) { st->start_read(std::move(handler), b); },
            token,
            buffers
        );
    }

    template <class ConstBufferSequence, class WriteToken>
    auto async_write_some(ConstBufferSequence const& buffers, WriteToken&& token)
    {
        return state_->next.async_write_some(buffers, std::forward<WriteToken>(token));
    }

private:
    // A read waiting for bytes: its handler, type-erased.
    struct pending_read {
        virtual ~pending_read() = default;
        virtual net::cancellation_slot slot() const noexcept = 0;
        // Completes the read as if by post.
        virtual void complete(executor_type const& ex, error_code ec, std::size_t n) = 0;
    };

    template <class Handler>
    struct pending_read_of final : pending_read {
        explicit pending_read_of(Handler h) : handler(std::move(h)) {}

        net::cancellation_slot slot() const noexcept override
        {
            return net::get_associated_cancellation_slot(handler, net::cancellation_slot());
        }

        void complete(executor_type const& ex, error_code ec, std::size_t n) override
        {
            net::post(ex, beast::bind_front_handler(std::move(handler), ec, n));
        }

        Handler handler;
    };

    struct state : std::enable_shared_from_this<state> {
        explicit state(beast::test::stream& s) : next(s) {}

        beast::test::stream& next;
        beast::flat_buffer received; // read from the test stream, not yet delivered
        error_code failure;          // the test stream's read failed: for the next read
        bool next_reading = false;   // a read of the test stream is pending
        std::vector<net::mutable_buffer> buffers;
        std::unique_ptr<pending_read> waiting;

        template <class Handler, class MutableBufferSequence>
        void start_read(Handler handler, MutableBufferSequence const& b)
        {
            if (waiting)
                throw std::logic_error("cancellable_stream: one read at a time");
            buffers.assign(net::buffer_sequence_begin(b), net::buffer_sequence_end(b));
            waiting = std::make_unique<pending_read_of<Handler>>(std::move(handler));
            if (received.size() != 0 || failure || net::buffer_size(buffers) == 0)
                return deliver();
            auto slot = waiting->slot();
            if (slot.is_connected()) {
                slot.assign([w = this->weak_from_this()](net::cancellation_type) {
                    if (auto const st = w.lock(); st && st->waiting)
                        st->complete(net::error::operation_aborted, 0, true);
                });
            }
            if (!next_reading)
                read_next();
        }

        void read_next()
        {
            next_reading = true;
            next.async_read_some(received.prepare(4096), [st = this->shared_from_this()](error_code ec, std::size_t n) {
                st->next_reading = false;
                st->received.commit(n);
                if (ec)
                    st->failure = ec;
                if (st->waiting)
                    st->deliver();
            });
        }

        void deliver()
        {
            if (received.size() != 0 || net::buffer_size(buffers) == 0) {
                std::size_t const n = net::buffer_copy(buffers, received.data());
                received.consume(n);
                return complete({}, n);
            }
            complete(std::exchange(failure, {}), 0);
        }

        // Completes the waiting read. Its cancellation handler is removed,
        // unless it is the caller: the next read replaces it.
        void complete(error_code ec, std::size_t n, bool cancelled = false)
        {
            auto read = std::move(waiting);
            if (auto slot = read->slot(); slot.is_connected() && !cancelled)
                slot.clear();
            read->complete(next.get_executor(), ec, n);
        }
    };

    std::shared_ptr<state> state_;
};

// ------------------------------------------------------------ the answers

// The event stream both tests serve: a retry, then three messages.
std::chrono::milliseconds const reconnect_time{2500};

inline std::vector<sse::message> messages()
{
    return {
        sse::message{}.id(1).data("one"),
        sse::message{}.id(2).event("tick").data("two\nlines"),
        sse::message{}.id(3).data("three"),
    };
}

inline std::vector<sse::event> const all_events = {
    {"message", "one", "1"},
    {"tick", "two\nlines", "2"},
    {"message", "three", "3"},
};

// With a retry, the first write carries a payload along with the head.
inline sse::stream_options stream_options()
{
    sse::stream_options o;
    o.retry = reconnect_time;
    return o;
}

// The whole body of the event stream (de-chunked, over HTTP/1.1).
inline std::string const& full_payload()
{
    static std::string const payload = [] {
        std::string s = sse::to_string(sse::message{}.retry(reconnect_time));
        for (auto const& m : messages())
            s += sse::to_string(m);
        return s;
    }();
    return payload;
}

// Whether the first `size` bytes of the body are whole messages.
inline bool ends_a_message(std::size_t size)
{
    std::size_t end = sse::to_string(sse::message{}.retry(reconnect_time)).size();
    if (size == end)
        return true;
    for (auto const& m : messages()) {
        end += sse::to_string(m).size();
        if (size == end)
            return true;
    }
    return false;
}

inline auto make_stream_source(lifetimes& sources)
{
    return counted_source{sse::as_source(messages()), sources};
}

// ------------------------------------------------------------ a connection

// The server's end of a test stream pair (failing as a fail_count says,
// when given one), the client's end, and what a test observes of the
// operation. Each test adds its client.
struct connection_base {
    net::io_context ioc;
    beast::test::stream server;
    beast::test::stream client;
    cancellable_stream stream{server};
    beast::flat_buffer buffer;

    lifetimes sources;
    lifetimes handlers;
    heap_usage heap;
    int completions = 0;
    error_code result;
    bool source_alive_at_completion = false;
    bool handler_alive_at_completion = false;
    int streams_made = 0;

    // io_size, when not zero, caps every read and write of the server's
    // end: what the client sends arrives in pieces, and a write is cut in
    // pieces.
    connection_base(beast::test::fail_count* fc, std::size_t io_size)
        : server(fc ? beast::test::stream(ioc, *fc) : beast::test::stream(ioc))
        , client(ioc)
    {
        server.connect(client);
        if (io_size != 0) {
            server.read_size(io_size);
            server.write_size(io_size);
        }
    }

    connection_base(connection_base const&) = delete;
    connection_base& operator=(connection_base const&) = delete;

    // A plain callback on the io_context, with a counting allocator. It
    // closes the connection, as a caller does when the operation is over.
    auto completion()
    {
        return net::bind_executor(
            ioc,
            net::bind_allocator(counting_allocator<char>(heap), [this](error_code ec) {
                ++completions;
                result = ec;
                source_alive_at_completion = sources.live != 0;
                handler_alive_at_completion = handlers.live != 0;
                server.close();
            })
        );
    }

    // Whether the fail_count's failure was reached: the N-th call fails
    // (the first when N is 0), and every call after it.
    bool failure_reached(std::size_t n) const
    {
        return server.nread() + server.nwrite() >= std::max<std::size_t>(n, 1);
    }

    // Runs up to k handlers; returns whether the operation completed meanwhile.
    bool run_turns(std::size_t k)
    {
        for (std::size_t i = 0; i < k && completions == 0; ++i) {
            if (ioc.run_one() == 0)
                break;
        }
        return completions != 0;
    }

    // The operation completed once, having given back what it held: its
    // sources and request handler were destroyed before the completion
    // handler ran (a caller may free what they refer to once it runs).
    void check_ended_cleanly()
    {
        ioc.run(); // returns: the operation holds no work
        REQUIRE(completions == 1);
        CHECK_FALSE(source_alive_at_completion);
        CHECK_FALSE(handler_alive_at_completion);
        CHECK(sources.live == 0);
        CHECK(handlers.live == 0);
        CHECK(heap.allocations != 0); // the operation allocated from the handler's allocator
        CHECK(heap.live == 0);
    }
};

// How an iteration is named when it hangs.
inline std::string label(char const* what, std::size_t step, std::size_t io_size)
{
    return std::string(what) + ", step " + std::to_string(step) + ", io_size " + std::to_string(io_size);
}

inline char const* name_of(net::cancellation_type type)
{
    switch (type) {
    case net::cancellation_type::terminal: return "terminal";
    case net::cancellation_type::partial: return "partial";
    case net::cancellation_type::total: return "total";
    default: return "?";
    }
}

// ------------------------------------------------------------ the watchdog

// Aborts the program, naming the iteration, if it lasts too long: an
// operation that never completes, or keeps work after completing, makes
// io_context::run hang, and a hang should say where it is.
class watchdog {
public:
    explicit watchdog(std::string what)
        : what_(std::move(what))
        , thread_([this] {
            std::unique_lock lock(m_);
            if (!cv_.wait_for(lock, std::chrono::seconds(30), [&] { return done_; })) {
                std::fprintf(stderr, "hang: %s\n", what_.c_str());
                std::abort();
            }
        })
    {
    }

    watchdog(watchdog const&) = delete;
    watchdog& operator=(watchdog const&) = delete;

    ~watchdog()
    {
        {
            std::lock_guard lock(m_);
            done_ = true;
        }
        cv_.notify_one();
        thread_.join();
    }

private:
    std::string what_;
    std::mutex m_;
    std::condition_variable cv_;
    bool done_ = false;
    std::thread thread_;
};

} // namespace sse::test::fail_injection

#endif
