/*
 * fuzz_sql_parse.c - the SQL parser (src/sql/parse.c) over arbitrary text.
 *
 * Whatever parses must be a well-formed tree: no missing children, list
 * shapes as ast.h describes them (BETWEEN has three arguments, CASE pairs up
 * its WHEN/THEN arguments, a TUPLE has two or more), every node's
 * [pos, end) inside the text and inside its parent's, each height one more
 * than its tallest child and never above OL_SQL_MAX_DEPTH. Then the tree is
 * rendered back to SQL with every subexpression in parentheses and every
 * name quoted, and that text must parse to the same tree (compared as the
 * ol_sql_select_print() rendering), unless it grew past the size or depth
 * limits (the extra parentheses nest deeper). A failing parse must be
 * OL_CORRUPT, OL_LIMIT or OL_NOMEM with a message.
 *
 * Seeds: tests/fuzz/corpus/sql_parse (queries over the exporter's tables,
 * each construct of the dialect, refusals).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sql/ast.h"

static void fz_check_expr(const ol_sql_expr_t *e, uint32_t lo, uint32_t hi)
{
    if (!e || e->pos > e->end || e->pos < lo || e->end > hi) abort();
    uint32_t h = 0;
    for (uint32_t i = 0; i < e->n_args; i++) {
        fz_check_expr(e->args[i], e->pos, e->end);
        h = e->args[i]->height > h ? e->args[i]->height : h;
    }
    for (uint32_t i = 0; i < e->n_params; i++) {
        fz_check_expr(e->params[i], e->pos, e->end);
        h = e->params[i]->height > h ? e->params[i]->height : h;
    }
    if (e->height != h + 1 || e->height > OL_SQL_MAX_DEPTH) abort();
    if (e->n_params && !e->has_params) abort();
    switch (e->kind) {
    case OL_SQL_E_COLUMN:
        if (e->name.len == 0 || e->n_args) abort();
        break;
    case OL_SQL_E_FUNC:
        if (e->name.len == 0) abort();
        break;
    case OL_SQL_E_ARRAY: break;
    case OL_SQL_E_TUPLE:
        if (e->n_args < 2) abort();
        break;
    case OL_SQL_E_UNARY:
        if (e->n_args != 1 || (e->op != OL_SQL_OP_NEG && e->op != OL_SQL_OP_NOT)) abort();
        break;
    case OL_SQL_E_BINARY:
    case OL_SQL_E_IN:
    case OL_SQL_E_LIKE:
    case OL_SQL_E_INDEX:
        if (e->n_args != 2) abort();
        if (e->kind == OL_SQL_E_LIKE && e->op != OL_SQL_OP_LIKE && e->op != OL_SQL_OP_ILIKE) abort();
        if (e->kind == OL_SQL_E_BINARY && (e->op == OL_SQL_OP_NONE || e->op == OL_SQL_OP_NOT || e->op == OL_SQL_OP_NEG))
            abort();
        break;
    case OL_SQL_E_BETWEEN:
        if (e->n_args != 3) abort();
        break;
    case OL_SQL_E_INTERVAL:
        if (e->n_args != 1 || e->unit == OL_SQL_UNIT_NONE || e->unit > OL_SQL_UNIT_YEAR) abort();
        break;
    case OL_SQL_E_CASE: {
        uint32_t pairs = e->n_args - (e->has_operand ? 1 : 0) - (e->has_else ? 1 : 0);
        if (e->n_args < 2 || pairs % 2 || pairs == 0) abort();
        break;
    }
    default:
        if (e->n_args) abort();
        break;
    }
}

static void fz_check_select(const ol_sql_select_t *s, uint32_t len)
{
    if (s->n_items == 0 || s->table.len == 0 || s->table_pos >= len) abort();
    for (uint32_t i = 0; i < s->n_items; i++) {
        const ol_sql_select_item_t *it = &s->items[i];
        if (it->pos > it->end || it->end > len) abort();
        fz_check_expr(it->expr, it->pos, it->end);
    }
    if (s->where) fz_check_expr(s->where, 0, len);
    if (s->having) fz_check_expr(s->having, 0, len);
    for (uint32_t i = 0; i < s->n_group_by; i++) fz_check_expr(s->group_by[i], 0, len);
    for (uint32_t i = 0; i < s->n_order_by; i++) fz_check_expr(s->order_by[i].expr, 0, len);
    if (s->has_offset && !s->has_limit) abort();
}

/* ---- back to SQL ---- */

static void fz_quoted(ol_buf_t *o, ol_slice_t s, char q)
{
    ol_buf_append_u8(o, (uint8_t)q);
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] == (uint8_t)q || s.ptr[i] == '\\') ol_buf_append_u8(o, '\\');
        ol_buf_append_u8(o, s.ptr[i]);
    }
    ol_buf_append_u8(o, (uint8_t)q);
}

static void fz_sql(ol_buf_t *o, const ol_sql_expr_t *e);

static void fz_sql_list(ol_buf_t *o, ol_sql_expr_t *const *a, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (i) ol_buf_append_cstr(o, ", ");
        fz_sql(o, a[i]);
    }
}

static const char *fz_op(ol_sql_op_t op)
{
    switch (op) {
    case OL_SQL_OP_OR: return "OR";
    case OL_SQL_OP_AND: return "AND";
    case OL_SQL_OP_EQ: return "=";
    case OL_SQL_OP_NE: return "!=";
    case OL_SQL_OP_LT: return "<";
    case OL_SQL_OP_LE: return "<=";
    case OL_SQL_OP_GT: return ">";
    case OL_SQL_OP_GE: return ">=";
    case OL_SQL_OP_ADD: return "+";
    case OL_SQL_OP_SUB: return "-";
    case OL_SQL_OP_MUL: return "*";
    case OL_SQL_OP_DIV: return "/";
    case OL_SQL_OP_MOD: return "%";
    case OL_SQL_OP_CONCAT: return "||";
    default: abort();
    }
}

static const char *const fz_units[] = {"?",      "NANOSECOND", "MICROSECOND", "MILLISECOND", "SECOND", "MINUTE",
                                       "HOUR",   "DAY",        "WEEK",        "MONTH",       "QUARTER", "YEAR"};

/* e in parentheses (a STAR as itself). */
static void fz_sql(ol_buf_t *o, const ol_sql_expr_t *e)
{
    char num[64];
    if (e->kind == OL_SQL_E_STAR) {
        ol_buf_append_u8(o, '*');
        return;
    }
    ol_buf_append_u8(o, '(');
    switch (e->kind) {
    case OL_SQL_E_COLUMN: fz_quoted(o, e->name, '`'); break;
    case OL_SQL_E_INT: ol_buf_printf(o, "%llu", (unsigned long long)e->u); break;
    case OL_SQL_E_FLOAT:
        if (isnan(e->f)) {
            ol_buf_append_cstr(o, "nan");
        } else if (isinf(e->f)) {
            ol_buf_append_cstr(o, e->f < 0 ? "-inf" : "inf");
        } else {
            snprintf(num, sizeof num, "%.17g", e->f);
            ol_buf_append_cstr(o, num);
            if (!strpbrk(num, ".e")) ol_buf_append_cstr(o, ".0");
        }
        break;
    case OL_SQL_E_STRING: fz_quoted(o, e->str, '\''); break;
    case OL_SQL_E_NULL: ol_buf_append_cstr(o, "NULL"); break;
    case OL_SQL_E_BOOL: ol_buf_append_cstr(o, e->u ? "true" : "false"); break;
    case OL_SQL_E_ARRAY:
        ol_buf_append_u8(o, '[');
        fz_sql_list(o, e->args, e->n_args);
        ol_buf_append_u8(o, ']');
        break;
    case OL_SQL_E_TUPLE:
        ol_buf_append_u8(o, '(');
        fz_sql_list(o, e->args, e->n_args);
        ol_buf_append_u8(o, ')');
        break;
    case OL_SQL_E_FUNC:
        fz_quoted(o, e->name, '`');
        if (e->has_params) {
            ol_buf_append_u8(o, '(');
            fz_sql_list(o, e->params, e->n_params);
            ol_buf_append_u8(o, ')');
        }
        ol_buf_append_cstr(o, e->distinct ? "(DISTINCT " : "(");
        fz_sql_list(o, e->args, e->n_args);
        ol_buf_append_u8(o, ')');
        break;
    case OL_SQL_E_UNARY:
        ol_buf_append_cstr(o, e->op == OL_SQL_OP_NEG ? "-" : "NOT ");
        fz_sql(o, e->args[0]);
        break;
    case OL_SQL_E_BINARY:
        fz_sql(o, e->args[0]);
        ol_buf_printf(o, " %s ", fz_op(e->op));
        fz_sql(o, e->args[1]);
        break;
    case OL_SQL_E_IN:
    case OL_SQL_E_LIKE:
        fz_sql(o, e->args[0]);
        ol_buf_printf(o, " %s%s ", e->negated ? "NOT " : "",
                      e->kind == OL_SQL_E_IN ? "IN" : e->op == OL_SQL_OP_LIKE ? "LIKE" : "ILIKE");
        fz_sql(o, e->args[1]);
        break;
    case OL_SQL_E_BETWEEN:
        fz_sql(o, e->args[0]);
        ol_buf_append_cstr(o, e->negated ? " NOT BETWEEN " : " BETWEEN ");
        fz_sql(o, e->args[1]);
        ol_buf_append_cstr(o, " AND ");
        fz_sql(o, e->args[2]);
        break;
    case OL_SQL_E_INDEX:
        fz_sql(o, e->args[0]);
        ol_buf_append_u8(o, '[');
        fz_sql(o, e->args[1]);
        ol_buf_append_u8(o, ']');
        break;
    case OL_SQL_E_INTERVAL:
        ol_buf_append_cstr(o, "INTERVAL ");
        fz_sql(o, e->args[0]);
        ol_buf_printf(o, " %s", fz_units[e->unit]);
        break;
    case OL_SQL_E_CASE: {
        uint32_t i = 0, end = e->n_args - (e->has_else ? 1 : 0);
        ol_buf_append_cstr(o, "CASE ");
        if (e->has_operand) fz_sql(o, e->args[i++]);
        for (; i + 2 <= end; i += 2) {
            ol_buf_append_cstr(o, " WHEN ");
            fz_sql(o, e->args[i]);
            ol_buf_append_cstr(o, " THEN ");
            fz_sql(o, e->args[i + 1]);
        }
        if (e->has_else) {
            ol_buf_append_cstr(o, " ELSE ");
            fz_sql(o, e->args[e->n_args - 1]);
        }
        ol_buf_append_cstr(o, " END");
        break;
    }
    default: abort();
    }
    ol_buf_append_u8(o, ')');
}

static void fz_sql_select(ol_buf_t *o, const ol_sql_select_t *s)
{
    ol_buf_append_cstr(o, s->distinct ? "SELECT DISTINCT " : "SELECT ");
    for (uint32_t i = 0; i < s->n_items; i++) {
        if (i) ol_buf_append_cstr(o, ", ");
        fz_sql(o, s->items[i].expr);
        if (s->items[i].alias.len) {
            ol_buf_append_cstr(o, " AS ");
            fz_quoted(o, s->items[i].alias, '`');
        }
    }
    ol_buf_append_cstr(o, " FROM ");
    if (s->database.len) {
        fz_quoted(o, s->database, '`');
        ol_buf_append_u8(o, '.');
    }
    fz_quoted(o, s->table, '`');
    if (s->table_alias.len) {
        ol_buf_append_cstr(o, " AS ");
        fz_quoted(o, s->table_alias, '"');
    }
    if (s->where) {
        ol_buf_append_cstr(o, " WHERE ");
        fz_sql(o, s->where);
    }
    if (s->n_group_by) {
        ol_buf_append_cstr(o, " GROUP BY ");
        fz_sql_list(o, s->group_by, s->n_group_by);
    }
    if (s->having) {
        ol_buf_append_cstr(o, " HAVING ");
        fz_sql(o, s->having);
    }
    for (uint32_t i = 0; i < s->n_order_by; i++) {
        ol_buf_append_cstr(o, i ? ", " : " ORDER BY ");
        fz_sql(o, s->order_by[i].expr);
        if (s->order_by[i].desc) ol_buf_append_cstr(o, " DESC");
    }
    if (s->has_limit) ol_buf_printf(o, " LIMIT %llu", (unsigned long long)s->limit);
    if (s->has_offset) ol_buf_printf(o, " OFFSET %llu", (unsigned long long)s->offset);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ol_arena_t *a = ol_arena_create(4096, 1 << 26);
    if (!a) return 0;
    ol_sql_select_t *s = NULL;
    ol_err_t err = {{0}};
    int rc = ol_sql_parse((const char *)data, size, a, &s, &err);
    if (rc != OL_OK) {
        if ((rc != OL_CORRUPT && rc != OL_LIMIT && rc != OL_NOMEM) || s || !err.msg[0]) abort();
        if (!memchr(err.msg, 0, sizeof err.msg)) abort();
        ol_arena_destroy(a);
        return 0;
    }
    if (!s) abort();
    fz_check_select(s, (uint32_t)size);
    ol_buf_t tree, sql, tree2;
    ol_buf_init(&tree, OL_MEM_QUERY, 0);
    ol_buf_init(&sql, OL_MEM_QUERY, 0);
    ol_buf_init(&tree2, OL_MEM_QUERY, 0);
    ol_sql_select_print(s, &tree);
    fz_sql_select(&sql, s);
    ol_sql_select_t *s2 = NULL;
    rc = ol_sql_parse((const char *)sql.data, sql.len, a, &s2, &err);
    if (rc == OL_OK) {
        ol_sql_select_print(s2, &tree2);
        if (!ol_slice_eq(ol_buf_slice(&tree), ol_buf_slice(&tree2))) {
            fprintf(stderr, "round trip differs:\n  %.*s\n  %.*s\n  via %.*s\n", (int)tree.len, (const char *)tree.data,
                    (int)tree2.len, (const char *)tree2.data, (int)sql.len, (const char *)sql.data);
            abort();
        }
    } else if (rc != OL_LIMIT && rc != OL_NOMEM) {
        fprintf(stderr, "rendering does not parse: %s\n  %.*s\n", err.msg, (int)sql.len, (const char *)sql.data);
        abort();
    }
    ol_buf_free(&tree);
    ol_buf_free(&sql);
    ol_buf_free(&tree2);
    ol_arena_destroy(a);
    return 0;
}
