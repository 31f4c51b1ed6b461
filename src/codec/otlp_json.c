/*
 * otlp_json.c - OTLP/JSON -> protobuf, driven by the pb_schema tables (the
 * input half of otlp_json.h; pb_json.c is the output half).
 *
 * A JSON request is parsed once into tokens (json.c, in the request arena)
 * and then walked against the message tables: every member whose key names a
 * field (lowerCamelCase or snake_case) is written with the protobuf writer
 * (pb.h), nested messages through ol_pb_begin()/ol_pb_end(). The resulting
 * bytes are an ordinary Export*ServiceRequest that otlp.c decodes, so JSON
 * and protobuf requests share one validation and decoding path.
 *
 * Conversion rules (OTLP/JSON, plus the leniencies the header documents):
 *   - null means absent; unknown keys are skipped whatever their value;
 *   - every other present value is written, zeros and empty strings included,
 *     because oneof and optional members (AnyValue, asDouble/asInt, min/max)
 *     have explicit presence that the tables do not mark;
 *   - ids (OL_PBT_ID): case-insensitive hex, "" = absent. Input that is not
 *     clean hex still produces a field, of the decodable prefix's length,
 *     grown by one byte if that length happens to be 0, 8 or 16, so that the
 *     decoder rejects the one span (or unlinks the one log) instead of the
 *     whole request failing or the bad id slipping through;
 *   - integers: JSON numbers or decimal strings; exponent forms are accepted
 *     when the value is integral, fractions and out-of-range values are errors;
 *   - enums: numbers, or names matched case-insensitively against the table;
 *   - doubles: numbers, numeric strings, "NaN", "Infinity", "-Infinity";
 *   - bytes: base64, standard or URL-safe alphabet, padding optional;
 *   - repeated numeric fields are written packed, other repeated fields as
 *     one field per element; repeated values must be JSON arrays.
 * A value of the wrong JSON type is OL_CORRUPT with its JSON path in err
 * ("resourceSpans[0].scopeSpans[0].spans[2].kind: expected number"). On any
 * error out_pb is rewound to its length on entry.
 */
#include "codec/otlp_json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "codec/json.h"
#include "codec/pb.h"
#include "core/util.h"

/* One step of the JSON path: a member key, and an array index or -1. */
typedef struct ol_oj_seg {
    ol_slice_t key;
    int64_t idx;
} ol_oj_seg_t;

typedef struct ol_oj {
    const ol_json_doc_t *doc;
    ol_arena_t *a;
    ol_buf_t *out;
    ol_err_t *err;
    ol_oj_seg_t path[OL_PB_MAX_DEPTH + 2];
} ol_oj_t;

/* Sets err to "<path>: <what>" for the first `n` path segments; a path too
 * long for the message keeps its head and tail around "...". */
static int ol_oj_fail(ol_oj_t *c, int n, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int ol_oj_fail(ol_oj_t *c, int n, int rc, const char *fmt, ...)
{
    if (!c->err) return rc;
    char path[(OL_PB_MAX_DEPTH + 2) * 96];
    size_t len = 0;
    for (int i = 0; i < n && len < sizeof path; i++) {
        const ol_oj_seg_t *s = &c->path[i];
        int k = snprintf(path + len, sizeof path - len, "%s%.*s", i ? "." : "", (int)OL_MIN(s->key.len, 64),
                         (const char *)s->key.ptr);
        if (k > 0 && s->idx >= 0 && len + (size_t)k < sizeof path)
            k += snprintf(path + len + k, sizeof path - len - (size_t)k, "[%lld]", (long long)s->idx);
        if (k < 0) break;
        len += (size_t)k;
    }
    if (len >= sizeof path) len = sizeof path - 1;
    path[len] = 0;
    char what[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (n == 0)
        ol_err_set(c->err, "top level: %s", what);
    else if (len <= 150)
        ol_err_set(c->err, "%s: %s", path, what);
    else
        ol_err_set(c->err, "%.50s...%s: %s", path, path + len - 97, what);
    return rc;
}

static int ol_oj_msg(ol_oj_t *c, const ol_pb_msg_t *m, uint32_t ti, int depth);

/* ---- scalars ---- */

/* Exact integer value of JSON-number text (also used for numeric strings).
 * Returns NULL or what is wrong. */
static const char *ol_oj_parse_int(ol_slice_t s, bool *neg, uint64_t *mag)
{
    const uint8_t *p = s.ptr, *end = s.ptr + s.len;
    *neg = false;
    *mag = 0;
    if (p < end && *p == '-') {
        *neg = true;
        p++;
    }
    const uint8_t *ip = p;
    while (p < end && *p >= '0' && *p <= '9') p++;
    const uint8_t *ie = p, *fp = p, *fe = p;
    if (ie == ip) return "expected integer";
    if (p < end && *p == '.') {
        fp = ++p;
        while (p < end && *p >= '0' && *p <= '9') p++;
        fe = p;
        if (fe == fp) return "expected integer";
    }
    int64_t exp = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        bool eneg = false;
        if (p < end && (*p == '+' || *p == '-')) eneg = *p++ == '-';
        if (p == end) return "expected integer";
        while (p < end && *p >= '0' && *p <= '9') {
            if (exp < 100000) exp = exp * 10 + (*p - '0');
            p++;
        }
        if (eneg) exp = -exp;
    }
    if (p != end) return "expected integer";
    /* Digits d1..dn (integer part then fraction) times 10^scale. */
    size_t nint = (size_t)(ie - ip), nfrac = (size_t)(fe - fp), n = nint + nfrac;
    int64_t scale = exp - (int64_t)nfrac;
#define OL_OJ_DIGIT(i) ((i) < nint ? ip[(i)] : fp[(i) - nint])
    size_t first = 0;
    while (first < n && OL_OJ_DIGIT(first) == '0') first++;
    if (first == n) return NULL; /* zero, whatever the exponent */
    while (scale < 0 && n > first && OL_OJ_DIGIT(n - 1) == '0') {
        n--;
        scale++;
    }
    if (scale < 0) return "expected integer, got a fraction";
    if ((int64_t)(n - first) + scale > 20) return "integer out of range";
    uint64_t v = 0;
    for (size_t i = first; i < n; i++) {
        uint64_t d = (uint64_t)(OL_OJ_DIGIT(i) - '0');
        if (v > (UINT64_MAX - d) / 10) return "integer out of range";
        v = v * 10 + d;
    }
#undef OL_OJ_DIGIT
    for (int64_t i = 0; i < scale; i++) {
        if (v > UINT64_MAX / 10) return "integer out of range";
        v *= 10;
    }
    *mag = v;
    return NULL;
}

/* Strict JSON number grammar, for numbers that arrive inside strings. */
static bool ol_oj_is_number(ol_slice_t s)
{
    const uint8_t *p = s.ptr, *end = s.ptr + s.len;
    if (p < end && *p == '-') p++;
    if (p == end || *p < '0' || *p > '9') return false;
    if (*p == '0') p++;
    else
        while (p < end && *p >= '0' && *p <= '9') p++;
    if (p < end && *p == '.') {
        if (++p == end || *p < '0' || *p > '9') return false;
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (p == end || *p < '0' || *p > '9') return false;
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    return p == end;
}

static bool ol_oj_is_64bit(ol_pb_type_t t)
{
    return t == OL_PBT_INT64 || t == OL_PBT_UINT64 || t == OL_PBT_SINT64 || t == OL_PBT_FIXED64 ||
           t == OL_PBT_SFIXED64;
}

static const char *ol_oj_expected(const ol_pb_field_t *fd)
{
    switch (fd->type) {
    case OL_PBT_STRING: return "expected string";
    case OL_PBT_BYTES: return "expected base64 string";
    case OL_PBT_ID: return "expected hex string";
    case OL_PBT_BOOL: return "expected boolean";
    case OL_PBT_MESSAGE: return "expected object";
    default: return ol_oj_is_64bit(fd->type) ? "expected number or decimal string" : "expected number";
    }
}

/* The value of a STRING token, unescaped (arena memory when it had escapes). */
static int ol_oj_str(ol_oj_t *c, const ol_json_tok_t *t, ol_slice_t *s, int n)
{
    int rc = ol_json_unescape(t, c->a, s);
    if (rc == OL_NOMEM) return ol_oj_fail(c, n, OL_NOMEM, "out of memory");
    if (rc != OL_OK) return ol_oj_fail(c, n, OL_CORRUPT, "malformed string");
    return OL_OK;
}

/* Case-insensitive lookup of an enum value name. */
static bool ol_oj_enum_name(const ol_pb_enum_t *e, ol_slice_t name, int32_t *out)
{
    for (size_t i = 0; e && i < e->n_values; i++)
        if (ol_slice_eq_nocase_cstr(name, e->values[i].name)) {
            *out = e->values[i].number;
            return true;
        }
    return false;
}

/* Integer-typed field value -> the raw bits to write (varint or fixed). */
static int ol_oj_integer(ol_oj_t *c, const ol_pb_field_t *fd, const ol_json_tok_t *t, int n, uint64_t *bits)
{
    ol_slice_t text = t->text;
    if (t->kind == OL_JSON_STRING) {
        int rc = ol_oj_str(c, t, &text, n);
        if (rc != OL_OK) return rc;
        if (fd->type == OL_PBT_ENUM && !ol_oj_is_number(text)) {
            int32_t v;
            if (!ol_oj_enum_name(fd->enm, text, &v)) {
                const char *en = fd->enm ? strrchr(fd->enm->name, '.') : NULL;
                return ol_oj_fail(c, n, OL_CORRUPT, "expected number or %s name",
                                  en ? en + 1 : fd->enm ? fd->enm->name : "enum");
            }
            *bits = (uint64_t)(int64_t)v;
            return OL_OK;
        }
        if (!ol_oj_is_number(text)) return ol_oj_fail(c, n, OL_CORRUPT, "%s", ol_oj_expected(fd));
    } else if (t->kind != OL_JSON_NUMBER) {
        return ol_oj_fail(c, n, OL_CORRUPT, "%s", ol_oj_expected(fd));
    }
    bool neg;
    uint64_t mag;
    const char *bad = ol_oj_parse_int(text, &neg, &mag);
    if (bad) return ol_oj_fail(c, n, OL_CORRUPT, "%s", bad);
    if (mag == 0) neg = false;
    uint64_t max;
    switch (fd->type) {
    case OL_PBT_INT32:
    case OL_PBT_SINT32:
    case OL_PBT_ENUM: max = neg ? (uint64_t)1 << 31 : INT32_MAX; break;
    case OL_PBT_UINT32:
    case OL_PBT_FIXED32: max = neg ? 0 : UINT32_MAX; break;
    case OL_PBT_UINT64:
    case OL_PBT_FIXED64: max = neg ? 0 : UINT64_MAX; break;
    default: max = neg ? (uint64_t)1 << 63 : INT64_MAX; break;
    }
    if (mag > max) return ol_oj_fail(c, n, OL_CORRUPT, "integer out of range");
    uint64_t v = neg ? 0 - mag : mag; /* two's complement, sign-extended to 64 bits */
    if (fd->type == OL_PBT_SINT32)
        v = neg ? (uint64_t)(((uint32_t)(mag - 1)) << 1 | 1) : (uint64_t)((uint32_t)mag << 1);
    else if (fd->type == OL_PBT_SINT64)
        v = neg ? (mag - 1) << 1 | 1 : mag << 1;
    else if (fd->type == OL_PBT_FIXED32)
        v = (uint32_t)v;
    *bits = v;
    return OL_OK;
}

static int ol_oj_double(ol_oj_t *c, const ol_pb_field_t *fd, const ol_json_tok_t *t, int n, double *out)
{
    ol_slice_t text = t->text;
    if (t->kind == OL_JSON_STRING) {
        int rc = ol_oj_str(c, t, &text, n);
        if (rc != OL_OK) return rc;
        if (ol_slice_eq_cstr(text, "NaN")) {
            *out = NAN;
            return OL_OK;
        }
        if (ol_slice_eq_cstr(text, "Infinity")) {
            *out = INFINITY;
            return OL_OK;
        }
        if (ol_slice_eq_cstr(text, "-Infinity")) {
            *out = -INFINITY;
            return OL_OK;
        }
        if (!ol_oj_is_number(text)) return ol_oj_fail(c, n, OL_CORRUPT, "expected number");
    } else if (t->kind != OL_JSON_NUMBER) {
        return ol_oj_fail(c, n, OL_CORRUPT, "expected number");
    }
    char small[64], *tmp = small;
    if (text.len >= sizeof small) {
        tmp = ol_arena_alloc(c->a, text.len + 1);
        if (!tmp) return ol_oj_fail(c, n, OL_NOMEM, "out of memory");
    }
    memcpy(tmp, text.ptr, text.len);
    tmp[text.len] = 0;
    double d = strtod(tmp, NULL);
    if (isinf(d) || (fd->type == OL_PBT_FLOAT && isinf((float)d)))
        return ol_oj_fail(c, n, OL_CORRUPT, "number out of range");
    *out = d;
    return OL_OK;
}

static void ol_oj_put_raw(ol_buf_t *b, uint8_t wire, uint64_t bits)
{
    uint8_t tmp[8];
    if (wire == OL_PB_VARINT) {
        ol_pb_put_varint(b, bits);
    } else if (wire == OL_PB_I64) {
        ol_store_le64(tmp, bits);
        ol_buf_append(b, tmp, 8);
    } else {
        ol_store_le32(tmp, (uint32_t)bits);
        ol_buf_append(b, tmp, 4);
    }
}

/* An id: clean hex gives its bytes; anything else a field of a length no id has. */
static int ol_oj_id(ol_oj_t *c, const ol_pb_field_t *fd, ol_slice_t hex)
{
    if (hex.len == 0) return OL_OK;
    size_t n = 0;
    uint8_t tmp;
    while (2 * n + 1 < hex.len && ol_hex_decode(&tmp, 1, (const char *)hex.ptr + 2 * n, 2) == 1) n++;
    bool clean = 2 * n == hex.len;
    size_t len = n + (!clean && (n == 0 || n == 8 || n == 16));
    ol_pb_put_tag(c->out, fd->number, OL_PB_LEN);
    ol_pb_put_varint(c->out, len);
    if (ol_buf_reserve(c->out, len) != OL_OK) return OL_OK; /* sticky error, checked at the end */
    uint8_t *o = c->out->data + c->out->len;
    if (n) ol_hex_decode(o, n, (const char *)hex.ptr, 2 * n);
    if (len > n) o[n] = 0;
    c->out->len += len;
    return OL_OK;
}

/* One value of field fd (an element when fd is repeated). `packed` writes the
 * raw value without a tag, inside a packed run. n = path segments. */
static int ol_oj_value(ol_oj_t *c, const ol_pb_field_t *fd, uint32_t ti, int n, bool packed)
{
    const ol_json_tok_t *t = &c->doc->toks[ti];
    uint8_t wire = ol_pb_type_wire(fd->type);
    uint64_t bits = 0;
    int rc;
    switch (fd->type) {
    case OL_PBT_STRING:
    case OL_PBT_BYTES:
    case OL_PBT_ID: {
        if (t->kind != OL_JSON_STRING) return ol_oj_fail(c, n, OL_CORRUPT, "%s", ol_oj_expected(fd));
        ol_slice_t s;
        if ((rc = ol_oj_str(c, t, &s, n)) != OL_OK) return rc;
        if (fd->type == OL_PBT_ID) return ol_oj_id(c, fd, s);
        if (fd->type == OL_PBT_BYTES) {
            uint8_t *d = ol_arena_alloc(c->a, s.len / 4 * 3 + 3);
            if (!d) return ol_oj_fail(c, n, OL_NOMEM, "out of memory");
            long k = ol_base64_decode(d, s.len / 4 * 3 + 3, (const char *)s.ptr, s.len);
            if (k < 0) return ol_oj_fail(c, n, OL_CORRUPT, "%s", ol_oj_expected(fd));
            s = ol_slice(d, (size_t)k);
        }
        ol_pb_put_bytes(c->out, fd->number, s);
        return OL_OK;
    }
    case OL_PBT_MESSAGE: {
        if (t->kind != OL_JSON_OBJECT) return ol_oj_fail(c, n, OL_CORRUPT, "%s", ol_oj_expected(fd));
        if (n + 1 > OL_PB_MAX_DEPTH)
            return ol_oj_fail(c, n, OL_CORRUPT, "messages nested deeper than %d", OL_PB_MAX_DEPTH);
        size_t mark = ol_pb_begin(c->out, fd->number);
        if ((rc = ol_oj_msg(c, fd->msg, ti, n)) != OL_OK) return rc;
        ol_pb_end(c->out, mark);
        return OL_OK;
    }
    case OL_PBT_BOOL:
        if (t->kind != OL_JSON_TRUE && t->kind != OL_JSON_FALSE)
            return ol_oj_fail(c, n, OL_CORRUPT, "%s", ol_oj_expected(fd));
        bits = t->kind == OL_JSON_TRUE;
        break;
    case OL_PBT_DOUBLE:
    case OL_PBT_FLOAT: {
        double d = 0;
        if ((rc = ol_oj_double(c, fd, t, n, &d)) != OL_OK) return rc;
        if (fd->type == OL_PBT_FLOAT) {
            float f = (float)d;
            uint32_t u;
            memcpy(&u, &f, sizeof u);
            bits = u;
        } else {
            memcpy(&bits, &d, sizeof bits);
        }
        break;
    }
    default:
        if ((rc = ol_oj_integer(c, fd, t, n, &bits)) != OL_OK) return rc;
        break;
    }
    if (!packed) ol_pb_put_tag(c->out, fd->number, wire);
    ol_oj_put_raw(c->out, wire, bits);
    return OL_OK;
}

/* Member `ti` (value token) of a message for field fd; n = segments incl. its key. */
static int ol_oj_field(ol_oj_t *c, const ol_pb_field_t *fd, uint32_t ti, int n)
{
    const ol_json_tok_t *t = &c->doc->toks[ti];
    if (t->kind == OL_JSON_NULL) return OL_OK;
    if (!fd->repeated) return ol_oj_value(c, fd, ti, n, false);
    if (t->kind != OL_JSON_ARRAY) return ol_oj_fail(c, n, OL_CORRUPT, "expected array");
    if (t->size == 0) return OL_OK;
    bool packed = ol_pb_type_wire(fd->type) != OL_PB_LEN;
    size_t mark = packed ? ol_pb_begin(c->out, fd->number) : 0;
    uint32_t ei = ti + 1;
    for (uint32_t i = 0; i < t->size; i++) {
        if (OL_NEVER(ei >= c->doc->n)) return OL_CORRUPT;
        c->path[n - 1].idx = i;
        int rc = ol_oj_value(c, fd, ei, n, packed);
        if (rc != OL_OK) return rc;
        ei = c->doc->toks[ei].next;
    }
    c->path[n - 1].idx = -1;
    if (packed) ol_pb_end(c->out, mark);
    return OL_OK;
}

/* Object token ti as message m; `depth` path segments lead to it. */
static int ol_oj_msg(ol_oj_t *c, const ol_pb_msg_t *m, uint32_t ti, int depth)
{
    const ol_json_tok_t *obj = &c->doc->toks[ti];
    uint32_t ki = ti + 1;
    for (uint32_t i = 0; i < obj->size; i++) {
        if (OL_NEVER(ki + 1 >= c->doc->n)) return OL_CORRUPT;
        uint32_t vi = ki + 1;
        ol_slice_t key;
        int rc = ol_oj_str(c, &c->doc->toks[ki], &key, depth);
        if (rc != OL_OK) return rc;
        const ol_pb_field_t *fd = ol_pb_msg_field_by_json(m, key);
        if (fd) {
            c->path[depth] = (ol_oj_seg_t){key, -1};
            if ((rc = ol_oj_field(c, fd, vi, depth + 1)) != OL_OK) return rc;
        }
        ki = c->doc->toks[vi].next;
    }
    return OL_OK;
}

int ol_otlp_json_to_pb(const ol_pb_msg_t *root, ol_slice_t json, ol_arena_t *a, ol_buf_t *out_pb, ol_err_t *err)
{
    ol_json_doc_t doc;
    size_t start = out_pb->len;
    int rc = ol_json_parse(json, a, &doc, err);
    if (rc != OL_OK) return rc;
    ol_oj_t c = {.doc = &doc, .a = a, .out = out_pb, .err = err};
    if (doc.toks[0].kind != OL_JSON_OBJECT) return ol_oj_fail(&c, 0, OL_CORRUPT, "expected object");
    rc = ol_oj_msg(&c, root, 0, 0);
    if (rc == OL_OK && out_pb->err != OL_OK) {
        rc = out_pb->err;
        if (err) ol_err_set(err, "protobuf output: %s", ol_rc_str(rc));
    }
    if (rc != OL_OK && out_pb->len > start) out_pb->len = start;
    return rc;
}
