/*
 * exemplars.h - metric exemplars as the read side sees them.
 *
 * Exemplars are stored inside their data points (the Metric's raw bytes, as
 * received); this walks the points of the stored metrics in a time window
 * and yields each exemplar with the point it belongs to. Used by
 * GET /api/v1/metrics/{name}/exemplars, the metric read API and the
 * correlation lookup (exemplar-linked points of a flow's traces).
 */
#ifndef OL_QUERY_EXEMPLARS_H
#define OL_QUERY_EXEMPLARS_H

#include "codec/otlp.h"
#include "store/store.h"

typedef struct ol_exemplar {
    ol_slice_t metric;        /* metric name */
    ol_slice_t service;       /* ol_store_service_of(origin) */
    ol_metric_type_t type;
    ol_slice_t point;         /* the encoded data point (its attributes, value, times) */
    uint64_t point_time_ns;   /* the point's time_unix_nano */
    uint64_t time_ns;         /* the exemplar's time_unix_nano */
    bool is_int;              /* as_int (else as_double) */
    int64_t as_int;
    double as_double;
    ol_slice_t trace_id;      /* 16 bytes, or empty when absent or malformed */
    ol_slice_t span_id;       /* 8 bytes, or empty */
    ol_slice_t exemplar;      /* the encoded Exemplar (filtered_attributes = 7) */
} ol_exemplar_t;
typedef int (*ol_exemplar_fn)(void *ud, const ol_exemplar_t *e);

/* Every exemplar whose time (the point's time when the exemplar has none)
 * lies in [start_ns, end_ns), of the metric named `name` (empty = every
 * metric), in no particular order. fn returns OL_OK to go on,
 * OL_STORE_STOP to stop (the call then returns OL_OK) or an error.
 * Returns OL_NOTFOUND when `name` is given and no metric has it. */
int ol_exemplars_each(ol_store_t *s, ol_slice_t name, uint64_t start_ns, uint64_t end_ns, ol_exemplar_fn fn,
                      void *ud);

#endif
