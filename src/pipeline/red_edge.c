/*
 * red_edge.c - edges of the service map: matching a client/producer span
 * with the server/consumer span it caused, or naming the uninstrumented
 * peer it called.
 *
 * The two halves of an edge arrive in either order, in different batches,
 * often seconds apart (a client span ends after its server span). Both meet
 * in one table keyed by (trace id, client span id): a client span looks up
 * its own id, a server/consumer span its parent id, and a consumer span
 * also each producer span it links to. Whichever comes first waits (CLIENT
 * or CALLEE record); the second completes the edge at once. A matched edge
 * is counted with the client span's figures (start, duration, status) as
 * caller -> callee service; a client whose partner is in its own service is
 * not an edge (counted as same_service).
 *
 * A CLIENT record that waits edge_wait (wall time) without a partner
 * becomes an edge to the uninstrumented peer its attributes name, read when
 * it arrived (stable and deprecated names):
 *   database  db.system.name or db.system (its value mapped as semconv.h
 *             maps it: "mssql" -> "microsoft.sql_server"); named after
 *             service.peer.name / peer.service when set, else the system;
 *   queue     messaging.system; named after it ("kafka");
 *   external  service.peer.name, peer.service, server.address,
 *             net.peer.name or http.host, the first present.
 * Without any of these it is dropped from edges (counted as unmatched).
 * The peer edge series is looked up when the client arrives and held by the
 * record, so expiry never allocates names.
 *
 * Waiting costs time: the edge's bucket would be emitted edge_wait after
 * the operation buckets of its step, too late for the analyzer. So each
 * (caller, peer) learns how its client spans end (a peers slot): matched
 * (and to which service), or expired. A client span is counted at once,
 * into the open bucket of its step like its operation, in two cases; its
 * record then stays for edge_wait as RESOLVED, only to hear its partner,
 * and the call stays counted as it was (its bucket may be out already).
 *
 * Predicted: the peer is not a queue (whether a message is consumed within
 * edge_wait, and by whom, is no property of the queue) and its last
 * OL_RED_PEER_LEARN resolved calls all matched one service X (not the
 * caller). The call is counted as caller -> X, as a match would count it.
 * Its partner from X confirms; from any other service (the caller too) it
 * is mispredicted and restarts the run with that service, so the peer's
 * calls wait again. No partner within edge_wait is predicted_unanswered (X
 * may be down: its callers' failing calls still count against it, at
 * once); that keeps the run but counts as an expiry, so only expiries
 * OL_RED_PEER_SHARE times the matches (the rule below) end prediction. A
 * waiting call that expires ends the run.
 *
 * Uninstrumented (otherwise): the peer is a database never seen matched
 * (databases practically never send server spans), or any peer that
 * expired at least OL_RED_PEER_LEARN times with at most 1 in
 * OL_RED_PEER_SHARE matched. The call is counted against the peer. A
 * partner is counted as late_partner, is a match for the peer, and resets
 * its expiries, so that its calls wait again until the evidence says
 * otherwise.
 *
 * Either way each client span is counted exactly once: by whichever of
 * match, prediction, fast path or expiry comes first; the record makes the
 * rest only teach the peer (never a slot reused since: gen).
 */
#include "pipeline/red_int.h"

#include "core/alloc.h"
#include "pipeline/semconv.h"

typedef struct ol_red_peer_attrs {
    ol_slice_t db_system_name, db_system, messaging_system, service_peer_name, peer_service, server_address,
        net_peer_name, http_host;
} ol_red_peer_attrs_t;

static int ol_red_peer_attr(void *ud, ol_slice_t key, ol_slice_t any_value)
{
    static const struct {
        const char *key;
        size_t off;
    } keys[] = {
        {"db.system.name", offsetof(ol_red_peer_attrs_t, db_system_name)},
        {"db.system", offsetof(ol_red_peer_attrs_t, db_system)},
        {"messaging.system", offsetof(ol_red_peer_attrs_t, messaging_system)},
        {"service.peer.name", offsetof(ol_red_peer_attrs_t, service_peer_name)},
        {"peer.service", offsetof(ol_red_peer_attrs_t, peer_service)},
        {"server.address", offsetof(ol_red_peer_attrs_t, server_address)},
        {"net.peer.name", offsetof(ol_red_peer_attrs_t, net_peer_name)},
        {"http.host", offsetof(ol_red_peer_attrs_t, http_host)},
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(keys); i++) {
        if (!ol_slice_eq_cstr(key, keys[i].key)) continue;
        ol_otlp_any_t v;
        ol_otlp_any_parse(any_value, &v);
        if (v.kind == 1 && v.bytes.len) *(ol_slice_t *)((char *)ud + keys[i].off) = v.bytes;
        break;
    }
    return OL_OK;
}

static ol_slice_t ol_red_first(ol_slice_t a, ol_slice_t b)
{
    return a.len ? a : b;
}

/* The deprecated db.system value as db.system.name has it ("mssql" ->
 * "microsoft.sql_server"), through the read-time normalisation's value map
 * (semconv.h), so old and new SDKs name one database node alike. */
static ol_slice_t ol_red_db_system_name(ol_slice_t v, int32_t kind)
{
    if (!v.len) return v;
    ol_semconv_name_t n = ol_semconv_name(OL_SLICE_LIT("db.system"));
    if (n.deprecated < 0) return v;
    ol_semconv_state_t st;
    ol_semconv_begin(&st);
    ol_semconv_feed(&st, n.deprecated, v, kind);
    uint32_t it = 0;
    ol_slice_t key, val;
    while (ol_semconv_next(&st, &it, &key, &val))
        if (ol_slice_eq_cstr(key, "db.system.name") && val.len) return val;
    return v;
}

/* The uninstrumented peer a client span names; false when none. */
static bool ol_red_peer_of(const ol_otlp_span_t *s, int *type, ol_slice_t *name)
{
    ol_red_peer_attrs_t a;
    memset(&a, 0, sizeof a);
    ol_otlp_each_attribute(s->raw, 9, ol_red_peer_attr, &a);
    ol_slice_t named = ol_red_first(a.service_peer_name, a.peer_service);
    ol_slice_t db = a.db_system_name.len ? a.db_system_name : ol_red_db_system_name(a.db_system, s->kind);
    if (db.len) {
        *type = OL_RED_PEER_DATABASE;
        *name = ol_red_first(named, db);
        return true;
    }
    if (a.messaging_system.len) {
        *type = OL_RED_PEER_QUEUE;
        *name = a.messaging_system;
        return true;
    }
    ol_slice_t ext = ol_red_first(named, ol_red_first(a.server_address, ol_red_first(a.net_peer_name, a.http_host)));
    if (ext.len) {
        *type = OL_RED_PEER_EXTERNAL;
        *name = ext;
        return true;
    }
    return false;
}

/* ---- the pending table ---- */

typedef struct {
    const ol_red_t *r;
    const uint8_t *trace_id, *span_id;
} ol_red_pend_key_t;

static bool ol_red_pend_eq(const void *ud, uint32_t idx)
{
    const ol_red_pend_key_t *k = ud;
    const ol_red_pending_t *p = &k->r->pending[idx];
    return memcmp(p->trace_id, k->trace_id, 16) == 0 && memcmp(p->span_id, k->span_id, 8) == 0;
}

static uint32_t ol_red_pend_hash(const uint8_t *trace_id, const uint8_t *span_id)
{
    uint8_t key[24];
    memcpy(key, trace_id, 16);
    memcpy(key + 16, span_id, 8);
    return (uint32_t)ol_red_hash(key, sizeof key, 4);
}

static uint32_t ol_red_pend_find(ol_red_t *r, const uint8_t *trace_id, const uint8_t *span_id, uint32_t h)
{
    ol_red_pend_key_t k = {r, trace_id, span_id};
    return ol_red_index_find(&r->pending_ix, h, ol_red_pend_eq, &k);
}

/* A new record at the tail of the insertion list, or OL_RED_NONE when full. */
static uint32_t ol_red_pend_new(ol_red_t *r, const uint8_t *trace_id, const uint8_t *span_id, uint32_t h)
{
    if (r->live_pending >= OL_RED_MAX_PENDING) return OL_RED_NONE;
    uint32_t i;
    if (r->pending_free != OL_RED_NONE) {
        i = r->pending_free;
    } else {
        if (ol_grow_array(OL_MEM_PIPELINE, (void **)&r->pending, &r->cap_pending, r->n_pending + 1,
                          sizeof *r->pending))
            return OL_RED_NONE;
        i = (uint32_t)r->n_pending;
    }
    if (ol_red_index_insert(&r->pending_ix, h, i)) return OL_RED_NONE;
    if (i == r->pending_free) r->pending_free = r->pending[i].next;
    else r->n_pending++;
    ol_red_pending_t *p = &r->pending[i];
    memset(p, 0, sizeof *p);
    memcpy(p->trace_id, trace_id, 16);
    memcpy(p->span_id, span_id, 8);
    p->hash = h;
    p->fallback = OL_RED_NONE;
    p->peer = OL_RED_NONE;
    p->since_ns = r->now_ns;
    p->prev = r->pending_tail;
    p->next = OL_RED_NONE;
    if (r->pending_tail != OL_RED_NONE) r->pending[r->pending_tail].next = i;
    else r->pending_head = i;
    r->pending_tail = i;
    r->live_pending++;
    return i;
}

static void ol_red_pend_remove(ol_red_t *r, uint32_t i)
{
    ol_red_pending_t *p = &r->pending[i];
    ol_red_index_remove(&r->pending_ix, p->hash, i);
    if (p->prev != OL_RED_NONE) r->pending[p->prev].next = p->next;
    else r->pending_head = p->next;
    if (p->next != OL_RED_NONE) r->pending[p->next].prev = p->prev;
    else r->pending_tail = p->prev;
    ol_red_series_release(r, p->fallback);
    p->state = OL_RED_PEND_FREE;
    p->fallback = OL_RED_NONE;
    p->next = r->pending_free;
    r->pending_free = i;
    r->live_pending--;
}

void ol_red_pending_free_all(ol_red_t *r)
{
    ol_free(OL_MEM_PIPELINE, r->pending, r->cap_pending * sizeof *r->pending);
    r->pending = NULL;
    r->n_pending = r->cap_pending = 0;
    r->live_pending = 0;
    r->pending_free = r->pending_head = r->pending_tail = OL_RED_NONE;
    ol_red_index_free(&r->pending_ix);
}

/* ---- learned peers ---- */

typedef struct {
    const ol_red_t *r;
    uint32_t svc;
    uint8_t type;
    ol_slice_t name;
} ol_red_peer_key_t;

static bool ol_red_peer_eq(const void *ud, uint32_t idx)
{
    const ol_red_peer_key_t *k = ud;
    const ol_red_peer_t *p = &k->r->peers[idx];
    return p->svc == k->svc && p->type == k->type && ol_slice_eq(k->name, ol_slice(p->name, p->len));
}

/* A slot to reuse when the table is full: the first one the clock hand
 * finds not looked up since it last passed. A new slot starts without that
 * mark, so a peer seen once (a pod address) goes before one in use. */
static uint32_t ol_red_peer_victim(ol_red_t *r)
{
    for (;;) {
        uint32_t i = r->peer_hand;
        r->peer_hand = (uint32_t)((i + 1) % r->n_peers);
        ol_red_peer_t *p = &r->peers[i];
        if (!p->name || !p->used) return i;
        p->used = 0;
    }
}

/* The slot of (caller, type, name), made when new; OL_RED_NONE without memory. */
static uint32_t ol_red_peer_get(ol_red_t *r, uint32_t svc, int type, ol_slice_t name)
{
    if (name.len > OL_RED_MAX_NAME) name.len = OL_RED_MAX_NAME;
    uint8_t tag[5] = {(uint8_t)svc, (uint8_t)(svc >> 8), (uint8_t)(svc >> 16), (uint8_t)(svc >> 24), (uint8_t)type};
    uint32_t h = (uint32_t)ol_red_hash(name.ptr, name.len, ol_red_hash(tag, sizeof tag, 5));
    ol_red_peer_key_t k = {r, svc, (uint8_t)type, name};
    uint32_t i = ol_red_index_find(&r->peer_ix, h, ol_red_peer_eq, &k);
    if (i != OL_RED_NONE) {
        r->peers[i].used = 1;
        return i;
    }
    char *copy = ol_strndup(OL_MEM_PIPELINE, (const char *)name.ptr, name.len);
    if (!copy) return OL_RED_NONE;
    uint32_t gen = 0;
    if (r->n_peers < OL_RED_MAX_PEERS) {
        if (ol_grow_array(OL_MEM_PIPELINE, (void **)&r->peers, &r->cap_peers, r->n_peers + 1, sizeof *r->peers))
            goto fail;
        i = (uint32_t)r->n_peers;
        if (ol_red_index_insert(&r->peer_ix, h, i)) goto fail;
        r->n_peers++;
    } else {
        i = ol_red_peer_victim(r);
        ol_red_peer_t *v = &r->peers[i];
        gen = v->gen + 1;
        if (v->name) {
            ol_red_index_remove(&r->peer_ix, v->hash, i);
            ol_free(OL_MEM_PIPELINE, v->name, (size_t)v->len + 1);
            v->name = NULL;
            r->c.peers_forgotten++;
        }
        v->gen = gen;
        /* The index held this slot a moment ago, so it has room: this cannot fail. */
        if (OL_NEVER(ol_red_index_insert(&r->peer_ix, h, i) != OL_OK)) goto fail;
    }
    r->peers[i] = (ol_red_peer_t){.name = copy, .len = (uint32_t)name.len, .hash = h, .svc = svc, .gen = gen,
                                  .callee = OL_RED_NONE, .type = (uint8_t)type};
    return i;
fail:
    ol_free(OL_MEM_PIPELINE, copy, name.len + 1);
    return OL_RED_NONE;
}

void ol_red_peers_free_all(ol_red_t *r)
{
    for (size_t i = 0; i < r->n_peers; i++)
        if (r->peers[i].name) ol_free(OL_MEM_PIPELINE, r->peers[i].name, (size_t)r->peers[i].len + 1);
    ol_free(OL_MEM_PIPELINE, r->peers, r->cap_peers * sizeof *r->peers);
    r->peers = NULL;
    r->n_peers = r->cap_peers = 0;
    r->peer_hand = 0;
    ol_red_index_free(&r->peer_ix);
}

static bool ol_red_peer_is_fast(const ol_red_peer_t *p)
{
    if (p->type == OL_RED_PEER_DATABASE && p->matched == 0) return true;
    return p->expired >= OL_RED_PEER_LEARN && (uint64_t)p->matched * OL_RED_PEER_SHARE <= p->expired;
}

static bool ol_red_peer_is_predicted(const ol_red_peer_t *p)
{
    return p->type != OL_RED_PEER_QUEUE && p->run >= OL_RED_PEER_LEARN && p->callee != OL_RED_NONE &&
           !ol_red_peer_is_fast(p);
}

/* Whether a client span of peer slot i (type when no slot) is counted at once
 * against the uninstrumented peer. */
static bool ol_red_peer_fast(const ol_red_t *r, uint32_t i, int type)
{
    if (i == OL_RED_NONE) return type == OL_RED_PEER_DATABASE;
    return ol_red_peer_is_fast(&r->peers[i]);
}

/* The service a client span of peer slot i is counted against at once, or OL_RED_NONE. */
static uint32_t ol_red_peer_predict(const ol_red_t *r, uint32_t i)
{
    return i != OL_RED_NONE && ol_red_peer_is_predicted(&r->peers[i]) ? r->peers[i].callee : OL_RED_NONE;
}

void ol_red_peers_count(const ol_red_t *r, uint32_t *fast, uint32_t *predicted)
{
    *fast = *predicted = 0;
    for (size_t i = 0; i < r->n_peers; i++) {
        const ol_red_peer_t *p = &r->peers[i];
        if (!p->name) continue;
        if (ol_red_peer_is_predicted(p)) ++*predicted;
        else if (ol_red_peer_is_fast(p)) ++*fast;
    }
}

/* MATCHED and LATE name the partner's service; UNANSWERED is a predicted
 * call that heard nothing, EXPIRED any other. */
enum { OL_RED_LEARN_MATCHED, OL_RED_LEARN_EXPIRED, OL_RED_LEARN_LATE, OL_RED_LEARN_UNANSWERED };

static void ol_red_peer_learn(ol_red_t *r, uint32_t i, uint32_t gen, int outcome, uint32_t partner)
{
    if (i == OL_RED_NONE || i >= r->n_peers) return;
    ol_red_peer_t *p = &r->peers[i];
    if (!p->name || p->gen != gen) return; /* forgotten meanwhile */
    if (outcome == OL_RED_LEARN_EXPIRED || outcome == OL_RED_LEARN_UNANSWERED) {
        p->expired++;
        if (outcome == OL_RED_LEARN_EXPIRED) {
            p->callee = OL_RED_NONE;
            p->run = 0;
        }
    } else {
        p->matched++;
        if (outcome == OL_RED_LEARN_LATE) p->expired = 0;
        if (partner == p->svc) {
            p->callee = OL_RED_NONE;
            p->run = 0;
        } else if (partner == p->callee) {
            if (p->run < OL_RED_PEER_LEARN) p->run++;
        } else {
            p->callee = partner;
            p->run = 1;
        }
    }
    if (p->matched >= OL_RED_PEER_DECAY || p->expired >= OL_RED_PEER_DECAY) {
        p->matched /= 2;
        p->expired /= 2;
    }
}

/* ---- matching ---- */

static void ol_red_edge_count(ol_red_t *r, uint32_t caller, uint32_t callee, uint64_t start_ns, bool error,
                              double ms)
{
    if (caller == callee) {
        r->c.edges_self++;
        return;
    }
    const ol_red_service_ent_t *ce = &r->services[callee];
    uint32_t series = ol_red_series_get(r, caller, true, OL_RED_PEER_SERVICE, false, ol_slice(ce->name, ce->len));
    ol_red_cell_add(r, series, start_ns, 1, error, ms);
    ol_red_series_release(r, series);
    r->c.edges_matched++;
}

/* A client whose partner will not come: the uninstrumented peer, or nothing. */
static void ol_red_edge_unmatched(ol_red_t *r, uint32_t fallback, uint64_t start_ns, bool error, double ms)
{
    if (fallback == OL_RED_NONE) {
        r->c.edges_unresolved++;
        return;
    }
    ol_red_cell_add(r, fallback, start_ns, 1, error, ms);
    r->c.edges_uninstrumented++;
}

void ol_red_edge_client(ol_red_t *r, const ol_otlp_span_t *s, uint32_t svc, double duration_ms)
{
    if (s->trace_id.len != 16 || s->span_id.len != 8) return;
    uint32_t h = ol_red_pend_hash(s->trace_id.ptr, s->span_id.ptr);
    uint32_t i = ol_red_pend_find(r, s->trace_id.ptr, s->span_id.ptr, h);
    bool error = s->status_code == 2;
    if (i != OL_RED_NONE && r->pending[i].state != OL_RED_PEND_CALLEE) {
        r->c.pending_duplicates++;
        return;
    }
    int type;
    ol_slice_t name;
    bool named = ol_red_peer_of(s, &type, &name);
    uint32_t peer = named ? ol_red_peer_get(r, svc, type, name) : OL_RED_NONE;
    uint32_t gen = peer != OL_RED_NONE ? r->peers[peer].gen : 0;
    if (i != OL_RED_NONE) {
        uint32_t callee = r->pending[i].svc;
        ol_red_edge_count(r, svc, callee, s->start_ns, error, duration_ms);
        ol_red_peer_learn(r, peer, gen, OL_RED_LEARN_MATCHED, callee);
        ol_red_pend_remove(r, i);
        return;
    }
    uint32_t predicted = ol_red_peer_predict(r, peer);
    if (predicted != OL_RED_NONE) {
        ol_red_edge_count(r, svc, predicted, s->start_ns, error, duration_ms);
        r->c.edges_predicted++;
        i = ol_red_pend_new(r, s->trace_id.ptr, s->span_id.ptr, h);
        if (i == OL_RED_NONE) {
            r->c.pending_overflow++;
            return;
        }
        ol_red_pending_t *p = &r->pending[i];
        p->state = OL_RED_PEND_RESOLVED;
        p->svc = predicted;
        p->peer = peer;
        p->peer_gen = gen;
        return;
    }
    uint32_t fallback = named ? ol_red_series_get(r, svc, true, type, false, name) : OL_RED_NONE;
    bool fast = fallback != OL_RED_NONE && ol_red_peer_fast(r, peer, type);
    if (fast) {
        ol_red_edge_unmatched(r, fallback, s->start_ns, error, duration_ms);
        r->c.edges_fast++;
    }
    i = ol_red_pend_new(r, s->trace_id.ptr, s->span_id.ptr, h);
    if (i == OL_RED_NONE) {
        r->c.pending_overflow++;
        if (!fast) ol_red_edge_unmatched(r, fallback, s->start_ns, error, duration_ms);
        ol_red_series_release(r, fallback);
        return;
    }
    ol_red_pending_t *p = &r->pending[i];
    p->state = fast ? OL_RED_PEND_RESOLVED : OL_RED_PEND_CLIENT;
    p->error = error;
    p->svc = fast ? OL_RED_NONE : svc;
    p->peer = peer;
    p->peer_gen = gen;
    p->start_ns = s->start_ns;
    p->duration_ms = duration_ms;
    if (fast) ol_red_series_release(r, fallback);
    else p->fallback = fallback;
}

void ol_red_edge_callee(ol_red_t *r, ol_slice_t trace_id, ol_slice_t client_span_id, uint32_t svc)
{
    if (trace_id.len != 16 || client_span_id.len != 8) return;
    uint32_t h = ol_red_pend_hash(trace_id.ptr, client_span_id.ptr);
    uint32_t i = ol_red_pend_find(r, trace_id.ptr, client_span_id.ptr, h);
    if (i != OL_RED_NONE) {
        ol_red_pending_t *p = &r->pending[i];
        if (p->state == OL_RED_PEND_CLIENT) {
            ol_red_edge_count(r, p->svc, svc, p->start_ns, p->error, p->duration_ms);
            ol_red_peer_learn(r, p->peer, p->peer_gen, OL_RED_LEARN_MATCHED, svc);
        } else if (p->state == OL_RED_PEND_RESOLVED && p->svc != OL_RED_NONE) {
            if (svc != p->svc) r->c.edges_mispredicted++;
            ol_red_peer_learn(r, p->peer, p->peer_gen, OL_RED_LEARN_MATCHED, svc);
        } else if (p->state == OL_RED_PEND_RESOLVED) {
            r->c.edges_late_partner++;
            ol_red_peer_learn(r, p->peer, p->peer_gen, OL_RED_LEARN_LATE, svc);
        } else {
            r->c.pending_duplicates++;
            return;
        }
        ol_red_pend_remove(r, i);
        return;
    }
    i = ol_red_pend_new(r, trace_id.ptr, client_span_id.ptr, h);
    if (i == OL_RED_NONE) {
        r->c.pending_overflow++;
        return;
    }
    r->pending[i].state = OL_RED_PEND_CALLEE;
    r->pending[i].svc = svc;
}

void ol_red_edge_expire(ol_red_t *r, bool all)
{
    if (all) {
        /* Everything goes: resolve in order, then drop the table in one step
         * instead of unlinking a million entries from the index one by one.
         * Nothing waited its full time, so the peers learn nothing. */
        for (uint32_t i = r->pending_head; i != OL_RED_NONE; i = r->pending[i].next) {
            ol_red_pending_t *p = &r->pending[i];
            if (p->state == OL_RED_PEND_CLIENT) ol_red_edge_unmatched(r, p->fallback, p->start_ns, p->error, p->duration_ms);
            else if (p->state == OL_RED_PEND_CALLEE) r->c.callees_unmatched++;
            ol_red_series_release(r, p->fallback);
        }
        ol_red_pending_free_all(r);
        return;
    }
    uint32_t i = r->pending_head;
    while (i != OL_RED_NONE) {
        ol_red_pending_t *p = &r->pending[i];
        uint32_t next = p->next;
        if (!p->since_ns) {
            /* Arrived before the first tick: starts waiting now. */
            p->since_ns = r->now_ns;
            i = next;
            continue;
        }
        if (r->now_ns < p->since_ns || r->now_ns - p->since_ns < r->opt.edge_wait_ns) break;
        if (p->state == OL_RED_PEND_CALLEE) {
            r->c.callees_unmatched++;
        } else if (p->state == OL_RED_PEND_RESOLVED && p->svc != OL_RED_NONE) {
            r->c.edges_predicted_unanswered++;
            ol_red_peer_learn(r, p->peer, p->peer_gen, OL_RED_LEARN_UNANSWERED, OL_RED_NONE);
        } else {
            if (p->state == OL_RED_PEND_CLIENT)
                ol_red_edge_unmatched(r, p->fallback, p->start_ns, p->error, p->duration_ms);
            ol_red_peer_learn(r, p->peer, p->peer_gen, OL_RED_LEARN_EXPIRED, OL_RED_NONE);
        }
        ol_red_pend_remove(r, i);
        i = next;
    }
}
