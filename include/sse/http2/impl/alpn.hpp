//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_HTTP2_IMPL_ALPN_HPP
#define SSE_HTTP2_IMPL_ALPN_HPP

namespace sse::http2 {
namespace detail {

// The server's preference, in ALPN wire format: length-prefixed names.
inline constexpr unsigned char alpn_protocols[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

inline int select_alpn(
    SSL*,
    unsigned char const** out,
    unsigned char* outlen,
    unsigned char const* in,
    unsigned int inlen,
    void*
)
{
    // The first of the server's protocols the client offers.
    for (std::size_t i = 0; i < sizeof(alpn_protocols); i += 1u + alpn_protocols[i]) {
        std::string_view const mine(reinterpret_cast<char const*>(alpn_protocols + i + 1), alpn_protocols[i]);
        for (unsigned int k = 0; k < inlen; k += 1u + in[k]) {
            if (k + 1u + in[k] > inlen)
                break; // malformed list
            std::string_view const theirs(reinterpret_cast<char const*>(in + k + 1), in[k]);
            if (mine == theirs) {
                *out = in + k + 1;
                *outlen = in[k];
                return SSL_TLSEXT_ERR_OK;
            }
        }
    }
    return SSL_TLSEXT_ERR_NOACK;
}

} // namespace detail

inline void enable_alpn(net::ssl::context& ctx)
{
    SSL_CTX_set_alpn_select_cb(ctx.native_handle(), &detail::select_alpn, nullptr);
}

inline bool negotiated_h2(SSL const* ssl) noexcept
{
    unsigned char const* p = nullptr;
    unsigned int n = 0;
    SSL_get0_alpn_selected(ssl, &p, &n);
    return p != nullptr && std::string_view(reinterpret_cast<char const*>(p), n) == "h2";
}

} // namespace sse::http2

#endif
