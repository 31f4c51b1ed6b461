/*
 * spans_int.h - what the span column writer (spans.c) and reader
 * (spans_read.c) must agree on beyond docs/format/part.md's prose.
 */
#ifndef OL_STORE_COL_SPANS_INT_H
#define OL_STORE_COL_SPANS_INT_H

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

#endif
