//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_DETAIL_COUNTED_REF_HPP
#define SSE_DETAIL_COUNTED_REF_HPP

#include <utility>

namespace sse::detail {

// Tag: a counted_ref that takes over a reference already counted.
struct adopt_ref_t {
    explicit adopt_ref_t() = default;
};
inline constexpr adopt_ref_t adopt_ref{};

// A counted reference to a composed operation, held by each of its pending
// sub-operations' handlers (and by a frame that must keep it alive). The
// operation owns itself: it counts in add_ref() and frees itself in
// release_ref() when its own rule says so, so that handlers destroyed
// without being invoked (an io_context shut down mid-operation) free it too.
template <class Op>
class counted_ref {
public:
    explicit counted_ref(Op* op) noexcept : p(op) { p->add_ref(); }
    counted_ref(Op* op, adopt_ref_t) noexcept : p(op) {}
    counted_ref(counted_ref&& other) noexcept : p(std::exchange(other.p, nullptr)) {}
    counted_ref(counted_ref const& other) noexcept : p(other.p)
    {
        if (p)
            p->add_ref();
    }
    counted_ref& operator=(counted_ref const&) = delete;
    ~counted_ref()
    {
        if (p)
            p->release_ref();
    }

    Op* p;
};

} // namespace sse::detail

#endif
