/*
 * logs.c - log records to a logs part and the check of its columns
 * (docs/format/part.md, "Logs and metrics").
 *
 * Rows are sorted by time (the record time, or the observed time when it is
 * 0), so a time window reads a run of granules; each granule's footer entry
 * carries that time range and the range of the trace ids its linked records
 * carry. The LogRecord bytes are stored as received; the other columns are
 * copies of fields inside them for pruning and filtering, and verification
 * checks that they agree with the record.
 */
#include <stdlib.h>

#include "core/alloc.h"
#include "store/col/records_int.h"

typedef struct ol_log_row {
    const ol_otlp_log_t *l;
    uint64_t t;
    size_t idx;
} ol_log_row_t;

static int ol_log_row_cmp(const void *a, const void *b)
{
    const ol_log_row_t *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static const uint8_t ol_log_no_trace[16];

static const uint8_t *ol_log_trace(const ol_otlp_log_t *l) { return l->trace_id.len == 16 ? l->trace_id.ptr : ol_log_no_trace; }

/* Rows [r0, r1) as one granule. */
static int ol_log_granule(ol_part_builder_t *pb, const ol_log_row_t *rows, const uint32_t *res, const uint32_t *sc,
                          const ol_slice_t *raw, size_t r0, size_t r1, ol_buf_t *col)
{
    size_t n = r1 - r0;
    ol_part_granule_info_t gi = {.rows = (uint32_t)n, .min_time_ns = rows[r0].t, .max_time_ns = rows[r1 - 1].t};
    bool linked = false;
    for (size_t i = r0; i < r1; i++) {
        const uint8_t *id = ol_log_trace(rows[i].l);
        if (memcmp(id, ol_log_no_trace, 16) == 0) continue;
        if (!linked || memcmp(id, gi.first_trace_id, 16) < 0) memcpy(gi.first_trace_id, id, 16);
        if (!linked || memcmp(id, gi.last_trace_id, 16) > 0) memcpy(gi.last_trace_id, id, 16);
        linked = true;
    }
    int rc = ol_part_builder_granule(pb, &gi);
    if (rc) return rc;
    uint64_t *u = ol_malloc(OL_MEM_STORE, n * sizeof *u);
    uint8_t *b = ol_malloc(OL_MEM_STORE, n * 16);
    rc = u && b ? OL_OK : OL_NOMEM;
    if (!rc) {
        for (size_t i = 0; i < n; i++) u[i] = rows[r0 + i].l->time_ns;
        ol_enc_delta(col, gi.min_time_ns, u, n);
        rc = ol_rec_put_column(pb, "time", col);
    }
    if (!rc) {
        for (size_t i = 0; i < n; i++) u[i] = rows[r0 + i].l->observed_ns;
        ol_enc_delta(col, gi.min_time_ns, u, n);
        rc = ol_rec_put_column(pb, "observed", col);
    }
    if (!rc) {
        for (size_t i = 0; i < n; i++) b[i] = ol_rec_severity(rows[r0 + i].l->severity_number);
        ol_enc_u8(col, b, n);
        rc = ol_rec_put_column(pb, "severity", col);
    }
    if (!rc) {
        for (size_t i = 0; i < n; i++) memcpy(b + 16 * i, ol_log_trace(rows[r0 + i].l), 16);
        ol_enc_fixed(col, b, 16, n);
        rc = ol_rec_put_column(pb, "trace_id", col);
    }
    if (!rc) rc = ol_rec_put_common(pb, "record", res + r0, sc + r0, raw + r0, n, col);
    ol_free(OL_MEM_STORE, u, n * sizeof *u);
    ol_free(OL_MEM_STORE, b, n * 16);
    return rc;
}

int ol_part_write_logs(const ol_io_t *io, const char *path, uint64_t part_id, uint64_t wal_segment,
                       const ol_otlp_log_t *const *logs, size_t n, ol_part_info_t *info, ol_err_t *err)
{
    if (!io) io = ol_io_posix();
    size_t cap = n ? n : 1;
    ol_log_row_t *rows = ol_malloc(OL_MEM_STORE, cap * sizeof *rows);
    uint32_t *res = ol_malloc(OL_MEM_STORE, cap * sizeof *res), *sc = ol_malloc(OL_MEM_STORE, cap * sizeof *sc);
    ol_slice_t *raw = ol_malloc(OL_MEM_STORE, cap * sizeof *raw);
    ol_part_builder_t *pb = ol_part_builder_new(OL_SIGNAL_LOGS, part_id, OL_REC_ZSTD_LEVEL);
    ol_rec_origins_t t;
    int rc = ol_rec_origins_init(&t);
    if (!rows || !res || !sc || !raw || !pb) rc = OL_NOMEM;
    ol_buf_t col;
    ol_buf_init(&col, OL_MEM_STORE, 0);
    uint64_t input_bytes = 0;
    if (!rc) {
        for (size_t i = 0; i < n; i++)
            rows[i] = (ol_log_row_t){logs[i], ol_rec_log_time(logs[i]->time_ns, logs[i]->observed_ns), i};
        qsort(rows, n, sizeof *rows, ol_log_row_cmp);
        for (size_t i = 0; i < n && !rc; i++) {
            rc = ol_rec_origins_add(&t, rows[i].l->origin, &res[i], &sc[i]);
            raw[i] = rows[i].l->raw;
            input_bytes += raw[i].len;
        }
    }
    if (!rc) ol_part_builder_input_bytes(pb, input_bytes);
    for (size_t r0 = 0; !rc && r0 < n;) {
        size_t r1 = ol_rec_granule_end(raw, r0, n);
        rc = ol_log_granule(pb, rows, res, sc, raw, r0, r1, &col);
        r0 = r1;
    }
    if (!rc) rc = ol_rec_origins_write(&t, pb);
    if (rc) ol_err_set(err, "part %s: encoding log records failed: %s", path, ol_rc_str(rc));
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

int ol_logs_verify_granule(ol_rec_reader_t *rd, const ol_otlp_batch_t *b, ol_rec_verify_t *v)
{
    const char *path = ol_part_path(rd->p);
    const ol_part_granule_info_t *gi = ol_part_granule(rd->p, rd->g);
    size_t n = rd->n, cap = n ? n : 1, used = 0;
    uint64_t *time = ol_malloc(OL_MEM_STORE, cap * sizeof *time), *obs = ol_malloc(OL_MEM_STORE, cap * sizeof *obs);
    uint8_t *sev = ol_malloc(OL_MEM_STORE, cap);
    const uint8_t *tid = NULL;
    ol_buf_t c1, c2, c3, c4;
    ol_buf_init(&c1, OL_MEM_STORE, 0);
    ol_buf_init(&c2, OL_MEM_STORE, 0);
    ol_buf_init(&c3, OL_MEM_STORE, 0);
    ol_buf_init(&c4, OL_MEM_STORE, 0);
    int rc = time && obs && sev ? OL_OK : OL_NOMEM;
    if (!rc) rc = ol_rec_reader_column(rd, "time", &c1);
    if (!rc) rc = ol_dec_delta(ol_buf_slice(&c1), gi->min_time_ns, time, n, &used, rd->err);
    if (!rc) rc = ol_rec_reader_end(rd, ol_buf_slice(&c1), used, "time");
    if (!rc) rc = ol_rec_reader_column(rd, "observed", &c2);
    if (!rc) rc = ol_dec_delta(ol_buf_slice(&c2), gi->min_time_ns, obs, n, &used, rd->err);
    if (!rc) rc = ol_rec_reader_end(rd, ol_buf_slice(&c2), used, "observed");
    if (!rc) rc = ol_rec_reader_column(rd, "severity", &c3);
    if (!rc) rc = ol_dec_u8(ol_buf_slice(&c3), sev, n, &used, rd->err);
    if (!rc) rc = ol_rec_reader_end(rd, ol_buf_slice(&c3), used, "severity");
    if (!rc) rc = ol_rec_reader_column(rd, "trace_id", &c4);
    if (!rc) rc = ol_dec_fixed(ol_buf_slice(&c4), 16, n, &tid, &used, rd->err);
    if (!rc) rc = ol_rec_reader_end(rd, ol_buf_slice(&c4), used, "trace_id");
    for (size_t k = 0; !rc && k < n; k++) {
        const ol_otlp_log_t *l = &b->logs[k];
        uint32_t row = rd->order[k];
        if (l->time_ns != time[row] || l->observed_ns != obs[row] || ol_rec_severity(l->severity_number) != sev[row] ||
            memcmp(ol_log_trace(l), tid + 16 * row, 16) != 0)
            rc = OL_REC_FAIL(rd, "part %s: granule %u row %u: columns differ from the record", path, rd->g, row);
    }
    uint8_t lo[16] = {0}, hi[16] = {0};
    bool linked = false;
    for (size_t i = 0; !rc && i < n; i++) {
        uint64_t t = ol_rec_log_time(time[i], obs[i]);
        if (v->any && t < v->last_time)
            rc = OL_REC_FAIL(rd, "part %s: granule %u row %zu: out of time order", path, rd->g, i);
        if (i == 0 && t != gi->min_time_ns)
            rc = OL_REC_FAIL(rd, "part %s: granule %u: min time differs from the footer", path, rd->g);
        if (i == n - 1 && t != gi->max_time_ns)
            rc = OL_REC_FAIL(rd, "part %s: granule %u: max time differs from the footer", path, rd->g);
        v->any = true;
        v->last_time = t;
        const uint8_t *id = tid + 16 * i;
        if (memcmp(id, ol_log_no_trace, 16) == 0) continue;
        if (!linked || memcmp(id, lo, 16) < 0) memcpy(lo, id, 16);
        if (!linked || memcmp(id, hi, 16) > 0) memcpy(hi, id, 16);
        linked = true;
    }
    if (!rc && (memcmp(lo, gi->first_trace_id, 16) != 0 || memcmp(hi, gi->last_trace_id, 16) != 0))
        rc = OL_REC_FAIL(rd, "part %s: granule %u: trace-id range differs from the footer", path, rd->g);
    ol_buf_free(&c1);
    ol_buf_free(&c2);
    ol_buf_free(&c3);
    ol_buf_free(&c4);
    ol_free(OL_MEM_STORE, time, cap * sizeof *time);
    ol_free(OL_MEM_STORE, obs, cap * sizeof *obs);
    ol_free(OL_MEM_STORE, sev, cap);
    return rc;
}
