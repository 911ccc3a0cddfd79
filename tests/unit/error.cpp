//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Test that header file is self-contained.
#include <sse/error.hpp>

#include "catch.hpp"

#include <set>
#include <string>

TEST_CASE("error: category and messages", "[error]")
{
    sse::error_code const ec = sse::error::invalid_id;
    CHECK(std::string(ec.category().name()) == "sse");
    CHECK(ec.category() == sse::error_category());
    CHECK(ec == sse::error::invalid_id);
    CHECK(ec != sse::error::invalid_event);
    CHECK(ec.failed());

    std::set<std::string> seen;
    for (int v = static_cast<int>(sse::error::invalid_id); v <= static_cast<int>(sse::error::tls_failed); ++v) {
        auto const m = sse::make_error_code(static_cast<sse::error>(v)).message();
        CHECK(!m.empty());
        CHECK(m != "sse error");
        CHECK(seen.insert(m).second); // each value has its own message
    }
    CHECK(sse::make_error_code(static_cast<sse::error>(999)).message() == "sse error");
    // Values are only ever appended: the newest follows the one before it.
    CHECK(static_cast<int>(sse::error::bad_percent_encoding) == static_cast<int>(sse::error::reset_budget_exceeded) + 1);
    CHECK(static_cast<int>(sse::error::connection_limit) == static_cast<int>(sse::error::bad_percent_encoding) + 1);
}

TEST_CASE("error: the deprecated name of slow_subscriber", "[error]")
{
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
    sse::error const old = sse::error::slow_consumer;
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
    CHECK(old == sse::error::slow_subscriber);
    CHECK(sse::make_error_code(old) == sse::error::slow_subscriber);
}
