/*
 * test_pipeline_sampling.c - tail sampling (pipeline/sampling.h) and the
 * store's trace filter (ol_store_set_trace_filter).
 *
 * The main test appends 10,000 traces of three spans each to a real store
 * (1% with an error span, some with a span slower than its latency rule and
 * some just under it, some with a matching span or resource attribute and
 * some with a near miss), observes them as the pipeline would, decides them,
 * flushes the store with the filter set and then reads every trace back:
 * every error, slow and matching trace is whole in the parts, the rest is
 * kept at the configured share per service within a binomial tolerance,
 * dropped traces are gone, and the store's counter says how many spans it
 * left out. Reads before the flush see every trace. Late spans follow their
 * trace's decision. Other tests: rule parsing and thresholds, the per
 * service rate cap, early decisions at a flush and their upgrade, unknown
 * traces (a restart), duplicates, the max_traces bound, the disabled
 * sampler, the counters' text, and observe/keep/tick from several threads.
 */
#include <ftw.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "codec/otlp.h"
#include "codec/pb.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/util.h"
#include "pipeline/sampling.h"
#include "pipeline/sampling_int.h"
#include "store/store.h"
#include "test.h"

#define MS 1000000ull
#define SEC 1000000000ull

/* ---- helpers ---- */

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) { return ol_test_rng(&g_rng); }

static ol_store_t *open_store(char *dir, size_t n)
{
    snprintf(dir, n, "/tmp/olly-test-sampling-XXXXXX");
    if (!mkdtemp(dir)) abort();
    ol_store_options_t o = {.dir = dir, .fsync = OL_FSYNC_NEVER, .flush_age_ms = 24ull * 3600 * 1000,
                            .merge_min_parts = 1000, .threads = 1};
    ol_store_t *s = NULL;
    ol_err_t err = {{0}};
    if (ol_store_open(&o, &s, &err) != OL_OK || ol_store_replay(s) != OL_OK) {
        fprintf(stderr, "  open: %s\n", err.msg);
        abort();
    }
    return s;
}

/* A span to encode. */
typedef struct sspan {
    uint8_t trace[16], span[8], parent[8];
    bool has_parent;
    const char *service, *name;
    uint64_t start, end;
    int status;
    const char *attr_key, *attr_str; /* a string attribute, or */
    bool attr_is_int;
    int64_t attr_int;
    const char *res_key, *res_val; /* an extra resource attribute */
} sspan_t;

static void put_kv(ol_buf_t *b, uint32_t field, const char *key, const char *str, bool is_int, int64_t iv)
{
    ol_buf_t av, kv;
    ol_buf_init(&av, OL_MEM_CORE, 0);
    ol_buf_init(&kv, OL_MEM_CORE, 0);
    if (is_int) ol_pb_put_uint(&av, 3, (uint64_t)iv);
    else ol_pb_put_bytes(&av, 1, ol_slice_cstr(str));
    ol_pb_put_bytes(&kv, 1, ol_slice_cstr(key));
    ol_pb_put_bytes(&kv, 2, ol_buf_slice(&av));
    ol_pb_put_bytes(b, field, ol_buf_slice(&kv));
    ol_buf_free(&av);
    ol_buf_free(&kv);
}

/* One ResourceSpans per span: simple, and valid OTLP. */
static void encode(const sspan_t *v, size_t n, ol_buf_t *out)
{
    ol_buf_reset(out);
    for (size_t i = 0; i < n; i++) {
        const sspan_t *x = &v[i];
        size_t rs = ol_pb_begin(out, 1);
        size_t res = ol_pb_begin(out, 1);
        put_kv(out, 1, "service.name", x->service, false, 0);
        if (x->res_key) put_kv(out, 1, x->res_key, x->res_val, false, 0);
        ol_pb_end(out, res);
        size_t ss = ol_pb_begin(out, 2);
        size_t sp = ol_pb_begin(out, 2);
        ol_pb_put_bytes(out, 1, ol_slice(x->trace, 16));
        ol_pb_put_bytes(out, 2, ol_slice(x->span, 8));
        if (x->has_parent) ol_pb_put_bytes(out, 4, ol_slice(x->parent, 8));
        ol_pb_put_bytes(out, 5, ol_slice_cstr(x->name));
        ol_pb_put_uint(out, 6, x->has_parent ? 3 : 2);
        ol_pb_put_fixed64(out, 7, x->start);
        ol_pb_put_fixed64(out, 8, x->end);
        if (x->attr_key) put_kv(out, 9, x->attr_key, x->attr_str, x->attr_is_int, x->attr_int);
        if (x->status) {
            size_t st = ol_pb_begin(out, 15);
            ol_pb_put_uint(out, 3, (uint64_t)x->status);
            ol_pb_end(out, st);
        }
        ol_pb_end(out, sp);
        ol_pb_end(out, ss);
        ol_pb_end(out, rs);
    }
}

/* Appends the spans to the store (when given) and shows the sampler what
 * the store accepted, as the pipeline does. */
static void deliver(ol_store_t *st, ol_sampling_t *smp, const sspan_t *v, size_t n)
{
    ol_buf_t pb;
    ol_buf_init(&pb, OL_MEM_CORE, 0);
    encode(v, n, &pb);
    CHECK_EQ_INT(pb.err, OL_OK);
    ol_arena_t *a = ol_arena_create(1 << 16, 0);
    ol_otlp_batch_t b;
    ol_err_t err = {{0}};
    int rc = ol_otlp_decode(OL_SIGNAL_TRACES, ol_buf_slice(&pb), a, &b, &err);
    CHECK_EQ_INT(rc, OL_OK);
    uint8_t *dup = calloc(b.n_spans ? b.n_spans : 1, 1);
    bool accepted = true;
    if (rc == OL_OK && st) {
        ol_store_append_result_t res = {0};
        accepted = ol_store_append_dups(st, &b, &res, dup) == OL_OK;
        CHECK(accepted);
    }
    if (rc == OL_OK && accepted && smp) ol_sampling_observe(smp, &b, dup);
    free(dup);
    ol_arena_destroy(a);
    ol_buf_free(&pb);
}

static void make_id(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)rnd();
    p[0] |= 1;
}

static int count_cb(void *ud, const ol_store_trace_t *t)
{
    *(size_t *)ud = t->n_spans;
    return OL_OK;
}

/* Spans of the trace in the store; 0 when none. */
static size_t spans_of(ol_store_t *st, const uint8_t id[16])
{
    size_t n = 0;
    int rc = ol_store_scan_trace(st, id, count_cb, &n);
    if (rc == OL_NOTFOUND) return 0;
    CHECK_EQ_INT(rc, OL_OK);
    return n;
}

static ol_sampling_t *make_sampler(const ol_sampling_options_t *o)
{
    ol_sampling_t *s = NULL;
    ol_err_t err = {{0}};
    int rc = ol_sampling_create(o, &s, &err);
    CHECK_EQ_INT(rc, OL_OK);
    if (rc != OL_OK) {
        fprintf(stderr, "  create: %s\n", err.msg);
        abort();
    }
    return s;
}

/* ---- rules ---- */

static void test_rules(void)
{
    ol_smp_rules_t r;
    ol_err_t err = {{0}};
    CHECK_EQ_INT(ol_smp_rules_parse(&r, " checkout/GET /slow = 250 ,cart=500.5, checkout=1000,,db/a/b=2", NULL,
                                    7 * MS, &err), OL_OK);
    CHECK_EQ_INT(r.n_latency, 4);
    CHECK_EQ_INT(ol_smp_threshold(&r, ol_slice_cstr("checkout"), ol_slice_cstr("GET /slow")), 250 * MS);
    CHECK_EQ_INT(ol_smp_threshold(&r, ol_slice_cstr("checkout"), ol_slice_cstr("GET /other")), 1000 * MS);
    CHECK_EQ_INT(ol_smp_threshold(&r, ol_slice_cstr("cart"), ol_slice_cstr("x")), 500500000);
    CHECK_EQ_INT(ol_smp_threshold(&r, ol_slice_cstr("db"), ol_slice_cstr("a/b")), 2 * MS);
    CHECK_EQ_INT(ol_smp_threshold(&r, ol_slice_cstr("db"), ol_slice_cstr("a")), 7 * MS);
    CHECK_EQ_INT(ol_smp_threshold(&r, ol_slice_cstr("other"), ol_slice_cstr("GET /slow")), 7 * MS);
    ol_smp_rules_free(&r);

    CHECK_EQ_INT(ol_smp_rules_parse(&r, NULL, "tenant=gold, priority = 1 ,empty=", 0, &err), OL_OK);
    CHECK_EQ_INT(r.n_attr, 3);
    CHECK(ol_slice_eq_cstr(r.attr[1].key, "priority") && ol_slice_eq_cstr(r.attr[1].value, "1"));
    CHECK(ol_slice_eq_cstr(r.attr[2].key, "empty") && r.attr[2].value.len == 0);
    CHECK_EQ_INT(ol_smp_threshold(&r, ol_slice_cstr("a"), ol_slice_cstr("b")), 0);
    ol_smp_rules_free(&r);

    static const char *const bad_latency[] = {"checkout", "checkout=", "checkout=-1", "checkout=0", "=5",
                                              "checkout/=5", "/op=5", "a=5,b=fast", "a=nan", "a=inf"};
    for (size_t i = 0; i < OL_ARRAY_LEN(bad_latency); i++) {
        err.msg[0] = 0;
        CHECK_EQ_INT(ol_smp_rules_parse(&r, bad_latency[i], NULL, 0, &err), OL_CORRUPT);
        CHECK(strstr(err.msg, "latency rule") != NULL);
    }
    CHECK(strstr(err.msg, "rule 1") != NULL); /* "a=inf" is the first entry */
    CHECK_EQ_INT(ol_smp_rules_parse(&r, "a=5,b=fast", NULL, 0, &err), OL_CORRUPT);
    CHECK(strstr(err.msg, "rule 2") && strstr(err.msg, "b=fast"));
    static const char *const bad_attr[] = {"tenant", "=gold", "a=1,nokey"};
    for (size_t i = 0; i < OL_ARRAY_LEN(bad_attr); i++) {
        err.msg[0] = 0;
        CHECK_EQ_INT(ol_smp_rules_parse(&r, NULL, bad_attr[i], 0, &err), OL_CORRUPT);
        CHECK(strstr(err.msg, "attribute rule") != NULL);
    }

    ol_sampling_t *s = NULL;
    ol_sampling_options_t o = {.enabled = true, .latency_rules = "x=y"};
    CHECK_EQ_INT(ol_sampling_create(&o, &s, &err), OL_CORRUPT);
    CHECK(s == NULL && strstr(err.msg, "x=y"));
    o = (ol_sampling_options_t){.enabled = true, .share = 1.5};
    CHECK_EQ_INT(ol_sampling_create(&o, &s, &err), OL_CORRUPT);
    o = (ol_sampling_options_t){.enabled = true, .share = NAN};
    CHECK_EQ_INT(ol_sampling_create(&o, &s, &err), OL_CORRUPT);
    CHECK_EQ_INT(ol_sampling_create(NULL, &s, &err), OL_OK);
    ol_sampling_destroy(s);
}

/* ---- 10,000 traces through a store ---- */

enum { N_TRACES = 10000, SPANS = 3 };
enum { K_PLAIN, K_ERROR, K_SLOW, K_ATTR, K_RES_ATTR, K_INT_ATTR };

typedef struct gtrace {
    uint8_t id[16];
    int kind;
    int root_svc;
} gtrace_t;

static const char *const g_svc[] = {"checkout", "cart", "db"};

/* A trace: a root in service root_svc, two children in the next services. */
static void gen_trace(gtrace_t *g, uint64_t base, sspan_t out[SPANS])
{
    memset(out, 0, SPANS * sizeof *out);
    for (int k = 0; k < SPANS; k++) {
        sspan_t *x = &out[k];
        memcpy(x->trace, g->id, 16);
        make_id(x->span, 8);
        if (k) memcpy(x->parent, out[0].span, 8), x->has_parent = true;
        x->service = g_svc[(g->root_svc + k) % 3];
        x->name = k == 0 ? "GET /api" : k == 1 ? "GET /slow" : "query";
        x->start = base + (uint64_t)k * MS;
        x->end = x->start + (10 + rnd() % 90) * MS; /* under every threshold */
        x->status = rnd() % 2; /* unset or ok */
    }
    /* Near misses on plain traces. */
    if (g->kind == K_PLAIN) {
        if (rnd() % 10 == 0) out[1].attr_key = "tenant", out[1].attr_str = "silver";
        if (rnd() % 10 == 0) out[2].attr_key = "priority", out[2].attr_is_int = true, out[2].attr_int = 2;
        if (rnd() % 10 == 0) out[2].attr_key = "tenant.name", out[2].attr_str = "gold";
        if (rnd() % 10 == 0) { /* 240 ms on a 250 ms operation rule, 480 ms on a 500 ms service rule */
            for (int k = 0; k < SPANS; k++) {
                sspan_t *x = &out[k];
                if (!strcmp(x->service, "checkout") && !strcmp(x->name, "GET /slow")) x->end = x->start + 240 * MS;
                if (!strcmp(x->service, "cart")) x->end = x->start + 480 * MS;
            }
        }
    }
    switch (g->kind) {
    case K_ERROR: out[1 + rnd() % 2].status = 2; break;
    case K_SLOW: {
        /* Slow by the operation rule when checkout has "GET /slow", else by cart's service rule. */
        int k = 1;
        if (!strcmp(out[1].service, "checkout")) out[1].end = out[1].start + 260 * MS;
        else for (k = 0; k < SPANS; k++)
            if (!strcmp(out[k].service, "cart")) out[k].end = out[k].start + 510 * MS;
        break;
    }
    case K_ATTR: out[2].attr_key = "tenant", out[2].attr_str = "gold"; break;
    case K_RES_ATTR: out[1].res_key = "deployment.tier", out[1].res_val = "canary"; break;
    case K_INT_ATTR: out[0].attr_key = "priority", out[0].attr_is_int = true, out[0].attr_int = 1; break;
    default: break;
    }
}

static void test_ten_thousand_traces(void)
{
    char dir[64];
    ol_store_t *st = open_store(dir, sizeof dir);
    const double share = 0.1;
    ol_sampling_options_t o = {.enabled = true, .share = share, .max_per_second = -1,
                               .latency_rules = "checkout/GET /slow=250,cart=500",
                               .attr_rules = "tenant=gold,priority=1,deployment.tier=canary"};
    ol_sampling_t *smp = make_sampler(&o);
    gtrace_t *g = calloc(N_TRACES, sizeof *g);
    size_t want[6] = {0};
    for (size_t i = 0; i < N_TRACES; i++) {
        make_id(g[i].id, 16);
        g[i].root_svc = (int)(rnd() % 3);
        uint64_t r = rnd() % 1000;
        g[i].kind = i % 100 == 7   ? K_ERROR /* exactly 1% */
                    : r < 20       ? K_SLOW
                    : r < 30       ? K_ATTR
                    : r < 35       ? K_RES_ATTR
                    : r < 40       ? K_INT_ATTR
                                   : K_PLAIN;
        want[g[i].kind]++;
    }
    CHECK_EQ_INT(want[K_ERROR], 100);
    /* 100 traces per batch, spans of each trace spread over two batches so a
     * trace's first span and its last arrive apart. */
    uint64_t base = ol_now_ns() - 3600 * SEC;
    sspan_t *batch = calloc(200 * SPANS, sizeof *batch);
    size_t nb = 0;
    for (size_t i = 0; i < N_TRACES; i++) {
        sspan_t sp[SPANS];
        gen_trace(&g[i], base + i * MS, sp);
        for (int k = 0; k < SPANS; k++) batch[nb++] = sp[k];
        if (nb == 200 * SPANS || i + 1 == N_TRACES) {
            /* Children first, roots last: the service is the root's even so. */
            sspan_t *order = calloc(nb, sizeof *order);
            size_t m = 0;
            for (size_t k = 0; k < nb; k++)
                if (batch[k].has_parent) order[m++] = batch[k];
            size_t half = m;
            for (size_t k = 0; k < nb; k++)
                if (!batch[k].has_parent) order[m++] = batch[k];
            deliver(st, smp, order, half);
            deliver(st, smp, order + half, m - half);
            free(order);
            nb = 0;
        }
    }
    ol_sampling_stats_t ss;
    ol_sampling_stats(smp, &ss);
    CHECK_EQ_INT(ss.open, N_TRACES);
    CHECK_EQ_INT(ss.decided, 0);

    /* Nothing is due before the wait is over; everything after it. */
    uint64_t now = ol_now_ns();
    ol_sampling_tick(smp, now);
    ol_sampling_stats(smp, &ss);
    CHECK_EQ_INT(ss.decided, 0);
    ol_sampling_tick(smp, now + 31 * SEC);
    ol_sampling_stats(smp, &ss);
    CHECK_EQ_INT(ss.decided, N_TRACES);
    CHECK_EQ_INT(ss.open, 0);
    CHECK_EQ_INT(ss.remembered, N_TRACES);
    CHECK_EQ_INT(ss.decided_early, 0);
    CHECK_EQ_INT(ss.kept_error, want[K_ERROR]);
    CHECK_EQ_INT(ss.kept_latency, want[K_SLOW]);
    CHECK_EQ_INT(ss.kept_attribute, want[K_ATTR] + want[K_RES_ATTR] + want[K_INT_ATTR]);
    size_t rest = want[K_PLAIN];
    CHECK_EQ_INT(ss.kept_rate + ss.dropped, rest);
    double sd = sqrt((double)rest * share * (1 - share));
    fprintf(stderr, "    rest %zu, kept by rate %llu (expected %.0f +- %.0f)\n", rest,
            (unsigned long long)ss.kept_rate, rest * share, sd);
    CHECK(fabs((double)ss.kept_rate - rest * share) < 5 * sd);

    /* Reads before the flush see every trace. */
    size_t seen = 0;
    for (size_t i = 0; i < N_TRACES; i++) seen += spans_of(st, g[i].id) == SPANS;
    CHECK_EQ_INT(seen, N_TRACES);

    ol_store_set_trace_filter(st, ol_sampling_keep, smp);
    CHECK_EQ_INT(ol_store_flush_now(st), OL_OK);
    ol_store_stats_t sts;
    ol_store_stats(st, &sts);
    CHECK_EQ_INT(sts.head_spans, 0);
    CHECK_EQ_INT(sts.sampled_out_spans, ss.dropped * SPANS);
    size_t kept_total = ss.kept_error + ss.kept_latency + ss.kept_attribute + ss.kept_rate;
    CHECK_EQ_INT(sts.spans, kept_total * SPANS);

    /* Every kept trace whole in the parts, every dropped one gone. */
    size_t kept_by_kind[6] = {0}, plain_svc[3] = {0}, kept_svc[3] = {0};
    for (size_t i = 0; i < N_TRACES; i++) {
        size_t n = spans_of(st, g[i].id);
        CHECK(n == 0 || n == SPANS);
        if (n == SPANS) kept_by_kind[g[i].kind]++;
        if (g[i].kind == K_PLAIN) plain_svc[g[i].root_svc]++, kept_svc[g[i].root_svc] += n == SPANS;
    }
    for (int k = K_ERROR; k <= K_INT_ATTR; k++) CHECK_EQ_INT(kept_by_kind[k], want[k]);
    CHECK_EQ_INT(kept_by_kind[K_PLAIN], ss.kept_rate);
    for (int v = 0; v < 3; v++) {
        double sv = sqrt((double)plain_svc[v] * share * (1 - share));
        fprintf(stderr, "    %s: %zu of %zu kept\n", g_svc[v], kept_svc[v], plain_svc[v]);
        CHECK(fabs((double)kept_svc[v] - plain_svc[v] * share) < 5 * sv);
    }
    uint64_t spans_before_late = sts.spans;

    /* Late spans follow the decision: one for a trace kept by rate, one for
     * a dropped plain trace, and an error span for another dropped trace
     * (decided after its full wait, so it stays dropped). */
    ssize_t kept_plain = -1, dropped1 = -1, dropped2 = -1;
    for (size_t i = 0; i < N_TRACES; i++) {
        if (g[i].kind != K_PLAIN) continue;
        bool kept = spans_of(st, g[i].id) == SPANS;
        if (kept && kept_plain < 0) kept_plain = (ssize_t)i;
        else if (!kept && dropped1 < 0) dropped1 = (ssize_t)i;
        else if (!kept && dropped2 < 0) dropped2 = (ssize_t)i;
    }
    CHECK(kept_plain >= 0 && dropped1 >= 0 && dropped2 >= 0);
    if (kept_plain >= 0 && dropped1 >= 0 && dropped2 >= 0) {
        ssize_t which[3] = {kept_plain, dropped1, dropped2};
        sspan_t late[3];
        for (int k = 0; k < 3; k++) {
            sspan_t sp[SPANS];
            gen_trace(&g[which[k]], base, sp);
            late[k] = sp[2];
            late[k].status = k == 2 ? 2 : 0;
        }
        deliver(st, smp, late, 3);
        ol_sampling_stats(smp, &ss);
        CHECK_EQ_INT(ss.late_spans_kept, 1);
        CHECK_EQ_INT(ss.late_spans_dropped, 2);
        CHECK_EQ_INT(ss.upgraded, 0);
        CHECK_EQ_INT(spans_of(st, g[dropped1].id), 1); /* in the head until the flush */
        CHECK_EQ_INT(ol_store_flush_now(st), OL_OK);
        CHECK_EQ_INT(spans_of(st, g[kept_plain].id), SPANS + 1);
        CHECK_EQ_INT(spans_of(st, g[dropped1].id), 0);
        CHECK_EQ_INT(spans_of(st, g[dropped2].id), 0);
        ol_store_stats(st, &sts);
        CHECK_EQ_INT(sts.sampled_out_spans, ss.dropped * SPANS + 2);
        CHECK_EQ_INT(sts.spans, spans_before_late + 1);
    }

    /* Decisions are forgotten after OL_SAMPLING_REMEMBER_NS. */
    ol_sampling_tick(smp, now + 31 * SEC + OL_SAMPLING_REMEMBER_NS + SEC);
    ol_sampling_stats(smp, &ss);
    CHECK_EQ_INT(ss.remembered, 0);
    CHECK_EQ_INT(ss.forgotten, 0);

    ol_store_set_trace_filter(st, NULL, NULL);
    ol_store_close(st);
    ol_sampling_destroy(smp);
    ol_test_rm_rf(dir);
    free(batch);
    free(g);
}

/* ---- smaller cases ---- */

static void one_trace(uint8_t id[16], const char *svc, int status, uint64_t dur, sspan_t *out)
{
    memset(out, 0, sizeof *out);
    memcpy(out->trace, id, 16);
    make_id(out->span, 8);
    out->service = svc;
    out->name = "op";
    out->start = ol_now_ns() - 10 * SEC;
    out->end = out->start + dur;
    out->status = status;
}

static void test_rate_cap(void)
{
    ol_sampling_options_t o = {.enabled = true, .share = 1, .max_per_second = 50};
    ol_sampling_t *smp = make_sampler(&o);
    sspan_t *v = calloc(2000, sizeof *v);
    for (int i = 0; i < 2000; i++) {
        uint8_t id[16];
        make_id(id, 16);
        one_trace(id, i % 2 ? "a" : "b", 0, MS, &v[i]);
    }
    deliver(NULL, smp, v, 2000);
    uint64_t t = ol_now_ns() + 31 * SEC;
    ol_sampling_tick(smp, t);
    ol_sampling_stats_t ss;
    ol_sampling_stats(smp, &ss);
    CHECK_EQ_INT(ss.decided, 2000);
    CHECK_EQ_INT(ss.kept_rate, 100); /* one second of burst per service */
    CHECK_EQ_INT(ss.dropped, 1900);
    /* 31 s later the buckets are full again (50): service a gets 50 more. */
    for (int i = 0; i < 1000; i++) {
        uint8_t id[16];
        make_id(id, 16);
        one_trace(id, "a", 0, MS, &v[i]);
    }
    deliver(NULL, smp, v, 1000);
    ol_sampling_tick(smp, t + 31 * SEC);
    ol_sampling_stats(smp, &ss);
    CHECK_EQ_INT(ss.kept_rate, 150);
    /* No cap: everything kept with share 1. */
    ol_sampling_destroy(smp);
    o.max_per_second = -1;
    smp = make_sampler(&o);
    deliver(NULL, smp, v, 1000);
    ol_sampling_tick(smp, ol_now_ns() + 31 * SEC);
    ol_sampling_stats(smp, &ss);
    CHECK_EQ_INT(ss.kept_rate, 1000);
    ol_sampling_destroy(smp);
    /* share < 0: none of the rest. */
    o = (ol_sampling_options_t){.enabled = true, .share = -1};
    smp = make_sampler(&o);
    deliver(NULL, smp, v, 1000);
    ol_sampling_tick(smp, ol_now_ns() + 31 * SEC);
    ol_sampling_stats(smp, &ss);
    CHECK_EQ_INT(ss.kept_rate, 0);
    CHECK_EQ_INT(ss.dropped, 1000);
    ol_sampling_destroy(smp);
    free(v);
}

/* The share is chosen by the trace id alone: two samplers (two nodes) agree. */
static void test_nodes_agree(void)
{
    ol_sampling_options_t o = {.enabled = true, .share = 0.3, .max_per_second = -1};
    ol_sampling_t *a = make_sampler(&o), *b = make_sampler(&o);
    sspan_t *v = calloc(1000, sizeof *v);
    for (int i = 0; i < 1000; i++) {
        uint8_t id[16];
        make_id(id, 16);
        one_trace(id, i % 3 ? "x" : "y", 0, MS, &v[i]);
    }
    deliver(NULL, a, v, 1000);
    for (int i = 999; i >= 0; i--) deliver(NULL, b, &v[i], 1); /* another order, other batches */
    ol_sampling_tick(a, ol_now_ns() + 31 * SEC);
    size_t agree = 0, kept = 0;
    for (int i = 0; i < 1000; i++) {
        bool ka = ol_sampling_keep(a, v[i].trace), kb = ol_sampling_keep(b, v[i].trace); /* b decides now */
        agree += ka == kb;
        kept += ka;
    }
    CHECK_EQ_INT(agree, 1000);
    CHECK(kept > 200 && kept < 400);
    ol_sampling_destroy(a);
    ol_sampling_destroy(b);
    free(v);
}

static void test_early_and_upgrade(void)
{
    char dir[64];
    ol_store_t *st = open_store(dir, sizeof dir);
    ol_sampling_options_t o = {.enabled = true, .share = -1, .latency_ns = 100 * MS};
    ol_sampling_t *smp = make_sampler(&o);
    ol_store_set_trace_filter(st, ol_sampling_keep, smp);
    uint8_t a[16], b[16], c[16], d[16];
    make_id(a, 16), make_id(b, 16), make_id(c, 16), make_id(d, 16);
    sspan_t v[4];
    one_trace(a, "s", 0, MS, &v[0]);
    one_trace(b, "s", 0, MS, &v[1]);
    one_trace(c, "s", 0, MS, &v[2]);
    one_trace(d, "s", 2, MS, &v[3]); /* an error: kept even decided early */
    deliver(st, smp, v, 4);
    CHECK_EQ_INT(ol_store_flush_now(st), OL_OK); /* the wait is not over: decided now */
    ol_sampling_stats_t ss;
    ol_sampling_stats(smp, &ss);
    CHECK_EQ_INT(ss.decided, 4);
    CHECK_EQ_INT(ss.decided_early, 4);
    CHECK_EQ_INT(ss.dropped, 3);
    CHECK_EQ_INT(ss.kept_error, 1);
    CHECK_EQ_INT(spans_of(st, a), 0);
    CHECK_EQ_INT(spans_of(st, d), 1);
    /* Later spans: an error for a, a slow one for b, a plain one for c. */
    one_trace(a, "s", 2, MS, &v[0]);
    one_trace(b, "s", 0, 200 * MS, &v[1]);
    one_trace(c, "s", 0, MS, &v[2]);
    one_trace(d, "s", 0, MS, &v[3]);
    deliver(st, smp, v, 4);
    ol_sampling_stats(smp, &ss);
    CHECK_EQ_INT(ss.upgraded, 2);
    CHECK_EQ_INT(ss.late_spans_kept, 3);
    CHECK_EQ_INT(ss.late_spans_dropped, 1);
    CHECK_EQ_INT(ol_store_flush_now(st), OL_OK);
    CHECK_EQ_INT(spans_of(st, a), 1);
    CHECK_EQ_INT(spans_of(st, b), 1);
    CHECK_EQ_INT(spans_of(st, c), 0);
    CHECK_EQ_INT(spans_of(st, d), 2);
    ol_store_stats_t sts;
    ol_store_stats(st, &sts);
    CHECK_EQ_INT(sts.sampled_out_spans, 4);
    /* The decision is final: a later tick changes nothing. */
    ol_sampling_tick(smp, ol_now_ns() + 31 * SEC);
    ol_sampling_stats(smp, &ss);
    CHECK_EQ_INT(ss.decided, 4);
    ol_store_set_trace_filter(st, NULL, NULL);
    ol_store_close(st);
    ol_sampling_destroy(smp);
    ol_test_rm_rf(dir);
}

/* Spans the sampler never saw (appended before a restart) are kept. */
static void test_unknown_kept(void)
{
    char dir[64];
    ol_store_t *st = open_store(dir, sizeof dir);
    ol_sampling_options_t o = {.enabled = true, .share = -1};
    ol_sampling_t *smp = make_sampler(&o);
    uint8_t a[16], b[16];
    make_id(a, 16), make_id(b, 16);
    sspan_t v[2];
    one_trace(a, "s", 0, MS, &v[0]);
    one_trace(b, "s", 0, MS, &v[1]);
    deliver(st, NULL, &v[0], 1);
    deliver(st, smp, &v[1], 1);
    ol_store_set_trace_filter(st, ol_sampling_keep, smp);
    CHECK_EQ_INT(ol_store_flush_now(st), OL_OK);
    CHECK_EQ_INT(spans_of(st, a), 1);
    CHECK_EQ_INT(spans_of(st, b), 0);
    ol_sampling_stats_t ss;
    ol_sampling_stats(smp, &ss);
    CHECK_EQ_INT(ss.unknown, 1);
    /* No filter: everything kept. */
    ol_store_set_trace_filter(st, NULL, NULL);
    make_id(b, 16);
    one_trace(b, "s", 0, MS, &v[1]);
    deliver(st, smp, &v[1], 1);
    CHECK_EQ_INT(ol_store_flush_now(st), OL_OK);
    CHECK_EQ_INT(spans_of(st, b), 1);
    ol_store_close(st);
    ol_sampling_destroy(smp);
    ol_test_rm_rf(dir);
}

/* A span the store marked as a duplicate is not looked at again. */
static void test_duplicates_skipped(void)
{
    ol_sampling_options_t o = {.enabled = true, .share = -1};
    ol_sampling_t *smp = make_sampler(&o);
    uint8_t a[16];
    make_id(a, 16);
    sspan_t v;
    one_trace(a, "s", 2, MS, &v);
    ol_buf_t pb;
    ol_buf_init(&pb, OL_MEM_CORE, 0);
    encode(&v, 1, &pb);
    ol_arena_t *ar = ol_arena_create(1 << 12, 0);
    ol_otlp_batch_t b;
    ol_err_t err = {{0}};
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_TRACES, ol_buf_slice(&pb), ar, &b, &err), OL_OK);
    uint8_t dup[1] = {1};
    ol_sampling_observe(smp, &b, dup);
    ol_sampling_stats_t ss;
    ol_sampling_stats(smp, &ss);
    CHECK_EQ_INT(ss.open, 0);
    b.spans[0].valid = false;
    ol_sampling_observe(smp, &b, NULL);
    ol_sampling_stats(smp, &ss);
    CHECK_EQ_INT(ss.open, 0);
    b.spans[0].valid = true;
    ol_sampling_observe(smp, &b, NULL);
    ol_sampling_stats(smp, &ss);
    CHECK_EQ_INT(ss.open, 1);
    CHECK(ol_sampling_keep(smp, a));
    ol_arena_destroy(ar);
    ol_buf_free(&pb);
    ol_sampling_destroy(smp);
}

static void test_bound(void)
{
    ol_sampling_options_t o = {.enabled = true, .share = -1, .max_traces = 32}; /* 2 per shard */
    ol_sampling_t *smp = make_sampler(&o);
    sspan_t *v = calloc(200, sizeof *v);
    for (int i = 0; i < 200; i++) {
        uint8_t id[16];
        make_id(id, 16);
        one_trace(id, "s", 0, MS, &v[i]);
    }
    deliver(NULL, smp, v, 200);
    ol_sampling_stats_t ss;
    ol_sampling_stats(smp, &ss);
    CHECK_EQ_INT(ss.open, 32);
    CHECK_EQ_INT(ss.overflow_spans, 168);
    size_t kept = 0;
    for (int i = 0; i < 200; i++) kept += ol_sampling_keep(smp, v[i].trace); /* tracked ones decided (dropped) */
    CHECK_EQ_INT(kept, 168);
    /* New traces take the place of the oldest decisions. */
    for (int i = 0; i < 200; i++) {
        uint8_t id[16];
        make_id(id, 16);
        one_trace(id, "s", 0, MS, &v[i]);
    }
    deliver(NULL, smp, v, 200);
    ol_sampling_stats(smp, &ss);
    CHECK_EQ_INT(ss.open + ss.remembered, 32);
    CHECK_EQ_INT(ss.forgotten, 32);
    CHECK_EQ_INT(ss.open, 32);
    CHECK_EQ_INT(ss.overflow_spans, 168 * 2);
    ol_sampling_destroy(smp);
    free(v);
}

static void test_disabled_and_text(void)
{
    ol_sampling_options_t o = {.share = -1};
    ol_sampling_t *smp = make_sampler(&o);
    uint8_t a[16];
    make_id(a, 16);
    sspan_t v;
    one_trace(a, "s", 0, MS, &v);
    deliver(NULL, smp, &v, 1);
    ol_sampling_tick(smp, ol_now_ns() + 60 * SEC);
    CHECK(ol_sampling_keep(smp, a));
    ol_sampling_stats_t ss;
    ol_sampling_stats(smp, &ss);
    CHECK_EQ_INT(ss.decided + ss.open, 0);
    ol_sampling_destroy(smp);

    o.enabled = true;
    smp = make_sampler(&o);
    deliver(NULL, smp, &v, 1);
    ol_sampling_tick(smp, ol_now_ns() + 60 * SEC);
    CHECK(!ol_sampling_keep(smp, a));
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CORE, 0);
    ol_sampling_metrics_text(smp, &out);
    ol_buf_append_u8(&out, 0);
    const char *t = (const char *)out.data;
    CHECK(strstr(t, "olly_sampling_traces_decided_total 1\n"));
    CHECK(strstr(t, "olly_sampling_traces_dropped_total 1\n"));
    CHECK(strstr(t, "olly_sampling_traces_kept_total{policy=\"error\"} 0\n"));
    CHECK(strstr(t, "olly_sampling_traces_kept_total{policy=\"rate\"} 0\n"));
    CHECK(strstr(t, "olly_sampling_tracked_traces{state=\"decided\"} 1\n"));
    CHECK(strstr(t, "# TYPE olly_sampling_overflow_spans_total counter\n"));
    ol_buf_free(&out);
    ol_sampling_destroy(smp);
}

/* observe, keep and tick from several threads (run under SAN=1). */
typedef struct thr {
    ol_sampling_t *smp;
    int which;
    uint64_t seed;
} thr_t;

static void *thr_main(void *arg)
{
    thr_t *t = arg;
    uint64_t x = t->seed;
    sspan_t *v = calloc(64, sizeof *v);
    for (int round = 0; round < 200; round++) {
        for (int i = 0; i < 64; i++) {
            uint8_t id[16];
            for (int k = 0; k < 16; k++) x ^= x << 13, x ^= x >> 7, x ^= x << 17, id[k] = (uint8_t)(x % 8);
            id[0] |= 1; /* few ids: threads meet on the same traces */
            memset(&v[i], 0, sizeof v[i]);
            memcpy(v[i].trace, id, 16);
            for (int k = 0; k < 8; k++) v[i].span[k] = (uint8_t)(x >> k * 8) | 1;
            v[i].service = "s";
            v[i].name = "op";
            v[i].start = 1;
            v[i].end = 2;
            v[i].status = (int)(x % 3);
        }
        if (t->which == 0) deliver(NULL, t->smp, v, 64);
        else if (t->which == 1) for (int i = 0; i < 64; i++) (void)ol_sampling_keep(t->smp, v[i].trace);
        else ol_sampling_tick(t->smp, ol_now_ns() + (uint64_t)round * SEC);
    }
    free(v);
    return NULL;
}

static void test_threads(void)
{
    ol_sampling_options_t o = {.enabled = true, .share = 0.5, .max_traces = 1000};
    ol_sampling_t *smp = make_sampler(&o);
    pthread_t th[4];
    thr_t args[4] = {{smp, 0, 1}, {smp, 0, 2}, {smp, 1, 3}, {smp, 2, 4}};
    for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, thr_main, &args[i]);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    ol_sampling_stats_t ss;
    ol_sampling_stats(smp, &ss);
    CHECK_EQ_INT(ss.decided, ss.kept_error + ss.kept_latency + ss.kept_attribute + ss.kept_rate + ss.dropped);
    CHECK(ss.open + ss.remembered <= 1000 + 16);
    ol_sampling_destroy(smp);
}

int main(void)
{
    RUN(test_rules);
    RUN(test_ten_thousand_traces);
    RUN(test_rate_cap);
    RUN(test_nodes_agree);
    RUN(test_early_and_upgrade);
    RUN(test_unknown_kept);
    RUN(test_duplicates_skipped);
    RUN(test_bound);
    RUN(test_disabled_and_text);
    RUN(test_threads);
    return TEST_REPORT();
}
