//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_IMPL_QUERY_HPP
#define SSE_IMPL_QUERY_HPP

namespace sse {
namespace detail {

// The value of a hex digit, or -1.
inline int hex_value(char c) noexcept
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// Decodes s, calling put(char) for each decoded byte; false (having stopped)
// at a '%' without two hex digits.
template <class Put>
bool url_decode_each(std::string_view s, Put&& put)
{
    for (std::size_t i = 0; i < s.size(); ++i) {
        char const c = s[i];
        if (c == '+') {
            put(' ');
        } else if (c != '%') {
            put(c);
        } else {
            if (s.size() - i < 3)
                return false;
            int const hi = hex_value(s[i + 1]);
            int const lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0)
                return false;
            put(static_cast<char>(static_cast<unsigned char>(hi * 16 + lo)));
            i += 2;
        }
    }
    return true;
}

// Appends the decoding of s to out; false at malformed encoding.
inline bool url_decode_append(std::string_view s, std::string& out)
{
    return url_decode_each(s, [&out](char c) { out.push_back(c); });
}

// The decoded size of s; nullopt at malformed encoding.
inline std::optional<std::size_t> url_decoded_size(std::string_view s) noexcept
{
    std::size_t n = 0;
    if (!url_decode_each(s, [&n](char) noexcept { ++n; }))
        return std::nullopt;
    return n;
}

// Whether the decoding of raw (well-formed) is `want`, without storing it.
inline bool url_decoded_equals(std::string_view raw, std::string_view want) noexcept
{
    std::size_t i = 0;
    bool same = true;
    bool const ok = url_decode_each(raw, [&](char c) noexcept {
        if (i >= want.size() || want[i] != c)
            same = false;
        ++i;
    });
    return ok && same && i == want.size();
}

// The query of a target: after the first '?', before the first '#'.
inline std::optional<std::string_view> query_of(std::string_view target) noexcept
{
    target = target.substr(0, target.find('#'));
    auto const mark = target.find('?');
    if (mark == std::string_view::npos)
        return std::nullopt;
    return target.substr(mark + 1);
}

// Calls f(raw_name, raw_value) for each non-empty parameter of a query, in
// order, while f returns true; returns whether every call did.
template <class F>
bool for_each_parameter(std::string_view query, F&& f)
{
    while (!query.empty()) {
        auto const amp = query.find('&');
        auto const pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (pair.empty())
            continue;
        auto const eq = pair.find('=');
        auto const value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
        if (!f(pair.substr(0, eq), value))
            return false;
    }
    return true;
}

} // namespace detail

inline boost::system::result<std::string> url_decode(std::string_view s)
{
    std::string out;
    out.reserve(s.size());
    if (!detail::url_decode_append(s, out))
        return make_error_code(error::bad_percent_encoding);
    return out;
}

inline std::optional<std::string_view> query_params::get(std::string_view name) const noexcept
{
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it)
        if (std::string_view(text_.data() + it->name_offset, it->name_size) == name)
            return std::string_view(text_.data() + it->value_offset, it->value_size);
    return std::nullopt;
}

inline boost::system::result<query_params> parse_query(std::string_view target)
{
    query_params q;
    auto const query = detail::query_of(target);
    if (!query)
        return q;
    // Decoding never makes text longer: one block holds all of it.
    q.text_.reserve(query->size());
    bool const ok = detail::for_each_parameter(*query, [&q](std::string_view name, std::string_view value) {
        query_params::entry e{};
        e.name_offset = q.text_.size();
        if (!detail::url_decode_append(name, q.text_))
            return false;
        e.name_size = q.text_.size() - e.name_offset;
        e.value_offset = q.text_.size();
        if (!detail::url_decode_append(value, q.text_))
            return false;
        e.value_size = q.text_.size() - e.value_offset;
        q.entries_.push_back(e);
        return true;
    });
    if (!ok)
        return make_error_code(error::bad_percent_encoding);
    return q;
}

inline std::optional<std::string> query_parameter(std::string_view target, std::string_view name)
{
    auto const query = detail::query_of(target);
    if (!query)
        return std::nullopt;
    // One pass that checks every parameter and remembers the last match;
    // only that one is decoded into a string.
    std::optional<std::string_view> found;
    bool const ok = detail::for_each_parameter(*query, [&](std::string_view raw_name, std::string_view raw_value) {
        if (!detail::url_decoded_size(raw_name) || !detail::url_decoded_size(raw_value))
            return false;
        if (detail::url_decoded_equals(raw_name, name))
            found = raw_value;
        return true;
    });
    if (!ok || !found)
        return std::nullopt;
    std::string value;
    value.reserve(found->size());
    detail::url_decode_append(*found, value);
    return value;
}

} // namespace sse

#endif
