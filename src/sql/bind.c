/*
 * bind.c - from syntax tree to plan (see plan.h).
 *
 * Names: an identifier is first a select-list alias (ClickHouse substitutes
 * the aliased expression wherever the alias appears), then a column of the
 * table, optionally qualified by the table's name. Operators become
 * ClickHouse's functions (a + b is plus(a, b)); BETWEEN becomes two
 * comparisons, CASE becomes multiIf, INTERVAL n UNIT toIntervalUnit(n),
 * exactly as ClickHouse rewrites them, so result column names agree too:
 * an unaliased expression is named by its text in that function form.
 *
 * Aggregate queries: per-row expressions (group keys, aggregate arguments
 * and -If conditions) bind against the table; the select list, HAVING and
 * ORDER BY bind against slots, where a subexpression equal (as text) to a
 * group key is that key's slot and an aggregate call is its own slot
 * (equal calls share one). A column outside both is an error, as in
 * ClickHouse.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/buf.h"
#include "core/util.h"
#include "sql/plan.h"

#define MAX_KEYS 64
#define MAX_AGGS 256

typedef enum { MODE_ROW, MODE_GROUP } bind_mode_t;

typedef struct binder {
    ol_sql_ctx_t *cx;
    const char *sql;
    size_t len;
    const ol_sql_select_t *q;
    ol_sql_plan_t *p;
    ol_err_t *err;
    uint32_t alias_depth;
    /* grouped: texts of the group keys, to match select expressions */
    char **group_text;
    ol_sql_agg_t aggs[MAX_AGGS];
    uint32_t n_aggs;
    bool in_agg;
    bool in_where;
    ol_sql_map_key_t keys[MAX_KEYS];
    uint32_t n_keys;
} binder_t;

static int fail(binder_t *b, const ol_sql_expr_t *e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(binder_t *b, const ol_sql_expr_t *e, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (e) {
        uint32_t line, col;
        ol_sql_text_position(b->sql, b->len, e->pos, &line, &col);
        ol_err_set(b->err, "%s (at line %u, column %u)", msg, line, col);
    } else {
        ol_err_set(b->err, "%s", msg);
    }
    return OL_CORRUPT;
}

/* ---- expression text, as ClickHouse names columns ---- */

static const char *op_func(ol_sql_op_t op)
{
    switch (op) {
    case OL_SQL_OP_OR: return "or";
    case OL_SQL_OP_AND: return "and";
    case OL_SQL_OP_NOT: return "not";
    case OL_SQL_OP_EQ: return "equals";
    case OL_SQL_OP_NE: return "notEquals";
    case OL_SQL_OP_LT: return "less";
    case OL_SQL_OP_LE: return "lessOrEquals";
    case OL_SQL_OP_GT: return "greater";
    case OL_SQL_OP_GE: return "greaterOrEquals";
    case OL_SQL_OP_ADD: return "plus";
    case OL_SQL_OP_SUB: return "minus";
    case OL_SQL_OP_MUL: return "multiply";
    case OL_SQL_OP_DIV: return "divide";
    case OL_SQL_OP_MOD: return "modulo";
    case OL_SQL_OP_CONCAT: return "concat";
    case OL_SQL_OP_NEG: return "negate";
    case OL_SQL_OP_LIKE: return "like";
    case OL_SQL_OP_ILIKE: return "ilike";
    default: return "?";
    }
}

static const char *unit_func(ol_sql_unit_t u)
{
    static const char *const names[] = {
        [OL_SQL_UNIT_NANOSECOND] = "toIntervalNanosecond", [OL_SQL_UNIT_MICROSECOND] = "toIntervalMicrosecond",
        [OL_SQL_UNIT_MILLISECOND] = "toIntervalMillisecond", [OL_SQL_UNIT_SECOND] = "toIntervalSecond",
        [OL_SQL_UNIT_MINUTE] = "toIntervalMinute", [OL_SQL_UNIT_HOUR] = "toIntervalHour",
        [OL_SQL_UNIT_DAY] = "toIntervalDay", [OL_SQL_UNIT_WEEK] = "toIntervalWeek",
        [OL_SQL_UNIT_MONTH] = "toIntervalMonth", [OL_SQL_UNIT_QUARTER] = "toIntervalQuarter",
        [OL_SQL_UNIT_YEAR] = "toIntervalYear",
    };
    return (unsigned)u < OL_ARRAY_LEN(names) && names[u] ? names[u] : "toIntervalSecond";
}

static void text_float(double f, ol_buf_t *o)
{
    if (f == floor(f) && fabs(f) < 1e15) { /* ClickHouse writes 1e6 as 1000000. */
        ol_buf_printf(o, "%.0f.", f);
        return;
    }
    char tmp[32];
    ol_buf_append(o, tmp, ol_sql_format_float(f, tmp));
}

static void text_string(ol_slice_t s, ol_buf_t *o)
{
    ol_buf_append_u8(o, '\'');
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.ptr[i];
        if (c == '\'' || c == '\\') { ol_buf_append_u8(o, '\\'); ol_buf_append_u8(o, c); }
        else if (c == '\n') ol_buf_append_cstr(o, "\\n");
        else if (c == '\t') ol_buf_append_cstr(o, "\\t");
        else if (c == '\r') ol_buf_append_cstr(o, "\\r");
        else if (c == 0) ol_buf_append_cstr(o, "\\0");
        else ol_buf_append_u8(o, c);
    }
    ol_buf_append_u8(o, '\'');
}

static void text_expr(binder_t *b, const ol_sql_expr_t *e, ol_buf_t *o);

static void text_list(binder_t *b, ol_sql_expr_t *const *a, uint32_t n, ol_buf_t *o)
{
    for (uint32_t i = 0; i < n; i++) {
        if (i) ol_buf_append_cstr(o, ", ");
        text_expr(b, a[i], o);
    }
}

/* and/or chains flatten into one call, as ClickHouse's parser builds them. */
static void text_chain(binder_t *b, const ol_sql_expr_t *e, ol_sql_op_t op, bool *first, ol_buf_t *o)
{
    if (e->kind == OL_SQL_E_BINARY && e->op == op) {
        text_chain(b, e->args[0], op, first, o);
        text_chain(b, e->args[1], op, first, o);
        return;
    }
    if (!*first) ol_buf_append_cstr(o, ", ");
    *first = false;
    text_expr(b, e, o);
}

static void text_expr(binder_t *b, const ol_sql_expr_t *e, ol_buf_t *o)
{
    switch (e->kind) {
    case OL_SQL_E_COLUMN: ol_buf_append_slice(o, e->name); break;
    case OL_SQL_E_STAR: ol_buf_append_u8(o, '*'); break;
    case OL_SQL_E_INT: ol_buf_printf(o, "%" PRIu64, e->u); break;
    case OL_SQL_E_FLOAT: text_float(e->f, o); break;
    case OL_SQL_E_STRING: text_string(e->str, o); break;
    case OL_SQL_E_NULL: ol_buf_append_cstr(o, "NULL"); break;
    case OL_SQL_E_BOOL: ol_buf_append_cstr(o, e->u ? "true" : "false"); break;
    case OL_SQL_E_ARRAY:
        ol_buf_append_u8(o, '[');
        text_list(b, e->args, e->n_args, o);
        ol_buf_append_u8(o, ']');
        break;
    case OL_SQL_E_TUPLE:
        ol_buf_append_u8(o, '(');
        text_list(b, e->args, e->n_args, o);
        ol_buf_append_u8(o, ')');
        break;
    case OL_SQL_E_FUNC:
        if (e->distinct && ol_slice_eq_nocase_cstr(e->name, "count")) {
            ol_buf_append_cstr(o, "countDistinct(");
            text_list(b, e->args, e->n_args, o);
            ol_buf_append_u8(o, ')');
            break;
        }
        ol_buf_append_slice(o, e->name);
        if (e->has_params) {
            ol_buf_append_u8(o, '(');
            text_list(b, e->params, e->n_params, o);
            ol_buf_append_u8(o, ')');
        }
        ol_buf_append_u8(o, '(');
        if (e->distinct) ol_buf_append_cstr(o, "DISTINCT ");
        if (e->n_args == 1 && e->args[0]->kind == OL_SQL_E_STAR) {
            /* count(*) is count() */
        } else {
            text_list(b, e->args, e->n_args, o);
        }
        ol_buf_append_u8(o, ')');
        break;
    case OL_SQL_E_UNARY:
        if (e->op == OL_SQL_OP_NEG && (e->args[0]->kind == OL_SQL_E_INT || e->args[0]->kind == OL_SQL_E_FLOAT)) {
            ol_buf_append_u8(o, '-');
            text_expr(b, e->args[0], o);
            break;
        }
        ol_buf_append_cstr(o, op_func(e->op));
        ol_buf_append_u8(o, '(');
        text_expr(b, e->args[0], o);
        ol_buf_append_u8(o, ')');
        break;
    case OL_SQL_E_BINARY:
        ol_buf_append_cstr(o, op_func(e->op));
        ol_buf_append_u8(o, '(');
        if (e->op == OL_SQL_OP_AND || e->op == OL_SQL_OP_OR || e->op == OL_SQL_OP_CONCAT) {
            bool first = true;
            text_chain(b, e, e->op, &first, o);
        } else {
            text_expr(b, e->args[0], o);
            ol_buf_append_cstr(o, ", ");
            text_expr(b, e->args[1], o);
        }
        ol_buf_append_u8(o, ')');
        break;
    case OL_SQL_E_IN:
        ol_buf_append_cstr(o, e->negated ? "notIn(" : "in(");
        text_expr(b, e->args[0], o);
        ol_buf_append_cstr(o, ", ");
        text_expr(b, e->args[1], o);
        ol_buf_append_u8(o, ')');
        break;
    case OL_SQL_E_BETWEEN:
        ol_buf_append_cstr(o, e->negated ? "or(less(" : "and(greaterOrEquals(");
        text_expr(b, e->args[0], o);
        ol_buf_append_cstr(o, ", ");
        text_expr(b, e->args[1], o);
        ol_buf_append_cstr(o, e->negated ? "), greater(" : "), lessOrEquals(");
        text_expr(b, e->args[0], o);
        ol_buf_append_cstr(o, ", ");
        text_expr(b, e->args[2], o);
        ol_buf_append_cstr(o, "))");
        break;
    case OL_SQL_E_LIKE:
        ol_buf_append_cstr(o, e->op == OL_SQL_OP_ILIKE ? (e->negated ? "notILike(" : "ilike(")
                                                       : (e->negated ? "notLike(" : "like("));
        text_expr(b, e->args[0], o);
        ol_buf_append_cstr(o, ", ");
        text_expr(b, e->args[1], o);
        ol_buf_append_u8(o, ')');
        break;
    case OL_SQL_E_INDEX:
        ol_buf_append_cstr(o, "arrayElement(");
        text_expr(b, e->args[0], o);
        ol_buf_append_cstr(o, ", ");
        text_expr(b, e->args[1], o);
        ol_buf_append_u8(o, ')');
        break;
    case OL_SQL_E_INTERVAL:
        ol_buf_append_cstr(o, unit_func(e->unit));
        ol_buf_append_u8(o, '(');
        text_expr(b, e->args[0], o);
        ol_buf_append_u8(o, ')');
        break;
    case OL_SQL_E_CASE: {
        ol_buf_append_cstr(o, "multiIf(");
        uint32_t i = e->has_operand ? 1 : 0, end = e->n_args - (e->has_else ? 1 : 0);
        bool first = true;
        for (; i + 1 < end + 1 && i < end; i += 2) {
            if (!first) ol_buf_append_cstr(o, ", ");
            first = false;
            if (e->has_operand) {
                ol_buf_append_cstr(o, "equals(");
                text_expr(b, e->args[0], o);
                ol_buf_append_cstr(o, ", ");
                text_expr(b, e->args[i], o);
                ol_buf_append_u8(o, ')');
            } else {
                text_expr(b, e->args[i], o);
            }
            ol_buf_append_cstr(o, ", ");
            text_expr(b, e->args[i + 1], o);
        }
        if (e->has_else) {
            ol_buf_append_cstr(o, ", ");
            text_expr(b, e->args[e->n_args - 1], o);
        }
        ol_buf_append_u8(o, ')');
        break;
    }
    }
}

static char *expr_text(binder_t *b, const ol_sql_expr_t *e)
{
    ol_buf_t o;
    ol_buf_init(&o, OL_MEM_QUERY, 1u << 20);
    text_expr(b, e, &o);
    char *s = ol_arena_alloc(b->cx->arena, o.len + 1);
    if (s) {
        if (o.len) memcpy(s, o.data, o.len);
        s[o.len] = 0;
    }
    ol_buf_free(&o);
    return s;
}

/* ---- nodes ---- */

static ol_sql_node_t *node_new(binder_t *b, ol_sql_node_kind_t k, const ol_sql_expr_t *src)
{
    ol_sql_node_t *n = ol_arena_calloc(b->cx->arena, sizeof *n);
    if (n) {
        n->kind = k;
        n->src = src;
    }
    return n;
}

static int node_const_int(binder_t *b, const ol_sql_expr_t *src, ol_sql_type_t t, int64_t v, ol_sql_node_t **out)
{
    ol_sql_node_t *n = node_new(b, OL_SQL_N_CONST, src);
    if (!n || ol_sql_vec_const_int(b->cx, &n->cval, t, v) != OL_OK) return OL_NOMEM;
    n->type = t;
    *out = n;
    return OL_OK;
}

static ol_sql_type_t uint_type(uint64_t v)
{
    return v <= 0xFF ? OL_SQL_UINT8 : v <= 0xFFFF ? OL_SQL_UINT16 : v <= 0xFFFFFFFFull ? OL_SQL_UINT32 : OL_SQL_UINT64;
}

static ol_sql_type_t int_type(int64_t v)
{
    return v >= INT8_MIN ? OL_SQL_INT8 : v >= INT16_MIN ? OL_SQL_INT16 : v >= INT32_MIN ? OL_SQL_INT32 : OL_SQL_INT64;
}

/* Calls fn over args; folds it into a constant when every argument is one. */
static int make_call(binder_t *b, const ol_sql_expr_t *src, const char *name, ol_sql_node_t **args, uint32_t n,
                     ol_sql_node_t **out)
{
    const ol_sql_func_t *fn = ol_sql_func_find(ol_slice_cstr(name));
    if (!fn) return fail(b, src, "Unknown function %s", name);
    if (n < fn->min_args || (fn->max_args != 255 && n > fn->max_args))
        return fail(b, src, "Function %s takes %s%u argument%s, got %u", name,
                    fn->min_args == fn->max_args ? "" : "at least ", fn->min_args, fn->min_args == 1 ? "" : "s", n);
    ol_sql_type_t types[64];
    const ol_sql_vec_t *consts[64];
    if (n > 64) return fail(b, src, "Function %s: too many arguments", name);
    bool all_const = true;
    for (uint32_t i = 0; i < n; i++) {
        types[i] = args[i]->type;
        consts[i] = args[i]->kind == OL_SQL_N_CONST ? &args[i]->cval : NULL;
        if (!consts[i]) all_const = false;
    }
    ol_sql_node_t *nd = node_new(b, OL_SQL_N_FUNC, src);
    if (!nd) return OL_NOMEM;
    ol_err_t e2;
    e2.msg[0] = 0;
    if (fn->type(types, consts, n, &nd->type, &e2) != OL_OK) return fail(b, src, "%s", e2.msg);
    nd->fn = fn;
    nd->args = ol_arena_alloc(b->cx->arena, (n ? n : 1) * sizeof *nd->args);
    if (!nd->args) return OL_NOMEM;
    if (n) memcpy(nd->args, args, n * sizeof *args);
    nd->n_args = n;
    if (all_const && strcmp(name, "rand") != 0) {
        ol_sql_vec_t argv[64];
        for (uint32_t i = 0; i < n; i++) argv[i] = args[i]->cval;
        ol_sql_node_t *c = node_new(b, OL_SQL_N_CONST, src);
        if (!c) return OL_NOMEM;
        c->cval.type = nd->type;
        ol_err_t *saved = b->cx->err;
        b->cx->err = &e2;
        int rc = fn->exec(b->cx, argv, n, 1, &c->cval);
        b->cx->err = saved;
        if (rc == OL_NOMEM) return rc;
        if (rc != OL_OK) return fail(b, src, "%s", e2.msg[0] ? e2.msg : "cannot evaluate constant expression");
        c->cval.type = nd->type;
        c->cval.n = 1;
        c->cval.is_const = true;
        c->type = nd->type;
        *out = c;
        return OL_OK;
    }
    *out = nd;
    return OL_OK;
}

static int bind(binder_t *b, const ol_sql_expr_t *e, bind_mode_t mode, ol_sql_node_t **out);

static int bind_args(binder_t *b, ol_sql_expr_t *const *a, uint32_t n, bind_mode_t mode, ol_sql_node_t **out)
{
    for (uint32_t i = 0; i < n; i++) {
        int rc = bind(b, a[i], mode, &out[i]);
        if (rc != OL_OK) return rc;
    }
    return OL_OK;
}

/* A constant list (IN, array literal) as one constant ARRAY_* vector. */
static int bind_const_list(binder_t *b, const ol_sql_expr_t *src, ol_sql_expr_t *const *items, uint32_t n,
                           bind_mode_t mode, ol_sql_node_t **out)
{
    ol_sql_node_t **vals = ol_arena_alloc(b->cx->arena, (n ? n : 1) * sizeof *vals);
    if (!vals) return OL_NOMEM;
    int rc = bind_args(b, items, n, mode, vals);
    if (rc != OL_OK) return rc;
    char kind = 0; /* 'u' unsigned, 'i' signed, 'f' float, 's' string, 't' time, 'b' bool */
    bool neg = false;
    ol_sql_type_t time_t_ = OL_SQL_DATETIME64;
    for (uint32_t i = 0; i < n; i++) {
        if (vals[i]->kind != OL_SQL_N_CONST) return fail(b, items[i], "The values of an IN list or array literal must be constants");
        ol_sql_type_t t = vals[i]->type;
        char k;
        if (t == OL_SQL_STRING) k = 's';
        else if (t == OL_SQL_FLOAT64) k = 'f';
        else if (ol_sql_type_is_time(t)) { k = 't'; time_t_ = t; }
        else if (ol_sql_type_is_int(t)) {
            k = ol_sql_type_is_signed(t) ? 'i' : 'u';
            if (k == 'i' && vals[i]->cval.i[0] < 0) neg = true;
        } else return fail(b, items[i], "A list element of type %s is not supported", ol_sql_type_name(t));
        if (!kind) kind = k;
        else if (kind != k) {
            bool num_a = kind == 'u' || kind == 'i' || kind == 'f', num_b = k == 'u' || k == 'i' || k == 'f';
            if (num_a && num_b) kind = (kind == 'f' || k == 'f') ? 'f' : 'i';
            else return fail(b, items[i], "The elements of a list have no common type");
        }
    }
    if (!kind) kind = 'u';
    if (kind == 'u' && neg) kind = 'i';
    ol_sql_type_t at = kind == 's' ? OL_SQL_ARRAY_STRING : kind == 'f' ? OL_SQL_ARRAY_FLOAT64
                     : kind == 'i' ? OL_SQL_ARRAY_INT64 : kind == 't' ? OL_SQL_ARRAY_DATETIME64 : OL_SQL_ARRAY_UINT64;
    ol_sql_node_t *nd = node_new(b, OL_SQL_N_CONST, src);
    ol_sql_vec_t *el = ol_arena_calloc(b->cx->arena, sizeof *el);
    if (!nd || !el) return OL_NOMEM;
    if (ol_sql_vec_alloc(b->cx, &nd->cval, at, 1) != OL_OK) return OL_NOMEM;
    if (ol_sql_vec_alloc(b->cx, el, ol_sql_type_elem(at), n) != OL_OK) return OL_NOMEM;
    for (uint32_t i = 0; i < n; i++) {
        const ol_sql_vec_t *c = &vals[i]->cval;
        switch (kind) {
        case 's': el->s[i] = c->s[0]; break;
        case 'f': el->f[i] = c->type == OL_SQL_FLOAT64 ? c->f[0] : ol_sql_type_is_signed(c->type) ? (double)c->i[0] : (double)(uint64_t)c->i[0]; break;
        case 't': el->i[i] = c->type == OL_SQL_DATETIME64 ? c->i[0] : c->type == OL_SQL_DATETIME ? c->i[0] * 1000000000LL : c->i[0] * 86400000000000LL; break;
        default: el->i[i] = c->i[0]; break;
        }
    }
    (void)time_t_;
    nd->cval.off[0] = 0;
    nd->cval.off[1] = n;
    nd->cval.vals = el;
    nd->cval.is_const = true;
    nd->type = at;
    *out = nd;
    return OL_OK;
}

/* ---- aggregates ---- */

typedef struct agg_name {
    const char *name;
    ol_sql_agg_kind_t kind;
    bool any_case;
    bool parametric; /* quantile(s) */
    bool multi;
    uint8_t n_args;
} agg_name_t;

static const agg_name_t agg_names[] = {
    {"count", OL_SQL_AGG_COUNT, true, false, false, 0},
    {"sum", OL_SQL_AGG_SUM, true, false, false, 1},
    {"avg", OL_SQL_AGG_AVG, true, false, false, 1},
    {"min", OL_SQL_AGG_MIN, true, false, false, 1},
    {"max", OL_SQL_AGG_MAX, true, false, false, 1},
    {"any", OL_SQL_AGG_ANY, true, false, false, 1},
    {"anyLast", OL_SQL_AGG_ANY_LAST, false, false, false, 1},
    {"uniq", OL_SQL_AGG_UNIQ, false, false, false, 1},
    {"uniqExact", OL_SQL_AGG_UNIQ, false, false, false, 1},
    {"countDistinct", OL_SQL_AGG_UNIQ, false, false, false, 1},
    {"quantile", OL_SQL_AGG_QUANTILE, false, true, false, 1},
    {"median", OL_SQL_AGG_QUANTILE, false, true, false, 1},
    {"quantiles", OL_SQL_AGG_QUANTILE, false, true, true, 1},
    {"quantileExact", OL_SQL_AGG_QUANTILE_EXACT, false, true, false, 1},
    {"medianExact", OL_SQL_AGG_QUANTILE_EXACT, false, true, false, 1},
    {"quantilesExact", OL_SQL_AGG_QUANTILE_EXACT, false, true, true, 1},
    {"argMin", OL_SQL_AGG_ARG_MIN, false, false, false, 2},
    {"argMax", OL_SQL_AGG_ARG_MAX, false, false, false, 2},
};

/* The aggregate a function name names (with an If suffix: *cond set). */
static const agg_name_t *agg_lookup(ol_slice_t name, bool *cond)
{
    *cond = false;
    for (int pass = 0; pass < 2; pass++) {
        ol_slice_t n = name;
        if (pass == 1) {
            if (n.len < 3 || memcmp(n.ptr + n.len - 2, "If", 2) != 0) return NULL;
            n.len -= 2;
        }
        for (size_t i = 0; i < OL_ARRAY_LEN(agg_names); i++) {
            const agg_name_t *a = &agg_names[i];
            if (ol_slice_eq_cstr(n, a->name) || (a->any_case && pass == 0 && ol_slice_eq_nocase_cstr(n, a->name))) {
                *cond = pass == 1;
                return a;
            }
        }
    }
    return NULL;
}

static bool is_agg_call(const ol_sql_expr_t *e)
{
    bool c;
    return e->kind == OL_SQL_E_FUNC && agg_lookup(e->name, &c) != NULL;
}

static int const_double(binder_t *b, const ol_sql_expr_t *e, double *out)
{
    ol_sql_node_t *n;
    int rc = bind(b, e, MODE_ROW, &n);
    if (rc != OL_OK) return rc;
    if (n->kind != OL_SQL_N_CONST || !ol_sql_type_is_number(n->type))
        return fail(b, e, "A quantile level must be a constant number");
    const ol_sql_vec_t *v = &n->cval;
    *out = v->type == OL_SQL_FLOAT64 ? v->f[0] : ol_sql_type_is_signed(v->type) ? (double)v->i[0] : (double)(uint64_t)v->i[0];
    if (!(*out >= 0 && *out <= 1)) return fail(b, e, "A quantile level must be in [0, 1]");
    return OL_OK;
}

static int bind_agg(binder_t *b, const ol_sql_expr_t *e, ol_sql_node_t **out)
{
    bool cond;
    const agg_name_t *an = agg_lookup(e->name, &cond);
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)OL_MIN(e->name.len, 60), (const char *)e->name.ptr);
    if (b->in_agg) return fail(b, e, "Aggregate function %s is found inside another aggregate function", name);
    if (b->in_where) return fail(b, e, "Aggregate function %s is found in WHERE or GROUP BY", name);
    char *text = expr_text(b, e);
    if (!text) return OL_NOMEM;
    uint32_t slot;
    for (slot = 0; slot < b->n_aggs; slot++)
        if (strcmp(b->aggs[slot].text, text) == 0) break;
    if (slot == b->n_aggs) {
        if (b->n_aggs == MAX_AGGS) return fail(b, e, "Too many aggregate functions (at most %d)", MAX_AGGS);
        ol_sql_agg_t *a = &b->aggs[b->n_aggs];
        memset(a, 0, sizeof *a);
        a->kind = an->kind;
        a->text = text;
        a->multi = an->multi;
        uint32_t nargs = e->n_args;
        ol_sql_expr_t *const *args = e->args;
        bool star = nargs == 1 && args[0]->kind == OL_SQL_E_STAR;
        if (star && an->kind != OL_SQL_AGG_COUNT) return fail(b, e, "%s(*) is not supported", name);
        if (star) nargs = 0;
        bool distinct = e->distinct;
        if (distinct && an->kind == OL_SQL_AGG_COUNT) a->kind = OL_SQL_AGG_UNIQ;
        else if (distinct) return fail(b, e, "DISTINCT is supported only in count(DISTINCT x)");
        uint32_t want = a->kind == OL_SQL_AGG_UNIQ && an->kind == OL_SQL_AGG_COUNT ? 1 : an->n_args;
        if (an->kind == OL_SQL_AGG_COUNT && !distinct) {
            /* count(), count(*), count(x): x is never NULL here */
            if (nargs > 1 + (cond ? 1 : 0)) return fail(b, e, "Function %s takes at most one argument", name);
            if (!cond) nargs = 0;
            else if (nargs == 2) { args++; nargs = 1; } /* countIf(x, cond) */
        } else if (nargs != want + (cond ? 1 : 0)) {
            return fail(b, e, "Function %s takes %u argument%s", name, want + (cond ? 1 : 0), want + cond == 1 ? "" : "s");
        }
        if (an->parametric) {
            if (ol_slice_eq_cstr(e->name, "median") || ol_slice_eq_cstr(e->name, "medianExact")) {
                if (e->n_params > 1) return fail(b, e, "Function %s takes at most one level", name);
            } else if (!e->has_params || e->n_params == 0) {
                if (!an->multi && !e->has_params) { /* quantile(x) = median */ }
                else if (an->multi) return fail(b, e, "Function %s needs levels: %s(0.5, 0.9)(x)", name, name);
            }
            if (!an->multi && e->n_params > 1) return fail(b, e, "Function %s takes one level", name);
            if (e->n_params > OL_SQL_MAX_LEVELS) return fail(b, e, "Too many levels (at most %d)", OL_SQL_MAX_LEVELS);
            for (uint32_t i = 0; i < e->n_params; i++) {
                int rc = const_double(b, e->params[i], &a->levels[i]);
                if (rc != OL_OK) return rc;
            }
            a->n_levels = e->n_params;
            if (!a->n_levels) { a->levels[0] = 0.5; a->n_levels = 1; }
        } else if (e->has_params) {
            return fail(b, e, "Function %s takes no parameters", name);
        }
        b->in_agg = true;
        uint32_t nv = cond ? nargs - 1 : nargs;
        for (uint32_t i = 0; i < nv && i < 2; i++) {
            int rc = bind(b, args[i], MODE_ROW, &a->args[i]);
            if (rc != OL_OK) { b->in_agg = false; return rc; }
        }
        a->n_args = nv;
        if (cond) {
            int rc = bind(b, args[nargs - 1], MODE_ROW, &a->cond);
            if (rc != OL_OK) { b->in_agg = false; return rc; }
            if (!ol_sql_type_is_int(a->cond->type)) { b->in_agg = false; return fail(b, args[nargs - 1], "The condition of %s must be a number, not %s", name, ol_sql_type_name(a->cond->type)); }
        }
        b->in_agg = false;
        a->values_of = b->n_aggs;
        if ((a->kind == OL_SQL_AGG_QUANTILE || a->kind == OL_SQL_AGG_QUANTILE_EXACT) && nv == 1) {
            char *at = expr_text(b, args[0]), *ct = cond ? expr_text(b, args[nargs - 1]) : "";
            if (!at || !ct) return OL_NOMEM;
            for (uint32_t j = 0; j < b->n_aggs; j++) {
                const ol_sql_agg_t *o = &b->aggs[j];
                if (o->kind == a->kind && o->values_of == j && o->values_arg && !strcmp(o->values_arg, at) &&
                    !strcmp(o->values_cond, ct)) {
                    a->values_of = j;
                    break;
                }
            }
            a->values_arg = at;
            a->values_cond = ct;
        }
        ol_sql_type_t at = nv ? a->args[0]->type : OL_SQL_UINT64;
        a->arg_type = at;
        char r = ol_sql_type_repr(at);
        switch (a->kind) {
        case OL_SQL_AGG_COUNT:
        case OL_SQL_AGG_UNIQ:
            if (nv && (r == 'm' || r == 'a')) return fail(b, e, "%s of %s is not supported", name, ol_sql_type_name(at));
            a->type = OL_SQL_UINT64;
            break;
        case OL_SQL_AGG_SUM:
        case OL_SQL_AGG_AVG:
            if (!ol_sql_type_is_number(at))
                return fail(b, e, "Illegal type %s of argument for aggregate function %s", ol_sql_type_name(at), name);
            a->type = a->kind == OL_SQL_AGG_AVG || at == OL_SQL_FLOAT64 ? OL_SQL_FLOAT64
                      : ol_sql_type_is_signed(at) ? OL_SQL_INT64 : OL_SQL_UINT64;
            break;
        case OL_SQL_AGG_QUANTILE:
        case OL_SQL_AGG_QUANTILE_EXACT:
            if (!ol_sql_type_is_number(at) && !ol_sql_type_is_time(at))
                return fail(b, e, "Illegal type %s of argument for aggregate function %s", ol_sql_type_name(at), name);
            if (a->kind == OL_SQL_AGG_QUANTILE)
                a->type = ol_sql_type_is_time(at) ? at : OL_SQL_FLOAT64;
            else
                a->type = at == OL_SQL_BOOL ? OL_SQL_UINT8 : at;
            if (a->multi) {
                if (a->type == OL_SQL_FLOAT64) a->type = OL_SQL_ARRAY_FLOAT64;
                else if (a->type == OL_SQL_DATETIME64) a->type = OL_SQL_ARRAY_DATETIME64;
                else if (ol_sql_type_is_int(a->type)) a->type = ol_sql_type_is_signed(a->type) ? OL_SQL_ARRAY_INT64 : OL_SQL_ARRAY_UINT64;
                else return fail(b, e, "%s of %s is not supported", name, ol_sql_type_name(at));
            }
            break;
        case OL_SQL_AGG_ARG_MIN:
        case OL_SQL_AGG_ARG_MAX: {
            char kr = ol_sql_type_repr(a->args[1]->type);
            if (kr == 'm' || kr == 'a') return fail(b, e, "%s by %s is not supported", name, ol_sql_type_name(a->args[1]->type));
            if (r == 'm' || r == 'a') return fail(b, e, "%s of %s is not supported", name, ol_sql_type_name(at));
            a->type = at;
            break;
        }
        default: /* min, max, any, anyLast */
            if (r == 'm' || r == 'a') return fail(b, e, "%s of %s is not supported", name, ol_sql_type_name(at));
            a->type = at;
            break;
        }
        b->n_aggs++;
    }
    ol_sql_node_t *n = node_new(b, OL_SQL_N_SLOT, e);
    if (!n) return OL_NOMEM;
    n->index = b->p->n_group + slot;
    n->type = b->aggs[slot].type;
    *out = n;
    return OL_OK;
}

/* ---- columns, aliases ---- */

static const ol_sql_select_item_t *find_alias(binder_t *b, ol_slice_t name)
{
    for (uint32_t i = 0; i < b->q->n_items; i++)
        if (b->q->items[i].alias.len && ol_slice_eq(b->q->items[i].alias, name)) return &b->q->items[i];
    return NULL;
}

static int find_column(binder_t *b, ol_slice_t name)
{
    const ol_sql_table_def_t *t = b->p->table;
    int c = ol_sql_table_column(t, name);
    if (c >= 0) return c;
    /* table.column */
    const uint8_t *dot = memchr(name.ptr, '.', name.len);
    if (dot) {
        ol_slice_t qual = ol_slice(name.ptr, (size_t)(dot - name.ptr));
        ol_slice_t rest = ol_slice(dot + 1, name.len - qual.len - 1);
        if (ol_slice_eq(qual, b->q->table) || ol_slice_eq_cstr(qual, t->name) ||
            (b->q->table_alias.len && ol_slice_eq(qual, b->q->table_alias)) ||
            (t->short_name && ol_slice_eq_cstr(qual, t->short_name)))
            return ol_sql_table_column(t, rest);
    }
    return -1;
}

static int group_slot(binder_t *b, const ol_sql_expr_t *e)
{
    if (!b->group_text) return -1;
    char *t = expr_text(b, e);
    if (!t) return -2;
    for (uint32_t i = 0; i < b->p->n_group; i++)
        if (strcmp(t, b->group_text[i]) == 0) return (int)i;
    return -1;
}

static int bind_column(binder_t *b, const ol_sql_expr_t *e, bind_mode_t mode, ol_sql_node_t **out)
{
    const ol_sql_select_item_t *al = find_alias(b, e->name);
    if (al && !(al->expr->kind == OL_SQL_E_COLUMN && ol_slice_eq(al->expr->name, e->name))) {
        if (++b->alias_depth > 32) return fail(b, e, "Cyclic aliases: %.*s", (int)OL_MIN(e->name.len, 60), (const char *)e->name.ptr);
        int rc = bind(b, al->expr, mode, out);
        b->alias_depth--;
        return rc;
    }
    int c = find_column(b, e->name);
    if (c < 0)
        return fail(b, e, "Unknown column %.*s in table %s", (int)OL_MIN(e->name.len, 80), (const char *)e->name.ptr,
                    b->p->table->name);
    if (mode == MODE_GROUP)
        return fail(b, e, "Column %.*s is not under aggregate function and not in GROUP BY keys",
                    (int)OL_MIN(e->name.len, 80), (const char *)e->name.ptr);
    ol_sql_node_t *n = node_new(b, OL_SQL_N_COL, e);
    if (!n) return OL_NOMEM;
    n->index = (uint32_t)c;
    n->type = b->p->table->cols[c].type;
    b->p->need[c] = true;
    *out = n;
    return OL_OK;
}

static int bind_func(binder_t *b, const ol_sql_expr_t *e, bind_mode_t mode, ol_sql_node_t **out)
{
    if (e->distinct) return fail(b, e, "DISTINCT is supported only in count(DISTINCT x)");
    if (e->has_params) return fail(b, e, "Function %.*s takes no parameters", (int)OL_MIN(e->name.len, 60), (const char *)e->name.ptr);
    for (uint32_t i = 0; i < e->n_args; i++)
        if (e->args[i]->kind == OL_SQL_E_STAR) return fail(b, e->args[i], "* is allowed only in count(*) and SELECT *");
    char name[64];
    if (e->name.len >= sizeof name) return fail(b, e, "Unknown function %.40s...", (const char *)e->name.ptr);
    memcpy(name, e->name.ptr, e->name.len);
    name[e->name.len] = 0;
    ol_sql_node_t *args[64];
    if (e->n_args > 64) return fail(b, e, "Function %s: too many arguments", name);
    /* has(array, x) and in-like functions with a literal list */
    for (uint32_t i = 0; i < e->n_args; i++) {
        int rc = e->args[i]->kind == OL_SQL_E_ARRAY
                     ? bind_const_list(b, e->args[i], e->args[i]->args, e->args[i]->n_args, mode, &args[i])
                     : bind(b, e->args[i], mode, &args[i]);
        if (rc != OL_OK) return rc;
    }
    const ol_sql_func_t *fn = ol_sql_func_find(e->name);
    return make_call(b, e, fn ? fn->name : name, args, e->n_args, out);
}

static int bind_index(binder_t *b, const ol_sql_expr_t *e, bind_mode_t mode, ol_sql_node_t **out)
{
    ol_sql_node_t *args[2];
    /* Map['k'] reads the key alone: the map column is needed only if
     * something else names it, so remember whether it was needed before */
    bool before[64];
    uint32_t nc = b->p->table->n_cols;
    if (nc <= OL_ARRAY_LEN(before)) memcpy(before, b->p->need, nc * sizeof *before);
    int rc = bind(b, e->args[0], mode, &args[0]);
    if (rc != OL_OK) return rc;
    rc = bind(b, e->args[1], mode, &args[1]);
    if (rc != OL_OK) return rc;
    if (args[0]->kind == OL_SQL_N_COL && args[0]->type == OL_SQL_MAP && args[1]->kind == OL_SQL_N_CONST &&
        args[1]->type == OL_SQL_STRING) {
        ol_slice_t key = args[1]->cval.s[0];
        uint32_t k;
        for (k = 0; k < b->n_keys; k++)
            if (b->keys[k].col == (int)args[0]->index && ol_slice_eq(b->keys[k].key, key)) break;
        if (k == b->n_keys && k < MAX_KEYS) {
            b->keys[k].col = (int)args[0]->index;
            b->keys[k].key = key;
            b->n_keys++;
        }
        if (k < MAX_KEYS) {
            if (nc <= OL_ARRAY_LEN(before)) b->p->need[args[0]->index] = before[args[0]->index];
            ol_sql_node_t *n = node_new(b, OL_SQL_N_KEY, e);
            if (!n) return OL_NOMEM;
            n->index = k;
            n->type = OL_SQL_STRING;
            *out = n;
            return OL_OK;
        }
    }
    return make_call(b, e, "arrayElement", args, 2, out);
}

static int bind(binder_t *b, const ol_sql_expr_t *e, bind_mode_t mode, ol_sql_node_t **out)
{
    if (mode == MODE_GROUP && !is_agg_call(e) && e->kind != OL_SQL_E_INT && e->kind != OL_SQL_E_FLOAT &&
        e->kind != OL_SQL_E_STRING) {
        int g = group_slot(b, e);
        if (g == -2) return OL_NOMEM;
        if (g >= 0) {
            ol_sql_node_t *n = node_new(b, OL_SQL_N_SLOT, e);
            if (!n) return OL_NOMEM;
            n->index = (uint32_t)g;
            n->type = b->p->group[g]->type;
            *out = n;
            return OL_OK;
        }
    }
    ol_sql_node_t *args[3];
    int rc;
    switch (e->kind) {
    case OL_SQL_E_COLUMN: return bind_column(b, e, mode, out);
    case OL_SQL_E_STAR: return fail(b, e, "* is allowed only in count(*) and SELECT *");
    case OL_SQL_E_INT: return node_const_int(b, e, uint_type(e->u), (int64_t)e->u, out);
    case OL_SQL_E_BOOL: return node_const_int(b, e, OL_SQL_BOOL, e->u ? 1 : 0, out);
    case OL_SQL_E_FLOAT: {
        ol_sql_node_t *n = node_new(b, OL_SQL_N_CONST, e);
        if (!n || ol_sql_vec_const_float(b->cx, &n->cval, e->f) != OL_OK) return OL_NOMEM;
        n->type = OL_SQL_FLOAT64;
        *out = n;
        return OL_OK;
    }
    case OL_SQL_E_STRING: {
        ol_sql_node_t *n = node_new(b, OL_SQL_N_CONST, e);
        if (!n || ol_sql_vec_const_str(b->cx, &n->cval, e->str) != OL_OK) return OL_NOMEM;
        n->type = OL_SQL_STRING;
        *out = n;
        return OL_OK;
    }
    case OL_SQL_E_NULL: return fail(b, e, "NULL is not supported: the columns of these tables are never NULL");
    case OL_SQL_E_ARRAY: return bind_const_list(b, e, e->args, e->n_args, mode, out);
    case OL_SQL_E_TUPLE: return fail(b, e, "Tuples are supported only as IN lists");
    case OL_SQL_E_FUNC:
        if (is_agg_call(e)) {
            if (mode == MODE_ROW && !b->p->grouped && !b->in_where) return fail(b, e, "Aggregate function found where none is allowed");
            return bind_agg(b, e, out);
        }
        return bind_func(b, e, mode, out);
    case OL_SQL_E_UNARY:
        if (e->op == OL_SQL_OP_NEG && e->args[0]->kind == OL_SQL_E_INT) {
            uint64_t u = e->args[0]->u;
            if (u <= (uint64_t)INT64_MAX + 1) {
                int64_t v = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
                return node_const_int(b, e, u == 0 ? OL_SQL_UINT8 : int_type(v), v, out);
            }
        }
        if (e->op == OL_SQL_OP_NEG && e->args[0]->kind == OL_SQL_E_FLOAT) {
            ol_sql_node_t *n = node_new(b, OL_SQL_N_CONST, e);
            if (!n || ol_sql_vec_const_float(b->cx, &n->cval, -e->args[0]->f) != OL_OK) return OL_NOMEM;
            n->type = OL_SQL_FLOAT64;
            *out = n;
            return OL_OK;
        }
        rc = bind(b, e->args[0], mode, &args[0]);
        if (rc != OL_OK) return rc;
        return make_call(b, e, op_func(e->op), args, 1, out);
    case OL_SQL_E_BINARY:
        rc = bind(b, e->args[0], mode, &args[0]);
        if (rc == OL_OK) rc = bind(b, e->args[1], mode, &args[1]);
        if (rc != OL_OK) return rc;
        return make_call(b, e, op_func(e->op), args, 2, out);
    case OL_SQL_E_IN: {
        rc = bind(b, e->args[0], mode, &args[0]);
        if (rc != OL_OK) return rc;
        const ol_sql_expr_t *l = e->args[1];
        if (l->kind == OL_SQL_E_TUPLE || l->kind == OL_SQL_E_ARRAY) rc = bind_const_list(b, l, l->args, l->n_args, mode, &args[1]);
        else rc = bind_const_list(b, l, (ol_sql_expr_t *const *)&e->args[1], 1, mode, &args[1]);
        if (rc != OL_OK) return rc;
        return make_call(b, e, e->negated ? "notIn" : "in", args, 2, out);
    }
    case OL_SQL_E_BETWEEN: {
        ol_sql_node_t *x, *lo, *hi, *c[2];
        rc = bind(b, e->args[0], mode, &x);
        if (rc == OL_OK) rc = bind(b, e->args[1], mode, &lo);
        if (rc == OL_OK) rc = bind(b, e->args[2], mode, &hi);
        if (rc != OL_OK) return rc;
        args[0] = x; args[1] = lo;
        rc = make_call(b, e, e->negated ? "less" : "greaterOrEquals", args, 2, &c[0]);
        if (rc != OL_OK) return rc;
        args[0] = x; args[1] = hi;
        rc = make_call(b, e, e->negated ? "greater" : "lessOrEquals", args, 2, &c[1]);
        if (rc != OL_OK) return rc;
        return make_call(b, e, e->negated ? "or" : "and", c, 2, out);
    }
    case OL_SQL_E_LIKE:
        rc = bind(b, e->args[0], mode, &args[0]);
        if (rc == OL_OK) rc = bind(b, e->args[1], mode, &args[1]);
        if (rc != OL_OK) return rc;
        return make_call(b, e, e->op == OL_SQL_OP_ILIKE ? (e->negated ? "notILike" : "ilike") : (e->negated ? "notLike" : "like"),
                         args, 2, out);
    case OL_SQL_E_INDEX: return bind_index(b, e, mode, out);
    case OL_SQL_E_INTERVAL:
        rc = bind(b, e->args[0], mode, &args[0]);
        if (rc != OL_OK) return rc;
        return make_call(b, e, unit_func(e->unit), args, 1, out);
    case OL_SQL_E_CASE: {
        if (!e->has_else) return fail(b, e, "CASE without ELSE is not supported (its result would be Nullable)");
        uint32_t first = e->has_operand ? 1 : 0, end = e->n_args - 1;
        uint32_t n = end - first + 1;
        ol_sql_node_t **a = ol_arena_alloc(b->cx->arena, n * sizeof *a);
        ol_sql_node_t *operand = NULL;
        if (!a) return OL_NOMEM;
        if (e->has_operand && (rc = bind(b, e->args[0], mode, &operand)) != OL_OK) return rc;
        uint32_t k = 0;
        for (uint32_t i = first; i + 1 < end + 1 && i < end; i += 2) {
            ol_sql_node_t *w;
            if ((rc = bind(b, e->args[i], mode, &w)) != OL_OK) return rc;
            if (operand) {
                ol_sql_node_t *eq[2] = {operand, w};
                if ((rc = make_call(b, e->args[i], "equals", eq, 2, &w)) != OL_OK) return rc;
            }
            a[k++] = w;
            if ((rc = bind(b, e->args[i + 1], mode, &a[k++])) != OL_OK) return rc;
        }
        if ((rc = bind(b, e->args[end], mode, &a[k++])) != OL_OK) return rc;
        return make_call(b, e, "multiIf", a, k, out);
    }
    }
    return fail(b, e, "Unsupported expression");
}

/* ---- pruning ---- */

static bool const_ns(const ol_sql_node_t *n, int64_t *ns)
{
    if (n->kind != OL_SQL_N_CONST) return false;
    const ol_sql_vec_t *v = &n->cval;
    switch (v->type) {
    case OL_SQL_DATETIME64: *ns = v->i[0]; return true;
    case OL_SQL_DATETIME: *ns = v->i[0] * 1000000000LL; return true;
    case OL_SQL_DATE: *ns = v->i[0] * 86400LL * 1000000000LL; return true;
    case OL_SQL_STRING: return ol_sql_parse_datetime(v->s[0], ns) == OL_OK;
    default: return false;
    }
}

static void clamp_lo(ol_sql_plan_t *p, int64_t ns)
{
    uint64_t u = ns < 0 ? 0 : (uint64_t)ns;
    if (u > p->start_ns) p->start_ns = u;
}

static void clamp_hi(ol_sql_plan_t *p, int64_t ns, bool inclusive)
{
    if (ns < 0) { p->end_ns = 0; return; }
    uint64_t u = (uint64_t)ns + (inclusive ? 1 : 0);
    if (u < p->end_ns) p->end_ns = u;
}

/* col OP c, where col is the time column or toDateTime(time column) (whole
 * seconds: toDateTime(T) <= c holds for T below c + 1 s). True when the
 * scan's range now says all the comparison says: the time column itself
 * against a time constant, which every scan checks row by row
 * (ol_sql_tb_in_time), so WHERE need not evaluate it again. */
static bool prune_cmp(ol_sql_plan_t *p, const ol_sql_node_t *n)
{
    const char *f = n->fn->name;
    const ol_sql_node_t *l = n->args[0], *r = n->args[1];
    bool swapped = false;
    if (l->kind == OL_SQL_N_CONST) {
        const ol_sql_node_t *t = l;
        l = r;
        r = t;
        swapped = true;
    }
    int64_t c;
    if (!const_ns(r, &c)) return false;
    int64_t step = 1;
    if (l->kind == OL_SQL_N_FUNC && l->n_args == 1 && strcmp(l->fn->name, "toDateTime") == 0) {
        step = 1000000000LL;
        l = l->args[0];
    }
    if (l->kind != OL_SQL_N_COL || (int)l->index != p->table->time_col) return false;
    enum { LT, LE, GT, GE, EQ } op;
    if (!strcmp(f, "less")) op = swapped ? GT : LT;
    else if (!strcmp(f, "lessOrEquals")) op = swapped ? GE : LE;
    else if (!strcmp(f, "greater")) op = swapped ? LT : GT;
    else if (!strcmp(f, "greaterOrEquals")) op = swapped ? LE : GE;
    else if (!strcmp(f, "equals")) op = EQ;
    else return false;
    /* the column's value v (or v rounded down to seconds) against c */
    switch (op) {
    case LT: clamp_hi(p, c, false); break;
    case LE: clamp_hi(p, c + step - 1, true); break;
    case GT: clamp_lo(p, step == 1 ? c + 1 : c + step); break;
    case GE: clamp_lo(p, c); break;
    case EQ: clamp_lo(p, c); clamp_hi(p, c + step - 1, true); break;
    }
    /* (A negative constant is left to WHERE: the column's values are
     * compared as Int64 there, as unsigned nanoseconds by the scan.) */
    return step == 1 && r->cval.type != OL_SQL_STRING && c >= 0;
}

static void prune(binder_t *b, const ol_sql_node_t *n);

/* WHERE without the conjuncts the scan's time range already checks
 * (prune_cmp); NULL when nothing else is left. */
static int strip_implied(binder_t *b, ol_sql_node_t *w, ol_sql_node_t **out)
{
    *out = w;
    if (w->kind != OL_SQL_N_FUNC) return OL_OK;
    if (w->n_args == 2 && strcmp(w->fn->name, "and") != 0) {
        ol_sql_plan_t probe = *b->p; /* prune() has applied the clamps already */
        if (prune_cmp(&probe, w)) *out = NULL;
        return OL_OK;
    }
    if (strcmp(w->fn->name, "and") != 0) return OL_OK;
    ol_sql_node_t **keep = ol_arena_alloc(b->cx->arena, (w->n_args ? w->n_args : 1) * sizeof *keep);
    if (!keep) return OL_NOMEM;
    uint32_t k = 0;
    for (uint32_t i = 0; i < w->n_args; i++) {
        ol_sql_node_t *a;
        int rc = strip_implied(b, w->args[i], &a);
        if (rc != OL_OK) return rc;
        if (a) keep[k++] = a;
    }
    if (k == w->n_args) return OL_OK;
    if (k == 0) { *out = NULL; return OL_OK; }
    if (k == 1 && ol_sql_type_is_int(keep[0]->type)) { *out = keep[0]; return OL_OK; }
    ol_sql_node_t *n = ol_arena_alloc(b->cx->arena, sizeof *n);
    if (!n) return OL_NOMEM;
    *n = *w;
    n->args = keep;
    n->n_args = k;
    *out = n;
    return OL_OK;
}

static void prune(binder_t *b, const ol_sql_node_t *n)
{
    if (n->kind == OL_SQL_N_CONST && ol_sql_type_is_int(n->type) && n->cval.i[0] == 0) {
        b->p->end_ns = 0; /* WHERE false */
        return;
    }
    if (n->kind != OL_SQL_N_FUNC) return;
    const char *f = n->fn->name;
    if (!strcmp(f, "and")) {
        for (uint32_t i = 0; i < n->n_args; i++) prune(b, n->args[i]);
        return;
    }
    if (n->n_args == 2) prune_cmp(b->p, n);
    int svc = b->p->table->service_col;
    if (svc >= 0 && n->n_args == 2 && n->args[0]->kind == OL_SQL_N_COL && (int)n->args[0]->index == svc &&
        n->args[1]->kind == OL_SQL_N_CONST && b->p->n_services == 0) {
        const ol_sql_vec_t *v = &n->args[1]->cval;
        if (!strcmp(f, "equals") && v->type == OL_SQL_STRING) {
            b->p->services = ol_arena_alloc(b->cx->arena, sizeof *b->p->services);
            if (!b->p->services) return;
            b->p->services[0] = v->s[0];
            b->p->n_services = 1;
        } else if (!strcmp(f, "in") && v->type == OL_SQL_ARRAY_STRING && v->off[1] > 0) {
            uint32_t k = v->off[1];
            b->p->services = ol_arena_alloc(b->cx->arena, k * sizeof *b->p->services);
            if (!b->p->services) return;
            for (uint32_t i = 0; i < k; i++) b->p->services[i] = v->vals->s[i];
            b->p->n_services = k;
        }
    }
}

/* ---- the query ---- */

static int out_col(binder_t *b, const ol_sql_expr_t *e, ol_slice_t alias, ol_sql_node_t *n, ol_sql_out_col_t *oc)
{
    oc->node = n;
    if (alias.len) {
        char *s = ol_arena_alloc(b->cx->arena, alias.len + 1);
        if (!s) return OL_NOMEM;
        memcpy(s, alias.ptr, alias.len);
        s[alias.len] = 0;
        oc->name = s;
    } else {
        oc->name = expr_text(b, e);
        if (!oc->name) return OL_NOMEM;
    }
    const ol_sql_node_t *col = n;
    if (n->kind == OL_SQL_N_SLOT && n->index < b->p->n_group) col = b->p->group[n->index]; /* a group key keeps its column's type */
    oc->type_name = col->kind == OL_SQL_N_COL ? b->p->table->cols[col->index].type_name : ol_sql_type_name(n->type);
    return OL_OK;
}

static bool tree_has_agg(const ol_sql_expr_t *e, binder_t *b, uint32_t depth)
{
    if (!e || depth > OL_SQL_MAX_DEPTH + 40) return false;
    if (is_agg_call(e)) return true;
    if (e->kind == OL_SQL_E_COLUMN) {
        const ol_sql_select_item_t *al = find_alias(b, e->name);
        if (al && al->expr != e && !(al->expr->kind == OL_SQL_E_COLUMN && ol_slice_eq(al->expr->name, e->name)))
            return tree_has_agg(al->expr, b, depth + 1);
        return false;
    }
    for (uint32_t i = 0; i < e->n_args; i++)
        if (tree_has_agg(e->args[i], b, depth + 1)) return true;
    return false;
}

int ol_sql_bind(ol_sql_ctx_t *cx, const char *sql, size_t len, const ol_sql_select_t *q, ol_sql_plan_t *p)
{
    binder_t *b = ol_arena_calloc(cx->arena, sizeof *b);
    if (!b) return OL_NOMEM;
    b->cx = cx;
    b->sql = sql;
    b->len = len;
    b->q = q;
    b->p = p;
    b->err = cx->err;
    memset(p, 0, sizeof *p);
    p->now_ns = cx->now_ns;
    p->end_ns = UINT64_MAX;
    p->table = ol_sql_table_find(q->table);
    if (!p->table) {
        ol_sql_expr_t at = {.pos = q->table_pos};
        return fail(b, &at, "Unknown table %.*s (tables: otel_traces, otel_logs, otel_metrics_gauge, otel_metrics_sum, "
                            "otel_metrics_histogram, otel_metrics_exponential_histogram, otel_metrics_summary, spans, logs)",
                    (int)OL_MIN(q->table.len, 60), (const char *)q->table.ptr);
    }
    p->need = ol_arena_calloc(cx->arena, p->table->n_cols * sizeof *p->need);
    if (!p->need) return OL_NOMEM;

    /* SELECT *: every column, in table order */
    uint32_t n_out = 0;
    uint32_t n_visible = 0;
    for (uint32_t c = 0; c < p->table->n_cols; c++) n_visible += !p->table->cols[c].hidden;
    for (uint32_t i = 0; i < q->n_items; i++) n_out += q->items[i].expr->kind == OL_SQL_E_STAR ? n_visible : 1;
    bool grouped = q->n_group_by > 0 || q->distinct;
    for (uint32_t i = 0; i < q->n_items && !grouped; i++) grouped = tree_has_agg(q->items[i].expr, b, 0);
    if (q->having && !grouped) grouped = tree_has_agg(q->having, b, 0);
    for (uint32_t i = 0; i < q->n_order_by && !grouped; i++) grouped = tree_has_agg(q->order_by[i].expr, b, 0);
    p->grouped = grouped;
    if (q->having && !grouped) return fail(b, q->having, "HAVING needs GROUP BY or an aggregate function");

    int rc;
    if (q->where) {
        ol_sql_node_t *w;
        b->in_where = true;
        rc = bind(b, q->where, MODE_ROW, &w);
        b->in_where = false;
        if (rc != OL_OK) return rc;
        if (!ol_sql_type_is_int(w->type))
            return fail(b, q->where, "WHERE needs a condition (UInt8), not %s", ol_sql_type_name(w->type));
        p->where = w;
        prune(b, w);
        if ((rc = strip_implied(b, w, &p->where)) != OL_OK) return rc;
        /* a time above Int64's range fails `Timestamp >= c` in WHERE; the
         * scan must not let it through once WHERE no longer checks */
        if (p->where != w && p->end_ns > (1ull << 63)) p->end_ns = 1ull << 63;
    }

    /* group keys: GROUP BY, or the select list for DISTINCT */
    if (grouped) {
        const ol_sql_expr_t **gx;
        uint32_t ng;
        if (q->n_group_by) {
            ng = q->n_group_by;
            gx = ol_arena_alloc(cx->arena, ng * sizeof *gx);
            if (!gx) return OL_NOMEM;
            for (uint32_t i = 0; i < ng; i++) gx[i] = q->group_by[i];
        } else if (q->distinct) {
            ng = n_out;
            gx = ol_arena_alloc(cx->arena, (ng ? ng : 1) * sizeof *gx);
            if (!gx) return OL_NOMEM;
            uint32_t k = 0;
            for (uint32_t i = 0; i < q->n_items; i++) {
                if (q->items[i].expr->kind == OL_SQL_E_STAR) {
                    for (uint32_t c = 0; c < p->table->n_cols; c++) {
                        if (p->table->cols[c].hidden) continue; /* ALIAS/MATERIALIZED: not in SELECT * */
                        ol_sql_expr_t *ce = ol_arena_calloc(cx->arena, sizeof *ce);
                        if (!ce) return OL_NOMEM;
                        ce->kind = OL_SQL_E_COLUMN;
                        ce->name = ol_slice_cstr(p->table->cols[c].name);
                        ce->pos = q->items[i].pos;
                        gx[k++] = ce;
                    }
                } else {
                    gx[k++] = q->items[i].expr;
                }
            }
        } else {
            ng = 0;
            gx = NULL;
        }
        p->n_group = ng;
        p->group = ol_arena_calloc(cx->arena, (ng ? ng : 1) * sizeof *p->group);
        b->group_text = ol_arena_calloc(cx->arena, (ng ? ng : 1) * sizeof *b->group_text);
        if (!p->group || !b->group_text) return OL_NOMEM;
        for (uint32_t i = 0; i < ng; i++) {
            const ol_sql_expr_t *g = gx[i];
            /* GROUP BY alias: the aliased expression */
            if (g->kind == OL_SQL_E_COLUMN) {
                const ol_sql_select_item_t *al = find_alias(b, g->name);
                if (al) g = al->expr;
            }
            if (g->kind == OL_SQL_E_INT && q->n_group_by) {
                /* GROUP BY 1: by position (ClickHouse's enable_positional_arguments) */
                if (g->u < 1 || g->u > q->n_items || q->items[g->u - 1].expr->kind == OL_SQL_E_STAR)
                    return fail(b, g, "Positional argument %" PRIu64 " is out of range", g->u);
                g = q->items[g->u - 1].expr;
            }
            b->in_where = true;
            rc = bind(b, g, MODE_ROW, &p->group[i]);
            b->in_where = false;
            if (rc != OL_OK) return rc;
            char r = ol_sql_type_repr(p->group[i]->type);
            if (r == 'm' || r == 'a') return fail(b, g, "GROUP BY a %s is not supported", ol_sql_type_name(p->group[i]->type));
            b->group_text[i] = expr_text(b, g);
            if (!b->group_text[i]) return OL_NOMEM;
        }
    }
    bind_mode_t out_mode = grouped ? MODE_GROUP : MODE_ROW;

    p->out = ol_arena_calloc(cx->arena, (n_out ? n_out : 1) * sizeof *p->out);
    if (!p->out) return OL_NOMEM;
    for (uint32_t i = 0; i < q->n_items; i++) {
        const ol_sql_select_item_t *it = &q->items[i];
        if (it->expr->kind == OL_SQL_E_STAR) {
            for (uint32_t c = 0; c < p->table->n_cols; c++) {
                if (p->table->cols[c].hidden) continue;
                ol_sql_expr_t *ce = ol_arena_calloc(cx->arena, sizeof *ce);
                if (!ce) return OL_NOMEM;
                ce->kind = OL_SQL_E_COLUMN;
                ce->name = ol_slice_cstr(p->table->cols[c].name);
                ce->pos = it->pos;
                ol_sql_node_t *n;
                if ((rc = bind(b, ce, out_mode, &n)) != OL_OK) return rc;
                if ((rc = out_col(b, ce, OL_SLICE_NULL, n, &p->out[p->n_out++])) != OL_OK) return rc;
            }
            continue;
        }
        ol_sql_node_t *n;
        /* the item itself, not its alias (an alias naming a column of the same name) */
        if ((rc = bind(b, it->expr, out_mode, &n)) != OL_OK) return rc;
        if ((rc = out_col(b, it->expr, it->alias, n, &p->out[p->n_out++])) != OL_OK) return rc;
    }
    if (q->having) {
        if ((rc = bind(b, q->having, MODE_GROUP, &p->having)) != OL_OK) return rc;
        if (!ol_sql_type_is_int(p->having->type))
            return fail(b, q->having, "HAVING needs a condition (UInt8), not %s", ol_sql_type_name(p->having->type));
    }
    if (q->n_order_by) {
        p->order = ol_arena_calloc(cx->arena, q->n_order_by * sizeof *p->order);
        if (!p->order) return OL_NOMEM;
        for (uint32_t i = 0; i < q->n_order_by; i++) {
            const ol_sql_expr_t *oe = q->order_by[i].expr;
            if (oe->kind == OL_SQL_E_INT) {
                if (oe->u < 1 || oe->u > p->n_out) return fail(b, oe, "Positional argument %" PRIu64 " is out of range", oe->u);
                p->order[i].node = p->out[oe->u - 1].node;
            } else if ((rc = bind(b, oe, out_mode, &p->order[i].node)) != OL_OK) {
                return rc;
            }
            char r = ol_sql_type_repr(p->order[i].node->type);
            if (r == 'm' || r == 'a') return fail(b, oe, "ORDER BY a %s is not supported", ol_sql_type_name(p->order[i].node->type));
            p->order[i].desc = q->order_by[i].desc;
        }
        p->n_order = q->n_order_by;
    }
    p->has_limit = q->has_limit;
    p->limit = q->limit;
    p->offset = q->offset;

    /* aggregate states: 8-byte aligned blocks */
    p->n_aggs = b->n_aggs;
    if (b->n_aggs) {
        p->aggs = ol_arena_alloc(cx->arena, b->n_aggs * sizeof *p->aggs);
        if (!p->aggs) return OL_NOMEM;
        memcpy(p->aggs, b->aggs, b->n_aggs * sizeof *p->aggs);
    }
    p->n_keys = b->n_keys;
    if (b->n_keys) {
        p->keys = ol_arena_alloc(cx->arena, b->n_keys * sizeof *p->keys);
        if (!p->keys) return OL_NOMEM;
        memcpy(p->keys, b->keys, b->n_keys * sizeof *p->keys);
    }
    return OL_OK;
}
