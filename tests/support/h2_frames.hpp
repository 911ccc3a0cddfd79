//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_TEST_H2_FRAMES_HPP
#define SSE_TEST_H2_FRAMES_HPP

// HTTP/2 frames written by hand (RFC 9113, 4.1), for tests that feed a
// session bytes directly.

#include <cstdint>
#include <string>

namespace sse::test {

// A 32-bit value, network byte order.
inline std::string u32(std::uint32_t v)
{
    std::string s;
    for (int shift : {24, 16, 8, 0})
        s += static_cast<char>(v >> shift & 0xff);
    return s;
}

// A frame: the 9-byte header, then the payload.
inline std::string frame(std::uint8_t type, std::uint8_t flags, std::uint32_t id, std::string const& payload = {})
{
    std::string f;
    for (int shift : {16, 8, 0})
        f += static_cast<char>(payload.size() >> shift & 0xff);
    f += static_cast<char>(type);
    f += static_cast<char>(flags);
    return f + u32(id) + payload;
}

} // namespace sse::test

#endif
