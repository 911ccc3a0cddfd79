//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_SOURCES_IMPL_PIPE_HPP
#define SSE_SOURCES_IMPL_PIPE_HPP

#include <sse/detail/handler_executor.hpp>
#include <sse/error.hpp>
#include <sse/sources/any.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstring>
#include <mutex>

namespace sse {
namespace detail {

// Bytes appended at the end and taken from the front, without the
// zero-fill of std::string::resize.
class pipe_bytes {
public:
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    char const* data() const noexcept { return data_.get(); }

    // Room for n more bytes at the end; returns where they go.
    char* grow(std::size_t n)
    {
        if (capacity_ - size_ < n) {
            std::size_t const want = std::max({size_ + n, 2 * capacity_, std::size_t{256}});
            auto p = std::make_unique_for_overwrite<char[]>(want);
            if (size_ != 0)
                std::memcpy(p.get(), data_.get(), size_);
            data_ = std::move(p);
            capacity_ = want;
        }
        char* const p = data_.get() + size_;
        size_ += n;
        return p;
    }

    void append(char const* p, std::size_t n)
    {
        if (n != 0)
            std::memcpy(grow(n), p, n);
    }

    // Drops the first n bytes.
    void erase_front(std::size_t n) noexcept
    {
        if (n < size_)
            std::memmove(data_.get(), data_.get() + n, size_ - n);
        size_ -= std::min(n, size_);
    }

    // Empties, keeping the storage unless it grew past keep_capacity (a
    // message larger than the pipe).
    void clear(std::size_t keep_capacity) noexcept
    {
        size_ = 0;
        if (capacity_ > keep_capacity) {
            data_.reset();
            capacity_ = 0;
        }
    }

private:
    std::unique_ptr<char[]> data_;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
};

template <class Allocator>
std::size_t pipe_item_size(basic_message<Allocator> const& m) noexcept
{
    return m.serialized_size();
}

inline std::size_t pipe_item_size(serialized const& s) noexcept
{
    return s.size();
}

template <class Allocator>
void pipe_write_item(basic_message<Allocator> const& m, char* p) noexcept
{
    m.serialize(p);
}

inline void pipe_write_item(serialized const& s, char* p) noexcept
{
    if (!s.empty())
        std::memcpy(p, s.view().data(), s.size());
}

template <class T>
T const& pipe_unwrap(T const& item) noexcept
{
    return item;
}

template <class T>
T const& pipe_unwrap(std::reference_wrapper<T const> item) noexcept
{
    return item.get();
}

using pipe_next_completion = net::any_completion_handler<void(error_code, std::optional<serialized>)>;
using pipe_send_completion = net::any_completion_handler<void(error_code)>;

// A waiting handler, erased with its cancellation slot hidden: erasing it
// as it is would install the erasure's own cancellation state in the slot,
// in place of the pipe's. Its executor and allocator show through.
template <class Erased, class Handler>
Erased pipe_erase(Handler&& handler)
{
    return Erased(slot_hidden<std::decay_t<Handler>>{std::forward<Handler>(handler)});
}

// The executor of a waiting operation: it counts as work there, as an
// Asio operation does, so that run() does not return under it.
inline net::any_io_executor pipe_tracked(net::any_io_executor const& ex)
{
    return net::prefer(ex, net::execution::outstanding_work.tracked);
}

// The state both ends of a pipe share, every member below the mutex
// guarded by it.
//
// The writer serializes into buffer_; the reader copies out whole messages
// (all of them, the usual case, or a prefix: ends_ says where each message
// ends) into one `serialized`, and the storage stays for the next ones (up
// to the capacity: a pipe holds no more than that while it is idle). A
// waiting operation (one async_next, one async_send) is kept type-erased,
// with its tracked executor and its cancellation slot; it is completed by
// a post to that executor, where the slot is cleared first, never by the
// thread that found it ready.
class pipe_state : public std::enable_shared_from_this<pipe_state> {
public:
    explicit pipe_state(std::size_t capacity) noexcept : capacity_(capacity) {}

    std::size_t capacity() const noexcept { return capacity_; }

    // ------------------------------------------------------------ writer

    enum class push_result { queued, full, closed, reader_gone };

    // Queues the item if there is room.
    template <class Item>
    push_result try_push(Item const& item)
    {
        std::size_t const n = pipe_item_size(item);
        std::optional<pending_next> wake;
        push_result r;
        {
            std::lock_guard lock(mutex_);
            r = push_locked(item, n);
            if (r == push_result::queued && n != 0 && receiver_)
                wake = take_receiver();
        }
        if (wake)
            post_next(std::move(*wake));
        return r;
    }

    static error_code to_error(push_result r) noexcept
    {
        switch (r) {
        case push_result::closed: return net::error::shut_down;
        case push_result::reader_gone: return net::error::broken_pipe;
        case push_result::queued:
        case push_result::full: break;
        }
        return {};
    }

    // async_send: queues the item at once, or waits for room.
    template <class Handler, class Item>
    void send(Handler&& handler, Item const& item)
    {
        auto const ex = detail::handler_executor(handler);
        auto const slot = net::get_associated_cancellation_slot(handler);
        std::size_t const n = pipe_item_size(item);
        std::optional<pending_next> wake;
        push_result r;
        {
            std::lock_guard lock(mutex_);
            r = push_locked(item, n);
            if (r == push_result::queued && n != 0 && receiver_)
                wake = take_receiver();
            if (r == push_result::full) {
                sender_bytes_.clear(keep_sender_bytes);
                if (n != 0)
                    pipe_write_item(item, sender_bytes_.grow(n));
                // A send the reader has already let in is no longer
                // waiting: its cancellation does nothing.
                on_cancellation<&pipe_state::cancel_send>(slot);
                auto h = pipe_erase<pipe_send_completion>(std::forward<Handler>(handler));
                sender_.emplace(pending_send{pipe_tracked(ex), slot, std::move(h)});
            }
        }
        if (wake)
            post_next(std::move(*wake));
        if (r != push_result::full)
            net::post(ex, net::append(std::forward<Handler>(handler), to_error(r)));
    }

    void close(error_code ec)
    {
        std::optional<pending_next> wake;
        {
            std::lock_guard lock(mutex_);
            if (closed_ || reader_gone_)
                return;
            closed_ = true;
            end_ec_ = ec;
            if (receiver_)
                wake = take_receiver();
        }
        if (wake)
            post_next(std::move(*wake));
    }

    bool is_open() const
    {
        std::lock_guard lock(mutex_);
        return !closed_ && !reader_gone_;
    }

    // ------------------------------------------------------------ reader

    template <class Handler>
    void async_next(Handler&& handler)
    {
        auto const slot = net::get_associated_cancellation_slot(handler);
        {
            std::lock_guard lock(mutex_);
            SSE_ASSERT(!receiver_); // one async_next at a time
            if (buffer_.empty() && !closed_ && !reader_gone_) {
                auto const ex = detail::handler_executor(handler);
                on_cancellation<&pipe_state::cancel_next>(slot);
                auto h = pipe_erase<pipe_next_completion>(std::forward<Handler>(handler));
                receiver_.emplace(pending_next{pipe_tracked(ex), slot, std::move(h)});
                return;
            }
        }
        // Something is queued, or this is the end: the items are taken
        // when the posted function runs, so that more can join them.
        net::any_io_executor ex = detail::handler_executor(handler);
        net::post(ex, [self = shared_from_this(), h = std::forward<Handler>(handler), slot, ex]() mutable {
            self->finish_next(std::move(h), slot, ex);
        });
    }

    std::size_t try_take(std::vector<serialized>& out, std::size_t max_bytes)
    {
        std::optional<pending_send> woken;
        {
            std::lock_guard lock(mutex_);
            if (buffer_.empty())
                return 0;
            out.push_back(take_locked(max_bytes));
            woken = admit_sender_locked();
        }
        if (woken)
            post_send(std::move(*woken), {});
        return 1;
    }

    // The source is destroyed.
    void reader_gone() noexcept
    {
        std::optional<pending_send> s;
        std::optional<pending_next> r;
        bool spawned = false;
        {
            std::lock_guard lock(mutex_);
            reader_gone_ = true;
            buffer_.clear(0);
            ends_.clear();
            sender_bytes_.clear(0);
            if (sender_)
                s = take_sender();
            if (receiver_)
                r = take_receiver();
            spawned = spawned_;
        }
        if (s)
            post_send(std::move(*s), net::error::broken_pipe);
        if (r)
            post_next(std::move(*r));
        if (spawned) {
            // The signal is the producer's: emitted on its executor.
            net::post(producer_executor_, [self = shared_from_this()] {
                self->producer_cancel_.emit(net::cancellation_type::terminal);
            });
        }
    }

    std::exception_ptr exception() const
    {
        std::lock_guard lock(mutex_);
        return exception_;
    }

    // ----------------------------------------------------- spawn_writer

    // Before the producer is spawned: where to cancel it.
    net::cancellation_slot spawned_on(net::any_io_executor ex)
    {
        std::lock_guard lock(mutex_);
        spawned_ = true;
        producer_executor_ = std::move(ex);
        return producer_cancel_.slot();
    }

    // The spawned producer ended, on its executor.
    void producer_done(std::exception_ptr e)
    {
        if (!e) {
            close({});
            return;
        }
        error_code ec = make_error_code(error::source_failed);
        try {
            std::rethrow_exception(e);
        } catch (system_error const& se) {
            if (se.code() == net::error::operation_aborted)
                ec = se.code();
        } catch (...) {
        }
        {
            std::lock_guard lock(mutex_);
            if (closed_ || reader_gone_)
                return; // the stream is over: the exception was the way out
            if (ec == error::source_failed)
                exception_ = e;
        }
        close(ec);
    }

private:
    struct pending_next {
        net::any_io_executor ex;
        net::cancellation_slot slot;
        pipe_next_completion handler;
    };

    struct pending_send {
        net::any_io_executor ex;
        net::cancellation_slot slot;
        pipe_send_completion handler;
    };

    template <class Item>
    push_result push_locked(Item const& item, std::size_t n)
    {
        if (reader_gone_)
            return push_result::reader_gone;
        if (closed_)
            return push_result::closed;
        if (sender_ || (!buffer_.empty() && buffer_.size() + n > capacity_))
            return push_result::full;
        if (n != 0) {
            pipe_write_item(item, buffer_.grow(n));
            ends_.push_back(buffer_.size());
        }
        return push_result::queued;
    }

    // Takes whole messages out, as one item: everything when it fits
    // max_bytes, else the longest run that does (at least one message).
    serialized take_locked(std::size_t max_bytes)
    {
        if (buffer_.size() <= max_bytes) {
            serialized s = serialized::from_wire(std::string_view(buffer_.data(), buffer_.size()));
            buffer_.clear(capacity_);
            ends_.clear();
            return s;
        }
        auto it = std::upper_bound(ends_.begin(), ends_.end(), max_bytes);
        if (it == ends_.begin())
            ++it;
        std::size_t const k = *(it - 1);
        serialized s = serialized::from_wire(std::string_view(buffer_.data(), k));
        buffer_.erase_front(k);
        ends_.erase(ends_.begin(), it);
        for (auto& e : ends_)
            e -= k;
        return s;
    }

    // The waiting send's item, if it fits now.
    std::optional<pending_send> admit_sender_locked()
    {
        if (!sender_)
            return std::nullopt;
        std::size_t const n = sender_bytes_.size();
        if (!buffer_.empty() && buffer_.size() + n > capacity_)
            return std::nullopt;
        if (n != 0) {
            buffer_.append(sender_bytes_.data(), n);
            ends_.push_back(buffer_.size());
        }
        sender_bytes_.clear(keep_sender_bytes);
        return take_sender();
    }

    pending_next take_receiver()
    {
        pending_next p = std::move(*receiver_);
        receiver_.reset();
        return p;
    }

    pending_send take_sender()
    {
        pending_send p = std::move(*sender_);
        sender_.reset();
        return p;
    }

    // Makes a cancellation of the waiting operation call `Cancel`. The
    // slot belongs to that operation's executor: the handler runs there,
    // as the completion does.
    template <void (pipe_state::*Cancel)()>
    void on_cancellation(net::cancellation_slot slot)
    {
        if (slot.is_connected()) {
            slot.assign([w = weak_from_this()](net::cancellation_type) {
                if (auto self = w.lock())
                    ((*self).*Cancel)();
            });
        }
    }

    void post_next(pending_next&& p)
    {
        auto ex = p.ex;
        net::post(ex, [self = shared_from_this(), p = std::move(p)]() mutable {
            self->finish_next(std::move(p.handler), p.slot, p.ex);
        });
    }

    void post_send(pending_send&& p, error_code ec)
    {
        auto ex = p.ex;
        net::post(ex, [p = std::move(p), ec]() mutable {
            if (p.slot.is_connected())
                p.slot.clear();
            std::move(p.handler)(ec);
        });
    }

    // Completes an async_next on the reader's executor: with what is
    // queued, or the end. Nothing queued and not the end (never expected)
    // waits again.
    template <class Handler>
    void finish_next(Handler&& handler, net::cancellation_slot slot, net::any_io_executor const& ex)
    {
        std::optional<pending_send> woken;
        error_code ec;
        std::optional<serialized> item;
        {
            std::lock_guard lock(mutex_);
            if (!buffer_.empty() && !reader_gone_) {
                item.emplace(take_locked(static_cast<std::size_t>(-1)));
                woken = admit_sender_locked();
            } else if (reader_gone_) {
                ec = net::error::operation_aborted;
            } else if (closed_ && !sender_) {
                ec = end_ec_;
            } else {
                auto h = pipe_erase<pipe_next_completion>(std::forward<Handler>(handler));
                receiver_.emplace(pending_next{pipe_tracked(ex), slot, std::move(h)});
                return;
            }
        }
        if (woken)
            post_send(std::move(*woken), {});
        if (slot.is_connected())
            slot.clear();
        std::move(handler)(ec, std::move(item));
    }

    // The waiting async_next is cancelled; on the reader's executor.
    void cancel_next()
    {
        std::optional<pending_next> p;
        {
            std::lock_guard lock(mutex_);
            if (!receiver_)
                return;
            p = take_receiver();
        }
        auto ex = p->ex;
        net::post(ex, [p = std::move(*p)]() mutable {
            if (p.slot.is_connected())
                p.slot.clear();
            std::move(p.handler)(net::error::operation_aborted, std::nullopt);
        });
    }

    // The waiting async_send is cancelled; on the writer's executor. Its
    // item is dropped.
    void cancel_send()
    {
        std::optional<pending_send> p;
        {
            std::lock_guard lock(mutex_);
            if (!sender_)
                return;
            sender_bytes_.clear(keep_sender_bytes);
            p = take_sender();
        }
        post_send(std::move(*p), net::error::operation_aborted);
    }

    // The waiting send's storage is kept for the next wait up to this size.
    static constexpr std::size_t keep_sender_bytes = 4096;

    std::size_t const capacity_;
    mutable std::mutex mutex_;
    pipe_bytes buffer_;              // queued messages, whole
    std::vector<std::size_t> ends_;  // where each message in buffer_ ends
    bool closed_ = false;
    bool reader_gone_ = false;
    error_code end_ec_;
    std::optional<pending_next> receiver_;
    std::optional<pending_send> sender_;
    pipe_bytes sender_bytes_;        // the waiting send's item
    std::exception_ptr exception_;
    bool spawned_ = false;
    net::any_io_executor producer_executor_;
    net::cancellation_signal producer_cancel_;
};

struct pipe_access {
    static stream_writer writer(std::shared_ptr<pipe_state> s, bool closes) noexcept
    {
        return stream_writer(std::move(s), closes);
    }

    static pipe_source source(std::shared_ptr<pipe_state> s) noexcept { return pipe_source(std::move(s)); }
};

struct pipe_send_initiation {
    pipe_state* state;

    template <class Handler, class Item>
    void operator()(Handler&& handler, Item const& item) const
    {
        state->send(std::forward<Handler>(handler), pipe_unwrap(item));
    }
};

struct pipe_next_initiation {
    pipe_state* state;

    template <class Handler>
    void operator()(Handler&& handler) const
    {
        state->async_next(std::forward<Handler>(handler));
    }
};

// The completion of a spawn_writer producer's coroutine.
struct pipe_producer_done {
    std::shared_ptr<pipe_state> state;

    void operator()(std::exception_ptr e) const { state->producer_done(e); }
};

template <class Producer>
net::awaitable<void> invoke_pipe_producer(Producer& producer, stream_writer& out)
{
    if constexpr (std::is_invocable_r_v<net::awaitable<void>, Producer&, stream_writer&>)
        return std::invoke(producer, out);
    else
        return std::invoke(producer, std::move(out));
}

} // namespace detail

// ------------------------------------------------------------- stream_writer

inline stream_writer::stream_writer(std::shared_ptr<detail::pipe_state> state, bool closes) noexcept
    : state_(std::move(state))
    , closes_(closes)
{
}

inline stream_writer::stream_writer(stream_writer&& other) noexcept
    : state_(std::move(other.state_))
    , closes_(other.closes_)
{
}

inline stream_writer& stream_writer::operator=(stream_writer&& other) noexcept
{
    if (this != &other) {
        release();
        state_ = std::move(other.state_);
        closes_ = other.closes_;
    }
    return *this;
}

inline stream_writer::~stream_writer()
{
    release();
}

inline void stream_writer::release() noexcept
{
    if (state_ && closes_)
        state_->close({});
    state_.reset();
}

template <stream_item Item>
bool stream_writer::try_send(Item const& item)
{
    SSE_ASSERT(state_); // not moved from
    return state_->try_push(item) == detail::pipe_state::push_result::queued;
}

template <stream_item Item>
net::awaitable<void> stream_writer::async_send(Item const& item)
{
    SSE_ASSERT(state_); // not moved from
    auto const r = state_->try_push(item);
    if (r == detail::pipe_state::push_result::queued)
        co_return;
    if (r != detail::pipe_state::push_result::full)
        throw system_error(detail::pipe_state::to_error(r), "sse::stream_writer::async_send");
    // Full: wait for room. The item outlives the wait (see above).
    // (No braced initialization in a coroutine: GCC 12 miscompiles it.)
    detail::pipe_send_initiation init;
    init.state = state_.get();
    net::use_awaitable_t<> token;
    co_await net::async_initiate<net::use_awaitable_t<>&, void(error_code)>(std::move(init), token, std::cref(item));
}

template <stream_item Item, net::completion_token_for<void(error_code)> CompletionToken>
auto stream_writer::async_send(Item const& item, CompletionToken&& token)
{
    SSE_ASSERT(state_); // not moved from
    return net::async_initiate<CompletionToken, void(error_code)>(
        detail::pipe_send_initiation{state_.get()}, token, item
    );
}

inline void stream_writer::close(error_code ec)
{
    SSE_ASSERT(state_); // not moved from
    state_->close(ec);
}

inline bool stream_writer::is_open() const
{
    SSE_ASSERT(state_); // not moved from
    return state_->is_open();
}

inline std::size_t stream_writer::capacity() const noexcept
{
    SSE_ASSERT(state_); // not moved from
    return state_->capacity();
}

// --------------------------------------------------------------- pipe_source

inline pipe_source::pipe_source(std::shared_ptr<detail::pipe_state> state) noexcept : state_(std::move(state)) {}

inline pipe_source::~pipe_source()
{
    if (state_)
        state_->reader_gone();
}

template <net::completion_token_for<void(error_code, std::optional<serialized>)> CompletionToken>
auto pipe_source::async_next(CompletionToken&& token)
{
    SSE_ASSERT(state_); // not moved from
    return net::async_initiate<CompletionToken, void(error_code, std::optional<serialized>)>(
        detail::pipe_next_initiation{state_.get()}, token
    );
}

inline std::size_t pipe_source::try_take(std::vector<serialized>& out, std::size_t max_bytes)
{
    SSE_ASSERT(state_); // not moved from
    return state_->try_take(out, max_bytes);
}

inline std::exception_ptr pipe_source::exception() const
{
    SSE_ASSERT(state_); // not moved from
    return state_->exception();
}

// ----------------------------------------------------------------- functions

inline std::pair<stream_writer, pipe_source> make_pipe(std::size_t capacity)
{
    auto state = std::make_shared<detail::pipe_state>(capacity);
    return {detail::pipe_access::writer(state, true), detail::pipe_access::source(state)};
}

template <class Executor, class Producer>
    requires(std::is_convertible_v<Executor const&, net::any_io_executor> && detail::pipe_producer<Producer>)
pipe_source spawn_writer(Executor const& ex, Producer&& producer, std::size_t capacity)
{
    auto state = std::make_shared<detail::pipe_state>(capacity);
    auto slot = state->spawned_on(net::any_io_executor(ex));
    pipe_source source = detail::pipe_access::source(state);
    // Not a coroutine: co_spawn keeps this function object, and with it
    // the producer and the writer, until the coroutine it returns ends.
    auto start = [producer = std::decay_t<Producer>(std::forward<Producer>(producer)),
                  out = detail::pipe_access::writer(state, false)]() mutable -> net::awaitable<void> {
        return detail::invoke_pipe_producer(producer, out);
    };
    net::co_spawn(ex, std::move(start), net::bind_cancellation_slot(slot, detail::pipe_producer_done{state}));
    return source;
}

template <class ExecutionContext, class Producer>
    requires(std::is_convertible_v<ExecutionContext&, net::execution_context&> && detail::pipe_producer<Producer>)
pipe_source spawn_writer(ExecutionContext& context, Producer&& producer, std::size_t capacity)
{
    return spawn_writer(context.get_executor(), std::forward<Producer>(producer), capacity);
}

} // namespace sse

#endif
