/*
 * test_store_catalog.c - the partition catalog (src/store/embedded/catalog.c,
 * docs/format/manifest.md): manifest and checkpoint encoding against the
 * offset tables, every truncation and flipped bit, each field a reader must
 * reject, the atomic replace with a failure or a "crash" injected at every
 * step, the start-up sweep, set-aside, day and part naming, listing,
 * partition creation and retention drops.
 *
 * With OL_MANIFEST_CORPUS_OUT=<dir> set, the seed corpus of
 * tests/fuzz/fuzz_manifest.c is written there (first byte odd: the file as
 * is; even: the fuzzer fixes the trailing CRC up).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"
#include "store/embedded/catalog.h"
#include "test.h"

/* ---- helpers ---- */

static void make_tmpdir(char *out, size_t n)
{
    snprintf(out, n, "/tmp/olly-test-catalog-XXXXXX");
    if (!mkdtemp(out)) abort();
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (n && fwrite(p, 1, n, f) != n) abort();
    fclose(f);
}

static void touch(const char *dir, const char *name, size_t size)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    uint8_t buf[256] = {0};
    if (size > sizeof buf) abort();
    write_file(p, buf, size);
}

static bool exists(const char *dir, const char *name)
{
    char p[512];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return lstat(p, &st) == 0;
}

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return (size_t)-1;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static ol_part_entry_t part(uint64_t id, uint64_t wal_segment)
{
    return (ol_part_entry_t){.id = id,
                             .level = (uint32_t)(id % 3),
                             .rows = 1000 * id,
                             .bytes = 100 + id,
                             .min_ns = 20778 * OL_CATALOG_DAY_NS + id,
                             .max_ns = 20778 * OL_CATALOG_DAY_NS + 1000 * id,
                             .wal_segment = wal_segment,
                             .footer_crc = 0xC0FFEE00u + (uint32_t)id,
                             .flags = 0};
}

/* A manifest of n parts with ids 10, 20, ... */
static void build(ol_manifest_t *m, size_t n)
{
    ol_manifest_init(m, OL_SIGNAL_LOGS, 20778);
    m->generation = 7;
    for (size_t i = 0; i < n; i++) {
        ol_part_entry_t e = part(10 * (i + 1), 3 + i);
        if (ol_manifest_add(m, &e) != OL_OK) abort();
    }
}

static bool same_parts(const ol_manifest_t *a, const ol_manifest_t *b)
{
    if (a->signal != b->signal || a->day != b->day || a->generation != b->generation || a->n_parts != b->n_parts)
        return false;
    for (size_t i = 0; i < a->n_parts; i++) {
        const ol_part_entry_t *x = &a->parts[i], *y = &b->parts[i];
        if (x->id != y->id || x->level != y->level || x->rows != y->rows || x->bytes != y->bytes ||
            x->min_ns != y->min_ns || x->max_ns != y->max_ns || x->wal_segment != y->wal_segment ||
            x->footer_crc != y->footer_crc || x->flags != y->flags)
            return false;
    }
    return true;
}

static void fix_crc(uint8_t *p, size_t n)
{
    if (n >= 4) ol_store_le32(p + n - 4, ol_crc32c(0, p, n - 4));
}

static int decode_fixed(uint8_t *p, size_t n, ol_err_t *err)
{
    fix_crc(p, n);
    ol_manifest_t m;
    int rc = ol_manifest_decode(ol_slice(p, n), &m, err);
    ol_manifest_free(&m);
    return rc;
}

static bool contains(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

/* ---- an ol_io_t that fails the k-th mutating operation, or "crashes" there ---- */

typedef enum { OP_CREATE, OP_WRITE, OP_FSYNC, OP_CLOSE, OP_RENAME, OP_UNLINK, OP_RMDIR, OP_FSYNC_DIR } op_t;

typedef struct fault_io {
    ol_io_t io;
    int ops;      /* mutating operations seen */
    int fail_at;  /* 1-based; 0 = never */
    bool crash;   /* from fail_at on every mutating operation fails (the process is gone) */
    int fail_errno;
    size_t partial; /* bytes a failing write still writes */
    op_t log[64];
    int failures;
} fault_io_t;

static bool fio_fail(const ol_io_t *io, op_t k)
{
    fault_io_t *f = io->ud;
    f->ops++;
    if (f->ops <= (int)OL_ARRAY_LEN(f->log)) f->log[f->ops - 1] = k;
    if (f->fail_at && (f->ops == f->fail_at || (f->crash && f->ops > f->fail_at))) {
        f->failures++;
        errno = f->fail_errno;
        return true;
    }
    return false;
}

static int fio_open(const ol_io_t *io, const char *path, int flags, int mode)
{
    if ((flags & O_CREAT) && fio_fail(io, OP_CREATE)) return -1;
    return ol_io_posix()->open(ol_io_posix(), path, flags, mode);
}

static ssize_t fio_pwrite(const ol_io_t *io, int fd, const void *p, size_t n, uint64_t off)
{
    fault_io_t *f = io->ud;
    const ol_io_t *px = ol_io_posix();
    if (fio_fail(io, OP_WRITE)) {
        int e = errno;
        if (f->partial) px->pwrite(px, fd, p, OL_MIN(f->partial, n), off);
        errno = e;
        return -1;
    }
    return px->pwrite(px, fd, p, n, off);
}

static int fio_fsync(const ol_io_t *io, int fd) { return fio_fail(io, OP_FSYNC) ? -1 : 0; }

static int fio_close(const ol_io_t *io, int fd)
{
    bool fail = fio_fail(io, OP_CLOSE);
    int e = errno;
    close(fd);
    errno = e;
    return fail ? -1 : 0;
}

static int fio_rename(const ol_io_t *io, const char *a, const char *b)
{
    return fio_fail(io, OP_RENAME) ? -1 : rename(a, b);
}

static int fio_unlink(const ol_io_t *io, const char *p) { return fio_fail(io, OP_UNLINK) ? -1 : unlink(p); }
static int fio_rmdir(const ol_io_t *io, const char *p) { return fio_fail(io, OP_RMDIR) ? -1 : rmdir(p); }
static int fio_fsync_dir(const ol_io_t *io, const char *d) { return fio_fail(io, OP_FSYNC_DIR) ? -1 : 0; }

static void fio_init(fault_io_t *f, int fail_at, bool crash, int err)
{
    memset(f, 0, sizeof *f);
    f->io = *ol_io_posix();
    f->io.open = fio_open;
    f->io.pwrite = fio_pwrite;
    f->io.fsync = fio_fsync;
    f->io.close = fio_close;
    f->io.rename = fio_rename;
    f->io.unlink = fio_unlink;
    f->io.rmdir = fio_rmdir;
    f->io.fsync_dir = fio_fsync_dir;
    f->io.ud = f;
    f->fail_at = fail_at;
    f->crash = crash;
    f->fail_errno = err;
}

/* ---- naming ---- */

static void test_day_naming(void)
{
    char s[OL_CATALOG_DAY_LEN + 1];
    uint32_t d = 12345;
    CHECK_EQ_INT(ol_catalog_day_format(0, s), OL_OK);
    CHECK(strcmp(s, "1970-01-01") == 0);
    CHECK_EQ_INT(ol_catalog_day_format(20778, s), OL_OK);
    CHECK(strcmp(s, "2026-11-21") == 0);
    CHECK_EQ_INT(ol_catalog_day_format(11016, s), OL_OK);
    CHECK(strcmp(s, "2000-02-29") == 0);
    CHECK_EQ_INT(ol_catalog_day_format(OL_CATALOG_MAX_DAY, s), OL_OK);
    CHECK(strcmp(s, "9999-12-31") == 0);
    CHECK_EQ_INT(ol_catalog_day_format(OL_CATALOG_MAX_DAY + 1, s), OL_LIMIT);
    CHECK_EQ_INT(ol_catalog_day_format(UINT32_MAX, s), OL_LIMIT);

    CHECK_EQ_INT(ol_catalog_day_parse(OL_SLICE_LIT("2026-11-21"), &d), OL_OK);
    CHECK_EQ_INT(d, 20778);
    CHECK_EQ_INT(ol_catalog_day_parse(OL_SLICE_LIT("2024-02-29"), &d), OL_OK);
    CHECK_EQ_INT(d, 19782);
    CHECK_EQ_INT(ol_catalog_day_parse(OL_SLICE_LIT("9999-12-31"), &d), OL_OK);
    CHECK_EQ_INT(d, OL_CATALOG_MAX_DAY);
    CHECK_EQ_INT(ol_catalog_day_parse(OL_SLICE_LIT("1970-01-01"), &d), OL_OK);
    CHECK_EQ_INT(d, 0);
    static const char *const bad[] = {
        "1969-12-31", "0000-01-01", "1900-02-29", "2023-02-29", "2100-02-29", "2026-04-31", "2026-13-01",
        "2026-00-10", "2026-01-00", "2026-1-01",  "2026/01/01", "2026-01-01x", "2026-01-0", "",
        "+026-01-01", "2026-01- 1", "20260101xx", "abcd-ef-gh", "2026-02-30",
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(bad); i++) {
        d = 777;
        CHECK_EQ_INT(ol_catalog_day_parse(ol_slice_cstr(bad[i]), &d), OL_CORRUPT);
        CHECK_EQ_INT(d, 777);
    }

    /* Every day round trips, and consecutive days are consecutive dates. */
    int bad_round = 0;
    char prev[OL_CATALOG_DAY_LEN + 1] = "";
    for (uint32_t day = 0; day <= OL_CATALOG_MAX_DAY; day++) {
        uint32_t back = UINT32_MAX;
        if (ol_catalog_day_format(day, s) != OL_OK || ol_catalog_day_parse(ol_slice(s, OL_CATALOG_DAY_LEN), &back) != OL_OK ||
            back != day || strcmp(s, prev) <= 0)
            bad_round++;
        memcpy(prev, s, sizeof s);
    }
    CHECK_EQ_INT(bad_round, 0);

    /* Days from Unix ns: the last nanosecond of a day and the first of the next. */
    CHECK_EQ_INT(ol_catalog_day_of_ns(0), 0);
    CHECK_EQ_INT(ol_catalog_day_of_ns(20779 * OL_CATALOG_DAY_NS - 1), 20778);
    CHECK_EQ_INT(ol_catalog_day_of_ns(20779 * OL_CATALOG_DAY_NS), 20779);
    CHECK_EQ_INT(ol_catalog_day_of_ns(UINT64_MAX), 213503);
    CHECK_EQ_INT(ol_catalog_day_format(ol_catalog_day_of_ns(UINT64_MAX), s), OL_OK);
    CHECK(strcmp(s, "2554-07-21") == 0);
    uint64_t a, b;
    ol_catalog_day_range_ns(20778, &a, &b);
    CHECK(a == 20778 * OL_CATALOG_DAY_NS && b == 20779 * OL_CATALOG_DAY_NS);
    ol_catalog_day_range_ns(213503, &a, &b);
    CHECK(a == 213503 * OL_CATALOG_DAY_NS && b == UINT64_MAX);
    ol_catalog_day_range_ns(213504, &a, &b);
    CHECK(a == UINT64_MAX && b == UINT64_MAX);
    ol_catalog_day_range_ns(OL_CATALOG_MAX_DAY, &a, &b);
    CHECK(a == UINT64_MAX && b == UINT64_MAX);
}

static void test_part_naming(void)
{
    char n[OL_CATALOG_PART_NAME_LEN + 1];
    uint64_t id = 0;
    ol_catalog_part_name(1, n);
    CHECK(strcmp(n, "0000000000000001.olp") == 0);
    ol_catalog_part_name(UINT64_MAX, n);
    CHECK(strcmp(n, "ffffffffffffffff.olp") == 0);
    ol_catalog_part_name(0x00ab00cd00ef0123ull, n);
    CHECK(strcmp(n, "00ab00cd00ef0123.olp") == 0);
    CHECK(ol_catalog_part_name_parse(n, &id));
    CHECK(id == 0x00ab00cd00ef0123ull);
    CHECK(ol_catalog_part_name_parse("ffffffffffffffff.olp", &id) && id == UINT64_MAX);
    static const char *const bad[] = {"0000000000000000.olp", "00000000000000AB.olp", "000000000000001.olp",
                                      "00000000000000001.olp", "0000000000000001.olp.tmp", "0000000000000001.OLP",
                                      "000000000000000g.olp", "0000000000000001.olq", "MANIFEST", ""};
    for (size_t i = 0; i < OL_ARRAY_LEN(bad); i++) {
        id = 5;
        CHECK(!ol_catalog_part_name_parse(bad[i], &id));
        CHECK(id == 5);
    }

    char p[64];
    CHECK_EQ_INT(ol_catalog_partition_path("/d", OL_SIGNAL_TRACES, 20778, p, sizeof p), OL_OK);
    CHECK(strcmp(p, "/d/parts/traces/2026-11-21") == 0);
    CHECK_EQ_INT(ol_catalog_partition_path("/d", OL_SIGNAL_METRICS, 0, p, sizeof p), OL_OK);
    CHECK(strcmp(p, "/d/parts/metrics/1970-01-01") == 0);
    CHECK_EQ_INT(ol_catalog_partition_path("/d", OL_SIGNAL_LOGS, 20778, p, sizeof p), OL_OK);
    CHECK(strcmp(p, "/d/parts/logs/2026-11-21") == 0);
    CHECK_EQ_INT(ol_catalog_partition_path("/d", OL_SIGNAL_LOGS, OL_CATALOG_MAX_DAY + 1, p, sizeof p), OL_ERR);
    CHECK_EQ_INT(ol_catalog_partition_path("/d", (ol_signal_t)3, 1, p, sizeof p), OL_ERR);
    CHECK_EQ_INT(ol_catalog_partition_path("/d", OL_SIGNAL_LOGS, 1, p, 20), OL_LIMIT);
    CHECK_EQ_INT(ol_catalog_part_path("/d/x", 0x2a, p, sizeof p), OL_OK);
    CHECK(strcmp(p, "/d/x/000000000000002a.olp") == 0);
    CHECK_EQ_INT(ol_catalog_part_path("/d/x", 0x2a, p, 10), OL_LIMIT);
}

/* ---- encoding ---- */

static void test_manifest_layout(void)
{
    ol_manifest_t m;
    build(&m, 2);
    m.parts[1].flags = OL_PART_FLAG_TOMBSTONE;
    m.parts[1].max_ns = UINT64_MAX;
    m.parts[1].level = UINT32_MAX;
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_STORE, 0);
    CHECK_EQ_INT(ol_manifest_encode(&m, &b), OL_OK);
    CHECK_EQ_INT(b.len, 32 + 2 * 62 + 4);
    const uint8_t *p = b.data;
    CHECK(memcmp(p, "OLMANIF\0", 8) == 0);
    CHECK_EQ_INT(ol_load_le32(p + 8), 1);
    CHECK(ol_load_le64(p + 12) == 7);
    CHECK_EQ_INT(ol_load_le32(p + 20), OL_SIGNAL_LOGS);
    CHECK_EQ_INT(ol_load_le32(p + 24), 20778);
    CHECK_EQ_INT(ol_load_le32(p + 28), 2);
    const uint8_t *e = p + 32 + 62; /* second entry */
    CHECK(ol_load_le64(e) == 20);
    CHECK(ol_load_le32(e + 8) == UINT32_MAX);
    CHECK(ol_load_le64(e + 12) == 20000);
    CHECK(ol_load_le64(e + 20) == 120);
    CHECK(ol_load_le64(e + 28) == 20778 * OL_CATALOG_DAY_NS + 20);
    CHECK(ol_load_le64(e + 36) == UINT64_MAX);
    CHECK(ol_load_le64(e + 44) == 4);
    CHECK(ol_load_le32(e + 52) == 0xC0FFEE00u + 20);
    CHECK(ol_load_le32(e + 56) == OL_PART_FLAG_TOMBSTONE);
    CHECK(e[60] == 0 && e[61] == 0);
    CHECK(ol_load_le32(p + b.len - 4) == ol_crc32c(0, p, b.len - 4));

    ol_manifest_t back;
    ol_err_t err;
    CHECK_EQ_INT(ol_manifest_decode(ol_buf_slice(&b), &back, &err), OL_OK);
    CHECK(same_parts(&m, &back));
    ol_buf_t again;
    ol_buf_init(&again, OL_MEM_STORE, 0);
    CHECK_EQ_INT(ol_manifest_encode(&back, &again), OL_OK);
    CHECK(again.len == b.len && memcmp(again.data, b.data, b.len) == 0);

    /* Empty: 36 bytes. */
    ol_manifest_t empty, eback;
    ol_manifest_init(&empty, OL_SIGNAL_TRACES, OL_CATALOG_MAX_DAY);
    ol_buf_reset(&again);
    CHECK_EQ_INT(ol_manifest_encode(&empty, &again), OL_OK);
    CHECK_EQ_INT(again.len, OL_MANIFEST_MIN_BYTES);
    CHECK_EQ_INT(ol_manifest_decode(ol_buf_slice(&again), &eback, &err), OL_OK);
    CHECK(same_parts(&empty, &eback) && eback.parts == NULL);

    /* Encoding appends. */
    ol_buf_reset(&again);
    ol_buf_append_cstr(&again, "xyz");
    CHECK_EQ_INT(ol_manifest_encode(&m, &again), OL_OK);
    CHECK(again.len == 3 + b.len && memcmp(again.data + 3, b.data, b.len) == 0);

    const char *corpus = getenv("OL_MANIFEST_CORPUS_OUT");
    if (corpus) {
        char q[512];
        uint8_t seed[1024];
        seed[0] = 1;
        memcpy(seed + 1, b.data, b.len);
        snprintf(q, sizeof q, "%s/manifest-two-parts", corpus);
        write_file(q, seed, b.len + 1);
        seed[0] = 0;
        snprintf(q, sizeof q, "%s/manifest-two-parts-fixup", corpus);
        write_file(q, seed, b.len + 1);
        ol_buf_t em;
        ol_buf_init(&em, OL_MEM_STORE, 0);
        ol_manifest_encode(&empty, &em);
        seed[0] = 1;
        memcpy(seed + 1, em.data, em.len);
        snprintf(q, sizeof q, "%s/manifest-empty", corpus);
        write_file(q, seed, em.len + 1);
        ol_buf_free(&em);
        /* One part with a 5-byte extension area, CRC left to the fuzzer. */
        size_t n = 0;
        seed[n++] = 0;
        memcpy(seed + n, b.data, 32 + 62);
        ol_store_le32(seed + n + 28, 1);
        n += 32 + 62;
        seed[n - 2] = 5;
        memcpy(seed + n, "hello", 5);
        n += 5;
        memset(seed + n, 0, 4);
        n += 4;
        snprintf(q, sizeof q, "%s/manifest-extension-fixup", corpus);
        write_file(q, seed, n);
        ol_checkpoint_t c = {.wal_segment = 42, .generation = 3};
        seed[0] = 1;
        ol_checkpoint_encode(&c, seed + 1);
        snprintf(q, sizeof q, "%s/checkpoint", corpus);
        write_file(q, seed, 1 + OL_CHECKPOINT_BYTES);
    }

    ol_buf_free(&b);
    ol_buf_free(&again);
    ol_manifest_free(&m);
    ol_manifest_free(&back);
    ol_manifest_free(&eback);
}

static void test_manifest_truncation_and_flips(void)
{
    ol_manifest_t m;
    build(&m, 3);
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_STORE, 0);
    CHECK_EQ_INT(ol_manifest_encode(&m, &b), OL_OK);
    uint8_t *copy = malloc(b.len);
    ol_err_t err;
    int wrong = 0, wrong_fixed = 0, wrong_flip = 0;
    for (size_t len = 0; len < b.len; len++) {
        ol_manifest_t out;
        memcpy(copy, b.data, len);
        if (ol_manifest_decode(ol_slice(copy, len), &out, &err) != OL_CORRUPT || out.n_parts || out.parts) wrong++;
        /* Even with a valid CRC over what is left, a cut file never decodes. */
        if (len >= 4 && decode_fixed(copy, len, &err) != OL_CORRUPT) wrong_fixed++;
    }
    CHECK_EQ_INT(wrong, 0);
    CHECK_EQ_INT(wrong_fixed, 0);
    for (size_t i = 0; i < b.len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            ol_manifest_t out;
            memcpy(copy, b.data, b.len);
            copy[i] ^= (uint8_t)(1u << bit);
            if (ol_manifest_decode(ol_slice(copy, b.len), &out, &err) != OL_CORRUPT) wrong_flip++;
            ol_manifest_free(&out);
        }
    }
    CHECK_EQ_INT(wrong_flip, 0);
    memcpy(copy, b.data, b.len);
    copy[40] ^= 1;
    ol_manifest_t out;
    CHECK_EQ_INT(ol_manifest_decode(ol_slice(copy, b.len), &out, &err), OL_CORRUPT);
    CHECK(contains(err.msg, "CRC"));
    free(copy);
    ol_buf_free(&b);
    ol_manifest_free(&m);
}

/* Each field a reader rejects, with the CRC made valid so the check itself is reached. */
static void test_manifest_bad_fields(void)
{
    ol_manifest_t m;
    build(&m, 2);
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_STORE, 0);
    CHECK_EQ_INT(ol_manifest_encode(&m, &b), OL_OK);
    size_t n = b.len;
    uint8_t *c = malloc(n + 256);
    ol_err_t err;
    const size_t e0 = 32, e1 = 32 + 62;

#define RESET() memcpy(c, b.data, n)
    RESET();
    c[0] = 'X';
    CHECK_EQ_INT(decode_fixed(c, n, &err), OL_CORRUPT);
    CHECK(contains(err.msg, "magic"));
    RESET();
    ol_store_le32(c + 8, 2);
    CHECK_EQ_INT(decode_fixed(c, n, &err), OL_CORRUPT);
    CHECK(contains(err.msg, "version 2"));
    RESET();
    ol_store_le32(c + 20, 3);
    CHECK_EQ_INT(decode_fixed(c, n, &err), OL_CORRUPT);
    CHECK(contains(err.msg, "signal 3"));
    RESET();
    ol_store_le32(c + 24, OL_CATALOG_MAX_DAY + 1);
    CHECK_EQ_INT(decode_fixed(c, n, &err), OL_CORRUPT);
    CHECK(contains(err.msg, "day"));
    RESET();
    ol_store_le32(c + 28, OL_MANIFEST_MAX_PARTS + 1);
    CHECK_EQ_INT(decode_fixed(c, n, &err), OL_CORRUPT);
    CHECK(contains(err.msg, "exceeds the limit"));
    RESET();
    ol_store_le32(c + 28, UINT32_MAX);
    CHECK_EQ_INT(decode_fixed(c, n, &err), OL_CORRUPT);
    RESET();
    ol_store_le32(c + 28, 3); /* count beyond the data */
    CHECK_EQ_INT(decode_fixed(c, n, &err), OL_CORRUPT);
    CHECK(contains(err.msg, "part count 3"));
    RESET();
    ol_store_le32(c + 28, 1); /* fewer than present: trailing bytes */
    CHECK_EQ_INT(decode_fixed(c, n, &err), OL_CORRUPT);
    CHECK(contains(err.msg, "unexpected bytes"));
    RESET();
    c[e0 + 60] = 10; /* extension of part 0 runs into part 1, which is then short */
    CHECK_EQ_INT(decode_fixed(c, n, &err), OL_CORRUPT);
    CHECK(contains(err.msg, "part 1"));
    RESET();
    c[e0 + 60] = 62; /* exactly to the CRC: nothing left for part 1 */
    CHECK_EQ_INT(decode_fixed(c, n, &err), OL_CORRUPT);
    CHECK(contains(err.msg, "part 1") && contains(err.msg, "truncated"));
    RESET();
    c[e0 + 60] = 63; /* one byte into the CRC */
    CHECK_EQ_INT(decode_fixed(c, n, &err), OL_CORRUPT);
    CHECK(contains(err.msg, "part 0") && contains(err.msg, "extension of 63 bytes"));
    RESET();
    c[e1 + 60] = 1; /* extension of the last part runs past the CRC */
    CHECK_EQ_INT(decode_fixed(c, n, &err), OL_CORRUPT);
    CHECK(contains(err.msg, "extension"));
    RESET();
    c[e1 + 60] = 5;
    CHECK_EQ_INT(decode_fixed(c, n, &err), OL_CORRUPT);
    CHECK(contains(err.msg, "extension"));
    RESET();
    c[e1 + 60] = 0xff;
    c[e1 + 61] = 0xff;
    CHECK_EQ_INT(decode_fixed(c, n, &err), OL_CORRUPT);
    RESET();
    ol_store_le64(c + e0, 0);
    CHECK_EQ_INT(decode_fixed(c, n, &err), OL_CORRUPT);
    CHECK(contains(err.msg, "part 0") && contains(err.msg, "id 0"));
    RESET();
    ol_store_le64(c + e1, 10); /* duplicate id */
    CHECK_EQ_INT(decode_fixed(c, n, &err), OL_CORRUPT);
    CHECK(contains(err.msg, "increasing"));
    RESET();
    ol_store_le64(c + e1, 5); /* out of order */
    CHECK_EQ_INT(decode_fixed(c, n, &err), OL_CORRUPT);
    RESET();
    ol_store_le64(c + e1 + 28, ol_load_le64(c + e1 + 36) + 1);
    CHECK_EQ_INT(decode_fixed(c, n, &err), OL_CORRUPT);
    CHECK(contains(err.msg, "min time"));
    RESET();
    ol_store_le32(c + e1 + 56, 2);
    CHECK_EQ_INT(decode_fixed(c, n, &err), OL_CORRUPT);
    CHECK(contains(err.msg, "flag"));
    RESET();
    ol_store_le32(c + e1 + 56, 0x80000000u);
    CHECK_EQ_INT(decode_fixed(c, n, &err), OL_CORRUPT);

    /* A later version's extension bytes are skipped, the rest is read. */
    memcpy(c, b.data, e1);
    c[e0 + 60] = 3;
    memcpy(c + e1, "abc", 3);
    memcpy(c + e1 + 3, b.data + e1, n - e1);
    ol_manifest_t out;
    fix_crc(c, n + 3);
    CHECK_EQ_INT(ol_manifest_decode(ol_slice(c, n + 3), &out, &err), OL_OK);
    CHECK(same_parts(&m, &out));
    ol_manifest_free(&out);
    /* Over the size limit: refused on the length alone, nothing is read. */
    CHECK_EQ_INT(ol_manifest_decode(ol_slice(c, (size_t)OL_MANIFEST_MAX_BYTES + 1), &out, &err), OL_CORRUPT);
    CHECK(contains(err.msg, "larger than"));
#undef RESET

    /* The encoder refuses what the decoder would reject. */
    ol_buf_t x;
    ol_buf_init(&x, OL_MEM_STORE, 0);
    m.parts[1].id = 10;
    CHECK_EQ_INT(ol_manifest_encode(&m, &x), OL_ERR);
    m.parts[1].id = 20;
    m.parts[1].flags = 4;
    CHECK_EQ_INT(ol_manifest_encode(&m, &x), OL_ERR);
    m.parts[1].flags = 0;
    m.parts[1].min_ns = m.parts[1].max_ns + 1;
    CHECK_EQ_INT(ol_manifest_encode(&m, &x), OL_ERR);
    m.parts[1].min_ns = 0;
    m.signal = (ol_signal_t)3;
    CHECK_EQ_INT(ol_manifest_encode(&m, &x), OL_ERR);
    m.signal = OL_SIGNAL_TRACES;
    m.day = OL_CATALOG_MAX_DAY + 1;
    CHECK_EQ_INT(ol_manifest_encode(&m, &x), OL_ERR);
    m.day = 1;
    ol_manifest_t huge = m;
    huge.parts = NULL; /* the count is checked before any entry is read */
    huge.n_parts = OL_MANIFEST_MAX_PARTS + 1;
    CHECK_EQ_INT(ol_manifest_encode(&huge, &x), OL_LIMIT);
    CHECK_EQ_INT(x.len, 0);
    CHECK_EQ_INT(ol_manifest_encode(&m, &x), OL_OK);

    ol_buf_free(&x);
    free(c);
    ol_buf_free(&b);
    ol_manifest_free(&m);
}

/* The largest manifest allowed encodes, decodes, and one more part is refused. */
static void test_manifest_max_parts(void)
{
    ol_manifest_t m;
    ol_manifest_init(&m, OL_SIGNAL_METRICS, 5);
    int bad = 0;
    for (uint32_t i = 1; i <= OL_MANIFEST_MAX_PARTS; i++) {
        ol_part_entry_t e = {.id = i, .rows = i, .bytes = i, .wal_segment = 1};
        if (ol_manifest_add(&m, &e) != OL_OK) bad++;
    }
    CHECK_EQ_INT(bad, 0);
    ol_part_entry_t more = {.id = OL_MANIFEST_MAX_PARTS + 1};
    CHECK_EQ_INT(ol_manifest_add(&m, &more), OL_LIMIT);
    CHECK_EQ_INT(ol_manifest_replace_parts(&m, NULL, 0, &more), OL_LIMIT);
    uint64_t one = 1;
    CHECK_EQ_INT(ol_manifest_replace_parts(&m, &one, 1, &more), OL_OK); /* a merge still fits */
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_STORE, 0);
    CHECK_EQ_INT(ol_manifest_encode(&m, &b), OL_OK);
    CHECK_EQ_INT(b.len, 32 + (size_t)OL_MANIFEST_MAX_PARTS * 62 + 4);
    ol_manifest_t back;
    ol_err_t err;
    CHECK_EQ_INT(ol_manifest_decode(ol_buf_slice(&b), &back, &err), OL_OK);
    CHECK(same_parts(&m, &back));
    ol_buf_free(&b);
    ol_manifest_free(&m);
    ol_manifest_free(&back);
}

static void test_manifest_helpers(void)
{
    ol_manifest_t m;
    ol_manifest_init(&m, OL_SIGNAL_TRACES, 100);
    uint64_t ids[] = {50, 10, 40, 20, 30};
    for (size_t i = 0; i < OL_ARRAY_LEN(ids); i++) {
        ol_part_entry_t e = part(ids[i], ids[i]);
        CHECK_EQ_INT(ol_manifest_add(&m, &e), OL_OK);
    }
    CHECK_EQ_INT(m.n_parts, 5);
    for (size_t i = 0; i < m.n_parts; i++) CHECK(m.parts[i].id == 10 * (i + 1));
    ol_part_entry_t dup = part(30, 1), zero = part(0, 1), backwards = part(60, 1), flags = part(61, 1);
    backwards.min_ns = backwards.max_ns + 1;
    flags.flags = 8;
    CHECK_EQ_INT(ol_manifest_add(&m, &dup), OL_ERR);
    CHECK_EQ_INT(ol_manifest_add(&m, &zero), OL_ERR);
    CHECK_EQ_INT(ol_manifest_add(&m, &backwards), OL_ERR);
    CHECK_EQ_INT(ol_manifest_add(&m, &flags), OL_ERR);
    CHECK_EQ_INT(m.n_parts, 5);
    CHECK(ol_manifest_find(&m, 40) && ol_manifest_find(&m, 40)->rows == 40000);
    CHECK(!ol_manifest_find(&m, 45) && !ol_manifest_find(&m, 0) && !ol_manifest_find(&m, 99));

    ol_manifest_t snap;
    CHECK_EQ_INT(ol_manifest_copy(&snap, &m), OL_OK);

    /* A merge: all or nothing. */
    ol_part_entry_t merged = part(60, 30);
    merged.level = 1;
    uint64_t missing[] = {10, 15}, repeated[] = {10, 20, 10}, inputs[] = {30, 10, 20};
    CHECK_EQ_INT(ol_manifest_replace_parts(&m, missing, 2, &merged), OL_NOTFOUND);
    CHECK_EQ_INT(ol_manifest_replace_parts(&m, repeated, 3, &merged), OL_ERR);
    ol_part_entry_t clash = part(40, 1);
    CHECK_EQ_INT(ol_manifest_replace_parts(&m, inputs, 3, &clash), OL_ERR);
    ol_part_entry_t reuse = part(10, 1);
    CHECK_EQ_INT(ol_manifest_replace_parts(&m, inputs, 3, &reuse), OL_ERR);
    CHECK(same_parts(&m, &snap));
    CHECK_EQ_INT(ol_manifest_replace_parts(&m, inputs, 3, &merged), OL_OK);
    CHECK_EQ_INT(m.n_parts, 3);
    CHECK(m.parts[0].id == 40 && m.parts[1].id == 50 && m.parts[2].id == 60 && m.parts[2].level == 1);
    uint64_t drop_one = 50;
    CHECK_EQ_INT(ol_manifest_replace_parts(&m, &drop_one, 1, NULL), OL_OK);
    CHECK_EQ_INT(m.n_parts, 2);

    /* Many inputs (past the on-stack index array). */
    ol_manifest_t big;
    ol_manifest_init(&big, OL_SIGNAL_TRACES, 100);
    uint64_t many[100];
    for (uint64_t i = 1; i <= 100; i++) {
        ol_part_entry_t e = part(i, 1);
        ol_manifest_add(&big, &e);
        many[i - 1] = 101 - i;
    }
    ol_part_entry_t e101 = part(101, 1);
    many[99] = 100; /* 100 appears twice: refused */
    CHECK_EQ_INT(ol_manifest_replace_parts(&big, many, 100, &e101), OL_ERR);
    many[99] = 1;
    CHECK_EQ_INT(ol_manifest_replace_parts(&big, many, 99, &e101), OL_OK);
    CHECK(big.n_parts == 2 && big.parts[0].id == 1 && big.parts[1].id == 101);
    ol_manifest_free(&big);

    CHECK_EQ_INT(ol_manifest_remove(&m, 40), OL_OK);
    CHECK_EQ_INT(ol_manifest_remove(&m, 40), OL_NOTFOUND);
    CHECK_EQ_INT(m.n_parts, 1);

    /* Untrusted: wal_segment above the checkpoint. */
    CHECK_EQ_INT(ol_manifest_drop_untrusted(&snap, 30), 2);
    CHECK_EQ_INT(snap.n_parts, 3);
    for (size_t i = 0; i < snap.n_parts; i++) CHECK(snap.parts[i].wal_segment <= 30);
    CHECK_EQ_INT(ol_manifest_drop_untrusted(&snap, 30), 0);
    CHECK_EQ_INT(ol_manifest_drop_untrusted(&snap, 0), 3);

    ol_manifest_free(&m);
    ol_manifest_free(&snap);
    ol_manifest_free(&m); /* twice is fine */
}

/* ---- files ---- */

static void test_load_store(void)
{
    char dir[64], msg_dir[128];
    make_tmpdir(dir, sizeof dir);
    const ol_io_t *io = ol_io_posix();
    ol_manifest_t m, back;
    ol_err_t err;
    CHECK_EQ_INT(ol_manifest_load(io, dir, OL_SIGNAL_LOGS, 20778, &back, &err), OL_NOTFOUND);
    snprintf(msg_dir, sizeof msg_dir, "%s/nope", dir);
    CHECK_EQ_INT(ol_manifest_load(io, msg_dir, OL_SIGNAL_LOGS, 20778, &back, &err), OL_NOTFOUND);

    build(&m, 3);
    CHECK_EQ_INT(ol_manifest_store(io, dir, &m, &err), OL_OK);
    CHECK(m.generation == 8);
    CHECK(!exists(dir, "MANIFEST.tmp"));
    CHECK_EQ_INT(ol_manifest_load(io, dir, OL_SIGNAL_LOGS, 20778, &back, &err), OL_OK);
    CHECK(same_parts(&m, &back));
    ol_manifest_free(&back);
    ol_part_entry_t e = part(99, 9);
    ol_manifest_add(&m, &e);
    CHECK_EQ_INT(ol_manifest_store(io, dir, &m, &err), OL_OK);
    CHECK_EQ_INT(ol_manifest_load(io, dir, OL_SIGNAL_LOGS, 20778, &back, &err), OL_OK);
    CHECK(back.generation == 9 && back.n_parts == 4);
    ol_manifest_free(&back);

    /* A manifest in the wrong directory. */
    CHECK_EQ_INT(ol_manifest_load(io, dir, OL_SIGNAL_TRACES, 20778, &back, &err), OL_CORRUPT);
    CHECK(contains(err.msg, dir) && contains(err.msg, "logs/2026-11-21") && contains(err.msg, "traces/2026-11-21"));
    CHECK(back.n_parts == 0 && back.parts == NULL);
    CHECK_EQ_INT(ol_manifest_load(io, dir, OL_SIGNAL_LOGS, 20777, &back, &err), OL_CORRUPT);
    CHECK(contains(err.msg, "2026-11-20"));

    /* Damage on disk: the message names the file and the problem. */
    char path[128];
    snprintf(path, sizeof path, "%s/MANIFEST", dir);
    int fd = open(path, O_WRONLY);
    CHECK(fd >= 0);
    CHECK(pwrite(fd, "\x55", 1, 40) == 1);
    close(fd);
    CHECK_EQ_INT(ol_manifest_load(io, dir, OL_SIGNAL_LOGS, 20778, &back, &err), OL_CORRUPT);
    CHECK(contains(err.msg, "/MANIFEST: ") && contains(err.msg, "CRC"));
    write_file(path, "OLMANIF", 7);
    CHECK_EQ_INT(ol_manifest_load(io, dir, OL_SIGNAL_LOGS, 20778, &back, &err), OL_CORRUPT);
    CHECK(contains(err.msg, "7 bytes"));
    write_file(path, "", 0);
    CHECK_EQ_INT(ol_manifest_load(io, dir, OL_SIGNAL_LOGS, 20778, &back, &err), OL_CORRUPT);

    /* Set aside: renamed with the time, a second one gets a suffix. */
    char got[256];
    CHECK_EQ_INT(ol_manifest_set_aside(io, dir, 1795270000, got, sizeof got, &err), OL_OK);
    CHECK(contains(got, "/MANIFEST.corrupt-1795270000") && exists(dir, "MANIFEST.corrupt-1795270000"));
    CHECK(!exists(dir, "MANIFEST"));
    CHECK_EQ_INT(ol_manifest_set_aside(io, dir, 1795270000, got, sizeof got, &err), OL_NOTFOUND);
    write_file(path, "junk", 4);
    CHECK_EQ_INT(ol_manifest_set_aside(io, dir, 1795270000, NULL, 0, &err), OL_OK);
    CHECK(exists(dir, "MANIFEST.corrupt-1795270000-1"));
    CHECK_EQ_INT(ol_manifest_load(io, dir, OL_SIGNAL_LOGS, 20778, &back, &err), OL_NOTFOUND);

    /* A damaged part is set aside, never overwriting an earlier one. */
    char pp[256];
    ol_catalog_part_path(dir, 5, pp, sizeof pp);
    write_file(pp, "x", 1);
    CHECK_EQ_INT(ol_catalog_set_aside(io, pp, got, sizeof got, &err), OL_OK);
    CHECK(exists(dir, "0000000000000005.olp.corrupt") && !exists(dir, "0000000000000005.olp"));
    write_file(pp, "y", 1);
    CHECK_EQ_INT(ol_catalog_set_aside(io, pp, got, sizeof got, &err), OL_OK);
    CHECK(exists(dir, "0000000000000005.olp.corrupt-1"));
    CHECK(contains(got, "0000000000000005.olp.corrupt-1"));
    CHECK_EQ_INT(ol_catalog_set_aside(io, pp, NULL, 0, &err), OL_NOTFOUND);

    ol_manifest_free(&m);
    ol_test_rm_rf(dir);
}

/* Runs ol_manifest_store of `next` over a directory holding `old`, with the
 * k-th mutating operation failing (or the process "crashing" there). */
static void check_replace_step(const char *dir, const ol_manifest_t *old, const ol_manifest_t *next, int k,
                               bool crash, int err_no, size_t partial, op_t *kind_out, int *bad)
{
    const ol_io_t *px = ol_io_posix();
    ol_err_t err;
    char path[128];
    snprintf(path, sizeof path, "%s/MANIFEST.tmp", dir);
    unlink(path);
    ol_manifest_t base, m, back;
    ol_manifest_copy(&base, old);
    base.generation--; /* store increments it */
    if (ol_manifest_store(px, dir, &base, &err) != OL_OK) abort();
    ol_manifest_copy(&m, next);
    m.generation = old->generation;
    fault_io_t f;
    fio_init(&f, k, crash, err_no);
    f.partial = partial;
    int rc = ol_manifest_store(&f.io, dir, &m, &err);
    *kind_out = f.log[k - 1];
    bool after_rename = *kind_out == OP_FSYNC_DIR;
    if (rc != OL_FULL) (*bad)++, fprintf(stderr, "  step %d: rc %d\n", k, rc);
    if (m.generation != old->generation + 1) (*bad)++;
    if (!contains(err.msg, after_rename ? "durability unknown" : "still in effect")) (*bad)++;
    if (ol_manifest_load(px, dir, next->signal, next->day, &back, &err) != OL_OK) {
        (*bad)++;
        fprintf(stderr, "  step %d: %s\n", k, err.msg);
    } else {
        ol_manifest_t want;
        ol_manifest_copy(&want, after_rename ? next : old);
        want.generation = after_rename ? old->generation + 1 : old->generation;
        if (!same_parts(&back, &want)) (*bad)++, fprintf(stderr, "  step %d (crash %d): wrong manifest\n", k, crash);
        ol_manifest_free(&want);
    }
    if (!crash && exists(dir, "MANIFEST.tmp")) (*bad)++, fprintf(stderr, "  step %d: .tmp left\n", k);
    if (crash) {
        /* Start-up: the sweep removes the leftover .tmp. */
        ol_catalog_sweep_stats_t st;
        if (ol_catalog_sweep(px, dir, &back, NULL, NULL, &st, &err) != OL_OK || exists(dir, "MANIFEST.tmp")) (*bad)++;
    }
    ol_manifest_free(&back);
    /* The retry succeeds with a newer generation. */
    if (ol_manifest_store(px, dir, &m, &err) != OL_OK ||
        ol_manifest_load(px, dir, next->signal, next->day, &back, &err) != OL_OK ||
        back.generation != old->generation + 2 || back.n_parts != next->n_parts)
        (*bad)++;
    ol_manifest_free(&back);
    ol_manifest_free(&base);
    ol_manifest_free(&m);
}

static void test_replace_failures(void)
{
    char dir[64];
    make_tmpdir(dir, sizeof dir);
    ol_manifest_t old, next;
    build(&old, 2);
    build(&next, 5);
    ol_err_t err;

    /* A clean run: the steps in order. */
    fault_io_t f;
    fio_init(&f, 0, false, 0);
    ol_manifest_t m;
    ol_manifest_copy(&m, &next);
    CHECK_EQ_INT(ol_manifest_store(&f.io, dir, &m, &err), OL_OK);
    CHECK_EQ_INT(f.ops, 6);
    static const op_t want[6] = {OP_CREATE, OP_WRITE, OP_FSYNC, OP_CLOSE, OP_RENAME, OP_FSYNC_DIR};
    for (int i = 0; i < 6 && i < f.ops; i++) CHECK_EQ_INT(f.log[i], want[i]);
    ol_manifest_free(&m);

    int bad = 0;
    op_t kind = OP_CREATE;
    for (int k = 1; k <= 6; k++) {
        check_replace_step(dir, &old, &next, k, false, EIO, 0, &kind, &bad);
        check_replace_step(dir, &old, &next, k, false, ENOSPC, 0, &kind, &bad);
        check_replace_step(dir, &old, &next, k, true, EIO, 0, &kind, &bad);
        if (kind == OP_WRITE) {
            check_replace_step(dir, &old, &next, k, false, ENOSPC, 100, &kind, &bad);
            check_replace_step(dir, &old, &next, k, true, ENOSPC, 100, &kind, &bad);
        }
    }
    CHECK_EQ_INT(kind, OP_FSYNC_DIR);
    CHECK_EQ_INT(bad, 0);

    /* The tmp cannot be removed either: it stays, the old manifest is in effect, the sweep cleans up. */
    fio_init(&f, 2, true, EIO);
    ol_manifest_copy(&m, &next);
    CHECK_EQ_INT(ol_manifest_store(&f.io, dir, &m, &err), OL_FULL);
    CHECK(exists(dir, "MANIFEST.tmp"));
    ol_manifest_free(&m);
    CHECK_EQ_INT(ol_manifest_load(ol_io_posix(), dir, OL_SIGNAL_LOGS, 20778, &m, &err), OL_OK);
    ol_manifest_free(&m);
    /* A stale .tmp does not disturb the next replace. */
    ol_manifest_copy(&m, &next);
    CHECK_EQ_INT(ol_manifest_store(ol_io_posix(), dir, &m, &err), OL_OK);
    CHECK(!exists(dir, "MANIFEST.tmp"));
    ol_manifest_free(&m);

    /* An invalid manifest is refused before anything is written. */
    ol_manifest_copy(&m, &next);
    m.parts[0].flags = 16;
    fio_init(&f, 0, false, 0);
    CHECK_EQ_INT(ol_manifest_store(&f.io, dir, &m, &err), OL_ERR);
    CHECK_EQ_INT(f.ops, 0);
    ol_manifest_free(&m);

    ol_manifest_free(&old);
    ol_manifest_free(&next);
    ol_test_rm_rf(dir);
}

static void test_checkpoint(void)
{
    char dir[64];
    make_tmpdir(dir, sizeof dir);
    const ol_io_t *px = ol_io_posix();
    ol_checkpoint_t c, back;
    ol_err_t err;
    CHECK_EQ_INT(ol_checkpoint_load(px, dir, &c, &err), OL_NOTFOUND);
    CHECK(c.wal_segment == 0 && c.generation == 0);
    CHECK_EQ_INT(ol_checkpoint_store(px, dir, &c, 5, &err), OL_OK); /* creates parts/ */
    CHECK(c.wal_segment == 5 && c.generation == 1);
    CHECK_EQ_INT(ol_checkpoint_load(px, dir, &back, &err), OL_OK);
    CHECK(back.wal_segment == 5 && back.generation == 1);
    CHECK_EQ_INT(ol_checkpoint_store(px, dir, &c, 4, &err), OL_ERR);
    CHECK(contains(err.msg, "back"));
    CHECK_EQ_INT(ol_checkpoint_store(px, dir, &c, 5, &err), OL_OK);
    CHECK_EQ_INT(ol_checkpoint_store(px, dir, &c, 9, &err), OL_OK);
    CHECK_EQ_INT(ol_checkpoint_load(px, dir, &back, &err), OL_OK);
    CHECK(back.wal_segment == 9 && back.generation == 3);

    /* Layout. */
    uint8_t b[OL_CHECKPOINT_BYTES], x[OL_CHECKPOINT_BYTES + 1];
    ol_checkpoint_t v = {.wal_segment = 0x0102030405060708ull, .generation = 77};
    ol_checkpoint_encode(&v, b);
    CHECK(memcmp(b, "OLCHKPT\0", 8) == 0);
    CHECK_EQ_INT(ol_load_le32(b + 8), 1);
    CHECK(ol_load_le64(b + 12) == v.wal_segment && ol_load_le64(b + 20) == 77);
    CHECK(ol_load_le32(b + 28) == ol_crc32c(0, b, 28));
    CHECK_EQ_INT(ol_checkpoint_decode(ol_slice(b, sizeof b), &back, &err), OL_OK);
    CHECK(back.wal_segment == v.wal_segment && back.generation == 77);

    int wrong = 0;
    for (size_t len = 0; len < sizeof b; len++)
        if (ol_checkpoint_decode(ol_slice(b, len), &back, &err) != OL_CORRUPT) wrong++;
    for (size_t i = 0; i < sizeof b; i++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(x, b, sizeof b);
            x[i] ^= (uint8_t)(1u << bit);
            if (ol_checkpoint_decode(ol_slice(x, sizeof b), &back, &err) != OL_CORRUPT) wrong++;
        }
    CHECK_EQ_INT(wrong, 0);
    memcpy(x, b, sizeof b);
    x[32] = 0;
    CHECK_EQ_INT(ol_checkpoint_decode(ol_slice(x, 33), &back, &err), OL_CORRUPT);
    ol_store_le32(x + 8, 2);
    fix_crc(x, 32);
    CHECK_EQ_INT(ol_checkpoint_decode(ol_slice(x, 32), &back, &err), OL_CORRUPT);
    CHECK(contains(err.msg, "version 2"));
    memcpy(x, b, sizeof b);
    x[3] = 'X';
    fix_crc(x, 32);
    CHECK_EQ_INT(ol_checkpoint_decode(ol_slice(x, 32), &back, &err), OL_CORRUPT);
    CHECK(contains(err.msg, "magic"));

    /* Injected failures: the old checkpoint stays, a retry works. */
    int bad = 0;
    for (int k = 1; k <= 6; k++) {
        for (int crash = 0; crash < 2; crash++) {
            fault_io_t f;
            fio_init(&f, k, crash, ENOSPC);
            ol_checkpoint_t cur;
            if (ol_checkpoint_load(px, dir, &cur, &err) != OL_OK) bad++;
            uint64_t before = cur.wal_segment;
            if (ol_checkpoint_store(&f.io, dir, &cur, before + 1, &err) != OL_FULL) bad++;
            if (cur.wal_segment != before) bad++;
            ol_checkpoint_t now;
            if (ol_checkpoint_load(px, dir, &now, &err) != OL_OK) bad++;
            if (now.wal_segment != (f.log[k - 1] == OP_FSYNC_DIR ? before + 1 : before)) bad++;
            if (ol_checkpoint_store(px, dir, &cur, before + 1, &err) != OL_OK) bad++;
            if (ol_checkpoint_load(px, dir, &now, &err) != OL_OK || now.wal_segment != before + 1 ||
                now.generation != cur.generation)
                bad++;
        }
    }
    CHECK_EQ_INT(bad, 0);

    /* Damage: corrupt, too long, set aside. */
    char parts[128], path[160];
    snprintf(parts, sizeof parts, "%s/parts", dir);
    snprintf(path, sizeof path, "%s/CHECKPOINT", parts);
    memcpy(x, b, sizeof b);
    x[13] ^= 0x40;
    write_file(path, x, 32);
    CHECK_EQ_INT(ol_checkpoint_load(px, dir, &back, &err), OL_CORRUPT);
    CHECK(contains(err.msg, "CHECKPOINT") && contains(err.msg, "CRC"));
    write_file(path, x, 33);
    CHECK_EQ_INT(ol_checkpoint_load(px, dir, &back, &err), OL_CORRUPT);
    CHECK_EQ_INT(ol_checkpoint_set_aside(px, dir, 42, &err), OL_OK);
    CHECK(exists(parts, "CHECKPOINT.corrupt-42") && !exists(parts, "CHECKPOINT"));
    CHECK_EQ_INT(ol_checkpoint_load(px, dir, &back, &err), OL_NOTFOUND);
    ol_test_rm_rf(dir);
}

/* ---- sweep ---- */

typedef struct problems {
    uint64_t ids[8];
    ol_catalog_problem_t what[8];
    uint64_t size[8];
    int n;
} problems_t;

static void on_problem(void *ud, const ol_part_entry_t *p, ol_catalog_problem_t what, uint64_t size)
{
    problems_t *pr = ud;
    if (pr->n < 8) {
        pr->ids[pr->n] = p->id;
        pr->what[pr->n] = what;
        pr->size[pr->n] = size;
    }
    pr->n++;
}

/* A partition directory: MANIFEST lists 1 (ok), 2 (wrong size), 3 (missing);
 * 4 is unlisted; plus temporaries and files the sweep must not touch. */
static void sweep_fixture(const char *dir, ol_manifest_t *m)
{
    ol_manifest_init(m, OL_SIGNAL_TRACES, 20778);
    for (uint64_t id = 1; id <= 3; id++) {
        ol_part_entry_t e = part(id, 1);
        e.bytes = 10 * id;
        ol_manifest_add(m, &e);
    }
    ol_err_t err;
    if (ol_manifest_store(ol_io_posix(), dir, m, &err) != OL_OK) abort();
    touch(dir, "0000000000000001.olp", 10);
    touch(dir, "0000000000000002.olp", 7);
    touch(dir, "0000000000000004.olp", 40);
    touch(dir, "MANIFEST.tmp", 3);
    touch(dir, "0000000000000005.olp.tmp", 3);
    touch(dir, "0000000000000006.olp.corrupt", 3);
    touch(dir, "00000000000000AB.olp", 3);
    touch(dir, "notes.txt", 3);
    char sub[256];
    snprintf(sub, sizeof sub, "%s/0000000000000007.olp", dir);
    mkdir(sub, 0755);
    snprintf(sub, sizeof sub, "%s/x.tmp", dir);
    mkdir(sub, 0755);
}

static void test_sweep(void)
{
    char dir[64];
    make_tmpdir(dir, sizeof dir);
    const ol_io_t *px = ol_io_posix();
    ol_manifest_t m, loaded;
    ol_err_t err;
    ol_catalog_sweep_stats_t st;
    problems_t pr = {0};

    sweep_fixture(dir, &m);
    CHECK_EQ_INT(ol_manifest_load(px, dir, OL_SIGNAL_TRACES, 20778, &loaded, &err), OL_OK);
    CHECK_EQ_INT(ol_catalog_sweep(px, dir, &loaded, on_problem, &pr, &st, &err), OL_OK);
    CHECK(exists(dir, "0000000000000001.olp") && exists(dir, "0000000000000002.olp"));
    CHECK(!exists(dir, "0000000000000004.olp"));
    CHECK(!exists(dir, "MANIFEST.tmp") && !exists(dir, "0000000000000005.olp.tmp"));
    CHECK(exists(dir, "MANIFEST") && exists(dir, "0000000000000006.olp.corrupt") &&
          exists(dir, "00000000000000AB.olp") && exists(dir, "notes.txt") && exists(dir, "0000000000000007.olp") &&
          exists(dir, "x.tmp"));
    CHECK_EQ_INT(st.tmp_removed, 2);
    CHECK_EQ_INT(st.unlisted_removed, 1);
    CHECK_EQ_INT(st.unlisted_kept, 0);
    CHECK_EQ_INT(st.problems, 2);
    CHECK(!st.dir_removed && !st.untouched);
    CHECK_EQ_INT(pr.n, 2);
    CHECK(pr.ids[0] == 2 && pr.what[0] == OL_CATALOG_PART_SIZE && pr.size[0] == 7);
    CHECK(pr.ids[1] == 3 && pr.what[1] == OL_CATALOG_PART_MISSING && pr.size[1] == 0);
    /* Sweeping again changes nothing. */
    pr.n = 0;
    CHECK_EQ_INT(ol_catalog_sweep(px, dir, &loaded, NULL, NULL, &st, &err), OL_OK);
    CHECK(st.tmp_removed == 0 && st.unlisted_removed == 0 && st.problems == 2 && pr.n == 0);
    ol_manifest_free(&loaded);
    ol_manifest_free(&m);
    ol_test_rm_rf(dir);

    /* A set-aside manifest beside a new one: unlisted parts are kept. */
    make_tmpdir(dir, sizeof dir);
    sweep_fixture(dir, &m);
    touch(dir, "MANIFEST.corrupt-1795270000", 50);
    CHECK_EQ_INT(ol_catalog_sweep(px, dir, &m, NULL, NULL, &st, &err), OL_OK);
    CHECK(exists(dir, "0000000000000004.olp") && !exists(dir, "MANIFEST.tmp"));
    CHECK(st.unlisted_kept == 1 && st.unlisted_removed == 0);
    ol_manifest_free(&m);
    ol_test_rm_rf(dir);

    /* A corrupt manifest: load says so, nothing is deleted, it is set aside,
     * and the sweep without a manifest still touches nothing. */
    make_tmpdir(dir, sizeof dir);
    sweep_fixture(dir, &m);
    char path[128];
    snprintf(path, sizeof path, "%s/MANIFEST", dir);
    int fd = open(path, O_WRONLY);
    CHECK(pwrite(fd, "\x01", 1, 30) == 1);
    close(fd);
    size_t before = count_entries(dir);
    CHECK_EQ_INT(ol_manifest_load(px, dir, OL_SIGNAL_TRACES, 20778, &loaded, &err), OL_CORRUPT);
    CHECK(contains(err.msg, "MANIFEST") && contains(err.msg, "CRC"));
    CHECK_EQ_INT(ol_catalog_sweep(px, dir, NULL, NULL, NULL, &st, &err), OL_OK);
    CHECK(st.untouched && st.tmp_removed == 0 && st.unlisted_removed == 0);
    CHECK_EQ_INT(count_entries(dir), before);
    CHECK_EQ_INT(ol_manifest_set_aside(px, dir, 1795270000, NULL, 0, &err), OL_OK);
    CHECK_EQ_INT(ol_manifest_load(px, dir, OL_SIGNAL_TRACES, 20778, &loaded, &err), OL_NOTFOUND);
    CHECK_EQ_INT(ol_catalog_sweep(px, dir, NULL, NULL, NULL, &st, &err), OL_OK);
    CHECK(st.untouched);
    CHECK_EQ_INT(count_entries(dir), before);
    CHECK(exists(dir, "0000000000000004.olp") && exists(dir, "MANIFEST.tmp"));
    ol_manifest_free(&m);
    ol_test_rm_rf(dir);

    /* No manifest at all. Only temporaries: the directory goes. */
    make_tmpdir(dir, sizeof dir);
    touch(dir, "MANIFEST.tmp", 1);
    touch(dir, "0000000000000009.olp.tmp", 1);
    CHECK_EQ_INT(ol_catalog_sweep(px, dir, NULL, NULL, NULL, &st, &err), OL_OK);
    CHECK(st.dir_removed && st.tmp_removed == 2);
    struct stat sb;
    CHECK(stat(dir, &sb) != 0);
    CHECK_EQ_INT(ol_catalog_sweep(px, dir, NULL, NULL, NULL, &st, &err), OL_NOTFOUND);
    /* Parts but no manifest: temporaries go, parts and directory stay. */
    make_tmpdir(dir, sizeof dir);
    touch(dir, "MANIFEST.tmp", 1);
    touch(dir, "0000000000000009.olp", 1);
    CHECK_EQ_INT(ol_catalog_sweep(px, dir, NULL, NULL, NULL, &st, &err), OL_OK);
    CHECK(!st.dir_removed && st.tmp_removed == 1 && st.unlisted_kept == 1);
    CHECK(exists(dir, "0000000000000009.olp") && !exists(dir, "MANIFEST.tmp"));
    /* An unknown file also keeps the directory. */
    unlink(strcat(strcpy(path, dir), "/0000000000000009.olp"));
    touch(dir, "README", 1);
    CHECK_EQ_INT(ol_catalog_sweep(px, dir, NULL, NULL, NULL, &st, &err), OL_OK);
    CHECK(!st.dir_removed && exists(dir, "README"));
    ol_test_rm_rf(dir);

    /* Removals that fail are counted, not fatal; nothing listed is touched. */
    make_tmpdir(dir, sizeof dir);
    sweep_fixture(dir, &m);
    fault_io_t f;
    fio_init(&f, 1, true, EIO);
    CHECK_EQ_INT(ol_catalog_sweep(&f.io, dir, &m, NULL, NULL, &st, &err), OL_OK);
    CHECK(st.remove_failures == 3 && st.tmp_removed == 0 && st.unlisted_removed == 0);
    CHECK(exists(dir, "0000000000000004.olp") && exists(dir, "0000000000000001.olp"));
    for (int i = 0; i < f.ops; i++) CHECK(f.log[i] == OP_UNLINK);
    ol_manifest_free(&m);
    ol_test_rm_rf(dir);
}

/* ---- layout: create, list, drop ---- */

static void test_partitions(void)
{
    char dir[64], p[256];
    make_tmpdir(dir, sizeof dir);
    const ol_io_t *px = ol_io_posix();
    ol_err_t err;
    ol_catalog_list_t l;
    CHECK_EQ_INT(ol_catalog_list(dir, &l, &err), OL_OK);
    CHECK_EQ_INT(l.n, 0);
    ol_catalog_list_free(&l);

    fault_io_t f;
    fio_init(&f, 0, false, 0);
    CHECK_EQ_INT(ol_catalog_partition_create(&f.io, dir, OL_SIGNAL_TRACES, 20778, p, sizeof p, &err), OL_OK);
    CHECK(contains(p, "/parts/traces/2026-11-21"));
    CHECK_EQ_INT(f.ops, 3);
    for (int i = 0; i < 3; i++) CHECK_EQ_INT(f.log[i], OP_FSYNC_DIR);
    struct stat sb;
    CHECK(stat(p, &sb) == 0 && S_ISDIR(sb.st_mode));
    CHECK_EQ_INT(ol_catalog_partition_create(px, dir, OL_SIGNAL_TRACES, 20778, p, sizeof p, &err), OL_OK);
    fio_init(&f, 2, false, EIO);
    CHECK_EQ_INT(ol_catalog_partition_create(&f.io, dir, OL_SIGNAL_LOGS, 20777, p, sizeof p, &err), OL_FULL);
    CHECK(contains(err.msg, "fsync"));
    CHECK_EQ_INT(ol_catalog_partition_create(px, dir, OL_SIGNAL_LOGS, 20777, p, sizeof p, &err), OL_OK);
    CHECK_EQ_INT(ol_catalog_partition_create(px, dir, OL_SIGNAL_METRICS, 20778, p, sizeof p, &err), OL_OK);
    CHECK_EQ_INT(ol_catalog_partition_create(px, dir, OL_SIGNAL_LOGS, 0, p, sizeof p, &err), OL_OK);
    CHECK_EQ_INT(ol_catalog_partition_create(px, dir, OL_SIGNAL_LOGS, OL_CATALOG_MAX_DAY + 1, p, sizeof p, &err),
                 OL_ERR);
    /* Names that are not partitions. */
    char q[300];
    static const char *const junk[] = {"junk", "2026-02-30", "1969-12-31", "2026-11-21.tmp", "2026-11-2"};
    for (size_t i = 0; i < OL_ARRAY_LEN(junk); i++) {
        snprintf(q, sizeof q, "%s/parts/traces/%s", dir, junk[i]);
        mkdir(q, 0755);
    }
    snprintf(q, sizeof q, "%s/parts/traces", dir);
    touch(q, "2026-11-22", 1); /* a file, not a directory */
    snprintf(q, sizeof q, "%s/parts/unknown-signal/2026-11-21", dir);
    ol_io_mkdir_p(q);
    /* An interrupted drop. */
    snprintf(q, sizeof q, "%s/parts/logs/2026-11-19.deleting", dir);
    mkdir(q, 0755);
    touch(q, "0000000000000001.olp", 5);
    touch(q, "MANIFEST", 5);

    CHECK_EQ_INT(ol_catalog_list(dir, &l, &err), OL_OK);
    CHECK_EQ_INT(l.n, 5);
    if (l.n == 5) {
        CHECK(l.items[0].day == 0 && l.items[0].signal == OL_SIGNAL_LOGS && !l.items[0].dropping);
        CHECK(l.items[1].day == 20776 && l.items[1].signal == OL_SIGNAL_LOGS && l.items[1].dropping);
        CHECK(l.items[2].day == 20777 && l.items[2].signal == OL_SIGNAL_LOGS);
        CHECK(l.items[3].day == 20778 && l.items[3].signal == OL_SIGNAL_TRACES);
        CHECK(l.items[4].day == 20778 && l.items[4].signal == OL_SIGNAL_METRICS);
    }
    ol_catalog_list_free(&l);

    /* Finish the interrupted drop. */
    CHECK_EQ_INT(ol_catalog_partition_drop(px, dir, OL_SIGNAL_LOGS, 20776, &err), OL_OK);
    CHECK(stat(q, &sb) != 0);
    /* Drop a live partition with files in it; a rename failure leaves it live. */
    ol_catalog_partition_path(dir, OL_SIGNAL_TRACES, 20778, p, sizeof p);
    touch(p, "0000000000000001.olp", 5);
    touch(p, "MANIFEST", 5);
    touch(p, "0000000000000002.olp.corrupt", 5);
    fio_init(&f, 1, false, EIO);
    CHECK_EQ_INT(ol_catalog_partition_drop(&f.io, dir, OL_SIGNAL_TRACES, 20778, &err), OL_FULL);
    CHECK(f.log[0] == OP_RENAME && stat(p, &sb) == 0);
    /* A crash after the rename: the listing shows a dropping partition, a new
     * day directory appears (late data), and the next drop finishes both. */
    fio_init(&f, 2, true, EIO);
    CHECK_EQ_INT(ol_catalog_partition_drop(&f.io, dir, OL_SIGNAL_TRACES, 20778, &err), OL_FULL);
    CHECK(stat(p, &sb) != 0);
    CHECK_EQ_INT(ol_catalog_list(dir, &l, &err), OL_OK);
    bool seen = false;
    for (size_t i = 0; i < l.n; i++)
        if (l.items[i].signal == OL_SIGNAL_TRACES && l.items[i].day == 20778) seen = l.items[i].dropping;
    CHECK(seen);
    ol_catalog_list_free(&l);
    CHECK_EQ_INT(ol_catalog_partition_create(px, dir, OL_SIGNAL_TRACES, 20778, p, sizeof p, &err), OL_OK);
    touch(p, "0000000000000003.olp", 5);
    CHECK_EQ_INT(ol_catalog_partition_drop(px, dir, OL_SIGNAL_TRACES, 20778, &err), OL_OK);
    snprintf(q, sizeof q, "%s.deleting", p);
    CHECK(stat(p, &sb) != 0 && stat(q, &sb) != 0);
    CHECK_EQ_INT(ol_catalog_partition_drop(px, dir, OL_SIGNAL_TRACES, 20778, &err), OL_OK); /* nothing left */

    CHECK_EQ_INT(ol_catalog_list(dir, &l, &err), OL_OK);
    CHECK_EQ_INT(l.n, 3);
    for (size_t i = 0; i < l.n; i++) CHECK(!l.items[i].dropping && !(l.items[i].signal == OL_SIGNAL_TRACES));
    ol_catalog_list_free(&l);
    ol_test_rm_rf(dir);
}

/* The whole start-up sequence of manifest.md over one partition. */
static void test_startup_sequence(void)
{
    char dir[64], p[256];
    make_tmpdir(dir, sizeof dir);
    const ol_io_t *px = ol_io_posix();
    ol_err_t err;
    ol_checkpoint_t ck = {0};
    CHECK_EQ_INT(ol_catalog_partition_create(px, dir, OL_SIGNAL_METRICS, 20778, p, sizeof p, &err), OL_OK);
    ol_manifest_t m;
    ol_manifest_init(&m, OL_SIGNAL_METRICS, 20778);
    /* Flush 1 (segments <= 4), checkpoint 4; flush 2 (segments <= 6) crashes before its checkpoint. */
    for (uint64_t id = 1; id <= 2; id++) {
        ol_part_entry_t e = part(id, id == 1 ? 4 : 6);
        e.bytes = 5;
        char pp[300];
        ol_catalog_part_path(p, id, pp, sizeof pp);
        write_file(pp, "abcde", 5);
        ol_manifest_add(&m, &e);
        CHECK_EQ_INT(ol_manifest_store(px, p, &m, &err), OL_OK);
        if (id == 1) CHECK_EQ_INT(ol_checkpoint_store(px, dir, &ck, 4, &err), OL_OK);
    }
    touch(p, "0000000000000003.olp.tmp", 2); /* a merge that never finished */
    ol_manifest_free(&m);

    /* Restart. */
    CHECK_EQ_INT(ol_checkpoint_load(px, dir, &ck, &err), OL_OK);
    ol_catalog_list_t l;
    CHECK_EQ_INT(ol_catalog_list(dir, &l, &err), OL_OK);
    CHECK_EQ_INT(l.n, 1);
    ol_catalog_list_free(&l);
    CHECK_EQ_INT(ol_manifest_load(px, p, OL_SIGNAL_METRICS, 20778, &m, &err), OL_OK);
    CHECK_EQ_INT(ol_manifest_drop_untrusted(&m, ck.wal_segment), 1);
    CHECK_EQ_INT(ol_manifest_store(px, p, &m, &err), OL_OK);
    ol_catalog_sweep_stats_t st;
    CHECK_EQ_INT(ol_catalog_sweep(px, p, &m, NULL, NULL, &st, &err), OL_OK);
    CHECK(st.unlisted_removed == 1 && st.tmp_removed == 1 && st.problems == 0);
    CHECK(exists(p, "0000000000000001.olp") && !exists(p, "0000000000000002.olp"));
    ol_manifest_free(&m);
    ol_test_rm_rf(dir);
}

int main(void)
{
    ol_log_set_level((ol_log_level_t)(OL_LOG_ERROR + 1));
    RUN(test_day_naming);
    RUN(test_part_naming);
    RUN(test_manifest_layout);
    RUN(test_manifest_truncation_and_flips);
    RUN(test_manifest_bad_fields);
    RUN(test_manifest_max_parts);
    RUN(test_manifest_helpers);
    RUN(test_load_store);
    RUN(test_replace_failures);
    RUN(test_checkpoint);
    RUN(test_sweep);
    RUN(test_partitions);
    RUN(test_startup_sequence);
    return TEST_REPORT();
}
