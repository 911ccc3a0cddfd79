//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

//------------------------------------------------------------------------------
//
// Example: chat rooms
//
// A chat server in one file. GET / serves a page; the page opens an
// EventSource on GET /events?room=NAME and sends what is typed with
// POST /send?room=NAME, a JSON body {"nick": "...", "text": "..."}.
//
// Each room is a topic of an sse::broadcaster. A message is serialized once
// on publication and every subscriber of the room gets the same bytes. The
// broadcaster numbers the events and keeps a history of each room, so a
// browser that lost its connection reconnects with Last-Event-ID and gets
// exactly what it missed. A page may also pass ?lastEventId=N, for a first
// connection (EventSource cannot set headers itself).
//
// Usage:
//     chat [--address 127.0.0.1] [--port 8080]
//
// Try:
//     chat
//     open http://127.0.0.1:8080/?room=lobby in two browser windows
//     curl -N http://127.0.0.1:8080/events?room=lobby
//     curl -d '{"nick":"curl","text":"hi"}' http://127.0.0.1:8080/send?room=lobby
//
// Port 0 picks a free port. Once the server accepts connections it prints
// "listening on PORT". Ctrl-C (SIGINT) or SIGTERM stops it: open streams
// end cleanly and the program exits with status 0.
//
//------------------------------------------------------------------------------

#include <sse/broadcaster.hpp>
#include <sse/json.hpp>
#include <sse/stream_response.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <cctype>
#include <chrono>
#include <csignal>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using json = nlohmann::json;
using namespace net::experimental::awaitable_operators;

// The page. Messages are added with textContent, never as HTML, so that a
// message cannot inject markup.
constexpr std::string_view page = R"html(<!doctype html>
<html><head><meta charset="utf-8"><title>chat</title>
<style>
body { font: 16px sans-serif; max-width: 40em; margin: 2em auto; }
#log { list-style: none; padding: .5em; min-height: 12em; border: 1px solid #ccc; }
.nick { font-weight: bold; } .note { color: #888; }
</style></head><body>
<h1>Room <span id="room"></span></h1>
<ul id="log"></ul>
<form id="form">
  <input id="nick" placeholder="nickname" required maxlength="32">
  <input id="text" placeholder="say something" required maxlength="1000" autocomplete="off">
  <button>Send</button>
</form>
<p id="status" class="note">connecting...</p>
<script>
const params = new URLSearchParams(location.search);
const room = params.get('room') || 'lobby';
document.getElementById('room').textContent = room;
const log = document.getElementById('log'), status = document.getElementById('status');

// On a reconnection EventSource sends Last-Event-ID by itself.
let url = '/events?room=' + encodeURIComponent(room);
if (params.has('lastEventId'))
  url += '&lastEventId=' + encodeURIComponent(params.get('lastEventId'));
window.lastId = params.get('lastEventId') || '';
window.received = [];
window.source = new EventSource(url);

function note(text) {
  const li = document.createElement('li');
  li.className = 'note';
  li.textContent = text;
  log.append(li);
}
source.onopen = () => { status.textContent = 'connected'; window.connected = true; };
source.onerror = () => { status.textContent = 'reconnecting...'; window.connected = false; };
source.onmessage = (e) => {
  const m = JSON.parse(e.data);
  window.lastId = e.lastEventId;
  window.received.push({ id: e.lastEventId, nick: m.nick, text: m.text });
  const li = document.createElement('li'), nick = document.createElement('span');
  nick.className = 'nick';
  nick.textContent = m.nick + ': ';
  li.append(nick, m.text);
  log.append(li);
};
source.addEventListener('gap', () => note('(some messages were missed)'));

document.getElementById('form').onsubmit = async (e) => {
  e.preventDefault();
  const text = document.getElementById('text');
  const body = JSON.stringify({ nick: document.getElementById('nick').value, text: text.value });
  const r = await fetch('/send?room=' + encodeURIComponent(room), {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  if (r.ok) text.value = ''; else note('(not sent: ' + r.status + ')');
};
</script></body></html>
)html";

// The room named in the query (?room=NAME), "lobby" without one, nothing
// when the name is not 1 to 64 letters, digits, '-' or '_'.
std::optional<std::string> room_of(std::string_view target)
{
    auto const q = target.find('?');
    std::string_view query = q == target.npos ? std::string_view() : target.substr(q + 1);
    std::string room = "lobby";
    while (!query.empty()) {
        auto const amp = query.find('&');
        auto const pair = query.substr(0, amp);
        query = amp == query.npos ? std::string_view() : query.substr(amp + 1);
        if (pair.starts_with("room="))
            room = pair.substr(5);
    }
    bool ok = !room.empty() && room.size() <= 64;
    for (char c : room)
        ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
    return ok ? std::optional(room) : std::nullopt;
}

http::response<http::string_body> reply(http::status status, unsigned version, std::string_view type, std::string body)
{
    http::response<http::string_body> res{status, version};
    if (!body.empty())
        res.set(http::field::content_type, type);
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

// Handles POST /send: publishes {"nick", "text"} to the room.
http::response<http::string_body> send(sse::broadcaster& hub, std::string const& room, http::request<http::string_body> const& req)
{
    auto const bad = [&](std::string why) {
        return reply(http::status::bad_request, req.version(), "text/plain", why + '\n');
    };
    json const body = json::parse(req.body(), nullptr, false);
    if (body.is_discarded() || !body.is_object())
        return bad("the body must be a JSON object");
    auto const nick = body.find("nick"), text = body.find("text");
    if (nick == body.end() || !nick->is_string() || nick->get_ref<std::string const&>().empty() ||
        text == body.end() || !text->is_string() || text->get_ref<std::string const&>().empty())
        return bad("\"nick\" and \"text\" must be non-empty strings");
    try {
        auto const id = hub.publish(room, sse::message{}.json(json{{"nick", *nick}, {"text", *text}}));
        std::clog << room << ": event " << id << " from " << nick->get_ref<std::string const&>() << '\n';
    } catch (boost::system::system_error const&) { // sse::error::invalid_json: not UTF-8
        return bad("the strings must be UTF-8");
    }
    return reply(http::status::no_content, req.version(), {}, {});
}

// Serves one connection until the client closes it or the server stops.
net::awaitable<void> session(beast::tcp_stream stream, sse::broadcaster& hub)
{
    beast::flat_buffer buffer;
    try {
        for (;;) {
            http::request_parser<http::string_body> parser;
            parser.body_limit(16 * 1024); // a chat message is small
            stream.expires_after(std::chrono::seconds(30));
            auto [ec, n] = co_await http::async_read(stream, buffer, parser, net::as_tuple(net::use_awaitable));
            if (ec == http::error::body_limit) {
                auto res = reply(http::status::payload_too_large, parser.get().version(), "text/plain", "at most 16 KiB\n");
                res.keep_alive(false); // the rest of the body is still unread
                co_await http::async_write(stream, res, net::use_awaitable);
                break;
            }
            if (ec)
                throw boost::system::system_error(ec);
            auto const req = parser.release();
            std::string_view const target(req.target().data(), req.target().size());
            std::string_view const path = target.substr(0, target.find('?'));
            auto const room = room_of(target);

            http::response<http::string_body> res;
            if (!room) {
                res = reply(http::status::bad_request, req.version(), "text/plain", "bad room name\n");
            } else if (req.method() == http::verb::get && path == "/events") {
                stream.expires_never(); // a stream lasts as long as the client wants it
                sse::stream_response stream_res{req, hub.subscribe(req, *room)};
                auto [wec] = co_await sse::async_write(stream, stream_res, net::as_tuple(net::use_awaitable));
                if (wec)
                    throw boost::system::system_error(wec);
                if (!stream_res.keep_alive())
                    break;
                continue;
            } else if (req.method() == http::verb::post && path == "/send") {
                res = send(hub, *room, req);
            } else if (req.method() == http::verb::get && path == "/") {
                res = reply(http::status::ok, req.version(), "text/html; charset=utf-8", std::string(page));
            } else {
                res = reply(http::status::not_found, req.version(), "text/plain", "Not found. Try GET /\n");
            }
            res.keep_alive(req.keep_alive());
            co_await http::async_write(stream, res, net::use_awaitable);
            if (!res.keep_alive())
                break;
        }
        stream.socket().shutdown(tcp::socket::shutdown_send);
    } catch (boost::system::system_error const& e) {
        // http::error::end_of_stream: the client closed the connection;
        // sse::error::peer_gone: it left an event stream;
        // net::error::operation_aborted: the server is stopping.
        std::clog << "connection closed: " << e.code().message() << '\n';
    }
}

// Completes when the server stops; a session raced against it is cancelled then.
net::awaitable<void> stopped(net::steady_timer& stop)
{
    co_await stop.async_wait(net::as_tuple(net::use_awaitable));
}

// Accepts connections until the acceptor is closed.
net::awaitable<void> listen(tcp::acceptor& acceptor, net::steady_timer& stop, sse::broadcaster& hub)
{
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(net::as_tuple(net::use_awaitable));
        if (ec) {
            std::clog << "no longer accepting: " << ec.message() << '\n';
            co_return;
        }
        auto serve = session(beast::tcp_stream(std::move(socket)), hub) || stopped(stop);
        net::co_spawn(acceptor.get_executor(), std::move(serve), net::detached);
    }
}

int main(int argc, char* argv[])
{
    std::string address = "127.0.0.1";
    unsigned short port = 8080;
    try {
        for (int i = 1; i < argc; i += 2) {
            std::string const name = argv[i];
            if (i + 1 == argc)
                throw std::invalid_argument("no value after " + name);
            std::string const value = argv[i + 1];
            if (name == "--address")
                address = value;
            else if (name == "--port" && std::stoul(value) <= 65535)
                port = static_cast<unsigned short>(std::stoul(value));
            else
                throw std::invalid_argument("bad option " + name + " " + value);
        }
    } catch (std::exception const& e) {
        std::cerr << "chat: " << e.what() << "\nusage: chat [--address 127.0.0.1] [--port 8080]\n";
        return 2;
    }
    try {
        // Each room keeps its last 100 messages for browsers that reconnect.
        sse::broadcaster_options options;
        options.history_count = 100;
        options.last_event_id_param = "lastEventId";
        sse::broadcaster hub{options};

        net::io_context ioc;
        tcp::acceptor acceptor(ioc, {net::ip::make_address(address), port});

        // SIGINT or SIGTERM: close the acceptor and cancel every session.
        net::steady_timer stop(ioc, net::steady_timer::time_point::max());
        net::signal_set signals(ioc, SIGINT, SIGTERM);
        signals.async_wait([&](boost::system::error_code, int) {
            acceptor.close();
            stop.expires_at(net::steady_timer::time_point::min());
        });

        net::co_spawn(ioc, listen(acceptor, stop, hub), net::detached);
        std::cout << "listening on " << acceptor.local_endpoint().port() << std::endl;
        ioc.run();
        return 0;
    } catch (std::exception const& e) {
        std::cerr << "chat: " << e.what() << '\n';
        return 1;
    }
}
