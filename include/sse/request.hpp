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
#include <sse/query.hpp>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace sse {

/** The request's `Last-Event-ID` header: the id of the last event a
    reconnecting client received, or nullopt on a first connection.
*/
template <class Body, class Fields>
std::optional<std::string_view> last_event_id(beast::http::request<Body, Fields> const& request);

/** The last event id of a request, from its `Last-Event-ID` header or else
    from a query parameter.

    A browser's `EventSource` sends the header when it reconnects, but a
    first connection cannot set headers: a page that wants to resume from
    an id it kept puts it in the URL instead (`/events?lastEventId=42`).

    @par Example
    @code
    // "/events?lastEventId=42" with no Last-Event-ID header: "42"
    auto const id = sse::last_event_id(req, "lastEventId");
    @endcode

    @param request The request.
    @param query_param The name of the query parameter.

    @return The header's value when the header is present (even empty: the
    header wins over the query); else the parameter's value, decoded as by
    `query_parameter` (nullopt when the query is not well-formed); else
    nullopt.
*/
template <class Body, class Fields>
std::optional<std::string> last_event_id(beast::http::request<Body, Fields> const& request, std::string_view query_param);

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
