//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_DETAIL_ENCODER_HPP
#define SSE_DETAIL_ENCODER_HPP

// The content coding of an event stream's body. The stream engine passes
// every write through its encoder and the encoder flushes it, so the bytes
// of a write decode to whole events at once. Three encoders:
//
// - zlib_encoder: gzip with a context of its own per stream (zlib);
// - brotli_encoder: br with a context of its own per stream (libbrotli);
// - shared_gzip_encoder: gzip without a context. Each event a broadcaster
//   publishes (an sse::serialized) is compressed once, for every stream
//   that sends it, as raw deflate blocks that end byte-aligned (a sync
//   flush) and refer to nothing before them, or to exactly the event
//   published before it (its dictionary) when the stream sent that one
//   just before. Anything else goes out as stored blocks. The stream adds
//   its own gzip header and a trailer whose CRC-32 it combines from the
//   events' (crc32_combine): a valid gzip stream, with no compressor state
//   per stream.

#include <sse/compression.hpp>
#include <sse/detail/config.hpp>
#include <sse/serialized.hpp>

#include <boost/asio/buffer.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace sse::detail {

class stream_encoder {
public:
    virtual ~stream_encoder() = default;

    // Encodes and flushes one write: `payload` is its bytes, and `shared`
    // the sse::serialized values among them, in order, each one buffer of
    // the payload on its own. `last` ends the coding (the gzip trailer,
    // brotli's last block). The result is valid until wrote().
    virtual std::span<net::const_buffer const>
    encode(std::span<net::const_buffer const> payload, std::span<serialized const> shared, bool last) = 0;

    // The write completed: its storage may go (kept up to keep_capacity).
    virtual void wrote(std::size_t keep_capacity) noexcept = 0;

    // The bytes of the last encode().
    std::size_t size() const noexcept { return size_; }

    // Whether the encoder wants sse::serialized values as buffers of their
    // own (the queue then never copies them).
    virtual bool shares_events() const noexcept { return false; }

    // Bytes of memory the encoder holds for its context (not its output).
    virtual std::size_t context_bytes() const noexcept { return 0; }

protected:
    std::size_t size_ = 0;
};

// The encoder of a coding; null for identity. `shared` asks for the
// shared-block gzip encoder. Options out of range are clamped.
std::unique_ptr<stream_encoder> make_encoder(content_coding coding, compression_options const& options, bool shared);

} // namespace sse::detail

#include <sse/detail/impl/encoder.hpp>

#endif
