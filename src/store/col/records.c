/*
 * records.c - what logs and metrics parts share (docs/format/part.md, "Logs
 * and metrics"): the resources and scopes tables, the resource / scope /
 * record columns, and reading a granule back as one OTLP export request.
 *
 * A granule's payload groups its rows by (resource, scope) table index, in
 * row order within a group, so a granule of many interleaved services still
 * holds each Resource and InstrumentationScope once. The items are the
 * stored bytes, so decoding the payload (ol_otlp_decode, as for a WAL
 * record) gives every record back byte for byte with its origin.
 *
 * Verification decodes exactly that payload and compares each item with its
 * columns, so a part that verifies is one whose pruning columns tell the
 * truth about its records.
 */
#include <stdlib.h>

#include "codec/pb.h"
#include "core/alloc.h"
#include "core/util.h"
#include "store/col/records_int.h"
#include "store/request.h"

/* ---- Tables (writing) ---- */

int ol_rec_origins_init(ol_rec_origins_t *o)
{
    memset(o, 0, sizeof *o);
    ol_buf_init(&o->tmp, OL_MEM_STORE, 0);
    o->res_keys = ol_dict_new();
    o->sc_keys = ol_dict_new();
    return o->res_keys && o->sc_keys ? OL_OK : OL_NOMEM;
}

void ol_rec_origins_free(ol_rec_origins_t *o)
{
    ol_dict_free(o->res_keys);
    ol_dict_free(o->sc_keys);
    ol_free(OL_MEM_STORE, o->res, o->cap_res * sizeof *o->res);
    ol_free(OL_MEM_STORE, o->sc, o->cap_sc * sizeof *o->sc);
    ol_buf_free(&o->tmp);
    memset(o, 0, sizeof *o);
}

static bool ol_rec_sent(ol_slice_t s) { return s.ptr != NULL || s.len != 0; }

/* Index of the entry (sent, bytes, url) in d, appending it to *arr when new. */
static int ol_rec_entry_add(ol_rec_origins_t *t, ol_dict_t *d, ol_rec_entry_t **arr, size_t *n, size_t *cap,
                            const ol_rec_entry_t *e, uint32_t *id)
{
    ol_buf_reset(&t->tmp);
    ol_buf_append_u8(&t->tmp, e->sent ? OL_REC_SENT : 0);
    ol_pb_put_varint(&t->tmp, e->bytes.len);
    ol_buf_append_slice(&t->tmp, e->bytes);
    ol_buf_append_slice(&t->tmp, e->url);
    if (t->tmp.err) return OL_NOMEM;
    size_t before = ol_dict_count(d);
    *id = ol_dict_add(d, ol_buf_slice(&t->tmp));
    if (*id == UINT32_MAX) return OL_NOMEM;
    if (ol_dict_count(d) == before) return OL_OK;
    if (ol_grow_array(OL_MEM_STORE, (void **)arr, cap, *n + 1, sizeof **arr)) return OL_NOMEM;
    (*arr)[(*n)++] = *e;
    return OL_OK;
}

int ol_rec_origins_add(ol_rec_origins_t *t, const ol_otlp_origin_t *o, uint32_t *res, uint32_t *sc)
{
    static const ol_otlp_origin_t none;
    if (!o) o = &none;
    ol_rec_entry_t r = {o->resource, o->resource_schema_url, o->service_name, ol_rec_sent(o->resource)};
    ol_rec_entry_t s = {o->scope, o->scope_schema_url, OL_SLICE_NULL, ol_rec_sent(o->scope)};
    int rc = ol_rec_entry_add(t, t->res_keys, &t->res, &t->n_res, &t->cap_res, &r, res);
    if (!rc) rc = ol_rec_entry_add(t, t->sc_keys, &t->sc, &t->n_sc, &t->cap_sc, &s, sc);
    return rc;
}

/* count, then bytes, url[, service name] as bytes streams, then the u8 flags. */
static int ol_rec_table_write(ol_part_builder_t *pb, const char *name, const ol_rec_entry_t *e, size_t n, bool svc)
{
    ol_slice_t *s = ol_malloc(OL_MEM_STORE, (n ? n : 1) * sizeof *s);
    uint8_t *f = ol_malloc(OL_MEM_STORE, n ? n : 1);
    ol_buf_t t;
    ol_buf_init(&t, OL_MEM_STORE, 0);
    int rc = s && f ? OL_OK : OL_NOMEM;
    if (!rc) {
        ol_pb_put_varint(&t, n);
        for (size_t i = 0; i < n; i++) s[i] = e[i].bytes;
        ol_enc_bytes(&t, s, n);
        for (size_t i = 0; i < n; i++) s[i] = e[i].url;
        ol_enc_bytes(&t, s, n);
        if (svc) {
            for (size_t i = 0; i < n; i++) s[i] = e[i].svc;
            ol_enc_bytes(&t, s, n);
        }
        for (size_t i = 0; i < n; i++) f[i] = e[i].sent ? OL_REC_SENT : 0;
        ol_enc_u8(&t, f, n);
        rc = t.err ? OL_NOMEM : ol_part_builder_table(pb, ol_slice_cstr(name), ol_buf_slice(&t));
    }
    ol_buf_free(&t);
    ol_free(OL_MEM_STORE, s, (n ? n : 1) * sizeof *s);
    ol_free(OL_MEM_STORE, f, n ? n : 1);
    return rc;
}

int ol_rec_origins_write(ol_rec_origins_t *t, ol_part_builder_t *pb)
{
    int rc = ol_rec_table_write(pb, "resources", t->res, t->n_res, true);
    return rc ? rc : ol_rec_table_write(pb, "scopes", t->sc, t->n_sc, false);
}

/* ---- Columns (writing) ---- */

int ol_rec_put_column(ol_part_builder_t *pb, const char *name, ol_buf_t *col)
{
    if (col->err) return OL_NOMEM;
    int rc = ol_part_builder_column(pb, ol_slice_cstr(name), ol_buf_slice(col));
    ol_buf_reset(col);
    return rc;
}

int ol_rec_put_common(ol_part_builder_t *pb, const char *record_col, const uint32_t *res, const uint32_t *sc,
                      const ol_slice_t *raw, size_t n, ol_buf_t *col)
{
    uint64_t *u = ol_malloc(OL_MEM_STORE, (n ? n : 1) * sizeof *u);
    if (!u) return OL_NOMEM;
    for (size_t i = 0; i < n; i++) u[i] = res[i];
    ol_enc_uvarints(col, u, n);
    int rc = ol_rec_put_column(pb, "resource", col);
    for (size_t i = 0; i < n; i++) u[i] = sc[i];
    ol_enc_uvarints(col, u, n);
    if (!rc) rc = ol_rec_put_column(pb, "scope", col);
    ol_free(OL_MEM_STORE, u, (n ? n : 1) * sizeof *u);
    ol_buf_reset(col);
    ol_enc_bytes(col, raw, n);
    if (!rc) rc = ol_rec_put_column(pb, record_col, col);
    ol_buf_reset(col);
    return rc;
}

size_t ol_rec_granule_end(const ol_slice_t *raw, size_t r0, size_t n)
{
    size_t r1 = r0, bytes = 0;
    while (r1 < n && r1 - r0 < OL_PART_GRANULE_ROWS && (r1 == r0 || bytes < OL_PART_RECORD_GRANULE_BYTES))
        bytes += raw[r1++].len;
    return r1;
}

/* ---- Tables (reading) ---- */

static const uint8_t ol_rec_empty[1];

static ol_slice_t ol_rec_rest(ol_slice_t s, size_t used) { return used ? ol_slice(s.ptr + used, s.len - used) : s; }

/* Decodes a resources (svc) or scopes table into origins holding only the
 * resource or only the scope fields. */
static int ol_rec_table_read(ol_rec_reader_t *rd, const char *name, bool svc, ol_otlp_origin_t **out, size_t *count)
{
    const char *path = ol_part_path(rd->p);
    ol_slice_t t;
    if (ol_part_table(rd->p, ol_slice_cstr(name), &t) != OL_OK) return OL_REC_FAIL(rd, "part %s: no %s table", path, name);
    const uint8_t *q = t.ptr, *end = t.len ? t.ptr + t.len : t.ptr;
    uint64_t c = 0;
    if (ol_pb_read_varint(&q, end, &c) != OL_OK || c > t.len / (svc ? 4 : 3)) /* an entry takes a byte per stream */
        return OL_REC_FAIL(rd, "part %s: bad %s table count", path, name);
    t = ol_rec_rest(t, (size_t)(q - t.ptr));
    size_t n = (size_t)c, cap = n ? n : 1;
    ol_slice_t *cols[3];
    for (int k = 0; k < 3; k++) cols[k] = ol_malloc(OL_MEM_STORE, cap * sizeof(ol_slice_t));
    uint8_t *flags = ol_malloc(OL_MEM_STORE, cap);
    *out = ol_calloc(OL_MEM_STORE, cap, sizeof **out);
    int rc = cols[0] && cols[1] && cols[2] && flags && *out ? OL_OK : OL_NOMEM;
    size_t used = 0;
    for (int k = 0; k < (svc ? 3 : 2) && !rc; k++) {
        rc = ol_dec_bytes(t, cols[k], n, &used, rd->err);
        t = ol_rec_rest(t, used);
    }
    if (!rc) rc = ol_dec_u8(t, flags, n, &used, rd->err);
    if (!rc && used != t.len) rc = OL_REC_FAIL(rd, "part %s: stray bytes after the %s table", path, name);
    for (size_t i = 0; i < n && !rc; i++) {
        if (flags[i] & ~OL_REC_SENT || (!(flags[i] & OL_REC_SENT) && cols[0][i].len))
            rc = OL_REC_FAIL(rd, "part %s: %s table entry %zu: bad flags %u", path, name, i, flags[i]);
        ol_slice_t bytes = !(flags[i] & OL_REC_SENT) ? OL_SLICE_NULL
                           : cols[0][i].len          ? cols[0][i]
                                                     : ol_slice(ol_rec_empty, 0);
        ol_otlp_origin_t *o = &(*out)[i];
        if (svc) {
            o->resource = bytes;
            o->resource_schema_url = cols[1][i];
            o->service_name = cols[2][i];
            o->resource_index = (uint32_t)i;
        } else {
            o->scope = bytes;
            o->scope_schema_url = cols[1][i];
        }
    }
    for (int k = 0; k < 3; k++) ol_free(OL_MEM_STORE, cols[k], cap * sizeof(ol_slice_t));
    ol_free(OL_MEM_STORE, flags, cap);
    *count = n;
    return rc;
}

/* ---- Granules (reading) ---- */

int ol_rec_reader_init(ol_rec_reader_t *rd, const ol_part_t *p, ol_err_t *err)
{
    memset(rd, 0, sizeof *rd);
    rd->p = p;
    rd->err = err;
    ol_buf_init(&rd->res_col, OL_MEM_STORE, 0);
    ol_buf_init(&rd->sc_col, OL_MEM_STORE, 0);
    ol_buf_init(&rd->rec_col, OL_MEM_STORE, 0);
    ol_buf_init(&rd->payload, OL_MEM_STORE, 0);
    ol_signal_t sig = ol_part_info(p)->signal;
    if (sig != OL_SIGNAL_LOGS && sig != OL_SIGNAL_METRICS) {
        ol_err_set(err, "part %s: a %s part holds no log records or metrics", ol_part_path(p), ol_signal_name(sig));
        return OL_ERR;
    }
    rd->record_col = sig == OL_SIGNAL_LOGS ? "record" : "metric";
    int rc = ol_rec_table_read(rd, "resources", true, &rd->res, &rd->n_res);
    if (!rc) rc = ol_rec_table_read(rd, "scopes", false, &rd->sc, &rd->n_sc);
    return rc;
}

void ol_rec_reader_free(ol_rec_reader_t *rd)
{
    ol_free(OL_MEM_STORE, rd->res, (rd->n_res ? rd->n_res : 1) * sizeof *rd->res);
    ol_free(OL_MEM_STORE, rd->sc, (rd->n_sc ? rd->n_sc : 1) * sizeof *rd->sc);
    ol_free(OL_MEM_STORE, rd->res_ids, rd->cap * sizeof *rd->res_ids);
    ol_free(OL_MEM_STORE, rd->sc_ids, rd->cap * sizeof *rd->sc_ids);
    ol_free(OL_MEM_STORE, rd->raw, rd->cap * sizeof *rd->raw);
    ol_free(OL_MEM_STORE, rd->order, rd->cap * sizeof *rd->order);
    ol_buf_free(&rd->res_col);
    ol_buf_free(&rd->sc_col);
    ol_buf_free(&rd->rec_col);
    ol_buf_free(&rd->payload);
    memset(rd, 0, sizeof *rd);
}

int ol_rec_reader_column(ol_rec_reader_t *rd, const char *name, ol_buf_t *b)
{
    ol_buf_reset(b);
    int rc = ol_part_read_column(rd->p, rd->g, ol_slice_cstr(name), b, rd->err);
    if (rc == OL_NOTFOUND) return OL_REC_FAIL(rd, "part %s: granule %u has no column %s", ol_part_path(rd->p), rd->g, name);
    if (!rc && b->err) rc = OL_NOMEM;
    return rc;
}

int ol_rec_reader_end(ol_rec_reader_t *rd, ol_slice_t col, size_t used, const char *name)
{
    if (used == col.len) return OL_OK;
    return OL_REC_FAIL(rd, "part %s: granule %u: %zu stray bytes after column %s", ol_part_path(rd->p), rd->g,
                       col.len - used, name);
}

/* Payload order: by (resource, scope), then row. */
typedef struct ol_rec_key {
    uint32_t res, sc, row;
} ol_rec_key_t;

static int ol_rec_key_cmp(const void *a, const void *b)
{
    const ol_rec_key_t *x = a, *y = b;
    if (x->res != y->res) return x->res < y->res ? -1 : 1;
    if (x->sc != y->sc) return x->sc < y->sc ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

static int ol_rec_reader_ids(ol_rec_reader_t *rd, ol_buf_t *b, const char *name, uint64_t *out, size_t limit)
{
    int rc = ol_rec_reader_column(rd, name, b);
    size_t used = 0;
    if (!rc) rc = ol_dec_uvarints(ol_buf_slice(b), out, rd->n, &used, rd->err);
    if (!rc) rc = ol_rec_reader_end(rd, ol_buf_slice(b), used, name);
    for (size_t i = 0; i < rd->n && !rc; i++)
        if (out[i] >= limit)
            rc = OL_REC_FAIL(rd, "part %s: granule %u row %zu: %s index %llu beyond a table of %zu", ol_part_path(rd->p),
                             rd->g, i, name, (unsigned long long)out[i], limit);
    return rc;
}

int ol_rec_reader_granule(ol_rec_reader_t *rd, uint32_t g)
{
    const ol_part_granule_info_t *gi = ol_part_granule(rd->p, g);
    const char *path = ol_part_path(rd->p);
    rd->g = g;
    rd->n = 0;
    if (!gi) return OL_NOTFOUND;
    if (gi->rows > OL_PART_GRANULE_ROWS)
        return OL_REC_FAIL(rd, "part %s: granule %u claims %u rows", path, g, gi->rows);
    size_t n = gi->rows;
    if (n > rd->cap) { /* per-granule contents: nothing to keep */
        uint64_t *res = ol_malloc(OL_MEM_STORE, n * sizeof *res), *sc = ol_malloc(OL_MEM_STORE, n * sizeof *sc);
        ol_slice_t *raw = ol_malloc(OL_MEM_STORE, n * sizeof *raw);
        uint32_t *order = ol_malloc(OL_MEM_STORE, n * sizeof *order);
        if (!res || !sc || !raw || !order) {
            ol_free(OL_MEM_STORE, res, n * sizeof *res);
            ol_free(OL_MEM_STORE, sc, n * sizeof *sc);
            ol_free(OL_MEM_STORE, raw, n * sizeof *raw);
            ol_free(OL_MEM_STORE, order, n * sizeof *order);
            return OL_NOMEM;
        }
        ol_free(OL_MEM_STORE, rd->res_ids, rd->cap * sizeof *rd->res_ids);
        ol_free(OL_MEM_STORE, rd->sc_ids, rd->cap * sizeof *rd->sc_ids);
        ol_free(OL_MEM_STORE, rd->raw, rd->cap * sizeof *rd->raw);
        ol_free(OL_MEM_STORE, rd->order, rd->cap * sizeof *rd->order);
        rd->res_ids = res, rd->sc_ids = sc, rd->raw = raw, rd->order = order;
        rd->cap = n;
    }
    rd->n = n;
    int rc = ol_rec_reader_ids(rd, &rd->res_col, "resource", rd->res_ids, rd->n_res);
    if (!rc) rc = ol_rec_reader_ids(rd, &rd->sc_col, "scope", rd->sc_ids, rd->n_sc);
    if (!rc) rc = ol_rec_reader_column(rd, rd->record_col, &rd->rec_col);
    size_t used = 0;
    if (!rc) rc = ol_dec_bytes(ol_buf_slice(&rd->rec_col), rd->raw, n, &used, rd->err);
    if (!rc) rc = ol_rec_reader_end(rd, ol_buf_slice(&rd->rec_col), used, rd->record_col);
    if (rc) return rc;

    ol_rec_key_t *keys = ol_malloc(OL_MEM_STORE, (n ? n : 1) * sizeof *keys);
    if (!keys) return OL_NOMEM;
    for (size_t i = 0; i < n; i++) keys[i] = (ol_rec_key_t){(uint32_t)rd->res_ids[i], (uint32_t)rd->sc_ids[i], (uint32_t)i};
    qsort(keys, n, sizeof *keys, ol_rec_key_cmp);
    ol_buf_reset(&rd->payload);
    ol_req_builder_t rb;
    ol_req_begin(&rb, &rd->payload, OL_REQ_GROUP_BYTES);
    for (size_t k = 0; k < n; k++) {
        ol_otlp_origin_t o = rd->res[keys[k].res];
        o.scope = rd->sc[keys[k].sc].scope;
        o.scope_schema_url = rd->sc[keys[k].sc].scope_schema_url;
        rd->order[k] = keys[k].row;
        ol_req_add(&rb, &o, rd->raw[keys[k].row]);
    }
    ol_free(OL_MEM_STORE, keys, (n ? n : 1) * sizeof *keys);
    return ol_req_finish(&rb) ? OL_NOMEM : OL_OK;
}

/* ---- Public ---- */

int ol_part_read_payloads(const ol_part_t *p, uint64_t start_ns, uint64_t end_ns, ol_part_payload_fn fn, void *ud,
                          ol_err_t *err)
{
    ol_rec_reader_t rd;
    int rc = ol_rec_reader_init(&rd, p, err);
    for (uint32_t g = 0; !rc && g < ol_part_info(p)->granules; g++) {
        const ol_part_granule_info_t *gi = ol_part_granule(p, g);
        if (gi->max_time_ns < start_ns || gi->min_time_ns > end_ns) continue;
        rc = ol_rec_reader_granule(&rd, g);
        if (!rc) rc = fn(ud, ol_buf_slice(&rd.payload), gi->min_time_ns, gi->max_time_ns);
    }
    ol_rec_reader_free(&rd);
    return rc == 1 ? OL_OK : rc;
}

/* Reads every block of granule g that is not one of `known` (so every CRC is checked). */
static int ol_rec_verify_blocks(ol_rec_reader_t *rd, uint32_t g, const char *const *known, size_t n_known)
{
    size_t n = ol_part_columns(rd->p, g, NULL, 0);
    ol_slice_t *names = ol_malloc(OL_MEM_STORE, (n ? n : 1) * sizeof *names);
    if (!names) return OL_NOMEM;
    n = OL_MIN(n, ol_part_columns(rd->p, g, names, n));
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_STORE, 0);
    int rc = OL_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        bool skip = false;
        for (size_t k = 0; k < n_known && !skip; k++) skip = ol_slice_eq_cstr(names[i], known[k]);
        if (skip) continue;
        ol_buf_reset(&b);
        rc = ol_part_read_column(rd->p, g, names[i], &b, rd->err);
    }
    ol_buf_free(&b);
    ol_free(OL_MEM_STORE, names, (n ? n : 1) * sizeof *names);
    return rc;
}

int ol_part_verify_records(const ol_part_t *p, ol_err_t *err)
{
    ol_signal_t sig = ol_part_info(p)->signal;
    if (sig != OL_SIGNAL_LOGS && sig != OL_SIGNAL_METRICS) return OL_OK;
    static const char *const logs_cols[] = {"time", "observed", "severity", "trace_id", "resource", "scope", "record"};
    static const char *const metric_cols[] = {"name",   "type",     "min_time", "max_time",
                                              "points", "resource", "scope",    "metric"};
    const char *const *known = sig == OL_SIGNAL_LOGS ? logs_cols : metric_cols;
    size_t n_known = sig == OL_SIGNAL_LOGS ? OL_ARRAY_LEN(logs_cols) : OL_ARRAY_LEN(metric_cols);
    ol_rec_reader_t rd;
    ol_rec_verify_t v = {0};
    ol_buf_init(&v.last_name, OL_MEM_STORE, 0);
    ol_arena_t *a = ol_arena_create(1 << 16, 0);
    int rc = ol_rec_reader_init(&rd, p, err);
    if (!rc && !a) rc = OL_NOMEM;
    for (uint32_t g = 0; !rc && g < ol_part_info(p)->granules; g++) {
        rc = ol_rec_verify_blocks(&rd, g, known, n_known);
        if (!rc) rc = ol_rec_reader_granule(&rd, g);
        ol_otlp_batch_t b = {0};
        ol_err_t derr = {0};
        if (!rc) {
            rc = ol_otlp_decode(sig, ol_buf_slice(&rd.payload), a, &b, &derr);
            if (rc == OL_CORRUPT)
                ol_err_set(err, "part %s: granule %u: its records do not decode: %s", ol_part_path(p), g, derr.msg);
        }
        size_t items = sig == OL_SIGNAL_LOGS ? b.n_logs : b.n_metrics;
        if (!rc && items != rd.n)
            rc = OL_REC_FAIL(&rd, "part %s: granule %u: %zu rows decode as %zu items", ol_part_path(p), g, rd.n, items);
        for (size_t k = 0; !rc && k < rd.n; k++) {
            uint32_t row = rd.order[k];
            const ol_otlp_origin_t *o = sig == OL_SIGNAL_LOGS ? b.logs[k].origin : b.metrics[k].origin;
            ol_slice_t raw = sig == OL_SIGNAL_LOGS ? b.logs[k].raw : b.metrics[k].raw;
            if (!ol_slice_eq(raw, rd.raw[row]) || !ol_slice_eq(o->service_name, rd.res[rd.res_ids[row]].service_name))
                rc = OL_REC_FAIL(&rd, "part %s: granule %u row %u: record or service name differs once decoded",
                                 ol_part_path(p), g, row);
        }
        if (!rc) rc = sig == OL_SIGNAL_LOGS ? ol_logs_verify_granule(&rd, &b, &v) : ol_metrics_verify_granule(&rd, &b, &v);
        if (a) ol_arena_reset(a);
    }
    ol_rec_reader_free(&rd);
    ol_buf_free(&v.last_name);
    if (a) ol_arena_destroy(a);
    return rc == OL_LIMIT ? OL_CORRUPT : rc;
}
