/*
 * correlate.h - correlation ids: one name for a business flow that outlives
 * a trace (retries, async work, queues), across traces, logs and metrics.
 *
 * An id arrives as the string attribute `correlation_id` or `correlation.id`
 * of a span or log record (OpenTelemetry's baggage processors copy W3C
 * baggage members into attributes). The processor has three parts, one per
 * moment of a batch's life (docs/correlation.md):
 *
 *   ol_correlate_sanitize   before the store append: an id that is empty,
 *       longer than 100 bytes, outside [A-Za-z0-9._:-], not a string, or
 *       claiming the generated form `olly-...` without being a well-formed
 *       one, is cut out of the item's raw bytes (a log record without a trace
 *       id gets a deterministic `olly-` replacement instead) and counted. It
 *       is never stored.
 *   ol_correlate_observe    after the store accepted the batch: every valid
 *       id is indexed (id -> trace ids, and the seconds of trace-less log
 *       records), in memory, bounded, and in an append-only file in the data
 *       directory (docs/format/correlation-index.md).
 *   ol_correlate_query      GET /api/v1/correlate/{id}: the flow's traces,
 *       logs, exemplar-linked metric points and one merged timeline.
 *
 * A trace that carries no valid id has a generated one,
 * `olly-{base36 start second}-{8 hex of a hash of its trace id}`, derived
 * when reading from the stored trace itself, never written into it: every
 * node that holds part of the trace, and every span or log record that comes
 * later, agrees on it. Observe also remembers root spans (a bounded ring in
 * memory) so that a generated id is usually resolved without searching the
 * store; the stored trace still decides.
 *
 * Thread safety: every function may be called from any thread; the index is
 * guarded by one mutex, held for memory work only (and the index file's
 * appends), never across store reads.
 */
#ifndef OL_PIPELINE_CORRELATE_H
#define OL_PIPELINE_CORRELATE_H

#include "codec/otlp.h"
#include "core/arena.h"
#include "core/buf.h"
#include "store/store.h"

#define OL_CORRELATE_MAX_ID 100            /* bytes */
#define OL_CORRELATE_DEFAULT_MAX_IDS 500000

typedef struct ol_correlate ol_correlate_t;

typedef struct ol_correlate_options {
    const char *dir;  /* data dir for the index file; NULL = memory only */
    uint64_t max_ids; /* bound on the in-memory index (0 = OL_CORRELATE_DEFAULT_MAX_IDS);
                         the least recently extended ids are dropped beyond it */
} ol_correlate_options_t;

/* Loads the index file (a torn tail is cut off, a damaged record skipped or
 * set aside, as the format says). The store must outlive the processor.
 * OL_OK; OL_NOMEM; OL_ERR when the directory or file cannot be used (err). */
int ol_correlate_create(const ol_correlate_options_t *opt, ol_store_t *store, ol_correlate_t **out, ol_err_t *err);
/* Fsyncs the index file and frees; accepts NULL. */
void ol_correlate_destroy(ol_correlate_t *c);

/* Before the store append, for spans and log records: every rejected id is
 * cut out of its item's raw bytes (replaced, for a log record without a trace
 * id), the item's raw then pointing at a rewritten copy in arena memory with
 * every other byte as received. Items without an id attribute are not
 * copied. OL_OK, or OL_NOMEM (the arena is full; the batch is unchanged up to
 * the item that failed, which keeps its raw). */
int ol_correlate_sanitize(ol_correlate_t *c, ol_otlp_batch_t *b, ol_arena_t *a);
/* After the store accepted the batch: indexes its ids. Traces: dup[i] != 0
 * marks a span the store already held (skipped); dup may be NULL. Logs: dup
 * is NULL. Never fails: an index file write error is logged and counted, and
 * the memory index still answers. */
void ol_correlate_observe(ol_correlate_t *c, const ol_otlp_batch_t *b, const uint8_t *dup);
/* Once a second: fsyncs the index file when it has new records, and rewrites
 * it when more than half of it is stale (evicted ids, replaced hints). */
void ol_correlate_tick(ol_correlate_t *c, uint64_t now_ns);
/* olly_correlation_* counters in Prometheus text format: ids seen per
 * signal, ids rejected per reason, log records given a replacement id,
 * lookups per kind (explicit, generated), generated lookups that searched
 * the store, root hints, index ids and traces, evictions, index file. */
void ol_correlate_metrics_text(ol_correlate_t *c, ol_buf_t *out);

/* The flow named `id`, as one JSON document appended to out:
 *   {"id","generated","traces":[...],"logs":[...],"metrics":[...],"timeline":[...],"truncated"}
 * or, with timeline_only, {"id","generated","timeline":[...],"truncated"}
 * (docs/correlation.md). OL_CORRUPT for a malformed id (err says why: the
 * sanitiser's rules), OL_NOTFOUND when nothing of the flow is stored, OL_NOMEM,
 * or a store error. */
int ol_correlate_query(ol_correlate_t *c, ol_slice_t id, bool timeline_only, ol_buf_t *out, ol_err_t *err);

#endif
