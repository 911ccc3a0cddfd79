# The optional HTTP/2 part: the target sse::http2, when libnghttp2 is found
# (through pkg-config; Debian's package has no CMake config). Used by the
# project and by the installed package config alike.
#
# nghttp2's protections and the features the session uses are detected by
# symbol, not by version: distributions backport fixes (Debian's 1.52 has the
# rapid-reset limit of 1.57). Each one found is a compile definition of
# sse::http2; the session does without the ones missing.

if(TARGET sse::http2)
    return()
endif()

find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
    pkg_check_modules(SSE_NGHTTP2 QUIET IMPORTED_TARGET GLOBAL libnghttp2>=1.43)
endif()

if(TARGET PkgConfig::SSE_NGHTTP2)
    # The checks compile a test program: they need a language, which a
    # project that only looks for packages may not have enabled.
    get_property(sse_languages GLOBAL PROPERTY ENABLED_LANGUAGES)
    if("CXX" IN_LIST sse_languages)
        include(CheckCXXSymbolExists)
        include(CMakePushCheckState)
        cmake_push_check_state(RESET)
        set(CMAKE_REQUIRED_INCLUDES ${SSE_NGHTTP2_INCLUDE_DIRS})
        set(CMAKE_REQUIRED_LIBRARIES PkgConfig::SSE_NGHTTP2)
        set(CMAKE_REQUIRED_QUIET ON)
        check_cxx_symbol_exists(nghttp2_option_set_stream_reset_rate_limit nghttp2/nghttp2.h
            SSE_NGHTTP2_HAS_STREAM_RESET_RATE_LIMIT)
        check_cxx_symbol_exists(nghttp2_option_set_max_continuations nghttp2/nghttp2.h
            SSE_NGHTTP2_HAS_MAX_CONTINUATIONS)
        # DATA payloads written from the stream's own bytes (NGHTTP2_DATA_FLAG_NO_COPY).
        check_cxx_symbol_exists(nghttp2_session_callbacks_set_send_data_callback nghttp2/nghttp2.h
            SSE_NGHTTP2_HAS_SEND_DATA_CALLBACK)
        # DATA frames larger than 16 KiB when the peer allows them.
        check_cxx_symbol_exists(nghttp2_session_callbacks_set_data_source_read_length_callback
            nghttp2/nghttp2.h SSE_NGHTTP2_HAS_READ_LENGTH_CALLBACK)
        # The connection's receive window set outright.
        check_cxx_symbol_exists(nghttp2_session_set_local_window_size nghttp2/nghttp2.h
            SSE_NGHTTP2_HAS_SET_LOCAL_WINDOW_SIZE)
        cmake_pop_check_state()
    endif()

    add_library(sse_http2 INTERFACE IMPORTED GLOBAL)
    target_link_libraries(sse_http2 INTERFACE sse::sse PkgConfig::SSE_NGHTTP2)
    if(SSE_NGHTTP2_HAS_STREAM_RESET_RATE_LIMIT)
        target_compile_definitions(sse_http2 INTERFACE SSE_NGHTTP2_HAS_STREAM_RESET_RATE_LIMIT=1)
    endif()
    foreach(sse_feature MAX_CONTINUATIONS SEND_DATA_CALLBACK READ_LENGTH_CALLBACK SET_LOCAL_WINDOW_SIZE)
        if(SSE_NGHTTP2_HAS_${sse_feature})
            target_compile_definitions(sse_http2 INTERFACE SSE_NGHTTP2_HAS_${sse_feature}=1)
        endif()
    endforeach()
    add_library(sse::http2 ALIAS sse_http2)
    set(SSE_HTTP2_FOUND TRUE)

    # The server layer (sse/server.hpp): both protocols, and TLS.
    find_package(OpenSSL QUIET)
    if(TARGET OpenSSL::SSL)
        add_library(sse_server INTERFACE IMPORTED GLOBAL)
        target_link_libraries(sse_server INTERFACE sse::http2 OpenSSL::SSL OpenSSL::Crypto)
        add_library(sse::server ALIAS sse_server)
        set(SSE_SERVER_FOUND TRUE)
    else()
        set(SSE_SERVER_FOUND FALSE)
    endif()
else()
    set(SSE_HTTP2_FOUND FALSE)
    set(SSE_SERVER_FOUND FALSE)
endif()
