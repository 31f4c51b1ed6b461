/*
 * uni.h - the detector for one signal: every detector that reads a single
 * series, combined into one anomaly score with an explanation.
 *
 * A signal is one series at a fixed step: a service's request rate, error
 * ratio or latency quantile, an edge's, or any metric (one NAB file is a
 * signal too: bench/nab feeds this very code). Points arrive in event-time
 * order, one per step, and the detector never looks ahead: each update
 * says how unusual this point is given everything before it.
 *
 * Inside, a seasonal robust baseline (season.h: daily and weekly
 * profiles of slot medians, learned online, used once they explain the
 * signal better than a local median/MAD window) feeds the robust
 * deviation tests (spike, level shift) and a CUSUM change-point test
 * (changepoint.h); a novelty model looks at the raw shape. Each is ranked
 * against its own history (calib.h) and the rarest explains the combined
 * score in [0,1]. Until `warmup` steps were seen the score is 0
 * (ol_an_uni_warm says when it is ready). BOCPD is not part of it yet:
 * its O(r_max) state and cost per step did not fit the budget below.
 *
 * Cost with the defaults: about 48 KB of state per signal whatever the
 * step (ol_an_uni_bytes), about 12 us per point (bench/nab prints both).
 *
 * One configuration serves every signal and the whole NAB corpus: the
 * options only describe the signal (its kind), never tune per series.
 */
#ifndef OL_ANALYZE_UNI_H
#define OL_ANALYZE_UNI_H

#include "analyze/verdict.h"

typedef struct ol_an_uni ol_an_uni_t;

typedef enum {
    OL_AN_SIG_GENERIC = 0, /* both directions matter (NAB, arbitrary metrics) */
    OL_AN_SIG_RATE,        /* requests/s: both directions (surge, drop) */
    OL_AN_SIG_ERRORS,      /* error ratio in [0,1]: only up */
    OL_AN_SIG_LATENCY      /* a latency quantile: only up */
} ol_an_sig_kind_t;

/* The one configuration. ol_an_uni_params_default() is what the server
 * and the reported NAB score use; bench/nab may override single values by
 * name (ol_an_uni_param_set) to explore, never per series. */
typedef struct ol_an_uni_params {
    uint32_t window;       /* steps in the local robust window (median/MAD) */
    uint32_t shift_len;    /* steps averaged by the level-shift feature */
    uint32_t calib;        /* history each feature is ranked against (steps) */
    uint32_t nov_segments; /* novelty: segments in a pattern */
    uint32_t nov_seg_len;  /* novelty: steps per segment */
    uint32_t nov_history;  /* novelty: segments of history searched */
    double fire_p;         /* tail probability that opens an anomaly */
    uint32_t hold;         /* steps an open anomaly holds new onsets down */
    double hold_factor;    /* score multiplier while held down */
    uint32_t season;       /* 1: use the daily/weekly profile once it explains the signal; 0: local window only */
    double cusum_k;        /* CUSUM on the robust z: allowance per step (changepoint.h) */
    double cusum_h;        /* and its alarm threshold (the sums restart there) */
} ol_an_uni_params_t;

void ol_an_uni_params_default(ol_an_uni_params_t *p);
/* Sets one parameter by its field name; OL_NOTFOUND for an unknown name,
 * OL_LIMIT for a value out of range. */
int ol_an_uni_param_set(ol_an_uni_params_t *p, const char *name, double v);

typedef struct ol_an_uni_options {
    const ol_an_uni_params_t *params; /* NULL = ol_an_uni_params_default() */
    uint8_t kind;    /* ol_an_sig_kind_t */
    int64_t step_ns; /* spacing of points (0 = learned from the first timestamps); sizes the
                      * seasonal profile's slots (season.h); windows count steps, not time */
    uint32_t warmup; /* steps before any score; 0 = the default */
} ol_an_uni_options_t;

/* OL_OK, OL_NOMEM. */
int ol_an_uni_create(const ol_an_uni_options_t *opt, ol_an_uni_t **out);
void ol_an_uni_destroy(ol_an_uni_t *u);

/* One point. t_ns must not go back (an older point is ignored, OL_AGAIN);
 * a NaN value is a missing step. t_ns is wall-clock event time: its time
 * of day and weekday place the point in the seasonal profile.
 *
 * *out, the combined verdict:
 *   score     "a new anomaly starts here": the rarest detector's tail
 *             probability p mapped to min(1, -log10(p)/6) (1 = 1e-6),
 *             multiplied by hold_factor while an anomaly that already
 *             fired is held open (hold steps); 0 before warm-up;
 *   value     the point;
 *   expected  the baseline's expected value for this point: the seasonal
 *             profile at t_ns plus the median of the recent residuals
 *             once the profile is in use (ol_an_uni_seasonal), else the
 *             median of the recent window;
 *   deviation the signed robust z, (value - expected) / scale, scale the
 *             MAD (as a sigma) of the same window; when the novelty
 *             detector explains the verdict, its distance in scale units
 *             instead (>= 0);
 *   since_ns  the onset: this step, or the step that fired while held;
 *   det       the detector whose verdict explains the score.
 * parts (when not NULL), indexed by ol_an_det_t: each detector's RAW
 * verdict of this step, without the hold-down, score mapped from its own
 * p as above (0 for detectors that are not part of uni or not calibrated
 * yet); the largest parts[].score is the step's anomaly score for callers
 * that do their own grouping. */
int ol_an_uni_update(ol_an_uni_t *u, int64_t t_ns, double value, ol_an_verdict_t *out,
                     ol_an_verdict_t parts[OL_AN_DET__COUNT]);

bool ol_an_uni_warm(const ol_an_uni_t *u);
uint64_t ol_an_uni_steps(const ol_an_uni_t *u);
/* Whether the last point was judged against the seasonal profile (3+
 * days learned and it explains the signal better than the local window). */
bool ol_an_uni_seasonal(const ol_an_uni_t *u);
/* Heap bytes held by the detector (its whole state plus a window-sized
 * work area). */
size_t ol_an_uni_bytes(const ol_an_uni_t *u);

/* Whole state as a blob (docs/format/analysis-state.md); load refuses a
 * blob of another version or a damaged one (OL_CORRUPT). */
int ol_an_uni_save(const ol_an_uni_t *u, ol_buf_t *out);
int ol_an_uni_load(ol_slice_t blob, ol_an_uni_t **out);

#endif
