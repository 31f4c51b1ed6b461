/*
 * ast.h - the syntax tree of Olly's SQL dialect, as the parser (parse.c)
 * builds it from the tokens of lex.c.
 *
 * The dialect is a read-only subset of ClickHouse SQL: one SELECT over one
 * table (docs/sql.md). The tree is plain data in the query's arena; nothing
 * here knows tables, types or functions: names are resolved by bind.c.
 * Every node records where it came from (byte offsets into the query text),
 * so later errors can point at the text too.
 *
 * Operators are kept as themselves (OL_SQL_OP_*); the binder maps them to
 * ClickHouse's function names (plus, equals, like, ...), as ClickHouse does.
 * A run of OR, AND or || is a balanced tree of BINARY nodes (flatten
 * children with the same op to get ClickHouse's one n-ary call). The forms
 * with no node of their own arrive as the FUNC ClickHouse rewrites them to:
 * a IS [NOT] NULL is isNull(a) / isNotNull(a), a DIV b is intDiv(a, b),
 * CAST(x AS T) is CAST(x, 'T'), position(a IN b) is position(b, a).
 */
#ifndef OL_SQL_AST_H
#define OL_SQL_AST_H

#include "core/arena.h"
#include "core/buf.h"
#include "core/common.h"

typedef enum {
    OL_SQL_E_COLUMN,   /* name: an identifier, possibly dotted (`Events.Name`, `otel_traces.Duration`) */
    OL_SQL_E_STAR,     /* `*` (select list, count(*)) */
    OL_SQL_E_INT,      /* u: an unsigned integer literal (a leading minus is OL_SQL_OP_NEG) */
    OL_SQL_E_FLOAT,    /* f: a floating literal (1.5, 1e3, inf, nan) */
    OL_SQL_E_STRING,   /* str: a string literal, escapes resolved */
    OL_SQL_E_NULL,     /* NULL (parsed so the binder can refuse it clearly) */
    OL_SQL_E_BOOL,     /* u: true (1) / false (0) */
    OL_SQL_E_ARRAY,    /* [a, b, ...]: args */
    OL_SQL_E_TUPLE,    /* (a, b, ...) with two or more elements: args (IN lists) */
    OL_SQL_E_FUNC,     /* name(args) or name(params)(args): parametric aggregates such as quantile(0.9)(x);
                          distinct set for f(DISTINCT x) */
    OL_SQL_E_UNARY,    /* op (NEG, NOT), args[0] */
    OL_SQL_E_BINARY,   /* op, args[0] op args[1] */
    OL_SQL_E_IN,       /* args[0] [NOT] IN args[1] (a TUPLE, an ARRAY, or one expression) */
    OL_SQL_E_BETWEEN,  /* args[0] [NOT] BETWEEN args[1] AND args[2] */
    OL_SQL_E_LIKE,     /* args[0] [NOT] LIKE|ILIKE args[1]; op is LIKE or ILIKE */
    OL_SQL_E_INDEX,    /* args[0][args[1]] (map value, array element) */
    OL_SQL_E_INTERVAL, /* INTERVAL args[0] unit: unit set */
    OL_SQL_E_CASE      /* CASE [args[0] when has_operand] WHEN w THEN t ... [ELSE e] END:
                          args = [operand?] w1 t1 w2 t2 ... [else]; has_else tells */
} ol_sql_expr_kind_t;

typedef enum {
    OL_SQL_OP_NONE = 0,
    OL_SQL_OP_OR, OL_SQL_OP_AND, OL_SQL_OP_NOT,
    OL_SQL_OP_EQ, OL_SQL_OP_NE, OL_SQL_OP_LT, OL_SQL_OP_LE, OL_SQL_OP_GT, OL_SQL_OP_GE,
    OL_SQL_OP_ADD, OL_SQL_OP_SUB, OL_SQL_OP_MUL, OL_SQL_OP_DIV, OL_SQL_OP_MOD,
    OL_SQL_OP_CONCAT, /* || */
    OL_SQL_OP_NEG,
    OL_SQL_OP_LIKE, OL_SQL_OP_ILIKE
} ol_sql_op_t;

typedef enum {
    OL_SQL_UNIT_NONE = 0,
    OL_SQL_UNIT_NANOSECOND, OL_SQL_UNIT_MICROSECOND, OL_SQL_UNIT_MILLISECOND, OL_SQL_UNIT_SECOND,
    OL_SQL_UNIT_MINUTE, OL_SQL_UNIT_HOUR, OL_SQL_UNIT_DAY, OL_SQL_UNIT_WEEK, OL_SQL_UNIT_MONTH,
    OL_SQL_UNIT_QUARTER, OL_SQL_UNIT_YEAR
} ol_sql_unit_t;

typedef struct ol_sql_expr ol_sql_expr_t;
struct ol_sql_expr {
    ol_sql_expr_kind_t kind;
    ol_sql_op_t op;
    ol_sql_unit_t unit;
    bool negated;     /* NOT IN, NOT BETWEEN, NOT LIKE */
    bool distinct;    /* f(DISTINCT x) */
    bool has_operand; /* CASE x WHEN ... */
    bool has_else;
    bool parenthesized;
    uint32_t pos, end; /* byte offsets of the node's text: [pos, end) */
    ol_slice_t name;   /* COLUMN, FUNC: as written (backquotes removed) */
    ol_slice_t str;    /* STRING: the value (points into the arena or the query) */
    uint64_t u;        /* INT, BOOL */
    double f;          /* FLOAT */
    ol_sql_expr_t **args;
    uint32_t n_args;
    ol_sql_expr_t **params; /* FUNC: the first parenthesised list of name(params)(args) */
    uint32_t n_params;
    bool has_params;        /* name(...)(...) was written, even with an empty first list */
    uint32_t height;        /* levels of the subtree, 1 for a leaf; never above OL_SQL_MAX_DEPTH */
};

typedef struct ol_sql_select_item {
    ol_sql_expr_t *expr;
    ol_slice_t alias; /* empty when none */
    uint32_t pos, end;
} ol_sql_select_item_t;

typedef struct ol_sql_order_item {
    ol_sql_expr_t *expr;
    bool desc;
} ol_sql_order_item_t;

typedef struct ol_sql_select {
    bool distinct;                 /* SELECT DISTINCT */
    ol_sql_select_item_t *items;
    uint32_t n_items;
    ol_slice_t database;           /* FROM db.table: db (empty when not given) */
    ol_slice_t table;
    uint32_t table_pos;
    ol_slice_t table_alias;        /* FROM t AS x / FROM t x: x (empty when none) */
    ol_sql_expr_t *where;          /* NULL when absent; PREWHERE is accepted as WHERE (both: ANDed) */
    ol_sql_expr_t **group_by;
    uint32_t n_group_by;
    ol_sql_expr_t *having;
    ol_sql_order_item_t *order_by;
    uint32_t n_order_by;
    bool has_limit, has_offset;
    uint64_t limit, offset;        /* LIMIT n, LIMIT m, n / LIMIT n OFFSET m */
} ol_sql_select_t;

/* Limits on what one query text may hold, so hostile input cannot exhaust
 * the stack or memory: nesting depth of expressions, and the text length. */
#define OL_SQL_MAX_DEPTH 64
#define OL_SQL_MAX_QUERY_BYTES (256u << 10)

/* Parses one SELECT (an optional trailing `;` allowed). Allocates from a.
 * OL_OK; OL_CORRUPT on a syntax error, with err saying where and what was
 * expected, e.g. "syntax error at line 1, column 15: expected FROM, got
 * 'FORM'"; OL_LIMIT when the text or its nesting exceeds the limits above;
 * OL_NOMEM. Statements other than SELECT (INSERT, ALTER, ...) and the
 * clauses Olly does not run (JOIN, UNION, WITH, SETTINGS, FORMAT, INTO
 * OUTFILE, table functions) are refused by name ("INSERT is not allowed:
 * the query language is read-only"). */
int ol_sql_parse(const char *sql, size_t len, ol_arena_t *a, ol_sql_select_t **out, ol_err_t *err);

/* Line and column (both from 1) of byte offset pos in the text. Columns
 * count characters (UTF-8 sequences), not bytes. */
void ol_sql_text_position(const char *sql, size_t len, uint32_t pos, uint32_t *line, uint32_t *col);

/* Debug renderings, for tests and fuzzing: the tree as an S-expression
 * ((+ a (* b 2)), (count distinct x), (quantile (params 0.9) Duration)), and
 * the whole query as one line of clauses. */
void ol_sql_expr_print(const ol_sql_expr_t *e, ol_buf_t *out);
void ol_sql_select_print(const ol_sql_select_t *s, ol_buf_t *out);

#endif
