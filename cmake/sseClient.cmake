# The client part: the target sse::client (sse/client.hpp), when OpenSSL is
# found (https), with HTTP/2 when sse::http2 exists (include this after
# sseHttp2.cmake). Used by the project and by the installed package config
# alike.

if(TARGET sse::client)
    return()
endif()

find_package(OpenSSL QUIET)
if(TARGET OpenSSL::SSL)
    add_library(sse_client INTERFACE IMPORTED GLOBAL)
    target_link_libraries(sse_client INTERFACE sse::sse OpenSSL::SSL OpenSSL::Crypto)
    # HTTP/2 (client_options::http2) where sse::http2 exists.
    if(TARGET sse::http2)
        target_link_libraries(sse_client INTERFACE sse::http2)
        target_compile_definitions(sse_client INTERFACE SSE_CLIENT_HAS_HTTP2=1)
    endif()
    add_library(sse::client ALIAS sse_client)
    set(SSE_CLIENT_FOUND TRUE)
else()
    set(SSE_CLIENT_FOUND FALSE)
endif()
