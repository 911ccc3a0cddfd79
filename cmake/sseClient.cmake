# The client part: the target sse::client (sse/client.hpp), when OpenSSL is
# found (https). Used by the project and by the installed package config
# alike.

if(TARGET sse::client)
    return()
endif()

find_package(OpenSSL QUIET)
if(TARGET OpenSSL::SSL)
    add_library(sse_client INTERFACE IMPORTED GLOBAL)
    target_link_libraries(sse_client INTERFACE sse::sse OpenSSL::SSL OpenSSL::Crypto)
    add_library(sse::client ALIAS sse_client)
    set(SSE_CLIENT_FOUND TRUE)
else()
    set(SSE_CLIENT_FOUND FALSE)
endif()
