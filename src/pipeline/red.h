/*
 * red.h - RED series (rate, errors, duration) per service, operation and
 * edge, and the service map built from them.
 *
 * Every accepted span (before any sampling) is counted in event time: its
 * bucket is floor(start / resolution). Per (service, span name, span kind,
 * entry) operation the aggregator keeps requests, errors (status Error) and a
 * duration sketch (sketch.h, milliseconds); per edge (a client/producer span
 * in service A and the server/consumer span it caused in service B, or an
 * uninstrumented database, queue or external host) it keeps calls, errors
 * and the client span's latency. Buckets are written into the store as delta
 * metrics (emit.h): olly.red.requests, olly.red.errors (Sum, int),
 * olly.red.duration (ExponentialHistogram, ms), and olly.red.edge.* for
 * edges, so SQL sees them as ordinary metrics. docs/red.md describes the
 * semantics (watermarks, lateness, edge matching, what is bounded).
 *
 * Queries read the stored points in the window plus the buckets still open
 * in memory, so fresh data shows at once and nothing is counted twice
 * (a query and an emission exclude each other).
 *
 * Thread safety: observe may run on several ingest threads at once,
 * concurrently with tick, flush, the queries and metrics_text.
 */
#ifndef OL_PIPELINE_RED_H
#define OL_PIPELINE_RED_H

#include "codec/otlp.h"
#include "core/buf.h"
#include "core/common.h"
#include "pipeline/sketch.h"
#include "store/store.h"

typedef struct ol_red ol_red_t;

/* Zero fields take the defaults. */
typedef struct ol_red_options {
    uint64_t resolution_ns; /* bucket width, default 10 s */
    uint64_t lateness_ns;   /* a span starting more than this before its service's newest span start is
                             * counted in olly_red_late_spans_total and left out; default 1 h */
    uint64_t grace_ns;      /* a bucket is emitted once its service's watermark passed its end by this much
                             * (default 10 s)... */
    uint64_t idle_ns;       /* ...or once it has been open this long in wall time (default 30 s) */
    uint64_t edge_wait_ns;  /* how long (wall time) a client span waits for the server span it caused,
                             * and a server span for its client; default 30 s */
} ol_red_options_t;

/* The store must outlive the aggregator. OL_OK, OL_NOMEM. */
int ol_red_create(const ol_red_options_t *opt, ol_store_t *store, ol_red_t **out, ol_err_t *err);
/* Frees everything; does NOT emit (the pipeline calls ol_red_flush first). NULL is fine. */
void ol_red_destroy(ol_red_t *r);

/* Counts a traces batch the store accepted. Skips spans that are !valid and
 * spans with dup[i] != 0 (dup may be NULL). Reads the batch only during the
 * call. */
void ol_red_observe(ol_red_t *r, const ol_otlp_batch_t *b, const uint8_t *dup);
/* Called about once a second (wall clock now_ns): resolves client spans
 * that waited edge_wait, emits the buckets that are due. */
void ol_red_tick(ol_red_t *r, uint64_t now_ns);
/* Emits everything open now (shutdown, tests): pending client spans become
 * edges to uninstrumented peers or are dropped from edges. Returns the
 * store's error if the emission failed (the points are then lost and
 * counted). */
int ol_red_flush(ol_red_t *r);

/* A bucket as it is emitted, for a sink that analyses the series
 * (src/analyze/analyzer.h). Slices and the sketch are only valid during the
 * call. */
typedef struct ol_red_cell_view {
    ol_slice_t service;
    bool is_edge;
    uint8_t kind;  /* span kind (operation, OL_RED_KIND_* in red_int.h order: 0 unspecified, 1 internal,
                    * 2 server, 3 client, 4 producer, 5 consumer) or peer type (edge: 0 service,
                    * 1 database, 2 queue, 3 external) */
    bool entry;    /* operation: the first span of its service in the trace */
    ol_slice_t name; /* span name, or the peer's name */
    uint64_t start_ns, end_ns;
    uint64_t requests, errors;
    const ol_sketch_t *duration; /* milliseconds */
} ol_red_cell_view_t;

typedef struct ol_red_sink {
    /* Each emitted bucket, under the aggregator's lock: copy and return, never block. */
    void (*cell)(void *ud, const ol_red_cell_view_t *c);
    /* After each tick or flush that emitted at least one bucket, outside the lock. */
    void (*done)(void *ud);
    void *ud;
} ol_red_sink_t;

/* Sets (sink != NULL) or clears the sink. Buckets emitted before it was set
 * are not replayed. */
void ol_red_set_sink(ol_red_t *r, const ol_red_sink_t *sink);

/* Appends the olly_red_* counters in Prometheus text format. */
void ol_red_metrics_text(ol_red_t *r, ol_buf_t *out);

/* The service map over buckets starting in [start_ns, end_ns), as JSON:
 * {"start","end","nodes":[{"name","type","requests","rate","errors",
 * "errorRate","p50Ms","p95Ms","p99Ms"}],"edges":[{"source","target",
 * "targetType","calls","rate","errors","errorRate","p50Ms","p95Ms","p99Ms"}]}
 * (docs/red.md). Appends to out. OL_OK, OL_NOMEM, OL_ERR (err says). */
int ol_red_service_map(ol_red_t *r, uint64_t start_ns, uint64_t end_ns, ol_buf_t *out, ol_err_t *err);
/* One service's figures, its operations' and its edges', with time series
 * of step_ns (0 = a multiple of the resolution giving <= 300 points; other
 * values are rounded up to a multiple of the resolution). OL_NOTFOUND when
 * the service has no RED data in the window; OL_LIMIT when the window holds
 * more than 10000 steps. */
int ol_red_service(ol_red_t *r, ol_slice_t service, uint64_t start_ns, uint64_t end_ns, uint64_t step_ns,
                   ol_buf_t *out, ol_err_t *err);

#endif
