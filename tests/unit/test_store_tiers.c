/*
 * test_store_tiers.c - the embedded store's tiered merge policy
 * (src/store/embedded/maint.c, docs/storage.md "Merges"): a flushed part has
 * level 0, a merged part 1 + its inputs' level; in a partition the lowest
 * level with merge_min_parts candidates (trusted, idle, small) is merged, up
 * to 8 of its oldest parts (by id) into one part of the next level, and
 * parts of different levels never merge together.
 *
 * White-box: the test includes the store's private header. It opens a store
 * whose merge_min_parts is too high for anything to merge, stops its
 * background threads, makes level-0 parts one flush at a time (load-generator
 * batches, distinct trace ids, all dated the same UTC day, so one partition),
 * then lowers merge_min_parts to 4 and calls ol_store_merge_once itself,
 * looking at the live part list (id, level, rows) before and after each
 * call: which parts went, which one came, its level and its rows. After
 * every step the store must still return every appended span exactly once:
 * the parts' rows add up to the spans appended, ol_store_scan_traces'
 * fragments add up to them too, ol_store_scan_trace gives a sample of traces
 * (a different one each time) their appended span counts, and trace search
 * (ol_query_traces, as GET /api/traces renders it) lists every trace with
 * its count.
 *
 * Scenarios: nine level-0 parts (one merge of the eight oldest, the ninth
 * stays); four more level-0 parts next to a level-1 part (merged without
 * it); levels with fewer than merge_min_parts parts that together have more
 * (nothing merges); four level-1 parts (a level-2 part); level 0 merged
 * first while level 1 has more and older parts, then nine level-1 parts
 * (the eight oldest merge); parts that are busy, too big or not yet covered
 * by the checkpoint are not candidates; levels survive a restart.
 *
 * With two background threads: repeated ingest and flushes stay readable
 * while the threads merge, and the parts settle where no level has four;
 * and while one merge is held (an ol_io_t that stalls its reads of its
 * inputs), no second merge starts and the other thread flushes new spans.
 * Waits are bounded polls; nothing asserts on durations.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "codec/otlp.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/util.h"
#include "loadgen/spans.h"
#include "loadgen/topology.h"
#include "query/read.h"
#include "store/embedded/embedded.h"
#include "store/store.h"
#include "test.h"

/* ---- helpers (after test_store_briefs.c) ---- */

static void make_tmpdir(char *out, size_t n)
{
    snprintf(out, n, "/tmp/olly-test-tiers-XXXXXX");
    if (!mkdtemp(out)) abort();
}

/* No flush by age; by size only if flush_bytes is set. */
static ol_store_t *open_store(const char *dir, uint32_t merge_min_parts, uint32_t threads, uint64_t flush_bytes,
                              const ol_io_t *io)
{
    ol_store_options_t o = {.dir = dir, .fsync = OL_FSYNC_NEVER, .flush_age_ms = 24ull * 3600 * 1000,
                            .flush_bytes = flush_bytes, .merge_min_parts = merge_min_parts, .threads = threads,
                            .query_threads = 2, .io = io};
    ol_store_t *s = NULL;
    ol_err_t err = {{0}};
    if (ol_store_open(&o, &s, &err) != OL_OK) {
        fprintf(stderr, "  open: %s\n", err.msg);
        return NULL;
    }
    if (ol_store_replay(s) != OL_OK) {
        ol_store_close(s);
        return NULL;
    }
    return s;
}

static void set_min_parts(ol_store_t *s, uint32_t n)
{
    pthread_mutex_lock(&s->cat_mu);
    s->opt.merge_min_parts = n;
    pthread_mutex_unlock(&s->cat_mu);
}

static void fmt_id(const uint8_t *id, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) snprintf(out + 2 * i, 3, "%02x", id[i]);
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- what was appended: (trace id, span id) of every span ---- */

typedef struct skey {
    uint8_t t[16], s[8];
} skey_t;

static skey_t *g_keys;
static size_t g_n_keys, g_cap_keys;
static uint64_t g_spans; /* appended, all distinct */

static void keys_add(const uint8_t *t, const uint8_t *s)
{
    if (g_n_keys == g_cap_keys) {
        g_cap_keys = g_cap_keys ? 2 * g_cap_keys : 4096;
        g_keys = realloc(g_keys, g_cap_keys * sizeof *g_keys);
        if (!g_keys) abort();
    }
    memcpy(g_keys[g_n_keys].t, t, 16);
    memcpy(g_keys[g_n_keys].s, s, 8);
    g_n_keys++;
}

static int key_order(const void *a, const void *b) { return memcmp(a, b, sizeof(skey_t)); }
static int id_order(const void *a, const void *b) { return memcmp(a, b, 16); }

/* The distinct trace ids appended, sorted, with their span counts. */
typedef struct expect {
    uint8_t (*ids)[16];
    size_t *n_spans;
    size_t n;
} expect_t;

static void expect_build(expect_t *e)
{
    qsort(g_keys, g_n_keys, sizeof *g_keys, key_order);
    size_t m = 0;
    for (size_t i = 0; i < g_n_keys; i++)
        if (!m || key_order(&g_keys[i], &g_keys[m - 1]) != 0) g_keys[m++] = g_keys[i];
    CHECK_EQ_INT(m, g_n_keys); /* every appended span was new */
    g_n_keys = m;
    e->ids = malloc((m + 1) * sizeof *e->ids);
    e->n_spans = calloc(m + 1, sizeof *e->n_spans);
    e->n = 0;
    for (size_t i = 0; i < m; i++) {
        if (!e->n || memcmp(e->ids[e->n - 1], g_keys[i].t, 16) != 0) memcpy(e->ids[e->n++], g_keys[i].t, 16);
        e->n_spans[e->n - 1]++;
    }
}

static void expect_free(expect_t *e)
{
    free(e->ids);
    free(e->n_spans);
}

static void expect_reset(void)
{
    g_n_keys = 0;
    g_spans = 0;
}

/* ---- level-0 parts from load-generator batches ---- */

static ol_topology_t *g_topo;
static uint32_t g_batch; /* next batch index */

/* 2024-01-01T12:00:00Z: every batch ends a few seconds after noon of day
 * `day` after it, so it lies in that UTC day (one partition per day). */
#define NOON_NS 1704110400000000000ull
#define DAY_NS (24ull * 3600 * 1000000000ull)
static uint32_t g_days = 1; /* days in use: 0 .. g_days - 1 */

/* Appends batch g_batch (send id g_batch + 1: trace ids no other batch has). */
static void append_batch_day(ol_store_t *s, uint32_t day)
{
    uint32_t k = g_batch++;
    ol_loadgen_batch_t b;
    ol_err_t err = {{0}};
    int rc = ol_loadgen_batch_build(g_topo, 11, k, 60 + 13 * (k % 5), &b, &err);
    CHECK_EQ_INT(rc, OL_OK);
    if (rc != OL_OK) return;
    ol_loadgen_batch_patch(&b, (uint64_t)k + 1, NOON_NS + day * DAY_NS + (uint64_t)k * 1000000000ull);
    ol_arena_t *a = ol_arena_create(1 << 20, 0);
    ol_otlp_batch_t ob;
    rc = ol_otlp_decode(OL_SIGNAL_TRACES, ol_slice(b.data, b.len), a, &ob, &err);
    CHECK_EQ_INT(rc, OL_OK);
    size_t valid = 0;
    for (size_t i = 0; rc == OL_OK && i < ob.n_spans; i++) {
        if (!ob.spans[i].valid) continue;
        valid++;
        keys_add(ob.spans[i].trace_id.ptr, ob.spans[i].span_id.ptr);
    }
    if (rc == OL_OK) {
        ol_store_append_result_t res = {0};
        CHECK_EQ_INT(ol_store_append(s, &ob, &res), OL_OK);
        CHECK_EQ_INT(res.accepted, valid);
        CHECK_EQ_INT(res.duplicates, 0);
        CHECK(valid > 0);
        g_spans += res.accepted;
    }
    ol_arena_destroy(a);
    ol_loadgen_batch_free(&b);
}

static void append_batch(ol_store_t *s) { append_batch_day(s, 0); }

/* ---- the live trace parts ---- */

typedef struct pinfo {
    uint64_t id, rows, wal_segment;
    uint32_t level, day;
} pinfo_t;

enum { MAX_SNAP = 512 };

typedef struct snap {
    pinfo_t v[MAX_SNAP];
    size_t n;
    uint64_t rows;
} snap_t;

static int pinfo_order(const void *a, const void *b)
{
    const pinfo_t *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Sorted by id (oldest first). */
static void snap_take(ol_store_t *s, snap_t *out)
{
    out->n = 0;
    out->rows = 0;
    pthread_rwlock_rdlock(&s->lock);
    for (size_t i = 0; i < s->n_parts && out->n < MAX_SNAP; i++) {
        const ol_store_part_t *sp = s->parts[i];
        if (sp->signal != OL_SIGNAL_TRACES) continue;
        out->v[out->n++] = (pinfo_t){.id = sp->id, .rows = sp->rows, .wal_segment = sp->wal_segment,
                                     .level = sp->level, .day = sp->day};
        out->rows += sp->rows;
    }
    CHECK(s->n_parts < MAX_SNAP);
    pthread_rwlock_unlock(&s->lock);
    qsort(out->v, out->n, sizeof *out->v, pinfo_order);
}

static const pinfo_t *snap_find(const snap_t *sn, uint64_t id)
{
    pinfo_t key = {.id = id};
    return bsearch(&key, sn->v, sn->n, sizeof *sn->v, pinfo_order);
}

static size_t snap_level(const snap_t *sn, uint32_t level)
{
    size_t n = 0;
    for (size_t i = 0; i < sn->n; i++) n += sn->v[i].level == level;
    return n;
}

static void snap_print(const snap_t *sn, const char *where)
{
    fprintf(stderr, "  %s: %zu parts, %llu rows:", where, sn->n, (unsigned long long)sn->rows);
    for (size_t i = 0; i < sn->n; i++)
        fprintf(stderr, " %llu/L%u/%llu", (unsigned long long)sn->v[i].id, sn->v[i].level,
                (unsigned long long)sn->v[i].rows);
    fprintf(stderr, "\n");
}

static bool snap_same(const snap_t *a, const snap_t *b)
{
    if (a->n != b->n) return false;
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].id != b->v[i].id || a->v[i].level != b->v[i].level || a->v[i].rows != b->v[i].rows) return false;
    return true;
}

/* Flushes the batches appended since the last flush into one level-0 part
 * (only the test changes the part list here). */
static void flush_part(ol_store_t *s)
{
    snap_t *before = malloc(sizeof *before), *after = malloc(sizeof *after);
    snap_take(s, before);
    CHECK_EQ_INT(ol_store_flush_now(s), OL_OK);
    snap_take(s, after);
    CHECK_EQ_INT(after->n, before->n + 1);
    const pinfo_t *np = after->n ? &after->v[after->n - 1] : NULL; /* the newest id */
    CHECK(np && !snap_find(before, np->id));
    if (np) CHECK_EQ_INT(np->level, 0);
    CHECK_EQ_INT(after->rows, g_spans);
    free(before);
    free(after);
}

/* Appends one batch and flushes it into a new level-0 part. */
static void add_part(ol_store_t *s)
{
    append_batch(s);
    flush_part(s);
}

/* ---- every span exactly once ---- */

static int count_cb(void *ud, const ol_store_trace_t *t)
{
    *(size_t *)ud += t->n_spans;
    return OL_OK;
}

static int hex_nibble(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static size_t g_traces; /* at the last check_readable */

static void check_readable(ol_store_t *s, const char *where)
{
    int before = ol_test_failed_checks;
    snap_t *sn = malloc(sizeof *sn);
    snap_take(s, sn);
    CHECK_EQ_INT(sn->rows, g_spans);
    for (size_t i = 1; i < sn->n && g_days == 1; i++) CHECK_EQ_INT(sn->v[i].day, sn->v[0].day);
    pthread_mutex_lock(&s->cat_mu);
    size_t n_partitions = s->n_partitions;
    pthread_mutex_unlock(&s->cat_mu);
    CHECK(n_partitions <= g_days);
    ol_store_stats_t st;
    ol_store_stats(s, &st);
    CHECK_EQ_INT(st.spans, g_spans);
    CHECK_EQ_INT(st.head_spans, 0);
    CHECK_EQ_INT(st.merge_errors, 0);

    expect_t e;
    expect_build(&e);
    /* Trace by id: about 64 traces, a different sample each time. */
    static size_t round;
    size_t wrong = 0, step = e.n / 64 + 1;
    for (size_t i = round++ % step; i < e.n; i += step) {
        size_t got = 0;
        int rc = ol_store_scan_trace(s, e.ids[i], count_cb, &got);
        CHECK_EQ_INT(rc, OL_OK);
        if (got != e.n_spans[i] && wrong++ < 5) {
            char tid[33];
            fmt_id(e.ids[i], 16, tid);
            fprintf(stderr, "  %s: trace %s: %zu spans, %zu appended\n", where, tid, got, e.n_spans[i]);
        }
    }
    CHECK_EQ_INT(wrong, 0);

    /* Trace search, as GET /api/traces: every trace once, with its span count. */
    ol_trace_query_t q = {.start_ns = NOON_NS - DAY_NS / 2, .end_ns = NOON_NS - DAY_NS / 2 + g_days * DAY_NS,
                          .status = OL_STATUS_ANY, .limit = 1000};
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CORE, 0);
    CHECK_EQ_INT(ol_query_traces(s, &q, &out), OL_OK);
    ol_buf_append_u8(&out, 0);
    bool *seen = calloc(e.n + 1, 1);
    size_t listed = 0, dup = 0, unknown = 0, bad_count = 0;
    const char *p = (const char *)out.data;
    static const char tid_key[] = "\"traceId\":\"", cnt_key[] = "\"spanCount\":";
    while ((p = strstr(p, tid_key)) != NULL) {
        p += sizeof tid_key - 1;
        uint8_t id[16];
        bool ok = true;
        for (int i = 0; i < 16 && ok; i++) {
            int hi = hex_nibble(p[2 * i]), lo = hi < 0 ? -1 : hex_nibble(p[2 * i + 1]);
            ok = hi >= 0 && lo >= 0;
            if (ok) id[i] = (uint8_t)(hi << 4 | lo);
        }
        const char *c = strstr(p, cnt_key);
        CHECK(ok && c != NULL);
        if (!ok || !c) break;
        size_t count = strtoull(c + sizeof cnt_key - 1, NULL, 10);
        listed++;
        uint8_t (*hit)[16] = bsearch(id, e.ids, e.n, sizeof *e.ids, id_order);
        if (!hit) {
            unknown++;
            continue;
        }
        size_t k = (size_t)(hit - e.ids);
        dup += seen[k];
        seen[k] = true;
        bad_count += count != e.n_spans[k];
    }
    CHECK_EQ_INT(listed, OL_MIN(e.n, 1000));
    CHECK_EQ_INT(unknown, 0);
    CHECK_EQ_INT(dup, 0);
    CHECK_EQ_INT(bad_count, 0);

    /* Every fragment of every trace, once: the fragments' spans add up. */
    size_t fragments = 0;
    CHECK_EQ_INT(ol_store_scan_traces(s, q.start_ns, q.end_ns, count_cb, &fragments), OL_OK);
    CHECK_EQ_INT(fragments, g_spans);

    if (ol_test_failed_checks != before)
        fprintf(stderr, "  ^ %s: %zu traces, %llu spans, %zu listed by search\n", where, e.n,
                (unsigned long long)g_spans, listed);
    g_traces = e.n;
    free(seen);
    ol_buf_free(&out);
    expect_free(&e);
    free(sn);
}

/* ---- one merge, checked ---- */

/* ol_store_merge_once must merge exactly the parts want[0..n_want) (ids)
 * into one new part of the next level holding their rows, and change
 * nothing else. */
static void merge_expect_ids(ol_store_t *s, const uint64_t *want, size_t n_want, const char *where)
{
    snap_t *before = malloc(sizeof *before), *after = malloc(sizeof *after);
    snap_take(s, before);
    int rc = ol_store_merge_once(s);
    CHECK_EQ_INT(rc, OL_OK);
    snap_take(s, after);
    int failed = ol_test_failed_checks;
    /* Gone: exactly the wanted ids. */
    size_t gone = 0;
    uint64_t rows_in = 0, max_id = 0;
    uint32_t level_in = 0;
    for (size_t i = 0; i < before->n; i++) {
        const pinfo_t *b = &before->v[i];
        max_id = OL_MAX(max_id, b->id);
        bool wanted = false;
        for (size_t k = 0; k < n_want && !wanted; k++) wanted = want[k] == b->id;
        const pinfo_t *a = snap_find(after, b->id);
        if (wanted) {
            CHECK(a == NULL);
            gone++;
            rows_in += b->rows;
            level_in = OL_MAX(level_in, b->level);
        } else {
            CHECK(a != NULL);
            if (a) CHECK(a->level == b->level && a->rows == b->rows);
        }
    }
    CHECK_EQ_INT(gone, n_want);
    /* Came: one part, newer than all, of the next level, with the inputs' rows. */
    size_t came = 0;
    for (size_t i = 0; i < after->n; i++) {
        const pinfo_t *a = &after->v[i];
        if (snap_find(before, a->id)) continue;
        came++;
        CHECK(a->id > max_id);
        CHECK_EQ_INT(a->level, level_in + 1);
        CHECK_EQ_INT(a->rows, rows_in);
    }
    CHECK_EQ_INT(came, 1);
    CHECK_EQ_INT(after->n, before->n - n_want + 1);
    CHECK_EQ_INT(after->rows, before->rows);
    if (ol_test_failed_checks != failed) {
        fprintf(stderr, "  %s: wanted to merge", where);
        for (size_t k = 0; k < n_want; k++) fprintf(stderr, " %llu", (unsigned long long)want[k]);
        fprintf(stderr, "\n");
        snap_print(before, "before");
        snap_print(after, "after");
    }
    free(before);
    free(after);
    check_readable(s, where);
}

/* The n oldest parts of `level` merge. */
static void merge_expect(ol_store_t *s, uint32_t level, size_t n, const char *where)
{
    snap_t *sn = malloc(sizeof *sn);
    snap_take(s, sn);
    uint64_t want[16];
    size_t k = 0;
    for (size_t i = 0; i < sn->n && k < n && k < 16; i++)
        if (sn->v[i].level == level) want[k++] = sn->v[i].id;
    CHECK_EQ_INT(k, n);
    free(sn);
    merge_expect_ids(s, want, k, where);
}

/* Nothing to merge: OL_NOTFOUND and the parts as they were. */
static void merge_none(ol_store_t *s, const char *where)
{
    snap_t *before = malloc(sizeof *before), *after = malloc(sizeof *after);
    snap_take(s, before);
    int rc = ol_store_merge_once(s);
    snap_take(s, after);
    CHECK_EQ_INT(rc, OL_NOTFOUND);
    CHECK(snap_same(before, after));
    if (rc != OL_NOTFOUND || !snap_same(before, after)) {
        fprintf(stderr, "  %s: expected no merge\n", where);
        snap_print(before, "before");
        snap_print(after, "after");
    }
    free(before);
    free(after);
}

static void check_levels(ol_store_t *s, size_t l0, size_t l1, size_t l2, size_t l3, const char *where)
{
    snap_t *sn = malloc(sizeof *sn);
    snap_take(s, sn);
    size_t got[4] = {snap_level(sn, 0), snap_level(sn, 1), snap_level(sn, 2), snap_level(sn, 3)};
    CHECK_EQ_INT(got[0], l0);
    CHECK_EQ_INT(got[1], l1);
    CHECK_EQ_INT(got[2], l2);
    CHECK_EQ_INT(got[3], l3);
    CHECK_EQ_INT(sn->n, l0 + l1 + l2 + l3);
    if (got[0] != l0 || got[1] != l1 || got[2] != l2 || got[3] != l3 || sn->n != l0 + l1 + l2 + l3) {
        fprintf(stderr, "  %s: expected levels %zu/%zu/%zu/%zu\n", where, l0, l1, l2, l3);
        snap_print(sn, "now");
    }
    free(sn);
}

/* The ids of the parts of `level`, oldest first. */
static size_t level_ids(ol_store_t *s, uint32_t level, uint64_t *out, size_t max)
{
    snap_t *sn = malloc(sizeof *sn);
    snap_take(s, sn);
    size_t k = 0;
    for (size_t i = 0; i < sn->n && k < max; i++)
        if (sn->v[i].level == level) out[k++] = sn->v[i].id;
    free(sn);
    return k;
}

static ol_store_part_t *live_part(ol_store_t *s, uint64_t id)
{
    ol_store_part_t *found = NULL;
    pthread_rwlock_rdlock(&s->lock);
    for (size_t i = 0; i < s->n_parts && !found; i++)
        if (s->parts[i]->id == id) found = s->parts[i];
    pthread_rwlock_unlock(&s->lock);
    return found;
}

/* ---- tests ---- */

static ol_store_t *tiers_open(const char *dir)
{
    ol_err_t err = {{0}};
    if (!g_topo) CHECK_EQ_INT(ol_topo_create_default(0, &g_topo, &err), OL_OK);
    ol_store_t *s = g_topo ? open_store(dir, 1000, 1, 0, NULL) : NULL;
    CHECK(s != NULL);
    if (s) ol_store_bg_stop(s); /* the test is the only one to flush and merge */
    return s;
}

static void test_tiers(void)
{
    char dir[256];
    make_tmpdir(dir, sizeof dir);
    expect_reset();
    ol_store_t *s = tiers_open(dir);
    if (!s) {
        ol_test_rm_rf(dir);
        return;
    }
    char where[96];

    /* (a) Nine level-0 parts: the eight oldest merge into a level-1 part. */
    for (int i = 0; i < 9; i++) add_part(s);
    check_levels(s, 9, 0, 0, 0, "nine flushes");
    check_readable(s, "nine flushes");
    merge_none(s, "merge_min_parts 1000"); /* the threshold is honoured */
    set_min_parts(s, 4);
    merge_expect(s, 0, 8, "(a) 8 of 9 level-0 parts");
    check_levels(s, 1, 1, 0, 0, "(a)");
    merge_none(s, "(a) then");

    /* (b) Level 0 grows back to four next to the level-1 part; on the way,
     * 2 + 1 and 3 + 1 parts of two levels merge nothing. */
    uint64_t l1_first = 0;
    CHECK_EQ_INT(level_ids(s, 1, &l1_first, 1), 1);
    for (int i = 0; i < 2; i++) {
        add_part(s);
        snprintf(where, sizeof where, "(b, d) %d level-0 parts and a level-1 part", i + 2);
        merge_none(s, where);
    }
    add_part(s);
    check_levels(s, 4, 1, 0, 0, "(b)");
    merge_expect(s, 0, 4, "(b) 4 level-0 parts, not the level-1 part");
    CHECK(live_part(s, l1_first) != NULL);
    check_levels(s, 0, 2, 0, 0, "(b)");
    merge_none(s, "(b) then");

    /* (c) Two more level-1 parts, then the four merge into a level-2 part;
     * level 0 never gets to four meanwhile without merging first. */
    for (int r = 0; r < 2; r++) {
        for (int i = 0; i < 4; i++) {
            add_part(s);
            if (i < 3) {
                snprintf(where, sizeof where, "(c, d) %d level-0 and %d level-1 parts", i + 1, 2 + r);
                merge_none(s, where);
            }
        }
        merge_expect(s, 0, 4, "(c) 4 level-0 parts");
    }
    check_levels(s, 0, 4, 0, 0, "(c)");
    merge_expect(s, 1, 4, "(c) 4 level-1 parts");
    check_levels(s, 0, 0, 1, 0, "(c)");
    merge_none(s, "(c) then");

    /* (d) Three levels, none with four parts, seven parts in all. */
    for (int r = 0; r < 3; r++) {
        for (int i = 0; i < 4; i++) add_part(s);
        merge_expect(s, 0, 4, "(d) 4 level-0 parts");
    }
    for (int i = 0; i < 3; i++) add_part(s);
    check_levels(s, 3, 3, 1, 0, "(d)");
    merge_none(s, "(d) 3 level-0, 3 level-1, 1 level-2 parts");

    /* (e) The lowest level first: level 0 merges while level 1 has four to
     * eight older parts; then the eight oldest of nine level-1 parts. */
    add_part(s);
    merge_expect(s, 0, 4, "(e) 4 level-0 parts");
    check_levels(s, 0, 4, 1, 0, "(e)");
    for (int r = 0; r < 5; r++) {
        for (int i = 0; i < 4; i++) add_part(s);
        snprintf(where, sizeof where, "(e) 4 level-0 parts before %d level-1 parts", 4 + r);
        merge_expect(s, 0, 4, where);
    }
    check_levels(s, 0, 9, 1, 0, "(e)");
    merge_expect(s, 1, 8, "(e) 8 of 9 level-1 parts");
    check_levels(s, 0, 1, 2, 0, "(e)");
    merge_none(s, "(e) then");

    /* (f) Only trusted, idle, small parts are candidates. */
    for (int i = 0; i < 5; i++) add_part(s);
    uint64_t l0[8];
    CHECK_EQ_INT(level_ids(s, 0, l0, 8), 5);
    ol_store_part_t *oldest = live_part(s, l0[0]), *newest = live_part(s, l0[4]);
    CHECK(oldest && newest);
    if (oldest && newest) {
        /* Busy (picked by a running merge): the next four merge. */
        pthread_mutex_lock(&s->cat_mu);
        oldest->merging = true;
        pthread_mutex_unlock(&s->cat_mu);
        merge_expect_ids(s, l0 + 1, 4, "(f) 4 idle level-0 parts, not the busy one");
        pthread_mutex_lock(&s->cat_mu);
        oldest->merging = false;
        pthread_mutex_unlock(&s->cat_mu);
        check_levels(s, 1, 2, 2, 0, "(f)");
        for (int i = 0; i < 3; i++) add_part(s);
        CHECK_EQ_INT(level_ids(s, 0, l0, 8), 4);
        ol_store_part_t *big = live_part(s, l0[1]), *last = live_part(s, l0[3]);
        CHECK(big && last);
        if (big && last) {
            /* Too big (512 MiB) to be merged again. */
            pthread_rwlock_wrlock(&s->lock);
            uint64_t bytes = big->bytes;
            big->bytes = 512ull << 20;
            pthread_rwlock_unlock(&s->lock);
            merge_none(s, "(f) 3 small level-0 parts and a big one");
            pthread_rwlock_wrlock(&s->lock);
            big->bytes = bytes;
            pthread_rwlock_unlock(&s->lock);
            /* Not covered by the checkpoint (its rows may still be replayed from the log). */
            pthread_mutex_lock(&s->cat_mu);
            uint64_t ckpt = s->ckpt.wal_segment;
            CHECK(last->wal_segment > 0 && last->wal_segment <= ckpt);
            s->ckpt.wal_segment = last->wal_segment - 1;
            pthread_mutex_unlock(&s->cat_mu);
            merge_none(s, "(f) 3 trusted level-0 parts and an untrusted one");
            pthread_mutex_lock(&s->cat_mu);
            s->ckpt.wal_segment = ckpt;
            pthread_mutex_unlock(&s->cat_mu);
        }
        merge_expect_ids(s, l0, 4, "(f) the same 4 level-0 parts, all candidates again");
        check_levels(s, 0, 3, 2, 0, "(f)");
        merge_none(s, "(f) then");
    }

    /* (g) Levels and ids survive a restart; the policy goes on from them. */
    snap_t *before = malloc(sizeof *before), *after = malloc(sizeof *after);
    snap_take(s, before);
    ol_store_close(s);
    s = tiers_open(dir);
    if (s) {
        snap_take(s, after);
        CHECK(snap_same(before, after));
        check_readable(s, "(g) reopened");
        set_min_parts(s, 4);
        merge_none(s, "(g) reopened");
        for (int i = 0; i < 4; i++) add_part(s);
        merge_expect(s, 0, 4, "(g) 4 level-0 parts after a restart");
        merge_expect(s, 1, 4, "(g) 3 level-1 parts from before the restart and a new one");
        check_levels(s, 0, 0, 3, 0, "(g)");
        add_part(s);
        merge_none(s, "(g) then");
        snap_take(s, after);
        snap_print(after, "final parts (id/level/rows)");
        ol_store_close(s);
    }
    free(before);
    free(after);
    fprintf(stderr, "  %u flushes, %llu spans, %zu traces\n", g_batch, (unsigned long long)g_spans, g_traces);
    ol_test_rm_rf(dir);
}

/* Two background threads merge (on one of them) while the test appends and
 * flushes; every read in between sees every span once. */
static void test_background_merges(void)
{
    char dir[256];
    make_tmpdir(dir, sizeof dir);
    expect_reset();
    ol_err_t err = {{0}};
    if (!g_topo) CHECK_EQ_INT(ol_topo_create_default(0, &g_topo, &err), OL_OK);
    ol_store_t *s = g_topo ? open_store(dir, 4, 2, 0, NULL) : NULL;
    CHECK(s != NULL);
    if (!s) {
        ol_test_rm_rf(dir);
        return;
    }
    CHECK_EQ_INT(s->n_threads, 2);
    enum { ROUNDS = 24 };
    uint32_t max_running = 0;
    for (int r = 0; r < ROUNDS; r++) {
        append_batch(s);
        CHECK_EQ_INT(ol_store_flush_now(s), OL_OK);
        pthread_mutex_lock(&s->bg_mu);
        max_running = OL_MAX(max_running, s->merges_running);
        pthread_mutex_unlock(&s->bg_mu);
        if (r % 4 == 3) {
            char where[64];
            snprintf(where, sizeof where, "background, round %d", r);
            check_readable(s, where);
        }
    }
    /* Wait (bounded) for the merges to settle: no level with four idle parts. */
    snap_t *sn = malloc(sizeof *sn);
    bool settled = false;
    ol_store_stats_t st;
    for (int i = 0; i < 6000 && !settled; i++) { /* up to about a minute */
        pthread_mutex_lock(&s->bg_mu);
        max_running = OL_MAX(max_running, s->merges_running);
        pthread_mutex_unlock(&s->bg_mu);
        pthread_mutex_lock(&s->cat_mu);
        bool busy = false;
        pthread_rwlock_rdlock(&s->lock);
        for (size_t k = 0; k < s->n_parts; k++) busy |= s->parts[k]->merging;
        pthread_rwlock_unlock(&s->lock);
        pthread_mutex_unlock(&s->cat_mu);
        snap_take(s, sn);
        settled = !busy;
        for (uint32_t l = 0; l < 8 && settled; l++) settled = snap_level(sn, l) < 4;
        if (!settled) sleep_ms(10);
    }
    CHECK(settled);
    ol_store_stats(s, &st);
    snap_print(sn, "settled (id/level/rows)");
    fprintf(stderr, "  %d flushes, %llu merges, at most %u merge(s) running at a time\n", ROUNDS,
            (unsigned long long)st.merges, max_running);
    CHECK(st.merges > 0);
    CHECK_EQ_INT(st.merge_errors, 0);
    CHECK_EQ_INT(st.flush_errors, 0);
    CHECK(max_running <= 1); /* two threads: one is kept for flushes */
    CHECK(sn->n < ROUNDS);
    size_t higher = 0;
    for (size_t i = 0; i < sn->n; i++) higher += sn->v[i].level > 0;
    CHECK(higher > 0);
    /* A merge of k parts (4 <= k <= 8) leaves k - 1 fewer. */
    CHECK(ROUNDS - sn->n >= 3 * st.merges && ROUNDS - sn->n <= 7 * st.merges);
    check_readable(s, "background, settled");
    free(sn);
    ol_store_close(s);
    ol_test_rm_rf(dir);
}

/* ---- a flush while a merge is under way ---- */

/* An ol_io_t over POSIX whose preads of the part files open when it is
 * armed, made by the store's background threads, wait until it is
 * disarmed: a merge reading its inputs stops there; a flush (which reads
 * only the part it has just written) and the test's reads go on. */
typedef struct gate_io {
    ol_io_t io;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ol_store_t *s;
    bool armed;
    int blocked;
    bool mark[4096]; /* fd of a part file opened before arming */
} gate_io_t;

static int gate_open(const ol_io_t *io, const char *path, int flags, int mode)
{
    gate_io_t *g = io->ud;
    int fd = ol_io_posix()->open(ol_io_posix(), path, flags, mode);
    size_t n = strlen(path);
    if (fd >= 0 && fd < 4096) {
        pthread_mutex_lock(&g->mu);
        g->mark[fd] = !g->armed && n > 4 && strcmp(path + n - 4, ".olp") == 0;
        pthread_mutex_unlock(&g->mu);
    }
    return fd;
}

static int gate_close(const ol_io_t *io, int fd)
{
    gate_io_t *g = io->ud;
    if (fd >= 0 && fd < 4096) {
        pthread_mutex_lock(&g->mu);
        g->mark[fd] = false;
        pthread_mutex_unlock(&g->mu);
    }
    return ol_io_posix()->close(ol_io_posix(), fd);
}

static bool gate_bg_thread(gate_io_t *g)
{
    for (size_t i = 0; g->s && i < g->s->n_threads; i++)
        if (pthread_equal(pthread_self(), g->s->threads[i])) return true;
    return false;
}

static ssize_t gate_pread(const ol_io_t *io, int fd, void *p, size_t n, uint64_t off)
{
    gate_io_t *g = io->ud;
    pthread_mutex_lock(&g->mu);
    if (g->armed && fd >= 0 && fd < 4096 && g->mark[fd] && gate_bg_thread(g)) {
        g->blocked++;
        pthread_cond_broadcast(&g->cv);
        while (g->armed) pthread_cond_wait(&g->cv, &g->mu);
        g->blocked--;
    }
    pthread_mutex_unlock(&g->mu);
    return ol_io_posix()->pread(ol_io_posix(), fd, p, n, off);
}

static int gate_blocked(gate_io_t *g)
{
    pthread_mutex_lock(&g->mu);
    int n = g->blocked;
    pthread_mutex_unlock(&g->mu);
    return n;
}

static void gate_set(gate_io_t *g, bool armed)
{
    pthread_mutex_lock(&g->mu);
    g->armed = armed;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static uint64_t parts_now(ol_store_t *s)
{
    ol_store_stats_t st;
    ol_store_stats(s, &st);
    return st.parts;
}

/* Two partitions of four level-0 parts, two background threads that flush
 * as soon as the head holds anything. Once merge_min_parts drops to 4, one
 * thread starts merging one partition and is held while it reads its
 * inputs. The other thread must not start the second partition's merge
 * (merges run on all threads but one) and must flush the next batch. Waits
 * are bounded polls; the one fixed pause (half a second, to give a second
 * merge the chance to start) asserts nothing about time. */
static void test_flush_beside_merge(void)
{
    char dir[256];
    make_tmpdir(dir, sizeof dir);
    expect_reset();
    g_days = 2;
    static gate_io_t g;
    memset(&g, 0, sizeof g);
    g.io = *ol_io_posix();
    g.io.open = gate_open;
    g.io.close = gate_close;
    g.io.pread = gate_pread;
    g.io.ud = &g;
    pthread_mutex_init(&g.mu, NULL);
    pthread_cond_init(&g.cv, NULL);
    ol_err_t err = {{0}};
    if (!g_topo) CHECK_EQ_INT(ol_topo_create_default(0, &g_topo, &err), OL_OK);
    ol_store_t *s = g_topo ? open_store(dir, 1000, 2, 1, &g.io) : NULL;
    CHECK(s != NULL);
    if (!s) goto out;
    g.s = s;
    CHECK_EQ_INT(s->n_threads, 2);
    /* Each batch alone in a flush (the background one or ours, whichever
     * comes first), so one part each. */
    for (int i = 0; i < 8; i++) {
        uint64_t n0 = parts_now(s);
        append_batch_day(s, (uint32_t)i % 2);
        CHECK_EQ_INT(ol_store_flush_now(s), OL_OK);
        CHECK_EQ_INT(parts_now(s), n0 + 1);
    }
    check_levels(s, 8, 0, 0, 0, "two partitions");
    check_readable(s, "two partitions");

    gate_set(&g, true);
    set_min_parts(s, 4);
    int blocked = 0;
    for (int i = 0; i < 3000 && !blocked; i++) { /* up to about 30 s */
        blocked = gate_blocked(&g);
        if (!blocked) sleep_ms(10);
    }
    CHECK_EQ_INT(blocked, 1); /* a merge reads its inputs */
    for (int i = 0; i < 50 && blocked == 1; i++) {
        sleep_ms(10);
        blocked = gate_blocked(&g);
    }
    CHECK_EQ_INT(blocked, 1); /* and no second merge started beside it */
    pthread_mutex_lock(&s->bg_mu);
    CHECK_EQ_INT(s->merges_running, 1);
    pthread_mutex_unlock(&s->bg_mu);

    /* A batch now: the other thread flushes it while the merge waits. */
    ol_store_stats_t st;
    ol_store_stats(s, &st);
    uint64_t flushes = st.flushes, parts = st.parts;
    append_batch_day(s, 0);
    bool flushed = false;
    for (int i = 0; i < 3000 && !flushed; i++) {
        ol_store_stats(s, &st);
        flushed = st.head_spans == 0 && st.flushes > flushes;
        if (!flushed) sleep_ms(10);
    }
    CHECK(flushed);
    CHECK_EQ_INT(st.parts, parts + 1);
    CHECK_EQ_INT(st.merges, 0);
    CHECK_EQ_INT(gate_blocked(&g), 1);
    check_readable(s, "flushed beside a merge");

    /* Let the merges go: one per partition. */
    gate_set(&g, false);
    bool settled = false;
    for (int i = 0; i < 3000 && !settled; i++) {
        ol_store_stats(s, &st);
        settled = st.merges == 2;
        if (!settled) sleep_ms(10);
    }
    CHECK(settled);
    check_levels(s, 1, 2, 0, 0, "both partitions merged");
    check_readable(s, "both partitions merged");
    ol_store_close(s);
out:
    g_days = 1;
    pthread_mutex_destroy(&g.mu);
    pthread_cond_destroy(&g.cv);
    ol_test_rm_rf(dir);
}

int main(void)
{
    RUN(test_tiers);
    RUN(test_background_merges);
    RUN(test_flush_beside_merge);
    ol_topo_destroy(g_topo);
    free(g_keys);
    return TEST_REPORT();
}
