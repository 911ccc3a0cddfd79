//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_IMPL_PARSER_HPP
#define SSE_IMPL_PARSER_HPP

#include <sse/detail/text.hpp>

#include <limits>

namespace sse {

template <class Allocator>
basic_parser<Allocator>::basic_parser(parser_options const& options, Allocator const& alloc)
    : options_(options)
    , line_(alloc)
    , data_(alloc)
    , type_(alloc)
    , id_buffer_(alloc)
    , last_event_id_(alloc)
    , comment_(alloc)
{
}

template <class Allocator>
void basic_parser<Allocator>::reset() noexcept
{
    id_buffer_.clear();
    last_event_id_.clear();
    retry_.reset();
    restart();
}

// A new stream: what the last one left half-read goes; the last event id
// and the reconnection time are the caller's to set.
template <class Allocator>
void basic_parser<Allocator>::restart() noexcept
{
    line_.clear();
    data_.clear();
    type_.clear();
    failed_ = {};
    started_ = false;
    skip_lf_ = false;
    in_block_ = false;
    dispatched_ = false;
    commented_ = false;
}

template <class Allocator>
void basic_parser<Allocator>::reset(
    std::string_view id,
    std::optional<std::chrono::milliseconds> reconnection_time
)
{
    SSE_ASSERT(id.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos);
    SSE_ASSERT(!reconnection_time || reconnection_time->count() >= 0);
    // `id` may view last_event_id_: copy it before that changes.
    id_buffer_.assign(id.data(), id.size());
    last_event_id_ = id_buffer_;
    retry_ = reconnection_time;
    restart();
}

template <class Allocator>
void basic_parser<Allocator>::release() noexcept
{
    if (dispatched_) {
        data_.clear();
        type_.clear();
        dispatched_ = false;
    }
    commented_ = false;
}

template <class Allocator>
parse_result basic_parser<Allocator>::fail(error e, error_code& ec)
{
    failed_ = e;
    ec = make_error_code(e);
    return parse_result::need_more;
}

template <class Allocator>
parse_result basic_parser<Allocator>::parse(std::string_view& input, error_code& ec)
{
    ec = {};
    if (failed_ != error{})
        return fail(failed_, ec);
    release();
    while (!input.empty()) {
        if (skip_lf_) {
            skip_lf_ = false;
            if (input.front() == '\n') {
                input.remove_prefix(1);
                continue;
            }
        }
        char const* const begin = input.data();
        char const* const end = begin + input.size();
        char const* const brk = detail::find_line_break(begin, end);
        std::size_t const n = static_cast<std::size_t>(brk - begin);
        if (line_.size() + n > options_.max_line_size)
            return fail(error::line_too_long, ec);
        if (brk == end) {
            line_.append(begin, n);
            input = {};
            break;
        }
        std::string_view line(begin, n);
        if (!line_.empty()) {
            line_.append(begin, n);
            line = line_;
        }
        // Consume the line and its break. A CR at the end of the input ends
        // the line now; a LF arriving next belongs to the same break.
        std::size_t used = n + 1;
        if (*brk == '\r') {
            if (brk + 1 == end)
                skip_lf_ = true;
            else if (brk[1] == '\n')
                ++used;
        }
        input.remove_prefix(used);
        parse_result const r = process(line, ec);
        line_.clear();
        if (ec)
            return r;
        if (r != parse_result::need_more)
            return r;
    }
    return parse_result::need_more;
}

template <class Allocator>
parse_result basic_parser<Allocator>::parse(std::string_view& input)
{
    error_code ec;
    parse_result const r = parse(input, ec);
    if (ec)
        throw system_error(ec, "sse::parser");
    return r;
}

template <class Allocator>
end_state basic_parser<Allocator>::finish(error_code& ec)
{
    ec = {};
    if (failed_ != error{}) {
        fail(failed_, ec);
        return end_state::clean;
    }
    release();

    // A leading BOM alone is not a line.
    bool const tail = !line_.empty() && (started_ || std::string_view(line_) != "\xEF\xBB\xBF");
    end_state const state = tail ? end_state::mid_line : in_block_ ? end_state::mid_event : end_state::clean;

    if (options_.dispatch_unterminated && state != end_state::clean) {
        // As if a line break and an empty line had followed.
        if (tail) {
            process(line_, ec);
            commented_ = false;
            line_.clear();
            if (ec)
                return state;
        }
        process({}, ec);
    }

    // What a new stream starts from.
    line_.clear();
    if (!dispatched_) {
        data_.clear();
        type_.clear();
    }
    id_buffer_ = last_event_id_;
    started_ = false;
    skip_lf_ = false;
    in_block_ = false;
    return state;
}

template <class Allocator>
end_state basic_parser<Allocator>::finish()
{
    error_code ec;
    end_state const r = finish(ec);
    if (ec)
        throw system_error(ec, "sse::parser");
    return r;
}

template <class Allocator>
parse_result basic_parser<Allocator>::process(std::string_view line, error_code& ec)
{
    if (!started_) {
        started_ = true;
        if (line.starts_with("\xEF\xBB\xBF"))
            line.remove_prefix(3);
    }

    if (line.empty()) {
        // Dispatch.
        in_block_ = false;
        last_event_id_ = id_buffer_;
        if (data_.empty()) {
            type_.clear();
            return parse_result::need_more;
        }
        data_.pop_back(); // the LF after the last data line
        dispatched_ = true;
        return parse_result::event;
    }

    if (line.front() == ':') {
        if (!options_.report_comments)
            return parse_result::need_more;
        line.remove_prefix(1);
        if (!line.empty() && line.front() == ' ')
            line.remove_prefix(1);
        comment_.clear();
        detail::append_utf8_replacing(comment_, line);
        commented_ = true;
        return parse_result::comment;
    }

    in_block_ = true;

    std::string_view name = line;
    std::string_view value;
    if (std::size_t const colon = line.find(':'); colon != std::string_view::npos) {
        name = line.substr(0, colon);
        value = line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ')
            value.remove_prefix(1);
    }

    if (name == "data") {
        // Checked before appending, then again on the decoded size: each
        // ill-formed byte can grow into a three-byte U+FFFD.
        if (data_.size() + value.size() + 1 > options_.max_event_size)
            return fail(error::event_too_large, ec);
        detail::append_utf8_replacing(data_, value);
        data_.push_back('\n');
        if (data_.size() > options_.max_event_size)
            return fail(error::event_too_large, ec);
    } else if (name == "event") {
        type_.clear();
        detail::append_utf8_replacing(type_, value);
    } else if (name == "id") {
        if (value.find('\0') == std::string_view::npos) {
            id_buffer_.clear();
            detail::append_utf8_replacing(id_buffer_, value);
        }
    } else if (name == "retry") {
        if (value.empty())
            return parse_result::need_more;
        using rep = std::chrono::milliseconds::rep;
        constexpr rep max = std::numeric_limits<rep>::max();
        rep ms = 0;
        for (char const c : value) {
            if (c < '0' || c > '9')
                return parse_result::need_more;
            rep const d = c - '0';
            ms = ms > (max - d) / 10 ? max : ms * 10 + d;
        }
        retry_ = std::chrono::milliseconds(ms);
        return parse_result::retry;
    }
    return parse_result::need_more;
}

template <class Allocator>
event_view basic_parser<Allocator>::event() const noexcept
{
    SSE_ASSERT(dispatched_);
    return {
        type_.empty() ? std::string_view("message") : std::string_view(type_),
        std::string_view(data_),
        std::string_view(last_event_id_),
    };
}

template <class Allocator>
std::string_view basic_parser<Allocator>::comment() const noexcept
{
    SSE_ASSERT(commented_);
    return comment_;
}

inline std::vector<event> parse_events(std::string_view stream, error_code& ec, parser_options const& options)
{
    std::vector<event> events;
    parser p(options);
    while (!stream.empty()) {
        if (p.parse(stream, ec) == parse_result::event)
            events.emplace_back(p.event());
        if (ec)
            return events;
    }
    p.finish(ec);
    if (p.has_event())
        events.emplace_back(p.event());
    return events;
}

inline std::vector<event> parse_events(std::string_view stream, parser_options const& options)
{
    error_code ec;
    auto events = parse_events(stream, ec, options);
    if (ec)
        throw system_error(ec, "sse::parse_events");
    return events;
}

} // namespace sse

#endif
