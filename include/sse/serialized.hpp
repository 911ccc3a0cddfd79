//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_SERIALIZED_HPP
#define SSE_SERIALIZED_HPP

#include <sse/detail/config.hpp>
#include <sse/message.hpp>

#include <boost/asio/buffer.hpp>

#include <atomic>
#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>
#include <utility>

namespace sse {

namespace detail {

// Something computed once from a serialized value's bytes and kept with
// them, such as the event's compressed form. Freed with the bytes.
struct serialized_attachment {
    virtual ~serialized_attachment() = default;
};

struct serialized_access;

} // namespace detail

/** The wire bytes of one or more messages: immutable and reference-counted.

    A message is serialized once; copies of a `serialized` share the bytes
    (a copy is one atomic increment), so the same event can be handed to many
    streams without serializing or copying it again. The bytes and the count
    live in one allocation.

    A source may yield `serialized` values instead of messages.

    @par Thread Safety
    Distinct objects: Safe. Shared objects: Unsafe. Copies of one object may
    be used and destroyed on different threads at once.
*/
class serialized {
public:
    /// An empty value: no bytes.
    serialized() noexcept = default;

    /// Serializes a message.
    template <class Allocator>
    explicit serialized(basic_message<Allocator> const& msg) : block_(allocate(msg.serialized_size()))
    {
        msg.serialize(bytes());
    }

    /** Wraps bytes that are already in the event-stream format.

        The bytes are copied once and sent as they are: they must be whole
        messages, each ending with its empty line (or comment lines only).
    */
    static serialized from_wire(std::string_view wire)
    {
        serialized s;
        s.block_ = allocate(wire.size());
        if (!wire.empty())
            std::memcpy(s.bytes(), wire.data(), wire.size());
        return s;
    }

    /** Makes `size` bytes written by `write(char*)`, which must write
        exactly that many, in the event-stream format.
    */
    template <class Write>
    static serialized build(std::size_t size, Write&& write)
    {
        serialized s;
        s.block_ = allocate(size);
        write(s.bytes());
        return s;
    }

    serialized(serialized const& other) noexcept : block_(other.block_)
    {
        if (block_)
            block_->refs.fetch_add(1, std::memory_order_relaxed);
    }

    serialized(serialized&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}

    serialized& operator=(serialized other) noexcept
    {
        std::swap(block_, other.block_);
        return *this;
    }

    ~serialized() { release(); }

    /// The bytes.
    std::string_view view() const noexcept
    {
        return block_ ? std::string_view(bytes(), block_->size) : std::string_view();
    }

    /// The bytes as a buffer.
    net::const_buffer buffer() const noexcept
    {
        return block_ ? net::const_buffer(bytes(), block_->size) : net::const_buffer();
    }

    /// The number of bytes.
    std::size_t size() const noexcept { return block_ ? block_->size : 0; }

    /// Whether there are no bytes.
    bool empty() const noexcept { return size() == 0; }

    /// How many `serialized` values share these bytes (0 when empty).
    std::size_t use_count() const noexcept { return block_ ? block_->refs.load(std::memory_order_relaxed) : 0; }

private:
    friend struct detail::serialized_access;

    struct block {
        std::atomic<std::size_t> refs;
        std::size_t size;
        std::atomic<detail::serialized_attachment*> attachment;
    };

    static block* allocate(std::size_t size)
    {
        void* p = ::operator new(sizeof(block) + size);
        return ::new (p) block{{1}, size, {nullptr}};
    }

    char* bytes() const noexcept { return reinterpret_cast<char*>(block_ + 1); }

    void release() noexcept
    {
        if (block_ && block_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            delete block_->attachment.load(std::memory_order_acquire);
            block_->~block();
            ::operator delete(block_);
        }
        block_ = nullptr;
    }

    block* block_ = nullptr;
};

namespace detail {

struct serialized_access {
    // The attachment, or null if none is made yet.
    static serialized_attachment* attachment(serialized const& s) noexcept
    {
        return s.block_ ? s.block_->attachment.load(std::memory_order_acquire) : nullptr;
    }

    // Attaches `a` unless another thread attached first; returns the one
    // that stays. `s` must not be empty.
    static serialized_attachment* attach(serialized const& s, std::unique_ptr<serialized_attachment> a) noexcept
    {
        serialized_attachment* expected = nullptr;
        if (s.block_->attachment.compare_exchange_strong(expected, a.get(), std::memory_order_acq_rel))
            return a.release();
        return expected;
    }
};

} // namespace detail

} // namespace sse

#endif
