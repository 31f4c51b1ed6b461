/*
 * pb.h - protobuf wire format: a zero-copy reader and a small writer.
 *
 * The reader never allocates: it walks a byte range and hands out fields
 * whose length-delimited payloads are slices into the caller's buffer. Every
 * length is checked against the end pointer; a varint longer than 10 bytes, a
 * length past the end, a group wire type (3/4) or field number 0 is
 * OL_CORRUPT.
 *
 * The writer appends to an ol_buf_t. Nested messages are written with
 * ol_pb_begin()/ol_pb_end(), which reserve a fixed 5-byte length and patch it,
 * (a redundant-but-valid varint encoding), so no pre-sizing pass is needed.
 */
#ifndef OL_CODEC_PB_H
#define OL_CODEC_PB_H

#include "core/buf.h"
#include "core/common.h"

enum { OL_PB_VARINT = 0, OL_PB_I64 = 1, OL_PB_LEN = 2, OL_PB_I32 = 5 };

typedef struct ol_pb_reader {
    const uint8_t *p;
    const uint8_t *end;
} ol_pb_reader_t;

typedef struct ol_pb_field_value {
    uint32_t number;
    uint8_t wire_type;
    uint64_t u64;     /* VARINT, I64 (raw bits), I32 (raw bits) */
    ol_slice_t bytes; /* LEN */
} ol_pb_field_value_t;

static inline void ol_pb_reader_init(ol_pb_reader_t *r, ol_slice_t s)
{
    r->p = s.ptr;
    r->end = s.len ? s.ptr + s.len : s.ptr; /* no arithmetic on a NULL empty slice */
}
/* Returns OL_OK with *f filled, OL_NOTFOUND at the clean end, OL_CORRUPT. */
int ol_pb_next(ol_pb_reader_t *r, ol_pb_field_value_t *f);
/* Decodes one varint at *p (bounded by end); advances *p. */
int ol_pb_read_varint(const uint8_t **p, const uint8_t *end, uint64_t *out);

static inline double ol_pb_as_double(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}
static inline int64_t ol_pb_zigzag_decode(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

/* Bytes ol_pb_put_varint writes for v. */
static inline size_t ol_pb_varint_len(uint64_t v) { return 1 + (size_t)(63 - __builtin_clzll(v | 1)) / 7; }

/* Writer. */
void ol_pb_put_varint(ol_buf_t *b, uint64_t v);
void ol_pb_put_tag(ol_buf_t *b, uint32_t number, uint8_t wire_type);
void ol_pb_put_uint(ol_buf_t *b, uint32_t number, uint64_t v);  /* VARINT field */
void ol_pb_put_fixed64(ol_buf_t *b, uint32_t number, uint64_t v);
void ol_pb_put_fixed32(ol_buf_t *b, uint32_t number, uint32_t v);
void ol_pb_put_double(ol_buf_t *b, uint32_t number, double v);
void ol_pb_put_bytes(ol_buf_t *b, uint32_t number, ol_slice_t s); /* LEN field */
/* Starts a nested LEN field; returns a mark for ol_pb_end(). */
size_t ol_pb_begin(ol_buf_t *b, uint32_t number);
void ol_pb_end(ol_buf_t *b, size_t mark);

#endif
