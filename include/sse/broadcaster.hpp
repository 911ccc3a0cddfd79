//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_BROADCASTER_HPP
#define SSE_BROADCASTER_HPP

#include <sse/broadcast_backend.hpp>
#include <sse/detail/config.hpp>
#include <sse/error.hpp>
#include <sse/message.hpp>
#include <sse/request.hpp>
#include <sse/serialized.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/beast/http/message.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sse {

/// What a broadcaster does with a subscriber whose queue is full.
enum class slow_subscriber_policy {
    /// End its stream with `error::slow_subscriber`; a browser reconnects and
    /// resumes from the history with its `Last-Event-ID`.
    disconnect,

    /// Drop what it has queued, send a gap event (unless
    /// `broadcaster_options::gap_event` is empty), and go on with the newest
    /// events.
    skip_to_newest,
};

/** How a subscription resumes after the last event id a client gives.

    Either way the replay comes from the topic's history, and live events
    follow it with no gap and no duplicate at the seam.
*/
enum class resume_mode {
    /** The id is looked up among the ids the history holds: the events
        after it are replayed. An id the history does not hold (older than
        it, or unknown) gets a gap event, then the whole history. Ids are
        compared as strings. The default.
    */
    gap_then_history,

    /** Ids are the broadcaster's own decimal ones (1, 2, ... per topic, given
        by `publish`), and a decimal id K replays exactly the held events
        published after the event K, with no lookup:

        @li nothing when K is at or past the newest id (live events then
            follow whatever their ids: a K from before a restart holds
            nothing back);
        @li a gap event first only when events after K were already dropped
            from the history (K + 1 is older than the oldest held);
        @li K is compared as a number: `9` comes before `10`, `007` is 7, and
            a K too large for 64 bits is past every id (nothing is replayed).

        K is decimal when it is one or more ASCII digits and nothing else: `+7`,
        `-1`, ` 7`, `7.0` and the empty string are not. A K that is not
        decimal is handled as `gap_then_history` does: after that id when the
        history holds it, else a gap event and the whole history.

        An id set by the message itself (`message::id`) is kept as given and
        does not move the topic's counter: such an event counts as published
        between the broadcaster's ids around it, so it is replayed for a K
        when it was published after the event K. A client that resumes with
        such an id gets the events after it when the id is not decimal (it is
        looked up as `gap_then_history` does); a decimal one is read as a K
        of the broadcaster's own, whatever event carried it, so do not give
        events decimal ids of your own in this mode.
    */
    after_id,
};

/// The limits and choices of a broadcaster. Every field has a documented default.
struct broadcaster_options {
    /// Events kept per topic for resumption. Default: 1000.
    std::size_t history_count = 1000;

    /// Bytes kept per topic for resumption (the older events go first). Default: 8 MiB.
    std::size_t history_bytes = 8 * 1024 * 1024;

    /// Bytes queued for one subscriber and not yet taken by its stream. Default: 8 MiB.
    std::size_t max_subscriber_bytes = 8 * 1024 * 1024;

    /// What happens to a subscriber that reaches `max_subscriber_bytes`. Default: disconnect.
    slow_subscriber_policy slow_policy = slow_subscriber_policy::disconnect;

    /** The event type of the gap event, sent without an id when a subscriber
        missed events: its `Last-Event-ID` is older than the history or
        unknown (the data is that id), or it was skipped ahead (the data is
        the number of events dropped). Empty: no gap event is ever sent, in
        either resume mode or slow-subscriber policy. Default: `gap`.
    */
    std::string gap_event = "gap";

    /** How a subscription resumes after a last event id. Default:
        `resume_mode::gap_then_history`.

        To replay every held event after a decimal id K and nothing else,
        choose `resume_mode::after_id`, set `gap_event` empty, and pass K to
        `subscribe` only when it is decimal.
    */
    resume_mode resume = resume_mode::gap_then_history;

    /** A query parameter that may carry the last event id, for a first
        connection that cannot set headers (`/events?lastEventId=42`). The
        header wins when both are present. Default: none (off).
    */
    std::optional<std::string> last_event_id_param;

    /** How far `async_publish` may run ahead of the fan-out, in events;
        without a backend only. 0 (the default): it completes at once.

        With N > 0, `async_publish` completes once every event published
        before it with `async_publish`, but the N - 1 newest, has been
        handed out (on the same broadcaster, whatever the topic; two
        publishes made at once on two threads take their places in either
        order). An event is handed out once the sweep queue of every
        execution context its topic's subscribers last waited on (their
        last `async_next`) has taken the turns queued there before it: the
        subscribers it woke, those that had a turn coming, and the turns of
        other topics and broadcasters on that context. A subscriber that is
        not ready, because its socket is full or its write is on its way, is
        never waited for; a context that is not run holds back every
        publisher of the broadcaster until it is run or destroyed.

        A publisher that awaits each `async_publish` before publishing
        again then stays at most N events ahead of its subscribers: the
        latency of a delivery is bounded by a few passes over them, where an
        unbounded publisher would let events pile up. Small values trade
        throughput for latency (1,000 subscribers, one publish at a time:
        N = 4 kept under a third of the deliveries per second of no bound,
        at a half to two thirds of its p99; see the README's performance
        section).
    */
    std::size_t publish_ahead = 0;
};

namespace detail {
struct broadcast_topic;
struct broadcast_subscriber;
template <class... Result>
struct waiting_handler;
using next_waiter = waiting_handler<std::optional<serialized>>;
struct broadcast_registry;
struct publish_window;
class sweep_queue;
} // namespace detail

/** A live subscription to a topic: a `message_source` of `serialized` events.

    It yields first the history after the subscriber's last event id, then
    live events, in publication order, with no gap and no duplicate at the
    seam. Hand it to `stream_response` as it is. Destroying it unsubscribes.

    @par Thread Safety
    Distinct objects: Safe. Shared objects: Unsafe. Publishing may go on
    from any thread while the subscription is used.
*/
class subscription {
public:
    using value_type = serialized;

    subscription(subscription&&) noexcept = default;
    subscription& operator=(subscription&&) noexcept = default;
    ~subscription();

    /** Waits for the next event.

        Completes with the next queued event at once (posted to the
        handler's executor), or when one is published. Completes with
        `error::slow_subscriber` when the subscriber fell behind under the
        `disconnect` policy. Supports per-operation cancellation (all
        types): it completes with `net::error::operation_aborted`.

        @code void handler(error_code ec, std::optional<serialized> event) @endcode
    */
    template <net::completion_token_for<void(error_code, std::optional<serialized>)> CompletionToken>
    auto async_next(CompletionToken&& token);

    /** Waits until the subscription fails, while no `async_next` is
        waiting.

        Completes with `error::slow_subscriber` when the subscriber is
        dropped for falling behind (the `disconnect` policy), or with the
        backend's error when its replay failed; at once if it failed
        already. Supports per-operation cancellation (all types): it
        completes with `net::error::operation_aborted`. At most one wait
        may be outstanding.

        `stream_response` waits for this while its stream is held back by
        a slow peer and asks for no event: a subscriber dropped then ends
        its stream at once (HTTP/1.1: the connection is closed; HTTP/2:
        the stream is reset), rather than when the peer has read what is
        queued, which a peer that stopped reading never does.

        @code void handler(error_code ec) @endcode
    */
    template <net::completion_token_for<void(error_code)> CompletionToken>
    auto async_wait_failure(CompletionToken&& token);

    /** Whether the subscription can fail while it is not asked: under the
        `disconnect` policy, or with a backend (whose replay may fail).
        Under `skip_to_newest` alone it never fails, and a stream does not
        watch it.
    */
    bool reports_failure() const noexcept;

    /** Takes queued events without waiting: at least one if any is queued,
        then more while their total stays within `max_bytes`. Returns how
        many were appended to `out`. `stream_response` uses it to drain a
        backlog in one turn instead of one turn per event.
    */
    std::size_t try_take(std::vector<serialized>& out, std::size_t max_bytes);

    /// The number of events queued for this subscriber.
    std::size_t queued() const;

private:
    friend class broadcaster;
    explicit subscription(std::shared_ptr<detail::broadcast_subscriber> s) noexcept : sub_(std::move(s)) {}

public:
    /// An empty subscription (only to be assigned to, or destroyed).
    subscription() noexcept = default;

private:

    void start(detail::next_waiter handler, net::cancellation_slot slot);
    void wait_failure(detail::waiting_handler<> handler, net::cancellation_slot slot);

    std::shared_ptr<detail::broadcast_subscriber> sub_;
};

/** Named topics of events, fanned out to every subscriber, with resumption.

    `publish` serializes a message once; every subscriber's stream writes
    the same shared, immutable bytes. A message without an id gets the
    next decimal id of its topic (1, 2, ...). Each topic keeps a bounded
    history, so a client that reconnects with `Last-Event-ID` gets what it
    missed; each subscriber has a bounded queue, so a slow one never slows
    the others nor grows memory without bound.

    @par Example
    @code
    sse::broadcaster hub;
    // a handler:
    co_await sse::async_write(stream, sse::stream_response{req, hub.subscribe(req, "prices")}, net::use_awaitable);
    // anywhere, any thread:
    hub.publish("prices", sse::message{}.event("tick").data("1.0841"));
    @endcode

    @par Thread Safety
    Distinct objects: Safe. Shared objects: Safe: `publish` and `subscribe`
    may be called from any thread, on any executor, at once.
*/
class broadcaster {
public:
    /// Constructs a broadcaster whose topics live in the process.
    explicit broadcaster(broadcaster_options options = {});

    /** Constructs a broadcaster whose topics live in a backend, shared with
        every other broadcaster on the same backend (in this process or in
        others): see `broadcast_backend`.

        The backend orders the events and gives them their ids; it keeps the
        history (`history_count` bounds it, `history_bytes` is the in-process
        history's only), and a subscriber resumes from it on any instance.
        Publish with `async_publish`. `resume` does not apply: an id is
        looked up as the backend's order says, and one the backend no longer
        holds (or never held) gets the gap event, then what the backend holds
        after it.

        @param options The options.
        @param backend The backend; not null.
    */
    broadcaster(broadcaster_options options, std::shared_ptr<broadcast_backend> backend);

    broadcaster(broadcaster const&) = delete;
    broadcaster& operator=(broadcaster const&) = delete;

    /// Subscriptions keep their topics alive; they may outlive the broadcaster.
    ~broadcaster();

    /** Publishes a message to a topic, and returns its id.

        Serializes it once, appends it to the topic's history and queues it
        for every subscriber. Never waits for a subscriber.

        @throws std::logic_error when the broadcaster has a backend, which
        gives ids asynchronously: use `async_publish`.
    */
    template <class Allocator>
    std::string publish(std::string_view topic, basic_message<Allocator> const& msg);

    /// Publishes to the default topic (the empty name).
    template <class Allocator>
    std::string publish(basic_message<Allocator> const& msg)
    {
        return publish(std::string_view(), msg);
    }

    /** Publishes a message to a topic, and completes with its id.

        Without a backend, it is `publish`, completed by a post to the
        handler's executor: at once, or with `broadcaster_options::
        publish_ahead` set, once enough of the events published before it
        have been handed out. With a backend, the message is serialized
        once and appended to the backend, which gives it its id; every
        instance's subscribers get it once the backend delivers it back,
        this instance's included.

        The event is published when `async_publish` is called, whatever
        the token (`net::deferred` too), and its place against
        `publish_ahead` is taken then (a deferred operation launched twice
        gives both completions that place). While the completion waits for
        its turn it counts as work of its executor, as an I/O operation
        does (an executor that supports `outstanding_work.tracked`, as
        Asio's I/O executors and strands do). The wait supports
        per-operation cancellation (terminal and partial, not total: the
        event is published all the same). It then completes with
        `net::error::operation_aborted` and the event's id; the event still
        counts against the bound until it is handed out. A wait whose
        execution context is destroyed is destroyed with it, not run, and
        holds back no publish on another context.

        @par Errors
        @li `error::backend_unavailable`: the backend cannot be reached;
            the message was not published (or, when the connection was lost
            while it was on its way, it may have been).
        @li `error::backend_error`: the backend refused it.
        @li `error::id_not_allowed`: the message has an id of its own and
            the broadcaster has a backend.

        The handler is never invoked inside this function.

        @code void handler(error_code ec, std::string id) @endcode
    */
    template <class Allocator, net::completion_token_for<void(error_code, std::string)> CompletionToken>
    auto async_publish(std::string_view topic, basic_message<Allocator> const& msg, CompletionToken&& token);

    /** Subscribes to a topic.

        @param topic The topic.
        @param last_event_id The last event the client received: the
        subscription starts with every event after it that the history holds,
        preceded by a gap event when events were missed, as
        `broadcaster_options::resume` says (by default: when the id is older
        than the history or unknown). Without it, only live events.

        Without a backend, the subscription gets every event published once
        this returns. With one, it gets every event the backend appends
        once its topic is followed: a topic this instance did not follow yet
        is followed a moment later (a round trip to Redis). To be sure that
        nothing published after the subscription began is missed, use
        `async_subscribe`.
    */
    subscription subscribe(std::string_view topic, std::optional<std::string_view> last_event_id = std::nullopt);

    /** Subscribes to a topic, and completes once the subscription is live.

        As `subscribe`, but with a backend it completes only once the
        backend delivers every event appended from then on to the topic
        (for a topic new to this instance: once it knows where it reads the
        topic from). So an event published anywhere after the completion
        reaches the subscription. A backend still connecting (just after
        it was made) is waited for; while it is unreachable, the handler
        gets `error::backend_unavailable` with the subscription, which
        then has live events only once the backend is back (answer 503,
        as the reference server does, or keep it knowing that). Without a
        backend it is `subscribe`, completed by a post. Start the response
        once it completed, as the reference server does: a client that
        sees the headers then publishes elsewhere gets its own event.

        A subscription holds the backend, so like an Asio I/O object it
        must be destroyed before the execution context the backend runs
        on. A handler on another executor (another io_context, the system
        executor) that is handed one must have returned by then.

        The handler is never invoked inside this function.

        @code void handler(error_code ec, subscription sub) @endcode
    */
    template <net::completion_token_for<void(error_code, subscription)> CompletionToken>
    auto async_subscribe(std::string_view topic, std::optional<std::string_view> last_event_id, CompletionToken&& token);

    /** Subscribes to a topic, resuming from the request's `Last-Event-ID`
        (or the query parameter named in the options).

        The id is `last_event_id(request)`, or
        `last_event_id(request, *options().last_event_id_param)` when the
        options name a parameter: the header wins, and a query that is not
        well-formed gives no id.
    */
    template <class Body, class Fields>
    subscription subscribe(beast::http::request<Body, Fields> const& request, std::string_view topic = {});

    /// `async_subscribe`, resuming from the request's `Last-Event-ID` as `subscribe(request, topic)` does.
    template <class Body, class Fields, net::completion_token_for<void(error_code, subscription)> CompletionToken>
    auto async_subscribe(beast::http::request<Body, Fields> const& request, std::string_view topic, CompletionToken&& token);

    /// The number of subscribers of a topic.
    std::size_t subscriber_count(std::string_view topic) const;

    /// The number of topics held (with subscribers or history).
    std::size_t topic_count() const;

    /// The options.
    broadcaster_options const& options() const noexcept { return options_; }

    /// The backend, or null when topics live in the process.
    std::shared_ptr<broadcast_backend> const& backend() const noexcept { return backend_; }

private:
    std::shared_ptr<detail::broadcast_topic> find(std::string_view topic, bool create);

    // `publish`; `queues`, when given, gets the sweep queues of the
    // execution contexts the topic's subscribers wait on.
    template <class Allocator>
    std::string publish_waking(std::string_view topic, basic_message<Allocator> const& msg, std::vector<std::shared_ptr<detail::sweep_queue>>* queues);

    broadcaster_options options_;
    std::shared_ptr<broadcast_backend> backend_;
    std::shared_ptr<detail::broadcast_registry> registry_; // topics reach it weakly
    std::shared_ptr<detail::publish_window> window_;       // with publish_ahead
};

} // namespace sse

#include <sse/impl/broadcaster.hpp>

#endif
