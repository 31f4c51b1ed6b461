/*
 * fuzz_wal_replay.c - WAL replay over arbitrary segment bytes.
 *
 * The input becomes segment 0000000000000001.wal in a scratch directory:
 *   first byte odd:  the rest of the input is the file, as is (exercises the
 *                    segment header checks);
 *   first byte even: a valid segment header, then the rest of the input with
 *                    every record CRC that can be located fixed up, so the
 *                    fuzzer reaches payload decoding and indexing.
 * Then:
 *   1. the WAL layer replays it; every record handed out is checked against
 *      the original bytes: it must lie inside the file and carry a valid CRC
 *      (a record whose CRC fails must never be indexed);
 *   2. the file is rewritten and the whole store replays it and answers
 *      every kind of query (must not crash, leak or read out of bounds).
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"
#include "query/read.h"
#include "store/embedded/embedded.h"

static char g_dir[128], g_wal[160], g_seg[200];
static ol_io_t g_io;

static int fz_fsync(const ol_io_t *io, int fd) { return 0; }

static int fz_rm(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    if (ftw->level >= 1) remove(p); /* files inside wal/ */
    return 0;
}

static int fz_rm_all(const char *p, const struct stat *sb, int flag, struct FTW *ftw) { return remove(p); }
static void fz_cleanup(void) { nftw(g_dir, fz_rm_all, 8, FTW_DEPTH | FTW_PHYS); }

static void fz_setup(void)
{
    if (g_dir[0]) return;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(g_dir, sizeof g_dir, "%s/olly-fuzz-wal-XXXXXX", base);
    if (!mkdtemp(g_dir)) abort();
    snprintf(g_wal, sizeof g_wal, "%s/wal", g_dir);
    snprintf(g_seg, sizeof g_seg, "%s/0000000000000001.wal", g_wal);
    mkdir(g_wal, 0755);
    atexit(fz_cleanup);
    g_io = *ol_io_posix();
    g_io.fsync = fz_fsync;
    ol_log_set_level((ol_log_level_t)(OL_LOG_ERROR + 1));
}

static void fz_write(const uint8_t *p, size_t n)
{
    nftw(g_wal, fz_rm, 8, FTW_DEPTH | FTW_PHYS);
    FILE *f = fopen(g_seg, "wb");
    if (!f) abort();
    if (n && fwrite(p, 1, n, f) != n) abort();
    fclose(f);
}

typedef struct fz_ctx {
    const uint8_t *file;
    size_t len;
    size_t records;
} fz_ctx_t;

static void fz_check_record(void *ud, ol_wal_record_t *rec)
{
    fz_ctx_t *c = ud;
    if (rec->segment_seq != 1 || rec->offset < OL_WAL_SEG_HDR || rec->offset > c->len ||
        c->len - rec->offset < OL_WAL_REC_HDR + rec->mem_len)
        abort();
    const uint8_t *h = c->file + rec->offset;
    uint32_t crc = ol_crc32c(ol_crc32c(0, h, 16), h + OL_WAL_REC_HDR, rec->mem_len);
    if (h[0] != OL_WAL_REC_BATCH || ol_load_le32(h + 4) != rec->mem_len || ol_load_le32(h + 16) != crc ||
        memcmp(h + OL_WAL_REC_HDR, rec->mem, rec->mem_len) != 0 || h[1] != rec->signal)
        abort();
    c->records++;
    ol_free(OL_MEM_STORE, rec->mem, rec->mem_len);
}

/* Valid segment header + body with locatable record CRCs recomputed. */
static uint8_t *fz_fixup(const uint8_t *body, size_t n, size_t *out_len)
{
    size_t len = OL_WAL_SEG_HDR + n;
    uint8_t *f = malloc(len ? len : 1);
    memcpy(f, "OLLYWAL", 8);
    ol_store_le32(f + 8, OL_WAL_VERSION);
    ol_store_le32(f + 12, 0);
    ol_store_le64(f + 16, 1);
    ol_store_le32(f + 24, ol_crc32c(0, f, 24));
    if (n) memcpy(f + OL_WAL_SEG_HDR, body, n);
    size_t off = OL_WAL_SEG_HDR;
    while (len - off >= OL_WAL_REC_HDR) {
        uint8_t *h = f + off;
        uint32_t pl = ol_load_le32(h + 4);
        if (pl > len - off - OL_WAL_REC_HDR) break;
        ol_store_le32(h + 16, ol_crc32c(ol_crc32c(0, h, 16), h + OL_WAL_REC_HDR, pl));
        off += OL_WAL_REC_HDR + pl;
    }
    *out_len = len;
    return f;
}

static void fz_queries(ol_store_t *s)
{
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_QUERY, 0);
    ol_trace_query_t tq = {.start_ns = 0, .end_ns = UINT64_MAX, .status = OL_STATUS_ANY, .limit = 5};
    tq.attrs[0] = (ol_attr_filter_t){OL_SLICE_LIT("k"), OL_SLICE_LIT("v")};
    ol_query_traces(s, &tq, &out);
    tq.n_attrs = 1;
    ol_buf_reset(&out);
    ol_query_traces(s, &tq, &out);
    ol_buf_reset(&out);
    ol_query_services(s, &out);
    ol_log_query_t lq = {.start_ns = 0, .end_ns = UINT64_MAX, .q = OL_SLICE_LIT("a"), .limit = 10};
    ol_buf_reset(&out);
    ol_query_logs(s, &lq, &out);
    ol_buf_reset(&out);
    ol_query_metric_names(s, &out);
    ol_metric_query_t mq = {.name = OL_SLICE_LIT("m"), .start_ns = 1, .end_ns = UINT64_MAX, .n_attrs = 1};
    mq.attrs[0] = (ol_attr_filter_t){OL_SLICE_LIT("k"), OL_SLICE_LIT("v")};
    ol_buf_reset(&out);
    ol_query_metric(s, &mq, &out);
    uint8_t id[16] = {1};
    ol_buf_reset(&out);
    ol_query_trace(s, id, &out);
    ol_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > (1u << 20)) return 0;
    fz_setup();
    size_t len;
    uint8_t *file;
    if (data[0] & 1) {
        len = size - 1;
        file = malloc(len ? len : 1);
        if (len) memcpy(file, data + 1, len);
    } else {
        file = fz_fixup(data + 1, size - 1, &len);
    }

    fz_write(file, len);
    ol_wal_t *w;
    if (ol_wal_open(g_wal, &g_io, 0, OL_FSYNC_NEVER, 0, &w) != OL_OK) abort();
    fz_ctx_t c = {file, len, 0};
    ol_wal_replay(w, fz_check_record, &c);
    ol_wal_close(w);

    fz_write(file, len);
    ol_store_options_t o = {.dir = g_dir, .fsync = OL_FSYNC_NEVER, .io = &g_io};
    ol_store_t *s;
    ol_err_t err;
    if (ol_store_open(&o, &s, &err) != OL_OK) abort();
    ol_store_replay(s);
    fz_queries(s);
    ol_store_stats_t st;
    ol_store_stats(s, &st);
    ol_store_close(s);
    free(file);
    return 0;
}
