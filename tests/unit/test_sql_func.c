/*
 * test_sql_func.c - the scalar functions of Olly's SQL (src/sql/func*.c):
 * result types and values, called as the executor calls them
 * (ol_sql_func_find, then type, then exec over hand-built vectors), with
 * constant and non-constant arguments mixed.
 *
 * The expected values were checked against ClickHouse itself (chDB 26.7,
 * `SELECT toTypeName(f(...)), toString(f(...)) SETTINGS session_timezone =
 * 'UTC'`, with materialize() for the non-constant arguments); the lines
 * marked "chDB" are such answers, including the odd corners (x86 float
 * conversions, modulo of mixed signedness, LIKE over invalid UTF-8).
 * test_shapes checks that the vectorised kernels agree with the same
 * function called one row at a time, for every constant/vector mix.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "sql/func_int.h"
#include "sql/vec.h"
#include "test.h"

static ol_arena_t *g_arena;
static ol_sql_ctx_t g_cx;
static ol_err_t g_err;

#define NS UINT64_C(1000000000)

/* ---- building vectors ---- */

static ol_sql_vec_t vint(ol_sql_type_t t, uint32_t n, const int64_t *v)
{
    ol_sql_vec_t x;
    ol_sql_vec_alloc(&g_cx, &x, t, n);
    memcpy(x.i, v, n * sizeof *v);
    return x;
}

static ol_sql_vec_t cint(ol_sql_type_t t, int64_t v)
{
    ol_sql_vec_t x;
    ol_sql_vec_const_int(&g_cx, &x, t, v);
    return x;
}

static ol_sql_vec_t vflt(uint32_t n, const double *v)
{
    ol_sql_vec_t x;
    ol_sql_vec_alloc(&g_cx, &x, OL_SQL_FLOAT64, n);
    memcpy(x.f, v, n * sizeof *v);
    return x;
}

static ol_sql_vec_t cflt(double v)
{
    ol_sql_vec_t x;
    ol_sql_vec_const_float(&g_cx, &x, v);
    return x;
}

static ol_sql_vec_t vstr(uint32_t n, const char *const *v)
{
    ol_sql_vec_t x;
    ol_sql_vec_alloc(&g_cx, &x, OL_SQL_STRING, n);
    for (uint32_t i = 0; i < n; i++) x.s[i] = ol_slice_cstr(v[i]);
    return x;
}

static ol_sql_vec_t cstr(const char *s)
{
    ol_sql_vec_t x;
    ol_sql_vec_const_str(&g_cx, &x, ol_slice_cstr(s));
    return x;
}

/* A time from its text (ol_sql_parse_datetime), in t's unit. */
static int64_t tm(ol_sql_type_t t, const char *s)
{
    int64_t ns = 0;
    if (ol_sql_parse_datetime(ol_slice_cstr(s), &ns) != OL_OK) fprintf(stderr, "  bad time %s\n", s);
    return t == OL_SQL_DATE ? ns / (int64_t)(86400 * NS) : t == OL_SQL_DATETIME ? ns / (int64_t)NS : ns;
}

static ol_sql_vec_t ctm(ol_sql_type_t t, const char *s) { return cint(t, tm(t, s)); }

/* Maps, one row per spec "k=v,k2=v2" ("" for an empty map). */
static ol_sql_vec_t vmap(uint32_t n, const char *const *spec)
{
    ol_sql_vec_t m;
    ol_sql_vec_alloc(&g_cx, &m, OL_SQL_MAP, n);
    m.keys = ol_arena_calloc(g_arena, sizeof *m.keys);
    m.vals = ol_arena_calloc(g_arena, sizeof *m.vals);
    ol_sql_vec_alloc(&g_cx, m.keys, OL_SQL_STRING, 64);
    ol_sql_vec_alloc(&g_cx, m.vals, OL_SQL_STRING, 64);
    uint32_t e = 0;
    for (uint32_t r = 0; r < n; r++) {
        m.off[r] = e;
        const char *p = spec[r];
        while (*p) {
            const char *eq = strchr(p, '='), *end = strchr(p, ',');
            if (!end) end = p + strlen(p);
            m.keys->s[e] = ol_slice(p, (size_t)(eq - p));
            m.vals->s[e++] = ol_slice(eq + 1, (size_t)(end - eq - 1));
            p = *end ? end + 1 : end;
        }
    }
    m.off[n] = e;
    m.keys->n = m.vals->n = e;
    return m;
}

/* Arrays of ints (ARRAY_UINT64/INT64/UINT8/DATETIME64): rows split by counts. */
static ol_sql_vec_t varr_int(ol_sql_type_t at, uint32_t n, const uint32_t *counts, const int64_t *v)
{
    ol_sql_vec_t a;
    ol_sql_vec_alloc(&g_cx, &a, at, n);
    uint32_t total = 0;
    for (uint32_t r = 0; r < n; r++) {
        a.off[r] = total;
        total += counts[r];
    }
    a.off[n] = total;
    a.vals = ol_arena_calloc(g_arena, sizeof *a.vals);
    *a.vals = vint(ol_sql_type_elem(at), total, v);
    return a;
}

static ol_sql_vec_t varr_str(uint32_t n, const uint32_t *counts, const char *const *v)
{
    ol_sql_vec_t a;
    ol_sql_vec_alloc(&g_cx, &a, OL_SQL_ARRAY_STRING, n);
    uint32_t total = 0;
    for (uint32_t r = 0; r < n; r++) {
        a.off[r] = total;
        total += counts[r];
    }
    a.off[n] = total;
    a.vals = ol_arena_calloc(g_arena, sizeof *a.vals);
    *a.vals = vstr(total, v);
    return a;
}

/* A constant list as the binder builds IN lists. */
static ol_sql_vec_t clist_int(ol_sql_type_t at, uint32_t k, const int64_t *v)
{
    uint32_t c[1] = {k};
    ol_sql_vec_t a = varr_int(at, 1, c, v);
    a.is_const = true;
    return a;
}

static ol_sql_vec_t clist_str(uint32_t k, const char *const *v)
{
    uint32_t c[1] = {k};
    ol_sql_vec_t a = varr_str(1, c, v);
    a.is_const = true;
    return a;
}

static ol_sql_vec_t clist_flt(uint32_t k, const double *v)
{
    ol_sql_vec_t a;
    ol_sql_vec_alloc(&g_cx, &a, OL_SQL_ARRAY_FLOAT64, 1);
    a.off[0] = 0;
    a.off[1] = k;
    a.vals = ol_arena_calloc(g_arena, sizeof *a.vals);
    *a.vals = vflt(k, v);
    a.is_const = true;
    return a;
}

/* ---- calling ---- */

/* Runs fn like the executor: type from the argument types and constants,
 * then exec over `rows` (1 when every argument is constant). */
static int call(const char *name, size_t n, ol_sql_vec_t *args, uint32_t rows, ol_sql_vec_t *out)
{
    const ol_sql_func_t *fn = ol_sql_func_find(ol_slice_cstr(name));
    g_err.msg[0] = 0;
    memset(out, 0, sizeof *out);
    if (!fn) {
        ol_err_set(&g_err, "no function %s", name);
        return OL_ERR;
    }
    if (n < fn->min_args || (fn->max_args != 255 && n > fn->max_args)) {
        ol_err_set(&g_err, "%s: %zu arguments", name, n);
        return OL_ERR;
    }
    ol_sql_type_t types[16];
    const ol_sql_vec_t *consts[16];
    bool all_const = true;
    for (size_t i = 0; i < n; i++) {
        types[i] = args[i].type;
        consts[i] = args[i].is_const ? &args[i] : NULL;
        all_const &= args[i].is_const;
    }
    int rc = fn->type(types, consts, n, &out->type, &g_err);
    if (rc != OL_OK) return rc;
    ol_sql_type_t t = out->type;
    rc = fn->exec(&g_cx, args, n, all_const ? 1 : rows, out);
    if (rc == OL_OK && out->type != t) {
        ol_err_set(&g_err, "%s: exec changed the type", name);
        return OL_ERR;
    }
    if (rc == OL_OK && all_const) out->is_const = true;
    return rc;
}

#define ARGS(...) sizeof((ol_sql_vec_t[]){__VA_ARGS__}) / sizeof(ol_sql_vec_t), (ol_sql_vec_t[]){__VA_ARGS__}

static ol_sql_vec_t ok_(const char *file, int line, const char *name, ol_sql_type_t want, uint32_t rows, size_t n,
                        ol_sql_vec_t *args)
{
    ol_sql_vec_t out;
    int rc = call(name, n, args, rows, &out);
    if (rc != OL_OK) {
        ol_test_failed_checks++;
        fprintf(stderr, "  %s:%d: %s failed: %s\n", file, line, name, g_err.msg);
    } else if (out.type != want) {
        ol_test_failed_checks++;
        fprintf(stderr, "  %s:%d: %s is %s, expected %s\n", file, line, name, ol_sql_type_name(out.type),
                ol_sql_type_name(want));
    }
    return out;
}
#define OK(name, want, rows, ...) ok_(__FILE__, __LINE__, name, want, rows, ARGS(__VA_ARGS__))

/* The call fails (at type or exec) with a message containing `what`. */
static void fails_(const char *file, int line, const char *name, const char *what, uint32_t rows, size_t n,
                   ol_sql_vec_t *args)
{
    ol_sql_vec_t out;
    int rc = call(name, n, args, rows, &out);
    if (rc == OL_OK || !strstr(g_err.msg, what)) {
        ol_test_failed_checks++;
        fprintf(stderr, "  %s:%d: %s: expected an error with \"%s\", got rc %d \"%s\"\n", file, line, name, what, rc,
                g_err.msg);
    }
}
#define FAILS(name, what, ...) fails_(__FILE__, __LINE__, name, what, 1, ARGS(__VA_ARGS__))

/* Row r of v as toString writes it. */
static const char *txt(const ol_sql_vec_t *v, uint32_t r)
{
    ol_sql_sbuf_t b = {.arena = g_arena};
    ol_sql_sbuf_value(&b, v, r, false);
    ol_sql_sbuf_put(&b, "", 1);
    return b.p ? (const char *)b.p : "";
}

#define CHECK_TXT(v, r, want)                                                                            \
    do {                                                                                                 \
        const char *got_ = txt(&(v), (r));                                                               \
        if (strcmp(got_, (want)) != 0) {                                                                 \
            ol_test_failed_checks++;                                                                     \
            fprintf(stderr, "  %s:%d: row %u is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, (unsigned)(r), \
                    got_, (want));                                                                       \
        }                                                                                                \
    } while (0)

/* One-row calls: the text of f(args) (or "ERR"). */
static const char *val_(size_t n, ol_sql_vec_t *args, const char *name)
{
    ol_sql_vec_t out;
    if (call(name, n, args, 1, &out) != OL_OK) return "ERR";
    return txt(&out, 0);
}
#define VAL(name, ...) val_(ARGS(__VA_ARGS__), name)
#define CHECK_VAL(want, name, ...)                                                                         \
    do {                                                                                                   \
        const char *got_ = VAL(name, __VA_ARGS__);                                                         \
        if (strcmp(got_, (want)) != 0) {                                                                   \
            ol_test_failed_checks++;                                                                       \
            fprintf(stderr, "  %s:%d: %s(...) is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, name, got_, \
                    (want));                                                                               \
        }                                                                                                  \
    } while (0)

/* The type f(args) gets (or OL_SQL__TYPES on an error). */
static ol_sql_type_t type_(size_t n, ol_sql_vec_t *args, const char *name)
{
    const ol_sql_func_t *fn = ol_sql_func_find(ol_slice_cstr(name));
    ol_sql_type_t types[16], out;
    const ol_sql_vec_t *consts[16];
    for (size_t i = 0; i < n; i++) {
        types[i] = args[i].type;
        consts[i] = args[i].is_const ? &args[i] : NULL;
    }
    return fn && fn->type(types, consts, n, &out, &g_err) == OL_OK ? out : OL_SQL__TYPES;
}
#define TYPE(name, ...) type_(ARGS(__VA_ARGS__), name)

#define U8(x) cint(OL_SQL_UINT8, x)
#define U16(x) cint(OL_SQL_UINT16, x)
#define U32(x) cint(OL_SQL_UINT32, x)
#define U64(x) cint(OL_SQL_UINT64, (int64_t)(x))
#define I8(x) cint(OL_SQL_INT8, x)
#define I16(x) cint(OL_SQL_INT16, x)
#define I32(x) cint(OL_SQL_INT32, x)
#define I64(x) cint(OL_SQL_INT64, x)
#define F64(x) cflt(x)
#define BOOL(x) cint(OL_SQL_BOOL, x)
#define STR(x) cstr(x)
#define DATE(x) ctm(OL_SQL_DATE, x)
#define DT(x) ctm(OL_SQL_DATETIME, x)
#define DT64(x) ctm(OL_SQL_DATETIME64, x)
#define IV(t, x) cint(OL_SQL_INTERVAL_##t, x)

/* ---- tests ---- */

static void test_registry(void)
{
    const char *names[] = {"plus", "minus", "multiply", "divide", "intDiv", "modulo", "negate", "abs", "equals",
                           "notEquals", "less", "greater", "lessOrEquals", "greaterOrEquals", "and", "or", "not",
                           "like", "notLike", "ilike", "notILike", "in", "notIn", "if", "multiIf", "arrayElement",
                           "toString", "toUInt64", "toInt64", "toFloat64", "toUInt8", "toUInt32", "toInt32", "toDate",
                           "toDateTime", "toDateTime64", "round", "floor", "ceil", "lower", "upper", "concat",
                           "length", "empty", "notEmpty", "startsWith", "endsWith", "position", "substring",
                           "replaceAll", "trim", "mapContains", "mapKeys", "mapValues", "has", "now",
                           "toStartOfMinute", "toStartOfFiveMinutes", "toStartOfFiveMinute", "toStartOfFifteenMinutes",
                           "toStartOfHour", "toStartOfDay", "toStartOfInterval", "toUnixTimestamp",
                           "toUnixTimestamp64Nano", "toUnixTimestamp64Milli", "fromUnixTimestamp64Nano", "toYYYYMMDD",
                           "toHour", "toMinute", "toIntervalSecond", "toIntervalYear", "toIntervalNanosecond"};
    for (size_t i = 0; i < OL_ARRAY_LEN(names); i++) {
        const ol_sql_func_t *f = ol_sql_func_find(ol_slice_cstr(names[i]));
        if (!f) fprintf(stderr, "  missing %s\n", names[i]);
        CHECK(f != NULL);
    }
    /* case-insensitive only where ClickHouse registers the name so (chDB system.functions) */
    CHECK(ol_sql_func_find(ol_slice_cstr("LOWER")) != NULL);
    CHECK(ol_sql_func_find(ol_slice_cstr("Concat")) != NULL);
    CHECK(ol_sql_func_find(ol_slice_cstr("NOW")) != NULL);
    CHECK(ol_sql_func_find(ol_slice_cstr("SUBSTR")) != NULL);
    CHECK(ol_sql_func_find(ol_slice_cstr("TOSTRING")) == NULL);
    CHECK(ol_sql_func_find(ol_slice_cstr("Plus")) == NULL);
    CHECK(ol_sql_func_find(ol_slice_cstr("tostartofhour")) == NULL);
    CHECK(ol_sql_func_find(ol_slice_cstr("nosuchfunction")) == NULL);
    const ol_sql_func_t *m = ol_sql_func_find(ol_slice_cstr("multiIf"));
    CHECK(m && m->min_args == 3 && m->max_args == 255);
    /* every entry answers its own name, so the binder can look up fn->name again */
    const ol_sql_func_t *tables[] = {ol_sql_funcs_core, ol_sql_funcs_str, ol_sql_funcs_time};
    const size_t counts[] = {ol_sql_funcs_core_n, ol_sql_funcs_str_n, ol_sql_funcs_time_n};
    for (size_t t = 0; t < 3; t++)
        for (size_t i = 0; i < counts[t]; i++) CHECK(ol_sql_func_find(ol_slice_cstr(tables[t][i].name)) == &tables[t][i]);
}

static void test_arith_types(void)
{
    /* chDB toTypeName */
    CHECK(TYPE("plus", U8(1), U8(2)) == OL_SQL_UINT16);
    CHECK(TYPE("multiply", U8(1), U8(2)) == OL_SQL_UINT16);
    CHECK(TYPE("minus", U8(1), U8(2)) == OL_SQL_INT16);
    CHECK(TYPE("plus", U32(1), U32(2)) == OL_SQL_UINT64);
    CHECK(TYPE("plus", I32(1), U32(2)) == OL_SQL_INT64);
    CHECK(TYPE("plus", I64(1), U64(2)) == OL_SQL_INT64);
    CHECK(TYPE("minus", U64(1), U64(2)) == OL_SQL_INT64);
    CHECK(TYPE("multiply", I32(1), I32(2)) == OL_SQL_INT64);
    CHECK(TYPE("plus", BOOL(1), BOOL(1)) == OL_SQL_UINT16);
    CHECK(TYPE("plus", U64(1), F64(1.5)) == OL_SQL_FLOAT64);
    CHECK(TYPE("divide", U8(1), U8(2)) == OL_SQL_FLOAT64);
    CHECK(TYPE("intDiv", U8(7), U8(2)) == OL_SQL_UINT8);
    CHECK(TYPE("intDiv", U64(7), I64(2)) == OL_SQL_INT64);
    CHECK(TYPE("intDiv", F64(7.5), U8(2)) == OL_SQL_INT64);
    CHECK(TYPE("intDiv", I8(7), F64(2.5)) == OL_SQL_INT8);
    CHECK(TYPE("modulo", I64(7), U64(2)) == OL_SQL_INT64);
    CHECK(TYPE("modulo", U64(7), I64(2)) == OL_SQL_UINT64);
    CHECK(TYPE("modulo", U8(7), U64(2)) == OL_SQL_UINT64);
    CHECK(TYPE("modulo", U64(7), U8(2)) == OL_SQL_UINT8);
    CHECK(TYPE("modulo", I8(-7), U8(3)) == OL_SQL_INT16);
    CHECK(TYPE("modulo", F64(-7.5), U8(2)) == OL_SQL_FLOAT64);
    CHECK(TYPE("negate", U8(1)) == OL_SQL_INT16);
    CHECK(TYPE("negate", U64(1)) == OL_SQL_INT64);
    CHECK(TYPE("negate", U32(1)) == OL_SQL_INT64);
    CHECK(TYPE("negate", IV(HOUR, 1)) == OL_SQL_INTERVAL_HOUR);
    CHECK(TYPE("abs", I8(-3)) == OL_SQL_UINT8);
    CHECK(TYPE("abs", I64(-3)) == OL_SQL_UINT64);
    CHECK(TYPE("plus", STR("a"), U8(1)) == OL_SQL__TYPES);
    CHECK(TYPE("multiply", DT("2024-01-01 00:00:00"), U8(2)) == OL_SQL__TYPES);
}

static void test_arith_values(void)
{
    /* 64-bit results wrap; narrower ones never overflow (chDB) */
    int64_t a[] = {-1 /* UInt64 max */, 1, 7};
    ol_sql_vec_t v = OK("plus", OL_SQL_UINT64, 3, vint(OL_SQL_UINT64, 3, a), U8(1));
    CHECK_TXT(v, 0, "0");
    CHECK_TXT(v, 1, "2");
    CHECK_TXT(v, 2, "8");
    CHECK_VAL("-1", "minus", U64(1), U64(2));
    CHECK_VAL("256", "plus", U8(255), U8(1));
    CHECK_VAL("-9223372036854775808", "plus", I64(INT64_MAX), I64(1));
    CHECK_VAL("18446744073709551614", "multiply", U64(UINT64_MAX), U8(2));
    CHECK_VAL("2", "plus", BOOL(1), BOOL(1));
    CHECK_VAL("inf", "divide", U8(1), U8(0));
    CHECK_VAL("-inf", "divide", I8(-1), U8(0));
    CHECK_VAL("nan", "divide", U8(0), U8(0));
    CHECK_VAL("5.960464477539063e-8", "divide", I8(-128), I32(INT32_MIN)); /* a tie in the shortest digits */
    /* intDiv / modulo, C++ semantics of ClickHouse's templates (chDB) */
    CHECK_VAL("-3", "intDiv", I8(-7), U8(2));
    CHECK_VAL("-3", "intDiv", I8(7), I8(-2));
    CHECK_VAL("-3", "intDiv", U64(7), I64(-2));
    CHECK_VAL("1", "intDiv", U64(UINT64_MAX), I64(-1));
    CHECK_VAL("56", "intDiv", U8(200), I8(-1));
    CHECK_VAL("3", "intDiv", F64(7.5), U8(2));
    CHECK_VAL("-3", "intDiv", F64(-7.5), U8(2));
    CHECK_VAL("-1", "modulo", I8(-7), U8(3));
    CHECK_VAL("1", "modulo", I8(7), I8(-3));
    CHECK_VAL("7", "modulo", U64(7), I64(-2));
    CHECK_VAL("1", "modulo", I64(-7), U64(2));
    CHECK_VAL("0", "modulo", I32(-7), U32(3));
    CHECK_VAL("4294967289", "modulo", I32(-7), U32(UINT32_MAX));
    CHECK_VAL("-1.5", "modulo", F64(-7.5), U8(2));
    CHECK_VAL("2", "modulo", U8(7), F64(-2.5));
    CHECK_VAL("nan", "modulo", U8(7), F64(0));
    FAILS("intDiv", "division by zero", U8(1), U8(0));
    FAILS("intDiv", "division by zero", U8(7), F64(0.0));
    FAILS("modulo", "division by zero", U8(1), U8(0));
    FAILS("intDiv", "minimal signed number", I64(INT64_MIN), I8(-1));
    FAILS("intDiv", "minimal signed number", I8(-128), U8(255));
    FAILS("modulo", "minimal signed number", I64(INT64_MIN), I8(-1));
    FAILS("intDiv", "infinite or too large", F64(INFINITY), U8(2));
    FAILS("intDiv", "too large number", I8(100), F64(0.5));
    /* a 32/64-bit column by a constant (chDB): -1 negates with wrap, modulo by -1 is 0 */
    int64_t mins[] = {INT64_MIN, -7};
    v = OK("intDiv", OL_SQL_INT64, 2, vint(OL_SQL_INT64, 2, mins), I64(-1));
    CHECK_TXT(v, 0, "-9223372036854775808");
    CHECK_TXT(v, 1, "7");
    v = OK("modulo", OL_SQL_INT64, 2, vint(OL_SQL_INT64, 2, mins), I64(-1));
    CHECK_TXT(v, 0, "0");
    int64_t sevens[] = {-7, 2};
    ol_sql_vec_t col = vint(OL_SQL_INT32, 2, sevens);
    ol_sql_vec_t out;
    CHECK(call("modulo", ARGS(col, I8(-128)), 2, &out) == OL_ERR && strstr(g_err.msg, "most negative"));
    v = OK("modulo", OL_SQL_INT64, 2, col, I64(INT64_MIN));
    CHECK_TXT(v, 0, "-7");
    CHECK_TXT(v, 1, "2");
    /* negate, abs */
    CHECK_VAL("-128", "negate", I8(-128));
    CHECK_VAL("-4294967295", "negate", U32(UINT32_MAX));
    CHECK_VAL("-1.5", "negate", F64(1.5));
    CHECK_VAL("-3", "negate", IV(HOUR, 3));
    CHECK_VAL("128", "abs", I8(-128));
    CHECK_VAL("9223372036854775808", "abs", I64(INT64_MIN));
    CHECK_VAL("18446744073709551615", "abs", U64(UINT64_MAX));
}

static void test_compare(void)
{
    int64_t s[] = {-1, 0, 5, INT64_MIN};
    ol_sql_vec_t col = vint(OL_SQL_INT64, 4, s);
    ol_sql_vec_t v = OK("less", OL_SQL_UINT8, 4, col, U64(1));
    CHECK_TXT(v, 0, "1");
    CHECK_TXT(v, 1, "1");
    CHECK_TXT(v, 2, "0");
    CHECK_TXT(v, 3, "1");
    v = OK("greater", OL_SQL_UINT8, 4, U64(UINT64_MAX), col);
    CHECK_TXT(v, 0, "1");
    CHECK_TXT(v, 3, "1");
    CHECK_VAL("0", "equals", U64(UINT64_MAX), I64(-1));
    CHECK_VAL("1", "less", I64(-1), U64(1));
    /* integers against floats exactly (chDB) */
    CHECK_VAL("0", "equals", U64(9007199254740993ULL), F64(9007199254740992.0));
    CHECK_VAL("1", "less", I64(-1), F64(0.5));
    CHECK_VAL("0", "equals", U64(UINT64_MAX), F64(18446744073709551616.0));
    CHECK_VAL("1", "less", U64(UINT64_MAX), F64(18446744073709551616.0));
    CHECK_VAL("1", "equals", F64(1.0), U64(1));
    CHECK_VAL("0", "equals", F64(NAN), F64(NAN));
    CHECK_VAL("1", "notEquals", F64(NAN), F64(NAN));
    CHECK_VAL("0", "less", F64(NAN), U8(1));
    CHECK_VAL("1", "equals", BOOL(1), U8(1));
    CHECK_VAL("0", "equals", BOOL(1), U8(2));
    /* strings bytewise */
    CHECK_VAL("1", "less", STR("a"), STR("ab"));
    CHECK_VAL("1", "greater", STR("b"), STR("ab"));
    CHECK_VAL("1", "greater", STR("\xff"), STR("a"));
    CHECK_VAL("1", "less", STR(""), STR("a"));
    const char *names[] = {"cart", "frontend", "", "cart2"};
    v = OK("equals", OL_SQL_UINT8, 4, vstr(4, names), STR("cart"));
    CHECK_TXT(v, 0, "1");
    CHECK_TXT(v, 3, "0");
    v = OK("notEquals", OL_SQL_UINT8, 4, STR("cart"), vstr(4, names));
    CHECK_TXT(v, 0, "0");
    CHECK_TXT(v, 1, "1");
    /* times as instants, across types */
    CHECK_VAL("1", "equals", DT("2024-01-01 00:00:00"), DATE("2024-01-01"));
    CHECK_VAL("1", "greater", DT64("2024-01-01 00:00:00.000000001"), DT("2024-01-01 00:00:00"));
    CHECK_VAL("1", "greater", DATE("2024-01-02"), DT64("2024-01-01 23:59:59.999999999"));
    int64_t ts[] = {tm(OL_SQL_DATETIME64, "2024-01-01 00:00:00"), tm(OL_SQL_DATETIME64, "2024-01-01 00:00:00.5"),
                    tm(OL_SQL_DATETIME64, "2023-12-31 23:59:59.999")};
    ol_sql_vec_t tcol = vint(OL_SQL_DATETIME64, 3, ts);
    v = OK("greaterOrEquals", OL_SQL_UINT8, 3, tcol, DT("2024-01-01 00:00:00"));
    CHECK_TXT(v, 0, "1");
    CHECK_TXT(v, 1, "1");
    CHECK_TXT(v, 2, "0");
    int64_t dts[] = {tm(OL_SQL_DATETIME, "2024-01-01 00:00:00"), tm(OL_SQL_DATETIME, "2024-01-01 00:00:01")};
    v = OK("less", OL_SQL_UINT8, 2, vint(OL_SQL_DATETIME, 2, dts), DT64("2024-01-01 00:00:00.5"));
    CHECK_TXT(v, 0, "1");
    CHECK_TXT(v, 1, "0");
    /* a constant string against a time is read as that time type (chDB):
     * DateTime drops the fraction, DateTime64 keeps it, Date takes a date only */
    CHECK_VAL("1", "equals", DT("2024-01-01 00:00:00"), STR("2024-01-01 00:00:00"));
    CHECK_VAL("0", "less", DT("2024-01-01 00:00:00"), STR("2024-01-01 00:00:00.5"));
    CHECK_VAL("1", "greater", DT64("2024-01-01 00:00:00.5"), STR("2024-01-01 00:00:00.4"));
    CHECK_VAL("1", "equals", DATE("2024-01-01"), STR("2024-01-01"));
    CHECK_VAL("1", "greater", STR("2024-01-02"), DATE("2024-01-01"));
    CHECK_VAL("1", "equals", DT("2024-01-01 00:00:00"), STR("2024-01-01"));
    CHECK_VAL("1", "equals", DT("2024-01-01 00:00:00"), STR("1704067200"));
    FAILS("equals", "Cannot convert string", DATE("2024-01-01"), STR("2024-01-01 10:00:00"));
    FAILS("equals", "Cannot convert string", DT("2024-01-01 00:00:00"), STR("junk"));
    v = OK("less", OL_SQL_UINT8, 3, tcol, STR("2024-01-01 00:00:00.25"));
    CHECK_TXT(v, 0, "1");
    CHECK_TXT(v, 1, "0");
    ol_sql_vec_t sv = vstr(1, (const char *[]){"2024-01-01"});
    ol_sql_vec_t out;
    CHECK(call("equals", ARGS(DT("2024-01-01 00:00:00"), sv), 1, &out) == OL_ERR); /* not a constant */
    /* numbers against a constant string (chDB) */
    CHECK_VAL("1", "equals", STR("1"), U8(1));
    CHECK_VAL("0", "equals", STR("300"), U8(44));
    CHECK_VAL("1", "equals", BOOL(1), STR("true"));
    FAILS("equals", "cannot convert", STR("1.5"), U8(1));
    FAILS("equals", "cannot convert", U8(1), STR("-5"));
    FAILS("equals", "cannot convert", U8(1), STR("+1"));
    /* DateTime against numbers (seconds); Date against numbers is refused (chDB) */
    CHECK_VAL("1", "equals", DT("2024-01-01 00:00:00"), U32(1704067200));
    CHECK_VAL("1", "equals", DT64("2024-01-01 00:00:00.5"), F64(1704067200.5));
    CHECK_VAL("0", "equals", DT64("2024-01-01 00:00:00"), F64(1704067200.5));
    CHECK(TYPE("equals", DATE("2024-01-01"), U16(19723)) == OL_SQL__TYPES);
    /* maps and arrays: equality only */
    const char *m1[] = {"a=b", "a=c"};
    v = OK("equals", OL_SQL_UINT8, 2, vmap(2, m1), vmap(2, (const char *[]){"a=b", "a=b"}));
    CHECK_TXT(v, 0, "1");
    CHECK_TXT(v, 1, "0");
    CHECK(TYPE("less", vmap(1, m1), vmap(1, m1)) == OL_SQL__TYPES);
    CHECK(TYPE("equals", STR("a"), vmap(1, m1)) == OL_SQL__TYPES);
}

static void test_logic(void)
{
    int64_t x[] = {0, 1, 2, 0};
    double f[] = {0.0, 0.5, NAN, -0.0};
    ol_sql_vec_t a = vint(OL_SQL_UINT8, 4, x), b = vflt(4, f);
    ol_sql_vec_t v = OK("and", OL_SQL_UINT8, 4, a, b);
    CHECK_TXT(v, 0, "0");
    CHECK_TXT(v, 1, "1");
    CHECK_TXT(v, 2, "1"); /* NaN is true */
    CHECK_TXT(v, 3, "0");
    v = OK("or", OL_SQL_UINT8, 4, a, b, U8(0));
    CHECK_TXT(v, 0, "0");
    CHECK_TXT(v, 2, "1");
    v = OK("or", OL_SQL_UINT8, 4, a, U8(7));
    CHECK_TXT(v, 0, "1");
    v = OK("and", OL_SQL_UINT8, 4, a, U8(0));
    CHECK_TXT(v, 1, "0");
    v = OK("not", OL_SQL_UINT8, 4, b);
    CHECK_TXT(v, 0, "1");
    CHECK_TXT(v, 1, "0");
    CHECK_TXT(v, 3, "1");
    /* Bool in, Bool out (chDB) */
    CHECK(TYPE("and", U8(1), BOOL(1)) == OL_SQL_BOOL);
    CHECK(TYPE("not", BOOL(1)) == OL_SQL_BOOL);
    CHECK_VAL("true", "or", BOOL(0), I16(-7));
    CHECK_VAL("1", "and", I64(-1), U64(256));
    FAILS("and", "out of range", a, F64(2.5)); /* and() casts a finite float constant to Bool (chDB) */
    FAILS("and", "out of range", a, F64(3.0));
    v = OK("and", OL_SQL_UINT8, 4, a, F64(NAN));
    CHECK_TXT(v, 1, "1");
    CHECK_VAL("1", "or", U8(0), F64(2.5));
    CHECK(TYPE("and", STR("a"), U8(1)) == OL_SQL__TYPES);
    CHECK(TYPE("and", DT("2024-01-01 00:00:00"), U8(1)) == OL_SQL__TYPES);
}

static void test_conditionals(void)
{
    int64_t c[] = {1, 0, 2, 0};
    int64_t xs[] = {10, 20, 30, 40};
    ol_sql_vec_t cond = vint(OL_SQL_UINT8, 4, c);
    ol_sql_vec_t v = OK("if", OL_SQL_INT64, 4, cond, vint(OL_SQL_UINT8, 4, xs), I64(-5));
    CHECK_TXT(v, 0, "10");
    CHECK_TXT(v, 1, "-5");
    CHECK_TXT(v, 2, "30");
    v = OK("if", OL_SQL_FLOAT64, 4, cond, U8(1), F64(2.5));
    CHECK_TXT(v, 0, "1");
    CHECK_TXT(v, 1, "2.5");
    v = OK("if", OL_SQL_STRING, 4, cond, STR("yes"), vstr(4, (const char *[]){"a", "b", "c", "d"}));
    CHECK_TXT(v, 0, "yes");
    CHECK_TXT(v, 3, "d");
    v = OK("if", OL_SQL_DATETIME64, 4, cond, DATE("2024-01-01"), DT64("2024-01-02 00:00:00.5"));
    CHECK_TXT(v, 0, "2024-01-01 00:00:00.000000000");
    CHECK_TXT(v, 1, "2024-01-02 00:00:00.500000000");
    ol_sql_vec_t zmap = vmap(1, (const char *[]){"z=9"});
    zmap.is_const = true;
    v = OK("if", OL_SQL_MAP, 4, cond, vmap(4, (const char *[]){"a=1", "b=2", "c=3,d=4", ""}), zmap);
    CHECK_TXT(v, 0, "{'a':'1'}");
    CHECK_TXT(v, 1, "{'z':'9'}");
    CHECK_TXT(v, 2, "{'c':'3','d':'4'}");
    CHECK_TXT(v, 3, "{'z':'9'}");
    /* supertypes (chDB toTypeName) */
    CHECK(TYPE("if", U8(1), U8(1), I8(2)) == OL_SQL_INT16);
    CHECK(TYPE("if", U8(1), U32(1), I8(2)) == OL_SQL_INT64);
    CHECK(TYPE("if", U8(1), U8(1), U16(2)) == OL_SQL_UINT16);
    CHECK(TYPE("if", U8(1), BOOL(1), U8(5)) == OL_SQL_BOOL);
    CHECK(TYPE("if", U8(1), U8(5), BOOL(1)) == OL_SQL_UINT8);
    CHECK(TYPE("if", U8(1), DT("2024-01-01 00:00:00"), DATE("2024-01-01")) == OL_SQL_DATETIME);
    CHECK(TYPE("if", U8(1), IV(HOUR, 1), U8(2)) == OL_SQL_INTERVAL_HOUR);
    CHECK_VAL("2", "if", U8(1), F64(2.5), IV(HOUR, 3));
    /* no common type: ClickHouse 26 says Variant(...), Olly refuses */
    CHECK(TYPE("if", U8(1), U64(1), I64(2)) == OL_SQL__TYPES);
    CHECK(TYPE("if", U8(1), I64(1), F64(2)) == OL_SQL__TYPES);
    CHECK(TYPE("if", U8(1), STR("a"), U8(1)) == OL_SQL__TYPES);
    CHECK(TYPE("if", U16(1), U8(1), U8(2)) == OL_SQL__TYPES);
    CHECK(TYPE("if", F64(1), U8(1), U8(2)) == OL_SQL__TYPES);
    CHECK(TYPE("if", BOOL(1), U8(1), U8(2)) == OL_SQL_UINT8);
    /* multiIf: the first true condition wins */
    int64_t c2[] = {1, 1, 0, 0};
    v = OK("multiIf", OL_SQL_STRING, 4, cond, STR("a"), vint(OL_SQL_UINT8, 4, c2), STR("b"), STR("c"));
    CHECK_TXT(v, 0, "a");
    CHECK_TXT(v, 1, "b");
    CHECK_TXT(v, 2, "a");
    CHECK_TXT(v, 3, "c");
    CHECK(TYPE("multiIf", U8(1), U8(1), U8(0), I16(300), I8(-1)) == OL_SQL_INT16);
    CHECK_VAL("3", "multiIf", U8(0), U8(1), U8(0), U16(2), U8(3));
    CHECK(TYPE("multiIf", U8(1), U8(2), U8(3), U8(4)) == OL_SQL__TYPES);
}

static void test_conversions(void)
{
    /* x86 truncating conversions, as ClickHouse compiles them (chDB) */
    CHECK_VAL("1", "toUInt64", F64(1.9));
    CHECK_VAL("18446744073709551615", "toUInt64", F64(-1.9));
    CHECK_VAL("-1", "toInt64", F64(-1.9));
    CHECK_VAL("-9223372036854775808", "toInt64", F64(1e30));
    CHECK_VAL("9223372036854775808", "toUInt64", F64(1e30));
    CHECK_VAL("9300000000000000000", "toUInt64", F64(9.3e18));
    CHECK_VAL("0", "toUInt8", F64(1e30));
    CHECK_VAL("-2147483648", "toInt32", F64(-1e30));
    CHECK_VAL("255", "toUInt8", F64(-1.5));
    CHECK_VAL("1", "toUInt8", F64(257.7));
    CHECK_VAL("-56", "toInt8", F64(200.0));
    CHECK_VAL("4294967295", "toUInt32", F64(-1.0));
    CHECK_VAL("1410065408", "toUInt32", F64(1e10));
    FAILS("toInt64", "inf or nan", F64(NAN));
    FAILS("toUInt8", "inf or nan", F64(INFINITY));
    /* integers wrap */
    CHECK_VAL("44", "toUInt8", U16(300));
    CHECK_VAL("255", "toUInt8", I8(-1));
    CHECK_VAL("-1", "toInt32", U64(4294967295ULL));
    CHECK_VAL("18446744073709551615", "toUInt64", I8(-1));
    CHECK_VAL("1", "toUInt64", BOOL(1));
    CHECK_VAL("5", "toUInt64", IV(HOUR, 5));
    /* text: sign and digits only, wrapping (chDB) */
    CHECK_VAL("123", "toUInt64", STR("123"));
    CHECK_VAL("44", "toUInt8", STR("300"));
    CHECK_VAL("127", "toInt8", STR("-129"));
    CHECK_VAL("0", "toUInt64", STR("18446744073709551616"));
    CHECK_VAL("9223372036854775807", "toInt64", STR("-9223372036854775809"));
    CHECK_VAL("5", "toUInt64", STR("+5"));
    CHECK_VAL("7", "toUInt64", STR("007"));
    FAILS("toUInt64", "cannot parse", STR("abc"));
    FAILS("toUInt64", "cannot parse", STR(" 12"));
    FAILS("toUInt64", "cannot parse", STR("12 "));
    FAILS("toUInt64", "'-'", STR("-1"));
    FAILS("toInt64", "cannot parse", STR("1.5"));
    FAILS("toInt64", "cannot parse", STR(""));
    CHECK_VAL("1000", "toFloat64", STR("1e3"));
    CHECK_VAL("inf", "toFloat64", STR("Infinity"));
    CHECK_VAL("-inf", "toFloat64", STR("-inf"));
    CHECK_VAL("nan", "toFloat64", STR("NaN"));
    CHECK_VAL("0.5", "toFloat64", STR(".5"));
    CHECK_VAL("5", "toFloat64", STR("5."));
    CHECK_VAL("-0", "toFloat64", STR("-0"));
    CHECK_VAL("inf", "toFloat64", STR("1e400"));
    CHECK_VAL("1.2345678901234568e29", "toFloat64", STR("123456789012345678901234567890"));
    FAILS("toFloat64", "cannot parse", STR(" 1.5"));
    FAILS("toFloat64", "cannot parse", STR("0x10"));
    FAILS("toFloat64", "cannot parse", STR("1.5e"));
    /* times */
    CHECK_VAL("1704067200", "toUInt64", DT64("2024-01-01 00:00:00.9"));
    CHECK_VAL("0", "toInt64", DT64("1969-12-31 23:59:59.1"));
    CHECK_VAL("-0.9", "toFloat64", DT64("1969-12-31 23:59:59.1"));
    CHECK_VAL("1704067200.5", "toFloat64", DT64("2024-01-01 00:00:00.5"));
    CHECK_VAL("128", "toUInt8", DT("2024-01-01 00:00:00"));
    CHECK_VAL("19723", "toUInt16", DATE("2024-01-01"));
    FAILS("toUInt8", "convert overflow", DT64("2024-01-01 00:00:00.5"));
    CHECK(TYPE("toUInt64", vmap(1, (const char *[]){""})) == OL_SQL__TYPES);
    /* toString: floats shortest, laid out like ClickHouse (chDB) */
    struct { double v; const char *s; } fl[] = {
        {1e15, "1000000000000000"}, {1e20, "100000000000000000000"}, {1e21, "1e21"}, {1.5e300, "1.5e300"},
        {1e-5, "0.00001"}, {1e-7, "1e-7"}, {2.5e-7, "2.5e-7"}, {123.456, "123.456"}, {1.0 / 3, "0.3333333333333333"},
        {-0.0, "-0"}, {0.1 + 0.2, "0.30000000000000004"}, {5e-324, "5e-324"}, {12345678901234567.0, "12345678901234568"},
        {9007199254740993.0, "9007199254740992"}, {0.000001, "0.000001"}, {1.7976931348623157e308, "1.7976931348623157e308"},
        {NAN, "nan"}, {-NAN, "nan"}, {-INFINITY, "-inf"}, {1.0000000000000002, "1.0000000000000002"},
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(fl); i++) {
        const char *got = VAL("toString", F64(fl[i].v));
        if (strcmp(got, fl[i].s) != 0) fprintf(stderr, "  toString(%.17g) = %s, expected %s\n", fl[i].v, got, fl[i].s);
        CHECK(strcmp(got, fl[i].s) == 0);
    }
    CHECK_VAL("true", "toString", BOOL(1));
    CHECK_VAL("-5", "toString", I8(-5));
    CHECK_VAL("2024-01-01", "toString", DATE("2024-01-01"));
    CHECK_VAL("2024-01-01 00:00:00.500000000", "toString", DT64("2024-01-01 00:00:00.5"));
    CHECK_VAL("5", "toString", IV(HOUR, 5));
    const char *q[] = {"a", "b'c", "t\tx\\"};
    uint32_t n3[] = {3};
    CHECK_VAL("['a','b\\'c','t\\tx\\\\']", "toString", varr_str(1, n3, q));
    CHECK_VAL("{'k':'v\\'x'}", "toString", vmap(1, (const char *[]){"k=v'x"}));
    int64_t tt[] = {tm(OL_SQL_DATETIME64, "2024-01-01 00:00:00")};
    uint32_t n1[] = {1};
    CHECK_VAL("['2024-01-01 00:00:00.000000000']", "toString", varr_int(OL_SQL_ARRAY_DATETIME64, 1, n1, tt));
    int64_t vals[] = {5, 6};
    ol_sql_vec_t v = OK("toString", OL_SQL_STRING, 2, vint(OL_SQL_UINT8, 2, vals));
    CHECK_TXT(v, 1, "6");
}

static void test_rounding(void)
{
    /* floats: nearest even at .5, scaled by 10^N first (chDB) */
    CHECK_VAL("2", "round", F64(2.5));
    CHECK_VAL("-2", "round", F64(-2.5));
    CHECK_VAL("-0", "round", F64(-0.4));
    CHECK_VAL("1.2", "round", F64(1.25), U8(1));
    CHECK_VAL("1.4", "round", F64(1.35), U8(1));
    CHECK_VAL("0.28", "round", F64(0.285), U8(2));
    CHECK_VAL("1", "round", F64(1.005), U8(2));
    CHECK_VAL("2.68", "round", F64(2.675), U8(2));
    CHECK_VAL("1200", "round", F64(1234.5678), I8(-2));
    CHECK_VAL("1.5", "round", F64(1.5), U8(20));
    CHECK_VAL("0", "round", F64(5e-324), I16(400));
    CHECK_VAL("-2", "floor", F64(-1.5));
    CHECK_VAL("-1", "ceil", F64(-1.5));
    CHECK_VAL("1.23", "floor", F64(1.234), U8(2));
    CHECK_VAL("1.24", "ceil", F64(1.231), U8(2));
    CHECK(TYPE("round", F64(1.5)) == OL_SQL_FLOAT64);
    CHECK(TYPE("round", U8(5)) == OL_SQL_UINT8);
    CHECK(TYPE("floor", I64(5)) == OL_SQL_INT64);
    CHECK(TYPE("round", F64(1.5), F64(1.5)) == OL_SQL__TYPES);
    /* integers: in the type's arithmetic, wrapping (chDB) */
    CHECK_VAL("20", "round", U64(15), I8(-1));
    CHECK_VAL("-20", "round", I64(-15), I8(-1));
    CHECK_VAL("30", "round", U64(25), I8(-1));
    CHECK_VAL("-30", "round", I64(-25), I8(-1));
    CHECK_VAL("4", "round", U8(255), I8(-1));
    CHECK_VAL("44", "round", U8(250), I8(-2));
    CHECK_VAL("0", "ceil", U8(255), I8(-1));
    CHECK_VAL("120", "round", I8(-128), I8(-1));
    CHECK_VAL("0", "round", U8(123), I8(-3));
    CHECK_VAL("0", "round", U64(UINT64_MAX), I8(-1));
    CHECK_VAL("9223372036854775810", "round", U64(9223372036854775808ULL), I8(-1));
    CHECK_VAL("9223372036854775790", "floor", I64(INT64_MIN), I8(-1));
    CHECK_VAL("-20", "floor", I64(-15), I8(-1));
    CHECK_VAL("-10", "ceil", I64(-15), I8(-1));
    CHECK_VAL("20", "ceil", U64(11), I8(-1));
    CHECK_VAL("5", "floor", U8(5), U8(1));
    FAILS("round", "scale", U8(1), I8(-20));
    FAILS("round", "scale", U8(1), U8(20));
    /* a column of places */
    double xs[] = {1.2345, 1.2345, 1.2345};
    int64_t pl[] = {0, 1, 3};
    ol_sql_vec_t v = OK("round", OL_SQL_FLOAT64, 3, vflt(3, xs), vint(OL_SQL_INT8, 3, pl));
    CHECK_TXT(v, 0, "1");
    CHECK_TXT(v, 1, "1.2");
    CHECK_TXT(v, 2, "1.234");
}

static void test_strings(void)
{
    const char *in[] = {"ABC def", "abc", ("\xc3\x80" "BC"), ""};
    ol_sql_vec_t s = vstr(4, in);
    ol_sql_vec_t v = OK("lower", OL_SQL_STRING, 4, s);
    CHECK_TXT(v, 0, "abc def");
    CHECK_TXT(v, 2, "\xc3\x80" "bc"); /* ASCII only (chDB) */
    CHECK(v.s[1].ptr == s.s[1].ptr);   /* unchanged: the input's bytes */
    v = OK("upper", OL_SQL_STRING, 4, s);
    CHECK_TXT(v, 1, "ABC");
    CHECK_VAL("ABC", "UPPER", STR("abc"));
    /* concat converts like toString (chDB) */
    CHECK_VAL("a12.5true", "concat", STR("a"), U8(1), F64(2.5), BOOL(1));
    CHECK_VAL("2024-01-01 00:00:00|2024-01-01 00:00:00.500000000|2024-01-02", "concat", DT("2024-01-01 00:00:00"),
              STR("|"), DT64("2024-01-01 00:00:00.5"), STR("|"), DATE("2024-01-02"));
    CHECK_VAL("5-3", "concat", U8(5), I64(-3));
    CHECK_VAL("a", "concat", STR("a"));
    CHECK(call("concat", 0, NULL, 1, &v) == OL_OK && v.type == OL_SQL_STRING && v.s[0].len == 0);
    v = OK("concat", OL_SQL_STRING, 4, s, STR("!"), s);
    CHECK_TXT(v, 1, "abc!abc");
    CHECK_TXT(v, 3, "!");
    /* length counts bytes, elements or entries */
    CHECK_VAL("6", "length", STR("h\xc3\xa9llo"));
    uint32_t cnt[] = {3};
    int64_t el[] = {1, 2, 3};
    CHECK_VAL("3", "length", varr_int(OL_SQL_ARRAY_UINT64, 1, cnt, el));
    CHECK_VAL("2", "length", vmap(1, (const char *[]){"a=b,c=d"}));
    CHECK(TYPE("length", STR("a")) == OL_SQL_UINT64);
    CHECK_VAL("1", "empty", STR(""));
    CHECK_VAL("1", "notEmpty", STR("a"));
    CHECK_VAL("1", "empty", vmap(1, (const char *[]){""}));
    CHECK(TYPE("empty", U8(1)) == OL_SQL__TYPES);
    CHECK_VAL("1", "startsWith", STR("abc"), STR("ab"));
    CHECK_VAL("1", "startsWith", STR("abc"), STR(""));
    CHECK_VAL("1", "endsWith", STR("abc"), STR("bc"));
    CHECK_VAL("0", "endsWith", STR("c"), STR("bc"));
    /* position: 1-based bytes, 0 when absent; an optional start (chDB) */
    CHECK_VAL("3", "position", STR("abc"), STR("c"));
    CHECK_VAL("1", "position", STR("abc"), STR(""));
    CHECK_VAL("0", "position", STR("abc"), STR("x"));
    CHECK_VAL("1", "position", STR(""), STR(""));
    CHECK_VAL("5", "position", STR("abcabc"), STR("b"), U8(3));
    CHECK_VAL("2", "position", STR("abc"), STR("b"), U8(0));
    CHECK_VAL("4", "position", STR("abc"), STR(""), U8(4));
    CHECK_VAL("0", "position", STR("abc"), STR(""), U8(5));
    CHECK_VAL("0", "position", STR("abc"), STR("c"), U8(10));
    CHECK(TYPE("position", STR("abc"), STR("c"), I8(1)) == OL_SQL__TYPES);
    /* substring: 1-based bytes, negative from the end (chDB) */
    struct { int64_t off, len; const char *want; } sub[] = {
        {2, -99, "bcdef"}, {2, 3, "bcd"}, {-2, -99, "ef"}, {10, -99, ""}, {-10, 3, ""}, {-10, 6, "ab"}, {2, -1, "bcde"},
        {2, -10, ""}, {-3, -1, "de"}, {2, 0, ""}, {7, -99, ""}, {6, -99, "f"}, {-6, -99, "abcdef"}, {-7, -99, "abcdef"},
        {-7, 2, "a"}, {INT64_MIN, INT64_MAX, "abcde"}, {INT64_MAX, 1, ""},
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(sub); i++) {
        const char *got = sub[i].len == -99 ? VAL("substring", STR("abcdef"), I64(sub[i].off))
                                            : VAL("substring", STR("abcdef"), I64(sub[i].off), I64(sub[i].len));
        if (strcmp(got, sub[i].want) != 0)
            fprintf(stderr, "  substring(%lld, %lld) = '%s'\n", (long long)sub[i].off, (long long)sub[i].len, got);
        CHECK(strcmp(got, sub[i].want) == 0);
    }
    CHECK_VAL("f", "substring", STR("abcdef"), U64(UINT64_MAX)); /* read as -1 (chDB) */
    CHECK_VAL("", "substring", STR("abcdef"), I64(0));           /* constant: '' */
    ol_sql_vec_t out;
    CHECK(call("substring", ARGS(s, I64(0)), 4, &out) == OL_ERR && strstr(g_err.msg, "1-based"));
    v = OK("substring", OL_SQL_STRING, 4, s, I64(2), U8(2));
    CHECK_TXT(v, 0, "BC");
    CHECK(v.s[0].ptr == s.s[0].ptr + 1); /* a slice of the input */
    CHECK_VAL("bbbbbb", "replaceAll", STR("aaa"), STR("a"), STR("bb"));
    CHECK_VAL("abc", "replaceAll", STR("abc"), STR(""), STR("x"));
    CHECK_VAL("aa", "replaceAll", STR("abcabc"), STR("bc"), STR(""));
    CHECK_VAL("aa", "replaceAll", STR("aaaa"), STR("aa"), STR("a"));
    CHECK_VAL("xyz", "replace", STR("xyz"), STR("q"), STR("r"));
    CHECK_VAL("a b", "trim", STR("  a b  "));
    CHECK_VAL("a  ", "trimLeft", STR("  a  "));
    CHECK_VAL("  a", "trimRight", STR("  a  "));
    CHECK_VAL("\t a\n", "trim", STR("\t a\n")); /* spaces only (chDB) */
}

static void test_like(void)
{
    /* (text, pattern, LIKE, ILIKE), each pair checked in chDB */
    struct { const char *t, *p; int like, ilike; } c[] = {
        {"abc", "abc", 1, 1}, {"abc", "ABC", 0, 1}, {"abc", "a%", 1, 1}, {"abc", "%c", 1, 1}, {"abc", "%b%", 1, 1},
        {"abc", "a_c", 1, 1}, {"abc", "a.c", 0, 0}, {"a.c", "a.c", 1, 1}, {"a*c", "a*c", 1, 1}, {"", "%", 1, 1},
        {"", "_", 0, 0}, {"abc", "%%c", 1, 1}, {"aXbXc", "%b%c", 1, 1}, {"mississippi", "%iss%pi", 1, 1},
        {"mississippi", "m%ss%ss%i", 1, 1}, {"a%b", "a\\%b", 1, 1}, {"axb", "a\\%b", 0, 0}, {"a_b", "a\\_b", 1, 1},
        {"axb", "a\\_b", 0, 0}, {"a\\b", "a\\\\b", 1, 1}, {"ab", "a\\b", 0, 0}, {"a\\b", "a\\b", 1, 1},
        {"a\nb", "a_b", 1, 1}, {"a\nb", "a%b", 1, 1},
        /* _ is one UTF-8 character; a % between literals spans valid UTF-8 only */
        {"\xc3\xa9", "_", 1, 1}, {"\xc3\xa9", "__", 0, 0}, {"\xff", "_", 0, 0}, {"a\xff" "b", "a_b", 0, 0},
        {"a\xff" "b", "a%b", 0, 0}, {"\xff", "%", 1, 1}, {"a\xff", "a%", 1, 1}, {"\xff" "a", "%a", 1, 1},
        {"x\xff" "a", "x%a", 0, 0}, {"x\xff" "ab", "%a_", 1, 1},
        /* ILIKE folds Unicode letters */
        {"\xc3\x89", "\xc3\xa9", 0, 1}, {"x\xc3\x89y", "%\xc3\xa9%", 0, 1}, {"\xc3\x89y", "\xc3\xa9%", 0, 1},
        {"\xce\xa3", "\xcf\x83", 0, 1}, {"\xcf\x82", "\xce\xa3", 0, 1}, {"\xd0\x96", "\xd0\xb6", 0, 1},
        {"\xc5\xbf", "s", 0, 1}, {"\xe2\x84\xaa", "k", 0, 1}, {"\xe2\x84\xaa", "k%", 0, 1},
        {"\xe2\x84\xaa", "%K%", 0, 0}, {"stra\xc3\x9f" "e", "STRASSE", 0, 0}, {"\xc4\xb0", "i", 0, 0},
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(c); i++) {
        const char *l = VAL("like", STR(c[i].t), STR(c[i].p)), *il = VAL("ilike", STR(c[i].t), STR(c[i].p));
        const char *nl = VAL("notLike", STR(c[i].t), STR(c[i].p)), *nil = VAL("notILike", STR(c[i].t), STR(c[i].p));
        bool ok = atoi(l) == c[i].like && atoi(il) == c[i].ilike && atoi(nl) == !c[i].like && atoi(nil) == !c[i].ilike;
        if (!ok) fprintf(stderr, "  '%s' LIKE '%s': %s %s\n", c[i].t, c[i].p, l, il);
        CHECK(ok);
    }
    /* the same over a column, and with a pattern per row */
    const char *texts[] = {"GET /api/users", "POST /api", "get /", "\xff/api"};
    ol_sql_vec_t t = vstr(4, texts);
    ol_sql_vec_t v = OK("like", OL_SQL_UINT8, 4, t, STR("%/api%"));
    CHECK_TXT(v, 0, "1");
    CHECK_TXT(v, 2, "0");
    CHECK_TXT(v, 3, "1");
    v = OK("ilike", OL_SQL_UINT8, 4, t, STR("get%"));
    CHECK_TXT(v, 0, "1");
    CHECK_TXT(v, 2, "1");
    v = OK("notILike", OL_SQL_UINT8, 4, t, STR("%API"));
    CHECK_TXT(v, 1, "0");
    CHECK_TXT(v, 0, "1");
    const char *pats[] = {"GET%", "%api", "_et%", "%\\_%"};
    v = OK("like", OL_SQL_UINT8, 4, t, vstr(4, pats));
    CHECK_TXT(v, 0, "1");
    CHECK_TXT(v, 1, "1");
    CHECK_TXT(v, 2, "1");
    CHECK_TXT(v, 3, "0");
    FAILS("like", "escape sequence at the end", STR("abc"), STR("abc\\"));
    CHECK(TYPE("like", U8(1), STR("1")) == OL_SQL__TYPES);
}

static void test_in_has(void)
{
    int64_t l1[] = {1, 256, -1 /* UInt64 max */};
    int64_t x[] = {1, 0, 255, 7};
    ol_sql_vec_t col = vint(OL_SQL_UINT8, 4, x);
    ol_sql_vec_t v = OK("in", OL_SQL_UINT8, 4, col, clist_int(OL_SQL_ARRAY_UINT64, 3, l1));
    CHECK_TXT(v, 0, "1");
    CHECK_TXT(v, 1, "0");
    CHECK_TXT(v, 2, "0");
    v = OK("notIn", OL_SQL_UINT8, 4, col, clist_int(OL_SQL_ARRAY_UINT64, 3, l1));
    CHECK_TXT(v, 0, "0");
    CHECK_TXT(v, 3, "1");
    /* values the left type cannot hold drop out (chDB: -1 IN (UInt64 max) is 0) */
    int64_t lm[] = {-1};
    CHECK_VAL("0", "in", I8(-1), clist_int(OL_SQL_ARRAY_UINT64, 1, lm));
    CHECK_VAL("1", "in", U64(UINT64_MAX), clist_int(OL_SQL_ARRAY_UINT64, 1, lm));
    int64_t l2[] = {-1, 1};
    CHECK_VAL("1", "in", U64(1), clist_int(OL_SQL_ARRAY_INT64, 2, l2));
    double lf[] = {1.0, 2.0}, lf2[] = {1.5};
    CHECK_VAL("1", "in", U8(1), clist_flt(2, lf));
    CHECK_VAL("0", "in", U8(1), clist_flt(1, lf2));
    CHECK_VAL("1", "in", F64(1.5), clist_flt(1, lf2));
    /* strings; a long list goes through a hash */
    const char *names[20];
    char buf[20][16];
    for (int i = 0; i < 20; i++) {
        snprintf(buf[i], sizeof buf[i], "s%d", i);
        names[i] = buf[i];
    }
    const char *left[] = {"s7", "s20", "", "s19"};
    v = OK("in", OL_SQL_UINT8, 4, vstr(4, left), clist_str(20, names));
    CHECK_TXT(v, 0, "1");
    CHECK_TXT(v, 1, "0");
    CHECK_TXT(v, 2, "0");
    CHECK_TXT(v, 3, "1");
    /* numbers against a String left compare as text; whole floats as "1." (chDB) */
    CHECK_VAL("1", "in", STR("1"), clist_int(OL_SQL_ARRAY_UINT64, 1, (int64_t[]){1}));
    CHECK_VAL("0", "in", STR("1"), clist_flt(1, lf));
    CHECK_VAL("1", "in", STR("1."), clist_flt(1, lf));
    CHECK_VAL("0", "in", STR("a"), clist_int(OL_SQL_ARRAY_UINT64, 1, (int64_t[]){1}));
    /* strings against a number are parsed, against a time read as that time */
    CHECK_VAL("1", "in", U8(1), clist_str(2, (const char *[]){"1", "2"}));
    FAILS("in", "cannot convert", U8(1), clist_str(2, (const char *[]){"1", "a"}));
    const char *days[] = {"2024-01-01 00:00:00", "2024-01-02 00:00:00"};
    CHECK_VAL("1", "in", DT("2024-01-01 00:00:00"), clist_str(2, days));
    CHECK_VAL("1", "in", DATE("2024-01-01"), clist_str(1, (const char *[]){"2024-01-01"}));
    CHECK_VAL("1", "in", DT64("2024-01-01 00:00:00.5"), clist_str(1, (const char *[]){"2024-01-01 00:00:00.5"}));
    FAILS("in", "Cannot convert", DT("2024-01-01 00:00:00"), clist_str(1, (const char *[]){"2024-01-01 00:00:00.5"}));
    CHECK_VAL("1", "in", DT("2024-01-01 00:00:00"), clist_int(OL_SQL_ARRAY_UINT64, 1, (int64_t[]){1704067200}));
    CHECK_VAL("1", "in", DATE("2024-01-01"), clist_int(OL_SQL_ARRAY_UINT64, 1, (int64_t[]){19723}));
    CHECK_VAL("1", "in", BOOL(1), clist_str(2, (const char *[]){"yes", "no"}));
    FAILS("in", "type mismatch", U8(1), clist_int(OL_SQL_ARRAY_DATETIME64, 1, (int64_t[]){0}));
    FAILS("in", "type mismatch", DT("2024-01-01 00:00:00"), clist_int(OL_SQL_ARRAY_INT64, 1, (int64_t[]){-1}));
    int64_t tl[] = {tm(OL_SQL_DATETIME64, "2024-01-01 00:00:00")};
    CHECK_VAL("1", "in", DT64("2024-01-01 00:00:00"), clist_int(OL_SQL_ARRAY_DATETIME64, 1, tl));
    /* a long list of integers goes through a sorted search */
    int64_t many[30];
    for (int i = 0; i < 30; i++) many[i] = 1000 - 3 * i;
    int64_t probe[] = {1000, 999, 913, 910};
    v = OK("in", OL_SQL_UINT8, 4, vint(OL_SQL_INT32, 4, probe), clist_int(OL_SQL_ARRAY_UINT64, 30, many));
    CHECK_TXT(v, 0, "1");
    CHECK_TXT(v, 1, "0");
    CHECK_TXT(v, 2, "1");
    CHECK_TXT(v, 3, "0");
    /* has: by value, or by bits when the types have no supertype (chDB) */
    uint32_t cnt[] = {2, 0, 3};
    const char *ev[] = {"a", "b", "x", "a", "z"};
    ol_sql_vec_t arr = varr_str(3, cnt, ev);
    v = OK("has", OL_SQL_UINT8, 3, arr, STR("a"));
    CHECK_TXT(v, 0, "1");
    CHECK_TXT(v, 1, "0");
    CHECK_TXT(v, 2, "1");
    uint32_t c3[] = {3};
    int64_t u[] = {1, 2, -1};
    ol_sql_vec_t ua = varr_int(OL_SQL_ARRAY_UINT64, 1, c3, u);
    CHECK_VAL("1", "has", ua, F64(2.0));
    CHECK_VAL("0", "has", ua, F64(2.5));
    CHECK_VAL("1", "has", ua, I64(-1));
    CHECK_VAL("0", "has", varr_int(OL_SQL_ARRAY_UINT8, 1, (uint32_t[]){2}, (int64_t[]){0, 1}), I16(256));
    CHECK(TYPE("has", arr, U8(1)) == OL_SQL__TYPES);
    CHECK(TYPE("has", ua, STR("1")) == OL_SQL__TYPES);
}

static void test_maps_arrays(void)
{
    const char *ms[] = {"http.method=GET,http.route=/", "", "a=1,a=2", "http.route=/x"};
    ol_sql_vec_t m = vmap(4, ms);
    ol_sql_vec_t v = OK("arrayElement", OL_SQL_STRING, 4, m, STR("http.route"));
    CHECK_TXT(v, 0, "/");
    CHECK_TXT(v, 1, "");
    CHECK_TXT(v, 3, "/x");
    v = OK("arrayElement", OL_SQL_STRING, 4, m, vstr(4, (const char *[]){"http.method", "x", "a", "a"}));
    CHECK_TXT(v, 0, "GET");
    CHECK_TXT(v, 2, "1"); /* the first of equal keys (chDB) */
    CHECK_TXT(v, 3, "");
    v = OK("mapContains", OL_SQL_UINT8, 4, m, STR("http.route"));
    CHECK_TXT(v, 0, "1");
    CHECK_TXT(v, 2, "0");
    CHECK(ol_sql_func_find(ol_slice_cstr("mapContainsKey")) != NULL);
    v = OK("mapKeys", OL_SQL_ARRAY_STRING, 4, m);
    CHECK_TXT(v, 0, "['http.method','http.route']");
    CHECK_TXT(v, 1, "[]");
    v = OK("mapValues", OL_SQL_ARRAY_STRING, 4, m);
    CHECK_TXT(v, 3, "['/x']");
    v = OK("length", OL_SQL_UINT64, 4, m);
    CHECK_TXT(v, 0, "2");
    CHECK(TYPE("arrayElement", m, U8(1)) == OL_SQL__TYPES);
    /* arrays: from 1, negative from the end, anything else the default (chDB) */
    uint32_t cnt[] = {2, 0};
    const char *el[] = {"x", "y"};
    ol_sql_vec_t a = varr_str(2, cnt, el);
    struct { int64_t i; const char *want; } ix[] = {{1, "x"}, {-1, "y"}, {0, ""}, {3, ""}, {-3, ""}, {2, "y"}, {-2, "x"}};
    for (size_t k = 0; k < OL_ARRAY_LEN(ix); k++) {
        v = OK("arrayElement", OL_SQL_STRING, 2, a, I64(ix[k].i));
        CHECK_TXT(v, 0, ix[k].want);
        CHECK_TXT(v, 1, "");
    }
    int64_t nums[] = {1, 2, 3, 4};
    uint32_t c2[] = {3, 1};
    ol_sql_vec_t na = varr_int(OL_SQL_ARRAY_UINT64, 2, c2, nums);
    int64_t idx[] = {2, 5};
    v = OK("arrayElement", OL_SQL_UINT64, 2, na, vint(OL_SQL_INT8, 2, idx));
    CHECK_TXT(v, 0, "2");
    CHECK_TXT(v, 1, "0");
    CHECK_VAL("0", "arrayElement", na, U64(UINT64_MAX));
    CHECK(TYPE("arrayElement", na, F64(1.5)) == OL_SQL__TYPES);
    /* an array of maps: the element map is copied entry by entry */
    ol_sql_vec_t am;
    ol_sql_vec_alloc(&g_cx, &am, OL_SQL_ARRAY_MAP, 2);
    am.off[0] = 0;
    am.off[1] = 2;
    am.off[2] = 3;
    am.vals = ol_arena_calloc(g_arena, sizeof *am.vals);
    *am.vals = vmap(3, (const char *[]){"a=1", "b=2,c=3", "d=4"});
    v = OK("arrayElement", OL_SQL_MAP, 2, am, I64(-1));
    CHECK_TXT(v, 0, "{'b':'2','c':'3'}");
    CHECK_TXT(v, 1, "{'d':'4'}");
    v = OK("arrayElement", OL_SQL_MAP, 2, am, I64(2));
    CHECK_TXT(v, 1, "{}");
    v = OK("arrayElement", OL_SQL_STRING, 2, v, STR("c"));
    CHECK_TXT(v, 0, "3");
}

static void test_time_functions(void)
{
    g_cx.now_ns = 1700000000123456789ULL;
    ol_sql_vec_t v;
    CHECK(call("now", 0, NULL, 1, &v) == OL_OK && v.type == OL_SQL_DATETIME && v.is_const);
    CHECK_TXT(v, 0, "2023-11-14 22:13:20");
    CHECK(call("NOW", 0, NULL, 1, &v) == OL_OK);
    CHECK(call("today", 0, NULL, 1, &v) == OL_OK && v.type == OL_SQL_DATE);
    CHECK_TXT(v, 0, "2023-11-14");
    /* toStartOf*: DateTime results; a DateTime64's seconds truncated first (chDB) */
    CHECK(TYPE("toStartOfMinute", DT64("2024-01-01 00:00:00")) == OL_SQL_DATETIME);
    CHECK(TYPE("toStartOfHour", DATE("2024-01-01")) == OL_SQL__TYPES);
    CHECK(TYPE("toStartOfDay", DATE("2024-01-01")) == OL_SQL_DATETIME);
    CHECK_VAL("2024-05-15 10:29:00", "toStartOfMinute", DT64("2024-05-15 10:29:59.9"));
    CHECK_VAL("2024-05-15 10:25:00", "toStartOfFiveMinutes", DT("2024-05-15 10:29:59"));
    CHECK_VAL("2024-01-01 10:05:00", "toStartOfFiveMinute", DT("2024-01-01 10:07:33"));
    CHECK_VAL("2024-05-15 10:15:00", "toStartOfFifteenMinutes", DT64("2024-05-15 10:29:59.9"));
    CHECK_VAL("2024-05-15 10:00:00", "toStartOfHour", DT("2024-05-15 10:29:59"));
    CHECK_VAL("2024-05-15 00:00:00", "toStartOfDay", DT64("2024-05-15 10:29:59.9"));
    CHECK_VAL("1970-01-01 00:00:00", "toStartOfMinute", DT64("1969-12-31 23:59:59.5"));
    CHECK_VAL("2106-02-06 06:28:16", "toStartOfDay", DT64("1969-12-31 23:59:59"));
    CHECK_VAL("2036-02-07 16:28:16", "toStartOfHour", DT64("1900-01-01 10:00:00"));
    int64_t ts[] = {tm(OL_SQL_DATETIME64, "2024-05-15 10:07:33.123456789"), tm(OL_SQL_DATETIME64, "2024-05-15 10:14:59.999")};
    v = OK("toStartOfFiveMinutes", OL_SQL_DATETIME, 2, vint(OL_SQL_DATETIME64, 2, ts));
    CHECK_TXT(v, 0, "2024-05-15 10:05:00");
    CHECK_TXT(v, 1, "2024-05-15 10:10:00");
    /* toStartOfInterval: the unit decides the type and the origin (chDB) */
    struct { ol_sql_type_t t; const char *x; ol_sql_type_t iv; int64_t n; ol_sql_type_t rt; const char *want; } s[] = {
        {OL_SQL_DATETIME, "2024-05-15 10:07:33", OL_SQL_INTERVAL_WEEK, 1, OL_SQL_DATE, "2024-05-13"},
        {OL_SQL_DATETIME, "2024-05-15 10:07:33", OL_SQL_INTERVAL_WEEK, 2, OL_SQL_DATE, "2024-05-13"},
        {OL_SQL_DATE, "2024-05-15", OL_SQL_INTERVAL_WEEK, 3, OL_SQL_DATE, "2024-05-06"},
        {OL_SQL_DATETIME, "2024-05-15 10:07:33", OL_SQL_INTERVAL_MONTH, 1, OL_SQL_DATE, "2024-05-01"},
        {OL_SQL_DATETIME, "2024-05-15 10:07:33", OL_SQL_INTERVAL_MONTH, 5, OL_SQL_DATE, "2024-03-01"},
        {OL_SQL_DATE, "2024-05-15", OL_SQL_INTERVAL_MONTH, 11, OL_SQL_DATE, "2023-10-01"},
        {OL_SQL_DATE, "2024-05-15", OL_SQL_INTERVAL_MONTH, 13, OL_SQL_DATE, "2023-07-01"},
        {OL_SQL_DATETIME, "2024-05-15 10:07:33", OL_SQL_INTERVAL_QUARTER, 1, OL_SQL_DATE, "2024-04-01"},
        {OL_SQL_DATETIME, "2024-05-15 10:05:33", OL_SQL_INTERVAL_QUARTER, 5, OL_SQL_DATE, "2023-10-01"},
        {OL_SQL_DATETIME, "2024-05-15 10:07:33", OL_SQL_INTERVAL_YEAR, 3, OL_SQL_DATE, "2022-01-01"},
        {OL_SQL_DATE, "2024-05-15", OL_SQL_INTERVAL_YEAR, 7, OL_SQL_DATE, "2023-01-01"},
        {OL_SQL_DATETIME, "2024-05-15 10:07:33", OL_SQL_INTERVAL_MINUTE, 7, OL_SQL_DATETIME, "2024-05-15 10:07:00"},
        {OL_SQL_DATETIME, "2024-05-15 10:05:33", OL_SQL_INTERVAL_MINUTE, 11, OL_SQL_DATETIME, "2024-05-15 09:57:00"},
        {OL_SQL_DATETIME, "2024-05-15 10:05:33", OL_SQL_INTERVAL_MINUTE, 90, OL_SQL_DATETIME, "2024-05-15 09:00:00"},
        {OL_SQL_DATETIME, "2024-05-15 10:07:33", OL_SQL_INTERVAL_HOUR, 5, OL_SQL_DATETIME, "2024-05-15 10:00:00"},
        {OL_SQL_DATETIME, "2024-05-15 04:07:33", OL_SQL_INTERVAL_HOUR, 5, OL_SQL_DATETIME, "2024-05-15 00:00:00"},
        {OL_SQL_DATETIME, "2024-05-15 23:07:33", OL_SQL_INTERVAL_HOUR, 25, OL_SQL_DATETIME, "2024-05-15 00:00:00"},
        {OL_SQL_DATETIME, "2024-05-15 10:07:33", OL_SQL_INTERVAL_DAY, 3, OL_SQL_DATETIME, "2024-05-14 00:00:00"},
        {OL_SQL_DATE, "2024-05-15", OL_SQL_INTERVAL_DAY, 10, OL_SQL_DATETIME, "2024-05-07 00:00:00"},
        {OL_SQL_DATETIME, "2024-05-15 10:07:03", OL_SQL_INTERVAL_SECOND, 7, OL_SQL_DATETIME, "2024-05-15 10:07:00"},
        {OL_SQL_DATETIME64, "2024-05-15 10:07:33.123456789", OL_SQL_INTERVAL_SECOND, 15, OL_SQL_DATETIME, "2024-05-15 10:07:30"},
        {OL_SQL_DATETIME64, "2024-05-15 10:07:33.123456789", OL_SQL_INTERVAL_MILLISECOND, 7, OL_SQL_DATETIME64,
         "2024-05-15 10:07:33.117000000"},
        {OL_SQL_DATETIME64, "2024-05-15 10:07:33.123456789", OL_SQL_INTERVAL_NANOSECOND, 100, OL_SQL_DATETIME64,
         "2024-05-15 10:07:33.123456700"},
        {OL_SQL_DATETIME64, "1969-12-31 23:59:59.5", OL_SQL_INTERVAL_MILLISECOND, 100, OL_SQL_DATETIME64,
         "1969-12-31 23:59:59.500000000"},
        {OL_SQL_DATETIME64, "1969-12-31 23:59:59.5", OL_SQL_INTERVAL_WEEK, 1, OL_SQL_DATE, "2149-06-04"},
        {OL_SQL_DATE, "1970-01-01", OL_SQL_INTERVAL_WEEK, 1, OL_SQL_DATE, "1970-01-01"},
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(s); i++) {
        int64_t x = tm(s[i].t, s[i].x), xs[2] = {x, x};
        ol_sql_vec_t cv = cint(s[i].t, x), vv = vint(s[i].t, 2, xs);
        ol_sql_vec_t a = OK("toStartOfInterval", s[i].rt, 1, cv, cint(s[i].iv, s[i].n));
        ol_sql_vec_t b = OK("toStartOfInterval", s[i].rt, 2, vv, cint(s[i].iv, s[i].n));
        bool ok = !strcmp(txt(&a, 0), s[i].want) && !strcmp(txt(&b, 1), s[i].want);
        if (!ok) fprintf(stderr, "  toStartOfInterval #%zu: %s / %s, expected %s\n", i, txt(&a, 0), txt(&b, 1), s[i].want);
        CHECK(ok);
    }
    FAILS("toStartOfInterval", "positive", DT("2024-01-01 00:00:00"), IV(SECOND, 0));
    FAILS("toStartOfInterval", "illegal interval", DT("2024-01-01 00:00:00"), IV(MILLISECOND, 1));
    FAILS("toStartOfInterval", "illegal interval", DATE("2024-01-01"), IV(HOUR, 1));
    ol_sql_vec_t ivcol = vint(OL_SQL_INTERVAL_HOUR, 1, (int64_t[]){1});
    FAILS("toStartOfInterval", "constant", DT("2024-01-01 00:00:00"), ivcol);
    /* time +- intervals and numbers (chDB) */
    CHECK(TYPE("plus", DT64("2024-01-01 00:00:00"), IV(HOUR, 1)) == OL_SQL_DATETIME64);
    CHECK(TYPE("plus", DT("2024-01-01 00:00:00"), IV(HOUR, 1)) == OL_SQL_DATETIME);
    CHECK(TYPE("plus", DATE("2024-01-01"), IV(HOUR, 1)) == OL_SQL_DATETIME);
    CHECK(TYPE("plus", DATE("2024-01-01"), IV(DAY, 1)) == OL_SQL_DATE);
    CHECK(TYPE("plus", DT("2024-01-01 00:00:00"), IV(MILLISECOND, 1)) == OL_SQL_DATETIME64); /* DateTime64(3) there */
    CHECK(TYPE("plus", IV(HOUR, 1), DT("2024-01-01 00:00:00")) == OL_SQL_DATETIME);
    CHECK(TYPE("plus", U8(1), DT("2024-01-01 00:00:00")) == OL_SQL_DATETIME);
    CHECK(TYPE("minus", DT("2024-01-01 00:00:00"), DT("2024-01-01 00:00:00")) == OL_SQL_INT32);
    CHECK(TYPE("minus", DATE("2024-01-01"), DATE("2024-01-01")) == OL_SQL_INT32);
    CHECK(TYPE("minus", DT64("2024-01-01 00:00:00"), DT64("2024-01-01 00:00:00")) == OL_SQL__TYPES); /* Decimal */
    CHECK(TYPE("minus", DT("2024-01-01 00:00:00"), DATE("2024-01-01")) == OL_SQL__TYPES);
    CHECK(TYPE("minus", IV(HOUR, 1), DT("2024-01-01 00:00:00")) == OL_SQL__TYPES);
    CHECK(TYPE("minus", U8(1), DT("2024-01-01 00:00:00")) == OL_SQL__TYPES);
    CHECK(TYPE("plus", DATE("2024-01-01"), IV(MILLISECOND, 1)) == OL_SQL__TYPES);
    CHECK(TYPE("plus", IV(HOUR, 1), IV(MINUTE, 1)) == OL_SQL__TYPES);
    CHECK_VAL("2024-02-29 10:00:00", "minus", DT("2024-03-31 10:00:00"), IV(MONTH, 1));
    CHECK_VAL("2024-02-29 10:00:00", "plus", DT("2024-01-31 10:00:00"), IV(MONTH, 1));
    CHECK_VAL("2025-02-28", "plus", DATE("2024-02-29"), IV(YEAR, 1));
    CHECK_VAL("2024-04-30", "plus", DATE("2024-01-31"), IV(QUARTER, 1));
    CHECK_VAL("2024-01-15", "plus", DATE("2024-01-01"), IV(WEEK, 2));
    CHECK_VAL("2024-02-29 10:00:00.123456789", "plus", DT64("2024-01-31 10:00:00.123456789"), IV(MONTH, 1));
    CHECK_VAL("2024-01-31 10:00:00.124456789", "plus", DT64("2024-01-31 10:00:00.123456789"), IV(MILLISECOND, 1));
    CHECK_VAL("2024-01-31 10:00:00.123456790", "plus", DT64("2024-01-31 10:00:00.123456789"), IV(NANOSECOND, 1));
    CHECK_VAL("2024-01-01 00:00:01.500000000", "plus", DT("2024-01-01 00:00:00"), IV(MILLISECOND, 1500));
    CHECK_VAL("2024-01-01 01:00:00", "plus", DATE("2024-01-01"), IV(HOUR, 1));
    CHECK_VAL("2023-12-31 23:00:00", "minus", DT("2024-01-01 00:00:00"), IV(HOUR, 1));
    CHECK_VAL("2106-02-07 06:28:15", "minus", DT("1970-01-01 00:00:00"), IV(SECOND, 1)); /* wraps */
    CHECK_VAL("2149-06-06", "minus", DATE("1970-01-01"), U8(1));
    CHECK_VAL("1970-01-01 00:00:00", "plus", DT("2106-02-07 06:28:15"), U8(1));
    CHECK_VAL("1970-01-01 00:00:00", "minus", DT("1970-01-01 00:00:00"), IV(MONTH, 1)); /* saturates */
    CHECK_VAL("1970-01-28 23:59:59", "plus", DT("2106-02-07 06:28:15"), IV(MONTH, 1));  /* wraps */
    CHECK_VAL("2024-01-01 00:00:01", "plus", DT("2024-01-01 00:00:00"), F64(1.5));
    CHECK_VAL("2023-12-31 23:59:59", "minus", DT("2024-01-01 00:00:00"), F64(1.5));
    CHECK_VAL("2024-01-01 00:00:01.000000000", "plus", DT64("2024-01-01 00:00:00"), F64(1.9));
    CHECK_VAL("2024-01-02", "plus", DATE("2024-01-01"), F64(1.9));
    CHECK_VAL("2024-01-01 00:00:05", "plus", U8(5), DT("2024-01-01 00:00:00"));
    CHECK_VAL("-86400", "minus", DT("2024-01-01 00:00:00"), DT("2024-01-02 00:00:00"));
    CHECK_VAL("-2", "minus", DATE("2024-01-01"), DATE("2024-01-03"));
    FAILS("plus", "overflow", U64(UINT64_MAX), DT("2024-01-01 00:00:00"));
    int64_t tcol[] = {tm(OL_SQL_DATETIME64, "2024-01-01 00:00:00"), tm(OL_SQL_DATETIME64, "2024-01-31 12:00:00")};
    v = OK("minus", OL_SQL_DATETIME64, 2, vint(OL_SQL_DATETIME64, 2, tcol), IV(DAY, 1));
    CHECK_TXT(v, 0, "2023-12-31 00:00:00.000000000");
    CHECK_TXT(v, 1, "2024-01-30 12:00:00.000000000");
    /* interval constructors: floats truncate (chDB) */
    CHECK(TYPE("toIntervalHour", U8(1)) == OL_SQL_INTERVAL_HOUR);
    CHECK_VAL("2", "toIntervalHour", F64(2.5));
    CHECK_VAL("-2", "toIntervalHour", F64(-2.5));
    CHECK_VAL("-1", "toIntervalHour", U64(UINT64_MAX));
    CHECK_VAL("3", "toIntervalHour", STR("3"));
    FAILS("toIntervalSecond", "nan", F64(NAN));
}

static void test_time_conversions(void)
{
    /* toDateTime: numbers are seconds, saturated (chDB) */
    CHECK_VAL("1970-01-01 00:00:00", "toDateTime", I8(-1));
    CHECK_VAL("2106-02-07 06:28:15", "toDateTime", I64(4294967296LL));
    CHECK_VAL("1970-01-01 00:00:01", "toDateTime", F64(1.7));
    CHECK_VAL("1970-01-01 00:00:00", "toDateTime", F64(-1.5));
    CHECK_VAL("1970-01-01 00:00:00", "toDateTime", F64(INFINITY));
    CHECK_VAL("2043-04-26 17:42:24", "toDateTime", U64(10000000000000000000ULL));
    CHECK_VAL("2024-01-01 00:00:00", "toDateTime", STR("2024-01-01"));
    CHECK_VAL("2024-01-01 10:11:12", "toDateTime", STR("2024-01-01 10:11:12.999"));
    CHECK_VAL("2024-01-01 10:11:12", "toDateTime", STR("2024-01-01T10:11:12Z"));
    CHECK_VAL("2024-01-01 01:02:03", "toDateTime", STR("2024-1-1 1:2:3"));
    CHECK_VAL("2024-01-01 00:00:00", "toDateTime", STR("1704067200"));
    CHECK_VAL("2024-01-01 10:11:00", "toDateTime", STR("2024-01-01 10:11"));
    CHECK_VAL("2024-01-02 01:00:00", "toDateTime", STR("2024-01-01 25:00:00"));
    CHECK_VAL("2024-01-01 09:11:12", "toDateTime", STR("2024-01-01 10:11:12+01:00"));
    CHECK_VAL("1970-01-01 00:00:00", "toDateTime", STR("1969-12-31 23:59:59"));
    CHECK_VAL("2106-02-07 06:28:15", "toDateTime", STR("2107-01-01 00:00:00"));
    FAILS("toDateTime", "cannot parse", STR("garbage"));
    FAILS("toDateTime", "cannot parse", STR(""));
    FAILS("toDateTime", "cannot parse", STR("2024-02-30"));
    CHECK_VAL("2106-02-07 06:28:15", "toDateTime", DT64("1969-12-31 23:59:59.5"));
    CHECK_VAL("2024-01-01 00:00:00", "toDateTime", DATE("2024-01-01"));
    /* toDate: days up to 65535, Unix seconds above (chDB) */
    CHECK_VAL("2022-01-08", "toDate", U16(19000));
    CHECK_VAL("2024-01-01", "toDate", U32(1704067200));
    CHECK_VAL("1970-01-01", "toDate", I8(-1));
    CHECK_VAL("2149-06-06", "toDate", U16(65535));
    CHECK_VAL("1970-01-01", "toDate", U32(65536));
    CHECK_VAL("2106-02-07", "toDate", I64(5000000000LL));
    CHECK_VAL("1970-01-02", "toDate", F64(1.5));
    CHECK_VAL("2024-01-01", "toDate", STR("2024-01-01 10:11:12"));
    CHECK_VAL("2024-03-01", "toDate", STR("2024-02-30"));
    CHECK_VAL("2024-05-15", "toDate", STR("2024-05-15 25:00:00"));
    FAILS("toDate", "cannot parse", STR("2024-05-15T10:07:33Z"));
    FAILS("toDate", "cannot parse", STR(" 2024-05-15"));
    CHECK_VAL("2149-06-06", "toDate", DT64("1969-12-31 23:00:00"));
    CHECK_VAL("1970-01-01", "toDate", DT64("1969-12-31 23:59:59.5"));
    /* toDateTime64(x, scale): truncated to the scale, typed DateTime64(9) here */
    CHECK(TYPE("toDateTime64", STR("2024-01-01"), U8(3)) == OL_SQL_DATETIME64);
    CHECK_VAL("2024-01-01 10:11:12.123000000", "toDateTime64", STR("2024-01-01 10:11:12.123456789"), U8(3));
    CHECK_VAL("2024-01-01 10:11:12.123456789", "toDateTime64", STR("2024-01-01 10:11:12.123456789123"), U8(9));
    CHECK_VAL("1970-01-01 00:00:01.500000000", "toDateTime64", F64(1.5), U8(9));
    CHECK_VAL("1970-01-01 00:00:01.234000000", "toDateTime64", F64(1.23456), U8(3));
    CHECK_VAL("1969-12-31 23:59:59.000000000", "toDateTime64", I8(-1), U8(9));
    CHECK_VAL("2262-04-11 23:47:16.000000000", "toDateTime64", I64(1704067200123456789LL), U8(9));
    CHECK_VAL("2024-01-01 00:00:00.000000000", "toDateTime64", DATE("2024-01-01"), U8(9));
    FAILS("toDateTime64", "scale", STR("2024-01-01"), U8(10));
    ol_sql_vec_t scol = vint(OL_SQL_UINT8, 1, (int64_t[]){9});
    FAILS("toDateTime64", "constant", STR("2024-01-01"), scol);
    FAILS("toDateTime64", "NaN", F64(NAN), U8(9));
    /* Unix timestamps (chDB) */
    CHECK(TYPE("toUnixTimestamp", DT64("2024-01-01 00:00:00")) == OL_SQL_UINT32);
    CHECK(TYPE("toUnixTimestamp64Nano", DT64("2024-01-01 00:00:00")) == OL_SQL_INT64);
    CHECK(TYPE("toUnixTimestamp64Nano", DT("2024-01-01 00:00:00")) == OL_SQL__TYPES);
    CHECK(TYPE("fromUnixTimestamp64Nano", STR("1")) == OL_SQL__TYPES);
    CHECK_VAL("1715767653", "toUnixTimestamp", DT64("2024-05-15 10:07:33.9"));
    CHECK_VAL("1704067200", "toUnixTimestamp", STR("2024-01-01 00:00:00"));
    CHECK_VAL("1704067200", "toUnixTimestamp", DATE("2024-01-01"));
    CHECK_VAL("4294967295", "toUnixTimestamp", F64(-1.5));
    CHECK_VAL("1715767653999", "toUnixTimestamp64Milli", DT64("2024-05-15 10:07:33.9999"));
    CHECK_VAL("-500000000", "toUnixTimestamp64Nano", DT64("1969-12-31 23:59:59.5"));
    CHECK_VAL("-444", "toUnixTimestamp64Milli", DT64("1969-12-31 23:59:59.5555"));
    CHECK_VAL("2023-11-14 22:13:20.123456789", "fromUnixTimestamp64Nano", I64(1700000000123456789LL));
    CHECK_VAL("2023-11-14 22:13:20.123456789", "fromUnixTimestamp64Nano", U64(1700000000123456789ULL));
    /* parts (chDB) */
    CHECK(TYPE("toYYYYMMDD", DT64("2024-01-01 00:00:00")) == OL_SQL_UINT32);
    CHECK(TYPE("toHour", DT("2024-01-01 00:00:00")) == OL_SQL_UINT8);
    CHECK(TYPE("toYear", DT("2024-01-01 00:00:00")) == OL_SQL_UINT16);
    CHECK(TYPE("toHour", DATE("2024-01-01")) == OL_SQL__TYPES);
    CHECK_VAL("20240203", "toYYYYMMDD", DATE("2024-02-03"));
    CHECK_VAL("19691231", "toYYYYMMDD", DT64("1969-12-31 23:59:59"));
    CHECK_VAL("23", "toHour", DT64("1969-12-31 23:59:59"));
    CHECK_VAL("13", "toHour", DT64("2024-01-01 13:14:15"));
    CHECK_VAL("14", "toMinute", DT64("2024-01-01 13:14:15"));
    CHECK_VAL("7", "toSecond", DT64("2024-05-15 10:00:07.9"));
    CHECK_VAL("3", "toDayOfWeek", DATE("2024-05-15"));
    CHECK_VAL("2024", "toYear", DATE("2024-05-15"));
    CHECK_VAL("5", "toMonth", DATE("2024-05-15"));
    CHECK_VAL("15", "toDayOfMonth", DT("2024-05-15 10:00:00"));
}

static void test_parse_format(void)
{
    int64_t ns;
    CHECK(ol_sql_parse_datetime(ol_slice_cstr("2023-11-14 22:13:20"), &ns) == OL_OK && ns == 1700000000LL * (int64_t)NS);
    CHECK(ol_sql_parse_datetime(ol_slice_cstr("2023-11-14"), &ns) == OL_OK && ns == 1699920000LL * (int64_t)NS);
    CHECK(ol_sql_parse_datetime(ol_slice_cstr("2023-11-14 22:13:20.123456789"), &ns) == OL_OK &&
          ns == 1700000000123456789LL);
    CHECK(ol_sql_parse_datetime(ol_slice_cstr("2023-11-14 22:13:20.5"), &ns) == OL_OK && ns == 1700000000500000000LL);
    CHECK(ol_sql_parse_datetime(ol_slice_cstr("2023-11-14T22:13:20Z"), &ns) == OL_OK && ns == 1700000000LL * (int64_t)NS);
    CHECK(ol_sql_parse_datetime(ol_slice_cstr("1969-12-31 23:59:59.5"), &ns) == OL_OK && ns == -500000000LL);
    CHECK(ol_sql_parse_datetime(ol_slice_cstr("2024-02-29 00:00:00"), &ns) == OL_OK);
    CHECK(ol_sql_parse_datetime(ol_slice_cstr("2023-02-29 00:00:00"), &ns) == OL_CORRUPT);
    CHECK(ol_sql_parse_datetime(ol_slice_cstr("2023-13-01"), &ns) == OL_CORRUPT);
    CHECK(ol_sql_parse_datetime(ol_slice_cstr("yesterday"), &ns) == OL_CORRUPT);
    CHECK(ol_sql_parse_datetime(ol_slice_cstr(""), &ns) == OL_CORRUPT);
    CHECK(ol_sql_parse_datetime(ol_slice_cstr("2023-11-14 22:13:20x"), &ns) == OL_CORRUPT);
    CHECK(ol_sql_parse_datetime(ol_slice_cstr("3000-01-01"), &ns) == OL_CORRUPT); /* past DateTime64(9) */
    char out[40];
    ol_sql_format_time(OL_SQL_DATE, 19723, out);
    CHECK(strcmp(out, "2024-01-01") == 0);
    ol_sql_format_time(OL_SQL_DATETIME, 1700000000, out);
    CHECK(strcmp(out, "2023-11-14 22:13:20") == 0);
    ol_sql_format_time(OL_SQL_DATETIME64, 1700000000000000001LL, out);
    CHECK(strcmp(out, "2023-11-14 22:13:20.000000001") == 0);
    ol_sql_format_time(OL_SQL_DATETIME64, -500000000LL, out);
    CHECK(strcmp(out, "1969-12-31 23:59:59.500000000") == 0);
    ol_sql_format_time(OL_SQL_DATE, 65535, out);
    CHECK(strcmp(out, "2149-06-06") == 0);
    /* the civil calendar both ways over four centuries, every day */
    int bad = 0;
    for (int64_t d = -146097; d < 2 * 146097; d++) {
        int64_t y;
        unsigned m, dd;
        ol_sql_civil_from_days(d, &y, &m, &dd);
        bad += ol_sql_days_from_civil(y, m, dd) != d;
    }
    CHECK_EQ_INT(bad, 0);
}

/* Every kernel, vectorised, against the same function one row at a time:
 * for each argument, a constant and a vector of distinct values. */
typedef struct shape_case {
    const char *fn;
    size_t n;
    ol_sql_vec_t cols[3]; /* 4 rows each */
} shape_case_t;

static ol_sql_vec_t row_of(const ol_sql_vec_t *v, uint32_t r)
{
    ol_sql_vec_t c = *v;
    uint32_t k = ol_sql_row(v, r);
    switch (ol_sql_type_repr(v->type)) {
    case 'f': c.f = v->f + k; break;
    case 's': c.s = v->s + k; break;
    case 'i': c.i = v->i + k; break;
    default: {
        uint32_t *off = ol_arena_alloc(g_arena, 2 * sizeof *off);
        off[0] = v->off[k];
        off[1] = v->off[k + 1];
        c.off = off;
        break;
    }
    }
    c.n = 1;
    c.is_const = true;
    return c;
}

static void test_shapes(void)
{
    int64_t u64[] = {-1, 7, 0, 1000000}, i64[] = {-7, 3, INT64_MIN, 5}, u8[] = {0, 255, 7, 3}, i32[] = {-2147483648LL, -7, 2, 9};
    int64_t one[] = {1, 2, 3, 7};
    double f[] = {2.5, -0.5, NAN, 1e20}, fw[] = {0, 1, NAN, INFINITY}; /* and() refuses a non-integral constant */
    int64_t t64[] = {tm(OL_SQL_DATETIME64, "2024-05-15 10:07:33.123456789"), tm(OL_SQL_DATETIME64, "1969-12-31 23:59:59.5"),
                     tm(OL_SQL_DATETIME64, "2024-02-29 23:59:59"), tm(OL_SQL_DATETIME64, "2024-01-01 00:00:00")};
    int64_t tdt[] = {tm(OL_SQL_DATETIME, "2024-05-15 10:07:33"), 0, tm(OL_SQL_DATETIME, "2024-02-29 23:59:59"),
                     tm(OL_SQL_DATETIME, "2024-01-01 00:00:00")};
    int64_t td[] = {19858, 0, 65535, 19723};
    const char *s[] = {"abc", "", "GET /api", ("a\xff" "b")}, *p[] = {"a%", "%", "%api%", "a_b"};
    const char *ms[] = {"a=1,b=2", "", "b=3", "a=4"}, *ks[] = {"a", "b", "b", "z"};
    ol_sql_vec_t vU64 = vint(OL_SQL_UINT64, 4, u64), vI64 = vint(OL_SQL_INT64, 4, i64), U8v = vint(OL_SQL_UINT8, 4, u8),
                 I32v = vint(OL_SQL_INT32, 4, i32), F = vflt(4, f), FW = vflt(4, fw), S = vstr(4, s), P = vstr(4, p), M = vmap(4, ms),
                 K = vstr(4, ks), T64 = vint(OL_SQL_DATETIME64, 4, t64), TDT = vint(OL_SQL_DATETIME, 4, tdt),
                 TD = vint(OL_SQL_DATE, 4, td), ONE = vint(OL_SQL_UINT8, 4, one),
                 IVH = vint(OL_SQL_INTERVAL_HOUR, 4, i64), IVM = vint(OL_SQL_INTERVAL_MONTH, 4, one);
    shape_case_t cases[] = {
        {"plus", 2, {vU64, vI64}}, {"minus", 2, {U8v, I32v}}, {"multiply", 2, {vI64, F}}, {"divide", 2, {vU64, vI64}},
        {"intDiv", 2, {vU64, ONE}}, {"intDiv", 2, {I32v, ONE}}, {"modulo", 2, {vI64, ONE}}, {"modulo", 2, {F, ONE}},
        {"equals", 2, {vU64, vI64}}, {"less", 2, {vU64, vI64}}, {"greater", 2, {vI64, F}}, {"lessOrEquals", 2, {U8v, I32v}},
        {"greaterOrEquals", 2, {F, F}}, {"notEquals", 2, {S, P}}, {"less", 2, {S, P}}, {"equals", 2, {T64, TDT}},
        {"less", 2, {TD, T64}}, {"greater", 2, {TDT, TD}}, {"and", 3, {U8v, FW, vI64}}, {"or", 2, {U8v, F}},
        {"if", 3, {U8v, vI64, I32v}}, {"if", 3, {ONE, S, P}}, {"if", 3, {U8v, M, M}}, {"multiIf", 3, {U8v, F, U8v}},
        {"like", 2, {S, P}}, {"ilike", 2, {S, P}}, {"concat", 3, {S, vU64, F}}, {"position", 2, {S, P}},
        {"substring", 3, {S, vI64, ONE}}, {"startsWith", 2, {S, P}}, {"arrayElement", 2, {M, K}},
        {"mapContains", 2, {M, K}}, {"plus", 2, {T64, IVH}}, {"minus", 2, {TDT, IVM}}, {"plus", 2, {TD, IVM}},
        {"plus", 2, {T64, I32v}}, {"toStartOfInterval", 2, {T64, ONE}}, {"round", 2, {F, ONE}},
        {"replaceAll", 3, {S, K, P}}, {"has", 2, {M, K}},
    };
    int checked = 0;
    for (size_t c = 0; c < OL_ARRAY_LEN(cases); c++) {
        shape_case_t *sc = &cases[c];
        if (!strcmp(sc->fn, "toStartOfInterval")) sc->cols[1].type = OL_SQL_INTERVAL_MINUTE;
        if (!strcmp(sc->fn, "has")) { /* has over mapKeys */
            ol_sql_vec_t keys;
            if (call("mapKeys", 1, &sc->cols[0], 4, &keys) != OL_OK) continue;
            sc->cols[0] = keys;
        }
        for (unsigned mask = 0; mask < (1u << sc->n); mask++) { /* bit i: argument i constant (row 1's value) */
            ol_sql_vec_t args[3];
            for (size_t i = 0; i < sc->n; i++) args[i] = (mask >> i) & 1 ? row_of(&sc->cols[i], 1) : sc->cols[i];
            if (mask == (1u << sc->n) - 1) continue;
            if (!strcmp(sc->fn, "toStartOfInterval") && !(mask & 2)) continue; /* the interval must be constant */
            ol_sql_vec_t out;
            int rc = call(sc->fn, sc->n, args, 4, &out);
            char whole[512];
            snprintf(whole, sizeof whole, "%s", rc == OL_OK ? "" : g_err.msg);
            for (uint32_t r = 0; r < 4; r++) {
                ol_sql_vec_t one_args[3];
                for (size_t i = 0; i < sc->n; i++) one_args[i] = row_of(&args[i], r);
                ol_sql_vec_t o1;
                int rc1 = call(sc->fn, sc->n, one_args, 1, &o1);
                if (rc != OL_OK) { /* the batch failed: some row must fail alone too */
                    if (rc1 != OL_OK) break;
                    if (r == 3) {
                        fprintf(stderr, "  %s mask %u: batch failed (%s), rows did not\n", sc->fn, mask, whole);
                        ol_test_failed_checks++;
                    }
                    continue;
                }
                const char *a = rc1 == OL_OK ? txt(&o1, 0) : "ERR", *b = txt(&out, r);
                if (strcmp(a, b) != 0) {
                    fprintf(stderr, "  %s mask %u row %u: batch %s, alone %s\n", sc->fn, mask, r, b, a);
                    ol_test_failed_checks++;
                }
                checked++;
            }
        }
    }
    CHECK(checked > 400);
}

int main(void)
{
    g_arena = ol_arena_create(1 << 20, 0);
    g_cx.arena = g_arena;
    g_cx.err = &g_err;
    RUN(test_registry);
    RUN(test_arith_types);
    RUN(test_arith_values);
    RUN(test_compare);
    RUN(test_logic);
    RUN(test_conditionals);
    RUN(test_conversions);
    RUN(test_rounding);
    RUN(test_strings);
    RUN(test_like);
    RUN(test_in_has);
    RUN(test_maps_arrays);
    RUN(test_time_functions);
    RUN(test_time_conversions);
    RUN(test_parse_format);
    RUN(test_shapes);
    ol_arena_destroy(g_arena);
    return TEST_REPORT();
}
