//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// libFuzzer target: sse::message built from arbitrary field values, then
// serialized and read back with sse::parser, comments and the end of the
// stream included.
//
// Input layout: an 11-byte header (missing bytes read as zero), then the
// field values, split at the separator byte: id, event, data, comment (the
// comment takes the rest, separators included).
//
//   byte 0     which fields to set: bit 0 data, 1 event, 2 id, 3 comment,
//              4 retry; bit 5: a message with another id comes first;
//              bit 6: the id is the integer below; bit 7: every field is
//              first set to a valid value, so refused values must leave it
//   byte 1     the separator
//   byte 2     bit 0: data through json(); bit 1: data through the
//              string-taking overload; bit 2: also try the throwing
//              overloads; bit 3: a plain message follows; bits 4-7:
//              where the message starts in a circular buffer
//   bytes 3-10 a signed 64-bit integer (little endian): the retry in
//              milliseconds, and the integer id

#include <sse/json.hpp>
#include <sse/message.hpp>
#include <sse/parser.hpp>

#include <sse/detail/text.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/multi_buffer.hpp>
#include <boost/beast/core/static_buffer.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
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

struct item {
    bool is_retry = false;
    sse::event ev;
    std::chrono::milliseconds retry{};

    friend bool operator==(item const&, item const&) = default;
};

// One thing a parser that reports comments reads.
struct note {
    char kind = 'e'; // 'e' event, 'r' retry, 'c' comment
    sse::event ev;
    std::chrono::milliseconds retry{};
    std::string comment;

    static note of(item const& i) { return i.is_retry ? note{'r', {}, i.retry, {}} : note{'e', i.ev, {}, {}}; }
    static note of_comment(std::string_view c) { return {'c', {}, {}, std::string(c)}; }

    friend bool operator==(note const&, note const&) = default;
};

bool is_utf8(std::string_view s) {
    return sse::detail::find_invalid_utf8(s) == sse::detail::npos;
}

bool has_any(std::string_view s, std::string_view bytes) {
    return s.find_first_of(bytes) != std::string_view::npos;
}

// CRLF and CR read back as LF.
std::string normalize_breaks(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\r') {
            out.push_back('\n');
            if (i + 1 < s.size() && s[i + 1] == '\n')
                ++i;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

// The lines of a comment: split at CRLF, CR and LF, empty pieces included.
std::vector<std::string> lines_of(std::string_view s) {
    std::vector<std::string> lines(1);
    for (char const c : normalize_breaks(s)) {
        if (c == '\n')
            lines.emplace_back();
        else
            lines.back().push_back(c);
    }
    return lines;
}

// The error codes a refused value may report: `field` when it holds a
// forbidden byte, invalid_utf8 when it is not UTF-8 (either when both).
bool code_fits(sse::error_code const& ec, bool forbidden, bool bad_utf8, sse::error field) {
    return (forbidden && ec == field) || (bad_utf8 && ec == sse::error::invalid_utf8);
}

// Calls a setter's error_code overload, checking that it accepts exactly the
// valid values, reports a fitting code otherwise, and then leaves the message
// as it was. Returns the code.
template <class Set, class Fits>
sse::error_code attempt(sse::message& msg, Set set, bool valid, Fits fits) {
    sse::message const before = msg;
    std::string const before_wire = sse::to_string(before);
    // A stale error must be cleared by a success.
    sse::error_code ec = sse::make_error_code(sse::error::line_too_long);
    set(msg, ec);
    if (valid) {
        require(!ec, "a valid value was refused");
        return ec;
    }
    require(ec.failed(), "an invalid value was accepted");
    require(fits(ec), "a refused value reported the wrong error");
    require(msg == before, "a refused value changed the message");
    require(sse::to_string(msg) == before_wire, "a refused value changed the wire form");
    require(msg.serialized_size() == before_wire.size(), "a refused value changed serialized_size");
    return ec;
}

// Calls a throwing setter on a copy of the message before the error_code
// overload ran: it must throw exactly when that overload refused, with the
// same code, and otherwise build the same message.
template <class Set>
void attempt_throwing(
    sse::message const& before, Set set, sse::message const& after, sse::error_code const& ec
) {
    sse::message m = before;
    try {
        set(m);
    } catch (sse::system_error const& e) {
        require(ec.failed(), "a throwing setter refused a valid value");
        require(e.code() == ec, "a throwing setter reported another error");
        return;
    }
    require(!ec, "a throwing setter accepted an invalid value");
    require(m == after, "a throwing setter built another message");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* bytes, std::size_t size) {
    constexpr std::size_t header_size = 11;
    unsigned char header[header_size] = {};
    for (std::size_t i = 0; i < header_size && i < size; ++i)
        header[i] = bytes[i];
    std::string_view rest;
    if (size > header_size)
        rest = std::string_view(reinterpret_cast<char const*>(bytes) + header_size, size - header_size);

    unsigned const flags = header[0];
    char const sep = static_cast<char>(header[1]);
    unsigned const flags2 = header[2];
    std::uint64_t u = 0;
    for (int i = 0; i < 8; ++i)
        u |= static_cast<std::uint64_t>(header[3 + i]) << (8 * i);
    auto const number = static_cast<std::int64_t>(u);

    bool const set_data = flags & 1;
    bool const set_event = flags & 2;
    bool const set_id = flags & 4;
    bool const set_comment = flags & 8;
    bool const set_retry = flags & 16;
    bool const prev = flags & 32;
    bool const integer_id = flags & 64;
    bool const prefill = flags & 128;
    bool const via_json = flags2 & 1;
    bool const via_string = flags2 & 2;
    bool const throwing = flags2 & 4;
    bool const trailer = flags2 & 8;

    std::string_view piece[4];
    for (int i = 0; i < 3; ++i) {
        std::size_t const at = rest.find(sep);
        piece[i] = rest.substr(0, at);
        rest = at == std::string_view::npos ? std::string_view() : rest.substr(at + 1);
    }
    piece[3] = rest;
    std::string_view const id_value = piece[0];
    std::string_view const event_value = piece[1];
    std::string_view const data_value = piece[2];
    std::string_view const comment_value = piece[3];

    // What the message must hold: the JSON data is checked separately.
    std::optional<std::string> want_data, want_event, want_id, want_comment;
    std::optional<std::chrono::milliseconds> want_retry;
    bool json_data = false;

    sse::message msg;
    if (prefill) {
        msg.comment("pre").retry(std::chrono::milliseconds(1)).id("pre").event("pre").data("pre");
        want_data = want_event = want_id = want_comment = "pre";
        want_retry = std::chrono::milliseconds(1);
    }

    if (set_comment) {
        sse::message const before = msg;
        auto const ec = attempt(
            msg,
            [&](sse::message& m, sse::error_code& e) { m.comment(comment_value, e); },
            is_utf8(comment_value),
            [](sse::error_code const& e) { return e == sse::error::invalid_utf8; }
        );
        if (!ec)
            want_comment = std::string(comment_value);
        if (throwing)
            attempt_throwing(
                before,
                [&](sse::message& m) { m.comment(comment_value); },
                msg,
                ec
            );
    }

    if (set_retry) {
        auto const value = std::chrono::milliseconds(number);
        sse::message const before = msg;
        auto const ec = attempt(
            msg,
            [&](sse::message& m, sse::error_code& e) { m.retry(value, e); },
            number >= 0,
            [](sse::error_code const& e) { return e == sse::error::invalid_retry; }
        );
        if (!ec)
            want_retry = value;
        if (throwing)
            attempt_throwing(
                before,
                [&](sse::message& m) { m.retry(value); },
                msg,
                ec
            );
    }

    if (set_id && integer_id) {
        msg.id(number);
        want_id = std::to_string(number);
    } else if (set_id) {
        bool const forbidden = has_any(id_value, std::string_view("\r\n\0", 3));
        bool const bad = !is_utf8(id_value);
        sse::message const before = msg;
        auto const ec = attempt(
            msg,
            [&](sse::message& m, sse::error_code& e) { m.id(id_value, e); },
            !forbidden && !bad,
            [&](sse::error_code const& e) { return code_fits(e, forbidden, bad, sse::error::invalid_id); }
        );
        if (!ec)
            want_id = std::string(id_value);
        if (throwing)
            attempt_throwing(
                before,
                [&](sse::message& m) { m.id(id_value); },
                msg,
                ec
            );
    }

    if (set_event) {
        bool const forbidden = has_any(event_value, "\r\n");
        bool const bad = !is_utf8(event_value);
        sse::message const before = msg;
        auto const ec = attempt(
            msg,
            [&](sse::message& m, sse::error_code& e) { m.event(event_value, e); },
            !forbidden && !bad,
            [&](sse::error_code const& e) { return code_fits(e, forbidden, bad, sse::error::invalid_event); }
        );
        if (!ec)
            want_event = std::string(event_value);
        if (throwing)
            attempt_throwing(
                before,
                [&](sse::message& m) { m.event(event_value); },
                msg,
                ec
            );
    }

    if (set_data && via_json) {
        std::string const text(data_value);
        sse::message const before = msg;
        auto const ec = attempt(
            msg,
            [&](sse::message& m, sse::error_code& e) { m.json(text, e); },
            is_utf8(text),
            [](sse::error_code const& e) { return e == sse::error::invalid_json; }
        );
        if (!ec) {
            json_data = true;
            want_data.reset();
        }
        if (throwing)
            attempt_throwing(
                before,
                [&](sse::message& m) { m.json(text); },
                msg,
                ec
            );
    } else if (set_data && via_string) {
        bool const valid = is_utf8(data_value);
        try {
            msg.data(std::string(data_value));
            require(valid, "data(string&&) accepted invalid UTF-8");
            want_data = std::string(data_value);
        } catch (sse::system_error const& e) {
            require(
                !valid && e.code() == sse::error::invalid_utf8,
                "data(string&&) refused valid UTF-8, or gave the wrong error"
            );
        }
    } else if (set_data) {
        sse::message const before = msg;
        auto const ec = attempt(
            msg,
            [&](sse::message& m, sse::error_code& e) { m.data(data_value, e); },
            is_utf8(data_value),
            [](sse::error_code const& e) { return e == sse::error::invalid_utf8; }
        );
        if (!ec)
            want_data = std::string(data_value);
        if (throwing)
            attempt_throwing(
                before,
                [&](sse::message& m) { m.data(data_value); },
                msg,
                ec
            );
    }

    // The getters.
    auto const same = [](std::optional<std::string_view> got, std::optional<std::string> const& want) {
        return got.has_value() == want.has_value() && (!got || *got == *want);
    };
    require(same(msg.comment(), want_comment), "comment() differs");
    require(same(msg.id(), want_id), "id() differs");
    require(same(msg.event(), want_event), "event() differs");
    require(msg.retry() == want_retry, "retry() differs");
    if (json_data) {
        require(msg.data().has_value(), "json() set no data");
        want_data = std::string(*msg.data());
        require(!has_any(*want_data, "\r\n"), "JSON data holds a line break");
        require(
            nlohmann::json::parse(*want_data) == nlohmann::json(std::string(data_value)),
            "JSON data does not read back"
        );
    }
    require(same(msg.data(), want_data), "data() differs");
    bool const any_field = want_data || want_event || want_id || want_comment || want_retry;
    require(msg.empty() == !any_field, "empty() differs");

    // Every way of serializing writes the same serialized_size() bytes.
    std::string const wire = sse::to_string(msg);
    std::size_t const n = msg.serialized_size();
    require(wire.size() == n, "serialized_size() differs from to_string().size()");
    {
        auto const buf = std::make_unique<char[]>(n + 1);
        char* const end = msg.serialize(buf.get());
        require(end == buf.get() + n && std::string_view(buf.get(), n) == wire, "serialize(char*) differs");
    }
    {
        std::string s = "prefix";
        sse::serialize(msg, s);
        require(s.size() == 6 + n && s.substr(6) == wire, "serialize(string&) differs");
    }
    {
        boost::beast::flat_buffer b;
        sse::serialize(msg, b);
        require(boost::beast::buffers_to_string(b.data()) == wire, "serialize(flat_buffer) differs");
    }
    {
        boost::beast::multi_buffer b;
        sse::serialize(msg, b);
        sse::serialize(msg, b);
        require(boost::beast::buffers_to_string(b.data()) == wire + wire, "serialize(multi_buffer) differs");
    }
    {
        // A circular buffer whose free space wraps around: two buffers.
        std::size_t const cap = n + 3;
        std::size_t const skip = std::min<std::size_t>(1 + (flags2 >> 4), cap);
        auto const storage = std::make_unique<char[]>(cap);
        boost::beast::static_buffer_base b(storage.get(), cap);
        b.commit(boost::asio::buffer_copy(b.prepare(skip), boost::asio::buffer(std::string(skip, '-'))));
        b.consume(skip);
        sse::serialize(msg, b);
        require(boost::beast::buffers_to_string(b.data()) == wire, "serialize(static_buffer) differs");
    }
    if (n != 0) {
        // One byte short.
        auto const storage = std::make_unique<char[]>(n - 1 + 1);
        boost::beast::static_buffer_base b(storage.get(), n - 1);
        bool threw = false;
        try {
            sse::serialize(msg, b);
        } catch (std::length_error const&) {
            threw = true;
        }
        require(threw, "serialize into a full buffer did not throw length_error");
    }
    {
        std::string s;
        sse::serialize(msg, boost::asio::dynamic_buffer(s));
        require(s == wire, "serialize(dynamic_string_buffer) differs");
    }

    // The documented wire shape.
    require(wire.find('\r') == std::string::npos, "the wire form holds CR");
    require(wire.empty() == !any_field, "an empty message wrote something, or a message wrote nothing");
    if (!wire.empty())
        require(wire.back() == '\n', "the wire form does not end with LF");
    // Every message that is not empty, a comment-only one too, ends with
    // the empty line, and that is its only empty line.
    if (any_field)
        require(
            wire.size() >= 2 && wire.find("\n\n") == wire.size() - 2,
            "the message does not end with exactly one empty line"
        );

    // What a client reads.
    std::string stream;
    std::vector<item> want;
    std::string last_id;
    if (prev) {
        stream += sse::to_string(sse::message{}.id("prev-7").data("p"));
        want.push_back({false, sse::event("message", "p", "prev-7"), {}});
        last_id = "prev-7";
    }
    stream += wire;
    if (want_retry)
        want.push_back({true, {}, *want_retry});
    if (want_id)
        last_id = *want_id;
    if (want_data) {
        std::string type = want_event && !want_event->empty() ? *want_event : "message";
        want.push_back({false, sse::event(std::move(type), normalize_breaks(*want_data), last_id), {}});
    }
    if (trailer) {
        stream += sse::to_string(sse::message{}.data("end"));
        want.push_back({false, sse::event("message", "end", last_id), {}});
    }

    std::vector<item> got;
    sse::parser p;
    std::string_view in = stream;
    while (!in.empty()) {
        sse::error_code ec;
        auto const r = p.parse(in, ec);
        require(!ec, "the parser failed on a serialized message");
        if (r == sse::parse_result::event)
            got.push_back({false, sse::event(p.event()), {}});
        else if (r == sse::parse_result::retry)
            got.push_back({true, {}, *p.retry()});
    }
    require(got == want, "the message does not read back as built");
    require(p.last_event_id() == last_id, "the last event id does not read back");
    require(p.retry() == want_retry, "the retry does not read back");

    std::vector<sse::event> want_events;
    for (auto const& it : want)
        if (!it.is_retry)
            want_events.push_back(it.ev);
    require(sse::parse_events(stream) == want_events, "parse_events does not read the message back");

    // With comments reported: the comment's lines come first, in order;
    // a serialized stream ends between messages, so finish finds it clean
    // and the lenient mode has nothing more to dispatch.
    std::vector<note> want_notes;
    std::size_t const before_msg = prev ? 1 : 0; // the items before this message's
    for (std::size_t i = 0; i < before_msg; ++i)
        want_notes.push_back(note::of(want[i]));
    if (want_comment)
        for (auto const& line : lines_of(*want_comment))
            want_notes.push_back(note::of_comment(line));
    for (std::size_t i = before_msg; i < want.size(); ++i)
        want_notes.push_back(note::of(want[i]));
    for (bool const lenient : {false, true}) {
        sse::parser q(sse::parser_options{.report_comments = true, .dispatch_unterminated = lenient});
        std::vector<note> notes;
        std::string_view rest = stream;
        // Byte by byte when the stream is short, else in one piece.
        std::size_t const step = stream.size() <= 64 ? 1 : stream.size();
        while (!rest.empty()) {
            std::string_view chunk = rest.substr(0, step);
            rest.remove_prefix(chunk.size());
            while (!chunk.empty()) {
                sse::error_code ec;
                auto const r = q.parse(chunk, ec);
                require(!ec, "the parser failed on a serialized message");
                if (r == sse::parse_result::event)
                    notes.push_back(note::of(item{false, sse::event(q.event()), {}}));
                else if (r == sse::parse_result::retry)
                    notes.push_back(note::of(item{true, {}, *q.retry()}));
                else if (r == sse::parse_result::comment)
                    notes.push_back(note::of_comment(q.comment()));
            }
        }
        require(notes == want_notes, "the comments do not read back as built");
        sse::error_code ec;
        require(q.finish(ec) == sse::end_state::clean && !ec, "a serialized stream does not end cleanly");
        require(!q.has_event(), "finish dispatched an event after a serialized stream");
        require(q.last_event_id() == last_id, "finish changed the last event id");
    }

    // The error_code overloads chain on a temporary; each call reports
    // through its own error_code.
    {
        sse::error_code ec_comment, ec_id, ec_event, ec_data;
        sse::message const chained = sse::message{}
                                         .comment(comment_value, ec_comment)
                                         .id(id_value, ec_id)
                                         .event(event_value, ec_event)
                                         .data(data_value, ec_data);
        require(!ec_comment == is_utf8(comment_value), "comment(value, ec) on a temporary");
        bool const id_ok = is_utf8(id_value) && !has_any(id_value, std::string_view("\r\n\0", 3));
        bool const event_ok = is_utf8(event_value) && !has_any(event_value, "\r\n");
        require(!ec_id == id_ok, "id(value, ec) on a temporary");
        require(!ec_event == event_ok, "event(value, ec) on a temporary");
        require(!ec_data == is_utf8(data_value), "data(value, ec) on a temporary");
        require(chained.comment().has_value() == !ec_comment, "a refused comment was set on a temporary");
        require(chained.id().has_value() == !ec_id, "a refused id was set on a temporary");
        require(chained.event().has_value() == !ec_event, "a refused event was set on a temporary");
        require(chained.data().has_value() == !ec_data, "refused data was set on a temporary");
    }

    // Copies compare equal; clear() empties.
    sse::message copy = msg;
    require(copy == msg, "a copy differs");
    copy.clear();
    require(
        copy.empty() && copy.serialized_size() == 0 && sse::to_string(copy).empty(),
        "clear() left fields"
    );
    return 0;
}
