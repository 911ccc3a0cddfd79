//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// libFuzzer target for sse::basic_parser.
//
// Input layout: a 4-byte header, then the stream.
//
//   byte 0  bits 0-1: limits (0 defaults, 1 small max_line_size,
//                     2 small max_event_size, 3 both)
//           bits 2-4: how the stream is cut into chunks (see make_cuts)
//           bit 5:    report_comments
//           bit 6:    dispatch_unterminated
//   byte 1  max_line_size when it is small
//   byte 2  max_event_size when it is small
//   byte 3  seed of the chunk sizes
//
// Shorter inputs are a whole stream read with default limits, byte by byte.
//
// The stream is read in one chunk and in the chosen chunking, and both must
// report exactly the same thing, comments and the end of the stream (finish)
// included. Without an error, that must also be what a straightforward
// implementation of the WHATWG algorithm (below, decoding the whole stream
// first) reports.

#include <sse/parser.hpp>

#include <sse/detail/text.hpp>

#include "utf8_encode.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

[[noreturn]] void fail(char const* what) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
}

void require(bool ok, char const* what) {
    if (!ok)
        fail(what);
}

// One thing a parser reported.
struct item {
    bool is_retry = false;
    sse::event ev;
    std::chrono::milliseconds retry{};
    bool is_comment = false;
    std::string comment;

    static item make_event(sse::event ev) { return {false, std::move(ev), {}, false, {}}; }
    static item make_retry(std::chrono::milliseconds ms) { return {true, {}, ms, false, {}}; }
    static item make_comment(std::string_view text) { return {false, {}, {}, true, std::string(text)}; }

    friend bool operator==(item const&, item const&) = default;
};

// Everything a parser reported over a whole stream, ended with finish (an
// event that the lenient mode dispatches there is the last item).
struct outcome {
    std::vector<item> items;
    std::string last_event_id;
    std::optional<std::chrono::milliseconds> retry;
    sse::end_state end = sse::end_state::clean;
    sse::error_code ec;

    friend bool operator==(outcome const&, outcome const&) = default;
};

// What the HTML standard says a client reads, computed the plain way.
struct reference {
    std::vector<item> items;
    std::string last_event_id;
    std::optional<std::chrono::milliseconds> retry;
    sse::end_state end = sse::end_state::clean;
    std::size_t longest_line = 0;     // bytes on the wire, leading BOM excluded
    std::size_t longest_any = 0;      // the same, BOM and unterminated tail included
    std::size_t largest_data_buf = 0; // the data buffer of one event, LFs included
};

using sse::test::put_utf8;

// The WHATWG "UTF-8 decode" of a whole byte stream: one leading BOM dropped,
// every error replaced by U+FFFD. Written after the Encoding standard's
// decoder state machine, independently of sse::detail.
std::string whatwg_utf8_decode(std::string_view in) {
    if (in.starts_with("\xEF\xBB\xBF"))
        in.remove_prefix(3);
    std::string out;
    std::uint32_t cp = 0;
    int needed = 0;
    int seen = 0;
    unsigned lower = 0x80;
    unsigned upper = 0xBF;
    std::size_t i = 0;
    while (i < in.size()) {
        unsigned const b = static_cast<unsigned char>(in[i]);
        if (needed == 0) {
            ++i;
            if (b <= 0x7F) {
                out.push_back(static_cast<char>(b));
            } else if (b >= 0xC2 && b <= 0xDF) {
                needed = 1;
                cp = b & 0x1F;
            } else if (b >= 0xE0 && b <= 0xEF) {
                if (b == 0xE0)
                    lower = 0xA0;
                if (b == 0xED)
                    upper = 0x9F;
                needed = 2;
                cp = b & 0xF;
            } else if (b >= 0xF0 && b <= 0xF4) {
                if (b == 0xF0)
                    lower = 0x90;
                if (b == 0xF4)
                    upper = 0x8F;
                needed = 3;
                cp = b & 0x7;
            } else {
                put_utf8(out, 0xFFFD);
            }
            continue;
        }
        if (b < lower || b > upper) {
            // Error; the byte is read again as the start of a sequence.
            cp = 0;
            needed = 0;
            seen = 0;
            lower = 0x80;
            upper = 0xBF;
            put_utf8(out, 0xFFFD);
            continue;
        }
        ++i;
        lower = 0x80;
        upper = 0xBF;
        cp = (cp << 6) | (b & 0x3F);
        if (++seen == needed) {
            put_utf8(out, cp);
            cp = 0;
            needed = 0;
            seen = 0;
        }
    }
    if (needed != 0)
        put_utf8(out, 0xFFFD);
    return out;
}

// Lengths of the lines of a raw stream; the last entry is the unterminated tail.
std::vector<std::size_t> raw_line_lengths(std::string_view s) {
    std::vector<std::size_t> lengths;
    std::size_t start = 0;
    std::size_t i = 0;
    while (i < s.size()) {
        if (s[i] == '\r' || s[i] == '\n') {
            lengths.push_back(i - start);
            i += (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ? 2 : 1;
            start = i;
        } else {
            ++i;
        }
    }
    lengths.push_back(s.size() - start);
    return lengths;
}

reference interpret(std::string_view raw, sse::parser_options const& opt) {
    reference ref;

    auto const lengths = raw_line_lengths(raw);
    bool const bom = raw.starts_with("\xEF\xBB\xBF");
    for (std::size_t i = 0; i < lengths.size(); ++i) {
        std::size_t const n = lengths[i];
        ref.longest_any = std::max(ref.longest_any, n);
        if (i + 1 < lengths.size())
            ref.longest_line = std::max(ref.longest_line, (i == 0 && bom) ? n - 3 : n);
    }

    std::string const text = whatwg_utf8_decode(raw);
    std::string data;
    std::string type;
    std::string id_buffer;
    bool in_block = false; // a field line since the last empty line

    // Processes one line. The last line, read at the end in the lenient
    // mode, reports no comment and no retry (`last`).
    auto const process = [&](std::string_view line, bool last) {
        if (line.empty()) {
            in_block = false;
            ref.last_event_id = id_buffer;
            if (data.empty()) {
                type.clear();
                return;
            }
            data.pop_back();
            ref.items.push_back(item::make_event(sse::event(type.empty() ? "message" : type, data, id_buffer)));
            data.clear();
            type.clear();
            return;
        }
        if (line.front() == ':') {
            if (opt.report_comments && !last) {
                std::string_view c = line.substr(1);
                if (c.starts_with(' '))
                    c.remove_prefix(1);
                ref.items.push_back(item::make_comment(c));
            }
            return;
        }
        in_block = true;
        std::string_view name = line;
        std::string_view value;
        if (auto const colon = line.find(':'); colon != std::string_view::npos) {
            name = line.substr(0, colon);
            value = line.substr(colon + 1);
            if (value.starts_with(' '))
                value.remove_prefix(1);
        }
        if (name == "event") {
            type = value;
        } else if (name == "data") {
            data.append(value);
            data.push_back('\n');
            ref.largest_data_buf = std::max(ref.largest_data_buf, data.size());
        } else if (name == "id") {
            if (value.find('\0') == std::string_view::npos)
                id_buffer = value;
        } else if (name == "retry") {
            bool digits = !value.empty();
            for (char const c : value)
                digits = digits && c >= '0' && c <= '9';
            if (digits) {
                // The standard reads any number of digits; values beyond
                // the range of milliseconds saturate, as sse::parser does.
                using rep = std::chrono::milliseconds::rep;
                rep ms = 0;
                for (char const c : value) {
                    rep const d = c - '0';
                    ms = ms > (std::numeric_limits<rep>::max() - d) / 10 ? std::numeric_limits<rep>::max()
                                                                         : ms * 10 + d;
                }
                ref.retry = std::chrono::milliseconds(ms);
                if (!last)
                    ref.items.push_back(item::make_retry(*ref.retry));
            }
        }
    };

    std::size_t pos = 0;
    for (;;) {
        std::size_t const brk = text.find_first_of("\r\n", pos);
        if (brk == std::string::npos)
            break;
        std::string_view const line(text.data() + pos, brk - pos);
        pos = brk + ((text[brk] == '\r' && brk + 1 < text.size() && text[brk + 1] == '\n') ? 2 : 1);
        process(line, false);
    }

    // The end of the stream: an unterminated line and block are discarded,
    // or, in the lenient mode, read as if a line break and an empty line
    // had followed.
    std::string_view const tail(text.data() + pos, text.size() - pos);
    ref.end = !tail.empty() ? sse::end_state::mid_line
            : in_block      ? sse::end_state::mid_event
                            : sse::end_state::clean;
    if (opt.dispatch_unterminated && ref.end != sse::end_state::clean) {
        if (!tail.empty())
            process(tail, true);
        process({}, true);
    }
    return ref;
}

bool has_byte(std::string_view s, char c) {
    return s.find(c) != std::string_view::npos;
}

// What the header documents about every dispatched event.
void check_event(sse::event_view const& ev, sse::parser_options const& opt) {
    require(sse::detail::find_invalid_utf8(ev.type) == sse::detail::npos, "event type is not UTF-8");
    require(sse::detail::find_invalid_utf8(ev.data) == sse::detail::npos, "event data is not UTF-8");
    require(sse::detail::find_invalid_utf8(ev.id) == sse::detail::npos, "event id is not UTF-8");
    require(!ev.type.empty(), "event type is empty");
    require(!has_byte(ev.type, '\r') && !has_byte(ev.type, '\n'), "event type holds a line break");
    require(!has_byte(ev.data, '\r'), "event data holds CR");
    require(!has_byte(ev.id, '\r') && !has_byte(ev.id, '\n'), "event id holds a line break");
    require(!has_byte(ev.id, '\0'), "event id holds NUL");
    require(ev.data.size() <= opt.max_event_size, "event data larger than max_event_size");
}

void record(sse::parser& p, sse::parse_result r, outcome& out) {
    require(p.has_event() == (r == sse::parse_result::event), "has_event() disagrees with the result");
    if (r == sse::parse_result::event) {
        check_event(p.event(), p.options());
        out.items.push_back(item::make_event(sse::event(p.event())));
    } else if (r == sse::parse_result::retry) {
        require(p.retry().has_value(), "retry result without a retry value");
        out.items.push_back(item::make_retry(*p.retry()));
    } else if (r == sse::parse_result::comment) {
        require(p.options().report_comments, "a comment reported without report_comments");
        std::string_view const c = p.comment();
        require(sse::detail::find_invalid_utf8(c) == sse::detail::npos, "comment is not UTF-8");
        require(!has_byte(c, '\r') && !has_byte(c, '\n'), "comment holds a line break");
        require(c.size() < p.options().max_line_size * 3 + 1, "comment longer than a line can be");
        out.items.push_back(item::make_comment(c));
    }
}

// Feeds one chunk; returns false once the parser failed.
bool feed(sse::parser& p, std::string_view chunk, outcome& out) {
    do {
        std::size_t const before = chunk.size();
        auto const r = p.parse(chunk, out.ec);
        require(chunk.size() <= before, "parse grew its input");
        if (out.ec)
            return false;
        if (r == sse::parse_result::need_more)
            require(chunk.empty(), "need_more while input is left");
        else
            require(chunk.size() < before, "a result without consuming input");
        record(p, r, out);
    } while (!chunk.empty());
    return true;
}

// Ends the stream: what finish says, and the event it may dispatch.
void finish(sse::parser& p, outcome& out) {
    if (out.ec) {
        sse::error_code ec;
        p.finish(ec);
        require(ec == out.ec, "finish forgot the failure");
        require(!p.has_event(), "a failed parser dispatched at the end");
    } else {
        out.end = p.finish(out.ec);
        if (p.has_event()) {
            require(!out.ec, "finish failed and dispatched");
            require(p.options().dispatch_unterminated, "finish dispatched without dispatch_unterminated");
            require(out.end != sse::end_state::clean, "finish dispatched at a clean end");
            check_event(p.event(), p.options());
            out.items.push_back(item::make_event(sse::event(p.event())));
        }
        if (!out.ec) {
            // A second end finds nothing pending.
            sse::error_code ec;
            require(p.finish(ec) == sse::end_state::clean && !ec && !p.has_event(), "a second finish was not clean");
        } else {
            require(out.ec == sse::error::event_too_large, "finish failed with an unexpected error");
            require(p.options().dispatch_unterminated, "finish failed without dispatch_unterminated");
        }
    }
    out.last_event_id = std::string(p.last_event_id());
    out.retry = p.retry();
    require(
        sse::detail::find_invalid_utf8(out.last_event_id) == sse::detail::npos,
        "last event id is not UTF-8"
    );
    require(
        !has_byte(out.last_event_id, '\r') && !has_byte(out.last_event_id, '\n') &&
            !has_byte(out.last_event_id, '\0'),
        "last event id holds CR, LF or NUL"
    );
}

// Chunk boundaries, as ascending offsets into the stream.
std::vector<std::size_t> make_cuts(std::string_view s, unsigned mode, std::uint32_t seed) {
    std::uint32_t x = (seed * 2654435761u) | 1; // xorshift never leaves 0
    auto next = [&x] {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        return x;
    };
    std::vector<std::size_t> cuts;
    std::size_t pos = 0;
    auto step = [&](std::size_t n) {
        pos += n;
        if (pos < s.size())
            cuts.push_back(pos);
    };
    switch (mode) {
    case 0: // byte by byte
        while (pos < s.size())
            step(1);
        break;
    case 1: // fixed size
        while (pos < s.size())
            step(1 + seed % 16);
        break;
    case 2: // tiny, with empty chunks
        while (pos < s.size())
            step(next() % 4);
        break;
    case 3:
        while (pos < s.size())
            step(1 + next() % 16);
        break;
    case 4:
        while (pos < s.size())
            step(1 + next() % 256);
        break;
    case 5: // right after every CR
    case 6: // right before every LF
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (mode == 5 && s[i] == '\r')
                cuts.push_back(i + 1);
            if (mode == 6 && s[i] == '\n')
                cuts.push_back(i);
        }
        break;
    default: // at random line breaks, one byte either side
        for (std::size_t i = 0; i < s.size(); ++i) {
            if ((s[i] == '\r' || s[i] == '\n') && next() % 2 == 0) {
                std::size_t const at = i + (next() % 3);
                if (at >= 1 && at - 1 < s.size())
                    cuts.push_back(at - 1);
            }
        }
        break;
    }
    std::sort(cuts.begin(), cuts.end());
    return cuts;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* bytes, std::size_t size) {
    std::string_view input(reinterpret_cast<char const*>(bytes), size);
    sse::parser_options opt;
    unsigned chunk_mode = 0;
    std::uint32_t seed = 0;
    if (input.size() >= 4) {
        auto const h = [&](std::size_t i) {
            return static_cast<unsigned char>(input[i]);
        };
        if (h(0) & 1)
            opt.max_line_size = h(1);
        if (h(0) & 2)
            opt.max_event_size = h(2);
        chunk_mode = (h(0) >> 2) & 7;
        opt.report_comments = (h(0) & 32) != 0;
        opt.dispatch_unterminated = (h(0) & 64) != 0;
        seed = h(3) | (static_cast<std::uint32_t>(h(0)) << 8);
        input.remove_prefix(4);
    }

    // In one chunk.
    outcome whole;
    sse::parser p1(opt);
    if (!input.empty())
        feed(p1, input, whole);
    finish(p1, whole);

    // In the chosen chunking; an empty chunk is fed as one too.
    outcome chunked;
    sse::parser p2(opt);
    {
        std::size_t pos = 0;
        bool ok = true;
        auto const cuts = make_cuts(input, chunk_mode, seed);
        for (std::size_t i = 0; ok && i <= cuts.size(); ++i) {
            std::size_t const end = i < cuts.size() ? cuts[i] : input.size();
            std::string_view chunk = input.substr(pos, end - pos);
            pos = end;
            if (chunk.empty()) {
                auto const r = p2.parse(chunk, chunked.ec);
                require(r == sse::parse_result::need_more, "an empty chunk produced a result");
                ok = !chunked.ec;
                continue;
            }
            ok = feed(p2, chunk, chunked);
        }
        finish(p2, chunked);
    }
    require(whole == chunked, "the result depends on the chunking");

    // A failed parser keeps failing with the same error.
    if (chunked.ec) {
        require(
            chunked.ec == sse::error::line_too_long || chunked.ec == sse::error::event_too_large,
            "unexpected error code"
        );
        std::string_view more = "data: x\n\n";
        sse::error_code ec;
        auto const r = p2.parse(more, ec);
        require(ec == chunked.ec && r != sse::parse_result::event, "a failed parser recovered");
    }

    // reset() forgets everything.
    {
        p2.reset();
        require(p2.last_event_id().empty() && !p2.retry(), "reset kept state");
        outcome again;
        if (!input.empty())
            feed(p2, input, again);
        finish(p2, again);
        require(again == whole, "a reset parser reads differently from a new one");
    }

    // reset(id, retry) starts where a stream that set them, then ended, left
    // off: finish begins a new stream (a BOM at its start dropped again).
    std::string const id_line = "id: " + whole.last_event_id;
    std::string const retry_line = whole.retry ? "retry: " + std::to_string(whole.retry->count()) : "";
    if (!whole.ec && id_line.size() <= opt.max_line_size && retry_line.size() <= opt.max_line_size) {
        outcome seeded;
        sse::parser p3(opt);
        p3.reset(whole.last_event_id, whole.retry);
        require(
            p3.last_event_id() == whole.last_event_id && p3.retry() == whole.retry,
            "reset(id, retry) did not take them"
        );
        if (!input.empty())
            feed(p3, input, seeded);
        finish(p3, seeded);

        outcome prefixed;
        sse::parser p4(opt);
        std::string const prefix = id_line + "\n" + (whole.retry ? retry_line + "\n" : "") + "\n";
        outcome ignored;
        require(feed(p4, prefix, ignored), "the prefix failed");
        require(p4.finish() == sse::end_state::clean, "the prefix did not end cleanly");
        if (!input.empty())
            feed(p4, input, prefixed);
        finish(p4, prefixed);
        require(seeded == prefixed, "reset(id, retry) differs from a stream that set them");
    }

    // parse_events reports the same events, the lenient last one included.
    {
        sse::error_code ec;
        auto const events = sse::parse_events(input, ec, opt);
        std::vector<sse::event> expected;
        for (auto const& it : whole.items)
            if (!it.is_retry && !it.is_comment)
                expected.push_back(it.ev);
        require(events == expected && ec == whole.ec, "parse_events disagrees with the parser");
    }

    // Against the plain reading of the standard.
    reference const ref = interpret(input, opt);
    if (!whole.ec) {
        require(whole.items == ref.items, "events differ from the standard's algorithm");
        require(whole.end == ref.end, "the end state differs from the standard's algorithm");
        require(
            whole.last_event_id == ref.last_event_id,
            "last event id differs from the standard's algorithm"
        );
        require(whole.retry == ref.retry, "retry differs from the standard's algorithm");
        require(ref.longest_line <= opt.max_line_size, "a line longer than max_line_size was accepted");
        require(ref.largest_data_buf <= opt.max_event_size, "event data grew past max_event_size unnoticed");
    } else {
        require(
            whole.items.size() <= ref.items.size() &&
                std::equal(whole.items.begin(), whole.items.end(), ref.items.begin()),
            "events before the failure differ from the standard's algorithm"
        );
        if (whole.ec == sse::error::line_too_long)
            require(ref.longest_any > opt.max_line_size, "line_too_long without a long line");
        else
            require(ref.largest_data_buf > opt.max_event_size, "event_too_large without large data");
    }
    return 0;
}
