/*
 * table_metrics.c - otel_metrics_gauge, _sum, _histogram,
 * _exponential_histogram and _summary: one row per data point of the stored
 * Metric items of that type, as the exporter's internal/metrics/<type>_metrics.go
 * write them (docs/sql-tables.md lists every column).
 *
 * The store hands out metrics by name: the names are listed first (copied,
 * since a scan's callback must not call the store), then each name's items
 * are read with ol_store_scan_metric over the window, and items of other
 * types skipped. Points are read from the item's encoded data message, one
 * pass per point for its scalar fields and one more per repeated field a
 * column needs (buckets, bounds, quantiles, exemplars, attributes).
 *
 * Values follow pdata's getters: an absent optional field (sum, min, max) is
 * 0; a NumberDataPoint's value is as_double, or as_int converted, or 0; an
 * exemplar's ids are hex.EncodeToString of the fixed-size pdata ids, so an
 * absent id is all zeros (unlike span ids, where the exporter writes "").
 * Repeated numeric fields are read packed or unpacked, as protobuf allows;
 * for a message field sent twice (an exponential histogram's positive
 * buckets) the last offset wins and the counts are concatenated, as protobuf
 * merges them.
 */
#include "sql/table_int.h"

#include "core/util.h"

enum { F_METRIC_DATA_POINTS = 1, F_METRIC_TEMPORALITY = 2, F_METRIC_MONOTONIC = 3 };

/* Field numbers of a data point kind (0 = the kind has none). */
typedef struct pfields {
    uint8_t start, time, attrs, exemplars, flags, count, sum, min, max;
} pfields_t;

static const pfields_t number_pf = {2, 3, 7, 5, 8, 0, 0, 0, 0};
static const pfields_t hist_pf = {2, 3, 9, 8, 10, 4, 5, 11, 12};
static const pfields_t exph_pf = {2, 3, 1, 11, 10, 4, 5, 12, 13};
static const pfields_t summary_pf = {2, 3, 7, 0, 8, 4, 5, 0, 0};

enum {
    F_NUMBER_AS_DOUBLE = 4,
    F_NUMBER_AS_INT = 6,
    F_HIST_BUCKETS = 6,
    F_HIST_BOUNDS = 7,
    F_EXPH_SCALE = 6,
    F_EXPH_ZERO_COUNT = 7,
    F_EXPH_POSITIVE = 8,
    F_EXPH_NEGATIVE = 9,
    F_BUCKETS_OFFSET = 1,
    F_BUCKETS_COUNTS = 2,
    F_SUMMARY_QUANTILES = 6,
    F_QUANTILE_QUANTILE = 1,
    F_QUANTILE_VALUE = 2,
    F_EXEMPLAR_TIME = 2,
    F_EXEMPLAR_AS_DOUBLE = 3,
    F_EXEMPLAR_SPAN_ID = 4,
    F_EXEMPLAR_TRACE_ID = 5,
    F_EXEMPLAR_AS_INT = 6,
    F_EXEMPLAR_ATTRIBUTES = 7,
};

typedef struct point {
    uint64_t start, time, count, zero_count;
    double value, sum, min, max;
    uint32_t flags;
    int32_t scale, pos_offset, neg_offset;
} point_t;

typedef struct mscan {
    ol_sql_tb_t *b;
    ol_metric_type_t type;
    const pfields_t *pf;
    ol_arena_t *names_arena;
    ol_slice_t *names;
    size_t n_names, cap_names;
    int rc;
} mscan_t;

static int32_t zigzag32(uint64_t v)
{
    uint32_t u = (uint32_t)v;
    return (int32_t)((u >> 1) ^ (0u - (u & 1)));
}

static int col_on(const ol_sql_tb_t *b, ol_sql_field_t f)
{
    int c = b->field_col[f];
    return c >= 0 && b->cols[c].on ? c : -1;
}

static int32_t buckets_offset(ol_slice_t buckets, int32_t prev)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, buckets);
    while (ol_pb_next(&r, &f) == OL_OK)
        if (f.number == F_BUCKETS_OFFSET && f.wire_type == OL_PB_VARINT) prev = zigzag32(f.u64);
    return prev;
}

static void point_parse(const mscan_t *m, ol_slice_t raw, point_t *p)
{
    const pfields_t *pf = m->pf;
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    memset(p, 0, sizeof *p);
    ol_pb_reader_init(&r, raw);
    while (ol_pb_next(&r, &f) == OL_OK) {
        uint32_t n = f.number;
        bool i64 = f.wire_type == OL_PB_I64, vint = f.wire_type == OL_PB_VARINT;
        if (n == pf->start && i64) p->start = f.u64;
        else if (n == pf->time && i64) p->time = f.u64;
        else if (n == pf->flags && vint) p->flags = (uint32_t)f.u64;
        else if (n == pf->count && i64) p->count = f.u64;
        else if (n == pf->sum && i64) p->sum = ol_pb_as_double(f.u64);
        else if (n == pf->min && i64) p->min = ol_pb_as_double(f.u64);
        else if (n == pf->max && i64) p->max = ol_pb_as_double(f.u64);
        else if (m->type == OL_METRIC_GAUGE || m->type == OL_METRIC_SUM) {
            if (n == F_NUMBER_AS_DOUBLE && i64) p->value = ol_pb_as_double(f.u64);
            else if (n == F_NUMBER_AS_INT && i64) p->value = (double)(int64_t)f.u64;
        } else if (m->type == OL_METRIC_EXP_HISTOGRAM) {
            if (n == F_EXPH_SCALE && vint) p->scale = zigzag32(f.u64);
            else if (n == F_EXPH_ZERO_COUNT && i64) p->zero_count = f.u64;
            else if (n == F_EXPH_POSITIVE && f.wire_type == OL_PB_LEN) p->pos_offset = buckets_offset(f.bytes, p->pos_offset);
            else if (n == F_EXPH_NEGATIVE && f.wire_type == OL_PB_LEN) p->neg_offset = buckets_offset(f.bytes, p->neg_offset);
        }
    }
}

/* Repeated fixed64 (u64) or double (f64) field `number` of msg, packed or not. */
static void push_fixed64s(ol_sql_tb_t *b, int c, ol_slice_t msg, uint32_t number, bool as_double)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, msg);
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.number != number) continue;
        if (f.wire_type == OL_PB_I64) {
            if (as_double) ol_sql_tb_arr_push_f(b, c, ol_pb_as_double(f.u64));
            else ol_sql_tb_arr_push_i(b, c, (int64_t)f.u64);
        } else if (f.wire_type == OL_PB_LEN) {
            for (size_t i = 0; i + 8 <= f.bytes.len; i += 8) {
                uint64_t v = ol_load_le64(f.bytes.ptr + i);
                if (as_double) ol_sql_tb_arr_push_f(b, c, ol_pb_as_double(v));
                else ol_sql_tb_arr_push_i(b, c, (int64_t)v);
            }
        }
    }
}

/* An exponential histogram's bucket counts (uint64, packed or not) of every
 * Buckets message `number` of the point. */
static void push_exp_buckets(ol_sql_tb_t *b, int c, ol_slice_t point, uint32_t number)
{
    ol_pb_reader_t r, br;
    ol_pb_field_value_t f, bf;
    ol_pb_reader_init(&r, point);
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.number != number || f.wire_type != OL_PB_LEN) continue;
        ol_pb_reader_init(&br, f.bytes);
        while (ol_pb_next(&br, &bf) == OL_OK) {
            if (bf.number != F_BUCKETS_COUNTS) continue;
            if (bf.wire_type == OL_PB_VARINT) {
                ol_sql_tb_arr_push_i(b, c, (int64_t)bf.u64);
            } else if (bf.wire_type == OL_PB_LEN) {
                const uint8_t *p = bf.bytes.ptr, *end = bf.bytes.ptr + bf.bytes.len;
                uint64_t v;
                while (p < end && ol_pb_read_varint(&p, end, &v) == OL_OK) ol_sql_tb_arr_push_i(b, c, (int64_t)v);
            }
        }
    }
    ol_sql_tb_arr_end(b, c);
}

static void push_quantiles(ol_sql_tb_t *b, int cq, int cv, ol_slice_t point)
{
    ol_pb_reader_t r, qr;
    ol_pb_field_value_t f, qf;
    ol_pb_reader_init(&r, point);
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.number != F_SUMMARY_QUANTILES || f.wire_type != OL_PB_LEN) continue;
        double q = 0, v = 0;
        ol_pb_reader_init(&qr, f.bytes);
        while (ol_pb_next(&qr, &qf) == OL_OK) {
            if (qf.wire_type != OL_PB_I64) continue;
            if (qf.number == F_QUANTILE_QUANTILE) q = ol_pb_as_double(qf.u64);
            else if (qf.number == F_QUANTILE_VALUE) v = ol_pb_as_double(qf.u64);
        }
        if (cq >= 0) ol_sql_tb_arr_push_f(b, cq, q);
        if (cv >= 0) ol_sql_tb_arr_push_f(b, cv, v);
    }
    if (cq >= 0) ol_sql_tb_arr_end(b, cq);
    if (cv >= 0) ol_sql_tb_arr_end(b, cv);
}

/* Exemplars.* of the point (convertExemplars). */
static void push_exemplars(ol_sql_tb_t *b, ol_slice_t point, uint32_t number)
{
    int ca = col_on(b, OL_SQL_F_EX_ATTRS), ct = col_on(b, OL_SQL_F_EX_TIME), cv = col_on(b, OL_SQL_F_EX_VALUE),
        cs = col_on(b, OL_SQL_F_EX_SPAN), cr = col_on(b, OL_SQL_F_EX_TRACE);
    if (ca < 0 && ct < 0 && cv < 0 && cs < 0 && cr < 0) return;
    ol_pb_reader_t r, er;
    ol_pb_field_value_t f, ef;
    ol_pb_reader_init(&r, point);
    while (number && ol_pb_next(&r, &f) == OL_OK) {
        if (f.number != number || f.wire_type != OL_PB_LEN) continue;
        uint64_t t = 0;
        double v = 0;
        ol_slice_t sid = OL_SLICE_NULL, tid = OL_SLICE_NULL;
        ol_pb_reader_init(&er, f.bytes);
        while (ol_pb_next(&er, &ef) == OL_OK) {
            if (ef.wire_type == OL_PB_I64) {
                if (ef.number == F_EXEMPLAR_TIME) t = ef.u64;
                else if (ef.number == F_EXEMPLAR_AS_DOUBLE) v = ol_pb_as_double(ef.u64);
                else if (ef.number == F_EXEMPLAR_AS_INT) v = (double)(int64_t)ef.u64;
            } else if (ef.wire_type == OL_PB_LEN) {
                if (ef.number == F_EXEMPLAR_SPAN_ID) sid = ef.bytes;
                else if (ef.number == F_EXEMPLAR_TRACE_ID) tid = ef.bytes;
            }
        }
        if (ca >= 0) ol_sql_tb_amap_kvs(b, ca, f.bytes, F_EXEMPLAR_ATTRIBUTES);
        if (ct >= 0) ol_sql_tb_arr_push_i(b, ct, (int64_t)t);
        if (cv >= 0) ol_sql_tb_arr_push_f(b, cv, v);
        if (cs >= 0) ol_sql_tb_arr_push_s(b, cs, ol_sql_tb_hex_fixed(b, sid, 8));
        if (cr >= 0) ol_sql_tb_arr_push_s(b, cr, ol_sql_tb_hex_fixed(b, tid, 16));
    }
    if (ca >= 0) ol_sql_tb_arr_end(b, ca);
    if (ct >= 0) ol_sql_tb_arr_end(b, ct);
    if (cv >= 0) ol_sql_tb_arr_end(b, cv);
    if (cs >= 0) ol_sql_tb_arr_end(b, cs);
    if (cr >= 0) ol_sql_tb_arr_end(b, cr);
}

static int point_row(mscan_t *m, const ol_otlp_metric_t *mt, const ol_sql_orow_t *o, ol_slice_t raw,
                     int32_t temporality, bool monotonic)
{
    ol_sql_tb_t *b = m->b;
    point_t p;
    b->scan->rows_scanned++;
    point_parse(m, raw, &p);
    if (!ol_sql_tb_in_time(b, p.time)) return OL_OK;
    bool quantiles = false;
    for (uint32_t i = 0; i < b->t->n_cols; i++) {
        int c = (int)i;
        if (!b->cols[c].on || ol_sql_tb_origin_col(b, c, o)) continue;
        switch (b->src[c].field) {
        case OL_SQL_F_M_NAME: ol_sql_tb_set_s(b, c, ol_sql_tb_dup(b, mt->name)); break;
        case OL_SQL_F_M_DESC: ol_sql_tb_set_s(b, c, ol_sql_tb_dup(b, mt->description)); break;
        case OL_SQL_F_M_UNIT: ol_sql_tb_set_s(b, c, ol_sql_tb_dup(b, mt->unit)); break;
        case OL_SQL_F_P_START: ol_sql_tb_set_i(b, c, (int64_t)p.start); break;
        case OL_SQL_F_P_TIME: ol_sql_tb_set_i(b, c, (int64_t)p.time); break;
        case OL_SQL_F_P_VALUE: ol_sql_tb_set_f(b, c, p.value); break;
        case OL_SQL_F_P_FLAGS: ol_sql_tb_set_i(b, c, p.flags); break;
        case OL_SQL_F_TEMPORALITY: ol_sql_tb_set_i(b, c, temporality); break;
        case OL_SQL_F_MONOTONIC: ol_sql_tb_set_i(b, c, monotonic); break;
        case OL_SQL_F_COUNT: ol_sql_tb_set_i(b, c, (int64_t)p.count); break;
        case OL_SQL_F_SUM: ol_sql_tb_set_f(b, c, p.sum); break;
        case OL_SQL_F_MIN: ol_sql_tb_set_f(b, c, p.min); break;
        case OL_SQL_F_MAX: ol_sql_tb_set_f(b, c, p.max); break;
        case OL_SQL_F_SCALE: ol_sql_tb_set_i(b, c, p.scale); break;
        case OL_SQL_F_ZERO_COUNT: ol_sql_tb_set_i(b, c, (int64_t)p.zero_count); break;
        case OL_SQL_F_POS_OFFSET: ol_sql_tb_set_i(b, c, p.pos_offset); break;
        case OL_SQL_F_NEG_OFFSET: ol_sql_tb_set_i(b, c, p.neg_offset); break;
        case OL_SQL_F_BUCKETS:
            push_fixed64s(b, c, raw, F_HIST_BUCKETS, false);
            ol_sql_tb_arr_end(b, c);
            break;
        case OL_SQL_F_BOUNDS:
            push_fixed64s(b, c, raw, F_HIST_BOUNDS, true);
            ol_sql_tb_arr_end(b, c);
            break;
        case OL_SQL_F_POS_BUCKETS: push_exp_buckets(b, c, raw, F_EXPH_POSITIVE); break;
        case OL_SQL_F_NEG_BUCKETS: push_exp_buckets(b, c, raw, F_EXPH_NEGATIVE); break;
        case OL_SQL_F_Q_QUANTILE:
        case OL_SQL_F_Q_VALUE: quantiles = true; break;
        default: break; /* attributes and exemplars below */
        }
    }
    if (quantiles) push_quantiles(b, col_on(b, OL_SQL_F_Q_QUANTILE), col_on(b, OL_SQL_F_Q_VALUE), raw);
    ol_sql_tb_origin_keys(b, o);
    if (b->need_field[OL_SQL_F_P_ATTRS]) ol_sql_tb_row_attrs(b, raw, m->pf->attrs, OL_SQL_F_P_ATTRS, -1);
    push_exemplars(b, raw, m->pf->exemplars);
    return ol_sql_tb_row_done(b);
}

static int metric_cb(void *ud, const ol_otlp_metric_t *mt)
{
    mscan_t *m = ud;
    ol_sql_tb_t *b = m->b;
    if (mt->type != m->type) return OL_OK;
    b->epoch++; /* the previous callback's origins are gone */
    b->scan->bytes_scanned += mt->raw.len;
    const ol_sql_orow_t *o = ol_sql_tb_origin(b, mt->origin);
    if (!o) return b->rc;
    if (!o->svc_ok) {
        b->scan->rows_scanned += mt->n_points;
        return OL_OK;
    }
    /* Sum / Histogram / ExponentialHistogram: the temporality, and a Sum's monotonicity */
    int32_t temporality = 0;
    bool monotonic = false;
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, mt->data);
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.wire_type != OL_PB_VARINT || mt->type == OL_METRIC_GAUGE || mt->type == OL_METRIC_SUMMARY) continue;
        if (f.number == F_METRIC_TEMPORALITY) temporality = (int32_t)(uint32_t)f.u64;
        else if (f.number == F_METRIC_MONOTONIC && mt->type == OL_METRIC_SUM) monotonic = f.u64 != 0;
    }
    ol_pb_reader_init(&r, mt->data);
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.number != F_METRIC_DATA_POINTS || f.wire_type != OL_PB_LEN) continue;
        int rc = point_row(m, mt, o, f.bytes, temporality, monotonic);
        if (rc != OL_OK) return rc;
    }
    return OL_OK;
}

static int name_cb(void *ud, const ol_store_metric_info_t *info)
{
    mscan_t *m = ud;
    if (ol_grow_array(OL_MEM_QUERY, (void **)&m->names, &m->cap_names, m->n_names + 1, sizeof *m->names) != OL_OK)
        return OL_NOMEM;
    void *p = ol_arena_memdup(m->names_arena, info->name.len ? (const void *)info->name.ptr : "", info->name.len);
    if (!p) return OL_NOMEM;
    m->names[m->n_names++] = ol_slice(p, info->name.len);
    return OL_OK;
}

int ol_sql_scan_metrics(ol_store_t *s, ol_sql_tb_t *b, ol_metric_type_t type)
{
    mscan_t m = {.b = b, .type = type};
    switch (type) {
    case OL_METRIC_HISTOGRAM: m.pf = &hist_pf; break;
    case OL_METRIC_EXP_HISTOGRAM: m.pf = &exph_pf; break;
    case OL_METRIC_SUMMARY: m.pf = &summary_pf; break;
    default: m.pf = &number_pf; break;
    }
    m.names_arena = ol_arena_create(16 << 10, 0);
    if (!m.names_arena) return OL_NOMEM;
    int rc = ol_store_scan_metric_names(s, name_cb, &m);
    for (size_t i = 0; i < m.n_names && rc == OL_OK && !b->stopped; i++) {
        rc = ol_store_scan_metric(s, m.names[i], b->scan->start_ns, b->scan->end_ns, metric_cb, &m);
        if (rc == OL_NOTFOUND) rc = OL_OK; /* dropped since it was listed */
    }
    ol_free(OL_MEM_QUERY, m.names, m.cap_names * sizeof *m.names);
    ol_arena_destroy(m.names_arena);
    return rc;
}
