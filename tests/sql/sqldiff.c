/*
 * sqldiff.c - the differential test of Olly's SQL dialect against current
 * ClickHouse (chDB, in-process).
 *
 * 1. Builds the test data (sqldata.c): the JS SDK captures, load-generator
 *    spans, hand-built edge spans, generated logs and metrics.
 * 2. Loads it into a fresh Olly store in a temporary directory (appends in
 *    request order; ol_store_flush_now() after 40% and after 75% of the
 *    requests, so answers come from two generations of parts and the head)
 *    and into ClickHouse with the OpenTelemetry Collector exporter's tables:
 *    otel_traces through bench/chdb's DDL and row conversion, logs and
 *    metrics through chrows.c.
 * 3. Reads a few pools of values back from ClickHouse and generates the
 *    queries (sqlgen.c).
 * 4. Runs every query on both (ClickHouse: FORMAT JSONCompact, session time
 *    zone UTC, 64-bit integers as numbers) and compares (sqlcmp.c). One
 *    test per query; the run ends with "N passed, N failed".
 *
 * Modes: --query "SQL" runs one query on both and prints both answers;
 * --chdb-only runs every generated query on ClickHouse only (each must
 * succeed: a refusal is a generator bug); --list prints the queries.
 *
 * ol_sql_run is referenced weakly: tests/sql/Makefile links it in when
 * libolly.a defines it. Without it the binary still builds and can only
 * check the generator against ClickHouse (--chdb-only); a comparison run
 * then fails with a message saying so.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chdb_api.h"
#include "chrows.h"
#include "codec/otlp.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/util.h"
#include "otel_row.h"
#include "otel_schema.h"
#include "sql/sql.h"
#include "sql/table.h"
#include "sqlcmp.h"
#include "sqldata.h"
#include "sqlgen.h"
#include "store/store.h"

#pragma weak ol_sql_run

#define DB "otel"
/* A fixed now() for Olly: the end of the data window (queries do not use now()). */
#define NOW_NS (SD_T0_NS + SD_WINDOW_HOURS * SD_HOUR_NS)

typedef struct {
    const char *lib, *shared, *query, *keep, *only_category, *dump;
    uint64_t data_seed, query_seed;
    uint32_t n_traces, n_logs, n_metrics;
    uint32_t show;       /* failures printed in full */
    bool chdb_only, list, verbose, no_handwritten, selftest;
    double scale;
} opts_t;

typedef struct {
    ol_chb_api_t api;
    chdb_connection *conn;
    char dir[4096];
    bool remove_dir;
} ch_t;

static int ch_query(ch_t *c, const char *sql, const char *format, ol_buf_t *out, char *err, size_t err_len)
{
    chdb_result *r = c->api.query_n(*c->conn, sql, strlen(sql), format, strlen(format));
    if (!r) {
        snprintf(err, err_len, "chDB returned no result");
        return OL_ERR;
    }
    const char *e = c->api.result_error(r);
    if (e) {
        snprintf(err, err_len, "%s", e);
        c->api.destroy_query_result(r);
        return OL_ERR;
    }
    if (out) {
        char *buf = c->api.result_buffer(r);
        size_t n = c->api.result_length(r);
        if (buf && n) ol_buf_append(out, buf, n);
    }
    c->api.destroy_query_result(r);
    return out && out->err ? out->err : OL_OK;
}

static int ch_exec(ch_t *c, const char *sql)
{
    char err[2048];
    if (ch_query(c, sql, "CSV", NULL, err, sizeof err) != OL_OK) {
        fprintf(stderr, "sqldiff: ClickHouse refused:\n  %.600s\n  error: %s\n", sql, err);
        return OL_ERR;
    }
    return OL_OK;
}

static int ch_insert(ch_t *c, const char *table, const char *columns, const ol_buf_t *rows)
{
    if (!rows->len) return OL_OK;
    char sql[4096];
    int n = snprintf(sql, sizeof sql, "INSERT INTO `%s`.`%s` (%s)", DB, table, columns);
    chdb_insert_stream st = c->api.stream_insert_n(*c->conn, sql, (size_t)n, "RowBinary", 9);
    const char *e = st ? c->api.stream_insert_error(st) : "no stream handle";
    int rc = OL_OK;
    if (!e && c->api.stream_append(st, rows->data, rows->len) != CHDBSuccess) {
        e = c->api.stream_insert_error(st);
        if (!e) e = "chdb_stream_append failed";
    }
    if (!e) {
        chdb_result *r = c->api.stream_done(st);
        const char *re = r ? c->api.result_error(r) : "chdb_stream_done returned no result";
        if (re) {
            fprintf(stderr, "sqldiff: insert into %s failed: %s\n", table, re);
            rc = OL_ERR;
        }
        if (r) c->api.destroy_query_result(r);
    } else {
        fprintf(stderr, "sqldiff: insert into %s failed: %s\n", table, e);
        rc = OL_ERR;
    }
    if (st) c->api.destroy_insert_stream(st);
    return rc;
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    OL_UNUSED(st);
    OL_UNUSED(flag);
    OL_UNUSED(ftw);
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}


/* ---- loading ---- */

typedef struct {
    ol_buf_t rows[CR__TABLES + 1]; /* CR_* tables, then otel_traces */
    uint64_t n_rows[CR__TABLES + 1];
    uint64_t spans, logs, points, invalid;
    /* Cross-check of the two pcommon.Value.AsString() renderings: Olly's
     * (src/sql/gostr.c, which bench/chdb/otel_row.c now uses for otel_traces)
     * and chrows.c's, on every span and resource attribute of the data. */
    uint64_t values_checked, values_differ;
} rows_t;
#define TRACES CR__TABLES

static int crosscheck_cb(void *ud, ol_slice_t key, ol_slice_t any_value)
{
    rows_t *rw = ud;
    ol_buf_t a, b;
    ol_buf_init(&a, OL_MEM_CODEC, 0);
    ol_buf_init(&b, OL_MEM_CODEC, 0);
    ol_sql_go_as_string(any_value, &a);
    cr_go_as_string(any_value, &b);
    rw->values_checked++;
    if (!ol_slice_eq(ol_buf_slice(&a), ol_buf_slice(&b))) {
        if (rw->values_differ++ < 5)
            fprintf(stderr, "sqldiff: AsString of attribute '%.*s' differs: ol_sql_go_as_string '%.*s', chrows.c '%.*s'\n",
                    (int)key.len, (const char *)key.ptr, (int)a.len, a.data ? (const char *)a.data : "", (int)b.len,
                    b.data ? (const char *)b.data : "");
    }
    ol_buf_free(&a);
    ol_buf_free(&b);
    return OL_OK;
}

static int convert(rows_t *rw, const ol_otlp_batch_t *b, ol_arena_t *a, ol_buf_t *scratch, ol_err_t *err)
{
    int rc = OL_OK;
    if (b->signal == OL_SIGNAL_TRACES) {
        const ol_otlp_origin_t *last = NULL;
        ol_chb_origin_row_t orow;
        for (size_t i = 0; rc == OL_OK && i < b->n_spans; i++) {
            const ol_otlp_span_t *s = &b->spans[i];
            if (!s->valid) {
                rw->invalid++;
                continue;
            }
            if (s->origin != last) {
                rc = ol_chb_origin_row(s->origin, a, &orow, err);
                last = s->origin;
                ol_otlp_each_attribute(s->origin->resource, 1, crosscheck_cb, rw);
            }
            ol_otlp_each_attribute(s->raw, 9, crosscheck_cb, rw);
            if (rc == OL_OK) rc = ol_chb_span_row(&rw->rows[TRACES], s, &orow, scratch, err);
            rw->n_rows[TRACES]++;
            rw->spans++;
        }
    } else if (b->signal == OL_SIGNAL_LOGS) {
        for (size_t i = 0; rc == OL_OK && i < b->n_logs; i++) {
            rc = cr_log_row(&rw->rows[CR_LOGS], &b->logs[i]);
            rw->n_rows[CR_LOGS]++;
            rw->logs++;
        }
    } else {
        ol_buf_t *outs[CR__TABLES];
        for (int t = 0; t < CR__TABLES; t++) outs[t] = &rw->rows[t];
        for (size_t i = 0; rc == OL_OK && i < b->n_metrics; i++) {
            if (!b->metrics[i].valid) {
                rw->invalid++;
                continue;
            }
            rc = cr_metric_rows(outs, rw->n_rows, &b->metrics[i]);
            rw->points += b->metrics[i].n_points;
        }
    }
    if (rc != OL_OK && !err->msg[0]) ol_err_set(err, "row conversion failed: %s", ol_rc_str(rc));
    return rc;
}

typedef struct {
    ol_store_t *store;
    char store_dir[4096];
    ch_t ch;
    sd_dataset_t data;
    rows_t rows;
} run_t;

static int load(run_t *run, const opts_t *o, bool with_olly)
{
    ol_err_t err = {{0}};
    ol_buf_t scratch;
    ol_buf_init(&scratch, OL_MEM_CODEC, 0);
    for (int t = 0; t <= CR__TABLES; t++) ol_buf_init(&run->rows.rows[t], OL_MEM_CODEC, 0);
    int rc = OL_OK;
    size_t n = run->data.n, flush1 = n * 40 / 100, flush2 = n * 75 / 100;
    uint64_t accepted = 0, dups = 0;
    for (size_t i = 0; rc == OL_OK && i < n; i++) {
        sd_req_t *q = &run->data.reqs[i];
        ol_arena_t *a = ol_arena_create(1 << 16, 0);
        ol_otlp_batch_t b;
        if (!a) return OL_NOMEM;
        rc = ol_otlp_decode(q->sig, ol_slice(q->data, q->len), a, &b, &err);
        if (rc != OL_OK) {
            fprintf(stderr, "sqldiff: %s does not decode: %s\n", q->what, err.msg);
        } else {
            if (b.n_rejected) {
                fprintf(stderr, "sqldiff: %s: %llu items rejected by the decoder (%s)\n", q->what,
                        (unsigned long long)b.n_rejected, b.first_reject_reason ? b.first_reject_reason : "?");
                rc = OL_ERR;
            }
            if (rc == OL_OK) rc = convert(&run->rows, &b, a, &scratch, &err);
            if (rc == OL_OK && with_olly) {
                ol_store_append_result_t res = {0};
                rc = ol_store_append(run->store, &b, &res);
                if (rc != OL_OK) fprintf(stderr, "sqldiff: ol_store_append(%s): %s\n", q->what, ol_rc_str(rc));
                accepted += res.accepted;
                dups += res.duplicates;
            }
        }
        ol_arena_destroy(a);
        if (rc == OL_OK && with_olly && (i + 1 == flush1 || i + 1 == flush2)) {
            rc = ol_store_flush_now(run->store);
            if (rc != OL_OK) fprintf(stderr, "sqldiff: ol_store_flush_now: %s\n", ol_rc_str(rc));
        }
    }
    ol_buf_free(&scratch);
    if (rc != OL_OK) {
        if (err.msg[0]) fprintf(stderr, "sqldiff: %s\n", err.msg);
        return rc;
    }
    if (dups) {
        fprintf(stderr, "sqldiff: the store counted %llu duplicate spans (the data should have none)\n",
                (unsigned long long)dups);
        return OL_ERR;
    }
    if (with_olly) {
        ol_store_stats_t st;
        ol_store_stats(run->store, &st);
        fprintf(stderr, "sqldiff: Olly: %llu spans (%llu in the head), %llu log records, %llu metric points, %llu parts\n",
                (unsigned long long)st.spans, (unsigned long long)st.head_spans, (unsigned long long)st.log_records,
                (unsigned long long)st.metric_points, (unsigned long long)st.parts);
    }
    OL_UNUSED(accepted);
    /* ClickHouse: one insert per table */
    for (int t = 0; rc == OL_OK && t <= CR__TABLES; t++) {
        const char *name = t == TRACES ? "otel_traces" : cr_table_name((cr_table_t)t);
        const char *cols = t == TRACES ? OL_CHB_INSERT_COLUMNS : cr_insert_columns((cr_table_t)t);
        if (run->rows.rows[t].err) rc = run->rows.rows[t].err;
        else rc = ch_insert(&run->ch, name, cols, &run->rows.rows[t]);
    }
    fprintf(stderr,
            "sqldiff: ClickHouse: %llu otel_traces rows, %llu otel_logs, %llu gauge, %llu sum, %llu histogram, "
            "%llu exponential histogram, %llu summary\n",
            (unsigned long long)run->rows.n_rows[TRACES], (unsigned long long)run->rows.n_rows[CR_LOGS],
            (unsigned long long)run->rows.n_rows[CR_GAUGE], (unsigned long long)run->rows.n_rows[CR_SUM],
            (unsigned long long)run->rows.n_rows[CR_HISTOGRAM], (unsigned long long)run->rows.n_rows[CR_EXP_HISTOGRAM],
            (unsigned long long)run->rows.n_rows[CR_SUMMARY]);
    return rc;
}

/* ---- chDB session ---- */

static int ch_open(ch_t *c, const opts_t *o)
{
    ol_err_t err;
    if (ol_chb_api_load(&c->api, o->lib, &err) != OL_OK) {
        fprintf(stderr, "sqldiff: %s\n(install it: make -C bench/chdb deps, i.e. npm ci in bench/)\n", err.msg);
        return OL_ERR;
    }
    if (o->keep) {
        snprintf(c->dir, sizeof c->dir, "%s", o->keep);
        if (mkdir(c->dir, 0755) != 0 && errno != EEXIST) {
            fprintf(stderr, "sqldiff: cannot create %s: %s\n", c->dir, strerror(errno));
            return OL_ERR;
        }
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(c->dir, sizeof c->dir, "%s/olly-sqldiff-ch-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(c->dir)) {
            fprintf(stderr, "sqldiff: mkdtemp: %s\n", strerror(errno));
            return OL_ERR;
        }
        c->remove_dir = true;
    }
    char path_arg[4200];
    snprintf(path_arg, sizeof path_arg, "--path=%s", c->dir);
    char *argv[] = {"sqldiff", path_arg};
    c->conn = c->api.connect(2, argv);
    if (!c->conn) {
        fprintf(stderr, "sqldiff: chdb_connect(%s) failed\n", path_arg);
        return OL_ERR;
    }
    static const char *const setup[] = {
        "SET session_timezone = 'UTC'",
        "SET output_format_json_quote_64bit_integers = 0",
        "SET output_format_write_statistics = 0",
        "CREATE DATABASE IF NOT EXISTS `" DB "`",
        "USE `" DB "`",
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(setup); i++)
        if (ch_exec(c, setup[i]) != OL_OK) return OL_ERR;
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_QUERY, 0);
    int rc = OL_OK;
    for (int i = 0; rc == OL_OK && i < OL_CHB_SCHEMA_STATEMENTS; i++) {
        ol_buf_reset(&b);
        ol_chb_schema_statement(&b, i, DB, OL_CHB_INDEX_TEXT);
        ol_buf_append_u8(&b, 0);
        rc = b.err ? b.err : ch_exec(c, (const char *)b.data);
    }
    for (int t = 0; rc == OL_OK && t < CR__TABLES; t++) {
        ol_buf_reset(&b);
        cr_ddl(&b, (cr_table_t)t, DB);
        ol_buf_append_u8(&b, 0);
        rc = b.err ? b.err : ch_exec(c, (const char *)b.data);
    }
    /* the settings must hold for later queries of this connection */
    ol_buf_reset(&b);
    char err2[512];
    if (rc == OL_OK &&
        ch_query(c, "SELECT timezone(), currentDatabase(), version()", "TSV", &b, err2, sizeof err2) == OL_OK) {
        ol_buf_append_u8(&b, 0);
        fprintf(stderr, "sqldiff: ClickHouse (chDB %s): timezone, database, version = %s", c->api.version(),
                (const char *)b.data);
        if (!strstr((const char *)b.data, "UTC\t" DB "\t")) {
            fprintf(stderr, "sqldiff: the session settings did not hold\n");
            rc = OL_ERR;
        }
    }
    ol_buf_free(&b);
    return rc;
}

static void ch_close(ch_t *c)
{
    if (c->conn) c->api.close_conn(c->conn);
    c->conn = NULL;
    if (c->api.shutdown) c->api.shutdown();
    if (c->remove_dir && c->dir[0]) nftw(c->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- facts for the generator ---- */

static int fetch_pool(ch_t *c, const char *sql, sg_pool_t *p)
{
    ol_buf_t b;
    char err[2048];
    ol_buf_init(&b, OL_MEM_QUERY, 0);
    int rc = ch_query(c, sql, "JSONCompact", &b, err, sizeof err);
    if (rc != OL_OK) fprintf(stderr, "sqldiff: pool query failed: %s\n  %s\n", sql, err);
    else rc = sc_ch_column_strings(ol_buf_slice(&b), 0, &p->v, &p->n);
    ol_buf_free(&b);
    return rc;
}

static void free_pool(sg_pool_t *p)
{
    for (size_t i = 0; i < p->n; i++) free(p->v[i]);
    free(p->v);
}

#define POOLS(X)                                                                                                      \
    X(services, "SELECT DISTINCT ServiceName FROM otel_traces ORDER BY 1")                                             \
    X(span_names, "SELECT DISTINCT SpanName FROM otel_traces ORDER BY 1")                                              \
    X(routes, "SELECT DISTINCT SpanAttributes['http.route'] FROM otel_traces ORDER BY 1")                              \
    X(http_codes, "SELECT DISTINCT SpanAttributes['http.response.status_code'] FROM otel_traces ORDER BY 1")          \
    X(trace_ids, "SELECT TraceId FROM otel_traces GROUP BY TraceId ORDER BY cityHash64(TraceId), TraceId LIMIT 60")    \
    X(span_attr_keys, "SELECT DISTINCT arrayJoin(mapKeys(SpanAttributes)) AS k FROM otel_traces ORDER BY k")           \
    X(scope_names, "SELECT DISTINCT ScopeName FROM otel_traces ORDER BY 1")                                            \
    X(envs, "SELECT DISTINCT ResourceAttributes['deployment.environment.name'] FROM otel_traces ORDER BY 1")          \
    X(log_services, "SELECT DISTINCT ServiceName FROM otel_logs ORDER BY 1")                                           \
    X(severities, "SELECT DISTINCT SeverityText FROM otel_logs ORDER BY 1")                                            \
    X(log_attr_keys, "SELECT DISTINCT arrayJoin(mapKeys(LogAttributes)) AS k FROM otel_logs ORDER BY k")               \
    X(log_trace_ids, "SELECT DISTINCT TraceId FROM otel_logs WHERE TraceId != '' ORDER BY 1 LIMIT 20")                 \
    X(metric_services, "SELECT DISTINCT ServiceName FROM otel_metrics_gauge ORDER BY 1")                               \
    X(gauge_names, "SELECT DISTINCT MetricName FROM otel_metrics_gauge ORDER BY 1")                                    \
    X(sum_names, "SELECT DISTINCT MetricName FROM otel_metrics_sum ORDER BY 1")

static int fetch_facts(ch_t *c, sg_facts_t *f)
{
    int rc = OL_OK;
    memset(f, 0, sizeof *f);
#define FETCH(name, sql) \
    if (rc == OL_OK) rc = fetch_pool(c, sql, &f->name);
    POOLS(FETCH)
#undef FETCH
    return rc;
}

static void free_facts(sg_facts_t *f)
{
#define FREE(name, sql) free_pool(&f->name);
    POOLS(FREE)
#undef FREE
}

/* ---- running queries ---- */

/* quantile( -> quantileExactInclusive(, quantiles( -> quantilesExactInclusive( */
static char *exact_twin(const char *sql)
{
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_QUERY, 0);
    for (const char *p = sql; *p;) {
        if (!strncmp(p, "quantile(", 9)) {
            ol_buf_append_cstr(&b, "quantileExactInclusive(");
            p += 9;
        } else if (!strncmp(p, "quantiles(", 10)) {
            ol_buf_append_cstr(&b, "quantilesExactInclusive(");
            p += 10;
        } else ol_buf_append_u8(&b, (uint8_t)*p++);
    }
    ol_buf_append_u8(&b, 0);
    char *s = b.err ? NULL : strdup((const char *)b.data);
    ol_buf_free(&b);
    return s;
}

static int olly_run(ol_store_t *s, const char *sql, ol_buf_t *out, char *err, size_t err_len)
{
    if (!ol_sql_run) {
        snprintf(err, err_len, "ol_sql_run is not in libolly.a (src/sql not built yet): nothing to compare");
        return OL_ERR;
    }
    ol_sql_limits_t lim = {0};
    lim.max_time_range_ns = 100ull * 365 * 24 * SD_HOUR_NS; /* the tests are about answers, not bounds */
    lim.semconv_off = true; /* ClickHouse holds the attribute names as sent (docs/semconv.md) */
    ol_sql_stats_t st;
    ol_err_t e = {{0}};
    int rc = ol_sql_run(s, sql, strlen(sql), &lim, NOW_NS, out, &st, &e);
    if (rc != OL_OK) snprintf(err, err_len, "%s: %s", ol_rc_str(rc), e.msg);
    return rc;
}

typedef struct {
    char name[40];
    uint32_t pass, fail;
} cat_t;

/* Distinct type differences ("ClickHouse T1, Olly T2"), with how many queries showed each. */
typedef struct {
    char what[200];
    uint32_t n;
    size_t first_query;
} typediff_t;

static void typediff_add(typediff_t *t, size_t *n, size_t cap, const char *types, size_t query)
{
    char what[200];
    const char *paren = strstr(types, " (column");
    snprintf(what, sizeof what, "%.*s", paren ? (int)(paren - types) : (int)strlen(types), types);
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(t[i].what, what)) {
            t[i].n++;
            return;
        }
    if (*n == cap) return;
    snprintf(t[*n].what, sizeof t[*n].what, "%s", what);
    t[*n].n = 1;
    t[*n].first_query = query;
    (*n)++;
}

static cat_t *cat_of(cat_t *cats, size_t *n, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(cats[i].name, name)) return &cats[i];
    if (*n == 64) return &cats[63]; /* more categories than expected: the last one collects them */
    memset(&cats[*n], 0, sizeof cats[*n]);
    snprintf(cats[*n].name, sizeof cats[*n].name, "%s", name);
    return &cats[(*n)++];
}

static void print_answer(const char *who, ol_slice_t json, bool is_ch, size_t max)
{
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_QUERY, 0);
    sc_excerpt(&b, json, is_ch, max);
    printf("    %s: %.*s\n", who, (int)b.len, b.data ? (const char *)b.data : "");
    ol_buf_free(&b);
}

static int run_queries(run_t *run, const opts_t *o, sg_query_t *qs, size_t nq)
{
    /* test 1: the two AsString renderings agree on every attribute value of the spans */
    bool render_ok = run->rows.values_differ == 0;
    printf("%s AsString cross-check: %llu attribute values, %llu rendered differently by src/sql/gostr.c and "
           "tests/sql/chrows.c\n",
           render_ok ? "ok  " : "FAIL", (unsigned long long)run->rows.values_checked,
           (unsigned long long)run->rows.values_differ);
    uint32_t pass = render_ok, fail = !render_ok, name_fail = 0, type_diff = 0, ch_fail = 0, olly_fail = 0, empty = 0, sampled = 0;
    uint32_t shown = 0, perturbed = 0;
    uint64_t ch_ns = 0, olly_ns = 0;
    typediff_t tds[64];
    size_t n_tds = 0;
    cat_t cats[64];
    size_t n_cats = 0;
    ol_buf_t ch, twin, olly;
    ol_buf_init(&ch, OL_MEM_QUERY, 0);
    ol_buf_init(&twin, OL_MEM_QUERY, 0);
    ol_buf_init(&olly, OL_MEM_QUERY, 0);
    FILE *dump = o->dump ? fopen(o->dump, "w") : NULL;
    for (size_t i = 0; i < nq; i++) {
        sg_query_t *q = &qs[i];
        if (o->only_category && !strstr(q->category, o->only_category)) continue;
        cat_t *cat = cat_of(cats, &n_cats, q->category);
        char err[2048] = "";
        ol_buf_reset(&ch);
        ol_buf_reset(&twin);
        ol_buf_reset(&olly);
        bool ok = true;
        const char *stage = "";
        uint64_t t0 = ol_mono_ns(), q_ch_ns, q_olly_ns = 0;
        if (ch_query(&run->ch, q->sql, "JSONCompact", &ch, err, sizeof err) != OL_OK) {
            ok = false;
            stage = "ClickHouse refused the query (a generator bug)";
            ch_fail++;
        }
        q_ch_ns = ol_mono_ns() - t0;
        ch_ns += q_ch_ns;
        if (ok && q->quantile) {
            char *t = exact_twin(q->sql);
            char terr[1024];
            if (!t || ch_query(&run->ch, t, "JSONCompact", &twin, terr, sizeof terr) != OL_OK) {
                ok = false;
                stage = "ClickHouse refused the exact-quantile twin (a harness bug)";
                snprintf(err, sizeof err, "%s", t ? terr : "out of memory");
                ch_fail++;
            }
            free(t);
        }
        long ch_rows = ok ? sc_ch_rows(ol_buf_slice(&ch)) : -1;
        if (ok && ch_rows == 0) empty++;
        sc_result_t r;
        memset(&r, 0, sizeof r);
        r.names_ok = r.types_ok = true;
        if (ok && !o->chdb_only) {
            t0 = ol_mono_ns();
            int orc = olly_run(run->store, q->sql, &olly, err, sizeof err);
            q_olly_ns = ol_mono_ns() - t0;
            olly_ns += q_olly_ns;
            if (orc != OL_OK) {
                ok = false;
                stage = "Olly refused or failed";
                olly_fail++;
            } else {
                int rc = sc_compare(ol_buf_slice(&ch), ol_buf_slice(&twin), ol_buf_slice(&olly), q->ordered, q->tol, &r);
                if (rc != OL_OK) {
                    ok = false;
                    stage = "answer not comparable";
                    snprintf(err, sizeof err, "%s", r.why);
                } else {
                    ok = r.ok && r.names_ok;
                    stage = !r.ok ? "answers differ" : "column names differ";
                    snprintf(err, sizeof err, "%s", r.why);
                    if (!r.names_ok) name_fail++;
                    if (!r.types_ok) {
                        type_diff++;
                        typediff_add(tds, &n_tds, OL_ARRAY_LEN(tds), r.types, i + 1);
                    }
                    sampled += r.sampled_cells;
                }
            }
        }
        if (ok && o->selftest) {
            /* The comparator on ClickHouse's own answer: as is, and (multisets) reversed. */
            for (int rev = 0; ok && rev <= (q->ordered ? 0 : 1); rev++) {
                ol_buf_reset(&olly);
                memset(&r, 0, sizeof r);
                /* Olly's quantile is exact: its answer is the twin's values */
                ol_slice_t data = q->quantile ? ol_buf_slice(&twin) : ol_buf_slice(&ch);
                if (sc_ch_as_olly(ol_buf_slice(&ch), data, rev, &olly) != OL_OK ||
                    sc_compare(ol_buf_slice(&ch), ol_buf_slice(&twin), ol_buf_slice(&olly), q->ordered, q->tol, &r) != OL_OK ||
                    !r.ok || !r.names_ok || !r.types_ok) {
                    ok = false;
                    stage = rev ? "self-test: the reversed answer does not compare equal" : "self-test: the answer does not compare equal to itself";
                    snprintf(err, sizeof err, "%s", r.why);
                }
                if (rev == 0) sampled += r.sampled_cells;
            }
            /* negative control: one changed cell must be seen */
            bool changed = false;
            ol_slice_t data = q->quantile ? ol_buf_slice(&twin) : ol_buf_slice(&ch);
            ol_buf_reset(&olly);
            memset(&r, 0, sizeof r);
            if (ok && sc_ch_as_olly_perturbed(ol_buf_slice(&ch), data, &olly, &changed) == OL_OK && changed &&
                sc_compare(ol_buf_slice(&ch), ol_buf_slice(&twin), ol_buf_slice(&olly), q->ordered, q->tol, &r) == OL_OK &&
                r.ok) {
                ok = false;
                stage = "self-test: an answer with one cell changed compares equal";
                snprintf(err, sizeof err, "changed answer: %.*s", (int)OL_MIN(olly.len, 600), (const char *)olly.data);
            }
            if (changed) perturbed++;
        }
        if (dump)
            fprintf(dump, "%s\t%s\t%s\t%ld\t%.2f\t%.2f\n", ok ? "ok" : "FAIL", q->category, q->sql, ch_rows,
                    (double)q_ch_ns / 1e6, (double)q_olly_ns / 1e6);
        if (ok) {
            pass++;
            cat->pass++;
            if (o->verbose) printf("ok   #%zu [%s] %ld rows: %s\n", i + 1, q->category, ch_rows, q->sql);
            continue;
        }
        fail++;
        cat->fail++;
        if (shown++ < o->show) {
            printf("FAIL #%zu [%s] %s\n  %s\n", i + 1, q->category, stage, q->sql);
            if (err[0]) printf("    why: %s\n", err);
            if (!r.types_ok && r.types[0]) printf("    (also %s)\n", r.types);
            if (ch.len) print_answer("ClickHouse", ol_buf_slice(&ch), true, 600);
            if (olly.len) print_answer("Olly", ol_buf_slice(&olly), false, 600);
        }
    }
    if (dump) fclose(dump);
    if (shown > o->show) printf("(%u more failures not shown; --show N)\n", shown - o->show);
    if (n_tds) {
        printf("\ntype differences (not counted as failures), each with the queries showing it and the first:\n");
        for (size_t i = 0; i < n_tds; i++) printf("  %-70s %4u  #%zu\n", tds[i].what, tds[i].n, tds[i].first_query);
    }
    printf("\nby category:\n");
    for (size_t i = 0; i < n_cats; i++)
        printf("  %-28s %4u passed, %4u failed\n", cats[i].name, cats[i].pass, cats[i].fail);
    printf("tests: %u (the AsString cross-check and %zu queries); ClickHouse refused %u; empty answers on ClickHouse %u",
           pass + fail, nq, ch_fail, empty);
    if (!o->chdb_only)
        printf("; Olly refused/failed %u; column-name mismatches %u; type differences %u (not counted); sampled quantile "
               "cells %u",
               olly_fail, name_fail, type_diff, sampled);
    printf("\ntime in queries: ClickHouse %.2f s", (double)ch_ns / 1e9);
    if (!o->chdb_only) printf(", Olly %.2f s", (double)olly_ns / 1e9);
    if (o->selftest) printf("; sampled quantile cells %u; answers with one cell changed, all told apart: %u", sampled, perturbed);
    printf("\n");
    if (o->selftest) printf("mode: self-test (ClickHouse's answers compared with themselves)\n");
    else if (o->chdb_only) printf("mode: ClickHouse only (the generator's check; nothing was compared)\n");
    printf("%u passed, %u failed\n", pass, fail);
    ol_buf_free(&ch);
    ol_buf_free(&twin);
    ol_buf_free(&olly);
    return fail ? 1 : 0;
}

static int one_query(run_t *run, const opts_t *o)
{
    ol_buf_t ch, olly, twin;
    char err[2048];
    ol_buf_init(&ch, OL_MEM_QUERY, 0);
    ol_buf_init(&olly, OL_MEM_QUERY, 0);
    ol_buf_init(&twin, OL_MEM_QUERY, 0);
    int status = 0;
    printf("query: %s\n", o->query);
    if (ch_query(&run->ch, o->query, "JSONCompact", &ch, err, sizeof err) != OL_OK) {
        printf("ClickHouse: ERROR %s\n", err);
        status = 1;
    } else {
        printf("ClickHouse:\n%.*s\n", (int)ch.len, (const char *)ch.data);
    }
    bool quant = strstr(o->query, "quantile") != NULL;
    if (quant) {
        char *t = exact_twin(o->query);
        if (t && ch_query(&run->ch, t, "JSONCompact", &twin, err, sizeof err) == OL_OK)
            printf("ClickHouse, exact quantiles:\n%.*s\n", (int)twin.len, (const char *)twin.data);
        free(t);
    }
    if (!o->chdb_only) {
        if (olly_run(run->store, o->query, &olly, err, sizeof err) != OL_OK) {
            printf("Olly: ERROR %s\n", err);
            status = 1;
        } else {
            printf("Olly:\n%.*s\n", (int)olly.len, (const char *)olly.data);
            if (ch.len) {
                sc_result_t r;
                bool ordered = strstr(o->query, "ORDER BY") != NULL;
                if (sc_compare(ol_buf_slice(&ch), ol_buf_slice(&twin), ol_buf_slice(&olly), ordered, 1e-9, &r) != OL_OK)
                    printf("comparison: not comparable: %s\n", r.why);
                else
                    printf("comparison (%s, tolerance 1e-9): %s%s%s\n", ordered ? "as a list" : "as multisets",
                           r.ok && r.names_ok ? "same" : "DIFFERENT: ", r.why, r.types_ok ? "" : r.types);
                if (!(r.ok && r.names_ok)) status = 1;
            }
        }
    }
    ol_buf_free(&ch);
    ol_buf_free(&olly);
    ol_buf_free(&twin);
    return status;
}

/* ---- main ---- */

static void usage(void)
{
    fprintf(stderr,
            "usage: sqldiff [options]\n"
            "  --query SQL        run one query on both and print both answers\n"
            "  --chdb-only        ClickHouse only: every generated query must run there (no Olly)\n"
            "  --list             print the generated queries (category, ordered, SQL) and exit\n"
            "  --selftest         ClickHouse only, and each answer fed back to the comparator as Olly's (as is,\n"
            "                     and reversed for queries compared as multisets): every one must compare equal\n"
            "  --lib PATH         libchdb.so (default $CHDB_LIB, else bench/node_modules/@chdb/lib-linux-x64-gnu/)\n"
            "  --shared DIR       where fixtures/otlp is (default $OLLY_SHARED, else ../shared)\n"
            "  --seed N           query generator seed (default 1)\n"
            "  --data-seed N      data seed (default 20261122)\n"
            "  --traces N --logs N --metrics N   generated queries per table group (300, 70, 50)\n"
            "  --no-handwritten   leave out the hand-written queries\n"
            "  --category S       run only queries whose category contains S\n"
            "  --show N           failures printed in full (default 40)\n"
            "  --dump FILE        one line per query: ok|FAIL, category, SQL, ClickHouse rows, ClickHouse ms, Olly ms\n"
            "  --keep DIR         build the ClickHouse session in DIR and keep it\n"
            "  -v                 print every passing query too\n");
}

static int parse_opts(int argc, char **argv, opts_t *o)
{
    *o = (opts_t){.data_seed = 20261122, .query_seed = 1, .n_traces = 300, .n_logs = 70, .n_metrics = 50, .show = 40};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t u = 0;
        bool num = v && ol_parse_u64(ol_slice_cstr(v), &u) == OL_OK;
        if (!strcmp(a, "--chdb-only")) o->chdb_only = true;
        else if (!strcmp(a, "--selftest")) o->selftest = o->chdb_only = true;
        else if (!strcmp(a, "--list")) o->list = true;
        else if (!strcmp(a, "-v")) o->verbose = true;
        else if (!strcmp(a, "--no-handwritten")) o->no_handwritten = true;
        else if (!v) return OL_ERR;
        else if (!strcmp(a, "--query")) o->query = v, i++;
        else if (!strcmp(a, "--lib")) o->lib = v, i++;
        else if (!strcmp(a, "--shared")) o->shared = v, i++;
        else if (!strcmp(a, "--keep")) o->keep = v, i++;
        else if (!strcmp(a, "--category")) o->only_category = v, i++;
        else if (!strcmp(a, "--dump")) o->dump = v, i++;
        else if (!strcmp(a, "--seed") && num) o->query_seed = u, i++;
        else if (!strcmp(a, "--data-seed") && num) o->data_seed = u, i++;
        else if (!strcmp(a, "--traces") && num) o->n_traces = (uint32_t)u, i++;
        else if (!strcmp(a, "--logs") && num) o->n_logs = (uint32_t)u, i++;
        else if (!strcmp(a, "--metrics") && num) o->n_metrics = (uint32_t)u, i++;
        else if (!strcmp(a, "--show") && num) o->show = (uint32_t)u, i++;
        else return OL_ERR;
    }
    if (!o->lib) o->lib = ol_chb_default_lib("../../../bench"); /* tests/sql/build -> bench */
    if (!o->shared) o->shared = getenv("OLLY_SHARED");
    return OL_OK;
}

int main(int argc, char **argv)
{
    opts_t o;
    if (parse_opts(argc, argv, &o) != OL_OK) {
        usage();
        return 2;
    }
    bool with_olly = !o.chdb_only && !o.list;
    if (with_olly && !ol_sql_run) {
        printf("sqldiff: ol_sql_run is not linked in (libolly.a has no src/sql/sql.o yet); run with --chdb-only to "
               "check the generator against ClickHouse\n0 passed, 1 failed\n");
        return 1;
    }
    run_t run;
    memset(&run, 0, sizeof run);
    ol_err_t err = {{0}};
    int status = 1;
    bool reported = false; /* a "N passed, N failed" line was printed */
    sd_options_t so;
    sd_options_default(&so);
    so.seed = o.data_seed;
    so.shared = o.shared;
    uint64_t t0 = ol_mono_ns();
    if (sd_build(&run.data, &so, &err) != OL_OK) {
        fprintf(stderr, "sqldiff: %s\n", err.msg);
        goto out;
    }
    fprintf(stderr, "sqldiff: %zu requests built (%zu from the captures) in %.2f s\n", run.data.n, run.data.fixture_reqs,
            (double)(ol_mono_ns() - t0) / 1e9);
    if (with_olly) {
        const char *tmp = getenv("TMPDIR");
        snprintf(run.store_dir, sizeof run.store_dir, "%s/olly-sqldiff-store-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(run.store_dir)) {
            fprintf(stderr, "sqldiff: mkdtemp: %s\n", strerror(errno));
            goto out;
        }
        ol_store_options_t so2 = {.dir = run.store_dir, .fsync = OL_FSYNC_NEVER, .keep_head_on_close = true,
                                  .flush_bytes = 1ull << 40, .flush_age_ms = 24ull * 3600 * 1000, .threads = 1};
        if (ol_store_open(&so2, &run.store, &err) != OL_OK || ol_store_replay(run.store) != OL_OK) {
            fprintf(stderr, "sqldiff: cannot open a store in %s: %s\n", run.store_dir, err.msg);
            goto out;
        }
    }
    if (ch_open(&run.ch, &o) != OL_OK) goto out;
    t0 = ol_mono_ns();
    if (load(&run, &o, with_olly) != OL_OK) goto out;
    fprintf(stderr, "sqldiff: loaded in %.2f s\n", (double)(ol_mono_ns() - t0) / 1e9);
    if (o.query) {
        status = one_query(&run, &o);
        goto out;
    }
    sg_facts_t facts;
    if (fetch_facts(&run.ch, &facts) != OL_OK) goto out;
    sg_options_t go;
    sg_options_default(&go);
    go.seed = o.query_seed;
    go.traces = o.n_traces;
    go.logs = o.n_logs;
    go.metrics = o.n_metrics;
    go.handwritten = !o.no_handwritten;
    sg_query_t *qs = NULL;
    size_t nq = 0;
    if (sg_generate(&facts, &go, &qs, &nq) != OL_OK) {
        fprintf(stderr, "sqldiff: out of memory generating queries\n");
        free_facts(&facts);
        goto out;
    }
    if (o.list) {
        for (size_t i = 0; i < nq; i++)
            printf("%s\t%s%s\t%s\n", qs[i].category, qs[i].ordered ? "ordered" : "multiset", qs[i].quantile ? ",quantile" : "",
                   qs[i].sql);
        status = 0;
    } else {
        t0 = ol_mono_ns();
        status = run_queries(&run, &o, qs, nq);
        reported = true;
        fprintf(stderr, "sqldiff: %zu queries in %.2f s\n", nq, (double)(ol_mono_ns() - t0) / 1e9);
    }
    sg_free(qs, nq);
    free_facts(&facts);
out:
    if (!reported && !o.query && !o.list) printf("sqldiff: setup failed (see above)\n0 passed, 1 failed\n");
    ch_close(&run.ch);
    if (run.store) ol_store_close(run.store);
    if (run.store_dir[0]) nftw(run.store_dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    for (int t = 0; t <= CR__TABLES; t++) ol_buf_free(&run.rows.rows[t]);
    sd_free(&run.data);
    return status;
}
