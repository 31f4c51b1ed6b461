/*
 * test_sql_table.c - the SQL tables (src/sql/table*.c, gostr.c): the
 * exporter's column lists, and scans of a real store holding the JS SDK
 * fixtures (traces, logs, metrics) plus hand-built items with odd values.
 *
 * Every scan's batches are checked structurally as they arrive (vector
 * lengths and types, offsets monotone and matching their children, unneeded
 * columns empty, batch sizes) and turned into one text cell per column per
 * row, which the tests compare with what the exporter would have written.
 * The trace tests run while the spans are in the head and again after
 * ol_store_flush_now() put them in parts, and the two answers must be equal.
 */
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec/otlp.h"
#include "codec/pb.h"
#include "core/util.h"
#include "sql/table.h"
#include "test.h"

/* ---- collecting rows ---- */

typedef struct rows {
    const ol_sql_table_def_t *t;
    const bool *need;
    size_t n_keys;
    uint32_t batch_rows;
    size_t width; /* n_cols + n_keys */
    char **cells; /* row-major */
    size_t n, cap;
    int batches, bad;
    uint32_t max_batch;
    int stop_after; /* return OL_STORE_STOP after this many batches */
    int fail_with;  /* return this from the first batch */
} rows_t;

static void fmt_double(ol_buf_t *b, double d)
{
    char tmp[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (strtod(tmp, NULL) == d || isnan(d)) break;
    }
    ol_buf_append_cstr(b, tmp);
}

static void fmt_scalar(ol_buf_t *b, const ol_sql_vec_t *v, uint32_t r)
{
    switch (ol_sql_type_repr(v->type)) {
    case 'f': fmt_double(b, v->f[r]); break;
    case 's': ol_buf_append_slice(b, v->s[r]); break;
    default:
        if (ol_sql_type_is_signed(v->type) || v->type == OL_SQL_DATETIME64) ol_buf_printf(b, "%lld", (long long)v->i[r]);
        else ol_buf_printf(b, "%llu", (unsigned long long)v->i[r]);
        break;
    }
}

static void fmt_map(ol_buf_t *b, const ol_sql_vec_t *m, uint32_t r)
{
    ol_buf_append_u8(b, '{');
    for (uint32_t j = m->off[r]; j < m->off[r + 1]; j++) {
        if (j > m->off[r]) ol_buf_append_u8(b, ',');
        ol_buf_append_slice(b, m->keys->s[j]);
        ol_buf_append_u8(b, ':');
        ol_buf_append_slice(b, m->vals->s[j]);
    }
    ol_buf_append_u8(b, '}');
}

static void fmt_cell(ol_buf_t *b, const ol_sql_vec_t *v, uint32_t r)
{
    if (v->type == OL_SQL_MAP) {
        fmt_map(b, v, r);
    } else if (ol_sql_type_is_array(v->type)) {
        ol_buf_append_u8(b, '[');
        for (uint32_t j = v->off[r]; j < v->off[r + 1]; j++) {
            if (j > v->off[r]) ol_buf_append_u8(b, ',');
            if (v->type == OL_SQL_ARRAY_MAP) {
                fmt_map(b, v->vals, j);
            } else if (v->type == OL_SQL_ARRAY_STRING) {
                ol_buf_append_u8(b, '\'');
                fmt_scalar(b, v->vals, j);
                ol_buf_append_u8(b, '\'');
            } else {
                fmt_scalar(b, v->vals, j);
            }
        }
        ol_buf_append_u8(b, ']');
    } else {
        fmt_scalar(b, v, r);
    }
}

static bool offsets_ok(const uint32_t *off, uint32_t n, uint32_t child_n)
{
    if (!off || off[0] != 0) return false;
    for (uint32_t r = 0; r < n; r++)
        if (off[r + 1] < off[r]) return false;
    return off[n] == child_n;
}

static bool vec_ok(const ol_sql_vec_t *v, ol_sql_type_t type, uint32_t n)
{
    if (v->type != type || v->n != n || v->is_const) return false;
    if (type == OL_SQL_MAP)
        return v->keys && v->vals && v->keys->n == v->vals->n && v->keys->type == OL_SQL_STRING &&
               offsets_ok(v->off, n, v->keys->n);
    if (ol_sql_type_is_array(type)) {
        if (!v->vals || v->vals->type != ol_sql_type_elem(type) || !offsets_ok(v->off, n, v->vals->n)) return false;
        return type != OL_SQL_ARRAY_MAP || vec_ok(v->vals, OL_SQL_MAP, v->vals->n);
    }
    switch (ol_sql_type_repr(type)) {
    case 'f': return n == 0 || v->f;
    case 's': return n == 0 || v->s;
    default: return n == 0 || v->i;
    }
}

static int on_batch(void *ud, const ol_sql_batch_t *b)
{
    rows_t *rs = ud;
    rs->batches++;
    if (b->n == 0 || b->n > rs->batch_rows) rs->bad++;
    if (b->n > rs->max_batch) rs->max_batch = b->n;
    for (uint32_t c = 0; c < rs->t->n_cols; c++) {
        bool need = rs->need ? rs->need[c] : true;
        if (need ? !vec_ok(&b->cols[c], rs->t->cols[c].type, b->n) : b->cols[c].n != 0) {
            fprintf(stderr, "  bad vector for column %s\n", rs->t->cols[c].name);
            rs->bad++;
        }
    }
    for (size_t k = 0; k < rs->n_keys; k++)
        if (!vec_ok(&b->keys[k], OL_SQL_STRING, b->n)) rs->bad++;
    if (rs->bad) return OL_ERR;
    ol_buf_t cell;
    ol_buf_init(&cell, OL_MEM_CORE, 0);
    for (uint32_t r = 0; r < b->n; r++) {
        if (rs->n == rs->cap) {
            rs->cap = rs->cap ? rs->cap * 2 : 64;
            rs->cells = realloc(rs->cells, rs->cap * rs->width * sizeof *rs->cells);
        }
        char **row = rs->cells + rs->n * rs->width;
        for (size_t c = 0; c < rs->width; c++) {
            ol_buf_reset(&cell);
            bool need = c >= rs->t->n_cols || !rs->need || rs->need[c];
            if (need) fmt_cell(&cell, c < rs->t->n_cols ? &b->cols[c] : &b->keys[c - rs->t->n_cols], r);
            row[c] = strndup(cell.data ? (const char *)cell.data : "", cell.len);
        }
        rs->n++;
    }
    ol_buf_free(&cell);
    if (rs->fail_with) return rs->fail_with;
    if (rs->stop_after && rs->batches >= rs->stop_after) return OL_STORE_STOP;
    return OL_OK;
}

static void rows_free(rows_t *rs)
{
    for (size_t i = 0; i < rs->n * rs->width; i++) free(rs->cells[i]);
    free(rs->cells);
    memset(rs, 0, sizeof *rs);
}

typedef struct scan_opts {
    uint64_t start_ns, end_ns; /* 0, 0 = everything */
    const char *const *services;
    size_t n_services;
    const bool *need;
    const char *const *keys; /* "Column\0key" pairs as column, key */
    size_t n_keys;
    uint32_t batch_rows;
    int stop_after, fail_with;
} scan_opts_t;

static ol_store_t *g_store;
static char g_dir[64];

/* Scans table `name` into rs; returns the scan's code. */
static int scan_table(const char *name, const scan_opts_t *o, rows_t *rs, ol_sql_scan_t *out_scan)
{
    const ol_sql_table_def_t *t = ol_sql_table_find(ol_slice_cstr(name));
    memset(rs, 0, sizeof *rs);
    if (!t) return OL_ERR;
    ol_slice_t svc[8];
    ol_sql_map_key_t keys[8];
    for (size_t i = 0; i < o->n_services && i < 8; i++) svc[i] = ol_slice_cstr(o->services[i]);
    for (size_t i = 0; i < o->n_keys && i < 8; i++) {
        keys[i].col = ol_sql_table_column(t, ol_slice_cstr(o->keys[2 * i]));
        keys[i].key = ol_slice_cstr(o->keys[2 * i + 1]);
    }
    ol_sql_scan_t scan = {.table = t,
                          .start_ns = o->start_ns,
                          .end_ns = o->end_ns ? o->end_ns : UINT64_MAX,
                          .services = svc,
                          .n_services = o->n_services,
                          .need = o->need,
                          .keys = keys,
                          .n_keys = o->n_keys,
                          .batch_rows = o->batch_rows};
    rs->t = t;
    rs->need = o->need;
    rs->n_keys = o->n_keys;
    rs->batch_rows = o->batch_rows ? o->batch_rows : 4096;
    rs->width = t->n_cols + o->n_keys;
    rs->stop_after = o->stop_after;
    rs->fail_with = o->fail_with;
    int rc = ol_sql_table_scan(g_store, &scan, on_batch, rs);
    if (out_scan) *out_scan = scan;
    return rc;
}

static const char *cell(const rows_t *rs, size_t r, const char *col)
{
    int c = ol_sql_table_column(rs->t, ol_slice_cstr(col));
    if (c < 0 || r >= rs->n) return "<none>";
    return rs->cells[r * rs->width + (size_t)c];
}

static const char *key_cell(const rows_t *rs, size_t r, size_t k)
{
    return r < rs->n && k < rs->n_keys ? rs->cells[r * rs->width + rs->t->n_cols + k] : "<none>";
}

/* The row whose column col is val, or -1. */
static long find_row(const rows_t *rs, const char *col, const char *val)
{
    for (size_t r = 0; r < rs->n; r++)
        if (!strcmp(cell(rs, r, col), val)) return (long)r;
    return -1;
}

static size_t count_rows(const rows_t *rs, const char *col, const char *val)
{
    size_t n = 0;
    for (size_t r = 0; r < rs->n; r++) n += !strcmp(cell(rs, r, col), val);
    return n;
}

#define CHECK_CELL(rs, r, col, want)                                                                    \
    do {                                                                                                \
        const char *got_ = cell(rs, (size_t)(r), col);                                                  \
        if ((r) < 0 || strcmp(got_, want)) {                                                            \
            ol_test_failed_checks++;                                                                    \
            fprintf(stderr, "  %s:%d: %s = '%s', want '%s'\n", __FILE__, __LINE__, col, got_, want);     \
        }                                                                                               \
    } while (0)

static int str_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Rows as sorted "cell|cell|..." lines, for comparing two scans. */
static char *rows_text(const rows_t *rs)
{
    char **lines = calloc(rs->n + 1, sizeof *lines);
    size_t total = 1;
    for (size_t r = 0; r < rs->n; r++) {
        size_t len = 1;
        for (size_t c = 0; c < rs->width; c++) len += strlen(rs->cells[r * rs->width + c]) + 1;
        lines[r] = malloc(len);
        lines[r][0] = 0;
        for (size_t c = 0; c < rs->width; c++) {
            strcat(lines[r], rs->cells[r * rs->width + c]);
            strcat(lines[r], "|");
        }
        total += len;
    }
    qsort(lines, rs->n, sizeof *lines, str_cmp);
    char *out = malloc(total + rs->n);
    out[0] = 0;
    for (size_t r = 0; r < rs->n; r++) {
        strcat(out, lines[r]);
        strcat(out, "\n");
        free(lines[r]);
    }
    free(lines);
    return out;
}

/* ---- the store ---- */

static bool store_open(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/olly-test-sql-table-XXXXXX");
    if (!mkdtemp(g_dir)) return false;
    ol_store_options_t o = {.dir = g_dir, .fsync = OL_FSYNC_NEVER};
    ol_err_t err;
    if (ol_store_open(&o, &g_store, &err) != OL_OK) {
        fprintf(stderr, "  open: %s\n", err.msg);
        return false;
    }
    return ol_store_replay(g_store) == OL_OK;
}

static void store_close(void)
{
    if (g_store) ol_store_close(g_store);
    g_store = NULL;
    ol_test_rm_rf(g_dir);
}

/* Decodes a request and appends it; returns the accepted item count or -1. */
static long append_pb(ol_signal_t sig, ol_slice_t pb)
{
    ol_arena_t *a = ol_arena_create(4096, 0);
    ol_otlp_batch_t batch;
    ol_err_t err;
    ol_store_append_result_t res = {0};
    int rc = ol_otlp_decode(sig, pb, a, &batch, &err);
    if (rc != OL_OK) fprintf(stderr, "  decode: %s\n", err.msg);
    if (rc == OL_OK) rc = ol_store_append(g_store, &batch, &res);
    ol_arena_destroy(a);
    return rc == OL_OK ? (long)res.accepted : -1;
}

static long append_fixture(const char *signal, ol_signal_t sig)
{
    char rel[128];
    size_t len;
    snprintf(rel, sizeof rel, "otlp/otlp-http-proto.%s.body", signal);
    unsigned char *p = ol_test_fixture(rel, &len);
    if (!p) return -1;
    long n = append_pb(sig, ol_slice(p, len));
    free(p);
    return n;
}

/* ---- building requests ---- */

static void put_str(ol_buf_t *b, uint32_t f, const char *s) { ol_pb_put_bytes(b, f, ol_slice_cstr(s)); }

static void put_kv_str(ol_buf_t *b, uint32_t field, const char *k, const char *v)
{
    size_t kv = ol_pb_begin(b, field);
    if (k) put_str(b, 1, k);
    size_t av = ol_pb_begin(b, 2);
    put_str(b, 1, v);
    ol_pb_end(b, av);
    ol_pb_end(b, kv);
}

static void put_kv_int(ol_buf_t *b, uint32_t field, const char *k, int64_t v)
{
    size_t kv = ol_pb_begin(b, field);
    put_str(b, 1, k);
    size_t av = ol_pb_begin(b, 2);
    ol_pb_put_uint(b, 3, (uint64_t)v);
    ol_pb_end(b, av);
    ol_pb_end(b, kv);
}

static void put_kv_double(ol_buf_t *b, uint32_t field, const char *k, double v)
{
    size_t kv = ol_pb_begin(b, field);
    put_str(b, 1, k);
    size_t av = ol_pb_begin(b, 2);
    ol_pb_put_double(b, 4, v);
    ol_pb_end(b, av);
    ol_pb_end(b, kv);
}

static void id_bytes(uint8_t *out, size_t n, uint32_t v)
{
    memset(out, 0, n);
    out[0] = (uint8_t)(v >> 8);
    out[1] = (uint8_t)v;
    out[n - 1] = 1;
}

static void hex_id(char *out, size_t n, uint32_t v)
{
    uint8_t id[16];
    id_bytes(id, n, v);
    ol_hex_encode(out, id, n);
    out[2 * n] = 0;
}

/* Resource{service.name = service (string), or an int 42 when service is
 * "#int", or none when NULL} with the given schema URL, then a scope. The
 * marks are closed by end_resource. */
static void begin_resource(ol_buf_t *b, const char *service, const char *scope, size_t *rm, size_t *sm)
{
    *rm = ol_pb_begin(b, 1);
    size_t r = ol_pb_begin(b, 1);
    if (service && !strcmp(service, "#int")) put_kv_int(b, 1, "service.name", 42);
    else if (service) put_kv_str(b, 1, "service.name", service);
    put_kv_str(b, 1, "k8s.pod.name", "pod-7");
    ol_pb_end(b, r);
    put_str(b, 3, "https://opentelemetry.io/schemas/1.26.0");
    *sm = ol_pb_begin(b, 2);
    size_t sc = ol_pb_begin(b, 1);
    put_str(b, 1, scope);
    put_str(b, 2, "9.9");
    put_kv_str(b, 3, "scope.attr", "sv");
    ol_pb_put_uint(b, 4, 3);
    ol_pb_end(b, sc);
    put_str(b, 3, "https://scope.example/1");
}

static void end_resource(ol_buf_t *b, size_t rm, size_t sm)
{
    ol_pb_end(b, sm);
    ol_pb_end(b, rm);
}

typedef struct span_def {
    const char *service;
    uint32_t tid, sid, parent;
    const char *name;
    int kind, status;
    uint64_t start, end;
    const char *route; /* http.route attribute (optional) */
} span_def_t;

static void put_span(ol_buf_t *b, const span_def_t *d)
{
    size_t sp = ol_pb_begin(b, 2);
    uint8_t id[16];
    id_bytes(id, 16, d->tid);
    ol_pb_put_bytes(b, 1, ol_slice(id, 16));
    id_bytes(id, 8, d->sid);
    ol_pb_put_bytes(b, 2, ol_slice(id, 8));
    if (d->parent) {
        id_bytes(id, 8, d->parent);
        ol_pb_put_bytes(b, 4, ol_slice(id, 8));
    }
    put_str(b, 5, d->name);
    ol_pb_put_uint(b, 6, (uint64_t)d->kind);
    ol_pb_put_fixed64(b, 7, d->start);
    ol_pb_put_fixed64(b, 8, d->end);
    if (d->route) put_kv_str(b, 9, "http.route", d->route);
    if (d->status) {
        size_t st = ol_pb_begin(b, 15);
        ol_pb_put_uint(b, 3, (uint64_t)d->status);
        ol_pb_end(b, st);
    }
    ol_pb_end(b, sp);
}

/* One resource per span (the spans of one call share nothing). */
static long append_spans(const span_def_t *d, size_t n)
{
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CORE, 0);
    for (size_t i = 0; i < n; i++) {
        size_t rm, sm;
        begin_resource(&b, d[i].service, "test-scope", &rm, &sm);
        put_span(&b, &d[i]);
        end_resource(&b, rm, sm);
    }
    long r = append_pb(OL_SIGNAL_TRACES, ol_buf_slice(&b));
    ol_buf_free(&b);
    return r;
}

#define T0 1795278000000000000ull
#define SEC 1000000000ull
#define MS 1000000ull

/* ---- tests: definitions ---- */

static bool names_are(const ol_sql_table_def_t *t, const char *const *want, size_t n)
{
    bool ok = t && t->n_cols >= n;
    for (size_t i = 0; ok && i < n; i++)
        if (strcmp(t->cols[i].name, want[i])) {
            fprintf(stderr, "  %s column %zu is %s, want %s\n", t->name, i, t->cols[i].name, want[i]);
            ok = false;
        }
    for (size_t i = n; ok && i < t->n_cols; i++)
        if (!t->cols[i].hidden) {
            fprintf(stderr, "  %s column %s should be hidden\n", t->name, t->cols[i].name);
            ok = false;
        }
    return ok;
}

static void test_definitions(void)
{
    static const char *const traces[] = {"Timestamp", "TraceId", "SpanId", "ParentSpanId", "TraceState", "SpanName",
                                         "SpanKind", "ServiceName", "ResourceAttributes", "ScopeName", "ScopeVersion",
                                         "SpanAttributes", "Duration", "StatusCode", "StatusMessage",
                                         "Events.Timestamp", "Events.Name", "Events.Attributes", "Links.TraceId",
                                         "Links.SpanId", "Links.TraceState", "Links.Attributes"};
    static const char *const logs[] = {"Timestamp", "TraceId", "SpanId", "TraceFlags", "SeverityText",
                                       "SeverityNumber", "ServiceName", "Body", "ResourceSchemaUrl",
                                       "ResourceAttributes", "ScopeSchemaUrl", "ScopeName", "ScopeVersion",
                                       "ScopeAttributes", "LogAttributes", "EventName"};
#define METRIC_HEAD                                                                                          \
    "ResourceAttributes", "ResourceSchemaUrl", "ScopeName", "ScopeVersion", "ScopeAttributes",                \
        "ScopeDroppedAttrCount", "ScopeSchemaUrl", "ServiceName", "MetricName", "MetricDescription", "MetricUnit", \
        "Attributes", "StartTimeUnix", "TimeUnix"
#define EXEMPLARS "Exemplars.FilteredAttributes", "Exemplars.TimeUnix", "Exemplars.Value", "Exemplars.SpanId", "Exemplars.TraceId"
    static const char *const gauge[] = {METRIC_HEAD, "Value", "Flags", EXEMPLARS};
    static const char *const sum[] = {METRIC_HEAD, "Value", "Flags", EXEMPLARS, "AggregationTemporality", "IsMonotonic"};
    static const char *const hist[] = {METRIC_HEAD, "Count", "Sum", "BucketCounts", "ExplicitBounds", EXEMPLARS,
                                       "Flags", "Min", "Max", "AggregationTemporality"};
    static const char *const exph[] = {METRIC_HEAD, "Count", "Sum", "Scale", "ZeroCount", "PositiveOffset",
                                       "PositiveBucketCounts", "NegativeOffset", "NegativeBucketCounts", EXEMPLARS,
                                       "Flags", "Min", "Max", "AggregationTemporality"};
    static const char *const summary[] = {METRIC_HEAD, "Count", "Sum", "ValueAtQuantiles.Quantile",
                                          "ValueAtQuantiles.Value", "Flags"};
    CHECK(names_are(ol_sql_table_find(OL_SLICE_LIT("otel_traces")), traces, OL_ARRAY_LEN(traces)));
    CHECK(names_are(ol_sql_table_find(OL_SLICE_LIT("otel_logs")), logs, OL_ARRAY_LEN(logs)));
    CHECK(names_are(ol_sql_table_find(OL_SLICE_LIT("otel_metrics_gauge")), gauge, OL_ARRAY_LEN(gauge)));
    CHECK(names_are(ol_sql_table_find(OL_SLICE_LIT("otel_metrics_sum")), sum, OL_ARRAY_LEN(sum)));
    CHECK(names_are(ol_sql_table_find(OL_SLICE_LIT("otel_metrics_histogram")), hist, OL_ARRAY_LEN(hist)));
    CHECK(names_are(ol_sql_table_find(OL_SLICE_LIT("otel_metrics_exponential_histogram")), exph, OL_ARRAY_LEN(exph)));
    CHECK(names_are(ol_sql_table_find(OL_SLICE_LIT("otel_metrics_summary")), summary, OL_ARRAY_LEN(summary)));

    CHECK(ol_sql_table_find(OL_SLICE_LIT("spans")) == ol_sql_table_get(OL_SQL_TABLE_TRACES));
    CHECK(ol_sql_table_find(OL_SLICE_LIT("logs")) == ol_sql_table_get(OL_SQL_TABLE_LOGS));
    CHECK(ol_sql_table_find(OL_SLICE_LIT("OTEL_TRACES")) == NULL);
    CHECK(ol_sql_table_find(OL_SLICE_LIT("otel_metrics")) == NULL);
    for (int id = 0; id < OL_SQL__TABLES; id++) {
        const ol_sql_table_def_t *t = ol_sql_table_get((ol_sql_table_id_t)id);
        CHECK(t && (int)t->id == id);
        if (!t) continue;
        const char *time = id <= OL_SQL_TABLE_LOGS ? "Timestamp" : "TimeUnix";
        CHECK(!strcmp(t->cols[t->time_col].name, time));
        CHECK(t->cols[t->time_col].type == OL_SQL_DATETIME64);
        CHECK(!strcmp(t->cols[t->service_col].name, "ServiceName"));
        for (uint32_t c = 0; c < t->n_cols; c++) {
            CHECK(t->cols[c].type_name && t->cols[c].type_name[0]);
            CHECK(ol_sql_table_column(t, ol_slice_cstr(t->cols[c].name)) == (int)c);
        }
    }
    const ol_sql_table_def_t *tr = ol_sql_table_get(OL_SQL_TABLE_TRACES);
    CHECK(ol_sql_table_column(tr, OL_SLICE_LIT("spanname")) == -1);
    CHECK(ol_sql_table_column(tr, OL_SLICE_LIT("Events")) == -1);
    int c = ol_sql_table_column(tr, OL_SLICE_LIT("SpanKind"));
    CHECK(c >= 0 && !strcmp(tr->cols[c].type_name, "LowCardinality(String)"));
    c = ol_sql_table_column(tr, OL_SLICE_LIT("SpanAttributes"));
    CHECK(c >= 0 && tr->cols[c].type == OL_SQL_MAP && !strcmp(tr->cols[c].type_name, "Map(LowCardinality(String), String)"));
    c = ol_sql_table_column(tr, OL_SLICE_LIT("Events.Attributes"));
    CHECK(c >= 0 && tr->cols[c].type == OL_SQL_ARRAY_MAP);
    c = ol_sql_table_column(tr, OL_SLICE_LIT("SpanAttributeItems"));
    CHECK(c >= 0 && tr->cols[c].hidden && tr->cols[c].type == OL_SQL_ARRAY_STRING);
    const ol_sql_table_def_t *sm = ol_sql_table_get(OL_SQL_TABLE_SUM);
    c = ol_sql_table_column(sm, OL_SLICE_LIT("IsMonotonic"));
    CHECK(c >= 0 && sm->cols[c].type == OL_SQL_BOOL);
    c = ol_sql_table_column(sm, OL_SLICE_LIT("AggregationTemporality"));
    CHECK(c >= 0 && sm->cols[c].type == OL_SQL_INT32);
    CHECK(!strcmp(ol_sql_span_kind_str(2), "Server") && !strcmp(ol_sql_span_kind_str(-1), ""));
    CHECK(!strcmp(ol_sql_status_code_str(2), "Error") && !strcmp(ol_sql_status_code_str(3), ""));
}

/* ---- tests: traces ---- */

static void check_fixture_traces(const rows_t *rs)
{
    CHECK_EQ_INT(rs->n, 3);
    long bg = find_row(rs, "SpanName", "background-job"), get = find_row(rs, "SpanName", "GET /checkout"),
         sel = find_row(rs, "SpanName", "SELECT orders");
    CHECK(bg >= 0 && get >= 0 && sel >= 0);
    if (bg < 0 || get < 0 || sel < 0) return;
    for (long r = 0; r < 3; r++) {
        CHECK_CELL(rs, r, "ServiceName", "checkout");
        CHECK_CELL(rs, r, "ScopeName", "checkout-tracer");
        CHECK_CELL(rs, r, "ScopeVersion", "0.1.0");
        CHECK_CELL(rs, r, "ResourceAttributes",
                   "{deployment.environment.name:test,host.name:host-1,service.name:checkout,service.version:1.2.3}");
        CHECK_EQ_INT(strlen(cell(rs, (size_t)r, "TraceId")), 32);
        CHECK_EQ_INT(strlen(cell(rs, (size_t)r, "SpanId")), 16);
        CHECK(strtoull(cell(rs, (size_t)r, "Timestamp"), NULL, 10) > T0 - 3600 * SEC);
        CHECK_CELL(rs, r, "ResourceAttributeItems",
                   "['deployment.environment.name=test','host.name=host-1','service.name=checkout','service.version=1.2.3']");
    }
    CHECK_CELL(rs, bg, "SpanKind", "Consumer");
    CHECK_CELL(rs, bg, "ParentSpanId", "");
    CHECK_CELL(rs, bg, "StatusCode", "Unset");
    CHECK_CELL(rs, bg, "Events.Name", "[]");
    CHECK_CELL(rs, bg, "Links.TraceId", "[]");
    CHECK_CELL(rs, get, "SpanKind", "Server");
    CHECK_CELL(rs, get, "StatusCode", "Error");
    CHECK_CELL(rs, get, "ParentSpanId", "");
    CHECK_CELL(rs, sel, "ParentSpanId", cell(rs, (size_t)get, "SpanId"));
    CHECK_CELL(rs, sel, "TraceId", cell(rs, (size_t)get, "TraceId"));
    CHECK_CELL(rs, sel, "SpanKind", "Client");
    CHECK_CELL(rs, sel, "StatusCode", "Error");
    CHECK_CELL(rs, sel, "StatusMessage", "db timeout");
    CHECK_CELL(rs, sel, "Events.Name", "['retry','exception']");
    CHECK(strstr(cell(rs, (size_t)sel, "Events.Attributes"), "exception.type:Error") != NULL);
    char want[64];
    snprintf(want, sizeof want, "['%s']", cell(rs, (size_t)bg, "TraceId"));
    CHECK_CELL(rs, sel, "Links.TraceId", want);
    snprintf(want, sizeof want, "['%s']", cell(rs, (size_t)bg, "SpanId"));
    CHECK_CELL(rs, sel, "Links.SpanId", want);
    CHECK_CELL(rs, sel, "Links.Attributes", "[{link.reason:triggered-by}]");
    CHECK(strstr(cell(rs, (size_t)sel, "SpanAttributes"), "db.system.name:postgresql") != NULL);
    const char *ev_times = cell(rs, (size_t)sel, "Events.Timestamp");
    CHECK(ev_times[0] == '[' && strchr(ev_times, ',') != NULL);
    /* typed attributes as AsString renders them */
    const char *attrs = cell(rs, (size_t)get, "SpanAttributes");
    CHECK(strstr(attrs, "http.response.status_code:500") != NULL);
    CHECK(strstr(attrs, "user.vip:true") != NULL);
    CHECK(strstr(attrs, "cart.total:99.5") != NULL);
    CHECK(strstr(attrs, "cart.items:3") != NULL);
    CHECK(strstr(attrs, "tags:[\"a\",\"b\"]") != NULL);
    CHECK(strstr(attrs, "http.request.method:GET") != NULL);
    CHECK(strstr(cell(rs, (size_t)get, "SpanAttributeItems"), "'http.route=/checkout'") != NULL);
    unsigned long long start = strtoull(cell(rs, (size_t)sel, "Timestamp"), NULL, 10);
    CHECK(start > 0 && strtoull(cell(rs, (size_t)sel, "Duration"), NULL, 10) < 10 * SEC);
}

static void test_traces_fixture(void)
{
    CHECK(store_open());
    CHECK_EQ_INT(append_fixture("traces", OL_SIGNAL_TRACES), 3);
    rows_t head, parts;
    ol_sql_scan_t sc;
    CHECK(scan_table("otel_traces", &(scan_opts_t){0}, &head, &sc) == OL_OK);
    CHECK_EQ_INT(head.bad, 0);
    CHECK_EQ_INT(head.batches, 1);
    CHECK_EQ_INT(sc.rows_scanned, 3);
    CHECK(sc.bytes_scanned > 100);
    check_fixture_traces(&head);
    /* the TraceId is the decoded span's, in hex */
    size_t len;
    unsigned char *pb = ol_test_fixture("otlp/otlp-http-proto.traces.body", &len);
    if (pb) {
        ol_arena_t *a = ol_arena_create(4096, 0);
        ol_otlp_batch_t batch;
        ol_err_t err;
        if (ol_otlp_decode(OL_SIGNAL_TRACES, ol_slice(pb, len), a, &batch, &err) == OL_OK && batch.n_spans == 3) {
            char hex[33];
            ol_hex_encode(hex, batch.spans[0].trace_id.ptr, 16);
            hex[32] = 0;
            long r = find_row(&head, "SpanName", "background-job");
            CHECK_CELL(&head, r, "TraceId", hex);
            char ts[32];
            snprintf(ts, sizeof ts, "%llu", (unsigned long long)batch.spans[0].start_ns);
            CHECK_CELL(&head, r, "Timestamp", ts);
            snprintf(ts, sizeof ts, "%llu", (unsigned long long)(batch.spans[0].end_ns - batch.spans[0].start_ns));
            CHECK_CELL(&head, r, "Duration", ts);
        }
        ol_arena_destroy(a);
        free(pb);
    }

    CHECK(ol_store_flush_now(g_store) == OL_OK);
    ol_store_stats_t st;
    ol_store_stats(g_store, &st);
    CHECK_EQ_INT(st.head_spans, 0);
    CHECK(st.parts >= 1);
    CHECK(scan_table("otel_traces", &(scan_opts_t){0}, &parts, &sc) == OL_OK);
    CHECK_EQ_INT(parts.bad, 0);
    check_fixture_traces(&parts);
    char *a = rows_text(&head), *b = rows_text(&parts);
    CHECK(!strcmp(a, b));
    if (strcmp(a, b)) fprintf(stderr, "  head:\n%s  parts:\n%s", a, b);
    free(a);
    free(b);
    rows_free(&head);
    rows_free(&parts);
    store_close();
}

/* A span with odd values in every field the row reads. */
static long append_odd_span(void)
{
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CORE, 0);
    size_t rm, sm;
    begin_resource(&b, "#int", "odd-scope", &rm, &sm);
    size_t sp = ol_pb_begin(&b, 2);
    uint8_t id[16];
    id_bytes(id, 16, 900);
    ol_pb_put_bytes(&b, 1, ol_slice(id, 16));
    id_bytes(id, 8, 901);
    ol_pb_put_bytes(&b, 2, ol_slice(id, 8));
    memset(id, 0, sizeof id);
    ol_pb_put_bytes(&b, 4, ol_slice(id, 8)); /* an all-zero parent: "" */
    put_str(&b, 3, "vendor=x");
    put_str(&b, 5, "odd");
    ol_pb_put_uint(&b, 6, 9); /* no such kind */
    ol_pb_put_fixed64(&b, 7, T0 + 5 * SEC);
    ol_pb_put_fixed64(&b, 8, T0 + 4 * SEC); /* ends before it starts */
    put_kv_str(&b, 9, "dup", "first");
    put_kv_str(&b, 9, "dup", "second");
    put_kv_str(&b, 9, "", "no key");
    put_kv_double(&b, 9, "nan", NAN);
    put_kv_double(&b, 9, "big", 1e21);
    put_kv_double(&b, 9, "small", 1.5e-7);
    put_kv_int(&b, 9, "neg", -7);
    size_t kv = ol_pb_begin(&b, 9); /* bytes */
    put_str(&b, 1, "raw");
    size_t av = ol_pb_begin(&b, 2);
    ol_pb_put_bytes(&b, 7, OL_SLICE_LIT("\x01\x02\xff"));
    ol_pb_end(&b, av);
    ol_pb_end(&b, kv);
    kv = ol_pb_begin(&b, 9); /* kvlist: sorted, HTML-escaped */
    put_str(&b, 1, "obj");
    av = ol_pb_begin(&b, 2);
    size_t kvl = ol_pb_begin(&b, 6);
    put_kv_str(&b, 1, "z", "<b>");
    put_kv_int(&b, 1, "a", 1);
    ol_pb_end(&b, kvl);
    ol_pb_end(&b, av);
    ol_pb_end(&b, kv);
    kv = ol_pb_begin(&b, 9); /* an empty value */
    put_str(&b, 1, "empty");
    av = ol_pb_begin(&b, 2);
    ol_pb_end(&b, av);
    ol_pb_end(&b, kv);
    size_t ev = ol_pb_begin(&b, 11); /* an event with neither name nor time */
    put_kv_str(&b, 3, "e", "1");
    ol_pb_end(&b, ev);
    size_t ln = ol_pb_begin(&b, 13); /* a link with a zero span id */
    id_bytes(id, 16, 902);
    ol_pb_put_bytes(&b, 1, ol_slice(id, 16));
    memset(id, 0, 8);
    ol_pb_put_bytes(&b, 2, ol_slice(id, 8));
    put_str(&b, 3, "k=v");
    ol_pb_end(&b, ln);
    size_t st = ol_pb_begin(&b, 15);
    put_str(&b, 2, "first message");
    ol_pb_end(&b, st);
    st = ol_pb_begin(&b, 15); /* the last Status is the one read */
    put_str(&b, 2, "broken");
    ol_pb_put_uint(&b, 3, 2);
    ol_pb_end(&b, st);
    ol_pb_end(&b, sp);
    end_resource(&b, rm, sm);
    long r = append_pb(OL_SIGNAL_TRACES, ol_buf_slice(&b));
    ol_buf_free(&b);
    return r;
}

static void check_odd_span(const rows_t *rs)
{
    CHECK_EQ_INT(rs->n, 1);
    char hex[33];
    hex_id(hex, 16, 900);
    CHECK_CELL(rs, 0, "TraceId", hex);
    hex_id(hex, 8, 901);
    CHECK_CELL(rs, 0, "SpanId", hex);
    CHECK_CELL(rs, 0, "ParentSpanId", "");
    CHECK_CELL(rs, 0, "TraceState", "vendor=x");
    CHECK_CELL(rs, 0, "SpanKind", "");
    CHECK_CELL(rs, 0, "ServiceName", "42");
    CHECK_CELL(rs, 0, "ScopeName", "odd-scope");
    CHECK_CELL(rs, 0, "ScopeVersion", "9.9");
    CHECK_CELL(rs, 0, "StatusCode", "Error");
    CHECK_CELL(rs, 0, "StatusMessage", "broken");
    CHECK_CELL(rs, 0, "Duration", "18446744072709551616"); /* -1 s as UInt64 */
    CHECK_CELL(rs, 0, "SpanAttributes",
               "{:no key,big:1e+21,dup:first,dup:second,empty:,nan:json: unsupported value: NaN,neg:-7,"
               "obj:{\"a\":1,\"z\":\"\\u003cb\\u003e\"},raw:AQL/,small:1.5e-7}");
    CHECK_CELL(rs, 0, "Events.Timestamp", "[0]");
    CHECK_CELL(rs, 0, "Events.Name", "['']");
    CHECK_CELL(rs, 0, "Events.Attributes", "[{e:1}]");
    hex_id(hex, 16, 902);
    char want[64];
    snprintf(want, sizeof want, "['%s']", hex);
    CHECK_CELL(rs, 0, "Links.TraceId", want);
    CHECK_CELL(rs, 0, "Links.SpanId", "['']");
    CHECK_CELL(rs, 0, "Links.TraceState", "['k=v']");
    CHECK_CELL(rs, 0, "Links.Attributes", "[{}]");
    CHECK_CELL(rs, 0, "ResourceAttributes", "{k8s.pod.name:pod-7,service.name:42}");
    CHECK_CELL(rs, 0, "SpanAttributeItems",
               "['=no key','big=1e+21','dup=first','dup=second','empty=','nan=json: unsupported value: NaN','neg=-7',"
               "'obj={\"a\":1,\"z\":\"\\u003cb\\u003e\"}','raw=AQL/','small=1.5e-7']");
}

static void test_traces_odd_values(void)
{
    CHECK(store_open());
    CHECK_EQ_INT(append_odd_span(), 1);
    static const char *const keys[] = {"SpanAttributes", "dup", "SpanAttributes", "missing",
                                       "ResourceAttributes", "k8s.pod.name", "SpanAttributes", ""};
    rows_t rs;
    scan_opts_t o = {.keys = keys, .n_keys = 4};
    CHECK(scan_table("otel_traces", &o, &rs, NULL) == OL_OK);
    CHECK_EQ_INT(rs.bad, 0);
    check_odd_span(&rs);
    CHECK(!strcmp(key_cell(&rs, 0, 0), "first")); /* the first of a repeated key */
    CHECK(!strcmp(key_cell(&rs, 0, 1), ""));
    CHECK(!strcmp(key_cell(&rs, 0, 2), "pod-7"));
    CHECK(!strcmp(key_cell(&rs, 0, 3), "no key"));
    char *head = rows_text(&rs);
    rows_free(&rs);
    CHECK(ol_store_flush_now(g_store) == OL_OK);
    CHECK(scan_table("otel_traces", &o, &rs, NULL) == OL_OK);
    check_odd_span(&rs);
    char *parts = rows_text(&rs);
    CHECK(!strcmp(head, parts));
    if (strcmp(head, parts)) fprintf(stderr, "  head:\n%s  parts:\n%s", head, parts);
    free(head);
    free(parts);
    rows_free(&rs);
    store_close();
}

/* Maps hold their entries sorted by key, as the exporter's orderedmap sends
 * them; a repeated key keeps its order (and the first value is the map's). */
static void test_map_order(void)
{
    CHECK(store_open());
    ol_buf_t b, want, items;
    ol_buf_init(&b, OL_MEM_CORE, 0);
    ol_buf_init(&want, OL_MEM_CORE, 0);
    ol_buf_init(&items, OL_MEM_CORE, 0);
    size_t rm, sm;
    begin_resource(&b, "order", "s", &rm, &sm);
    size_t sp = ol_pb_begin(&b, 2);
    uint8_t id[16];
    id_bytes(id, 16, 700);
    ol_pb_put_bytes(&b, 1, ol_slice(id, 16));
    id_bytes(id, 8, 701);
    ol_pb_put_bytes(&b, 2, ol_slice(id, 8));
    put_str(&b, 5, "many");
    ol_pb_put_fixed64(&b, 7, T0);
    ol_pb_put_fixed64(&b, 8, T0 + 1);
    char k[16], v[16];
    for (int i = 39; i >= 0; i--) { /* k39 .. k00, each key twice: v<i>a then v<i>b */
        snprintf(k, sizeof k, "k%02d", i);
        snprintf(v, sizeof v, "v%da", i);
        put_kv_str(&b, 9, k, v);
    }
    for (int i = 39; i >= 0; i--) {
        snprintf(k, sizeof k, "k%02d", i);
        snprintf(v, sizeof v, "v%db", i);
        put_kv_str(&b, 9, k, v);
    }
    size_t ev = ol_pb_begin(&b, 11);
    put_kv_str(&b, 3, "zz", "1");
    put_kv_str(&b, 3, "aa", "2");
    put_kv_str(&b, 3, "zz", "3");
    ol_pb_end(&b, ev);
    ol_pb_end(&b, sp);
    end_resource(&b, rm, sm);
    CHECK_EQ_INT(append_pb(OL_SIGNAL_TRACES, ol_buf_slice(&b)), 1);
    ol_buf_append_u8(&want, '{');
    ol_buf_append_u8(&items, '[');
    for (int i = 0; i < 40; i++) {
        ol_buf_printf(&want, "%sk%02d:v%da,k%02d:v%db", i ? "," : "", i, i, i, i);
        ol_buf_printf(&items, "%s'k%02d=v%da','k%02d=v%db'", i ? "," : "", i, i, i, i);
    }
    ol_buf_append_cstr(&want, "}");
    ol_buf_append_cstr(&items, "]");
    ol_buf_append_u8(&want, 0);
    ol_buf_append_u8(&items, 0);
    static const char *const keys[] = {"SpanAttributes", "k07"};
    for (int flushed = 0; flushed < 2; flushed++) {
        rows_t rs;
        CHECK(scan_table("otel_traces", &(scan_opts_t){.keys = keys, .n_keys = 1}, &rs, NULL) == OL_OK);
        CHECK_EQ_INT(rs.n, 1);
        CHECK_CELL(&rs, 0, "SpanAttributes", (const char *)want.data);
        CHECK_CELL(&rs, 0, "SpanAttributeItems", (const char *)items.data);
        CHECK_CELL(&rs, 0, "Events.Attributes", "[{aa:2,zz:1,zz:3}]");
        CHECK_CELL(&rs, 0, "ResourceAttributes", "{k8s.pod.name:pod-7,service.name:order}");
        CHECK(!strcmp(key_cell(&rs, 0, 0), "v7a"));
        rows_free(&rs);
        if (!flushed) CHECK(ol_store_flush_now(g_store) == OL_OK);
    }
    ol_buf_free(&b);
    ol_buf_free(&want);
    ol_buf_free(&items);
    store_close();
}

/* 60 spans, one a second from T0, 3 services, traces of 3 spans. */
static span_def_t g_many[60];
static const char *const g_services[3] = {"frontend", "db", NULL};

static long append_many(size_t from, size_t to)
{
    for (size_t i = 0; i < 60; i++)
        g_many[i] = (span_def_t){.service = g_services[i % 3], .tid = (uint32_t)(i / 3 + 1), .sid = (uint32_t)(i + 1),
                                 .parent = i % 3 ? (uint32_t)(i / 3 * 3 + 1) : 0, .name = i % 2 ? "odd" : "even",
                                 .kind = 2, .start = T0 + i * SEC, .end = T0 + i * SEC + 5 * MS,
                                 .route = i % 4 ? "/r" : NULL};
    return append_spans(g_many + from, to - from);
}

/* The Timestamps of the rows, checked against the spans in [lo, hi) seconds. */
static bool rows_are_seconds(const rows_t *rs, size_t lo, size_t hi, int service_mod)
{
    size_t want = 0;
    for (size_t i = lo; i < hi; i++) want += service_mod < 0 || (int)(i % 3) == service_mod;
    if (rs->n != want) {
        fprintf(stderr, "  %zu rows, want %zu\n", rs->n, want);
        return false;
    }
    for (size_t r = 0; r < rs->n; r++) {
        unsigned long long t = strtoull(cell(rs, r, "Timestamp"), NULL, 10);
        if (t < T0 + lo * SEC || t >= T0 + hi * SEC || (t - T0) % SEC) return false;
        size_t i = (size_t)((t - T0) / SEC);
        if (service_mod >= 0 && (int)(i % 3) != service_mod) return false;
    }
    return true;
}

static void check_pruning(void)
{
    rows_t rs;
    ol_sql_scan_t sc;
    /* time: [T0+10s, T0+20s) */
    CHECK(scan_table("otel_traces", &(scan_opts_t){.start_ns = T0 + 10 * SEC, .end_ns = T0 + 20 * SEC}, &rs, &sc) ==
          OL_OK);
    CHECK(rows_are_seconds(&rs, 10, 20, -1));
    CHECK(sc.rows_scanned >= 10 && sc.rows_scanned < 60);
    rows_free(&rs);
    /* an empty window scans nothing */
    CHECK(scan_table("otel_traces", &(scan_opts_t){.start_ns = T0 + 10 * SEC, .end_ns = T0 + 10 * SEC}, &rs, &sc) ==
          OL_OK);
    CHECK_EQ_INT(rs.n, 0);
    CHECK_EQ_INT(rs.batches, 0);
    CHECK_EQ_INT(sc.rows_scanned, 0);
    rows_free(&rs);
    /* service */
    static const char *const db[] = {"db"};
    CHECK(scan_table("otel_traces", &(scan_opts_t){.services = db, .n_services = 1}, &rs, NULL) == OL_OK);
    CHECK(rows_are_seconds(&rs, 0, 60, 1));
    CHECK_EQ_INT(count_rows(&rs, "ServiceName", "db"), 20);
    rows_free(&rs);
    /* no service.name: ServiceName '' */
    static const char *const none[] = {""};
    CHECK(scan_table("otel_traces", &(scan_opts_t){.services = none, .n_services = 1}, &rs, NULL) == OL_OK);
    CHECK(rows_are_seconds(&rs, 0, 60, 2));
    rows_free(&rs);
    /* both, and two services */
    static const char *const two[] = {"frontend", "nosuch"};
    CHECK(scan_table("otel_traces",
                     &(scan_opts_t){.start_ns = T0 + 30 * SEC, .end_ns = T0 + 45 * SEC, .services = two, .n_services = 2},
                     &rs, NULL) == OL_OK);
    CHECK(rows_are_seconds(&rs, 30, 45, 0));
    rows_free(&rs);
    static const char *const unknown[] = {"unknown_service"};
    CHECK(scan_table("otel_traces", &(scan_opts_t){.services = unknown, .n_services = 1}, &rs, NULL) == OL_OK);
    CHECK_EQ_INT(rs.n, 0); /* the store's name for no service is not the exporter's */
    rows_free(&rs);
}

static void test_traces_pruning(void)
{
    CHECK(store_open());
    CHECK_EQ_INT(append_many(0, 60), 60);
    check_pruning();
    CHECK(ol_store_flush_now(g_store) == OL_OK);
    check_pruning();
    store_close();
}

/* A trace whose spans lie in a part and in the head comes once per span. */
static void test_traces_split(void)
{
    CHECK(store_open());
    CHECK_EQ_INT(append_many(0, 31), 31); /* trace 11 = spans 30, 31, 32 */
    CHECK(ol_store_flush_now(g_store) == OL_OK);
    CHECK_EQ_INT(append_many(31, 60), 29);
    rows_t rs;
    CHECK(scan_table("otel_traces", &(scan_opts_t){0}, &rs, NULL) == OL_OK);
    CHECK(rows_are_seconds(&rs, 0, 60, -1));
    char tid[33];
    hex_id(tid, 16, 11);
    CHECK_EQ_INT(count_rows(&rs, "TraceId", tid), 3);
    for (size_t i = 0; i < 60; i++) {
        char sid[17];
        hex_id(sid, 8, (uint32_t)(i + 1));
        if (count_rows(&rs, "SpanId", sid) != 1) {
            fprintf(stderr, "  span %zu comes %zu times\n", i, count_rows(&rs, "SpanId", sid));
            CHECK(false);
        }
    }
    rows_free(&rs);
    store_close();
}

static void test_traces_keys_and_needs(void)
{
    CHECK(store_open());
    CHECK_EQ_INT(append_many(0, 60), 60);
    const ol_sql_table_def_t *t = ol_sql_table_get(OL_SQL_TABLE_TRACES);
    bool need[64] = {0};
    need[ol_sql_table_column(t, OL_SLICE_LIT("SpanName"))] = true;
    need[ol_sql_table_column(t, OL_SLICE_LIT("Timestamp"))] = true;
    static const char *const keys[] = {"SpanAttributes", "http.route", "ResourceAttributes", "service.name"};
    rows_t rs;
    for (int flushed = 0; flushed < 2; flushed++) {
        CHECK(scan_table("otel_traces", &(scan_opts_t){.need = need, .keys = keys, .n_keys = 2, .batch_rows = 7}, &rs,
                         NULL) == OL_OK);
        CHECK_EQ_INT(rs.bad, 0); /* unneeded columns came empty */
        CHECK_EQ_INT(rs.n, 60);
        CHECK_EQ_INT(rs.max_batch, 7);
        CHECK(rs.batches >= 9);
        size_t routes = 0, frontend = 0;
        for (size_t r = 0; r < rs.n; r++) {
            unsigned long long s = (strtoull(cell(&rs, r, "Timestamp"), NULL, 10) - T0) / SEC;
            CHECK(!strcmp(key_cell(&rs, r, 0), s % 4 ? "/r" : ""));
            CHECK(!strcmp(key_cell(&rs, r, 1), g_services[s % 3] ? g_services[s % 3] : ""));
            CHECK(!strcmp(cell(&rs, r, "SpanName"), s % 2 ? "odd" : "even"));
            CHECK(!strcmp(cell(&rs, r, "ServiceName"), "")); /* not filled */
            routes += !strcmp(key_cell(&rs, r, 0), "/r");
            frontend += !strcmp(key_cell(&rs, r, 1), "frontend");
        }
        CHECK_EQ_INT(routes, 45);
        CHECK_EQ_INT(frontend, 20);
        rows_free(&rs);
        if (!flushed) CHECK(ol_store_flush_now(g_store) == OL_OK);
    }
    store_close();
}

static void test_traces_stop_and_errors(void)
{
    CHECK(store_open());
    CHECK_EQ_INT(append_many(0, 60), 60);
    rows_t rs;
    for (int flushed = 0; flushed < 2; flushed++) {
        CHECK(scan_table("otel_traces", &(scan_opts_t){.batch_rows = 10, .stop_after = 2}, &rs, NULL) == OL_OK);
        CHECK_EQ_INT(rs.batches, 2);
        CHECK_EQ_INT(rs.n, 20);
        rows_free(&rs);
        CHECK(scan_table("otel_traces", &(scan_opts_t){.batch_rows = 10, .fail_with = OL_LIMIT}, &rs, NULL) ==
              OL_LIMIT);
        CHECK_EQ_INT(rs.batches, 1);
        rows_free(&rs);
        CHECK(scan_table("otel_traces", &(scan_opts_t){.batch_rows = 1000, .stop_after = 1}, &rs, NULL) == OL_OK);
        CHECK_EQ_INT(rs.batches, 1);
        CHECK_EQ_INT(rs.n, 60);
        rows_free(&rs);
        if (!flushed) CHECK(ol_store_flush_now(g_store) == OL_OK);
    }
    store_close();
}

/* Rows too big for one batch's memory go in several batches. */
static void test_traces_big_rows(void)
{
    CHECK(store_open());
    size_t big = 1 << 20;
    char *v = malloc(big + 1);
    memset(v, 'x', big);
    v[big] = 0;
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CORE, 0);
    size_t rm, sm;
    begin_resource(&b, "big", "s", &rm, &sm);
    for (uint32_t i = 0; i < 40; i++) {
        size_t sp = ol_pb_begin(&b, 2);
        uint8_t id[16];
        id_bytes(id, 16, 5000 + i);
        ol_pb_put_bytes(&b, 1, ol_slice(id, 16));
        id_bytes(id, 8, 5000 + i);
        ol_pb_put_bytes(&b, 2, ol_slice(id, 8));
        put_str(&b, 5, "big");
        ol_pb_put_fixed64(&b, 7, T0 + i);
        ol_pb_put_fixed64(&b, 8, T0 + i + 1);
        put_kv_str(&b, 9, "blob", v);
        ol_pb_end(&b, sp);
    }
    end_resource(&b, rm, sm);
    CHECK_EQ_INT(append_pb(OL_SIGNAL_TRACES, ol_buf_slice(&b)), 40);
    ol_buf_free(&b);
    const ol_sql_table_def_t *t = ol_sql_table_get(OL_SQL_TABLE_TRACES);
    bool need[64] = {0};
    need[ol_sql_table_column(t, OL_SLICE_LIT("SpanAttributes"))] = true;
    rows_t rs;
    CHECK(scan_table("otel_traces", &(scan_opts_t){.need = need}, &rs, NULL) == OL_OK);
    CHECK_EQ_INT(rs.n, 40);
    CHECK(rs.batches >= 2); /* handed over early, not at 4096 rows */
    CHECK(rs.max_batch < 40);
    CHECK_EQ_INT(strlen(cell(&rs, 0, "SpanAttributes")), big + 7);
    rows_free(&rs);
    free(v);
    store_close();
}

/* ---- tests: logs ---- */

static void check_fixture_logs(const rows_t *rs)
{
    long err = find_row(rs, "SeverityText", "ERROR"), info = find_row(rs, "SeverityText", "INFO");
    CHECK(err >= 0 && info >= 0);
    if (err < 0 || info < 0) return;
    CHECK_CELL(rs, err, "Body", "payment failed for order 42");
    CHECK_CELL(rs, err, "SeverityNumber", "17");
    CHECK_CELL(rs, err, "TraceFlags", "1");
    CHECK_EQ_INT(strlen(cell(rs, (size_t)err, "TraceId")), 32);
    CHECK_EQ_INT(strlen(cell(rs, (size_t)err, "SpanId")), 16);
    CHECK_CELL(rs, err, "LogAttributes", "{exception.type:TimeoutError,order.id:42}");
    CHECK_CELL(rs, info, "Body", "{\"msg\":\"structured body\",\"n\":1}");
    CHECK_CELL(rs, info, "SeverityNumber", "9");
    CHECK_CELL(rs, info, "TraceFlags", "0");
    CHECK_CELL(rs, info, "TraceId", "");
    CHECK_CELL(rs, info, "SpanId", "");
    CHECK_CELL(rs, info, "LogAttributes", "{k:v}");
    for (long r = 0; r < 2; r++) {
        CHECK_CELL(rs, r, "ServiceName", "checkout");
        CHECK_CELL(rs, r, "ScopeName", "checkout-logger");
        CHECK_CELL(rs, r, "ScopeVersion", "0.1.0");
        CHECK_CELL(rs, r, "ScopeAttributes", "{}");
        CHECK_CELL(rs, r, "EventName", "");
        CHECK_CELL(rs, r, "__otel_materialized_deployment.environment.name", "test");
        CHECK_CELL(rs, r, "__otel_materialized_k8s.pod.name", "");
        unsigned long long ts = strtoull(cell(rs, (size_t)r, "Timestamp"), NULL, 10);
        char s[32];
        snprintf(s, sizeof s, "%llu", ts / SEC);
        CHECK_CELL(rs, r, "TimestampTime", s);
    }
}

static long append_odd_logs(void)
{
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CORE, 0);
    size_t rm, sm;
    begin_resource(&b, NULL, "log-scope", &rm, &sm);
    /* no time: the observed time is the Timestamp; flags and severity beyond a byte */
    size_t lr = ol_pb_begin(&b, 2);
    ol_pb_put_uint(&b, 2, 300);
    put_str(&b, 3, "weird");
    size_t body = ol_pb_begin(&b, 5);
    ol_pb_put_double(&b, 4, 0.1);
    ol_pb_end(&b, body);
    put_kv_str(&b, 6, "a", "1");
    put_kv_str(&b, 6, "a", "2");
    ol_pb_put_fixed32(&b, 8, 0x1ff);
    uint8_t id[16] = {0};
    ol_pb_put_bytes(&b, 9, ol_slice(id, 16)); /* all zero: unlinked */
    ol_pb_put_fixed64(&b, 11, T0 + 7 * SEC);
    put_str(&b, 12, "my.event");
    ol_pb_end(&b, lr);
    /* no body at all, an array body on the next */
    lr = ol_pb_begin(&b, 2);
    ol_pb_put_fixed64(&b, 1, T0 + 8 * SEC);
    ol_pb_end(&b, lr);
    lr = ol_pb_begin(&b, 2);
    ol_pb_put_fixed64(&b, 1, T0 + 9 * SEC);
    body = ol_pb_begin(&b, 5);
    size_t arr = ol_pb_begin(&b, 5);
    size_t v = ol_pb_begin(&b, 1);
    ol_pb_put_uint(&b, 2, 1);
    ol_pb_end(&b, v);
    v = ol_pb_begin(&b, 1);
    put_str(&b, 1, "x&y");
    ol_pb_end(&b, v);
    ol_pb_end(&b, arr);
    ol_pb_end(&b, body);
    ol_pb_end(&b, lr);
    end_resource(&b, rm, sm);
    long r = append_pb(OL_SIGNAL_LOGS, ol_buf_slice(&b));
    ol_buf_free(&b);
    return r;
}

static void check_odd_logs(const rows_t *rs)
{
    char ts[32];
    snprintf(ts, sizeof ts, "%llu", (unsigned long long)(T0 + 7 * SEC));
    long r = find_row(rs, "Timestamp", ts);
    CHECK_CELL(rs, r, "SeverityNumber", "44"); /* uint8(300) */
    CHECK_CELL(rs, r, "SeverityText", "weird");
    CHECK_CELL(rs, r, "TraceFlags", "255");
    CHECK_CELL(rs, r, "TraceId", "");
    CHECK_CELL(rs, r, "Body", "0.1");
    CHECK_CELL(rs, r, "ServiceName", "");
    CHECK_CELL(rs, r, "EventName", "my.event");
    CHECK_CELL(rs, r, "LogAttributes", "{a:1,a:2}");
    CHECK_CELL(rs, r, "ResourceSchemaUrl", "https://opentelemetry.io/schemas/1.26.0");
    CHECK_CELL(rs, r, "ScopeSchemaUrl", "https://scope.example/1");
    CHECK_CELL(rs, r, "ScopeAttributes", "{scope.attr:sv}");
    CHECK_CELL(rs, r, "ScopeName", "log-scope");
    CHECK_CELL(rs, r, "__otel_materialized_k8s.pod.name", "pod-7");
    snprintf(ts, sizeof ts, "%llu", (unsigned long long)(T0 + 8 * SEC));
    r = find_row(rs, "Timestamp", ts);
    CHECK_CELL(rs, r, "Body", "");
    CHECK_CELL(rs, r, "SeverityText", "");
    CHECK_CELL(rs, r, "LogAttributes", "{}");
    snprintf(ts, sizeof ts, "%llu", (unsigned long long)(T0 + 9 * SEC));
    r = find_row(rs, "Timestamp", ts);
    CHECK_CELL(rs, r, "Body", "[true,\"x\\u0026y\"]");
}

static void test_logs(void)
{
    CHECK(store_open());
    CHECK_EQ_INT(append_fixture("logs", OL_SIGNAL_LOGS), 2);
    CHECK_EQ_INT(append_odd_logs(), 3);
    static const char *const keys[] = {"LogAttributes", "a", "ResourceAttributes", "host.name", "ScopeAttributes",
                                       "scope.attr"};
    for (int flushed = 0; flushed < 2; flushed++) {
        rows_t rs;
        ol_sql_scan_t sc;
        CHECK(scan_table("otel_logs", &(scan_opts_t){.keys = keys, .n_keys = 3}, &rs, &sc) == OL_OK);
        CHECK_EQ_INT(rs.bad, 0);
        CHECK_EQ_INT(rs.n, 5);
        CHECK_EQ_INT(sc.rows_scanned, 5);
        check_fixture_logs(&rs);
        check_odd_logs(&rs);
        char ts[32];
        snprintf(ts, sizeof ts, "%llu", (unsigned long long)(T0 + 7 * SEC));
        long r = find_row(&rs, "Timestamp", ts);
        CHECK(!strcmp(key_cell(&rs, (size_t)r, 0), "1"));
        CHECK(!strcmp(key_cell(&rs, (size_t)r, 1), ""));
        CHECK(!strcmp(key_cell(&rs, (size_t)r, 2), "sv"));
        r = find_row(&rs, "SeverityText", "ERROR");
        CHECK(!strcmp(key_cell(&rs, (size_t)r, 1), "host-1"));
        rows_free(&rs);
        /* time and service */
        CHECK(scan_table("otel_logs", &(scan_opts_t){.start_ns = T0 + 8 * SEC, .end_ns = T0 + 9 * SEC}, &rs, NULL) ==
              OL_OK);
        CHECK_EQ_INT(rs.n, 1);
        rows_free(&rs);
        static const char *const checkout[] = {"checkout"};
        CHECK(scan_table("otel_logs", &(scan_opts_t){.services = checkout, .n_services = 1}, &rs, NULL) == OL_OK);
        CHECK_EQ_INT(rs.n, 2);
        CHECK_EQ_INT(count_rows(&rs, "ServiceName", "checkout"), 2);
        rows_free(&rs);
        CHECK(scan_table("otel_logs", &(scan_opts_t){.batch_rows = 2, .stop_after = 1}, &rs, NULL) == OL_OK);
        CHECK_EQ_INT(rs.n, 2);
        CHECK_EQ_INT(rs.batches, 1);
        rows_free(&rs);
        if (!flushed) CHECK(ol_store_flush_now(g_store) == OL_OK);
    }
    store_close();
}

/* ---- tests: metrics ---- */

static void put_exemplar(ol_buf_t *b, uint32_t field, bool with_ids)
{
    size_t ex = ol_pb_begin(b, field);
    ol_pb_put_fixed64(b, 2, T0 + 3 * SEC);
    ol_pb_put_fixed64(b, 6, (uint64_t)(int64_t)-4); /* as_int */
    if (with_ids) {
        uint8_t id[16];
        id_bytes(id, 8, 77);
        ol_pb_put_bytes(b, 4, ol_slice(id, 8));
        id_bytes(id, 16, 78);
        ol_pb_put_bytes(b, 5, ol_slice(id, 16));
    }
    put_kv_str(b, 7, "fa", "fv");
    ol_pb_end(b, ex);
}

static long append_odd_metrics(void)
{
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CORE, 0);
    size_t rm, sm;
    begin_resource(&b, "metrics-svc", "meter", &rm, &sm);
    /* Summary with quantiles */
    size_t m = ol_pb_begin(&b, 2);
    put_str(&b, 1, "rpc.latency");
    put_str(&b, 2, "latency");
    put_str(&b, 3, "s");
    size_t s = ol_pb_begin(&b, 11);
    size_t p = ol_pb_begin(&b, 1);
    ol_pb_put_fixed64(&b, 2, T0);
    ol_pb_put_fixed64(&b, 3, T0 + 2 * SEC);
    ol_pb_put_fixed64(&b, 4, 10);
    ol_pb_put_double(&b, 5, 2.5);
    for (int q = 0; q < 3; q++) {
        size_t vq = ol_pb_begin(&b, 6);
        ol_pb_put_double(&b, 1, q * 0.5);
        ol_pb_put_double(&b, 2, q + 0.25);
        ol_pb_end(&b, vq);
    }
    put_kv_str(&b, 7, "method", "Get");
    ol_pb_put_uint(&b, 8, 1);
    ol_pb_end(&b, p);
    ol_pb_end(&b, s);
    ol_pb_end(&b, m);
    /* Gauge with an int value, exemplars (one without ids), delta sum */
    m = ol_pb_begin(&b, 2);
    put_str(&b, 1, "odd.gauge");
    s = ol_pb_begin(&b, 5);
    p = ol_pb_begin(&b, 1);
    ol_pb_put_fixed64(&b, 3, T0 + 3 * SEC);
    ol_pb_put_fixed64(&b, 6, (uint64_t)(int64_t)-12);
    put_exemplar(&b, 5, true);
    put_exemplar(&b, 5, false);
    ol_pb_end(&b, p);
    p = ol_pb_begin(&b, 1); /* a point with no value at all */
    ol_pb_put_fixed64(&b, 3, T0 + 4 * SEC);
    ol_pb_end(&b, p);
    ol_pb_end(&b, s);
    ol_pb_end(&b, m);
    m = ol_pb_begin(&b, 2);
    put_str(&b, 1, "odd.sum");
    s = ol_pb_begin(&b, 7);
    p = ol_pb_begin(&b, 1);
    ol_pb_put_fixed64(&b, 3, T0 + 5 * SEC);
    ol_pb_put_double(&b, 4, 1.5);
    ol_pb_end(&b, p);
    ol_pb_put_uint(&b, 2, 1); /* delta */
    ol_pb_end(&b, s);
    ol_pb_end(&b, m);
    /* Histogram with unpacked buckets and no sum/min/max */
    m = ol_pb_begin(&b, 2);
    put_str(&b, 1, "odd.hist");
    s = ol_pb_begin(&b, 9);
    p = ol_pb_begin(&b, 1);
    ol_pb_put_fixed64(&b, 3, T0 + 6 * SEC);
    ol_pb_put_fixed64(&b, 4, 3);
    ol_pb_put_fixed64(&b, 6, 1);
    ol_pb_put_fixed64(&b, 6, 2);
    ol_pb_put_double(&b, 7, 0.5);
    put_exemplar(&b, 8, true);
    ol_pb_put_uint(&b, 10, 1);
    ol_pb_end(&b, p);
    ol_pb_end(&b, s);
    ol_pb_end(&b, m);
    /* Exponential histogram: negative scale and offsets, unpacked counts */
    m = ol_pb_begin(&b, 2);
    put_str(&b, 1, "odd.exp");
    s = ol_pb_begin(&b, 10);
    p = ol_pb_begin(&b, 1);
    ol_pb_put_fixed64(&b, 3, T0 + 7 * SEC);
    ol_pb_put_fixed64(&b, 4, 4);
    ol_pb_put_uint(&b, 6, 3); /* sint32 -2 */
    ol_pb_put_fixed64(&b, 7, 1);
    size_t bk = ol_pb_begin(&b, 9);
    ol_pb_put_uint(&b, 1, 5); /* sint32 -3 */
    ol_pb_put_uint(&b, 2, 2);
    ol_pb_put_uint(&b, 2, 1);
    ol_pb_end(&b, bk);
    ol_pb_put_double(&b, 12, -1);
    ol_pb_put_double(&b, 13, 8);
    ol_pb_end(&b, p);
    ol_pb_put_uint(&b, 2, 1);
    ol_pb_end(&b, s);
    ol_pb_end(&b, m);
    end_resource(&b, rm, sm);
    long r = append_pb(OL_SIGNAL_METRICS, ol_buf_slice(&b));
    ol_buf_free(&b);
    return r;
}

static void check_metrics(void)
{
    rows_t rs;
    ol_sql_scan_t sc;
    /* gauge: queue.depth, process.cpu.utilization, odd.gauge x2 */
    CHECK(scan_table("otel_metrics_gauge", &(scan_opts_t){0}, &rs, &sc) == OL_OK);
    CHECK_EQ_INT(rs.bad, 0);
    CHECK_EQ_INT(rs.n, 4);
    CHECK_EQ_INT(sc.rows_scanned, 4);
    long r = find_row(&rs, "MetricName", "queue.depth");
    CHECK_CELL(&rs, r, "Value", "17");
    CHECK_CELL(&rs, r, "Attributes", "{queue:orders}");
    CHECK_CELL(&rs, r, "ServiceName", "checkout");
    CHECK_CELL(&rs, r, "ScopeName", "checkout-meter");
    CHECK_CELL(&rs, r, "ScopeDroppedAttrCount", "0");
    CHECK_CELL(&rs, r, "Exemplars.Value", "[]");
    CHECK_CELL(&rs, r, "Flags", "0");
    r = find_row(&rs, "MetricName", "process.cpu.utilization");
    CHECK_CELL(&rs, r, "Value", "0.42");
    CHECK_CELL(&rs, r, "Attributes", "{cpu:0}");
    char ts[32], sid[17], tid[33], want[128];
    snprintf(ts, sizeof ts, "%llu", (unsigned long long)(T0 + 3 * SEC));
    r = find_row(&rs, "TimeUnix", ts);
    CHECK_CELL(&rs, r, "MetricName", "odd.gauge");
    CHECK_CELL(&rs, r, "Value", "-12");
    CHECK_CELL(&rs, r, "StartTimeUnix", "0");
    CHECK_CELL(&rs, r, "ServiceName", "metrics-svc");
    CHECK_CELL(&rs, r, "ScopeDroppedAttrCount", "3");
    CHECK_CELL(&rs, r, "ScopeAttributes", "{scope.attr:sv}");
    CHECK_CELL(&rs, r, "ResourceSchemaUrl", "https://opentelemetry.io/schemas/1.26.0");
    CHECK_CELL(&rs, r, "Exemplars.Value", "[-4,-4]");
    snprintf(want, sizeof want, "[%s,%s]", ts, ts);
    CHECK_CELL(&rs, r, "Exemplars.TimeUnix", want);
    hex_id(sid, 8, 77);
    hex_id(tid, 16, 78);
    snprintf(want, sizeof want, "['%s','0000000000000000']", sid);
    CHECK_CELL(&rs, r, "Exemplars.SpanId", want);
    snprintf(want, sizeof want, "['%s','00000000000000000000000000000000']", tid);
    CHECK_CELL(&rs, r, "Exemplars.TraceId", want);
    CHECK_CELL(&rs, r, "Exemplars.FilteredAttributes", "[{fa:fv},{fa:fv}]");
    snprintf(ts, sizeof ts, "%llu", (unsigned long long)(T0 + 4 * SEC));
    r = find_row(&rs, "TimeUnix", ts);
    CHECK_CELL(&rs, r, "Value", "0");
    rows_free(&rs);

    /* sum: 2 points of http.server.requests, active.sessions, odd.sum */
    CHECK(scan_table("otel_metrics_sum", &(scan_opts_t){0}, &rs, NULL) == OL_OK);
    CHECK_EQ_INT(rs.bad, 0);
    CHECK_EQ_INT(rs.n, 4);
    CHECK_EQ_INT(count_rows(&rs, "MetricName", "http.server.requests"), 2);
    r = find_row(&rs, "Attributes", "{code:500,route:/checkout}");
    CHECK_CELL(&rs, r, "Value", "2");
    CHECK_CELL(&rs, r, "IsMonotonic", "1");
    CHECK_CELL(&rs, r, "AggregationTemporality", "2");
    CHECK_CELL(&rs, r, "MetricDescription", "requests");
    CHECK_CELL(&rs, r, "MetricUnit", "1");
    r = find_row(&rs, "MetricName", "active.sessions");
    CHECK_CELL(&rs, r, "Value", "-3");
    CHECK_CELL(&rs, r, "IsMonotonic", "0");
    r = find_row(&rs, "MetricName", "odd.sum");
    CHECK_CELL(&rs, r, "AggregationTemporality", "1");
    CHECK_CELL(&rs, r, "Value", "1.5");
    rows_free(&rs);

    /* histogram */
    CHECK(scan_table("otel_metrics_histogram", &(scan_opts_t){0}, &rs, NULL) == OL_OK);
    CHECK_EQ_INT(rs.bad, 0);
    CHECK_EQ_INT(rs.n, 2);
    r = find_row(&rs, "MetricName", "http.server.duration");
    CHECK_CELL(&rs, r, "Count", "5");
    CHECK_CELL(&rs, r, "Sum", "1472");
    CHECK_CELL(&rs, r, "Min", "3");
    CHECK_CELL(&rs, r, "Max", "1200");
    CHECK_CELL(&rs, r, "BucketCounts", "[0,1,1,1,0,0,0,1,0,0,0,1,0,0,0,0]");
    CHECK_CELL(&rs, r, "ExplicitBounds", "[0,5,10,25,50,75,100,250,500,750,1000,2500,5000,7500,10000]");
    CHECK_CELL(&rs, r, "AggregationTemporality", "2");
    CHECK_CELL(&rs, r, "MetricUnit", "ms");
    r = find_row(&rs, "MetricName", "odd.hist");
    CHECK_CELL(&rs, r, "BucketCounts", "[1,2]");
    CHECK_CELL(&rs, r, "ExplicitBounds", "[0.5]");
    CHECK_CELL(&rs, r, "Sum", "0");
    CHECK_CELL(&rs, r, "Flags", "1");
    CHECK_CELL(&rs, r, "AggregationTemporality", "0");
    CHECK_CELL(&rs, r, "Exemplars.Value", "[-4]");
    rows_free(&rs);

    /* exponential histogram */
    CHECK(scan_table("otel_metrics_exponential_histogram", &(scan_opts_t){0}, &rs, NULL) == OL_OK);
    CHECK_EQ_INT(rs.bad, 0);
    CHECK_EQ_INT(rs.n, 2);
    r = find_row(&rs, "MetricName", "rpc.payload.size");
    CHECK_CELL(&rs, r, "Scale", "4");
    CHECK_CELL(&rs, r, "Count", "3");
    CHECK_CELL(&rs, r, "Sum", "52100");
    CHECK_CELL(&rs, r, "PositiveOffset", "106");
    CHECK_CELL(&rs, r, "NegativeBucketCounts", "[]");
    CHECK_CELL(&rs, r, "MetricUnit", "By");
    const char *pos = cell(&rs, (size_t)(r < 0 ? 0 : r), "PositiveBucketCounts");
    size_t ones = 0;
    for (const char *q = pos; *q; q++) ones += *q == '1' && (q[-1] == '[' || q[-1] == ',') && (q[1] == ',' || q[1] == ']');
    CHECK_EQ_INT(ones, 3);
    r = find_row(&rs, "MetricName", "odd.exp");
    CHECK_CELL(&rs, r, "Scale", "-2");
    CHECK_CELL(&rs, r, "NegativeOffset", "-3");
    CHECK_CELL(&rs, r, "NegativeBucketCounts", "[2,1]");
    CHECK_CELL(&rs, r, "PositiveBucketCounts", "[]");
    CHECK_CELL(&rs, r, "ZeroCount", "1");
    CHECK_CELL(&rs, r, "Min", "-1");
    CHECK_CELL(&rs, r, "Max", "8");
    CHECK_CELL(&rs, r, "AggregationTemporality", "1");
    rows_free(&rs);

    /* summary */
    static const char *const keys[] = {"Attributes", "method", "ResourceAttributes", "service.name"};
    CHECK(scan_table("otel_metrics_summary", &(scan_opts_t){.keys = keys, .n_keys = 2}, &rs, NULL) == OL_OK);
    CHECK_EQ_INT(rs.bad, 0);
    CHECK_EQ_INT(rs.n, 1);
    CHECK_CELL(&rs, 0, "MetricName", "rpc.latency");
    CHECK_CELL(&rs, 0, "ValueAtQuantiles.Quantile", "[0,0.5,1]");
    CHECK_CELL(&rs, 0, "ValueAtQuantiles.Value", "[0.25,1.25,2.25]");
    CHECK_CELL(&rs, 0, "Count", "10");
    CHECK_CELL(&rs, 0, "Sum", "2.5");
    CHECK_CELL(&rs, 0, "Flags", "1");
    CHECK(!strcmp(key_cell(&rs, 0, 0), "Get"));
    CHECK(!strcmp(key_cell(&rs, 0, 1), "metrics-svc"));
    rows_free(&rs);

    /* pruning by time and service */
    CHECK(scan_table("otel_metrics_gauge", &(scan_opts_t){.start_ns = T0 + 3 * SEC, .end_ns = T0 + 4 * SEC}, &rs,
                     NULL) == OL_OK);
    CHECK_EQ_INT(rs.n, 1);
    rows_free(&rs);
    static const char *const checkout[] = {"checkout"};
    CHECK(scan_table("otel_metrics_gauge", &(scan_opts_t){.services = checkout, .n_services = 1}, &rs, NULL) == OL_OK);
    CHECK_EQ_INT(rs.n, 2);
    CHECK_EQ_INT(count_rows(&rs, "ServiceName", "checkout"), 2);
    rows_free(&rs);
    CHECK(scan_table("otel_metrics_sum", &(scan_opts_t){.batch_rows = 1, .stop_after = 2}, &rs, NULL) == OL_OK);
    CHECK_EQ_INT(rs.n, 2);
    CHECK_EQ_INT(rs.batches, 2);
    rows_free(&rs);
}

static void test_metrics(void)
{
    CHECK(store_open());
    CHECK(append_fixture("metrics", OL_SIGNAL_METRICS) > 0);
    CHECK(append_odd_metrics() > 0);
    check_metrics();
    CHECK(ol_store_flush_now(g_store) == OL_OK);
    check_metrics();
    store_close();
}

/* Every allocation of a scan failing in turn: OL_NOMEM (or OL_OK when the
 * failure hit nothing the scan needed), never a crash or a leak. */
static void test_alloc_failures(void)
{
    CHECK(store_open());
    CHECK_EQ_INT(append_fixture("traces", OL_SIGNAL_TRACES), 3);
    CHECK_EQ_INT(append_fixture("logs", OL_SIGNAL_LOGS), 2);
    CHECK(append_fixture("metrics", OL_SIGNAL_METRICS) > 0);
    static const char *const tables[] = {"otel_traces", "otel_logs", "otel_metrics_histogram"};
    static const char *const keys[] = {"ResourceAttributes", "host.name"};
    for (size_t t = 0; t < OL_ARRAY_LEN(tables); t++) {
        int nomem = 0, ok = 0;
        for (long n = 1; n < 400; n++) {
            rows_t rs;
            memset(&rs, 0, sizeof rs);
            ol_alloc_fail_after(n);
            int rc = scan_table(tables[t], &(scan_opts_t){.keys = keys, .n_keys = 1}, &rs, NULL);
            ol_alloc_fail_after(0);
            CHECK(rc == OL_OK || rc == OL_NOMEM);
            nomem += rc == OL_NOMEM;
            ok += rc == OL_OK;
            rows_free(&rs);
            if (rc == OL_OK && ok > 20) break;
        }
        CHECK(nomem > 0);
        CHECK(ok > 0);
    }
    /* a key on a column that is not a map is the binder's mistake */
    static const char *const bad[] = {"Events.Attributes", "x"};
    rows_t rs;
    CHECK(scan_table("otel_traces", &(scan_opts_t){.keys = bad, .n_keys = 1}, &rs, NULL) == OL_ERR);
    rows_free(&rs);
    store_close();
}

int main(void)
{
    RUN(test_definitions);
    RUN(test_traces_fixture);
    RUN(test_traces_odd_values);
    RUN(test_map_order);
    RUN(test_traces_pruning);
    RUN(test_traces_split);
    RUN(test_traces_keys_and_needs);
    RUN(test_traces_stop_and_errors);
    RUN(test_traces_big_rows);
    RUN(test_logs);
    RUN(test_metrics);
    RUN(test_alloc_failures);
    return TEST_REPORT();
}
