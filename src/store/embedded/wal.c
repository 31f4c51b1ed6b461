/*
 * wal.c - the write-ahead log: segment files of CRC-checked records
 * (format, replay and repair rules in docs/format/wal.md).
 *
 * Writing: one segment is open for appending at a time; ol_wal_append()
 * writes a whole record with one pwrite at the segment's end and, on any
 * failure, truncates the segment back so the log never holds a partial
 * record that was reported as failed. Appends are serialized by the caller.
 *
 * fsync: "always" is a group commit: the append only writes, and the
 * caller then waits in ol_wal_commit() until an fsync that started after its
 * write has finished; whoever holds sync_mu syncs for everyone queued behind
 * it. "interval" runs a thread that syncs the current segment when an append
 * has dirtied it. Every fsync holds sync_mu; a roll takes sync_mu before it
 * fsyncs and closes the old segment, so nobody syncs a closed descriptor and
 * a record in a rolled segment is durable once the roll returns.
 *
 * Reading: replay loads one segment at a time into memory and checks every
 * record against the end of what was read (never the declared length alone).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/util.h"
#include "store/embedded/embedded.h"

static const uint8_t ol_wal_magic[8] = {'O', 'L', 'L', 'Y', 'W', 'A', 'L', 0};

struct ol_wal {
    char *dir;
    const ol_io_t *io;
    uint64_t segment_bytes;
    ol_fsync_policy_t policy;
    uint32_t interval_ms;

    int fd; /* current segment, -1 if none; changed only with sync_mu held */
    uint64_t seq, end;
    uint64_t next_seq;
    uint64_t bytes, segments; /* totals over all live segments */

    pthread_mutex_t sync_mu;
    pthread_cond_t sync_cv;
    uint64_t synced_seq, synced_end; /* durable up to here (sync_mu) */
    atomic_uint_fast64_t written_seq, written_end; /* end of the last appended record */
    pthread_t sync_thread;
    bool thread_started, stop, sync_ready;
    atomic_bool dirty;
};

static void ol_wal_seg_path(const ol_wal_t *w, uint64_t seq, char *out, size_t n)
{
    snprintf(out, n, "%s/%016" PRIx64 ".wal", w->dir, seq);
}

static void ol_wal_fill_seg_hdr(uint8_t h[OL_WAL_SEG_HDR], uint64_t seq)
{
    memcpy(h, ol_wal_magic, 8);
    ol_store_le32(h + 8, OL_WAL_VERSION);
    ol_store_le32(h + 12, 0);
    ol_store_le64(h + 16, seq);
    ol_store_le32(h + 24, ol_crc32c(0, h, 24));
}

static bool ol_wal_seg_hdr_ok(const uint8_t *h, uint64_t seq)
{
    return memcmp(h, ol_wal_magic, 8) == 0 && ol_load_le32(h + 8) == OL_WAL_VERSION && ol_load_le32(h + 12) == 0 &&
           ol_load_le64(h + 16) == seq && ol_load_le32(h + 24) == ol_crc32c(0, h, 24);
}

static uint32_t ol_wal_rec_crc(const uint8_t *hdr, const uint8_t *payload, size_t n)
{
    return ol_crc32c(ol_crc32c(0, hdr, 16), payload, n);
}

/* ---- the interval fsync thread ---- */

static void *ol_wal_sync_main(void *arg)
{
    ol_wal_t *w = arg;
    pthread_mutex_lock(&w->sync_mu);
    while (!w->stop) {
        struct timespec ts = ol_mono_deadline_ms(w->interval_ms);
        pthread_cond_timedwait(&w->sync_cv, &w->sync_mu, &ts);
        if (w->stop) break;
        if (w->fd >= 0 && atomic_exchange(&w->dirty, false)) {
            if (w->io->fsync(w->io, w->fd) != 0) {
                ol_error("wal: background fsync of segment %016" PRIx64 " failed: %s", w->seq, strerror(errno));
                atomic_store(&w->dirty, true);
            }
        }
    }
    pthread_mutex_unlock(&w->sync_mu);
    return NULL;
}

int ol_wal_open(const char *wal_dir, const ol_io_t *io, uint64_t segment_bytes, ol_fsync_policy_t policy,
                uint32_t interval_ms, ol_wal_t **out)
{
    *out = NULL;
    if (ol_io_mkdir_p(wal_dir) != 0) {
        ol_error("wal: cannot create %s: %s", wal_dir, strerror(errno));
        return OL_ERR;
    }
    ol_wal_t *w = ol_calloc(OL_MEM_STORE, 1, sizeof *w);
    if (!w) return OL_NOMEM;
    w->fd = -1;
    w->io = io;
    w->segment_bytes = segment_bytes ? segment_bytes : (64u << 20);
    w->policy = policy;
    w->interval_ms = interval_ms ? interval_ms : 1000;
    w->next_seq = 1;
    atomic_init(&w->dirty, false);
    atomic_init(&w->written_seq, 0);
    atomic_init(&w->written_end, 0);
    w->dir = ol_strndup(OL_MEM_STORE, wal_dir, strlen(wal_dir));
    if (!w->dir) goto fail;

    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->sync_cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&w->sync_mu, NULL);
    w->sync_ready = true;
    if (policy == OL_FSYNC_INTERVAL) {
        if (pthread_create(&w->sync_thread, NULL, ol_wal_sync_main, w) != 0) {
            ol_error("wal: cannot start the fsync thread");
            goto fail;
        }
        w->thread_started = true;
    }
    *out = w;
    return OL_OK;
fail:
    ol_wal_close(w);
    return OL_NOMEM;
}

/* ---- replay ---- */

typedef struct ol_wal_seg {
    uint64_t seq;
} ol_wal_seg_t;

static int ol_wal_seg_cmp(const void *a, const void *b)
{
    uint64_t x = ((const ol_wal_seg_t *)a)->seq, y = ((const ol_wal_seg_t *)b)->seq;
    return x < y ? -1 : x > y;
}

/* "<16 hex>.wal" -> seq. */
static bool ol_wal_parse_name(const char *name, uint64_t *seq)
{
    if (strlen(name) != 20 || strcmp(name + 16, ".wal") != 0) return false;
    uint8_t b[8];
    if (ol_hex_decode(b, sizeof b, name, 16) != 8) return false;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | b[i];
    *seq = v;
    return v != 0;
}

/* Lists the segments, sorted by sequence; *segs is heap memory of *cap entries. */
static int ol_wal_list(ol_wal_t *w, ol_wal_seg_t **segs, size_t *n_out, size_t *cap_out)
{
    *segs = NULL;
    *n_out = *cap_out = 0;
    DIR *d = opendir(w->dir);
    if (!d) {
        ol_error("wal: cannot read %s: %s", w->dir, strerror(errno));
        return OL_ERR;
    }
    ol_wal_seg_t *v = NULL;
    size_t n = 0, cap = 0;
    int rc = OL_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        uint64_t seq;
        if (!ol_wal_parse_name(e->d_name, &seq)) continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            ol_wal_seg_t *nv = ol_realloc(OL_MEM_STORE, v, cap * sizeof *v, nc * sizeof *v);
            if (!nv) {
                rc = OL_NOMEM;
                break;
            }
            v = nv;
            cap = nc;
        }
        v[n++].seq = seq;
    }
    closedir(d);
    if (rc != OL_OK) {
        ol_free(OL_MEM_STORE, v, cap * sizeof *v);
        return rc;
    }
    if (n) qsort(v, n, sizeof *v, ol_wal_seg_cmp);
    *segs = v;
    *n_out = n;
    *cap_out = cap;
    return OL_OK;
}

/* Reads the whole file into heap memory (OL_MEM_STORE, *cap bytes). */
static int ol_wal_read_all(ol_wal_t *w, int fd, uint8_t **data, size_t *len, size_t *cap)
{
    uint8_t *p = NULL;
    size_t n = 0, c = 0;
    for (;;) {
        if (c - n < (1u << 20)) {
            size_t nc = c ? c * 2 : (1u << 20);
            uint8_t *np = ol_realloc(OL_MEM_STORE, p, c, nc);
            if (!np) {
                ol_free(OL_MEM_STORE, p, c);
                return OL_NOMEM;
            }
            p = np;
            c = nc;
        }
        size_t want = c - n;
        ssize_t r = w->io->pread(w->io, fd, p + n, want, n);
        if (r < 0) {
            ol_free(OL_MEM_STORE, p, c);
            return OL_ERR;
        }
        n += (size_t)r;
        if ((size_t)r < want) break; /* end of file */
    }
    *data = p;
    *len = n;
    *cap = c;
    return OL_OK;
}

static bool ol_wal_all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i]) return false;
    return true;
}

/* Copies data[off..len) to <path>.corrupt-<off>; returns 0 or -1. */
static int ol_wal_move_aside(ol_wal_t *w, const char *path, const uint8_t *data, size_t off, size_t len)
{
    char aside[4200];
    snprintf(aside, sizeof aside, "%s.corrupt-%zu", path, off);
    int fd = w->io->open(w->io, aside, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return -1;
    int rc = 0;
    if (len > off && w->io->pwrite(w->io, fd, data + off, len - off, 0) < 0) rc = -1;
    if (rc == 0 && w->io->fsync(w->io, fd) != 0) rc = -1;
    w->io->close(w->io, fd);
    if (rc != 0) unlink(aside);
    return rc;
}

enum { OL_WAL_REC_OK, OL_WAL_REC_INCOMPLETE, OL_WAL_REC_BAD, OL_WAL_REC_BAD_CRC };

/* Checks the record at data[off..len). *rec_len = header + payload when complete. */
static int ol_wal_check_record(const uint8_t *data, size_t len, size_t off, size_t *rec_len)
{
    size_t rem = len - off;
    if (rem < OL_WAL_REC_HDR) return OL_WAL_REC_INCOMPLETE;
    const uint8_t *h = data + off;
    uint32_t n = ol_load_le32(h + 4);
    if (h[0] != OL_WAL_REC_BATCH || h[1] > OL_SIGNAL_LOGS || h[2] != 0 || h[3] != 0 || n == 0 ||
        n > OL_WAL_MAX_PAYLOAD)
        return OL_WAL_REC_BAD;
    if (n > rem - OL_WAL_REC_HDR) return OL_WAL_REC_INCOMPLETE;
    *rec_len = OL_WAL_REC_HDR + (size_t)n;
    if (ol_load_le32(h + 16) != ol_wal_rec_crc(h, h + OL_WAL_REC_HDR, n)) return OL_WAL_REC_BAD_CRC;
    return OL_WAL_REC_OK;
}

/* Replays one segment. Returns the length of its good prefix (the segment
 * is cut to it), or -1 when the whole segment was set aside. */
static int64_t ol_wal_replay_segment(ol_wal_t *w, uint64_t seq, bool last, int fd, ol_wal_replay_fn fn, void *ud)
{
    char path[4096];
    ol_wal_seg_path(w, seq, path, sizeof path);
    uint8_t *data;
    size_t len, cap;
    int rc = ol_wal_read_all(w, fd, &data, &len, &cap);
    if (rc != OL_OK) {
        ol_error("wal: cannot read %s: %s", path, rc == OL_NOMEM ? "out of memory" : strerror(errno));
        return -2;
    }

    if (len < OL_WAL_SEG_HDR || !ol_wal_seg_hdr_ok(data, seq)) {
        ol_free(OL_MEM_STORE, data, cap);
        if (last && len < OL_WAL_SEG_HDR) {
            ol_warn("wal: torn segment header in %s (%zu bytes), removing it", path, len);
            unlink(path);
        } else {
            char aside[4200];
            snprintf(aside, sizeof aside, "%s.corrupt-0", path);
            ol_error("wal: bad segment header in %s, moved aside to %s", path, aside);
            if (rename(path, aside) != 0) ol_error("wal: cannot rename %s: %s", path, strerror(errno));
        }
        ol_io_fsync_dir(w->dir);
        return -1;
    }

    size_t off = OL_WAL_SEG_HDR;
    while (off < len) {
        size_t rec_len = 0;
        int st = ol_wal_check_record(data, len, off, &rec_len);
        if (st == OL_WAL_REC_OK) {
            const uint8_t *h = data + off;
            size_t n = rec_len - OL_WAL_REC_HDR;
            ol_wal_record_t rec = {
                .signal = h[1],
                .received_ns = ol_load_le64(h + 8),
                .mem = ol_malloc(OL_MEM_STORE, n),
                .mem_len = n,
                .segment_seq = seq,
                .offset = off,
            };
            if (!rec.mem) {
                ol_error("wal: out of memory replaying %s at offset %zu", path, off);
                ol_free(OL_MEM_STORE, data, cap);
                return -2;
            }
            memcpy(rec.mem, h + OL_WAL_REC_HDR, n);
            fn(ud, &rec);
            off += rec_len;
            continue;
        }
        bool torn = last && (st == OL_WAL_REC_INCOMPLETE || (st == OL_WAL_REC_BAD_CRC && off + rec_len == len) ||
                             ol_wal_all_zero(data + off, len - off));
        if (torn) {
            ol_warn("wal: torn record at the tail of %s, offset %zu: dropping %zu bytes", path, off, len - off);
        } else {
            ol_error("wal: corrupt record in %s at offset %zu (%s); %zu bytes moved aside to %s.corrupt-%zu", path,
                     off, st == OL_WAL_REC_BAD_CRC ? "CRC mismatch" : st == OL_WAL_REC_BAD ? "bad header" : "truncated",
                     len - off, path, off);
            if (ol_wal_move_aside(w, path, data, off, len) != 0)
                ol_error("wal: cannot move the damaged part of %s aside: %s", path, strerror(errno));
            ol_io_fsync_dir(w->dir);
        }
        if (w->io->ftruncate(w->io, fd, off) != 0 || w->io->fsync(w->io, fd) != 0)
            ol_error("wal: cannot truncate %s to %zu: %s", path, off, strerror(errno));
        break;
    }
    ol_free(OL_MEM_STORE, data, cap);
    return (int64_t)off;
}

int ol_wal_replay(ol_wal_t *w, ol_wal_replay_fn fn, void *ud) { return ol_wal_replay_after(w, 0, fn, ud); }

int ol_wal_replay_after(ol_wal_t *w, uint64_t skip_through, ol_wal_replay_fn fn, void *ud)
{
    ol_wal_seg_t *segs;
    size_t n, cap;
    int rc = ol_wal_list(w, &segs, &n, &cap);
    if (rc != OL_OK) return OL_ERR;

    w->bytes = w->segments = 0;
    if (skip_through >= w->next_seq) w->next_seq = skip_through + 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t seq = segs[i].seq;
        if (seq <= skip_through) {
            char path[4096];
            ol_wal_seg_path(w, seq, path, sizeof path);
            if (ol_io_unlink(w->io, path) != 0 && errno != ENOENT)
                ol_warn("wal: cannot delete segment %s (already in parts): %s", path, strerror(errno));
            continue;
        }
        bool last = i + 1 == n;
        char path[4096];
        ol_wal_seg_path(w, seq, path, sizeof path);
        int fd = w->io->open(w->io, path, O_RDWR, 0);
        if (fd < 0) {
            ol_error("wal: cannot open %s: %s", path, strerror(errno));
            rc = OL_ERR;
            break;
        }
        int64_t good = ol_wal_replay_segment(w, seq, last, fd, fn, ud);
        if (good == -2) {
            w->io->close(w->io, fd);
            rc = OL_ERR;
            break;
        }
        if (seq >= w->next_seq) w->next_seq = seq + 1;
        if (good < 0) {
            w->io->close(w->io, fd);
            continue;
        }
        w->bytes += (uint64_t)good;
        w->segments++;
        if (last) {
            pthread_mutex_lock(&w->sync_mu);
            w->fd = fd;
            w->seq = seq;
            w->end = (uint64_t)good;
            pthread_mutex_unlock(&w->sync_mu);
        } else {
            w->io->close(w->io, fd);
        }
    }
    ol_free(OL_MEM_STORE, segs, cap * sizeof *segs);
    return rc;
}

/* ---- appending ---- */

/* Creates segment next_seq and makes it current. OL_OK or OL_FULL (nothing changed). */
static int ol_wal_roll(ol_wal_t *w)
{
    char path[4096];
    uint64_t seq = w->next_seq;
    ol_wal_seg_path(w, seq, path, sizeof path);
    int fd = w->io->open(w->io, path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        ol_error("wal: cannot create %s: %s", path, strerror(errno));
        return OL_FULL;
    }
    uint8_t h[OL_WAL_SEG_HDR];
    ol_wal_fill_seg_hdr(h, seq);
    if (w->io->pwrite(w->io, fd, h, sizeof h, 0) < 0 || w->io->fsync(w->io, fd) != 0 ||
        ol_io_fsync_dir(w->dir) != 0) {
        ol_error("wal: cannot initialize %s: %s", path, strerror(errno));
        w->io->close(w->io, fd);
        unlink(path);
        return OL_FULL;
    }
    pthread_mutex_lock(&w->sync_mu);
    int old = w->fd;
    if (old >= 0) {
        if (w->io->fsync(w->io, old) != 0)
            ol_error("wal: fsync of segment %016" PRIx64 " failed: %s", w->seq, strerror(errno));
        w->io->close(w->io, old);
    }
    w->fd = fd;
    w->seq = seq;
    w->end = OL_WAL_SEG_HDR;
    atomic_store(&w->dirty, false);
    pthread_mutex_unlock(&w->sync_mu);
    w->next_seq = seq + 1;
    w->bytes += OL_WAL_SEG_HDR;
    w->segments++;
    return OL_OK;
}

int ol_wal_append(ol_wal_t *w, uint8_t signal, uint64_t received_ns, uint8_t *rec, size_t rec_len)
{
    if (rec_len <= OL_WAL_REC_HDR || rec_len - OL_WAL_REC_HDR > OL_WAL_MAX_PAYLOAD) return OL_LIMIT;
    size_t n = rec_len - OL_WAL_REC_HDR;
    if (w->fd < 0 || (w->end > OL_WAL_SEG_HDR && w->end + rec_len > w->segment_bytes)) {
        int rc = ol_wal_roll(w);
        if (rc != OL_OK) return rc;
    }
    rec[0] = OL_WAL_REC_BATCH;
    rec[1] = signal;
    rec[2] = rec[3] = 0;
    ol_store_le32(rec + 4, (uint32_t)n);
    ol_store_le64(rec + 8, received_ns);
    ol_store_le32(rec + 16, ol_wal_rec_crc(rec, rec + OL_WAL_REC_HDR, n));

    const char *what = NULL;
    if (w->io->pwrite(w->io, w->fd, rec, rec_len, w->end) < 0) what = "write";
    if (what) {
        int e = errno;
        ol_error("wal: %s of %zu bytes to segment %016" PRIx64 " at offset %" PRIu64 " failed: %s", what, rec_len,
                 w->seq, w->end, strerror(e));
        if (w->io->ftruncate(w->io, w->fd, w->end) != 0)
            ol_error("wal: cannot truncate segment %016" PRIx64 " back to %" PRIu64 ": %s", w->seq, w->end,
                     strerror(errno));
        return OL_FULL;
    }
    w->end += rec_len;
    w->bytes += rec_len;
    atomic_store(&w->written_seq, w->seq);
    atomic_store(&w->written_end, w->end);
    if (w->policy == OL_FSYNC_INTERVAL) atomic_store(&w->dirty, true);
    return OL_OK;
}

void ol_wal_undo(ol_wal_t *w, uint64_t seq, uint64_t end, size_t rec_len)
{
    if (w->fd < 0 || w->seq != seq || w->end != end || end < OL_WAL_SEG_HDR + rec_len) return;
    if (w->io->ftruncate(w->io, w->fd, end - rec_len) != 0) {
        ol_error("wal: cannot truncate segment %016" PRIx64 " back to %" PRIu64 ": %s", seq, end - rec_len,
                 strerror(errno));
        return;
    }
    w->end -= rec_len;
    w->bytes -= rec_len;
    atomic_store(&w->written_end, w->end);
}

void ol_wal_position(const ol_wal_t *w, uint64_t *seq, uint64_t *end)
{
    *seq = atomic_load(&((ol_wal_t *)w)->written_seq);
    *end = atomic_load(&((ol_wal_t *)w)->written_end);
}

int ol_wal_commit(ol_wal_t *w, uint64_t seq, uint64_t end)
{
    int rc = OL_OK;
    pthread_mutex_lock(&w->sync_mu);
    bool covered = w->synced_seq > seq || (w->synced_seq == seq && w->synced_end >= end) || w->seq > seq;
    if (!covered && w->fd >= 0) {
        /* Everything written before this point is covered by this fsync. */
        uint64_t upto_seq = atomic_load(&w->written_seq), upto_end = atomic_load(&w->written_end);
        if (w->io->fsync(w->io, w->fd) != 0) {
            ol_error("wal: fsync of segment %016" PRIx64 " failed: %s", w->seq, strerror(errno));
            rc = OL_FULL;
        } else if (upto_seq == w->seq) {
            w->synced_seq = upto_seq;
            w->synced_end = upto_end;
        }
    }
    pthread_mutex_unlock(&w->sync_mu);
    return rc;
}

int ol_wal_seal(ol_wal_t *w, uint64_t *sealed)
{
    if (w->fd < 0) {
        *sealed = w->next_seq - 1;
        return OL_OK;
    }
    uint64_t cur = w->seq;
    if (w->end <= OL_WAL_SEG_HDR) {
        *sealed = cur - 1; /* the current segment holds no record yet */
        return OL_OK;
    }
    int rc = ol_wal_roll(w);
    if (rc != OL_OK) return rc;
    *sealed = cur;
    return OL_OK;
}

size_t ol_wal_drop_through(ol_wal_t *w, uint64_t seq)
{
    ol_wal_seg_t *segs;
    size_t n, cap, dropped = 0;
    if (ol_wal_list(w, &segs, &n, &cap) != OL_OK) return 0;
    for (size_t i = 0; i < n && segs[i].seq <= seq; i++) {
        if (w->fd >= 0 && segs[i].seq == w->seq) continue;
        char path[4096];
        ol_wal_seg_path(w, segs[i].seq, path, sizeof path);
        struct stat st;
        uint64_t size = stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
        if (ol_io_unlink(w->io, path) != 0) {
            if (errno != ENOENT) ol_warn("wal: cannot delete segment %s: %s", path, strerror(errno));
            continue;
        }
        w->bytes -= OL_MIN(w->bytes, size);
        if (w->segments) w->segments--;
        dropped++;
    }
    if (dropped && ol_io_fsync_dir(w->dir) != 0) ol_warn("wal: fsync of %s failed: %s", w->dir, strerror(errno));
    ol_free(OL_MEM_STORE, segs, cap * sizeof *segs);
    return dropped;
}

int ol_wal_sync(ol_wal_t *w)
{
    int rc = OL_OK;
    pthread_mutex_lock(&w->sync_mu);
    if (w->fd >= 0) {
        atomic_store(&w->dirty, false);
        if (w->io->fsync(w->io, w->fd) != 0) {
            ol_error("wal: fsync of segment %016" PRIx64 " failed: %s", w->seq, strerror(errno));
            atomic_store(&w->dirty, true);
            rc = OL_FULL;
        }
    }
    pthread_mutex_unlock(&w->sync_mu);
    return rc;
}

void ol_wal_stats(ol_wal_t *w, uint64_t *bytes, uint64_t *segments)
{
    *bytes = w->bytes;
    *segments = w->segments;
}

void ol_wal_close(ol_wal_t *w)
{
    if (!w) return;
    if (w->thread_started) {
        pthread_mutex_lock(&w->sync_mu);
        w->stop = true;
        pthread_cond_signal(&w->sync_cv);
        pthread_mutex_unlock(&w->sync_mu);
        pthread_join(w->sync_thread, NULL);
    }
    if (w->fd >= 0) {
        if (w->io->fsync(w->io, w->fd) != 0)
            ol_error("wal: fsync of segment %016" PRIx64 " on close failed: %s", w->seq, strerror(errno));
        w->io->close(w->io, w->fd);
        w->fd = -1;
    }
    if (w->sync_ready) {
        pthread_cond_destroy(&w->sync_cv);
        pthread_mutex_destroy(&w->sync_mu);
    }
    if (w->dir) ol_free(OL_MEM_STORE, w->dir, strlen(w->dir) + 1);
    ol_free(OL_MEM_STORE, w, sizeof *w);
}
