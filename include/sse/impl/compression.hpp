//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_IMPL_COMPRESSION_HPP
#define SSE_IMPL_COMPRESSION_HPP

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <cstddef>
#include <stdexcept>

namespace sse {
namespace detail {

constexpr bool is_ows(char c) noexcept
{
    return c == ' ' || c == '\t';
}

constexpr std::string_view trim_ows(std::string_view s) noexcept
{
    while (!s.empty() && is_ows(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back()))
        s.remove_suffix(1);
    return s;
}

// Whether a comma-separated list (a Vary value) has `token`, in any case.
inline bool lists_token(std::string_view list, std::string_view token) noexcept
{
    while (!list.empty()) {
        auto const comma = list.find(',');
        if (beast::iequals(trim_ows(list.substr(0, comma)), token))
            return true;
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    }
    return false;
}

// A q-value (RFC 9110 12.4.2) in thousandths: "0", "0.5", "1.000"; -1 when
// it is not one.
constexpr int parse_qvalue(std::string_view s) noexcept
{
    if (s.empty() || (s[0] != '0' && s[0] != '1'))
        return -1;
    int const whole = s[0] - '0';
    if (s.size() == 1)
        return whole * 1000;
    if (s[1] != '.' || s.size() > 5)
        return -1;
    int frac = 0;
    int scale = 100;
    for (std::size_t i = 2; i < s.size(); ++i) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        frac += (s[i] - '0') * scale;
        scale /= 10;
    }
    if (whole == 1 && frac != 0)
        return -1;
    return whole * 1000 + frac;
}

// The q-values an Accept-Encoding gives each coding we know, in
// thousandths; -1 where the header does not list it.
struct accepted_codings {
    int gzip = -1;
    int br = -1;
    int identity = -1;
    int any = -1; // "*"

    static accepted_codings parse(std::string_view value) noexcept
    {
        accepted_codings a;
        while (!value.empty()) {
            auto const comma = value.find(',');
            auto element = value.substr(0, comma);
            value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);

            auto const semi = element.find(';');
            auto const name = trim_ows(element.substr(0, semi));
            if (name.empty())
                continue;
            int q = 1000;
            bool readable = true;
            for (auto params = semi == std::string_view::npos ? std::string_view() : element.substr(semi + 1);
                 readable && !params.empty();) {
                auto const next = params.find(';');
                auto const param = trim_ows(params.substr(0, next));
                params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
                auto const eq = param.find('=');
                if (eq == std::string_view::npos) {
                    readable = false;
                    break;
                }
                if (beast::iequals(trim_ows(param.substr(0, eq)), "q"))
                    q = parse_qvalue(trim_ows(param.substr(eq + 1)));
                readable = q >= 0;
            }
            if (!readable)
                continue; // skipped, not fatal
            int* slot = nullptr;
            if (beast::iequals(name, "gzip") || beast::iequals(name, "x-gzip"))
                slot = &a.gzip;
            else if (beast::iequals(name, "br"))
                slot = &a.br;
            else if (beast::iequals(name, "identity"))
                slot = &a.identity;
            else if (name == "*")
                slot = &a.any;
            if (slot && q > *slot)
                *slot = q; // listed twice: the better one
        }
        return a;
    }

    // The q-value of a coding: its own, else "*"'s, else not acceptable.
    static constexpr int of(int listed, int any) noexcept { return listed >= 0 ? listed : (any >= 0 ? any : 0); }
};

inline content_coding choose_coding(accepted_codings const& a, compression_options const& options) noexcept
{
    if (!options.enabled)
        return content_coding::identity;
    int const gzip = options.gzip && coding_available(content_coding::gzip) ? a.of(a.gzip, a.any) : 0;
    int const br = options.br && coding_available(content_coding::br) ? a.of(a.br, a.any) : 0;
    // identity competes only when listed: by name, or through "*". A
    // coding wins a tie with it.
    int const identity = a.identity >= 0 ? a.identity : a.any;
    int const best = std::max(br, gzip);
    if (best <= 0 || best < identity)
        return content_coding::identity;
    return br == best ? content_coding::br : content_coding::gzip;
}

// Throws std::invalid_argument when an option is out of its range.
inline void check_compression_options(compression_options const& o)
{
    auto const check = [](bool ok, char const* what) {
        if (!ok)
            throw std::invalid_argument(what);
    };
    check(o.gzip_level >= 1 && o.gzip_level <= 9, "sse::compression_options: gzip_level must be 1 to 9");
    check(o.gzip_window_bits >= 9 && o.gzip_window_bits <= 15,
          "sse::compression_options: gzip_window_bits must be 9 to 15");
    check(o.gzip_mem_level >= 1 && o.gzip_mem_level <= 9, "sse::compression_options: gzip_mem_level must be 1 to 9");
    check(o.br_quality >= 0 && o.br_quality <= 11, "sse::compression_options: br_quality must be 0 to 11");
    check(o.br_window_bits >= 10 && o.br_window_bits <= 24,
          "sse::compression_options: br_window_bits must be 10 to 24");
}

} // namespace detail

inline content_coding choose_coding(std::string_view accept_encoding, compression_options const& options) noexcept
{
    return detail::choose_coding(detail::accepted_codings::parse(accept_encoding), options);
}

} // namespace sse

#endif
