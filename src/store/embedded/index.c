/*
 * index.c - the embedded store's in-memory index over decoded WAL records.
 *
 * Each record's decoded batch stays in its chunk; the index holds pointers to
 * the batch's item views:
 *   traces:   trace id -> spans (arrival order), min start, max end, skew flag
 *   logs:     one array sorted by record time (observed time when time is 0)
 *   metrics:  name -> Metric items (arrival order) and point count
 *   services: service.name -> distinct span names
 * plus the (trace id, span id) set used to drop re-sent spans.
 *
 * Not thread-safe by itself: the store's rwlock guards it (embedded.h).
 */
#include "core/alloc.h"
#include "core/util.h"
#include "store/embedded/embedded.h"

#define OL_IX_HASH_SEED 0x6f6c6c79u
#define OL_IX_SKEW_FUTURE_NS (3600ull * 1000000000ull)

/* ---- growable pointer arrays ---- */

#define OL_IX_PUSH(arr, n, cap, v)                                                          \
    (ol_grow_array(OL_MEM_STORE, (void **)&(arr), &(cap), (n) + 1, sizeof *(arr)) == OL_OK ? ((arr)[(n)++] = (v), OL_OK) \
                                                                       : OL_NOMEM)

/* ---- map ---- */

static uint64_t ol_ix_hash(ol_slice_t k) { return ol_hash64(k.ptr, k.len, OL_IX_HASH_SEED); }

void *ol_ix_map_get(const ol_ix_map_t *m, ol_slice_t key)
{
    if (!m->cap) return NULL;
    uint64_t h = ol_ix_hash(key);
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        const ol_ix_slot_t *s = &m->slots[i];
        if (!s->val) return NULL;
        if (s->hash == h && ol_slice_eq(s->key, key)) return s->val;
    }
}

static void ol_ix_map_insert_slot(ol_ix_slot_t *slots, size_t cap, const ol_ix_slot_t *in)
{
    size_t mask = cap - 1;
    size_t i = (size_t)in->hash & mask;
    while (slots[i].val) i = (i + 1) & mask;
    slots[i] = *in;
}

int ol_ix_map_put(ol_ix_map_t *m, ol_slice_t key, void *val)
{
    if ((m->n + 1) * 4 > m->cap * 3) {
        size_t nc = m->cap ? m->cap * 2 : 16;
        ol_ix_slot_t *ns = ol_calloc(OL_MEM_STORE, nc, sizeof *ns);
        if (!ns) return OL_NOMEM;
        for (size_t i = 0; i < m->cap; i++)
            if (m->slots[i].val) ol_ix_map_insert_slot(ns, nc, &m->slots[i]);
        ol_free(OL_MEM_STORE, m->slots, m->cap * sizeof *m->slots);
        m->slots = ns;
        m->cap = nc;
    }
    uint64_t h = ol_ix_hash(key);
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        ol_ix_slot_t *s = &m->slots[i];
        if (!s->val) {
            *s = (ol_ix_slot_t){h, key, val};
            m->n++;
            return OL_OK;
        }
        if (s->hash == h && ol_slice_eq(s->key, key)) {
            s->val = val;
            return OL_OK;
        }
    }
}

void ol_ix_map_free(ol_ix_map_t *m)
{
    ol_free(OL_MEM_STORE, m->slots, m->cap * sizeof *m->slots);
    memset(m, 0, sizeof *m);
}

/* ---- span id set ---- */

void ol_ix_spankey(uint8_t key[OL_IX_SPANKEY], const ol_otlp_span_t *sp)
{
    memset(key, 0, OL_IX_SPANKEY);
    memcpy(key, sp->trace_id.ptr, OL_MIN(sp->trace_id.len, (size_t)16));
    memcpy(key + 16, sp->span_id.ptr, OL_MIN(sp->span_id.len, (size_t)8));
}

bool ol_ix_idset_has(const ol_ix_idset_t *s, const uint8_t key[OL_IX_SPANKEY])
{
    if (!s->cap) return false;
    size_t mask = s->cap - 1;
    for (size_t i = (size_t)ol_hash64(key, OL_IX_SPANKEY, OL_IX_HASH_SEED) & mask;; i = (i + 1) & mask) {
        if (!s->used[i]) return false;
        if (memcmp(s->keys[i], key, OL_IX_SPANKEY) == 0) return true;
    }
}

static void ol_ix_idset_put(uint8_t (*keys)[OL_IX_SPANKEY], uint8_t *used, size_t cap, const uint8_t *key)
{
    size_t mask = cap - 1;
    size_t i = (size_t)ol_hash64(key, OL_IX_SPANKEY, OL_IX_HASH_SEED) & mask;
    while (used[i]) i = (i + 1) & mask;
    memcpy(keys[i], key, OL_IX_SPANKEY);
    used[i] = 1;
}

int ol_ix_idset_add(ol_ix_idset_t *s, const uint8_t key[OL_IX_SPANKEY])
{
    if (ol_ix_idset_has(s, key)) return OL_OK;
    if ((s->n + 1) * 4 > s->cap * 3) {
        size_t nc = s->cap ? s->cap * 2 : 64;
        uint8_t(*nk)[OL_IX_SPANKEY] = ol_malloc(OL_MEM_STORE, nc * OL_IX_SPANKEY);
        uint8_t *nu = ol_calloc(OL_MEM_STORE, nc, 1);
        if (!nk || !nu) {
            ol_free(OL_MEM_STORE, nk, nc * OL_IX_SPANKEY);
            ol_free(OL_MEM_STORE, nu, nc);
            return OL_NOMEM;
        }
        for (size_t i = 0; i < s->cap; i++)
            if (s->used[i]) ol_ix_idset_put(nk, nu, nc, s->keys[i]);
        ol_free(OL_MEM_STORE, s->keys, s->cap * OL_IX_SPANKEY);
        ol_free(OL_MEM_STORE, s->used, s->cap);
        s->keys = nk;
        s->used = nu;
        s->cap = nc;
    }
    ol_ix_idset_put(s->keys, s->used, s->cap, key);
    s->n++;
    return OL_OK;
}

void ol_ix_idset_free(ol_ix_idset_t *s)
{
    ol_free(OL_MEM_STORE, s->keys, s->cap * OL_IX_SPANKEY);
    ol_free(OL_MEM_STORE, s->used, s->cap);
    memset(s, 0, sizeof *s);
}

/* ---- chunks ---- */

int ol_ix_chunk_decode(ol_signal_t sig, uint8_t *mem, size_t mem_len, ol_slice_t payload, uint64_t received_ns,
                       ol_ix_chunk_t **out, ol_err_t *err)
{
    *out = NULL;
    ol_ix_chunk_t *c = ol_calloc(OL_MEM_STORE, 1, sizeof *c);
    if (!c) return OL_NOMEM;
    c->arena = ol_arena_create(1024 + payload.len / 2, 0);
    if (!c->arena) {
        ol_free(OL_MEM_STORE, c, sizeof *c);
        return OL_NOMEM;
    }
    int rc = ol_otlp_decode(sig, payload, c->arena, &c->batch, err);
    if (rc != OL_OK) {
        ol_arena_destroy(c->arena);
        ol_free(OL_MEM_STORE, c, sizeof *c);
        return rc;
    }
    c->mem = mem;
    c->mem_len = mem_len;
    c->received_ns = received_ns;
    *out = c;
    return OL_OK;
}

int ol_ix_chunk_decode_copy(ol_signal_t sig, ol_slice_t payload, uint64_t received_ns, ol_ix_chunk_t **out,
                            ol_err_t *err)
{
    size_t n = payload.len ? payload.len : 1;
    uint8_t *mem = ol_malloc(OL_MEM_STORE, n);
    if (!mem) return OL_NOMEM;
    if (payload.len) memcpy(mem, payload.ptr, payload.len);
    int rc = ol_ix_chunk_decode(sig, mem, n, ol_slice(mem, payload.len), received_ns, out, err);
    if (rc != OL_OK) ol_free(OL_MEM_STORE, mem, n);
    return rc;
}

void ol_ix_chunk_free(ol_ix_chunk_t *c)
{
    if (!c) return;
    ol_arena_destroy(c->arena);
    ol_free(OL_MEM_STORE, c->mem, c->mem_len);
    ol_free(OL_MEM_STORE, c, sizeof *c);
}

/* ---- indexing ---- */

static int ol_ix_add_service_op(ol_ix_t *ix, ol_slice_t service, ol_slice_t op)
{
    ol_ix_service_t *svc = ol_ix_map_get(&ix->services, service);
    if (!svc) {
        svc = ol_calloc(OL_MEM_STORE, 1, sizeof *svc);
        if (!svc) return OL_NOMEM;
        svc->name = service;
        if (OL_IX_PUSH(ix->service_list, ix->n_services, ix->cap_services, svc) != OL_OK) {
            ol_free(OL_MEM_STORE, svc, sizeof *svc);
            return OL_NOMEM;
        }
        if (ol_ix_map_put(&ix->services, svc->name, svc) != OL_OK) {
            ix->n_services--;
            ol_free(OL_MEM_STORE, svc, sizeof *svc);
            return OL_NOMEM;
        }
    }
    if (ol_ix_map_get(&svc->ops_set, op)) return OL_OK;
    if (OL_IX_PUSH(svc->ops, svc->n_ops, svc->cap_ops, op) != OL_OK) return OL_NOMEM;
    if (ol_ix_map_put(&svc->ops_set, op, svc) != OL_OK) {
        svc->n_ops--;
        return OL_NOMEM;
    }
    return OL_OK;
}

static int ol_ix_add_span(ol_ix_t *ix, const ol_otlp_span_t *sp, uint64_t received_ns)
{
    ol_slice_t tid = sp->trace_id;
    if (tid.len != 16) return OL_OK;
    ol_ix_trace_t *t = ol_ix_map_get(&ix->traces, tid);
    if (!t) {
        t = ol_calloc(OL_MEM_STORE, 1, sizeof *t);
        if (!t) return OL_NOMEM;
        memcpy(t->id, tid.ptr, 16);
        t->start_ns = UINT64_MAX;
        if (OL_IX_PUSH(ix->trace_list, ix->n_traces, ix->cap_traces, t) != OL_OK) {
            ol_free(OL_MEM_STORE, t, sizeof *t);
            return OL_NOMEM;
        }
        if (ol_ix_map_put(&ix->traces, ol_slice(t->id, 16), t) != OL_OK) {
            ix->n_traces--;
            ol_free(OL_MEM_STORE, t, sizeof *t);
            return OL_NOMEM;
        }
    }
    if (OL_IX_PUSH(t->spans, t->n, t->cap, sp) != OL_OK) return OL_NOMEM;
    bool skew = sp->end_ns < sp->start_ns || sp->start_ns > received_ns + OL_IX_SKEW_FUTURE_NS;
    t->skew |= skew;
    t->start_ns = OL_MIN(t->start_ns, sp->start_ns);
    t->end_ns = OL_MAX(t->end_ns, OL_MAX(sp->start_ns, sp->end_ns));
    ix->n_spans++;
    ix->n_skew += skew;
    return ol_ix_add_service_op(ix, ol_store_service_of(sp->origin), sp->name);
}

static int ol_ix_add_log(ol_ix_t *ix, const ol_otlp_log_t *l)
{
    ol_ix_log_t e = {l->time_ns ? l->time_ns : l->observed_ns, l};
    if (ol_grow_array(OL_MEM_STORE, (void **)&ix->logs, &ix->cap_logs, ix->n_logs + 1, sizeof *ix->logs) != OL_OK)
        return OL_NOMEM;
    /* First position whose time is greater: equal times keep arrival order. */
    size_t lo = 0, hi = ix->n_logs;
    if (hi && ix->logs[hi - 1].t <= e.t) {
        lo = hi;
    } else {
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (ix->logs[mid].t <= e.t) lo = mid + 1;
            else hi = mid;
        }
    }
    memmove(&ix->logs[lo + 1], &ix->logs[lo], (ix->n_logs - lo) * sizeof *ix->logs);
    ix->logs[lo] = e;
    ix->n_logs++;
    ix->n_log_records++;
    return OL_OK;
}

static int ol_ix_add_metric(ol_ix_t *ix, const ol_otlp_metric_t *m)
{
    ol_ix_metric_t *e = ol_ix_map_get(&ix->metrics, m->name);
    if (!e) {
        e = ol_calloc(OL_MEM_STORE, 1, sizeof *e);
        if (!e) return OL_NOMEM;
        e->name = m->name;
        if (OL_IX_PUSH(ix->metric_list, ix->n_metrics, ix->cap_metrics, e) != OL_OK) {
            ol_free(OL_MEM_STORE, e, sizeof *e);
            return OL_NOMEM;
        }
        if (ol_ix_map_put(&ix->metrics, e->name, e) != OL_OK) {
            ix->n_metrics--;
            ol_free(OL_MEM_STORE, e, sizeof *e);
            return OL_NOMEM;
        }
    }
    if (OL_IX_PUSH(e->items, e->n, e->cap, m) != OL_OK) return OL_NOMEM;
    e->latest = m;
    e->n_points += m->n_points;
    ix->n_metric_points += m->n_points;
    return OL_OK;
}

int ol_ix_add_chunk(ol_ix_t *ix, ol_ix_idset_t *ids, ol_ix_chunk_t *c)
{
    if (ix->last_chunk) ix->last_chunk->next = c;
    else ix->chunks = c;
    ix->last_chunk = c;

    const ol_otlp_batch_t *b = &c->batch;
    int rc = OL_OK;
    for (size_t i = 0; i < b->n_spans && rc == OL_OK; i++) {
        const ol_otlp_span_t *sp = &b->spans[i];
        if (!sp->valid) continue;
        uint8_t key[OL_IX_SPANKEY];
        ol_ix_spankey(key, sp);
        if (ol_ix_idset_has(ids, key)) continue;
        rc = ol_ix_idset_add(ids, key);
        if (rc == OL_OK) rc = ol_ix_add_span(ix, sp, c->received_ns);
    }
    for (size_t i = 0; i < b->n_logs && rc == OL_OK; i++) rc = ol_ix_add_log(ix, &b->logs[i]);
    for (size_t i = 0; i < b->n_metrics && rc == OL_OK; i++)
        if (b->metrics[i].valid && b->metrics[i].name.len) rc = ol_ix_add_metric(ix, &b->metrics[i]);
    return rc;
}

void ol_ix_free(ol_ix_t *ix)
{
    for (ol_ix_chunk_t *c = ix->chunks, *next; c; c = next) {
        next = c->next;
        ol_ix_chunk_free(c);
    }
    for (size_t i = 0; i < ix->n_traces; i++) {
        ol_ix_trace_t *t = ix->trace_list[i];
        ol_free(OL_MEM_STORE, t->spans, t->cap * sizeof *t->spans);
        ol_free(OL_MEM_STORE, t, sizeof *t);
    }
    ol_free(OL_MEM_STORE, ix->trace_list, ix->cap_traces * sizeof *ix->trace_list);
    ol_ix_map_free(&ix->traces);
    ol_free(OL_MEM_STORE, ix->logs, ix->cap_logs * sizeof *ix->logs);
    for (size_t i = 0; i < ix->n_metrics; i++) {
        ol_ix_metric_t *m = ix->metric_list[i];
        ol_free(OL_MEM_STORE, m->items, m->cap * sizeof *m->items);
        ol_free(OL_MEM_STORE, m, sizeof *m);
    }
    ol_free(OL_MEM_STORE, ix->metric_list, ix->cap_metrics * sizeof *ix->metric_list);
    ol_ix_map_free(&ix->metrics);
    for (size_t i = 0; i < ix->n_services; i++) {
        ol_ix_service_t *s = ix->service_list[i];
        ol_ix_map_free(&s->ops_set);
        ol_free(OL_MEM_STORE, s->ops, s->cap_ops * sizeof *s->ops);
        ol_free(OL_MEM_STORE, s, sizeof *s);
    }
    ol_free(OL_MEM_STORE, ix->service_list, ix->cap_services * sizeof *ix->service_list);
    ol_ix_map_free(&ix->services);
    memset(ix, 0, sizeof *ix);
}
