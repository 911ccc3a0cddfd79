# The optional Redis part: the target sse::redis, when hiredis is found
# (through pkg-config, as Debian ships it). Used by the project and by the
# installed package config alike. It gives sse::redis_backend
# (<sse/redis.hpp>), which shares a broadcaster's topics across instances.

if(TARGET sse::redis)
    return()
endif()

find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
    pkg_check_modules(SSE_HIREDIS QUIET IMPORTED_TARGET GLOBAL hiredis)
endif()

if(TARGET PkgConfig::SSE_HIREDIS)
    add_library(sse_redis INTERFACE IMPORTED GLOBAL)
    target_link_libraries(sse_redis INTERFACE sse::sse PkgConfig::SSE_HIREDIS)
    target_compile_definitions(sse_redis INTERFACE SSE_HAS_REDIS=1)
    add_library(sse::redis ALIAS sse_redis)
    set(SSE_REDIS_FOUND TRUE)
else()
    set(SSE_REDIS_FOUND FALSE)
endif()
