//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_HTTP2_IMPL_DETECT_HPP
#define SSE_HTTP2_IMPL_DETECT_HPP

#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/coroutine.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/stream_traits.hpp>

#include <cstddef>
#include <utility>

namespace sse::http2 {

template <class ConstBufferSequence>
boost::tribool is_preface(ConstBufferSequence const& bytes)
{
    std::size_t i = 0;
    for (auto const b : beast::buffers_range_ref(bytes)) {
        auto const* p = static_cast<char const*>(b.data());
        for (std::size_t k = 0; k < b.size(); ++k, ++i) {
            if (i == client_preface.size())
                return true;
            if (p[k] != client_preface[i])
                return false;
        }
    }
    if (i == client_preface.size())
        return true;
    return boost::indeterminate;
}

namespace detail {

template <class AsyncReadStream, class DynamicBuffer>
class detect_preface_op : public net::coroutine {
public:
    detect_preface_op(AsyncReadStream& stream, DynamicBuffer& buffer) : stream_(stream), buffer_(buffer) {}

    template <class Self>
    void operator()(Self& self, error_code ec = {}, std::size_t n = 0)
    {
        BOOST_ASIO_CORO_REENTER(*this)
        {
            for (;;) {
                result_ = is_preface(buffer_.data());
                if (!boost::indeterminate(result_))
                    break;
                // Read no further than the preface: the rest belongs to the
                // protocol that serves the connection.
                started_io_ = true;
                BOOST_ASIO_CORO_YIELD
                {
                    std::size_t const want = client_preface.size() - buffer_.size();
                    stream_.async_read_some(buffer_.prepare(want), std::move(self));
                }
                buffer_.commit(n);
                if (ec)
                    break;
            }
            if (!started_io_) {
                // Decided without reading: complete as if by post.
                BOOST_ASIO_CORO_YIELD net::post(stream_.get_executor(), std::move(self));
            }
            self.complete(ec, bool(result_ == true));
        }
    }

private:
    AsyncReadStream& stream_;
    DynamicBuffer& buffer_;
    boost::tribool result_ = boost::indeterminate;
    bool started_io_ = false;
};

} // namespace detail

template <class AsyncReadStream, class DynamicBuffer, net::completion_token_for<void(error_code, bool)> CompletionToken>
auto async_detect_preface(AsyncReadStream& stream, DynamicBuffer& buffer, CompletionToken&& token)
{
    static_assert(beast::is_async_read_stream<AsyncReadStream>::value, "AsyncReadStream type requirements not met");
    return net::async_compose<CompletionToken, void(error_code, bool)>(
        detail::detect_preface_op<AsyncReadStream, DynamicBuffer>(stream, buffer), token, stream
    );
}

} // namespace sse::http2

#endif
