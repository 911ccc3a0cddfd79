//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_IMPL_BROADCASTER_HPP
#define SSE_IMPL_BROADCASTER_HPP

#include <sse/detail/handler_executor.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/context_as.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/strand.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <vector>

namespace sse {
namespace detail {

// A waiting operation (async_next, async_wait_failure, or an async_publish
// held back by publish_ahead): the handler, type-erased, with the executor it runs on
// and its cancellation slot.
//
// The cancellation slot belongs to the handler's executor, like the
// operation that owns its signal: it may be cleared or emitted only there
// (and installed by the initiating function). So the handler installed
// while waiting is cleared on that executor, just before the handler runs,
// never by the thread that completes the wait (a publisher clearing it
// while the owner emits it freed the running cancellation handler).
template <class... Result>
struct waiting_handler {
    using handler_type = net::any_completion_handler<void(error_code, Result...)>;

    handler_type handler;
    net::any_io_executor executor;
    net::cancellation_slot slot;

    template <class Handler>
    static waiting_handler make(Handler handler, net::cancellation_slot slot)
    {
        net::any_io_executor ex = detail::handler_executor(handler);
        return waiting_handler{handler_type(std::move(handler)), std::move(ex), slot};
    }

    // The function that runs the handler: it clears the slot first.
    auto invoker(error_code ec, Result... result)
    {
        return [h = std::move(handler), slot = slot, ec, ... result = std::move(result)]() mutable {
            if (slot.is_connected())
                slot.clear();
            std::move(h)(ec, std::move(result)...);
        };
    }

    // Runs the handler on its executor, never inline.
    void post(error_code ec, Result... result) &&
    {
        net::post(executor, invoker(ec, std::move(result)...));
    }

    // Runs the handler on its executor from a sweep, which runs on the
    // executor's execution context: an executor that is free (a strand
    // no other thread holds) runs it at once.
    void dispatch(error_code ec, Result... result) &&
    {
        net::dispatch(executor, invoker(ec, std::move(result)...));
    }
};

struct broadcast_registry;
class sweep_queue;

// Whether two shared_ptr or weak_ptr share an owner (an expired weak_ptr
// still has its own), without touching the reference counts.
template <class A, class B>
bool same_owner(A const& a, B const& b) noexcept
{
    return !a.owner_before(b) && !b.owner_before(a);
}

// Where an event of the history stands in its topic's order, for
// resume_mode::after_id: `seq` is the id the topic last assigned when it was
// published (its own id when `assigned`); an event with an id of its own
// comes after the assigned event `seq` and before `seq + 1`.
struct broadcast_position {
    std::uint64_t seq = 0;
    bool assigned = false;

    // Whether the event was published after the event with assigned id k.
    bool after(std::uint64_t k) const noexcept { return seq > k || (seq == k && !assigned); }
};

// A decimal id (ASCII digits only, at least one) as a number; a value
// beyond 64 bits saturates, so it is past every id. Nothing when the id is
// not decimal.
inline std::optional<std::uint64_t> decimal_id(std::string_view s) noexcept
{
    if (s.empty())
        return std::nullopt;
    std::uint64_t n = 0;
    bool huge = false;
    for (char const c : s) {
        if (c < '0' || c > '9')
            return std::nullopt;
        auto const d = static_cast<std::uint64_t>(c - '0');
        if (n > (std::numeric_limits<std::uint64_t>::max() - d) / 10)
            huge = true;
        else
            n = n * 10 + d;
    }
    return huge ? std::numeric_limits<std::uint64_t>::max() : n;
}

// One topic. Its mutex guards everything in it and in its subscribers, so
// that subscribing (history, then live) and publishing are atomic with
// respect to each other: no gap and no duplicate at the seam.
struct broadcast_topic {
    struct entry {
        std::string id;
        serialized bytes;
        broadcast_position position;
    };

    std::mutex mutex;
    std::string name;
    broadcaster_options options;
    std::weak_ptr<broadcast_registry> registry;
    std::uint64_t next_id = 0;
    std::deque<entry> history;
    std::size_t history_bytes = 0;
    std::optional<broadcast_position> last_dropped; // the newest event gone from the history
    std::vector<broadcast_subscriber*> subscribers;
    std::shared_ptr<broadcast_backend> backend; // null: the topic lives here
};

struct broadcast_subscriber {
    std::shared_ptr<broadcast_topic> topic;
    std::vector<serialized> queue; // from head on: not yet taken
    std::size_t head = 0;
    std::size_t bytes = 0;
    std::size_t index = 0; // in topic->subscribers
    std::optional<next_waiter> waiting;
    std::optional<waiting_handler<>> failure_waiting; // async_wait_failure
    error_code failed;

    // The sweep queue of the context of its last async_next, where its
    // turns are queued: expired once that context shut down.
    net::execution_context* context = nullptr;
    std::weak_ptr<sweep_queue> turns;

    // With a backend: while a replay is on its way, live events wait in
    // `pending`; once it came, live events up to `live_after` (the last one
    // replayed) are duplicates.
    bool replaying = false;
    std::vector<backend_event> pending;
    std::size_t pending_bytes = 0;
    std::string live_after;

    // Completes the waiting handler (posted, never inline).
    void complete(error_code ec, std::optional<serialized> item)
    {
        take_waiting().post(ec, std::move(item));
    }

    // It fails: what is queued goes, and whoever waits hears of it. The
    // topic's mutex is held.
    void fail(error_code ec)
    {
        failed = ec;
        clear_queue();
        if (waiting)
            complete(ec, std::nullopt);
        complete_failure_wait(ec);
    }

    // Completes async_wait_failure's handler, if one waits (posted).
    void complete_failure_wait(error_code ec)
    {
        if (!failure_waiting)
            return;
        auto w = std::move(*failure_waiting);
        failure_waiting.reset();
        std::move(w).post(ec);
    }

    std::size_t queued() const noexcept { return queue.size() - head; }

    void clear_queue() noexcept
    {
        queue.clear();
        head = 0;
        bytes = 0;
    }

    serialized pop()
    {
        serialized s = std::move(queue[head++]);
        bytes -= s.size();
        if (head == queue.size())
            clear_queue();
        else if (head > 32 && head > queue.size() / 2) {
            queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(head));
            head = 0;
        }
        return s;
    }

    // Takes the waiting handler out, to be completed once the topic's mutex
    // is released.
    next_waiter take_waiting()
    {
        auto w = std::move(*waiting);
        waiting.reset();
        return w;
    }

    // Hands an event to the subscriber; the topic's mutex is held. A waiting
    // handler is moved to `ready`, to be completed after the mutex is released.
    void deliver(serialized const& s, std::vector<std::pair<next_waiter, serialized>>& ready)
    {
        if (failed)
            return;
        if (waiting && queued() == 0) {
            ready.emplace_back(take_waiting(), s);
            return;
        }
        auto const& o = topic->options;
        if (bytes + s.size() > o.max_subscriber_bytes) {
            if (o.slow_policy == slow_subscriber_policy::disconnect) {
                fail(make_error_code(error::slow_subscriber));
                return;
            }
            std::size_t const dropped = queued();
            clear_queue();
            if (!o.gap_event.empty()) {
                message gap;
                gap.event(o.gap_event).data(std::to_string(dropped));
                queue.emplace_back(gap);
                bytes += queue.back().size();
            }
        }
        queue.push_back(s);
        bytes += s.size();
    }
};

using ready_list = std::vector<std::pair<next_waiter, serialized>>;

// Completes the handlers a delivery made ready, once the topic's mutex is
// released.
//
// One event reaches every waiting subscriber of an execution context in
// one sweep: a single function posted to that context, which dispatches
// each handler to its own executor. A connection's strand that is free
// runs its handler there and then, so its stream takes the event and
// starts its write (the bytes usually leave in that call) before the
// sweep moves on. A post per subscriber would queue them all behind
// everything else the context has to do, and the publisher's next
// request with them.
//
// The sweep runs outside any strand when the first handler's executor is
// a strand of a known type (no strand held while it runs); otherwise on
// that executor.
inline net::any_io_executor sweep_executor(net::any_io_executor const& ex)
{
    if (auto const* s = ex.target<net::strand<net::io_context::executor_type>>())
        return s->get_inner_executor();
    if (auto const* s = ex.target<net::strand<net::any_io_executor>>())
        return s->get_inner_executor();
    return ex;
}

// A sweep completes at most this many handlers per turn of the context,
// then goes to the back of its queue: what arrived meanwhile (the next
// publish, another connection's request) runs between two parts, and the
// subscribers not reached yet write both events at once. Small parts
// measured best (10,000 subscribers, publishes back to back: 8 gave 10x
// the deliveries/s of a post per subscriber, 4x those of parts of 256):
// the batching they allow outweighs the extra turns.
inline constexpr std::size_t sweep_part = 8;

// The publishes of one broadcaster that async_publish let run ahead of
// the fan-out (broadcaster_options::publish_ahead), numbered in the order
// they were made: which are still being handed out, and the completions
// waiting for earlier ones to be. Publish k completes once every publish
// before k - ahead + 1 was handed out, whatever order they were handed out
// in (one queue per execution context: contexts pass their markers
// independently).
//
// A publish takes its number, and its markers are queued, when it is made;
// its completion handler comes with the initiation, which a deferred
// operation makes later (or never): it then completes at once if its turn
// came meanwhile.
struct publish_window {
    struct waiter {
        waiting_handler<std::string> h; // its executor counts as work until it completes
        std::string id;
    };

    explicit publish_window(std::size_t ahead) noexcept : ahead(ahead) {}

    std::size_t const ahead;
    std::mutex mutex;
    std::uint64_t next = 0;                   // the number of the next publish
    std::uint64_t oldest = 0;                 // the oldest publish not handed out
    std::deque<bool> out;                     // from `oldest` on: whether it was handed out
    std::uint64_t launches = 0;               // completions ever given: a deferred operation may be launched twice
    std::map<std::pair<std::uint64_t, std::uint64_t>, waiter> waiting; // by (number, launch)

    // Numbers a publish.
    std::uint64_t make()
    {
        std::lock_guard lock(mutex);
        out.push_back(false);
        return next++;
    }

    // Publish `number`'s completion: run at once if its turn came, else
    // queued, cancellable, until it does. The waiting completions are
    // posted with the mutex held, so that a context shutting down
    // (abandon) never sees one between its removal and its post.
    template <class Handler>
    void start(std::uint64_t number, Handler handler, std::string id, std::shared_ptr<publish_window> const& self)
    {
        std::lock_guard lock(mutex);
        if (released(number)) {
            auto ex = detail::handler_executor(handler);
            net::post(ex, net::append(std::move(handler), error_code(), std::move(id)));
            return;
        }
        auto slot = net::get_associated_cancellation_slot(handler);
        auto w = waiting_handler<std::string>::make(std::move(handler), slot);
        w.executor = net::prefer(w.executor, net::execution::outstanding_work.tracked);
        std::pair const key(number, launches++);
        auto const it = waiting.emplace(key, waiter{std::move(w), std::move(id)}).first;
        if (slot.is_connected()) {
            try {
                // Runs on the handler's executor. The event stays
                // published: only the wait ends, so no `total` cancellation.
                slot.assign([window = self, key](net::cancellation_type type) {
                    if ((type & (net::cancellation_type::terminal | net::cancellation_type::partial)) != net::cancellation_type::none)
                        window->cancel(key);
                });
            } catch (...) {
                waiting.erase(it);
                throw;
            }
        }
    }

    // Publish `number` was handed out: the completions it and the ones
    // before it held back go.
    void handed_out(std::uint64_t number)
    {
        std::lock_guard lock(mutex);
        out[static_cast<std::size_t>(number - oldest)] = true;
        while (!out.empty() && out.front()) {
            out.pop_front();
            ++oldest;
        }
        while (!waiting.empty() && released(waiting.begin()->first.first)) {
            auto node = waiting.extract(waiting.begin());
            std::move(node.mapped().h).post(error_code(), std::move(node.mapped().id));
        }
    }

    // Whether publish `number` may complete; the mutex is held.
    bool released(std::uint64_t number) const noexcept
    {
        return number < oldest || number - oldest < ahead;
    }

    // Destroys, without running them, the waiting completions of a context
    // that is shutting down.
    void abandon(net::execution_context& context)
    {
        std::lock_guard lock(mutex);
        std::erase_if(waiting, [&](auto const& w) {
            return &net::query(w.second.h.executor, net::execution::context_as<net::execution_context&>) == &context;
        });
    }

    // Completes a waiting completion with operation_aborted, unless it was
    // completed already.
    void cancel(std::pair<std::uint64_t, std::uint64_t> key)
    {
        std::lock_guard lock(mutex);
        auto node = waiting.extract(key);
        if (node)
            std::move(node.mapped().h).post(net::error::operation_aborted, std::move(node.mapped().id));
    }
};

// A publish to be handed out by the sweep queue of each execution context
// its topic's subscribers last waited on: it is handed out once every one
// of them has passed it.
struct publish_marker {
    std::shared_ptr<publish_window> window;
    std::uint64_t number = 0;
    std::shared_ptr<std::atomic<std::size_t>> queues; // not passed yet; null: one queue

    void passed() const
    {
        if (!queues || queues->fetch_sub(1, std::memory_order_acq_rel) == 1)
            window->handed_out(number);
    }
};

// The subscribers an execution context has to wake, oldest first: one
// queue per context, which every publish appends to, and so does a stream
// that comes back from its write to find more queued for it. A sweep takes
// from its front, so a subscriber is served in the order it asked; a sweep
// per publish would let the next publish's sweep (over the subscribers
// already served) take turns with the first one, and the subscribers at
// the end of that one would wait for everyone else's next events. At most
// `max_sweeps` sweeps run at once, so that a context run by several
// threads sweeps on more than one. A marker tells a publish_window when
// everything queued before it has been taken: one pass over the
// subscribers that were ready.
//
// A service of the context owns it (sweep_queue_service); a publisher may
// hold it a moment longer, so once the context shut down it is closed:
// what is added then is dropped, and a marker passes at once.
class sweep_queue {
public:
    static constexpr int max_sweeps = 2;

    // The queue of a context, or of the context an executor belongs to.
    static sweep_queue& of(net::execution_context& context);
    static sweep_queue& of(net::any_io_executor const& ex)
    {
        return of(net::query(ex, net::execution::context_as<net::execution_context&>));
    }

    // A handle to the queue of a context, for a subscriber to give its
    // publishers.
    static std::weak_ptr<sweep_queue> handle(net::execution_context& context);

    // Queues the handlers of one context; `where` is an executor of it
    // that a sweep may run on.
    void add(ready_list&& group, net::any_io_executor const& where)
    {
        bool start = false;
        ready_list dropped;
        {
            std::lock_guard lock(mutex_);
            if (closed_) {
                dropped.swap(group);
                return;
            }
            for (auto& r : group)
                items_.push_back(std::move(r));
            start = claim_sweep();
        }
        group.clear();
        if (start)
            net::post(where, op{this, where});
    }

    // Queues one handler in the queue of its executor's context, behind
    // every subscriber already waiting for its turn there.
    static void add(std::pair<next_waiter, serialized>&& item)
    {
        auto const where = sweep_executor(item.first.executor);
        auto& queue = of(item.first.executor);
        bool start = false;
        {
            std::lock_guard lock(queue.mutex_);
            if (queue.closed_)
                return; // the item is destroyed by the caller, outside the lock
            queue.items_.push_back(std::move(item));
            start = queue.claim_sweep();
        }
        if (start)
            net::post(where, op{&queue, where});
    }

    // Keeps a weak reference to a window that a completion of this
    // context waits in, to destroy the completion on shutdown. False once
    // the context shut down: the completion is not to wait.
    bool watch(std::shared_ptr<publish_window> const& window)
    {
        std::lock_guard lock(mutex_);
        if (closed_)
            return false;
        for (auto const& w : windows_) {
            if (same_owner(w, window))
                return true;
        }
        std::erase_if(windows_, [](auto const& w) { return w.expired(); });
        windows_.push_back(window);
        return true;
    }

    // Queues `marker`, to pass once every handler queued so far has been
    // taken. False when none is queued (or the context shut down): the
    // caller passes it at once.
    bool add_marker(publish_marker const& marker)
    {
        std::lock_guard lock(mutex_);
        if (items_.empty() || closed_)
            return false;
        markers_.emplace_back(taken_ + items_.size(), marker);
        return true;
    }

    // The handlers are destroyed, not run. A broadcaster may outlive the
    // context: the completions of this context that wait in its window are
    // destroyed too, and the events this queue was handing out count as
    // handed out, so that publishes on other contexts go on.
    void shutdown(net::execution_context& context)
    {
        std::deque<std::pair<next_waiter, serialized>> items;
        std::deque<std::pair<std::uint64_t, publish_marker>> markers;
        std::vector<std::weak_ptr<publish_window>> windows;
        {
            std::lock_guard lock(mutex_);
            closed_ = true;
            items.swap(items_);
            markers.swap(markers_);
            windows.swap(windows_);
        }
        for (auto const& w : windows) {
            if (auto const window = w.lock())
                window->abandon(context);
        }
        for (auto const& m : markers)
            m.second.passed();
    }

private:
    struct op {
        sweep_queue* queue; // a sweep runs only while its context does
        net::any_io_executor where;

        void operator()() { queue->sweep(std::move(*this)); }
    };

    void sweep(op&& self)
    {
        // The part is taken under the lock and run outside it, from the
        // stack: no allocation per part.
        std::array<std::optional<std::pair<next_waiter, serialized>>, sweep_part> part;
        std::size_t n = 0;
        bool more = false;
        std::vector<publish_marker> passed;
        {
            std::lock_guard lock(mutex_);
            for (; n < sweep_part && !items_.empty(); ++n) {
                part[n].emplace(std::move(items_.front()));
                items_.pop_front();
            }
            taken_ += n;
            while (!markers_.empty() && markers_.front().first <= taken_) {
                passed.push_back(std::move(markers_.front().second));
                markers_.pop_front();
            }
            more = !items_.empty();
            if (!more)
                --sweeps_;
        }
        // Should a handler or a post throw (a failed allocation), the
        // markers taken still pass and the sweep gives its turn back: an
        // event never stays unhanded-out, nor the queue unswept. A marker
        // counts as passed before it is told: passed() records the hand-out
        // before it posts a completion, so one that throws has passed, and
        // telling it again would count it twice.
        struct unwind {
            sweep_queue& queue;
            std::vector<publish_marker>& passed;
            std::size_t next = 0;
            bool more = false;
            bool done = false;

            ~unwind()
            {
                if (done)
                    return;
                while (next < passed.size()) {
                    try {
                        passed[next++].passed();
                    } catch (...) {
                    }
                }
                if (more) {
                    std::lock_guard lock(queue.mutex_);
                    --queue.sweeps_;
                }
            }
        } guard{*this, passed, 0, more};
        for (std::size_t i = 0; i < n; ++i)
            std::move(part[i]->first).dispatch(error_code(), std::move(part[i]->second));
        while (guard.next < passed.size())
            passed[guard.next++].passed();
        if (more) {
            auto ex = self.where;
            net::post(ex, std::move(self));
        }
        guard.done = true;
    }

    // Whether a new sweep should start; the mutex is held.
    bool claim_sweep() noexcept
    {
        if (sweeps_ == max_sweeps)
            return false;
        ++sweeps_;
        return true;
    }

    std::mutex mutex_;
    std::uint64_t taken_ = 0; // handlers ever taken from items_
    std::deque<std::pair<std::uint64_t, publish_marker>> markers_; // (taken count that passes it, marker)
    std::deque<std::pair<next_waiter, serialized>> items_; // only ever move-constructed: see sweep(ready_list&&)
    std::vector<std::weak_ptr<publish_window>> windows_;
    int sweeps_ = 0;
    bool closed_ = false;
};

// The owner of a context's sweep queue.
class sweep_queue_service final : public net::execution_context::service {
public:
    using key_type = sweep_queue_service;
    static inline net::execution_context::id id;

    explicit sweep_queue_service(net::execution_context& context)
        : net::execution_context::service(context)
        , queue(std::make_shared<sweep_queue>())
    {
    }

    std::shared_ptr<sweep_queue> const queue;

private:
    void shutdown() override { queue->shutdown(context()); }
};

inline sweep_queue& sweep_queue::of(net::execution_context& context)
{
    return *net::use_service<sweep_queue_service>(context).queue;
}

inline std::weak_ptr<sweep_queue> sweep_queue::handle(net::execution_context& context)
{
    return net::use_service<sweep_queue_service>(context).queue;
}

inline void sweep(ready_list&& ready)
{
    if (ready.size() == 1) {
        sweep_queue::add(std::move(ready.front()));
        ready.clear();
        return;
    }
    // Grouped by execution context, keeping each group's order: usually
    // one group. Elements are only ever move-constructed: the move
    // assignment of Asio 1.81's any_completion_handler wraps the handler
    // in itself instead of moving it.
    std::vector<net::execution_context*> contexts;
    std::vector<ready_list> groups;
    for (auto& r : ready) {
        auto* const context = &net::query(r.first.executor, net::execution::context_as<net::execution_context&>);
        auto const it = std::find(contexts.begin(), contexts.end(), context);
        if (it == contexts.end()) {
            bool const first = groups.empty();
            contexts.push_back(context);
            auto& group = groups.emplace_back();
            if (first)
                group.reserve(ready.size());
            group.push_back(std::move(r));
        } else {
            groups[static_cast<std::size_t>(it - contexts.begin())].push_back(std::move(r));
        }
    }
    ready.clear();
    for (std::size_t i = 0; i < groups.size(); ++i) {
        auto const where = sweep_executor(groups[i].front().first.executor);
        sweep_queue::of(*contexts[i]).add(std::move(groups[i]), where);
    }
}

struct complete_ready {
    ready_list& r;

    ~complete_ready()
    {
        if (!r.empty())
            sweep(std::move(r));
    }
};

inline serialized gap_event(broadcaster_options const& o, std::string_view data)
{
    message m;
    error_code ec;
    m.event(o.gap_event).data(data, ec);
    if (ec)
        m.data("");
    return serialized(m);
}

// The topics, and the sink a backend delivers into.
struct broadcast_registry final : backend_sink {
    std::mutex mutex;
    std::map<std::string, std::shared_ptr<broadcast_topic>, std::less<>> topics;

    std::shared_ptr<broadcast_topic> find(std::string_view name)
    {
        std::lock_guard lock(mutex);
        auto it = topics.find(name);
        return it == topics.end() ? nullptr : it->second;
    }

    void deliver(std::string_view name, std::span<backend_event const> events) override
    {
        auto topic = find(name);
        if (!topic)
            return;
        ready_list ready;
        complete_ready completer{ready};
        std::lock_guard lock(topic->mutex);
        auto const& o = topic->options;
        for (auto* s : topic->subscribers) {
            if (s->failed)
                continue;
            for (auto const& e : events) {
                if (s->replaying) {
                    if (s->pending_bytes + e.bytes.size() > o.max_subscriber_bytes) {
                        // Held back too long: the replay could not be
                        // joined to what follows it.
                        s->pending.clear();
                        s->pending_bytes = 0;
                        s->fail(make_error_code(error::slow_subscriber));
                        break;
                    }
                    s->pending.push_back(e);
                    s->pending_bytes += e.bytes.size();
                    continue;
                }
                if (!s->live_after.empty() && !e.id.empty()) {
                    if (!topic->backend->before(s->live_after, e.id))
                        continue; // replayed already
                    s->live_after.clear();
                }
                s->deliver(e.bytes, ready);
            }
        }
    }

    void lost(std::string_view name, std::string_view last_id) override
    {
        auto topic = find(name);
        if (!topic)
            return;
        ready_list ready;
        complete_ready completer{ready};
        std::lock_guard lock(topic->mutex);
        if (topic->options.gap_event.empty())
            return;
        auto const gap = gap_event(topic->options, last_id);
        for (auto* s : topic->subscribers) {
            // A replay on its way finds the loss itself.
            if (!s->replaying)
                s->deliver(gap, ready);
        }
    }
};

// Joins a replay to the live events held back meanwhile.
inline void finish_replay(
    broadcast_subscriber& sub,
    std::string_view after,
    error_code ec,
    backend_replay replay
)
{
    auto& topic = *sub.topic;
    auto const& o = topic.options;
    ready_list ready;
    complete_ready completer{ready};
    std::lock_guard lock(topic.mutex);
    sub.replaying = false;
    auto pending = std::move(sub.pending);
    sub.pending_bytes = 0;
    if (sub.failed)
        return;
    if (ec) {
        sub.fail(ec);
        return;
    }
    if (replay.gap && !o.gap_event.empty())
        sub.deliver(gap_event(o, after), ready);
    // Live events up to the last one replayed are duplicates, and so are
    // those up to the id resumed after (this instance may not have read
    // that far yet): unless it is a gap, that id is one of the backend's.
    std::string last = replay.gap ? std::string() : std::string(after);
    for (auto& e : replay.events) {
        if (!e.id.empty())
            last = e.id;
        sub.deliver(e.bytes, ready);
    }
    for (auto& e : pending) {
        if (!last.empty() && !e.id.empty()) {
            if (!topic.backend->before(last, e.id))
                continue; // in the replay
            last.clear();
        }
        sub.deliver(e.bytes, ready);
    }
    sub.live_after = std::move(last);
}

} // namespace detail

// ------------------------------------------------------------ subscription

inline subscription::~subscription()
{
    if (!sub_)
        return;
    auto topic = sub_->topic;
    bool unused = false;
    // Handlers still waiting (a stream never destroys its source while
    // one is; a user may) are destroyed once the mutex is released: their
    // destructors may take it.
    std::optional<detail::next_waiter> waiting;
    std::optional<detail::waiting_handler<>> failure_waiting;
    {
        std::lock_guard lock(topic->mutex);
        auto& subs = topic->subscribers;
        subs[sub_->index] = subs.back();
        subs[sub_->index]->index = sub_->index;
        subs.pop_back();
        // Moved by construction: Asio 1.81's any_completion_handler
        // cannot be move-assigned.
        if (sub_->waiting) {
            waiting.emplace(std::move(*sub_->waiting));
            sub_->waiting.reset();
        }
        if (sub_->failure_waiting) {
            failure_waiting.emplace(std::move(*sub_->failure_waiting));
            sub_->failure_waiting.reset();
        }
        sub_->clear_queue();
        if (topic->backend && subs.empty())
            topic->backend->unfollow(topic->name);
        unused = subs.empty() && topic->history.empty();
    }
    // A topic without subscribers and without history is freed.
    if (unused) {
        if (auto reg = topic->registry.lock()) {
            std::lock_guard rlock(reg->mutex);
            std::lock_guard tlock(topic->mutex);
            if (topic->subscribers.empty() && topic->history.empty()) {
                auto it = reg->topics.find(topic->name);
                if (it != reg->topics.end() && it->second == topic)
                    reg->topics.erase(it);
            }
        }
    }
}

template <net::completion_token_for<void(error_code, std::optional<serialized>)> CompletionToken>
auto subscription::async_next(CompletionToken&& token)
{
    return net::async_initiate<CompletionToken, void(error_code, std::optional<serialized>)>(
        [this](auto handler) {
            auto slot = net::get_associated_cancellation_slot(handler);
            this->start(detail::next_waiter::make(std::move(handler), slot), slot);
        },
        token
    );
}

inline void subscription::start(detail::next_waiter handler, net::cancellation_slot slot)
{
    auto& topic = *sub_->topic;
    std::unique_lock lock(topic.mutex);
    auto* const context = &net::query(handler.executor, net::execution::context_as<net::execution_context&>);
    if (context != sub_->context || sub_->turns.expired()) {
        sub_->context = context;
        sub_->turns = detail::sweep_queue::handle(*context);
    }
    if (sub_->failed)
        return std::move(handler).post(sub_->failed, std::nullopt);
    if (sub_->queued() != 0) {
        // A backlog is taken in turn, behind the subscribers of the same
        // context that an event woke before: a stream that comes back from
        // its write to find more would otherwise go round again and again
        // ahead of them.
        std::pair<detail::next_waiter, serialized> item(std::move(handler), sub_->pop());
        lock.unlock();
        return detail::sweep_queue::add(std::move(item));
    }
    sub_->waiting.emplace(std::move(handler));
    if (slot.is_connected()) {
        // Runs on the waiting operation's executor. A wait a publisher
        // already completed is no longer waiting: nothing to do.
        slot.assign([sub = sub_](net::cancellation_type) {
            std::lock_guard lock(sub->topic->mutex);
            if (sub->waiting)
                sub->complete(net::error::operation_aborted, std::nullopt);
        });
    }
}

template <net::completion_token_for<void(error_code)> CompletionToken>
auto subscription::async_wait_failure(CompletionToken&& token)
{
    return net::async_initiate<CompletionToken, void(error_code)>(
        [this](auto handler) {
            auto slot = net::get_associated_cancellation_slot(handler);
            this->wait_failure(detail::waiting_handler<>::make(std::move(handler), slot), slot);
        },
        token
    );
}

inline void subscription::wait_failure(detail::waiting_handler<> handler, net::cancellation_slot slot)
{
    std::lock_guard lock(sub_->topic->mutex);
    if (sub_->failed)
        return std::move(handler).post(sub_->failed);
    SSE_ASSERT(!sub_->failure_waiting); // one wait at a time
    sub_->failure_waiting.emplace(std::move(handler));
    if (slot.is_connected()) {
        // Runs on the waiting operation's executor, as for async_next.
        slot.assign([sub = sub_](net::cancellation_type) {
            std::lock_guard lock(sub->topic->mutex);
            sub->complete_failure_wait(net::error::operation_aborted);
        });
    }
}

inline bool subscription::reports_failure() const noexcept
{
    // Both are the topic's from its creation on.
    auto const& topic = *sub_->topic;
    return topic.options.slow_policy == slow_subscriber_policy::disconnect || topic.backend != nullptr;
}

inline std::size_t subscription::try_take(std::vector<serialized>& out, std::size_t max_bytes)
{
    std::lock_guard lock(sub_->topic->mutex);
    std::size_t n = 0;
    std::size_t bytes = 0;
    while (sub_->queued() != 0 && (n == 0 || bytes + sub_->queue[sub_->head].size() <= max_bytes)) {
        bytes += sub_->queue[sub_->head].size();
        out.push_back(sub_->pop());
        ++n;
    }
    return n;
}

inline std::size_t subscription::queued() const
{
    std::lock_guard lock(sub_->topic->mutex);
    return sub_->queued();
}

// ------------------------------------------------------------- broadcaster

inline broadcaster::broadcaster(broadcaster_options options)
    : options_(std::move(options))
    , registry_(std::make_shared<detail::broadcast_registry>())
{
    if (options_.publish_ahead != 0)
        window_ = std::make_shared<detail::publish_window>(options_.publish_ahead);
}

inline broadcaster::broadcaster(broadcaster_options options, std::shared_ptr<broadcast_backend> backend)
    : options_(std::move(options))
    , backend_(std::move(backend))
    , registry_(std::make_shared<detail::broadcast_registry>())
{
    if (!backend_)
        throw std::invalid_argument("sse::broadcaster: the backend is null");
    backend_->attach(registry_);
}

inline broadcaster::~broadcaster()
{
    if (backend_)
        backend_->attach({});
}

inline std::shared_ptr<detail::broadcast_topic> broadcaster::find(std::string_view name, bool create)
{
    std::lock_guard lock(registry_->mutex);
    auto& topics = registry_->topics;
    auto it = topics.find(name);
    if (it != topics.end())
        return it->second;
    if (!create)
        return nullptr;
    auto t = std::make_shared<detail::broadcast_topic>();
    t->name = std::string(name);
    t->options = options_;
    t->registry = registry_;
    t->backend = backend_;
    topics.emplace(t->name, t);
    return t;
}

template <class Allocator>
std::string broadcaster::publish(std::string_view topic_name, basic_message<Allocator> const& msg)
{
    if (backend_)
        throw std::logic_error("sse::broadcaster::publish: the backend gives ids asynchronously, use async_publish");
    return publish_waking(topic_name, msg, nullptr);
}

template <class Allocator>
std::string broadcaster::publish_waking(std::string_view topic_name, basic_message<Allocator> const& msg, std::vector<std::shared_ptr<detail::sweep_queue>>* queues)
{
    auto topic = find(topic_name, true);
    // Waiting subscribers are completed after the mutex is released (by a
    // sweep), so their streams can take from the topic meanwhile.
    detail::ready_list ready;
    detail::complete_ready completer{ready};
    std::lock_guard lock(topic->mutex);

    // The id: the message's own, or the next of the topic for an event.
    std::string id;
    serialized bytes;
    if (auto const given = msg.id()) {
        id = std::string(*given);
        bytes = serialized(msg);
    } else if (msg.data()) {
        char buf[24];
        auto const r = std::to_chars(buf, buf + sizeof buf, ++topic->next_id);
        id.assign(buf, r.ptr);
        // "id: N\n" first, then the message: order within a block is free.
        std::size_t const n = 5 + id.size() + msg.serialized_size();
        bytes = serialized::build(n, [&](char* p) {
            std::memcpy(p, "id: ", 4);
            std::memcpy(p + 4, id.data(), id.size());
            p[4 + id.size()] = '\n';
            msg.serialize(p + 5 + id.size());
        });
    } else {
        bytes = serialized(msg);
    }
    if (bytes.empty())
        return id;

    // The history keeps events with ids, bounded by count and by bytes.
    if (!id.empty() || msg.id()) {
        topic->history.push_back({id, bytes, {topic->next_id, !msg.id()}});
        topic->history_bytes += bytes.size();
        auto const& o = topic->options;
        while (!topic->history.empty() &&
               (topic->history.size() > o.history_count || topic->history_bytes > o.history_bytes)) {
            topic->history_bytes -= topic->history.front().bytes.size();
            topic->last_dropped = topic->history.front().position;
            topic->history.pop_front();
        }
    }
    for (auto* s : topic->subscribers)
        s->deliver(bytes, ready);
    if (queues) {
        // Usually one context: a subscriber's queue is compared with the
        // one before, by owner.
        std::weak_ptr<detail::sweep_queue> const* last = nullptr;
        for (auto const* s : topic->subscribers) {
            if (last && detail::same_owner(s->turns, *last))
                continue;
            last = &s->turns;
            if (std::find_if(queues->begin(), queues->end(), [&](auto const& q) { return detail::same_owner(q, s->turns); }) != queues->end())
                continue;
            if (auto q = s->turns.lock())
                queues->push_back(std::move(q));
        }
    }
    return id;
}

template <class Allocator, net::completion_token_for<void(error_code, std::string)> CompletionToken>
auto broadcaster::async_publish(std::string_view topic, basic_message<Allocator> const& msg, CompletionToken&& token)
{
    // Everything is taken from the message now: a deferred operation holds
    // no reference to it.
    error_code ec;
    std::string id;
    serialized bytes;
    std::uint64_t number = 0; // with publish_ahead
    if (!backend_ && window_) {
        // It is handed out once the sweep queue of every context its
        // subscribers wait on has run the turns queued before it.
        std::vector<std::shared_ptr<detail::sweep_queue>> queues;
        id = publish_waking(topic, msg, &queues);
        detail::publish_marker marker{window_, 0, nullptr};
        if (queues.size() > 1)
            marker.queues = std::make_shared<std::atomic<std::size_t>>(queues.size());
        number = marker.number = window_->make(); // nothing between here and the markers throws but add_marker
        // The markers not queued pass here, once each, after the loop:
        // also those an exception (an allocation failure) left unqueued,
        // so that the window goes on.
        std::size_t unqueued = 0;
        std::size_t i = 0;
        try {
            for (; i < queues.size(); ++i) {
                if (!queues[i]->add_marker(marker))
                    ++unqueued;
            }
        } catch (...) {
            for (unqueued += queues.size() - i; unqueued != 0; --unqueued)
                marker.passed();
            throw;
        }
        for (; unqueued != 0; --unqueued)
            marker.passed();
        if (queues.empty())
            window_->handed_out(number);
    } else if (!backend_)
        id = publish(topic, msg);
    else if (msg.id())
        ec = error::id_not_allowed;
    else
        bytes = serialized(msg);
    return net::async_initiate<CompletionToken, void(error_code, std::string)>(
        [](auto handler,
           std::shared_ptr<broadcast_backend> const& backend,
           std::shared_ptr<detail::publish_window> const& window,
           std::string const& topic,
           error_code ec,
           std::string id,
           serialized bytes,
           bool with_id,
           std::size_t keep,
           std::uint64_t number) {
            if (!backend && window) {
                // A context that shut down destroys the handler, not runs it.
                if (detail::sweep_queue::of(detail::handler_executor(handler)).watch(window))
                    window->start(number, std::move(handler), std::move(id), window);
            } else if (!backend || ec || bytes.empty()) {
                auto ex = detail::handler_executor(handler);
                net::post(ex, net::append(std::move(handler), ec, std::move(id)));
            } else {
                // The backend completes on a thread of its own: the handler
                // is posted from there to its executor.
                backend->async_append(
                    topic,
                    std::move(bytes),
                    with_id,
                    keep,
                    [h = std::move(handler)](error_code ec, std::string id) mutable {
                        auto ex = detail::handler_executor(h);
                        net::post(ex, net::append(std::move(h), ec, std::move(id)));
                    }
                );
            }
        },
        token,
        backend_,
        window_,
        std::string(topic),
        ec,
        std::move(id),
        std::move(bytes),
        msg.data().has_value(),
        options_.history_count,
        number
    );
}

inline subscription broadcaster::subscribe(std::string_view topic_name, std::optional<std::string_view> last_event_id)
{
    auto topic = find(topic_name, true);
    auto sub = std::make_shared<detail::broadcast_subscriber>();
    sub->topic = topic;
    if (backend_) {
        {
            std::lock_guard lock(topic->mutex);
            sub->index = topic->subscribers.size();
            topic->subscribers.push_back(sub.get());
            // Under the mutex: follows and unfollows reach the backend in order.
            if (topic->subscribers.size() == 1)
                backend_->follow(topic->name);
            sub->replaying = last_event_id.has_value();
        }
        if (last_event_id) {
            // Asked after the subscriber joined: the replay reaches at least
            // as far as the first live event it holds back.
            backend_->async_replay(
                topic->name,
                *last_event_id,
                options_.history_count,
                [weak = std::weak_ptr<detail::broadcast_subscriber>(sub),
                 after = std::string(*last_event_id)](error_code ec, backend_replay replay) {
                    if (auto s = weak.lock())
                        detail::finish_replay(*s, after, ec, std::move(replay));
                }
            );
        }
        return subscription(std::move(sub));
    }
    std::lock_guard lock(topic->mutex);
    if (last_event_id) {
        auto const& o = topic->options;
        auto const& h = topic->history;
        auto it = h.end();
        bool gap = false;
        std::optional<std::uint64_t> k;
        if (o.resume == resume_mode::after_id)
            k = detail::decimal_id(*last_event_id);
        if (k) {
            // Positions only grow along the history: the first event after
            // K is found by bisection, and K's successors were dropped when
            // the newest event dropped is one of them.
            it = std::partition_point(h.begin(), h.end(), [&](auto const& e) { return !e.position.after(*k); });
            gap = topic->last_dropped && topic->last_dropped->after(*k);
        } else {
            for (auto i = h.size(); i-- > 0;) {
                if (h[i].id == *last_event_id) {
                    it = h.begin() + static_cast<std::ptrdiff_t>(i) + 1;
                    break;
                }
            }
            if (it == h.end() && (h.empty() || h.back().id != *last_event_id)) {
                // Older than the history, or unknown: say so, then all we have.
                gap = true;
                it = h.begin();
            }
        }
        if (gap && !o.gap_event.empty()) {
            sub->queue.push_back(detail::gap_event(o, *last_event_id));
            sub->bytes += sub->queue.back().size();
        }
        for (; it != h.end(); ++it) {
            sub->queue.push_back(it->bytes);
            sub->bytes += it->bytes.size();
        }
    }
    sub->index = topic->subscribers.size();
    topic->subscribers.push_back(sub.get());
    return subscription(std::move(sub));
}

template <net::completion_token_for<void(error_code, subscription)> CompletionToken>
auto broadcaster::async_subscribe(std::string_view topic, std::optional<std::string_view> last_event_id, CompletionToken&& token)
{
    // Subscribed now; a deferred operation holds no reference to the arguments.
    auto sub = subscribe(topic, last_event_id);
    return net::async_initiate<CompletionToken, void(error_code, subscription)>(
        [](auto handler, std::shared_ptr<broadcast_backend> const& backend, std::string const& topic, subscription sub) {
            if (!backend) {
                auto ex = detail::handler_executor(handler);
                net::post(ex, net::append(std::move(handler), error_code(), std::move(sub)));
                return;
            }
            // The backend completes on a thread of its own: the handler is
            // posted from there to its executor.
            backend->async_live(topic, [h = std::move(handler), sub = std::move(sub)](error_code ec) mutable {
                auto ex = detail::handler_executor(h);
                net::post(ex, net::append(std::move(h), ec, std::move(sub)));
            });
        },
        token,
        backend_,
        std::string(topic),
        std::move(sub)
    );
}

template <class Body, class Fields, net::completion_token_for<void(error_code, subscription)> CompletionToken>
auto broadcaster::async_subscribe(beast::http::request<Body, Fields> const& request, std::string_view topic, CompletionToken&& token)
{
    if (!options_.last_event_id_param)
        return async_subscribe(topic, sse::last_event_id(request), std::forward<CompletionToken>(token));
    auto const id = sse::last_event_id(request, *options_.last_event_id_param);
    return async_subscribe(topic, id ? std::optional<std::string_view>(*id) : std::nullopt, std::forward<CompletionToken>(token));
}

template <class Body, class Fields>
subscription broadcaster::subscribe(beast::http::request<Body, Fields> const& request, std::string_view topic)
{
    if (!options_.last_event_id_param)
        return subscribe(topic, sse::last_event_id(request));
    auto const id = sse::last_event_id(request, *options_.last_event_id_param);
    return subscribe(topic, id ? std::optional<std::string_view>(*id) : std::nullopt);
}

inline std::size_t broadcaster::subscriber_count(std::string_view name) const
{
    auto topic = const_cast<broadcaster*>(this)->find(name, false);
    if (!topic)
        return 0;
    std::lock_guard lock(topic->mutex);
    return topic->subscribers.size();
}

inline std::size_t broadcaster::topic_count() const
{
    std::lock_guard lock(registry_->mutex);
    return registry_->topics.size();
}

} // namespace sse

#endif
