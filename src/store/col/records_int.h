/*
 * records_int.h - what records.c (tables, granule payloads, the reader and
 * verify) shares with the signal writers logs.c and metrics.c.
 */
#ifndef OL_STORE_COL_RECORDS_INT_H
#define OL_STORE_COL_RECORDS_INT_H

#include "store/col/enc.h"
#include "store/col/records.h"

/* Flags stream of the resources / scopes tables. */
#define OL_REC_SENT 1u /* the Resource / InstrumentationScope field was on the wire (possibly empty) */

/* Effective time of a log record: its time, or the observed time when the time is 0. */
static inline uint64_t ol_rec_log_time(uint64_t time_ns, uint64_t observed_ns) { return time_ns ? time_ns : observed_ns; }
/* The severity column: severity_number when it fits a byte, else 0. */
static inline uint8_t ol_rec_severity(int32_t s) { return s >= 0 && s <= 255 ? (uint8_t)s : 0; }

/* ---- Writing ---- */

#define OL_REC_ZSTD_LEVEL 3 /* as for spans */

/* One entry of the resources or scopes table (views into the caller's items). */
typedef struct ol_rec_entry {
    ol_slice_t bytes, url, svc; /* svc: resources only */
    bool sent;
} ol_rec_entry_t;

/* Distinct resources and scopes of the rows, in first-seen order. */
typedef struct ol_rec_origins {
    ol_dict_t *res_keys, *sc_keys;
    ol_rec_entry_t *res, *sc;
    size_t n_res, cap_res, n_sc, cap_sc;
    ol_buf_t tmp;
} ol_rec_origins_t;

int ol_rec_origins_init(ol_rec_origins_t *o);
void ol_rec_origins_free(ol_rec_origins_t *o);
/* Table indexes of o's resource and scope, adding them when new. */
int ol_rec_origins_add(ol_rec_origins_t *t, const ol_otlp_origin_t *o, uint32_t *res, uint32_t *sc);
/* Writes the "resources" and "scopes" part tables. */
int ol_rec_origins_write(ol_rec_origins_t *t, ol_part_builder_t *pb);

/* Adds the column `name` holding col's bytes and empties col. */
int ol_rec_put_column(ol_part_builder_t *pb, const char *name, ol_buf_t *col);
/* The resource, scope and record columns of one granule. */
int ol_rec_put_common(ol_part_builder_t *pb, const char *record_col, const uint32_t *res, const uint32_t *sc,
                      const ol_slice_t *raw, size_t n, ol_buf_t *col);
/* Rows [r0, r1) of the next granule: at most OL_PART_GRANULE_ROWS, closed
 * once the records pass OL_PART_RECORD_GRANULE_BYTES. */
size_t ol_rec_granule_end(const ol_slice_t *raw, size_t r0, size_t n);

/* ---- Reading ---- */

typedef struct ol_rec_reader {
    const ol_part_t *p;
    ol_err_t *err;
    const char *record_col; /* "record" or "metric" */
    /* Part tables. */
    size_t n_res, n_sc;
    ol_otlp_origin_t *res; /* resource fields only */
    ol_otlp_origin_t *sc;  /* scope fields only */
    /* The current granule. */
    uint32_t g;
    size_t n;
    uint64_t *res_ids, *sc_ids;
    ol_slice_t *raw;
    uint32_t *order; /* payload position -> row */
    size_t cap;
    ol_buf_t res_col, sc_col, rec_col, payload;
} ol_rec_reader_t;

#define OL_REC_FAIL(rd, ...) (ol_err_set((rd)->err, __VA_ARGS__), OL_CORRUPT)

int ol_rec_reader_init(ol_rec_reader_t *rd, const ol_part_t *p, ol_err_t *err);
void ol_rec_reader_free(ol_rec_reader_t *rd);
/* Reads granule g's resource, scope and record columns and builds its
 * payload in rd->payload; rd->order says which row each item is. */
int ol_rec_reader_granule(ol_rec_reader_t *rd, uint32_t g);
/* Reads column `name` of the current granule into b (reset first). */
int ol_rec_reader_column(ol_rec_reader_t *rd, const char *name, ol_buf_t *b);
/* Fails unless `used` is the whole column. */
int ol_rec_reader_end(ol_rec_reader_t *rd, ol_slice_t col, size_t used, const char *name);

/* Signal checks for ol_part_verify_records: the current granule's other
 * columns against the decoded payload (b's items are in payload order). */
typedef struct ol_rec_verify {
    bool any;            /* a previous granule was seen */
    uint64_t last_time;  /* logs: time of the last row so far; metrics: its min time */
    ol_buf_t last_name;  /* metrics: name of the last row so far */
} ol_rec_verify_t;
int ol_logs_verify_granule(ol_rec_reader_t *rd, const ol_otlp_batch_t *b, ol_rec_verify_t *v);
int ol_metrics_verify_granule(ol_rec_reader_t *rd, const ol_otlp_batch_t *b, ol_rec_verify_t *v);

#endif
