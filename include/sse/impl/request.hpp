//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_IMPL_REQUEST_HPP
#define SSE_IMPL_REQUEST_HPP

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>

namespace sse {

namespace detail {

inline bool iequals(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i];
        char y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = static_cast<char>(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return true;
}

inline std::string_view trim(std::string_view s) noexcept
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// Whether one media range of an Accept header admits text/event-stream.
inline bool admits_event_stream(std::string_view range) noexcept
{
    std::string_view type = range;
    std::string_view params;
    if (auto const semi = range.find(';'); semi != std::string_view::npos) {
        type = range.substr(0, semi);
        params = range.substr(semi + 1);
    }
    type = trim(type);
    if (!iequals(type, "text/event-stream") && !iequals(type, "text/*") && type != "*/*")
        return false;
    // A quality of zero means "not acceptable".
    while (!params.empty()) {
        auto const semi = params.find(';');
        auto const param = trim(params.substr(0, semi));
        params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
        if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
            auto const q = trim(param.substr(2));
            bool zero = !q.empty();
            for (char c : q)
                if (c != '0' && c != '.')
                    zero = false;
            return !zero;
        }
    }
    return true;
}

} // namespace detail

template <class Body, class Fields>
std::optional<std::string_view> last_event_id(beast::http::request<Body, Fields> const& request)
{
    auto const it = request.find("Last-Event-ID");
    if (it == request.end())
        return std::nullopt;
    return std::string_view(it->value().data(), it->value().size());
}

template <class Body, class Fields>
std::optional<std::string> last_event_id(beast::http::request<Body, Fields> const& request, std::string_view query_param)
{
    if (auto const id = sse::last_event_id(request))
        return std::string(*id);
    auto const target = request.target();
    return query_parameter(std::string_view(target.data(), target.size()), query_param);
}

template <class Body, class Fields>
bool accepts_event_stream(beast::http::request<Body, Fields> const& request)
{
    auto const it = request.find(beast::http::field::accept);
    if (it == request.end())
        return true;
    std::string_view accept(it->value().data(), it->value().size());
    while (!accept.empty()) {
        auto const comma = accept.find(',');
        if (detail::admits_event_stream(accept.substr(0, comma)))
            return true;
        if (comma == std::string_view::npos)
            break;
        accept.remove_prefix(comma + 1);
    }
    return false;
}

template <class Body, class Fields>
beast::http::response<beast::http::empty_body> no_content(beast::http::request<Body, Fields> const& request)
{
    beast::http::response<beast::http::empty_body> res(beast::http::status::no_content, request.version());
    res.keep_alive(request.keep_alive());
    return res;
}

} // namespace sse

#endif
