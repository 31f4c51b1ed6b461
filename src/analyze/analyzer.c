/*
 * analyzer.c - the analyzer's frame (analyzer.h): the inbox the RED sink
 * fills, the thread, and the assembly of a service's buckets into steps.
 *
 * The sink runs under the RED aggregator's lock, so it only copies the
 * bucket (names into a text buffer, its latency sketch) under inbox_mu and returns. A run swaps the inbox out, sorts
 * each bucket into its service's pending step, and completes a pending
 * step once it has waited OL_AN_COMPLETE_RUNS runs (about a second each):
 * the RED aggregator emits a service's operation buckets of one step in one
 * pass, but an edge's bucket only once the client span met the server span
 * it caused, which may take a little longer; or on stop. A step completes in
 * bucket order; steps without any bucket between two completed ones are
 * fed as steps without traffic (at most OL_AN_MAX_GAP of them), except
 * across a restart, where nobody knows what the gap held. A bucket
 * for a step already completed is late and only counted.
 */
#include "analyze/analyzer_int.h"

#include <math.h>
#include <time.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/util.h"

int ol_an_grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap) return OL_OK;
    uint32_t nc = *cap ? *cap : 8;
    while (nc < need) {
        if (nc > UINT32_MAX / 2) return OL_NOMEM;
        nc *= 2;
    }
    void *q = ol_realloc(OL_MEM_ANALYZE, *p, (size_t)*cap * elem, (size_t)nc * elem);
    if (!q) return OL_NOMEM;
    memset((char *)q + (size_t)*cap * elem, 0, (size_t)(nc - *cap) * elem);
    *p = q;
    *cap = nc;
    return OL_OK;
}

static const char *const ol_an_metric_names[OL_AN_M__COUNT] = {"requests", "errors", "latency"};
static const char *const ol_an_signal_names[OL_AN_A__COUNT] = {"requests", "errors", "latency",
                                                                 "red",      "slo",    "forecast"};

const char *ol_an_metric_name(uint8_t metric) { return metric < OL_AN_M__COUNT ? ol_an_metric_names[metric] : "?"; }
const char *ol_an_signal_name(uint8_t signal) { return signal < OL_AN_A__COUNT ? ol_an_signal_names[signal] : "?"; }

/* ---- inbox ---- */

static void ol_an_inbox_clear(ol_an_inbox_t *b)
{
    for (uint32_t i = 0; i < b->n; i++) ol_sketch_free(&b->recs[i].duration);
    b->n = 0;
    ol_buf_reset(&b->text);
}

static void ol_an_inbox_free(ol_an_inbox_t *b)
{
    ol_an_inbox_clear(b);
    ol_free(OL_MEM_ANALYZE, b->recs, (size_t)b->cap * sizeof *b->recs);
    ol_buf_free(&b->text);
}

void ol_analyzer_red_cell(void *ud, const ol_red_cell_view_t *c)
{
    ol_analyzer_t *an = ud;
    /* only entry operations (a service's own work) and edges are analysed */
    if (!c->is_edge && !c->entry) return;
    double p95 = NAN, p99 = NAN;
    if (c->duration && c->duration->count) {
        p95 = ol_sketch_quantile(c->duration, 0.95);
        p99 = ol_sketch_quantile(c->duration, 0.99);
    }
    pthread_mutex_lock(&an->inbox_mu);
    ol_an_inbox_t *b = &an->inbox;
    an->in_cells++;
    size_t svc_len = OL_MIN(c->service.len, OL_AN_MAX_NAME), name_len = OL_MIN(c->name.len, OL_AN_MAX_NAME);
    if (b->n >= OL_AN_MAX_INBOX || ol_an_grow((void **)&b->recs, &b->cap, b->n + 1, sizeof *b->recs) != OL_OK ||
        b->text.len + svc_len + name_len > UINT32_MAX / 2) {
        an->in_dropped++;
        pthread_mutex_unlock(&an->inbox_mu);
        return;
    }
    ol_an_inrec_t *r = &b->recs[b->n];
    memset(r, 0, sizeof *r);
    ol_sketch_init(&r->duration);
    r->svc_off = (uint32_t)b->text.len;
    r->svc_len = (uint32_t)svc_len;
    ol_buf_append(&b->text, c->service.ptr, svc_len);
    r->name_off = (uint32_t)b->text.len;
    r->name_len = (uint32_t)name_len;
    ol_buf_append(&b->text, c->name.ptr, name_len);
    r->is_edge = c->is_edge;
    r->kind = c->kind;
    r->bucket = an->opt.step_ns ? c->start_ns / an->opt.step_ns : 0;
    r->requests = c->requests;
    r->errors = c->errors;
    r->p95 = p95;
    r->p99 = p99;
    bool ok = b->text.err == OL_OK;
    if (ok && c->duration && ol_sketch_merge(&r->duration, c->duration) != OL_OK) ok = false;
    if (ok) b->n++;
    else {
        ol_sketch_free(&r->duration);
        an->in_dropped++;
    }
    pthread_mutex_unlock(&an->inbox_mu);
}

void ol_analyzer_red_done(void *ud)
{
    ol_analyzer_t *an = ud;
    pthread_mutex_lock(&an->mu);
    an->wake = true;
    pthread_cond_signal(&an->cv);
    pthread_mutex_unlock(&an->mu);
}

void ol_analyzer_sink(ol_analyzer_t *an, ol_red_sink_t *out)
{
    *out = (ol_red_sink_t){.cell = ol_analyzer_red_cell, .done = ol_analyzer_red_done, .ud = an};
}

/* ---- services and series ---- */

uint32_t ol_an_svc_find(ol_analyzer_t *an, ol_slice_t name, bool create)
{
    for (uint32_t i = 0; i < an->n_svcs; i++)
        if (an->svcs[i].len == name.len && memcmp(an->svcs[i].name, name.ptr, name.len) == 0) return i;
    if (!create) return OL_AN_NONE;
    if (ol_an_grow((void **)&an->svcs, &an->cap_svcs, an->n_svcs + 1, sizeof *an->svcs) != OL_OK) return OL_AN_NONE;
    ol_an_svc_t *s = &an->svcs[an->n_svcs];
    memset(s, 0, sizeof *s);
    s->name = ol_strndup(OL_MEM_ANALYZE, (const char *)name.ptr, name.len);
    if (!s->name) return OL_AN_NONE;
    s->len = (uint32_t)name.len;
        s->vec_culprit = OL_AN_NONE;
    ol_sketch_init(&s->agg);
    uint32_t idx = an->n_svcs++;
    if (ol_an_series_find(an, idx, OL_AN_SCOPE_SERVICE, 0, OL_SLICE_NULL, true) == OL_AN_NONE) {
        an->n_svcs--;
        ol_sketch_free(&s->agg);
        ol_free(OL_MEM_ANALYZE, s->name, s->len + 1);
        return OL_AN_NONE;
    }
    return idx;
}

uint32_t ol_an_series_find(ol_analyzer_t *an, uint32_t svc, uint8_t scope, uint8_t kind, ol_slice_t name,
                           bool create)
{
    ol_an_svc_t *s = &an->svcs[svc];
    for (uint32_t i = 0; i < s->n_series; i++) {
        ol_an_series_t *x = &an->series[s->series[i]];
        if (x->scope == scope && x->kind == kind && x->name_len == name.len &&
            (!name.len || memcmp(x->name, name.ptr, name.len) == 0))
            return s->series[i];
    }
    if (!create) return OL_AN_NONE;
    uint32_t max = an->opt.max_signals ? an->opt.max_signals : 20000;
    if (an->n_sigs + OL_AN_M__COUNT > max) {
        an->st.signals_refused++;
        return OL_AN_NONE;
    }
    if (ol_an_grow((void **)&an->series, &an->cap_series, an->n_series + 1, sizeof *an->series) != OL_OK ||
        ol_an_grow((void **)&an->sigs, &an->cap_sigs, an->n_sigs + OL_AN_M__COUNT, sizeof *an->sigs) != OL_OK ||
        ol_an_grow((void **)&s->series, &s->cap_series, s->n_series + 1, sizeof *s->series) != OL_OK)
        return OL_AN_NONE;
    ol_an_series_t *x = &an->series[an->n_series];
    memset(x, 0, sizeof *x);
    x->name = ol_strndup(OL_MEM_ANALYZE, name.len ? (const char *)name.ptr : "", name.len);
    if (!x->name) return OL_AN_NONE;
    x->svc = svc;
    x->scope = scope;
    x->kind = kind;
    x->name_len = (uint32_t)name.len;
    for (uint8_t m = 0; m < OL_AN_M__COUNT; m++) {
        ol_an_sig_t *g = &an->sigs[an->n_sigs + m];
        memset(g, 0, sizeof *g);
        g->series = an->n_series;
        g->metric = m;
        if (ol_an_sig_init(an, g) != OL_OK) {
            for (uint8_t k = 0; k < m; k++) ol_an_sig_free(&an->sigs[an->n_sigs + k]);
            ol_free(OL_MEM_ANALYZE, x->name, x->name_len + 1);
            return OL_AN_NONE;
        }
        x->sig[m] = an->n_sigs + m;
    }
    an->n_sigs += OL_AN_M__COUNT;
    s->series[s->n_series++] = an->n_series;
    an->st.signals = an->n_sigs;
    return an->n_series++;
}

static void ol_an_add_peer(ol_analyzer_t *an, uint32_t svc, uint32_t peer)
{
    ol_an_svc_t *s = &an->svcs[svc];
    if (peer == svc) return;
    for (uint32_t i = 0; i < s->n_peers; i++)
        if (s->peers[i] == peer) return;
    if (ol_an_grow((void **)&s->peers, &s->cap_peers, s->n_peers + 1, sizeof *s->peers) == OL_OK)
        s->peers[s->n_peers++] = peer;
}

/* ---- steps ---- */

static ol_an_pstep_t *ol_an_pstep_get(ol_an_svc_t *s, uint64_t bucket)
{
    uint32_t i = 0;
    while (i < s->n_pend && s->pend[i].bucket < bucket) i++;
    if (i < s->n_pend && s->pend[i].bucket == bucket) return &s->pend[i];
    if (ol_an_grow((void **)&s->pend, &s->cap_pend, s->n_pend + 1, sizeof *s->pend) != OL_OK) return NULL;
    memmove(&s->pend[i + 1], &s->pend[i], (s->n_pend - i) * sizeof *s->pend);
    s->pend[i] = (ol_an_pstep_t){.bucket = bucket};
    s->n_pend++;
    return &s->pend[i];
}

static void ol_an_pstep_free(ol_an_pstep_t *p)
{
    for (uint32_t i = 0; i < p->n; i++) ol_sketch_free(&p->recs[i].duration);
    ol_free(OL_MEM_ANALYZE, p->recs, (size_t)p->cap * sizeof *p->recs);
    p->recs = NULL;
    p->n = p->cap = 0;
}

/* Sorts one inbox record into its service's pending step (takes its sketch). */
static void ol_an_accept(ol_analyzer_t *an, ol_an_inrec_t *r, const uint8_t *text)
{
    uint32_t svc = ol_an_svc_find(an, ol_slice(text + r->svc_off, r->svc_len), true);
    if (svc == OL_AN_NONE) {
        an->st.cells_dropped++;
        return;
    }
    ol_slice_t name = ol_slice(text + r->name_off, r->name_len);
    uint8_t scope = r->is_edge ? OL_AN_SCOPE_EDGE : OL_AN_SCOPE_OPERATION;
    uint32_t ser = ol_an_series_find(an, svc, scope, r->kind, name, true);
    if (ser == OL_AN_NONE) {
        an->st.cells_dropped++;
        return;
    }
    if (r->is_edge && r->kind == 0) { /* a call to another instrumented service */
        uint32_t peer = ol_an_svc_find(an, name, true);
        if (peer != OL_AN_NONE) ol_an_add_peer(an, svc, peer);
    }
    ol_an_svc_t *s = &an->svcs[svc];
    if (s->last_bucket && r->bucket <= s->last_bucket) {
        an->st.cells_late++;
        return;
    }
    ol_an_pstep_t *p = ol_an_pstep_get(s, r->bucket);
    if (!p || ol_an_grow((void **)&p->recs, &p->cap, p->n + 1, sizeof *p->recs) != OL_OK) {
        an->st.cells_dropped++;
        return;
    }
    ol_an_srec_t *x = &p->recs[p->n++];
    *x = (ol_an_srec_t){.series = ser, .requests = r->requests, .errors = r->errors, .p95 = r->p95, .p99 = r->p99,
                        .duration = r->duration};
    ol_sketch_init(&r->duration); /* moved */
    an->st.cells++;
}

static void ol_an_complete(ol_analyzer_t *an, uint32_t svc, ol_an_pstep_t *p)
{
    ol_an_svc_t *s = &an->svcs[svc];
    uint64_t step = an->opt.step_ns;
    for (uint32_t i = 0; i < s->n_series; i++) {
        ol_an_series_t *x = &an->series[s->series[i]];
        x->in_step = false;
        x->requests = x->errors = 0;
        x->p95 = x->p99 = NAN;
        x->dur = NULL;
    }
    if (s->last_bucket && p->bucket > s->last_bucket + 1 && !s->resumed) {
        uint64_t from = p->bucket - s->last_bucket - 1 > OL_AN_MAX_GAP ? p->bucket - OL_AN_MAX_GAP : s->last_bucket + 1;
        for (uint64_t b = from; b < p->bucket; b++) ol_an_step_service(an, svc, (int64_t)(b * step));
    }
    ol_sketch_reset(&s->agg);
    ol_an_series_t *whole = &an->series[s->series[0]];
    for (uint32_t i = 0; i < p->n; i++) {
        ol_an_srec_t *r = &p->recs[i];
        ol_an_series_t *x = &an->series[r->series];
        if (x->in_step) { /* a second bucket for the same series and step: add it up */
            x->requests += r->requests;
            x->errors += r->errors;
            x->p95 = fmax(x->p95, r->p95);
            x->p99 = fmax(x->p99, r->p99);
            if (!x->dur && r->duration.count) x->dur = &r->duration;
            else if (r->duration.count && ol_sketch_merge(x->dur, &r->duration) == OL_OK) {
                x->p95 = ol_sketch_quantile(x->dur, 0.95);
                x->p99 = ol_sketch_quantile(x->dur, 0.99);
            }
        } else {
            x->in_step = true;
            x->requests = r->requests;
            x->errors = r->errors;
            x->p95 = r->p95;
            x->p99 = r->p99;
            x->dur = r->duration.count ? &r->duration : NULL;
        }
        if (x->scope == OL_AN_SCOPE_OPERATION) {
            whole->in_step = true;
            whole->requests += r->requests;
            whole->errors += r->errors;
            if (r->duration.count) ol_sketch_merge(&s->agg, &r->duration);
        }
    }
    if (s->agg.count) {
        whole->p95 = ol_sketch_quantile(&s->agg, 0.95);
        whole->p99 = ol_sketch_quantile(&s->agg, 0.99);
        whole->dur = &s->agg;
    }
    ol_an_step_service(an, svc, (int64_t)(p->bucket * step));
    s->last_bucket = p->bucket;
    s->resumed = false;
    for (uint32_t i = 0; i < s->n_series; i++) an->series[s->series[i]].dur = NULL;
}

static uint64_t ol_an_thread_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Under mu. */
static uint64_t ol_an_run_locked(ol_analyzer_t *an, bool all)
{
    uint64_t cpu0 = ol_an_thread_cpu_ns();
    pthread_mutex_lock(&an->inbox_mu);
    ol_an_inbox_t t = an->inbox;
    an->inbox = an->work;
    an->work = t;
    pthread_mutex_unlock(&an->inbox_mu);

    ol_an_inbox_t *w = &an->work;
    for (uint32_t i = 0; i < w->n; i++) ol_an_accept(an, &w->recs[i], w->text.data);
    ol_an_inbox_clear(w);

    uint64_t steps = 0;
    for (uint32_t svc = 0; svc < an->n_svcs; svc++) {
        ol_an_svc_t *s = &an->svcs[svc];
        uint32_t done = 0;
        while (done < s->n_pend) {
            ol_an_pstep_t *p = &s->pend[done];
            bool complete = all || p->drains >= OL_AN_COMPLETE_RUNS;
            if (!complete) break;
            ol_an_complete(an, svc, p);
            ol_an_pstep_free(p);
            done++;
            steps++;
        }
        if (done) {
            memmove(s->pend, s->pend + done, (s->n_pend - done) * sizeof *s->pend);
            s->n_pend -= done;
        }
        for (uint32_t i = 0; i < s->n_pend; i++) s->pend[i].drains++;
    }
    if (steps) ol_an_incidents_run(an);
    an->st.steps += steps;
    an->st.update_ns += ol_an_thread_cpu_ns() - cpu0;
    return steps;
}

uint64_t ol_analyzer_run(ol_analyzer_t *an, bool all)
{
    if (!an) return 0;
    pthread_mutex_lock(&an->mu);
    uint64_t n = ol_an_run_locked(an, all);
    pthread_mutex_unlock(&an->mu);
    return n;
}

int ol_analyzer_save(ol_analyzer_t *an)
{
    pthread_mutex_lock(&an->mu);
    int rc = ol_an_persist_save(an);
    an->last_save_ns = ol_mono_ns();
    pthread_mutex_unlock(&an->mu);
    return rc;
}

static void *ol_an_thread(void *ud)
{
    ol_analyzer_t *an = ud;
    uint64_t interval = an->opt.save_interval_ns ? an->opt.save_interval_ns : 300ull * 1000000000ull;
    pthread_mutex_lock(&an->mu);
    while (!an->stopping) {
        if (!an->wake) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_sec += 1;
            pthread_cond_timedwait(&an->cv, &an->mu, &ts);
        }
        if (an->stopping) break;
        an->wake = false;
        ol_an_run_locked(an, false);
        if (ol_mono_ns() - an->last_save_ns >= interval) {
            if (ol_an_persist_save(an) != OL_OK) ol_warn("analysis: saving the baselines failed; will retry");
            an->last_save_ns = ol_mono_ns();
        }
    }
    pthread_mutex_unlock(&an->mu);
    return NULL;
}

/* ---- life cycle ---- */

static int ol_an_slos_create(ol_analyzer_t *an, ol_err_t *err)
{
    if (!an->opt.n_slos) return OL_OK;
    an->slos = ol_calloc(OL_MEM_ANALYZE, an->opt.n_slos, sizeof *an->slos);
    if (!an->slos) return OL_NOMEM;
    for (uint32_t i = 0; i < an->opt.n_slos; i++) {
        ol_an_slo_ent_t *e = &an->slos[i];
        e->decl = an->opt.slos[i];
        e->rule = -1;
        an->n_slos = i + 1;
        ol_an_slo_options_t so;
        ol_an_slo_options_from_decl(&e->decl, (int64_t)an->opt.step_ns, &so);
        if (ol_an_slo_create(&so, &e->slo) != OL_OK) {
            ol_err_set(err, "SLO '%s': cannot build its burn-rate windows at a %llu ms step", e->decl.name,
                       (unsigned long long)(an->opt.step_ns / 1000000));
            return OL_ERR;
        }
        if (e->decl.kind == OL_AN_SLO_LATENCY) {
            uint64_t h = OL_AN_FC_HORIZON_NS / an->opt.step_ns;
            e->objective = (ol_an_fc_objective_t){.dir = OL_AN_FC_STAY_BELOW, .threshold = e->decl.threshold_ms,
                                                  .horizon = (uint32_t)OL_MAX(1, OL_MIN(h, OL_AN_FC_MAX_HORIZON)),
                                                  .z = 1.0};
            uint64_t day = 86400ull * 1000000000ull / an->opt.step_ns;
            ol_an_fc_options_t fo = {.objective = e->objective};
            /* a daily season when a day fits the forecaster's period limit (at a 10 s step it does not;
             * then level and trend follow the day on their own) */
            if (day >= 2 && day <= 4096) fo.period = (uint32_t)day;
            if (ol_an_fc_create(&fo, &e->fc) != OL_OK) {
                ol_err_set(err, "SLO '%s': cannot build its forecast", e->decl.name);
                return OL_ERR;
            }
        }
    }
    return OL_OK;
}

int ol_analyzer_create(const ol_analyzer_options_t *opt, ol_analyzer_t **out, ol_err_t *err)
{
    *out = NULL;
    if (!opt->step_ns) {
        ol_err_set(err, "analysis needs the RED resolution");
        return OL_ERR;
    }
    ol_analyzer_t *an = ol_calloc(OL_MEM_ANALYZE, 1, sizeof *an);
    if (!an) return OL_NOMEM;
    an->opt = *opt;
    an->opt.slos = NULL;
    if (!an->opt.warmup) an->opt.warmup = OL_AN_DEFAULT_WARMUP;
    ol_an_uni_params_default(&an->params);
    pthread_mutex_init(&an->inbox_mu, NULL);
    pthread_mutex_init(&an->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&an->cv, &ca);
    pthread_condattr_destroy(&ca);
    ol_buf_init(&an->inbox.text, OL_MEM_ANALYZE, 0);
    ol_buf_init(&an->work.text, OL_MEM_ANALYZE, 0);
    an->next_anomaly = an->next_incident = 1;
    an->state = opt->state;
    int rc = OL_OK;
    if (!an->state) {
        rc = ol_state_open_memory(&an->state);
        an->own_state = rc == OL_OK;
    }
    if (rc == OL_OK) {
        an->opt.slos = opt->slos;
        rc = ol_an_slos_create(an, err);
        an->opt.slos = NULL;
    }
    if (rc == OL_OK) rc = ol_an_persist_load(an, err);
    an->last_save_ns = ol_mono_ns();
    if (rc == OL_OK && !opt->no_thread) {
        if (pthread_create(&an->thread, NULL, ol_an_thread, an) != 0) {
            ol_err_set(err, "cannot start the analysis thread");
            rc = OL_ERR;
        } else an->thread_on = true;
    }
    if (rc != OL_OK) {
        an->stopped = true;
        ol_analyzer_destroy(an);
        return rc;
    }
    *out = an;
    return OL_OK;
}

void ol_analyzer_stop(ol_analyzer_t *an)
{
    if (!an || an->stopped) return;
    if (an->thread_on) {
        pthread_mutex_lock(&an->mu);
        an->stopping = true;
        pthread_cond_broadcast(&an->cv);
        pthread_mutex_unlock(&an->mu);
        pthread_join(an->thread, NULL);
        an->thread_on = false;
    }
    ol_analyzer_run(an, true);
    if (ol_analyzer_save(an) != OL_OK) ol_warn("analysis: saving the baselines at shutdown failed");
    an->stopped = true;
}

void ol_an_anom_free(ol_an_anom_t *a)
{
    if (a->service) ol_free(OL_MEM_ANALYZE, a->service, strlen(a->service) + 1);
    if (a->name) ol_free(OL_MEM_ANALYZE, a->name, strlen(a->name) + 1);
    a->service = a->name = NULL;
}

void ol_analyzer_destroy(ol_analyzer_t *an)
{
    if (!an) return;
    ol_analyzer_stop(an);
    for (uint32_t i = 0; i < an->n_svcs; i++) {
        ol_an_svc_t *s = &an->svcs[i];
        for (uint32_t j = 0; j < s->n_pend; j++) ol_an_pstep_free(&s->pend[j]);
        ol_free(OL_MEM_ANALYZE, s->pend, (size_t)s->cap_pend * sizeof *s->pend);
        ol_free(OL_MEM_ANALYZE, s->series, (size_t)s->cap_series * sizeof *s->series);
        ol_free(OL_MEM_ANALYZE, s->peers, (size_t)s->cap_peers * sizeof *s->peers);
        ol_free(OL_MEM_ANALYZE, s->name, s->len + 1);
        ol_an_iforest_destroy(s->forest);
        ol_an_autoenc_destroy(s->ae);
        ol_sketch_free(&s->agg);
    }
    ol_free(OL_MEM_ANALYZE, an->svcs, (size_t)an->cap_svcs * sizeof *an->svcs);
    for (uint32_t i = 0; i < an->n_series; i++)
        ol_free(OL_MEM_ANALYZE, an->series[i].name, an->series[i].name_len + 1);
    ol_free(OL_MEM_ANALYZE, an->series, (size_t)an->cap_series * sizeof *an->series);
    for (uint32_t i = 0; i < an->n_sigs; i++) ol_an_sig_free(&an->sigs[i]);
    ol_free(OL_MEM_ANALYZE, an->sigs, (size_t)an->cap_sigs * sizeof *an->sigs);
    for (uint32_t i = 0; i < an->n_slos; i++) {
        ol_an_slo_destroy(an->slos[i].slo);
        ol_an_fc_destroy(an->slos[i].fc);
    }
    if (an->slos) ol_free(OL_MEM_ANALYZE, an->slos, (size_t)an->opt.n_slos * sizeof *an->slos);
    for (uint32_t i = 0; i < an->n_anoms; i++) ol_an_anom_free(&an->anoms[i]);
    ol_free(OL_MEM_ANALYZE, an->anoms, (size_t)an->cap_anoms * sizeof *an->anoms);
    ol_free(OL_MEM_ANALYZE, an->incs, (size_t)an->cap_incs * sizeof *an->incs);
    ol_an_inbox_free(&an->inbox);
    ol_an_inbox_free(&an->work);
    if (an->own_state) ol_state_close(an->state);
    pthread_cond_destroy(&an->cv);
    pthread_mutex_destroy(&an->mu);
    pthread_mutex_destroy(&an->inbox_mu);
    ol_free(OL_MEM_ANALYZE, an, sizeof *an);
}

void ol_an_count_now(const ol_analyzer_t *an, uint64_t *warm, uint64_t *open, uint64_t *incidents)
{
    *warm = *open = *incidents = 0;
    for (uint32_t i = 0; i < an->n_sigs; i++) *warm += ol_an_uni_warm(an->sigs[i].uni);
    for (uint32_t i = 0; i < an->n_anoms; i++) *open += an->anoms[i].open;
    for (uint32_t i = 0; i < an->n_incs; i++) *incidents += an->incs[i].open;
}

void ol_analyzer_stats(ol_analyzer_t *an, ol_analyzer_stats_t *out)
{
    pthread_mutex_lock(&an->mu);
    *out = an->st;
    ol_an_count_now(an, &out->warm, &out->open, &out->incidents_open);
    pthread_mutex_unlock(&an->mu);
    pthread_mutex_lock(&an->inbox_mu);
    out->cells_dropped += an->in_dropped;
    pthread_mutex_unlock(&an->inbox_mu);
}
