/*
 * catalog.c - partition manifests, the WAL checkpoint, the atomic replace
 * that writes them, the start-up sweep and the parts/ directory layout
 * (docs/format/manifest.md is the contract; this file its only implementation).
 *
 * Decoding trusts nothing: the CRC is checked first, but every count and
 * length is still checked against the bytes present, because the decoder is
 * fuzzed with the CRC fixed up. Encoding refuses anything the decoder would
 * reject, so a manifest we wrote always loads.
 *
 * Every file-system change (create, write, fsync, rename, unlink, rmdir,
 * directory fsync) goes through the ol_io_t vtable; reads of directories and
 * lstat do not, since nothing is injected there.
 */
#include "store/embedded/catalog.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/util.h"

static const uint8_t ol_manifest_magic[8] = {'O', 'L', 'M', 'A', 'N', 'I', 'F', 0};
static const uint8_t ol_checkpoint_magic[8] = {'O', 'L', 'C', 'H', 'K', 'P', 'T', 0};

#define OL_CAT_PATH 4096
#define OL_CAT_SIGNALS 3

static uint16_t ol_cat_load_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* snprintf that reports truncation instead of warning about it. */
static bool ol_cat_fmt(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool ol_cat_fmt(char *out, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(out, n, fmt, ap);
    va_end(ap);
    return r >= 0 && (size_t)r < n;
}

static bool ol_cat_signal_ok(uint32_t s) { return s < OL_CAT_SIGNALS; }

/* ---- manifests in memory ---- */

void ol_manifest_init(ol_manifest_t *m, ol_signal_t signal, uint32_t day)
{
    memset(m, 0, sizeof *m);
    m->signal = signal;
    m->day = day;
}

void ol_manifest_free(ol_manifest_t *m)
{
    ol_free(OL_MEM_STORE, m->parts, m->cap_parts * sizeof *m->parts);
    m->parts = NULL;
    m->n_parts = m->cap_parts = 0;
}

static int ol_manifest_reserve(ol_manifest_t *m, size_t need)
{
    if (need <= m->cap_parts) return OL_OK;
    size_t cap = m->cap_parts ? m->cap_parts : 8;
    while (cap < need) cap *= 2;
    ol_part_entry_t *p = ol_realloc(OL_MEM_STORE, m->parts, m->cap_parts * sizeof *p, cap * sizeof *p);
    if (!p) return OL_NOMEM;
    m->parts = p;
    m->cap_parts = cap;
    return OL_OK;
}

int ol_manifest_copy(ol_manifest_t *dst, const ol_manifest_t *src)
{
    ol_manifest_init(dst, src->signal, src->day);
    dst->generation = src->generation;
    if (src->n_parts == 0) return OL_OK;
    if (ol_manifest_reserve(dst, src->n_parts) != OL_OK) return OL_NOMEM;
    memcpy(dst->parts, src->parts, src->n_parts * sizeof *src->parts);
    dst->n_parts = src->n_parts;
    return OL_OK;
}

/* First index whose id is >= id. */
static size_t ol_manifest_lower(const ol_manifest_t *m, uint64_t id)
{
    size_t lo = 0, hi = m->n_parts;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->parts[mid].id < id) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

ol_part_entry_t *ol_manifest_find(const ol_manifest_t *m, uint64_t id)
{
    size_t i = ol_manifest_lower(m, id);
    return i < m->n_parts && m->parts[i].id == id ? &m->parts[i] : NULL;
}

/* The per-entry rules a reader enforces (besides ordering). NULL when valid. */
static const char *ol_part_entry_problem(const ol_part_entry_t *e)
{
    if (e->id == 0) return "part id 0";
    if (e->min_ns > e->max_ns) return "min time after max time";
    if (e->flags & ~(uint32_t)OL_PART_FLAGS_KNOWN) return "unknown flag bits";
    return NULL;
}

int ol_manifest_add(ol_manifest_t *m, const ol_part_entry_t *e)
{
    if (ol_part_entry_problem(e)) return OL_ERR;
    size_t i = ol_manifest_lower(m, e->id);
    if (i < m->n_parts && m->parts[i].id == e->id) return OL_ERR;
    if (m->n_parts >= OL_MANIFEST_MAX_PARTS) return OL_LIMIT;
    if (ol_manifest_reserve(m, m->n_parts + 1) != OL_OK) return OL_NOMEM;
    memmove(&m->parts[i + 1], &m->parts[i], (m->n_parts - i) * sizeof *m->parts);
    m->parts[i] = *e;
    m->n_parts++;
    return OL_OK;
}

int ol_manifest_remove(ol_manifest_t *m, uint64_t id)
{
    size_t i = ol_manifest_lower(m, id);
    if (i >= m->n_parts || m->parts[i].id != id) return OL_NOTFOUND;
    memmove(&m->parts[i], &m->parts[i + 1], (m->n_parts - i - 1) * sizeof *m->parts);
    m->n_parts--;
    return OL_OK;
}

int ol_manifest_replace_parts(ol_manifest_t *m, const uint64_t *old_ids, size_t n_old, const ol_part_entry_t *add)
{
    for (size_t k = 0; k < n_old; k++) {
        if (!ol_manifest_find(m, old_ids[k])) return OL_NOTFOUND;
        for (size_t j = 0; j < k; j++)
            if (old_ids[j] == old_ids[k]) return OL_ERR;
    }
    if (add) {
        if (ol_part_entry_problem(add) || ol_manifest_find(m, add->id)) return OL_ERR;
        if (n_old == 0 && m->n_parts >= OL_MANIFEST_MAX_PARTS) return OL_LIMIT;
        if (ol_manifest_reserve(m, m->n_parts + 1) != OL_OK) return OL_NOMEM;
    }
    /* Positions first (the search needs the ids intact), then id 0 marks them. */
    size_t stack_idx[64], *idx = stack_idx;
    if (n_old > OL_ARRAY_LEN(stack_idx)) {
        idx = ol_malloc(OL_MEM_STORE, n_old * sizeof *idx);
        if (!idx) return OL_NOMEM;
    }
    for (size_t k = 0; k < n_old; k++) idx[k] = ol_manifest_lower(m, old_ids[k]);
    for (size_t k = 0; k < n_old; k++) m->parts[idx[k]].id = 0;
    if (idx != stack_idx) ol_free(OL_MEM_STORE, idx, n_old * sizeof *idx);
    size_t w = 0;
    for (size_t r = 0; r < m->n_parts; r++)
        if (m->parts[r].id != 0) m->parts[w++] = m->parts[r];
    m->n_parts = w;
    if (add) {
        int rc = ol_manifest_add(m, add);
        if (OL_NEVER(rc != OL_OK)) return rc;
    }
    return OL_OK;
}

size_t ol_manifest_drop_untrusted(ol_manifest_t *m, uint64_t checkpoint_segment)
{
    size_t w = 0;
    for (size_t r = 0; r < m->n_parts; r++)
        if (m->parts[r].wal_segment <= checkpoint_segment) m->parts[w++] = m->parts[r];
    size_t dropped = m->n_parts - w;
    m->n_parts = w;
    return dropped;
}

/* ---- encoding ---- */

int ol_manifest_encode(const ol_manifest_t *m, ol_buf_t *out)
{
    if (!ol_cat_signal_ok((uint32_t)m->signal) || m->day > OL_CATALOG_MAX_DAY) return OL_ERR;
    if (m->n_parts > OL_MANIFEST_MAX_PARTS) return OL_LIMIT;
    for (size_t i = 0; i < m->n_parts; i++) {
        if (ol_part_entry_problem(&m->parts[i])) return OL_ERR;
        if (i > 0 && m->parts[i].id <= m->parts[i - 1].id) return OL_ERR;
    }
    size_t size = OL_MANIFEST_HDR + m->n_parts * (OL_MANIFEST_ENTRY) + 4;
    if (OL_NEVER(size > OL_MANIFEST_MAX_BYTES)) return OL_LIMIT;
    int rc = ol_buf_reserve(out, size);
    if (rc != OL_OK) return rc;

    uint8_t *start = out->data + out->len, *p = start;
    memcpy(p, ol_manifest_magic, 8);
    ol_store_le32(p + 8, OL_MANIFEST_VERSION);
    ol_store_le64(p + 12, m->generation);
    ol_store_le32(p + 20, (uint32_t)m->signal);
    ol_store_le32(p + 24, m->day);
    ol_store_le32(p + 28, (uint32_t)m->n_parts);
    p += OL_MANIFEST_HDR;
    for (size_t i = 0; i < m->n_parts; i++, p += OL_MANIFEST_ENTRY) {
        const ol_part_entry_t *e = &m->parts[i];
        ol_store_le64(p, e->id);
        ol_store_le32(p + 8, e->level);
        ol_store_le64(p + 12, e->rows);
        ol_store_le64(p + 20, e->bytes);
        ol_store_le64(p + 28, e->min_ns);
        ol_store_le64(p + 36, e->max_ns);
        ol_store_le64(p + 44, e->wal_segment);
        ol_store_le32(p + 52, e->footer_crc);
        ol_store_le32(p + 56, e->flags);
        p[60] = p[61] = 0; /* extension length */
    }
    ol_store_le32(p, ol_crc32c(0, start, (size_t)(p - start)));
    out->len += size;
    return OL_OK;
}

int ol_manifest_decode(ol_slice_t in, ol_manifest_t *m, ol_err_t *err)
{
    memset(m, 0, sizeof *m);
    const uint8_t *p = in.ptr;
    size_t len = in.len;
    if (len < OL_MANIFEST_MIN_BYTES) {
        ol_err_set(err, "%zu bytes, shorter than the smallest manifest (%u)", len, OL_MANIFEST_MIN_BYTES);
        return OL_CORRUPT;
    }
    if (len > OL_MANIFEST_MAX_BYTES) {
        ol_err_set(err, "%zu bytes, larger than the limit (%u)", len, OL_MANIFEST_MAX_BYTES);
        return OL_CORRUPT;
    }
    if (memcmp(p, ol_manifest_magic, 8) != 0) {
        ol_err_set(err, "bad magic at offset 0 (not a manifest)");
        return OL_CORRUPT;
    }
    uint32_t version = ol_load_le32(p + 8);
    if (version != OL_MANIFEST_VERSION) {
        ol_err_set(err, "unsupported version %" PRIu32 " at offset 8 (expected %u)", version, OL_MANIFEST_VERSION);
        return OL_CORRUPT;
    }
    size_t end = len - 4;
    uint32_t stored = ol_load_le32(p + end), computed = ol_crc32c(0, p, end);
    if (stored != computed) {
        ol_err_set(err, "CRC mismatch at offset %zu: stored %08" PRIx32 ", computed %08" PRIx32, end, stored,
                   computed);
        return OL_CORRUPT;
    }
    uint64_t generation = ol_load_le64(p + 12);
    uint32_t signal = ol_load_le32(p + 20), day = ol_load_le32(p + 24), count = ol_load_le32(p + 28);
    if (!ol_cat_signal_ok(signal)) {
        ol_err_set(err, "unknown signal %" PRIu32 " at offset 20", signal);
        return OL_CORRUPT;
    }
    if (day > OL_CATALOG_MAX_DAY) {
        ol_err_set(err, "partition day %" PRIu32 " at offset 24 is after 9999-12-31", day);
        return OL_CORRUPT;
    }
    if (count > OL_MANIFEST_MAX_PARTS) {
        ol_err_set(err, "part count %" PRIu32 " at offset 28 exceeds the limit (%u)", count, OL_MANIFEST_MAX_PARTS);
        return OL_CORRUPT;
    }
    if ((uint64_t)count * OL_MANIFEST_ENTRY > end - OL_MANIFEST_HDR) {
        ol_err_set(err, "part count %" PRIu32 " at offset 28 needs %" PRIu64 " bytes, %zu present", count,
                   (uint64_t)count * OL_MANIFEST_ENTRY, end - OL_MANIFEST_HDR);
        return OL_CORRUPT;
    }
    ol_manifest_init(m, (ol_signal_t)signal, day);
    m->generation = generation;
    if (count > 0 && ol_manifest_reserve(m, count) != OL_OK) {
        ol_err_set(err, "no memory for %" PRIu32 " parts", count);
        return OL_NOMEM;
    }

    size_t off = OL_MANIFEST_HDR;
    for (uint32_t i = 0; i < count; i++) {
        if (end - off < OL_MANIFEST_ENTRY) {
            ol_err_set(err, "part %" PRIu32 " of %" PRIu32 " at offset %zu: entry truncated (%zu bytes left)", i,
                       count, off, end - off);
            goto corrupt;
        }
        const uint8_t *q = p + off;
        ol_part_entry_t e = {
            .id = ol_load_le64(q),
            .level = ol_load_le32(q + 8),
            .rows = ol_load_le64(q + 12),
            .bytes = ol_load_le64(q + 20),
            .min_ns = ol_load_le64(q + 28),
            .max_ns = ol_load_le64(q + 36),
            .wal_segment = ol_load_le64(q + 44),
            .footer_crc = ol_load_le32(q + 52),
            .flags = ol_load_le32(q + 56),
        };
        uint16_t ext = ol_cat_load_le16(q + 60);
        off += OL_MANIFEST_ENTRY;
        if (ext > end - off) {
            ol_err_set(err, "part %" PRIu32 " at offset %zu: extension of %u bytes runs past the end (%zu left)", i,
                       off - 2, ext, end - off);
            goto corrupt;
        }
        off += ext;
        const char *why = ol_part_entry_problem(&e);
        if (!why && m->n_parts > 0 && e.id <= m->parts[m->n_parts - 1].id) why = "part ids not strictly increasing";
        if (why) {
            ol_err_set(err, "part %" PRIu32 " (id %016" PRIx64 ") at offset %zu: %s", i, e.id,
                       (size_t)(q - p), why);
            goto corrupt;
        }
        m->parts[m->n_parts++] = e;
    }
    if (off != end) {
        ol_err_set(err, "%zu unexpected bytes at offset %zu after the last part", end - off, off);
        goto corrupt;
    }
    return OL_OK;
corrupt:
    ol_manifest_free(m);
    return OL_CORRUPT;
}

void ol_checkpoint_encode(const ol_checkpoint_t *c, uint8_t out[OL_CHECKPOINT_BYTES])
{
    memcpy(out, ol_checkpoint_magic, 8);
    ol_store_le32(out + 8, OL_CHECKPOINT_VERSION);
    ol_store_le64(out + 12, c->wal_segment);
    ol_store_le64(out + 20, c->generation);
    ol_store_le32(out + 28, ol_crc32c(0, out, 28));
}

int ol_checkpoint_decode(ol_slice_t in, ol_checkpoint_t *c, ol_err_t *err)
{
    memset(c, 0, sizeof *c);
    if (in.len != OL_CHECKPOINT_BYTES) {
        ol_err_set(err, "%zu bytes, a checkpoint is exactly %u", in.len, OL_CHECKPOINT_BYTES);
        return OL_CORRUPT;
    }
    const uint8_t *p = in.ptr;
    if (memcmp(p, ol_checkpoint_magic, 8) != 0) {
        ol_err_set(err, "bad magic at offset 0 (not a checkpoint)");
        return OL_CORRUPT;
    }
    uint32_t version = ol_load_le32(p + 8);
    if (version != OL_CHECKPOINT_VERSION) {
        ol_err_set(err, "unsupported version %" PRIu32 " at offset 8 (expected %u)", version, OL_CHECKPOINT_VERSION);
        return OL_CORRUPT;
    }
    uint32_t stored = ol_load_le32(p + 28), computed = ol_crc32c(0, p, 28);
    if (stored != computed) {
        ol_err_set(err, "CRC mismatch at offset 28: stored %08" PRIx32 ", computed %08" PRIx32, stored, computed);
        return OL_CORRUPT;
    }
    c->wal_segment = ol_load_le64(p + 12);
    c->generation = ol_load_le64(p + 20);
    return OL_OK;
}

/* ---- files ---- */

int ol_catalog_write_atomic(const ol_io_t *io, const char *dir, const char *name, ol_slice_t data, ol_err_t *err)
{
    char path[OL_CAT_PATH], tmp[OL_CAT_PATH];
    if (!ol_cat_fmt(path, sizeof path, "%s/%s", dir, name) || !ol_cat_fmt(tmp, sizeof tmp, "%s.tmp", path)) {
        ol_err_set(err, "%s/%s: path too long", dir, name);
        return OL_LIMIT;
    }
    const char *step;
    int fd = io->open(io, tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        step = "create";
        goto fail;
    }
    if (data.len > 0 && io->pwrite(io, fd, data.ptr, data.len, 0) < 0) {
        step = "write";
        goto fail;
    }
    if (io->fsync(io, fd) != 0) {
        step = "fsync";
        goto fail;
    }
    int crc = io->close(io, fd);
    fd = -1;
    if (crc != 0) {
        step = "close";
        goto fail;
    }
    if (ol_io_rename(io, tmp, path) != 0) {
        step = "rename";
        goto fail;
    }
    if (ol_io_sync_dir(io, dir) != 0) {
        ol_err_set(err, "%s: fsync of the directory after the rename failed: %s (the new file is in place, its "
                   "durability unknown)", path, strerror(errno));
        return OL_FULL;
    }
    return OL_OK;
fail:;
    int e = errno;
    if (fd >= 0) io->close(io, fd);
    if (ol_io_unlink(io, tmp) != 0 && errno != ENOENT)
        ol_warn("catalog: cannot remove %s: %s (the start-up sweep will)", tmp, strerror(errno));
    ol_err_set(err, "%s: %s failed: %s (the previous file is still in effect)", tmp, step, strerror(e));
    return OL_FULL;
}

/* Reads a whole file of at most max bytes into heap memory (OL_MEM_STORE).
 * OL_OK; OL_NOTFOUND; OL_LIMIT (more than max); OL_ERR; OL_NOMEM. */
static int ol_cat_read_file(const ol_io_t *io, const char *path, size_t max, uint8_t **out, size_t *len_out,
                            size_t *cap_out, ol_err_t *err)
{
    *out = NULL;
    *len_out = *cap_out = 0;
    int fd = io->open(io, path, O_RDONLY, 0);
    if (fd < 0) {
        if (errno == ENOENT) return OL_NOTFOUND;
        ol_err_set(err, "%s: cannot open: %s", path, strerror(errno));
        return OL_ERR;
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = OL_OK;
    for (;;) {
        if (len == cap) {
            if (cap > max) {
                ol_err_set(err, "%s: larger than %zu bytes", path, max);
                rc = OL_LIMIT;
                break;
            }
            size_t nc = cap ? OL_MIN(cap * 2, max + 1) : OL_MIN((size_t)4096, max + 1);
            uint8_t *nb = ol_realloc(OL_MEM_STORE, buf, cap, nc);
            if (!nb) {
                ol_err_set(err, "%s: no memory to read it", path);
                rc = OL_NOMEM;
                break;
            }
            buf = nb;
            cap = nc;
        }
        ssize_t r = io->pread(io, fd, buf + len, cap - len, len);
        if (r < 0) {
            ol_err_set(err, "%s: read failed at offset %zu: %s", path, len, strerror(errno));
            rc = OL_ERR;
            break;
        }
        len += (size_t)r;
        if (len < cap) break; /* a short count means end of file */
    }
    io->close(io, fd);
    if (rc != OL_OK) {
        ol_free(OL_MEM_STORE, buf, cap);
        return rc;
    }
    *out = buf;
    *len_out = len;
    *cap_out = cap;
    return OL_OK;
}

int ol_manifest_load(const ol_io_t *io, const char *dir, ol_signal_t signal, uint32_t day, ol_manifest_t *m,
                     ol_err_t *err)
{
    ol_manifest_init(m, signal, day);
    char path[OL_CAT_PATH];
    if (!ol_cat_fmt(path, sizeof path, "%s/MANIFEST", dir)) {
        ol_err_set(err, "%s: path too long", dir);
        return OL_LIMIT;
    }
    uint8_t *data;
    size_t len, cap;
    int rc = ol_cat_read_file(io, path, OL_MANIFEST_MAX_BYTES, &data, &len, &cap, err);
    if (rc == OL_LIMIT) return OL_CORRUPT; /* we never write one that large */
    if (rc != OL_OK) return rc;
    ol_err_t derr;
    rc = ol_manifest_decode(ol_slice(data, len), m, &derr);
    ol_free(OL_MEM_STORE, data, cap);
    if (rc != OL_OK) {
        ol_err_set(err, "%s: %s", path, derr.msg);
        ol_manifest_init(m, signal, day);
        return rc;
    }
    if (m->signal != signal || m->day != day) {
        char want[OL_CATALOG_DAY_LEN + 1], got[OL_CATALOG_DAY_LEN + 1];
        ol_catalog_day_format(day, want);
        ol_catalog_day_format(m->day, got);
        ol_err_set(err, "%s: belongs to %s/%s, found in the directory of %s/%s", path, ol_signal_name(m->signal), got,
                   ol_signal_name(signal), want);
        ol_manifest_free(m);
        ol_manifest_init(m, signal, day);
        return OL_CORRUPT;
    }
    return OL_OK;
}

int ol_manifest_store(const ol_io_t *io, const char *dir, ol_manifest_t *m, ol_err_t *err)
{
    m->generation++;
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_STORE, 0);
    int rc = ol_manifest_encode(m, &b);
    if (rc != OL_OK) {
        ol_err_set(err, "%s/MANIFEST: cannot encode %zu parts: %s", dir, m->n_parts, ol_rc_str(rc));
        ol_buf_free(&b);
        return rc;
    }
    rc = ol_catalog_write_atomic(io, dir, "MANIFEST", ol_buf_slice(&b), err);
    ol_buf_free(&b);
    return rc;
}

/* The directory part of path ("." when there is none). */
static void ol_cat_dirname(const char *path, char *out, size_t n)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        ol_cat_fmt(out, n, ".");
        return;
    }
    size_t len = slash == path ? 1 : (size_t)(slash - path);
    if (len >= n) len = n - 1;
    memcpy(out, path, len);
    out[len] = 0;
}

/* Renames path to path+suffix, or path+suffix+"-k" for the first k that is
 * free, then fsyncs the directory. */
static int ol_cat_set_aside(const ol_io_t *io, const char *path, const char *suffix, char *out, size_t out_n,
                            ol_err_t *err)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT) {
            ol_err_set(err, "%s: not found", path);
            return OL_NOTFOUND;
        }
        ol_err_set(err, "%s: %s", path, strerror(errno));
        return OL_ERR;
    }
    char to[OL_CAT_PATH];
    bool found = false;
    for (unsigned k = 0; k < 1000 && !found; k++) {
        bool fits = k == 0 ? ol_cat_fmt(to, sizeof to, "%s%s", path, suffix)
                           : ol_cat_fmt(to, sizeof to, "%s%s-%u", path, suffix, k);
        if (!fits) {
            ol_err_set(err, "%s: path too long to set aside", path);
            return OL_ERR;
        }
        found = lstat(to, &st) != 0 && errno == ENOENT;
    }
    if (!found) {
        ol_err_set(err, "%s: no free name to set it aside as", path);
        return OL_ERR;
    }
    if (ol_io_rename(io, path, to) != 0) {
        ol_err_set(err, "%s: cannot rename to %s: %s", path, to, strerror(errno));
        return OL_ERR;
    }
    char dir[OL_CAT_PATH];
    ol_cat_dirname(path, dir, sizeof dir);
    if (ol_io_sync_dir(io, dir) != 0)
        ol_warn("catalog: fsync of %s after setting %s aside failed: %s", dir, path, strerror(errno));
    if (out && !ol_cat_fmt(out, out_n, "%s", to) && out_n) out[0] = 0;
    return OL_OK;
}

int ol_manifest_set_aside(const ol_io_t *io, const char *dir, uint64_t unix_s, char *out, size_t out_n,
                          ol_err_t *err)
{
    char path[OL_CAT_PATH], suffix[40];
    if (!ol_cat_fmt(path, sizeof path, "%s/MANIFEST", dir)) {
        ol_err_set(err, "%s: path too long", dir);
        return OL_ERR;
    }
    ol_cat_fmt(suffix, sizeof suffix, ".corrupt-%" PRIu64, unix_s);
    return ol_cat_set_aside(io, path, suffix, out, out_n, err);
}

int ol_catalog_set_aside(const ol_io_t *io, const char *part_path, char *out, size_t out_n, ol_err_t *err)
{
    return ol_cat_set_aside(io, part_path, ".corrupt", out, out_n, err);
}

int ol_checkpoint_load(const ol_io_t *io, const char *data_dir, ol_checkpoint_t *c, ol_err_t *err)
{
    memset(c, 0, sizeof *c);
    char path[OL_CAT_PATH];
    if (!ol_cat_fmt(path, sizeof path, "%s/parts/CHECKPOINT", data_dir)) {
        ol_err_set(err, "%s: path too long", data_dir);
        return OL_LIMIT;
    }
    uint8_t *data;
    size_t len, cap;
    int rc = ol_cat_read_file(io, path, OL_CHECKPOINT_BYTES, &data, &len, &cap, err);
    if (rc == OL_LIMIT) {
        ol_err_set(err, "%s: longer than %u bytes", path, OL_CHECKPOINT_BYTES);
        return OL_CORRUPT;
    }
    if (rc != OL_OK) return rc;
    ol_err_t derr;
    rc = ol_checkpoint_decode(ol_slice(data, len), c, &derr);
    ol_free(OL_MEM_STORE, data, cap);
    if (rc != OL_OK) ol_err_set(err, "%s: %s", path, derr.msg);
    return rc;
}

int ol_checkpoint_store(const ol_io_t *io, const char *data_dir, ol_checkpoint_t *c, uint64_t wal_segment,
                        ol_err_t *err)
{
    if (wal_segment < c->wal_segment) {
        ol_err_set(err, "checkpoint cannot go back from WAL segment %" PRIu64 " to %" PRIu64, c->wal_segment,
                   wal_segment);
        return OL_ERR;
    }
    char parts[OL_CAT_PATH];
    if (!ol_cat_fmt(parts, sizeof parts, "%s/parts", data_dir)) {
        ol_err_set(err, "%s: path too long", data_dir);
        return OL_LIMIT;
    }
    struct stat st;
    if (stat(parts, &st) != 0) {
        if (ol_io_mkdir_p(parts) != 0 || ol_io_sync_dir(io, data_dir) != 0) {
            ol_err_set(err, "%s: cannot create: %s", parts, strerror(errno));
            return OL_FULL;
        }
    }
    c->generation++;
    ol_checkpoint_t next = {.wal_segment = wal_segment, .generation = c->generation};
    uint8_t b[OL_CHECKPOINT_BYTES];
    ol_checkpoint_encode(&next, b);
    int rc = ol_catalog_write_atomic(io, parts, "CHECKPOINT", ol_slice(b, sizeof b), err);
    if (rc == OL_OK) c->wal_segment = wal_segment;
    return rc;
}

int ol_checkpoint_set_aside(const ol_io_t *io, const char *data_dir, uint64_t unix_s, ol_err_t *err)
{
    char path[OL_CAT_PATH], suffix[40];
    if (!ol_cat_fmt(path, sizeof path, "%s/parts/CHECKPOINT", data_dir)) {
        ol_err_set(err, "%s: path too long", data_dir);
        return OL_ERR;
    }
    ol_cat_fmt(suffix, sizeof suffix, ".corrupt-%" PRIu64, unix_s);
    return ol_cat_set_aside(io, path, suffix, NULL, 0, err);
}

/* ---- start-up sweep ---- */

typedef enum { OL_CAT_OTHER, OL_CAT_TMP, OL_CAT_PART } ol_cat_kind_t;

typedef struct ol_cat_dirent {
    char *name;
    size_t name_cap;
    ol_cat_kind_t kind;
    uint64_t id;
} ol_cat_dirent_t;

static bool ol_cat_has_suffix(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n > k && memcmp(s + n - k, suffix, k) == 0;
}

static bool ol_cat_is_regular(const char *dir, const char *name)
{
    char p[OL_CAT_PATH];
    struct stat st;
    return ol_cat_fmt(p, sizeof p, "%s/%s", dir, name) && lstat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static void ol_cat_dirents_free(ol_cat_dirent_t *v, size_t n, size_t cap)
{
    for (size_t i = 0; i < n; i++) ol_free(OL_MEM_STORE, v[i].name, v[i].name_cap);
    ol_free(OL_MEM_STORE, v, cap * sizeof *v);
}

static bool ol_cat_remove(const ol_io_t *io, const char *dir, const char *name, ol_catalog_sweep_stats_t *st)
{
    char p[OL_CAT_PATH];
    if (ol_cat_fmt(p, sizeof p, "%s/%s", dir, name) && ol_io_unlink(io, p) == 0) return true;
    ol_warn("catalog: cannot remove %s/%s: %s", dir, name, strerror(errno));
    st->remove_failures++;
    return false;
}

int ol_catalog_sweep(const ol_io_t *io, const char *dir, const ol_manifest_t *m, ol_catalog_problem_fn fn, void *ud,
                     ol_catalog_sweep_stats_t *st_out, ol_err_t *err)
{
    ol_catalog_sweep_stats_t st = {0};
    DIR *d = opendir(dir);
    if (!d) {
        int e = errno;
        ol_err_set(err, "%s: cannot read the directory: %s", dir, strerror(e));
        return e == ENOENT ? OL_NOTFOUND : OL_ERR;
    }
    ol_cat_dirent_t *v = NULL;
    size_t n = 0, cap = 0, others = 0;
    bool manifest_file = false, set_aside = false;
    int rc = OL_OK;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        size_t len = strlen(name);
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
        if (strcmp(name, "MANIFEST") == 0) manifest_file = true;
        if (strncmp(name, "MANIFEST.corrupt-", 17) == 0) set_aside = true;
        ol_cat_kind_t kind = OL_CAT_OTHER;
        uint64_t id = 0;
        if (ol_cat_has_suffix(name, len, ".tmp")) kind = OL_CAT_TMP;
        else if (ol_catalog_part_name_parse(name, &id)) kind = OL_CAT_PART;
        if (kind != OL_CAT_OTHER && !ol_cat_is_regular(dir, name)) kind = OL_CAT_OTHER;
        if (kind == OL_CAT_OTHER) {
            others++;
            continue;
        }
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            ol_cat_dirent_t *nv = ol_realloc(OL_MEM_STORE, v, cap * sizeof *v, nc * sizeof *v);
            if (!nv) {
                rc = OL_NOMEM;
                break;
            }
            v = nv;
            cap = nc;
        }
        char *copy = ol_strndup(OL_MEM_STORE, name, len);
        if (!copy) {
            rc = OL_NOMEM;
            break;
        }
        v[n++] = (ol_cat_dirent_t){.name = copy, .name_cap = len + 1, .kind = kind, .id = id};
    }
    closedir(d);
    if (rc != OL_OK) {
        ol_err_set(err, "%s: no memory to list the directory", dir);
        goto out;
    }

    if (!m) {
        if (manifest_file || set_aside) {
            st.untouched = true;
            goto out;
        }
        size_t left = others;
        for (size_t i = 0; i < n; i++) {
            if (v[i].kind == OL_CAT_TMP) {
                if (ol_cat_remove(io, dir, v[i].name, &st)) st.tmp_removed++;
                else left++;
            } else {
                st.unlisted_kept++;
                left++;
            }
        }
        if (st.unlisted_kept)
            ol_warn("catalog: %s has %zu part files and no MANIFEST; keeping them", dir, st.unlisted_kept);
        if (left == 0) {
            if (ol_io_rmdir(io, dir) == 0) st.dir_removed = true;
            else {
                ol_warn("catalog: cannot remove the empty partition %s: %s", dir, strerror(errno));
                st.remove_failures++;
            }
        }
        goto out;
    }

    for (size_t i = 0; i < n; i++) {
        if (v[i].kind == OL_CAT_TMP) {
            if (ol_cat_remove(io, dir, v[i].name, &st)) st.tmp_removed++;
        } else if (!ol_manifest_find(m, v[i].id)) {
            if (set_aside) st.unlisted_kept++;
            else if (ol_cat_remove(io, dir, v[i].name, &st)) st.unlisted_removed++;
        }
    }
    if (st.unlisted_kept)
        ol_warn("catalog: %s holds a set-aside manifest; keeping %zu unlisted part files", dir, st.unlisted_kept);
    for (size_t i = 0; i < m->n_parts; i++) {
        const ol_part_entry_t *e = &m->parts[i];
        char p[OL_CAT_PATH];
        if (ol_catalog_part_path(dir, e->id, p, sizeof p) != OL_OK) continue;
        struct stat sb;
        ol_catalog_problem_t what;
        uint64_t size = 0;
        if (lstat(p, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            what = OL_CATALOG_PART_MISSING;
        } else {
            size = (uint64_t)sb.st_size;
            if (size == e->bytes) continue;
            what = OL_CATALOG_PART_SIZE;
        }
        st.problems++;
        if (fn) fn(ud, e, what, size);
    }
out:
    ol_cat_dirents_free(v, n, cap);
    if (st_out) *st_out = st;
    return rc;
}

/* ---- naming and layout ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date, for years >= 1. Counts
 * in 400-year eras starting on March 1, so that the leap day is the era's
 * last day of a year. */
static int64_t ol_cat_days_from_civil(int64_t y, unsigned mon, unsigned d)
{
    y -= mon <= 2;
    int64_t era = y / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (mon > 2 ? mon - 3 : mon + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void ol_cat_civil_from_days(int64_t z, int64_t *y, unsigned *mon, unsigned *d)
{
    z += 719468;
    int64_t era = z / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *mon = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*mon <= 2);
}

int ol_catalog_day_format(uint32_t day, char out[OL_CATALOG_DAY_LEN + 1])
{
    if (day > OL_CATALOG_MAX_DAY) {
        memcpy(out, "0000-00-00", OL_CATALOG_DAY_LEN + 1);
        return OL_LIMIT;
    }
    int64_t y;
    unsigned mon, d;
    ol_cat_civil_from_days(day, &y, &mon, &d);
    unsigned vals[3] = {(unsigned)y, mon, d};
    char *p = out;
    for (int k = 0; k < 3; k++) {
        unsigned v = vals[k];
        int width = k == 0 ? 4 : 2;
        for (int i = width - 1; i >= 0; i--, v /= 10) p[i] = (char)('0' + v % 10);
        p += width;
        if (k < 2) *p++ = '-';
    }
    *p = 0;
    return OL_OK;
}

int ol_catalog_day_parse(ol_slice_t s, uint32_t *day)
{
    if (s.len != OL_CATALOG_DAY_LEN || s.ptr[4] != '-' || s.ptr[7] != '-') return OL_CORRUPT;
    unsigned f[3] = {0, 0, 0};
    static const int start[3] = {0, 5, 8}, width[3] = {4, 2, 2};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < width[k]; i++) {
            uint8_t c = s.ptr[start[k] + i];
            if (c < '0' || c > '9') return OL_CORRUPT;
            f[k] = f[k] * 10 + (unsigned)(c - '0');
        }
    unsigned y = f[0], mon = f[1], d = f[2];
    static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || mon < 1 || mon > 12 || d < 1) return OL_CORRUPT;
    if (d > mdays[mon - 1] + (mon == 2 && leap)) return OL_CORRUPT;
    *day = (uint32_t)ol_cat_days_from_civil(y, mon, d);
    return OL_OK;
}

void ol_catalog_day_range_ns(uint32_t day, uint64_t *start_ns, uint64_t *end_ns)
{
    const uint64_t last = UINT64_MAX / OL_CATALOG_DAY_NS; /* the last day whose start fits */
    *start_ns = day <= last ? day * OL_CATALOG_DAY_NS : UINT64_MAX;
    *end_ns = day < last ? (day + 1) * OL_CATALOG_DAY_NS : UINT64_MAX;
}

void ol_catalog_part_name(uint64_t id, char out[OL_CATALOG_PART_NAME_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--, id >>= 4) out[i] = hex[id & 15];
    memcpy(out + 16, ".olp", 5);
}

bool ol_catalog_part_name_parse(const char *name, uint64_t *id)
{
    if (strlen(name) != OL_CATALOG_PART_NAME_LEN || strcmp(name + 16, ".olp") != 0) return false;
    uint64_t v = 0;
    for (int i = 0; i < 16; i++) {
        char c = name[i];
        unsigned x;
        if (c >= '0' && c <= '9') x = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') x = (unsigned)(c - 'a' + 10);
        else return false;
        v = v << 4 | x;
    }
    if (v == 0) return false;
    *id = v;
    return true;
}

int ol_catalog_partition_path(const char *data_dir, ol_signal_t signal, uint32_t day, char *out, size_t n)
{
    char ds[OL_CATALOG_DAY_LEN + 1];
    if (!ol_cat_signal_ok((uint32_t)signal) || ol_catalog_day_format(day, ds) != OL_OK) return OL_ERR;
    return ol_cat_fmt(out, n, "%s/parts/%s/%s", data_dir, ol_signal_name(signal), ds) ? OL_OK : OL_LIMIT;
}

int ol_catalog_part_path(const char *part_dir, uint64_t id, char *out, size_t n)
{
    char name[OL_CATALOG_PART_NAME_LEN + 1];
    ol_catalog_part_name(id, name);
    return ol_cat_fmt(out, n, "%s/%s", part_dir, name) ? OL_OK : OL_LIMIT;
}

int ol_catalog_partition_create(const ol_io_t *io, const char *data_dir, ol_signal_t signal, uint32_t day, char *out,
                                size_t n, ol_err_t *err)
{
    int rc = ol_catalog_partition_path(data_dir, signal, day, out, n);
    if (rc != OL_OK) {
        ol_err_set(err, "%s: no partition path for signal %d day %" PRIu32 " (%s)", data_dir, (int)signal, day,
                   ol_rc_str(rc));
        return rc;
    }
    if (ol_io_mkdir_p(out) != 0) {
        ol_err_set(err, "%s: cannot create: %s", out, strerror(errno));
        return OL_FULL;
    }
    char sigdir[OL_CAT_PATH], parts[OL_CAT_PATH];
    if (!ol_cat_fmt(sigdir, sizeof sigdir, "%s/parts/%s", data_dir, ol_signal_name(signal)) ||
        !ol_cat_fmt(parts, sizeof parts, "%s/parts", data_dir))
        return OL_LIMIT;
    const char *dirs[3] = {sigdir, parts, data_dir};
    for (int i = 0; i < 3; i++) {
        if (ol_io_sync_dir(io, dirs[i]) != 0) {
            ol_err_set(err, "%s: fsync failed: %s", dirs[i], strerror(errno));
            return OL_FULL;
        }
    }
    return OL_OK;
}

static bool ol_cat_is_dir(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Removes every entry of a "<day>.deleting" directory, the directory, and
 * fsyncs its parent. */
static int ol_cat_finish_drop(const ol_io_t *io, const char *sigdir, const char *del, ol_err_t *err)
{
    DIR *d = opendir(del);
    if (!d) {
        ol_err_set(err, "%s: cannot read: %s", del, strerror(errno));
        return OL_ERR;
    }
    struct dirent *de;
    size_t failed = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        char p[OL_CAT_PATH];
        if (!ol_cat_fmt(p, sizeof p, "%s/%s", del, de->d_name) || ol_io_unlink(io, p) != 0) failed++;
    }
    closedir(d);
    if (ol_io_rmdir(io, del) != 0) {
        ol_err_set(err, "%s: cannot remove (%zu entries could not be removed): %s", del, failed, strerror(errno));
        return OL_FULL;
    }
    if (ol_io_sync_dir(io, sigdir) != 0) {
        ol_err_set(err, "%s: fsync failed: %s", sigdir, strerror(errno));
        return OL_FULL;
    }
    return OL_OK;
}

int ol_catalog_partition_drop(const ol_io_t *io, const char *data_dir, ol_signal_t signal, uint32_t day,
                              ol_err_t *err)
{
    char live[OL_CAT_PATH], del[OL_CAT_PATH], sigdir[OL_CAT_PATH];
    int rc = ol_catalog_partition_path(data_dir, signal, day, live, sizeof live);
    if (rc != OL_OK) {
        ol_err_set(err, "%s: no partition path for signal %d day %" PRIu32, data_dir, (int)signal, day);
        return rc == OL_LIMIT ? OL_ERR : rc;
    }
    if (!ol_cat_fmt(del, sizeof del, "%s.deleting", live) ||
        !ol_cat_fmt(sigdir, sizeof sigdir, "%s/parts/%s", data_dir, ol_signal_name(signal))) {
        ol_err_set(err, "%s: path too long", live);
        return OL_ERR;
    }
    if (ol_cat_is_dir(del) && (rc = ol_cat_finish_drop(io, sigdir, del, err)) != OL_OK) return rc;
    if (!ol_cat_is_dir(live)) return OL_OK;
    if (ol_io_rename(io, live, del) != 0) {
        ol_err_set(err, "%s: cannot rename to %s: %s", live, del, strerror(errno));
        return OL_FULL;
    }
    if (ol_io_sync_dir(io, sigdir) != 0) {
        ol_err_set(err, "%s: fsync failed: %s", sigdir, strerror(errno));
        return OL_FULL;
    }
    return ol_cat_finish_drop(io, sigdir, del, err);
}

static int ol_cat_partition_cmp(const void *a, const void *b)
{
    const ol_catalog_partition_t *x = a, *y = b;
    if (x->day != y->day) return x->day < y->day ? -1 : 1;
    if (x->signal != y->signal) return x->signal < y->signal ? -1 : 1;
    return (int)x->dropping - (int)y->dropping;
}

void ol_catalog_list_free(ol_catalog_list_t *l)
{
    ol_free(OL_MEM_STORE, l->items, l->cap * sizeof *l->items);
    l->items = NULL;
    l->n = l->cap = 0;
}

int ol_catalog_list(const char *data_dir, ol_catalog_list_t *out, ol_err_t *err)
{
    memset(out, 0, sizeof *out);
    for (uint32_t s = 0; s < OL_CAT_SIGNALS; s++) {
        char sigdir[OL_CAT_PATH];
        if (!ol_cat_fmt(sigdir, sizeof sigdir, "%s/parts/%s", data_dir, ol_signal_name((ol_signal_t)s))) {
            ol_err_set(err, "%s: path too long", data_dir);
            goto fail_err;
        }
        DIR *d = opendir(sigdir);
        if (!d) {
            if (errno == ENOENT) continue;
            ol_err_set(err, "%s: cannot read: %s", sigdir, strerror(errno));
            goto fail_err;
        }
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            size_t len = strlen(de->d_name);
            bool dropping = len == OL_CATALOG_DAY_LEN + 9 && strcmp(de->d_name + OL_CATALOG_DAY_LEN, ".deleting") == 0;
            uint32_t day;
            if ((len != OL_CATALOG_DAY_LEN && !dropping) ||
                ol_catalog_day_parse(ol_slice(de->d_name, OL_CATALOG_DAY_LEN), &day) != OL_OK)
                continue;
            char p[OL_CAT_PATH];
            if (!ol_cat_fmt(p, sizeof p, "%s/%s", sigdir, de->d_name) || !ol_cat_is_dir(p)) continue;
            if (out->n == out->cap) {
                size_t nc = out->cap ? out->cap * 2 : 16;
                ol_catalog_partition_t *nv =
                    ol_realloc(OL_MEM_STORE, out->items, out->cap * sizeof *nv, nc * sizeof *nv);
                if (!nv) {
                    closedir(d);
                    ol_err_set(err, "%s: no memory to list the partitions", sigdir);
                    ol_catalog_list_free(out);
                    return OL_NOMEM;
                }
                out->items = nv;
                out->cap = nc;
            }
            out->items[out->n++] = (ol_catalog_partition_t){.signal = (ol_signal_t)s, .day = day, .dropping = dropping};
        }
        closedir(d);
    }
    if (out->n > 1) qsort(out->items, out->n, sizeof *out->items, ol_cat_partition_cmp);
    return OL_OK;
fail_err:
    ol_catalog_list_free(out);
    return OL_ERR;
}
