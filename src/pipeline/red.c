/*
 * red.c - the RED aggregator: counting spans into event-time buckets per
 * operation, and emitting the buckets that are due into the store.
 *
 * ol_red_observe takes r->mu once per batch. For each counted span it moves
 * its service's watermark, decides lateness, adds the span to the cell of
 * its operation series and bucket, and hands client/producer and
 * server/consumer spans to the edge matcher (red_edge.c), which adds edge
 * cells the same way. ol_red_tick (and ol_red_flush) take emit_lock
 * exclusively, move the due cells into an emit builder under mu, then write
 * them to the store without mu, so ingest never waits for the store here.
 * Layout and locking: red_int.h.
 */
#include "pipeline/red_int.h"

#include <inttypes.h>

#include "codec/pb.h"
#include "core/alloc.h"
#include "core/util.h"

/* ---- names and hashing ---- */

static const char *const ol_red_kinds[] = {"Unspecified", "Internal", "Server", "Client", "Producer", "Consumer"};
static const char *const ol_red_peers[] = {"service", "database", "queue", "external"};

const char *ol_red_kind_name(int kind)
{
    return kind >= 0 && kind < (int)OL_ARRAY_LEN(ol_red_kinds) ? ol_red_kinds[kind] : ol_red_kinds[0];
}

int ol_red_kind_parse(ol_slice_t s)
{
    for (int i = 0; i < (int)OL_ARRAY_LEN(ol_red_kinds); i++)
        if (ol_slice_eq_cstr(s, ol_red_kinds[i])) return i;
    return -1;
}

const char *ol_red_peer_name(int peer_type)
{
    return peer_type >= 0 && peer_type < OL_RED_PEER__COUNT ? ol_red_peers[peer_type] : ol_red_peers[0];
}

int ol_red_peer_parse(ol_slice_t s)
{
    for (int i = 0; i < OL_RED_PEER__COUNT; i++)
        if (ol_slice_eq_cstr(s, ol_red_peers[i])) return i;
    return -1;
}

uint64_t ol_red_hash(const void *p, size_t n, uint64_t seed) { return ol_hash64(p, n, seed); }

/* ---- hash index ---- */

uint32_t ol_red_index_find(const ol_red_index_t *ix, uint32_t hash, ol_red_eq_fn eq, const void *ud)
{
    if (!ix->idx) return OL_RED_NONE;
    for (uint32_t i = hash & ix->mask;; i = (i + 1) & ix->mask) {
        if (!ix->idx[i]) return OL_RED_NONE;
        if (ix->hash[i] == hash && eq(ud, ix->idx[i] - 1)) return ix->idx[i] - 1;
    }
}

static void ol_red_index_place(ol_red_index_t *ix, uint32_t hash, uint32_t idx)
{
    uint32_t i = hash & ix->mask;
    while (ix->idx[i]) i = (i + 1) & ix->mask;
    ix->idx[i] = idx + 1;
    ix->hash[i] = hash;
}

int ol_red_index_insert(ol_red_index_t *ix, uint32_t hash, uint32_t idx)
{
    uint64_t slots = ix->idx ? (uint64_t)ix->mask + 1 : 0;
    if ((uint64_t)(ix->n + 1) * 2 > slots) {
        uint64_t ns = slots ? slots * 2 : 64;
        if (ns > (1ull << 30)) return OL_LIMIT;
        uint32_t *ni = ol_calloc(OL_MEM_PIPELINE, ns, sizeof *ni);
        uint32_t *nh = ol_malloc(OL_MEM_PIPELINE, ns * sizeof *nh);
        if (!ni || !nh) {
            ol_free(OL_MEM_PIPELINE, ni, ns * sizeof *ni);
            ol_free(OL_MEM_PIPELINE, nh, ns * sizeof *nh);
            return OL_NOMEM;
        }
        ol_red_index_t old = *ix;
        ix->idx = ni;
        ix->hash = nh;
        ix->mask = (uint32_t)(ns - 1);
        for (uint64_t i = 0; i < slots; i++)
            if (old.idx[i]) ol_red_index_place(ix, old.hash[i], old.idx[i] - 1);
        ol_free(OL_MEM_PIPELINE, old.idx, slots * sizeof *old.idx);
        ol_free(OL_MEM_PIPELINE, old.hash, slots * sizeof *old.hash);
    }
    ol_red_index_place(ix, hash, idx);
    ix->n++;
    return OL_OK;
}

void ol_red_index_remove(ol_red_index_t *ix, uint32_t hash, uint32_t idx)
{
    if (!ix->idx) return;
    uint32_t i = hash & ix->mask;
    while (ix->idx[i] && ix->idx[i] != idx + 1) i = (i + 1) & ix->mask;
    if (OL_NEVER(!ix->idx[i])) return;
    for (uint32_t j = i;;) {
        j = (j + 1) & ix->mask;
        if (!ix->idx[j]) break;
        uint32_t k = ix->hash[j] & ix->mask; /* home of the entry at j */
        bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (stays) continue;
        ix->idx[i] = ix->idx[j];
        ix->hash[i] = ix->hash[j];
        i = j;
    }
    ix->idx[i] = 0;
    ix->n--;
}

void ol_red_index_free(ol_red_index_t *ix)
{
    size_t slots = ix->idx ? (size_t)ix->mask + 1 : 0;
    ol_free(OL_MEM_PIPELINE, ix->idx, slots * sizeof *ix->idx);
    ol_free(OL_MEM_PIPELINE, ix->hash, slots * sizeof *ix->hash);
    memset(ix, 0, sizeof *ix);
}

/* ---- services ---- */

typedef struct {
    const ol_red_t *r;
    ol_slice_t name;
} ol_red_svc_key_t;

static bool ol_red_svc_eq(const void *ud, uint32_t idx)
{
    const ol_red_svc_key_t *k = ud;
    const ol_red_service_ent_t *s = &k->r->services[idx];
    return ol_slice_eq(k->name, ol_slice(s->name, s->len));
}

static uint32_t ol_red_service_get(ol_red_t *r, ol_slice_t name)
{
    if (name.len > OL_RED_MAX_NAME) name.len = OL_RED_MAX_NAME;
    uint32_t h = (uint32_t)ol_red_hash(name.ptr, name.len, 1);
    ol_red_svc_key_t k = {r, name};
    uint32_t i = ol_red_index_find(&r->service_ix, h, ol_red_svc_eq, &k);
    if (i != OL_RED_NONE) return i;
    if (r->n_services >= OL_RED_MAX_SERVICES) return OL_RED_NONE;
    if (ol_grow_array(OL_MEM_PIPELINE, (void **)&r->services, &r->cap_services, r->n_services + 1,
                      sizeof *r->services))
        return OL_RED_NONE;
    char *copy = ol_strndup(OL_MEM_PIPELINE, (const char *)name.ptr, name.len);
    if (!copy) return OL_RED_NONE;
    i = (uint32_t)r->n_services;
    if (ol_red_index_insert(&r->service_ix, h, i)) {
        ol_free(OL_MEM_PIPELINE, copy, name.len + 1);
        return OL_RED_NONE;
    }
    r->services[i] = (ol_red_service_ent_t){.name = copy, .len = (uint32_t)name.len, .hash = h};
    r->n_services++;
    return i;
}

/* ---- series ---- */

typedef struct {
    const ol_red_t *r;
    uint32_t svc;
    uint8_t is_edge, kind, entry;
    ol_slice_t name;
} ol_red_series_key_t;

static bool ol_red_series_eq(const void *ud, uint32_t idx)
{
    const ol_red_series_key_t *k = ud;
    const ol_red_series_t *s = &k->r->series[idx];
    return s->svc == k->svc && s->is_edge == k->is_edge && s->kind == k->kind && s->entry == k->entry &&
           ol_slice_eq(k->name, ol_slice(s->name, s->len));
}

uint32_t ol_red_series_get(ol_red_t *r, uint32_t svc, bool is_edge, int kind, bool entry, ol_slice_t name)
{
    if (name.len > OL_RED_MAX_NAME) name.len = OL_RED_MAX_NAME;
    ol_red_series_key_t k = {r, svc, is_edge, (uint8_t)kind, entry, name};
    uint8_t tag[7] = {(uint8_t)svc, (uint8_t)(svc >> 8), (uint8_t)(svc >> 16), (uint8_t)(svc >> 24), is_edge,
                      (uint8_t)kind, entry};
    uint32_t h = (uint32_t)ol_red_hash(name.ptr, name.len, ol_red_hash(tag, sizeof tag, 2));
    uint32_t i = ol_red_index_find(&r->series_ix, h, ol_red_series_eq, &k);
    if (i != OL_RED_NONE) {
        r->series[i].refs++;
        return i;
    }
    if (r->live_series >= OL_RED_MAX_SERIES) return OL_RED_NONE;
    char *copy = ol_strndup(OL_MEM_PIPELINE, (const char *)name.ptr, name.len);
    if (!copy) return OL_RED_NONE;
    if (r->series_free != OL_RED_NONE) {
        i = r->series_free;
    } else {
        if (ol_grow_array(OL_MEM_PIPELINE, (void **)&r->series, &r->cap_series, r->n_series + 1, sizeof *r->series))
            goto fail;
        i = (uint32_t)r->n_series;
    }
    if (ol_red_index_insert(&r->series_ix, h, i)) goto fail;
    if (i == r->series_free) r->series_free = r->series[i].next_free;
    else r->n_series++;
    r->series[i] = (ol_red_series_t){.refs = 1, .svc = svc, .hash = h, .is_edge = is_edge, .kind = (uint8_t)kind,
                                     .entry = entry, .name = copy, .len = (uint32_t)name.len,
                                     .next_free = OL_RED_NONE};
    r->live_series++;
    return i;
fail:
    ol_free(OL_MEM_PIPELINE, copy, name.len + 1);
    return OL_RED_NONE;
}

void ol_red_series_release(ol_red_t *r, uint32_t i)
{
    if (i == OL_RED_NONE) return;
    ol_red_series_t *s = &r->series[i];
    if (OL_NEVER(s->refs == 0)) return;
    if (--s->refs) return;
    ol_red_index_remove(&r->series_ix, s->hash, i);
    ol_free(OL_MEM_PIPELINE, s->name, (size_t)s->len + 1);
    s->name = NULL;
    s->next_free = r->series_free;
    r->series_free = i;
    r->live_series--;
}

/* ---- cells ---- */

typedef struct {
    const ol_red_t *r;
    uint32_t series;
    uint64_t bucket;
} ol_red_cell_key_t;

static bool ol_red_cell_eq(const void *ud, uint32_t idx)
{
    const ol_red_cell_key_t *k = ud;
    const ol_red_cell_t *c = &k->r->cells[idx];
    return c->series == k->series && c->bucket == k->bucket;
}

static uint32_t ol_red_cell_get(ol_red_t *r, uint32_t series, uint64_t bucket)
{
    uint64_t key[2] = {series, bucket};
    uint32_t h = (uint32_t)ol_red_hash(key, sizeof key, 3);
    ol_red_cell_key_t k = {r, series, bucket};
    uint32_t i = ol_red_index_find(&r->cell_ix, h, ol_red_cell_eq, &k);
    if (i != OL_RED_NONE) return i;
    if (r->live_cells >= OL_RED_MAX_CELLS) return OL_RED_NONE;
    if (r->cells_free != OL_RED_NONE) {
        i = r->cells_free;
    } else {
        if (ol_grow_array(OL_MEM_PIPELINE, (void **)&r->cells, &r->cap_cells, r->n_cells + 1, sizeof *r->cells))
            return OL_RED_NONE;
        i = (uint32_t)r->n_cells;
    }
    if (ol_red_index_insert(&r->cell_ix, h, i)) return OL_RED_NONE;
    if (i == r->cells_free) r->cells_free = r->cells[i].next_free;
    else r->n_cells++;
    ol_red_cell_t *c = &r->cells[i];
    memset(c, 0, sizeof *c);
    c->series = series;
    c->hash = h;
    c->bucket = bucket;
    c->opened_ns = r->now_ns;
    c->next_free = OL_RED_NONE;
    ol_sketch_init(&c->duration);
    r->series[series].refs++;
    r->live_cells++;
    return i;
}

static void ol_red_cell_free(ol_red_t *r, uint32_t i)
{
    ol_red_cell_t *c = &r->cells[i];
    ol_red_index_remove(&r->cell_ix, c->hash, i);
    ol_sketch_free(&c->duration);
    ol_red_series_release(r, c->series);
    c->series = OL_RED_NONE;
    c->next_free = r->cells_free;
    r->cells_free = i;
    r->live_cells--;
}

void ol_red_cell_add(ol_red_t *r, uint32_t series, uint64_t start_ns, uint64_t requests, uint64_t errors,
                     double duration_ms)
{
    uint32_t i = series == OL_RED_NONE ? OL_RED_NONE : ol_red_cell_get(r, series, start_ns / r->opt.resolution_ns);
    if (i == OL_RED_NONE) {
        r->c.dropped_spans += requests;
        return;
    }
    ol_red_cell_t *c = &r->cells[i];
    if (ol_sketch_add_n(&c->duration, duration_ms, requests)) {
        r->c.dropped_spans += requests;
        if (!c->requests) ol_red_cell_free(r, i);
        return;
    }
    c->requests += requests;
    c->errors += errors;
}

/* ---- lifecycle ---- */

int ol_red_create(const ol_red_options_t *opt, ol_store_t *store, ol_red_t **out, ol_err_t *err)
{
    *out = NULL;
    ol_red_t *r = ol_calloc(OL_MEM_PIPELINE, 1, sizeof *r);
    if (!r) {
        ol_err_set(err, "red: no memory");
        return OL_NOMEM;
    }
    if (opt) r->opt = *opt;
    if (!r->opt.resolution_ns) r->opt.resolution_ns = 10ull * 1000000000ull;
    if (!r->opt.lateness_ns) r->opt.lateness_ns = 3600ull * 1000000000ull;
    if (!r->opt.grace_ns) r->opt.grace_ns = 10ull * 1000000000ull;
    if (!r->opt.idle_ns) r->opt.idle_ns = 30ull * 1000000000ull;
    if (!r->opt.edge_wait_ns) r->opt.edge_wait_ns = 30ull * 1000000000ull;
    r->store = store;
    r->series_free = r->cells_free = r->pending_free = OL_RED_NONE;
    r->pending_head = r->pending_tail = OL_RED_NONE;
    if (pthread_rwlock_init(&r->emit_lock, NULL) != 0) goto fail;
    if (pthread_mutex_init(&r->mu, NULL) != 0) {
        pthread_rwlock_destroy(&r->emit_lock);
        goto fail;
    }
    r->locks_ready = true;
    if (ol_emit_create(&r->emit) != OL_OK) goto fail;
    *out = r;
    return OL_OK;
fail:
    ol_err_set(err, "red: cannot create the aggregator");
    ol_red_destroy(r);
    return OL_NOMEM;
}

void ol_red_destroy(ol_red_t *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n_cells; i++)
        if (r->cells[i].series != OL_RED_NONE) ol_sketch_free(&r->cells[i].duration);
    ol_free(OL_MEM_PIPELINE, r->cells, r->cap_cells * sizeof *r->cells);
    ol_red_index_free(&r->cell_ix);
    ol_red_pending_free_all(r);
    ol_red_peers_free_all(r);
    for (size_t i = 0; i < r->n_series; i++)
        if (r->series[i].name) ol_free(OL_MEM_PIPELINE, r->series[i].name, (size_t)r->series[i].len + 1);
    ol_free(OL_MEM_PIPELINE, r->series, r->cap_series * sizeof *r->series);
    ol_red_index_free(&r->series_ix);
    for (size_t i = 0; i < r->n_services; i++)
        ol_free(OL_MEM_PIPELINE, r->services[i].name, (size_t)r->services[i].len + 1);
    ol_free(OL_MEM_PIPELINE, r->services, r->cap_services * sizeof *r->services);
    ol_red_index_free(&r->service_ix);
    ol_emit_destroy(r->emit);
    if (r->locks_ready) {
        pthread_mutex_destroy(&r->mu);
        pthread_rwlock_destroy(&r->emit_lock);
    }
    ol_free(OL_MEM_PIPELINE, r, sizeof *r);
}

/* ---- observing ---- */

void ol_red_observe(ol_red_t *r, const ol_otlp_batch_t *b, const uint8_t *dup)
{
    if (!r || !b || b->signal != OL_SIGNAL_TRACES || !b->n_spans) return;
    uint64_t wall = ol_now_ns();
    const ol_otlp_origin_t *last_origin = NULL;
    uint32_t last_svc = OL_RED_NONE;
    bool have_svc = false;
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < b->n_spans; i++) {
        const ol_otlp_span_t *s = &b->spans[i];
        if (!s->valid || (dup && dup[i])) {
            r->c.spans_skipped++;
            continue;
        }
        r->c.spans_observed++;
        if (!have_svc || s->origin != last_origin) { /* spans of one resource come together */
            have_svc = true;
            last_origin = s->origin;
            last_svc = ol_red_service_get(r, ol_store_service_of(s->origin));
        }
        uint32_t svc = last_svc;
        if (svc == OL_RED_NONE) {
            r->c.dropped_spans++;
            continue;
        }
        ol_red_service_ent_t *se = &r->services[svc];
        if (s->start_ns > wall + OL_RED_FUTURE_NS) r->c.future_spans++;
        else if (s->start_ns > se->watermark) se->watermark = s->start_ns;
        if (se->watermark > r->opt.lateness_ns && s->start_ns < se->watermark - r->opt.lateness_ns) {
            r->c.late_spans++;
            continue;
        }
        int kind = s->kind >= 0 && s->kind <= OL_RED_KIND_CONSUMER ? s->kind : OL_RED_KIND_UNSPECIFIED;
        bool entry = kind == OL_RED_KIND_SERVER || kind == OL_RED_KIND_CONSUMER || s->parent_span_id.len == 0;
        double ms = s->end_ns > s->start_ns ? (double)(s->end_ns - s->start_ns) / 1e6 : 0.0;
        uint32_t series = ol_red_series_get(r, svc, false, kind, entry, s->name);
        ol_red_cell_add(r, series, s->start_ns, 1, s->status_code == 2, ms);
        ol_red_series_release(r, series);
        if (kind == OL_RED_KIND_CLIENT || kind == OL_RED_KIND_PRODUCER) ol_red_edge_client(r, s, svc, ms);
        if ((kind == OL_RED_KIND_SERVER || kind == OL_RED_KIND_CONSUMER) && s->parent_span_id.len == 8)
            ol_red_edge_callee(r, s->trace_id, s->parent_span_id, svc);
        if (kind == OL_RED_KIND_CONSUMER) {
            /* Span.links (13): Link{trace_id 1, span_id 2}. */
            ol_pb_reader_t rd;
            ol_pb_field_value_t f;
            ol_pb_reader_init(&rd, s->raw);
            unsigned n = 0;
            while (n < OL_RED_MAX_LINKS && ol_pb_next(&rd, &f) == OL_OK) {
                if (f.number != 13 || f.wire_type != OL_PB_LEN) continue;
                ol_pb_reader_t lr;
                ol_pb_field_value_t lf;
                ol_slice_t tid = OL_SLICE_NULL, sid = OL_SLICE_NULL;
                ol_pb_reader_init(&lr, f.bytes);
                while (ol_pb_next(&lr, &lf) == OL_OK) {
                    if (lf.wire_type != OL_PB_LEN) continue;
                    if (lf.number == 1) tid = lf.bytes;
                    else if (lf.number == 2) sid = lf.bytes;
                }
                if (tid.len == 16 && sid.len == 8) ol_red_edge_callee(r, tid, sid, svc);
                n++;
            }
        }
    }
    pthread_mutex_unlock(&r->mu);
}

/* ---- emission ---- */

static const ol_emit_metric_t ol_red_m_requests = {"olly.red.requests", "Spans per operation and bucket (Olly RED)",
                                                   "{request}"};
static const ol_emit_metric_t ol_red_m_errors = {"olly.red.errors", "Spans with status Error (Olly RED)", "{error}"};
static const ol_emit_metric_t ol_red_m_duration = {"olly.red.duration", "Span duration (Olly RED)", "ms"};
static const ol_emit_metric_t ol_red_m_edge_requests = {"olly.red.edge.requests",
                                                        "Calls from a service to a peer (Olly RED)", "{request}"};
static const ol_emit_metric_t ol_red_m_edge_errors = {"olly.red.edge.errors",
                                                      "Calls with status Error (Olly RED)", "{error}"};
static const ol_emit_metric_t ol_red_m_edge_duration = {"olly.red.edge.duration",
                                                        "Client-side call duration (Olly RED)", "ms"};

/* Moves cell i into the builder; false when the builder failed. */
static bool ol_red_emit_cell(ol_red_t *r, uint32_t i)
{
    const ol_red_cell_t *c = &r->cells[i];
    const ol_red_series_t *s = &r->series[c->series];
    const ol_red_service_ent_t *svc = &r->services[s->svc];
    ol_emit_attr_t attrs[3];
    size_t n;
    ol_slice_t name = ol_slice(s->name, s->len);
    if (s->is_edge) {
        attrs[0] = (ol_emit_attr_t){"peer.name", name};
        attrs[1] = (ol_emit_attr_t){"peer.type", ol_slice_cstr(ol_red_peer_name(s->kind))};
        n = 2;
    } else {
        attrs[0] = (ol_emit_attr_t){"span.name", name};
        attrs[1] = (ol_emit_attr_t){"span.kind", ol_slice_cstr(ol_red_kind_name(s->kind))};
        attrs[2] = (ol_emit_attr_t){"olly.entry", s->entry ? OL_SLICE_LIT("true") : OL_SLICE_LIT("false")};
        n = 3;
    }
    ol_emit_point_t p = {ol_slice(svc->name, svc->len), attrs, n, c->bucket * r->opt.resolution_ns,
                         (c->bucket + 1) * r->opt.resolution_ns};
    /* Each add counts its own failure (ol_emit_stats), so all three are tried. */
    int rc1 = ol_emit_sum_int(r->emit, s->is_edge ? &ol_red_m_edge_requests : &ol_red_m_requests, &p,
                              (int64_t)c->requests);
    int rc2 = ol_emit_sum_int(r->emit, s->is_edge ? &ol_red_m_edge_errors : &ol_red_m_errors, &p,
                              (int64_t)c->errors);
    int rc3 = ol_emit_exp_histogram(r->emit, s->is_edge ? &ol_red_m_edge_duration : &ol_red_m_duration, &p,
                                    &c->duration);
    if (r->sink.cell) {
        ol_red_cell_view_t v = {.service = ol_slice(svc->name, svc->len), .is_edge = s->is_edge, .kind = s->kind,
                                .entry = s->entry, .name = name, .start_ns = p.start_ns, .end_ns = p.end_ns,
                                .requests = c->requests, .errors = c->errors, .duration = &c->duration};
        r->sink.cell(r->sink.ud, &v);
    }
    return rc1 == OL_OK && rc2 == OL_OK && rc3 == OL_OK;
}

void ol_red_set_sink(ol_red_t *r, const ol_red_sink_t *sink)
{
    if (!r) return;
    pthread_mutex_lock(&r->mu);
    r->sink = sink ? *sink : (ol_red_sink_t){0};
    pthread_mutex_unlock(&r->mu);
}

/* Under emit_lock (write). */
static int ol_red_emit_due(ol_red_t *r, uint64_t now_ns, bool all)
{
    pthread_mutex_lock(&r->mu);
    if (now_ns) r->now_ns = now_ns;
    ol_red_edge_expire(r, all);
    uint64_t buckets = 0;
    for (uint32_t i = 0; i < r->n_cells; i++) {
        ol_red_cell_t *c = &r->cells[i];
        if (c->series == OL_RED_NONE) continue;
        if (!all) {
            if (!c->opened_ns) c->opened_ns = r->now_ns;
            uint64_t end = (c->bucket + 1) * r->opt.resolution_ns;
            uint64_t wm = r->services[r->series[c->series].svc].watermark;
            bool due = wm >= end + r->opt.grace_ns ||
                       (r->now_ns >= c->opened_ns && r->now_ns - c->opened_ns >= r->opt.idle_ns);
            if (!due) continue;
        }
        ol_red_emit_cell(r, i);
        ol_red_cell_free(r, i);
        buckets++;
    }
    ol_red_sink_t sink = r->sink;
    pthread_mutex_unlock(&r->mu);
    if (buckets && sink.done) sink.done(sink.ud);

    size_t pending = ol_emit_pending(r->emit);
    ol_emit_stats_t before, after;
    ol_emit_stats(r->emit, &before);
    ol_err_t err = {{0}};
    int rc = pending || buckets ? ol_emit_write(r->emit, r->store, &err) : OL_OK;
    ol_emit_stats(r->emit, &after);

    pthread_mutex_lock(&r->mu);
    r->c.buckets_emitted += buckets;
    r->c.points_emitted += after.points_written - before.points_written;
    r->c.points_lost += after.points_failed - before.points_failed;
    if (rc != OL_OK) r->c.emit_errors++;
    pthread_mutex_unlock(&r->mu);
    return rc;
}

void ol_red_tick(ol_red_t *r, uint64_t now_ns)
{
    if (!r) return;
    pthread_rwlock_wrlock(&r->emit_lock);
    ol_red_emit_due(r, now_ns ? now_ns : 1, false);
    pthread_rwlock_unlock(&r->emit_lock);
}

int ol_red_flush(ol_red_t *r)
{
    if (!r) return OL_OK;
    pthread_rwlock_wrlock(&r->emit_lock);
    int rc = ol_red_emit_due(r, 0, true);
    pthread_rwlock_unlock(&r->emit_lock);
    return rc;
}

/* ---- counters ---- */

static void ol_red_counter(ol_buf_t *out, const char *name, const char *help, const char *type, uint64_t v)
{
    ol_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %" PRIu64 "\n", name, help, name, type, name, v);
}

void ol_red_metrics_text(ol_red_t *r, ol_buf_t *out)
{
    if (!r) return;
    pthread_mutex_lock(&r->mu);
    ol_red_counters_t c = r->c;
    uint64_t services = r->n_services, series = r->live_series, cells = r->live_cells, pending = r->live_pending;
    uint64_t peers = r->n_peers;
    uint32_t fast_peers, predicted_peers;
    ol_red_peers_count(r, &fast_peers, &predicted_peers);
    pthread_mutex_unlock(&r->mu);
    ol_red_counter(out, "olly_red_spans_observed_total", "Spans seen by the RED aggregator (late ones included).", "counter",
                   c.spans_observed);
    ol_red_counter(out, "olly_red_late_spans_total", "Spans older than the lateness window, left out.", "counter",
                   c.late_spans);
    ol_red_counter(out, "olly_red_future_spans_total",
                   "Spans starting over an hour ahead of the clock (counted, watermark not moved).", "counter",
                   c.future_spans);
    ol_red_counter(out, "olly_red_dropped_spans_total", "Span observations lost to a memory or table limit.",
                   "counter", c.dropped_spans);
    ol_red_counter(out, "olly_red_buckets_emitted_total", "Series buckets written into the store.", "counter",
                   c.buckets_emitted);
    ol_red_counter(out, "olly_red_points_emitted_total", "olly.red.* data points written into the store.",
                   "counter", c.points_emitted);
    ol_red_counter(out, "olly_red_emit_errors_total", "Failed writes of RED points into the store.", "counter",
                   c.emit_errors);
    ol_red_counter(out, "olly_red_points_lost_total", "RED points that could not be written.", "counter",
                   c.points_lost);
    ol_buf_printf(out,
                  "# HELP olly_red_edges_total Client/producer spans by how their edge was resolved "
                  "(matched: counted against a service, by its partner or predicted).\n"
                  "# TYPE olly_red_edges_total counter\n"
                  "olly_red_edges_total{result=\"matched\"} %" PRIu64 "\n"
                  "olly_red_edges_total{result=\"same_service\"} %" PRIu64 "\n"
                  "olly_red_edges_total{result=\"uninstrumented\"} %" PRIu64 "\n"
                  "olly_red_edges_total{result=\"unmatched\"} %" PRIu64 "\n",
                  c.edges_matched, c.edges_self, c.edges_uninstrumented, c.edges_unresolved);
    ol_red_counter(out, "olly_red_edges_fast_total",
                   "Client/producer spans counted at once as calls to an uninstrumented peer, without waiting "
                   "(included in olly_red_edges_total{result=\"uninstrumented\"}).",
                   "counter", c.edges_fast);
    ol_red_counter(out, "olly_red_edges_late_partner_total",
                   "Server/consumer spans that arrived for a client span already counted at once as a call to an "
                   "uninstrumented peer; that peer's calls wait again.",
                   "counter", c.edges_late_partner);
    ol_red_counter(out, "olly_red_edges_predicted_total",
                   "Client/producer spans counted at once as calls to the service their peer's recent calls all "
                   "reached, without waiting (included in olly_red_edges_total{result=\"matched\"}).",
                   "counter", c.edges_predicted);
    ol_red_counter(out, "olly_red_edges_mispredicted_total",
                   "Predicted calls whose server/consumer span came from another service (or the caller's own); "
                   "they stay counted against the predicted one and that peer's calls wait again.",
                   "counter", c.edges_mispredicted);
    ol_red_counter(out, "olly_red_edges_predicted_unanswered_total",
                   "Predicted calls that heard no server/consumer span within the edge wait (the callee may be "
                   "down); they stay counted against the predicted service.",
                   "counter", c.edges_predicted_unanswered);
    ol_red_counter(out, "olly_red_peers_forgotten_total",
                   "Learned peers forgotten to make room in the full peer table.", "counter", c.peers_forgotten);
    ol_red_counter(out, "olly_red_callees_unmatched_total",
                   "Server/consumer spans whose client span never arrived within the edge wait.", "counter",
                   c.callees_unmatched);
    ol_red_counter(out, "olly_red_pending_overflow_total",
                   "Spans not kept for edge matching because the pending table was full.", "counter",
                   c.pending_overflow);
    ol_red_counter(out, "olly_red_services", "Services seen.", "gauge", services);
    ol_red_counter(out, "olly_red_open_series", "Series with open buckets or pending client spans.", "gauge",
                   series);
    ol_red_counter(out, "olly_red_open_buckets", "Buckets open in memory.", "gauge", cells);
    ol_red_counter(out, "olly_red_pending_spans",
                   "Spans waiting for their edge partner (or, counted at once, listening for a late one).", "gauge",
                   pending);
    ol_red_counter(out, "olly_red_peers", "(caller, uninstrumented peer) pairs whose edge outcomes are learned.",
                   "gauge", peers);
    ol_red_counter(out, "olly_red_peers_fast",
                   "Learned peers whose calls are counted at once as calls to the uninstrumented peer.", "gauge",
                   fast_peers);
    ol_red_counter(out, "olly_red_peers_predicted",
                   "Learned peers whose calls are counted at once as calls to the service they predict.", "gauge",
                   predicted_peers);
}
