//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_SSE_HPP
#define SSE_SSE_HPP

// The core of the library. Optional parts have headers of their own:
// <sse/json.hpp> for JSON payloads, <sse/sources/...> for the source
// adapters (coro, channel, range). The type-erased source,
// <sse/sources/any.hpp>, is core: sse::response and the servers use it;
// so is the push-style writer, <sse/sources/pipe.hpp>, which needs no
// experimental Asio header.

#include <sse/broadcaster.hpp>
#include <sse/error.hpp>
#include <sse/http1.hpp>
#include <sse/message.hpp>
#include <sse/message_source.hpp>
#include <sse/parser.hpp>
#include <sse/query.hpp>
#include <sse/request.hpp>
#include <sse/response.hpp>
#include <sse/serialized.hpp>
#include <sse/server_options.hpp>
#include <sse/sources/any.hpp>
#include <sse/sources/pipe.hpp>
#include <sse/stream_response.hpp>
#include <sse/version.hpp>

#endif
