//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_HTTP2_HPP
#define SSE_HTTP2_HPP

// HTTP/2 through nghttp2: link the CMake target sse::http2. The ALPN helpers
// for TLS are in <sse/http2/alpn.hpp> (they need OpenSSL).

#include <sse/http2/detect.hpp>
#include <sse/http2/serve.hpp>

#endif
