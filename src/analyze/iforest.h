/*
 * iforest.h - a streaming isolation forest over small vectors: the RED
 * vector of one service (rate, error ratio, p50, p99, after the caller's
 * transform such as log) or a lag embedding of one signal (its last d
 * values).
 *
 * An isolation forest scores a point by how few random axis-parallel
 * splits it takes to isolate it from a sample of normal points: points in
 * sparse regions (far outliers, and combinations of values the sample never
 * shows together) are isolated near the root. Here the sample is a sliding
 * window of the most recent points the caller marked as learnable, so an
 * anomaly the caller refuses to learn never poisons the model, and a
 * lasting change the caller accepts becomes the new normal once the window
 * and the trees have turned over.
 *
 * Streaming and bounded: every update first scores the point with the
 * trees built so far (never with the point itself or anything later), then,
 * if learnable, appends it to the window; one tree (the oldest) is rebuilt
 * from a fresh subsample of the window every `refresh` learned points, so
 * the cost of an update is one pass down each tree plus, now and then, one
 * tree build of `sample` points. All memory (window, node pools, score
 * history, scratch) is allocated at create; an update never allocates.
 * Randomness comes from the detector's own seeded generator, so the same
 * seed and inputs give the same scores, also across save/load.
 *
 * Trees split whitened coordinates (standardised, then decorrelated by the
 * window's correlation structure), so a point that breaks the relation
 * between dimensions is as easy to isolate as one that leaves their range;
 * and a point outside a node's bounding box may be cut off there, so a far
 * outlier scores higher the farther it is (iforest.c has the details).
 *
 * The raw score is the standard 2^(-E[h(x)]/c(psi)), about 0.5 for a typical
 * point. The verdict compares it with the recent raw scores of learned
 * points (their median and upper spread), so the usual baseline reads as 0
 * and only scores well above what normal points get rise towards 1: on
 * Gaussian data fewer than 1 point in 10^4 scores above 0.5, 8-sigma points
 * (Mahalanobis) about 0.6, 20-sigma ones above 0.9. The explanation names
 * the dimension that did most of the isolating.
 */
#ifndef OL_ANALYZE_IFOREST_H
#define OL_ANALYZE_IFOREST_H

#include "analyze/verdict.h"

#define OL_AN_IFOREST_MAX_DIM 16
#define OL_AN_IFOREST_NONE UINT32_MAX /* no culprit: the point scored 0 */

typedef struct ol_an_iforest ol_an_iforest_t;

/* Zero means the default for every field but dim. */
typedef struct ol_an_iforest_options {
    uint32_t dim;     /* 1..OL_AN_IFOREST_MAX_DIM */
    uint32_t trees;   /* 64; at most 256 */
    uint32_t sample;  /* points per tree (psi): 128; 8..1024 */
    uint32_t window;  /* recent learned points kept: 512; sample..65536 */
    uint32_t refresh; /* learned points between two tree rebuilds: 2; at most 65536 */
    uint32_t warmup;  /* learned points before the first score: 256 (never fewer than the forest needs) */
    uint64_t seed;    /* 0 = a fixed default */
} ol_an_iforest_options_t;

/* OL_OK, OL_NOMEM, OL_ERR (options out of range). Everything is allocated
 * here: 8 * trees * (2 * sample - 1) bytes of nodes, 8 * trees * 31 *
 * dim (rounded up to 4) of boxes, 4 * dim * window of window, about 10 KB
 * more; with the defaults about 240 KB at d=4, 310 KB at d=8. */
int ol_an_iforest_create(const ol_an_iforest_options_t *opt, ol_an_iforest_t **out);
void ol_an_iforest_destroy(ol_an_iforest_t *f);

/* Scores x[0..dim-1] against the points learned so far, then learns it when
 * `learn` is true. t_ns (event time, may be 0) only dates the onset of a run
 * of anomalous scores (since_ns). Writes the verdict (det IFOREST, value =
 * raw score, expected = typical raw score of learned points, deviation =
 * how many robust upper spreads shorter than typical its expected path is,
 * measured as log2(c(psi) / E[h])) to *out; score is 0
 * until ready. *culprit (may be NULL) gets the dimension most responsible
 * for isolating a point that scored above 0 (found by a second pass over
 * the trees, so only anomalies pay for it), OL_AN_IFOREST_NONE otherwise.
 * OL_OK, or OL_AGAIN when a component is not finite: nothing scored or
 * learned, *out zeroed. Cost: one walk down each tree, a tree build every
 * `refresh` learned points, a whitening refit every trees*refresh learned
 * points; no allocation. */
int ol_an_iforest_update(ol_an_iforest_t *f, int64_t t_ns, const double *x, bool learn, ol_an_verdict_t *out,
                         uint32_t *culprit);

bool ol_an_iforest_ready(const ol_an_iforest_t *f);
uint64_t ol_an_iforest_learned(const ol_an_iforest_t *f);
uint32_t ol_an_iforest_dim(const ol_an_iforest_t *f);

/* Whole state, appended to *out (magic "OLIF", version, body, CRC-32C of
 * everything before it). Load refuses any other version, a damaged,
 * truncated or over-long blob (OL_CORRUPT) and checks every count and index
 * before use; OL_NOMEM when allocation fails. */
int ol_an_iforest_save(const ol_an_iforest_t *f, ol_buf_t *out);
int ol_an_iforest_load(ol_slice_t blob, ol_an_iforest_t **out);

#endif
