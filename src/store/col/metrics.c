/*
 * metrics.c - metrics to a metrics part and the check of its columns
 * (docs/format/part.md, "Logs and metrics").
 *
 * A row is one Metric message as received, with all the points it arrived
 * with. Rows are sorted by (name, min point time), so the rows of one metric
 * are adjacent and a name lookup reads a run of granules (each granule's name
 * dictionary tells at once whether it holds the name at all). A granule's
 * time range runs from its rows' smallest min time to their largest max
 * time, so a metric whose points span widely widens the range of its
 * granule rather than being missed.
 */
#include <stdlib.h>

#include "codec/pb.h"
#include "core/alloc.h"
#include "store/col/records_int.h"

typedef struct ol_metric_row {
    const ol_otlp_metric_t *m;
    size_t idx;
} ol_metric_row_t;

static int ol_metric_key_cmp(ol_slice_t a, uint64_t ta, ol_slice_t b, uint64_t tb)
{
    size_t k = OL_MIN(a.len, b.len);
    int c = k ? memcmp(a.ptr, b.ptr, k) : 0;
    if (c) return c;
    if (a.len != b.len) return a.len < b.len ? -1 : 1;
    return ta < tb ? -1 : ta > tb;
}

static int ol_metric_row_cmp(const void *a, const void *b)
{
    const ol_metric_row_t *x = a, *y = b;
    int c = ol_metric_key_cmp(x->m->name, x->m->min_time_ns, y->m->name, y->m->min_time_ns);
    if (c) return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* A string column: dictionary, then one id per row. */
static int ol_metric_put_names(ol_buf_t *out, const ol_metric_row_t *rows, size_t n)
{
    ol_dict_t *d = ol_dict_new();
    uint64_t *ids = ol_malloc(OL_MEM_STORE, (n ? n : 1) * sizeof *ids);
    int rc = d && ids ? OL_OK : OL_NOMEM;
    for (size_t i = 0; i < n && !rc; i++) {
        uint32_t id = ol_dict_add(d, rows[i].m->name);
        if (id == UINT32_MAX) rc = OL_NOMEM;
        ids[i] = id;
    }
    if (!rc) {
        ol_dict_encode(d, out);
        ol_enc_uvarints(out, ids, n);
    }
    ol_free(OL_MEM_STORE, ids, (n ? n : 1) * sizeof *ids);
    ol_dict_free(d);
    return rc;
}

/* Rows [r0, r1) as one granule. */
static int ol_metric_granule(ol_part_builder_t *pb, const ol_metric_row_t *rows, const uint32_t *res,
                             const uint32_t *sc, const ol_slice_t *raw, size_t r0, size_t r1, ol_buf_t *col)
{
    size_t n = r1 - r0;
    ol_part_granule_info_t gi = {.rows = (uint32_t)n, .min_time_ns = UINT64_MAX, .max_time_ns = 0};
    for (size_t i = r0; i < r1; i++) {
        gi.min_time_ns = OL_MIN(gi.min_time_ns, rows[i].m->min_time_ns);
        gi.max_time_ns = OL_MAX(gi.max_time_ns, rows[i].m->max_time_ns);
    }
    int rc = ol_part_builder_granule(pb, &gi);
    if (rc) return rc;
    uint64_t *u = ol_malloc(OL_MEM_STORE, n * sizeof *u);
    uint8_t *b = ol_malloc(OL_MEM_STORE, n);
    rc = u && b ? OL_OK : OL_NOMEM;
    if (!rc) rc = ol_metric_put_names(col, rows + r0, n);
    if (!rc) rc = ol_rec_put_column(pb, "name", col);
    if (!rc) {
        for (size_t i = 0; i < n; i++) b[i] = (uint8_t)rows[r0 + i].m->type;
        ol_enc_u8(col, b, n);
        rc = ol_rec_put_column(pb, "type", col);
    }
    if (!rc) {
        for (size_t i = 0; i < n; i++) u[i] = rows[r0 + i].m->min_time_ns;
        ol_enc_delta(col, gi.min_time_ns, u, n);
        rc = ol_rec_put_column(pb, "min_time", col);
    }
    if (!rc) {
        for (size_t i = 0; i < n; i++) u[i] = rows[r0 + i].m->max_time_ns;
        ol_enc_delta(col, gi.min_time_ns, u, n);
        rc = ol_rec_put_column(pb, "max_time", col);
    }
    if (!rc) {
        for (size_t i = 0; i < n; i++) u[i] = rows[r0 + i].m->n_points;
        ol_enc_uvarints(col, u, n);
        rc = ol_rec_put_column(pb, "points", col);
    }
    if (!rc) rc = ol_rec_put_common(pb, "metric", res + r0, sc + r0, raw + r0, n, col);
    ol_free(OL_MEM_STORE, u, n * sizeof *u);
    ol_free(OL_MEM_STORE, b, n);
    return rc;
}

int ol_part_write_metrics(const ol_io_t *io, const char *path, uint64_t part_id, uint64_t wal_segment,
                          const ol_otlp_metric_t *const *metrics, size_t n, ol_part_info_t *info, ol_err_t *err)
{
    if (!io) io = ol_io_posix();
    size_t cap = n ? n : 1;
    ol_metric_row_t *rows = ol_malloc(OL_MEM_STORE, cap * sizeof *rows);
    uint32_t *res = ol_malloc(OL_MEM_STORE, cap * sizeof *res), *sc = ol_malloc(OL_MEM_STORE, cap * sizeof *sc);
    ol_slice_t *raw = ol_malloc(OL_MEM_STORE, cap * sizeof *raw);
    ol_part_builder_t *pb = ol_part_builder_new(OL_SIGNAL_METRICS, part_id, OL_REC_ZSTD_LEVEL);
    ol_rec_origins_t t;
    int rc = ol_rec_origins_init(&t);
    if (!rows || !res || !sc || !raw || !pb) rc = OL_NOMEM;
    ol_buf_t col;
    ol_buf_init(&col, OL_MEM_STORE, 0);
    uint64_t input_bytes = 0;
    if (!rc) {
        for (size_t i = 0; i < n; i++) rows[i] = (ol_metric_row_t){metrics[i], i};
        qsort(rows, n, sizeof *rows, ol_metric_row_cmp);
        for (size_t i = 0; i < n && !rc; i++) {
            if (rows[i].m->type > 255) rc = OL_ERR;
            if (!rc) rc = ol_rec_origins_add(&t, rows[i].m->origin, &res[i], &sc[i]);
            raw[i] = rows[i].m->raw;
            input_bytes += raw[i].len;
        }
    }
    if (!rc) ol_part_builder_input_bytes(pb, input_bytes);
    for (size_t r0 = 0; !rc && r0 < n;) {
        size_t r1 = ol_rec_granule_end(raw, r0, n);
        rc = ol_metric_granule(pb, rows, res, sc, raw, r0, r1, &col);
        r0 = r1;
    }
    if (!rc) rc = ol_rec_origins_write(&t, pb);
    if (rc) ol_err_set(err, "part %s: encoding metrics failed: %s", path, ol_rc_str(rc));
    if (!rc) rc = ol_part_builder_finish(pb, io, path, wal_segment, info, err);
    ol_buf_free(&col);
    ol_rec_origins_free(&t);
    ol_part_builder_free(pb);
    ol_free(OL_MEM_STORE, rows, cap * sizeof *rows);
    ol_free(OL_MEM_STORE, res, cap * sizeof *res);
    ol_free(OL_MEM_STORE, sc, cap * sizeof *sc);
    ol_free(OL_MEM_STORE, raw, cap * sizeof *raw);
    return rc;
}

int ol_metrics_verify_granule(ol_rec_reader_t *rd, const ol_otlp_batch_t *b, ol_rec_verify_t *v)
{
    const char *path = ol_part_path(rd->p);
    const ol_part_granule_info_t *gi = ol_part_granule(rd->p, rd->g);
    size_t n = rd->n, cap = n ? n : 1, used = 0, n_dict = 0;
    ol_buf_t cn, ct, cmin, cmax, cp;
    ol_buf_init(&cn, OL_MEM_STORE, 0);
    ol_buf_init(&ct, OL_MEM_STORE, 0);
    ol_buf_init(&cmin, OL_MEM_STORE, 0);
    ol_buf_init(&cmax, OL_MEM_STORE, 0);
    ol_buf_init(&cp, OL_MEM_STORE, 0);
    uint64_t *ids = ol_malloc(OL_MEM_STORE, cap * sizeof *ids), *tmin = ol_malloc(OL_MEM_STORE, cap * sizeof *tmin);
    uint64_t *tmax = ol_malloc(OL_MEM_STORE, cap * sizeof *tmax), *pts = ol_malloc(OL_MEM_STORE, cap * sizeof *pts);
    uint8_t *type = ol_malloc(OL_MEM_STORE, cap);
    ol_slice_t *dict = NULL;
    size_t dict_cap = 0;
    int rc = ids && tmin && tmax && pts && type ? OL_OK : OL_NOMEM;
    if (!rc) rc = ol_rec_reader_column(rd, "name", &cn);
    if (!rc) { /* size the dictionary by its count, bounded by the bytes that hold it */
        const uint8_t *q = cn.data, *end = cn.len ? cn.data + cn.len : cn.data;
        uint64_t c = 0;
        if (!cn.len || ol_pb_read_varint(&q, end, &c) != OL_OK || c > cn.len)
            rc = OL_REC_FAIL(rd, "part %s: granule %u: bad name dictionary", path, rd->g);
        dict_cap = c ? (size_t)c : 1;
        dict = rc ? NULL : ol_malloc(OL_MEM_STORE, dict_cap * sizeof *dict);
        if (!rc && !dict) rc = OL_NOMEM;
    }
    if (!rc) rc = ol_dict_decode(ol_buf_slice(&cn), dict, dict_cap, &n_dict, &used, rd->err);
    if (!rc) {
        ol_slice_t rest = ol_slice(cn.data + used, cn.len - used);
        size_t u2 = 0;
        rc = ol_dec_uvarints(rest, ids, n, &u2, rd->err);
        if (!rc) rc = ol_rec_reader_end(rd, rest, u2, "name");
    }
    for (size_t i = 0; !rc && i < n; i++)
        if (ids[i] >= n_dict) rc = OL_REC_FAIL(rd, "part %s: granule %u row %zu: name id beyond the dictionary", path, rd->g, i);
    if (!rc) rc = ol_rec_reader_column(rd, "type", &ct);
    if (!rc) rc = ol_dec_u8(ol_buf_slice(&ct), type, n, &used, rd->err);
    if (!rc) rc = ol_rec_reader_end(rd, ol_buf_slice(&ct), used, "type");
    if (!rc) rc = ol_rec_reader_column(rd, "min_time", &cmin);
    if (!rc) rc = ol_dec_delta(ol_buf_slice(&cmin), gi->min_time_ns, tmin, n, &used, rd->err);
    if (!rc) rc = ol_rec_reader_end(rd, ol_buf_slice(&cmin), used, "min_time");
    if (!rc) rc = ol_rec_reader_column(rd, "max_time", &cmax);
    if (!rc) rc = ol_dec_delta(ol_buf_slice(&cmax), gi->min_time_ns, tmax, n, &used, rd->err);
    if (!rc) rc = ol_rec_reader_end(rd, ol_buf_slice(&cmax), used, "max_time");
    if (!rc) rc = ol_rec_reader_column(rd, "points", &cp);
    if (!rc) rc = ol_dec_uvarints(ol_buf_slice(&cp), pts, n, &used, rd->err);
    if (!rc) rc = ol_rec_reader_end(rd, ol_buf_slice(&cp), used, "points");
    for (size_t k = 0; !rc && k < n; k++) {
        const ol_otlp_metric_t *m = &b->metrics[k];
        uint32_t row = rd->order[k];
        if (!ol_slice_eq(m->name, dict[ids[row]]) || (uint64_t)m->type != type[row] || m->min_time_ns != tmin[row] ||
            m->max_time_ns != tmax[row] || m->n_points != pts[row])
            rc = OL_REC_FAIL(rd, "part %s: granule %u row %u: columns differ from the metric", path, rd->g, row);
    }
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        ol_slice_t name = dict[ids[i]];
        if (v->any && ol_metric_key_cmp(name, tmin[i], ol_buf_slice(&v->last_name), v->last_time) < 0)
            rc = OL_REC_FAIL(rd, "part %s: granule %u row %zu: out of (name, time) order", path, rd->g, i);
        v->any = true;
        v->last_time = tmin[i];
        ol_buf_reset(&v->last_name);
        ol_buf_append_slice(&v->last_name, name);
        if (v->last_name.err) rc = OL_NOMEM;
        lo = OL_MIN(lo, tmin[i]);
        hi = OL_MAX(hi, tmax[i]);
    }
    static const uint8_t zero[16];
    if (!rc && n && (lo != gi->min_time_ns || hi != gi->max_time_ns))
        rc = OL_REC_FAIL(rd, "part %s: granule %u: time range differs from the footer", path, rd->g);
    if (!rc && (memcmp(gi->first_trace_id, zero, 16) != 0 || memcmp(gi->last_trace_id, zero, 16) != 0))
        rc = OL_REC_FAIL(rd, "part %s: granule %u: a metrics granule with a trace-id range", path, rd->g);
    ol_buf_free(&cn);
    ol_buf_free(&ct);
    ol_buf_free(&cmin);
    ol_buf_free(&cmax);
    ol_buf_free(&cp);
    ol_free(OL_MEM_STORE, ids, cap * sizeof *ids);
    ol_free(OL_MEM_STORE, tmin, cap * sizeof *tmin);
    ol_free(OL_MEM_STORE, tmax, cap * sizeof *tmax);
    ol_free(OL_MEM_STORE, pts, cap * sizeof *pts);
    ol_free(OL_MEM_STORE, type, cap);
    ol_free(OL_MEM_STORE, dict, dict_cap * sizeof *dict);
    return rc;
}
