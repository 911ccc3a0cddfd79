//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_STREAM_OPTIONS_HPP
#define SSE_STREAM_OPTIONS_HPP

#include <sse/compression.hpp>
#include <sse/detail/config.hpp>

#include <chrono>
#include <cstddef>
#include <optional>

namespace sse {

namespace detail {

// The old name of stream_options::heartbeat, kept for one release: setting
// it still works (and wins over heartbeat), with a deprecation warning.
class renamed_heartbeat {
public:
    renamed_heartbeat() = default;

    [[deprecated("stream_options::keep_alive is renamed stream_options::heartbeat")]]
    renamed_heartbeat(std::chrono::milliseconds interval) noexcept : value_(interval) // NOLINT: conversion by design
    {
    }

    [[deprecated("stream_options::keep_alive is renamed stream_options::heartbeat")]]
    renamed_heartbeat& operator=(std::chrono::milliseconds interval) noexcept
    {
        value_ = interval;
        return *this;
    }

    std::optional<std::chrono::milliseconds> const& value() const noexcept { return value_; }

private:
    std::optional<std::chrono::milliseconds> value_;
};

} // namespace detail

/** How an event stream is paced and bounded. Every field has a documented default.

    The same rules hold over HTTP/1.1 and HTTP/2: one engine decides for
    both (see the README's architecture section).
*/
struct stream_options {
    /** Send a comment line (`:`) after this long without output, so that
        proxies and clients keep an idle stream open. Counted from the end
        of the last write, so a busy stream sends none. Zero turns it off.
        Default: 15 s.
    */
    std::chrono::milliseconds heartbeat{std::chrono::seconds(15)};

    /// A reconnection time sent first, as `retry: N`. Default: none.
    std::optional<std::chrono::milliseconds> retry;

    /** End the stream with `error::send_timeout` when one write takes
        longer than this: the peer stopped reading (HTTP/1.1), or gave no
        flow-control window (HTTP/2). Counted from the start of each write;
        a write holds at most `max_write_size` bytes (or one larger
        message). Zero turns it off. Default: 30 s.
    */
    std::chrono::milliseconds send_timeout{std::chrono::seconds(30)};

    /** The most bytes serialized but not yet written. At the cap the stream
        stops asking the source for more until writes drain it: a slow
        reader holds back the producer instead of growing memory. Default:
        1 MiB.
    */
    std::size_t max_queued_bytes = 1024 * 1024;

    /** The most bytes one write gathers when several messages are ready.
        Messages are never split across writes by this limit: a write holds
        at least one whole message. Default: 64 KiB.
    */
    std::size_t max_write_size = 64 * 1024;

    /// Send `X-Accel-Buffering: no`, which stops nginx buffering the stream. Default: on.
    bool no_accel_buffering = true;

    /** Compress the stream when the client accepts gzip or br. Default:
        off (see `compression_options` for why, and for what it costs).
        Every write is flushed through the compressor: no event waits in
        it.
    */
    compression_options compression;

    /** Deprecated: the old name of `heartbeat`, kept for one release.
        Assigning it warns, and a value assigned here wins over
        `heartbeat`.
    */
    detail::renamed_heartbeat keep_alive;
};

} // namespace sse

#endif
