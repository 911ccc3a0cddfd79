//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// The program every consumer project in tests/cmake builds: it needs the
// headers, Boost and nlohmann/json to reach it through `sse::sse` alone, and
// exits with a non-zero status on any mismatch.

#include <sse/json.hpp>
#include <sse/sse.hpp>

#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#if !defined(SSE_EXPECTED_VERSION_MAJOR) || !defined(SSE_EXPECTED_VERSION_MINOR) || \
    !defined(SSE_EXPECTED_VERSION_PATCH)
#error "the consumer project passes the version of the sse CMake package"
#endif

namespace {

int failures = 0;

void check(bool ok, char const* what)
{
    if (!ok) {
        std::fprintf(stderr, "FAILED: %s\n", what);
        ++failures;
    }
}

void check_bytes(std::string const& got, std::string_view expected, char const* what)
{
    if (got != expected) {
        std::fprintf(stderr, "FAILED: %s\n  expected: \"%.*s\"\n  got:      \"%s\"\n", what,
            static_cast<int>(expected.size()), expected.data(), got.c_str());
        ++failures;
    }
}

} // namespace

int main()
{
    try {
        // The headers are those of the package CMake found.
        check(SSE_VERSION_MAJOR == SSE_EXPECTED_VERSION_MAJOR && SSE_VERSION_MINOR == SSE_EXPECTED_VERSION_MINOR &&
                  SSE_VERSION_PATCH == SSE_EXPECTED_VERSION_PATCH,
            "<sse/version.hpp> matches the version of the CMake package");

        auto const msg = sse::message{}.id(1).event("e").data("x");
        std::string const wire = sse::to_string(msg);
        check_bytes(wire, "id: 1\nevent: e\ndata: x\n\n", "sse::to_string(id, event, data)");

        auto const events = sse::parse_events(wire);
        check(events.size() == 1, "sse::parse_events dispatches one event");
        if (events.size() == 1)
            check(events.front() == sse::event("e", "x", "1"), "sse::parse_events reads back type, data and id");

        auto const json_msg = sse::message{}.json(nlohmann::json{{"a", 1}});
        std::string const json_wire = sse::to_string(json_msg);
        check_bytes(json_wire, "data: {\"a\":1}\n\n", "sse::to_string(json)");

        auto const json_events = sse::parse_events(json_wire);
        check(json_events.size() == 1, "sse::parse_events dispatches the JSON event");
        if (json_events.size() == 1) {
            check(json_events.front().type == "message", "the JSON event has the default type");
            check(nlohmann::json::parse(json_events.front().data) == nlohmann::json{{"a", 1}},
                "the JSON event reads back as the same value");
        }
    } catch (std::exception const& e) {
        std::fprintf(stderr, "FAILED: exception: %s\n", e.what());
        return 1;
    }

    if (failures != 0)
        return 1;
    std::puts("sse consumer: OK");
    return 0;
}
