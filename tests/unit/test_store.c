/*
 * test_store.c - the embedded store: append + read back, deduplication,
 * replay equivalence, torn tails at every byte, corruption (CRC) handling,
 * segment rolling, and I/O failure injection through a custom ol_io_t.
 *
 * Data: the OTLP/HTTP protobuf fixtures (real JS SDK output). With
 * OL_WAL_CORPUS_OUT=<dir> set, the small segment written by
 * test_replay_identical is also copied there (fuzz seed corpus).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec/otlp.h"
#include "core/log.h"
#include "query/read.h"
#include "store/store.h"
#include "test.h"

/* ---- helpers ---- */

typedef struct fixture {
    unsigned char *data;
    size_t len;
    ol_arena_t *arena;
    ol_otlp_batch_t batch;
} fixture_t;

static bool fixture_load(fixture_t *f, const char *signal_name, ol_signal_t sig)
{
    char rel[256];
    snprintf(rel, sizeof rel, "otlp/otlp-http-proto.%s.body", signal_name);
    memset(f, 0, sizeof *f);
    f->data = ol_test_fixture(rel, &f->len);
    if (!f->data) return false;
    f->arena = ol_arena_create(4096, 0);
    ol_err_t err;
    int rc = ol_otlp_decode(sig, ol_slice(f->data, f->len), f->arena, &f->batch, &err);
    if (rc != OL_OK) fprintf(stderr, "  decode %s: %s\n", rel, err.msg);
    return rc == OL_OK;
}

static void fixture_free(fixture_t *f)
{
    ol_arena_destroy(f->arena);
    free(f->data);
}

static fixture_t g_traces, g_logs, g_metrics;

static void make_tmpdir(char *out, size_t n)
{
    snprintf(out, n, "/tmp/olly-test-store-XXXXXX");
    if (!mkdtemp(out)) abort();
}

/* An ol_io_t over POSIX that can fail writes (after writing `partial`
 * bytes) or fsyncs, and can skip fsync to keep the many-replay tests fast. */
typedef struct test_io {
    ol_io_t io;
    bool fail_write, fail_fsync, skip_fsync;
    size_t partial;
    int failures;
} test_io_t;

static ssize_t tio_pwrite(const ol_io_t *io, int fd, const void *p, size_t n, uint64_t off)
{
    test_io_t *t = io->ud;
    const ol_io_t *px = ol_io_posix();
    if (t->fail_write) {
        t->failures++;
        if (t->partial) px->pwrite(px, fd, p, OL_MIN(t->partial, n), off);
        errno = ENOSPC;
        return -1;
    }
    return px->pwrite(px, fd, p, n, off);
}

static int tio_fsync(const ol_io_t *io, int fd)
{
    test_io_t *t = io->ud;
    if (t->fail_fsync) {
        t->failures++;
        errno = EIO;
        return -1;
    }
    if (t->skip_fsync) return 0;
    return ol_io_posix()->fsync(ol_io_posix(), fd);
}

static void test_io_init(test_io_t *t)
{
    memset(t, 0, sizeof *t);
    t->io = *ol_io_posix();
    t->io.pwrite = tio_pwrite;
    t->io.fsync = tio_fsync;
    t->io.ud = t;
}

static ol_store_t *open_store(const char *dir, ol_fsync_policy_t pol, uint64_t seg_bytes, const ol_io_t *io)
{
    ol_store_options_t o = {.dir = dir, .fsync = pol, .wal_segment_bytes = seg_bytes, .io = io, .keep_head_on_close = true};
    ol_store_t *s = NULL;
    ol_err_t err;
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

static void seg_path(const char *dir, uint64_t seq, char *out, size_t n)
{
    snprintf(out, n, "%s/wal/%016llx.wal", dir, (unsigned long long)seq);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc((size_t)n + 1);
    if (fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (n) fwrite(p, 1, n, f);
    fclose(f);
}

/* Every read query's output, concatenated: the store's visible state. */
static void dump_all(ol_store_t *s, ol_buf_t *out)
{
    ol_buf_reset(out);
    const ol_otlp_batch_t *b = &g_traces.batch;
    for (size_t i = 0; i < b->n_spans; i++) {
        ol_query_trace(s, b->spans[i].trace_id.ptr, out);
        ol_buf_append_u8(out, '\n');
    }
    ol_trace_query_t tq = {.start_ns = 0, .end_ns = UINT64_MAX, .status = OL_STATUS_ANY, .limit = 100};
    ol_query_traces(s, &tq, out);
    ol_buf_append_u8(out, '\n');
    ol_log_query_t lq = {.start_ns = 0, .end_ns = UINT64_MAX, .limit = 100};
    ol_query_logs(s, &lq, out);
    ol_buf_append_u8(out, '\n');
    ol_query_metric_names(s, out);
    ol_buf_append_u8(out, '\n');
    for (size_t i = 0; i < g_metrics.batch.n_metrics; i++) {
        ol_metric_query_t mq = {.name = g_metrics.batch.metrics[i].name, .start_ns = 0, .end_ns = UINT64_MAX};
        ol_query_metric(s, &mq, out);
        ol_buf_append_u8(out, '\n');
    }
    ol_query_services(s, out);
    ol_store_stats_t st;
    ol_store_stats(s, &st);
    ol_buf_printf(out, "\n%llu %llu %llu %llu %llu", (unsigned long long)st.spans, (unsigned long long)st.traces,
                  (unsigned long long)st.log_records, (unsigned long long)st.metric_points,
                  (unsigned long long)st.metrics);
}

static bool contains(const ol_buf_t *b, const char *s) { return memmem(b->data, b->len, s, strlen(s)) != NULL; }

/* ---- tests ---- */

static void test_fixtures_decode(void)
{
    CHECK(g_traces.batch.n_spans == 3);
    CHECK(g_logs.batch.n_logs == 2);
    CHECK(g_metrics.batch.n_metrics == 6);
}

static void test_busy_before_replay(void)
{
    char dir[64];
    make_tmpdir(dir, sizeof dir);
    ol_store_options_t o = {.dir = dir, .fsync = OL_FSYNC_NEVER, .keep_head_on_close = true};
    ol_store_t *s;
    ol_err_t err;
    CHECK_EQ_INT(ol_store_open(&o, &s, &err), OL_OK);
    CHECK(!ol_store_ready(s));
    ol_store_append_result_t r;
    CHECK_EQ_INT(ol_store_append(s, &g_traces.batch, &r), OL_BUSY);
    CHECK_EQ_INT(ol_store_replay(s), OL_OK);
    CHECK(ol_store_ready(s));
    CHECK_EQ_INT(ol_store_append(s, &g_traces.batch, &r), OL_OK);
    CHECK_EQ_INT(r.accepted, 3);
    ol_store_close(s);
    ol_test_rm_rf(dir);
}

static void test_append_read_back(void)
{
    char dir[64];
    make_tmpdir(dir, sizeof dir);
    ol_store_t *s = open_store(dir, OL_FSYNC_ALWAYS, 0, NULL);
    CHECK(s != NULL);
    if (!s) return;
    ol_store_append_result_t r;
    CHECK_EQ_INT(ol_store_append(s, &g_traces.batch, &r), OL_OK);
    CHECK_EQ_INT(r.accepted, 3);
    CHECK_EQ_INT(r.duplicates, 0);
    CHECK_EQ_INT(ol_store_append(s, &g_logs.batch, &r), OL_OK);
    CHECK_EQ_INT(r.accepted, 2);
    CHECK_EQ_INT(ol_store_append(s, &g_metrics.batch, &r), OL_OK);
    CHECK_EQ_INT(r.accepted, g_metrics.batch.n_items);

    ol_store_stats_t st;
    ol_store_stats(s, &st);
    CHECK_EQ_INT(st.spans, 3);
    CHECK_EQ_INT(st.traces, 2);
    CHECK_EQ_INT(st.log_records, 2);
    CHECK_EQ_INT(st.metric_points, g_metrics.batch.n_items);
    CHECK_EQ_INT(st.metrics, 6);
    CHECK_EQ_INT(st.wal_segments, 1);
    char p[256];
    seg_path(dir, 1, p, sizeof p);
    CHECK_EQ_INT(st.wal_bytes, file_size(p));

    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CORE, 0);
    /* The GET /checkout trace: two spans, both stored exactly. */
    const ol_otlp_span_t *get = NULL;
    for (size_t i = 0; i < g_traces.batch.n_spans; i++)
        if (ol_slice_eq_cstr(g_traces.batch.spans[i].name, "GET /checkout")) get = &g_traces.batch.spans[i];
    CHECK(get != NULL);
    if (get) {
        CHECK_EQ_INT(ol_query_trace(s, get->trace_id.ptr, &out), OL_OK);
        CHECK(contains(&out, "\"resourceSpans\""));
        CHECK(contains(&out, "\"GET /checkout\""));
        CHECK(contains(&out, "\"SELECT orders\""));
        CHECK(!contains(&out, "\"background-job\""));
        CHECK(contains(&out, "\"checkout-tracer\""));
        CHECK(contains(&out, "\"service.name\""));
    }
    uint8_t missing[16] = {1, 2, 3};
    ol_buf_reset(&out);
    CHECK_EQ_INT(ol_query_trace(s, missing, &out), OL_NOTFOUND);

    ol_buf_reset(&out);
    CHECK_EQ_INT(ol_query_services(s, &out), OL_OK);
    CHECK(contains(&out, "{\"services\":[{\"name\":\"checkout\",\"operations\":[\"GET /checkout\",\"SELECT orders\","
                         "\"background-job\"]}]}") ||
          contains(&out, "\"operations\":[\"GET /checkout\",\"SELECT orders\",\"background-job\"]"));

    ol_buf_reset(&out);
    ol_log_query_t lq = {.start_ns = 0, .end_ns = UINT64_MAX};
    CHECK_EQ_INT(ol_query_logs(s, &lq, &out), OL_OK);
    CHECK(contains(&out, "\"resourceLogs\""));
    CHECK(contains(&out, "\"logRecords\""));

    ol_buf_reset(&out);
    CHECK_EQ_INT(ol_query_metric_names(s, &out), OL_OK);
    CHECK(contains(&out, "{\"name\":\"http.server.requests\",\"type\":\"sum\""));
    CHECK(contains(&out, "\"type\":\"exponentialHistogram\""));

    ol_buf_reset(&out);
    ol_metric_query_t mq = {.name = OL_SLICE_LIT("http.server.duration"), .start_ns = 0, .end_ns = UINT64_MAX};
    CHECK_EQ_INT(ol_query_metric(s, &mq, &out), OL_OK);
    CHECK(contains(&out, "\"resourceMetrics\""));
    CHECK(contains(&out, "\"histogram\""));
    CHECK(!contains(&out, "queue.depth"));
    ol_buf_reset(&out);
    mq.name = OL_SLICE_LIT("no.such.metric");
    CHECK_EQ_INT(ol_query_metric(s, &mq, &out), OL_NOTFOUND);

    ol_buf_free(&out);
    ol_store_close(s);
    ol_test_rm_rf(dir);
}

static void test_dedup_resent_batch(void)
{
    char dir[64];
    make_tmpdir(dir, sizeof dir);
    ol_store_t *s = open_store(dir, OL_FSYNC_NEVER, 0, NULL);
    CHECK(s != NULL);
    if (!s) return;
    ol_store_append_result_t r;
    CHECK_EQ_INT(ol_store_append(s, &g_traces.batch, &r), OL_OK);
    ol_store_stats_t a, b;
    ol_store_stats(s, &a);
    CHECK_EQ_INT(ol_store_append(s, &g_traces.batch, &r), OL_OK);
    CHECK_EQ_INT(r.accepted, 0);
    CHECK_EQ_INT(r.duplicates, 3);
    ol_store_stats(s, &b);
    CHECK_EQ_INT(b.spans, 3);
    CHECK_EQ_INT(b.wal_bytes, a.wal_bytes); /* nothing written */
    ol_store_close(s);

    /* Still deduplicated after a restart. */
    s = open_store(dir, OL_FSYNC_NEVER, 0, NULL);
    CHECK(s != NULL);
    if (!s) return;
    CHECK_EQ_INT(ol_store_append(s, &g_traces.batch, &r), OL_OK);
    CHECK_EQ_INT(r.duplicates, 3);
    ol_store_stats(s, &b);
    CHECK_EQ_INT(b.spans, 3);
    ol_store_close(s);
    ol_test_rm_rf(dir);
}

/* Writes traces, logs, metrics (one record each) and returns where each
 * record starts; end = file size. */
static ol_store_t *write_three(const char *dir, uint64_t seg_bytes, const ol_io_t *io, uint64_t off[3], uint64_t *end)
{
    ol_store_t *s = open_store(dir, OL_FSYNC_NEVER, seg_bytes, io);
    if (!s) return NULL;
    const ol_otlp_batch_t *bs[3] = {&g_traces.batch, &g_logs.batch, &g_metrics.batch};
    for (int i = 0; i < 3; i++) {
        ol_store_stats_t st;
        ol_store_stats(s, &st);
        off[i] = st.wal_bytes ? st.wal_bytes : 28;
        ol_store_append_result_t r;
        CHECK_EQ_INT(ol_store_append(s, bs[i], &r), OL_OK);
    }
    ol_store_stats_t st;
    ol_store_stats(s, &st);
    *end = st.wal_bytes;
    return s;
}

static void test_replay_identical(void)
{
    char dir[64];
    make_tmpdir(dir, sizeof dir);
    uint64_t off[3], end;
    ol_store_t *s = write_three(dir, 0, NULL, off, &end);
    CHECK(s != NULL);
    if (!s) return;
    ol_buf_t before, after;
    ol_buf_init(&before, OL_MEM_CORE, 0);
    ol_buf_init(&after, OL_MEM_CORE, 0);
    dump_all(s, &before);
    ol_store_close(s);

    s = open_store(dir, OL_FSYNC_INTERVAL, 0, NULL);
    CHECK(s != NULL);
    if (!s) return;
    dump_all(s, &after);
    CHECK(before.len == after.len && memcmp(before.data, after.data, before.len) == 0);
    CHECK(contains(&after, "\n3 2 2 "));
    ol_store_stats_t st;
    ol_store_stats(s, &st);
    CHECK_EQ_INT(st.wal_bytes, end);
    ol_store_close(s);

    const char *corpus = getenv("OL_WAL_CORPUS_OUT");
    if (corpus) {
        char p[256], q[512];
        seg_path(dir, 1, p, sizeof p);
        size_t n;
        unsigned char *d = read_file(p, &n);
        /* The fuzzer's first byte picks the mode: odd = the file as is,
         * even = records only (it supplies the header, fixes CRCs). */
        if (d && n >= 28) {
            unsigned char *seed = malloc(n + 1);
            seed[0] = 1;
            memcpy(seed + 1, d, n);
            snprintf(q, sizeof q, "%s/three-records-raw", corpus);
            write_file(q, seed, n + 1);
            seed[28] = 0;
            snprintf(q, sizeof q, "%s/three-records-fixup", corpus);
            write_file(q, seed + 28, n + 1 - 28);
            free(seed);
        }
        free(d);
    }
    ol_buf_free(&before);
    ol_buf_free(&after);
    ol_test_rm_rf(dir);
}

/* Cut the last record (metrics) at every byte: the first two records stay,
 * the torn one is dropped, the file is cut back to the last good record. */
static void test_torn_tail_every_offset(void)
{
    char dir[64];
    make_tmpdir(dir, sizeof dir);
    test_io_t tio;
    test_io_init(&tio);
    tio.skip_fsync = true;
    uint64_t off[3], end;
    ol_store_t *s = write_three(dir, 0, &tio.io, off, &end);
    CHECK(s != NULL);
    if (!s) return;
    ol_store_close(s);
    char p[256];
    seg_path(dir, 1, p, sizeof p);
    size_t n;
    unsigned char *orig = read_file(p, &n);
    CHECK(orig && n == end);
    if (!orig) return;

    ol_log_level_t lvl = ol_log_get_level();
    ol_log_set_level(OL_LOG_ERROR); /* one warning per cut otherwise */
    int bad = 0;
    for (uint64_t cut = off[2]; cut < end; cut++) {
        write_file(p, orig, cut);
        s = open_store(dir, OL_FSYNC_NEVER, 0, &tio.io);
        if (!s) {
            bad++;
            continue;
        }
        ol_store_stats_t st;
        ol_store_stats(s, &st);
        if (st.spans != 3 || st.log_records != 2 || st.metric_points != 0 || st.wal_bytes != off[2]) bad++;
        ol_store_close(s);
        if (file_size(p) != (long)off[2]) bad++;
    }
    ol_log_set_level(lvl);
    CHECK_EQ_INT(bad, 0);

    /* After the repair, appending continues at the cut. */
    s = open_store(dir, OL_FSYNC_NEVER, 0, &tio.io);
    CHECK(s != NULL);
    if (s) {
        ol_store_append_result_t r;
        CHECK_EQ_INT(ol_store_append(s, &g_metrics.batch, &r), OL_OK);
        ol_store_close(s);
        s = open_store(dir, OL_FSYNC_NEVER, 0, &tio.io);
        ol_store_stats_t st;
        ol_store_stats(s, &st);
        CHECK_EQ_INT(st.metric_points, g_metrics.batch.n_items);
        CHECK_EQ_INT(st.wal_bytes, end);
        ol_store_close(s);
    }
    free(orig);
    ol_test_rm_rf(dir);
}

static void test_flipped_byte(void)
{
    char dir[64];
    make_tmpdir(dir, sizeof dir);
    test_io_t tio;
    test_io_init(&tio);
    tio.skip_fsync = true;
    uint64_t off[3], end;
    ol_store_t *s = write_three(dir, 0, &tio.io, off, &end);
    CHECK(s != NULL);
    if (!s) return;
    ol_store_close(s);
    char p[256];
    seg_path(dir, 1, p, sizeof p);
    size_t n;
    unsigned char *orig = read_file(p, &n);
    if (!orig) return;

    ol_log_level_t lvl = ol_log_get_level();
    ol_log_set_level(OL_LOG_ERROR + 1);
    /* Any single flipped bit in the last record: it is not indexed. */
    int bad = 0;
    for (uint64_t i = off[2]; i < end; i += 7) {
        unsigned char *d = malloc(n);
        memcpy(d, orig, n);
        d[i] ^= 0x10;
        write_file(p, d, n);
        free(d);
        s = open_store(dir, OL_FSYNC_NEVER, 0, &tio.io);
        ol_store_stats_t st;
        ol_store_stats(s, &st);
        if (st.spans != 3 || st.log_records != 2 || st.metric_points != 0) bad++;
        ol_store_close(s);
    }
    CHECK_EQ_INT(bad, 0);

    /* A flipped byte in the middle record: that record and the rest of the
     * segment are moved aside, the first record stays. */
    unsigned char *d = malloc(n);
    memcpy(d, orig, n);
    d[off[1] + 30] ^= 0xff;
    write_file(p, d, n);
    s = open_store(dir, OL_FSYNC_NEVER, 0, &tio.io);
    ol_store_stats_t st;
    ol_store_stats(s, &st);
    CHECK_EQ_INT(st.spans, 3);
    CHECK_EQ_INT(st.log_records, 0);
    CHECK_EQ_INT(st.metric_points, 0);
    ol_store_close(s);
    CHECK_EQ_INT(file_size(p), (long)off[1]);
    char aside[320];
    snprintf(aside, sizeof aside, "%s.corrupt-%llu", p, (unsigned long long)off[1]);
    CHECK_EQ_INT(file_size(aside), (long)(end - off[1]));
    size_t an;
    unsigned char *ad = read_file(aside, &an);
    CHECK(ad && an == end - off[1] && memcmp(ad, d + off[1], an) == 0);
    free(ad);
    free(d);
    ol_log_set_level(lvl);
    free(orig);
    ol_test_rm_rf(dir);
}

/* One record per segment; damage in segment 2 loses only segment 2. */
static void test_segments_roll_and_corruption(void)
{
    char dir[64];
    make_tmpdir(dir, sizeof dir);
    test_io_t tio;
    test_io_init(&tio);
    tio.skip_fsync = true;
    uint64_t off[3], end;
    ol_store_t *s = write_three(dir, 1, &tio.io, off, &end);
    CHECK(s != NULL);
    if (!s) return;
    ol_store_stats_t st;
    ol_store_stats(s, &st);
    CHECK_EQ_INT(st.wal_segments, 3);
    ol_store_close(s);

    s = open_store(dir, OL_FSYNC_NEVER, 1, &tio.io);
    ol_store_stats(s, &st);
    CHECK_EQ_INT(st.wal_segments, 3);
    CHECK_EQ_INT(st.spans, 3);
    CHECK_EQ_INT(st.log_records, 2);
    CHECK_EQ_INT(st.metric_points, g_metrics.batch.n_items);
    ol_store_close(s);

    char p[256];
    seg_path(dir, 2, p, sizeof p);
    size_t n;
    unsigned char *d = read_file(p, &n);
    CHECK(d != NULL);
    if (!d) return;
    d[n - 1] ^= 1; /* last byte of the only record of a non-last segment */
    write_file(p, d, n);
    free(d);
    ol_log_level_t lvl = ol_log_get_level();
    ol_log_set_level(OL_LOG_ERROR + 1);
    s = open_store(dir, OL_FSYNC_NEVER, 1, &tio.io);
    ol_log_set_level(lvl);
    ol_store_stats(s, &st);
    CHECK_EQ_INT(st.spans, 3);
    CHECK_EQ_INT(st.log_records, 0);
    CHECK_EQ_INT(st.metric_points, g_metrics.batch.n_items);
    ol_store_close(s);
    CHECK_EQ_INT(file_size(p), 28);
    ol_test_rm_rf(dir);
}

static void test_enospc(void)
{
    char dir[64];
    make_tmpdir(dir, sizeof dir);
    test_io_t tio;
    test_io_init(&tio);
    ol_store_t *s = open_store(dir, OL_FSYNC_ALWAYS, 0, &tio.io);
    CHECK(s != NULL);
    if (!s) return;
    ol_store_append_result_t r;
    CHECK_EQ_INT(ol_store_append(s, &g_logs.batch, &r), OL_OK);
    char p[256];
    seg_path(dir, 1, p, sizeof p);
    long size0 = file_size(p);
    ol_store_stats_t a, b;
    ol_store_stats(s, &a);

    ol_log_level_t lvl = ol_log_get_level();
    ol_log_set_level(OL_LOG_ERROR + 1);
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CORE, 0);
    /* Write fails outright, after a partial write, or the fsync fails. */
    for (int mode = 0; mode < 3; mode++) {
        tio.fail_write = mode < 2;
        tio.partial = mode == 1 ? 100 : 0;
        tio.fail_fsync = mode == 2;
        CHECK_EQ_INT(ol_store_append(s, &g_traces.batch, &r), OL_FULL);
        CHECK_EQ_INT(r.accepted, 0);
        ol_store_stats(s, &b);
        CHECK_EQ_INT(b.spans, 0);
        CHECK_EQ_INT(b.traces, 0);
        CHECK_EQ_INT(b.wal_bytes, a.wal_bytes);
        CHECK_EQ_INT(b.append_errors, (uint64_t)mode + 1);
        CHECK_EQ_INT(file_size(p), size0);
        ol_buf_reset(&out);
        CHECK_EQ_INT(ol_query_trace(s, g_traces.batch.spans[0].trace_id.ptr, &out), OL_NOTFOUND);
        ol_buf_reset(&out);
        CHECK_EQ_INT(ol_query_services(s, &out), OL_OK);
        CHECK(contains(&out, "{\"services\":[]}"));
    }
    ol_log_set_level(lvl);
    CHECK(tio.failures >= 3);

    tio.fail_write = tio.fail_fsync = false;
    CHECK_EQ_INT(ol_store_append(s, &g_traces.batch, &r), OL_OK);
    CHECK_EQ_INT(r.accepted, 3);
    CHECK_EQ_INT(r.duplicates, 0);
    ol_buf_reset(&out);
    CHECK_EQ_INT(ol_query_trace(s, g_traces.batch.spans[0].trace_id.ptr, &out), OL_OK);
    ol_store_close(s);

    /* The log holds exactly the two good records. */
    s = open_store(dir, OL_FSYNC_NEVER, 0, NULL);
    ol_store_stats(s, &b);
    CHECK_EQ_INT(b.spans, 3);
    CHECK_EQ_INT(b.log_records, 2);
    ol_store_close(s);
    ol_buf_free(&out);
    ol_test_rm_rf(dir);
}

/* Creating a segment fails: OL_FULL, and a later append recovers. */
static void test_enospc_on_roll(void)
{
    char dir[64];
    make_tmpdir(dir, sizeof dir);
    test_io_t tio;
    test_io_init(&tio);
    tio.skip_fsync = true;
    ol_store_t *s = open_store(dir, OL_FSYNC_NEVER, 1, &tio.io);
    CHECK(s != NULL);
    if (!s) return;
    ol_log_level_t lvl = ol_log_get_level();
    ol_log_set_level(OL_LOG_ERROR + 1);
    tio.fail_write = true;
    ol_store_append_result_t r;
    CHECK_EQ_INT(ol_store_append(s, &g_logs.batch, &r), OL_FULL);
    ol_log_set_level(lvl);
    char p[256];
    seg_path(dir, 1, p, sizeof p);
    CHECK_EQ_INT(file_size(p), -1);
    tio.fail_write = false;
    CHECK_EQ_INT(ol_store_append(s, &g_logs.batch, &r), OL_OK);
    CHECK_EQ_INT(r.accepted, 2);
    ol_store_stats_t st;
    ol_store_stats(s, &st);
    CHECK_EQ_INT(st.log_records, 2);
    CHECK_EQ_INT(st.wal_segments, 1);
    ol_store_close(s);
    ol_test_rm_rf(dir);
}

static void test_sync_and_interval(void)
{
    char dir[64];
    make_tmpdir(dir, sizeof dir);
    ol_store_options_t o = {.dir = dir, .fsync = OL_FSYNC_INTERVAL, .fsync_interval_ms = 5, .keep_head_on_close = true};
    ol_store_t *s;
    ol_err_t err;
    CHECK_EQ_INT(ol_store_open(&o, &s, &err), OL_OK);
    CHECK_EQ_INT(ol_store_replay(s), OL_OK);
    ol_store_append_result_t r;
    CHECK_EQ_INT(ol_store_append(s, &g_metrics.batch, &r), OL_OK);
    usleep(20000);
    CHECK_EQ_INT(ol_store_sync(s), OL_OK);
    ol_store_close(s);
    ol_test_rm_rf(dir);
}

/* Appenders and readers at the same time: every append is visible, no read
 * sees a half-indexed record (run under ASan/TSan to be meaningful). */
#define CONC_APPENDS 200
static ol_store_t *g_conc;
static atomic_int g_conc_done;

static void *conc_writer(void *arg)
{
    const ol_otlp_batch_t *b = arg;
    for (int i = 0; i < CONC_APPENDS; i++) {
        ol_store_append_result_t r;
        if (ol_store_append(g_conc, b, &r) != OL_OK) abort();
    }
    atomic_fetch_add(&g_conc_done, 1);
    return NULL;
}

static void *conc_reader(void *arg)
{
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CORE, 0);
    long *bad = arg;
    while (atomic_load(&g_conc_done) < 2) {
        ol_log_query_t lq = {.start_ns = 0, .end_ns = UINT64_MAX, .limit = 50};
        ol_buf_reset(&out);
        if (ol_query_logs(g_conc, &lq, &out) != OL_OK) (*bad)++;
        ol_metric_query_t mq = {.name = OL_SLICE_LIT("queue.depth"), .start_ns = 0, .end_ns = UINT64_MAX};
        ol_buf_reset(&out);
        int rc = ol_query_metric(g_conc, &mq, &out);
        if (rc != OL_OK && rc != OL_NOTFOUND) (*bad)++;
        ol_buf_reset(&out);
        ol_query_metric_names(g_conc, &out);
        ol_store_stats_t st;
        ol_store_stats(g_conc, &st);
        if (st.log_records % 2) (*bad)++; /* records of one batch appear together */
    }
    ol_buf_free(&out);
    return NULL;
}

static void test_concurrent_append_and_read(void)
{
    char dir[64];
    make_tmpdir(dir, sizeof dir);
    g_conc = open_store(dir, OL_FSYNC_INTERVAL, 64 * 1024, NULL);
    CHECK(g_conc != NULL);
    if (!g_conc) return;
    atomic_store(&g_conc_done, 0);
    long bad[2] = {0, 0};
    pthread_t w1, w2, r1, r2;
    pthread_create(&r1, NULL, conc_reader, &bad[0]);
    pthread_create(&r2, NULL, conc_reader, &bad[1]);
    pthread_create(&w1, NULL, conc_writer, (void *)&g_logs.batch);
    pthread_create(&w2, NULL, conc_writer, (void *)&g_metrics.batch);
    pthread_join(w1, NULL);
    pthread_join(w2, NULL);
    pthread_join(r1, NULL);
    pthread_join(r2, NULL);
    CHECK_EQ_INT(bad[0] + bad[1], 0);
    ol_store_stats_t st;
    ol_store_stats(g_conc, &st);
    CHECK_EQ_INT(st.log_records, 2 * CONC_APPENDS);
    CHECK_EQ_INT(st.metric_points, CONC_APPENDS * g_metrics.batch.n_items);
    CHECK(st.wal_segments > 1);
    ol_store_close(g_conc);
    g_conc = open_store(dir, OL_FSYNC_NEVER, 64 * 1024, NULL);
    ol_store_stats_t st2;
    ol_store_stats(g_conc, &st2);
    CHECK_EQ_INT(st2.log_records, st.log_records);
    CHECK_EQ_INT(st2.metric_points, st.metric_points);
    CHECK_EQ_INT(st2.wal_bytes, st.wal_bytes);
    CHECK_EQ_INT(st2.wal_segments, st.wal_segments);
    ol_store_close(g_conc);
    ol_test_rm_rf(dir);
}

int main(void)
{
    ol_log_set_level(OL_LOG_WARN);
    bool ok = fixture_load(&g_traces, "traces", OL_SIGNAL_TRACES) && fixture_load(&g_logs, "logs", OL_SIGNAL_LOGS) &&
              fixture_load(&g_metrics, "metrics", OL_SIGNAL_METRICS);
    CHECK(ok);
    if (!ok) return TEST_REPORT() | 1;
    RUN(test_fixtures_decode);
    RUN(test_busy_before_replay);
    RUN(test_append_read_back);
    RUN(test_dedup_resent_batch);
    RUN(test_replay_identical);
    RUN(test_torn_tail_every_offset);
    RUN(test_flipped_byte);
    RUN(test_segments_roll_and_corruption);
    RUN(test_enospc);
    RUN(test_enospc_on_roll);
    RUN(test_sync_and_interval);
    RUN(test_concurrent_append_and_read);
    fixture_free(&g_traces);
    fixture_free(&g_logs);
    fixture_free(&g_metrics);
    return TEST_REPORT();
}
