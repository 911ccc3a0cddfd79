//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Compression of event streams: bytes on the wire, CPU time and memory of
// the encoders (include/sse/detail/encoder.hpp), driven directly through
// sse::detail::make_encoder, without sockets. Figures only: nothing is
// asserted about time. Every configuration's output is decoded once
// (zlib's inflate; libbrotlidec when found) and compared with the events,
// outside the timed runs.
//
// Two event streams:
//   json     ~197-byte events: `id: N` and one line of JSON with repeating
//            keys and varying values ({"id":N,"user":"user-17","type":
//            "price","symbol":"ABCD",...,"price":123.45,...,"ts":...}),
//            built with sse::message's id() and data()
//   stream64, stream100
//            what the reference server's /stream sends (examples/
//            reference_server.cpp, numbered_event): `id: N` then
//            `data: N:xxx...` of 64 and 100 bytes of data
//
// The payload of each write is laid out as sse::detail::message_queue lays
// it out: for a per-stream coding, the queue copies events (serialized
// values under 512 bytes) into one staging string, so a write of k events
// is one buffer; for shared blocks (message_queue::share_all), each
// sse::serialized is a buffer of its own and is listed, in order, in the
// `shared` span. Only encode() and wrote() are timed (the thread's CPU
// time, CLOCK_THREAD_CPUTIME_ID); figures are medians of --reps runs.
//
// Sections:
//   1. The event streams: their sizes.
//   2. Per event, for each stream and coding, with one event per write
//      (each flushed alone: the worst case) and 16 events per write:
//      bytes on the wire, their ratio to the uncompressed bytes, CPU ns.
//        identity     no coding
//        gzip/ctx     zlib_encoder: a zlib context per stream
//        gzip/shared-standalone
//                     shared_gzip_encoder, every event in its standalone
//                     form: before the timed run, a stream that sends the
//                     events in reverse order made each event's chained
//                     form with another dictionary, so the measured stream
//                     finds no chained form it can use (what a subscriber
//                     gets that missed the event before, or had a
//                     heartbeat in between)
//        gzip/shared-chained
//                     shared_gzip_encoder, consecutive events: each in its
//                     form chained on the event before
//        br/ctx       brotli_encoder: a brotli context per stream
//      A shared form is made once per event and cached on the
//      sse::serialized, so the first subscriber pays the compression and
//      every other subscriber only the lookup: "1st sub" is the first
//      stream over fresh events, "extra sub" the average of four more
//      streams over the same events. With a context per stream every
//      subscriber pays the same.
//   3. Fan-out: the same json events to S subscribers (default 1,000
//      events x 1,000 subscribers = 10^6 deliveries), one write per
//      delivery, event by event across all subscribers as a broadcaster
//      delivers them: shared blocks against a gzip context per subscriber.
//      Total CPU time, deliveries/s, bytes per delivery, memory per
//      subscriber (stream_encoder::context_bytes()) and in all, and the
//      growth of the malloc heap per subscriber (what the encoders keep
//      beyond their context: output buffers kept for the next write); for
//      shared blocks also what the events' cached forms hold.
//   4. gzip through zlib (sse's zlib_encoder) against Beast's
//      boost::beast::zlib::deflate_stream (raw deflate, with the gzip
//      header and a CRC-32 from zlib's crc32 added here), per stream, on
//      the json stream, at the same level, window and memLevel.
//   5. Memory of one context per stream (context_bytes()) at the defaults
//      and other settings: gzip window 9/12/15 x memLevel 1/5/8; br
//      quality 0/1/4/5 x window 16/22 (brotli allocates as it goes: shown
//      once created and after 1,000 json events).
//
// Run it from an optimised build (about half a minute), e.g.
//
//   ninja -C <build> bench_compression && <build>/tests/bench/bench_compression
//   bench_compression --quick                       (tiny counts: the ctest smoke run)
//   bench_compression --events 20000 --reps 7 --subs 1000 --fanout-events 1000

#include <sse/compression.hpp>
#include <sse/detail/encoder.hpp>
#include <sse/message.hpp>
#include <sse/serialized.hpp>

#include "support.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/zlib/deflate_stream.hpp>

#include <zlib.h>
#ifdef SSE_BENCH_HAS_BROTLIDEC
#include <brotli/decode.h>
#endif

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace net = boost::asio;
using sse::content_coding;
using sse::detail::stream_encoder;

// ------------------------------------------------------------------ events

// A deterministic generator (xorshift64*).
struct rng {
    std::uint64_t x;
    std::uint64_t next()
    {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        return x * 0x2545F4914F6CDD1Dull;
    }
    unsigned below(unsigned n) { return static_cast<unsigned>(next() >> 33) % n; }
};

// The wire bytes of each event of a stream.
using wire_events = std::vector<std::string>;

wire_events json_events(std::size_t n)
{
    static char const* const types[] = {"price", "trade", "quote"};
    static char const* const symbols[] = {"ABCD", "EFGH", "IJKL", "MNOP", "QRST", "UVWX", "YZAB", "CDEF"};
    static char const* const venues[] = {"XNAS", "XNYS", "BATS"};
    rng r{0x9E3779B97F4A7C15ull};
    wire_events out;
    out.reserve(n);
    long price = 12345; // cents
    std::uint64_t ts = 1733500000123;
    for (std::size_t i = 0; i < n; ++i) {
        price = std::max(100L, price + static_cast<long>(r.below(41)) - 20);
        ts += 1 + r.below(250);
        auto const id = 100000 + i;
        char json[256];
        int const len = std::snprintf(
            json, sizeof json,
            R"({"id":%zu,"user":"user-%u","type":"%s","symbol":"%s","venue":"%s","currency":"USD",)"
            R"("price":%ld.%02ld,"bid":%ld.%02ld,"ask":%ld.%02ld,"size":%u,"seq":%zu,"ts":%llu})",
            id, r.below(100), types[r.below(3)], symbols[r.below(8)], venues[r.below(3)], price / 100, price % 100,
            (price - 1) / 100, (price - 1) % 100, (price + 1) / 100, (price + 1) % 100, 100 * (1 + r.below(50)),
            8800000 + i * 3, static_cast<unsigned long long>(ts));
        sse::message m;
        m.id(id).data(std::string_view(json, static_cast<std::size_t>(len)));
        out.push_back(sse::to_string(m));
    }
    return out;
}

// Event i of the reference server's /stream (examples/reference_server.cpp,
// numbered_event): "id: i", then "data: i:xxx..." of max(size, len) bytes.
std::string numbered_event(std::uint64_t i, std::size_t size)
{
    char digits[24];
    auto const n = static_cast<std::size_t>(std::to_chars(digits, digits + sizeof digits, i).ptr - digits);
    std::string_view const id(digits, n);
    std::size_t const data_size = std::max(size, n + 1);
    std::string s;
    s.reserve(4 + n + 1 + 6 + data_size + 2);
    s.append("id: ").append(id).append("\n");
    s.append("data: ").append(id).append(":");
    s.append(data_size - n - 1, 'x');
    s.append("\n\n");
    return s;
}

wire_events stream_events(std::size_t n, std::size_t size)
{
    wire_events out;
    out.reserve(n);
    for (std::size_t i = 1; i <= n; ++i)
        out.push_back(numbered_event(i, size));
    return out;
}

std::size_t total_size(wire_events const& ev)
{
    std::size_t n = 0;
    for (auto const& e : ev)
        n += e.size();
    return n;
}

// ------------------------------------------------------------ payloads

// A stream's events as the queue hands them to the encoder.
struct payloads {
    std::string all;                   // every event's bytes, in order (staging copy)
    std::vector<std::size_t> offset;   // where event i starts in `all`; one more at the end
    std::vector<sse::serialized> sers; // each event as a serialized value
    std::vector<net::const_buffer> bufs; // sers[i].buffer()

    explicit payloads(wire_events const& ev)
    {
        offset.push_back(0);
        for (auto const& e : ev) {
            all += e;
            offset.push_back(all.size());
        }
        fresh();
    }

    // New serialized values (no cached forms).
    void fresh()
    {
        sers.clear();
        bufs.clear();
        for (std::size_t i = 0; i + 1 < offset.size(); ++i)
            sers.push_back(sse::serialized::from_wire(std::string_view(all).substr(offset[i], offset[i + 1] - offset[i])));
        for (auto const& s : sers)
            bufs.push_back(s.buffer());
    }

    std::size_t count() const noexcept { return sers.size(); }
};

// What one stream's run gives.
struct run_result {
    double cpu_s = 0;
    std::size_t wire = 0; // bytes out
};

// Runs one stream over events [0, n) in writes of `group` events (order
// reversed when `reverse`). `shared`: the encoder takes the events as
// shared pieces. Appends the output to `collect` when not null.
run_result run_stream(stream_encoder& enc, payloads const& p, std::size_t group, bool shared, bool reverse = false,
                      std::string* collect = nullptr)
{
    run_result r;
    std::size_t const n = p.count();
    std::vector<net::const_buffer> rev_bufs;
    std::vector<sse::serialized> rev_sers;
    if (reverse) {
        rev_bufs.assign(p.bufs.rbegin(), p.bufs.rend());
        rev_sers.assign(p.sers.rbegin(), p.sers.rend());
    }
    auto const& bufs = reverse ? rev_bufs : p.bufs;
    auto const& sers = reverse ? rev_sers : p.sers;
    double const t0 = sse::bench::thread_cpu_seconds();
    for (std::size_t i = 0; i < n; i += group) {
        std::size_t const k = std::min(group, n - i);
        std::span<net::const_buffer const> out;
        if (shared) {
            out = enc.encode(std::span(bufs.data() + i, k), std::span(sers.data() + i, k), false);
        } else {
            net::const_buffer const one(p.all.data() + p.offset[i], p.offset[i + k] - p.offset[i]);
            out = enc.encode(std::span(&one, 1), {}, false);
        }
        r.wire += enc.size();
        if (collect)
            for (auto const& b : out)
                collect->append(static_cast<char const*>(b.data()), b.size());
        enc.wrote(64 * 1024);
    }
    r.cpu_s = sse::bench::thread_cpu_seconds() - t0;
    return r;
}

// ------------------------------------------------------------ decoding

[[noreturn]] void die(char const* what)
{
    std::fprintf(stderr, "bench_compression: %s\n", what);
    std::exit(1);
}

// gzip (no trailer needed: the stream is not finished) through inflate.
std::string gunzip(std::string_view in)
{
    z_stream zs{};
    if (inflateInit2(&zs, 31) != Z_OK)
        die("inflateInit2");
    std::string out;
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    for (;;) {
        auto const old = out.size();
        out.resize(old + 64 * 1024);
        zs.next_out = reinterpret_cast<Bytef*>(out.data() + old);
        zs.avail_out = 64 * 1024;
        int const r = inflate(&zs, Z_SYNC_FLUSH);
        out.resize(old + 64 * 1024 - zs.avail_out);
        if (r != Z_OK && r != Z_BUF_ERROR && r != Z_STREAM_END)
            die("inflate failed");
        if (r == Z_STREAM_END || (zs.avail_in == 0 && zs.avail_out != 0))
            break;
    }
    inflateEnd(&zs);
    return out;
}

#ifdef SSE_BENCH_HAS_BROTLIDEC
std::string unbrotli(std::string_view in)
{
    auto* st = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
    std::string out;
    auto const* next_in = reinterpret_cast<std::uint8_t const*>(in.data());
    std::size_t avail_in = in.size();
    for (;;) {
        auto const old = out.size();
        out.resize(old + 64 * 1024);
        auto* next_out = reinterpret_cast<std::uint8_t*>(out.data() + old);
        std::size_t avail_out = 64 * 1024;
        auto const r = BrotliDecoderDecompressStream(st, &avail_in, &next_in, &avail_out, &next_out, nullptr);
        out.resize(old + 64 * 1024 - avail_out);
        if (r == BROTLI_DECODER_RESULT_ERROR)
            die("brotli decoding failed");
        if (r != BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT && !BrotliDecoderHasMoreOutput(st))
            break;
    }
    BrotliDecoderDestroyInstance(st);
    return out;
}
#endif

void check_decodes(content_coding c, std::string_view wire, std::string_view plain, char const* what)
{
    std::string decoded;
    if (c == content_coding::gzip) {
        decoded = gunzip(wire);
    } else {
#ifdef SSE_BENCH_HAS_BROTLIDEC
        decoded = unbrotli(wire);
#else
        return;
#endif
    }
    if (decoded != plain) {
        std::fprintf(stderr, "bench_compression: %s does not decode to its events (%zu bytes, %zu expected)\n", what,
                     decoded.size(), plain.size());
        std::exit(1);
    }
}

// ------------------------------------------------------------ 2. per event

enum class mode { identity, gzip_ctx, gzip_standalone, gzip_chained, br_ctx };

char const* name_of(mode m)
{
    switch (m) {
    case mode::identity: return "identity";
    case mode::gzip_ctx: return "gzip/ctx";
    case mode::gzip_standalone: return "gzip/shared-standalone";
    case mode::gzip_chained: return "gzip/shared-chained";
    case mode::br_ctx: return "br/ctx";
    }
    return "?";
}

bool is_shared(mode m)
{
    return m == mode::gzip_standalone || m == mode::gzip_chained;
}

std::unique_ptr<stream_encoder> encoder_for(mode m, sse::compression_options const& o = {})
{
    switch (m) {
    case mode::identity: return nullptr;
    case mode::gzip_ctx: return sse::detail::make_encoder(content_coding::gzip, o, false);
    case mode::gzip_standalone:
    case mode::gzip_chained: return sse::detail::make_encoder(content_coding::gzip, o, true);
    case mode::br_ctx: return sse::detail::make_encoder(content_coding::br, o, false);
    }
    return nullptr;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

struct options {
    std::size_t events = 10000;
    int reps = 5;
    int extra_subs = 4;
    std::size_t subs = 1000;
    std::size_t fanout_events = 1000;
    double fanout_budget_s = 60; // the longest the per-subscriber-context fan-out may take
    bool quick = false;
};

// One row: a stream, a coding, a write size.
struct row_result {
    double raw_per_event = 0;
    double wire_per_event = 0;
    double first_ns = 0;
    double extra_ns = 0;
};

row_result measure(mode m, wire_events const& ev, std::size_t group, options const& opt)
{
    payloads p(ev);
    double const n = static_cast<double>(p.count());
    row_result res;
    res.raw_per_event = static_cast<double>(p.all.size()) / n;
    if (m == mode::identity) {
        res.wire_per_event = res.raw_per_event;
        return res;
    }
    bool const shared = is_shared(m);
    auto const coding = m == mode::br_ctx ? content_coding::br : content_coding::gzip;

    // Check once, outside the timed runs, on events of their own.
    {
        payloads q(ev);
        if (m == mode::gzip_standalone) {
            auto primer = encoder_for(m);
            run_stream(*primer, q, group, true, true);
        }
        auto enc = encoder_for(m);
        std::string wire;
        run_stream(*enc, q, group, shared, false, &wire);
        check_decodes(coding, wire, p.all, name_of(m));
    }

    std::vector<double> first, extra;
    std::size_t wire = 0;
    for (int rep = 0; rep < opt.reps; ++rep) {
        p.fresh();
        if (m == mode::gzip_standalone) {
            // Every chained form made with another dictionary (not timed).
            auto primer = encoder_for(m);
            run_stream(*primer, p, group, true, true);
        }
        auto enc = encoder_for(m);
        auto const r = run_stream(*enc, p, group, shared);
        first.push_back(r.cpu_s * 1e9 / n);
        wire = r.wire;
        if (shared) {
            double sum = 0;
            for (int s = 0; s < opt.extra_subs; ++s) {
                auto e2 = encoder_for(m);
                auto const r2 = run_stream(*e2, p, group, true);
                if (r2.wire != r.wire)
                    die("an extra subscriber's stream differs in size from the first's");
                sum += r2.cpu_s;
            }
            extra.push_back(sum * 1e9 / n / opt.extra_subs);
        }
    }
    res.wire_per_event = static_cast<double>(wire) / n;
    res.first_ns = median(first);
    res.extra_ns = shared ? median(extra) : res.first_ns;
    return res;
}

void section_per_event(options const& opt, std::vector<std::pair<char const*, wire_events>> const& streams)
{
    std::printf("== 2. Per event: bytes on the wire and CPU time, %zu events per stream, median of %d runs ==\n",
                streams.front().second.size(), opt.reps);
    sse::compression_options const d;
    std::printf("   (the defaults: gzip level %d, window 2^%d, memLevel %d; br quality %d, window 2^%d.\n"
                "    ratio = wire / uncompressed; 1st sub = CPU of the first stream over fresh events;\n"
                "    extra sub = CPU of each further stream over the same events (shared forms: lookup only;\n"
                "    a context per stream: every stream compresses, the same figure))\n",
                d.gzip_level, d.gzip_window_bits, d.gzip_mem_level, d.br_quality, d.br_window_bits);
    std::printf("%-10s %-23s %8s %8s %8s %7s %11s %11s\n", "stream", "coding", "ev/write", "raw B/ev", "wire B/ev",
                "ratio", "1st sub ns", "extra ns");
    mode const modes[] = {
        mode::identity, mode::gzip_ctx, mode::gzip_standalone, mode::gzip_chained,
#ifdef SSE_HAS_BROTLI
        mode::br_ctx,
#endif
    };
    for (auto const& [name, ev] : streams) {
        for (auto const m : modes) {
            for (std::size_t group : {std::size_t(1), std::size_t(16)}) {
                auto const r = measure(m, ev, group, opt);
                if (m == mode::identity)
                    std::printf("%-10s %-23s %8zu %8.1f %9.1f %7.3f %11s %11s\n", name, name_of(m), group,
                                r.raw_per_event, r.wire_per_event, 1.0, "-", "-");
                else
                    std::printf("%-10s %-23s %8zu %8.1f %9.1f %7.3f %11.0f %11.0f\n", name, name_of(m), group,
                                r.raw_per_event, r.wire_per_event, r.wire_per_event / r.raw_per_event, r.first_ns,
                                r.extra_ns);
                std::fflush(stdout);
            }
        }
        std::printf("\n");
    }
}

// ------------------------------------------------------------ 3. fan-out

// Bytes the cached forms of an event hold (shared_gzip_encoder's
// attachment), allocations' own overhead not counted.
std::size_t cached_bytes(sse::serialized const& s)
{
    auto* a = sse::detail::serialized_access::attachment(s);
    if (!a)
        return 0;
    auto const& d = static_cast<sse::detail::deflated_event const&>(*a);
    std::size_t n = sizeof d;
    for (auto const* f : {d.standalone.load(), d.chained.load()})
        if (f)
            n += sizeof *f + f->bytes.capacity() + f->dictionary.capacity();
    return n;
}

struct fanout_result {
    double cpu_s = 0;
    std::size_t wire = 0;
    std::size_t context_total = 0;
    std::size_t context_min = 0;
    std::size_t context_max = 0;
    long heap_growth = 0;
};

fanout_result run_fanout(payloads const& p, std::size_t subs, bool shared)
{
    fanout_result r;
    long const heap0 = sse::bench::heap_in_use();
    std::vector<std::unique_ptr<stream_encoder>> encs;
    encs.reserve(subs);
    for (std::size_t s = 0; s < subs; ++s)
        encs.push_back(sse::detail::make_encoder(content_coding::gzip, {}, shared));
    std::size_t const n = p.count();
    double const t0 = sse::bench::thread_cpu_seconds();
    for (std::size_t i = 0; i < n; ++i) {
        net::const_buffer const one(p.all.data() + p.offset[i], p.offset[i + 1] - p.offset[i]);
        for (auto& enc : encs) {
            if (shared)
                enc->encode(std::span(p.bufs.data() + i, 1), std::span(p.sers.data() + i, 1), false);
            else
                enc->encode(std::span(&one, 1), {}, false);
            r.wire += enc->size();
            enc->wrote(64 * 1024);
        }
    }
    r.cpu_s = sse::bench::thread_cpu_seconds() - t0;
    r.heap_growth = sse::bench::heap_in_use() - heap0;
    r.context_min = std::size_t(-1);
    for (auto const& enc : encs) {
        auto const b = enc->context_bytes();
        r.context_total += b;
        r.context_min = std::min(r.context_min, b);
        r.context_max = std::max(r.context_max, b);
    }
    return r;
}

void section_fanout(options const& opt, double ctx_ns_per_event)
{
    std::size_t events = opt.fanout_events;
    std::size_t const subs = opt.subs;
    // The per-subscriber contexts cost about ctx_ns_per_event per delivery
    // (more with S contexts out of cache): scale the events down to the budget.
    double const estimate = ctx_ns_per_event * 1.5 * static_cast<double>(events) * static_cast<double>(subs) * 1e-9;
    bool scaled = false;
    if (estimate > opt.fanout_budget_s) {
        events = std::max<std::size_t>(10, static_cast<std::size_t>(static_cast<double>(events) * opt.fanout_budget_s / estimate));
        scaled = true;
    }
    std::printf("== 3. Fan-out: %zu json events to %zu subscribers (%zu deliveries), one write per delivery ==\n",
                events, subs, events * subs);
    if (scaled)
        std::printf("   (scaled down from %zu events: a gzip context per subscriber was estimated at %.0f s)\n",
                    opt.fanout_events, estimate);
    std::printf("   (events delivered one by one to every subscriber in turn, as a broadcaster does; gzip defaults;\n"
                "    CPU: one thread; heap B/sub: growth of the malloc heap in use over the run, per subscriber,\n"
                "    the shared forms cached on the events left out: contexts plus the buffers encoders keep)\n");

    auto const ev = json_events(events);
    std::printf("%-22s %8s %12s %8s %8s %10s %12s %10s\n", "encoders", "CPU s", "deliveries/s", "ns/deliv",
                "B/deliv", "ctx B/sub", "ctx B, all", "heap B/sub");
    fanout_result shared_result;
    for (bool const shared : {true, false}) {
        payloads p(ev);
        auto const r = run_fanout(p, subs, shared);
        double const deliveries = static_cast<double>(events * subs);
        std::size_t cached = 0;
        for (auto const& s : p.sers)
            cached += cached_bytes(s);
        std::printf("%-22s %8.3f %12.0f %8.0f %8.1f %10zu %12zu %10.0f\n",
                    shared ? "gzip shared blocks" : "gzip context per sub", r.cpu_s, deliveries / r.cpu_s,
                    r.cpu_s * 1e9 / deliveries, static_cast<double>(r.wire) / deliveries, r.context_max,
                    r.context_total, static_cast<double>(r.heap_growth - static_cast<long>(cached)) / static_cast<double>(subs));
        if (r.context_min != r.context_max)
            std::printf("   (context bytes per subscriber from %zu to %zu)\n", r.context_min, r.context_max);
        if (shared) {
            shared_result = r;
            std::printf("   shared forms cached on the events: %zu bytes in all, %.0f per event "
                        "(uncompressed event: %.0f B), held with the events, not per subscriber;\n"
                        "   plus one raw deflater per thread and level that makes them (zlib, window 2^15, memLevel 5: "
                        "2^17 + 2^14 + 6 KiB = 153,600 B)\n",
                        cached, static_cast<double>(cached) / static_cast<double>(events),
                        static_cast<double>(p.all.size()) / static_cast<double>(events));
        } else {
            std::printf("   a context per subscriber against shared blocks: CPU x%.1f, context memory x%.0f, "
                        "bytes x%.2f\n",
                        r.cpu_s / shared_result.cpu_s,
                        static_cast<double>(r.context_total) / static_cast<double>(shared_result.context_total),
                        static_cast<double>(r.wire) / static_cast<double>(shared_result.wire));
        }
    }
    std::printf("\n");
}

// ------------------------------------------------------------ 4. Beast's deflate_stream

// gzip through Beast's deflate_stream: the header once, raw deflate with a
// sync flush per write, the CRC-32 kept (for the trailer, never sent here).
class beast_gzip {
public:
    beast_gzip(int level, int window_bits, int mem_level)
    {
        ds_.reset(level, window_bits, mem_level, boost::beast::zlib::Strategy::normal);
    }

    std::string_view encode(std::string_view in)
    {
        out_.clear();
        if (!header_sent_) {
            static constexpr char header[10] = {0x1f, static_cast<char>(0x8b), 8, 0, 0, 0, 0, 0, 0, static_cast<char>(0xff)};
            out_.append(header, sizeof header);
            header_sent_ = true;
        }
        crc_ = crc32(crc_, reinterpret_cast<Bytef const*>(in.data()), static_cast<uInt>(in.size()));
        boost::beast::zlib::z_params zs;
        zs.next_in = in.data();
        zs.avail_in = in.size();
        for (;;) {
            auto const old = out_.size();
            std::size_t const room = in.size() / 2 + 64;
            out_.resize(old + room);
            zs.next_out = out_.data() + old;
            zs.avail_out = room;
            boost::beast::error_code ec;
            ds_.write(zs, boost::beast::zlib::Flush::sync, ec);
            out_.resize(old + room - zs.avail_out);
            if (ec && ec != boost::beast::zlib::error::need_buffers)
                die("beast deflate_stream failed");
            if (zs.avail_in == 0 && zs.avail_out != 0)
                break;
        }
        return out_;
    }

private:
    boost::beast::zlib::deflate_stream ds_;
    std::string out_;
    uLong crc_ = crc32(0, nullptr, 0);
    bool header_sent_ = false;
};

void section_beast(options const& opt, wire_events const& ev)
{
    std::printf("== 4. gzip per stream: zlib (sse's zlib_encoder) against Beast's zlib::deflate_stream, "
                "json stream, %zu events, median of %d runs ==\n",
                ev.size(), opt.reps);
    std::printf("%-26s %8s %9s %7s %9s %12s\n", "deflater (level/win/mem)", "ev/write", "wire B/ev", "ratio",
                "ns/event", "heap growth");
    payloads const p(ev);
    double const n = static_cast<double>(p.count());
    struct setting {
        int level, window, mem;
    };
    for (auto const s : {setting{6, 12, 5}, setting{6, 15, 8}, setting{1, 12, 5}}) {
        for (std::size_t group : {std::size_t(1), std::size_t(16)}) {
            sse::compression_options o;
            o.gzip_level = s.level;
            o.gzip_window_bits = s.window;
            o.gzip_mem_level = s.mem;
            char label[40];

            // zlib
            std::vector<double> ns;
            std::size_t wire = 0;
            long heap = 0;
            for (int rep = 0; rep < opt.reps; ++rep) {
                long const h0 = sse::bench::heap_in_use();
                auto enc = sse::detail::make_encoder(content_coding::gzip, o, false);
                heap = sse::bench::heap_in_use() - h0;
                auto const r = run_stream(*enc, p, group, false);
                ns.push_back(r.cpu_s * 1e9 / n);
                wire = r.wire;
            }
            std::snprintf(label, sizeof label, "zlib %d/%d/%d", s.level, s.window, s.mem);
            std::printf("%-26s %8zu %9.1f %7.3f %9.0f %12ld\n", label, group, static_cast<double>(wire) / n,
                        static_cast<double>(wire) / static_cast<double>(p.all.size()), median(ns), heap);

            // Beast: checked once, then timed.
            {
                beast_gzip b(s.level, s.window, s.mem);
                std::string out;
                for (std::size_t i = 0; i < p.count(); i += group) {
                    std::size_t const k = std::min(group, p.count() - i);
                    out += b.encode(std::string_view(p.all).substr(p.offset[i], p.offset[i + k] - p.offset[i]));
                }
                check_decodes(content_coding::gzip, out, p.all, "Beast's deflate_stream");
            }
            ns.clear();
            for (int rep = 0; rep < opt.reps; ++rep) {
                long const h0 = sse::bench::heap_in_use();
                beast_gzip b(s.level, s.window, s.mem);
                wire = 0;
                double const t0 = sse::bench::thread_cpu_seconds();
                for (std::size_t i = 0; i < p.count(); i += group) {
                    std::size_t const k = std::min(group, p.count() - i);
                    wire += b.encode(std::string_view(p.all).substr(p.offset[i], p.offset[i + k] - p.offset[i])).size();
                    if (i == 0)
                        heap = sse::bench::heap_in_use() - h0; // Beast allocates on the first write
                }
                ns.push_back((sse::bench::thread_cpu_seconds() - t0) * 1e9 / n);
            }
            std::snprintf(label, sizeof label, "beast %d/%d/%d", s.level, s.window, s.mem);
            std::printf("%-26s %8zu %9.1f %7.3f %9.0f %12ld\n", label, group, static_cast<double>(wire) / n,
                        static_cast<double>(wire) / static_cast<double>(p.all.size()), median(ns), heap);
        }
    }
    std::printf("   (heap growth: the malloc heap in use after creating the deflater (Beast: after its first write),\n"
                "    output buffer included; sse's zlib figure is the context without its output)\n\n");
}

// ------------------------------------------------------------ 5. memory per context

void section_memory(wire_events const& ev)
{
    std::printf("== 5. Memory of one per-stream context: stream_encoder::context_bytes() ==\n");
    std::size_t const warm = std::min<std::size_t>(1000, ev.size());
    payloads const p(wire_events(ev.begin(), ev.begin() + static_cast<std::ptrdiff_t>(warm)));
    payloads const one(wire_events(ev.begin(), ev.begin() + 1));
    char after[32];
    std::snprintf(after, sizeof after, "after %zu", warm);
    std::printf("%-34s %9s %13s %11s %14s %10s\n", "coding and settings", "created", "after 1 write", after,
                "docs' formula", "wire B/ev");
    auto show = [&](char const* label, content_coding c, sse::compression_options const& o, long formula) {
        auto enc = sse::detail::make_encoder(c, o, false);
        auto const created = enc->context_bytes();
        run_stream(*enc, one, 1, false);
        auto const first = enc->context_bytes();
        auto enc2 = sse::detail::make_encoder(c, o, false);
        auto const r = run_stream(*enc2, p, 1, false);
        char f[24] = "-";
        if (formula > 0)
            std::snprintf(f, sizeof f, "%ld", formula);
        std::printf("%-34s %9zu %13zu %11zu %14s %10.1f\n", label, created, first, enc2->context_bytes(), f,
                    static_cast<double>(r.wire) / static_cast<double>(p.count()));
    };
    sse::compression_options const defaults;
    auto gzip_formula = [](int w, int m) { return (1L << (w + 2)) + (1L << (m + 9)) + 6 * 1024; };
    char label[64];
    std::snprintf(label, sizeof label, "gzip defaults (level %d, %d, %d)", defaults.gzip_level,
                  defaults.gzip_window_bits, defaults.gzip_mem_level);
    show(label, content_coding::gzip, defaults, gzip_formula(defaults.gzip_window_bits, defaults.gzip_mem_level));
    for (int w : {9, 12, 15}) {
        for (int m : {1, 5, 8}) {
            sse::compression_options o;
            o.gzip_window_bits = w;
            o.gzip_mem_level = m;
            std::snprintf(label, sizeof label, "gzip window %d, memLevel %d", w, m);
            show(label, content_coding::gzip, o, gzip_formula(w, m));
        }
    }
#ifdef SSE_HAS_BROTLI
    std::snprintf(label, sizeof label, "br defaults (quality %d, window %d)", defaults.br_quality,
                  defaults.br_window_bits);
    show(label, content_coding::br, defaults, 0);
    for (int q : {0, 1, 2, 3, 4, 5}) {
        for (int w : {16, 22}) {
            sse::compression_options o;
            o.br_quality = q;
            o.br_window_bits = w;
            std::snprintf(label, sizeof label, "br quality %d, window %d", q, w);
            show(label, content_coding::br, o, 0);
        }
    }
#endif
    {
        auto enc = sse::detail::make_encoder(content_coding::gzip, defaults, true);
        std::printf("%-34s %9zu %13s %11s %14s %10s\n", "gzip shared blocks", enc->context_bytes(), "(same)",
                    "(same)", "-", "(sect. 2)");
    }
    std::printf("   (json events, one per write; wire B/ev over the %zu. The docs' formula is compression.hpp's\n"
                "    2^(window+2) + 2^(memLevel+9) + 6 KiB. brotli allocates its hasher at the first write and its\n"
                "    ring buffer in full at the second; at quality 0 and 1 it keeps neither)\n",
                warm);
}

} // namespace

int main(int argc, char** argv)
{
    options opt;
    for (int i = 1; i < argc; ++i) {
        std::string_view const a = argv[i];
        auto value = [&]() -> long {
            if (i + 1 >= argc)
                die("an option lacks its value");
            return std::strtol(argv[++i], nullptr, 10);
        };
        if (a == "--quick") {
            opt.quick = true;
            opt.events = 200;
            opt.reps = 1;
            opt.extra_subs = 1;
            opt.subs = 20;
            opt.fanout_events = 50;
        } else if (a == "--events") {
            opt.events = static_cast<std::size_t>(std::max(16L, value()));
        } else if (a == "--reps") {
            opt.reps = static_cast<int>(std::max(1L, value()));
        } else if (a == "--subs") {
            opt.subs = static_cast<std::size_t>(std::max(1L, value()));
        } else if (a == "--fanout-events") {
            opt.fanout_events = static_cast<std::size_t>(std::max(10L, value()));
        } else if (a == "--fanout-budget") {
            opt.fanout_budget_s = static_cast<double>(std::max(1L, value()));
        } else {
            std::fprintf(stderr,
                         "usage: bench_compression [--quick] [--events N] [--reps N] [--subs N] "
                         "[--fanout-events N] [--fanout-budget SECONDS]\n");
            return 2;
        }
    }

    auto const json = json_events(opt.events);
    std::vector<std::pair<char const*, wire_events>> const streams = {
        {"json", json},
        {"stream64", stream_events(opt.events, 64)},
        {"stream100", stream_events(opt.events, 100)},
    };
    std::printf("bench_compression: zlib %s", zlibVersion());
#ifdef SSE_HAS_BROTLI
    std::printf(", brotli encoder");
#else
    std::printf(", no brotli");
#endif
#ifndef SSE_BENCH_HAS_BROTLIDEC
    std::printf(" (br output not checked: no libbrotlidec)");
#endif
    std::printf("%s\n", opt.quick ? "; --quick: tiny counts, figures not meaningful" : "");
    std::printf("== 1. Event streams: %zu events each ==\n", opt.events);
    std::printf("%-10s %8s  %s\n", "stream", "B/event", "first event");
    for (auto const& [name, ev] : streams) {
        std::string first = ev.front();
        for (std::size_t at = 0; (at = first.find('\n', at)) != std::string::npos; at += 2)
            first.replace(at, 1, "\\n");
        std::printf("%-10s %8.1f  %s\n", name,
                    static_cast<double>(total_size(ev)) / static_cast<double>(ev.size()), first.c_str());
    }
    std::printf("\n");

    section_per_event(opt, streams);

    // The fan-out's budget from the per-stream gzip figure on json.
    options once = opt;
    once.reps = 1;
    auto const head = static_cast<std::ptrdiff_t>(std::min<std::size_t>(1000, json.size()));
    auto const ctx = measure(mode::gzip_ctx, wire_events(json.begin(), json.begin() + head), 1, once);
    section_fanout(opt, ctx.first_ns);

    section_beast(opt, json);
    section_memory(json);
    return 0;
}
