//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_DETAIL_URL_HPP
#define SSE_DETAIL_URL_HPP

// The parts of an http or https URL a client needs, and the resolution of
// a redirect's Location against it.

#include <sse/detail/config.hpp>

#include <boost/beast/core/string.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace sse::detail {

struct url_parts {
    bool tls = false;
    std::string host;   // without brackets for IPv6
    std::string port;   // "80" / "443" when the URL has none
    std::string target; // path and query, at least "/"

    // The Host header: host, and the port when it is not the default.
    std::string host_field() const
    {
        std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
        if (port != (tls ? "443" : "80"))
            h += ":" + port;
        return h;
    }

    std::string str() const { return (tls ? "https://" : "http://") + host_field() + target; }
};

inline std::optional<url_parts> parse_url(std::string_view url)
{
    url_parts u;
    auto const scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos)
        return std::nullopt;
    auto const scheme = url.substr(0, scheme_end);
    if (beast::iequals(scheme, "http"))
        u.tls = false;
    else if (beast::iequals(scheme, "https"))
        u.tls = true;
    else
        return std::nullopt;
    url.remove_prefix(scheme_end + 3);
    auto const authority_end = url.find_first_of("/?#");
    auto authority = url.substr(0, authority_end);
    auto rest = authority_end == std::string_view::npos ? std::string_view() : url.substr(authority_end);
    if (auto const at = authority.rfind('@'); at != std::string_view::npos)
        authority.remove_prefix(at + 1); // userinfo is not sent
    if (!authority.empty() && authority.front() == '[') {
        auto const close = authority.find(']');
        if (close == std::string_view::npos)
            return std::nullopt;
        u.host = std::string(authority.substr(1, close - 1));
        authority.remove_prefix(close + 1);
        if (!authority.empty()) {
            if (authority.front() != ':')
                return std::nullopt;
            u.port = std::string(authority.substr(1));
        }
    } else {
        auto const colon = authority.find(':');
        u.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos)
            u.port = std::string(authority.substr(colon + 1));
    }
    if (u.host.empty())
        return std::nullopt;
    if (u.port.empty())
        u.port = u.tls ? "443" : "80";
    if (u.port.size() > 5)
        return std::nullopt;
    for (char const c : u.port)
        if (c < '0' || c > '9')
            return std::nullopt;
    if (std::stoul(u.port) > 65535)
        return std::nullopt;
    if (auto const hash = rest.find('#'); hash != std::string_view::npos)
        rest = rest.substr(0, hash);
    u.target = rest.empty() || rest.front() != '/' ? "/" + std::string(rest) : std::string(rest);
    return u;
}

// RFC 3986 5.2.4: "." and ".." segments out of a path.
inline std::string remove_dot_segments(std::string_view in)
{
    std::string out;
    while (!in.empty()) {
        if (in.starts_with("../"))
            in.remove_prefix(3);
        else if (in.starts_with("./"))
            in.remove_prefix(2);
        else if (in.starts_with("/./"))
            in.remove_prefix(2);
        else if (in == "/.")
            in = "/";
        else if (in.starts_with("/../") || in == "/..") {
            in = in.size() == 3 ? std::string_view("/") : in.substr(3);
            auto const slash = out.rfind('/');
            out.resize(slash == std::string::npos ? 0 : slash);
        } else if (in == "." || in == "..") {
            in = {};
        } else {
            auto const next = in.find('/', 1);
            out.append(in.substr(0, next));
            in = next == std::string_view::npos ? std::string_view() : in.substr(next);
        }
    }
    return out;
}

// A redirect's Location, resolved against the URL it answered (RFC 3986
// 5.2: a fragment is dropped).
inline std::optional<url_parts> resolve_location(url_parts const& base, std::string_view location)
{
    if (auto const hash = location.find('#'); hash != std::string_view::npos)
        location = location.substr(0, hash);
    if (location.find("://") != std::string_view::npos)
        return parse_url(location);
    if (location.starts_with("//"))
        return parse_url(std::string(base.tls ? "https:" : "http:") + std::string(location));
    url_parts u = base;
    auto const base_path = base.target.substr(0, base.target.find('?'));
    if (location.empty())
        return u;
    if (location.starts_with("?")) {
        u.target = base_path + std::string(location);
        return u;
    }
    auto const query = location.find('?');
    auto const path = location.substr(0, query);
    auto const rest = query == std::string_view::npos ? std::string_view() : location.substr(query);
    std::string merged =
        path.starts_with("/") ? std::string(path) : base_path.substr(0, base_path.rfind('/') + 1) + std::string(path);
    u.target = remove_dot_segments(merged);
    if (u.target.empty() || u.target.front() != '/')
        u.target.insert(0, "/");
    u.target += rest;
    return u;
}

} // namespace sse::detail

#endif
