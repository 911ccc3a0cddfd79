//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_COMPRESSION_HPP
#define SSE_COMPRESSION_HPP

// Compressed event streams: the content codings, their options, and the
// choice of one from a request's Accept-Encoding.

#include <sse/detail/config.hpp>

#include <string_view>

namespace sse {

/// A content coding of an event stream's body.
enum class content_coding : unsigned char {
    identity, ///< Not compressed.
    gzip,     ///< gzip (RFC 1952) through zlib.
    br,       ///< Brotli (RFC 7932) through libbrotli.
};

/// The token of a coding in `Content-Encoding`: `identity`, `gzip`, `br`.
constexpr std::string_view to_string(content_coding c) noexcept
{
    switch (c) {
    case content_coding::gzip: return "gzip";
    case content_coding::br: return "br";
    case content_coding::identity: break;
    }
    return "identity";
}

/** Whether this build can compress with a coding.

    gzip needs zlib and br needs libbrotli's encoder: link the CMake target
    `sse::compression`, which defines `SSE_HAS_ZLIB` and, when libbrotli was
    found, `SSE_HAS_BROTLI`. A coding that is not available is never
    chosen. `identity` is always available.
*/
constexpr bool coding_available(content_coding c) noexcept
{
    switch (c) {
    case content_coding::identity: return true;
#ifdef SSE_HAS_ZLIB
    case content_coding::gzip: return true;
#endif
#ifdef SSE_HAS_BROTLI
    case content_coding::br: return true;
#endif
    default: return false;
    }
}

/** How a stream fed by a broadcaster shares the compression of its events.

    Thousands of subscribers receive the same events. Compressing each
    subscriber's stream on its own costs CPU per subscriber and a
    compressor (tens of KiB) per subscriber. With shared blocks, each
    published event is compressed once, as a gzip-compatible deflate block
    that depends on nothing before it (and, when the subscriber received
    the previous event just before, once more with that event as its
    dictionary, which is where most of the ratio of JSON events comes
    from); every subscriber's stream is a valid gzip stream made of those
    blocks, its own gzip header and a trailer whose CRC-32 is combined from
    the events'. What is not a published event (heartbeats, `retry`) goes
    out as a stored block. A subscriber then holds no compressor at all.
*/
enum class compression_sharing : unsigned char {
    /// Shared blocks when the stream's coding is gzip and its source
    /// yields `sse::serialized` (broadcaster subscriptions); a compressor
    /// per stream otherwise. br has no shared form (a brotli stream
    /// carries state from block to block that a block made once cannot
    /// know), so a client that accepts br gets a brotli compressor of its
    /// own: to fan out to many subscribers, turn `br` off and they share
    /// gzip blocks.
    automatic,
    /// A compressor per stream, always.
    per_stream,
};

/** Whether and how an event stream is compressed. Off by default.

    When on, the stream picks a coding from the request's
    `Accept-Encoding` (q-values honoured; `identity;q=0` respected): `br`
    when the client accepts it and this build has it, else `gzip`, else
    none. The response then carries `Content-Encoding` and `Vary:
    Accept-Encoding`, over HTTP/1.1 and HTTP/2 alike.

    No event waits in the compressor: every write the stream makes (one or
    more whole events, a heartbeat) is flushed through it (`Z_SYNC_FLUSH`,
    `BROTLI_OPERATION_FLUSH`), so what is on the wire decodes to whole
    events at once. The compressor's context carries over from write to
    write, which is where the ratio comes from. A stream that ends cleanly
    finishes the coding (the gzip trailer, brotli's last block).

    @par Security
    Off by default for a reason: compressing secrets (a session token in an
    event) in the same stream as text an attacker chooses (a chat message)
    lets the attacker learn the secret from the compressed length over TLS
    (the CRIME/BREACH family). Turn it on for streams that do not mix the
    two.

    @par Memory
    A per-stream gzip compressor holds `2^(window_bits + 2) +
    2^(mem_level + 9)` bytes plus 6 KiB: 38 KiB with the defaults, which
    are chosen for many streams, not one (events repeat their keys within
    a few hundred bytes: on 200-byte JSON events the default window costs
    3% more bytes than zlib's largest when writes hold many events, 10%
    when each event is flushed alone, for a seventh of the memory). A
    brotli compressor is far larger: libbrotli 1.0.9 sizes its hash
    tables by quality and its ring buffer by window, so at quality 4 or 5
    and a 2^16 window it holds about 714 KiB (410 KiB at quality 2 or 3;
    about 9 MB with a 2^22 window), while qualities 0 and 1 compress
    nothing when every small write is flushed. A stream that shares gzip
    blocks (see `compression_sharing`) holds no compressor; the shared
    forms (about 1.8 times the event's size) are kept with the event. To
    serve thousands of compressed streams, turn `br` off.
*/
struct compression_options {
    /// Compress when the client accepts a coding. Default: off.
    bool enabled = false;

    /// Offer gzip. Default: on.
    bool gzip = true;

    /// Offer br. Default: on.
    bool br = true;

    /** zlib's level, 1 (fastest) to 9. Default: 6. Shared blocks are
        made once, at the level of the stream that first sends the event.
    */
    int gzip_level = 6;

    /// zlib's window, 2^N bytes, N from 9 to 15. Default: 12 (4 KiB).
    int gzip_window_bits = 12;

    /// zlib's memLevel, 1 to 9: the size of its hash table. Default: 5.
    int gzip_mem_level = 5;

    /// Brotli's quality, 0 to 11. Default: 5 (the best ratio for its memory).
    int br_quality = 5;

    /// Brotli's window, 2^N bytes, N from 10 to 24. Default: 16 (64 KiB).
    int br_window_bits = 16;

    /// Shared blocks for broadcaster streams. Default: automatic.
    compression_sharing sharing = compression_sharing::automatic;
};

/** Chooses the coding for a response from the request's `Accept-Encoding`.

    The value is read as RFC 9110 says: a list of codings (case-insensitive)
    with optional q-values (`gzip;q=0.8`), `*` for any coding not listed,
    `q=0` for "not acceptable". Of the codings the options offer and this
    build has, the one with the highest q-value above zero wins, `br`
    before `gzip` when they tie; `identity` competes only when it is
    listed (`gzip;q=0.5, identity` stays uncompressed). No header, or an
    empty one, means no compression: a client that does not ask is not
    sent a coding. An element that cannot be read (a bad q-value, stray
    characters) is skipped: a bad header never fails a stream.

    @param accept_encoding The header's value (empty when there is none).
    @param options What the stream offers; with `enabled == false` the
    result is `identity`.

    @return The coding to use; `identity` when nothing else fits.
*/
content_coding choose_coding(std::string_view accept_encoding, compression_options const& options) noexcept;

} // namespace sse

#include <sse/impl/compression.hpp>

#endif
