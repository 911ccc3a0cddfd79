//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_IMPL_RESPONSE_HPP
#define SSE_IMPL_RESPONSE_HPP

#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/write.hpp>

#include <memory>
#include <type_traits>
#include <utility>

namespace sse {
namespace detail {

template <class Body>
struct is_string_body : std::false_type {};

template <class Char, class Traits, class Allocator>
struct is_string_body<beast::http::basic_string_body<Char, Traits, Allocator>>
    : std::bool_constant<sizeof(Char) == 1> {};

// The header of any response as a response_header<> (beast::http::fields).
template <class Fields>
beast::http::response_header<> to_header(beast::http::response_header<Fields>&& h)
{
    if constexpr (std::is_same_v<Fields, beast::http::fields>) {
        return std::move(h);
    } else {
        beast::http::response_header<> out;
        out.version(h.version());
        out.result(h.result_int());
        for (auto const& f : h)
            out.insert(f.name_string(), f.value());
        auto const reason = h.reason();
        if (!reason.empty() && reason != beast::http::obsolete_reason(h.result()))
            out.reason(reason);
        return out;
    }
}

// Any response as a string_body response: the body serialized through its writer.
template <class Body, class Fields>
beast::http::response<beast::http::string_body> to_plain(beast::http::response<Body, Fields>&& r)
{
    namespace http = beast::http;
    using result_type = http::response<http::string_body>;
    if constexpr (std::is_same_v<Body, http::string_body> && std::is_same_v<Fields, http::fields>) {
        return std::move(r);
    } else if constexpr (std::is_same_v<Body, http::empty_body>) {
        return result_type(to_header(std::move(r.base())));
    } else if constexpr (is_string_body<Body>::value) {
        std::string body(reinterpret_cast<char const*>(r.body().data()), r.body().size());
        return result_type(to_header(std::move(r.base())), std::move(body));
    } else {
        std::string body;
        {
            error_code ec;
            typename Body::writer writer(r.base(), r.body());
            writer.init(ec);
            if (ec)
                throw system_error(ec, "sse::response: serializing the body");
            for (;;) {
                auto result = writer.get(ec);
                if (ec)
                    throw system_error(ec, "sse::response: serializing the body");
                if (!result)
                    break;
                for (auto const b : beast::buffers_range_ref(result->first))
                    body.append(static_cast<char const*>(b.data()), b.size());
                if (!result->second)
                    break;
            }
        }
        return result_type(to_header(std::move(r.base())), std::move(body));
    }
}

// Completes a plain write: frees the response, then calls the handler. It
// answers for the handler's executor, cancellation slot and allocator.
template <class Handler>
struct plain_write_handler {
    std::unique_ptr<response::plain_type> message;
    Handler handler;

    void operator()(error_code ec, std::size_t)
    {
        message.reset();
        std::move(handler)(ec);
    }
};

template <class AsyncStream, class DynamicBuffer>
struct response_write_initiation {
    AsyncStream* stream;
    DynamicBuffer* buffer;

    using executor_type = typename AsyncStream::executor_type;

    executor_type get_executor() const noexcept { return stream->get_executor(); }

    template <class Handler>
    void operator()(Handler&& handler, response* r) const
    {
        write(std::forward<Handler>(handler), *r);
    }

    template <class Handler>
    void operator()(Handler&& handler, response&& r) const
    {
        write(std::forward<Handler>(handler), r);
    }

private:
    template <class Handler>
    void write(Handler&& handler, response& r) const
    {
        static_assert(
            beast::is_async_stream<AsyncStream>::value,
            "AsyncStream type requirements not met: see Beast's AsyncStream"
        );
        if (r.is_stream()) {
            if constexpr (std::is_same_v<DynamicBuffer, no_buffer>)
                sse::async_write(*stream, r.stream(), std::forward<Handler>(handler));
            else
                sse::async_write(*stream, *buffer, r.stream(), std::forward<Handler>(handler));
            return;
        }
        auto message = std::make_unique<response::plain_type>(std::move(r.plain()));
        auto& m = *message;
        beast::http::async_write(
            *stream, m, plain_write_handler<std::decay_t<Handler>>{std::move(message), std::forward<Handler>(handler)}
        );
    }
};

} // namespace detail

template <class Body, class Fields>
response::response(beast::http::response<Body, Fields>&& r) : v_(std::in_place_index<0>, detail::to_plain(std::move(r)))
{
}

template <class Source>
response::response(stream_response<Source>&& r) : v_(std::in_place_index<1>, std::move(r))
{
}

inline beast::http::response_header<>& response::header() noexcept
{
    return is_stream() ? stream().header() : plain().base();
}

inline beast::http::response_header<> const& response::header() const noexcept
{
    return is_stream() ? stream().header() : plain().base();
}

inline bool response::keep_alive() const noexcept
{
    return is_stream() ? stream().keep_alive() : !plain().need_eof();
}

template <class Body, class Fields>
beast::http::response<beast::http::string_body> make_response(
    beast::http::request<Body, Fields> const& request,
    beast::http::status status,
    std::string body,
    std::string_view content_type
)
{
    namespace http = beast::http;
    http::response<http::string_body> res(status, request.version() >= 11 ? 11 : 10, std::move(body));
    res.keep_alive(request.keep_alive());
    if (!content_type.empty())
        res.set(http::field::content_type, content_type);
    res.prepare_payload();
    return res;
}

template <class AsyncStream, class DynamicBuffer, net::completion_token_for<void(error_code)> CompletionToken>
    requires net::is_dynamic_buffer<DynamicBuffer>::value
auto async_write(AsyncStream& stream, DynamicBuffer& buffer, response& response, CompletionToken&& token)
{
    using init = detail::response_write_initiation<AsyncStream, DynamicBuffer>;
    return net::async_initiate<CompletionToken, void(error_code)>(init{&stream, &buffer}, token, &response);
}

template <class AsyncStream, class DynamicBuffer, net::completion_token_for<void(error_code)> CompletionToken>
    requires net::is_dynamic_buffer<DynamicBuffer>::value
auto async_write(AsyncStream& stream, DynamicBuffer& buffer, response&& response, CompletionToken&& token)
{
    using init = detail::response_write_initiation<AsyncStream, DynamicBuffer>;
    return net::async_initiate<CompletionToken, void(error_code)>(init{&stream, &buffer}, token, std::move(response));
}

template <class AsyncStream, net::completion_token_for<void(error_code)> CompletionToken>
auto async_write(AsyncStream& stream, response& response, CompletionToken&& token)
{
    using init = detail::response_write_initiation<AsyncStream, detail::no_buffer>;
    return net::async_initiate<CompletionToken, void(error_code)>(init{&stream, nullptr}, token, &response);
}

template <class AsyncStream, net::completion_token_for<void(error_code)> CompletionToken>
auto async_write(AsyncStream& stream, response&& response, CompletionToken&& token)
{
    using init = detail::response_write_initiation<AsyncStream, detail::no_buffer>;
    return net::async_initiate<CompletionToken, void(error_code)>(init{&stream, nullptr}, token, std::move(response));
}

} // namespace sse

template <template <class, class> class Associator, class Handler, class Default>
struct boost::asio::associator<Associator, sse::detail::plain_write_handler<Handler>, Default>
    : Associator<Handler, Default> {
    static typename Associator<Handler, Default>::type get(sse::detail::plain_write_handler<Handler> const& h) noexcept
    {
        return Associator<Handler, Default>::get(h.handler);
    }
    static auto get(sse::detail::plain_write_handler<Handler> const& h, Default const& d) noexcept
    {
        return Associator<Handler, Default>::get(h.handler, d);
    }
};

#endif
