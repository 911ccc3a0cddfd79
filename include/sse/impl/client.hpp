//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_IMPL_CLIENT_HPP
#define SSE_IMPL_CLIENT_HPP

#include <sse/detail/reconnect.hpp>
#include <sse/detail/url.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/experimental/channel_error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#ifdef SSE_CLIENT_HAS_HTTP2
#include <sse/http2/detail/client_session.hpp>
#endif

#include <openssl/ssl.h>

#include <array>
#include <limits>
#include <random>
#include <utility>

namespace sse {
namespace detail {

template <class Executor>
using client_channel = net::experimental::basic_channel<Executor, net::experimental::channel_traits<>, void(error_code, event)>;

// How one attempt ended.
struct attempt_outcome {
    enum class kind {
        ended,     // the stream opened and then ended: `error` empty when cleanly
        failed,    // no stream: a transport error, or a retryable status
        fatal,     // stop for good with `error`
        redirect,  // follow `location`
        closed,    // the client was closed
    };
    kind what = kind::failed;
    error_code error;
    std::optional<std::chrono::milliseconds> server_delay;
    std::string location;
    unsigned status = 0;

    static attempt_outcome make(kind k, error_code ec = {}) noexcept
    {
        attempt_outcome o;
        o.what = k;
        o.error = ec;
        return o;
    }
};

// A transport error of an open stream, as the client reports it.
inline error_code stream_error(error_code ec) noexcept
{
    if (ec == beast::error::timeout)
        return make_error_code(error::idle_timeout);
    return make_error_code(error::peer_gone);
}

// A parser for a new connection that goes on from what the last one knew:
// the last event id persists across connections (WHATWG), so an event
// without an id field still reports it.
inline void start_parser(parser& p, std::string const& last_id)
{
    p.reset(last_id);
}

} // namespace detail

template <class Executor>
struct basic_client<Executor>::state {
    using channel_type = detail::client_channel<Executor>;

    // Events parsed and not yet pulled: what one read brings is parsed at
    // once and waits here (try_next takes it without a wait); past this,
    // the connection is not read until the caller pulls.
    static constexpr std::size_t max_ready = 64;

    state(Executor const& e, net::ssl::context* t, client_request&& r, client_options&& o)
        : ex(e)
        , tls(t)
        , request(std::move(r))
        , options(std::move(o))
        , channel(e, max_ready)
        , fsm(options, std::random_device{}())
        , last_id(options.last_event_id.value_or(std::string()))
    {
    }

    Executor ex;
    net::ssl::context* tls;
    std::unique_ptr<net::ssl::context> own_tls;
    client_request request;
    client_options options;
    channel_type channel;
    net::cancellation_signal stop;
    detail::reconnect_fsm fsm;
    std::string last_id;
    client_failure failure;
    bool started = false;
    bool closed = false;
    bool open = false;
    bool finished = false;   // the end was handed out: the channel is closed
    error_code final_error;  // what every later async_next gets

    net::ssl::context& tls_context()
    {
        if (tls)
            return *tls;
        if (!own_tls) {
            own_tls = std::make_unique<net::ssl::context>(net::ssl::context::tls_client);
            own_tls->set_default_verify_paths();
        }
        return *own_tls;
    }

    // --------------------------------------------------------------------

    static net::awaitable<void> run(std::shared_ptr<state> self)
    {
        state& st = *self;
        // close() cancels what the coroutine waits for; each wait reports
        // it as an error instead of throwing, and the end goes out below.
        co_await net::this_coro::throw_if_cancelled(false);
        error_code final_error;
        for (;;) {
            if (st.closed) {
                final_error = net::error::operation_aborted;
                break;
            }
            client_request req = st.request;
            if (st.options.on_connect)
                st.options.on_connect(req);
            auto url = detail::parse_url(req.url);
            if (!url) {
                final_error = make_error_code(error::bad_url);
                break;
            }
            detail::attempt_outcome o;
            for (std::size_t redirects = 0;;) {
                o = co_await st.attempt(*url, req);
                if (o.what != detail::attempt_outcome::kind::redirect)
                    break;
                auto next = detail::resolve_location(*url, o.location);
                if (!next) {
                    o = detail::attempt_outcome::make(detail::attempt_outcome::kind::fatal, make_error_code(error::bad_url));
                    break;
                }
                if (++redirects > st.options.max_redirects) {
                    o = detail::attempt_outcome::make(detail::attempt_outcome::kind::fatal, make_error_code(error::too_many_redirects));
                    break;
                }
                // 303, and 301/302 after a POST, go on with a GET (as browsers do).
                if (o.status == 303 || ((o.status == 301 || o.status == 302) && req.method == beast::http::verb::post)) {
                    req.method = beast::http::verb::get;
                    req.body.clear();
                    req.headers.erase(beast::http::field::content_type);
                }
                url = std::move(next);
            }
            using kind = detail::attempt_outcome::kind;
            if (o.what == kind::closed || st.closed) {
                final_error = net::error::operation_aborted;
                break;
            }
            if (o.what == kind::fatal) {
                st.failure.error = o.error;
                final_error = o.error;
                break;
            }
            auto const now = std::chrono::steady_clock::now();
            st.failure.last_event_id = st.last_id;
            auto const step = o.what == kind::ended ? st.fsm.ended(o.error, now, st.failure)
                                                    : st.fsm.attempt_failed(o.error, o.server_delay, now, st.failure);
            if (!step.retry) {
                final_error = step.error;
                break;
            }
            net::steady_timer timer(st.ex, step.delay);
            error_code ec;
            co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
            if (st.closed) {
                final_error = net::error::operation_aborted;
                break;
            }
        }
        // The end goes after the events not pulled yet; the caller that
        // takes it closes the channel (see async_next), and later calls get
        // it from there. Nothing stays pending: a caller that stops after
        // the end leaves no work behind.
        co_await net::this_coro::reset_cancellation_state();
        st.final_error = st.closed ? error_code(net::error::operation_aborted) : final_error;
        st.finished = true;
        if (!st.closed) {
            error_code ec;
            co_await st.channel.async_send(final_error, event(), net::redirect_error(net::use_awaitable, ec));
        }
    }

    // One connection: connect, send, read the header, and read the stream
    // if it opens.
    net::awaitable<detail::attempt_outcome> attempt(detail::url_parts const& url, client_request const& req)
    {
        using kind = detail::attempt_outcome::kind;
        error_code ec;
        net::ip::tcp::resolver resolver(ex);
        auto const endpoints = co_await resolver.async_resolve(url.host, url.port, net::redirect_error(net::use_awaitable, ec));
        if (closed)
            co_return detail::attempt_outcome::make(kind::closed);
        if (ec)
            co_return detail::attempt_outcome::make(kind::failed, ec);
        beast::tcp_stream tcp(ex);
        tcp.expires_after(options.connect_timeout);
        co_await tcp.async_connect(endpoints, net::redirect_error(net::use_awaitable, ec));
        if (closed)
            co_return detail::attempt_outcome::make(kind::closed);
        if (ec)
            co_return detail::attempt_outcome::make(kind::failed, ec);
        if (!url.tls) {
            if (options.http2)
                co_return co_await exchange_h2(tcp, url, req);
            co_return co_await exchange(tcp, url, req);
        }

        net::ssl::stream<beast::tcp_stream> s(std::move(tcp), tls_context());
        // SNI names a host, never an address (RFC 6066).
        error_code not_ip;
        net::ip::make_address(url.host, not_ip);
        if (not_ip && !SSL_set_tlsext_host_name(s.native_handle(), url.host.c_str()))
            co_return detail::attempt_outcome::make(kind::fatal, make_error_code(error::tls_failed));
        // ALPN: h2 first when asked, else HTTP/1.1 alone.
        static constexpr unsigned char h2_then_http11[] = "\x02h2\x08http/1.1";
        static constexpr unsigned char http11[] = "\x08http/1.1";
        if (options.http2)
            SSL_set_alpn_protos(s.native_handle(), h2_then_http11, sizeof h2_then_http11 - 1);
        else
            SSL_set_alpn_protos(s.native_handle(), http11, sizeof http11 - 1);
        if (options.verify_peer) {
            s.set_verify_mode(net::ssl::verify_peer);
            s.set_verify_callback(net::ssl::host_name_verification(url.host));
        } else {
            s.set_verify_mode(net::ssl::verify_none);
        }
        co_await s.async_handshake(net::ssl::stream_base::client, net::redirect_error(net::use_awaitable, ec));
        if (closed)
            co_return detail::attempt_outcome::make(kind::closed);
        if (ec) {
            failure.error = ec;
            // A refused certificate or protocol is for good; a server that
            // hung up during the handshake may be restarting.
            if (ec.category() == net::error::get_ssl_category())
                co_return detail::attempt_outcome::make(kind::fatal, make_error_code(error::tls_failed));
            co_return detail::attempt_outcome::make(kind::failed, ec);
        }
        unsigned char const* alpn = nullptr;
        unsigned alpn_size = 0;
        SSL_get0_alpn_selected(s.native_handle(), &alpn, &alpn_size);
        bool const h2 = alpn_size == 2 && alpn[0] == 'h' && alpn[1] == '2';
        // (Not a conditional expression: GCC 12 miscompiles co_await in one.)
        detail::attempt_outcome o;
        if (h2)
            o = co_await exchange_h2(s, url, req);
        else
            o = co_await exchange(s, url, req);
        if (o.what == kind::ended && !o.error) {
            beast::get_lowest_layer(s).expires_after(std::chrono::seconds(1));
            co_await s.async_shutdown(net::redirect_error(net::use_awaitable, ec));
        }
        co_return o;
    }

    template <class Stream>
    net::awaitable<detail::attempt_outcome> exchange(Stream& s, detail::url_parts const& url, client_request const& req)
    {
        namespace http = beast::http;
        using kind = detail::attempt_outcome::kind;
        error_code ec;

        http::request<http::string_body> r(req.method, url.target, 11);
        for (auto const& f : req.headers)
            r.insert(f.name_string(), f.value());
        r.set(http::field::host, url.host_field());
        if (r.count(http::field::accept) == 0)
            r.set(http::field::accept, "text/event-stream");
        if (r.count(http::field::cache_control) == 0)
            r.set(http::field::cache_control, "no-cache");
        if (!last_id.empty())
            r.set("Last-Event-ID", last_id);
        r.body() = req.body;
        if (!req.body.empty() || req.method == http::verb::post || req.method == http::verb::put)
            r.prepare_payload();
        co_await http::async_write(s, r, net::redirect_error(net::use_awaitable, ec));
        if (closed)
            co_return detail::attempt_outcome::make(kind::closed);
        if (ec)
            co_return detail::attempt_outcome::make(kind::failed, ec);

        beast::flat_buffer buffer;
        http::response_parser<http::buffer_body> p;
        p.body_limit(std::numeric_limits<std::uint64_t>::max());
        // The idle watchdog counts from the request on.
        if (options.idle_timeout.count() > 0)
            beast::get_lowest_layer(s).expires_after(std::min(options.idle_timeout, options.connect_timeout));
        co_await http::async_read_header(s, buffer, p, net::redirect_error(net::use_awaitable, ec));
        if (closed)
            co_return detail::attempt_outcome::make(kind::closed);
        if (ec)
            co_return detail::attempt_outcome::make(kind::failed, ec);

        if (auto o = judge(p.get().base())) {
            if (o->what != kind::redirect && o->status != 204)
                co_await read_error_body(s, buffer, p);
            co_return *o;
        }

        // The stream is open. Reads of 16 KiB: Beast reads what the
        // buffer has room for.
        buffer.reserve(16 * 1024);
        open = true;
        fsm.opened(std::chrono::steady_clock::now());
        auto o = co_await read_stream(s, buffer, p);
        open = false;
        co_return o;
    }

    // What a response header means for the attempt; nothing when the
    // stream opens.
    std::optional<detail::attempt_outcome> judge(beast::http::response_header<> const& head)
    {
        namespace http = beast::http;
        using kind = detail::attempt_outcome::kind;
        unsigned const status = head.result_int();
        failure.status = status;
        failure.body.clear();
        if (options.on_response)
            options.on_response(head);
        auto const verdict = detail::judge_response(
            status, head[http::field::content_type], head[http::field::retry_after], head.count(http::field::location) != 0
        );
        using vk = detail::response_verdict::kind;
        if (verdict.what == vk::open)
            return std::nullopt;
        auto o = detail::attempt_outcome::make(kind::fatal, verdict.error);
        o.status = status;
        if (verdict.what == vk::redirect) {
            o.what = kind::redirect;
            o.location = std::string(head[http::field::location]);
        } else if (verdict.what == vk::retry) {
            o.what = kind::failed;
            o.server_delay = verdict.delay;
        }
        return o;
    }

    // Body bytes of an open stream: parsed, and each event handed to the
    // caller (the send waits until async_next takes it). False when the
    // attempt is over (`out` says why).
    net::awaitable<bool> deliver(sse::parser& events, std::string_view in, detail::attempt_outcome& out)
    {
        using kind = detail::attempt_outcome::kind;
        while (!in.empty()) {
            if (closed) {
                out = detail::attempt_outcome::make(kind::closed);
                co_return false;
            }
            error_code pec;
            auto const r = events.parse(in, pec);
            if (pec) {
                failure.error = pec;
                out = detail::attempt_outcome::make(kind::fatal, pec);
                co_return false;
            }
            if (r == parse_result::retry) {
                fsm.set_reconnection_time(*events.retry());
            } else if (r == parse_result::event) {
                last_id.assign(events.last_event_id());
                event ev(events.event());
                if (channel.try_send(error_code(), std::move(ev)))
                    continue;
                error_code sec;
                co_await channel.async_send(error_code(), std::move(ev), net::redirect_error(net::use_awaitable, sec));
                if (closed || sec) {
                    out = detail::attempt_outcome::make(kind::closed);
                    co_return false;
                }
            }
        }
        // A block with an id and no data sets the last event id too.
        if (last_id != events.last_event_id())
            last_id.assign(events.last_event_id());
        co_return true;
    }

    // A clean end: in lenient mode (parser_options::dispatch_unterminated)
    // an event the server left without its blank line fires now.
    net::awaitable<bool> deliver_end(sse::parser& events, detail::attempt_outcome& out)
    {
        using kind = detail::attempt_outcome::kind;
        if (!options.parser.dispatch_unterminated)
            co_return true;
        error_code pec;
        events.finish(pec);
        if (pec) {
            failure.error = pec;
            out = detail::attempt_outcome::make(kind::fatal, pec);
            co_return false;
        }
        if (!events.has_event())
            co_return true;
        last_id = std::string(events.last_event_id());
        event ev(events.event());
        error_code sec;
        co_await channel.async_send(error_code(), std::move(ev), net::redirect_error(net::use_awaitable, sec));
        if (closed || sec) {
            out = detail::attempt_outcome::make(kind::closed);
            co_return false;
        }
        co_return true;
    }

#ifdef SSE_CLIENT_HAS_HTTP2
    // The exchange over HTTP/2: one stream on a connection of its own.
    template <class Stream>
    net::awaitable<detail::attempt_outcome> exchange_h2(Stream& s, detail::url_parts const& url, client_request const& req)
    {
        using kind = detail::attempt_outcome::kind;
        http2::detail::client_session h2;
        beast::http::fields headers = req.headers;
        if (headers.count(beast::http::field::accept) == 0)
            headers.set(beast::http::field::accept, "text/event-stream");
        if (headers.count(beast::http::field::cache_control) == 0)
            headers.set(beast::http::field::cache_control, "no-cache");
        if (!last_id.empty())
            headers.set("Last-Event-ID", last_id);
        h2.submit(req.method, url.tls ? "https" : "http", url.host_field(), url.target, headers, req.body);

        auto& lowest = beast::get_lowest_layer(s);
        std::string out;
        std::array<std::uint8_t, 16 * 1024> in;
        std::optional<sse::parser> events;
        std::size_t error_body = 0;
        detail::attempt_outcome result = detail::attempt_outcome::make(kind::failed);
        for (;;) {
            out.clear();
            if (!h2.produce(out))
                co_return detail::attempt_outcome::make(events ? kind::ended : kind::failed, make_error_code(error::protocol_error));
            error_code ec;
            if (!out.empty()) {
                co_await net::async_write(s, net::buffer(out), net::redirect_error(net::use_awaitable, ec));
                if (closed)
                    co_return detail::attempt_outcome::make(kind::closed);
                if (ec)
                    co_return detail::attempt_outcome::make(events ? kind::ended : kind::failed, events ? detail::stream_error(ec) : ec);
            }
            if (h2.has_response() && !events && result.what == kind::failed && error_body == 0) {
                if (auto o = judge(h2.response())) {
                    if (o->what == kind::redirect)
                        co_return *o;
                    result = *o;
                    error_body = 1; // read the start of the body, then give the verdict
                } else {
                    events.emplace(options.parser);
                    detail::start_parser(*events, last_id);
                    open = true;
                    fsm.opened(std::chrono::steady_clock::now());
                }
            }
            if (auto const body = h2.body(); !body.empty()) {
                if (events) {
                    detail::attempt_outcome o;
                    bool const go_on = co_await deliver(*events, body, o);
                    h2.consume(body.size());
                    if (!go_on) {
                        open = false;
                        co_return o;
                    }
                    continue; // the window update goes out first
                }
                if (error_body != 0) {
                    auto const n = std::min(body.size(), options.max_error_body - std::min(options.max_error_body, failure.body.size()));
                    failure.body.append(body.substr(0, n));
                    h2.consume(body.size());
                }
            }
            if (h2.closed() || h2.failed()) {
                open = false;
                if (events && h2.ended_cleanly()) {
                    detail::attempt_outcome o = detail::attempt_outcome::make(kind::ended);
                    co_await deliver_end(*events, o);
                    co_return o;
                }
                if (events)
                    co_return detail::attempt_outcome::make(kind::ended, make_error_code(error::peer_gone));
                if (error_body != 0)
                    co_return result;
                co_return detail::attempt_outcome::make(kind::failed, make_error_code(error::protocol_error));
            }
            if (error_body != 0 && failure.body.size() >= options.max_error_body)
                co_return result;
            // Before the response: the connect deadline; then the idle watchdog.
            if (events && options.idle_timeout.count() > 0)
                lowest.expires_after(options.idle_timeout);
            else if (events)
                lowest.expires_never();
            std::size_t n = 0;
            n = co_await s.async_read_some(net::buffer(in), net::redirect_error(net::use_awaitable, ec));
            if (closed)
                co_return detail::attempt_outcome::make(kind::closed);
            if (ec) {
                open = false;
                if (events)
                    co_return detail::attempt_outcome::make(kind::ended, detail::stream_error(ec));
                if (error_body != 0)
                    co_return result;
                co_return detail::attempt_outcome::make(kind::failed, ec);
            }
            if (!h2.receive(in.data(), n)) {
                open = false;
                co_return detail::attempt_outcome::make(events ? kind::ended : kind::failed, make_error_code(error::protocol_error));
            }
        }
    }
#else
    template <class Stream>
    net::awaitable<detail::attempt_outcome> exchange_h2(Stream&, detail::url_parts const&, client_request const&)
    {
        co_return detail::attempt_outcome::make(
            detail::attempt_outcome::kind::fatal, make_error_code(boost::system::errc::protocol_not_supported)
        );
    }
#endif

    template <class Stream, class Parser>
    net::awaitable<detail::attempt_outcome> read_stream(Stream& s, beast::flat_buffer& buffer, Parser& p)
    {
        namespace http = beast::http;
        using kind = detail::attempt_outcome::kind;
        sse::parser events(options.parser);
        detail::start_parser(events, last_id);
        std::array<char, 16 * 1024> chunk;
        auto& lowest = beast::get_lowest_layer(s);
        while (!p.is_done()) {
            if (options.idle_timeout.count() > 0)
                lowest.expires_after(options.idle_timeout);
            else
                lowest.expires_never();
            p.get().body().data = chunk.data();
            p.get().body().size = chunk.size();
            error_code ec;
            co_await http::async_read_some(s, buffer, p, net::redirect_error(net::use_awaitable, ec));
            if (ec == http::error::need_buffer)
                ec = {};
            if (closed)
                co_return detail::attempt_outcome::make(kind::closed);
            detail::attempt_outcome o;
            if (!co_await deliver(events, std::string_view(chunk.data(), chunk.size() - p.get().body().size), o))
                co_return o;
            if (ec) {
                failure.error = detail::stream_error(ec);
                co_return detail::attempt_outcome::make(kind::ended, failure.error);
            }
        }
        detail::attempt_outcome o = detail::attempt_outcome::make(kind::ended);
        co_await deliver_end(events, o);
        co_return o;
    }

    // The start of a refused response's body, for failure().
    template <class Stream, class Parser>
    net::awaitable<void> read_error_body(Stream& s, beast::flat_buffer& buffer, Parser& p)
    {
        namespace http = beast::http;
        std::array<char, 1024> chunk;
        beast::get_lowest_layer(s).expires_after(std::chrono::seconds(5));
        while (!p.is_done() && failure.body.size() < options.max_error_body) {
            p.get().body().data = chunk.data();
            p.get().body().size = std::min(chunk.size(), options.max_error_body - failure.body.size());
            error_code ec;
            co_await http::async_read_some(s, buffer, p, net::redirect_error(net::use_awaitable, ec));
            std::size_t const n = std::min(chunk.size(), options.max_error_body - failure.body.size()) - p.get().body().size;
            failure.body.append(chunk.data(), n);
            if (ec && ec != http::error::need_buffer)
                break;
        }
    }
};

template <class Executor>
basic_client<Executor>::basic_client(Executor const& ex, client_request request, client_options options)
    : state_(std::make_shared<state>(ex, nullptr, std::move(request), std::move(options)))
{
}

template <class Executor>
basic_client<Executor>::basic_client(Executor const& ex, net::ssl::context& tls, client_request request, client_options options)
    : state_(std::make_shared<state>(ex, &tls, std::move(request), std::move(options)))
{
}

template <class Executor>
basic_client<Executor>::~basic_client()
{
    // On the executor: the connection's coroutine ends (its last send
    // completes with channel_closed) and frees the state.
    net::dispatch(state_->ex, [st = state_] {
        st->closed = true;
        st->stop.emit(net::cancellation_type::terminal);
        st->channel.close();
    });
}

template <class Executor>
auto basic_client<Executor>::get_executor() const noexcept -> executor_type
{
    return state_->ex;
}

template <class Executor>
template <net::completion_token_for<void(error_code, event)> CompletionToken>
auto basic_client<Executor>::async_next(CompletionToken&& token)
{
    auto& st = *state_;
    if (!st.started && !st.closed) {
        st.started = true;
        net::co_spawn(st.ex, state::run(state_), net::bind_cancellation_slot(st.stop.slot(), net::detached));
    }
    // A cancelled receive reports channel_cancelled: the client says
    // operation_aborted, as Asio's own operations do.
    return st.channel.async_receive(net::deferred([st = state_](error_code ec, event ev) {
        if (ec == net::experimental::error::channel_closed)
            ec = st->finished ? st->final_error : error_code(net::error::operation_aborted);
        else if (ec == net::experimental::error::channel_cancelled)
            ec = net::error::operation_aborted;
        else if (ec)
            st->channel.close(); // the end: every later call gets it from the closed channel
        return net::deferred.values(ec, std::move(ev));
    }))(std::forward<CompletionToken>(token));
}

template <class Executor>
std::optional<event> basic_client<Executor>::try_next(error_code& ec)
{
    auto& st = *state_;
    ec = {};
    if (!st.started && !st.closed) {
        st.started = true;
        net::co_spawn(st.ex, state::run(state_), net::bind_cancellation_slot(st.stop.slot(), net::detached));
        return std::nullopt;
    }
    std::optional<event> out;
    bool const got = st.channel.try_receive([&](error_code e, event ev) {
        if (e)
            ec = e;
        else
            out.emplace(std::move(ev));
    });
    if (got && ec)
        st.channel.close(); // the end, as in async_next
    if (!got && st.finished)
        ec = st.final_error;
    else if (!got && st.closed)
        ec = net::error::operation_aborted;
    return out;
}

template <class Executor>
void basic_client<Executor>::close()
{
    auto& st = *state_;
    st.closed = true;
    st.stop.emit(net::cancellation_type::terminal);
    // Events not pulled yet go; a pending async_next, and every later one,
    // ends with operation_aborted.
    st.channel.reset();
    st.channel.close();
    if (!st.started) {
        st.started = true; // nothing to stop: the end is all that is left
        net::co_spawn(st.ex, state::run(state_), net::bind_cancellation_slot(st.stop.slot(), net::detached));
    }
}

template <class Executor>
std::string const& basic_client<Executor>::last_event_id() const noexcept
{
    return state_->last_id;
}

template <class Executor>
std::chrono::milliseconds basic_client<Executor>::reconnection_time() const noexcept
{
    return state_->fsm.reconnection_time();
}

template <class Executor>
client_failure const& basic_client<Executor>::failure() const noexcept
{
    return state_->failure;
}

template <class Executor>
bool basic_client<Executor>::is_open() const noexcept
{
    return state_->open;
}

} // namespace sse

#endif
