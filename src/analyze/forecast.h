/*
 * forecast.h - Holt-Winters forecasting and the predictive alert built on
 * it: "p99 of checkout will cross its objective in about 20 minutes".
 *
 * Additive Holt-Winters with a damped trend: a level, a trend that decays
 * by phi per step ahead, and a seasonal profile of period m steps (m = 0:
 * none), all updated online one step at a time. The one-step residuals
 * feed an exponentially weighted variance; the h-step variance follows
 * the model's own error propagation (Hyndman et al., ETS(A,Ad,A)):
 *   var_h = var_1 * (1 + sum_{j<h} c_j^2),
 *   c_j = alpha (1 + beta phi_j) + gamma (1 - alpha) [j mod m == 0],
 *   phi_j = phi + phi^2 + ... + phi^j,
 * so intervals widen with the horizon and around a season boundary.
 *
 * Initialisation: the first two seasons (2m steps; with m = 0,
 * init_steps points) are only collected; from them the level, the trend
 * (difference of the two seasons' means over m) and the seasonal profile
 * (mean detrended deviation per phase, centred) are set, and the residual
 * variance from the fit. Only then does the forecaster forecast
 * (ol_an_fc_ready). The collection buffer is freed at that point; after
 * it an update allocates nothing.
 *
 * Missing steps: a NaN value (or one beyond +-1e150) is a step without
 * data; the model forecasts through it (the level follows the trend, the
 * seasonal phase advances, nothing is learned). The caller must pass one
 * value per step.
 *
 * Robustness: a residual beyond clip standard deviations is clipped
 * before it updates the components, so one spike moves the level by at
 * most alpha * clip * sigma; a lasting shift still gets through in a few
 * steps.
 *
 * The predictive check looks up to `horizon` steps ahead for the first
 * step at which the forecast (or its upper/lower bound at z sigmas) is
 * beyond an objective's threshold. On a steady ramp of slope c the trend
 * settles at c / (phi + (1 - phi) / beta), below c when damped, and the
 * damped forecast rises by at most trend * phi / (1 - phi): a damped
 * model calls a ramp's breach late, never early. The defaults (phi 0.995,
 * beta 0.05) see 91% of the slope and 86% of its rise over 60 steps; phi
 * 1 projects a ramp exactly (the unit test checks both against their
 * closed forms).
 */
#ifndef OL_ANALYZE_FORECAST_H
#define OL_ANALYZE_FORECAST_H

#include "analyze/verdict.h"

typedef struct ol_an_fc ol_an_fc_t;

#define OL_AN_FC_MAX_PERIOD 131072u
#define OL_AN_FC_MAX_HORIZON 100000u

typedef enum {
    OL_AN_FC_NONE = 0,
    OL_AN_FC_STAY_BELOW, /* the value must stay below threshold (latency, error ratio) */
    OL_AN_FC_STAY_ABOVE  /* the value must stay above threshold (throughput, free disk) */
} ol_an_fc_dir_t;

typedef struct ol_an_fc_objective {
    uint8_t dir;       /* ol_an_fc_dir_t; NONE = no predictive check */
    double threshold;  /* in the value's unit */
    uint32_t horizon;  /* steps ahead to look, 1..OL_AN_FC_MAX_HORIZON; 0 = 60 */
    double z;          /* breach when forecast +/- z sigma_h crosses; 0 = the point forecast */
} ol_an_fc_objective_t;

/* Smoothing constants: 0 = the default; a negative value means 0 (e.g.
 * beta = -1: no trend, gamma = -1: a frozen seasonal profile). */
typedef struct ol_an_fc_options {
    uint32_t period;     /* season length m in steps, 0 or 2..OL_AN_FC_MAX_PERIOD; 0 = no season */
    double alpha;        /* level, (0,1]; 0 = 0.2 */
    double beta;         /* trend, [0,1]; 0 = 0.05 */
    double gamma;        /* season, [0,1]; 0 = 0.15 */
    double phi;          /* trend damping, (0,1]; 0 = 0.995; 1 = undamped */
    double var_weight;   /* EW weight of squared residuals, (0,1]; 0 = 0.05 */
    double clip;         /* residual clip in sigmas; 0 = 5; negative = none */
    uint32_t init_steps; /* no season: points collected before forecasting, 3..4096; 0 = 8 */
    ol_an_fc_objective_t objective; /* checked by every update when dir != NONE */
} ol_an_fc_options_t;

/* opt may be NULL. OL_OK, OL_NOMEM, OL_ERR (an option out of range). */
int ol_an_fc_create(const ol_an_fc_options_t *opt, ol_an_fc_t **out);
void ol_an_fc_destroy(ol_an_fc_t *f);

/* One step (value NaN = missing). When the options carry an objective
 * and the model is ready, *out is the predictive verdict (see
 * ol_an_fc_check), with since_ns = t_ns of the first update of the
 * current unbroken run of updates that predicted a breach; otherwise a
 * verdict with score 0, value = the value, expected = the one-step
 * forecast made before it (NaN while initialising) and deviation = the
 * residual in sigmas (0 for a missing step). out may be NULL.
 * OL_OK; OL_AGAIN while initialising. O(1) after initialisation (plus
 * the check, O(horizon)); no allocation. */
int ol_an_fc_update(ol_an_fc_t *f, int64_t t_ns, double value, ol_an_verdict_t *out);

bool ol_an_fc_ready(const ol_an_fc_t *f);

/* Forecast h >= 1 steps after the last update: mean and standard
 * deviation of the prediction. OL_AGAIN before ready, OL_ERR for h = 0. */
int ol_an_fc_forecast(const ol_an_fc_t *f, uint32_t h, double *mean, double *sd);

/* Replaces the objective that updates check (OL_ERR if out of range). */
int ol_an_fc_set_objective(ol_an_fc_t *f, const ol_an_fc_objective_t *obj);

/* The predictive check against obj (det OL_AN_DET_FORECAST):
 *   deviation steps from the last update to the first breach, 1..horizon;
 *             0 = no breach within the horizon (then score 0);
 *   expected  the point forecast at that step (at the horizon if none);
 *   value     the last value seen (NaN if it was missing);
 *   score     nearness * certainty: nearness = 1 - (steps - 1) / (2 horizon)
 *             (1 for the next step, 0.5 at the horizon); certainty = the
 *             largest predictive probability, over the steps from the
 *             breach to the horizon, that the value is beyond threshold;
 *   since_ns  0 (ol_an_fc_update fills it).
 * *steps (may be NULL) = deviation. OL_OK, OL_AGAIN before ready (score 0),
 * OL_ERR for a bad objective. O(horizon), no allocation. */
int ol_an_fc_check(const ol_an_fc_t *f, const ol_an_fc_objective_t *obj, ol_an_verdict_t *out, uint32_t *steps);

/* "HWFC" v1, CRC-32C trailer; load: OL_CORRUPT, OL_NOMEM. */
int ol_an_fc_save(const ol_an_fc_t *f, ol_buf_t *out);
int ol_an_fc_load(ol_slice_t blob, ol_an_fc_t **out);

#endif
