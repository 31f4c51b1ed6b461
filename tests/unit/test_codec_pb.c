/*
 * test_codec_pb.c - the protobuf wire reader/writer (pb.c), the schema tables
 * and validator (pb_schema.c) and the schema-driven JSON renderer
 * (pb_json.c), on hand-built messages. Real OTLP requests are covered by
 * test_codec_otlp.c.
 */
#include <math.h>

#include "codec/otlp_json.h"
#include "codec/pb.h"
#include "codec/pb_schema.h"
#include "test.h"

static ol_slice_t S(const uint8_t *p, size_t n) { return ol_slice(p, n); }

static int next1(const uint8_t *p, size_t n, ol_pb_field_value_t *f)
{
    ol_pb_reader_t r;
    ol_pb_reader_init(&r, S(p, n));
    return ol_pb_next(&r, f);
}

static void test_varint_round_trip(void)
{
    static const uint64_t vals[] = {0, 1, 127, 128, 300, 16383, 16384, UINT32_MAX, (uint64_t)1 << 63, UINT64_MAX};
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CODEC, 0);
    for (size_t i = 0; i < OL_ARRAY_LEN(vals); i++) ol_pb_put_varint(&b, vals[i]);
    CHECK_EQ_INT(b.err, OL_OK);
    const uint8_t *p = b.data, *end = b.data + b.len;
    for (size_t i = 0; i < OL_ARRAY_LEN(vals); i++) {
        uint64_t v = 0;
        CHECK_EQ_INT(ol_pb_read_varint(&p, end, &v), OL_OK);
        CHECK(v == vals[i]);
    }
    CHECK(p == end);
    ol_buf_free(&b);
}

static void test_varint_malformed(void)
{
    uint64_t v;
    const uint8_t *p;
    static const uint8_t trunc[] = {0x80, 0x80};
    p = trunc;
    CHECK_EQ_INT(ol_pb_read_varint(&p, trunc + sizeof trunc, &v), OL_CORRUPT);
    CHECK(p == trunc); /* not advanced on error */

    static const uint8_t eleven[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    p = eleven;
    CHECK_EQ_INT(ol_pb_read_varint(&p, eleven + sizeof eleven, &v), OL_CORRUPT);

    static const uint8_t overflow[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    p = overflow;
    CHECK_EQ_INT(ol_pb_read_varint(&p, overflow + sizeof overflow, &v), OL_CORRUPT);

    static const uint8_t max[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    p = max;
    CHECK_EQ_INT(ol_pb_read_varint(&p, max + sizeof max, &v), OL_OK);
    CHECK(v == UINT64_MAX);

    p = trunc;
    CHECK_EQ_INT(ol_pb_read_varint(&p, trunc, &v), OL_CORRUPT); /* empty */
}

static void test_next_malformed(void)
{
    ol_pb_field_value_t f;
    CHECK_EQ_INT(next1((const uint8_t *)"", 0, &f), OL_NOTFOUND);

    static const uint8_t field0[] = {0x00, 0x01};            /* field number 0 */
    CHECK_EQ_INT(next1(field0, sizeof field0, &f), OL_CORRUPT);
    static const uint8_t group_start[] = {0x0b};             /* field 1, wire 3 */
    CHECK_EQ_INT(next1(group_start, sizeof group_start, &f), OL_CORRUPT);
    static const uint8_t group_end[] = {0x0c};               /* field 1, wire 4 */
    CHECK_EQ_INT(next1(group_end, sizeof group_end, &f), OL_CORRUPT);
    static const uint8_t wire6[] = {0x0e, 0x00};
    CHECK_EQ_INT(next1(wire6, sizeof wire6, &f), OL_CORRUPT);
    static const uint8_t wire7[] = {0x0f, 0x00};
    CHECK_EQ_INT(next1(wire7, sizeof wire7, &f), OL_CORRUPT);
    static const uint8_t len_past_end[] = {0x0a, 0x05, 'a', 'b'};
    CHECK_EQ_INT(next1(len_past_end, sizeof len_past_end, &f), OL_CORRUPT);
    static const uint8_t len_huge[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 'a'};
    CHECK_EQ_INT(next1(len_huge, sizeof len_huge, &f), OL_CORRUPT);
    static const uint8_t len_trunc[] = {0x0a};
    CHECK_EQ_INT(next1(len_trunc, sizeof len_trunc, &f), OL_CORRUPT);
    static const uint8_t i64_short[] = {0x09, 1, 2, 3, 4, 5, 6, 7};
    CHECK_EQ_INT(next1(i64_short, sizeof i64_short, &f), OL_CORRUPT);
    static const uint8_t i32_short[] = {0x0d, 1, 2, 3};
    CHECK_EQ_INT(next1(i32_short, sizeof i32_short, &f), OL_CORRUPT);
    static const uint8_t varint_trunc[] = {0x08, 0x80};
    CHECK_EQ_INT(next1(varint_trunc, sizeof varint_trunc, &f), OL_CORRUPT);
    static const uint8_t tag_too_big[] = {0xf8, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00}; /* tag > 2^32 */
    CHECK_EQ_INT(next1(tag_too_big, sizeof tag_too_big, &f), OL_CORRUPT);

    static const uint8_t ok[] = {0x0a, 0x02, 'h', 'i', 0x10, 0x96, 0x01, 0x1d, 1, 0, 0, 0, 0x21, 1, 0, 0, 0, 0, 0, 0, 0x80};
    ol_pb_reader_t r;
    ol_pb_reader_init(&r, S(ok, sizeof ok));
    CHECK_EQ_INT(ol_pb_next(&r, &f), OL_OK);
    CHECK(f.number == 1 && f.wire_type == OL_PB_LEN && ol_slice_eq_cstr(f.bytes, "hi"));
    CHECK_EQ_INT(ol_pb_next(&r, &f), OL_OK);
    CHECK(f.number == 2 && f.wire_type == OL_PB_VARINT && f.u64 == 150);
    CHECK_EQ_INT(ol_pb_next(&r, &f), OL_OK);
    CHECK(f.number == 3 && f.wire_type == OL_PB_I32 && f.u64 == 1);
    CHECK_EQ_INT(ol_pb_next(&r, &f), OL_OK);
    CHECK(f.number == 4 && f.wire_type == OL_PB_I64 && f.u64 == ((uint64_t)0x80 << 56 | 1));
    CHECK_EQ_INT(ol_pb_next(&r, &f), OL_NOTFOUND);
}

static void test_writer_round_trip(void)
{
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CODEC, 0);
    ol_pb_put_uint(&b, 1, 42);
    ol_pb_put_fixed64(&b, 2, 0x0102030405060708ull);
    ol_pb_put_fixed32(&b, 3, 257);
    ol_pb_put_double(&b, 4, 99.5);
    ol_pb_put_bytes(&b, 5, OL_SLICE_LIT("hello"));
    size_t outer = ol_pb_begin(&b, 6);
    ol_pb_put_bytes(&b, 1, OL_SLICE_LIT("inner"));
    size_t inner = ol_pb_begin(&b, 2);
    ol_pb_put_uint(&b, 7, 300);
    ol_pb_end(&b, inner);
    ol_pb_end(&b, outer);
    ol_pb_put_tag(&b, 536870911, OL_PB_VARINT); /* max field number */
    ol_pb_put_varint(&b, 1);
    CHECK_EQ_INT(b.err, OL_OK);

    ol_pb_reader_t r, r2, r3;
    ol_pb_field_value_t f, g, h;
    ol_pb_reader_init(&r, ol_buf_slice(&b));
    CHECK_EQ_INT(ol_pb_next(&r, &f), OL_OK);
    CHECK(f.number == 1 && f.u64 == 42);
    CHECK_EQ_INT(ol_pb_next(&r, &f), OL_OK);
    CHECK(f.number == 2 && f.wire_type == OL_PB_I64 && f.u64 == 0x0102030405060708ull);
    CHECK_EQ_INT(ol_pb_next(&r, &f), OL_OK);
    CHECK(f.number == 3 && f.wire_type == OL_PB_I32 && f.u64 == 257);
    CHECK_EQ_INT(ol_pb_next(&r, &f), OL_OK);
    CHECK(f.number == 4 && ol_pb_as_double(f.u64) == 99.5);
    CHECK_EQ_INT(ol_pb_next(&r, &f), OL_OK);
    CHECK(f.number == 5 && ol_slice_eq_cstr(f.bytes, "hello"));
    CHECK_EQ_INT(ol_pb_next(&r, &f), OL_OK);
    CHECK(f.number == 6 && f.wire_type == OL_PB_LEN);
    ol_pb_reader_init(&r2, f.bytes);
    CHECK_EQ_INT(ol_pb_next(&r2, &g), OL_OK);
    CHECK(g.number == 1 && ol_slice_eq_cstr(g.bytes, "inner"));
    CHECK_EQ_INT(ol_pb_next(&r2, &g), OL_OK);
    CHECK(g.number == 2 && g.bytes.len == 3);
    ol_pb_reader_init(&r3, g.bytes);
    CHECK_EQ_INT(ol_pb_next(&r3, &h), OL_OK);
    CHECK(h.number == 7 && h.u64 == 300);
    CHECK_EQ_INT(ol_pb_next(&r3, &h), OL_NOTFOUND);
    CHECK_EQ_INT(ol_pb_next(&r2, &g), OL_NOTFOUND);
    CHECK_EQ_INT(ol_pb_next(&r, &f), OL_OK);
    CHECK(f.number == 536870911 && f.u64 == 1);
    CHECK_EQ_INT(ol_pb_next(&r, &f), OL_NOTFOUND);

    CHECK_EQ_INT(ol_pb_zigzag_decode(0), 0);
    CHECK_EQ_INT(ol_pb_zigzag_decode(1), -1);
    CHECK_EQ_INT(ol_pb_zigzag_decode(2), 1);
    CHECK_EQ_INT(ol_pb_zigzag_decode(7), -4);
    ol_buf_free(&b);
}

static void test_schema_lookup(void)
{
    const ol_pb_field_t *f = ol_pb_msg_field(&ol_pb_Span, 16);
    CHECK(f && f->type == OL_PBT_FIXED32 && strcmp(f->json_name, "flags") == 0);
    f = ol_pb_msg_field(&ol_pb_Span, 1);
    CHECK(f && f->type == OL_PBT_ID);
    CHECK(ol_pb_msg_field(&ol_pb_Span, 99) == NULL);
    f = ol_pb_msg_field_by_json(&ol_pb_Span, OL_SLICE_LIT("parentSpanId"));
    CHECK(f && f->number == 4);
    f = ol_pb_msg_field_by_json(&ol_pb_Span, OL_SLICE_LIT("parent_span_id"));
    CHECK(f && f->number == 4);
    CHECK(ol_pb_msg_field_by_json(&ol_pb_Span, OL_SLICE_LIT("parent")) == NULL);
    f = ol_pb_msg_field_by_json(&ol_pb_LogRecord, OL_SLICE_LIT("eventName"));
    CHECK(f && f->number == 12);
    f = ol_pb_msg_field_by_json(&ol_pb_Metric, OL_SLICE_LIT("exponentialHistogram"));
    CHECK(f && f->number == 10 && f->msg);
    f = ol_pb_msg_field_by_json(&ol_pb_AnyValue, OL_SLICE_LIT("kvlistValue"));
    CHECK(f && f->number == 6 && f->msg);
    f = ol_pb_msg_field(&ol_pb_Span, 6);
    CHECK(f && f->type == OL_PBT_ENUM && f->enm && f->enm->n_values == 6);
    f = ol_pb_msg_field(&ol_pb_LogRecord, 2);
    CHECK(f && f->enm && f->enm->n_values == 25);

    CHECK_EQ_INT(ol_pb_type_wire(OL_PBT_STRING), OL_PB_LEN);
    CHECK_EQ_INT(ol_pb_type_wire(OL_PBT_ID), OL_PB_LEN);
    CHECK_EQ_INT(ol_pb_type_wire(OL_PBT_FIXED64), OL_PB_I64);
    CHECK_EQ_INT(ol_pb_type_wire(OL_PBT_SFIXED64), OL_PB_I64);
    CHECK_EQ_INT(ol_pb_type_wire(OL_PBT_DOUBLE), OL_PB_I64);
    CHECK_EQ_INT(ol_pb_type_wire(OL_PBT_FIXED32), OL_PB_I32);
    CHECK_EQ_INT(ol_pb_type_wire(OL_PBT_SINT32), OL_PB_VARINT);
    CHECK_EQ_INT(ol_pb_type_wire(OL_PBT_ENUM), OL_PB_VARINT);
    CHECK_EQ_INT(ol_pb_type_wire(OL_PBT_MESSAGE), OL_PB_LEN);

    /* every nested-message field has its table, every enum field its enum */
    const ol_pb_msg_t *roots[] = {&ol_pb_ExportTraceServiceRequest, &ol_pb_ExportMetricsServiceRequest,
                                  &ol_pb_ExportLogsServiceRequest, &ol_pb_ExportTraceServiceResponse,
                                  &ol_pb_RpcStatus};
    const ol_pb_msg_t *stack[64];
    int n = 0, seen = 0;
    for (size_t i = 0; i < OL_ARRAY_LEN(roots); i++) stack[n++] = roots[i];
    while (n > 0 && seen < 500) {
        const ol_pb_msg_t *m = stack[--n];
        seen++;
        CHECK(m->name && m->n_fields > 0);
        for (size_t i = 0; i < m->n_fields; i++) {
            const ol_pb_field_t *fd = &m->fields[i];
            CHECK(fd->json_name && fd->proto_name && fd->number > 0);
            if (i > 0) CHECK(fd->number > m->fields[i - 1].number);
            if (fd->type == OL_PBT_MESSAGE) {
                CHECK(fd->msg != NULL);
                if (fd->msg && fd->msg != m && fd->msg != &ol_pb_AnyValue && fd->msg != &ol_pb_KeyValue &&
                    n < 64)
                    stack[n++] = fd->msg;
            }
            if (fd->type == OL_PBT_ENUM) CHECK(fd->enm != NULL);
        }
    }
    CHECK(seen > 20);
}

/* A Span with every kind of field, built with the writer. */
static void build_span(ol_buf_t *b)
{
    static const uint8_t tid[16] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    static const uint8_t sid[8] = {0xab, 0xcd, 0, 0, 0, 0, 0, 1};
    ol_pb_put_bytes(b, 1, ol_slice(tid, 16));
    ol_pb_put_bytes(b, 2, ol_slice(sid, 8));
    ol_pb_put_bytes(b, 5, OL_SLICE_LIT("say \"hi\""));
    ol_pb_put_uint(b, 6, 2);
    ol_pb_put_fixed64(b, 7, 1795278164893000000ull);
    size_t kv = ol_pb_begin(b, 9);
    ol_pb_put_bytes(b, 1, OL_SLICE_LIT("n"));
    size_t av = ol_pb_begin(b, 2);
    ol_pb_put_uint(b, 3, (uint64_t)-5);
    ol_pb_end(b, av);
    ol_pb_end(b, kv);
    ol_pb_put_uint(b, 99, 7); /* unknown: skipped */
    kv = ol_pb_begin(b, 9);
    ol_pb_put_bytes(b, 1, OL_SLICE_LIT("b"));
    av = ol_pb_begin(b, 2);
    ol_pb_put_bytes(b, 7, OL_SLICE_LIT("\x01\x02\x03"));
    ol_pb_end(b, av);
    ol_pb_end(b, kv);
    size_t st = ol_pb_begin(b, 15);
    ol_pb_put_uint(b, 3, 2);
    ol_pb_end(b, st);
    ol_pb_put_fixed32(b, 16, 257);
}

static void test_validate(void)
{
    ol_err_t err;
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CODEC, 0);
    build_span(&b);
    CHECK_EQ_INT(ol_pb_validate(&ol_pb_Span, ol_buf_slice(&b), &err), OL_OK);
    CHECK_EQ_INT(ol_pb_validate(&ol_pb_Span, OL_SLICE_NULL, &err), OL_OK);

    /* wrong wire type: name as varint */
    ol_buf_reset(&b);
    ol_pb_put_uint(&b, 5, 1);
    err.msg[0] = 0;
    CHECK_EQ_INT(ol_pb_validate(&ol_pb_Span, ol_buf_slice(&b), &err), OL_CORRUPT);
    CHECK(strstr(err.msg, "opentelemetry.proto.trace.v1.Span") && strstr(err.msg, "name"));

    /* wrong wire type deep inside: Span.status.code as fixed32 */
    ol_buf_reset(&b);
    size_t st = ol_pb_begin(&b, 15);
    ol_pb_put_fixed32(&b, 3, 2);
    ol_pb_end(&b, st);
    CHECK_EQ_INT(ol_pb_validate(&ol_pb_Span, ol_buf_slice(&b), &err), OL_CORRUPT);
    CHECK(strstr(err.msg, "Status") && strstr(err.msg, "code"));

    /* truncated nested message */
    ol_buf_reset(&b);
    build_span(&b);
    CHECK_EQ_INT(ol_pb_validate(&ol_pb_Span, ol_slice(b.data, b.len - 3), &err), OL_CORRUPT);

    /* unknown fields of every wire type are skipped */
    ol_buf_reset(&b);
    ol_pb_put_uint(&b, 100, 1);
    ol_pb_put_fixed32(&b, 101, 1);
    ol_pb_put_fixed64(&b, 102, 1);
    ol_pb_put_bytes(&b, 103, OL_SLICE_LIT("\xff\xff"));
    CHECK_EQ_INT(ol_pb_validate(&ol_pb_Span, ol_buf_slice(&b), &err), OL_OK);

    /* repeated scalars: packed and unpacked both accepted (HistogramDataPoint) */
    ol_buf_reset(&b);
    size_t m = ol_pb_begin(&b, 9); /* Metric.histogram */
    size_t dp = ol_pb_begin(&b, 1);
    ol_pb_put_fixed64(&b, 6, 1); /* bucket_counts unpacked */
    ol_pb_put_fixed64(&b, 6, 2);
    uint8_t packed[16] = {3, 0, 0, 0, 0, 0, 0, 0, 4};
    ol_pb_put_bytes(&b, 6, ol_slice(packed, 16)); /* bucket_counts packed */
    double bounds[2] = {0.5, 1.5};
    ol_pb_put_bytes(&b, 7, ol_slice(bounds, sizeof bounds)); /* explicit_bounds packed */
    ol_pb_put_double(&b, 7, 2.5);                             /* and unpacked */
    ol_pb_end(&b, dp);
    ol_pb_end(&b, m);
    CHECK_EQ_INT(ol_pb_validate(&ol_pb_Metric, ol_buf_slice(&b), &err), OL_OK);

    /* packed payload that is not a whole number of elements */
    ol_buf_reset(&b);
    m = ol_pb_begin(&b, 9);
    dp = ol_pb_begin(&b, 1);
    ol_pb_put_bytes(&b, 6, ol_slice(packed, 12));
    ol_pb_end(&b, dp);
    ol_pb_end(&b, m);
    CHECK_EQ_INT(ol_pb_validate(&ol_pb_Metric, ol_buf_slice(&b), &err), OL_CORRUPT);
    CHECK(strstr(err.msg, "bucket_counts") != NULL);

    /* packed varints (ExponentialHistogram Buckets.bucket_counts), with a truncated one */
    ol_buf_reset(&b);
    ol_pb_put_bytes(&b, 2, OL_SLICE_LIT("\x01\x96\x01\x00"));
    ol_pb_put_uint(&b, 2, 5);
    ol_pb_put_uint(&b, 1, 3); /* sint32 offset */
    ol_buf_t bk;
    ol_buf_init(&bk, OL_MEM_CODEC, 0);
    m = ol_pb_begin(&bk, 10);
    dp = ol_pb_begin(&bk, 1);
    ol_pb_put_bytes(&bk, 8, ol_buf_slice(&b));
    ol_pb_end(&bk, dp);
    ol_pb_end(&bk, m);
    CHECK_EQ_INT(ol_pb_validate(&ol_pb_Metric, ol_buf_slice(&bk), &err), OL_OK);
    ol_buf_reset(&b);
    ol_pb_put_bytes(&b, 2, OL_SLICE_LIT("\x01\x96"));
    CHECK_EQ_INT(ol_pb_validate(&ol_pb_Metric, ol_buf_slice(&b), &err), OL_OK); /* field 2 of Metric is a string */
    ol_buf_reset(&bk);
    m = ol_pb_begin(&bk, 10);
    dp = ol_pb_begin(&bk, 1);
    ol_pb_put_bytes(&bk, 8, ol_buf_slice(&b));
    ol_pb_end(&bk, dp);
    ol_pb_end(&bk, m);
    CHECK_EQ_INT(ol_pb_validate(&ol_pb_Metric, ol_buf_slice(&bk), &err), OL_CORRUPT);

    /* a non-repeated scalar sent as LEN is not packed: rejected */
    ol_buf_reset(&b);
    ol_pb_put_bytes(&b, 6, OL_SLICE_LIT("\x02"));
    CHECK_EQ_INT(ol_pb_validate(&ol_pb_Span, ol_buf_slice(&b), &err), OL_CORRUPT);

    ol_buf_free(&bk);
    ol_buf_free(&b);
}

/* AnyValue nested `levels` times through array_value (2 messages per level). */
static void build_nested_any(ol_buf_t *b, int levels)
{
    size_t marks[2 * 200];
    int n = 0;
    for (int i = 0; i < levels; i++) {
        marks[n++] = ol_pb_begin(b, 5); /* AnyValue.array_value */
        marks[n++] = ol_pb_begin(b, 1); /* ArrayValue.values */
    }
    ol_pb_put_bytes(b, 1, OL_SLICE_LIT("leaf"));
    while (n > 0) ol_pb_end(b, marks[--n]);
}

static void test_depth_bomb(void)
{
    ol_err_t err;
    ol_buf_t b, out;
    ol_buf_init(&b, OL_MEM_CODEC, 0);
    ol_buf_init(&out, OL_MEM_CODEC, 0);
    build_nested_any(&b, 20);
    CHECK_EQ_INT(ol_pb_validate(&ol_pb_AnyValue, ol_buf_slice(&b), &err), OL_OK);
    CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_AnyValue, ol_buf_slice(&b), &out), OL_OK);
    CHECK(memmem(out.data, out.len, "{\"stringValue\":\"leaf\"}", 22) != NULL);
    ol_buf_reset(&b);
    build_nested_any(&b, 31); /* 63 messages deep */
    CHECK_EQ_INT(ol_pb_validate(&ol_pb_AnyValue, ol_buf_slice(&b), &err), OL_OK);
    ol_buf_reset(&b);
    build_nested_any(&b, 32); /* 65 messages deep */
    CHECK_EQ_INT(ol_pb_validate(&ol_pb_AnyValue, ol_buf_slice(&b), &err), OL_CORRUPT);
    CHECK(strstr(err.msg, "deeper") != NULL);
    ol_buf_reset(&out);
    ol_buf_append_cstr(&out, "prefix");
    CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_AnyValue, ol_buf_slice(&b), &out), OL_CORRUPT);
    CHECK_EQ_INT(out.len, 6); /* rewound */
    ol_buf_reset(&b);
    build_nested_any(&b, 150);
    CHECK_EQ_INT(ol_pb_validate(&ol_pb_AnyValue, ol_buf_slice(&b), &err), OL_CORRUPT);
    ol_buf_free(&b);
    ol_buf_free(&out);
}

static bool json_eq(ol_buf_t *out, const char *want)
{
    if (out->len == strlen(want) && memcmp(out->data, want, out->len) == 0) return true;
    fprintf(stderr, "  got:  %.*s\n  want: %s\n", (int)out->len, (char *)out->data, want);
    return false;
}

static void test_pb_json(void)
{
    ol_buf_t b, out;
    ol_buf_init(&b, OL_MEM_CODEC, 0);
    ol_buf_init(&out, OL_MEM_CODEC, 0);
    build_span(&b);
    CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_Span, ol_buf_slice(&b), &out), OL_OK);
    CHECK(json_eq(&out, "{\"traceId\":\"deadbeef0102030405060708090a0b0c\",\"spanId\":\"abcd000000000001\","
                        "\"name\":\"say \\\"hi\\\"\",\"kind\":2,\"startTimeUnixNano\":\"1795278164893000000\","
                        "\"attributes\":[{\"key\":\"n\",\"value\":{\"intValue\":\"-5\"}},"
                        "{\"key\":\"b\",\"value\":{\"bytesValue\":\"AQID\"}}],"
                        "\"status\":{\"code\":2},\"flags\":257}"));

    /* packed and unpacked repeated scalars merge into one array; doubles; sint32 */
    ol_buf_reset(&b);
    ol_pb_put_fixed64(&b, 4, 7); /* count */
    double bounds[2] = {0.5, 1.5};
    ol_pb_put_bytes(&b, 7, ol_slice(bounds, sizeof bounds));
    ol_pb_put_fixed64(&b, 6, 1);
    ol_pb_put_double(&b, 7, 2.5);
    ol_pb_put_fixed64(&b, 6, 6);
    ol_pb_put_double(&b, 5, 12.25); /* sum */
    ol_pb_put_uint(&b, 10, 1);       /* flags */
    ol_buf_reset(&out);
    CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_Metric, OL_SLICE_NULL, &out), OL_OK);
    CHECK(json_eq(&out, "{}"));
    ol_buf_t m;
    ol_buf_init(&m, OL_MEM_CODEC, 0);
    size_t h = ol_pb_begin(&m, 9);
    ol_pb_put_bytes(&m, 1, ol_buf_slice(&b));
    ol_pb_put_uint(&m, 2, 2);
    ol_pb_end(&m, h);
    h = ol_pb_begin(&m, 10); /* a second oneof member, exp histogram with sint32 scale */
    size_t dp = ol_pb_begin(&m, 1);
    ol_pb_put_uint(&m, 6, 7); /* zigzag 7 = -4 */
    size_t bk = ol_pb_begin(&m, 8);
    ol_pb_put_bytes(&m, 2, OL_SLICE_LIT("\x01\x96\x01"));
    ol_pb_end(&m, bk);
    ol_pb_end(&m, dp);
    ol_pb_end(&m, h);
    ol_pb_put_bytes(&m, 1, OL_SLICE_LIT("lat"));
    ol_buf_reset(&out);
    CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_Metric, ol_buf_slice(&m), &out), OL_OK);
    CHECK(json_eq(&out, "{\"name\":\"lat\",\"histogram\":{\"dataPoints\":[{\"count\":\"7\",\"sum\":12.25,"
                        "\"bucketCounts\":[\"1\",\"6\"],\"explicitBounds\":[0.5,1.5,2.5],\"flags\":1}],"
                        "\"aggregationTemporality\":2},"
                        "\"exponentialHistogram\":{\"dataPoints\":[{\"scale\":-4,"
                        "\"positive\":{\"bucketCounts\":[\"1\",\"150\"]}}]}}"));

    /* non-repeated duplicates: last wins */
    ol_buf_reset(&b);
    ol_pb_put_bytes(&b, 5, OL_SLICE_LIT("first"));
    ol_pb_put_bytes(&b, 5, OL_SLICE_LIT("second"));
    ol_buf_reset(&out);
    CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_Span, ol_buf_slice(&b), &out), OL_OK);
    CHECK(json_eq(&out, "{\"name\":\"second\"}"));

    /* wrong wire type or malformed nested message: OL_CORRUPT, buffer untouched */
    ol_buf_reset(&b);
    ol_pb_put_uint(&b, 1, 5);
    ol_buf_reset(&out);
    CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_Span, ol_buf_slice(&b), &out), OL_CORRUPT);
    CHECK_EQ_INT(out.len, 0);
    ol_buf_reset(&b);
    ol_pb_put_bytes(&b, 15, OL_SLICE_LIT("\x18"));
    CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_Span, ol_buf_slice(&b), &out), OL_CORRUPT);
    CHECK_EQ_INT(out.len, 0);

    /* NaN double and negative int32 (google.rpc.Status.code) */
    ol_buf_reset(&b);
    ol_pb_put_double(&b, 4, NAN);
    ol_buf_reset(&out);
    CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_AnyValue, ol_buf_slice(&b), &out), OL_OK);
    CHECK(json_eq(&out, "{\"doubleValue\":\"NaN\"}"));
    ol_buf_reset(&b);
    ol_pb_put_uint(&b, 1, (uint64_t)-3);
    ol_pb_put_bytes(&b, 2, OL_SLICE_LIT("bad"));
    ol_buf_reset(&out);
    CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_RpcStatus, ol_buf_slice(&b), &out), OL_OK);
    CHECK(json_eq(&out, "{\"code\":-3,\"message\":\"bad\"}"));

    ol_buf_free(&m);
    ol_buf_free(&b);
    ol_buf_free(&out);
}

int main(void)
{
    RUN(test_varint_round_trip);
    RUN(test_varint_malformed);
    RUN(test_next_malformed);
    RUN(test_writer_round_trip);
    RUN(test_schema_lookup);
    RUN(test_validate);
    RUN(test_depth_bomb);
    RUN(test_pb_json);
    return TEST_REPORT();
}
