/*
 * json.c - the strict RFC 8259 parser and the JSON writer declared in json.h.
 *
 * Parser. A recursive-descent pass over the whole input that appends one
 * token per value (and per object key) to a flat array in the caller's arena.
 * Containers are recorded before their children, and each token's `next` is
 * the index just past its subtree, so consumers skip a value in O(1) and walk
 * children by following `next`. The array is sized once from a cheap
 * pre-scan (an upper bound for well-formed input); tokens are still referred
 * to by index while parsing because malformed input may force a regrowth.
 * Strictness: only the RFC grammar is accepted (no comments, trailing commas,
 * single quotes, leading zeros, NaN literals or control characters in
 * strings), string contents must be valid UTF-8 and escapes well formed; the
 * only leniency is that a leading UTF-8 byte order mark is ignored (RFC 8259
 * section 8.1 allows it). Nesting beyond OL_JSON_MAX_DEPTH is OL_LIMIT. Every
 * error reports the byte offset where the parser stopped and what it expected.
 *
 * Strings keep their raw text; ol_json_unescape() decodes escapes on demand
 * (\uXXXX surrogate pairs are combined, lone surrogates become U+FFFD) and
 * ol_json_object_get() compares keys by decoding on the fly, without memory.
 *
 * Writer. Appends to an ol_buf_t (whose sticky error the caller checks once).
 * Strings are escaped (quote, backslash, control characters) and invalid
 * UTF-8 is replaced by U+FFFD per maximal invalid subpart, so the output is
 * always valid JSON whatever bytes a client stored. Doubles are printed with
 * the fewest significant digits that read back to the same value; NaN and the
 * infinities, which JSON numbers cannot express, are written as the strings
 * "NaN", "Infinity" and "-Infinity" (the proto3 JSON convention).
 */
#include "codec/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- UTF-8 ---- */

/* Length of the valid UTF-8 sequence at p (1..4), or minus the length of the
 * maximal invalid subpart to replace (at least 1). */
static int ol_utf8_seq(const uint8_t *p, const uint8_t *end)
{
    uint8_t c = p[0];
    if (c < 0x80) return 1;
    int need;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F; /* no UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F; /* <= U+10FFFF */
    } else {
        return -1;
    }
    for (int i = 1; i <= need; i++) {
        if (p + i >= end || p[i] < lo || p[i] > hi) return -i;
        lo = 0x80;
        hi = 0xBF;
    }
    return need + 1;
}

static size_t ol_utf8_put(uint8_t *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (uint8_t)(0xC0 | cp >> 6);
        o[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (uint8_t)(0xE0 | cp >> 12);
        o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (uint8_t)(0xF0 | cp >> 18);
    o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

static int ol_json_hexval(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Four hex digits at p (bounded by end) or -1. */
static long ol_json_hex4(const uint8_t *p, const uint8_t *end)
{
    if (end - p < 4) return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int d = ol_json_hexval(p[i]);
        if (d < 0) return -1;
        v = v << 4 | d;
    }
    return v;
}

/* Decodes one unit of raw string text at *pp: a plain byte or a whole escape
 * (a surrogate pair counts as one). Writes 1..4 bytes to out and returns how
 * many, or -1 on a malformed escape. */
static int ol_json_unesc_unit(const uint8_t **pp, const uint8_t *end, uint8_t out[4])
{
    const uint8_t *p = *pp;
    if (*p != '\\') {
        out[0] = *p;
        *pp = p + 1;
        return 1;
    }
    if (end - p < 2) return -1;
    uint8_t c = p[1];
    p += 2;
    switch (c) {
    case '"': out[0] = '"'; break;
    case '\\': out[0] = '\\'; break;
    case '/': out[0] = '/'; break;
    case 'b': out[0] = '\b'; break;
    case 'f': out[0] = '\f'; break;
    case 'n': out[0] = '\n'; break;
    case 'r': out[0] = '\r'; break;
    case 't': out[0] = '\t'; break;
    case 'u': {
        long u = ol_json_hex4(p, end);
        if (u < 0) return -1;
        p += 4;
        uint32_t cp = (uint32_t)u;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            long lo = (end - p >= 6 && p[0] == '\\' && p[1] == 'u') ? ol_json_hex4(p + 2, end) : -1;
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
                p += 6;
            } else {
                cp = 0xFFFD;
            }
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            cp = 0xFFFD;
        }
        *pp = p;
        return (int)ol_utf8_put(out, cp);
    }
    default:
        return -1;
    }
    *pp = p;
    return 1;
}

/* ---- parser ---- */

typedef struct ol_json_parser {
    const uint8_t *start, *p, *end;
    ol_arena_t *a;
    ol_json_tok_t *toks;
    uint32_t n, cap;
    ol_err_t *err;
} ol_json_parser_t;

static int ol_json_fail(ol_json_parser_t *ps, int rc, const char *what)
{
    if (ps->err) ol_err_set(ps->err, "offset %zu: expected %s", (size_t)(ps->p - ps->start), what);
    return rc;
}

/* Appends a token and returns its index through *idx. */
static int ol_json_push(ol_json_parser_t *ps, ol_json_kind_t kind, uint32_t *idx)
{
    if (ps->n == ps->cap) {
        if (ps->cap > UINT32_MAX / 2) return ol_json_fail(ps, OL_LIMIT, "fewer values");
        uint32_t cap = ps->cap * 2;
        ol_json_tok_t *t = ol_arena_alloc(ps->a, (size_t)cap * sizeof *t);
        if (!t) {
            if (ps->err) ol_err_set(ps->err, "offset %zu: out of memory", (size_t)(ps->p - ps->start));
            return OL_NOMEM;
        }
        if (ps->n) memcpy(t, ps->toks, (size_t)ps->n * sizeof *t);
        ps->toks = t;
        ps->cap = cap;
    }
    ol_json_tok_t *t = &ps->toks[ps->n];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->offset = (size_t)(ps->p - ps->start);
    *idx = ps->n++;
    return OL_OK;
}

static void ol_json_ws(ol_json_parser_t *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) ps->p++;
}

static int ol_json_string(ol_json_parser_t *ps)
{
    uint32_t idx;
    int rc = ol_json_push(ps, OL_JSON_STRING, &idx);
    if (rc != OL_OK) return rc;
    const uint8_t *s = ++ps->p; /* past the opening quote */
    bool escaped = false;
    for (;;) {
        while (ps->p < ps->end && *ps->p >= 0x20 && *ps->p < 0x80 && *ps->p != '"' && *ps->p != '\\') ps->p++;
        if (ps->p >= ps->end) return ol_json_fail(ps, OL_CORRUPT, "'\"' to end the string");
        uint8_t c = *ps->p;
        if (c == '"') break;
        if (c < 0x20) return ol_json_fail(ps, OL_CORRUPT, "control character to be escaped");
        if (c == '\\') {
            escaped = true;
            const uint8_t *q = ps->p;
            uint8_t tmp[4];
            if (ps->end - q >= 2 && q[1] == 'u') {
                if (ol_json_hex4(q + 2, ps->end) < 0) {
                    ps->p += 2;
                    return ol_json_fail(ps, OL_CORRUPT, "4 hex digits after \\u");
                }
                ps->p += 6; /* a following low surrogate is checked as its own escape */
            } else if (ol_json_unesc_unit(&q, ps->end, tmp) < 0) {
                ps->p++;
                return ol_json_fail(ps, OL_CORRUPT, "escape character (\" \\ / b f n r t u)");
            } else {
                ps->p = q;
            }
            continue;
        }
        int n = ol_utf8_seq(ps->p, ps->end);
        if (n < 0) return ol_json_fail(ps, OL_CORRUPT, "valid UTF-8");
        ps->p += n;
    }
    ol_json_tok_t *t = &ps->toks[idx];
    t->escaped = escaped;
    t->text = ol_slice(s, (size_t)(ps->p - s));
    t->next = idx + 1;
    ps->p++; /* closing quote */
    return OL_OK;
}

static bool ol_json_isdigit(const ol_json_parser_t *ps) { return ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9'; }

static int ol_json_number(ol_json_parser_t *ps)
{
    uint32_t idx;
    int rc = ol_json_push(ps, OL_JSON_NUMBER, &idx);
    if (rc != OL_OK) return rc;
    const uint8_t *s = ps->p;
    if (*ps->p == '-') ps->p++;
    if (!ol_json_isdigit(ps)) return ol_json_fail(ps, OL_CORRUPT, "digit");
    if (*ps->p == '0') {
        ps->p++;
    } else {
        while (ol_json_isdigit(ps)) ps->p++;
    }
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        if (!ol_json_isdigit(ps)) return ol_json_fail(ps, OL_CORRUPT, "digit after '.'");
        while (ol_json_isdigit(ps)) ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-')) ps->p++;
        if (!ol_json_isdigit(ps)) return ol_json_fail(ps, OL_CORRUPT, "digit in exponent");
        while (ol_json_isdigit(ps)) ps->p++;
    }
    ol_json_tok_t *t = &ps->toks[idx];
    t->text = ol_slice(s, (size_t)(ps->p - s));
    t->next = idx + 1;
    return OL_OK;
}

static int ol_json_literal(ol_json_parser_t *ps, const char *word, ol_json_kind_t kind)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) return ol_json_fail(ps, OL_CORRUPT, "value");
    uint32_t idx;
    int rc = ol_json_push(ps, kind, &idx);
    if (rc != OL_OK) return rc;
    ps->toks[idx].text = ol_slice(ps->p, n);
    ps->toks[idx].next = idx + 1;
    ps->p += n;
    return OL_OK;
}

static int ol_json_value(ol_json_parser_t *ps, int depth);

static int ol_json_container(ol_json_parser_t *ps, int depth, bool object)
{
    if (depth >= OL_JSON_MAX_DEPTH) return ol_json_fail(ps, OL_LIMIT, "nesting depth of at most 128");
    uint32_t idx, size = 0;
    const uint8_t *open = ps->p;
    int rc = ol_json_push(ps, object ? OL_JSON_OBJECT : OL_JSON_ARRAY, &idx);
    if (rc != OL_OK) return rc;
    uint8_t close = object ? '}' : ']';
    ps->p++;
    ol_json_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
    } else {
        for (;;) {
            if (object) {
                ol_json_ws(ps);
                if (ps->p >= ps->end || *ps->p != '"') return ol_json_fail(ps, OL_CORRUPT, "string key");
                if ((rc = ol_json_string(ps)) != OL_OK) return rc;
                ol_json_ws(ps);
                if (ps->p >= ps->end || *ps->p != ':') return ol_json_fail(ps, OL_CORRUPT, "':'");
                ps->p++;
            }
            if ((rc = ol_json_value(ps, depth + 1)) != OL_OK) return rc;
            if (size == UINT32_MAX) return ol_json_fail(ps, OL_LIMIT, "fewer members");
            size++;
            ol_json_ws(ps);
            if (ps->p < ps->end && *ps->p == ',') {
                ps->p++;
                continue;
            }
            if (ps->p < ps->end && *ps->p == close) {
                ps->p++;
                break;
            }
            return ol_json_fail(ps, OL_CORRUPT, object ? "',' or '}'" : "',' or ']'");
        }
    }
    ol_json_tok_t *t = &ps->toks[idx];
    t->size = size;
    t->next = ps->n;
    t->text = ol_slice(open, (size_t)(ps->p - open));
    return OL_OK;
}

static int ol_json_value(ol_json_parser_t *ps, int depth)
{
    ol_json_ws(ps);
    if (ps->p >= ps->end) return ol_json_fail(ps, OL_CORRUPT, "value");
    switch (*ps->p) {
    case '{': return ol_json_container(ps, depth, true);
    case '[': return ol_json_container(ps, depth, false);
    case '"': return ol_json_string(ps);
    case 't': return ol_json_literal(ps, "true", OL_JSON_TRUE);
    case 'f': return ol_json_literal(ps, "false", OL_JSON_FALSE);
    case 'n': return ol_json_literal(ps, "null", OL_JSON_NULL);
    default:
        if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) return ol_json_number(ps);
        return ol_json_fail(ps, OL_CORRUPT, "value");
    }
}

/* Upper bound on the tokens of a well-formed document: the root plus one per
 * ',' ':' '[' '{' outside strings. Sizing the array from it once avoids
 * regrowing (and abandoning copies in the arena); parsing still grows the
 * array if malformed input defeats the estimate. */
static size_t ol_json_count_bound(const uint8_t *p, const uint8_t *end)
{
    size_t n = 1;
    bool in_str = false;
    for (; p < end; p++) {
        uint8_t c = *p;
        if (in_str) {
            if (c == '\\') {
                if (++p == end) break;
            } else if (c == '"') {
                in_str = false;
            }
        } else if (c == '"') {
            in_str = true;
        } else if (c == ',' || c == ':' || c == '[' || c == '{') {
            n++;
        }
    }
    return n;
}

int ol_json_parse(ol_slice_t in, ol_arena_t *a, ol_json_doc_t *doc, ol_err_t *err)
{
    ol_json_parser_t ps = {.start = in.ptr, .p = in.ptr, .end = in.ptr + in.len, .a = a, .err = err};
    doc->toks = NULL;
    doc->n = 0;
    if (!in.ptr) ps.start = ps.p = ps.end = (const uint8_t *)"";
    size_t bound = ol_json_count_bound(ps.p, ps.end);
    ps.cap = bound > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)bound;
    ps.toks = ol_arena_alloc(a, (size_t)ps.cap * sizeof *ps.toks);
    if (!ps.toks && ps.cap > 64) { /* maybe junk: let the parser find the error or grow honestly */
        ps.cap = 64;
        ps.toks = ol_arena_alloc(a, (size_t)ps.cap * sizeof *ps.toks);
    }
    if (!ps.toks) {
        if (err) ol_err_set(err, "offset 0: out of memory");
        return OL_NOMEM;
    }
    if (ps.end - ps.p >= 3 && ps.p[0] == 0xEF && ps.p[1] == 0xBB && ps.p[2] == 0xBF) ps.p += 3;
    int rc = ol_json_value(&ps, 0);
    if (rc != OL_OK) return rc;
    ol_json_ws(&ps);
    if (ps.p != ps.end) return ol_json_fail(&ps, OL_CORRUPT, "end of input");
    doc->toks = ps.toks;
    doc->n = ps.n;
    return OL_OK;
}

int ol_json_unescape(const ol_json_tok_t *t, ol_arena_t *a, ol_slice_t *out)
{
    if (t->kind != OL_JSON_STRING) return OL_CORRUPT;
    if (!t->escaped) {
        *out = t->text;
        return OL_OK;
    }
    /* Every escape is at least as long as its UTF-8 output, so len bytes suffice. */
    uint8_t *o = ol_arena_alloc(a, t->text.len ? t->text.len : 1);
    if (!o) return OL_NOMEM;
    const uint8_t *p = t->text.ptr, *end = t->text.ptr + t->text.len;
    size_t n = 0;
    while (p < end) {
        uint8_t tmp[4];
        int k = ol_json_unesc_unit(&p, end, tmp);
        if (k < 0 || (size_t)k > t->text.len - n) return OL_CORRUPT;
        memcpy(o + n, tmp, (size_t)k);
        n += (size_t)k;
    }
    *out = ol_slice(o, n);
    return OL_OK;
}

/* Compares a STRING token's decoded value with key, without allocating. */
static bool ol_json_str_eq(const ol_json_tok_t *t, ol_slice_t key)
{
    if (!t->escaped) return ol_slice_eq(t->text, key);
    const uint8_t *p = t->text.ptr, *end = t->text.ptr + t->text.len;
    size_t i = 0;
    while (p < end) {
        uint8_t tmp[4];
        int k = ol_json_unesc_unit(&p, end, tmp);
        if (k < 0 || (size_t)k > key.len - i || memcmp(key.ptr + i, tmp, (size_t)k) != 0) return false;
        i += (size_t)k;
    }
    return i == key.len;
}

uint32_t ol_json_object_get(const ol_json_doc_t *d, uint32_t obj, const char *key)
{
    if (obj >= d->n || d->toks[obj].kind != OL_JSON_OBJECT) return 0;
    ol_slice_t k = ol_slice_cstr(key);
    uint32_t i = obj + 1;
    for (uint32_t m = 0; m < d->toks[obj].size; m++) {
        if (i + 1 >= d->n) return 0;
        if (d->toks[i].kind == OL_JSON_STRING && ol_json_str_eq(&d->toks[i], k)) return i + 1;
        i = d->toks[i + 1].next;
        if (i <= obj) return 0;
    }
    return 0;
}

/* ---- writer ---- */

void ol_json_write_string(ol_buf_t *b, ol_slice_t s)
{
    if (s.len == 0) {
        ol_buf_append(b, "\"\"", 2);
        return;
    }
    const uint8_t *p = s.ptr, *end = s.ptr + s.len, *run = p;
    ol_buf_reserve(b, s.len + 2);
    ol_buf_append_u8(b, '"');
    while (p < end) {
        uint8_t c = *p;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            p++;
            continue;
        }
        int n = c < 0x80 ? 1 : ol_utf8_seq(p, end);
        if (c >= 0x80 && n > 0) {
            p += n;
            continue;
        }
        ol_buf_append(b, run, (size_t)(p - run));
        if (c >= 0x80) {
            ol_buf_append(b, "\xEF\xBF\xBD", 3);
            p += -n;
        } else {
            ol_json_write_escape(b, c);
            p++;
        }
        run = p;
    }
    ol_buf_append(b, run, (size_t)(p - run));
    ol_buf_append_u8(b, '"');
}

void ol_json_write_escape(ol_buf_t *b, uint8_t c)
{
    static const char hex[] = "0123456789abcdef";
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
    }
    ol_buf_append(b, esc, en);
}

void ol_json_write_cstr(ol_buf_t *b, const char *s) { ol_json_write_string(b, ol_slice_cstr(s)); }

void ol_json_write_u64_str(ol_buf_t *b, uint64_t v) { ol_buf_printf(b, "\"%" PRIu64 "\"", v); }

void ol_json_write_i64_str(ol_buf_t *b, int64_t v) { ol_buf_printf(b, "\"%" PRId64 "\"", v); }

void ol_json_write_double(ol_buf_t *b, double v)
{
    if (isnan(v)) {
        ol_buf_append_cstr(b, "\"NaN\"");
        return;
    }
    if (isinf(v)) {
        ol_buf_append_cstr(b, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        return;
    }
    if (v == 0) {
        ol_buf_append_cstr(b, signbit(v) ? "-0" : "0");
        return;
    }
    /* Fewest significant digits that read back exactly, as d.ddde[+-]x. */
    char sci[40];
    int n = 0;
    for (int prec = 0; prec <= 16; prec++) {
        n = snprintf(sci, sizeof sci, "%.*e", prec, v);
        if (strtod(sci, NULL) == v) break;
    }
    if (n <= 0 || (size_t)n >= sizeof sci) return;
    char digits[20];
    int nd = 0, exp10 = 0;
    const char *p = sci + (sci[0] == '-');
    for (; *p && *p != 'e' && *p != 'E'; p++)
        if (*p >= '0' && *p <= '9' && nd < (int)sizeof digits) digits[nd++] = *p; /* skips a locale's decimal mark */
    if (*p) exp10 = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    /* Then laid out like ECMAScript Number#toString: plain notation for 1e-7 < |v| < 1e21. */
    char out[64];
    int o = 0, pt = exp10 + 1; /* position of the decimal point relative to the digits */
    if (v < 0) out[o++] = '-';
    if (nd <= pt && pt <= 21) {
        memcpy(out + o, digits, (size_t)nd);
        o += nd;
        for (int i = nd; i < pt; i++) out[o++] = '0';
    } else if (0 < pt && pt <= 21) {
        memcpy(out + o, digits, (size_t)pt);
        o += pt;
        out[o++] = '.';
        memcpy(out + o, digits + pt, (size_t)(nd - pt));
        o += nd - pt;
    } else if (-6 < pt && pt <= 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (int i = pt; i < 0; i++) out[o++] = '0';
        memcpy(out + o, digits, (size_t)nd);
        o += nd;
    } else {
        out[o++] = digits[0];
        if (nd > 1) {
            out[o++] = '.';
            memcpy(out + o, digits + 1, (size_t)(nd - 1));
            o += nd - 1;
        }
        o += snprintf(out + o, sizeof out - (size_t)o, "e%c%d", pt - 1 < 0 ? '-' : '+', abs(pt - 1));
    }
    ol_buf_append(b, out, (size_t)o);
}
