/*
 * otel_row.c - OTLP span -> exporter `otel_traces` row in RowBinary, as
 * documented in otel_row.h.
 *
 * Everything is read from the views ol_otlp_decode() hands out: the fields it
 * does not decode (trace_state, status message, events, links, scope
 * name/version) are walked out of the raw Span / InstrumentationScope bytes
 * with the pb reader. The Go value rendering (pcommon.Value.AsString and, for
 * arrays and kvlists, encoding/json) is reproduced here because Olly's own
 * ol_otlp_anyvalue_text() keeps kvlist order and does not HTML-escape, which
 * is right for Olly but not what the exporter stores.
 */
#include "otel_row.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "codec/json.h"
#include "codec/otlp.h"
#include "codec/pb.h"
#include "core/util.h"

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
    GO_JSON_MAX_DEPTH = 64,
};

const char *ol_chb_span_kind_str(int32_t kind)
{
    static const char *const names[] = {"Unspecified", "Internal", "Server", "Client", "Producer", "Consumer"};
    return kind >= 0 && kind < (int32_t)OL_ARRAY_LEN(names) ? names[kind] : "";
}

const char *ol_chb_status_code_str(int32_t code)
{
    static const char *const names[] = {"Unset", "Ok", "Error"};
    return code >= 0 && code < (int32_t)OL_ARRAY_LEN(names) ? names[code] : "";
}

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

/* ---- Go rendering of AnyValue ---- */

/* Length of the UTF-8 sequence at p as Go's utf8.DecodeRune accepts it, or 0
 * when Go would return (RuneError, 1). *rune gets the code point. */
static size_t go_utf8_seq(const uint8_t *p, const uint8_t *end, uint32_t *rune)
{
    uint8_t c = p[0];
    size_t n;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c < 0xC2 || c > 0xF4) return 0;
    if (c < 0xE0) {
        n = 2;
        *rune = c & 0x1F;
    } else if (c < 0xF0) {
        n = 3;
        *rune = c & 0x0F;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else {
        n = 4;
        *rune = c & 0x07;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    }
    if ((size_t)(end - p) < n) return 0;
    for (size_t i = 1; i < n; i++) {
        uint8_t d = p[i];
        if (d < (i == 1 ? lo : 0x80) || d > (i == 1 ? hi : 0xBF)) return 0;
        *rune = *rune << 6 | (d & 0x3F);
    }
    return n;
}

/* encoding/json string encoding with HTML escaping (Go >= 1.22). */
static void go_json_string(ol_buf_t *b, ol_slice_t s)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *p = s.ptr, *end = s.ptr + s.len, *run = p;
    ol_buf_append_u8(b, '"');
    while (p < end) {
        uint8_t c = *p;
        if (c < 0x80) {
            if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
                p++;
                continue;
            }
            ol_buf_append(b, run, (size_t)(p - run));
            char esc[6] = {'\\', 0, 0, 0, 0, 0};
            size_t en = 2;
            switch (c) {
            case '"': esc[1] = '"'; break;
            case '\\': esc[1] = '\\'; break;
            case '\b': esc[1] = 'b'; break;
            case '\f': esc[1] = 'f'; break;
            case '\n': esc[1] = 'n'; break;
            case '\r': esc[1] = 'r'; break;
            case '\t': esc[1] = 't'; break;
            default:
                esc[1] = 'u';
                esc[2] = '0';
                esc[3] = '0';
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
                en = 6;
                break;
            }
            ol_buf_append(b, esc, en);
            run = ++p;
            continue;
        }
        uint32_t rune = 0;
        size_t n = go_utf8_seq(p, end, &rune);
        if (n == 0) {
            ol_buf_append(b, run, (size_t)(p - run));
            ol_buf_append_cstr(b, "\\ufffd");
            run = ++p;
        } else if (rune == 0x2028 || rune == 0x2029) {
            ol_buf_append(b, run, (size_t)(p - run));
            ol_buf_append_cstr(b, rune == 0x2028 ? "\\u2028" : "\\u2029");
            p += n;
            run = p;
        } else {
            p += n;
        }
    }
    ol_buf_append(b, run, (size_t)(p - run));
    ol_buf_append_u8(b, '"');
}

/* float64AsString / the encoding/json float encoder for finite values: both
 * are ECMAScript Number#toString, which ol_json_write_double implements. */
static void go_float(ol_buf_t *b, double d) { ol_json_write_double(b, d); }

static bool go_json_value(ol_buf_t *b, ol_slice_t av, int depth);

static bool go_json_array(ol_buf_t *b, ol_slice_t arr, int depth)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    bool first = true;
    ol_buf_append_u8(b, '[');
    ol_pb_reader_init(&r, arr);
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.number != 1 || f.wire_type != OL_PB_LEN) continue;
        if (!first) ol_buf_append_u8(b, ',');
        first = false;
        if (!go_json_value(b, f.bytes, depth + 1)) return false;
    }
    ol_buf_append_u8(b, ']');
    return true;
}

typedef struct {
    ol_slice_t key, value;
    size_t index;
} go_kv_t;

static int go_kv_cmp(const void *pa, const void *pb)
{
    const go_kv_t *a = pa, *b = pb;
    size_t n = OL_MIN(a->key.len, b->key.len);
    int c = n ? memcmp(a->key.ptr, b->key.ptr, n) : 0;
    if (c) return c;
    if (a->key.len != b->key.len) return a->key.len < b->key.len ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index; /* stable: later duplicate sorts after */
}

/* AsRaw() builds a Go map (a later duplicate key overwrites an earlier one)
 * and json.Marshal writes it with sorted keys. */
static bool go_json_kvlist(ol_buf_t *b, ol_slice_t kvl, int depth)
{
    ol_pb_reader_t r, kr;
    ol_pb_field_value_t f, kf;
    size_t n = 0, cap = 0;
    go_kv_t *kv = NULL;
    bool ok = true;
    ol_pb_reader_init(&r, kvl);
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.number != 1 || f.wire_type != OL_PB_LEN) continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            go_kv_t *bigger = ol_realloc(OL_MEM_CODEC, kv, cap * sizeof *kv, ncap * sizeof *kv);
            if (!bigger) {
                ol_free(OL_MEM_CODEC, kv, cap * sizeof *kv);
                b->err = OL_NOMEM;
                return false;
            }
            kv = bigger;
            cap = ncap;
        }
        go_kv_t *e = &kv[n];
        e->key = OL_SLICE_LIT("");
        e->value = OL_SLICE_NULL;
        e->index = n;
        ol_pb_reader_init(&kr, f.bytes);
        while (ol_pb_next(&kr, &kf) == OL_OK) {
            if (kf.wire_type != OL_PB_LEN) continue;
            if (kf.number == 1) e->key = kf.bytes;
            else if (kf.number == 2) e->value = kf.bytes;
        }
        n++;
    }
    if (n > 1) qsort(kv, n, sizeof *kv, go_kv_cmp);
    ol_buf_append_u8(b, '{');
    bool first = true;
    for (size_t i = 0; i < n && ok; i++) {
        if (i + 1 < n && ol_slice_eq(kv[i].key, kv[i + 1].key)) continue;
        if (!first) ol_buf_append_u8(b, ',');
        first = false;
        go_json_string(b, kv[i].key);
        ol_buf_append_u8(b, ':');
        ok = go_json_value(b, kv[i].value, depth + 1);
    }
    ol_buf_append_u8(b, '}');
    ol_free(OL_MEM_CODEC, kv, cap * sizeof *kv);
    return ok;
}

/* One AsRaw() value as json.Marshal writes it; false where Marshal fails. */
static bool go_json_value(ol_buf_t *b, ol_slice_t av, int depth)
{
    ol_otlp_any_t v;
    if (depth > GO_JSON_MAX_DEPTH) return false;
    ol_otlp_any_parse(av, &v);
    switch (v.kind) {
    case 1:
        go_json_string(b, v.bytes);
        return true;
    case 2:
        ol_buf_append_cstr(b, v.u64 ? "true" : "false");
        return true;
    case 3:
        ol_buf_printf(b, "%lld", (long long)(int64_t)v.u64);
        return true;
    case 4: {
        double d = ol_pb_as_double(v.u64);
        if (!isfinite(d)) return false;
        go_float(b, d);
        return true;
    }
    case 5:
        return go_json_array(b, v.bytes, depth);
    case 6:
        return go_json_kvlist(b, v.bytes, depth);
    case 7:
        ol_buf_append_u8(b, '"');
        ol_buf_append_base64(b, v.bytes.ptr, v.bytes.len);
        ol_buf_append_u8(b, '"');
        return true;
    default:
        ol_buf_append_cstr(b, "null");
        return true;
    }
}

void ol_chb_go_as_string(ol_slice_t any_value, ol_buf_t *b)
{
    ol_otlp_any_t v;
    size_t mark = b->len;
    ol_otlp_any_parse(any_value, &v);
    switch (v.kind) {
    case 1:
        ol_buf_append_slice(b, v.bytes);
        break;
    case 2:
        ol_buf_append_cstr(b, v.u64 ? "true" : "false");
        break;
    case 3:
        ol_buf_printf(b, "%lld", (long long)(int64_t)v.u64);
        break;
    case 4: {
        double d = ol_pb_as_double(v.u64);
        if (isnan(d)) ol_buf_append_cstr(b, "json: unsupported value: NaN");
        else if (isinf(d)) ol_buf_append_cstr(b, d > 0 ? "json: unsupported value: +Inf" : "json: unsupported value: -Inf");
        else go_float(b, d);
        break;
    }
    case 5:
        if (!go_json_array(b, v.bytes, 1) && b->err == OL_OK) b->len = mark;
        break;
    case 6:
        if (!go_json_kvlist(b, v.bytes, 1) && b->err == OL_OK) b->len = mark;
        break;
    case 7:
        ol_buf_append_base64(b, v.bytes.ptr, v.bytes.len);
        break;
    default:
        break;
    }
}

/* ---- maps and nested fields ---- */

typedef struct {
    ol_buf_t *body;  /* the map's entries */
    ol_buf_t *value; /* one value's text */
    uint64_t count;
} map_ctx_t;

static int map_entry_cb(void *ud, ol_slice_t key, ol_slice_t any_value)
{
    map_ctx_t *c = ud;
    ol_buf_reset(c->value);
    ol_chb_go_as_string(any_value, c->value);
    rb_string(c->body, key.ptr ? key : OL_SLICE_LIT(""));
    rb_string(c->body, ol_buf_slice(c->value));
    c->count++;
    return OL_OK;
}

/* Appends the KeyValue list `field` of `msg` as a RowBinary Map. The entries
 * are staged in `scratch` from offset `mark` on (the count must come first);
 * scratch is restored to `mark` afterwards. */
static int rb_attr_map(ol_buf_t *out, ol_slice_t msg, uint32_t field, ol_buf_t *scratch)
{
    size_t mark = scratch->len;
    ol_buf_t value;
    ol_buf_init(&value, OL_MEM_CODEC, 0);
    map_ctx_t c = {scratch, &value, 0};
    int rc = ol_otlp_each_attribute(msg, field, map_entry_cb, &c);
    if (value.err != OL_OK) rc = value.err;
    ol_buf_free(&value);
    if (rc == OL_OK) {
        ol_pb_put_varint(out, c.count);
        ol_buf_append(out, scratch->data + mark, scratch->len - mark);
    }
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
            ol_chb_go_as_string(value, &name);
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
    rb_cstr(out, ol_chb_span_kind_str(s->kind));
    rb_string(out, o->service_name);
    ol_buf_append_slice(out, o->resource_attrs);
    rb_string(out, o->scope_name);
    rb_string(out, o->scope_version);
    rc = rb_attr_map(out, s->raw, F_SPAN_ATTRIBUTES, scratch);
    if (rc == OL_OK) {
        rb_u64(out, s->end_ns - s->start_ns);
        rb_cstr(out, ol_chb_status_code_str(s->status_code));
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
