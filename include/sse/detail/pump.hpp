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
#include <algorithm>
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

    // A shared message at least this large is written from its own buffer
    // (a reference, no copy: fan-out costs a count per subscriber); a
    // smaller one is copied, which is cheaper than a buffer of its own.
    static constexpr std::size_t share_threshold = 512;

    pump(stream_options const& options, bool chunked);

    stream_options const& options() const noexcept { return options_; }

    // Bytes serialized and not yet written, the write in flight included.
    std::size_t queued() const noexcept { return pending_bytes_ + writing_bytes_; }

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
        std::size_t const begin = stage_.size();
        serialize(msg, stage_);
        add_staged(begin);
    }

    void push(serialized const& s)
    {
        if (s.size() >= share_threshold) {
            pieces_.push_back({s, 0, 0});
            pending_bytes_ += s.size();
            return;
        }
        std::size_t const begin = stage_.size();
        stage_.append(s.view());
        add_staged(begin);
    }

    // The stream has been idle for the keep-alive interval.
    void keep_alive_due()
    {
        if (next_piece_ == pieces_.size()) {
            std::size_t const begin = stage_.size();
            stage_.append(":\n");
            add_staged(begin);
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
        if (next_piece_ != pieces_.size()) {
            take();
            bool const last = finishing_ && !source_busy && next_piece_ == pieces_.size();
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

    // The buffers of the write next_write decided, after `head` (which may
    // be empty). Valid until wrote().
    std::vector<net::const_buffer> const& frame(write_kind kind, net::const_buffer head)
    {
        static constexpr char crlf_end[] = "\r\n0\r\n\r\n";
        buffers_.clear();
        if (head.size() != 0)
            buffers_.push_back(head);
        switch (kind) {
        case write_kind::none:
        case write_kind::head: break;
        case write_kind::end: buffers_.push_back(net::buffer(crlf_end + 2, 5)); break;
        case write_kind::data:
        case write_kind::data_and_end:
            if (chunked_)
                buffers_.push_back(net::buffer(chunk_size_, chunk_header(writing_bytes_)));
            buffers_.insert(buffers_.end(), payload_.begin(), payload_.end());
            if (chunked_)
                buffers_.push_back(net::buffer(crlf_end, kind == write_kind::data ? 2 : 7));
            break;
        }
        return buffers_;
    }

    // The write decided last completed.
    void wrote()
    {
        if (kind_ == write_kind::data_and_end || kind_ == write_kind::end)
            end_written_ = true;
        // Keep the storage for the next burst, unless a burst made it large.
        if (writing_stage_.capacity() > 2 * options_.max_write_size)
            std::string().swap(writing_stage_);
        else
            writing_stage_.clear();
        writing_shared_.clear();
        payload_.clear();
        writing_bytes_ = 0;
        kind_ = write_kind::none;
    }

private:
    // A queued message: shared bytes, or bytes copied into stage_.
    struct piece {
        serialized shared;
        std::size_t begin;
        std::size_t end;

        std::size_t size() const noexcept { return shared.empty() ? end - begin : shared.size(); }
    };

    void add_staged(std::size_t begin)
    {
        std::size_t const end = stage_.size();
        if (end == begin)
            return; // an empty message writes nothing
        pieces_.push_back({serialized(), begin, end});
        pending_bytes_ += end - begin;
    }

    // Moves the longest run of whole messages that fits max_write_size (at
    // least one) into the write: copied bytes into writing_stage_ (a swap
    // when the whole stage goes), shared ones by reference. A backlog is
    // consumed by an index and compacted once half of it is sent.
    void take()
    {
        std::size_t n = 0;
        std::size_t k = next_piece_;
        while (k < pieces_.size() && (k == next_piece_ || n + pieces_[k].size() <= options_.max_write_size))
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
        bool const whole_stage = first_staged == stage_head_ && (k == pieces_.size() || last_staged == stage_.size());
        if (first_staged < last_staged) {
            if (whole_stage && stage_head_ == 0 && last_staged == stage_.size()) {
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
    std::string stage_;                       // copied messages; from stage_head_ on: not yet taken
    std::size_t stage_head_ = 0;
    std::vector<piece> pieces_;               // queued messages; from next_piece_ on: not yet taken
    std::size_t next_piece_ = 0;
    std::size_t pending_bytes_ = 0;
    std::string writing_stage_;               // the copied bytes of the write in flight
    std::vector<serialized> writing_shared_;  // the shared messages of the write in flight
    std::vector<net::const_buffer> payload_;  // the payload of the write in flight
    std::vector<net::const_buffer> buffers_;  // the whole write
    std::size_t writing_bytes_ = 0;
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
