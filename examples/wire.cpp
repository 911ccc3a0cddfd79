//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

//------------------------------------------------------------------------------
//
// Example: the wire layer
//
// Builds the messages of a small event stream, prints the exact bytes a
// server sends, then reads them back with sse::parser as a browser's
// EventSource would, and prints what the page sees.
//
// Usage:
//     wire
//
//------------------------------------------------------------------------------

#include <sse/json.hpp>
#include <sse/sse.hpp>

#include <iostream>
#include <string>
#include <vector>

int main()
{
    using namespace std::chrono_literals;

    std::vector<sse::message> const stream{
        sse::message{}.comment("hello"),
        sse::message{}.retry(1500ms),
        sse::message{}.id(1).event("greeting").data("Hello, world!"),
        sse::message{}.data("line1\nline2\r\nline3\rline4"),
        sse::message{}.event("json").json(nlohmann::json{{"n", 1}, {"s", "ü ✓"}, {"nested", {{"a", {1, 2}}}}}),
        sse::message{}.data(" leading space"),
        sse::message{}.data("Привет, мир 👋"),
        sse::message{}.id(2).event("last").data("bye"),
    };

    std::string wire;
    for (auto const& m : stream)
        sse::serialize(m, wire);

    std::cout << "--- the wire (" << wire.size() << " bytes) ---\n" << wire;

    std::cout << "--- what an EventSource sees ---\n";
    sse::parser p;
    std::string_view in = wire;
    while (!in.empty()) {
        switch (p.parse(in)) {
        case sse::parse_result::event: {
            auto const e = p.event();
            std::string data(e.data);
            for (std::size_t i = 0; (i = data.find('\n', i)) != std::string::npos; i += 2)
                data.replace(i, 1, "\\n");
            std::cout << "event \"" << e.type << "\" lastEventId \"" << e.id << "\" data \"" << data << "\"\n";
            break;
        }
        case sse::parse_result::retry:
            std::cout << "reconnection time " << p.retry()->count() << " ms\n";
            break;
        case sse::parse_result::comment: break; // only with parser_options::report_comments
        case sse::parse_result::need_more: break;
        }
    }
    return 0;
}
