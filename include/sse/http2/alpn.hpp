//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_HTTP2_ALPN_HPP
#define SSE_HTTP2_ALPN_HPP

#include <sse/detail/config.hpp>

#include <boost/asio/ssl/context.hpp>

#include <openssl/ssl.h>

#include <string_view>

namespace sse::http2 {

/** Makes a TLS server context choose the application protocol by ALPN: `h2`
    when the client offers it, else `http/1.1`.

    A client that offers neither gets no protocol (the handshake goes on,
    and `negotiated_h2` is false): serve it HTTP/1.1, as a client that
    offers no ALPN at all. Links OpenSSL (`OpenSSL::SSL`).

    @par Example
    @code
    net::ssl::context ctx{net::ssl::context::tls_server};
    ctx.use_certificate_chain_file("cert.pem");
    ctx.use_private_key_file("key.pem", net::ssl::context::pem);
    sse::http2::enable_alpn(ctx);
    // after the handshake:
    if (sse::http2::negotiated_h2(tls_stream)) ... else ...
    @endcode
*/
inline void enable_alpn(net::ssl::context& ctx);

/// Whether the handshake on a TLS connection chose `h2` by ALPN.
inline bool negotiated_h2(SSL const* ssl) noexcept;

/// @copydoc negotiated_h2(SSL const*)
template <class SslStream>
    requires requires(SslStream& s) { s.native_handle(); }
bool negotiated_h2(SslStream& stream) noexcept
{
    return negotiated_h2(stream.native_handle());
}

} // namespace sse::http2

#include <sse/http2/impl/alpn.hpp>

#endif
