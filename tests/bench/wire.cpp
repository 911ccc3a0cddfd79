//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Benchmarks of the wire format: serializing messages (into a char buffer, a
// std::string and a beast::flat_buffer) and parsing event streams.
//
// Each group of benchmarks is preceded by a memcpy of the same number of
// bytes (the serialized size, or the stream size), run in the same process
// right before it, and every benchmark reports bytes/s. After Google
// Benchmark's own table a summary gives each figure as a ratio of its memcpy
// and checks it against the project's goals:
//
//   - serializing 64 KiB of data at >= 0.5x memcpy bandwidth;
//   - a small message (id, event, 16 bytes of data) in <= 50 ns;
//   - parsing 4 KiB events at >= 1 GB/s (GB = 10^9 bytes).
//
// Run it from an optimised build, e.g.
//
//   bench_wire --benchmark_min_time=0.2
//   bench_wire --benchmark_filter=parse --benchmark_repetitions=5
//
// With repetitions the summary uses the medians. The summary is printed with
// the console format only (not with --benchmark_format=json or csv).

#include <sse/message.hpp>
#include <sse/parser.hpp>

#include <boost/beast/core/flat_buffer.hpp>

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

// ------------------------------------------------------------------ inputs

// n printable ASCII bytes (no CR, no LF); when line_every is not zero, every
// line_every-th byte is a LF instead, so lines are line_every - 1 bytes long.
std::string make_text(std::size_t n, std::size_t line_every)
{
    std::string s(n, ' ');
    for (std::size_t i = 0; i < n; ++i)
        s[i] = static_cast<char>('!' + (i * 7 + i / 13) % 94);
    if (line_every != 0) {
        for (std::size_t i = line_every - 1; i < n; i += line_every)
            s[i] = '\n';
    }
    return s;
}

constexpr std::string_view small_id = "12345";
constexpr std::string_view small_event = "update";

std::string const& small_data()
{
    static std::string const s = make_text(16, 0);
    return s;
}

sse::message make_small_message()
{
    return sse::message{}.id(small_id).event(small_event).data(small_data());
}

std::string to_bytes(std::size_t n)
{
    if (n % 1024 == 0)
        return std::to_string(n / 1024) + "KiB";
    return std::to_string(n) + "B";
}

// A stream of `count` events of `size` bytes of data each, one data line
// each: "data: ...\n\n".
std::string make_large_event_stream(std::size_t size, std::size_t count)
{
    std::string const data = make_text(size, 0);
    std::string s;
    s.reserve(count * (size + 8));
    for (std::size_t i = 0; i < count; ++i) {
        s += "data: ";
        s += data;
        s += "\n\n";
    }
    return s;
}

// A stream of `count` small events: "id: N\nevent: update\ndata: <16>\n\n",
// with five-digit increasing ids.
std::string make_small_event_stream(std::size_t count)
{
    std::string s;
    s.reserve(count * 48);
    for (std::size_t i = 0; i < count; ++i) {
        s += "id: ";
        s += std::to_string(10000 + i % 90000);
        s += "\nevent: ";
        s += small_event;
        s += "\ndata: ";
        s += small_data();
        s += "\n\n";
    }
    return s;
}

[[noreturn]] void fail(std::string const& what)
{
    std::fprintf(stderr, "bench_wire: %s\n", what.c_str());
    std::exit(EXIT_FAILURE);
}

std::int64_t as_int64(std::size_t n)
{
    return static_cast<std::int64_t>(n);
}

// ---------------------------------------------------------------- goals

// What the summary checks a benchmark against.
struct goal {
    enum kind_type { none, min_ratio, max_ns, min_gbps } kind = none;
    double target = 0;
};

// A registered benchmark and the memcpy it is compared with.
struct entry {
    std::string name;
    std::string baseline; // empty for the memcpy itself
    goal target;
};

std::vector<entry>& entries()
{
    static std::vector<entry> v;
    return v;
}

template <class Function, class... Args>
benchmark::internal::Benchmark*
add(std::string const& name, std::string const& baseline, goal g, Function fn, Args&&... args)
{
    entries().push_back({name, baseline, g});
    return benchmark::RegisterBenchmark(name.c_str(), fn, std::forward<Args>(args)...);
}

// --------------------------------------------------------------- baseline

// Copies n bytes between two buffers that stay in cache, as the serializer
// and the parser would.
void bm_memcpy(benchmark::State& state, std::size_t n)
{
    std::vector<char> src(n, 'x');
    std::vector<char> dst(n);
    char const* s = src.data();
    char* d = dst.data();
    for (auto _ : state) {
        // The size is opaque too, as the serializer's sizes are.
        benchmark::DoNotOptimize(s);
        benchmark::DoNotOptimize(d);
        benchmark::DoNotOptimize(n);
        std::memcpy(d, s, n);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(state.iterations() * as_int64(n));
}

// Registers the memcpy of n bytes and returns its name.
std::string add_memcpy(std::size_t n)
{
    std::string const name = "memcpy/" + std::to_string(n);
    add(name, {}, {}, bm_memcpy, n);
    return name;
}

// ---------------------------------------------------------- serialization

// msg.serialize(char*) into a buffer allocated once.
void bm_serialize_pointer(benchmark::State& state, sse::message const& msg)
{
    std::size_t const n = msg.serialized_size();
    std::vector<char> buf(n);
    char* const out = buf.data();
    char* end = out;
    for (auto _ : state) {
        benchmark::DoNotOptimize(out);
        end = msg.serialize(out);
        benchmark::DoNotOptimize(end);
        benchmark::ClobberMemory();
    }
    if (end != out + n)
        state.SkipWithError("serialize(char*) wrote a wrong number of bytes");
    state.SetBytesProcessed(state.iterations() * as_int64(n));
}

// sse::serialize(msg, std::string&) into a string cleared each time, which
// keeps its capacity.
void bm_serialize_string(benchmark::State& state, sse::message const& msg)
{
    std::size_t const n = msg.serialized_size();
    std::string s;
    s.reserve(n);
    for (auto _ : state) {
        s.clear();
        sse::serialize(msg, s);
        benchmark::DoNotOptimize(s.data());
        benchmark::ClobberMemory();
    }
    if (s.size() != n)
        state.SkipWithError("serialize(std::string&) wrote a wrong number of bytes");
    state.SetBytesProcessed(state.iterations() * as_int64(n));
}

// sse::serialize(msg, flat_buffer&), the buffer consumed each time, which
// keeps its storage.
void bm_serialize_flat_buffer(benchmark::State& state, sse::message const& msg)
{
    std::size_t const n = msg.serialized_size();
    boost::beast::flat_buffer b;
    std::size_t written = 0;
    for (auto _ : state) {
        sse::serialize(msg, b);
        written = b.size();
        benchmark::DoNotOptimize(b.data().data());
        benchmark::ClobberMemory();
        b.consume(b.size());
    }
    if (written != n)
        state.SkipWithError("serialize(flat_buffer&) wrote a wrong number of bytes");
    state.SetBytesProcessed(state.iterations() * as_int64(n));
}

// Builds a new message (as `sse::message{}.id(..).event(..).data(..)` does:
// the 16-byte data does not fit in the short-string buffer, so this
// allocates) and serializes it into a buffer allocated once.
void bm_build_serialize_pointer(benchmark::State& state)
{
    std::string_view id = small_id;
    std::string_view event = small_event;
    std::string_view data = small_data();
    std::size_t const n = make_small_message().serialized_size();
    std::vector<char> buf(n);
    char* const out = buf.data();
    char* end = out;
    for (auto _ : state) {
        benchmark::DoNotOptimize(id);
        benchmark::DoNotOptimize(event);
        benchmark::DoNotOptimize(data);
        benchmark::DoNotOptimize(out);
        auto const msg = sse::message{}.id(id).event(event).data(data);
        end = msg.serialize(out);
        benchmark::DoNotOptimize(end);
        benchmark::ClobberMemory();
    }
    if (end != out + n)
        state.SkipWithError("serialize(char*) wrote a wrong number of bytes");
    state.SetBytesProcessed(state.iterations() * as_int64(n));
}

// Clears and refills one message (its strings keep their capacity, so this
// does not allocate) and serializes it into a buffer allocated once.
void bm_rebuild_serialize_pointer(benchmark::State& state)
{
    std::string_view id = small_id;
    std::string_view event = small_event;
    std::string_view data = small_data();
    std::size_t const n = make_small_message().serialized_size();
    std::vector<char> buf(n);
    char* const out = buf.data();
    char* end = out;
    sse::message msg;
    for (auto _ : state) {
        benchmark::DoNotOptimize(id);
        benchmark::DoNotOptimize(event);
        benchmark::DoNotOptimize(data);
        benchmark::DoNotOptimize(out);
        msg.clear();
        msg.id(id).event(event).data(data);
        end = msg.serialize(out);
        benchmark::DoNotOptimize(end);
        benchmark::ClobberMemory();
    }
    if (end != out + n)
        state.SkipWithError("serialize(char*) wrote a wrong number of bytes");
    state.SetBytesProcessed(state.iterations() * as_int64(n));
}

void register_small_message()
{
    sse::message const msg = make_small_message();
    std::string const expected = "id: 12345\nevent: update\ndata: " + small_data() + "\n\n";
    if (sse::to_string(msg) != expected)
        fail("the small message does not serialize as expected");

    goal const g{goal::max_ns, 50};
    std::string const base = add_memcpy(msg.serialized_size());
    add("serialize/small/pointer", base, g, bm_serialize_pointer, msg);
    add("serialize/small/string", base, g, bm_serialize_string, msg);
    add("serialize/small/build+pointer", base, g, bm_build_serialize_pointer);
    add("serialize/small/reuse+pointer", base, g, bm_rebuild_serialize_pointer);
}

// Data of `size` bytes, without line breaks or with a LF every 80 bytes.
void register_large_message(std::size_t size, bool breaks, bool flat_buffer, goal g)
{
    sse::message const msg = sse::message{}.data(make_text(size, breaks ? 80 : 0));
    std::string const prefix = "serialize/" + to_bytes(size) + (breaks ? "/lf80" : "/nolf");
    std::string const base = add_memcpy(msg.serialized_size());
    add(prefix + "/pointer", base, g, bm_serialize_pointer, msg);
    add(prefix + "/string", base, g, bm_serialize_string, msg);
    if (flat_buffer)
        add(prefix + "/flat_buffer", base, g, bm_serialize_flat_buffer, msg);
}

// ---------------------------------------------------------------- parsing

// Parses the whole stream with one parser, reset for each pass, feeding it
// `chunk` bytes at a time (the whole stream when chunk is 0), and counts the
// events.
void bm_parse(benchmark::State& state, std::string const& stream, std::size_t chunk, std::size_t expected)
{
    if (chunk == 0)
        chunk = stream.size();
    sse::parser p;
    std::size_t events = 0;
    for (auto _ : state) {
        p.reset();
        std::size_t count = 0;
        std::string_view rest = stream;
        benchmark::DoNotOptimize(rest);
        while (!rest.empty()) {
            std::string_view in = rest.substr(0, chunk);
            rest.remove_prefix(in.size());
            while (!in.empty()) {
                if (p.parse(in) == sse::parse_result::event) {
                    sse::event_view ev = p.event();
                    benchmark::DoNotOptimize(ev);
                    ++count;
                }
            }
        }
        benchmark::ClobberMemory();
        if (count != expected) {
            state.SkipWithError("the parser dispatched a wrong number of events");
            break;
        }
        events += count;
    }
    state.SetBytesProcessed(state.iterations() * as_int64(stream.size()));
    state.counters["events"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}

void check_stream(std::string const& stream, std::size_t count, std::size_t data_size)
{
    auto const events = sse::parse_events(stream);
    if (events.size() != count)
        fail("the parser does not read the benchmark stream as expected");
    for (auto const& e : events) {
        if (e.data.size() != data_size)
            fail("the parser does not read the benchmark stream's data as expected");
    }
}

void register_parse()
{
    // 256 events of 4 KiB data: 1 MiB + 2 KiB of stream.
    {
        std::size_t const count = 256;
        std::string const stream = make_large_event_stream(4096, count);
        check_stream(stream, count, 4096);
        std::string const base = add_memcpy(stream.size());
        goal const g{goal::min_gbps, 1.0};
        add("parse/4KiB_events", base, g, bm_parse, stream, std::size_t{0}, count)->Unit(benchmark::kMicrosecond);
        // As read from a socket: lines split across reads are buffered.
        add("parse/4KiB_events/read:16KiB", base, g, bm_parse, stream, std::size_t{16384}, count)
            ->Unit(benchmark::kMicrosecond);
    }
    // 21845 small events of 48 bytes: 1 MiB of stream.
    {
        std::size_t const count = 1024 * 1024 / 48;
        std::string const stream = make_small_event_stream(count);
        check_stream(stream, count, 16);
        std::string const base = add_memcpy(stream.size());
        add("parse/small_events", base, {}, bm_parse, stream, std::size_t{0}, count)->Unit(benchmark::kMicrosecond);
    }
}

// ---------------------------------------------------------------- summary

// Google Benchmark's console table, then each figure against its memcpy.
class summary_reporter : public benchmark::ConsoleReporter {
public:
    using ConsoleReporter::ConsoleReporter;

    void ReportRuns(std::vector<Run> const& runs) override
    {
        ConsoleReporter::ReportRuns(runs);
        for (Run const& r : runs) {
            if (r.error_occurred)
                continue;
            // With repetitions keep the median (it is reported last).
            if (r.run_type == Run::RT_Aggregate && r.aggregate_name != "median")
                continue;
            auto const bps = r.counters.find("bytes_per_second");
            if (bps == r.counters.end())
                continue;
            // CPU time, as Google Benchmark uses for bytes_per_second.
            double const seconds = r.GetAdjustedCPUTime() / benchmark::GetTimeUnitMultiplier(r.time_unit);
            results_[r.run_name.str()] = {seconds * 1e9, bps->second.value};
        }
    }

    void Finalize() override
    {
        ConsoleReporter::Finalize();
        std::ostream& out = GetOutputStream();
        char line[256];
        std::snprintf(line, sizeof line, "\n%-34s %12s %9s %12s %9s  %s\n", "Summary (GB = 1e9 B)", "ns/op", "GB/s",
                      "memcpy GB/s", "x memcpy", "goal");
        out << line;
        out << std::string(100, '-') << '\n';
        for (entry const& e : entries()) {
            auto const it = results_.find(e.name);
            if (it == results_.end())
                continue;
            result const& r = it->second;
            double const gbps = r.bytes_per_second / 1e9;
            std::string base_gbps = "-";
            std::string ratio = "-";
            double ratio_value = 0;
            bool have_ratio = false;
            if (!e.baseline.empty()) {
                auto const b = results_.find(e.baseline);
                if (b != results_.end() && b->second.bytes_per_second > 0) {
                    ratio_value = r.bytes_per_second / b->second.bytes_per_second;
                    have_ratio = true;
                    base_gbps = format("%.2f", b->second.bytes_per_second / 1e9);
                    ratio = format("%.2f", ratio_value);
                }
            }
            std::string verdict;
            switch (e.target.kind) {
            case goal::none: break;
            case goal::max_ns:
                verdict = format("<= %.0f ns: ", e.target.target) + (r.ns <= e.target.target ? "met" : "MISSED");
                break;
            case goal::min_gbps:
                verdict = format(">= %.1f GB/s: ", e.target.target) + (gbps >= e.target.target ? "met" : "MISSED");
                break;
            case goal::min_ratio:
                if (have_ratio)
                    verdict = format(">= %.2fx memcpy: ", e.target.target) +
                              (ratio_value >= e.target.target ? "met" : "MISSED");
                else
                    verdict = "(memcpy baseline not run)";
                break;
            }
            std::snprintf(line, sizeof line, "%-34s %12.1f %9.2f %12s %9s  %s\n", e.name.c_str(), r.ns, gbps,
                          base_gbps.c_str(), ratio.c_str(), verdict.c_str());
            out << line;
        }
        out.flush();
    }

private:
    struct result {
        double ns = 0;
        double bytes_per_second = 0;
    };

    static std::string format(char const* fmt, double v)
    {
        char buf[64];
        std::snprintf(buf, sizeof buf, fmt, v);
        return buf;
    }

    std::map<std::string, result> results_;
};

} // namespace

int main(int argc, char** argv)
{
    bool console = true;
    for (int i = 1; i < argc; ++i) {
        std::string_view const a = argv[i];
        if (a.starts_with("--benchmark_format=") && a != "--benchmark_format=console")
            console = false;
    }

    register_small_message();
    goal const half_memcpy{goal::min_ratio, 0.5};
    for (std::size_t const size : {std::size_t{4096}, std::size_t{65536}}) {
        goal const g = size == 65536 ? half_memcpy : goal{};
        register_large_message(size, false, size == 4096, g);
        register_large_message(size, true, size == 4096, g);
    }
    register_parse();

    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    if (console) {
        summary_reporter reporter(benchmark::ConsoleReporter::OO_None);
        benchmark::RunSpecifiedBenchmarks(&reporter);
    } else {
        benchmark::RunSpecifiedBenchmarks();
    }
    benchmark::Shutdown();
    return 0;
}
