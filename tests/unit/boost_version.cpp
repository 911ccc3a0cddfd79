//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// The Boost the suite is built against: at least the oldest supported, and
// exactly the one a preset asks for (sanitize where the Boost 1.90 headers
// are beside the project, boost190: the headers put in front of the
// system's are the ones compiled).
#include <sse/sse.hpp>

#include <boost/asio/version.hpp>
#include <boost/beast/version.hpp>
#include <boost/version.hpp>

#include "catch.hpp"

TEST_CASE("the Boost this suite is built against", "[config]")
{
    INFO("Boost " BOOST_LIB_VERSION ", Asio " << BOOST_ASIO_VERSION << ", Beast " << BOOST_BEAST_VERSION);
    CHECK(BOOST_VERSION >= 108100);
#ifdef SSE_TEST_EXPECT_BOOST_VERSION
    CHECK(BOOST_VERSION == SSE_TEST_EXPECT_BOOST_VERSION);
#endif
}
