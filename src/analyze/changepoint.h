/*
 * changepoint.h - two streaming change-point tests: a two-sided CUSUM on
 * standardised residuals and Bayesian online change-point detection
 * (Adams & MacKay 2007).
 *
 * Both see one step at a time and never look ahead. They answer a
 * different question from the robust deviation test: not "is this point
 * far from the baseline" but "has the level moved, and since when". A
 * lone spike is a deviation, not a change; a shift of one sigma that lasts
 * is a change even though no single point stands out.
 *
 * CUSUM reads residuals already divided by a robust scale (z-like numbers,
 * (x - baseline) / (1.4826 * MAD)). It accumulates S+ = max(0, S+ + z - k)
 * and S- = max(0, S- - z - k) and alarms when either reaches h; the onset is
 * the step at which that statistic last left zero; both sums restart from
 * zero after an alarm, so a lasting shift alarms again every few steps
 * (each alarm restarts the onset). Inputs are clipped to [-clip, clip]
 * first, so one spike can add at most clip - k: with the defaults (k 0.5,
 * h 10, clip 4) no single point and no pair of points can alarm; a clean
 * shift of 3 sigma alarms on its 4th step, 2 sigma on its 7th, 1 sigma on
 * its 20th. On Gaussian noise the defaults give about 7*10^4 steps
 * between false alarms (Siegmund's approximation; the unit test measures
 * it). The onset is exact when S was zero just before the shift and a
 * few steps early when noise had already lifted it.
 *
 * BOCPD keeps the posterior distribution of the run length L (how many
 * observations, this one included, belong to the current segment) under a
 * Gaussian model with unknown mean and variance per segment (Normal-Gamma
 * prior, Student-t predictive) and a constant hazard 1/lambda. Run lengths
 * are truncated at r_max: the last bucket means "r_max or more" and keeps
 * the sufficient statistics of the last r_max observations, so the state
 * is a fixed set of arrays and an update allocates nothing. Probabilities
 * are kept as logarithms and renormalised every step.
 *
 * Outliers: the plain model reads one far point as a change (it kills
 * every long run, whose Student-t is nearly Gaussian) and then a second
 * change back. Here every run's predictive density has a floor: with
 * probability `outlier` a point comes from the prior predictive instead,
 * so an isolated outlier costs every run the same and changes nothing;
 * and a run's statistics take a point at most 4 predictive scales from
 * its mean, so one outlier cannot inflate a long run's variance either.
 * Two or more points that agree on a new level still win quickly. One
 * point alone can give "a change just before it" (L = 1) at most
 * H / (H + outlier) of the posterior (0.09 with the defaults), so the
 * score of a lone spike stays below about 0.1 and a change is scored
 * from its second point on.
 *
 * Inputs: BOCPD works best on standardised residuals too (a seasonal
 * signal otherwise looks like a chain of changes); with fixed_prior the
 * prior is mean mu0 and variance beta0/alpha0, right for z inputs. By
 * default (fixed_prior 0) the prior's mean and variance follow a slow
 * exponentially weighted estimate of the stream itself, so raw values of
 * any unit work as well. Either way the score is 0 for the first
 * 2*window + 2 steps (warm-up). With the defaults, on N(0,1) noise the
 * score passes 0.5 about once in 14000 steps (runs of a few points that
 * really do look shifted); a 3-sigma shift passes it after 2 steps on
 * average, 2 sigma after 4; shifts of about 1 sigma are CUSUM's.
 *
 * Cost: CUSUM is a handful of flops per step. BOCPD is O(r_max) per step
 * with two logarithms per run-length bucket and one exponential in the
 * normalisation (see the unit test's printed figures).
 */
#ifndef OL_ANALYZE_CHANGEPOINT_H
#define OL_ANALYZE_CHANGEPOINT_H

#include "analyze/verdict.h"

/* ---- CUSUM ---- */

typedef struct ol_an_cusum ol_an_cusum_t;

typedef struct ol_an_cusum_options {
    double k;    /* allowance per step, in scale units; 0 = 0.5 (aimed at shifts of about 1) */
    double h;    /* decision threshold; 0 = 10 */
    double clip; /* |z| is clipped to this before accumulating; 0 = 4; negative = no clipping */
} ol_an_cusum_options_t;

/* opt may be NULL (all defaults). OL_OK, OL_NOMEM, OL_ERR (k < 0, h <= 0 or
 * clip <= k: a clipped input could then never move the sum). */
int ol_an_cusum_create(const ol_an_cusum_options_t *opt, ol_an_cusum_t **out);
void ol_an_cusum_destroy(ol_an_cusum_t *c);

/* One standardised residual z at event time t_ns. A NaN z is a missing
 * step: the state is unchanged and the verdict has score 0.
 * Verdict (det OL_AN_DET_CUSUM):
 *   score     (S/h)^2 for the larger side S: below 1, except exactly 1
 *             on an alarm step (S >= h), after which both sums restart;
 *   value     the signed statistic (+S+ or -S-, the larger side);
 *   expected  0;
 *   deviation the estimated shift in scale units, signed: k + S/n where n
 *             is the number of steps since the onset (clipped inputs make
 *             it an underestimate for shifts beyond clip);
 *   since_ns  the onset: t_ns of the step where S last left zero (0 when
 *             both sums are zero).
 * Returns OL_OK, or OL_AGAIN for a missing step. O(1), no allocation. */
int ol_an_cusum_update(ol_an_cusum_t *c, int64_t t_ns, double z, ol_an_verdict_t *out);

uint64_t ol_an_cusum_alarms(const ol_an_cusum_t *c);

/* State as a blob ("CUSM" v1, CRC-32C trailer); load returns OL_CORRUPT
 * for a damaged, truncated or foreign blob, OL_NOMEM. */
int ol_an_cusum_save(const ol_an_cusum_t *c, ol_buf_t *out);
int ol_an_cusum_load(ol_slice_t blob, ol_an_cusum_t **out);

/* ---- BOCPD ---- */

typedef struct ol_an_bocpd ol_an_bocpd_t;

#define OL_AN_BOCPD_MAX_RUN 4096u

typedef struct ol_an_bocpd_options {
    double lambda;       /* expected steps between changes (hazard 1/lambda); 0 = 1000 */
    uint32_t r_max;      /* longest run length tracked, 16..OL_AN_BOCPD_MAX_RUN; 0 = 256 */
    uint32_t window;     /* "recent" for the score, 2..r_max/2; 0 = 8 */
    double mu0;          /* prior mean (fixed_prior only) */
    double kappa0;       /* prior pseudo-count of the mean; 0 = 0.1 (a new segment's mean may be ~3 sd away) */
    double alpha0;       /* prior shape of the precision; 0 = 1 */
    double beta0;        /* prior rate of the precision (fixed_prior only); 0 = 1 */
    uint8_t fixed_prior; /* 0: prior mean/variance follow the stream; 1: mu0, beta0/alpha0 as given */
    double outlier;      /* probability that a point is an outlier, below 0.5; 0 = 0.01; negative = none */
} ol_an_bocpd_options_t;

/* opt may be NULL. OL_OK, OL_NOMEM, OL_ERR (an option out of range). */
int ol_an_bocpd_create(const ol_an_bocpd_options_t *opt, ol_an_bocpd_t **out);
void ol_an_bocpd_destroy(ol_an_bocpd_t *b);

/* One observation x at event time t_ns (NaN, or beyond +-1e150: missing,
 * state unchanged, score 0, OL_AGAIN). Verdict (det OL_AN_DET_BOCPD):
 *   score     P(L <= window | everything up to and including x): the
 *             posterior probability that the current segment began at
 *             one of the last `window` observations (x included), i.e.
 *             that a change happened just before one of them. Near 0 on
 *             stationary data, near 1 from the second point after a
 *             change, and back near 0 once the new segment is longer than
 *             `window` (the level has settled: the change is old news);
 *   value     the mean of the current segment (the MAP run length's
 *             posterior mean);
 *   expected  when the MAP run is at most `window` long, the level
 *             believed in just before it began (the MAP segment mean
 *             after the update before its first point); else = value;
 *   deviation value - expected, in the input's unit;
 *   since_ns  t_ns of the first observation of the MAP run (the onset).
 * O(r_max), no allocation. */
int ol_an_bocpd_update(ol_an_bocpd_t *b, int64_t t_ns, double x, ol_an_verdict_t *out);

/* The MAP run length after the last update (0 before any data). */
uint32_t ol_an_bocpd_run_length(const ol_an_bocpd_t *b);

/* "BOCP" v1, CRC-32C trailer; load: OL_CORRUPT, OL_NOMEM. */
int ol_an_bocpd_save(const ol_an_bocpd_t *b, ol_buf_t *out);
int ol_an_bocpd_load(ol_slice_t blob, ol_an_bocpd_t **out);

#endif
