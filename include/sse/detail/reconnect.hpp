//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_DETAIL_RECONNECT_HPP
#define SSE_DETAIL_RECONNECT_HPP

// The client's decisions, without I/O: what a response means (open, stop,
// fail, retry after X), and whether and when to connect again after a
// failure (reconnection time, back-off with jitter, the limits, one-shot,
// the user's hook). The time is an argument; the jitter comes from a seeded
// generator, so a script of events gives the same delays every time.

#include <sse/client_options.hpp>
#include <sse/detail/config.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

namespace sse::detail {

// What a response's status and header say.
struct response_verdict {
    enum class kind {
        open,     // a 200 event stream: read it
        stop,     // 204: stop for good
        redirect, // 301, 302, 303, 307, 308 with a Location
        fail,     // refused for good: error says why
        retry,    // 429, 502, 503, 504: try again, after `delay` if the server said
    };
    kind what;
    error_code error;
    std::optional<std::chrono::milliseconds> delay;
};

// Whether a Content-Type is text/event-stream (parameters allowed).
bool is_event_stream_type(std::string_view content_type) noexcept;

// A Retry-After given in seconds; an HTTP-date is not read (the client's
// own delay applies).
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value) noexcept;

response_verdict judge_response(unsigned status, std::string_view content_type, std::string_view retry_after, bool has_location) noexcept;

class reconnect_fsm {
public:
    using clock = std::chrono::steady_clock;
    using time_point = clock::time_point;
    using duration = std::chrono::milliseconds;

    // What to do after a failure or an end.
    struct step {
        bool retry;       // connect again after `delay`; else stop with `error`
        duration delay;
        error_code error; // when not retrying
    };

    reconnect_fsm(client_options const& options, std::uint64_t seed);

    // The stream opened at `now`.
    void opened(time_point now) noexcept;

    // The stream set its reconnection time (`retry:`).
    void set_reconnection_time(duration d) noexcept { reconnection_time_ = d; }

    duration reconnection_time() const noexcept { return reconnection_time_; }

    // An open stream ended at `now`: cleanly (`ec` empty) or not. A clean
    // end waits the reconnection time; a stream cut short backs off.
    step ended(error_code ec, time_point now, client_failure& failure);

    // An attempt failed before the stream opened: a connection error, or
    // a retryable status (with the server's delay, if it gave one).
    step attempt_failed(error_code ec, std::optional<duration> server_delay, time_point now, client_failure& failure);

    // Failed attempts in a row.
    std::size_t failures() const noexcept { return failures_; }

private:
    step decide(duration delay, client_failure& failure);
    duration backoff() noexcept;

    client_options const& options_;
    std::mt19937_64 rng_;
    duration reconnection_time_;
    std::size_t failures_ = 0; // failed attempts in a row
    std::size_t level_ = 0;    // back-off doublings: failures since the last stable stream
    std::optional<time_point> failing_since_;
    std::optional<time_point> opened_at_;
};

} // namespace sse::detail

#include <sse/detail/impl/reconnect.hpp>

#endif
