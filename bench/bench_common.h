/*
 * bench_common.h - what bench/olly_send.c and bench/olly_read.c share: reading
 * a whole file, nearest-rank latency percentiles (the same definition
 * bench/chdb/chdb_bench.c uses, so the two sides' p50/p99 compare), and
 * writing a latency object into JSON.
 */
#ifndef OL_BENCH_COMMON_H
#define OL_BENCH_COMMON_H

#include "core/buf.h"
#include "core/common.h"

typedef struct ol_bench_lat {
    double p50, p90, p99, max, mean;
    size_t count;
} ol_bench_lat_t;

/* Reads `path` whole into malloc'd memory (free()). OL_OK, or OL_ERR/OL_NOMEM with err. */
int ol_bench_read_file(const char *path, uint8_t **data, size_t *len, ol_err_t *err);

/* Percentiles of v[0..n) (sorted in place): the nearest-rank value, i.e.
 * v[ceil(q n) - 1]. All zero when n is 0. */
ol_bench_lat_t ol_bench_lat(double *v, size_t n);

/* "name":{"p50_ms":..,"p90_ms":..,"p99_ms":..,"max_ms":..,"mean_ms":..,"count":..} */
void ol_bench_lat_json(ol_buf_t *b, const char *name, const ol_bench_lat_t *l);

#endif
