/*
 * func_time.c - dates, times and intervals of Olly's SQL (see func.c for the
 * registry and the conventions): now(), the toStartOf* family and
 * toStartOfInterval, the conversions toDate/toDateTime/toDateTime64 and the
 * Unix-timestamp ones, the parts (toYear .. toSecond), the interval
 * constructors, time arithmetic for plus/minus, and the date/time text
 * parser and printer of vec.h.
 *
 * Everything is UTC, so a day is always 86400 seconds and calendar fields
 * come from the civil-date algorithms below (days since 1970-01-01 to and
 * from year/month/day) instead of a time-zone table.
 *
 * ClickHouse's ranges are kept: Date is a UInt16 of days and DateTime a
 * UInt32 of seconds. Conversions from numbers and text saturate at those
 * ranges (toDateTime(-1) is 1970-01-01 00:00:00), while arithmetic and
 * conversions from other times wrap (DateTime '2106-02-07 06:28:15' + 1 is
 * 1970-01-01 00:00:00), as ClickHouse does. toStartOf* of a DateTime64 take
 * its whole seconds truncated toward zero first, like ClickHouse.
 *
 * toStartOfInterval's origins (checked in chDB): seconds and minutes count
 * from the epoch, hours from midnight of the day, days from 1970-01-01,
 * weeks from Monday 1970-01-05, months and quarters from January 1900,
 * years from year 0.
 */
#include <math.h>
#include <stdio.h>

#include "sql/func_int.h"

#define NS_PER_SEC 1000000000LL
#define NS_PER_DAY 86400000000000LL

/* ---- the civil calendar (proleptic Gregorian) ---- */

int64_t ol_sql_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void ol_sql_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static unsigned month_days(int64_t y, unsigned m)
{
    static const unsigned char md[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : md[m - 1];
}

/* days + months, the day clamped to the new month's last (Jan 31 + 1 month = Feb 29). */
static int64_t add_months_days(int64_t days, int64_t months)
{
    int64_t y;
    unsigned m, d;
    ol_sql_civil_from_days(days, &y, &m, &d);
    int64_t mi = y * 12 + (m - 1) + months;
    int64_t ny = ol_sql_floor_div(mi, 12);
    unsigned nm = (unsigned)(mi - ny * 12) + 1;
    unsigned nd = OL_MIN(d, month_days(ny, nm));
    return ol_sql_days_from_civil(ny, nm, nd);
}

static int64_t wrap_date(int64_t days) { return (uint16_t)days; }
static int64_t wrap_datetime(int64_t secs) { return (uint32_t)secs; }
static int64_t sat(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }
#define DATE_MAX 65535
#define DATETIME_MAX 4294967295LL

/* ---- text ---- */

void ol_sql_format_time(ol_sql_type_t t, int64_t v, char out[40])
{
    int64_t days, sod = 0, frac = 0;
    if (t == OL_SQL_DATE) days = v;
    else if (t == OL_SQL_DATETIME) {
        days = ol_sql_floor_div(v, 86400);
        sod = v - days * 86400;
    } else {
        int64_t secs = ol_sql_floor_div(v, NS_PER_SEC);
        frac = v - secs * NS_PER_SEC;
        days = ol_sql_floor_div(secs, 86400);
        sod = secs - days * 86400;
    }
    int64_t y;
    unsigned m, d;
    ol_sql_civil_from_days(days, &y, &m, &d);
    if (t == OL_SQL_DATE) snprintf(out, 40, "%04lld-%02u-%02u", (long long)y, m, d);
    else if (t == OL_SQL_DATETIME)
        snprintf(out, 40, "%04lld-%02u-%02u %02u:%02u:%02u", (long long)y, m, d, (unsigned)(sod / 3600),
                 (unsigned)(sod / 60 % 60), (unsigned)(sod % 60));
    else
        snprintf(out, 40, "%04lld-%02u-%02u %02u:%02u:%02u.%09lld", (long long)y, m, d, (unsigned)(sod / 3600),
                 (unsigned)(sod / 60 % 60), (unsigned)(sod % 60), (long long)frac);
}

typedef struct dt_text {
    int64_t days;   /* since 1970-01-01 */
    int64_t secs;   /* into the day, may exceed a day (ClickHouse does not check 25:00:00) */
    int64_t frac;   /* nanoseconds */
    bool has_time, has_frac, is_unix;
} dt_text_t;

static size_t digits(const uint8_t *p, size_t i, size_t n, size_t max, int64_t *v)
{
    size_t k = 0;
    *v = 0;
    while (i + k < n && k < max && p[i + k] >= '0' && p[i + k] <= '9') *v = *v * 10 + (p[i + k++] - '0');
    return k;
}

/* ClickHouse's date/time text: YYYY-MM-DD (or / . separators, or YYYYMMDD),
 * then optionally [ T]hh[:mm[:ss[.fraction]]], then Z or +hh[:mm] / -hh[:mm];
 * spaces around; all digits = Unix seconds (with a fraction). */
static bool parse_dt(ol_slice_t s, dt_text_t *o)
{
    const uint8_t *p = s.ptr;
    size_t n = s.len, i = 0;
    memset(o, 0, sizeof *o);
    while (n && p[n - 1] == ' ') n--;
    while (i < n && p[i] == ' ') i++;
    int64_t y, m, d, v;
    size_t k = digits(p, i, n, 20, &y);
    if (k == 0) return false;
    if (i + k == n || (k > 8 && p[i + k] == '.')) { /* Unix seconds */
        if (k == 8) goto yyyymmdd;
        if (k < 5 || k > 10) return false;
        o->is_unix = true;
        o->days = ol_sql_floor_div(y, 86400);
        o->secs = y - o->days * 86400;
        i += k;
        if (i < n) {
            i++;
            size_t f = digits(p, i, n, 64, &v);
            for (size_t j = 0; j < 9; j++) o->frac = o->frac * 10 + (j < f ? p[i + j] - '0' : 0);
            if (i + f != n) return false;
            o->has_frac = true;
        }
        return true;
    }
    if (k == 8) {
    yyyymmdd:
        m = y / 100 % 100;
        d = y % 100;
        y /= 10000;
        i += 8;
    } else {
        if (k != 4) return false;
        i += 4;
        if (i >= n || (p[i] != '-' && p[i] != '/' && p[i] != '.')) return false;
        i++;
        if (!(k = digits(p, i, n, 2, &m))) return false;
        i += k;
        if (i >= n || (p[i] != '-' && p[i] != '/' && p[i] != '.')) return false;
        i++;
        if (!(k = digits(p, i, n, 2, &d))) return false;
        i += k;
    }
    if (m < 1 || m > 12 || d < 1 || d > (int64_t)month_days(y, (unsigned)m)) return false;
    o->days = ol_sql_days_from_civil(y, (unsigned)m, (unsigned)d);
    if (i < n && (p[i] == ' ' || p[i] == 'T')) {
        size_t j = i + 1;
        int64_t hh, mm = 0, ss = 0;
        if ((k = digits(p, j, n, 2, &hh))) {
            j += k;
            o->has_time = true;
            if (j < n && p[j] == ':') {
                if (!(k = digits(p, ++j, n, 2, &mm))) return false;
                j += k;
                if (j < n && p[j] == ':') {
                    if (!(k = digits(p, ++j, n, 2, &ss))) return false;
                    j += k;
                    if (j < n && p[j] == '.') {
                        j++;
                        size_t f = digits(p, j, n, 64, &v);
                        for (size_t q = 0; q < 9; q++) o->frac = o->frac * 10 + (q < f ? p[j + q] - '0' : 0);
                        o->has_frac = f > 0;
                        j += f;
                    }
                }
            }
            o->secs = hh * 3600 + mm * 60 + ss;
            i = j;
        } else if (p[i] != ' ')
            return false;
    }
    if (i < n && p[i] == 'Z') i++;
    else if (i < n && (p[i] == '+' || p[i] == '-') && o->has_time) {
        int sign = p[i] == '-' ? -1 : 1;
        int64_t oh, om = 0;
        if ((k = digits(p, ++i, n, 2, &oh)) != 2) return false;
        i += k;
        if (i < n && p[i] == ':') i++;
        if ((k = digits(p, i, n, 2, &om))) i += k;
        o->secs -= sign * (oh * 3600 + om * 60);
    }
    while (i < n && p[i] == ' ') i++;
    return i == n;
}

/* A plain date as ClickHouse reads a Date: YYYY-MM-DD (one-digit month and
 * day, / or . allowed) or YYYYMMDD, nothing around it; a day past the
 * month's end runs into the next month, a month out of 1..12 gives day 0.
 * Returns the bytes read, 0 if none. */
static size_t parse_date_only(ol_slice_t s, int64_t *days)
{
    const uint8_t *p = s.ptr;
    size_t n = s.len, i, k;
    int64_t y, m, d;
    k = digits(p, 0, n, 8, &y);
    if (k == 8) {
        m = y / 100 % 100;
        d = y % 100;
        y /= 10000;
        i = 8;
    } else {
        if (k != 4 || k >= n || (p[4] != '-' && p[4] != '/' && p[4] != '.')) return 0;
        i = 5;
        if (!(k = digits(p, i, n, 2, &m))) return 0;
        i += k;
        if (i >= n || (p[i] != '-' && p[i] != '/' && p[i] != '.')) return 0;
        i++;
        if (!(k = digits(p, i, n, 2, &d))) return 0;
        i += k;
    }
    *days = (m < 1 || m > 12 || d < 1) ? 0 : ol_sql_days_from_civil(y, (unsigned)m, (unsigned)d);
    return i;
}

/* toDate's text: a plain date, optionally followed by " hh:mm:ss[.fraction]" (ignored). */
static bool parse_todate(ol_slice_t s, int64_t *days)
{
    size_t i = parse_date_only(s, days);
    if (!i) return false;
    if (i == s.len) return true;
    const uint8_t *p = s.ptr;
    if (s.len - i < 9 || p[i] != ' ' || p[i + 3] != ':' || p[i + 6] != ':') return false;
    for (size_t j = i + 1; j < i + 9; j++)
        if (j != i + 3 && j != i + 6 && (p[j] < '0' || p[j] > '9')) return false;
    i += 9;
    if (i < s.len && p[i] == '.')
        for (i++; i < s.len && p[i] >= '0' && p[i] <= '9'; i++) {}
    return i == s.len;
}

int ol_sql_parse_datetime(ol_slice_t s, int64_t *ns)
{
    dt_text_t t;
    if (!parse_dt(s, &t)) return OL_CORRUPT;
    __int128 v = ((__int128)t.days * 86400 + t.secs) * NS_PER_SEC + t.frac;
    if (v > INT64_MAX || v < INT64_MIN) return OL_CORRUPT;
    *ns = (int64_t)v;
    return OL_OK;
}

int ol_sql_parse_time_as(ol_sql_type_t t, ol_slice_t s, bool strict, int64_t *out, ol_err_t *err)
{
    dt_text_t x;
    int64_t days;
    if (t == OL_SQL_DATE) {
        if (parse_date_only(s, &days) != s.len || !s.len) {
            ol_err_set(err, "Cannot convert string '%.*s' to type Date", (int)OL_MIN(s.len, 80), (const char *)s.ptr);
            return OL_CORRUPT;
        }
        *out = sat(days, 0, DATE_MAX);
        return OL_OK;
    }
    bool ok = parse_dt(s, &x);
    if (ok && t == OL_SQL_DATETIME && strict && x.has_frac) ok = false;
    if (!ok) {
        ol_err_set(err, "Cannot convert string '%.*s' to type %s", (int)OL_MIN(s.len, 80), (const char *)s.ptr,
                   ol_sql_type_name(t));
        return OL_CORRUPT;
    }
    int64_t secs = x.days * 86400 + x.secs;
    if (t == OL_SQL_DATETIME) *out = sat(secs, 0, DATETIME_MAX);
    else *out = secs > INT64_MAX / NS_PER_SEC ? INT64_MAX / NS_PER_SEC * NS_PER_SEC
              : secs < INT64_MIN / NS_PER_SEC ? INT64_MIN / NS_PER_SEC * NS_PER_SEC : secs * NS_PER_SEC + x.frac;
    return OL_OK;
}

/* ---- interval units ---- */

static int64_t unit_ns(ol_sql_type_t iv)
{
    switch (iv) {
    case OL_SQL_INTERVAL_NANOSECOND: return 1;
    case OL_SQL_INTERVAL_MICROSECOND: return 1000;
    case OL_SQL_INTERVAL_MILLISECOND: return 1000000;
    case OL_SQL_INTERVAL_SECOND: return NS_PER_SEC;
    case OL_SQL_INTERVAL_MINUTE: return 60 * NS_PER_SEC;
    case OL_SQL_INTERVAL_HOUR: return 3600 * NS_PER_SEC;
    case OL_SQL_INTERVAL_DAY: return NS_PER_DAY;
    case OL_SQL_INTERVAL_WEEK: return 7 * NS_PER_DAY;
    default: return 0; /* months, quarters, years: calendar units */
    }
}

static int64_t unit_months(ol_sql_type_t iv)
{
    return iv == OL_SQL_INTERVAL_MONTH ? 1 : iv == OL_SQL_INTERVAL_QUARTER ? 3 : iv == OL_SQL_INTERVAL_YEAR ? 12 : 0;
}

static bool sub_second(ol_sql_type_t iv)
{
    return iv == OL_SQL_INTERVAL_NANOSECOND || iv == OL_SQL_INTERVAL_MICROSECOND || iv == OL_SQL_INTERVAL_MILLISECOND;
}

static bool sub_day(ol_sql_type_t iv)
{
    return sub_second(iv) || iv == OL_SQL_INTERVAL_SECOND || iv == OL_SQL_INTERVAL_MINUTE || iv == OL_SQL_INTERVAL_HOUR;
}

/* ---- plus / minus ---- */

int ol_sql_time_arith_type(bool minus, ol_sql_type_t a, ol_sql_type_t b, ol_sql_type_t *out, ol_err_t *err)
{
    const char *fn = minus ? "minus" : "plus";
    bool ta = ol_sql_type_is_time(a), tb = ol_sql_type_is_time(b);
    if (ta && tb) {
        if (!minus || a != b) {
            ol_err_set(err, "%s: illegal types %s and %s", fn, ol_sql_type_name(a), ol_sql_type_name(b));
            return OL_ERR;
        }
        if (a == OL_SQL_DATETIME64) {
            ol_err_set(err, "minus: DateTime64(9) - DateTime64(9) is a Decimal in ClickHouse, which is not supported; "
                            "subtract toUnixTimestamp64Nano() values instead");
            return OL_ERR;
        }
        *out = OL_SQL_INT32;
        return OL_OK;
    }
    if (!ta && (!tb || minus)) {
        ol_err_set(err, tb ? "minus: wrong order of arguments: the time must come first"
                           : "%s: illegal types %s and %s", fn, ol_sql_type_name(a), ol_sql_type_name(b));
        return OL_ERR;
    }
    ol_sql_type_t t = ta ? a : b, o = ta ? b : a;
    if (ol_sql_type_is_number(o)) {
        *out = t;
        return OL_OK;
    }
    if (!ol_sql_type_is_interval(o)) {
        ol_err_set(err, "%s: illegal types %s and %s", fn, ol_sql_type_name(a), ol_sql_type_name(b));
        return OL_ERR;
    }
    if (sub_second(o)) {
        if (t == OL_SQL_DATE) {
            ol_err_set(err, "%s: %s cannot be used with Date", fn, ol_sql_type_name(o));
            return OL_ERR;
        }
        *out = OL_SQL_DATETIME64;
    } else if (sub_day(o))
        *out = t == OL_SQL_DATE ? OL_SQL_DATETIME : t;
    else
        *out = t;
    return OL_OK;
}

static int64_t num_as_int(const ol_sql_vec_t *v, uint32_t k)
{
    if (v->type != OL_SQL_FLOAT64) return v->i[k];
    double d = v->f[k];
    return (d >= -9223372036854775808.0 && d < 9223372036854775808.0) ? (int64_t)d : INT64_MIN;
}

int ol_sql_time_arith_exec(ol_sql_ctx_t *cx, bool minus, const ol_sql_vec_t *a, const ol_sql_vec_t *b, uint32_t rows,
                           ol_sql_vec_t *out)
{
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    int64_t *o = out->i;
    if (ol_sql_type_is_time(a->type) && ol_sql_type_is_time(b->type)) {
        for (uint32_t r = 0; r < rows; r++)
            o[r] = ol_sql_int_wrap(OL_SQL_INT32, (uint64_t)(a->i[ol_sql_row(a, r)] - b->i[ol_sql_row(b, r)]));
        return OL_OK;
    }
    bool ta = ol_sql_type_is_time(a->type);
    const ol_sql_vec_t *tv = ta ? a : b, *ov = ta ? b : a;
    ol_sql_type_t tt = tv->type, rt = out->type;
    uint64_t sign = minus ? (uint64_t)-1 : 1;
    if (ol_sql_type_is_number(ov->type)) {
        /* days for a Date, seconds otherwise; fractions dropped */
        uint64_t step = tt == OL_SQL_DATETIME64 ? (uint64_t)NS_PER_SEC : 1;
        if (ov->type == OL_SQL_UINT64 && !ta) /* a UInt64 before the time goes through Int64 */
            for (uint32_t r = 0; r < (ov->is_const ? 1 : rows); r++)
                if (ov->i[r] < 0) {
                    ol_err_set(cx->err, "%s: numeric overflow", minus ? "minus" : "plus");
                    return OL_ERR;
                }
        for (uint32_t r = 0; r < rows; r++) {
            uint64_t d = sign * (uint64_t)num_as_int(ov, ol_sql_row(ov, r)) * step;
            uint64_t x = (uint64_t)tv->i[ol_sql_row(tv, r)] + d;
            o[r] = tt == OL_SQL_DATE ? wrap_date((int64_t)x) : tt == OL_SQL_DATETIME ? wrap_datetime((int64_t)x) : (int64_t)x;
        }
        return OL_OK;
    }
    ol_sql_type_t iv = ov->type;
    int64_t months = unit_months(iv);
    if (months) {
        for (uint32_t r = 0; r < rows; r++) {
            int64_t t = tv->i[ol_sql_row(tv, r)];
            int64_t dm = (int64_t)(sign * (uint64_t)ov->i[ol_sql_row(ov, r)] * (uint64_t)months);
            /* before 1970 saturates, past the range wraps (as ClickHouse) */
            if (tt == OL_SQL_DATE) o[r] = wrap_date(OL_MAX(add_months_days(t, dm), 0));
            else if (tt == OL_SQL_DATETIME) {
                int64_t days = ol_sql_floor_div(t, 86400);
                o[r] = wrap_datetime(OL_MAX(add_months_days(days, dm) * 86400 + (t - days * 86400), 0));
            } else {
                int64_t days = ol_sql_floor_div(t, NS_PER_DAY);
                o[r] = (int64_t)((uint64_t)add_months_days(days, dm) * (uint64_t)NS_PER_DAY + (uint64_t)(t - days * NS_PER_DAY));
            }
        }
        return OL_OK;
    }
    /* fixed units: in the result's unit (a day for Date, a second for DateTime, ns for DateTime64) */
    int64_t ru = ol_sql_time_unit(rt), tu = ol_sql_time_unit(tt) / ru, step = unit_ns(iv) / ru;
    for (uint32_t r = 0; r < rows; r++) {
        uint64_t x = (uint64_t)tv->i[ol_sql_row(tv, r)] * (uint64_t)tu + sign * (uint64_t)ov->i[ol_sql_row(ov, r)] * (uint64_t)step;
        o[r] = rt == OL_SQL_DATE ? wrap_date((int64_t)x) : rt == OL_SQL_DATETIME ? wrap_datetime((int64_t)x) : (int64_t)x;
    }
    return OL_OK;
}

/* ---- now, today ---- */

static int now_type(OL_SQL_TYPE_ARGS)
{
    *out = OL_SQL_DATETIME;
    return OL_OK;
}

static int now_exec(OL_SQL_EXEC_ARGS)
{
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    for (uint32_t r = 0; r < rows; r++) out->i[r] = (int64_t)(cx->now_ns / NS_PER_SEC);
    return OL_OK;
}

static int today_type(OL_SQL_TYPE_ARGS)
{
    *out = OL_SQL_DATE;
    return OL_OK;
}

static int today_exec(OL_SQL_EXEC_ARGS)
{
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    for (uint32_t r = 0; r < rows; r++) out->i[r] = (int64_t)(cx->now_ns / (uint64_t)NS_PER_DAY);
    return OL_OK;
}

/* ---- toStartOf* ---- */

/* A DateTime or DateTime64 row as whole seconds (DateTime64 truncated toward zero). */
static inline int64_t secs_of(const ol_sql_vec_t *v, uint32_t k)
{
    return v->type == OL_SQL_DATETIME64 ? v->i[k] / NS_PER_SEC : v->type == OL_SQL_DATE ? v->i[k] * 86400 : v->i[k];
}

typedef struct start_fn {
    const char *name;
    int64_t secs;   /* the unit */
    bool date_ok;   /* toStartOfDay takes a Date */
} start_fn_t;

static const start_fn_t start_fns[] = {
    {"toStartOfMinute", 60, false},
    {"toStartOfFiveMinutes", 300, false},
    {"toStartOfFifteenMinutes", 900, false},
    {"toStartOfHour", 3600, false},
    {"toStartOfDay", 86400, true},
};

static int start_type(int which, OL_SQL_TYPE_ARGS)
{
    const start_fn_t *f = &start_fns[which];
    ol_sql_type_t a = args[0];
    if (!(a == OL_SQL_DATETIME || a == OL_SQL_DATETIME64 || (a == OL_SQL_DATE && f->date_ok)))
        return ol_sql_arg_err(err, f->name, 1, a, f->date_ok ? "a Date, DateTime or DateTime64" : "a DateTime or DateTime64");
    *out = OL_SQL_DATETIME;
    return OL_OK;
}

static inline __attribute__((always_inline)) void start_dt64(const int64_t *x, uint32_t rows, int64_t u, int64_t *o)
{
    for (uint32_t r = 0; r < rows; r++) {
        int64_t s = x[r] / NS_PER_SEC;
        o[r] = s >= 0 ? s - s % u : wrap_datetime(s - (s % u + u) % u);
    }
}

static int start_exec(int which, OL_SQL_EXEC_ARGS)
{
    const ol_sql_vec_t *v = &args[0];
    int64_t u = start_fns[which].secs;
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    int64_t *o = out->i;
    if (v->is_const) {
        int64_t s = secs_of(v, 0);
        int64_t x = wrap_datetime(s - (s % u + u) % u);
        for (uint32_t r = 0; r < rows; r++) o[r] = x;
    } else if (v->type == OL_SQL_DATETIME) {
        for (uint32_t r = 0; r < rows; r++) o[r] = v->i[r] - v->i[r] % u; /* never negative */
    } else if (v->type == OL_SQL_DATETIME64) {
        switch (u) { /* constant divisors, so the divisions become multiplications */
        case 60: start_dt64(v->i, rows, 60, o); break;
        case 300: start_dt64(v->i, rows, 300, o); break;
        case 900: start_dt64(v->i, rows, 900, o); break;
        case 3600: start_dt64(v->i, rows, 3600, o); break;
        default: start_dt64(v->i, rows, 86400, o); break;
        }
    } else {
        for (uint32_t r = 0; r < rows; r++) o[r] = wrap_datetime(v->i[r] * 86400);
    }
    return OL_OK;
}

#define OL_START_FN(name, w)                                                                        \
    static int name##_type(OL_SQL_TYPE_ARGS) { return start_type(w, args, consts, n, out, err); }  \
    static int name##_exec(OL_SQL_EXEC_ARGS) { return start_exec(w, cx, args, n, rows, out); }
OL_START_FN(startmin, 0)
OL_START_FN(start5min, 1)
OL_START_FN(start15min, 2)
OL_START_FN(starthour, 3)
OL_START_FN(startday, 4)

static int soi_type(OL_SQL_TYPE_ARGS)
{
    const char *fn = "toStartOfInterval";
    ol_sql_type_t t = args[0], iv = args[1];
    if (!ol_sql_type_is_time(t)) return ol_sql_arg_err(err, fn, 1, t, "a Date, DateTime or DateTime64");
    if (!ol_sql_type_is_interval(iv)) return ol_sql_arg_err(err, fn, 2, iv, "an interval");
    if (!consts[1]) {
        ol_err_set(err, "%s: the interval must be a constant", fn);
        return OL_ERR;
    }
    if (consts[1]->i[0] <= 0) {
        ol_err_set(err, "%s: value for 2nd argument must be positive", fn);
        return OL_ERR;
    }
    if ((t == OL_SQL_DATE && sub_day(iv)) || (t == OL_SQL_DATETIME && sub_second(iv))) {
        ol_err_set(err, "%s: illegal interval kind %s for argument data type %s", fn, ol_sql_type_name(iv),
                   ol_sql_type_name(t));
        return OL_ERR;
    }
    if (sub_second(iv)) *out = OL_SQL_DATETIME64;
    else if (sub_day(iv) || iv == OL_SQL_INTERVAL_DAY) *out = OL_SQL_DATETIME;
    else *out = OL_SQL_DATE;
    return OL_OK;
}

static int64_t soi_calendar(ol_sql_type_t iv, int64_t n, int64_t s, int64_t days);

/* The start of row k's interval (of n units iv) in the result's unit. */
static int64_t soi_one(const ol_sql_vec_t *v, uint32_t k, ol_sql_type_t iv, int64_t n)
{
    int64_t x = v->i[k];
    if (sub_second(iv)) { /* DateTime64 only */
        __int128 step = (__int128)n * unit_ns(iv);
        __int128 q = x / step, rem = x % step;
        if (rem < 0) q--;
        __int128 res = q * step;
        return res < INT64_MIN ? INT64_MIN : (int64_t)res;
    }
    int64_t s = secs_of(v, k);
    int64_t days = ol_sql_floor_div(s, 86400);
    int64_t r = soi_calendar(iv, n, s, days);
    /* a Date result before 1970: saturated from a DateTime, wrapped from a DateTime64 */
    if (sub_day(iv) || iv == OL_SQL_INTERVAL_DAY) return r;
    return r < 0 && v->type != OL_SQL_DATETIME64 ? 0 : wrap_date(r);
}

static int64_t soi_calendar(ol_sql_type_t iv, int64_t n, int64_t s, int64_t days)
{
    switch (iv) {
    case OL_SQL_INTERVAL_SECOND:
    case OL_SQL_INTERVAL_MINUTE: {
        __int128 step = (__int128)n * (iv == OL_SQL_INTERVAL_SECOND ? 1 : 60);
        __int128 q = s / step;
        if (s % step < 0) q--;
        return wrap_datetime((int64_t)(q * step));
    }
    case OL_SQL_INTERVAL_HOUR: {
        int64_t tod = s - days * 86400;
        __int128 step = (__int128)n * 3600;
        return wrap_datetime(days * 86400 + (int64_t)(tod / step * step));
    }
    case OL_SQL_INTERVAL_DAY: {
        __int128 q = days / n;
        if (days % n < 0) q--;
        return wrap_datetime((int64_t)(q * n * 86400));
    }
    case OL_SQL_INTERVAL_WEEK: {
        __int128 step = (__int128)n * 7, q = (days - 4) / step;
        if ((days - 4) % step < 0) q--;
        return 4 + (int64_t)(q * step);
    }
    default: {
        int64_t y;
        unsigned m, d;
        ol_sql_civil_from_days(days, &y, &m, &d);
        if (iv == OL_SQL_INTERVAL_YEAR) { /* not before 1900, ClickHouse's first year */
            int64_t ny = n > y ? 0 : y / n * n;
            return ol_sql_days_from_civil(OL_MAX(ny, 1900), 1, 1);
        }
        int64_t step = (int64_t)OL_MIN((uint64_t)n, (uint64_t)1 << 40) * unit_months(iv);
        int64_t mi = (y - 1900) * 12 + (m - 1);
        int64_t q = ol_sql_floor_div(mi, step) * step;
        int64_t ny = 1900 + ol_sql_floor_div(q, 12);
        return ol_sql_days_from_civil(ny, (unsigned)(q - (ny - 1900) * 12) + 1, 1);
    }
    }
}

static int soi_exec(OL_SQL_EXEC_ARGS)
{
    const ol_sql_vec_t *v = &args[0], *iv = &args[1];
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    int64_t k = iv->i[0];
    if (k <= 0) {
        ol_err_set(cx->err, "toStartOfInterval: value for 2nd argument must be positive");
        return OL_ERR;
    }
    int64_t *o = out->i;
    if (!v->is_const && v->type == OL_SQL_DATETIME64 && iv->type != OL_SQL_INTERVAL_HOUR && unit_ns(iv->type) &&
        k <= INT64_MAX / unit_ns(iv->type)) {
        /* fixed steps from the epoch: one floor division per row */
        int64_t step = k * unit_ns(iv->type);
        if (sub_second(iv->type)) {
            for (uint32_t r = 0; r < rows; r++) {
                int64_t x = v->i[r], q = x / step;
                o[r] = (q - (x % step < 0)) * step;
            }
            return OL_OK;
        }
        if (iv->type != OL_SQL_INTERVAL_WEEK) { /* times before 1970 round their own way (soi_one) */
            int64_t ss = step / NS_PER_SEC;
            for (uint32_t r = 0; r < rows; r++)
                o[r] = v->i[r] >= 0 ? v->i[r] / NS_PER_SEC / ss * ss : soi_one(v, r, iv->type, k);
            return OL_OK;
        }
    }
    for (uint32_t r = 0; r < rows; r++) o[r] = soi_one(v, ol_sql_row(v, r), iv->type, k);
    return OL_OK;
}

/* ---- conversions ---- */

static bool time_source(ol_sql_type_t t) { return ol_sql_type_is_number(t) || t == OL_SQL_STRING || ol_sql_type_is_time(t); }

static int todate_type(OL_SQL_TYPE_ARGS)
{
    if (!time_source(args[0])) return ol_sql_arg_err(err, "toDate", 1, args[0], "a number, a String or a time");
    *out = OL_SQL_DATE;
    return OL_OK;
}

static int todatetime_type(OL_SQL_TYPE_ARGS)
{
    if (!time_source(args[0])) return ol_sql_arg_err(err, "toDateTime", 1, args[0], "a number, a String or a time");
    *out = OL_SQL_DATETIME;
    return OL_OK;
}

static int todatetime64_type(OL_SQL_TYPE_ARGS)
{
    const char *fn = "toDateTime64";
    if (!time_source(args[0])) return ol_sql_arg_err(err, fn, 1, args[0], "a number, a String or a time");
    if (!ol_sql_type_is_int(args[1]) || !consts[1]) {
        ol_err_set(err, "%s: argument 2 (the scale) must be a constant integer", fn);
        return OL_ERR;
    }
    int64_t s = consts[1]->i[0];
    if (s < 0 || s > 9 || (args[1] == OL_SQL_UINT64 && consts[1]->i[0] < 0)) {
        ol_err_set(err, "%s: scale %lld is out of range: DateTime64 takes 0 to 9 digits", fn, (long long)s);
        return OL_ERR;
    }
    *out = OL_SQL_DATETIME64;
    return OL_OK;
}

/* An integer or float source in the target's unit count (seconds for
 * DateTime), saturating at [lo, hi]. */
static int64_t num_sat(const ol_sql_vec_t *v, uint32_t k, int64_t lo, int64_t hi)
{
    if (v->type == OL_SQL_FLOAT64) { /* through x86's conversion: NaN, inf, huge -> INT64_MIN */
        double d = v->f[k];
        return sat((d >= -9223372036854775808.0 && d < 9223372036854775808.0) ? (int64_t)d : INT64_MIN, lo, hi);
    }
    if (v->type == OL_SQL_UINT64 && v->i[k] < 0) /* as ClickHouse: a DateTime wraps, a DateTime64 saturates */
        return hi > DATETIME_MAX ? hi : (uint32_t)v->i[k];
    return sat(v->i[k], lo, hi);
}

static int time_conv_exec(ol_sql_ctx_t *cx, const char *fn, const ol_sql_vec_t *v, int64_t trunc_ns, uint32_t rows,
                          ol_sql_vec_t *out)
{
    ol_sql_type_t to = out->type;
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    int64_t *o = out->i;
    for (uint32_t r = 0; r < rows; r++) {
        uint32_t k = ol_sql_row(v, r);
        int64_t x = 0;
        switch (v->type) {
        case OL_SQL_STRING:
            if (to == OL_SQL_DATE ? !parse_todate(v->s[k], &x)
                                  : ol_sql_parse_time_as(to, v->s[k], false, &x, cx->err) != OL_OK) {
                ol_err_set(cx->err, "%s: cannot parse '%.*s' as %s", fn, (int)OL_MIN(v->s[k].len, 80),
                           (const char *)v->s[k].ptr, ol_sql_type_name(to));
                return OL_ERR;
            }
            if (to == OL_SQL_DATE) x = sat(x, 0, DATE_MAX);
            break;
        case OL_SQL_DATE:
            x = to == OL_SQL_DATE ? v->i[k] : to == OL_SQL_DATETIME ? wrap_datetime(v->i[k] * 86400) : v->i[k] * NS_PER_DAY;
            break;
        case OL_SQL_DATETIME:
            x = to == OL_SQL_DATE ? v->i[k] / 86400 : to == OL_SQL_DATETIME ? v->i[k] : v->i[k] * NS_PER_SEC;
            break;
        case OL_SQL_DATETIME64:
            x = to == OL_SQL_DATE ? wrap_date(ol_sql_floor_div(v->i[k] / NS_PER_SEC, 86400))
              : to == OL_SQL_DATETIME ? wrap_datetime(ol_sql_floor_div(v->i[k], NS_PER_SEC)) : v->i[k];
            break;
        default: /* numbers */
            if (to == OL_SQL_DATE) { /* days up to 65535, Unix seconds above */
                int64_t d = num_sat(v, k, 0, INT64_MAX);
                x = d <= DATE_MAX ? d : OL_MIN(d, DATETIME_MAX) / 86400;
            } else if (to == OL_SQL_DATETIME)
                x = num_sat(v, k, 0, DATETIME_MAX);
            else if (v->type == OL_SQL_FLOAT64) {
                if (isnan(v->f[k]) || isinf(v->f[k])) {
                    ol_err_set(cx->err, "%s: DateTime64 convert overflow: cannot convert infinity or NaN", fn);
                    return OL_ERR;
                }
                double d = v->f[k] * 1e9;
                x = isnan(d) ? 0 : d >= 9.2e18 ? INT64_MAX / NS_PER_SEC * NS_PER_SEC : d <= -9.2e18 ? INT64_MIN / NS_PER_SEC * NS_PER_SEC : (int64_t)d;
            } else
                x = num_sat(v, k, INT64_MIN / NS_PER_SEC, INT64_MAX / NS_PER_SEC) * NS_PER_SEC;
            break;
        }
        if (trunc_ns > 1) x -= x % trunc_ns;
        o[r] = x;
    }
    return OL_OK;
}

static int todate_exec(OL_SQL_EXEC_ARGS) { return time_conv_exec(cx, "toDate", &args[0], 1, rows, out); }
static int todatetime_exec(OL_SQL_EXEC_ARGS) { return time_conv_exec(cx, "toDateTime", &args[0], 1, rows, out); }

static int todatetime64_exec(OL_SQL_EXEC_ARGS)
{
    int64_t s = args[1].i[0], t = 1;
    for (int64_t k = s; k < 9; k++) t *= 10;
    return time_conv_exec(cx, "toDateTime64", &args[0], t, rows, out);
}

static int tounix_type(OL_SQL_TYPE_ARGS)
{
    ol_sql_type_t a = args[0];
    if (!ol_sql_type_is_time(a) && a != OL_SQL_STRING && !ol_sql_type_is_number(a))
        return ol_sql_arg_err(err, "toUnixTimestamp", 1, a, "a time or a String");
    *out = OL_SQL_UINT32;
    return OL_OK;
}

static int tounix_exec(OL_SQL_EXEC_ARGS)
{
    const ol_sql_vec_t *v = &args[0];
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    for (uint32_t r = 0; r < rows; r++) {
        uint32_t k = ol_sql_row(v, r);
        int64_t x;
        if (v->type == OL_SQL_STRING) {
            if (ol_sql_parse_time_as(OL_SQL_DATETIME, v->s[k], false, &x, cx->err) != OL_OK) return OL_ERR;
        } else if (v->type == OL_SQL_DATETIME64) {
            x = v->i[k] / NS_PER_SEC;
            if (x < 0) {
                ol_err_set(cx->err, "toUnixTimestamp: convert overflow (a time before 1970)");
                return OL_ERR;
            }
        } else if (v->type == OL_SQL_DATE) x = v->i[k] * 86400;
        else x = num_as_int(v, k);
        out->i[r] = (uint32_t)x;
    }
    return OL_OK;
}

static int tounix64_type(OL_SQL_TYPE_ARGS)
{
    if (args[0] != OL_SQL_DATETIME64) return ol_sql_arg_err(err, "toUnixTimestamp64Nano", 1, args[0], "a DateTime64");
    *out = OL_SQL_INT64;
    return OL_OK;
}

static int tounix64_exec(int64_t div, OL_SQL_EXEC_ARGS)
{
    const ol_sql_vec_t *v = &args[0];
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    for (uint32_t r = 0; r < rows; r++) out->i[r] = v->i[ol_sql_row(v, r)] / div;
    return OL_OK;
}

static int tounixnano_exec(OL_SQL_EXEC_ARGS) { return tounix64_exec(1, cx, args, n, rows, out); }
static int tounixmilli_exec(OL_SQL_EXEC_ARGS) { return tounix64_exec(1000000, cx, args, n, rows, out); }

static int fromunixnano_type(OL_SQL_TYPE_ARGS)
{
    if (!ol_sql_type_is_int(args[0])) return ol_sql_arg_err(err, "fromUnixTimestamp64Nano", 1, args[0], "an integer");
    *out = OL_SQL_DATETIME64;
    return OL_OK;
}

static int fromunixnano_exec(OL_SQL_EXEC_ARGS)
{
    const ol_sql_vec_t *v = &args[0];
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    for (uint32_t r = 0; r < rows; r++) out->i[r] = v->i[ol_sql_row(v, r)];
    return OL_OK;
}

/* fromUnixTimestamp64Milli: ClickHouse returns DateTime64(3); Olly has one
 * DateTime64, of nanoseconds, so the value is the same instant and compares
 * equal, but is printed with nine fraction digits instead of three. */
static int fromunixmilli_type(OL_SQL_TYPE_ARGS)
{
    if (!ol_sql_type_is_int(args[0])) return ol_sql_arg_err(err, "fromUnixTimestamp64Milli", 1, args[0], "an integer");
    *out = OL_SQL_DATETIME64;
    return OL_OK;
}

static int fromunixmilli_exec(OL_SQL_EXEC_ARGS)
{
    const ol_sql_vec_t *v = &args[0];
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    for (uint32_t r = 0; r < rows; r++) out->i[r] = (int64_t)((uint64_t)v->i[ol_sql_row(v, r)] * 1000000u);
    return OL_OK;
}

/* ---- parts ---- */

typedef enum { P_YYYYMMDD, P_YEAR, P_MONTH, P_DAY, P_DOW, P_HOUR, P_MINUTE, P_SECOND } part_t;
static const char *const part_names[] = {"toYYYYMMDD", "toYear", "toMonth", "toDayOfMonth", "toDayOfWeek",
                                         "toHour", "toMinute", "toSecond"};

static int part_type(part_t p, OL_SQL_TYPE_ARGS)
{
    ol_sql_type_t a = args[0];
    if (!ol_sql_type_is_time(a) || (a == OL_SQL_DATE && p >= P_HOUR))
        return ol_sql_arg_err(err, part_names[p], 1, a, p >= P_HOUR ? "a DateTime or DateTime64" : "a Date, DateTime or DateTime64");
    *out = p == P_YYYYMMDD ? OL_SQL_UINT32 : p == P_YEAR ? OL_SQL_UINT16 : OL_SQL_UINT8;
    return OL_OK;
}

static int part_exec(part_t p, OL_SQL_EXEC_ARGS)
{
    const ol_sql_vec_t *v = &args[0];
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    for (uint32_t r = 0; r < rows; r++) {
        int64_t x = v->i[ol_sql_row(v, r)];
        int64_t s = v->type == OL_SQL_DATE ? x * 86400 : v->type == OL_SQL_DATETIME ? x : ol_sql_floor_div(x, NS_PER_SEC);
        int64_t days = ol_sql_floor_div(s, 86400), sod = s - days * 86400, y;
        unsigned m, d;
        int64_t res;
        if (p <= P_DAY) ol_sql_civil_from_days(days, &y, &m, &d);
        switch (p) {
        case P_YYYYMMDD: res = y * 10000 + m * 100 + d; break;
        case P_YEAR: res = y; break;
        case P_MONTH: res = m; break;
        case P_DAY: res = d; break;
        case P_DOW: res = ((days % 7 + 7) % 7 + 3) % 7 + 1; break; /* 1970-01-01 was a Thursday */
        case P_HOUR: res = sod / 3600; break;
        case P_MINUTE: res = sod / 60 % 60; break;
        default: res = sod % 60; break;
        }
        out->i[r] = ol_sql_int_wrap(out->type, (uint64_t)res);
    }
    return OL_OK;
}

#define OL_PART_FN(name, p)                                                                        \
    static int name##_type(OL_SQL_TYPE_ARGS) { return part_type(p, args, consts, n, out, err); }  \
    static int name##_exec(OL_SQL_EXEC_ARGS) { return part_exec(p, cx, args, n, rows, out); }
OL_PART_FN(yyyymmdd, P_YYYYMMDD)
OL_PART_FN(year, P_YEAR)
OL_PART_FN(month, P_MONTH)
OL_PART_FN(dom, P_DAY)
OL_PART_FN(dow, P_DOW)
OL_PART_FN(hour, P_HOUR)
OL_PART_FN(minute, P_MINUTE)
OL_PART_FN(second, P_SECOND)

/* ---- interval constructors ---- */

static int interval_type(ol_sql_type_t iv, OL_SQL_TYPE_ARGS)
{
    if (!ol_sql_type_is_number(args[0]) && args[0] != OL_SQL_STRING) {
        char name[40];
        snprintf(name, sizeof name, "to%s", ol_sql_type_name(iv));
        return ol_sql_arg_err(err, name, 1, args[0], "a number");
    }
    *out = iv;
    return OL_OK;
}

static int interval_exec(OL_SQL_EXEC_ARGS)
{
    const ol_sql_vec_t *v = &args[0];
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    for (uint32_t r = 0; r < rows; r++) {
        uint32_t k = ol_sql_row(v, r);
        if (v->type == OL_SQL_STRING) {
            if (ol_sql_parse_int_as(OL_SQL_INT64, v->s[k], &out->i[r], "toInterval", cx->err) != OL_OK) return OL_ERR;
        } else if (v->type == OL_SQL_FLOAT64 && (isnan(v->f[k]) || isinf(v->f[k]))) {
            ol_err_set(cx->err, "toInterval: unexpected inf or nan to integer conversion");
            return OL_ERR;
        } else
            out->i[r] = num_as_int(v, k);
    }
    return OL_OK;
}

#define OL_IV_FN(name, t) \
    static int name##_type(OL_SQL_TYPE_ARGS) { return interval_type(t, args, consts, n, out, err); }
OL_IV_FN(ivns, OL_SQL_INTERVAL_NANOSECOND)
OL_IV_FN(ivus, OL_SQL_INTERVAL_MICROSECOND)
OL_IV_FN(ivms, OL_SQL_INTERVAL_MILLISECOND)
OL_IV_FN(ivs, OL_SQL_INTERVAL_SECOND)
OL_IV_FN(ivmin, OL_SQL_INTERVAL_MINUTE)
OL_IV_FN(ivh, OL_SQL_INTERVAL_HOUR)
OL_IV_FN(ivd, OL_SQL_INTERVAL_DAY)
OL_IV_FN(ivw, OL_SQL_INTERVAL_WEEK)
OL_IV_FN(ivmon, OL_SQL_INTERVAL_MONTH)
OL_IV_FN(ivq, OL_SQL_INTERVAL_QUARTER)
OL_IV_FN(ivy, OL_SQL_INTERVAL_YEAR)

/* ---- registry ---- */

const ol_sql_func_t ol_sql_funcs_time[] = {
    {"now", 0, 0, true, now_type, now_exec},
    {"today", 0, 0, true, today_type, today_exec},
    {"toStartOfMinute", 1, 1, false, startmin_type, startmin_exec},
    {"toStartOfFiveMinutes", 1, 1, false, start5min_type, start5min_exec},
    {"toStartOfFiveMinute", 1, 1, false, start5min_type, start5min_exec},
    {"toStartOfFifteenMinutes", 1, 1, false, start15min_type, start15min_exec},
    {"toStartOfHour", 1, 1, false, starthour_type, starthour_exec},
    {"toStartOfDay", 1, 1, false, startday_type, startday_exec},
    {"toStartOfInterval", 2, 2, false, soi_type, soi_exec},
    {"toDate", 1, 1, false, todate_type, todate_exec},
    {"toDateTime", 1, 1, false, todatetime_type, todatetime_exec},
    {"toDateTime64", 2, 2, false, todatetime64_type, todatetime64_exec},
    {"toUnixTimestamp", 1, 1, false, tounix_type, tounix_exec},
    {"toUnixTimestamp64Nano", 1, 1, false, tounix64_type, tounixnano_exec},
    {"toUnixTimestamp64Milli", 1, 1, false, tounix64_type, tounixmilli_exec},
    {"fromUnixTimestamp64Nano", 1, 1, false, fromunixnano_type, fromunixnano_exec},
    {"fromUnixTimestamp64Milli", 1, 1, false, fromunixmilli_type, fromunixmilli_exec},
    {"toYYYYMMDD", 1, 1, false, yyyymmdd_type, yyyymmdd_exec},
    {"toYear", 1, 1, false, year_type, year_exec},
    {"toMonth", 1, 1, false, month_type, month_exec},
    {"toDayOfMonth", 1, 1, false, dom_type, dom_exec},
    {"toDayOfWeek", 1, 1, false, dow_type, dow_exec},
    {"toHour", 1, 1, false, hour_type, hour_exec},
    {"toMinute", 1, 1, false, minute_type, minute_exec},
    {"toSecond", 1, 1, false, second_type, second_exec},
    {"toIntervalNanosecond", 1, 1, false, ivns_type, interval_exec},
    {"toIntervalMicrosecond", 1, 1, false, ivus_type, interval_exec},
    {"toIntervalMillisecond", 1, 1, false, ivms_type, interval_exec},
    {"toIntervalSecond", 1, 1, false, ivs_type, interval_exec},
    {"toIntervalMinute", 1, 1, false, ivmin_type, interval_exec},
    {"toIntervalHour", 1, 1, false, ivh_type, interval_exec},
    {"toIntervalDay", 1, 1, false, ivd_type, interval_exec},
    {"toIntervalWeek", 1, 1, false, ivw_type, interval_exec},
    {"toIntervalMonth", 1, 1, false, ivmon_type, interval_exec},
    {"toIntervalQuarter", 1, 1, false, ivq_type, interval_exec},
    {"toIntervalYear", 1, 1, false, ivy_type, interval_exec},
};
const size_t ol_sql_funcs_time_n = OL_ARRAY_LEN(ol_sql_funcs_time);
