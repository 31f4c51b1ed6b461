/*
 * pb.c - protobuf wire format: the zero-copy reader and the append-only
 * writer declared in pb.h.
 *
 * The reader is the only code in Olly that interprets protobuf framing; every
 * other decoder (schema validation, OTLP decoding, JSON rendering) walks
 * messages through ol_pb_next(), so the bounds checks live in one place:
 * a varint may not run past the end or beyond 10 bytes (nor overflow 64
 * bits), a LEN payload may not run past the end, fixed-width values need
 * their 4/8 bytes, groups (wire types 3/4) and unknown wire types 6/7 are
 * rejected, and so is field number 0.
 *
 * The writer appends to an ol_buf_t and inherits its error model: after a
 * failed append the buffer is marked and later writes are no-ops, so callers
 * check b->err once at the end.
 */
#include "codec/pb.h"

int ol_pb_read_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (unsigned i = 0; i < 10; i++) {
        if (p >= end) return OL_CORRUPT;
        uint8_t c = *p++;
        if (i == 9 && c > 1) return OL_CORRUPT; /* would overflow 64 bits */
        v |= (uint64_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) {
            *out = v;
            *pp = p;
            return OL_OK;
        }
    }
    return OL_CORRUPT;
}

int ol_pb_next(ol_pb_reader_t *r, ol_pb_field_value_t *f)
{
    if (r->p >= r->end) return OL_NOTFOUND;
    const uint8_t *p = r->p;
    uint64_t tag;
    if (ol_pb_read_varint(&p, r->end, &tag) != OL_OK) return OL_CORRUPT;
    if (tag > UINT32_MAX || (tag >> 3) == 0) return OL_CORRUPT;
    f->number = (uint32_t)(tag >> 3);
    f->wire_type = (uint8_t)(tag & 7);
    f->u64 = 0;
    f->bytes = OL_SLICE_NULL;
    switch (f->wire_type) {
    case OL_PB_VARINT:
        if (ol_pb_read_varint(&p, r->end, &f->u64) != OL_OK) return OL_CORRUPT;
        break;
    case OL_PB_I64:
        if (r->end - p < 8) return OL_CORRUPT;
        f->u64 = (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
                 (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
        p += 8;
        break;
    case OL_PB_I32:
        if (r->end - p < 4) return OL_CORRUPT;
        f->u64 = (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24;
        p += 4;
        break;
    case OL_PB_LEN: {
        uint64_t n;
        if (ol_pb_read_varint(&p, r->end, &n) != OL_OK) return OL_CORRUPT;
        if (n > (uint64_t)(r->end - p)) return OL_CORRUPT;
        f->bytes = ol_slice(p, (size_t)n);
        p += n;
        break;
    }
    default:
        return OL_CORRUPT;
    }
    r->p = p;
    return OL_OK;
}

void ol_pb_put_varint(ol_buf_t *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    ol_buf_append(b, tmp, n);
}

void ol_pb_put_tag(ol_buf_t *b, uint32_t number, uint8_t wire_type)
{
    ol_pb_put_varint(b, (uint64_t)number << 3 | (wire_type & 7));
}

void ol_pb_put_uint(ol_buf_t *b, uint32_t number, uint64_t v)
{
    ol_pb_put_tag(b, number, OL_PB_VARINT);
    ol_pb_put_varint(b, v);
}

void ol_pb_put_fixed64(ol_buf_t *b, uint32_t number, uint64_t v)
{
    uint8_t tmp[8];
    for (int i = 0; i < 8; i++) tmp[i] = (uint8_t)(v >> (8 * i));
    ol_pb_put_tag(b, number, OL_PB_I64);
    ol_buf_append(b, tmp, 8);
}

void ol_pb_put_fixed32(ol_buf_t *b, uint32_t number, uint32_t v)
{
    uint8_t tmp[4];
    for (int i = 0; i < 4; i++) tmp[i] = (uint8_t)(v >> (8 * i));
    ol_pb_put_tag(b, number, OL_PB_I32);
    ol_buf_append(b, tmp, 4);
}

void ol_pb_put_double(ol_buf_t *b, uint32_t number, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    ol_pb_put_fixed64(b, number, bits);
}

void ol_pb_put_bytes(ol_buf_t *b, uint32_t number, ol_slice_t s)
{
    ol_pb_put_tag(b, number, OL_PB_LEN);
    ol_pb_put_varint(b, s.len);
    if (s.len) ol_buf_append(b, s.ptr, s.len);
}

size_t ol_pb_begin(ol_buf_t *b, uint32_t number)
{
    static const uint8_t placeholder[5] = {0x80, 0x80, 0x80, 0x80, 0x00};
    ol_pb_put_tag(b, number, OL_PB_LEN);
    size_t mark = b->len;
    ol_buf_append(b, placeholder, sizeof placeholder);
    return mark;
}

void ol_pb_end(ol_buf_t *b, size_t mark)
{
    if (b->err != OL_OK || mark + 5 > b->len) return;
    uint64_t n = b->len - mark - 5;
    if (n >> 35) { /* does not fit the fixed 5-byte length */
        b->err = OL_LIMIT;
        return;
    }
    uint8_t *p = b->data + mark;
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(((n >> (7 * i)) & 0x7f) | 0x80);
    p[4] = (uint8_t)((n >> 28) & 0x7f);
}
