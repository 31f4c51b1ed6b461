/*
 * parse.c - one SELECT of Olly's SQL dialect into the tree of ast.h.
 *
 * Recursive descent for the statement and its clauses, precedence climbing
 * for expressions, with ClickHouse's operator priorities (the operators
 * table of src/Parsers/ExpressionListParsers.cpp), lowest first:
 *
 *   3 OR   4 AND   5 NOT (prefix)   6 IS [NOT] NULL (postfix)
 *   7 [NOT] BETWEEN   9 = == != <> < <= > >= [NOT] LIKE, ILIKE, IN
 *   10 ||   11 + -   12 * / % MOD DIV   13 - (prefix)   14 a[i]
 *
 * A prefix operator parses its operand at its own priority, which is what
 * ClickHouse's operator stack does: NOT a = b is not(a = b), -a * b is
 * (-a) * b, a = NOT b AND c is (a = not(b)) AND c. Binary operators are left
 * associative. BETWEEN's bounds take anything that binds tighter than
 * BETWEEN (x BETWEEN a + 1 AND b is between(x, a + 1, b)). NOT followed by
 * `(` is the function not(...), so NOT (a) = b is not(a) = b, as in
 * ClickHouse. What ClickHouse rewrites into functions the tree keeps as
 * operators (the binder names them), except the forms without an operator of
 * their own in ast.h: a IS NULL is isNull(a), a DIV b is intDiv(a, b),
 * CAST(x AS T) is CAST(x, 'T') and position(a IN b) is position(b, a).
 *
 * Depth. Every recursive path (parentheses, arguments, CASE, unary chains
 * such as - - - x or NOT NOT x, operator nesting) goes through
 * ol_sql_p_expr, which counts the nesting and stops at OL_SQL_MAX_DEPTH
 * with OL_LIMIT (a + (b + (c ...)) costs two levels a step: the operand of
 * + and the parenthesis), so the stack stays within a few dozen kilobytes
 * whatever the text. Chains of a left-associative operator (a + b + c + ...)
 * are parsed by a loop but make a tree as deep as the chain, so each node
 * also records its height and the same limit applies to it: whatever walks
 * the tree later recurses at most OL_SQL_MAX_DEPTH levels. Runs of OR, AND
 * and || (ClickHouse makes them one n-ary call) are built as balanced trees,
 * so a WHERE with a hundred ORed conditions stays a few levels deep.
 *
 * Refusals. The dialect is read-only and single-table: other statements,
 * subqueries, JOIN, UNION, WITH, SETTINGS, FORMAT, INTO OUTFILE, table
 * functions, lambdas, query parameters and the other ClickHouse clauses it
 * leaves out are refused by name (ol_sql_p_not_select, ol_sql_clause_refusal
 * and where each is met); anything else that does not parse is a syntax
 * error naming the line, the column, what was expected and the token found
 * (short and escaped, as it goes back to clients). Both are OL_CORRUPT; the
 * size and depth limits are OL_LIMIT.
 *
 * Memory: nodes, argument arrays and unescaped strings come from the
 * caller's arena; names and strings without escapes are slices of the text.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "sql/ast.h"
#include "sql/lex.h"

/* Where a keyword may not appear as a plain word. */
#define R_EXPR 1  /* not a bare identifier in an expression */
#define R_FUNC 2  /* not a function name either */
#define R_ALIAS 4 /* not an alias without AS */
#define R_CLAUSE (R_EXPR | R_FUNC | R_ALIAS)
#define R_OPER (R_EXPR | R_ALIAS)

static const uint8_t ol_sql_kw_roles[OL_SQL_KW__COUNT] = {
    [OL_SQL_KW_SELECT] = R_CLAUSE, [OL_SQL_KW_FROM] = R_CLAUSE,     [OL_SQL_KW_WHERE] = R_CLAUSE,
    [OL_SQL_KW_PREWHERE] = R_CLAUSE, [OL_SQL_KW_GROUP] = R_CLAUSE,  [OL_SQL_KW_HAVING] = R_CLAUSE,
    [OL_SQL_KW_ORDER] = R_CLAUSE,  [OL_SQL_KW_LIMIT] = R_CLAUSE,    [OL_SQL_KW_OFFSET] = R_CLAUSE,
    [OL_SQL_KW_SETTINGS] = R_CLAUSE, [OL_SQL_KW_FORMAT] = R_CLAUSE, [OL_SQL_KW_UNION] = R_CLAUSE,
    [OL_SQL_KW_INTERSECT] = R_CLAUSE, [OL_SQL_KW_EXCEPT] = R_CLAUSE, [OL_SQL_KW_INTO] = R_CLAUSE,
    [OL_SQL_KW_WINDOW] = R_CLAUSE, [OL_SQL_KW_QUALIFY] = R_CLAUSE,  [OL_SQL_KW_WITH] = R_CLAUSE,
    [OL_SQL_KW_BY] = R_CLAUSE,     [OL_SQL_KW_AS] = R_CLAUSE,       [OL_SQL_KW_THEN] = R_CLAUSE,
    [OL_SQL_KW_WHEN] = R_CLAUSE,   [OL_SQL_KW_ELSE] = R_CLAUSE,     [OL_SQL_KW_END] = R_CLAUSE,
    [OL_SQL_KW_DISTINCT] = R_CLAUSE, [OL_SQL_KW_ASC] = R_CLAUSE,    [OL_SQL_KW_DESC] = R_CLAUSE,
    [OL_SQL_KW_AND] = R_OPER,      [OL_SQL_KW_OR] = R_OPER,         [OL_SQL_KW_NOT] = R_OPER,
    [OL_SQL_KW_IN] = R_OPER,       [OL_SQL_KW_IS] = R_OPER,         [OL_SQL_KW_LIKE] = R_OPER,
    [OL_SQL_KW_ILIKE] = R_OPER,    [OL_SQL_KW_BETWEEN] = R_OPER,    [OL_SQL_KW_DIV] = R_OPER,
    [OL_SQL_KW_MOD] = R_OPER,      [OL_SQL_KW_ALL] = R_OPER,        [OL_SQL_KW_ANTI] = R_ALIAS,
    [OL_SQL_KW_ANY] = R_ALIAS,     [OL_SQL_KW_ARRAY] = R_ALIAS,     [OL_SQL_KW_ASOF] = R_ALIAS,
    [OL_SQL_KW_CROSS] = R_ALIAS,   [OL_SQL_KW_FINAL] = R_ALIAS,     [OL_SQL_KW_FULL] = R_ALIAS,
    [OL_SQL_KW_GLOBAL] = R_ALIAS,  [OL_SQL_KW_INNER] = R_ALIAS,     [OL_SQL_KW_JOIN] = R_ALIAS,
    [OL_SQL_KW_LEFT] = R_ALIAS,    [OL_SQL_KW_ON] = R_ALIAS,        [OL_SQL_KW_ONLY] = R_ALIAS,
    [OL_SQL_KW_PASTE] = R_ALIAS,   [OL_SQL_KW_RIGHT] = R_ALIAS,     [OL_SQL_KW_SAMPLE] = R_ALIAS,
    [OL_SQL_KW_SEMI] = R_ALIAS,    [OL_SQL_KW_USING] = R_ALIAS,     [OL_SQL_KW_OUTER] = R_ALIAS,
    [OL_SQL_KW_NULL] = R_ALIAS,    [OL_SQL_KW_TRUE] = R_ALIAS,      [OL_SQL_KW_FALSE] = R_ALIAS,
    [OL_SQL_KW_CASE] = R_ALIAS,    [OL_SQL_KW_INTERVAL] = R_ALIAS,  [OL_SQL_KW_OVER] = R_ALIAS,
    [OL_SQL_KW_ASCENDING] = R_ALIAS, [OL_SQL_KW_DESCENDING] = R_ALIAS, [OL_SQL_KW_COLLATE] = R_ALIAS,
    [OL_SQL_KW_NULLS] = R_ALIAS,
};

/* Statements other than SELECT: those that change something, and those
 * that only read but are not queries over the tables. */
static const ol_sql_kw_t ol_sql_writes[] = {
    OL_SQL_KW_INSERT, OL_SQL_KW_ALTER,    OL_SQL_KW_CREATE,  OL_SQL_KW_DROP,   OL_SQL_KW_TRUNCATE, OL_SQL_KW_RENAME,
    OL_SQL_KW_ATTACH, OL_SQL_KW_DETACH,   OL_SQL_KW_OPTIMIZE, OL_SQL_KW_SYSTEM, OL_SQL_KW_KILL,    OL_SQL_KW_GRANT,
    OL_SQL_KW_REVOKE, OL_SQL_KW_SET,      OL_SQL_KW_USE,     OL_SQL_KW_DELETE, OL_SQL_KW_UPDATE,   OL_SQL_KW_EXCHANGE,
    OL_SQL_KW_BACKUP, OL_SQL_KW_RESTORE,  OL_SQL_KW_UNDROP,  OL_SQL_KW_REPLACE, OL_SQL_KW_MOVE,    OL_SQL_KW_BEGIN,
    OL_SQL_KW_COMMIT, OL_SQL_KW_ROLLBACK,
};
static const ol_sql_kw_t ol_sql_reads[] = {
    OL_SQL_KW_SHOW, OL_SQL_KW_DESCRIBE, OL_SQL_KW_DESC, OL_SQL_KW_EXPLAIN, OL_SQL_KW_EXISTS, OL_SQL_KW_WATCH,
    OL_SQL_KW_CHECK,
};

/* Token text shown in messages: at most this many bytes of the text. */
#define OL_SQL_SHOW_BYTES 32

typedef struct ol_sql_parser {
    const char *sql;
    uint32_t len;
    ol_arena_t *a;
    ol_err_t *err;
    ol_sql_lexer_t lx;
    ol_sql_token_t tok;  /* the current token */
    ol_sql_token_t prev; /* the one before, for end offsets */
    int rc;              /* the first error; parsing stops at it */
    uint32_t depth;
    ol_sql_token_t bare_alias; /* the last select item's alias when written without AS */
} ol_sql_parser_t;

/* Growable array in the arena (the old copy is left behind: at most twice
 * the final size in all). */
typedef struct ol_sql_vec {
    void *v;
    uint32_t n, cap;
} ol_sql_vec_t;

static ol_sql_expr_t *ol_sql_p_expr(ol_sql_parser_t *p, int min_prec);

/* ---- messages ---- */

void ol_sql_text_position(const char *sql, size_t len, uint32_t pos, uint32_t *line, uint32_t *col)
{
    const uint8_t *s = (const uint8_t *)sql;
    uint32_t l = 1, c = 1;
    if (pos > len) pos = (uint32_t)len;
    for (uint32_t i = 0; i < pos; i++) {
        if (s[i] == '\n') {
            l++;
            c = 1;
        } else if ((s[i] & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

/* Length of the valid UTF-8 sequence at s[i] (2..4), 0 if there is none. */
static uint32_t ol_sql_utf8_len(const uint8_t *s, uint32_t n, uint32_t i)
{
    uint8_t c = s[i], lo = 0x80, hi = 0xBF;
    uint32_t need;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    for (uint32_t k = 1; k < need; k++) {
        if (i + k >= n || s[i + k] < lo || s[i + k] > hi) return 0;
        lo = 0x80;
        hi = 0xBF;
    }
    return need;
}

/* 'text' of s[0..end) for a message: at most OL_SQL_SHOW_BYTES of it,
 * control bytes and invalid UTF-8 as \xHH, "..." when cut. */
static void ol_sql_show_bytes(const uint8_t *s, uint32_t end, char *out, size_t cap)
{
    uint32_t stop = OL_MIN(end, OL_SQL_SHOW_BYTES);
    size_t k = 0;
    out[k++] = '\'';
    uint32_t i = 0;
    while (i < stop && k + 8 < cap) {
        uint32_t u = s[i] >= 0x80 ? ol_sql_utf8_len(s, end, i) : 0;
        if (s[i] >= 0x20 && s[i] < 0x7F) {
            out[k++] = (char)s[i++];
        } else if (u && i + u <= stop) {
            memcpy(out + k, s + i, u);
            k += u;
            i += u;
        } else if (u) {
            break;
        } else {
            k += (size_t)snprintf(out + k, cap - k, "\\x%02X", s[i++]);
        }
    }
    if (i < end) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k++] = '\'';
    out[k] = 0;
}

static void ol_sql_show(const ol_sql_parser_t *p, uint32_t pos, uint32_t end, char *out, size_t cap)
{
    ol_sql_show_bytes((const uint8_t *)p->sql + pos, end - pos, out, cap);
}

static void ol_sql_show_tok(const ol_sql_parser_t *p, const ol_sql_token_t *t, char *out, size_t cap)
{
    if (t->kind == OL_SQL_T_END)
        snprintf(out, cap, "end of query");
    else
        ol_sql_show(p, t->pos, t->end, out, cap);
}

static void *ol_sql_fail_at(ol_sql_parser_t *p, uint32_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "syntax error at line L, column C: <fmt>"; the first error wins. */
static void *ol_sql_fail_at(ol_sql_parser_t *p, uint32_t pos, const char *fmt, ...)
{
    if (p->rc) return NULL;
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    uint32_t line, col;
    ol_sql_text_position(p->sql, p->len, pos, &line, &col);
    ol_err_set(p->err, "syntax error at line %u, column %u: %s", line, col, msg);
    p->rc = OL_CORRUPT;
    return NULL;
}

static void *ol_sql_expected_at(ol_sql_parser_t *p, const ol_sql_token_t *t, const char *what)
{
    char got[OL_SQL_SHOW_BYTES * 4 + 16];
    ol_sql_show_tok(p, t, got, sizeof got);
    return ol_sql_fail_at(p, t->pos, "expected %s, got %s", what, got);
}

static void *ol_sql_expected(ol_sql_parser_t *p, const char *what) { return ol_sql_expected_at(p, &p->tok, what); }

static void *ol_sql_refuse(ol_sql_parser_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void *ol_sql_refuse(ol_sql_parser_t *p, const char *fmt, ...)
{
    if (p->rc) return NULL;
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ol_err_set(p->err, "%s", msg);
    p->rc = OL_CORRUPT;
    return NULL;
}

static void *ol_sql_too_deep(ol_sql_parser_t *p, uint32_t pos)
{
    if (p->rc) return NULL;
    uint32_t line, col;
    ol_sql_text_position(p->sql, p->len, pos, &line, &col);
    ol_err_set(p->err, "expressions nest deeper than %d levels (at line %u, column %u)", OL_SQL_MAX_DEPTH, line, col);
    p->rc = OL_LIMIT;
    return NULL;
}

static void *ol_sql_nomem(ol_sql_parser_t *p)
{
    if (p->rc) return NULL;
    ol_err_set(p->err, "out of memory parsing the query");
    p->rc = OL_NOMEM;
    return NULL;
}

/* ---- tokens ---- */

static void ol_sql_lex_error(ol_sql_parser_t *p)
{
    const ol_sql_token_t *t = &p->tok;
    char shown[OL_SQL_SHOW_BYTES * 4 + 16];
    switch (t->kind) {
    case OL_SQL_T_ERR_STRING:
        ol_sql_fail_at(p, t->pos, "%s is not closed",
                       p->sql[t->pos] == '\'' ? "string literal" : "quoted identifier");
        break;
    case OL_SQL_T_ERR_COMMENT: ol_sql_fail_at(p, t->pos, "comment is not closed"); break;
    case OL_SQL_T_ERR_NUMBER:
        ol_sql_show_tok(p, t, shown, sizeof shown);
        ol_sql_fail_at(p, t->pos, "invalid number %s", shown);
        break;
    case OL_SQL_T_ERR_CHAR:
        ol_sql_show_tok(p, t, shown, sizeof shown);
        ol_sql_fail_at(p, t->pos, "unexpected character %s", shown);
        break;
    default: break;
    }
}

static void ol_sql_next(ol_sql_parser_t *p)
{
    p->prev = p->tok;
    ol_sql_lex_next(&p->lx, &p->tok);
    if (p->tok.kind >= OL_SQL_T_ERR_STRING) ol_sql_lex_error(p);
}

/* The token n places after the current one (n >= 1). */
static ol_sql_token_t ol_sql_peek(const ol_sql_parser_t *p, int n)
{
    ol_sql_lexer_t lx = p->lx;
    ol_sql_token_t t = p->tok;
    while (n-- > 0 && t.kind != OL_SQL_T_END) ol_sql_lex_next(&lx, &t);
    return t;
}

static bool ol_sql_tok_is_kw(const ol_sql_token_t *t, ol_sql_kw_t kw)
{
    return t->kind == OL_SQL_T_WORD && t->kw == kw;
}
static bool ol_sql_is_kw(const ol_sql_parser_t *p, ol_sql_kw_t kw) { return ol_sql_tok_is_kw(&p->tok, kw); }
static bool ol_sql_peek_is(const ol_sql_parser_t *p, ol_sql_tok_kind_t kind) { return ol_sql_peek(p, 1).kind == kind; }

static uint8_t ol_sql_roles(const ol_sql_token_t *t) { return t->kind == OL_SQL_T_WORD ? ol_sql_kw_roles[t->kw] : 0; }

static bool ol_sql_accept(ol_sql_parser_t *p, ol_sql_tok_kind_t kind)
{
    if (p->tok.kind != kind) return false;
    ol_sql_next(p);
    return true;
}

static bool ol_sql_accept_kw(ol_sql_parser_t *p, ol_sql_kw_t kw)
{
    if (!ol_sql_is_kw(p, kw)) return false;
    ol_sql_next(p);
    return true;
}

static bool ol_sql_expect(ol_sql_parser_t *p, ol_sql_tok_kind_t kind, const char *what)
{
    if (ol_sql_accept(p, kind)) return true;
    ol_sql_expected(p, what);
    return false;
}

static bool ol_sql_expect_kw(ol_sql_parser_t *p, ol_sql_kw_t kw)
{
    if (ol_sql_accept_kw(p, kw)) return true;
    ol_sql_expected(p, ol_sql_kw_name(kw));
    return false;
}

/* Refuses `(SELECT ...` and `(WITH ...` with the current token just after a '('. */
static bool ol_sql_subquery(ol_sql_parser_t *p)
{
    if (!ol_sql_is_kw(p, OL_SQL_KW_SELECT) && !ol_sql_is_kw(p, OL_SQL_KW_WITH)) return false;
    ol_sql_refuse(p, "subqueries are not supported");
    return true;
}

/* ---- nodes ---- */

static bool ol_sql_vec_push(ol_sql_parser_t *p, ol_sql_vec_t *v, const void *elem, size_t size)
{
    if (v->n == v->cap) {
        uint32_t cap = v->cap ? v->cap * 2 : 4;
        void *nv = ol_arena_alloc(p->a, (size_t)cap * size);
        if (!nv) {
            ol_sql_nomem(p);
            return false;
        }
        if (v->n) memcpy(nv, v->v, (size_t)v->n * size);
        v->v = nv;
        v->cap = cap;
    }
    memcpy((char *)v->v + (size_t)v->n * size, elem, size);
    v->n++;
    return true;
}

static bool ol_sql_push_expr(ol_sql_parser_t *p, ol_sql_vec_t *v, ol_sql_expr_t *e)
{
    return ol_sql_vec_push(p, v, &e, sizeof e);
}

static ol_sql_expr_t *ol_sql_node(ol_sql_parser_t *p, ol_sql_expr_kind_t kind, uint32_t pos, uint32_t end)
{
    ol_sql_expr_t *e = ol_arena_calloc(p->a, sizeof *e);
    if (!e) return ol_sql_nomem(p);
    e->kind = kind;
    e->pos = pos;
    e->end = end;
    e->height = 1;
    return e;
}

/* Sets e's height from its children's; NULL past the depth limit. */
static ol_sql_expr_t *ol_sql_seal(ol_sql_parser_t *p, ol_sql_expr_t *e)
{
    uint32_t h = 0;
    for (uint32_t i = 0; i < e->n_args; i++) h = OL_MAX(h, e->args[i]->height);
    for (uint32_t i = 0; i < e->n_params; i++) h = OL_MAX(h, e->params[i]->height);
    e->height = h + 1;
    if (e->height > OL_SQL_MAX_DEPTH) return ol_sql_too_deep(p, e->pos);
    return e;
}

/* A node over n (1..3) children, spanning from pos to the last child's end. */
static ol_sql_expr_t *ol_sql_node_n(ol_sql_parser_t *p, ol_sql_expr_kind_t kind, ol_sql_op_t op, uint32_t pos,
                                    uint32_t n, ol_sql_expr_t *a0, ol_sql_expr_t *a1, ol_sql_expr_t *a2)
{
    ol_sql_expr_t *kids[3] = {a0, a1, a2};
    ol_sql_expr_t *e = ol_sql_node(p, kind, pos, kids[n - 1]->end);
    if (!e) return NULL;
    e->op = op;
    e->args = ol_arena_alloc(p->a, n * sizeof *e->args);
    if (!e->args) return ol_sql_nomem(p);
    memcpy(e->args, kids, n * sizeof *e->args);
    e->n_args = n;
    return ol_sql_seal(p, e);
}

static ol_sql_expr_t *ol_sql_binary(ol_sql_parser_t *p, ol_sql_expr_kind_t kind, ol_sql_op_t op, ol_sql_expr_t *l,
                                    ol_sql_expr_t *r)
{
    return ol_sql_node_n(p, kind, op, l->pos, 2, l, r, NULL);
}

/* A FUNC node named by a constant (the rewrites of IS NULL and DIV). */
static ol_sql_expr_t *ol_sql_func2(ol_sql_parser_t *p, const char *name, uint32_t end, uint32_t n, ol_sql_expr_t *a0,
                                   ol_sql_expr_t *a1)
{
    ol_sql_expr_t *e = ol_sql_node_n(p, OL_SQL_E_FUNC, OL_SQL_OP_NONE, a0->pos, n, a0, a1, NULL);
    if (!e) return NULL;
    e->name = ol_slice_cstr(name);
    e->end = end;
    return e;
}

static void ol_sql_set_list(ol_sql_expr_t *e, const ol_sql_vec_t *v)
{
    e->args = v->v;
    e->n_args = v->n;
}

/* ---- literals and names ---- */

static ol_slice_t ol_sql_tok_slice(const ol_sql_parser_t *p, const ol_sql_token_t *t)
{
    return ol_slice(p->sql + t->pos, t->end - t->pos);
}

/* The name a WORD or QUOTED token spells. */
static bool ol_sql_tok_name(ol_sql_parser_t *p, const ol_sql_token_t *t, ol_slice_t *out)
{
    if (t->kind == OL_SQL_T_WORD) {
        *out = ol_sql_tok_slice(p, t);
        return true;
    }
    uint32_t bad = 0;
    int rc = ol_sql_unescape(p->sql, t, p->a, out, &bad);
    if (rc == OL_NOMEM) return ol_sql_nomem(p), false;
    if (rc != OL_OK) return ol_sql_fail_at(p, bad, "invalid escape sequence"), false;
    if (out->len == 0) {
        ol_sql_fail_at(p, t->pos, "empty quoted identifier");
        return false;
    }
    return true;
}

/* The number spelled by s[0..n) (a NUMBER token's text) into e: INT when
 * it is an integer that fits in 64 bits, else FLOAT, as ClickHouse's
 * ParserNumber decides. */
static bool ol_sql_number_value(ol_sql_parser_t *p, const uint8_t *s, uint32_t n, uint8_t flags, uint32_t pos,
                                ol_sql_expr_t *e)
{
    char shown[OL_SQL_SHOW_BYTES * 4 + 16];
    if (!(flags & OL_SQL_TF_FLOAT)) {
        uint64_t v = 0;
        bool over = false;
        unsigned base = flags & OL_SQL_TF_HEX ? 16 : flags & OL_SQL_TF_BIN ? 2 : 10;
        for (uint32_t i = base == 10 ? 0 : 2; i < n; i++) {
            uint8_t c = s[i];
            unsigned d = c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
            if (v > (UINT64_MAX - d) / base) {
                over = true;
                break;
            }
            v = v * base + d;
        }
        if (!over) {
            e->kind = OL_SQL_E_INT;
            e->u = v;
            return true;
        }
        if (base == 2) {
            ol_sql_show_bytes(s, n, shown, sizeof shown);
            ol_sql_fail_at(p, pos, "number %s is out of range", shown);
            return false;
        }
    }
    char buf[320];
    if (n >= sizeof buf) {
        ol_sql_fail_at(p, pos, "number is longer than %zu characters", sizeof buf - 1);
        return false;
    }
    memcpy(buf, s, n);
    buf[n] = 0;
    char *endp;
    errno = 0;
    double d = strtod(buf, &endp);
    if (errno == ERANGE || endp != buf + n) {
        ol_sql_show_bytes(s, n, shown, sizeof shown);
        ol_sql_fail_at(p, pos, "number %s is out of range", shown);
        return false;
    }
    e->kind = OL_SQL_E_FLOAT;
    e->f = d;
    return true;
}

static ol_sql_expr_t *ol_sql_p_number(ol_sql_parser_t *p)
{
    ol_sql_token_t t = p->tok;
    ol_sql_expr_t *e = ol_sql_node(p, OL_SQL_E_INT, t.pos, t.end);
    if (!e) return NULL;
    if (!ol_sql_number_value(p, (const uint8_t *)p->sql + t.pos, t.end - t.pos, t.flags, t.pos, e)) return NULL;
    ol_sql_next(p);
    return e;
}

static ol_sql_expr_t *ol_sql_p_string(ol_sql_parser_t *p)
{
    ol_sql_token_t t = p->tok;
    ol_sql_expr_t *e = ol_sql_node(p, OL_SQL_E_STRING, t.pos, t.end);
    if (!e) return NULL;
    uint32_t bad = 0;
    int rc = ol_sql_unescape(p->sql, &t, p->a, &e->str, &bad);
    if (rc == OL_NOMEM) return ol_sql_nomem(p);
    if (rc != OL_OK) return ol_sql_fail_at(p, bad, "invalid escape sequence");
    ol_sql_next(p);
    return e;
}

/* name or a.b.c (the parts may be quoted): one COLUMN node. */
static ol_sql_expr_t *ol_sql_p_column(ol_sql_parser_t *p)
{
    ol_sql_token_t first = p->tok, last = first;
    bool plain = first.kind == OL_SQL_T_WORD; /* the name is the text itself */
    ol_sql_vec_t parts = {0};
    for (;;) {
        ol_slice_t part;
        if (!ol_sql_tok_name(p, &p->tok, &part) || !ol_sql_vec_push(p, &parts, &part, sizeof part)) return NULL;
        last = p->tok;
        ol_sql_next(p);
        if (p->tok.kind != OL_SQL_T_DOT) break;
        ol_sql_token_t dot = p->tok;
        ol_sql_next(p);
        if (p->tok.kind != OL_SQL_T_WORD && p->tok.kind != OL_SQL_T_QUOTED) return ol_sql_expected(p, "name after '.'");
        if (p->tok.kind != OL_SQL_T_WORD || dot.pos != last.end || dot.end != p->tok.pos) plain = false;
    }
    ol_sql_expr_t *e = ol_sql_node(p, OL_SQL_E_COLUMN, first.pos, last.end);
    if (!e) return NULL;
    const ol_slice_t *ps = parts.v;
    if (parts.n == 1) {
        e->name = ps[0];
    } else if (plain) {
        e->name = ol_slice(p->sql + first.pos, last.end - first.pos);
    } else {
        uint8_t *buf = ol_arena_alloc(p->a, last.end - first.pos); /* parts + dots never exceed their text */
        if (!buf) return ol_sql_nomem(p);
        size_t k = 0;
        for (uint32_t i = 0; i < parts.n; i++) {
            if (i) buf[k++] = '.';
            memcpy(buf + k, ps[i].ptr, ps[i].len);
            k += ps[i].len;
        }
        e->name = ol_slice(buf, k);
    }
    return e;
}

/* ---- expressions ---- */

/* The type of CAST(x AS type) as text, rebuilt from its tokens: a name of
 * one or more words, then an optional balanced parenthesised list
 * (Nullable(String), DateTime64(9, 'UTC')). Commas are followed by one
 * space, words are separated by one, nothing else is. */
static ol_sql_expr_t *ol_sql_p_cast_type(ol_sql_parser_t *p)
{
    uint32_t pos = p->tok.pos;
    if (p->tok.kind != OL_SQL_T_WORD && p->tok.kind != OL_SQL_T_QUOTED) return ol_sql_expected(p, "type name");
    ol_sql_lexer_t lx = p->lx;
    ol_sql_token_t t = p->tok;
    uint32_t end = t.end;
    int nest = 0;
    for (;;) { /* find the end first, to size the text */
        ol_sql_token_t n;
        ol_sql_lex_next(&lx, &n);
        if (n.kind == OL_SQL_T_END || n.kind == OL_SQL_T_SEMI || n.kind >= OL_SQL_T_ERR_STRING) break;
        if (nest == 0 && n.kind != OL_SQL_T_LPAREN && n.kind != OL_SQL_T_WORD) break;
        if (nest == 0 && n.kind == OL_SQL_T_WORD && t.kind == OL_SQL_T_RPAREN) break;
        if (n.kind == OL_SQL_T_LPAREN) nest++;
        if (n.kind == OL_SQL_T_RPAREN) nest--;
        end = n.end;
        t = n;
    }
    uint8_t *buf = ol_arena_alloc(p->a, 2 * (size_t)(end - pos) + 1);
    if (!buf) return ol_sql_nomem(p);
    size_t k = 0;
    ol_sql_tok_kind_t last = OL_SQL_T_END;
    nest = 0;
    while (p->tok.pos < end && !p->rc) {
        t = p->tok;
        if (t.kind == OL_SQL_T_COMMA) {
            buf[k++] = ',';
            buf[k++] = ' ';
        } else {
            bool word = t.kind == OL_SQL_T_WORD || t.kind == OL_SQL_T_NUMBER || t.kind == OL_SQL_T_QUOTED;
            if (word && (last == OL_SQL_T_WORD || last == OL_SQL_T_NUMBER || last == OL_SQL_T_QUOTED)) buf[k++] = ' ';
            memcpy(buf + k, p->sql + t.pos, t.end - t.pos);
            k += t.end - t.pos;
        }
        if (t.kind == OL_SQL_T_LPAREN) nest++;
        if (t.kind == OL_SQL_T_RPAREN) nest--;
        last = t.kind;
        ol_sql_next(p);
    }
    if (p->rc) return NULL;
    if (nest != 0) return ol_sql_expected(p, "')'");
    ol_sql_expr_t *e = ol_sql_node(p, OL_SQL_E_STRING, pos, end);
    if (!e) return NULL;
    e->str = ol_slice(buf, k);
    return e;
}

/* Arguments after '(' up to and including ')': [DISTINCT | ALL] a, b, ...;
 * `*` may stand as an argument (count(*)). With cast, the first argument
 * may be followed by AS type (CAST(x AS T) is CAST(x, 'T')). */
static bool ol_sql_p_args(ol_sql_parser_t *p, ol_sql_vec_t *out, bool *distinct, bool cast)
{
    if (ol_sql_subquery(p)) return false;
    if (ol_sql_accept(p, OL_SQL_T_RPAREN)) return true;
    ol_sql_token_t after = ol_sql_peek(p, 1);
    bool modifier = after.kind != OL_SQL_T_RPAREN && after.kind != OL_SQL_T_COMMA;
    if (modifier && ol_sql_accept_kw(p, OL_SQL_KW_DISTINCT))
        *distinct = true;
    else if (modifier)
        ol_sql_accept_kw(p, OL_SQL_KW_ALL); /* ClickHouse ignores it */
    for (;;) {
        ol_sql_expr_t *e;
        ol_sql_tok_kind_t next = ol_sql_peek(p, 1).kind;
        if (p->tok.kind == OL_SQL_T_STAR && (next == OL_SQL_T_RPAREN || next == OL_SQL_T_COMMA)) {
            e = ol_sql_node(p, OL_SQL_E_STAR, p->tok.pos, p->tok.end);
            ol_sql_next(p);
        } else {
            e = ol_sql_p_expr(p, 0);
        }
        if (!e || !ol_sql_push_expr(p, out, e)) return false;
        if (cast && out->n == 1 && ol_sql_accept_kw(p, OL_SQL_KW_AS)) {
            ol_sql_expr_t *type = ol_sql_p_cast_type(p);
            if (!type || !ol_sql_push_expr(p, out, type)) return false;
            return ol_sql_expect(p, OL_SQL_T_RPAREN, "')'");
        }
        if (ol_sql_accept(p, OL_SQL_T_RPAREN)) return true;
        if (!ol_sql_expect(p, OL_SQL_T_COMMA, "',' or ')'")) return false;
    }
}

/* name(args), name(params)(args); the current token is the name, '(' next. */
static ol_sql_expr_t *ol_sql_p_func(ol_sql_parser_t *p)
{
    ol_sql_token_t name_tok = p->tok;
    ol_sql_expr_t *e = ol_sql_node(p, OL_SQL_E_FUNC, name_tok.pos, name_tok.end);
    if (!e || !ol_sql_tok_name(p, &name_tok, &e->name)) return NULL;
    ol_sql_next(p);
    ol_sql_next(p); /* ( */
    bool cast = ol_slice_eq_nocase_cstr(e->name, "CAST");
    ol_sql_vec_t list = {0};
    if (!ol_sql_p_args(p, &list, &e->distinct, cast)) return NULL;
    if (p->tok.kind == OL_SQL_T_LPAREN) {
        if (e->distinct) return ol_sql_expected(p, "no DISTINCT in the parameters before");
        e->has_params = true;
        e->params = list.v;
        e->n_params = list.n;
        list = (ol_sql_vec_t){0};
        ol_sql_next(p);
        if (!ol_sql_p_args(p, &list, &e->distinct, false)) return NULL;
    }
    ol_sql_set_list(e, &list);
    e->end = p->prev.end;
    if (ol_sql_is_kw(p, OL_SQL_KW_OVER)) return ol_sql_refuse(p, "window functions (OVER) are not supported");
    /* position(needle IN haystack) is position(haystack, needle) */
    if (ol_slice_eq_nocase_cstr(e->name, "position") && !e->has_params && e->n_args == 1 &&
        e->args[0]->kind == OL_SQL_E_IN && !e->args[0]->negated && !e->args[0]->parenthesized) {
        ol_sql_expr_t *in = e->args[0];
        e->args = in->args;
        e->n_args = 2;
        ol_sql_expr_t *needle = e->args[0];
        e->args[0] = e->args[1];
        e->args[1] = needle;
    }
    return ol_sql_seal(p, e);
}

/* ( e ) or a tuple ( a, b, ... ); the current token is '('. */
static ol_sql_expr_t *ol_sql_p_paren(ol_sql_parser_t *p)
{
    uint32_t pos = p->tok.pos;
    ol_sql_next(p);
    if (ol_sql_subquery(p)) return NULL;
    ol_sql_expr_t *first = ol_sql_p_expr(p, 0);
    if (!first) return NULL;
    if (p->tok.kind != OL_SQL_T_COMMA) {
        if (!ol_sql_expect(p, OL_SQL_T_RPAREN, "')'")) return NULL;
        first->parenthesized = true;
        first->pos = pos;
        first->end = p->prev.end;
        return first;
    }
    ol_sql_vec_t list = {0};
    if (!ol_sql_push_expr(p, &list, first)) return NULL;
    while (ol_sql_accept(p, OL_SQL_T_COMMA)) {
        ol_sql_expr_t *e = ol_sql_p_expr(p, 0);
        if (!e || !ol_sql_push_expr(p, &list, e)) return NULL;
    }
    if (!ol_sql_expect(p, OL_SQL_T_RPAREN, "',' or ')'")) return NULL;
    ol_sql_expr_t *t = ol_sql_node(p, OL_SQL_E_TUPLE, pos, p->prev.end);
    if (!t) return NULL;
    ol_sql_set_list(t, &list);
    return ol_sql_seal(p, t);
}

/* [a, b, ...]; the current token is '['. */
static ol_sql_expr_t *ol_sql_p_array(ol_sql_parser_t *p)
{
    uint32_t pos = p->tok.pos;
    ol_sql_next(p);
    ol_sql_vec_t list = {0};
    if (!ol_sql_accept(p, OL_SQL_T_RBRACKET)) {
        for (;;) {
            ol_sql_expr_t *e = ol_sql_p_expr(p, 0);
            if (!e || !ol_sql_push_expr(p, &list, e)) return NULL;
            if (ol_sql_accept(p, OL_SQL_T_RBRACKET)) break;
            if (!ol_sql_expect(p, OL_SQL_T_COMMA, "',' or ']'")) return NULL;
        }
    }
    ol_sql_expr_t *a = ol_sql_node(p, OL_SQL_E_ARRAY, pos, p->prev.end);
    if (!a) return NULL;
    ol_sql_set_list(a, &list);
    return ol_sql_seal(p, a);
}

/* CASE [x] WHEN w THEN t ... [ELSE e] END; the current token is CASE. */
static ol_sql_expr_t *ol_sql_p_case(ol_sql_parser_t *p)
{
    ol_sql_expr_t *c = ol_sql_node(p, OL_SQL_E_CASE, p->tok.pos, p->tok.end);
    if (!c) return NULL;
    ol_sql_next(p);
    ol_sql_vec_t list = {0};
    if (ol_sql_is_kw(p, OL_SQL_KW_THEN) || ol_sql_is_kw(p, OL_SQL_KW_ELSE) || ol_sql_is_kw(p, OL_SQL_KW_END))
        return ol_sql_expected(p, "WHEN");
    if (!ol_sql_is_kw(p, OL_SQL_KW_WHEN)) {
        ol_sql_expr_t *x = ol_sql_p_expr(p, 0);
        if (!x || !ol_sql_push_expr(p, &list, x)) return NULL;
        c->has_operand = true;
    }
    if (!ol_sql_is_kw(p, OL_SQL_KW_WHEN)) return ol_sql_expected(p, "WHEN");
    while (ol_sql_accept_kw(p, OL_SQL_KW_WHEN)) {
        ol_sql_expr_t *w = ol_sql_p_expr(p, 0);
        if (!w || !ol_sql_push_expr(p, &list, w) || !ol_sql_expect_kw(p, OL_SQL_KW_THEN)) return NULL;
        ol_sql_expr_t *t = ol_sql_p_expr(p, 0);
        if (!t || !ol_sql_push_expr(p, &list, t)) return NULL;
    }
    if (ol_sql_accept_kw(p, OL_SQL_KW_ELSE)) {
        ol_sql_expr_t *e = ol_sql_p_expr(p, 0);
        if (!e || !ol_sql_push_expr(p, &list, e)) return NULL;
        c->has_else = true;
        if (!ol_sql_expect_kw(p, OL_SQL_KW_END)) return NULL;
    } else if (!ol_sql_accept_kw(p, OL_SQL_KW_END)) {
        return ol_sql_expected(p, "WHEN, ELSE or END");
    }
    c->end = p->prev.end;
    ol_sql_set_list(c, &list);
    return ol_sql_seal(p, c);
}

static ol_sql_unit_t ol_sql_unit(const ol_sql_token_t *t)
{
    if (t->kind != OL_SQL_T_WORD) return OL_SQL_UNIT_NONE;
    switch (t->kw) {
    case OL_SQL_KW_NANOSECOND:
    case OL_SQL_KW_NANOSECONDS: return OL_SQL_UNIT_NANOSECOND;
    case OL_SQL_KW_MICROSECOND:
    case OL_SQL_KW_MICROSECONDS: return OL_SQL_UNIT_MICROSECOND;
    case OL_SQL_KW_MILLISECOND:
    case OL_SQL_KW_MILLISECONDS: return OL_SQL_UNIT_MILLISECOND;
    case OL_SQL_KW_SECOND:
    case OL_SQL_KW_SECONDS: return OL_SQL_UNIT_SECOND;
    case OL_SQL_KW_MINUTE:
    case OL_SQL_KW_MINUTES: return OL_SQL_UNIT_MINUTE;
    case OL_SQL_KW_HOUR:
    case OL_SQL_KW_HOURS: return OL_SQL_UNIT_HOUR;
    case OL_SQL_KW_DAY:
    case OL_SQL_KW_DAYS: return OL_SQL_UNIT_DAY;
    case OL_SQL_KW_WEEK:
    case OL_SQL_KW_WEEKS: return OL_SQL_UNIT_WEEK;
    case OL_SQL_KW_MONTH:
    case OL_SQL_KW_MONTHS: return OL_SQL_UNIT_MONTH;
    case OL_SQL_KW_QUARTER:
    case OL_SQL_KW_QUARTERS: return OL_SQL_UNIT_QUARTER;
    case OL_SQL_KW_YEAR:
    case OL_SQL_KW_YEARS: return OL_SQL_UNIT_YEAR;
    default: return OL_SQL_UNIT_NONE;
    }
}

/* INTERVAL '<number> <unit>' (the current token is the string): as
 * ClickHouse's IntervalLayer, the string is read as tokens; a lone number
 * ('1') leaves the string to be the operand of INTERVAL x UNIT (returns
 * false with no error). Node positions are those of the string. */
static bool ol_sql_p_interval_string(ol_sql_parser_t *p, ol_sql_expr_t *iv)
{
    ol_sql_token_t st = p->tok;
    ol_slice_t text;
    uint32_t bad = 0;
    int rc = ol_sql_unescape(p->sql, &st, p->a, &text, &bad);
    if (rc == OL_NOMEM) return ol_sql_nomem(p), false;
    if (rc != OL_OK) return ol_sql_fail_at(p, bad, "invalid escape sequence"), false;
    ol_sql_lexer_t lx;
    ol_sql_lex_init(&lx, (const char *)text.ptr, text.len);
    ol_sql_token_t t, unit, end;
    ol_sql_lex_next(&lx, &t);
    bool neg = false;
    if (t.kind == OL_SQL_T_MINUS || t.kind == OL_SQL_T_PLUS) {
        neg = t.kind == OL_SQL_T_MINUS;
        ol_sql_lex_next(&lx, &t);
    }
    ol_sql_lex_next(&lx, &unit);
    ol_sql_lex_next(&lx, &end);
    if (t.kind == OL_SQL_T_NUMBER && unit.kind == OL_SQL_T_END) return false;
    char shown[OL_SQL_SHOW_BYTES * 4 + 16];
    if (t.kind != OL_SQL_T_NUMBER || ol_sql_unit(&unit) == OL_SQL_UNIT_NONE)
        return ol_sql_expected(p, "'<number> <unit>' after INTERVAL"), false;
    ol_sql_show_bytes(text.ptr, (uint32_t)text.len, shown, sizeof shown);
    if (end.kind != OL_SQL_T_END)
        return ol_sql_refuse(p, "INTERVAL strings with more than one unit are not supported: %s", shown), false;
    ol_sql_expr_t *num = ol_sql_node(p, OL_SQL_E_INT, st.pos, st.end);
    if (!num || !ol_sql_number_value(p, text.ptr + t.pos, t.end - t.pos, t.flags, st.pos, num)) return false;
    if (neg) {
        num = ol_sql_node_n(p, OL_SQL_E_UNARY, OL_SQL_OP_NEG, st.pos, 1, num, NULL, NULL);
        if (!num) return false;
    }
    iv->unit = ol_sql_unit(&unit);
    iv->args = ol_arena_alloc(p->a, sizeof *iv->args);
    if (!iv->args) return ol_sql_nomem(p), false;
    iv->args[0] = num;
    iv->n_args = 1;
    ol_sql_next(p);
    return true;
}

/* INTERVAL x UNIT, INTERVAL 'n UNIT'; the current token is INTERVAL. */
static ol_sql_expr_t *ol_sql_p_interval(ol_sql_parser_t *p)
{
    ol_sql_expr_t *iv = ol_sql_node(p, OL_SQL_E_INTERVAL, p->tok.pos, p->tok.end);
    if (!iv) return NULL;
    ol_sql_next(p);
    if (p->tok.kind == OL_SQL_T_STRING) {
        if (ol_sql_p_interval_string(p, iv)) {
            iv->end = p->prev.end;
            return ol_sql_seal(p, iv);
        }
        if (p->rc) return NULL;
    }
    ol_sql_expr_t *x = ol_sql_p_expr(p, 0);
    if (!x) return NULL;
    iv->unit = ol_sql_unit(&p->tok);
    if (iv->unit == OL_SQL_UNIT_NONE) return ol_sql_expected(p, "interval unit (SECOND, MINUTE, HOUR, DAY, ...)");
    ol_sql_next(p);
    iv->args = ol_arena_alloc(p->a, sizeof *iv->args);
    if (!iv->args) return ol_sql_nomem(p);
    iv->args[0] = x;
    iv->n_args = 1;
    iv->end = p->prev.end;
    return ol_sql_seal(p, iv);
}

/* A literal, name, call, bracketed or special form. */
static ol_sql_expr_t *ol_sql_p_primary(ol_sql_parser_t *p)
{
    ol_sql_token_t t = p->tok;
    ol_sql_expr_t *e;
    switch (t.kind) {
    case OL_SQL_T_NUMBER: return ol_sql_p_number(p);
    case OL_SQL_T_STRING: return ol_sql_p_string(p);
    case OL_SQL_T_LPAREN: return ol_sql_p_paren(p);
    case OL_SQL_T_LBRACKET: return ol_sql_p_array(p);
    case OL_SQL_T_LBRACE:
    case OL_SQL_T_QUESTION: return ol_sql_refuse(p, "query parameters are not supported");
    case OL_SQL_T_QUOTED:
        if (ol_sql_peek_is(p, OL_SQL_T_LPAREN)) return ol_sql_p_func(p);
        return ol_sql_p_column(p);
    case OL_SQL_T_WORD: break;
    default: return ol_sql_expected(p, "expression");
    }
    switch (t.kw) {
    case OL_SQL_KW_NULL:
    case OL_SQL_KW_TRUE:
    case OL_SQL_KW_FALSE:
        e = ol_sql_node(p, t.kw == OL_SQL_KW_NULL ? OL_SQL_E_NULL : OL_SQL_E_BOOL, t.pos, t.end);
        if (e) e->u = t.kw == OL_SQL_KW_TRUE;
        ol_sql_next(p);
        return e;
    case OL_SQL_KW_CASE: return ol_sql_p_case(p);
    case OL_SQL_KW_INTERVAL: return ol_sql_p_interval(p);
    case OL_SQL_KW_INF:
    case OL_SQL_KW_INFINITY:
    case OL_SQL_KW_NAN:
        if (ol_sql_peek_is(p, OL_SQL_T_LPAREN)) break;
        e = ol_sql_node(p, OL_SQL_E_FLOAT, t.pos, t.end);
        if (e) e->f = t.kw == OL_SQL_KW_NAN ? NAN : INFINITY;
        ol_sql_next(p);
        return e;
    default: break;
    }
    uint8_t roles = ol_sql_roles(&t);
    if (!(roles & R_FUNC) && ol_sql_peek_is(p, OL_SQL_T_LPAREN)) return ol_sql_p_func(p);
    if (roles & R_EXPR) return ol_sql_expected(p, "expression");
    return ol_sql_p_column(p);
}

/* An operand: prefix operators, then a primary. */
static ol_sql_expr_t *ol_sql_p_operand(ol_sql_parser_t *p)
{
    while (p->tok.kind == OL_SQL_T_PLUS) ol_sql_next(p); /* ClickHouse ignores a leading + */
    uint32_t pos = p->tok.pos;
    if (ol_sql_accept(p, OL_SQL_T_MINUS)) {
        ol_sql_expr_t *x = ol_sql_p_expr(p, 13);
        return x ? ol_sql_node_n(p, OL_SQL_E_UNARY, OL_SQL_OP_NEG, pos, 1, x, NULL, NULL) : NULL;
    }
    if (ol_sql_is_kw(p, OL_SQL_KW_NOT)) {
        ol_sql_expr_t *x;
        if (ol_sql_peek_is(p, OL_SQL_T_LPAREN)) {
            ol_sql_next(p);
            x = ol_sql_p_paren(p);
        } else {
            ol_sql_next(p);
            x = ol_sql_p_expr(p, 5);
        }
        return x ? ol_sql_node_n(p, OL_SQL_E_UNARY, OL_SQL_OP_NOT, pos, 1, x, NULL, NULL) : NULL;
    }
    return ol_sql_p_primary(p);
}

typedef enum {
    OL_SQL_X_NONE,
    OL_SQL_X_CHAIN,   /* OR, AND, || */
    OL_SQL_X_BINARY,  /* comparisons, arithmetic */
    OL_SQL_X_INTDIV,  /* DIV */
    OL_SQL_X_IS,      /* IS [NOT] NULL */
    OL_SQL_X_BETWEEN, /* [NOT] BETWEEN */
    OL_SQL_X_LIKE,    /* [NOT] LIKE, ILIKE */
    OL_SQL_X_IN,      /* [NOT] IN */
    OL_SQL_X_INDEX,   /* a[i] */
    OL_SQL_X_BADNOT   /* NOT followed by none of the above */
} ol_sql_infix_t;

typedef struct ol_sql_infix_op {
    ol_sql_infix_t kind;
    ol_sql_op_t op;
    int prec;
    bool negated; /* NOT IN, NOT LIKE, NOT BETWEEN: two tokens */
} ol_sql_infix_op_t;

static ol_sql_infix_op_t ol_sql_infix(const ol_sql_parser_t *p)
{
    ol_sql_infix_op_t x = {OL_SQL_X_NONE, OL_SQL_OP_NONE, 0, false};
    const ol_sql_token_t *t = &p->tok;
    switch (t->kind) {
    case OL_SQL_T_EQ: return (ol_sql_infix_op_t){OL_SQL_X_BINARY, OL_SQL_OP_EQ, 9, false};
    case OL_SQL_T_NE: return (ol_sql_infix_op_t){OL_SQL_X_BINARY, OL_SQL_OP_NE, 9, false};
    case OL_SQL_T_LT: return (ol_sql_infix_op_t){OL_SQL_X_BINARY, OL_SQL_OP_LT, 9, false};
    case OL_SQL_T_LE: return (ol_sql_infix_op_t){OL_SQL_X_BINARY, OL_SQL_OP_LE, 9, false};
    case OL_SQL_T_GT: return (ol_sql_infix_op_t){OL_SQL_X_BINARY, OL_SQL_OP_GT, 9, false};
    case OL_SQL_T_GE: return (ol_sql_infix_op_t){OL_SQL_X_BINARY, OL_SQL_OP_GE, 9, false};
    case OL_SQL_T_CONCAT: return (ol_sql_infix_op_t){OL_SQL_X_CHAIN, OL_SQL_OP_CONCAT, 10, false};
    case OL_SQL_T_PLUS: return (ol_sql_infix_op_t){OL_SQL_X_BINARY, OL_SQL_OP_ADD, 11, false};
    case OL_SQL_T_MINUS: return (ol_sql_infix_op_t){OL_SQL_X_BINARY, OL_SQL_OP_SUB, 11, false};
    case OL_SQL_T_STAR: return (ol_sql_infix_op_t){OL_SQL_X_BINARY, OL_SQL_OP_MUL, 12, false};
    case OL_SQL_T_SLASH: return (ol_sql_infix_op_t){OL_SQL_X_BINARY, OL_SQL_OP_DIV, 12, false};
    case OL_SQL_T_PERCENT: return (ol_sql_infix_op_t){OL_SQL_X_BINARY, OL_SQL_OP_MOD, 12, false};
    case OL_SQL_T_LBRACKET: return (ol_sql_infix_op_t){OL_SQL_X_INDEX, OL_SQL_OP_NONE, 14, false};
    case OL_SQL_T_WORD: break;
    default: return x;
    }
    switch (t->kw) {
    case OL_SQL_KW_OR: return (ol_sql_infix_op_t){OL_SQL_X_CHAIN, OL_SQL_OP_OR, 3, false};
    case OL_SQL_KW_AND: return (ol_sql_infix_op_t){OL_SQL_X_CHAIN, OL_SQL_OP_AND, 4, false};
    case OL_SQL_KW_IS: return (ol_sql_infix_op_t){OL_SQL_X_IS, OL_SQL_OP_NONE, 6, false};
    case OL_SQL_KW_BETWEEN: return (ol_sql_infix_op_t){OL_SQL_X_BETWEEN, OL_SQL_OP_NONE, 7, false};
    case OL_SQL_KW_LIKE: return (ol_sql_infix_op_t){OL_SQL_X_LIKE, OL_SQL_OP_LIKE, 9, false};
    case OL_SQL_KW_ILIKE: return (ol_sql_infix_op_t){OL_SQL_X_LIKE, OL_SQL_OP_ILIKE, 9, false};
    case OL_SQL_KW_IN: return (ol_sql_infix_op_t){OL_SQL_X_IN, OL_SQL_OP_NONE, 9, false};
    case OL_SQL_KW_MOD: return (ol_sql_infix_op_t){OL_SQL_X_BINARY, OL_SQL_OP_MOD, 12, false};
    case OL_SQL_KW_DIV: return (ol_sql_infix_op_t){OL_SQL_X_INTDIV, OL_SQL_OP_NONE, 12, false};
    case OL_SQL_KW_NOT: {
        ol_sql_token_t n = ol_sql_peek(p, 1);
        ol_sql_kw_t kw = n.kind == OL_SQL_T_WORD ? n.kw : OL_SQL_KW_NONE;
        if (kw == OL_SQL_KW_BETWEEN) return (ol_sql_infix_op_t){OL_SQL_X_BETWEEN, OL_SQL_OP_NONE, 7, true};
        if (kw == OL_SQL_KW_LIKE) return (ol_sql_infix_op_t){OL_SQL_X_LIKE, OL_SQL_OP_LIKE, 9, true};
        if (kw == OL_SQL_KW_ILIKE) return (ol_sql_infix_op_t){OL_SQL_X_LIKE, OL_SQL_OP_ILIKE, 9, true};
        if (kw == OL_SQL_KW_IN) return (ol_sql_infix_op_t){OL_SQL_X_IN, OL_SQL_OP_NONE, 9, true};
        return (ol_sql_infix_op_t){OL_SQL_X_BADNOT, OL_SQL_OP_NONE, 9, false};
    }
    default: return x;
    }
}

/* Operators that only appear after an operand and that the dialect refuses. */
static bool ol_sql_refused_infix(ol_sql_parser_t *p)
{
    switch (p->tok.kind) {
    case OL_SQL_T_ARROW: ol_sql_refuse(p, "lambda functions (->) are not supported"); return true;
    case OL_SQL_T_QUESTION:
        ol_sql_refuse(p, "the ternary operator ?: is not supported: use if(cond, then, else)");
        return true;
    case OL_SQL_T_DCOLON: ol_sql_refuse(p, "the :: cast is not supported: use CAST(x AS T)"); return true;
    default: break;
    }
    if (ol_sql_is_kw(p, OL_SQL_KW_GLOBAL)) {
        ol_sql_token_t n = ol_sql_peek(p, 1);
        if (ol_sql_tok_is_kw(&n, OL_SQL_KW_IN) || ol_sql_tok_is_kw(&n, OL_SQL_KW_NOT)) {
            ol_sql_refuse(p, "GLOBAL IN is not supported");
            return true;
        }
    }
    return false;
}

static bool ol_sql_at_chain_op(const ol_sql_parser_t *p, ol_sql_op_t op)
{
    switch (op) {
    case OL_SQL_OP_OR: return ol_sql_is_kw(p, OL_SQL_KW_OR);
    case OL_SQL_OP_AND: return ol_sql_is_kw(p, OL_SQL_KW_AND);
    default: return p->tok.kind == OL_SQL_T_CONCAT;
    }
}

/* first op b op c ... (the first op already read): a balanced tree, built
 * as a binary counter counts (st[] holds complete subtrees of 2^k
 * operands, largest first). */
static ol_sql_expr_t *ol_sql_p_chain(ol_sql_parser_t *p, ol_sql_expr_t *first, ol_sql_op_t op, int prec)
{
    struct {
        ol_sql_expr_t *e;
        uint64_t size;
    } st[40]; /* sizes are distinct powers of two, and a text holds fewer than 2^32 operands */
    int n = 0;
    st[n].e = first;
    st[n++].size = 1;
    do {
        ol_sql_expr_t *e = ol_sql_p_expr(p, prec + 1);
        if (!e) return NULL;
        uint64_t size = 1;
        while (n > 0 && st[n - 1].size == size) {
            e = ol_sql_binary(p, OL_SQL_E_BINARY, op, st[--n].e, e);
            if (!e) return NULL;
            size *= 2;
        }
        st[n].e = e;
        st[n++].size = size;
    } while (ol_sql_at_chain_op(p, op) && (ol_sql_next(p), true));
    ol_sql_expr_t *e = st[--n].e;
    while (n > 0) {
        e = ol_sql_binary(p, OL_SQL_E_BINARY, op, st[--n].e, e);
        if (!e) return NULL;
    }
    return e;
}

/* The operators of priority min_prec and above after left. */
static ol_sql_expr_t *ol_sql_p_infix(ol_sql_parser_t *p, ol_sql_expr_t *e, int min_prec)
{
    while (e && !p->rc) {
        if (ol_sql_refused_infix(p)) return NULL;
        ol_sql_infix_op_t x = ol_sql_infix(p);
        if (x.kind == OL_SQL_X_NONE || x.prec < min_prec) break;
        if (x.kind == OL_SQL_X_BADNOT) {
            ol_sql_next(p);
            return ol_sql_expected(p, "IN, LIKE, ILIKE or BETWEEN after NOT");
        }
        ol_sql_next(p);
        if (x.negated) ol_sql_next(p);
        ol_sql_expr_t *r, *r2;
        switch (x.kind) {
        case OL_SQL_X_CHAIN: e = ol_sql_p_chain(p, e, x.op, x.prec); break;
        case OL_SQL_X_BINARY:
            r = ol_sql_p_expr(p, x.prec + 1);
            e = r ? ol_sql_binary(p, OL_SQL_E_BINARY, x.op, e, r) : NULL;
            break;
        case OL_SQL_X_INTDIV:
            r = ol_sql_p_expr(p, x.prec + 1);
            e = r ? ol_sql_func2(p, "intDiv", r->end, 2, e, r) : NULL;
            break;
        case OL_SQL_X_LIKE:
        case OL_SQL_X_IN:
            r = ol_sql_p_expr(p, x.prec + 1);
            e = r ? ol_sql_binary(p, x.kind == OL_SQL_X_IN ? OL_SQL_E_IN : OL_SQL_E_LIKE, x.op, e, r) : NULL;
            if (e) e->negated = x.negated;
            break;
        case OL_SQL_X_IS: {
            bool neg = ol_sql_accept_kw(p, OL_SQL_KW_NOT);
            if (!ol_sql_is_kw(p, OL_SQL_KW_NULL)) return ol_sql_expected(p, neg ? "NULL" : "NULL or NOT NULL");
            ol_sql_next(p);
            e = ol_sql_func2(p, neg ? "isNotNull" : "isNull", p->prev.end, 1, e, NULL);
            break;
        }
        case OL_SQL_X_BETWEEN:
            r = ol_sql_p_expr(p, x.prec + 1);
            if (!r || !ol_sql_expect_kw(p, OL_SQL_KW_AND)) return NULL;
            r2 = ol_sql_p_expr(p, x.prec + 1);
            e = r2 ? ol_sql_node_n(p, OL_SQL_E_BETWEEN, OL_SQL_OP_NONE, e->pos, 3, e, r, r2) : NULL;
            if (e) e->negated = x.negated;
            break;
        case OL_SQL_X_INDEX:
            r = ol_sql_p_expr(p, 0);
            if (!r || !ol_sql_expect(p, OL_SQL_T_RBRACKET, "']'")) return NULL;
            e = ol_sql_binary(p, OL_SQL_E_INDEX, OL_SQL_OP_NONE, e, r);
            if (e) e->end = p->prev.end;
            break;
        default: return NULL;
        }
    }
    return p->rc ? NULL : e;
}

static ol_sql_expr_t *ol_sql_p_expr(ol_sql_parser_t *p, int min_prec)
{
    if (p->depth >= OL_SQL_MAX_DEPTH) return ol_sql_too_deep(p, p->tok.pos);
    p->depth++;
    ol_sql_expr_t *e = ol_sql_p_operand(p);
    e = e ? ol_sql_p_infix(p, e, min_prec) : NULL;
    p->depth--;
    return e;
}

/* ---- the statement ---- */

/* A keyword at a clause boundary that names something the dialect leaves
 * out; refuses it and returns true. */
static bool ol_sql_clause_refusal(ol_sql_parser_t *p)
{
    const ol_sql_token_t *t = &p->tok;
    if (t->kind == OL_SQL_T_SEMI || t->kind == OL_SQL_T_END) return false;
    if (t->kind != OL_SQL_T_WORD) return false;
    ol_sql_token_t n = ol_sql_peek(p, 1), n2 = ol_sql_peek(p, 2);
    switch (t->kw) {
    case OL_SQL_KW_ARRAY:
        if (!ol_sql_tok_is_kw(&n, OL_SQL_KW_JOIN)) return false;
        ol_sql_refuse(p, "ARRAY JOIN is not supported");
        return true;
    case OL_SQL_KW_LEFT:
    case OL_SQL_KW_INNER:
        if (ol_sql_tok_is_kw(&n, OL_SQL_KW_ARRAY) && ol_sql_tok_is_kw(&n2, OL_SQL_KW_JOIN)) {
            ol_sql_refuse(p, "ARRAY JOIN is not supported");
            return true;
        }
        /* fall through */
    case OL_SQL_KW_JOIN:
    case OL_SQL_KW_RIGHT:
    case OL_SQL_KW_FULL:
    case OL_SQL_KW_CROSS:
    case OL_SQL_KW_OUTER:
    case OL_SQL_KW_SEMI:
    case OL_SQL_KW_ANTI:
    case OL_SQL_KW_ASOF:
    case OL_SQL_KW_ANY:
    case OL_SQL_KW_ALL:
    case OL_SQL_KW_GLOBAL:
    case OL_SQL_KW_PASTE: ol_sql_refuse(p, "JOIN is not supported"); return true;
    case OL_SQL_KW_UNION:
    case OL_SQL_KW_INTERSECT:
    case OL_SQL_KW_EXCEPT:
    case OL_SQL_KW_SETTINGS:
    case OL_SQL_KW_FORMAT:
    case OL_SQL_KW_SAMPLE:
    case OL_SQL_KW_FINAL:
    case OL_SQL_KW_WINDOW:
    case OL_SQL_KW_QUALIFY: ol_sql_refuse(p, "%s is not supported", ol_sql_kw_name(t->kw)); return true;
    case OL_SQL_KW_INTO: ol_sql_refuse(p, "INTO OUTFILE is not allowed: the query language is read-only"); return true;
    case OL_SQL_KW_WITH:
        if (n.kind == OL_SQL_T_WORD && (n.kw == OL_SQL_KW_TOTALS || n.kw == OL_SQL_KW_ROLLUP ||
                                        n.kw == OL_SQL_KW_CUBE || n.kw == OL_SQL_KW_FILL || n.kw == OL_SQL_KW_TIES))
            ol_sql_refuse(p, "WITH %s is not supported", ol_sql_kw_name(n.kw));
        else
            ol_sql_refuse(p, "WITH is not supported");
        return true;
    default: return false;
    }
}

/* At a clause boundary: a refusal by name if the token is one, else a
 * syntax error expecting what. */
static void *ol_sql_expected_clause(ol_sql_parser_t *p, const char *what)
{
    if (ol_sql_clause_refusal(p)) return NULL;
    return ol_sql_expected(p, what);
}

/* An identifier as an alias: after AS any word or quoted name; without AS
 * a quoted name or a word that is not reserved there. */
static bool ol_sql_p_alias(ol_sql_parser_t *p, ol_slice_t *alias)
{
    bool as = ol_sql_accept_kw(p, OL_SQL_KW_AS);
    const ol_sql_token_t *t = &p->tok;
    bool ok = t->kind == OL_SQL_T_QUOTED || (t->kind == OL_SQL_T_WORD && (as || !(ol_sql_roles(t) & R_ALIAS)));
    if (!ok) {
        if (as) ol_sql_expected(p, "alias");
        return !as;
    }
    if (!ol_sql_tok_name(p, t, alias)) return false;
    if (!as && t->kind == OL_SQL_T_WORD) p->bare_alias = *t;
    ol_sql_next(p);
    return true;
}

/* FORM, FRM, FROMM, RFOM: one edit, or one swap of neighbours, away from FROM. */
static bool ol_sql_near_from(ol_slice_t s)
{
    static const char from[] = "FROM";
    if (s.len < 3 || s.len > 5) return false;
    uint8_t u[5], d[6][5];
    for (size_t i = 0; i < s.len; i++) u[i] = s.ptr[i] >= 'a' && s.ptr[i] <= 'z' ? (uint8_t)(s.ptr[i] - 32) : s.ptr[i];
    for (size_t i = 0; i <= s.len; i++) d[i][0] = (uint8_t)i;
    for (size_t j = 0; j <= 4; j++) d[0][j] = (uint8_t)j;
    for (size_t i = 1; i <= s.len; i++) {
        for (size_t j = 1; j <= 4; j++) {
            uint8_t best = (uint8_t)(d[i - 1][j - 1] + (u[i - 1] != (uint8_t)from[j - 1]));
            best = OL_MIN(best, (uint8_t)(d[i - 1][j] + 1));
            best = OL_MIN(best, (uint8_t)(d[i][j - 1] + 1));
            if (i > 1 && j > 1 && u[i - 1] == (uint8_t)from[j - 2] && u[i - 2] == (uint8_t)from[j - 1])
                best = OL_MIN(best, (uint8_t)(d[i - 2][j - 2] + 1));
            d[i][j] = best;
        }
    }
    return d[s.len][4] == 1;
}

static bool ol_sql_p_select_item(ol_sql_parser_t *p, ol_sql_vec_t *items)
{
    ol_sql_select_item_t it = {0};
    p->bare_alias.kind = OL_SQL_T_END;
    it.pos = p->tok.pos;
    if (p->tok.kind == OL_SQL_T_STAR) {
        it.expr = ol_sql_node(p, OL_SQL_E_STAR, p->tok.pos, p->tok.end);
        ol_sql_next(p);
    } else {
        it.expr = ol_sql_p_expr(p, 0);
        if (it.expr && !ol_sql_p_alias(p, &it.alias)) return false;
    }
    if (!it.expr) return false;
    it.end = p->prev.end;
    return ol_sql_vec_push(p, items, &it, sizeof it);
}

static bool ol_sql_p_table(ol_sql_parser_t *p, ol_sql_select_t *s)
{
    const ol_sql_token_t *t = &p->tok;
    if (t->kind == OL_SQL_T_LPAREN) {
        ol_sql_token_t n = ol_sql_peek(p, 1);
        if (ol_sql_tok_is_kw(&n, OL_SQL_KW_SELECT) || ol_sql_tok_is_kw(&n, OL_SQL_KW_WITH))
            return ol_sql_refuse(p, "subqueries are not supported"), false;
    }
    if (t->kind != OL_SQL_T_QUOTED && (t->kind != OL_SQL_T_WORD || (ol_sql_roles(t) & R_EXPR)))
        return ol_sql_expected(p, "table name"), false;
    if (ol_sql_peek_is(p, OL_SQL_T_LPAREN)) return ol_sql_refuse(p, "table functions are not allowed"), false;
    s->table_pos = t->pos;
    if (!ol_sql_tok_name(p, t, &s->table)) return false;
    ol_sql_next(p);
    if (ol_sql_accept(p, OL_SQL_T_DOT)) {
        if (t->kind != OL_SQL_T_WORD && t->kind != OL_SQL_T_QUOTED) return ol_sql_expected(p, "table name"), false;
        if (ol_sql_peek_is(p, OL_SQL_T_LPAREN)) return ol_sql_refuse(p, "table functions are not allowed"), false;
        s->database = s->table;
        if (!ol_sql_tok_name(p, t, &s->table)) return false;
        ol_sql_next(p);
    }
    if (!ol_sql_p_alias(p, &s->table_alias)) return false;
    if (t->kind == OL_SQL_T_COMMA) return ol_sql_refuse(p, "JOIN is not supported"), false;
    return true;
}

static bool ol_sql_p_expr_list(ol_sql_parser_t *p, ol_sql_expr_t ***out, uint32_t *n)
{
    ol_sql_vec_t list = {0};
    do {
        ol_sql_expr_t *e = ol_sql_p_expr(p, 0);
        if (!e || !ol_sql_push_expr(p, &list, e)) return false;
    } while (ol_sql_accept(p, OL_SQL_T_COMMA));
    *out = list.v;
    *n = list.n;
    return true;
}

static bool ol_sql_p_group_by(ol_sql_parser_t *p, ol_sql_select_t *s)
{
    if (!ol_sql_expect_kw(p, OL_SQL_KW_BY)) return false;
    ol_sql_token_t n = ol_sql_peek(p, 1);
    if (ol_sql_is_kw(p, OL_SQL_KW_ALL)) return ol_sql_refuse(p, "GROUP BY ALL is not supported"), false;
    if (ol_sql_is_kw(p, OL_SQL_KW_GROUPING) && ol_sql_tok_is_kw(&n, OL_SQL_KW_SETS))
        return ol_sql_refuse(p, "GROUPING SETS is not supported"), false;
    if ((ol_sql_is_kw(p, OL_SQL_KW_ROLLUP) || ol_sql_is_kw(p, OL_SQL_KW_CUBE)) && n.kind == OL_SQL_T_LPAREN)
        return ol_sql_refuse(p, "GROUP BY %s is not supported", ol_sql_kw_name(p->tok.kw)), false;
    return ol_sql_p_expr_list(p, &s->group_by, &s->n_group_by);
}

static bool ol_sql_p_order_by(ol_sql_parser_t *p, ol_sql_select_t *s)
{
    if (!ol_sql_expect_kw(p, OL_SQL_KW_BY)) return false;
    if (ol_sql_is_kw(p, OL_SQL_KW_ALL)) return ol_sql_refuse(p, "ORDER BY ALL is not supported"), false;
    ol_sql_vec_t list = {0};
    do {
        ol_sql_order_item_t it = {0};
        it.expr = ol_sql_p_expr(p, 0);
        if (!it.expr) return false;
        if (ol_sql_accept_kw(p, OL_SQL_KW_DESC) || ol_sql_accept_kw(p, OL_SQL_KW_DESCENDING))
            it.desc = true;
        else if (!ol_sql_accept_kw(p, OL_SQL_KW_ASC))
            ol_sql_accept_kw(p, OL_SQL_KW_ASCENDING);
        if (ol_sql_is_kw(p, OL_SQL_KW_NULLS)) return ol_sql_refuse(p, "NULLS FIRST|LAST is not supported"), false;
        if (ol_sql_is_kw(p, OL_SQL_KW_COLLATE)) return ol_sql_refuse(p, "COLLATE is not supported"), false;
        if (!ol_sql_vec_push(p, &list, &it, sizeof it)) return false;
    } while (ol_sql_accept(p, OL_SQL_T_COMMA));
    s->order_by = list.v;
    s->n_order_by = list.n;
    return true;
}

static bool ol_sql_p_count(ol_sql_parser_t *p, uint64_t *v)
{
    if (p->tok.kind != OL_SQL_T_NUMBER || (p->tok.flags & OL_SQL_TF_FLOAT)) return ol_sql_expected(p, "integer"), false;
    ol_sql_expr_t e = {0};
    if (!ol_sql_number_value(p, (const uint8_t *)p->sql + p->tok.pos, p->tok.end - p->tok.pos, p->tok.flags, p->tok.pos,
                             &e))
        return false;
    if (e.kind != OL_SQL_E_INT) return ol_sql_expected(p, "integer below 2^64"), false;
    *v = e.u;
    ol_sql_next(p);
    return true;
}

static bool ol_sql_p_limit(ol_sql_parser_t *p, ol_sql_select_t *s)
{
    uint64_t a;
    if (!ol_sql_p_count(p, &a)) return false;
    s->has_limit = true;
    s->limit = a;
    if (ol_sql_accept(p, OL_SQL_T_COMMA)) {
        s->has_offset = true;
        s->offset = a;
        if (!ol_sql_p_count(p, &s->limit)) return false;
    } else if (ol_sql_accept_kw(p, OL_SQL_KW_OFFSET)) {
        s->has_offset = true;
        if (!ol_sql_p_count(p, &s->offset)) return false;
    }
    if (ol_sql_is_kw(p, OL_SQL_KW_BY)) return ol_sql_refuse(p, "LIMIT BY is not supported"), false;
    return true;
}

/* The statement keyword, when it is not SELECT. */
static void *ol_sql_p_not_select(ol_sql_parser_t *p)
{
    if (p->tok.kind == OL_SQL_T_WORD) {
        const char *kw = ol_sql_kw_name(p->tok.kw);
        for (size_t i = 0; i < OL_ARRAY_LEN(ol_sql_writes); i++)
            if (p->tok.kw == ol_sql_writes[i])
                return ol_sql_refuse(p, "%s is not allowed: the query language is read-only", kw);
        for (size_t i = 0; i < OL_ARRAY_LEN(ol_sql_reads); i++)
            if (p->tok.kw == ol_sql_reads[i])
                return ol_sql_refuse(p, "%s is not supported: only SELECT queries are", kw);
        if (p->tok.kw == OL_SQL_KW_WITH) return ol_sql_refuse(p, "WITH is not supported");
    }
    return ol_sql_expected(p, "SELECT");
}

static ol_sql_select_t *ol_sql_p_statement(ol_sql_parser_t *p)
{
    if (!ol_sql_is_kw(p, OL_SQL_KW_SELECT)) return ol_sql_p_not_select(p);
    ol_sql_next(p);
    ol_sql_select_t *s = ol_arena_calloc(p->a, sizeof *s);
    if (!s) return ol_sql_nomem(p);
    ol_sql_token_t after = ol_sql_peek(p, 1);
    if (ol_sql_is_kw(p, OL_SQL_KW_DISTINCT) && ol_sql_tok_is_kw(&after, OL_SQL_KW_ON))
        return ol_sql_refuse(p, "DISTINCT ON is not supported");
    if (ol_sql_accept_kw(p, OL_SQL_KW_DISTINCT))
        s->distinct = true;
    else
        ol_sql_accept_kw(p, OL_SQL_KW_ALL);
    if (ol_sql_is_kw(p, OL_SQL_KW_TOP) && ol_sql_peek_is(p, OL_SQL_T_NUMBER))
        return ol_sql_refuse(p, "TOP is not supported: use LIMIT");

    ol_sql_vec_t items = {0};
    do {
        if (!ol_sql_p_select_item(p, &items)) return NULL;
    } while (ol_sql_accept(p, OL_SQL_T_COMMA));
    s->items = items.v;
    s->n_items = items.n;
    if (!ol_sql_accept_kw(p, OL_SQL_KW_FROM)) {
        /* SELECT x FORM t reads FORM as x's alias; the error is better put there */
        if (p->bare_alias.kind == OL_SQL_T_WORD && !ol_sql_clause_refusal(p) &&
            ol_sql_near_from(ol_sql_tok_slice(p, &p->bare_alias)))
            return ol_sql_expected_at(p, &p->bare_alias, "FROM");
        return ol_sql_expected_clause(p, "FROM");
    }
    if (!ol_sql_p_table(p, s)) return NULL;

    ol_sql_expr_t *prewhere = NULL;
    if (ol_sql_accept_kw(p, OL_SQL_KW_PREWHERE) && !(prewhere = ol_sql_p_expr(p, 0))) return NULL;
    if (ol_sql_accept_kw(p, OL_SQL_KW_WHERE) && !(s->where = ol_sql_p_expr(p, 0))) return NULL;
    if (prewhere && s->where) {
        s->where = ol_sql_binary(p, OL_SQL_E_BINARY, OL_SQL_OP_AND, prewhere, s->where);
        if (!s->where) return NULL;
    } else if (prewhere) {
        s->where = prewhere;
    }
    if (ol_sql_accept_kw(p, OL_SQL_KW_GROUP) && !ol_sql_p_group_by(p, s)) return NULL;
    if (ol_sql_accept_kw(p, OL_SQL_KW_HAVING) && !(s->having = ol_sql_p_expr(p, 0))) return NULL;
    if (ol_sql_accept_kw(p, OL_SQL_KW_ORDER) && !ol_sql_p_order_by(p, s)) return NULL;
    if (ol_sql_accept_kw(p, OL_SQL_KW_LIMIT) && !ol_sql_p_limit(p, s)) return NULL;

    if (p->tok.kind == OL_SQL_T_SEMI) {
        while (ol_sql_accept(p, OL_SQL_T_SEMI)) {}
        if (p->tok.kind != OL_SQL_T_END && !p->rc) return ol_sql_refuse(p, "multiple statements are not supported");
    }
    if (p->tok.kind != OL_SQL_T_END) return ol_sql_expected_clause(p, "end of query");
    return p->rc ? NULL : s;
}

int ol_sql_parse(const char *sql, size_t len, ol_arena_t *a, ol_sql_select_t **out, ol_err_t *err)
{
    ol_err_t scratch;
    if (!err) err = &scratch;
    *out = NULL;
    if (len > OL_SQL_MAX_QUERY_BYTES) {
        ol_err_set(err, "the query is %zu bytes long, more than the limit of %u", len, OL_SQL_MAX_QUERY_BYTES);
        return OL_LIMIT;
    }
    if (!sql) {
        sql = "";
        len = 0;
    }
    ol_sql_parser_t p = {.sql = sql, .len = (uint32_t)len, .a = a, .err = err};
    ol_sql_lex_init(&p.lx, sql, len);
    ol_sql_next(&p);
    ol_sql_select_t *s = p.rc ? NULL : ol_sql_p_statement(&p);
    if (p.rc) return p.rc;
    if (OL_NEVER(!s)) return OL_ERR;
    *out = s;
    return OL_OK;
}

/* ---- debug rendering ---- */

static void ol_sql_print_string(ol_buf_t *o, ol_slice_t s)
{
    ol_buf_append_u8(o, '\'');
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.ptr[i];
        if (c == '\'' || c == '\\') {
            ol_buf_append_u8(o, '\\');
            ol_buf_append_u8(o, c);
        } else if (c < 0x20 || c == 0x7F) {
            ol_buf_printf(o, "\\x%02X", c);
        } else {
            ol_buf_append_u8(o, c);
        }
    }
    ol_buf_append_u8(o, '\'');
}

static void ol_sql_print_float(ol_buf_t *o, double f)
{
    if (isnan(f)) {
        ol_buf_append_cstr(o, "nan");
        return;
    }
    if (isinf(f)) {
        ol_buf_append_cstr(o, f < 0 ? "-inf" : "inf");
        return;
    }
    char buf[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, f);
        if (strtod(buf, NULL) == f) break;
    }
    ol_buf_append_cstr(o, buf);
    if (!strpbrk(buf, ".e")) ol_buf_append_cstr(o, ".0");
}

static void ol_sql_print_list(ol_buf_t *o, ol_sql_expr_t *const *a, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        ol_buf_append_u8(o, ' ');
        ol_sql_expr_print(a[i], o);
    }
}

static const char *ol_sql_op_symbol(ol_sql_op_t op)
{
    switch (op) {
    case OL_SQL_OP_OR: return "or";
    case OL_SQL_OP_AND: return "and";
    case OL_SQL_OP_NOT: return "not";
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
    case OL_SQL_OP_NEG: return "neg";
    case OL_SQL_OP_LIKE: return "like";
    case OL_SQL_OP_ILIKE: return "ilike";
    default: return "?";
    }
}

static const char *const ol_sql_unit_names[] = {
    [OL_SQL_UNIT_NONE] = "?",        [OL_SQL_UNIT_NANOSECOND] = "nanosecond", [OL_SQL_UNIT_MICROSECOND] = "microsecond",
    [OL_SQL_UNIT_MILLISECOND] = "millisecond", [OL_SQL_UNIT_SECOND] = "second", [OL_SQL_UNIT_MINUTE] = "minute",
    [OL_SQL_UNIT_HOUR] = "hour",     [OL_SQL_UNIT_DAY] = "day",               [OL_SQL_UNIT_WEEK] = "week",
    [OL_SQL_UNIT_MONTH] = "month",   [OL_SQL_UNIT_QUARTER] = "quarter",       [OL_SQL_UNIT_YEAR] = "year",
};

void ol_sql_expr_print(const ol_sql_expr_t *e, ol_buf_t *o)
{
    if (!e) {
        ol_buf_append_cstr(o, "nil");
        return;
    }
    switch (e->kind) {
    case OL_SQL_E_COLUMN: ol_buf_append_slice(o, e->name); return;
    case OL_SQL_E_STAR: ol_buf_append_u8(o, '*'); return;
    case OL_SQL_E_INT: ol_buf_printf(o, "%llu", (unsigned long long)e->u); return;
    case OL_SQL_E_FLOAT: ol_sql_print_float(o, e->f); return;
    case OL_SQL_E_STRING: ol_sql_print_string(o, e->str); return;
    case OL_SQL_E_NULL: ol_buf_append_cstr(o, "NULL"); return;
    case OL_SQL_E_BOOL: ol_buf_append_cstr(o, e->u ? "true" : "false"); return;
    default: break;
    }
    ol_buf_append_u8(o, '(');
    switch (e->kind) {
    case OL_SQL_E_ARRAY: ol_buf_append_cstr(o, "array"); break;
    case OL_SQL_E_TUPLE: ol_buf_append_cstr(o, "tuple"); break;
    case OL_SQL_E_FUNC:
        ol_buf_append_slice(o, e->name);
        if (e->distinct) ol_buf_append_cstr(o, " distinct");
        if (e->has_params) {
            ol_buf_append_cstr(o, " (params");
            ol_sql_print_list(o, e->params, e->n_params);
            ol_buf_append_u8(o, ')');
        }
        break;
    case OL_SQL_E_UNARY:
    case OL_SQL_E_BINARY: ol_buf_append_cstr(o, ol_sql_op_symbol(e->op)); break;
    case OL_SQL_E_IN: ol_buf_append_cstr(o, e->negated ? "not-in" : "in"); break;
    case OL_SQL_E_BETWEEN: ol_buf_append_cstr(o, e->negated ? "not-between" : "between"); break;
    case OL_SQL_E_LIKE:
        if (e->negated) ol_buf_append_cstr(o, "not-");
        ol_buf_append_cstr(o, ol_sql_op_symbol(e->op));
        break;
    case OL_SQL_E_INDEX: ol_buf_append_cstr(o, "index"); break;
    case OL_SQL_E_INTERVAL:
        ol_buf_append_cstr(o, "interval");
        ol_sql_print_list(o, e->args, e->n_args);
        ol_buf_printf(o, " %s)", e->unit < OL_ARRAY_LEN(ol_sql_unit_names) ? ol_sql_unit_names[e->unit] : "?");
        return;
    case OL_SQL_E_CASE: {
        ol_buf_append_cstr(o, "case");
        uint32_t i = 0, end = e->n_args;
        if (e->has_else && end) end--;
        if (e->has_operand && i < end) {
            ol_buf_append_u8(o, ' ');
            ol_sql_expr_print(e->args[i++], o);
        }
        for (; i + 2 <= end; i += 2) {
            ol_buf_append_cstr(o, " (when ");
            ol_sql_expr_print(e->args[i], o);
            ol_buf_append_u8(o, ' ');
            ol_sql_expr_print(e->args[i + 1], o);
            ol_buf_append_u8(o, ')');
        }
        if (e->has_else && e->n_args) {
            ol_buf_append_cstr(o, " (else ");
            ol_sql_expr_print(e->args[e->n_args - 1], o);
            ol_buf_append_u8(o, ')');
        }
        ol_buf_append_u8(o, ')');
        return;
    }
    default: ol_buf_append_cstr(o, "?"); break;
    }
    ol_sql_print_list(o, e->args, e->n_args);
    ol_buf_append_u8(o, ')');
}

static void ol_sql_print_name(ol_buf_t *o, ol_slice_t s)
{
    ol_buf_append_u8(o, '`');
    ol_buf_append_slice(o, s);
    ol_buf_append_u8(o, '`');
}

void ol_sql_select_print(const ol_sql_select_t *s, ol_buf_t *o)
{
    ol_buf_append_cstr(o, s->distinct ? "(select distinct" : "(select");
    for (uint32_t i = 0; i < s->n_items; i++) {
        ol_buf_append_u8(o, ' ');
        if (s->items[i].alias.len) {
            ol_buf_append_cstr(o, "(as ");
            ol_sql_expr_print(s->items[i].expr, o);
            ol_buf_append_u8(o, ' ');
            ol_sql_print_name(o, s->items[i].alias);
            ol_buf_append_u8(o, ')');
        } else {
            ol_sql_expr_print(s->items[i].expr, o);
        }
    }
    ol_buf_append_cstr(o, ") (from ");
    if (s->database.len) {
        ol_sql_print_name(o, s->database);
        ol_buf_append_u8(o, '.');
    }
    ol_sql_print_name(o, s->table);
    if (s->table_alias.len) {
        ol_buf_append_cstr(o, " as ");
        ol_sql_print_name(o, s->table_alias);
    }
    ol_buf_append_u8(o, ')');
    if (s->where) {
        ol_buf_append_cstr(o, " (where ");
        ol_sql_expr_print(s->where, o);
        ol_buf_append_u8(o, ')');
    }
    if (s->n_group_by) {
        ol_buf_append_cstr(o, " (group-by");
        ol_sql_print_list(o, s->group_by, s->n_group_by);
        ol_buf_append_u8(o, ')');
    }
    if (s->having) {
        ol_buf_append_cstr(o, " (having ");
        ol_sql_expr_print(s->having, o);
        ol_buf_append_u8(o, ')');
    }
    if (s->n_order_by) {
        ol_buf_append_cstr(o, " (order-by");
        for (uint32_t i = 0; i < s->n_order_by; i++) {
            ol_buf_append_u8(o, ' ');
            if (s->order_by[i].desc) ol_buf_append_cstr(o, "(desc ");
            ol_sql_expr_print(s->order_by[i].expr, o);
            if (s->order_by[i].desc) ol_buf_append_u8(o, ')');
        }
        ol_buf_append_u8(o, ')');
    }
    if (s->has_limit) ol_buf_printf(o, " (limit %llu)", (unsigned long long)s->limit);
    if (s->has_offset) ol_buf_printf(o, " (offset %llu)", (unsigned long long)s->offset);
}
