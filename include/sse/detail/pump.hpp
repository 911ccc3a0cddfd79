//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_DETAIL_PUMP_HPP
#define SSE_DETAIL_PUMP_HPP

// The decisions of a stream, without I/O: what is queued, what the next
// write holds (whole messages, coalesced up to a limit, framed as HTTP/1.1
// chunks or close-delimited), when to ask the source for more, and how the
// stream ends. The operation in impl/stream_response.hpp performs them.

#include <sse/detail/config.hpp>
#include <sse/error.hpp>
#include <sse/message.hpp>
#include <sse/serialized.hpp>

#include <boost/asio/buffer.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sse {

struct stream_options;

namespace detail {

class pump {
public:
    enum class write_kind {
        none,         // nothing to write now
        head,         // the response header alone
        data,         // queued messages
        data_and_end, // queued messages, then the end of the body
        end,          // the end of the body
    };

    pump(stream_options const& options, bool chunked);

    stream_options const& options() const noexcept { return options_; }

    // Bytes serialized and not yet written, the write in flight included.
    std::size_t queued() const noexcept { return pending_.size() - head_ + writing_.size(); }

    bool finishing() const noexcept { return finishing_; }
    bool done() const noexcept { return end_written_; }
    bool aborted() const noexcept { return aborted_; }
    error_code result() const noexcept { return result_; }

    // Whether to ask the source for another item now.
    bool wants_next() const noexcept
    {
        return !finishing_ && !aborted_ && queued() < options_.max_queued_bytes;
    }

    template <class Allocator>
    void push(basic_message<Allocator> const& msg)
    {
        serialize(msg, pending_);
        mark();
    }

    void push(serialized const& s)
    {
        pending_.append(s.view());
        mark();
    }

    // The stream has been idle for the keep-alive interval.
    void keep_alive_due()
    {
        if (pending_.size() == head_) {
            pending_.append(":\n");
            mark();
        }
    }

    // The source ended: flush, then end the body.
    void source_finished() noexcept { finishing_ = true; }

    // The source failed: flush, end the body, report ec.
    void source_failed(error_code ec) noexcept { finish(ec); }

    // End gracefully and report ec: flush what is queued, end the body.
    void finish(error_code ec) noexcept
    {
        if (!finishing_ && !aborted_)
            result_ = ec;
        finishing_ = true;
    }

    // End now, writing nothing more, and report ec.
    void abort(error_code ec) noexcept
    {
        if (end_written_ || aborted_)
            return;
        if (!result_)
            result_ = ec;
        aborted_ = true;
    }

    // Decides the next write, with no write in flight. `source_busy` tells
    // whether the source may still produce.
    write_kind next_write(bool head_pending, bool source_busy)
    {
        if (aborted_ || end_written_)
            return kind_ = write_kind::none;
        if (pending_.size() != head_) {
            take();
            bool const last = finishing_ && !source_busy && pending_.size() == head_;
            return kind_ = (last && chunked_) ? write_kind::data_and_end : write_kind::data;
        }
        if (head_pending)
            return kind_ = write_kind::head;
        if (finishing_ && !source_busy) {
            if (chunked_)
                return kind_ = write_kind::end;
            end_written_ = true; // HTTP/1.0: the body ends with the connection
        }
        return kind_ = write_kind::none;
    }

    // The buffers of the write next_write decided.
    void frame(write_kind kind, net::const_buffer& prefix, net::const_buffer& payload, net::const_buffer& suffix)
    {
        prefix = payload = suffix = {};
        static constexpr char crlf_end[] = "\r\n0\r\n\r\n";
        switch (kind) {
        case write_kind::none:
        case write_kind::head: return;
        case write_kind::end: suffix = net::buffer(crlf_end + 2, 5); return;
        case write_kind::data:
        case write_kind::data_and_end:
            payload = net::buffer(writing_);
            if (!chunked_)
                return;
            prefix = net::buffer(chunk_size_, chunk_header(writing_.size()));
            suffix = net::buffer(crlf_end, kind == write_kind::data ? 2 : 7);
            return;
        }
    }

    // The write decided last completed.
    void wrote()
    {
        if (kind_ == write_kind::data_and_end || kind_ == write_kind::end)
            end_written_ = true;
        // Keep the storage for the next burst, unless a burst made it large.
        if (writing_.capacity() > 2 * options_.max_write_size)
            std::string().swap(writing_);
        else
            writing_.clear();
        kind_ = write_kind::none;
    }

private:
    // Records the end of the message just appended.
    void mark()
    {
        if (ends_.size() == ends_head_ || ends_.back() != pending_.size())
            ends_.push_back(pending_.size());
    }

    // Moves the longest run of whole messages that fits max_write_size (at
    // least one message) from pending_ to writing_. A backlog is consumed
    // from its front by an offset and compacted once half of it is sent,
    // so each byte is moved a bounded number of times.
    void take()
    {
        if (head_ == 0 && pending_.size() <= options_.max_write_size) {
            writing_.swap(pending_);
            pending_.clear();
            ends_.clear();
            ends_head_ = 0;
            return;
        }
        std::size_t const limit = head_ + options_.max_write_size;
        std::size_t end = ends_[ends_head_++];
        while (ends_head_ < ends_.size() && ends_[ends_head_] <= limit)
            end = ends_[ends_head_++];
        writing_.assign(pending_, head_, end - head_);
        head_ = end;
        if (head_ == pending_.size()) {
            pending_.clear();
            ends_.clear();
            head_ = ends_head_ = 0;
        } else if (head_ > pending_.size() / 2) {
            pending_.erase(0, head_);
            ends_.erase(ends_.begin(), ends_.begin() + static_cast<std::ptrdiff_t>(ends_head_));
            for (auto& e : ends_)
                e -= head_;
            head_ = ends_head_ = 0;
        }
    }

    std::size_t chunk_header(std::size_t n) noexcept
    {
        static constexpr char digits[] = "0123456789abcdef";
        char tmp[16];
        std::size_t len = 0;
        do {
            tmp[len++] = digits[n & 0xF];
            n >>= 4;
        } while (n != 0);
        for (std::size_t i = 0; i < len; ++i)
            chunk_size_[i] = tmp[len - 1 - i];
        chunk_size_[len] = '\r';
        chunk_size_[len + 1] = '\n';
        return len + 2;
    }

    stream_options options_;
    std::string pending_;            // serialized, waiting for a write
    std::string writing_;            // the payload of the write in flight
    std::size_t head_ = 0;           // the first byte of pending_ not yet taken
    std::vector<std::size_t> ends_;  // where each message in pending_ ends
    std::size_t ends_head_ = 0;      // the first entry of ends_ not yet taken
    char chunk_size_[20] = {};
    write_kind kind_ = write_kind::none;
    error_code result_;
    bool chunked_;
    bool finishing_ = false;
    bool end_written_ = false;
    bool aborted_ = false;
};

} // namespace detail
} // namespace sse

#endif
