//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef SSE_DETAIL_IMPL_ENCODER_HPP
#define SSE_DETAIL_IMPL_ENCODER_HPP

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string_view>

#ifdef SSE_HAS_ZLIB
#include <zlib.h>
#endif
#ifdef SSE_HAS_BROTLI
#include <brotli/encode.h>
#endif

namespace sse::detail {

// Output bytes, grown as a coder asks for room.
class coded_bytes {
public:
    // Room for at least `n` more bytes after size().
    std::span<char> prepare(std::size_t n)
    {
        if (buf_.size() - used_ < n)
            buf_.resize(std::max(buf_.size() * 2, used_ + n));
        return {buf_.data() + used_, buf_.size() - used_};
    }

    void commit(std::size_t n) noexcept { used_ += n; }

    void append(void const* p, std::size_t n)
    {
        std::memcpy(prepare(n).data(), p, n);
        used_ += n;
    }

    char const* data() const noexcept { return buf_.data(); }
    std::size_t size() const noexcept { return used_; }

    void clear(std::size_t keep_capacity) noexcept
    {
        used_ = 0;
        if (buf_.capacity() > keep_capacity)
            std::string().swap(buf_);
    }

private:
    std::string buf_;
    std::size_t used_ = 0;
};

// Counts the memory a coder's context takes, through its allocator hooks.
struct counted_memory {
    std::size_t bytes = 0;

    void* allocate(std::size_t n) noexcept
    {
        auto* p = static_cast<std::size_t*>(::operator new(n + sizeof(std::max_align_t), std::nothrow));
        if (!p)
            return nullptr;
        *p = n;
        bytes += n;
        return reinterpret_cast<char*>(p) + sizeof(std::max_align_t);
    }

    void free(void* q) noexcept
    {
        if (!q)
            return;
        auto* p = reinterpret_cast<std::size_t*>(static_cast<char*>(q) - sizeof(std::max_align_t));
        bytes -= *p;
        ::operator delete(p);
    }
};

// An encoder with a context of its own: each write's bytes go in
// (Derived::process), then a flush or the end (Derived::flush).
template <class Derived>
class context_encoder : public stream_encoder {
public:
    std::span<net::const_buffer const>
    encode(std::span<net::const_buffer const> payload, std::span<serialized const>, bool last) override
    {
        auto& self = static_cast<Derived&>(*this);
        for (auto const b : payload)
            self.process({static_cast<char const*>(b.data()), b.size()});
        self.flush(last);
        buffer_ = net::const_buffer(out_.data(), out_.size());
        size_ = out_.size();
        return {&buffer_, 1};
    }

    void wrote(std::size_t keep_capacity) noexcept override { out_.clear(keep_capacity); }

    std::size_t context_bytes() const noexcept override { return memory_.bytes + sizeof(Derived); }

protected:
    counted_memory memory_; // before the derived class's context, which allocates through it
    coded_bytes out_;

private:
    net::const_buffer buffer_;
};

#ifdef SSE_HAS_ZLIB

// ------------------------------------------------------------------ zlib

inline void* zlib_alloc(void* opaque, unsigned items, unsigned size)
{
    return static_cast<counted_memory*>(opaque)->allocate(std::size_t(items) * size);
}

inline void zlib_free(void* opaque, void* p)
{
    static_cast<counted_memory*>(opaque)->free(p);
}

// Runs deflate over `in` with `flush`, appending to `out`.
inline void run_deflate(z_stream& zs, std::string_view in, int flush, coded_bytes& out)
{
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    for (;;) {
        auto room = out.prepare(in.size() / 2 + 64);
        zs.next_out = reinterpret_cast<Bytef*>(room.data());
        zs.avail_out = static_cast<uInt>(room.size());
        int const r = deflate(&zs, flush);
        out.commit(room.size() - zs.avail_out);
        if (r == Z_STREAM_END)
            return;
        if (r != Z_OK && r != Z_BUF_ERROR)
            throw std::runtime_error("sse: zlib deflate failed");
        // Done when the input is in and, for a flush, the output was not
        // cut short by the room given.
        if (zs.avail_in == 0 && (flush == Z_NO_FLUSH || zs.avail_out != 0))
            return;
    }
}

// gzip with a context of its own.
class zlib_encoder final : public context_encoder<zlib_encoder> {
public:
    explicit zlib_encoder(compression_options const& o)
    {
        zs_.zalloc = &zlib_alloc;
        zs_.zfree = &zlib_free;
        zs_.opaque = &memory_;
        // windowBits + 16: the gzip wrapper (header and trailer).
        int const r = deflateInit2(&zs_, o.gzip_level, Z_DEFLATED, o.gzip_window_bits + 16, o.gzip_mem_level, Z_DEFAULT_STRATEGY);
        if (r == Z_MEM_ERROR)
            throw std::bad_alloc();
        if (r != Z_OK)
            throw std::runtime_error("sse: zlib refused the compression options");
    }

    ~zlib_encoder() override { deflateEnd(&zs_); }

    zlib_encoder(zlib_encoder const&) = delete;
    zlib_encoder& operator=(zlib_encoder const&) = delete;

    void process(std::string_view in) { run_deflate(zs_, in, Z_NO_FLUSH, out_); }
    void flush(bool last) { run_deflate(zs_, {}, last ? Z_FINISH : Z_SYNC_FLUSH, out_); }

private:
    z_stream zs_{};
};

// ------------------------------------------------------ shared gzip blocks

// The compressed forms of one event, made once and shared by every stream
// that sends it: raw deflate that ends byte-aligned (a sync flush), on its
// own ("standalone") or with a dictionary, the event sent just before it.
struct deflated_event final : serialized_attachment {
    struct form {
        std::string bytes;      // raw deflate; empty: a stored block is smaller
        std::string dictionary; // the bytes the decoder must have just output
    };

    std::uint32_t crc = 0; // CRC-32 of the event's bytes
    std::atomic<form*> standalone{nullptr};
    std::atomic<form*> chained{nullptr};

    ~deflated_event() override
    {
        delete standalone.load(std::memory_order_acquire);
        delete chained.load(std::memory_order_acquire);
    }
};

// One raw deflater per thread and level for the shared forms: its memory
// is paid once per thread, not per stream. A full window (a dictionary of
// up to 8 KiB, and large events), a small hash table: deflateReset clears
// it for every form, and events are short.
class shared_deflater {
public:
    explicit shared_deflater(int level)
    {
        int const r = deflateInit2(&zs_, level, Z_DEFLATED, -15, 5, Z_DEFAULT_STRATEGY);
        if (r != Z_OK)
            throw std::bad_alloc();
    }

    ~shared_deflater() { deflateEnd(&zs_); }

    shared_deflater(shared_deflater const&) = delete;
    shared_deflater& operator=(shared_deflater const&) = delete;

    static shared_deflater& for_thread(int level)
    {
        thread_local std::array<std::unique_ptr<shared_deflater>, 10> by_level;
        auto& d = by_level[static_cast<std::size_t>(std::clamp(level, 1, 9))];
        if (!d)
            d = std::make_unique<shared_deflater>(level);
        return *d;
    }

    // `bytes` as raw deflate ending byte-aligned, after `dictionary`;
    // empty when a stored block would be smaller.
    std::string compress(std::string_view bytes, std::string_view dictionary)
    {
        deflateReset(&zs_);
        if (!dictionary.empty())
            deflateSetDictionary(&zs_, reinterpret_cast<Bytef const*>(dictionary.data()), static_cast<uInt>(dictionary.size()));
        coded_bytes out;
        run_deflate(zs_, bytes, Z_SYNC_FLUSH, out);
        if (out.size() >= stored_size(bytes.size()))
            return {};
        return std::string(out.data(), out.size());
    }

    // The size of `n` bytes as stored blocks.
    static constexpr std::size_t stored_size(std::size_t n) noexcept { return n + 5 * (n / 65535 + 1); }

private:
    z_stream zs_{};
};

// gzip from shared per-event forms: no compressor state per stream.
class shared_gzip_encoder final : public stream_encoder {
public:
    // The dictionary of a chained form is the previous event, if no
    // larger than this (a 32 KiB deflate window must hold it).
    static constexpr std::size_t max_dictionary = 8 * 1024;

    explicit shared_gzip_encoder(compression_options const& o) : level_(o.gzip_level) {}

    std::span<net::const_buffer const>
    encode(std::span<net::const_buffer const> payload, std::span<serialized const> shared, bool last) override
    {
        segments_.clear();
        if (!header_sent_) {
            static constexpr unsigned char header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
            own(header, sizeof header);
            header_sent_ = true;
        }
        std::size_t next_shared = 0;
        for (auto const b : payload) {
            if (next_shared < shared.size() && shared[next_shared].view().data() == b.data()) {
                put_event(shared[next_shared++]);
                continue;
            }
            put_stored({static_cast<char const*>(b.data()), b.size()});
            previous_ = serialized();
        }
        if (last) {
            // A final empty fixed-Huffman block, then CRC-32 and length.
            unsigned char trailer[10] = {0x03, 0x00};
            for (int i = 0; i < 4; ++i) {
                trailer[2 + i] = static_cast<unsigned char>(crc_ >> (8 * i));
                trailer[6 + i] = static_cast<unsigned char>(length_ >> (8 * i));
            }
            own(trailer, sizeof trailer);
        }
        // Own bytes were appended at offsets: now that out_ is complete,
        // they have addresses.
        result_.clear();
        size_ = 0;
        for (auto const& seg : segments_) {
            result_.push_back(net::const_buffer(seg.bytes ? seg.bytes : out_.data() + seg.offset, seg.size));
            size_ += seg.size;
        }
        return result_;
    }

    void wrote(std::size_t keep_capacity) noexcept override
    {
        out_.clear(keep_capacity);
        segments_.clear();
        result_.clear();
    }

    bool shares_events() const noexcept override { return true; }

    std::size_t context_bytes() const noexcept override { return sizeof(*this); }

private:
    // A piece of the output: bytes of out_ (at an offset, as out_ may
    // grow), or bytes that stay valid until wrote().
    struct segment {
        char const* bytes; // null: at offset in out_
        std::size_t offset;
        std::size_t size;
    };

    void own(void const* p, std::size_t n)
    {
        segments_.push_back({nullptr, out_.size(), n});
        out_.append(p, n);
    }

    void shared_bytes(std::string_view bytes) { segments_.push_back({bytes.data(), 0, bytes.size()}); }

    // Stored blocks of `bytes`, which stay valid until wrote().
    void put_stored(std::string_view bytes)
    {
        crc_ = static_cast<std::uint32_t>(crc32(crc_, reinterpret_cast<Bytef const*>(bytes.data()), static_cast<uInt>(bytes.size())));
        length_ += static_cast<std::uint32_t>(bytes.size());
        do {
            auto const n = std::min<std::size_t>(bytes.size(), 65535);
            unsigned char const head[5] = {0, static_cast<unsigned char>(n), static_cast<unsigned char>(n >> 8),
                                           static_cast<unsigned char>(~n), static_cast<unsigned char>(~n >> 8)};
            own(head, sizeof head);
            if (n != 0)
                shared_bytes(bytes.substr(0, n));
            bytes.remove_prefix(n);
        } while (!bytes.empty());
    }

    void put_event(serialized const& s)
    {
        auto const bytes = s.view();
        auto& event = forms_of(s);
        deflated_event::form const* f = nullptr;
        if (!previous_.empty())
            f = chained_form(event, bytes);
        if (!f)
            f = form_of(event.standalone, bytes, {});
        if (f->bytes.empty()) {
            put_stored(bytes);
        } else {
            shared_bytes(f->bytes);
            crc_ = static_cast<std::uint32_t>(crc32_combine(crc_, event.crc, static_cast<z_off_t>(bytes.size())));
            length_ += static_cast<std::uint32_t>(bytes.size());
        }
        previous_ = s;
    }

    // The form after the previous event, if that is its dictionary (made
    // now if no stream made one yet); else null.
    deflated_event::form const* chained_form(deflated_event& event, std::string_view bytes)
    {
        auto const prev = previous_.view();
        if (prev.size() > max_dictionary)
            return nullptr;
        auto const* f = event.chained.load(std::memory_order_acquire);
        if (!f)
            f = form_of(event.chained, bytes, prev);
        return f->dictionary == prev ? f : nullptr;
    }

    deflated_event::form const* form_of(std::atomic<deflated_event::form*>& slot, std::string_view bytes, std::string_view dictionary)
    {
        if (auto const* f = slot.load(std::memory_order_acquire))
            return f;
        auto f = std::make_unique<deflated_event::form>();
        f->bytes = shared_deflater::for_thread(level_).compress(bytes, dictionary);
        f->dictionary.assign(dictionary);
        deflated_event::form* expected = nullptr;
        if (slot.compare_exchange_strong(expected, f.get(), std::memory_order_acq_rel))
            return f.release();
        return expected;
    }

    static deflated_event& forms_of(serialized const& s)
    {
        if (auto* a = serialized_access::attachment(s))
            return static_cast<deflated_event&>(*a);
        auto d = std::make_unique<deflated_event>();
        auto const bytes = s.view();
        d->crc = static_cast<std::uint32_t>(crc32(0, reinterpret_cast<Bytef const*>(bytes.data()), static_cast<uInt>(bytes.size())));
        return static_cast<deflated_event&>(*serialized_access::attach(s, std::move(d)));
    }

    int level_;
    bool header_sent_ = false;
    std::uint32_t crc_ = 0;
    std::uint32_t length_ = 0; // ISIZE: the length modulo 2^32
    serialized previous_;      // the event sent last, if nothing came after it
    coded_bytes out_;
    std::vector<segment> segments_;
    std::vector<net::const_buffer> result_;
};

#endif // SSE_HAS_ZLIB

#ifdef SSE_HAS_BROTLI

// ---------------------------------------------------------------- brotli

inline void* brotli_alloc(void* opaque, std::size_t n)
{
    return static_cast<counted_memory*>(opaque)->allocate(n);
}

inline void brotli_free(void* opaque, void* p)
{
    static_cast<counted_memory*>(opaque)->free(p);
}

// br with a context of its own.
class brotli_encoder final : public context_encoder<brotli_encoder> {
public:
    explicit brotli_encoder(compression_options const& o)
        : state_(BrotliEncoderCreateInstance(&brotli_alloc, &brotli_free, &memory_))
    {
        if (!state_)
            throw std::bad_alloc();
        BrotliEncoderSetParameter(state_, BROTLI_PARAM_QUALITY, static_cast<std::uint32_t>(o.br_quality));
        BrotliEncoderSetParameter(state_, BROTLI_PARAM_LGWIN, static_cast<std::uint32_t>(o.br_window_bits));
        BrotliEncoderSetParameter(state_, BROTLI_PARAM_MODE, BROTLI_MODE_TEXT);
    }

    ~brotli_encoder() override { BrotliEncoderDestroyInstance(state_); }

    brotli_encoder(brotli_encoder const&) = delete;
    brotli_encoder& operator=(brotli_encoder const&) = delete;

    void process(std::string_view in) { run(BROTLI_OPERATION_PROCESS, in); }
    void flush(bool last) { run(last ? BROTLI_OPERATION_FINISH : BROTLI_OPERATION_FLUSH, {}); }

private:
    void run(BrotliEncoderOperation op, std::string_view in)
    {
        auto const* next_in = reinterpret_cast<std::uint8_t const*>(in.data());
        std::size_t avail_in = in.size();
        for (;;) {
            auto room = out_.prepare(in.size() / 2 + 64);
            auto* next_out = reinterpret_cast<std::uint8_t*>(room.data());
            std::size_t avail_out = room.size();
            if (!BrotliEncoderCompressStream(state_, op, &avail_in, &next_in, &avail_out, &next_out, nullptr))
                throw std::runtime_error("sse: brotli encoder failed");
            out_.commit(room.size() - avail_out);
            if (avail_in == 0 && !BrotliEncoderHasMoreOutput(state_) &&
                (op != BROTLI_OPERATION_FINISH || BrotliEncoderIsFinished(state_)))
                return;
        }
    }

    BrotliEncoderState* state_;
};

#endif // SSE_HAS_BROTLI

// The options with every value brought into its range.
inline compression_options clamped(compression_options o) noexcept
{
    o.gzip_level = std::clamp(o.gzip_level, 1, 9);
    o.gzip_window_bits = std::clamp(o.gzip_window_bits, 9, 15);
    o.gzip_mem_level = std::clamp(o.gzip_mem_level, 1, 9);
    o.br_quality = std::clamp(o.br_quality, 0, 11);
    o.br_window_bits = std::clamp(o.br_window_bits, 10, 24);
    return o;
}

inline std::unique_ptr<stream_encoder> make_encoder(content_coding coding, compression_options const& given, bool shared)
{
    auto const options = clamped(given);
    switch (coding) {
    case content_coding::identity: return nullptr;
    case content_coding::gzip:
#ifdef SSE_HAS_ZLIB
        if (shared)
            return std::make_unique<shared_gzip_encoder>(options);
        return std::make_unique<zlib_encoder>(options);
#else
        break;
#endif
    case content_coding::br:
#ifdef SSE_HAS_BROTLI
        return std::make_unique<brotli_encoder>(options);
#else
        break;
#endif
    }
    (void)shared;
    (void)options;
    throw std::invalid_argument("sse: this build has no encoder for the content coding");
}

} // namespace sse::detail

#endif
