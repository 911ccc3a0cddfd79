//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Compressed event streams: the choice of a coding from Accept-Encoding,
// the encoders (every write decodes whole at once, the end finishes the
// coding), shared gzip blocks (valid for every interleaving, made once even
// when streams on several threads ask at once), and the engine and
// stream_response around them.

// Test that header file is self-contained.
#include <sse/compression.hpp>

#include <sse/detail/encoder.hpp>
#include <sse/detail/stream_engine.hpp>
#include <sse/message.hpp>
#include <sse/parser.hpp>
#include <sse/response.hpp>
#include <sse/serialized.hpp>
#include <sse/sources/range.hpp>
#include <sse/stream_response.hpp>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>

#include <brotli/decode.h>
#include <zlib.h>

#include "catch.hpp"

#include <array>
#include <atomic>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace http = boost::beast::http;
using sse::content_coding;

namespace {

// -------------------------------------------------------------- decoders

// Decodes a gzip or br body as it arrives, and says whether it ended.
class decoder {
public:
    explicit decoder(content_coding c) : coding_(c)
    {
        if (c == content_coding::gzip) {
            REQUIRE(inflateInit2(&zs_, 31) == Z_OK); // 31: gzip only, CRC and length checked
        } else {
            br_ = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
            REQUIRE(br_);
        }
    }

    ~decoder()
    {
        if (coding_ == content_coding::gzip)
            inflateEnd(&zs_);
        else
            BrotliDecoderDestroyInstance(br_);
    }

    decoder(decoder const&) = delete;
    decoder& operator=(decoder const&) = delete;

    // Everything `in` decodes to now.
    std::string feed(std::string_view in)
    {
        std::string out;
        std::array<char, 4096> buf;
        if (coding_ == content_coding::gzip) {
            zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
            zs_.avail_in = static_cast<uInt>(in.size());
            for (;;) {
                zs_.next_out = reinterpret_cast<Bytef*>(buf.data());
                zs_.avail_out = buf.size();
                int const r = inflate(&zs_, Z_SYNC_FLUSH);
                out.append(buf.data(), buf.size() - zs_.avail_out);
                if (r == Z_STREAM_END) {
                    ended_ = true;
                    REQUIRE(zs_.avail_in == 0); // nothing after the trailer
                    break;
                }
                if (r == Z_BUF_ERROR || (zs_.avail_in == 0 && zs_.avail_out != 0))
                    break;
                REQUIRE(r == Z_OK);
            }
        } else {
            auto const* next_in = reinterpret_cast<std::uint8_t const*>(in.data());
            std::size_t avail_in = in.size();
            for (;;) {
                auto* next_out = reinterpret_cast<std::uint8_t*>(buf.data());
                std::size_t avail_out = buf.size();
                auto const r = BrotliDecoderDecompressStream(br_, &avail_in, &next_in, &avail_out, &next_out, nullptr);
                out.append(buf.data(), buf.size() - avail_out);
                REQUIRE(r != BROTLI_DECODER_RESULT_ERROR);
                if (r == BROTLI_DECODER_RESULT_SUCCESS) {
                    ended_ = true;
                    REQUIRE(avail_in == 0);
                    break;
                }
                if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT)
                    break;
            }
        }
        return out;
    }

    bool ended() const noexcept { return ended_; }

private:
    content_coding coding_;
    z_stream zs_{};
    BrotliDecoderState* br_ = nullptr;
    bool ended_ = false;
};

std::string join(std::span<sse::net::const_buffer const> buffers)
{
    std::string s;
    for (auto const b : buffers)
        s.append(static_cast<char const*>(b.data()), b.size());
    return s;
}

sse::serialized event(std::string const& data, std::string const& id = {})
{
    sse::message m;
    if (!id.empty())
        m.id(id);
    m.data(data);
    return sse::serialized(m);
}

// A JSON-like event: what compresses well across events.
sse::serialized quote(int n)
{
    return event(
        R"({"id":)" + std::to_string(n) + R"(,"user":"user-)" + std::to_string(n % 17) +
            R"(","type":"price","symbol":"ABCD","price":)" + std::to_string(100 + n % 50) + ".25}",
        std::to_string(n)
    );
}

// One write as the message queue hands it to an encoder: the payload, and
// the serialized values among it, each a buffer of its own.
struct one_write {
    std::vector<sse::serialized> shared;
    std::string copied; // bytes not shared (a heartbeat, retry)
    std::vector<sse::net::const_buffer> payload;
    std::string plain;

    one_write& add(sse::serialized const& s)
    {
        shared.push_back(s);
        return *this;
    }

    // Builds the payload: shared values, then the copied bytes.
    void build(std::string_view extra = {})
    {
        copied = std::string(extra);
        payload.clear();
        plain.clear();
        for (auto const& s : shared) {
            payload.push_back(s.buffer());
            plain += s.view();
        }
        if (!copied.empty()) {
            payload.push_back(sse::net::buffer(copied));
            plain += copied;
        }
    }
};

std::vector<content_coding> const all_codings = {content_coding::gzip, content_coding::br};

sse::compression_options on()
{
    sse::compression_options o;
    o.enabled = true;
    return o;
}

} // namespace

// ----------------------------------------------------------- negotiation

TEST_CASE("choose_coding: br, else gzip, else none; q-values honoured", "[compression]")
{
    auto const o = on();
    auto const c = [&](std::string_view h) { return sse::choose_coding(h, o); };
    CHECK(c("gzip, deflate, br") == content_coding::br); // what browsers send
    CHECK(c("gzip") == content_coding::gzip);
    CHECK(c("br") == content_coding::br);
    CHECK(c("deflate") == content_coding::identity);
    CHECK(c("") == content_coding::identity); // no header: not asked
    CHECK(c("identity") == content_coding::identity);
    CHECK(c("GZIP") == content_coding::gzip);  // case-insensitive
    CHECK(c("x-gzip") == content_coding::gzip); // the old name
    CHECK(c("br;q=0.5, gzip;q=0.8") == content_coding::gzip);
    CHECK(c("br;q=0.8, gzip;q=0.8") == content_coding::br); // a tie: br
    CHECK(c("br;q=0, gzip") == content_coding::gzip);
    CHECK(c("gzip;q=0") == content_coding::identity);
    CHECK(c("*") == content_coding::br);
    CHECK(c("*;q=0") == content_coding::identity);
    CHECK(c("*;q=0.5, br;q=0") == content_coding::gzip);
    CHECK(c("gzip;q=0.5, identity") == content_coding::identity); // identity listed and preferred
    CHECK(c("gzip;q=0.5, identity;q=0.4") == content_coding::gzip);
    CHECK(c("gzip, identity;q=0") == content_coding::gzip);
    CHECK(c("gzip;q=0.001") == content_coding::gzip);
    CHECK(c("gzip; q=1.000") == content_coding::gzip);
    CHECK(c(" gzip ;Q=0.7 ,br ; q=0.6") == content_coding::gzip);

    // What cannot be read is skipped, never an error.
    CHECK(c("gzip;q=2") == content_coding::identity);
    CHECK(c("gzip;q=-1") == content_coding::identity);
    CHECK(c("gzip;q=abc") == content_coding::identity);
    CHECK(c("gzip;q=0.0001") == content_coding::identity);
    CHECK(c("gzip;q=1.5") == content_coding::identity);
    CHECK(c("gzip;q") == content_coding::identity);
    CHECK(c("gzip;q=abc, br") == content_coding::br);
    CHECK(c("@@@;;;,,") == content_coding::identity);
    CHECK(c(",,,gzip,,,") == content_coding::gzip);
    CHECK(c(std::string(100000, ',') + "gzip") == content_coding::gzip);
    CHECK(c(std::string(100000, 'x')) == content_coding::identity);

    // What the options offer.
    auto o2 = o;
    o2.br = false;
    CHECK(sse::choose_coding("gzip, br", o2) == content_coding::gzip);
    CHECK(sse::choose_coding("br", o2) == content_coding::identity);
    o2.gzip = false;
    CHECK(sse::choose_coding("gzip, br", o2) == content_coding::identity);
    CHECK(sse::choose_coding("gzip, br", sse::compression_options{}) == content_coding::identity); // off by default
}

TEST_CASE("stream_response: Content-Encoding and Vary from the request and the options", "[compression]")
{
    auto const response = [](std::string_view accept, bool enabled, std::string_view vary = {}) {
        http::request<http::empty_body> req(http::verb::get, "/events", 11);
        if (!accept.empty())
            req.set(http::field::accept_encoding, accept);
        sse::stream_options o;
        o.compression.enabled = enabled;
        sse::stream_response res{req, std::vector<sse::message>{}, o};
        if (!vary.empty())
            res.header().set(http::field::vary, vary);
        return res.release();
    };
    {
        auto const p = response("gzip, br", true);
        CHECK(p.coding == content_coding::br);
        CHECK(p.header[http::field::content_encoding] == "br");
        CHECK(p.header[http::field::vary] == "Accept-Encoding");
        CHECK(!p.shared_blocks); // messages, not shared bytes
    }
    {
        auto const p = response("", true);
        CHECK(p.coding == content_coding::identity);
        CHECK(p.header.count(http::field::content_encoding) == 0);
        CHECK(p.header[http::field::vary] == "Accept-Encoding"); // it varies all the same
    }
    {
        auto const p = response("gzip", false);
        CHECK(p.coding == content_coding::identity);
        CHECK(p.header.count(http::field::content_encoding) == 0);
        CHECK(p.header.count(http::field::vary) == 0);
    }
    CHECK(response("gzip", true, "Origin").header[http::field::vary] == "Origin, Accept-Encoding");
    CHECK(response("gzip", true, "origin, accept-encoding").header[http::field::vary] == "origin, accept-encoding");

    // Repeated lines are one list.
    {
        http::request<http::empty_body> req(http::verb::get, "/events", 11);
        req.insert(http::field::accept_encoding, "identity;q=0.5");
        req.insert(http::field::accept_encoding, "gzip");
        sse::stream_options o;
        o.compression.enabled = true;
        CHECK(sse::stream_response{req, std::vector<sse::message>{}, o}.coding() == content_coding::gzip);
    }

    // A source of serialized bytes in gzip shares blocks.
    http::request<http::empty_body> req(http::verb::get, "/events", 11);
    req.set(http::field::accept_encoding, "gzip");
    sse::stream_options o;
    o.compression.enabled = true;
    auto p = sse::stream_response{req, std::vector<sse::serialized>{}, o}.release();
    CHECK(p.coding == content_coding::gzip);
    CHECK(p.shared_blocks);
    // Type erasure (sse::response) keeps what the source was.
    {
        sse::response r = sse::stream_response{req, std::vector<sse::serialized>{}, o};
        CHECK(r.stream().release().shared_blocks);
        sse::response m = sse::stream_response{req, std::vector<sse::message>{}, o};
        auto const pm = m.stream().release();
        CHECK(pm.coding == content_coding::gzip);
        CHECK(!pm.shared_blocks);
    }
    o.compression.sharing = sse::compression_sharing::per_stream;
    CHECK(!sse::stream_response{req, std::vector<sse::serialized>{}, o}.release().shared_blocks);

    // Options out of range: a clear error when the response is made.
    o.compression.gzip_window_bits = 16;
    CHECK_THROWS_AS((sse::stream_response{req, std::vector<sse::message>{}, o}), std::invalid_argument);
    o.compression.gzip_window_bits = 12;
    o.compression.br_quality = 12;
    CHECK_THROWS_AS((sse::stream_response{req, std::vector<sse::message>{}, o}), std::invalid_argument);
}

// ------------------------------------------------------------- encoders

TEST_CASE("encoders: every write decodes whole at once, the end finishes the coding", "[compression]")
{
    for (auto const coding : all_codings) {
        for (bool const shared : {false, true}) {
            if (shared && coding != content_coding::gzip)
                continue;
            CAPTURE(sse::to_string(coding), shared);
            auto enc = sse::detail::make_encoder(coding, on(), shared);
            REQUIRE(enc);
            CHECK(enc->shares_events() == shared);
            decoder dec(coding);
            std::mt19937 rng(7);
            std::size_t plain_total = 0;
            std::size_t coded_total = 0;
            int n = 0;
            for (int w = 0; w < 200; ++w) {
                one_write wr;
                int const k = static_cast<int>(rng() % 4);
                for (int i = 0; i < k; ++i)
                    wr.add(quote(n++));
                wr.build(rng() % 5 == 0 ? ":\n" : ""); // now and then a heartbeat
                if (wr.plain.empty())
                    wr.build(":\n");
                bool const last = w == 199;
                auto const coded = join(enc->encode(wr.payload, wr.shared, last));
                CHECK(enc->size() == coded.size());
                CHECK(dec.feed(coded) == wr.plain); // nothing held back
                CHECK(dec.ended() == last);
                enc->wrote(1024);
                plain_total += wr.plain.size();
                coded_total += coded.size();
            }
            CHECK(dec.ended());
            // Events that repeat their keys compress, flushed every write.
            CHECK(coded_total * 2 < plain_total);
        }
    }
}

TEST_CASE("encoders: an empty stream is a valid empty body", "[compression]")
{
    for (auto const coding : all_codings) {
        for (bool const shared : {false, true}) {
            if (shared && coding != content_coding::gzip)
                continue;
            auto enc = sse::detail::make_encoder(coding, on(), shared);
            decoder dec(coding);
            auto const coded = join(enc->encode({}, {}, true));
            CHECK(!coded.empty());
            CHECK(dec.feed(coded).empty());
            CHECK(dec.ended());
        }
    }
}

TEST_CASE("encoders: bytes split anywhere decode to the same", "[compression]")
{
    for (auto const coding : all_codings) {
        auto enc = sse::detail::make_encoder(coding, on(), false);
        std::string coded;
        std::string plain;
        for (int i = 0; i < 50; ++i) {
            one_write wr;
            wr.add(quote(i)).build();
            coded += join(enc->encode(wr.payload, wr.shared, i == 49));
            plain += wr.plain;
            enc->wrote(0);
        }
        for (std::size_t step : {1u, 2u, 7u, 64u}) {
            decoder dec(coding);
            std::string out;
            for (std::size_t i = 0; i < coded.size(); i += step)
                out += dec.feed(std::string_view(coded).substr(i, step));
            CHECK(out == plain);
            CHECK(dec.ended());
        }
    }
}

TEST_CASE("encoders: large events, and a large write", "[compression]")
{
    std::mt19937 rng(3);
    std::string big;
    for (int i = 0; i < 300000; ++i)
        big += static_cast<char>('a' + rng() % 26);
    for (auto const coding : all_codings) {
        for (bool const shared : {false, true}) {
            if (shared && coding != content_coding::gzip)
                continue;
            auto enc = sse::detail::make_encoder(coding, on(), shared);
            decoder dec(coding);
            one_write wr;
            wr.add(event(big)).add(event(big.substr(1000))).build(std::string(70000, 'x')); // stored blocks split at 64 KiB
            auto const coded = join(enc->encode(wr.payload, wr.shared, true));
            CHECK(dec.feed(coded) == wr.plain);
            CHECK(dec.ended());
        }
    }
}

// --------------------------------------------------------- shared blocks

TEST_CASE("shared gzip: every interleaving is a valid stream, and events are compressed once", "[compression]")
{
    std::vector<sse::serialized> events;
    for (int i = 0; i < 100; ++i)
        events.push_back(quote(i));

    // Subscribers that join at different points, some with heartbeats
    // between events, some with several events per write.
    struct subscriber {
        std::unique_ptr<sse::detail::stream_encoder> enc = sse::detail::make_encoder(content_coding::gzip, on(), true);
        decoder dec{content_coding::gzip};
        std::size_t bytes = 0;
    };
    std::vector<subscriber> subs(8);
    for (std::size_t s = 0; s < subs.size(); ++s) {
        auto& sub = subs[s];
        std::size_t const join_at = s * 7;
        for (std::size_t i = join_at; i < events.size();) {
            one_write wr;
            std::size_t const per_write = 1 + s % 3;
            for (std::size_t k = 0; k < per_write && i < events.size(); ++k)
                wr.add(events[i++]);
            wr.build(s % 4 == 3 && i % 5 == 0 ? ":\n" : "");
            bool const last = i == events.size();
            auto const coded = join(sub.enc->encode(wr.payload, wr.shared, last));
            REQUIRE(sub.dec.feed(coded) == wr.plain);
            sub.bytes += coded.size();
            sub.enc->wrote(0);
        }
        CHECK(sub.dec.ended());
    }
    // Each event carries its compressed forms, made once.
    for (auto const& e : events)
        CHECK(sse::detail::serialized_access::attachment(e) != nullptr);

    // A subscriber that got every event back to back used the chained
    // forms: smaller than the one whose heartbeats broke the chain, and far
    // smaller than the events.
    std::size_t plain = 0;
    for (auto const& e : events)
        plain += e.size();
    CHECK(subs[0].bytes * 2 < plain);
}

TEST_CASE("shared gzip: the same bytes from two encoders, not compressed twice", "[compression]")
{
    auto const a = quote(1);
    auto const b = quote(2);
    auto e1 = sse::detail::make_encoder(content_coding::gzip, on(), true);
    auto e2 = sse::detail::make_encoder(content_coding::gzip, on(), true);
    one_write w;
    w.add(a).add(b).build();
    auto const out1 = e1->encode(w.payload, w.shared, false);
    std::vector<sse::net::const_buffer> const v1(out1.begin(), out1.end());
    auto const out2 = e2->encode(w.payload, w.shared, false);
    std::vector<sse::net::const_buffer> const v2(out2.begin(), out2.end());
    // The gzip header is each stream's own; the events' blocks are the
    // same memory.
    REQUIRE(v1.size() == v2.size());
    REQUIRE(v1.size() >= 3);
    CHECK(v1[0].data() != v2[0].data());
    for (std::size_t i = 1; i < v1.size(); ++i)
        CHECK(v1[i].data() == v2[i].data());
}

TEST_CASE("shared gzip: streams on several threads compress the same events at once", "[compression]")
{
    // Each round publishes fresh events; every thread encodes them at the
    // same moment, so the forms are made concurrently (TSan checks the
    // publication of the forms).
    constexpr int threads = 4;
    constexpr int rounds = 200;
    std::vector<std::vector<sse::serialized>> published;
    for (int r = 0; r < rounds; ++r)
        published.push_back({quote(r * 2), quote(r * 2 + 1)});
    std::atomic<int> ready{0};
    std::atomic<bool> failed{false};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            auto enc = sse::detail::make_encoder(content_coding::gzip, on(), true);
            decoder dec(content_coding::gzip);
            ready.fetch_add(1);
            while (ready.load() < threads) {
            }
            for (int r = 0; r < rounds; ++r) {
                one_write wr;
                for (auto const& e : published[static_cast<std::size_t>(r)])
                    wr.add(e);
                wr.build(t % 2 == 1 && r % 3 == 0 ? ":\n" : "");
                if (dec.feed(join(enc->encode(wr.payload, wr.shared, r == rounds - 1))) != wr.plain)
                    failed = true;
                enc->wrote(0);
            }
            if (!dec.ended())
                failed = true;
        });
    }
    for (auto& t : pool)
        t.join();
    CHECK(!failed);
}

// ---------------------------------------------------------------- engine

TEST_CASE("stream engine: every write compressed and flushed, heartbeats too, the end finishes the coding", "[compression]")
{
    using type = sse::detail::stream_action::type;
    for (auto const coding : all_codings) {
        CAPTURE(sse::to_string(coding));
        sse::stream_options o;
        o.compression.enabled = true;
        o.heartbeat = std::chrono::seconds(1);
        sse::detail::stream_engine e(o, sse::detail::peer_watch::connection_read, coding, false);
        decoder dec(coding);
        auto t = sse::detail::stream_engine::clock::now();
        std::string expected;
        std::string got;
        // The source: what it will yield, and whether it then finishes.
        std::vector<sse::message> items;
        bool finish = false;
        bool asked = false;
        auto answer = [&] {
            if (!asked)
                return;
            if (!items.empty()) {
                expected += sse::to_string(items.front());
                e.source_yielded(items.front());
                items.erase(items.begin());
                asked = false;
            } else if (finish) {
                e.source_finished();
                asked = false;
            }
        };
        // Performs the engine's actions until it waits.
        auto run = [&] {
            answer();
            for (auto a = e.next(t); !a.is_none(); a = e.next(t)) {
                switch (a.get_type()) {
                case type::ask_source:
                    asked = true;
                    answer();
                    break;
                case type::write: {
                    std::string coded;
                    for (auto const b : a.buffers())
                        coded.append(static_cast<char const*>(b.data()), b.size());
                    CHECK(a.bytes() == coded.size());
                    got += dec.feed(coded);
                    CHECK(got == expected); // this write decoded whole
                    CHECK(dec.ended() == a.last());
                    e.wrote({}, t);
                    break;
                }
                case type::defer_write: e.turn_done(); break;
                case type::cancel_wait: e.timer_fired(t); break;
                case type::stop_watch: e.watch_ended(sse::net::error::operation_aborted, false); break;
                case type::complete: CHECK(!a.error()); break;
                default: break;
                }
            }
        };
        e.start(t);
        run(); // the header alone: nothing coded yet
        CHECK(got.empty());
        items = {sse::message().data("one"), sse::message().event("x").data("two")};
        run();
        CHECK(got.find("data: two") != std::string::npos);

        // Idle: the heartbeat is coded and flushed like an event.
        t += std::chrono::seconds(2);
        e.timer_fired(t);
        expected += ":\n";
        run();
        CHECK(got == expected);

        items = {sse::message().data("three")};
        finish = true;
        run();
        CHECK(dec.ended());
        CHECK(e.done());
    }
}
