/*
 * correlate_sanitize.c - cuts rejected correlation ids out of spans and log
 * records before they are stored.
 *
 * Items are stored byte for byte as received (codec/otlp.h), so a rejected
 * id can only be kept out of the store by rewriting the item: the new raw is
 * the old one with the KeyValue fields of rejected ids left out, every other
 * field copied verbatim and in order. A log record without a trace id would
 * then belong to no flow at all, so its rejected id is replaced, in the same
 * place, by olly-{base36 of the record's second}-{8 hex of the hash of the
 * rejected value}: the same record sent twice gets the same replacement, and
 * the hostile bytes are never stored or echoed.
 *
 * Cost: one memmem for "correlation" per item; items that hold no such bytes
 * (nearly all) are not parsed, and items whose ids are all valid are not
 * copied.
 */
#include "codec/pb.h"
#include "core/util.h"
#include "pipeline/correlate_int.h"

/* The replacement KeyValue field: tag, length, KeyValue{key, AnyValue{string}}. */
#define OL_CS_REPLACEMENT_MAX 64

typedef struct ol_cs_scan {
    ol_correlate_t *c;
    uint64_t now_s;
    size_t rejected;
} ol_cs_scan_t;

static ol_cid_verdict_t ol_cs_verdict(uint32_t kind, ol_slice_t value, uint64_t now_s)
{
    return kind == 1 ? ol_cid_check(value, now_s) : OL_CID_NOT_STRING;
}

static int ol_cs_count(void *ud, ol_slice_t key, uint32_t kind, ol_slice_t value)
{
    ol_cs_scan_t *s = ud;
    (void)key;
    if (ol_cs_verdict(kind, value, s->now_s) != OL_CID_OK) s->rejected++;
    return OL_OK;
}

static size_t ol_cs_put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* field{ KeyValue{1: key, 2: AnyValue{1: id}} } with minimal lengths. */
static size_t ol_cs_put_replacement(uint8_t *out, uint32_t field, ol_slice_t key, const char *id, size_t id_len)
{
    size_t any_len = 1 + ol_pb_varint_len(id_len) + id_len;
    size_t kv_len = 1 + ol_pb_varint_len(key.len) + key.len + 1 + ol_pb_varint_len(any_len) + any_len;
    size_t n = ol_cs_put_varint(out, (uint64_t)field << 3 | OL_PB_LEN);
    n += ol_cs_put_varint(out + n, kv_len);
    out[n++] = 1 << 3 | OL_PB_LEN;
    n += ol_cs_put_varint(out + n, key.len);
    memcpy(out + n, key.ptr, key.len);
    n += key.len;
    out[n++] = 2 << 3 | OL_PB_LEN;
    n += ol_cs_put_varint(out + n, any_len);
    out[n++] = 1 << 3 | OL_PB_LEN;
    n += ol_cs_put_varint(out + n, id_len);
    memcpy(out + n, id, id_len);
    return n + id_len;
}

/* The one attribute an encoded KeyValue field holds: key and value as
 * ol_cid_each reads them. */
static bool ol_cs_kv(ol_slice_t kv, ol_slice_t *key, uint32_t *kind, ol_slice_t *value)
{
    ol_pb_reader_t r;
    ol_pb_reader_init(&r, kv);
    ol_pb_field_value_t f;
    ol_slice_t k = OL_SLICE_NULL, v = OL_SLICE_NULL;
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.wire_type != OL_PB_LEN) continue;
        if (f.number == 1) k = f.bytes;
        else if (f.number == 2) v = f.bytes;
    }
    if (!ol_cid_is_key(k)) return false;
    ol_otlp_any_t any;
    ol_otlp_any_parse(v, &any);
    *key = k;
    *kind = any.kind;
    *value = any.kind == 1 ? any.bytes : v;
    return true;
}

/* Second of a log record for its replacement id: its time, else its observed
 * time, else now; a time outside the plausible range also gives now. */
static uint64_t ol_cs_log_second(const ol_otlp_log_t *l, uint64_t now_s)
{
    uint64_t t = l->time_ns ? l->time_ns : l->observed_ns;
    uint64_t s = t / 1000000000ull;
    return s >= OL_CID_MIN_SECOND && s <= now_s + OL_CID_FUTURE_SLACK_S ? s : now_s;
}

/* Rewrites *raw when it holds rejected ids. replace_second != 0: put a
 * replacement where each rejected id was. */
static int ol_cs_item(ol_correlate_t *c, ol_slice_t *raw, uint32_t field, uint64_t replace_second, ol_arena_t *a,
                      uint64_t now_s)
{
    if (!ol_cid_maybe(*raw)) return OL_OK;
    ol_cs_scan_t s = {.c = c, .now_s = now_s};
    ol_cid_each(*raw, field, ol_cs_count, &s);
    if (!s.rejected) return OL_OK;

    size_t cap = raw->len + (replace_second ? s.rejected * OL_CS_REPLACEMENT_MAX : 0);
    uint8_t *out = ol_arena_alloc(a, cap ? cap : 1);
    if (!out) return OL_NOMEM;
    size_t n = 0;
    ol_pb_reader_t r;
    ol_pb_reader_init(&r, *raw);
    ol_pb_field_value_t f;
    for (;;) {
        const uint8_t *at = r.p;
        if (ol_pb_next(&r, &f) != OL_OK) break;
        ol_slice_t key, value;
        uint32_t kind;
        if (f.number == field && f.wire_type == OL_PB_LEN && ol_cs_kv(f.bytes, &key, &kind, &value)) {
            ol_cid_verdict_t v = ol_cs_verdict(kind, value, now_s);
            if (v != OL_CID_OK) {
                atomic_fetch_add(&c->rejected[v], 1);
                if (replace_second) {
                    char id[OL_CID_GENERATED_MAX + 1];
                    size_t id_len = ol_cid_format_generated(id, replace_second, ol_cid_hash32(value.ptr, value.len));
                    n += ol_cs_put_replacement(out + n, field, key, id, id_len);
                    atomic_fetch_add(&c->replaced, 1);
                }
                continue;
            }
        }
        memcpy(out + n, at, (size_t)(r.p - at));
        n += (size_t)(r.p - at);
    }
    *raw = ol_slice(out, n);
    return OL_OK;
}

int ol_correlate_sanitize(ol_correlate_t *c, ol_otlp_batch_t *b, ol_arena_t *a)
{
    uint64_t now_s = ol_correlate_now_s(c);
    for (size_t i = 0; i < b->n_spans; i++) {
        ol_otlp_span_t *sp = &b->spans[i];
        if (!sp->valid) continue;
        int rc = ol_cs_item(c, &sp->raw, OL_CID_SPAN_ATTRS, 0, a, now_s);
        if (rc != OL_OK) return rc;
    }
    for (size_t i = 0; i < b->n_logs; i++) {
        ol_otlp_log_t *l = &b->logs[i];
        uint64_t second = l->trace_id.len == 16 ? 0 : ol_cs_log_second(l, now_s);
        int rc = ol_cs_item(c, &l->raw, OL_CID_LOG_ATTRS, second, a, now_s);
        if (rc != OL_OK) return rc;
    }
    return OL_OK;
}
