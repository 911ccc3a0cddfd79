# Options for the project's own targets (tests, examples, benchmarks): never
# applied to the sse target itself, so consumers keep their own flags.
add_library(sse_project_options INTERFACE)
target_compile_options(sse_project_options INTERFACE
    $<$<CXX_COMPILER_ID:GNU,Clang,AppleClang>:-Wall -Wextra -Wpedantic -Werror>
    $<$<CXX_COMPILER_ID:MSVC>:/W4 /WX>)
target_link_libraries(sse_project_options INTERFACE sse::sse)
