//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_TEST_STREAM_ITEMS_HPP
#define SSE_TEST_STREAM_ITEMS_HPP

// Reads a whole stream with sse::parser in a given chunking, recording every
// result, so that tests compare what a client sees, chunking after chunking.

#include <sse/parser.hpp>

#include <chrono>
#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace sse::test {

// One thing the parser reported: an event, or a new reconnection time.
struct item {
    bool is_retry = false;
    sse::event ev;
    std::chrono::milliseconds retry{};

    static item make_event(std::string type, std::string data, std::string id = {})
    {
        return {false, sse::event(std::move(type), std::move(data), std::move(id)), {}};
    }
    static item make_retry(std::chrono::milliseconds ms) { return {true, {}, ms}; }

    friend bool operator==(item const&, item const&) = default;

    friend std::ostream& operator<<(std::ostream& os, item const& i)
    {
        if (i.is_retry)
            return os << "retry(" << i.retry.count() << ")";
        return os << "event(type=\"" << i.ev.type << "\", data=\"" << i.ev.data << "\", id=\"" << i.ev.id
                  << "\")";
    }
};

struct parse_outcome {
    std::vector<item> items;
    std::string last_event_id;
    sse::error_code ec;

    friend bool operator==(parse_outcome const&, parse_outcome const&) = default;
};

// Parses `stream` cut into chunks at the given offsets (ascending).
inline parse_outcome parse_split(
    std::string_view stream,
    std::vector<std::size_t> const& cuts,
    sse::parser_options const& options = {}
)
{
    sse::parser p(options);
    parse_outcome out;
    std::size_t pos = 0;
    auto feed = [&](std::string_view chunk) {
        while (!chunk.empty() && !out.ec) {
            auto const r = p.parse(chunk, out.ec);
            if (r == sse::parse_result::event)
                out.items.push_back(item{false, sse::event(p.event()), {}});
            else if (r == sse::parse_result::retry)
                out.items.push_back(item::make_retry(*p.retry()));
        }
    };
    for (std::size_t cut : cuts) {
        feed(stream.substr(pos, cut - pos));
        pos = cut;
    }
    feed(stream.substr(pos));
    out.last_event_id = std::string(p.last_event_id());
    return out;
}

inline parse_outcome parse_whole(std::string_view stream, sse::parser_options const& options = {})
{
    return parse_split(stream, {}, options);
}

// Parses one byte at a time.
inline parse_outcome parse_bytewise(std::string_view stream, sse::parser_options const& options = {})
{
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < stream.size(); ++i)
        cuts.push_back(i);
    return parse_split(stream, cuts, options);
}

} // namespace sse::test

#endif
