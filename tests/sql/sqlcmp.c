/*
 * sqlcmp.c - answer comparison (see sqlcmp.h).
 *
 * Both documents are parsed with Olly's JSON tokenizer (codec/json.h) into
 * flat token arrays; a value is a token index, its children follow it and
 * `next` skips past them.
 */
#include "sqlcmp.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "codec/json.h"
#include "core/arena.h"

typedef struct {
    ol_json_doc_t d;
    ol_arena_t *a;
    uint32_t cols;  /* token of the columns/meta array */
    uint32_t rows;  /* token of the rows/data array */
} doc_t;

static int doc_parse(doc_t *x, ol_slice_t s, bool is_ch, ol_arena_t *a, char *why, size_t why_len, const char *who)
{
    ol_err_t err;
    x->a = a;
    if (ol_json_parse(s, a, &x->d, &err) != OL_OK) {
        snprintf(why, why_len, "%s: not JSON: %s", who, err.msg);
        return OL_CORRUPT;
    }
    x->cols = ol_json_object_get(&x->d, 0, is_ch ? "meta" : "columns");
    x->rows = ol_json_object_get(&x->d, 0, is_ch ? "data" : "rows");
    if (!x->cols || !x->rows || x->d.toks[x->cols].kind != OL_JSON_ARRAY || x->d.toks[x->rows].kind != OL_JSON_ARRAY) {
        snprintf(why, why_len, "%s: no %s array", who, is_ch ? "meta/data" : "columns/rows");
        return OL_CORRUPT;
    }
    return OL_OK;
}

/* Index of child k of an array token (k < size). */
static uint32_t child(const ol_json_doc_t *d, uint32_t arr, uint32_t k)
{
    uint32_t i = arr + 1;
    while (k--) i = d->toks[i].next;
    return i;
}

static ol_slice_t str_of(const doc_t *x, uint32_t t)
{
    ol_slice_t s;
    if (ol_json_unescape(&x->d.toks[t], x->a, &s) != OL_OK) return x->d.toks[t].text;
    return s;
}

static bool is_integer_text(ol_slice_t t)
{
    if (!t.len) return false;
    for (size_t i = 0; i < t.len; i++)
        if (!((t.ptr[i] >= '0' && t.ptr[i] <= '9') || (i == 0 && t.ptr[i] == '-'))) return false;
    return true;
}

static double num_of(ol_slice_t t)
{
    char tmp[64];
    size_t n = OL_MIN(t.len, sizeof tmp - 1);
    memcpy(tmp, t.ptr, n);
    tmp[n] = 0;
    return strtod(tmp, NULL);
}

static bool float_close(double a, double b, double tol)
{
    if (a == b) return true;
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    double d = fabs(a - b), m = fmax(fabs(a), fabs(b));
    return d <= tol * m || d <= tol * 1e-3;
}

static bool num_eq(ol_slice_t a, ol_slice_t b, double tol)
{
    if (ol_slice_eq(a, b)) return true;
    if (is_integer_text(a) && is_integer_text(b)) {
        /* exact: -0 and 0 aside, different integer texts are different values */
        bool za = a.len == 2 && a.ptr[0] == '-' && a.ptr[1] == '0', zb = b.len == 2 && b.ptr[0] == '-' && b.ptr[1] == '0';
        return (za && b.len == 1 && b.ptr[0] == '0') || (zb && a.len == 1 && a.ptr[0] == '0');
    }
    return float_close(num_of(a), num_of(b), tol);
}

/* ---- value equality ---- */

typedef struct {
    double tol;
    char *path; /* where the first difference is, filled on failure */
    size_t path_len;
} ctx_t;

static bool val_eq(const doc_t *x, uint32_t i, const doc_t *y, uint32_t j, double tol)
{
    const ol_json_tok_t *a = &x->d.toks[i], *b = &y->d.toks[j];
    if (a->kind != b->kind) return false;
    switch (a->kind) {
    case OL_JSON_NULL:
    case OL_JSON_TRUE:
    case OL_JSON_FALSE: return true;
    case OL_JSON_NUMBER: return num_eq(a->text, b->text, tol);
    case OL_JSON_STRING: return ol_slice_eq(str_of(x, i), str_of(y, j));
    case OL_JSON_ARRAY:
        if (a->size != b->size) return false;
        for (uint32_t k = 0, ii = i + 1, jj = j + 1; k < a->size; k++, ii = x->d.toks[ii].next, jj = y->d.toks[jj].next)
            if (!val_eq(x, ii, y, jj, tol)) return false;
        return true;
    case OL_JSON_OBJECT:
        if (a->size != b->size) return false;
        for (uint32_t k = 0, ii = i + 1, jj = j + 1; k < a->size; k++) {
            if (!ol_slice_eq(str_of(x, ii), str_of(y, jj))) return false;
            if (!val_eq(x, ii + 1, y, jj + 1, tol)) return false;
            ii = x->d.toks[ii + 1].next;
            jj = y->d.toks[jj + 1].next;
        }
        return true;
    }
    return false;
}

/* Quantile-aware equality: ch and twin (exact) from ClickHouse, o from Olly. */
static bool val_eq_q(const doc_t *c, uint32_t i, const doc_t *t, uint32_t k, const doc_t *o, uint32_t j, double tol,
                     uint32_t *sampled)
{
    const ol_json_tok_t *a = &c->d.toks[i], *e = &t->d.toks[k], *b = &o->d.toks[j];
    if (a->kind == OL_JSON_ARRAY && e->kind == OL_JSON_ARRAY && b->kind == OL_JSON_ARRAY && a->size == e->size &&
        a->size == b->size) {
        for (uint32_t n = 0, ii = i + 1, kk = k + 1, jj = j + 1; n < a->size;
             n++, ii = c->d.toks[ii].next, kk = t->d.toks[kk].next, jj = o->d.toks[jj].next)
            if (!val_eq_q(c, ii, t, kk, o, jj, tol, sampled)) return false;
        return true;
    }
    if (a->kind == OL_JSON_NUMBER && e->kind == OL_JSON_NUMBER && !num_eq(a->text, e->text, 1e-9)) {
        if (b->kind != OL_JSON_NUMBER) return false;
        double vc = num_of(a->text), ve = num_of(e->text), vo = num_of(b->text);
        (*sampled)++;
        OL_UNUSED(vc);
        return float_close(vo, ve, tol); /* Olly's quantile is exact at any size (docs/sql.md) */
    }
    return val_eq(c, i, o, j, tol);
}

static void excerpt_tok(ol_buf_t *out, const doc_t *x, uint32_t t, size_t max)
{
    const ol_json_tok_t *k = &x->d.toks[t];
    /* the token's text covers scalars only; rebuild containers compactly */
    switch (k->kind) {
    case OL_JSON_STRING:
        ol_buf_append_u8(out, '"');
        ol_buf_append(out, k->text.ptr, OL_MIN(k->text.len, max));
        if (k->text.len > max) ol_buf_append_cstr(out, "...");
        ol_buf_append_u8(out, '"');
        break;
    case OL_JSON_ARRAY:
    case OL_JSON_OBJECT: {
        bool obj = k->kind == OL_JSON_OBJECT;
        ol_buf_append_u8(out, obj ? '{' : '[');
        uint32_t i = t + 1;
        for (uint32_t n = 0; n < k->size; n++) {
            if (n) ol_buf_append_u8(out, ',');
            if (out->len > max * 4) {
                ol_buf_append_cstr(out, "...");
                break;
            }
            if (obj) {
                excerpt_tok(out, x, i, max);
                ol_buf_append_u8(out, ':');
                i++;
            }
            excerpt_tok(out, x, i, max);
            i = x->d.toks[i].next;
        }
        ol_buf_append_u8(out, obj ? '}' : ']');
        break;
    }
    case OL_JSON_NULL: ol_buf_append_cstr(out, "null"); break;
    case OL_JSON_TRUE: ol_buf_append_cstr(out, "true"); break;
    case OL_JSON_FALSE: ol_buf_append_cstr(out, "false"); break;
    default: ol_buf_append_slice(out, k->text); break;
    }
}

static void describe_cell(char *buf, size_t n, const doc_t *x, uint32_t t)
{
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_QUERY, 0);
    excerpt_tok(&b, x, t, 120);
    snprintf(buf, n, "%.*s%s", (int)OL_MIN(b.len, 300), b.data ? (const char *)b.data : "", b.len > 300 ? "..." : "");
    ol_buf_free(&b);
}

/* ---- multiset order: a canonical text per row ---- */

static void canon(ol_buf_t *b, const doc_t *x, uint32_t t)
{
    const ol_json_tok_t *k = &x->d.toks[t];
    switch (k->kind) {
    case OL_JSON_NUMBER:
        if (is_integer_text(k->text)) ol_buf_append_slice(b, k->text);
        else ol_buf_printf(b, "%.6e", num_of(k->text));
        break;
    case OL_JSON_STRING:
        ol_buf_append_u8(b, 's');
        ol_buf_append_slice(b, str_of(x, t));
        break;
    case OL_JSON_ARRAY:
    case OL_JSON_OBJECT: {
        ol_buf_append_u8(b, '[');
        uint32_t i = t + 1;
        for (uint32_t n = 0; n < k->size; n++) {
            if (k->kind == OL_JSON_OBJECT) {
                canon(b, x, i);
                ol_buf_append_u8(b, ':');
                i++;
            }
            canon(b, x, i);
            ol_buf_append_u8(b, 0x1f);
            i = x->d.toks[i].next;
        }
        ol_buf_append_u8(b, ']');
        break;
    }
    default: ol_buf_printf(b, "%d", (int)k->kind); break;
    }
    ol_buf_append_u8(b, 0x1e);
}

typedef struct {
    uint32_t tok;
    char *key;
    size_t len;
} row_key_t;

static int row_key_cmp(const void *p, const void *q)
{
    const row_key_t *a = p, *b = q;
    size_t n = OL_MIN(a->len, b->len);
    int r = n ? memcmp(a->key, b->key, n) : 0;
    return r ? r : (a->len > b->len) - (a->len < b->len);
}

static row_key_t *sorted_rows(const doc_t *x)
{
    uint32_t n = x->d.toks[x->rows].size;
    row_key_t *k = calloc(n ? n : 1, sizeof *k);
    if (!k) return NULL;
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_QUERY, 0);
    uint32_t t = x->rows + 1;
    for (uint32_t i = 0; i < n; i++) {
        ol_buf_reset(&b);
        canon(&b, x, t);
        k[i].tok = t;
        k[i].len = b.len;
        k[i].key = ol_arena_memdup(x->a, b.data ? (const void *)b.data : "", b.len ? b.len : 1);
        t = x->d.toks[t].next;
    }
    ol_buf_free(&b);
    qsort(k, n, sizeof *k, row_key_cmp);
    return k;
}

/* ---- the comparison ---- */

int sc_compare(ol_slice_t ch, ol_slice_t twin, ol_slice_t olly, bool ordered, double tol, sc_result_t *r)
{
    memset(r, 0, sizeof *r);
    r->names_ok = r->types_ok = true;
    ol_arena_t *a = ol_arena_create(1 << 20, 0);
    if (!a) return OL_NOMEM;
    doc_t c, o, t;
    int rc = doc_parse(&c, ch, true, a, r->why, sizeof r->why, "ClickHouse");
    if (rc == OL_OK) rc = doc_parse(&o, olly, false, a, r->why, sizeof r->why, "Olly");
    bool have_twin = twin.len > 0;
    if (rc == OL_OK && have_twin) rc = doc_parse(&t, twin, true, a, r->why, sizeof r->why, "ClickHouse (exact quantiles)");
    if (rc != OL_OK) {
        ol_arena_destroy(a);
        return rc;
    }
    const ol_json_tok_t *cm = &c.d.toks[c.cols], *om = &o.d.toks[o.cols];
    r->ch_rows = c.d.toks[c.rows].size;
    r->olly_rows = o.d.toks[o.rows].size;
    /* columns: count, names, types */
    if (cm->size != om->size) {
        snprintf(r->why, sizeof r->why, "column count: ClickHouse %u, Olly %u", cm->size, om->size);
        ol_arena_destroy(a);
        return OL_OK;
    }
    for (uint32_t i = 0; i < cm->size; i++) {
        uint32_t ci = child(&c.d, c.cols, i), oi = child(&o.d, o.cols, i);
        uint32_t cn = ol_json_object_get(&c.d, ci, "name"), on = ol_json_object_get(&o.d, oi, "name");
        uint32_t ct = ol_json_object_get(&c.d, ci, "type"), ot = ol_json_object_get(&o.d, oi, "type");
        ol_slice_t cns = cn ? str_of(&c, cn) : OL_SLICE_NULL, ons = on ? str_of(&o, on) : OL_SLICE_NULL;
        if (r->names_ok && !ol_slice_eq(cns, ons)) {
            r->names_ok = false;
            snprintf(r->why, sizeof r->why, "column %u name: ClickHouse '%.*s', Olly '%.*s'", i + 1, (int)OL_MIN(cns.len, 200),
                     (const char *)cns.ptr, (int)OL_MIN(ons.len, 200), (const char *)ons.ptr);
        }
        ol_slice_t cts = ct ? str_of(&c, ct) : OL_SLICE_NULL, ots = ot ? str_of(&o, ot) : OL_SLICE_NULL;
        if (r->types_ok && !ol_slice_eq(cts, ots)) {
            r->types_ok = false;
            snprintf(r->types, sizeof r->types, "ClickHouse %.*s, Olly %.*s (column %u)", (int)OL_MIN(cts.len, 100),
                     (const char *)cts.ptr, (int)OL_MIN(ots.len, 100), (const char *)ots.ptr, i + 1);
        }
    }
    char name_why[sizeof r->why];
    snprintf(name_why, sizeof name_why, "%s", r->why);
    r->why[0] = 0;
    r->ok = true;
    if (r->ch_rows != r->olly_rows) {
        r->ok = false;
        snprintf(r->why, sizeof r->why, "row count: ClickHouse %u, Olly %u", r->ch_rows, r->olly_rows);
    } else if (have_twin && t.d.toks[t.rows].size != r->ch_rows) {
        r->ok = false;
        snprintf(r->why, sizeof r->why, "harness: the exact-quantile twin has %u rows, the query %u", t.d.toks[t.rows].size,
                 r->ch_rows);
    } else if (ordered) {
        uint32_t ct = c.rows + 1, ot = o.rows + 1, tt = have_twin ? t.rows + 1 : 0;
        for (uint32_t i = 0; r->ok && i < r->ch_rows; i++) {
            const ol_json_tok_t *cr = &c.d.toks[ct], *orow = &o.d.toks[ot];
            if (orow->kind != OL_JSON_ARRAY || orow->size != cr->size) {
                r->ok = false;
                snprintf(r->why, sizeof r->why, "row %u: Olly's row has %u cells, ClickHouse's %u", i + 1, orow->size, cr->size);
                break;
            }
            for (uint32_t k = 0, cc = ct + 1, oc = ot + 1, tc = tt ? tt + 1 : 0; k < cr->size; k++) {
                bool eq = have_twin ? val_eq_q(&c, cc, &t, tc, &o, oc, tol, &r->sampled_cells) : val_eq(&c, cc, &o, oc, tol);
                if (!eq) {
                    char cv[400], ov[400];
                    describe_cell(cv, sizeof cv, &c, cc);
                    describe_cell(ov, sizeof ov, &o, oc);
                    r->ok = false;
                    snprintf(r->why, sizeof r->why, "row %u column %u: ClickHouse %s, Olly %s", i + 1, k + 1, cv, ov);
                    break;
                }
                cc = c.d.toks[cc].next;
                oc = o.d.toks[oc].next;
                if (tt) tc = t.d.toks[tc].next;
            }
            ct = c.d.toks[ct].next;
            ot = o.d.toks[ot].next;
            if (tt) tt = t.d.toks[tt].next;
        }
    } else {
        row_key_t *kc = sorted_rows(&c), *ko = sorted_rows(&o);
        if (!kc || !ko) rc = OL_NOMEM;
        for (uint32_t i = 0; rc == OL_OK && r->ok && i < r->ch_rows; i++) {
            if (!val_eq(&c, kc[i].tok, &o, ko[i].tok, tol)) {
                char cv[400], ov[400];
                describe_cell(cv, sizeof cv, &c, kc[i].tok);
                describe_cell(ov, sizeof ov, &o, ko[i].tok);
                r->ok = false;
                snprintf(r->why, sizeof r->why, "as multisets, sorted row %u: ClickHouse %s, Olly %s", i + 1, cv, ov);
            }
        }
        free(kc);
        free(ko);
    }
    if (!r->names_ok && r->ok) snprintf(r->why, sizeof r->why, "%s", name_why);
    else if (!r->names_ok) {
        size_t l = strlen(r->why);
        snprintf(r->why + l, sizeof r->why - l, "; %s", name_why);
    }
    ol_arena_destroy(a);
    return rc;
}

/* The token's JSON text again (strings keep their escapes). With *perturb
 * set, the first scalar met is changed and *perturb cleared. */
static void reserialize_p(ol_buf_t *out, const doc_t *x, uint32_t t, bool *perturb);
static void reserialize(ol_buf_t *out, const doc_t *x, uint32_t t)
{
    bool no = false;
    reserialize_p(out, x, t, &no);
}
static void reserialize_p(ol_buf_t *out, const doc_t *x, uint32_t t, bool *perturb)
{
    const ol_json_tok_t *k = &x->d.toks[t];
    if (*perturb && k->kind != OL_JSON_ARRAY && k->kind != OL_JSON_OBJECT && k->kind != OL_JSON_NULL) {
        *perturb = false;
        if (k->kind == OL_JSON_NUMBER) ol_buf_printf(out, "%.17g", num_of(k->text) * (1 + 1e-6) + 1);
        else if (k->kind == OL_JSON_STRING) {
            ol_buf_append_u8(out, '"');
            ol_buf_append_slice(out, k->text);
            ol_buf_append_cstr(out, "x\"");
        } else ol_buf_append_cstr(out, k->kind == OL_JSON_TRUE ? "false" : "true");
        return;
    }
    switch (k->kind) {
    case OL_JSON_STRING:
        ol_buf_append_u8(out, '"');
        ol_buf_append_slice(out, k->text);
        ol_buf_append_u8(out, '"');
        break;
    case OL_JSON_ARRAY:
    case OL_JSON_OBJECT: {
        bool obj = k->kind == OL_JSON_OBJECT;
        ol_buf_append_u8(out, obj ? '{' : '[');
        uint32_t i = t + 1;
        for (uint32_t n = 0; n < k->size; n++) {
            if (n) ol_buf_append_u8(out, ',');
            if (obj) {
                reserialize_p(out, x, i, perturb);
                ol_buf_append_u8(out, ':');
                i++;
            }
            reserialize_p(out, x, i, perturb);
            i = x->d.toks[i].next;
        }
        ol_buf_append_u8(out, obj ? '}' : ']');
        break;
    }
    case OL_JSON_NULL: ol_buf_append_cstr(out, "null"); break;
    case OL_JSON_TRUE: ol_buf_append_cstr(out, "true"); break;
    case OL_JSON_FALSE: ol_buf_append_cstr(out, "false"); break;
    default: ol_buf_append_slice(out, k->text); break;
    }
}

int sc_ch_as_olly_perturbed(ol_slice_t ch, ol_slice_t data, ol_buf_t *out, bool *changed)
{
    ol_arena_t *a = ol_arena_create(1 << 16, 0);
    if (!a) return OL_NOMEM;
    doc_t c, m;
    char why[300];
    int rc = doc_parse(&m, ch, true, a, why, sizeof why, "ClickHouse");
    if (rc == OL_OK) rc = doc_parse(&c, data, true, a, why, sizeof why, "ClickHouse");
    *changed = false;
    if (rc == OL_OK) {
        bool perturb = true;
        ol_buf_append_cstr(out, "{\"columns\":");
        reserialize(out, &m, m.cols);
        ol_buf_append_cstr(out, ",\"rows\":[");
        for (uint32_t i = 0, t = c.rows + 1; i < c.d.toks[c.rows].size; i++, t = c.d.toks[t].next) {
            if (i) ol_buf_append_u8(out, ',');
            reserialize_p(out, &c, t, &perturb);
        }
        ol_buf_append_cstr(out, "]}");
        *changed = !perturb;
    }
    ol_arena_destroy(a);
    return rc != OL_OK ? rc : out->err;
}

int sc_ch_as_olly(ol_slice_t ch, ol_slice_t data, bool reverse, ol_buf_t *out)
{
    ol_arena_t *a = ol_arena_create(1 << 16, 0);
    if (!a) return OL_NOMEM;
    doc_t c, m;
    char why[300];
    int rc = doc_parse(&m, ch, true, a, why, sizeof why, "ClickHouse");
    if (rc == OL_OK) rc = doc_parse(&c, data, true, a, why, sizeof why, "ClickHouse");
    if (rc == OL_OK) {
        ol_buf_append_cstr(out, "{\"columns\":");
        reserialize(out, &m, m.cols);
        ol_buf_append_cstr(out, ",\"rows\":[");
        uint32_t n = c.d.toks[c.rows].size;
        uint32_t *idx = calloc(n ? n : 1, sizeof *idx);
        if (!idx) rc = OL_NOMEM;
        for (uint32_t i = 0, t = c.rows + 1; idx && i < n; i++, t = c.d.toks[t].next) idx[i] = t;
        for (uint32_t i = 0; idx && i < n; i++) {
            if (i) ol_buf_append_u8(out, ',');
            reserialize(out, &c, idx[reverse ? n - 1 - i : i]);
        }
        free(idx);
        ol_buf_append_cstr(out, "]}");
    }
    ol_arena_destroy(a);
    return rc != OL_OK ? rc : out->err;
}

long sc_ch_rows(ol_slice_t ch)
{
    ol_arena_t *a = ol_arena_create(1 << 16, 0);
    doc_t c;
    char why[200];
    long n = -1;
    if (a && doc_parse(&c, ch, true, a, why, sizeof why, "ClickHouse") == OL_OK) n = c.d.toks[c.rows].size;
    if (a) ol_arena_destroy(a);
    return n;
}

void sc_excerpt(ol_buf_t *out, ol_slice_t json, bool is_ch, size_t max)
{
    ol_arena_t *a = ol_arena_create(1 << 16, 0);
    doc_t x;
    char why[300];
    if (a && doc_parse(&x, json, is_ch, a, why, sizeof why, is_ch ? "ClickHouse" : "Olly") == OL_OK) {
        ol_buf_t b;
        ol_buf_init(&b, OL_MEM_QUERY, 0);
        excerpt_tok(&b, &x, x.cols, 60);
        ol_buf_append_cstr(&b, " ");
        excerpt_tok(&b, &x, x.rows, 200);
        ol_buf_append(out, b.data, OL_MIN(b.len, max));
        if (b.len > max) ol_buf_append_cstr(out, " ...");
        ol_buf_free(&b);
    } else {
        ol_buf_append(out, json.ptr, OL_MIN(json.len, max));
        if (json.len > max) ol_buf_append_cstr(out, " ...");
    }
    if (a) ol_arena_destroy(a);
}

int sc_ch_column_strings(ol_slice_t ch, uint32_t col, char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    ol_arena_t *a = ol_arena_create(1 << 16, 0);
    if (!a) return OL_NOMEM;
    doc_t c;
    char why[300];
    int rc = doc_parse(&c, ch, true, a, why, sizeof why, "ClickHouse");
    if (rc == OL_OK) {
        uint32_t rows = c.d.toks[c.rows].size;
        char **v = calloc(rows ? rows : 1, sizeof *v);
        if (!v) rc = OL_NOMEM;
        uint32_t t = c.rows + 1;
        for (uint32_t i = 0; rc == OL_OK && i < rows; i++) {
            const ol_json_tok_t *row = &c.d.toks[t];
            if (row->kind == OL_JSON_ARRAY && col < row->size) {
                uint32_t cell = child(&c.d, t, col);
                ol_slice_t s = c.d.toks[cell].kind == OL_JSON_STRING ? str_of(&c, cell) : c.d.toks[cell].text;
                char *str = malloc(s.len + 1);
                if (!str) {
                    rc = OL_NOMEM;
                    break;
                }
                memcpy(str, s.ptr, s.len);
                str[s.len] = 0;
                v[(*n)++] = str;
            }
            t = c.d.toks[t].next;
        }
        *out = v;
    }
    ol_arena_destroy(a);
    return rc;
}
