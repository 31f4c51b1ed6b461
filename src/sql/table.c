/*
 * table.c - the exporter's tables (column lists) and the machinery every
 * table scan shares: the batch builder and the rendering of resources and
 * scopes (see table.h for the contract, table_int.h for the builder, and
 * docs/sql-tables.md for every column and how it is filled).
 *
 * The column lists are the OpenTelemetry Collector ClickHouse exporter's
 * DDL, in its column order, each column with the type the exporter declares
 * and the field the scan fills it from; the revisions they follow are pinned
 * in docs/sql-tables.md. A column list and its sources are written once (an
 * X-macro per table), so the two cannot drift apart.
 *
 * Memory of a scan: one arena per batch (reset after each hand-over, capped
 * at OL_SQL_TB_ARENA_CAP; a batch is handed over early once it holds
 * OL_SQL_TB_SOFT_BYTES, so the cap is only reached by a single huge row),
 * element arrays kept for the whole scan, and a small table of the origins
 * rendered in the current batch. Nothing is allocated per row.
 */
#include "sql/table_int.h"

#include "core/util.h"
#include "pipeline/semconv.h"

#define OL_SQL_TB_ARENA_FIRST (2u << 20)
#define OL_SQL_TB_ARENA_CAP ((size_t)256 << 20)
#define OL_SQL_TB_ORIGIN_BYTES ((size_t)8 << 20)
#define OL_SQL_TB_SOFT_BYTES ((size_t)32 << 20)
#define OL_SQL_TB_BYTES_CHUNK ((size_t)64 << 10)
#define OL_SQL_TB_DEFAULT_ROWS 4096

/* ---- the tables ---- */

#define LCS "LowCardinality(String)"
#define MAPT "Map(LowCardinality(String), String)"

/* X(name, type, type name, field, key, hidden) */
#define OL_SQL_TRACES(X)                                                                         \
    X("Timestamp", DATETIME64, "DateTime64(9)", SPAN_TIME, NULL, false)                         \
    X("TraceId", STRING, "String", TRACE_ID, NULL, false)                                        \
    X("SpanId", STRING, "String", SPAN_ID, NULL, false)                                          \
    X("ParentSpanId", STRING, "String", PARENT_ID, NULL, false)                                  \
    X("TraceState", STRING, "String", TRACE_STATE, NULL, false)                                  \
    X("SpanName", STRING, LCS, SPAN_NAME, NULL, false)                                           \
    X("SpanKind", STRING, LCS, SPAN_KIND, NULL, false)                                           \
    X("ServiceName", STRING, LCS, SERVICE, NULL, false)                                          \
    X("ResourceAttributes", MAP, MAPT, RES_ATTRS, NULL, false)                                   \
    X("ScopeName", STRING, "String", SCOPE_NAME, NULL, false)                                    \
    X("ScopeVersion", STRING, "String", SCOPE_VERSION, NULL, false)                              \
    X("SpanAttributes", MAP, MAPT, SPAN_ATTRS, NULL, false)                                      \
    X("Duration", UINT64, "UInt64", DURATION, NULL, false)                                       \
    X("StatusCode", STRING, LCS, STATUS_CODE, NULL, false)                                       \
    X("StatusMessage", STRING, "String", STATUS_MSG, NULL, false)                                \
    X("Events.Timestamp", ARRAY_DATETIME64, "Array(DateTime64(9))", EV_TIME, NULL, false)        \
    X("Events.Name", ARRAY_STRING, "Array(LowCardinality(String))", EV_NAME, NULL, false)        \
    X("Events.Attributes", ARRAY_MAP, "Array(" MAPT ")", EV_ATTRS, NULL, false)                  \
    X("Links.TraceId", ARRAY_STRING, "Array(String)", LN_TRACE, NULL, false)                     \
    X("Links.SpanId", ARRAY_STRING, "Array(String)", LN_SPAN, NULL, false)                       \
    X("Links.TraceState", ARRAY_STRING, "Array(String)", LN_STATE, NULL, false)                  \
    X("Links.Attributes", ARRAY_MAP, "Array(" MAPT ")", LN_ATTRS, NULL, false)                   \
    X("ResourceAttributeItems", ARRAY_STRING, "Array(String)", RES_ITEMS, NULL, true)            \
    X("SpanAttributeItems", ARRAY_STRING, "Array(String)", SPAN_ITEMS, NULL, true)

#define OL_SQL_MATERIALIZED(X, name, key) X("__otel_materialized_" name, STRING, LCS, RES_KEY, key, true)

#define OL_SQL_LOGS(X)                                                                           \
    X("Timestamp", DATETIME64, "DateTime64(9)", LOG_TIME, NULL, false)                           \
    X("TraceId", STRING, "String", LOG_TRACE, NULL, false)                                       \
    X("SpanId", STRING, "String", LOG_SPAN, NULL, false)                                         \
    X("TraceFlags", UINT8, "UInt8", LOG_FLAGS, NULL, false)                                      \
    X("SeverityText", STRING, LCS, SEV_TEXT, NULL, false)                                        \
    X("SeverityNumber", UINT8, "UInt8", SEV_NUM, NULL, false)                                    \
    X("ServiceName", STRING, LCS, SERVICE, NULL, false)                                          \
    X("Body", STRING, "String", BODY, NULL, false)                                               \
    X("ResourceSchemaUrl", STRING, LCS, RES_URL, NULL, false)                                    \
    X("ResourceAttributes", MAP, MAPT, RES_ATTRS, NULL, false)                                   \
    X("ScopeSchemaUrl", STRING, LCS, SCOPE_URL, NULL, false)                                     \
    X("ScopeName", STRING, "String", SCOPE_NAME, NULL, false)                                    \
    X("ScopeVersion", STRING, LCS, SCOPE_VERSION, NULL, false)                                   \
    X("ScopeAttributes", MAP, MAPT, SCOPE_ATTRS, NULL, false)                                    \
    X("LogAttributes", MAP, MAPT, LOG_ATTRS, NULL, false)                                        \
    X("EventName", STRING, "String", EVENT_NAME, NULL, false)                                    \
    X("TimestampTime", DATETIME, "DateTime", LOG_TIME_S, NULL, true)                             \
    OL_SQL_MATERIALIZED(X, "k8s.cluster.name", "k8s.cluster.name")                               \
    OL_SQL_MATERIALIZED(X, "k8s.container.name", "k8s.container.name")                           \
    OL_SQL_MATERIALIZED(X, "k8s.deployment.name", "k8s.deployment.name")                         \
    OL_SQL_MATERIALIZED(X, "k8s.namespace.name", "k8s.namespace.name")                           \
    OL_SQL_MATERIALIZED(X, "k8s.node.name", "k8s.node.name")                                     \
    OL_SQL_MATERIALIZED(X, "k8s.pod.name", "k8s.pod.name")                                       \
    OL_SQL_MATERIALIZED(X, "k8s.pod.uid", "k8s.pod.uid")                                         \
    OL_SQL_MATERIALIZED(X, "deployment.environment.name", "deployment.environment.name")

/* Columns 0..13 of every metrics table. */
#define OL_SQL_METRIC_HEAD(X)                                                                    \
    X("ResourceAttributes", MAP, MAPT, RES_ATTRS, NULL, false)                                   \
    X("ResourceSchemaUrl", STRING, "String", RES_URL, NULL, false)                               \
    X("ScopeName", STRING, "String", SCOPE_NAME, NULL, false)                                    \
    X("ScopeVersion", STRING, "String", SCOPE_VERSION, NULL, false)                              \
    X("ScopeAttributes", MAP, MAPT, SCOPE_ATTRS, NULL, false)                                    \
    X("ScopeDroppedAttrCount", UINT32, "UInt32", SCOPE_DROPPED, NULL, false)                     \
    X("ScopeSchemaUrl", STRING, "String", SCOPE_URL, NULL, false)                                \
    X("ServiceName", STRING, LCS, SERVICE, NULL, false)                                          \
    X("MetricName", STRING, "String", M_NAME, NULL, false)                                       \
    X("MetricDescription", STRING, "String", M_DESC, NULL, false)                                \
    X("MetricUnit", STRING, "String", M_UNIT, NULL, false)                                       \
    X("Attributes", MAP, MAPT, P_ATTRS, NULL, false)                                             \
    X("StartTimeUnix", DATETIME64, "DateTime64(9)", P_START, NULL, false)                        \
    X("TimeUnix", DATETIME64, "DateTime64(9)", P_TIME, NULL, false)

#define OL_SQL_EXEMPLARS(X)                                                                                   \
    X("Exemplars.FilteredAttributes", ARRAY_MAP, "Array(" MAPT ")", EX_ATTRS, NULL, false)                    \
    X("Exemplars.TimeUnix", ARRAY_DATETIME64, "Array(DateTime64(9))", EX_TIME, NULL, false)                   \
    X("Exemplars.Value", ARRAY_FLOAT64, "Array(Float64)", EX_VALUE, NULL, false)                              \
    X("Exemplars.SpanId", ARRAY_STRING, "Array(String)", EX_SPAN, NULL, false)                                \
    X("Exemplars.TraceId", ARRAY_STRING, "Array(String)", EX_TRACE, NULL, false)

#define OL_SQL_GAUGE(X)                                                                          \
    OL_SQL_METRIC_HEAD(X)                                                                        \
    X("Value", FLOAT64, "Float64", P_VALUE, NULL, false)                                         \
    X("Flags", UINT32, "UInt32", P_FLAGS, NULL, false)                                           \
    OL_SQL_EXEMPLARS(X)

#define OL_SQL_SUM(X)                                                                            \
    OL_SQL_GAUGE(X)                                                                              \
    X("AggregationTemporality", INT32, "Int32", TEMPORALITY, NULL, false)                        \
    X("IsMonotonic", BOOL, "Bool", MONOTONIC, NULL, false)

#define OL_SQL_HISTOGRAM(X)                                                                      \
    OL_SQL_METRIC_HEAD(X)                                                                        \
    X("Count", UINT64, "UInt64", COUNT, NULL, false)                                             \
    X("Sum", FLOAT64, "Float64", SUM, NULL, false)                                               \
    X("BucketCounts", ARRAY_UINT64, "Array(UInt64)", BUCKETS, NULL, false)                       \
    X("ExplicitBounds", ARRAY_FLOAT64, "Array(Float64)", BOUNDS, NULL, false)                    \
    OL_SQL_EXEMPLARS(X)                                                                          \
    X("Flags", UINT32, "UInt32", P_FLAGS, NULL, false)                                           \
    X("Min", FLOAT64, "Float64", MIN, NULL, false)                                               \
    X("Max", FLOAT64, "Float64", MAX, NULL, false)                                               \
    X("AggregationTemporality", INT32, "Int32", TEMPORALITY, NULL, false)

#define OL_SQL_EXP_HISTOGRAM(X)                                                                  \
    OL_SQL_METRIC_HEAD(X)                                                                        \
    X("Count", UINT64, "UInt64", COUNT, NULL, false)                                             \
    X("Sum", FLOAT64, "Float64", SUM, NULL, false)                                               \
    X("Scale", INT32, "Int32", SCALE, NULL, false)                                               \
    X("ZeroCount", UINT64, "UInt64", ZERO_COUNT, NULL, false)                                    \
    X("PositiveOffset", INT32, "Int32", POS_OFFSET, NULL, false)                                 \
    X("PositiveBucketCounts", ARRAY_UINT64, "Array(UInt64)", POS_BUCKETS, NULL, false)           \
    X("NegativeOffset", INT32, "Int32", NEG_OFFSET, NULL, false)                                 \
    X("NegativeBucketCounts", ARRAY_UINT64, "Array(UInt64)", NEG_BUCKETS, NULL, false)           \
    OL_SQL_EXEMPLARS(X)                                                                          \
    X("Flags", UINT32, "UInt32", P_FLAGS, NULL, false)                                           \
    X("Min", FLOAT64, "Float64", MIN, NULL, false)                                               \
    X("Max", FLOAT64, "Float64", MAX, NULL, false)                                               \
    X("AggregationTemporality", INT32, "Int32", TEMPORALITY, NULL, false)

#define OL_SQL_SUMMARY(X)                                                                        \
    OL_SQL_METRIC_HEAD(X)                                                                        \
    X("Count", UINT64, "UInt64", COUNT, NULL, false)                                             \
    X("Sum", FLOAT64, "Float64", SUM, NULL, false)                                               \
    X("ValueAtQuantiles.Quantile", ARRAY_FLOAT64, "Array(Float64)", Q_QUANTILE, NULL, false)     \
    X("ValueAtQuantiles.Value", ARRAY_FLOAT64, "Array(Float64)", Q_VALUE, NULL, false)           \
    X("Flags", UINT32, "UInt32", P_FLAGS, NULL, false)

#define OL_SQL_DEF(n, ty, tn, f, k, h) {n, OL_SQL_##ty, tn, h},
#define OL_SQL_SRC(n, ty, tn, f, k, h) {OL_SQL_F_##f, k},

static const ol_sql_column_def_t traces_cols[] = {OL_SQL_TRACES(OL_SQL_DEF)};
static const ol_sql_col_src_t traces_src[] = {OL_SQL_TRACES(OL_SQL_SRC)};
static const ol_sql_column_def_t logs_cols[] = {OL_SQL_LOGS(OL_SQL_DEF)};
static const ol_sql_col_src_t logs_src[] = {OL_SQL_LOGS(OL_SQL_SRC)};
static const ol_sql_column_def_t gauge_cols[] = {OL_SQL_GAUGE(OL_SQL_DEF)};
static const ol_sql_col_src_t gauge_src[] = {OL_SQL_GAUGE(OL_SQL_SRC)};
static const ol_sql_column_def_t sum_cols[] = {OL_SQL_SUM(OL_SQL_DEF)};
static const ol_sql_col_src_t sum_src[] = {OL_SQL_SUM(OL_SQL_SRC)};
static const ol_sql_column_def_t hist_cols[] = {OL_SQL_HISTOGRAM(OL_SQL_DEF)};
static const ol_sql_col_src_t hist_src[] = {OL_SQL_HISTOGRAM(OL_SQL_SRC)};
static const ol_sql_column_def_t exph_cols[] = {OL_SQL_EXP_HISTOGRAM(OL_SQL_DEF)};
static const ol_sql_col_src_t exph_src[] = {OL_SQL_EXP_HISTOGRAM(OL_SQL_SRC)};
static const ol_sql_column_def_t summary_cols[] = {OL_SQL_SUMMARY(OL_SQL_DEF)};
static const ol_sql_col_src_t summary_src[] = {OL_SQL_SUMMARY(OL_SQL_SRC)};

/* Time and service columns: Timestamp (0) and ServiceName (7 / 6) of spans
 * and logs, TimeUnix (13) and ServiceName (7) of metrics. */
#define OL_SQL_TABLE(id, name, shrt, cols, time, svc) {id, name, shrt, cols, OL_ARRAY_LEN(cols), time, svc}
static const ol_sql_table_def_t tables[OL_SQL__TABLES] = {
    OL_SQL_TABLE(OL_SQL_TABLE_TRACES, "otel_traces", "spans", traces_cols, 0, 7),
    OL_SQL_TABLE(OL_SQL_TABLE_LOGS, "otel_logs", "logs", logs_cols, 0, 6),
    OL_SQL_TABLE(OL_SQL_TABLE_GAUGE, "otel_metrics_gauge", NULL, gauge_cols, 13, 7),
    OL_SQL_TABLE(OL_SQL_TABLE_SUM, "otel_metrics_sum", NULL, sum_cols, 13, 7),
    OL_SQL_TABLE(OL_SQL_TABLE_HISTOGRAM, "otel_metrics_histogram", NULL, hist_cols, 13, 7),
    OL_SQL_TABLE(OL_SQL_TABLE_EXP_HISTOGRAM, "otel_metrics_exponential_histogram", NULL, exph_cols, 13, 7),
    OL_SQL_TABLE(OL_SQL_TABLE_SUMMARY, "otel_metrics_summary", NULL, summary_cols, 13, 7),
};
static const ol_sql_col_src_t *const table_srcs[OL_SQL__TABLES] = {traces_src, logs_src, gauge_src, sum_src,
                                                                   hist_src,   exph_src, summary_src};

const ol_sql_table_def_t *ol_sql_table_get(ol_sql_table_id_t id)
{
    return (unsigned)id < OL_SQL__TABLES ? &tables[id] : NULL;
}

const ol_sql_col_src_t *ol_sql_table_src(ol_sql_table_id_t id)
{
    return (unsigned)id < OL_SQL__TABLES ? table_srcs[id] : NULL;
}

const ol_sql_table_def_t *ol_sql_table_find(ol_slice_t name)
{
    for (int i = 0; i < OL_SQL__TABLES; i++) {
        const ol_sql_table_def_t *t = &tables[i];
        if (ol_slice_eq_cstr(name, t->name) || (t->short_name && ol_slice_eq_cstr(name, t->short_name))) return t;
    }
    return NULL;
}

int ol_sql_table_column(const ol_sql_table_def_t *t, ol_slice_t name)
{
    for (uint32_t c = 0; t && c < t->n_cols; c++)
        if (ol_slice_eq_cstr(name, t->cols[c].name)) return (int)c;
    return -1;
}

/* ---- protobuf helpers ---- */

ol_slice_t ol_sql_pb_last_len(ol_slice_t msg, uint32_t number)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_slice_t v = OL_SLICE_LIT("");
    ol_pb_reader_init(&r, msg);
    while (ol_pb_next(&r, &f) == OL_OK)
        if (f.number == number && f.wire_type == OL_PB_LEN) v = f.bytes;
    return v;
}

/* ---- the batch builder ---- */

static void *tb_push(ol_sql_tb_t *b, ol_sql_gv_t *g, size_t elem)
{
    if (g->n == g->cap && ol_grow_array(OL_MEM_QUERY, &g->p, &g->cap, g->n + 1, elem) != OL_OK) {
        b->rc = OL_NOMEM;
        return NULL;
    }
    b->child_bytes += elem;
    return (uint8_t *)g->p + elem * g->n++;
}

static void tb_push_slice(ol_sql_tb_t *b, ol_sql_gv_t *g, ol_slice_t s)
{
    ol_slice_t *p = tb_push(b, g, sizeof *p);
    if (p) *p = s;
}

static uint8_t *tb_bytes(ol_sql_tb_t *b, size_t n)
{
    if (n > b->bytes_left) {
        size_t chunk = n > OL_SQL_TB_BYTES_CHUNK ? n : OL_SQL_TB_BYTES_CHUNK;
        uint8_t *p = ol_arena_alloc(b->arena, chunk);
        if (!p) {
            b->rc = OL_NOMEM;
            return NULL;
        }
        b->bytes = p;
        b->bytes_left = chunk;
    }
    uint8_t *p = b->bytes;
    b->bytes += n;
    b->bytes_left -= n;
    return p;
}

ol_slice_t ol_sql_tb_dup(ol_sql_tb_t *b, ol_slice_t s)
{
    if (!s.len) return OL_SLICE_LIT("");
    uint8_t *p = tb_bytes(b, s.len);
    if (!p) return OL_SLICE_LIT("");
    memcpy(p, s.ptr, s.len);
    return ol_slice(p, s.len);
}

static bool id_is_zero(ol_slice_t id)
{
    for (size_t i = 0; i < id.len; i++)
        if (id.ptr[i]) return false;
    return true;
}

ol_slice_t ol_sql_tb_hex_or_empty(ol_sql_tb_t *b, ol_slice_t id)
{
    if (id_is_zero(id)) return OL_SLICE_LIT("");
    uint8_t *p = tb_bytes(b, id.len * 2);
    if (!p) return OL_SLICE_LIT("");
    ol_hex_encode((char *)p, id.ptr, id.len);
    return ol_slice(p, id.len * 2);
}

ol_slice_t ol_sql_tb_hex_fixed(ol_sql_tb_t *b, ol_slice_t id, size_t width)
{
    uint8_t *p = tb_bytes(b, width * 2);
    if (!p) return OL_SLICE_LIT("");
    if (id.len == width) ol_hex_encode((char *)p, id.ptr, width);
    else memset(p, '0', width * 2);
    return ol_slice(p, width * 2);
}

ol_slice_t ol_sql_tb_any(ol_sql_tb_t *b, ol_slice_t av)
{
    ol_otlp_any_t v;
    ol_otlp_any_parse(av, &v);
    if (v.kind == 1) return ol_sql_tb_dup(b, v.bytes);
    if (v.kind == 2) return v.u64 ? OL_SLICE_LIT("true") : OL_SLICE_LIT("false");
    if (v.kind == 0) return OL_SLICE_LIT("");
    if (v.kind == 3) { /* strconv.FormatInt, without printf */
        char tmp[24], *p = tmp + sizeof tmp;
        int64_t x = (int64_t)v.u64;
        uint64_t u = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
        do *--p = (char)('0' + u % 10);
        while (u /= 10);
        if (x < 0) *--p = '-';
        return ol_sql_tb_dup(b, ol_slice(p, (size_t)(tmp + sizeof tmp - p)));
    }
    ol_buf_reset(&b->scratch);
    ol_sql_go_as_string(av, &b->scratch);
    if (b->scratch.err) {
        b->rc = OL_NOMEM;
        return OL_SLICE_LIT("");
    }
    return ol_sql_tb_dup(b, ol_buf_slice(&b->scratch));
}

void ol_sql_tb_map_push(ol_sql_tb_t *b, int c, ol_slice_t k, ol_slice_t v)
{
    tb_push_slice(b, &b->cols[c].mk, k);
    tb_push_slice(b, &b->cols[c].mv, v);
}

void ol_sql_tb_map_end(ol_sql_tb_t *b, int c) { b->cols[c].off[b->n + 1] = (uint32_t)b->cols[c].mk.n; }

void ol_sql_tb_arr_push_i(ol_sql_tb_t *b, int c, int64_t v)
{
    int64_t *p = tb_push(b, &b->cols[c].e, sizeof *p);
    if (p) *p = v;
}

void ol_sql_tb_arr_push_f(ol_sql_tb_t *b, int c, double v)
{
    double *p = tb_push(b, &b->cols[c].e, sizeof *p);
    if (p) *p = v;
}

void ol_sql_tb_arr_push_s(ol_sql_tb_t *b, int c, ol_slice_t v) { tb_push_slice(b, &b->cols[c].e, v); }

void ol_sql_tb_amap_push(ol_sql_tb_t *b, int c, ol_slice_t k, ol_slice_t v) { ol_sql_tb_map_push(b, c, k, v); }

void ol_sql_tb_amap_elem_end(ol_sql_tb_t *b, int c)
{
    uint32_t *p = tb_push(b, &b->cols[c].e, sizeof *p);
    if (p) *p = (uint32_t)b->cols[c].mk.n;
}

void ol_sql_tb_arr_end(ol_sql_tb_t *b, int c)
{
    ol_sql_cb_t *cb = &b->cols[c];
    /* an ARRAY_MAP's e holds one offset more than it has elements */
    cb->off[b->n + 1] = (uint32_t)(cb->type == OL_SQL_ARRAY_MAP ? cb->e.n - 1 : cb->e.n);
}

ol_slice_t ol_sql_tb_item(ol_sql_tb_t *b, ol_slice_t k, ol_slice_t v)
{
    uint8_t *p = tb_bytes(b, k.len + 1 + v.len);
    if (!p) return OL_SLICE_LIT("");
    if (k.len) memcpy(p, k.ptr, k.len);
    p[k.len] = '=';
    if (v.len) memcpy(p + k.len + 1, v.ptr, v.len);
    return ol_slice(p, k.len + 1 + v.len);
}

void ol_sql_tb_map_pairs(ol_sql_tb_t *b, int c, const ol_sql_kv_t *kv, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) ol_sql_tb_map_push(b, c, kv[i].k, kv[i].v);
    ol_sql_tb_map_end(b, c);
}

void ol_sql_tb_items_pairs(ol_sql_tb_t *b, int c, const ol_sql_kv_t *kv, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) ol_sql_tb_arr_push_s(b, c, ol_sql_tb_item(b, kv[i].k, kv[i].v));
    ol_sql_tb_arr_end(b, c);
}

/* ---- map order ----
 *
 * The exporter hands every attribute map to its driver through
 * orderedmap.CollectN, which sorts the entries by key (Go's byte order), and
 * ClickHouse keeps a Map's entries in the order they came: so a stored map
 * lists its keys sorted. Equal keys (a list that repeats one) keep their
 * order here; Go's pdqsort keeps it too for up to 12 entries, and leaves it
 * unspecified beyond. */

static int kv_cmp(const ol_sql_kv_t *x, const ol_sql_kv_t *y)
{
    size_t n = OL_MIN(x->k.len, y->k.len);
    int c = n ? memcmp(x->k.ptr, y->k.ptr, n) : 0;
    if (c) return c;
    return x->k.len < y->k.len ? -1 : x->k.len > y->k.len;
}

static void kv_msort(ol_sql_kv_t *p, ol_sql_kv_t *tmp, size_t n)
{
    if (n <= 16) {
        for (size_t i = 1; i < n; i++) {
            ol_sql_kv_t e = p[i];
            size_t j = i;
            for (; j > 0 && kv_cmp(&p[j - 1], &e) > 0; j--) p[j] = p[j - 1];
            p[j] = e;
        }
        return;
    }
    size_t h = n / 2, i = 0, j = h, k = 0;
    kv_msort(p, tmp, h);
    kv_msort(p + h, tmp, n - h);
    if (kv_cmp(&p[h - 1], &p[h]) <= 0) return;
    memcpy(tmp, p, h * sizeof *p);
    while (i < h && j < n) p[k++] = kv_cmp(&tmp[i], &p[j]) <= 0 ? tmp[i++] : p[j++];
    while (i < h) p[k++] = tmp[i++];
}

/* Sorts n entries by key, keeping equal keys in order. */
static void kv_sort(ol_sql_tb_t *b, ol_sql_kv_t *p, size_t n)
{
    if (n > 16 && ol_grow_array(OL_MEM_QUERY, &b->kvs_tmp.p, &b->kvs_tmp.cap, n, sizeof *p) != OL_OK) {
        b->rc = OL_NOMEM;
        return;
    }
    kv_msort(p, b->kvs_tmp.p, n);
}

static void kvs_stage(ol_sql_tb_t *b, ol_slice_t k, ol_slice_t v)
{
    ol_sql_kv_t *e = tb_push(b, &b->kvs, sizeof *e);
    if (!e) return;
    e->k = k;
    e->v = v;
    b->child_bytes -= sizeof *e; /* staging, not the batch's */
}

/* Per-row arrays of a fresh batch, from the (just reset) arena. */
static void tb_batch_start(ol_sql_tb_t *b)
{
    b->n = 0;
    b->bytes = NULL;
    b->bytes_left = 0;
    b->child_bytes = 0;
    b->epoch++;
    b->last_origin = NULL;
    if (b->oarena && ol_arena_used(b->oarena) > OL_SQL_TB_ORIGIN_BYTES) {
        ol_arena_reset(b->oarena);
        b->obytes = NULL;
        b->obytes_left = 0;
        if (b->oc_slots) memset(b->oc_slots, 0, b->oc_cap * sizeof *b->oc_slots);
        b->oc_n = 0;
        b->origin_gen++;
    }
    for (size_t k = 0; k < b->scan->n_keys; k++) {
        b->keys[k].s = ol_arena_alloc(b->arena, b->cap * sizeof *b->keys[k].s);
        if (!b->keys[k].s) b->rc = OL_NOMEM;
    }
    for (uint32_t c = 0; c < b->t->n_cols; c++) {
        ol_sql_cb_t *cb = &b->cols[c];
        if (!cb->on) continue;
        cb->e.n = cb->mk.n = cb->mv.n = 0;
        cb->i = NULL;
        cb->f = NULL;
        cb->s = NULL;
        cb->off = NULL;
        bool ok;
        switch (ol_sql_type_repr(cb->type)) {
        case 'f': ok = (cb->f = ol_arena_alloc(b->arena, b->cap * sizeof *cb->f)) != NULL; break;
        case 's': ok = (cb->s = ol_arena_alloc(b->arena, b->cap * sizeof *cb->s)) != NULL; break;
        case 'i': ok = (cb->i = ol_arena_alloc(b->arena, b->cap * sizeof *cb->i)) != NULL; break;
        default:
            ok = (cb->off = ol_arena_alloc(b->arena, ((size_t)b->cap + 1) * sizeof *cb->off)) != NULL;
            if (ok) cb->off[0] = 0;
            if (cb->type == OL_SQL_ARRAY_MAP) ol_sql_tb_amap_elem_end(b, c); /* the elements' first offset, 0 */
            break;
        }
        if (!ok) b->rc = OL_NOMEM;
    }
}

/* The vectors of the batch as built so far. */
static void tb_vectors(ol_sql_tb_t *b)
{
    for (uint32_t c = 0; c < b->t->n_cols; c++) {
        ol_sql_cb_t *cb = &b->cols[c];
        ol_sql_vec_t *v = &b->vcols[c];
        memset(v, 0, sizeof *v);
        v->type = cb->type;
        if (!cb->on) continue;
        v->n = b->n;
        v->i = cb->i;
        v->f = cb->f;
        v->s = cb->s;
        v->off = cb->off;
        if (cb->type == OL_SQL_MAP || cb->type == OL_SQL_ARRAY_MAP) {
            cb->kv = (ol_sql_vec_t){.type = OL_SQL_STRING, .n = (uint32_t)cb->mk.n, .s = cb->mk.p};
            cb->vv = (ol_sql_vec_t){.type = OL_SQL_STRING, .n = (uint32_t)cb->mv.n, .s = cb->mv.p};
        }
        if (cb->type == OL_SQL_MAP) {
            v->keys = &cb->kv;
            v->vals = &cb->vv;
        } else if (cb->type == OL_SQL_ARRAY_MAP) {
            cb->ev = (ol_sql_vec_t){.type = OL_SQL_MAP, .n = (uint32_t)cb->e.n - 1, .off = cb->e.p,
                                    .keys = &cb->kv, .vals = &cb->vv};
            v->vals = &cb->ev;
        } else if (ol_sql_type_is_array(cb->type)) {
            ol_sql_type_t et = ol_sql_type_elem(cb->type);
            cb->ev = (ol_sql_vec_t){.type = et, .n = (uint32_t)cb->e.n};
            if (et == OL_SQL_FLOAT64) cb->ev.f = cb->e.p;
            else if (et == OL_SQL_STRING) cb->ev.s = cb->e.p;
            else cb->ev.i = cb->e.p;
            v->vals = &cb->ev;
        }
    }
    for (size_t k = 0; k < b->scan->n_keys; k++)
        b->vkeys[k] = (ol_sql_vec_t){.type = OL_SQL_STRING, .n = b->n, .s = b->keys[k].s};
}

/* Hands the batch over (if it has rows) and starts the next. */
static int tb_flush(ol_sql_tb_t *b)
{
    if (b->rc != OL_OK) return b->rc;
    if (!b->n) return OL_OK;
    tb_vectors(b);
    ol_sql_batch_t batch = {.n = b->n, .cols = b->vcols, .keys = b->vkeys};
    int rc = b->fn(b->ud, &batch);
    if (rc == OL_STORE_STOP) b->stopped = true;
    if (rc != OL_OK) return rc;
    ol_arena_reset(b->arena);
    tb_batch_start(b);
    return b->rc;
}

int ol_sql_tb_row_done(ol_sql_tb_t *b) { return ol_sql_tb_rows_done(b, 1); }

int ol_sql_tb_rows_done(ol_sql_tb_t *b, uint32_t m)
{
    if (b->rc != OL_OK) return b->rc;
    b->n += m;
    if (b->n >= b->cap || ol_arena_used(b->arena) + b->child_bytes >= OL_SQL_TB_SOFT_BYTES) return tb_flush(b);
    return OL_OK;
}

/* ---- attribute lists ---- */

/* Key and value of an encoded KeyValue (last of each, as protobuf reads). */
static void kv_parse(ol_slice_t kv, ol_slice_t *key, ol_slice_t *value)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    *key = OL_SLICE_LIT("");
    *value = OL_SLICE_NULL;
    ol_pb_reader_init(&r, kv);
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.wire_type != OL_PB_LEN) continue;
        if (f.number == 1) *key = f.bytes;
        else if (f.number == 2) *value = f.bytes;
    }
}

/* ---- semantic-convention normalisation (pipeline/semconv.h) ----
 *
 * With the scan's semconv flag, the span and log attribute maps (and keys
 * on them) are read normalised: a deprecated attribute is not staged as
 * itself; its rendered value fills its stable name(s), which are staged
 * after the list when the list lacks them, and then sorted in with the
 * rest. A scan key that is a deprecated name reads as absent; one that is
 * a stable name reads the list's own value, else the filled one. Rendering
 * stays lazy: with only keys wanted, a deprecated attribute is rendered
 * only when it fills one of them. */

enum { F_SPAN_KIND = 6 };

static int32_t span_kind_of(ol_slice_t span)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    int32_t kind = 0;
    ol_pb_reader_init(&r, span);
    while (ol_pb_next(&r, &f) == OL_OK)
        if (f.number == F_SPAN_KIND && f.wire_type == OL_PB_VARINT) kind = (int32_t)f.u64;
    return kind;
}

/* Whether deprecated name `dep` fills a scan key on this map still unfound,
 * on a span of this kind, or (kind < 0: not known yet) of some kind. */
static bool semconv_wanted(const ol_sql_tb_t *b, int dep, int32_t kind, ol_sql_field_t map_field)
{
    for (size_t k = 0; k < b->scan->n_keys; k++) {
        if (b->key_found[k] || b->key_field[k] != map_field) continue;
        ol_slice_t key = b->scan->keys[k].key;
        if (kind >= 0 ? ol_semconv_fills(dep, kind, key)
                      : ol_semconv_fills(dep, OL_SEMCONV_KIND_UNSPECIFIED, key) ||
                            ol_semconv_fills(dep, OL_SEMCONV_KIND_SERVER, key))
            return true;
    }
    return false;
}

static void row_attrs_semconv(ol_sql_tb_t *b, ol_slice_t msg, uint32_t field, ol_sql_field_t map_field,
                              int items_col, size_t want_keys)
{
    int map_col = b->field_col[map_field];
    bool map_on = map_col >= 0 && b->cols[map_col].on;
    bool items_on = items_col >= 0 && b->cols[items_col].on;
    bool stage = map_on || items_on;
    int32_t kind = -1; /* read from the span when a sided name needs it */
    ol_semconv_state_t st;
    ol_semconv_begin(&st);
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, msg);
    /* Once every key is found as itself, nothing later can change it. A key
     * that is a deprecated name is never found here (it reads as absent, the
     * caller's default), so it only costs the early exit. */
    while ((stage || want_keys) && ol_pb_next(&r, &f) == OL_OK) {
        if (f.number != field || f.wire_type != OL_PB_LEN) continue;
        ol_slice_t key, av;
        kv_parse(f.bytes, &key, &av);
        int dep = ol_semconv_deprecated(key);
        if (dep >= 0) {
            if (!stage && !semconv_wanted(b, dep, kind, map_field)) continue;
            if (kind < 0 && ol_semconv_sided(dep))
                kind = map_field == OL_SQL_F_SPAN_ATTRS ? span_kind_of(msg) : OL_SEMCONV_KIND_UNSPECIFIED;
            int32_t k = kind < 0 ? OL_SEMCONV_KIND_UNSPECIFIED : kind; /* not read by unsided names */
            if (stage || kind < 0 || semconv_wanted(b, dep, k, map_field))
                ol_semconv_feed(&st, dep, ol_sql_tb_any(b, av), k);
            continue;
        }
        bool hit = false;
        for (size_t k = 0; k < b->scan->n_keys; k++)
            if (!b->key_found[k] && ol_slice_eq(key, b->scan->keys[k].key)) hit = true;
        if (!stage && !hit) continue;
        ol_slice_t v = ol_sql_tb_any(b, av);
        if (stage) kvs_stage(b, ol_sql_tb_dup(b, key), v);
        for (size_t k = 0; k < b->scan->n_keys && hit; k++) {
            if (b->key_found[k] || !ol_slice_eq(key, b->scan->keys[k].key)) continue;
            b->key_found[k] = true;
            b->keys[k].s[b->n] = v;
            want_keys--;
        }
    }
    if (!st.fed) return;
    /* The stable names the list has itself: with the map staged, those
     * staged; with keys only, a scan key found as itself is done already
     * and the rest of what is filled is not looked at. */
    for (size_t i = 0; stage && i < b->kvs.n; i++) {
        ol_semconv_name_t nm = ol_semconv_name(((const ol_sql_kv_t *)b->kvs.p)[i].k);
        if (nm.stable >= 0) ol_semconv_seen(&st, nm.stable);
    }
    uint32_t it = 0;
    ol_slice_t key, v;
    while (ol_semconv_next(&st, &it, &key, &v)) {
        if (stage) kvs_stage(b, key, v); /* key is static, v in the batch's bytes or static */
        for (size_t k = 0; k < b->scan->n_keys; k++) {
            if (b->key_found[k] || b->key_field[k] != map_field || !ol_slice_eq(key, b->scan->keys[k].key)) continue;
            b->key_found[k] = true;
            b->keys[k].s[b->n] = v;
        }
    }
}

void ol_sql_tb_row_attrs(ol_sql_tb_t *b, ol_slice_t msg, uint32_t field, ol_sql_field_t map_field, int items_col)
{
    b->kvs.n = 0;
    int map_col = b->field_col[map_field];
    bool map_on = map_col >= 0 && b->cols[map_col].on;
    bool items_on = items_col >= 0 && b->cols[items_col].on;
    size_t want_keys = 0;
    for (size_t k = 0; k < b->scan->n_keys; k++) {
        b->key_found[k] = b->key_field[k] != map_field;
        if (!b->key_found[k]) want_keys++;
    }
    if (b->scan->semconv && (map_field == OL_SQL_F_SPAN_ATTRS || map_field == OL_SQL_F_LOG_ATTRS)) {
        row_attrs_semconv(b, msg, field, map_field, items_col, want_keys);
        goto done;
    }
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, msg);
    while ((map_on || items_on || want_keys) && ol_pb_next(&r, &f) == OL_OK) {
        if (f.number != field || f.wire_type != OL_PB_LEN) continue;
        ol_slice_t key, av;
        kv_parse(f.bytes, &key, &av);
        bool hit = false;
        for (size_t k = 0; k < b->scan->n_keys && want_keys; k++)
            if (!b->key_found[k] && ol_slice_eq(key, b->scan->keys[k].key)) hit = true;
        if (!map_on && !items_on && !hit) continue;
        ol_slice_t v = ol_sql_tb_any(b, av);
        if (map_on || items_on) kvs_stage(b, ol_sql_tb_dup(b, key), v);
        for (size_t k = 0; k < b->scan->n_keys && hit; k++) {
            if (b->key_found[k] || !ol_slice_eq(key, b->scan->keys[k].key)) continue;
            b->key_found[k] = true;
            b->keys[k].s[b->n] = v;
            want_keys--;
        }
    }
done:
    kv_sort(b, b->kvs.p, b->kvs.n);
    if (map_on) ol_sql_tb_map_pairs(b, map_col, b->kvs.p, (uint32_t)b->kvs.n);
    if (items_on) ol_sql_tb_items_pairs(b, items_col, b->kvs.p, (uint32_t)b->kvs.n);
    for (size_t k = 0; k < b->scan->n_keys; k++)
        if (!b->key_found[k]) b->keys[k].s[b->n] = OL_SLICE_LIT("");
}

void ol_sql_tb_amap_kvs(ol_sql_tb_t *b, int c, ol_slice_t msg, uint32_t field)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    b->kvs.n = 0;
    ol_pb_reader_init(&r, msg);
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.number != field || f.wire_type != OL_PB_LEN) continue;
        ol_slice_t key, av;
        kv_parse(f.bytes, &key, &av);
        kvs_stage(b, ol_sql_tb_dup(b, key), ol_sql_tb_any(b, av));
    }
    kv_sort(b, b->kvs.p, b->kvs.n);
    const ol_sql_kv_t *kv = b->kvs.p;
    for (size_t i = 0; i < b->kvs.n; i++) ol_sql_tb_amap_push(b, c, kv[i].k, kv[i].v);
    ol_sql_tb_amap_elem_end(b, c);
}

/* ---- resources and scopes ---- */

/* The first value of `key` among n entries, or "". */
static ol_slice_t pairs_get(const ol_sql_kv_t *kv, uint32_t n, ol_slice_t key)
{
    for (uint32_t i = 0; i < n; i++)
        if (ol_slice_eq(kv[i].k, key)) return kv[i].v;
    return OL_SLICE_LIT("");
}

/* Renders the KeyValue list `field` of msg into arena entries, sorted. */
static ol_sql_kv_t *render_pairs(ol_sql_tb_t *b, ol_slice_t msg, uint32_t field, uint32_t *n_out)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    uint32_t n = 0;
    ol_pb_reader_init(&r, msg);
    while (ol_pb_next(&r, &f) == OL_OK)
        if (f.number == field && f.wire_type == OL_PB_LEN) n++;
    *n_out = 0;
    if (!n) return NULL;
    ol_sql_kv_t *kv = ol_arena_alloc(b->arena, (size_t)n * sizeof *kv);
    if (!kv) {
        b->rc = OL_NOMEM;
        return NULL;
    }
    ol_pb_reader_init(&r, msg);
    uint32_t i = 0;
    while (i < n && ol_pb_next(&r, &f) == OL_OK) {
        if (f.number != field || f.wire_type != OL_PB_LEN) continue;
        ol_slice_t key, av;
        kv_parse(f.bytes, &key, &av);
        kv[i].k = ol_sql_tb_dup(b, key);
        kv[i].v = ol_sql_tb_any(b, av);
        i++;
    }
    kv_sort(b, kv, i);
    *n_out = i;
    return kv;
}

enum { F_RESOURCE_ATTRS = 1, F_SCOPE_NAME = 1, F_SCOPE_VERSION = 2, F_SCOPE_ATTRS = 3, F_SCOPE_DROPPED = 4 };

static void render_origin(ol_sql_tb_t *b, const ol_sql_ocache_ent_t *e, ol_sql_orow_t *o)
{
    ol_slice_t res = e->key[0], scope = e->key[2];
    memset(o, 0, sizeof *o);
    o->res_url = e->key[1];
    o->scope_url = e->key[3];
    o->service = OL_SLICE_LIT("");

    /* GetServiceName: pcommon.Map.Get returns the first entry of the key. */
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, res);
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.number != F_RESOURCE_ATTRS || f.wire_type != OL_PB_LEN) continue;
        ol_slice_t key, av;
        kv_parse(f.bytes, &key, &av);
        if (ol_slice_eq_cstr(key, "service.name")) {
            o->service = ol_sql_tb_any(b, av);
            break;
        }
    }
    o->svc_ok = b->scan->n_services == 0;
    for (size_t i = 0; i < b->scan->n_services && !o->svc_ok; i++)
        if (ol_slice_eq(o->service, b->scan->services[i])) o->svc_ok = true;

    if (b->need_res_kv) o->res_kv = render_pairs(b, res, F_RESOURCE_ATTRS, &o->n_res);
    if (b->need_scope_kv) o->scope_kv = render_pairs(b, scope, F_SCOPE_ATTRS, &o->n_scope);
    o->scope_name = ol_sql_pb_last_len(scope, F_SCOPE_NAME);
    o->scope_version = ol_sql_pb_last_len(scope, F_SCOPE_VERSION);
    ol_pb_reader_init(&r, scope);
    while (ol_pb_next(&r, &f) == OL_OK)
        if (f.number == F_SCOPE_DROPPED && f.wire_type == OL_PB_VARINT) o->scope_dropped = (uint32_t)f.u64;
    /* scope was copied into the arena with the key, so these views stay valid */

    size_t nk = b->scan->n_keys, nc = b->t->n_cols;
    o->vals = ol_arena_alloc(b->arena, (nk + nc) * sizeof *o->vals);
    if (!o->vals) {
        b->rc = OL_NOMEM;
        return;
    }
    for (size_t k = 0; k < nk; k++) {
        if (b->key_field[k] == OL_SQL_F_RES_ATTRS) o->vals[k] = pairs_get(o->res_kv, o->n_res, b->scan->keys[k].key);
        else if (b->key_field[k] == OL_SQL_F_SCOPE_ATTRS)
            o->vals[k] = pairs_get(o->scope_kv, o->n_scope, b->scan->keys[k].key);
        else o->vals[k] = OL_SLICE_LIT("");
    }
    for (size_t c = 0; c < nc; c++)
        o->vals[nk + c] = b->src[c].field == OL_SQL_F_RES_KEY && b->cols[c].on
                              ? pairs_get(o->res_kv, o->n_res, ol_slice_cstr(b->src[c].key))
                              : OL_SLICE_LIT("");
}

static uint64_t origin_hash(const ol_slice_t key[4])
{
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 4; i++) h = ol_hash64(key[i].ptr ? (const void *)key[i].ptr : "", key[i].len, h + key[i].len);
    return h;
}

static bool origin_eq(const ol_sql_ocache_ent_t *e, const ol_slice_t key[4])
{
    for (int i = 0; i < 4; i++)
        if (!ol_slice_eq(e->key[i], key[i])) return false;
    return true;
}

static int ocache_grow(ol_sql_tb_t *b)
{
    size_t ncap = b->oc_cap ? b->oc_cap * 2 : 64;
    ol_sql_ocache_ent_t **slots = ol_calloc(OL_MEM_QUERY, ncap, sizeof *slots);
    if (!slots) return OL_NOMEM;
    for (size_t i = 0; i < b->oc_cap; i++) {
        ol_sql_ocache_ent_t *e = b->oc_slots[i];
        if (!e) continue;
        size_t j = e->hash & (ncap - 1);
        while (slots[j]) j = (j + 1) & (ncap - 1);
        slots[j] = e;
    }
    ol_free(OL_MEM_QUERY, b->oc_slots, b->oc_cap * sizeof *b->oc_slots);
    b->oc_slots = slots;
    b->oc_cap = ncap;
    return OL_OK;
}

const ol_sql_orow_t *ol_sql_tb_origin(ol_sql_tb_t *b, const ol_otlp_origin_t *o)
{
    if (o && o == b->last_origin && b->last_epoch == b->epoch) return b->last_row;
    ol_slice_t key[4] = {OL_SLICE_NULL, OL_SLICE_NULL, OL_SLICE_NULL, OL_SLICE_NULL};
    if (o) {
        key[0] = o->resource;
        key[1] = o->resource_schema_url;
        key[2] = o->scope;
        key[3] = o->scope_schema_url;
    }
    uint64_t h = origin_hash(key);
    if ((b->oc_n + 1) * 2 > b->oc_cap && ocache_grow(b) != OL_OK) {
        b->rc = OL_NOMEM;
        return NULL;
    }
    size_t j = h & (b->oc_cap - 1);
    ol_sql_ocache_ent_t *e;
    while ((e = b->oc_slots[j]) != NULL) {
        if (e->hash == h && origin_eq(e, key)) break;
        j = (j + 1) & (b->oc_cap - 1);
    }
    if (!e) {
        /* rendered into the origin arena: the batch's allocators are
         * pointed there for the while */
        ol_arena_t *ba = b->arena;
        uint8_t *bb = b->bytes;
        size_t bl = b->bytes_left;
        b->arena = b->oarena;
        b->bytes = b->obytes;
        b->bytes_left = b->obytes_left;
        e = ol_arena_alloc(b->arena, sizeof *e);
        if (e) {
            e->hash = h;
            for (int i = 0; i < 4; i++) e->key[i] = ol_sql_tb_dup(b, key[i]);
            render_origin(b, e, &e->row);
        } else {
            b->rc = OL_NOMEM;
        }
        b->obytes = b->bytes;
        b->obytes_left = b->bytes_left;
        b->arena = ba;
        b->bytes = bb;
        b->bytes_left = bl;
        if (b->rc != OL_OK) return NULL;
        b->oc_slots[j] = e;
        b->oc_n++;
    }
    b->last_origin = o;
    b->last_epoch = b->epoch;
    b->last_row = &e->row;
    return &e->row;
}

bool ol_sql_tb_origin_col(ol_sql_tb_t *b, int c, const ol_sql_orow_t *o)
{
    switch (b->src[c].field) {
    case OL_SQL_F_SERVICE: ol_sql_tb_set_s(b, c, o->service); return true;
    case OL_SQL_F_RES_ATTRS: ol_sql_tb_map_pairs(b, c, o->res_kv, o->n_res); return true;
    case OL_SQL_F_RES_URL: ol_sql_tb_set_s(b, c, o->res_url); return true;
    case OL_SQL_F_RES_ITEMS: ol_sql_tb_items_pairs(b, c, o->res_kv, o->n_res); return true;
    case OL_SQL_F_RES_KEY: ol_sql_tb_set_s(b, c, o->vals[b->scan->n_keys + (size_t)c]); return true;
    case OL_SQL_F_SCOPE_NAME: ol_sql_tb_set_s(b, c, o->scope_name); return true;
    case OL_SQL_F_SCOPE_VERSION: ol_sql_tb_set_s(b, c, o->scope_version); return true;
    case OL_SQL_F_SCOPE_ATTRS: ol_sql_tb_map_pairs(b, c, o->scope_kv, o->n_scope); return true;
    case OL_SQL_F_SCOPE_DROPPED: ol_sql_tb_set_i(b, c, o->scope_dropped); return true;
    case OL_SQL_F_SCOPE_URL: ol_sql_tb_set_s(b, c, o->scope_url); return true;
    default: return false;
    }
}

void ol_sql_tb_origin_keys(ol_sql_tb_t *b, const ol_sql_orow_t *o)
{
    for (size_t k = 0; k < b->scan->n_keys; k++)
        if (b->key_field[k] == OL_SQL_F_RES_ATTRS || b->key_field[k] == OL_SQL_F_SCOPE_ATTRS)
            b->keys[k].s[b->n] = o->vals[k];
}

/* ---- the scan ---- */

static void tb_free(ol_sql_tb_t *b)
{
    for (uint32_t c = 0; b->cols && c < b->t->n_cols; c++) {
        ol_sql_cb_t *cb = &b->cols[c];
        size_t esz = cb->type == OL_SQL_ARRAY_MAP ? sizeof(uint32_t)
                     : ol_sql_type_elem(cb->type) == OL_SQL_STRING ? sizeof(ol_slice_t)
                                                                    : sizeof(int64_t);
        ol_free(OL_MEM_QUERY, cb->e.p, cb->e.cap * esz);
        ol_free(OL_MEM_QUERY, cb->mk.p, cb->mk.cap * sizeof(ol_slice_t));
        ol_free(OL_MEM_QUERY, cb->mv.p, cb->mv.cap * sizeof(ol_slice_t));
    }
    size_t nk = b->scan->n_keys, nc = b->t->n_cols;
    ol_free(OL_MEM_QUERY, b->cols, nc * sizeof *b->cols);
    ol_free(OL_MEM_QUERY, b->vcols, nc * sizeof *b->vcols);
    ol_free(OL_MEM_QUERY, b->keys, nk * sizeof *b->keys);
    ol_free(OL_MEM_QUERY, b->vkeys, nk * sizeof *b->vkeys);
    ol_free(OL_MEM_QUERY, b->key_field, nk * sizeof *b->key_field);
    ol_free(OL_MEM_QUERY, b->key_found, nk * sizeof *b->key_found);
    ol_free(OL_MEM_QUERY, b->oc_slots, b->oc_cap * sizeof *b->oc_slots);
    ol_free(OL_MEM_QUERY, b->kvs.p, b->kvs.cap * sizeof(ol_sql_kv_t));
    ol_free(OL_MEM_QUERY, b->kvs_tmp.p, b->kvs_tmp.cap * sizeof(ol_sql_kv_t));
    ol_buf_free(&b->scratch);
    if (b->arena) ol_arena_destroy(b->arena);
    if (b->oarena) ol_arena_destroy(b->oarena);
}

static int tb_init(ol_sql_tb_t *b, ol_sql_scan_t *scan, ol_sql_batch_fn fn, void *ud)
{
    const ol_sql_table_def_t *t = scan->table;
    size_t nk = scan->n_keys, nc = t->n_cols;
    memset(b, 0, sizeof *b);
    b->scan = scan;
    b->t = t;
    b->src = ol_sql_table_src(t->id);
    b->fn = fn;
    b->ud = ud;
    b->cap = scan->batch_rows ? scan->batch_rows : OL_SQL_TB_DEFAULT_ROWS;
    ol_buf_init(&b->scratch, OL_MEM_QUERY, 0);
    b->cols = ol_calloc(OL_MEM_QUERY, nc, sizeof *b->cols);
    b->vcols = ol_calloc(OL_MEM_QUERY, nc, sizeof *b->vcols);
    b->keys = nk ? ol_calloc(OL_MEM_QUERY, nk, sizeof *b->keys) : NULL;
    b->vkeys = nk ? ol_calloc(OL_MEM_QUERY, nk, sizeof *b->vkeys) : NULL;
    b->key_field = nk ? ol_calloc(OL_MEM_QUERY, nk, sizeof *b->key_field) : NULL;
    b->key_found = nk ? ol_calloc(OL_MEM_QUERY, nk, sizeof *b->key_found) : NULL;
    b->arena = ol_arena_create(OL_SQL_TB_ARENA_FIRST, OL_SQL_TB_ARENA_CAP);
    b->oarena = ol_arena_create(64u << 10, OL_SQL_TB_ARENA_CAP);
    if (!b->cols || !b->vcols || !b->arena || !b->oarena || (nk && (!b->keys || !b->vkeys || !b->key_field || !b->key_found)))
        return OL_NOMEM;
    for (int f = 0; f < OL_SQL__FIELDS; f++) b->field_col[f] = -1;
    for (size_t c = 0; c < nc; c++) {
        b->field_col[b->src[c].field] = (int)c;
        b->cols[c].type = t->cols[c].type;
        b->cols[c].on = scan->need ? scan->need[c] : true;
        if (b->cols[c].on) b->need_field[b->src[c].field] = true;
    }
    for (size_t k = 0; k < nk; k++) {
        int c = scan->keys[k].col;
        if (OL_NEVER(c < 0 || (size_t)c >= nc || t->cols[c].type != OL_SQL_MAP)) return OL_ERR;
        b->keys[k].on = true;
        b->keys[k].type = OL_SQL_STRING;
        b->key_field[k] = b->src[c].field;
        b->need_field[b->src[c].field] = true;
    }
    b->need_res_kv = b->need_field[OL_SQL_F_RES_ATTRS] || b->need_field[OL_SQL_F_RES_ITEMS] ||
                     b->need_field[OL_SQL_F_RES_KEY];
    b->need_scope_kv = b->need_field[OL_SQL_F_SCOPE_ATTRS];
    tb_batch_start(b);
    return b->rc;
}

int ol_sql_table_scan(ol_store_t *s, ol_sql_scan_t *scan, ol_sql_batch_fn fn, void *ud)
{
    if (OL_NEVER(!scan || !scan->table || !fn || !ol_sql_table_get(scan->table->id))) return OL_ERR;
    if (scan->end_ns <= scan->start_ns) return OL_OK;
    ol_sql_tb_t b;
    int rc = tb_init(&b, scan, fn, ud);
    if (rc == OL_OK) {
        switch (scan->table->id) {
        case OL_SQL_TABLE_TRACES: rc = ol_sql_scan_traces(s, &b); break;
        case OL_SQL_TABLE_LOGS: rc = ol_sql_scan_logs(s, &b); break;
        case OL_SQL_TABLE_GAUGE: rc = ol_sql_scan_metrics(s, &b, OL_METRIC_GAUGE); break;
        case OL_SQL_TABLE_SUM: rc = ol_sql_scan_metrics(s, &b, OL_METRIC_SUM); break;
        case OL_SQL_TABLE_HISTOGRAM: rc = ol_sql_scan_metrics(s, &b, OL_METRIC_HISTOGRAM); break;
        case OL_SQL_TABLE_EXP_HISTOGRAM: rc = ol_sql_scan_metrics(s, &b, OL_METRIC_EXP_HISTOGRAM); break;
        case OL_SQL_TABLE_SUMMARY: rc = ol_sql_scan_metrics(s, &b, OL_METRIC_SUMMARY); break;
        default: rc = OL_ERR; break;
        }
        if (rc == OL_OK && b.rc != OL_OK) rc = b.rc;
        if (rc == OL_OK && !b.stopped) rc = tb_flush(&b);
        if (b.stopped || rc == OL_STORE_STOP) rc = OL_OK;
    }
    tb_free(&b);
    return rc;
}
