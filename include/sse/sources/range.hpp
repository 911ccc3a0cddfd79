//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_SOURCES_RANGE_HPP
#define SSE_SOURCES_RANGE_HPP

#include <sse/message_source.hpp>

#include <boost/asio/async_result.hpp>

#include <iterator>
#include <optional>
#include <ranges>

namespace sse {

/** A `message_source` over a `std::ranges::input_range` of items, finite or not.

    The source owns the range (a view, or a container moved in) and yields
    its elements in order, then finishes. Elements of a container it owns
    are moved out; elements of a view are copied unless the view yields
    prvalues. Each completion is posted to the handler's executor, so an
    endless range is paced by the connection, not spun.
*/
template <std::ranges::input_range Range>
    requires stream_item<std::remove_cvref_t<std::ranges::range_value_t<Range>>>
class range_source {
public:
    using value_type = std::remove_cvref_t<std::ranges::range_value_t<Range>>;

    explicit range_source(Range range) : range_(std::move(range)) {}

    range_source(range_source&& other) noexcept(std::is_nothrow_move_constructible_v<Range>)
        : range_(std::move(other.range_))
    {
        SSE_ASSERT(!other.it_); // not once started
    }

    range_source& operator=(range_source&&) = delete;

    /** Yields the next element, or finishes after the last.

        @param token The completion token, with the signature
        @code void(error_code ec, std::optional<value_type> item) @endcode
        as `message_source` describes. The handler must have an associated
        executor: the completion is posted to it (see `message_source`).
    */
    template <net::completion_token_for<
        void(error_code, std::optional<std::remove_cvref_t<std::ranges::range_value_t<Range>>>)> Token>
    auto async_next(Token&& token);

private:
    std::optional<value_type> next();

    Range range_;
    std::optional<std::ranges::iterator_t<Range>> it_;
};

#ifndef SSE_DOXYGEN
template <class Range>
    requires(std::ranges::input_range<Range> &&
             stream_item<std::remove_cvref_t<std::ranges::range_value_t<Range>>> && !message_source<Range>)
struct source_adapter<Range> {
    using type = range_source<Range>;
    static type adapt(Range&& r) { return type(std::move(r)); }
    static type adapt(Range const& r)
        requires std::copy_constructible<Range>
    {
        return type(r);
    }
};
#endif

} // namespace sse

#include <sse/sources/impl/range.hpp>

#endif
