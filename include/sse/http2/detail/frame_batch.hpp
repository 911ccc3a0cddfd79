//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_HTTP2_DETAIL_FRAME_BATCH_HPP
#define SSE_HTTP2_DETAIL_FRAME_BATCH_HPP

// What one write to the socket carries: the frames nghttp2 produced, in
// order, as one gather sequence. Control frames, frame headers and small
// payloads are copied into the batch; larger DATA payloads are the stream
// bodies' own bytes (the serialized blocks the stream engine holds), which
// stay valid until the batch is written: every body whose bytes it
// references is a holder, and hears of the write's end through sent().
// Sans-I/O: the connection writes buffers() (by as many write_some calls
// as it takes: unwritten(), consume()), then calls sent().

#include <sse/detail/config.hpp>
#include <sse/error.hpp>

#include <boost/asio/buffer.hpp>

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace sse::http2::detail {

// Something whose bytes a batch references.
class batch_holder {
public:
    // The batch holding its bytes was written, or failed with `ec`; the
    // batch references them no more. Called once per hold().
    virtual void sent(error_code ec) = 0;

protected:
    ~batch_holder() = default;
};

class frame_batch {
public:
    // A payload smaller than this is copied: one buffer of its own would
    // cost the writev more than the copy does.
    static constexpr std::size_t copy_threshold = 256;

    // Bytes copied into the batch (a control frame, a frame header).
    void append_copy(void const* data, std::size_t size)
    {
        if (size == 0)
            return;
        if (redirect_) {
            redirect_to(data, size);
            return;
        }
        if (!segments_.empty() && segments_.back().data == nullptr)
            segments_.back().size += size; // the last copied run ends where storage_ ends
        else
            segments_.push_back({nullptr, storage_.size(), size});
        storage_.append(static_cast<char const*>(data), size);
        size_ += size;
    }

    // `size` zero bytes (padding).
    void append_zeros(std::size_t size)
    {
        static constexpr char zeros[256] = {};
        while (size != 0) {
            std::size_t const n = size < sizeof zeros ? size : sizeof zeros;
            append_copy(zeros, n);
            size -= n;
        }
    }

    // Bytes referenced where they are: they must stay valid until the
    // holder that appends them hears sent().
    void append_ref(void const* data, std::size_t size)
    {
        if (size < copy_threshold || redirect_) {
            append_copy(data, size);
            return;
        }
        segments_.push_back({static_cast<char const*>(data), 0, size});
        size_ += size;
    }

    // `h` hears sent() once the batch is written. A holder holds once
    // per batch: it keeps track of whether it does.
    void hold(batch_holder& h) { holders_.push_back(&h); }

    // From now on appended bytes are copied to `dst` instead (nghttp2's
    // own frame buffer, when it cannot take a payload by reference);
    // nullptr: back to the batch.
    void redirect(void* dst) noexcept { redirect_ = static_cast<char*>(dst); }

    // Bytes in the batch.
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }

    // The batch as a gather sequence; valid until the batch changes. It
    // also starts the count of what is written (unwritten(), consume()).
    std::span<net::const_buffer const> buffers()
    {
        buffers_.clear();
        for (auto const& s : segments_)
            buffers_.emplace_back(s.data ? s.data : storage_.data() + s.at, s.size);
        first_ = 0;
        return buffers_;
    }

    // What the writes so far left of buffers().
    std::span<net::const_buffer const> unwritten() const noexcept
    {
        return std::span<net::const_buffer const>(buffers_).subspan(first_);
    }

    // `n` more bytes of buffers() are written.
    void consume(std::size_t n) noexcept
    {
        while (n != 0 && first_ < buffers_.size()) {
            auto& b = buffers_[first_];
            if (n < b.size()) {
                b += n;
                return;
            }
            n -= b.size();
            ++first_;
        }
    }

    // The batch was written, or failed with `ec`: it is emptied, and every
    // holder hears of it (it may release what the batch referenced).
    void sent(error_code ec)
    {
        clear();
        notifying_.swap(holders_);
        for (auto* h : notifying_)
            h->sent(ec);
        notifying_.clear();
    }

private:
    struct segment {
        char const* data; // null: storage_ from `at`
        std::size_t at;
        std::size_t size;
    };

    void clear()
    {
        // An ordinary batch's storage is kept (a connection's batches are
        // about 64 KiB); an unusual one's is given back.
        if (storage_.capacity() > 128 * 1024)
            std::string().swap(storage_);
        else
            storage_.clear();
        segments_.clear();
        buffers_.clear();
        first_ = 0;
        size_ = 0;
    }

    void redirect_to(void const* data, std::size_t size)
    {
        auto const* p = static_cast<char const*>(data);
        redirect_ = std::copy(p, p + size, redirect_);
    }

    std::string storage_;
    std::vector<segment> segments_;
    std::vector<net::const_buffer> buffers_;
    std::vector<batch_holder*> holders_;
    std::vector<batch_holder*> notifying_;
    std::size_t first_ = 0; // the first buffer not written whole
    std::size_t size_ = 0;
    char* redirect_ = nullptr;
};

} // namespace sse::http2::detail

#endif
