/*
 * test_pipeline_red.c - RED series and the service map (pipeline/red.h)
 * over a real store, on a generated topology whose every figure is known:
 *
 *   frontend  GET /checkout (Server, root) -> client POST /checkout
 *   checkout  POST /checkout (Server) -> SELECT orders (Client, db: postgresql,
 *             or orders-db via peer.service every 5th trace), orders publish
 *             (Producer, kafka; every 3rd consumed by fulfillment through a
 *             span link), POST /pay (Client)
 *   payment   POST /pay (Server) -> POST /v1/charges (Client, api.stripe.com
 *             named by server.address, net.peer.name or http.host in turn)
 *   fulfillment  orders process (Consumer, root of its own trace)
 *   cron      cleanup (Internal root span)
 *
 * Errors follow the trace number (every 7th trace fails along its payment
 * path, every 11th database call fails). The generator records what each
 * node, edge and operation must show from the topology itself (not from
 * span attributes), then the spans are shuffled across batches (server
 * spans often arrive before their client), appended to the store (whose dup
 * flags are passed on), re-sent in part as duplicates, buckets are emitted
 * while data still arrives (so late spans add delta points to emitted
 * buckets), spans outside the lateness window are refused. The service map,
 * the service page and SQL over otel_metrics_sum must then show the exact
 * counts, quantiles within the sketch's error of the exact ones, and the same
 * after the store is reopened.
 */
#include <ftw.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "codec/json.h"
#include "codec/otlp.h"
#include "codec/pb.h"
#include "core/arena.h"
#include "pipeline/red.h"
#include "pipeline/sketch.h"
#include "sql/sql.h"
#include "store/store.h"
#include "test.h"

#define SEC 1000000000ull
#define MS 1000000ull
#define T0 (1700000000ull * SEC)
#define NTRACES 300

enum { K_UNSPEC = 0, K_INTERNAL, K_SERVER, K_CLIENT, K_PRODUCER, K_CONSUMER };

static uint64_t g_rng = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void) { return ol_test_rng(&g_rng); }
static double rnd_ms(double lo, double hi) { return lo + (double)(rnd() % 1000000) / 1e6 * (hi - lo); }

/* ---- spans ---- */

typedef struct tspan {
    const char *service, *name;
    int kind, status;
    uint8_t trace[16], span[8], parent[8];
    bool has_parent, has_link;
    uint8_t link_trace[16], link_span[8];
    uint64_t start, end;
    const char *ak[2], *av[2];
} tspan_t;

static tspan_t *g_spans;
static size_t g_n, g_cap;

static void make_id(uint8_t *out, size_t n, uint64_t v)
{
    memset(out, 0, n);
    for (size_t i = 0; i < 8 && i < n; i++) out[n - 1 - i] = (uint8_t)(v >> (8 * i));
    out[0] |= 0x80; /* never all zero */
}

static tspan_t *new_span(const char *service, const char *name, int kind, uint64_t trace, uint64_t id,
                         const tspan_t *parent, uint64_t start, double dur_ms, int status)
{
    /* One allocation, never moved: callers keep pointers to earlier spans. */
    if (!g_spans) g_spans = malloc((g_cap = 8192) * sizeof *g_spans);
    if (g_n == g_cap) abort();
    tspan_t *s = &g_spans[g_n++];
    memset(s, 0, sizeof *s);
    s->service = service;
    s->name = name;
    s->kind = kind;
    s->status = status;
    make_id(s->trace, 16, trace);
    make_id(s->span, 8, id);
    if (parent) {
        memcpy(s->parent, parent->span, 8);
        s->has_parent = true;
    }
    s->start = start;
    s->end = start + (uint64_t)llround(dur_ms * 1e6);
    return s;
}

static void put_kv(ol_buf_t *b, uint32_t field, const char *k, const char *v)
{
    size_t kv = ol_pb_begin(b, field);
    ol_pb_put_bytes(b, 1, ol_slice_cstr(k));
    size_t av = ol_pb_begin(b, 2);
    ol_pb_put_bytes(b, 1, ol_slice_cstr(v));
    ol_pb_end(b, av);
    ol_pb_end(b, kv);
}

/* ExportTraceServiceRequest with one ResourceSpans per span. */
static void build_request(ol_buf_t *b, tspan_t *const *spans, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const tspan_t *s = spans[i];
        size_t rs = ol_pb_begin(b, 1);
        size_t res = ol_pb_begin(b, 1);
        put_kv(b, 1, "service.name", s->service);
        ol_pb_end(b, res);
        size_t ss = ol_pb_begin(b, 2);
        size_t sc = ol_pb_begin(b, 1);
        ol_pb_put_bytes(b, 1, OL_SLICE_LIT("test"));
        ol_pb_end(b, sc);
        size_t sp = ol_pb_begin(b, 2);
        ol_pb_put_bytes(b, 1, ol_slice(s->trace, 16));
        ol_pb_put_bytes(b, 2, ol_slice(s->span, 8));
        if (s->has_parent) ol_pb_put_bytes(b, 4, ol_slice(s->parent, 8));
        ol_pb_put_bytes(b, 5, ol_slice_cstr(s->name));
        ol_pb_put_uint(b, 6, (uint64_t)s->kind);
        ol_pb_put_fixed64(b, 7, s->start);
        ol_pb_put_fixed64(b, 8, s->end);
        for (int k = 0; k < 2; k++)
            if (s->ak[k]) put_kv(b, 9, s->ak[k], s->av[k]);
        if (s->has_link) {
            size_t l = ol_pb_begin(b, 13);
            ol_pb_put_bytes(b, 1, ol_slice(s->link_trace, 16));
            ol_pb_put_bytes(b, 2, ol_slice(s->link_span, 8));
            ol_pb_end(b, l);
        }
        if (s->status) {
            size_t st = ol_pb_begin(b, 15);
            ol_pb_put_uint(b, 3, (uint64_t)s->status);
            ol_pb_end(b, st);
        }
        ol_pb_end(b, sp);
        ol_pb_end(b, ss);
        ol_pb_end(b, rs);
    }
}

/* ---- expectations ---- */

typedef struct expect {
    char key[128];
    uint64_t n, errors;
    double *durs;
    size_t cap;
} expect_t;

static expect_t g_exp[256];
static size_t g_n_exp;

static expect_t *exp_get(const char *key)
{
    for (size_t i = 0; i < g_n_exp; i++)
        if (strcmp(g_exp[i].key, key) == 0) return &g_exp[i];
    expect_t *e = &g_exp[g_n_exp++];
    memset(e, 0, sizeof *e);
    snprintf(e->key, sizeof e->key, "%s", key);
    return e;
}

static void exp_add(const char *key, const tspan_t *s)
{
    expect_t *e = exp_get(key);
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 64;
        e->durs = realloc(e->durs, e->cap * sizeof *e->durs);
    }
    e->durs[e->n++] = (double)(s->end - s->start) / 1e6;
    e->errors += s->status == 2;
}

/* What the span counts for: its node (entry spans), its operation, its service total. */
static void exp_span(const tspan_t *s, bool entry)
{
    static const char *kinds[] = {"Unspecified", "Internal", "Server", "Client", "Producer", "Consumer"};
    char k[128];
    if (entry) {
        snprintf(k, sizeof k, "node:%s", s->service);
        exp_add(k, s);
    }
    snprintf(k, sizeof k, "op:%s|%s|%s|%s", s->service, s->name, kinds[s->kind], entry ? "true" : "false");
    exp_add(k, s);
    snprintf(k, sizeof k, "total:%s", s->service);
    exp_add(k, s);
}

/* An edge (and, for an uninstrumented target, its node) measured on client span c. */
static void exp_edge(const tspan_t *c, const char *target, const char *type)
{
    char k[128];
    snprintf(k, sizeof k, "edge:%s>%s>%s", c->service, target, type);
    exp_add(k, c);
    if (strcmp(type, "service") != 0) {
        snprintf(k, sizeof k, "node:%s", target);
        exp_add(k, c);
    }
}

static void generate(void)
{
    uint64_t id = 1;
    for (uint64_t i = 0; i < NTRACES; i++) {
        uint64_t t = T0 + i * (600 * SEC / NTRACES) + rnd() % (2 * SEC);
        uint64_t tr = 1000 + i;
        int e7 = i % 7 == 0 ? 2 : 0;
        double d_c3 = rnd_ms(5, 100), d_c4 = rnd_ms(1, d_c3 - 2), d_c2 = rnd_ms(0.5, 10), d_p1 = rnd_ms(0.05, 2);
        double d_s2 = d_c2 + d_p1 + d_c3 + rnd_ms(1, 20), d_c1 = d_s2 + rnd_ms(0.2, 3), d_s1 = d_c1 + rnd_ms(0.5, 30);
        tspan_t *s1 = new_span("frontend", "GET /checkout", K_SERVER, tr, id++, NULL, t, d_s1, e7);
        exp_span(s1, true);
        tspan_t *c1 = new_span("frontend", "POST /checkout", K_CLIENT, tr, id++, s1, t + MS / 2, d_c1, e7);
        c1->ak[0] = "server.address", c1->av[0] = "checkout"; /* matched: a service edge, not external */
        exp_span(c1, false);
        exp_edge(c1, "checkout", "service");
        tspan_t *s2 = new_span("checkout", "POST /checkout", K_SERVER, tr, id++, c1, c1->start + MS / 10,
                               d_s2, e7);
        exp_span(s2, true);
        tspan_t *c2 = new_span("checkout", "SELECT orders", K_CLIENT, tr, id++, s2, s2->start + MS, d_c2,
                               i % 11 == 0 ? 2 : 0);
        c2->ak[0] = i % 2 ? "db.system.name" : "db.system", c2->av[0] = "postgresql";
        if (i % 5 == 0) c2->ak[1] = "peer.service", c2->av[1] = "orders-db";
        exp_span(c2, false);
        exp_edge(c2, i % 5 == 0 ? "orders-db" : "postgresql", "database");
        tspan_t *p1 = new_span("checkout", "orders publish", K_PRODUCER, tr, id++, s2, c2->end, d_p1, 0);
        p1->ak[0] = "messaging.system", p1->av[0] = "kafka";
        exp_span(p1, false);
        if (i % 3 == 0) {
            tspan_t *co = new_span("fulfillment", "orders process", K_CONSUMER, 100000 + i, id++, NULL,
                                   p1->start + 50 * MS, rnd_ms(5, 50), 0);
            co->has_link = true;
            memcpy(co->link_trace, p1->trace, 16);
            memcpy(co->link_span, p1->span, 8);
            exp_span(co, true);
            exp_edge(p1, "fulfillment", "service");
        } else {
            exp_edge(p1, "kafka", "queue");
        }
        tspan_t *c3 = new_span("checkout", "POST /pay", K_CLIENT, tr, id++, s2, p1->end, d_c3, e7);
        c3->ak[0] = "peer.service", c3->av[0] = "payment";
        exp_span(c3, false);
        exp_edge(c3, "payment", "service");
        tspan_t *s3 = new_span("payment", "POST /pay", K_SERVER, tr, id++, c3, c3->start + MS / 10, d_c3 - 0.5, e7);
        exp_span(s3, true);
        tspan_t *c4 = new_span("payment", "POST /v1/charges", K_CLIENT, tr, id++, s3, s3->start + MS / 10, d_c4, e7);
        static const char *host_keys[3] = {"server.address", "net.peer.name", "http.host"};
        c4->ak[0] = host_keys[i % 3], c4->av[0] = "api.stripe.com";
        exp_span(c4, false);
        exp_edge(c4, "api.stripe.com", "external");
        if (i % 4 == 0) {
            tspan_t *cr = new_span("cron", "cleanup", K_INTERNAL, 200000 + i, id++, NULL, t, rnd_ms(100, 1000), 0);
            exp_span(cr, true);
        }
    }
}

/* ---- the store and the aggregator ---- */

static char g_dir[64];
static ol_store_t *g_store;
static ol_red_t *g_red;

static void store_open(void)
{
    ol_store_options_t o = {.dir = g_dir, .fsync = OL_FSYNC_NEVER, .threads = 1};
    ol_err_t err;
    if (ol_store_open(&o, &g_store, &err) != OL_OK || ol_store_replay(g_store) != OL_OK) abort();
}

/* A fresh directory, store and RED state; and their end. */
static void fixture_open(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/olly-test-red-XXXXXX");
    if (!mkdtemp(g_dir)) abort();
    store_open();
    ol_err_t err;
    CHECK_EQ_INT(ol_red_create(NULL, g_store, &g_red, &err), OL_OK);
}

static void fixture_close(void)
{
    ol_red_destroy(g_red);
    g_red = NULL;
    ol_store_close(g_store);
    ol_test_rm_rf(g_dir);
}

/* Appends the spans as one request and observes it as ingest does; returns
 * the number of spans the store flagged as duplicates. */
static uint64_t deliver(tspan_t *const *spans, size_t n)
{
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CORE, 0);
    build_request(&b, spans, n);
    ol_arena_t *a = ol_arena_create(1 << 16, 0);
    ol_otlp_batch_t batch;
    ol_err_t err;
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_TRACES, ol_buf_slice(&b), a, &batch, &err), OL_OK);
    uint8_t *dup = calloc(batch.n_spans + 1, 1);
    ol_store_append_result_t res = {0};
    CHECK_EQ_INT(ol_store_append_dups(g_store, &batch, &res, dup), OL_OK);
    ol_red_observe(g_red, &batch, dup);
    free(dup);
    ol_arena_destroy(a);
    ol_buf_free(&b);
    return res.duplicates;
}

/* ---- reading the answers ---- */

typedef struct jdoc {
    ol_arena_t *a;
    ol_json_doc_t d;
} jdoc_t;

static bool jparse(jdoc_t *j, const ol_buf_t *out)
{
    j->a = ol_arena_create(1 << 16, 0);
    ol_err_t err;
    int rc = ol_json_parse(ol_buf_slice(out), j->a, &j->d, &err);
    if (rc != OL_OK) fprintf(stderr, "  bad JSON: %s\n", err.msg);
    return rc == OL_OK;
}

static bool jstr_eq(const jdoc_t *j, uint32_t t, const char *s)
{
    return t && j->d.toks[t].kind == OL_JSON_STRING && ol_slice_eq_cstr(j->d.toks[t].text, s);
}

static double jnum(const jdoc_t *j, uint32_t obj, const char *key)
{
    uint32_t t = ol_json_object_get(&j->d, obj, key);
    if (!t || j->d.toks[t].kind != OL_JSON_NUMBER) return NAN;
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.*s", (int)j->d.toks[t].text.len, (const char *)j->d.toks[t].text.ptr);
    return strtod(tmp, NULL);
}

/* The element of array `arr` whose members k1 (and k2, if given) equal v1 (v2). */
static uint32_t jfind(const jdoc_t *j, uint32_t arr, const char *k1, const char *v1, const char *k2, const char *v2)
{
    if (!arr || j->d.toks[arr].kind != OL_JSON_ARRAY) return 0;
    uint32_t el = arr + 1;
    for (uint32_t i = 0; i < j->d.toks[arr].size; i++, el = j->d.toks[el].next) {
        if (!jstr_eq(j, ol_json_object_get(&j->d, el, k1), v1)) continue;
        if (k2 && !jstr_eq(j, ol_json_object_get(&j->d, el, k2), v2)) continue;
        return el;
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Compares an object's figures with an expectation. */
static void check_figures(const char *what, const jdoc_t *j, uint32_t obj, const char *count_key, const char *key,
                          double secs)
{
    expect_t *e = exp_get(key);
    if (!obj && strcmp(what, "service") != 0) { /* 0 is the root: the service page's own figures */
        fprintf(stderr, "  %s: %s missing\n", what, key);
        CHECK(0);
        return;
    }
    double n = jnum(j, obj, count_key), errs = jnum(j, obj, "errors");
    if (n != (double)e->n || errs != (double)e->errors) {
        fprintf(stderr, "  %s %s: %s %.0f errors %.0f, want %" PRIu64 " / %" PRIu64 "\n", what, key, count_key, n,
                errs, e->n, e->errors);
        CHECK(0);
    }
    CHECK(fabs(jnum(j, obj, "rate") - (double)e->n / secs) < 1e-9);
    CHECK(fabs(jnum(j, obj, "errorRate") - (e->n ? (double)e->errors / (double)e->n : 0)) < 1e-12);
    qsort(e->durs, e->n, sizeof *e->durs, cmp_double);
    static const double qs[3] = {0.5, 0.95, 0.99};
    static const char *qk[3] = {"p50Ms", "p95Ms", "p99Ms"};
    for (int k = 0; k < 3; k++) {
        double want = e->durs[(size_t)floor(qs[k] * (double)(e->n - 1))], got = jnum(j, obj, qk[k]);
        if (!(fabs(got - want) <= OL_SKETCH_REL_ERROR * want)) {
            fprintf(stderr, "  %s %s %s: %.6f, exact %.6f\n", what, key, qk[k], got, want);
            CHECK(0);
        }
    }
}

#define WSTART (T0 - 3 * 3600 * SEC)
#define WEND (T0 + 3600 * SEC)

/* The third column: the peer still waits before the flush (a queue that
 * sometimes matches, an external host not learned yet). Databases are
 * counted at once. */
static const char *g_nodes[][3] = {
    {"frontend", "service", ""},     {"checkout", "service", ""},        {"payment", "service", ""},
    {"fulfillment", "service", ""},  {"cron", "service", ""},            {"postgresql", "database", ""},
    {"orders-db", "database", ""},   {"kafka", "queue", "waits"},        {"api.stripe.com", "external", "waits"},
};
static const char *g_edges[][4] = {
    {"frontend", "checkout", "service", ""},      {"checkout", "payment", "service", ""},
    {"checkout", "postgresql", "database", ""},   {"checkout", "orders-db", "database", ""},
    {"checkout", "kafka", "queue", "waits"},      {"checkout", "fulfillment", "service", ""},
    {"payment", "api.stripe.com", "external", "waits"},
};

/* All nodes and edges (after the flush), or those that do not wait. */
static void check_map(const ol_buf_t *out, bool all)
{
    jdoc_t j;
    if (!jparse(&j, out)) {
        CHECK(0);
        return;
    }
    double secs = (double)(WEND - WSTART) / 1e9;
    CHECK(jnum(&j, 0, "start") == (double)WSTART && jnum(&j, 0, "end") == (double)WEND);
    uint32_t nodes = ol_json_object_get(&j.d, 0, "nodes"), ed = ol_json_object_get(&j.d, 0, "edges");
    size_t n_nodes = 0, n_edges = 0;
    for (size_t i = 0; i < OL_ARRAY_LEN(g_nodes); i++) {
        if (!all && g_nodes[i][2][0]) continue;
        char key[128];
        snprintf(key, sizeof key, "node:%s", g_nodes[i][0]);
        check_figures("node", &j, jfind(&j, nodes, "name", g_nodes[i][0], "type", g_nodes[i][1]), "requests", key, secs);
        n_nodes++;
    }
    CHECK_EQ_INT(j.d.toks[nodes].size, n_nodes);
    for (size_t i = 0; i < OL_ARRAY_LEN(g_edges); i++) {
        if (!all && g_edges[i][3][0]) continue;
        char key[128];
        snprintf(key, sizeof key, "edge:%s>%s>%s", g_edges[i][0], g_edges[i][1], g_edges[i][2]);
        uint32_t e = jfind(&j, ed, "source", g_edges[i][0], "target", g_edges[i][1]);
        CHECK(jstr_eq(&j, ol_json_object_get(&j.d, e, "targetType"), g_edges[i][2]));
        check_figures("edge", &j, e, "calls", key, secs);
        n_edges++;
    }
    CHECK_EQ_INT(j.d.toks[ed].size, n_edges);
    ol_arena_destroy(j.a);
}

static void check_service_checkout(void)
{
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CORE, 0);
    ol_err_t err;
    CHECK_EQ_INT(ol_red_service(g_red, OL_SLICE_LIT("checkout"), WSTART, WEND, 0, &out, &err), OL_OK);
    jdoc_t j;
    if (!jparse(&j, &out)) {
        CHECK(0);
        ol_buf_free(&out);
        return;
    }
    double secs = (double)(WEND - WSTART) / 1e9;
    CHECK(jstr_eq(&j, ol_json_object_get(&j.d, 0, "service"), "checkout"));
    CHECK(jnum(&j, 0, "step") == 50.0 * SEC); /* 4 h / 10 s = 1440 buckets -> 5 per step, 288 steps */
    check_figures("service", &j, 0, "requests", "node:checkout", secs);
    uint32_t series = ol_json_object_get(&j.d, 0, "series");
    uint32_t ts = ol_json_object_get(&j.d, series, "timestamps"), rq = ol_json_object_get(&j.d, series, "requests");
    CHECK_EQ_INT(j.d.toks[ts].size, 288);
    CHECK_EQ_INT(j.d.toks[rq].size, 288);
    double total = 0;
    uint32_t el = rq + 1;
    for (uint32_t i = 0; i < j.d.toks[rq].size; i++, el = j.d.toks[el].next) {
        char tmp[32];
        snprintf(tmp, sizeof tmp, "%.*s", (int)j.d.toks[el].text.len, (const char *)j.d.toks[el].text.ptr);
        total += strtod(tmp, NULL);
    }
    CHECK(total == (double)exp_get("node:checkout")->n);
    uint32_t ops = ol_json_object_get(&j.d, 0, "operations");
    CHECK_EQ_INT(j.d.toks[ops].size, 4);
    static const char *opk[4][3] = {{"POST /checkout", "Server", "op:checkout|POST /checkout|Server|true"},
                                    {"SELECT orders", "Client", "op:checkout|SELECT orders|Client|false"},
                                    {"orders publish", "Producer", "op:checkout|orders publish|Producer|false"},
                                    {"POST /pay", "Client", "op:checkout|POST /pay|Client|false"}};
    for (int k = 0; k < 4; k++) {
        uint32_t o = jfind(&j, ops, "name", opk[k][0], "kind", opk[k][1]);
        check_figures("operation", &j, o, "requests", opk[k][2], secs);
        CHECK(o && j.d.toks[ol_json_object_get(&j.d, o, "entry")].kind == (k == 0 ? OL_JSON_TRUE : OL_JSON_FALSE));
    }
    uint32_t up = ol_json_object_get(&j.d, 0, "upstream"), down = ol_json_object_get(&j.d, 0, "downstream");
    CHECK_EQ_INT(j.d.toks[up].size, 1);
    check_figures("upstream", &j, jfind(&j, up, "source", "frontend", NULL, NULL), "calls",
                  "edge:frontend>checkout>service", secs);
    CHECK_EQ_INT(j.d.toks[down].size, 5);
    check_figures("downstream", &j, jfind(&j, down, "target", "kafka", NULL, NULL), "calls",
                  "edge:checkout>kafka>queue", secs);
    check_figures("downstream", &j, jfind(&j, down, "target", "fulfillment", NULL, NULL), "calls",
                  "edge:checkout>fulfillment>service", secs);
    check_figures("downstream", &j, jfind(&j, down, "target", "orders-db", NULL, NULL), "calls",
                  "edge:checkout>orders-db>database", secs);
    ol_arena_destroy(j.a);
    ol_buf_reset(&out);
    CHECK_EQ_INT(ol_red_service(g_red, OL_SLICE_LIT("nobody"), WSTART, WEND, 0, &out, &err), OL_NOTFOUND);
    CHECK_EQ_INT(ol_red_service(g_red, OL_SLICE_LIT("checkout"), T0 - 7200 * SEC, T0 - 3600 * SEC, 0, &out, &err),
                 OL_NOTFOUND);
    /* step rounds up to the 10 s resolution: 2 days are 17280 steps, over the 10000 bound */
    CHECK_EQ_INT(ol_red_service(g_red, OL_SLICE_LIT("checkout"), WSTART, WSTART + 2 * 86400 * SEC, 1, &out, &err),
                 OL_LIMIT);
    CHECK_EQ_INT(ol_red_service(g_red, OL_SLICE_LIT("checkout"), WSTART, WSTART + 86400 * SEC, 1, &out, &err), OL_OK);
    ol_buf_free(&out);
}

/* SELECT ... GROUP BY over otel_metrics_sum: "name": value pairs. */
static void check_sql_totals(void)
{
    const char *sql = "SELECT ServiceName, sum(Value), count() FROM otel_metrics_sum WHERE MetricName = 'olly.red.requests' "
                      "GROUP BY ServiceName ORDER BY ServiceName";
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CORE, 0);
    ol_err_t err;
    ol_sql_stats_t st;
    int rc = ol_sql_run(g_store, sql, strlen(sql), NULL, WEND, &out, &st, &err);
    if (rc) fprintf(stderr, "  sql: %s\n", err.msg);
    CHECK_EQ_INT(rc, OL_OK);
    jdoc_t j;
    if (rc || !jparse(&j, &out)) {
        CHECK(0);
        ol_buf_free(&out);
        return;
    }
    uint32_t rows = ol_json_object_get(&j.d, 0, "rows");
    static const char *svcs[] = {"checkout", "cron", "frontend", "fulfillment", "payment"};
    CHECK_EQ_INT(j.d.toks[rows].size, OL_ARRAY_LEN(svcs));
    uint32_t row = rows + 1;
    for (size_t i = 0; i < OL_ARRAY_LEN(svcs) && i < j.d.toks[rows].size; i++, row = j.d.toks[row].next) {
        char key[64];
        snprintf(key, sizeof key, "total:%s", svcs[i]);
        CHECK(jstr_eq(&j, row + 1, svcs[i]));
        const ol_json_tok_t *v = &j.d.toks[j.d.toks[row + 1].next];
        char tmp[32];
        snprintf(tmp, sizeof tmp, "%.*s", (int)v->text.len, (const char *)v->text.ptr);
        if (strtod(tmp, NULL) != (double)exp_get(key)->n) {
            fprintf(stderr, "  sql %s: %s, want %" PRIu64 "\n", svcs[i], tmp, exp_get(key)->n);
            CHECK(0);
        }
    }
    ol_arena_destroy(j.a);
    /* An edge through SQL: the attribute map. */
    ol_buf_reset(&out);
    sql = "SELECT sum(Value) FROM otel_metrics_sum WHERE MetricName = 'olly.red.edge.errors' AND ServiceName = "
          "'checkout' AND Attributes['peer.name'] = 'postgresql' AND Attributes['peer.type'] = 'database'";
    CHECK_EQ_INT(ol_sql_run(g_store, sql, strlen(sql), NULL, WEND, &out, &st, &err), OL_OK);
    char want[64];
    snprintf(want, sizeof want, "\"rows\":[[%" PRIu64 "]]", exp_get("edge:checkout>postgresql>database")->errors);
    CHECK(memmem(out.data, out.len, want, strlen(want)) != NULL);
    ol_buf_free(&out);
}

static uint64_t metric_value(const char *name)
{
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CORE, 0);
    ol_red_metrics_text(g_red, &out);
    ol_buf_append_u8(&out, 0);
    char pat[128];
    snprintf(pat, sizeof pat, "\n%s ", name);
    const char *p = strstr((const char *)out.data, pat);
    uint64_t v = p ? strtoull(p + strlen(pat), NULL, 10) : UINT64_MAX;
    ol_buf_free(&out);
    return v;
}

static void test_topology(void)
{
    fixture_open();
    ol_err_t err;
    generate();

    /* Shuffle, then deliver in batches of 1..40 spans, ticking now and then
     * (one second apart: nothing waits long enough to expire). */
    tspan_t **order = malloc(g_n * sizeof *order);
    for (size_t i = 0; i < g_n; i++) order[i] = &g_spans[i];
    for (size_t i = g_n - 1; i > 0; i--) {
        size_t k = rnd() % (i + 1);
        tspan_t *t = order[i];
        order[i] = order[k];
        order[k] = t;
    }
    uint64_t now = 5000 * SEC, dups = 0;
    size_t batches = 0;
    for (size_t i = 0; i < g_n;) {
        size_t n = 1 + rnd() % 40;
        if (n > g_n - i) n = g_n - i;
        dups += deliver(order + i, n);
        i += n;
        if (++batches % 10 == 0) ol_red_tick(g_red, now += SEC);
    }
    CHECK_EQ_INT(dups, 0);
    CHECK(metric_value("olly_red_buckets_emitted_total") > 0); /* some buckets went out while data arrived */
    /* The last 30 spans again: the store flags them, RED does not count them. */
    CHECK_EQ_INT(deliver(order + g_n - 30, 30), 30);
    /* Flags passed by hand are honoured too. */
    {
        ol_buf_t b;
        ol_buf_init(&b, OL_MEM_CORE, 0);
        build_request(&b, order, 5);
        ol_arena_t *a = ol_arena_create(1 << 16, 0);
        ol_otlp_batch_t batch;
        CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_TRACES, ol_buf_slice(&b), a, &batch, &err), OL_OK);
        uint8_t dup[5] = {1, 1, 1, 1, 1};
        ol_red_observe(g_red, &batch, dup);
        ol_arena_destroy(a);
        ol_buf_free(&b);
    }
    CHECK_EQ_INT(metric_value("olly_red_spans_observed_total"), g_n);

    /* Late spans: inside the lateness window (bucket long emitted: a new
     * delta point) and outside it (refused). */
    size_t first_late = g_n;
    for (int k = 0; k < 7; k++) {
        tspan_t *s = new_span("frontend", "GET /late", K_SERVER, 300000 + (uint64_t)k, 900000 + (uint64_t)k, NULL,
                              T0 + 3 * SEC + (uint64_t)k * MS, 10 + k, k == 0 ? 2 : 0);
        exp_span(s, true);
    }
    for (int k = 0; k < 5; k++)
        new_span("frontend", "GET /late", K_SERVER, 310000 + (uint64_t)k, 910000 + (uint64_t)k, NULL,
                 T0 - 2 * 3600 * SEC, 10, 0);
    tspan_t *late[12];
    for (size_t k = 0; k < 12; k++) late[k] = &g_spans[first_late + k];
    deliver(late, 12);
    CHECK_EQ_INT(metric_value("olly_red_late_spans_total"), 5);

    /* Fresh data shows before anything is flushed: every node and edge but
     * the queue and the external host, whose client spans still wait for a
     * partner; database calls were counted at once. */
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CORE, 0);
    CHECK_EQ_INT(ol_red_service_map(g_red, WSTART, WEND, &out, &err), OL_OK);
    check_map(&out, false);

    /* A server span whose client never comes, and the wait running out. */
    {
        uint64_t before = metric_value("olly_red_callees_unmatched_total");
        tspan_t parent;
        memset(&parent, 0, sizeof parent);
        make_id(parent.span, 8, 777777);
        tspan_t *s = new_span("payment", "POST /refund", K_SERVER, 320000, 920000, &parent, T0 + 100 * SEC, 5, 0);
        exp_span(s, true);
        deliver(&s, 1);
        CHECK(metric_value("olly_red_pending_spans") > 0);
        ol_red_tick(g_red, now += 31 * SEC);
        CHECK_EQ_INT(metric_value("olly_red_pending_spans"), 0);
        CHECK_EQ_INT(metric_value("olly_red_callees_unmatched_total"), before + 1);
    }
    /* Every database call was counted at once; api.stripe.com has now expired
     * NTRACES times without a match and is learned; kafka (a third consumed)
     * and the instrumented services are not. */
    CHECK_EQ_INT(metric_value("olly_red_edges_fast_total"), NTRACES);
    CHECK_EQ_INT(metric_value("olly_red_edges_late_partner_total"), 0);
    CHECK_EQ_INT(metric_value("olly_red_peers_fast"), 3);
    CHECK_EQ_INT(ol_red_flush(g_red), OL_OK);
    CHECK_EQ_INT(metric_value("olly_red_open_buckets"), 0);
    CHECK_EQ_INT(metric_value("olly_red_open_series"), 0);
    CHECK_EQ_INT(metric_value("olly_red_emit_errors_total"), 0);
    /* Every client span found its partner or a peer. */
    CHECK_EQ_INT(metric_value("olly_red_edges_total{result=\"unmatched\"}"), 0);

    ol_buf_reset(&out);
    CHECK_EQ_INT(ol_red_service_map(g_red, WSTART, WEND, &out, &err), OL_OK);
    if (getenv("OLLY_TEST_VERBOSE")) {
        ol_buf_t m;
        ol_buf_init(&m, OL_MEM_CORE, 0);
        ol_red_metrics_text(g_red, &m);
        fprintf(stderr, "%.*s\n%.*s\n", (int)out.len, (const char *)out.data, (int)m.len, (const char *)m.data);
        ol_buf_free(&m);
    }
    check_map(&out, true);
    check_service_checkout();
    check_sql_totals();

    /* Restart: the series are in the store. */
    ol_red_destroy(g_red);
    ol_store_close(g_store);
    store_open();
    CHECK_EQ_INT(ol_red_create(NULL, g_store, &g_red, &err), OL_OK);
    ol_buf_t again;
    ol_buf_init(&again, OL_MEM_CORE, 0);
    CHECK_EQ_INT(ol_red_service_map(g_red, WSTART, WEND, &again, &err), OL_OK);
    CHECK(again.len == out.len && memcmp(again.data, out.data, out.len) == 0);
    check_service_checkout();
    check_sql_totals();
    /* A window that excludes the traffic. */
    ol_buf_reset(&out);
    CHECK_EQ_INT(ol_red_service_map(g_red, T0 + 7200 * SEC, T0 + 9000 * SEC, &out, &err), OL_OK);
    ol_buf_append_u8(&out, 0);
    CHECK(strstr((const char *)out.data, "\"nodes\":[],\"edges\":[]") != NULL);

    ol_buf_free(&again);
    ol_buf_free(&out);
    free(order);
    fixture_close();
}

/* Metrics with Olly's names sent by someone else do not count. */
static void test_forged_points_ignored(void)
{
    fixture_open();
    ol_err_t err;
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CORE, 0);
    size_t rm = ol_pb_begin(&b, 1);
    size_t res = ol_pb_begin(&b, 1);
    put_kv(&b, 1, "service.name", "evil");
    ol_pb_end(&b, res);
    size_t sm = ol_pb_begin(&b, 2);
    size_t sc = ol_pb_begin(&b, 1);
    ol_pb_put_bytes(&b, 1, OL_SLICE_LIT("not-olly"));
    ol_pb_end(&b, sc);
    size_t m = ol_pb_begin(&b, 2);
    ol_pb_put_bytes(&b, 1, OL_SLICE_LIT("olly.red.requests"));
    size_t sum = ol_pb_begin(&b, 7);
    size_t p = ol_pb_begin(&b, 1);
    put_kv(&b, 7, "span.name", "x");
    put_kv(&b, 7, "span.kind", "Server");
    put_kv(&b, 7, "olly.entry", "true");
    ol_pb_put_fixed64(&b, 2, T0);
    ol_pb_put_fixed64(&b, 3, T0 + 10 * SEC);
    ol_pb_put_fixed64(&b, 6, 1000);
    ol_pb_end(&b, p);
    ol_pb_put_uint(&b, 2, 1);
    ol_pb_end(&b, sum);
    ol_pb_end(&b, m);
    ol_pb_end(&b, sm);
    ol_pb_end(&b, rm);
    ol_arena_t *a = ol_arena_create(4096, 0);
    ol_otlp_batch_t batch;
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_METRICS, ol_buf_slice(&b), a, &batch, &err), OL_OK);
    ol_store_append_result_t r = {0};
    CHECK_EQ_INT(ol_store_append(g_store, &batch, &r), OL_OK);
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CORE, 0);
    CHECK_EQ_INT(ol_red_service(g_red, OL_SLICE_LIT("evil"), T0 - SEC, T0 + 60 * SEC, 0, &out, &err), OL_NOTFOUND);
    ol_buf_free(&out);
    ol_arena_destroy(a);
    ol_buf_free(&b);
    fixture_close();
}

/* Peer naming: precedence of the attributes, deprecated values renamed,
 * clients without peer attributes, calls within one service. */
static void test_peer_names(void)
{
    fixture_open();
    ol_err_t err;
    size_t first = g_n;
    static const char *attrs[][4] = {
        {"db.system", "mssql", NULL, NULL},                                /* -> microsoft.sql_server */
        {"messaging.system", "rabbitmq", "server.address", "mq.local"},    /* queue before external */
        {"server.address", "10.0.0.1", "service.peer.name", "billing"},    /* service.peer.name first */
        {"http.host", "example.com:8080", NULL, NULL},
        {NULL, NULL, NULL, NULL},                                          /* no peer: no edge */
    };
    for (int i = 0; i < 5; i++) {
        tspan_t *c = new_span("api", "call", K_CLIENT, 500000 + (uint64_t)i, 950000 + (uint64_t)i, NULL,
                              T0 + (uint64_t)i * SEC, 5, 0);
        c->ak[0] = attrs[i][0], c->av[0] = attrs[i][1], c->ak[1] = attrs[i][2], c->av[1] = attrs[i][3];
    }
    /* api calls itself: matched, but not an edge */
    tspan_t *self_c = new_span("api", "self", K_CLIENT, 510000, 960000, NULL, T0, 5, 0);
    self_c->ak[0] = "server.address", self_c->av[0] = "api";
    new_span("api", "self", K_SERVER, 510000, 960001, self_c, T0, 4, 0);
    tspan_t *all[8];
    size_t n = g_n - first;
    for (size_t k = 0; k < n; k++) all[k] = &g_spans[first + k];
    deliver(all, n);
    CHECK_EQ_INT(ol_red_flush(g_red), OL_OK);
    CHECK_EQ_INT(metric_value("olly_red_edges_total{result=\"same_service\"}"), 1);
    CHECK_EQ_INT(metric_value("olly_red_edges_total{result=\"unmatched\"}"), 1);
    CHECK_EQ_INT(metric_value("olly_red_edges_total{result=\"uninstrumented\"}"), 4);
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CORE, 0);
    CHECK_EQ_INT(ol_red_service_map(g_red, WSTART, WEND, &out, &err), OL_OK);
    jdoc_t j;
    if (jparse(&j, &out)) {
        uint32_t nodes = ol_json_object_get(&j.d, 0, "nodes"), ed = ol_json_object_get(&j.d, 0, "edges");
        CHECK(jfind(&j, nodes, "name", "microsoft.sql_server", "type", "database"));
        CHECK(jfind(&j, nodes, "name", "rabbitmq", "type", "queue"));
        CHECK(jfind(&j, nodes, "name", "billing", "type", "external"));
        CHECK(jfind(&j, nodes, "name", "example.com:8080", "type", "external"));
        CHECK_EQ_INT(j.d.toks[nodes].size, 5); /* and api itself */
        CHECK_EQ_INT(j.d.toks[ed].size, 4);
        uint32_t api = jfind(&j, nodes, "name", "api", "type", "service");
        CHECK(jnum(&j, api, "requests") == 7); /* entry spans: the server span and the six parentless clients */
        ol_arena_destroy(j.a);
    }
    ol_buf_free(&out);
    fixture_close();
}

/* A store that refuses the write: the error is returned and the points counted as lost. */
static void test_emit_error_counted(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/olly-test-red-XXXXXX");
    if (!mkdtemp(g_dir)) abort();
    ol_store_options_t o = {.dir = g_dir, .fsync = OL_FSYNC_NEVER, .threads = 1};
    ol_err_t err;
    if (ol_store_open(&o, &g_store, &err) != OL_OK) abort(); /* not replayed: appends answer OL_BUSY */
    CHECK_EQ_INT(ol_red_create(NULL, g_store, &g_red, &err), OL_OK);
    tspan_t s;
    memset(&s, 0, sizeof s);
    s.service = "svc";
    s.name = "op";
    s.kind = K_SERVER;
    make_id(s.trace, 16, 1);
    make_id(s.span, 8, 1);
    s.start = T0;
    s.end = T0 + MS;
    tspan_t *one = &s;
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CORE, 0);
    build_request(&b, &one, 1);
    ol_arena_t *a = ol_arena_create(1 << 16, 0);
    ol_otlp_batch_t batch;
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_TRACES, ol_buf_slice(&b), a, &batch, &err), OL_OK);
    ol_red_observe(g_red, &batch, NULL);
    CHECK_EQ_INT(ol_red_flush(g_red), OL_BUSY);
    CHECK_EQ_INT(metric_value("olly_red_emit_errors_total"), 1);
    CHECK_EQ_INT(metric_value("olly_red_points_lost_total"), 3);
    CHECK_EQ_INT(metric_value("olly_red_points_emitted_total"), 0);
    ol_arena_destroy(a);
    ol_buf_free(&b);
    fixture_close();
}

/* ---- edges to uninstrumented peers, counted with their step ---- */

/* Buckets as the analyzer's sink sees them, with the tick that emitted them. */
typedef struct rec_cell {
    char service[32], name[64];
    bool is_edge;
    int kind;
    uint64_t start_ns, requests, errors;
    int tick;
} rec_cell_t;

static rec_cell_t g_rec[256];
static size_t g_n_rec, g_rec_lost;
static int g_tick;

static void rec_cell(void *ud, const ol_red_cell_view_t *c)
{
    (void)ud;
    if (c->is_edge && c->name.len > 1 && c->name.ptr[0] == 'h' && c->name.ptr[1] >= '0' && c->name.ptr[1] <= '9')
        return; /* the one-off hosts that fill the peer table */
    if (g_n_rec == OL_ARRAY_LEN(g_rec)) {
        g_rec_lost++;
        return;
    }
    rec_cell_t *x = &g_rec[g_n_rec++];
    snprintf(x->service, sizeof x->service, "%.*s", (int)c->service.len, (const char *)c->service.ptr);
    snprintf(x->name, sizeof x->name, "%.*s", (int)c->name.len, (const char *)c->name.ptr);
    x->is_edge = c->is_edge;
    x->kind = c->kind;
    x->start_ns = c->start_ns;
    x->requests = c->requests;
    x->errors = c->errors;
    x->tick = g_tick;
}

static void sink_fixture_open(void)
{
    fixture_open();
    g_n_rec = g_rec_lost = 0;
    g_tick = 0;
    ol_red_sink_t sk = {.cell = rec_cell};
    ol_red_set_sink(g_red, &sk);
}

static void tick_at(uint64_t now)
{
    g_tick++;
    ol_red_tick(g_red, now);
}

typedef struct rec_sum {
    uint64_t requests, errors;
    int first_tick, last_tick;
} rec_sum_t;

/* Emitted buckets of a series (kind -1: any; start UINT64_MAX: any bucket): how many, and their sum. */
static size_t rec_count(const char *service, bool is_edge, int kind, const char *name, uint64_t start, rec_sum_t *sum)
{
    size_t n = 0;
    memset(sum, 0, sizeof *sum);
    for (size_t i = 0; i < g_n_rec; i++) {
        const rec_cell_t *x = &g_rec[i];
        if (strcmp(x->service, service) != 0 || x->is_edge != is_edge || strcmp(x->name, name) != 0) continue;
        if ((kind >= 0 && x->kind != kind) || (start != UINT64_MAX && x->start_ns != start)) continue;
        if (!n++) sum->first_tick = x->tick;
        sum->last_tick = x->tick;
        sum->requests += x->requests;
        sum->errors += x->errors;
    }
    return n;
}

enum { PEER_SERVICE = 0, PEER_DATABASE, PEER_QUEUE, PEER_EXTERNAL };
#define EDGE_WAIT (30 * SEC)
#define RESULT(r) "olly_red_edges_total{result=\"" r "\"}"

/* Database calls are counted when they arrive: the edge's bucket goes out
 * in the same tick as the operation buckets of its step, long before
 * edge_wait, and once. */
static void test_db_edge_with_its_step(void)
{
    sink_fixture_open();
    uint64_t now = 1000 * SEC;
    tick_at(now);
    tspan_t *b[7];
    b[0] = new_span("shop", "GET /cart", K_SERVER, 600001, 600001, NULL, T0 + SEC, 40, 0);
    for (int k = 0; k < 5; k++) {
        b[1 + k] = new_span("shop", "GET cart", K_CLIENT, 600001, 600010 + (uint64_t)k, b[0],
                            T0 + 2 * SEC + (uint64_t)k * MS, 2 + k, k == 3 ? 2 : 0);
        b[1 + k]->ak[0] = "db.system.name", b[1 + k]->av[0] = "redis";
    }
    deliver(b, 6);
    CHECK_EQ_INT(metric_value("olly_red_edges_fast_total"), 5);
    CHECK_EQ_INT(metric_value(RESULT("uninstrumented")), 5);
    /* The service moves on: step T0 is due; one second of wall time passes. */
    b[6] = new_span("shop", "GET /cart", K_SERVER, 600002, 600020, NULL, T0 + 25 * SEC, 40, 0);
    deliver(&b[6], 1);
    tick_at(now += SEC);
    rec_sum_t op, edge;
    CHECK_EQ_INT(rec_count("shop", false, K_CLIENT, "GET cart", T0, &op), 1);
    CHECK_EQ_INT(op.requests, 5);
    CHECK_EQ_INT(rec_count("shop", true, PEER_DATABASE, "redis", T0, &edge), 1);
    CHECK_EQ_INT(edge.requests, 5);
    CHECK_EQ_INT(edge.errors, 1);
    CHECK_EQ_INT(edge.first_tick, op.first_tick);
    CHECK_EQ_INT(edge.first_tick, g_tick);
    /* The records listen for a late partner for edge_wait, then go without counting again. */
    CHECK_EQ_INT(metric_value("olly_red_pending_spans"), 5);
    tick_at(now += EDGE_WAIT);
    CHECK_EQ_INT(metric_value("olly_red_pending_spans"), 0);
    CHECK_EQ_INT(ol_red_flush(g_red), OL_OK);
    CHECK_EQ_INT(metric_value(RESULT("uninstrumented")), 5);
    CHECK_EQ_INT(metric_value("olly_red_callees_unmatched_total"), 0);
    CHECK_EQ_INT(rec_count("shop", true, -1, "redis", UINT64_MAX, &edge), 1);
    CHECK_EQ_INT(edge.requests, 5);
    CHECK_EQ_INT(metric_value("olly_red_peers_fast"), 1);
    fixture_close();
}

static uint64_t g_llm_id = 700000;

/* agent calls the model API, named by server.address; trace id = span id. */
static tspan_t *llm_call(uint64_t start)
{
    uint64_t id = g_llm_id++;
    tspan_t *c = new_span("agent", "chat", K_CLIENT, id, id, NULL, start, 800, 0);
    c->ak[0] = "server.address", c->av[0] = "llm.example.com";
    return c;
}

/* The server span of call c, from an instrumented "llm" after all. */
static tspan_t *llm_server(const tspan_t *c)
{
    uint64_t trace = 0;
    for (int i = 0; i < 8; i++) trace = trace << 8 | c->trace[8 + i]; /* make_id's value */
    return new_span("llm", "POST /v1/chat", K_SERVER, trace, g_llm_id++ + 100000, c, c->start + MS, 700, 0);
}

/* An external host waits edge_wait for its first OL_RED_PEER_LEARN (8)
 * calls, then its calls are counted at once with their step; a server span
 * for such a call turns that off until 32 expiries (1 match in 32) say
 * otherwise. */
static void test_external_peer_learned(void)
{
    sink_fixture_open();
    uint64_t now = 1000 * SEC, t = T0;
    tick_at(now);
    for (int k = 0; k < 8; k++) {
        tspan_t *c = llm_call(t += 10 * SEC);
        deliver(&c, 1);
        tick_at(now += EDGE_WAIT - SEC);
        CHECK_EQ_INT(metric_value("olly_red_pending_spans"), 1);
        CHECK_EQ_INT(metric_value(RESULT("uninstrumented")), k);
        tick_at(now += SEC);
        CHECK_EQ_INT(metric_value("olly_red_pending_spans"), 0);
        CHECK_EQ_INT(metric_value(RESULT("uninstrumented")), k + 1);
    }
    CHECK_EQ_INT(metric_value("olly_red_edges_fast_total"), 0);
    CHECK_EQ_INT(metric_value("olly_red_peers_fast"), 1);

    /* Learned: counted at once, emitted with the operation's bucket. */
    tspan_t *c = llm_call(t += 100 * SEC);
    deliver(&c, 1);
    CHECK_EQ_INT(metric_value("olly_red_edges_fast_total"), 1);
    CHECK_EQ_INT(metric_value(RESULT("uninstrumented")), 9);
    tspan_t *later = new_span("agent", "plan", K_INTERNAL, 790000, 790000, NULL, t + 25 * SEC, 3, 0);
    deliver(&later, 1);
    tick_at(now += SEC);
    rec_sum_t op, edge;
    CHECK_EQ_INT(rec_count("agent", false, K_CLIENT, "chat", t, &op), 1);
    CHECK_EQ_INT(rec_count("agent", true, PEER_EXTERNAL, "llm.example.com", t, &edge), 1);
    CHECK_EQ_INT(edge.requests, 1);
    CHECK_EQ_INT(edge.first_tick, g_tick);
    CHECK_EQ_INT(op.first_tick, g_tick);

    /* Its server span turns up: a late partner, counted, not left waiting. */
    tspan_t *s = llm_server(c);
    deliver(&s, 1);
    CHECK_EQ_INT(metric_value("olly_red_edges_late_partner_total"), 1);
    CHECK_EQ_INT(metric_value("olly_red_pending_spans"), 0);
    CHECK_EQ_INT(metric_value("olly_red_peers_fast"), 0);
    /* The peer waits again: 31 expiries are not enough after one match... */
    tspan_t *batch[31];
    for (int k = 0; k < 31; k++) batch[k] = llm_call(t += SEC);
    deliver(batch, 31);
    CHECK_EQ_INT(metric_value("olly_red_pending_spans"), 31);
    tick_at(now += EDGE_WAIT);
    CHECK_EQ_INT(metric_value(RESULT("uninstrumented")), 9 + 31);
    c = llm_call(t += SEC);
    deliver(&c, 1);
    CHECK_EQ_INT(metric_value("olly_red_edges_fast_total"), 1);
    /* ...the 32nd is. */
    tick_at(now += EDGE_WAIT);
    c = llm_call(t += SEC);
    deliver(&c, 1);
    CHECK_EQ_INT(metric_value("olly_red_edges_fast_total"), 2);
    CHECK_EQ_INT(metric_value(RESULT("uninstrumented")), 9 + 31 + 1 + 1);
    CHECK_EQ_INT(ol_red_flush(g_red), OL_OK);
    CHECK_EQ_INT(metric_value(RESULT("uninstrumented")), 42);
    CHECK_EQ_INT(metric_value(RESULT("matched")), 0);
    CHECK_EQ_INT(metric_value("olly_red_callees_unmatched_total"), 0);
    CHECK_EQ_INT(g_rec_lost, 0);
    fixture_close();
}

/* A database peer that does answer with server spans: the first call,
 * counted at once, meets its late partner; later calls wait and match,
 * whichever half comes first. Another database keeps the fast path. */
static void test_db_late_partner(void)
{
    sink_fixture_open();
    ol_err_t err;
    uint64_t now = 1000 * SEC;
    tick_at(now);
    tspan_t *c[4], *s[3];
    for (int k = 0; k < 4; k++) {
        c[k] = new_span("orders", "query", K_CLIENT, 610000 + (uint64_t)k, 610000 + (uint64_t)k, NULL,
                        T0 + (uint64_t)k * SEC, 3, 0);
        c[k]->ak[0] = "db.system.name", c[k]->av[0] = "postgresql";
        c[k]->ak[1] = "peer.service", c[k]->av[1] = k == 3 ? "cache-db" : "pg-proxy";
    }
    for (int k = 0; k < 3; k++)
        s[k] = new_span("pg-proxy", "query", K_SERVER, 610000 + (uint64_t)k, 620000 + (uint64_t)k, c[k],
                        c[k]->start + MS / 10, 2, 0);
    deliver(&c[0], 1);
    CHECK_EQ_INT(metric_value("olly_red_edges_fast_total"), 1);
    tick_at(now += SEC);
    deliver(&s[0], 1);
    CHECK_EQ_INT(metric_value("olly_red_edges_late_partner_total"), 1);
    CHECK_EQ_INT(metric_value("olly_red_pending_spans"), 0);
    deliver(&c[1], 1); /* waits now */
    CHECK_EQ_INT(metric_value("olly_red_edges_fast_total"), 1);
    CHECK_EQ_INT(metric_value("olly_red_pending_spans"), 1);
    tick_at(now += 20 * SEC);
    deliver(&s[1], 1);
    deliver(&s[2], 1); /* server first */
    deliver(&c[2], 1);
    CHECK_EQ_INT(metric_value(RESULT("matched")), 2);
    deliver(&c[3], 1); /* cache-db: never seen matched */
    CHECK_EQ_INT(metric_value("olly_red_edges_fast_total"), 2);
    tick_at(now += EDGE_WAIT);
    CHECK_EQ_INT(ol_red_flush(g_red), OL_OK);
    CHECK_EQ_INT(metric_value(RESULT("uninstrumented")), 2);
    CHECK_EQ_INT(metric_value("olly_red_callees_unmatched_total"), 0);
    CHECK_EQ_INT(metric_value("olly_red_edges_late_partner_total"), 1);
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CORE, 0);
    CHECK_EQ_INT(ol_red_service_map(g_red, WSTART, WEND, &out, &err), OL_OK);
    jdoc_t j;
    if (jparse(&j, &out)) {
        uint32_t ed = ol_json_object_get(&j.d, 0, "edges");
        CHECK_EQ_INT(j.d.toks[ed].size, 3);
        uint32_t e = ed + 1;
        for (uint32_t i = 0; i < j.d.toks[ed].size; i++, e = j.d.toks[e].next) {
            bool svc = jstr_eq(&j, ol_json_object_get(&j.d, e, "targetType"), "service");
            bool pg = jstr_eq(&j, ol_json_object_get(&j.d, e, "target"), "pg-proxy");
            /* pg-proxy: 1 call as a database (the one counted at once), 2 as a service; cache-db: 1 */
            CHECK(jnum(&j, e, "calls") == (svc ? 2 : 1));
            CHECK(svc ? pg : true);
        }
        ol_arena_destroy(j.a);
    }
    ol_buf_free(&out);
    fixture_close();
}

/* Calls to an instrumented service whose server spans arrive late (within
 * edge_wait) and now and then never, in either order: every call is counted
 * once, on the service edge web -> api, except the one lost call that
 * waited before the peer predicted api (counted against the address). Once
 * predicted, calls are counted at once and their server spans confirm. */
static void test_service_edges_late_servers(void)
{
    sink_fixture_open();
    uint64_t now = 1000 * SEC, t = T0, id = 630000, calls = 0, lost = 0;
    tick_at(now);
    for (int round = 0; round < 12; round++) {
        tspan_t *c[10], *s[10];
        for (int k = 0; k < 10; k++) {
            c[k] = new_span("web", "GET /api", K_CLIENT, id, id, NULL, t += SEC, 12, 0);
            c[k]->ak[0] = "server.address", c[k]->av[0] = "api";
            s[k] = new_span("api", "GET /api", K_SERVER, id, id + 500000, c[k], c[k]->start + MS, 10, 0);
            id++;
        }
        bool server_first = round % 3 == 1;
        int n_srv = round < 10 ? 9 : 10; /* rounds 0-9 lose one server span each */
        if (server_first) deliver(s, (size_t)n_srv);
        deliver(c, 10);
        tick_at(now += (round < 10 ? 5 : 25) * SEC);
        if (!server_first) deliver(s, (size_t)n_srv);
        calls += 10;
        lost += (uint64_t)(10 - n_srv);
        tick_at(now += EDGE_WAIT);
        /* Round 0 waits (9 matches, then its lost call expires); from round 1 on, the peer predicts api. */
        CHECK_EQ_INT(metric_value(RESULT("uninstrumented")), 1);
        CHECK_EQ_INT(metric_value(RESULT("matched")), calls - 1);
        CHECK_EQ_INT(metric_value("olly_red_edges_predicted_unanswered_total"), lost - 1);
        CHECK_EQ_INT(metric_value("olly_red_pending_spans"), 0);
    }
    /* Client-first rounds after round 0 are predicted (7 x 10); server-first rounds (1, 4, 7, 10) match,
     * but for the lost call of rounds 1, 4 and 7, predicted. */
    CHECK_EQ_INT(metric_value("olly_red_edges_predicted_total"), 7 * 10 + 3);
    CHECK_EQ_INT(metric_value("olly_red_edges_mispredicted_total"), 0);
    CHECK_EQ_INT(metric_value("olly_red_edges_fast_total"), 0);
    CHECK_EQ_INT(metric_value("olly_red_edges_late_partner_total"), 0);
    CHECK_EQ_INT(metric_value("olly_red_peers_fast"), 0);
    CHECK_EQ_INT(metric_value("olly_red_peers_predicted"), 1);
    CHECK_EQ_INT(metric_value("olly_red_callees_unmatched_total"), 0);
    CHECK_EQ_INT(ol_red_flush(g_red), OL_OK);
    rec_sum_t e;
    rec_count("web", true, PEER_SERVICE, "api", UINT64_MAX, &e);
    CHECK_EQ_INT(e.requests, 119);
    rec_count("web", true, PEER_EXTERNAL, "api", UINT64_MAX, &e);
    CHECK_EQ_INT(e.requests, 1);
    CHECK_EQ_INT(g_rec_lost, 0);
    fixture_close();
}

/* ---- calls to instrumented services, predicted ---- */

static uint64_t g_ship_id = 800000;

/* front calls the address "ship" (server.address); trace id = span id. */
static tspan_t *ship_call(uint64_t start, int status)
{
    uint64_t id = g_ship_id++;
    tspan_t *c = new_span("front", "GET /quote", K_CLIENT, id, id, NULL, start, 20, status);
    c->ak[0] = "server.address", c->av[0] = "ship";
    return c;
}

/* The server span that call c caused in service. */
static tspan_t *ship_answer(const tspan_t *c, const char *service)
{
    uint64_t trace = 0;
    for (int i = 0; i < 8; i++) trace = trace << 8 | c->trace[8 + i]; /* make_id's value */
    return new_span(service, "GET /quote", K_SERVER, trace, g_ship_id++ + 1000000, c, c->start + MS, 18, c->status);
}

/* n calls, each client then its server span in service: matched at once. */
static void ship_learn(int n, uint64_t *t, const char *service)
{
    for (int k = 0; k < n; k++) {
        tspan_t *c = ship_call(*t += SEC, 0);
        deliver(&c, 1);
        tspan_t *s = ship_answer(c, service);
        deliver(&s, 1);
    }
}

/* Eight calls in a row matched to shipping: the ninth is counted at once as
 * front -> shipping, in the bucket of its step, emitted with the operation
 * bucket of that step; its server span confirms and counts nothing more. */
static void test_predicted_after_learning(void)
{
    sink_fixture_open();
    uint64_t now = 1000 * SEC, t = T0;
    tick_at(now);
    ship_learn(7, &t, "shipping");
    /* Seven are not enough: the eighth waits. */
    tspan_t *c = ship_call(t += SEC, 0);
    deliver(&c, 1);
    CHECK_EQ_INT(metric_value("olly_red_edges_predicted_total"), 0);
    CHECK_EQ_INT(metric_value("olly_red_pending_spans"), 1);
    CHECK_EQ_INT(metric_value(RESULT("matched")), 7);
    tspan_t *s = ship_answer(c, "shipping");
    deliver(&s, 1);
    CHECK_EQ_INT(metric_value(RESULT("matched")), 8);
    CHECK_EQ_INT(metric_value("olly_red_peers_predicted"), 1);

    uint64_t step = T0 + 100 * SEC;
    c = ship_call(step + 3 * SEC, 2);
    deliver(&c, 1);
    CHECK_EQ_INT(metric_value("olly_red_edges_predicted_total"), 1);
    CHECK_EQ_INT(metric_value(RESULT("matched")), 9);
    CHECK_EQ_INT(metric_value("olly_red_pending_spans"), 1);
    tspan_t *later = new_span("front", "GET /", K_SERVER, 880000, 880000, NULL, step + 25 * SEC, 3, 0);
    deliver(&later, 1);
    tick_at(now += SEC);
    rec_sum_t op, edge;
    CHECK_EQ_INT(rec_count("front", false, K_CLIENT, "GET /quote", step, &op), 1);
    CHECK_EQ_INT(rec_count("front", true, PEER_SERVICE, "shipping", step, &edge), 1);
    CHECK_EQ_INT(edge.requests, 1);
    CHECK_EQ_INT(edge.errors, 1);
    CHECK_EQ_INT(edge.first_tick, g_tick);
    CHECK_EQ_INT(op.first_tick, g_tick);
    /* The partner confirms: nothing counted again, nothing left waiting. */
    s = ship_answer(c, "shipping");
    deliver(&s, 1);
    CHECK_EQ_INT(metric_value(RESULT("matched")), 9);
    CHECK_EQ_INT(metric_value("olly_red_pending_spans"), 0);
    CHECK_EQ_INT(metric_value("olly_red_edges_mispredicted_total"), 0);
    /* Still predicted; a flush while one listens counts nothing more either. */
    c = ship_call(step + 5 * SEC, 0);
    deliver(&c, 1);
    CHECK_EQ_INT(metric_value("olly_red_edges_predicted_total"), 2);
    CHECK_EQ_INT(ol_red_flush(g_red), OL_OK);
    CHECK_EQ_INT(metric_value(RESULT("matched")), 10);
    CHECK_EQ_INT(metric_value(RESULT("uninstrumented")), 0);
    CHECK_EQ_INT(metric_value(RESULT("unmatched")), 0);
    CHECK_EQ_INT(metric_value("olly_red_callees_unmatched_total"), 0);
    CHECK_EQ_INT(metric_value("olly_red_edges_late_partner_total"), 0);
    rec_count("front", true, PEER_SERVICE, "shipping", UINT64_MAX, &edge);
    CHECK_EQ_INT(edge.requests, 10);
    CHECK_EQ_INT(edge.errors, 1);
    CHECK_EQ_INT(rec_count("front", true, -1, "ship", UINT64_MAX, &edge), 0);
    CHECK_EQ_INT(g_rec_lost, 0);
    fixture_close();
}

/* A predicted call answered by another service, or by the caller itself:
 * counted once, against the prediction, as mispredicted; the peer's calls
 * wait again and learn the new callee. */
static void test_mispredicted_resets(void)
{
    sink_fixture_open();
    uint64_t now = 1000 * SEC, t = T0;
    tick_at(now);
    ship_learn(8, &t, "shipping");
    tspan_t *c = ship_call(t += SEC, 0);
    deliver(&c, 1);
    CHECK_EQ_INT(metric_value("olly_red_edges_predicted_total"), 1);
    tspan_t *s = ship_answer(c, "shipping-v2");
    deliver(&s, 1);
    CHECK_EQ_INT(metric_value("olly_red_edges_mispredicted_total"), 1);
    CHECK_EQ_INT(metric_value("olly_red_pending_spans"), 0);
    CHECK_EQ_INT(metric_value("olly_red_callees_unmatched_total"), 0);
    CHECK_EQ_INT(metric_value("olly_red_peers_predicted"), 0);
    /* The next calls wait and match shipping-v2; after 8 of them (the mispredicted one first) it is
     * predicted. */
    for (int k = 0; k < 7; k++) {
        c = ship_call(t += SEC, 0);
        deliver(&c, 1);
        CHECK_EQ_INT(metric_value("olly_red_edges_predicted_total"), 1);
        CHECK_EQ_INT(metric_value("olly_red_pending_spans"), 1);
        s = ship_answer(c, "shipping-v2");
        deliver(&s, 1);
    }
    c = ship_call(t += SEC, 0);
    deliver(&c, 1);
    CHECK_EQ_INT(metric_value("olly_red_edges_predicted_total"), 2);
    /* Answered by front itself: mispredicted, not also same_service; the next call waits. */
    s = ship_answer(c, "front");
    deliver(&s, 1);
    CHECK_EQ_INT(metric_value("olly_red_edges_mispredicted_total"), 2);
    CHECK_EQ_INT(metric_value(RESULT("same_service")), 0);
    c = ship_call(t += SEC, 0);
    deliver(&c, 1);
    CHECK_EQ_INT(metric_value("olly_red_edges_predicted_total"), 2);
    CHECK_EQ_INT(metric_value("olly_red_pending_spans"), 1);
    s = ship_answer(c, "front");
    deliver(&s, 1);
    CHECK_EQ_INT(metric_value(RESULT("same_service")), 1);
    /* Calls within the caller are never predicted, however many. */
    ship_learn(8, &t, "front");
    c = ship_call(t += SEC, 0);
    deliver(&c, 1);
    CHECK_EQ_INT(metric_value("olly_red_edges_predicted_total"), 2);
    CHECK_EQ_INT(metric_value("olly_red_pending_spans"), 1);
    s = ship_answer(c, "front");
    deliver(&s, 1);
    CHECK_EQ_INT(metric_value(RESULT("same_service")), 10);
    CHECK_EQ_INT(ol_red_flush(g_red), OL_OK);
    /* 8 + 1 to shipping, 7 + 1 to shipping-v2, 10 same service: every call once. */
    CHECK_EQ_INT(metric_value(RESULT("matched")), 17);
    CHECK_EQ_INT(metric_value(RESULT("uninstrumented")), 0);
    rec_sum_t e;
    rec_count("front", true, PEER_SERVICE, "shipping", UINT64_MAX, &e);
    CHECK_EQ_INT(e.requests, 9);
    rec_count("front", true, PEER_SERVICE, "shipping-v2", UINT64_MAX, &e);
    CHECK_EQ_INT(e.requests, 8);
    CHECK_EQ_INT(g_rec_lost, 0);
    fixture_close();
}

/* shipping goes down: no server spans at all. front's failing calls count
 * at once on front -> shipping with their errors, in their step, and stay
 * there after edge_wait; only when unanswered calls outnumber the matches
 * 32 to 1 does the peer count as uninstrumented. */
static void test_down_callee(void)
{
    sink_fixture_open();
    uint64_t now = 1000 * SEC, t = T0;
    tick_at(now);
    ship_learn(8, &t, "shipping");
    uint64_t step = T0 + 100 * SEC;
    tspan_t *batch[256];
    for (int k = 0; k < 20; k++) batch[k] = ship_call(step + (uint64_t)k * 100 * MS, 2);
    deliver(batch, 20);
    CHECK_EQ_INT(metric_value("olly_red_edges_predicted_total"), 20);
    CHECK_EQ_INT(metric_value(RESULT("matched")), 28);
    tspan_t *later = new_span("front", "GET /", K_SERVER, 881000, 881000, NULL, step + 25 * SEC, 3, 0);
    deliver(&later, 1);
    tick_at(now += SEC);
    rec_sum_t op, edge;
    CHECK_EQ_INT(rec_count("front", false, K_CLIENT, "GET /quote", step, &op), 1);
    CHECK_EQ_INT(rec_count("front", true, PEER_SERVICE, "shipping", step, &edge), 1);
    CHECK_EQ_INT(edge.requests, 20);
    CHECK_EQ_INT(edge.errors, 20);
    CHECK_EQ_INT(edge.first_tick, op.first_tick);
    CHECK_EQ_INT(edge.first_tick, g_tick);
    tick_at(now += EDGE_WAIT);
    CHECK_EQ_INT(metric_value("olly_red_edges_predicted_unanswered_total"), 20);
    CHECK_EQ_INT(metric_value("olly_red_pending_spans"), 0);
    CHECK_EQ_INT(metric_value(RESULT("matched")), 28);
    CHECK_EQ_INT(metric_value(RESULT("uninstrumented")), 0);
    CHECK_EQ_INT(metric_value("olly_red_peers_predicted"), 1);
    /* 236 more unanswered (256 = 32 x 8 matches): then the peer is taken for uninstrumented. */
    for (int k = 0; k < 236; k++) batch[k] = ship_call(step + 30 * SEC + (uint64_t)k * MS, 2);
    deliver(batch, 236);
    CHECK_EQ_INT(metric_value("olly_red_edges_predicted_total"), 256);
    tick_at(now += EDGE_WAIT);
    CHECK_EQ_INT(metric_value("olly_red_edges_predicted_unanswered_total"), 256);
    CHECK_EQ_INT(metric_value("olly_red_peers_predicted"), 0);
    CHECK_EQ_INT(metric_value("olly_red_peers_fast"), 1);
    tspan_t *c = ship_call(step + 60 * SEC, 2);
    deliver(&c, 1);
    CHECK_EQ_INT(metric_value("olly_red_edges_predicted_total"), 256);
    CHECK_EQ_INT(metric_value("olly_red_edges_fast_total"), 1);
    CHECK_EQ_INT(ol_red_flush(g_red), OL_OK);
    CHECK_EQ_INT(metric_value(RESULT("matched")), 8 + 256);
    CHECK_EQ_INT(metric_value(RESULT("uninstrumented")), 1);
    rec_count("front", true, PEER_SERVICE, "shipping", UINT64_MAX, &edge);
    CHECK_EQ_INT(edge.requests, 8 + 256);
    CHECK_EQ_INT(edge.errors, 256);
    rec_count("front", true, PEER_EXTERNAL, "ship", UINT64_MAX, &edge);
    CHECK_EQ_INT(edge.requests, 1);
    CHECK_EQ_INT(g_rec_lost, 0);
    fixture_close();
}

/* Every order of the two halves on a predicting peer counts a call once:
 * server span first (a plain match), server span after edge_wait (the call
 * stays predicted, the server span is an unmatched callee), and a peer slot
 * forgotten and reused while a predicted call listens (its partner teaches
 * the new slot nothing). */
static void test_predicted_orders(void)
{
    sink_fixture_open();
    uint64_t now = 1000 * SEC, t = T0;
    tick_at(now);
    ship_learn(8, &t, "shipping");
    uint64_t calls = 8;
    /* Server first, on a predicting peer: matched, not predicted. */
    tspan_t *c = ship_call(t += SEC, 0);
    tspan_t *s = ship_answer(c, "shipping");
    deliver(&s, 1);
    deliver(&c, 1);
    calls++;
    CHECK_EQ_INT(metric_value("olly_red_edges_predicted_total"), 0);
    CHECK_EQ_INT(metric_value(RESULT("matched")), calls);
    CHECK_EQ_INT(metric_value("olly_red_pending_spans"), 0);
    /* Client, then its server span after edge_wait. */
    c = ship_call(t += SEC, 0);
    deliver(&c, 1);
    calls++;
    tick_at(now += EDGE_WAIT);
    CHECK_EQ_INT(metric_value("olly_red_edges_predicted_unanswered_total"), 1);
    s = ship_answer(c, "shipping");
    deliver(&s, 1);
    tick_at(now += EDGE_WAIT);
    CHECK_EQ_INT(metric_value("olly_red_callees_unmatched_total"), 1);
    CHECK_EQ_INT(metric_value(RESULT("matched")), calls);
    /* A predicted call listens while one-off peers push its slot (the first, 0) out: 16383 fill the
     * table, 16383 more go round it once (the clock hand clears the slot's mark), then the first call
     * to another address, late.example, takes slot 0 over with a new gen. */
    tspan_t *held = ship_call(t += SEC, 0);
    deliver(&held, 1);
    calls++;
    CHECK_EQ_INT(metric_value("olly_red_edges_predicted_total"), 2);
    static tspan_t hosts[1024];
    static char names[1024][32];
    tspan_t *batch[1024];
    uint64_t id = 1u << 26;
    for (int left = 2 * 16383; left > 0;) {
        int n = left < 1024 ? left : 1024;
        for (int k = 0; k < n; k++, id++) {
            tspan_t *h = &hosts[k];
            memset(h, 0, sizeof *h);
            h->service = "front";
            h->name = "fetch";
            h->kind = K_CLIENT;
            make_id(h->trace, 16, id);
            make_id(h->span, 8, id);
            h->start = T0 + 200 * SEC;
            h->end = h->start + MS;
            snprintf(names[k], sizeof names[k], "h%" PRIu64 ".example", id);
            h->ak[0] = "server.address", h->av[0] = names[k];
            batch[k] = h;
        }
        deliver(batch, (size_t)n);
        left -= n;
    }
    CHECK_EQ_INT(metric_value("olly_red_peers_forgotten_total"), 16383);
    /* late.example's calls reach shipping too: 7 matches in its slot. */
    for (int k = 0; k < 7; k++) {
        c = ship_call(t += SEC, 0);
        c->av[0] = "late.example";
        deliver(&c, 1);
        s = ship_answer(c, "shipping");
        deliver(&s, 1);
        calls++;
    }
    CHECK_EQ_INT(metric_value("olly_red_peers_forgotten_total"), 16384);
    /* The held call's partner: nothing counted again, and the slot's new peer not taught (an eighth
     * match would make late.example predict shipping). */
    s = ship_answer(held, "shipping");
    deliver(&s, 1);
    CHECK_EQ_INT(metric_value(RESULT("matched")), calls);
    CHECK_EQ_INT(metric_value("olly_red_edges_mispredicted_total"), 0);
    CHECK_EQ_INT(metric_value("olly_red_peers_predicted"), 0);
    c = ship_call(t += SEC, 0);
    c->av[0] = "late.example";
    deliver(&c, 1);
    calls++;
    CHECK_EQ_INT(metric_value("olly_red_edges_predicted_total"), 2);
    s = ship_answer(c, "shipping");
    deliver(&s, 1);
    /* "ship" itself was forgotten: it learns from scratch, its eighth call waits. */
    ship_learn(7, &t, "shipping");
    calls += 7;
    c = ship_call(t += SEC, 0);
    deliver(&c, 1);
    calls++;
    CHECK_EQ_INT(metric_value("olly_red_edges_predicted_total"), 2);
    s = ship_answer(c, "shipping");
    deliver(&s, 1);
    CHECK_EQ_INT(metric_value(RESULT("matched")), calls);
    CHECK_EQ_INT(ol_red_flush(g_red), OL_OK);
    CHECK_EQ_INT(metric_value(RESULT("matched")), calls);
    CHECK_EQ_INT(metric_value(RESULT("uninstrumented")), 2 * 16383);
    CHECK_EQ_INT(metric_value("olly_red_edges_mispredicted_total"), 0);
    CHECK_EQ_INT(metric_value("olly_red_callees_unmatched_total"), 1);
    rec_sum_t e;
    rec_count("front", true, PEER_SERVICE, "shipping", UINT64_MAX, &e);
    CHECK_EQ_INT(e.requests, calls);
    CHECK_EQ_INT(rec_count("front", true, -1, "ship", UINT64_MAX, &e), 0);
    CHECK_EQ_INT(g_rec_lost, 0);
    fixture_close();
}

/* The peer table is bounded: one-off peers are forgotten first, a peer in
 * use keeps what it learned. */
static void test_peer_table_bounded(void)
{
    fixture_open();
    uint64_t now = 1000 * SEC;
    ol_red_tick(g_red, now);
    tspan_t *batch[1000];
    for (int k = 0; k < 8; k++) batch[k] = llm_call(T0 + (uint64_t)k * SEC);
    deliver(batch, 8);
    ol_red_tick(g_red, now += EDGE_WAIT);
    static tspan_t hosts[1000];
    static char names[1000][32];
    uint64_t id = 1u << 24, fast = 0;
    for (int round = 0; round < 17; round++) {
        tspan_t *c = llm_call(T0 + 100 * SEC + (uint64_t)round * SEC);
        deliver(&c, 1);
        CHECK_EQ_INT(metric_value("olly_red_edges_fast_total"), ++fast);
        for (int k = 0; k < 1000; k++, id++) {
            tspan_t *s = &hosts[k];
            memset(s, 0, sizeof *s);
            s->service = "agent";
            s->name = "fetch";
            s->kind = K_CLIENT;
            make_id(s->trace, 16, id);
            make_id(s->span, 8, id);
            s->start = T0 + 200 * SEC + (uint64_t)round * SEC;
            s->end = s->start + MS;
            snprintf(names[k], sizeof names[k], "h%" PRIu64 ".example", id);
            s->ak[0] = "server.address", s->av[0] = names[k];
            batch[k] = s;
        }
        deliver(batch, 1000);
    }
    CHECK_EQ_INT(metric_value("olly_red_peers"), 16384);
    CHECK_EQ_INT(metric_value("olly_red_peers_forgotten_total"), 1 + 17000 - 16384);
    tspan_t *c = llm_call(T0 + 300 * SEC);
    deliver(&c, 1);
    CHECK_EQ_INT(metric_value("olly_red_edges_fast_total"), fast + 1);
    CHECK_EQ_INT(ol_red_flush(g_red), OL_OK);
    CHECK_EQ_INT(metric_value(RESULT("uninstrumented")), 8 + 18 + 17000);
    CHECK_EQ_INT(metric_value("olly_red_dropped_spans_total"), 0);
    fixture_close();
}

/* ---- concurrency: observers, a ticker and readers at once ---- */

enum { NTHREADS = 4, PER_THREAD = 4000 };
static const char *g_thread_svc[NTHREADS] = {"t0", "t1", "t2", "t3"};
static _Atomic int g_stop;

static void *observer(void *arg)
{
    int t = (int)(intptr_t)arg;
    tspan_t *batch[50];
    tspan_t local[50];
    for (int i = 0; i < PER_THREAD; i += 50) {
        for (int k = 0; k < 50; k++) {
            tspan_t *s = &local[k];
            memset(s, 0, sizeof *s);
            s->service = g_thread_svc[t];
            s->name = "op";
            s->kind = K_SERVER;
            s->status = (i + k) % 5 == 0 ? 2 : 0;
            make_id(s->trace, 16, (uint64_t)t << 32 | (uint64_t)(i + k));
            make_id(s->span, 8, (uint64_t)t << 32 | (uint64_t)(i + k));
            s->start = T0 + (uint64_t)(i + k) * 10 * MS;
            s->end = s->start + (uint64_t)(1 + (i + k) % 100) * MS;
            batch[k] = s;
        }
        ol_buf_t b;
        ol_buf_init(&b, OL_MEM_CORE, 0);
        build_request(&b, batch, 50);
        ol_arena_t *a = ol_arena_create(1 << 16, 0);
        ol_otlp_batch_t ob;
        ol_err_t err;
        if (ol_otlp_decode(OL_SIGNAL_TRACES, ol_buf_slice(&b), a, &ob, &err) == OL_OK) ol_red_observe(g_red, &ob, NULL);
        ol_arena_destroy(a);
        ol_buf_free(&b);
    }
    return NULL;
}

static void *ticker(void *arg)
{
    (void)arg;
    uint64_t now = SEC;
    while (!g_stop) ol_red_tick(g_red, now += 5 * SEC); /* idle timeout hit often: many small delta points */
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CORE, 0);
    while (!g_stop) {
        ol_err_t err;
        ol_buf_reset(&out);
        ol_red_service_map(g_red, WSTART, WEND, &out, &err);
        ol_buf_reset(&out);
        ol_red_service(g_red, OL_SLICE_LIT("t1"), WSTART, WEND, 0, &out, &err);
    }
    ol_buf_free(&out);
    return NULL;
}

static void test_concurrent(void)
{
    fixture_open();
    ol_err_t err;
    pthread_t obs[NTHREADS], tk, rd;
    g_stop = 0;
    pthread_create(&tk, NULL, ticker, NULL);
    pthread_create(&rd, NULL, reader, NULL);
    for (int t = 0; t < NTHREADS; t++) pthread_create(&obs[t], NULL, observer, (void *)(intptr_t)t);
    for (int t = 0; t < NTHREADS; t++) pthread_join(obs[t], NULL);
    g_stop = 1;
    pthread_join(tk, NULL);
    pthread_join(rd, NULL);
    CHECK_EQ_INT(ol_red_flush(g_red), OL_OK);
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CORE, 0);
    CHECK_EQ_INT(ol_red_service_map(g_red, WSTART, WEND, &out, &err), OL_OK);
    jdoc_t j;
    if (jparse(&j, &out)) {
        uint32_t nodes = ol_json_object_get(&j.d, 0, "nodes");
        CHECK_EQ_INT(j.d.toks[nodes].size, NTHREADS);
        for (int t = 0; t < NTHREADS; t++) {
            uint32_t n = jfind(&j, nodes, "name", g_thread_svc[t], NULL, NULL);
            CHECK(jnum(&j, n, "requests") == PER_THREAD);
            CHECK(jnum(&j, n, "errors") == PER_THREAD / 5);
            /* durations 1..100 ms evenly: p50 = 50 ms (rank floor(0.5 * 3999) = 1999 -> 50) */
            CHECK(fabs(jnum(&j, n, "p50Ms") - 50) <= 50 * OL_SKETCH_REL_ERROR);
        }
        ol_arena_destroy(j.a);
    }
    ol_buf_free(&out);
    fixture_close();
}

int main(void)
{
    RUN(test_topology);
    RUN(test_forged_points_ignored);
    RUN(test_peer_names);
    RUN(test_emit_error_counted);
    RUN(test_db_edge_with_its_step);
    RUN(test_external_peer_learned);
    RUN(test_db_late_partner);
    RUN(test_service_edges_late_servers);
    RUN(test_predicted_after_learning);
    RUN(test_mispredicted_resets);
    RUN(test_down_callee);
    RUN(test_predicted_orders);
    RUN(test_peer_table_bounded);
    RUN(test_concurrent);
    for (size_t i = 0; i < g_n_exp; i++) free(g_exp[i].durs);
    free(g_spans);
    return TEST_REPORT();
}
