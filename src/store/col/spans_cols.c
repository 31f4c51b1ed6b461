/*
 * spans_cols.c - a traces part's granules as columns, for scans that read a
 * few fields of many spans (spans_cols.h; store/scan_cols.h for what the
 * caller gets).
 *
 * Each asked-for field is decoded from its own column (docs/format/
 * part.md): `start` (unless the granule lies inside the window), `duration`,
 * `name`, `kind`, `status_code`, `status_message`, `trace_state`, `events`,
 * `links`, `resource` and `scope`; `trace_id`, `span_id` and `parent` for
 * the ids. Nothing is
 * re-encoded. The values are the ones the rebuilt span (spans_read.c) gives
 * a reader of its bytes:
 *
 *  - a Status the part keeps whole in `extra` (status_code 128) gives the
 *    last code of the last Status there, and any Status in `extra` gives
 *    the message, since it comes after the canonical one in the rebuilt span;
 *  - an attribute key's value in a row is the first of that key in the
 *    row's list: from the key's `a:<key>` group, its rows from `r:<key>`
 *    (or, in parts written before `r:` columns, from walking `attr_keys`);
 *    a key without its own column is found in `attrs` after walking
 *    `attr_keys` for the group sizes; a row without such a value falls back
 *    to the unusual KeyValues kept in `extra` (each read as the SQL tables
 *    read a KeyValue: its last key and last value);
 *  - `extra` is read only for status and attribute values, and skipped as a
 *    whole when every row's is empty (spans from today's SDKs).
 *
 * Memory: the part tables once per reader (its own arena); per granule, the
 * column blocks in buffers reused from granule to granule and the decoded
 * arrays in an arena reset each time.
 */
#include "codec/pb.h"
#include "core/alloc.h"
#include "core/util.h"
#include "store/col/enc.h"
#include "store/col/spans_cols.h"
#include "store/col/spans_int.h"

/* Column buffers: these, then a:<key> and r:<key> per requested key. */
enum {
    PC_TRACE_ID,
    PC_SPAN_ID,
    PC_PARENT,
    PC_START,
    PC_DURATION,
    PC_NAME,
    PC_KIND,
    PC_STATUS,
    PC_STATUS_MSG,
    PC_TRACE_STATE,
    PC_EVENTS,
    PC_LINKS,
    PC_EXTRA,
    PC_RESOURCE,
    PC_SCOPE,
    PC_ATTR_KEYS,
    PC_ATTRS,
    PC__FIXED
};

enum { F_SPAN_ATTRIBUTES = 9, F_SPAN_STATUS = 15, F_STATUS_MESSAGE = 2, F_STATUS_CODE = 3 };

#define PC_PAIR_TABLE (1u << 18) /* resource x scope pairs indexed by a table (1 MiB), beyond by a map */

/* One attribute group (docs/format/part.md, "Attributes"), decoded. */
typedef struct pc_group {
    size_t m;
    const uint8_t *types;
    ol_slice_t *dict;
    size_t n_dict;
    uint32_t *str_ids;
    int64_t *ints;
    const uint8_t *dbls, *bools;
    ol_slice_t *raws;
} pc_group_t;

struct ol_part_cols {
    const ol_part_t *p;
    const ol_span_cols_req_t *req;
    uint32_t want;
    bool need_extra, need_ids;
    ol_arena_t *pa;  /* the reader's lifetime */
    ol_arena_t *a;   /* one granule */
    ol_buf_t *bufs;  /* per column slot */
    size_t n_bufs;
    ol_buf_t name;   /* "a:<key>" / "r:<key>" */
    ol_err_t *err;
    uint32_t g;
    size_t n;
    uint64_t bytes;

    /* part tables */
    size_t n_res, n_sc;
    ol_slice_t *res_bytes, *res_url, *sc_bytes, *sc_url, *res_svc;
    uint8_t *res_keep;
    bool any_res, all_res;
    ol_slice_t *keys;
    size_t n_keys;
    uint32_t *key_id; /* per requested key: in the key table, UINT32_MAX when the part has none */
    size_t *key_first; /* per requested key: the first requested key of the same name */

    /* resource + scope pairs seen, in first-seen order; the index of a pair
     * by table (pair_ix: index + 1, 0 unseen) when the part has few enough
     * pairs, else by a map from pair + 1 to index */
    ol_otlp_origin_t *origins;
    size_t n_origins, cap_origins;
    uint32_t *pair_ix;
    uint64_t *om_key;
    uint32_t *om_val;
    size_t om_cap;

    /* the granule being read */
    ol_slice_t *extra; /* NULL when no row has any */
    uint64_t *res;
    uint32_t *per_key;   /* values per key id (attr_keys walked) */
    uint32_t **key_rows; /* per requested key: the row of each of its values (attr_keys walked) */
    size_t *key_nrows;
    bool *own;           /* per requested key: read from its own a:<key> column */
    ol_span_value_t **values;
};

static int pc_fail(ol_part_cols_t *r, const char *what)
{
    ol_err_set(r->err, "part %s: granule %u: %s", ol_part_path(r->p), r->g, what);
    return OL_CORRUPT;
}

static const uint8_t *pc_end(ol_slice_t s) { return s.len ? s.ptr + s.len : s.ptr; }

static inline bool pc_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    const uint8_t *q = *p;
    if (q < end && q[0] < 0x80) {
        *v = q[0];
        *p = q + 1;
        return true;
    }
    if (end - q >= 2 && q[1] < 0x80) {
        *v = (uint64_t)(q[0] & 0x7f) | (uint64_t)q[1] << 7;
        *p = q + 2;
        return true;
    }
    return ol_pb_read_varint(p, end, v) == OL_OK;
}

static void *pc_alloc(ol_arena_t *a, size_t count, size_t size)
{
    if (count && size > SIZE_MAX / count) return NULL;
    return ol_arena_alloc(a, (count ? count : 1) * size);
}

static void *pc_zalloc(ol_arena_t *a, size_t count, size_t size)
{
    if (count && size > SIZE_MAX / count) return NULL;
    return ol_arena_calloc(a, (count ? count : 1) * size);
}

/* Reads column `name` of the granule into buffer `slot`. OL_NOTFOUND when
 * the granule has none, unless `required` (then OL_CORRUPT). */
static int pc_column(ol_part_cols_t *r, size_t slot, ol_slice_t name, bool required, ol_slice_t *out)
{
    ol_buf_t *b = &r->bufs[slot];
    ol_buf_reset(b);
    int rc = ol_part_read_column(r->p, r->g, name, b, r->err);
    if (rc == OL_NOTFOUND && required) {
        ol_err_set(r->err, "part %s: granule %u has no column %.*s", ol_part_path(r->p), r->g, (int)name.len,
                   (const char *)name.ptr);
        return OL_CORRUPT;
    }
    if (rc) return rc;
    if (b->err) return OL_NOMEM;
    r->bytes += b->len;
    *out = ol_buf_slice(b);
    return OL_OK;
}

static int pc_col(ol_part_cols_t *r, size_t slot, const char *name, ol_slice_t *out)
{
    return pc_column(r, slot, ol_slice_cstr(name), true, out);
}

static int pc_done(ol_part_cols_t *r, ol_slice_t in, size_t used, const char *col)
{
    if (used != in.len) {
        ol_err_set(r->err, "part %s: granule %u: %zu stray bytes after column %s", ol_part_path(r->p), r->g,
                   in.len - used, col);
        return OL_CORRUPT;
    }
    return OL_OK;
}

/* A dictionary at the front of *in, its size bounded by the bytes holding it. */
static int pc_dict(ol_part_cols_t *r, ol_slice_t *in, ol_slice_t **dict, size_t *n_dict)
{
    const uint8_t *p = in->ptr;
    uint64_t c = 0;
    if (!in->len || !pc_varint(&p, pc_end(*in), &c) || c > in->len) return pc_fail(r, "bad dictionary size");
    *dict = pc_alloc(r->a, (size_t)c, sizeof **dict);
    if (!*dict) return OL_NOMEM;
    size_t used = 0;
    int rc = ol_dict_decode(*in, *dict, (size_t)c, n_dict, &used, r->err);
    if (rc) return rc == OL_LIMIT ? OL_CORRUPT : rc;
    *in = ol_slice(in->ptr + used, in->len - used);
    return OL_OK;
}

/* A string column of m values at the front of *in: ids below the dictionary
 * size, or with `optional` 0 for absent and k for entry k - 1. */
static int pc_strings(ol_part_cols_t *r, ol_slice_t *in, size_t m, bool optional, ol_slice_t **dict, size_t *n_dict,
                      uint32_t **ids)
{
    int rc = pc_dict(r, in, dict, n_dict);
    if (rc) return rc;
    *ids = pc_alloc(r->a, m, sizeof **ids);
    if (!*ids) return OL_NOMEM;
    const uint8_t *p = in->ptr, *end = pc_end(*in);
    uint64_t lim = optional ? *n_dict + 1 : *n_dict, id = 0;
    for (size_t i = 0; i < m; i++) {
        if (!pc_varint(&p, end, &id) || id >= lim) return pc_fail(r, "string id beyond its dictionary");
        (*ids)[i] = (uint32_t)id;
    }
    *in = ol_slice(p, (size_t)(end - p));
    return OL_OK;
}

/* An optional string column as one slice per row ("" when absent). */
static int pc_opt_strings(ol_part_cols_t *r, size_t slot, const char *col, ol_slice_t **out)
{
    ol_slice_t in, *dict;
    size_t n_dict = 0;
    uint32_t *ids;
    int rc = pc_col(r, slot, col, &in);
    ol_slice_t all = in;
    if (!rc) rc = pc_strings(r, &in, r->n, true, &dict, &n_dict, &ids);
    if (!rc) rc = pc_done(r, all, all.len - in.len, col);
    if (rc) return rc;
    *out = pc_alloc(r->a, r->n, sizeof **out);
    if (!*out) return OL_NOMEM;
    for (size_t i = 0; i < r->n; i++) (*out)[i] = ids[i] ? dict[ids[i] - 1] : OL_SLICE_LIT("");
    return OL_OK;
}

static int pc_bytes(ol_part_cols_t *r, size_t slot, const char *col, ol_slice_t **out)
{
    ol_slice_t in;
    size_t used = 0;
    int rc = pc_col(r, slot, col, &in);
    if (rc) return rc;
    *out = pc_alloc(r->a, r->n, sizeof **out);
    if (!*out) return OL_NOMEM;
    if ((rc = ol_dec_bytes(in, *out, r->n, &used, r->err))) return rc;
    return pc_done(r, in, used, col);
}

static int pc_u8(ol_part_cols_t *r, size_t slot, const char *col, const uint8_t **out)
{
    ol_slice_t in;
    int rc = pc_col(r, slot, col, &in);
    if (rc) return rc;
    if (in.len != r->n) return pc_fail(r, "a one-byte column of the wrong size");
    *out = in.ptr;
    return OL_OK;
}

/* A column of uvarints, each below `limit`. */
static int pc_indexes(ol_part_cols_t *r, size_t slot, const char *col, uint64_t limit, uint64_t **out)
{
    ol_slice_t in;
    int rc = pc_col(r, slot, col, &in);
    if (rc) return rc;
    *out = pc_alloc(r->a, r->n, sizeof **out);
    if (!*out) return OL_NOMEM;
    const uint8_t *p = in.ptr, *end = pc_end(in);
    for (size_t i = 0; i < r->n; i++)
        if (!pc_varint(&p, end, &(*out)[i]) || (*out)[i] >= limit) return pc_fail(r, "index out of range");
    return pc_done(r, in, (size_t)(p - in.ptr), col);
}

/* ---- part tables ---- */

static int pc_tables(ol_part_cols_t *r, void *ud)
{
    const char *path = ol_part_path(r->p);
    ol_slice_t t;
    if (ol_part_table(r->p, OL_SLICE_LIT("resources"), &t)) goto missing;
    const uint8_t *q = t.ptr;
    uint64_t c = 0;
    size_t used = 0;
    if (!pc_varint(&q, pc_end(t), &c) || c > t.len) goto bad;
    t = ol_slice(q, t.len - (size_t)(q - t.ptr));
    r->n_res = (size_t)c;
    r->res_bytes = pc_alloc(r->pa, r->n_res, sizeof(ol_slice_t));
    r->res_url = pc_alloc(r->pa, r->n_res, sizeof(ol_slice_t));
    r->res_svc = pc_alloc(r->pa, r->n_res, sizeof(ol_slice_t));
    r->res_keep = pc_alloc(r->pa, r->n_res, 1);
    if (!r->res_bytes || !r->res_url || !r->res_svc || !r->res_keep) return OL_NOMEM;
    ol_slice_t *res_cols[3] = {r->res_bytes, r->res_url, r->res_svc};
    for (int k = 0; k < 3; k++) {
        int rc = ol_dec_bytes(t, res_cols[k], r->n_res, &used, r->err);
        if (rc) return rc;
        t = ol_slice(t.ptr + used, t.len - used);
    }
    if (t.len) goto bad;

    if (ol_part_table(r->p, OL_SLICE_LIT("scopes"), &t)) goto missing;
    q = t.ptr;
    if (!pc_varint(&q, pc_end(t), &c) || c > t.len) goto bad;
    t = ol_slice(q, t.len - (size_t)(q - t.ptr));
    r->n_sc = (size_t)c;
    r->sc_bytes = pc_alloc(r->pa, r->n_sc, sizeof(ol_slice_t));
    r->sc_url = pc_alloc(r->pa, r->n_sc, sizeof(ol_slice_t));
    if (!r->sc_bytes || !r->sc_url) return OL_NOMEM;
    ol_slice_t *sc_cols[2] = {r->sc_bytes, r->sc_url};
    for (int k = 0; k < 2; k++) {
        int rc = ol_dec_bytes(t, sc_cols[k], r->n_sc, &used, r->err);
        if (rc) return rc;
        t = ol_slice(t.ptr + used, t.len - used);
    }
    if (t.len) goto bad;

    if (r->req->n_keys) {
        if (ol_part_table(r->p, OL_SLICE_LIT("keys"), &t)) goto missing;
        q = t.ptr;
        if (!pc_varint(&q, pc_end(t), &c) || c > t.len) goto bad;
        r->keys = pc_alloc(r->pa, (size_t)c, sizeof *r->keys);
        if (!r->keys) return OL_NOMEM;
        int rc = ol_dict_decode(t, r->keys, (size_t)c, &r->n_keys, &used, r->err);
        if (rc) return rc == OL_LIMIT ? OL_CORRUPT : rc;
        if (used != t.len) goto bad;
    }

    r->any_res = false;
    r->all_res = true;
    for (size_t i = 0; i < r->n_res; i++) {
        r->res_keep[i] = !r->req->keep_resource || r->req->keep_resource(ud, r->res_bytes[i]);
        r->any_res |= r->res_keep[i];
        r->all_res &= r->res_keep[i];
    }
    return OL_OK;
missing:
    ol_err_set(r->err, "part %s: a part table is missing", path);
    return OL_CORRUPT;
bad:
    ol_err_set(r->err, "part %s: a damaged resource, scope or key table", path);
    return OL_CORRUPT;
}

/* The index of the (resource, scope) pair's origin, added when new. */
static int pc_origin_add(ol_part_cols_t *r, uint64_t res, uint64_t sc)
{
    if (ol_grow_array(OL_MEM_STORE, (void **)&r->origins, &r->cap_origins, r->n_origins + 1, sizeof *r->origins))
        return OL_NOMEM;
    r->origins[r->n_origins++] = (ol_otlp_origin_t){
        .resource = r->res_bytes[res],
        .resource_schema_url = r->res_url[res],
        .scope = r->sc_bytes[sc],
        .scope_schema_url = r->sc_url[sc],
        .service_name = r->res_svc[res],
        .resource_index = (uint32_t)res,
    };
    return OL_OK;
}

static int pc_origin(ol_part_cols_t *r, uint64_t res, uint64_t sc, uint32_t *out)
{
    uint64_t key = res * r->n_sc + sc + 1;
    if (r->pair_ix) {
        uint32_t *slot = &r->pair_ix[key - 1];
        if (!*slot) {
            if (pc_origin_add(r, res, sc)) return OL_NOMEM;
            *slot = (uint32_t)r->n_origins;
        }
        *out = *slot - 1;
        return OL_OK;
    }
    if ((r->n_origins + 1) * 2 > r->om_cap) {
        size_t cap = r->om_cap ? r->om_cap * 2 : 64;
        uint64_t *k2 = ol_calloc(OL_MEM_STORE, cap, sizeof *k2);
        uint32_t *v2 = ol_calloc(OL_MEM_STORE, cap, sizeof *v2);
        if (!k2 || !v2) {
            ol_free(OL_MEM_STORE, k2, cap * sizeof *k2);
            ol_free(OL_MEM_STORE, v2, cap * sizeof *v2);
            return OL_NOMEM;
        }
        for (size_t i = 0; i < r->om_cap; i++) {
            if (!r->om_key[i]) continue;
            size_t j = (size_t)(ol_hash64(&r->om_key[i], 8, 0) & (cap - 1));
            while (k2[j]) j = (j + 1) & (cap - 1);
            k2[j] = r->om_key[i];
            v2[j] = r->om_val[i];
        }
        ol_free(OL_MEM_STORE, r->om_key, r->om_cap * sizeof *r->om_key);
        ol_free(OL_MEM_STORE, r->om_val, r->om_cap * sizeof *r->om_val);
        r->om_key = k2;
        r->om_val = v2;
        r->om_cap = cap;
    }
    size_t j = (size_t)(ol_hash64(&key, 8, 0) & (r->om_cap - 1));
    while (r->om_key[j] && r->om_key[j] != key) j = (j + 1) & (r->om_cap - 1);
    if (!r->om_key[j]) {
        if (pc_origin_add(r, res, sc)) return OL_NOMEM;
        r->om_key[j] = key;
        r->om_val[j] = (uint32_t)(r->n_origins - 1);
    }
    *out = r->om_val[j];
    return OL_OK;
}

int ol_part_cols_open(const ol_part_t *p, const ol_span_cols_req_t *req, void *ud, ol_part_cols_t **out,
                      ol_err_t *err)
{
    *out = NULL;
    if (ol_part_info(p)->signal != OL_SIGNAL_TRACES) {
        ol_err_set(err, "part %s: not a traces part", ol_part_path(p));
        return OL_CORRUPT;
    }
    ol_part_cols_t *r = ol_calloc(OL_MEM_STORE, 1, sizeof *r);
    if (!r) return OL_NOMEM;
    r->p = p;
    r->req = req;
    r->err = err;
    r->want = req->want;
    /* a status code alone needs `extra` only in a granule with code 128 (pc_status) */
    r->need_extra = (req->want & OL_SPAN_COL_STATUS_MSG) || req->n_keys;
    r->need_ids = req->want & (OL_SPAN_COL_TRACE_ID | OL_SPAN_COL_PARENT);
    ol_buf_init(&r->name, OL_MEM_STORE, 0);
    r->pa = ol_arena_create(16 << 10, 0);
    r->a = ol_arena_create(1 << 20, 0);
    r->n_bufs = PC__FIXED + 2 * req->n_keys;
    r->bufs = ol_calloc(OL_MEM_STORE, r->n_bufs, sizeof *r->bufs);
    int rc = r->pa && r->a && r->bufs ? OL_OK : OL_NOMEM;
    for (size_t i = 0; !rc && i < r->n_bufs; i++) ol_buf_init(&r->bufs[i], OL_MEM_STORE, 0);
    if (!rc) rc = pc_tables(r, ud);
    if (!rc && (req->want & OL_SPAN_COL_ORIGIN) && r->n_res && r->n_sc <= PC_PAIR_TABLE / r->n_res &&
        !(r->pair_ix = pc_zalloc(r->pa, r->n_res * r->n_sc, sizeof *r->pair_ix)))
        rc = OL_NOMEM;
    if (!rc && req->n_keys) {
        r->key_id = pc_alloc(r->pa, req->n_keys, sizeof *r->key_id);
        r->key_first = pc_alloc(r->pa, req->n_keys, sizeof *r->key_first);
        r->values = pc_alloc(r->pa, req->n_keys, sizeof *r->values);
        r->key_rows = pc_alloc(r->pa, req->n_keys, sizeof *r->key_rows);
        r->key_nrows = pc_alloc(r->pa, req->n_keys, sizeof *r->key_nrows);
        r->own = pc_zalloc(r->pa, req->n_keys, sizeof *r->own);
        if (!r->key_id || !r->key_first || !r->values || !r->key_rows || !r->key_nrows || !r->own) rc = OL_NOMEM;
        for (size_t k = 0; !rc && k < req->n_keys; k++) {
            r->key_id[k] = UINT32_MAX;
            for (size_t i = 0; i < r->n_keys; i++) {
                if (ol_slice_eq(r->keys[i], req->keys[k])) {
                    r->key_id[k] = (uint32_t)i;
                    break;
                }
            }
            r->key_first[k] = k;
            for (size_t j = 0; j < k; j++) {
                if (ol_slice_eq(req->keys[j], req->keys[k])) {
                    r->key_first[k] = j;
                    break;
                }
            }
        }
    }
    if (rc) {
        ol_part_cols_free(r);
        return rc;
    }
    *out = r;
    return OL_OK;
}

void ol_part_cols_free(ol_part_cols_t *r)
{
    if (!r) return;
    for (size_t i = 0; r->bufs && i < r->n_bufs; i++) ol_buf_free(&r->bufs[i]);
    ol_free(OL_MEM_STORE, r->bufs, r->n_bufs * sizeof *r->bufs);
    ol_buf_free(&r->name);
    ol_free(OL_MEM_STORE, r->origins, r->cap_origins * sizeof *r->origins);
    ol_free(OL_MEM_STORE, r->om_key, r->om_cap * sizeof *r->om_key);
    ol_free(OL_MEM_STORE, r->om_val, r->om_cap * sizeof *r->om_val);
    if (r->pa) ol_arena_destroy(r->pa);
    if (r->a) ol_arena_destroy(r->a);
    ol_free(OL_MEM_STORE, r, sizeof *r);
}

bool ol_part_cols_any_resource(const ol_part_cols_t *r) { return r->any_res; }

/* ---- attribute values ---- */

/* One group of m values at the front of *in. */
static int pc_group(ol_part_cols_t *r, ol_slice_t *in, size_t m, pc_group_t *gr)
{
    memset(gr, 0, sizeof *gr);
    gr->m = m;
    if (m > in->len) return pc_fail(r, "attribute types truncated");
    gr->types = in->ptr;
    size_t nt[OL_AV_RAW + 1] = {0};
    for (size_t j = 0; j < m; j++) {
        if (gr->types[j] > OL_AV_RAW) return pc_fail(r, "bad attribute type");
        nt[gr->types[j]]++;
    }
    *in = ol_slice(in->ptr + m, in->len - m);
    int rc = pc_strings(r, in, nt[OL_AV_STRING], false, &gr->dict, &gr->n_dict, &gr->str_ids);
    if (rc) return rc;
    gr->ints = pc_alloc(r->a, nt[OL_AV_INT], sizeof *gr->ints);
    if (!gr->ints) return OL_NOMEM;
    size_t used = 0;
    if ((rc = ol_dec_zigzag(*in, gr->ints, nt[OL_AV_INT], &used, r->err))) return rc;
    *in = ol_slice(in->ptr + used, in->len - used);
    if ((rc = ol_dec_fixed(*in, 8, nt[OL_AV_DOUBLE], &gr->dbls, &used, r->err))) return rc;
    *in = ol_slice(in->ptr + used, in->len - used);
    if (nt[OL_AV_BOOL] > in->len) return pc_fail(r, "bool values truncated");
    gr->bools = in->ptr;
    *in = ol_slice(in->ptr + nt[OL_AV_BOOL], in->len - nt[OL_AV_BOOL]);
    gr->raws = pc_alloc(r->a, nt[OL_AV_RAW], sizeof *gr->raws);
    if (!gr->raws) return OL_NOMEM;
    if ((rc = ol_dec_bytes(*in, gr->raws, nt[OL_AV_RAW], &used, r->err))) return rc;
    *in = ol_slice(in->ptr + used, in->len - used);
    return OL_OK;
}

/* Gives each row its first value of the group (rows[j] is value j's row). */
static void pc_assign(const pc_group_t *gr, const uint32_t *rows, ol_span_value_t *vals)
{
    size_t at[OL_AV_RAW + 1] = {0};
    for (size_t j = 0; j < gr->m; j++) {
        uint8_t t = gr->types[j];
        size_t i = at[t]++;
        ol_span_value_t *v = &vals[rows[j]];
        if (v->type != OL_SPAN_V_ABSENT) continue;
        switch (t) {
        case OL_AV_NONE: v->type = OL_SPAN_V_NONE; break;
        case OL_AV_STRING: v->type = OL_SPAN_V_STRING, v->s = gr->dict[gr->str_ids[i]]; break;
        case OL_AV_BOOL: v->type = OL_SPAN_V_BOOL, v->u = gr->bools[i] ? 1 : 0; break;
        case OL_AV_INT: v->type = OL_SPAN_V_INT, v->u = (uint64_t)gr->ints[i]; break;
        case OL_AV_DOUBLE: v->type = OL_SPAN_V_DOUBLE, v->u = ol_load_le64(gr->dbls + 8 * i); break;
        default: v->type = OL_SPAN_V_ANY, v->s = gr->raws[i]; break;
        }
    }
}

static int pc_key_name(ol_part_cols_t *r, const char *prefix, ol_slice_t key)
{
    ol_buf_reset(&r->name);
    ol_buf_append_cstr(&r->name, prefix);
    ol_buf_append_slice(&r->name, key);
    return r->name.err ? OL_NOMEM : OL_OK;
}

/* Walks attr_keys: the value count of every key id, and for each requested
 * key the row of each of its values. */
static int pc_walk_keys(ol_part_cols_t *r)
{
    if (r->per_key) return OL_OK;
    ol_slice_t in;
    int rc = pc_col(r, PC_ATTR_KEYS, "attr_keys", &in);
    if (rc) return rc;
    uint32_t *per_key = pc_zalloc(r->a, r->n_keys, sizeof *per_key);
    /* slot of each key id: 1 + the first requested key of that id */
    uint32_t *slot = pc_zalloc(r->a, r->n_keys, sizeof *slot);
    if (!per_key || !slot) return OL_NOMEM;
    const size_t nk = r->req->n_keys;
    for (size_t k = 0; k < nk; k++) {
        r->key_nrows[k] = 0;
        r->key_rows[k] = NULL;
        if (r->key_id[k] != UINT32_MAX && r->key_first[k] == k) slot[r->key_id[k]] = (uint32_t)k + 1;
    }
    const uint8_t *p = in.ptr, *end = pc_end(in);
    /* two passes: count, then fill */
    for (int pass = 0; pass < 2; pass++) {
        p = in.ptr;
        if (pass == 1) {
            for (size_t k = 0; k < nk; k++) {
                if (r->key_first[k] != k || r->key_id[k] == UINT32_MAX) continue;
                r->key_rows[k] = pc_alloc(r->a, per_key[r->key_id[k]], sizeof **r->key_rows);
                if (!r->key_rows[k]) return OL_NOMEM;
            }
        }
        for (size_t i = 0; i < r->n; i++) {
            uint64_t c = 0, key = 0;
            if (!pc_varint(&p, end, &c) || c > (uint64_t)(end - p)) return pc_fail(r, "bad attribute count");
            for (uint64_t j = 0; j < c; j++) {
                if (!pc_varint(&p, end, &key) || key >= r->n_keys) return pc_fail(r, "bad attribute key");
                if (pass == 0) {
                    per_key[key]++;
                } else if (slot[key]) {
                    size_t k = slot[key] - 1;
                    r->key_rows[k][r->key_nrows[k]++] = (uint32_t)i;
                }
            }
        }
        if (p != end) return pc_fail(r, "stray bytes after column attr_keys");
    }
    r->per_key = per_key;
    return OL_OK;
}

/* Requested key k's values from its own a:<key> column; *found false when
 * the granule has none (its values, if any, are in attrs). */
static int pc_key_column(ol_part_cols_t *r, size_t k, bool *found)
{
    ol_slice_t key = r->req->keys[k], in, rin;
    *found = r->own[k] = false;
    int rc = pc_key_name(r, "a:", key);
    if (!rc) rc = pc_column(r, PC__FIXED + 2 * k, ol_buf_slice(&r->name), false, &in);
    if (rc == OL_NOTFOUND) return OL_OK;
    if (rc) return rc;
    *found = r->own[k] = true;
    const uint32_t *rows = NULL;
    size_t m = 0;
    if ((rc = pc_key_name(r, "r:", key))) return rc;
    rc = pc_column(r, PC__FIXED + 2 * k + 1, ol_buf_slice(&r->name), false, &rin);
    if (rc == OL_OK) {
        const uint8_t *p = rin.ptr, *end = pc_end(rin);
        uint64_t count = 0, row = 0, d = 0;
        if (!pc_varint(&p, end, &count) || count > (uint64_t)(end - p)) return pc_fail(r, "bad rows column");
        uint32_t *v = pc_alloc(r->a, (size_t)count, sizeof *v);
        if (!v) return OL_NOMEM;
        for (uint64_t j = 0; j < count; j++) {
            if (!pc_varint(&p, end, &d) || d >= r->n || (row += d) >= r->n) return pc_fail(r, "bad rows column");
            v[j] = (uint32_t)row;
        }
        if (p != end) return pc_fail(r, "stray bytes after a rows column");
        rows = v;
        m = (size_t)count;
    } else if (rc == OL_NOTFOUND) { /* a part written before r:<key> columns */
        if ((rc = pc_walk_keys(r))) return rc;
        rows = r->key_rows[k];
        m = r->key_nrows[k];
    } else {
        return rc;
    }
    pc_group_t gr;
    if ((rc = pc_group(r, &in, m, &gr))) return rc;
    if (in.len) return pc_fail(r, "stray bytes after an attribute column");
    pc_assign(&gr, rows, r->values[k]);
    return OL_OK;
}

/* Key and value of an encoded KeyValue: the last of each (the SQL tables'
 * reading of a KeyValue). */
static void pc_kv(ol_slice_t kv, ol_slice_t *key, ol_slice_t *value)
{
    ol_pb_reader_t pr;
    ol_pb_field_value_t f;
    *key = OL_SLICE_LIT("");
    *value = OL_SLICE_NULL;
    ol_pb_reader_init(&pr, kv);
    while (ol_pb_next(&pr, &f) == OL_OK) {
        if (f.wire_type != OL_PB_LEN) continue;
        if (f.number == 1) *key = f.bytes;
        else if (f.number == 2) *value = f.bytes;
    }
}

static int pc_values(ol_part_cols_t *r)
{
    const size_t nk = r->req->n_keys;
    size_t pending = 0;
    int rc = OL_OK;
    for (size_t k = 0; k < nk; k++) {
        if (r->key_first[k] != k) {
            r->values[k] = r->values[r->key_first[k]];
            continue;
        }
        r->values[k] = pc_zalloc(r->a, r->n, sizeof *r->values[k]);
        if (!r->values[k]) return OL_NOMEM;
        if (r->key_id[k] == UINT32_MAX) continue;
        bool found = false;
        if ((rc = pc_key_column(r, k, &found))) return rc;
        if (!found) pending++;
    }
    if (pending) {
        if ((rc = pc_walk_keys(r))) return rc;
        pending = 0;
        for (size_t k = 0; k < nk; k++)
            pending += r->key_first[k] == k && r->key_id[k] != UINT32_MAX && r->per_key[r->key_id[k]] && !r->own[k];
    }
    if (pending) {
        ol_slice_t in;
        if ((rc = pc_col(r, PC_ATTRS, "attrs", &in))) return rc;
        while (in.len && pending) {
            const uint8_t *q = in.ptr;
            uint64_t key = 0;
            if (!pc_varint(&q, pc_end(in), &key) || key >= r->n_keys) return pc_fail(r, "bad key in attrs");
            in = ol_slice(q, in.len - (size_t)(q - in.ptr));
            pc_group_t gr;
            if ((rc = pc_group(r, &in, r->per_key[key], &gr))) return rc;
            for (size_t k = 0; k < nk; k++) {
                if (r->key_first[k] != k || r->key_id[k] != key || r->own[k]) continue;
                pc_assign(&gr, r->key_rows[k], r->values[k]);
                pending--;
            }
        }
        if (pending) return pc_fail(r, "no values for a key of attr_keys");
    }
    /* KeyValues kept whole in extra come after the canonical ones. */
    for (size_t i = 0; r->extra && i < r->n; i++) {
        if (!r->extra[i].len) continue;
        ol_pb_reader_t pr;
        ol_pb_field_value_t f;
        ol_pb_reader_init(&pr, r->extra[i]);
        while (ol_pb_next(&pr, &f) == OL_OK) {
            if (f.number != F_SPAN_ATTRIBUTES || f.wire_type != OL_PB_LEN) continue;
            ol_slice_t key, value;
            pc_kv(f.bytes, &key, &value);
            for (size_t k = 0; k < nk; k++) {
                ol_span_value_t *v = &r->values[k][i];
                if (r->key_first[k] != k || v->type != OL_SPAN_V_ABSENT || !ol_slice_eq(key, r->req->keys[k])) continue;
                v->type = OL_SPAN_V_ANY;
                v->s = value;
            }
        }
    }
    return OL_OK;
}

/* ---- the other columns ---- */

static int pc_extra(ol_part_cols_t *r)
{
    ol_slice_t in;
    int rc = pc_col(r, PC_EXTRA, "extra", &in);
    if (rc) return rc;
    bool empty = in.len == r->n;
    for (size_t i = 0; empty && i < in.len; i++) empty = in.ptr[i] == 0;
    if (empty) return OL_OK;
    r->extra = pc_alloc(r->a, r->n, sizeof *r->extra);
    if (!r->extra) return OL_NOMEM;
    size_t used = 0;
    if ((rc = ol_dec_bytes(in, r->extra, r->n, &used, r->err))) return rc;
    return pc_done(r, in, used, "extra");
}

/* The last Status kept in extra, NULL when none. */
static ol_slice_t pc_extra_status(ol_slice_t extra)
{
    ol_pb_reader_t pr;
    ol_pb_field_value_t f;
    ol_slice_t st = OL_SLICE_NULL;
    ol_pb_reader_init(&pr, extra);
    while (ol_pb_next(&pr, &f) == OL_OK)
        if (f.number == F_SPAN_STATUS && f.wire_type == OL_PB_LEN) st = f.bytes;
    return st;
}

/* The code a rebuilt span reports for a Status kept in extra: the last
 * varint code of the last Status there (spans_read.c), else 0. */
static int32_t pc_extra_code(ol_slice_t extra)
{
    int32_t code = 0;
    ol_pb_reader_t pr, sr;
    ol_pb_field_value_t f, sf;
    ol_pb_reader_init(&pr, extra);
    while (ol_pb_next(&pr, &f) == OL_OK) {
        if (f.number != F_SPAN_STATUS || f.wire_type != OL_PB_LEN) continue;
        ol_pb_reader_init(&sr, f.bytes);
        while (ol_pb_next(&sr, &sf) == OL_OK)
            if (sf.number == F_STATUS_CODE && sf.wire_type == OL_PB_VARINT) code = (int32_t)sf.u64;
    }
    return code;
}

static int pc_status(ol_part_cols_t *r, ol_span_cols_t *out)
{
    size_t n = r->n;
    int rc;
    if (r->want & OL_SPAN_COL_STATUS) {
        const uint8_t *st;
        if ((rc = pc_u8(r, PC_STATUS, "status_code", &st))) return rc;
        if (!r->need_extra && !r->extra) {
            bool kept = false;
            for (size_t i = 0; i < n && !kept; i++) kept = st[i] == OL_STATUS_IN_EXTRA;
            if (kept && (rc = pc_extra(r))) return rc;
        }
        int32_t *code = pc_alloc(r->a, n, sizeof *code);
        if (!code) return OL_NOMEM;
        for (size_t i = 0; i < n; i++)
            code[i] = st[i] != OL_STATUS_IN_EXTRA ? st[i] : r->extra ? pc_extra_code(r->extra[i]) : 0;
        out->status = code;
    }
    if (r->want & OL_SPAN_COL_STATUS_MSG) {
        ol_slice_t *msg;
        if ((rc = pc_opt_strings(r, PC_STATUS_MSG, "status_message", &msg))) return rc;
        for (size_t i = 0; r->extra && i < n; i++) {
            if (!r->extra[i].len) continue;
            ol_slice_t st = pc_extra_status(r->extra[i]);
            if (!st.ptr) continue;
            msg[i] = OL_SLICE_LIT("");
            ol_pb_reader_t pr;
            ol_pb_field_value_t f;
            ol_pb_reader_init(&pr, st);
            while (ol_pb_next(&pr, &f) == OL_OK)
                if (f.number == F_STATUS_MESSAGE && f.wire_type == OL_PB_LEN) msg[i] = f.bytes;
        }
        out->status_msg = msg;
    }
    return OL_OK;
}

static int pc_ids(ol_part_cols_t *r, ol_span_cols_t *out)
{
    size_t n = r->n, used = 0;
    ol_slice_t in;
    int rc;
    uint8_t *tids = NULL;
    if (r->need_ids) {
        if ((rc = pc_col(r, PC_TRACE_ID, "trace_id", &in))) return rc;
        if (!(tids = pc_alloc(r->a, n, 16))) return OL_NOMEM;
        if ((rc = ol_dec_runs(in, 16, n, tids, &used, r->err)) || (rc = pc_done(r, in, used, "trace_id"))) return rc;
        if (r->want & OL_SPAN_COL_TRACE_ID) out->trace_id = tids;
    }
    const uint8_t *sids = NULL;
    if (r->want & (OL_SPAN_COL_SPAN_ID | OL_SPAN_COL_PARENT)) {
        if ((rc = pc_col(r, PC_SPAN_ID, "span_id", &in))) return rc;
        if ((rc = ol_dec_fixed(in, 8, n, &sids, &used, r->err)) || (rc = pc_done(r, in, used, "span_id"))) return rc;
        if (r->want & OL_SPAN_COL_SPAN_ID) out->span_id = sids;
    }
    if (!(r->want & OL_SPAN_COL_PARENT)) return OL_OK;
    if ((rc = pc_col(r, PC_PARENT, "parent", &in))) return rc;
    const uint8_t **par = pc_alloc(r->a, n, sizeof *par);
    uint64_t *v = pc_alloc(r->a, n, sizeof *v);
    if (!par || !v) return OL_NOMEM;
    if ((rc = ol_dec_uvarints(in, v, n, &used, r->err))) return rc;
    ol_slice_t rest = ol_slice(in.ptr + used, in.len - used);
    size_t n_explicit = 0;
    for (size_t i = 0; i < n; i++) n_explicit += v[i] == 1;
    const uint8_t *explicit;
    if ((rc = ol_dec_fixed(rest, 8, n_explicit, &explicit, &used, r->err)) || (rc = pc_done(r, rest, used, "parent")))
        return rc;
    size_t run = 0, k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && memcmp(tids + 16 * i, tids + 16 * (i - 1), 16) != 0) run = i;
        if (v[i] == 0) {
            par[i] = NULL;
        } else if (v[i] == 1) {
            par[i] = explicit + 8 * k++;
        } else {
            uint64_t at = v[i] - 2;
            if (at >= n - run || memcmp(tids + 16 * (run + at), tids + 16 * i, 16) != 0)
                return pc_fail(r, "parent points outside its trace");
            par[i] = sids + 8 * (run + at);
        }
    }
    out->parent = par;
    return OL_OK;
}

int ol_part_cols_granule(ol_part_cols_t *r, uint32_t g, ol_span_cols_t *out, ol_err_t *err)
{
    memset(out, 0, sizeof *out);
    const ol_part_info_t *info = ol_part_info(r->p);
    if (g >= info->granules) return OL_NOTFOUND;
    const ol_part_granule_info_t *gi = ol_part_granule(r->p, g);
    if (!r->any_res || gi->max_time_ns < r->req->start_ns || gi->min_time_ns >= r->req->end_ns) return OL_OK;
    ol_arena_reset(r->a);
    r->err = err;
    r->g = g;
    r->n = gi->rows;
    r->bytes = 0;
    r->extra = NULL;
    r->res = NULL;
    r->per_key = NULL;
    size_t n = r->n, used = 0;
    ol_slice_t in;
    int rc;

    /* Rows of wanted resources first: a granule without any is not read further. */
    if (!r->all_res || (r->want & OL_SPAN_COL_ORIGIN)) {
        if ((rc = pc_indexes(r, PC_RESOURCE, "resource", r->n_res, &r->res))) return rc;
        bool any = r->all_res;
        for (size_t i = 0; i < n && !any; i++) any = r->res_keep[r->res[i]];
        if (!any) return OL_OK;
    }

    /* The granule's time range covers its rows' starts (and ends): inside
     * the window, every row is, and the start column need not be read. */
    bool inside = gi->min_time_ns >= r->req->start_ns && gi->max_time_ns < r->req->end_ns;
    if ((r->want & OL_SPAN_COL_START) || !inside) {
        uint64_t *start = pc_alloc(r->a, n, sizeof *start);
        if (!start) return OL_NOMEM;
        if ((rc = pc_col(r, PC_START, "start", &in))) return rc;
        if ((rc = ol_dec_delta(in, gi->min_time_ns, start, n, &used, r->err)) || (rc = pc_done(r, in, used, "start")))
            return rc;
        out->start_ns = start;
    }

    if (r->want & OL_SPAN_COL_DURATION) {
        int64_t *dur = pc_alloc(r->a, n, sizeof *dur);
        if (!dur) return OL_NOMEM;
        if ((rc = pc_col(r, PC_DURATION, "duration", &in))) return rc;
        if ((rc = ol_dec_zigzag(in, dur, n, &used, r->err)) || (rc = pc_done(r, in, used, "duration"))) return rc;
        out->dur_ns = dur;
    }
    if ((r->want & (OL_SPAN_COL_TRACE_ID | OL_SPAN_COL_SPAN_ID | OL_SPAN_COL_PARENT)) && (rc = pc_ids(r, out)))
        return rc;
    if (r->want & OL_SPAN_COL_NAME) {
        ol_slice_t *dict;
        uint32_t *ids;
        if ((rc = pc_col(r, PC_NAME, "name", &in))) return rc;
        ol_slice_t all = in;
        if ((rc = pc_strings(r, &in, n, false, &dict, &out->n_names, &ids)) ||
            (rc = pc_done(r, all, all.len - in.len, "name")))
            return rc;
        out->names = dict;
        out->name = ids;
    }
    if ((r->want & OL_SPAN_COL_KIND) && (rc = pc_u8(r, PC_KIND, "kind", &out->kind))) return rc;
    if (r->need_extra && (rc = pc_extra(r))) return rc;
    if ((rc = pc_status(r, out))) return rc;
    if (r->want & OL_SPAN_COL_TRACE_STATE) {
        ol_slice_t *ts;
        if ((rc = pc_opt_strings(r, PC_TRACE_STATE, "trace_state", &ts))) return rc;
        out->trace_state = ts;
    }
    if (r->want & OL_SPAN_COL_EVENTS) {
        ol_slice_t *ev;
        if ((rc = pc_bytes(r, PC_EVENTS, "events", &ev))) return rc;
        out->events = ev;
    }
    if (r->want & OL_SPAN_COL_LINKS) {
        ol_slice_t *ln;
        if ((rc = pc_bytes(r, PC_LINKS, "links", &ln))) return rc;
        out->links = ln;
    }
    if (r->want & OL_SPAN_COL_ORIGIN) {
        uint64_t *sc;
        if ((rc = pc_indexes(r, PC_SCOPE, "scope", r->n_sc, &sc))) return rc;
        uint32_t *o = pc_alloc(r->a, n, sizeof *o);
        if (!o) return OL_NOMEM;
        for (size_t i = 0; i < n; i++) {
            if (i && r->res[i] == r->res[i - 1] && sc[i] == sc[i - 1]) o[i] = o[i - 1];
            else if ((rc = pc_origin(r, r->res[i], sc[i], &o[i]))) return rc;
        }
        out->origin = o;
        out->origins = r->origins;
        out->n_origins = r->n_origins;
    }
    if (r->req->n_keys) {
        if ((rc = pc_values(r))) return rc;
        out->values = (const ol_span_value_t *const *)r->values;
    }
    out->n = n;
    out->bytes = r->bytes;
    return OL_OK;
}
