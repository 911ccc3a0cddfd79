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
// - keeps outstanding work on the handler's executor until completion;
// - installs the caller's cancellation handler in the handler's slot, and
//   clears it before completing;
// - gives the sub-operations' handlers the I/O executor and the handler's
//   allocator (sub_handler);
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

template <class Derived, class Handler, class Executor>
class async_op {
    using handler_executor = net::associated_executor_t<Handler, Executor>;
    using work_type =
        std::decay_t<decltype(net::prefer(std::declval<handler_executor>(), net::execution::outstanding_work.tracked))>;
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

    // The base of each sub-operation's handler: a counted reference to the
    // operation, its I/O executor (the derived operation's get_executor(),
    // its stream's: not stored twice) and the completion handler's
    // allocator.
    // One pointer: moving it through an operation's layers copies nothing
    // else.
    struct sub_handler {
        ref self;

        using executor_type = Executor;
        executor_type get_executor() const noexcept { return self.p->get_executor(); }

        using allocator_type = typename async_op::allocator_type;
        allocator_type get_allocator() const noexcept { return self.p->get_allocator(); }
    };

    // A sub-operation's handler that also answers for a cancellation slot:
    // the signal the operation emits to cancel that sub-operation.
    template <net::cancellation_signal Derived::*Signal>
    struct cancellable_handler : sub_handler {
        using cancellation_slot_type = net::cancellation_slot;
        cancellation_slot_type get_cancellation_slot() const noexcept { return (this->self.p->*Signal).slot(); }
    };

protected:
    async_op(Handler&& handler, Executor const& ex)
        : handler_(std::move(handler))
        , allocator_(net::get_associated_allocator(handler_))
        , work_(net::prefer(net::get_associated_executor(handler_, ex), net::execution::outstanding_work.tracked))
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
        work_type work = std::move(work_);
        net::post(work, net::append(std::move(h), std::forward<Args>(args)...));
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
    Handler handler_;
    [[no_unique_address]] allocator_type allocator_;
    work_type work_;
    std::size_t refs_ = 0;
};

} // namespace sse::detail

#endif
