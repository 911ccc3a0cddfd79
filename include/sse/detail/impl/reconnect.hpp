//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_DETAIL_IMPL_RECONNECT_HPP
#define SSE_DETAIL_IMPL_RECONNECT_HPP

#include <boost/beast/core/string.hpp>

#include <cmath>

namespace sse::detail {

inline bool is_event_stream_type(std::string_view content_type) noexcept
{
    auto const semi = content_type.find(';');
    auto type = content_type.substr(0, semi);
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t'))
        type.remove_suffix(1);
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t'))
        type.remove_prefix(1);
    return beast::iequals(type, "text/event-stream");
}

inline std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value) noexcept
{
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
        value.remove_suffix(1);
    if (value.empty() || value.size() > 9)
        return std::nullopt;
    std::int64_t seconds = 0;
    for (char const c : value) {
        if (c < '0' || c > '9')
            return std::nullopt;
        seconds = seconds * 10 + (c - '0');
    }
    return std::chrono::seconds(seconds);
}

inline response_verdict judge_response(unsigned status, std::string_view content_type, std::string_view retry_after, bool has_location) noexcept
{
    using kind = response_verdict::kind;
    switch (status) {
    case 200:
        if (is_event_stream_type(content_type))
            return {kind::open, {}, std::nullopt};
        return {kind::fail, make_error_code(error::bad_content_type), std::nullopt};
    case 204: return {kind::stop, make_error_code(error::no_content), std::nullopt};
    case 301:
    case 302:
    case 303:
    case 307:
    case 308:
        if (has_location)
            return {kind::redirect, {}, std::nullopt};
        break;
    case 429:
    case 502:
    case 503:
    case 504: return {kind::retry, make_error_code(error::refused), parse_retry_after(retry_after)};
    default: break;
    }
    return {kind::fail, make_error_code(error::refused), std::nullopt};
}

inline reconnect_fsm::reconnect_fsm(client_options const& options, std::uint64_t seed)
    : options_(options)
    , rng_(seed)
    , reconnection_time_(options.reconnection_time)
{
}

inline void reconnect_fsm::opened(time_point now) noexcept
{
    opened_at_ = now;
    failures_ = 0; // an attempt succeeded
    failing_since_.reset();
}

inline auto reconnect_fsm::ended(error_code ec, time_point now, client_failure& failure) -> step
{
    // A stream that lived a while starts the back-off over; one cut short
    // soon after it opened backs off further. A clean end is no failure:
    // the next attempt waits the reconnection time (WHATWG).
    bool const stable = opened_at_ && now - *opened_at_ >= options_.stable_after;
    opened_at_.reset();
    if (stable || !ec)
        level_ = 0;
    if (options_.one_shot)
        return {false, duration(0), ec ? ec : make_error_code(error::end_of_stream)};
    failure.error = ec ? ec : make_error_code(error::end_of_stream);
    failure.status = 200;
    failure.attempts = 0;
    return decide(backoff(), failure);
}

inline auto reconnect_fsm::attempt_failed(error_code ec, std::optional<duration> server_delay, time_point now, client_failure& failure)
    -> step
{
    opened_at_.reset();
    failure.error = ec;
    if (options_.one_shot)
        return {false, duration(0), ec};
    ++failures_;
    if (!failing_since_)
        failing_since_ = now;
    failure.attempts = failures_;
    if (options_.max_attempts && failures_ >= *options_.max_attempts)
        return {false, duration(0), make_error_code(error::too_many_retries)};
    duration const delay = server_delay ? *server_delay : backoff();
    if (options_.max_retry_time && (now - *failing_since_) + delay > *options_.max_retry_time)
        return {false, duration(0), make_error_code(error::too_many_retries)};
    return decide(delay, failure);
}

inline auto reconnect_fsm::decide(duration delay, client_failure& failure) -> step
{
    failure.delay = delay;
    if (options_.on_failure) {
        auto const d = options_.on_failure(failure).delay();
        if (!d)
            return {false, duration(0), make_error_code(error::too_many_retries)};
        delay = std::max(*d, duration(0));
    }
    return {true, delay, {}};
}

// The reconnection time, doubled for each failure in a row before this
// one, up to the ceiling; then up to `jitter` of it added at random.
inline auto reconnect_fsm::backoff() noexcept -> duration
{
    auto const base = std::max<std::int64_t>(reconnection_time_.count(), 0);
    auto const ceiling = std::max<std::int64_t>(options_.max_backoff.count(), base);
    std::int64_t d = base;
    for (std::size_t i = 0; i < level_ && d < ceiling; ++i)
        d = std::min(ceiling, d * 2);
    ++level_;
    if (options_.jitter > 0 && d > 0) {
        std::uniform_real_distribution<double> u(0.0, std::min(options_.jitter, 1.0));
        d += static_cast<std::int64_t>(std::llround(static_cast<double>(d) * u(rng_)));
        d = std::min(d, std::max(ceiling, base));
    }
    return duration(d);
}

} // namespace sse::detail

#endif
