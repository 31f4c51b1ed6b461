/*
 * scan_cols.c - ol_store_scan_span_cols (store/scan_cols.h): the heads'
 * traces as ol_store_scan_traces gives them, then the parts granule by
 * granule as columns (store/col/spans_cols.c).
 *
 * The order and the snapshot are ol_store_scan_traces': the frozen head and
 * the head under the read lock, references to the trace parts overlapping
 * the window taken under the same lock, then the parts newest first without
 * the lock. A span is in exactly one of these places (or, re-sent after its
 * flush, in a part and again in a later place), so each row comes once per
 * stored copy, as from ol_store_scan_traces.
 *
 * Decoding uses up to query_threads threads. The granules to read are
 * listed first (item k: a part and a granule whose time range meets the
 * window); item k is decoded into slot k % SCOLS_SLOTS, each slot with its
 * own reader of the part, so a decoded granule stays valid while later ones
 * are decoded. Helper threads claim items ahead of the caller (never more
 * than the slots hold); the caller's thread hands the items to cols_fn in
 * order, and decodes the next one itself when no helper has claimed it yet,
 * or, while waiting for a helper's item, the next free one. So a cheap
 * cols_fn gets decoding on every thread, and an expensive one finds its
 * next granule decoded; the callbacks and their order are the same with one
 * thread or several.
 */
#include <pthread.h>

#include "core/alloc.h"
#include "core/log.h"
#include "store/col/part.h"
#include "store/col/spans_cols.h"
#include "store/embedded/embedded.h"
#include "store/scan_cols.h"

#define SCOLS_SLOTS 4

enum { SLOT_FREE, SLOT_CLAIMED, SLOT_FULL };

typedef struct scols_item {
    uint32_t part, g;
} scols_item_t;

typedef struct scols_slot {
    ol_part_cols_t *r; /* a reader of part `part`, or NULL */
    size_t part;
    ol_span_cols_t c;
    int rc;            /* OL_NOMEM ends the scan */
    int state;
} scols_slot_t;

typedef struct scols_run {
    ol_store_part_t **parts;
    const ol_span_cols_req_t *req;
    void *ud;
    scols_item_t *items;
    size_t n_items;
    uint8_t *part_bad; /* per part: found damaged, its further items are skipped */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    scols_slot_t slot[SCOLS_SLOTS];
    size_t next; /* the next item to claim */
    bool stop;
} scols_run_t;

/* Decodes item k into its slot, which the caller has claimed. */
static void scols_decode(scols_run_t *x, size_t k)
{
    scols_slot_t *s = &x->slot[k % SCOLS_SLOTS];
    const scols_item_t *it = &x->items[k];
    const ol_store_part_t *sp = x->parts[it->part];
    ol_err_t err = {{0}};
    int rc = OL_OK;
    memset(&s->c, 0, sizeof s->c);
    pthread_mutex_lock(&x->mu);
    bool bad = x->part_bad[it->part];
    pthread_mutex_unlock(&x->mu);
    if (!bad && (!s->r || s->part != it->part)) {
        ol_part_cols_free(s->r);
        s->r = NULL;
        s->part = it->part;
        rc = ol_part_cols_open(sp->p, x->req, x->ud, &s->r, &err);
    }
    if (!bad && rc == OL_OK && ol_part_cols_any_resource(s->r)) rc = ol_part_cols_granule(s->r, it->g, &s->c, &err);
    if (rc == OL_CORRUPT || rc == OL_ERR) {
        pthread_mutex_lock(&x->mu);
        bool first = !x->part_bad[it->part];
        x->part_bad[it->part] = 1;
        pthread_mutex_unlock(&x->mu);
        if (first)
            ol_error("store: reading part %s failed (%s): %s; its rows are missing from this answer",
                     ol_part_path(sp->p), ol_rc_str(rc), err.msg);
        memset(&s->c, 0, sizeof s->c);
        rc = OL_OK;
    }
    s->rc = rc;
    s->c.part = it->part * SCOLS_SLOTS + (uint32_t)(k % SCOLS_SLOTS);
}

/* With x->mu held: claims item k (its slot free), decodes it without the
 * lock, and publishes it. */
static void scols_take(scols_run_t *x, size_t k)
{
    scols_slot_t *s = &x->slot[k % SCOLS_SLOTS];
    x->next = k + 1;
    s->state = SLOT_CLAIMED;
    pthread_mutex_unlock(&x->mu);
    scols_decode(x, k);
    pthread_mutex_lock(&x->mu);
    s->state = SLOT_FULL;
    pthread_cond_broadcast(&x->cv);
}

static void *scols_helper(void *arg)
{
    scols_run_t *x = arg;
    pthread_mutex_lock(&x->mu);
    for (;;) {
        while (!x->stop && x->next < x->n_items && x->slot[x->next % SCOLS_SLOTS].state != SLOT_FREE)
            pthread_cond_wait(&x->cv, &x->mu);
        if (x->stop || x->next >= x->n_items) break;
        scols_take(x, x->next);
    }
    pthread_mutex_unlock(&x->mu);
    return NULL;
}

static int scols_parts(scols_run_t *x, unsigned helpers, ol_span_cols_fn fn, void *ud)
{
    pthread_t th[SCOLS_SLOTS];
    unsigned started = 0;
    for (; started < helpers && started < SCOLS_SLOTS - 1; started++)
        if (pthread_create(&th[started], NULL, scols_helper, x)) break;
    int rc = OL_OK;
    for (size_t k = 0; k < x->n_items && rc == OL_OK; k++) {
        scols_slot_t *s = &x->slot[k % SCOLS_SLOTS];
        pthread_mutex_lock(&x->mu);
        if (x->next == k) scols_take(x, k); /* no helper has it yet: decode it here */
        while (s->state != SLOT_FULL) {
            /* a helper is decoding item k: rather than wait, decode the
             * next free one here, so both threads keep decoding */
            size_t j = x->next;
            if (j < x->n_items && x->slot[j % SCOLS_SLOTS].state == SLOT_FREE) scols_take(x, j);
            else pthread_cond_wait(&x->cv, &x->mu);
        }
        pthread_mutex_unlock(&x->mu);
        rc = s->rc != OL_OK ? s->rc : s->c.n ? fn(ud, &s->c) : OL_OK;
        pthread_mutex_lock(&x->mu);
        s->state = SLOT_FREE;
        pthread_cond_broadcast(&x->cv);
        pthread_mutex_unlock(&x->mu);
    }
    pthread_mutex_lock(&x->mu);
    x->stop = true;
    pthread_cond_broadcast(&x->cv);
    pthread_mutex_unlock(&x->mu);
    for (unsigned i = 0; i < started; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < SCOLS_SLOTS; i++) ol_part_cols_free(x->slot[i].r);
    return rc;
}

int ol_store_scan_span_cols(ol_store_t *s, const ol_span_cols_req_t *req, ol_store_trace_fn trace_fn,
                            ol_span_cols_fn cols_fn, void *ud)
{
    uint64_t start_ns = req->start_ns, end_ns = req->end_ns;
    ol_store_part_t **parts = NULL;
    size_t n_parts = 0;
    int rc = OL_OK;
    if (end_ns <= start_ns) return OL_OK;

    pthread_rwlock_rdlock(&s->lock);
    ol_head_t *hs[2] = {s->frozen, s->head};
    for (int h = 0; h < 2 && rc == OL_OK; h++) {
        for (size_t i = 0; hs[h] && i < hs[h]->ix.n_traces && rc == OL_OK; i++) {
            const ol_ix_trace_t *t = hs[h]->ix.trace_list[i];
            if (t->start_ns >= end_ns || t->end_ns < start_ns) continue;
            ol_store_trace_t v = {.trace_id = t->id, .spans = t->spans, .n_spans = t->n, .start_ns = t->start_ns,
                                  .end_ns = t->end_ns, .clock_skew = t->skew};
            rc = trace_fn(ud, &v);
        }
    }
    if (rc == OL_OK) rc = ol_store_parts_snapshot(s, OL_SIGNAL_TRACES, start_ns, end_ns - 1, &parts, &n_parts);
    pthread_rwlock_unlock(&s->lock);

    /* The granules to read, newest part first. */
    scols_run_t x = {.parts = parts, .req = req, .ud = ud};
    size_t cap = 0;
    for (size_t i = n_parts; i > 0 && rc == OL_OK; i--) {
        const ol_part_t *p = parts[i - 1]->p;
        for (uint32_t g = 0; g < ol_part_info(p)->granules && rc == OL_OK; g++) {
            const ol_part_granule_info_t *gi = ol_part_granule(p, g);
            if (gi->max_time_ns < start_ns || gi->min_time_ns >= end_ns) continue;
            if (ol_grow_array(OL_MEM_STORE, (void **)&x.items, &cap, x.n_items + 1, sizeof *x.items)) rc = OL_NOMEM;
            else x.items[x.n_items++] = (scols_item_t){(uint32_t)(i - 1), g};
        }
    }
    if (rc == OL_OK && x.n_items) {
        x.part_bad = ol_calloc(OL_MEM_STORE, n_parts, 1);
        if (!x.part_bad) rc = OL_NOMEM;
        else if (pthread_mutex_init(&x.mu, NULL)) rc = OL_ERR;
        else if (pthread_cond_init(&x.cv, NULL)) pthread_mutex_destroy(&x.mu), rc = OL_ERR;
        if (rc == OL_OK) {
            unsigned helpers = x.n_items > 1 && s->opt.query_threads > 1 ? s->opt.query_threads - 1 : 0;
            rc = scols_parts(&x, helpers, cols_fn, ud);
            pthread_cond_destroy(&x.cv);
            pthread_mutex_destroy(&x.mu);
        }
        ol_free(OL_MEM_STORE, x.part_bad, n_parts);
    }
    ol_free(OL_MEM_STORE, x.items, cap * sizeof *x.items);
    ol_store_parts_release(s, parts, n_parts);
    return rc == OL_STORE_STOP ? OL_OK : rc;
}
