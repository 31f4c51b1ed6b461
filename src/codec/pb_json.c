/*
 * pb_json.c - encoded protobuf -> OTLP/JSON, driven by the pb_schema tables
 * (the output half of otlp_json.h).
 *
 * Used to answer queries with the bytes the store kept "as received": a Span,
 * LogRecord or Metric (or any other table message) is rendered without first
 * being decoded into structs. Rules (OTLP/JSON encoding of the spec):
 *   - keys are the tables' lowerCamelCase json names;
 *   - OL_PBT_ID (trace/span ids) as lower-case hex strings, other bytes base64;
 *   - 64-bit integers (int64, uint64, sint64, fixed64, sfixed64) as decimal
 *     strings, 32-bit integers and enums as numbers;
 *   - doubles via ol_json_write_double (NaN/Infinity as strings);
 *   - repeated fields as arrays, whether packed or not on the wire;
 *   - only fields present on the wire are emitted; unknown fields skipped;
 *     a non-repeated field that occurs more than once shows its last value.
 *
 * Each message is walked once to learn which known fields are present (and
 * that they have acceptable wire types), then once more per present field so
 * that repeated fields become one array even when interleaved with others.
 * Output follows table order. On OL_CORRUPT the buffer is rewound to where it
 * was, so the caller never sees half an object.
 */
#include "codec/otlp_json.h"

#include "codec/json.h"
#include "codec/pb.h"
#include "core/util.h"

static int ol_pbj_msg(const ol_pb_msg_t *m, ol_slice_t pb, ol_buf_t *out, int depth);

static bool ol_pbj_packable(const ol_pb_field_t *fd) { return fd->repeated && ol_pb_type_wire(fd->type) != OL_PB_LEN; }

/* One value of a field; `v` is the raw varint/fixed bits, `s` the LEN payload. */
static int ol_pbj_value(const ol_pb_field_t *fd, uint64_t v, ol_slice_t s, ol_buf_t *out, int depth)
{
    switch (fd->type) {
    case OL_PBT_STRING:
        ol_json_write_string(out, s);
        break;
    case OL_PBT_BYTES:
        ol_buf_append_u8(out, '"');
        ol_buf_append_base64(out, s.ptr, s.len);
        ol_buf_append_u8(out, '"');
        break;
    case OL_PBT_ID:
        ol_buf_append_u8(out, '"');
        ol_buf_append_hex(out, s.ptr, s.len);
        ol_buf_append_u8(out, '"');
        break;
    case OL_PBT_BOOL:
        ol_buf_append_cstr(out, v ? "true" : "false");
        break;
    case OL_PBT_INT32:
    case OL_PBT_ENUM:
        ol_buf_printf(out, "%d", (int)(int32_t)v);
        break;
    case OL_PBT_UINT32:
    case OL_PBT_FIXED32:
        ol_buf_printf(out, "%u", (unsigned)(uint32_t)v);
        break;
    case OL_PBT_SINT32:
        ol_buf_printf(out, "%d", (int)(int32_t)ol_pb_zigzag_decode(v));
        break;
    case OL_PBT_INT64:
    case OL_PBT_SFIXED64:
        ol_json_write_i64_str(out, (int64_t)v);
        break;
    case OL_PBT_SINT64:
        ol_json_write_i64_str(out, ol_pb_zigzag_decode(v));
        break;
    case OL_PBT_UINT64:
    case OL_PBT_FIXED64:
        ol_json_write_u64_str(out, v);
        break;
    case OL_PBT_DOUBLE:
        ol_json_write_double(out, ol_pb_as_double(v));
        break;
    case OL_PBT_FLOAT: {
        uint32_t bits = (uint32_t)v;
        float fl;
        memcpy(&fl, &bits, sizeof fl);
        ol_json_write_double(out, (double)fl);
        break;
    }
    case OL_PBT_MESSAGE:
        return ol_pbj_msg(fd->msg, s, out, depth + 1);
    }
    return OL_OK;
}

/* Every element of a packed payload; `first` tracks the array's commas. */
static int ol_pbj_packed(const ol_pb_field_t *fd, ol_slice_t s, ol_buf_t *out, bool *first)
{
    uint8_t w = ol_pb_type_wire(fd->type);
    const uint8_t *p = s.ptr, *end = s.ptr + s.len;
    while (p < end) {
        uint64_t v;
        if (w == OL_PB_VARINT) {
            if (ol_pb_read_varint(&p, end, &v) != OL_OK) return OL_CORRUPT;
        } else if (w == OL_PB_I64) {
            if (end - p < 8) return OL_CORRUPT;
            v = ol_load_le64(p);
            p += 8;
        } else {
            if (end - p < 4) return OL_CORRUPT;
            v = ol_load_le32(p);
            p += 4;
        }
        if (!*first) ol_buf_append_u8(out, ',');
        *first = false;
        ol_pbj_value(fd, v, OL_SLICE_NULL, out, 0);
    }
    return OL_OK;
}

static int ol_pbj_field(const ol_pb_field_t *fd, ol_slice_t pb, ol_buf_t *out, int depth)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f, last = {0};
    int rc;
    bool first = true, found = false;
    ol_buf_append_u8(out, '"');
    ol_buf_append_cstr(out, fd->json_name);
    ol_buf_append_cstr(out, "\":");
    if (fd->repeated) ol_buf_append_u8(out, '[');
    ol_pb_reader_init(&r, pb);
    while ((rc = ol_pb_next(&r, &f)) == OL_OK) {
        if (f.number != fd->number) continue;
        if (!fd->repeated) {
            last = f;
            found = true;
            continue;
        }
        if (f.wire_type == OL_PB_LEN && ol_pbj_packable(fd)) {
            if (ol_pbj_packed(fd, f.bytes, out, &first) != OL_OK) return OL_CORRUPT;
            continue;
        }
        if (!first) ol_buf_append_u8(out, ',');
        first = false;
        rc = ol_pbj_value(fd, f.u64, f.bytes, out, depth);
        if (rc != OL_OK) return rc;
    }
    if (rc != OL_NOTFOUND) return OL_CORRUPT;
    if (fd->repeated) {
        ol_buf_append_u8(out, ']');
        return OL_OK;
    }
    if (OL_NEVER(!found)) return OL_CORRUPT;
    return ol_pbj_value(fd, last.u64, last.bytes, out, depth);
}

static int ol_pbj_msg(const ol_pb_msg_t *m, ol_slice_t pb, ol_buf_t *out, int depth)
{
    if (depth > OL_PB_MAX_DEPTH || m->n_fields > 64) return OL_CORRUPT;
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    uint64_t present = 0;
    int rc;
    ol_pb_reader_init(&r, pb);
    while ((rc = ol_pb_next(&r, &f)) == OL_OK) {
        const ol_pb_field_t *fd = ol_pb_msg_field(m, f.number);
        if (!fd) continue;
        if (f.wire_type != ol_pb_type_wire(fd->type) && !(f.wire_type == OL_PB_LEN && ol_pbj_packable(fd)))
            return OL_CORRUPT;
        present |= (uint64_t)1 << (fd - m->fields);
    }
    if (rc != OL_NOTFOUND) return OL_CORRUPT;

    bool first = true;
    ol_buf_append_u8(out, '{');
    for (size_t i = 0; i < m->n_fields; i++) {
        if (!(present & ((uint64_t)1 << i))) continue;
        if (!first) ol_buf_append_u8(out, ',');
        first = false;
        rc = ol_pbj_field(&m->fields[i], pb, out, depth);
        if (rc != OL_OK) return rc;
    }
    ol_buf_append_u8(out, '}');
    return OL_OK;
}

int ol_pb_to_otlp_json(const ol_pb_msg_t *m, ol_slice_t pb, ol_buf_t *out)
{
    size_t start = out->len;
    int rc = ol_pbj_msg(m, pb, out, 1);
    if (rc != OL_OK && out->len >= start) out->len = start;
    return rc;
}
