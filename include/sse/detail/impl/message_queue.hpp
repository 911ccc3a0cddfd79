//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_DETAIL_IMPL_MESSAGE_QUEUE_HPP
#define SSE_DETAIL_IMPL_MESSAGE_QUEUE_HPP

namespace sse::detail {

// Copied bytes move into writing_stage_ (a swap when the whole stage goes),
// shared ones by reference. A backlog is consumed by an index and compacted
// once half of it is sent.
inline std::span<net::const_buffer const> message_queue::take(std::size_t max_bytes)
{
    SSE_ASSERT(writing_bytes_ == 0 && payload_.empty()); // one write at a time
    std::size_t n = 0;
    std::size_t k = next_piece_;
    while (k < pieces_.size() && (k == next_piece_ || n + pieces_[k].size() <= max_bytes))
        n += pieces_[k++].size();

    std::size_t first_staged = stage_.size();
    std::size_t last_staged = first_staged;
    for (std::size_t i = next_piece_; i < k; ++i) {
        if (pieces_[i].shared.empty()) {
            first_staged = std::min(first_staged, pieces_[i].begin);
            last_staged = pieces_[i].end;
        }
    }
    std::size_t base = 0; // where stage_[first_staged] lands in writing_stage_
    if (first_staged < last_staged) {
        if (first_staged == 0 && stage_head_ == 0 && last_staged == stage_.size()) {
            writing_stage_.swap(stage_);
            stage_.clear();
        } else {
            writing_stage_.assign(stage_, first_staged, last_staged - first_staged);
        }
        base = first_staged;
        stage_head_ = last_staged;
    }

    // The payload: adjacent copied messages are one buffer.
    for (std::size_t i = next_piece_; i < k; ++i) {
        auto& p = pieces_[i];
        if (!p.shared.empty()) {
            writing_shared_.push_back(std::move(p.shared));
            payload_.push_back(writing_shared_.back().buffer());
            continue;
        }
        char const* data = writing_stage_.data() + (p.begin - base);
        auto const size = p.end - p.begin;
        if (!payload_.empty() && i > next_piece_ && pieces_[i - 1].shared.empty() &&
            static_cast<char const*>(payload_.back().data()) + payload_.back().size() == data)
            payload_.back() = net::const_buffer(payload_.back().data(), payload_.back().size() + size);
        else
            payload_.push_back(net::const_buffer(data, size));
    }
    writing_bytes_ = n;
    pending_bytes_ -= n;
    next_piece_ = k;

    if (next_piece_ == pieces_.size()) {
        pieces_.clear();
        next_piece_ = 0;
        if (stage_head_ == stage_.size()) {
            stage_.clear();
            stage_head_ = 0;
        }
    } else if (next_piece_ > pieces_.size() / 2) {
        pieces_.erase(pieces_.begin(), pieces_.begin() + static_cast<std::ptrdiff_t>(next_piece_));
        next_piece_ = 0;
    }
    if (stage_head_ > 0 && stage_head_ > stage_.size() / 2) {
        stage_.erase(0, stage_head_);
        for (std::size_t i = next_piece_; i < pieces_.size(); ++i) {
            if (pieces_[i].shared.empty()) {
                pieces_[i].begin -= stage_head_;
                pieces_[i].end -= stage_head_;
            }
        }
        stage_head_ = 0;
    }
    return payload_;
}

inline void message_queue::wrote(std::size_t keep_capacity)
{
    // Keep the storage for the next burst, unless a burst made it large.
    if (writing_stage_.capacity() > keep_capacity)
        std::string().swap(writing_stage_);
    else
        writing_stage_.clear();
    writing_shared_.clear();
    payload_.clear();
    writing_bytes_ = 0;
}

} // namespace sse::detail

#endif
