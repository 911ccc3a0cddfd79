# Helpers shared by the consumer projects in tests/cmake. Each consumer is
# configured by run_consumer.cmake with an initial cache that sets
# SSE_EXPECTED_VERSION (the version of the sse project under test) and, for
# the subproject consumers, SSE_SOURCE_DIR.

if(NOT SSE_EXPECTED_VERSION MATCHES "^([0-9]+)\\.([0-9]+)\\.([0-9]+)$")
    message(FATAL_ERROR "SSE_EXPECTED_VERSION must be MAJOR.MINOR.PATCH, got '${SSE_EXPECTED_VERSION}'")
endif()
set(SSE_EXPECTED_VERSION_MAJOR ${CMAKE_MATCH_1})
set(SSE_EXPECTED_VERSION_MINOR ${CMAKE_MATCH_2})
set(SSE_EXPECTED_VERSION_PATCH ${CMAKE_MATCH_3})

# The consumer's program runs as a test of its own (in the directory scope:
# enable_testing() has no effect inside a function).
enable_testing()

# sse_consumer_executable(<name>): the executable built from main.cpp, run by
# the consumer's own ctest. The caller links it to sse::sse.
function(sse_consumer_executable name)
    add_executable(${name} ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/main.cpp)
    target_compile_definitions(${name} PRIVATE
        SSE_EXPECTED_VERSION_MAJOR=${SSE_EXPECTED_VERSION_MAJOR}
        SSE_EXPECTED_VERSION_MINOR=${SSE_EXPECTED_VERSION_MINOR}
        SSE_EXPECTED_VERSION_PATCH=${SSE_EXPECTED_VERSION_PATCH})
    add_test(NAME ${name} COMMAND ${name})
endfunction()

# sse_check_subproject(<sse source dir>): the sse project, added as a
# subproject, defined sse::sse and nothing of its own tests, examples or
# install rules.
function(sse_check_subproject source_dir)
    if(NOT TARGET sse::sse)
        message(FATAL_ERROR "the sse project did not define sse::sse")
    endif()
    get_target_property(aliased sse::sse ALIASED_TARGET)
    if(NOT aliased STREQUAL "sse")
        message(FATAL_ERROR "sse::sse is not an alias of the sse target (ALIASED_TARGET: ${aliased})")
    endif()

    foreach(option IN ITEMS SSE_BUILD_TESTS SSE_BUILD_EXAMPLES SSE_INSTALL SSE_BUILD_FUZZERS)
        if(${option})
            message(FATAL_ERROR "${option} is ON although sse is not the top-level project")
        endif()
    endforeach()

    foreach(target IN ITEMS test_message test_parser sse_test_support sse_standalone sse_project_options)
        if(TARGET ${target})
            message(FATAL_ERROR "the sse project defined its own target '${target}' as a subproject")
        endif()
    endforeach()

    get_property(subdirectories DIRECTORY "${source_dir}" PROPERTY SUBDIRECTORIES)
    foreach(dir IN ITEMS tests examples)
        if("${source_dir}/${dir}" IN_LIST subdirectories)
            message(FATAL_ERROR "the sse project added its ${dir} directory as a subproject")
        endif()
    endforeach()
endfunction()
