/*
 * func_str.c - strings, LIKE, maps, arrays and IN for Olly's SQL (see
 * func.c for the registry and the conventions).
 *
 * Strings are bytes, as in ClickHouse: length, position and substring count
 * bytes; lower/upper change ASCII letters only. Results that are pieces of
 * their input (substring, trim, a map's value, lower of a string without
 * capitals) are slices into it; new text is written into one arena block per
 * batch, never one allocation per row.
 *
 * LIKE: % and _ wildcards, a backslash escapes %, _ and itself (any other
 * backslash is literal; one at the end of the pattern is an error).
 * ClickHouse runs a LIKE through re2 over UTF-8, and this shows at the edges,
 * which are kept: _ matches one valid UTF-8 character, a % between literal
 * parts only spans valid UTF-8, while a leading or trailing % spans any
 * bytes (re2 searches unanchored there). ILIKE folds case by Unicode's
 * simple case folding (re2's (?i)) for Latin, Greek, Cyrillic, Armenian and
 * a few symbol blocks (the table in fold_cp; rarer scripts compare exactly).
 * Constant patterns are classified once per batch: equality, prefix,
 * suffix and substring patterns run as memcmp/memmem.
 *
 * IN converts its constant list to the left side's type once per batch (as
 * ClickHouse converts the set): values that the type cannot hold drop out,
 * strings are parsed as the left's type (an unparsable one is an error),
 * numbers against a String left are compared as their text.
 */
#include <math.h>
#include <stdlib.h>

#include "core/util.h"
#include "sql/func_int.h"

/* ---- UTF-8 and case ---- */

/* Length of the valid UTF-8 character at p (as re2 reads it), 0 if invalid. */
static size_t utf8_len(const uint8_t *p, size_t n)
{
    if (!n) return 0;
    uint8_t c = p[0];
    if (c < 0x80) return 1;
    if (c < 0xC2) return 0;
    if (c < 0xE0) return n >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c < 0xF0) {
        if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
        return c == 0xE0 && p[1] < 0xA0 ? 0 : 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) return 0;
        if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90)) return 0;
        return 4;
    }
    return 0;
}

static uint32_t utf8_cp(const uint8_t *p, size_t len)
{
    switch (len) {
    case 1: return p[0];
    case 2: return (uint32_t)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
    case 3: return (uint32_t)(p[0] & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
    default: return (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3F) << 12 | (uint32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
    }
}

static bool in_pairs(uint32_t c, uint32_t lo, uint32_t hi) { return c >= lo && c <= hi; }

/* A representative of c's simple case-folding class (re2's (?i)). */
static uint32_t fold_cp(uint32_t c)
{
    if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    if (c < 0x100) {
        if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
        if (c == 0xB5) return 0x3BC; /* micro sign -> mu */
        return c;
    }
    if (c < 0x180) {
        if (c == 0x178) return 0xFF;
        if (c == 0x17F) return 's';
        if (in_pairs(c, 0x100, 0x12F) || in_pairs(c, 0x132, 0x137) || in_pairs(c, 0x14A, 0x177)) return c | 1;
        if (in_pairs(c, 0x139, 0x148) || in_pairs(c, 0x179, 0x17E)) return (c & 1) ? c + 1 : c;
        return c;
    }
    if (c < 0x250) {
        if (in_pairs(c, 0x1C4, 0x1C6)) return 0x1C6;
        if (in_pairs(c, 0x1C7, 0x1C9)) return 0x1C9;
        if (in_pairs(c, 0x1CA, 0x1CC)) return 0x1CC;
        if (in_pairs(c, 0x1F1, 0x1F3)) return 0x1F3;
        if (in_pairs(c, 0x1CD, 0x1DC)) return (c & 1) ? c + 1 : c;
        if (in_pairs(c, 0x1DE, 0x1EF) || in_pairs(c, 0x1F4, 0x1F5) || in_pairs(c, 0x1F8, 0x21F) || in_pairs(c, 0x222, 0x233))
            return c | 1;
        return c;
    }
    if (c >= 0x370 && c < 0x400) {
        if (in_pairs(c, 0x391, 0x3A9) && c != 0x3A2) return c + 32;
        switch (c) {
        case 0x3C2: return 0x3C3;
        case 0x386: return 0x3AC;
        case 0x388: case 0x389: case 0x38A: return c + 37;
        case 0x38C: return 0x3CC;
        case 0x38E: case 0x38F: return c + 63;
        case 0x3D0: return 0x3B2;
        case 0x3D1: return 0x3B8;
        case 0x3D5: return 0x3C6;
        case 0x3D6: return 0x3C0;
        case 0x3F0: return 0x3BA;
        case 0x3F1: return 0x3C1;
        case 0x3F5: return 0x3B5;
        default: break;
        }
        if (in_pairs(c, 0x3D8, 0x3EF)) return c | 1;
        return c;
    }
    if (c >= 0x400 && c < 0x530) {
        if (in_pairs(c, 0x410, 0x42F)) return c + 32;
        if (in_pairs(c, 0x400, 0x40F)) return c + 80;
        if (in_pairs(c, 0x460, 0x481) || in_pairs(c, 0x48A, 0x4BF) || in_pairs(c, 0x4D0, 0x52F)) return c | 1;
        if (in_pairs(c, 0x4C1, 0x4CE)) return (c & 1) ? c + 1 : c;
        if (c == 0x4C0) return 0x4CF;
        return c;
    }
    if (in_pairs(c, 0x531, 0x556)) return c + 48;
    if (in_pairs(c, 0x1E00, 0x1E95) || in_pairs(c, 0x1EA0, 0x1EFF)) return c | 1;
    if (c == 0x1E9E) return 0xDF;
    if (c == 0x1E9B) return 0x1E61;
    if (c == 0x212A) return 'k';
    if (c == 0x212B) return 0xE5;
    if (c == 0x2126) return 0x3C9;
    if (in_pairs(c, 0x2160, 0x216F)) return c + 16;
    if (in_pairs(c, 0x24B6, 0x24CF)) return c + 26;
    if (in_pairs(c, 0xFF21, 0xFF3A)) return c + 32;
    if (in_pairs(c, 0x10400, 0x10427)) return c + 40;
    return c;
}

static inline uint8_t lc(uint8_t c) { return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c; }

/* memmem, faster on the short haystacks of telemetry attributes: glibc's
 * two-way search pays a setup per call that a first-byte scan does not. */
static inline const uint8_t *find(const uint8_t *h, size_t hn, const uint8_t *nd, size_t nn)
{
    if (nn == 0) return h;
    if (nn > hn) return NULL;
    if (hn > 256) return memmem(h, hn, nd, nn);
    const uint8_t *p = h, *last = h + (hn - nn);
    while (p <= last) {
        p = memchr(p, nd[0], (size_t)(last - p) + 1);
        if (!p) return NULL;
        if (memcmp(p + 1, nd + 1, nn - 1) == 0) return p;
        p++;
    }
    return NULL;
}

/* ---- common checks ---- */

static bool is_str(ol_sql_type_t t) { return t == OL_SQL_STRING; }
static bool has_len(ol_sql_type_t t) { return t == OL_SQL_STRING || t == OL_SQL_MAP || ol_sql_type_is_array(t); }

/* ---- lower, upper ---- */

static int case_type(const char *fn, OL_SQL_TYPE_ARGS)
{
    if (!is_str(args[0])) return ol_sql_arg_err(err, fn, 1, args[0], "String");
    *out = OL_SQL_STRING;
    return OL_OK;
}

static int lower_type(OL_SQL_TYPE_ARGS) { return case_type("lower", args, consts, n, out, err); }
static int upper_type(OL_SQL_TYPE_ARGS) { return case_type("upper", args, consts, n, out, err); }

static int case_exec(bool up, OL_SQL_EXEC_ARGS)
{
    const ol_sql_vec_t *v = &args[0];
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    uint8_t lo = up ? 'a' : 'A', hi = up ? 'z' : 'Z';
    size_t need = 0;
    for (uint32_t r = 0; r < rows; r++) {
        ol_slice_t s = v->s[ol_sql_row(v, r)];
        size_t i = 0;
        while (i < s.len && !(s.ptr[i] >= lo && s.ptr[i] <= hi)) i++;
        if (i < s.len) need += s.len;
        out->s[r] = s; /* unchanged unless a letter to convert is found */
        out->s[r].len = i < s.len ? SIZE_MAX : s.len;
    }
    uint8_t *buf = need ? ol_arena_alloc(cx->arena, need) : NULL;
    if (need && !buf) return OL_NOMEM;
    for (uint32_t r = 0; r < rows; r++) {
        if (out->s[r].len != SIZE_MAX) continue;
        ol_slice_t s = v->s[ol_sql_row(v, r)];
        for (size_t i = 0; i < s.len; i++) {
            uint8_t c = s.ptr[i];
            buf[i] = (c >= lo && c <= hi) ? (uint8_t)(c ^ 0x20) : c;
        }
        out->s[r] = ol_slice(buf, s.len);
        buf += s.len;
    }
    return OL_OK;
}

static int lower_exec(OL_SQL_EXEC_ARGS) { return case_exec(false, cx, args, n, rows, out); }
static int upper_exec(OL_SQL_EXEC_ARGS) { return case_exec(true, cx, args, n, rows, out); }

/* ---- concat ---- */

static int concat_type(OL_SQL_TYPE_ARGS)
{
    *out = OL_SQL_STRING;
    return OL_OK;
}

static int concat_exec(OL_SQL_EXEC_ARGS)
{
    ol_sql_vec_t sv[64];
    if (n > OL_ARRAY_LEN(sv)) return OL_ERR;
    int rc;
    for (size_t k = 0; k < n; k++)
        if ((rc = ol_sql_to_string_vec(cx, &args[k], rows, &sv[k])) != OL_OK) return rc;
    if ((rc = ol_sql_out(cx, out, rows)) != OL_OK) return rc;
    if (n == 1) {
        for (uint32_t r = 0; r < rows; r++) out->s[r] = sv[0].s[ol_sql_row(&sv[0], r)];
        return OL_OK;
    }
    size_t total = 0;
    for (size_t k = 0; k < n; k++)
        for (uint32_t r = 0; r < rows; r++) total += sv[k].s[ol_sql_row(&sv[k], r)].len;
    uint8_t *buf = total ? ol_arena_alloc(cx->arena, total) : NULL;
    if (total && !buf) return OL_NOMEM;
    for (uint32_t r = 0; r < rows; r++) {
        uint8_t *start = buf;
        for (size_t k = 0; k < n; k++) {
            ol_slice_t s = sv[k].s[ol_sql_row(&sv[k], r)];
            if (s.len) memcpy(buf, s.ptr, s.len);
            buf += s.len;
        }
        out->s[r] = ol_slice(start, (size_t)(buf - start));
    }
    return OL_OK;
}

/* ---- length, empty ---- */

static int length_type(OL_SQL_TYPE_ARGS)
{
    if (!has_len(args[0])) return ol_sql_arg_err(err, "length", 1, args[0], "a String, an Array or a Map");
    *out = OL_SQL_UINT64;
    return OL_OK;
}

static inline uint64_t len_of(const ol_sql_vec_t *v, uint32_t r)
{
    uint32_t k = ol_sql_row(v, r);
    return v->type == OL_SQL_STRING ? v->s[k].len : v->off[k + 1] - v->off[k];
}

static int length_exec(OL_SQL_EXEC_ARGS)
{
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    for (uint32_t r = 0; r < rows; r++) out->i[r] = (int64_t)len_of(&args[0], r);
    return OL_OK;
}

static int empty_type(OL_SQL_TYPE_ARGS)
{
    if (!has_len(args[0])) return ol_sql_arg_err(err, "empty", 1, args[0], "a String, an Array or a Map");
    *out = OL_SQL_UINT8;
    return OL_OK;
}

static int empty_exec(bool want_empty, OL_SQL_EXEC_ARGS)
{
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    for (uint32_t r = 0; r < rows; r++) out->i[r] = (len_of(&args[0], r) == 0) == want_empty;
    return OL_OK;
}

static int isempty_exec(OL_SQL_EXEC_ARGS) { return empty_exec(true, cx, args, n, rows, out); }
static int notempty_exec(OL_SQL_EXEC_ARGS) { return empty_exec(false, cx, args, n, rows, out); }

/* ---- startsWith, endsWith, position ---- */

static int two_str_type(const char *fn, OL_SQL_TYPE_ARGS)
{
    for (size_t i = 0; i < 2; i++)
        if (!is_str(args[i])) return ol_sql_arg_err(err, fn, i + 1, args[i], "String");
    *out = OL_SQL_UINT8;
    return OL_OK;
}

static int startswith_type(OL_SQL_TYPE_ARGS) { return two_str_type("startsWith", args, consts, n, out, err); }
static int endswith_type(OL_SQL_TYPE_ARGS) { return two_str_type("endsWith", args, consts, n, out, err); }

static int ends_exec(bool at_end, OL_SQL_EXEC_ARGS)
{
    const ol_sql_vec_t *h = &args[0], *x = &args[1];
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    for (uint32_t r = 0; r < rows; r++) {
        ol_slice_t s = h->s[ol_sql_row(h, r)], p = x->s[ol_sql_row(x, r)];
        out->i[r] = p.len <= s.len && (p.len == 0 || memcmp(at_end ? s.ptr + s.len - p.len : s.ptr, p.ptr, p.len) == 0);
    }
    return OL_OK;
}

static int startswith_exec(OL_SQL_EXEC_ARGS) { return ends_exec(false, cx, args, n, rows, out); }
static int endswith_exec(OL_SQL_EXEC_ARGS) { return ends_exec(true, cx, args, n, rows, out); }

static int position_type(OL_SQL_TYPE_ARGS)
{
    for (size_t i = 0; i < 2; i++)
        if (!is_str(args[i])) return ol_sql_arg_err(err, "position", i + 1, args[i], "String");
    if (n > 2 && (!ol_sql_type_is_int(args[2]) || ol_sql_type_is_signed(args[2])))
        return ol_sql_arg_err(err, "position", 3, args[2], "an unsigned integer (the start position)");
    *out = OL_SQL_UINT64;
    return OL_OK;
}

static int position_exec(OL_SQL_EXEC_ARGS)
{
    const ol_sql_vec_t *h = &args[0], *x = &args[1], *st = n > 2 ? &args[2] : NULL;
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    for (uint32_t r = 0; r < rows; r++) {
        ol_slice_t s = h->s[ol_sql_row(h, r)], p = x->s[ol_sql_row(x, r)];
        uint64_t start = st ? (uint64_t)st->i[ol_sql_row(st, r)] : 1;
        if (start == 0) start = 1;
        if (start > (uint64_t)s.len + 1) {
            out->i[r] = 0;
            continue;
        }
        if (p.len == 0) {
            out->i[r] = (int64_t)start;
            continue;
        }
        const uint8_t *f = find(s.ptr + start - 1, s.len - (start - 1), p.ptr, p.len);
        out->i[r] = f ? (int64_t)(f - s.ptr) + 1 : 0;
    }
    return OL_OK;
}

/* ---- substring ---- */

static int substring_type(OL_SQL_TYPE_ARGS)
{
    if (!is_str(args[0])) return ol_sql_arg_err(err, "substring", 1, args[0], "String");
    for (size_t i = 1; i < n; i++)
        if (!ol_sql_type_is_int(args[i])) return ol_sql_arg_err(err, "substring", i + 1, args[i], "an integer");
    *out = OL_SQL_STRING;
    return OL_OK;
}

/* An integer argument as Int64 (ClickHouse reads UInt64 offsets so too: 2^64-1 is -1). */
static inline int64_t int_arg(const ol_sql_vec_t *v, uint32_t r) { return v->i[ol_sql_row(v, r)]; }

static int substring_exec(OL_SQL_EXEC_ARGS)
{
    const ol_sql_vec_t *v = &args[0], *of = &args[1], *ln = n > 2 ? &args[2] : NULL;
    if (!v->is_const && of->is_const && of->i[0] == 0 && (!ln || ln->is_const)) {
        ol_err_set(cx->err, "substring: indices in strings are 1-based");
        return OL_ERR;
    }
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    for (uint32_t r = 0; r < rows; r++) {
        ol_slice_t s = v->s[ol_sql_row(v, r)];
        __int128 len = (__int128)s.len, off = int_arg(of, r), start, end = len;
        if (off == 0) {
            out->s[r] = ol_slice(s.ptr, 0);
            continue;
        }
        start = off > 0 ? off - 1 : len + off;
        if (ln) {
            __int128 l = int_arg(ln, r);
            end = l >= 0 ? start + l : len + l;
        }
        if (start < 0) start = 0;
        if (end > len) end = len;
        out->s[r] = end > start ? ol_slice(s.ptr + start, (size_t)(end - start)) : ol_slice(s.ptr, 0);
    }
    return OL_OK;
}

/* ---- replaceAll ---- */

static int replace_type(OL_SQL_TYPE_ARGS)
{
    for (size_t i = 0; i < 3; i++)
        if (!is_str(args[i])) return ol_sql_arg_err(err, "replaceAll", i + 1, args[i], "String");
    *out = OL_SQL_STRING;
    return OL_OK;
}

static size_t count_occ(ol_slice_t s, ol_slice_t p)
{
    size_t c = 0, i = 0;
    if (!p.len) return 0;
    while (i + p.len <= s.len) {
        const uint8_t *f = find(s.ptr + i, s.len - i, p.ptr, p.len);
        if (!f) break;
        c++;
        i = (size_t)(f - s.ptr) + p.len;
    }
    return c;
}

static int replace_exec(OL_SQL_EXEC_ARGS)
{
    const ol_sql_vec_t *v = &args[0], *fv = &args[1], *tv = &args[2];
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    size_t total = 0;
    for (uint32_t r = 0; r < rows; r++) {
        ol_slice_t s = v->s[ol_sql_row(v, r)], f = fv->s[ol_sql_row(fv, r)], t = tv->s[ol_sql_row(tv, r)];
        size_t c = count_occ(s, f);
        if (c) total += s.len - c * f.len + c * t.len;
    }
    uint8_t *buf = total ? ol_arena_alloc(cx->arena, total) : NULL;
    if (total && !buf) return OL_NOMEM;
    for (uint32_t r = 0; r < rows; r++) {
        ol_slice_t s = v->s[ol_sql_row(v, r)], f = fv->s[ol_sql_row(fv, r)], t = tv->s[ol_sql_row(tv, r)];
        if (!f.len || !find(s.ptr, s.len, f.ptr, f.len)) {
            out->s[r] = s;
            continue;
        }
        uint8_t *start = buf;
        size_t i = 0;
        for (;;) {
            const uint8_t *m = i + f.len <= s.len ? find(s.ptr + i, s.len - i, f.ptr, f.len) : NULL;
            size_t upto = m ? (size_t)(m - s.ptr) : s.len;
            memcpy(buf, s.ptr + i, upto - i);
            buf += upto - i;
            if (!m) break;
            if (t.len) memcpy(buf, t.ptr, t.len);
            buf += t.len;
            i = upto + f.len;
        }
        out->s[r] = ol_slice(start, (size_t)(buf - start));
    }
    return OL_OK;
}

/* ---- trim ---- */

static int trim_type(OL_SQL_TYPE_ARGS)
{
    if (!is_str(args[0])) return ol_sql_arg_err(err, "trim", 1, args[0], "String");
    *out = OL_SQL_STRING;
    return OL_OK;
}

static int trim_exec(bool left, bool right, OL_SQL_EXEC_ARGS)
{
    const ol_sql_vec_t *v = &args[0];
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    for (uint32_t r = 0; r < rows; r++) {
        ol_slice_t s = v->s[ol_sql_row(v, r)];
        if (left)
            while (s.len && s.ptr[0] == ' ') s.ptr++, s.len--;
        if (right)
            while (s.len && s.ptr[s.len - 1] == ' ') s.len--;
        out->s[r] = s;
    }
    return OL_OK;
}

static int trimboth_exec(OL_SQL_EXEC_ARGS) { return trim_exec(true, true, cx, args, n, rows, out); }
static int trimleft_exec(OL_SQL_EXEC_ARGS) { return trim_exec(true, false, cx, args, n, rows, out); }
static int trimright_exec(OL_SQL_EXEC_ARGS) { return trim_exec(false, true, cx, args, n, rows, out); }

/* ---- LIKE ---- */

enum { LK_ALL, LK_EQ, LK_PREFIX, LK_SUFFIX, LK_SUBSTR, LK_GENERAL };

typedef struct like_pat {
    const uint8_t *p; /* the pattern, escapes resolved */
    const uint8_t *w; /* w[i]: p[i] is a wildcard */
    size_t n;
    int mode;
    ol_slice_t lit;   /* the literal part of the fast modes (lower case for ILIKE) */
    bool ci;
} like_pat_t;

/* Resolves escapes into p/w (room for pat.len bytes each) and picks a mode. */
static int like_compile(const char *fn, ol_slice_t pat, bool ci, uint8_t *p, uint8_t *w, like_pat_t *o, ol_err_t *err)
{
    size_t n = 0, n_pct = 0, n_any1 = 0;
    for (size_t i = 0; i < pat.len; i++) {
        uint8_t c = pat.ptr[i];
        if (c == '\\') {
            if (i + 1 == pat.len) {
                ol_err_set(err, "%s: invalid escape sequence at the end of LIKE pattern '%.*s'", fn,
                           (int)OL_MIN(pat.len, 80), (const char *)pat.ptr);
                return OL_ERR;
            }
            uint8_t d = pat.ptr[i + 1];
            if (d == '%' || d == '_' || d == '\\') {
                p[n] = d;
                w[n++] = 0;
                i++;
                continue;
            }
            p[n] = c;
            w[n++] = 0;
            continue;
        }
        if (c == '%') {
            if (n && w[n - 1] && p[n - 1] == '%') continue;
            n_pct++;
        } else if (c == '_')
            n_any1++;
        p[n] = c;
        w[n++] = c == '%' || c == '_';
    }
    o->p = p;
    o->w = w;
    o->n = n;
    o->ci = ci;
    o->mode = LK_GENERAL;
    if (n_any1 == 0) {
        bool lead = n && w[0], trail = n > 1 && w[n - 1];
        if (n_pct == 0) o->mode = LK_EQ;
        else if (n == 1) o->mode = LK_ALL;
        else if (n_pct == 1 && lead) o->mode = LK_SUFFIX;
        else if (n_pct == 1 && trail) o->mode = LK_PREFIX;
        else if (n_pct == 2 && lead && trail) o->mode = LK_SUBSTR;
        size_t a = lead && o->mode != LK_EQ ? 1 : 0, b = trail && o->mode != LK_EQ ? n - 1 : n;
        o->lit = ol_slice(p + a, b > a ? b - a : 0);
    }
    if (ci && o->mode != LK_GENERAL && o->mode != LK_ALL) {
        /* ASCII folding is exact unless a non-ASCII letter could fold to the
         * literal: only K (Kelvin) -> k and long s -> s do, and not in
         * ClickHouse's substring search (%lit%), which folds ASCII only. */
        for (size_t i = 0; i < o->lit.len; i++) {
            uint8_t c = lc(o->lit.ptr[i]);
            if (c >= 0x80 || ((c == 'k' || c == 's') && o->mode != LK_SUBSTR)) {
                o->mode = LK_GENERAL;
                break;
            }
            p[(size_t)(o->lit.ptr - p) + i] = c;
        }
    }
    return OL_OK;
}

static bool eq_ci(const uint8_t *a, const uint8_t *lit, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lc(a[i]) != lit[i]) return false;
    return true;
}

static bool find_ci(ol_slice_t s, ol_slice_t lit)
{
    if (!lit.len) return true;
    uint8_t c0 = lit.ptr[0], c1 = (c0 >= 'a' && c0 <= 'z') ? (uint8_t)(c0 - 32) : c0;
    for (size_t i = 0; i + lit.len <= s.len; i++)
        if ((s.ptr[i] == c0 || s.ptr[i] == c1) && eq_ci(s.ptr + i + 1, lit.ptr + 1, lit.len - 1)) return true;
    return false;
}

/* One literal character of the pattern against the text; lengths consumed. */
static inline bool lit_step(const like_pat_t *lp, size_t pi, const uint8_t *s, size_t sn, size_t *pl, size_t *sl)
{
    if (!sn) return false;
    if (!lp->ci || (lp->p[pi] < 0x80 && s[0] < 0x80)) {
        *pl = *sl = 1;
        return lp->ci ? lc(lp->p[pi]) == lc(s[0]) : lp->p[pi] == s[0];
    }
    size_t a = utf8_len(lp->p + pi, lp->n - pi), b = utf8_len(s, sn);
    for (size_t k = 1; a && k < a; k++)
        if (lp->w[pi + k]) a = 0; /* a wildcard inside: not one character */
    if (a && b) {
        *pl = a;
        *sl = b;
        return fold_cp(utf8_cp(lp->p + pi, a)) == fold_cp(utf8_cp(s, b));
    }
    *pl = *sl = 1;
    return lp->p[pi] == s[0];
}

/* Wildcard matching with one backtracking point (the last %), as glob
 * matchers do; a % between literals (and _) only consume valid UTF-8,
 * a leading % anything (see the file comment). */
static bool like_general(const like_pat_t *lp, const uint8_t *s, size_t sn)
{
    const uint8_t *p = lp->p, *w = lp->w;
    size_t pn = lp->n, pi = 0, si = 0;
    const size_t none = SIZE_MAX;
    size_t star_p = none, star_s = 0, free_p = none, free_s = 0;
    bool star_free = false;
    if (pn && w[0] && p[0] == '%') {
        pi = 1;
        if (pi == pn) return true;
        star_p = free_p = pi;
        star_s = free_s = 0;
        star_free = true;
    }
    while (si < sn) {
        if (pi < pn && w[pi] && p[pi] == '%') {
            pi++;
            if (pi == pn) return true;
            star_p = pi;
            star_s = si;
            star_free = false;
            continue;
        }
        if (pi < pn) {
            if (w[pi]) { /* _ */
                size_t l = utf8_len(s + si, sn - si);
                if (l) {
                    pi++;
                    si += l;
                    continue;
                }
            } else {
                size_t pl, sl;
                if (lit_step(lp, pi, s + si, sn - si, &pl, &sl)) {
                    pi += pl;
                    si += sl;
                    continue;
                }
            }
        }
        if (star_p == none) return false;
        if (star_free) {
            star_s++;
            free_s = star_s;
        } else {
            size_t l = utf8_len(s + star_s, sn - star_s);
            if (l) star_s += l;
            else if (free_p != none) {
                free_s++;
                star_p = free_p;
                star_s = free_s;
                star_free = true;
            } else
                return false;
        }
        si = star_s;
        pi = star_p;
    }
    while (pi < pn && w[pi] && p[pi] == '%') pi++;
    return pi == pn;
}

static bool like_match(const like_pat_t *lp, ol_slice_t s)
{
    ol_slice_t l = lp->lit;
    switch (lp->mode) {
    case LK_ALL: return true;
    case LK_EQ: return s.len == l.len && (lp->ci ? eq_ci(s.ptr, l.ptr, l.len) : (l.len == 0 || memcmp(s.ptr, l.ptr, l.len) == 0));
    case LK_PREFIX:
        return s.len >= l.len && (lp->ci ? eq_ci(s.ptr, l.ptr, l.len) : memcmp(s.ptr, l.ptr, l.len) == 0);
    case LK_SUFFIX:
        return s.len >= l.len &&
               (lp->ci ? eq_ci(s.ptr + s.len - l.len, l.ptr, l.len) : memcmp(s.ptr + s.len - l.len, l.ptr, l.len) == 0);
    case LK_SUBSTR: return lp->ci ? find_ci(s, l) : find(s.ptr, s.len, l.ptr, l.len) != NULL;
    default: return like_general(lp, s.ptr, s.len);
    }
}

static const char *const like_names[] = {"like", "notLike", "ilike", "notILike"};

static int like_type_of(int which, OL_SQL_TYPE_ARGS)
{
    const char *fn = like_names[which];
    for (size_t i = 0; i < 2; i++)
        if (!is_str(args[i])) return ol_sql_arg_err(err, fn, i + 1, args[i], "String");
    if (consts[1]) { /* a bad constant pattern fails now rather than per batch */
        ol_slice_t pat = consts[1]->s[0];
        uint8_t *buf = malloc(2 * pat.len + 1);
        if (!buf) return OL_NOMEM;
        like_pat_t lp;
        int rc = like_compile(fn, pat, which >= 2, buf, buf + pat.len, &lp, err);
        free(buf);
        if (rc != OL_OK) return rc;
    }
    *out = OL_SQL_UINT8;
    return OL_OK;
}

static int like_run(int which, OL_SQL_EXEC_ARGS)
{
    const char *fn = like_names[which];
    const ol_sql_vec_t *v = &args[0], *pv = &args[1];
    bool ci = which >= 2;
    int64_t yes = (which & 1) ? 0 : 1;
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    like_pat_t lp;
    if (pv->is_const) {
        ol_slice_t pat = pv->s[0];
        uint8_t *buf = ol_arena_alloc(cx->arena, 2 * pat.len + 1);
        if (!buf) return OL_NOMEM;
        if (like_compile(fn, pat, ci, buf, buf + pat.len, &lp, cx->err) != OL_OK) return OL_ERR;
        if (lp.mode == LK_SUBSTR && !ci && lp.lit.len) {
            const uint8_t *lit = lp.lit.ptr;
            size_t ll = lp.lit.len;
            for (uint32_t r = 0; r < rows; r++) {
                ol_slice_t s = v->s[ol_sql_row(v, r)];
                out->i[r] = (find(s.ptr, s.len, lit, ll) != NULL) == yes;
            }
            return OL_OK;
        }
        for (uint32_t r = 0; r < rows; r++) out->i[r] = like_match(&lp, v->s[ol_sql_row(v, r)]) == yes;
        return OL_OK;
    }
    uint8_t stack[512];
    for (uint32_t r = 0; r < rows; r++) {
        ol_slice_t pat = pv->s[r];
        uint8_t *buf = stack;
        if (2 * pat.len + 1 > sizeof stack && !(buf = ol_arena_alloc(cx->arena, 2 * pat.len + 1))) return OL_NOMEM;
        if (like_compile(fn, pat, ci, buf, buf + pat.len, &lp, cx->err) != OL_OK) return OL_ERR;
        out->i[r] = like_match(&lp, v->s[ol_sql_row(v, r)]) == yes;
    }
    return OL_OK;
}

#define OL_LIKE_FN(name, w)                                                                        \
    static int name##_type(OL_SQL_TYPE_ARGS) { return like_type_of(w, args, consts, n, out, err); }  \
    static int name##_exec(OL_SQL_EXEC_ARGS) { return like_run(w, cx, args, n, rows, out); }
OL_LIKE_FN(like, 0)
OL_LIKE_FN(notlike, 1)
OL_LIKE_FN(ilike, 2)
OL_LIKE_FN(notilike, 3)

/* ---- IN ---- */

typedef struct in_set {
    char kind;         /* 's' strings, 'i' values as the left side stores them, 'f' doubles */
    uint32_t n;
    const ol_slice_t *s;
    int64_t *i;
    double *f;
    uint32_t *slots;   /* strings: open addressing, index + 1 (0 empty) */
    uint32_t mask;
} in_set_t;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The range of values a type stores, for dropping list values it cannot hold. */
static void type_range(ol_sql_type_t t, __int128 *lo, __int128 *hi)
{
    int w = ol_sql_int_width(t);
    if (t == OL_SQL_DATE) *lo = 0, *hi = 65535;
    else if (t == OL_SQL_DATETIME) *lo = 0, *hi = 4294967295LL;
    else if (ol_sql_type_is_int(t) && !ol_sql_type_is_signed(t))
        *lo = 0, *hi = t == OL_SQL_BOOL ? 1 : ((__int128)1 << (8 * w)) - 1;
    else if (ol_sql_type_is_int(t) && w < 8)
        *lo = -((__int128)1 << (8 * w - 1)), *hi = ((__int128)1 << (8 * w - 1)) - 1;
    else *lo = INT64_MIN, *hi = INT64_MAX;
}

static int in_prepare(ol_sql_ctx_t *cx, const char *fn, ol_sql_type_t lt, const ol_sql_vec_t *list, in_set_t *set,
                      ol_err_t *err)
{
    const ol_sql_vec_t *vals = list->vals;
    uint32_t base = list->off[0], k = list->off[1] - list->off[0];
    memset(set, 0, sizeof *set);
    if (lt == OL_SQL_STRING) {
        set->kind = 's';
        set->n = k;
        if (vals->type == OL_SQL_STRING) set->s = vals->s + base;
        else {
            ol_sql_vec_t tmp;
            int rc = ol_sql_to_string_vec(cx, vals, vals->n, &tmp);
            if (rc != OL_OK) return rc;
            if (vals->type == OL_SQL_FLOAT64) /* ClickHouse writes a whole float of a list as "1." */
                for (uint32_t e = 0; e < k; e++) {
                    double d = vals->f[base + e];
                    ol_slice_t t = tmp.s[base + e];
                    if (d != trunc(d) || isinf(d) || memchr(t.ptr, 'e', t.len)) continue;
                    uint8_t *q = ol_arena_alloc(cx->arena, t.len + 1);
                    if (!q) return OL_NOMEM;
                    memcpy(q, t.ptr, t.len);
                    q[t.len] = '.';
                    tmp.s[base + e] = ol_slice(q, t.len + 1);
                }
            set->s = tmp.s + base;
        }
        if (k > 8) {
            uint32_t cap = 16;
            while (cap < 2 * k) cap *= 2;
            set->slots = ol_arena_calloc(cx->arena, cap * sizeof *set->slots);
            if (!set->slots) return OL_NOMEM;
            set->mask = cap - 1;
            for (uint32_t e = 0; e < k; e++) {
                uint32_t h = (uint32_t)ol_hash64(set->s[e].ptr, set->s[e].len, 0) & set->mask;
                while (set->slots[h]) h = (h + 1) & set->mask;
                set->slots[h] = e + 1;
            }
        }
        return OL_OK;
    }
    if (lt == OL_SQL_FLOAT64) {
        set->kind = 'f';
        set->f = ol_arena_alloc(cx->arena, (k ? k : 1) * sizeof *set->f);
        if (!set->f) return OL_NOMEM;
        for (uint32_t e = 0; e < k; e++) {
            uint32_t x = base + e;
            double d;
            if (vals->type == OL_SQL_STRING) {
                if (ol_sql_parse_float(vals->s[x], &d, fn, err) != OL_OK) return OL_ERR;
            } else if (vals->type == OL_SQL_DATETIME64) {
                ol_err_set(err, "%s: type mismatch in the list: expected Float64, got DateTime64(9)", fn);
                return OL_ERR;
            }
            else d = ol_sql_num_f(vals, x);
            set->f[set->n++] = d;
        }
        return OL_OK;
    }
    bool lt_time = ol_sql_type_is_time(lt);
    if ((vals->type == OL_SQL_DATETIME64 && !lt_time) ||
        (lt_time && (vals->type == OL_SQL_FLOAT64 || (lt == OL_SQL_DATETIME && ol_sql_type_is_signed(vals->type))))) {
        ol_err_set(err, "%s: type mismatch in the list: expected %s, got %s", fn, ol_sql_type_name(lt),
                   ol_sql_type_name(vals->type));
        return OL_ERR;
    }
    set->kind = 'i';
    set->i = ol_arena_alloc(cx->arena, (k ? k : 1) * sizeof *set->i);
    if (!set->i) return OL_NOMEM;
    __int128 lo, hi;
    type_range(lt, &lo, &hi);
    int64_t unit = lt_time ? ol_sql_time_unit(lt) : 1;
    /* plain numbers against a time: seconds (days for a Date), in the left's unit */
    int64_t num_mul = lt == OL_SQL_DATETIME64 ? 1000000000LL : 1;
    for (uint32_t e = 0; e < k; e++) {
        uint32_t x = base + e;
        __int128 v;
        if (vals->type == OL_SQL_STRING) {
            ol_slice_t s = vals->s[x];
            if (lt_time) {
                int64_t t;
                if (ol_sql_parse_time_as(lt, s, true, &t, err) != OL_OK) return OL_ERR;
                v = t;
            } else if (lt == OL_SQL_BOOL) {
                static const char *const yes[] = {"true", "1", "t", "y", "yes", "on", "enable", "enabled"};
                static const char *const no[] = {"false", "0", "f", "n", "no", "off", "disable", "disabled"};
                v = -1;
                for (size_t w = 0; w < OL_ARRAY_LEN(yes); w++) {
                    if (ol_slice_eq_nocase_cstr(s, yes[w])) v = 1;
                    if (ol_slice_eq_nocase_cstr(s, no[w])) v = 0;
                }
                if (v < 0) {
                    ol_err_set(err, "%s: cannot parse boolean value '%.*s'", fn, (int)OL_MIN(s.len, 80), (const char *)s.ptr);
                    return OL_ERR;
                }
            } else {
                size_t i = 0;
                bool neg = false, ok;
                if (i < s.len && (s.ptr[i] == '+' || s.ptr[i] == '-')) neg = s.ptr[i++] == '-';
                ok = i < s.len;
                v = 0;
                for (; ok && i < s.len; i++) {
                    if (s.ptr[i] < '0' || s.ptr[i] > '9' || v > ((__int128)1 << 80)) ok = false;
                    else v = v * 10 + (s.ptr[i] - '0');
                }
                if (!ok) {
                    ol_err_set(err, "%s: cannot convert string '%.*s' to type %s", fn, (int)OL_MIN(s.len, 80),
                               (const char *)s.ptr, ol_sql_type_name(lt));
                    return OL_ERR;
                }
                if (neg) v = -v;
            }
        } else if (vals->type == OL_SQL_FLOAT64) {
            double d = vals->f[x] * (double)num_mul;
            if (!(d == trunc(d)) || fabs(d) > 1.8e19) continue;
            v = (__int128)d;
        } else if (vals->type == OL_SQL_DATETIME64) {
            if (lt_time) {
                if (vals->i[x] % unit) continue;
                v = vals->i[x] / unit;
            } else
                v = vals->i[x];
        } else {
            v = vals->type == OL_SQL_UINT64 ? (__int128)(uint64_t)vals->i[x] : (__int128)vals->i[x];
            if (lt_time) v *= num_mul;
        }
        if (v < lo || v > hi) continue;
        set->i[set->n++] = (int64_t)(uint64_t)v;
    }
    if (set->n > 8) qsort(set->i, set->n, sizeof *set->i, cmp_i64);
    return OL_OK;
}

static bool in_has_str(const in_set_t *set, ol_slice_t s)
{
    if (!set->slots) {
        for (uint32_t e = 0; e < set->n; e++)
            if (set->s[e].len == s.len && (s.len == 0 || memcmp(set->s[e].ptr, s.ptr, s.len) == 0)) return true;
        return false;
    }
    uint32_t h = (uint32_t)ol_hash64(s.ptr, s.len, 0) & set->mask;
    for (uint32_t e; (e = set->slots[h]) != 0; h = (h + 1) & set->mask)
        if (ol_slice_eq(set->s[e - 1], s)) return true;
    return false;
}

static bool in_has_int(const in_set_t *set, int64_t x)
{
    if (set->n <= 8) {
        for (uint32_t e = 0; e < set->n; e++)
            if (set->i[e] == x) return true;
        return false;
    }
    return bsearch(&x, set->i, set->n, sizeof *set->i, cmp_i64) != NULL;
}

static int in_type(bool neg, OL_SQL_TYPE_ARGS)
{
    const char *fn = neg ? "notIn" : "in";
    ol_sql_type_t l = args[0];
    if (!ol_sql_type_is_array(args[1]) || !consts[1] || consts[1]->type == OL_SQL_ARRAY_MAP) {
        ol_err_set(err, "%s: argument 2 must be a constant list of values", fn);
        return OL_ERR;
    }
    if (l == OL_SQL_MAP || ol_sql_type_is_array(l)) return ol_sql_arg_err(err, fn, 1, l, "a String, a number or a time");
    ol_arena_t *ar = ol_arena_create(1024, 0);
    if (!ar) return OL_NOMEM;
    ol_sql_ctx_t tcx = {.arena = ar, .err = err};
    in_set_t set;
    int rc = in_prepare(&tcx, fn, l, consts[1], &set, err);
    ol_arena_destroy(ar);
    if (rc != OL_OK) return rc;
    *out = OL_SQL_UINT8;
    return OL_OK;
}

static int in_exec(bool neg, OL_SQL_EXEC_ARGS)
{
    const char *fn = neg ? "notIn" : "in";
    const ol_sql_vec_t *v = &args[0];
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    in_set_t set;
    if ((rc = in_prepare(cx, fn, v->type, &args[1], &set, cx->err)) != OL_OK) return rc;
    int64_t yes = !neg;
    int64_t *o = out->i;
    switch (set.kind) {
    case 's':
        for (uint32_t r = 0; r < rows; r++) o[r] = in_has_str(&set, v->s[ol_sql_row(v, r)]) == yes;
        break;
    case 'f':
        for (uint32_t r = 0; r < rows; r++) {
            double x = v->f[ol_sql_row(v, r)];
            bool f = false;
            for (uint32_t e = 0; e < set.n && !f; e++) f = set.f[e] == x;
            o[r] = f == yes;
        }
        break;
    default:
        if (set.n == 1 && !v->is_const) {
            int64_t x = set.i[0];
            for (uint32_t r = 0; r < rows; r++) o[r] = (v->i[r] == x) == yes;
        } else
            for (uint32_t r = 0; r < rows; r++) o[r] = in_has_int(&set, v->i[ol_sql_row(v, r)]) == yes;
        break;
    }
    return OL_OK;
}

static int in_fn_type(OL_SQL_TYPE_ARGS) { return in_type(false, args, consts, n, out, err); }
static int notin_fn_type(OL_SQL_TYPE_ARGS) { return in_type(true, args, consts, n, out, err); }
static int in_fn_exec(OL_SQL_EXEC_ARGS) { return in_exec(false, cx, args, n, rows, out); }
static int notin_fn_exec(OL_SQL_EXEC_ARGS) { return in_exec(true, cx, args, n, rows, out); }

/* ---- has ---- */

static bool elem_comparable(ol_sql_type_t e, ol_sql_type_t x)
{
    return (e == OL_SQL_STRING && x == OL_SQL_STRING) || (ol_sql_type_is_number(e) && ol_sql_type_is_number(x)) ||
           (ol_sql_type_is_time(e) && ol_sql_type_is_time(x)) || e == x;
}

static int has_type(OL_SQL_TYPE_ARGS)
{
    if (!ol_sql_type_is_array(args[0])) return ol_sql_arg_err(err, "has", 1, args[0], "an Array");
    ol_sql_type_t e = ol_sql_type_elem(args[0]);
    if (!elem_comparable(e, args[1])) {
        ol_err_set(err, "has: there is no supertype for types %s and %s", ol_sql_type_name(e), ol_sql_type_name(args[1]));
        return OL_ERR;
    }
    *out = OL_SQL_UINT8;
    return OL_OK;
}

static int has_exec(OL_SQL_EXEC_ARGS)
{
    const ol_sql_vec_t *a = &args[0], *x = &args[1], *ev = a->vals;
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    ol_sql_type_t et = ev->type, xt = x->type, st;
    bool bits = ol_sql_type_is_int(et) && ol_sql_type_is_int(xt) && ol_sql_supertype(et, xt, &st) != OL_OK;
    for (uint32_t r = 0; r < rows; r++) {
        uint32_t k = ol_sql_row(a, r);
        bool f = false;
        if (ev->type == OL_SQL_STRING) {
            ol_slice_t s = x->s[ol_sql_row(x, r)];
            for (uint32_t e = a->off[k]; e < a->off[k + 1] && !f; e++) f = ol_slice_eq(ev->s[e], s);
        } else if (bits) { /* UInt64 against a signed type: no supertype, ClickHouse compares the bits */
            int64_t xv = x->i[ol_sql_row(x, r)];
            for (uint32_t e = a->off[k]; e < a->off[k + 1] && !f; e++) f = ev->i[e] == xv;
        } else
            for (uint32_t e = a->off[k]; e < a->off[k + 1] && !f; e++) {
                bool un;
                f = ol_sql_cmp_rows(ev, e, x, r, &un) == 0 && !un;
            }
        out->i[r] = f;
    }
    return OL_OK;
}

/* ---- maps ---- */

static int map_key_type(const char *fn, OL_SQL_TYPE_ARGS)
{
    if (args[0] != OL_SQL_MAP) return ol_sql_arg_err(err, fn, 1, args[0], "Map(String, String)");
    if (n > 1 && !is_str(args[1])) return ol_sql_arg_err(err, fn, 2, args[1], "String");
    return OL_OK;
}

/* The entry of key in row k of map m, or -1. */
static inline int64_t map_find(const ol_sql_vec_t *m, uint32_t k, ol_slice_t key)
{
    const ol_slice_t *ks = m->keys->s;
    for (uint32_t e = m->off[k]; e < m->off[k + 1]; e++)
        if (ks[e].len == key.len && (key.len == 0 || memcmp(ks[e].ptr, key.ptr, key.len) == 0)) return e;
    return -1;
}

static int mapcontains_type(OL_SQL_TYPE_ARGS)
{
    int rc = map_key_type("mapContains", args, consts, n, out, err);
    if (rc == OL_OK) *out = OL_SQL_UINT8;
    return rc;
}

static int mapcontains_exec(OL_SQL_EXEC_ARGS)
{
    const ol_sql_vec_t *m = &args[0], *kv = &args[1];
    int rc = ol_sql_out(cx, out, rows);
    if (rc != OL_OK) return rc;
    for (uint32_t r = 0; r < rows; r++) out->i[r] = map_find(m, ol_sql_row(m, r), kv->s[ol_sql_row(kv, r)]) >= 0;
    return OL_OK;
}

static int mapkeys_type(OL_SQL_TYPE_ARGS)
{
    int rc = map_key_type("mapKeys", args, consts, n, out, err);
    if (rc == OL_OK) *out = OL_SQL_ARRAY_STRING;
    return rc;
}

static int mapvalues_type(OL_SQL_TYPE_ARGS)
{
    int rc = map_key_type("mapValues", args, consts, n, out, err);
    if (rc == OL_OK) *out = OL_SQL_ARRAY_STRING;
    return rc;
}

/* The keys or values as an Array(String) over the same entries (no copy;
 * a constant map comes with rows = 1, being the only argument). */
static int map_part_exec(bool keys, OL_SQL_EXEC_ARGS)
{
    const ol_sql_vec_t *m = &args[0];
    ol_sql_type_t t = out->type;
    memset(out, 0, sizeof *out);
    out->type = t;
    out->n = m->n;
    out->off = m->off;
    out->vals = keys ? m->keys : m->vals;
    return OL_OK;
}

static int mapkeys_exec(OL_SQL_EXEC_ARGS) { return map_part_exec(true, cx, args, n, rows, out); }
static int mapvalues_exec(OL_SQL_EXEC_ARGS) { return map_part_exec(false, cx, args, n, rows, out); }

/* ---- arrayElement ---- */

static int arrayelement_type(OL_SQL_TYPE_ARGS)
{
    const char *fn = "arrayElement";
    ol_sql_type_t a = args[0], i = args[1];
    if (a == OL_SQL_MAP) {
        if (!is_str(i)) {
            ol_err_set(err, "%s: illegal types of arguments: %s, %s (a map's key is a String)", fn, ol_sql_type_name(a),
                       ol_sql_type_name(i));
            return OL_ERR;
        }
        *out = OL_SQL_STRING;
        return OL_OK;
    }
    if (!ol_sql_type_is_array(a)) return ol_sql_arg_err(err, fn, 1, a, "an Array or a Map");
    if (!ol_sql_type_is_int(i)) return ol_sql_arg_err(err, fn, 2, i, "an integer");
    *out = ol_sql_type_elem(a);
    return OL_OK;
}

static int arrayelement_exec(OL_SQL_EXEC_ARGS)
{
    const ol_sql_vec_t *a = &args[0], *iv = &args[1];
    int rc;
    if (a->type == OL_SQL_MAP) {
        if ((rc = ol_sql_out(cx, out, rows)) != OL_OK) return rc;
        const ol_slice_t *vs = a->vals->s;
        for (uint32_t r = 0; r < rows; r++) {
            int64_t e = map_find(a, ol_sql_row(a, r), iv->s[ol_sql_row(iv, r)]);
            out->s[r] = e >= 0 ? vs[e] : ol_slice("", 0);
        }
        return OL_OK;
    }
    /* element index per row, -1 for the default */
    int64_t *pick = ol_arena_alloc(cx->arena, (rows ? rows : 1) * sizeof *pick);
    if (!pick) return OL_NOMEM;
    for (uint32_t r = 0; r < rows; r++) {
        uint32_t k = ol_sql_row(a, r);
        int64_t len = a->off[k + 1] - a->off[k], i = iv->i[ol_sql_row(iv, r)];
        if (iv->type == OL_SQL_UINT64 && i < 0) i = INT64_MAX;
        pick[r] = (i > 0 && i <= len) ? a->off[k] + i - 1 : (i < 0 && i >= -len) ? a->off[k] + len + i : -1;
    }
    const ol_sql_vec_t *ev = a->vals;
    char rp = ol_sql_type_repr(out->type);
    if (rp == 'm') {
        static const uint32_t empty_off[2] = {0, 0};
        ol_sql_vec_t empty = {.type = OL_SQL_MAP, .n = 1, .is_const = true, .off = (uint32_t *)empty_off};
        const ol_sql_vec_t **src = ol_arena_alloc(cx->arena, (rows ? rows : 1) * sizeof *src);
        uint32_t *idx = ol_arena_alloc(cx->arena, (rows ? rows : 1) * sizeof *idx);
        if (!src || !idx) return OL_NOMEM;
        for (uint32_t r = 0; r < rows; r++) {
            src[r] = pick[r] >= 0 ? ev : &empty;
            idx[r] = pick[r] >= 0 ? (uint32_t)pick[r] : 0;
        }
        ol_sql_type_t t = out->type;
        return ol_sql_take(cx, t, src, idx, rows, out);
    }
    if ((rc = ol_sql_out(cx, out, rows)) != OL_OK) return rc;
    for (uint32_t r = 0; r < rows; r++) {
        int64_t e = pick[r];
        if (rp == 'i') out->i[r] = e >= 0 ? ev->i[e] : 0;
        else if (rp == 'f') out->f[r] = e >= 0 ? ev->f[e] : 0.0;
        else out->s[r] = e >= 0 ? ev->s[e] : ol_slice("", 0);
    }
    return OL_OK;
}

/* ---- registry ---- */

const ol_sql_func_t ol_sql_funcs_str[] = {
    {"lower", 1, 1, true, lower_type, lower_exec},
    {"lcase", 1, 1, true, lower_type, lower_exec},
    {"upper", 1, 1, true, upper_type, upper_exec},
    {"ucase", 1, 1, true, upper_type, upper_exec},
    {"concat", 0, 255, true, concat_type, concat_exec},
    {"length", 1, 1, true, length_type, length_exec},
    {"OCTET_LENGTH", 1, 1, true, length_type, length_exec},
    {"empty", 1, 1, false, empty_type, isempty_exec},
    {"notEmpty", 1, 1, false, empty_type, notempty_exec},
    {"startsWith", 2, 2, false, startswith_type, startswith_exec},
    {"endsWith", 2, 2, false, endswith_type, endswith_exec},
    {"position", 2, 3, true, position_type, position_exec},
    {"substring", 2, 3, true, substring_type, substring_exec},
    {"substr", 2, 3, true, substring_type, substring_exec},
    {"mid", 2, 3, true, substring_type, substring_exec},
    {"replaceAll", 3, 3, false, replace_type, replace_exec},
    {"replace", 3, 3, true, replace_type, replace_exec},
    {"trimBoth", 1, 1, false, trim_type, trimboth_exec},
    {"trim", 1, 1, false, trim_type, trimboth_exec},
    {"trimLeft", 1, 1, false, trim_type, trimleft_exec},
    {"ltrim", 1, 1, false, trim_type, trimleft_exec},
    {"trimRight", 1, 1, false, trim_type, trimright_exec},
    {"rtrim", 1, 1, false, trim_type, trimright_exec},
    {"like", 2, 2, false, like_type, like_exec},
    {"notLike", 2, 2, false, notlike_type, notlike_exec},
    {"ilike", 2, 2, false, ilike_type, ilike_exec},
    {"notILike", 2, 2, false, notilike_type, notilike_exec},
    {"in", 2, 2, false, in_fn_type, in_fn_exec},
    {"notIn", 2, 2, false, notin_fn_type, notin_fn_exec},
    {"has", 2, 2, false, has_type, has_exec},
    {"mapContains", 2, 2, false, mapcontains_type, mapcontains_exec},
    {"mapContainsKey", 2, 2, false, mapcontains_type, mapcontains_exec},
    {"mapKeys", 1, 1, false, mapkeys_type, mapkeys_exec},
    {"mapValues", 1, 1, false, mapvalues_type, mapvalues_exec},
    {"arrayElement", 2, 2, false, arrayelement_type, arrayelement_exec},
};
const size_t ol_sql_funcs_str_n = OL_ARRAY_LEN(ol_sql_funcs_str);
