//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_SSE_HPP
#define SSE_SSE_HPP

// The core of the library. Optional parts have headers of their own:
// <sse/json.hpp> for JSON payloads.

#include <sse/error.hpp>
#include <sse/message.hpp>
#include <sse/parser.hpp>
#include <sse/version.hpp>

#endif
