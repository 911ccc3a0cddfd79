//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_DETAIL_DEADLINE_QUEUE_HPP
#define SSE_DETAIL_DEADLINE_QUEUE_HPP

// One timer for every deadline of an execution context: heartbeats, send
// timeouts, the HTTP/1 session's idle, request and write timeouts, the
// server's handshake and linger limits. An operation embeds a
// deadline_entry (a node of an intrusive tree ordered by expiry: no
// allocation, no timer object and no pending wait operation of its own) and
// arms it; one net::steady_timer per execution context waits for the
// earliest. With 10,000 idle streams that is one timer and one pending wait
// instead of 10,000 of each.
//
// Threads: entries are armed and cancelled from their owners' executors
// (each connection's strand) and fall due on whichever thread runs the
// queue's timer: the queue holds a mutex for the tree and for its timer.
// An armed entry's owner is told once per arming, from under that mutex,
// either that the entry fell due or (when the execution context shuts down)
// that it was dropped; it never learns it from its own executor, so it
// posts itself there (op_timer below does it for a composed operation).

#include <sse/detail/config.hpp>
#include <sse/detail/counted_ref.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/intrusive/set.hpp>

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace sse::detail {

class deadline_queue;

// One deadline, embedded in its owner. Armed at most once at a time.
class deadline_entry {
public:
    using clock = std::chrono::steady_clock;
    using time_point = clock::time_point;

    // How an armed entry ends, when it does not end by cancel().
    enum class outcome {
        due,     // it fell due: called on the queue's thread, under its lock
        dropped, // the execution context shuts down: called as it does, with no thread running it
    };

    // Told once per arming that did not end by cancel(). It must not call
    // back into the queue (its lock is held) nor throw.
    using notify_fn = void (*)(deadline_entry&, outcome) noexcept;

    explicit deadline_entry(notify_fn notify) noexcept : notify_(notify) {}

    deadline_entry(deadline_entry const&) = delete;
    deadline_entry& operator=(deadline_entry const&) = delete;

private:
    friend class deadline_queue;

    using hook_type = boost::intrusive::set_member_hook<
        boost::intrusive::link_mode<boost::intrusive::safe_link>,
        boost::intrusive::optimize_size<true>>;

    hook_type hook_;
    time_point expiry_{};
    notify_fn notify_;
};

// The queue of an execution context: net::use_service<deadline_queue>(ctx),
// or deadline_queue::of(executor).
class deadline_queue final : public net::execution_context::service {
public:
    using key_type = deadline_queue;
    using clock = deadline_entry::clock;
    using time_point = deadline_entry::time_point;

    static inline net::execution_context::id id;

    explicit deadline_queue(net::execution_context& ctx) : net::execution_context::service(ctx) {}

    ~deadline_queue() override { SSE_ASSERT(tree_.empty()); }

    // The queue of the execution context of `ex`.
    template <class Executor>
    static deadline_queue& of(Executor const& ex)
    {
        return net::use_service<deadline_queue>(net::query(ex, net::execution::context));
    }

    /** Arms `e`, which is not armed, to fall due at `t`. `ex` is an
        executor of this queue's context: the first one given makes the
        queue's timer (an io_context's own executor when `ex` is a strand
        of one, so that the timer is nobody's strand).

        Returns false, arming nothing, once the context is shutting down.
    */
    template <class Executor>
    bool arm(deadline_entry& e, time_point t, Executor const& ex)
    {
        std::lock_guard lock(mutex_);
        SSE_ASSERT(!e.hook_.is_linked());
        if (shut_down_)
            return false;
        if (!timer_)
            timer_.emplace(timer_executor(ex));
        e.expiry_ = t;
        tree_.insert(e);
        schedule();
        return true;
    }

    /** Disarms `e`. Returns true if it was armed: its owner is not told.
        False if it was not, or already fell due (its owner is told, or
        was).
    */
    bool cancel(deadline_entry& e) noexcept
    {
        std::lock_guard lock(mutex_);
        if (!e.hook_.is_linked())
            return false;
        tree_.erase(tree_.iterator_to(e));
        if (tree_.empty() && waits_ != 0) {
            // Nothing to wait for: the pending wait must not keep the
            // context's run() going until it expires.
            timer_->cancel();
        }
        return true;
    }

    // How many entries are armed (for tests).
    std::size_t size() const
    {
        std::lock_guard lock(mutex_);
        return tree_.size();
    }

private:
    struct by_expiry {
        bool operator()(deadline_entry const& a, deadline_entry const& b) const noexcept
        {
            return a.expiry_ < b.expiry_;
        }
    };

    using tree_type = boost::intrusive::multiset<
        deadline_entry,
        boost::intrusive::member_hook<deadline_entry, deadline_entry::hook_type, &deadline_entry::hook_>,
        boost::intrusive::compare<by_expiry>,
        boost::intrusive::constant_time_size<true>>;

    using timer_type = net::steady_timer;

    // An executor for the queue's timer: the context's own when `ex` is a
    // strand of an io_context.
    template <class Executor>
    static net::any_io_executor timer_executor(Executor const& ex)
    {
        net::any_io_executor any(ex);
        if (auto const* s = any.target<net::strand<net::io_context::executor_type>>())
            return s->get_inner_executor();
        return any;
    }

    struct wait_handler {
        deadline_queue* queue;
        void operator()(error_code) const { queue->on_wait(); }
    };

    // Under the lock: one wait outstanding for the earliest expiry.
    void schedule()
    {
        if (tree_.empty())
            return;
        time_point const first = tree_.begin()->expiry_;
        if (waits_ != 0 && waiting_for_ <= first)
            return; // the wait out falls due first
        // Moves the wait (those out complete as cancelled, and count down).
        timer_->expires_at(first);
        timer_->async_wait(wait_handler{this});
        ++waits_;
        waiting_for_ = first;
    }

    void on_wait()
    {
        std::lock_guard lock(mutex_);
        --waits_;
        if (shut_down_)
            return;
        auto const now = clock::now();
        while (!tree_.empty() && tree_.begin()->expiry_ <= now) {
            deadline_entry& e = *tree_.begin();
            tree_.erase(tree_.begin());
            e.notify_(e, deadline_entry::outcome::due);
        }
        schedule();
    }

    void shutdown() override
    {
        std::vector<deadline_entry*> armed;
        {
            std::lock_guard lock(mutex_);
            shut_down_ = true;
            armed.reserve(tree_.size());
            while (!tree_.empty()) {
                armed.push_back(&*tree_.begin());
                tree_.erase(tree_.begin());
            }
        }
        // Outside the lock: an owner may be destroyed as it lets go.
        for (auto* e : armed)
            e->notify_(*e, deadline_entry::outcome::dropped);
        std::lock_guard lock(mutex_);
        timer_.reset();
    }

    mutable std::mutex mutex_;
    tree_type tree_;
    std::optional<timer_type> timer_;
    time_point waiting_for_{};
    std::size_t waits_ = 0; // waits out, cancelled ones included
    bool shut_down_ = false;
};

// A deadline of a composed operation `Op` that is counted by counted_ref
// (add_ref/release_ref, used only on its executor): while armed it holds
// a reference to the operation. When it falls due or is cancelled the
// operation gets `Handler{ref}` posted to its executor (as a timer's wait
// handler would be, whatever the outcome); dropped at shutdown, the
// reference is let go.
template <class Op, class Handler>
class op_timer final : private deadline_entry {
public:
    using time_point = deadline_entry::time_point;

    template <class Executor>
    op_timer(Op& op, Executor const& ex)
        : deadline_entry(&op_timer::notify)
        , op_(&op)
        , queue_(&deadline_queue::of(ex))
    {
    }

    // On the operation's executor.
    void arm(time_point t)
    {
        op_->add_ref();
        if (!queue_->arm(*this, t, op_->get_executor()))
            op_->release_ref(); // shutting down: never falls due
    }

    // On the operation's executor: it falls due at once (the handler is
    // posted), unless it already has.
    void cancel()
    {
        if (queue_->cancel(*this))
            post_due(*op_);
    }

private:
    static void post_due(Op& op) noexcept
    {
        // The reference the entry held goes with the handler.
        net::post(op.get_executor(), Handler{counted_ref<Op>(&op, adopt_ref)});
    }

    static void notify(deadline_entry& e, outcome o) noexcept
    {
        auto& self = static_cast<op_timer&>(e);
        if (o == outcome::due)
            post_due(*self.op_);
        else
            self.op_->release_ref();
    }

    Op* op_;
    deadline_queue* queue_;
};

} // namespace sse::detail

#endif
