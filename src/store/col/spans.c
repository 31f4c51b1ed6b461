/*
 * spans.c - spans to columns (docs/format/part.md, "Traces").
 *
 * Writing is incremental (ol_span_writer_*, spans_int.h): rows arrive sorted
 * by (trace id, start, span id); a row repeating the previous row's (trace
 * id, span id) is dropped; rows wait in a pending window until the granule
 * rule (at most 8,192 rows, a trace never split unless it alone is larger)
 * settles where the current granule ends, and that granule is then shredded
 * and written. The window holds at most one granule and one row, so memory
 * is bounded by a granule whatever the part's size; only the part tables
 * (resources, scopes, attribute keys, services) grow with the part.
 * ol_part_write_spans sorts a whole flush and feeds the writer; the merge
 * (merge.c) feeds it from the inputs' granules.
 *
 * Shredding walks each Span message once and splits it into its columns.
 * Attribute values are grouped by key, the keys frequent in the granule in
 * their own column, so equal keys' values compress together and a filter on
 * one key reads one block.
 */
#include <stdlib.h>

#include "codec/pb.h"
#include "core/alloc.h"
#include "core/util.h"
#include "store/col/enc.h"
#include "store/col/part.h"
#include "store/store.h"

#include "store/col/spans_int.h"

#define OL_SPAN_MAX_PROMOTED 64
#define OL_SPAN_PROMOTE_DIV 16 /* a key in at least 1/16 of a granule's rows gets its own columns */

/* ---- Writing ---- */

typedef struct ol_kv_in {
    uint32_t key;  /* key id */
    uint8_t type;
    uint64_t u64;  /* bool, int (as bits), double bits */
    ol_slice_t s;  /* string, or encoded AnyValue for OL_AV_RAW */
} ol_kv_in_t;

/* One row of the granule being written. */
typedef struct ol_span_row {
    const ol_otlp_span_t *span;
    uint32_t resource, scope;
    ol_slice_t trace_state, status_message;
    uint8_t status_code;
    uint64_t flags;
    uint64_t dropped[3];
    uint32_t present; /* OL_SP_* */
    size_t kv_first, kv_count;
    size_t ev_off, ev_len, ln_off, ln_len, ex_off, ex_len; /* ranges in the writer's side buffer */
} ol_span_row_t;

/* A row waiting for its granule: the span (its bytes owned by the writer in
 * copy mode) and its resource and scope ids, resolved when it was added. */
typedef struct ol_span_pend {
    ol_otlp_span_t span;
    uint32_t resource, scope;
} ol_span_pend_t;

struct ol_span_writer {
    char *path;
    size_t path_cap;
    ol_part_builder_t *pb;
    bool copy;
    ol_arena_t *spans[2];  /* copy mode: [0] holds the pending spans' bytes, [1] is spare */
    ol_span_pend_t *pend;
    size_t n_pend, cap_pend;
    size_t t0;             /* first pending row of the last trace */
    uint64_t input_bytes;
    int err;               /* sticky */
    /* the part tables */
    ol_arena_t *keep;      /* resource and scope bytes */
    ol_dict_t *keys;
    ol_dict_t *origins;    /* resource key -> resource id */
    ol_dict_t *scopes;     /* scope key -> scope id */
    ol_dict_t *services;   /* uvarint length + service + span name */
    ol_slice_t *res_bytes, *res_url, *res_svc, *sc_bytes, *sc_url;
    size_t n_res, cap_res[3], n_sc, cap_sc[2];
    /* the granule being written */
    ol_span_row_t *rows;
    size_t cap_rows;
    ol_kv_in_t *kv;
    size_t n_kv, cap_kv;
    ol_buf_t side; /* events, links and extra bytes of every row */
    ol_buf_t tmp;
};

static int ol_span_cmp(const void *a, const void *b)
{
    const ol_otlp_span_t *x = *(const ol_otlp_span_t *const *)a, *y = *(const ol_otlp_span_t *const *)b;
    int c = memcmp(x->trace_id.ptr, y->trace_id.ptr, 16);
    if (c) return c;
    if (x->start_ns != y->start_ns) return x->start_ns < y->start_ns ? -1 : 1;
    return memcmp(x->span_id.ptr, y->span_id.ptr, 8);
}

/* Appends the bytes of one field (tag included) to b. */
static void ol_span_keep_field(ol_buf_t *b, const uint8_t *from, const uint8_t *to) { ol_buf_append(b, from, (size_t)(to - from)); }

/* Classifies one encoded AnyValue. */
static void ol_span_anyvalue(ol_slice_t av, ol_kv_in_t *kv)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, av);
    int n = 0;
    kv->type = OL_AV_RAW;
    kv->s = av;
    ol_pb_field_value_t first = {0};
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (n++ == 0) first = f;
    }
    if (r.p != r.end || n != 1) return; /* empty, several fields, or odd: keep the bytes */
    switch (first.number) {
    case 1:
        if (first.wire_type == OL_PB_LEN) kv->type = OL_AV_STRING, kv->s = first.bytes;
        break;
    case 2:
        if (first.wire_type == OL_PB_VARINT && first.u64 <= 1) kv->type = OL_AV_BOOL, kv->u64 = first.u64;
        break;
    case 3:
        if (first.wire_type == OL_PB_VARINT) kv->type = OL_AV_INT, kv->u64 = first.u64;
        break;
    case 4:
        if (first.wire_type == OL_PB_I64) kv->type = OL_AV_DOUBLE, kv->u64 = first.u64;
        break;
    }
}

static ol_slice_t ol_span_keep(ol_span_writer_t *w, ol_slice_t s, bool *nomem)
{
    if (!s.len) return OL_SLICE_NULL;
    uint8_t *p = ol_arena_memdup(w->keep, s.ptr, s.len);
    if (!p) *nomem = true;
    return p ? ol_slice(p, s.len) : OL_SLICE_NULL;
}

/* Ids of the span's resource and scope in the part tables, adding them (with
 * a copy of their bytes) when new. */
static int ol_span_resource(ol_span_writer_t *w, const ol_otlp_origin_t *o, uint32_t *res, uint32_t *sc)
{
    static const ol_otlp_origin_t none = {0};
    if (!o) o = &none;
    bool nomem = false;
    ol_buf_reset(&w->tmp);
    ol_pb_put_varint(&w->tmp, o->resource.len);
    ol_buf_append_slice(&w->tmp, o->resource);
    ol_buf_append_slice(&w->tmp, o->resource_schema_url);
    if (w->tmp.err) return OL_NOMEM;
    size_t before = ol_dict_count(w->origins);
    uint32_t id = ol_dict_add(w->origins, ol_buf_slice(&w->tmp));
    if (id == UINT32_MAX) return OL_NOMEM;
    if (ol_dict_count(w->origins) > before) {
        if (ol_grow_array(OL_MEM_STORE, (void **)&w->res_bytes, &w->cap_res[0], w->n_res + 1, sizeof(ol_slice_t)) ||
            ol_grow_array(OL_MEM_STORE, (void **)&w->res_url, &w->cap_res[1], w->n_res + 1, sizeof(ol_slice_t)) ||
            ol_grow_array(OL_MEM_STORE, (void **)&w->res_svc, &w->cap_res[2], w->n_res + 1, sizeof(ol_slice_t)))
            return OL_NOMEM;
        w->res_bytes[w->n_res] = ol_span_keep(w, o->resource, &nomem);
        w->res_url[w->n_res] = ol_span_keep(w, o->resource_schema_url, &nomem);
        w->res_svc[w->n_res] = ol_span_keep(w, o->service_name, &nomem);
        w->n_res++;
        if (nomem) return OL_NOMEM;
    }
    *res = id;
    ol_buf_reset(&w->tmp);
    ol_pb_put_varint(&w->tmp, o->scope.len);
    ol_buf_append_slice(&w->tmp, o->scope);
    ol_buf_append_slice(&w->tmp, o->scope_schema_url);
    if (w->tmp.err) return OL_NOMEM;
    before = ol_dict_count(w->scopes);
    id = ol_dict_add(w->scopes, ol_buf_slice(&w->tmp));
    if (id == UINT32_MAX) return OL_NOMEM;
    if (ol_dict_count(w->scopes) > before) {
        if (ol_grow_array(OL_MEM_STORE, (void **)&w->sc_bytes, &w->cap_sc[0], w->n_sc + 1, sizeof(ol_slice_t)) ||
            ol_grow_array(OL_MEM_STORE, (void **)&w->sc_url, &w->cap_sc[1], w->n_sc + 1, sizeof(ol_slice_t)))
            return OL_NOMEM;
        w->sc_bytes[w->n_sc] = ol_span_keep(w, o->scope, &nomem);
        w->sc_url[w->n_sc] = ol_span_keep(w, o->scope_schema_url, &nomem);
        w->n_sc++;
        if (nomem) return OL_NOMEM;
    }
    *sc = id;
    return OL_OK;
}

/* Records the (service, span name) pair for the services table. */
static int ol_span_service(ol_span_writer_t *w, const ol_otlp_origin_t *o, ol_slice_t name)
{
    ol_slice_t svc = ol_store_service_of(o);
    ol_buf_reset(&w->tmp);
    ol_pb_put_varint(&w->tmp, svc.len);
    ol_buf_append_slice(&w->tmp, svc);
    ol_buf_append_slice(&w->tmp, name);
    if (w->tmp.err) return OL_NOMEM;
    return ol_dict_add(w->services, ol_buf_slice(&w->tmp)) == UINT32_MAX ? OL_NOMEM : OL_OK;
}

/* Splits one Span message into the row and the writer's side arrays. */
static int ol_span_shred(ol_span_writer_t *w, ol_span_row_t *row)
{
    const ol_otlp_span_t *sp = row->span;
    int rc;
    row->kv_first = w->n_kv;
    row->ev_off = row->ln_off = row->ex_off = 0;
    size_t ev0 = w->side.len;
    ol_buf_t ln, ex;
    ol_buf_init(&ln, OL_MEM_STORE, 0);
    ol_buf_init(&ex, OL_MEM_STORE, 0);
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, sp->raw);
    const uint8_t *at = r.p;
    while ((rc = ol_pb_next(&r, &f)) == OL_OK) {
        bool len = f.wire_type == OL_PB_LEN, var = f.wire_type == OL_PB_VARINT;
        switch (f.number) {
        case 1: case 2:
            if (len) break; /* held by the view: trace_id, span_id */
            ol_span_keep_field(&ex, at, r.p);
            break;
        case 4:
            if (len && f.bytes.len == 0) row->present |= OL_SP_PARENT_EMPTY;
            else if (!len || f.bytes.len != 8) ol_span_keep_field(&ex, at, r.p);
            break;
        case 5: case 6: case 7: case 8: {
            static const uint32_t bit[] = {OL_SP_NAME, OL_SP_KIND, OL_SP_START, OL_SP_END};
            static const uint8_t wire[] = {OL_PB_LEN, OL_PB_VARINT, OL_PB_I64, OL_PB_I64};
            if (f.wire_type == wire[f.number - 5] && (f.number != 6 || f.u64 <= 255)) row->present |= bit[f.number - 5];
            else ol_span_keep_field(&ex, at, r.p);
            break;
        }
        case 3:
            if (len) row->trace_state = f.bytes, row->present |= OL_SP_TRACE_STATE;
            else ol_span_keep_field(&ex, at, r.p);
            break;
        case 9: {
            if (!len) {
                ol_span_keep_field(&ex, at, r.p);
                break;
            }
            ol_pb_reader_t kr;
            ol_pb_field_value_t kf;
            ol_pb_reader_init(&kr, f.bytes);
            ol_slice_t key = OL_SLICE_NULL, val = OL_SLICE_NULL;
            bool has_key = false, has_val = false, odd = false;
            while (ol_pb_next(&kr, &kf) == OL_OK) {
                if (kf.number == 1 && kf.wire_type == OL_PB_LEN && !has_key && !has_val) key = kf.bytes, has_key = true;
                else if (kf.number == 2 && kf.wire_type == OL_PB_LEN && !has_val) val = kf.bytes, has_val = true;
                else odd = true;
            }
            if (odd || !has_key || kr.p != kr.end) { /* an unusual KeyValue: keep it verbatim */
                ol_span_keep_field(&ex, at, r.p);
                break;
            }
            if (ol_grow_array(OL_MEM_STORE, (void **)&w->kv, &w->cap_kv, w->n_kv + 1, sizeof *w->kv)) return OL_NOMEM;
            ol_kv_in_t *kv = &w->kv[w->n_kv++];
            memset(kv, 0, sizeof *kv);
            kv->key = ol_dict_add(w->keys, key);
            if (kv->key == UINT32_MAX) return OL_NOMEM;
            if (has_val) ol_span_anyvalue(val, kv);
            else kv->type = OL_AV_NONE;
            break;
        }
        case 10: case 12: case 14:
            if (var) {
                row->dropped[(f.number - 10) / 2] = f.u64;
                row->present |= f.number == 10 ? OL_SP_DROPPED_ATTRS : f.number == 12 ? OL_SP_DROPPED_EVENTS : OL_SP_DROPPED_LINKS;
            } else {
                ol_span_keep_field(&ex, at, r.p);
            }
            break;
        case 11:
            ol_span_keep_field(&w->side, at, r.p);
            break;
        case 13:
            ol_span_keep_field(&ln, at, r.p);
            break;
        case 15: {
            bool plain = len && !(row->present & OL_SP_STATUS);
            ol_slice_t msg = OL_SLICE_NULL;
            uint64_t code = 0;
            uint32_t bits = OL_SP_STATUS;
            if (plain) {
                ol_pb_reader_t sr;
                ol_pb_field_value_t sf;
                ol_pb_reader_init(&sr, f.bytes);
                int last = 0;
                while (ol_pb_next(&sr, &sf) == OL_OK) {
                    if (sf.number == 2 && sf.wire_type == OL_PB_LEN && last < 2) msg = sf.bytes, bits |= OL_SP_STATUS_MESSAGE, last = 2;
                    else if (sf.number == 3 && sf.wire_type == OL_PB_VARINT && sf.u64 < OL_STATUS_IN_EXTRA && last < 3)
                        code = sf.u64, bits |= OL_SP_STATUS_CODE, last = 3;
                    else plain = false;
                }
                if (sr.p != sr.end) plain = false;
            }
            if (plain) {
                row->status_code = (uint8_t)code;
                row->status_message = msg;
                row->present |= bits;
            } else {
                row->status_code = OL_STATUS_IN_EXTRA;
                row->status_message = OL_SLICE_NULL;
                row->present &= ~(uint32_t)(OL_SP_STATUS | OL_SP_STATUS_MESSAGE | OL_SP_STATUS_CODE);
                ol_span_keep_field(&ex, at, r.p);
            }
            break;
        }
        case 16:
            if (f.wire_type == OL_PB_I32) row->flags = f.u64, row->present |= OL_SP_FLAGS;
            else ol_span_keep_field(&ex, at, r.p);
            break;
        default:
            ol_span_keep_field(&ex, at, r.p);
        }
        at = r.p;
    }
    row->kv_count = w->n_kv - row->kv_first;
    row->ev_off = ev0;
    row->ev_len = w->side.len - ev0;
    row->ln_off = w->side.len;
    ol_buf_append_slice(&w->side, ol_buf_slice(&ln));
    row->ln_len = ln.len;
    row->ex_off = w->side.len;
    ol_buf_append_slice(&w->side, ol_buf_slice(&ex));
    row->ex_len = ex.len;
    bool nomem = ln.err || ex.err || w->side.err;
    ol_buf_free(&ln);
    ol_buf_free(&ex);
    if (nomem) return OL_NOMEM;
    return rc == OL_NOTFOUND ? OL_OK : rc;
}

/* A string column: dictionary, then one id per value (+1 when `optional`, 0 = absent). */
static int ol_span_put_strings(ol_buf_t *out, const ol_slice_t *v, const bool *present, size_t n)
{
    ol_dict_t *d = ol_dict_new();
    if (!d) return OL_NOMEM;
    uint64_t *ids = ol_malloc(OL_MEM_STORE, (n ? n : 1) * sizeof *ids);
    if (!ids) {
        ol_dict_free(d);
        return OL_NOMEM;
    }
    int rc = OL_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        if (present && !present[i]) {
            ids[i] = 0;
            continue;
        }
        uint32_t id = ol_dict_add(d, v[i]);
        if (id == UINT32_MAX) rc = OL_NOMEM;
        ids[i] = (uint64_t)id + (present ? 1 : 0);
    }
    if (!rc) {
        ol_dict_encode(d, out);
        ol_enc_uvarints(out, ids, n);
    }
    ol_free(OL_MEM_STORE, ids, (n ? n : 1) * sizeof *ids);
    ol_dict_free(d);
    return rc;
}

/* One attribute group: the values of one key, in row order. */
static int ol_span_put_group(ol_buf_t *out, ol_kv_in_t *const *vals, size_t m)
{
    uint8_t *types = ol_malloc(OL_MEM_STORE, m + 1);
    ol_slice_t *strs = ol_malloc(OL_MEM_STORE, (m + 1) * sizeof *strs);
    int64_t *ints = ol_malloc(OL_MEM_STORE, (m + 1) * sizeof *ints);
    uint8_t *dbls = ol_malloc(OL_MEM_STORE, (m + 1) * 8);
    uint8_t *bools = ol_malloc(OL_MEM_STORE, m + 1);
    ol_slice_t *raws = ol_malloc(OL_MEM_STORE, (m + 1) * sizeof *raws);
    int rc = OL_NOMEM;
    if (types && strs && ints && dbls && bools && raws) {
        size_t ns = 0, ni = 0, nd = 0, nb = 0, nr = 0;
        for (size_t i = 0; i < m; i++) {
            const ol_kv_in_t *kv = vals[i];
            types[i] = kv->type;
            switch (kv->type) {
            case OL_AV_STRING: strs[ns++] = kv->s; break;
            case OL_AV_INT: ints[ni++] = (int64_t)kv->u64; break;
            case OL_AV_DOUBLE: ol_store_le64(dbls + 8 * nd++, kv->u64); break;
            case OL_AV_BOOL: bools[nb++] = (uint8_t)kv->u64; break;
            case OL_AV_RAW: raws[nr++] = kv->s; break;
            default: break;
            }
        }
        ol_enc_u8(out, types, m);
        rc = ol_span_put_strings(out, strs, NULL, ns);
        ol_enc_zigzag(out, ints, ni);
        ol_enc_fixed(out, dbls, 8, nd);
        ol_enc_u8(out, bools, nb);
        ol_enc_bytes(out, raws, nr);
    }
    ol_free(OL_MEM_STORE, types, m + 1);
    ol_free(OL_MEM_STORE, strs, (m + 1) * sizeof *strs);
    ol_free(OL_MEM_STORE, ints, (m + 1) * sizeof *ints);
    ol_free(OL_MEM_STORE, dbls, (m + 1) * 8);
    ol_free(OL_MEM_STORE, bools, m + 1);
    ol_free(OL_MEM_STORE, raws, (m + 1) * sizeof *raws);
    return rc;
}

typedef struct ol_keycount {
    uint32_t key;
    uint32_t rows; /* rows of the granule that carry the key */
    uint32_t last_row;
    uint32_t values;
} ol_keycount_t;

static int ol_keycount_cmp(const void *a, const void *b)
{
    const ol_keycount_t *x = a, *y = b;
    if (x->rows != y->rows) return x->rows > y->rows ? -1 : 1;
    return x->key < y->key ? -1 : x->key > y->key;
}

static int ol_span_put_column(ol_part_builder_t *pb, const char *name, ol_buf_t *col)
{
    if (col->err) return OL_NOMEM;
    int rc = ol_part_builder_column(pb, ol_slice_cstr(name), ol_buf_slice(col));
    ol_buf_reset(col);
    return rc;
}

/* Writes the columns of rows [r0, r1). */
static int ol_span_granule(ol_part_builder_t *pb, ol_span_writer_t *w, const ol_span_row_t *rows, size_t r0, size_t r1)
{
    size_t n = r1 - r0;
    ol_part_granule_info_t gi = {.rows = (uint32_t)n, .min_time_ns = UINT64_MAX, .max_time_ns = 0};
    memcpy(gi.first_trace_id, rows[r0].span->trace_id.ptr, 16);
    memcpy(gi.last_trace_id, rows[r1 - 1].span->trace_id.ptr, 16);
    for (size_t i = r0; i < r1; i++) {
        const ol_otlp_span_t *s = rows[i].span;
        gi.min_time_ns = OL_MIN(gi.min_time_ns, OL_MIN(s->start_ns, s->end_ns));
        gi.max_time_ns = OL_MAX(gi.max_time_ns, OL_MAX(s->start_ns, s->end_ns));
    }
    int rc = ol_part_builder_granule(pb, &gi);
    if (rc) return rc;

    size_t cap = n ? n : 1;
    uint8_t *ids = ol_malloc(OL_MEM_STORE, cap * 16);
    uint64_t *u = ol_malloc(OL_MEM_STORE, cap * sizeof *u);
    int64_t *z = ol_malloc(OL_MEM_STORE, cap * sizeof *z);
    uint8_t *b8 = ol_malloc(OL_MEM_STORE, cap);
    ol_slice_t *sl = ol_malloc(OL_MEM_STORE, cap * sizeof *sl);
    bool *pr = ol_malloc(OL_MEM_STORE, cap * sizeof *pr);
    ol_buf_t col;
    ol_buf_init(&col, OL_MEM_STORE, 0);
    rc = (ids && u && z && b8 && sl && pr) ? OL_OK : OL_NOMEM;

    if (!rc) { /* trace_id */
        for (size_t i = 0; i < n; i++) memcpy(ids + 16 * i, rows[r0 + i].span->trace_id.ptr, 16);
        ol_enc_runs(&col, ids, 16, n);
        rc = ol_span_put_column(pb, "trace_id", &col);
    }
    if (!rc) { /* span_id */
        for (size_t i = 0; i < n; i++) memcpy(ids + 8 * i, rows[r0 + i].span->span_id.ptr, 8);
        ol_enc_fixed(&col, ids, 8, n);
        rc = ol_span_put_column(pb, "span_id", &col);
    }
    if (!rc) { /* parent: within the trace run when possible */
        size_t run = 0, n_explicit = 0;
        for (size_t i = 0; i < n; i++) {
            const ol_otlp_span_t *s = rows[r0 + i].span;
            if (i > 0 && memcmp(s->trace_id.ptr, rows[r0 + i - 1].span->trace_id.ptr, 16) != 0) run = i;
            if (s->parent_span_id.len != 8) { /* none, or an odd one kept in extra */
                u[i] = 0;
                continue;
            }
            u[i] = 1;
            {
                for (size_t j = run; j < n && j < run + 65536; j++) {
                    const ol_otlp_span_t *c = rows[r0 + j].span;
                    if (memcmp(c->trace_id.ptr, s->trace_id.ptr, 16) != 0) break;
                    if (memcmp(c->span_id.ptr, s->parent_span_id.ptr, 8) == 0) {
                        u[i] = 2 + (j - run);
                        break;
                    }
                }
            }
            if (u[i] == 1) memcpy(ids + 8 * n_explicit++, s->parent_span_id.ptr, 8);
        }
        ol_enc_uvarints(&col, u, n);
        ol_enc_fixed(&col, ids, 8, n_explicit);
        rc = ol_span_put_column(pb, "parent", &col);
    }
    if (!rc) { /* start, duration */
        for (size_t i = 0; i < n; i++) u[i] = rows[r0 + i].span->start_ns;
        ol_enc_delta(&col, gi.min_time_ns, u, n);
        rc = ol_span_put_column(pb, "start", &col);
        for (size_t i = 0; i < n && !rc; i++) {
            const ol_otlp_span_t *s = rows[r0 + i].span;
            z[i] = (int64_t)(s->end_ns - s->start_ns);
        }
        ol_enc_zigzag(&col, z, n);
        if (!rc) rc = ol_span_put_column(pb, "duration", &col);
    }
    if (!rc) { /* name */
        for (size_t i = 0; i < n; i++) sl[i] = rows[r0 + i].span->name;
        rc = ol_span_put_strings(&col, sl, NULL, n);
        if (!rc) rc = ol_span_put_column(pb, "name", &col);
    }
    if (!rc) { /* kind, status_code */
        for (size_t i = 0; i < n; i++) b8[i] = rows[r0 + i].present & OL_SP_KIND ? (uint8_t)rows[r0 + i].span->kind : 0;
        ol_enc_u8(&col, b8, n);
        rc = ol_span_put_column(pb, "kind", &col);
        for (size_t i = 0; i < n; i++) b8[i] = rows[r0 + i].status_code;
        ol_enc_u8(&col, b8, n);
        if (!rc) rc = ol_span_put_column(pb, "status_code", &col);
    }
    if (!rc) { /* status_message, trace_state */
        for (size_t i = 0; i < n; i++) sl[i] = rows[r0 + i].status_message, pr[i] = rows[r0 + i].present & OL_SP_STATUS_MESSAGE;
        rc = ol_span_put_strings(&col, sl, pr, n);
        if (!rc) rc = ol_span_put_column(pb, "status_message", &col);
        for (size_t i = 0; i < n; i++) sl[i] = rows[r0 + i].trace_state, pr[i] = rows[r0 + i].present & OL_SP_TRACE_STATE;
        if (!rc) rc = ol_span_put_strings(&col, sl, pr, n);
        if (!rc) rc = ol_span_put_column(pb, "trace_state", &col);
    }
    if (!rc) { /* present, flags, resource, scope, dropped */
        for (size_t i = 0; i < n; i++) u[i] = rows[r0 + i].present;
        ol_enc_uvarints(&col, u, n);
        rc = ol_span_put_column(pb, "present", &col);
        for (size_t i = 0; i < n; i++) u[i] = rows[r0 + i].flags;
        ol_enc_uvarints(&col, u, n);
        if (!rc) rc = ol_span_put_column(pb, "flags", &col);
        for (size_t i = 0; i < n; i++) u[i] = rows[r0 + i].resource;
        ol_enc_uvarints(&col, u, n);
        if (!rc) rc = ol_span_put_column(pb, "resource", &col);
        for (size_t i = 0; i < n; i++) u[i] = rows[r0 + i].scope;
        ol_enc_uvarints(&col, u, n);
        if (!rc) rc = ol_span_put_column(pb, "scope", &col);
        for (int d = 0; d < 3; d++) {
            for (size_t i = 0; i < n; i++) u[i] = rows[r0 + i].dropped[d];
            ol_enc_uvarints(&col, u, n);
        }
        if (!rc) rc = ol_span_put_column(pb, "dropped", &col);
    }
    if (!rc) { /* events, links, extra */
        const char *names[3] = {"events", "links", "extra"};
        for (int k = 0; k < 3 && !rc; k++) {
            for (size_t i = 0; i < n; i++) {
                const ol_span_row_t *row = &rows[r0 + i];
                size_t off = k == 0 ? row->ev_off : k == 1 ? row->ln_off : row->ex_off;
                size_t len = k == 0 ? row->ev_len : k == 1 ? row->ln_len : row->ex_len;
                sl[i] = len ? ol_slice(w->side.data + off, len) : OL_SLICE_NULL;
            }
            ol_enc_bytes(&col, sl, n);
            rc = ol_span_put_column(pb, names[k], &col);
        }
    }

    /* Attributes: key order per row, then values grouped by key. */
    size_t n_keys = ol_dict_count(w->keys);
    ol_keycount_t *kc = rc ? NULL : ol_calloc(OL_MEM_STORE, n_keys ? n_keys : 1, sizeof *kc);
    if (!rc && !kc) rc = OL_NOMEM;
    size_t n_vals = 0;
    if (!rc) {
        for (size_t k = 0; k < n_keys; k++) kc[k].key = (uint32_t)k, kc[k].last_row = UINT32_MAX;
        for (size_t i = 0; i < n; i++) {
            const ol_span_row_t *row = &rows[r0 + i];
            ol_pb_put_varint(&col, row->kv_count);
            for (size_t j = 0; j < row->kv_count; j++) {
                ol_kv_in_t *kv = &w->kv[row->kv_first + j];
                ol_pb_put_varint(&col, kv->key);
                ol_keycount_t *c = &kc[kv->key];
                if (c->last_row != i) c->rows++, c->last_row = (uint32_t)i;
                c->values++;
                n_vals++;
            }
        }
        rc = ol_span_put_column(pb, "attr_keys", &col);
    }
    ol_kv_in_t **vals = NULL;
    uint64_t *vrow = NULL; /* per value, in key-bucket order: its row */
    uint32_t *pos = NULL;
    if (!rc && n_vals) {
        /* Bucket the granule's values by key, in row order. */
        vals = ol_malloc(OL_MEM_STORE, n_vals * sizeof *vals);
        vrow = ol_malloc(OL_MEM_STORE, n_vals * sizeof *vrow);
        pos = ol_calloc(OL_MEM_STORE, n_keys + 1, sizeof *pos);
        if (!vals || !vrow || !pos) rc = OL_NOMEM;
        for (size_t k = 0; !rc && k < n_keys; k++) pos[k + 1] = pos[k] + kc[k].values;
        uint32_t *fill = rc ? NULL : ol_malloc(OL_MEM_STORE, (n_keys ? n_keys : 1) * sizeof *fill);
        if (!rc && !fill) rc = OL_NOMEM;
        if (!rc) {
            memcpy(fill, pos, n_keys * sizeof *fill);
            for (size_t i = 0; i < n; i++) {
                const ol_span_row_t *row = &rows[r0 + i];
                for (size_t j = 0; j < row->kv_count; j++) {
                    ol_kv_in_t *kv = &w->kv[row->kv_first + j];
                    vrow[fill[kv->key]] = i;
                    vals[fill[kv->key]++] = kv;
                }
            }
        }
        if (fill) ol_free(OL_MEM_STORE, fill, (n_keys ? n_keys : 1) * sizeof *fill);
        /* Promoted keys: in at least a sixteenth of the rows, the most frequent
         * first; each with the rows of its values (r:<key>). */
        ol_keycount_t *order = rc ? NULL : ol_malloc(OL_MEM_STORE, n_keys * sizeof *order);
        if (!rc && !order) rc = OL_NOMEM;
        bool *promoted = rc ? NULL : ol_calloc(OL_MEM_STORE, n_keys, sizeof *promoted);
        if (!rc && !promoted) rc = OL_NOMEM;
        if (!rc) {
            memcpy(order, kc, n_keys * sizeof *order);
            qsort(order, n_keys, sizeof *order, ol_keycount_cmp);
            for (size_t k = 0; k < n_keys && k < OL_SPAN_MAX_PROMOTED && !rc; k++) {
                if (order[k].rows == 0 || (size_t)order[k].rows * OL_SPAN_PROMOTE_DIV < n) break;
                uint32_t key = order[k].key;
                promoted[key] = true;
                rc = ol_span_put_group(&col, vals + pos[key], kc[key].values);
                if (rc) break;
                ol_slice_t kname = ol_dict_get(w->keys, key);
                ol_buf_reset(&w->tmp);
                ol_buf_append_cstr(&w->tmp, "a:");
                ol_buf_append_slice(&w->tmp, kname);
                if (w->tmp.err || col.err) {
                    rc = OL_NOMEM;
                    break;
                }
                rc = ol_part_builder_column(pb, ol_buf_slice(&w->tmp), ol_buf_slice(&col));
                ol_buf_reset(&col);
                if (rc) break;
                uint64_t *rows_of = vrow + pos[key], prev = 0;
                ol_pb_put_varint(&col, kc[key].values);
                for (size_t j = 0; j < kc[key].values; j++) {
                    uint64_t r = rows_of[j];
                    rows_of[j] = r - prev; /* in place: each value's row is read once */
                    prev = r;
                }
                ol_enc_uvarints(&col, rows_of, kc[key].values);
                w->tmp.data[0] = 'r';
                if (col.err) {
                    rc = OL_NOMEM;
                    break;
                }
                rc = ol_part_builder_column(pb, ol_buf_slice(&w->tmp), ol_buf_slice(&col));
                ol_buf_reset(&col);
            }
            for (size_t k = 0; k < n_keys && !rc; k++) {
                if (promoted[k] || kc[k].values == 0) continue;
                ol_pb_put_varint(&col, k);
                rc = ol_span_put_group(&col, vals + pos[k], kc[k].values);
            }
            if (!rc) rc = ol_span_put_column(pb, "attrs", &col);
        }
        if (order) ol_free(OL_MEM_STORE, order, n_keys * sizeof *order);
        if (promoted) ol_free(OL_MEM_STORE, promoted, n_keys * sizeof *promoted);
    } else if (!rc) {
        rc = ol_span_put_column(pb, "attrs", &col);
    }
    if (vals) ol_free(OL_MEM_STORE, vals, n_vals * sizeof *vals);
    if (vrow) ol_free(OL_MEM_STORE, vrow, n_vals * sizeof *vrow);
    if (pos) ol_free(OL_MEM_STORE, pos, (n_keys + 1) * sizeof *pos);
    if (kc) ol_free(OL_MEM_STORE, kc, (n_keys ? n_keys : 1) * sizeof *kc);
    ol_buf_free(&col);
    ol_free(OL_MEM_STORE, ids, cap * 16);
    ol_free(OL_MEM_STORE, u, cap * sizeof *u);
    ol_free(OL_MEM_STORE, z, cap * sizeof *z);
    ol_free(OL_MEM_STORE, b8, cap);
    ol_free(OL_MEM_STORE, sl, cap * sizeof *sl);
    ol_free(OL_MEM_STORE, pr, cap * sizeof *pr);
    return rc;
}

typedef struct ol_span_svc {
    ol_slice_t service, name;
} ol_span_svc_t;

static int ol_span_slice_cmp(ol_slice_t a, ol_slice_t b)
{
    int c = a.len && b.len ? memcmp(a.ptr, b.ptr, OL_MIN(a.len, b.len)) : 0;
    return c ? c : a.len < b.len ? -1 : a.len > b.len;
}

static int ol_span_svc_cmp(const void *a, const void *b)
{
    const ol_span_svc_t *x = a, *y = b;
    int c = ol_span_slice_cmp(x->service, y->service);
    return c ? c : ol_span_slice_cmp(x->name, y->name);
}

/* The services table: uvarint service count, then per service (in byte
 * order) its name, a uvarint count and its span names (in byte order), each
 * string as uvarint length + bytes. */
static int ol_span_services_table(ol_span_writer_t *w, ol_buf_t *t)
{
    size_t n = ol_dict_count(w->services);
    ol_span_svc_t *v = ol_malloc(OL_MEM_STORE, (n ? n : 1) * sizeof *v);
    if (!v) return OL_NOMEM;
    for (size_t i = 0; i < n; i++) {
        ol_slice_t k = ol_dict_get(w->services, (uint32_t)i);
        const uint8_t *q = k.ptr, *end = k.ptr + k.len;
        uint64_t len = 0;
        ol_pb_read_varint(&q, end, &len); /* written by ol_span_service: cannot fail */
        v[i].service = ol_slice(q, (size_t)len);
        v[i].name = ol_slice(q + len, (size_t)(end - q - len));
    }
    qsort(v, n, sizeof *v, ol_span_svc_cmp);
    size_t n_svc = 0;
    for (size_t i = 0; i < n; i++) n_svc += i == 0 || !ol_slice_eq(v[i].service, v[i - 1].service);
    ol_pb_put_varint(t, n_svc);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && ol_slice_eq(v[j].service, v[i].service)) j++;
        ol_pb_put_varint(t, v[i].service.len);
        ol_buf_append_slice(t, v[i].service);
        ol_pb_put_varint(t, j - i);
        for (size_t k = i; k < j; k++) {
            ol_pb_put_varint(t, v[k].name.len);
            ol_buf_append_slice(t, v[k].name);
        }
        i = j;
    }
    ol_free(OL_MEM_STORE, v, (n ? n : 1) * sizeof *v);
    return t->err ? OL_NOMEM : OL_OK;
}

static int ol_span_tables(ol_part_builder_t *pb, ol_span_writer_t *w)
{
    ol_buf_t t;
    ol_buf_init(&t, OL_MEM_STORE, 0);
    ol_pb_put_varint(&t, w->n_res);
    ol_enc_bytes(&t, w->res_bytes, w->n_res);
    ol_enc_bytes(&t, w->res_url, w->n_res);
    ol_enc_bytes(&t, w->res_svc, w->n_res);
    int rc = t.err ? OL_NOMEM : ol_part_builder_table(pb, OL_SLICE_LIT("resources"), ol_buf_slice(&t));
    ol_buf_reset(&t);
    ol_pb_put_varint(&t, w->n_sc);
    ol_enc_bytes(&t, w->sc_bytes, w->n_sc);
    ol_enc_bytes(&t, w->sc_url, w->n_sc);
    if (!rc) rc = t.err ? OL_NOMEM : ol_part_builder_table(pb, OL_SLICE_LIT("scopes"), ol_buf_slice(&t));
    ol_buf_reset(&t);
    ol_dict_encode(w->keys, &t);
    if (!rc) rc = t.err ? OL_NOMEM : ol_part_builder_table(pb, OL_SLICE_LIT("keys"), ol_buf_slice(&t));
    ol_buf_reset(&t);
    if (!rc) rc = ol_span_services_table(w, &t);
    if (!rc) rc = ol_part_builder_table(pb, OL_SLICE_LIT("services"), ol_buf_slice(&t));
    ol_buf_free(&t);
    return rc;
}

/* ---- The incremental writer ---- */

int ol_span_writer_new(const char *path, uint64_t part_id, bool copy, ol_span_writer_t **out)
{
    *out = NULL;
    ol_span_writer_t *w = ol_calloc(OL_MEM_STORE, 1, sizeof *w);
    if (!w) return OL_NOMEM;
    ol_buf_init(&w->side, OL_MEM_STORE, 0);
    ol_buf_init(&w->tmp, OL_MEM_STORE, 0);
    w->copy = copy;
    w->path_cap = strlen(path) + 1;
    w->path = ol_strndup(OL_MEM_STORE, path, w->path_cap - 1);
    w->pb = ol_part_builder_new(OL_SIGNAL_TRACES, part_id, 3);
    w->keep = ol_arena_create(4096, 0);
    w->keys = ol_dict_new();
    w->origins = ol_dict_new();
    w->scopes = ol_dict_new();
    w->services = ol_dict_new();
    if (copy) {
        w->spans[0] = ol_arena_create(1 << 20, 0);
        w->spans[1] = ol_arena_create(1 << 20, 0);
    }
    if (!w->path || !w->pb || !w->keep || !w->keys || !w->origins || !w->scopes || !w->services ||
        (copy && (!w->spans[0] || !w->spans[1]))) {
        ol_span_writer_free(w);
        return OL_NOMEM;
    }
    *out = w;
    return OL_OK;
}

void ol_span_writer_free(ol_span_writer_t *w)
{
    if (!w) return;
    ol_part_builder_free(w->pb);
    ol_arena_destroy(w->spans[0]);
    ol_arena_destroy(w->spans[1]);
    ol_arena_destroy(w->keep);
    ol_dict_free(w->keys);
    ol_dict_free(w->origins);
    ol_dict_free(w->scopes);
    ol_dict_free(w->services);
    ol_free(OL_MEM_STORE, w->pend, w->cap_pend * sizeof *w->pend);
    ol_free(OL_MEM_STORE, w->res_bytes, w->cap_res[0] * sizeof(ol_slice_t));
    ol_free(OL_MEM_STORE, w->res_url, w->cap_res[1] * sizeof(ol_slice_t));
    ol_free(OL_MEM_STORE, w->res_svc, w->cap_res[2] * sizeof(ol_slice_t));
    ol_free(OL_MEM_STORE, w->sc_bytes, w->cap_sc[0] * sizeof(ol_slice_t));
    ol_free(OL_MEM_STORE, w->sc_url, w->cap_sc[1] * sizeof(ol_slice_t));
    ol_free(OL_MEM_STORE, w->rows, w->cap_rows * sizeof *w->rows);
    ol_free(OL_MEM_STORE, w->kv, w->cap_kv * sizeof *w->kv);
    ol_buf_free(&w->side);
    ol_buf_free(&w->tmp);
    ol_free(OL_MEM_STORE, w->path, w->path_cap);
    ol_free(OL_MEM_STORE, w, sizeof *w);
}

/* A slice of src's view rebased into its copied bytes (or copied alone when it lies outside them). */
static ol_slice_t ol_span_rebase(ol_arena_t *a, ol_slice_t s, ol_slice_t from, const uint8_t *to, bool *nomem)
{
    if (!s.len) return s;
    if (from.len && s.ptr >= from.ptr && s.len <= from.len && (size_t)(s.ptr - from.ptr) <= from.len - s.len)
        return ol_slice(to + (s.ptr - from.ptr), s.len);
    uint8_t *p = ol_arena_memdup(a, s.ptr, s.len);
    if (!p) *nomem = true;
    return p ? ol_slice(p, s.len) : OL_SLICE_NULL;
}

/* Copies the span's bytes into a, so the caller's may go away. */
static int ol_span_copy(ol_arena_t *a, ol_otlp_span_t *s)
{
    bool nomem = false;
    ol_slice_t raw = s->raw;
    uint8_t *to = ol_arena_memdup(a, raw.ptr, raw.len);
    if (!to) return OL_NOMEM;
    s->trace_id = ol_span_rebase(a, s->trace_id, raw, to, &nomem);
    s->span_id = ol_span_rebase(a, s->span_id, raw, to, &nomem);
    s->parent_span_id = ol_span_rebase(a, s->parent_span_id, raw, to, &nomem);
    s->name = ol_span_rebase(a, s->name, raw, to, &nomem);
    s->raw = ol_slice(to, raw.len);
    s->origin = NULL; /* resolved to table ids when added */
    s->reject_reason = NULL;
    return nomem ? OL_NOMEM : OL_OK;
}

/* Shreds and writes pending rows [0, k) as one granule, then moves the rest to the front. */
static int ol_span_writer_emit(ol_span_writer_t *w, size_t k)
{
    if (ol_grow_array(OL_MEM_STORE, (void **)&w->rows, &w->cap_rows, k, sizeof *w->rows)) return OL_NOMEM;
    w->n_kv = 0;
    ol_buf_reset(&w->side);
    int rc = OL_OK;
    for (size_t i = 0; i < k && !rc; i++) {
        ol_span_row_t *row = &w->rows[i];
        memset(row, 0, sizeof *row);
        row->span = &w->pend[i].span;
        row->resource = w->pend[i].resource;
        row->scope = w->pend[i].scope;
        rc = ol_span_shred(w, row);
    }
    if (!rc) rc = ol_span_granule(w->pb, w, w->rows, 0, k);
    if (rc) return rc;
    size_t rest = w->n_pend - k;
    if (w->copy) { /* the rest moves to the spare arena, and the full one is emptied */
        for (size_t i = k; i < w->n_pend && !rc; i++) rc = ol_span_copy(w->spans[1], &w->pend[i].span);
        if (rc) return rc;
        ol_arena_reset(w->spans[0]);
        ol_arena_t *t = w->spans[0];
        w->spans[0] = w->spans[1];
        w->spans[1] = t;
    }
    memmove(w->pend, w->pend + k, rest * sizeof *w->pend);
    w->n_pend = rest;
    w->t0 = 0;
    return OL_OK;
}

static int ol_span_key_cmp(const ol_otlp_span_t *x, const ol_otlp_span_t *y)
{
    return ol_span_cmp(&x, &y);
}

int ol_span_writer_add(ol_span_writer_t *w, const ol_otlp_span_t *s, ol_err_t *err)
{
    if (w->err) return w->err;
    int rc = OL_OK;
    if (s->trace_id.len != 16 || s->span_id.len != 8) {
        ol_err_set(err, "part %s: a span has no valid ids", w->path);
        return w->err = OL_ERR;
    }
    const ol_otlp_span_t *last = w->n_pend ? &w->pend[w->n_pend - 1].span : NULL;
    bool new_trace = !last || memcmp(s->trace_id.ptr, last->trace_id.ptr, 16) != 0;
    if (last) {
        if (ol_span_key_cmp(last, s) > 0) {
            ol_err_set(err, "part %s: spans added out of (trace id, start, span id) order", w->path);
            return w->err = OL_ERR;
        }
        if (!new_trace && memcmp(s->span_id.ptr, last->span_id.ptr, 8) == 0)
            return OL_OK; /* the same span sent twice */
    }
    if (ol_grow_array(OL_MEM_STORE, (void **)&w->pend, &w->cap_pend, w->n_pend + 1, sizeof *w->pend)) rc = OL_NOMEM;
    ol_span_pend_t *pe = rc ? NULL : &w->pend[w->n_pend];
    if (pe) {
        pe->span = *s;
        rc = ol_span_resource(w, s->origin, &pe->resource, &pe->scope);
        if (!rc) rc = ol_span_service(w, s->origin, s->name);
        if (!rc && w->copy) rc = ol_span_copy(w->spans[0], &pe->span);
    }
    if (!rc) {
        if (new_trace) w->t0 = w->n_pend;
        w->n_pend++;
        w->input_bytes += s->raw.len;
        if (w->n_pend > OL_PART_GRANULE_ROWS) /* the granule ends before the last trace, or inside it when it alone is too big */
            rc = ol_span_writer_emit(w, w->t0 ? w->t0 : OL_PART_GRANULE_ROWS);
    }
    if (rc) {
        ol_err_set(err, "part %s: encoding spans failed: %s", w->path, ol_rc_str(rc));
        w->err = rc;
    }
    return rc;
}

int ol_span_writer_finish(ol_span_writer_t *w, const ol_io_t *io, uint64_t wal_segment, ol_part_info_t *info,
                          ol_err_t *err)
{
    if (w->err) return w->err;
    int rc = w->n_pend ? ol_span_writer_emit(w, w->n_pend) : OL_OK;
    if (!rc) rc = ol_span_tables(w->pb, w);
    if (rc) {
        ol_err_set(err, "part %s: encoding spans failed: %s", w->path, ol_rc_str(rc));
        return w->err = rc;
    }
    ol_part_builder_input_bytes(w->pb, w->input_bytes);
    rc = ol_part_builder_finish(w->pb, io, w->path, wal_segment, info, err);
    if (rc) w->err = rc;
    return rc;
}

int ol_part_write_spans(const ol_io_t *io, const char *path, uint64_t part_id, uint64_t wal_segment,
                        const ol_otlp_span_t *const *spans, size_t n, ol_part_info_t *info, ol_err_t *err)
{
    if (!io) io = ol_io_posix();
    for (size_t i = 0; i < n; i++) {
        if (spans[i]->trace_id.len != 16 || spans[i]->span_id.len != 8) {
            ol_err_set(err, "part %s: span %zu has no valid ids", path, i);
            return OL_ERR;
        }
    }
    const ol_otlp_span_t **sorted = ol_malloc(OL_MEM_STORE, (n ? n : 1) * sizeof *sorted);
    ol_span_writer_t *w = NULL;
    int rc = sorted ? ol_span_writer_new(path, part_id, false, &w) : OL_NOMEM;
    if (rc) ol_err_set(err, "part %s: out of memory", path);
    if (!rc) {
        if (n) memcpy(sorted, spans, n * sizeof *sorted);
        qsort(sorted, n, sizeof *sorted, ol_span_cmp);
        for (size_t i = 0; i < n && !rc; i++) rc = ol_span_writer_add(w, sorted[i], err);
    }
    if (!rc) rc = ol_span_writer_finish(w, io, wal_segment, info, err);
    ol_span_writer_free(w);
    ol_free(OL_MEM_STORE, sorted, (n ? n : 1) * sizeof *sorted);
    return rc;
}
