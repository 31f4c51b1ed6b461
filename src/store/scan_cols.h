/*
 * scan_cols.h - spans read column by column: for scans that need a few
 * fields of many spans (SQL over otel_traces: a RED query reads start,
 * duration, status and service of every span of an hour).
 *
 * ol_store_scan_traces hands out whole spans; from a part that means every
 * column of every granule decoded and each span re-encoded, then parsed
 * again by the reader for what it wants. This scan instead decodes, per
 * granule of a part, only the columns the request names and hands them
 * over as arrays (ol_span_cols_t). What is still in memory (the head and a
 * head being flushed) is handed out as traces, exactly as
 * ol_store_scan_traces does, since its spans are decoded already.
 *
 * Values are those ol_store_scan_traces would give for the same span: a
 * Status or attribute that a part keeps whole in its `extra` column
 * (docs/format/part.md) is read from there, so the two scans agree span for
 * span (tests/unit/test_sql_table.c compares SQL answers over the head and
 * over parts).
 *
 * Pruning: granules whose time range misses [start_ns, end_ns) are not
 * read; with keep_resource set, parts none of whose resources it keeps are
 * not read, nor granules none of whose rows have such a resource. Rows are
 * not filtered: the caller checks each row's start (and resource) itself,
 * except in a granule lying wholly inside the window (start_ns NULL).
 *
 * Granules may be decoded on a second thread, one ahead of the one being
 * handed over (the store's query_threads allowing); the callbacks always
 * run on the calling thread, one at a time, in the order described below.
 */
#ifndef OL_STORE_SCAN_COLS_H
#define OL_STORE_SCAN_COLS_H

#include "store/store.h"

/* Columns a request may ask for (bits of ol_span_cols_req_t.want). The
 * start time is read for every granule that the window's ends cut through,
 * and for all of them with OL_SPAN_COL_START. */
enum {
    OL_SPAN_COL_DURATION = 1u << 0,    /* dur_ns */
    OL_SPAN_COL_TRACE_ID = 1u << 1,    /* trace_id */
    OL_SPAN_COL_SPAN_ID = 1u << 2,     /* span_id */
    OL_SPAN_COL_PARENT = 1u << 3,      /* parent */
    OL_SPAN_COL_NAME = 1u << 4,        /* names, name */
    OL_SPAN_COL_KIND = 1u << 5,        /* kind */
    OL_SPAN_COL_STATUS = 1u << 6,      /* status */
    OL_SPAN_COL_STATUS_MSG = 1u << 7,  /* status_msg */
    OL_SPAN_COL_TRACE_STATE = 1u << 8, /* trace_state */
    OL_SPAN_COL_EVENTS = 1u << 9,      /* events */
    OL_SPAN_COL_LINKS = 1u << 10,      /* links */
    OL_SPAN_COL_ORIGIN = 1u << 11,     /* origins, origin */
    OL_SPAN_COL_START = 1u << 12,      /* start_ns of every granule (see ol_span_cols_t.start_ns) */
};

/* One span's value of an attribute key: the first KeyValue of that key in
 * the span's list (the canonical ones first, then those kept in extra, as
 * in the span ol_store_scan_traces gives). */
typedef enum {
    OL_SPAN_V_ABSENT = 0, /* no KeyValue of the key */
    OL_SPAN_V_NONE,       /* a KeyValue without a value */
    OL_SPAN_V_STRING,     /* s */
    OL_SPAN_V_BOOL,       /* u: 0 or 1 */
    OL_SPAN_V_INT,        /* u: the int64's bits */
    OL_SPAN_V_DOUBLE,     /* u: the IEEE 754 bits */
    OL_SPAN_V_ANY,        /* s: the encoded AnyValue (arrays, kvlists, bytes, anything unusual) */
} ol_span_value_type_t;

typedef struct ol_span_value {
    uint8_t type; /* ol_span_value_type_t */
    ol_slice_t s;
    uint64_t u;
} ol_span_value_t;

/* The rows of one granule. Arrays hold n entries; those not asked for are
 * NULL. Everything is valid only during the callback. */
typedef struct ol_span_cols {
    size_t n;
    /* NULL, unless OL_SPAN_COL_START was asked for, when every row of the
     * granule starts within the request's window (its footer time range
     * lies inside): the caller need not check them one by one. */
    const uint64_t *start_ns;
    const int64_t *dur_ns;                 /* end - start, negative under clock skew */
    const uint8_t *trace_id;               /* 16 bytes per row */
    const uint8_t *span_id;                /* 8 bytes per row */
    const uint8_t *const *parent;          /* 8 bytes, or NULL when the span has no 8-byte parent id */
    const ol_slice_t *names;               /* name dictionary (empty for a span without a name) */
    size_t n_names;
    const uint32_t *name;                  /* per row: index into names */
    const uint8_t *kind;                   /* SpanKind (0 when above 255 or absent) */
    const int32_t *status;                 /* Status.code */
    const ol_slice_t *status_msg;          /* Status.message, empty when absent */
    const ol_slice_t *trace_state;         /* empty when absent */
    const ol_slice_t *events, *links;      /* the span's Span.events / Span.links fields, encoded with their tags */
    const ol_otlp_origin_t *origins;       /* the part's resource + scope pairs seen so far */
    size_t n_origins;
    const uint32_t *origin;                /* per row: index into origins */
    const ol_span_value_t *const *values;  /* per requested key: n values */
    uint64_t bytes;                        /* column bytes read for this granule (decompressed) */
    uint32_t part;                         /* which part of the scan (origin indexes are per part) */
} ol_span_cols_t;

typedef struct ol_span_cols_req {
    uint64_t start_ns, end_ns;
    uint32_t want;               /* OL_SPAN_COL_* */
    const ol_slice_t *keys;      /* span attribute keys whose values to read */
    size_t n_keys;
    /* Optional: whether rows of this resource (an encoded Resource) may be
     * wanted; called once or twice per resource of each part read, possibly
     * from a decoding thread of the scan while cols_fn runs: it must not
     * touch what the callbacks use. NULL keeps every resource. */
    bool (*keep_resource)(void *ud, ol_slice_t resource);
} ol_span_cols_req_t;

typedef int (*ol_span_cols_fn)(void *ud, const ol_span_cols_t *c);

/* Traces in memory overlapping [start_ns, end_ns) go to trace_fn, as from
 * ol_store_scan_traces; then, from the newest part to the oldest, each
 * granule of a part that may hold a span starting in the window goes to
 * cols_fn, in row order. A damaged part is logged and skipped (its rows are
 * missing from the answer), as by ol_store_scan_traces. Either callback
 * returns OL_OK to go on, OL_STORE_STOP to end the scan (then OL_OK is
 * returned) or an error, which is returned. Memory: one granule's columns. */
int ol_store_scan_span_cols(ol_store_t *s, const ol_span_cols_req_t *req, ol_store_trace_fn trace_fn,
                            ol_span_cols_fn cols_fn, void *ud);

#endif
