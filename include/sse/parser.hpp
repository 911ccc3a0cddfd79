//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_PARSER_HPP
#define SSE_PARSER_HPP

#include <sse/detail/config.hpp>
#include <sse/error.hpp>
#include <sse/fwd.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sse {

/// Limits that keep a hostile stream from exhausting memory.
struct parser_options {
    /** The longest line accepted, in bytes, without its line break.

        Longer lines fail with `error::line_too_long`, whether or not they
        arrive in one piece.
    */
    std::size_t max_line_size = 1024 * 1024;

    /** The largest data buffer of one event, in bytes: the decoded values of
        its `data` lines, each followed by its LF.

        A buffer growing past it fails with `error::event_too_large`.
    */
    std::size_t max_event_size = 16 * 1024 * 1024;
};

/// What one call to `basic_parser::parse` produced.
enum class parse_result {
    /// The input is used up; feed more bytes.
    need_more,

    /// An event was dispatched: read it with `basic_parser::event()`.
    event,

    /// A valid `retry` field set a new reconnection time: read it with
    /// `basic_parser::retry()`.
    retry,
};

/** A dispatched event, as a view into the parser's buffers.

    It stays valid until the next call to `parse` or `reset`.
*/
struct event_view {
    /// The event type: `message` when the stream gave none.
    std::string_view type;

    /// The data: the `data` field values joined with LF.
    std::string_view data;

    /// The last event id at dispatch, which persists from event to event.
    std::string_view id;
};

/// A dispatched event that owns its strings.
struct event {
    std::string type = "message";
    std::string data;
    std::string id;

    event() = default;

    event(std::string type_, std::string data_, std::string id_ = {})
        : type(std::move(type_))
        , data(std::move(data_))
        , id(std::move(id_))
    {
    }

    explicit event(event_view v) : type(v.type), data(v.data), id(v.id) {}

    friend bool operator==(event const&, event const&) = default;
};

/** An incremental parser of `text/event-stream`, exactly as WHATWG HTML reads it.

    Bytes may be fed in any chunking: a chunk may end anywhere, also between
    the CR and the LF of a line break. The parser does no I/O.

    It follows the "Server-sent events" section of the HTML standard: the
    stream is UTF-8, ill-formed sequences read as U+FFFD and one leading BOM
    is dropped; lines end at CRLF, LF or CR (a CR that ends the input so far
    ends its line at once, and a LF that then arrives is part of that line
    break); an empty line dispatches; `:` starts a comment; a line without
    `:` is a field name with an empty value; one space after the colon is
    dropped; unknown fields are ignored; `id` containing NUL is ignored;
    `retry` that is not all ASCII digits is ignored (so is an empty one);
    an event whose data buffer is empty is not dispatched, but its id still
    becomes the last event id; an unterminated block at the end of the stream
    is never dispatched.

    @par Example
    @code
    sse::parser p;
    std::string_view in = "event: tick\ndata: 1\n\n";
    while (!in.empty()) {
        if (p.parse(in) == sse::parse_result::event)
            std::cout << p.event().type << ": " << p.event().data << '\n';
    }
    @endcode

    @par Thread Safety
    Distinct objects: Safe. Shared objects: Unsafe.

    @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
*/
template <class Allocator>
class basic_parser {
public:
    /// The allocator type.
    using allocator_type = Allocator;

    /// Constructs a parser with default limits.
    basic_parser() = default;

    /// Constructs a parser with the given limits and allocator.
    explicit basic_parser(parser_options const& options, Allocator const& alloc = Allocator());

    /** Parses bytes until an event or a retry is produced, or the input is used up.

        `input` is advanced past what was consumed. Call again with the rest
        until it is empty: every byte is consumed exactly once.

        @param input The next bytes of the stream.
        @param ec Set on failure (`error::line_too_long`,
        `error::event_too_large`); the parser then keeps failing with the same
        error until `reset()`.
    */
    parse_result parse(std::string_view& input, error_code& ec);

    /// @copydoc parse(std::string_view&, error_code&)
    /// @throws system_error on failure.
    parse_result parse(std::string_view& input);

    /// The event just dispatched. Valid after `parse` returned `parse_result::event`.
    event_view event() const noexcept;

    /// The reconnection time the stream last set, if it set one.
    std::optional<std::chrono::milliseconds> retry() const noexcept { return retry_; }

    /** The last event id: what a reconnecting client sends as `Last-Event-ID`.

        It changes only when an event is dispatched (an empty line), whether
        or not that event fires.
    */
    std::string_view last_event_id() const noexcept { return last_event_id_; }

    /// The limits.
    parser_options const& options() const noexcept { return options_; }

    /// Forgets everything: the parser reads a new stream.
    void reset() noexcept;

private:
    using string_type = std::basic_string<char, std::char_traits<char>, Allocator>;

    parse_result process(std::string_view line, error_code& ec);
    parse_result fail(error e, error_code& ec);

    parser_options options_;
    string_type line_;
    string_type data_;
    string_type type_;
    string_type id_buffer_;
    string_type last_event_id_;
    std::optional<std::chrono::milliseconds> retry_;
    error failed_{};
    bool started_ = false;    // the first line (which may carry a BOM) was read
    bool skip_lf_ = false;    // the last byte seen was a CR
    bool dispatched_ = false; // data_ and type_ hold the event just returned
};

/** Parses a whole stream and returns the events it dispatches.

    @throws system_error when a limit is exceeded.
*/
std::vector<event> parse_events(std::string_view stream, parser_options const& options = {});

/// Parses a whole stream, or sets `ec` and returns the events dispatched before the failure.
std::vector<event> parse_events(std::string_view stream, error_code& ec, parser_options const& options = {});

} // namespace sse

#include <sse/impl/parser.hpp>

#endif
