/*
 * maint.c - the store's background work: flushes, merges and retention on
 * a bounded pool of threads (options.threads).
 *
 * Merges (docs/format/manifest.md, "Merge"): in a partition, once
 * merge_min_parts parts of one level below OL_MERGE_SMALL_BYTES are trusted
 * (covered by the checkpoint) and idle, up to OL_MERGE_MAX_INPUTS of the
 * oldest of them are merged into one part of the next level (the lowest
 * such level first). With two or more threads, merges run on all but one,
 * so a flush always finds a thread. Traces merge granule by granule
 * (ol_part_merge_spans, bounded memory); logs and metrics rebuild their rows
 * from the inputs' payloads, so their merges are capped by input size. The
 * catalog lock is held only to pick inputs and to swap the manifest, never
 * while the merged part is written, so flushes go on meanwhile.
 *
 * Retention drops whole partitions: those whose day ended more than the
 * signal's retention ago, then the oldest while the signal's parts exceed
 * its byte limit (never the newest partition). Readers that still hold a
 * dropped part keep reading it; the file goes with the last reference.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/util.h"
#include "store/col/part.h"
#include "store/col/records.h"
#include "store/embedded/embedded.h"

#define OL_MERGE_SMALL_BYTES (512ull << 20)
#define OL_MERGE_MAX_INPUTS 8u
#define OL_MERGE_RECORD_MAX_INPUT (128ull << 20)
#define OL_RETENTION_PERIOD_NS (10ull * 1000000000ull)
#define OL_FLUSH_BACKOFF_NS (1000ull * 1000000ull)

/* Level, then age (part id). */
static int ol_merge_level_cmp(const void *a, const void *b)
{
    const ol_store_part_t *x = *(ol_store_part_t *const *)a, *y = *(ol_store_part_t *const *)b;
    if (x->level != y->level) return x->level < y->level ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

#define OL_MERGE_MAX_CANDIDATES 256u

/* Picks the inputs of one merge (cat_mu held): references in *out. Merges
 * are tiered: only parts of one level merge together, the lowest level that
 * has merge_min_parts candidates first, oldest first, so a row is rewritten
 * once per level (a few times in its life), not each time small parts join
 * a big one. */
static size_t ol_merge_pick(ol_store_t *s, ol_store_part_t **out)
{
    size_t n_out = 0;
    ol_store_part_t **cand = ol_malloc(OL_MEM_STORE, OL_MERGE_MAX_CANDIDATES * sizeof *cand);
    if (!cand) return 0;
    pthread_rwlock_rdlock(&s->lock);
    for (size_t pi = 0; pi < s->n_partitions && !n_out; pi++) {
        const ol_store_partition_t *pt = s->partitions[pi];
        size_t n = 0;
        uint64_t input = 0;
        for (size_t i = 0; i < s->n_parts && n < OL_MERGE_MAX_CANDIDATES; i++) {
            ol_store_part_t *sp = s->parts[i];
            if (sp->signal != pt->signal || sp->day != pt->day || sp->merging || sp->bytes >= OL_MERGE_SMALL_BYTES ||
                sp->wal_segment > s->ckpt.wal_segment)
                continue;
            cand[n++] = sp;
        }
        qsort(cand, n, sizeof *cand, ol_merge_level_cmp);
        size_t first = 0, run = 0;
        for (size_t i = 0; i < n; i = first + run) {
            first = i;
            for (run = 0; first + run < n && cand[first + run]->level == cand[first]->level; run++) continue;
            if (run >= s->opt.merge_min_parts) break;
        }
        if (run < s->opt.merge_min_parts) continue;
        for (size_t i = first; i < first + run && n_out < OL_MERGE_MAX_INPUTS; i++) {
            if (pt->signal != OL_SIGNAL_TRACES && n_out >= 2 && input + cand[i]->input_bytes > OL_MERGE_RECORD_MAX_INPUT)
                break;
            input += cand[i]->input_bytes;
            out[n_out++] = cand[i];
        }
        if (n_out < 2) {
            n_out = 0;
            continue;
        }
        for (size_t i = 0; i < n_out; i++) {
            out[i]->merging = true;
            OL_STORE_PART_REF(out[i]);
        }
    }
    pthread_rwlock_unlock(&s->lock);
    ol_free(OL_MEM_STORE, cand, OL_MERGE_MAX_CANDIDATES * sizeof *cand);
    return n_out;
}

/* ---- logs and metrics: rows rebuilt from the inputs' payloads ---- */

typedef struct ol_merge_rec {
    ol_signal_t sig;
    ol_ix_chunk_t **chunks;
    size_t n, cap;
    const void **items;
    size_t n_items, cap_items;
} ol_merge_rec_t;

static int ol_merge_rec_payload(void *ud, ol_slice_t payload, uint64_t min_ns, uint64_t max_ns)
{
    ol_merge_rec_t *m = ud;
    (void)min_ns;
    ol_ix_chunk_t *c;
    ol_err_t err = {{0}};
    int rc = ol_ix_chunk_decode_copy(m->sig, payload, max_ns, &c, &err);
    if (rc != OL_OK) return rc == OL_NOMEM ? OL_NOMEM : OL_CORRUPT;
    if (ol_grow_array(OL_MEM_STORE, (void **)&m->chunks, &m->cap, m->n + 1, sizeof *m->chunks) != OL_OK) {
        ol_ix_chunk_free(c);
        return OL_NOMEM;
    }
    m->chunks[m->n++] = c;
    size_t k = m->sig == OL_SIGNAL_LOGS ? c->batch.n_logs : c->batch.n_metrics;
    if (ol_grow_array(OL_MEM_STORE, (void **)&m->items, &m->cap_items, m->n_items + k + 1, sizeof *m->items) != OL_OK)
        return OL_NOMEM;
    for (size_t i = 0; i < k; i++)
        m->items[m->n_items++] = m->sig == OL_SIGNAL_LOGS ? (const void *)&c->batch.logs[i] : (const void *)&c->batch.metrics[i];
    return OL_OK;
}

static int ol_merge_records(ol_store_t *s, const char *path, uint64_t id, uint64_t wal_segment, ol_store_part_t **in,
                            size_t n_in, ol_part_info_t *info, ol_err_t *err)
{
    ol_merge_rec_t m = {.sig = in[0]->signal};
    int rc = OL_OK;
    for (size_t i = 0; i < n_in && rc == OL_OK; i++) {
        rc = ol_part_read_payloads(in[i]->p, 0, UINT64_MAX, ol_merge_rec_payload, &m, err);
        if (rc == OL_CORRUPT && !err->msg[0]) ol_err_set(err, "part %s does not decode", ol_part_path(in[i]->p));
    }
    if (rc == OL_OK) {
        if (m.sig == OL_SIGNAL_LOGS)
            rc = ol_part_write_logs(s->io, path, id, wal_segment, (const ol_otlp_log_t *const *)m.items, m.n_items, info,
                                    err);
        else
            rc = ol_part_write_metrics(s->io, path, id, wal_segment, (const ol_otlp_metric_t *const *)m.items,
                                       m.n_items, info, err);
    }
    for (size_t i = 0; i < m.n; i++) ol_ix_chunk_free(m.chunks[i]);
    ol_free(OL_MEM_STORE, m.chunks, m.cap * sizeof *m.chunks);
    ol_free(OL_MEM_STORE, m.items, m.cap_items * sizeof *m.items);
    return rc;
}

/* ---- one merge ---- */

static void ol_merge_release(ol_store_t *s, ol_store_part_t **in, size_t n)
{
    pthread_mutex_lock(&s->cat_mu);
    for (size_t i = 0; i < n; i++) in[i]->merging = false;
    pthread_mutex_unlock(&s->cat_mu);
    for (size_t i = 0; i < n; i++) ol_store_part_unref(s, in[i]);
}

int ol_store_merge_once(ol_store_t *s)
{
    ol_store_part_t *in[OL_MERGE_MAX_INPUTS];
    pthread_mutex_lock(&s->cat_mu);
    size_t n = ol_merge_pick(s, in);
    if (!n) {
        pthread_mutex_unlock(&s->cat_mu);
        return OL_NOTFOUND;
    }
    ol_err_t err = {{0}};
    ol_store_partition_t *pt = ol_store_partition_get(s, in[0]->signal, in[0]->day, false, &err);
    uint64_t id = ol_store_new_part_id(s);
    char path[4096], tmp[4200];
    int rc = pt && ol_catalog_part_path(pt->dir, id, path, sizeof path) == OL_OK ? OL_OK : OL_ERR;
    pthread_mutex_unlock(&s->cat_mu);
    if (rc != OL_OK) {
        ol_merge_release(s, in, n);
        return rc;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    uint64_t t0 = ol_mono_ns(), wal_segment = 0, rows_in = 0;
    uint32_t level = 0;
    for (size_t i = 0; i < n; i++) {
        wal_segment = OL_MAX(wal_segment, in[i]->wal_segment);
        level = OL_MAX(level, in[i]->level);
        rows_in += in[i]->rows;
    }
    ol_part_info_t info;
    if (in[0]->signal == OL_SIGNAL_TRACES) {
        ol_part_t *parts[OL_MERGE_MAX_INPUTS];
        for (size_t i = 0; i < n; i++) parts[i] = in[i]->p;
        rc = ol_part_merge_spans(s->io, tmp, id, wal_segment, parts, n, &info, &err);
    } else {
        rc = ol_merge_records(s, tmp, id, wal_segment, in, n, &info, &err);
    }
    if (rc == OL_OK && ol_io_rename(s->io, tmp, path) != 0) {
        ol_err_set(&err, "cannot rename %s: %s", tmp, strerror(errno));
        ol_io_unlink(s->io, tmp);
        rc = OL_FULL;
    }
    if (rc != OL_OK) {
        ol_error("store: merge of %zu parts in %s failed (%s): %s", n, pt->dir, ol_rc_str(rc), err.msg);
        atomic_fetch_add(&s->merge_errors, 1);
        ol_merge_release(s, in, n);
        return rc;
    }
    ol_part_entry_t e = {.id = id, .level = level + 1, .rows = info.rows, .bytes = info.bytes,
                         .min_ns = info.min_time_ns, .max_ns = info.max_time_ns, .wal_segment = wal_segment,
                         .footer_crc = info.footer_crc};
    uint64_t old_ids[OL_MERGE_MAX_INPUTS];
    for (size_t i = 0; i < n; i++) old_ids[i] = in[i]->id;

    pthread_mutex_lock(&s->cat_mu);
    pt = ol_store_partition_get(s, in[0]->signal, in[0]->day, false, &err);
    ol_manifest_t before = {0};
    rc = pt ? ol_manifest_copy(&before, &pt->m) : OL_NOTFOUND;
    if (rc == OL_OK) rc = ol_manifest_replace_parts(&pt->m, old_ids, n, &e);
    if (rc == OL_OK && (rc = ol_manifest_store(s->io, pt->dir, &pt->m, &err)) != OL_OK) {
        ol_error("store: merge: %s", err.msg);
        uint64_t gen = pt->m.generation; /* may be on disk: never reused */
        ol_manifest_free(&pt->m);
        pt->m = before;
        pt->m.generation = gen;
        before = (ol_manifest_t){0};
    }
    ol_manifest_free(&before);
    ol_store_part_t *out = rc == OL_OK ? ol_store_part_load(s, pt, &e) : NULL;
    if (rc != OL_OK || !out) {
        pthread_mutex_unlock(&s->cat_mu);
        if (rc == OL_NOTFOUND) ol_info("store: merge result dropped: its partition was dropped meanwhile");
        if (rc != OL_OK) ol_io_unlink(s->io, path);
        atomic_fetch_add(&s->merge_errors, rc == OL_NOTFOUND ? 0 : 1);
        ol_merge_release(s, in, n);
        return rc == OL_OK ? OL_CORRUPT : rc;
    }
    out->level = e.level;
    pthread_rwlock_wrlock(&s->lock);
    int add_rc = ol_store_parts_add(s, out);
    for (size_t i = 0; i < n && add_rc == OL_OK; i++) {
        ol_store_parts_remove(s, in[i]);
        atomic_store(&in[i]->doomed, true);
    }
    pthread_rwlock_unlock(&s->lock);
    for (size_t i = 0; i < n; i++) in[i]->merging = false;
    pthread_mutex_unlock(&s->cat_mu);
    if (add_rc != OL_OK) {
        /* The manifest lists the merged part: it and not the inputs are served after a restart. */
        ol_error("store: out of memory publishing merged part %s", path);
        ol_store_part_unref(s, out);
        for (size_t i = 0; i < n; i++) ol_store_part_unref(s, in[i]);
        return OL_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        ol_store_part_unref(s, in[i]); /* the list's reference */
        ol_store_part_unref(s, in[i]); /* ours */
    }
    atomic_fetch_add(&s->merges, 1);
    ol_debug("store: merged %zu parts (%" PRIu64 " rows) into %016" PRIx64 " (%" PRIu64 " rows, %" PRIu64
             " bytes, level %u) in %" PRIu64 " ms",
             n, rows_in, id, info.rows, info.bytes, e.level, (ol_mono_ns() - t0) / 1000000u);
    return OL_OK;
}

/* ---- retention ---- */

static void ol_retention_drop(ol_store_t *s, size_t pi, const char *why)
{
    ol_store_partition_t *pt = s->partitions[pi];
    char day[OL_CATALOG_DAY_LEN + 1];
    ol_catalog_day_format(pt->day, day);
    ol_store_part_t **gone = NULL;
    size_t n_gone = 0, cap_gone = 0;
    pthread_rwlock_wrlock(&s->lock);
    for (size_t i = 0; i < s->n_parts;) {
        ol_store_part_t *sp = s->parts[i];
        if (sp->signal != pt->signal || sp->day != pt->day) {
            i++;
            continue;
        }
        if (ol_grow_array(OL_MEM_STORE, (void **)&gone, &cap_gone, n_gone + 1, sizeof *gone) != OL_OK) break;
        gone[n_gone++] = sp;
        ol_store_parts_remove(s, sp);
        atomic_store(&sp->doomed, true);
    }
    if (pt->signal != OL_SIGNAL_TRACES) {
        uint64_t end, start;
        ol_catalog_day_range_ns(pt->day, &start, &end);
        if (end > s->retention_floor_ns[pt->signal]) s->retention_floor_ns[pt->signal] = end;
    }
    pthread_rwlock_unlock(&s->lock);
    for (size_t i = 0; i < n_gone; i++) ol_store_part_unref(s, gone[i]);
    ol_free(OL_MEM_STORE, gone, cap_gone * sizeof *gone);
    ol_err_t err = {{0}};
    if (ol_catalog_partition_drop(s->io, s->dir, pt->signal, pt->day, &err) != OL_OK)
        ol_warn("store: retention: dropping %s/%s failed (%s); retried at the next start", ol_signal_name(pt->signal),
                day, err.msg);
    else
        ol_info("store: retention: dropped partition %s/%s (%s)", ol_signal_name(pt->signal), day, why);
    memmove(&s->partitions[pi], &s->partitions[pi + 1], (s->n_partitions - pi - 1) * sizeof *s->partitions);
    s->n_partitions--;
    ol_store_partition_free(pt);
    atomic_fetch_add(&s->dropped_partitions, 1);
}

static bool ol_retention_busy(ol_store_t *s, const ol_store_partition_t *pt)
{
    bool busy = false;
    pthread_rwlock_rdlock(&s->lock);
    for (size_t i = 0; i < s->n_parts && !busy; i++)
        busy = s->parts[i]->signal == pt->signal && s->parts[i]->day == pt->day && s->parts[i]->merging;
    pthread_rwlock_unlock(&s->lock);
    return busy;
}

void ol_store_retention(ol_store_t *s)
{
    pthread_mutex_lock(&s->cat_mu);
    uint64_t now = ol_now_ns();
    for (int sig = 0; sig < 3; sig++) {
        uint64_t keep = s->opt.retention_ns[sig];
        for (size_t i = 0; keep && i < s->n_partitions;) {
            ol_store_partition_t *pt = s->partitions[i];
            uint64_t start, end;
            ol_catalog_day_range_ns(pt->day, &start, &end);
            if ((int)pt->signal == sig && end + keep < now && !ol_retention_busy(s, pt)) {
                ol_retention_drop(s, i, "older than the retention period");
                continue;
            }
            i++;
        }
        uint64_t max = s->opt.max_bytes[sig];
        while (max) {
            uint64_t total = 0;
            size_t oldest = SIZE_MAX, n = 0;
            for (size_t i = 0; i < s->n_partitions; i++) {
                const ol_store_partition_t *pt = s->partitions[i];
                if ((int)pt->signal != sig) continue;
                n++;
                for (size_t k = 0; k < pt->m.n_parts; k++) total += pt->m.parts[k].bytes;
                if (oldest == SIZE_MAX || pt->day < s->partitions[oldest]->day) oldest = i;
            }
            if (total <= max || n < 2 || ol_retention_busy(s, s->partitions[oldest])) break;
            ol_retention_drop(s, oldest, "the signal's parts exceed its size limit");
        }
    }
    pthread_mutex_unlock(&s->cat_mu);
}

/* ---- threads ---- */

static void *ol_store_bg_main(void *arg)
{
    ol_store_t *s = arg;
    uint64_t next_retention = 0;
    pthread_mutex_lock(&s->bg_mu);
    while (!s->stop) {
        uint64_t now = ol_mono_ns();
        bool worked = false;
        if (!s->flushing && now >= s->flush_backoff_until && (s->frozen || ol_store_flush_due(s))) {
            s->flushing = true;
            pthread_mutex_unlock(&s->bg_mu);
            int rc = ol_store_flush(s, false);
            pthread_mutex_lock(&s->bg_mu);
            s->flushing = false;
            if (rc != OL_OK) s->flush_backoff_until = ol_mono_ns() + OL_FLUSH_BACKOFF_NS;
            else worked = true;
            continue;
        }
        /* One thread stays free for flushes: a long merge never holds up the head. */
        bool may_merge = s->merges_running + 1 < OL_MAX(s->opt.threads, 2u);
        if (may_merge) s->merges_running++;
        pthread_mutex_unlock(&s->bg_mu);
        if (now >= next_retention) {
            ol_store_retention(s);
            next_retention = now + OL_RETENTION_PERIOD_NS;
        }
        worked = may_merge && ol_store_merge_once(s) == OL_OK;
        pthread_mutex_lock(&s->bg_mu);
        if (may_merge) s->merges_running--;
        if (worked || s->stop) continue;
        struct timespec ts = ol_mono_deadline_ms(100);
        pthread_cond_timedwait(&s->bg_cv, &s->bg_mu, &ts);
    }
    pthread_mutex_unlock(&s->bg_mu);
    return NULL;
}

int ol_store_bg_start(ol_store_t *s)
{
    s->threads = ol_calloc(OL_MEM_STORE, s->opt.threads, sizeof *s->threads);
    if (!s->threads) return OL_NOMEM;
    for (uint32_t i = 0; i < s->opt.threads; i++) {
        if (pthread_create(&s->threads[i], NULL, ol_store_bg_main, s) != 0) {
            ol_error("store: cannot start a background thread");
            return OL_ERR;
        }
        s->n_threads++;
    }
    return OL_OK;
}

void ol_store_bg_stop(ol_store_t *s)
{
    if (!s->bg_ready) return;
    pthread_mutex_lock(&s->bg_mu);
    s->stop = true;
    pthread_cond_broadcast(&s->bg_cv);
    pthread_cond_broadcast(&s->room_cv);
    pthread_mutex_unlock(&s->bg_mu);
    for (size_t i = 0; i < s->n_threads; i++) pthread_join(s->threads[i], NULL);
    ol_free(OL_MEM_STORE, s->threads, s->opt.threads * sizeof *s->threads);
    s->threads = NULL;
    s->n_threads = 0;
}
