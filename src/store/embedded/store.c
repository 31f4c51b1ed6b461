/*
 * store.c - the store.h API over the WAL (wal.c), the in-memory head and
 * record index (index.c) and the columnar parts (parts.c, flush.c, maint.c).
 *
 * An append keeps the items the store accepts (valid, not already in the
 * head), rebuilds them into one Export*ServiceRequest payload
 * (store/request.h), writes it as one WAL record, and only then decodes that
 * same payload and indexes its views: spans into the head, log records and
 * metrics into the record index. Replay runs the same decode + index step
 * over the WAL segments after the checkpoint, once the parts are loaded.
 *
 * Reads take the read lock to look at memory and to take references on the
 * parts and the frozen head they will read, then read parts without it, so
 * appends never wait for disk reads. A trace may be spread over the head and
 * several parts: by id it is gathered whole, deduplicated by span id; a
 * time-range scan delivers it once per place it is found (store.h).
 *
 * Backpressure: when the head and the frozen head together hold twice
 * flush_bytes (flushes are not keeping up), appends wait for room for up to
 * OL_STORE_ROOM_WAIT_MS and then fail with OL_AGAIN, so memory stays bounded
 * whatever the ingest rate.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/par.h"
#include "core/util.h"
#include "store/col/part.h"
#include "store/embedded/embedded.h"
#include "store/request.h"

#define OL_STORE_ROOM_WAIT_MS 10000u
#define OL_STORE_SKEW_FUTURE_NS (3600ull * 1000000000ull)

static char *ol_store_strdup(const char *s) { return ol_strndup(OL_MEM_STORE, s, strlen(s)); }
static void ol_store_strfree(char *s)
{
    if (s) ol_free(OL_MEM_STORE, s, strlen(s) + 1);
}

/* ---- heads ---- */

ol_head_t *ol_head_new(void)
{
    ol_head_t *h = ol_calloc(OL_MEM_STORE, 1, sizeof *h);
    if (h) atomic_init(&h->refs, 1);
    return h;
}

void ol_head_unref(ol_head_t *h)
{
    if (!h || atomic_fetch_sub(&h->refs, 1) != 1) return;
    ol_ix_free(&h->ix);
    ol_ix_idset_free(&h->ids);
    ol_free(OL_MEM_STORE, h, sizeof *h);
}

static void ol_head_ref(ol_head_t *h)
{
    if (h) atomic_fetch_add(&h->refs, 1);
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
    s->opt = *opt;
    s->opt.io = s->io;
    if (!s->opt.flush_bytes) s->opt.flush_bytes = 64u << 20;
    if (!s->opt.flush_age_ms) s->opt.flush_age_ms = 300000;
    if (s->opt.merge_min_parts < 2) s->opt.merge_min_parts = 4;
    if (!s->opt.threads) s->opt.threads = 2;
    if (s->opt.threads > 16) s->opt.threads = 16;
    if (!s->opt.query_threads) s->opt.query_threads = ol_par_cpus();
    s->head = ol_head_new();
    s->dir = ol_store_strdup(opt->dir);
    size_t n = strlen(opt->dir) + 5;
    s->wal_dir = ol_malloc(OL_MEM_STORE, n);
    if (!s->dir || !s->wal_dir || !s->head) {
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
    pthread_mutex_init(&s->cat_mu, NULL);
    pthread_mutex_init(&s->bg_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->bg_cv, &ca);
    pthread_cond_init(&s->room_cv, &ca);
    pthread_cond_init(&s->inflight_cv, NULL);
    pthread_condattr_destroy(&ca);
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

/* Indexes a decoded chunk into the head (spans) or the record index; caller
 * holds append_mu. */
static int ol_store_index_chunk(ol_store_t *s, ol_ix_chunk_t *c, size_t payload_len)
{
    uint64_t now = ol_mono_ns();
    pthread_rwlock_wrlock(&s->lock);
    int rc;
    if (c->batch.signal == OL_SIGNAL_TRACES) {
        ol_head_t *h = s->head;
        rc = ol_ix_add_chunk(&h->ix, &h->ids, c);
        h->bytes += payload_len;
        if (!h->first_mono_ns) h->first_mono_ns = now;
    } else {
        ol_ix_idset_t none = {0};
        rc = ol_ix_add_chunk(&s->rec, &none, c);
        s->rec_bytes += payload_len;
        if (!s->rec_first_mono_ns) s->rec_first_mono_ns = now;
    }
    pthread_rwlock_unlock(&s->lock);
    return rc;
}

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
    if (ol_store_index_chunk(s, c, rec->mem_len) != OL_OK)
        ol_error("store: out of memory indexing the WAL record at offset %" PRIu64, rec->offset);
    ctx->records++;
}

int ol_store_replay(ol_store_t *s)
{
    if (atomic_load(&s->ready)) return OL_OK;
    uint64_t t0 = ol_mono_ns();
    ol_store_replay_ctx_t ctx = {.s = s};
    uint64_t ckpt = 0;
    pthread_mutex_lock(&s->cat_mu);
    int rc = ol_store_parts_startup(s, &ckpt);
    s->rec_flushed = s->rec.last_chunk; /* what came from parts is in parts */
    pthread_mutex_unlock(&s->cat_mu);
    if (rc != OL_OK) return rc;
    uint64_t t1 = ol_mono_ns();
    pthread_mutex_lock(&s->append_mu);
    rc = ol_wal_replay_after(s->wal, ckpt, ol_store_replay_record, &ctx);
    pthread_mutex_unlock(&s->append_mu);
    if (rc != OL_OK) return rc;
    ol_store_stats_t st;
    ol_store_stats(s, &st);
    ol_info("store: loaded %" PRIu64 " parts (%" PRIu64 " bytes) in %" PRIu64 " ms and replayed %" PRIu64
            " WAL records after segment %016" PRIx64 " (%" PRIu64 " undecodable) in %" PRIu64 " ms: %" PRIu64
            " spans, %" PRIu64 " log records, %" PRIu64 " metric points",
            st.parts, st.part_bytes, (t1 - t0) / 1000000u, ctx.records, ckpt, ctx.undecodable,
            (ol_mono_ns() - t1) / 1000000u, st.spans, st.log_records, st.metric_points);
    atomic_store(&s->ready, true);
    pthread_mutex_lock(&s->bg_mu);
    s->bg_ready = true;
    pthread_mutex_unlock(&s->bg_mu);
    return ol_store_bg_start(s);
}

bool ol_store_ready(ol_store_t *s) { return s && atomic_load(&s->ready); }

int ol_store_flush_now(ol_store_t *s)
{
    if (!atomic_load(&s->ready)) return OL_BUSY;
    int rc = OL_OK;
    for (int i = 0; i < 2 && rc == OL_OK; i++) rc = ol_store_flush(s, true); /* a leftover frozen head, then the head */
    return rc;
}

void ol_store_close(ol_store_t *s)
{
    if (!s) return;
    ol_store_bg_stop(s);
    if (atomic_load(&s->ready) && !s->opt.keep_head_on_close && ol_store_flush_now(s) != OL_OK)
        ol_warn("store: the flush at shutdown failed; the WAL keeps the data and is replayed at the next start");
    ol_wal_close(s->wal);
    ol_head_unref(s->head);
    ol_head_unref(s->frozen);
    for (size_t i = 0; i < s->n_parts; i++) ol_store_part_unref(s, s->parts[i]);
    ol_free(OL_MEM_STORE, s->parts, s->cap_parts * sizeof *s->parts);
    for (size_t i = 0; i < s->n_partitions; i++) ol_store_partition_free(s->partitions[i]);
    ol_free(OL_MEM_STORE, s->partitions, s->cap_partitions * sizeof *s->partitions);
    ol_ix_free(&s->rec);
    if (s->locks_ready) {
        pthread_rwlock_destroy(&s->lock);
        pthread_mutex_destroy(&s->append_mu);
        pthread_mutex_destroy(&s->cat_mu);
        pthread_mutex_destroy(&s->bg_mu);
        pthread_cond_destroy(&s->bg_cv);
        pthread_cond_destroy(&s->room_cv);
        pthread_cond_destroy(&s->inflight_cv);
    }
    ol_store_strfree(s->dir);
    ol_store_strfree(s->wal_dir);
    ol_free(OL_MEM_STORE, s, sizeof *s);
}

/* Waits until the heads hold less than twice flush_bytes; false after
 * OL_STORE_ROOM_WAIT_MS or at shutdown. */
static bool ol_store_wait_room(ol_store_t *s)
{
    uint64_t limit = 2 * s->opt.flush_bytes, deadline = 0;
    pthread_mutex_lock(&s->bg_mu);
    for (;;) {
        pthread_rwlock_rdlock(&s->lock);
        uint64_t used = s->head->bytes + (s->frozen ? s->frozen->bytes : 0) + s->rec_bytes;
        pthread_rwlock_unlock(&s->lock);
        if (used < limit || !s->bg_ready) break;
        if (s->stop) {
            pthread_mutex_unlock(&s->bg_mu);
            return false;
        }
        uint64_t now = ol_mono_ns();
        if (!deadline) deadline = now + OL_STORE_ROOM_WAIT_MS * 1000000ull;
        if (now >= deadline) {
            pthread_mutex_unlock(&s->bg_mu);
            ol_warn("store: the head is full and flushes are not keeping up: refusing appends for now");
            return false;
        }
        pthread_cond_broadcast(&s->bg_cv);
        struct timespec ts = ol_mono_deadline_ms(50);
        pthread_cond_timedwait(&s->room_cv, &s->bg_mu, &ts);
    }
    pthread_mutex_unlock(&s->bg_mu);
    return true;
}

/* Adds the batch's accepted items to rb; counts into res. Caller holds append_mu. */
static int ol_store_collect(ol_store_t *s, const ol_otlp_batch_t *b, ol_req_builder_t *rb,
                            ol_store_append_result_t *res, uint8_t *dup)
{
    switch (b->signal) {
    case OL_SIGNAL_TRACES: {
        ol_ix_idset_t seen = {0};
        int rc = OL_OK;
        pthread_rwlock_rdlock(&s->lock);
        ol_head_t *fz = s->frozen; /* its ids no longer change */
        ol_head_ref(fz);
        pthread_rwlock_unlock(&s->lock);
        for (size_t i = 0; i < b->n_spans && rc == OL_OK; i++) {
            const ol_otlp_span_t *sp = &b->spans[i];
            if (!sp->valid) continue;
            uint8_t key[OL_IX_SPANKEY];
            ol_ix_spankey(key, sp);
            if (ol_ix_idset_has(&s->head->ids, key) || (fz && ol_ix_idset_has(&fz->ids, key)) ||
                ol_ix_idset_has(&seen, key)) {
                res->duplicates++;
                if (dup) dup[i] = 1;
                continue;
            }
            rc = ol_ix_idset_add(&seen, key);
            ol_req_add(rb, sp->origin, sp->raw);
            res->accepted++;
        }
        ol_head_unref(fz);
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
    return ol_store_append_dups(s, b, res, NULL);
}

int ol_store_append_dups(ol_store_t *s, const ol_otlp_batch_t *b, ol_store_append_result_t *res, uint8_t *dup)
{
    ol_store_append_result_t local;
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    if (dup && b->signal != OL_SIGNAL_TRACES) dup = NULL;
    if (dup) memset(dup, 0, b->n_spans);
    if (!atomic_load(&s->ready)) return OL_BUSY;
    if (!ol_store_wait_room(s)) {
        atomic_fetch_add(&s->append_errors, 1);
        return OL_AGAIN;
    }

    ol_buf_t rec;
    ol_buf_init(&rec, OL_MEM_STORE, 0);
    uint8_t hdr[OL_WAL_REC_HDR] = {0};
    ol_buf_append(&rec, hdr, sizeof hdr);
    ol_req_builder_t rb;
    ol_req_begin(&rb, &rec, OL_REQ_GROUP_ORIGIN);

    pthread_mutex_lock(&s->append_mu);
    while (s->freezing) pthread_cond_wait(&s->inflight_cv, &s->append_mu);
    int rc = ol_store_collect(s, b, &rb, res, dup);
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

    if (s->opt.fsync == OL_FSYNC_ALWAYS) {
        /* Group commit: fsync without the append lock, so appends that
         * arrive meanwhile share the next fsync; index only once durable. */
        uint64_t wseq, wend;
        ol_wal_position(s->wal, &wseq, &wend);
        s->inflight++;
        pthread_mutex_unlock(&s->append_mu);
        int crc = ol_wal_commit(s->wal, wseq, wend);
        pthread_mutex_lock(&s->append_mu);
        if (--s->inflight == 0) pthread_cond_broadcast(&s->inflight_cv);
        if (crc != OL_OK) {
            /* Not acknowledged; taken back out of the log unless later records follow it (then a
             * restart may bring it back, and the client's retry is de-duplicated). */
            ol_wal_undo(s->wal, wseq, wend, rec.len);
            rc = crc;
            goto fail;
        }
    }
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
    rc = ol_store_index_chunk(s, c, payload.len);
    bool due = ol_store_flush_due(s);
    pthread_mutex_unlock(&s->append_mu);
    if (rc != OL_OK) ol_error("store: out of memory indexing a batch; it is durable and reappears on restart");
    if (due) {
        pthread_mutex_lock(&s->bg_mu);
        pthread_cond_signal(&s->bg_cv);
        pthread_mutex_unlock(&s->bg_mu);
    }
    return OL_OK;

fail:
    atomic_fetch_add(&s->append_errors, 1);
    pthread_mutex_unlock(&s->append_mu);
    ol_buf_free(&rec);
    res->accepted = res->duplicates = 0;
    if (dup) memset(dup, 0, b->n_spans);
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
    const ol_head_t *hs[2] = {s->head, s->frozen};
    for (int i = 0; i < 2; i++) {
        if (!hs[i]) continue;
        out->head_spans += hs[i]->ix.n_spans;
        out->head_bytes += hs[i]->bytes;
        out->traces += hs[i]->ix.n_traces;
        out->clock_skew_spans += hs[i]->ix.n_skew;
    }
    out->spans = out->head_spans;
    for (size_t i = 0; i < s->n_parts; i++) {
        const ol_store_part_t *sp = s->parts[i];
        out->parts++;
        out->part_bytes += sp->bytes;
        if (sp->signal == OL_SIGNAL_TRACES) out->spans += sp->rows;
    }
    out->log_records = s->rec.n_log_records;
    out->metric_points = s->rec.n_metric_points;
    out->metrics = s->rec.n_metrics;
    pthread_rwlock_unlock(&s->lock);
    out->flushes = atomic_load(&s->flushes);
    out->flush_errors = atomic_load(&s->flush_errors);
    out->merges = atomic_load(&s->merges);
    out->merge_errors = atomic_load(&s->merge_errors);
    out->dropped_partitions = atomic_load(&s->dropped_partitions);
    out->sampled_out_spans = atomic_load(&s->sampled_out_spans);
}

void ol_store_set_trace_filter(ol_store_t *s, ol_store_keep_fn keep, void *ud)
{
    pthread_mutex_lock(&s->cat_mu);
    s->keep = keep;
    s->keep_ud = keep ? ud : NULL;
    pthread_mutex_unlock(&s->cat_mu);
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

static bool ol_store_times_skewed(uint64_t start_ns, uint64_t end_ns, uint64_t now)
{
    return end_ns < start_ns || start_ns > now + OL_STORE_SKEW_FUTURE_NS;
}

static bool ol_store_span_skewed(const ol_otlp_span_t *sp, uint64_t now)
{
    return ol_store_times_skewed(sp->start_ns, sp->end_ns, now);
}

static void ol_store_part_read_error(const ol_store_part_t *sp, int rc, const ol_err_t *err)
{
    ol_error("store: reading part %s failed (%s): %s; its rows are missing from this answer", ol_part_path(sp->p),
             ol_rc_str(rc), err->msg);
}

typedef struct ol_store_gather {
    const ol_otlp_span_t **v;
    size_t n, cap;
} ol_store_gather_t;

static int ol_store_gather_push(ol_store_gather_t *g, const ol_otlp_span_t *sp)
{
    if (ol_grow_array(OL_MEM_STORE, (void **)&g->v, &g->cap, g->n + 1, sizeof *g->v) != OL_OK) return OL_NOMEM;
    g->v[g->n++] = sp;
    return OL_OK;
}

static int ol_store_gather_span(void *ud, const ol_otlp_span_t *sp) { return ol_store_gather_push(ud, sp); }

static int ol_store_span_order(const void *a, const void *b)
{
    const ol_otlp_span_t *x = *(const ol_otlp_span_t *const *)a, *y = *(const ol_otlp_span_t *const *)b;
    int c = memcmp(x->span_id.ptr, y->span_id.ptr, 8);
    if (c) return c;
    return x->start_ns < y->start_ns ? -1 : x->start_ns > y->start_ns;
}

static int ol_store_span_time_order(const void *a, const void *b)
{
    const ol_otlp_span_t *x = *(const ol_otlp_span_t *const *)a, *y = *(const ol_otlp_span_t *const *)b;
    if (x->start_ns != y->start_ns) return x->start_ns < y->start_ns ? -1 : 1;
    return memcmp(x->span_id.ptr, y->span_id.ptr, 8);
}

int ol_store_scan_trace(ol_store_t *s, const uint8_t trace_id[16], ol_store_trace_fn fn, void *ud)
{
    ol_store_gather_t g = {0};
    bool skew = false;
    int rc = OL_OK;
    ol_head_t *heads[2] = {0};
    ol_store_part_t **parts = NULL;
    size_t n_parts = 0;
    pthread_rwlock_rdlock(&s->lock);
    ol_head_t *hs[2] = {s->frozen, s->head};
    for (int i = 0; i < 2 && rc == OL_OK; i++) {
        if (!hs[i]) continue;
        const ol_ix_trace_t *t = ol_ix_map_get(&hs[i]->ix.traces, ol_slice(trace_id, 16));
        if (!t) continue;
        ol_head_ref(hs[i]);
        heads[i] = hs[i];
        skew |= t->skew;
        for (size_t k = 0; k < t->n && rc == OL_OK; k++) rc = ol_store_gather_push(&g, t->spans[k]);
    }
    if (rc == OL_OK) rc = ol_store_parts_snapshot(s, OL_SIGNAL_TRACES, 0, UINT64_MAX, &parts, &n_parts);
    pthread_rwlock_unlock(&s->lock);

    ol_arena_t *a = n_parts ? ol_arena_create(64 << 10, 0) : NULL;
    if (n_parts && !a) rc = OL_NOMEM;
    uint64_t now = ol_now_ns();
    size_t n_head = g.n;
    for (size_t i = 0; i < n_parts && rc == OL_OK; i++) {
        ol_err_t err = {{0}};
        int prc = ol_part_spans_trace(parts[i]->p, trace_id, a, ol_store_gather_span, &g, &err);
        if (prc == OL_NOMEM) rc = prc;
        else if (prc != OL_OK && prc != OL_NOTFOUND) ol_store_part_read_error(parts[i], prc, &err);
    }
    for (size_t i = n_head; i < g.n; i++) skew |= ol_store_span_skewed(g.v[i], now);
    if (rc == OL_OK && !g.n) rc = OL_NOTFOUND;
    if (rc == OL_OK) {
        /* A span re-sent after its first copy was flushed is in two places. */
        qsort(g.v, g.n, sizeof *g.v, ol_store_span_order);
        size_t m = 0;
        for (size_t i = 0; i < g.n; i++)
            if (!m || memcmp(g.v[i]->span_id.ptr, g.v[m - 1]->span_id.ptr, 8) != 0) g.v[m++] = g.v[i];
        g.n = m;
        qsort(g.v, g.n, sizeof *g.v, ol_store_span_time_order);
        ol_store_trace_t v = {.trace_id = trace_id, .spans = g.v, .n_spans = g.n, .start_ns = UINT64_MAX,
                              .clock_skew = skew};
        for (size_t i = 0; i < g.n; i++) {
            v.start_ns = OL_MIN(v.start_ns, g.v[i]->start_ns);
            v.end_ns = OL_MAX(v.end_ns, g.v[i]->end_ns);
        }
        rc = ol_store_scan_rc(fn(ud, &v));
    }
    if (a) ol_arena_destroy(a);
    ol_store_parts_release(s, parts, n_parts);
    ol_head_unref(heads[0]);
    ol_head_unref(heads[1]);
    ol_free(OL_MEM_STORE, g.v, g.cap * sizeof *g.v);
    return rc;
}

/* ---- Trace briefs (search summaries) ---- */

typedef struct ol_store_brief_set {
    ol_store_span_brief_t *v;
    size_t n, cap;
    bool skew;
} ol_store_brief_set_t;

typedef struct ol_store_briefs {
    ol_store_brief_set_t *sets; /* one per distinct id, in id order */
    uint64_t now;
} ol_store_briefs_t;

static int ol_store_brief_push(ol_store_brief_set_t *set, const ol_store_span_brief_t *b)
{
    if (ol_grow_array(OL_MEM_STORE, (void **)&set->v, &set->cap, set->n + 1, sizeof *set->v) != OL_OK) return OL_NOMEM;
    set->v[set->n++] = *b;
    return OL_OK;
}

static int ol_store_brief_from_part(void *ud, size_t which, const ol_part_span_brief_t *pb)
{
    ol_store_briefs_t *c = ud;
    ol_store_span_brief_t b = {.has_parent = pb->has_parent, .status_code = pb->status_code, .start_ns = pb->start_ns,
                               .end_ns = pb->end_ns, .name = pb->name,
                               .service = pb->service.len ? pb->service : OL_SLICE_LIT(OL_STORE_UNKNOWN_SERVICE)};
    memcpy(b.span_id, pb->span_id, 8);
    c->sets[which].skew |= ol_store_times_skewed(b.start_ns, b.end_ns, c->now);
    return ol_store_brief_push(&c->sets[which], &b);
}

/* Ids [first, end) of the sorted distinct ids, read from every part. */
typedef struct ol_store_brief_run {
    ol_store_briefs_t *c;
    const uint8_t (*ids)[16];
    size_t first, end;
    ol_store_part_t **parts;
    size_t n_parts;
    ol_arena_t *a;
} ol_store_brief_run_t;

static int ol_store_brief_run(void *ud, size_t r)
{
    ol_store_brief_run_t *run = &((ol_store_brief_run_t *)ud)[r];
    if (run->first == run->end) return OL_OK;
    run->a = ol_arena_create(64 << 10, 0);
    if (!run->a) return OL_NOMEM;
    ol_store_briefs_t c = *run->c;
    c.sets += run->first; /* which is relative to the run */
    for (size_t i = 0; i < run->n_parts; i++) {
        ol_err_t err = {{0}};
        int rc = ol_part_spans_briefs(run->parts[i]->p, run->ids + run->first, run->end - run->first, run->a,
                                      ol_store_brief_from_part, &c, &err);
        if (rc == OL_NOMEM) return rc;
        if (rc != OL_OK) ol_store_part_read_error(run->parts[i], rc, &err);
    }
    return OL_OK;
}

static int ol_store_brief_id_order(const void *a, const void *b) { return memcmp(a, b, 16); }

static int ol_store_brief_span_order(const void *a, const void *b)
{
    const ol_store_span_brief_t *x = a, *y = b;
    int c = memcmp(x->span_id, y->span_id, 8);
    if (c) return c;
    return x->start_ns < y->start_ns ? -1 : x->start_ns > y->start_ns;
}

static int ol_store_brief_time_order(const void *a, const void *b)
{
    const ol_store_span_brief_t *x = a, *y = b;
    if (x->start_ns != y->start_ns) return x->start_ns < y->start_ns ? -1 : 1;
    return memcmp(x->span_id, y->span_id, 8);
}

int ol_store_trace_briefs(ol_store_t *s, const uint8_t (*ids)[16], size_t n, ol_store_brief_fn fn, void *ud)
{
    if (!n) return OL_OK;
    uint8_t (*u)[16] = ol_malloc(OL_MEM_STORE, n * sizeof *u);
    ol_store_briefs_t c = {.sets = ol_calloc(OL_MEM_STORE, n, sizeof *c.sets), .now = ol_now_ns()};
    bool *sent = ol_calloc(OL_MEM_STORE, n, sizeof *sent);
    int rc = u && c.sets && sent ? OL_OK : OL_NOMEM;
    size_t m = 0;
    if (rc == OL_OK) {
        memcpy(u, ids, n * sizeof *u);
        qsort(u, n, sizeof *u, ol_store_brief_id_order);
        for (size_t i = 0; i < n; i++)
            if (!m || memcmp(u[i], u[m - 1], 16) != 0) memcpy(u[m++], u[i], 16);
    }
    ol_head_t *heads[2] = {0};
    ol_store_part_t **parts = NULL;
    size_t n_parts = 0;
    if (rc == OL_OK) {
        pthread_rwlock_rdlock(&s->lock);
        ol_head_t *hs[2] = {s->frozen, s->head};
        for (int h = 0; h < 2 && rc == OL_OK; h++) {
            if (!hs[h]) continue;
            ol_head_ref(hs[h]);
            heads[h] = hs[h];
            for (size_t j = 0; j < m && rc == OL_OK; j++) {
                const ol_ix_trace_t *t = ol_ix_map_get(&hs[h]->ix.traces, ol_slice(u[j], 16));
                if (!t) continue;
                c.sets[j].skew |= t->skew;
                for (size_t k = 0; k < t->n && rc == OL_OK; k++) {
                    const ol_otlp_span_t *sp = t->spans[k];
                    ol_store_span_brief_t b = {.has_parent = sp->parent_span_id.len != 0,
                                               .status_code = sp->status_code, .start_ns = sp->start_ns,
                                               .end_ns = sp->end_ns, .name = sp->name,
                                               .service = ol_store_service_of(sp->origin)};
                    memcpy(b.span_id, sp->span_id.ptr, 8);
                    rc = ol_store_brief_push(&c.sets[j], &b);
                }
            }
        }
        if (rc == OL_OK) rc = ol_store_parts_snapshot(s, OL_SIGNAL_TRACES, 0, UINT64_MAX, &parts, &n_parts);
        pthread_rwlock_unlock(&s->lock);
    }
    /* The ids are split into contiguous runs read on up to query_threads
     * threads: each run's briefs go to its own sets and arena. */
    size_t n_runs = OL_MIN((size_t)s->opt.query_threads, m);
    ol_store_brief_run_t *runs = n_parts && rc == OL_OK ? ol_calloc(OL_MEM_STORE, n_runs, sizeof *runs) : NULL;
    if (n_parts && rc == OL_OK && !runs) rc = OL_NOMEM;
    for (size_t r = 0; runs && r < n_runs; r++)
        runs[r] = (ol_store_brief_run_t){.c = &c, .ids = u, .first = m * r / n_runs, .end = m * (r + 1) / n_runs,
                                         .parts = parts, .n_parts = n_parts};
    if (runs && rc == OL_OK) rc = ol_par_for(n_runs, s->opt.query_threads, ol_store_brief_run, runs);
    for (size_t i = 0; i < n && rc == OL_OK; i++) {
        const uint8_t(*hit)[16] = bsearch(ids[i], u, m, sizeof *u, ol_store_brief_id_order);
        size_t j = (size_t)(hit - (const uint8_t(*)[16])u);
        ol_store_brief_set_t *set = &c.sets[j];
        if (sent[j] || !set->n) continue;
        sent[j] = true;
        /* A span re-sent after its first copy was flushed is in two places. */
        qsort(set->v, set->n, sizeof *set->v, ol_store_brief_span_order);
        size_t k = 0;
        for (size_t x = 0; x < set->n; x++)
            if (!k || memcmp(set->v[x].span_id, set->v[k - 1].span_id, 8) != 0) set->v[k++] = set->v[x];
        set->n = k;
        qsort(set->v, set->n, sizeof *set->v, ol_store_brief_time_order);
        ol_store_trace_brief_t t = {.trace_id = u[j], .spans = set->v, .n_spans = set->n, .start_ns = UINT64_MAX,
                                    .clock_skew = set->skew};
        for (size_t x = 0; x < set->n; x++) {
            t.start_ns = OL_MIN(t.start_ns, set->v[x].start_ns);
            t.end_ns = OL_MAX(t.end_ns, set->v[x].end_ns);
        }
        rc = fn(ud, &t);
    }
    rc = ol_store_scan_rc(rc);
    for (size_t r = 0; runs && r < n_runs; r++)
        if (runs[r].a) ol_arena_destroy(runs[r].a);
    ol_free(OL_MEM_STORE, runs, n_runs * sizeof *runs);
    ol_store_parts_release(s, parts, n_parts);
    ol_head_unref(heads[0]);
    ol_head_unref(heads[1]);
    for (size_t j = 0; c.sets && j < n; j++) ol_free(OL_MEM_STORE, c.sets[j].v, c.sets[j].cap * sizeof *c.sets[j].v);
    ol_free(OL_MEM_STORE, c.sets, n * sizeof *c.sets);
    ol_free(OL_MEM_STORE, sent, n * sizeof *sent);
    ol_free(OL_MEM_STORE, u, n * sizeof *u);
    return rc;
}

/* Groups a granule's spans (in trace order) into per-trace fragments. */
typedef struct ol_store_frag {
    ol_store_gather_t g;
    uint64_t start_ns, end_ns, now;
    ol_store_trace_fn fn;
    void *ud;
    int rc;
} ol_store_frag_t;

static int ol_store_frag_emit(ol_store_frag_t *f)
{
    if (!f->g.n) return OL_OK;
    ol_store_trace_t v = {.trace_id = f->g.v[0]->trace_id.ptr, .spans = f->g.v, .n_spans = f->g.n,
                          .start_ns = UINT64_MAX};
    for (size_t i = 0; i < f->g.n; i++) {
        const ol_otlp_span_t *sp = f->g.v[i];
        v.start_ns = OL_MIN(v.start_ns, sp->start_ns);
        v.end_ns = OL_MAX(v.end_ns, sp->end_ns);
        v.clock_skew |= ol_store_span_skewed(sp, f->now);
    }
    f->g.n = 0;
    if (v.start_ns >= f->end_ns || v.end_ns < f->start_ns) return OL_OK;
    return f->fn(f->ud, &v);
}

static int ol_store_frag_span(void *ud, const ol_otlp_span_t *sp)
{
    ol_store_frag_t *f = ud;
    if (f->g.n && memcmp(f->g.v[0]->trace_id.ptr, sp->trace_id.ptr, 16) != 0) {
        int rc = ol_store_frag_emit(f);
        if (rc != OL_OK) return rc;
    }
    return ol_store_gather_push(&f->g, sp);
}

/* The heads' traces overlapping the window go to fn under the read lock;
 * references to the trace parts overlapping it (and holding `service`, if
 * given) are returned for reading afterwards. */
static int ol_store_scan_heads(ol_store_t *s, uint64_t start_ns, uint64_t end_ns, ol_slice_t service,
                               ol_store_trace_fn fn, void *ud, ol_store_part_t ***parts, size_t *n_parts)
{
    int rc = OL_OK;
    *parts = NULL;
    *n_parts = 0;
    pthread_rwlock_rdlock(&s->lock);
    ol_head_t *hs[2] = {s->frozen, s->head};
    for (int h = 0; h < 2 && rc == OL_OK; h++) {
        for (size_t i = 0; hs[h] && i < hs[h]->ix.n_traces && rc == OL_OK; i++) {
            const ol_ix_trace_t *t = hs[h]->ix.trace_list[i];
            if (t->start_ns >= end_ns || t->end_ns < start_ns) continue;
            ol_store_trace_t v = ol_store_trace_view(t);
            rc = fn(ud, &v);
        }
    }
    if (rc == OL_OK && end_ns > start_ns)
        rc = ol_store_parts_snapshot(s, OL_SIGNAL_TRACES, start_ns, end_ns - 1, parts, n_parts);
    pthread_rwlock_unlock(&s->lock);
    if (rc != OL_OK || !service.len) return rc;
    for (size_t i = 0; i < *n_parts; i++) {
        if (ol_part_spans_has_service((*parts)[i]->p, service)) continue;
        ol_store_part_unref(s, (*parts)[i]);
        (*parts)[i] = NULL; /* pruned */
    }
    return OL_OK;
}

int ol_store_scan_traces(ol_store_t *s, uint64_t start_ns, uint64_t end_ns, ol_store_trace_fn fn, void *ud)
{
    ol_store_part_t **parts;
    size_t n_parts;
    int rc = ol_store_scan_heads(s, start_ns, end_ns, ol_slice(NULL, 0), fn, ud, &parts, &n_parts);
    ol_store_frag_t f = {.start_ns = start_ns, .end_ns = end_ns, .now = ol_now_ns(), .fn = fn, .ud = ud};
    ol_arena_t *a = n_parts && rc == OL_OK ? ol_arena_create(1 << 20, 0) : NULL;
    if (n_parts && rc == OL_OK && !a) rc = OL_NOMEM;
    for (size_t i = n_parts; i > 0 && rc == OL_OK; i--) {
        const ol_store_part_t *sp = parts[i - 1];
        if (!sp) continue;
        uint32_t n_g = ol_part_info(sp->p)->granules;
        for (uint32_t g = 0; g < n_g && rc == OL_OK; g++) {
            const ol_part_granule_info_t *gi = ol_part_granule(sp->p, g);
            if (gi->max_time_ns < start_ns || gi->min_time_ns >= end_ns) continue;
            ol_err_t err = {{0}};
            ol_arena_reset(a);
            rc = ol_part_spans_granule(sp->p, g, a, ol_store_frag_span, &f, &err);
            if (rc == OL_OK) rc = ol_store_frag_emit(&f);
            f.g.n = 0;
            if (rc == OL_CORRUPT || rc == OL_ERR) {
                ol_store_part_read_error(sp, rc, &err);
                rc = OL_OK;
                break;
            }
        }
    }
    if (a) ol_arena_destroy(a);
    ol_free(OL_MEM_STORE, f.g.v, f.g.cap * sizeof *f.g.v);
    ol_store_parts_release(s, parts, n_parts);
    return ol_store_scan_rc(rc);
}

/* Trace search in parts: granules are matched on up to query_threads
 * threads, OL_STORE_MATCH_CHUNK at a time; each keeps its hits, and the
 * caller's thread delivers them in (part, granule) order, so the answer and
 * the order of calls to hit do not depend on scheduling, and memory is
 * bounded by the hits of one chunk. */
#define OL_STORE_MATCH_CHUNK 32

typedef struct ol_store_match_hit {
    uint8_t trace_id[16];
    uint64_t start_ns, end_ns;
} ol_store_match_hit_t;

typedef struct ol_store_match_item {
    size_t part; /* index into the snapshot */
    uint32_t g;
    bool start_only; /* the granule lies inside the window: hits carry no end */
    int rc;
    ol_err_t err;
    ol_store_match_hit_t *v;
    size_t n, cap;
} ol_store_match_item_t;

typedef struct ol_store_match_job {
    ol_store_part_t **parts;
    ol_store_match_item_t *items;
    const ol_part_span_filter_t *pf;
    uint64_t start_ns, end_ns;
} ol_store_match_job_t;

static int ol_store_match_keep(void *ud, const uint8_t trace_id[16], uint64_t start_ns, uint64_t end_ns)
{
    ol_store_match_item_t *it = ud;
    if (ol_grow_array(OL_MEM_STORE, (void **)&it->v, &it->cap, it->n + 1, sizeof *it->v) != OL_OK) return OL_NOMEM;
    ol_store_match_hit_t *h = &it->v[it->n++];
    memcpy(h->trace_id, trace_id, 16);
    h->start_ns = start_ns;
    h->end_ns = end_ns;
    return OL_OK;
}

static int ol_store_match_one(void *ud, size_t i)
{
    ol_store_match_job_t *job = ud;
    ol_store_match_item_t *it = &job->items[i];
    const ol_part_t *p = job->parts[it->part]->p;
    const ol_part_granule_info_t *gi = ol_part_granule(p, it->g);
    ol_part_span_filter_t pf = *job->pf;
    /* A granule inside the window (its range covers starts and ends) holds
     * only fragments that overlap it: their ends are not needed. */
    pf.start_only = it->start_only = gi->min_time_ns >= job->start_ns && gi->max_time_ns < job->end_ns;
    it->rc = ol_part_spans_match(p, it->g, &pf, ol_store_match_keep, it, &it->err);
    return it->rc == OL_NOMEM ? OL_NOMEM : OL_OK; /* damage is reported in order by the caller */
}

int ol_store_search_traces(ol_store_t *s, uint64_t start_ns, uint64_t end_ns, const ol_store_span_filter_t *f,
                           ol_store_trace_fn fn, ol_store_hit_fn hit, void *ud)
{
    ol_store_part_t **parts;
    size_t n_parts;
    int rc = ol_store_scan_heads(s, start_ns, end_ns, f->service, fn, ud, &parts, &n_parts);
    ol_part_span_filter_t pf = {.service = f->service, .name = f->name, .status = f->status,
                                .min_duration_ns = f->min_duration_ns, .max_duration_ns = f->max_duration_ns,
                                .attr_keys = f->attr_keys, .attr_values = f->attr_values, .n_attrs = f->n_attrs};
    ol_store_match_item_t items[OL_STORE_MATCH_CHUNK];
    ol_store_match_job_t job = {.parts = parts, .items = items, .pf = &pf, .start_ns = start_ns, .end_ns = end_ns};
    /* Newest parts first; a damaged part is reported once and skipped. */
    size_t pi = n_parts, broken = SIZE_MAX;
    uint32_t g = 0;
    while (rc == OL_OK) {
        size_t n = 0;
        while (n < OL_STORE_MATCH_CHUNK && pi > 0) {
            const ol_store_part_t *sp = parts[pi - 1];
            if (!sp || g >= ol_part_info(sp->p)->granules) {
                pi--;
                g = 0;
                continue;
            }
            const ol_part_granule_info_t *gi = ol_part_granule(sp->p, g);
            if (!(gi->max_time_ns < start_ns || gi->min_time_ns >= end_ns))
                items[n++] = (ol_store_match_item_t){.part = pi - 1, .g = g};
            g++;
        }
        if (!n) break;
        rc = ol_par_for(n, s->opt.query_threads, ol_store_match_one, &job);
        for (size_t i = 0; i < n; i++) {
            ol_store_match_item_t *it = &items[i];
            if (rc == OL_OK && it->part != broken) {
                if (it->rc == OL_CORRUPT || it->rc == OL_ERR) {
                    ol_store_part_read_error(parts[it->part], it->rc, &it->err);
                    broken = it->part;
                } else if (it->rc != OL_OK) {
                    rc = it->rc;
                }
                for (size_t k = 0; k < it->n && rc == OL_OK && it->part != broken; k++) {
                    const ol_store_match_hit_t *h = &it->v[k];
                    if (!it->start_only && (h->start_ns >= end_ns || h->end_ns < start_ns)) continue;
                    rc = hit(ud, h->trace_id, h->start_ns, h->end_ns);
                }
            }
            ol_free(OL_MEM_STORE, it->v, it->cap * sizeof *it->v);
        }
    }
    ol_store_parts_release(s, parts, n_parts);
    return ol_store_scan_rc(rc);
}

int ol_store_scan_logs(ol_store_t *s, uint64_t start_ns, uint64_t end_ns, ol_store_log_fn fn, void *ud)
{
    int rc = OL_OK;
    pthread_rwlock_rdlock(&s->lock);
    start_ns = OL_MAX(start_ns, s->retention_floor_ns[OL_SIGNAL_LOGS]);
    const ol_ix_log_t *logs = s->rec.logs;
    size_t lo = 0, hi = s->rec.n_logs;
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
    for (size_t i = 0; i < s->rec.n_metrics && rc == OL_OK; i++) {
        const ol_ix_metric_t *m = s->rec.metric_list[i];
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
    start_ns = OL_MAX(start_ns, s->retention_floor_ns[OL_SIGNAL_METRICS]);
    const ol_ix_metric_t *m = ol_ix_map_get(&s->rec.metrics, name);
    int rc = m ? OL_OK : OL_NOTFOUND;
    for (size_t i = 0; m && i < m->n && rc == OL_OK; i++) {
        const ol_otlp_metric_t *it = m->items[i];
        if (!it->n_points || it->max_time_ns < start_ns || it->min_time_ns >= end_ns) continue;
        rc = fn(ud, it);
    }
    pthread_rwlock_unlock(&s->lock);
    return ol_store_scan_rc(rc);
}

/* Services of the heads and the parts, merged. */
typedef struct ol_store_svc {
    ol_slice_t name;
    ol_ix_map_t ops_set;
    ol_slice_t *ops;
    size_t n_ops, cap_ops;
} ol_store_svc_t;

typedef struct ol_store_svcs {
    ol_ix_map_t by_name;
    ol_store_svc_t **list;
    size_t n, cap;
} ol_store_svcs_t;

static int ol_store_svcs_add(void *ud, ol_slice_t service, ol_slice_t op)
{
    ol_store_svcs_t *ss = ud;
    ol_store_svc_t *svc = ol_ix_map_get(&ss->by_name, service);
    if (!svc) {
        svc = ol_calloc(OL_MEM_STORE, 1, sizeof *svc);
        if (!svc) return OL_NOMEM;
        svc->name = service;
        if (ol_grow_array(OL_MEM_STORE, (void **)&ss->list, &ss->cap, ss->n + 1, sizeof *ss->list) != OL_OK ||
            ol_ix_map_put(&ss->by_name, service, svc) != OL_OK) {
            ol_free(OL_MEM_STORE, svc, sizeof *svc);
            return OL_NOMEM;
        }
        ss->list[ss->n++] = svc;
    }
    if (!op.len && !op.ptr) return OL_OK;
    if (ol_ix_map_get(&svc->ops_set, op)) return OL_OK;
    if (ol_grow_array(OL_MEM_STORE, (void **)&svc->ops, &svc->cap_ops, svc->n_ops + 1, sizeof *svc->ops) != OL_OK)
        return OL_NOMEM;
    svc->ops[svc->n_ops++] = op;
    return ol_ix_map_put(&svc->ops_set, op, svc);
}

int ol_store_scan_services(ol_store_t *s, ol_store_service_fn fn, void *ud)
{
    int rc = OL_OK;
    ol_store_svcs_t ss = {0};
    ol_store_part_t **parts = NULL;
    size_t n_parts = 0;
    ol_head_t *heads[2] = {0};
    pthread_rwlock_rdlock(&s->lock);
    ol_head_t *hs[2] = {s->frozen, s->head};
    for (int h = 0; h < 2 && rc == OL_OK; h++) {
        if (!hs[h]) continue;
        ol_head_ref(hs[h]);
        heads[h] = hs[h];
        for (size_t i = 0; i < hs[h]->ix.n_services && rc == OL_OK; i++) {
            const ol_ix_service_t *svc = hs[h]->ix.service_list[i];
            rc = ol_store_svcs_add(&ss, svc->name, ol_slice(NULL, 0));
            for (size_t k = 0; k < svc->n_ops && rc == OL_OK; k++) rc = ol_store_svcs_add(&ss, svc->name, svc->ops[k]);
        }
    }
    if (rc == OL_OK) rc = ol_store_parts_snapshot(s, OL_SIGNAL_TRACES, 0, UINT64_MAX, &parts, &n_parts);
    pthread_rwlock_unlock(&s->lock);
    for (size_t i = 0; i < n_parts && rc == OL_OK; i++) {
        ol_err_t err = {{0}};
        int prc = ol_part_spans_services(parts[i]->p, ol_store_svcs_add, &ss, &err);
        if (prc == OL_NOMEM) rc = prc;
        else if (prc != OL_OK) ol_store_part_read_error(parts[i], prc, &err);
    }
    for (size_t i = 0; i < ss.n && rc == OL_OK; i++) rc = fn(ud, ss.list[i]->name, ss.list[i]->ops, ss.list[i]->n_ops);
    for (size_t i = 0; i < ss.n; i++) {
        ol_ix_map_free(&ss.list[i]->ops_set);
        ol_free(OL_MEM_STORE, ss.list[i]->ops, ss.list[i]->cap_ops * sizeof *ss.list[i]->ops);
        ol_free(OL_MEM_STORE, ss.list[i], sizeof *ss.list[i]);
    }
    ol_free(OL_MEM_STORE, ss.list, ss.cap * sizeof *ss.list);
    ol_ix_map_free(&ss.by_name);
    ol_store_parts_release(s, parts, n_parts);
    ol_head_unref(heads[0]);
    ol_head_unref(heads[1]);
    return ol_store_scan_rc(rc);
}
