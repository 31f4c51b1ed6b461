/*
 * sketch.h - a mergeable latency sketch with a documented relative error.
 *
 * Olly's RED and GenAI series keep latency as a sketch per series and time
 * bucket, store it as an OTLP ExponentialHistogramDataPoint and read it back
 * to merge buckets over any window. The sketch is exactly that data point's
 * model at a fixed scale (OL_SKETCH_SCALE = 6): positive values v fall into
 * bucket i when base^i < v <= base^(i+1), base = 2^(2^-6) = 2^(1/64), so a
 * bucket is ~1.09% wide; exact zeros (and negative values, which durations
 * never are except under clock skew) go to the zero count. count, sum, min
 * and max are exact.
 *
 * Quantiles: ol_sketch_quantile(q) picks the value of rank floor(q*(n-1))
 * (0-based, ascending, zeros first) and answers its bucket's harmonic
 * midpoint 2LU/(L+U), clamped to [min, max]. The answer is within
 * OL_SKETCH_REL_ERROR = (base-1)/(base+1) ~ 0.542% of the true value of that
 * rank. q <= 0 answers min and q >= 1 max, exactly.
 *
 * Memory is bounded: counts live in one contiguous window of buckets that
 * grows as values arrive, at most OL_SKETCH_MAX_BUCKETS (2048 buckets = 32
 * binary orders of magnitude, 16 KiB). When a value would stretch the window
 * beyond that, the lowest buckets are folded into the lowest kept one
 * (counted in `collapsed`): high quantiles, the ones latency is judged by,
 * keep their error bound; only ranks inside the folded range lose it.
 * Millisecond latencies from 1 ns (1e-6 ms) up to 70 minutes fit without
 * folding.
 *
 * Merging is exact (bucket-wise addition at the same scale). Decoding a data
 * point written at a finer scale maps each bucket into the one containing it
 * (exact); a coarser scale maps each bucket to the fine bucket holding its
 * harmonic midpoint, within that coarser scale's error.
 *
 * A sketch is a plain value (embed it; ol_sketch_init then ol_sketch_free).
 * Not thread-safe: the owner locks.
 */
#ifndef OL_PIPELINE_SKETCH_H
#define OL_PIPELINE_SKETCH_H

#include "core/buf.h"
#include "core/common.h"

#define OL_SKETCH_SCALE 6
#define OL_SKETCH_MAX_BUCKETS 2048
/* (2^(1/64) - 1) / (2^(1/64) + 1), rounded up. */
#define OL_SKETCH_REL_ERROR 0.00542

typedef struct ol_sketch {
    uint64_t count;      /* every value added, zeros included */
    uint64_t zero_count; /* values <= 0 */
    uint64_t collapsed;  /* values folded into the lowest bucket to bound memory */
    double sum, min, max; /* min/max meaningful only when count > 0 */
    int32_t offset;      /* bucket index of counts[0] */
    uint32_t n;          /* buckets in use: counts[0..n) */
    uint32_t cap;        /* allocated */
    uint64_t *counts;
} ol_sketch_t;

void ol_sketch_init(ol_sketch_t *s);
void ol_sketch_free(ol_sketch_t *s);
/* Empties the sketch, keeping its memory. */
void ol_sketch_reset(ol_sketch_t *s);

/* Adds `n` occurrences of v. NaN and infinities are ignored (OL_OK, nothing
 * added). OL_NOMEM leaves the sketch as it was. */
int ol_sketch_add_n(ol_sketch_t *s, double v, uint64_t n);
static inline int ol_sketch_add(ol_sketch_t *s, double v) { return ol_sketch_add_n(s, v, 1); }
/* dst += src. OL_NOMEM leaves dst as it was. */
int ol_sketch_merge(ol_sketch_t *dst, const ol_sketch_t *src);

/* See the header comment; 0 when the sketch is empty. */
double ol_sketch_quantile(const ol_sketch_t *s, double q);
static inline double ol_sketch_mean(const ol_sketch_t *s) { return s->count ? s->sum / (double)s->count : 0; }
/* Values <= v (latency objectives: the good events). The bucket holding v
 * counts as a whole, so the answer is exact for values outside it and
 * within one bucket (~1.09%) of v otherwise; values above max or below min
 * are exact. */
uint64_t ol_sketch_count_le(const ol_sketch_t *s, double v);

/* Bucket index of v > 0 at OL_SKETCH_SCALE, and the bounds (L, U] of a
 * bucket (exposed for tests and readers). */
int32_t ol_sketch_index(double v);
double ol_sketch_lower(int32_t index);

/* Appends the sketch's fields of an ExponentialHistogramDataPoint: count (4),
 * sum (5), scale (6), zero_count (7), positive (8: offset, bucket_counts,
 * trimmed of empty edge buckets), min (12) and max (13) (these two only when
 * count > 0). The caller writes attributes (1), start (2) and time (3) and
 * wraps the message. */
void ol_sketch_encode(const ol_sketch_t *s, ol_buf_t *b);
/* Merges one encoded ExponentialHistogramDataPoint into s (its attributes and
 * times are ignored). The count is the buckets' total (zero, positive and
 * negative: negative buckets add to the zero count); min/max, when absent,
 * are the outer bucket bounds. OL_CORRUPT on
 * malformed protobuf or a scale outside [-10, 20] (s unchanged), OL_NOMEM. */
int ol_sketch_decode(ol_sketch_t *s, ol_slice_t point);

#endif
