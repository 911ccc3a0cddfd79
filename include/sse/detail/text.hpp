//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_DETAIL_TEXT_HPP
#define SSE_DETAIL_TEXT_HPP

// Byte scanning shared by the serializer and the parser: line breaks (CR, LF,
// CRLF) and UTF-8 well-formedness, with a 16-bytes-at-a-time fast path.

#include <sse/detail/config.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#include <emmintrin.h>
#define SSE_DETAIL_HAS_SSE2 1
#endif

namespace sse::detail {

inline constexpr std::size_t npos = static_cast<std::size_t>(-1);

// The replacement character U+FFFD in UTF-8.
inline constexpr std::string_view replacement_character = "\xEF\xBF\xBD";

// Returns a pointer to the first CR or LF in [p, end), or end.
inline char const* find_line_break(char const* p, char const* end) noexcept
{
#ifdef SSE_DETAIL_HAS_SSE2
    __m128i const cr = _mm_set1_epi8('\r');
    __m128i const lf = _mm_set1_epi8('\n');
    while (end - p >= 16) {
        __m128i const v = _mm_loadu_si128(reinterpret_cast<__m128i const*>(p));
        int const m = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)));
        if (m != 0)
            return p + __builtin_ctz(static_cast<unsigned>(m));
        p += 16;
    }
#endif
    while (p != end && *p != '\r' && *p != '\n')
        ++p;
    return p;
}

// Length of the line break at p (which points at CR or LF): 2 for CRLF, else 1.
inline std::size_t line_break_size(char const* p, char const* end) noexcept
{
    return (*p == '\r' && p + 1 != end && p[1] == '\n') ? 2 : 1;
}

// Length of the UTF-8 sequence starting at p, which is not ASCII. Sets ok to
// whether it is well-formed (Unicode 15, table 3-7). When it is not, the
// length is that of its maximal subpart, which a decoder replaces with one
// U+FFFD (the WHATWG UTF-8 decoder does exactly this).
inline std::size_t utf8_sequence(unsigned char const* p, unsigned char const* end, bool& ok) noexcept
{
    unsigned const c = p[0];
    std::size_t need;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        ok = false;
        return 1;
    }
    for (std::size_t i = 1; i <= need; ++i) {
        if (p + i == end || p[i] < lo || p[i] > hi) {
            ok = false;
            return i;
        }
        lo = 0x80;
        hi = 0xBF;
    }
    ok = true;
    return need + 1;
}

// Returns the offset of the first byte of the first ill-formed sequence, or npos.
inline std::size_t find_invalid_utf8(std::string_view s) noexcept
{
    auto const* const begin = reinterpret_cast<unsigned char const*>(s.data());
    auto const* const end = begin + s.size();
    auto const* p = begin;
    while (p != end) {
#ifdef SSE_DETAIL_HAS_SSE2
        while (end - p >= 16 &&
               _mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<__m128i const*>(p))) == 0)
            p += 16;
#endif
        while (p != end && *p < 0x80)
            ++p;
        if (p == end)
            break;
        bool ok;
        std::size_t const n = utf8_sequence(p, end, ok);
        if (!ok)
            return static_cast<std::size_t>(p - begin);
        p += n;
    }
    return npos;
}

// Appends s to out, each maximal ill-formed subsequence replaced with U+FFFD:
// what a WHATWG decoder reads from those bytes.
template <class String>
void append_utf8_replacing(String& out, std::string_view s)
{
    std::size_t bad = find_invalid_utf8(s);
    while (bad != npos) {
        out.append(s.data(), bad);
        s.remove_prefix(bad);
        auto const* p = reinterpret_cast<unsigned char const*>(s.data());
        bool ok;
        std::size_t const n = utf8_sequence(p, p + s.size(), ok);
        out.append(replacement_character.data(), replacement_character.size());
        s.remove_prefix(n);
        bad = find_invalid_utf8(s);
    }
    out.append(s.data(), s.size());
}

// What a value looks like on the wire once split into lines.
struct line_stats {
    std::size_t lines = 1;       // pieces after splitting on CR, LF and CRLF
    std::size_t break_bytes = 0; // bytes taken by the line breaks
    std::size_t empty_lines = 0; // pieces of zero length
};

// Splits s on line breaks, counting pieces. Stops at the first ill-formed
// UTF-8 sequence and returns its offset, or npos if there is none.
inline std::size_t scan_text(std::string_view s, line_stats& stats) noexcept
{
    auto const* const begin = reinterpret_cast<unsigned char const*>(s.data());
    auto const* const end = begin + s.size();
    auto const* p = begin;
    auto const* line_start = begin;
    stats = {};
    while (p != end) {
#ifdef SSE_DETAIL_HAS_SSE2
        __m128i const cr = _mm_set1_epi8('\r');
        __m128i const lf = _mm_set1_epi8('\n');
        while (end - p >= 16) {
            __m128i const v = _mm_loadu_si128(reinterpret_cast<__m128i const*>(p));
            __m128i const br = _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf));
            if (_mm_movemask_epi8(_mm_or_si128(v, br)) != 0)
                break;
            p += 16;
        }
#endif
        while (p != end && *p < 0x80 && *p != '\r' && *p != '\n')
            ++p;
        if (p == end)
            break;
        if (*p == '\r' || *p == '\n') {
            if (p == line_start)
                ++stats.empty_lines;
            std::size_t const n =
                line_break_size(reinterpret_cast<char const*>(p), reinterpret_cast<char const*>(end));
            ++stats.lines;
            stats.break_bytes += n;
            p += n;
            line_start = p;
            continue;
        }
        bool ok;
        std::size_t const n = utf8_sequence(p, end, ok);
        if (!ok)
            return static_cast<std::size_t>(p - begin);
        p += n;
    }
    if (p == line_start)
        ++stats.empty_lines;
    return npos;
}

} // namespace sse::detail

#endif
