/*
 * gostr.c - Go's text for OTLP values, as the OpenTelemetry Collector's
 * ClickHouse exporter stores them (see table.h).
 *
 * The exporter writes every attribute value and log body through
 * pcommon.Value.AsString(): strings as they are, bools "true"/"false", ints
 * in decimal, doubles through float64AsString (ECMAScript Number#toString,
 * which ol_json_write_double implements), bytes as standard base64, and
 * arrays and kvlists as encoding/json's Marshal of AsRaw(): map keys sorted
 * (a later duplicate key wins, as building the Go map does), <, > and &
 * escaped as \u003c..., U+2028/U+2029 escaped, invalid UTF-8 replaced by
 * \ufffd, and any NaN or infinity inside making Marshal fail, which AsString
 * turns into "". A NaN or infinity as the value itself is float64AsString's
 * "json: unsupported value: NaN" text.
 *
 * Olly's own ol_otlp_anyvalue_text() keeps kvlist order and escapes no HTML,
 * which is right for its API but not what the exporter stores, hence this
 * second renderer. SpanKind and StatusCode names are ptrace's String().
 *
 * Nothing here allocates except a kvlist's sort array (ol_realloc, freed
 * before returning); appends go to the caller's buffer, whose err is set on
 * failure.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "codec/json.h"
#include "codec/otlp.h"
#include "codec/pb.h"
#include "core/util.h"
#include "sql/table.h"

enum { GO_JSON_MAX_DEPTH = 64 };

const char *ol_sql_span_kind_str(int32_t kind)
{
    static const char *const names[] = {"Unspecified", "Internal", "Server", "Client", "Producer", "Consumer"};
    return kind >= 0 && kind < (int32_t)OL_ARRAY_LEN(names) ? names[kind] : "";
}

const char *ol_sql_status_code_str(int32_t code)
{
    static const char *const names[] = {"Unset", "Ok", "Error"};
    return code >= 0 && code < (int32_t)OL_ARRAY_LEN(names) ? names[code] : "";
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
            ol_json_write_escape(b, c);
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
            go_kv_t *bigger = ol_realloc(OL_MEM_QUERY, kv, cap * sizeof *kv, ncap * sizeof *kv);
            if (!bigger) {
                ol_free(OL_MEM_QUERY, kv, cap * sizeof *kv);
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
    ol_free(OL_MEM_QUERY, kv, cap * sizeof *kv);
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

void ol_sql_go_as_string(ol_slice_t any_value, ol_buf_t *b)
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
