/*
 * func.c - the scalar functions of Olly's SQL, part one: the registry
 * (ol_sql_func_find), arithmetic, comparison, logic, conditionals, numeric
 * conversions and rounding. func_str.c holds strings, LIKE, maps, arrays and
 * IN; func_time.c dates, times and intervals.
 *
 * Every function is a pair (vec.h): `type` decides the result type from the
 * argument types as ClickHouse 26 does (verified against chDB 26.7 with
 * toTypeName), `exec` computes a batch. Kernels are loops over the stored
 * int64/double/slice arrays, specialised for vector-vector, vector-constant
 * and constant-vector shapes; nothing is allocated per row, only whole
 * result arrays from the batch arena.
 *
 * Semantics follow ClickHouse, including its corners (each checked in chDB):
 *  - plus/multiply widen to the next integer size (UInt8+UInt8 -> UInt16,
 *    Int32*Int32 -> Int64, 64-bit stays 64-bit and wraps); minus is always
 *    signed (UInt64-UInt64 -> Int64); divide is always Float64.
 *  - intDiv and modulo follow ClickHouse's C++ integer rules: intDiv casts
 *    to signed types of the operands' widths, modulo uses C's usual
 *    arithmetic conversions (Int64(-7) % UInt64(2) = 1); division by zero
 *    and MIN / -1 are errors; modulo by a constant -1 or 1 is 0.
 *  - comparisons compare numbers by value (signed against unsigned, integers
 *    against floats exactly), strings bytewise, times as instants; a
 *    constant string against a time or a number is first converted to that
 *    type, as ClickHouse converts literals.
 *  - float to integer conversions reproduce x86's truncating conversions
 *    (toUInt8(-1.5) = 255, toInt64(1e30) = -9223372036854775808), NaN and
 *    infinities are errors; text to integer wraps (toUInt8('300') = 44).
 *
 * Where Olly's types differ from ClickHouse's (vec.h has one DateTime64, with
 * 9 digits, and no Decimal, Nullable, Variant or Tuple):
 *  - toDateTime64(x, s) with s < 9 keeps s digits (the rest truncated, as
 *    ClickHouse does) but its type is DateTime64(9): ClickHouse says
 *    DateTime64(s) and prints s digits.
 *  - toStartOfInterval(DateTime64, INTERVAL n MILLISECOND|MICROSECOND) and
 *    DateTime + INTERVAL n MILLISECOND|MICROSECOND are DateTime64(9) here,
 *    DateTime64(3)/DateTime64(6) in ClickHouse (same instants).
 *  - if/multiIf branches without a common type (UInt64 and a signed type,
 *    Int64/UInt64 and Float64, a number and a String or a time) are errors
 *    here; ClickHouse 26 answers with a Variant type.
 *  - DateTime64 - DateTime64 and DateTime - DateTime64 (Decimal(18, 9) in
 *    ClickHouse) are errors.
 *  - x IN (list) with a Date or DateTime x and a list of time constants
 *    compares instants; ClickHouse refuses DateTime64 values in such a list,
 *    but the binder turns every time literal of a list into DateTime64.
 * Known value differences, all outside the types' useful ranges: toDate of
 * numbers >= 2^63; Dates after 2106 compared with DateTimes; DateTime64
 * values before 1900 in toStartOfInterval; ILIKE folds case for the scripts
 * listed in func_str.c only, and its '%x%' search with the Kelvin sign.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sql/func_int.h"

/* ---- types ---- */

int ol_sql_int_width(ol_sql_type_t t)
{
    switch (t) {
    case OL_SQL_UINT8: case OL_SQL_INT8: case OL_SQL_BOOL: return 1;
    case OL_SQL_UINT16: case OL_SQL_INT16: return 2;
    case OL_SQL_UINT32: case OL_SQL_INT32: return 4;
    case OL_SQL_UINT64: case OL_SQL_INT64: case OL_SQL_FLOAT64: return 8;
    default: return 0;
    }
}

ol_sql_type_t ol_sql_int_type(bool is_signed, int width)
{
    switch (width) {
    case 1: return is_signed ? OL_SQL_INT8 : OL_SQL_UINT8;
    case 2: return is_signed ? OL_SQL_INT16 : OL_SQL_UINT16;
    case 4: return is_signed ? OL_SQL_INT32 : OL_SQL_UINT32;
    default: return is_signed ? OL_SQL_INT64 : OL_SQL_UINT64;
    }
}

int64_t ol_sql_int_wrap(ol_sql_type_t t, uint64_t v)
{
    switch (t) {
    case OL_SQL_UINT8: case OL_SQL_BOOL: return (uint8_t)v;
    case OL_SQL_INT8: return (int8_t)(uint8_t)v;
    case OL_SQL_UINT16: return (uint16_t)v;
    case OL_SQL_INT16: return (int16_t)(uint16_t)v;
    case OL_SQL_UINT32: return (uint32_t)v;
    case OL_SQL_INT32: return (int32_t)(uint32_t)v;
    default: return (int64_t)v;
    }
}

int64_t ol_sql_time_unit(ol_sql_type_t t)
{
    return t == OL_SQL_DATE ? 86400000000000LL : t == OL_SQL_DATETIME ? 1000000000LL : 1;
}

/* Integer arithmetic treats Bool as UInt8. */
static bool is_signed_num(ol_sql_type_t t) { return ol_sql_type_is_signed(t) || t == OL_SQL_FLOAT64; }

int ol_sql_supertype(ol_sql_type_t a, ol_sql_type_t b, ol_sql_type_t *out)
{
    if (a == b) {
        *out = a;
        return OL_OK;
    }
    if (ol_sql_type_is_number(a) && ol_sql_type_is_number(b)) {
        /* ClickHouse keeps Bool only when it comes first against UInt8. */
        if (a == OL_SQL_BOOL && b == OL_SQL_UINT8) {
            *out = OL_SQL_BOOL;
            return OL_OK;
        }
        if (a == OL_SQL_FLOAT64 || b == OL_SQL_FLOAT64) {
            ol_sql_type_t i = a == OL_SQL_FLOAT64 ? b : a;
            if (ol_sql_int_width(i) >= 8) return OL_ERR;
            *out = OL_SQL_FLOAT64;
            return OL_OK;
        }
        int us = 0, ss = 0;
        ol_sql_type_t ts[2] = {a, b};
        for (int k = 0; k < 2; k++) {
            int w = ol_sql_int_width(ts[k]);
            if (ol_sql_type_is_signed(ts[k])) ss = OL_MAX(ss, w);
            else us = OL_MAX(us, w);
        }
        if (!ss) *out = ol_sql_int_type(false, us);
        else if (!us) *out = ol_sql_int_type(true, ss);
        else {
            int w = OL_MAX(ss, 2 * us);
            if (w > 8) return OL_ERR;
            *out = ol_sql_int_type(true, w);
        }
        return OL_OK;
    }
    if (ol_sql_type_is_time(a) && ol_sql_type_is_time(b)) {
        *out = (a == OL_SQL_DATETIME64 || b == OL_SQL_DATETIME64) ? OL_SQL_DATETIME64 : OL_SQL_DATETIME;
        return OL_OK;
    }
    if ((ol_sql_type_is_interval(a) && ol_sql_type_is_number(b)) || (ol_sql_type_is_interval(b) && ol_sql_type_is_number(a))) {
        *out = ol_sql_type_is_interval(a) ? a : b; /* a number becomes a count of the interval's unit */
        return OL_OK;
    }
    return OL_ERR;
}

int ol_sql_arg_err(ol_err_t *err, const char *fn, size_t i, ol_sql_type_t got, const char *what)
{
    ol_err_set(err, "%s: argument %zu is %s, expected %s", fn, i, ol_sql_type_name(got), what);
    return OL_ERR;
}

/* ---- casts and copies ---- */

int ol_sql_cast_super(ol_sql_ctx_t *cx, const ol_sql_vec_t *in, ol_sql_type_t to, ol_sql_vec_t *out)
{
    uint32_t n = in->n;
    if (in->type == to || (ol_sql_type_is_int(in->type) && (ol_sql_type_is_int(to) || ol_sql_type_is_interval(to)))) {
        *out = *in;
        out->type = to;
        return OL_OK;
    }
    int rc = ol_sql_vec_alloc(cx, out, to, n);
    if (rc != OL_OK) return rc;
    out->is_const = in->is_const;
    if (to == OL_SQL_FLOAT64 && ol_sql_type_is_int(in->type)) {
        for (uint32_t r = 0; r < n; r++) out->f[r] = ol_sql_i2f(in->type, in->i[r]);
        return OL_OK;
    }
    if (ol_sql_type_is_interval(to) && in->type == OL_SQL_FLOAT64) {
        for (uint32_t r = 0; r < n; r++) {
            double d = in->f[r];
            out->i[r] = (d >= -9223372036854775808.0 && d < 9223372036854775808.0) ? (int64_t)d : INT64_MIN;
        }
        return OL_OK;
    }
    if (ol_sql_type_is_time(to) && ol_sql_type_is_time(in->type)) {
        int64_t m = ol_sql_time_unit(in->type) / ol_sql_time_unit(to);
        for (uint32_t r = 0; r < n; r++) out->i[r] = in->i[r] * m;
        return OL_OK;
    }
    if (OL_NEVER(true)) memset(out->i, 0, n * sizeof *out->i);
    return OL_OK;
}

/* Entries of the nested part of t's rows, for take(). */
static int take_nested(ol_sql_ctx_t *cx, ol_sql_type_t t, const ol_sql_vec_t *const *src, const uint32_t *idx,
                       uint32_t rows, ol_sql_vec_t *out)
{
    uint64_t total = 0;
    for (uint32_t r = 0; r < rows; r++) {
        uint32_t k = ol_sql_row(src[r], idx[r]);
        total += src[r]->off[k + 1] - src[r]->off[k];
    }
    if (total > UINT32_MAX) return OL_NOMEM;
    out->off[0] = 0;
    for (uint32_t r = 0; r < rows; r++) {
        uint32_t k = ol_sql_row(src[r], idx[r]);
        out->off[r + 1] = out->off[r] + (src[r]->off[k + 1] - src[r]->off[k]);
    }
    uint32_t m = (uint32_t)total;
    const ol_sql_vec_t **esrc = ol_arena_alloc(cx->arena, (m ? m : 1) * sizeof *esrc);
    uint32_t *eidx = ol_arena_alloc(cx->arena, (m ? m : 1) * sizeof *eidx);
    ol_sql_vec_t *vals = ol_arena_calloc(cx->arena, sizeof *vals);
    if (!esrc || !eidx || !vals) return OL_NOMEM;
    uint32_t j = 0;
    for (uint32_t r = 0; r < rows; r++) {
        uint32_t k = ol_sql_row(src[r], idx[r]);
        for (uint32_t e = src[r]->off[k]; e < src[r]->off[k + 1]; e++) {
            esrc[j] = src[r]->vals;
            eidx[j++] = e;
        }
    }
    ol_sql_type_t et = t == OL_SQL_MAP ? OL_SQL_STRING : ol_sql_type_elem(t);
    int rc = ol_sql_take(cx, et, esrc, eidx, m, vals);
    if (rc != OL_OK) return rc;
    out->vals = vals;
    if (t == OL_SQL_MAP) {
        ol_sql_vec_t *keys = ol_arena_calloc(cx->arena, sizeof *keys);
        if (!keys) return OL_NOMEM;
        j = 0; /* the same entries, from the keys */
        for (uint32_t r = 0; r < rows; r++) {
            uint32_t k = ol_sql_row(src[r], idx[r]);
            for (uint32_t e = src[r]->off[k]; e < src[r]->off[k + 1]; e++) esrc[j++] = src[r]->keys;
        }
        rc = ol_sql_take(cx, OL_SQL_STRING, esrc, eidx, m, keys);
        if (rc != OL_OK) return rc;
        out->keys = keys;
    }
    return OL_OK;
}

int ol_sql_take(ol_sql_ctx_t *cx, ol_sql_type_t t, const ol_sql_vec_t *const *src, const uint32_t *idx, uint32_t rows,
                ol_sql_vec_t *out)
{
    int rc = ol_sql_vec_alloc(cx, out, t, rows);
    if (rc != OL_OK) return rc;
    switch (ol_sql_type_repr(t)) {
    case 'f':
        for (uint32_t r = 0; r < rows; r++) out->f[r] = src[r]->f[ol_sql_row(src[r], idx[r])];
        return OL_OK;
    case 's':
        for (uint32_t r = 0; r < rows; r++) out->s[r] = src[r]->s[ol_sql_row(src[r], idx[r])];
        return OL_OK;
    case 'i':
        for (uint32_t r = 0; r < rows; r++) out->i[r] = src[r]->i[ol_sql_row(src[r], idx[r])];
        return OL_OK;
    default: return take_nested(cx, t, src, idx, rows, out);
    }
}

/* ---- text ---- */

/* sci ("[-]d.ddde[+-]x") with its last digit moved by delta, kept in sci
 * if that reads back as v. */
static bool sci_bump(char *sci, int delta, double v)
{
    char dig[24], tmp[40];
    int nd = 0;
    const char *p = sci + (sci[0] == '-');
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9' && nd < 20) dig[nd++] = *p;
    if (!*p || !nd) return false;
    int exp10 = atoi(p + 1), i = nd - 1;
    if (delta > 0) {
        while (i >= 0 && dig[i] == '9') dig[i--] = '0';
        if (i < 0) {
            memmove(dig + 1, dig, (size_t)nd - 1);
            dig[0] = '1';
            exp10++;
        } else
            dig[i]++;
    } else {
        while (i >= 0 && dig[i] == '0') dig[i--] = '9';
        if (i < 0 || (i == 0 && dig[0] == '1' && nd > 1)) return false;
        dig[i]--;
    }
    snprintf(tmp, sizeof tmp, "%s%c.%.*se%d", sci[0] == '-' ? "-" : "", dig[0], nd - 1, dig + 1, exp10);
    if (strtod(tmp, NULL) != v) return false;
    memcpy(sci, tmp, strlen(tmp) + 1);
    return true;
}

size_t ol_sql_format_float(double v, char out[32])
{
    if (isnan(v)) return (size_t)snprintf(out, 32, "nan");
    if (isinf(v)) return (size_t)snprintf(out, 32, "%s", v < 0 ? "-inf" : "inf");
    if (v == 0) return (size_t)snprintf(out, 32, "%s", signbit(v) ? "-0" : "0");
    if (fabs(v) < 1e15 && v == (double)(int64_t)v) return (size_t)snprintf(out, 32, "%lld", (long long)v);
    /* The fewest significant digits that read back exactly; printf rounds a
     * tie to even, so a neighbour of its answer may be the one that does. */
    char sci[40];
    for (int prec = 0; prec <= 16; prec++) {
        snprintf(sci, sizeof sci, "%.*e", prec, v);
        if (strtod(sci, NULL) == v || sci_bump(sci, 1, v) || sci_bump(sci, -1, v)) break;
    }
    char digits[20];
    int nd = 0, exp10 = 0;
    const char *p = sci + (sci[0] == '-');
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9' && nd < (int)sizeof digits) digits[nd++] = *p;
    if (*p) exp10 = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    /* Laid out like ECMAScript's Number#toString, without '+' in exponents. */
    int o = 0, pt = exp10 + 1;
    if (v < 0) out[o++] = '-';
    if (nd <= pt && pt <= 21) {
        memcpy(out + o, digits, (size_t)nd);
        o += nd;
        for (int i = nd; i < pt; i++) out[o++] = '0';
    } else if (0 < pt && pt < nd) {
        memcpy(out + o, digits, (size_t)pt);
        o += pt;
        out[o++] = '.';
        memcpy(out + o, digits + pt, (size_t)(nd - pt));
        o += nd - pt;
    } else if (-6 < pt && pt <= 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (int i = pt; i < 0; i++) out[o++] = '0';
        memcpy(out + o, digits, (size_t)nd);
        o += nd;
    } else {
        out[o++] = digits[0];
        if (nd > 1) {
            out[o++] = '.';
            memcpy(out + o, digits + 1, (size_t)(nd - 1));
            o += nd - 1;
        }
        o += snprintf(out + o, 32 - (size_t)o, "e%d", pt - 1);
    }
    out[o] = 0;
    return (size_t)o;
}

void ol_sql_sbuf_put(ol_sql_sbuf_t *b, const void *p, size_t n)
{
    if (b->nomem || !n) return;
    if (b->len + n > b->cap) {
        size_t cap = OL_MAX(b->cap * 2, b->len + n + 256);
        uint8_t *np = ol_arena_alloc(b->arena, cap);
        if (!np) {
            b->nomem = true;
            return;
        }
        if (b->len) memcpy(np, b->p, b->len);
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

/* A string inside '...' as ClickHouse quotes it (arrays, maps). */
static void sbuf_quoted(ol_sql_sbuf_t *b, ol_slice_t s)
{
    ol_sql_sbuf_put(b, "'", 1);
    size_t run = 0;
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.ptr[i];
        const char *esc = NULL;
        switch (c) {
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\0': esc = "\\0"; break;
        case '\\': esc = "\\\\"; break;
        case '\'': esc = "\\'"; break;
        default: continue;
        }
        ol_sql_sbuf_put(b, s.ptr + run, i - run);
        ol_sql_sbuf_put(b, esc, 2);
        run = i + 1;
    }
    ol_sql_sbuf_put(b, s.ptr + run, s.len - run);
    ol_sql_sbuf_put(b, "'", 1);
}

void ol_sql_sbuf_value(ol_sql_sbuf_t *b, const ol_sql_vec_t *v, uint32_t r, bool quoted)
{
    uint32_t k = ol_sql_row(v, r);
    char tmp[48];
    size_t n;
    switch (v->type) {
    case OL_SQL_BOOL: ol_sql_sbuf_put(b, v->i[k] ? "true" : "false", v->i[k] ? 4 : 5); return;
    case OL_SQL_UINT64: n = (size_t)snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v->i[k]); break;
    case OL_SQL_FLOAT64: n = ol_sql_format_float(v->f[k], tmp); break;
    case OL_SQL_STRING:
        if (quoted) sbuf_quoted(b, v->s[k]);
        else ol_sql_sbuf_put(b, v->s[k].ptr, v->s[k].len);
        return;
    case OL_SQL_DATE:
    case OL_SQL_DATETIME:
    case OL_SQL_DATETIME64:
        ol_sql_format_time(v->type, v->i[k], tmp);
        n = strlen(tmp);
        if (quoted) {
            ol_sql_sbuf_put(b, "'", 1);
            ol_sql_sbuf_put(b, tmp, n);
            ol_sql_sbuf_put(b, "'", 1);
            return;
        }
        break;
    case OL_SQL_MAP:
        ol_sql_sbuf_put(b, "{", 1);
        for (uint32_t e = v->off[k]; e < v->off[k + 1]; e++) {
            if (e > v->off[k]) ol_sql_sbuf_put(b, ",", 1);
            sbuf_quoted(b, v->keys->s[e]);
            ol_sql_sbuf_put(b, ":", 1);
            sbuf_quoted(b, v->vals->s[e]);
        }
        ol_sql_sbuf_put(b, "}", 1);
        return;
    default:
        if (ol_sql_type_is_array(v->type)) {
            ol_sql_sbuf_put(b, "[", 1);
            for (uint32_t e = v->off[k]; e < v->off[k + 1]; e++) {
                if (e > v->off[k]) ol_sql_sbuf_put(b, ",", 1);
                ol_sql_sbuf_value(b, v->vals, e, true);
            }
            ol_sql_sbuf_put(b, "]", 1);
            return;
        }
        n = (size_t)snprintf(tmp, sizeof tmp, "%lld", (long long)v->i[k]); /* other ints, intervals */
        break;
    }
    ol_sql_sbuf_put(b, tmp, n);
}

int ol_sql_to_string_vec(ol_sql_ctx_t *cx, const ol_sql_vec_t *in, uint32_t rows, ol_sql_vec_t *out)
{
    if (in->type == OL_SQL_STRING) {
        *out = *in;
        return OL_OK;
    }
    uint32_t n = in->is_const ? 1 : rows;
    int rc = ol_sql_vec_alloc(cx, out, OL_SQL_STRING, n);
    if (rc != OL_OK) return rc;
    out->is_const = in->is_const;
    size_t *ends = ol_arena_alloc(cx->arena, (size_t)n * sizeof *ends);
    if (!ends) return OL_NOMEM;
    ol_sql_sbuf_t b = {.arena = cx->arena};
    for (uint32_t r = 0; r < n; r++) {
        ol_sql_sbuf_value(&b, in, r, false);
        ends[r] = b.len;
    }
    if (b.nomem) return OL_NOMEM;
    for (uint32_t r = 0; r < n; r++) {
        size_t start = r ? ends[r - 1] : 0;
        out->s[r] = ol_slice(b.p + start, ends[r] - start);
    }
    return OL_OK;
}

static void err_text(ol_err_t *err, const char *fn, ol_slice_t s, const char *as)
{
    ol_err_set(err, "%s: cannot parse '%.*s' as %s", fn, (int)OL_MIN(s.len, 80), (const char *)s.ptr, as);
}

int ol_sql_parse_int_as(ol_sql_type_t t, ol_slice_t s, int64_t *out, const char *fn, ol_err_t *err)
{
    size_t i = 0;
    bool neg = false;
    if (i < s.len && (s.ptr[i] == '+' || s.ptr[i] == '-')) neg = s.ptr[i++] == '-';
    if (neg && !ol_sql_type_is_signed(t)) {
        ol_err_set(err, "%s: cannot parse '%.*s' as %s: unsigned type must not contain '-'", fn,
                   (int)OL_MIN(s.len, 80), (const char *)s.ptr, ol_sql_type_name(t));
        return OL_CORRUPT;
    }
    if (i == s.len) {
        err_text(err, fn, s, ol_sql_type_name(t));
        return OL_CORRUPT;
    }
    uint64_t v = 0;
    for (; i < s.len; i++) {
        uint8_t c = s.ptr[i];
        if (c < '0' || c > '9') {
            err_text(err, fn, s, ol_sql_type_name(t));
            return OL_CORRUPT;
        }
        v = v * 10 + (uint64_t)(c - '0');
    }
    *out = ol_sql_int_wrap(t, neg ? 0 - v : v);
    return OL_OK;
}

static bool word_nocase(const uint8_t *p, size_t n, const char *w)
{
    size_t wl = strlen(w);
    return n == wl && ol_slice_eq_nocase(ol_slice(p, n), ol_slice(w, wl));
}

int ol_sql_parse_float(ol_slice_t s, double *out, const char *fn, ol_err_t *err)
{
    size_t i = 0;
    bool neg = false;
    if (i < s.len && (s.ptr[i] == '+' || s.ptr[i] == '-')) neg = s.ptr[i++] == '-';
    const uint8_t *p = s.ptr + i;
    size_t n = s.len - i;
    if (word_nocase(p, n, "inf") || word_nocase(p, n, "infinity")) {
        *out = neg ? -INFINITY : INFINITY;
        return OL_OK;
    }
    if (word_nocase(p, n, "nan")) {
        *out = neg ? -NAN : NAN;
        return OL_OK;
    }
    /* digits [. digits] or . digits, then an optional exponent with digits */
    size_t j = 0, int_digits = 0, frac_digits = 0;
    while (j < n && p[j] >= '0' && p[j] <= '9') j++, int_digits++;
    if (j < n && p[j] == '.') {
        j++;
        while (j < n && p[j] >= '0' && p[j] <= '9') j++, frac_digits++;
    }
    bool ok = int_digits + frac_digits > 0;
    if (ok && j < n && (p[j] == 'e' || p[j] == 'E')) {
        j++;
        if (j < n && (p[j] == '+' || p[j] == '-')) j++;
        size_t e0 = j;
        while (j < n && p[j] >= '0' && p[j] <= '9') j++;
        ok = j > e0;
    }
    char tmp[512];
    if (!ok || j != n || s.len >= sizeof tmp) {
        err_text(err, fn, s, "Float64");
        return OL_CORRUPT;
    }
    memcpy(tmp, s.ptr, s.len);
    tmp[s.len] = 0;
    *out = strtod(tmp, NULL);
    return OL_OK;
}

/* ---- kernels ---- */

/* o[r] = EXPR(a[r], b[r]) over rows, for each constant/vector shape. */
#define OL_BINLOOP(rows, xa, ca, xb, cb, o, EXPR)                                              \
    do {                                                                                     \
        if (!(ca) && !(cb)) {                                                                \
            for (uint32_t r_ = 0; r_ < (rows); r_++) (o)[r_] = EXPR((xa)[r_], (xb)[r_]);      \
        } else if (!(ca)) {                                                                  \
            const __typeof__((xb)[0]) y_ = (xb)[0];                                          \
            for (uint32_t r_ = 0; r_ < (rows); r_++) (o)[r_] = EXPR((xa)[r_], y_);            \
        } else if (!(cb)) {                                                                  \
            const __typeof__((xa)[0]) x_ = (xa)[0];                                          \
            for (uint32_t r_ = 0; r_ < (rows); r_++) (o)[r_] = EXPR(x_, (xb)[r_]);            \
        } else {                                                                             \
            for (uint32_t r_ = 0; r_ < (rows); r_++) (o)[r_] = EXPR((xa)[0], (xb)[0]);       \
        }                                                                                    \
    } while (0)

/* v's values as doubles: v->f itself, or a converted copy (one value for a constant). */
static const double *f64_view(ol_sql_ctx_t *cx, const ol_sql_vec_t *v, uint32_t rows)
{
    if (v->type == OL_SQL_FLOAT64) return v->f;
    uint32_t n = v->is_const ? 1 : rows;
    double *d = ol_arena_alloc(cx->arena, (n ? n : 1) * sizeof *d);
    if (!d) return NULL;
    if (v->type == OL_SQL_UINT64)
        for (uint32_t r = 0; r < n; r++) d[r] = (double)(uint64_t)v->i[r];
    else
        for (uint32_t r = 0; r < n; r++) d[r] = (double)v->i[r];
    return d;
}

static int next_size(int w) { return w < 8 ? 2 * w : 8; }

/* ---- arithmetic ---- */

typedef enum { AR_PLUS, AR_MINUS, AR_MUL, AR_DIV, AR_INTDIV, AR_MOD } ar_op_t;
static const char *const ar_names[] = {"plus", "minus", "multiply", "divide", "intDiv", "modulo"};

static bool is_time_or_interval(ol_sql_type_t t) { return ol_sql_type_is_time(t) || ol_sql_type_is_interval(t); }

static int arith_type(ar_op_t op, OL_SQL_TYPE_ARGS)
{
    const char *fn = ar_names[op];
    ol_sql_type_t a = args[0], b = args[1];
    if ((op == AR_PLUS || op == AR_MINUS) && (is_time_or_interval(a) || is_time_or_interval(b)))
        return ol_sql_time_arith_type(op == AR_MINUS, a, b, out, err);
    if (!ol_sql_type_is_number(a)) return ol_sql_arg_err(err, fn, 1, a, "a number");
    if (!ol_sql_type_is_number(b)) return ol_sql_arg_err(err, fn, 2, b, "a number");
    bool fl = a == OL_SQL_FLOAT64 || b == OL_SQL_FLOAT64;
    bool sg = is_signed_num(a) || is_signed_num(b);
    int wa = ol_sql_int_width(a), wb = ol_sql_int_width(b);
    switch (op) {
    case AR_PLUS:
    case AR_MUL: *out = fl ? OL_SQL_FLOAT64 : ol_sql_int_type(sg, next_size(OL_MAX(wa, wb))); break;
    case AR_MINUS: *out = fl ? OL_SQL_FLOAT64 : ol_sql_int_type(true, next_size(OL_MAX(wa, wb))); break;
    case AR_DIV: *out = OL_SQL_FLOAT64; break;
    case AR_INTDIV: *out = ol_sql_int_type(sg, wa); break;
    case AR_MOD:
        *out = fl ? OL_SQL_FLOAT64 : is_signed_num(a) ? ol_sql_int_type(true, next_size(wb)) : ol_sql_int_type(false, wb);
        break;
    }
    return OL_OK;
}

#define I_ADD(x, y) ((int64_t)((uint64_t)(x) + (uint64_t)(y)))
#define I_SUB(x, y) ((int64_t)((uint64_t)(x) - (uint64_t)(y)))
#define I_MUL(x, y) ((int64_t)((uint64_t)(x) * (uint64_t)(y)))
#define F_ADD(x, y) ((x) + (y))
#define F_SUB(x, y) ((x) - (y))
#define F_MUL(x, y) ((x) * (y))
#define F_DIV(x, y) ((x) / (y))
#define F_MOD(x, y) ((x) - trunc((x) / (y)) * (y))

static int div_zero(ol_sql_ctx_t *cx, const char *fn)
{
    ol_err_set(cx->err, "%s: division by zero", fn);
    return OL_ERR;
}

static int div_min(ol_sql_ctx_t *cx, const char *fn)
{
    ol_err_set(cx->err, "%s: division of minimal signed number by minus one", fn);
    return OL_ERR;
}

static int64_t int_min_of(int width) { return width >= 8 ? INT64_MIN : -((int64_t)1 << (8 * width - 1)); }

/* C's usual arithmetic conversions of two integer types: the type a C `%`
 * of them computes in (ClickHouse's modulo inherits them). */
static ol_sql_type_t c_common(ol_sql_type_t a, ol_sql_type_t b)
{
    int wa = ol_sql_int_width(a), wb = ol_sql_int_width(b);
    bool sa = wa < 4 || ol_sql_type_is_signed(a), sb = wb < 4 || ol_sql_type_is_signed(b);
    wa = OL_MAX(wa, 4);
    wb = OL_MAX(wb, 4);
    if (sa == sb) return ol_sql_int_type(sa, OL_MAX(wa, wb));
    int wu = sa ? wb : wa, ws = sa ? wa : wb;
    return wu >= ws ? ol_sql_int_type(false, wu) : ol_sql_int_type(true, ws);
}

static int intdiv_kernel(ol_sql_ctx_t *cx, const ol_sql_vec_t *a, const ol_sql_vec_t *b, uint32_t rows, ol_sql_vec_t *out)
{
    const char *fn = "intDiv";
    ol_sql_type_t tr = out->type;
    int64_t *o = out->i;
    if (a->type == OL_SQL_FLOAT64 || b->type == OL_SQL_FLOAT64) {
        const double *x = f64_view(cx, a, rows), *y = f64_view(cx, b, rows);
        if (!x || !y) return OL_NOMEM;
        double hi = (double)(tr == OL_SQL_INT64 ? INT64_MAX : -int_min_of(ol_sql_int_width(tr)) - 1);
        double lo = (double)int_min_of(ol_sql_int_width(tr));
        for (uint32_t r = 0; r < rows; r++) {
            double xa = x[a->is_const ? 0 : r], yb = y[b->is_const ? 0 : r];
            if ((a->type == OL_SQL_FLOAT64 && (isnan(xa) || isinf(xa))) ||
                (b->type == OL_SQL_FLOAT64 && (isnan(yb) || isinf(yb)))) {
                ol_err_set(cx->err, "%s: cannot perform integer division on infinite or too large floating point numbers", fn);
                return OL_ERR;
            }
            if (yb == 0) return div_zero(cx, fn);
            double q = xa / yb;
            if (isnan(q) || q >= hi || q <= lo) {
                ol_err_set(cx->err, "%s: cannot perform integer division, because it will produce infinite or too large number", fn);
                return OL_ERR;
            }
            o[r] = (int64_t)q;
        }
        return OL_OK;
    }
    bool sa = ol_sql_type_is_signed(a->type), sb = ol_sql_type_is_signed(b->type);
    int wa = ol_sql_int_width(a->type), wb = ol_sql_int_width(b->type);
    const int64_t *x = a->i, *y = b->i;
    if (!sa && !sb) {
        if (b->is_const) {
            uint64_t d = (uint64_t)y[0];
            if (!d) return div_zero(cx, fn);
            if (a->is_const) o[0] = ol_sql_int_wrap(tr, (uint64_t)x[0] / d);
            else
                for (uint32_t r = 0; r < rows; r++) o[r] = (int64_t)((uint64_t)x[r] / d); /* fits: q <= x */
            return OL_OK;
        }
        for (uint32_t r = 0; r < rows; r++) {
            uint64_t d = (uint64_t)y[r];
            if (!d) return div_zero(cx, fn);
            o[r] = (int64_t)((uint64_t)x[ol_sql_row(a, r)] / d);
        }
        return OL_OK;
    }
    /* Signed: each operand as the signed type of its width; the divisor of a
     * narrower type than the dividend as the dividend's. */
    ol_sql_type_t ca = ol_sql_int_type(true, wa), cb = ol_sql_int_type(true, wa <= wb ? wb : wa);
    int64_t amin = int_min_of(wa);
    if (b->is_const && !a->is_const && sa && sb && wa >= 4 && y[0] == -1) {
        /* ClickHouse negates a 32/64-bit column divided by a constant -1, wrapping */
        for (uint32_t r = 0; r < rows; r++) o[r] = ol_sql_int_wrap(tr, 0 - (uint64_t)x[r]);
        return OL_OK;
    }
    for (uint32_t r = 0; r < rows; r++) {
        int64_t xa = ol_sql_int_wrap(ca, (uint64_t)x[ol_sql_row(a, r)]);
        int64_t yb = ol_sql_int_wrap(cb, (uint64_t)y[ol_sql_row(b, r)]);
        if (!yb) return div_zero(cx, fn);
        if (yb == -1 && xa == amin) return div_min(cx, fn);
        o[r] = ol_sql_int_wrap(tr, (uint64_t)(xa / yb));
    }
    return OL_OK;
}

static int modulo_kernel(ol_sql_ctx_t *cx, const ol_sql_vec_t *a, const ol_sql_vec_t *b, uint32_t rows, ol_sql_vec_t *out)
{
    const char *fn = "modulo";
    if (out->type == OL_SQL_FLOAT64) {
        const double *x = f64_view(cx, a, rows), *y = f64_view(cx, b, rows);
        if (!x || !y) return OL_NOMEM;
        OL_BINLOOP(rows, x, a->is_const, y, b->is_const, out->f, F_MOD);
        return OL_OK;
    }
    ol_sql_type_t tr = out->type, cc = c_common(a->type, b->type);
    bool sa = ol_sql_type_is_signed(a->type), sb = ol_sql_type_is_signed(b->type);
    int wa = ol_sql_int_width(a->type), wb = ol_sql_int_width(b->type);
    int64_t *o = out->i;
    const int64_t *x = a->i, *y = b->i;
    if (b->is_const && !a->is_const && wa >= 4 && sa == sb) {
        /* ClickHouse's modulo of a 32/64-bit column by a constant of the same signedness. */
        __int128 d = b->type == OL_SQL_UINT64 ? (__int128)(uint64_t)y[0] : (__int128)y[0];
        __int128 amax = a->type == OL_SQL_UINT64 ? (__int128)UINT64_MAX : wa == 4 ? (sa ? INT32_MAX : UINT32_MAX) : INT64_MAX;
        if (!d) return div_zero(cx, fn);
        if ((sb && d == -1) || d == 1) {
            memset(o, 0, rows * sizeof *o);
            return OL_OK;
        }
        if (d > amax || (sa && d < int_min_of(wa))) {
            for (uint32_t r = 0; r < rows; r++) o[r] = ol_sql_int_wrap(tr, (uint64_t)x[r]);
            return OL_OK;
        }
        if (sb && d == int_min_of(wb)) {
            ol_err_set(cx->err, "%s: division by the most negative number", fn);
            return OL_ERR;
        }
    }
    int64_t amin = int_min_of(wa);
    for (uint32_t r = 0; r < rows; r++) {
        int64_t xa = x[ol_sql_row(a, r)], yb = y[ol_sql_row(b, r)];
        if (!yb) return div_zero(cx, fn);
        if (sa && sb && yb == -1 && xa == amin) return div_min(cx, fn);
        uint64_t m;
        switch (cc) {
        case OL_SQL_INT32: m = (uint64_t)(int64_t)((int32_t)xa % (int32_t)yb); break;
        case OL_SQL_UINT32: m = (uint32_t)xa % (uint32_t)yb; break;
        case OL_SQL_INT64: m = (uint64_t)(xa % yb); break;
        default: m = (uint64_t)xa % (uint64_t)yb; break;
        }
        o[r] = ol_sql_int_wrap(tr, m);
    }
    return OL_OK;
}

static int arith_exec(ar_op_t op, OL_SQL_EXEC_ARGS)
{
    const ol_sql_vec_t *a = &args[0], *b = &args[1];
    if ((op == AR_PLUS || op == AR_MINUS) && (is_time_or_interval(a->type) || is_time_or_interval(b->type)))
        return ol_sql_time_arith_exec(cx, op == AR_MINUS, a, b, rows, out);
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    if (op == AR_INTDIV) return intdiv_kernel(cx, a, b, rows, out);
    if (op == AR_MOD) return modulo_kernel(cx, a, b, rows, out);
    if (out->type == OL_SQL_FLOAT64) {
        const double *x = f64_view(cx, a, rows), *y = f64_view(cx, b, rows);
        if (!x || !y) return OL_NOMEM;
        bool ca = a->is_const, cb = b->is_const;
        switch (op) {
        case AR_PLUS: OL_BINLOOP(rows, x, ca, y, cb, out->f, F_ADD); break;
        case AR_MINUS: OL_BINLOOP(rows, x, ca, y, cb, out->f, F_SUB); break;
        case AR_MUL: OL_BINLOOP(rows, x, ca, y, cb, out->f, F_MUL); break;
        default: OL_BINLOOP(rows, x, ca, y, cb, out->f, F_DIV); break;
        }
        return OL_OK;
    }
    /* Integer results never overflow their width below 64 bits (the result
     * is wider than both operands), and 64-bit ones wrap like ClickHouse's. */
    switch (op) {
    case AR_PLUS: OL_BINLOOP(rows, a->i, a->is_const, b->i, b->is_const, out->i, I_ADD); break;
    case AR_MINUS: OL_BINLOOP(rows, a->i, a->is_const, b->i, b->is_const, out->i, I_SUB); break;
    default: OL_BINLOOP(rows, a->i, a->is_const, b->i, b->is_const, out->i, I_MUL); break;
    }
    return OL_OK;
}

#define OL_AR_FN(name, op)                                                                         \
    static int name##_type(OL_SQL_TYPE_ARGS) { return arith_type(op, args, consts, n, out, err); } \
    static int name##_exec(OL_SQL_EXEC_ARGS) { return arith_exec(op, cx, args, n, rows, out); }
OL_AR_FN(plus, AR_PLUS)
OL_AR_FN(minus, AR_MINUS)
OL_AR_FN(multiply, AR_MUL)
OL_AR_FN(divide, AR_DIV)
OL_AR_FN(intdiv, AR_INTDIV)
OL_AR_FN(modulo, AR_MOD)

static int negate_type(OL_SQL_TYPE_ARGS)
{
    ol_sql_type_t a = args[0];
    if (ol_sql_type_is_interval(a) || a == OL_SQL_FLOAT64) *out = a;
    else if (ol_sql_type_is_int(a))
        *out = ol_sql_int_type(true, ol_sql_type_is_signed(a) ? ol_sql_int_width(a) : next_size(ol_sql_int_width(a)));
    else return ol_sql_arg_err(err, "negate", 1, a, "a number");
    return OL_OK;
}

static int negate_exec(OL_SQL_EXEC_ARGS)
{
    const ol_sql_vec_t *a = &args[0];
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    if (a->type == OL_SQL_FLOAT64)
        for (uint32_t r = 0; r < rows; r++) out->f[r] = -a->f[ol_sql_row(a, r)];
    else
        for (uint32_t r = 0; r < rows; r++) out->i[r] = ol_sql_int_wrap(out->type, 0 - (uint64_t)a->i[ol_sql_row(a, r)]);
    return OL_OK;
}

static int abs_type(OL_SQL_TYPE_ARGS)
{
    ol_sql_type_t a = args[0];
    if (a == OL_SQL_FLOAT64) *out = a;
    else if (ol_sql_type_is_int(a)) *out = ol_sql_int_type(false, ol_sql_int_width(a));
    else return ol_sql_arg_err(err, "abs", 1, a, "a number");
    return OL_OK;
}

static int abs_exec(OL_SQL_EXEC_ARGS)
{
    const ol_sql_vec_t *a = &args[0];
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    if (a->type == OL_SQL_FLOAT64)
        for (uint32_t r = 0; r < rows; r++) out->f[r] = fabs(a->f[ol_sql_row(a, r)]);
    else if (!ol_sql_type_is_signed(a->type))
        for (uint32_t r = 0; r < rows; r++) out->i[r] = a->i[ol_sql_row(a, r)];
    else
        for (uint32_t r = 0; r < rows; r++) {
            int64_t v = a->i[ol_sql_row(a, r)];
            out->i[r] = ol_sql_int_wrap(out->type, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
        }
    return OL_OK;
}

/* ---- comparison ---- */

typedef enum { C_EQ, C_NE, C_LT, C_GT, C_LE, C_GE } cmp_op_t;
static const char *const cmp_names[] = {"equals", "notEquals", "less", "greater", "lessOrEquals", "greaterOrEquals"};

static inline int str_cmp(ol_slice_t a, ol_slice_t b)
{
    size_t m = OL_MIN(a.len, b.len);
    int c = m ? memcmp(a.ptr, b.ptr, m) : 0;
    if (c) return c < 0 ? -1 : 1;
    return a.len < b.len ? -1 : a.len > b.len;
}

/* Never negative: unsigned integers, Bool, Date, DateTime. */
static bool nonneg_type(ol_sql_type_t t)
{
    return (ol_sql_type_is_int(t) && !ol_sql_type_is_signed(t)) || t == OL_SQL_DATE || t == OL_SQL_DATETIME;
}

/* A Date compared with a DateTime becomes a DateTime, wrapping past 2106 as
 * ClickHouse's conversion does. */
static inline int64_t date_as_datetime(int64_t days) { return (uint32_t)(days * 86400); }

/* An int-like value's scale, in nanoseconds for times; a plain number
 * compared with a time counts seconds (days against a Date). */
static int64_t cmp_scale(ol_sql_type_t t, ol_sql_type_t other)
{
    if (ol_sql_type_is_time(t)) return ol_sql_time_unit(t);
    if (ol_sql_type_is_time(other)) return other == OL_SQL_DATE ? ol_sql_time_unit(OL_SQL_DATE) : 1000000000LL;
    return 1;
}

static __int128 i128_of(const ol_sql_vec_t *v, uint32_t k)
{
    return v->type == OL_SQL_UINT64 ? (__int128)(uint64_t)v->i[k] : (__int128)v->i[k];
}

/* i against f, exactly. */
static int cmp_int_float(__int128 i, double f, bool *unordered)
{
    if (isnan(f)) {
        *unordered = true;
        return 0;
    }
    if (f >= 1e30) return -1;
    if (f <= -1e30) return 1;
    double t = trunc(f);
    __int128 ti = (__int128)t;
    if (i != ti) return i < ti ? -1 : 1;
    double frac = f - t;
    return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

static bool nested_equal(const ol_sql_vec_t *a, uint32_t ra, const ol_sql_vec_t *b, uint32_t rb)
{
    uint32_t ka = ol_sql_row(a, ra), kb = ol_sql_row(b, rb);
    uint32_t na = a->off[ka + 1] - a->off[ka], nb = b->off[kb + 1] - b->off[kb];
    if (na != nb) return false;
    for (uint32_t e = 0; e < na; e++) {
        uint32_t ea = a->off[ka] + e, eb = b->off[kb] + e;
        bool un = false;
        if (a->type == OL_SQL_MAP) {
            if (!ol_slice_eq(a->keys->s[ea], b->keys->s[eb]) || !ol_slice_eq(a->vals->s[ea], b->vals->s[eb])) return false;
        } else if (ol_sql_cmp_rows(a->vals, ea, b->vals, eb, &un) != 0 || un)
            return false;
    }
    return true;
}

int ol_sql_cmp_rows(const ol_sql_vec_t *a, uint32_t ra, const ol_sql_vec_t *b, uint32_t rb, bool *unordered)
{
    *unordered = false;
    uint32_t ka = ol_sql_row(a, ra), kb = ol_sql_row(b, rb);
    char pa = ol_sql_type_repr(a->type), pb = ol_sql_type_repr(b->type);
    if (pa == 's' && pb == 's') return str_cmp(a->s[ka], b->s[kb]);
    if (pa == 'm' || pa == 'a' || pb == 'm' || pb == 'a') {
        if (a->type != b->type) return 1;
        return nested_equal(a, ra, b, rb) ? 0 : 1;
    }
    if (pa == 's' || pb == 's') return pa == 's' ? 1 : -1; /* not comparable: unequal */
    int64_t sa = cmp_scale(a->type, b->type), sb = cmp_scale(b->type, a->type);
    if (pa == 'i' && pb == 'i') {
        __int128 x = i128_of(a, ka) * sa, y = i128_of(b, kb) * sb;
        if (a->type == OL_SQL_DATE && b->type == OL_SQL_DATETIME) x = (__int128)date_as_datetime(a->i[ka]) * sb;
        if (b->type == OL_SQL_DATE && a->type == OL_SQL_DATETIME) y = (__int128)date_as_datetime(b->i[kb]) * sa;
        return x < y ? -1 : x > y;
    }
    if (pa == 'f' && pb == 'f') {
        double x = a->f[ka], y = b->f[kb];
        if (isnan(x) || isnan(y)) {
            *unordered = true;
            return 0;
        }
        return x < y ? -1 : x > y;
    }
    bool flip = pa == 'f';
    const ol_sql_vec_t *iv = flip ? b : a, *fv = flip ? a : b;
    uint32_t ki = flip ? kb : ka, kf = flip ? ka : kb;
    int64_t si = flip ? sb : sa, sf = flip ? sa : sb;
    int c;
    if (si == sf) c = cmp_int_float(i128_of(iv, ki), fv->f[kf], unordered);
    else {
        long double x = (long double)i128_of(iv, ki) * si, y = (long double)fv->f[kf] * sf;
        if (isnan(fv->f[kf])) *unordered = true;
        c = x < y ? -1 : x > y;
    }
    return flip ? -c : c;
}


/* A constant string compared with a value of type t, converted to a
 * constant of t's kind (ClickHouse converts such literals). */
static int str_const_to(ol_sql_ctx_t *cx, const char *fn, ol_slice_t s, ol_sql_type_t t, ol_sql_vec_t *out, ol_err_t *err)
{
    int64_t v;
    if (ol_sql_type_is_time(t)) {
        if (ol_sql_parse_time_as(t, s, false, &v, err) != OL_OK) return OL_CORRUPT;
        return ol_sql_vec_const_int(cx, out, t, v);
    }
    if (t == OL_SQL_FLOAT64) {
        double d;
        if (ol_sql_parse_float(s, &d, fn, err) != OL_OK) return OL_CORRUPT;
        return ol_sql_vec_const_float(cx, out, d);
    }
    if (t == OL_SQL_BOOL) {
        static const char *const words[] = {"false", "0", "f", "n", "no", "off", "disable", "disabled",
                                            "true", "1", "t", "y", "yes", "on", "enable", "enabled"};
        for (size_t w = 0; w < OL_ARRAY_LEN(words); w++)
            if (ol_slice_eq_nocase_cstr(s, words[w])) return ol_sql_vec_const_int(cx, out, OL_SQL_UINT8, w >= 8);
        ol_err_set(err, "%s: cannot parse boolean value '%.*s'", fn, (int)OL_MIN(s.len, 80), (const char *)s.ptr);
        return OL_CORRUPT;
    }
    size_t i = 0;
    bool neg = s.len && s.ptr[0] == '-' && ol_sql_type_is_signed(t);
    if (neg) i++;
    uint64_t u = 0;
    bool ok = i < s.len;
    for (; ok && i < s.len; i++) {
        unsigned d = (unsigned)s.ptr[i] - '0';
        if (d > 9 || u > (UINT64_MAX - d) / 10) ok = false;
        else u = u * 10 + d;
    }
    if (!ok || (neg && u > (uint64_t)INT64_MAX + 1)) {
        ol_err_set(err, "%s: cannot convert string '%.*s' to type %s", fn, (int)OL_MIN(s.len, 80), (const char *)s.ptr,
                   ol_sql_type_name(t));
        return OL_CORRUPT;
    }
    ol_sql_type_t it = neg ? OL_SQL_INT64 : OL_SQL_UINT64;
    v = neg ? (int64_t)(0 - u) : (int64_t)u;
    return ol_sql_vec_const_int(cx, out, it, v);
}

/* Whether equals & co. accept these two types (cs: the constant of a String side). */
static int cmp_check(const char *fn, bool order, ol_sql_type_t a, const ol_sql_vec_t *ca, ol_sql_type_t b,
                     const ol_sql_vec_t *cb, ol_err_t *err)
{
    for (int pass = 0; pass < 2; pass++) {
        ol_sql_type_t x = pass ? b : a, y = pass ? a : b;
        const ol_sql_vec_t *cy = pass ? ca : cb;
        if (y == OL_SQL_STRING && x != OL_SQL_STRING && (ol_sql_type_is_time(x) || ol_sql_type_is_number(x))) {
            if (!cy) {
                ol_err_set(err, "%s: cannot compare %s with a String that is not a constant", fn, ol_sql_type_name(x));
                return OL_ERR;
            }
            /* a throwaway conversion, for the error now rather than per batch */
            ol_arena_t *ar = ol_arena_create(256, 0);
            if (!ar) return OL_NOMEM;
            ol_sql_ctx_t tcx = {.arena = ar, .err = err};
            ol_sql_vec_t tmp;
            int rc = str_const_to(&tcx, fn, cy->s[0], x, &tmp, err);
            ol_arena_destroy(ar);
            return rc == OL_OK ? OL_OK : OL_ERR;
        }
    }
    bool ok = (a == OL_SQL_STRING && b == OL_SQL_STRING) || (ol_sql_type_is_number(a) && ol_sql_type_is_number(b)) ||
              (ol_sql_type_is_time(a) && ol_sql_type_is_time(b)) ||
              (ol_sql_type_is_time(a) && a != OL_SQL_DATE && ol_sql_type_is_number(b)) ||
              (ol_sql_type_is_time(b) && b != OL_SQL_DATE && ol_sql_type_is_number(a)) ||
              (ol_sql_type_is_interval(a) && (a == b || ol_sql_type_is_number(b))) ||
              (ol_sql_type_is_interval(b) && ol_sql_type_is_number(a)) ||
              (!order && a == b && (a == OL_SQL_MAP || ol_sql_type_is_array(a)));
    if (!ok) {
        ol_err_set(err, "%s: cannot compare %s with %s", fn, ol_sql_type_name(a), ol_sql_type_name(b));
        return OL_ERR;
    }
    return OL_OK;
}

static int cmp_type(cmp_op_t op, OL_SQL_TYPE_ARGS)
{
    int rc = cmp_check(cmp_names[op], op > C_NE, args[0], consts[0], args[1], consts[1], err);
    if (rc != OL_OK) return rc;
    *out = OL_SQL_UINT8;
    return OL_OK;
}

#define K_EQ(x, y) ((x) == (y))
#define K_NE(x, y) ((x) != (y))
#define K_LT(x, y) ((x) < (y))
#define K_GT(x, y) ((x) > (y))
#define K_LE(x, y) ((x) <= (y))
#define K_GE(x, y) ((x) >= (y))
#define OL_CMPLOOP(op, rows, xa, ca, xb, cb, o)                             \
    do {                                                                  \
        switch (op) {                                                     \
        case C_EQ: OL_BINLOOP(rows, xa, ca, xb, cb, o, K_EQ); break;      \
        case C_NE: OL_BINLOOP(rows, xa, ca, xb, cb, o, K_NE); break;      \
        case C_LT: OL_BINLOOP(rows, xa, ca, xb, cb, o, K_LT); break;      \
        case C_GT: OL_BINLOOP(rows, xa, ca, xb, cb, o, K_GT); break;      \
        case C_LE: OL_BINLOOP(rows, xa, ca, xb, cb, o, K_LE); break;      \
        default: OL_BINLOOP(rows, xa, ca, xb, cb, o, K_GE); break;        \
        }                                                                 \
    } while (0)

static int64_t cmp_result(cmp_op_t op, int c, bool unordered)
{
    if (unordered) return op == C_NE;
    switch (op) {
    case C_EQ: return c == 0;
    case C_NE: return c != 0;
    case C_LT: return c < 0;
    case C_GT: return c > 0;
    case C_LE: return c <= 0;
    default: return c >= 0;
    }
}

static void cmp_strings(cmp_op_t op, const ol_sql_vec_t *a, const ol_sql_vec_t *b, uint32_t rows, int64_t *o)
{
    if ((op == C_EQ || op == C_NE) && (a->is_const || b->is_const) && !(a->is_const && b->is_const)) {
        const ol_sql_vec_t *c = a->is_const ? a : b, *v = a->is_const ? b : a;
        ol_slice_t k = c->s[0];
        int64_t eq = op == C_EQ;
        /* a column's equal values are often one slice (a dictionary's, a
         * status name's): the last answer stands for the same slice */
        ol_slice_t last = OL_SLICE_NULL;
        int64_t last_o = 0;
        for (uint32_t r = 0; r < rows; r++) {
            ol_slice_t s = v->s[r];
            if (s.ptr && s.ptr == last.ptr && s.len == last.len) {
                o[r] = last_o;
                continue;
            }
            o[r] = (s.len == k.len && (k.len == 0 || memcmp(s.ptr, k.ptr, k.len) == 0)) ? eq : !eq;
            last = s;
            last_o = o[r];
        }
        return;
    }
    for (uint32_t r = 0; r < rows; r++) o[r] = cmp_result(op, str_cmp(a->s[ol_sql_row(a, r)], b->s[ol_sql_row(b, r)]), false);
}

static int cmp_exec(cmp_op_t op, OL_SQL_EXEC_ARGS)
{
    const char *fn = cmp_names[op];
    ol_sql_vec_t a = args[0], b = args[1];
    int rc;
    if (a.type == OL_SQL_STRING && b.type != OL_SQL_STRING) {
        if ((rc = str_const_to(cx, fn, a.s[0], b.type, &a, cx->err)) != OL_OK) return rc == OL_NOMEM ? rc : OL_ERR;
    } else if (b.type == OL_SQL_STRING && a.type != OL_SQL_STRING) {
        if ((rc = str_const_to(cx, fn, b.s[0], a.type, &b, cx->err)) != OL_OK) return rc == OL_NOMEM ? rc : OL_ERR;
    }
    if ((rc = ol_sql_out(cx, out, rows)) != OL_OK) return rc;
    int64_t *o = out->i;
    char pa = ol_sql_type_repr(a.type), pb = ol_sql_type_repr(b.type);
    if (pa == 's' && pb == 's') {
        cmp_strings(op, &a, &b, rows, o);
        return OL_OK;
    }
    if (pa == 'i' && pb == 'i') {
        int64_t sa = cmp_scale(a.type, b.type), sb = cmp_scale(b.type, a.type);
        bool ua = a.type == OL_SQL_UINT64, ub = b.type == OL_SQL_UINT64;
        if (sa == sb) {
            if (!ua && !ub) {
                OL_CMPLOOP(op, rows, a.i, a.is_const, b.i, b.is_const, o);
                return OL_OK;
            }
            if ((ua || nonneg_type(a.type)) && (ub || nonneg_type(b.type))) {
                const uint64_t *x = (const uint64_t *)a.i, *y = (const uint64_t *)b.i;
                OL_CMPLOOP(op, rows, x, a.is_const, y, b.is_const, o);
                return OL_OK;
            }
        } else if (ol_sql_type_is_time(a.type) && ol_sql_type_is_time(b.type) &&
                   !((a.type == OL_SQL_DATE && b.type == OL_SQL_DATETIME) || (b.type == OL_SQL_DATE && a.type == OL_SQL_DATETIME))) {
            /* instants in nanoseconds: every time type's range fits */
            if (a.is_const && !b.is_const && sa % sb == 0) {
                int64_t c[1] = {a.i[0] * (sa / sb)};
                OL_CMPLOOP(op, rows, c, true, b.i, false, o);
            } else if (b.is_const && !a.is_const && sb % sa == 0) {
                int64_t c[1] = {b.i[0] * (sb / sa)};
                OL_CMPLOOP(op, rows, a.i, false, c, true, o);
            } else {
                for (uint32_t r = 0; r < rows; r++) {
                    int64_t x = a.i[ol_sql_row(&a, r)] * sa, y = b.i[ol_sql_row(&b, r)] * sb;
                    o[r] = cmp_result(op, x < y ? -1 : x > y, false);
                }
            }
            return OL_OK;
        }
    } else if (pa == 'f' && pb == 'f') {
        OL_CMPLOOP(op, rows, a.f, a.is_const, b.f, b.is_const, o);
        return OL_OK;
    }
    for (uint32_t r = 0; r < rows; r++) {
        bool un;
        int c = ol_sql_cmp_rows(&a, r, &b, r, &un);
        o[r] = cmp_result(op, c, un);
    }
    return OL_OK;
}

#define OL_CMP_FN(name, op)                                                                      \
    static int name##_type(OL_SQL_TYPE_ARGS) { return cmp_type(op, args, consts, n, out, err); } \
    static int name##_exec(OL_SQL_EXEC_ARGS) { return cmp_exec(op, cx, args, n, rows, out); }
OL_CMP_FN(equals, C_EQ)
OL_CMP_FN(notequals, C_NE)
OL_CMP_FN(less, C_LT)
OL_CMP_FN(greater, C_GT)
OL_CMP_FN(lessorequals, C_LE)
OL_CMP_FN(greaterorequals, C_GE)

/* ---- logic ---- */

static int logic_type(const char *fn, OL_SQL_TYPE_ARGS)
{
    *out = OL_SQL_UINT8;
    for (size_t i = 0; i < n; i++) {
        if (!ol_sql_type_is_number(args[i])) return ol_sql_arg_err(err, fn, i + 1, args[i], "a number");
        if (args[i] == OL_SQL_BOOL) *out = OL_SQL_BOOL; /* ClickHouse answers Bool when a Bool goes in */
    }
    return OL_OK;
}

static int and_type(OL_SQL_TYPE_ARGS) { return logic_type("and", args, consts, n, out, err); }
static int or_type(OL_SQL_TYPE_ARGS) { return logic_type("or", args, consts, n, out, err); }
static int not_type(OL_SQL_TYPE_ARGS) { return logic_type("not", args, consts, n, out, err); }

static int logic_exec(bool is_and, OL_SQL_EXEC_ARGS)
{
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    int64_t *o = out->i;
    for (uint32_t r = 0; r < rows; r++) o[r] = is_and;
    for (size_t k = 0; k < n; k++) {
        const ol_sql_vec_t *v = &args[k];
        if (v->is_const) {
            double d = v->type == OL_SQL_FLOAT64 ? v->f[0] : 0;
            if (is_and && isfinite(d) && d != 0 && d != 1) { /* ClickHouse's and() casts a finite constant to a Bool exactly */
                ol_err_set(cx->err, "and: cannot convert out of range floating point value to integer type");
                return OL_ERR;
            }
            if (ol_sql_truth(v, 0) != is_and) {
                for (uint32_t r = 0; r < rows; r++) o[r] = !is_and;
                return OL_OK;
            }
            continue;
        }
        if (v->type == OL_SQL_FLOAT64) {
            if (is_and) for (uint32_t r = 0; r < rows; r++) o[r] &= v->f[r] != 0.0;
            else for (uint32_t r = 0; r < rows; r++) o[r] |= v->f[r] != 0.0;
        } else {
            if (is_and) for (uint32_t r = 0; r < rows; r++) o[r] &= v->i[r] != 0;
            else for (uint32_t r = 0; r < rows; r++) o[r] |= v->i[r] != 0;
        }
    }
    return OL_OK;
}

static int and_exec(OL_SQL_EXEC_ARGS) { return logic_exec(true, cx, args, n, rows, out); }
static int or_exec(OL_SQL_EXEC_ARGS) { return logic_exec(false, cx, args, n, rows, out); }

static int not_exec(OL_SQL_EXEC_ARGS)
{
    const ol_sql_vec_t *v = &args[0];
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    if (v->type == OL_SQL_FLOAT64)
        for (uint32_t r = 0; r < rows; r++) out->i[r] = v->f[ol_sql_row(v, r)] == 0.0;
    else
        for (uint32_t r = 0; r < rows; r++) out->i[r] = v->i[ol_sql_row(v, r)] == 0;
    return OL_OK;
}

/* ---- conditionals ---- */

static bool is_cond_type(ol_sql_type_t t) { return t == OL_SQL_UINT8 || t == OL_SQL_BOOL; }

static int branches_type(const char *fn, const ol_sql_type_t *t, size_t n_t, size_t stride, ol_sql_type_t *out,
                         ol_err_t *err)
{
    ol_sql_type_t s = t[0];
    for (size_t i = 1; i < n_t; i++) {
        ol_sql_type_t b = t[i * stride], r;
        if (ol_sql_supertype(s, b, &r) != OL_OK) {
            ol_err_set(err, "%s: the branches' types %s and %s have no common type", fn, ol_sql_type_name(s),
                       ol_sql_type_name(b));
            return OL_ERR;
        }
        s = r;
    }
    *out = s;
    return OL_OK;
}

static int if_type(OL_SQL_TYPE_ARGS)
{
    if (!is_cond_type(args[0])) return ol_sql_arg_err(err, "if", 1, args[0], "UInt8 (a condition)");
    return branches_type("if", args + 1, 2, 1, out, err);
}

static int multiif_type(OL_SQL_TYPE_ARGS)
{
    if (n < 3 || n % 2 == 0) {
        ol_err_set(err, "multiIf: takes an odd number of arguments, at least 3 (conditions, their results, else)");
        return OL_ERR;
    }
    for (size_t i = 0; i + 1 < n; i += 2)
        if (!is_cond_type(args[i])) return ol_sql_arg_err(err, "multiIf", i + 1, args[i], "UInt8 (a condition)");
    ol_sql_type_t t[128];
    size_t k = 0;
    for (size_t i = 1; i < n && k < OL_ARRAY_LEN(t); i += 2) t[k++] = args[i];
    t[k++] = args[n - 1];
    return branches_type("multiIf", t, k, 1, out, err);
}

/* out row r = row r of branch[choice[r]] (branches already of out's type). */
static int pick_rows(ol_sql_ctx_t *cx, const ol_sql_vec_t *const *br, const uint8_t *choice, uint32_t rows, ol_sql_vec_t *out)
{
    char rp = ol_sql_type_repr(out->type);
    if (rp == 'm' || rp == 'a') {
        const ol_sql_vec_t **src = ol_arena_alloc(cx->arena, (rows ? rows : 1) * sizeof *src);
        uint32_t *idx = ol_arena_alloc(cx->arena, (rows ? rows : 1) * sizeof *idx);
        if (!src || !idx) return OL_NOMEM;
        for (uint32_t r = 0; r < rows; r++) {
            src[r] = br[choice[r]];
            idx[r] = r;
        }
        ol_sql_type_t t = out->type;
        return ol_sql_take(cx, t, src, idx, rows, out);
    }
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    for (uint32_t r = 0; r < rows; r++) {
        const ol_sql_vec_t *v = br[choice[r]];
        uint32_t k = ol_sql_row(v, r);
        if (rp == 'i') out->i[r] = v->i[k];
        else if (rp == 'f') out->f[r] = v->f[k];
        else out->s[r] = v->s[k];
    }
    return OL_OK;
}

static int if_exec(OL_SQL_EXEC_ARGS)
{
    const ol_sql_vec_t *c = &args[0];
    ol_sql_vec_t a, b;
    int rc;
    if ((rc = ol_sql_cast_super(cx, &args[1], out->type, &a)) != OL_OK) return rc;
    if ((rc = ol_sql_cast_super(cx, &args[2], out->type, &b)) != OL_OK) return rc;
    char rp = ol_sql_type_repr(out->type);
    if (rp == 'i' && !c->is_const) {
        /* the common case without a choice array */
        if ((rc = ol_sql_out(cx, out, rows)) != OL_OK) return rc;
        for (uint32_t r = 0; r < rows; r++) out->i[r] = c->i[r] ? a.i[ol_sql_row(&a, r)] : b.i[ol_sql_row(&b, r)];
        return OL_OK;
    }
    uint8_t *choice = ol_arena_alloc(cx->arena, rows ? rows : 1);
    if (!choice) return OL_NOMEM;
    for (uint32_t r = 0; r < rows; r++) choice[r] = ol_sql_truth(c, r) ? 0 : 1;
    const ol_sql_vec_t *br[2] = {&a, &b};
    return pick_rows(cx, br, choice, rows, out);
}

static int multiif_exec(OL_SQL_EXEC_ARGS)
{
    size_t nb = n / 2 + 1;
    if (nb > 128) return OL_ERR;
    ol_sql_vec_t cast[128];
    const ol_sql_vec_t *br[128];
    int rc;
    for (size_t k = 0; k < nb; k++) {
        const ol_sql_vec_t *src = k + 1 < nb ? &args[2 * k + 1] : &args[n - 1];
        if ((rc = ol_sql_cast_super(cx, src, out->type, &cast[k])) != OL_OK) return rc;
        br[k] = &cast[k];
    }
    uint8_t *choice = ol_arena_alloc(cx->arena, rows ? rows : 1);
    if (!choice) return OL_NOMEM;
    memset(choice, (int)(nb - 1), rows);
    /* the last condition first, so the first true one wins */
    for (size_t k = nb - 1; k-- > 0;) {
        const ol_sql_vec_t *c = &args[2 * k];
        for (uint32_t r = 0; r < rows; r++)
            if (ol_sql_truth(c, r)) choice[r] = (uint8_t)k;
    }
    return pick_rows(cx, br, choice, rows, out);
}

/* ---- numeric conversions ---- */

static bool convertible(ol_sql_type_t t)
{
    return ol_sql_type_is_number(t) || t == OL_SQL_STRING || ol_sql_type_is_time(t) || ol_sql_type_is_interval(t);
}

/* x86-64's truncating conversions, which ClickHouse's casts compile to. */
static int64_t cvt64(double x) { return (x >= -9223372036854775808.0 && x < 9223372036854775808.0) ? (int64_t)x : INT64_MIN; }
static int64_t cvt32(double x) { return (x > -2147483649.0 && x < 2147483648.0) ? (int32_t)x : INT32_MIN; }

static int64_t float_to_int(ol_sql_type_t t, double x)
{
    switch (t) {
    case OL_SQL_INT64: return cvt64(x);
    case OL_SQL_UINT64: {
        int64_t r1 = cvt64(x), r2 = cvt64(x - 9223372036854775808.0);
        return r1 | (r1 < 0 ? r2 : 0); /* r1 >> 63 as a mask */
    }
    case OL_SQL_UINT32: return (uint32_t)cvt64(x);
    default: return ol_sql_int_wrap(t, (uint64_t)cvt32(x));
    }
}

static const char *conv_name(ol_sql_type_t t)
{
    switch (t) {
    case OL_SQL_UINT8: return "toUInt8";
    case OL_SQL_UINT16: return "toUInt16";
    case OL_SQL_UINT32: return "toUInt32";
    case OL_SQL_UINT64: return "toUInt64";
    case OL_SQL_INT8: return "toInt8";
    case OL_SQL_INT16: return "toInt16";
    case OL_SQL_INT32: return "toInt32";
    case OL_SQL_INT64: return "toInt64";
    default: return "toFloat64";
    }
}

static int conv_type(ol_sql_type_t to, OL_SQL_TYPE_ARGS)
{
    if (!convertible(args[0])) return ol_sql_arg_err(err, conv_name(to), 1, args[0], "a number, a String or a time");
    *out = to;
    return OL_OK;
}

static int conv_exec(OL_SQL_EXEC_ARGS)
{
    const ol_sql_vec_t *v = &args[0];
    ol_sql_type_t to = out->type;
    const char *fn = conv_name(to);
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    for (uint32_t r = 0; r < rows; r++) {
        uint32_t k = ol_sql_row(v, r);
        if (to == OL_SQL_FLOAT64) {
            double d;
            if (v->type == OL_SQL_STRING) {
                if (ol_sql_parse_float(v->s[k], &d, fn, cx->err) != OL_OK) return OL_ERR;
            } else if (v->type == OL_SQL_DATETIME64) d = (double)v->i[k] / 1e9;
            else d = ol_sql_num_f(v, r);
            out->f[r] = d;
            continue;
        }
        if (v->type == OL_SQL_STRING) {
            if (ol_sql_parse_int_as(to, v->s[k], &out->i[r], fn, cx->err) != OL_OK) return OL_ERR;
        } else if (v->type == OL_SQL_FLOAT64) {
            double d = v->f[k];
            if (isnan(d) || isinf(d)) {
                ol_err_set(cx->err, "%s: unexpected inf or nan to integer conversion", fn);
                return OL_ERR;
            }
            out->i[r] = float_to_int(to, d);
        } else if (v->type == OL_SQL_DATETIME64) {
            /* a Decimal in ClickHouse: whole seconds, checked against the range */
            int64_t sec = v->i[k] / 1000000000LL;
            if (ol_sql_int_wrap(to, (uint64_t)sec) != sec || (to == OL_SQL_UINT64 && sec < 0)) {
                ol_err_set(cx->err, "%s: convert overflow", fn);
                return OL_ERR;
            }
            out->i[r] = sec;
        } else
            out->i[r] = ol_sql_int_wrap(to, (uint64_t)v->i[k]);
    }
    return OL_OK;
}

#define OL_CONV_FN(name, t) \
    static int name##_type(OL_SQL_TYPE_ARGS) { return conv_type(t, args, consts, n, out, err); }
OL_CONV_FN(touint8, OL_SQL_UINT8)
OL_CONV_FN(touint16, OL_SQL_UINT16)
OL_CONV_FN(touint32, OL_SQL_UINT32)
OL_CONV_FN(touint64, OL_SQL_UINT64)
OL_CONV_FN(toint8, OL_SQL_INT8)
OL_CONV_FN(toint16, OL_SQL_INT16)
OL_CONV_FN(toint32, OL_SQL_INT32)
OL_CONV_FN(toint64, OL_SQL_INT64)
OL_CONV_FN(tofloat64, OL_SQL_FLOAT64)

static int tostring_type(OL_SQL_TYPE_ARGS)
{
    *out = OL_SQL_STRING;
    return OL_OK;
}

static int tostring_exec(OL_SQL_EXEC_ARGS)
{
    int rc = ol_sql_to_string_vec(cx, &args[0], rows, out);
    if (rc != OL_OK) return rc;
    if (out->is_const && rows > 1) { /* a constant argument stands for every row */
        ol_slice_t s = out->s[0];
        if ((rc = ol_sql_vec_alloc(cx, out, OL_SQL_STRING, rows)) != OL_OK) return rc;
        for (uint32_t r = 0; r < rows; r++) out->s[r] = s;
    }
    out->is_const = false;
    out->type = OL_SQL_STRING;
    return OL_OK;
}

/* ---- rounding ---- */

typedef enum { RD_ROUND, RD_FLOOR, RD_CEIL } rd_mode_t;
static const char *const rd_names[] = {"round", "floor", "ceil"};

static int rounding_type(rd_mode_t m, OL_SQL_TYPE_ARGS)
{
    const char *fn = rd_names[m];
    if (!ol_sql_type_is_number(args[0])) return ol_sql_arg_err(err, fn, 1, args[0], "a number");
    if (n > 1 && (!ol_sql_type_is_int(args[1]) || args[1] == OL_SQL_BOOL))
        return ol_sql_arg_err(err, fn, 2, args[1], "an integer (the number of decimal places)");
    *out = args[0];
    return OL_OK;
}

/* 10^k as ClickHouse's intExp10 (saturating above 10^19). */
static uint64_t int_exp10(int64_t k)
{
    if (k < 0) return 0;
    if (k > 19) return UINT64_MAX;
    uint64_t p = 1;
    while (k--) p *= 10;
    return p;
}

static double round_float(rd_mode_t m, double x, int64_t places)
{
    double s = places ? (double)int_exp10(places > 0 ? places : -places) : 1;
    if (places > 0) x *= s;
    else if (places < 0) x /= s;
    x = m == RD_ROUND ? nearbyint(x) : m == RD_FLOOR ? floor(x) : ceil(x);
    if (places > 0) x /= s;
    else if (places < 0) x *= s;
    return x;
}

/* Rounds an integer to -places zeros, in t's arithmetic (wrapping like
 * ClickHouse's templates over t: narrow types compute in int). */
static int64_t round_int(rd_mode_t m, ol_sql_type_t t, int64_t x, int64_t places)
{
    if (places >= 0) return x;
    uint64_t s = int_exp10(-places);
    int w = ol_sql_int_width(t);
    bool sg = ol_sql_type_is_signed(t);
    uint64_t tmax = w >= 8 ? (sg ? (uint64_t)INT64_MAX : UINT64_MAX) : (sg ? ((uint64_t)1 << (8 * w - 1)) - 1 : ((uint64_t)1 << (8 * w)) - 1);
    if (s > tmax) return 0;
    /* the type C promotes t to: int below 32 bits, t otherwise */
    ol_sql_type_t p = w < 4 ? OL_SQL_INT32 : t;
    bool udiv = !sg && w >= 4;
    int64_t v = x, q;
    bool neg = sg && v < 0;
    if (m == RD_FLOOR) {
        if (neg) v = ol_sql_int_wrap(t, (uint64_t)v - (s - 1));
    } else if (m == RD_CEIL) {
        if (!neg) v = ol_sql_int_wrap(t, (uint64_t)v + (s - 1));
    } else {
        if (neg) v = ol_sql_int_wrap(t, (uint64_t)v - s);
        v = ol_sql_int_wrap(p, (uint64_t)v + s / 2);
    }
    if (udiv) q = (int64_t)(((uint64_t)v / s) * s);
    else q = (int64_t)((uint64_t)(v / (int64_t)s) * s);
    return ol_sql_int_wrap(t, (uint64_t)ol_sql_int_wrap(p, (uint64_t)q));
}

static int rounding_exec(rd_mode_t m, OL_SQL_EXEC_ARGS)
{
    const ol_sql_vec_t *v = &args[0], *pl = n > 1 ? &args[1] : NULL;
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    for (uint32_t r = 0; r < rows; r++) {
        int64_t places = 0;
        if (pl) {
            places = pl->i[ol_sql_row(pl, r)];
            if (pl->type == OL_SQL_UINT64 && places < 0) places = INT64_MAX;
            if (places > 32767 || places < -32768) {
                ol_err_set(cx->err, "%s: scale argument for rounding function is too large", rd_names[m]);
                return OL_ERR;
            }
        }
        uint32_t k = ol_sql_row(v, r);
        if (v->type != OL_SQL_FLOAT64 && (places > 19 || places < -19)) {
            /* ClickHouse's integer rounding has a table of powers up to 10^19 */
            ol_err_set(cx->err, "%s: unexpected 'scale' parameter passed to function", rd_names[m]);
            return OL_ERR;
        }
        if (v->type == OL_SQL_FLOAT64) out->f[r] = round_float(m, v->f[k], places);
        else out->i[r] = round_int(m, v->type, v->i[k], places);
    }
    return OL_OK;
}

#define OL_RD_FN(name, m)                                                                           \
    static int name##_type(OL_SQL_TYPE_ARGS) { return rounding_type(m, args, consts, n, out, err); }  \
    static int name##_exec(OL_SQL_EXEC_ARGS) { return rounding_exec(m, cx, args, n, rows, out); }
OL_RD_FN(round, RD_ROUND)
OL_RD_FN(floor, RD_FLOOR)
OL_RD_FN(ceil, RD_CEIL)

/* ---- registry ---- */

const ol_sql_func_t ol_sql_funcs_core[] = {
    {"plus", 2, 2, false, plus_type, plus_exec},
    {"minus", 2, 2, false, minus_type, minus_exec},
    {"multiply", 2, 2, false, multiply_type, multiply_exec},
    {"divide", 2, 2, false, divide_type, divide_exec},
    {"intDiv", 2, 2, false, intdiv_type, intdiv_exec},
    {"modulo", 2, 2, false, modulo_type, modulo_exec},
    {"mod", 2, 2, true, modulo_type, modulo_exec},
    {"negate", 1, 1, false, negate_type, negate_exec},
    {"abs", 1, 1, true, abs_type, abs_exec},
    {"equals", 2, 2, false, equals_type, equals_exec},
    {"notEquals", 2, 2, false, notequals_type, notequals_exec},
    {"less", 2, 2, false, less_type, less_exec},
    {"greater", 2, 2, false, greater_type, greater_exec},
    {"lessOrEquals", 2, 2, false, lessorequals_type, lessorequals_exec},
    {"greaterOrEquals", 2, 2, false, greaterorequals_type, greaterorequals_exec},
    {"and", 2, 255, false, and_type, and_exec},
    {"or", 2, 255, false, or_type, or_exec},
    {"not", 1, 1, true, not_type, not_exec},
    {"if", 3, 3, true, if_type, if_exec},
    {"multiIf", 3, 255, false, multiif_type, multiif_exec},
    {"toString", 1, 1, false, tostring_type, tostring_exec},
    {"toUInt8", 1, 1, false, touint8_type, conv_exec},
    {"toUInt16", 1, 1, false, touint16_type, conv_exec},
    {"toUInt32", 1, 1, false, touint32_type, conv_exec},
    {"toUInt64", 1, 1, false, touint64_type, conv_exec},
    {"toInt8", 1, 1, false, toint8_type, conv_exec},
    {"toInt16", 1, 1, false, toint16_type, conv_exec},
    {"toInt32", 1, 1, false, toint32_type, conv_exec},
    {"toInt64", 1, 1, false, toint64_type, conv_exec},
    {"toFloat64", 1, 1, false, tofloat64_type, conv_exec},
    {"round", 1, 2, true, round_type, round_exec},
    {"floor", 1, 2, true, floor_type, floor_exec},
    {"ceil", 1, 2, true, ceil_type, ceil_exec},
    {"ceiling", 1, 2, true, ceil_type, ceil_exec},
};
const size_t ol_sql_funcs_core_n = OL_ARRAY_LEN(ol_sql_funcs_core);

const ol_sql_func_t *ol_sql_func_find(ol_slice_t name)
{
    const ol_sql_func_t *tables[] = {ol_sql_funcs_core, ol_sql_funcs_str, ol_sql_funcs_time};
    const size_t counts[] = {ol_sql_funcs_core_n, ol_sql_funcs_str_n, ol_sql_funcs_time_n};
    for (size_t t = 0; t < OL_ARRAY_LEN(tables); t++)
        for (size_t i = 0; i < counts[t]; i++) {
            const ol_sql_func_t *f = &tables[t][i];
            if (ol_slice_eq_cstr(name, f->name) || (f->any_case && ol_slice_eq_nocase_cstr(name, f->name))) return f;
        }
    return NULL;
}
