/*
 * chrows.c - exporter DDL and rows for otel_logs and the five metrics tables
 * (see chrows.h for what and why, and the pinned sources).
 *
 * The DDL strings are the pinned templates rendered with database `{db}`,
 * the default table names, no cluster, Engine = MergeTree(), no TTL.
 *
 * Rows are RowBinary in the column order of cr_insert_columns(): strings and
 * array/map lengths LEB128-prefixed, numbers little-endian, DateTime64(9) as
 * Int64 nanoseconds, Bool as one byte.
 *
 * What the exporter writes, per column (pinned Go code):
 *   logs: Timestamp = time_unix_nano, or observed_time_unix_nano when 0;
 *     TraceId/SpanId hex, '' for an all-zero or absent id; TraceFlags =
 *     uint32(flags) into UInt8; SeverityNumber int32 into UInt8; ServiceName
 *     = AsString of resource service.name or ''; Body = AsString(body);
 *     schema URLs; scope name/version/attributes; EventName.
 *   metrics: GetServiceName as above; every attribute map via AsString, in
 *     order; StartTimeUnix/TimeUnix; Value = as_double, or float64(as_int),
 *     0 when neither; Flags = uint32(flags); exemplars' ids hex of the fixed
 *     16/8 bytes (all zeros when absent: "000..."), value as getValue;
 *     histogram Sum/Min/Max 0 when absent; AggregationTemporality int32;
 *     IsMonotonic Bool.
 */
#include "chrows.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "codec/pb.h"
#include "core/util.h"

/* ---- DDL ---- */

static const char logs_ddl[] =
    "CREATE TABLE IF NOT EXISTS \"{db}\".\"otel_logs\"  (\n"
    "    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),\n"
    "    TimestampTime DateTime DEFAULT toDateTime(Timestamp),\n"
    "    TraceId String CODEC(ZSTD(1)),\n"
    "    SpanId String CODEC(ZSTD(1)),\n"
    "    TraceFlags UInt8,\n"
    "    SeverityText LowCardinality(String) CODEC(ZSTD(1)),\n"
    "    SeverityNumber UInt8,\n"
    "    ServiceName LowCardinality(String) CODEC(ZSTD(1)),\n"
    "    Body String CODEC(ZSTD(1)),\n"
    "    ResourceSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),\n"
    "    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),\n"
    "    ScopeSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),\n"
    "    ScopeName String CODEC(ZSTD(1)),\n"
    "    ScopeVersion LowCardinality(String) CODEC(ZSTD(1)),\n"
    "    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),\n"
    "    LogAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),\n"
    "    EventName String CODEC(ZSTD(1)),\n"
    "\n"
    "    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,\n"
    "    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,\n"
    "    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,\n"
    "    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,\n"
    "    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,\n"
    "    INDEX idx_log_attr_key mapKeys(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,\n"
    "    INDEX idx_log_attr_value mapValues(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,\n"
    "    INDEX idx_body Body TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8\n"
    ") ENGINE = MergeTree()\n"
    "PARTITION BY toDate(TimestampTime)\n"
    "PRIMARY KEY (ServiceName, TimestampTime)\n"
    "ORDER BY (ServiceName, TimestampTime, Timestamp)\n"
    "\n"
    "SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1\n";

/* The columns every metrics table starts with, and its indexes and engine. */
#define METRIC_HEAD(table)                                                              \
    "CREATE TABLE IF NOT EXISTS \"{db}\".\"" table "\"  (\n"                            \
    "    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),\n"      \
    "    ResourceSchemaUrl String CODEC(ZSTD(1)),\n"                                    \
    "    ScopeName String CODEC(ZSTD(1)),\n"                                            \
    "    ScopeVersion String CODEC(ZSTD(1)),\n"                                         \
    "    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),\n"         \
    "    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),\n"                                \
    "    ScopeSchemaUrl String CODEC(ZSTD(1)),\n"                                       \
    "    ServiceName LowCardinality(String) CODEC(ZSTD(1)),\n"                          \
    "    MetricName String CODEC(ZSTD(1)),\n"                                           \
    "    MetricDescription String CODEC(ZSTD(1)),\n"                                    \
    "    MetricUnit String CODEC(ZSTD(1)),\n"                                           \
    "    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),\n"             \
    "    StartTimeUnix DateTime64(9) CODEC(Delta, ZSTD(1)),\n"                          \
    "    TimeUnix DateTime64(9) CODEC(Delta, ZSTD(1)),\n"
#define METRIC_EXEMPLARS                                                                \
    "    Exemplars Nested (\n"                                                          \
    "        FilteredAttributes Map(LowCardinality(String), String),\n"                 \
    "        TimeUnix DateTime64(9),\n"                                                 \
    "        Value Float64,\n"                                                          \
    "        SpanId String,\n"                                                          \
    "        TraceId String\n"                                                          \
    "    ) CODEC(ZSTD(1)),\n"
#define METRIC_TAIL                                                                                  \
    "    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,\n"  \
    "    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,\n" \
    "    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,\n"   \
    "    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,\n" \
    "    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,\n"              \
    "    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1\n"           \
    "    ) ENGINE = MergeTree()\n"                                                                     \
    "    \n"                                                                                           \
    "    PARTITION BY toDate(TimeUnix)\n"                                                              \
    "    ORDER BY (ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix))\n"            \
    "    SETTINGS index_granularity=8192, ttl_only_drop_parts = 1\n"

static const char gauge_ddl[] = METRIC_HEAD("otel_metrics_gauge")
    "    Value Float64 CODEC(ZSTD(1)),\n"
    "    Flags UInt32 CODEC(ZSTD(1)),\n"
    METRIC_EXEMPLARS METRIC_TAIL;

static const char sum_ddl[] = METRIC_HEAD("otel_metrics_sum")
    "    Value Float64 CODEC(ZSTD(1)),\n"
    "    Flags UInt32  CODEC(ZSTD(1)),\n"
    METRIC_EXEMPLARS
    "    AggregationTemporality Int32 CODEC(ZSTD(1)),\n"
    "    IsMonotonic Boolean CODEC(Delta, ZSTD(1)),\n"
    METRIC_TAIL;

static const char histogram_ddl[] = METRIC_HEAD("otel_metrics_histogram")
    "    Count UInt64 CODEC(Delta, ZSTD(1)),\n"
    "    Sum Float64 CODEC(ZSTD(1)),\n"
    "    BucketCounts Array(UInt64) CODEC(ZSTD(1)),\n"
    "    ExplicitBounds Array(Float64) CODEC(ZSTD(1)),\n"
    METRIC_EXEMPLARS
    "    Flags UInt32 CODEC(ZSTD(1)),\n"
    "    Min Float64 CODEC(ZSTD(1)),\n"
    "    Max Float64 CODEC(ZSTD(1)),\n"
    "    AggregationTemporality Int32 CODEC(ZSTD(1)),\n"
    METRIC_TAIL;

static const char exp_histogram_ddl[] = METRIC_HEAD("otel_metrics_exponential_histogram")
    "    Count UInt64 CODEC(Delta, ZSTD(1)),\n"
    "    Sum Float64 CODEC(ZSTD(1)),\n"
    "    Scale Int32 CODEC(ZSTD(1)),\n"
    "    ZeroCount UInt64 CODEC(ZSTD(1)),\n"
    "    PositiveOffset Int32 CODEC(ZSTD(1)),\n"
    "    PositiveBucketCounts Array(UInt64) CODEC(ZSTD(1)),\n"
    "    NegativeOffset Int32 CODEC(ZSTD(1)),\n"
    "    NegativeBucketCounts Array(UInt64) CODEC(ZSTD(1)),\n"
    METRIC_EXEMPLARS
    "    Flags UInt32  CODEC(ZSTD(1)),\n"
    "    Min Float64 CODEC(ZSTD(1)),\n"
    "    Max Float64 CODEC(ZSTD(1)),\n"
    "    AggregationTemporality Int32 CODEC(ZSTD(1)),\n"
    METRIC_TAIL;

static const char summary_ddl[] = METRIC_HEAD("otel_metrics_summary")
    "    Count UInt64 CODEC(Delta, ZSTD(1)),\n"
    "    Sum Float64 CODEC(ZSTD(1)),\n"
    "    ValueAtQuantiles Nested(\n"
    "        Quantile Float64,\n"
    "        Value Float64\n"
    "    ) CODEC(ZSTD(1)),\n"
    "    Flags UInt32  CODEC(ZSTD(1)),\n"
    METRIC_TAIL;

static const struct {
    const char *name, *ddl, *columns;
} tables[CR__TABLES] = {
    [CR_LOGS] = {"otel_logs", logs_ddl,
                 "Timestamp, TraceId, SpanId, TraceFlags, SeverityText, SeverityNumber, ServiceName, Body, "
                 "ResourceSchemaUrl, ResourceAttributes, ScopeSchemaUrl, ScopeName, ScopeVersion, ScopeAttributes, "
                 "LogAttributes, EventName"},
#define HEAD_COLS                                                                                            \
    "ResourceAttributes, ResourceSchemaUrl, ScopeName, ScopeVersion, ScopeAttributes, ScopeDroppedAttrCount, " \
    "ScopeSchemaUrl, ServiceName, MetricName, MetricDescription, MetricUnit, Attributes, StartTimeUnix, TimeUnix, "
#define EX_COLS "Exemplars.FilteredAttributes, Exemplars.TimeUnix, Exemplars.Value, Exemplars.SpanId, Exemplars.TraceId"
    [CR_GAUGE] = {"otel_metrics_gauge", gauge_ddl, HEAD_COLS "Value, Flags, " EX_COLS},
    [CR_SUM] = {"otel_metrics_sum", sum_ddl, HEAD_COLS "Value, Flags, " EX_COLS ", AggregationTemporality, IsMonotonic"},
    [CR_HISTOGRAM] = {"otel_metrics_histogram", histogram_ddl,
                      HEAD_COLS "Count, Sum, BucketCounts, ExplicitBounds, " EX_COLS
                                ", Flags, Min, Max, AggregationTemporality"},
    [CR_EXP_HISTOGRAM] = {"otel_metrics_exponential_histogram", exp_histogram_ddl,
                          HEAD_COLS "Count, Sum, Scale, ZeroCount, PositiveOffset, PositiveBucketCounts, "
                                    "NegativeOffset, NegativeBucketCounts, " EX_COLS
                                    ", Flags, Min, Max, AggregationTemporality"},
    [CR_SUMMARY] = {"otel_metrics_summary", summary_ddl,
                    HEAD_COLS "Count, Sum, ValueAtQuantiles.Quantile, ValueAtQuantiles.Value, Flags"},
};

const char *cr_table_name(cr_table_t t) { return t < CR__TABLES ? tables[t].name : ""; }
const char *cr_insert_columns(cr_table_t t) { return t < CR__TABLES ? tables[t].columns : ""; }

void cr_ddl(ol_buf_t *b, cr_table_t t, const char *db)
{
    if (t >= CR__TABLES) return;
    const char *p = tables[t].ddl, *hit;
    while ((hit = strstr(p, "{db}")) != NULL) {
        ol_buf_append(b, p, (size_t)(hit - p));
        ol_buf_append_cstr(b, db);
        p = hit + 4;
    }
    ol_buf_append_cstr(b, p);
}

/* ---- Go's rendering of values ---- */

/* strconv.AppendFloat(f, fmt, -1, 64): the shortest digits that round-trip. */
static void shortest_digits(double f, char *digits, int *ndig, int *exp10)
{
    char tmp[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, f);
        if (strtod(tmp, NULL) == f || p == 17) break;
    }
    /* tmp: [-]d[.ddd]e[+-]XX */
    const char *s = tmp;
    if (*s == '-') s++;
    int n = 0;
    for (; *s && *s != 'e'; s++)
        if (*s != '.') digits[n++] = *s;
    /* trim trailing zeros (shortest form never has them, except for "0") */
    while (n > 1 && digits[n - 1] == '0') n--;
    digits[n] = 0;
    *ndig = n;
    *exp10 = atoi(s + 1);
}

/* Go's float64AsString / encoding/json float encoding (ES6 number formatting). */
static void go_float(ol_buf_t *b, double f)
{
    char digits[32];
    int n, e;
    if (f == 0) {
        ol_buf_append_cstr(b, signbit(f) ? "-0" : "0");
        return;
    }
    if (f < 0) ol_buf_append_u8(b, '-');
    double a = fabs(f);
    shortest_digits(a, digits, &n, &e);
    if (a < 1e-6 || a >= 1e21) { /* 'e' */
        ol_buf_append_u8(b, (uint8_t)digits[0]);
        if (n > 1) {
            ol_buf_append_u8(b, '.');
            ol_buf_append(b, digits + 1, (size_t)n - 1);
        }
        /* Go writes at least two exponent digits, then the JSON encoder (and
         * float64AsString) turns e-07 into e-7. */
        if (e < 0 && e > -10) ol_buf_printf(b, "e-%d", -e);
        else ol_buf_printf(b, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
        return;
    }
    if (e < 0) { /* 0.000ddd */
        ol_buf_append_cstr(b, "0.");
        for (int i = -1; i > e; i--) ol_buf_append_u8(b, '0');
        ol_buf_append(b, digits, (size_t)n);
    } else if (e >= n - 1) { /* ddd000 */
        ol_buf_append(b, digits, (size_t)n);
        for (int i = n - 1; i < e; i++) ol_buf_append_u8(b, '0');
    } else {
        ol_buf_append(b, digits, (size_t)e + 1);
        ol_buf_append_u8(b, '.');
        ol_buf_append(b, digits + e + 1, (size_t)(n - e - 1));
    }
}

/* encoding/json string with HTMLEscape on (the default of json.Marshal). */
static void go_json_str(ol_buf_t *b, ol_slice_t s)
{
    static const char hex[] = "0123456789abcdef";
    ol_buf_append_u8(b, '"');
    const uint8_t *p = s.ptr, *end = s.ptr + s.len;
    while (p < end) {
        uint8_t c = *p;
        if (c < 0x80) {
            if (c == '"' || c == '\\') {
                ol_buf_append_u8(b, '\\');
                ol_buf_append_u8(b, c);
            } else if (c == '\n') ol_buf_append_cstr(b, "\\n");
            else if (c == '\r') ol_buf_append_cstr(b, "\\r");
            else if (c == '\t') ol_buf_append_cstr(b, "\\t");
            else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
                ol_buf_append_cstr(b, "\\u00");
                ol_buf_append_u8(b, (uint8_t)hex[c >> 4]);
                ol_buf_append_u8(b, (uint8_t)hex[c & 15]);
            } else ol_buf_append_u8(b, c);
            p++;
            continue;
        }
        /* a UTF-8 sequence: validate it as Go's utf8.DecodeRune does */
        uint32_t rune = 0;
        int len = 0;
        if (c >= 0xc2 && c <= 0xdf) len = 2, rune = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef) len = 3, rune = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4) len = 4, rune = c & 0x07;
        bool ok = len > 0 && end - p >= len;
        for (int i = 1; ok && i < len; i++) {
            if ((p[i] & 0xc0) != 0x80) ok = false;
            else rune = rune << 6 | (p[i] & 0x3f);
        }
        if (ok && ((len == 3 && (rune < 0x800 || (rune >= 0xd800 && rune <= 0xdfff))) ||
                   (len == 4 && (rune < 0x10000 || rune > 0x10ffff))))
            ok = false;
        if (!ok) {
            ol_buf_append_cstr(b, "\\ufffd");
            p++;
            continue;
        }
        if (rune == 0x2028 || rune == 0x2029) ol_buf_printf(b, "\\u%04x", rune);
        else ol_buf_append(b, p, (size_t)len);
        p += len;
    }
    ol_buf_append_u8(b, '"');
}

static bool go_json_any(ol_buf_t *b, ol_slice_t av, int depth);

typedef struct {
    ol_slice_t key, value;
} kv_t;

static int kv_cmp(const void *x, const void *y)
{
    const kv_t *a = x, *c = y;
    size_t n = OL_MIN(a->key.len, c->key.len);
    int r = n ? memcmp(a->key.ptr, c->key.ptr, n) : 0;
    return r ? r : (a->key.len > c->key.len) - (a->key.len < c->key.len);
}

/* AsRaw() then json.Marshal. false when Marshal would fail (NaN, Inf, depth). */
static bool go_json_any(ol_buf_t *b, ol_slice_t av, int depth)
{
    if (depth > 64) return false;
    ol_otlp_any_t v;
    ol_otlp_any_parse(av, &v);
    switch (v.kind) {
    case 1: go_json_str(b, v.bytes); return true;
    case 2: ol_buf_append_cstr(b, v.u64 ? "true" : "false"); return true;
    case 3: ol_buf_printf(b, "%lld", (long long)(int64_t)v.u64); return true;
    case 4: {
        double d = ol_pb_as_double(v.u64);
        if (isnan(d) || isinf(d)) return false;
        go_float(b, d);
        return true;
    }
    case 7:
        ol_buf_append_u8(b, '"');
        ol_buf_append_base64(b, v.bytes.ptr, v.bytes.len);
        ol_buf_append_u8(b, '"');
        return true;
    case 5: { /* ArrayValue.values = 1 */
        ol_pb_reader_t r;
        ol_pb_field_value_t f;
        bool first = true;
        ol_buf_append_u8(b, '[');
        ol_pb_reader_init(&r, v.bytes);
        while (ol_pb_next(&r, &f) == OL_OK) {
            if (f.number != 1 || f.wire_type != OL_PB_LEN) continue;
            if (!first) ol_buf_append_u8(b, ',');
            first = false;
            if (!go_json_any(b, f.bytes, depth + 1)) return false;
        }
        ol_buf_append_u8(b, ']');
        return true;
    }
    case 6: { /* KeyValueList.values = 1: a Go map, so the last of a repeated key wins, keys sorted */
        kv_t *kvs = NULL;
        size_t n = 0, cap = 0;
        ol_pb_reader_t r;
        ol_pb_field_value_t f;
        ol_pb_reader_init(&r, v.bytes);
        while (ol_pb_next(&r, &f) == OL_OK) {
            if (f.number != 1 || f.wire_type != OL_PB_LEN) continue;
            kv_t e = {OL_SLICE_LIT(""), OL_SLICE_NULL};
            ol_pb_reader_t r2;
            ol_pb_field_value_t g;
            ol_pb_reader_init(&r2, f.bytes);
            while (ol_pb_next(&r2, &g) == OL_OK) {
                if (g.wire_type != OL_PB_LEN) continue;
                if (g.number == 1) e.key = g.bytes;
                else if (g.number == 2) e.value = g.bytes;
            }
            size_t j = 0;
            while (j < n && !ol_slice_eq(kvs[j].key, e.key)) j++;
            if (j < n) {
                kvs[j].value = e.value;
                continue;
            }
            if (n == cap) {
                cap = cap ? cap * 2 : 8;
                kv_t *nk = realloc(kvs, cap * sizeof *nk);
                if (!nk) {
                    free(kvs);
                    b->err = OL_NOMEM;
                    return false;
                }
                kvs = nk;
            }
            kvs[n++] = e;
        }
        if (n) qsort(kvs, n, sizeof *kvs, kv_cmp);
        ol_buf_append_u8(b, '{');
        bool ok = true;
        for (size_t i = 0; ok && i < n; i++) {
            if (i) ol_buf_append_u8(b, ',');
            go_json_str(b, kvs[i].key);
            ol_buf_append_u8(b, ':');
            ok = go_json_any(b, kvs[i].value, depth + 1);
        }
        ol_buf_append_u8(b, '}');
        free(kvs);
        return ok;
    }
    default: ol_buf_append_cstr(b, "null"); return true;
    }
}

void cr_go_as_string(ol_slice_t any_value, ol_buf_t *b)
{
    ol_otlp_any_t v;
    ol_otlp_any_parse(any_value, &v);
    size_t mark = b->len;
    switch (v.kind) {
    case 1: ol_buf_append_slice(b, v.bytes); break;
    case 2: ol_buf_append_cstr(b, v.u64 ? "true" : "false"); break;
    case 3: ol_buf_printf(b, "%lld", (long long)(int64_t)v.u64); break;
    case 4: {
        double d = ol_pb_as_double(v.u64);
        if (isnan(d)) ol_buf_append_cstr(b, "json: unsupported value: NaN");
        else if (isinf(d)) ol_buf_append_cstr(b, d > 0 ? "json: unsupported value: +Inf" : "json: unsupported value: -Inf");
        else go_float(b, d);
        break;
    }
    case 5:
    case 6:
        if (!go_json_any(b, any_value, 1) && b->err == OL_OK) b->len = mark;
        break;
    case 7: ol_buf_append_base64(b, v.bytes.ptr, v.bytes.len); break;
    default: break;
    }
}

/* ---- RowBinary ---- */

static void rb_str(ol_buf_t *b, ol_slice_t s)
{
    ol_pb_put_varint(b, s.len);
    ol_buf_append_slice(b, s);
}
static void rb_u64(ol_buf_t *b, uint64_t v)
{
    uint8_t x[8];
    ol_store_le64(x, v);
    ol_buf_append(b, x, 8);
}
static void rb_u32(ol_buf_t *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    ol_buf_append(b, x, 4);
}
static void rb_f64(ol_buf_t *b, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, 8);
    rb_u64(b, bits);
}
static void rb_hex(ol_buf_t *b, ol_slice_t id, bool empty_when_zero)
{
    bool zero = true;
    for (size_t i = 0; i < id.len; i++)
        if (id.ptr[i]) zero = false;
    if (zero && empty_when_zero) {
        rb_str(b, OL_SLICE_LIT(""));
        return;
    }
    char hex[65];
    size_t n = OL_MIN(id.len, 32);
    ol_hex_encode(hex, id.ptr, n);
    rb_str(b, ol_slice(hex, n * 2));
}
/* Fixed-size pdata ids: absent = all zeros of that width. */
static void rb_hex_fixed(ol_buf_t *b, ol_slice_t id, size_t width)
{
    uint8_t z[16] = {0};
    if (id.len != width) id = ol_slice(z, width);
    rb_hex(b, id, false);
}

typedef struct {
    ol_buf_t entries, value, starts; /* starts: size_t offset of each entry in entries */
    uint64_t count;
} map_t;

static int map_cb(void *ud, ol_slice_t key, ol_slice_t any_value)
{
    map_t *m = ud;
    size_t at = m->entries.len;
    ol_buf_append(&m->starts, &at, sizeof at);
    ol_buf_reset(&m->value);
    cr_go_as_string(any_value, &m->value);
    rb_str(&m->entries, key);
    rb_str(&m->entries, ol_buf_slice(&m->value));
    m->count++;
    return OL_OK;
}

/* The RowBinary string at p: its bytes, and where the next field starts. */
static ol_slice_t rb_read_str(const uint8_t *p, const uint8_t *end, const uint8_t **next)
{
    uint64_t n = 0;
    int shift = 0;
    while (p < end && shift < 64) {
        uint8_t b = *p++;
        n |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) break;
        shift += 7;
    }
    if (n > (uint64_t)(end - p)) n = (uint64_t)(end - p);
    *next = p + n;
    return ol_slice(p, (size_t)n);
}

static int key_before(ol_slice_t a, ol_slice_t b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    return c ? c > 0 : a.len > b.len;
}

/* The KeyValue list `field` of msg as a Map(String, String), sorted by key
 * (stably), as the exporter's clickhouse-go orderedmap.CollectN writes it. */
static int rb_map(ol_buf_t *out, ol_slice_t msg, uint32_t field)
{
    map_t m;
    ol_buf_init(&m.entries, OL_MEM_CODEC, 0);
    ol_buf_init(&m.value, OL_MEM_CODEC, 0);
    ol_buf_init(&m.starts, OL_MEM_CODEC, 0);
    m.count = 0;
    int rc = ol_otlp_each_attribute(msg, field, map_cb, &m);
    if (rc == OL_OK) rc = m.entries.err ? m.entries.err : m.value.err ? m.value.err : m.starts.err;
    if (rc == OL_OK) {
        size_t n = (size_t)m.count, *at = (size_t *)m.starts.data;
        const uint8_t *end = m.entries.data + m.entries.len, *skip;
        for (size_t i = 1; i < n; i++) {
            size_t v = at[i], j = i;
            ol_slice_t k = rb_read_str(m.entries.data + v, end, &skip);
            while (j > 0 && key_before(rb_read_str(m.entries.data + at[j - 1], end, &skip), k)) {
                at[j] = at[j - 1];
                j--;
            }
            at[j] = v;
        }
        ol_pb_put_varint(out, m.count);
        for (size_t i = 0; i < n; i++) {
            const uint8_t *p = m.entries.data + at[i], *after;
            rb_read_str(p, end, &after);
            rb_read_str(after, end, &after);
            ol_buf_append(out, p, (size_t)(after - p));
        }
    }
    ol_buf_free(&m.entries);
    ol_buf_free(&m.value);
    ol_buf_free(&m.starts);
    return rc;
}

static ol_slice_t pb_len(ol_slice_t msg, uint32_t number)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_slice_t v = OL_SLICE_LIT("");
    ol_pb_reader_init(&r, msg);
    while (ol_pb_next(&r, &f) == OL_OK)
        if (f.number == number && f.wire_type == OL_PB_LEN) v = f.bytes;
    return v;
}

/* The last scalar field `number` (any non-LEN wire type): raw bits, *found. */
static uint64_t pb_scalar(ol_slice_t msg, uint32_t number, bool *found)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    uint64_t v = 0;
    bool seen = false;
    ol_pb_reader_init(&r, msg);
    while (ol_pb_next(&r, &f) == OL_OK)
        if (f.number == number && f.wire_type != OL_PB_LEN) v = f.u64, seen = true;
    if (found) *found = seen;
    return v;
}

/* AsString of the resource's service.name (the first one), or "". */
typedef struct {
    ol_buf_t *out;
    bool done;
} svc_t;
static int svc_cb(void *ud, ol_slice_t key, ol_slice_t any_value)
{
    svc_t *s = ud;
    if (!s->done && ol_slice_eq_cstr(key, "service.name")) {
        cr_go_as_string(any_value, s->out);
        s->done = true;
    }
    return OL_OK;
}
static void rb_service(ol_buf_t *out, ol_slice_t resource)
{
    ol_buf_t v;
    ol_buf_init(&v, OL_MEM_CODEC, 0);
    svc_t s = {&v, false};
    ol_otlp_each_attribute(resource, 1, svc_cb, &s);
    rb_str(out, ol_buf_slice(&v));
    if (v.err) out->err = v.err;
    ol_buf_free(&v);
}

int cr_log_row(ol_buf_t *out, const ol_otlp_log_t *l)
{
    const ol_otlp_origin_t *o = l->origin;
    ol_slice_t raw = l->raw;
    int rc;
    rb_u64(out, l->time_ns ? l->time_ns : l->observed_ns);
    /* ids from the record itself (the decoder unlinks invalid ones; pdata would refuse them) */
    rb_hex(out, pb_len(raw, 9), true);
    rb_hex(out, pb_len(raw, 10), true);
    ol_buf_append_u8(out, (uint8_t)pb_scalar(raw, 8, NULL));
    rb_str(out, l->severity_text);
    ol_buf_append_u8(out, (uint8_t)(int32_t)l->severity_number);
    rb_service(out, o->resource);
    ol_buf_t body;
    ol_buf_init(&body, OL_MEM_CODEC, 0);
    cr_go_as_string(pb_len(raw, 5), &body);
    rb_str(out, ol_buf_slice(&body));
    rc = body.err;
    ol_buf_free(&body);
    rb_str(out, o->resource_schema_url);
    if (rc == OL_OK) rc = rb_map(out, o->resource, 1);
    rb_str(out, o->scope_schema_url);
    rb_str(out, pb_len(o->scope, 1));
    rb_str(out, pb_len(o->scope, 2));
    if (rc == OL_OK) rc = rb_map(out, o->scope, 3);
    if (rc == OL_OK) rc = rb_map(out, raw, 6);
    rb_str(out, pb_len(raw, 12));
    return rc != OL_OK ? rc : out->err;
}

/* ---- metrics ---- */

/* Packed or unpacked repeated fixed64 / varint values of field `number`. */
typedef struct {
    uint64_t *v;
    size_t n, cap;
} u64s_t;
static int u64s_push(u64s_t *a, uint64_t x)
{
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 16;
        uint64_t *nv = realloc(a->v, nc * sizeof *nv);
        if (!nv) return OL_NOMEM;
        a->v = nv;
        a->cap = nc;
    }
    a->v[a->n++] = x;
    return OL_OK;
}
static int repeated(ol_slice_t msg, uint32_t number, bool fixed, u64s_t *out)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, msg);
    int rc;
    while ((rc = ol_pb_next(&r, &f)) == OL_OK) {
        if (f.number != number) continue;
        if (f.wire_type != OL_PB_LEN) {
            if (u64s_push(out, f.u64) != OL_OK) return OL_NOMEM;
            continue;
        }
        const uint8_t *p = f.bytes.ptr, *end = f.bytes.ptr + f.bytes.len;
        while (p < end) {
            uint64_t x;
            if (fixed) {
                if (end - p < 8) return OL_CORRUPT;
                x = ol_load_le64(p);
                p += 8;
            } else if (ol_pb_read_varint(&p, end, &x) != OL_OK) return OL_CORRUPT;
            if (u64s_push(out, x) != OL_OK) return OL_NOMEM;
        }
    }
    return rc == OL_NOTFOUND ? OL_OK : rc;
}

/* Common head columns of a metrics row. */
static int metric_head(ol_buf_t *b, const ol_otlp_metric_t *m, ol_slice_t dp, uint32_t attr_field)
{
    const ol_otlp_origin_t *o = m->origin;
    int rc = rb_map(b, o->resource, 1);
    rb_str(b, o->resource_schema_url);
    rb_str(b, pb_len(o->scope, 1));
    rb_str(b, pb_len(o->scope, 2));
    if (rc == OL_OK) rc = rb_map(b, o->scope, 3);
    rb_u32(b, (uint32_t)pb_scalar(o->scope, 4, NULL));
    rb_str(b, o->scope_schema_url);
    rb_service(b, o->resource);
    rb_str(b, m->name);
    rb_str(b, m->description);
    rb_str(b, m->unit);
    if (rc == OL_OK) rc = rb_map(b, dp, attr_field);
    rb_u64(b, pb_scalar(dp, 2, NULL));
    rb_u64(b, pb_scalar(dp, 3, NULL));
    return rc;
}

/* getValue: as_double (field d) or float64(as_int) (field i), else 0. The
 * oneof's last field wins. */
static double point_value(ol_slice_t msg, uint32_t d, uint32_t i)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    double v = 0;
    ol_pb_reader_init(&r, msg);
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.number == d && f.wire_type == OL_PB_I64) v = ol_pb_as_double(f.u64);
        else if (f.number == i && f.wire_type == OL_PB_I64) v = (double)(int64_t)f.u64;
    }
    return v;
}

/* Exemplars (repeated field `field` of the point) as the five Nested arrays. */
static int exemplars(ol_buf_t *b, ol_slice_t dp, uint32_t field)
{
    ol_slice_t ex[256];
    size_t n = 0;
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, dp);
    while (ol_pb_next(&r, &f) == OL_OK)
        if (f.number == field && f.wire_type == OL_PB_LEN && n < OL_ARRAY_LEN(ex)) ex[n++] = f.bytes;
    int rc = OL_OK;
    ol_pb_put_varint(b, n);
    for (size_t i = 0; rc == OL_OK && i < n; i++) rc = rb_map(b, ex[i], 7);
    ol_pb_put_varint(b, n);
    for (size_t i = 0; i < n; i++) rb_u64(b, pb_scalar(ex[i], 2, NULL));
    ol_pb_put_varint(b, n);
    for (size_t i = 0; i < n; i++) rb_f64(b, point_value(ex[i], 3, 6));
    ol_pb_put_varint(b, n);
    for (size_t i = 0; i < n; i++) rb_hex_fixed(b, pb_len(ex[i], 4), 8);
    ol_pb_put_varint(b, n);
    for (size_t i = 0; i < n; i++) rb_hex_fixed(b, pb_len(ex[i], 5), 16);
    return rc;
}

static double pb_double(ol_slice_t msg, uint32_t number)
{
    bool found;
    uint64_t bits = pb_scalar(msg, number, &found);
    return found ? ol_pb_as_double(bits) : 0.0;
}

static int64_t zigzag32(uint64_t v) { return (int32_t)((uint32_t)(v >> 1) ^ -(uint32_t)(v & 1)); }

static int metric_point(ol_buf_t *b, const ol_otlp_metric_t *m, ol_slice_t dp, int32_t temporality, bool monotonic)
{
    int rc = OL_OK;
    switch (m->type) {
    case OL_METRIC_GAUGE:
    case OL_METRIC_SUM:
        rc = metric_head(b, m, dp, 7);
        rb_f64(b, point_value(dp, 4, 6));
        rb_u32(b, (uint32_t)pb_scalar(dp, 8, NULL));
        if (rc == OL_OK) rc = exemplars(b, dp, 5);
        if (m->type == OL_METRIC_SUM) {
            rb_u32(b, (uint32_t)temporality);
            ol_buf_append_u8(b, monotonic);
        }
        break;
    case OL_METRIC_HISTOGRAM: {
        rc = metric_head(b, m, dp, 9);
        rb_u64(b, pb_scalar(dp, 4, NULL));
        rb_f64(b, pb_double(dp, 5));
        u64s_t counts = {0}, bounds = {0};
        if (rc == OL_OK) rc = repeated(dp, 6, true, &counts);
        if (rc == OL_OK) rc = repeated(dp, 7, true, &bounds);
        if (rc == OL_OK) {
            ol_pb_put_varint(b, counts.n);
            for (size_t i = 0; i < counts.n; i++) rb_u64(b, counts.v[i]);
            ol_pb_put_varint(b, bounds.n);
            for (size_t i = 0; i < bounds.n; i++) rb_u64(b, bounds.v[i]);
            rc = exemplars(b, dp, 8);
        }
        free(counts.v);
        free(bounds.v);
        rb_u32(b, (uint32_t)pb_scalar(dp, 10, NULL));
        rb_f64(b, pb_double(dp, 11));
        rb_f64(b, pb_double(dp, 12));
        rb_u32(b, (uint32_t)temporality);
        break;
    }
    case OL_METRIC_EXP_HISTOGRAM: {
        rc = metric_head(b, m, dp, 1);
        rb_u64(b, pb_scalar(dp, 4, NULL));
        rb_f64(b, pb_double(dp, 5));
        rb_u32(b, (uint32_t)zigzag32(pb_scalar(dp, 6, NULL)));
        rb_u64(b, pb_scalar(dp, 7, NULL));
        for (uint32_t side = 8; rc == OL_OK && side <= 9; side++) {
            ol_slice_t bk = pb_len(dp, side);
            u64s_t counts = {0};
            rb_u32(b, (uint32_t)zigzag32(pb_scalar(bk, 1, NULL)));
            rc = repeated(bk, 2, false, &counts);
            ol_pb_put_varint(b, counts.n);
            for (size_t i = 0; i < counts.n; i++) rb_u64(b, counts.v[i]);
            free(counts.v);
        }
        if (rc == OL_OK) rc = exemplars(b, dp, 11);
        rb_u32(b, (uint32_t)pb_scalar(dp, 10, NULL));
        rb_f64(b, pb_double(dp, 12));
        rb_f64(b, pb_double(dp, 13));
        rb_u32(b, (uint32_t)temporality);
        break;
    }
    case OL_METRIC_SUMMARY: {
        rc = metric_head(b, m, dp, 7);
        rb_u64(b, pb_scalar(dp, 4, NULL));
        rb_f64(b, pb_double(dp, 5));
        ol_slice_t qv[256];
        size_t n = 0;
        ol_pb_reader_t r;
        ol_pb_field_value_t f;
        ol_pb_reader_init(&r, dp);
        while (ol_pb_next(&r, &f) == OL_OK)
            if (f.number == 6 && f.wire_type == OL_PB_LEN && n < OL_ARRAY_LEN(qv)) qv[n++] = f.bytes;
        ol_pb_put_varint(b, n);
        for (size_t i = 0; i < n; i++) rb_f64(b, pb_double(qv[i], 1));
        ol_pb_put_varint(b, n);
        for (size_t i = 0; i < n; i++) rb_f64(b, pb_double(qv[i], 2));
        rb_u32(b, (uint32_t)pb_scalar(dp, 8, NULL));
        break;
    }
    default: break;
    }
    return rc != OL_OK ? rc : b->err;
}

int cr_metric_rows(ol_buf_t *out[CR__TABLES], uint64_t rows[CR__TABLES], const ol_otlp_metric_t *m)
{
    cr_table_t t;
    switch (m->type) {
    case OL_METRIC_GAUGE: t = CR_GAUGE; break;
    case OL_METRIC_SUM: t = CR_SUM; break;
    case OL_METRIC_HISTOGRAM: t = CR_HISTOGRAM; break;
    case OL_METRIC_EXP_HISTOGRAM: t = CR_EXP_HISTOGRAM; break;
    case OL_METRIC_SUMMARY: t = CR_SUMMARY; break;
    default: return OL_OK;
    }
    bool has_temporality;
    int32_t temporality = (int32_t)pb_scalar(m->data, 2, &has_temporality);
    bool monotonic = m->type == OL_METRIC_SUM && pb_scalar(m->data, 3, NULL) != 0;
    if (m->type == OL_METRIC_GAUGE || m->type == OL_METRIC_SUMMARY) temporality = 0;
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, m->data);
    int rc = OL_OK;
    while (rc == OL_OK && ol_pb_next(&r, &f) == OL_OK) {
        if (f.number != 1 || f.wire_type != OL_PB_LEN) continue;
        rc = metric_point(out[t], m, f.bytes, temporality, monotonic);
        rows[t]++;
    }
    return rc;
}
