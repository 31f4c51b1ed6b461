/*
 * sqlcmp.h - compares one query's answer from ClickHouse (FORMAT
 * JSONCompact, 64-bit integers unquoted) with Olly's (ol_sql_run's JSON:
 * "columns" and "rows").
 *
 * Values are compared cell by cell, as JSON: strings after unescaping (the
 * two sides escape differently, e.g. ClickHouse writes \/), integers
 * exactly, other numbers within a relative tolerance, arrays element by
 * element, objects (maps) entry by entry in order. Rows are compared as a
 * list when the query's ORDER BY is a total order, else as a multiset.
 *
 * Quantiles: ClickHouse's quantile() keeps up to 8192 values per group
 * (a reservoir sampler) and interpolates between them, so it is exact for
 * groups of at most 8192 values and sampled beyond. The caller also runs the
 * query with quantileExactInclusive (the same interpolation without
 * sampling): where the two ClickHouse answers agree the value is exact and
 * is compared as any other number; where they differ (a group of more than
 * 8192 values, which ClickHouse sampled), Olly's value is compared with the
 * exact one, within the same tolerance: docs/sql.md documents Olly's
 * quantile as the same interpolation over every value, exact at any size.
 * Such cells are counted (sampled_cells) and reported.
 */
#ifndef OL_TESTS_SQL_SQLCMP_H
#define OL_TESTS_SQL_SQLCMP_H

#include "core/buf.h"
#include "core/common.h"

typedef struct sc_result {
    bool ok;            /* values (and row count) agree */
    bool names_ok;      /* column names agree */
    bool types_ok;      /* column types agree (informational) */
    uint32_t ch_rows, olly_rows;
    uint32_t sampled_cells; /* quantile cells of groups ClickHouse sampled (compared with the exact value) */
    char why[1024];     /* first difference, when !ok or !names_ok */
    char types[512];    /* first type difference: "ClickHouse T1, Olly T2 (column N)" */
} sc_result_t;

/* ch: ClickHouse's JSONCompact; twin: the same query with exact quantiles
 * (empty slice when the query has none); olly: ol_sql_run's JSON.
 * OL_OK with r filled; OL_CORRUPT when either document is not what is
 * expected (r->why says which). */
int sc_compare(ol_slice_t ch, ol_slice_t twin, ol_slice_t olly, bool ordered, double tol, sc_result_t *r);

/* Row count of a ClickHouse JSONCompact answer (its "rows"), or -1. */
long sc_ch_rows(ol_slice_t ch);

/* The "data" rows of a ClickHouse JSONCompact answer, or the "rows" of
 * Olly's, as compact JSON text truncated to max bytes (for reports). */
void sc_excerpt(ol_buf_t *out, ol_slice_t json, bool is_ch, size_t max);

/* ClickHouse JSONCompact answers rewritten in the shape of Olly's:
 * {"columns": meta of `ch`, "rows": data of `data` (ch itself, or the exact
 * quantile twin)}, rows reversed when `reverse`. The comparator's self-test
 * (sqldiff --selftest) feeds it back as Olly's answer. */
int sc_ch_as_olly(ol_slice_t ch, ol_slice_t data, bool reverse, ol_buf_t *out);
/* The same with one cell of the first row changed (a number moved by 1e-6
 * relative plus 1, a string or map key given an extra character, true and
 * false swapped): the self-test's negative control, which must not compare
 * equal. *changed says whether a cell could be changed. */
int sc_ch_as_olly_perturbed(ol_slice_t ch, ol_slice_t data, ol_buf_t *out, bool *changed);

/* Strings of one column of a ClickHouse JSONCompact answer (for the
 * generator's pools): unescaped, malloc'd, *n of them. */
int sc_ch_column_strings(ol_slice_t ch, uint32_t col, char ***out, size_t *n);

#endif
