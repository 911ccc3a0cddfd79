//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_MESSAGE_HPP
#define SSE_MESSAGE_HPP

#include <sse/detail/config.hpp>
#include <sse/error.hpp>
#include <sse/fwd.hpp>

#include <boost/asio/buffer.hpp>

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace sse {

namespace detail {
struct message_access;
} // namespace detail

/** One message of an event stream: a builder and a value type.

    A message holds up to five fields, each optional: comment, retry, id,
    event and data. The chainable setters validate what they are given, so a
    message that exists can always be serialized, and reads back, through any
    client that follows the WHATWG rules, exactly as it was built (line breaks
    in data and comments excepted: CRLF, CR and LF all read back as LF).

    @par Example
    @code
    auto msg = sse::message{}.id(42).event("price").data("EURUSD 1.0841");
    std::string wire = sse::to_string(msg);
    // "id: 42\nevent: price\ndata: EURUSD 1.0841\n\n"
    @endcode

    @par Wire format
    Fields are written in the order comment, retry, id, event, data; every
    line ends with LF, and every message that is not empty ends with an empty
    line, which ends its block on the client (and fires its event, if any):

    @li `comment("a\nb")` writes `: a` and `: b` (an empty piece is `:`).
        Clients ignore comments; a comment-only message (a heartbeat such as
        `: ping`, then the empty line) fires no event, and its empty line
        lets clients that split on blank lines, and proxies that flush at
        event boundaries, pass it on at once.
    @li `retry(1500ms)` writes `retry: 1500`.
    @li `id("7")` writes `id: 7`; `id("")` writes `id: `, which resets the
        client's last event id.
    @li `event("x")` writes `event: x`.
    @li `data(s)` splits s at CRLF, CR and LF (a CRLF counts once) and writes
        one `data: ` line per piece, empty pieces included: `data("")` is one
        `data: ` line (an event with empty data), `data("x\n")` is `data: x`
        then `data: ` (read back as `"x\n"`). Without `data()` no event fires
        on the client, though an id or a retry still applies.
    @li An empty message (no field set) writes nothing.

    @par Validation
    A value that is not well-formed UTF-8, an id with CR, LF or NUL, an event
    type with CR or LF, and a negative retry are refused: the throwing
    overloads throw `sse::system_error` naming the field, the offending byte
    and its offset; the `error_code` overloads set it and leave the message
    unchanged. Those overloads chain on a temporary too, and each call sets
    its `error_code` (a success clears it), so give each call of a chain its
    own:
    @code
    sse::error_code ec_id, ec_data;
    auto msg = sse::message{}.id(untrusted_id, ec_id).data(text, ec_data);
    if (ec_id || ec_data)
        return; // refused: msg holds only the fields that were accepted
    @endcode

    @tparam Allocator The allocator of the message's strings.

    @par Thread Safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
template <class Allocator>
class basic_message {
public:
    /// The allocator type.
    using allocator_type = Allocator;

    /// The string type of the fields.
    using string_type = std::basic_string<char, std::char_traits<char>, Allocator>;

    /// Constructs an empty message.
    basic_message() = default;

    /// Constructs an empty message whose strings use the given allocator.
    explicit basic_message(Allocator const& alloc);

    /// Returns the allocator.
    allocator_type get_allocator() const noexcept { return data_.get_allocator(); }

    // ------------------------------------------------------------------ data

    /** Sets the data, replacing any earlier data.

        @param value Any well-formed UTF-8; line breaks split it into several
        `data:` lines, which the client joins with LF.

        @throws system_error with `error::invalid_utf8` naming the offset.
    */
    basic_message& data(std::string_view value) &;

    /// @copydoc data(std::string_view) &
    basic_message&& data(std::string_view value) && { return std::move(data(value)); }

    /** Sets the data, taking the string's storage.

        The string is validated as by `data(std::string_view)`; on failure it
        is left in a valid but unspecified state.
    */
    template <class String>
        requires std::same_as<String, string_type>
    basic_message& data(String&& value) &
    {
        set_data(std::move(value), nullptr);
        return *this;
    }

    /// @copydoc data(String&&) &
    template <class String>
        requires std::same_as<String, string_type>
    basic_message&& data(String&& value) &&
    {
        return std::move(data(std::move(value)));
    }

    /// Sets the data, or sets `ec` and leaves the message unchanged.
    basic_message& data(std::string_view value, error_code& ec) &;

    /// @copydoc data(std::string_view, error_code&) &
    basic_message&& data(std::string_view value, error_code& ec) && { return std::move(data(value, ec)); }

    /** Sets the data to the compact JSON text of a value.

        `value` can be a `nlohmann::json` (or another `nlohmann::basic_json`)
        or any type that nlohmann/json can convert, such as a user type with a
        `to_json` function. The text is written with `ensure_ascii` off (UTF-8
        as is) and never contains a line break, so it is always one `data:`
        line.

        Include `<sse/json.hpp>` (or `<nlohmann/json.hpp>`) before calling it.

        @throws system_error with `error::invalid_json` when nlohmann/json
        refuses the value (a string that is not UTF-8, for instance).
    */
    template <class T>
    basic_message& json(T const& value) &;

    /// @copydoc json
    template <class T>
    basic_message&& json(T const& value) &&
    {
        return std::move(json(value));
    }

    /// Sets the data to JSON, or sets `ec` and leaves the message unchanged.
    template <class T>
    basic_message& json(T const& value, error_code& ec) &;

    /// @copydoc json(T const&, error_code&) &
    template <class T>
    basic_message&& json(T const& value, error_code& ec) &&
    {
        return std::move(json(value, ec));
    }

    // ----------------------------------------------------------------- event

    /** Sets the event type; a client dispatches the event under this name.

        @throws system_error with `error::invalid_event` when the value holds
        CR or LF, or `error::invalid_utf8`.
    */
    basic_message& event(std::string_view value) &;

    /// @copydoc event(std::string_view) &
    basic_message&& event(std::string_view value) && { return std::move(event(value)); }

    /// Sets the event type, or sets `ec` and leaves the message unchanged.
    basic_message& event(std::string_view value, error_code& ec) &;

    /// @copydoc event(std::string_view, error_code&) &
    basic_message&& event(std::string_view value, error_code& ec) && { return std::move(event(value, ec)); }

    // -------------------------------------------------------------------- id

    /** Sets the event id, which a reconnecting client sends as `Last-Event-ID`.

        An empty id resets the client's last event id.

        @throws system_error with `error::invalid_id` when the value holds CR,
        LF or NUL, or `error::invalid_utf8`.
    */
    basic_message& id(std::string_view value) &;

    /// @copydoc id(std::string_view) &
    basic_message&& id(std::string_view value) && { return std::move(id(value)); }

    /// Sets the event id, or sets `ec` and leaves the message unchanged.
    basic_message& id(std::string_view value, error_code& ec) &;

    /// @copydoc id(std::string_view, error_code&) &
    basic_message&& id(std::string_view value, error_code& ec) && { return std::move(id(value, ec)); }

    /// Sets the event id to the decimal form of an integer.
    template <std::integral Integer>
        requires(!std::same_as<Integer, bool> && !std::same_as<Integer, char>)
    basic_message& id(Integer value) &;

    /// @copydoc id(Integer) &
    template <std::integral Integer>
        requires(!std::same_as<Integer, bool> && !std::same_as<Integer, char>)
    basic_message&& id(Integer value) &&
    {
        return std::move(id(value));
    }

    // ----------------------------------------------------------------- retry

    /** Sets the reconnection time a client waits before it reconnects.

        Any `std::chrono::duration` that converts to milliseconds without
        loss is accepted as it is (seconds, minutes, ...).

        @throws system_error with `error::invalid_retry` when negative.
    */
    basic_message& retry(std::chrono::milliseconds value) &;

    /// @copydoc retry(std::chrono::milliseconds) &
    basic_message&& retry(std::chrono::milliseconds value) && { return std::move(retry(value)); }

    /// Sets the reconnection time, or sets `ec` and leaves the message unchanged.
    basic_message& retry(std::chrono::milliseconds value, error_code& ec) &;

    /// @copydoc retry(std::chrono::milliseconds, error_code&) &
    basic_message&& retry(std::chrono::milliseconds value, error_code& ec) &&
    {
        return std::move(retry(value, ec));
    }

    // --------------------------------------------------------------- comment

    /** Sets the comment, replacing any earlier one.

        Clients ignore comments; they keep idle connections open through
        proxies. Line breaks split the comment into several `:` lines. A
        message with only a comment still ends with the empty line.

        @throws system_error with `error::invalid_utf8`.
    */
    basic_message& comment(std::string_view value) &;

    /// @copydoc comment(std::string_view) &
    basic_message&& comment(std::string_view value) && { return std::move(comment(value)); }

    /// Sets the comment, or sets `ec` and leaves the message unchanged.
    basic_message& comment(std::string_view value, error_code& ec) &;

    /// @copydoc comment(std::string_view, error_code&) &
    basic_message&& comment(std::string_view value, error_code& ec) &&
    {
        return std::move(comment(value, ec));
    }

    // --------------------------------------------------------------- getters

    /// The data, if set.
    std::optional<std::string_view> data() const noexcept { return get(has_data, data_); }

    /// The event type, if set.
    std::optional<std::string_view> event() const noexcept { return get(has_event, event_); }

    /// The id, if set.
    std::optional<std::string_view> id() const noexcept { return get(has_id, id_); }

    /// The comment, if set.
    std::optional<std::string_view> comment() const noexcept { return get(has_comment, comment_); }

    /// The reconnection time, if set.
    std::optional<std::chrono::milliseconds> retry() const noexcept
    {
        if (!(flags_ & has_retry))
            return std::nullopt;
        return retry_;
    }

    /// Whether no field is set.
    bool empty() const noexcept { return flags_ == 0; }

    /// Unsets every field. The strings keep their capacity, so a message
    /// reused for the next event does not allocate again.
    void clear() noexcept;

    // ------------------------------------------------------------------ wire

    /// The exact number of bytes that serialization writes.
    std::size_t serialized_size() const noexcept;

    /** Writes the wire form to `out`, which has room for `serialized_size()`
        bytes, and returns the end of what was written.
    */
    char* serialize(char* out) const noexcept;

    /// Compares every field.
    friend bool operator==(basic_message const& a, basic_message const& b) noexcept
    {
        return a.flags_ == b.flags_ && a.data() == b.data() && a.event() == b.event() && a.id() == b.id() &&
               a.comment() == b.comment() && a.retry() == b.retry();
    }

private:
    friend struct detail::message_access;

    enum : unsigned char {
        has_data = 1,
        has_event = 2,
        has_id = 4,
        has_comment = 8,
        has_retry = 16,
    };

    std::optional<std::string_view> get(unsigned char flag, string_type const& s) const noexcept
    {
        if (!(flags_ & flag))
            return std::nullopt;
        return std::string_view(s);
    }

    template <class Writer>
    void write(Writer& w) const;

    template <class Value>
    bool set_data(Value&& value, error_code* ec);
    template <class T>
    bool set_json(T const& value, error_code* ec);
    bool set_event(std::string_view value, error_code* ec);
    bool set_id(std::string_view value, error_code* ec);
    bool set_retry(std::chrono::milliseconds value, error_code* ec);
    bool set_comment(std::string_view value, error_code* ec);

    string_type data_;
    string_type event_;
    string_type id_;
    string_type comment_;
    std::chrono::milliseconds retry_{};
    std::size_t data_wire_size_ = 0;    // the `data:` lines
    std::size_t comment_wire_size_ = 0; // the `:` lines
    unsigned char flags_ = 0;
};

/** Appends the wire form of a message to a string.

    The string grows by exactly `msg.serialized_size()` bytes; nothing is
    copied through a temporary.
*/
template <class Allocator, class StringAllocator>
void serialize(
    basic_message<Allocator> const& msg,
    std::basic_string<char, std::char_traits<char>, StringAllocator>& out
);

/** Appends the wire form of a message to a dynamic buffer.

    Works with any DynamicBuffer: Beast's `flat_buffer`, `multi_buffer`,
    `static_buffer`, Asio's `dynamic_buffer(...)`. The bytes are written
    straight into the buffer's storage.

    @throws std::length_error when the buffer cannot grow by
    `msg.serialized_size()` bytes.
*/
template <class Allocator, class DynamicBuffer>
    requires(net::is_dynamic_buffer<std::remove_cvref_t<DynamicBuffer>>::value)
void serialize(basic_message<Allocator> const& msg, DynamicBuffer&& buffer);

/// Returns the wire form of a message.
template <class Allocator>
std::string to_string(basic_message<Allocator> const& msg);

} // namespace sse

#include <sse/impl/message.hpp>

#endif
