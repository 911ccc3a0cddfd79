//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_REQUEST_HPP
#define SSE_REQUEST_HPP

// Reading an event-stream request, and refusing one.

#include <sse/detail/config.hpp>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>

#include <optional>
#include <string_view>

namespace sse {

/** The request's `Last-Event-ID` header: the id of the last event a
    reconnecting client received, or nullopt on a first connection.
*/
template <class Body, class Fields>
std::optional<std::string_view> last_event_id(beast::http::request<Body, Fields> const& request);

/// Whether the request accepts `text/event-stream`.
///
/// True when the `Accept` header is absent, or lists `text/event-stream`,
/// `text/*` or `*/*` with a non-zero quality (`EventSource` sends
/// `Accept: text/event-stream`; curl sends `*/*`). Media types compare
/// case-insensitively.
template <class Body, class Fields>
bool accepts_event_stream(beast::http::request<Body, Fields> const& request);

/** A `204 No Content` answer to an event-stream request.

    A browser's `EventSource` stops reconnecting when it gets one: answer a
    client that should go away with it. The version and keep-alive follow
    the request.
*/
template <class Body, class Fields>
beast::http::response<beast::http::empty_body> no_content(beast::http::request<Body, Fields> const& request);

} // namespace sse

#include <sse/impl/request.hpp>

#endif
