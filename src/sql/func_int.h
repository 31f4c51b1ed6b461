/*
 * func_int.h - what the three files of scalar functions share (func.c,
 * func_str.c, func_time.c); nothing outside src/sql/func*.c includes it.
 *
 * Each file keeps a table of its functions; ol_sql_func_find (func.c) looks
 * through the three. Below the tables: the value helpers every kernel uses
 * (how a type is stored, how a value is read as a number, how it is written
 * as text), the value casts if/multiIf/in/has need, and the calendar
 * arithmetic of func_time.c that the others need for parsing and printing.
 *
 * Storage reminders (vec.h): every integer kind, BOOL, the time types and the
 * intervals live in i[] as int64; narrower integers are kept sign- or
 * zero-extended, UInt64 as its bits, DATE as days (0..65535), DATETIME as
 * seconds (0..2^32-1), DATETIME64 as nanoseconds. Results are written the
 * same way, so a kernel that stores an UInt16 wraps it to 16 bits first.
 */
#ifndef OL_SQL_FUNC_INT_H
#define OL_SQL_FUNC_INT_H

#include "sql/vec.h"

/* ---- registry ---- */

extern const ol_sql_func_t ol_sql_funcs_core[];
extern const size_t ol_sql_funcs_core_n;
extern const ol_sql_func_t ol_sql_funcs_str[];
extern const size_t ol_sql_funcs_str_n;
extern const ol_sql_func_t ol_sql_funcs_time[];
extern const size_t ol_sql_funcs_time_n;

/* Shorthands for the two callbacks' signatures. */
#define OL_SQL_TYPE_ARGS \
    const ol_sql_type_t *args, const ol_sql_vec_t *const *consts, size_t n, ol_sql_type_t *out, ol_err_t *err
#define OL_SQL_EXEC_ARGS ol_sql_ctx_t *cx, const ol_sql_vec_t *args, size_t n, uint32_t rows, ol_sql_vec_t *out

/* ---- types ---- */

/* Bytes of an integer type (BOOL 1); 8 for FLOAT64; 0 otherwise. */
int ol_sql_int_width(ol_sql_type_t t);
/* The integer type of this signedness and width (1, 2, 4, 8). */
ol_sql_type_t ol_sql_int_type(bool is_signed, int width);
/* Wraps v to t's width and signedness, the way a C cast to t would. */
int64_t ol_sql_int_wrap(ol_sql_type_t t, uint64_t v);
/* Nanoseconds per stored unit of a time type (DATE a day, DATETIME a second). */
int64_t ol_sql_time_unit(ol_sql_type_t t);
/* ClickHouse's least supertype of a and b (if, multiIf, has): OL_OK or OL_ERR. */
int ol_sql_supertype(ol_sql_type_t a, ol_sql_type_t b, ol_sql_type_t *out);

/* "fn: argument i is T, expected what" (i from 1); returns OL_ERR. */
int ol_sql_arg_err(ol_err_t *err, const char *fn, size_t i, ol_sql_type_t got, const char *what);

/* ---- reading values ---- */

/* Row r of an integer-like vector (ints, BOOL, times, intervals) as a double. */
static inline double ol_sql_i2f(ol_sql_type_t t, int64_t v)
{
    return t == OL_SQL_UINT64 ? (double)(uint64_t)v : (double)v;
}
/* Any number as a double. */
static inline double ol_sql_num_f(const ol_sql_vec_t *v, uint32_t r)
{
    uint32_t k = ol_sql_row(v, r);
    return v->type == OL_SQL_FLOAT64 ? v->f[k] : ol_sql_i2f(v->type, v->i[k]);
}
/* Truth of a condition value (ints non-zero, floats non-zero or NaN). */
static inline bool ol_sql_truth(const ol_sql_vec_t *v, uint32_t r)
{
    uint32_t k = ol_sql_row(v, r);
    return v->type == OL_SQL_FLOAT64 ? v->f[k] != 0.0 : v->i[k] != 0;
}

/* Allocates an out vector of `rows` values of out->type. */
static inline int ol_sql_out(ol_sql_ctx_t *cx, ol_sql_vec_t *out, uint32_t rows)
{
    return ol_sql_vec_alloc(cx, out, out->type, rows);
}

/* Converts `in` (rows values) into `out` of type `to`, value for value: the
 * supertype casts of if/multiIf (ints among themselves and to FLOAT64, DATE
 * and DATETIME to wider time types, anything to itself). A constant in gives
 * a constant out. OL_OK or OL_NOMEM (out may share in's arrays). */
int ol_sql_cast_super(ol_sql_ctx_t *cx, const ol_sql_vec_t *in, ol_sql_type_t to, ol_sql_vec_t *out);

/* Copies rows: out row r = row idx[r] of src[r] (all of out's type; nested
 * types are copied entry by entry). OL_OK or OL_NOMEM. */
int ol_sql_take(ol_sql_ctx_t *cx, ol_sql_type_t t, const ol_sql_vec_t *const *src, const uint32_t *idx, uint32_t rows,
                ol_sql_vec_t *out);

/* ---- text ---- */

/* Appends row r of v as toString writes it (quoted=false) or as an element
 * inside an array/map text (quoted=true: strings and times in '...'). */
typedef struct ol_sql_sbuf {
    ol_arena_t *arena;
    uint8_t *p;
    size_t len, cap;
    bool nomem;
} ol_sql_sbuf_t;
void ol_sql_sbuf_put(ol_sql_sbuf_t *b, const void *p, size_t n);
void ol_sql_sbuf_value(ol_sql_sbuf_t *b, const ol_sql_vec_t *v, uint32_t r, bool quoted);
/* toString over a vector: STRING in gives in's slices back. OL_OK or OL_NOMEM. */
int ol_sql_to_string_vec(ol_sql_ctx_t *cx, const ol_sql_vec_t *in, uint32_t rows, ol_sql_vec_t *out);

/* Text to numbers as toInt64/toUInt8/.../toFloat64 read it: an optional sign,
 * digits, nothing else; integers wrap to the target's width (ClickHouse does).
 * OL_OK or OL_CORRUPT (err set, naming fn). */
int ol_sql_parse_int_as(ol_sql_type_t t, ol_slice_t s, int64_t *out, const char *fn, ol_err_t *err);
int ol_sql_parse_float(ol_slice_t s, double *out, const char *fn, ol_err_t *err);

/* ---- time (func_time.c) ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t ol_sql_days_from_civil(int64_t y, unsigned m, unsigned d);
void ol_sql_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
/* Floor division for possibly negative times. */
static inline int64_t ol_sql_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
/* A text as a value of time type t, as ClickHouse converts a string literal
 * compared with a column of type t: DATE needs a plain date, DATETIME drops
 * a fraction (strict: refuses it, as IN lists do), DATETIME64 keeps it.
 * Saturates at t's range. OL_OK or OL_CORRUPT with err set. */
int ol_sql_parse_time_as(ol_sql_type_t t, ol_slice_t s, bool strict, int64_t *out, ol_err_t *err);
/* plus/minus when a side is a time or an interval: time +- interval, time
 * +- a number of days (DATE) or seconds, time - time of one type. */
int ol_sql_time_arith_type(bool minus, ol_sql_type_t a, ol_sql_type_t b, ol_sql_type_t *out, ol_err_t *err);
int ol_sql_time_arith_exec(ol_sql_ctx_t *cx, bool minus, const ol_sql_vec_t *a, const ol_sql_vec_t *b, uint32_t rows,
                           ol_sql_vec_t *out);

/* ---- comparison (func.c) ---- */

/* -1, 0, 1 for a row of a against a row of b, both of the types equals
 * accepts; *unordered set for NaN (every comparison but != is false).
 * Strings bytewise, numbers by value, times as instants. */
int ol_sql_cmp_rows(const ol_sql_vec_t *a, uint32_t ra, const ol_sql_vec_t *b, uint32_t rb, bool *unordered);

#endif
