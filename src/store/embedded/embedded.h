/*
 * embedded.h - private layouts of the embedded store: the write-ahead log
 * (wal.c), the in-memory index (index.c), the columnar parts and their
 * catalog (parts.c, flush.c, maint.c over store/col/ and catalog.c), and the
 * store object that ties them together (store.c). Nothing outside
 * src/store/embedded/ includes this.
 *
 * Data lifetime: every WAL record becomes one ol_ix_chunk_t that owns the
 * record's payload bytes and the arena holding the decoded batch. An index
 * points at the chunk's views (spans, logs, metrics) and never copies them.
 *
 * Spans go to the head (s->head): an index of the WAL records not yet in
 * parts. A flush freezes it (s->frozen, still readable), starts a new head,
 * writes the frozen spans into parts, and then in one step under the write
 * lock publishes the parts and drops the frozen head, so a reader sees every
 * span exactly once. Log records and metrics go to s->rec, an index that
 * lives as long as the store (loaded from parts at start-up); a flush writes
 * the records added since the previous flush into parts.
 *
 * Locking: s->append_mu serializes appends (WAL writer, dedup sets) and
 * freezes; s->lock (a writer-preferring rwlock) guards the indexes, the head
 * pointers and the part list: appends take it for writing only to index a
 * record that is already in the log, scans take it for reading while they
 * look at memory and take references on what they read afterwards (parts,
 * the frozen head). s->cat_mu serializes catalog writers (flush, merge,
 * retention) and guards the manifests and the checkpoint.
 */
#ifndef OL_STORE_EMBEDDED_H
#define OL_STORE_EMBEDDED_H

#include <pthread.h>
#include <stdatomic.h>

#include "core/arena.h"
#include "store/embedded/catalog.h"
#include "store/store.h"

/* ---- WAL (wal.c); format in docs/format/wal.md ---- */

#define OL_WAL_SEG_HDR 28u
#define OL_WAL_REC_HDR 20u
#define OL_WAL_REC_BATCH 0xB1u
#define OL_WAL_MAX_PAYLOAD (128u << 20)
#define OL_WAL_VERSION 1u

typedef struct ol_wal ol_wal_t;

typedef struct ol_wal_record {
    uint8_t signal;
    uint64_t received_ns;
    /* The payload, in heap memory (OL_MEM_STORE) of exactly mem_len bytes
     * starting at mem; ownership passes to the replay callback, which frees
     * it with ol_free(OL_MEM_STORE, mem, mem_len) when done. */
    uint8_t *mem;
    size_t mem_len;
    uint64_t segment_seq, offset; /* where the record starts */
} ol_wal_record_t;

typedef void (*ol_wal_replay_fn)(void *ud, ol_wal_record_t *rec);

/* wal_dir is created if needed. Does not read anything. */
int ol_wal_open(const char *wal_dir, const ol_io_t *io, uint64_t segment_bytes, ol_fsync_policy_t policy,
                uint32_t interval_ms, ol_wal_t **out);
/* Reads every segment in order, repairing torn tails and moving corruption
 * aside (see the format doc), and calls fn for each good record. Leaves the
 * writer positioned at the end of the last segment. OL_OK or OL_ERR (the
 * directory could not be read). */
int ol_wal_replay(ol_wal_t *w, ol_wal_replay_fn fn, void *ud);
/* Appends one record. rec[0..OL_WAL_REC_HDR) is filled in here; the payload
 * is rec[OL_WAL_REC_HDR..rec_len). Callers serialize appends. On failure
 * the log is as it was: OL_FULL (I/O error or disk full), OL_LIMIT (payload
 * too large). */
int ol_wal_append(ol_wal_t *w, uint8_t signal, uint64_t received_ns, uint8_t *rec, size_t rec_len);
/* Takes back the record of rec_len bytes that ends at (seq, end), if it is
 * still the last one in the log. Caller holds the append lock. */
void ol_wal_undo(ol_wal_t *w, uint64_t seq, uint64_t end, size_t rec_len);
/* Where the last appended record ends (segment, offset). */
void ol_wal_position(const ol_wal_t *w, uint64_t *seq, uint64_t *end);
/* Group commit for the "always" policy: returns once the log is fsynced at
 * least up to (seq, end). One caller fsyncs for everyone waiting, so
 * concurrent appends share fsyncs. Called without the append lock. OL_OK or
 * OL_FULL (the fsync failed: the record may or may not survive a crash). */
int ol_wal_commit(ol_wal_t *w, uint64_t seq, uint64_t end);
/* Replays like ol_wal_replay, but first deletes the segments numbered <=
 * skip_through (already in parts, per the checkpoint) without reading them. */
int ol_wal_replay_after(ol_wal_t *w, uint64_t skip_through, ol_wal_replay_fn fn, void *ud);
/* Ends the current segment so later appends go to a new one; *sealed is the
 * highest segment whose records are all appended (0 = none). Caller holds
 * the append lock. OL_OK or OL_FULL (the new segment could not be created). */
int ol_wal_seal(ol_wal_t *w, uint64_t *sealed);
/* Deletes the segments numbered <= seq (never the current one). Caller holds
 * the append lock. Returns how many were deleted; failures are logged. */
size_t ol_wal_drop_through(ol_wal_t *w, uint64_t seq);
/* fsyncs the current segment. OL_OK or OL_FULL. */
int ol_wal_sync(ol_wal_t *w);
void ol_wal_stats(ol_wal_t *w, uint64_t *bytes, uint64_t *segments);
/* Stops the fsync thread, fsyncs and closes. Accepts a half-built wal. */
void ol_wal_close(ol_wal_t *w);

/* ---- in-memory index (index.c) ---- */

/* Open-addressing hash map from a byte key (pointing at memory that outlives
 * the map) to a pointer. */
typedef struct ol_ix_slot {
    uint64_t hash;
    ol_slice_t key;
    void *val; /* NULL = empty slot */
} ol_ix_slot_t;

typedef struct ol_ix_map {
    ol_ix_slot_t *slots;
    size_t cap, n; /* cap is 0 or a power of two */
} ol_ix_map_t;

void *ol_ix_map_get(const ol_ix_map_t *m, ol_slice_t key);
int ol_ix_map_put(ol_ix_map_t *m, ol_slice_t key, void *val); /* OL_OK, OL_NOMEM; replaces */
void ol_ix_map_free(ol_ix_map_t *m);

/* Set of (trace_id, span_id) keys for span deduplication. */
#define OL_IX_SPANKEY 24
typedef struct ol_ix_idset {
    uint8_t (*keys)[OL_IX_SPANKEY];
    uint8_t *used;
    size_t cap, n;
} ol_ix_idset_t;

void ol_ix_spankey(uint8_t key[OL_IX_SPANKEY], const ol_otlp_span_t *sp);
bool ol_ix_idset_has(const ol_ix_idset_t *s, const uint8_t key[OL_IX_SPANKEY]);
int ol_ix_idset_add(ol_ix_idset_t *s, const uint8_t key[OL_IX_SPANKEY]); /* OL_OK, OL_NOMEM */
void ol_ix_idset_free(ol_ix_idset_t *s);

typedef struct ol_ix_chunk {
    struct ol_ix_chunk *next;
    uint8_t *mem; /* owns the record (or payload) bytes */
    size_t mem_len;
    ol_arena_t *arena; /* decoded batch */
    ol_otlp_batch_t batch;
    uint64_t received_ns;
} ol_ix_chunk_t;

typedef struct ol_ix_trace {
    uint8_t id[16];
    const ol_otlp_span_t **spans;
    size_t n, cap;
    uint64_t start_ns, end_ns;
    bool skew;
} ol_ix_trace_t;

typedef struct ol_ix_log {
    uint64_t t;
    const ol_otlp_log_t *l;
} ol_ix_log_t;

typedef struct ol_ix_metric {
    ol_slice_t name;
    const ol_otlp_metric_t *latest;
    const ol_otlp_metric_t **items;
    size_t n, cap;
    uint64_t n_points;
} ol_ix_metric_t;

typedef struct ol_ix_service {
    ol_slice_t name;
    ol_ix_map_t ops_set;
    ol_slice_t *ops;
    size_t n_ops, cap_ops;
} ol_ix_service_t;

typedef struct ol_ix {
    ol_ix_chunk_t *chunks, *last_chunk;
    ol_ix_map_t traces; /* trace id -> ol_ix_trace_t */
    ol_ix_trace_t **trace_list;
    size_t n_traces, cap_traces;
    ol_ix_log_t *logs; /* sorted by t, then arrival */
    size_t n_logs, cap_logs;
    ol_ix_map_t metrics; /* name -> ol_ix_metric_t */
    ol_ix_metric_t **metric_list;
    size_t n_metrics, cap_metrics;
    ol_ix_map_t services; /* name -> ol_ix_service_t */
    ol_ix_service_t **service_list;
    size_t n_services, cap_services;
    uint64_t n_spans, n_log_records, n_metric_points, n_skew;
} ol_ix_t;

/* Indexes a decoded chunk and takes ownership of it (freed by ol_ix_free).
 * Spans whose key is already in ids are skipped; the others are added to ids.
 * OL_OK or OL_NOMEM (the chunk is then still owned by the index, partly
 * indexed). Caller holds the write lock. */
int ol_ix_add_chunk(ol_ix_t *ix, ol_ix_idset_t *ids, ol_ix_chunk_t *c);
void ol_ix_free(ol_ix_t *ix);
/* Decodes payload (which lies inside the heap block mem of mem_len bytes)
 * into a new chunk that then owns mem. On failure mem is not taken.
 * OL_OK, OL_CORRUPT, OL_NOMEM. */
int ol_ix_chunk_decode(ol_signal_t sig, uint8_t *mem, size_t mem_len, ol_slice_t payload, uint64_t received_ns,
                       ol_ix_chunk_t **out, ol_err_t *err);
void ol_ix_chunk_free(ol_ix_chunk_t *c);
/* Decodes a copy of payload (which need not outlive the call) into a new
 * chunk that owns the copy. OL_OK, OL_CORRUPT, OL_NOMEM. */
int ol_ix_chunk_decode_copy(ol_signal_t sig, ol_slice_t payload, uint64_t received_ns, ol_ix_chunk_t **out,
                            ol_err_t *err);

/* ---- the store ---- */

/* The span head: what the WAL holds and parts do not yet. */
typedef struct ol_head {
    ol_ix_t ix;
    ol_ix_idset_t ids;       /* (trace id, span id) of its spans: drops re-sent spans */
    atomic_uint refs;        /* the store's + readers' */
    uint64_t bytes;          /* WAL payload bytes of its records */
    uint64_t first_mono_ns;  /* when its first record arrived (0 = empty) */
    uint64_t last_segment;   /* highest WAL segment holding its records (set at freeze) */
} ol_head_t;

/* A live part, shared by readers through references. */
typedef struct ol_store_part {
    struct ol_part *p;
    ol_signal_t signal;
    uint32_t day;
    uint32_t level;
    uint64_t id, rows, bytes, input_bytes, min_ns, max_ns, wal_segment;
    atomic_uint refs;     /* the part list's + readers' */
    atomic_bool doomed;   /* replaced or dropped: delete the file with the last reference */
    bool merging;         /* picked by a merge (cat_mu) */
} ol_store_part_t;

/* A partition's manifest as stored, with its directory. */
typedef struct ol_store_partition {
    ol_signal_t signal;
    uint32_t day;
    char *dir;
    ol_manifest_t m;
} ol_store_partition_t;

struct ol_store {
    char *dir;
    char *wal_dir;
    const ol_io_t *io;
    ol_wal_t *wal;
    pthread_mutex_t append_mu;
    pthread_rwlock_t lock;
    bool locks_ready;
    ol_store_options_t opt; /* with defaults filled in */
    size_t inflight;        /* written, waiting for a group-commit fsync (append_mu) */
    bool freezing;          /* a flush waits for inflight to drain: new appends wait (append_mu) */
    pthread_cond_t inflight_cv;

    ol_head_t *head;   /* spans not yet flushed (lock + append_mu to swap) */
    ol_head_t *frozen; /* spans being flushed, or NULL */
    ol_ix_t rec;       /* log records and metrics (all of them) */
    ol_ix_chunk_t *rec_flushed; /* last chunk of rec already in parts (NULL: none) */
    ol_ix_chunk_t *rec_upto;    /* last chunk of rec the running flush writes */
    uint64_t rec_bytes;          /* WAL payload bytes of rec chunks after rec_flushed */
    uint64_t rec_first_mono_ns;  /* arrival of the oldest such chunk (0 = none) */
    uint64_t retention_floor_ns[3]; /* rec items older than this are hidden (dropped on disk) */

    ol_store_part_t **parts; /* live parts (lock) */
    size_t n_parts, cap_parts;

    pthread_mutex_t cat_mu;
    ol_store_partition_t **partitions; /* cat_mu */
    size_t n_partitions, cap_partitions;
    ol_checkpoint_t ckpt;              /* cat_mu */
    uint64_t next_part_id;             /* cat_mu */

    pthread_mutex_t bg_mu;
    pthread_cond_t bg_cv, room_cv; /* work to do; room in the head */
    pthread_t *threads;
    size_t n_threads;
    bool stop, flushing, bg_ready;
    uint32_t merges_running; /* bg_mu: at most threads - 1 (1 with one thread), so a flush always has a thread */
    uint64_t flush_backoff_until; /* mono ns: after a failed flush */
    atomic_uint_fast64_t flushes, merges, flush_errors, merge_errors, dropped_partitions;

    atomic_bool ready;
    atomic_uint_fast64_t append_errors;

    /* Trace filter (ol_store_set_trace_filter): set and read under cat_mu,
     * called by flushes while they write the frozen head into parts. */
    ol_store_keep_fn keep;
    void *keep_ud;
    atomic_uint_fast64_t sampled_out_spans;
};

/* ---- parts (parts.c) ---- */

#define OL_STORE_PART_REF(sp) atomic_fetch_add(&(sp)->refs, 1)
void ol_store_part_unref(ol_store_t *s, ol_store_part_t *sp);
/* Opens the part file of a manifest entry; NULL on failure (logged). */
ol_store_part_t *ol_store_part_load(ol_store_t *s, const ol_store_partition_t *pt, const ol_part_entry_t *e);
/* Adds to / removes from the live list; caller holds the write lock. */
int ol_store_parts_add(ol_store_t *s, ol_store_part_t *sp);
void ol_store_parts_remove(ol_store_t *s, ol_store_part_t *sp);
/* References to the live parts of a signal overlapping [start_ns, end_ns];
 * caller holds the lock (read or write). Release with ol_store_parts_release. */
int ol_store_parts_snapshot(ol_store_t *s, ol_signal_t sig, uint64_t start_ns, uint64_t end_ns,
                            ol_store_part_t ***out, size_t *n);
void ol_store_parts_release(ol_store_t *s, ol_store_part_t **v, size_t n);
/* The partition (signal, day), created (directory and empty manifest in
 * memory) if needed. Caller holds cat_mu. */
ol_store_partition_t *ol_store_partition_get(ol_store_t *s, ol_signal_t sig, uint32_t day, bool create,
                                             ol_err_t *err);
void ol_store_partition_free(ol_store_partition_t *pt);
/* Start-up: checkpoint, drops, manifests, sweep, part files, record parts
 * into s->rec. Returns the checkpoint's segment through *ckpt_segment. */
int ol_store_parts_startup(ol_store_t *s, uint64_t *ckpt_segment);
/* Indexes a logs or metrics part's rows into s->rec (start-up). */
int ol_store_rec_load_part(ol_store_t *s, ol_store_part_t *sp);
uint64_t ol_store_new_part_id(ol_store_t *s); /* cat_mu */

/* ---- head (store.c) ---- */

ol_head_t *ol_head_new(void);
void ol_head_unref(ol_head_t *h);

/* ---- background work (flush.c, maint.c) ---- */

/* Flushes the head and the new records into parts if `force` or a
 * threshold is reached. OL_OK (also: nothing to do), or an error (logged;
 * the head stays and is retried). */
int ol_store_flush(ol_store_t *s, bool force);
bool ol_store_flush_due(ol_store_t *s); /* lock-free estimate */
/* One merge if some partition has enough small parts: OL_OK (merged),
 * OL_NOTFOUND (nothing to merge), or an error (logged). */
int ol_store_merge_once(ol_store_t *s);
/* Drops partitions past their signal's age or size limit. */
void ol_store_retention(ol_store_t *s);
int ol_store_bg_start(ol_store_t *s);
void ol_store_bg_stop(ol_store_t *s);

#endif
