/*
 * plan.h - a bound query: what bind.c makes of the syntax tree and exec.c,
 * agg.c run.
 *
 * Binding resolves every name (aliases first, as ClickHouse does, then the
 * table's columns), gives every node its type, folds constant subtrees into
 * constant vectors, turns `Map['key']` with a constant key into a map-key
 * column the scan fills directly, and splits an aggregate query into what
 * runs per row (group keys, aggregate arguments) and what runs per group
 * (the select list, HAVING and ORDER BY over "slots": the group keys, then
 * the aggregates' results).
 */
#ifndef OL_SQL_PLAN_H
#define OL_SQL_PLAN_H

#include "sql/ast.h"
#include "sql/sql.h"
#include "sql/table.h"

typedef enum {
    OL_SQL_N_CONST, /* cval */
    OL_SQL_N_COL,   /* index: table column */
    OL_SQL_N_KEY,   /* index: map key column (plan.keys) */
    OL_SQL_N_SLOT,  /* index: slot of the grouped frame */
    OL_SQL_N_FUNC   /* fn(args) */
} ol_sql_node_kind_t;

typedef struct ol_sql_node ol_sql_node_t;
struct ol_sql_node {
    ol_sql_node_kind_t kind;
    ol_sql_type_t type;
    uint32_t index;
    ol_sql_vec_t cval;
    const ol_sql_func_t *fn;
    ol_sql_node_t **args;
    uint32_t n_args;
    const ol_sql_expr_t *src;
};

typedef enum {
    OL_SQL_AGG_COUNT, OL_SQL_AGG_SUM, OL_SQL_AGG_AVG, OL_SQL_AGG_MIN, OL_SQL_AGG_MAX,
    OL_SQL_AGG_ANY, OL_SQL_AGG_ANY_LAST, OL_SQL_AGG_UNIQ, OL_SQL_AGG_QUANTILE, OL_SQL_AGG_QUANTILE_EXACT,
    OL_SQL_AGG_ARG_MIN, OL_SQL_AGG_ARG_MAX
} ol_sql_agg_kind_t;

#define OL_SQL_MAX_LEVELS 32

typedef struct ol_sql_agg {
    ol_sql_agg_kind_t kind;
    ol_sql_type_t type;       /* result */
    ol_sql_type_t arg_type;   /* args[0]'s */
    ol_sql_node_t *args[2];   /* argMin/argMax: value, key; count(): none */
    uint32_t n_args;
    ol_sql_node_t *cond;      /* -If combinator */
    double levels[OL_SQL_MAX_LEVELS];
    uint32_t n_levels;
    bool multi;               /* quantiles: an array of levels */
    char *text;               /* canonical text, to share equal aggregates */
    /* quantile*, quantileExact*: the aggregate whose kept values this one
     * reads: itself, or an earlier one of the same kind over the same
     * argument and condition (quantile(0.5)(x), quantile(0.99)(x) keep x
     * once). */
    uint32_t values_of;
    char *values_arg, *values_cond; /* their texts (quantiles only) */
    uint32_t state_off;       /* byte offset of its state in a group's state block */
} ol_sql_agg_t;

typedef struct ol_sql_out_col {
    ol_sql_node_t *node;
    const char *name;
    const char *type_name;
} ol_sql_out_col_t;

typedef struct ol_sql_order {
    ol_sql_node_t *node;
    bool desc;
} ol_sql_order_t;

typedef struct ol_sql_plan {
    const ol_sql_table_def_t *table;
    bool *need;                  /* per table column */
    ol_sql_map_key_t *keys;
    uint32_t n_keys;
    ol_sql_node_t *where;        /* per row; NULL = every row */
    bool grouped;                /* aggregates or GROUP BY or DISTINCT */
    ol_sql_node_t **group;       /* per row: the group keys (slots 0..n_group-1) */
    uint32_t n_group;
    ol_sql_agg_t *aggs;          /* slots n_group.. */
    uint32_t n_aggs;
    uint32_t state_bytes;        /* one group's aggregate states */
    ol_sql_out_col_t *out;       /* per row, or per group when grouped */
    uint32_t n_out;
    ol_sql_node_t *having;       /* per group */
    ol_sql_order_t *order;       /* per row, or per group when grouped */
    uint32_t n_order;
    bool has_limit;
    uint64_t limit, offset;
    /* Pruning found in WHERE: rows outside [start_ns, end_ns) cannot match,
     * nor rows of services outside `services` when n_services > 0. */
    uint64_t start_ns, end_ns;
    ol_slice_t *services;
    uint32_t n_services;
    uint64_t now_ns;
} ol_sql_plan_t;

/* Binds the parsed query. Allocates from cx->arena. OL_OK, OL_CORRUPT (err:
 * an unknown table, column or function, a type error, an aggregate where
 * none may be...), OL_NOMEM. */
int ol_sql_bind(ol_sql_ctx_t *cx, const char *sql, size_t len, const ol_sql_select_t *q, ol_sql_plan_t *p);

/* Evaluation of bound nodes over a frame of vectors. */
typedef struct ol_sql_frame {
    uint32_t n;
    const ol_sql_vec_t *cols;  /* table columns (per-row frames) */
    const ol_sql_vec_t *keys;  /* map-key columns */
    const ol_sql_vec_t *slots; /* grouped frames */
} ol_sql_frame_t;

/* Evaluates node over the frame into out (a constant node gives a constant
 * vector). OL_OK, OL_NOMEM, OL_ERR (cx->err set). */
int ol_sql_eval(ol_sql_ctx_t *cx, const ol_sql_node_t *node, const ol_sql_frame_t *f, ol_sql_vec_t *out);
/* Row r of a UInt8/Bool-like vector as a truth value (non-zero). */
bool ol_sql_vec_true(const ol_sql_vec_t *v, uint32_t r);
/* Copies rows sel[0..k) of in into out (allocated from cx->arena); strings
 * are copied too when deep, else shared. */
int ol_sql_vec_gather(ol_sql_ctx_t *cx, const ol_sql_vec_t *in, const uint32_t *sel, uint32_t k, bool deep,
                      ol_sql_vec_t *out);

/* JSON of value r of v, appended to b (see sql.h for the forms). */
void ol_sql_render_value(const ol_sql_vec_t *v, uint32_t r, ol_buf_t *b);

/* ---- grouped execution (agg.c) ---- */
typedef struct ol_sql_groups ol_sql_groups_t;
int ol_sql_groups_create(ol_sql_ctx_t *qcx, const ol_sql_plan_t *p, ol_sql_groups_t **out);
void ol_sql_groups_destroy(ol_sql_groups_t *g);
/* Adds a frame's rows (WHERE already applied). cx is the batch context. */
int ol_sql_groups_add(ol_sql_groups_t *g, ol_sql_ctx_t *cx, const ol_sql_frame_t *f);
/* The grouped frame: one row per group, slots = group keys then aggregate
 * results. A query with aggregates and no GROUP BY has exactly one group,
 * even over no rows. Allocated from qcx. */
int ol_sql_groups_finish(ol_sql_groups_t *g, ol_sql_ctx_t *qcx, ol_sql_frame_t *out);

/* ---- order statistics (select.c) ----
 * For quantile(level) over v[0..n) (no NaN), interpolating between the
 * values at positions floor(level * (n - 1)) and the one after: puts the
 * value each of those positions would hold in sorted order at that
 * position, for every level of levels[0..m), without sorting. ks is scratch
 * for 2 * m positions. */
void ol_sql_select_levels(double *v, size_t n, const double *levels, size_t m, size_t *ks);
/* The k-th smallest of v[0..n) (k < n, no NaN) moved to v[k], nothing
 * larger before it and nothing smaller after it. */
void ol_sql_select_nth(double *v, size_t n, size_t k);

#endif
