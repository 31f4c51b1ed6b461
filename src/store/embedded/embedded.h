/*
 * embedded.h - private layouts of the embedded store: the write-ahead log
 * (wal.c), the in-memory index (index.c) and the store object that ties
 * them together (store.c). Nothing outside src/store/embedded/ includes this.
 *
 * Data lifetime: every WAL record becomes one ol_ix_chunk_t that owns the
 * record's payload bytes and the arena holding the decoded batch. The index
 * points at the chunk's views (spans, logs, metrics) and never copies them.
 * Chunks live until the store is closed.
 *
 * Locking: s->append_mu serializes appends (WAL writer, dedup set); s->lock
 * (a writer-preferring rwlock) guards the index: appends take it for writing
 * only to index a record that is already in the log, scans take it for reading.
 */
#ifndef OL_STORE_EMBEDDED_H
#define OL_STORE_EMBEDDED_H

#include <pthread.h>
#include <stdatomic.h>

#include "core/arena.h"
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

/* ---- the store ---- */

struct ol_store {
    char *dir;
    char *wal_dir;
    const ol_io_t *io;
    ol_wal_t *wal;
    pthread_mutex_t append_mu;
    pthread_rwlock_t lock;
    bool locks_ready;
    ol_ix_t ix;
    ol_ix_idset_t ids; /* guarded by append_mu (and written during replay) */
    atomic_bool ready;
    atomic_uint_fast64_t append_errors;
};

#endif
