# Options for the project's own targets (tests, examples, benchmarks): never
# applied to the sse target itself, so consumers keep their own flags.
add_library(sse_project_options INTERFACE)
target_compile_options(sse_project_options INTERFACE
    $<$<CXX_COMPILER_ID:GNU,Clang,AppleClang>:-Wall -Wextra -Wpedantic -Werror>
    $<$<CXX_COMPILER_ID:MSVC>:/W4 /WX>)
target_link_libraries(sse_project_options INTERFACE sse::sse)

# Other Boost headers in front of the system's, for the project's own
# targets only, when the folder holds them: the sanitize preset names the
# newest supported Boost beside the project (../shared/boost-1.90/include),
# so that where it is (CI) the sanitizer suite runs against it, and
# elsewhere against the system's. SSE_TEST_BOOST_VERSION is then the
# BOOST_VERSION found, which test_boost_version checks was compiled.
set(SSE_BOOST_INCLUDE_DIR "" CACHE PATH
    "Boost headers to build the tests and examples against, in front of the system's, when the folder holds them")
if(SSE_BOOST_INCLUDE_DIR)
    if(EXISTS "${SSE_BOOST_INCLUDE_DIR}/boost/version.hpp")
        file(STRINGS "${SSE_BOOST_INCLUDE_DIR}/boost/version.hpp" _sse_boost_version
            REGEX "^#define BOOST_VERSION [0-9]+")
        string(REGEX REPLACE "^#define BOOST_VERSION ([0-9]+).*" "\\1" SSE_TEST_BOOST_VERSION "${_sse_boost_version}")
        target_include_directories(sse_project_options SYSTEM BEFORE INTERFACE "${SSE_BOOST_INCLUDE_DIR}")
        math(EXPR _sse_boost_major "${SSE_TEST_BOOST_VERSION} / 100000")
        math(EXPR _sse_boost_minor "${SSE_TEST_BOOST_VERSION} / 100 % 1000")
        math(EXPR _sse_boost_patch "${SSE_TEST_BOOST_VERSION} % 100")
        message(STATUS "sse: tests and examples use the Boost ${_sse_boost_major}.${_sse_boost_minor}.${_sse_boost_patch} "
            "headers in ${SSE_BOOST_INCLUDE_DIR}")
    else()
        message(STATUS "sse: no Boost headers in ${SSE_BOOST_INCLUDE_DIR}: tests and examples use the system Boost")
    endif()
endif()
