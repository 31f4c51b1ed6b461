/*
 * sampling.c - the tail sampler's tracker: traces in flight, their
 * decisions, and the per-service token buckets (sampling.h has the policy;
 * sampling_rules.c the latency and attribute rules).
 *
 * Traces are spread over OL_SMP_SHARDS shards by a hash of their id. A shard
 * is a pool of fixed-size entries (id, what its spans showed, the last time
 * one arrived, the service hash), a chained hash table of pool indices, and
 * two lists in time order: open traces by their last span (the head is the
 * next to decide) and decided traces by their decision or last late span
 * (the head is the next to forget). Every operation is O(1) but a chain
 * walk; tick pops list heads only, so its cost is the traces it decides or
 * forgets.
 *
 * The sampler's clock is the latest of the wall clock at observe/keep and
 * the times given to tick; it never goes back, so tests may run ahead of
 * the wall clock by ticking with later times.
 *
 * Lock order: a shard's lock, then svc_mu (token buckets, taken only while
 * deciding by rate). No lock is held while calling out of this file.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "core/alloc.h"
#include "core/util.h"
#include "pipeline/sampling.h"
#include "pipeline/sampling_int.h"
#include "store/store.h"

#define OL_SMP_SHARDS 16u
#define OL_SMP_NIL UINT32_MAX
#define OL_SMP_FIRST_CAP 64u
#define OL_SMP_MAX_SERVICES 4096u
#define OL_SMP_DEFAULT_WAIT_NS (30ull * 1000000000ull)
#define OL_SMP_DEFAULT_SHARE 0.01
#define OL_SMP_DEFAULT_RATE 100.0
#define OL_SMP_DEFAULT_MAX_TRACES 1000000ull
/* Seeds: the shard/bucket hash is private; the rate hash is what nodes agree on. */
#define OL_SMP_SEED_INDEX 0x9e3779b97f4a7c15ull
#define OL_SMP_SEED_RATE 0x6f6c6c7973616d70ull /* "ollysamp" */

enum {
    OL_SMP_ERROR = 1 << 0,
    OL_SMP_SLOW = 1 << 1,
    OL_SMP_ATTR = 1 << 2,
    OL_SMP_ROOT = 1 << 3,    /* the service is the root span's */
    OL_SMP_DECIDED = 1 << 4,
    OL_SMP_KEEP = 1 << 5,
    OL_SMP_EARLY = 1 << 6,   /* decided before its wait was over */
};
#define OL_SMP_WORTHY (OL_SMP_ERROR | OL_SMP_SLOW | OL_SMP_ATTR)

typedef struct ol_smp_trace {
    uint8_t id[16];
    uint64_t last_ns; /* open: last span; decided: decision or last late span */
    uint64_t svc;     /* hash of the trace's service name */
    uint32_t hnext;   /* hash chain; free list */
    uint32_t prev, next;
    uint32_t flags;
} ol_smp_trace_t;

typedef struct ol_smp_list {
    uint32_t head, tail;
    size_t n;
} ol_smp_list_t;

typedef struct ol_smp_shard {
    pthread_mutex_t mu;
    ol_smp_trace_t *v;
    size_t used, cap, limit; /* entries handed out (high water), allocated, allowed */
    uint32_t free;
    uint32_t *buckets;
    size_t n_buckets; /* a power of two, >= cap */
    ol_smp_list_t open, decided;
} ol_smp_shard_t;

typedef struct ol_smp_bucket {
    uint64_t svc; /* 0 = empty slot */
    double tokens;
    uint64_t last_ns;
} ol_smp_bucket_t;

struct ol_sampling {
    ol_sampling_options_t opt; /* defaults filled in; rule strings not kept */
    ol_smp_rules_t rules;
    ol_smp_shard_t shards[OL_SMP_SHARDS];
    bool shards_ready;
    pthread_mutex_t svc_mu;
    ol_smp_bucket_t *svc; /* open addressing, OL_SMP_MAX_SERVICES slots */
    size_t n_svc;
    ol_smp_bucket_t svc_other; /* every service past OL_SMP_MAX_SERVICES */
    atomic_uint_fast64_t clock;
    atomic_uint_fast64_t decided, kept_error, kept_latency, kept_attribute, kept_rate, dropped, decided_early,
        upgraded, late_kept, late_dropped, unknown, forgotten, overflow_spans;
};

/* ---- clock ---- */

static uint64_t ol_smp_clock(ol_sampling_t *s, uint64_t t)
{
    uint64_t c = atomic_load(&s->clock);
    while (t > c && !atomic_compare_exchange_weak(&s->clock, &c, t)) {
    }
    return t > c ? t : c;
}

/* Time from t to now; 0 when t is later (stamped after now was read). */
static uint64_t ol_smp_since(uint64_t now, uint64_t t) { return now > t ? now - t : 0; }

/* ---- lists and the hash table (shard lock held) ---- */

static void ol_smp_unlink(ol_smp_shard_t *sh, ol_smp_list_t *l, uint32_t i)
{
    ol_smp_trace_t *t = &sh->v[i];
    if (t->prev != OL_SMP_NIL) sh->v[t->prev].next = t->next;
    else l->head = t->next;
    if (t->next != OL_SMP_NIL) sh->v[t->next].prev = t->prev;
    else l->tail = t->prev;
    l->n--;
}

static void ol_smp_append(ol_smp_shard_t *sh, ol_smp_list_t *l, uint32_t i)
{
    ol_smp_trace_t *t = &sh->v[i];
    t->prev = l->tail;
    t->next = OL_SMP_NIL;
    if (l->tail != OL_SMP_NIL) sh->v[l->tail].next = i;
    else l->head = i;
    l->tail = i;
    l->n++;
}

static uint32_t ol_smp_find(const ol_smp_shard_t *sh, uint64_t h, const uint8_t id[16])
{
    if (!sh->n_buckets) return OL_SMP_NIL;
    for (uint32_t i = sh->buckets[h & (sh->n_buckets - 1)]; i != OL_SMP_NIL; i = sh->v[i].hnext)
        if (memcmp(sh->v[i].id, id, 16) == 0) return i;
    return OL_SMP_NIL;
}

static uint64_t ol_smp_hash(const uint8_t id[16]) { return ol_hash64(id, 16, OL_SMP_SEED_INDEX); }

static void ol_smp_chain(ol_smp_shard_t *sh, uint32_t i)
{
    uint32_t *b = &sh->buckets[ol_smp_hash(sh->v[i].id) & (sh->n_buckets - 1)];
    sh->v[i].hnext = *b;
    *b = i;
}

static void ol_smp_unchain(ol_smp_shard_t *sh, uint32_t i)
{
    uint32_t *p = &sh->buckets[ol_smp_hash(sh->v[i].id) & (sh->n_buckets - 1)];
    while (*p != i) p = &sh->v[*p].hnext;
    *p = sh->v[i].hnext;
}

/* Frees a tracked trace's entry (it must be on `l`). */
static void ol_smp_release(ol_smp_shard_t *sh, ol_smp_list_t *l, uint32_t i)
{
    ol_smp_unlink(sh, l, i);
    ol_smp_unchain(sh, i);
    sh->v[i].hnext = sh->free;
    sh->free = i;
}

static void ol_smp_rechain_list(ol_smp_shard_t *sh, const ol_smp_list_t *l)
{
    for (uint32_t i = l->head; i != OL_SMP_NIL; i = sh->v[i].next) ol_smp_chain(sh, i);
}

static int ol_smp_grow(ol_smp_shard_t *sh)
{
    size_t cap = sh->cap ? OL_MIN(sh->cap * 2, sh->limit) : OL_MIN((size_t)OL_SMP_FIRST_CAP, sh->limit);
    ol_smp_trace_t *v = ol_realloc(OL_SMP_MEM, sh->v, sh->cap * sizeof *v, cap * sizeof *v);
    if (!v) return OL_NOMEM;
    sh->v = v;
    sh->cap = cap;
    size_t nb = sh->n_buckets ? sh->n_buckets : 1;
    while (nb < cap) nb *= 2;
    if (nb == sh->n_buckets) return OL_OK;
    uint32_t *b = ol_malloc(OL_SMP_MEM, nb * sizeof *b);
    if (!b) return OL_NOMEM;
    ol_free(OL_SMP_MEM, sh->buckets, sh->n_buckets * sizeof *b);
    memset(b, 0xff, nb * sizeof *b);
    sh->buckets = b;
    sh->n_buckets = nb;
    ol_smp_rechain_list(sh, &sh->open);
    ol_smp_rechain_list(sh, &sh->decided);
    return OL_OK;
}

/* ---- decisions ---- */

static ol_smp_bucket_t *ol_smp_bucket(ol_sampling_t *s, uint64_t svc, uint64_t now)
{
    size_t mask = OL_SMP_MAX_SERVICES - 1, i = (size_t)svc & mask;
    while (s->svc[i].svc && s->svc[i].svc != svc) i = (i + 1) & mask;
    if (s->svc[i].svc) return &s->svc[i];
    /* Keep a slot free so that probing ends. */
    if (s->n_svc + 1 >= OL_SMP_MAX_SERVICES) return &s->svc_other;
    s->n_svc++;
    s->svc[i] = (ol_smp_bucket_t){.svc = svc, .tokens = OL_MAX(s->opt.max_per_second, 1.0), .last_ns = now};
    return &s->svc[i];
}

/* One token from the service's bucket (max_per_second, one second of burst). */
static bool ol_smp_take(ol_sampling_t *s, uint64_t svc, uint64_t now)
{
    if (s->opt.max_per_second < 0) return true;
    pthread_mutex_lock(&s->svc_mu);
    ol_smp_bucket_t *b = ol_smp_bucket(s, svc, now);
    if (b == &s->svc_other && !b->last_ns) b->tokens = OL_MAX(s->opt.max_per_second, 1.0), b->last_ns = now;
    double burst = OL_MAX(s->opt.max_per_second, 1.0);
    if (now > b->last_ns) {
        b->tokens = OL_MIN(burst, b->tokens + (double)(now - b->last_ns) * 1e-9 * s->opt.max_per_second);
        b->last_ns = now;
    }
    bool ok = b->tokens >= 1.0;
    if (ok) b->tokens -= 1.0;
    pthread_mutex_unlock(&s->svc_mu);
    return ok;
}

/* The rate policy's deterministic part: the same on every node. */
static bool ol_smp_in_share(const ol_sampling_t *s, const uint8_t id[16])
{
    if (s->opt.share <= 0) return false;
    double u = (double)(ol_hash64(id, 16, OL_SMP_SEED_RATE) >> 11) * 0x1p-53;
    return u < s->opt.share;
}

static void ol_smp_decide(ol_sampling_t *s, ol_smp_shard_t *sh, uint32_t i, uint64_t now, bool early)
{
    ol_smp_trace_t *t = &sh->v[i];
    bool keep = true;
    if (t->flags & OL_SMP_ERROR) atomic_fetch_add(&s->kept_error, 1);
    else if (t->flags & OL_SMP_SLOW) atomic_fetch_add(&s->kept_latency, 1);
    else if (t->flags & OL_SMP_ATTR) atomic_fetch_add(&s->kept_attribute, 1);
    else if (ol_smp_in_share(s, t->id) && ol_smp_take(s, t->svc, now)) atomic_fetch_add(&s->kept_rate, 1);
    else keep = false;
    if (!keep) atomic_fetch_add(&s->dropped, 1);
    atomic_fetch_add(&s->decided, 1);
    if (early) atomic_fetch_add(&s->decided_early, 1);
    t->flags |= OL_SMP_DECIDED | (keep ? OL_SMP_KEEP : 0) | (early ? OL_SMP_EARLY : 0);
    t->last_ns = now;
    ol_smp_unlink(sh, &sh->open, i);
    ol_smp_append(sh, &sh->decided, i);
}

/* ---- create / destroy ---- */

int ol_sampling_create(const ol_sampling_options_t *opt, ol_sampling_t **out, ol_err_t *err)
{
    *out = NULL;
    ol_sampling_options_t o = opt ? *opt : (ol_sampling_options_t){0};
    if (isnan(o.share) || o.share > 1) {
        ol_err_set(err, "sampling: share must be at most 1 (a fraction of the traces)");
        return OL_CORRUPT;
    }
    if (isnan(o.max_per_second)) {
        ol_err_set(err, "sampling: max_per_second is not a number");
        return OL_CORRUPT;
    }
    if (!o.wait_ns) o.wait_ns = OL_SMP_DEFAULT_WAIT_NS;
    if (o.share == 0) o.share = OL_SMP_DEFAULT_SHARE;
    if (o.max_per_second == 0) o.max_per_second = OL_SMP_DEFAULT_RATE;
    if (!o.max_traces) o.max_traces = OL_SMP_DEFAULT_MAX_TRACES;
    uint64_t most = (uint64_t)OL_SMP_SHARDS * (OL_SMP_NIL - 1); /* pool indices are 32-bit */
    if (o.max_traces > most) o.max_traces = most;

    ol_sampling_t *s = ol_calloc(OL_SMP_MEM, 1, sizeof *s);
    if (!s) {
        ol_err_set(err, "sampling: out of memory");
        return OL_NOMEM;
    }
    int rc = ol_smp_rules_parse(&s->rules, o.latency_rules, o.attr_rules, o.latency_ns, err);
    if (rc != OL_OK) {
        ol_free(OL_SMP_MEM, s, sizeof *s);
        return rc;
    }
    o.latency_rules = o.attr_rules = NULL;
    s->opt = o;
    s->svc = ol_calloc(OL_SMP_MEM, OL_SMP_MAX_SERVICES, sizeof *s->svc);
    if (!s->svc) {
        ol_err_set(err, "sampling: out of memory");
        ol_sampling_destroy(s);
        return OL_NOMEM;
    }
    pthread_mutex_init(&s->svc_mu, NULL);
    size_t per_shard = (size_t)((o.max_traces + OL_SMP_SHARDS - 1) / OL_SMP_SHARDS);
    for (size_t k = 0; k < OL_SMP_SHARDS; k++) {
        ol_smp_shard_t *sh = &s->shards[k];
        pthread_mutex_init(&sh->mu, NULL);
        sh->limit = per_shard;
        sh->free = OL_SMP_NIL;
        sh->open = sh->decided = (ol_smp_list_t){OL_SMP_NIL, OL_SMP_NIL, 0};
    }
    s->shards_ready = true;
    *out = s;
    return OL_OK;
}

void ol_sampling_destroy(ol_sampling_t *s)
{
    if (!s) return;
    if (s->shards_ready) {
        for (size_t k = 0; k < OL_SMP_SHARDS; k++) {
            ol_smp_shard_t *sh = &s->shards[k];
            ol_free(OL_SMP_MEM, sh->v, sh->cap * sizeof *sh->v);
            ol_free(OL_SMP_MEM, sh->buckets, sh->n_buckets * sizeof *sh->buckets);
            pthread_mutex_destroy(&sh->mu);
        }
        pthread_mutex_destroy(&s->svc_mu);
    }
    ol_free(OL_SMP_MEM, s->svc, OL_SMP_MAX_SERVICES * sizeof *s->svc);
    ol_smp_rules_free(&s->rules);
    ol_free(OL_SMP_MEM, s, sizeof *s);
}

/* ---- observe ---- */

static bool ol_smp_is_root(const ol_otlp_span_t *sp)
{
    static const uint8_t zero[8] = {0};
    return sp->parent_span_id.len != 8 || memcmp(sp->parent_span_id.ptr, zero, 8) == 0;
}

static uint64_t ol_smp_service_hash(const ol_otlp_span_t *sp)
{
    ol_slice_t name = ol_store_service_of(sp->origin);
    return ol_hash64(name.ptr, name.len, 0) | 1;
}

/* What a span shows beyond what its trace already has. */
static uint32_t ol_smp_span_flags(ol_sampling_t *s, ol_smp_attr_ctx_t *ac, const ol_otlp_span_t *sp, uint32_t have)
{
    if (have & OL_SMP_ERROR) return 0;
    if (sp->status_code == 2) return OL_SMP_ERROR;
    if (have & OL_SMP_SLOW) return 0;
    if (ol_smp_slow(&s->rules, sp)) return OL_SMP_SLOW;
    if (have & OL_SMP_ATTR) return 0;
    return ol_smp_attr_match(ac, sp) ? OL_SMP_ATTR : 0;
}

/* A new entry for the trace: a free or fresh one, else the oldest
 * decision's. OL_SMP_NIL when every entry holds an open trace. */
static uint32_t ol_smp_insert(ol_sampling_t *s, ol_smp_shard_t *sh, const uint8_t id[16])
{
    uint32_t i = sh->free;
    if (i != OL_SMP_NIL) {
        sh->free = sh->v[i].hnext;
    } else if (sh->used < sh->cap || (sh->cap < sh->limit && ol_smp_grow(sh) == OL_OK && sh->used < sh->cap)) {
        i = (uint32_t)sh->used++;
    } else if (sh->decided.head != OL_SMP_NIL) {
        i = sh->decided.head;
        ol_smp_release(sh, &sh->decided, i);
        sh->free = sh->v[i].hnext;
        atomic_fetch_add(&s->forgotten, 1);
    } else {
        return OL_SMP_NIL;
    }
    ol_smp_trace_t *t = &sh->v[i];
    memset(t, 0, sizeof *t);
    memcpy(t->id, id, 16);
    ol_smp_chain(sh, i);
    ol_smp_append(sh, &sh->open, i);
    return i;
}

static void ol_smp_observe_span(ol_sampling_t *s, ol_smp_shard_t *sh, ol_smp_attr_ctx_t *ac,
                                const ol_otlp_span_t *sp, uint64_t h, uint64_t now)
{
    uint32_t i = ol_smp_find(sh, h, sp->trace_id.ptr);
    if (i == OL_SMP_NIL) {
        i = ol_smp_insert(s, sh, sp->trace_id.ptr);
        if (i == OL_SMP_NIL) {
            atomic_fetch_add(&s->overflow_spans, 1);
            return;
        }
        sh->v[i].svc = ol_smp_service_hash(sp);
    }
    ol_smp_trace_t *t = &sh->v[i];
    if (t->flags & OL_SMP_DECIDED) {
        if ((t->flags & (OL_SMP_KEEP | OL_SMP_EARLY)) == OL_SMP_EARLY && ol_smp_span_flags(s, ac, sp, 0)) {
            t->flags |= OL_SMP_KEEP;
            atomic_fetch_add(&s->upgraded, 1);
        }
        atomic_fetch_add(t->flags & OL_SMP_KEEP ? &s->late_kept : &s->late_dropped, 1);
        t->last_ns = now;
        ol_smp_unlink(sh, &sh->decided, i);
        ol_smp_append(sh, &sh->decided, i);
        return;
    }
    t->flags |= ol_smp_span_flags(s, ac, sp, t->flags);
    if (!(t->flags & OL_SMP_ROOT) && ol_smp_is_root(sp)) {
        t->flags |= OL_SMP_ROOT;
        t->svc = ol_smp_service_hash(sp);
    }
    t->last_ns = now;
    ol_smp_unlink(sh, &sh->open, i);
    ol_smp_append(sh, &sh->open, i);
}

void ol_sampling_observe(ol_sampling_t *s, const ol_otlp_batch_t *b, const uint8_t *dup)
{
    if (!s || !s->opt.enabled || b->signal != OL_SIGNAL_TRACES || !b->n_spans) return;
    uint64_t now = ol_smp_clock(s, ol_now_ns());
    ol_smp_attr_ctx_t ac;
    ol_smp_attr_ctx_init(&ac, &s->rules);
    ol_smp_shard_t *locked = NULL;
    for (size_t k = 0; k < b->n_spans; k++) {
        const ol_otlp_span_t *sp = &b->spans[k];
        if (!sp->valid || (dup && dup[k]) || sp->trace_id.len != 16) continue;
        uint64_t h = ol_smp_hash(sp->trace_id.ptr);
        ol_smp_shard_t *sh = &s->shards[h >> 60];
        if (sh != locked) {
            if (locked) pthread_mutex_unlock(&locked->mu);
            pthread_mutex_lock(&sh->mu);
            locked = sh;
        }
        ol_smp_observe_span(s, sh, &ac, sp, h, now);
    }
    if (locked) pthread_mutex_unlock(&locked->mu);
    ol_smp_attr_ctx_free(&ac);
}

/* ---- tick / keep ---- */

void ol_sampling_tick(ol_sampling_t *s, uint64_t now_ns)
{
    if (!s || !s->opt.enabled) return;
    uint64_t now = ol_smp_clock(s, now_ns);
    for (size_t k = 0; k < OL_SMP_SHARDS; k++) {
        ol_smp_shard_t *sh = &s->shards[k];
        pthread_mutex_lock(&sh->mu);
        uint32_t i;
        while ((i = sh->open.head) != OL_SMP_NIL && ol_smp_since(now, sh->v[i].last_ns) >= s->opt.wait_ns)
            ol_smp_decide(s, sh, i, now, false);
        while ((i = sh->decided.head) != OL_SMP_NIL && ol_smp_since(now, sh->v[i].last_ns) >= OL_SAMPLING_REMEMBER_NS)
            ol_smp_release(sh, &sh->decided, i);
        pthread_mutex_unlock(&sh->mu);
    }
}

bool ol_sampling_keep(void *ud, const uint8_t trace_id[16])
{
    ol_sampling_t *s = ud;
    if (!s || !s->opt.enabled) return true;
    uint64_t now = ol_smp_clock(s, ol_now_ns());
    uint64_t h = ol_smp_hash(trace_id);
    ol_smp_shard_t *sh = &s->shards[h >> 60];
    pthread_mutex_lock(&sh->mu);
    uint32_t i = ol_smp_find(sh, h, trace_id);
    bool keep = true;
    if (i == OL_SMP_NIL) {
        atomic_fetch_add(&s->unknown, 1);
    } else {
        if (!(sh->v[i].flags & OL_SMP_DECIDED))
            ol_smp_decide(s, sh, i, now, ol_smp_since(now, sh->v[i].last_ns) < s->opt.wait_ns);
        keep = (sh->v[i].flags & OL_SMP_KEEP) != 0;
    }
    pthread_mutex_unlock(&sh->mu);
    return keep;
}

/* ---- counters ---- */

void ol_sampling_stats(ol_sampling_t *s, ol_sampling_stats_t *out)
{
    memset(out, 0, sizeof *out);
    if (!s) return;
    out->decided = atomic_load(&s->decided);
    out->kept_error = atomic_load(&s->kept_error);
    out->kept_latency = atomic_load(&s->kept_latency);
    out->kept_attribute = atomic_load(&s->kept_attribute);
    out->kept_rate = atomic_load(&s->kept_rate);
    out->dropped = atomic_load(&s->dropped);
    out->decided_early = atomic_load(&s->decided_early);
    out->upgraded = atomic_load(&s->upgraded);
    out->late_spans_kept = atomic_load(&s->late_kept);
    out->late_spans_dropped = atomic_load(&s->late_dropped);
    out->unknown = atomic_load(&s->unknown);
    out->forgotten = atomic_load(&s->forgotten);
    out->overflow_spans = atomic_load(&s->overflow_spans);
    for (size_t k = 0; k < OL_SMP_SHARDS; k++) {
        ol_smp_shard_t *sh = &s->shards[k];
        pthread_mutex_lock(&sh->mu);
        out->open += sh->open.n;
        out->remembered += sh->decided.n;
        pthread_mutex_unlock(&sh->mu);
    }
}

static void ol_smp_metric(ol_buf_t *out, const char *name, const char *type, const char *help, uint64_t v)
{
    ol_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name, (unsigned long long)v);
}

void ol_sampling_metrics_text(ol_sampling_t *s, ol_buf_t *out)
{
    if (!s) return;
    ol_sampling_stats_t st;
    ol_sampling_stats(s, &st);
    ol_smp_metric(out, "olly_sampling_traces_decided_total", "counter", "Traces decided by the tail sampler.",
                  st.decided);
    ol_buf_printf(out,
                  "# HELP olly_sampling_traces_kept_total Traces kept, by the first policy that kept them.\n"
                  "# TYPE olly_sampling_traces_kept_total counter\n"
                  "olly_sampling_traces_kept_total{policy=\"error\"} %llu\n"
                  "olly_sampling_traces_kept_total{policy=\"latency\"} %llu\n"
                  "olly_sampling_traces_kept_total{policy=\"attribute\"} %llu\n"
                  "olly_sampling_traces_kept_total{policy=\"rate\"} %llu\n",
                  (unsigned long long)st.kept_error, (unsigned long long)st.kept_latency,
                  (unsigned long long)st.kept_attribute, (unsigned long long)st.kept_rate);
    ol_smp_metric(out, "olly_sampling_traces_dropped_total", "counter",
                  "Traces decided to drop (their spans are left out of the parts).", st.dropped);
    ol_smp_metric(out, "olly_sampling_traces_decided_early_total", "counter",
                  "Traces decided at a store flush before their wait was over.", st.decided_early);
    ol_smp_metric(out, "olly_sampling_traces_upgraded_total", "counter",
                  "Early drops turned to keep by a later error, slow or matching span.", st.upgraded);
    ol_buf_printf(out,
                  "# HELP olly_sampling_late_spans_total Spans that arrived after their trace was decided.\n"
                  "# TYPE olly_sampling_late_spans_total counter\n"
                  "olly_sampling_late_spans_total{decision=\"keep\"} %llu\n"
                  "olly_sampling_late_spans_total{decision=\"drop\"} %llu\n",
                  (unsigned long long)st.late_spans_kept, (unsigned long long)st.late_spans_dropped);
    ol_smp_metric(out, "olly_sampling_unknown_traces_total", "counter",
                  "Traces the store asked about that the sampler did not track (kept).", st.unknown);
    ol_smp_metric(out, "olly_sampling_forgotten_decisions_total", "counter",
                  "Decisions forgotten early because max_traces was reached.", st.forgotten);
    ol_smp_metric(out, "olly_sampling_overflow_spans_total", "counter",
                  "Spans of traces not tracked because max_traces was reached (kept).", st.overflow_spans);
    ol_buf_printf(out,
                  "# HELP olly_sampling_tracked_traces Traces tracked by the tail sampler.\n"
                  "# TYPE olly_sampling_tracked_traces gauge\n"
                  "olly_sampling_tracked_traces{state=\"open\"} %llu\n"
                  "olly_sampling_tracked_traces{state=\"decided\"} %llu\n",
                  (unsigned long long)st.open, (unsigned long long)st.remembered);
}
