//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_BROADCAST_BACKEND_HPP
#define SSE_BROADCAST_BACKEND_HPP

#include <sse/detail/config.hpp>
#include <sse/error.hpp>
#include <sse/serialized.hpp>

#include <boost/asio/any_completion_handler.hpp>

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sse {

/// An event as a backend hands it to the broadcaster.
struct backend_event {
    /// Its id, as the backend assigned it. Empty for an event without one
    /// (a comment, or a message without data).
    std::string id;

    /// The event as the wire carries it, its `id:` line included.
    serialized bytes;
};

/// What a backend holds after an id (see `broadcast_backend::async_replay`).
struct backend_replay {
    /// Events after the id are gone (trimmed, or the store was replaced),
    /// or the id is unknown: the subscriber gets a gap event first.
    bool gap = false;

    /// The events after the id that the backend holds, oldest first.
    std::vector<backend_event> events;
};

/** Where a backend delivers the events of the topics it follows.

    The broadcaster is the sink: it fans every event out to its local
    subscribers, with their queues and slow-subscriber policies, exactly as
    for the events it orders itself.
*/
class backend_sink {
public:
    /** New events of a followed topic, oldest first, in the one order every
        instance sees. Calls may come from any thread, one at a time.
    */
    virtual void deliver(std::string_view topic, std::span<backend_event const> events) = 0;

    /** Events of a followed topic after `last_id` (the id last delivered)
        were lost to this instance: its subscribers get a gap event.
    */
    virtual void lost(std::string_view topic, std::string_view last_id) = 0;

protected:
    ~backend_sink() = default;
};

/** What orders, keeps and replays the events of a `broadcaster`'s topics.

    Without a backend a broadcaster keeps its topics in the process: it
    orders events itself, gives them decimal ids and keeps a bounded history
    in memory. A backend moves that out of the process, so that several
    instances share their topics: `sse::redis_backend` keeps each topic in a
    Redis stream.

    The broadcaster appends every published event to the backend, which
    assigns its id; the event then comes back to every instance, this one
    included, through `backend_sink::deliver`, in the backend's order. The
    broadcaster follows a topic while it has local subscribers, and asks for
    a replay when a subscriber resumes after an id; it joins the replay to
    the live events with no gap and no duplicate (by the backend's order of
    ids, `before`). The subscriptions, their queues, the slow-subscriber
    policies, gap events and the serialize-once fan-out stay in the
    broadcaster.

    @par Thread Safety
    Every member may be called from any thread at once. A backend may call
    a completion handler on any thread of its own, at any time after the
    initiating call returned (never inside it): the broadcaster's handlers
    take themselves to where they belong.
*/
class broadcast_backend {
public:
    /// Completes with the id of the appended event.
    using append_handler = net::any_completion_handler<void(error_code, std::string)>;

    /// Completes with what follows an id.
    using replay_handler = net::any_completion_handler<void(error_code, backend_replay)>;

    virtual ~broadcast_backend() = default;

    /** Sets the sink that gets the events of followed topics (a broadcaster
        sets itself at construction). An expired sink gets nothing.
    */
    virtual void attach(std::weak_ptr<backend_sink> sink) = 0;

    /** Appends an event to a topic, giving it the next id.

        @param topic The topic.
        @param event The event as the wire carries it, without an `id:` line.
        @param with_id Whether the event gets its id on the wire (an event
        with data), or is delivered as it is (a comment).
        @param keep The broadcaster's `history_count`: the backend keeps at
        least the newest `keep` events of the topic for replays.
        @param handler Completes with the id, or `error::backend_unavailable`
        when the backend cannot be reached. A completion with an error does
        not say for sure that the event was not appended (the connection may
        have been lost after the append).
    */
    virtual void async_append(std::string_view topic, serialized event, bool with_id, std::size_t keep, append_handler handler) = 0;

    /// Starts delivering the new events of a topic to the sink. Calls nest: a
    /// topic is followed until it was unfollowed as often as followed.
    virtual void follow(std::string_view topic) = 0;

    /// Stops delivering a topic (see `follow`).
    virtual void unfollow(std::string_view topic) = 0;

    /** Completes once the sink gets every event appended to a followed
        topic from now on (the backend knows where it reads the topic
        from), or at once when the topic is not followed. A backend still
        connecting waits for its connection; one that cannot be reached
        completes with `error::backend_unavailable` (events appended
        meanwhile by other instances may never reach the sink).
    */
    virtual void async_live(std::string_view topic, net::any_completion_handler<void(error_code)> handler) = 0;

    /** Replays what a topic holds after an id.

        Completes with the events held after `after`, at most the newest
        `max_events` of them (`gap` is set when there were more), and
        whether events after `after` were lost. While the backend cannot be
        reached, the replay waits for it.
    */
    virtual void async_replay(std::string_view topic, std::string_view after, std::size_t max_events, replay_handler handler) = 0;

    /// Whether the event with id `a` comes before the one with id `b`.
    virtual bool before(std::string_view a, std::string_view b) const noexcept = 0;
};

} // namespace sse

#endif
