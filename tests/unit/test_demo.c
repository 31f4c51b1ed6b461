/*
 * test_demo.c - `olly demo` without a network: the simulation is advanced
 * in simulated time and its requests are decoded with the project's own OTLP
 * decoder, then checked as a backend would see them.
 *
 * Checked: the demo topology; fault specs, durations, start times and
 * scenario files, including bad input and the field the error names;
 * determinism (same seed and settings, same bytes, however time is split);
 * that everything decodes and is linked (logs and exemplars point at spans
 * that exist, consumer traces link to their producer, correlation ids on
 * order flows, GenAI spans with token counts, resources with version, host,
 * pod, environment); seasonality (night versus afternoon, weekend versus
 * weekday); and that each fault type changes the right service's telemetry
 * inside its window and not outside it, with ground-truth records.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/demo.h"
#include "codec/otlp.h"
#include "codec/pb.h"
#include "core/alloc.h"
#include "demo/demo.h"
#include "loadgen/topology.h"
#include "test.h"

#define T0 1767614400000000000ull /* 2026-01-05T12:00:00Z, a Monday */
#define MIN_NS 60000000000ull
#define HOUR_NS 3600000000000ull

/* ---- a collector: decodes requests into flat records ---- */

typedef struct {
    uint8_t tid[16], sid[8];
    char svc[24], name[72], ver[16], host[12], inst[40], pod[64], env[16];
    uint64_t start, end;
    int status, kind;
    char provider[16], corr[48], genai_provider[16], genai_model[32], genai_resp_model[40];
    int64_t in_tok, out_tok;
    bool link;
} span_t;

typedef struct {
    uint8_t tid[16], sid[8];
    bool linked;
    char svc[24], body[120], corr[48];
    uint64_t t;
    int sev;
} log_t;

typedef struct {
    char svc[24], host[12], name[48], inst[40], ver[16];
    char key[48]; /* http.route, rpc.method or db.collection.name */
    int type;
    uint64_t t, start;
    double v;
    uint64_t count;
    double sum;
    uint32_t ex_first, n_ex;
} point_t;

typedef struct {
    uint8_t tid[16], sid[8];
} ex_t;

typedef struct {
    span_t *s;
    size_t ns, cs;
    log_t *l;
    size_t nl, cl;
    point_t *p;
    size_t np, cp;
    ex_t *x;
    size_t nx, cx;
    uint64_t hash;
    size_t requests[3];
    bool bad;
} col_t;

static void *grow(void *p, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap) return p;
    *cap = *cap ? *cap * 2 : 1024;
    void *q = realloc(p, *cap * elem);
    if (!q) abort();
    return q;
}

static void col_free(col_t *c)
{
    free(c->s);
    free(c->l);
    free(c->p);
    free(c->x);
    memset(c, 0, sizeof *c);
}

static void cpy(char *dst, size_t cap, ol_slice_t v)
{
    size_t n = OL_MIN(v.len, cap - 1);
    memcpy(dst, v.ptr, n);
    dst[n] = 0;
}

/* Resource facts. */
typedef struct {
    char svc[24], ver[16], host[12], inst[40], pod[64], env[16];
} res_t;

static int res_cb(void *ud, ol_slice_t key, ol_slice_t val)
{
    res_t *r = ud;
    ol_otlp_any_t a;
    ol_otlp_any_parse(val, &a);
    if (a.kind != 1) return OL_OK;
    if (ol_slice_eq_cstr(key, "service.name")) cpy(r->svc, sizeof r->svc, a.bytes);
    else if (ol_slice_eq_cstr(key, "service.version")) cpy(r->ver, sizeof r->ver, a.bytes);
    else if (ol_slice_eq_cstr(key, "host.name")) cpy(r->host, sizeof r->host, a.bytes);
    else if (ol_slice_eq_cstr(key, "service.instance.id")) cpy(r->inst, sizeof r->inst, a.bytes);
    else if (ol_slice_eq_cstr(key, "k8s.pod.name")) cpy(r->pod, sizeof r->pod, a.bytes);
    else if (ol_slice_eq_cstr(key, "deployment.environment.name")) cpy(r->env, sizeof r->env, a.bytes);
    return OL_OK;
}

static int span_attr_cb(void *ud, ol_slice_t key, ol_slice_t val)
{
    span_t *s = ud;
    ol_otlp_any_t a;
    ol_otlp_any_parse(val, &a);
    if (a.kind == 1) {
        if (ol_slice_eq_cstr(key, "app.payment.provider")) cpy(s->provider, sizeof s->provider, a.bytes);
        else if (ol_slice_eq_cstr(key, "correlation_id")) cpy(s->corr, sizeof s->corr, a.bytes);
        else if (ol_slice_eq_cstr(key, "gen_ai.provider.name"))
            cpy(s->genai_provider, sizeof s->genai_provider, a.bytes);
        else if (ol_slice_eq_cstr(key, "gen_ai.request.model")) cpy(s->genai_model, sizeof s->genai_model, a.bytes);
        else if (ol_slice_eq_cstr(key, "gen_ai.response.model"))
            cpy(s->genai_resp_model, sizeof s->genai_resp_model, a.bytes);
    } else if (a.kind == 3) {
        if (ol_slice_eq_cstr(key, "gen_ai.usage.input_tokens")) s->in_tok = (int64_t)a.u64;
        else if (ol_slice_eq_cstr(key, "gen_ai.usage.output_tokens")) s->out_tok = (int64_t)a.u64;
    }
    return OL_OK;
}

static int log_attr_cb(void *ud, ol_slice_t key, ol_slice_t val)
{
    log_t *l = ud;
    ol_otlp_any_t a;
    ol_otlp_any_parse(val, &a);
    if (a.kind == 1 && ol_slice_eq_cstr(key, "correlation_id")) cpy(l->corr, sizeof l->corr, a.bytes);
    return OL_OK;
}

static int point_attr_cb(void *ud, ol_slice_t key, ol_slice_t val)
{
    point_t *p = ud;
    ol_otlp_any_t a;
    ol_otlp_any_parse(val, &a);
    if (a.kind == 1 && (ol_slice_eq_cstr(key, "http.route") || ol_slice_eq_cstr(key, "rpc.method") ||
                        ol_slice_eq_cstr(key, "db.collection.name")))
        cpy(p->key, sizeof p->key, a.bytes);
    return OL_OK;
}

static void read_points(col_t *c, const res_t *r, const ol_otlp_metric_t *m)
{
    ol_pb_reader_t rd, pr, xr;
    ol_pb_field_value_t f, pf, xf;
    ol_pb_reader_init(&rd, m->data);
    while (ol_pb_next(&rd, &f) == OL_OK) {
        if (f.number != 1 || f.wire_type != OL_PB_LEN) continue;
        c->p = grow(c->p, &c->cp, c->np, sizeof *c->p);
        point_t *p = &c->p[c->np++];
        memset(p, 0, sizeof *p);
        snprintf(p->svc, sizeof p->svc, "%s", r->svc);
        snprintf(p->host, sizeof p->host, "%s", r->host);
        snprintf(p->inst, sizeof p->inst, "%s", r->inst);
        snprintf(p->ver, sizeof p->ver, "%s", r->ver);
        cpy(p->name, sizeof p->name, m->name);
        p->type = m->type;
        p->ex_first = (uint32_t)c->nx;
        bool hist = m->type == OL_METRIC_HISTOGRAM;
        ol_otlp_each_attribute(f.bytes, hist ? 9 : 7, point_attr_cb, p);
        ol_pb_reader_init(&pr, f.bytes);
        while (ol_pb_next(&pr, &pf) == OL_OK) {
            if (pf.number == 2) p->start = pf.u64;
            else if (pf.number == 3) p->t = pf.u64;
            else if (!hist && pf.number == 4) p->v = ol_pb_as_double(pf.u64);
            else if (!hist && pf.number == 6) p->v = (double)(int64_t)pf.u64;
            else if (hist && pf.number == 4) p->count = pf.u64;
            else if (hist && pf.number == 5) p->sum = ol_pb_as_double(pf.u64);
            else if (hist && pf.number == 8) {
                c->x = grow(c->x, &c->cx, c->nx, sizeof *c->x);
                ex_t *x = &c->x[c->nx++];
                memset(x, 0, sizeof *x);
                ol_pb_reader_init(&xr, pf.bytes);
                while (ol_pb_next(&xr, &xf) == OL_OK) {
                    if (xf.number == 4 && xf.bytes.len == 8) memcpy(x->sid, xf.bytes.ptr, 8);
                    if (xf.number == 5 && xf.bytes.len == 16) memcpy(x->tid, xf.bytes.ptr, 16);
                }
                p->n_ex++;
            }
        }
    }
}

static int col_emit(void *ud, ol_signal_t sig, ol_slice_t body, uint32_t items)
{
    col_t *c = ud;
    c->requests[sig]++;
    for (size_t i = 0; i < body.len; i++) c->hash = (c->hash ^ body.ptr[i]) * 0x100000001b3ull;
    ol_arena_t *a = ol_arena_create(1 << 20, 0);
    ol_otlp_batch_t b;
    ol_err_t err;
    if (ol_otlp_decode(sig, body, a, &b, &err) != OL_OK) {
        fprintf(stderr, "  decode: %s\n", err.msg);
        c->bad = true;
        ol_arena_destroy(a);
        return OL_OK;
    }
    if (b.n_items != items || b.n_rejected) {
        fprintf(stderr, "  items %llu (said %u), rejected %llu: %s\n", (unsigned long long)b.n_items, items,
                (unsigned long long)b.n_rejected, b.first_reject_reason ? b.first_reject_reason : "");
        c->bad = true;
    }
    for (size_t i = 0; i < b.n_spans; i++) {
        const ol_otlp_span_t *sp = &b.spans[i];
        c->s = grow(c->s, &c->cs, c->ns, sizeof *c->s);
        span_t *s = &c->s[c->ns++];
        memset(s, 0, sizeof *s);
        res_t r = {0};
        ol_otlp_each_attribute(sp->origin->resource, 1, res_cb, &r);
        memcpy(s->tid, sp->trace_id.ptr, 16);
        memcpy(s->sid, sp->span_id.ptr, 8);
        snprintf(s->svc, sizeof s->svc, "%s", r.svc);
        snprintf(s->ver, sizeof s->ver, "%s", r.ver);
        snprintf(s->host, sizeof s->host, "%s", r.host);
        snprintf(s->inst, sizeof s->inst, "%s", r.inst);
        snprintf(s->pod, sizeof s->pod, "%s", r.pod);
        snprintf(s->env, sizeof s->env, "%s", r.env);
        cpy(s->name, sizeof s->name, sp->name);
        s->start = sp->start_ns;
        s->end = sp->end_ns;
        s->status = sp->status_code;
        s->kind = sp->kind;
        ol_otlp_each_attribute(sp->raw, 9, span_attr_cb, s);
        ol_pb_reader_t rd;
        ol_pb_field_value_t f;
        ol_pb_reader_init(&rd, sp->raw);
        while (ol_pb_next(&rd, &f) == OL_OK)
            if (f.number == 13) s->link = true;
    }
    for (size_t i = 0; i < b.n_logs; i++) {
        const ol_otlp_log_t *lg = &b.logs[i];
        c->l = grow(c->l, &c->cl, c->nl, sizeof *c->l);
        log_t *l = &c->l[c->nl++];
        memset(l, 0, sizeof *l);
        res_t r = {0};
        ol_otlp_each_attribute(lg->origin->resource, 1, res_cb, &r);
        snprintf(l->svc, sizeof l->svc, "%s", r.svc);
        l->linked = lg->trace_id.len == 16;
        if (l->linked) {
            memcpy(l->tid, lg->trace_id.ptr, 16);
            memcpy(l->sid, lg->span_id.ptr, 8);
        }
        l->t = lg->time_ns;
        l->sev = lg->severity_number;
        ol_otlp_any_t bv;
        ol_otlp_any_parse(lg->body, &bv);
        if (bv.kind == 1) cpy(l->body, sizeof l->body, bv.bytes);
        ol_otlp_each_attribute(lg->raw, 6, log_attr_cb, l);
    }
    for (size_t i = 0; i < b.n_metrics; i++) {
        res_t r = {0};
        ol_otlp_each_attribute(b.metrics[i].origin->resource, 1, res_cb, &r);
        read_points(c, &r, &b.metrics[i]);
    }
    ol_arena_destroy(a);
    return OL_OK;
}

static int span_cmp(const void *a, const void *b)
{
    const span_t *x = a, *y = b;
    int r = memcmp(x->tid, y->tid, 16);
    return r ? r : memcmp(x->sid, y->sid, 8);
}

static const span_t *find_span(const col_t *c, const uint8_t *tid, const uint8_t *sid)
{
    span_t key;
    memcpy(key.tid, tid, 16);
    memcpy(key.sid, sid, 8);
    return bsearch(&key, c->s, c->ns, sizeof *c->s, span_cmp);
}

/* ---- running a configuration ---- */

static void base_cfg(ol_demo_config_t *c, double rate)
{
    ol_demo_config_default(c);
    c->seed = 42;
    c->rate = rate;
    c->start_ns = T0;
    c->no_seasonality = true;
    c->no_noise = true;
    c->metric_interval_s = 30;
}

static bool add_fault(ol_demo_config_t *c, const char *spec)
{
    ol_err_t err;
    if (ol_demo_fault_parse(spec, &c->faults[c->n_faults], &err) != OL_OK) {
        fprintf(stderr, "  %s\n", err.msg);
        return false;
    }
    c->n_faults++;
    return true;
}

/* Runs cfg for `len` simulated ns, flushing every `step`; the truth goes to truth (may be NULL). */
static bool run_demo(const ol_demo_config_t *cfg, uint64_t len, uint64_t step, col_t *col, ol_buf_t *truth)
{
    ol_demo_t *d = NULL;
    ol_err_t err;
    if (ol_demo_create(cfg, &d, &err) != OL_OK) {
        fprintf(stderr, "  create: %s\n", err.msg);
        return false;
    }
    bool ok = true;
    for (uint64_t t = cfg->start_ns + step; ok; t += step) {
        uint64_t until = OL_MIN(t, cfg->start_ns + len);
        ok = ol_demo_advance(d, until) == OL_OK && ol_demo_flush(d, 500, col_emit, col) == OL_OK;
        if (truth) ol_demo_take_truth(d, truth);
        if (until == cfg->start_ns + len) break;
    }
    ol_demo_destroy(d);
    qsort(col->s, col->ns, sizeof *col->s, span_cmp);
    return ok && !col->bad;
}

/* Simple window statistics over spans matching a predicate. */
typedef bool (*span_pred)(const span_t *s, const void *arg);

typedef struct {
    size_t n, err;
    double ms_sum;
    double *ms;
    size_t cap;
} win_t;

static void win_add(win_t *w, const span_t *s)
{
    double ms = (double)(s->end - s->start) / 1e6;
    w->ms = grow(w->ms, &w->cap, w->n, sizeof *w->ms);
    w->ms[w->n++] = ms;
    w->ms_sum += ms;
    w->err += s->status == 2;
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double win_median(win_t *w)
{
    if (!w->n) return 0;
    qsort(w->ms, w->n, sizeof *w->ms, dbl_cmp);
    return w->ms[w->n / 2];
}

static double win_err(const win_t *w) { return w->n ? (double)w->err / (double)w->n : 0; }

/* Spans of `svc` (kind SERVER or CONSUMER when server_only) split into inside [a, b) and outside. */
static void split(const col_t *c, const char *svc, const char *name, bool server_only, uint64_t a, uint64_t b,
                  win_t *in, win_t *out)
{
    for (size_t i = 0; i < c->ns; i++) {
        const span_t *s = &c->s[i];
        if (strcmp(s->svc, svc) != 0 || (name && strcmp(s->name, name) != 0)) continue;
        if (server_only && s->kind != 2 && s->kind != 5) continue;
        win_add(s->start >= a && s->start < b ? in : out, s);
    }
}

static void win_free(win_t *w)
{
    free(w->ms);
    memset(w, 0, sizeof *w);
}

/* ---- topology ---- */

static void test_topology(void)
{
    ol_topology_t *t = NULL, *def = NULL;
    ol_err_t err;
    CHECK_EQ_INT(ol_topo_create_demo(&t, &err), OL_OK);
    CHECK_EQ_INT(ol_topo_create_default(0, &def, &err), OL_OK);
    if (!t || !def) return;
    CHECK_EQ_INT(ol_topo_validate(t, &err), OL_OK);
    CHECK_EQ_INT(def->n_services, ol_topo_default_services()); /* the loadgen default is untouched */
    CHECK_EQ_INT(t->n_services, def->n_services + 2);
    CHECK(ol_topo_find_service(def, "product-reviews") < 0);
    int pr = ol_topo_find_service(t, "product-reviews"), ai = ol_topo_find_service(t, "openai");
    CHECK(pr >= 0 && ai >= 0);
    uint32_t apps = 0;
    for (uint32_t v = 0; v < t->n_services; v++) apps += t->services[v].kind == OL_TOPO_SVC_APP;
    CHECK(apps >= 10);
    int chat = ol_topo_find_op(t, "chat gpt-4o-mini");
    CHECK(chat >= 0 && t->ops[chat].kind == OL_TOPO_OP_GENAI && t->ops[chat].service == (uint32_t)ai);
    /* A GENAI op on a non-external service is refused. */
    if (chat >= 0) {
        uint16_t svc = t->ops[chat].service;
        t->ops[chat].service = (uint16_t)pr;
        CHECK_EQ_INT(ol_topo_validate(t, &err), OL_CORRUPT);
        t->ops[chat].service = svc;
    }
    ol_topo_destroy(t);
    ol_topo_destroy(def);
}

/* ---- parsing ---- */

static void test_durations(void)
{
    uint64_t ns;
    CHECK(ol_demo_parse_duration("20m", &ns) == OL_OK && ns == 20 * MIN_NS);
    CHECK(ol_demo_parse_duration("+1h30m", &ns) == OL_OK && ns == 90 * MIN_NS);
    CHECK(ol_demo_parse_duration("250ms", &ns) == OL_OK && ns == 250000000ull);
    CHECK(ol_demo_parse_duration("2d", &ns) == OL_OK && ns == 48 * HOUR_NS);
    CHECK(ol_demo_parse_duration("1.5", &ns) == OL_OK && ns == 1500000000ull);
    CHECK(ol_demo_parse_duration("0.5h", &ns) == OL_OK && ns == 30 * MIN_NS);
    CHECK(ol_demo_parse_duration("", &ns) == OL_CORRUPT);
    CHECK(ol_demo_parse_duration("5x", &ns) == OL_CORRUPT);
    CHECK(ol_demo_parse_duration("m", &ns) == OL_CORRUPT);
    CHECK(ol_demo_parse_duration("-5m", &ns) == OL_CORRUPT);
    CHECK(ol_demo_parse_duration("5m ", &ns) == OL_CORRUPT);
    uint64_t now = T0;
    CHECK(ol_demo_parse_start("now", now, &ns) == OL_OK && ns == now);
    CHECK(ol_demo_parse_start("now-2h", now, &ns) == OL_OK && ns == now - 2 * HOUR_NS);
    CHECK(ol_demo_parse_start("-1d", now, &ns) == OL_OK && ns == now - 24 * HOUR_NS);
    CHECK(ol_demo_parse_start("2026-01-05T12:00:00Z", now, &ns) == OL_OK && ns == T0);
    CHECK(ol_demo_parse_start("1767614400", now, &ns) == OL_OK && ns == T0);
    CHECK(ol_demo_parse_start("1767614400000000000", now, &ns) == OL_OK && ns == T0);
    CHECK(ol_demo_parse_start("yesterday", now, &ns) == OL_CORRUPT);
}

static void test_fault_spec(void)
{
    ol_demo_fault_t f;
    ol_err_t err;
    CHECK_EQ_INT(ol_demo_fault_parse("bad_deploy:checkout:+30m:20m", &f, &err), OL_OK);
    CHECK(f.type == OL_DEMO_BAD_DEPLOY && strcmp(f.target, "checkout") == 0);
    CHECK(f.start_ns == 30 * MIN_NS && f.duration_ns == 20 * MIN_NS);
    CHECK(f.error_rate < 0 && f.factor < 0 && !f.version[0]); /* defaults come later */
    CHECK_EQ_INT(ol_demo_fault_parse("attribute_latency:payment:1h:10m:attr=app.payment.provider,value=stripe_v3,"
                                     "delay=800ms,factor=2",
                                     &f, &err),
                 OL_OK);
    CHECK(f.type == OL_DEMO_ATTRIBUTE_LATENCY && strcmp(f.value, "stripe_v3") == 0 && f.delay_ms == 800 &&
          f.factor == 2 && strcmp(f.attr, "app.payment.provider") == 0);
    CHECK_EQ_INT(ol_demo_fault_parse("slow_db_query:postgresql:0:5m:op=SELECT products", &f, &err), OL_OK);
    CHECK(strcmp(f.op, "SELECT products") == 0);
    CHECK_EQ_INT(ol_demo_fault_parse("memory_leak:ad:10m:1h:oom_after=15m,restart=45s", &f, &err), OL_OK);
    CHECK(f.oom_after_s == 900 && f.restart_s == 45);
    /* Bad input names what is wrong. */
    CHECK_EQ_INT(ol_demo_fault_parse("bad_deploy:checkout:+30m", &f, &err), OL_CORRUPT);
    CHECK(strstr(err.msg, "TYPE:TARGET:START:DURATION") != NULL);
    CHECK_EQ_INT(ol_demo_fault_parse("meltdown:checkout:1m:1m", &f, &err), OL_CORRUPT);
    CHECK(strstr(err.msg, "unknown type 'meltdown'") != NULL);
    CHECK_EQ_INT(ol_demo_fault_parse("error_burst:cart:soon:1m", &f, &err), OL_CORRUPT);
    CHECK(strstr(err.msg, "bad start 'soon'") != NULL);
    CHECK_EQ_INT(ol_demo_fault_parse("error_burst:cart:1m:0s", &f, &err), OL_CORRUPT);
    CHECK(strstr(err.msg, "bad duration") != NULL);
    CHECK_EQ_INT(ol_demo_fault_parse("error_burst:cart:1m:1m:error_rate=2", &f, &err), OL_CORRUPT);
    CHECK(strstr(err.msg, "error_rate") != NULL);
    CHECK_EQ_INT(ol_demo_fault_parse("error_burst:cart:1m:1m:colour=red", &f, &err), OL_CORRUPT);
    CHECK(strstr(err.msg, "unknown parameter 'colour'") != NULL);
    CHECK_EQ_INT(ol_demo_fault_parse("error_burst:cart:1m:1m:factor", &f, &err), OL_CORRUPT);
    CHECK(strstr(err.msg, "KEY=VALUE") != NULL);
}

static int scenario(const char *json, ol_demo_config_t *c, ol_err_t *err)
{
    ol_demo_config_default(c);
    return ol_demo_scenario_parse(ol_slice_cstr(json), "s.json", c, err);
}

static void test_scenario(void)
{
    ol_demo_config_t c;
    ol_err_t err;
    const char *good = "{\"seed\": 7, \"rate\": 25.5, \"speed\": 120, \"start\": \"2026-01-05T12:00:00Z\","
                       " \"duration\": \"6h\", \"metric_interval\": \"15s\", \"environment\": \"staging\","
                       " \"seasonality\": false, \"noise\": true,"
                       " \"faults\": ["
                       "  {\"type\": \"bad_deploy\", \"service\": \"checkout\", \"start\": \"+30m\","
                       "   \"duration\": \"20m\","
                       "   \"version\": \"2.1.0\", \"error_rate\": 0.2},"
                       "  {\"type\": \"host_saturation\", \"host\": \"node-2\", \"start\": 3600,"
                       "   \"duration\": \"15m\"},"
                       "  {\"type\": \"attribute_latency\", \"service\": \"payment\", \"attribute\": "
                       "\"app.payment.provider\", \"value\": \"stripe_v3\", \"start\": \"2h\", \"duration\": \"30m\","
                       "   \"delay\": \"400ms\"}"
                       " ]}";
    CHECK_EQ_INT(scenario(good, &c, &err), OL_OK);
    CHECK(c.seed == 7 && c.rate == 25.5 && c.speed == 120 && c.start_ns == T0 && c.duration_ns == 6 * HOUR_NS);
    CHECK(c.metric_interval_s == 15 && strcmp(c.environment, "staging") == 0 && c.no_seasonality && !c.no_noise);
    CHECK_EQ_INT(c.n_faults, 3);
    CHECK(c.faults[0].type == OL_DEMO_BAD_DEPLOY && strcmp(c.faults[0].version, "2.1.0") == 0 &&
          c.faults[0].error_rate == 0.2 && c.faults[0].start_ns == 30 * MIN_NS);
    CHECK(c.faults[1].type == OL_DEMO_HOST_SATURATION && strcmp(c.faults[1].target, "node-2") == 0 &&
          c.faults[1].start_ns == HOUR_NS);
    CHECK(c.faults[2].delay_ms == 400 && strcmp(c.faults[2].value, "stripe_v3") == 0);
    /* The faults resolve against the topology. */
    ol_demo_t *d = NULL;
    c.start_ns = T0;
    CHECK_EQ_INT(ol_demo_create(&c, &d, &err), OL_OK);
    ol_demo_destroy(d);

    static const struct {
        const char *json, *want;
    } bad[] = {
        {"[1,2]", "expected a JSON object"},
        {"{\"faults\": [}", "not JSON"},
        {"{\"sede\": 1}", "sede: unknown field"},
        {"{\"rate\": -1}", "rate: expected"},
        {"{\"seed\": \"x\"}", "seed: expected a non-negative integer"},
        {"{\"duration\": \"forever\"}", "duration: expected a length"},
        {"{\"faults\": {}}", "faults: expected an array"},
        {"{\"faults\": [42]}", "faults[0]: expected an object"},
        {"{\"faults\": [{\"service\": \"cart\", \"start\": \"1m\", \"duration\": \"1m\"}]}",
         "faults[0]: missing \"type\""},
        {"{\"faults\": [{\"type\": \"error_burst\", \"service\": \"cart\", \"start\": \"1m\", \"duration\": \"1m\"},"
         " {\"type\": \"error_burst\", \"service\": \"cart\", \"start\": \"1m\", \"duration\": \"nope\"}]}",
         "faults[1].duration: expected a length"},
        {"{\"faults\": [{\"type\": \"oops\", \"service\": \"cart\", \"start\": \"1m\", \"duration\": \"1m\"}]}",
         "faults[0].type: unknown fault type"},
        {"{\"faults\": [{\"type\": \"error_burst\", \"start\": \"1m\", \"duration\": \"1m\"}]}",
         "faults[0]: missing \"service\""},
        {"{\"faults\": [{\"type\": \"error_burst\", \"service\": \"cart\", \"duration\": \"1m\"}]}",
         "faults[0]: missing \"start\""},
        {"{\"faults\": [{\"type\": \"error_burst\", \"service\": \"cart\", \"start\": \"1m\", \"duration\": \"1m\","
         " \"error_rate\": 3}]}",
         "faults[0]: bad value '3' for error_rate"},
        {"{\"faults\": [{\"type\": \"error_burst\", \"service\": \"cart\", \"start\": \"1m\", \"duration\": \"1m\","
         " \"colour\": 3}]}",
         "faults[0]: unknown parameter 'colour'"},
        {"{\"faults\": [{\"type\": \"error_burst\", \"service\": [1], \"start\": \"1m\", \"duration\": \"1m\"}]}",
         "faults[0].service: expected a string"},
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(bad); i++) {
        memset(&err, 0, sizeof err);
        int rc = scenario(bad[i].json, &c, &err);
        CHECK(rc != OL_OK);
        if (!strstr(err.msg, bad[i].want) || !strstr(err.msg, "s.json")) {
            fprintf(stderr, "  scenario %zu: got '%s', want '%s'\n", i, err.msg, bad[i].want);
            CHECK(false);
        }
        CHECK_EQ_INT(c.n_faults, 0); /* a failed file leaves the configuration alone */
    }
    CHECK(ol_demo_scenario_load("/nonexistent/scenario.json", &c, &err) != OL_OK);
    CHECK(strstr(err.msg, "/nonexistent/scenario.json") != NULL);
}

static void test_resolve_errors(void)
{
    static const struct {
        const char *spec, *want;
    } bad[] = {
        {"error_burst:nosuch:1m:1m", "no service named nosuch"},
        {"bad_deploy:postgresql:1m:1m", "only application services"},
        {"slow_db_query:cart:1m:1m", "must be a database"},
        {"slow_db_query:postgresql:1m:1m:op=DROP TABLE", "no operation named DROP TABLE"},
        {"error_burst:cart:1m:1m:op=oteldemo.AdService/GetAds", "does not belong"},
        {"attribute_latency:payment:1m:1m:value=bitcoin", "never takes the value bitcoin"},
        {"attribute_latency:email:1m:1m", "no such request attribute"},
        {"host_saturation:node-9:1m:1m", "no host or service named node-9"},
        {"traffic_surge:cart:1m:1m", "enters through the frontend"},
        {"traffic_surge:frontend:1m:1m:op=oteldemo.CartService/GetCart", "not a frontend route"},
        {"memory_leak:kafka:1m:1m", "only application processes"},
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(bad); i++) {
        ol_demo_config_t c;
        base_cfg(&c, 1);
        CHECK(add_fault(&c, bad[i].spec));
        ol_demo_t *d = NULL;
        ol_err_t err = {{0}};
        CHECK_EQ_INT(ol_demo_create(&c, &d, &err), OL_CORRUPT);
        CHECK(d == NULL);
        if (!strstr(err.msg, bad[i].want)) {
            fprintf(stderr, "  %s: got '%s'\n", bad[i].spec, err.msg);
            CHECK(false);
        }
    }
}

static void test_flags(void)
{
    char *argv[] = {"demo", "--rate", "30", "--speed=60", "--start", "2026-01-05T12:00:00Z", "--duration", "2h",
                    "--fault", "error_burst:cart:+10m:5m", "--fault", "traffic_surge:frontend:1h:10m:factor=2",
                    "--protocol", "grpc", "--seed", "9", "--json", "--delta"};
    ol_cmd_demo_args_t a;
    ol_err_t err;
    CHECK_EQ_INT(ol_cmd_demo_parse((int)OL_ARRAY_LEN(argv), argv, &a, &err), 0);
    CHECK(a.cfg.rate == 30 && a.run.speed == 60 && a.cfg.start_ns == T0 && a.cfg.duration_ns == 2 * HOUR_NS);
    CHECK(a.cfg.n_faults == 2 && a.cfg.faults[1].type == OL_DEMO_TRAFFIC_SURGE && a.cfg.faults[1].factor == 2);
    CHECK(a.run.protocol == OL_LOADGEN_GRPC && a.cfg.seed == 9 && a.json && a.cfg.delta);
    char *bad1[] = {"demo", "--rate", "fast"};
    CHECK_EQ_INT(ol_cmd_demo_parse(3, bad1, &a, &err), -1);
    CHECK(strstr(err.msg, "--rate") != NULL);
    char *bad2[] = {"demo", "--fault", "nope"};
    CHECK_EQ_INT(ol_cmd_demo_parse(3, bad2, &a, &err), -1);
    char *bad3[] = {"demo", "--colour"};
    CHECK_EQ_INT(ol_cmd_demo_parse(2, bad3, &a, &err), -1);
    char *help[] = {"demo", "--help"};
    CHECK_EQ_INT(ol_cmd_demo_parse(2, help, &a, &err), 1);
}

/* ---- determinism ---- */

static void test_deterministic(void)
{
    ol_demo_config_t c;
    base_cfg(&c, 4);
    c.no_seasonality = false;
    c.no_noise = false;
    CHECK(add_fault(&c, "memory_leak:ad:+2m:6m:oom_after=3m"));
    uint64_t hashes[3];
    for (int k = 0; k < 3; k++) {
        if (k == 2) c.seed = 43;
        ol_demo_t *d = NULL;
        ol_err_t err;
        CHECK_EQ_INT(ol_demo_create(&c, &d, &err), OL_OK);
        if (!d) return;
        col_t col = {.hash = 0xcbf29ce484222325ull};
        /* Run 0 in one call; run 1 in uneven pieces (not aligned on seconds). */
        uint64_t end = T0 + 10 * MIN_NS;
        if (k == 1)
            for (uint64_t t = T0; t < end; t += 777777777ull) CHECK_EQ_INT(ol_demo_advance(d, t), OL_OK);
        CHECK_EQ_INT(ol_demo_advance(d, end), OL_OK);
        CHECK_EQ_INT(ol_demo_flush(d, 100000, col_emit, &col), OL_OK);
        ol_demo_stats_t st;
        ol_demo_stats(d, &st);
        CHECK(st.spans > 1000 && st.restarts >= 1);
        hashes[k] = col.hash;
        ol_demo_destroy(d);
        col_free(&col);
    }
    CHECK(hashes[0] == hashes[1]);
    CHECK(hashes[0] != hashes[2]);
}

/* ---- what a backend receives ---- */

static void test_linked(void)
{
    ol_demo_config_t c;
    base_cfg(&c, 6);
    col_t col = {0};
    CHECK(run_demo(&c, 20 * MIN_NS, MIN_NS, &col, NULL));
    CHECK(col.ns > 5000 && col.nl > 1000 && col.np > 500);
    /* Services that emit spans: all application services. */
    const char *want[] = {"frontend", "checkout", "cart", "product-catalog", "currency", "payment", "shipping",
                          "email", "recommendation", "ad", "accounting", "fraud-detection", "product-reviews"};
    for (size_t w = 0; w < OL_ARRAY_LEN(want); w++) {
        size_t n = 0;
        for (size_t i = 0; i < col.ns; i++) n += strcmp(col.s[i].svc, want[w]) == 0;
        if (!n) fprintf(stderr, "  no spans from %s\n", want[w]);
        CHECK(n > 0);
    }
    /* Resources say version, host, pod, instance and environment. */
    size_t bare = 0, links = 0, linked_ok = 0, corr = 0, genai = 0, genai_ok = 0;
    for (size_t i = 0; i < col.ns; i++) {
        const span_t *s = &col.s[i];
        bare += !s->ver[0] || !s->host[0] || !s->pod[0] || !s->inst[0] || strcmp(s->env, "production") != 0;
        corr += s->corr[0] != 0;
        if (s->link) {
            links++;
            linked_ok += s->kind == 5 && (!strcmp(s->svc, "accounting") || !strcmp(s->svc, "fraud-detection"));
        }
        if (s->genai_provider[0]) {
            genai++;
            genai_ok += strcmp(s->genai_provider, "openai") == 0 && strcmp(s->genai_model, "gpt-4o-mini") == 0 &&
                        strcmp(s->svc, "product-reviews") == 0 && s->kind == 3 &&
                        (s->status == 2 || (s->in_tok > 0 && s->out_tok > 0 && s->genai_resp_model[0]));
        }
    }
    CHECK_EQ_INT(bare, 0);
    CHECK(links > 10 && links == linked_ok);
    CHECK(corr > 50);
    CHECK(genai > 20 && genai == genai_ok);
    /* Every log that carries a trace points at a span that exists; order flows carry correlation ids. */
    size_t linked = 0, dangling = 0, corr_logs = 0, pg = 0;
    for (size_t i = 0; i < col.nl; i++) {
        const log_t *l = &col.l[i];
        if (!strcmp(l->svc, "postgresql")) pg++;
        if (!l->linked) continue;
        linked++;
        const span_t *s = find_span(&col, l->tid, l->sid);
        dangling += !s;
        if (l->corr[0]) {
            corr_logs++;
            CHECK(s && strcmp(s->corr[0] ? s->corr : l->corr, l->corr) == 0);
        }
    }
    CHECK(linked > 1000);
    CHECK_EQ_INT(dangling, 0);
    CHECK(corr_logs > 20);
    /* Every exemplar points at a span that exists; the instruments are there. */
    size_t ex = 0, bad_ex = 0, http = 0, rpc = 0, mem = 0, host_cpu = 0, tokens = 0;
    bool hosts[7] = {0};
    for (size_t i = 0; i < col.np; i++) {
        const point_t *p = &col.p[i];
        for (uint32_t k = 0; k < p->n_ex; k++, ex++) bad_ex += !find_span(&col, col.x[p->ex_first + k].tid,
                                                                          col.x[p->ex_first + k].sid);
        http += !strcmp(p->name, "http.server.request.duration") && p->type == OL_METRIC_HISTOGRAM && p->count > 0;
        rpc += !strcmp(p->name, "rpc.server.duration");
        mem += !strcmp(p->name, "process.memory.usage") && p->type == OL_METRIC_SUM && p->v > 1e6;
        tokens += !strcmp(p->name, "gen_ai.client.token.usage") && !strcmp(p->svc, "product-reviews");
        if (!strcmp(p->name, "system.cpu.utilization")) {
            host_cpu++;
            CHECK(p->v >= 0 && p->v <= 1);
            if (!strncmp(p->host, "node-", 5) && p->host[5] >= '1' && p->host[5] <= '6') hosts[p->host[5] - '0'] = true;
        }
    }
    CHECK(ex > 500);
    CHECK_EQ_INT(bad_ex, 0);
    CHECK(http > 0 && rpc > 0 && mem > 0 && host_cpu >= 6 * 30 && tokens > 0);
    for (int h = 1; h <= 6; h++) CHECK(hosts[h]);
    col_free(&col);
}

/* ---- seasonality ---- */

static size_t count_roots(const ol_demo_config_t *c, uint64_t len)
{
    col_t col = {0};
    CHECK(run_demo(c, len, len, &col, NULL));
    size_t n = 0;
    for (size_t i = 0; i < col.ns; i++) n += col.s[i].kind == 2 && !strcmp(col.s[i].svc, "frontend");
    col_free(&col);
    return n;
}

static void test_seasonality(void)
{
    /* The shape: low at night, high in the afternoon, lower at the weekend. */
    uint64_t monday = T0 - 12 * HOUR_NS, saturday = monday + 5 * 24 * HOUR_NS;
    CHECK(ol_demo_seasonality(monday + 4 * HOUR_NS) < 0.3);
    CHECK(ol_demo_seasonality(monday + 16 * HOUR_NS) > 0.9);
    CHECK(ol_demo_seasonality(saturday + 16 * HOUR_NS) < 0.75 * ol_demo_seasonality(monday + 16 * HOUR_NS));
    /* And in the traffic itself. */
    ol_demo_config_t c;
    base_cfg(&c, 5);
    c.no_seasonality = false;
    c.start_ns = monday + 16 * HOUR_NS;
    size_t day = count_roots(&c, 10 * MIN_NS);
    c.start_ns = monday + 4 * HOUR_NS;
    size_t night = count_roots(&c, 10 * MIN_NS);
    c.start_ns = saturday + 16 * HOUR_NS;
    size_t weekend = count_roots(&c, 10 * MIN_NS);
    fprintf(stderr, "  frontend requests in 10 min: weekday 16:00 %zu, 04:00 %zu, Saturday 16:00 %zu\n", day, night,
            weekend);
    CHECK(day > 2500 && day < 3600); /* 5/s x 600 s x ~1.0 */
    CHECK(night < day * 0.35);
    CHECK(weekend < day * 0.8 && weekend > day * 0.5);
}

/* ---- faults ---- */

static bool truth_has(const ol_buf_t *t, const char *event, const char *type, const char *service)
{
    char pat[160];
    snprintf(pat, sizeof pat, "{\"event\":\"%s\"", event);
    const char *p = (const char *)t->data, *end = p + t->len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) nl = end;
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)(nl - p), p);
        char tp[64], sv[64];
        snprintf(tp, sizeof tp, "\"type\":\"%s\"", type);
        snprintf(sv, sizeof sv, "\"service\":\"%s\"", service);
        if (strstr(line, pat) == line && strstr(line, tp) && (!service || strstr(line, sv))) return true;
        p = nl + 1;
    }
    return false;
}

/* Fault windows used below: the fault runs from +10m for 10m in a 30 min run. */
#define FA (T0 + 10 * MIN_NS)
#define FB (T0 + 20 * MIN_NS)
#define RUN_LEN (30 * MIN_NS)

static void test_fault_bad_deploy(void)
{
    ol_demo_config_t c;
    base_cfg(&c, 5);
    CHECK(add_fault(&c, "bad_deploy:checkout:+10m:10m:error_rate=0.5,version=2.1.0"));
    col_t col = {0};
    ol_buf_t truth;
    ol_buf_init(&truth, OL_MEM_DEMO, 0);
    CHECK(run_demo(&c, RUN_LEN, MIN_NS, &col, &truth));
    size_t new_in = 0, new_out = 0, other_new = 0;
    for (size_t i = 0; i < col.ns; i++) {
        const span_t *s = &col.s[i];
        bool is_new = !strcmp(s->ver, "2.1.0");
        if (!strcmp(s->svc, "checkout")) {
            if (is_new) *(s->start >= FA && s->start < FB ? &new_in : &new_out) += 1;
        } else {
            other_new += is_new;
        }
    }
    CHECK(new_in > 100);
    CHECK_EQ_INT(new_out, 0);
    CHECK_EQ_INT(other_new, 0);
    win_t in = {0}, out = {0};
    split(&col, "checkout", "oteldemo.CheckoutService/PlaceOrder", true, FA + MIN_NS, FB, &in, &out);
    fprintf(stderr, "  checkout errors: %.3f in the window, %.3f outside\n", win_err(&in), win_err(&out));
    CHECK(win_err(&in) > 0.3 && win_err(&out) < 0.1);
    win_free(&in);
    win_free(&out);
    split(&col, "payment", NULL, true, FA + MIN_NS, FB, &in, &out);
    CHECK(win_err(&in) < 0.1); /* payment is not the one deployed */
    win_free(&in);
    win_free(&out);
    /* New pods and instances for the new version; logs say it started. */
    size_t started = 0;
    for (size_t i = 0; i < col.nl; i++)
        started += !strcmp(col.l[i].svc, "checkout") && strstr(col.l[i].body, "2.1.0 started");
    CHECK_EQ_INT(started, 2); /* both replicas */
    CHECK(truth_has(&truth, "start", "bad_deploy", "checkout") && truth_has(&truth, "end", "bad_deploy", "checkout"));
    CHECK(strstr((const char *)truth.data, "\"start_ns\":1767615000000000000,\"end_ns\":1767615600000000000") != NULL);
    ol_buf_free(&truth);
    col_free(&col);
}

static void test_fault_dependency_latency(void)
{
    ol_demo_config_t c;
    base_cfg(&c, 5);
    CHECK(add_fault(&c, "dependency_latency:currency:+10m:10m:delay=300ms"));
    col_t col = {0};
    CHECK(run_demo(&c, RUN_LEN, MIN_NS, &col, NULL));
    win_t in = {0}, out = {0};
    split(&col, "currency", NULL, true, FA, FB, &in, &out);
    double mi = win_median(&in), mo = win_median(&out);
    CHECK(mi > 200 && mo < 20);
    win_free(&in);
    win_free(&out);
    /* It propagates to the callers: the frontend route that only asks currency. */
    split(&col, "frontend", "GET /api/currency", true, FA, FB, &in, &out);
    double fi = win_median(&in), fo = win_median(&out);
    fprintf(stderr, "  currency median %.1f ms in, %.1f out; GET /api/currency %.1f in, %.1f out\n", mi, mo, fi, fo);
    CHECK(fi > 200 && fo < 30);
    win_free(&in);
    win_free(&out);
    /* A service that never calls currency is untouched. */
    split(&col, "ad", NULL, true, FA, FB, &in, &out);
    CHECK(win_median(&in) < 2 * win_median(&out) + 1);
    win_free(&in);
    win_free(&out);
    col_free(&col);
}

static void test_fault_attribute_latency(void)
{
    ol_demo_config_t c;
    base_cfg(&c, 8);
    CHECK(add_fault(&c, "attribute_latency:payment:+10m:10m:attr=app.payment.provider,value=stripe_v3,delay=500ms"));
    col_t col = {0};
    CHECK(run_demo(&c, RUN_LEN, MIN_NS, &col, NULL));
    win_t v3_in = {0}, v3_out = {0}, other_in = {0};
    for (size_t i = 0; i < col.ns; i++) {
        const span_t *s = &col.s[i];
        if (strcmp(s->svc, "payment") != 0 || s->kind != 2) continue;
        CHECK(s->provider[0]);
        bool in = s->start >= FA && s->start < FB;
        if (!strcmp(s->provider, "stripe_v3")) win_add(in ? &v3_in : &v3_out, s);
        else if (in) win_add(&other_in, s);
    }
    double a = win_median(&v3_in), b = win_median(&v3_out), o = win_median(&other_in);
    fprintf(stderr, "  payment stripe_v3 %.1f ms in (%zu), %.1f out; other providers in the window %.1f (%zu)\n", a,
            v3_in.n, b, o, other_in.n);
    CHECK(v3_in.n > 5 && other_in.n > 10);
    CHECK(a > 400 && b < 30 && o < 30);
    win_free(&v3_in);
    win_free(&v3_out);
    win_free(&other_in);
    col_free(&col);
}

static void test_fault_error_burst(void)
{
    ol_demo_config_t c;
    base_cfg(&c, 5);
    CHECK(add_fault(&c, "error_burst:cart:+10m:10m:error_rate=0.4"));
    col_t col = {0};
    CHECK(run_demo(&c, RUN_LEN, MIN_NS, &col, NULL));
    win_t in = {0}, out = {0};
    split(&col, "cart", NULL, true, FA, FB, &in, &out);
    fprintf(stderr, "  cart errors %.3f in, %.3f out\n", win_err(&in), win_err(&out));
    CHECK(win_err(&in) > 0.3 && win_err(&out) < 0.05);
    win_free(&in);
    win_free(&out);
    split(&col, "currency", NULL, true, FA, FB, &in, &out);
    CHECK(win_err(&in) < 0.05);
    win_free(&in);
    win_free(&out);
    /* Error logs from cart carry the trace of a failed span, and callers retry. */
    size_t err_logs = 0, retries = 0;
    for (size_t i = 0; i < col.nl; i++) {
        const log_t *l = &col.l[i];
        if (l->t < FA || l->t >= FB + MIN_NS) continue;
        if (!strcmp(l->svc, "cart") && l->sev >= 17) {
            const span_t *s = find_span(&col, l->tid, l->sid);
            err_logs += s && s->status == 2;
        }
        retries += strstr(l->body, "retrying") && strstr(l->body, "on cart");
    }
    CHECK(err_logs > 100 && retries > 50);
    col_free(&col);
}

static void test_fault_host_saturation(void)
{
    ol_demo_config_t c;
    base_cfg(&c, 5);
    CHECK(add_fault(&c, "host_saturation:node-2:+10m:10m"));
    col_t col = {0};
    ol_buf_t truth;
    ol_buf_init(&truth, OL_MEM_DEMO, 0);
    CHECK(run_demo(&c, RUN_LEN, MIN_NS, &col, &truth));
    size_t hot_in = 0, n_in = 0, hot_out = 0, other_hot = 0;
    for (size_t i = 0; i < col.np; i++) {
        const point_t *p = &col.p[i];
        if (strcmp(p->name, "system.cpu.utilization") != 0) continue;
        bool in = p->t > FA && p->t <= FB;
        if (!strcmp(p->host, "node-2")) {
            if (in) n_in++, hot_in += p->v >= 0.95;
            else hot_out += p->v >= 0.9;
        } else {
            other_hot += p->v >= 0.9;
        }
    }
    CHECK(n_in >= 19 && hot_in == n_in);
    CHECK_EQ_INT(hot_out, 0);
    CHECK_EQ_INT(other_hot, 0);
    /* Spans of the replicas on node-2 are slower; the same service on another node is not. */
    win_t in2 = {0}, out2 = {0}, in_other = {0};
    for (size_t i = 0; i < col.ns; i++) {
        const span_t *s = &col.s[i];
        if (strcmp(s->svc, "frontend") != 0 || s->kind != 2) continue;
        bool in = s->start >= FA && s->start < FB;
        if (!strcmp(s->host, "node-2")) win_add(in ? &in2 : &out2, s);
        else if (in) win_add(&in_other, s);
    }
    double a = win_median(&in2), b = win_median(&out2), o = win_median(&in_other);
    fprintf(stderr, "  frontend on node-2 %.1f ms in, %.1f out; on other nodes in the window %.1f\n", a, b, o);
    CHECK(a > 1.5 * b && a > 1.5 * o);
    win_free(&in2);
    win_free(&out2);
    win_free(&in_other);
    CHECK(truth_has(&truth, "start", "host_saturation", NULL));
    CHECK(strstr((const char *)truth.data, "\"host\":\"node-2\",\"services\":[") != NULL);
    ol_buf_free(&truth);
    col_free(&col);
}

static void test_fault_memory_leak(void)
{
    ol_demo_config_t c;
    base_cfg(&c, 5);
    CHECK(add_fault(&c, "memory_leak:ad:+10m:10m:oom_after=4m,restart=20s"));
    col_t col = {0};
    ol_buf_t truth;
    ol_buf_init(&truth, OL_MEM_DEMO, 0);
    CHECK(run_demo(&c, RUN_LEN, MIN_NS, &col, &truth));
    /* Memory of ad rises during the window and is back to normal after. */
    double before = 0, peak = 0, after = 1e18;
    size_t n_before = 0;
    for (size_t i = 0; i < col.np; i++) {
        const point_t *p = &col.p[i];
        if (strcmp(p->svc, "ad") != 0 || strcmp(p->name, "process.memory.usage") != 0) continue;
        if (p->t <= FA) before = OL_MAX(before, p->v), n_before++;
        else if (p->t <= FB) peak = OL_MAX(peak, p->v);
        else after = OL_MIN(after, p->v);
    }
    fprintf(stderr, "  ad memory: %.0f MB before, peak %.0f MB, %.0f MB after\n", before / 1048576, peak / 1048576,
            after / 1048576);
    CHECK(n_before > 10 && peak > 1.6 * before && after < 1.1 * before);
    /* It crashed and restarted: truth, restart counts, an error log, refused calls, new instance ids. */
    CHECK(truth_has(&truth, "restart", "memory_leak", "ad"));
    double restarts = 0;
    for (size_t i = 0; i < col.np; i++)
        if (!strcmp(col.p[i].svc, "ad") && !strcmp(col.p[i].name, "k8s.container.restarts"))
            restarts = OL_MAX(restarts, col.p[i].v);
    CHECK(restarts >= 1);
    size_t oom = 0, refused = 0;
    for (size_t i = 0; i < col.nl; i++) {
        oom += !strcmp(col.l[i].svc, "ad") && strstr(col.l[i].body, "OutOfMemoryError") != NULL;
        refused += strstr(col.l[i].body, "call to ad failed: connect ECONNREFUSED") != NULL;
    }
    CHECK(oom >= 2 && refused > 0);
    char ids[16][40];
    size_t n_ids = 0;
    for (size_t i = 0; i < col.ns && n_ids < 16; i++) {
        if (strcmp(col.s[i].svc, "ad") != 0) continue;
        bool seen = false;
        for (size_t k = 0; k < n_ids; k++) seen |= !strcmp(ids[k], col.s[i].inst);
        if (!seen) snprintf(ids[n_ids++], sizeof ids[0], "%s", col.s[i].inst);
    }
    CHECK(n_ids >= 4); /* 2 replicas, each restarted at least once */
    /* Other services do not leak. */
    for (size_t i = 0; i < col.np; i++)
        if (!strcmp(col.p[i].svc, "cart") && !strcmp(col.p[i].name, "process.memory.usage"))
            CHECK(col.p[i].v < 1.3 * 180 * 1.1 * 1048576);
    ol_buf_free(&truth);
    col_free(&col);
}

static void test_fault_traffic_surge(void)
{
    ol_demo_config_t c;
    base_cfg(&c, 4);
    CHECK(add_fault(&c, "traffic_surge:frontend:+10m:10m:factor=3"));
    col_t col = {0};
    CHECK(run_demo(&c, RUN_LEN, MIN_NS, &col, NULL));
    win_t in = {0}, out = {0};
    split(&col, "frontend", NULL, true, FA, FB, &in, &out);
    double ratio = (double)in.n / ((double)out.n / 2); /* the outside is twice as long */
    fprintf(stderr, "  frontend requests: %zu in the window, %zu outside (x%.2f)\n", in.n, out.n, ratio);
    CHECK(ratio > 2.6 && ratio < 3.4);
    /* Three times the peak saturates the replicas: requests slow down, CPU goes up. */
    double mi = win_median(&in), mo = win_median(&out);
    fprintf(stderr, "  frontend median %.1f ms in the window, %.1f outside\n", mi, mo);
    CHECK(mi > 1.5 * mo);
    win_free(&in);
    win_free(&out);
    double cpu_in = 0, cpu_out = 0;
    size_t n_in = 0, n_out = 0;
    for (size_t i = 0; i < col.np; i++) {
        const point_t *p = &col.p[i];
        if (strcmp(p->name, "process.cpu.utilization") != 0 || strcmp(p->svc, "product-catalog") != 0) continue;
        if (p->t > FA + 30000000000ull && p->t <= FB) cpu_in += p->v, n_in++;
        else if (p->t <= FA || p->t > FB + 30000000000ull) cpu_out += p->v, n_out++;
    }
    CHECK(n_in > 0 && n_out > 0 && cpu_in / (double)n_in > 1.8 * cpu_out / (double)n_out);
    col_free(&col);
}

static void test_fault_slow_db_query(void)
{
    ol_demo_config_t c;
    base_cfg(&c, 8);
    c.delta = true;
    CHECK(add_fault(&c, "slow_db_query:postgresql:+10m:10m:op=SELECT productreviews,delay=400ms"));
    col_t col = {0};
    CHECK(run_demo(&c, RUN_LEN, MIN_NS, &col, NULL));
    win_t in = {0}, out = {0}, other_in = {0}, other_out = {0};
    for (size_t i = 0; i < col.ns; i++) {
        const span_t *s = &col.s[i];
        if (s->kind != 3 || (strncmp(s->name, "SELECT ", 7) != 0 && strncmp(s->name, "INSERT ", 7) != 0)) continue;
        bool inw = s->start >= FA && s->start < FB;
        if (!strcmp(s->name, "SELECT productreviews")) win_add(inw ? &in : &out, s);
        else win_add(inw ? &other_in : &other_out, s);
    }
    double a = win_median(&in), b = win_median(&out), o = win_median(&other_in), p = win_median(&other_out);
    fprintf(stderr, "  SELECT productreviews %.1f ms in, %.1f out; other statements %.1f in, %.1f out\n", a, b, o, p);
    CHECK(in.n > 20 && a > 300 && b < 20 && o < 2 * p + 1);
    win_free(&in);
    win_free(&out);
    win_free(&other_in);
    win_free(&other_out);
    /* The database logs the slow statements, only in the window. */
    size_t slow_in = 0, slow_out = 0;
    for (size_t i = 0; i < col.nl; i++)
        if (!strcmp(col.l[i].svc, "postgresql") && strstr(col.l[i].body, "productreviews")) {
            CHECK(!col.l[i].linked);
            *(col.l[i].t >= FA && col.l[i].t < FB + MIN_NS ? &slow_in : &slow_out) += 1;
        }
    CHECK(slow_in > 20 && slow_out == 0);
    /* The client-side histogram of product-reviews moves with it (delta temporality: one interval per point). */
    double in_sum = 0, in_cnt = 0, out_sum = 0, out_cnt = 0;
    size_t aligned = 0, hist = 0;
    for (size_t i = 0; i < col.np; i++) {
        const point_t *pt = &col.p[i];
        if (strcmp(pt->name, "db.client.operation.duration") != 0) continue;
        hist++;
        aligned += pt->t - pt->start == 30000000000ull;
        if (strcmp(pt->svc, "product-reviews") != 0 || strcmp(pt->key, "productreviews") != 0) continue;
        if (pt->t > FA + 30000000000ull && pt->t <= FB) in_sum += pt->sum, in_cnt += (double)pt->count;
        else if (pt->t <= FA || pt->t > FB + 30000000000ull) out_sum += pt->sum, out_cnt += (double)pt->count;
    }
    CHECK(hist > 0 && aligned == hist);
    CHECK(in_cnt > 20 && out_cnt > 20);
    if (in_cnt > 0 && out_cnt > 0) {
        fprintf(stderr, "  db.client.operation.duration of productreviews: mean %.3f s in, %.4f s out\n",
                in_sum / in_cnt, out_sum / out_cnt);
        CHECK(in_sum / in_cnt > 0.3 && out_sum / out_cnt < 0.02);
    }
    col_free(&col);
}

static void test_interrupt_truth(void)
{
    ol_demo_config_t c;
    base_cfg(&c, 1);
    CHECK(add_fault(&c, "error_burst:cart:+1m:1h"));
    ol_demo_t *d = NULL;
    ol_err_t err;
    CHECK_EQ_INT(ol_demo_create(&c, &d, &err), OL_OK);
    if (!d) return;
    CHECK_EQ_INT(ol_demo_advance(d, T0 + 2 * MIN_NS), OL_OK);
    ol_demo_interrupt(d);
    ol_buf_t t;
    ol_buf_init(&t, OL_MEM_DEMO, 0);
    ol_demo_take_truth(d, &t);
    ol_buf_append_u8(&t, 0);
    const char *text = (const char *)t.data;
    CHECK(strstr(text, "{\"event\":\"start\",\"fault\":0,\"type\":\"error_burst\",\"service\":\"cart\"") != NULL);
    CHECK(strstr(text, "\"end_ns\":1767614520000000000,\"params\":{\"error_rate\":0.3},\"interrupted\":true") != NULL);
    char active[100];
    ol_demo_active_faults(d, active, sizeof active);
    CHECK(active[0] == 0);
    ol_buf_free(&t);
    ol_demo_destroy(d);
}

int main(void)
{
    RUN(test_topology);
    RUN(test_durations);
    RUN(test_fault_spec);
    RUN(test_scenario);
    RUN(test_resolve_errors);
    RUN(test_flags);
    RUN(test_deterministic);
    RUN(test_linked);
    RUN(test_seasonality);
    RUN(test_fault_bad_deploy);
    RUN(test_fault_dependency_latency);
    RUN(test_fault_attribute_latency);
    RUN(test_fault_error_burst);
    RUN(test_fault_host_saturation);
    RUN(test_fault_memory_leak);
    RUN(test_fault_traffic_surge);
    RUN(test_fault_slow_db_query);
    RUN(test_interrupt_truth);
    return TEST_REPORT();
}
