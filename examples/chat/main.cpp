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
// sse::server does the rest: HTTP/1.1 and HTTP/2 (h2c) share the port, and
// a message body over 16 KiB is refused with 413.
//
// Usage:
//     chat [--address 127.0.0.1] [--port 8080]
//
// Try:
//     chat
//     open http://127.0.0.1:8080/?room=lobby in two browser windows
//     curl -N http://127.0.0.1:8080/events?room=lobby
//     curl -N --http2-prior-knowledge http://127.0.0.1:8080/events?room=lobby
//     curl -d '{"nick":"curl","text":"hi"}' http://127.0.0.1:8080/send?room=lobby
//
// Port 0 picks a free port. Once the server accepts connections it prints
// "listening on PORT". Ctrl-C (SIGINT) or SIGTERM stops it: open streams
// end cleanly and the program exits with status 0.
//
//------------------------------------------------------------------------------

#include <sse/broadcaster.hpp>
#include <sse/json.hpp>
#include <sse/query.hpp>
#include <sse/server.hpp>

#include <boost/asio/io_context.hpp>

#include <cctype>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace net = boost::asio;
namespace http = boost::beast::http;
using json = nlohmann::json;

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
// when the query is not well-formed or the name is not 1 to 64 letters,
// digits, '-' or '_'.
std::optional<std::string> room_of(std::string_view target)
{
    auto const query = sse::parse_query(target);
    if (!query)
        return std::nullopt;
    std::string const room(query->get("room").value_or("lobby"));
    bool ok = !room.empty() && room.size() <= 64;
    for (char c : room)
        ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
    return ok ? std::optional(room) : std::nullopt;
}

// Handles POST /send: publishes {"nick", "text"} to the room.
sse::response send(sse::broadcaster& hub, std::string const& room, sse::request const& req)
{
    auto const bad = [&](std::string why) {
        return sse::make_response(req, http::status::bad_request, why + '\n');
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
    } catch (sse::system_error const&) { // sse::error::invalid_json: not UTF-8
        return bad("the strings must be UTF-8");
    }
    return sse::make_response(req, http::status::no_content, {}, {});
}

// Answers one request.
sse::response handle(sse::broadcaster& hub, sse::request&& req)
{
    std::string_view const target = req.target();
    std::string_view const path = target.substr(0, target.find('?'));
    auto const room = room_of(target);
    if (!room)
        return sse::make_response(req, http::status::bad_request, "bad room name\n");
    if (req.method() == http::verb::get && path == "/events")
        return sse::stream_response{req, hub.subscribe(req, *room)};
    if (req.method() == http::verb::post && path == "/send")
        return send(hub, *room, req);
    if (req.method() == http::verb::get && path == "/")
        return sse::make_response(req, http::status::ok, std::string(page), "text/html; charset=utf-8");
    return sse::make_response(req, http::status::not_found, "Not found. Try GET /\n");
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
        sse::broadcaster_options hub_options;
        hub_options.history_count = 100;
        hub_options.last_event_id_param = "lastEventId";
        sse::broadcaster hub{hub_options};

        sse::server_options options;
        options.max_body_size = 16 * 1024; // a chat message is small
        options.on_connection_error = [](sse::error_code ec, std::string_view where) {
            std::clog << where << ": " << ec.message() << '\n';
        };

        net::io_context ioc;
        sse::server server(
            ioc,
            {net::ip::make_address(address), port},
            [&hub](sse::request&& req) { return handle(hub, std::move(req)); },
            std::move(options)
        );
        server.stop_on_signals(); // SIGINT, SIGTERM
        server.start();
        std::cout << "listening on " << server.local_endpoint().port() << std::endl;
        ioc.run(); // until the server has stopped
        return 0;
    } catch (std::exception const& e) {
        std::cerr << "chat: " << e.what() << '\n';
        return 1;
    }
}
