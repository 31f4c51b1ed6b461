/*
 * correlate_query.c - a correlation id's flow: GET /api/v1/correlate/{id}.
 *
 * The traces of a flow come from two places:
 *   - the index (explicit ids, and generated-form ids that a client sent as
 *     attributes or that replaced a rejected id): its trace refs;
 *   - for an id of the generated form, olly-{s}-{h}: the traces that start
 *     in second s and whose trace-id hash begins with h. First the root
 *     hints (correlate_hint.c: root spans this node stored, by second and
 *     hash); only when no hinted trace checks out is the store searched
 *     over [s, s+1) with no condition, so in parts only the trace_id and
 *     time columns of the granules overlapping that second are read
 *     (ol_store_search_traces' hit callback). A candidate is kept when its
 *     hash matches and its whole stored trace starts in that second.
 * Every candidate is then read as span briefs (ol_store_trace_briefs: one
 * read of each granule for all of them), which give the trace's real start
 * and end. Nothing about generated ids is stored: they are derived here, from
 * what every node holding the trace has, so all nodes agree.
 *
 * Logs: the records of the flow's traces, found by trace id in the traces'
 * windows widened by OL_CQ_MARGIN_NS (records come a little before or after
 * their spans), plus the trace-less records carrying the id, found in the
 * seconds the index holds for them. Metric points: the exemplars, in the same
 * windows, whose trace id is one of the flow's.
 *
 * Everything is bounded (traces, spans, logs, points); "truncated" says
 * when a bound cut the answer. Views the store hands out live only during
 * its callback, so what is kept is copied into the query's arena.
 */
#include <stdlib.h>

#include "codec/json.h"
#include "core/alloc.h"
#include "core/util.h"
#include "pipeline/correlate_int.h"
#include "query/exemplars.h"

#define OL_CQ_MAX_CANDIDATES 2048 /* trace ids looked at */
#define OL_CQ_MAX_TRACES 100      /* traces answered (earliest first) */
#define OL_CQ_MAX_SPANS 10000     /* spans answered, over all traces */
#define OL_CQ_MAX_LOGS 1000
#define OL_CQ_MAX_POINTS 1000
#define OL_CQ_MARGIN_NS (10ull * 1000000000ull)
#define OL_CQ_SEC 1000000000ull
#define OL_CQ_ARENA_CAP (256u << 20)

typedef struct ol_cq_cand {
    uint8_t id[16];
    bool indexed;     /* from the index (else a generated-id candidate to verify) */
} ol_cq_cand_t;

typedef struct ol_cq_span {
    uint8_t span_id[8];
    bool root;
    int32_t status;
    uint64_t start_ns, end_ns;
    ol_slice_t service, name;
    uint32_t trace; /* index into traces */
} ol_cq_span_t;

typedef struct ol_cq_trace {
    uint8_t id[16];
    uint64_t start_ns, end_ns;
    size_t n_spans;               /* in the store */
    size_t first_span, kept_spans; /* in the span array */
    ol_slice_t *services;
    size_t n_services;
    uint32_t orig; /* position before sorting */
} ol_cq_trace_t;

typedef struct ol_cq_log {
    uint64_t time_ns, observed_ns;
    int32_t severity;
    ol_slice_t severity_text, service, body, attrs_json;
    uint8_t trace_id[16], span_id[8];
    bool has_trace, has_span;
} ol_cq_log_t;

typedef struct ol_cq_point {
    ol_slice_t metric, service;
    ol_metric_type_t type;
    uint64_t time_ns;
    bool is_int;
    int64_t as_int;
    double as_double;
    uint8_t trace_id[16], span_id[8];
    bool has_span;
} ol_cq_point_t;

typedef struct ol_cq_window {
    uint64_t start_ns, end_ns;
} ol_cq_window_t;

typedef struct ol_cq {
    ol_correlate_t *c;
    ol_slice_t id;
    bool generated;
    uint64_t second;
    uint32_t hash;
    ol_arena_t *a;
    int rc;
    bool truncated;
    ol_buf_t tmp;
    ol_cix_ref_t *refs;
    size_t n_refs;
    ol_cq_cand_t *cands;
    size_t n_cands, cap_cands, cursor;
    size_t n_named; /* traces the generated id names */
    ol_cq_trace_t *traces;
    size_t n_traces, cap_traces;
    ol_cq_span_t *spans;
    size_t n_spans, cap_spans;
    uint8_t (*tids)[16]; /* sorted: the flow's trace ids (found or indexed) */
    size_t n_tids;
    uint64_t *tkeys;     /* their first 8 bytes, same order: the cheap test */
    uint64_t *secs;      /* sorted: the seconds of the id's trace-less records */
    size_t n_secs;
    ol_cq_window_t *wins;
    size_t n_wins, cap_wins;
    ol_cq_log_t *logs;
    size_t n_logs, cap_logs;
    ol_cq_point_t *points;
    size_t n_points, cap_points;
} ol_cq_t;

static void *ol_cq_grow(ol_cq_t *q, void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return *p;
    if (ol_grow_array(OL_MEM_QUERY, p, cap, need, elem) != OL_OK) {
        q->rc = OL_NOMEM;
        return NULL;
    }
    return *p;
}

static ol_slice_t ol_cq_copy(ol_cq_t *q, ol_slice_t s)
{
    if (!s.len) return OL_SLICE_NULL;
    void *p = ol_arena_memdup(q->a, s.ptr, s.len);
    if (!p) {
        q->rc = OL_NOMEM;
        return OL_SLICE_NULL;
    }
    return ol_slice(p, s.len);
}

/* qsort, which must not be given a NULL array even for zero elements. */
static void ol_cq_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1) qsort(base, n, size, cmp);
}

static int ol_cq_id_cmp(const void *a, const void *b) { return memcmp(a, b, 16); }

static int ol_cq_u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Called for every log record in the windows: a compare of 8 bytes per
 * trace of the flow (a binary search for big flows) before any memcmp. */
static bool ol_cq_in_flow(const ol_cq_t *q, const uint8_t *tid)
{
    uint64_t k = ol_load_le64(tid);
    if (q->n_tids <= 8) {
        for (size_t i = 0; i < q->n_tids; i++)
            if (q->tkeys[i] == k && memcmp(q->tids[i], tid, 16) == 0) return true;
        return false;
    }
    return bsearch(tid, q->tids, q->n_tids, 16, ol_cq_id_cmp) != NULL;
}

/* ---- candidates ---- */

/* Index refs are distinct (the index keeps one per trace) and come first;
 * generated-id candidates (a handful) are checked against everything. */
static void ol_cq_add_cand(ol_cq_t *q, const uint8_t *tid, bool indexed)
{
    for (size_t i = 0; !indexed && i < q->n_cands; i++)
        if (memcmp(q->cands[i].id, tid, 16) == 0) return;
    if (q->n_cands >= OL_CQ_MAX_CANDIDATES) {
        q->truncated = true;
        return;
    }
    if (!ol_cq_grow(q, (void **)&q->cands, &q->cap_cands, q->n_cands + 1, sizeof *q->cands)) return;
    ol_cq_cand_t *cd = &q->cands[q->n_cands++];
    memcpy(cd->id, tid, 16);
    cd->indexed = indexed;
}

static void ol_cq_gen_check(ol_cq_t *q, const uint8_t *tid)
{
    if (ol_cid_hash32(tid, 16) == q->hash) ol_cq_add_cand(q, tid, false);
}

static int ol_cq_head_cb(void *ud, const ol_store_trace_t *t)
{
    ol_cq_t *q = ud;
    ol_cq_gen_check(q, t->trace_id);
    return q->rc;
}

static int ol_cq_hit_cb(void *ud, const uint8_t trace_id[16], uint64_t start_ns, uint64_t end_ns)
{
    ol_cq_t *q = ud;
    (void)start_ns;
    (void)end_ns;
    ol_cq_gen_check(q, trace_id);
    return q->rc;
}

static int ol_cq_index(ol_cq_t *q)
{
    ol_correlate_t *c = q->c;
    pthread_mutex_lock(&c->mu);
    const ol_cix_entry_t *e = ol_cix_get(&c->ix, q->id);
    if (e && e->n_refs) {
        q->refs = ol_arena_memdup(q->a, e->refs, e->n_refs * sizeof *e->refs);
        q->n_refs = q->refs ? e->n_refs : 0;
        if (!q->refs) q->rc = OL_NOMEM;
    }
    pthread_mutex_unlock(&c->mu);
    for (size_t i = 0; i < q->n_refs && q->rc == OL_OK; i++) {
        static const uint8_t zero[16];
        if (memcmp(q->refs[i].trace_id, zero, 16) != 0) ol_cq_add_cand(q, q->refs[i].trace_id, true);
    }
    return q->rc;
}

/* ---- traces ---- */

static int ol_cq_slice_cmp(const void *a, const void *b)
{
    const ol_slice_t *x = a, *y = b;
    size_t n = OL_MIN(x->len, y->len);
    int r = n ? memcmp(x->ptr, y->ptr, n) : 0;
    return r ? r : (x->len > y->len) - (x->len < y->len);
}

static int ol_cq_brief_cb(void *ud, const ol_store_trace_brief_t *t)
{
    ol_cq_t *q = ud;
    /* Briefs come in the order the ids were given. */
    while (q->cursor < q->n_cands && memcmp(q->cands[q->cursor].id, t->trace_id, 16) != 0) q->cursor++;
    if (q->cursor >= q->n_cands || !t->n_spans) return OL_OK;
    const ol_cq_cand_t *cd = &q->cands[q->cursor];
    /* a generated id names a trace that starts in its second and whose hash it shows */
    bool named = q->generated && t->start_ns / OL_CQ_SEC == q->second && ol_cid_hash32(t->trace_id, 16) == q->hash;
    if (!cd->indexed && !named) return OL_OK;
    q->n_named += named;
    if (!ol_cq_grow(q, (void **)&q->traces, &q->cap_traces, q->n_traces + 1, sizeof *q->traces)) return q->rc;
    ol_cq_trace_t *tr = &q->traces[q->n_traces];
    memset(tr, 0, sizeof *tr);
    memcpy(tr->id, t->trace_id, 16);
    tr->start_ns = t->start_ns;
    tr->end_ns = t->end_ns;
    tr->n_spans = t->n_spans;
    tr->orig = (uint32_t)q->n_traces;
    /* services, sorted and distinct */
    tr->services = ol_arena_alloc(q->a, t->n_spans * sizeof *tr->services);
    if (!tr->services) return q->rc = OL_NOMEM;
    for (size_t i = 0; i < t->n_spans; i++) tr->services[i] = t->spans[i].service;
    ol_cq_sort(tr->services, t->n_spans, sizeof *tr->services, ol_cq_slice_cmp);
    for (size_t i = 0; i < t->n_spans; i++)
        if (!tr->n_services || !ol_slice_eq(tr->services[tr->n_services - 1], tr->services[i]))
            tr->services[tr->n_services++] = tr->services[i];
    for (size_t i = 0; i < tr->n_services; i++) tr->services[i] = ol_cq_copy(q, tr->services[i]);
    /* spans, within the bound */
    tr->first_span = q->n_spans;
    size_t keep = OL_MIN(t->n_spans, OL_CQ_MAX_SPANS - OL_MIN(q->n_spans, (size_t)OL_CQ_MAX_SPANS));
    if (keep < t->n_spans) q->truncated = true;
    if (keep && !ol_cq_grow(q, (void **)&q->spans, &q->cap_spans, q->n_spans + keep, sizeof *q->spans))
        return q->rc;
    for (size_t i = 0; i < keep; i++) {
        const ol_store_span_brief_t *b = &t->spans[i];
        ol_cq_span_t *sp = &q->spans[q->n_spans++];
        memcpy(sp->span_id, b->span_id, 8);
        sp->root = !b->has_parent;
        sp->status = b->status_code;
        sp->start_ns = b->start_ns;
        sp->end_ns = b->end_ns;
        sp->service = ol_cq_copy(q, b->service);
        sp->name = ol_cq_copy(q, b->name);
        sp->trace = (uint32_t)q->n_traces;
    }
    tr->kept_spans = keep;
    q->n_traces++;
    return q->rc;
}

static int ol_cq_trace_start_cmp(const void *a, const void *b)
{
    const ol_cq_trace_t *x = a, *y = b;
    if (x->start_ns != y->start_ns) return x->start_ns < y->start_ns ? -1 : 1;
    return memcmp(x->id, y->id, 16);
}

/* By trace, then as briefs order them: (start, span id). */
static int ol_cq_span_cmp(const void *a, const void *b)
{
    const ol_cq_span_t *x = a, *y = b;
    if (x->trace != y->trace) return x->trace < y->trace ? -1 : 1;
    if (x->start_ns != y->start_ns) return x->start_ns < y->start_ns ? -1 : 1;
    return memcmp(x->span_id, y->span_id, 8);
}

/* Briefs of the candidates from `from` on. */
static int ol_cq_briefs(ol_cq_t *q, size_t from)
{
    size_t n = q->n_cands - from;
    if (!n) return q->rc;
    uint8_t (*ids)[16] = ol_arena_alloc(q->a, n * sizeof *ids);
    if (!ids) return OL_NOMEM;
    for (size_t i = 0; i < n; i++) memcpy(ids[i], q->cands[from + i].id, 16);
    q->cursor = from;
    int rc = ol_store_trace_briefs(q->c->store, (const uint8_t(*)[16])ids, n, ol_cq_brief_cb, q);
    return rc != OL_OK ? rc : q->rc;
}

#define OL_CQ_MAX_HINTS 16

static int ol_cq_traces(ol_cq_t *q)
{
    if (q->generated) { /* root hints first: usually the trace itself */
        uint8_t hinted[OL_CQ_MAX_HINTS][16];
        pthread_mutex_lock(&q->c->mu);
        size_t n = ol_chints_find(&q->c->hints, q->second, q->hash, hinted, OL_CQ_MAX_HINTS);
        pthread_mutex_unlock(&q->c->mu);
        for (size_t i = 0; i < n; i++) ol_cq_add_cand(q, hinted[i], false);
    }
    int rc = ol_cq_briefs(q, 0);
    if (rc != OL_OK) return rc;
    if (q->generated && !q->n_named) { /* no hint checked out: search the second */
        atomic_fetch_add(&q->c->searches, 1);
        size_t from = q->n_cands;
        ol_store_span_filter_t f = {.status = -1};
        uint64_t s = q->second * OL_CQ_SEC;
        rc = ol_store_search_traces(q->c->store, s, s + OL_CQ_SEC, &f, ol_cq_head_cb, ol_cq_hit_cb, q);
        if (rc == OL_OK) rc = q->rc;
        if (rc == OL_OK) rc = ol_cq_briefs(q, from);
        if (rc != OL_OK) return rc;
    }
    /* Spans point at their trace by position: sort, then renumber. Traces
     * beyond the bound are dropped with their spans. */
    uint32_t *order = ol_arena_alloc(q->a, (q->n_traces ? q->n_traces : 1) * sizeof *order);
    if (!order) return OL_NOMEM;
    ol_cq_sort(q->traces, q->n_traces, sizeof *q->traces, ol_cq_trace_start_cmp);
    for (size_t i = 0; i < q->n_traces; i++) order[q->traces[i].orig] = (uint32_t)i;
    for (size_t i = 0; i < q->n_spans; i++) q->spans[i].trace = order[q->spans[i].trace];
    if (q->n_traces > OL_CQ_MAX_TRACES) {
        q->n_traces = OL_CQ_MAX_TRACES;
        q->truncated = true;
        size_t n = 0;
        for (size_t i = 0; i < q->n_spans; i++)
            if (q->spans[i].trace < OL_CQ_MAX_TRACES) q->spans[n++] = q->spans[i];
        q->n_spans = n;
    }
    ol_cq_sort(q->spans, q->n_spans, sizeof *q->spans, ol_cq_span_cmp);
    return OL_OK;
}

/* ---- windows, logs and points ---- */

static void ol_cq_add_window(ol_cq_t *q, uint64_t start_ns, uint64_t end_ns)
{
    if (!ol_cq_grow(q, (void **)&q->wins, &q->cap_wins, q->n_wins + 1, sizeof *q->wins)) return;
    q->wins[q->n_wins++] = (ol_cq_window_t){start_ns, end_ns};
}

static uint64_t ol_cq_sub(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }
static uint64_t ol_cq_add(uint64_t a, uint64_t b) { return a < UINT64_MAX - b ? a + b : UINT64_MAX; }

static int ol_cq_window_cmp(const void *a, const void *b)
{
    const ol_cq_window_t *x = a, *y = b;
    return (x->start_ns > y->start_ns) - (x->start_ns < y->start_ns);
}

/* The flow's trace ids (sorted) and the merged windows its logs and
 * points are looked for in. */
static int ol_cq_windows(ol_cq_t *q)
{
    static const uint8_t zero[16];
    size_t n = q->n_traces + q->n_cands;
    q->tids = ol_arena_alloc(q->a, (n ? n : 1) * 16);
    if (!q->tids) return OL_NOMEM;
    for (size_t i = 0; i < q->n_traces; i++) {
        memcpy(q->tids[q->n_tids++], q->traces[i].id, 16);
        ol_cq_add_window(q, ol_cq_sub(q->traces[i].start_ns, OL_CQ_MARGIN_NS),
                         ol_cq_add(OL_MAX(q->traces[i].end_ns, q->traces[i].start_ns), OL_CQ_MARGIN_NS));
    }
    ol_cq_sort(q->tids, q->n_tids, 16, ol_cq_id_cmp);
    size_t n_found = q->n_tids;
    for (size_t i = 0; i < q->n_refs; i++) {
        const ol_cix_ref_t *r = &q->refs[i];
        if (memcmp(r->trace_id, zero, 16) == 0) {
            ol_cq_add_window(q, r->time_ns, ol_cq_add(r->time_ns, OL_CQ_SEC));
            continue;
        }
        if (n_found && bsearch(r->trace_id, q->tids, n_found, 16, ol_cq_id_cmp)) continue;
        /* a trace of the flow whose spans are not stored (or not yet): its logs around the ref's time */
        memcpy(q->tids[q->n_tids++], r->trace_id, 16);
        ol_cq_add_window(q, ol_cq_sub(r->time_ns, OL_CQ_MARGIN_NS), ol_cq_add(r->time_ns, OL_CQ_MARGIN_NS));
    }
    if (q->rc != OL_OK) return q->rc;
    ol_cq_sort(q->tids, q->n_tids, 16, ol_cq_id_cmp);
    q->tkeys = ol_arena_alloc(q->a, (q->n_tids ? q->n_tids : 1) * sizeof *q->tkeys);
    q->secs = ol_arena_alloc(q->a, (q->n_refs ? q->n_refs : 1) * sizeof *q->secs);
    if (!q->tkeys || !q->secs) return OL_NOMEM;
    for (size_t i = 0; i < q->n_tids; i++) q->tkeys[i] = ol_load_le64(q->tids[i]);
    for (size_t i = 0; i < q->n_refs; i++)
        if (memcmp(q->refs[i].trace_id, zero, 16) == 0) q->secs[q->n_secs++] = q->refs[i].time_ns;
    ol_cq_sort(q->secs, q->n_secs, sizeof *q->secs, ol_cq_u64_cmp);
    ol_cq_sort(q->wins, q->n_wins, sizeof *q->wins, ol_cq_window_cmp);
    size_t m = 0;
    for (size_t i = 0; i < q->n_wins; i++) {
        if (m && q->wins[i].start_ns <= q->wins[m - 1].end_ns)
            q->wins[m - 1].end_ns = OL_MAX(q->wins[m - 1].end_ns, q->wins[i].end_ns);
        else q->wins[m++] = q->wins[i];
    }
    q->n_wins = m;
    return OL_OK;
}

typedef struct ol_cq_attrs {
    ol_cq_t *q;
    ol_buf_t *out;
    size_t n;
    bool has_id; /* an id attribute equal to q->id */
} ol_cq_attrs_t;

static int ol_cq_attr_cb(void *ud, ol_slice_t key, ol_slice_t any_value)
{
    ol_cq_attrs_t *w = ud;
    ol_otlp_any_t v;
    if (ol_cid_is_key(key)) {
        ol_otlp_any_parse(any_value, &v);
        if (v.kind == 1 && ol_slice_eq(v.bytes, w->q->id)) w->has_id = true;
    }
    if (!w->out) return OL_OK;
    ol_buf_append_u8(w->out, w->n++ ? ',' : '{');
    ol_json_write_string(w->out, key);
    ol_buf_append_u8(w->out, ':');
    ol_buf_reset(&w->q->tmp);
    ol_otlp_anyvalue_text(any_value, &w->q->tmp);
    ol_json_write_string(w->out, ol_buf_slice(&w->q->tmp));
    return OL_OK;
}

static int ol_cq_log_cb(void *ud, const ol_otlp_log_t *l)
{
    ol_cq_t *q = ud;
    if (l->trace_id.len == 16) {
        /* a record with a trace id belongs to its trace's flow, and the
         * index holds the trace of every record that carried the id */
        if (!ol_cq_in_flow(q, l->trace_id.ptr)) return OL_OK;
    } else {
        /* a trace-less record: only in the seconds the index holds, and only carrying the id */
        uint64_t t = l->time_ns ? l->time_ns : l->observed_ns;
        t -= t % OL_CQ_SEC;
        if (!q->n_secs || !bsearch(&t, q->secs, q->n_secs, sizeof t, ol_cq_u64_cmp)) return OL_OK;
        if (!ol_cid_maybe(l->raw) || !memmem(l->raw.ptr, l->raw.len, q->id.ptr, q->id.len)) return OL_OK;
        ol_cq_attrs_t w = {.q = q};
        ol_otlp_each_attribute(l->raw, OL_CID_LOG_ATTRS, ol_cq_attr_cb, &w);
        if (!w.has_id) return OL_OK;
    }
    if (q->n_logs >= OL_CQ_MAX_LOGS) {
        q->truncated = true;
        return OL_STORE_STOP;
    }
    if (!ol_cq_grow(q, (void **)&q->logs, &q->cap_logs, q->n_logs + 1, sizeof *q->logs)) return q->rc;
    ol_cq_log_t *lg = &q->logs[q->n_logs++];
    memset(lg, 0, sizeof *lg);
    lg->time_ns = l->time_ns;
    lg->observed_ns = l->observed_ns;
    lg->severity = l->severity_number;
    lg->severity_text = ol_cq_copy(q, l->severity_text);
    lg->service = ol_cq_copy(q, ol_store_service_of(l->origin));
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_QUERY, 0);
    if (l->body.len) ol_otlp_anyvalue_text(l->body, &b);
    lg->body = ol_cq_copy(q, ol_buf_slice(&b));
    ol_buf_reset(&b);
    ol_cq_attrs_t w = {.q = q, .out = &b};
    ol_otlp_each_attribute(l->raw, OL_CID_LOG_ATTRS, ol_cq_attr_cb, &w);
    ol_buf_append_cstr(&b, w.n ? "}" : "{}");
    if (b.err || q->tmp.err) q->rc = OL_NOMEM;
    lg->attrs_json = ol_cq_copy(q, ol_buf_slice(&b));
    ol_buf_free(&b);
    if ((lg->has_trace = l->trace_id.len == 16)) memcpy(lg->trace_id, l->trace_id.ptr, 16);
    if ((lg->has_span = l->span_id.len == 8)) memcpy(lg->span_id, l->span_id.ptr, 8);
    return q->rc;
}

static int ol_cq_point_cb(void *ud, const ol_exemplar_t *e)
{
    ol_cq_t *q = ud;
    if (e->trace_id.len != 16 || !ol_cq_in_flow(q, e->trace_id.ptr)) return OL_OK;
    if (q->n_points >= OL_CQ_MAX_POINTS) {
        q->truncated = true;
        return OL_STORE_STOP;
    }
    if (!ol_cq_grow(q, (void **)&q->points, &q->cap_points, q->n_points + 1, sizeof *q->points)) return q->rc;
    ol_cq_point_t *p = &q->points[q->n_points++];
    memset(p, 0, sizeof *p);
    p->metric = ol_cq_copy(q, e->metric);
    p->service = ol_cq_copy(q, e->service);
    p->type = e->type;
    p->time_ns = e->time_ns ? e->time_ns : e->point_time_ns;
    p->is_int = e->is_int;
    p->as_int = e->as_int;
    p->as_double = e->as_double;
    memcpy(p->trace_id, e->trace_id.ptr, 16);
    if ((p->has_span = e->span_id.len == 8)) memcpy(p->span_id, e->span_id.ptr, 8);
    return q->rc;
}

static int ol_cq_log_time_cmp(const void *a, const void *b)
{
    const ol_cq_log_t *x = a, *y = b;
    uint64_t tx = x->time_ns ? x->time_ns : x->observed_ns, ty = y->time_ns ? y->time_ns : y->observed_ns;
    return (tx > ty) - (tx < ty);
}

static int ol_cq_point_time_cmp(const void *a, const void *b)
{
    const ol_cq_point_t *x = a, *y = b;
    if (x->time_ns != y->time_ns) return x->time_ns < y->time_ns ? -1 : 1;
    return ol_cq_slice_cmp(&x->metric, &y->metric);
}

static int ol_cq_logs_points(ol_cq_t *q)
{
    int rc = OL_OK;
    for (size_t i = 0; i < q->n_wins && rc == OL_OK && q->n_logs < OL_CQ_MAX_LOGS; i++)
        rc = ol_store_scan_logs(q->c->store, q->wins[i].start_ns, q->wins[i].end_ns, ol_cq_log_cb, q);
    if (rc == OL_OK) rc = q->rc;
    for (size_t i = 0; i < q->n_wins && rc == OL_OK && q->n_tids && q->n_points < OL_CQ_MAX_POINTS; i++)
        rc = ol_exemplars_each(q->c->store, OL_SLICE_NULL, q->wins[i].start_ns, q->wins[i].end_ns, ol_cq_point_cb,
                               q);
    if (rc == OL_OK) rc = q->rc;
    if (rc != OL_OK) return rc;
    ol_cq_sort(q->logs, q->n_logs, sizeof *q->logs, ol_cq_log_time_cmp);
    ol_cq_sort(q->points, q->n_points, sizeof *q->points, ol_cq_point_time_cmp);
    return OL_OK;
}

/* ---- rendering ---- */

static void ol_cq_hex_field(ol_buf_t *out, const char *name, const uint8_t *p, size_t n, bool present)
{
    ol_buf_printf(out, ",\"%s\":\"", name);
    if (present) ol_buf_append_hex(out, p, n);
    ol_buf_append_u8(out, '"');
}

static void ol_cq_time_field(ol_buf_t *out, const char *name, uint64_t ns)
{
    ol_buf_printf(out, ",\"%s\":", name);
    ol_json_write_u64_str(out, ns);
}

static const char *ol_cq_status_name(int32_t s) { return s == 2 ? "error" : s == 1 ? "ok" : "unset"; }

static void ol_cq_render_span(ol_buf_t *out, const ol_cq_span_t *sp)
{
    ol_buf_append_cstr(out, "{\"spanId\":\"");
    ol_buf_append_hex(out, sp->span_id, 8);
    ol_buf_append_cstr(out, "\",\"name\":");
    ol_json_write_string(out, sp->name);
    ol_buf_append_cstr(out, ",\"service\":");
    ol_json_write_string(out, sp->service);
    ol_cq_time_field(out, "startTimeUnixNano", sp->start_ns);
    ol_cq_time_field(out, "endTimeUnixNano", sp->end_ns);
    ol_buf_printf(out, ",\"status\":\"%s\",\"root\":%s}", ol_cq_status_name(sp->status), sp->root ? "true" : "false");
}

static void ol_cq_render_traces(ol_buf_t *out, const ol_cq_t *q)
{
    ol_buf_append_cstr(out, ",\"traces\":[");
    size_t k = 0; /* spans are sorted by trace */
    for (size_t i = 0; i < q->n_traces; i++) {
        const ol_cq_trace_t *t = &q->traces[i];
        ol_buf_append_cstr(out, i ? ",{\"traceId\":\"" : "{\"traceId\":\"");
        ol_buf_append_hex(out, t->id, 16);
        char gen[OL_CID_GENERATED_MAX + 1];
        size_t gl = ol_cid_for_trace(gen, t->id, t->start_ns);
        ol_buf_append_cstr(out, "\",\"generatedId\":");
        ol_json_write_string(out, ol_slice(gen, gl));
        ol_cq_time_field(out, "startTimeUnixNano", t->start_ns);
        ol_cq_time_field(out, "endTimeUnixNano", t->end_ns);
        ol_buf_printf(out, ",\"spanCount\":%zu,\"services\":[", t->n_spans);
        for (size_t v = 0; v < t->n_services; v++) {
            if (v) ol_buf_append_u8(out, ',');
            ol_json_write_string(out, t->services[v]);
        }
        ol_buf_append_cstr(out, "],\"spans\":[");
        for (bool first = true; k < q->n_spans && q->spans[k].trace == i; k++, first = false) {
            if (!first) ol_buf_append_u8(out, ',');
            ol_cq_render_span(out, &q->spans[k]);
        }
        ol_buf_append_cstr(out, "]}");
    }
    ol_buf_append_u8(out, ']');
}

static void ol_cq_render_log(ol_buf_t *out, const ol_cq_log_t *l)
{
    ol_buf_append_cstr(out, "{\"timeUnixNano\":");
    ol_json_write_u64_str(out, l->time_ns ? l->time_ns : l->observed_ns);
    ol_cq_time_field(out, "observedTimeUnixNano", l->observed_ns);
    ol_buf_append_cstr(out, ",\"service\":");
    ol_json_write_string(out, l->service);
    ol_buf_printf(out, ",\"severityNumber\":%d,\"severityText\":", (int)l->severity);
    ol_json_write_string(out, l->severity_text);
    ol_buf_append_cstr(out, ",\"body\":");
    ol_json_write_string(out, l->body);
    ol_cq_hex_field(out, "traceId", l->trace_id, 16, l->has_trace);
    ol_cq_hex_field(out, "spanId", l->span_id, 8, l->has_span);
    ol_buf_append_cstr(out, ",\"attributes\":");
    ol_buf_append_slice(out, l->attrs_json.len ? l->attrs_json : OL_SLICE_LIT("{}"));
    ol_buf_append_u8(out, '}');
}

static void ol_cq_value(ol_buf_t *out, const ol_cq_point_t *p)
{
    if (p->is_int) ol_buf_printf(out, "%lld", (long long)p->as_int);
    else ol_json_write_double(out, p->as_double);
}

static void ol_cq_render_point(ol_buf_t *out, const ol_cq_point_t *p)
{
    ol_buf_append_cstr(out, "{\"metric\":");
    ol_json_write_string(out, p->metric);
    ol_buf_printf(out, ",\"type\":\"%s\",\"service\":", ol_metric_type_name(p->type));
    ol_json_write_string(out, p->service);
    ol_cq_time_field(out, "timeUnixNano", p->time_ns);
    ol_buf_append_cstr(out, ",\"value\":");
    ol_cq_value(out, p);
    ol_cq_hex_field(out, "traceId", p->trace_id, 16, true);
    ol_cq_hex_field(out, "spanId", p->span_id, 8, p->has_span);
    ol_buf_append_u8(out, '}');
}

/* Timeline events: kind 0 span start, 1 log, 2 metric point, 3 span end
 * (at equal times a span opens before what happens in it and closes after). */
typedef struct ol_cq_event {
    uint64_t time_ns;
    uint8_t kind;
    uint32_t i;
} ol_cq_event_t;

static int ol_cq_event_cmp(const void *a, const void *b)
{
    const ol_cq_event_t *x = a, *y = b;
    if (x->time_ns != y->time_ns) return x->time_ns < y->time_ns ? -1 : 1;
    if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

static int ol_cq_render_timeline(ol_buf_t *out, const ol_cq_t *q)
{
    size_t n = 2 * q->n_spans + q->n_logs + q->n_points, k = 0;
    ol_cq_event_t *ev = ol_malloc(OL_MEM_QUERY, (n ? n : 1) * sizeof *ev);
    if (!ev) return OL_NOMEM;
    for (size_t i = 0; i < q->n_spans; i++) {
        ev[k++] = (ol_cq_event_t){q->spans[i].start_ns, 0, (uint32_t)i};
        ev[k++] = (ol_cq_event_t){q->spans[i].end_ns, 3, (uint32_t)i};
    }
    for (size_t i = 0; i < q->n_logs; i++) {
        const ol_cq_log_t *l = &q->logs[i];
        ev[k++] = (ol_cq_event_t){l->time_ns ? l->time_ns : l->observed_ns, 1, (uint32_t)i};
    }
    for (size_t i = 0; i < q->n_points; i++) ev[k++] = (ol_cq_event_t){q->points[i].time_ns, 2, (uint32_t)i};
    ol_cq_sort(ev, n, sizeof *ev, ol_cq_event_cmp);
    ol_buf_append_cstr(out, ",\"timeline\":[");
    for (size_t i = 0; i < n; i++) {
        const ol_cq_event_t *e = &ev[i];
        if (i) ol_buf_append_u8(out, ',');
        static const char *kinds[] = {"span_start", "log", "metric", "span_end"};
        ol_buf_printf(out, "{\"kind\":\"%s\"", kinds[e->kind]);
        ol_cq_time_field(out, "timeUnixNano", e->time_ns);
        if (e->kind == 0 || e->kind == 3) {
            const ol_cq_span_t *sp = &q->spans[e->i];
            ol_buf_append_cstr(out, ",\"service\":");
            ol_json_write_string(out, sp->service);
            ol_buf_append_cstr(out, ",\"name\":");
            ol_json_write_string(out, sp->name);
            ol_cq_hex_field(out, "traceId", q->traces[sp->trace].id, 16, true);
            ol_cq_hex_field(out, "spanId", sp->span_id, 8, true);
            if (e->kind == 3) ol_buf_printf(out, ",\"status\":\"%s\"", ol_cq_status_name(sp->status));
        } else if (e->kind == 1) {
            const ol_cq_log_t *l = &q->logs[e->i];
            ol_buf_append_cstr(out, ",\"service\":");
            ol_json_write_string(out, l->service);
            ol_buf_append_cstr(out, ",\"body\":");
            ol_json_write_string(out, l->body);
            ol_buf_append_cstr(out, ",\"severityText\":");
            ol_json_write_string(out, l->severity_text);
            ol_cq_hex_field(out, "traceId", l->trace_id, 16, l->has_trace);
            ol_cq_hex_field(out, "spanId", l->span_id, 8, l->has_span);
        } else {
            const ol_cq_point_t *p = &q->points[e->i];
            ol_buf_append_cstr(out, ",\"service\":");
            ol_json_write_string(out, p->service);
            ol_buf_append_cstr(out, ",\"name\":");
            ol_json_write_string(out, p->metric);
            ol_buf_append_cstr(out, ",\"value\":");
            ol_cq_value(out, p);
            ol_cq_hex_field(out, "traceId", p->trace_id, 16, true);
            ol_cq_hex_field(out, "spanId", p->span_id, 8, p->has_span);
        }
        ol_buf_append_u8(out, '}');
    }
    ol_buf_append_u8(out, ']');
    ol_free(OL_MEM_QUERY, ev, (n ? n : 1) * sizeof *ev);
    return OL_OK;
}

static int ol_cq_render(ol_buf_t *out, const ol_cq_t *q, bool timeline_only)
{
    ol_buf_append_cstr(out, "{\"id\":");
    ol_json_write_string(out, q->id);
    ol_buf_printf(out, ",\"generated\":%s", q->generated ? "true" : "false");
    if (!timeline_only) {
        ol_cq_render_traces(out, q);
        ol_buf_append_cstr(out, ",\"logs\":[");
        for (size_t i = 0; i < q->n_logs; i++) {
            if (i) ol_buf_append_u8(out, ',');
            ol_cq_render_log(out, &q->logs[i]);
        }
        ol_buf_append_cstr(out, "],\"metrics\":[");
        for (size_t i = 0; i < q->n_points; i++) {
            if (i) ol_buf_append_u8(out, ',');
            ol_cq_render_point(out, &q->points[i]);
        }
        ol_buf_append_u8(out, ']');
    }
    int rc = ol_cq_render_timeline(out, q);
    ol_buf_printf(out, ",\"truncated\":%s}", q->truncated ? "true" : "false");
    return rc != OL_OK ? rc : out->err;
}

/* ---- the query ---- */

static void ol_cq_free(ol_cq_t *q)
{
    ol_free(OL_MEM_QUERY, q->cands, q->cap_cands * sizeof *q->cands);
    ol_free(OL_MEM_QUERY, q->traces, q->cap_traces * sizeof *q->traces);
    ol_free(OL_MEM_QUERY, q->spans, q->cap_spans * sizeof *q->spans);
    ol_free(OL_MEM_QUERY, q->wins, q->cap_wins * sizeof *q->wins);
    ol_free(OL_MEM_QUERY, q->logs, q->cap_logs * sizeof *q->logs);
    ol_free(OL_MEM_QUERY, q->points, q->cap_points * sizeof *q->points);
    ol_buf_free(&q->tmp);
    ol_arena_destroy(q->a);
}

int ol_correlate_query(ol_correlate_t *c, ol_slice_t id, bool timeline_only, ol_buf_t *out, ol_err_t *err)
{
    if (OL_NEVER(!c || !c->store)) return OL_ERR;
    ol_cid_verdict_t v = ol_cid_check(id, ol_correlate_now_s(c));
    if (v != OL_CID_OK) {
        ol_err_set(err, "%s", ol_cid_reason_text(v));
        return OL_CORRUPT;
    }
    ol_cq_t q = {.c = c, .id = id};
    q.generated = ol_cid_parse_generated(id, &q.second, &q.hash);
    atomic_fetch_add(&c->lookups[q.generated ? OL_CLOOKUP_GENERATED : OL_CLOOKUP_EXPLICIT], 1);
    ol_buf_init(&q.tmp, OL_MEM_QUERY, 0);
    q.a = ol_arena_create(1 << 16, OL_CQ_ARENA_CAP);
    int rc = q.a ? OL_OK : OL_NOMEM;
    if (rc == OL_OK) rc = ol_cq_index(&q);
    if (rc == OL_OK) rc = ol_cq_traces(&q);
    if (rc == OL_OK) rc = ol_cq_windows(&q);
    if (rc == OL_OK) rc = ol_cq_logs_points(&q);
    if (rc == OL_OK && !q.n_traces && !q.n_logs && !q.n_points) {
        ol_err_set(err, "no trace, log record or metric point carries correlation id %.*s", (int)id.len,
                   (const char *)id.ptr);
        rc = OL_NOTFOUND;
    }
    if (rc == OL_OK) rc = ol_cq_render(out, &q, timeline_only);
    else if (rc != OL_NOTFOUND) ol_err_set(err, "correlation lookup failed: %s", ol_rc_str(rc));
    ol_cq_free(&q);
    return rc;
}
