//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_DETAIL_ASYNC_OP_HPP
#define SSE_DETAIL_ASYNC_OP_HPP

// The base of the library's self-owning composed operations (a stream, an
// HTTP/1 or HTTP/2 connection). Unlike Beast's async_base, whose operation
// is one chain of steps, these run several sub-operations at once (a
// source, a write, a read, a timer): each pending sub-operation's handler
// holds a counted reference, and the operation frees itself with the last.
//
// What the base does, once for all of them:
// - allocates the operation with the completion handler's associated
//   allocator, and frees it with the same;
// - keeps outstanding work on the handler's executor until completion
//   (unless the handler says that it runs on the operation's own
//   executor: then the operation's pending sub-operations keep that work);
// - installs the caller's cancellation handler in the handler's slot, and
//   clears it before completing;
// - gives the sub-operations' handlers the I/O executor and the handler's
//   allocator (op_handler; for those that may wait long, exact_allocator
//   when the handler has none of its own), through a counted reference to
//   the operation or to a base of it that does not depend on the handler;
// - completes by a post to the handler's executor, after the operation's
//   memory is freed: never inside the initiating function.

#include <sse/detail/config.hpp>
#include <sse/detail/counted_ref.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/prefer.hpp>

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace sse::detail {

// Memory of exactly the size asked for, from operator new: what the
// sub-operations of a composed operation that may wait long get when its
// caller's handler has no allocator of its own. Asio's default (a recycled
// block per thread, taken by whatever asks next, however much smaller)
// lets a wait that lasts (an idle stream's read) keep a block the size of
// the largest operation before it (a header write: nearly 1 KiB); malloc's
// own size classes recycle without that waste.
template <class T>
class exact_allocator {
public:
    using value_type = T;

    exact_allocator() noexcept = default;
    template <class U>
    exact_allocator(exact_allocator<U> const&) noexcept
    {
    }

    T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
    void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>().deallocate(p, n); }

    template <class U>
    bool operator==(exact_allocator<U> const&) const noexcept
    {
        return true;
    }
};

// The allocator for sub-operations given a completion handler's.
template <class Allocator>
using sub_allocator_t =
    std::conditional_t<std::is_same_v<Allocator, std::allocator<void>>, exact_allocator<void>, Allocator>;

// Whether a completion handler runs on the executor of the operation it
// completes (a sub-operation handler of an operation on the same stream,
// the server's own connection handlers): it declares a type
// `io_executor_handler`. The operation then keeps no work guard of its own.
template <class Handler>
concept io_executor_handler = requires { typename Handler::io_executor_handler; };

// A cancellation signal for a sub-operation whose memory can be let go.
// Asio keeps a block for the handler that a slot holds from its first use
// until the signal's end; an operation that lasts (an idle stream) lets go
// of the blocks of sub-operations it no longer runs. release() only while
// no sub-operation that was given slot() is pending.
class op_signal {
public:
    net::cancellation_slot slot() noexcept { return signal_.slot(); }
    void emit(net::cancellation_type type) { signal_.emit(type); }

    // A new signal in place of the old: no handler, no memory.
    void release() noexcept
    {
        signal_.~cancellation_signal();
        ::new (static_cast<void*>(&signal_)) net::cancellation_signal();
    }

private:
    net::cancellation_signal signal_;
};

// The base of a sub-operation's handler: a counted reference to the
// operation `Op` that runs the sub-operation, its I/O executor (Op's
// get_executor(), its stream's: not stored twice) and the completion
// handler's allocator. One pointer: moving it through an operation's
// layers copies nothing else. `Op` may be the operation or a base of it
// that does not depend on the completion handler, so that what the
// sub-operations instantiate is shared by every completion handler.
//
// `Waits`: the sub-operation may wait long (a read for the peer's next
// bytes, a source's next message): its memory comes from exact_allocator
// when the completion handler has no allocator of its own, so that it
// holds no larger recycled block while it waits. The others (writes,
// posts) recycle Asio's per-thread blocks, the fastest for what ends soon.
template <class Op, class Executor, class Allocator, bool Waits>
struct op_handler {
    counted_ref<Op> self;

    using executor_type = Executor;
    executor_type get_executor() const noexcept { return self.p->get_executor(); }

    using allocator_type = std::conditional_t<Waits, sub_allocator_t<Allocator>, Allocator>;
    allocator_type get_allocator() const noexcept
    {
        if constexpr (std::is_same_v<allocator_type, Allocator>)
            return self.p->get_allocator();
        else
            return allocator_type();
    }

    // It runs on the I/O executor of the operations it completes: they
    // are on the operation's stream.
    using io_executor_handler = void;
};

// A sub-operation's handler that also answers for a cancellation slot: the
// signal (a net::cancellation_signal or an op_signal member of Op) that the
// operation emits to cancel that sub-operation.
template <class Op, class Executor, class Allocator, auto Signal, bool Waits>
struct op_cancellable_handler : op_handler<Op, Executor, Allocator, Waits> {
    using cancellation_slot_type = net::cancellation_slot;
    cancellation_slot_type get_cancellation_slot() const noexcept { return (this->self.p->*Signal).slot(); }
};

template <class Derived, class Handler, class Executor>
class async_op {
    using handler_executor = net::associated_executor_t<Handler, Executor>;
    struct no_work {};
    using work_type = std::conditional_t<
        io_executor_handler<Handler>,
        no_work,
        std::decay_t<
            decltype(net::prefer(std::declval<handler_executor>(), net::execution::outstanding_work.tracked))>>;
    using rebound_allocator = typename std::allocator_traits<
        net::associated_allocator_t<Handler>>::template rebind_alloc<Derived>;
    using allocator_traits = std::allocator_traits<rebound_allocator>;

public:
    using executor_type = Executor;
    using allocator_type = net::associated_allocator_t<Handler>;
    using ref = counted_ref<Derived>;

    // Makes the operation in memory from the handler's allocator. It owns
    // itself from then on: call its start, which takes the first reference.
    template <class... Args>
    static Derived* create(Handler&& handler, Executor const& ex, Args&&... args)
    {
        rebound_allocator alloc(net::get_associated_allocator(handler));
        Derived* p = allocator_traits::allocate(alloc, 1);
        try {
            ::new (static_cast<void*>(p)) Derived(std::move(handler), ex, std::forward<Args>(args)...);
        } catch (...) {
            allocator_traits::deallocate(alloc, p, 1);
            throw;
        }
        return p;
    }

    allocator_type get_allocator() const noexcept { return allocator_; }

    // The bases of the sub-operations' handlers (op_handler), which refer
    // to the operation itself.
    template <bool Waits>
    using basic_sub_handler = op_handler<Derived, Executor, allocator_type, Waits>;
    using sub_handler = basic_sub_handler<false>;
    using waiting_handler = basic_sub_handler<true>;
    template <auto Signal, bool Waits = false>
    using cancellable_handler = op_cancellable_handler<Derived, Executor, allocator_type, Signal, Waits>;

protected:
    async_op(Handler&& handler, Executor const& ex)
        : handler_(std::move(handler))
        , allocator_(net::get_associated_allocator(handler_))
        , work_(make_work(handler_, ex))
    {
    }

    ~async_op() = default;

    Handler& handler() noexcept { return handler_; }

    // Calls f(cancellation_type) when the caller cancels, if its handler
    // has a slot.
    template <class F>
    void on_cancellation(F&& f)
    {
        auto slot = net::get_associated_cancellation_slot(handler_);
        if (slot.is_connected())
            slot.assign(std::forward<F>(f));
    }

    // The caller's cancellation handler is removed (before giving up the
    // completion handler uninvoked, or before completing).
    void clear_cancellation()
    {
        auto slot = net::get_associated_cancellation_slot(handler_);
        if (slot.is_connected())
            slot.clear();
    }

    // Completes with args, posted to the handler's executor: the
    // operation's memory goes with the reference held by the caller of
    // complete(), before the handler runs (Asio's rule: deallocate before
    // the upcall, so that the handler may reuse or free the allocator's
    // memory).
    template <class... Args>
    void complete(Args&&... args)
    {
        clear_cancellation();
        Handler h = std::move(handler_);
        if constexpr (io_executor_handler<Handler>) {
            auto const ex = net::get_associated_executor(h, static_cast<Derived*>(this)->get_executor());
            net::post(ex, net::append(std::move(h), std::forward<Args>(args)...));
        } else {
            work_type work = std::move(work_);
            net::post(work, net::append(std::move(h), std::forward<Args>(args)...));
        }
    }

public:
    // For counted_ref.
    void add_ref() noexcept { ++refs_; }
    void release_ref() noexcept
    {
        if (--refs_ != 0)
            return;
        auto* self = static_cast<Derived*>(this);
        rebound_allocator alloc(allocator_);
        self->~Derived();
        allocator_traits::deallocate(alloc, self, 1);
    }

private:
    static work_type make_work(Handler const& handler, Executor const& ex)
    {
        if constexpr (io_executor_handler<Handler>)
            return {};
        else
            return net::prefer(net::get_associated_executor(handler, ex), net::execution::outstanding_work.tracked);
    }

    Handler handler_;
    [[no_unique_address]] allocator_type allocator_;
    [[no_unique_address]] work_type work_;
    std::size_t refs_ = 0;
};

} // namespace sse::detail

#endif
