/*
 * red_bench.c - the RED query of issue 4 on Olly and on current ClickHouse,
 * side by side, on the same spans, in one process.
 *
 *   SELECT ServiceName, count(), countIf(StatusCode = 'Error') / count(),
 *          quantile(0.5)(Duration), quantile(0.95)(Duration), quantile(0.99)(Duration)
 *   FROM otel_traces WHERE Timestamp >= <hour> AND Timestamp < <hour + 1 h>
 *   GROUP BY ServiceName
 *
 * The spans: the load generator's batches (src/loadgen, default topology),
 * request i patched to fresh ids and to end at T0 + (i + 1) * window /
 * requests, so --spans spans spread evenly over the hour from T0
 * (2026-11-21 10:00 UTC). Each request is decoded once and goes, as it is
 * made, into Olly's store (ol_store_append into a fresh store, then
 * ol_store_flush_now: the spans sit in columnar parts, as a running server
 * leaves them) and into ClickHouse through chDB (the exporter's otel_traces
 * schema and rows, bench/chdb/otel_*.c; inserts of 100,000 rows, then
 * OPTIMIZE TABLE FINAL).
 *
 * While generating, the bench keeps its own answer: per service (the
 * exporter's ServiceName) the spans starting in the hour, the errors, and
 * every duration, from which it computes exact quantiles with the
 * interpolation both quantile() implementations use (R7, ClickHouse's
 * quantileExactInclusive). Every answer of every path is checked against
 * it: services and counts exactly, the error rate to 1e-12, the quantiles
 * within the path's tolerance (Olly's quantile() is exact: 1e-9 relative;
 * ClickHouse's quantile() samples 8,192 values per group, so its deviation
 * is reported, not checked; its quantileExactInclusive is run once and
 * checked to 1e-9, which proves both stores hold the same spans).
 *
 * Paths are a table (red_paths below): a name, one function that runs the
 * query once and returns the answer, and its quantile tolerance. Another
 * way of answering the RED query (a precomputed series, say) is one more
 * entry. Each path runs once unmeasured, then --runs times, the paths taking
 * turns run by run; the figures are the nearest-rank p50/p99 of wall time
 * around the call (Olly: ol_sql_run, JSON answer included; ClickHouse:
 * chdb_query with a JSONCompact answer).
 *
 * --also SQL times more queries on the same data and systems (head, parts,
 * ClickHouse; `otel.otel_traces` names the table on both), without checking
 * their answers: the same spans, for other shapes of query.
 *
 * Exit status 0 when everything ran and every checked answer was right;
 * never depends on timing.
 */
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../bench_common.h"
#include "chdb_api.h"
#include "codec/json.h"
#include "codec/otlp.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/util.h"
#include "loadgen/spans.h"
#include "loadgen/topology.h"
#include "otel_row.h"
#include "otel_schema.h"
#include "sql/sql.h"
#include "store/store.h"

#define RED_T0_NS (1795255200ull * 1000000000ull) /* 2026-11-21 10:00:00 UTC */
#define RED_DB "otel"
#define RED_INSERT_ROWS 100000
#define RED_MAX_BATCHES 64
#define RED_Q_EXACT_TOL 1e-9

static const double red_levels[3] = {0.5, 0.95, 0.99};

#define RED_MAX_ALSO 8

typedef struct {
    uint64_t spans, spr, runs, seed, window_s;
    const char *lib;
    bool json, clickhouse, head, keep;
    const char *also[RED_MAX_ALSO]; /* more queries to time on the same data (answers not checked) */
    size_t n_also;
} opts_t;

/* ---- answers ---- */

typedef struct {
    char *service;
    uint64_t count;
    double err_rate, q[3];
} red_row_t;

typedef struct {
    red_row_t *rows;
    size_t n;
    uint64_t rows_scanned, bytes_scanned; /* Olly's statistics */
} red_answer_t;

static void answer_free(red_answer_t *a)
{
    for (size_t i = 0; i < a->n; i++) free(a->rows[i].service);
    free(a->rows);
    memset(a, 0, sizeof *a);
}

static red_row_t *answer_add(red_answer_t *a, ol_slice_t service)
{
    red_row_t *v = realloc(a->rows, (a->n + 1) * sizeof *v);
    if (!v) return NULL;
    a->rows = v;
    red_row_t *r = &v[a->n];
    memset(r, 0, sizeof *r);
    r->service = malloc(service.len + 1);
    if (!r->service) return NULL;
    if (service.len) memcpy(r->service, service.ptr, service.len);
    r->service[service.len] = 0;
    a->n++;
    return r;
}

static const red_row_t *answer_find(const red_answer_t *a, const char *service)
{
    for (size_t i = 0; i < a->n; i++)
        if (!strcmp(a->rows[i].service, service)) return &a->rows[i];
    return NULL;
}

/* ---- the reference, from the spans as generated ---- */

typedef struct {
    char *service;
    uint64_t count, errors;
    double *durs;
    size_t cap;
} ref_svc_t;

typedef struct {
    ref_svc_t *v;
    size_t n;
    uint64_t spans_in_hour, spans_outside, invalid;
} ref_t;

static int ref_add(ref_t *r, ol_slice_t service, uint64_t duration, bool error)
{
    ref_svc_t *s = NULL;
    for (size_t i = 0; i < r->n && !s; i++)
        if (strlen(r->v[i].service) == service.len && (!service.len || !memcmp(r->v[i].service, service.ptr, service.len)))
            s = &r->v[i];
    if (!s) {
        ref_svc_t *v = realloc(r->v, (r->n + 1) * sizeof *v);
        if (!v) return OL_NOMEM;
        r->v = v;
        s = &v[r->n++];
        memset(s, 0, sizeof *s);
        if (!(s->service = malloc(service.len + 1))) return OL_NOMEM;
        if (service.len) memcpy(s->service, service.ptr, service.len);
        s->service[service.len] = 0;
    }
    if (s->count == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 4096;
        double *d = realloc(s->durs, cap * sizeof *d);
        if (!d) return OL_NOMEM;
        s->durs = d;
        s->cap = cap;
    }
    s->durs[s->count++] = (double)duration;
    s->errors += error;
    return OL_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* quantileExactInclusive's interpolation (R7) over sorted v[0..n). */
static double quantile_r7(const double *v, size_t n, double level)
{
    if (!n) return NAN;
    double h = level * (double)(n - 1);
    size_t lo = (size_t)h;
    if (lo + 1 >= n) return v[n - 1];
    return v[lo] + (h - (double)lo) * (v[lo + 1] - v[lo]);
}

static int ref_answer(ref_t *r, red_answer_t *out)
{
    for (size_t i = 0; i < r->n; i++) {
        ref_svc_t *s = &r->v[i];
        qsort(s->durs, s->count, sizeof *s->durs, cmp_double);
        red_row_t *row = answer_add(out, ol_slice_cstr(s->service));
        if (!row) return OL_NOMEM;
        row->count = s->count;
        row->err_rate = (double)s->errors / (double)s->count;
        for (int k = 0; k < 3; k++) row->q[k] = quantile_r7(s->durs, s->count, red_levels[k]);
        free(s->durs);
        s->durs = NULL;
    }
    return OL_OK;
}

static void ref_free(ref_t *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].service);
        free(r->v[i].durs);
    }
    free(r->v);
}

/* ---- checking an answer ---- */

typedef struct {
    bool ok;
    char why[256];
    double max_q_dev; /* largest relative quantile deviation from the reference */
} check_t;

static double rel_dev(double a, double b)
{
    if (a == b) return 0;
    double m = fmax(fabs(a), fabs(b));
    return fabs(a - b) / (m > 1 ? m : 1);
}

/* q_tol < 0: quantiles reported, not checked. */
static void check_answer(const red_answer_t *got, const red_answer_t *want, double q_tol, check_t *c)
{
    c->ok = true;
    c->why[0] = 0;
    c->max_q_dev = 0;
    if (got->n != want->n) {
        c->ok = false;
        snprintf(c->why, sizeof c->why, "%zu services, want %zu", got->n, want->n);
        return;
    }
    for (size_t i = 0; i < want->n; i++) {
        const red_row_t *w = &want->rows[i], *g = answer_find(got, w->service);
        if (!g) {
            c->ok = false;
            snprintf(c->why, sizeof c->why, "service '%s' missing", w->service);
            return;
        }
        if (g->count != w->count) {
            c->ok = false;
            snprintf(c->why, sizeof c->why, "'%s': count %llu, want %llu", w->service, (unsigned long long)g->count,
                     (unsigned long long)w->count);
            return;
        }
        if (rel_dev(g->err_rate, w->err_rate) > 1e-12) {
            c->ok = false;
            snprintf(c->why, sizeof c->why, "'%s': error rate %.17g, want %.17g", w->service, g->err_rate, w->err_rate);
            return;
        }
        for (int k = 0; k < 3; k++) {
            double d = rel_dev(g->q[k], w->q[k]);
            if (d > c->max_q_dev) c->max_q_dev = d;
            if (q_tol >= 0 && d > q_tol && c->ok) {
                c->ok = false;
                snprintf(c->why, sizeof c->why, "'%s': quantile(%g) %.17g, want %.17g (relative deviation %.3g > %.3g)",
                         w->service, red_levels[k], g->q[k], w->q[k], d, q_tol);
            }
        }
    }
}

/* ---- answers as JSON: Olly's {"rows":[[...]]}, ClickHouse's JSONCompact {"data":[[...]]} ---- */

static bool tok_num(const ol_json_tok_t *t, double *out)
{
    if (t->kind == OL_JSON_NULL) {
        *out = NAN;
        return true;
    }
    if ((t->kind != OL_JSON_NUMBER && t->kind != OL_JSON_STRING) || !t->text.len || t->text.len > 63) return false;
    char s[64];
    memcpy(s, t->text.ptr, t->text.len);
    s[t->text.len] = 0;
    char *e = NULL;
    *out = strtod(s, &e);
    return e == s + t->text.len;
}

static int parse_answer(ol_slice_t json, const char *rows_key, red_answer_t *out, ol_err_t *err)
{
    ol_arena_t *a = ol_arena_create(64 << 10, 0);
    ol_json_doc_t d;
    int rc = a ? ol_json_parse(json, a, &d, err) : OL_NOMEM;
    uint32_t rows = rc == OL_OK ? ol_json_object_get(&d, 0, rows_key) : 0;
    if (rc == OL_OK && (!rows || d.toks[rows].kind != OL_JSON_ARRAY)) {
        ol_err_set(err, "no \"%s\" array in the answer", rows_key);
        rc = OL_CORRUPT;
    }
    uint32_t t = rows + 1;
    for (uint32_t i = 0; rc == OL_OK && i < d.toks[rows].size; i++, t = d.toks[t].next) {
        const ol_json_tok_t *row = &d.toks[t];
        if (row->kind != OL_JSON_ARRAY || row->size != 6) {
            ol_err_set(err, "row %u is not an array of 6 values", i);
            rc = OL_CORRUPT;
            break;
        }
        double v[5];
        uint32_t c = t + 1;
        ol_slice_t svc;
        if (d.toks[c].kind != OL_JSON_STRING || ol_json_unescape(&d.toks[c], a, &svc) != OL_OK) {
            ol_err_set(err, "row %u: the service is not a string", i);
            rc = OL_CORRUPT;
            break;
        }
        for (int k = 0; k < 5 && rc == OL_OK; k++) {
            c = d.toks[c].next;
            if (!tok_num(&d.toks[c], &v[k])) {
                ol_err_set(err, "row %u: value %d is not a number", i, k + 2);
                rc = OL_CORRUPT;
            }
        }
        red_row_t *r = rc == OL_OK ? answer_add(out, svc) : NULL;
        if (rc == OL_OK && !r) rc = OL_NOMEM;
        if (rc != OL_OK) break;
        r->count = (uint64_t)v[0];
        r->err_rate = v[1];
        for (int k = 0; k < 3; k++) r->q[k] = v[k + 2];
    }
    if (a) ol_arena_destroy(a);
    return rc;
}

/* ---- the two systems ---- */

typedef struct {
    opts_t o;
    uint64_t start_ns, end_ns;
    char sql_olly[1024], sql_ch[1024], sql_ch_exact[1024];
    ol_store_t *store;
    char store_dir[4096];
    ol_chb_api_t api;
    chdb_connection *conn;
    char ch_dir[4096];
    bool chdb_loaded;
    ol_buf_t out;
    uint64_t olly_parts;
    double gen_s, olly_load_s, olly_flush_s, ch_load_s, ch_optimize_s;
    char clickhouse_version[64];
} ctx_t;

static int olly_run(ctx_t *cx, red_answer_t *ans, ol_err_t *err)
{
    ol_buf_reset(&cx->out);
    ol_sql_stats_t st;
    int rc = ol_sql_run(cx->store, cx->sql_olly, strlen(cx->sql_olly), NULL, 0, &cx->out, &st, err);
    if (rc != OL_OK) return rc;
    ans->rows_scanned = st.rows_scanned;
    ans->bytes_scanned = st.bytes_scanned;
    return parse_answer(ol_buf_slice(&cx->out), "rows", ans, err);
}

static int ch_query(ctx_t *cx, const char *sql, const char *format, ol_buf_t *out, ol_err_t *err)
{
    chdb_result *r = cx->api.query_n(*cx->conn, sql, strlen(sql), format, strlen(format));
    if (!r) {
        ol_err_set(err, "chDB returned no result");
        return OL_ERR;
    }
    const char *e = cx->api.result_error(r);
    if (e) {
        ol_err_set(err, "ClickHouse: %.200s", e);
        cx->api.destroy_query_result(r);
        return OL_ERR;
    }
    if (out) {
        ol_buf_reset(out);
        char *p = cx->api.result_buffer(r);
        size_t n = cx->api.result_length(r);
        if (p && n) ol_buf_append(out, p, n);
    }
    cx->api.destroy_query_result(r);
    return out && out->err ? OL_NOMEM : OL_OK;
}

static int ch_run_sql(ctx_t *cx, const char *sql, red_answer_t *ans, ol_err_t *err)
{
    int rc = ch_query(cx, sql, "JSONCompact", &cx->out, err);
    return rc ? rc : parse_answer(ol_buf_slice(&cx->out), "data", ans, err);
}

static int ch_run(ctx_t *cx, red_answer_t *ans, ol_err_t *err) { return ch_run_sql(cx, cx->sql_ch, ans, err); }

/* ---- the paths ---- */

typedef struct {
    const char *name;
    const char *what;
    int (*run)(ctx_t *cx, red_answer_t *ans, ol_err_t *err);
    double q_tol; /* < 0: quantiles not checked */
    bool head;    /* runs before the flush, while the spans are in Olly's head */
    bool clickhouse;
    /* results */
    bool ran;
    double *ms;
    size_t n_ms;
    ol_bench_lat_t lat;
    check_t check;
    bool all_ok;
    char first_bad[256];
    uint64_t rows_scanned, bytes_scanned;
} red_path_t;

static red_path_t red_paths[] = {
    {.name = "olly-head", .what = "Olly SQL, spans in the in-memory head (before the flush)", .run = olly_run,
     .q_tol = RED_Q_EXACT_TOL, .head = true},
    {.name = "olly-parts", .what = "Olly SQL, spans in columnar parts (after ol_store_flush_now)", .run = olly_run,
     .q_tol = RED_Q_EXACT_TOL},
    {.name = "clickhouse", .what = "ClickHouse (chDB), the exporter's otel_traces after OPTIMIZE FINAL", .run = ch_run,
     .q_tol = -1, .clickhouse = true},
};
#define N_PATHS (sizeof red_paths / sizeof red_paths[0])

static int path_once(ctx_t *cx, red_path_t *p, const red_answer_t *ref, bool measured, ol_err_t *err)
{
    red_answer_t ans = {0};
    uint64_t t0 = ol_mono_ns();
    int rc = p->run(cx, &ans, err);
    double ms = (double)(ol_mono_ns() - t0) / 1e6;
    if (rc == OL_OK) {
        check_t c;
        check_answer(&ans, ref, p->q_tol, &c);
        if (c.max_q_dev > p->check.max_q_dev) p->check.max_q_dev = c.max_q_dev;
        if (!c.ok && p->all_ok) {
            p->all_ok = false;
            snprintf(p->first_bad, sizeof p->first_bad, "%s", c.why);
        }
        p->rows_scanned = ans.rows_scanned;
        p->bytes_scanned = ans.bytes_scanned;
        if (measured) p->ms[p->n_ms++] = ms;
    }
    answer_free(&ans);
    return rc;
}

/* ---- more queries (--also): timed on each system, answers not checked ---- */

enum { ALSO_HEAD, ALSO_PARTS, ALSO_CH, ALSO__N };
static const char *const also_names[ALSO__N] = {"olly-head", "olly-parts", "clickhouse"};

typedef struct {
    double *ms[ALSO__N];
    size_t n[ALSO__N];
} also_t;

static also_t red_also[RED_MAX_ALSO];

static int also_once(ctx_t *cx, size_t q, int sys, bool measured, ol_err_t *err)
{
    const char *sql = cx->o.also[q];
    uint64_t t0 = ol_mono_ns();
    int rc;
    if (sys == ALSO_CH) {
        rc = ch_query(cx, sql, "JSONCompact", &cx->out, err);
    } else {
        ol_buf_reset(&cx->out);
        ol_sql_stats_t st;
        rc = ol_sql_run(cx->store, sql, strlen(sql), NULL, 0, &cx->out, &st, err);
    }
    double ms = (double)(ol_mono_ns() - t0) / 1e6;
    if (rc != OL_OK) return rc;
    if (measured) red_also[q].ms[sys][red_also[q].n[sys]++] = ms;
    return OL_OK;
}

/* ---- loading ---- */

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    OL_UNUSED(st);
    OL_UNUSED(flag);
    OL_UNUSED(ftw);
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

static int tmp_dir(char *out, size_t cap, const char *what)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(out, cap, "%s/olly-red-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", what);
    return mkdtemp(out) ? OL_OK : OL_ERR;
}

static int ch_insert(ctx_t *cx, ol_buf_t *rows, ol_err_t *err)
{
    if (!rows->len) return OL_OK;
    static const char sql[] = "INSERT INTO `" RED_DB "`.`otel_traces` (" OL_CHB_INSERT_COLUMNS ")";
    chdb_insert_stream st = cx->api.stream_insert_n(*cx->conn, sql, sizeof sql - 1, "RowBinary", 9);
    const char *e = st ? cx->api.stream_insert_error(st) : "no stream handle";
    if (!e && cx->api.stream_append(st, rows->data, rows->len) != CHDBSuccess) {
        e = cx->api.stream_insert_error(st);
        if (!e) e = "chdb_stream_append failed";
    }
    int rc = OL_OK;
    if (!e) {
        chdb_result *r = cx->api.stream_done(st);
        const char *re = r ? cx->api.result_error(r) : "chdb_stream_done returned no result";
        if (re) {
            ol_err_set(err, "ClickHouse insert: %.200s", re);
            rc = OL_ERR;
        }
        if (r) cx->api.destroy_query_result(r);
    } else {
        ol_err_set(err, "ClickHouse insert: %.200s", e);
        rc = OL_ERR;
    }
    if (st) cx->api.destroy_insert_stream(st);
    ol_buf_reset(rows);
    return rc;
}

/* One request: into Olly, into the rows for ClickHouse, into the reference. */
static int load_request(ctx_t *cx, ol_slice_t req, ol_arena_t *a, ol_buf_t *rows, ol_buf_t *scratch, ref_t *ref,
                        double *olly_s, ol_err_t *err)
{
    ol_otlp_batch_t batch;
    ol_arena_reset(a);
    int rc = ol_otlp_decode(OL_SIGNAL_TRACES, req, a, &batch, err);
    if (rc != OL_OK) return rc;
    ol_chb_origin_row_t *orow = batch.n_origins ? ol_arena_alloc(a, batch.n_origins * sizeof *orow) : NULL;
    if (batch.n_origins && !orow) return OL_NOMEM;
    for (size_t i = 0; rc == OL_OK && i < batch.n_origins; i++) rc = ol_chb_origin_row(&batch.origins[i], a, &orow[i], err);
    for (size_t i = 0; rc == OL_OK && i < batch.n_spans; i++) {
        const ol_otlp_span_t *s = &batch.spans[i];
        if (!s->valid) {
            ref->invalid++;
            continue;
        }
        const ol_chb_origin_row_t *o = &orow[s->origin - batch.origins];
        if (cx->o.clickhouse) rc = ol_chb_span_row(rows, s, o, scratch, err);
        if (rc != OL_OK) break;
        if (s->start_ns >= cx->start_ns && s->start_ns < cx->end_ns) {
            ref->spans_in_hour++;
            rc = ref_add(ref, o->service_name, s->end_ns - s->start_ns, s->status_code == 2);
        } else {
            ref->spans_outside++;
        }
    }
    if (rc != OL_OK) return rc;
    uint64_t t0 = ol_mono_ns();
    ol_store_append_result_t res = {0};
    rc = ol_store_append(cx->store, &batch, &res);
    *olly_s += (double)(ol_mono_ns() - t0) / 1e9;
    if (rc != OL_OK) {
        ol_err_set(err, "ol_store_append: %s", ol_rc_str(rc));
        return rc;
    }
    if (res.duplicates) {
        ol_err_set(err, "the store dropped %llu spans as duplicates", (unsigned long long)res.duplicates);
        return OL_ERR;
    }
    return OL_OK;
}

static int load(ctx_t *cx, ref_t *ref, ol_err_t *err)
{
    const opts_t *o = &cx->o;
    uint64_t requests = (o->spans + o->spr - 1) / o->spr;
    uint32_t n_batches = (uint32_t)(requests < RED_MAX_BATCHES ? requests : RED_MAX_BATCHES);
    ol_topology_t *t = NULL;
    int rc = ol_topo_create_default(ol_topo_default_services(), &t, err);
    ol_loadgen_batch_t *b = rc == OL_OK ? calloc(n_batches, sizeof *b) : NULL;
    if (rc == OL_OK && !b) rc = OL_NOMEM;
    uint64_t t0 = ol_mono_ns();
    for (uint32_t i = 0; rc == OL_OK && i < n_batches; i++) rc = ol_loadgen_batch_build(t, o->seed, i, (uint32_t)o->spr, &b[i], err);
    cx->gen_s = (double)(ol_mono_ns() - t0) / 1e9;
    ol_arena_t *a = ol_arena_create(4 << 20, 0);
    ol_buf_t rows, scratch;
    ol_buf_init(&rows, OL_MEM_CODEC, 0);
    ol_buf_init(&scratch, OL_MEM_CODEC, 0);
    if (rc == OL_OK && !a) rc = OL_NOMEM;
    uint64_t window = o->window_s * 1000000000ull;
    for (uint64_t i = 0; rc == OL_OK && i < requests; i++) {
        ol_loadgen_batch_t *lb = &b[i % n_batches];
        /* request i ends 1 s before the end of its slot of the window */
        ol_loadgen_batch_patch(lb, i / n_batches, RED_T0_NS + (i + 1) * (window / requests) - 1000000000ull);
        rc = load_request(cx, ol_slice(lb->data, lb->len), a, &rows, &scratch, ref, &cx->olly_load_s, err);
        if (rc == OL_OK && rows.err) rc = OL_NOMEM;
        if (rc == OL_OK && cx->o.clickhouse && (rows.len >= (size_t)RED_INSERT_ROWS * 400 || i + 1 == requests)) {
            uint64_t c0 = ol_mono_ns();
            rc = ch_insert(cx, &rows, err);
            cx->ch_load_s += (double)(ol_mono_ns() - c0) / 1e9;
        }
        if (rc == OL_OK && (i + 1) % 100 == 0) fprintf(stderr, "red_bench: %llu / %llu requests loaded\n",
                                                       (unsigned long long)(i + 1), (unsigned long long)requests);
    }
    for (uint32_t i = 0; b && i < n_batches; i++) ol_loadgen_batch_free(&b[i]);
    free(b);
    ol_topo_destroy(t);
    if (a) ol_arena_destroy(a);
    ol_buf_free(&rows);
    ol_buf_free(&scratch);
    if (rc == OL_OK && cx->o.clickhouse) {
        uint64_t c0 = ol_mono_ns();
        rc = ch_query(cx, "OPTIMIZE TABLE `" RED_DB "`.`otel_traces` FINAL", "CSV", NULL, err);
        cx->ch_optimize_s = (double)(ol_mono_ns() - c0) / 1e9;
    }
    return rc;
}

static int ch_open(ctx_t *cx, ol_err_t *err)
{
    int rc = ol_chb_api_load(&cx->api, cx->o.lib, err);
    if (rc != OL_OK) return rc;
    cx->chdb_loaded = true;
    if (tmp_dir(cx->ch_dir, sizeof cx->ch_dir, "chdb") != OL_OK) {
        ol_err_set(err, "mkdtemp: %s", strerror(errno));
        return OL_ERR;
    }
    char path_arg[4200];
    snprintf(path_arg, sizeof path_arg, "--path=%s", cx->ch_dir);
    char *argv[] = {"red_bench", path_arg};
    cx->conn = cx->api.connect(2, argv);
    if (!cx->conn) {
        ol_err_set(err, "chdb_connect(%s) failed", path_arg);
        return OL_ERR;
    }
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CODEC, 0);
    rc = ch_query(cx, "SELECT version()", "TSVRaw", &b, err);
    if (rc == OL_OK) {
        snprintf(cx->clickhouse_version, sizeof cx->clickhouse_version, "%.*s", (int)OL_MIN(b.len, 63),
                 b.len ? (const char *)b.data : "");
        cx->clickhouse_version[strcspn(cx->clickhouse_version, "\r\n")] = 0;
        rc = ch_query(cx, "CREATE DATABASE IF NOT EXISTS `" RED_DB "`", "CSV", NULL, err);
    }
    for (int i = 0; rc == OL_OK && i < OL_CHB_SCHEMA_STATEMENTS; i++) {
        ol_buf_reset(&b);
        ol_chb_schema_statement(&b, i, RED_DB, OL_CHB_INDEX_TEXT);
        ol_buf_append_u8(&b, 0);
        rc = b.err ? OL_NOMEM : ch_query(cx, (const char *)b.data, "CSV", NULL, err);
    }
    ol_buf_free(&b);
    return rc;
}

/* ---- report ---- */

static void print_table(FILE *f, const ctx_t *cx, const ref_t *ref, const red_answer_t *want)
{
    const opts_t *o = &cx->o;
    fprintf(f, "\nRED query, %llu spans over %llu s from 2026-11-21 10:00 UTC (%llu in the hour, %zu services), %llu runs\n",
            (unsigned long long)(ref->spans_in_hour + ref->spans_outside), (unsigned long long)o->window_s,
            (unsigned long long)ref->spans_in_hour, want->n, (unsigned long long)o->runs);
    fprintf(f, "  %-11s %10s %10s %10s  %-6s %s\n", "path", "p50 ms", "p99 ms", "max ms", "answer", "notes");
    for (size_t i = 0; i < N_PATHS; i++) {
        const red_path_t *p = &red_paths[i];
        if (!p->ran) continue;
        char notes[320];
        if (p->q_tol < 0)
            snprintf(notes, sizeof notes, "quantiles sampled: up to %.2f%% from exact (not checked)", 100 * p->check.max_q_dev);
        else if (p->rows_scanned)
            snprintf(notes, sizeof notes, "rowsScanned %llu, bytesScanned %llu", (unsigned long long)p->rows_scanned,
                     (unsigned long long)p->bytes_scanned);
        else
            notes[0] = 0;
        fprintf(f, "  %-11s %10.2f %10.2f %10.2f  %-6s %s%s%s\n", p->name, p->lat.p50, p->lat.p99, p->lat.max,
                p->all_ok ? "ok" : "WRONG", notes, p->all_ok ? "" : ": ", p->all_ok ? "" : p->first_bad);
    }
    fprintf(f, "  (generation %.2f s; Olly append %.2f s, flush %.2f s, %llu parts", cx->gen_s, cx->olly_load_s,
            cx->olly_flush_s, (unsigned long long)cx->olly_parts);
    if (o->clickhouse) fprintf(f, "; ClickHouse %s insert %.2f s, OPTIMIZE FINAL %.2f s", cx->clickhouse_version,
                               cx->ch_load_s, cx->ch_optimize_s);
    fprintf(f, ")\n  Olly: %s\n", cx->sql_olly);
    if (o->clickhouse) fprintf(f, "  ClickHouse: %s\n", cx->sql_ch);
    for (size_t q = 0; q < o->n_also; q++) {
        fprintf(f, "  also: %s\n   ", o->also[q]);
        for (int sys = 0; sys < ALSO__N; sys++) {
            if (!red_also[q].n[sys]) continue;
            ol_bench_lat_t l = ol_bench_lat(red_also[q].ms[sys], red_also[q].n[sys]);
            fprintf(f, " %s p50/p99 %.2f / %.2f ms;", also_names[sys], l.p50, l.p99);
        }
        fprintf(f, "\n");
    }
}

static void print_json(FILE *f, const ctx_t *cx, const ref_t *ref, const red_answer_t *want, bool exact_ok)
{
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CODEC, 0);
    ol_buf_printf(&b, "{\"spans\":%llu,\"spans_in_hour\":%llu,\"services\":%zu,\"window_s\":%llu,\"runs\":%llu,",
                  (unsigned long long)(ref->spans_in_hour + ref->spans_outside), (unsigned long long)ref->spans_in_hour,
                  want->n, (unsigned long long)cx->o.window_s, (unsigned long long)cx->o.runs);
    ol_buf_append_cstr(&b, "\"sql\":");
    ol_json_write_cstr(&b, cx->sql_olly);
    ol_buf_append_cstr(&b, ",\"sql_clickhouse\":");
    ol_json_write_cstr(&b, cx->o.clickhouse ? cx->sql_ch : "");
    ol_buf_printf(&b, ",\"olly_parts\":%llu,\"olly_append_s\":%.3f,\"olly_flush_s\":%.3f,", (unsigned long long)cx->olly_parts,
                  cx->olly_load_s, cx->olly_flush_s);
    ol_buf_append_cstr(&b, "\"clickhouse_version\":");
    ol_json_write_cstr(&b, cx->clickhouse_version);
    ol_buf_printf(&b, ",\"clickhouse_exact_ok\":%s,\"paths\":[", exact_ok ? "true" : "false");
    bool first = true;
    for (size_t i = 0; i < N_PATHS; i++) {
        const red_path_t *p = &red_paths[i];
        if (!p->ran) continue;
        ol_buf_append_cstr(&b, first ? "{\"name\":" : ",{\"name\":");
        first = false;
        ol_json_write_cstr(&b, p->name);
        ol_buf_append_cstr(&b, ",\"what\":");
        ol_json_write_cstr(&b, p->what);
        ol_buf_append_u8(&b, ',');
        ol_bench_lat_json(&b, "latency", &p->lat);
        ol_buf_printf(&b, ",\"answer_ok\":%s,\"quantiles_checked\":%s,\"max_quantile_deviation\":%.6g,"
                          "\"rows_scanned\":%llu,\"bytes_scanned\":%llu,\"problem\":",
                      p->all_ok ? "true" : "false", p->q_tol >= 0 ? "true" : "false", p->check.max_q_dev,
                      (unsigned long long)p->rows_scanned, (unsigned long long)p->bytes_scanned);
        ol_json_write_cstr(&b, p->first_bad);
        ol_buf_append_u8(&b, '}');
    }
    ol_buf_append_cstr(&b, "],\"also\":[");
    for (size_t q = 0; q < cx->o.n_also; q++) {
        ol_buf_append_cstr(&b, q ? ",{\"sql\":" : "{\"sql\":");
        ol_json_write_cstr(&b, cx->o.also[q]);
        for (int sys = 0; sys < ALSO__N; sys++) {
            if (!red_also[q].n[sys]) continue;
            ol_bench_lat_t l = ol_bench_lat(red_also[q].ms[sys], red_also[q].n[sys]);
            ol_buf_append_u8(&b, ',');
            ol_bench_lat_json(&b, also_names[sys], &l);
        }
        ol_buf_append_u8(&b, '}');
    }
    ol_buf_append_cstr(&b, "],\"answer\":[");
    for (size_t i = 0; i < want->n; i++) {
        const red_row_t *r = &want->rows[i];
        ol_buf_append_cstr(&b, i ? ",[" : "[");
        ol_json_write_cstr(&b, r->service);
        ol_buf_printf(&b, ",%llu,%.17g,%.17g,%.17g,%.17g]", (unsigned long long)r->count, r->err_rate, r->q[0], r->q[1],
                      r->q[2]);
    }
    ol_buf_append_cstr(&b, "]}\n");
    fwrite(b.data, 1, b.len, f);
    ol_buf_free(&b);
}

/* ---- main ---- */

static void usage(void)
{
    fprintf(stderr,
            "usage: red_bench [--spans N] [--spans-per-request S] [--runs R] [--window-sec W] [--seed N]\n"
            "                 [--lib PATH] [--no-clickhouse] [--no-head] [--short] [--json]\n"
            "  --spans N              spans to generate (1,000,000; --short 20,000)\n"
            "  --spans-per-request S  spans per request (2,000)\n"
            "  --runs R               measured runs per path (20; --short 3), after one unmeasured run\n"
            "  --window-sec W         the spans' time span from 2026-11-21 10:00 UTC (3600; the query is that hour)\n"
            "  --seed N               load generator seed (1)\n"
            "  --lib PATH             libchdb.so (default $CHDB_LIB, else bench/node_modules/...)\n"
            "  --no-clickhouse        Olly only\n"
            "  --no-head              skip the run over Olly's in-memory head\n"
            "  --keep                 keep the Olly store and the ClickHouse session directories\n"
            "  --json                 one JSON object on stdout, the table on stderr\n"
            "  --also SQL             also time this query (as written, on both systems; `otel.otel_traces`\n"
            "                         names the table on both), answers not checked; up to 8\n");
}

static bool num_arg(const char *s, uint64_t *out)
{
    char *e = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &e, 10);
    if (errno || !e || *e || !*s || v == 0) return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    ctx_t cx;
    memset(&cx, 0, sizeof cx);
    opts_t *o = &cx.o;
    *o = (opts_t){.spans = 0, .spr = 2000, .runs = 0, .seed = 1, .window_s = 3600, .clickhouse = true, .head = true};
    bool short_mode = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool ok = true;
        if (!strcmp(a, "--spans") && v) ok = num_arg(v, &o->spans), i++;
        else if (!strcmp(a, "--spans-per-request") && v) ok = num_arg(v, &o->spr), i++;
        else if (!strcmp(a, "--runs") && v) ok = num_arg(v, &o->runs), i++;
        else if (!strcmp(a, "--window-sec") && v) ok = num_arg(v, &o->window_s), i++;
        else if (!strcmp(a, "--seed") && v) ok = num_arg(v, &o->seed), i++;
        else if (!strcmp(a, "--lib") && v) o->lib = v, i++;
        else if (!strcmp(a, "--no-clickhouse")) o->clickhouse = false;
        else if (!strcmp(a, "--no-head")) o->head = false;
        else if (!strcmp(a, "--keep")) o->keep = true;
        else if (!strcmp(a, "--short")) short_mode = true;
        else if (!strcmp(a, "--json")) o->json = true;
        else if (!strcmp(a, "--also") && v && o->n_also < RED_MAX_ALSO) o->also[o->n_also++] = v, i++;
        else ok = false;
        if (!ok) {
            usage();
            return 2;
        }
    }
    if (!o->spans) o->spans = short_mode ? 20000 : 1000000;
    if (!o->runs) o->runs = short_mode ? 3 : 20;
    if (o->spr > 100000 || o->window_s > 86400 - 36000) {
        fprintf(stderr, "red_bench: --spans-per-request at most 100,000, --window-sec at most 50,400 (one UTC day)\n");
        return 2;
    }
    if (!o->lib) o->lib = ol_chb_default_lib("../.."); /* bench/chdb/build -> bench */
    FILE *tf = o->json ? stderr : stdout;

    cx.start_ns = RED_T0_NS;
    cx.end_ns = RED_T0_NS + 3600ull * 1000000000ull;
    uint64_t ms0 = cx.start_ns / 1000000, ms1 = cx.end_ns / 1000000;
    static const char sel[] = "SELECT ServiceName, count(), countIf(StatusCode = 'Error') / count(), "
                              "quantile(0.5)(Duration), quantile(0.95)(Duration), quantile(0.99)(Duration)";
    static const char sel_exact[] = "SELECT ServiceName, count(), countIf(StatusCode = 'Error') / count(), "
                                    "quantileExactInclusive(0.5)(Duration), quantileExactInclusive(0.95)(Duration), "
                                    "quantileExactInclusive(0.99)(Duration)";
    const char *where = " WHERE Timestamp >= fromUnixTimestamp64Milli(%llu) AND Timestamp < "
                        "fromUnixTimestamp64Milli(%llu) GROUP BY ServiceName";
    char w[256];
    snprintf(w, sizeof w, where, (unsigned long long)ms0, (unsigned long long)ms1);
    snprintf(cx.sql_olly, sizeof cx.sql_olly, "%s FROM otel_traces%s", sel, w);
    snprintf(cx.sql_ch, sizeof cx.sql_ch, "%s FROM `" RED_DB "`.`otel_traces`%s", sel, w);
    snprintf(cx.sql_ch_exact, sizeof cx.sql_ch_exact, "%s FROM `" RED_DB "`.`otel_traces`%s", sel_exact, w);
    ol_buf_init(&cx.out, OL_MEM_QUERY, 0);

    ol_err_t err = {{0}};
    ref_t ref = {0};
    red_answer_t want = {0};
    int rc = OL_OK;
    bool exact_ok = !o->clickhouse;

    if (o->clickhouse) {
        fprintf(stderr, "red_bench: loading chDB from %s\n", o->lib);
        rc = ch_open(&cx, &err);
    }
    if (rc == OL_OK && tmp_dir(cx.store_dir, sizeof cx.store_dir, "store") != OL_OK) {
        ol_err_set(&err, "mkdtemp: %s", strerror(errno));
        rc = OL_ERR;
    }
    if (rc == OL_OK) {
        ol_store_options_t so = {.dir = cx.store_dir, .fsync = OL_FSYNC_NEVER, .flush_bytes = 1ull << 40,
                                 .flush_age_ms = 24ull * 3600 * 1000, .threads = 1};
        rc = ol_store_open(&so, &cx.store, &err);
        if (rc == OL_OK) rc = ol_store_replay(cx.store);
    }
    if (rc == OL_OK) {
        fprintf(stderr, "red_bench: generating and loading %llu spans\n", (unsigned long long)o->spans);
        rc = load(&cx, &ref, &err);
    }
    if (rc == OL_OK) rc = ref_answer(&ref, &want);
    if (rc == OL_OK && !want.n) {
        ol_err_set(&err, "no span starts in the hour");
        rc = OL_ERR;
    }
    for (size_t i = 0; i < N_PATHS; i++) {
        red_path_t *p = &red_paths[i];
        p->all_ok = true;
        p->ms = calloc(o->runs, sizeof *p->ms);
        if (!p->ms) rc = OL_NOMEM;
    }
    for (size_t q = 0; q < o->n_also; q++)
        for (int sys = 0; sys < ALSO__N; sys++)
            if (!(red_also[q].ms[sys] = calloc(o->runs, sizeof(double)))) rc = OL_NOMEM;
    /* The head first (before the flush), then the rest taking turns. */
    for (int phase = 0; phase < 2 && rc == OL_OK; phase++) {
        if (phase == 1) {
            uint64_t t0 = ol_mono_ns();
            rc = ol_store_flush_now(cx.store);
            cx.olly_flush_s = (double)(ol_mono_ns() - t0) / 1e9;
            ol_store_stats_t st;
            ol_store_stats(cx.store, &st);
            cx.olly_parts = st.parts;
            if (rc == OL_OK && st.head_spans) {
                ol_err_set(&err, "%llu spans still in the head after the flush", (unsigned long long)st.head_spans);
                rc = OL_ERR;
            }
            if (rc != OL_OK) break;
        }
        for (uint64_t run = 0; run <= o->runs && rc == OL_OK; run++) {
            for (size_t i = 0; i < N_PATHS && rc == OL_OK; i++) {
                red_path_t *p = &red_paths[i];
                if (p->head != (phase == 0) || (p->head && !o->head) || (p->clickhouse && !o->clickhouse)) continue;
                p->ran = true;
                rc = path_once(&cx, p, &want, run > 0, &err);
                if (rc != OL_OK) ol_err_set(&err, "%s: %s", p->name, err.msg);
            }
            for (size_t q = 0; q < o->n_also && rc == OL_OK; q++) {
                for (int sys = 0; sys < ALSO__N && rc == OL_OK; sys++) {
                    if ((sys == ALSO_HEAD) != (phase == 0) || (sys == ALSO_HEAD && !o->head) ||
                        (sys == ALSO_CH && !o->clickhouse))
                        continue;
                    rc = also_once(&cx, q, sys, run > 0, &err);
                    if (rc != OL_OK) ol_err_set(&err, "%s, also query %zu: %s", also_names[sys], q + 1, err.msg);
                }
            }
        }
    }
    if (rc == OL_OK && o->clickhouse) {
        red_answer_t exact = {0};
        rc = ch_run_sql(&cx, cx.sql_ch_exact, &exact, &err);
        if (rc == OL_OK) {
            check_t c;
            check_answer(&exact, &want, RED_Q_EXACT_TOL, &c);
            exact_ok = c.ok;
            if (!c.ok) fprintf(stderr, "red_bench: ClickHouse's quantileExactInclusive answer differs: %s\n", c.why);
        }
        answer_free(&exact);
    }

    bool all_ok = rc == OL_OK && exact_ok;
    if (rc == OL_OK) {
        for (size_t i = 0; i < N_PATHS; i++) {
            red_path_t *p = &red_paths[i];
            if (!p->ran) continue;
            p->lat = ol_bench_lat(p->ms, p->n_ms);
            all_ok &= p->all_ok;
        }
        print_table(tf, &cx, &ref, &want);
        if (o->json) print_json(stdout, &cx, &ref, &want, exact_ok);
    } else {
        fprintf(stderr, "red_bench: %s (%s)\n", err.msg, ol_rc_str(rc));
    }
    if (rc == OL_OK) fprintf(tf, "red_bench: %s\n", all_ok ? "every answer agreed" : "A WRONG ANSWER (see above)");

    for (size_t i = 0; i < N_PATHS; i++) free(red_paths[i].ms);
    for (size_t q = 0; q < o->n_also; q++)
        for (int sys = 0; sys < ALSO__N; sys++) free(red_also[q].ms[sys]);
    answer_free(&want);
    ref_free(&ref);
    ol_buf_free(&cx.out);
    if (cx.store) ol_store_close(cx.store);
    if (cx.conn) cx.api.close_conn(cx.conn);
    if (cx.chdb_loaded) cx.api.shutdown();
    if (o->keep) {
        fprintf(stderr, "red_bench: kept %s and %s\n", cx.store_dir, cx.ch_dir);
    } else {
        if (cx.store_dir[0]) nftw(cx.store_dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
        if (cx.ch_dir[0]) nftw(cx.ch_dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    }
    return all_ok ? 0 : 1;
}
