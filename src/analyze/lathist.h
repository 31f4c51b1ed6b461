/*
 * lathist.h - the latency of a series' recent requests, pooled over steps
 * and decayed with time: the slow threshold of the latency count test.
 *
 * Why: a step's p95 depends on how many requests the step holds. At night
 * a step of one or two requests has a "p95" near its slowest request, which
 * is nearer the median than the p95, so a threshold that follows per-step
 * p95s sinks with traffic and the share of requests above it rises: a
 * fault-free night then reads as a slow-share anomaly. The p95 of all
 * requests of the last hour or so does not depend on how they are split
 * into steps.
 *
 * How: a log-bucketed histogram of float weights, 16 buckets per binary
 * order (bucket j holds values in (2^(j/16), 2^((j+1)/16)] ms, ~4.4% wide;
 * exactly four buckets of a latency sketch, sketch.h), in one window of at
 * most OL_AN_LATH_CAP buckets (12 binary orders, a factor of 4096). A value
 * above the window moves it up and folds the lowest buckets into the
 * lowest kept one; a value below it goes to the lowest bucket; zeros too.
 * High quantiles, the ones asked for, keep their bound. Decay multiplies
 * every weight by one factor (the caller's half-life). A quantile
 * interpolates log-linearly inside its bucket.
 *
 * Blob (LATH, version 1): header, offset (i64), bucket count (u32), the
 * weights (f32 each), CRC-32C.
 */
#ifndef OL_ANALYZE_LATHIST_H
#define OL_ANALYZE_LATHIST_H

#include "core/buf.h"
#include "core/common.h"
#include "pipeline/sketch.h"

#define OL_AN_LATH_SCALE 4 /* 2^4 = 16 buckets per binary order */
#define OL_AN_LATH_CAP 192u

typedef struct ol_an_lathist ol_an_lathist_t;

int ol_an_lathist_create(ol_an_lathist_t **out);
void ol_an_lathist_destroy(ol_an_lathist_t *h);

/* Adds every value of the sketch with weight 1. */
void ol_an_lathist_add(ol_an_lathist_t *h, const ol_sketch_t *s);
/* Adds weight w at value v (ms); v <= 0 goes to the lowest bucket, NaN
 * and w <= 0 are ignored. */
void ol_an_lathist_add_value(ol_an_lathist_t *h, double v, double w);
/* Every weight times f (0 < f <= 1). */
void ol_an_lathist_decay(ol_an_lathist_t *h, double f);
/* The total weight. */
double ol_an_lathist_weight(const ol_an_lathist_t *h);
/* The value below which a share q of the weight lies; NaN when empty. */
double ol_an_lathist_quantile(const ol_an_lathist_t *h, double q);

int ol_an_lathist_save(const ol_an_lathist_t *h, ol_buf_t *out);
/* OL_CORRUPT on a malformed blob (*out NULL), OL_NOMEM. */
int ol_an_lathist_load(ol_slice_t blob, ol_an_lathist_t **out);

#endif
