//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_FWD_HPP
#define SSE_FWD_HPP

#include <memory>

namespace sse {

enum class error;

template <class Allocator = std::allocator<char>>
class basic_message;

/// A message whose strings use `std::allocator`.
using message = basic_message<>;

template <class Allocator = std::allocator<char>>
class basic_parser;

/// A parser whose buffers use `std::allocator`.
using parser = basic_parser<>;

struct parser_options;
struct event;
struct event_view;

} // namespace sse

#endif
