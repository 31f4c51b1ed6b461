/* test_core.c - unit tests for src/core: arena, buf, CRC-32C, hex, base64, time and number parsing. */
#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/par.h"
#include "core/util.h"
#include "test.h"

static void test_crc32c_known_vectors(void)
{
    CHECK(ol_crc32c(0, "123456789", 9) == 0xE3069283u);
    uint8_t zeros[32] = {0};
    CHECK(ol_crc32c(0, zeros, 32) == 0x8A9136AAu);
    /* Incremental equals one-shot. */
    const char *s = "The quick brown fox jumps over the lazy dog";
    uint32_t a = ol_crc32c(0, s, strlen(s));
    uint32_t b = ol_crc32c(ol_crc32c(0, s, 10), s + 10, strlen(s) - 10);
    CHECK(a == b);
    CHECK(ol_crc32c_table(0, "123456789", 9) == 0xE3069283u);
    /* The dispatched implementation equals the table at every length and alignment. */
    uint8_t buf[300];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(i * 131u + 7u);
    int mismatches = 0;
    for (size_t off = 0; off < 9; off++)
        for (size_t n = 0; off + n <= sizeof buf; n += 1 + n / 8)
            mismatches += ol_crc32c(0x1234u, buf + off, n) != ol_crc32c_table(0x1234u, buf + off, n);
    CHECK(mismatches == 0);
}

typedef struct par_ctx {
    unsigned long long out[1000];
    size_t fail_a, fail_b; /* items that fail (SIZE_MAX = none) */
} par_ctx_t;

static int par_item(void *ud, size_t i)
{
    par_ctx_t *c = ud;
    if (i == c->fail_a) return OL_CORRUPT;
    if (i == c->fail_b) return OL_NOMEM;
    unsigned long long v = 0;
    for (size_t k = 0; k <= i; k++) v += k * k; /* some work, so threads interleave */
    c->out[i] = v;
    return OL_OK;
}

static void test_par_for(void)
{
    static par_ctx_t c;
    for (unsigned threads = 1; threads <= 4; threads++) {
        memset(&c, 0, sizeof c);
        c.fail_a = c.fail_b = SIZE_MAX;
        CHECK_EQ_INT(ol_par_for(1000, threads, par_item, &c), OL_OK);
        int wrong = 0;
        for (size_t i = 0; i < 1000; i++) wrong += c.out[i] != (unsigned long long)i * (i + 1) * (2 * i + 1) / 6;
        CHECK_EQ_INT(wrong, 0);
        /* Two failures: the lower index's code, whatever thread ran first. */
        c.fail_a = 700;
        c.fail_b = 300;
        CHECK_EQ_INT(ol_par_for(1000, threads, par_item, &c), OL_NOMEM);
        c.fail_a = 10;
        c.fail_b = 900;
        CHECK_EQ_INT(ol_par_for(1000, threads, par_item, &c), OL_CORRUPT);
    }
    CHECK_EQ_INT(ol_par_for(0, 2, par_item, &c), OL_OK);
    CHECK(ol_par_cpus() >= 1);
}

static void test_hex_roundtrip(void)
{
    uint8_t in[4] = {0xde, 0xad, 0xBE, 0x01}, out[4];
    char hex[8];
    ol_hex_encode(hex, in, 4);
    CHECK(memcmp(hex, "deadbe01", 8) == 0);
    CHECK_EQ_INT(ol_hex_decode(out, 4, "DEADbe01", 8), 4);
    CHECK(memcmp(in, out, 4) == 0);
    CHECK_EQ_INT(ol_hex_decode(out, 4, "abc", 3), -1);
    CHECK_EQ_INT(ol_hex_decode(out, 4, "zz", 2), -1);
    CHECK_EQ_INT(ol_hex_decode(out, 1, "abcd", 4), -1);
}

static void test_base64(void)
{
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CORE, 0);
    ol_buf_append_base64(&b, (const uint8_t *)"foob", 4);
    CHECK(b.len == 8 && memcmp(b.data, "Zm9vYg==", 8) == 0);
    uint8_t out[16];
    CHECK_EQ_INT(ol_base64_decode(out, sizeof out, "Zm9vYg==", 8), 4);
    CHECK(memcmp(out, "foob", 4) == 0);
    CHECK_EQ_INT(ol_base64_decode(out, sizeof out, "Zm9vYg", 6), 4);
    CHECK_EQ_INT(ol_base64_decode(out, sizeof out, "Z!==", 4), -1);
    CHECK_EQ_INT(ol_base64_decode(out, 2, "Zm9vYg==", 8), -1);
    ol_buf_free(&b);
}

static void test_arena_cap_and_alignment(void)
{
    ol_arena_t *a = ol_arena_create(64, 1024);
    CHECK(a != NULL);
    void *p = ol_arena_alloc(a, 3), *q = ol_arena_alloc(a, 5);
    CHECK(p && q && ((uintptr_t)p & 15) == 0 && ((uintptr_t)q & 15) == 0 && p != q);
    CHECK(ol_arena_alloc(a, 2000) == NULL); /* over the cap */
    int got = 0;
    while (ol_arena_alloc(a, 100)) got++;
    CHECK(got > 0 && ol_arena_used(a) <= 1024);
    ol_arena_reset(a);
    CHECK(ol_arena_used(a) == 0);
    CHECK(ol_arena_alloc(a, 16) != NULL);
    ol_arena_destroy(a);
}

static void test_buf_limit_is_sticky(void)
{
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CORE, 10);
    ol_buf_append_cstr(&b, "12345");
    ol_buf_printf(&b, "%d", 6789);
    CHECK(b.err == OL_OK && b.len == 9);
    ol_buf_append_cstr(&b, "ab");
    CHECK(b.err == OL_LIMIT && b.len == 9);
    ol_buf_append_cstr(&b, "c");
    CHECK(b.len == 9);
    ol_buf_reset(&b);
    ol_buf_printf(&b, "%s", "0123456789");
    CHECK(b.err == OL_OK && b.len == 10);
    ol_buf_free(&b);
    ol_buf_init(&b, OL_MEM_CORE, 0);
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    ol_buf_printf(&b, "<%s>", big);
    CHECK(b.len == sizeof big + 1 && b.data[0] == '<' && b.data[b.len - 1] == '>');
    ol_buf_free(&b);
}

static void test_alloc_accounting_and_failure(void)
{
    int64_t before = ol_mem_in_use(OL_MEM_QUERY);
    void *p = ol_malloc(OL_MEM_QUERY, 1000);
    CHECK(ol_mem_in_use(OL_MEM_QUERY) == before + 1000);
    ol_free(OL_MEM_QUERY, p, 1000);
    CHECK(ol_mem_in_use(OL_MEM_QUERY) == before);
    ol_alloc_fail_after(1);
    CHECK(ol_malloc(OL_MEM_QUERY, 10) == NULL);
    p = ol_malloc(OL_MEM_QUERY, 10);
    CHECK(p != NULL);
    ol_free(OL_MEM_QUERY, p, 10);
}

static void test_time_parse(void)
{
    uint64_t ns;
    CHECK(ol_time_parse(ol_slice_cstr("1795278164893000000"), &ns) == OL_OK && ns == 1795278164893000000ull);
    CHECK(ol_time_parse(ol_slice_cstr("1970-01-01T00:00:00Z"), &ns) == OL_OK && ns == 0);
    CHECK(ol_time_parse(ol_slice_cstr("2026-11-21T17:00:00Z"), &ns) == OL_OK && ns == 1795280400000000000ull);
    CHECK(ol_time_parse(ol_slice_cstr("2026-11-21T18:00:00.5+01:00"), &ns) == OL_OK &&
          ns == 1795280400500000000ull);
    CHECK(ol_time_parse(ol_slice_cstr("2026-11-21T17:00:00.123456789123Z"), &ns) == OL_OK &&
          ns == 1795280400123456789ull);
    CHECK(ol_time_parse(ol_slice_cstr("2026-13-21T17:00:00Z"), &ns) == OL_CORRUPT);
    CHECK(ol_time_parse(ol_slice_cstr("2026-11-21T17:00:00"), &ns) == OL_CORRUPT);
    CHECK(ol_time_parse(ol_slice_cstr("yesterday"), &ns) == OL_CORRUPT);
    CHECK(ol_time_parse(ol_slice_cstr(""), &ns) == OL_CORRUPT);
    char out[40];
    ol_time_format(1795280400123456789ull, out);
    CHECK(strcmp(out, "2026-11-21T17:00:00.123456789Z") == 0);
}

static void test_number_parse(void)
{
    uint64_t u;
    int64_t i;
    double d;
    CHECK(ol_parse_u64(ol_slice_cstr("18446744073709551615"), &u) == OL_OK && u == UINT64_MAX);
    CHECK(ol_parse_u64(ol_slice_cstr("18446744073709551616"), &u) == OL_CORRUPT);
    CHECK(ol_parse_u64(ol_slice_cstr("12a"), &u) == OL_CORRUPT);
    CHECK(ol_parse_i64(ol_slice_cstr("-9223372036854775808"), &i) == OL_OK && i == INT64_MIN);
    CHECK(ol_parse_i64(ol_slice_cstr("9223372036854775808"), &i) == OL_CORRUPT);
    CHECK(ol_parse_double(ol_slice_cstr("1.5e3"), &d) == OL_OK && d == 1500.0);
    CHECK(ol_parse_double(ol_slice_cstr("1.5x"), &d) == OL_CORRUPT);
}

static void test_slices(void)
{
    CHECK(ol_slice_eq_nocase_cstr(ol_slice_cstr("Content-Type"), "content-type"));
    CHECK(ol_slice_contains_nocase(ol_slice_cstr("Connection RESET by peer"), ol_slice_cstr("reset BY")));
    CHECK(!ol_slice_contains_nocase(ol_slice_cstr("abc"), ol_slice_cstr("abcd")));
    ol_slice_t t = ol_slice_trim(ol_slice_cstr("  x y \r\n"));
    CHECK(ol_slice_eq_cstr(t, "x y"));
    CHECK(ol_hash64("abc", 3, 0) != ol_hash64("abd", 3, 0));
}

int main(void)
{
    RUN(test_crc32c_known_vectors);
    RUN(test_par_for);
    RUN(test_hex_roundtrip);
    RUN(test_base64);
    RUN(test_arena_cap_and_alignment);
    RUN(test_buf_limit_is_sticky);
    RUN(test_alloc_accounting_and_failure);
    RUN(test_time_parse);
    RUN(test_number_parse);
    RUN(test_slices);
    return TEST_REPORT();
}
