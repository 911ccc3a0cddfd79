//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_IMPL_MESSAGE_HPP
#define SSE_IMPL_MESSAGE_HPP

#include <sse/detail/text.hpp>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace sse {
namespace detail {

// What is wrong with a field value, and where.
struct field_fault {
    error code{};
    std::size_t offset = 0;
    unsigned char byte = 0;

    explicit operator bool() const noexcept { return code != error{}; }
};

// Checks that s is UTF-8 without CR or LF, nor NUL when `nul` is set.
inline field_fault check_line_value(std::string_view s, bool nul, error code) noexcept
{
    for (std::size_t i = 0; i < s.size(); ++i) {
        char const c = s[i];
        if (c == '\r' || c == '\n' || (nul && c == '\0'))
            return {code, i, static_cast<unsigned char>(c)};
    }
    std::size_t const bad = find_invalid_utf8(s);
    if (bad != npos)
        return {error::invalid_utf8, bad, static_cast<unsigned char>(s[bad])};
    return {};
}

[[noreturn]] inline void throw_field_fault(char const* field, field_fault f)
{
    char what[128];
    char const* name = nullptr;
    switch (f.byte) {
    case '\r': name = "carriage return"; break;
    case '\n': name = "line feed"; break;
    case '\0': name = "NUL"; break;
    default: break;
    }
    if (f.code == error::invalid_utf8)
        std::snprintf(what, sizeof what, "%s: ill-formed UTF-8 (byte 0x%02X) at offset %zu", field, f.byte, f.offset);
    else
        std::snprintf(what, sizeof what, "%s: %s (0x%02X) at offset %zu", field, name, f.byte, f.offset);
    throw system_error(make_error_code(f.code), what);
}

// Reports a fault through ec if given, else by throwing. Returns false.
inline bool report(char const* field, field_fault f, error_code* ec)
{
    if (!ec)
        throw_field_fault(field, f);
    *ec = make_error_code(f.code);
    return false;
}

// Names a type that depends on T, so that using nlohmann::json inside a
// template needs only <nlohmann/json_fwd.hpp> until the template is used.
template <class T, class U>
struct dependent_type {
    using type = U;
};

// Writes into contiguous storage with room for everything.
struct pointer_writer {
    char* p;

    void put(char const* s, std::size_t n) noexcept
    {
        std::memcpy(p, s, n);
        p += n;
    }
    void put(std::string_view s) noexcept { put(s.data(), s.size()); }
    void put(char c) noexcept { *p++ = c; }
};

// Appends to a string that has already reserved room for everything.
template <class String>
struct string_writer {
    String& s;

    void put(char const* p, std::size_t n) { s.append(p, n); }
    void put(std::string_view v) { s.append(v.data(), v.size()); }
    void put(char c) { s.push_back(c); }
};

// Writes across a mutable buffer sequence whose total size is large enough.
template <class MutableBufferSequence>
class sequence_writer {
    using iterator = decltype(net::buffer_sequence_begin(std::declval<MutableBufferSequence const&>()));

    iterator it_;
    char* p_ = nullptr;
    std::size_t left_ = 0;

    void next()
    {
        while (left_ == 0) {
            net::mutable_buffer const b = *it_++;
            p_ = static_cast<char*>(b.data());
            left_ = b.size();
        }
    }

public:
    explicit sequence_writer(MutableBufferSequence const& seq) : it_(net::buffer_sequence_begin(seq)) {}

    void put(char const* s, std::size_t n)
    {
        while (n != 0) {
            next();
            std::size_t const k = n < left_ ? n : left_;
            std::memcpy(p_, s, k);
            p_ += k;
            left_ -= k;
            s += k;
            n -= k;
        }
    }
    void put(std::string_view v) { put(v.data(), v.size()); }
    void put(char c) { put(&c, 1); }
};

// Writes each line of s (split at CR, LF, CRLF) as prefix + line + LF; an
// empty line is written as empty_prefix + LF.
template <class Writer>
void write_lines(Writer& w, std::string_view s, std::string_view prefix, std::string_view empty_prefix)
{
    char const* p = s.data();
    char const* const end = p + s.size();
    for (;;) {
        char const* const brk = find_line_break(p, end);
        if (brk == p) {
            w.put(empty_prefix);
        } else {
            w.put(prefix);
            w.put(p, static_cast<std::size_t>(brk - p));
        }
        w.put('\n');
        if (brk == end)
            return;
        p = brk + line_break_size(brk, end);
    }
}

struct message_access {
    template <class Message, class Writer>
    static void write(Message const& m, Writer& w)
    {
        m.write(w);
    }
};

} // namespace detail

template <class Allocator>
basic_message<Allocator>::basic_message(Allocator const& alloc)
    : data_(alloc)
    , event_(alloc)
    , id_(alloc)
    , comment_(alloc)
{
}

// ---------------------------------------------------------------------- set

template <class Allocator>
template <class Value>
bool basic_message<Allocator>::set_data(Value&& value, error_code* ec)
{
    std::string_view const v(value);
    detail::line_stats st;
    std::size_t const bad = detail::scan_text(v, st);
    if (bad != detail::npos)
        return detail::report("data", {error::invalid_utf8, bad, static_cast<unsigned char>(v[bad])}, ec);
    // "data: " + line + "\n" for each line
    data_wire_size_ = st.lines * 7 + (v.size() - st.break_bytes);
    if constexpr (std::is_same_v<std::remove_cvref_t<Value>, string_type> && !std::is_lvalue_reference_v<Value>)
        data_ = std::move(value);
    else
        data_.assign(v.data(), v.size());
    flags_ |= has_data;
    return true;
}

template <class Allocator>
template <class T>
bool basic_message<Allocator>::set_json(T const& value, error_code* ec)
{
    using json_type = typename detail::dependent_type<T, nlohmann::json>::type;
    using handler = typename json_type::error_handler_t;
    std::string text;
    try {
        if constexpr (requires { value.dump(-1, ' ', false, handler::strict); })
            text = value.dump(-1, ' ', false, handler::strict);
        else
            text = json_type(value).dump(-1, ' ', false, handler::strict);
    } catch (typename json_type::exception const& e) {
        if (!ec)
            throw system_error(make_error_code(error::invalid_json), std::string("json: ") + e.what());
        *ec = make_error_code(error::invalid_json);
        return false;
    }
    if constexpr (std::is_same_v<string_type, std::string>)
        return set_data(std::move(text), ec);
    else
        return set_data(std::string_view(text), ec);
}

template <class Allocator>
bool basic_message<Allocator>::set_event(std::string_view value, error_code* ec)
{
    if (auto const f = detail::check_line_value(value, false, error::invalid_event))
        return detail::report("event", f, ec);
    event_.assign(value.data(), value.size());
    flags_ |= has_event;
    return true;
}

template <class Allocator>
bool basic_message<Allocator>::set_id(std::string_view value, error_code* ec)
{
    if (auto const f = detail::check_line_value(value, true, error::invalid_id))
        return detail::report("id", f, ec);
    id_.assign(value.data(), value.size());
    flags_ |= has_id;
    return true;
}

template <class Allocator>
bool basic_message<Allocator>::set_retry(std::chrono::milliseconds value, error_code* ec)
{
    if (value.count() < 0) {
        if (!ec)
            throw system_error(
                make_error_code(error::invalid_retry),
                "retry: negative duration " + std::to_string(value.count()) + "ms"
            );
        *ec = make_error_code(error::invalid_retry);
        return false;
    }
    retry_ = value;
    flags_ |= has_retry;
    return true;
}

template <class Allocator>
bool basic_message<Allocator>::set_comment(std::string_view value, error_code* ec)
{
    detail::line_stats st;
    std::size_t const bad = detail::scan_text(value, st);
    if (bad != detail::npos)
        return detail::report("comment", {error::invalid_utf8, bad, static_cast<unsigned char>(value[bad])}, ec);
    // ":" + "\n" for an empty line, ": " + line + "\n" otherwise
    comment_wire_size_ = st.lines * 2 + (st.lines - st.empty_lines) + (value.size() - st.break_bytes);
    comment_.assign(value.data(), value.size());
    flags_ |= has_comment;
    return true;
}

// ---------------------------------------------------------- public setters

template <class Allocator>
auto basic_message<Allocator>::data(std::string_view value) & -> basic_message&
{
    set_data(value, nullptr);
    return *this;
}

template <class Allocator>
auto basic_message<Allocator>::data(std::string_view value, error_code& ec) & -> basic_message&
{
    if (set_data(value, &ec))
        ec = {};
    return *this;
}

template <class Allocator>
template <class T>
auto basic_message<Allocator>::json(T const& value) & -> basic_message&
{
    set_json(value, nullptr);
    return *this;
}

template <class Allocator>
template <class T>
auto basic_message<Allocator>::json(T const& value, error_code& ec) & -> basic_message&
{
    if (set_json(value, &ec))
        ec = {};
    return *this;
}

template <class Allocator>
auto basic_message<Allocator>::event(std::string_view value) & -> basic_message&
{
    set_event(value, nullptr);
    return *this;
}

template <class Allocator>
auto basic_message<Allocator>::event(std::string_view value, error_code& ec) & -> basic_message&
{
    if (set_event(value, &ec))
        ec = {};
    return *this;
}

template <class Allocator>
auto basic_message<Allocator>::id(std::string_view value) & -> basic_message&
{
    set_id(value, nullptr);
    return *this;
}

template <class Allocator>
auto basic_message<Allocator>::id(std::string_view value, error_code& ec) & -> basic_message&
{
    if (set_id(value, &ec))
        ec = {};
    return *this;
}

template <class Allocator>
template <std::integral Integer>
    requires(!std::same_as<Integer, bool> && !std::same_as<Integer, char>)
auto basic_message<Allocator>::id(Integer value) & -> basic_message&
{
    char buf[24];
    auto const r = std::to_chars(buf, buf + sizeof buf, value);
    id_.assign(buf, r.ptr);
    flags_ |= has_id;
    return *this;
}

template <class Allocator>
auto basic_message<Allocator>::retry(std::chrono::milliseconds value) & -> basic_message&
{
    set_retry(value, nullptr);
    return *this;
}

template <class Allocator>
auto basic_message<Allocator>::retry(std::chrono::milliseconds value, error_code& ec) & -> basic_message&
{
    if (set_retry(value, &ec))
        ec = {};
    return *this;
}

template <class Allocator>
auto basic_message<Allocator>::comment(std::string_view value) & -> basic_message&
{
    set_comment(value, nullptr);
    return *this;
}

template <class Allocator>
auto basic_message<Allocator>::comment(std::string_view value, error_code& ec) & -> basic_message&
{
    if (set_comment(value, &ec))
        ec = {};
    return *this;
}

template <class Allocator>
void basic_message<Allocator>::clear() noexcept
{
    data_.clear();
    event_.clear();
    id_.clear();
    comment_.clear();
    retry_ = {};
    data_wire_size_ = 0;
    comment_wire_size_ = 0;
    flags_ = 0;
}

// --------------------------------------------------------------------- wire

namespace detail {

// Decimal digits of a non-negative count.
inline std::size_t decimal_size(std::int64_t v) noexcept
{
    std::size_t n = 1;
    while (v >= 10) {
        v /= 10;
        ++n;
    }
    return n;
}

} // namespace detail

template <class Allocator>
std::size_t basic_message<Allocator>::serialized_size() const noexcept
{
    std::size_t n = 0;
    if (flags_ & has_comment)
        n += comment_wire_size_;
    if (flags_ & has_retry)
        n += 8 + detail::decimal_size(retry_.count()); // "retry: " N "\n"
    if (flags_ & has_id)
        n += 5 + id_.size(); // "id: " V "\n"
    if (flags_ & has_event)
        n += 8 + event_.size(); // "event: " V "\n"
    if (flags_ & has_data)
        n += data_wire_size_;
    if (flags_ != 0)
        n += 1; // the empty line that ends the message
    return n;
}

template <class Allocator>
template <class Writer>
void basic_message<Allocator>::write(Writer& w) const
{
    if (flags_ & has_comment)
        detail::write_lines(w, comment_, ": ", ":");
    if (flags_ & has_retry) {
        char buf[24];
        auto const r = std::to_chars(buf, buf + sizeof buf, retry_.count());
        w.put("retry: ");
        w.put(buf, static_cast<std::size_t>(r.ptr - buf));
        w.put('\n');
    }
    if (flags_ & has_id) {
        w.put("id: ");
        w.put(id_);
        w.put('\n');
    }
    if (flags_ & has_event) {
        w.put("event: ");
        w.put(event_);
        w.put('\n');
    }
    if (flags_ & has_data) {
        if (data_wire_size_ == data_.size() + 7) {
            // One line, as set_data counted: no need to look for breaks.
            w.put("data: ");
            w.put(data_);
            w.put('\n');
        } else {
            detail::write_lines(w, data_, "data: ", "data: ");
        }
    }
    if (flags_ != 0)
        w.put('\n');
}

template <class Allocator>
char* basic_message<Allocator>::serialize(char* out) const noexcept
{
    detail::pointer_writer w{out};
    write(w);
    SSE_ASSERT(static_cast<std::size_t>(w.p - out) == serialized_size());
    return w.p;
}

template <class Allocator, class StringAllocator>
void serialize(
    basic_message<Allocator> const& msg,
    std::basic_string<char, std::char_traits<char>, StringAllocator>& out
)
{
    std::size_t const n = msg.serialized_size();
    if (n <= 256) {
        // Small: one append from the stack beats a dozen appends.
        char buf[256];
        out.append(buf, msg.serialize(buf));
        return;
    }
    out.reserve(out.size() + n);
    detail::string_writer<std::basic_string<char, std::char_traits<char>, StringAllocator>> w{out};
    detail::message_access::write(msg, w);
}

template <class Allocator, class DynamicBuffer>
    requires(net::is_dynamic_buffer<std::remove_cvref_t<DynamicBuffer>>::value)
void serialize(basic_message<Allocator> const& msg, DynamicBuffer&& buffer)
{
    using buffer_type = std::remove_cvref_t<DynamicBuffer>;
    std::size_t const n = msg.serialized_size();
    if constexpr (net::is_dynamic_buffer_v1<buffer_type>::value) {
        auto const seq = buffer.prepare(n);
        if constexpr (std::is_convertible_v<decltype(seq), net::mutable_buffer>) {
            msg.serialize(static_cast<char*>(net::mutable_buffer(seq).data()));
        } else {
            detail::sequence_writer<std::remove_cv_t<decltype(seq)>> w(seq);
            detail::message_access::write(msg, w);
        }
        buffer.commit(n);
    } else {
        std::size_t const pos = buffer.size();
        buffer.grow(n);
        auto const seq = buffer.data(pos, n);
        detail::sequence_writer<std::remove_cv_t<decltype(seq)>> w(seq);
        detail::message_access::write(msg, w);
    }
}

template <class Allocator>
std::string to_string(basic_message<Allocator> const& msg)
{
    std::string s;
    serialize(msg, s);
    return s;
}

} // namespace sse

#endif
