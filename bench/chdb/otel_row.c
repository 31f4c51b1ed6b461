/*
 * otel_row.c - OTLP span -> exporter `otel_traces` row in RowBinary, as
 * documented in otel_row.h.
 *
 * Everything is read from the views ol_otlp_decode() hands out: the fields it
 * does not decode (trace_state, status message, events, links, scope
 * name/version) are walked out of the raw Span / InstrumentationScope bytes
 * with the pb reader. Values are rendered as the exporter renders them by
 * Olly's SQL tables' Go renderer (src/sql/gostr.c: pcommon.Value.AsString,
 * ptrace's SpanKind/StatusCode names), so the benchmark's rows and Olly's
 * otel_traces table hold the same text.
 */
#include "otel_row.h"

#include <stdio.h>

#include "codec/otlp.h"
#include "codec/pb.h"
#include "core/util.h"
#include "sql/table.h"

enum {
    F_SPAN_TRACE_STATE = 3,
    F_SPAN_ATTRIBUTES = 9,
    F_SPAN_EVENTS = 11,
    F_SPAN_LINKS = 13,
    F_SPAN_STATUS = 15,
    F_STATUS_MESSAGE = 2,
    F_EVENT_TIME = 1,
    F_EVENT_NAME = 2,
    F_EVENT_ATTRIBUTES = 3,
    F_LINK_TRACE_ID = 1,
    F_LINK_SPAN_ID = 2,
    F_LINK_TRACE_STATE = 3,
    F_LINK_ATTRIBUTES = 4,
    F_SCOPE_NAME = 1,
    F_SCOPE_VERSION = 2,
    F_RESOURCE_ATTRIBUTES = 1,
};

/* ---- RowBinary primitives ---- */

static void rb_string(ol_buf_t *b, ol_slice_t s)
{
    ol_pb_put_varint(b, s.len);
    ol_buf_append_slice(b, s);
}

static void rb_cstr(ol_buf_t *b, const char *s) { rb_string(b, ol_slice_cstr(s)); }

static void rb_u64(ol_buf_t *b, uint64_t v)
{
    uint8_t le[8];
    ol_store_le64(le, v);
    ol_buf_append(b, le, 8);
}

/* An id as the exporter's TraceIDToHexOrEmptyString / SpanIDToHexOrEmptyString:
 * lower-case hex, "" when absent or all zero. */
static void rb_hex_id(ol_buf_t *b, ol_slice_t id)
{
    bool zero = true;
    for (size_t i = 0; i < id.len; i++)
        if (id.ptr[i]) zero = false;
    if (zero) {
        ol_pb_put_varint(b, 0);
        return;
    }
    ol_pb_put_varint(b, id.len * 2);
    ol_buf_append_hex(b, id.ptr, id.len);
}

/* ---- maps and nested fields ---- */

typedef struct {
    ol_buf_t *body;  /* the map's entries */
    ol_buf_t *value; /* one value's text */
    uint64_t count;
    ol_buf_t *starts; /* size_t offsets of each entry in body */
} map_ctx_t;

static int map_entry_cb(void *ud, ol_slice_t key, ol_slice_t any_value)
{
    map_ctx_t *c = ud;
    size_t at = c->body->len;
    ol_buf_append(c->starts, &at, sizeof at);
    ol_buf_reset(c->value);
    ol_sql_go_as_string(any_value, c->value);
    rb_string(c->body, key.ptr ? key : OL_SLICE_LIT(""));
    rb_string(c->body, ol_buf_slice(c->value));
    c->count++;
    return OL_OK;
}

/* The key of the staged entry at p (a RowBinary string). */
static ol_slice_t staged_key(const uint8_t *p, const uint8_t *end)
{
    uint64_t n = 0;
    int shift = 0;
    while (p < end && shift < 64) {
        uint8_t b = *p++;
        n |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) break;
        shift += 7;
    }
    return ol_slice(p, (size_t)OL_MIN(n, (uint64_t)(end - p)));
}

static int key_cmp(ol_slice_t a, ol_slice_t b)
{
    size_t n = OL_MIN(a.len, b.len);
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    return c ? c : (a.len < b.len ? -1 : a.len > b.len);
}

/* Appends the KeyValue list `field` of `msg` as a RowBinary Map, its entries
 * sorted by key (stable), as the exporter's clickhouse-go orderedmap.CollectN
 * writes them. The entries are staged in `scratch` from offset `mark` on (the
 * count must come first); scratch is restored to `mark` afterwards. */
static int rb_attr_map(ol_buf_t *out, ol_slice_t msg, uint32_t field, ol_buf_t *scratch)
{
    size_t mark = scratch->len;
    ol_buf_t value, starts;
    ol_buf_init(&value, OL_MEM_CODEC, 0);
    ol_buf_init(&starts, OL_MEM_CODEC, 0);
    map_ctx_t c = {scratch, &value, 0, &starts};
    int rc = ol_otlp_each_attribute(msg, field, map_entry_cb, &c);
    if (value.err != OL_OK) rc = value.err;
    if (starts.err != OL_OK) rc = starts.err;
    if (rc == OL_OK) {
        size_t n = (size_t)c.count, *at = (size_t *)starts.data;
        const uint8_t *end = scratch->data + scratch->len;
        /* insertion sort: stable, and maps are small */
        for (size_t i = 1; i < n; i++) {
            size_t v = at[i], j = i;
            ol_slice_t k = staged_key(scratch->data + v, end);
            while (j > 0 && key_cmp(staged_key(scratch->data + at[j - 1], end), k) > 0) {
                at[j] = at[j - 1];
                j--;
            }
            at[j] = v;
        }
        ol_pb_put_varint(out, c.count);
        for (size_t i = 0; i < n; i++) {
            /* an entry runs to the next staged entry (in staging order) */
            size_t from = at[i], to = scratch->len;
            for (size_t j = 0; j < n; j++)
                if (((size_t *)starts.data)[j] > from && ((size_t *)starts.data)[j] < to) to = ((size_t *)starts.data)[j];
            ol_buf_append(out, scratch->data + from, to - from);
        }
    }
    ol_buf_free(&value);
    ol_buf_free(&starts);
    scratch->len = mark;
    return rc;
}

/* Last LEN field `number` of msg, or "". */
static ol_slice_t pb_last_len(ol_slice_t msg, uint32_t number)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_slice_t v = OL_SLICE_LIT("");
    ol_pb_reader_init(&r, msg);
    while (ol_pb_next(&r, &f) == OL_OK)
        if (f.number == number && f.wire_type == OL_PB_LEN) v = f.bytes;
    return v;
}

/* Last fixed64 field `number` of msg, or 0. */
static uint64_t pb_last_fixed64(ol_slice_t msg, uint32_t number)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    uint64_t v = 0;
    ol_pb_reader_init(&r, msg);
    while (ol_pb_next(&r, &f) == OL_OK)
        if (f.number == number && f.wire_type == OL_PB_I64) v = f.u64;
    return v;
}

typedef enum { SUB_TIME, SUB_STRING, SUB_HEX_ID, SUB_ATTRS } sub_kind_t;

/* One Nested sub-column: for every repeated message `field` of the span,
 * its sub-field `sub` rendered as `kind`, as a RowBinary Array. */
static int rb_nested_column(ol_buf_t *out, ol_slice_t span, uint32_t field, uint64_t count, uint32_t sub,
                            sub_kind_t kind, ol_buf_t *scratch)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    int rc = OL_OK;
    ol_pb_put_varint(out, count);
    ol_pb_reader_init(&r, span);
    while (rc == OL_OK && ol_pb_next(&r, &f) == OL_OK) {
        if (f.number != field || f.wire_type != OL_PB_LEN) continue;
        switch (kind) {
        case SUB_TIME: rb_u64(out, pb_last_fixed64(f.bytes, sub)); break;
        case SUB_STRING: rb_string(out, pb_last_len(f.bytes, sub)); break;
        case SUB_HEX_ID: rb_hex_id(out, pb_last_len(f.bytes, sub)); break;
        case SUB_ATTRS: rc = rb_attr_map(out, f.bytes, sub, scratch); break;
        }
    }
    return rc;
}

int ol_chb_origin_row(const ol_otlp_origin_t *o, ol_arena_t *a, ol_chb_origin_row_t *out, ol_err_t *err)
{
    ol_buf_t map, scratch, name;
    int rc;
    memset(out, 0, sizeof *out);
    ol_buf_init(&map, OL_MEM_CODEC, 0);
    ol_buf_init(&scratch, OL_MEM_CODEC, 0);
    ol_buf_init(&name, OL_MEM_CODEC, 0);

    rc = rb_attr_map(&map, o->resource, F_RESOURCE_ATTRIBUTES, &scratch);

    /* GetServiceName: pcommon.Map.Get returns the first entry with the key. */
    ol_pb_reader_t r, kr;
    ol_pb_field_value_t f, kf;
    ol_pb_reader_init(&r, o->resource);
    while (rc == OL_OK && ol_pb_next(&r, &f) == OL_OK) {
        if (f.number != F_RESOURCE_ATTRIBUTES || f.wire_type != OL_PB_LEN) continue;
        ol_slice_t key = OL_SLICE_NULL, value = OL_SLICE_NULL;
        ol_pb_reader_init(&kr, f.bytes);
        while (ol_pb_next(&kr, &kf) == OL_OK) {
            if (kf.wire_type != OL_PB_LEN) continue;
            if (kf.number == 1) key = kf.bytes;
            else if (kf.number == 2) value = kf.bytes;
        }
        if (ol_slice_eq_cstr(key, "service.name")) {
            ol_sql_go_as_string(value, &name);
            break;
        }
    }
    if (rc == OL_OK && (map.err || name.err)) rc = OL_NOMEM;
    if (rc == OL_OK) {
        out->resource_attrs.len = map.len;
        out->resource_attrs.ptr = ol_arena_memdup(a, map.data ? (const void *)map.data : "", map.len);
        out->service_name.len = name.len;
        out->service_name.ptr = ol_arena_memdup(a, name.data ? (const void *)name.data : "", name.len);
        if (!out->resource_attrs.ptr || !out->service_name.ptr) rc = OL_NOMEM;
        out->scope_name = pb_last_len(o->scope, F_SCOPE_NAME);
        out->scope_version = pb_last_len(o->scope, F_SCOPE_VERSION);
    }
    if (rc != OL_OK)
        ol_err_set(err, "resource #%u: %s while rendering its attributes", o->resource_index, ol_rc_str(rc));
    ol_buf_free(&map);
    ol_buf_free(&scratch);
    ol_buf_free(&name);
    return rc;
}

int ol_chb_span_row(ol_buf_t *out, const ol_otlp_span_t *s, const ol_chb_origin_row_t *o, ol_buf_t *scratch,
                    ol_err_t *err)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_slice_t trace_state = OL_SLICE_LIT(""), status = OL_SLICE_NULL;
    uint64_t n_events = 0, n_links = 0;
    int rc;
    ol_pb_reader_init(&r, s->raw);
    while ((rc = ol_pb_next(&r, &f)) == OL_OK) {
        if (f.wire_type != OL_PB_LEN) continue;
        if (f.number == F_SPAN_TRACE_STATE) trace_state = f.bytes;
        else if (f.number == F_SPAN_STATUS) status = f.bytes;
        else if (f.number == F_SPAN_EVENTS) n_events++;
        else if (f.number == F_SPAN_LINKS) n_links++;
    }
    if (rc != OL_NOTFOUND) {
        ol_err_set(err, "span: malformed protobuf");
        return OL_CORRUPT;
    }

    rb_u64(out, s->start_ns);
    rb_hex_id(out, s->trace_id);
    rb_hex_id(out, s->span_id);
    rb_hex_id(out, s->parent_span_id);
    rb_string(out, trace_state);
    rb_string(out, s->name);
    rb_cstr(out, ol_sql_span_kind_str(s->kind));
    rb_string(out, o->service_name);
    ol_buf_append_slice(out, o->resource_attrs);
    rb_string(out, o->scope_name);
    rb_string(out, o->scope_version);
    rc = rb_attr_map(out, s->raw, F_SPAN_ATTRIBUTES, scratch);
    if (rc == OL_OK) {
        rb_u64(out, s->end_ns - s->start_ns);
        rb_cstr(out, ol_sql_status_code_str(s->status_code));
        rb_string(out, pb_last_len(status, F_STATUS_MESSAGE));
        rc = rb_nested_column(out, s->raw, F_SPAN_EVENTS, n_events, F_EVENT_TIME, SUB_TIME, scratch);
    }
    if (rc == OL_OK) rc = rb_nested_column(out, s->raw, F_SPAN_EVENTS, n_events, F_EVENT_NAME, SUB_STRING, scratch);
    if (rc == OL_OK)
        rc = rb_nested_column(out, s->raw, F_SPAN_EVENTS, n_events, F_EVENT_ATTRIBUTES, SUB_ATTRS, scratch);
    if (rc == OL_OK) rc = rb_nested_column(out, s->raw, F_SPAN_LINKS, n_links, F_LINK_TRACE_ID, SUB_HEX_ID, scratch);
    if (rc == OL_OK) rc = rb_nested_column(out, s->raw, F_SPAN_LINKS, n_links, F_LINK_SPAN_ID, SUB_HEX_ID, scratch);
    if (rc == OL_OK)
        rc = rb_nested_column(out, s->raw, F_SPAN_LINKS, n_links, F_LINK_TRACE_STATE, SUB_STRING, scratch);
    if (rc == OL_OK)
        rc = rb_nested_column(out, s->raw, F_SPAN_LINKS, n_links, F_LINK_ATTRIBUTES, SUB_ATTRS, scratch);
    if (rc == OL_OK && (out->err || scratch->err)) rc = out->err ? out->err : scratch->err;
    if (rc != OL_OK) ol_err_set(err, "span: %s while rendering its row", ol_rc_str(rc));
    return rc;
}
