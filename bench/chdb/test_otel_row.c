/*
 * test_otel_row.c - the exporter row conversion (otel_row.c): Go's rendering
 * of attribute values on hand-built AnyValues (src/sql/gostr.c, shared with
 * Olly's SQL tables), and whole rows of the real JS SDK capture
 * (fixtures/otlp/otlp-http-proto.traces.body, content listed in
 * fixtures/otlp/README.md) read back column by column from the RowBinary.
 */
#include <math.h>

#include "codec/pb.h"
#include "core/util.h"
#include "otel_row.h"
#include "test.h"

/* ---- AnyValue builders ---- */

static void av_str(ol_buf_t *b, const char *s) { ol_pb_put_bytes(b, 1, ol_slice_cstr(s)); }

static void av_kv(ol_buf_t *b, uint32_t field, const char *key, void (*val)(ol_buf_t *, const void *), const void *arg)
{
    size_t kv = ol_pb_begin(b, field);
    ol_pb_put_bytes(b, 1, ol_slice_cstr(key));
    size_t v = ol_pb_begin(b, 2);
    val(b, arg);
    ol_pb_end(b, v);
    ol_pb_end(b, kv);
}

static void put_str(ol_buf_t *b, const void *s) { av_str(b, s); }
static void put_int(ol_buf_t *b, const void *v) { ol_pb_put_uint(b, 3, (uint64_t)*(const int64_t *)v); }

static char *go_string(const ol_buf_t *av)
{
    static char out[512];
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CODEC, 0);
    ol_sql_go_as_string(ol_buf_slice(av), &b);
    snprintf(out, sizeof out, "%.*s", (int)b.len, b.data ? (const char *)b.data : "");
    ol_buf_free(&b);
    return out;
}

static char *go_double(double d)
{
    ol_buf_t av;
    uint64_t bits;
    memcpy(&bits, &d, 8);
    ol_buf_init(&av, OL_MEM_CODEC, 0);
    ol_pb_put_fixed64(&av, 4, bits);
    char *s = go_string(&av);
    ol_buf_free(&av);
    return s;
}

static void test_go_scalars(void)
{
    ol_buf_t av;
    ol_buf_init(&av, OL_MEM_CODEC, 0);
    av_str(&av, "plain <kept> & \"raw\"");
    CHECK(!strcmp(go_string(&av), "plain <kept> & \"raw\""));
    ol_buf_reset(&av);
    ol_pb_put_uint(&av, 2, 1);
    CHECK(!strcmp(go_string(&av), "true"));
    ol_buf_reset(&av);
    ol_pb_put_uint(&av, 3, (uint64_t)(int64_t)-42);
    CHECK(!strcmp(go_string(&av), "-42"));
    ol_buf_reset(&av);
    ol_pb_put_bytes(&av, 7, OL_SLICE_LIT("\x01\x02\xff"));
    CHECK(!strcmp(go_string(&av), "AQL/"));
    ol_buf_reset(&av);
    CHECK(!strcmp(go_string(&av), "")); /* empty AnyValue */
    ol_buf_free(&av);

    /* float64AsString: ECMAScript formatting, exponent only outside [1e-6, 1e21). */
    CHECK(!strcmp(go_double(99.5), "99.5"));
    CHECK(!strcmp(go_double(3), "3"));
    CHECK(!strcmp(go_double(0.1), "0.1"));
    CHECK(!strcmp(go_double(1e20), "100000000000000000000"));
    CHECK(!strcmp(go_double(1e21), "1e+21"));
    CHECK(!strcmp(go_double(0.000001), "0.000001"));
    CHECK(!strcmp(go_double(1.5e-7), "1.5e-7"));
    CHECK(!strcmp(go_double(-2.5e-10), "-2.5e-10"));
    CHECK(!strcmp(go_double(123456789.125), "123456789.125"));
    CHECK(!strcmp(go_double(NAN), "json: unsupported value: NaN"));
    CHECK(!strcmp(go_double(-INFINITY), "json: unsupported value: -Inf"));
}

static void test_go_json(void)
{
    ol_buf_t av;
    ol_buf_init(&av, OL_MEM_CODEC, 0);

    /* array: strings HTML-escaped, numbers and nulls as json.Marshal writes them */
    size_t arr = ol_pb_begin(&av, 5);
    size_t v = ol_pb_begin(&av, 1);
    av_str(&av, "<b>&\"x\"\n");
    ol_pb_end(&av, v);
    v = ol_pb_begin(&av, 1);
    ol_pb_put_fixed64(&av, 4, 0x4058e00000000000ull); /* 99.5 */
    ol_pb_end(&av, v);
    v = ol_pb_begin(&av, 1);
    ol_pb_end(&av, v); /* empty -> null */
    v = ol_pb_begin(&av, 1);
    ol_pb_put_bytes(&av, 7, OL_SLICE_LIT("hi"));
    ol_pb_end(&av, v);
    ol_pb_end(&av, arr);
    CHECK(!strcmp(go_string(&av), "[\"\\u003cb\\u003e\\u0026\\\"x\\\"\\n\",99.5,null,\"aGk=\"]"));

    /* kvlist: keys sorted, a later duplicate wins, nested values recurse */
    ol_buf_reset(&av);
    int64_t one = 1, two = 2;
    size_t kvl = ol_pb_begin(&av, 6);
    av_kv(&av, 1, "zeta", put_str, "z");
    av_kv(&av, 1, "alpha", put_int, &one);
    av_kv(&av, 1, "alpha", put_int, &two);
    av_kv(&av, 1, "mid", put_str, "\xe2\x80\xa8 bad\xff");
    ol_pb_end(&av, kvl);
    CHECK(!strcmp(go_string(&av), "{\"alpha\":2,\"mid\":\"\\u2028 bad\\ufffd\",\"zeta\":\"z\"}"));

    /* a NaN anywhere inside makes json.Marshal fail: AsString gives "" */
    ol_buf_reset(&av);
    arr = ol_pb_begin(&av, 5);
    v = ol_pb_begin(&av, 1);
    av_str(&av, "ok");
    ol_pb_end(&av, v);
    v = ol_pb_begin(&av, 1);
    double nan = NAN;
    uint64_t bits;
    memcpy(&bits, &nan, 8);
    ol_pb_put_fixed64(&av, 4, bits);
    ol_pb_end(&av, v);
    ol_pb_end(&av, arr);
    CHECK(!strcmp(go_string(&av), ""));
    ol_buf_free(&av);
}

/* ---- reading RowBinary back ---- */

typedef struct {
    const uint8_t *p, *end;
    bool bad;
} rb_t;

static uint64_t rb_varint(rb_t *r)
{
    uint64_t v = 0;
    if (r->bad || ol_pb_read_varint(&r->p, r->end, &v) != OL_OK) r->bad = true;
    return v;
}

static uint64_t rb_u64(rb_t *r)
{
    if (r->bad || r->end - r->p < 8) {
        r->bad = true;
        return 0;
    }
    uint64_t v = ol_load_le64(r->p);
    r->p += 8;
    return v;
}

static char *rb_str(rb_t *r)
{
    static char ring[8][1024];
    static int next;
    char *out = ring[next++ % 8];
    uint64_t n = rb_varint(r);
    if (r->bad || n > (uint64_t)(r->end - r->p) || n >= 1024) {
        r->bad = true;
        out[0] = 0;
        return out;
    }
    memcpy(out, r->p, (size_t)n);
    out[n] = 0;
    r->p += n;
    return out;
}

/* Reads a Map(String,String); returns its size and the value of `key` in *val. */
static uint64_t rb_map(rb_t *r, const char *key, char *val, size_t cap)
{
    uint64_t n = rb_varint(r);
    if (val) val[0] = 0;
    for (uint64_t i = 0; i < n && !r->bad; i++) {
        char *k = rb_str(r), *v = rb_str(r);
        if (val && key && !strcmp(k, key)) snprintf(val, cap, "%s", v);
    }
    return n;
}

typedef struct {
    uint64_t ts, duration;
    char trace_id[64], span_id[32], parent[32], trace_state[64], name[64], kind[16], service[32];
    uint64_t n_res;
    char res_host[32], scope_name[64], scope_version[16];
    uint64_t n_attrs;
    char attr[128]; /* value of the key asked for */
    char status[16], status_msg[64];
    uint64_t n_events;
    char event_names[128], event_attr[256];
    uint64_t n_links;
    char link_trace[64], link_span[32], link_attr[64];
} row_t;

static bool rb_row(rb_t *r, row_t *row, const char *attr_key)
{
    memset(row, 0, sizeof *row);
    row->ts = rb_u64(r);
    snprintf(row->trace_id, sizeof row->trace_id, "%s", rb_str(r));
    snprintf(row->span_id, sizeof row->span_id, "%s", rb_str(r));
    snprintf(row->parent, sizeof row->parent, "%s", rb_str(r));
    snprintf(row->trace_state, sizeof row->trace_state, "%s", rb_str(r));
    snprintf(row->name, sizeof row->name, "%s", rb_str(r));
    snprintf(row->kind, sizeof row->kind, "%s", rb_str(r));
    snprintf(row->service, sizeof row->service, "%s", rb_str(r));
    row->n_res = rb_map(r, "host.name", row->res_host, sizeof row->res_host);
    snprintf(row->scope_name, sizeof row->scope_name, "%s", rb_str(r));
    snprintf(row->scope_version, sizeof row->scope_version, "%s", rb_str(r));
    row->n_attrs = rb_map(r, attr_key, row->attr, sizeof row->attr);
    row->duration = rb_u64(r);
    snprintf(row->status, sizeof row->status, "%s", rb_str(r));
    snprintf(row->status_msg, sizeof row->status_msg, "%s", rb_str(r));
    row->n_events = rb_varint(r);
    for (uint64_t i = 0; i < row->n_events; i++) rb_u64(r);
    uint64_t n = rb_varint(r);
    for (uint64_t i = 0; i < n; i++) {
        strncat(row->event_names, rb_str(r), sizeof row->event_names - strlen(row->event_names) - 2);
        strcat(row->event_names, ",");
    }
    n = rb_varint(r);
    for (uint64_t i = 0; i < n; i++) {
        char v[256];
        rb_map(r, "exception.type", v, sizeof v);
        if (v[0]) snprintf(row->event_attr, sizeof row->event_attr, "%s", v);
    }
    row->n_links = rb_varint(r);
    for (uint64_t i = 0; i < row->n_links; i++) snprintf(row->link_trace, sizeof row->link_trace, "%s", rb_str(r));
    n = rb_varint(r);
    for (uint64_t i = 0; i < n; i++) snprintf(row->link_span, sizeof row->link_span, "%s", rb_str(r));
    n = rb_varint(r);
    for (uint64_t i = 0; i < n; i++) rb_str(r);
    n = rb_varint(r);
    for (uint64_t i = 0; i < n; i++) rb_map(r, "link.reason", row->link_attr, sizeof row->link_attr);
    return !r->bad;
}

static void test_fixture_rows(void)
{
    size_t len;
    unsigned char *pb = ol_test_fixture("otlp/otlp-http-proto.traces.body", &len);
    CHECK(pb != NULL);
    if (!pb) return;
    ol_arena_t *a = ol_arena_create(4096, 0);
    ol_otlp_batch_t batch;
    ol_err_t err;
    CHECK(ol_otlp_decode(OL_SIGNAL_TRACES, ol_slice(pb, len), a, &batch, &err) == OL_OK);
    CHECK_EQ_INT(batch.n_spans, 3);
    CHECK_EQ_INT(batch.n_origins, 1);
    ol_chb_origin_row_t o;
    CHECK(ol_chb_origin_row(&batch.origins[0], a, &o, &err) == OL_OK);
    CHECK(ol_slice_eq_cstr(o.service_name, "checkout"));

    ol_buf_t rows, scratch;
    ol_buf_init(&rows, OL_MEM_CODEC, 0);
    ol_buf_init(&scratch, OL_MEM_CODEC, 0);
    for (size_t i = 0; i < batch.n_spans; i++) CHECK(ol_chb_span_row(&rows, &batch.spans[i], &o, &scratch, &err) == OL_OK);
    CHECK_EQ_INT(scratch.len, 0);

    rb_t r = {rows.data, rows.data + rows.len, false};
    row_t row;
    char hex[33];

    /* background-job: CONSUMER root span of its own trace */
    CHECK(rb_row(&r, &row, "none"));
    ol_hex_encode(hex, batch.spans[0].trace_id.ptr, 16);
    hex[32] = 0;
    CHECK(!strcmp(row.trace_id, hex));
    CHECK_EQ_INT(strlen(row.span_id), 16);
    CHECK(!strcmp(row.parent, ""));
    CHECK(!strcmp(row.name, "background-job"));
    CHECK(!strcmp(row.kind, "Consumer"));
    CHECK(!strcmp(row.service, "checkout"));
    CHECK_EQ_INT(row.n_res, 4);
    CHECK(!strcmp(row.res_host, "host-1"));
    CHECK(!strcmp(row.scope_name, "checkout-tracer"));
    CHECK(!strcmp(row.scope_version, "0.1.0"));
    CHECK(!strcmp(row.status, "Unset"));
    CHECK(row.ts == batch.spans[0].start_ns);
    CHECK(row.duration == batch.spans[0].end_ns - batch.spans[0].start_ns);
    CHECK_EQ_INT(row.n_events, 0);
    CHECK_EQ_INT(row.n_links, 0);
    char bg_trace[64], bg_span[32];
    snprintf(bg_trace, sizeof bg_trace, "%s", row.trace_id);
    snprintf(bg_span, sizeof bg_span, "%s", row.span_id);

    /* SELECT orders: CLIENT child, two events, a link to background-job */
    CHECK(rb_row(&r, &row, "db.system.name"));
    CHECK(!strcmp(row.name, "SELECT orders"));
    CHECK(!strcmp(row.kind, "Client"));
    CHECK_EQ_INT(strlen(row.parent), 16);
    CHECK_EQ_INT(row.n_attrs, 2);
    CHECK(!strcmp(row.attr, "postgresql"));
    CHECK(!strcmp(row.status, "Error"));
    CHECK(!strcmp(row.status_msg, "db timeout"));
    CHECK_EQ_INT(row.n_events, 2);
    CHECK(!strcmp(row.event_names, "retry,exception,"));
    CHECK(!strcmp(row.event_attr, "Error"));
    CHECK_EQ_INT(row.n_links, 1);
    CHECK(!strcmp(row.link_trace, bg_trace));
    CHECK(!strcmp(row.link_span, bg_span));
    CHECK(!strcmp(row.link_attr, "triggered-by"));
    char select_parent[32];
    snprintf(select_parent, sizeof select_parent, "%s", row.parent);

    /* GET /checkout: SERVER, typed attributes stringified as the exporter does */
    static const char *const attrs[][2] = {{"http.response.status_code", "500"}, {"user.vip", "true"},
                                           {"cart.total", "99.5"}, {"cart.items", "3"},
                                           {"http.route", "/checkout"}, {"tags", "[\"a\",\"b\"]"}};
    rb_t third = r;
    CHECK(rb_row(&r, &row, "http.request.method"));
    CHECK(!strcmp(row.name, "GET /checkout"));
    CHECK(!strcmp(row.kind, "Server"));
    CHECK(!strcmp(row.span_id, select_parent));
    CHECK(!strcmp(row.attr, "GET"));
    CHECK_EQ_INT(row.n_attrs, 7);
    for (size_t i = 0; i < OL_ARRAY_LEN(attrs); i++) {
        rb_t t = third;
        CHECK(rb_row(&t, &row, attrs[i][0]));
        if (strcmp(row.attr, attrs[i][1])) fprintf(stderr, "  %s = '%s', want '%s'\n", attrs[i][0], row.attr, attrs[i][1]);
        CHECK(!strcmp(row.attr, attrs[i][1]));
    }
    CHECK(r.p == r.end); /* exactly three rows, nothing left over */

    ol_buf_free(&rows);
    ol_buf_free(&scratch);
    ol_arena_destroy(a);
    free(pb);
}

static void test_kind_and_status_names(void)
{
    CHECK(!strcmp(ol_sql_span_kind_str(0), "Unspecified"));
    CHECK(!strcmp(ol_sql_span_kind_str(1), "Internal"));
    CHECK(!strcmp(ol_sql_span_kind_str(5), "Consumer"));
    CHECK(!strcmp(ol_sql_span_kind_str(6), ""));
    CHECK(!strcmp(ol_sql_status_code_str(1), "Ok"));
    CHECK(!strcmp(ol_sql_status_code_str(3), ""));
}

int main(void)
{
    RUN(test_go_scalars);
    RUN(test_go_json);
    RUN(test_kind_and_status_names);
    RUN(test_fixture_rows);
    return TEST_REPORT();
}
