//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_TEST_PROCESS_HPP
#define SSE_TEST_PROCESS_HPP

// Runs a real client program and captures what it prints.

#include <sys/wait.h>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace sse::test {

struct run_result {
    std::string out;
    int status = -1; // the exit code, or -1 if it did not exit normally
};

// Runs a shell command line; stdout is captured, stderr passes through.
inline run_result run(std::string const& command)
{
    FILE* p = ::popen(command.c_str(), "r");
    if (!p)
        throw std::runtime_error("cannot run: " + command);
    run_result r;
    char buf[65536];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
        r.out.append(buf, n);
    int const st = ::pclose(p);
    if (WIFEXITED(st))
        r.status = WEXITSTATUS(st);
    return r;
}

} // namespace sse::test

#endif
