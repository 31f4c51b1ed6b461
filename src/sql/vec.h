/*
 * vec.h - values of Olly's SQL: types, column vectors, and the scalar
 * function table.
 *
 * Execution is vectorised: a table scan hands over batches of rows as one
 * vector per column, and every expression is evaluated over a whole batch
 * at once. A vector is a typed array of n values; a constant vector holds
 * one value that stands for every row of the batch (literals, now(), folded
 * constant expressions), so functions need not copy constants out.
 *
 * Types are ClickHouse's, those of the OpenTelemetry Collector ClickHouse
 * exporter's tables and of the functions Olly runs (docs/sql.md); their
 * names (ol_sql_type_name) are ClickHouse's. Physical layout per type:
 *   integers, BOOL, DATE (days), DATETIME (seconds), DATETIME64 (DateTime64(9),
 *   nanoseconds), INTERVAL_* (a count of the unit)    -> i[] (UInt64 as its bits)
 *   FLOAT64                                             -> f[]
 *   STRING                                              -> s[] (slices; bytes, not text)
 *   MAP (Map(String, String))    -> off[n+1]; row r's entries are [off[r], off[r+1])
 *                                   of keys and vals (two STRING vectors)
 *   ARRAY_* -> off[n+1]; row r's elements are [off[r], off[r+1]) of vals
 *              (a vector of the element type; ARRAY_MAP's vals is a MAP vector)
 *
 * Memory: vectors and what they point to live in the arena of the batch or
 * of the query (ol_sql_ctx_t.arena); nothing is freed one by one.
 */
#ifndef OL_SQL_VEC_H
#define OL_SQL_VEC_H

#include "core/arena.h"
#include "core/common.h"

typedef enum {
    OL_SQL_UINT8, OL_SQL_UINT16, OL_SQL_UINT32, OL_SQL_UINT64,
    OL_SQL_INT8, OL_SQL_INT16, OL_SQL_INT32, OL_SQL_INT64,
    OL_SQL_BOOL,
    OL_SQL_FLOAT64,
    OL_SQL_STRING,
    OL_SQL_DATE,
    OL_SQL_DATETIME,
    OL_SQL_DATETIME64,
    OL_SQL_INTERVAL_NANOSECOND, OL_SQL_INTERVAL_MICROSECOND, OL_SQL_INTERVAL_MILLISECOND,
    OL_SQL_INTERVAL_SECOND, OL_SQL_INTERVAL_MINUTE, OL_SQL_INTERVAL_HOUR, OL_SQL_INTERVAL_DAY,
    OL_SQL_INTERVAL_WEEK, OL_SQL_INTERVAL_MONTH, OL_SQL_INTERVAL_QUARTER, OL_SQL_INTERVAL_YEAR,
    OL_SQL_MAP,
    OL_SQL_ARRAY_UINT8, OL_SQL_ARRAY_UINT64, OL_SQL_ARRAY_INT64, OL_SQL_ARRAY_FLOAT64,
    OL_SQL_ARRAY_STRING, OL_SQL_ARRAY_DATETIME64, OL_SQL_ARRAY_MAP,
    OL_SQL__TYPES
} ol_sql_type_t;

/* "UInt64", "DateTime64(9)", "Map(String, String)", "Array(String)", "IntervalHour", ... */
const char *ol_sql_type_name(ol_sql_type_t t);
bool ol_sql_type_is_int(ol_sql_type_t t);      /* UInt8..Int64 and BOOL */
bool ol_sql_type_is_signed(ol_sql_type_t t);   /* Int8..Int64 */
bool ol_sql_type_is_number(ol_sql_type_t t);   /* ints, BOOL, FLOAT64 */
bool ol_sql_type_is_time(ol_sql_type_t t);     /* DATE, DATETIME, DATETIME64 */
bool ol_sql_type_is_interval(ol_sql_type_t t);
bool ol_sql_type_is_array(ol_sql_type_t t);
ol_sql_type_t ol_sql_type_elem(ol_sql_type_t array); /* element type of an ARRAY_* */
/* Which physical array a type uses: 'i', 'f', 's', 'm' (MAP), 'a' (ARRAY_*). */
char ol_sql_type_repr(ol_sql_type_t t);

typedef struct ol_sql_vec ol_sql_vec_t;
struct ol_sql_vec {
    ol_sql_type_t type;
    uint32_t n;        /* values held: 1 when is_const */
    bool is_const;     /* one value standing for every row */
    int64_t *i;
    double *f;
    ol_slice_t *s;
    uint32_t *off;     /* MAP, ARRAY_*: n + 1 offsets into keys/vals */
    ol_sql_vec_t *keys, *vals;
};

/* Row r's index in v: r, or 0 for a constant. */
static inline uint32_t ol_sql_row(const ol_sql_vec_t *v, uint32_t r) { return v->is_const ? 0 : r; }

/* What a query's functions share: the arena results are allocated from (reset
 * between batches by the executor), the query's fixed now(), and where to
 * put an error message. */
typedef struct ol_sql_ctx {
    ol_arena_t *arena;
    uint64_t now_ns;
    ol_err_t *err;
} ol_sql_ctx_t;

/* Allocates v's arrays for n values of type t (not constant); off gets n + 1
 * entries for MAP/ARRAY types (children left NULL for the caller).
 * OL_OK or OL_NOMEM. */
int ol_sql_vec_alloc(ol_sql_ctx_t *cx, ol_sql_vec_t *v, ol_sql_type_t t, uint32_t n);
/* Constant vectors (n = 1, is_const). Strings are not copied. */
int ol_sql_vec_const_int(ol_sql_ctx_t *cx, ol_sql_vec_t *v, ol_sql_type_t t, int64_t x);
int ol_sql_vec_const_float(ol_sql_ctx_t *cx, ol_sql_vec_t *v, double x);
int ol_sql_vec_const_str(ol_sql_ctx_t *cx, ol_sql_vec_t *v, ol_slice_t s);

/* ---- scalar functions (func*.c) ----
 *
 * Operators reach here under ClickHouse's function names: plus, minus,
 * multiply, divide, modulo, negate, equals, notEquals, less, greater,
 * lessOrEquals, greaterOrEquals, and, or, not, like, notLike, ilike,
 * notILike, in, notIn (second argument a constant ARRAY_* of the list's
 * values), concat, arrayElement (x[i]: map value by key, '' when absent;
 * array element from 1), if, multiIf. */
typedef struct ol_sql_func {
    const char *name;
    uint8_t min_args, max_args; /* max_args 255 = any number */
    bool any_case;              /* ClickHouse matches this name case-insensitively */
    /* The result type for these argument types. consts[i] is argument i's
     * constant vector when it is a constant (else NULL), for results that
     * depend on a value (toStartOfInterval's unit). OL_OK, or OL_ERR with err
     * naming the function, the argument and what it expected: "lower:
     * argument 1 is UInt64, expected String". */
    int (*type)(const ol_sql_type_t *args, const ol_sql_vec_t *const *consts, size_t n, ol_sql_type_t *out,
                ol_err_t *err);
    /* Computes `rows` values into out: out->type is set by the caller, the
     * function allocates out's arrays from cx->arena. Arguments may be
     * constant vectors; with every argument constant the caller passes
     * rows = 1 and marks the result constant. OL_OK, OL_NOMEM, or OL_ERR
     * with cx->err set (e.g. "intDiv: division by zero"). */
    int (*exec)(ol_sql_ctx_t *cx, const ol_sql_vec_t *args, size_t n, uint32_t rows, ol_sql_vec_t *out);
} ol_sql_func_t;

/* The function of this name (exact case, or any case for any_case ones), or NULL. */
const ol_sql_func_t *ol_sql_func_find(ol_slice_t name);

/* A Float64 as ClickHouse writes it (shortest round trip, plain notation for
 * 1e-7 <= |v| < 1e21, "1e21", "nan", "inf", "-0"). Returns the length. */
size_t ol_sql_format_float(double v, char out[32]);

/* Parses a ClickHouse date/time text ('YYYY-MM-DD', 'YYYY-MM-DD hh:mm:ss',
 * with an optional fraction of up to 9 digits), UTC, into nanoseconds since
 * the epoch. OL_OK or OL_CORRUPT. */
int ol_sql_parse_datetime(ol_slice_t s, int64_t *ns);
/* Formats as ClickHouse prints them (UTC): DATE 'YYYY-MM-DD', DATETIME
 * 'YYYY-MM-DD hh:mm:ss', DATETIME64 'YYYY-MM-DD hh:mm:ss.nnnnnnnnn'. */
void ol_sql_format_time(ol_sql_type_t t, int64_t v, char out[40]);

#endif
