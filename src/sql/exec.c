/*
 * exec.c - running a bound query (see sql.h for the contract).
 *
 * The scan (table.c) hands over batches of column vectors. Per batch, WHERE
 * is evaluated over the whole batch, the passing rows are gathered into a
 * smaller frame, and the frame goes either to the groups (agg.c) or to the
 * row collector. Everything per batch lives in a batch arena reset after
 * each batch; groups live in the query arena; collected rows are single
 * heap blocks so that ORDER BY ... LIMIT can drop the rows that fall out of
 * the top as it goes (the scan may come in any order).
 *
 * Bounds: rows scanned, run time and memory are checked per batch, the
 * result rows as they are collected, the JSON bytes as they are written;
 * hitting one ends the query with OL_LIMIT and a message naming it.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "codec/json.h"
#include "core/alloc.h"
#include "core/util.h"
#include "sql/plan.h"

#define DEF_MAX_ROWS_SCANNED 100000000ull
#define DEF_MAX_RANGE_NS (31ull * 86400 * 1000000000ull)
#define DEF_MAX_RUN_MS 30000ull
#define DEF_MAX_RESULT_ROWS 100000ull
#define DEF_MAX_RESULT_BYTES (64ull << 20)
#define DEF_MAX_MEMORY (1ull << 30)
#define BATCH_ROWS 8192

/* ---- evaluation ---- */

bool ol_sql_vec_true(const ol_sql_vec_t *v, uint32_t r)
{
    uint32_t k = ol_sql_row(v, r);
    switch (ol_sql_type_repr(v->type)) {
    case 'f': return v->f[k] != 0;
    case 'i': return v->i[k] != 0;
    default: return false;
    }
}

int ol_sql_eval(ol_sql_ctx_t *cx, const ol_sql_node_t *node, const ol_sql_frame_t *f, ol_sql_vec_t *out)
{
    switch (node->kind) {
    case OL_SQL_N_CONST: *out = node->cval; return OL_OK;
    case OL_SQL_N_COL: *out = f->cols[node->index]; return OL_OK;
    case OL_SQL_N_KEY: *out = f->keys[node->index]; return OL_OK;
    case OL_SQL_N_SLOT: *out = f->slots[node->index]; return OL_OK;
    case OL_SQL_N_FUNC: break;
    }
    ol_sql_vec_t args[64];
    bool all_const = true;
    for (uint32_t i = 0; i < node->n_args; i++) {
        int rc = ol_sql_eval(cx, node->args[i], f, &args[i]);
        if (rc != OL_OK) return rc;
        if (!args[i].is_const) all_const = false;
    }
    uint32_t rows = all_const ? 1 : f->n;
    memset(out, 0, sizeof *out);
    out->type = node->type;
    int rc = node->fn->exec(cx, args, node->n_args, rows, out);
    if (rc != OL_OK) return rc;
    out->type = node->type;
    out->n = rows;
    out->is_const = all_const;
    return OL_OK;
}

static int gather_children(ol_sql_ctx_t *cx, const ol_sql_vec_t *in, const uint32_t *sel, uint32_t k, bool deep,
                           ol_sql_vec_t *out)
{
    uint64_t total = 0;
    for (uint32_t j = 0; j < k; j++) total += in->off[sel[j] + 1] - in->off[sel[j]];
    if (total > UINT32_MAX) return OL_LIMIT;
    uint32_t *idx = ol_arena_alloc(cx->arena, (total ? total : 1) * sizeof *idx);
    if (!idx) return OL_NOMEM;
    uint32_t at = 0;
    out->off[0] = 0;
    for (uint32_t j = 0; j < k; j++) {
        for (uint32_t e = in->off[sel[j]]; e < in->off[sel[j] + 1]; e++) idx[at++] = e;
        out->off[j + 1] = at;
    }
    if (in->keys) {
        out->keys = ol_arena_calloc(cx->arena, sizeof *out->keys);
        if (!out->keys) return OL_NOMEM;
        int rc = ol_sql_vec_gather(cx, in->keys, idx, at, deep, out->keys);
        if (rc != OL_OK) return rc;
    }
    if (in->vals) {
        out->vals = ol_arena_calloc(cx->arena, sizeof *out->vals);
        if (!out->vals) return OL_NOMEM;
        int rc = ol_sql_vec_gather(cx, in->vals, idx, at, deep, out->vals);
        if (rc != OL_OK) return rc;
    }
    return OL_OK;
}

int ol_sql_vec_gather(ol_sql_ctx_t *cx, const ol_sql_vec_t *in, const uint32_t *sel, uint32_t k, bool deep,
                      ol_sql_vec_t *out)
{
    if (in->is_const) {
        *out = *in;
        if (!deep) return OL_OK;
    }
    ol_sql_vec_t tmp;
    int rc = ol_sql_vec_alloc(cx, &tmp, in->type, k);
    if (rc != OL_OK) return rc;
    switch (ol_sql_type_repr(in->type)) {
    case 'f':
        for (uint32_t j = 0; j < k; j++) tmp.f[j] = in->f[ol_sql_row(in, sel[j])];
        break;
    case 's':
        for (uint32_t j = 0; j < k; j++) {
            ol_slice_t s = in->s[ol_sql_row(in, sel[j])];
            if (deep && s.len) {
                void *p = ol_arena_memdup(cx->arena, s.ptr, s.len);
                if (!p) return OL_NOMEM;
                s.ptr = p;
            }
            tmp.s[j] = s;
        }
        break;
    case 'm':
    case 'a':
        if (in->is_const) {
            uint32_t *zero = ol_arena_calloc(cx->arena, (k ? k : 1) * sizeof *zero);
            if (!zero) return OL_NOMEM;
            rc = gather_children(cx, in, zero, k, deep, &tmp);
        } else {
            rc = gather_children(cx, in, sel, k, deep, &tmp);
        }
        if (rc != OL_OK) return rc;
        break;
    default:
        for (uint32_t j = 0; j < k; j++) tmp.i[j] = in->i[ol_sql_row(in, sel[j])];
        break;
    }
    *out = tmp;
    return OL_OK;
}

/* ---- rendering ---- */

static void render_float(double f, ol_buf_t *b)
{
    if (isnan(f) || isinf(f)) {
        ol_buf_append_cstr(b, "null");
        return;
    }
    char tmp[32];
    ol_buf_append(b, tmp, ol_sql_format_float(f, tmp));
}

void ol_sql_render_value(const ol_sql_vec_t *v, uint32_t r, ol_buf_t *b)
{
    uint32_t k = ol_sql_row(v, r);
    ol_sql_type_t t = v->type;
    switch (ol_sql_type_repr(t)) {
    case 'f': render_float(v->f[k], b); return;
    case 's': ol_json_write_string(b, v->s[k]); return;
    case 'm':
        ol_buf_append_u8(b, '{');
        for (uint32_t e = v->off[k]; e < v->off[k + 1]; e++) {
            if (e > v->off[k]) ol_buf_append_u8(b, ',');
            ol_sql_render_value(v->keys, e, b);
            ol_buf_append_u8(b, ':');
            ol_sql_render_value(v->vals, e, b);
        }
        ol_buf_append_u8(b, '}');
        return;
    case 'a':
        ol_buf_append_u8(b, '[');
        for (uint32_t e = v->off[k]; e < v->off[k + 1]; e++) {
            if (e > v->off[k]) ol_buf_append_u8(b, ',');
            ol_sql_render_value(v->vals, e, b);
        }
        ol_buf_append_u8(b, ']');
        return;
    default: break;
    }
    int64_t x = v->i[k];
    if (t == OL_SQL_BOOL) ol_buf_append_cstr(b, x ? "true" : "false");
    else if (ol_sql_type_is_time(t)) {
        char tmp[40];
        ol_sql_format_time(t, x, tmp);
        ol_json_write_cstr(b, tmp);
    } else if (ol_sql_type_is_signed(t) || ol_sql_type_is_interval(t)) ol_buf_printf(b, "%" PRId64, x);
    else ol_buf_printf(b, "%" PRIu64, (uint64_t)x);
}

/* ---- collected rows ---- */

typedef union key {
    int64_t i;
    double f;
    ol_slice_t s;
} key_t_;

typedef struct row {
    uint64_t seq;
    size_t bytes;
    uint32_t json_len;
    const char *json;
    key_t_ keys[]; /* n_order */
} row_t;

typedef struct run {
    ol_store_t *store;
    const ol_sql_plan_t *p;
    ol_sql_limits_t lim;
    ol_sql_ctx_t qcx, bcx;
    ol_err_t *err;
    ol_sql_scan_t scan;
    ol_sql_groups_t *groups;
    uint64_t deadline_ns;
    uint64_t seen_lo, seen_hi; /* time column values read, clipped to the query's range */
    bool track_range;          /* the bounds alone do not keep the rows within max_time_range */
    /* rows */
    row_t **rows;
    size_t n_rows, cap_rows;
    uint64_t seq;
    uint64_t row_bytes;
    bool pruned;     /* rows beyond keep were dropped at least once */
    uint64_t keep;   /* offset + limit when limited */
    ol_buf_t scratch;
} run_t;

static void free_row(run_t *r, row_t *row)
{
    r->row_bytes -= row->bytes;
    ol_free(OL_MEM_QUERY, row, row->bytes);
}

static int key_cmp(const ol_sql_plan_t *p, const key_t_ *a, const key_t_ *b)
{
    for (uint32_t i = 0; i < p->n_order; i++) {
        ol_sql_type_t t = p->order[i].node->type;
        int c;
        switch (ol_sql_type_repr(t)) {
        case 's': {
            size_t n = OL_MIN(a[i].s.len, b[i].s.len);
            c = n ? memcmp(a[i].s.ptr, b[i].s.ptr, n) : 0;
            if (!c) c = a[i].s.len < b[i].s.len ? -1 : a[i].s.len > b[i].s.len;
            break;
        }
        case 'f': {
            bool na = isnan(a[i].f), nb = isnan(b[i].f);
            if (na || nb) { /* NaN last in both directions */
                if (na != nb) return na ? 1 : -1;
                c = 0;
                continue;
            }
            c = a[i].f < b[i].f ? -1 : a[i].f > b[i].f;
            break;
        }
        default:
            if (ol_sql_type_is_int(t) && !ol_sql_type_is_signed(t) && t != OL_SQL_BOOL)
                c = (uint64_t)a[i].i < (uint64_t)b[i].i ? -1 : (uint64_t)a[i].i > (uint64_t)b[i].i;
            else
                c = a[i].i < b[i].i ? -1 : a[i].i > b[i].i;
            break;
        }
        if (c) return p->order[i].desc ? -c : c;
    }
    return 0;
}

static int row_cmp(const void *x, const void *y, void *ud)
{
    const row_t *a = *(row_t *const *)x, *b = *(row_t *const *)y;
    int c = key_cmp(ud, a->keys, b->keys);
    if (c) return c;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int limit_err(run_t *r, const char *what, uint64_t value, const char *hint)
{
    ol_err_set(r->err, "query exceeds %s (%" PRIu64 ")%s%s", what, value, hint ? ": " : "", hint ? hint : "");
    return OL_LIMIT;
}

static void prune_rows(run_t *r)
{
    qsort_r(r->rows, r->n_rows, sizeof *r->rows, row_cmp, (void *)r->p);
    while (r->n_rows > r->keep) free_row(r, r->rows[--r->n_rows]);
    r->pruned = true;
}

/* Collects rows sel[0..k) of a frame: their rendered values and order keys. */
static int collect(run_t *r, ol_sql_ctx_t *cx, const ol_sql_frame_t *f, bool *stop)
{
    const ol_sql_plan_t *p = r->p;
    ol_sql_vec_t outv[256], ordv[64];
    if (p->n_out > 256 || p->n_order > 64) return limit_err(r, "the number of result columns", 256, NULL);
    for (uint32_t i = 0; i < p->n_order; i++) {
        int rc = ol_sql_eval(cx, p->order[i].node, f, &ordv[i]);
        if (rc != OL_OK) return rc;
    }
    bool outs_done = false;
    key_t_ keys[64];
    for (uint32_t row = 0; row < f->n; row++) {
        for (uint32_t i = 0; i < p->n_order; i++) {
            const ol_sql_vec_t *v = &ordv[i];
            uint32_t k = ol_sql_row(v, row);
            switch (ol_sql_type_repr(v->type)) {
            case 'f': keys[i].f = v->f[k]; break;
            case 's': keys[i].s = v->s[k]; break;
            default: keys[i].s.len = 0; keys[i].i = v->i[k]; break;
            }
        }
        /* after a prune, a row that cannot enter the kept rows is skipped unrendered */
        if (r->pruned && r->n_rows >= r->keep && r->keep > 0 && key_cmp(p, keys, r->rows[r->keep - 1]->keys) >= 0) continue;
        if (r->pruned && r->keep == 0) continue;
        if (!outs_done) {
            for (uint32_t i = 0; i < p->n_out; i++) {
                int rc = ol_sql_eval(cx, p->out[i].node, f, &outv[i]);
                if (rc != OL_OK) return rc;
            }
            outs_done = true;
        }
        ol_buf_reset(&r->scratch);
        ol_buf_append_u8(&r->scratch, '[');
        for (uint32_t i = 0; i < p->n_out; i++) {
            if (i) ol_buf_append_u8(&r->scratch, ',');
            ol_sql_render_value(&outv[i], row, &r->scratch);
        }
        ol_buf_append_u8(&r->scratch, ']');
        if (r->scratch.err) return OL_NOMEM;
        size_t sbytes = 0;
        for (uint32_t i = 0; i < p->n_order; i++)
            if (ol_sql_type_repr(ordv[i].type) == 's') sbytes += keys[i].s.len;
        size_t bytes = sizeof(row_t) + p->n_order * sizeof(key_t_) + r->scratch.len + sbytes;
        if (r->row_bytes + bytes > r->lim.max_memory_bytes)
            return limit_err(r, "max_memory_bytes", r->lim.max_memory_bytes, "add LIMIT or narrow the query");
        row_t *nr = ol_malloc(OL_MEM_QUERY, bytes);
        if (!nr) return OL_NOMEM;
        nr->seq = r->seq++;
        nr->bytes = bytes;
        r->row_bytes += bytes;
        char *tail = (char *)(nr->keys + p->n_order);
        memcpy(tail, r->scratch.data, r->scratch.len);
        nr->json = tail;
        nr->json_len = (uint32_t)r->scratch.len;
        tail += r->scratch.len;
        for (uint32_t i = 0; i < p->n_order; i++) {
            nr->keys[i] = keys[i];
            if (ol_sql_type_repr(ordv[i].type) == 's' && keys[i].s.len) {
                memcpy(tail, keys[i].s.ptr, keys[i].s.len);
                nr->keys[i].s.ptr = (const uint8_t *)tail;
                tail += keys[i].s.len;
            }
        }
        if (r->n_rows == r->cap_rows) {
            size_t ncap = r->cap_rows ? r->cap_rows * 2 : 256;
            row_t **nrows = ol_realloc(OL_MEM_QUERY, r->rows, r->cap_rows * sizeof *nrows, ncap * sizeof *nrows);
            if (!nrows) {
                free_row(r, nr);
                return OL_NOMEM;
            }
            r->rows = nrows;
            r->cap_rows = ncap;
        }
        r->rows[r->n_rows++] = nr;
        if (p->n_order == 0) {
            if (p->has_limit && r->n_rows >= r->keep) {
                *stop = true;
                return OL_OK;
            }
            if (r->n_rows > r->lim.max_result_rows + (p->has_limit ? p->offset : 0))
                return limit_err(r, "max_result_rows", r->lim.max_result_rows, "add LIMIT or GROUP BY");
        } else if (p->has_limit) {
            if (r->n_rows >= OL_MAX(2 * r->keep, 4096)) prune_rows(r);
        } else if (r->n_rows > r->lim.max_result_rows) {
            return limit_err(r, "max_result_rows", r->lim.max_result_rows, "add LIMIT or GROUP BY");
        }
    }
    return OL_OK;
}

/* The rows of f that pass `cond` (NULL: all), gathered into *out. */
static int filter(ol_sql_ctx_t *cx, const ol_sql_node_t *cond, const ol_sql_frame_t *f, ol_sql_frame_t *out,
                  const ol_sql_plan_t *p, uint32_t n_cols, bool table_frame)
{
    *out = *f;
    if (!cond) return OL_OK;
    ol_sql_vec_t m;
    int rc = ol_sql_eval(cx, cond, f, &m);
    if (rc != OL_OK) return rc;
    uint32_t *sel = ol_arena_alloc(cx->arena, (f->n ? f->n : 1) * sizeof *sel);
    if (!sel) return OL_NOMEM;
    uint32_t k = 0;
    for (uint32_t r = 0; r < f->n; r++)
        if (ol_sql_vec_true(&m, r)) sel[k++] = r;
    if (k == f->n) return OL_OK;
    out->n = k;
    if (table_frame) {
        ol_sql_vec_t *cols = ol_arena_calloc(cx->arena, (n_cols ? n_cols : 1) * sizeof *cols);
        ol_sql_vec_t *keys = ol_arena_calloc(cx->arena, (p->n_keys ? p->n_keys : 1) * sizeof *keys);
        if (!cols || !keys) return OL_NOMEM;
        for (uint32_t c = 0; c < n_cols; c++)
            if (p->need[c] && (rc = ol_sql_vec_gather(cx, &f->cols[c], sel, k, false, &cols[c])) != OL_OK) return rc;
        for (uint32_t c = 0; c < p->n_keys; c++)
            if ((rc = ol_sql_vec_gather(cx, &f->keys[c], sel, k, false, &keys[c])) != OL_OK) return rc;
        out->cols = cols;
        out->keys = keys;
    } else {
        uint32_t ns = p->n_group + p->n_aggs;
        ol_sql_vec_t *slots = ol_arena_calloc(cx->arena, (ns ? ns : 1) * sizeof *slots);
        if (!slots) return OL_NOMEM;
        for (uint32_t c = 0; c < ns; c++)
            if ((rc = ol_sql_vec_gather(cx, &f->slots[c], sel, k, false, &slots[c])) != OL_OK) return rc;
        out->slots = slots;
    }
    return OL_OK;
}

static int range_err(run_t *r)
{
    const ol_sql_table_def_t *t = r->p->table;
    ol_err_set(r->err, "query exceeds max_time_range (%.1f days of data): add a condition on %s",
               (double)r->lim.max_time_range_ns / 86400e9, t->cols[t->time_col].name);
    return OL_LIMIT;
}

static int on_batch(void *ud, const ol_sql_batch_t *b)
{
    run_t *r = ud;
    const ol_sql_plan_t *p = r->p;
    if (r->scan.rows_scanned > r->lim.max_rows_scanned)
        return limit_err(r, "max_rows_scanned", r->lim.max_rows_scanned, "narrow the time range or add a ServiceName condition");
    if (ol_mono_ns() > r->deadline_ns) return limit_err(r, "max_run_ms", r->lim.max_run_ms, "narrow the query");
    if (ol_arena_used(r->qcx.arena) > r->lim.max_memory_bytes)
        return limit_err(r, "max_memory_bytes", r->lim.max_memory_bytes, "fewer groups or a narrower query");
    const ol_sql_vec_t *tv = &b->cols[p->table->time_col];
    if (r->track_range && tv->type == OL_SQL_DATETIME64 && tv->n) {
        for (uint32_t i = 0; i < b->n; i++) {
            uint64_t t = (uint64_t)tv->i[ol_sql_row(tv, i)];
            if (t < p->start_ns || t >= p->end_ns) continue;
            if (t < r->seen_lo) r->seen_lo = t;
            if (t > r->seen_hi) r->seen_hi = t;
        }
        if (r->seen_hi > r->seen_lo && r->seen_hi - r->seen_lo >= r->lim.max_time_range_ns)
            return range_err(r);
    }
    ol_sql_frame_t f = {.n = b->n, .cols = b->cols, .keys = b->keys}, g;
    int rc = filter(&r->bcx, p->where, &f, &g, p, p->table->n_cols, true);
    bool stop = false;
    if (rc == OL_OK && g.n) {
        if (p->grouped) rc = ol_sql_groups_add(r->groups, &r->bcx, &g);
        else rc = collect(r, &r->bcx, &g, &stop);
    }
    ol_arena_reset(r->bcx.arena);
    if (rc == OL_NOMEM && ol_arena_used(r->qcx.arena) + 1 >= r->lim.max_memory_bytes)
        return limit_err(r, "max_memory_bytes", r->lim.max_memory_bytes, "fewer groups or a narrower query");
    if (rc != OL_OK) return rc;
    return stop ? OL_STORE_STOP : OL_OK;
}

typedef struct range_acc {
    ol_signal_t signal;
    uint64_t lo, hi;
} range_acc_t;


static int on_part(void *ud, const ol_store_partition_stats_t *ps)
{
    range_acc_t *a = ud;
    if (ps->signal != a->signal || !ps->rows) return OL_OK;
    if (ps->min_ns < a->lo) a->lo = ps->min_ns;
    if (ps->max_ns > a->hi) a->hi = ps->max_ns;
    return OL_OK;
}

static ol_signal_t table_signal(ol_sql_table_id_t id)
{
    return id == OL_SQL_TABLE_TRACES ? OL_SIGNAL_TRACES : id == OL_SQL_TABLE_LOGS ? OL_SIGNAL_LOGS : OL_SIGNAL_METRICS;
}

static void render_result(run_t *r, const ol_sql_plan_t *p, ol_buf_t *out, double ms)
{
    ol_buf_append_cstr(out, "{\"columns\":[");
    for (uint32_t i = 0; i < p->n_out; i++) {
        if (i) ol_buf_append_u8(out, ',');
        ol_buf_append_cstr(out, "{\"name\":");
        ol_json_write_cstr(out, p->out[i].name);
        ol_buf_append_cstr(out, ",\"type\":");
        ol_json_write_cstr(out, p->out[i].type_name);
        ol_buf_append_u8(out, '}');
    }
    ol_buf_append_cstr(out, "],\"rows\":[");
    uint64_t from = p->offset, to = r->n_rows;
    if (p->has_limit && from + p->limit < to) to = from + p->limit;
    uint64_t n = 0;
    for (uint64_t i = from; i < to; i++, n++) {
        if (n) ol_buf_append_u8(out, ',');
        ol_buf_append(out, r->rows[i]->json, r->rows[i]->json_len);
    }
    ol_buf_printf(out,
                  "],\"statistics\":{\"rowsScanned\":%" PRIu64 ",\"bytesScanned\":%" PRIu64
                  ",\"rowsReturned\":%" PRIu64 ",\"elapsedMs\":%.3f}}",
                  r->scan.rows_scanned, r->scan.bytes_scanned, n, ms);
}

int ol_sql_run(ol_store_t *s, const char *sql, size_t len, const ol_sql_limits_t *limits, uint64_t now_ns,
               ol_buf_t *out, ol_sql_stats_t *stats, ol_err_t *err)
{
    uint64_t t0 = ol_mono_ns();
    run_t r;
    memset(&r, 0, sizeof r);
    r.store = s;
    r.err = err;
    if (limits) r.lim = *limits;
    if (!r.lim.max_rows_scanned) r.lim.max_rows_scanned = DEF_MAX_ROWS_SCANNED;
    if (!r.lim.max_time_range_ns) r.lim.max_time_range_ns = DEF_MAX_RANGE_NS;
    if (!r.lim.max_run_ms) r.lim.max_run_ms = DEF_MAX_RUN_MS;
    if (!r.lim.max_result_rows) r.lim.max_result_rows = DEF_MAX_RESULT_ROWS;
    if (!r.lim.max_result_bytes) r.lim.max_result_bytes = DEF_MAX_RESULT_BYTES;
    if (!r.lim.max_memory_bytes) r.lim.max_memory_bytes = DEF_MAX_MEMORY;
    r.deadline_ns = t0 + r.lim.max_run_ms * 1000000ull;
    if (!now_ns) now_ns = ol_now_ns();
    if (len > OL_SQL_MAX_QUERY_BYTES) {
        ol_err_set(err, "query is %zu bytes; the limit is %u", len, OL_SQL_MAX_QUERY_BYTES);
        return OL_LIMIT;
    }
    r.qcx.arena = ol_arena_create(64u << 10, r.lim.max_memory_bytes);
    r.bcx.arena = ol_arena_create(1u << 20, r.lim.max_memory_bytes);
    r.qcx.now_ns = r.bcx.now_ns = now_ns;
    r.qcx.err = r.bcx.err = err;
    ol_buf_init(&r.scratch, OL_MEM_QUERY, 64u << 20);
    int rc = OL_OK;
    if (!r.qcx.arena || !r.bcx.arena) {
        rc = OL_NOMEM;
        goto done;
    }
    ol_sql_select_t *q;
    rc = ol_sql_parse(sql, len, r.qcx.arena, &q, err);
    if (rc != OL_OK) goto done;
    ol_sql_plan_t *p = ol_arena_calloc(r.qcx.arena, sizeof *p);
    if (!p) {
        rc = OL_NOMEM;
        goto done;
    }
    rc = ol_sql_bind(&r.qcx, sql, len, q, p);
    if (rc != OL_OK) goto done;
    r.p = p;
    r.keep = p->offset + p->limit;
    if (p->has_limit && r.keep < p->limit) r.keep = UINT64_MAX; /* overflow */

    /* the time range covered: the query's bounds, clipped to the data in parts */
    range_acc_t acc = {table_signal(p->table->id), UINT64_MAX, 0};
    (void)ol_store_scan_partitions(s, on_part, &acc);
    uint64_t lo = OL_MAX(p->start_ns, acc.lo), hi = OL_MIN(p->end_ns, acc.hi + 1);
    if (acc.hi && hi > lo && hi - lo > r.lim.max_time_range_ns) {
        rc = range_err(&r);
        goto done;
    }
    /* rows can only span more than max_time_range when the bounds allow it;
     * then the head's range is known only as it is read: the time column is
     * read too */
    r.track_range = p->end_ns > p->start_ns && p->end_ns - p->start_ns > r.lim.max_time_range_ns;
    if (r.track_range) p->need[p->table->time_col] = true;
    r.seen_lo = UINT64_MAX;
    r.seen_hi = 0;

    if (p->grouped && (rc = ol_sql_groups_create(&r.qcx, p, &r.groups)) != OL_OK) goto done;
    if (p->end_ns > p->start_ns) {
        r.scan.table = p->table;
        r.scan.start_ns = p->start_ns;
        r.scan.end_ns = p->end_ns;
        r.scan.services = p->services;
        r.scan.n_services = p->n_services;
        r.scan.need = p->need;
        r.scan.keys = p->keys;
        r.scan.n_keys = p->n_keys;
        r.scan.batch_rows = BATCH_ROWS;
        r.scan.semconv = !r.lim.semconv_off;
        rc = ol_sql_table_scan(s, &r.scan, on_batch, &r);
        if (rc != OL_OK) goto done;
    }
    if (p->grouped) {
        ol_sql_frame_t gf, hf;
        if ((rc = ol_sql_groups_finish(r.groups, &r.qcx, &gf)) != OL_OK) goto done;
        /* a query with GROUP BY over no rows has no groups */
        if ((rc = filter(&r.qcx, p->having, &gf, &hf, p, 0, false)) != OL_OK) goto done;
        bool stop = false;
        if (hf.n && (rc = collect(&r, &r.qcx, &hf, &stop)) != OL_OK) goto done;
    }
    if (p->n_order && r.n_rows > 1) qsort_r(r.rows, r.n_rows, sizeof *r.rows, row_cmp, (void *)p);
    {
        uint64_t returned = r.n_rows > p->offset ? r.n_rows - p->offset : 0;
        if (p->has_limit && returned > p->limit) returned = p->limit;
        if (returned > r.lim.max_result_rows) {
            rc = limit_err(&r, "max_result_rows", r.lim.max_result_rows, "add LIMIT");
            goto done;
        }
        size_t before = out->len;
        double ms = (double)(ol_mono_ns() - t0) / 1e6;
        render_result(&r, p, out, ms);
        if (out->err) {
            out->len = before;
            out->err = OL_OK;
            rc = OL_NOMEM;
            goto done;
        }
        if (out->len - before > r.lim.max_result_bytes) {
            out->len = before;
            rc = limit_err(&r, "max_result_bytes", r.lim.max_result_bytes, "add LIMIT or select fewer columns");
            goto done;
        }
        if (stats) {
            stats->rows_scanned = r.scan.rows_scanned;
            stats->bytes_scanned = r.scan.bytes_scanned;
            stats->rows_returned = returned;
            stats->elapsed_ms = ms;
        }
    }
done:
    if (rc == OL_NOMEM && r.qcx.arena && ol_arena_used(r.qcx.arena) + (1u << 20) >= r.lim.max_memory_bytes) {
        ol_err_set(err, "query exceeds max_memory_bytes (%" PRIu64 "): fewer groups or a narrower query", r.lim.max_memory_bytes);
        rc = OL_LIMIT;
    } else if (rc == OL_NOMEM) {
        ol_err_set(err, "out of memory");
    }
    for (size_t i = 0; i < r.n_rows; i++) free_row(&r, r.rows[i]);
    ol_free(OL_MEM_QUERY, r.rows, r.cap_rows * sizeof *r.rows);
    ol_buf_free(&r.scratch);
    if (r.bcx.arena) ol_arena_destroy(r.bcx.arena);
    if (r.qcx.arena) ol_arena_destroy(r.qcx.arena);
    return rc;
}
