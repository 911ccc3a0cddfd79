//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_DETAIL_MESSAGE_QUEUE_HPP
#define SSE_DETAIL_MESSAGE_QUEUE_HPP

// The bytes of a stream's messages, serialized and not yet written, and the
// payload of the write in flight: whole messages, gathered up to a limit.
// Small messages are copied into one staging string (one buffer for a run
// of them); shared ones of share_threshold bytes or more are written from
// their own bytes (fan-out costs a reference count per subscriber). No
// framing: the sinks frame the payload for their protocol.

#include <sse/detail/config.hpp>
#include <sse/message.hpp>
#include <sse/serialized.hpp>

#include <boost/asio/buffer.hpp>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sse::detail {

class message_queue {
public:
    // A shared message at least this large is written from its own buffer
    // (a reference, no copy); a smaller one is copied, which is cheaper
    // than a buffer of its own.
    static constexpr std::size_t share_threshold = 512;

    // Bytes not yet taken into a write.
    std::size_t pending() const noexcept { return pending_bytes_; }

    // Bytes queued, the write in flight included.
    std::size_t queued() const noexcept { return pending_bytes_ + writing_bytes_; }

    bool empty() const noexcept { return !store_ || store_->next_piece == store_->pieces.size(); }

    template <class Allocator>
    void push(basic_message<Allocator> const& msg)
    {
        auto& st = store();
        std::size_t const begin = st.stage.size();
        serialize(msg, st.stage);
        add_staged(st, begin);
    }

    void push(serialized const& s)
    {
        if (s.empty())
            return; // an empty message writes nothing
        if (s.size() >= share_threshold || share_all_) {
            store().pieces.push_back({s, 0, 0});
            pending_bytes_ += s.size();
            return;
        }
        push_bytes(s.view());
    }

    // Bytes that are a whole message already (a heartbeat comment).
    void push_bytes(std::string_view bytes)
    {
        auto& st = store();
        std::size_t const begin = st.stage.size();
        st.stage.append(bytes);
        add_staged(st, begin);
    }

    // Moves the longest run of whole messages that fits `max_bytes` (at
    // least one) into the write, and returns its payload. Valid until
    // wrote(). Only with no write in flight.
    std::span<net::const_buffer const> take(std::size_t max_bytes);

    // Whether take(max_bytes) would take everything pending.
    bool fits(std::size_t max_bytes) const noexcept
    {
        return pending_bytes_ <= max_bytes || !store_ || store_->pieces.size() - store_->next_piece <= 1;
    }

    // The write's size in bytes.
    std::size_t writing() const noexcept { return writing_bytes_; }

    // Nothing queued, nothing being written: lets go of the storage kept
    // for the next burst (an idle stream keeps none).
    void release_storage() noexcept
    {
        SSE_ASSERT(pending_bytes_ == 0 && writing_bytes_ == 0 && empty());
        store_.reset();
    }

    // The shared messages of the write, in order: each is one buffer of
    // the payload on its own.
    std::span<serialized const> writing_shared() const noexcept
    {
        if (!store_)
            return {};
        return store_->writing_shared;
    }

    // Keep every shared message as its own buffer, however small (an
    // encoder that has them compressed already wants them whole).
    void share_all() noexcept { share_all_ = true; }

    // The write taken last completed.
    void wrote(std::size_t keep_capacity);

private:
    // A queued message: shared bytes, or bytes copied into stage.
    struct piece {
        serialized shared;
        std::size_t begin;
        std::size_t end;

        std::size_t size() const noexcept { return shared.empty() ? end - begin : shared.size(); }
    };

    // What holds the messages: made at the first push, gone when the
    // queue releases its storage (an idle stream's queue is three words).
    struct storage {
        std::string stage;                      // copied messages; from stage_head on: not yet taken
        std::size_t stage_head = 0;
        std::vector<piece> pieces;              // queued messages; from next_piece on: not yet taken
        std::size_t next_piece = 0;
        std::string writing_stage;              // the copied bytes of the write in flight
        std::vector<serialized> writing_shared; // the shared messages of the write in flight
        std::vector<net::const_buffer> payload; // the payload of the write in flight
    };

    storage& store()
    {
        if (!store_)
            store_ = std::make_unique<storage>();
        return *store_;
    }

    void add_staged(storage& st, std::size_t begin)
    {
        std::size_t const end = st.stage.size();
        if (end == begin)
            return; // an empty message writes nothing
        st.pieces.push_back({serialized(), begin, end});
        pending_bytes_ += end - begin;
    }

    std::unique_ptr<storage> store_;
    std::size_t pending_bytes_ = 0;
    std::size_t writing_bytes_ = 0;
    bool share_all_ = false;
};

} // namespace sse::detail

#include <sse/detail/impl/message_queue.hpp>

#endif
