/*
 * store.h - the store interface.
 *
 * Writers append decoded batches; readers query through src/query/, which
 * uses the scan functions below. This backend (store/embedded/) is a
 * write-ahead log, an in-memory head of what arrived since the last flush,
 * and immutable columnar parts (docs/storage.md).
 *
 * Durability contract: ol_store_append() returns OL_OK only after the
 * accepted items are written to the log (and fsynced when the policy is
 * "always"); the data is readable as soon as it returns. On OL_FULL (disk
 * full or I/O error) nothing of the batch is visible or acknowledged and the
 * log is left as it was; later appends try again, so the store recovers by
 * itself when space returns.
 *
 * Deduplication: a span whose (trace_id, span_id) is still in memory (the
 * head, or the head being flushed) is not written again and is counted as
 * a duplicate (a retrying SDK re-sends whole batches within seconds). A
 * span re-sent after its first copy was flushed into a part is written
 * again; reads return it once and merges keep one copy.
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
    /* Columnar engine (0 = default). The head is flushed into parts when
     * its log bytes reach flush_bytes (64 MiB) or its oldest record is
     * flush_age_ms old (5 min); a partition's small parts are merged once
     * it has merge_min_parts (4) of them; `threads` (2) background threads
     * flush, merge and apply retention. */
    uint64_t flush_bytes;
    uint64_t flush_age_ms;
    uint32_t merge_min_parts;
    uint32_t threads;
    /* Threads one read may use (trace search over granules, span briefs):
     * 0 = the online CPUs, at most 64. */
    uint32_t query_threads;
    /* Per signal (ol_signal_t): drop partitions whose day ended more than
     * retention_ns ago, and the oldest partitions while the signal's parts
     * exceed max_bytes (0 = no limit for either). */
    uint64_t retention_ns[3];
    uint64_t max_bytes[3];
    /* Close without flushing the head into parts (the WAL keeps it and is
     * replayed at the next open); for tests of the log itself. */
    bool keep_head_on_close;
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

/* Appends the valid items of the batch. Returns OL_OK, OL_FULL, OL_BUSY (not
 * ready), or OL_LIMIT when the accepted items exceed one WAL record (128 MiB,
 * docs/format/wal.md); nothing is stored on any error. */
int ol_store_append(ol_store_t *s, const ol_otlp_batch_t *b, ol_store_append_result_t *res);
/* The same, and for a traces batch also says which spans were duplicates:
 * dup (b->n_spans flags, or NULL) gets 1 for each span not stored because it
 * is already present, 0 for the others, so the pipeline counts each span
 * once however often an SDK re-sends it. On error every flag is 0. */
int ol_store_append_dups(ol_store_t *s, const ol_otlp_batch_t *b, ol_store_append_result_t *res, uint8_t *dup);
int ol_store_sync(ol_store_t *s);

typedef struct ol_store_stats {
    uint64_t spans;        /* in the head and in parts (a span re-sent after its flush counts twice) */
    uint64_t traces;       /* in the head only (parts do not count traces) */
    uint64_t log_records, metric_points, metrics;
    uint64_t wal_bytes, wal_segments;
    uint64_t append_errors;
    uint64_t clock_skew_spans; /* in the head: end < start, or start more than 1h in the future when received */
    uint64_t head_spans, head_bytes; /* not yet in parts (head and frozen head) */
    uint64_t parts, part_bytes;
    uint64_t flushes, flush_errors, merges, merge_errors, dropped_partitions;
    uint64_t sampled_out_spans; /* dropped at flush by the trace filter */
} ol_store_stats_t;
void ol_store_stats(ol_store_t *s, ol_store_stats_t *out);

/* Parts on disk per signal and partition (UTC day), sorted by signal then day. */
typedef struct ol_store_partition_stats {
    ol_signal_t signal;
    uint32_t day;       /* days since 1970-01-01 */
    char day_name[11];  /* "YYYY-MM-DD" */
    uint64_t parts, rows, bytes, input_bytes; /* input_bytes: the rows as received (encoded OTLP) */
    uint64_t min_ns, max_ns;
} ol_store_partition_stats_t;
typedef int (*ol_store_partition_fn)(void *ud, const ol_store_partition_stats_t *p);
int ol_store_scan_partitions(ol_store_t *s, ol_store_partition_fn fn, void *ud);

/* Trace filter applied when the head is flushed into parts (tail sampling):
 * the spans of a trace for which keep() returns false are not written to the
 * part and are counted (stats.sampled_out_spans). The log keeps every span
 * until the flush, so what was acknowledged is durable until the decision;
 * reads before the flush still see the dropped traces. keep() is called from
 * the flushing thread while it holds the catalog mutex (appends and reads do
 * not wait on it), and must not call store functions. NULL (the default) keeps everything. */
typedef bool (*ol_store_keep_fn)(void *ud, const uint8_t trace_id[16]);
void ol_store_set_trace_filter(ol_store_t *s, ol_store_keep_fn keep, void *ud);

/* Flushes everything in memory into parts now (tests, benchmarks, shutdown). */
int ol_store_flush_now(ol_store_t *s);

/* ---- Reading (used by src/query/) ----
 *
 * Each scan holds the store's read lock while it runs and calls fn once per
 * match. The views fn receives (items, their origins, every slice in them)
 * are valid only until fn returns: copy what must outlive the call. fn
 * returns OL_OK to go on, OL_STORE_STOP to end the scan early (the scan then
 * returns OL_OK), or an error code, which ends the scan and is returned. fn
 * must not call other store functions. Scans run concurrently with each
 * other; an append waits for them only to index, never to write the log.
 */
#define OL_STORE_STOP 1
/* Service of an item whose resource has no service.name. */
#define OL_STORE_UNKNOWN_SERVICE "unknown_service"

static inline ol_slice_t ol_store_service_of(const ol_otlp_origin_t *o)
{
    return o && o->service_name.len ? o->service_name : OL_SLICE_LIT(OL_STORE_UNKNOWN_SERVICE);
}

typedef struct ol_store_trace {
    const uint8_t *trace_id;            /* 16 bytes */
    const ol_otlp_span_t *const *spans; /* in arrival order */
    size_t n_spans;
    uint64_t start_ns, end_ns;          /* min start, max end over the spans */
    bool clock_skew;                    /* some span is clock-skewed (see stats) */
} ol_store_trace_t;
typedef int (*ol_store_trace_fn)(void *ud, const ol_store_trace_t *t);

/* One call with the trace's spans; OL_NOTFOUND when no span has this id. */
int ol_store_scan_trace(ol_store_t *s, const uint8_t trace_id[16], ol_store_trace_fn fn, void *ud);
/* A span as a trace's summary needs it (search results), without its
 * attributes, events or links: reading these from parts decodes a few small
 * columns instead of whole spans. start_ns, end_ns, status_code and name are
 * what ol_otlp_span_t holds; service is ol_store_service_of's. */
typedef struct ol_store_span_brief {
    uint8_t span_id[8];
    bool has_parent;
    int32_t status_code;
    uint64_t start_ns, end_ns;
    ol_slice_t service, name;
} ol_store_span_brief_t;
typedef struct ol_store_trace_brief {
    const uint8_t *trace_id;              /* 16 bytes */
    const ol_store_span_brief_t *spans;   /* one per span id, in (start, span id) order */
    size_t n_spans;
    uint64_t start_ns, end_ns;            /* min start, max end over the spans */
    bool clock_skew;                      /* as ol_store_trace_t's */
} ol_store_trace_brief_t;
typedef int (*ol_store_brief_fn)(void *ud, const ol_store_trace_brief_t *t);
/* The briefs of n traces: one call per distinct id that has spans, in the
 * order the ids are given (ids without spans are skipped). The spans are
 * gathered as ol_store_scan_trace gathers them; each granule of a part is
 * read once for all the ids it holds. */
int ol_store_trace_briefs(ol_store_t *s, const uint8_t (*ids)[16], size_t n, ol_store_brief_fn fn, void *ud);
/* Every trace overlapping [start_ns, end_ns), in no particular order. A
 * trace whose spans lie in several places (the head, parts written by
 * different flushes) is delivered once per place, each time with the spans
 * found there; ol_store_scan_trace gathers it whole. */
int ol_store_scan_traces(ol_store_t *s, uint64_t start_ns, uint64_t end_ns, ol_store_trace_fn fn, void *ud);
/* Trace search. A span satisfies the filter when every given condition
 * holds: service (the resource's service.name, OL_STORE_UNKNOWN_SERVICE when
 * absent), span name, status code, duration bounds, and each attribute pair
 * (the span's or its resource's attribute of that key, in its text form,
 * equals the value). Traces overlapping [start_ns, end_ns) that are still in
 * memory are passed whole to fn, which applies the filter itself; in parts
 * the store applies it, column by column, and calls hit once per trace
 * fragment (per part and granule) that has a satisfying span, with that
 * fragment's start and end (end is 0 when the fragment's granule lies inside
 * the window, so the fragment overlaps it whatever its end: durations are
 * then not read). Either callback may stop the search. */
typedef struct ol_store_span_filter {
    ol_slice_t service, name;                  /* empty = any */
    int status;                                /* -1 = any */
    uint64_t min_duration_ns, max_duration_ns; /* 0 = no bound */
    const ol_slice_t *attr_keys, *attr_values;
    size_t n_attrs;
} ol_store_span_filter_t;
typedef int (*ol_store_hit_fn)(void *ud, const uint8_t trace_id[16], uint64_t start_ns, uint64_t end_ns);
int ol_store_search_traces(ol_store_t *s, uint64_t start_ns, uint64_t end_ns, const ol_store_span_filter_t *f,
                           ol_store_trace_fn fn, ol_store_hit_fn hit, void *ud);

/* Log records whose time (observed time when time is 0) is in
 * [start_ns, end_ns), newest first (ties: latest stored first). */
typedef int (*ol_store_log_fn)(void *ud, const ol_otlp_log_t *l);
int ol_store_scan_logs(ol_store_t *s, uint64_t start_ns, uint64_t end_ns, ol_store_log_fn fn, void *ud);

typedef struct ol_store_metric_info {
    ol_slice_t name, description, unit; /* from the latest stored Metric of that name */
    ol_metric_type_t type;
    uint64_t n_points;
} ol_store_metric_info_t;
typedef int (*ol_store_metric_info_fn)(void *ud, const ol_store_metric_info_t *m);
/* One call per distinct metric name, in no particular order. */
int ol_store_scan_metric_names(ol_store_t *s, ol_store_metric_info_fn fn, void *ud);

/* The stored Metric items named `name`, in arrival order, skipping items
 * whose points all lie outside [start_ns, end_ns); OL_NOTFOUND when no
 * metric has this name. */
typedef int (*ol_store_metric_fn)(void *ud, const ol_otlp_metric_t *m);
int ol_store_scan_metric(ol_store_t *s, ol_slice_t name, uint64_t start_ns, uint64_t end_ns,
                         ol_store_metric_fn fn, void *ud);

/* One call per service (span resources' service.name, or
 * OL_STORE_UNKNOWN_SERVICE) with its distinct span names, in no particular order. */
typedef int (*ol_store_service_fn)(void *ud, ol_slice_t service, const ol_slice_t *operations, size_t n_operations);
int ol_store_scan_services(ol_store_t *s, ol_store_service_fn fn, void *ud);

#endif
