/*
 * test_codec_json.c - the JSON parser and writer (json.c) and OTLP/JSON ->
 * protobuf transcoding (otlp_json.c). The parser is checked against valid and
 * invalid documents in the spirit of JSONTestSuite (y_/n_ cases), the depth
 * limit and every escape form; the writer against escaping, invalid UTF-8 and
 * shortest round-trip doubles. Transcoding runs on the real JSON captures in
 * fixtures/otlp (see its README.md) and on hand-written requests for the
 * leniencies and the path-qualified errors, decoding the result with
 * ol_otlp_decode() and rendering it back with ol_pb_to_otlp_json().
 */
#include <math.h>

#include "codec/json.h"
#include "codec/otlp.h"
#include "codec/otlp_json.h"
#include "codec/pb.h"
#include "codec/pb_schema.h"
#include "core/util.h"
#include "test.h"

static ol_arena_t *A;

static int parse(const char *s, ol_json_doc_t *d, ol_err_t *err)
{
    return ol_json_parse(ol_slice_cstr(s), A, d, err);
}

static bool contains_str(const uint8_t *p, size_t n, const char *needle)
{
    if (p && memmem(p, n, needle, strlen(needle))) return true;
    fprintf(stderr, "  missing %s in %.*s\n", needle, (int)OL_MIN(n, 600), p ? (const char *)p : "");
    return false;
}

static bool contains(const ol_buf_t *b, const char *needle) { return contains_str(b->data, b->len, needle); }

/* ---- parser ---- */

static void test_parse_valid(void)
{
    static const char *const docs[] = {
        "{}", "[]", "0", "-0", "1.5e+10", "-12.25E-3", "1E2", "\"\"", "\"a\\\"b\"", "true", "false", "null",
        " \t\r\n[ 1 , 2 ]\n", "[[[]]]", "{\"a\":{\"b\":[1,{\"c\":null}]}}", "\"\\u00e9\\ud83d\\ude00\"",
        "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", "\"\\/\\b\\f\\n\\r\\t\\\\\"", "{\"\":0}", "[\"\\ud800\"]",
        "\xEF\xBB\xBF{}", "123456789012345678901234567890", "\"\x7f\"",
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(docs); i++) {
        ol_json_doc_t d;
        ol_err_t err = {{0}};
        int rc = parse(docs[i], &d, &err);
        if (rc != OL_OK) fprintf(stderr, "  valid doc %zu rejected: %s\n", i, err.msg);
        CHECK_EQ_INT(rc, OL_OK);
        if (rc == OL_OK) CHECK_EQ_INT(d.toks[0].next, d.n);
    }
}

static void test_parse_invalid(void)
{
    static const struct {
        const char *doc;
        const char *err;
    } cases[] = {
        {"", "offset 0: expected value"},
        {"   ", "offset 3: expected value"},
        {"[1,]", "offset 3: expected value"},
        {"{\"a\":1,}", "offset 7: expected string key"},
        {"{\"a\" 1}", "offset 5: expected ':'"},
        {"{a:1}", "offset 1: expected string key"},
        {"[1 2]", "offset 3: expected ',' or ']'"},
        {"{\"a\":1 \"b\":2}", "offset 7: expected ',' or '}'"},
        {"01", "offset 1: expected end of input"},
        {"-", "offset 1: expected digit"},
        {"1.", "offset 2: expected digit after '.'"},
        {"1e", "offset 2: expected digit in exponent"},
        {".5", "offset 0: expected value"},
        {"+1", "offset 0: expected value"},
        {"NaN", "offset 0: expected value"},
        {"tru", "offset 0: expected value"},
        {"nul", "offset 0: expected value"},
        {"'a'", "offset 0: expected value"},
        {"\"abc", "offset 4: expected '\"' to end the string"},
        {"\"a\tb\"", "offset 2: expected control character to be escaped"},
        {"\"\\x\"", "offset 2: expected escape character"},
        {"\"\\u12g4\"", "offset 3: expected 4 hex digits after \\u"},
        {"\"\\u12\"", "offset 3: expected 4 hex digits after \\u"},
        {"\"\xff\"", "offset 1: expected valid UTF-8"},
        {"\"\xc0\xaf\"", "offset 1: expected valid UTF-8"},
        {"\"\xed\xa0\x80\"", "offset 1: expected valid UTF-8"},
        {"\"\xe2\x82\"", "offset 1: expected valid UTF-8"},
        {"[1] x", "offset 4: expected end of input"},
        {"{} {}", "offset 3: expected end of input"},
        {"[", "offset 1: expected value"},
        {"{", "offset 1: expected string key"},
        {"/* c */ {}", "offset 0: expected value"},
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(cases); i++) {
        ol_json_doc_t d;
        ol_err_t err = {{0}};
        CHECK_EQ_INT(parse(cases[i].doc, &d, &err), OL_CORRUPT);
        if (strncmp(err.msg, cases[i].err, strlen(cases[i].err)) != 0) {
            fprintf(stderr, "  case %zu: got \"%s\", want \"%s\"\n", i, err.msg, cases[i].err);
            CHECK(0);
        }
    }
    /* A NUL byte inside the input is not JSON either. */
    ol_json_doc_t d;
    ol_err_t err;
    CHECK_EQ_INT(ol_json_parse(ol_slice("[1]\0", 4), A, &d, &err), OL_CORRUPT);
    CHECK_EQ_INT(ol_json_parse(ol_slice("\"a\0\"", 4), A, &d, &err), OL_CORRUPT);
}

static void test_parse_tokens(void)
{
    ol_json_doc_t d;
    ol_err_t err;
    CHECK_EQ_INT(parse("{\"a\":[1,\"x\",{}],\"b\\n\":true,\"c\":null}", &d, &err), OL_OK);
    CHECK_EQ_INT(d.n, 10);
    if (d.n != 10) return;
    CHECK_EQ_INT(d.toks[0].kind, OL_JSON_OBJECT);
    CHECK_EQ_INT(d.toks[0].size, 3);
    CHECK_EQ_INT(d.toks[0].next, 10);
    CHECK_EQ_INT(d.toks[1].kind, OL_JSON_STRING);
    CHECK(ol_slice_eq_cstr(d.toks[1].text, "a"));
    CHECK_EQ_INT(d.toks[2].kind, OL_JSON_ARRAY);
    CHECK_EQ_INT(d.toks[2].size, 3);
    CHECK_EQ_INT(d.toks[2].next, 6);
    CHECK_EQ_INT(d.toks[3].kind, OL_JSON_NUMBER);
    CHECK(ol_slice_eq_cstr(d.toks[3].text, "1"));
    CHECK_EQ_INT(d.toks[3].offset, 6);
    CHECK(ol_slice_eq_cstr(d.toks[4].text, "x"));
    CHECK_EQ_INT(d.toks[5].kind, OL_JSON_OBJECT);
    CHECK_EQ_INT(d.toks[5].size, 0);
    CHECK(d.toks[6].escaped);
    CHECK(ol_slice_eq_cstr(d.toks[6].text, "b\\n"));
    CHECK_EQ_INT(d.toks[7].kind, OL_JSON_TRUE);
    CHECK_EQ_INT(d.toks[9].kind, OL_JSON_NULL);

    CHECK_EQ_INT(ol_json_object_get(&d, 0, "a"), 2);
    CHECK_EQ_INT(ol_json_object_get(&d, 0, "b\n"), 7);
    CHECK_EQ_INT(ol_json_object_get(&d, 0, "c"), 9);
    CHECK_EQ_INT(ol_json_object_get(&d, 0, "b"), 0);
    CHECK_EQ_INT(ol_json_object_get(&d, 0, "d"), 0);
    CHECK_EQ_INT(ol_json_object_get(&d, 2, "a"), 0); /* not an object */
    CHECK_EQ_INT(ol_json_object_get(&d, 5, "a"), 0);
    CHECK_EQ_INT(ol_json_object_get(&d, 99, "a"), 0);

    /* Many tokens: the token array grows past its first guess. */
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CODEC, 0);
    ol_buf_append_u8(&b, '[');
    for (int i = 0; i < 100000; i++) ol_buf_append_cstr(&b, i ? ",0" : "0");
    ol_buf_append_u8(&b, ']');
    CHECK_EQ_INT(ol_json_parse(ol_buf_slice(&b), A, &d, &err), OL_OK);
    CHECK_EQ_INT(d.n, 100001);
    CHECK_EQ_INT(d.toks[0].size, 100000);

    /* Under an arena cap: junk that inflates the token estimate is still reported
     * as malformed, and a document too big for the cap is OL_NOMEM. */
    ol_arena_t *small = ol_arena_create(4096, 1 << 16);
    ol_buf_reset(&b);
    ol_buf_append_cstr(&b, "[1");
    for (int i = 0; i < 100000; i++) ol_buf_append_u8(&b, ',');
    CHECK_EQ_INT(ol_json_parse(ol_buf_slice(&b), small, &d, &err), OL_CORRUPT);
    CHECK(strcmp(err.msg, "offset 3: expected value") == 0);
    ol_arena_reset(small);
    ol_buf_reset(&b);
    ol_buf_append_u8(&b, '[');
    for (int i = 0; i < 100000; i++) ol_buf_append_cstr(&b, i ? ",0" : "0");
    ol_buf_append_u8(&b, ']');
    CHECK_EQ_INT(ol_json_parse(ol_buf_slice(&b), small, &d, &err), OL_NOMEM);
    ol_arena_destroy(small);
    ol_buf_free(&b);
}

static void test_parse_depth(void)
{
    char doc[2 * (OL_JSON_MAX_DEPTH + 1) + 1];
    ol_json_doc_t d;
    ol_err_t err;
    for (int depth = OL_JSON_MAX_DEPTH; depth <= OL_JSON_MAX_DEPTH + 1; depth++) {
        for (int i = 0; i < depth; i++) {
            doc[i] = '[';
            doc[depth + i] = ']';
        }
        doc[2 * depth] = 0;
        int rc = parse(doc, &d, &err);
        CHECK_EQ_INT(rc, depth <= OL_JSON_MAX_DEPTH ? OL_OK : OL_LIMIT);
        if (rc == OL_LIMIT) CHECK(strstr(err.msg, "offset 128: expected nesting depth") == err.msg);
    }
    /* Deep objects too, and an unterminated deep prefix never recurses past the limit. */
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CODEC, 0);
    for (int i = 0; i < 100000; i++) ol_buf_append_cstr(&b, "{\"a\":");
    CHECK_EQ_INT(ol_json_parse(ol_buf_slice(&b), A, &d, &err), OL_LIMIT);
    ol_buf_free(&b);
}

static bool unesc_is(const char *json, const char *want, size_t want_len)
{
    ol_json_doc_t d;
    ol_err_t err;
    ol_slice_t out;
    if (parse(json, &d, &err) != OL_OK || d.toks[0].kind != OL_JSON_STRING) return false;
    if (ol_json_unescape(&d.toks[0], A, &out) != OL_OK) return false;
    if (out.len == want_len && memcmp(out.ptr, want, want_len) == 0) return true;
    fprintf(stderr, "  unescape %s gave %zu bytes\n", json, out.len);
    return false;
}

static void test_unescape(void)
{
    CHECK(unesc_is("\"plain\"", "plain", 5));
    CHECK(unesc_is("\"\"", "", 0));
    CHECK(unesc_is("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 8));
    CHECK(unesc_is("\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac", 6));
    CHECK(unesc_is("\"\\u0000\"", "\0", 1));
    CHECK(unesc_is("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4));     /* surrogate pair */
    CHECK(unesc_is("\"\\uD834\\uDD1E\"", "\xf0\x9d\x84\x9e", 4));     /* upper-case hex */
    CHECK(unesc_is("\"\\ud800\"", "\xef\xbf\xbd", 3));                /* lone high */
    CHECK(unesc_is("\"\\udc00x\"", "\xef\xbf\xbdx", 4));              /* lone low */
    CHECK(unesc_is("\"\\ud800\\u0041\"", "\xef\xbf\xbd" "A", 4));     /* high + non-low */
    CHECK(unesc_is("\"\\ud800\\ud800\\udc00\"", "\xef\xbf\xbd\xf0\x90\x80\x80", 7));
    CHECK(unesc_is("\"a\\nb\xc3\xa9\"", "a\nb\xc3\xa9", 5));

    /* Not a string token. */
    ol_json_doc_t d;
    ol_err_t err;
    ol_slice_t out;
    CHECK_EQ_INT(parse("1", &d, &err), OL_OK);
    CHECK_EQ_INT(ol_json_unescape(&d.toks[0], A, &out), OL_CORRUPT);
}

/* ---- writer ---- */

static bool wrote(void (*fn)(ol_buf_t *, ol_slice_t), const char *in, size_t n, const char *want)
{
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CODEC, 0);
    fn(&b, ol_slice(in, n));
    bool ok = b.err == OL_OK && b.len == strlen(want) && memcmp(b.data, want, b.len) == 0;
    if (!ok) fprintf(stderr, "  wrote %.*s, want %s\n", (int)b.len, b.data ? (const char *)b.data : "", want);
    ol_buf_free(&b);
    return ok;
}

static void test_write_string(void)
{
    CHECK(wrote(ol_json_write_string, "", 0, "\"\""));
    CHECK(wrote(ol_json_write_string, "abc", 3, "\"abc\""));
    CHECK(wrote(ol_json_write_string, "a\"b\\c/d", 7, "\"a\\\"b\\\\c/d\""));
    CHECK(wrote(ol_json_write_string, "\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\""));
    CHECK(wrote(ol_json_write_string, "\x01\x1f\0", 3, "\"\\u0001\\u001f\\u0000\""));
    CHECK(wrote(ol_json_write_string, "\x7f", 1, "\"\x7f\""));
    CHECK(wrote(ol_json_write_string, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""));
    /* Invalid UTF-8: one U+FFFD per maximal invalid subpart. */
    CHECK(wrote(ol_json_write_string, "a\xff" "b", 3, "\"a\xef\xbf\xbd" "b\""));
    CHECK(wrote(ol_json_write_string, "\xc0\xaf", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\""));
    CHECK(wrote(ol_json_write_string, "\xe2\x82", 2, "\"\xef\xbf\xbd\""));
    CHECK(wrote(ol_json_write_string, "\xe2\x82x", 3, "\"\xef\xbf\xbdx\""));
    CHECK(wrote(ol_json_write_string, "\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""));
    CHECK(wrote(ol_json_write_string, "\xf4\x90\x80\x80", 4,
                "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""));
    CHECK(wrote(ol_json_write_string, "\xf0\x9f\x98", 3, "\"\xef\xbf\xbd\""));

    /* Whatever the bytes, the output parses and unescapes back (valid input) or to U+FFFD. */
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CODEC, 0);
    uint8_t all[256];
    for (int i = 0; i < 256; i++) all[i] = (uint8_t)i;
    ol_json_write_string(&b, ol_slice(all, sizeof all));
    ol_json_doc_t d;
    ol_err_t err;
    CHECK_EQ_INT(ol_json_parse(ol_buf_slice(&b), A, &d, &err), OL_OK);
    ol_slice_t out;
    CHECK_EQ_INT(ol_json_unescape(&d.toks[0], A, &out), OL_OK);
    CHECK(out.len == 128 + 128 * 3 && memcmp(out.ptr, all, 128) == 0);

    ol_buf_reset(&b);
    ol_json_write_cstr(&b, "x\"y");
    ol_json_write_cstr(&b, NULL);
    ol_json_write_u64_str(&b, UINT64_MAX);
    ol_json_write_i64_str(&b, INT64_MIN);
    CHECK(b.len == strlen("\"x\\\"y\"\"\"\"18446744073709551615\"\"-9223372036854775808\"") &&
          memcmp(b.data, "\"x\\\"y\"\"\"\"18446744073709551615\"\"-9223372036854775808\"", b.len) == 0);
    ol_buf_free(&b);
}

static bool dbl_is(double v, const char *want)
{
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CODEC, 0);
    ol_json_write_double(&b, v);
    bool ok = b.len == strlen(want) && memcmp(b.data, want, b.len) == 0;
    if (!ok) fprintf(stderr, "  double %.17g wrote %.*s, want %s\n", v, (int)b.len, (const char *)b.data, want);
    ol_buf_free(&b);
    return ok;
}

static void test_write_double(void)
{
    CHECK(dbl_is(0, "0"));
    CHECK(dbl_is(-0.0, "-0"));
    CHECK(dbl_is(1, "1"));
    CHECK(dbl_is(-3, "-3"));
    CHECK(dbl_is(0.1, "0.1"));
    CHECK(dbl_is(0.42, "0.42"));
    CHECK(dbl_is(1472, "1472"));
    CHECK(dbl_is(0.1 + 0.2, "0.30000000000000004"));
    CHECK(dbl_is(1e21, "1e+21"));
    CHECK(dbl_is(1.5e-7, "1.5e-7"));
    CHECK(dbl_is(1.5e-6, "0.0000015"));
    CHECK(dbl_is(123456.789, "123456.789"));
    CHECK(dbl_is(1e20, "100000000000000000000"));
    CHECK(dbl_is(-1e-7, "-1e-7"));
    CHECK(dbl_is(10, "10"));
    CHECK(dbl_is(1200, "1200"));
    CHECK(dbl_is(1795278164893000000.0, "1795278164893000000"));
    CHECK(dbl_is(0.000001, "0.000001"));
    CHECK(dbl_is(5e-324, "5e-324"));
    CHECK(dbl_is(1.7976931348623157e308, "1.7976931348623157e+308"));
    CHECK(dbl_is(NAN, "\"NaN\""));
    CHECK(dbl_is(INFINITY, "\"Infinity\""));
    CHECK(dbl_is(-INFINITY, "\"-Infinity\""));

    /* Round trip through the parser for a spread of values. */
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 2000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double v;
        memcpy(&v, &x, sizeof v);
        if (!isfinite(v)) continue;
        ol_buf_t b;
        ol_buf_init(&b, OL_MEM_CODEC, 0);
        ol_json_write_double(&b, v);
        ol_json_doc_t d;
        ol_err_t err;
        CHECK_EQ_INT(ol_json_parse(ol_buf_slice(&b), A, &d, &err), OL_OK);
        CHECK_EQ_INT(d.toks[0].kind, OL_JSON_NUMBER);
        char tmp[64];
        snprintf(tmp, sizeof tmp, "%.*s", (int)d.toks[0].text.len, (const char *)d.toks[0].text.ptr);
        double back = strtod(tmp, NULL);
        CHECK(back == v);
        ol_buf_free(&b);
    }
}

/* ---- OTLP/JSON ---- */

static int to_pb(const ol_pb_msg_t *root, const char *json, size_t n, ol_buf_t *pb, ol_err_t *err)
{
    ol_buf_reset(pb);
    memset(err, 0, sizeof *err);
    return ol_otlp_json_to_pb(root, ol_slice(json, n), A, pb, err);
}

static void hex_of(ol_slice_t s, char *out)
{
    ol_hex_encode(out, s.ptr, s.len);
    out[2 * s.len] = 0;
}

/* The quoted hex string that follows `"key":"` at the k-th occurrence in json. */
static bool json_id(const char *json, const char *key, int k, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = json;
    for (int i = 0; i <= k; i++) {
        p = strstr(p, pat);
        if (!p) return false;
        p += strlen(pat);
    }
    const char *e = strchr(p, '"');
    if (!e || (size_t)(e - p) >= cap) return false;
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = 0;
    return true;
}

static const ol_otlp_span_t *span_named(const ol_otlp_batch_t *b, const char *name)
{
    for (size_t i = 0; i < b->n_spans; i++)
        if (ol_slice_eq_cstr(b->spans[i].name, name)) return &b->spans[i];
    return NULL;
}

/* Renders msg as OTLP/JSON, transcodes that back and renders again: the two renderings must match. */
static void check_round_trip(const ol_pb_msg_t *m, ol_slice_t pb)
{
    ol_buf_t j1, pb2, j2;
    ol_buf_init(&j1, OL_MEM_CODEC, 0);
    ol_buf_init(&pb2, OL_MEM_CODEC, 0);
    ol_buf_init(&j2, OL_MEM_CODEC, 0);
    ol_err_t err;
    CHECK_EQ_INT(ol_pb_to_otlp_json(m, pb, &j1), OL_OK);
    CHECK_EQ_INT(ol_otlp_json_to_pb(m, ol_buf_slice(&j1), A, &pb2, &err), OL_OK);
    CHECK_EQ_INT(ol_pb_to_otlp_json(m, ol_buf_slice(&pb2), &j2), OL_OK);
    CHECK(j1.len == j2.len && j1.len > 0 && memcmp(j1.data, j2.data, j1.len) == 0);
    ol_buf_free(&j1);
    ol_buf_free(&pb2);
    ol_buf_free(&j2);
}

static void test_otlp_traces_fixture(void)
{
    size_t n = 0;
    char *json = (char *)ol_test_fixture("otlp/otlp-http-json.traces.body", &n);
    CHECK(json != NULL);
    if (!json) return;
    ol_buf_t pb;
    ol_buf_init(&pb, OL_MEM_CODEC, 0);
    ol_err_t err;
    int rc = to_pb(&ol_pb_ExportTraceServiceRequest, json, n, &pb, &err);
    if (rc != OL_OK) fprintf(stderr, "  %s\n", err.msg);
    CHECK_EQ_INT(rc, OL_OK);
    CHECK_EQ_INT(ol_pb_validate(&ol_pb_ExportTraceServiceRequest, ol_buf_slice(&pb), &err), OL_OK);
    ol_otlp_batch_t b;
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_TRACES, ol_buf_slice(&pb), A, &b, &err), OL_OK);
    CHECK_EQ_INT(b.n_spans, 3);
    CHECK_EQ_INT(b.n_rejected, 0);
    CHECK_EQ_INT(b.n_origins, 1);
    if (b.n_spans != 3) goto out;
    CHECK(ol_slice_eq_cstr(b.origins[0].service_name, "checkout"));
    /* Spans appear in JSON order; ids equal the JSON's hex. */
    static const char *const names[] = {"background-job", "SELECT orders", "GET /checkout"};
    static const int kinds[] = {5, 3, 2}, codes[] = {0, 2, 2};
    for (int i = 0; i < 3; i++) {
        const ol_otlp_span_t *s = &b.spans[i];
        char want[64], got[64];
        CHECK(ol_slice_eq_cstr(s->name, names[i]));
        CHECK(s->valid);
        CHECK_EQ_INT(s->kind, kinds[i]);
        CHECK_EQ_INT(s->status_code, codes[i]);
        CHECK(json_id(json, "traceId", i == 2 ? 3 : i, want, sizeof want)); /* the link has a traceId too */
        hex_of(s->trace_id, got);
        CHECK(strcmp(got, want) == 0);
        CHECK(json_id(json, "spanId", i == 2 ? 3 : i, want, sizeof want));
        hex_of(s->span_id, got);
        CHECK(strcmp(got, want) == 0);
        CHECK(s->start_ns > 1795278164000000000ull && s->end_ns > s->start_ns);
    }
    const ol_otlp_span_t *get = span_named(&b, "GET /checkout"), *sel = span_named(&b, "SELECT orders");
    CHECK(get && sel && ol_slice_eq(sel->parent_span_id, get->span_id));
    CHECK_EQ_INT(b.spans[0].start_ns, 1795278164893000000ull);
    CHECK_EQ_INT(b.spans[0].end_ns, 1795278164893363351ull);

    /* Rendered back: lower-case hex ids, the int attribute as a string, flags. */
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CODEC, 0);
    CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_Span, sel->raw, &out), OL_OK);
    char idbuf[64], pat[96];
    CHECK(json_id(json, "traceId", 1, idbuf, sizeof idbuf));
    snprintf(pat, sizeof pat, "\"traceId\":\"%s\"", idbuf);
    CHECK(contains(&out, pat));
    CHECK(json_id(json, "parentSpanId", 0, idbuf, sizeof idbuf));
    snprintf(pat, sizeof pat, "\"parentSpanId\":\"%s\"", idbuf);
    CHECK(contains(&out, pat));
    CHECK(contains(&out, "{\"key\":\"attempt\",\"value\":{\"intValue\":\"2\"}}"));
    CHECK(contains(&out, "\"flags\":257"));
    CHECK(contains(&out, "\"status\":{\"message\":\"db timeout\",\"code\":2}"));
    CHECK(contains(&out, "\\n    at queryOrders"));
    ol_buf_reset(&out);
    CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_Span, get->raw, &out), OL_OK);
    CHECK(contains(&out, "\"kind\":2"));
    CHECK(contains(&out, "\"boolValue\":true"));
    CHECK(contains(&out, "\"arrayValue\":{\"values\":["));
    ol_buf_free(&out);

    check_round_trip(&ol_pb_ExportTraceServiceRequest, ol_buf_slice(&pb));
out:
    ol_buf_free(&pb);
    free(json);
}

static void test_otlp_metrics_fixture(void)
{
    size_t n = 0;
    char *json = (char *)ol_test_fixture("otlp/otlp-http-json.metrics.body", &n);
    CHECK(json != NULL);
    if (!json) return;
    ol_buf_t pb;
    ol_buf_init(&pb, OL_MEM_CODEC, 0);
    ol_err_t err;
    int rc = to_pb(&ol_pb_ExportMetricsServiceRequest, json, n, &pb, &err);
    if (rc != OL_OK) fprintf(stderr, "  %s\n", err.msg);
    CHECK_EQ_INT(rc, OL_OK);
    CHECK_EQ_INT(ol_pb_validate(&ol_pb_ExportMetricsServiceRequest, ol_buf_slice(&pb), &err), OL_OK);
    ol_otlp_batch_t b;
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_METRICS, ol_buf_slice(&pb), A, &b, &err), OL_OK);
    CHECK_EQ_INT(b.n_metrics, 6);
    CHECK_EQ_INT(b.n_rejected, 0);
    if (b.n_metrics != 6) goto out;
    static const char *const names[] = {"rpc.payload.size", "http.server.requests", "http.server.duration",
                                        "queue.depth",      "process.cpu.utilization", "active.sessions"};
    static const ol_metric_type_t types[] = {OL_METRIC_EXP_HISTOGRAM, OL_METRIC_SUM, OL_METRIC_HISTOGRAM,
                                             OL_METRIC_GAUGE, OL_METRIC_GAUGE, OL_METRIC_SUM};
    static const uint32_t points[] = {1, 2, 1, 1, 1, 1};
    for (int i = 0; i < 6; i++) {
        CHECK(ol_slice_eq_cstr(b.metrics[i].name, names[i]));
        CHECK_EQ_INT(b.metrics[i].type, types[i]);
        CHECK_EQ_INT(b.metrics[i].n_points, points[i]);
        CHECK(b.metrics[i].valid);
        CHECK_EQ_INT(b.metrics[i].max_time_ns, 1795278164909000000ull);
    }
    CHECK_EQ_INT(b.n_items, 7);

    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CODEC, 0);
    CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_Metric, b.metrics[2].raw, &out), OL_OK);
    CHECK(contains(&out, "\"bucketCounts\":[\"0\",\"1\",\"1\",\"1\",\"0\",\"0\",\"0\",\"1\",\"0\",\"0\",\"0\",\"1\","));
    CHECK(contains(&out, "\"explicitBounds\":[0,5,10,25,50,75,100,250,500,750,1000,2500,5000,7500,10000]"));
    CHECK(contains(&out, "\"count\":\"5\",\"sum\":1472"));
    CHECK(contains(&out, "\"min\":3,\"max\":1200"));
    ol_buf_reset(&out);
    CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_Metric, b.metrics[0].raw, &out), OL_OK);
    CHECK(contains(&out, "\"scale\":4"));
    CHECK(contains(&out, "\"positive\":{\"offset\":106,\"bucketCounts\":[\"1\",\"0\","));
    CHECK(contains(&out, "\"negative\":{\"offset\":0}"));
    ol_buf_reset(&out);
    CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_Metric, b.metrics[4].raw, &out), OL_OK);
    CHECK(contains(&out, "\"asDouble\":0.42"));
    CHECK(contains(&out, "{\"key\":\"cpu\",\"value\":{\"intValue\":\"0\"}}")); /* oneof zero kept */
    ol_buf_reset(&out);
    CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_Metric, b.metrics[5].raw, &out), OL_OK);
    CHECK(contains(&out, "\"asDouble\":-3"));
    CHECK(contains(&out, "\"isMonotonic\":false"));
    ol_buf_free(&out);

    check_round_trip(&ol_pb_ExportMetricsServiceRequest, ol_buf_slice(&pb));
out:
    ol_buf_free(&pb);
    free(json);
}

static void test_otlp_logs_fixture(void)
{
    size_t n = 0;
    char *json = (char *)ol_test_fixture("otlp/otlp-http-json.logs.body", &n);
    CHECK(json != NULL);
    if (!json) return;
    ol_buf_t pb;
    ol_buf_init(&pb, OL_MEM_CODEC, 0);
    ol_err_t err;
    int rc = to_pb(&ol_pb_ExportLogsServiceRequest, json, n, &pb, &err);
    if (rc != OL_OK) fprintf(stderr, "  %s\n", err.msg);
    CHECK_EQ_INT(rc, OL_OK);
    ol_otlp_batch_t b;
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_LOGS, ol_buf_slice(&pb), A, &b, &err), OL_OK);
    CHECK_EQ_INT(b.n_logs, 2);
    if (b.n_logs != 2) goto out;
    const ol_otlp_log_t *e = &b.logs[0], *i = &b.logs[1];
    CHECK_EQ_INT(e->severity_number, 17);
    CHECK(ol_slice_eq_cstr(e->severity_text, "ERROR"));
    CHECK_EQ_INT(e->time_ns, 1795278164900000000ull);
    CHECK_EQ_INT(e->observed_ns, 1795278164900000000ull);
    char want[64], got[64];
    CHECK(json_id(json, "traceId", 0, want, sizeof want));
    hex_of(e->trace_id, got);
    CHECK(strcmp(got, want) == 0);
    CHECK(json_id(json, "spanId", 0, want, sizeof want));
    hex_of(e->span_id, got);
    CHECK(strcmp(got, want) == 0);
    CHECK_EQ_INT(i->severity_number, 9);
    CHECK_EQ_INT(i->trace_id.len, 0);
    ol_buf_t t;
    ol_buf_init(&t, OL_MEM_CODEC, 0);
    ol_otlp_anyvalue_text(e->body, &t);
    CHECK(t.len == strlen("payment failed for order 42") && memcmp(t.data, "payment failed for order 42", t.len) == 0);
    ol_buf_reset(&t);
    CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_LogRecord, i->raw, &t), OL_OK);
    CHECK(contains(&t, "\"body\":{\"kvlistValue\":{\"values\":[{\"key\":\"msg\",\"value\":{\"stringValue\":"
                       "\"structured body\"}},{\"key\":\"n\",\"value\":{\"intValue\":\"1\"}}]}}"));
    ol_buf_reset(&t);
    CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_LogRecord, e->raw, &t), OL_OK);
    CHECK(contains(&t, "\"flags\":1"));
    CHECK(contains(&t, "{\"key\":\"order.id\",\"value\":{\"intValue\":\"42\"}}"));
    ol_buf_free(&t);
    check_round_trip(&ol_pb_ExportLogsServiceRequest, ol_buf_slice(&pb));
out:
    ol_buf_free(&pb);
    free(json);
}

/* One-span request around a span body. */
static int span_req(const char *span, ol_buf_t *pb, ol_err_t *err, ol_otlp_batch_t *b)
{
    char json[4096];
    snprintf(json, sizeof json, "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[%s]}]}]}", span);
    int rc = to_pb(&ol_pb_ExportTraceServiceRequest, json, strlen(json), pb, err);
    if (rc != OL_OK || !b) return rc;
    return ol_otlp_decode(OL_SIGNAL_TRACES, ol_buf_slice(pb), A, b, err);
}

#define TID "5B8EFFF798038103D269B633813FC60C"
#define SID "EEE19B7EC3C1B174"
#define IDS "\"traceId\":\"" TID "\",\"spanId\":\"" SID "\""

static void test_otlp_leniency(void)
{
    ol_buf_t pb, out;
    ol_buf_init(&pb, OL_MEM_CODEC, 0);
    ol_buf_init(&out, OL_MEM_CODEC, 0);
    ol_err_t err;
    ol_otlp_batch_t b;

    /* Upper-case hex ids, enum names, snake_case keys, 64-bit ints as numbers, unknown keys, null. */
    int rc = span_req("{" IDS ",\"name\":\"s\",\"kind\":\"SPAN_KIND_SERVER\",\"start_time_unix_nano\":"
                      "1795278164893000000,\"endTimeUnixNano\":\"1795278164893000001\",\"unknownKey\":{\"x\":[1]},"
                      "\"parentSpanId\":null,\"traceState\":null,\"status\":{\"code\":\"status_code_error\"},"
                      "\"dropped_attributes_count\":3,\"flags\":1e2}",
                      &pb, &err, &b);
    if (rc != OL_OK) fprintf(stderr, "  %s\n", err.msg);
    CHECK_EQ_INT(rc, OL_OK);
    CHECK_EQ_INT(b.n_spans, 1);
    if (b.n_spans == 1) {
        const ol_otlp_span_t *s = &b.spans[0];
        CHECK(s->valid);
        CHECK_EQ_INT(s->kind, 2);
        CHECK_EQ_INT(s->status_code, 2);
        CHECK_EQ_INT(s->start_ns, 1795278164893000000ull);
        CHECK_EQ_INT(s->end_ns, 1795278164893000001ull);
        CHECK_EQ_INT(s->parent_span_id.len, 0);
        CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_Span, s->raw, &out), OL_OK);
        CHECK(contains(&out, "\"traceId\":\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"eee19b7ec3c1b174\""));
        CHECK(contains(&out, "\"droppedAttributesCount\":3"));
        CHECK(contains(&out, "\"flags\":100"));
        CHECK(!memmem(out.data, out.len, "traceState", 10));
    }

    /* Empty id strings are absent; a root span has no parent. */
    CHECK_EQ_INT(span_req("{" IDS ",\"parentSpanId\":\"\",\"name\":\"r\"}", &pb, &err, &b), OL_OK);
    CHECK(b.n_spans == 1 && b.spans[0].valid && b.spans[0].parent_span_id.len == 0);

    /* Malformed ids reject only their span (the request still decodes). */
    static const char *const bad_ids[] = {
        "\"traceId\":\"" TID "0\",\"spanId\":\"" SID "\"",         /* odd length, 16 bytes decodable */
        "\"traceId\":\"zz" TID "\",\"spanId\":\"" SID "\"",         /* not hex at all */
        "\"traceId\":\"" TID "\",\"spanId\":\"" SID "zz\"",         /* trailing junk */
        "\"traceId\":\"" TID "\",\"spanId\":\"EEE19B7EC3C1B1\"",    /* short */
        "\"traceId\":\"" TID "\",\"spanId\":\"" SID "\",\"parentSpanId\":\"xyz\"",
        "\"traceId\":\"" TID "\",\"spanId\":\"" SID "\",\"parentSpanId\":\"" SID "g\"",
        "\"traceId\":\"" TID "\",\"spanId\":\"" SID "\",\"parentSpanId\":\"" SID "00\"",
        "\"traceId\":\"00000000000000000000000000000000\",\"spanId\":\"" SID "\"",
        "\"traceId\":\"5B8EFFF798038103D269B633813FC6\\u0030C\",\"spanId\":\"" SID "\"", /* escaped but fine */
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(bad_ids); i++) {
        char span[512];
        snprintf(span, sizeof span, "{%s,\"name\":\"b\"},{" IDS ",\"name\":\"g\"}", bad_ids[i]);
        rc = span_req(span, &pb, &err, &b);
        CHECK_EQ_INT(rc, OL_OK);
        CHECK_EQ_INT(b.n_spans, 2);
        if (b.n_spans != 2) continue;
        bool want_valid = i == OL_ARRAY_LEN(bad_ids) - 1;
        if (b.spans[0].valid != want_valid) fprintf(stderr, "  bad id case %zu\n", i);
        CHECK(b.spans[0].valid == want_valid);
        CHECK(b.spans[1].valid);
    }

    /* AnyValue: every member maps to its field; bytes as base64 (std and url-safe); doubles as strings. */
    rc = span_req("{" IDS ",\"attributes\":["
                  "{\"key\":\"b\",\"value\":{\"bytesValue\":\"AQID/w==\"}},"
                  "{\"key\":\"u\",\"value\":{\"bytes_value\":\"AQID_w\"}},"
                  "{\"key\":\"n\",\"value\":{\"doubleValue\":\"NaN\"}},"
                  "{\"key\":\"i\",\"value\":{\"doubleValue\":\"-Infinity\"}},"
                  "{\"key\":\"d\",\"value\":{\"doubleValue\":\"2.5\"}},"
                  "{\"key\":\"e\",\"value\":{\"intValue\":\"-9223372036854775808\"}},"
                  "{\"key\":\"s\",\"value\":{\"stringValue\":\"\\u00e9\\\"\"}},"
                  "{\"key\":\"k\",\"value\":{\"kvlistValue\":{\"values\":[{\"key\":\"x\",\"value\":{}}]}}}]}",
                  &pb, &err, &b);
    if (rc != OL_OK) fprintf(stderr, "  %s\n", err.msg);
    CHECK_EQ_INT(rc, OL_OK);
    if (rc == OL_OK && b.n_spans == 1) {
        ol_buf_reset(&out);
        CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_Span, b.spans[0].raw, &out), OL_OK);
        CHECK(contains(&out, "{\"key\":\"b\",\"value\":{\"bytesValue\":\"AQID/w==\"}}"));
        CHECK(contains(&out, "{\"key\":\"u\",\"value\":{\"bytesValue\":\"AQID/w==\"}}"));
        CHECK(contains(&out, "{\"doubleValue\":\"NaN\"}"));
        CHECK(contains(&out, "{\"doubleValue\":\"-Infinity\"}"));
        CHECK(contains(&out, "{\"doubleValue\":2.5}"));
        CHECK(contains(&out, "{\"intValue\":\"-9223372036854775808\"}"));
        CHECK(contains(&out, "{\"stringValue\":\"\xc3\xa9\\\"\"}"));
        CHECK(contains(&out, "\"kvlistValue\":{\"values\":[{\"key\":\"x\",\"value\":{}}]}"));
    }

    /* Empty and missing arrays, an empty request. */
    CHECK_EQ_INT(to_pb(&ol_pb_ExportTraceServiceRequest, "{}", 2, &pb, &err), OL_OK);
    CHECK_EQ_INT(pb.len, 0);
    CHECK_EQ_INT(to_pb(&ol_pb_ExportTraceServiceRequest, "{\"resourceSpans\":[]}", 20, &pb, &err), OL_OK);
    CHECK_EQ_INT(pb.len, 0);

    ol_buf_free(&pb);
    ol_buf_free(&out);
}

/* The LEN payload of the first field `number` in msg. */
static ol_slice_t sub(ol_slice_t msg, uint32_t number, uint8_t *wire)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, msg);
    while (ol_pb_next(&r, &f) == OL_OK)
        if (f.number == number) {
            if (wire) *wire = f.wire_type;
            return f.bytes;
        }
    return OL_SLICE_NULL;
}

static void test_otlp_packed(void)
{
    ol_buf_t pb;
    ol_buf_init(&pb, OL_MEM_CODEC, 0);
    ol_err_t err;
    const char *j = "{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"name\":\"h\",\"histogram\":"
                    "{\"dataPoints\":[{\"bucketCounts\":[1,\"2\",3],\"explicitBounds\":[0.5,\"1\"],\"count\":6}]}},"
                    "{\"name\":\"e\",\"exponentialHistogram\":{\"dataPoints\":[{\"scale\":-3,"
                    "\"positive\":{\"offset\":-2,\"bucketCounts\":[300,0]}}]}}]}]}]}";
    int rc = to_pb(&ol_pb_ExportMetricsServiceRequest, j, strlen(j), &pb, &err);
    if (rc != OL_OK) fprintf(stderr, "  %s\n", err.msg);
    CHECK_EQ_INT(rc, OL_OK);
    ol_otlp_batch_t b;
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_METRICS, ol_buf_slice(&pb), A, &b, &err), OL_OK);
    CHECK_EQ_INT(b.n_metrics, 2);
    if (b.n_metrics != 2) goto out;
    uint8_t w = 0;
    ol_slice_t dp = sub(sub(b.metrics[0].raw, 9, NULL), 1, NULL);
    ol_slice_t counts = sub(dp, 6, &w);
    CHECK_EQ_INT(w, OL_PB_LEN);
    CHECK_EQ_INT(counts.len, 24);
    if (counts.len == 24) CHECK(ol_load_le64(counts.ptr + 8) == 2);
    ol_slice_t bounds = sub(dp, 7, &w);
    CHECK_EQ_INT(w, OL_PB_LEN);
    CHECK_EQ_INT(bounds.len, 16);
    if (bounds.len == 16) CHECK(ol_pb_as_double(ol_load_le64(bounds.ptr)) == 0.5);
    dp = sub(sub(b.metrics[1].raw, 10, NULL), 1, NULL);
    ol_pb_field_value_t f;
    ol_pb_reader_t r;
    ol_pb_reader_init(&r, dp);
    CHECK_EQ_INT(ol_pb_next(&r, &f), OL_OK);
    CHECK(f.number == 6 && f.u64 == 5); /* sint32 zigzag of -3 */
    ol_slice_t pos = sub(dp, 8, NULL);
    ol_pb_reader_init(&r, pos);
    CHECK_EQ_INT(ol_pb_next(&r, &f), OL_OK);
    CHECK(f.number == 1 && f.u64 == 3); /* zigzag of -2 */
    CHECK_EQ_INT(ol_pb_next(&r, &f), OL_OK);
    CHECK(f.number == 2 && f.wire_type == OL_PB_LEN && f.bytes.len == 3); /* varints 300 (2 bytes), 0 */
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CODEC, 0);
    CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_Metric, b.metrics[1].raw, &out), OL_OK);
    CHECK(contains(&out, "\"scale\":-3,\"positive\":{\"offset\":-2,\"bucketCounts\":[\"300\",\"0\"]}"));
    ol_buf_free(&out);
out:
    ol_buf_free(&pb);
}

static void check_err(const ol_pb_msg_t *root, const char *json, int want_rc, const char *want_err)
{
    ol_buf_t pb;
    ol_buf_init(&pb, OL_MEM_CODEC, 0);
    ol_buf_append_cstr(&pb, "keep");
    ol_err_t err = {{0}};
    int rc = ol_otlp_json_to_pb(root, ol_slice_cstr(json), A, &pb, &err);
    CHECK_EQ_INT(rc, want_rc);
    if (want_rc != OL_OK) CHECK_EQ_INT(pb.len, 4); /* rewound */
    if (strcmp(err.msg, want_err) != 0) {
        fprintf(stderr, "  %s\n    got  \"%s\"\n    want \"%s\"\n", json, err.msg, want_err);
        CHECK(0);
    }
    ol_buf_free(&pb);
}

#define RS(x) "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{},{},{" x "}]}]}]}"
#define SP "resourceSpans[0].scopeSpans[0].spans[2]"

static void test_otlp_errors(void)
{
    const ol_pb_msg_t *T = &ol_pb_ExportTraceServiceRequest;
    check_err(T, RS("\"kind\":\"2\""), OL_OK, "");
    check_err(T, RS("\"kind\":true"), OL_CORRUPT, SP ".kind: expected number");
    check_err(T, RS("\"kind\":\"SPAN_KIND_NOPE\""), OL_CORRUPT, SP ".kind: expected number or SpanKind name");
    check_err(T, RS("\"kind\":2.5"), OL_CORRUPT, SP ".kind: expected integer, got a fraction");
    check_err(T, RS("\"kind\":2147483648"), OL_CORRUPT, SP ".kind: integer out of range");
    check_err(T, RS("\"name\":1"), OL_CORRUPT, SP ".name: expected string");
    check_err(T, RS("\"traceId\":[]"), OL_CORRUPT, SP ".traceId: expected hex string");
    check_err(T, RS("\"startTimeUnixNano\":\"1.5\""), OL_CORRUPT,
              SP ".startTimeUnixNano: expected integer, got a fraction");
    check_err(T, RS("\"startTimeUnixNano\":\"18446744073709551616\""), OL_CORRUPT,
              SP ".startTimeUnixNano: integer out of range");
    check_err(T, RS("\"startTimeUnixNano\":-1"), OL_CORRUPT, SP ".startTimeUnixNano: integer out of range");
    check_err(T, RS("\"startTimeUnixNano\":\" 1\""), OL_CORRUPT,
              SP ".startTimeUnixNano: expected number or decimal string");
    check_err(T, RS("\"startTimeUnixNano\":1e30"), OL_CORRUPT, SP ".startTimeUnixNano: integer out of range");
    check_err(T, RS("\"startTimeUnixNano\":18446744073709551615"), OL_OK, "");
    check_err(T, RS("\"startTimeUnixNano\":1.8e1"), OL_OK, "");
    check_err(T, RS("\"startTimeUnixNano\":\"1500e-2\""), OL_OK, "");
    check_err(T, RS("\"startTimeUnixNano\":{}"), OL_CORRUPT,
              SP ".startTimeUnixNano: expected number or decimal string");
    check_err(T, RS("\"droppedAttributesCount\":-1"), OL_CORRUPT, SP ".droppedAttributesCount: integer out of range");
    check_err(T, RS("\"flags\":4294967296"), OL_CORRUPT, SP ".flags: integer out of range");
    check_err(T, RS("\"status\":[]"), OL_CORRUPT, SP ".status: expected object");
    check_err(T, RS("\"status\":{\"code\":\"x\"}"), OL_CORRUPT,
              SP ".status.code: expected number or StatusCode name");
    check_err(T, RS("\"attributes\":{}"), OL_CORRUPT, SP ".attributes: expected array");
    check_err(T, RS("\"attributes\":[null]"), OL_CORRUPT, SP ".attributes[0]: expected object");
    check_err(T, RS("\"attributes\":[{},{\"key\":\"k\",\"value\":{\"boolValue\":1}}]"), OL_CORRUPT,
              SP ".attributes[1].value.boolValue: expected boolean");
    check_err(T, RS("\"attributes\":[{\"value\":{\"bytesValue\":\"@@\"}}]"), OL_CORRUPT,
              SP ".attributes[0].value.bytesValue: expected base64 string");
    check_err(T, RS("\"attributes\":[{\"value\":{\"doubleValue\":\"nan\"}}]"), OL_CORRUPT,
              SP ".attributes[0].value.doubleValue: expected number");
    check_err(T, RS("\"attributes\":[{\"value\":{\"doubleValue\":1e999}}]"), OL_CORRUPT,
              SP ".attributes[0].value.doubleValue: number out of range");
    check_err(T, RS("\"attributes\":[{\"value\":{\"arrayValue\":{\"values\":[{\"intValue\":true}]}}}]"),
              OL_CORRUPT, SP ".attributes[0].value.arrayValue.values[0].intValue: expected number or decimal string");
    check_err(T, RS("\"events\":[{\"time_unix_nano\":false}]"), OL_CORRUPT,
              SP ".events[0].time_unix_nano: expected number or decimal string");
    check_err(T, "{\"resourceSpans\":{}}", OL_CORRUPT, "resourceSpans: expected array");
    check_err(T, "[]", OL_CORRUPT, "top level: expected object");
    check_err(T, "\"x\"", OL_CORRUPT, "top level: expected object");
    check_err(T, "{\"resourceSpans\":[}", OL_CORRUPT, "offset 18: expected value");
    check_err(T, "{\"resource\\u0053pans\":[1]}", OL_CORRUPT, "resourceSpans[0]: expected object");

    const ol_pb_msg_t *M = &ol_pb_ExportMetricsServiceRequest;
    check_err(M, "{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"sum\":{\"dataPoints\":[{\"asDouble\":"
                 "\"1\",\"asInt\":\"x\"}]}}]}]}]}",
              OL_CORRUPT, "resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0].asInt: expected number or decimal string");
    check_err(M, "{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"histogram\":{\"dataPoints\":"
                 "[{\"bucketCounts\":[1,2,null]}]}}]}]}]}",
              OL_CORRUPT, "resourceMetrics[0].scopeMetrics[0].metrics[0].histogram.dataPoints[0].bucketCounts[2]: "
                          "expected number or decimal string");
    const ol_pb_msg_t *L = &ol_pb_ExportLogsServiceRequest;
    check_err(L, "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"severityNumber\":\"severity_number_warn\"},"
                 "{\"severityNumber\":\"WARN\"}]}]}]}",
              OL_CORRUPT, "resourceLogs[0].scopeLogs[0].logRecords[1].severityNumber: expected number or SeverityNumber name");

    /* Nesting: AnyValue arrays deeper than the protobuf limit are refused with a path. */
    ol_buf_t j;
    ol_buf_init(&j, OL_MEM_CODEC, 0);
    ol_buf_append_cstr(&j, "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":");
    for (int i = 0; i < 40; i++) ol_buf_append_cstr(&j, "{\"arrayValue\":{\"values\":[");
    ol_buf_append_cstr(&j, "{}");
    for (int i = 0; i < 40; i++) ol_buf_append_cstr(&j, "]}}");
    ol_buf_append_cstr(&j, "}]}]}]}");
    ol_buf_append_u8(&j, 0);
    ol_buf_t pb;
    ol_buf_init(&pb, OL_MEM_CODEC, 0);
    ol_err_t err;
    CHECK_EQ_INT(ol_otlp_json_to_pb(L, ol_slice(j.data, j.len - 1), A, &pb, &err), OL_CORRUPT);
    CHECK(strstr(err.msg, "messages nested deeper than 64") != NULL);
    CHECK(strncmp(err.msg, "resourceLogs[0].scopeLogs[0].logRecords[0].body.ar...", 53) == 0);
    CHECK(strstr(err.msg, ".arrayValue.values[0]: messages nested deeper than 64") != NULL);
    ol_buf_free(&pb);
    ol_buf_free(&j);
}

int main(void)
{
    A = ol_arena_create(1 << 16, 0);
    RUN(test_parse_valid);
    RUN(test_parse_invalid);
    RUN(test_parse_tokens);
    RUN(test_parse_depth);
    RUN(test_unescape);
    RUN(test_write_string);
    RUN(test_write_double);
    RUN(test_otlp_traces_fixture);
    RUN(test_otlp_metrics_fixture);
    RUN(test_otlp_logs_fixture);
    RUN(test_otlp_leniency);
    RUN(test_otlp_packed);
    RUN(test_otlp_errors);
    ol_arena_destroy(A);
    return TEST_REPORT();
}
