/*
 * act.c - the alert table behind act.h: the bounded queue that fire and
 * resolve fill, the act thread's application of it (deduplication,
 * episodes, routing), ownership through the state store, eviction, and the
 * read side (the API JSON, /metrics, stats). deliver.c sends.
 *
 * An alert lives in a hash table by key. Its episode counts the times it
 * went from resolved (or nothing) to firing; each episode is announced once
 * to every receiver it routes to. Per receiver a slot records what that
 * receiver last heard (told: nothing, firing, resolved, or "gave up") and
 * which episode it heard firing for (announced); ol_act_slot_need() derives
 * the next message from that and the alert's status, so duplicates,
 * ordering and restarts all come from one rule:
 *   firing alert:   Alertmanager: firing, again every resend interval;
 *                   others: firing unless this episode was announced;
 *   resolved alert: resolved if the receiver heard firing last (others
 *                   first hear firing if the episode was never announced).
 * A fire that reopens a resolved alert whose resolution a receiver has not
 * heard yet counts as announced for that receiver: it still believes the
 * alert is firing, which is true again.
 *
 * The state entry is written at every change of status, episode or of what
 * a receiver heard, and every resend interval while firing (the heartbeat
 * that keeps other nodes from taking the alert over). Resolved alerts whose
 * receivers are all done stay listed for resolved_keep_s (or until the table
 * needs room) and are then deleted from the table and the state.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "act/act_int.h"
#include "codec/json.h"
#include "core/log.h"
#include "core/util.h"

#define OL_ACT_NS "alert"

static void ol_act_rec_free(ol_act_rec_t *r)
{
    if (!r) return;
    ol_act_ev_free(r->c);
    ol_free(OL_ACT_MEM, r->slots, r->cap_slots * sizeof *r->slots);
    ol_free(OL_ACT_MEM, r, sizeof *r);
}

static ol_act_rec_t *ol_act_find(ol_act_t *a, ol_slice_t key, uint64_t h)
{
    for (ol_act_rec_t *r = a->buckets[h & (a->n_buckets - 1)]; r; r = r->hnext)
        if (r->hash == h && ol_slice_eq(r->c->key, key)) return r;
    return NULL;
}

/* Under a->mu. */
static int ol_act_insert(ol_act_t *a, ol_act_rec_t *r)
{
    if (a->n_recs + 1 > a->n_buckets) {
        uint32_t nb = a->n_buckets * 2;
        ol_act_rec_t **b = ol_calloc(OL_ACT_MEM, nb, sizeof *b);
        if (!b) return OL_NOMEM;
        for (uint32_t i = 0; i < a->n_buckets; i++)
            for (ol_act_rec_t *x = a->buckets[i], *next; x; x = next) {
                next = x->hnext;
                x->hnext = b[x->hash & (nb - 1)];
                b[x->hash & (nb - 1)] = x;
            }
        ol_free(OL_ACT_MEM, a->buckets, a->n_buckets * sizeof *a->buckets);
        a->buckets = b;
        a->n_buckets = nb;
    }
    ol_act_rec_t **head = &a->buckets[r->hash & (a->n_buckets - 1)];
    r->hnext = *head;
    *head = r;
    a->n_recs++;
    return OL_OK;
}

/* Under a->mu. */
static void ol_act_unlink(ol_act_t *a, ol_act_rec_t *r)
{
    ol_act_rec_t **p = &a->buckets[r->hash & (a->n_buckets - 1)];
    while (*p && *p != r) p = &(*p)->hnext;
    if (*p) {
        *p = r->hnext;
        a->n_recs--;
    }
}

/* Adds a slot for every receiver the labels route to that has none yet. Under a->mu. */
static int ol_act_add_slots(ol_act_t *a, ol_act_rec_t *r)
{
    uint64_t mask = ol_act_route(a->cfg, r->c->labels, r->c->n_labels);
    for (uint32_t i = 0; i < r->n_slots; i++) mask &= ~(1ull << r->slots[i].recv);
    for (uint32_t i = 0; mask; i++, mask >>= 1) {
        if (!(mask & 1)) continue;
        if (ol_grow_array(OL_ACT_MEM, (void **)&r->slots, &r->cap_slots, r->n_slots + 1, sizeof *r->slots) != OL_OK)
            return OL_NOMEM;
        r->slots[r->n_slots++] = (ol_act_slot_t){.recv = i};
    }
    return OL_OK;
}

int ol_act_slot_need(const ol_act_config_t *cfg, const ol_act_rec_t *r, const ol_act_slot_t *s)
{
    bool am = cfg->recv[s->recv].type == OL_ACT_AM;
    if (r->status == OL_ACT_FIRING) return am || s->announced != r->episode ? OL_ACT_FIRING : 0;
    if (!am && s->announced != r->episode) return OL_ACT_FIRING;
    return s->told == OL_ACT_TOLD_FIRING ? OL_ACT_RESOLVED : 0;
}

bool ol_act_slot_owed(const ol_act_config_t *cfg, const ol_act_rec_t *r, const ol_act_slot_t *s)
{
    int need = ol_act_slot_need(cfg, r, s);
    if (!need) return false;
    /* Alertmanager's periodic resend of an announced firing alert is not owed */
    return cfg->recv[s->recv].type != OL_ACT_AM || need == OL_ACT_RESOLVED || s->announced != r->episode ||
           s->attempts > 0;
}

static bool ol_act_done(const ol_act_t *a, const ol_act_rec_t *r)
{
    if (r->status != OL_ACT_RESOLVED) return false;
    for (uint32_t i = 0; i < r->n_slots; i++)
        if (r->slots[i].in_flight || (r->owned && ol_act_slot_need(a->cfg, r, &r->slots[i]))) return false;
    return true;
}

/* ---- the state ---- */

static uint64_t ol_act_lease_ns(const ol_act_t *a) { return 10 * a->cfg->resend_ns; }

static void ol_act_encode(ol_act_t *a, const ol_act_rec_t *r, ol_buf_t *b)
{
    ol_buf_reset(b);
    ol_act_stored_encode(b, r, a->cfg, a->node_id, ol_act_done(a, r), ol_now_ns());
}

void ol_act_persist(ol_act_t *a, ol_act_rec_t *r, uint64_t now_mono)
{
    if (!a->state || !r->owned) {
        r->dirty = false;
        return;
    }
    ol_act_encode(a, r, &a->scratch);
    if (a->scratch.err != OL_OK) {
        ol_warn("alerts: cannot encode alert %.*s for the state: %s", (int)OL_MIN(r->c->key.len, 200),
                (const char *)r->c->key.ptr, ol_rc_str(a->scratch.err));
        r->dirty = true;
        r->beat_mono = now_mono + 1000000000ull;
        return;
    }
    uint64_t v = 0;
    int rc = ol_state_put(a->state, OL_ACT_NS, r->c->key, ol_buf_slice(&a->scratch), r->version, &v);
    pthread_mutex_lock(&a->mu);
    if (rc == OL_OK) {
        r->version = v;
        r->dirty = false;
        r->beat_mono = now_mono + a->cfg->resend_ns;
    } else if (rc == OL_BUSY) {
        r->owned = false;
        r->dirty = false;
        snprintf(r->owner, sizeof r->owner, "%s", "(another node)");
        r->beat_mono = now_mono;
    } else {
        a->state_errors++;
        r->dirty = true;
        r->beat_mono = now_mono + 1000000000ull;
    }
    pthread_mutex_unlock(&a->mu);
    if (rc == OL_BUSY)
        ol_warn("alerts: alert %.*s was taken over by another node; this node stops notifying for it",
                (int)OL_MIN(r->c->key.len, 200), (const char *)r->c->key.ptr);
    else if (rc != OL_OK)
        ol_warn("alerts: cannot write alert %.*s to the state: %s (retrying)", (int)OL_MIN(r->c->key.len, 200),
                (const char *)r->c->key.ptr, ol_rc_str(rc));
}

/* Takes what a stored record says each receiver heard. Under a->mu. */
static void ol_act_adopt_slots(ol_act_t *a, ol_act_rec_t *r, const ol_act_stored_t *st)
{
    for (uint32_t i = 0; i < st->n_slots; i++) {
        uint32_t j = 0;
        while (j < a->cfg->n_recv && !ol_slice_eq_cstr(st->slots[i].receiver, a->cfg->recv[j].name)) j++;
        if (j == a->cfg->n_recv) continue; /* a receiver no longer configured */
        uint32_t k = 0;
        while (k < r->n_slots && r->slots[k].recv != j) k++;
        if (k == r->n_slots) {
            if (ol_grow_array(OL_ACT_MEM, (void **)&r->slots, &r->cap_slots, r->n_slots + 1, sizeof *r->slots) !=
                OL_OK)
                continue;
            r->slots[r->n_slots++] = (ol_act_slot_t){.recv = j};
        }
        r->slots[k].told = st->slots[i].told;
        r->slots[k].announced = st->slots[i].announced;
    }
}

/* The state entry of r's key exists (put with OL_STATE_ABSENT said OL_BUSY),
 * or r is not ours and is checked again: take the entry if it is this
 * node's, stale (its owner owes something but wrote no heartbeat for a
 * lease), damaged, or settled (resolved and delivered) while r starts an
 * episode here, else leave the alert to its owner (a settled entry is not
 * taken by a mere recheck: the owner resolved what this node still sees
 * firing, and the owner's own next fire reopens it). A taken record's
 * episode and what each receiver heard carry over, so nothing is announced
 * twice, and a firing entry of a silent owner gets resolved by whoever saw
 * the anomaly end. A resolved alert stops watching once the entry is
 * resolved or gone (its owner did the job). */
typedef enum { OL_ACT_CLAIM, OL_ACT_REOPEN, OL_ACT_RECHECK } ol_act_why_t;

static void ol_act_contend(ol_act_t *a, ol_act_rec_t *r, uint64_t now_mono, ol_act_why_t why)
{
    bool first = why == OL_ACT_CLAIM;
    ol_buf_t blob;
    ol_buf_init(&blob, OL_ACT_MEM, OL_STATE_MAX_VALUE);
    ol_arena_t *arena = ol_arena_create(4096, 0);
    uint64_t ver = 0;
    char owner[64] = "";
    bool take = false, decoded = false, quiet = false;
    bool firing = r->status == OL_ACT_FIRING;
    int rc = arena ? ol_state_get(a->state, OL_ACT_NS, r->c->key, &blob, &ver) : OL_NOMEM;
    ol_act_stored_t st;
    memset(&st, 0, sizeof st);
    if (rc == OL_NOTFOUND && !firing) {
        quiet = true;
        rc = OL_OK;
    } else if (rc == OL_NOTFOUND) {
        rc = ol_state_put(a->state, OL_ACT_NS, r->c->key, OL_SLICE_LIT("-"), OL_STATE_ABSENT, &ver);
        take = rc == OL_OK; /* it vanished meanwhile: a placeholder now, the record below */
        if (rc == OL_BUSY) snprintf(owner, sizeof owner, "%s", "(another node)");
    } else if (rc == OL_OK) {
        int drc = ol_act_stored_decode(ol_buf_slice(&blob), arena, &st);
        if (drc != OL_OK) {
            ol_warn("alerts: the stored record of alert %.*s is damaged (%s); taking it over",
                    (int)OL_MIN(r->c->key.len, 200), (const char *)r->c->key.ptr, ol_rc_str(drc));
            take = true;
        } else {
            decoded = true;
            snprintf(owner, sizeof owner, "%.*s", (int)st.owner.len, (const char *)st.owner.ptr);
            bool mine = strcmp(owner, a->node_id) == 0;
            bool stale = !st.settled && st.heartbeat_wall + ol_act_lease_ns(a) < ol_now_ns();
            if (!firing && st.status == OL_ACT_RESOLVED) quiet = true;
            else take = mine || stale || (st.settled && why != OL_ACT_RECHECK);
            if (take && !mine && !st.settled)
                ol_warn("alerts: node %s stopped refreshing alert %.*s; this node takes it over", owner,
                        (int)OL_MIN(r->c->key.len, 200), (const char *)r->c->key.ptr);
        }
    }
    pthread_mutex_lock(&a->mu);
    if (take && decoded) {
        if (st.status == OL_ACT_FIRING) {
            r->episode = st.episode;
            r->starts_wall = st.starts_wall;
        } else {
            r->episode = OL_MAX(r->episode, st.episode + 1);
        }
        ol_act_adopt_slots(a, r, &st);
    }
    if (take) {
        r->version = ver;
        r->owned = true;
        snprintf(r->owner, sizeof r->owner, "%s", a->node_id);
        if (first) a->claims_owned++;
    } else if (rc == OL_OK || rc == OL_BUSY) {
        r->owned = false;
        r->quiet = quiet;
        if (owner[0]) snprintf(r->owner, sizeof r->owner, "%s", owner);
        if (first) a->claims_busy++;
    } else {
        /* the state is failing: notify rather than stay silent */
        r->owned = true;
        snprintf(r->owner, sizeof r->owner, "%s", a->node_id);
        a->state_errors++;
    }
    r->beat_mono = now_mono + a->cfg->resend_ns;
    pthread_mutex_unlock(&a->mu);
    if (rc != OL_OK && rc != OL_BUSY)
        ol_warn("alerts: cannot read alert %.*s from the state: %s", (int)OL_MIN(r->c->key.len, 200),
                (const char *)r->c->key.ptr, ol_rc_str(rc));
    if (take) ol_act_persist(a, r, now_mono); /* compare-and-set on ver: a racing node gets OL_BUSY */
    ol_arena_destroy(arena);
    ol_buf_free(&blob);
}

/* First fire of a key on this node: create its state entry, or contend. */
static void ol_act_claim(ol_act_t *a, ol_act_rec_t *r, uint64_t now_mono)
{
    if (!a->state) {
        pthread_mutex_lock(&a->mu);
        r->owned = true;
        snprintf(r->owner, sizeof r->owner, "%s", a->node_id);
        a->claims_owned++;
        pthread_mutex_unlock(&a->mu);
        return;
    }
    ol_act_encode(a, r, &a->scratch);
    uint64_t v = 0;
    int rc = a->scratch.err != OL_OK ? a->scratch.err
                                      : ol_state_put(a->state, OL_ACT_NS, r->c->key, ol_buf_slice(&a->scratch),
                                                     OL_STATE_ABSENT, &v);
    if (rc == OL_BUSY) {
        ol_act_contend(a, r, now_mono, OL_ACT_CLAIM);
        return;
    }
    pthread_mutex_lock(&a->mu);
    r->owned = true;
    snprintf(r->owner, sizeof r->owner, "%s", a->node_id);
    r->beat_mono = now_mono + a->cfg->resend_ns;
    if (rc == OL_OK) {
        r->version = v;
        a->claims_owned++;
    } else {
        a->state_errors++;
        r->dirty = true;
    }
    pthread_mutex_unlock(&a->mu);
    if (rc != OL_OK)
        ol_warn("alerts: cannot create alert %.*s in the state: %s (notifying anyway)",
                (int)OL_MIN(r->c->key.len, 200), (const char *)r->c->key.ptr, ol_rc_str(rc));
}

/* ---- applying the queue ---- */

/* Removes the settled resolved alert that ended first, to make room. */
static bool ol_act_evict_oldest(ol_act_t *a)
{
    ol_act_rec_t *old = NULL;
    for (uint32_t i = 0; i < a->n_buckets; i++)
        for (ol_act_rec_t *r = a->buckets[i]; r; r = r->hnext)
            if (ol_act_done(a, r) && !r->dirty && (!old || r->ends_wall < old->ends_wall)) old = r;
    if (!old) return false;
    if (a->state && old->owned) ol_state_del(a->state, OL_ACT_NS, old->c->key, old->version);
    pthread_mutex_lock(&a->mu);
    ol_act_unlink(a, old);
    pthread_mutex_unlock(&a->mu);
    ol_act_rec_free(old);
    return true;
}

static void ol_act_apply_fire(ol_act_t *a, ol_act_ev_t *ev)
{
    uint64_t now_mono = ol_mono_ns();
    uint64_t h = ol_hash64(ev->key.ptr, ev->key.len, 0);
    ol_act_rec_t *r = ol_act_find(a, ev->key, h);
    if (!r) {
        if (a->n_recs >= a->cfg->max_alerts && !ol_act_evict_oldest(a)) {
            pthread_mutex_lock(&a->mu);
            uint64_t n = ++a->table_full;
            pthread_mutex_unlock(&a->mu);
            if ((n & (n - 1)) == 0)
                ol_warn("alerts: %u alerts are open or unresolved at their receivers (max_alerts); a new alert "
                        "%.*s was not raised (%" PRIu64 " so far, olly_alert_table_full_total)",
                        a->cfg->max_alerts, (int)OL_MIN(ev->key.len, 200), (const char *)ev->key.ptr, n);
            ol_act_ev_free(ev);
            return;
        }
        r = ol_calloc(OL_ACT_MEM, 1, sizeof *r);
        if (!r) {
            ol_act_ev_free(ev);
            return;
        }
        r->c = ev;
        r->hash = h;
        r->status = OL_ACT_FIRING;
        r->episode = 1;
        r->starts_wall = r->updated_wall = ev->wall_ns;
        r->fires = 1;
        pthread_mutex_lock(&a->mu);
        int rc = ol_act_add_slots(a, r);
        if (rc == OL_OK) rc = ol_act_insert(a, r);
        pthread_mutex_unlock(&a->mu);
        if (rc != OL_OK) {
            ol_warn("alerts: out of memory raising alert %.*s", (int)OL_MIN(ev->key.len, 200), (const char *)ev->key.ptr);
            ol_act_rec_free(r);
            return;
        }
        ol_act_claim(a, r, now_mono);
        return;
    }
    pthread_mutex_lock(&a->mu);
    ol_act_ev_t *old = r->c;
    r->c = ev;
    r->fires++;
    r->updated_wall = ev->wall_ns;
    bool reopened = r->status == OL_ACT_RESOLVED;
    if (reopened) {
        r->quiet = false;
        r->status = OL_ACT_FIRING;
        r->episode++;
        r->starts_wall = ev->wall_ns;
        r->ends_wall = 0;
        for (uint32_t i = 0; i < r->n_slots; i++) {
            ol_act_slot_t *s = &r->slots[i];
            if (s->told == OL_ACT_TOLD_FIRING) s->announced = r->episode;
            s->attempts = 0;
            s->next_mono = 0;
            s->err[0] = 0;
        }
        r->dirty = true;
    }
    if (ol_act_add_slots(a, r) != OL_OK) ol_warn("alerts: out of memory routing an alert");
    pthread_mutex_unlock(&a->mu);
    ol_act_ev_free(old);
    if (reopened && r->owned) ol_act_persist(a, r, now_mono);
    else if (reopened && a->state) ol_act_contend(a, r, now_mono, OL_ACT_REOPEN);
}

static void ol_act_apply_resolve(ol_act_t *a, ol_act_ev_t *ev)
{
    ol_act_rec_t *r = ol_act_find(a, ev->key, ol_hash64(ev->key.ptr, ev->key.len, 0));
    if (r && r->status == OL_ACT_FIRING) {
        pthread_mutex_lock(&a->mu);
        r->status = OL_ACT_RESOLVED;
        r->ends_wall = OL_MAX(ev->wall_ns, r->starts_wall);
        r->updated_wall = ev->wall_ns;
        for (uint32_t i = 0; i < r->n_slots; i++)
            if (!r->slots[i].attempts) r->slots[i].next_mono = 0;
        r->dirty = true;
        pthread_mutex_unlock(&a->mu);
        ol_act_persist(a, r, ol_mono_ns());
    }
    ol_act_ev_free(ev);
}

void ol_act_apply_queue(ol_act_t *a)
{
    for (;;) {
        pthread_mutex_lock(&a->qmu);
        if (!a->q_len || a->paused) {
            pthread_mutex_unlock(&a->qmu);
            return;
        }
        ol_act_ev_t *ev = a->q[a->q_head];
        a->q_head = (a->q_head + 1) % a->cfg->queue_size;
        a->q_len--;
        pthread_mutex_unlock(&a->qmu);
        uint64_t seq = ev->seq;
        if (ev->kind == OL_ACT_EV_FIRE) ol_act_apply_fire(a, ev);
        else ol_act_apply_resolve(a, ev);
        pthread_mutex_lock(&a->qmu);
        a->applied_seq = seq;
        pthread_cond_broadcast(&a->qcv);
        pthread_mutex_unlock(&a->qmu);
    }
}

void ol_act_maintain(ol_act_t *a, uint64_t now_mono, uint64_t now_wall, uint64_t *next_wake)
{
    ol_act_rec_t *gone = NULL;
    for (uint32_t i = 0; i < a->n_buckets; i++) {
        for (ol_act_rec_t *r = a->buckets[i], *next; r; r = next) {
            next = r->hnext;
            /* the owner's heartbeat runs while it owes anything */
            bool beat = r->owned ? r->dirty || !ol_act_done(a, r) : a->state && !r->quiet;
            if (beat && r->beat_mono <= now_mono) {
                if (r->owned) ol_act_persist(a, r, now_mono);
                else ol_act_contend(a, r, now_mono, OL_ACT_RECHECK);
            }
            if (beat && r->beat_mono < *next_wake) *next_wake = r->beat_mono;
            if (ol_act_done(a, r) && !r->dirty && now_wall > r->ends_wall &&
                now_wall - r->ends_wall >= a->cfg->resolved_keep_ns) {
                if (a->state && r->owned) ol_state_del(a->state, OL_ACT_NS, r->c->key, r->version);
                pthread_mutex_lock(&a->mu);
                ol_act_unlink(a, r);
                pthread_mutex_unlock(&a->mu);
                r->hnext = gone;
                gone = r;
            }
        }
    }
    while (gone) {
        ol_act_rec_t *next = gone->hnext;
        ol_act_rec_free(gone);
        gone = next;
    }
}

/* ---- reloading this node's alerts ---- */

typedef struct ol_act_load {
    ol_act_t *a;
    uint32_t loaded, skipped;
} ol_act_load_t;

static int ol_act_load_one(void *arg, ol_slice_t key, ol_slice_t value, uint64_t version)
{
    ol_act_load_t *l = arg;
    ol_act_t *a = l->a;
    ol_arena_t *arena = ol_arena_create(4096, 0);
    ol_act_stored_t st;
    int rc = arena ? ol_act_stored_decode(value, arena, &st) : OL_NOMEM;
    if (rc != OL_OK || !ol_slice_eq_cstr(st.owner, a->node_id)) {
        if (rc != OL_OK) l->skipped++;
        ol_arena_destroy(arena);
        return 0;
    }
    ol_act_ev_t *ev = NULL;
    st.alert.key = key;
    ol_act_rec_t *r = NULL;
    if (a->n_recs < a->cfg->max_alerts && ol_act_ev_pack(&st.alert, OL_ACT_EV_FIRE, &ev) == OL_OK &&
        (r = ol_calloc(OL_ACT_MEM, 1, sizeof *r)) != NULL) {
        ev->wall_ns = st.updated_wall;
        r->c = ev;
        r->hash = ol_hash64(key.ptr, key.len, 0);
        r->status = st.status;
        r->owned = true;
        snprintf(r->owner, sizeof r->owner, "%s", a->node_id);
        r->episode = st.episode;
        r->starts_wall = st.starts_wall;
        r->ends_wall = st.ends_wall;
        r->updated_wall = st.updated_wall;
        r->fires = st.fires;
        r->version = version;
        ol_act_adopt_slots(a, r, &st);
        int arc = r->status == OL_ACT_FIRING ? ol_act_add_slots(a, r) : OL_OK;
        if (arc == OL_OK && ol_act_insert(a, r) == OL_OK) {
            l->loaded++;
            r = NULL;
        }
    } else {
        ol_act_ev_free(ev);
    }
    if (r) {
        l->skipped++;
        ol_act_rec_free(r);
    }
    ol_arena_destroy(arena);
    return 0;
}

/* ---- public ---- */

static int ol_act_enqueue(ol_act_t *a, ol_act_ev_t *ev)
{
    ev->wall_ns = ol_now_ns();
    pthread_mutex_lock(&a->qmu);
    if (a->q_len == a->cfg->queue_size) {
        a->events_dropped++;
        a->drops_unlogged++;
        uint64_t now = ol_mono_ns(), n = 0, total = a->events_dropped;
        if (a->last_drop_log_mono == 0 || now - a->last_drop_log_mono >= 10000000000ull) {
            n = a->drops_unlogged;
            a->drops_unlogged = 0;
            a->last_drop_log_mono = now;
        }
        pthread_mutex_unlock(&a->qmu);
        if (n)
            ol_warn("alerts: the alert queue is full (%u); dropped %" PRIu64 " fire/resolve call(s), %" PRIu64
                    " in all (olly_alert_events_total{result=\"dropped\"})",
                    a->cfg->queue_size, n, total);
        ol_act_ev_free(ev);
        return OL_BUSY;
    }
    ev->seq = ++a->enq_seq;
    a->q[(a->q_head + a->q_len) % a->cfg->queue_size] = ev;
    a->q_len++;
    a->events_queued++;
    pthread_mutex_unlock(&a->qmu);
    ol_act_wake(a);
    return OL_OK;
}

int ol_act_fire(ol_act_t *a, const ol_act_alert_t *alert)
{
    ol_act_ev_t *ev;
    int rc = ol_act_ev_pack(alert, OL_ACT_EV_FIRE, &ev);
    return rc == OL_OK ? ol_act_enqueue(a, ev) : rc;
}

int ol_act_resolve(ol_act_t *a, ol_slice_t key)
{
    ol_act_alert_t al = {.key = key};
    ol_act_ev_t *ev;
    int rc = ol_act_ev_pack(&al, OL_ACT_EV_RESOLVE, &ev);
    return rc == OL_OK ? ol_act_enqueue(a, ev) : rc;
}

int ol_act_sync(ol_act_t *a, uint64_t timeout_ms)
{
    struct timespec dl = ol_mono_deadline_ms(timeout_ms);
    pthread_mutex_lock(&a->qmu);
    uint64_t target = a->enq_seq;
    int rc = OL_OK;
    while (a->applied_seq < target && rc == OL_OK)
        if (pthread_cond_timedwait(&a->qcv, &a->qmu, &dl) != 0 && a->applied_seq < target) rc = OL_AGAIN;
    pthread_mutex_unlock(&a->qmu);
    return rc;
}

void ol_act_test_pause(ol_act_t *a, bool paused)
{
    pthread_mutex_lock(&a->qmu);
    a->paused = paused;
    pthread_mutex_unlock(&a->qmu);
    ol_act_wake(a);
}

int ol_act_create(const ol_act_options_t *opt, ol_act_t **out, ol_err_t *err)
{
    *out = NULL;
    ol_act_config_t *cfg = opt->config;
    if (!cfg && ol_act_config_parse(OL_SLICE_LIT("{}"), &cfg, err) != OL_OK) return OL_NOMEM;
    ol_act_t *a = ol_calloc(OL_ACT_MEM, 1, sizeof *a);
    if (!a) {
        ol_act_config_free(cfg);
        ol_err_set(err, "alerts: out of memory");
        return OL_NOMEM;
    }
    a->cfg = cfg;
    a->state = opt->state;
    const char *node = opt->node_id ? opt->node_id : cfg->node_id;
    char host[256] = "";
    if (!node && gethostname(host, sizeof host - 1) == 0 && host[0]) node = host;
    snprintf(a->node_id, sizeof a->node_id, "%.63s", node && *node ? node : "olly");
    const char *ext = cfg->external_url ? cfg->external_url : opt->external_url;
    if (!ext || !*ext) ext = "http://localhost:3300";
    size_t elen = strlen(ext);
    while (elen > 0 && ext[elen - 1] == '/') elen--;
    a->external_url_own = ol_strndup(OL_ACT_MEM, ext, elen);
    a->external_url = a->external_url_own;
    pthread_mutex_init(&a->qmu, NULL);
    pthread_mutex_init(&a->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&a->qcv, &ca);
    pthread_condattr_destroy(&ca);
    ol_buf_init(&a->scratch, OL_ACT_MEM, OL_STATE_MAX_VALUE);
    a->rng = ol_mono_ns() ^ 0x9E3779B97F4A7C15ull ^ (uint64_t)(uintptr_t)a;
    if (!a->rng) a->rng = 1;
    a->n_buckets = 64;
    a->q = ol_calloc(OL_ACT_MEM, cfg->queue_size, sizeof *a->q);
    a->buckets = ol_calloc(OL_ACT_MEM, a->n_buckets, sizeof *a->buckets);
    a->rs = ol_calloc(OL_ACT_MEM, cfg->n_recv ? cfg->n_recv : 1, sizeof *a->rs);
    int rc = a->q && a->buckets && a->rs && a->external_url_own ? OL_OK : OL_NOMEM;
    if (rc != OL_OK) ol_err_set(err, "alerts: out of memory");
    if (rc == OL_OK && (rc = ol_act_deliver_init(a)) != OL_OK) ol_err_set(err, "alerts: cannot start libcurl");
    if (rc == OL_OK && a->state) {
        ol_act_load_t l = {a, 0, 0};
        rc = ol_state_scan(a->state, OL_ACT_NS, OL_SLICE_NULL, ol_act_load_one, &l);
        if (rc != OL_OK) ol_err_set(err, "alerts: cannot read the alerts from the state: %s", ol_rc_str(rc));
        else if (l.loaded || l.skipped)
            ol_info("alerts: %u alert(s) of node %s reloaded from the state%s", l.loaded, a->node_id,
                    l.skipped ? " (some records were damaged or did not fit and were skipped)" : "");
    }
    if (rc == OL_OK) {
        if (pthread_create(&a->thread, NULL, ol_act_thread, a) != 0) {
            ol_err_set(err, "alerts: cannot start the alert thread");
            rc = OL_ERR;
        } else a->thread_on = true;
    }
    if (rc != OL_OK) {
        ol_act_destroy(a);
        return rc;
    }
    *out = a;
    return OL_OK;
}

void ol_act_destroy(ol_act_t *a)
{
    if (!a) return;
    if (a->thread_on) {
        a->stop_deadline_mono = ol_mono_ns() + (uint64_t)a->cfg->shutdown_flush_ms * 1000000ull;
        __atomic_store_n(&a->stopping, 1, __ATOMIC_RELEASE);
        pthread_mutex_lock(&a->qmu);
        a->paused = false;
        pthread_mutex_unlock(&a->qmu);
        ol_act_wake(a);
        pthread_join(a->thread, NULL);
    }
    ol_act_deliver_fini(a);
    if (a->q) {
        for (uint32_t i = 0; i < a->q_len; i++) ol_act_ev_free(a->q[(a->q_head + i) % a->cfg->queue_size]);
        ol_free(OL_ACT_MEM, a->q, a->cfg->queue_size * sizeof *a->q);
    }
    if (a->buckets) {
        for (uint32_t i = 0; i < a->n_buckets; i++)
            for (ol_act_rec_t *r = a->buckets[i], *next; r; r = next) {
                next = r->hnext;
                ol_act_rec_free(r);
            }
        ol_free(OL_ACT_MEM, a->buckets, a->n_buckets * sizeof *a->buckets);
    }
    ol_free(OL_ACT_MEM, a->rs, (a->cfg->n_recv ? a->cfg->n_recv : 1) * sizeof *a->rs);
    if (a->external_url_own) ol_free(OL_ACT_MEM, a->external_url_own, strlen(a->external_url_own) + 1);
    ol_buf_free(&a->scratch);
    pthread_cond_destroy(&a->qcv);
    pthread_mutex_destroy(&a->mu);
    pthread_mutex_destroy(&a->qmu);
    ol_act_config_free(a->cfg);
    ol_free(OL_ACT_MEM, a, sizeof *a);
}

/* ---- the read side ---- */

static const char *ol_act_told_name(uint8_t t)
{
    switch (t) {
    case OL_ACT_TOLD_FIRING: return "firing";
    case OL_ACT_TOLD_RESOLVED: return "resolved";
    case OL_ACT_TOLD_GAVE_UP: return "failed";
    default: return "nothing";
    }
}

static int ol_act_order(const void *x, const void *y)
{
    const ol_act_rec_t *a = *(ol_act_rec_t *const *)x, *b = *(ol_act_rec_t *const *)y;
    if (a->status != b->status) return a->status == OL_ACT_FIRING ? -1 : 1;
    uint64_t ta = a->status == OL_ACT_FIRING ? a->starts_wall : a->ends_wall;
    uint64_t tb = b->status == OL_ACT_FIRING ? b->starts_wall : b->ends_wall;
    if (ta != tb) return ta > tb ? -1 : 1;
    size_t n = OL_MIN(a->c->key.len, b->c->key.len);
    int c = memcmp(a->c->key.ptr, b->c->key.ptr, n);
    return c ? c : (a->c->key.len < b->c->key.len ? -1 : a->c->key.len > b->c->key.len);
}

static void ol_act_json_pairs(ol_buf_t *b, const ol_act_pair_t *p, uint32_t n)
{
    ol_buf_append_u8(b, '{');
    for (uint32_t i = 0; i < n; i++) {
        if (i) ol_buf_append_u8(b, ',');
        ol_json_write_string(b, p[i].name);
        ol_buf_append_u8(b, ':');
        ol_json_write_string(b, p[i].value);
    }
    ol_buf_append_u8(b, '}');
}

static void ol_act_json_time(ol_buf_t *b, const char *name, uint64_t ns)
{
    char t[40];
    ol_buf_printf(b, ",\"%s\":", name);
    if (!ns) {
        ol_buf_append_cstr(b, "null");
        return;
    }
    ol_time_format(ns, t);
    ol_json_write_cstr(b, t);
}

static void ol_act_json_rec(ol_act_t *a, ol_buf_t *b, const ol_act_rec_t *r, uint64_t now_mono)
{
    const ol_act_ev_t *c = r->c;
    ol_buf_append_cstr(b, "{\"key\":");
    ol_json_write_string(b, c->key);
    ol_buf_append_cstr(b, r->status == OL_ACT_FIRING ? ",\"status\":\"firing\"" : ",\"status\":\"resolved\"");
    ol_buf_append_cstr(b, ",\"labels\":");
    ol_act_json_pairs(b, c->labels, c->n_labels);
    ol_buf_append_cstr(b, ",\"annotations\":");
    ol_act_json_pairs(b, c->annotations, c->n_annotations);
    ol_buf_append_cstr(b, ",\"links\":[");
    for (uint32_t i = 0; i < c->n_links; i++) {
        ol_buf_append_cstr(b, i ? ",{\"text\":" : "{\"text\":");
        ol_json_write_string(b, c->links[i].name);
        ol_buf_append_cstr(b, ",\"href\":");
        ol_buf_t u;
        ol_buf_init(&u, OL_ACT_MEM, 0);
        ol_act_url(&u, a->external_url, c->links[i].value);
        ol_json_write_string(b, ol_buf_slice(&u));
        ol_buf_free(&u);
        ol_buf_append_u8(b, '}');
    }
    ol_buf_append_u8(b, ']');
    ol_act_json_time(b, "onset", c->onset_ns > 0 ? (uint64_t)c->onset_ns : 0);
    ol_act_json_time(b, "startsAt", r->starts_wall);
    ol_act_json_time(b, "endsAt", r->status == OL_ACT_RESOLVED ? r->ends_wall : 0);
    ol_act_json_time(b, "updatedAt", r->updated_wall);
    ol_buf_printf(b, ",\"fires\":%" PRIu64 ",\"episode\":%u,\"generatorURL\":", r->fires, r->episode);
    ol_buf_t u;
    ol_buf_init(&u, OL_ACT_MEM, 0);
    ol_act_generator_url(&u, c, a->external_url);
    ol_json_write_string(b, ol_buf_slice(&u));
    ol_buf_free(&u);
    ol_buf_append_cstr(b, ",\"owner\":");
    ol_json_write_cstr(b, r->owner);
    ol_buf_printf(b, ",\"owned\":%s,\"receivers\":[", r->owned ? "true" : "false");
    for (uint32_t i = 0; i < r->n_slots; i++) {
        const ol_act_slot_t *s = &r->slots[i];
        const ol_act_receiver_t *rc = &a->cfg->recv[s->recv];
        int need = r->owned ? ol_act_slot_need(a->cfg, r, s) : 0;
        if (i) ol_buf_append_u8(b, ',');
        ol_buf_append_cstr(b, "{\"name\":");
        ol_json_write_cstr(b, rc->name);
        ol_buf_printf(b, ",\"type\":\"%s\",\"heard\":\"%s\",\"next\":%s,\"inFlight\":%s,\"attempts\":%u",
                      ol_act_type_name(rc->type), ol_act_told_name(s->told),
                      need == OL_ACT_FIRING ? "\"firing\"" : need == OL_ACT_RESOLVED ? "\"resolved\"" : "null",
                      s->in_flight ? "true" : "false", s->attempts);
        if (need && s->next_mono > now_mono)
            ol_buf_printf(b, ",\"nextInMs\":%" PRIu64, (s->next_mono - now_mono) / 1000000u);
        ol_buf_append_cstr(b, ",\"lastError\":");
        if (s->err[0]) ol_json_write_cstr(b, s->err);
        else ol_buf_append_cstr(b, "null");
        ol_buf_append_u8(b, '}');
    }
    ol_buf_append_cstr(b, "]}");
}

/* Under a->mu: what each receiver still owes (pending) and sends now (in flight). */
static void ol_act_count_pending(ol_act_t *a)
{
    for (uint32_t i = 0; i < a->cfg->n_recv; i++) a->rs[i].pending = 0;
    for (uint32_t i = 0; i < a->n_buckets; i++)
        for (const ol_act_rec_t *r = a->buckets[i]; r; r = r->hnext)
            for (uint32_t k = 0; r->owned && k < r->n_slots; k++)
                if (ol_act_slot_owed(a->cfg, r, &r->slots[k])) a->rs[r->slots[k].recv].pending++;
}

int ol_act_alerts_json(ol_act_t *a, ol_buf_t *out)
{
    uint64_t now_mono = ol_mono_ns();
    pthread_mutex_lock(&a->mu);
    size_t cap = a->n_recs ? a->n_recs : 1;
    ol_act_rec_t **all = ol_malloc(OL_ACT_MEM, cap * sizeof *all);
    if (!all) {
        pthread_mutex_unlock(&a->mu);
        return OL_NOMEM;
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < a->n_buckets; i++)
        for (ol_act_rec_t *r = a->buckets[i]; r; r = r->hnext) all[n++] = r;
    qsort(all, n, sizeof *all, ol_act_order);
    ol_buf_append_cstr(out, "{\"alerts\":[");
    for (uint32_t i = 0; i < n; i++) {
        if (i) ol_buf_append_u8(out, ',');
        ol_act_json_rec(a, out, all[i], now_mono);
    }
    ol_buf_append_cstr(out, "],\"receivers\":[");
    ol_act_count_pending(a);
    for (uint32_t i = 0; i < a->cfg->n_recv; i++) {
        const ol_act_recv_stats_t *s = &a->rs[i];
        if (i) ol_buf_append_u8(out, ',');
        ol_buf_append_cstr(out, "{\"name\":");
        ol_json_write_cstr(out, a->cfg->recv[i].name);
        ol_buf_printf(out,
                      ",\"type\":\"%s\",\"sent\":%" PRIu64 ",\"retried\":%" PRIu64 ",\"failed\":%" PRIu64
                      ",\"pending\":%u,\"inFlight\":%u}",
                      ol_act_type_name(a->cfg->recv[i].type), s->sent, s->retried, s->failed, s->pending,
                      s->in_flight);
    }
    pthread_mutex_unlock(&a->mu);
    ol_free(OL_ACT_MEM, all, cap * sizeof *all);
    pthread_mutex_lock(&a->qmu);
    ol_buf_printf(out, "],\"queue\":{\"length\":%u,\"capacity\":%u,\"queued\":%" PRIu64 ",\"dropped\":%" PRIu64 "}",
                  a->q_len, a->cfg->queue_size, a->events_queued, a->events_dropped);
    pthread_mutex_unlock(&a->qmu);
    ol_buf_append_cstr(out, ",\"node\":");
    ol_json_write_cstr(out, a->node_id);
    ol_buf_append_u8(out, '}');
    return out->err;
}

void ol_act_stats(ol_act_t *a, ol_act_stats_t *o)
{
    memset(o, 0, sizeof *o);
    pthread_mutex_lock(&a->qmu);
    o->events_queued = a->events_queued;
    o->events_dropped = a->events_dropped;
    o->queue_len = a->q_len;
    pthread_mutex_unlock(&a->qmu);
    pthread_mutex_lock(&a->mu);
    ol_act_count_pending(a);
    for (uint32_t i = 0; i < a->cfg->n_recv; i++) {
        o->sent += a->rs[i].sent;
        o->retried += a->rs[i].retried;
        o->failed += a->rs[i].failed;
        o->pending += a->rs[i].pending;
    }
    o->in_flight = a->in_flight;
    o->table_full = a->table_full;
    o->claims_owned = a->claims_owned;
    o->claims_busy = a->claims_busy;
    o->state_errors = a->state_errors;
    for (uint32_t i = 0; i < a->n_buckets; i++)
        for (const ol_act_rec_t *r = a->buckets[i]; r; r = r->hnext) {
            if (r->status == OL_ACT_FIRING) o->firing++;
            else o->resolved++;
        }
    pthread_mutex_unlock(&a->mu);
}

static void ol_act_label_value(ol_buf_t *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"') ol_buf_append_u8(b, '\\');
        if (*s == '\n') ol_buf_append_cstr(b, "\\n");
        else ol_buf_append_u8(b, (uint8_t)*s);
    }
}

static void ol_act_help(ol_buf_t *b, const char *name, const char *type, const char *help)
{
    ol_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void ol_act_metrics_text(ol_act_t *a, ol_buf_t *out)
{
    if (!a) return;
    ol_act_stats_t st;
    ol_act_stats(a, &st);
    ol_act_help(out, "olly_alert_events_total", "counter",
                "Fire and resolve calls from analysis: queued, or dropped because the alert queue was full.");
    ol_buf_printf(out,
                  "olly_alert_events_total{result=\"queued\"} %" PRIu64 "\n"
                  "olly_alert_events_total{result=\"dropped\"} %" PRIu64 "\n",
                  st.events_queued, st.events_dropped);
    ol_act_help(out, "olly_alert_queue_length", "gauge", "Fire and resolve calls waiting for the alert thread.");
    ol_buf_printf(out, "olly_alert_queue_length %u\n", st.queue_len);
    ol_act_help(out, "olly_alert_queue_capacity", "gauge", "Size of the alert queue (queue_size).");
    ol_buf_printf(out, "olly_alert_queue_capacity %u\n", a->cfg->queue_size);
    ol_act_help(out, "olly_alerts", "gauge", "Alerts kept, by status (resolved ones stay for resolved_keep_s).");
    ol_buf_printf(out, "olly_alerts{status=\"firing\"} %u\nolly_alerts{status=\"resolved\"} %u\n", st.firing,
                  st.resolved);
    ol_act_help(out, "olly_alert_table_full_total", "counter", "New alerts not raised because max_alerts were kept.");
    ol_buf_printf(out, "olly_alert_table_full_total %" PRIu64 "\n", st.table_full);
    ol_act_help(out, "olly_alert_claims_total", "counter",
                "First fires of an alert on this node: it created the alert's state entry (owner), or another "
                "node had (other_node).");
    ol_buf_printf(out,
                  "olly_alert_claims_total{result=\"owner\"} %" PRIu64 "\n"
                  "olly_alert_claims_total{result=\"other_node\"} %" PRIu64 "\n",
                  st.claims_owned, st.claims_busy);
    ol_act_help(out, "olly_alert_state_errors_total", "counter", "Failed reads and writes of alert state.");
    ol_buf_printf(out, "olly_alert_state_errors_total %" PRIu64 "\n", st.state_errors);
    ol_act_help(out, "olly_alert_notifications_total", "counter",
                "Notification requests by receiver and outcome: sent (2xx), retried (failed, tried again later), "
                "failed (refused with a 4xx or given up).");
    pthread_mutex_lock(&a->mu);
    static const char *results[] = {"sent", "retried", "failed"};
    for (uint32_t i = 0; i < a->cfg->n_recv; i++) {
        const ol_act_recv_stats_t *s = &a->rs[i];
        uint64_t v[3] = {s->sent, s->retried, s->failed};
        for (int k = 0; k < 3; k++) {
            ol_buf_append_cstr(out, "olly_alert_notifications_total{receiver=\"");
            ol_act_label_value(out, a->cfg->recv[i].name);
            ol_buf_printf(out, "\",type=\"%s\",result=\"%s\"} %" PRIu64 "\n", ol_act_type_name(a->cfg->recv[i].type),
                          results[k], v[k]);
        }
    }
    ol_act_help(out, "olly_alert_notifications_pending", "gauge",
                "Notifications a receiver is owed (waiting, in flight or backing off).");
    for (uint32_t i = 0; i < a->cfg->n_recv; i++) {
        ol_buf_append_cstr(out, "olly_alert_notifications_pending{receiver=\"");
        ol_act_label_value(out, a->cfg->recv[i].name);
        ol_buf_printf(out, "\",type=\"%s\"} %u\n", ol_act_type_name(a->cfg->recv[i].type), a->rs[i].pending);
    }
    ol_act_help(out, "olly_alert_notifications_in_flight", "gauge", "Notification requests being sent.");
    ol_buf_printf(out, "olly_alert_notifications_in_flight %u\n", a->in_flight);
    pthread_mutex_unlock(&a->mu);
}
