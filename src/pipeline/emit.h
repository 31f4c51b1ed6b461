/*
 * emit.h - Olly's own series written into the store as OTLP metrics.
 *
 * The RED aggregator (red.h) and GenAI usage (genai.h) compute series from
 * spans and store them as ordinary metrics, so SQL, the metric read API and
 * retention treat them like any other. A builder collects data points, each
 * under a resource whose only attribute is service.name, then ol_emit_write
 * encodes them as ExportMetricsServiceRequests with Olly's protobuf writer
 * (codec/pb.h), decodes them with ol_otlp_decode (the one path from bytes to
 * a batch) and appends them with ol_store_append, exactly as if an SDK had
 * sent them. Scope: name "olly", version OL_VERSION.
 *
 * Points are grouped: one ResourceMetrics per service, one Metric per
 * (name, type) under it, sorted by service then metric name; a Metric's
 * points keep the order they were added in. Sums are delta and
 * monotonic; exponential histograms are delta and carry a sketch
 * (sketch.h). StartTimeUnix/TimeUnix are the caller's start/end. Attribute
 * values are strings.
 *
 * The builder copies everything it is given (strings, sketch contents), so
 * callers may free their data once a call returns. A large builder is
 * written as several requests: a request is closed after the point that
 * takes it past OL_EMIT_REQUEST_BYTES, and the next one repeats the
 * resource and Metric it was in the middle of.
 *
 * Errors are returned and counted (ol_emit_stats), never dropped silently:
 * an add that fails (OL_NOMEM) marks the builder failed and ol_emit_write
 * then returns that error without writing; a store error is returned as is
 * (OL_FULL, OL_BUSY, ...) and the points not yet written are counted as
 * failed. Either way the builder is empty afterwards.
 *
 * Not thread-safe: one owner per builder.
 */
#ifndef OL_PIPELINE_EMIT_H
#define OL_PIPELINE_EMIT_H

#include "core/buf.h"
#include "core/common.h"
#include "pipeline/sketch.h"
#include "store/store.h"

#define OL_EMIT_SCOPE "olly"
/* An encoded request is closed once it is this large. */
#define OL_EMIT_REQUEST_BYTES (4u << 20)

typedef struct ol_emit ol_emit_t;

/* Metric identity; the strings are copied. */
typedef struct ol_emit_metric {
    const char *name;
    const char *description; /* may be NULL */
    const char *unit;        /* may be NULL */
} ol_emit_metric_t;

typedef struct ol_emit_attr {
    const char *key;
    ol_slice_t value;
} ol_emit_attr_t;

/* Where a point belongs: the service (resource service.name; empty =
 * no service.name attribute), its attributes, [start_ns, end_ns]. */
typedef struct ol_emit_point {
    ol_slice_t service;
    const ol_emit_attr_t *attrs;
    size_t n_attrs;
    uint64_t start_ns, end_ns;
} ol_emit_point_t;

typedef struct ol_emit_stats {
    uint64_t points_added;   /* accepted by the add functions */
    uint64_t points_written; /* appended to the store */
    uint64_t points_failed;  /* lost: add failed, encode/decode failed or the store refused */
    uint64_t requests;       /* requests appended */
    uint64_t errors;         /* failed ol_emit_write calls and failed adds */
} ol_emit_stats_t;

/* OL_OK or OL_NOMEM. */
int ol_emit_create(ol_emit_t **out);
void ol_emit_destroy(ol_emit_t *e);

/* Each returns OL_OK, or OL_NOMEM (counted; the builder is then failed and
 * the next ol_emit_write reports it). */
int ol_emit_sum_int(ol_emit_t *e, const ol_emit_metric_t *m, const ol_emit_point_t *p, int64_t value);
int ol_emit_sum_double(ol_emit_t *e, const ol_emit_metric_t *m, const ol_emit_point_t *p, double value);
int ol_emit_exp_histogram(ol_emit_t *e, const ol_emit_metric_t *m, const ol_emit_point_t *p, const ol_sketch_t *s);

/* Points collected since the last write. */
size_t ol_emit_pending(const ol_emit_t *e);

/* Encodes the collected points as one ExportMetricsServiceRequest into out
 * (appends; out->err set on failure). For tests and tools; does not empty
 * the builder. */
int ol_emit_encode(ol_emit_t *e, ol_buf_t *out);

/* Writes the collected points into the store (see above) and empties the
 * builder. OL_OK when nothing was pending. err may be NULL; a failure is
 * logged here once. */
int ol_emit_write(ol_emit_t *e, ol_store_t *store, ol_err_t *err);

/* Whether an encoded InstrumentationScope is the one Olly's own series are
 * written under (name OL_EMIT_SCOPE): readers of olly.* series skip points
 * a client sent under the same metric names. */
bool ol_emit_is_ours(ol_slice_t scope);

/* Totals since creation. */
void ol_emit_stats(const ol_emit_t *e, ol_emit_stats_t *out);

#endif
