/*
 * spans_int.h - what the span column writer (spans.c), the reader
 * (spans_read.c) and the merge (merge.c) share beyond docs/format/part.md's
 * prose: value tags, and the incremental writer and one-granule reader the
 * merge is built from.
 */
#ifndef OL_STORE_COL_SPANS_INT_H
#define OL_STORE_COL_SPANS_INT_H

#include "store/col/part.h"

/* Attribute value types in a group. OL_AV_RAW holds the encoded AnyValue
 * (arrays, kvlists, bytes, and anything that would not re-encode as sent). */
enum { OL_AV_NONE = 0, OL_AV_STRING = 1, OL_AV_BOOL = 2, OL_AV_INT = 3, OL_AV_DOUBLE = 4, OL_AV_RAW = 5 };

/* Status code column: the code, or OL_STATUS_IN_EXTRA when the Status
 * message carried fields besides code and message, or a code above 127
 * (then kept whole in extra). */
#define OL_STATUS_IN_EXTRA 0x80

/* `present` column: which fields were on the wire, so that a field sent
 * with its default value (the JS SDK writes dropped counts of 0 and an
 * empty Status) comes back exactly as sent. */
enum {
    OL_SP_TRACE_STATE = 1u << 0,
    OL_SP_PARENT_EMPTY = 1u << 1, /* parent_span_id present and empty */
    OL_SP_NAME = 1u << 2,
    OL_SP_KIND = 1u << 3,
    OL_SP_START = 1u << 4,
    OL_SP_END = 1u << 5,
    OL_SP_DROPPED_ATTRS = 1u << 6,
    OL_SP_DROPPED_EVENTS = 1u << 7,
    OL_SP_DROPPED_LINKS = 1u << 8,
    OL_SP_STATUS = 1u << 9,
    OL_SP_STATUS_MESSAGE = 1u << 10,
    OL_SP_STATUS_CODE = 1u << 11,
    OL_SP_FLAGS = 1u << 12,
};

/* ---- Incremental writing (spans.c) ----
 *
 * Spans are added in (trace id, start, span id) order; a span whose (trace
 * id, span id) equals the previous one's is dropped. A granule is shredded
 * and compressed as soon as it is complete, so the writer holds at most one
 * granule of rows (plus the part tables and the builder's compressed file).
 * With `copy`, the writer copies each span's bytes when it is added (the
 * caller may free them at once); without, the spans must live until finish.
 * Origins are resolved when a span is added and never kept. The first error
 * sticks: every later call returns it. Nothing is created at `path` before
 * finish, and a failing finish leaves no file. */
typedef struct ol_span_writer ol_span_writer_t;
int ol_span_writer_new(const char *path, uint64_t part_id, bool copy, ol_span_writer_t **out);
/* OL_ERR when the span has no valid ids or comes out of order. */
int ol_span_writer_add(ol_span_writer_t *w, const ol_otlp_span_t *s, ol_err_t *err);
int ol_span_writer_finish(ol_span_writer_t *w, const ol_io_t *io, uint64_t wal_segment, ol_part_info_t *info,
                          ol_err_t *err);
void ol_span_writer_free(ol_span_writer_t *w); /* NULL is fine */

/* ---- One granule at a time (spans_read.c) ---- */

/* Every span of granule g in part order, as ol_part_spans_scan yields them. */
int ol_part_spans_granule(const ol_part_t *p, uint32_t g, ol_arena_t *a, ol_part_span_fn fn, void *ud, ol_err_t *err);

#endif
