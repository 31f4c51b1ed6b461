/*
 * correlate.c - the correlation processor's life: create (load the index
 * file), observe (index the ids of what the store accepted), tick (fsync,
 * compaction), counters, destroy. The rules for ids are in correlate_id.c,
 * the rewriting of rejected ones in correlate_sanitize.c, the index in
 * correlate_index.c and correlate_file.c, the lookups in correlate_query.c.
 *
 * Observe parses only items whose raw bytes contain "correlation", takes the
 * mutex once per batch that has an id or a root span, and writes one
 * index-file record holding the refs that were new (a trace's second span
 * with the same id adds nothing). Root spans leave a hint for generated-id
 * lookups (correlate_hint.c). Spans the store reported as duplicates are
 * skipped.
 */
#include "core/alloc.h"
#include "core/util.h"
#include "pipeline/correlate_int.h"

uint64_t ol_correlate_now_s(const ol_correlate_t *c)
{
    return c && c->now_s ? c->now_s : ol_now_ns() / 1000000000ull;
}

int ol_correlate_create(const ol_correlate_options_t *opt, ol_store_t *store, ol_correlate_t **out, ol_err_t *err)
{
    *out = NULL;
    ol_correlate_t *c = ol_calloc(OL_MEM_PIPELINE, 1, sizeof *c);
    if (!c) return OL_NOMEM;
    c->store = store;
    c->fd = -1;
    ol_cix_init(&c->ix, opt ? opt->max_ids : 0);
    ol_buf_init(&c->wbuf, OL_MEM_PIPELINE, 0);
    if (pthread_mutex_init(&c->mu, NULL) != 0) {
        ol_buf_free(&c->wbuf);
        ol_free(OL_MEM_PIPELINE, c, sizeof *c);
        ol_err_set(err, "correlation: cannot create a mutex");
        return OL_ERR;
    }
    int rc = OL_OK;
    if (opt && opt->dir && opt->dir[0]) {
        c->dir = ol_strndup(OL_MEM_PIPELINE, opt->dir, strlen(opt->dir));
        rc = c->dir ? ol_correlate_file_open(c, err) : OL_NOMEM;
    }
    if (rc != OL_OK) {
        ol_correlate_destroy(c);
        return rc;
    }
    *out = c;
    return OL_OK;
}

void ol_correlate_destroy(ol_correlate_t *c)
{
    if (!c) return;
    ol_correlate_file_close(c);
    ol_cix_free(&c->ix);
    ol_chints_free(&c->hints);
    ol_buf_free(&c->wbuf);
    if (c->dir) ol_free(OL_MEM_PIPELINE, c->dir, strlen(c->dir) + 1);
    pthread_mutex_destroy(&c->mu);
    ol_free(OL_MEM_PIPELINE, c, sizeof *c);
}

/* ---- observe ---- */

typedef struct ol_cobs {
    ol_correlate_t *c;
    ol_signal_t sig;
    uint64_t now_s;
    bool locked;
    size_t mark;
    ol_cix_ref_t ref; /* the item's */
} ol_cobs_t;

static void ol_cobs_lock(ol_cobs_t *o)
{
    if (o->locked) return;
    pthread_mutex_lock(&o->c->mu);
    o->locked = true;
    o->mark = ol_cix_record_begin(&o->c->wbuf);
}

static int ol_cobs_attr(void *ud, ol_slice_t key, uint32_t kind, ol_slice_t value)
{
    ol_cobs_t *o = ud;
    ol_correlate_t *c = o->c;
    (void)key;
    /* Sanitised batches hold only valid ids; anything else is not indexed. */
    if (kind != 1 || ol_cid_check(value, o->now_s) != OL_CID_OK) return OL_OK;
    atomic_fetch_add(&c->seen[o->sig], 1);
    ol_cobs_lock(o);
    int rc = ol_cix_add(&c->ix, value, &o->ref);
    if (rc == 1) ol_cix_put_entry(&c->wbuf, value, &o->ref);
    return OL_OK;
}

void ol_correlate_observe(ol_correlate_t *c, const ol_otlp_batch_t *b, const uint8_t *dup)
{
    if (!c || !b) return;
    ol_cobs_t o = {.c = c, .sig = b->signal, .now_s = ol_correlate_now_s(c)};
    for (size_t i = 0; i < b->n_spans; i++) {
        const ol_otlp_span_t *sp = &b->spans[i];
        if (!sp->valid || (dup && dup[i]) || sp->trace_id.len != 16) continue;
        if (!sp->parent_span_id.len) {
            uint64_t second = sp->start_ns / 1000000000ull;
            ol_cobs_lock(&o);
            if (ol_chints_add(&c->hints, sp->trace_id.ptr, second, ol_cid_hash32(sp->trace_id.ptr, 16), true) == 1)
                ol_cix_put_root(&c->wbuf, sp->trace_id.ptr, second);
        }
        if (!ol_cid_maybe(sp->raw)) continue;
        memcpy(o.ref.trace_id, sp->trace_id.ptr, 16);
        o.ref.time_ns = sp->start_ns;
        o.sig = OL_SIGNAL_TRACES;
        ol_cid_each(sp->raw, OL_CID_SPAN_ATTRS, ol_cobs_attr, &o);
    }
    for (size_t i = 0; i < b->n_logs; i++) {
        const ol_otlp_log_t *l = &b->logs[i];
        if (!ol_cid_maybe(l->raw)) continue;
        uint64_t t = l->time_ns ? l->time_ns : l->observed_ns ? l->observed_ns : o.now_s * 1000000000ull;
        if (l->trace_id.len == 16) {
            memcpy(o.ref.trace_id, l->trace_id.ptr, 16);
            o.ref.time_ns = t;
        } else {
            memset(o.ref.trace_id, 0, 16);
            o.ref.time_ns = t - t % 1000000000ull;
        }
        o.sig = OL_SIGNAL_LOGS;
        ol_cid_each(l->raw, OL_CID_LOG_ATTRS, ol_cobs_attr, &o);
    }
    if (o.locked) {
        ol_cix_record_end(&c->wbuf, o.mark);
        ol_correlate_file_append(c);
        pthread_mutex_unlock(&c->mu);
    }
}

void ol_correlate_tick(ol_correlate_t *c, uint64_t now_ns)
{
    (void)now_ns;
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    ol_correlate_file_sync(c);
    ol_correlate_file_maybe_compact(c);
    pthread_mutex_unlock(&c->mu);
}

/* ---- counters ---- */

static void ol_cmetric(ol_buf_t *out, const char *name, const char *type, const char *help, uint64_t v)
{
    ol_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name, (unsigned long long)v);
}

void ol_correlate_metrics_text(ol_correlate_t *c, ol_buf_t *out)
{
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    uint64_t ids = c->ix.n, refs = c->ix.n_refs, evicted = c->ix.evicted, dropped = c->ix.refs_dropped;
    uint64_t file_bytes = c->fd >= 0 ? c->file_end : 0, hints = c->hints.n;
    pthread_mutex_unlock(&c->mu);
    ol_buf_printf(out,
                  "# HELP olly_correlation_ids_seen_total Stored items carrying a valid correlation id, per signal.\n"
                  "# TYPE olly_correlation_ids_seen_total counter\n"
                  "olly_correlation_ids_seen_total{signal=\"traces\"} %llu\n"
                  "olly_correlation_ids_seen_total{signal=\"logs\"} %llu\n",
                  (unsigned long long)atomic_load(&c->seen[OL_SIGNAL_TRACES]),
                  (unsigned long long)atomic_load(&c->seen[OL_SIGNAL_LOGS]));
    ol_buf_append_cstr(out, "# HELP olly_correlation_ids_rejected_total Correlation ids cut out before storing, "
                            "per reason.\n# TYPE olly_correlation_ids_rejected_total counter\n");
    for (int r = 1; r < OL_CID__COUNT; r++)
        ol_buf_printf(out, "olly_correlation_ids_rejected_total{reason=\"%s\"} %llu\n", ol_cid_reason(r),
                      (unsigned long long)atomic_load(&c->rejected[r]));
    ol_cmetric(out, "olly_correlation_ids_replaced_total", "counter",
               "Rejected ids of trace-less log records replaced by a generated one.", atomic_load(&c->replaced));
    ol_buf_printf(out,
                  "# HELP olly_correlation_lookups_total Correlation lookups, per kind of id.\n"
                  "# TYPE olly_correlation_lookups_total counter\n"
                  "olly_correlation_lookups_total{kind=\"explicit\"} %llu\n"
                  "olly_correlation_lookups_total{kind=\"generated\"} %llu\n",
                  (unsigned long long)atomic_load(&c->lookups[OL_CLOOKUP_EXPLICIT]),
                  (unsigned long long)atomic_load(&c->lookups[OL_CLOOKUP_GENERATED]));
    ol_cmetric(out, "olly_correlation_generated_searches_total", "counter",
               "Generated-id lookups no root hint answered, so the store was searched.", atomic_load(&c->searches));
    ol_cmetric(out, "olly_correlation_root_hints", "gauge", "Root spans remembered for generated-id lookups.", hints);
    ol_cmetric(out, "olly_correlation_index_ids", "gauge", "Explicit correlation ids in the index.", ids);
    ol_cmetric(out, "olly_correlation_index_refs", "gauge",
               "Traces and trace-less log seconds the indexed ids point at.", refs);
    ol_cmetric(out, "olly_correlation_index_evicted_total", "counter",
               "Ids dropped from the index because it held max_ids.", evicted);
    ol_cmetric(out, "olly_correlation_index_refs_dropped_total", "counter",
               "Traces not indexed because their id already pointed at 1024.", dropped);
    ol_cmetric(out, "olly_correlation_index_file_bytes", "gauge", "Size of the index file.", file_bytes);
    ol_cmetric(out, "olly_correlation_index_file_errors_total", "counter",
               "Index file writes, fsyncs or rewrites that failed.", atomic_load(&c->file_errors));
    ol_cmetric(out, "olly_correlation_index_compactions_total", "counter", "Rewrites of the index file.",
               atomic_load(&c->compactions));
}
