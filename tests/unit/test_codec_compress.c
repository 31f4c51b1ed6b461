/* test_codec_compress.c - decompression limits, bombs, truncation, every encoding. */
#include "codec/compress.h"
#include "test.h"

static void roundtrip(ol_encoding_t enc)
{
    char text[5000];
    for (size_t i = 0; i < sizeof text; i++) text[i] = (char)('a' + i % 7);
    ol_buf_t c, d;
    ol_buf_init(&c, OL_MEM_CODEC, 0);
    ol_buf_init(&d, OL_MEM_CODEC, 0);
    ol_err_t err;
    CHECK(ol_compress(enc, ol_slice(text, sizeof text), &c) == OL_OK);
    CHECK(ol_decompress(enc, ol_buf_slice(&c), 1 << 20, &d, &err) == OL_OK);
    CHECK(d.len == sizeof text && memcmp(d.data, text, sizeof text) == 0);
    /* Exactly at the limit passes; one below fails with OL_LIMIT and leaves out untouched. */
    ol_buf_reset(&d);
    CHECK(ol_decompress(enc, ol_buf_slice(&c), sizeof text, &d, &err) == OL_OK);
    ol_buf_reset(&d);
    CHECK(ol_decompress(enc, ol_buf_slice(&c), sizeof text - 1, &d, &err) == OL_LIMIT && d.len == 0);
    /* Truncated input is corrupt, never success. */
    if (enc != OL_ENC_IDENTITY) {
        ol_buf_reset(&d);
        int rc = ol_decompress(enc, ol_slice(c.data, c.len - 3), 1 << 20, &d, &err);
        CHECK(rc == OL_CORRUPT && d.len == 0);
    }
    ol_buf_free(&c);
    ol_buf_free(&d);
}

static void test_roundtrip_gzip(void) { roundtrip(OL_ENC_GZIP); }
static void test_roundtrip_deflate(void) { roundtrip(OL_ENC_DEFLATE); }
static void test_roundtrip_zstd(void) { roundtrip(OL_ENC_ZSTD); }
static void test_roundtrip_identity(void) { roundtrip(OL_ENC_IDENTITY); }

static void test_gzip_bomb_is_refused(void)
{
    size_t n = 64u << 20; /* 64 MiB of zeros compress to ~64 KiB */
    char *zeros = calloc(1, n);
    ol_buf_t c, d;
    ol_buf_init(&c, OL_MEM_CODEC, 0);
    ol_buf_init(&d, OL_MEM_CODEC, 0);
    ol_err_t err;
    CHECK(ol_compress(OL_ENC_GZIP, ol_slice(zeros, n), &c) == OL_OK);
    CHECK(c.len < 200000);
    CHECK(ol_decompress(OL_ENC_GZIP, ol_buf_slice(&c), 1 << 20, &d, &err) == OL_LIMIT);
    CHECK(d.cap <= (4u << 20)); /* memory stays within a small multiple of the limit */
    CHECK(strstr(err.msg, "limit") != NULL);
    free(zeros);
    ol_buf_free(&c);
    ol_buf_free(&d);
}

static void test_garbage_and_fixture(void)
{
    ol_buf_t d;
    ol_buf_init(&d, OL_MEM_CODEC, 0);
    ol_err_t err;
    CHECK(ol_decompress(OL_ENC_GZIP, OL_SLICE_LIT("not gzip at all"), 1 << 20, &d, &err) == OL_CORRUPT);
    CHECK(ol_decompress(OL_ENC_ZSTD, OL_SLICE_LIT("not zstd at all"), 1 << 20, &d, &err) == OL_CORRUPT);
    CHECK(ol_decompress(OL_ENC_GZIP, OL_SLICE_NULL, 1 << 20, &d, &err) == OL_CORRUPT);
    size_t gz_len, raw_len;
    unsigned char *gz = ol_test_fixture("otlp/otlp-http-proto-gzip.traces.body", &gz_len);
    unsigned char *raw = ol_test_fixture("otlp/otlp-http-proto.traces.body", &raw_len);
    CHECK(gz && raw);
    if (gz && raw) {
        ol_buf_reset(&d);
        CHECK(ol_decompress(OL_ENC_GZIP, ol_slice(gz, gz_len), 1 << 20, &d, &err) == OL_OK);
        CHECK(d.len > 0 && d.data[0] == 0x0a); /* field 1, LEN: resource_spans */
    }
    free(gz);
    free(raw);
    ol_buf_free(&d);
}

static void test_encoding_names(void)
{
    CHECK(ol_encoding_parse(OL_SLICE_LIT(" GZIP ")) == OL_ENC_GZIP);
    CHECK(ol_encoding_parse(OL_SLICE_NULL) == OL_ENC_IDENTITY);
    CHECK(ol_encoding_parse(OL_SLICE_LIT("zstd")) == OL_ENC_ZSTD);
    CHECK(ol_encoding_parse(OL_SLICE_LIT("br")) == OL_ENC_UNKNOWN);
}

int main(void)
{
    RUN(test_roundtrip_gzip);
    RUN(test_roundtrip_deflate);
    RUN(test_roundtrip_zstd);
    RUN(test_roundtrip_identity);
    RUN(test_gzip_bomb_is_refused);
    RUN(test_garbage_and_fixture);
    RUN(test_encoding_names);
    return TEST_REPORT();
}
