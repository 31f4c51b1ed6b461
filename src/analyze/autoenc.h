/*
 * autoenc.h - a small autoencoder trained online on normal points: the
 * multivariate detector that catches combinations of values that each look
 * fine alone (latency up while traffic is down, p99 moving without p50).
 *
 * Input: a vector of a small fixed dimension d, the RED vector of one
 * service (rate, error ratio, p50, p99, after the caller's transform such
 * as log) or a lag embedding of one signal (its last d values). Each
 * dimension is standardised by exponentially weighted running mean and
 * variance; the network is dense d -> h -> d with a tanh bottleneck of h <
 * d units (h = 1..4 by default) and a linear output, so it can only
 * reproduce what the relations it learned between the dimensions predict.
 * The reconstruction error (root mean square over the dimensions, in
 * standard deviations) is low for points like the ones it was trained on
 * and high for points that break those relations or leave their range.
 *
 * Streaming and bounded: every update first scores the point with the
 * network and statistics as they are (never with the point itself or
 * anything later), then, if the caller marks it learnable, updates the
 * statistics and takes a few Adam steps: one on the point, the others on
 * points replayed from a small ring of recent learned points, so the
 * network does not forget the rest of the normal range while a stretch of
 * similar points streams by. Anomalies the caller refuses to learn never
 * reach the model; a lasting change the caller accepts becomes normal as
 * the statistics and the network follow it. All memory is allocated at
 * create; an update never allocates. Initial weights and replay choices
 * come from the detector's own seeded generator: the same seed and inputs
 * give the same scores, also across save/load.
 *
 * The verdict compares the error with the recent errors of learned points
 * (their median and upper spread): typical errors read as 0 and only errors
 * well above what normal points get rise towards 1. The explanation is the
 * dimension with the largest reconstruction error: the verdict's value is
 * what that dimension was, expected what the network reconstructed for it
 * (both in the caller's units).
 */
#ifndef OL_ANALYZE_AUTOENC_H
#define OL_ANALYZE_AUTOENC_H

#include "analyze/verdict.h"

#define OL_AN_AUTOENC_MAX_DIM 16
#define OL_AN_AUTOENC_MAX_HIDDEN 8

typedef struct ol_an_autoenc ol_an_autoenc_t;

/* Zero means the default for every field but dim. */
typedef struct ol_an_autoenc_options {
    uint32_t dim;      /* 1..OL_AN_AUTOENC_MAX_DIM */
    uint32_t hidden;   /* bottleneck units: (dim+1)/2 capped at 4; 1..OL_AN_AUTOENC_MAX_HIDDEN */
    uint32_t steps;    /* Adam steps per learned point (the first on it, the rest replayed): 3; at most 16 */
    uint32_t replay;   /* recent learned points kept for replay: 128; at most 4096 */
    uint32_t halflife; /* of the running mean and variance, in learned points: 256 */
    uint32_t warmup;   /* learned points before the first score: 256 */
    double lr;         /* Adam step size: 0.003; at most 0.1 */
    uint64_t seed;     /* 0 = a fixed default */
} ol_an_autoenc_options_t;

/* OL_OK, OL_NOMEM, OL_ERR (options out of range). */
int ol_an_autoenc_create(const ol_an_autoenc_options_t *opt, ol_an_autoenc_t **out);
void ol_an_autoenc_destroy(ol_an_autoenc_t *a);

/* Scores x[0..dim-1], then learns it when `learn` is true. t_ns (event
 * time, may be 0) only dates the onset of a run of anomalous scores
 * (since_ns). Verdict (det AUTOENC): score 0 until ready; value and
 * expected = x and its reconstruction in the culprit dimension; deviation =
 * how far the reconstruction error is above the typical error of learned
 * points, in their robust upper spread. *culprit (may be NULL) gets the
 * dimension with the largest error, *error (may be NULL) the error itself
 * (RMS over dimensions, in standard deviations). OL_OK, or OL_AGAIN when a
 * component is not finite: nothing scored or learned, *out zeroed.
 * Cost O(steps * dim * hidden); no allocation. */
int ol_an_autoenc_update(ol_an_autoenc_t *a, int64_t t_ns, const double *x, bool learn, ol_an_verdict_t *out,
                         uint32_t *culprit, double *error);

bool ol_an_autoenc_ready(const ol_an_autoenc_t *a);
uint64_t ol_an_autoenc_learned(const ol_an_autoenc_t *a);
uint32_t ol_an_autoenc_dim(const ol_an_autoenc_t *a);

/* Whole state, appended to *out (magic "OLAE", version, body, CRC-32C of
 * everything before it). Load refuses any other version, a damaged,
 * truncated or over-long blob (OL_CORRUPT) and checks every count before
 * use; OL_NOMEM when allocation fails. */
int ol_an_autoenc_save(const ol_an_autoenc_t *a, ol_buf_t *out);
int ol_an_autoenc_load(ol_slice_t blob, ol_an_autoenc_t **out);

#endif
