//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_IMPL_ANY_MESSAGE_SOURCE_HPP
#define SSE_IMPL_ANY_MESSAGE_SOURCE_HPP

#include <sse/detail/handler_executor.hpp>

#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

namespace sse {
namespace detail {

using any_next_completion = net::any_completion_handler<void(error_code, std::optional<serialized>)>;

// The caller's handler with its cancellation slot hidden, so that erasing
// it does not install a cancellation state in the slot: the slot is handed
// to the wrapped source as it is instead. Its executor and allocator show
// through (see the associator specializations below).
template <class Handler>
struct slot_hidden {
    Handler handler;

    template <class... Args>
    void operator()(Args&&... args)
    {
        std::move(handler)(std::forward<Args>(args)...);
    }
};

// The caller's handler, erased, with what the wrapped source needs to see
// of it: its executor (as an any_io_executor, which a source can post to,
// unlike any_completion_executor) and its cancellation slot.
struct any_next_parts {
    net::any_io_executor executor;
    net::cancellation_slot slot;
    any_next_completion handler;
};

// What the handlers a wrapped source sees have in common: the caller's
// executor, cancellation slot and allocator.
template <class Parts>
class any_handler_base {
public:
    using executor_type = net::any_io_executor;
    using cancellation_slot_type = net::cancellation_slot;
    using allocator_type = typename decltype(Parts::handler)::allocator_type;

    explicit any_handler_base(Parts&& parts) noexcept : parts_(std::move(parts)) {}

    executor_type get_executor() const noexcept { return parts_.executor; }
    cancellation_slot_type get_cancellation_slot() const noexcept { return parts_.slot; }
    allocator_type get_allocator() const noexcept { return parts_.handler.get_allocator(); }

protected:
    Parts parts_;
};

// The handler a wrapped source's async_next sees. Messages become
// serialized on the way through.
template <class Item>
class any_next_handler : public any_handler_base<any_next_parts> {
public:
    using any_handler_base::any_handler_base;

    void operator()(error_code ec, std::optional<Item> item)
    {
        if constexpr (std::same_as<Item, serialized>) {
            std::move(parts_.handler)(ec, std::move(item));
        } else {
            std::optional<serialized> s;
            if (item)
                s.emplace(*item);
            item.reset();
            std::move(parts_.handler)(ec, std::move(s));
        }
    }
};

// The same for async_wait_failure.
using any_failure_completion = net::any_completion_handler<void(error_code)>;

struct any_failure_parts {
    net::any_io_executor executor;
    net::cancellation_slot slot;
    any_failure_completion handler;
};

class any_failure_handler : public any_handler_base<any_failure_parts> {
public:
    using any_handler_base::any_handler_base;

    void operator()(error_code ec) { std::move(parts_.handler)(ec); }
};

struct any_source_base {
    virtual ~any_source_base() = default;
    virtual void async_next(any_next_parts&& parts) = 0;
    virtual void async_wait_failure(any_failure_parts&& parts) = 0;
    virtual bool reports_failure() const noexcept = 0;
    virtual std::size_t try_take(std::vector<serialized>& out, std::size_t max_bytes) = 0;
    virtual bool takes_backlog() const noexcept = 0;
};

template <class Source>
class any_source_impl final : public any_source_base {
    using item_type = typename Source::value_type;

public:
    explicit any_source_impl(Source&& source) : source_(std::move(source)) {}

    void async_next(any_next_parts&& parts) override
    {
        source_.async_next(any_next_handler<item_type>(std::move(parts)));
    }

    void async_wait_failure(any_failure_parts&& parts) override
    {
        if constexpr (detail::reports_failure<Source>) {
            source_.async_wait_failure(any_failure_handler(std::move(parts)));
        } else {
            auto ex = parts.executor;
            net::post(ex, [h = std::move(parts.handler)]() mutable {
                std::move(h)(net::error::operation_not_supported);
            });
        }
    }

    bool reports_failure() const noexcept override { return detail::source_reports_failure(source_); }

    bool takes_backlog() const noexcept override
    {
        return requires(Source& s, std::vector<item_type>& v, std::size_t n) {
            { s.try_take(v, n) } -> std::convertible_to<std::size_t>;
        };
    }

    std::size_t try_take(std::vector<serialized>& out, std::size_t max_bytes) override
    {
        if constexpr (requires(std::vector<item_type>& v) {
                          { source_.try_take(v, max_bytes) } -> std::convertible_to<std::size_t>;
                      }) {
            if constexpr (std::same_as<item_type, serialized>) {
                return source_.try_take(out, max_bytes);
            } else {
                std::vector<item_type> items;
                std::size_t const n = source_.try_take(items, max_bytes);
                out.reserve(out.size() + items.size());
                for (auto const& m : items)
                    out.emplace_back(m);
                return n;
            }
        } else {
            (void)out;
            (void)max_bytes;
            return 0;
        }
    }

private:
    Source source_;
};

// Starts `Start` on the wrapped source with the caller's handler erased
// into `Parts`.
template <class Parts, class Completion, void (any_source_base::*Start)(Parts&&)>
struct any_source_initiation {
    any_source_base* source;

    template <class Handler>
    void operator()(Handler&& handler) const
    {
        using handler_type = std::decay_t<Handler>;
        net::any_io_executor ex = detail::handler_executor(handler);
        if constexpr (std::is_same_v<net::associated_cancellation_slot_t<handler_type>, net::cancellation_slot>) {
            // The wrapped source gets the caller's own slot.
            net::cancellation_slot slot = net::get_associated_cancellation_slot(handler);
            (source->*Start)(Parts{std::move(ex), slot, Completion(slot_hidden<handler_type>{std::forward<Handler>(handler)})});
        } else {
            // A slot of another type: the erased handler adapts it, and
            // the wrapped source gets the slot that it forwards to.
            Completion h(std::forward<Handler>(handler));
            net::cancellation_slot slot = h.get_cancellation_slot();
            (source->*Start)(Parts{std::move(ex), slot, std::move(h)});
        }
    }
};

using any_next_initiation = any_source_initiation<any_next_parts, any_next_completion, &any_source_base::async_next>;
using any_failure_initiation =
    any_source_initiation<any_failure_parts, any_failure_completion, &any_source_base::async_wait_failure>;

} // namespace detail

template <class S>
    requires(!std::same_as<std::remove_cvref_t<S>, any_message_source> && adaptable_source<S> &&
             requires(S&& s) { source_adapter<std::remove_cvref_t<S>>::adapt(std::forward<S>(s)); })
any_message_source::any_message_source(S&& source)
    : impl_(std::make_unique<detail::any_source_impl<source_for_t<S>>>(as_source(std::forward<S>(source))))
{
}

inline any_message_source::any_message_source(any_message_source&&) noexcept = default;
inline any_message_source& any_message_source::operator=(any_message_source&&) noexcept = default;
inline any_message_source::~any_message_source() = default;

template <net::completion_token_for<void(error_code, std::optional<serialized>)> CompletionToken>
auto any_message_source::async_next(CompletionToken&& token)
{
    SSE_ASSERT(impl_); // not moved from
    return net::async_initiate<CompletionToken, void(error_code, std::optional<serialized>)>(
        detail::any_next_initiation{impl_.get()}, token
    );
}

template <net::completion_token_for<void(error_code)> CompletionToken>
auto any_message_source::async_wait_failure(CompletionToken&& token)
{
    SSE_ASSERT(impl_); // not moved from
    return net::async_initiate<CompletionToken, void(error_code)>(detail::any_failure_initiation{impl_.get()}, token);
}

inline bool any_message_source::reports_failure() const noexcept
{
    SSE_ASSERT(impl_); // not moved from
    return impl_->reports_failure();
}

inline bool any_message_source::takes_backlog() const noexcept
{
    SSE_ASSERT(impl_); // not moved from
    return impl_->takes_backlog();
}

inline std::size_t any_message_source::try_take(std::vector<serialized>& out, std::size_t max_bytes)
{
    SSE_ASSERT(impl_); // not moved from
    return impl_->try_take(out, max_bytes);
}

} // namespace sse

template <class Handler, class Executor>
struct boost::asio::associated_executor<sse::detail::slot_hidden<Handler>, Executor>
    : boost::asio::associated_executor<Handler, Executor> {
    static auto get(sse::detail::slot_hidden<Handler> const& h) noexcept
    {
        return boost::asio::associated_executor<Handler, Executor>::get(h.handler);
    }
    static auto get(sse::detail::slot_hidden<Handler> const& h, Executor const& ex) noexcept
    {
        return boost::asio::associated_executor<Handler, Executor>::get(h.handler, ex);
    }
};

template <class Handler, class Allocator>
struct boost::asio::associated_allocator<sse::detail::slot_hidden<Handler>, Allocator>
    : boost::asio::associated_allocator<Handler, Allocator> {
    static auto get(sse::detail::slot_hidden<Handler> const& h) noexcept
    {
        return boost::asio::associated_allocator<Handler, Allocator>::get(h.handler);
    }
    static auto get(sse::detail::slot_hidden<Handler> const& h, Allocator const& a) noexcept
    {
        return boost::asio::associated_allocator<Handler, Allocator>::get(h.handler, a);
    }
};

#endif
