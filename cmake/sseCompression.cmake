# The optional compression part: the target sse::compression, when zlib is
# found (gzip), with libbrotli's encoder when that is found too (br; through
# pkg-config, as Debian ships it). Used by the project and by the installed
# package config alike. Linking it defines SSE_HAS_ZLIB (and SSE_HAS_BROTLI),
# which is what makes stream_options::compression able to choose a coding.

if(TARGET sse::compression)
    return()
endif()

find_package(ZLIB QUIET)
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
    pkg_check_modules(SSE_BROTLIENC QUIET IMPORTED_TARGET GLOBAL libbrotlienc)
endif()

if(TARGET ZLIB::ZLIB)
    add_library(sse_compression INTERFACE IMPORTED GLOBAL)
    target_link_libraries(sse_compression INTERFACE sse::sse ZLIB::ZLIB)
    target_compile_definitions(sse_compression INTERFACE SSE_HAS_ZLIB=1)
    if(TARGET PkgConfig::SSE_BROTLIENC)
        target_link_libraries(sse_compression INTERFACE PkgConfig::SSE_BROTLIENC)
        target_compile_definitions(sse_compression INTERFACE SSE_HAS_BROTLI=1)
        set(SSE_BROTLI_FOUND TRUE)
    else()
        set(SSE_BROTLI_FOUND FALSE)
    endif()
    add_library(sse::compression ALIAS sse_compression)
    set(SSE_COMPRESSION_FOUND TRUE)
else()
    set(SSE_COMPRESSION_FOUND FALSE)
    set(SSE_BROTLI_FOUND FALSE)
endif()
