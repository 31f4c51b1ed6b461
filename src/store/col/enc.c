/*
 * enc.c - the column encodings of enc.h: varint, delta, zigzag, byte, fixed,
 * run, bit and byte-string streams, string dictionaries, and CRC-checked
 * zstd blocks.
 *
 * Encoders compute their exact output size first (a block: header + raw
 * length at most) and reserve it once, so a column costs one buffer growth
 * at most; a failed reservation leaves the buffer's sticky error set and
 * nothing written (buf.h). Varints are the protobuf ones of codec/pb.h:
 * decoding is inline (up to 8 bytes from one 64-bit load, branch-free) and
 * falls back to ol_pb_read_varint() near the end of the input;
 * encoding stores straight into the reserved room (about 3x faster than a
 * call per value on timestamp deltas) and falls back to ol_pb_put_varint()
 * within 10 bytes of the end.
 *
 * Decoders walk a slice with an end pointer. Before a loop they reject
 * counts that cannot fit in the bytes present (every varint is at least one
 * byte), so a corrupt n or count never drives work beyond the input's size;
 * every length is compared with the remaining bytes before it is used. On an
 * error the output arrays may be partly written and *used is not set.
 *
 * The dictionary copies its strings into a chain of chunks that never move,
 * so slices from ol_dict_get() stay valid until ol_dict_free(). Its hash
 * table is open addressing with linear probing over (id, hash tag) slots,
 * kept at most half full, seeded per dictionary so that ingested values
 * cannot be chosen to collide.
 */
#include "store/col/enc.h"

#include <pthread.h>
#include <zstd.h>

#include "codec/pb.h"
#include "core/alloc.h"
#include "core/util.h"

/* ---- Helpers ---- */

static int ol_enc_corrupt(ol_err_t *err, const char *stream, size_t off, const char *what)
{
    ol_err_set(err, "%s stream: %s at byte %zu", stream, what, off);
    return OL_CORRUPT;
}

static inline const uint8_t *ol_enc_end(ol_slice_t in) { return in.len ? in.ptr + in.len : in.ptr; }

static inline uint64_t ol_zz_enc(uint64_t v) { return (v << 1) ^ (0 - (v >> 63)); }
static inline uint64_t ol_zz_dec(uint64_t z) { return (z >> 1) ^ (0 - (z & 1)); }

/* inlined into the per-value loops of the decoders: a call per value was a
 * fifth of a column scan's decoding time */
static inline __attribute__((always_inline)) int ol_get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
    const uint8_t *p = *pp;
    if (p < end && *p < 0x80) {
        *v = *p;
        *pp = p + 1;
        return OL_OK;
    }
    if (end - p >= 8) { /* up to 8 bytes at once: find the last byte, then squeeze out the continuation bits */
        uint64_t w;
        memcpy(&w, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        w = __builtin_bswap64(w);
#endif
        uint64_t stop = ~w & 0x8080808080808080ull;
        if (stop) {
            uint64_t x = w & (stop ^ (stop - 1)) & 0x7f7f7f7f7f7f7f7full; /* the varint's bytes, 7 bits each */
            x = (x & 0x00ff00ff00ff00ffull) | ((x & 0xff00ff00ff00ff00ull) >> 1);
            x = (x & 0x0000ffff0000ffffull) | ((x & 0xffff0000ffff0000ull) >> 2);
            x = (x & 0x00000000ffffffffull) | ((x & 0xffffffff00000000ull) >> 4);
            *v = x;
            *pp = p + (__builtin_ctzll(stop) >> 3) + 1;
            return OL_OK;
        }
    }
    if (end - p >= 10) { /* room for the longest varint: no bounds check per byte */
        uint64_t r = 0;
        for (unsigned i = 0; i < 10; i++) {
            uint8_t c = p[i];
            r |= (uint64_t)(c & 0x7f) << (7 * i);
            if (c < 0x80) {
                if (i == 9 && c > 1) return OL_CORRUPT; /* would overflow 64 bits */
                *v = r;
                *pp = p + i + 1;
                return OL_OK;
            }
        }
        return OL_CORRUPT;
    }
    return ol_pb_read_varint(pp, end, v);
}

/* Appends a varint. Encoders reserve their exact size first, so the store
 * goes straight into the buffer; near its end (fewer than 10 bytes of room)
 * or after a failure, ol_pb_put_varint() does the checked append. */
static inline void ol_put_varint(ol_buf_t *b, uint64_t v)
{
    if (b->err || b->cap - b->len < 10) {
        ol_pb_put_varint(b, v);
        return;
    }
    uint8_t *p = b->data + b->len;
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    b->len = (size_t)(p - b->data);
}

/* Reserves `need` bytes, or marks the buffer failed when the size overflowed
 * (need == SIZE_MAX is used as the overflow marker). */
static int ol_enc_reserve(ol_buf_t *b, size_t need)
{
    if (need == SIZE_MAX) {
        if (!b->err) b->err = OL_LIMIT;
        return OL_LIMIT;
    }
    return ol_buf_reserve(b, need);
}

static inline size_t ol_add_sat(size_t a, size_t b) { return a > SIZE_MAX - b ? SIZE_MAX : a + b; }

/* ---- Integers ---- */

void ol_enc_uvarints(ol_buf_t *b, const uint64_t *v, size_t n)
{
    size_t need = 0;
    for (size_t i = 0; i < n; i++) need += ol_pb_varint_len(v[i]);
    if (ol_enc_reserve(b, need) != OL_OK) return;
    for (size_t i = 0; i < n; i++) ol_put_varint(b, v[i]);
}

int ol_dec_uvarints(ol_slice_t in, uint64_t *out, size_t n, size_t *used, ol_err_t *err)
{
    if (n > in.len) return ol_enc_corrupt(err, "uvarints", 0, "more values than bytes");
    const uint8_t *p = in.ptr, *end = ol_enc_end(in);
    for (size_t i = 0; i < n; i++)
        if (ol_get_varint(&p, end, &out[i]) != OL_OK)
            return ol_enc_corrupt(err, "uvarints", (size_t)(p - in.ptr), "bad or truncated varint");
    *used = (size_t)(p - in.ptr);
    return OL_OK;
}

void ol_enc_delta(ol_buf_t *b, uint64_t base, const uint64_t *v, size_t n)
{
    size_t need = 0;
    uint64_t prev = base;
    for (size_t i = 0; i < n; i++) {
        need += ol_pb_varint_len(ol_zz_enc(v[i] - prev));
        prev = v[i];
    }
    if (ol_enc_reserve(b, need) != OL_OK) return;
    prev = base;
    for (size_t i = 0; i < n; i++) {
        ol_put_varint(b, ol_zz_enc(v[i] - prev));
        prev = v[i];
    }
}

int ol_dec_delta(ol_slice_t in, uint64_t base, uint64_t *out, size_t n, size_t *used, ol_err_t *err)
{
    if (n > in.len) return ol_enc_corrupt(err, "delta", 0, "more values than bytes");
    const uint8_t *p = in.ptr, *end = ol_enc_end(in);
    uint64_t prev = base, z;
    for (size_t i = 0; i < n; i++) {
        if (ol_get_varint(&p, end, &z) != OL_OK)
            return ol_enc_corrupt(err, "delta", (size_t)(p - in.ptr), "bad or truncated varint");
        prev += ol_zz_dec(z);
        out[i] = prev;
    }
    *used = (size_t)(p - in.ptr);
    return OL_OK;
}

void ol_enc_zigzag(ol_buf_t *b, const int64_t *v, size_t n)
{
    size_t need = 0;
    for (size_t i = 0; i < n; i++) need += ol_pb_varint_len(ol_zz_enc((uint64_t)v[i]));
    if (ol_enc_reserve(b, need) != OL_OK) return;
    for (size_t i = 0; i < n; i++) ol_put_varint(b, ol_zz_enc((uint64_t)v[i]));
}

int ol_dec_zigzag(ol_slice_t in, int64_t *out, size_t n, size_t *used, ol_err_t *err)
{
    if (n > in.len) return ol_enc_corrupt(err, "zigzag", 0, "more values than bytes");
    const uint8_t *p = in.ptr, *end = ol_enc_end(in);
    uint64_t z;
    for (size_t i = 0; i < n; i++) {
        if (ol_get_varint(&p, end, &z) != OL_OK)
            return ol_enc_corrupt(err, "zigzag", (size_t)(p - in.ptr), "bad or truncated varint");
        out[i] = (int64_t)ol_zz_dec(z);
    }
    *used = (size_t)(p - in.ptr);
    return OL_OK;
}

void ol_enc_u8(ol_buf_t *b, const uint8_t *v, size_t n) { ol_buf_append(b, v, n); }

int ol_dec_u8(ol_slice_t in, uint8_t *out, size_t n, size_t *used, ol_err_t *err)
{
    if (n > in.len) return ol_enc_corrupt(err, "u8", in.len, "truncated");
    if (n) memcpy(out, in.ptr, n);
    *used = n;
    return OL_OK;
}

/* ---- Fixed-width values ---- */

void ol_enc_fixed(ol_buf_t *b, const uint8_t *v, size_t width, size_t n)
{
    if (width && n > SIZE_MAX / width) {
        ol_enc_reserve(b, SIZE_MAX);
        return;
    }
    ol_buf_append(b, v, width * n);
}

int ol_dec_fixed(ol_slice_t in, size_t width, size_t n, const uint8_t **out, size_t *used, ol_err_t *err)
{
    if (width && n > in.len / width)
        return ol_enc_corrupt(err, "fixed", in.len, "truncated: n * width exceeds the stream");
    *out = in.ptr;
    *used = width * n;
    return OL_OK;
}

/* ---- Runs ---- */

static inline bool ol_same(const uint8_t *a, const uint8_t *b, size_t width)
{
    switch (width) {
    case 0: return true;
    case 16: return memcmp(a, b, 16) == 0;
    case 8: return memcmp(a, b, 8) == 0;
    default: return memcmp(a, b, width) == 0;
    }
}

void ol_enc_runs(ol_buf_t *b, const uint8_t *v, size_t width, size_t n)
{
    if (width && n > SIZE_MAX / width) {
        ol_enc_reserve(b, SIZE_MAX);
        return;
    }
    /* Pass 1: run count and exact size. */
    size_t runs = 0, need = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && ol_same(v + i * width, v + j * width, width)) j++;
        runs++;
        need = ol_add_sat(need, ol_add_sat(ol_pb_varint_len(j - i), width));
        i = j;
    }
    need = ol_add_sat(need, ol_pb_varint_len(runs));
    if (ol_enc_reserve(b, need) != OL_OK) return;
    ol_put_varint(b, runs);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && ol_same(v + i * width, v + j * width, width)) j++;
        ol_put_varint(b, j - i);
        ol_buf_append(b, v + i * width, width);
        i = j;
    }
}

int ol_dec_runs(ol_slice_t in, size_t width, size_t n, uint8_t *out, size_t *used, ol_err_t *err)
{
    if (width && n > SIZE_MAX / width) return ol_enc_corrupt(err, "runs", 0, "n * width overflows");
    const uint8_t *p = in.ptr, *end = ol_enc_end(in);
    uint64_t runs;
    if (ol_get_varint(&p, end, &runs) != OL_OK) return ol_enc_corrupt(err, "runs", 0, "bad or truncated run count");
    if (runs > n) return ol_enc_corrupt(err, "runs", 0, "more runs than values");
    /* Each run takes at least 1 + width bytes. */
    size_t left = (size_t)(end - p);
    if (runs && (width >= left || runs > left / (width + 1)))
        return ol_enc_corrupt(err, "runs", 0, "run count exceeds the stream");
    size_t filled = 0;
    for (uint64_t r = 0; r < runs; r++) {
        size_t off = (size_t)(p - in.ptr);
        uint64_t len;
        if (ol_get_varint(&p, end, &len) != OL_OK)
            return ol_enc_corrupt(err, "runs", off, "bad or truncated run length");
        if (len == 0) return ol_enc_corrupt(err, "runs", off, "empty run");
        if (len > n - filled) return ol_enc_corrupt(err, "runs", off, "run lengths exceed n");
        if (width > (size_t)(end - p)) return ol_enc_corrupt(err, "runs", (size_t)(p - in.ptr), "truncated run value");
        if (width) {
            /* Copy the value once, then double the filled range. */
            uint8_t *dst = out + filled * width;
            size_t total = (size_t)len * width, done = width;
            memcpy(dst, p, width);
            while (done < total) {
                size_t c = OL_MIN(done, total - done);
                memcpy(dst + done, dst, c);
                done += c;
            }
        }
        p += width;
        filled += (size_t)len;
    }
    if (filled != n) return ol_enc_corrupt(err, "runs", (size_t)(p - in.ptr), "run lengths add up to less than n");
    *used = (size_t)(p - in.ptr);
    return OL_OK;
}

/* ---- Bits ---- */

static inline size_t ol_bits_bytes(size_t n) { return n / 8 + (n % 8 != 0); }

void ol_enc_bits(ol_buf_t *b, const bool *v, size_t n)
{
    size_t nb = ol_bits_bytes(n);
    if (nb == 0 || ol_buf_reserve(b, nb) != OL_OK) return;
    uint8_t *o = b->data + b->len;
    size_t i = 0;
    for (size_t k = 0; k < n / 8; k++, i += 8)
        o[k] = (uint8_t)(v[i] | v[i + 1] << 1 | v[i + 2] << 2 | v[i + 3] << 3 | v[i + 4] << 4 | v[i + 5] << 5 |
                         v[i + 6] << 6 | v[i + 7] << 7);
    if (n % 8) {
        uint8_t last = 0;
        for (size_t k = 0; i < n; i++, k++) last |= (uint8_t)(v[i] << k);
        o[n / 8] = last;
    }
    b->len += nb;
}

int ol_dec_bits(ol_slice_t in, bool *out, size_t n, size_t *used, ol_err_t *err)
{
    size_t nb = ol_bits_bytes(n);
    if (nb > in.len) return ol_enc_corrupt(err, "bits", in.len, "truncated");
    const uint8_t *p = in.ptr;
    if (n % 8 && (p[nb - 1] >> (n % 8)) != 0) return ol_enc_corrupt(err, "bits", nb - 1, "padding bits are not zero");
    size_t i = 0;
    for (size_t k = 0; k < n / 8; k++)
        for (unsigned s = 0; s < 8; s++) out[i++] = (p[k] >> s) & 1;
    for (unsigned s = 0; i < n; s++) out[i++] = (p[n / 8] >> s) & 1;
    *used = nb;
    return OL_OK;
}

/* ---- Byte strings ---- */

void ol_enc_bytes(ol_buf_t *b, const ol_slice_t *v, size_t n)
{
    size_t need = 0;
    for (size_t i = 0; i < n; i++) need = ol_add_sat(need, ol_add_sat(ol_pb_varint_len(v[i].len), v[i].len));
    if (ol_enc_reserve(b, need) != OL_OK) return;
    for (size_t i = 0; i < n; i++) ol_put_varint(b, v[i].len);
    for (size_t i = 0; i < n; i++) ol_buf_append(b, v[i].ptr, v[i].len);
}

/* Decodes n strings named `stream` starting at in.ptr + base (for offsets). */
static int ol_dec_strings(ol_slice_t in, size_t base, const char *stream, ol_slice_t *out, size_t n, size_t *used,
                          ol_err_t *err)
{
    if (n > in.len) return ol_enc_corrupt(err, stream, base, "more values than bytes");
    const uint8_t *p = in.ptr, *end = ol_enc_end(in);
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t off = base + (size_t)(p - in.ptr);
        uint64_t len;
        if (ol_get_varint(&p, end, &len) != OL_OK) return ol_enc_corrupt(err, stream, off, "bad or truncated length");
        if (len > in.len - total) return ol_enc_corrupt(err, stream, off, "lengths exceed the stream");
        total += (size_t)len;
        out[i].len = (size_t)len;
    }
    if (total > (size_t)(end - p))
        return ol_enc_corrupt(err, stream, base + (size_t)(p - in.ptr), "values truncated");
    for (size_t i = 0; i < n; i++) {
        out[i].ptr = p;
        p += out[i].len;
    }
    *used = (size_t)(p - in.ptr);
    return OL_OK;
}

int ol_dec_bytes(ol_slice_t in, ol_slice_t *out, size_t n, size_t *used, ol_err_t *err)
{
    return ol_dec_strings(in, 0, "bytes", out, n, used, err);
}

/* ---- Dictionaries ---- */

#define OL_DICT_CHUNK_MIN 4096
#define OL_DICT_CHUNK_MAX (1u << 20)
#define OL_DICT_MAX_IDS (1u << 31) /* table of at most 2^32 slots, half full */

typedef struct ol_dict_chunk {
    struct ol_dict_chunk *next;
    size_t cap, used;
    uint8_t data[];
} ol_dict_chunk_t;

typedef struct ol_dict_slot {
    uint32_t id1; /* id + 1; 0 = empty */
    uint32_t tag; /* high half of the hash */
} ol_dict_slot_t;

typedef struct ol_dict_entry {
    ol_slice_t s;
    uint64_t hash;
} ol_dict_entry_t;

struct ol_dict {
    ol_dict_entry_t *e; /* by id */
    size_t count, cap;
    ol_dict_slot_t *slots;
    size_t nslots; /* power of two */
    ol_dict_chunk_t *chunk; /* the head is the one being filled */
    size_t next_chunk;
    size_t bytes;
    uint64_t seed;
};

ol_dict_t *ol_dict_new(void)
{
    ol_dict_t *d = ol_calloc(OL_MEM_STORE, 1, sizeof *d);
    if (!d) return NULL;
    d->next_chunk = OL_DICT_CHUNK_MIN;
    d->seed = ol_hash64(&d, sizeof d, ol_mono_ns());
    return d;
}

void ol_dict_free(ol_dict_t *d)
{
    if (!d) return;
    for (ol_dict_chunk_t *c = d->chunk, *nx; c; c = nx) {
        nx = c->next;
        ol_free(OL_MEM_STORE, c, sizeof *c + c->cap);
    }
    ol_free(OL_MEM_STORE, d->e, d->cap * sizeof *d->e);
    ol_free(OL_MEM_STORE, d->slots, d->nslots * sizeof *d->slots);
    ol_free(OL_MEM_STORE, d, sizeof *d);
}

size_t ol_dict_count(const ol_dict_t *d) { return d->count; }
size_t ol_dict_bytes(const ol_dict_t *d) { return d->bytes; }

ol_slice_t ol_dict_get(const ol_dict_t *d, uint32_t id)
{
    if (OL_NEVER(id >= d->count)) return OL_SLICE_NULL;
    return d->e[id].s;
}

static inline uint64_t ol_dict_hash(const ol_dict_t *d, ol_slice_t s) { return ol_hash64(s.ptr, s.len, d->seed); }

/* Slot holding s (id1 != 0) or the empty slot where it would go. */
static inline ol_dict_slot_t *ol_dict_probe(const ol_dict_t *d, ol_slice_t s, uint64_t h)
{
    size_t mask = d->nslots - 1;
    uint32_t tag = (uint32_t)(h >> 32);
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        ol_dict_slot_t *sl = &d->slots[i];
        if (!sl->id1) return sl;
        if (sl->tag == tag) {
            const ol_dict_entry_t *e = &d->e[sl->id1 - 1];
            if (e->hash == h && ol_slice_eq(e->s, s)) return sl;
        }
    }
}

uint32_t ol_dict_find(const ol_dict_t *d, ol_slice_t s)
{
    if (!d->count) return UINT32_MAX;
    ol_dict_slot_t *sl = ol_dict_probe(d, s, ol_dict_hash(d, s));
    return sl->id1 ? sl->id1 - 1 : UINT32_MAX;
}

static int ol_dict_grow_table(ol_dict_t *d)
{
    size_t ns = d->nslots ? d->nslots * 2 : 64;
    ol_dict_slot_t *t = ol_calloc(OL_MEM_STORE, ns, sizeof *t);
    if (!t) return OL_NOMEM;
    size_t mask = ns - 1;
    for (size_t id = 0; id < d->count; id++) {
        uint64_t h = d->e[id].hash;
        size_t i = (size_t)h & mask;
        while (t[i].id1) i = (i + 1) & mask;
        t[i] = (ol_dict_slot_t){(uint32_t)id + 1, (uint32_t)(h >> 32)};
    }
    ol_free(OL_MEM_STORE, d->slots, d->nslots * sizeof *d->slots);
    d->slots = t;
    d->nslots = ns;
    return OL_OK;
}

/* Copies s (non-empty) into the chunk chain; the copy never moves. */
static const uint8_t *ol_dict_copy(ol_dict_t *d, ol_slice_t s)
{
    ol_dict_chunk_t *c = d->chunk;
    if (!c || c->cap - c->used < s.len) {
        /* A string of half a chunk or more gets a chunk of its own, linked
         * behind the head so that the head keeps filling. */
        bool own = s.len >= d->next_chunk / 2;
        size_t cap = own ? s.len : d->next_chunk;
        if (cap > SIZE_MAX - sizeof *c) return NULL;
        ol_dict_chunk_t *nc = ol_malloc(OL_MEM_STORE, sizeof *nc + cap);
        if (!nc) return NULL;
        nc->cap = cap;
        nc->used = 0;
        if (own && c) {
            nc->next = c->next;
            c->next = nc;
        } else {
            nc->next = c;
            d->chunk = nc;
            if (!own && d->next_chunk < OL_DICT_CHUNK_MAX) d->next_chunk *= 2;
        }
        c = nc;
    }
    uint8_t *dst = c->data + c->used;
    memcpy(dst, s.ptr, s.len);
    c->used += s.len;
    return dst;
}

uint32_t ol_dict_add(ol_dict_t *d, ol_slice_t s)
{
    uint64_t h = ol_dict_hash(d, s);
    if (d->count) {
        ol_dict_slot_t *sl = ol_dict_probe(d, s, h);
        if (sl->id1) return sl->id1 - 1;
    }
    if (d->count >= OL_DICT_MAX_IDS) return UINT32_MAX;
    if ((d->count + 1) * 2 > d->nslots && ol_dict_grow_table(d) != OL_OK) return UINT32_MAX;
    if (d->count == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 64;
        ol_dict_entry_t *e = ol_realloc(OL_MEM_STORE, d->e, d->cap * sizeof *e, nc * sizeof *e);
        if (!e) return UINT32_MAX;
        d->e = e;
        d->cap = nc;
    }
    const uint8_t *copy = s.len ? ol_dict_copy(d, s) : (const uint8_t *)"";
    if (!copy) return UINT32_MAX;
    uint32_t id = (uint32_t)d->count;
    d->e[id] = (ol_dict_entry_t){ol_slice(copy, s.len), h};
    *ol_dict_probe(d, s, h) = (ol_dict_slot_t){id + 1, (uint32_t)(h >> 32)};
    d->count++;
    d->bytes += s.len;
    return id;
}

void ol_dict_encode(const ol_dict_t *d, ol_buf_t *b)
{
    size_t need = ol_pb_varint_len(d->count);
    for (size_t i = 0; i < d->count; i++) need += ol_pb_varint_len(d->e[i].s.len) + d->e[i].s.len;
    if (ol_enc_reserve(b, need) != OL_OK) return;
    ol_put_varint(b, d->count);
    for (size_t i = 0; i < d->count; i++) ol_put_varint(b, d->e[i].s.len);
    for (size_t i = 0; i < d->count; i++) ol_buf_append(b, d->e[i].s.ptr, d->e[i].s.len);
}

int ol_dict_decode(ol_slice_t in, ol_slice_t *out, size_t max_count, size_t *count, size_t *used, ol_err_t *err)
{
    const uint8_t *p = in.ptr, *end = ol_enc_end(in);
    uint64_t c;
    if (ol_get_varint(&p, end, &c) != OL_OK) return ol_enc_corrupt(err, "dict", 0, "bad or truncated count");
    size_t hdr = (size_t)(p - in.ptr);
    if (c > in.len - hdr) return ol_enc_corrupt(err, "dict", 0, "count exceeds the stream");
    if (c > max_count) {
        ol_err_set(err, "dict stream: %llu entries exceed the limit of %zu", (unsigned long long)c, max_count);
        return OL_LIMIT;
    }
    size_t u;
    int rc = ol_dec_strings(ol_slice(p, in.len - hdr), hdr, "dict", out, (size_t)c, &u, err);
    if (rc != OL_OK) return rc;
    *count = (size_t)c;
    *used = hdr + u;
    return OL_OK;
}

/* ---- Blocks ---- */

enum { OL_BLOCK_RAW = 0, OL_BLOCK_ZSTD = 1 };

void ol_block_write(ol_buf_t *out, ol_slice_t raw, int zstd_level)
{
    if (raw.len > OL_BLOCK_MAX_RAW) {
        if (!out->err) out->err = OL_LIMIT;
        return;
    }
    /* The block never exceeds header + raw: zstd gets raw.len of room and
     * anything that does not fit is not worth storing compressed. */
    if (ol_buf_reserve(out, OL_BLOCK_HEADER + raw.len) != OL_OK) return;
    uint8_t *h = out->data + out->len, *dst = h + OL_BLOCK_HEADER;
    size_t stored = 0;
    uint8_t codec = OL_BLOCK_RAW;
    if (raw.len > 0) {
        size_t z = ZSTD_compress(dst, raw.len, raw.ptr, raw.len, zstd_level);
        if (!ZSTD_isError(z) && z < raw.len) {
            codec = OL_BLOCK_ZSTD;
            stored = z;
        } else {
            memcpy(dst, raw.ptr, raw.len);
            stored = raw.len;
        }
    }
    h[0] = codec;
    ol_store_le32(h + 1, (uint32_t)raw.len);
    ol_store_le32(h + 5, (uint32_t)stored);
    ol_store_le32(h + 9, ol_crc32c(0, dst, stored));
    out->len += OL_BLOCK_HEADER + stored;
}

/* One decompression context per thread, made on first use and freed when
 * the thread ends: ZSTD_decompress would make and free one per block, and
 * a column scan reads thousands of small blocks. */
static pthread_key_t dctx_key;
static pthread_once_t dctx_once = PTHREAD_ONCE_INIT;
static __thread ZSTD_DCtx *dctx_tls;

static void dctx_free(void *p) { ZSTD_freeDCtx(p); }
static void dctx_key_make(void) { (void)pthread_key_create(&dctx_key, dctx_free); }

static ZSTD_DCtx *dctx_get(void)
{
    if (dctx_tls) return dctx_tls;
    (void)pthread_once(&dctx_once, dctx_key_make);
    ZSTD_DCtx *d = ZSTD_createDCtx();
    if (d && pthread_setspecific(dctx_key, d) != 0) {
        ZSTD_freeDCtx(d);
        return NULL;
    }
    return dctx_tls = d;
}

int ol_block_read(ol_slice_t in, size_t max_raw, ol_buf_t *out, size_t *used, ol_err_t *err)
{
    if (in.len < OL_BLOCK_HEADER) return ol_enc_corrupt(err, "block", in.len, "truncated header");
    const uint8_t *h = in.ptr, *src = in.ptr + OL_BLOCK_HEADER;
    uint8_t codec = h[0];
    uint32_t raw = ol_load_le32(h + 1), stored = ol_load_le32(h + 5), crc = ol_load_le32(h + 9);
    if (codec != OL_BLOCK_RAW && codec != OL_BLOCK_ZSTD) return ol_enc_corrupt(err, "block", 0, "unknown codec");
    if (stored > in.len - OL_BLOCK_HEADER) return ol_enc_corrupt(err, "block", 5, "stored length exceeds the input");
    if (ol_crc32c(0, src, stored) != crc) return ol_enc_corrupt(err, "block", 9, "CRC mismatch");
    if (codec == OL_BLOCK_RAW && raw != stored)
        return ol_enc_corrupt(err, "block", 1, "uncompressed block with raw length != stored length");
    if (raw > max_raw || raw > OL_BLOCK_MAX_RAW) {
        ol_err_set(err, "block stream: raw length %u exceeds the limit of %zu at byte 1", raw,
                   OL_MIN(max_raw, (size_t)OL_BLOCK_MAX_RAW));
        return OL_LIMIT;
    }
    if (codec == OL_BLOCK_ZSTD && ZSTD_getFrameContentSize(src, stored) != raw)
        return ol_enc_corrupt(err, "block", OL_BLOCK_HEADER, "zstd frame size differs from raw length");
    if (out->err || (raw && ol_buf_reserve(out, raw) != OL_OK)) {
        ol_err_set(err, "block stream: no room for %u raw bytes in the output (%s)", raw, ol_rc_str(out->err));
        return out->err;
    }
    uint8_t none = 0;
    uint8_t *dst = raw ? out->data + out->len : &none;
    if (codec == OL_BLOCK_RAW) {
        if (raw) memcpy(dst, src, raw);
    } else {
        ZSTD_DCtx *d = dctx_get();
        size_t r = d ? ZSTD_decompressDCtx(d, dst, raw, src, stored) : ZSTD_decompress(dst, raw, src, stored);
        if (ZSTD_isError(r) || r != raw) return ol_enc_corrupt(err, "block", OL_BLOCK_HEADER, "bad zstd data");
    }
    out->len += raw;
    *used = OL_BLOCK_HEADER + (size_t)stored;
    return OL_OK;
}
