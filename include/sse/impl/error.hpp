//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_IMPL_ERROR_HPP
#define SSE_IMPL_ERROR_HPP

#include <string>

namespace sse {
namespace detail {

class error_category_impl final : public boost::system::error_category {
public:
    // A fixed identifier keeps categories equal across shared libraries even
    // though every translation unit has its own instance of this header-only
    // object.
    constexpr error_category_impl() noexcept : boost::system::error_category(0x8f1c'5e3a'71d2'40b9ULL) {}

    char const* name() const noexcept override { return "sse"; }

    std::string message(int ev) const override { return message(ev, nullptr, 0); }

    char const* message(int ev, char*, std::size_t) const noexcept override
    {
        switch (static_cast<error>(ev)) {
        case error::invalid_id: return "invalid id: contains CR, LF or NUL";
        case error::invalid_event: return "invalid event type: contains CR or LF";
        case error::invalid_utf8: return "field value is not valid UTF-8";
        case error::invalid_retry: return "invalid retry: negative duration";
        case error::invalid_json: return "value cannot be serialized as JSON";
        case error::line_too_long: return "line exceeds the parser's max_line_size";
        case error::event_too_large: return "event data exceeds the parser's max_event_size";
        case error::peer_gone: return "the peer closed or reset the connection";
        case error::send_timeout: return "the peer stopped reading: send timeout";
        case error::source_failed: return "the message source failed";
        case error::unexpected_data: return "the peer sent bytes during the stream (a pipelined request)";
        case error::slow_subscriber: return "the subscriber fell behind and was disconnected";
        case error::protocol_error: return "the HTTP/2 peer broke the protocol";
        case error::reset_budget_exceeded: return "the HTTP/2 peer caused too many stream errors and resets";
        case error::bad_percent_encoding: return "bad percent-encoding: '%' not followed by two hex digits";
        case error::connection_limit: return "connection refused: the server's connection limit is reached";
        case error::refused: return "the server refused the event stream (status)";
        case error::bad_content_type: return "the response is not text/event-stream";
        case error::no_content: return "the server said stop (204 No Content)";
        case error::too_many_retries: return "gave up reconnecting: retry limits reached";
        case error::idle_timeout: return "no byte from the server within the idle timeout";
        case error::too_many_redirects: return "too many redirects";
        case error::bad_url: return "not an http or https URL with a host";
        case error::end_of_stream: return "the server ended the event stream";
        case error::tls_failed: return "the TLS handshake failed";
        case error::backend_unavailable: return "the broadcaster's backend is unreachable";
        case error::backend_error: return "the broadcaster's backend refused the command";
        case error::id_not_allowed: return "the backend assigns event ids: a published message cannot carry its own";
        }
        return "sse error";
    }
};

} // namespace detail

inline boost::system::error_category const& error_category() noexcept
{
    static detail::error_category_impl const instance;
    return instance;
}

inline error_code make_error_code(error e) noexcept
{
    return error_code(static_cast<int>(e), error_category());
}

} // namespace sse

#endif
