/*
 * test_store_enc.c - the column encodings of the embedded store
 * (src/store/col/enc.c): exact byte layouts, round trips with extreme values,
 * back-to-back streams, the dictionary, blocks, and corrupt input for every
 * decoder (every truncation, overlong varints, impossible counts, bad runs,
 * block CRC / limit / codec errors), plus a seeded randomized round trip.
 */
#include <stdbool.h>

#include "codec/pb.h"
#include "core/util.h"
#include "store/col/enc.h"
#include "test.h"

#include <zstd.h>

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

static bool bytes_eq(const ol_buf_t *b, const uint8_t *want, size_t n)
{
    return b->err == OL_OK && b->len == n && (n == 0 || memcmp(b->data, want, n) == 0);
}

static bool msg_has(const ol_err_t *e, const char *stream)
{
    return strstr(e->msg, stream) != NULL && strstr(e->msg, "byte") != NULL;
}

/* ---- A uniform view of every decoder, for the generic corruption tests. ---- */

enum { MAXN = 4096, W = 16 };
static uint64_t s_u64[MAXN];
static int64_t s_i64[MAXN];
static uint8_t s_u8[MAXN * W];
static bool s_bool[MAXN];
static ol_slice_t s_sl[MAXN];

typedef int (*dec_fn)(ol_slice_t in, size_t n, size_t *used, ol_err_t *err);

#define DEC(name) static int name(ol_slice_t in, size_t n, size_t *used, ol_err_t *err)
DEC(d_uvarints) { return ol_dec_uvarints(in, s_u64, n, used, err); }
DEC(d_delta) { return ol_dec_delta(in, 7, s_u64, n, used, err); }
DEC(d_zigzag) { return ol_dec_zigzag(in, s_i64, n, used, err); }
DEC(d_u8) { return ol_dec_u8(in, s_u8, n, used, err); }
DEC(d_fixed)
{
    const uint8_t *p;
    return ol_dec_fixed(in, W, n, &p, used, err);
}
DEC(d_runs) { return ol_dec_runs(in, W, n, s_u8, used, err); }
DEC(d_bits) { return ol_dec_bits(in, s_bool, n, used, err); }
DEC(d_bytes) { return ol_dec_bytes(in, s_sl, n, used, err); }
DEC(d_dict)
{
    size_t count;
    return ol_dict_decode(in, s_sl, MAXN, &count, used, err);
}
DEC(d_block)
{
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_STORE, 0);
    int rc = ol_block_read(in, 1 << 20, &out, used, err);
    ol_buf_free(&out);
    return rc;
}

/* Every strict prefix of a valid stream is OL_CORRUPT with a message naming
 * the stream; the whole stream (and the stream followed by junk) decodes with
 * *used == its length. */
static void check_truncations(dec_fn f, const ol_buf_t *b, size_t n, const char *stream)
{
    ol_err_t err;
    size_t used = 12345;
    CHECK_EQ_INT(f(ol_buf_slice(b), n, &used, &err), OL_OK);
    CHECK_EQ_INT(used, b->len);
    uint8_t *copy = malloc(b->len + 3);
    memcpy(copy, b->data, b->len);
    memcpy(copy + b->len, "\xff\x80\x01", 3);
    used = 0;
    CHECK_EQ_INT(f(ol_slice(copy, b->len + 3), n, &used, &err), OL_OK);
    CHECK_EQ_INT(used, b->len);
    for (size_t k = 0; k < b->len; k++) {
        /* A heap copy of exactly k bytes so ASan sees any read past the end. */
        uint8_t *t = malloc(k ? k : 1);
        memcpy(t, b->data, k);
        err.msg[0] = 0;
        used = 777;
        int rc = f(ol_slice(k ? t : NULL, k), n, &used, &err);
        if (rc != OL_CORRUPT) fprintf(stderr, "  %s: prefix %zu of %zu gave %d\n", stream, k, b->len, rc);
        CHECK_EQ_INT(rc, OL_CORRUPT);
        CHECK(used == 777);
        CHECK(msg_has(&err, stream));
        free(t);
    }
    free(copy);
}

/* ---- Integers ---- */

/* The inline varint decoder (8 bytes at a time) against the protobuf
 * reader, on values of every bit length and on random bytes, which hit
 * overlong, non-canonical and truncated forms at every offset. */
static void test_varint_decoder_differential(void)
{
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    int bad = 0;
    uint8_t buf[40];
    for (int round = 0; round < 20000; round++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        size_t len = 1 + (seed >> 59) % 24, off = (seed >> 40) % 8;
        for (size_t i = 0; i < sizeof buf; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            uint8_t byte = (uint8_t)(seed >> 33);
            buf[i] = (round & 1) ? (uint8_t)(byte | 0x80) : byte; /* odd rounds: long continuation runs */
            if ((round & 3) == 1 && i == off + (seed >> 60) % 11) buf[i] &= 0x7f;
        }
        if (round % 5 == 0) { /* a canonical value of a random bit length */
            ol_buf_t b;
            ol_buf_init(&b, OL_MEM_STORE, 0);
            unsigned bits = (unsigned)(seed >> 20) % 65;
            uint64_t v = bits == 64 ? seed : seed & (((uint64_t)1 << bits) - 1);
            ol_pb_put_varint(&b, v);
            memcpy(buf + off, b.data, b.len);
            ol_buf_free(&b);
        }
        ol_slice_t in = ol_slice(buf + off, len);
        const uint8_t *q = in.ptr;
        uint64_t want = 0, got = 0;
        int rc_ref = ol_pb_read_varint(&q, in.ptr + in.len, &want);
        size_t used = 0;
        ol_err_t err;
        int rc = ol_dec_uvarints(in, &got, 1, &used, &err);
        if ((rc == OL_OK) != (rc_ref == OL_OK) || (rc == OL_OK && (got != want || used != (size_t)(q - in.ptr)))) bad++;
    }
    CHECK_EQ_INT(bad, 0);
}


static void test_uvarints(void)
{
    static const uint64_t v[] = {0, 1, 127, 128, 300, 16383, 16384, UINT32_MAX, (uint64_t)1 << 63, UINT64_MAX};
    const size_t n = OL_ARRAY_LEN(v);
    ol_buf_t b, ref;
    ol_buf_init(&b, OL_MEM_STORE, 0);
    ol_buf_init(&ref, OL_MEM_STORE, 0);
    ol_enc_uvarints(&b, v, n);
    for (size_t i = 0; i < n; i++) ol_pb_put_varint(&ref, v[i]);
    CHECK(bytes_eq(&b, ref.data, ref.len));
    uint64_t out[16];
    size_t used = 0;
    ol_err_t err;
    CHECK_EQ_INT(ol_dec_uvarints(ol_buf_slice(&b), out, n, &used, &err), OL_OK);
    CHECK_EQ_INT(used, b.len);
    CHECK(memcmp(out, v, sizeof v) == 0);
    check_truncations(d_uvarints, &b, n, "uvarints");

    /* n = 0: nothing written, nothing read, even from an empty slice. */
    ol_buf_reset(&b);
    ol_enc_uvarints(&b, NULL, 0);
    CHECK(b.len == 0 && b.err == OL_OK);
    used = 9;
    CHECK_EQ_INT(ol_dec_uvarints(OL_SLICE_NULL, out, 0, &used, &err), OL_OK);
    CHECK_EQ_INT(used, 0);
    ol_buf_free(&b);
    ol_buf_free(&ref);
}

static void test_delta(void)
{
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_STORE, 0);
    /* base 100: 100 -> zz(0), 101 -> zz(1), 99 -> zz(-2), 99 -> zz(0), 163 -> zz(64) = 128 */
    const uint64_t v[] = {100, 101, 99, 99, 163};
    ol_enc_delta(&b, 100, v, 5);
    CHECK(bytes_eq(&b, (const uint8_t *)"\x00\x02\x03\x00\x80\x01", 6));
    uint64_t out[8];
    size_t used;
    ol_err_t err;
    CHECK_EQ_INT(ol_dec_delta(ol_buf_slice(&b), 100, out, 5, &used, &err), OL_OK);
    CHECK(used == 6 && memcmp(out, v, sizeof v) == 0);

    /* Deltas that wrap: any u64 sequence round-trips, against any base. */
    const uint64_t w[] = {0, UINT64_MAX, 0, (uint64_t)1 << 63, 1, UINT64_MAX - 1, UINT64_MAX, 0};
    const uint64_t bases[] = {0, UINT64_MAX, (uint64_t)1 << 63, 12345};
    for (size_t k = 0; k < OL_ARRAY_LEN(bases); k++) {
        ol_buf_reset(&b);
        ol_enc_delta(&b, bases[k], w, OL_ARRAY_LEN(w));
        CHECK_EQ_INT(b.err, OL_OK);
        memset(out, 0xaa, sizeof out);
        CHECK_EQ_INT(ol_dec_delta(ol_buf_slice(&b), bases[k], out, OL_ARRAY_LEN(w), &used, &err), OL_OK);
        CHECK(used == b.len && memcmp(out, w, sizeof w) == 0);
    }
    /* 0 -> UINT64_MAX is a delta of -1 (one byte), not 2^64-1 (ten). */
    ol_buf_reset(&b);
    ol_enc_delta(&b, 0, w, 2);
    CHECK(bytes_eq(&b, (const uint8_t *)"\x00\x01", 2));

    ol_buf_reset(&b);
    ol_enc_delta(&b, 7, w, OL_ARRAY_LEN(w));
    check_truncations(d_delta, &b, OL_ARRAY_LEN(w), "delta");
    ol_buf_free(&b);
}

static void test_zigzag(void)
{
    const int64_t v[] = {0, -1, 1, -2, INT64_MAX, INT64_MIN, -64, 64};
    ol_buf_t b, ref;
    ol_buf_init(&b, OL_MEM_STORE, 0);
    ol_buf_init(&ref, OL_MEM_STORE, 0);
    ol_enc_zigzag(&b, v, OL_ARRAY_LEN(v));
    const uint64_t zz[] = {0, 1, 2, 3, UINT64_MAX - 1, UINT64_MAX, 127, 128};
    for (size_t i = 0; i < OL_ARRAY_LEN(zz); i++) ol_pb_put_varint(&ref, zz[i]);
    CHECK(bytes_eq(&b, ref.data, ref.len));
    int64_t out[8];
    size_t used;
    ol_err_t err;
    CHECK_EQ_INT(ol_dec_zigzag(ol_buf_slice(&b), out, OL_ARRAY_LEN(v), &used, &err), OL_OK);
    CHECK(used == b.len && memcmp(out, v, sizeof v) == 0);
    /* Agrees with the protobuf sint64 decoding. */
    for (size_t i = 0; i < OL_ARRAY_LEN(zz); i++) CHECK(ol_pb_zigzag_decode(zz[i]) == v[i]);
    check_truncations(d_zigzag, &b, OL_ARRAY_LEN(v), "zigzag");
    ol_buf_free(&b);
    ol_buf_free(&ref);
}

static void test_overlong_varints(void)
{
    /* Eleven bytes of continuation, and a tenth byte that would overflow 64 bits. */
    static const uint8_t eleven[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    static const uint8_t tenth[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    static const uint8_t max[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    dec_fn fs[] = {d_uvarints, d_delta, d_zigzag};
    const char *names[] = {"uvarints", "delta", "zigzag"};
    ol_err_t err;
    size_t used = 5;
    for (size_t i = 0; i < 3; i++) {
        CHECK_EQ_INT(fs[i](ol_slice(eleven, sizeof eleven), 1, &used, &err), OL_CORRUPT);
        CHECK(msg_has(&err, names[i]) && strstr(err.msg, "byte 0"));
        CHECK_EQ_INT(fs[i](ol_slice(tenth, sizeof tenth), 1, &used, &err), OL_CORRUPT);
        CHECK_EQ_INT(fs[i](ol_slice(max, sizeof max), 1, &used, &err), OL_OK);
        CHECK_EQ_INT(used, 10);
    }
    CHECK(s_i64[0] == INT64_MIN); /* the last call: zigzag of UINT64_MAX */
    /* The offset names the varint that failed: the third value here. */
    static const uint8_t third[] = {0x01, 0x02, 0x80};
    CHECK_EQ_INT(d_uvarints(ol_slice(third, 3), 3, &used, &err), OL_CORRUPT);
    CHECK(strstr(err.msg, "byte 2") != NULL);
    /* Bad varints inside runs, bytes and dict streams. */
    CHECK_EQ_INT(d_runs(ol_slice(eleven, sizeof eleven), 1, &used, &err), OL_CORRUPT);
    CHECK(msg_has(&err, "runs"));
    CHECK_EQ_INT(d_bytes(ol_slice(eleven, sizeof eleven), 1, &used, &err), OL_CORRUPT);
    CHECK(msg_has(&err, "bytes"));
    CHECK_EQ_INT(d_dict(ol_slice(eleven, sizeof eleven), 0, &used, &err), OL_CORRUPT);
    CHECK(msg_has(&err, "dict"));
}

static void test_counts_larger_than_data(void)
{
    static const uint8_t few[] = {1, 2, 3};
    ol_err_t err;
    size_t used;
    dec_fn fs[] = {d_uvarints, d_delta, d_zigzag, d_u8, d_fixed, d_bits, d_bytes};
    for (size_t i = 0; i < OL_ARRAY_LEN(fs); i++) {
        CHECK_EQ_INT(fs[i](ol_slice(few, 3), 4 * 8 * W, &used, &err), OL_CORRUPT);
        CHECK_EQ_INT(fs[i](ol_slice(few, 3), SIZE_MAX, &used, &err), OL_CORRUPT);
    }
    /* n * width overflows size_t. */
    const uint8_t *p;
    CHECK_EQ_INT(ol_dec_fixed(ol_slice(few, 3), SIZE_MAX / 2, 3, &p, &used, &err), OL_CORRUPT);
    CHECK_EQ_INT(ol_dec_runs(ol_slice(few, 3), SIZE_MAX / 2, 3, s_u8, &used, &err), OL_CORRUPT);
    /* A string length larger than the stream, and lengths whose sum is. */
    static const uint8_t big[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 'a'};
    CHECK_EQ_INT(d_bytes(ol_slice(big, sizeof big), 1, &used, &err), OL_CORRUPT);
    static const uint8_t sum[] = {2, 2, 'a', 'b', 'c'};
    CHECK_EQ_INT(d_bytes(ol_slice(sum, sizeof sum), 2, &used, &err), OL_CORRUPT);
    CHECK(msg_has(&err, "bytes"));
    static const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 'a'};
    CHECK_EQ_INT(d_bytes(ol_slice(huge, sizeof huge), 1, &used, &err), OL_CORRUPT);
}

/* ---- u8, fixed, bits ---- */

static void test_u8_fixed(void)
{
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_STORE, 0);
    const uint8_t k[] = {0, 1, 2, 255, 3};
    ol_enc_u8(&b, k, 5);
    CHECK(bytes_eq(&b, k, 5));
    uint8_t out[8];
    size_t used;
    ol_err_t err;
    CHECK_EQ_INT(ol_dec_u8(ol_buf_slice(&b), out, 5, &used, &err), OL_OK);
    CHECK(used == 5 && memcmp(out, k, 5) == 0);
    check_truncations(d_u8, &b, 5, "u8");

    uint8_t ids[3 * W];
    for (size_t i = 0; i < sizeof ids; i++) ids[i] = (uint8_t)(i * 7 + 1);
    ol_buf_reset(&b);
    ol_enc_fixed(&b, ids, W, 3);
    CHECK(bytes_eq(&b, ids, sizeof ids));
    const uint8_t *p = NULL;
    CHECK_EQ_INT(ol_dec_fixed(ol_buf_slice(&b), W, 3, &p, &used, &err), OL_OK);
    CHECK(p == b.data && used == sizeof ids);
    check_truncations(d_fixed, &b, 3, "fixed");
    /* Doubles as bit patterns, 8 bytes. */
    double dv[2] = {-0.0, 1e308};
    ol_buf_reset(&b);
    ol_enc_fixed(&b, (const uint8_t *)dv, 8, 2);
    CHECK_EQ_INT(ol_dec_fixed(ol_buf_slice(&b), 8, 2, &p, &used, &err), OL_OK);
    CHECK(used == 16 && memcmp(p, dv, 16) == 0);
    CHECK_EQ_INT(ol_dec_fixed(OL_SLICE_NULL, 8, 0, &p, &used, &err), OL_OK);
    CHECK_EQ_INT(used, 0);
    ol_buf_free(&b);
}

static void test_bits(void)
{
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_STORE, 0);
    bool v[20];
    for (size_t i = 0; i < 20; i++) v[i] = (i % 3 == 0) || i == 9;
    /* 1,0,0,1,0,0,1,0 | 0,1,0,0,1,0,0,1 | 0,0,1,0 -> 0x49, 0x92, 0x04 */
    ol_enc_bits(&b, v, 20);
    CHECK(bytes_eq(&b, (const uint8_t *)"\x49\x92\x04", 3));
    bool out[20];
    size_t used;
    ol_err_t err;
    for (size_t n = 0; n <= 20; n++) {
        ol_buf_reset(&b);
        ol_enc_bits(&b, v, n);
        CHECK_EQ_INT(b.len, (n + 7) / 8);
        memset(out, 0, sizeof out);
        CHECK_EQ_INT(ol_dec_bits(ol_buf_slice(&b), out, n, &used, &err), OL_OK);
        CHECK(used == b.len && memcmp(out, v, n) == 0);
    }
    check_truncations(d_bits, &b, 20, "bits");
    /* Padding bits after the last value must be zero. */
    CHECK_EQ_INT(ol_dec_bits(ol_slice("\x49\x92\x14", 3), out, 20, &used, &err), OL_CORRUPT);
    CHECK(msg_has(&err, "bits") && strstr(err.msg, "byte 2"));
    CHECK_EQ_INT(ol_dec_bits(ol_slice("\xff", 1), out, 8, &used, &err), OL_OK);
    ol_buf_free(&b);
}

/* ---- runs ---- */

static void test_runs(void)
{
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_STORE, 0);
    /* 2-byte values AA AA BB: two runs. */
    const uint8_t v[] = {0xaa, 0x01, 0xaa, 0x01, 0xbb, 0x02};
    ol_enc_runs(&b, v, 2, 3);
    CHECK(bytes_eq(&b, (const uint8_t *)"\x02\x02\xaa\x01\x01\xbb\x02", 7));
    uint8_t out[6 * W];
    size_t used;
    ol_err_t err;
    CHECK_EQ_INT(ol_dec_runs(ol_buf_slice(&b), 2, 3, out, &used, &err), OL_OK);
    CHECK(used == 7 && memcmp(out, v, 6) == 0);

    /* Trace ids: long runs, single values, a run at the end. */
    enum { N = 300 };
    static uint8_t ids[N * W], back[N * W];
    for (size_t i = 0; i < N; i++)
        for (size_t k = 0; k < W; k++) ids[i * W + k] = (uint8_t)((i < 200 ? i / 37 : i) * 13 + k);
    ol_buf_reset(&b);
    ol_enc_runs(&b, ids, W, N);
    CHECK_EQ_INT(ol_dec_runs(ol_buf_slice(&b), W, N, back, &used, &err), OL_OK);
    CHECK(used == b.len && memcmp(ids, back, sizeof ids) == 0);
    CHECK(b.len < (6 + 100) * (W + 2));
    check_truncations(d_runs, &b, N, "runs");
    /* Long runs have multi-byte lengths, so a cut inside the last value
     * passes the run-count bound and must be caught at the value. */
    for (size_t i = 0; i < N; i++) memset(ids + i * W, i < 200 ? 0xa1 : (int)i, W);
    ol_buf_reset(&b);
    ol_enc_runs(&b, ids, W, 201);
    CHECK_EQ_INT(b.len, 1 + 2 + W + 1 + W);
    check_truncations(d_runs, &b, 201, "runs");

    /* n = 0 is a single zero run count; width 1 and all-equal values. */
    ol_buf_reset(&b);
    ol_enc_runs(&b, NULL, W, 0);
    CHECK(bytes_eq(&b, (const uint8_t *)"\x00", 1));
    CHECK_EQ_INT(ol_dec_runs(ol_buf_slice(&b), W, 0, NULL, &used, &err), OL_OK);
    CHECK_EQ_INT(used, 1);
    CHECK_EQ_INT(ol_dec_runs(OL_SLICE_NULL, W, 0, NULL, &used, &err), OL_CORRUPT);
    uint8_t same[1000];
    memset(same, 7, sizeof same);
    ol_buf_reset(&b);
    ol_enc_runs(&b, same, 1, sizeof same);
    CHECK(bytes_eq(&b, (const uint8_t *)"\x01\xe8\x07\x07", 4));
    memset(back, 0, sizeof same);
    CHECK_EQ_INT(ol_dec_runs(ol_buf_slice(&b), 1, sizeof same, back, &used, &err), OL_OK);
    CHECK(memcmp(back, same, sizeof same) == 0);
    ol_buf_free(&b);
}

static void test_runs_corrupt(void)
{
    uint8_t out[16];
    size_t used;
    ol_err_t err;
    struct {
        const char *in;
        size_t len, n;
        const char *why;
    } cases[] = {
        {"\x02\x01\xaa\x01\xbb", 5, 3, "sum below n"},
        {"\x02\x02\xaa\x02\xbb", 5, 3, "sum above n"},
        {"\x02\x00\xaa\x03\xbb", 5, 3, "empty run"},
        {"\x00", 1, 3, "no runs for n > 0"},
        {"\x04\x01\xaa\x01\xbb", 5, 3, "more runs than n"},
        {"\x03\x01\xaa\x01\xbb", 5, 3, "more runs than bytes"},
        {"\xff\xff\xff\xff\x0f", 5, 3, "huge run count"},
        {"\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\xaa", 12, 3, "huge run length"},
        {"\x01\x01", 2, 1, "missing value"},
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(cases); i++) {
        err.msg[0] = 0;
        int rc = ol_dec_runs(ol_slice(cases[i].in, cases[i].len), 1, cases[i].n, out, &used, &err);
        if (rc != OL_CORRUPT) fprintf(stderr, "  runs case '%s' gave %d\n", cases[i].why, rc);
        CHECK_EQ_INT(rc, OL_CORRUPT);
        CHECK(msg_has(&err, "runs"));
    }
    /* The same bytes with the right n decode. */
    CHECK_EQ_INT(ol_dec_runs(ol_slice("\x02\x01\xaa\x01\xbb", 5), 1, 2, out, &used, &err), OL_OK);
    CHECK(used == 5 && out[0] == 0xaa && out[1] == 0xbb);
}

/* ---- byte strings ---- */

static void test_bytes(void)
{
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_STORE, 0);
    char longs[300];
    memset(longs, 'x', sizeof longs);
    ol_slice_t v[] = {OL_SLICE_LIT("ab"), OL_SLICE_NULL, OL_SLICE_LIT("c"), ol_slice(longs, sizeof longs)};
    ol_enc_bytes(&b, v, 3);
    CHECK(bytes_eq(&b, (const uint8_t *)"\x02\x00\x01" "abc", 6));
    ol_buf_reset(&b);
    ol_enc_bytes(&b, v, 4);
    ol_slice_t out[4];
    size_t used;
    ol_err_t err;
    CHECK_EQ_INT(ol_dec_bytes(ol_buf_slice(&b), out, 4, &used, &err), OL_OK);
    CHECK_EQ_INT(used, b.len);
    for (size_t i = 0; i < 4; i++) CHECK(ol_slice_eq(out[i], v[i]));
    CHECK(out[0].ptr >= b.data && out[3].ptr + out[3].len == b.data + b.len); /* slices into the input */
    check_truncations(d_bytes, &b, 4, "bytes");
    ol_buf_free(&b);
}

/* ---- dictionaries ---- */

static void test_dict(void)
{
    ol_dict_t *d = ol_dict_new();
    CHECK(d != NULL);
    CHECK_EQ_INT(ol_dict_count(d), 0);
    CHECK_EQ_INT(ol_dict_find(d, OL_SLICE_LIT("a")), UINT32_MAX);
    char tmp[8] = "checkout";
    CHECK_EQ_INT(ol_dict_add(d, ol_slice(tmp, 8)), 0);
    memset(tmp, 0, sizeof tmp); /* the dictionary holds a copy */
    CHECK_EQ_INT(ol_dict_add(d, OL_SLICE_LIT("cart")), 1);
    CHECK_EQ_INT(ol_dict_add(d, OL_SLICE_LIT("checkout")), 0);
    CHECK_EQ_INT(ol_dict_add(d, OL_SLICE_NULL), 2);
    CHECK_EQ_INT(ol_dict_add(d, OL_SLICE_LIT("")), 2);
    CHECK_EQ_INT(ol_dict_find(d, OL_SLICE_LIT("cart")), 1);
    CHECK_EQ_INT(ol_dict_find(d, OL_SLICE_LIT("car")), UINT32_MAX);
    CHECK_EQ_INT(ol_dict_count(d), 3);
    CHECK_EQ_INT(ol_dict_bytes(d), 12);
    CHECK(ol_slice_eq_cstr(ol_dict_get(d, 0), "checkout"));
    CHECK(ol_dict_get(d, 2).len == 0);

    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_STORE, 0);
    ol_dict_encode(d, &b);
    CHECK(bytes_eq(&b, (const uint8_t *)"\x03\x08\x04\x00" "checkoutcart", 16));
    ol_slice_t out[4];
    size_t count = 0, used = 0;
    ol_err_t err;
    CHECK_EQ_INT(ol_dict_decode(ol_buf_slice(&b), out, 4, &count, &used, &err), OL_OK);
    CHECK(count == 3 && used == 16);
    CHECK(ol_slice_eq_cstr(out[0], "checkout") && ol_slice_eq_cstr(out[1], "cart") && out[2].len == 0);
    /* max_count is a limit, not corruption. */
    CHECK_EQ_INT(ol_dict_decode(ol_buf_slice(&b), out, 2, &count, &used, &err), OL_LIMIT);
    CHECK_EQ_INT(ol_dict_decode(ol_buf_slice(&b), out, 3, &count, &used, &err), OL_OK);
    check_truncations(d_dict, &b, 0, "dict");
    /* A count no stream of this size can hold is corruption. */
    CHECK_EQ_INT(ol_dict_decode(ol_slice("\x05\x00\x00", 3), out, 4, &count, &used, &err), OL_CORRUPT);
    CHECK_EQ_INT(ol_dict_decode(ol_slice("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10), out, SIZE_MAX, &count, &used,
                                &err),
                 OL_CORRUPT);
    CHECK(msg_has(&err, "dict"));
    /* Offsets in errors count from the start of the dictionary stream. */
    CHECK_EQ_INT(ol_dict_decode(ol_slice("\x02\x01\x05" "a", 4), out, 4, &count, &used, &err), OL_CORRUPT);
    CHECK(strstr(err.msg, "byte 2") != NULL);
    /* Empty dictionary. */
    ol_dict_t *e = ol_dict_new();
    ol_buf_reset(&b);
    ol_dict_encode(e, &b);
    CHECK(bytes_eq(&b, (const uint8_t *)"\x00", 1));
    CHECK_EQ_INT(ol_dict_decode(ol_buf_slice(&b), NULL, 0, &count, &used, &err), OL_OK);
    CHECK(count == 0 && used == 1);
    ol_dict_free(e);
    ol_dict_free(NULL);
    ol_dict_free(d);
    ol_buf_free(&b);
}

static void test_dict_many(void)
{
    /* Enough strings to grow the table, the id array and the chunk chain
     * several times, with big strings that get chunks of their own; slices
     * handed out early must stay valid. Every 5000th id is a big string. */
    enum { N = 20000, BIG = 100000 };
    ol_dict_t *d = ol_dict_new();
    char s[64];
    static char big[BIG];
    memset(big, 'B', sizeof big);
    size_t bytes = 0;
    ol_slice_t first = OL_SLICE_NULL;
    for (uint32_t i = 0; i < N; i++) {
        ol_slice_t v;
        if (i % 5000 == 4999) {
            big[0] = (char)('a' + i / 5000);
            v = ol_slice(big, sizeof big);
        } else {
            v = ol_slice(s, (size_t)snprintf(s, sizeof s, "value-%u", i * 2654435761u));
        }
        CHECK_EQ_INT(ol_dict_add(d, v), i);
        CHECK_EQ_INT(ol_dict_add(d, v), i);
        bytes += v.len;
        if (i == 0) first = ol_dict_get(d, 0);
    }
    CHECK_EQ_INT(ol_dict_count(d), N);
    CHECK_EQ_INT(ol_dict_bytes(d), bytes);
    CHECK(first.ptr == ol_dict_get(d, 0).ptr);
    for (uint32_t i = 0; i < N; i++) {
        ol_slice_t g = ol_dict_get(d, i);
        CHECK_EQ_INT(ol_dict_find(d, g), i);
        if (i % 5000 == 4999) {
            CHECK(g.len == BIG && g.ptr[0] == 'a' + i / 5000 && g.ptr[BIG - 1] == 'B');
            continue;
        }
        int n = snprintf(s, sizeof s, "value-%u", i * 2654435761u);
        CHECK(ol_slice_eq(g, ol_slice(s, (size_t)n)));
    }
    CHECK_EQ_INT(ol_dict_find(d, OL_SLICE_LIT("value-x")), UINT32_MAX);

    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_STORE, 0);
    ol_dict_encode(d, &b);
    ol_slice_t *out = malloc(N * sizeof *out);
    size_t count = 0, used = 0;
    ol_err_t err;
    CHECK_EQ_INT(ol_dict_decode(ol_buf_slice(&b), out, N, &count, &used, &err), OL_OK);
    CHECK(count == N && used == b.len);
    for (uint32_t i = 0; i < N && i < count; i++) CHECK(ol_slice_eq(out[i], ol_dict_get(d, i)));
    CHECK_EQ_INT(ol_dict_decode(ol_buf_slice(&b), out, N - 1, &count, &used, &err), OL_LIMIT);
    free(out);
    ol_buf_free(&b);
    ol_dict_free(d);
}

static void test_dict_alloc_failure(void)
{
    int64_t before = ol_mem_in_use(OL_MEM_STORE);
    ol_dict_t *d = ol_dict_new();
    /* Fail each of the first allocations in turn: the add fails cleanly and
     * the dictionary stays usable. */
    for (long k = 1; k <= 4; k++) {
        ol_alloc_fail_after(k);
        uint32_t id = ol_dict_add(d, OL_SLICE_LIT("first"));
        ol_alloc_fail_after(0);
        CHECK(id == UINT32_MAX || id == 0);
    }
    CHECK_EQ_INT(ol_dict_add(d, OL_SLICE_LIT("first")), 0);
    CHECK_EQ_INT(ol_dict_add(d, OL_SLICE_LIT("second")), 1);
    CHECK_EQ_INT(ol_dict_count(d), 2);
    CHECK_EQ_INT(ol_dict_find(d, OL_SLICE_LIT("first")), 0);
    ol_dict_free(d);
    CHECK_EQ_INT(ol_mem_in_use(OL_MEM_STORE), before);
}

/* ---- blocks ---- */

static void test_block_round_trip(void)
{
    ol_buf_t b, out;
    ol_buf_init(&b, OL_MEM_STORE, 0);
    ol_buf_init(&out, OL_MEM_STORE, 0);
    ol_err_t err;
    size_t used;
    /* Compressible: zstd. */
    static char text[20000];
    for (size_t i = 0; i < sizeof text; i++) text[i] = "spanspanspanXYZ"[i % 15];
    ol_block_write(&b, ol_slice(text, sizeof text), 3);
    CHECK_EQ_INT(b.err, OL_OK);
    CHECK(b.data[0] == 1 && b.len < sizeof text / 10);
    CHECK_EQ_INT(ol_load_le32(b.data + 1), sizeof text);
    CHECK_EQ_INT(ol_load_le32(b.data + 5), b.len - OL_BLOCK_HEADER);
    CHECK(ol_load_le32(b.data + 9) == ol_crc32c(0, b.data + OL_BLOCK_HEADER, b.len - OL_BLOCK_HEADER));
    size_t first = b.len;
    /* Incompressible: stored raw. */
    static uint8_t noise[5000];
    for (size_t i = 0; i < sizeof noise; i++) noise[i] = (uint8_t)rnd();
    ol_block_write(&b, ol_slice(noise, sizeof noise), 3);
    CHECK(b.data[first] == 0 && b.len == first + OL_BLOCK_HEADER + sizeof noise);
    CHECK(memcmp(b.data + first + OL_BLOCK_HEADER, noise, sizeof noise) == 0);
    size_t second = b.len;
    /* Empty: raw, zero lengths. */
    ol_block_write(&b, OL_SLICE_NULL, 3);
    CHECK(b.len == second + OL_BLOCK_HEADER && b.data[second] == 0);
    CHECK(ol_load_le32(b.data + second + 1) == 0 && ol_load_le32(b.data + second + 5) == 0);

    /* Back to back, with exact `used`; output appends. */
    ol_slice_t in = ol_buf_slice(&b);
    ol_buf_append(&out, "pre", 3);
    CHECK_EQ_INT(ol_block_read(in, 1 << 20, &out, &used, &err), OL_OK);
    CHECK(used == first && out.len == 3 + sizeof text && memcmp(out.data + 3, text, sizeof text) == 0);
    in.ptr += used, in.len -= used;
    ol_buf_reset(&out);
    CHECK_EQ_INT(ol_block_read(in, sizeof noise, &out, &used, &err), OL_OK);
    CHECK(used == second - first && out.len == sizeof noise && memcmp(out.data, noise, sizeof noise) == 0);
    in.ptr += used, in.len -= used;
    ol_buf_reset(&out);
    CHECK_EQ_INT(ol_block_read(in, 0, &out, &used, &err), OL_OK);
    CHECK(used == OL_BLOCK_HEADER && out.len == 0 && in.len == OL_BLOCK_HEADER);

    /* max_raw: exactly enough passes, one less is a limit for both codecs. */
    ol_buf_reset(&out);
    CHECK_EQ_INT(ol_block_read(ol_buf_slice(&b), sizeof text, &out, &used, &err), OL_OK);
    ol_buf_reset(&out);
    CHECK_EQ_INT(ol_block_read(ol_buf_slice(&b), sizeof text - 1, &out, &used, &err), OL_LIMIT);
    CHECK(out.len == 0 && strstr(err.msg, "block") != NULL);
    CHECK_EQ_INT(ol_block_read(ol_slice(b.data + first, second - first), sizeof noise - 1, &out, &used, &err),
                 OL_LIMIT);
    /* Truncation at every byte of a zstd block and of a raw block. */
    ol_buf_t one;
    ol_buf_init(&one, OL_MEM_STORE, 0);
    ol_buf_append(&one, b.data, first);
    check_truncations(d_block, &one, 0, "block");
    ol_buf_reset(&one);
    ol_block_write(&one, OL_SLICE_LIT("tiny"), 3);
    CHECK(one.data[0] == 0);
    check_truncations(d_block, &one, 0, "block");
    ol_buf_free(&one);
    ol_buf_free(&b);
    ol_buf_free(&out);
}

/* A block header over `stored`, with a correct CRC. */
static void make_block(ol_buf_t *b, uint8_t codec, uint32_t raw, const void *stored, size_t n)
{
    uint8_t h[OL_BLOCK_HEADER];
    h[0] = codec;
    ol_store_le32(h + 1, raw);
    ol_store_le32(h + 5, (uint32_t)n);
    ol_store_le32(h + 9, ol_crc32c(0, stored, n));
    ol_buf_reset(b);
    ol_buf_append(b, h, sizeof h);
    ol_buf_append(b, stored, n);
}

static void test_block_corrupt(void)
{
    ol_buf_t b, out;
    ol_buf_init(&b, OL_MEM_STORE, 0);
    ol_buf_init(&out, OL_MEM_STORE, 0);
    ol_err_t err;
    size_t used;
    char text[4000];
    for (size_t i = 0; i < sizeof text; i++) text[i] = (char)('a' + i % 5);

    /* CRC mismatch: a flipped stored byte, or a flipped CRC byte. */
    ol_block_write(&b, ol_slice(text, sizeof text), 1);
    b.data[OL_BLOCK_HEADER + 3] ^= 1;
    CHECK_EQ_INT(ol_block_read(ol_buf_slice(&b), 1 << 20, &out, &used, &err), OL_CORRUPT);
    CHECK(msg_has(&err, "block") && strstr(err.msg, "CRC"));
    b.data[OL_BLOCK_HEADER + 3] ^= 1;
    b.data[10] ^= 0x80;
    CHECK_EQ_INT(ol_block_read(ol_buf_slice(&b), 1 << 20, &out, &used, &err), OL_CORRUPT);
    b.data[10] ^= 0x80;
    CHECK_EQ_INT(ol_block_read(ol_buf_slice(&b), 1 << 20, &out, &used, &err), OL_OK);
    /* Unknown codec. */
    b.data[0] = 2;
    CHECK_EQ_INT(ol_block_read(ol_buf_slice(&b), 1 << 20, &out, &used, &err), OL_CORRUPT);
    CHECK(strstr(err.msg, "codec") != NULL);
    b.data[0] = 0xff;
    CHECK_EQ_INT(ol_block_read(ol_buf_slice(&b), 1 << 20, &out, &used, &err), OL_CORRUPT);
    /* Stored length past the end. */
    ol_buf_reset(&out);
    make_block(&b, 0, 3, "abc", 3);
    ol_store_le32(b.data + 5, 4);
    CHECK_EQ_INT(ol_block_read(ol_buf_slice(&b), 1 << 20, &out, &used, &err), OL_CORRUPT);
    ol_store_le32(b.data + 5, UINT32_MAX);
    CHECK_EQ_INT(ol_block_read(ol_buf_slice(&b), 1 << 20, &out, &used, &err), OL_CORRUPT);
    /* Raw block whose raw length differs from its stored length. */
    make_block(&b, 0, 4, "abc", 3);
    CHECK_EQ_INT(ol_block_read(ol_buf_slice(&b), 1 << 20, &out, &used, &err), OL_CORRUPT);
    make_block(&b, 0, 3, "abc", 3);
    CHECK_EQ_INT(ol_block_read(ol_buf_slice(&b), 1 << 20, &out, &used, &err), OL_OK);
    CHECK(out.len == 3 && memcmp(out.data, "abc", 3) == 0);
    /* zstd garbage behind a correct CRC. */
    ol_buf_reset(&out);
    make_block(&b, 1, 100, "this is not zstd", 16);
    CHECK_EQ_INT(ol_block_read(ol_buf_slice(&b), 1 << 20, &out, &used, &err), OL_CORRUPT);
    CHECK(out.len == 0 && msg_has(&err, "block"));
    /* A valid frame, but the header claims another raw length. */
    char z[256];
    size_t zn = ZSTD_compress(z, sizeof z, text, 1000, 1);
    CHECK(!ZSTD_isError(zn));
    make_block(&b, 1, 999, z, zn);
    CHECK_EQ_INT(ol_block_read(ol_buf_slice(&b), 1 << 20, &out, &used, &err), OL_CORRUPT);
    make_block(&b, 1, 1001, z, zn);
    CHECK_EQ_INT(ol_block_read(ol_buf_slice(&b), 1 << 20, &out, &used, &err), OL_CORRUPT);
    make_block(&b, 1, 1000, z, zn);
    CHECK_EQ_INT(ol_block_read(ol_buf_slice(&b), 1 << 20, &out, &used, &err), OL_OK);
    CHECK(out.len == 1000 && memcmp(out.data, text, 1000) == 0);
    /* A frame whose content then differs from its declared size (truncated
     * frame body) fails inside zstd. */
    ol_buf_reset(&out);
    make_block(&b, 1, 1000, z, zn - 2);
    CHECK_EQ_INT(ol_block_read(ol_buf_slice(&b), 1 << 20, &out, &used, &err), OL_CORRUPT);
    /* Two frames: the second would overflow the raw length. */
    char zz[512];
    memcpy(zz, z, zn);
    memcpy(zz + zn, z, zn);
    make_block(&b, 1, 1000, zz, 2 * zn);
    CHECK_EQ_INT(ol_block_read(ol_buf_slice(&b), 1 << 20, &out, &used, &err), OL_CORRUPT);
    CHECK(out.len == 0);
    /* A frame without a content size. */
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
    zn = ZSTD_compress2(cc, z, sizeof z, text, 1000);
    ZSTD_freeCCtx(cc);
    CHECK(!ZSTD_isError(zn));
    make_block(&b, 1, 1000, z, zn);
    CHECK_EQ_INT(ol_block_read(ol_buf_slice(&b), 1 << 20, &out, &used, &err), OL_CORRUPT);
    /* Claims beyond max_raw and beyond OL_BLOCK_MAX_RAW are limits. */
    make_block(&b, 1, OL_BLOCK_MAX_RAW + 1, "xx", 2);
    CHECK_EQ_INT(ol_block_read(ol_buf_slice(&b), SIZE_MAX, &out, &used, &err), OL_LIMIT);
    make_block(&b, 1, UINT32_MAX, "xx", 2);
    CHECK_EQ_INT(ol_block_read(ol_buf_slice(&b), SIZE_MAX, &out, &used, &err), OL_LIMIT);
    make_block(&b, 1, 5000, "xx", 2);
    CHECK_EQ_INT(ol_block_read(ol_buf_slice(&b), 4999, &out, &used, &err), OL_LIMIT);
    CHECK(strstr(err.msg, "limit") != NULL);
    CHECK(out.len == 0);
    /* An output buffer with a limit of its own: its code comes back. */
    ol_buf_t small;
    ol_buf_init(&small, OL_MEM_STORE, 999);
    ol_buf_reset(&b);
    ol_block_write(&b, ol_slice(text, 1000), 1);
    CHECK(b.data[0] == 1);
    CHECK_EQ_INT(ol_block_read(ol_buf_slice(&b), 1 << 20, &small, &used, &err), OL_LIMIT);
    CHECK(small.len == 0 && strstr(err.msg, "block") != NULL);
    ol_buf_free(&small);
    ol_buf_free(&b);
    ol_buf_free(&out);
}

static void test_encoders_on_limited_buffers(void)
{
    /* A buffer limit turns into the buffer's sticky OL_LIMIT, never a partial stream. */
    uint64_t v[100];
    for (size_t i = 0; i < 100; i++) v[i] = i * 1000;
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_STORE, 50);
    ol_enc_uvarints(&b, v, 100);
    CHECK(b.err == OL_LIMIT && b.len == 0);
    ol_buf_free(&b);
    ol_buf_init(&b, OL_MEM_STORE, 300);
    ol_enc_delta(&b, 0, v, 100);
    CHECK(b.err == OL_OK && b.len == 1 + 99 * 2);
    ol_buf_free(&b);
    /* A block never needs more than header + raw bytes of room. */
    static uint8_t noise[1000];
    for (size_t i = 0; i < sizeof noise; i++) noise[i] = (uint8_t)rnd();
    ol_buf_init(&b, OL_MEM_STORE, OL_BLOCK_HEADER + sizeof noise);
    ol_block_write(&b, ol_slice(noise, sizeof noise), 3);
    CHECK(b.err == OL_OK && b.len == OL_BLOCK_HEADER + sizeof noise);
    ol_buf_free(&b);
}

/* ---- randomized round trip ---- */

static uint64_t rnd_value(void)
{
    switch (rnd() % 6) {
    case 0: return 0;
    case 1: return UINT64_MAX - rnd() % 3;
    case 2: return rnd() % 128;
    case 3: return rnd() >> (rnd() % 64);
    case 4: return (uint64_t)1 << (rnd() % 64);
    default: return rnd();
    }
}

static void test_random_round_trip(void)
{
    g_rng = 0x5eed5eed12345678ull;
    enum { N = 700 };
    static uint64_t u[N], base_ts[N], du[N];
    static int64_t z[N], dz[N];
    static uint8_t k[N], dk[N], ids[N * W], dids[N * W], fx[N * 8];
    static bool bits[N], dbits[N];
    static ol_slice_t strs[N], dstrs[N], dict_out[N];
    static char pool[N * 20];
    ol_buf_t b, blk, raw;
    ol_buf_init(&b, OL_MEM_STORE, 0);
    ol_buf_init(&blk, OL_MEM_STORE, 0);
    ol_buf_init(&raw, OL_MEM_STORE, 0);
    for (int round = 0; round < 60; round++) {
        size_t n = rnd() % (round < 10 ? 5 : N + 1);
        uint64_t base = rnd_value();
        uint64_t ts = rnd_value();
        for (size_t i = 0; i < n; i++) {
            u[i] = rnd_value();
            ts += rnd() % 4 == 0 ? rnd_value() : rnd() % 100000;
            base_ts[i] = ts;
            z[i] = (int64_t)rnd_value();
            k[i] = (uint8_t)rnd();
            bits[i] = rnd() & 1;
            if (i == 0 || rnd() % 4 == 0)
                for (size_t w = 0; w < W; w++) ids[i * W + w] = (uint8_t)rnd();
            else
                memcpy(ids + i * W, ids + (i - 1) * W, W);
            for (size_t w = 0; w < 8; w++) fx[i * 8 + w] = (uint8_t)rnd();
            size_t len = rnd() % 20;
            char *s = pool + i * 20;
            for (size_t c = 0; c < len; c++) s[c] = (char)('a' + rnd() % 3);
            strs[i] = ol_slice(s, len);
        }
        ol_dict_t *d = ol_dict_new();
        uint64_t ref[N];
        for (size_t i = 0; i < n; i++) ref[i] = ol_dict_add(d, strs[i]);

        ol_buf_reset(&b);
        ol_enc_uvarints(&b, u, n);
        ol_enc_delta(&b, base, base_ts, n);
        ol_enc_zigzag(&b, z, n);
        ol_enc_u8(&b, k, n);
        ol_enc_runs(&b, ids, W, n);
        ol_enc_fixed(&b, fx, 8, n);
        ol_enc_bits(&b, bits, n);
        ol_enc_bytes(&b, strs, n);
        ol_dict_encode(d, &b);
        ol_enc_uvarints(&b, ref, n);
        CHECK_EQ_INT(b.err, OL_OK);
        /* Two blocks back to back. */
        ol_buf_reset(&blk);
        ol_block_write(&blk, ol_buf_slice(&b), (int)(rnd() % 4));
        ol_block_write(&blk, ol_slice(b.data, b.len / 2), 1);
        ol_buf_reset(&raw);
        size_t used, used2, off = 0;
        ol_err_t err;
        CHECK_EQ_INT(ol_block_read(ol_buf_slice(&blk), b.len, &raw, &used, &err), OL_OK);
        CHECK_EQ_INT(ol_block_read(ol_slice(blk.data + used, blk.len - used), b.len, &raw, &used2, &err), OL_OK);
        CHECK(used + used2 == blk.len);
        CHECK(raw.len == b.len + b.len / 2 && memcmp(raw.data, b.data, b.len) == 0);

        ol_slice_t in = ol_slice(raw.data, b.len);
#define NEXT(call)                                   \
    do {                                             \
        ol_slice_t rest = ol_slice(in.ptr + off, in.len - off); \
        (void)rest;                                  \
        CHECK_EQ_INT(call, OL_OK);                   \
        off += used;                                 \
    } while (0)
        const uint8_t *fxp = NULL;
        size_t count = 0;
        NEXT(ol_dec_uvarints(rest, du, n, &used, &err));
        CHECK(n == 0 || memcmp(du, u, n * 8) == 0);
        NEXT(ol_dec_delta(rest, base, du, n, &used, &err));
        CHECK(n == 0 || memcmp(du, base_ts, n * 8) == 0);
        NEXT(ol_dec_zigzag(rest, dz, n, &used, &err));
        CHECK(n == 0 || memcmp(dz, z, n * 8) == 0);
        NEXT(ol_dec_u8(rest, dk, n, &used, &err));
        CHECK(n == 0 || memcmp(dk, k, n) == 0);
        NEXT(ol_dec_runs(rest, W, n, dids, &used, &err));
        CHECK(n == 0 || memcmp(dids, ids, n * W) == 0);
        NEXT(ol_dec_fixed(rest, 8, n, &fxp, &used, &err));
        CHECK(n == 0 || memcmp(fxp, fx, n * 8) == 0);
        NEXT(ol_dec_bits(rest, dbits, n, &used, &err));
        CHECK(n == 0 || memcmp(dbits, bits, n) == 0);
        NEXT(ol_dec_bytes(rest, dstrs, n, &used, &err));
        for (size_t i = 0; i < n; i++) CHECK(ol_slice_eq(dstrs[i], strs[i]));
        NEXT(ol_dict_decode(rest, dict_out, N, &count, &used, &err));
        CHECK_EQ_INT(count, ol_dict_count(d));
        NEXT(ol_dec_uvarints(rest, du, n, &used, &err));
        for (size_t i = 0; i < n; i++) CHECK(du[i] < count && ol_slice_eq(dict_out[du[i]], strs[i]));
        CHECK_EQ_INT(off, b.len);
#undef NEXT
        ol_dict_free(d);
    }
    ol_buf_free(&b);
    ol_buf_free(&blk);
    ol_buf_free(&raw);
}

/* Random bytes through every decoder with random n: never anything but
 * OK / CORRUPT / LIMIT, and `used` within the input (ASan watches the reads). */
static void test_random_garbage(void)
{
    g_rng = 0x0badc0ffee123457ull;
    dec_fn fs[] = {d_uvarints, d_delta, d_zigzag, d_u8, d_fixed, d_runs, d_bits, d_bytes, d_dict, d_block};
    for (int round = 0; round < 20000; round++) {
        size_t len = rnd() % 64;
        uint8_t *p = malloc(len ? len : 1);
        for (size_t i = 0; i < len; i++) p[i] = (uint8_t)(rnd() % 4 == 0 ? rnd() % 3 : rnd());
        size_t n = rnd() % 40;
        size_t used = SIZE_MAX;
        ol_err_t err;
        int rc = fs[round % OL_ARRAY_LEN(fs)](ol_slice(p, len), n, &used, &err);
        CHECK(rc == OL_OK || rc == OL_CORRUPT || rc == OL_LIMIT);
        if (rc == OL_OK) CHECK(used <= len);
        free(p);
    }
}

int main(void)
{
    RUN(test_varint_decoder_differential);
    RUN(test_uvarints);
    RUN(test_delta);
    RUN(test_zigzag);
    RUN(test_overlong_varints);
    RUN(test_counts_larger_than_data);
    RUN(test_u8_fixed);
    RUN(test_bits);
    RUN(test_runs);
    RUN(test_runs_corrupt);
    RUN(test_bytes);
    RUN(test_dict);
    RUN(test_dict_many);
    RUN(test_dict_alloc_failure);
    RUN(test_block_round_trip);
    RUN(test_block_corrupt);
    RUN(test_encoders_on_limited_buffers);
    RUN(test_random_round_trip);
    RUN(test_random_garbage);
    return TEST_REPORT();
}
