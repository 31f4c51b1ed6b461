/*
 * store.c - the store.h API over the WAL (wal.c) and the in-memory index
 * (index.c).
 *
 * An append keeps the items the store accepts (valid, not already stored),
 * rebuilds them into one Export*ServiceRequest payload (store/request.h),
 * writes it as one WAL record, and only then decodes that same payload and
 * indexes its views. Replay runs the same decode + index step over every
 * good record, so what a reader sees before and after a restart is the same
 * bytes, decoded the same way.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/util.h"
#include "store/embedded/embedded.h"
#include "store/request.h"

static char *ol_store_strdup(const char *s) { return ol_strndup(OL_MEM_STORE, s, strlen(s)); }
static void ol_store_strfree(char *s)
{
    if (s) ol_free(OL_MEM_STORE, s, strlen(s) + 1);
}

int ol_store_open(const ol_store_options_t *opt, ol_store_t **out, ol_err_t *err)
{
    *out = NULL;
    if (!opt->dir || !*opt->dir) {
        ol_err_set(err, "store: no data directory configured");
        return OL_ERR;
    }
    if (ol_io_mkdir_p(opt->dir) != 0) {
        ol_err_set(err, "store: cannot create %s: %s", opt->dir, strerror(errno));
        return OL_ERR;
    }
    ol_store_t *s = ol_calloc(OL_MEM_STORE, 1, sizeof *s);
    if (!s) {
        ol_err_set(err, "store: out of memory");
        return OL_NOMEM;
    }
    atomic_init(&s->ready, false);
    atomic_init(&s->append_errors, 0);
    s->io = opt->io ? opt->io : ol_io_posix();
    s->dir = ol_store_strdup(opt->dir);
    size_t n = strlen(opt->dir) + 5;
    s->wal_dir = ol_malloc(OL_MEM_STORE, n);
    if (!s->dir || !s->wal_dir) {
        ol_err_set(err, "store: out of memory");
        ol_free(OL_MEM_STORE, s->wal_dir, n);
        s->wal_dir = NULL;
        ol_store_close(s);
        return OL_NOMEM;
    }
    snprintf(s->wal_dir, n, "%s/wal", opt->dir);

    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&s->lock, &ra);
    pthread_rwlockattr_destroy(&ra);
    pthread_mutex_init(&s->append_mu, NULL);
    s->locks_ready = true;

    uint32_t interval = opt->fsync_interval_ms ? opt->fsync_interval_ms : 1000;
    int rc = ol_wal_open(s->wal_dir, s->io, opt->wal_segment_bytes, opt->fsync, interval, &s->wal);
    if (rc != OL_OK) {
        ol_err_set(err, "store: cannot open the write-ahead log in %s", s->wal_dir);
        ol_store_close(s);
        return rc;
    }
    *out = s;
    return OL_OK;
}

typedef struct ol_store_replay_ctx {
    ol_store_t *s;
    uint64_t records, undecodable;
} ol_store_replay_ctx_t;

static void ol_store_replay_record(void *ud, ol_wal_record_t *rec)
{
    ol_store_replay_ctx_t *ctx = ud;
    ol_store_t *s = ctx->s;
    ol_ix_chunk_t *c;
    ol_err_t err = {{0}};
    int rc = ol_ix_chunk_decode((ol_signal_t)rec->signal, rec->mem, rec->mem_len, ol_slice(rec->mem, rec->mem_len),
                                rec->received_ns, &c, &err);
    if (rc != OL_OK) {
        ol_error("store: WAL record in segment %016" PRIx64 " at offset %" PRIu64 " has a good CRC but does not "
                 "decode (%s): skipped",
                 rec->segment_seq, rec->offset, rc == OL_NOMEM ? "out of memory" : err.msg);
        ol_free(OL_MEM_STORE, rec->mem, rec->mem_len);
        ctx->undecodable++;
        return;
    }
    pthread_rwlock_wrlock(&s->lock);
    rc = ol_ix_add_chunk(&s->ix, &s->ids, c);
    pthread_rwlock_unlock(&s->lock);
    if (rc != OL_OK) ol_error("store: out of memory indexing the WAL record at offset %" PRIu64, rec->offset);
    ctx->records++;
}

int ol_store_replay(ol_store_t *s)
{
    if (atomic_load(&s->ready)) return OL_OK;
    uint64_t t0 = ol_mono_ns();
    ol_store_replay_ctx_t ctx = {.s = s};
    pthread_mutex_lock(&s->append_mu);
    int rc = ol_wal_replay(s->wal, ol_store_replay_record, &ctx);
    pthread_mutex_unlock(&s->append_mu);
    if (rc != OL_OK) return rc;
    ol_store_stats_t st;
    ol_store_stats(s, &st);
    ol_info("store: replayed %" PRIu64 " WAL records (%" PRIu64 " undecodable) in %" PRIu64 " ms: %" PRIu64
            " spans, %" PRIu64 " log records, %" PRIu64 " metric points",
            ctx.records, ctx.undecodable, (ol_mono_ns() - t0) / 1000000u, st.spans, st.log_records,
            st.metric_points);
    atomic_store(&s->ready, true);
    return OL_OK;
}

bool ol_store_ready(ol_store_t *s) { return s && atomic_load(&s->ready); }

void ol_store_close(ol_store_t *s)
{
    if (!s) return;
    ol_wal_close(s->wal);
    ol_ix_free(&s->ix);
    ol_ix_idset_free(&s->ids);
    if (s->locks_ready) {
        pthread_rwlock_destroy(&s->lock);
        pthread_mutex_destroy(&s->append_mu);
    }
    ol_store_strfree(s->dir);
    ol_store_strfree(s->wal_dir);
    ol_free(OL_MEM_STORE, s, sizeof *s);
}

/* Adds the batch's accepted items to rb; counts into res. Caller holds append_mu. */
static int ol_store_collect(ol_store_t *s, const ol_otlp_batch_t *b, ol_req_builder_t *rb,
                            ol_store_append_result_t *res)
{
    switch (b->signal) {
    case OL_SIGNAL_TRACES: {
        ol_ix_idset_t seen = {0};
        int rc = OL_OK;
        for (size_t i = 0; i < b->n_spans && rc == OL_OK; i++) {
            const ol_otlp_span_t *sp = &b->spans[i];
            if (!sp->valid) continue;
            uint8_t key[OL_IX_SPANKEY];
            ol_ix_spankey(key, sp);
            if (ol_ix_idset_has(&s->ids, key) || ol_ix_idset_has(&seen, key)) {
                res->duplicates++;
                continue;
            }
            rc = ol_ix_idset_add(&seen, key);
            ol_req_add(rb, sp->origin, sp->raw);
            res->accepted++;
        }
        ol_ix_idset_free(&seen);
        return rc;
    }
    case OL_SIGNAL_LOGS:
        for (size_t i = 0; i < b->n_logs; i++) {
            ol_req_add(rb, b->logs[i].origin, b->logs[i].raw);
            res->accepted++;
        }
        return OL_OK;
    case OL_SIGNAL_METRICS:
        for (size_t i = 0; i < b->n_metrics; i++) {
            const ol_otlp_metric_t *m = &b->metrics[i];
            if (!m->valid || !m->name.len) continue;
            ol_req_add(rb, m->origin, m->raw);
            res->accepted += m->n_points;
        }
        return OL_OK;
    }
    return OL_CORRUPT;
}

int ol_store_append(ol_store_t *s, const ol_otlp_batch_t *b, ol_store_append_result_t *res)
{
    ol_store_append_result_t local;
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    if (!atomic_load(&s->ready)) return OL_BUSY;

    ol_buf_t rec;
    ol_buf_init(&rec, OL_MEM_STORE, 0);
    uint8_t hdr[OL_WAL_REC_HDR] = {0};
    ol_buf_append(&rec, hdr, sizeof hdr);
    ol_req_builder_t rb;
    ol_req_begin(&rb, &rec, OL_REQ_GROUP_ORIGIN);

    pthread_mutex_lock(&s->append_mu);
    int rc = ol_store_collect(s, b, &rb, res);
    if (rc == OL_OK) rc = ol_req_finish(&rb);
    if (rc != OL_OK) {
        ol_error("store: cannot build a WAL record: %s", ol_rc_str(rc));
        goto fail;
    }
    if (rb.n_items == 0) {
        pthread_mutex_unlock(&s->append_mu);
        ol_buf_free(&rec);
        return OL_OK;
    }
    uint64_t now = ol_now_ns();
    rc = ol_wal_append(s->wal, (uint8_t)b->signal, now, rec.data, rec.len);
    if (rc != OL_OK) goto fail;

    ol_ix_chunk_t *c;
    ol_err_t err = {{0}};
    ol_slice_t payload = ol_slice(rec.data + OL_WAL_REC_HDR, rec.len - OL_WAL_REC_HDR);
    rc = ol_ix_chunk_decode(b->signal, rec.data, rec.cap, payload, now, &c, &err);
    if (OL_NEVER(rc != OL_OK)) {
        /* Durable but not visible until the next replay. */
        ol_error("store: cannot decode the record just written (%s): %s", ol_rc_str(rc), err.msg);
        pthread_mutex_unlock(&s->append_mu);
        ol_buf_free(&rec);
        return OL_OK;
    }
    pthread_rwlock_wrlock(&s->lock);
    rc = ol_ix_add_chunk(&s->ix, &s->ids, c);
    pthread_rwlock_unlock(&s->lock);
    pthread_mutex_unlock(&s->append_mu);
    if (rc != OL_OK) ol_error("store: out of memory indexing a batch; it is durable and reappears on restart");
    return OL_OK;

fail:
    atomic_fetch_add(&s->append_errors, 1);
    pthread_mutex_unlock(&s->append_mu);
    ol_buf_free(&rec);
    res->accepted = res->duplicates = 0;
    return rc == OL_LIMIT ? OL_LIMIT : OL_FULL;
}

int ol_store_sync(ol_store_t *s) { return ol_wal_sync(s->wal); }

void ol_store_stats(ol_store_t *s, ol_store_stats_t *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&s->append_mu);
    ol_wal_stats(s->wal, &out->wal_bytes, &out->wal_segments);
    pthread_mutex_unlock(&s->append_mu);
    out->append_errors = atomic_load(&s->append_errors);
    pthread_rwlock_rdlock(&s->lock);
    out->spans = s->ix.n_spans;
    out->traces = s->ix.n_traces;
    out->log_records = s->ix.n_log_records;
    out->metric_points = s->ix.n_metric_points;
    out->metrics = s->ix.n_metrics;
    out->clock_skew_spans = s->ix.n_skew;
    pthread_rwlock_unlock(&s->lock);
}

/* ---- scans ---- */

static int ol_store_scan_rc(int rc) { return rc == OL_STORE_STOP ? OL_OK : rc; }

static ol_store_trace_t ol_store_trace_view(const ol_ix_trace_t *t)
{
    return (ol_store_trace_t){
        .trace_id = t->id,
        .spans = t->spans,
        .n_spans = t->n,
        .start_ns = t->start_ns,
        .end_ns = t->end_ns,
        .clock_skew = t->skew,
    };
}

int ol_store_scan_trace(ol_store_t *s, const uint8_t trace_id[16], ol_store_trace_fn fn, void *ud)
{
    pthread_rwlock_rdlock(&s->lock);
    const ol_ix_trace_t *t = ol_ix_map_get(&s->ix.traces, ol_slice(trace_id, 16));
    int rc = OL_NOTFOUND;
    if (t) {
        ol_store_trace_t v = ol_store_trace_view(t);
        rc = ol_store_scan_rc(fn(ud, &v));
    }
    pthread_rwlock_unlock(&s->lock);
    return rc;
}

int ol_store_scan_traces(ol_store_t *s, uint64_t start_ns, uint64_t end_ns, ol_store_trace_fn fn, void *ud)
{
    int rc = OL_OK;
    pthread_rwlock_rdlock(&s->lock);
    for (size_t i = 0; i < s->ix.n_traces && rc == OL_OK; i++) {
        const ol_ix_trace_t *t = s->ix.trace_list[i];
        if (t->start_ns >= end_ns || t->end_ns < start_ns) continue;
        ol_store_trace_t v = ol_store_trace_view(t);
        rc = fn(ud, &v);
    }
    pthread_rwlock_unlock(&s->lock);
    return ol_store_scan_rc(rc);
}

int ol_store_scan_logs(ol_store_t *s, uint64_t start_ns, uint64_t end_ns, ol_store_log_fn fn, void *ud)
{
    int rc = OL_OK;
    pthread_rwlock_rdlock(&s->lock);
    const ol_ix_log_t *logs = s->ix.logs;
    size_t lo = 0, hi = s->ix.n_logs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (logs[mid].t < end_ns) lo = mid + 1;
        else hi = mid;
    }
    for (size_t i = lo; i > 0 && rc == OL_OK; i--) {
        if (logs[i - 1].t < start_ns) break;
        rc = fn(ud, logs[i - 1].l);
    }
    pthread_rwlock_unlock(&s->lock);
    return ol_store_scan_rc(rc);
}

int ol_store_scan_metric_names(ol_store_t *s, ol_store_metric_info_fn fn, void *ud)
{
    int rc = OL_OK;
    pthread_rwlock_rdlock(&s->lock);
    for (size_t i = 0; i < s->ix.n_metrics && rc == OL_OK; i++) {
        const ol_ix_metric_t *m = s->ix.metric_list[i];
        ol_store_metric_info_t info = {
            .name = m->name,
            .description = m->latest->description,
            .unit = m->latest->unit,
            .type = m->latest->type,
            .n_points = m->n_points,
        };
        rc = fn(ud, &info);
    }
    pthread_rwlock_unlock(&s->lock);
    return ol_store_scan_rc(rc);
}

int ol_store_scan_metric(ol_store_t *s, ol_slice_t name, uint64_t start_ns, uint64_t end_ns, ol_store_metric_fn fn,
                         void *ud)
{
    pthread_rwlock_rdlock(&s->lock);
    const ol_ix_metric_t *m = ol_ix_map_get(&s->ix.metrics, name);
    int rc = m ? OL_OK : OL_NOTFOUND;
    for (size_t i = 0; m && i < m->n && rc == OL_OK; i++) {
        const ol_otlp_metric_t *it = m->items[i];
        if (!it->n_points || it->max_time_ns < start_ns || it->min_time_ns >= end_ns) continue;
        rc = fn(ud, it);
    }
    pthread_rwlock_unlock(&s->lock);
    return ol_store_scan_rc(rc);
}

int ol_store_scan_services(ol_store_t *s, ol_store_service_fn fn, void *ud)
{
    int rc = OL_OK;
    pthread_rwlock_rdlock(&s->lock);
    for (size_t i = 0; i < s->ix.n_services && rc == OL_OK; i++) {
        const ol_ix_service_t *svc = s->ix.service_list[i];
        rc = fn(ud, svc->name, svc->ops, svc->n_ops);
    }
    pthread_rwlock_unlock(&s->lock);
    return ol_store_scan_rc(rc);
}
