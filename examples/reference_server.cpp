//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

//------------------------------------------------------------------------------
//
// Example: the reference server
//
// Every feature of the library in one program, and the fixed target that the
// conformance tests, real clients (browsers, curl, nghttp, Node's
// eventsource) and the benchmarks are pointed at. Its command line, routes
// and output are a contract, written down in reference-server.md; the routes:
//
//   GET  /stream?count=N&size=B&interval_ms=T&event=NAME
//            N numbered events (0: without end), one every T ms, each with
//            `id: i` and data "i:xxx..." of at least B bytes
//   GET  /messages             a fixed sequence that exercises the wire rules
//   GET  /last-event-id        one event: the request's Last-Event-ID, or "none"
//   GET  /subscribe?topic=T    the events published to T, without end,
//                              resuming after Last-Event-ID from the history
//   POST /publish?topic=T&event=NAME
//                              the body becomes one event of T; answers 202
//                              with its id (see --publish-ahead)
//   GET  /idle                 keep-alive comments only, without end
//   GET  /stats                {"open_streams", "live_producers", "disconnects"}
//   GET  /                     a page whose EventSource shows /stream live
//
// What it shows: one handler serves HTTP/1.1, HTTP/1.0 and HTTP/2 alike (it
// returns an sse::response), and sse::server does the rest: plain TCP tells
// HTTP/2 with prior knowledge (h2c) from HTTP/1.1 by the connection
// preface, TLS picks the protocol by ALPN, each connection has a strand;
// producers are coroutines that co_yield messages (or ready-made
// sse::serialized bytes) and never touch a socket, and each holds a guard
// that /stats counts, so a client that goes away visibly destroys its
// producer; one sse::broadcaster fans published events out, with history
// and Last-Event-ID resumption; SIGINT or SIGTERM ends every stream cleanly.
// With --redis HOST:PORT the broadcaster's topics live in Redis streams
// (sse::redis_backend), shared by every instance started with that Redis:
// ids are stream entry ids, /publish waits for Redis (503 while it is
// unreachable), and a subscriber resumes on any instance.
// Without it, /publish answers once at most N - 1 of the events published
// before it are still being handed out to the subscribers ready for them
// (--publish-ahead N, default 4; 0 answers at once): a publisher that waits
// for each answer stays a few events ahead of the fan-out rather than
// letting events pile up, and a slow subscriber is never waited for.
//
// Limits beyond the contract: /stream's size is at most 16 MiB, and a
// number too large for 64 bits is refused like any other bad number (400).
//
// Usage:
//     reference_server [--address 127.0.0.1] [--port 8080] [--threads 1]
//                      [--tls CERT.pem KEY.pem] [--keepalive-ms 15000]
//                      [--redis HOST:PORT] [--compress] [--publish-ahead 4]
//
// Try:
//     reference_server
//     curl -N 'http://127.0.0.1:8080/stream?count=5&interval_ms=500'
//     curl -N --http2-prior-knowledge http://127.0.0.1:8080/messages
//     curl -N 'http://127.0.0.1:8080/subscribe?topic=news'
//     curl -d 'hello' 'http://127.0.0.1:8080/publish?topic=news&event=note'
//     nghttp -m 100 -n -s 'http://127.0.0.1:8080/stream?count=100'
//     reference_server --redis 127.0.0.1:6379 --port 8081   (and again on 8082)
//     reference_server --compress
//     curl -N --compressed 'http://127.0.0.1:8080/stream?count=5&interval_ms=500'
//     open http://127.0.0.1:8080/ in a browser
//
//     openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1
//         -keyout key.pem -out cert.pem          (one line)
//     reference_server --tls cert.pem key.pem
//     curl -kN --http2 https://127.0.0.1:8080/messages
//
// Port 0 picks a free port. Once the server accepts connections it prints
// "listening on PORT" to stdout and nothing else; logs go to stderr.
// SIGINT or SIGTERM: the server stops accepting, ends every open stream
// cleanly (HTTP/1.1: the last chunk; HTTP/2: END_STREAM, then GOAWAY), closes
// idle connections and exits with status 0, all within 3 s.
//
//------------------------------------------------------------------------------

#include <sse/broadcaster.hpp>
#include <sse/query.hpp>
#include <sse/request.hpp>
#include <sse/json.hpp>
#include <sse/response.hpp>
#include <sse/serialized.hpp>
#include <sse/server.hpp>
#include <sse/sources/coro.hpp>
#include <sse/sources/pipe.hpp>
#include <sse/stream_response.hpp>

#ifdef SSE_HAS_REDIS
#include <sse/redis.hpp>
#endif

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/experimental/coro.hpp>
#include <boost/asio/experimental/use_coro.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using request = http::request<http::string_body>;
using namespace std::chrono_literals;

//------------------------------------------------------------------------------
// What /stats reports

struct counters {
    std::atomic<std::int64_t> open_streams{0};   // streams started and not yet ended
    std::atomic<std::int64_t> live_producers{0}; // producers not yet destroyed
    std::atomic<std::int64_t> disconnects{0};    // streams ended because the peer went away
};

// Counts a producer from its creation to its destruction. A coroutine
// producer takes one as a parameter, which lives in its frame: the count
// falls when the frame is destroyed, which is what /stats proves.
class producer_guard {
public:
    explicit producer_guard(counters& c) noexcept : counters_(&c) { ++c.live_producers; }
    producer_guard(producer_guard&& other) noexcept : counters_(std::exchange(other.counters_, nullptr)) {}
    producer_guard& operator=(producer_guard&&) = delete;
    ~producer_guard()
    {
        if (counters_)
            --counters_->live_producers;
    }

private:
    counters* counters_;
};

// Counts an event stream from the handler's answer until it ends. The
// stream_response's on_end function holds it: it goes when that function
// has been called, or with the response if the stream never started.
class stream_guard {
public:
    explicit stream_guard(counters& c) noexcept : counters_(c) { ++c.open_streams; }
    stream_guard(stream_guard const&) = delete;
    stream_guard& operator=(stream_guard const&) = delete;
    ~stream_guard() { --counters_.open_streams; }

private:
    counters& counters_;
};

//------------------------------------------------------------------------------
// Numbers

// A non-negative decimal integer: digits only, at least one, within 64 bits.
std::optional<std::uint64_t> to_number(std::string_view s)
{
    std::uint64_t n = 0;
    if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    auto const r = std::from_chars(s.data(), s.data() + s.size(), n);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size())
        return std::nullopt;
    return n;
}

//------------------------------------------------------------------------------
// Producers

using executor_type = net::any_io_executor;

// The parameters of GET /stream.
struct stream_params {
    std::uint64_t count = 0; // 0: without end
    std::size_t size = 0;
    std::chrono::milliseconds interval{0};
    std::optional<std::string> event;
};

// GET /stream: count events, the first at once, then one every interval (as
// fast as the client reads when it is zero). A push-style producer: each
// co_await out.async_send(msg) completes at once while the pipe has room,
// and the stream takes everything queued in one turn. One message is
// reused, so an event costs no allocation once warm. When the stream ends,
// the send (or the timer's wait) throws, and the coroutine is gone.
net::awaitable<void> numbered(sse::stream_writer out, producer_guard, stream_params p)
{
    auto const ex = co_await net::this_coro::executor;
    net::steady_timer timer(ex);
    auto next = std::chrono::steady_clock::now();
    // An interval of centuries waits as long as one of a year: the timer's
    // clock counts nanoseconds in 64 bits.
    auto const interval = std::min<std::chrono::milliseconds>(p.interval, std::chrono::hours(24 * 365));
    sse::message msg;
    std::string data;
    for (std::uint64_t i = 1; p.count == 0 || i <= p.count; ++i) {
        if (i > 1 && interval.count() > 0) {
            next += interval;
            timer.expires_at(next);
            co_await timer.async_wait(net::use_awaitable);
        }
        // "id: i", "event: NAME" when given, "data: i:xxx..." of max(size, len) bytes.
        char digits[24];
        auto const n = static_cast<std::size_t>(std::to_chars(digits, digits + sizeof digits, i).ptr - digits);
        std::string_view const id(digits, n);
        data.assign(id);
        data += ':';
        data.append(std::max(p.size, n + 1) - n - 1, 'x');
        msg.clear();
        msg.id(id);
        if (p.event)
            msg.event(*p.event);
        msg.data(data);
        co_await out.async_send(msg);
    }
}

// The text of the fifth message of /messages.
nlohmann::json messages_json()
{
    // "\u00fc \u2713" is "ü ✓".
    return nlohmann::json::parse(R"({"n":1,"s":"\u00fc \u2713","nested":{"a":[1,2]}})");
}

// u8 literals are UTF-8 whatever the compiler's execution character set.
std::string utf8(std::u8string_view s)
{
    return std::string(reinterpret_cast<char const*>(s.data()), s.size());
}

// GET /messages: the fixed sequence of the contract.
net::experimental::coro<sse::message> messages(executor_type, producer_guard)
{
    co_yield sse::message{}.comment("hello");
    co_yield sse::message{}.retry(1500ms);
    co_yield sse::message{}.id("1").event("greeting").data("Hello, world!");
    co_yield sse::message{}.data("line1\nline2\r\nline3\rline4");
    co_yield sse::message{}.event("json").json(messages_json());
    co_yield sse::message{}.data(" leading space");
    // "Привет, мир 👋"
    co_yield sse::message{}.data(utf8(u8"\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440 \U0001F44B"));
    co_yield sse::message{}.id("2").event("last").data("bye");
}

// A stream of one message.
net::experimental::coro<sse::message> just(executor_type, producer_guard, sse::message msg)
{
    co_yield std::move(msg);
}

// GET /idle: a source that never yields; the stream sends keep-alive
// comments meanwhile. Not a coroutine: an idle stream keeps no frame and no
// timer, only the pending async_next, parked in the cancellation slot that
// the stream emits on when it ends (which completes it, aborted).
class idle_source {
public:
    using value_type = sse::serialized;

    explicit idle_source(producer_guard guard) noexcept : guard_(std::move(guard)) {}

    template <net::completion_token_for<void(sse::error_code, std::optional<sse::serialized>)> Token>
    auto async_next(Token&& token)
    {
        return net::async_initiate<Token, void(sse::error_code, std::optional<sse::serialized>)>(
            [](auto handler) {
                auto slot = net::get_associated_cancellation_slot(handler);
                // Without a slot nothing could end the wait: the request is dropped.
                if (slot.is_connected())
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

    producer_guard guard_;
};

// GET /subscribe: a broadcaster subscription, counted in /stats as a
// producer. The broadcaster does the resumption (see routes::routes).
class subscriber {
public:
    using value_type = sse::serialized;

    subscriber(sse::subscription sub, producer_guard guard) : guard_(std::move(guard)), subscription_(std::move(sub)) {}

    template <net::completion_token_for<void(sse::error_code, std::optional<sse::serialized>)> Token>
    auto async_next(Token&& token)
    {
        return subscription_.async_next(std::forward<Token>(token));
    }

    // Lets the stream take a backlog in one turn (see subscription::try_take).
    std::size_t try_take(std::vector<sse::serialized>& out, std::size_t max_bytes)
    {
        return subscription_.try_take(out, max_bytes);
    }

    // Lets a stream held back by a slow client end at once when the
    // subscriber is dropped (see subscription::async_wait_failure).
    template <net::completion_token_for<void(sse::error_code)> Token>
    auto async_wait_failure(Token&& token)
    {
        return subscription_.async_wait_failure(std::forward<Token>(token));
    }

private:
    producer_guard guard_; // destroyed last
    sse::subscription subscription_;
};

//------------------------------------------------------------------------------
// The routes: one handler for HTTP/1.x and HTTP/2

// The page at GET /: an EventSource on /stream, shown as it arrives.
constexpr std::string_view page = R"html(<!doctype html>
<html><head><meta charset="utf-8"><title>reference server</title>
<style>body { font: 15px sans-serif; max-width: 40em; margin: 2em auto; } #log { font-family: monospace; }</style>
</head><body>
<h1>reference server</h1>
<p>EventSource on <code id="url"></code>: <span id="status">connecting...</span></p>
<ol id="log"></ol>
<script>
const url = new URLSearchParams(location.search).get('url') || '/stream?count=10&interval_ms=500';
document.getElementById('url').textContent = url;
const log = document.getElementById('log'), status = document.getElementById('status');
const source = new EventSource(url);
source.onopen = () => { status.textContent = 'open'; };
source.onerror = () => { status.textContent = 'reconnecting...'; };
source.onmessage = (e) => {
  const li = document.createElement('li');
  li.textContent = `id ${e.lastEventId}: ${e.data}`;
  log.append(li);
};
</script></body></html>
)html";

class routes {
public:
    // `backend`: null, or where the topics live (Redis). `publish_ahead`:
    // without a backend, how many events /publish lets run ahead of the
    // fan-out (0: no bound).
    routes(counters& stats, std::chrono::milliseconds keep_alive, bool compress,
           std::shared_ptr<sse::broadcast_backend> backend, std::size_t publish_ahead)
        : stats_(stats)
        , keep_alive_(keep_alive)
        , compress_(compress)
    {
        sse::broadcaster_options o;
        // At least the last 1000 events of each topic, however large: the
        // history is bounded by count, not by bytes.
        o.history_count = 1000;
        o.history_bytes = std::numeric_limits<std::size_t>::max();
        o.max_subscriber_bytes = 8 * 1024 * 1024;
        o.slow_policy = sse::slow_subscriber_policy::disconnect;
        if (backend) {
            // Ids are Redis's: Last-Event-ID: K replays what Redis holds
            // after K, and a gap event says when some of it is gone.
            hub_.emplace(std::move(o), std::move(backend));
            return;
        }
        // Last-Event-ID: K replays exactly the held events after K, and
        // nothing else: no gap events.
        o.resume = sse::resume_mode::after_id;
        o.gap_event = "";
        o.publish_ahead = publish_ahead;
        hub_.emplace(std::move(o));
    }

    // Answers one request where publishing and subscribing wait: for the
    // backend (a subscription is live, the backend following its topic,
    // before its headers are sent, and /publish answers with Redis's id),
    // or for the fan-out (/publish with --publish-ahead).
    net::awaitable<sse::response> async_answer(request req)
    {
        auto const ex = co_await net::this_coro::executor;
        std::string_view const target(req.target().data(), req.target().size());
        std::string_view const path = target.substr(0, target.find('?'));
        bool const publishing = req.method() == http::verb::post && path == "/publish";
        bool const subscribing = req.method() == http::verb::get && path == "/subscribe";
        bool const waits = publishing ? hub_->backend() || hub_->options().publish_ahead != 0
                                      : subscribing && hub_->backend();
        if (!waits)
            co_return (*this)(std::move(req), ex);
        auto const q = sse::parse_query(target);
        if (!q)
            co_return plain(req, http::status::bad_request, "bad percent-encoding in the query\n");
        if (subscribing) {
            std::string const topic(q->get("topic").value_or(""));
            auto [ec, sub] = co_await hub_->async_subscribe(topic, sse::last_event_id(req), net::as_tuple(net::use_awaitable));
            if (ec)
                co_return plain(req, http::status::service_unavailable, "not subscribed: " + ec.message() + '\n');
            co_return events(req, subscriber(std::move(sub), producer_guard(stats_)));
        }
        auto msg = publish_message(req, *q);
        if (!msg)
            co_return std::move(msg.error());
        std::string const topic(q->get("topic").value_or(""));
        auto [ec, id] = co_await hub_->async_publish(topic, *msg, net::as_tuple(net::use_awaitable));
        if (ec == sse::error::backend_unavailable) {
            auto res = plain(req, http::status::service_unavailable, "not published: " + ec.message() + '\n');
            res.set(http::field::retry_after, "1");
            co_return res;
        }
        if (ec)
            co_return plain(req, http::status::internal_server_error, "not published: " + ec.message() + '\n');
        co_return sse::make_response(req, http::status::accepted, std::move(id), "text/plain; charset=utf-8");
    }

    // Answers one request. It runs on the connection's strand, `ex`, which
    // the producers use too.
    sse::response operator()(request&& req, executor_type const& ex)
    {
        std::string_view const target(req.target().data(), req.target().size());
        std::string_view const path = target.substr(0, target.find('?'));
        auto const method = req.method();

        struct route {
            std::string_view path;
            http::verb method;
        };
        static constexpr route known[] = {
            {"/stream", http::verb::get},
            {"/messages", http::verb::get},
            {"/last-event-id", http::verb::get},
            {"/subscribe", http::verb::get},
            {"/publish", http::verb::post},
            {"/idle", http::verb::get},
            {"/stats", http::verb::get},
            {"/", http::verb::get},
        };
        auto const it = std::find_if(std::begin(known), std::end(known), [&](route const& r) { return r.path == path; });
        if (it == std::end(known))
            return plain(req, http::status::not_found, "not found\n");
        if (method != it->method) {
            auto res = plain(req, http::status::method_not_allowed, "method not allowed\n");
            res.set(http::field::allow, it->method == http::verb::get ? "GET" : "POST");
            return res;
        }
        auto const q = sse::parse_query(target);
        if (!q)
            return plain(req, http::status::bad_request, "bad percent-encoding in the query\n");

        if (path == "/stream")
            return stream(req, *q, ex);
        if (path == "/messages")
            return events(req, messages(ex, producer_guard(stats_)));
        if (path == "/last-event-id")
            return last_event_id(req, ex);
        if (path == "/subscribe")
            return subscribe(req, *q);
        if (path == "/publish")
            return publish(req, *q);
        if (path == "/idle")
            return events(req, idle_source(producer_guard(stats_)));
        if (path == "/stats")
            return stats(req);
        return sse::make_response(req, http::status::ok, std::string(page), "text/html; charset=utf-8");
    }

private:
    static http::response<http::string_body> plain(request const& req, http::status status, std::string body)
    {
        return sse::make_response(req, status, std::move(body), "text/plain; charset=utf-8");
    }

    // An event-stream answer: the contract's options, and counted in /stats.
    template <class Source>
    sse::response events(request const& req, Source&& source)
    {
        sse::stream_options options;
        options.heartbeat = keep_alive_;
        options.compression.enabled = compress_; // br or gzip when the client accepts one
        sse::stream_response res{req, std::forward<Source>(source), options};
        res.on_end([this, guard = std::make_shared<stream_guard>(stats_)](sse::error_code ec) {
            if (ec == sse::error::peer_gone)
                ++stats_.disconnects;
        });
        return res;
    }

    sse::response stream(request const& req, sse::query_params const& q, executor_type const& ex)
    {
        stream_params p;
        for (auto const* name : {"count", "size", "interval_ms"}) {
            auto const value = q.get(name);
            if (!value)
                continue;
            auto const n = to_number(*value);
            if (!n)
                return plain(req, http::status::bad_request, std::string(name) + ": not a non-negative integer\n");
            if (std::string_view(name) == "count")
                p.count = *n;
            else if (std::string_view(name) == "size") {
                if (*n > max_stream_size)
                    return plain(req, http::status::bad_request, "size: at most 16777216\n");
                p.size = static_cast<std::size_t>(*n);
            } else {
                p.interval = std::chrono::milliseconds(std::min<std::uint64_t>(*n, std::numeric_limits<std::int64_t>::max()));
            }
        }
        if (auto event = q.get("event")) {
            sse::error_code ec;
            sse::message check;
            check.event(*event, ec);
            if (ec)
                return plain(req, http::status::bad_request, "event: " + ec.message() + '\n');
            p.event = std::string(*event);
        }
        // The producer runs on the connection's strand, `ex`.
        auto producer = [guard = producer_guard(stats_), p = std::move(p)](sse::stream_writer out) mutable {
            return numbered(std::move(out), std::move(guard), std::move(p));
        };
        return events(req, sse::spawn_writer(ex, std::move(producer)));
    }

    sse::response last_event_id(request const& req, executor_type const& ex)
    {
        auto const it = req.find("Last-Event-ID");
        sse::message msg;
        sse::error_code ec;
        msg.data(it == req.end() ? std::string_view("none") : std::string_view(it->value().data(), it->value().size()), ec);
        if (ec)
            return plain(req, http::status::bad_request, "Last-Event-ID: " + ec.message() + '\n');
        return events(req, just(ex, producer_guard(stats_), std::move(msg)));
    }

    sse::response subscribe(request const& req, sse::query_params const& q)
    {
        std::string const topic(q.get("topic").value_or(""));
        // Last-Event-ID: K resumes when K is decimal (an entry id with
        // Redis); anything else is ignored.
        auto last = sse::last_event_id(req);
        if (last && !hub_->backend() &&
            (last->empty() || !std::all_of(last->begin(), last->end(), [](char c) { return c >= '0' && c <= '9'; })))
            last.reset();
        // Subscribed here, before the handler returns: the subscription is
        // live before the response's headers are written.
        return events(req, subscriber(hub_->subscribe(topic, last), producer_guard(stats_)));
    }

    // The event POST /publish asks for, or the answer that refuses it.
    struct publish_request {
        std::optional<sse::message> msg;
        http::response<http::string_body> refusal;

        explicit operator bool() const noexcept { return msg.has_value(); }
        sse::message const& operator*() const { return *msg; }
        http::response<http::string_body>& error() { return refusal; }
    };

    static publish_request publish_message(request const& req, sse::query_params const& q)
    {
        publish_request r;
        sse::message msg;
        sse::error_code ec;
        if (auto const event = q.get("event")) {
            msg.event(*event, ec);
            if (ec) {
                r.refusal = plain(req, http::status::bad_request, "event: " + ec.message() + '\n');
                return r;
            }
        }
        msg.data(req.body(), ec);
        if (ec) {
            r.refusal = plain(req, http::status::bad_request, "body: " + ec.message() + '\n');
            return r;
        }
        r.msg.emplace(std::move(msg));
        return r;
    }

    sse::response publish(request const& req, sse::query_params const& q)
    {
        auto msg = publish_message(req, q);
        if (!msg)
            return std::move(msg.error());
        std::string const topic(q.get("topic").value_or(""));
        // Never waits for a subscriber: a slow one is disconnected instead.
        std::string id = hub_->publish(topic, *msg);
        return sse::make_response(req, http::status::accepted, std::move(id), "text/plain; charset=utf-8");
    }

    http::response<http::string_body> stats(request const& req)
    {
        nlohmann::json const j = {
            {"open_streams", stats_.open_streams.load()},
            {"live_producers", stats_.live_producers.load()},
            {"disconnects", stats_.disconnects.load()},
        };
        auto res = sse::make_response(req, http::status::ok, j.dump(), "application/json");
        res.set(http::field::cache_control, "no-store");
        return res;
    }

    static constexpr std::uint64_t max_stream_size = 16 * 1024 * 1024;

    counters& stats_;
    std::chrono::milliseconds keep_alive_;
    bool compress_;
    std::optional<sse::broadcaster> hub_;
};

//------------------------------------------------------------------------------

constexpr char const* usage = "usage: reference_server [--address A] [--port N] [--threads N]\n"
                              "                        [--tls CERT.pem KEY.pem] [--keepalive-ms N]\n"
                              "                        [--redis HOST:PORT] [--compress] [--publish-ahead N]\n";

// Serves until SIGINT or SIGTERM; `handler` answers each request.
template <class Handler>
void serve(
    net::io_context& ioc,
    unsigned threads,
    tcp::endpoint endpoint,
    ssl::context* tls,
    Handler handler,
    std::function<void()> on_stop
)
{
    sse::server_options options; // max_body_size 1 MiB: 413, and the connection closes
    options.shutdown_timeout = 2s; // then what is left is cut off: the process exits within 3 s
    options.on_handler_exception = [](std::exception_ptr e) {
        try {
            std::rethrow_exception(e);
        } catch (std::exception const& ex) {
            std::clog << "handler: " << ex.what() << '\n';
        } catch (...) {
            std::clog << "handler: unknown exception\n";
        }
    };
    options.on_connection_error = [](sse::error_code ec, std::string_view where) {
        std::clog << where << ": " << ec.message() << '\n';
    };

    sse::server server(tcp::acceptor(ioc, endpoint), tls, std::move(handler), std::move(options));
    server.stop_on_signals();
    // What else keeps the io_context busy ends on the same signals.
    net::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](sse::error_code ec, int) {
        if (!ec && on_stop)
            on_stop();
    });
    server.start();
    std::cout << "listening on " << server.local_endpoint().port() << std::endl;

    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i)
        pool.emplace_back([&ioc] { ioc.run(); });
    ioc.run();
    for (auto& t : pool)
        t.join();
}

int main(int argc, char* argv[])
{
    std::string address = "127.0.0.1";
    unsigned short port = 8080;
    unsigned threads = 1;
    std::optional<std::pair<std::string, std::string>> tls_files;
    std::chrono::milliseconds keep_alive = 15s;
    bool compress = false;
    std::optional<std::pair<std::string, unsigned short>> redis_at;
    std::size_t publish_ahead = 4;
    try {
        auto const number = [](std::string const& name, char const* value, std::uint64_t max) {
            auto const n = to_number(value);
            if (!n || *n > max)
                throw std::invalid_argument("bad value for " + name + ": " + value);
            return *n;
        };
        for (int i = 1; i < argc; ++i) {
            std::string const name = argv[i];
            if (name == "--compress") {
                compress = true;
                continue;
            }
            int const values = name == "--tls" ? 2 : 1;
            if (i + values >= argc)
                throw std::invalid_argument("no value after " + name);
            if (name == "--address")
                address = argv[i + 1];
            else if (name == "--port")
                port = static_cast<unsigned short>(number(name, argv[i + 1], 65535));
            else if (name == "--threads")
                threads = static_cast<unsigned>(std::max<std::uint64_t>(1, number(name, argv[i + 1], 256)));
            else if (name == "--keepalive-ms")
                keep_alive = std::chrono::milliseconds(number(name, argv[i + 1], 24ull * 3600 * 1000));
            else if (name == "--tls")
                tls_files.emplace(argv[i + 1], argv[i + 2]);
            else if (name == "--publish-ahead")
                publish_ahead = static_cast<std::size_t>(number(name, argv[i + 1], 1'000'000));
            else if (name == "--redis") {
                std::string const at = argv[i + 1];
                auto const colon = at.rfind(':');
                if (colon == std::string::npos || colon == 0)
                    throw std::invalid_argument("bad value for --redis (HOST:PORT): " + at);
                auto const p = number(name, at.c_str() + colon + 1, 65535);
                redis_at.emplace(at.substr(0, colon), static_cast<unsigned short>(p));
            }
            else
                throw std::invalid_argument("unknown option " + name);
            i += values;
        }
    } catch (std::exception const& e) {
        std::cerr << "reference_server: " << e.what() << '\n' << usage;
        return 2;
    }

    try {
        net::io_context ioc(static_cast<int>(threads));
        std::shared_ptr<sse::broadcast_backend> backend;
        std::function<void()> on_stop;
        if (redis_at) {
#ifdef SSE_HAS_REDIS
            sse::redis_options ro;
            ro.host = redis_at->first;
            ro.port = redis_at->second;
            ro.on_error = [](sse::error_code ec, std::string_view what) {
                std::clog << "redis: " << ec.message() << ": " << what << '\n';
            };
            auto redis = std::make_shared<sse::redis_backend>(ioc.get_executor(), std::move(ro));
            on_stop = [redis] { redis->close(); };
            backend = std::move(redis);
#else
            std::cerr << "reference_server: built without Redis support (hiredis was not found)\n";
            return 2;
#endif
        }

        counters stats;
        routes r(stats, keep_alive, compress, backend, publish_ahead);

        std::optional<ssl::context> tls;
        if (tls_files) {
            tls.emplace(ssl::context::tls_server);
            tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3);
            tls->use_certificate_chain_file(tls_files->first);
            tls->use_private_key_file(tls_files->second, ssl::context::pem);
        }

        tcp::endpoint const endpoint(net::ip::make_address(address), port);
        if (backend || publish_ahead != 0) {
            // Publishing waits for Redis or for the fan-out: the handler is
            // a coroutine.
            auto handler = [&r](request&& req) { return r.async_answer(std::move(req)); };
            serve(ioc, threads, endpoint, tls ? &*tls : nullptr, handler, on_stop);
        } else {
            auto handler = [&r](request&& req, executor_type const& ex) { return r(std::move(req), ex); };
            serve(ioc, threads, endpoint, tls ? &*tls : nullptr, handler, on_stop);
        }
        std::clog << "stopped\n";
        return 0;
    } catch (std::exception const& e) {
        std::cerr << "reference_server: " << e.what() << '\n';
        return 1;
    }
}
