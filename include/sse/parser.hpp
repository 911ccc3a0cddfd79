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

/// Limits that keep a hostile stream from exhausting memory, and what is reported.
struct parser_options {
    /** The longest line accepted, in bytes, without its line break.

        Longer lines fail with `error::line_too_long`, whether or not they
        arrive in one piece. Comment lines count too.
    */
    std::size_t max_line_size = 1024 * 1024;

    /** The largest data buffer of one event, in bytes: the decoded values of
        its `data` lines, each followed by its LF.

        A buffer growing past it fails with `error::event_too_large`.
    */
    std::size_t max_event_size = 16 * 1024 * 1024;

    /** Whether `parse` reports comment lines as `parse_result::comment`.

        Off by default: comments are skipped, as the standard says, and a loop
        that handles only events and retries sees nothing new. Turn it on to
        watch a stream's keep-alives or to read comments back.
    */
    bool report_comments = false;

    /** Whether `finish` dispatches the block that no empty line ended.

        Off by default: the standard discards it. Some servers (LLM APIs among
        them) end the stream right after the last `data:` line, without the
        empty line; turn it on to receive that last event. See
        `basic_parser::finish`.
    */
    bool dispatch_unterminated = false;
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

    /// A comment line was read: read its text with `basic_parser::comment()`.
    /// Returned only when `parser_options::report_comments` is set.
    comment,
};

/// Where a stream ended, as `basic_parser::finish` reports it.
enum class end_state {
    /// At a line boundary outside any block: after an empty line, after
    /// comments only, or before any line. Nothing was lost.
    clean,

    /// At a line boundary inside a block: a field line (`data`, `event`,
    /// `id`, `retry` or any other name) came after the last empty line.
    mid_event,

    /// Inside a line: bytes came after the last line break (a leading BOM
    /// alone is not a line). The block around it, if any, is unterminated too.
    mid_line,
};

/** A dispatched event, as a view into the parser's buffers.

    It stays valid until the next call to `parse`, `finish` or `reset`.
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

    Beyond the standard, and only when asked: comments are reported
    (`parser_options::report_comments`), and the unterminated block at the
    end is dispatched (`parser_options::dispatch_unterminated`). `finish`
    says where a stream ended, and `reset(id, retry)` starts a stream from
    the last event id and reconnection time a reconnecting client keeps.

    @par Example
    @code
    sse::parser p;
    std::string_view in = "event: tick\ndata: 1\n\n";
    while (!in.empty()) {
        if (p.parse(in) == sse::parse_result::event)
            std::cout << p.event().type << ": " << p.event().data << '\n';
    }
    if (p.finish() != sse::end_state::clean)
        std::cout << "the stream was cut short\n";
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

    /// Constructs a parser with default options.
    basic_parser() = default;

    /// Constructs a parser with the given options and allocator.
    explicit basic_parser(parser_options const& options, Allocator const& alloc = Allocator());

    /** Parses bytes until an event, a retry or a comment is produced, or the input is used up.

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

    /** Tells the parser that the stream ended, and says where it ended.

        Call it when the connection closes or the body ends. What is still
        pending is then settled:

        @li By default, as the standard says, a line without its line break
            and a block without its empty line are discarded: no event fires,
            and an `id` in that block does not become the last event id.
        @li With `parser_options::dispatch_unterminated`, they read as if the
            stream had ended with a line break and an empty line: the last
            line is processed (a `retry` in it applies; a comment in it is not
            reported), then the block is dispatched. Its id becomes the last
            event id and, when it holds data, an event fires: `has_event()` is
            then true and `event()` returns it until the next call.

        The result is what was pending before it was settled, in both modes:
        a client tells a stream that ended between events from one cut short.
        A CR as the last byte already ended its line, so a stream ending in
        `data: x\r` ends `mid_event`, not `mid_line`; a stream of only a BOM,
        or only whole comment lines, ends `clean`.

        Afterwards the parser reads a new stream (a leading BOM is dropped
        again) and keeps `last_event_id()` and `retry()`, as
        `reset(last_event_id(), retry())` would leave it.

        @param ec Set when the parser had failed (to the error `parse`
        reported), or to `error::event_too_large` when the last line, read in
        the lenient mode, grows the data past the limit; the result is then
        unspecified.
    */
    end_state finish(error_code& ec);

    /// @copydoc finish(error_code&)
    /// @throws system_error on failure.
    end_state finish();

    /// The event just dispatched. Valid while `has_event()` is true.
    event_view event() const noexcept;

    /** Whether `event()` holds an event: after `parse` returned
        `parse_result::event`, or after `finish` dispatched the unterminated
        block, until the next call to `parse`, `finish` or `reset`.
    */
    bool has_event() const noexcept { return dispatched_; }

    /** The comment just read: the text after the colon, minus one leading
        space if there is one (as for a field value); ill-formed UTF-8 reads
        as U+FFFD.

        `: ping` reads as `ping` and `:` as the empty string, so the lines of
        `message::comment()` read back as they were built. Valid after `parse`
        returned `parse_result::comment`, until the next call to `parse`,
        `finish` or `reset`.
    */
    std::string_view comment() const noexcept;

    /// The reconnection time the stream last set, if it set one.
    std::optional<std::chrono::milliseconds> retry() const noexcept { return retry_; }

    /** The last event id: what a reconnecting client sends as `Last-Event-ID`.

        It changes only when an event is dispatched (an empty line), whether
        or not that event fires.
    */
    std::string_view last_event_id() const noexcept { return last_event_id_; }

    /// The options.
    parser_options const& options() const noexcept { return options_; }

    /// Forgets everything: the parser reads a new stream.
    void reset() noexcept;

    /** Reads a new stream, starting from a last event id and a reconnection time.

        What a reconnecting client keeps from the stream before: the events
        of the new stream carry `id` until one sets another, and `retry()`
        returns `reconnection_time` until the stream sets another. Everything
        else is forgotten, as by `reset()`.

        @par Example
        @code
        p.finish();                               // the connection closed
        p.reset(p.last_event_id(), p.retry());    // the next one
        @endcode

        @param id The last event id, as `last_event_id()` reported it: UTF-8
        without CR, LF or NUL. It may be a view of `last_event_id()`.
        @param reconnection_time The reconnection time, if one is known.
    */
    void reset(
        std::string_view id,
        std::optional<std::chrono::milliseconds> reconnection_time = std::nullopt
    );

private:
    using string_type = std::basic_string<char, std::char_traits<char>, Allocator>;

    void release() noexcept;
    void restart() noexcept;
    parse_result process(std::string_view line, error_code& ec);
    parse_result fail(error e, error_code& ec);

    parser_options options_;
    string_type line_;
    string_type data_;
    string_type type_;
    string_type id_buffer_;
    string_type last_event_id_;
    string_type comment_;
    std::optional<std::chrono::milliseconds> retry_;
    error failed_{};
    bool started_ = false;    // the first line (which may carry a BOM) was read
    bool skip_lf_ = false;    // the last byte seen was a CR
    bool in_block_ = false;   // a field line came after the last empty line
    bool dispatched_ = false; // data_ and type_ hold the event just returned
    bool commented_ = false;  // comment_ holds the comment just returned
};

/** Parses a whole stream and returns the events it dispatches.

    The stream ends with `basic_parser::finish`, so with
    `parser_options::dispatch_unterminated` an unterminated last event is
    returned too.

    @throws system_error when a limit is exceeded.
*/
std::vector<event> parse_events(std::string_view stream, parser_options const& options = {});

/// Parses a whole stream, or sets `ec` and returns the events dispatched before the failure.
std::vector<event> parse_events(std::string_view stream, error_code& ec, parser_options const& options = {});

} // namespace sse

#include <sse/impl/parser.hpp>

#endif
