/*
 * flush.c - the head into parts (docs/format/manifest.md, "Flush").
 *
 * 1. Freeze (append lock, brief): seal the WAL segment, so every record of
 *    the head lies in segments <= S, swap in an empty head, and note the
 *    last log/metric chunk. Appends go on into the new head and segment.
 * 2. Write (no store lock): the frozen spans, grouped by partition, into
 *    traces parts; the log records and metrics added since the previous
 *    flush into logs and metrics parts. Each file is written as .tmp,
 *    fsynced and renamed, then its partition's manifest is replaced.
 * 3. Checkpoint S, publish the parts and drop the frozen head in one step
 *    under the write lock, and delete the WAL segments <= S.
 * A failure in step 2 undoes what it listed and keeps the frozen head, which
 * stays readable and is written again by the next attempt.
 *
 * Tail sampling: with a trace filter set (ol_store_set_trace_filter), step 2
 * asks it once per trace of the frozen head and leaves out the spans of the
 * traces it refuses; they are counted (stats.sampled_out_spans) only when the
 * flush succeeds, so a retried flush asks again and counts once. Until then
 * the WAL and the frozen head hold every acknowledged span.
 *
 * Partitions: a trace goes to the UTC day of its first span's start, a log
 * record to its time's day, a metric to its last point's day. Rows whose day
 * lies in the future (beyond tomorrow) or before the retention horizon, and
 * days that would get fewer than OL_FLUSH_MIN_ROWS rows, go to the flush's
 * main partition (the day with most rows) instead, so late or skewed
 * timestamps cannot scatter a flush into many tiny parts; reads prune by the
 * parts' own time ranges, which stay exact.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/util.h"
#include "store/col/part.h"
#include "store/col/records.h"
#include "store/embedded/embedded.h"

#define OL_FLUSH_MIN_ROWS 1024u
#define OL_FLUSH_MAX_GROUPS 64u

typedef struct ol_flush_group {
    uint32_t day;
    const void **items;
    size_t n, cap;
} ol_flush_group_t;

typedef struct ol_flush_new {
    ol_store_partition_t *pt;
    ol_part_entry_t e;
    char path[4096];
    bool listed;
} ol_flush_new_t;

typedef struct ol_flush {
    ol_store_t *s;
    uint64_t sealed;
    uint32_t today;
    uint64_t sampled_out; /* spans the trace filter refused */
    ol_flush_new_t *parts;
    size_t n_parts, cap_parts;
} ol_flush_t;

static uint32_t ol_flush_day(const ol_store_t *s, ol_signal_t sig, uint32_t today, uint64_t t_ns)
{
    uint32_t day = ol_catalog_day_of_ns(t_ns);
    if (day > today + 1) return today;
    uint64_t keep = s->opt.retention_ns[sig];
    if (keep && (uint64_t)(today - OL_MIN(day, today)) * OL_CATALOG_DAY_NS > keep + OL_CATALOG_DAY_NS) return today;
    return day;
}

static ol_flush_group_t *ol_flush_group(ol_flush_group_t *g, size_t *n, uint32_t day)
{
    for (size_t i = 0; i < *n; i++)
        if (g[i].day == day) return &g[i];
    if (*n == OL_FLUSH_MAX_GROUPS) return NULL;
    g[*n] = (ol_flush_group_t){.day = day};
    return &g[(*n)++];
}

static int ol_flush_push(ol_flush_group_t *g, const void *item)
{
    if (ol_grow_array(OL_MEM_STORE, (void **)&g->items, &g->cap, g->n + 1, sizeof *g->items) != OL_OK) return OL_NOMEM;
    g->items[g->n++] = item;
    return OL_OK;
}

/* Folds groups too small to deserve their own part into the largest. */
static int ol_flush_fold(ol_flush_group_t *g, size_t *n)
{
    if (*n < 2) return OL_OK;
    size_t main = 0;
    for (size_t i = 1; i < *n; i++)
        if (g[i].n > g[main].n) main = i;
    uint32_t main_day = g[main].day;
    for (size_t i = 0; i < *n;) {
        if (g[i].day == main_day || g[i].n >= OL_FLUSH_MIN_ROWS) {
            i++;
            continue;
        }
        size_t m = 0;
        while (g[m].day != main_day) m++;
        for (size_t k = 0; k < g[i].n; k++)
            if (ol_flush_push(&g[m], g[i].items[k]) != OL_OK) return OL_NOMEM;
        ol_free(OL_MEM_STORE, g[i].items, g[i].cap * sizeof *g[i].items);
        g[i] = g[--*n];
    }
    return OL_OK;
}

static void ol_flush_groups_free(ol_flush_group_t *g, size_t n)
{
    for (size_t i = 0; i < n; i++) ol_free(OL_MEM_STORE, g[i].items, g[i].cap * sizeof *g[i].items);
}

/* Writes one group as a part and lists it in its partition's manifest. */
static int ol_flush_write(ol_flush_t *f, ol_signal_t sig, const ol_flush_group_t *g)
{
    ol_store_t *s = f->s;
    ol_err_t err = {{0}};
    ol_store_partition_t *pt = ol_store_partition_get(s, sig, g->day, true, &err);
    if (!pt) {
        ol_error("store: flush: cannot create the partition: %s", err.msg);
        return OL_FULL;
    }
    if (ol_grow_array(OL_MEM_STORE, (void **)&f->parts, &f->cap_parts, f->n_parts + 1, sizeof *f->parts) != OL_OK)
        return OL_NOMEM;
    ol_flush_new_t *np = &f->parts[f->n_parts];
    memset(np, 0, sizeof *np);
    np->pt = pt;
    uint64_t id = ol_store_new_part_id(s);
    char tmp[4200];
    if (ol_catalog_part_path(pt->dir, id, np->path, sizeof np->path) != OL_OK) return OL_LIMIT;
    snprintf(tmp, sizeof tmp, "%s.tmp", np->path);
    ol_part_info_t info;
    int rc;
    if (sig == OL_SIGNAL_TRACES)
        rc = ol_part_write_spans(s->io, tmp, id, f->sealed, (const ol_otlp_span_t *const *)g->items, g->n, &info, &err);
    else if (sig == OL_SIGNAL_LOGS)
        rc = ol_part_write_logs(s->io, tmp, id, f->sealed, (const ol_otlp_log_t *const *)g->items, g->n, &info, &err);
    else
        rc = ol_part_write_metrics(s->io, tmp, id, f->sealed, (const ol_otlp_metric_t *const *)g->items, g->n, &info,
                                   &err);
    if (rc != OL_OK) {
        ol_error("store: flush: %s", err.msg);
        return rc;
    }
    if (ol_io_rename(s->io, tmp, np->path) != 0) {
        ol_error("store: flush: cannot rename %s: %s", tmp, strerror(errno));
        ol_io_unlink(s->io, tmp);
        return OL_FULL;
    }
    f->n_parts++;
    np->e = (ol_part_entry_t){.id = id, .level = 0, .rows = info.rows, .bytes = info.bytes,
                              .min_ns = info.min_time_ns, .max_ns = info.max_time_ns, .wal_segment = f->sealed,
                              .footer_crc = info.footer_crc};
    rc = ol_manifest_add(&pt->m, &np->e);
    if (rc != OL_OK) return rc;
    np->listed = true;
    return OL_OK;
}

/* Splits items by partition and writes one part per partition. */
static int ol_flush_signal(ol_flush_t *f, ol_signal_t sig, ol_flush_group_t *g, size_t n_g)
{
    int rc = ol_flush_fold(g, &n_g);
    for (size_t i = 0; i < n_g && rc == OL_OK; i++)
        if (g[i].n) rc = ol_flush_write(f, sig, &g[i]);
    ol_flush_groups_free(g, n_g);
    return rc;
}

static int ol_flush_spans(ol_flush_t *f, const ol_head_t *h)
{
    ol_flush_group_t g[OL_FLUSH_MAX_GROUPS];
    size_t n_g = 0;
    int rc = OL_OK;
    ol_store_keep_fn keep = f->s->keep; /* cat_mu is held */
    void *keep_ud = f->s->keep_ud;
    for (size_t i = 0; i < h->ix.n_traces && rc == OL_OK; i++) {
        const ol_ix_trace_t *t = h->ix.trace_list[i];
        if (keep && !keep(keep_ud, t->id)) {
            f->sampled_out += t->n;
            continue;
        }
        ol_flush_group_t *gr = ol_flush_group(g, &n_g, ol_flush_day(f->s, OL_SIGNAL_TRACES, f->today, t->start_ns));
        if (!gr) gr = ol_flush_group(g, &n_g, f->today);
        for (size_t k = 0; k < t->n && rc == OL_OK && gr; k++) rc = ol_flush_push(gr, t->spans[k]);
        if (!gr) rc = OL_LIMIT;
    }
    if (rc != OL_OK) {
        ol_flush_groups_free(g, n_g);
        return rc;
    }
    return ol_flush_signal(f, OL_SIGNAL_TRACES, g, n_g);
}

/* The log records or metrics of the chunks after `from` up to `upto`. */
static int ol_flush_records(ol_flush_t *f, ol_signal_t sig, ol_ix_chunk_t *from, ol_ix_chunk_t *upto,
                            ol_ix_chunk_t *first)
{
    if (upto == from) return OL_OK;
    ol_flush_group_t g[OL_FLUSH_MAX_GROUPS];
    size_t n_g = 0;
    int rc = OL_OK;
    for (ol_ix_chunk_t *c = from ? from->next : first; c && rc == OL_OK; c = c == upto ? NULL : c->next) {
        if (c->batch.signal != sig) continue;
        if (sig == OL_SIGNAL_LOGS) {
            for (size_t i = 0; i < c->batch.n_logs && rc == OL_OK; i++) {
                const ol_otlp_log_t *l = &c->batch.logs[i];
                uint64_t t = l->time_ns ? l->time_ns : l->observed_ns;
                ol_flush_group_t *gr = ol_flush_group(g, &n_g, ol_flush_day(f->s, sig, f->today, t));
                if (!gr) gr = ol_flush_group(g, &n_g, f->today);
                rc = gr ? ol_flush_push(gr, l) : OL_LIMIT;
            }
        } else {
            for (size_t i = 0; i < c->batch.n_metrics && rc == OL_OK; i++) {
                const ol_otlp_metric_t *m = &c->batch.metrics[i];
                if (!m->valid || !m->name.len) continue;
                ol_flush_group_t *gr = ol_flush_group(g, &n_g, ol_flush_day(f->s, sig, f->today, m->max_time_ns));
                if (!gr) gr = ol_flush_group(g, &n_g, f->today);
                rc = gr ? ol_flush_push(gr, m) : OL_LIMIT;
            }
        }
    }
    if (rc != OL_OK) {
        ol_flush_groups_free(g, n_g);
        return rc;
    }
    return ol_flush_signal(f, sig, g, n_g);
}

/* Takes the new parts out of their manifests again and deletes them. */
static void ol_flush_undo(ol_flush_t *f)
{
    ol_err_t err = {{0}};
    for (size_t i = 0; i < f->n_parts; i++) {
        ol_flush_new_t *np = &f->parts[i];
        if (np->listed) {
            ol_manifest_remove(&np->pt->m, np->e.id);
            if (ol_manifest_store(f->s->io, np->pt->dir, &np->pt->m, &err) != OL_OK)
                ol_warn("store: flush undo: %s (the part is dropped at the next start)", err.msg);
        }
        ol_io_unlink(f->s->io, np->path);
    }
}

bool ol_store_flush_due(ol_store_t *s)
{
    const ol_head_t *h = s->head;
    uint64_t bytes = h->bytes + s->rec_bytes;
    if (bytes >= s->opt.flush_bytes) return true;
    uint64_t first = h->first_mono_ns;
    if (!first || (s->rec_first_mono_ns && s->rec_first_mono_ns < first)) first = s->rec_first_mono_ns;
    return first && ol_mono_ns() - first >= s->opt.flush_age_ms * 1000000u;
}

static bool ol_store_flush_empty(const ol_store_t *s)
{
    return s->head->ix.n_traces == 0 && s->rec.last_chunk == s->rec_flushed;
}

int ol_store_flush(ol_store_t *s, bool force)
{
    pthread_mutex_lock(&s->cat_mu);
    if (!s->frozen) {
        pthread_mutex_lock(&s->append_mu);
        /* Records written but still in a group commit belong to this head. */
        s->freezing = true;
        while (s->inflight) pthread_cond_wait(&s->inflight_cv, &s->append_mu);
        s->freezing = false;
        pthread_cond_broadcast(&s->inflight_cv);
        if ((!force && !ol_store_flush_due(s)) || ol_store_flush_empty(s)) {
            pthread_mutex_unlock(&s->append_mu);
            pthread_mutex_unlock(&s->cat_mu);
            return OL_OK;
        }
        uint64_t sealed;
        ol_head_t *fresh = ol_head_new();
        int rc = fresh ? ol_wal_seal(s->wal, &sealed) : OL_NOMEM;
        if (rc != OL_OK) {
            pthread_mutex_unlock(&s->append_mu);
            pthread_mutex_unlock(&s->cat_mu);
            ol_head_unref(fresh);
            ol_error("store: flush: cannot seal the WAL segment (%s)", ol_rc_str(rc));
            return rc;
        }
        pthread_rwlock_wrlock(&s->lock);
        s->frozen = s->head;
        s->frozen->last_segment = sealed;
        s->head = fresh;
        s->rec_upto = s->rec.last_chunk;
        s->rec_bytes = 0;
        s->rec_first_mono_ns = 0;
        pthread_rwlock_unlock(&s->lock);
        pthread_mutex_unlock(&s->append_mu);
        pthread_mutex_lock(&s->bg_mu);
        pthread_cond_broadcast(&s->room_cv);
        pthread_mutex_unlock(&s->bg_mu);
    }
    uint64_t t0 = ol_mono_ns();
    ol_head_t *h = s->frozen;
    ol_flush_t f = {.s = s, .sealed = h->last_segment, .today = ol_catalog_day_of_ns(ol_now_ns())};
    int rc = ol_flush_spans(&f, h);
    if (rc == OL_OK) rc = ol_flush_records(&f, OL_SIGNAL_LOGS, s->rec_flushed, s->rec_upto, s->rec.chunks);
    if (rc == OL_OK) rc = ol_flush_records(&f, OL_SIGNAL_METRICS, s->rec_flushed, s->rec_upto, s->rec.chunks);
    ol_err_t err = {{0}};
    /* Every touched partition's manifest, once. */
    for (size_t i = 0; i < f.n_parts && rc == OL_OK; i++) {
        bool seen = false;
        for (size_t k = 0; k < i; k++) seen |= f.parts[k].pt == f.parts[i].pt;
        if (seen) continue;
        rc = ol_manifest_store(s->io, f.parts[i].pt->dir, &f.parts[i].pt->m, &err);
        if (rc != OL_OK) ol_error("store: flush: %s", err.msg);
    }
    ol_store_part_t **opened = NULL;
    if (rc == OL_OK && f.n_parts) {
        opened = ol_calloc(OL_MEM_STORE, f.n_parts, sizeof *opened);
        if (!opened) rc = OL_NOMEM;
        for (size_t i = 0; i < f.n_parts && rc == OL_OK; i++) {
            opened[i] = ol_store_part_load(s, f.parts[i].pt, &f.parts[i].e);
            if (!opened[i]) rc = OL_CORRUPT;
        }
    }
    if (rc != OL_OK) {
        for (size_t i = 0; opened && i < f.n_parts; i++) ol_store_part_unref(s, opened[i]);
        ol_flush_undo(&f);
        ol_free(OL_MEM_STORE, opened, f.n_parts * sizeof *opened);
        ol_free(OL_MEM_STORE, f.parts, f.cap_parts * sizeof *f.parts);
        atomic_fetch_add(&s->flush_errors, 1);
        pthread_mutex_unlock(&s->cat_mu);
        return rc;
    }
    bool ckpt_ok = true;
    if (f.sealed > s->ckpt.wal_segment) {
        ol_checkpoint_t c = s->ckpt;
        if (ol_checkpoint_store(s->io, s->dir, &c, f.sealed, &err) != OL_OK) {
            ol_warn("store: flush: %s; the WAL is kept until a later checkpoint succeeds", err.msg);
            ckpt_ok = false;
        }
        s->ckpt = c;
    }
    uint64_t rows = 0, bytes = 0;
    pthread_rwlock_wrlock(&s->lock);
    for (size_t i = 0; i < f.n_parts; i++) {
        if (ol_store_parts_add(s, opened[i]) != OL_OK) {
            /* Listed and durable: it is served after the next start. */
            ol_error("store: out of memory publishing part %s", f.parts[i].path);
            ol_store_part_unref(s, opened[i]);
            continue;
        }
        rows += f.parts[i].e.rows;
        bytes += f.parts[i].e.bytes;
    }
    s->frozen = NULL;
    s->rec_flushed = s->rec_upto;
    pthread_rwlock_unlock(&s->lock);
    ol_head_unref(h);
    if (ckpt_ok) {
        pthread_mutex_lock(&s->append_mu);
        ol_wal_drop_through(s->wal, f.sealed);
        pthread_mutex_unlock(&s->append_mu);
    }
    atomic_fetch_add(&s->flushes, 1);
    if (f.sampled_out) atomic_fetch_add(&s->sampled_out_spans, f.sampled_out);
    ol_debug("store: flushed %" PRIu64 " rows into %zu parts (%" PRIu64 " bytes) in %" PRIu64 " ms, WAL through "
             "segment %016" PRIx64 ", %" PRIu64 " spans sampled out",
             rows, f.n_parts, bytes, (ol_mono_ns() - t0) / 1000000u, f.sealed, f.sampled_out);
    ol_free(OL_MEM_STORE, opened, (f.n_parts ? f.n_parts : 1) * sizeof *opened);
    ol_free(OL_MEM_STORE, f.parts, f.cap_parts * sizeof *f.parts);
    pthread_mutex_unlock(&s->cat_mu);
    pthread_mutex_lock(&s->bg_mu);
    pthread_cond_broadcast(&s->bg_cv);
    pthread_cond_broadcast(&s->room_cv);
    pthread_mutex_unlock(&s->bg_mu);
    return OL_OK;
}
