//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_JSON_HPP
#define SSE_JSON_HPP

// JSON payloads: include this header to use `basic_message::json()`. The core
// headers see only <nlohmann/json_fwd.hpp>, so code that sends no JSON does
// not compile nlohmann/json.
//
//   struct quote { std::string symbol; double price; };
//   void to_json(nlohmann::json& j, quote const& q) { j = {{"s", q.symbol}, {"p", q.price}}; }
//
//   auto msg = sse::message{}.event("quote").json(quote{"EURUSD", 1.0841});
//   // event: quote
//   // data: {"p":1.0841,"s":"EURUSD"}

#include <sse/message.hpp>

#include <nlohmann/json.hpp>

#endif
