/*
 * vec.c - SQL types and vector allocation (see vec.h).
 */
#include "sql/vec.h"

static const char *const type_names[OL_SQL__TYPES] = {
    [OL_SQL_UINT8] = "UInt8",
    [OL_SQL_UINT16] = "UInt16",
    [OL_SQL_UINT32] = "UInt32",
    [OL_SQL_UINT64] = "UInt64",
    [OL_SQL_INT8] = "Int8",
    [OL_SQL_INT16] = "Int16",
    [OL_SQL_INT32] = "Int32",
    [OL_SQL_INT64] = "Int64",
    [OL_SQL_BOOL] = "Bool",
    [OL_SQL_FLOAT64] = "Float64",
    [OL_SQL_STRING] = "String",
    [OL_SQL_DATE] = "Date",
    [OL_SQL_DATETIME] = "DateTime",
    [OL_SQL_DATETIME64] = "DateTime64(9)",
    [OL_SQL_INTERVAL_NANOSECOND] = "IntervalNanosecond",
    [OL_SQL_INTERVAL_MICROSECOND] = "IntervalMicrosecond",
    [OL_SQL_INTERVAL_MILLISECOND] = "IntervalMillisecond",
    [OL_SQL_INTERVAL_SECOND] = "IntervalSecond",
    [OL_SQL_INTERVAL_MINUTE] = "IntervalMinute",
    [OL_SQL_INTERVAL_HOUR] = "IntervalHour",
    [OL_SQL_INTERVAL_DAY] = "IntervalDay",
    [OL_SQL_INTERVAL_WEEK] = "IntervalWeek",
    [OL_SQL_INTERVAL_MONTH] = "IntervalMonth",
    [OL_SQL_INTERVAL_QUARTER] = "IntervalQuarter",
    [OL_SQL_INTERVAL_YEAR] = "IntervalYear",
    [OL_SQL_MAP] = "Map(String, String)",
    [OL_SQL_ARRAY_UINT8] = "Array(UInt8)",
    [OL_SQL_ARRAY_UINT64] = "Array(UInt64)",
    [OL_SQL_ARRAY_INT64] = "Array(Int64)",
    [OL_SQL_ARRAY_FLOAT64] = "Array(Float64)",
    [OL_SQL_ARRAY_STRING] = "Array(String)",
    [OL_SQL_ARRAY_DATETIME64] = "Array(DateTime64(9))",
    [OL_SQL_ARRAY_MAP] = "Array(Map(String, String))",
};

const char *ol_sql_type_name(ol_sql_type_t t)
{
    return (unsigned)t < OL_SQL__TYPES && type_names[t] ? type_names[t] : "?";
}

bool ol_sql_type_is_int(ol_sql_type_t t) { return t <= OL_SQL_BOOL; }
bool ol_sql_type_is_signed(ol_sql_type_t t) { return t >= OL_SQL_INT8 && t <= OL_SQL_INT64; }
bool ol_sql_type_is_number(ol_sql_type_t t) { return t <= OL_SQL_FLOAT64; }
bool ol_sql_type_is_time(ol_sql_type_t t) { return t == OL_SQL_DATE || t == OL_SQL_DATETIME || t == OL_SQL_DATETIME64; }
bool ol_sql_type_is_interval(ol_sql_type_t t) { return t >= OL_SQL_INTERVAL_NANOSECOND && t <= OL_SQL_INTERVAL_YEAR; }
bool ol_sql_type_is_array(ol_sql_type_t t) { return t >= OL_SQL_ARRAY_UINT8 && t <= OL_SQL_ARRAY_MAP; }

ol_sql_type_t ol_sql_type_elem(ol_sql_type_t t)
{
    switch (t) {
    case OL_SQL_ARRAY_UINT8: return OL_SQL_UINT8;
    case OL_SQL_ARRAY_UINT64: return OL_SQL_UINT64;
    case OL_SQL_ARRAY_INT64: return OL_SQL_INT64;
    case OL_SQL_ARRAY_FLOAT64: return OL_SQL_FLOAT64;
    case OL_SQL_ARRAY_STRING: return OL_SQL_STRING;
    case OL_SQL_ARRAY_DATETIME64: return OL_SQL_DATETIME64;
    case OL_SQL_ARRAY_MAP: return OL_SQL_MAP;
    default: return t;
    }
}

char ol_sql_type_repr(ol_sql_type_t t)
{
    if (t == OL_SQL_FLOAT64) return 'f';
    if (t == OL_SQL_STRING) return 's';
    if (t == OL_SQL_MAP) return 'm';
    if (ol_sql_type_is_array(t)) return 'a';
    return 'i';
}

int ol_sql_vec_alloc(ol_sql_ctx_t *cx, ol_sql_vec_t *v, ol_sql_type_t t, uint32_t n)
{
    memset(v, 0, sizeof *v);
    v->type = t;
    v->n = n;
    size_t k = n ? n : 1;
    switch (ol_sql_type_repr(t)) {
    case 'f': v->f = ol_arena_alloc(cx->arena, k * sizeof *v->f); return v->f ? OL_OK : OL_NOMEM;
    case 's': v->s = ol_arena_alloc(cx->arena, k * sizeof *v->s); return v->s ? OL_OK : OL_NOMEM;
    case 'm':
    case 'a': v->off = ol_arena_calloc(cx->arena, (size_t)(n + 1) * sizeof *v->off); return v->off ? OL_OK : OL_NOMEM;
    default: v->i = ol_arena_alloc(cx->arena, k * sizeof *v->i); return v->i ? OL_OK : OL_NOMEM;
    }
}

int ol_sql_vec_const_int(ol_sql_ctx_t *cx, ol_sql_vec_t *v, ol_sql_type_t t, int64_t x)
{
    int rc = ol_sql_vec_alloc(cx, v, t, 1);
    if (rc != OL_OK) return rc;
    v->i[0] = x;
    v->is_const = true;
    return OL_OK;
}

int ol_sql_vec_const_float(ol_sql_ctx_t *cx, ol_sql_vec_t *v, double x)
{
    int rc = ol_sql_vec_alloc(cx, v, OL_SQL_FLOAT64, 1);
    if (rc != OL_OK) return rc;
    v->f[0] = x;
    v->is_const = true;
    return OL_OK;
}

int ol_sql_vec_const_str(ol_sql_ctx_t *cx, ol_sql_vec_t *v, ol_slice_t s)
{
    int rc = ol_sql_vec_alloc(cx, v, OL_SQL_STRING, 1);
    if (rc != OL_OK) return rc;
    v->s[0] = s;
    v->is_const = true;
    return OL_OK;
}
