//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_QUERY_HPP
#define SSE_QUERY_HPP

// Reading the query string of a request target: `/events?topic=a&lastEventId=42`.

#include <sse/detail/config.hpp>
#include <sse/error.hpp>

#include <boost/system/result.hpp>

#include <cstddef>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sse {

/** Decodes one component of a query string: percent-decoding, and `+` as a space.

    This is how a browser encodes an HTML form or `URLSearchParams`
    (`application/x-www-form-urlencoded`): `%XX` (two hex digits, either
    case) is the byte 0xXX, `+` is a space, every other byte stands for
    itself. The result is bytes: a `%` sequence may decode to bytes that are
    not UTF-8 (`%FF`), which is not an error here.

    @par Example
    @code
    sse::url_decode("caf%C3%A9+au+lait").value(); // "café au lait"
    sse::url_decode("100%").has_error();         // true: error::bad_percent_encoding
    @endcode

    @param s The encoded text, without its `name=` or separators.

    @return The decoded bytes, or `error::bad_percent_encoding` when a `%`
    is not followed by two hex digits (`%`, `%4`, `%zz`). `value()` throws
    `system_error` with that code.
*/
boost::system::result<std::string> url_decode(std::string_view s);

/** The parameters of a query string, decoded, in the order given.

    Made by `parse_query`. Each parameter is a pair of views, name then
    value, into storage that the object owns: they stay valid while it
    lives and is not assigned to.

    @par Example
    @code
    auto const q = sse::parse_query(req.target()); // "/events?topic=a&lastEventId=42"
    if (!q)
        return bad_request(q.error().message());
    std::string_view topic = q->get("topic").value_or("");
    for (auto [name, value] : *q)
        std::cout << name << " = " << value << '\n';
    @endcode

    @par Thread Safety
    Distinct objects: Safe. Shared objects: Safe for reading.
*/
class query_params {
    struct entry {
        std::size_t name_offset;
        std::size_t name_size;
        std::size_t value_offset;
        std::size_t value_size;
    };

public:
    /// A parameter: its decoded name, then its decoded value.
    using value_type = std::pair<std::string_view, std::string_view>;

    /// A bidirectional iterator over the parameters; it yields `value_type` by value.
    class iterator {
    public:
        using iterator_concept = std::bidirectional_iterator_tag;
        using iterator_category = std::input_iterator_tag;
        using value_type = query_params::value_type;
        using difference_type = std::ptrdiff_t;
        using reference = value_type;
        using pointer = void;

        iterator() = default;

        value_type operator*() const noexcept
        {
            return {
                std::string_view(base_ + e_->name_offset, e_->name_size),
                std::string_view(base_ + e_->value_offset, e_->value_size),
            };
        }

        iterator& operator++() noexcept
        {
            ++e_;
            return *this;
        }

        iterator operator++(int) noexcept
        {
            auto t = *this;
            ++e_;
            return t;
        }

        iterator& operator--() noexcept
        {
            --e_;
            return *this;
        }

        iterator operator--(int) noexcept
        {
            auto t = *this;
            --e_;
            return t;
        }

        friend bool operator==(iterator const& a, iterator const& b) noexcept { return a.e_ == b.e_; }

    private:
        friend class query_params;
        iterator(entry const* e, char const* base) noexcept : e_(e), base_(base) {}

        entry const* e_ = nullptr;
        char const* base_ = nullptr;
    };

    /// The same type: the parameters cannot be changed through an iterator.
    using const_iterator = iterator;

    /// An empty set of parameters.
    query_params() = default;

    /// The first parameter.
    iterator begin() const noexcept { return {entries_.data(), text_.data()}; }

    /// Past the last parameter.
    iterator end() const noexcept { return {entries_.data() + entries_.size(), text_.data()}; }

    /// The number of parameters, a name given twice counted twice.
    std::size_t size() const noexcept { return entries_.size(); }

    /// Whether there is no parameter.
    bool empty() const noexcept { return entries_.empty(); }

    /** The value of the last parameter named `name`, or nullopt when there is none.

        The name compares byte for byte with the decoded names, so it is
        case-sensitive. A bare name (`?flag`) has an empty value, as does
        `?flag=`.
    */
    std::optional<std::string_view> get(std::string_view name) const noexcept;

private:
    friend boost::system::result<query_params> parse_query(std::string_view target);

    std::string text_; // every decoded name and value, one after another
    std::vector<entry> entries_;
};

/** Parses and decodes the query of a request target.

    The query is what follows the first `?`, up to a `#` if there is one: a
    request target never holds a fragment, and when a whole URL is given its
    fragment is not part of the query (send a `#` in a value as `%23`). It
    is split on `&` into parameters, `name=value` (split at the first `=`)
    or a bare `name` (an empty value); empty parameters (`&&`, a trailing
    `&`) are skipped. Names and values are decoded as by `url_decode`. A
    name given more than once is kept each time, in order.

    @par Example
    @code
    auto const q = sse::parse_query("/events?topic=a+b&n=1&n=2&flag");
    q->get("topic"); // "a b"
    q->get("n");     // "2": the last one
    q->get("flag");  // ""
    q->get("other"); // nullopt
    @endcode

    @param target The request target (`/path?query`), as `req.target()`
    gives it. A target without `?` has no parameters.

    @return The parameters, or `error::bad_percent_encoding` when a name or
    a value is not well-formed percent-encoding: the whole query is refused.
*/
boost::system::result<query_params> parse_query(std::string_view target);

/** The decoded value of one query parameter of a request target.

    The same answer as `parse_query(target)` then `get(name)`: the last
    value given for `name` (an empty string for a bare name), decoded.

    @par Example
    @code
    sse::query_parameter("/events?lastEventId=42", "lastEventId"); // "42"
    @endcode

    @return The value, or nullopt when the parameter is absent, and also
    when the query is not well-formed (a `%` without two hex digits anywhere
    in it): a target that `parse_query` refuses has no parameters. Use
    `parse_query` to tell the two apart (and answer 400, say).
*/
std::optional<std::string> query_parameter(std::string_view target, std::string_view name);

} // namespace sse

#include <sse/impl/query.hpp>

#endif
