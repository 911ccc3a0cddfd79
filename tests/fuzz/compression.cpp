//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// libFuzzer target: compressed event streams, end to end without sockets.
//
// Events (sse::message, or sse::serialized made from one, some sent more
// than once) go through a real sse::detail::stream_engine constructed with a
// content coding (gzip with a compressor per stream, gzip from shared
// per-event blocks, br), driven the way a sink drives it: the source
// yields or hands over a backlog, writes complete, deferring turns come
// back, the heartbeat timer fires (a stored piece between events), all in
// an order the input chooses. The written payloads are concatenated and
// decompressed at split points the input chooses (zlib's inflate with
// windowBits 31, libbrotlidec's BrotliDecoderDecompressStream, with small
// output buffers), the decoded bytes fed to sse::parser as they come.
//
// Invariants:
//   - every write's action reports the bytes of its buffers; only the last
//     write ends the body, and the stream completes with the source's result;
//   - once all of a write's bytes are fed, the decoder has output exactly the
//     uncompressed bytes of every write so far (nothing held back), and the
//     decoded bytes are always a prefix of what was queued;
//   - the events and retries parsed equal those the messages describe;
//   - the coding ends exactly at the end of the last write: Z_STREAM_END (the
//     CRC-32 and length checked by inflate) or BrotliDecoderIsFinished, with
//     no byte after it.
//
// One or two streams run per input over the same sse::serialized values, so
// the second reuses (or cannot use) the shared blocks the first cached on
// them: a subscriber that skipped events, or one with other options.
//
// Input layout (bytes read from the front; missing bytes read as zero):
//
//   header, 8 bytes
//     0     stream 1: bits 0-1 the coding (0 gzip per stream, 1 and 3 gzip
//           shared, 2 br); bit 2 a retry option (sent first); bit 3 the
//           heartbeat on (1 s of the fake clock); bit 4 a second stream;
//           bit 5 the source ends with an error; bits 6-7 max_write_size
//           (64 KiB, 1, 100, byte 3's value x 16 + 1)
//     1     low nibble: gzip level (0..15, clamped to 1..9); high: br quality
//     2     low nibble: gzip window bits 8 + n (clamped to 9..15);
//           high: br window 9 + n (clamped to 10..24)
//     3     gzip memLevel n % 11 (clamped to 1..9); max_write_size's value
//     4     stream 2: as byte 0 (bit 4 unused)
//     5     stream 2: as byte 1
//     6-7   the seed of the choices made once the input runs out
//
//   events, until an op byte with bits 0-1 == 3, or the input ends
//     op    bits 0-1: 0 a message, 1 a new serialized, 2 a serialized sent
//           before again (index: the next byte); bit 2 data, 3 id, 4 event,
//           5 comment, 6 retry (4 bytes, little endian, the value); then one
//           text per field set, in the order data, id, event, comment
//     text  kind byte: bits 0-1: 0 literal (a length byte, then the bytes:
//           maybe not UTF-8, then refused and the field stays unset); 1 a
//           JSON object of ~100 bytes with repeated keys (2 bytes: values);
//           2 "N:xxx..." as the reference server's /stream sends (2 bytes,
//           the size, times 1 + bits 2-3 of the kind); 3 pseudo-random
//           printable text (2 bytes: length, at most 8 KiB)
//
//   choices: the rest, one byte per choice (which pending completion comes
//   next, how many items a backlog takes, the second stream's subset, the
//   split points and output buffer sizes of the decoders); after the input,
//   from a generator seeded by bytes 6-7.

#include <sse/compression.hpp>
#include <sse/detail/stream_engine.hpp>
#include <sse/error.hpp>
#include <sse/message.hpp>
#include <sse/parser.hpp>
#include <sse/serialized.hpp>
#include <sse/stream_options.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>

#include <zlib.h>
#if defined(SSE_HAS_BROTLI) && defined(SSE_FUZZ_HAS_BROTLIDEC)
#include <brotli/decode.h>
#define SSE_FUZZ_BR 1
#endif

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using sse::detail::stream_engine;
using type = sse::detail::stream_action::type;

[[noreturn]] void fail(char const* what, char const* detail = nullptr)
{
    std::fprintf(stderr, "invariant violated: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    std::abort();
}

void require(bool ok, char const* what)
{
    if (!ok)
        fail(what);
}

// The input, read from the front; then, once it runs out, a generator.
class reader {
public:
    reader(std::uint8_t const* p, std::size_t n) : p_(p), n_(n) {}

    std::uint8_t byte()
    {
        if (pos_ < n_)
            return p_[pos_++];
        return 0;
    }

    std::uint16_t u16()
    {
        auto const lo = byte();
        return static_cast<std::uint16_t>(lo | (byte() << 8));
    }

    std::uint32_t u32()
    {
        auto const lo = u16();
        return lo | (static_cast<std::uint32_t>(u16()) << 16);
    }

    bool exhausted() const noexcept { return pos_ >= n_; }

    std::string_view take(std::size_t n)
    {
        n = std::min(n, n_ - std::min(pos_, n_));
        std::string_view const s(reinterpret_cast<char const*>(p_) + pos_, n);
        pos_ += n;
        return s;
    }

    void seed(std::uint64_t s) noexcept { x_ = s * 0x9E3779B97F4A7C15ull + 1; }

    // A choice: from the input while it lasts, then from the generator.
    unsigned choice()
    {
        if (pos_ < n_)
            return p_[pos_++];
        x_ ^= x_ << 13;
        x_ ^= x_ >> 7;
        x_ ^= x_ << 17;
        return static_cast<unsigned>(x_ >> 24) & 0xFF;
    }

private:
    std::uint8_t const* p_;
    std::size_t n_;
    std::size_t pos_ = 0;
    std::uint64_t x_ = 1;
};

// What the parser yields for an item: an event or a retry.
struct parsed {
    bool is_retry = false;
    sse::event ev;
    std::chrono::milliseconds retry{};

    friend bool operator==(parsed const&, parsed const&) = default;
};

// CRLF and CR read back as LF.
std::string normalize_breaks(std::string_view s)
{
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\r') {
            out.push_back('\n');
            if (i + 1 < s.size() && s[i + 1] == '\n')
                ++i;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

// One event to send: a message, or a serialized value made from one.
struct item {
    sse::message msg;
    std::optional<sse::serialized> ser;
    std::string wire;
};

std::string text(reader& in, std::uint64_t& rng)
{
    auto const kind = in.byte();
    switch (kind & 3) {
    case 0: return std::string(in.take(in.byte()));
    case 1: {
        auto const a = in.byte();
        auto const b = in.byte();
        char buf[160];
        int const n = std::snprintf(
            buf, sizeof buf,
            R"({"id":%u,"user":"user-%u","type":"%s","symbol":"%s","price":%u.%02u,"ts":17335%08u})", a * 257u + b,
            a % 50u, (b & 1) ? "price" : "trade", (a & 2) ? "ABCD" : "WXYZ", b * 3u + 100u, a % 100u, a * 7919u + b);
        return std::string(buf, static_cast<std::size_t>(n));
    }
    case 2: {
        std::size_t const size = std::size_t(in.u16()) * (1 + ((kind >> 2) & 3));
        std::string s = std::to_string(kind) + ":";
        if (size > s.size())
            s.append(size - s.size(), 'x');
        return s;
    }
    default: {
        std::size_t const size = in.u16() % 8193;
        std::string s(size, ' ');
        for (auto& c : s) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            c = static_cast<char>(' ' + (rng >> 40) % 95);
        }
        return s;
    }
    }
}

// A message from the input; a refused value leaves its field unset.
sse::message make_message(reader& in, unsigned op, std::uint64_t& rng)
{
    sse::message m;
    sse::error_code ec;
    if (op & 4)
        m.data(text(in, rng), ec);
    if (op & 8)
        m.id(text(in, rng), ec);
    if (op & 16)
        m.event(text(in, rng), ec);
    if (op & 32)
        m.comment(text(in, rng), ec);
    if (op & 64)
        m.retry(std::chrono::milliseconds(in.u32()), ec);
    return m;
}

// What a stream's options come from.
struct stream_plan {
    sse::content_coding coding = sse::content_coding::gzip;
    bool shared = false;
    sse::stream_options options;
    bool fails = false; // the source ends with an error
};

stream_plan make_plan(unsigned flags, unsigned levels, unsigned windows, unsigned mem)
{
    stream_plan p;
    switch (flags & 3) {
    case 0: break;
    case 2:
#ifdef SSE_FUZZ_BR
        p.coding = sse::content_coding::br;
        break;
#endif
    default: p.shared = true; break;
    }
    auto& o = p.options;
    o.compression.enabled = true;
    o.compression.gzip_level = static_cast<int>(levels & 15);
    o.compression.br_quality = static_cast<int>(levels >> 4);
    o.compression.gzip_window_bits = 8 + static_cast<int>(windows & 15);
    o.compression.br_window_bits = 9 + static_cast<int>(windows >> 4);
    o.compression.gzip_mem_level = static_cast<int>(mem % 11);
    o.compression.sharing =
        p.shared ? sse::compression_sharing::automatic : sse::compression_sharing::per_stream;
    if (flags & 4)
        o.retry = std::chrono::milliseconds(1500 + mem);
    o.heartbeat = (flags & 8) ? std::chrono::milliseconds(1000) : std::chrono::milliseconds(0);
    o.send_timeout = std::chrono::milliseconds(0); // never aborts: every stream ends cleanly
    switch (flags >> 6) {
    case 0: o.max_write_size = 64 * 1024; break;
    case 1: o.max_write_size = 1; break;
    case 2: o.max_write_size = 100; break;
    default: o.max_write_size = mem * 16 + 1; break;
    }
    p.fails = flags & 32;
    return p;
}

// A write as it went out.
struct write_record {
    std::string bytes;     // as on the wire
    std::size_t plain = 0; // its bytes before coding
    bool last = false;
};

// One stream: the engine driven as a sink drives it.
class stream_run {
public:
    stream_run(stream_plan const& plan, std::vector<item const*> items, reader& in)
        : plan_(plan)
        , e_(plan.options, sse::detail::peer_watch::connection_read, plan.coding, plan.shared)
        , items_(std::move(items))
        , in_(in)
    {
    }

    void run()
    {
        e_.start(now_);
        if (auto const r = plan_.options.retry) {
            sse::message m;
            m.retry(*r);
            expected_ += sse::to_string(m);
            want_.push_back({true, {}, *r});
        }
        require(e_.queued() == expected_.size(), "start queued something else than the retry");
        for (int step = 0;; ++step) {
            require(step < 1000000, "the engine makes no progress");
            for (auto a = e_.next(now_); !a.is_none(); a = e_.next(now_))
                perform(a);
            if (completed_)
                break;
            deliver();
        }
        require(!result_ == !plan_.fails, "the stream completed with another result than the source's");
        if (plan_.fails)
            require(result_ == sse::error::source_failed, "the stream completed with another error");
        require(!writing_ && !source_busy_ && !turn_ && !timer_ && !watch_stopping_, "completed with work pending");
        require(e_.queued() == 0, "completed with bytes queued");
        require(!writes_.empty() && writes_.back().last, "the last write did not end the body");
        std::size_t total = 0;
        for (std::size_t i = 0; i < writes_.size(); ++i) {
            require(writes_[i].last == (i + 1 == writes_.size()), "a write before the last ended the body");
            total += writes_[i].plain;
        }
        require(total == expected_.size(), "the writes took other bytes than were queued");
    }

    std::vector<write_record> const& writes() const noexcept { return writes_; }
    std::string const& expected() const noexcept { return expected_; }
    std::vector<parsed> const& want() const noexcept { return want_; }

private:
    void perform(sse::detail::stream_action const& a)
    {
        switch (a.get_type()) {
        case type::none: break;
        case type::ask_source:
            require(!source_busy_, "ask_source with the source busy");
            source_busy_ = true;
            break;
        case type::take_backlog: {
            require(!source_busy_, "take_backlog with the source busy");
            std::size_t budget = a.max_bytes();
            unsigned k = in_.choice() % 8;
            while (k-- > 0 && next_ < items_.size() && items_[next_]->wire.size() <= budget) {
                budget -= items_[next_]->wire.size();
                push(*items_[next_++], false);
            }
            e_.backlog_taken();
            break;
        }
        case type::write: {
            require(!writing_, "a write with one in flight");
            writing_ = true;
            current_ = {};
            for (auto const& b : a.buffers())
                current_.bytes.append(static_cast<char const*>(b.data()), b.size());
            require(current_.bytes.size() == a.bytes(), "a write's size is not its buffers'");
            current_.last = a.last();
            break;
        }
        case type::defer_write:
            require(!turn_, "a second deferring turn");
            turn_ = true;
            break;
        case type::wait_until:
            require(!timer_, "a second wait");
            timer_ = true;
            timer_cancelled_ = false;
            expiry_ = a.expiry();
            break;
        case type::cancel_wait:
            require(timer_, "cancel_wait without a wait");
            timer_cancelled_ = true;
            break;
        case type::cancel_source:
            require(source_busy_, "cancel_source with the source idle");
            source_cancelled_ = true;
            break;
        case type::watch_source:
        case type::stop_source_watch:
            require(false, "a source that cannot report a failure was watched");
            break;
        case type::release_source:
            require(!source_busy_ && !released_, "release_source twice or with the source busy");
            released_ = true;
            break;
        case type::watch:
            require(!watch_active_, "a second watch");
            watch_active_ = true;
            break;
        case type::stop_watch:
            require(watch_active_ && !watch_stopping_, "stop_watch without a watch");
            watch_stopping_ = true;
            break;
        case type::abort: fail("the engine aborted a stream that had no error");
        case type::complete:
            completed_ = true;
            result_ = a.error();
            break;
        }
    }

    void push(item const& it, bool yielded)
    {
        expected_ += it.wire;
        if (it.ser) {
            if (yielded)
                e_.source_yielded(*it.ser);
            else
                e_.push(*it.ser);
        } else {
            if (yielded)
                e_.source_yielded(it.msg);
            else
                e_.push(it.msg);
        }
        auto const& m = it.msg;
        if (auto const r = m.retry())
            want_.push_back({true, {}, *r});
        if (auto const id = m.id())
            last_id_ = *id;
        if (auto const d = m.data()) {
            auto const ev = m.event();
            want_.push_back(
                {false, sse::event(ev && !ev->empty() ? std::string(*ev) : "message", normalize_breaks(*d), last_id_), {}}
            );
        }
    }

    // Completes one pending operation, which the input picks.
    void deliver()
    {
        enum kind { write, turn, source, watch, timer };
        kind pending[5];
        int n = 0;
        if (writing_)
            pending[n++] = write;
        if (turn_)
            pending[n++] = turn;
        if (source_busy_)
            pending[n++] = source;
        if (watch_stopping_)
            pending[n++] = watch;
        if (timer_)
            pending[n++] = timer;
        require(n > 0, "the engine waits for nothing and is not complete");
        switch (pending[n == 1 ? 0 : in_.choice() % static_cast<unsigned>(n)]) {
        case write: {
            writing_ = false;
            auto const before = e_.queued();
            e_.wrote({}, now_);
            require(e_.queued() <= before, "wrote() queued more");
            current_.plain = before - e_.queued();
            writes_.push_back(std::move(current_));
            break;
        }
        case turn:
            turn_ = false;
            e_.turn_done();
            break;
        case source:
            source_busy_ = false;
            if (source_cancelled_)
                e_.source_failed(boost::asio::error::operation_aborted);
            else if (next_ < items_.size())
                push(*items_[next_++], true);
            else if (plan_.fails)
                e_.source_failed(sse::make_error_code(sse::error::source_failed));
            else
                e_.source_finished();
            break;
        case watch:
            watch_stopping_ = false;
            watch_active_ = false;
            e_.watch_ended(boost::asio::error::operation_aborted, false);
            break;
        case timer: {
            timer_ = false;
            if (!timer_cancelled_)
                now_ = std::max(now_, expiry_);
            auto const before = e_.queued();
            e_.timer_fired(now_);
            if (e_.queued() == before + 2)
                expected_ += ":\n"; // the heartbeat
            else
                require(e_.queued() == before, "the timer queued something else than a heartbeat");
            break;
        }
        }
    }

    stream_plan const& plan_;
    stream_engine e_;
    std::vector<item const*> items_;
    reader& in_;
    std::size_t next_ = 0;
    stream_engine::time_point now_ = stream_engine::clock::now();
    stream_engine::time_point expiry_{};
    bool source_busy_ = false;
    bool source_cancelled_ = false;
    bool released_ = false;
    bool writing_ = false;
    bool turn_ = false;
    bool timer_ = false;
    bool timer_cancelled_ = false;
    bool watch_active_ = false;
    bool watch_stopping_ = false;
    bool completed_ = false;
    sse::error_code result_;
    write_record current_;
    std::vector<write_record> writes_;
    std::string expected_;
    std::vector<parsed> want_;
    std::string last_id_;
};

// gzip, through zlib's inflate (the gzip wrapper: header, CRC-32, length).
class gzip_decoder {
public:
    gzip_decoder()
    {
        if (inflateInit2(&zs_, 31) != Z_OK)
            fail("inflateInit2");
    }
    ~gzip_decoder() { inflateEnd(&zs_); }
    gzip_decoder(gzip_decoder const&) = delete;
    gzip_decoder& operator=(gzip_decoder const&) = delete;

    // Feeds `in` and appends all the output it makes, `room` bytes at a time.
    void feed(std::string_view in, std::string& out, std::size_t room)
    {
        require(in.empty() || !ended_, "bytes after the end of the gzip stream");
        zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
        zs_.avail_in = static_cast<uInt>(in.size());
        for (;;) {
            auto const old = out.size();
            out.resize(old + room);
            zs_.next_out = reinterpret_cast<Bytef*>(out.data() + old);
            zs_.avail_out = static_cast<uInt>(room);
            int const r = inflate(&zs_, Z_NO_FLUSH);
            out.resize(old + room - zs_.avail_out);
            if (r == Z_STREAM_END) {
                ended_ = true;
                require(zs_.avail_in == 0, "bytes after the end of the gzip stream");
                return;
            }
            if (r != Z_OK && r != Z_BUF_ERROR)
                fail("inflate failed", zs_.msg ? zs_.msg : "no message");
            if (zs_.avail_in == 0 && zs_.avail_out != 0)
                return; // all in, and nothing more to come out
            require(zs_.avail_out == 0, "inflate stopped with input and room left");
        }
    }

    bool holds_output() const noexcept { return false; } // inflate outputs all it decodes
    bool finished() const noexcept { return ended_; }

private:
    z_stream zs_{};
    bool ended_ = false;
};

#ifdef SSE_FUZZ_BR
class br_decoder {
public:
    br_decoder() : st_(BrotliDecoderCreateInstance(nullptr, nullptr, nullptr))
    {
        if (!st_)
            fail("BrotliDecoderCreateInstance");
    }
    ~br_decoder() { BrotliDecoderDestroyInstance(st_); }
    br_decoder(br_decoder const&) = delete;
    br_decoder& operator=(br_decoder const&) = delete;

    void feed(std::string_view in, std::string& out, std::size_t room)
    {
        require(in.empty() || !ended_, "bytes after the end of the brotli stream");
        auto const* next_in = reinterpret_cast<std::uint8_t const*>(in.data());
        std::size_t avail_in = in.size();
        for (;;) {
            auto const old = out.size();
            out.resize(old + room);
            auto* next_out = reinterpret_cast<std::uint8_t*>(out.data() + old);
            std::size_t avail_out = room;
            auto const r = BrotliDecoderDecompressStream(st_, &avail_in, &next_in, &avail_out, &next_out, nullptr);
            out.resize(old + room - avail_out);
            switch (r) {
            case BROTLI_DECODER_RESULT_ERROR:
                fail("brotli decoder failed", BrotliDecoderErrorString(BrotliDecoderGetErrorCode(st_)));
            case BROTLI_DECODER_RESULT_SUCCESS:
                ended_ = true;
                require(avail_in == 0, "bytes after the end of the brotli stream");
                return;
            case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
                require(avail_in == 0, "brotli wants input with input left");
                // With the output buffer full, the decoder asks for input
                // while it still holds output: it comes out on the next call.
                if (!BrotliDecoderHasMoreOutput(st_))
                    return;
                break;
            case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT: break;
            }
        }
    }

    bool holds_output() const noexcept { return BrotliDecoderHasMoreOutput(st_); }
    bool finished() const noexcept { return ended_ && BrotliDecoderIsFinished(st_); }

private:
    BrotliDecoderState* st_;
    bool ended_ = false;
};
#endif

// The decoded bytes, parsed as they come.
struct parsed_stream {
    sse::parser parser;
    std::vector<parsed> items;

    void feed(std::string_view chunk)
    {
        while (!chunk.empty()) {
            sse::error_code ec;
            auto const r = parser.parse(chunk, ec);
            if (ec)
                fail("the parser failed on the decoded stream", ec.message().c_str());
            if (r == sse::parse_result::event)
                items.push_back({false, sse::event(parser.event()), {}});
            else if (r == sse::parse_result::retry)
                items.push_back({true, {}, *parser.retry()});
        }
    }
};

// Decodes a stream's writes at split points the input picks, checking the
// output at every write's end.
template <class Decoder>
void check_decoding(stream_run const& run, reader& in)
{
    Decoder dec;
    parsed_stream ps;
    std::string decoded;
    std::size_t plain_so_far = 0;
    auto const& expected = run.expected();
    unsigned const mode = in.choice();
    auto const chunk_size = [&]() -> std::size_t {
        switch (mode & 3) {
        case 0: return 1;
        case 1: return 1 + in.choice() % 16;
        case 2: return 1 + in.choice() * 16;
        default: return std::size_t(-1); // whole writes
        }
    };
    auto const room = [&]() -> std::size_t {
        switch ((mode >> 2) & 3) {
        case 0: return 1;
        case 1: return 1 + in.choice() % 64;
        default: return 16 * 1024;
        }
    };
    auto const& writes = run.writes();
    for (std::size_t w = 0; w < writes.size(); ++w) {
        std::string_view bytes = writes[w].bytes;
        do {
            auto const n = std::min(bytes.size(), chunk_size());
            auto const before = decoded.size();
            dec.feed(bytes.substr(0, n), decoded, room());
            bytes.remove_prefix(n);
            require(decoded.size() <= expected.size(), "decoded more bytes than were sent");
            require(
                std::string_view(decoded).substr(before) == std::string_view(expected).substr(before, decoded.size() - before),
                "decoded bytes differ from those sent"
            );
            ps.feed(std::string_view(decoded).substr(before));
        } while (!bytes.empty());
        plain_so_far += writes[w].plain;
        if (decoded.size() != plain_so_far || dec.holds_output()) {
            char what[128];
            std::snprintf(what, sizeof what, "write %zu of %zu: %zu bytes decoded, %zu sent%s", w + 1, writes.size(),
                          decoded.size(), plain_so_far, dec.holds_output() ? ", more held by the decoder" : "");
            fail("a write does not decode to its bytes at once", what);
        }
        if (w + 1 < writes.size())
            require(!dec.finished(), "the coding ended before the last write");
    }
    require(dec.finished(), "the coding is not complete after the last write");
    require(decoded == expected, "the decoded stream differs from the one sent");
    require(ps.items == run.want(), "the parsed events differ from those sent");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    reader in(data, size);
    unsigned header[8];
    for (auto& h : header)
        h = in.byte();
    in.seed(header[6] | (header[7] << 8));
    std::uint64_t rng = 0x2545F4914F6CDD1Dull ^ (header[6] * 131u + header[7]);

    stream_plan plans[2] = {
        make_plan(header[0], header[1], header[2], header[3]),
        make_plan(header[4], header[5], header[2], header[3]),
    };
    int const streams = (header[0] & 16) ? 2 : 1;

    // Slow settings get fewer bytes.
    bool slow = false;
    for (int i = 0; i < streams; ++i)
        slow = slow || (plans[i].coding == sse::content_coding::br && plans[i].options.compression.br_quality >= 10);
    std::size_t const max_bytes = slow ? 64 * 1024 : 1024 * 1024;

    // The events.
    std::vector<item> items;
    items.reserve(256);
    std::vector<std::size_t> order; // indices into items, in sending order
    std::size_t total = 0;
    while (!in.exhausted() && order.size() < 256) {
        unsigned const op = in.byte();
        if ((op & 3) == 3)
            break;
        if ((op & 3) == 2) {
            unsigned const k = in.byte();
            std::vector<std::size_t> sers;
            for (std::size_t i = 0; i < items.size(); ++i)
                if (items[i].ser)
                    sers.push_back(i);
            if (!sers.empty()) {
                auto const i = sers[k % sers.size()];
                if (total + items[i].wire.size() <= max_bytes) {
                    total += items[i].wire.size();
                    order.push_back(i);
                }
            }
            continue;
        }
        item it;
        it.msg = make_message(in, op, rng);
        it.wire = sse::to_string(it.msg);
        if ((op & 3) == 1)
            it.ser = sse::serialized(it.msg);
        if (total + it.wire.size() > max_bytes)
            continue;
        total += it.wire.size();
        items.push_back(std::move(it));
        order.push_back(items.size() - 1);
    }

    for (int s = 0; s < streams; ++s) {
        std::vector<item const*> sent;
        for (auto const i : order)
            if (s == 0 || in.choice() % 4 != 0) // the second stream misses some
                sent.push_back(&items[i]);
        stream_run run(plans[s], std::move(sent), in);
        run.run();
        if (plans[s].coding == sse::content_coding::gzip) {
            check_decoding<gzip_decoder>(run, in);
        } else {
#ifdef SSE_FUZZ_BR
            check_decoding<br_decoder>(run, in);
#endif
        }
    }
    return 0;
}
