/*
 * part.h - immutable columnar part files (docs/format/part.md).
 *
 * Two layers. The container (part.c) knows header, blocks, granules, the
 * footer and the trailer, nothing about what a column means: a builder takes
 * granules of named column streams and part tables and writes one file; a
 * reader opens it (header, trailer and footer checked, nothing else read)
 * and hands back the raw streams of one column of one granule on demand,
 * each block checked by its CRC as it is read.
 *
 * The signal layers (spans.c, ...) turn items into column streams and back.
 * Reading spans yields ol_otlp_span_t views whose `raw` is the Span
 * re-encoded from its columns and whose origin points at the part's
 * resource and scope tables, so everything above the store reads parts and
 * the head the same way.
 *
 * A part is read by any number of threads at once (pread, no shared cursor).
 */
#ifndef OL_STORE_COL_PART_H
#define OL_STORE_COL_PART_H

#include "codec/otlp.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/common.h"
#include "os/io.h"

#define OL_PART_GRANULE_ROWS 8192
#define OL_PART_MAX_COLUMNS 4096 /* distinct column names in one part */
#define OL_PART_MAX_GRANULES (1u << 20)

typedef struct ol_part_info {
    uint64_t id;
    ol_signal_t signal;
    uint64_t rows;
    uint64_t bytes; /* file size */
    uint64_t min_time_ns, max_time_ns;
    uint64_t wal_segment;
    uint32_t footer_crc; /* CRC-32C of the footer block header, as in the trailer */
    uint32_t granules;
    uint64_t input_bytes; /* the rows' size as received (encoded OTLP messages); 0 = not recorded */
} ol_part_info_t;

/* Footer extension tags (docs/format/part.md, "Footer"). */
#define OL_PART_EXT_INPUT_BYTES 1u

typedef struct ol_part_granule_info {
    uint32_t rows;
    uint64_t min_time_ns, max_time_ns;
    uint8_t first_trace_id[16], last_trace_id[16];
} ol_part_granule_info_t;

/* ---- Writing ---- */

typedef struct ol_part_builder ol_part_builder_t;

ol_part_builder_t *ol_part_builder_new(ol_signal_t signal, uint64_t part_id, int zstd_level);
void ol_part_builder_free(ol_part_builder_t *b);
/* Starts the next granule; its columns follow. */
int ol_part_builder_granule(ol_part_builder_t *b, const ol_part_granule_info_t *g);
/* Adds one column of the current granule: `streams` is compressed into one block. */
int ol_part_builder_column(ol_part_builder_t *b, ol_slice_t name, ol_slice_t streams);
/* Records the rows' size as received, for compression ratios. */
void ol_part_builder_input_bytes(ol_part_builder_t *b, uint64_t bytes);
/* Adds a part table (written after the granules). */
int ol_part_builder_table(ol_part_builder_t *b, ol_slice_t name, ol_slice_t streams);
/* Writes the file at `path` (created exclusively, written, fsynced, closed)
 * and fills info. On failure the file is removed. */
int ol_part_builder_finish(ol_part_builder_t *b, const ol_io_t *io, const char *path, uint64_t wal_segment,
                           ol_part_info_t *info, ol_err_t *err);

/* ---- Reading ---- */

typedef struct ol_part ol_part_t;

/* Opens and checks header, trailer and footer; loads the part tables.
 * OL_CORRUPT (err says what and where) when any check fails. */
int ol_part_open(const ol_io_t *io, const char *path, ol_part_t **out, ol_err_t *err);
void ol_part_close(ol_part_t *p);
const ol_part_info_t *ol_part_info(const ol_part_t *p);
const char *ol_part_path(const ol_part_t *p);
const ol_part_granule_info_t *ol_part_granule(const ol_part_t *p, uint32_t g);
/* Raw streams of column `name` in granule g, appended to out. OL_NOTFOUND
 * when the granule has no such column. */
int ol_part_read_column(const ol_part_t *p, uint32_t g, ol_slice_t name, ol_buf_t *out, ol_err_t *err);
/* Streams of a part table (loaded at open; valid while the part is open). */
int ol_part_table(const ol_part_t *p, ol_slice_t name, ol_slice_t *out);
/* Names of the columns granule g has, for verification tools. */
size_t ol_part_columns(const ol_part_t *p, uint32_t g, ol_slice_t *names, size_t max);
/* Reads every block and decodes every granule of the signal; OL_CORRUPT on
 * the first problem. */
int ol_part_verify(ol_part_t *p, ol_err_t *err);

/* ---- Spans (spans.c, spans_read.c, merge.c) ---- */

/* Writes the spans (any order; duplicates by trace and span id are kept
 * once) as a traces part. Memory: the spans' pointers (sorted) plus one
 * granule of encoding state. */
int ol_part_write_spans(const ol_io_t *io, const char *path, uint64_t part_id, uint64_t wal_segment,
                        const ol_otlp_span_t *const *spans, size_t n, ol_part_info_t *info, ol_err_t *err);

/* Writes one traces part holding the union of the traces parts in[0..n_in),
 * deduplicated by (trace id, span id): the same file ol_part_write_spans
 * makes from the union of their spans (for spans in canonical encoding,
 * which is what parts give back). The inputs are read granule by granule and
 * merged as they stream, so memory stays near one decoded granule per input
 * plus one being written (and the part tables), whatever the rows; the
 * builder still keeps the compressed output in memory until it writes it.
 * Input bytes are the kept spans' re-encoded sizes. On any failure no file
 * is left at `path`; a damaged input gives OL_CORRUPT and err names its
 * path. The inputs stay open and untouched; they may be read concurrently. */
int ol_part_merge_spans(const ol_io_t *io, const char *path, uint64_t part_id, uint64_t wal_segment,
                        ol_part_t *const *in, size_t n_in, ol_part_info_t *info, ol_err_t *err);

/* Called per span read from a part. The span, its raw bytes and its origin
 * live in the arena given to the scan (or the part, for origins) until the
 * arena is reset. Return OL_OK to go on, 1 (OL_STORE_STOP) to stop, or an error. */
typedef int (*ol_part_span_fn)(void *ud, const ol_otlp_span_t *span);
/* Every span of one trace, in (start, span id) order. OL_NOTFOUND if none.
 * Reads only the granules whose trace-id range holds the id (found by
 * binary search over the footer's granule table). */
int ol_part_spans_trace(const ol_part_t *p, const uint8_t trace_id[16], ol_arena_t *a, ol_part_span_fn fn, void *ud,
                        ol_err_t *err);
/* One span as a trace summary needs it: no attributes, events or links.
 * start_ns, end_ns, status_code and name are what ol_otlp_span_t would hold
 * (0 or empty when the span had none); service is the resource's
 * service.name as stored (empty when absent) and points into the part;
 * name points into the arena. */
typedef struct ol_part_span_brief {
    uint8_t span_id[8];
    bool has_parent;
    int32_t status_code;
    uint64_t start_ns, end_ns;
    ol_slice_t service, name;
} ol_part_span_brief_t;
/* Called once per span of ids[which] found in the part. */
typedef int (*ol_part_brief_fn)(void *ud, size_t which, const ol_part_span_brief_t *b);
/* The briefs of the spans of n trace ids given in ascending byte order. A
 * granule is decoded at most once for all the ids it holds, and beyond its
 * trace_id column only when one of them is in it. fn returning nonzero stops and is returned. */
int ol_part_spans_briefs(const ol_part_t *p, const uint8_t (*ids)[16], size_t n, ol_arena_t *a, ol_part_brief_fn fn,
                         void *ud, ol_err_t *err);
/* Every span of granule g, in row order (trace id, start, span id); the
 * views live in the arena until the caller resets it. */
int ol_part_spans_granule(const ol_part_t *p, uint32_t g, ol_arena_t *a, ol_part_span_fn fn, void *ud, ol_err_t *err);
/* Span-level conditions of a trace search (query/traces.c's semantics): a
 * span satisfies the filter when every given condition holds. service is
 * the resource's service.name ("unknown_service" when absent); an attribute
 * pair holds when the span's or its resource's attribute of that key has
 * the text form (ol_otlp_anyvalue_text) equal to the value. */
typedef struct ol_part_span_filter {
    ol_slice_t service, name;                   /* empty = any */
    int status;                                 /* -1 = any, else the status code */
    uint64_t min_duration_ns, max_duration_ns;  /* 0 = no bound; duration = end - start, 0 if end < start */
    const ol_slice_t *attr_keys, *attr_values;  /* n_attrs pairs */
    size_t n_attrs;
    bool start_only; /* the caller needs a hit's start only: end_ns is reported as 0 and durations are read only for duration bounds */
} ol_part_span_filter_t;
/* Called once per trace of the granule that has a span satisfying the
 * filter, with the trace's min start and max end over its spans in the
 * granule. */
typedef int (*ol_part_hit_fn)(void *ud, const uint8_t trace_id[16], uint64_t start_ns, uint64_t end_ns);
/* Finds the traces of granule g with a span satisfying f, in trace-id order
 * (spans_match.c). fn returning nonzero stops and is returned. */
int ol_part_spans_match(const ol_part_t *p, uint32_t g, const ol_part_span_filter_t *f, ol_part_hit_fn fn, void *ud,
                        ol_err_t *err);
/* Every span of every granule overlapping [start_ns, end_ns], granule by
 * granule (the arena may be reset by the caller between calls to fn only
 * after the scan returns). */
int ol_part_spans_scan(const ol_part_t *p, uint64_t start_ns, uint64_t end_ns, ol_arena_t *a, ol_part_span_fn fn,
                       void *ud, ol_err_t *err);

/* The part's distinct (service, span name) pairs, service being the
 * resource's service.name or OL_STORE_UNKNOWN_SERVICE ("unknown_service"),
 * from the "services" table (loaded at open: no I/O). Services come in byte
 * order, each with its span names in byte order; the slices point into the
 * part and live while it is open. fn returns OL_OK to go on, 1
 * (OL_STORE_STOP) to stop (then OL_OK is returned) or an error, which is
 * returned. A part without the table (an older writer) yields nothing and
 * returns OL_OK; a damaged table gives OL_CORRUPT before any call to fn. */
typedef int (*ol_part_service_fn)(void *ud, ol_slice_t service, ol_slice_t span_name);
int ol_part_spans_services(const ol_part_t *p, ol_part_service_fn fn, void *ud, ol_err_t *err);
/* Whether some span of the part has this service, for pruning: a linear walk
 * of the services table, no allocation, safe from any thread. True when the
 * part cannot tell (no table, or a damaged one). */
bool ol_part_spans_has_service(const ol_part_t *p, ol_slice_t service);

#endif
