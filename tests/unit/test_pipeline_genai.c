/*
 * test_pipeline_genai.c - GenAI usage (pipeline/genai.h).
 *
 * 3,000 spans, most of them GenAI spans in every form the conventions allow
 * (gen_ai.provider.name or the older gen_ai.system or neither; request
 * model, response model or both; input/output tokens, the older
 * prompt/completion tokens, both, tokens as doubles and strings, none;
 * errors by status and by error.type) mixed with spans that are not GenAI
 * spans, invalid spans and duplicates, are observed; the test works out
 * every group's requests, errors, tokens and cost (in picodollars, with its
 * own longest-prefix price lookup) and checks ol_genai_usage by model and by
 * service: exactly for the counts, within float rounding for the cost, and
 * within the sketch's error for the latency quantiles. The same answers
 * must come from the open buckets, from the store after they are written,
 * from a mix of both after late spans, for a sub-window, after the store is
 * closed and opened again (a new ol_genai_t reading the parts), and through
 * SQL. Metrics with the same names under another scope are ignored. Also:
 * the price table (format, errors, prefixes, built-in examples), argument
 * errors and the counters' text.
 */
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec/json.h"
#include "codec/otlp.h"
#include "codec/pb.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/util.h"
#include "pipeline/genai.h"
#include "pipeline/genai_int.h"
#include "sql/sql.h"
#include "store/store.h"
#include "test.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define RES (60 * SEC)

static uint64_t g_rng = 0x2545F4914F6CDD1Dull;
static uint64_t rnd(void) { return ol_test_rng(&g_rng); }

static ol_store_t *open_store(const char *dir)
{
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

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    fputs(text, f);
    fclose(f);
}

/* ---- prices ---- */

static const char g_price_text[] = "# test prices\n"
                                   "model-a        2.5   10\n"
                                   "model-a-mini   0.15  0.6   # a longer prefix wins\n"
                                   "\n"
                                   "  model-b\t3.000000 15.\n";

static void test_prices(void)
{
    ol_genai_prices_t p = {0};
    ol_err_t err = {{0}};
    CHECK_EQ_INT(ol_genai_prices_parse(&p, ol_slice_cstr(g_price_text), "t", &err), OL_OK);
    CHECK_EQ_INT(p.n, 3);
    const ol_genai_price_t *e = ol_genai_prices_find(&p, ol_slice_cstr("model-a-2024"));
    CHECK(e && e->input_micro == 2500000 && e->output_micro == 10000000);
    e = ol_genai_prices_find(&p, ol_slice_cstr("model-a-mini-1"));
    CHECK(e && e->input_micro == 150000 && e->output_micro == 600000);
    e = ol_genai_prices_find(&p, ol_slice_cstr("model-b"));
    CHECK(e && e->input_micro == 3000000 && e->output_micro == 15000000);
    CHECK(ol_genai_prices_find(&p, ol_slice_cstr("model-")) == NULL);
    CHECK(ol_genai_prices_find(&p, ol_slice_cstr("x-model-a")) == NULL);
    CHECK(ol_genai_prices_find(&p, OL_SLICE_NULL) == NULL);
    /* A model listed again takes its last price. */
    CHECK_EQ_INT(ol_genai_prices_parse(&p, ol_slice_cstr("model-b 1 2\n"), "t2", &err), OL_OK);
    CHECK_EQ_INT(p.n, 3);
    e = ol_genai_prices_find(&p, ol_slice_cstr("model-b"));
    CHECK(e && e->input_micro == 1000000 && e->output_micro == 2000000);
    ol_genai_prices_free(&p);

    static const struct {
        const char *text;
        const char *want;
    } bad[] = {
        {"m 1\n", "line 1"},          {"ok 1 2\nm 1 2 3\n", "line 2"}, {"m x 2\n", "decimal"},
        {"m 1.1234567 2\n", "decimal"}, {"m -1 2\n", "decimal"},       {"m . 2\n", "decimal"},
        {"m 1e3 2\n", "decimal"},
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(bad); i++) {
        ol_genai_prices_t q = {0};
        err.msg[0] = 0;
        CHECK_EQ_INT(ol_genai_prices_parse(&q, ol_slice_cstr(bad[i].text), "prices.txt", &err), OL_CORRUPT);
        CHECK(strstr(err.msg, bad[i].want) && strstr(err.msg, "prices.txt"));
        ol_genai_prices_free(&q);
    }

    /* Built-in examples, a file, a missing file, a malformed file. */
    ol_genai_t *g = NULL;
    CHECK_EQ_INT(ol_genai_create(NULL, NULL, &g, &err), OL_OK);
    double in = 0, out = 0;
    CHECK(ol_genai_price(g, ol_slice_cstr("gpt-4o-mini-2024-07-18"), &in, &out) && in == 0.15 && out == 0.6);
    CHECK(ol_genai_price(g, ol_slice_cstr("gpt-4o-2024-08-06"), &in, &out) && in == 2.5 && out == 10);
    CHECK(!ol_genai_price(g, ol_slice_cstr("my-own-model"), &in, &out));
    ol_genai_destroy(g);
    char path[] = "/tmp/olly-test-genai-prices-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    write_text(path, g_price_text);
    ol_genai_options_t o = {.prices = path};
    CHECK_EQ_INT(ol_genai_create(&o, NULL, &g, &err), OL_OK);
    CHECK(ol_genai_price(g, ol_slice_cstr("model-a-x"), &in, &out) && in == 2.5 && out == 10);
    CHECK(!ol_genai_price(g, ol_slice_cstr("gpt-4o"), &in, &out));
    ol_genai_destroy(g);
    write_text(path, "model-a 1 2\nbroken\n");
    g = NULL;
    CHECK_EQ_INT(ol_genai_create(&o, NULL, &g, &err), OL_CORRUPT);
    CHECK(g == NULL && strstr(err.msg, path) && strstr(err.msg, "line 2"));
    unlink(path);
    CHECK_EQ_INT(ol_genai_create(&o, NULL, &g, &err), OL_ERR);
    CHECK(g == NULL && strstr(err.msg, "cannot open"));
}

/* ---- spans ---- */

typedef struct attr {
    const char *key;
    char kind; /* 's', 'i', 'd' */
    const char *s;
    int64_t i;
    double d;
} attr_t;

typedef struct gspan {
    uint8_t trace[16], span[8];
    const char *service;
    uint64_t start, end;
    int status;
    attr_t attrs[12];
    int n_attrs;
    bool invalid, dup;
} gspan_t;

static void put_attr(ol_buf_t *b, const attr_t *a)
{
    size_t kv = ol_pb_begin(b, 9);
    ol_pb_put_bytes(b, 1, ol_slice_cstr(a->key));
    size_t av = ol_pb_begin(b, 2);
    if (a->kind == 's') ol_pb_put_bytes(b, 1, ol_slice_cstr(a->s));
    else if (a->kind == 'i') ol_pb_put_uint(b, 3, (uint64_t)a->i);
    else ol_pb_put_double(b, 4, a->d);
    ol_pb_end(b, av);
    ol_pb_end(b, kv);
}

static void encode(const gspan_t *v, size_t n, ol_buf_t *out)
{
    ol_buf_reset(out);
    for (size_t i = 0; i < n; i++) {
        const gspan_t *x = &v[i];
        size_t rs = ol_pb_begin(out, 1);
        size_t res = ol_pb_begin(out, 1);
        size_t kv = ol_pb_begin(out, 1);
        ol_pb_put_bytes(out, 1, OL_SLICE_LIT("service.name"));
        size_t av = ol_pb_begin(out, 2);
        ol_pb_put_bytes(out, 1, ol_slice_cstr(x->service));
        ol_pb_end(out, av);
        ol_pb_end(out, kv);
        ol_pb_end(out, res);
        size_t ss = ol_pb_begin(out, 2);
        size_t sp = ol_pb_begin(out, 2);
        ol_pb_put_bytes(out, 1, ol_slice(x->trace, x->invalid ? 15 : 16));
        ol_pb_put_bytes(out, 2, ol_slice(x->span, 8));
        ol_pb_put_bytes(out, 5, OL_SLICE_LIT("chat"));
        ol_pb_put_uint(out, 6, 3);
        ol_pb_put_fixed64(out, 7, x->start);
        ol_pb_put_fixed64(out, 8, x->end);
        for (int k = 0; k < x->n_attrs; k++) put_attr(out, &x->attrs[k]);
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

static void observe(ol_genai_t *g, const gspan_t *v, size_t n)
{
    ol_buf_t pb;
    ol_buf_init(&pb, OL_MEM_CORE, 0);
    encode(v, n, &pb);
    ol_arena_t *a = ol_arena_create(1 << 16, 0);
    ol_otlp_batch_t b;
    ol_err_t err = {{0}};
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_TRACES, ol_buf_slice(&pb), a, &b, &err), OL_OK);
    CHECK_EQ_INT(b.n_spans, n);
    uint8_t *dup = calloc(n + 1, 1);
    for (size_t i = 0; i < n && i < b.n_spans; i++) dup[i] = v[i].dup;
    ol_genai_observe(g, &b, dup);
    free(dup);
    ol_arena_destroy(a);
    ol_buf_free(&pb);
}

/* ---- what the answers must be ---- */

static const struct {
    const char *model;
    uint64_t in, out; /* picodollars per token */
} g_prices[] = {{"model-a", 2500000, 10000000}, {"model-a-mini", 150000, 600000}, {"model-b", 3000000, 15000000}};

static bool price_of(const char *model, uint64_t *in, uint64_t *out)
{
    size_t best = 0;
    bool found = false;
    for (size_t i = 0; i < OL_ARRAY_LEN(g_prices); i++) {
        size_t n = strlen(g_prices[i].model);
        if (model && strncmp(model, g_prices[i].model, n) == 0 && n > best) {
            best = n;
            *in = g_prices[i].in;
            *out = g_prices[i].out;
            found = true;
        }
    }
    return found;
}

typedef struct expect {
    char name[64], provider[32];
    uint64_t requests, errors, in, out, cost_pico;
    double *ms;
    size_t n_ms, cap_ms;
} expect_t;

typedef struct expects {
    expect_t v[64];
    size_t n;
} expects_t;

static expect_t *expect_get(expects_t *e, const char *name, const char *provider)
{
    for (size_t i = 0; i < e->n; i++)
        if (!strcmp(e->v[i].name, name) && !strcmp(e->v[i].provider, provider)) return &e->v[i];
    if (e->n == OL_ARRAY_LEN(e->v)) abort();
    expect_t *x = &e->v[e->n++];
    memset(x, 0, sizeof *x);
    snprintf(x->name, sizeof x->name, "%s", name);
    snprintf(x->provider, sizeof x->provider, "%s", provider);
    return x;
}

static void expects_free(expects_t *e)
{
    for (size_t i = 0; i < e->n; i++) free(e->v[i].ms);
    e->n = 0;
}

/* The rules of genai.h, restated: which group a span feeds and with what. */
static void expect_span(expects_t *by_model, expects_t *by_service, const gspan_t *x, uint64_t start, uint64_t end)
{
    if (x->invalid || x->dup || x->start < start || x->start >= end) return;
    const char *provider = NULL, *system = NULL, *req = NULL, *resp = NULL;
    bool has_in = false, has_out = false, has_prompt = false, has_completion = false, error = x->status == 2;
    uint64_t in = 0, out = 0, prompt = 0, completion = 0;
    for (int k = 0; k < x->n_attrs; k++) {
        const attr_t *a = &x->attrs[k];
        uint64_t v = a->kind == 'i' ? (uint64_t)a->i : a->kind == 'd' ? (uint64_t)llround(a->d) : strtoull(a->s, 0, 10);
        if (!strcmp(a->key, "gen_ai.provider.name")) provider = a->s;
        else if (!strcmp(a->key, "gen_ai.system")) system = a->s;
        else if (!strcmp(a->key, "gen_ai.request.model")) req = a->s;
        else if (!strcmp(a->key, "gen_ai.response.model")) resp = a->s;
        else if (!strcmp(a->key, "gen_ai.usage.input_tokens")) has_in = true, in = v;
        else if (!strcmp(a->key, "gen_ai.usage.output_tokens")) has_out = true, out = v;
        else if (!strcmp(a->key, "gen_ai.usage.prompt_tokens")) has_prompt = true, prompt = v;
        else if (!strcmp(a->key, "gen_ai.usage.completion_tokens")) has_completion = true, completion = v;
        else if (!strcmp(a->key, "error.type")) error = true;
    }
    if (!provider) provider = system;
    const char *model = req ? req : resp;
    if (!provider && !model) return;
    if (!has_in && has_prompt) in = prompt;
    if (!has_out && has_completion) out = completion;
    uint64_t pin = 0, pout = 0;
    bool priced = (resp && price_of(resp, &pin, &pout)) || price_of(req, &pin, &pout);
    uint64_t cost = priced ? in * pin + out * pout : 0;
    double ms = (double)(x->end - x->start) / 1e6;
    expect_t *g2[2] = {expect_get(by_model, model ? model : "", provider ? provider : ""),
                       expect_get(by_service, x->service, provider ? provider : "")};
    for (int k = 0; k < 2; k++) {
        expect_t *g = g2[k];
        g->requests++;
        g->errors += error;
        g->in += in;
        g->out += out;
        g->cost_pico += cost;
        if (g->n_ms == g->cap_ms) {
            g->cap_ms = g->cap_ms ? g->cap_ms * 2 : 64;
            g->ms = realloc(g->ms, g->cap_ms * sizeof *g->ms);
        }
        g->ms[g->n_ms++] = ms;
    }
}

static int dbl_order(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The value of rank floor(q (n-1)), as sketch.h defines quantiles. */
static double exact_q(double *v, size_t n, double q)
{
    qsort(v, n, sizeof *v, dbl_order);
    return v[(size_t)floor(q * (double)(n - 1))];
}

/* ---- reading the answer ---- */

static uint64_t num_u64(const ol_json_doc_t *d, uint32_t obj, const char *key)
{
    uint32_t t = ol_json_object_get(d, obj, key);
    uint64_t v = UINT64_MAX;
    if (!t || d->toks[t].kind != OL_JSON_NUMBER || ol_parse_u64(d->toks[t].text, &v) != OL_OK) CHECK(!"a count");
    return v;
}

static double num_double(const ol_json_doc_t *d, uint32_t obj, const char *key)
{
    uint32_t t = ol_json_object_get(d, obj, key);
    double v = NAN;
    if (t && d->toks[t].kind == OL_JSON_NULL) return NAN;
    if (!t || d->toks[t].kind != OL_JSON_NUMBER || ol_parse_double(d->toks[t].text, &v) != OL_OK) CHECK(!"a number");
    return v;
}

static bool str_is(const ol_json_doc_t *d, uint32_t obj, const char *key, const char *want)
{
    uint32_t t = ol_json_object_get(d, obj, key);
    return t && d->toks[t].kind == OL_JSON_STRING && ol_slice_eq_cstr(d->toks[t].text, want);
}

static void check_figures(const ol_json_doc_t *d, uint32_t o, expect_t *x, const char *what)
{
    int before = ol_test_failed_checks;
    CHECK_EQ_INT(num_u64(d, o, "requests"), x->requests);
    CHECK_EQ_INT(num_u64(d, o, "errors"), x->errors);
    CHECK_EQ_INT(num_u64(d, o, "inputTokens"), x->in);
    CHECK_EQ_INT(num_u64(d, o, "outputTokens"), x->out);
    double cost = num_double(d, o, "costUsd"), want = (double)x->cost_pico / 1e12;
    CHECK(fabs(cost - want) <= 1e-9 * want + 1e-15);
    static const char *const keys[3] = {"p50Ms", "p95Ms", "p99Ms"};
    static const double qs[3] = {0.5, 0.95, 0.99};
    for (int k = 0; k < 3; k++) {
        double got = num_double(d, o, keys[k]);
        if (!x->n_ms) {
            CHECK(isnan(got));
            continue;
        }
        double w = exact_q(x->ms, x->n_ms, qs[k]);
        CHECK(fabs(got - w) <= w * 0.0055);
    }
    if (ol_test_failed_checks != before) fprintf(stderr, "    in %s: %s/%s\n", what, x->name, x->provider);
}

/* Runs the query and compares every group and the total with `want`. */
static void check_usage(ol_genai_t *g, uint64_t start, uint64_t end, int by, expects_t *want, const char *what)
{
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CORE, 0);
    ol_err_t err = {{0}};
    int rc = ol_genai_usage(g, start, end, by, &out, &err);
    CHECK_EQ_INT(rc, OL_OK);
    if (rc != OL_OK) {
        fprintf(stderr, "  usage: %s\n", err.msg);
        ol_buf_free(&out);
        return;
    }
    ol_arena_t *a = ol_arena_create(1 << 16, 0);
    ol_json_doc_t d;
    CHECK_EQ_INT(ol_json_parse(ol_buf_slice(&out), a, &d, &err), OL_OK);
    CHECK(str_is(&d, 0, "by", by ? "service" : "model"));
    CHECK_EQ_INT(num_u64(&d, 0, "start"), start);
    CHECK_EQ_INT(num_u64(&d, 0, "end"), end);
    uint32_t groups = ol_json_object_get(&d, 0, "groups");
    CHECK(groups && d.toks[groups].kind == OL_JSON_ARRAY);
    size_t nonempty = 0;
    for (size_t i = 0; i < want->n; i++) nonempty += want->v[i].requests > 0;
    CHECK_EQ_INT(groups ? d.toks[groups].size : 0, nonempty);
    expect_t total = {.name = "total"};
    for (uint32_t e = groups + 1, k = 0; groups && k < d.toks[groups].size; k++, e = d.toks[e].next) {
        expect_t *x = NULL;
        for (size_t i = 0; i < want->n && !x; i++)
            if (str_is(&d, e, by ? "service" : "model", want->v[i].name) &&
                str_is(&d, e, "provider", want->v[i].provider))
                x = &want->v[i];
        CHECK(x != NULL);
        if (!x) continue;
        check_figures(&d, e, x, what);
        total.requests += x->requests;
        total.errors += x->errors;
        total.in += x->in;
        total.out += x->out;
        total.cost_pico += x->cost_pico;
        for (size_t i = 0; i < x->n_ms; i++) {
            if (total.n_ms == total.cap_ms) {
                total.cap_ms = total.cap_ms ? total.cap_ms * 2 : 64;
                total.ms = realloc(total.ms, total.cap_ms * sizeof *total.ms);
            }
            total.ms[total.n_ms++] = x->ms[i];
        }
    }
    uint32_t t = ol_json_object_get(&d, 0, "total");
    CHECK(t != 0);
    if (t) check_figures(&d, t, &total, what);
    free(total.ms);
    ol_arena_destroy(a);
    ol_buf_free(&out);
}

/* ---- the generated spans ---- */

static const char *const g_models[] = {"model-a-2024-05", "model-a-mini-1", "model-b", "free-x"};
static const char *const g_providers[] = {"openai", "anthropic"};

static void add_attr(gspan_t *x, const char *key, char kind, const char *s, int64_t i, double d)
{
    x->attrs[x->n_attrs++] = (attr_t){key, kind, s, i, d};
}

static char g_strs[4000][24]; /* token counts as strings */
static size_t g_n_strs;

static void gen_span(gspan_t *x, uint64_t base, uint64_t range)
{
    memset(x, 0, sizeof *x);
    for (int i = 0; i < 16; i++) x->trace[i] = (uint8_t)rnd();
    for (int i = 0; i < 8; i++) x->span[i] = (uint8_t)rnd();
    x->trace[0] |= 1, x->span[0] |= 1;
    x->service = rnd() % 3 ? "chat-api" : "agent";
    x->start = base + rnd() % range;
    x->end = x->start + (50 + rnd() % 4950) * MS;
    uint64_t r = rnd() % 100;
    if (r < 8) { /* not a GenAI span */
        add_attr(x, "http.route", 's', "/v1/chat", 0, 0);
        if (r < 3) add_attr(x, "gen_ai.usage.input_tokens", 'i', NULL, 5, 0); /* no provider, no model */
        return;
    }
    if (r < 10) x->invalid = true;
    else if (r < 13) x->dup = true;
    const char *provider = g_providers[rnd() % 2];
    switch (rnd() % 4) {
    case 0: add_attr(x, "gen_ai.system", 's', provider, 0, 0); break;
    case 1: break;
    default: add_attr(x, "gen_ai.provider.name", 's', provider, 0, 0); break;
    }
    const char *model = g_models[rnd() % 4];
    switch (rnd() % 6) {
    case 0: add_attr(x, "gen_ai.response.model", 's', model, 0, 0); break; /* no request model */
    case 1: /* priced by the response model */
        add_attr(x, "gen_ai.request.model", 's', "free-x", 0, 0);
        add_attr(x, "gen_ai.response.model", 's', "model-b-0901", 0, 0);
        break;
    default: add_attr(x, "gen_ai.request.model", 's', model, 0, 0); break;
    }
    if (!x->n_attrs) add_attr(x, "gen_ai.request.model", 's', model, 0, 0);
    if (rnd() % 3 == 0) add_attr(x, "gen_ai.operation.name", 's', rnd() % 2 ? "chat" : "embeddings", 0, 0);
    int64_t in = (int64_t)(rnd() % 20000), out = (int64_t)(rnd() % 4000);
    switch (rnd() % 5) {
    case 0:
        add_attr(x, "gen_ai.usage.input_tokens", 'i', NULL, in, 0);
        add_attr(x, "gen_ai.usage.output_tokens", 'i', NULL, out, 0);
        break;
    case 1:
        add_attr(x, "gen_ai.usage.prompt_tokens", 'i', NULL, in, 0);
        add_attr(x, "gen_ai.usage.completion_tokens", 'i', NULL, out, 0);
        break;
    case 2: /* both: the new names win */
        add_attr(x, "gen_ai.usage.prompt_tokens", 'i', NULL, in + 7, 0);
        add_attr(x, "gen_ai.usage.input_tokens", 'i', NULL, in, 0);
        add_attr(x, "gen_ai.usage.output_tokens", 'i', NULL, out, 0);
        add_attr(x, "gen_ai.usage.completion_tokens", 'i', NULL, out + 9, 0);
        break;
    case 3:
        add_attr(x, "gen_ai.usage.input_tokens", 'd', NULL, 0, (double)in);
        if (g_n_strs < OL_ARRAY_LEN(g_strs)) {
            snprintf(g_strs[g_n_strs], sizeof g_strs[0], "%lld", (long long)out);
            add_attr(x, "gen_ai.usage.output_tokens", 's', g_strs[g_n_strs++], 0, 0);
        }
        break;
    default: break;
    }
    r = rnd() % 100;
    if (r < 5) x->status = 2;
    else if (r < 8) add_attr(x, "error.type", 's', "timeout", 0, 0);
    else if (r < 50) x->status = 1;
}

static void expect_all(const gspan_t *v, size_t n, uint64_t start, uint64_t end, expects_t *m, expects_t *s)
{
    for (size_t i = 0; i < n; i++) expect_span(m, s, &v[i], start, end);
}

static void check_both(ol_genai_t *g, const gspan_t *v, size_t n, uint64_t start, uint64_t end, const char *what)
{
    expects_t *m = calloc(1, sizeof *m), *s = calloc(1, sizeof *s);
    expect_all(v, n, start, end, m, s);
    check_usage(g, start, end, 0, m, what);
    check_usage(g, start, end, 1, s, what);
    expects_free(m);
    expects_free(s);
    free(m);
    free(s);
}

/* A client's metric named olly.genai.requests, under its own scope. */
static void append_forged(ol_store_t *st, uint64_t t)
{
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CORE, 0);
    size_t rm = ol_pb_begin(&b, 1);
    size_t res = ol_pb_begin(&b, 1);
    size_t kv = ol_pb_begin(&b, 1);
    ol_pb_put_bytes(&b, 1, OL_SLICE_LIT("service.name"));
    size_t av = ol_pb_begin(&b, 2);
    ol_pb_put_bytes(&b, 1, OL_SLICE_LIT("chat-api"));
    ol_pb_end(&b, av);
    ol_pb_end(&b, kv);
    ol_pb_end(&b, res);
    size_t sm = ol_pb_begin(&b, 2);
    size_t sc = ol_pb_begin(&b, 1);
    ol_pb_put_bytes(&b, 1, OL_SLICE_LIT("evil"));
    ol_pb_end(&b, sc);
    size_t m = ol_pb_begin(&b, 2);
    ol_pb_put_bytes(&b, 1, OL_SLICE_LIT("olly.genai.requests"));
    size_t sum = ol_pb_begin(&b, 7);
    size_t dp = ol_pb_begin(&b, 1);
    ol_pb_put_fixed64(&b, 2, t);
    ol_pb_put_fixed64(&b, 3, t + RES);
    ol_pb_put_fixed64(&b, 6, 1000000);
    ol_pb_end(&b, dp);
    ol_pb_put_uint(&b, 2, 1);
    ol_pb_put_uint(&b, 3, 1);
    ol_pb_end(&b, sum);
    ol_pb_end(&b, m);
    ol_pb_end(&b, sm);
    ol_pb_end(&b, rm);
    ol_arena_t *a = ol_arena_create(1 << 12, 0);
    ol_otlp_batch_t batch;
    ol_err_t err = {{0}};
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_METRICS, ol_buf_slice(&b), a, &batch, &err), OL_OK);
    ol_store_append_result_t res2 = {0};
    CHECK_EQ_INT(ol_store_append(st, &batch, &res2), OL_OK);
    CHECK_EQ_INT(res2.accepted, 1);
    ol_arena_destroy(a);
    ol_buf_free(&b);
}

static double sql_number(ol_store_t *st, const char *sql)
{
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CORE, 0);
    ol_err_t err = {{0}};
    ol_sql_stats_t stats;
    int rc = ol_sql_run(st, sql, strlen(sql), NULL, ol_now_ns(), &out, &stats, &err);
    CHECK_EQ_INT(rc, OL_OK);
    double v = NAN;
    if (rc != OL_OK) {
        fprintf(stderr, "  sql: %s\n", err.msg);
    } else {
        ol_arena_t *a = ol_arena_create(1 << 12, 0);
        ol_json_doc_t d;
        CHECK_EQ_INT(ol_json_parse(ol_buf_slice(&out), a, &d, &err), OL_OK);
        uint32_t rows = ol_json_object_get(&d, 0, "rows");
        if (rows && d.toks[rows].size == 1 && d.toks[rows + 1].size == 1) {
            const ol_json_tok_t *t = &d.toks[rows + 2];
            ol_slice_t s = t->text;
            CHECK_EQ_INT(ol_parse_double(s, &v), OL_OK);
        } else {
            fprintf(stderr, "  sql answer: %.*s\n", (int)OL_MIN(out.len, 400), (const char *)out.data);
        }
        ol_arena_destroy(a);
    }
    ol_buf_free(&out);
    return v;
}

/* The sum of column `col` over the rows of the answer. */
static double sql_column_sum(ol_store_t *st, const char *sql, uint32_t col, size_t *n_rows)
{
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CORE, 0);
    ol_err_t err = {{0}};
    ol_sql_stats_t stats;
    double sum = 0;
    *n_rows = 0;
    int rc = ol_sql_run(st, sql, strlen(sql), NULL, ol_now_ns(), &out, &stats, &err);
    CHECK_EQ_INT(rc, OL_OK);
    if (rc != OL_OK) {
        fprintf(stderr, "  sql: %s\n", err.msg);
        ol_buf_free(&out);
        return NAN;
    }
    ol_arena_t *a = ol_arena_create(1 << 12, 0);
    ol_json_doc_t d;
    CHECK_EQ_INT(ol_json_parse(ol_buf_slice(&out), a, &d, &err), OL_OK);
    uint32_t rows = ol_json_object_get(&d, 0, "rows");
    CHECK(rows && d.toks[rows].kind == OL_JSON_ARRAY);
    for (uint32_t r = rows + 1, k = 0; rows && k < d.toks[rows].size; k++, r = d.toks[r].next) {
        uint32_t c = r + 1;
        for (uint32_t j = 0; j < col && c; j++) c = d.toks[c].next;
        double v = NAN;
        CHECK(c && ol_parse_double(d.toks[c].text, &v) == OL_OK);
        sum += v;
        (*n_rows)++;
    }
    ol_arena_destroy(a);
    ol_buf_free(&out);
    return sum;
}

enum { N_SPANS = 3000, N_LATE = 200 };

static void test_usage(void)
{
    char dir[] = "/tmp/olly-test-genai-XXXXXX";
    if (!mkdtemp(dir)) abort();
    char prices[300];
    snprintf(prices, sizeof prices, "%s-prices.txt", dir);
    write_text(prices, g_price_text);
    ol_store_t *st = open_store(dir);
    ol_genai_options_t o = {.prices = prices};
    ol_genai_t *g = NULL;
    ol_err_t err = {{0}};
    CHECK_EQ_INT(ol_genai_create(&o, st, &g, &err), OL_OK);

    uint64_t now = ol_now_ns();
    uint64_t base = now / RES * RES - 30 * RES; /* ten buckets, half an hour ago */
    gspan_t *v = calloc(N_SPANS + N_LATE, sizeof *v);
    for (size_t i = 0; i < N_SPANS; i++) gen_span(&v[i], base, 10 * RES);
    for (size_t i = 0; i < N_SPANS; i += 100) observe(g, &v[i], OL_MIN(100, N_SPANS - i));

    /* All in open buckets. */
    check_both(g, v, N_SPANS, base, base + 10 * RES, "open buckets");
    check_both(g, v, N_SPANS, base + 2 * RES, base + 5 * RES, "open buckets, a sub-window");
    check_both(g, v, N_SPANS, 0, UINT64_MAX, "open buckets, everything");

    /* Not due yet: the clock has not passed the buckets' ends by the grace
     * and no span is older than the grace... */
    ol_buf_t text;
    ol_buf_init(&text, OL_MEM_CORE, 0);
    ol_genai_tick(g, ol_now_ns() - 2 * RES); /* the clock does not go back: a no-op */
    ol_genai_metrics_text(g, &text);
    ol_buf_append_u8(&text, 0);
    CHECK(strstr((char *)text.data, "olly_genai_buckets_emitted_total 0\n"));
    /* ...then everything is written. */
    ol_genai_tick(g, ol_now_ns() + 2 * OL_GENAI_GRACE_NS);
    ol_buf_reset(&text);
    ol_genai_metrics_text(g, &text);
    ol_buf_append_u8(&text, 0);
    CHECK(strstr((char *)text.data, "olly_genai_open_buckets 0\n"));
    CHECK(strstr((char *)text.data, "olly_genai_points_lost_total 0\n"));
    CHECK(!strstr((char *)text.data, "olly_genai_buckets_emitted_total 0\n"));
    check_both(g, v, N_SPANS, base, base + 10 * RES, "stored points");
    check_both(g, v, N_SPANS, base + 2 * RES, base + 5 * RES, "stored points, a sub-window");

    /* Late spans into old buckets: stored and open points together. */
    for (size_t i = N_SPANS; i < N_SPANS + N_LATE; i++) gen_span(&v[i], base, 3 * RES);
    observe(g, &v[N_SPANS], N_LATE);
    check_both(g, v, N_SPANS + N_LATE, base, base + 10 * RES, "stored and open");
    /* A forged metric of the same name is not Olly's. */
    append_forged(st, base + RES);
    check_both(g, v, N_SPANS + N_LATE, base, base + 10 * RES, "with a forged point");
    CHECK_EQ_INT(ol_genai_flush(g), OL_OK);
    check_both(g, v, N_SPANS + N_LATE, base, base + 10 * RES, "after the flush");

    /* SQL sees the stored points. */
    expects_t *m = calloc(1, sizeof *m), *s = calloc(1, sizeof *s);
    expect_all(v, N_SPANS + N_LATE, 0, UINT64_MAX, m, s);
    uint64_t in = 0, reqs = 0;
    for (size_t i = 0; i < m->n; i++) in += m->v[i].in, reqs += m->v[i].requests;
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT sum(Value) FROM otel_metrics_sum WHERE MetricName = 'olly.genai.tokens' AND "
             "Attributes['gen_ai.token.type'] = 'input' AND TimeUnix >= fromUnixTimestamp64Nano(%llu)",
             (unsigned long long)base);
    CHECK_EQ_INT((uint64_t)sql_number(st, sql), in);
    snprintf(sql, sizeof sql,
             "SELECT sum(Value) FROM otel_metrics_sum WHERE MetricName = 'olly.genai.requests' AND "
             "ScopeName = 'olly' AND TimeUnix >= fromUnixTimestamp64Nano(%llu)",
             (unsigned long long)base);
    CHECK_EQ_INT((uint64_t)sql_number(st, sql), reqs);
    /* docs/genai.md's example, its rows summed here. */
    uint64_t pico = 0;
    for (size_t i = 0; i < m->n; i++) pico += m->v[i].cost_pico;
    size_t rows = 0;
    double usd = sql_column_sum(st, "SELECT Attributes['gen_ai.request.model'] AS model, sum(Value) AS usd "
                                    "FROM otel_metrics_sum WHERE MetricName = 'olly.genai.cost' AND ScopeName = 'olly' "
                                    "AND TimeUnix >= now() - INTERVAL 1 DAY GROUP BY model ORDER BY usd DESC",
                                1, &rows);
    size_t models = 0; /* distinct model names (the groups are by model and provider) */
    for (size_t i = 0; i < m->n; i++) {
        bool seen = false;
        for (size_t k = 0; k < i; k++) seen |= !strcmp(m->v[k].name, m->v[i].name);
        models += !seen;
    }
    CHECK_EQ_INT(rows, models);
    CHECK(fabs(usd - (double)pico / 1e12) <= 1e-9 * (double)pico / 1e12);
    expects_free(m);
    expects_free(s);
    free(m);
    free(s);

    /* Persisted: a new instance reads the parts after a restart. */
    ol_genai_destroy(g);
    ol_store_close(st);
    st = open_store(dir);
    CHECK_EQ_INT(ol_genai_create(&o, st, &g, &err), OL_OK);
    check_both(g, v, N_SPANS + N_LATE, base, base + 10 * RES, "after a restart");

    /* Argument errors. */
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CORE, 0);
    CHECK_EQ_INT(ol_genai_usage(g, base, base + RES, 2, &out, &err), OL_ERR);
    CHECK(strstr(err.msg, "model or service"));
    CHECK_EQ_INT(ol_genai_usage(g, base, base, 0, &out, &err), OL_ERR);
    CHECK_EQ_INT(out.len, 0);
    /* An empty window. */
    CHECK_EQ_INT(ol_genai_usage(g, 1, 2, 0, &out, &err), OL_OK);
    ol_buf_append_u8(&out, 0);
    CHECK(strstr((char *)out.data, "\"groups\":[]"));
    CHECK(strstr((char *)out.data, "\"total\":{\"requests\":0,"));
    CHECK(strstr((char *)out.data, "\"p99Ms\":null}}"));
    ol_buf_free(&out);
    ol_buf_free(&text);

    ol_genai_destroy(g);
    ol_store_close(st);
    ol_test_rm_rf(dir);
    unlink(prices);
    free(v);
}

/* Counters: spans counted, unpriced, tokens and cost. */
static void test_counters(void)
{
    ol_genai_options_t o = {0};
    ol_genai_t *g = NULL;
    ol_err_t err = {{0}};
    CHECK_EQ_INT(ol_genai_create(&o, NULL, &g, &err), OL_OK);
    gspan_t v[3];
    memset(v, 0, sizeof v);
    for (int i = 0; i < 3; i++) {
        v[i].trace[0] = v[i].span[0] = (uint8_t)(i + 1);
        v[i].service = "svc";
        v[i].start = 1000 * SEC;
        v[i].end = v[i].start + 5 * MS;
    }
    add_attr(&v[0], "gen_ai.provider.name", 's', "openai", 0, 0);
    add_attr(&v[0], "gen_ai.request.model", 's', "gpt-4o", 0, 0);
    add_attr(&v[0], "gen_ai.usage.input_tokens", 'i', NULL, 1000, 0);
    add_attr(&v[0], "gen_ai.usage.output_tokens", 'i', NULL, 100, 0);
    add_attr(&v[1], "gen_ai.system", 's', "acme", 0, 0);
    add_attr(&v[1], "gen_ai.usage.input_tokens", 'i', NULL, 7, 0);
    add_attr(&v[2], "gen_ai.usage.input_tokens", 'i', NULL, 7, 0); /* not a GenAI span */
    observe(g, v, 3);
    ol_buf_t t;
    ol_buf_init(&t, OL_MEM_CORE, 0);
    ol_genai_metrics_text(g, &t);
    ol_buf_append_u8(&t, 0);
    const char *s = (const char *)t.data;
    CHECK(strstr(s, "olly_genai_spans_total 2\n"));
    CHECK(strstr(s, "olly_genai_unpriced_spans_total 1\n"));
    CHECK(strstr(s, "olly_genai_tokens_total{type=\"input\"} 1007\n"));
    CHECK(strstr(s, "olly_genai_tokens_total{type=\"output\"} 100\n"));
    CHECK(strstr(s, "olly_genai_cost_usd_total 0.0035\n")); /* 1000 x 2.5/1M + 100 x 10/1M */
    CHECK(strstr(s, "olly_genai_open_buckets 2\n"));
    ol_buf_free(&t);
    ol_genai_destroy(g);
}

int main(void)
{
    RUN(test_prices);
    RUN(test_usage);
    RUN(test_counters);
    return TEST_REPORT();
}
