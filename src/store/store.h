/*
 * store.h - the store interface.
 *
 * Writers append decoded batches; readers query through src/query/, which
 * uses the scan functions below. This backend (store/embedded/) is a
 * write-ahead log plus an in-memory index of everything in it: correct and
 * durable, not yet fast (the columnar engine replaces the in-memory part
 * behind this same header).
 *
 * Durability contract: ol_store_append() returns OL_OK only after the
 * accepted items are written to the log (and fsynced when the policy is
 * "always"); the data is readable as soon as it returns. On OL_FULL (disk
 * full or I/O error) nothing of the batch is visible or acknowledged and the
 * log is left as it was; later appends try again, so the store recovers by
 * itself when space returns.
 *
 * Deduplication: a span whose (trace_id, span_id) is already stored is not
 * written again (a retrying SDK re-sends whole batches).
 *
 * Thread safety: all functions may be called from any thread.
 */
#ifndef OL_STORE_STORE_H
#define OL_STORE_STORE_H

#include "codec/otlp.h"
#include "core/common.h"
#include "os/io.h"

typedef struct ol_store ol_store_t;

typedef enum { OL_FSYNC_ALWAYS = 0, OL_FSYNC_INTERVAL = 1, OL_FSYNC_NEVER = 2 } ol_fsync_policy_t;

typedef struct ol_store_options {
    const char *dir;
    ol_fsync_policy_t fsync;
    uint32_t fsync_interval_ms; /* OL_FSYNC_INTERVAL; default 1000 */
    uint64_t wal_segment_bytes; /* roll the log at this size; default 64 MiB */
    const ol_io_t *io;          /* NULL = ol_io_posix() */
} ol_store_options_t;

/* Creates the directory layout if needed; does not replay. */
int ol_store_open(const ol_store_options_t *opt, ol_store_t **out, ol_err_t *err);
/* Replays the log into memory. A torn or corrupt tail is detected by length
 * and CRC, logged and cut off, never misread. */
int ol_store_replay(ol_store_t *s);
bool ol_store_ready(ol_store_t *s);
/* Flushes and fsyncs, then frees. */
void ol_store_close(ol_store_t *s);

typedef struct ol_store_append_result {
    uint64_t accepted;   /* items now stored */
    uint64_t duplicates; /* spans already present (not stored again, not an error) */
} ol_store_append_result_t;

/* Appends the valid items of the batch. Returns OL_OK, OL_FULL, OL_BUSY (not ready). */
int ol_store_append(ol_store_t *s, const ol_otlp_batch_t *b, ol_store_append_result_t *res);
int ol_store_sync(ol_store_t *s);

typedef struct ol_store_stats {
    uint64_t spans, traces, log_records, metric_points, metrics;
    uint64_t wal_bytes, wal_segments;
    uint64_t append_errors;
    uint64_t clock_skew_spans; /* end < start, or start more than 1h in the future when received */
} ol_store_stats_t;
void ol_store_stats(ol_store_t *s, ol_store_stats_t *out);

#endif
