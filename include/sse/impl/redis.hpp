//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_IMPL_REDIS_HPP
#define SSE_IMPL_REDIS_HPP

#include <sse/detail/redis_link.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <utility>

namespace sse {
namespace detail {

// A stream entry id, `<ms>-<seq>` (or `<ms>`, which Redis reads as `<ms>-0`).
struct entry_id {
    std::uint64_t ms = 0;
    std::uint64_t seq = 0;

    friend auto operator<=>(entry_id, entry_id) = default;

    static std::optional<entry_id> parse(std::string_view s) noexcept
    {
        auto const number = [](std::string_view d, std::uint64_t& n) {
            if (d.empty() || d.size() > 20)
                return false;
            auto const r = std::from_chars(d.data(), d.data() + d.size(), n);
            return r.ec == std::errc() && r.ptr == d.data() + d.size();
        };
        entry_id id;
        auto const dash = s.find('-');
        if (!number(s.substr(0, dash), id.ms))
            return std::nullopt;
        if (dash != std::string_view::npos && !number(s.substr(dash + 1), id.seq))
            return std::nullopt;
        return id;
    }
};

// The value of a field in a flat array of field/value pairs (XINFO STREAM).
inline redisReply const* reply_field(redisReply const* r, std::string_view name) noexcept
{
    if (!r || r->type != REDIS_REPLY_ARRAY)
        return nullptr;
    for (std::size_t i = 0; i + 1 < r->elements; i += 2) {
        if (reply_text(r->element[i]) == name)
            return r->element[i + 1];
    }
    return nullptr;
}

// An entry of XRANGE or XREAD as an event: field `d` is an event with data
// (it gets its id on the wire), `c` one without (a comment).
inline std::optional<backend_event> entry_event(redisReply const* entry)
{
    if (!entry || entry->type != REDIS_REPLY_ARRAY || entry->elements != 2)
        return std::nullopt;
    auto const id = reply_text(entry->element[0]);
    auto const* fields = entry->element[1];
    if (!fields || fields->type != REDIS_REPLY_ARRAY || fields->elements < 2)
        return std::nullopt;
    auto const kind = reply_text(fields->element[0]);
    auto const body = reply_text(fields->element[1]);
    backend_event e;
    if (kind == "d") {
        e.id = std::string(id);
        e.bytes = serialized::build(5 + id.size() + body.size(), [&](char* p) {
            std::memcpy(p, "id: ", 4);
            std::memcpy(p + 4, id.data(), id.size());
            p[4 + id.size()] = '\n';
            std::memcpy(p + 5 + id.size(), body.data(), body.size());
        });
    } else if (kind == "c") {
        e.bytes = serialized::from_wire(body);
    } else {
        return std::nullopt; // not ours
    }
    return e;
}

struct redis_state : std::enable_shared_from_this<redis_state> {
    using strand_type = redis_link::strand_type;

    enum class phase { down, connecting, up, closed };

    struct topic {
        std::string key;
        std::string cursor; // the last entry delivered; empty: none yet
        std::size_t follows = 0;
        bool started = false; // the cursor is known on this connection
        std::uint64_t serial = 0;
        std::vector<net::any_completion_handler<void(error_code)>> waiting_live;
    };

    // Completes what waits for a topic to be live.
    static void release(topic& t, error_code ec = {})
    {
        auto waiting = std::move(t.waiting_live);
        for (auto& h : waiting)
            std::move(h)(ec);
    }

    void live(std::string const& name, net::any_completion_handler<void(error_code)> handler)
    {
        auto it = topics.find(name);
        if (it == topics.end() || it->second.started)
            return std::move(handler)(error_code());
        if (state == phase::connecting || state == phase::up) {
            // The topic starts once connected (or is starting): then live.
            it->second.waiting_live.push_back(std::move(handler));
            return;
        }
        // Unreachable: where this instance will read the topic from is not
        // known yet, and other instances may publish meanwhile.
        std::move(handler)(error_code(error::backend_unavailable));
    }

    struct replay_request {
        std::string topic;
        std::string after;
        std::size_t max_events;
        broadcast_backend::replay_handler handler;
    };

    strand_type strand;
    redis_options options;
    std::string wake_key;
    std::string wake_cursor = "0-0";

    std::mutex sink_mutex;
    std::weak_ptr<backend_sink> sink;

    phase state = phase::down;
    std::atomic<bool> up{false};
    std::uint64_t generation = 0; // of the connection pair
    std::shared_ptr<redis_link> cmd;
    std::shared_ptr<redis_link> reader;
    int ready = 0;
    bool reading = false;
    net::steady_timer retry_timer;
    net::steady_timer connect_timer;
    net::steady_timer answer_timer;
    std::deque<std::chrono::steady_clock::time_point> sent; // of the commands waiting for an answer
    std::chrono::milliseconds backoff{};
    std::map<std::string, topic, std::less<>> topics;
    std::uint64_t next_serial = 0;
    std::deque<replay_request> replays; // waiting for the connection

    redis_state(net::any_io_executor ex, redis_options o)
        : strand(net::make_strand(ex))
        , options(std::move(o))
        , retry_timer(strand)
        , connect_timer(strand)
        , answer_timer(strand)
        , backoff(options.reconnect_min)
    {
        std::random_device rd;
        std::uint64_t const r = (std::uint64_t(rd()) << 32) ^ rd();
        char buf[17];
        auto const n = std::to_chars(buf, buf + 16, r, 16).ptr - buf;
        wake_key = options.key_prefix + "wake:" + std::string(buf, static_cast<std::size_t>(n));
    }

    std::string key_of(std::string_view name) const { return options.key_prefix + "topic:" + std::string(name); }

    std::shared_ptr<backend_sink> get_sink()
    {
        std::lock_guard lock(sink_mutex);
        return sink.lock();
    }

    void report(error_code ec, std::string_view what)
    {
        if (options.on_error)
            options.on_error(ec, what);
    }

    // The broadcaster's handlers take themselves where they belong (see
    // broadcast_backend): called here, on the strand.
    template <class Handler, class... Args>
    static void complete(Handler&& h, Args&&... args)
    {
        std::forward<Handler>(h)(std::forward<Args>(args)...);
    }

    //--------------------------------------------------------------------------
    // The connections

    void connect()
    {
        if (state != phase::down)
            return;
        state = phase::connecting;
        ++generation;
        ready = 0;
        reading = false;
        wake_cursor = "0-0";
        cmd = std::make_shared<redis_link>(strand);
        reader = std::make_shared<redis_link>(strand);
        for (auto& link : {cmd, reader}) {
            std::string why;
            auto on_closed = [self = shared_from_this(), g = generation](std::string why) { self->lost(g, why); };
            if (!link->start(options.host, options.port, std::move(on_closed), why))
                return lost(generation, why);
            handshake(*link);
        }
        connect_timer.expires_after(options.connect_timeout);
        connect_timer.async_wait([self = shared_from_this(), g = generation](error_code ec) {
            if (!ec && self->generation == g && self->state == phase::connecting)
                self->lost(g, "connection timed out");
        });
    }

    // AUTH, SELECT, then PING: the link is ready once PING answers.
    void handshake(redis_link& link)
    {
        auto const g = generation;
        auto check = [self = shared_from_this(), g](redisReply const* r) {
            if (r && r->type == REDIS_REPLY_ERROR && self->generation == g) {
                self->report(error::backend_error, reply_text(r));
                self->lost(g, reply_text(r));
            }
        };
        if (!options.password.empty()) {
            if (options.user.empty())
                link.command({"AUTH", options.password}, check);
            else
                link.command({"AUTH", options.user, options.password}, check);
        }
        if (options.database != 0)
            link.command({"SELECT", std::to_string(options.database)}, check);
        link.command({"PING"}, [self = shared_from_this(), g](redisReply const* r) {
            if (!r || r->type == REDIS_REPLY_ERROR || self->generation != g || self->state != phase::connecting)
                return;
            if (++self->ready == 2)
                self->connected();
        });
    }

    void connected()
    {
        state = phase::up;
        up = true;
        backoff = options.reconnect_min;
        connect_timer.cancel();
        for (auto& [name, t] : topics)
            start_topic(name, t);
        // After the starts: a replay runs after the start of its topic, so it
        // reaches at least as far as the cursor the reader starts from.
        auto waiting = std::move(replays);
        for (auto& r : waiting)
            replay(std::move(r));
        read();
    }

    // A link of generation g ended (or could not start).
    void lost(std::uint64_t g, std::string_view why)
    {
        if (g != generation || state == phase::down || state == phase::closed)
            return;
        report(error::backend_unavailable, why);
        state = phase::down;
        up = false;
        connect_timer.cancel();
        ++generation; // what the old links still report is ignored
        for (auto& [name, t] : topics) {
            t.started = false;
            // A topic not started yet has no cursor: what other instances
            // publish meanwhile may be missed, so it is not live.
            release(t, error::backend_unavailable);
        }
        drop_links();
        retry_timer.expires_after(backoff);
        backoff = std::min(backoff * 2, options.reconnect_max);
        retry_timer.async_wait([self = shared_from_this()](error_code ec) {
            if (!ec)
                self->connect();
        });
    }

    // Waiting commands complete with no reply: appends fail, replays wait again.
    void drop_links()
    {
        auto c = std::move(cmd);
        auto r = std::move(reader);
        reading = false;
        sent.clear();
        answer_timer.cancel();
        if (c)
            c->close();
        if (r)
            r->close();
    }

    void close()
    {
        if (state == phase::closed)
            return;
        state = phase::closed;
        up = false;
        ++generation;
        retry_timer.cancel();
        connect_timer.cancel();
        drop_links();
        for (auto& [name, t] : topics)
            release(t, net::error::operation_aborted);
        auto waiting = std::move(replays);
        for (auto& r : waiting)
            complete(std::move(r.handler), error_code(net::error::operation_aborted), backend_replay{});
    }

    // Sends a command on the command connection, watched: Redis must
    // answer within answer_timeout, or the connection counts as lost (a
    // Redis that hangs would otherwise hold every publish forever).
    void send(std::span<std::string_view const> args, redis_link::callback cb)
    {
        if (!cmd)
            return;
        auto const g = generation;
        bool const sent_ok = cmd->command(args, [self = shared_from_this(), g, cb = std::move(cb)](redisReply const* r) {
            if (self->generation == g && !self->sent.empty())
                self->sent.pop_front(); // answers come in order
            cb(r);
        });
        if (!sent_ok)
            return;
        sent.push_back(std::chrono::steady_clock::now());
        if (sent.size() == 1)
            watch_answers();
    }

    void send(std::initializer_list<std::string_view> args, redis_link::callback cb)
    {
        send(std::span<std::string_view const>(args.begin(), args.size()), std::move(cb));
    }

    void watch_answers()
    {
        if (sent.empty() || options.answer_timeout.count() <= 0)
            return;
        answer_timer.expires_at(sent.front() + options.answer_timeout);
        answer_timer.async_wait([self = shared_from_this(), g = generation](error_code ec) {
            if (ec || self->generation != g || self->sent.empty())
                return;
            if (std::chrono::steady_clock::now() >= self->sent.front() + self->options.answer_timeout)
                return self->lost(g, "Redis did not answer in time");
            self->watch_answers(); // the oldest was answered: watch the next
        });
    }

    //--------------------------------------------------------------------------
    // Topics

    void follow(std::string const& name)
    {
        auto& t = topics[name];
        if (t.follows++ != 0)
            return;
        t.key = key_of(name);
        t.cursor.clear();
        t.started = false;
        t.serial = ++next_serial;
        if (state == phase::up)
            start_topic(name, t);
    }

    void unfollow(std::string const& name)
    {
        auto it = topics.find(name);
        if (it != topics.end() && --it->second.follows == 0) {
            release(it->second);
            topics.erase(it); // a read on its way may still name it: what it brings is dropped
        }
    }

    // Learns where the reader starts: from the stream's newest entry for a
    // topic new to this instance; from the last entry delivered otherwise,
    // telling the sink when what followed it is gone.
    void start_topic(std::string const& name, topic& t)
    {
        auto on_done = [self = shared_from_this(), name, serial = t.serial, g = generation](
                           bool gap, std::string last_generated
                       ) {
            auto it = self->topics.find(name);
            if (it == self->topics.end() || it->second.serial != serial || self->generation != g)
                return;
            auto& t = it->second;
            if (t.cursor.empty())
                t.cursor = last_generated.empty() ? "0-0" : std::move(last_generated);
            else if (gap && t.cursor != "0-0") {
                if (auto s = self->get_sink())
                    s->lost(name, t.cursor);
            }
            t.started = true;
            release(t);
            self->wake();
        };
        probe(t.key, t.cursor, std::move(on_done));
    }

    // XINFO STREAM and XRANGE id id in one transaction: whether the events
    // after `id` are all still held, and the stream's newest id. An empty
    // `id` asks for the newest id only.
    template <class Done>
    void probe(std::string const& key, std::string const& id, Done done)
    {
        if (id.empty()) {
            send({"XINFO", "STREAM", key}, [done = std::move(done)](redisReply const* r) mutable {
                if (!r)
                    return; // the link ended: started again on the next one
                done(false, std::string(reply_text(reply_field(r, "last-generated-id"))));
            });
            return;
        }
        transaction({{"XINFO", "STREAM", key}, {"XRANGE", key, id, id}}, [id, done = std::move(done)](redisReply const* r) mutable {
            if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2)
                return;
            bool const held = r->element[1]->type == REDIS_REPLY_ARRAY && r->element[1]->elements != 0;
            done(!held && !trimmed_last(r->element[0], id), std::string(reply_text(reply_field(r->element[0], "last-generated-id"))));
        });
    }

    // Whether `id` is the newest entry trimmed from the stream: then nothing
    // after it is gone.
    static bool trimmed_last(redisReply const* xinfo, std::string_view id)
    {
        auto const deleted = entry_id::parse(reply_text(reply_field(xinfo, "max-deleted-entry-id")));
        auto const k = entry_id::parse(id);
        return deleted && k && *deleted == *k && *deleted != entry_id{};
    }

    // MULTI, the commands, EXEC: `done` gets EXEC's reply (null when the link ended).
    void transaction(std::initializer_list<std::initializer_list<std::string_view>> cmds, redis_link::callback done)
    {
        auto const ignore = [](redisReply const*) {};
        send({"MULTI"}, ignore);
        for (auto const& c : cmds)
            send(c, ignore);
        send({"EXEC"}, std::move(done));
    }

    // Wakes the reader so that its next XREAD names every started topic.
    void wake()
    {
        if (state != phase::up)
            return;
        if (!reading)
            return read();
        send({"XADD", wake_key, "MAXLEN", "1", "*", "w", "1"}, [](redisReply const*) {});
        send({"PEXPIRE", wake_key, "60000"}, [](redisReply const*) {});
    }

    // One blocking XREAD of every started topic, and the wake key.
    void read()
    {
        if (reading || state != phase::up)
            return;
        count_ = std::to_string(options.read_count);
        std::vector<std::string> names;
        std::vector<std::string_view> args = {"XREAD", "COUNT", count_, "BLOCK", "0", "STREAMS"};
        for (auto& [name, t] : topics) {
            if (t.started)
                names.push_back(name);
        }
        for (auto const& n : names)
            args.push_back(topics.find(n)->second.key);
        args.push_back(wake_key);
        for (auto const& n : names)
            args.push_back(topics.find(n)->second.cursor);
        args.push_back(wake_cursor);
        reading = true;
        auto const g = generation;
        reader->command(std::span<std::string_view const>(args), [self = shared_from_this(), g](redisReply const* r) {
            if (!r || self->generation != g)
                return; // the link ended
            self->reading = false;
            if (r->type == REDIS_REPLY_ERROR) {
                self->report(error::backend_error, reply_text(r));
                return self->lost(g, reply_text(r));
            }
            if (r->type == REDIS_REPLY_ARRAY)
                self->dispatch(r);
            self->read();
        });
    }

    // Hands what one XREAD brought to the sink, topic by topic.
    void dispatch(redisReply const* r)
    {
        auto const s = get_sink();
        std::vector<backend_event> events;
        for (std::size_t i = 0; i < r->elements; ++i) {
            auto const* stream = r->element[i];
            if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2 || stream->element[1]->type != REDIS_REPLY_ARRAY)
                continue;
            auto const key = reply_text(stream->element[0]);
            auto const* entries = stream->element[1];
            if (key == wake_key) {
                if (entries->elements != 0)
                    wake_cursor = std::string(reply_text(entries->element[entries->elements - 1]->element[0]));
                continue;
            }
            auto const prefix = options.key_prefix + "topic:";
            if (key.substr(0, prefix.size()) != prefix)
                continue;
            auto it = topics.find(key.substr(prefix.size()));
            if (it == topics.end() || !it->second.started)
                continue; // no longer followed
            auto& t = it->second;
            auto cursor = entry_id::parse(t.cursor);
            events.clear();
            for (std::size_t j = 0; j < entries->elements; ++j) {
                auto const* entry = entries->element[j];
                if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2)
                    continue;
                auto const id = entry_id::parse(reply_text(entry->element[0]));
                if (!id || (cursor && *id <= *cursor))
                    continue; // delivered already (a topic started again)
                cursor = id;
                t.cursor = std::string(reply_text(entry->element[0]));
                if (auto e = entry_event(entry))
                    events.push_back(std::move(*e));
            }
            if (s && !events.empty())
                s->deliver(it->first, events);
        }
    }

    //--------------------------------------------------------------------------
    // Publishing and replaying

    void append(std::string const& name, serialized event, bool with_id, std::size_t keep, broadcast_backend::append_handler handler)
    {
        if (state != phase::up)
            return complete(std::move(handler), error_code(error::backend_unavailable), std::string());
        auto const key = key_of(name);
        auto const max_len = std::to_string(std::max<std::size_t>(keep, 1));
        auto done = [self = shared_from_this(), h = std::make_shared<broadcast_backend::append_handler>(std::move(handler))](
                        redisReply const* r
                    ) mutable {
            if (!r)
                return self->complete(std::move(*h), error_code(error::backend_unavailable), std::string());
            if (r->type != REDIS_REPLY_STRING) {
                self->report(error::backend_error, reply_text(r));
                return self->complete(std::move(*h), error_code(error::backend_error), std::string());
            }
            self->complete(std::move(*h), error_code(), std::string(reply_text(r)));
        };
        send({"XADD", key, "MAXLEN", "~", max_len, "*", with_id ? "d" : "c", event.view()}, std::move(done));
    }

    void replay(replay_request r)
    {
        if (state == phase::closed)
            return complete(std::move(r.handler), error_code(net::error::operation_aborted), backend_replay{});
        if (state != phase::up) {
            replays.push_back(std::move(r));
            return;
        }
        auto const key = key_of(r.topic);
        auto req = std::make_shared<replay_request>(std::move(r));
        auto const k = entry_id::parse(req->after);
        if (!k) {
            // Not an id of ours: a gap, then all the stream holds.
            send({"XRANGE", key, "-", "+"}, [self = shared_from_this(), req](redisReply const* r) {
                self->replayed(std::move(*req), r, nullptr, true);
            });
            return;
        }
        transaction({{"XINFO", "STREAM", key}, {"XRANGE", key, req->after, "+"}}, [self = shared_from_this(), req](redisReply const* r) {
            if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2)
                return self->replayed(std::move(*req), r->element[1], r->element[0], false);
            self->replayed(std::move(*req), r, nullptr, false);
        });
    }

    // XRANGE's reply (from K on, K included when held) as a replay.
    void replayed(replay_request r, redisReply const* range, redisReply const* xinfo, bool gap)
    {
        if (!range) // the link ended: the replay waits for the next one
            return replay(std::move(r));
        if (range->type != REDIS_REPLY_ARRAY) {
            report(error::backend_error, reply_text(range));
            return complete(std::move(r.handler), error_code(error::backend_error), backend_replay{});
        }
        backend_replay out;
        std::size_t first = 0;
        if (!gap) {
            bool const held = range->elements != 0 && reply_text(range->element[0]->element[0]) == r.after;
            if (held)
                first = 1;
            else
                gap = !trimmed_last(xinfo, r.after);
        }
        for (std::size_t i = first; i < range->elements; ++i) {
            if (auto e = entry_event(range->element[i]))
                out.events.push_back(std::move(*e));
        }
        if (out.events.size() > r.max_events) {
            out.events.erase(out.events.begin(), out.events.end() - static_cast<std::ptrdiff_t>(r.max_events));
            gap = true;
        }
        out.gap = gap;
        complete(std::move(r.handler), error_code(), std::move(out));
    }

    std::string count_;
};

} // namespace detail

inline redis_backend::redis_backend(net::any_io_executor ex, redis_options options)
    : state_(std::make_shared<detail::redis_state>(std::move(ex), std::move(options)))
{
    net::post(state_->strand, [s = state_] { s->connect(); });
}

inline redis_backend::~redis_backend()
{
    close();
}

inline void redis_backend::close()
{
    net::post(state_->strand, [s = state_] { s->close(); });
}

inline bool redis_backend::connected() const noexcept
{
    return state_->up;
}

inline void redis_backend::attach(std::weak_ptr<backend_sink> sink)
{
    std::lock_guard lock(state_->sink_mutex);
    state_->sink = std::move(sink);
}

inline void redis_backend::async_append(std::string_view topic, serialized event, bool with_id, std::size_t keep, append_handler handler)
{
    net::post(
        state_->strand,
        [s = state_, topic = std::string(topic), event = std::move(event), with_id, keep, h = std::move(handler)]() mutable {
            s->append(topic, std::move(event), with_id, keep, std::move(h));
        }
    );
}

inline void redis_backend::follow(std::string_view topic)
{
    net::post(state_->strand, [s = state_, topic = std::string(topic)] { s->follow(topic); });
}

inline void redis_backend::unfollow(std::string_view topic)
{
    net::post(state_->strand, [s = state_, topic = std::string(topic)] { s->unfollow(topic); });
}

inline void redis_backend::async_live(std::string_view topic, net::any_completion_handler<void(error_code)> handler)
{
    net::post(state_->strand, [s = state_, topic = std::string(topic), h = std::move(handler)]() mutable {
        s->live(topic, std::move(h));
    });
}

inline void redis_backend::async_replay(std::string_view topic, std::string_view after, std::size_t max_events, replay_handler handler)
{
    net::post(state_->strand, [s = state_, r = detail::redis_state::replay_request{std::string(topic), std::string(after), max_events, std::move(handler)}]() mutable {
        s->replay(std::move(r));
    });
}

inline bool redis_backend::before(std::string_view a, std::string_view b) const noexcept
{
    auto const x = detail::entry_id::parse(a);
    auto const y = detail::entry_id::parse(b);
    if (x && y)
        return *x < *y;
    return a < b;
}

} // namespace sse

#endif
