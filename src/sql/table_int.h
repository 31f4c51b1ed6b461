/*
 * table_int.h - what table.c shares with the scans of each signal
 * (table_traces.c, table_logs.c, table_metrics.c).
 *
 * A scan turns store items into rows through a batch builder (ol_sql_tb_t):
 * per needed column it keeps the batch's per-row arrays (allocated from the
 * batch arena, batch_rows long) and, for maps and arrays, growable element
 * arrays that live for the whole scan and are reused batch after batch. Every
 * string a row holds is copied into the batch arena (store views die when
 * the store's callback returns; rendered values need a home anyway), so a
 * batch can gather rows from many store callbacks and be handed over
 * whenever it is full. When a batch has been handed over, the arena is reset
 * and the element arrays emptied: nothing is freed row by row.
 *
 * What a row's resource and scope give (service name, resource and scope
 * attributes rendered, schema URLs, attribute lookups by key) is rendered
 * once per distinct origin per batch (ol_sql_tb_origin), keyed by the
 * origin's bytes, because many rows share an origin and store views of the
 * same origin do not keep one address across callbacks.
 *
 * Writing a row: the scan checks its pruning conditions, then for every
 * column c with cols[c].on writes row b->n's value (ol_sql_tb_set_*,
 * ol_sql_tb_map_*, ol_sql_tb_arr_*), then calls ol_sql_tb_row_done(), which
 * may hand the batch over (its return is then the batch callback's:
 * OL_STORE_STOP or an error ends the scan). Allocation failures are sticky
 * in b->rc and reported by ol_sql_tb_row_done().
 */
#ifndef OL_SQL_TABLE_INT_H
#define OL_SQL_TABLE_INT_H

#include "codec/pb.h"
#include "sql/table.h"

/* What a column holds, for the scans' switches. */
typedef enum {
    /* resource and scope (every table) */
    OL_SQL_F_SERVICE,
    OL_SQL_F_RES_ATTRS,
    OL_SQL_F_RES_URL,
    OL_SQL_F_RES_ITEMS,   /* ResourceAttributeItems: "key=value" per entry */
    OL_SQL_F_RES_KEY,     /* a resource attribute by key (logs' materialized columns) */
    OL_SQL_F_SCOPE_NAME,
    OL_SQL_F_SCOPE_VERSION,
    OL_SQL_F_SCOPE_ATTRS,
    OL_SQL_F_SCOPE_DROPPED,
    OL_SQL_F_SCOPE_URL,
    /* otel_traces */
    OL_SQL_F_SPAN_TIME,
    OL_SQL_F_TRACE_ID,
    OL_SQL_F_SPAN_ID,
    OL_SQL_F_PARENT_ID,
    OL_SQL_F_TRACE_STATE,
    OL_SQL_F_SPAN_NAME,
    OL_SQL_F_SPAN_KIND,
    OL_SQL_F_SPAN_ATTRS,
    OL_SQL_F_SPAN_ITEMS,
    OL_SQL_F_DURATION,
    OL_SQL_F_STATUS_CODE,
    OL_SQL_F_STATUS_MSG,
    OL_SQL_F_EV_TIME,
    OL_SQL_F_EV_NAME,
    OL_SQL_F_EV_ATTRS,
    OL_SQL_F_LN_TRACE,
    OL_SQL_F_LN_SPAN,
    OL_SQL_F_LN_STATE,
    OL_SQL_F_LN_ATTRS,
    /* otel_logs */
    OL_SQL_F_LOG_TIME,
    OL_SQL_F_LOG_TIME_S,  /* TimestampTime, DateTime */
    OL_SQL_F_LOG_TRACE,
    OL_SQL_F_LOG_SPAN,
    OL_SQL_F_LOG_FLAGS,
    OL_SQL_F_SEV_TEXT,
    OL_SQL_F_SEV_NUM,
    OL_SQL_F_BODY,
    OL_SQL_F_LOG_ATTRS,
    OL_SQL_F_EVENT_NAME,
    /* otel_metrics_* */
    OL_SQL_F_M_NAME,
    OL_SQL_F_M_DESC,
    OL_SQL_F_M_UNIT,
    OL_SQL_F_P_ATTRS,
    OL_SQL_F_P_START,
    OL_SQL_F_P_TIME,
    OL_SQL_F_P_VALUE,
    OL_SQL_F_P_FLAGS,
    OL_SQL_F_EX_ATTRS,
    OL_SQL_F_EX_TIME,
    OL_SQL_F_EX_VALUE,
    OL_SQL_F_EX_SPAN,
    OL_SQL_F_EX_TRACE,
    OL_SQL_F_TEMPORALITY,
    OL_SQL_F_MONOTONIC,
    OL_SQL_F_COUNT,
    OL_SQL_F_SUM,
    OL_SQL_F_BUCKETS,
    OL_SQL_F_BOUNDS,
    OL_SQL_F_MIN,
    OL_SQL_F_MAX,
    OL_SQL_F_SCALE,
    OL_SQL_F_ZERO_COUNT,
    OL_SQL_F_POS_OFFSET,
    OL_SQL_F_POS_BUCKETS,
    OL_SQL_F_NEG_OFFSET,
    OL_SQL_F_NEG_BUCKETS,
    OL_SQL_F_Q_QUANTILE,
    OL_SQL_F_Q_VALUE,
    OL_SQL__FIELDS
} ol_sql_field_t;

/* Where column c of a table comes from: its field, and for OL_SQL_F_RES_KEY
 * the attribute key. Parallel to the table's column definitions. */
typedef struct ol_sql_col_src {
    uint8_t field;
    const char *key;
} ol_sql_col_src_t;

const ol_sql_col_src_t *ol_sql_table_src(ol_sql_table_id_t id);

/* A growable array of elements of one size, kept for the whole scan. */
typedef struct ol_sql_gv {
    void *p;
    size_t n, cap;
} ol_sql_gv_t;

/* One column being built. */
typedef struct ol_sql_cb {
    bool on;
    ol_sql_type_t type;
    int64_t *i;        /* per row (batch arena) */
    double *f;
    ol_slice_t *s;
    uint32_t *off;     /* MAP, ARRAY_*: rows + 1 */
    ol_sql_gv_t e;     /* ARRAY_* elements (int64 / double / slice); ARRAY_MAP: per-element map offsets (uint32) */
    ol_sql_gv_t mk, mv; /* MAP, ARRAY_MAP: entry keys and values (slices) */
    ol_sql_vec_t ev, kv, vv; /* child vectors, set when the batch is handed over */
} ol_sql_cb_t;

/* One map entry. */
typedef struct ol_sql_kv {
    ol_slice_t k, v;
} ol_sql_kv_t;

/* A resource + scope as rows show it. Slices live in the batch arena. */
typedef struct ol_sql_orow {
    ol_slice_t service; /* the exporter's ServiceName: AsString of the first service.name, or "" */
    bool svc_ok;        /* passes the scan's service filter */
    ol_slice_t res_url, scope_url, scope_name, scope_version;
    uint32_t scope_dropped;
    ol_sql_kv_t *res_kv; /* the resource attributes as the map holds them (sorted by key), values rendered */
    uint32_t n_res;
    ol_sql_kv_t *scope_kv;
    uint32_t n_scope;
    ol_slice_t *vals;    /* per scan key on an origin map, then per OL_SQL_F_RES_KEY column: the value, or "" */
} ol_sql_orow_t;

typedef struct ol_sql_ocache_ent {
    uint64_t hash;
    ol_slice_t key[4]; /* copies of resource, resource schema URL, scope, scope schema URL */
    ol_sql_orow_t row;
} ol_sql_ocache_ent_t;

typedef struct ol_sql_tb {
    ol_sql_scan_t *scan;
    const ol_sql_table_def_t *t;
    const ol_sql_col_src_t *src;
    ol_sql_batch_fn fn;
    void *ud;
    int rc;       /* sticky: first allocation failure */
    bool stopped; /* fn returned OL_STORE_STOP */

    ol_arena_t *arena;
    uint8_t *bytes; /* string bytes bump area within the arena */
    size_t bytes_left;
    size_t child_bytes; /* element arrays' bytes this batch */
    uint32_t cap, n;
    ol_sql_cb_t *cols; /* per table column */
    ol_sql_cb_t *keys; /* per scan key (STRING) */
    ol_sql_vec_t *vcols, *vkeys;
    uint8_t *key_field;  /* per scan key: the field of its map column */
    bool *key_found;     /* per scan key: found in the current row's map */
    bool need_res_kv, need_scope_kv;
    bool need_field[OL_SQL__FIELDS]; /* some column or key needs the field */
    int field_col[OL_SQL__FIELDS];   /* the column of a field (the last one for RES_KEY), or -1 */
    uint32_t n_reskey_cols;
    ol_buf_t scratch;
    ol_sql_gv_t kvs, kvs_tmp; /* one list's entries while they are sorted */

    /* origins rendered, kept across batches in their own arena (a scan
     * meets the same few resources in every batch); cleared, and gen
     * bumped, when that arena outgrows OL_SQL_TB_ORIGIN_BYTES between
     * batches */
    ol_sql_ocache_ent_t **oc_slots;
    size_t oc_cap, oc_n;
    ol_arena_t *oarena;
    uint8_t *obytes;
    size_t obytes_left;
    uint64_t origin_gen;
    uint64_t epoch; /* bumped per store callback and per batch: the pointer fast path's validity */
    const ol_otlp_origin_t *last_origin;
    uint64_t last_epoch;
    const ol_sql_orow_t *last_row;
} ol_sql_tb_t;

/* ---- rows ---- */

static inline bool ol_sql_tb_on(const ol_sql_tb_t *b, int c) { return b->cols[c].on; }
static inline void ol_sql_tb_set_i(ol_sql_tb_t *b, int c, int64_t v) { b->cols[c].i[b->n] = v; }
static inline void ol_sql_tb_set_f(ol_sql_tb_t *b, int c, double v) { b->cols[c].f[b->n] = v; }
/* s must already live in the batch arena (or be static). */
static inline void ol_sql_tb_set_s(ol_sql_tb_t *b, int c, ol_slice_t s) { b->cols[c].s[b->n] = s; }

/* Copies into the batch's bytes; "" on allocation failure (b->rc set). */
ol_slice_t ol_sql_tb_dup(ol_sql_tb_t *b, ol_slice_t s);
/* Lower-case hex of an id, "" for an empty or all-zero one (the exporter's
 * TraceIDToHexOrEmptyString / SpanIDToHexOrEmptyString). */
ol_slice_t ol_sql_tb_hex_or_empty(ol_sql_tb_t *b, ol_slice_t id);
/* hex.EncodeToString of a pdata id of `width` bytes (exemplars): an id of
 * another length reads as absent, i.e. all zeros. */
ol_slice_t ol_sql_tb_hex_fixed(ol_sql_tb_t *b, ol_slice_t id, size_t width);
/* pcommon.Value.AsString() of an encoded AnyValue, in the batch's bytes. */
ol_slice_t ol_sql_tb_any(ol_sql_tb_t *b, ol_slice_t any_value);

void ol_sql_tb_map_push(ol_sql_tb_t *b, int c, ol_slice_t k, ol_slice_t v);
void ol_sql_tb_map_end(ol_sql_tb_t *b, int c);
void ol_sql_tb_arr_push_i(ol_sql_tb_t *b, int c, int64_t v);
void ol_sql_tb_arr_push_f(ol_sql_tb_t *b, int c, double v);
void ol_sql_tb_arr_push_s(ol_sql_tb_t *b, int c, ol_slice_t v);
/* ARRAY_MAP: entries of the current element, then close the element. */
void ol_sql_tb_amap_push(ol_sql_tb_t *b, int c, ol_slice_t k, ol_slice_t v);
void ol_sql_tb_amap_elem_end(ol_sql_tb_t *b, int c);
void ol_sql_tb_arr_end(ol_sql_tb_t *b, int c);
/* ARRAY_MAP: the KeyValue list `field` of msg as one element of column c. */
void ol_sql_tb_amap_kvs(ol_sql_tb_t *b, int c, ol_slice_t msg, uint32_t field);
/* Pushes n entries as the row's map (MAP column) or "key=value" items
 * (ARRAY_STRING column). */
void ol_sql_tb_map_pairs(ol_sql_tb_t *b, int c, const ol_sql_kv_t *kv, uint32_t n);
void ol_sql_tb_items_pairs(ol_sql_tb_t *b, int c, const ol_sql_kv_t *kv, uint32_t n);
ol_slice_t ol_sql_tb_item(ol_sql_tb_t *b, ol_slice_t k, ol_slice_t v);

/* Fills column c of the row if it is an origin-level one (service,
 * resource, scope); false for other columns. */
bool ol_sql_tb_origin_col(ol_sql_tb_t *b, int c, const ol_sql_orow_t *o);
/* Fills the row's values of the scan keys on the resource and scope maps. */
void ol_sql_tb_origin_keys(ol_sql_tb_t *b, const ol_sql_orow_t *o);

/* A row's own attribute list (KeyValue field `field` of msg) for the map
 * column of field `map_field` (SPAN_ATTRS, LOG_ATTRS, P_ATTRS): fills that
 * MAP column and the items column `items_col` (-1: none) if on, and the
 * scan's keys on that map. */
void ol_sql_tb_row_attrs(ol_sql_tb_t *b, ol_slice_t msg, uint32_t field, ol_sql_field_t map_field, int items_col);

/* The row is complete: counts it and hands the batch over when full.
 * OL_OK, OL_STORE_STOP, OL_NOMEM or fn's error. */
int ol_sql_tb_row_done(ol_sql_tb_t *b);
/* The m rows from b->n on are complete (filled column by column): counts
 * them and hands the batch over when full. b->n + m <= b->cap. */
int ol_sql_tb_rows_done(ol_sql_tb_t *b, uint32_t m);

/* The resource + scope of an item as rows show it; NULL on OL_NOMEM. The
 * row stays valid until the batch is handed over. */
const ol_sql_orow_t *ol_sql_tb_origin(ol_sql_tb_t *b, const ol_otlp_origin_t *o);

/* Whether [start_ns, end_ns) of the scan holds t. */
static inline bool ol_sql_tb_in_time(const ol_sql_tb_t *b, uint64_t t)
{
    return t >= b->scan->start_ns && t < b->scan->end_ns;
}

/* Last LEN / fixed64 / varint field `number` of msg (protobuf's last-one-wins). */
ol_slice_t ol_sql_pb_last_len(ol_slice_t msg, uint32_t number);

/* ---- the scans ---- */

int ol_sql_scan_traces(ol_store_t *s, ol_sql_tb_t *b);
int ol_sql_scan_logs(ol_store_t *s, ol_sql_tb_t *b);
int ol_sql_scan_metrics(ol_store_t *s, ol_sql_tb_t *b, ol_metric_type_t type);

#endif
