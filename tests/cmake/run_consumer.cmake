# Configures, builds and runs one consumer project in a fresh binary directory.
#
#   cmake -DCONSUMER_SOURCE_DIR=<dir> -DCONSUMER_BINARY_DIR=<dir>
#         -DINITIAL_CACHE=<file> -DGENERATOR=<generator>
#         [-DGENERATOR_PLATFORM=<platform>] [-DGENERATOR_TOOLSET=<toolset>]
#         [-DCONFIG=<configuration>] [-DCTEST_COMMAND=<ctest>]
#         [-DCONFIGURE_ONLY=ON]
#         -P run_consumer.cmake
#
# INITIAL_CACHE (loaded with `cmake -C`) holds the compiler, flags, search
# paths and consumer settings. The consumer registers its program as a test of
# its own, which CTEST_COMMAND runs.

cmake_minimum_required(VERSION 3.21)

foreach(variable IN ITEMS CONSUMER_SOURCE_DIR CONSUMER_BINARY_DIR INITIAL_CACHE GENERATOR)
    if(NOT DEFINED ${variable} OR "${${variable}}" STREQUAL "")
        message(FATAL_ERROR "run_consumer.cmake: ${variable} is not set")
    endif()
endforeach()
if(NOT CTEST_COMMAND)
    get_filename_component(cmake_bin_dir "${CMAKE_COMMAND}" DIRECTORY)
    set(CTEST_COMMAND "${cmake_bin_dir}/ctest")
endif()

# run(<step> <command>...): runs the command, its output going to the test log.
function(run step)
    string(TIMESTAMP start "%s")
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE result COMMAND_ECHO STDOUT)
    string(TIMESTAMP end "%s")
    math(EXPR seconds "${end} - ${start}")
    if(NOT result EQUAL 0)
        message(FATAL_ERROR "consumer ${step} failed (${result}) after ${seconds} s")
    endif()
    message(STATUS "consumer ${step}: ${seconds} s")
endfunction()

# Nothing from an earlier run (another compiler, stale cache) carries over.
file(REMOVE_RECURSE "${CONSUMER_BINARY_DIR}")

set(configure "${CMAKE_COMMAND}" -S "${CONSUMER_SOURCE_DIR}" -B "${CONSUMER_BINARY_DIR}"
    -G "${GENERATOR}" -C "${INITIAL_CACHE}")
if(GENERATOR_PLATFORM)
    list(APPEND configure -A "${GENERATOR_PLATFORM}")
endif()
if(GENERATOR_TOOLSET)
    list(APPEND configure -T "${GENERATOR_TOOLSET}")
endif()
# A single-configuration generator gets no build type, so no optimisation:
# what a consumer checks (the package, its targets and their usage
# requirements) does not depend on it, and it builds in two thirds of the
# time. A multi-configuration one builds CONFIG.
set(build_config)
set(test_config)
if(CONFIG)
    set(build_config --config "${CONFIG}")
    set(test_config -C "${CONFIG}")
endif()

run(configure ${configure})
if(CONFIGURE_ONLY)
    return()
endif()
run(build "${CMAKE_COMMAND}" --build "${CONSUMER_BINARY_DIR}" ${build_config})
run(run "${CTEST_COMMAND}" --test-dir "${CONSUMER_BINARY_DIR}" ${test_config}
    --output-on-failure --no-tests=error)
