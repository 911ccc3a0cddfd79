//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_HTTP2_DETAIL_STREAM_IDS_HPP
#define SSE_HTTP2_DETAIL_STREAM_IDS_HPP

// RFC 9113, 5.1.1: a stream a client opens has an id greater than every
// stream it opened before; a HEADERS frame that would open a lower one is a
// connection error PROTOCOL_ERROR. nghttp2 cannot tell a lower id never
// used from one used and forgotten, and ignores such a frame; this follows
// the client's frames ahead of nghttp2 and finds it. Sans-I/O: bytes in,
// how many of them nghttp2 may have out.

#include <sse/detail/config.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace sse::http2::detail {

class stream_id_check {
public:
    /** Follows `size` more bytes the client sent (after the connection
        preface, which is skipped). Returns how many of them may be given
        to nghttp2: all of them, or the bytes before a HEADERS frame that
        opens a stream below one already opened. After such a frame every
        later call returns 0.
    */
    std::size_t scan(std::uint8_t const* data, std::size_t size)
    {
        if (violated_)
            return 0;
        std::size_t i = 0;
        while (i < size) {
            if (preface_left_ != 0) {
                std::size_t const k = std::min(preface_left_, size - i);
                preface_left_ -= k;
                i += k;
            } else if (payload_left_ != 0) {
                std::size_t const k = std::min(payload_left_, size - i);
                payload_left_ -= k;
                i += k;
            } else {
                // A frame header, perhaps split over calls.
                std::size_t const start = i;
                while (have_ < sizeof header_ && i < size)
                    header_[have_++] = data[i++];
                if (have_ < sizeof header_)
                    break;
                have_ = 0;
                payload_left_ = std::size_t(header_[0]) << 16 | std::size_t(header_[1]) << 8 | header_[2];
                std::uint32_t const id = (std::uint32_t(header_[5]) << 24 | std::uint32_t(header_[6]) << 16 |
                                          std::uint32_t(header_[7]) << 8 | header_[8]) &
                                         0x7fffffffu;
                if (header_[3] == headers_type && !admit(id)) {
                    violated_ = true;
                    // The bytes of this frame already given, if its header
                    // was split, went to nghttp2 as part of an unfinished
                    // frame: it never acts on them.
                    return start;
                }
            }
        }
        return size;
    }

    /// Whether a HEADERS frame broke the rule.
    bool violated() const noexcept { return violated_; }

private:
    static constexpr std::uint8_t headers_type = 0x1;
    static constexpr std::size_t max_gaps = 32;

    // A HEADERS frame on stream `id`: false when it would open a stream
    // below the highest opened, on an id never used.
    bool admit(std::uint32_t id)
    {
        if (id == 0 || id % 2 == 0)
            return true; // nghttp2's own error
        if (id > highest_) {
            if (highest_ == 0 ? id > 1 : id > highest_ + 2) {
                // Ids skipped: never usable. The oldest gaps are forgotten
                // when there are many (their ids are then treated as used,
                // as nghttp2 treats them).
                if (gaps_.size() == max_gaps)
                    gaps_.erase(gaps_.begin());
                gaps_.emplace_back(highest_ == 0 ? 1 : highest_ + 2, id - 2);
            }
            highest_ = id;
            return true;
        }
        // At or below the highest: trailers of an open stream, or a frame
        // on a closed one (nghttp2 answers those); or a skipped id.
        return std::none_of(gaps_.begin(), gaps_.end(), [id](auto const& g) { return g.first <= id && id <= g.second; });
    }

    std::size_t preface_left_ = 24; // "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    std::uint8_t header_[9] = {};
    std::size_t have_ = 0;
    std::size_t payload_left_ = 0;
    std::uint32_t highest_ = 0;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> gaps_; // inclusive ranges of odd ids never opened
    bool violated_ = false;
};

} // namespace sse::http2::detail

#endif
