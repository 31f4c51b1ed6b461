/*
 * spans_match.c - trace search inside a part: which traces of a granule
 * have a span that satisfies a filter (part.h, ol_part_span_filter_t).
 *
 * The filter is evaluated on the columns; no span is rebuilt. A candidate
 * flag per row is narrowed one condition at a time, each reading only the
 * columns it needs (name; the resource ids against the part's resources
 * table; status_code; for each wanted key, its `a:<key>` group with the rows
 * of its values from `r:<key>`, or, when a key has no such columns, the
 * rows from walking attr_keys and the group from `attrs`), and the granule
 * is left as soon as
 * no candidate remains or a dictionary shows that a wanted value cannot
 * occur. trace_id, start and duration are decoded last, for the duration
 * bounds and each hit trace's time range over all its spans in the granule.
 *
 * The result is the one the span matcher gives on the spans
 * ol_part_spans_granule rebuilds (tests/unit/test_store_match.c keeps that
 * matcher as the reference): service is the resource's service.name or
 * "unknown_service"; duration is end - start, 0 when end < start, with end
 * = start + duration as the rebuilt span has it; a status of 128 in the
 * column (OL_STATUS_IN_EXTRA) is read from the Status kept in `extra`; an
 * attribute pair holds when the span's or its resource's attribute of that
 * key has the text form (ol_otlp_anyvalue_text) equal to the value, the
 * span's attributes including the unusual KeyValues kept whole in `extra`.
 * Typed values are not rendered per row: each condition's text is turned
 * once into the one bool, int or double that renders as it (confirmed by
 * rendering that value back), strings are compared by dictionary id, and
 * only raw values (arrays, kvlists, bytes) are rendered one by one.
 *
 * Nothing is shared between calls, so any number of threads may search one
 * part at once.
 */
#include <errno.h>
#include <stdlib.h>

#include "codec/otlp.h"
#include "codec/pb.h"
#include "core/alloc.h"
#include "core/util.h"
#include "store/col/enc.h"
#include "store/col/part.h"
#include "store/col/spans_int.h"
#include "store/store.h"

#define OL_MATCH_MAX_ATTRS 32 /* conditions beyond are ignored, as by the span matcher */
#define OL_MATCH_SPAN_ATTRS 9     /* Span.attributes */
#define OL_MATCH_RESOURCE_ATTRS 1 /* Resource.attributes */
#define OL_MATCH_TEXT_MAX 64      /* longer texts are no bool, int or double */
#define OL_MATCH_MAX_COLUMNS 256  /* more columns in a granule: the rows come from attr_keys */

/* One attribute condition and what it needs in this granule. */
typedef struct ol_mcond {
    ol_slice_t key, value;
    uint32_t key_id;  /* in the part's key table; UINT32_MAX when the part has no such key */
    int bool_v;       /* the bool rendering as value: 0, 1, or -1 for none */
    bool int_ok;      /* int_v renders as value */
    int64_t int_v;
    int dbl;          /* 0 no double renders as value, 1 the one with bits dbl_bits, 2 any NaN */
    uint64_t dbl_bits;
    uint8_t *hit;     /* per value of the key in the granule: renders as value */
    bool any_hit;
} ol_mcond_t;

typedef struct ol_match {
    const ol_part_t *p;
    uint32_t g;
    size_t n;
    const ol_part_span_filter_t *f;
    ol_arena_t *a;
    ol_err_t *err;
    ol_buf_t *bufs; /* one per column read */
    size_t n_bufs;
    ol_buf_t tmp;   /* text of a value */
    uint8_t *ok;    /* per row: still a candidate */
    size_t n_ok;
    /* the part's resources, read on first use */
    bool have_res;
    size_t n_res;
    ol_slice_t *res_bytes, *res_svc;
    uint32_t *res_mask;  /* per resource: the conditions its attributes satisfy */
    uint8_t *res_done;   /* per resource: res_mask computed */
    uint64_t *res;       /* resource column, NULL until read */
    bool have_extra;
    ol_slice_t *extra;   /* extra column; NULL when no row has any */
    size_t n_keys;
    ol_slice_t *keys;
    ol_mcond_t c[OL_MATCH_MAX_ATTRS];
    size_t n_c;
} ol_match_t;

static int ol_match_fail(ol_match_t *m, const char *what)
{
    ol_err_set(m->err, "part %s: granule %u: %s", ol_part_path(m->p), m->g, what);
    return OL_CORRUPT;
}

static const uint8_t *ol_match_end(ol_slice_t s) { return s.len ? s.ptr + s.len : s.ptr; }

static inline bool ol_match_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    const uint8_t *q = *p;
    if (q < end && q[0] < 0x80) {
        *v = q[0];
        *p = q + 1;
        return true;
    }
    if (end - q >= 2 && q[1] < 0x80) { /* key ids past 127 */
        *v = (uint64_t)(q[0] & 0x7f) | (uint64_t)q[1] << 7;
        *p = q + 2;
        return true;
    }
    return ol_pb_read_varint(p, end, v) == OL_OK;
}

static void *ol_match_alloc(ol_match_t *m, size_t count, size_t size)
{
    if (count && size > SIZE_MAX / count) return NULL;
    return ol_arena_alloc(m->a, (count ? count : 1) * size);
}

static void *ol_match_zalloc(ol_match_t *m, size_t count, size_t size)
{
    if (count && size > SIZE_MAX / count) return NULL;
    return ol_arena_calloc(m->a, (count ? count : 1) * size);
}

/* Reads a column into a buffer the match owns. OL_NOTFOUND when the
 * granule has none, unless `required` (then OL_CORRUPT). */
static int ol_match_column(ol_match_t *m, ol_slice_t name, bool required, ol_slice_t *out)
{
    ol_buf_t *nb = ol_realloc(OL_MEM_STORE, m->bufs, m->n_bufs * sizeof *nb, (m->n_bufs + 1) * sizeof *nb);
    if (!nb) return OL_NOMEM;
    m->bufs = nb;
    ol_buf_t *b = &m->bufs[m->n_bufs++];
    ol_buf_init(b, OL_MEM_STORE, 0);
    int rc = ol_part_read_column(m->p, m->g, name, b, m->err);
    if (rc == OL_NOTFOUND && required) {
        ol_err_set(m->err, "part %s: granule %u has no column %.*s", ol_part_path(m->p), m->g, (int)name.len,
                   (const char *)name.ptr);
        return OL_CORRUPT;
    }
    if (rc) return rc;
    if (b->err) return OL_NOMEM;
    *out = ol_buf_slice(b);
    return OL_OK;
}

/* ---- Part tables ---- */

static int ol_match_resources(ol_match_t *m)
{
    if (m->have_res) return OL_OK;
    ol_slice_t t;
    if (ol_part_table(m->p, OL_SLICE_LIT("resources"), &t)) return ol_match_fail(m, "no resource table");
    const uint8_t *q = t.ptr, *end = ol_match_end(t);
    uint64_t c = 0;
    if (!ol_match_varint(&q, end, &c) || c > t.len) return ol_match_fail(m, "bad resource table");
    t = ol_slice(q, (size_t)(end - q));
    ol_slice_t *url = ol_match_alloc(m, c, sizeof *url);
    m->res_bytes = ol_match_alloc(m, c, sizeof *m->res_bytes);
    m->res_svc = ol_match_alloc(m, c, sizeof *m->res_svc);
    m->res_mask = ol_match_zalloc(m, c, sizeof *m->res_mask);
    m->res_done = ol_match_zalloc(m, c, 1);
    if (!url || !m->res_bytes || !m->res_svc || !m->res_mask || !m->res_done) return OL_NOMEM;
    ol_slice_t *cols[3] = {m->res_bytes, url, m->res_svc};
    for (int k = 0; k < 3; k++) {
        size_t used = 0;
        int rc = ol_dec_bytes(t, cols[k], (size_t)c, &used, m->err);
        if (rc) return rc;
        t = ol_slice(t.ptr + used, t.len - used);
    }
    if (t.len) return ol_match_fail(m, "stray bytes in the resource table");
    m->n_res = (size_t)c;
    m->have_res = true;
    return OL_OK;
}

static int ol_match_keys(ol_match_t *m)
{
    ol_slice_t t;
    if (ol_part_table(m->p, OL_SLICE_LIT("keys"), &t)) return ol_match_fail(m, "no key table");
    const uint8_t *q = t.ptr;
    uint64_t c = 0;
    if (!ol_match_varint(&q, ol_match_end(t), &c) || c > t.len) return ol_match_fail(m, "bad key table");
    m->keys = ol_match_alloc(m, c, sizeof *m->keys);
    if (!m->keys) return OL_NOMEM;
    size_t used = 0;
    int rc = ol_dict_decode(t, m->keys, (size_t)c, &m->n_keys, &used, m->err);
    if (rc) return rc;
    if (used != t.len) return ol_match_fail(m, "stray bytes in the key table");
    return OL_OK;
}

/* The resource column, each id checked against the table. */
static int ol_match_resource_column(ol_match_t *m)
{
    if (m->res) return OL_OK;
    int rc = ol_match_resources(m);
    ol_slice_t in;
    if (!rc) rc = ol_match_column(m, OL_SLICE_LIT("resource"), true, &in);
    if (rc) return rc;
    uint64_t *res = ol_match_alloc(m, m->n, sizeof *res);
    if (!res) return OL_NOMEM;
    size_t used = 0;
    if ((rc = ol_dec_uvarints(in, res, m->n, &used, m->err))) return rc;
    if (used != in.len) return ol_match_fail(m, "stray bytes after column resource");
    for (size_t i = 0; i < m->n; i++)
        if (res[i] >= m->n_res) return ol_match_fail(m, "resource index out of range");
    m->res = res;
    return OL_OK;
}

/* The extra column; m->extra stays NULL when every row's is empty (today's SDKs). */
static int ol_match_extra(ol_match_t *m)
{
    if (m->have_extra) return OL_OK;
    ol_slice_t in;
    int rc = ol_match_column(m, OL_SLICE_LIT("extra"), true, &in);
    if (rc) return rc;
    bool empty = in.len == m->n;
    for (size_t i = 0; empty && i < in.len; i++) empty = in.ptr[i] == 0;
    if (!empty) {
        m->extra = ol_match_alloc(m, m->n, sizeof *m->extra);
        if (!m->extra) return OL_NOMEM;
        size_t used = 0;
        if ((rc = ol_dec_bytes(in, m->extra, m->n, &used, m->err))) return rc;
        if (used != in.len) return ol_match_fail(m, "stray bytes after column extra");
    }
    m->have_extra = true;
    return OL_OK;
}

/* ---- Conditions ---- */

/* Renders an encoded AnyValue and compares its text with want. */
static bool ol_match_text_is(ol_match_t *m, ol_slice_t any_value, ol_slice_t want)
{
    ol_buf_reset(&m->tmp);
    ol_otlp_anyvalue_text(any_value, &m->tmp);
    return !m->tmp.err && ol_slice_eq(ol_buf_slice(&m->tmp), want);
}

/* An AnyValue holding one varint (field 3) or fixed64 (field 4) scalar. */
static ol_slice_t ol_match_scalar_av(uint8_t *av, uint32_t field, uint64_t v)
{
    size_t k = 0;
    if (field == 3) {
        av[k++] = 0x18;
        while (v >= 0x80) av[k++] = (uint8_t)(v | 0x80), v >>= 7;
        av[k++] = (uint8_t)v;
    } else {
        av[k++] = 0x21;
        ol_store_le64(av + k, v);
        k += 8;
    }
    return ol_slice(av, k);
}

/* Which bool, int and double render as the condition's value. */
static void ol_match_prepare(ol_match_t *m, ol_mcond_t *c)
{
    ol_slice_t v = c->value;
    c->bool_v = ol_slice_eq_cstr(v, "true") ? 1 : ol_slice_eq_cstr(v, "false") ? 0 : -1;
    if (ol_slice_eq_cstr(v, "NaN")) {
        c->dbl = 2;
        return;
    }
    if (v.len == 0 || v.len >= OL_MATCH_TEXT_MAX) return;
    char s[OL_MATCH_TEXT_MAX];
    memcpy(s, v.ptr, v.len);
    s[v.len] = 0;
    uint8_t av[16];
    char *e = NULL;
    errno = 0;
    long long iv = strtoll(s, &e, 10);
    if (errno == 0 && e == s + v.len && ol_match_text_is(m, ol_match_scalar_av(av, 3, (uint64_t)iv), v)) {
        c->int_ok = true;
        c->int_v = iv;
    }
    double dv = strtod(s, &e);
    uint64_t bits;
    memcpy(&bits, &dv, 8);
    if (e == s + v.len && ol_match_text_is(m, ol_match_scalar_av(av, 4, bits), v)) {
        c->dbl = 1;
        c->dbl_bits = bits;
    }
}

typedef struct ol_mkv {
    ol_match_t *m;
    uint32_t mask;
} ol_mkv_t;

/* A KeyValue of a resource or of extra, tested as the span matcher tests it. */
static int ol_match_kv(void *ud, ol_slice_t key, ol_slice_t any_value)
{
    ol_mkv_t *k = ud;
    ol_match_t *m = k->m;
    bool rendered = false;
    for (size_t i = 0; i < m->n_c; i++) {
        if ((k->mask >> i) & 1 || !ol_slice_eq(key, m->c[i].key)) continue;
        if (!rendered) {
            ol_buf_reset(&m->tmp);
            ol_otlp_anyvalue_text(any_value, &m->tmp);
            rendered = true;
        }
        if (!m->tmp.err && ol_slice_eq(ol_buf_slice(&m->tmp), m->c[i].value)) k->mask |= 1u << i;
    }
    return OL_OK;
}

static uint32_t ol_match_res_mask(ol_match_t *m, size_t r)
{
    if (!m->res_done[r]) {
        ol_mkv_t k = {m, 0};
        if (m->res_bytes[r].len) ol_otlp_each_attribute(m->res_bytes[r], OL_MATCH_RESOURCE_ATTRS, ol_match_kv, &k);
        m->res_mask[r] = k.mask;
        m->res_done[r] = 1;
    }
    return m->res_mask[r];
}

/* ---- Attribute groups ---- */

/* One attribute group of `count` values at the front of *in (docs/format/
 * part.md, "Attributes"). For each of the n_cs conditions on its key, fills
 * the condition's hit flags; with none, only checks and skips the group. */
static int ol_match_group(ol_match_t *m, ol_slice_t *in, size_t count, ol_mcond_t *const *cs, size_t n_cs)
{
    const uint8_t *p = in->ptr, *end = ol_match_end(*in);
    if (count > (size_t)(end - p)) return ol_match_fail(m, "attribute types truncated");
    const uint8_t *types = p;
    p += count;
    size_t nt[6] = {0};
    for (size_t j = 0; j < count; j++) {
        if (types[j] > OL_AV_RAW) return ol_match_fail(m, "bad attribute type");
        nt[types[j]]++;
    }
    /* Strings: dictionary, then ids. */
    const uint8_t *dict_at = p;
    uint64_t n_dict = 0;
    if (!ol_match_varint(&p, end, &n_dict) || n_dict > (uint64_t)(end - p)) return ol_match_fail(m, "bad dictionary size");
    uint8_t *dmatch[OL_MATCH_MAX_ATTRS] = {0}; /* per condition: dictionary entry equals its value */
    if (n_cs) {
        ol_slice_t *dict = ol_match_alloc(m, (size_t)n_dict, sizeof *dict);
        if (!dict) return OL_NOMEM;
        size_t got = 0, used = 0;
        int rc = ol_dict_decode(ol_slice(dict_at, (size_t)(end - dict_at)), dict, (size_t)n_dict, &got, &used, m->err);
        if (rc) return rc;
        p = dict_at + used;
        for (size_t k = 0; k < n_cs; k++) {
            dmatch[k] = ol_match_alloc(m, (size_t)n_dict, 1);
            if (!dmatch[k]) return OL_NOMEM;
            for (size_t e = 0; e < n_dict; e++) dmatch[k][e] = ol_slice_eq(dict[e], cs[k]->value);
        }
    } else {
        uint64_t total = 0, len = 0;
        for (uint64_t e = 0; e < n_dict; e++) {
            if (!ol_match_varint(&p, end, &len) || len > (uint64_t)(end - p) - total)
                return ol_match_fail(m, "bad dictionary entry");
            total += len;
        }
        p += total;
    }
    uint32_t *str_ids = n_cs ? ol_match_alloc(m, nt[OL_AV_STRING], sizeof *str_ids) : NULL;
    if (n_cs && !str_ids) return OL_NOMEM;
    for (size_t j = 0; j < nt[OL_AV_STRING]; j++) {
        uint64_t id = 0;
        if (!ol_match_varint(&p, end, &id) || id >= n_dict) return ol_match_fail(m, "bad string id");
        if (str_ids) str_ids[j] = (uint32_t)id;
    }
    int64_t *ints = n_cs ? ol_match_alloc(m, nt[OL_AV_INT], sizeof *ints) : NULL;
    if (n_cs && !ints) return OL_NOMEM;
    for (size_t j = 0; j < nt[OL_AV_INT]; j++) {
        uint64_t z = 0;
        if (!ol_match_varint(&p, end, &z)) return ol_match_fail(m, "bad int value");
        if (ints) ints[j] = ol_pb_zigzag_decode(z);
    }
    const uint8_t *dbls = p, *bools;
    if (nt[OL_AV_DOUBLE] > (size_t)(end - p) / 8) return ol_match_fail(m, "double values truncated");
    p += 8 * nt[OL_AV_DOUBLE];
    bools = p;
    if (nt[OL_AV_BOOL] > (size_t)(end - p)) return ol_match_fail(m, "bool values truncated");
    p += nt[OL_AV_BOOL];
    ol_slice_t *raws = NULL;
    if (n_cs) {
        raws = ol_match_alloc(m, nt[OL_AV_RAW], sizeof *raws);
        if (!raws) return OL_NOMEM;
        size_t used = 0;
        int rc = ol_dec_bytes(ol_slice(p, (size_t)(end - p)), raws, nt[OL_AV_RAW], &used, m->err);
        if (rc) return rc;
        p += used;
    } else {
        uint64_t total = 0, len = 0;
        for (size_t j = 0; j < nt[OL_AV_RAW]; j++) {
            if (!ol_match_varint(&p, end, &len) || len > (uint64_t)(end - p) - total)
                return ol_match_fail(m, "bad raw attribute value");
            total += len;
        }
        p += total;
    }
    *in = ol_slice(p, (size_t)(end - p));

    for (size_t k = 0; k < n_cs; k++) {
        ol_mcond_t *c = cs[k];
        c->hit = ol_match_alloc(m, count, 1);
        if (!c->hit) return OL_NOMEM;
        size_t at[6] = {0};
        bool any = false;
        for (size_t j = 0; j < count; j++) {
            uint8_t t = types[j];
            size_t i = at[t]++;
            bool h = false;
            switch (t) {
            case OL_AV_NONE: h = c->value.len == 0; break; /* no value renders as "" */
            case OL_AV_STRING: h = dmatch[k][str_ids[i]]; break;
            case OL_AV_BOOL: h = c->bool_v >= 0 && (bools[i] != 0) == (c->bool_v == 1); break;
            case OL_AV_INT: h = c->int_ok && ints[i] == c->int_v; break;
            case OL_AV_DOUBLE: {
                uint64_t b = ol_load_le64(dbls + 8 * i);
                h = c->dbl == 1 ? b == c->dbl_bits
                                : c->dbl == 2 && (b & 0x7ff0000000000000ull) == 0x7ff0000000000000ull &&
                                      (b & 0x000fffffffffffffull) != 0;
                break;
            }
            case OL_AV_RAW: h = ol_match_text_is(m, raws[i], c->value); break;
            }
            c->hit[j] = h;
            any |= h;
        }
        c->any_hit |= any;
    }
    return OL_OK;
}

/* ---- The steps, cheapest first ---- */

static int ol_match_name(ol_match_t *m)
{
    ol_slice_t in;
    int rc = ol_match_column(m, OL_SLICE_LIT("name"), true, &in);
    if (rc) return rc;
    const uint8_t *p = in.ptr, *end = ol_match_end(in);
    uint64_t n_dict = 0;
    if (!ol_match_varint(&p, end, &n_dict) || n_dict > in.len) return ol_match_fail(m, "bad name dictionary");
    ol_slice_t *dict = ol_match_alloc(m, (size_t)n_dict, sizeof *dict);
    uint8_t *want = ol_match_alloc(m, (size_t)n_dict, 1);
    if (!dict || !want) return OL_NOMEM;
    size_t got = 0, used = 0;
    if ((rc = ol_dict_decode(in, dict, (size_t)n_dict, &got, &used, m->err))) return rc;
    bool any = false;
    for (size_t e = 0; e < got; e++) any |= want[e] = ol_slice_eq(dict[e], m->f->name);
    if (!any) { /* the dictionary proves no row has the name */
        m->n_ok = 0;
        return OL_OK;
    }
    p = in.ptr + used;
    size_t left = 0;
    for (size_t i = 0; i < m->n; i++) {
        uint64_t id = 0;
        if (!ol_match_varint(&p, end, &id) || id >= got) return ol_match_fail(m, "bad name id");
        left += m->ok[i] &= want[id];
    }
    if (p != end) return ol_match_fail(m, "stray bytes after column name");
    m->n_ok = left;
    return OL_OK;
}

static int ol_match_service(ol_match_t *m)
{
    int rc = ol_match_resources(m);
    if (rc) return rc;
    uint8_t *want = ol_match_alloc(m, m->n_res, 1);
    if (!want) return OL_NOMEM;
    bool any = false, all = true;
    for (size_t r = 0; r < m->n_res; r++) {
        ol_slice_t svc = m->res_svc[r].len ? m->res_svc[r] : OL_SLICE_LIT(OL_STORE_UNKNOWN_SERVICE);
        want[r] = ol_slice_eq(svc, m->f->service);
        any |= want[r];
        all &= want[r];
    }
    if (!any) {
        m->n_ok = 0;
        return OL_OK;
    }
    if (all) return OL_OK;
    if ((rc = ol_match_resource_column(m))) return rc;
    size_t left = 0;
    for (size_t i = 0; i < m->n; i++) left += m->ok[i] &= want[m->res[i]];
    m->n_ok = left;
    return OL_OK;
}

/* The status code of a row whose Status is kept whole in extra, as the
 * rebuilt span reports it: the last varint code of the last Status, else 0. */
static int ol_match_extra_status(ol_slice_t extra)
{
    int32_t code = 0;
    ol_pb_reader_t r, sr;
    ol_pb_field_value_t f, sf;
    ol_pb_reader_init(&r, extra);
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.number != 15 || f.wire_type != OL_PB_LEN) continue;
        ol_pb_reader_init(&sr, f.bytes);
        while (ol_pb_next(&sr, &sf) == OL_OK)
            if (sf.number == 3 && sf.wire_type == OL_PB_VARINT) code = (int32_t)sf.u64;
    }
    return code;
}

static int ol_match_status(ol_match_t *m)
{
    ol_slice_t in;
    int rc = ol_match_column(m, OL_SLICE_LIT("status_code"), true, &in);
    if (rc) return rc;
    if (in.len != m->n) return ol_match_fail(m, "status_code column of the wrong size");
    size_t left = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (!m->ok[i]) continue;
        int code = in.ptr[i];
        if (code == OL_STATUS_IN_EXTRA) {
            if ((rc = ol_match_extra(m))) return rc;
            code = m->extra ? ol_match_extra_status(m->extra[i]) : 0;
        }
        left += m->ok[i] = code == m->f->status;
    }
    m->n_ok = left;
    return OL_OK;
}

/* Rows of the values of one key, in value order. */
typedef struct ol_mrows {
    uint32_t *v;
    size_t n, cap;
} ol_mrows_t;

static int ol_match_push(ol_match_t *m, ol_mrows_t *r, size_t row)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 1024;
        uint32_t *v = ol_match_alloc(m, cap, sizeof *v); /* the old array stays in the arena */
        if (!v) return OL_NOMEM;
        if (r->n) memcpy(v, r->v, r->n * sizeof *v);
        r->v = v;
        r->cap = cap;
    }
    r->v[r->n++] = (uint32_t)row;
    return OL_OK;
}

/* Walks attr_keys (per row a count, then that many key ids): counts the
 * values of each key (the size of its group) and lists, for each key with a
 * slot (1-based), the row of each of its values. */
static int ol_match_scan_keys(ol_match_t *m, ol_slice_t in, uint32_t *per_key, const uint8_t *slot, ol_mrows_t *rows)
{
    const uint8_t *p = in.ptr, *end = ol_match_end(in);
    for (size_t i = 0; i < m->n; i++) {
        uint64_t c = 0, key = 0;
        if (!ol_match_varint(&p, end, &c) || c > (uint64_t)(end - p)) return ol_match_fail(m, "bad attribute count");
        for (uint64_t j = 0; j < c; j++) {
            if (!ol_match_varint(&p, end, &key) || key >= m->n_keys) return ol_match_fail(m, "bad attribute key");
            per_key[key]++;
            if (slot[key] && ol_match_push(m, &rows[slot[key] - 1], i)) return OL_NOMEM;
        }
    }
    return p == end ? OL_OK : ol_match_fail(m, "stray bytes after column attr_keys");
}

/* The name of key k's column with this prefix ("a:" or "r:"), in m->tmp. */
static int ol_match_key_column(ol_match_t *m, const char *prefix, uint32_t k)
{
    ol_buf_reset(&m->tmp);
    ol_buf_append_cstr(&m->tmp, prefix);
    ol_buf_append_slice(&m->tmp, m->keys[k]);
    return m->tmp.err ? OL_NOMEM : OL_OK;
}

/* Whether granule g has a column of this name (no I/O). */
static bool ol_match_has_column(ol_match_t *m, ol_slice_t name)
{
    ol_slice_t names[OL_MATCH_MAX_COLUMNS];
    size_t n = OL_MIN(ol_part_columns(m->p, m->g, names, OL_MATCH_MAX_COLUMNS), (size_t)OL_MATCH_MAX_COLUMNS);
    for (size_t i = 0; i < n; i++)
        if (ol_slice_eq(names[i], name)) return true;
    return false;
}

/* The rows of the values of each wanted key from its r:<key> column, when
 * every wanted key has r:<key> and a:<key>: then attr_keys need not be
 * walked. *direct is false (and nothing is filled) otherwise. */
static int ol_match_rows(ol_match_t *m, const uint32_t *slot_key, size_t n_slots, uint32_t *per_key, ol_mrows_t *rows,
                         bool *direct)
{
    *direct = false;
    if (ol_part_columns(m->p, m->g, NULL, 0) > OL_MATCH_MAX_COLUMNS) return OL_OK;
    for (size_t s = 0; s < n_slots; s++) {
        if (ol_match_key_column(m, "a:", slot_key[s])) return OL_NOMEM;
        if (!ol_match_has_column(m, ol_buf_slice(&m->tmp))) return OL_OK;
        if (ol_match_key_column(m, "r:", slot_key[s])) return OL_NOMEM;
        if (!ol_match_has_column(m, ol_buf_slice(&m->tmp))) return OL_OK;
    }
    for (size_t s = 0; s < n_slots; s++) {
        if (ol_match_key_column(m, "r:", slot_key[s])) return OL_NOMEM;
        ol_slice_t in;
        int rc = ol_match_column(m, ol_buf_slice(&m->tmp), true, &in);
        if (rc) return rc;
        const uint8_t *p = in.ptr, *end = ol_match_end(in);
        uint64_t count = 0, row = 0, d = 0;
        if (!ol_match_varint(&p, end, &count) || count > (uint64_t)(end - p)) return ol_match_fail(m, "bad rows column");
        for (uint64_t j = 0; j < count; j++) {
            if (!ol_match_varint(&p, end, &d) || d >= m->n || (row += d) >= m->n) return ol_match_fail(m, "bad rows column");
            if (ol_match_push(m, &rows[s], (size_t)row)) return OL_NOMEM;
        }
        if (p != end) return ol_match_fail(m, "stray bytes after a rows column");
        per_key[slot_key[s]] = (uint32_t)count;
    }
    *direct = true;
    return OL_OK;
}

/* Decodes, for every key some condition names, its group (from the key's
 * own column, else from attrs) into the conditions' hit flags. */
static int ol_match_groups(ol_match_t *m, const uint32_t *per_key, const uint32_t *key_conds)
{
    uint8_t *found = ol_match_zalloc(m, m->n_keys, 1);
    if (!found) return OL_NOMEM;
    ol_mcond_t *cs[OL_MATCH_MAX_ATTRS];
    size_t pending = 0;
    int rc = OL_OK;
    for (size_t i = 0; i < m->n_c && !rc; i++) {
        uint32_t k = m->c[i].key_id;
        if (k == UINT32_MAX || !per_key[k] || found[k] || __builtin_ctz(key_conds[k]) != (int)i) continue;
        if (ol_match_key_column(m, "a:", k)) return OL_NOMEM;
        ol_slice_t in;
        rc = ol_match_column(m, ol_buf_slice(&m->tmp), false, &in);
        if (rc == OL_NOTFOUND) {
            pending++;
            rc = OL_OK;
            continue;
        }
        if (rc) return rc;
        size_t n_cs = 0;
        for (uint32_t cm = key_conds[k]; cm; cm &= cm - 1) cs[n_cs++] = &m->c[__builtin_ctz(cm)];
        if ((rc = ol_match_group(m, &in, per_key[k], cs, n_cs))) return rc;
        if (in.len) return ol_match_fail(m, "stray bytes after an attribute column");
        found[k] = 1;
    }
    if (!pending) return OL_OK;
    ol_slice_t in;
    if ((rc = ol_match_column(m, OL_SLICE_LIT("attrs"), true, &in))) return rc;
    while (in.len && pending) {
        const uint8_t *q = in.ptr;
        uint64_t key = 0;
        if (!ol_match_varint(&q, ol_match_end(in), &key) || key >= m->n_keys || found[key])
            return ol_match_fail(m, "bad key in attrs");
        in = ol_slice(q, in.len - (size_t)(q - in.ptr));
        size_t n_cs = 0;
        for (uint32_t cm = per_key[key] ? key_conds[key] : 0; cm; cm &= cm - 1) cs[n_cs++] = &m->c[__builtin_ctz(cm)];
        if ((rc = ol_match_group(m, &in, per_key[key], cs, n_cs))) return rc;
        found[key] = 1;
        if (n_cs) pending--;
    }
    return pending ? ol_match_fail(m, "no values for a key of attr_keys") : OL_OK;
}

static int ol_match_attrs(ol_match_t *m)
{
    int rc = ol_match_keys(m);
    if (!rc) rc = ol_match_resource_column(m);
    if (!rc) rc = ol_match_extra(m);
    if (rc) return rc;
    for (size_t i = 0; i < m->n_c; i++) {
        ol_mcond_t *c = &m->c[i];
        c->key_id = UINT32_MAX;
        for (size_t k = 0; k < m->n_keys; k++) {
            if (ol_slice_eq(m->keys[k], c->key)) {
                c->key_id = (uint32_t)k;
                break;
            }
        }
        ol_match_prepare(m, c);
    }
    /* What each candidate's resource and extra KeyValues satisfy. */
    uint32_t *rmask = ol_match_alloc(m, m->n, sizeof *rmask);
    if (!rmask) return OL_NOMEM;
    uint32_t pre_any = 0;
    for (size_t i = 0; i < m->n; i++) {
        uint32_t mk = m->ok[i] ? ol_match_res_mask(m, m->res[i]) : 0;
        if (m->ok[i] && m->extra && m->extra[i].len) {
            ol_mkv_t k = {m, mk};
            ol_otlp_each_attribute(m->extra[i], OL_MATCH_SPAN_ATTRS, ol_match_kv, &k);
            mk = k.mask;
        }
        rmask[i] = mk;
        pre_any |= mk;
    }
    bool groups = false;
    for (size_t i = 0; i < m->n_c; i++) {
        if (m->c[i].key_id != UINT32_MAX) groups = true;
        else if (!((pre_any >> i) & 1)) { /* no span of the part has the key */
            m->n_ok = 0;
            return OL_OK;
        }
    }
    if (groups) {
        ol_slice_t keys_col;
        uint32_t *per_key = ol_match_zalloc(m, m->n_keys, sizeof *per_key);
        uint32_t *key_conds = ol_match_zalloc(m, m->n_keys, sizeof *key_conds);
        uint8_t *slot = ol_match_zalloc(m, m->n_keys, 1);
        if (!per_key || !key_conds || !slot) return OL_NOMEM;
        ol_mrows_t rows[OL_MATCH_MAX_ATTRS] = {{0}};
        uint32_t slot_key[OL_MATCH_MAX_ATTRS];
        size_t n_slots = 0;
        for (size_t i = 0; i < m->n_c; i++) {
            uint32_t k = m->c[i].key_id;
            if (k == UINT32_MAX) continue;
            if (!slot[k]) slot_key[n_slots] = k, slot[k] = (uint8_t)++n_slots;
            key_conds[k] |= 1u << i;
        }
        bool direct = false;
        if ((rc = ol_match_rows(m, slot_key, n_slots, per_key, rows, &direct))) return rc;
        if (!direct) {
            if ((rc = ol_match_column(m, OL_SLICE_LIT("attr_keys"), true, &keys_col))) return rc;
            if ((rc = ol_match_scan_keys(m, keys_col, per_key, slot, rows))) return rc;
        }
        if ((rc = ol_match_groups(m, per_key, key_conds))) return rc;
        for (size_t i = 0; i < m->n_c; i++) {
            if (!m->c[i].any_hit && !((pre_any >> i) & 1)) { /* no value of the granule renders as wanted */
                m->n_ok = 0;
                return OL_OK;
            }
        }
        /* The rows whose own values hit. */
        for (size_t s = 0; s < n_slots; s++) {
            uint32_t k = slot_key[s];
            for (uint32_t cm = key_conds[k]; cm && per_key[k]; cm &= cm - 1) {
                int i = __builtin_ctz(cm);
                const ol_mcond_t *c = &m->c[i];
                if (!c->any_hit) continue;
                for (size_t j = 0; j < rows[s].n; j++)
                    if (c->hit[j]) rmask[rows[s].v[j]] |= 1u << i;
            }
        }
    }
    uint32_t all = (uint32_t)((1ull << m->n_c) - 1);
    size_t left = 0;
    for (size_t i = 0; i < m->n; i++) left += m->ok[i] &= (rmask[i] & all) == all;
    m->n_ok = left;
    return OL_OK;
}

/* Duration bounds, then one call per trace with a candidate left. */
static int ol_match_emit(ol_match_t *m, ol_part_hit_fn fn, void *ud)
{
    size_t n = m->n, used = 0;
    ol_slice_t tid, st, du;
    const ol_part_span_filter_t *f = m->f;
    bool want_dur = !f->start_only || f->min_duration_ns || f->max_duration_ns;
    int rc = ol_match_column(m, OL_SLICE_LIT("trace_id"), true, &tid);
    if (!rc) rc = ol_match_column(m, OL_SLICE_LIT("start"), true, &st);
    if (!rc && want_dur) rc = ol_match_column(m, OL_SLICE_LIT("duration"), true, &du);
    if (rc) return rc;
    /* Trace runs: count, then per run its length and id. */
    const uint8_t *p = tid.ptr, *end = ol_match_end(tid);
    uint64_t n_runs = 0;
    if (!ol_match_varint(&p, end, &n_runs) || n_runs > n) return ol_match_fail(m, "bad trace_id runs");
    size_t *run_len = ol_match_alloc(m, (size_t)n_runs, sizeof *run_len);
    const uint8_t **run_id = ol_match_alloc(m, (size_t)n_runs, sizeof *run_id);
    uint64_t *start = ol_match_alloc(m, n, sizeof *start);
    int64_t *dur = ol_match_alloc(m, n, sizeof *dur);
    if (!run_len || !run_id || !start || !dur) return OL_NOMEM;
    size_t rows = 0, traces = 0; /* adjacent runs of one id are one trace, as for rebuilt spans */
    for (uint64_t k = 0; k < n_runs; k++) {
        uint64_t len = 0;
        if (!ol_match_varint(&p, end, &len) || len == 0 || len > n - rows || (size_t)(end - p) < 16)
            return ol_match_fail(m, "bad trace_id run");
        if (traces && memcmp(run_id[traces - 1], p, 16) == 0) {
            run_len[traces - 1] += (size_t)len;
        } else {
            run_len[traces] = (size_t)len;
            run_id[traces++] = p;
        }
        p += 16;
        rows += (size_t)len;
    }
    if (rows != n || p != end) return ol_match_fail(m, "trace_id runs do not cover the granule");
    if ((rc = ol_dec_delta(st, ol_part_granule(m->p, m->g)->min_time_ns, start, n, &used, m->err))) return rc;
    if (used != st.len) return ol_match_fail(m, "stray bytes after column start");
    if (want_dur) {
        if ((rc = ol_dec_zigzag(du, dur, n, &used, m->err))) return rc;
        if (used != du.len) return ol_match_fail(m, "stray bytes after column duration");
    }
    if (f->min_duration_ns || f->max_duration_ns) {
        for (size_t i = 0; i < n; i++) {
            uint64_t e = start[i] + (uint64_t)dur[i], d = e > start[i] ? e - start[i] : 0;
            if ((f->min_duration_ns && d < f->min_duration_ns) || (f->max_duration_ns && d > f->max_duration_ns))
                m->ok[i] = 0;
        }
    }
    size_t r0 = 0;
    for (size_t k = 0; k < traces; r0 += run_len[k++]) {
        size_t r1 = r0 + run_len[k];
        if (!memchr(m->ok + r0, 1, r1 - r0)) continue;
        uint64_t s = UINT64_MAX, e = 0;
        for (size_t i = r0; i < r1; i++) {
            if (start[i] < s) s = start[i];
            uint64_t ei = f->start_only ? 0 : start[i] + (uint64_t)dur[i];
            if (ei > e) e = ei;
        }
        if ((rc = fn(ud, run_id[k], s, e))) return rc;
    }
    return OL_OK;
}

int ol_part_spans_match(const ol_part_t *p, uint32_t g, const ol_part_span_filter_t *f, ol_part_hit_fn fn, void *ud,
                        ol_err_t *err)
{
    if (g >= ol_part_info(p)->granules) return OL_NOTFOUND;
    ol_match_t m = {.p = p, .g = g, .n = ol_part_granule(p, g)->rows, .f = f, .err = err};
    if (ol_part_info(p)->signal != OL_SIGNAL_TRACES) return ol_match_fail(&m, "not a traces part");
    if (m.n > OL_PART_GRANULE_ROWS) return ol_match_fail(&m, "more rows than a granule holds");
    m.a = ol_arena_create(1 << 16, 0);
    if (!m.a) return OL_NOMEM;
    ol_buf_init(&m.tmp, OL_MEM_STORE, 0);
    m.n_c = OL_MIN(f->n_attrs, (size_t)OL_MATCH_MAX_ATTRS);
    for (size_t i = 0; i < m.n_c; i++) m.c[i] = (ol_mcond_t){.key = f->attr_keys[i], .value = f->attr_values[i]};
    int rc = OL_OK;
    m.ok = ol_match_alloc(&m, m.n, 1);
    if (!m.ok) rc = OL_NOMEM;
    else memset(m.ok, 1, m.n);
    m.n_ok = m.n;
    if (!rc && m.n_ok && f->name.len) rc = ol_match_name(&m);
    if (!rc && m.n_ok && f->service.len) rc = ol_match_service(&m);
    if (!rc && m.n_ok && f->status >= 0) rc = ol_match_status(&m);
    if (!rc && m.n_ok && m.n_c) rc = ol_match_attrs(&m);
    if (!rc && m.n_ok) rc = ol_match_emit(&m, fn, ud);
    for (size_t i = 0; i < m.n_bufs; i++) ol_buf_free(&m.bufs[i]);
    ol_free(OL_MEM_STORE, m.bufs, m.n_bufs * sizeof *m.bufs);
    ol_buf_free(&m.tmp);
    ol_arena_destroy(m.a);
    return rc;
}
