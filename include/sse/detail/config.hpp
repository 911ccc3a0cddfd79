//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_DETAIL_CONFIG_HPP
#define SSE_DETAIL_CONFIG_HPP

#include <boost/assert.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#if __cplusplus < 202002L && !(defined(_MSVC_LANG) && _MSVC_LANG >= 202002L)
#error "sse requires C++20"
#endif

#define SSE_ASSERT(expr) BOOST_ASSERT(expr)

namespace boost::asio {}
namespace boost::beast {}

namespace sse {

namespace net = boost::asio;
namespace beast = boost::beast;

/// The error code type used throughout the library.
using error_code = boost::system::error_code;

/// The exception type thrown by the throwing overloads.
using system_error = boost::system::system_error;

} // namespace sse

#endif
