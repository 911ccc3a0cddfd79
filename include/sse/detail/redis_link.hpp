//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_DETAIL_REDIS_LINK_HPP
#define SSE_DETAIL_REDIS_LINK_HPP

#include <sse/detail/config.hpp>
#include <sse/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/strand.hpp>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sse::detail {

/** One hiredis asynchronous connection, driven by Asio.

    hiredis parses and formats RESP and keeps the queue of callbacks; this
    adapter only turns its read and write interest into waits on the socket
    (`posix::stream_descriptor::async_wait`), and calls
    `redisAsyncHandleRead`/`Write` when the socket is ready. Every member,
    and every callback, runs on the strand.

    The link ends once (a refused connection, the peer gone, or `close`):
    hiredis completes the commands still waiting with no reply, then
    `on_closed` is posted with what went wrong.
*/
class redis_link : public std::enable_shared_from_this<redis_link> {
public:
    using strand_type = net::strand<net::any_io_executor>;

    /// A reply, or null when the link ended before it came. hiredis frees
    /// the reply once the callback returns.
    using callback = std::function<void(redisReply const*)>;

    explicit redis_link(strand_type ex) : fd_(ex) {}

    redis_link(redis_link const&) = delete;
    redis_link& operator=(redis_link const&) = delete;

    ~redis_link() { close(); }

    /// Starts connecting to host:port. False, with `why` set, when it failed at once.
    bool start(std::string const& host, unsigned short port, std::function<void(std::string)> on_closed, std::string& why)
    {
        ac_ = redisAsyncConnect(host.c_str(), port);
        if (!ac_) {
            why = "out of memory";
            return false;
        }
        if (ac_->err) {
            why = ac_->errstr;
            redisAsyncFree(ac_);
            ac_ = nullptr;
            return false;
        }
        on_closed_ = std::move(on_closed);
        ac_->ev.data = this;
        ac_->ev.addRead = &add_read;
        ac_->ev.delRead = &del_read;
        ac_->ev.addWrite = &add_write;
        ac_->ev.delWrite = &del_write;
        ac_->ev.cleanup = &cleanup;
        boost::system::error_code ec;
        fd_.assign(ac_->c.fd, ec);
        if (ec) {
            why = ec.message();
            close();
            return false;
        }
        return true;
    }

    /// Whether the link is open (connecting or connected).
    bool alive() const noexcept { return ac_ != nullptr; }

    /// Sends a command. False (and `cb` is not called) when the link ended.
    bool command(std::span<std::string_view const> args, callback cb)
    {
        if (!ac_)
            return false;
        argv_.clear();
        lens_.clear();
        for (auto a : args) {
            argv_.push_back(a.data());
            lens_.push_back(a.size());
        }
        auto* f = new callback(std::move(cb));
        int const rc = redisAsyncCommandArgv(ac_, &on_reply, f, static_cast<int>(args.size()), argv_.data(), lens_.data());
        if (rc != REDIS_OK) {
            delete f;
            return false;
        }
        return true;
    }

    bool command(std::initializer_list<std::string_view> args, callback cb)
    {
        return command(std::span<std::string_view const>(args.begin(), args.size()), std::move(cb));
    }

    /// Ends the link now: waiting commands complete with no reply.
    void close()
    {
        if (ac_)
            redisAsyncFree(ac_); // calls cleanup, which clears ac_ (or later, when in a callback)
    }

private:
    static redis_link& self(void* p) noexcept { return *static_cast<redis_link*>(p); }

    static void on_reply(redisAsyncContext*, void* reply, void* privdata)
    {
        std::unique_ptr<callback> f(static_cast<callback*>(privdata));
        (*f)(static_cast<redisReply const*>(reply));
    }

    static void add_read(void* p)
    {
        self(p).want_read_ = true;
        self(p).wait_read();
    }

    static void del_read(void* p) { self(p).want_read_ = false; }

    static void add_write(void* p)
    {
        self(p).want_write_ = true;
        self(p).wait_write();
    }

    static void del_write(void* p) { self(p).want_write_ = false; }

    // hiredis frees its context: no call into it from here on.
    static void cleanup(void* p)
    {
        auto& l = self(p);
        std::string why = l.ac_ && l.ac_->errstr[0] ? l.ac_->errstr : "connection closed";
        l.ac_ = nullptr;
        l.want_read_ = l.want_write_ = false;
        if (l.fd_.is_open()) {
            boost::system::error_code ec;
            l.fd_.cancel(ec);
            (void)l.fd_.release(); // hiredis closes the descriptor
        }
        if (auto f = std::move(l.on_closed_))
            net::post(l.fd_.get_executor(), [f = std::move(f), why = std::move(why)] { f(why); });
    }

    void wait_read()
    {
        if (reading_ || !ac_)
            return;
        reading_ = true;
        fd_.async_wait(net::posix::stream_descriptor::wait_read, [self = shared_from_this()](boost::system::error_code ec) {
            self->reading_ = false;
            if (ec || !self->ac_ || !self->want_read_)
                return;
            redisAsyncHandleRead(self->ac_);
            if (self->ac_ && self->want_read_)
                self->wait_read();
        });
    }

    void wait_write()
    {
        if (writing_ || !ac_)
            return;
        writing_ = true;
        fd_.async_wait(net::posix::stream_descriptor::wait_write, [self = shared_from_this()](boost::system::error_code ec) {
            self->writing_ = false;
            if (ec || !self->ac_ || !self->want_write_)
                return;
            redisAsyncHandleWrite(self->ac_);
            if (self->ac_ && self->want_write_)
                self->wait_write();
        });
    }

    redisAsyncContext* ac_ = nullptr;
    net::posix::stream_descriptor fd_;
    std::function<void(std::string)> on_closed_;
    bool want_read_ = false;
    bool want_write_ = false;
    bool reading_ = false;
    bool writing_ = false;
    std::vector<char const*> argv_;
    std::vector<std::size_t> lens_;
};

/// A reply's text (a string, a status or an error).
inline std::string_view reply_text(redisReply const* r) noexcept
{
    if (!r || !r->str)
        return {};
    return {r->str, r->len};
}

} // namespace sse::detail

#endif
