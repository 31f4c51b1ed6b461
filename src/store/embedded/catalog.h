/*
 * catalog.h - which part files are live: one MANIFEST per partition (signal x
 * UTC day), the WAL CHECKPOINT, and the directory layout under <data>/parts/.
 * Formats and rules: docs/format/manifest.md.
 *
 * The catalog knows nothing about what is inside a part; it lists parts by id
 * with the few facts that merges, retention and start-up need (level, rows,
 * size, time range, WAL segment, footer CRC). The part writer (part files)
 * and the store (flush, merge, retention, start-up) drive it.
 *
 * Files are only ever replaced whole: write <name>.tmp, fsync, rename, fsync
 * the directory, every step through the ol_io_t vtable so tests can fail any
 * of them. After a failed replace the file in effect is the old or the new
 * version (as after a crash); callers keep every part either lists until a
 * later replace succeeds.
 *
 * Threads: nothing here locks. One writer per partition (and one for the
 * checkpoint) at a time; an ol_manifest_t is plain data owned by its caller.
 */
#ifndef OL_STORE_EMBEDDED_CATALOG_H
#define OL_STORE_EMBEDDED_CATALOG_H

#include "codec/otlp.h"
#include "core/buf.h"
#include "core/common.h"
#include "os/io.h"

#define OL_MANIFEST_VERSION 1u
#define OL_MANIFEST_HDR 32u       /* magic, version, generation, signal, day, count */
#define OL_MANIFEST_ENTRY 62u     /* fixed bytes of a part entry, extension excluded */
#define OL_MANIFEST_MIN_BYTES 36u /* header + CRC */
#define OL_MANIFEST_MAX_PARTS 1000000u
#define OL_MANIFEST_MAX_BYTES (256u << 20)
#define OL_CHECKPOINT_VERSION 1u
#define OL_CHECKPOINT_BYTES 32u

#define OL_PART_FLAG_TOMBSTONE 1u /* being deleted: readers skip it */
#define OL_PART_FLAGS_KNOWN OL_PART_FLAG_TOMBSTONE

#define OL_CATALOG_DAY_NS 86400000000000ull
#define OL_CATALOG_MAX_DAY 2932896u /* 9999-12-31 */
#define OL_CATALOG_DAY_LEN 10u      /* "YYYY-MM-DD" */
#define OL_CATALOG_PART_NAME_LEN 20u /* 16 hex digits + ".olp" */

/* ---- manifests in memory ---- */

typedef struct ol_part_entry {
    uint64_t id; /* >= 1; file <id as 16 hex>.olp */
    uint32_t level;
    uint64_t rows;
    uint64_t bytes; /* exact file size */
    uint64_t min_ns, max_ns;
    uint64_t wal_segment; /* highest WAL segment whose records are in the part */
    uint32_t footer_crc;
    uint32_t flags; /* OL_PART_FLAG_* */
} ol_part_entry_t;

typedef struct ol_manifest {
    ol_signal_t signal;
    uint32_t day;
    uint64_t generation;
    ol_part_entry_t *parts; /* sorted by id, strictly increasing; heap (OL_MEM_STORE) */
    size_t n_parts, cap_parts;
} ol_manifest_t;

/* An empty manifest of generation 0. Never fails (no allocation). */
void ol_manifest_init(ol_manifest_t *m, ol_signal_t signal, uint32_t day);
/* Frees the part array; m is then empty (signal, day, generation kept). */
void ol_manifest_free(ol_manifest_t *m);
/* Deep copy into dst (overwritten, not freed first). OL_OK or OL_NOMEM (dst empty). */
int ol_manifest_copy(ol_manifest_t *dst, const ol_manifest_t *src);
/* Binary search by id; NULL if absent. The pointer lives until m changes. */
ol_part_entry_t *ol_manifest_find(const ol_manifest_t *m, uint64_t id);
/* Inserts in id order. OL_OK; OL_ERR (id 0, duplicate id, min > max, unknown
 * flags); OL_LIMIT (OL_MANIFEST_MAX_PARTS); OL_NOMEM. m is unchanged on failure. */
int ol_manifest_add(ol_manifest_t *m, const ol_part_entry_t *e);
/* OL_OK or OL_NOTFOUND. */
int ol_manifest_remove(ol_manifest_t *m, uint64_t id);
/* A merge's swap, all or nothing: removes the n_old parts old_ids (all must be
 * listed, no repeats) and adds *add (NULL: removal only; its id must not be
 * listed). OL_OK; OL_NOTFOUND (an old id is not listed); OL_ERR (repeated old
 * id, or add invalid or already listed); OL_NOMEM. m is unchanged on failure. */
int ol_manifest_replace_parts(ol_manifest_t *m, const uint64_t *old_ids, size_t n_old, const ol_part_entry_t *add);
/* Removes the parts whose wal_segment is above the checkpoint: their rows come
 * back from WAL replay (manifest.md, "Start-up"). Returns how many. */
size_t ol_manifest_drop_untrusted(ol_manifest_t *m, uint64_t checkpoint_segment);

/* ---- encoding (pure) ---- */

/* Appends the MANIFEST file bytes to out. OL_OK; OL_LIMIT (too many parts);
 * OL_ERR (m holds something a reader would reject: see ol_manifest_add, bad
 * signal or day); OL_NOMEM / OL_LIMIT from the buffer. */
int ol_manifest_encode(const ol_manifest_t *m, ol_buf_t *out);
/* Decodes a whole MANIFEST file. m is overwritten (pass an empty or freed
 * manifest); it owns its part array afterwards, and is left empty on failure.
 * Every count and length is checked against in.len, so any input is safe.
 * OL_OK; OL_CORRUPT with err saying what and at which offset; OL_NOMEM. */
int ol_manifest_decode(ol_slice_t in, ol_manifest_t *m, ol_err_t *err);

typedef struct ol_checkpoint {
    uint64_t wal_segment; /* segments <= this are in listed parts; 0 = none */
    uint64_t generation;
} ol_checkpoint_t;

void ol_checkpoint_encode(const ol_checkpoint_t *c, uint8_t out[OL_CHECKPOINT_BYTES]);
/* OL_OK or OL_CORRUPT (wrong size, magic, version, CRC). */
int ol_checkpoint_decode(ol_slice_t in, ol_checkpoint_t *c, ol_err_t *err);

/* ---- files ---- */

/* Atomically replaces <dir>/<name> with data: <name>.tmp, write, fsync,
 * close, rename, fsync dir. OL_OK, or OL_FULL (err names the step and errno):
 * if the failure came before the rename the old file is in effect and the
 * .tmp was removed when possible; if only the directory fsync failed the new
 * file is visible but its durability is unknown. OL_LIMIT if a path is too long. */
int ol_catalog_write_atomic(const ol_io_t *io, const char *dir, const char *name, ol_slice_t data, ol_err_t *err);

/* Reads and decodes <dir>/MANIFEST and checks that it belongs to (signal,
 * day). OL_OK; OL_NOTFOUND (no MANIFEST); OL_CORRUPT (err starts with the
 * file's path); OL_ERR (the file could not be read); OL_NOMEM. m as in decode. */
int ol_manifest_load(const ol_io_t *io, const char *dir, ol_signal_t signal, uint32_t day, ol_manifest_t *m,
                     ol_err_t *err);
/* Increments m->generation, then writes m to <dir>/MANIFEST atomically. The
 * generation is not rolled back on failure, so a retry never reuses one that
 * may be on disk. Return codes of ol_manifest_encode and ol_catalog_write_atomic. */
int ol_manifest_store(const ol_io_t *io, const char *dir, ol_manifest_t *m, ol_err_t *err);
/* Renames <dir>/MANIFEST to MANIFEST.corrupt-<unix_s> (-1, -2, ... appended
 * if taken) and fsyncs dir. The new file name goes to out (may be NULL).
 * OL_OK, OL_NOTFOUND, OL_ERR. */
int ol_manifest_set_aside(const ol_io_t *io, const char *dir, uint64_t unix_s, char *out, size_t out_n,
                          ol_err_t *err);

/* <data_dir>/parts/CHECKPOINT. OL_OK; OL_NOTFOUND (absent: treat as segment
 * 0); OL_CORRUPT; OL_ERR (unreadable). */
int ol_checkpoint_load(const ol_io_t *io, const char *data_dir, ol_checkpoint_t *c, ol_err_t *err);
/* Moves the checkpoint to wal_segment: c is the one in effect (from load, or
 * zeroed when there was none). Refuses to go backwards (OL_ERR). Increments
 * c->generation (kept on failure, as for manifests); on OL_OK c->wal_segment
 * is updated. Creates <data_dir>/parts if needed. Codes of ol_catalog_write_atomic. */
int ol_checkpoint_store(const ol_io_t *io, const char *data_dir, ol_checkpoint_t *c, uint64_t wal_segment,
                        ol_err_t *err);
/* Renames a damaged CHECKPOINT to CHECKPOINT.corrupt-<unix_s>. As ol_manifest_set_aside. */
int ol_checkpoint_set_aside(const ol_io_t *io, const char *data_dir, uint64_t unix_s, ol_err_t *err);

/* Renames a damaged part file to <path>.corrupt (-1, -2, ... appended if
 * taken) so it is never read or deleted automatically; fsyncs its directory.
 * The new path goes to out (may be NULL). OL_OK, OL_NOTFOUND, OL_ERR. */
int ol_catalog_set_aside(const ol_io_t *io, const char *part_path, char *out, size_t out_n, ol_err_t *err);

/* ---- start-up sweep ---- */

typedef enum {
    OL_CATALOG_PART_MISSING = 1, /* listed, no file */
    OL_CATALOG_PART_SIZE = 2     /* listed, file size != entry's bytes */
} ol_catalog_problem_t;

/* Called once per listed part with a problem; the caller logs it and drops
 * the part from the manifest (setting the file aside first for SIZE). size is
 * the file's actual size (0 when missing). Must not change m. */
typedef void (*ol_catalog_problem_fn)(void *ud, const ol_part_entry_t *part, ol_catalog_problem_t what, uint64_t size);

typedef struct ol_catalog_sweep_stats {
    size_t tmp_removed;
    size_t unlisted_removed;
    size_t unlisted_kept;   /* parts kept: no manifest, or a set-aside manifest present */
    size_t problems;        /* callbacks made */
    size_t remove_failures; /* unlink/rmdir that failed (logged; retried next start) */
    bool dir_removed;       /* no manifest and nothing left: the directory is gone */
    bool untouched;         /* m == NULL and a MANIFEST or MANIFEST.corrupt-* is present */
} ol_catalog_sweep_stats_t;

/* Cleans one partition directory against its manifest as stored (m), or with
 * m == NULL when it has none (OL_NOTFOUND from load). Rules in manifest.md,
 * "Start-up": removes *.tmp, removes unlisted parts (only with a manifest and
 * no MANIFEST.corrupt-* present), reports listed parts that are missing or of
 * the wrong size, removes an empty directory that has no manifest. Only
 * regular files are removed. fn may be NULL; st may be NULL.
 * OL_OK; OL_NOTFOUND (no such directory); OL_ERR (unreadable); OL_NOMEM. */
int ol_catalog_sweep(const ol_io_t *io, const char *dir, const ol_manifest_t *m, ol_catalog_problem_fn fn, void *ud,
                     ol_catalog_sweep_stats_t *st, ol_err_t *err);

/* ---- naming and layout ---- */

/* "YYYY-MM-DD" + NUL into out. OL_OK or OL_LIMIT (day > OL_CATALOG_MAX_DAY). */
int ol_catalog_day_format(uint32_t day, char out[OL_CATALOG_DAY_LEN + 1]);
/* Strict: exactly "YYYY-MM-DD", a real date from 1970-01-01 to 9999-12-31.
 * OL_OK or OL_CORRUPT. */
int ol_catalog_day_parse(ol_slice_t s, uint32_t *day);
static inline uint32_t ol_catalog_day_of_ns(uint64_t unix_ns) { return (uint32_t)(unix_ns / OL_CATALOG_DAY_NS); }
/* The partition's time range [start, end) in Unix ns, saturated at UINT64_MAX. */
void ol_catalog_day_range_ns(uint32_t day, uint64_t *start_ns, uint64_t *end_ns);

/* "<16 lower-case hex>.olp" + NUL. */
void ol_catalog_part_name(uint64_t id, char out[OL_CATALOG_PART_NAME_LEN + 1]);
/* Exactly that shape (lower-case hex, id != 0); false for anything else. */
bool ol_catalog_part_name_parse(const char *name, uint64_t *id);

/* <data_dir>/parts/<signal>/<YYYY-MM-DD>. OL_OK; OL_LIMIT (does not fit in n);
 * OL_ERR (bad signal or day). */
int ol_catalog_partition_path(const char *data_dir, ol_signal_t signal, uint32_t day, char *out, size_t n);
/* <part_dir>/<id>.olp. OL_OK or OL_LIMIT. */
int ol_catalog_part_path(const char *part_dir, uint64_t id, char *out, size_t n);
/* Creates the partition directory (and parents) if needed, then fsyncs
 * parts/<signal>, parts and data_dir so the directory survives a crash. Its
 * path goes to out. OL_OK, OL_FULL (mkdir or fsync failed), OL_LIMIT, OL_ERR. */
int ol_catalog_partition_create(const ol_io_t *io, const char *data_dir, ol_signal_t signal, uint32_t day, char *out,
                                size_t n, ol_err_t *err);
/* Retention: drops a whole partition (rename to <day>.deleting, fsync, remove
 * the files and the directory, fsync), finishing an interrupted drop of the
 * same day first. OL_OK (also when there was nothing to drop), OL_FULL (a step
 * failed; call again), OL_ERR. */
int ol_catalog_partition_drop(const ol_io_t *io, const char *data_dir, ol_signal_t signal, uint32_t day,
                              ol_err_t *err);

typedef struct ol_catalog_partition {
    ol_signal_t signal;
    uint32_t day;
    bool dropping; /* a "<day>.deleting" directory: finish with ol_catalog_partition_drop */
} ol_catalog_partition_t;

typedef struct ol_catalog_list {
    ol_catalog_partition_t *items; /* sorted by day, then signal, then dropping */
    size_t n, cap;
} ol_catalog_list_t;

/* Lists the partition directories under <data_dir>/parts/<signal>/ for every
 * signal; names that are not a day (or a day + ".deleting") are skipped. A
 * missing parts/ or signal directory is an empty list. out is overwritten.
 * OL_OK, OL_ERR (a directory could not be read), OL_NOMEM. */
int ol_catalog_list(const char *data_dir, ol_catalog_list_t *out, ol_err_t *err);
void ol_catalog_list_free(ol_catalog_list_t *l);

#endif
