/*
 * correlate_file.c - the index file: DATA/correlation.idx
 * (docs/format/correlation-index.md).
 *
 * Every batch that adds refs appends one record with one pwrite (no fsync:
 * the tick fsyncs once a second when something was written, and close
 * always does), so a process crash loses nothing the kernel has and a power
 * loss at most the last second, as the log's "interval" policy. Start-up
 * reads the file whole and applies it; a torn tail is cut off, damage is
 * copied aside to correlation.idx.corrupt-<offset> and cut off, a damaged
 * header moves the whole file aside. An append that fails is undone by
 * truncation, counted and logged; the memory index keeps the ref, and the
 * next compaction writes it.
 *
 * Evicted ids and reused root hints stay in the file until it is
 * rewritten: when it grows past
 * twice what its live refs need (plus 1 MiB), the tick writes the compacted
 * image to correlation.idx.tmp, fsyncs it, renames it over the file and
 * fsyncs the directory, so either the old or the new file is there after a
 * crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/util.h"
#include "pipeline/correlate_int.h"

#define OL_CFILE_NAME "correlation.idx"
#define OL_CFILE_SLACK (1u << 20)

static char *ol_cfile_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + 1 + strlen(name) + 1;
    char *p = ol_malloc(OL_MEM_PIPELINE, n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static void ol_cfile_error(ol_correlate_t *c, const char *what, int e)
{
    uint64_t n = atomic_fetch_add(&c->file_errors, 1) + 1;
    if ((n & (n - 1)) == 0) /* the 1st, 2nd, 4th, ... */
        ol_error("correlation index: %s %s: %s (%llu errors so far)", what, c->path, strerror(e),
                 (unsigned long long)n);
}

/* The header of a new file, fsynced with its directory. */
static int ol_cfile_init(ol_correlate_t *c)
{
    uint8_t hdr[OL_CIX_HEADER];
    ol_cix_put_header(hdr);
    if (c->io->ftruncate(c->io, c->fd, 0) != 0 || c->io->pwrite(c->io, c->fd, hdr, sizeof hdr, 0) < 0 ||
        c->io->fsync(c->io, c->fd) != 0 || ol_io_sync_dir(c->io, c->dir) != 0)
        return OL_ERR;
    c->file_end = OL_CIX_HEADER;
    return OL_OK;
}

/* Copies data[off..) to <path>.corrupt-<off>, fsynced. */
static int ol_cfile_set_aside(ol_correlate_t *c, const uint8_t *data, size_t len, size_t off)
{
    char aside[4096];
    snprintf(aside, sizeof aside, "%s.corrupt-%zu", c->path, off);
    int fd = c->io->open(c->io, aside, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return -1;
    int rc = c->io->pwrite(c->io, fd, data + off, len - off, 0) < 0 || c->io->fsync(c->io, fd) != 0 ? -1 : 0;
    c->io->close(c->io, fd);
    return rc;
}

static int ol_cfile_read_all(ol_correlate_t *c, uint8_t **out, size_t *len)
{
    struct stat st;
    if (fstat(c->fd, &st) != 0) return OL_ERR;
    size_t n = (size_t)st.st_size;
    uint8_t *p = ol_malloc(OL_MEM_PIPELINE, n ? n : 1);
    if (!p) return OL_NOMEM;
    ssize_t r = c->io->pread(c->io, c->fd, p, n, 0);
    if (r < 0) {
        ol_free(OL_MEM_PIPELINE, p, n ? n : 1);
        return OL_ERR;
    }
    *out = p;
    *len = (size_t)r;
    return OL_OK;
}

int ol_correlate_file_open(ol_correlate_t *c, ol_err_t *err)
{
    c->io = ol_io_posix();
    c->path = ol_cfile_join(c->dir, OL_CFILE_NAME);
    c->tmp_path = ol_cfile_join(c->dir, OL_CFILE_NAME ".tmp");
    if (!c->path || !c->tmp_path) return OL_NOMEM;
    if (ol_io_mkdir_p(c->dir) != 0) {
        ol_err_set(err, "correlation index: cannot create %s: %s", c->dir, strerror(errno));
        return OL_ERR;
    }
    ol_io_unlink(c->io, c->tmp_path); /* an interrupted compaction; the old file is whole */
    c->fd = c->io->open(c->io, c->path, O_RDWR | O_CREAT, 0644);
    if (c->fd < 0) {
        ol_err_set(err, "correlation index: cannot open %s: %s", c->path, strerror(errno));
        return OL_ERR;
    }
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = ol_cfile_read_all(c, &data, &len);
    if (rc != OL_OK) {
        ol_err_set(err, "correlation index: cannot read %s: %s", c->path, rc == OL_NOMEM ? "out of memory" : strerror(errno));
        return rc;
    }
    ol_cix_load_t res;
    ol_err_t lerr;
    rc = len ? ol_cix_load_image(&c->ix, &c->hints, ol_slice(data, len), &res, &lerr) : OL_CORRUPT;
    if (rc == OL_CORRUPT) {
        if (len >= OL_CIX_HEADER) { /* a damaged header: keep the file for inspection */
            ol_cfile_set_aside(c, data, len, 0);
            ol_error("correlation index: %s: %s; moved aside to %s.corrupt-0, starting empty", c->path, lerr.msg,
                     c->path);
        }
        rc = ol_cfile_init(c) == OL_OK ? OL_OK : OL_ERR;
        if (rc != OL_OK) ol_err_set(err, "correlation index: cannot write %s: %s", c->path, strerror(errno));
    } else if (rc == OL_OK) {
        if (res.tail != OL_CIX_CLEAN) {
            if (res.tail == OL_CIX_DAMAGED) {
                int aside = ol_cfile_set_aside(c, data, len, res.good_end);
                ol_error("correlation index: damaged record in %s at offset %zu; %zu bytes %s %s.corrupt-%zu",
                         c->path, res.good_end, len - res.good_end, aside == 0 ? "moved aside to" : "NOT saved to",
                         c->path, res.good_end);
            } else {
                ol_warn("correlation index: torn tail in %s at offset %zu; %zu bytes dropped", c->path, res.good_end,
                        len - res.good_end);
            }
            if (c->io->ftruncate(c->io, c->fd, res.good_end) != 0 || c->io->fsync(c->io, c->fd) != 0) {
                ol_err_set(err, "correlation index: cannot truncate %s: %s", c->path, strerror(errno));
                rc = OL_ERR;
            }
        }
        if (res.skipped_records) { /* a rewrite would drop them: keep the file as it was first */
            int aside = ol_cfile_set_aside(c, data, len, 0);
            ol_error("correlation index: %s: %llu records with a good CRC but malformed entries skipped; the file "
                     "%s %s.corrupt-0",
                     c->path, (unsigned long long)res.skipped_records, aside == 0 ? "copied to" : "NOT copied to",
                     c->path);
            if (aside != 0) c->compact_retry_end = UINT64_MAX; /* never rewrite what could not be saved */
        }
        c->file_end = res.good_end;
        if (rc == OL_OK)
            ol_info("correlation index: %s: %llu ids, %llu refs, %u root hints loaded (%llu ids evicted)", c->path,
                    (unsigned long long)c->ix.n, (unsigned long long)c->ix.n_refs, c->hints.n,
                    (unsigned long long)c->ix.evicted);
    } else {
        ol_err_set(err, "correlation index: %s: %s", c->path, lerr.msg);
    }
    ol_free(OL_MEM_PIPELINE, data, len ? len : 1);
    if (rc == OL_OK) ol_correlate_file_maybe_compact(c);
    return rc;
}

void ol_correlate_file_close(ol_correlate_t *c)
{
    if (c->fd >= 0) {
        ol_correlate_file_sync(c);
        c->io->close(c->io, c->fd);
        c->fd = -1;
    }
    ol_free(OL_MEM_PIPELINE, c->path, c->path ? strlen(c->path) + 1 : 0);
    ol_free(OL_MEM_PIPELINE, c->tmp_path, c->tmp_path ? strlen(c->tmp_path) + 1 : 0);
    c->path = c->tmp_path = NULL;
}

void ol_correlate_file_append(ol_correlate_t *c)
{
    if (c->fd >= 0 && c->wbuf.len && !c->wbuf.err) {
        if (c->io->pwrite(c->io, c->fd, c->wbuf.data, c->wbuf.len, c->file_end) < 0) {
            int e = errno;
            c->io->ftruncate(c->io, c->fd, c->file_end);
            ol_cfile_error(c, "cannot append to", e);
        } else {
            c->file_end += c->wbuf.len;
            c->dirty = true;
        }
    } else if (c->fd >= 0 && c->wbuf.err) {
        ol_cfile_error(c, "no memory for a record of", ENOMEM);
    }
    ol_buf_reset(&c->wbuf);
}

void ol_correlate_file_sync(ol_correlate_t *c)
{
    if (c->fd < 0 || !c->dirty) return;
    if (c->io->fsync(c->io, c->fd) != 0) ol_cfile_error(c, "cannot fsync", errno);
    c->dirty = false;
}

void ol_correlate_file_maybe_compact(ol_correlate_t *c)
{
    if (c->fd < 0) return;
    uint64_t need = OL_CIX_HEADER + c->ix.live_bytes + (uint64_t)c->hints.n * OL_CIX_ROOT_BYTES;
    if (c->file_end <= 2 * need + OL_CFILE_SLACK || c->file_end <= c->compact_retry_end) return;
    ol_buf_t img;
    ol_buf_init(&img, OL_MEM_PIPELINE, 0);
    int rc = ol_cix_write_image(&c->ix, &c->hints, &img);
    int fd = -1;
    if (rc == OL_OK) fd = c->io->open(c->io, c->tmp_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (rc == OL_OK && fd < 0) rc = OL_ERR;
    if (rc == OL_OK && (c->io->pwrite(c->io, fd, img.data, img.len, 0) < 0 || c->io->fsync(c->io, fd) != 0))
        rc = OL_ERR;
    if (rc == OL_OK && (ol_io_rename(c->io, c->tmp_path, c->path) != 0 || ol_io_sync_dir(c->io, c->dir) != 0))
        rc = OL_ERR;
    if (rc == OL_OK) {
        uint64_t before = c->file_end;
        c->io->close(c->io, c->fd);
        c->fd = fd;
        c->file_end = img.len;
        c->dirty = false;
        atomic_fetch_add(&c->compactions, 1);
        ol_info("correlation index: %s rewritten, %llu -> %zu bytes", c->path, (unsigned long long)before, img.len);
    } else {
        ol_cfile_error(c, "cannot rewrite", rc == OL_NOMEM ? ENOMEM : errno);
        c->compact_retry_end = c->file_end + OL_CFILE_SLACK;
        if (fd >= 0) c->io->close(c->io, fd);
        ol_io_unlink(c->io, c->tmp_path);
    }
    ol_buf_free(&img);
}
