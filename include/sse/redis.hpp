//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_REDIS_HPP
#define SSE_REDIS_HPP

#include <sse/broadcast_backend.hpp>
#include <sse/detail/config.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace sse {

/// Where a `redis_backend` connects, and how it behaves.
struct redis_options {
    /// The Redis server's address (an IP address or a host name). Default: 127.0.0.1.
    std::string host = "127.0.0.1";

    /// Its port. Default: 6379.
    unsigned short port = 6379;

    /// The ACL user to authenticate as (`AUTH user password`); empty: `AUTH
    /// password` when a password is set. Default: empty.
    std::string user;

    /// The password; empty: no `AUTH`. Default: empty.
    std::string password;

    /// The database (`SELECT`). Default: 0.
    int database = 0;

    /** What every key starts with. A topic `T` is the stream `prefix + "topic:" + T`;
        each instance also has a small key of its own,
        `prefix + "wake:" + random`, that expires a minute after its last
        use. Default: `sse:`.
    */
    std::string key_prefix = "sse:";

    /// How long a connection attempt may take. Default: 2 s.
    std::chrono::milliseconds connect_timeout = std::chrono::seconds(2);

    /** How long Redis may take to answer a command (a publish, a replay)
        before the connection counts as lost and is made again: a Redis
        that hangs without closing its connections fails publishes with
        `error::backend_unavailable` after this long instead of holding
        them. Zero: no limit. Default: 5 s.
    */
    std::chrono::milliseconds answer_timeout = std::chrono::seconds(5);

    /// The first wait before connecting again after a failure; it doubles
    /// on each failure in a row. Default: 50 ms.
    std::chrono::milliseconds reconnect_min = std::chrono::milliseconds(50);

    /// The longest wait before connecting again. Default: 2 s.
    std::chrono::milliseconds reconnect_max = std::chrono::seconds(2);

    /// The most entries one read of the followed topics takes. Default: 1000.
    std::size_t read_count = 1000;

    /** Told of every failure, with Redis's own words or the system's (a
        connection lost or refused, an error reply): for logs. Runs on the
        backend's strand; it must not block. Default: none.
    */
    std::function<void(error_code, std::string_view)> on_error;
};

namespace detail {
struct redis_state;
} // namespace detail

/** A `broadcast_backend` on Redis Streams: topics shared by every instance
    that uses the same Redis.

    Each topic is a Redis stream. Publishing is an `XADD` with `MAXLEN ~ N`
    (N the broadcaster's `history_count`): the event's id is the stream entry
    id (`<ms>-<seq>`), the same on every instance. Each instance follows the
    topics it has subscribers for with one blocking `XREAD` on a connection
    of its own, and fans each event out locally: one Redis read per event
    per instance, whatever the number of subscribers. A subscriber that
    resumes after an id gets `XRANGE (id +` on whichever instance it lands,
    joined to the live events with no gap and no duplicate, and a gap event
    first when Redis no longer holds what followed the id (trimmed, or Redis
    started over with an empty dataset).

    While Redis cannot be reached, publishing completes with
    `error::backend_unavailable`, subscriptions stay open, resumptions wait,
    and the backend connects again with back-off. Once back, it reads on from
    the last entry it delivered, so subscribers get what other instances
    published meanwhile (as far as the streams hold it), without
    duplicates; when that is gone, they get a gap event.

    hiredis (0.14 and later) speaks RESP; its asynchronous API is driven by
    Asio on the backend's strand. TLS is not offered (hiredis 0.14 has
    none). Redis 7.0 or later: older servers work, but an id older than what
    a stream holds then always counts as a gap.

    @par Example
    @code
    auto redis = std::make_shared<sse::redis_backend>(ioc.get_executor(), sse::redis_options{.port = 6379});
    sse::broadcaster hub({}, redis);
    // a handler:
    auto id = co_await hub.async_publish("prices", sse::message{}.data("1.0841"), net::use_awaitable);
    // at the end: lets io_context::run return
    redis->close();
    @endcode

    @par Thread Safety
    Distinct objects: Safe. Shared objects: Safe.
*/
class redis_backend final : public broadcast_backend {
public:
    /// Constructs the backend and starts connecting, on a strand of `ex`.
    explicit redis_backend(net::any_io_executor ex, redis_options options = {});

    redis_backend(redis_backend const&) = delete;
    redis_backend& operator=(redis_backend const&) = delete;

    /// Closes it (see `close`).
    ~redis_backend() override;

    /** Closes the connections and stops connecting again: once nothing else
        is left, `io_context::run` returns. Publishes complete with
        `error::backend_unavailable`, waiting replays with
        `net::error::operation_aborted`.
    */
    void close();

    /// Whether both connections are up.
    bool connected() const noexcept;

    void attach(std::weak_ptr<backend_sink> sink) override;
    void async_append(std::string_view topic, serialized event, bool with_id, std::size_t keep, append_handler handler) override;
    void follow(std::string_view topic) override;
    void unfollow(std::string_view topic) override;
    void async_live(std::string_view topic, net::any_completion_handler<void(error_code)> handler) override;
    void async_replay(std::string_view topic, std::string_view after, std::size_t max_events, replay_handler handler) override;

    /// Orders stream entry ids (`<ms>-<seq>`) as Redis does.
    bool before(std::string_view a, std::string_view b) const noexcept override;

private:
    std::shared_ptr<detail::redis_state> state_;
};

} // namespace sse

#include <sse/impl/redis.hpp>

#endif
