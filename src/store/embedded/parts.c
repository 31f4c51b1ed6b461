/*
 * parts.c - the store's live parts: reference-counted handles over open
 * part files, the partitions' manifests as stored, and start-up (checkpoint,
 * interrupted drops, manifests, sweep, part files) following
 * docs/format/manifest.md, "Start-up".
 *
 * A part handle is shared: the live list holds one reference, every reader
 * that snapshots it another. A merge or a retention drop marks the handle
 * doomed and takes it off the list; the file is closed, and deleted when
 * doomed, with the last reference, so a reader never sees a file vanish.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/util.h"
#include "store/col/part.h"
#include "store/col/records.h"
#include "store/embedded/embedded.h"

void ol_store_part_unref(ol_store_t *s, ol_store_part_t *sp)
{
    (void)s;
    if (!sp || atomic_fetch_sub(&sp->refs, 1) != 1) return;
    if (atomic_load(&sp->doomed)) {
        const char *path = ol_part_path(sp->p);
        if (ol_io_unlink(s->io, path) != 0 && errno != ENOENT)
            ol_warn("store: cannot delete the replaced part %s: %s", path, strerror(errno));
    }
    ol_part_close(sp->p);
    ol_free(OL_MEM_STORE, sp, sizeof *sp);
}

ol_store_part_t *ol_store_part_load(ol_store_t *s, const ol_store_partition_t *pt, const ol_part_entry_t *e)
{
    char path[4096];
    if (ol_catalog_part_path(pt->dir, e->id, path, sizeof path) != OL_OK) return NULL;
    ol_part_t *p;
    ol_err_t err = {{0}};
    int rc = ol_part_open(s->io, path, &p, &err);
    if (rc == OL_OK) {
        const ol_part_info_t *in = ol_part_info(p);
        if (in->signal != pt->signal || in->rows != e->rows || in->footer_crc != e->footer_crc ||
            in->bytes != e->bytes) {
            ol_err_set(&err, "part %s does not match its manifest entry (signal, rows, size or footer CRC)", path);
            ol_part_close(p);
            rc = OL_CORRUPT;
        }
    }
    if (rc != OL_OK) {
        char aside[4200];
        ol_err_t e2 = {{0}};
        if (rc == OL_CORRUPT && ol_catalog_set_aside(s->io, path, aside, sizeof aside, &e2) == OL_OK)
            ol_error("store: %s; set aside as %s, the rest of the store is served", err.msg, aside);
        else
            ol_error("store: cannot open part %s (%s): %s", path, ol_rc_str(rc), err.msg);
        return NULL;
    }
    ol_store_part_t *sp = ol_calloc(OL_MEM_STORE, 1, sizeof *sp);
    if (!sp) {
        ol_part_close(p);
        return NULL;
    }
    const ol_part_info_t *in = ol_part_info(p);
    sp->p = p;
    sp->signal = pt->signal;
    sp->day = pt->day;
    sp->level = e->level;
    sp->id = e->id;
    sp->rows = e->rows;
    sp->bytes = e->bytes;
    sp->input_bytes = in->input_bytes;
    sp->min_ns = e->min_ns;
    sp->max_ns = e->max_ns;
    sp->wal_segment = e->wal_segment;
    atomic_init(&sp->refs, 1);
    atomic_init(&sp->doomed, false);
    return sp;
}

int ol_store_parts_add(ol_store_t *s, ol_store_part_t *sp)
{
    if (ol_grow_array(OL_MEM_STORE, (void **)&s->parts, &s->cap_parts, s->n_parts + 1, sizeof *s->parts) != OL_OK)
        return OL_NOMEM;
    s->parts[s->n_parts++] = sp;
    return OL_OK;
}

void ol_store_parts_remove(ol_store_t *s, ol_store_part_t *sp)
{
    for (size_t i = 0; i < s->n_parts; i++) {
        if (s->parts[i] != sp) continue;
        memmove(&s->parts[i], &s->parts[i + 1], (s->n_parts - i - 1) * sizeof *s->parts);
        s->n_parts--;
        return;
    }
}

int ol_store_parts_snapshot(ol_store_t *s, ol_signal_t sig, uint64_t start_ns, uint64_t end_ns,
                            ol_store_part_t ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t cnt = 0;
    for (size_t i = 0; i < s->n_parts; i++) {
        const ol_store_part_t *sp = s->parts[i];
        if (sp->signal == sig && sp->min_ns <= end_ns && sp->max_ns >= start_ns) cnt++;
    }
    if (!cnt) return OL_OK;
    ol_store_part_t **v = ol_malloc(OL_MEM_STORE, cnt * sizeof *v);
    if (!v) return OL_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < s->n_parts; i++) {
        ol_store_part_t *sp = s->parts[i];
        if (sp->signal != sig || sp->min_ns > end_ns || sp->max_ns < start_ns) continue;
        OL_STORE_PART_REF(sp);
        v[k++] = sp;
    }
    *out = v;
    *n = k;
    return OL_OK;
}

void ol_store_parts_release(ol_store_t *s, ol_store_part_t **v, size_t n)
{
    for (size_t i = 0; i < n; i++) ol_store_part_unref(s, v[i]);
    if (v) ol_free(OL_MEM_STORE, v, n * sizeof *v);
}

/* ---- partitions ---- */

void ol_store_partition_free(ol_store_partition_t *pt)
{
    if (!pt) return;
    ol_manifest_free(&pt->m);
    if (pt->dir) ol_free(OL_MEM_STORE, pt->dir, strlen(pt->dir) + 1);
    ol_free(OL_MEM_STORE, pt, sizeof *pt);
}

static ol_store_partition_t *ol_store_partition_new(ol_signal_t sig, uint32_t day, const char *dir)
{
    ol_store_partition_t *pt = ol_calloc(OL_MEM_STORE, 1, sizeof *pt);
    if (!pt) return NULL;
    pt->signal = sig;
    pt->day = day;
    pt->dir = ol_strndup(OL_MEM_STORE, dir, strlen(dir));
    ol_manifest_init(&pt->m, sig, day);
    if (!pt->dir) {
        ol_store_partition_free(pt);
        return NULL;
    }
    return pt;
}

static int ol_store_partition_insert(ol_store_t *s, ol_store_partition_t *pt)
{
    if (ol_grow_array(OL_MEM_STORE, (void **)&s->partitions, &s->cap_partitions, s->n_partitions + 1,
                      sizeof *s->partitions) != OL_OK)
        return OL_NOMEM;
    s->partitions[s->n_partitions++] = pt;
    return OL_OK;
}

ol_store_partition_t *ol_store_partition_get(ol_store_t *s, ol_signal_t sig, uint32_t day, bool create,
                                             ol_err_t *err)
{
    for (size_t i = 0; i < s->n_partitions; i++)
        if (s->partitions[i]->signal == sig && s->partitions[i]->day == day) return s->partitions[i];
    if (!create) return NULL;
    char dir[4096];
    if (ol_catalog_partition_create(s->io, s->dir, sig, day, dir, sizeof dir, err) != OL_OK) return NULL;
    ol_store_partition_t *pt = ol_store_partition_new(sig, day, dir);
    if (!pt || ol_store_partition_insert(s, pt) != OL_OK) {
        ol_store_partition_free(pt);
        ol_err_set(err, "out of memory");
        return NULL;
    }
    return pt;
}

uint64_t ol_store_new_part_id(ol_store_t *s)
{
    /* Ids also advance with the clock, so a day dropped by retention (its
     * manifest gone) cannot lead to an id being handed out twice. */
    uint64_t t = ol_now_ns() / 1000u;
    if (s->next_part_id < t) s->next_part_id = t;
    return s->next_part_id++;
}

/* ---- start-up ---- */

typedef struct ol_store_sweep_ctx {
    uint64_t *bad;
    size_t n, cap;
    const char *dir;
} ol_store_sweep_ctx_t;

static void ol_store_sweep_problem(void *ud, const ol_part_entry_t *part, ol_catalog_problem_t what, uint64_t size)
{
    ol_store_sweep_ctx_t *c = ud;
    ol_error("store: partition %s lists part %016" PRIx64 " but its file is %s (%" PRIu64 " bytes, %" PRIu64
             " expected): dropped from the manifest",
             c->dir, part->id, what == OL_CATALOG_PART_MISSING ? "missing" : "of the wrong size", size, part->bytes);
    if (ol_grow_array(OL_MEM_STORE, (void **)&c->bad, &c->cap, c->n + 1, sizeof *c->bad) == OL_OK)
        c->bad[c->n++] = part->id;
}

/* Loads one partition: manifest, untrusted parts, sweep, part files. */
static int ol_store_partition_startup(ol_store_t *s, ol_signal_t sig, uint32_t day, uint64_t ckpt)
{
    char dir[4096];
    ol_err_t err = {{0}};
    if (ol_catalog_partition_path(s->dir, sig, day, dir, sizeof dir) != OL_OK) return OL_ERR;
    ol_manifest_t stored;
    int rc = ol_manifest_load(s->io, dir, sig, day, &stored, &err);
    if (rc == OL_CORRUPT) {
        char aside[4200];
        ol_err_t e2 = {{0}};
        if (ol_manifest_set_aside(s->io, dir, ol_now_ns() / 1000000000u, aside, sizeof aside, &e2) == OL_OK)
            ol_error("store: %s; set aside as %s: the partition is not served and nothing in it is deleted", err.msg,
                     aside);
        else
            ol_error("store: %s; and it could not be set aside: %s", err.msg, e2.msg);
        return OL_OK;
    }
    if (rc == OL_NOTFOUND) {
        ol_catalog_sweep_stats_t st;
        if (ol_catalog_sweep(s->io, dir, NULL, NULL, NULL, &st, &err) == OL_OK && st.unlisted_kept)
            ol_warn("store: partition %s has %zu part files but no MANIFEST: kept, not served", dir, st.unlisted_kept);
        return OL_OK;
    }
    if (rc != OL_OK) {
        ol_error("store: cannot read the manifest of %s: %s", dir, err.msg);
        return rc == OL_NOMEM ? OL_NOMEM : OL_OK;
    }
    ol_store_sweep_ctx_t sc = {.dir = dir};
    ol_catalog_sweep_stats_t st;
    if (ol_catalog_sweep(s->io, dir, &stored, ol_store_sweep_problem, &sc, &st, &err) != OL_OK)
        ol_warn("store: sweeping %s failed: %s", dir, err.msg);
    else if (st.tmp_removed || st.unlisted_removed)
        ol_info("store: %s: removed %zu unfinished files and %zu unlisted parts left by an interrupted flush or merge",
                dir, st.tmp_removed, st.unlisted_removed);

    ol_store_partition_t *pt = ol_store_partition_new(sig, day, dir);
    if (!pt || ol_manifest_copy(&pt->m, &stored) != OL_OK) {
        ol_store_partition_free(pt);
        ol_manifest_free(&stored);
        ol_free(OL_MEM_STORE, sc.bad, sc.cap * sizeof *sc.bad);
        return OL_NOMEM;
    }
    size_t untrusted = ol_manifest_drop_untrusted(&pt->m, ckpt);
    bool changed = untrusted > 0;
    for (size_t i = 0; i < sc.n; i++) changed |= ol_manifest_remove(&pt->m, sc.bad[i]) == OL_OK;
    ol_free(OL_MEM_STORE, sc.bad, sc.cap * sizeof *sc.bad);

    /* Open the parts; a damaged one is set aside and dropped. */
    ol_store_part_t **opened = ol_calloc(OL_MEM_STORE, pt->m.n_parts ? pt->m.n_parts : 1, sizeof *opened);
    size_t n_open = 0, cap_open = pt->m.n_parts ? pt->m.n_parts : 1;
    rc = opened ? OL_OK : OL_NOMEM;
    for (size_t i = 0; rc == OL_OK && i < pt->m.n_parts;) {
        const ol_part_entry_t *e = &pt->m.parts[i];
        if (e->flags & OL_PART_FLAG_TOMBSTONE) {
            i++;
            continue;
        }
        ol_store_part_t *sp = ol_store_part_load(s, pt, e);
        if (!sp) {
            ol_manifest_remove(&pt->m, e->id);
            changed = true;
            continue;
        }
        opened[n_open++] = sp;
        if (e->id >= s->next_part_id) s->next_part_id = e->id + 1;
        i++;
    }
    if (rc == OL_OK && changed) {
        if (ol_manifest_store(s->io, dir, &pt->m, &err) != OL_OK)
            ol_warn("store: cannot rewrite the manifest of %s (%s); it is retried at the next start", dir, err.msg);
        else if (untrusted)
            ol_info("store: %s: %zu parts newer than the WAL checkpoint dropped; the WAL replay restores their rows",
                    dir, untrusted);
    }
    /* Parts the new manifest no longer lists (untrusted) go once it is stored. */
    for (size_t i = 0; rc == OL_OK && changed && i < stored.n_parts; i++) {
        if (ol_manifest_find(&pt->m, stored.parts[i].id)) continue;
        char path[4096];
        if (ol_catalog_part_path(dir, stored.parts[i].id, path, sizeof path) == OL_OK && access(path, F_OK) == 0 &&
            stored.parts[i].wal_segment > ckpt)
            ol_io_unlink(s->io, path);
    }
    ol_manifest_free(&stored);
    for (size_t i = 0; rc == OL_OK && i < n_open; i++) {
        if (opened[i]->signal != OL_SIGNAL_TRACES) rc = ol_store_rec_load_part(s, opened[i]);
        if (rc == OL_OK) rc = ol_store_parts_add(s, opened[i]);
        if (rc == OL_OK) opened[i] = NULL;
    }
    for (size_t i = 0; i < n_open; i++) ol_store_part_unref(s, opened[i]);
    if (opened) ol_free(OL_MEM_STORE, opened, cap_open * sizeof *opened);
    if (rc == OL_OK) rc = ol_store_partition_insert(s, pt);
    if (rc != OL_OK) ol_store_partition_free(pt);
    return rc;
}

int ol_store_parts_startup(ol_store_t *s, uint64_t *ckpt_segment)
{
    ol_err_t err = {{0}};
    memset(&s->ckpt, 0, sizeof s->ckpt);
    int rc = ol_checkpoint_load(s->io, s->dir, &s->ckpt, &err);
    if (rc == OL_CORRUPT) {
        ol_error("store: %s; set aside, every WAL segment still present is replayed", err.msg);
        ol_err_t e2 = {{0}};
        ol_checkpoint_set_aside(s->io, s->dir, ol_now_ns() / 1000000000u, &e2);
        memset(&s->ckpt, 0, sizeof s->ckpt);
    } else if (rc != OL_OK && rc != OL_NOTFOUND) {
        ol_error("store: cannot read the WAL checkpoint: %s", err.msg);
        return OL_ERR;
    }
    ol_catalog_list_t l = {0};
    if (ol_catalog_list(s->dir, &l, &err) != OL_OK) {
        ol_error("store: cannot list the partitions: %s", err.msg);
        return OL_ERR;
    }
    rc = OL_OK;
    for (size_t i = 0; i < l.n && rc == OL_OK; i++) {
        const ol_catalog_partition_t *p = &l.items[i];
        if (!p->dropping) continue;
        if (ol_catalog_partition_drop(s->io, s->dir, p->signal, p->day, &err) != OL_OK)
            ol_warn("store: finishing an interrupted partition drop failed: %s", err.msg);
    }
    for (size_t i = 0; i < l.n && rc == OL_OK; i++) {
        const ol_catalog_partition_t *p = &l.items[i];
        if (p->dropping) continue;
        if (i > 0 && l.items[i - 1].signal == p->signal && l.items[i - 1].day == p->day) continue;
        rc = ol_store_partition_startup(s, p->signal, p->day, s->ckpt.wal_segment);
    }
    ol_catalog_list_free(&l);
    *ckpt_segment = s->ckpt.wal_segment;
    return rc;
}

/* ---- records parts into s->rec ---- */

typedef struct ol_store_rec_ctx {
    ol_store_t *s;
    ol_signal_t sig;
    const char *path;
    uint64_t received_ns;
} ol_store_rec_ctx_t;

static int ol_store_rec_payload(void *ud, ol_slice_t payload, uint64_t min_ns, uint64_t max_ns)
{
    ol_store_rec_ctx_t *c = ud;
    (void)min_ns;
    (void)max_ns;
    ol_ix_chunk_t *ch;
    ol_err_t err = {{0}};
    int rc = ol_ix_chunk_decode_copy(c->sig, payload, c->received_ns, &ch, &err);
    if (rc != OL_OK) {
        ol_error("store: part %s: a granule does not decode (%s): %s", c->path, ol_rc_str(rc), err.msg);
        return rc == OL_NOMEM ? OL_NOMEM : OL_CORRUPT;
    }
    ol_ix_idset_t none = {0};
    return ol_ix_add_chunk(&c->s->rec, &none, ch);
}

int ol_store_rec_load_part(ol_store_t *s, ol_store_part_t *sp)
{
    ol_store_rec_ctx_t c = {s, sp->signal, ol_part_path(sp->p), sp->max_ns};
    ol_err_t err = {{0}};
    int rc = ol_part_read_payloads(sp->p, 0, UINT64_MAX, ol_store_rec_payload, &c, &err);
    if (rc != OL_OK && err.msg[0]) ol_error("store: reading part %s failed: %s", c.path, err.msg);
    return rc == OL_NOMEM ? OL_NOMEM : OL_OK;
}

/* ---- storage report ---- */

static int ol_store_pstat_cmp(const void *a, const void *b)
{
    const ol_store_partition_stats_t *x = a, *y = b;
    if (x->signal != y->signal) return x->signal < y->signal ? -1 : 1;
    return x->day < y->day ? -1 : x->day > y->day;
}

int ol_store_scan_partitions(ol_store_t *s, ol_store_partition_fn fn, void *ud)
{
    ol_store_partition_stats_t *v = NULL;
    size_t n = 0, cap = 0;
    int rc = OL_OK;
    pthread_rwlock_rdlock(&s->lock);
    for (size_t i = 0; i < s->n_parts && rc == OL_OK; i++) {
        const ol_store_part_t *sp = s->parts[i];
        size_t k = 0;
        while (k < n && (v[k].signal != sp->signal || v[k].day != sp->day)) k++;
        if (k == n) {
            rc = ol_grow_array(OL_MEM_STORE, (void **)&v, &cap, n + 1, sizeof *v);
            if (rc != OL_OK) break;
            v[n] = (ol_store_partition_stats_t){.signal = sp->signal, .day = sp->day, .min_ns = UINT64_MAX};
            ol_catalog_day_format(sp->day, v[n].day_name);
            n++;
        }
        ol_store_partition_stats_t *p = &v[k];
        p->parts++;
        p->rows += sp->rows;
        p->bytes += sp->bytes;
        p->input_bytes += sp->input_bytes;
        p->min_ns = OL_MIN(p->min_ns, sp->min_ns);
        p->max_ns = OL_MAX(p->max_ns, sp->max_ns);
    }
    pthread_rwlock_unlock(&s->lock);
    if (n) qsort(v, n, sizeof *v, ol_store_pstat_cmp);
    for (size_t i = 0; i < n && rc == OL_OK; i++) rc = fn(ud, &v[i]);
    if (v) ol_free(OL_MEM_STORE, v, cap * sizeof *v);
    return rc == OL_STORE_STOP ? OL_OK : rc;
}
