# Installs the sse build tree into a fresh prefix and checks the layout.
#
#   cmake -DBUILD_DIR=<sse build dir> -DSOURCE_DIR=<sse source dir>
#         -DPREFIX=<prefix> -DINCLUDEDIR=<relative> -DDATADIR=<relative>
#         [-DCONFIG=<configuration>]
#         -P install_tree.cmake

cmake_minimum_required(VERSION 3.21)

foreach(variable IN ITEMS BUILD_DIR SOURCE_DIR PREFIX INCLUDEDIR DATADIR)
    if(NOT DEFINED ${variable} OR "${${variable}}" STREQUAL "")
        message(FATAL_ERROR "install_tree.cmake: ${variable} is not set")
    endif()
endforeach()

file(REMOVE_RECURSE "${PREFIX}")
# Into PREFIX itself, whatever the environment of the test run says.
unset(ENV{DESTDIR})

set(install_config)
if(CONFIG)
    set(install_config --config "${CONFIG}")
endif()
execute_process(
    COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}" ${install_config}
    RESULT_VARIABLE result
    COMMAND_ECHO STDOUT)
if(NOT result EQUAL 0)
    message(FATAL_ERROR "cmake --install failed (${result})")
endif()

set(errors)

# Every public header, unchanged, under <includedir>/sse.
file(GLOB_RECURSE headers RELATIVE "${SOURCE_DIR}/include" "${SOURCE_DIR}/include/sse/*")
if(NOT headers)
    list(APPEND errors "no header found under ${SOURCE_DIR}/include/sse")
endif()
foreach(header IN LISTS headers)
    set(installed "${PREFIX}/${INCLUDEDIR}/${header}")
    if(NOT EXISTS "${installed}")
        list(APPEND errors "missing ${INCLUDEDIR}/${header}")
        continue()
    endif()
    execute_process(
        COMMAND "${CMAKE_COMMAND}" -E compare_files "${SOURCE_DIR}/include/${header}" "${installed}"
        RESULT_VARIABLE different)
    if(different)
        list(APPEND errors "${INCLUDEDIR}/${header} differs from the source")
    endif()
endforeach()

# The package configuration under <datadir>/cmake/sse, relocatable.
set(package_dir "${PREFIX}/${DATADIR}/cmake/sse")
foreach(file IN ITEMS sseConfig.cmake sseConfigVersion.cmake sseTargets.cmake)
    if(NOT EXISTS "${package_dir}/${file}")
        list(APPEND errors "missing ${DATADIR}/cmake/sse/${file}")
    endif()
endforeach()
file(GLOB package_files "${package_dir}/*.cmake")
foreach(file IN LISTS package_files)
    file(READ "${file}" content)
    foreach(dir IN ITEMS "${SOURCE_DIR}" "${BUILD_DIR}" "${PREFIX}")
        string(FIND "${content}" "${dir}" at)
        if(NOT at EQUAL -1)
            get_filename_component(name "${file}" NAME)
            list(APPEND errors "${name} names the absolute path ${dir}")
        endif()
    endforeach()
endforeach()

# Header-only: nothing but headers and data (no library, no program, no test).
file(GLOB_RECURSE installed_files RELATIVE "${PREFIX}" "${PREFIX}/*")
foreach(file IN LISTS installed_files)
    if(NOT file MATCHES "^${INCLUDEDIR}/sse/" AND NOT file MATCHES "^${DATADIR}/")
        list(APPEND errors "unexpected installed file ${file}")
    endif()
endforeach()

if(errors)
    list(JOIN errors "\n  " message)
    message(FATAL_ERROR "the install tree in ${PREFIX} is wrong:\n  ${message}")
endif()
list(LENGTH installed_files count)
message(STATUS "install tree in ${PREFIX}: ${count} files, layout as expected")
