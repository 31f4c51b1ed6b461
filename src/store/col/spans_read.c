/*
 * spans_read.c - reading spans back from a traces part.
 *
 * A granule is decoded column by column into arrays in the caller's arena
 * (the trace_id column alone first when looking for one trace, so granules
 * that only cover its id range cost one small block), then each wanted row
 * is re-encoded as a Span message (field-number order) into the arena and
 * handed out as an ol_otlp_span_t, exactly the view ingest produces.
 *
 * The services table is read in place (no decoding, no state), so any
 * number of threads may ask a part for its services at once.
 */
#include "codec/pb.h"
#include "core/alloc.h"
#include "core/util.h"
#include "store/col/enc.h"
#include "store/col/part.h"
#include "store/col/records.h"
#include "store/col/spans_int.h"

typedef struct ol_sgroup {
    size_t m;
    const uint8_t *types;
    ol_slice_t *dict;
    size_t n_dict;
    uint64_t *str_ids;
    int64_t *ints;
    const uint8_t *dbls;
    const uint8_t *bools;
    ol_slice_t *raws;
    size_t at, at_s, at_i, at_d, at_b, at_r; /* next value of each kind */
} ol_sgroup_t;

typedef struct ol_sgran {
    const ol_part_t *p;
    uint32_t g;
    size_t n;
    ol_arena_t *a;
    ol_err_t *err;
    ol_buf_t *bufs; /* one per column read, freed by ol_sgran_free */
    size_t n_bufs;
    uint8_t *trace_ids;
    const uint8_t *span_ids;
    uint64_t *parent;
    const uint8_t *parent_explicit;
    size_t *parent_explicit_at; /* row -> index into parent_explicit */
    uint64_t *start;
    int64_t *dur;
    ol_slice_t *name_dict, *msg_dict, *ts_dict;
    size_t n_name, n_msg, n_ts;
    uint64_t *name_ids, *msg_ids, *ts_ids;
    const uint8_t *kind, *status;
    uint64_t *present, *flags, *res, *scope, *dropped[3];
    ol_slice_t *events, *links, *extra;
    uint64_t *kv_count;  /* per row */
    size_t *kv_first;    /* per row, into kv_keys */
    uint64_t *kv_keys;
    size_t n_kv;
    ol_sgroup_t *groups; /* per key id */
    size_t n_keys;
    ol_slice_t *keys;    /* the part's key dictionary */
    /* resources and scopes of the part */
    size_t n_res, n_sc;
    ol_slice_t *res_bytes, *res_url, *res_svc, *sc_bytes, *sc_url;
    ol_otlp_origin_t **origins; /* lazily built per (res, scope) pair used */
} ol_sgran_t;

#define OL_SG_FAIL(sg, ...) (ol_err_set((sg)->err, __VA_ARGS__), OL_CORRUPT)

static void *ol_sg_alloc(ol_sgran_t *sg, size_t count, size_t size)
{
    if (count && size > SIZE_MAX / count) return NULL;
    return ol_arena_alloc(sg->a, (count ? count : 1) * size);
}

/* Reads column `name` of the granule into a buffer the granule owns; OL_NOTFOUND is returned as is. */
static int ol_sg_column_slice(ol_sgran_t *sg, ol_slice_t name, ol_slice_t *out)
{
    ol_buf_t *nb = ol_realloc(OL_MEM_STORE, sg->bufs, sg->n_bufs * sizeof *nb, (sg->n_bufs + 1) * sizeof *nb);
    if (!nb) return OL_NOMEM;
    sg->bufs = nb;
    ol_buf_t *b = &sg->bufs[sg->n_bufs++];
    ol_buf_init(b, OL_MEM_STORE, 0);
    int rc = ol_part_read_column(sg->p, sg->g, name, b, sg->err);
    if (rc == OL_NOTFOUND)
        ol_err_set(sg->err, "part %s: granule %u has no column %.*s", ol_part_path(sg->p), sg->g, (int)name.len,
                   (const char *)name.ptr);
    if (rc) return rc;
    if (b->err) return OL_NOMEM;
    *out = ol_buf_slice(b);
    return OL_OK;
}

static int ol_sg_column(ol_sgran_t *sg, const char *name, ol_slice_t *out)
{
    return ol_sg_column_slice(sg, ol_slice_cstr(name), out);
}

static void ol_sgran_free(ol_sgran_t *sg)
{
    for (size_t i = 0; i < sg->n_bufs; i++) ol_buf_free(&sg->bufs[i]);
    ol_free(OL_MEM_STORE, sg->bufs, sg->n_bufs * sizeof *sg->bufs);
    sg->bufs = NULL;
    sg->n_bufs = 0;
}

static ol_slice_t ol_sg_rest(ol_slice_t s, size_t used) { return used ? ol_slice(s.ptr + used, s.len - used) : s; }
static const uint8_t *ol_sg_endp(ol_slice_t s) { return s.len ? s.ptr + s.len : s.ptr; }

/* A dictionary whose size is bounded by the bytes that hold it. */
static int ol_sg_dict(ol_sgran_t *sg, ol_slice_t *in, ol_slice_t **out, size_t *count)
{
    const uint8_t *p = in->ptr, *end = ol_sg_endp(*in);
    uint64_t c = 0;
    if (in->len == 0 || ol_pb_read_varint(&p, end, &c) != OL_OK || c > in->len)
        return OL_SG_FAIL(sg, "part %s: granule %u: bad dictionary size", ol_part_path(sg->p), sg->g);
    *out = ol_sg_alloc(sg, c, sizeof **out);
    if (!*out) return OL_NOMEM;
    size_t used = 0;
    int rc = ol_dict_decode(*in, *out, c, count, &used, sg->err);
    if (rc) return rc;
    *in = ol_sg_rest(*in, used);
    return OL_OK;
}

static int ol_sg_uvarints(ol_sgran_t *sg, ol_slice_t *in, size_t n, uint64_t **out)
{
    *out = ol_sg_alloc(sg, n, sizeof **out);
    if (!*out) return OL_NOMEM;
    size_t used = 0;
    int rc = ol_dec_uvarints(*in, *out, n, &used, sg->err);
    if (!rc) *in = ol_sg_rest(*in, used);
    return rc;
}

/* A string column: dictionary + ids, each id checked against it. */
static int ol_sg_strings(ol_sgran_t *sg, ol_slice_t *in, size_t n, bool optional, ol_slice_t **dict, size_t *n_dict,
                         uint64_t **ids)
{
    int rc = ol_sg_dict(sg, in, dict, n_dict);
    if (!rc) rc = ol_sg_uvarints(sg, in, n, ids);
    for (size_t i = 0; !rc && i < n; i++) {
        if (optional ? (*ids)[i] > *n_dict : (*ids)[i] >= *n_dict)
            rc = OL_SG_FAIL(sg, "part %s: granule %u: string id %llu beyond a dictionary of %zu", ol_part_path(sg->p),
                            sg->g, (unsigned long long)(*ids)[i], *n_dict);
    }
    return rc;
}

static int ol_sg_end(ol_sgran_t *sg, ol_slice_t in, const char *col)
{
    if (in.len) return OL_SG_FAIL(sg, "part %s: granule %u: %zu stray bytes after column %s", ol_part_path(sg->p), sg->g, in.len, col);
    return OL_OK;
}

static int ol_sg_group(ol_sgran_t *sg, ol_slice_t *in, size_t m, ol_sgroup_t *gr)
{
    memset(gr, 0, sizeof *gr);
    gr->m = m;
    size_t used = 0;
    uint8_t *types = ol_sg_alloc(sg, m, 1);
    if (!types) return OL_NOMEM;
    int rc = ol_dec_u8(*in, types, m, &used, sg->err);
    if (rc) return rc;
    *in = ol_sg_rest(*in, used);
    gr->types = types;
    size_t ns = 0, ni = 0, nd = 0, nb = 0, nr = 0;
    for (size_t i = 0; i < m; i++) {
        switch (types[i]) {
        case OL_AV_NONE: break;
        case OL_AV_STRING: ns++; break;
        case OL_AV_INT: ni++; break;
        case OL_AV_DOUBLE: nd++; break;
        case OL_AV_BOOL: nb++; break;
        case OL_AV_RAW: nr++; break;
        default: return OL_SG_FAIL(sg, "part %s: granule %u: attribute type %u", ol_part_path(sg->p), sg->g, types[i]);
        }
    }
    rc = ol_sg_strings(sg, in, ns, false, &gr->dict, &gr->n_dict, &gr->str_ids);
    if (rc) return rc;
    gr->ints = ol_sg_alloc(sg, ni, sizeof *gr->ints);
    if (!gr->ints) return OL_NOMEM;
    if ((rc = ol_dec_zigzag(*in, gr->ints, ni, &used, sg->err))) return rc;
    *in = ol_sg_rest(*in, used);
    if ((rc = ol_dec_fixed(*in, 8, nd, &gr->dbls, &used, sg->err))) return rc;
    *in = ol_sg_rest(*in, used);
    uint8_t *bools = ol_sg_alloc(sg, nb, 1);
    if (!bools) return OL_NOMEM;
    if ((rc = ol_dec_u8(*in, bools, nb, &used, sg->err))) return rc;
    gr->bools = bools;
    *in = ol_sg_rest(*in, used);
    gr->raws = ol_sg_alloc(sg, nr, sizeof *gr->raws);
    if (!gr->raws) return OL_NOMEM;
    if ((rc = ol_dec_bytes(*in, gr->raws, nr, &used, sg->err))) return rc;
    *in = ol_sg_rest(*in, used);
    return OL_OK;
}

static int ol_sg_tables(ol_sgran_t *sg)
{
    const ol_part_t *p = sg->p;
    ol_slice_t t;
    size_t used = 0;
    const char *path = ol_part_path(p);
    if (ol_part_table(p, OL_SLICE_LIT("resources"), &t) || ol_part_table(p, OL_SLICE_LIT("scopes"), &t) ||
        ol_part_table(p, OL_SLICE_LIT("keys"), &t))
        return OL_SG_FAIL(sg, "part %s: a part table is missing", path);
    ol_part_table(p, OL_SLICE_LIT("resources"), &t);
    const uint8_t *q = t.ptr, *end = ol_sg_endp(t);
    uint64_t c = 0;
    if (ol_pb_read_varint(&q, end, &c) != OL_OK || c > t.len) return OL_SG_FAIL(sg, "part %s: bad resource table", path);
    t = ol_sg_rest(t, (size_t)(q - t.ptr));
    sg->n_res = c;
    sg->res_bytes = ol_sg_alloc(sg, c, sizeof(ol_slice_t));
    sg->res_url = ol_sg_alloc(sg, c, sizeof(ol_slice_t));
    sg->res_svc = ol_sg_alloc(sg, c, sizeof(ol_slice_t));
    if (!sg->res_bytes || !sg->res_url || !sg->res_svc) return OL_NOMEM;
    ol_slice_t *cols[3] = {sg->res_bytes, sg->res_url, sg->res_svc};
    for (int k = 0; k < 3; k++) {
        int rc = ol_dec_bytes(t, cols[k], c, &used, sg->err);
        if (rc) return rc;
        t = ol_sg_rest(t, used);
    }
    if (t.len) return OL_SG_FAIL(sg, "part %s: stray bytes in the resource table", path);
    ol_part_table(p, OL_SLICE_LIT("scopes"), &t);
    q = t.ptr, end = ol_sg_endp(t);
    if (ol_pb_read_varint(&q, end, &c) != OL_OK || c > t.len) return OL_SG_FAIL(sg, "part %s: bad scope table", path);
    t = ol_sg_rest(t, (size_t)(q - t.ptr));
    sg->n_sc = c;
    sg->sc_bytes = ol_sg_alloc(sg, c, sizeof(ol_slice_t));
    sg->sc_url = ol_sg_alloc(sg, c, sizeof(ol_slice_t));
    if (!sg->sc_bytes || !sg->sc_url) return OL_NOMEM;
    int rc = ol_dec_bytes(t, sg->sc_bytes, c, &used, sg->err);
    if (!rc) {
        t = ol_sg_rest(t, used);
        rc = ol_dec_bytes(t, sg->sc_url, c, &used, sg->err);
    }
    if (rc) return rc;
    if (t.len != used) return OL_SG_FAIL(sg, "part %s: stray bytes in the scope table", path);
    ol_part_table(p, OL_SLICE_LIT("keys"), &t);
    rc = ol_sg_dict(sg, &t, &sg->keys, &sg->n_keys);
    if (rc) return rc;
    if (t.len) return OL_SG_FAIL(sg, "part %s: stray bytes in the key table", path);
    if (sg->n_res * sg->n_sc <= 65536) {
        sg->origins = ol_arena_calloc(sg->a, (sg->n_res * sg->n_sc + 1) * sizeof *sg->origins);
        if (!sg->origins) return OL_NOMEM;
    }
    return OL_OK;
}

/* trace_id column only. */
static int ol_sg_trace_ids(ol_sgran_t *sg)
{
    ol_slice_t in;
    int rc = ol_sg_column(sg, "trace_id", &in);
    if (rc) return rc;
    sg->trace_ids = ol_sg_alloc(sg, sg->n, 16);
    if (!sg->trace_ids) return OL_NOMEM;
    size_t used = 0;
    rc = ol_dec_runs(in, 16, sg->n, sg->trace_ids, &used, sg->err);
    return rc ? rc : ol_sg_end(sg, ol_sg_rest(in, used), "trace_id");
}

#define COL(name) do { if ((rc = ol_sg_column(sg, name, &in))) return rc; } while (0)
#define STEP(call) do { if ((rc = (call))) return rc; in = ol_sg_rest(in, used); } while (0)
#define END(name) do { if ((rc = ol_sg_end(sg, in, name))) return rc; } while (0)

/* The columns a trace summary needs (after trace_id): span_id, parent,
 * start, duration, name, status_code, present, resource. */
static int ol_sg_brief_columns(ol_sgran_t *sg)
{
    size_t n = sg->n, used = 0;
    ol_slice_t in;
    int rc;
    COL("span_id");
    STEP(ol_dec_fixed(in, 8, n, &sg->span_ids, &used, sg->err));
    END("span_id");

    COL("parent");
    if ((rc = ol_sg_uvarints(sg, &in, n, &sg->parent))) return rc;
    size_t n_explicit = 0;
    sg->parent_explicit_at = ol_sg_alloc(sg, n, sizeof *sg->parent_explicit_at);
    if (!sg->parent_explicit_at) return OL_NOMEM;
    {
        size_t run = 0;
        for (size_t i = 0; i < n; i++) {
            if (i > 0 && memcmp(sg->trace_ids + 16 * i, sg->trace_ids + 16 * (i - 1), 16) != 0) run = i;
            uint64_t v = sg->parent[i];
            if (v == 1) sg->parent_explicit_at[i] = n_explicit++;
            else if (v >= 2 && (v - 2 >= n - run || memcmp(sg->trace_ids + 16 * (run + v - 2), sg->trace_ids + 16 * i, 16) != 0))
                return OL_SG_FAIL(sg, "part %s: granule %u row %zu: parent points outside its trace", ol_part_path(sg->p),
                                  sg->g, i);
            else if (v >= 2) sg->parent[i] = run + v - 2; /* now the row of the parent */
            else sg->parent[i] = v;
            if (v >= 2) sg->parent[i] |= (uint64_t)1 << 63;
        }
    }
    STEP(ol_dec_fixed(in, 8, n_explicit, &sg->parent_explicit, &used, sg->err));
    END("parent");

    COL("start");
    sg->start = ol_sg_alloc(sg, n, sizeof *sg->start);
    if (!sg->start) return OL_NOMEM;
    STEP(ol_dec_delta(in, ol_part_granule(sg->p, sg->g)->min_time_ns, sg->start, n, &used, sg->err));
    END("start");
    COL("duration");
    sg->dur = ol_sg_alloc(sg, n, sizeof *sg->dur);
    if (!sg->dur) return OL_NOMEM;
    STEP(ol_dec_zigzag(in, sg->dur, n, &used, sg->err));
    END("duration");

    COL("name");
    if ((rc = ol_sg_strings(sg, &in, n, false, &sg->name_dict, &sg->n_name, &sg->name_ids))) return rc;
    END("name");
    uint8_t *status = ol_sg_alloc(sg, n, 1);
    if (!status) return OL_NOMEM;
    COL("status_code");
    STEP(ol_dec_u8(in, status, n, &used, sg->err));
    END("status_code");
    sg->status = status;
    COL("present");
    if ((rc = ol_sg_uvarints(sg, &in, n, &sg->present))) return rc;
    END("present");
    COL("resource");
    if ((rc = ol_sg_uvarints(sg, &in, n, &sg->res))) return rc;
    END("resource");
    for (size_t i = 0; i < n; i++)
        if (sg->res[i] >= sg->n_res)
            return OL_SG_FAIL(sg, "part %s: granule %u row %zu: resource index out of range", ol_part_path(sg->p), sg->g,
                              i);
    return OL_OK;
}

/* The id of an attribute key in the part's key table, SIZE_MAX if absent. */
static size_t ol_sg_key_id(const ol_sgran_t *sg, ol_slice_t key)
{
    for (size_t k = 0; k < sg->n_keys; k++)
        if (ol_slice_eq(sg->keys[k], key)) return k;
    return SIZE_MAX;
}

/* Every column: the brief ones, then the rest. */
static int ol_sg_rest_columns(ol_sgran_t *sg)
{
    size_t n = sg->n, used = 0;
    ol_slice_t in;
    int rc = ol_sg_brief_columns(sg);
    if (rc) return rc;
    uint8_t *kind = ol_sg_alloc(sg, n, 1);
    if (!kind) return OL_NOMEM;
    COL("kind");
    STEP(ol_dec_u8(in, kind, n, &used, sg->err));
    END("kind");
    sg->kind = kind;
    COL("status_message");
    if ((rc = ol_sg_strings(sg, &in, n, true, &sg->msg_dict, &sg->n_msg, &sg->msg_ids))) return rc;
    END("status_message");
    COL("trace_state");
    if ((rc = ol_sg_strings(sg, &in, n, true, &sg->ts_dict, &sg->n_ts, &sg->ts_ids))) return rc;
    END("trace_state");
    COL("flags");
    if ((rc = ol_sg_uvarints(sg, &in, n, &sg->flags))) return rc;
    END("flags");
    COL("scope");
    if ((rc = ol_sg_uvarints(sg, &in, n, &sg->scope))) return rc;
    END("scope");
    for (size_t i = 0; i < n; i++) {
        if (sg->scope[i] >= sg->n_sc)
            return OL_SG_FAIL(sg, "part %s: granule %u row %zu: scope index out of range", ol_part_path(sg->p), sg->g, i);
    }
    COL("dropped");
    for (int d = 0; d < 3; d++)
        if ((rc = ol_sg_uvarints(sg, &in, n, &sg->dropped[d]))) return rc;
    END("dropped");
    ol_slice_t **side[3] = {&sg->events, &sg->links, &sg->extra};
    const char *side_names[3] = {"events", "links", "extra"};
    for (int k = 0; k < 3; k++) {
        COL(side_names[k]);
        *side[k] = ol_sg_alloc(sg, n, sizeof(ol_slice_t));
        if (!*side[k]) return OL_NOMEM;
        STEP(ol_dec_bytes(in, *side[k], n, &used, sg->err));
        END(side_names[k]);
    }

    /* Attributes. */
    COL("attr_keys");
    sg->kv_count = ol_sg_alloc(sg, n, sizeof *sg->kv_count);
    sg->kv_first = ol_sg_alloc(sg, n, sizeof *sg->kv_first);
    if (!sg->kv_count || !sg->kv_first) return OL_NOMEM;
    sg->kv_keys = ol_sg_alloc(sg, in.len, sizeof *sg->kv_keys); /* one byte at least per key id */
    size_t *per_key = ol_sg_alloc(sg, sg->n_keys, sizeof *per_key);
    if (!sg->kv_keys || !per_key) return OL_NOMEM;
    memset(per_key, 0, (sg->n_keys ? sg->n_keys : 1) * sizeof *per_key);
    {
        const uint8_t *q = in.ptr, *end = ol_sg_endp(in);
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t c = 0;
            if (ol_pb_read_varint(&q, end, &c) != OL_OK || c > (size_t)(end - q))
                return OL_SG_FAIL(sg, "part %s: granule %u row %zu: bad attribute count", ol_part_path(sg->p), sg->g, i);
            sg->kv_count[i] = c;
            sg->kv_first[i] = k;
            for (uint64_t j = 0; j < c; j++) {
                uint64_t key = 0;
                if (ol_pb_read_varint(&q, end, &key) != OL_OK || key >= sg->n_keys)
                    return OL_SG_FAIL(sg, "part %s: granule %u row %zu: bad attribute key", ol_part_path(sg->p), sg->g, i);
                sg->kv_keys[k++] = key;
                per_key[key]++;
            }
        }
        if (q != end) return OL_SG_FAIL(sg, "part %s: granule %u: stray bytes after attr_keys", ol_part_path(sg->p), sg->g);
        sg->n_kv = k;
    }
    sg->groups = ol_sg_alloc(sg, sg->n_keys, sizeof *sg->groups);
    if (!sg->groups) return OL_NOMEM;
    memset(sg->groups, 0, (sg->n_keys ? sg->n_keys : 1) * sizeof *sg->groups);
    bool *done = ol_sg_alloc(sg, sg->n_keys, sizeof *done);
    if (!done) return OL_NOMEM;
    memset(done, 0, (sg->n_keys ? sg->n_keys : 1) * sizeof *done);
    /* Promoted keys have their own column; the rest are in "attrs". */
    size_t n_cols = ol_part_columns(sg->p, sg->g, NULL, 0);
    ol_slice_t *names = ol_sg_alloc(sg, n_cols, sizeof *names);
    if (!names) return OL_NOMEM;
    n_cols = OL_MIN(n_cols, ol_part_columns(sg->p, sg->g, names, n_cols));
    for (size_t c = 0; c < n_cols; c++) {
        if (names[c].len < 2 || memcmp(names[c].ptr, "a:", 2) != 0) continue;
        size_t id = ol_sg_key_id(sg, ol_slice(names[c].ptr + 2, names[c].len - 2));
        if (id == SIZE_MAX || done[id])
            return OL_SG_FAIL(sg, "part %s: granule %u: column for an unknown or repeated key", ol_part_path(sg->p), sg->g);
        if ((rc = ol_sg_column_slice(sg, names[c], &in))) return rc;
        if ((rc = ol_sg_group(sg, &in, per_key[id], &sg->groups[id]))) return rc;
        END("a:<key>");
        done[id] = true;
    }
    COL("attrs");
    while (in.len) {
        const uint8_t *q = in.ptr;
        uint64_t key = 0;
        if (ol_pb_read_varint(&q, in.ptr + in.len, &key) != OL_OK || key >= sg->n_keys || done[key])
            return OL_SG_FAIL(sg, "part %s: granule %u: bad key in attrs", ol_part_path(sg->p), sg->g);
        in = ol_sg_rest(in, (size_t)(q - in.ptr));
        if ((rc = ol_sg_group(sg, &in, per_key[key], &sg->groups[key]))) return rc;
        done[key] = true;
    }
    for (size_t k = 0; k < sg->n_keys; k++)
        if (per_key[k] && !done[k])
            return OL_SG_FAIL(sg, "part %s: granule %u: no values for key %zu", ol_part_path(sg->p), sg->g, k);
    return OL_OK;
}
#undef COL
#undef STEP
#undef END

/* Appends one KeyValue (field 9) with the next value of its key's group. */
static int ol_sg_put_kv(ol_sgran_t *sg, ol_buf_t *b, uint64_t key)
{
    ol_sgroup_t *gr = &sg->groups[key];
    if (gr->at >= gr->m) return OL_SG_FAIL(sg, "part %s: granule %u: attribute values run out", ol_part_path(sg->p), sg->g);
    uint8_t t = gr->types[gr->at++];
    uint8_t av[16];
    size_t avn = 0;
    ol_slice_t avs = OL_SLICE_NULL; /* string payload or raw AnyValue */
    size_t av_len = 0;
    bool has_av = true;
    switch (t) {
    case OL_AV_NONE: has_av = false; break;
    case OL_AV_STRING:
        avs = gr->dict[gr->str_ids[gr->at_s++]];
        av_len = 1 + ol_pb_varint_len(avs.len) + avs.len;
        break;
    case OL_AV_BOOL: av[0] = 0x10, av[1] = gr->bools[gr->at_b++] ? 1 : 0, avn = 2; break;
    case OL_AV_INT: {
        uint64_t v = (uint64_t)gr->ints[gr->at_i++];
        av[avn++] = 0x18;
        while (v >= 0x80) av[avn++] = (uint8_t)(v | 0x80), v >>= 7;
        av[avn++] = (uint8_t)v;
        break;
    }
    case OL_AV_DOUBLE:
        av[0] = 0x21;
        memcpy(av + 1, gr->dbls + 8 * gr->at_d++, 8);
        avn = 9;
        break;
    case OL_AV_RAW: avs = gr->raws[gr->at_r++]; av_len = avs.len; break;
    }
    if (avn) av_len = avn;
    ol_slice_t k = sg->keys[key];
    size_t kv_len = 1 + ol_pb_varint_len(k.len) + k.len + (has_av ? 1 + ol_pb_varint_len(av_len) + av_len : 0);
    ol_pb_put_tag(b, 9, OL_PB_LEN);
    ol_pb_put_varint(b, kv_len);
    ol_pb_put_bytes(b, 1, k);
    if (!has_av) return OL_OK;
    ol_pb_put_tag(b, 2, OL_PB_LEN);
    ol_pb_put_varint(b, av_len);
    if (t == OL_AV_STRING) ol_pb_put_bytes(b, 1, avs);
    else if (t == OL_AV_RAW) ol_buf_append_slice(b, avs);
    else ol_buf_append(b, av, avn);
    return OL_OK;
}

static ol_otlp_origin_t *ol_sg_origin(ol_sgran_t *sg, size_t res, size_t sc)
{
    ol_otlp_origin_t **slot = sg->origins ? &sg->origins[res * sg->n_sc + sc] : NULL;
    if (slot && *slot) return *slot;
    ol_otlp_origin_t *o = ol_arena_calloc(sg->a, sizeof *o);
    if (!o) return NULL;
    o->resource = sg->res_bytes[res];
    o->resource_schema_url = sg->res_url[res];
    o->service_name = sg->res_svc[res];
    o->scope = sg->sc_bytes[sc];
    o->scope_schema_url = sg->sc_url[sc];
    o->resource_index = (uint32_t)res;
    if (slot) *slot = o;
    return o;
}

/* The status code of a Status kept in the extra bytes (OL_STATUS_IN_EXTRA):
 * the last code of the last Status, as the OTLP decoder reads it. */
static int32_t ol_sg_extra_status(ol_slice_t extra)
{
    int32_t code = 0;
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, extra);
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.number != 15 || f.wire_type != OL_PB_LEN) continue;
        ol_pb_reader_t sr;
        ol_pb_field_value_t sf;
        ol_pb_reader_init(&sr, f.bytes);
        while (ol_pb_next(&sr, &sf) == OL_OK)
            if (sf.number == 3 && sf.wire_type == OL_PB_VARINT) code = (int32_t)sf.u64;
    }
    return code;
}

/* Re-encodes row i as a Span and fills *out (views into the arena). */
static int ol_sg_assemble(ol_sgran_t *sg, size_t i, ol_buf_t *b, ol_otlp_span_t *out)
{
    ol_buf_reset(b);
    size_t off_tid, off_sid, off_par = 0, off_name = 0;
    uint64_t start = sg->start[i], end = start + (uint64_t)sg->dur[i];
    ol_pb_put_tag(b, 1, OL_PB_LEN);
    ol_pb_put_varint(b, 16);
    off_tid = b->len;
    ol_buf_append(b, sg->trace_ids + 16 * i, 16);
    ol_pb_put_tag(b, 2, OL_PB_LEN);
    ol_pb_put_varint(b, 8);
    off_sid = b->len;
    ol_buf_append(b, sg->span_ids + 8 * i, 8);
    uint64_t pm = sg->present[i];
    if (pm & OL_SP_TRACE_STATE) ol_pb_put_bytes(b, 3, sg->ts_ids[i] ? sg->ts_dict[sg->ts_ids[i] - 1] : OL_SLICE_NULL);
    const uint8_t *par = NULL;
    if (sg->parent[i] == 1) par = sg->parent_explicit + 8 * sg->parent_explicit_at[i];
    else if (sg->parent[i] >> 63) par = sg->span_ids + 8 * (sg->parent[i] & ~((uint64_t)1 << 63));
    if (par) {
        ol_pb_put_tag(b, 4, OL_PB_LEN);
        ol_pb_put_varint(b, 8);
        off_par = b->len;
        ol_buf_append(b, par, 8);
    } else if (pm & OL_SP_PARENT_EMPTY) {
        ol_pb_put_bytes(b, 4, OL_SLICE_NULL);
    }
    ol_slice_t name = sg->name_dict[sg->name_ids[i]];
    if (pm & OL_SP_NAME) {
        ol_pb_put_tag(b, 5, OL_PB_LEN);
        ol_pb_put_varint(b, name.len);
        off_name = b->len;
        ol_buf_append_slice(b, name);
    }
    if (pm & OL_SP_KIND) ol_pb_put_uint(b, 6, sg->kind[i]);
    if (pm & OL_SP_START) ol_pb_put_fixed64(b, 7, start);
    if (pm & OL_SP_END) ol_pb_put_fixed64(b, 8, end);
    for (uint64_t j = 0; j < sg->kv_count[i]; j++) {
        int rc = ol_sg_put_kv(sg, b, sg->kv_keys[sg->kv_first[i] + j]);
        if (rc) return rc;
    }
    if (pm & OL_SP_DROPPED_ATTRS) ol_pb_put_uint(b, 10, sg->dropped[0][i]);
    ol_buf_append_slice(b, sg->events[i]);
    if (pm & OL_SP_DROPPED_EVENTS) ol_pb_put_uint(b, 12, sg->dropped[1][i]);
    ol_buf_append_slice(b, sg->links[i]);
    if (pm & OL_SP_DROPPED_LINKS) ol_pb_put_uint(b, 14, sg->dropped[2][i]);
    uint8_t st = sg->status[i];
    ol_slice_t msg = sg->msg_ids[i] ? sg->msg_dict[sg->msg_ids[i] - 1] : OL_SLICE_NULL;
    if (pm & OL_SP_STATUS) {
        bool has_msg = pm & OL_SP_STATUS_MESSAGE, has_code = pm & OL_SP_STATUS_CODE;
        ol_pb_put_tag(b, 15, OL_PB_LEN);
        ol_pb_put_varint(b, (has_msg ? 1 + ol_pb_varint_len(msg.len) + msg.len : 0) + (has_code ? 1 + ol_pb_varint_len(st) : 0));
        if (has_msg) ol_pb_put_bytes(b, 2, msg);
        if (has_code) ol_pb_put_uint(b, 3, st);
    }
    if (pm & OL_SP_FLAGS) ol_pb_put_fixed32(b, 16, (uint32_t)sg->flags[i]);
    ol_buf_append_slice(b, sg->extra[i]);
    if (b->err) return OL_NOMEM;
    uint8_t *raw = ol_arena_memdup(sg->a, b->data, b->len);
    ol_otlp_origin_t *o = ol_sg_origin(sg, sg->res[i], sg->scope[i]);
    if (!raw || !o) return OL_NOMEM;
    *out = (ol_otlp_span_t){
        .origin = o,
        .raw = ol_slice(raw, b->len),
        .trace_id = ol_slice(raw + off_tid, 16),
        .span_id = ol_slice(raw + off_sid, 8),
        .parent_span_id = par ? ol_slice(raw + off_par, 8) : OL_SLICE_NULL,
        .name = (pm & OL_SP_NAME) && name.len ? ol_slice(raw + off_name, name.len) : OL_SLICE_NULL,
        .start_ns = start,
        .end_ns = end,
        .kind = sg->kind[i],
        .status_code = st == OL_STATUS_IN_EXTRA ? 0 : st,
        .valid = true,
    };
    if (st == OL_STATUS_IN_EXTRA) out->status_code = ol_sg_extra_status(sg->extra[i]); /* still wanted for search */
    return OL_OK;
}

static void ol_sg_reset_groups(ol_sgran_t *sg)
{
    for (size_t k = 0; k < sg->n_keys; k++) {
        ol_sgroup_t *g = &sg->groups[k];
        g->at = g->at_s = g->at_i = g->at_d = g->at_b = g->at_r = 0;
    }
}

/* Moves every group's cursors to the values of rows before `row`. */
static int ol_sg_seek(ol_sgran_t *sg, size_t row)
{
    ol_sg_reset_groups(sg);
    for (size_t i = 0; i < row; i++) {
        for (uint64_t j = 0; j < sg->kv_count[i]; j++) {
            ol_sgroup_t *g = &sg->groups[sg->kv_keys[sg->kv_first[i] + j]];
            if (g->at >= g->m) return OL_CORRUPT;
            switch (g->types[g->at++]) {
            case OL_AV_STRING: g->at_s++; break;
            case OL_AV_INT: g->at_i++; break;
            case OL_AV_DOUBLE: g->at_d++; break;
            case OL_AV_BOOL: g->at_b++; break;
            case OL_AV_RAW: g->at_r++; break;
            default: break;
            }
        }
    }
    return OL_OK;
}

static int ol_sg_open(ol_sgran_t *sg, const ol_part_t *p, uint32_t g, ol_arena_t *a, ol_err_t *err)
{
    memset(sg, 0, sizeof *sg);
    sg->p = p;
    sg->g = g;
    sg->a = a;
    sg->err = err;
    sg->n = ol_part_granule(p, g)->rows;
    if (ol_part_info(p)->signal != OL_SIGNAL_TRACES) return OL_SG_FAIL(sg, "part %s: not a traces part", ol_part_path(p));
    return ol_sg_tables(sg);
}

/* Assembles rows [r0, r1) and calls fn for each. */
static int ol_sg_emit(ol_sgran_t *sg, size_t r0, size_t r1, ol_part_span_fn fn, void *ud)
{
    int rc = ol_sg_seek(sg, r0);
    if (rc) return OL_SG_FAIL(sg, "part %s: granule %u: attribute values run out", ol_part_path(sg->p), sg->g);
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_STORE, 0);
    for (size_t i = r0; i < r1 && !rc; i++) {
        ol_otlp_span_t *s = ol_arena_alloc(sg->a, sizeof *s);
        if (!s) rc = OL_NOMEM;
        if (!rc) rc = ol_sg_assemble(sg, i, &b, s);
        if (!rc && fn) rc = fn(ud, s);
    }
    ol_buf_free(&b);
    return rc;
}

/* Granules are in trace-id order: the first whose range may hold the id
 * (binary search over the footer's granule table). */
static uint32_t ol_sg_first_granule(const ol_part_t *p, const uint8_t trace_id[16])
{
    uint32_t lo = 0, hi = ol_part_info(p)->granules;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (memcmp(ol_part_granule(p, mid)->last_trace_id, trace_id, 16) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

int ol_part_spans_trace(const ol_part_t *p, const uint8_t trace_id[16], ol_arena_t *a, ol_part_span_fn fn, void *ud,
                        ol_err_t *err)
{
    const ol_part_info_t *info = ol_part_info(p);
    bool found = false;
    for (uint32_t g = ol_sg_first_granule(p, trace_id); g < info->granules; g++) {
        const ol_part_granule_info_t *gi = ol_part_granule(p, g);
        if (memcmp(gi->first_trace_id, trace_id, 16) > 0) break;
        ol_sgran_t sg;
        int rc = ol_sg_open(&sg, p, g, a, err);
        if (!rc) rc = ol_sg_trace_ids(&sg);
        size_t r0 = 0, r1 = 0;
        if (!rc) {
            while (r0 < sg.n && memcmp(sg.trace_ids + 16 * r0, trace_id, 16) != 0) r0++;
            r1 = r0;
            while (r1 < sg.n && memcmp(sg.trace_ids + 16 * r1, trace_id, 16) == 0) r1++;
        }
        if (!rc && r1 > r0) {
            found = true;
            rc = ol_sg_rest_columns(&sg);
            if (!rc) rc = ol_sg_emit(&sg, r0, r1, fn, ud);
        }
        ol_sgran_free(&sg);
        if (rc) return rc;
    }
    return found ? OL_OK : OL_NOTFOUND;
}

/* Row i of a reader with its brief columns decoded, with the values
 * ol_sg_assemble gives the span; the name is copied into arena a. The extra
 * column is read only for a status kept there. */
static int ol_sg_brief(ol_sgran_t *sg, size_t i, ol_arena_t *a, ol_part_span_brief_t *b)
{
    uint64_t pm = sg->present[i];
    memcpy(b->span_id, sg->span_ids + 8 * i, 8);
    b->has_parent = sg->parent[i] != 0;
    b->status_code = sg->status[i];
    if (sg->status[i] == OL_STATUS_IN_EXTRA) {
        if (!sg->extra) {
            ol_slice_t in;
            size_t used = 0;
            int rc = ol_sg_column(sg, "extra", &in);
            if (!rc && !(sg->extra = ol_sg_alloc(sg, sg->n, sizeof(ol_slice_t)))) rc = OL_NOMEM;
            if (!rc) rc = ol_dec_bytes(in, sg->extra, sg->n, &used, sg->err);
            if (!rc) rc = ol_sg_end(sg, ol_sg_rest(in, used), "extra");
            if (rc) {
                sg->extra = NULL;
                return rc;
            }
        }
        b->status_code = ol_sg_extra_status(sg->extra[i]);
    }
    b->start_ns = sg->start[i];
    b->end_ns = sg->start[i] + (uint64_t)sg->dur[i];
    b->service = sg->res_svc[sg->res[i]];
    b->name = OL_SLICE_NULL;
    if (pm & OL_SP_NAME) {
        ol_slice_t name = sg->name_dict[sg->name_ids[i]];
        uint8_t *copy = name.len ? ol_arena_memdup(a, name.ptr, name.len) : NULL;
        if (name.len && !copy) return OL_NOMEM;
        b->name = ol_slice(copy, name.len);
    }
    return OL_OK;
}

int ol_part_spans_briefs(const ol_part_t *p, const uint8_t (*ids)[16], size_t n, ol_arena_t *a, ol_part_brief_fn fn,
                         void *ud, ol_err_t *err)
{
    const ol_part_info_t *info = ol_part_info(p);
    ol_sgran_t sg;
    bool opened = false, brief = false;
    uint32_t cur = UINT32_MAX;
    /* One granule's arrays at a time: the scratch arena is reset per granule,
     * so its pages are touched once per call, not once per granule. */
    ol_arena_t *ga = n ? ol_arena_create(1 << 20, 0) : NULL;
    int rc = n && !ga ? OL_NOMEM : OL_OK;
    for (size_t k = 0; k < n && !rc; k++) {
        const uint8_t *id = ids[k];
        for (uint32_t g = ol_sg_first_granule(p, id); g < info->granules && !rc; g++) {
            if (memcmp(ol_part_granule(p, g)->first_trace_id, id, 16) > 0) break;
            if (g != cur) {
                if (opened) ol_sgran_free(&sg);
                ol_arena_reset(ga);
                rc = ol_sg_open(&sg, p, g, ga, err);
                opened = true;
                cur = g;
                brief = false;
                if (!rc) rc = ol_sg_trace_ids(&sg);
                if (rc) break;
            }
            size_t r0 = 0;
            while (r0 < sg.n && memcmp(sg.trace_ids + 16 * r0, id, 16) != 0) r0++;
            for (size_t r = r0; r < sg.n && !rc && memcmp(sg.trace_ids + 16 * r, id, 16) == 0; r++) {
                if (!brief) {
                    rc = ol_sg_brief_columns(&sg);
                    brief = true;
                    if (rc) break;
                }
                ol_part_span_brief_t b;
                rc = ol_sg_brief(&sg, r, a, &b);
                if (!rc) rc = fn(ud, k, &b);
            }
        }
    }
    if (opened) ol_sgran_free(&sg);
    if (ga) ol_arena_destroy(ga);
    return rc;
}

int ol_part_spans_granule(const ol_part_t *p, uint32_t g, ol_arena_t *a, ol_part_span_fn fn, void *ud, ol_err_t *err)
{
    if (g >= ol_part_info(p)->granules) return OL_NOTFOUND;
    ol_sgran_t sg;
    int rc = ol_sg_open(&sg, p, g, a, err);
    if (!rc) rc = ol_sg_trace_ids(&sg);
    if (!rc) rc = ol_sg_rest_columns(&sg);
    if (!rc) rc = ol_sg_emit(&sg, 0, sg.n, fn, ud);
    ol_sgran_free(&sg);
    return rc;
}

int ol_part_spans_scan(const ol_part_t *p, uint64_t start_ns, uint64_t end_ns, ol_arena_t *a, ol_part_span_fn fn,
                       void *ud, ol_err_t *err)
{
    const ol_part_info_t *info = ol_part_info(p);
    for (uint32_t g = 0; g < info->granules; g++) {
        const ol_part_granule_info_t *gi = ol_part_granule(p, g);
        if (gi->max_time_ns < start_ns || gi->min_time_ns > end_ns) continue;
        int rc = ol_part_spans_granule(p, g, a, fn, ud, err);
        if (rc) return rc;
    }
    return OL_OK;
}

/* ---- The services table ---- */

static bool ol_svc_str(const uint8_t **q, const uint8_t *end, ol_slice_t *out)
{
    uint64_t len = 0;
    if (ol_pb_read_varint(q, end, &len) != OL_OK || len > (uint64_t)(end - *q)) return false;
    *out = len ? ol_slice(*q, (size_t)len) : OL_SLICE_NULL;
    *q += len;
    return true;
}

static int ol_svc_cmp(ol_slice_t a, ol_slice_t b)
{
    int c = a.len && b.len ? memcmp(a.ptr, b.ptr, OL_MIN(a.len, b.len)) : 0;
    return c ? c : a.len < b.len ? -1 : a.len > b.len;
}

/* Walks the table, calling fn per pair (when fn is set) and stopping at the
 * first service equal to `want` (when set, *found then true). With `strict`,
 * services and each service's names must be in increasing byte order.
 * Returns OL_CORRUPT on bad bytes, else OL_OK or what fn returned. */
static int ol_svc_walk(ol_slice_t t, bool strict, ol_part_service_fn fn, void *ud, const ol_slice_t *want, bool *found)
{
    const uint8_t *q = t.ptr, *end = t.len ? t.ptr + t.len : t.ptr;
    uint64_t n_svc = 0;
    if (ol_pb_read_varint(&q, end, &n_svc) != OL_OK || n_svc > t.len) return OL_CORRUPT;
    ol_slice_t prev_svc = OL_SLICE_NULL;
    for (uint64_t i = 0; i < n_svc; i++) {
        ol_slice_t svc, name, prev_name = OL_SLICE_NULL;
        uint64_t n_names = 0;
        if (!ol_svc_str(&q, end, &svc) || ol_pb_read_varint(&q, end, &n_names) != OL_OK ||
            n_names > (uint64_t)(end - q) || n_names == 0)
            return OL_CORRUPT;
        if (strict && i && ol_svc_cmp(prev_svc, svc) >= 0) return OL_CORRUPT;
        prev_svc = svc;
        if (want && ol_slice_eq(svc, *want)) {
            *found = true;
            return OL_OK;
        }
        for (uint64_t j = 0; j < n_names; j++) {
            if (!ol_svc_str(&q, end, &name)) return OL_CORRUPT;
            if (strict && j && ol_svc_cmp(prev_name, name) >= 0) return OL_CORRUPT;
            prev_name = name;
            if (fn) {
                int rc = fn(ud, svc, name);
                if (rc) return rc == 1 ? OL_OK : rc;
            }
        }
    }
    return q == end ? OL_OK : OL_CORRUPT;
}

int ol_part_spans_services(const ol_part_t *p, ol_part_service_fn fn, void *ud, ol_err_t *err)
{
    ol_slice_t t;
    if (ol_part_table(p, OL_SLICE_LIT("services"), &t) != OL_OK) return OL_OK;
    if (ol_svc_walk(t, false, NULL, NULL, NULL, NULL) != OL_OK) {
        ol_err_set(err, "part %s: bad services table", ol_part_path(p));
        return OL_CORRUPT;
    }
    return ol_svc_walk(t, false, fn, ud, NULL, NULL);
}

bool ol_part_spans_has_service(const ol_part_t *p, ol_slice_t service)
{
    ol_slice_t t;
    if (ol_part_table(p, OL_SLICE_LIT("services"), &t) != OL_OK) return true;
    bool found = false;
    return ol_svc_walk(t, false, NULL, NULL, &service, &found) != OL_OK || found;
}

/* Checks every r:<key> column of a granule whose columns are decoded
 * against the rows attr_keys gives the key's values. */
static int ol_sg_verify_rows(ol_sgran_t *sg)
{
    size_t n_cols = ol_part_columns(sg->p, sg->g, NULL, 0);
    ol_slice_t *names = ol_sg_alloc(sg, n_cols, sizeof *names);
    if (!names) return OL_NOMEM;
    n_cols = OL_MIN(n_cols, ol_part_columns(sg->p, sg->g, names, n_cols));
    for (size_t c = 0; c < n_cols; c++) {
        if (names[c].len < 2 || memcmp(names[c].ptr, "r:", 2) != 0) continue;
        ol_slice_t key = ol_slice(names[c].ptr + 2, names[c].len - 2), in;
        size_t id = ol_sg_key_id(sg, key);
        if (id == SIZE_MAX) return OL_SG_FAIL(sg, "part %s: granule %u: a rows column for an unknown key", ol_part_path(sg->p), sg->g);
        int rc = ol_sg_column_slice(sg, names[c], &in);
        if (rc) return rc;
        const uint8_t *q = in.ptr, *end = ol_sg_endp(in);
        uint64_t count = 0, row = 0, d = 0, seen = 0;
        if (ol_pb_read_varint(&q, end, &count) != OL_OK)
            return OL_SG_FAIL(sg, "part %s: granule %u: bad rows column count", ol_part_path(sg->p), sg->g);
        for (size_t i = 0; i < sg->n; i++) {
            for (uint64_t j = 0; j < sg->kv_count[i]; j++) {
                if (sg->kv_keys[sg->kv_first[i] + j] != id) continue;
                if (seen++ >= count || ol_pb_read_varint(&q, end, &d) != OL_OK || (row += d) != i)
                    return OL_SG_FAIL(sg, "part %s: granule %u: rows column %.*s disagrees with attr_keys",
                                      ol_part_path(sg->p), sg->g, (int)key.len, (const char *)key.ptr);
            }
        }
        if (seen != count || q != end)
            return OL_SG_FAIL(sg, "part %s: granule %u: rows column %.*s disagrees with attr_keys", ol_part_path(sg->p),
                              sg->g, (int)key.len, (const char *)key.ptr);
    }
    return OL_OK;
}

int ol_part_verify(ol_part_t *p, ol_err_t *err)
{
    if (ol_part_info(p)->signal != OL_SIGNAL_TRACES) return ol_part_verify_records(p, err);
    ol_arena_t *a = ol_arena_create(1 << 20, 0);
    if (!a) return OL_NOMEM;
    int rc = OL_OK;
    for (uint32_t g = 0; g < ol_part_info(p)->granules && !rc; g++) {
        ol_sgran_t sg;
        rc = ol_sg_open(&sg, p, g, a, err);
        if (!rc) rc = ol_sg_trace_ids(&sg);
        if (!rc) rc = ol_sg_rest_columns(&sg);
        if (!rc) rc = ol_sg_emit(&sg, 0, sg.n, NULL, NULL);
        if (!rc) rc = ol_sg_verify_rows(&sg);
        for (size_t i = 0; !rc && i < sg.n; i++) {
            if (i && memcmp(sg.trace_ids + 16 * (i - 1), sg.trace_ids + 16 * i, 16) > 0)
                rc = OL_SG_FAIL(&sg, "part %s: granule %u: trace ids out of order at row %zu", ol_part_path(p), g, i);
        }
        ol_sgran_free(&sg);
        ol_arena_reset(a);
    }
    ol_arena_destroy(a);
    ol_slice_t t;
    if (!rc && ol_part_table(p, OL_SLICE_LIT("services"), &t) == OL_OK && ol_svc_walk(t, true, NULL, NULL, NULL, NULL)) {
        ol_err_set(err, "part %s: bad services table", ol_part_path(p));
        rc = OL_CORRUPT;
    }
    return rc;
}
