//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_VERSION_HPP
#define SSE_VERSION_HPP

/// The library version as major * 100000 + minor * 100 + patch.
#define SSE_VERSION 100

#define SSE_VERSION_MAJOR 0
#define SSE_VERSION_MINOR 1
#define SSE_VERSION_PATCH 0

#endif
