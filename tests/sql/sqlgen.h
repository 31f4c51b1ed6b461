/*
 * sqlgen.h - the queries of the SQL differential test: a few hundred
 * generated from templates over the dialect with a fixed seed, plus
 * hand-written ones typical of Grafana's ClickHouse plugin (OpenTelemetry
 * mode), ClickStack dashboards and the RED query.
 *
 * Literals come from the data (sg_facts_t: distinct values read from
 * ClickHouse once the data is loaded), so filters select something. Every
 * query must run on ClickHouse; one that ClickHouse refuses is a generator
 * bug.
 *
 * Comparison hints carried with each query:
 *   ordered   the ORDER BY gives a total order over the rows (compare as a
 *             list); otherwise compare as a multiset. Queries with LIMIT are
 *             always ordered.
 *   quantile  uses quantile()/quantiles(): its answer is also compared with
 *             the same query on quantileExactInclusive (sqldiff.c).
 *   tol       relative tolerance for floats (1e-9 unless the value is an
 *             average or a sum of floats).
 */
#ifndef OL_TESTS_SQL_SQLGEN_H
#define OL_TESTS_SQL_SQLGEN_H

#include "core/common.h"

typedef struct sg_pool {
    char **v;
    size_t n;
} sg_pool_t;

typedef struct sg_facts {
    /* otel_traces */
    sg_pool_t services, span_names, routes, http_codes, trace_ids, span_attr_keys, scope_names, envs;
    /* otel_logs */
    sg_pool_t log_services, severities, log_attr_keys, log_trace_ids;
    /* metrics */
    sg_pool_t metric_services, gauge_names, sum_names;
} sg_facts_t;

typedef struct sg_query {
    char *sql;
    char category[40]; /* "traces.aggregate", "handwritten.grafana", ... */
    bool ordered;
    bool quantile;
    double tol;
} sg_query_t;

typedef struct sg_options {
    uint64_t seed;
    uint32_t traces, logs, metrics; /* generated queries per table group */
    bool handwritten;
} sg_options_t;

void sg_options_default(sg_options_t *o);

/* Generates the queries (hand-written ones first). Duplicate texts are
 * dropped. OL_OK or OL_NOMEM. */
int sg_generate(const sg_facts_t *f, const sg_options_t *o, sg_query_t **out, size_t *n);
void sg_free(sg_query_t *q, size_t n);

/* Appends s as a ClickHouse string literal ('...' with \\ and \' escapes). */
struct ol_buf;
void sg_quote(struct ol_buf *b, const char *s);

#endif
