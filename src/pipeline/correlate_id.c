/*
 * correlate_id.c - what a correlation id may be, and the generated form.
 *
 * An id is 1..100 bytes of [A-Za-z0-9._:-] with at least one letter or
 * digit: safe in a URL path segment, a log line, a JSON string and a SQL
 * literal without escaping, and never "." or "..". An id that starts with
 * "olly-" (in any case) claims to be generated and must be exactly
 * olly-{base36 seconds}-{8 lowercase hex}: seconds in canonical lowercase
 * base 36 (no leading zero) between 2000-01-01 and a day past this node's
 * clock. Anything else is rejected with one reason.
 *
 * The hash behind generated ids is defined here and must never change: two
 * nodes (or two versions) that disagree on it name the same trace
 * differently. It is FNV-1a 64 followed by the splitmix64 finaliser, so that
 * trace ids that are not random (counters, timestamps) still spread over
 * all 32 bits shown.
 */
#include <string.h>

#include "codec/otlp.h"
#include "codec/pb.h"
#include "pipeline/correlate_int.h"

static const char ol_cid_b36[] = "0123456789abcdefghijklmnopqrstuvwxyz";
static const char ol_cid_hex[] = "0123456789abcdef";

const char *ol_cid_reason(ol_cid_verdict_t v)
{
    switch (v) {
    case OL_CID_OK: return "ok";
    case OL_CID_EMPTY: return "empty";
    case OL_CID_TOO_LONG: return "too_long";
    case OL_CID_BAD_CHAR: return "bad_char";
    case OL_CID_BAD_GENERATED: return "bad_generated";
    case OL_CID_NOT_STRING: return "not_string";
    default: return "unknown";
    }
}

const char *ol_cid_reason_text(ol_cid_verdict_t v)
{
    switch (v) {
    case OL_CID_EMPTY: return "correlation id is empty";
    case OL_CID_TOO_LONG: return "correlation id is longer than 100 bytes";
    case OL_CID_BAD_CHAR: return "correlation id may only hold A-Z a-z 0-9 . _ : - and needs a letter or digit";
    case OL_CID_BAD_GENERATED:
        return "correlation id starts with olly- but is not olly-{base36 seconds}-{8 hex} with a plausible time";
    case OL_CID_NOT_STRING: return "correlation id is not a string";
    default: return "correlation id is malformed";
    }
}

static bool ol_cid_alnum(uint8_t ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static int ol_cid_b36_digit(uint8_t ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 10;
    return -1;
}

bool ol_cid_parse_generated(ol_slice_t id, uint64_t *second, uint32_t *hash)
{
    const size_t pre = sizeof OL_CID_PREFIX - 1;
    if (id.len < pre + 1 + 1 + 8 || id.len > OL_CID_GENERATED_MAX) return false;
    if (memcmp(id.ptr, OL_CID_PREFIX, pre) != 0) return false;
    size_t end = id.len - 9; /* the '-' before the hex */
    if (id.ptr[end] != '-') return false;
    size_t nd = end - pre;
    if (nd < 1 || nd > 13 || (nd > 1 && id.ptr[pre] == '0')) return false;
    uint64_t s = 0;
    for (size_t i = pre; i < end; i++) {
        int d = ol_cid_b36_digit(id.ptr[i]);
        if (d < 0 || s > (UINT64_MAX - (uint64_t)d) / 36) return false;
        s = s * 36 + (uint64_t)d;
    }
    uint32_t h = 0;
    for (size_t i = end + 1; i < id.len; i++) {
        uint8_t ch = id.ptr[i];
        int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
        if (d < 0) return false;
        h = h << 4 | (uint32_t)d;
    }
    if (second) *second = s;
    if (hash) *hash = h;
    return true;
}

ol_cid_verdict_t ol_cid_check(ol_slice_t id, uint64_t now_s)
{
    if (id.len == 0) return OL_CID_EMPTY;
    if (id.len > OL_CORRELATE_MAX_ID) return OL_CID_TOO_LONG;
    bool alnum = false;
    for (size_t i = 0; i < id.len; i++) {
        uint8_t ch = id.ptr[i];
        if (ol_cid_alnum(ch)) alnum = true;
        else if (ch != '.' && ch != '_' && ch != ':' && ch != '-') return OL_CID_BAD_CHAR;
    }
    if (!alnum) return OL_CID_BAD_CHAR;
    if (id.len >= 5 && ol_slice_eq_nocase(ol_slice(id.ptr, 5), OL_SLICE_LIT(OL_CID_PREFIX))) {
        uint64_t s;
        if (!ol_cid_parse_generated(id, &s, NULL)) return OL_CID_BAD_GENERATED;
        if (s < OL_CID_MIN_SECOND || s > now_s + OL_CID_FUTURE_SLACK_S) return OL_CID_BAD_GENERATED;
    }
    return OL_CID_OK;
}

size_t ol_cid_format_generated(char out[OL_CID_GENERATED_MAX + 1], uint64_t second, uint32_t hash)
{
    char digits[14];
    size_t nd = 0;
    do {
        digits[nd++] = ol_cid_b36[second % 36];
        second /= 36;
    } while (second);
    size_t n = 0;
    memcpy(out, OL_CID_PREFIX, sizeof OL_CID_PREFIX - 1);
    n += sizeof OL_CID_PREFIX - 1;
    while (nd) out[n++] = digits[--nd];
    out[n++] = '-';
    for (int i = 7; i >= 0; i--) out[n++] = ol_cid_hex[(hash >> (4 * i)) & 15];
    out[n] = 0;
    return n;
}

uint64_t ol_cid_hash64(const void *data, size_t n)
{
    const uint8_t *p = data;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    return h ^ (h >> 31);
}

size_t ol_cid_for_trace(char out[OL_CID_GENERATED_MAX + 1], const uint8_t trace_id[16], uint64_t start_ns)
{
    return ol_cid_format_generated(out, start_ns / 1000000000ull, ol_cid_hash32(trace_id, 16));
}

bool ol_cid_is_key(ol_slice_t key)
{
    return ol_slice_eq(key, OL_SLICE_LIT("correlation_id")) || ol_slice_eq(key, OL_SLICE_LIT("correlation.id"));
}

bool ol_cid_maybe(ol_slice_t raw)
{
    return raw.len >= 11 && memmem(raw.ptr, raw.len, "correlation", 11) != NULL;
}

int ol_cid_each(ol_slice_t msg, uint32_t field, ol_cid_attr_fn fn, void *ud)
{
    ol_pb_reader_t r;
    ol_pb_reader_init(&r, msg);
    ol_pb_field_value_t f;
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.number != field || f.wire_type != OL_PB_LEN) continue;
        ol_pb_reader_t kr;
        ol_pb_reader_init(&kr, f.bytes);
        ol_pb_field_value_t kf;
        ol_slice_t key = OL_SLICE_NULL, value = OL_SLICE_NULL;
        while (ol_pb_next(&kr, &kf) == OL_OK) {
            if (kf.wire_type != OL_PB_LEN) continue;
            if (kf.number == 1) key = kf.bytes;
            else if (kf.number == 2) value = kf.bytes;
        }
        if (!ol_cid_is_key(key)) continue;
        ol_otlp_any_t v;
        ol_otlp_any_parse(value, &v);
        int rc = fn(ud, key, v.kind, v.kind == 1 ? v.bytes : value);
        if (rc != OL_OK) return rc;
    }
    return OL_OK;
}
