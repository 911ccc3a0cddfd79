//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_DETAIL_IMPL_MESSAGE_QUEUE_HPP
#define SSE_DETAIL_IMPL_MESSAGE_QUEUE_HPP

namespace sse::detail {

// Copied bytes move into writing_stage (a swap when the whole stage goes),
// shared ones by reference. A backlog is consumed by an index and compacted
// once half of it is sent.
inline std::span<net::const_buffer const> message_queue::take(std::size_t max_bytes)
{
    auto& st = store();
    auto& pieces = st.pieces;
    auto& stage = st.stage;
    auto& payload = st.payload;
    SSE_ASSERT(writing_bytes_ == 0 && payload.empty()); // one write at a time
    std::size_t n = 0;
    std::size_t k = st.next_piece;
    while (k < pieces.size() && (k == st.next_piece || n + pieces[k].size() <= max_bytes))
        n += pieces[k++].size();

    std::size_t first_staged = stage.size();
    std::size_t last_staged = first_staged;
    for (std::size_t i = st.next_piece; i < k; ++i) {
        if (pieces[i].shared.empty()) {
            first_staged = std::min(first_staged, pieces[i].begin);
            last_staged = pieces[i].end;
        }
    }
    std::size_t base = 0; // where stage[first_staged] lands in writing_stage
    if (first_staged < last_staged) {
        if (first_staged == 0 && st.stage_head == 0 && last_staged == stage.size()) {
            st.writing_stage.swap(stage);
            stage.clear();
        } else {
            st.writing_stage.assign(stage, first_staged, last_staged - first_staged);
        }
        base = first_staged;
        st.stage_head = last_staged;
    }

    // The payload: adjacent copied messages are one buffer.
    for (std::size_t i = st.next_piece; i < k; ++i) {
        auto& p = pieces[i];
        if (!p.shared.empty()) {
            st.writing_shared.push_back(std::move(p.shared));
            payload.push_back(st.writing_shared.back().buffer());
            continue;
        }
        char const* data = st.writing_stage.data() + (p.begin - base);
        auto const size = p.end - p.begin;
        if (!payload.empty() && i > st.next_piece && pieces[i - 1].shared.empty() &&
            static_cast<char const*>(payload.back().data()) + payload.back().size() == data)
            payload.back() = net::const_buffer(payload.back().data(), payload.back().size() + size);
        else
            payload.push_back(net::const_buffer(data, size));
    }
    writing_bytes_ = n;
    pending_bytes_ -= n;
    st.next_piece = k;

    if (st.next_piece == pieces.size()) {
        pieces.clear();
        st.next_piece = 0;
        if (st.stage_head == stage.size()) {
            stage.clear();
            st.stage_head = 0;
        }
    } else if (st.next_piece > pieces.size() / 2) {
        pieces.erase(pieces.begin(), pieces.begin() + static_cast<std::ptrdiff_t>(st.next_piece));
        st.next_piece = 0;
    }
    if (st.stage_head > 0 && st.stage_head > stage.size() / 2) {
        stage.erase(0, st.stage_head);
        for (std::size_t i = st.next_piece; i < pieces.size(); ++i) {
            if (pieces[i].shared.empty()) {
                pieces[i].begin -= st.stage_head;
                pieces[i].end -= st.stage_head;
            }
        }
        st.stage_head = 0;
    }
    return payload;
}

inline void message_queue::wrote(std::size_t keep_capacity)
{
    writing_bytes_ = 0;
    if (!store_)
        return;
    auto& st = *store_;
    // Keep the storage for the next burst, unless a burst made it large.
    if (st.writing_stage.capacity() > keep_capacity)
        std::string().swap(st.writing_stage);
    else
        st.writing_stage.clear();
    st.writing_shared.clear();
    st.payload.clear();
}

} // namespace sse::detail

#endif
