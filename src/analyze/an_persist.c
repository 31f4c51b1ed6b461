/*
 * an_persist.c - the analyzer's state in the state store (state.h), so a
 * restart keeps learning where it stopped and keeps its open anomalies.
 *
 * Namespaces and blobs (docs/format/analysis-state.md, all sealed with a
 * CRC-32C trailer):
 *   baseline  "r" 0x1f service 0x1f scope.kind 0x1f name -> OANR: a series'
 *             three signals (life cycle + OUNI detector each);
 *             "v" 0x1f service -> OANV: the service's step bookkeeping,
 *             callees, vector life cycle, OLIF and OLAE models;
 *             "o" 0x1f SLO name -> OANO: the SLO's burn-rate state (SLOB)
 *             and forecast (HWFC);
 *   anomaly   16 hex digits of the id -> OANA;
 *   incident  16 hex digits of the id -> OANI;
 *   analysis  "meta" -> OANM: the id counters and event-time clock.
 * Baselines are written every save interval and on stop; anomalies and
 * incidents when they change. A blob that does not load (damaged, another
 * layout version, another step) is skipped and counted: that signal starts
 * learning afresh, nothing else is lost.
 */
#include "analyze/analyzer_int.h"

#include <inttypes.h>
#include <stdio.h>

#include "core/alloc.h"
#include "core/log.h"

#define OL_AN_BLOB_VERSION 1u
#define OL_AN_SERIES_VERSION 3u /* 2: 90-step count windows; 3: the pooled latency histogram */
#define OL_AN_ANOM_VERSION 2u /* 2 added the slow share, its usual share and the threshold */

static void ol_an_wr_str(ol_buf_t *b, const char *s, size_t n)
{
    ol_an_wr_u32(b, (uint32_t)n);
    ol_buf_append(b, s, n);
}

static ol_slice_t ol_an_rd_bytes(ol_an_rd_t *r, uint32_t max)
{
    uint32_t n = ol_an_rd_count(r, max, 1);
    if (r->rc != OL_OK) return OL_SLICE_NULL;
    ol_slice_t s = ol_slice(r->p, n);
    r->p += n;
    r->left -= n;
    return s;
}

/* A nested blob: u32 length, then the blob (length 0 = none). */
static void ol_an_wr_sub(ol_buf_t *b, int (*save)(const void *, ol_buf_t *), const void *obj)
{
    if (!obj) {
        ol_an_wr_u32(b, 0);
        return;
    }
    size_t at = b->len;
    ol_an_wr_u32(b, 0);
    size_t start = b->len;
    save(obj, b);
    if (b->err == OL_OK) {
        uint32_t n = (uint32_t)(b->len - start);
        uint8_t le[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
        memcpy(b->data + at, le, 4);
    }
}

static void ol_an_wr_watch(ol_buf_t *b, const ol_an_watch_t *w)
{
    ol_an_wr_u8(b, w->st);
    ol_an_wr_u8(b, (uint8_t)w->dir);
    ol_an_wr_u32(b, w->count);
    ol_an_wr_f64(b, w->base);
    ol_an_wr_f64(b, w->scale);
    ol_an_wr_i64(b, w->since_ns);
    ol_an_wr_u64(b, w->anomaly);
}

static void ol_an_rd_watch(ol_an_rd_t *r, ol_an_watch_t *w)
{
    w->st = ol_an_rd_u8(r);
    w->dir = (int8_t)ol_an_rd_u8(r);
    w->count = ol_an_rd_u32(r);
    w->base = ol_an_rd_f64(r);
    w->scale = ol_an_rd_f64(r);
    w->since_ns = ol_an_rd_i64(r);
    w->anomaly = ol_an_rd_u64(r);
    if (w->st > OL_AN_ST_OPEN || (w->dir != 1 && w->dir != -1 && w->dir != 0)) r->rc = OL_CORRUPT;
}

static int ol_an_save_uni(const void *u, ol_buf_t *b) { return ol_an_uni_save(u, b); }
static int ol_an_save_lathist(const void *h, ol_buf_t *b) { return ol_an_lathist_save(h, b); }
static int ol_an_save_forest(const void *f, ol_buf_t *b) { return ol_an_iforest_save(f, b); }
static int ol_an_save_ae(const void *a, ol_buf_t *b) { return ol_an_autoenc_save(a, b); }
static int ol_an_save_slo(const void *s, ol_buf_t *b) { return ol_an_slo_save(s, b); }
static int ol_an_save_fc(const void *f, ol_buf_t *b) { return ol_an_fc_save(f, b); }

static void ol_an_key(ol_buf_t *k, char tag, const char *svc, size_t svc_len)
{
    ol_buf_reset(k);
    ol_buf_append_u8(k, (uint8_t)tag);
    ol_buf_append_u8(k, 0x1f);
    ol_buf_append(k, svc, svc_len);
}

static int ol_an_put(ol_analyzer_t *an, const char *ns, const ol_buf_t *k, const ol_buf_t *v)
{
    if (k->err != OL_OK || v->err != OL_OK) return OL_NOMEM;
    int rc = ol_state_put(an->state, ns, ol_buf_slice(k), ol_buf_slice(v), OL_STATE_ANY, NULL);
    if (rc != OL_OK) an->st.save_errors++;
    return rc;
}

/* ---- anomalies and incidents (written as they change) ---- */

static void ol_an_id_key(ol_buf_t *k, uint64_t id)
{
    ol_buf_reset(k);
    ol_buf_printf(k, "%016" PRIx64, id);
}

void ol_an_persist_anom(ol_analyzer_t *an, const ol_an_anom_t *a)
{
    ol_buf_t k, v;
    ol_buf_init(&k, OL_MEM_ANALYZE, 0);
    ol_buf_init(&v, OL_MEM_ANALYZE, 0);
    ol_an_id_key(&k, a->id);
    ol_an_wr_header(&v, "OANA", OL_AN_ANOM_VERSION);
    ol_an_wr_u64(&v, a->id);
    ol_an_wr_u64(&v, a->incident);
    ol_an_wr_u8(&v, a->open);
    ol_an_wr_u8(&v, a->signal);
    ol_an_wr_u8(&v, a->det);
    ol_an_wr_u8(&v, a->scope);
    ol_an_wr_u8(&v, a->kind);
    ol_an_wr_i64(&v, a->onset_ns);
    ol_an_wr_i64(&v, a->end_ns);
    ol_an_wr_i64(&v, a->last_ns);
    double f[] = {a->score, a->value, a->expected, a->deviation, a->peak, a->share, a->share_expected, a->threshold};
    ol_an_wr_f64s(&v, f, OL_ARRAY_LEN(f));
    ol_an_wr_str(&v, a->service, strlen(a->service));
    ol_an_wr_str(&v, a->name, strlen(a->name));
    ol_an_wr_seal(&v, 0);
    ol_an_put(an, "anomaly", &k, &v);
    ol_buf_free(&k);
    ol_buf_free(&v);
}

void ol_an_persist_forget_anom(ol_analyzer_t *an, uint64_t id)
{
    char k[17];
    snprintf(k, sizeof k, "%016" PRIx64, id);
    ol_state_del(an->state, "anomaly", ol_slice_cstr(k), OL_STATE_ANY);
}

void ol_an_persist_forget_incident(ol_analyzer_t *an, uint64_t id)
{
    char k[17];
    snprintf(k, sizeof k, "%016" PRIx64, id);
    ol_state_del(an->state, "incident", ol_slice_cstr(k), OL_STATE_ANY);
}

void ol_an_persist_incident(ol_analyzer_t *an, const ol_an_incident_t *inc)
{
    ol_buf_t k, v;
    ol_buf_init(&k, OL_MEM_ANALYZE, 0);
    ol_buf_init(&v, OL_MEM_ANALYZE, 0);
    ol_an_id_key(&k, inc->id);
    ol_an_wr_header(&v, "OANI", OL_AN_BLOB_VERSION);
    ol_an_wr_u64(&v, inc->id);
    ol_an_wr_u8(&v, inc->open);
    ol_an_wr_u8(&v, inc->alerted);
    ol_an_wr_u8(&v, inc->severity);
    ol_an_wr_u32(&v, inc->n_open);
    ol_an_wr_i64(&v, inc->onset_ns);
    ol_an_wr_i64(&v, inc->end_ns);
    ol_an_wr_i64(&v, inc->created_ns);
    ol_an_wr_str(&v, inc->root, strlen(inc->root));
    ol_an_wr_u32(&v, inc->n_svcs);
    for (uint32_t i = 0; i < inc->n_svcs; i++)
        ol_an_wr_str(&v, an->svcs[inc->svcs[i]].name, an->svcs[inc->svcs[i]].len);
    ol_an_wr_seal(&v, 0);
    ol_an_put(an, "incident", &k, &v);
    ol_buf_free(&k);
    ol_buf_free(&v);
}

/* ---- baselines (written every save interval) ---- */

int ol_an_persist_save(ol_analyzer_t *an)
{
    ol_buf_t k, v;
    ol_buf_init(&k, OL_MEM_ANALYZE, 0);
    ol_buf_init(&v, OL_MEM_ANALYZE, 0);
    int rc = OL_OK, e;
    for (uint32_t i = 0; i < an->n_series; i++) {
        const ol_an_series_t *x = &an->series[i];
        const ol_an_svc_t *s = &an->svcs[x->svc];
        ol_an_key(&k, 'r', s->name, s->len);
        ol_buf_printf(&k, "\x1f%u.%u\x1f", x->scope, x->kind);
        ol_buf_append(&k, x->name, x->name_len);
        ol_buf_reset(&v);
        ol_an_wr_header(&v, "OANR", OL_AN_SERIES_VERSION);
        ol_an_wr_u64(&v, an->opt.step_ns);
        ol_an_wr_str(&v, s->name, s->len);
        ol_an_wr_u8(&v, x->scope);
        ol_an_wr_u8(&v, x->kind);
        ol_an_wr_str(&v, x->name, x->name_len);
        for (uint32_t m = 0; m < OL_AN_M__COUNT; m++) {
            const ol_an_sig_t *g = &an->sigs[x->sig[m]];
            ol_an_wr_watch(&v, &g->w);
            ol_an_wr_f64(&v, g->p0);
            ol_an_wr_f64(&v, g->p0_weight);
            ol_an_wr_f64(&v, g->disp);
            ol_an_wr_u32(&v, g->win_i);
            for (uint32_t j = 0; j < OL_AN_WIN; j++) {
                ol_an_wr_u32(&v, g->win_e[j]);
                ol_an_wr_u32(&v, g->win_n[j]);
            }
            ol_an_wr_sub(&v, ol_an_save_uni, g->uni);
            ol_an_wr_sub(&v, ol_an_save_lathist, g->lat);
        }
        ol_an_wr_seal(&v, 0);
        if ((e = ol_an_put(an, "baseline", &k, &v)) != OL_OK) rc = e;
    }
    for (uint32_t i = 0; i < an->n_svcs; i++) {
        const ol_an_svc_t *s = &an->svcs[i];
        ol_an_key(&k, 'v', s->name, s->len);
        ol_buf_reset(&v);
        ol_an_wr_header(&v, "OANV", OL_AN_BLOB_VERSION);
        ol_an_wr_u64(&v, an->opt.step_ns);
        ol_an_wr_str(&v, s->name, s->len);
        ol_an_wr_u64(&v, s->last_bucket);
        ol_an_wr_u64(&v, s->steps);
        ol_an_wr_u32(&v, s->n_peers);
        for (uint32_t j = 0; j < s->n_peers; j++) ol_an_wr_str(&v, an->svcs[s->peers[j]].name, an->svcs[s->peers[j]].len);
        ol_an_wr_watch(&v, &s->w_vec);
        ol_an_wr_f64s(&v, s->last_x, OL_AN_VEC_DIM);
        ol_an_wr_sub(&v, ol_an_save_forest, s->forest);
        ol_an_wr_sub(&v, ol_an_save_ae, s->forest ? s->ae : NULL);
        ol_an_wr_seal(&v, 0);
        if ((e = ol_an_put(an, "baseline", &k, &v)) != OL_OK) rc = e;
    }
    for (uint32_t i = 0; i < an->n_slos; i++) {
        const ol_an_slo_ent_t *o = &an->slos[i];
        ol_an_key(&k, 'o', o->decl.name, strlen(o->decl.name));
        ol_buf_reset(&v);
        ol_an_wr_header(&v, "OANO", OL_AN_BLOB_VERSION);
        ol_an_wr_u64(&v, an->opt.step_ns);
        ol_an_wr_str(&v, o->decl.service, strlen(o->decl.service));
        ol_an_wr_str(&v, o->decl.operation, strlen(o->decl.operation));
        ol_an_wr_u8(&v, o->decl.kind);
        ol_an_wr_f64(&v, o->decl.objective);
        ol_an_wr_f64(&v, o->decl.threshold_ms);
        ol_an_wr_u32(&v, o->decl.period_days);
        ol_an_wr_watch(&v, &o->w_slo);
        ol_an_wr_watch(&v, &o->w_fc);
        ol_an_wr_sub(&v, ol_an_save_slo, o->slo);
        ol_an_wr_sub(&v, ol_an_save_fc, o->fc);
        ol_an_wr_seal(&v, 0);
        if ((e = ol_an_put(an, "baseline", &k, &v)) != OL_OK) rc = e;
    }
    ol_buf_reset(&v);
    ol_an_wr_header(&v, "OANM", OL_AN_BLOB_VERSION);
    ol_an_wr_u64(&v, an->next_anomaly);
    ol_an_wr_u64(&v, an->next_incident);
    ol_an_wr_i64(&v, an->now_event);
    ol_an_wr_seal(&v, 0);
    ol_buf_reset(&k);
    ol_buf_append_cstr(&k, "meta");
    if ((e = ol_an_put(an, "analysis", &k, &v)) != OL_OK) rc = e;
    ol_buf_free(&k);
    ol_buf_free(&v);
    return rc;
}

/* ---- load ---- */

typedef struct ol_an_loadctx {
    ol_analyzer_t *an;
    int rc;        /* OL_NOMEM stops the load */
    uint64_t bad;  /* blobs skipped */
} ol_an_loadctx_t;

static uint32_t ol_an_load_svc_name(ol_an_loadctx_t *c, ol_an_rd_t *r)
{
    ol_slice_t name = ol_an_rd_bytes(r, OL_AN_MAX_NAME);
    if (r->rc != OL_OK) return OL_AN_NONE;
    return ol_an_svc_find(c->an, name, true);
}

static int ol_an_load_baseline(void *arg, ol_slice_t key, ol_slice_t value, uint64_t version)
{
    ol_an_loadctx_t *c = arg;
    ol_analyzer_t *an = c->an;
    OL_UNUSED(version);
    if (key.len < 2) {
        c->bad++;
        return 0;
    }
    const char *magic = key.ptr[0] == 'r' ? "OANR" : key.ptr[0] == 'v' ? "OANV" : "OANO";
    ol_an_rd_t r = ol_an_rd_sealed(value, magic, key.ptr[0] == 'r' ? OL_AN_SERIES_VERSION : OL_AN_BLOB_VERSION);
    bool has_lat = true;
    if (r.rc != OL_OK && key.ptr[0] == 'r') { /* version 2: no pooled latency yet, it learns afresh */
        r = ol_an_rd_sealed(value, magic, 2);
        has_lat = false;
    }
    if (ol_an_rd_u64(&r) != an->opt.step_ns || r.rc != OL_OK) { /* another resolution: learn afresh */
        c->bad++;
        return 0;
    }
    if (key.ptr[0] == 'r') {
        uint32_t svc = ol_an_load_svc_name(c, &r);
        uint8_t scope = ol_an_rd_u8(&r), kind = ol_an_rd_u8(&r);
        ol_slice_t name = ol_an_rd_bytes(&r, OL_AN_MAX_NAME);
        ol_an_watch_t w[OL_AN_M__COUNT];
        ol_an_sig_t cnt[OL_AN_M__COUNT];
        ol_an_uni_t *u[OL_AN_M__COUNT] = {0};
        ol_an_lathist_t *lh[OL_AN_M__COUNT] = {0};
        for (uint32_t m = 0; m < OL_AN_M__COUNT; m++) {
            ol_an_rd_watch(&r, &w[m]);
            cnt[m].p0 = ol_an_rd_f64(&r);
            cnt[m].p0_weight = ol_an_rd_f64(&r);
            cnt[m].disp = ol_an_rd_f64(&r);
            cnt[m].win_i = ol_an_rd_u32(&r);
            for (uint32_t i = 0; i < OL_AN_WIN; i++) {
                cnt[m].win_e[i] = ol_an_rd_u32(&r);
                cnt[m].win_n[i] = ol_an_rd_u32(&r);
            }
            if (!(cnt[m].p0 >= 0 && cnt[m].p0 <= 1) || !(cnt[m].p0_weight >= 0) || cnt[m].win_i >= OL_AN_WIN ||
                !(cnt[m].disp >= 1 && cnt[m].disp <= 1e6))
                r.rc = OL_CORRUPT;
            ol_slice_t blob = ol_an_rd_bytes(&r, OL_STATE_MAX_VALUE);
            if (r.rc == OL_OK && ol_an_uni_load(blob, &u[m]) != OL_OK) r.rc = OL_CORRUPT;
            if (has_lat) {
                ol_slice_t lb = ol_an_rd_bytes(&r, OL_STATE_MAX_VALUE);
                if (r.rc == OL_OK && (lb.len != 0) != (m == OL_AN_M_LATENCY)) r.rc = OL_CORRUPT;
                if (r.rc == OL_OK && lb.len && ol_an_lathist_load(lb, &lh[m]) != OL_OK) r.rc = OL_CORRUPT;
            }
        }
        uint32_t ser = r.rc == OL_OK && r.left == 0 && svc != OL_AN_NONE && scope <= OL_AN_SCOPE_EDGE
                           ? (scope == OL_AN_SCOPE_SERVICE ? an->svcs[svc].series[0]
                                                           : ol_an_series_find(an, svc, scope, kind, name, true))
                           : OL_AN_NONE;
        if (ser == OL_AN_NONE) {
            for (uint32_t m = 0; m < OL_AN_M__COUNT; m++) {
                ol_an_uni_destroy(u[m]);
                ol_an_lathist_destroy(lh[m]);
            }
            c->bad++;
            return 0;
        }
        for (uint32_t m = 0; m < OL_AN_M__COUNT; m++) {
            ol_an_sig_t *g = &an->sigs[an->series[ser].sig[m]];
            ol_an_uni_destroy(g->uni);
            g->uni = u[m];
            if (lh[m]) {
                ol_an_lathist_destroy(g->lat);
                g->lat = lh[m];
            }
            g->w = w[m];
            g->p0 = cnt[m].p0;
            g->p0_weight = cnt[m].p0_weight;
            g->disp = cnt[m].disp;
            g->win_i = cnt[m].win_i;
            memcpy(g->win_e, cnt[m].win_e, sizeof g->win_e);
            memcpy(g->win_n, cnt[m].win_n, sizeof g->win_n);
        }
        return 0;
    }
    if (key.ptr[0] == 'v') {
        uint32_t svc = ol_an_load_svc_name(c, &r);
        uint64_t last = ol_an_rd_u64(&r), steps = ol_an_rd_u64(&r);
        uint32_t n_peers = ol_an_rd_count(&r, 100000, 4);
        for (uint32_t i = 0; i < n_peers && r.rc == OL_OK; i++) {
            uint32_t p = ol_an_load_svc_name(c, &r);
            if (p != OL_AN_NONE && svc != OL_AN_NONE && p != svc) {
                ol_an_svc_t *s = &an->svcs[svc];
                bool have = false;
                for (uint32_t j = 0; j < s->n_peers; j++) have |= s->peers[j] == p;
                if (!have && ol_an_grow((void **)&s->peers, &s->cap_peers, s->n_peers + 1, sizeof *s->peers) == OL_OK)
                    s->peers[s->n_peers++] = p;
            }
        }
        ol_an_watch_t w;
        ol_an_rd_watch(&r, &w);
        double x[OL_AN_VEC_DIM];
        ol_an_rd_f64s(&r, x, OL_AN_VEC_DIM);
        ol_slice_t fb = ol_an_rd_bytes(&r, OL_STATE_MAX_VALUE), ab = ol_an_rd_bytes(&r, OL_STATE_MAX_VALUE);
        ol_an_iforest_t *f = NULL;
        ol_an_autoenc_t *a = NULL;
        if (r.rc == OL_OK && fb.len && (ol_an_iforest_load(fb, &f) != OL_OK || ol_an_autoenc_load(ab, &a) != OL_OK))
            r.rc = OL_CORRUPT;
        if (r.rc != OL_OK || r.left || svc == OL_AN_NONE) {
            ol_an_iforest_destroy(f);
            ol_an_autoenc_destroy(a);
            c->bad++;
            return 0;
        }
        ol_an_svc_t *s = &an->svcs[svc];
        s->last_bucket = last;
        s->resumed = true;
        s->steps = steps;
        s->w_vec = w;
        memcpy(s->last_x, x, sizeof x);
        ol_an_iforest_destroy(s->forest);
        ol_an_autoenc_destroy(s->ae);
        s->forest = f;
        s->ae = a;
        return 0;
    }
    /* an SLO: only if it is still declared, and declared alike */
    ol_slice_t sname = ol_slice(key.ptr + 2, key.len - 2);
    ol_slice_t svc = ol_an_rd_bytes(&r, OL_AN_SLO_NAME_MAX), op = ol_an_rd_bytes(&r, OL_AN_SLO_NAME_MAX);
    uint8_t kind = ol_an_rd_u8(&r);
    double objective = ol_an_rd_f64(&r), threshold = ol_an_rd_f64(&r);
    uint32_t period = ol_an_rd_u32(&r);
    ol_an_watch_t ws, wf;
    ol_an_rd_watch(&r, &ws);
    ol_an_rd_watch(&r, &wf);
    ol_slice_t sb = ol_an_rd_bytes(&r, OL_STATE_MAX_VALUE), fb = ol_an_rd_bytes(&r, OL_STATE_MAX_VALUE);
    ol_an_slo_ent_t *e = NULL;
    for (uint32_t i = 0; i < an->n_slos && !e; i++) {
        ol_an_slo_ent_t *o = &an->slos[i];
        if (ol_slice_eq_cstr(sname, o->decl.name) && ol_slice_eq_cstr(svc, o->decl.service) &&
            ol_slice_eq_cstr(op, o->decl.operation) && kind == o->decl.kind && objective == o->decl.objective &&
            (threshold == o->decl.threshold_ms || (threshold != threshold && o->decl.threshold_ms != o->decl.threshold_ms)) &&
            period == o->decl.period_days)
            e = o;
    }
    if (!e || r.rc != OL_OK || r.left) {
        if (e || r.rc != OL_OK) c->bad++;
        return 0;
    }
    ol_an_slo_t *s = NULL;
    ol_an_fc_t *f = NULL;
    if (ol_an_slo_load(sb, &s) != OL_OK || (fb.len && ol_an_fc_load(fb, &f) != OL_OK) || !fb.len != !e->fc) {
        ol_an_slo_destroy(s);
        ol_an_fc_destroy(f);
        c->bad++;
        return 0;
    }
    ol_an_slo_destroy(e->slo);
    ol_an_fc_destroy(e->fc);
    e->slo = s;
    e->fc = f;
    e->w_slo = ws;
    e->w_fc = wf;
    return 0;
}

static int ol_an_load_anomaly(void *arg, ol_slice_t key, ol_slice_t value, uint64_t version)
{
    ol_an_loadctx_t *c = arg;
    ol_analyzer_t *an = c->an;
    OL_UNUSED(key);
    OL_UNUSED(version);
    uint32_t nf = 8;
    ol_an_rd_t r = ol_an_rd_sealed(value, "OANA", OL_AN_ANOM_VERSION);
    if (r.rc != OL_OK) {
        r = ol_an_rd_sealed(value, "OANA", 1);
        nf = 5;
    }
    ol_an_anom_t a = {0};
    a.id = ol_an_rd_u64(&r);
    a.incident = ol_an_rd_u64(&r);
    a.open = ol_an_rd_u8(&r) != 0;
    a.signal = ol_an_rd_u8(&r);
    a.det = ol_an_rd_u8(&r);
    a.scope = ol_an_rd_u8(&r);
    a.kind = ol_an_rd_u8(&r);
    a.onset_ns = ol_an_rd_i64(&r);
    a.end_ns = ol_an_rd_i64(&r);
    a.last_ns = ol_an_rd_i64(&r);
    double f[8] = {0};
    ol_an_rd_f64s(&r, f, nf);
    ol_slice_t svc = ol_an_rd_bytes(&r, OL_AN_MAX_NAME), name = ol_an_rd_bytes(&r, OL_AN_MAX_NAME);
    if (r.rc != OL_OK || r.left || a.signal >= OL_AN_A__COUNT || a.scope > OL_AN_SCOPE_EDGE ||
        a.det >= OL_AN_DET__COUNT || !a.id || !(f[5] >= 0 && f[5] <= 1 && f[6] >= 0 && f[6] <= 1 && f[7] >= 0) || (an->n_anoms && a.id <= an->anoms[an->n_anoms - 1].id) ||
        an->n_anoms >= OL_AN_MAX_ANOMALIES) {
        c->bad++;
        return 0;
    }
    if (ol_an_grow((void **)&an->anoms, &an->cap_anoms, an->n_anoms + 1, sizeof *an->anoms) != OL_OK) {
        c->rc = OL_NOMEM;
        return 1;
    }
    a.score = f[0];
    a.value = f[1];
    a.expected = f[2];
    a.deviation = f[3];
    a.peak = f[4];
    a.share = f[5];
    a.share_expected = f[6];
    a.threshold = f[7];
    a.service = ol_strndup(OL_MEM_ANALYZE, (const char *)svc.ptr, svc.len);
    a.name = ol_strndup(OL_MEM_ANALYZE, name.len ? (const char *)name.ptr : "", name.len);
    if (!a.service || !a.name) {
        ol_an_anom_free(&a);
        c->rc = OL_NOMEM;
        return 1;
    }
    ol_an_explain(an, &a);
    an->anoms[an->n_anoms++] = a;
    if (a.id >= an->next_anomaly) an->next_anomaly = a.id + 1;
    return 0;
}

static int ol_an_load_incident(void *arg, ol_slice_t key, ol_slice_t value, uint64_t version)
{
    ol_an_loadctx_t *c = arg;
    ol_analyzer_t *an = c->an;
    OL_UNUSED(key);
    OL_UNUSED(version);
    ol_an_rd_t r = ol_an_rd_sealed(value, "OANI", OL_AN_BLOB_VERSION);
    ol_an_incident_t inc = {0};
    inc.id = ol_an_rd_u64(&r);
    inc.open = ol_an_rd_u8(&r) != 0;
    inc.alerted = ol_an_rd_u8(&r) != 0;
    inc.severity = ol_an_rd_u8(&r);
    inc.n_open = ol_an_rd_u32(&r);
    inc.onset_ns = ol_an_rd_i64(&r);
    inc.end_ns = ol_an_rd_i64(&r);
    inc.created_ns = ol_an_rd_i64(&r);
    ol_slice_t root = ol_an_rd_bytes(&r, OL_AN_MAX_NAME);
    uint32_t n = ol_an_rd_count(&r, OL_AN_MAX_INCIDENT_SVCS, 4);
    for (uint32_t i = 0; i < n && r.rc == OL_OK; i++) {
        uint32_t s = ol_an_load_svc_name(c, &r);
        if (s == OL_AN_NONE) r.rc = OL_CORRUPT;
        else inc.svcs[inc.n_svcs++] = s;
    }
    if (r.rc != OL_OK || r.left || !inc.id || inc.severity > 1) {
        c->bad++;
        return 0;
    }
    memcpy(inc.root, root.ptr, root.len);
    inc.root[root.len] = 0;
    if (ol_an_grow((void **)&an->incs, &an->cap_incs, an->n_incs + 1, sizeof *an->incs) != OL_OK) {
        c->rc = OL_NOMEM;
        return 1;
    }
    an->incs[an->n_incs++] = inc;
    if (inc.id >= an->next_incident) an->next_incident = inc.id + 1;
    return 0;
}

static int ol_an_load_meta(void *arg, ol_slice_t key, ol_slice_t value, uint64_t version)
{
    ol_an_loadctx_t *c = arg;
    OL_UNUSED(version);
    if (!ol_slice_eq_cstr(key, "meta")) return 0;
    ol_an_rd_t r = ol_an_rd_sealed(value, "OANM", OL_AN_BLOB_VERSION);
    uint64_t na = ol_an_rd_u64(&r), ni = ol_an_rd_u64(&r);
    int64_t now = ol_an_rd_i64(&r);
    if (r.rc != OL_OK || r.left) {
        c->bad++;
        return 0;
    }
    if (na > c->an->next_anomaly) c->an->next_anomaly = na;
    if (ni > c->an->next_incident) c->an->next_incident = ni;
    if (now > c->an->now_event) c->an->now_event = now;
    return 0;
}

/* A watch that points at an anomaly that is gone or closed starts over. */
static void ol_an_watch_fix(ol_analyzer_t *an, ol_an_watch_t *w)
{
    if (w->st != OL_AN_ST_OPEN) return;
    uint32_t i = ol_an_anom_index(an, w->anomaly);
    if (i == OL_AN_NONE || !an->anoms[i].open) *w = (ol_an_watch_t){0};
}

int ol_an_persist_load(ol_analyzer_t *an, ol_err_t *err)
{
    ol_an_loadctx_t c = {.an = an};
    int rc = ol_state_scan(an->state, "analysis", OL_SLICE_NULL, ol_an_load_meta, &c);
    if (rc == OL_OK) rc = ol_state_scan(an->state, "baseline", OL_SLICE_NULL, ol_an_load_baseline, &c);
    if (rc == OL_OK) rc = ol_state_scan(an->state, "anomaly", OL_SLICE_NULL, ol_an_load_anomaly, &c);
    if (rc == OL_OK) rc = ol_state_scan(an->state, "incident", OL_SLICE_NULL, ol_an_load_incident, &c);
    if (rc == OL_OK) rc = c.rc;
    if (rc != OL_OK) {
        ol_err_set(err, "cannot read the analysis state: %s", ol_rc_str(rc));
        return rc == OL_NOMEM ? OL_NOMEM : OL_ERR;
    }
    /* an incident's open count follows its anomalies */
    for (uint32_t i = 0; i < an->n_incs; i++) {
        ol_an_incident_t *inc = &an->incs[i];
        inc->n_open = 0;
        for (uint32_t k = 0; k < an->n_anoms; k++) inc->n_open += an->anoms[k].open && an->anoms[k].incident == inc->id;
        if (inc->open && !inc->n_open) inc->open = false;
    }
    for (uint32_t i = 0; i < an->n_sigs; i++) ol_an_watch_fix(an, &an->sigs[i].w);
    for (uint32_t i = 0; i < an->n_svcs; i++) ol_an_watch_fix(an, &an->svcs[i].w_vec);
    for (uint32_t i = 0; i < an->n_slos; i++) {
        ol_an_watch_fix(an, &an->slos[i].w_slo);
        ol_an_watch_fix(an, &an->slos[i].w_fc);
    }
    an->st.load_errors = c.bad;
    if (c.bad) ol_warn("analysis: %" PRIu64 " saved baseline or anomaly records could not be used; those start afresh", c.bad);
    if (an->n_sigs || an->n_anoms)
        ol_info("analysis: resumed %u signals of %u services, %u anomalies (%u incidents)", an->n_sigs, an->n_svcs,
                an->n_anoms, an->n_incs);
    return OL_OK;
}
