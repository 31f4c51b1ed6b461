/*
 * analyzer.h - the server's analysis loop: every RED series checked at
 * every resolution step, anomalies opened and closed, grouped into
 * incidents that become alerts.
 *
 * Input. The RED aggregator hands each bucket it emits to
 * ol_analyzer_red_sink() (pipeline/red.h); the analyzer copies what it
 * needs and returns. Its own thread (or ol_analyzer_run() in tests) turns
 * the buckets of a service into one step of that service once the step is
 * complete (a later bucket of the service arrived, or two emission passes
 * went by), fills steps without traffic, and updates, per service:
 *   signals   requests (per second), error ratio and p95 latency of the
 *             service (its entry spans), of each entry operation (server
 *             and consumer spans that start the service's part of a trace)
 *             and of each outgoing edge (calls to another service, a
 *             database, a queue or an external host); each has its own
 *             single-signal detector (uni.h: seasonal robust baseline,
 *             change points, novelty, calibrated into a score);
 *   vector    the service's RED vector (log rate, error ratio, log p95)
 *             through an isolation forest and an autoencoder (iforest.h,
 *             autoenc.h), which see combinations no single signal shows;
 *   SLOs      declared objectives (slo.h) with multi-window burn rates;
 *             a latency objective also gets a Holt-Winters forecast of its
 *             quantile that raises a predictive anomaly before the breach.
 *
 * Anomalies. A signal's anomaly opens when its score reaches the open
 * threshold with a robust deviation that matters in practice (a relative
 * or absolute floor per kind of signal) and stays beyond the baseline
 * captured at that moment for `confirm` steps (the onset is the first of
 * them); it closes after `settle` steps back within the baseline. The
 * explanation says which signal, value against expected, how many robust
 * deviations, since when, which detector. docs/analysis.md has the
 * figures.
 *
 * Incidents and alerts. An anomaly joins the open incident that holds its
 * service or a service it calls or is called by (edges seen in RED);
 * otherwise it starts one. An incident becomes one alert (act.h) once it
 * has been open `group_wait` steps; its service label is the deepest
 * anomalous service of the incident in the call graph (the likeliest
 * origin) and is frozen then; it is resolved when its last anomaly closed.
 *
 * State. Baselines (per signal and per service), open and past anomalies,
 * incidents and id counters live in the state store (state.h; namespaces
 * "baseline", "anomaly", "incident", "analysis"; layouts in
 * docs/format/analysis-state.md), written every save interval and on stop,
 * and reloaded on create: a restart keeps learning where it was and keeps
 * its open anomalies.
 *
 * Thread safety: the sink may be called from any thread; queries,
 * metrics_text and run may run concurrently; stop/destroy must not race
 * with them.
 */
#ifndef OL_ANALYZE_ANALYZER_H
#define OL_ANALYZE_ANALYZER_H

#include "act/act.h"
#include "analyze/slo.h"
#include "core/buf.h"
#include "pipeline/red.h"
#include "state/state.h"
#include "store/store.h"

typedef struct ol_analyzer ol_analyzer_t;

typedef struct ol_analyzer_options {
    uint64_t step_ns;           /* the RED resolution; required */
    ol_state_t *state;          /* NULL = an in-memory state (nothing survives a restart) */
    ol_act_t *act;              /* NULL = anomalies are not alerted */
    ol_store_t *store;          /* example traces for the API; NULL = none */
    const ol_an_slo_decl_t *slos; /* copied */
    uint32_t n_slos;
    uint32_t warmup;            /* steps before a signal may open anomalies; 0 = 192 (32 min at 10 s) */
    uint32_t max_signals;       /* 0 = 20000 */
    uint64_t save_interval_ns;  /* wall time between state saves; 0 = 5 minutes */
    bool no_thread;             /* tests: nothing runs until ol_analyzer_run */
} ol_analyzer_options_t;

/* The SLO declarations file: {"slos":[declaration, ...]} (slo.h), names
 * unique, at most 256. OL_OK; OL_CORRUPT / OL_LIMIT with err naming the
 * declaration and field; load also OL_NOTFOUND / OL_ERR for the file. */
int ol_analyzer_slos_parse(ol_slice_t json, ol_an_slo_decl_t **out, uint32_t *n, ol_err_t *err);
int ol_analyzer_slos_load(const char *path, ol_an_slo_decl_t **out, uint32_t *n, ol_err_t *err);
void ol_analyzer_slos_free(ol_an_slo_decl_t *decls, uint32_t n);

/* Loads the saved state and starts the thread. OL_OK, OL_NOMEM, OL_ERR
 * (err says: an SLO that cannot be built, a state that cannot be read). */
int ol_analyzer_create(const ol_analyzer_options_t *opt, ol_analyzer_t **out, ol_err_t *err);
/* Processes what was handed over (every pending step completes), saves the
 * state, stops the thread. Call after the last emission (ol_pipeline_stop)
 * and before the act and the state go away. NULL ok; idempotent. */
void ol_analyzer_stop(ol_analyzer_t *an);
void ol_analyzer_destroy(ol_analyzer_t *an);

/* The RED sink (red.h); ud is the analyzer. */
void ol_analyzer_red_cell(void *ud, const ol_red_cell_view_t *c);
void ol_analyzer_red_done(void *ud);
/* Fills a red sink that feeds this analyzer. */
void ol_analyzer_sink(ol_analyzer_t *an, ol_red_sink_t *out);

/* Processes what is queued: steps that are complete, or all of them when
 * `all`. Returns the number of service steps processed. */
uint64_t ol_analyzer_run(ol_analyzer_t *an, bool all);
/* Writes the state now (also done every save interval). OL_OK or the
 * state's error. */
int ol_analyzer_save(ol_analyzer_t *an);

typedef enum { OL_ANOMALY_ANY = 0, OL_ANOMALY_OPEN, OL_ANOMALY_CLOSED } ol_anomaly_status_t;

typedef struct ol_anomaly_query {
    uint64_t start_ns, end_ns; /* event time: [onset, end] (end = now while open) overlaps [start, end) */
    ol_slice_t service;        /* empty = any */
    ol_slice_t incident;       /* empty = any */
    uint8_t status;            /* ol_anomaly_status_t */
    uint32_t limit;            /* newest onset first; 0 = 100 */
    uint32_t traces;           /* example traces per anomaly (store permitting); 0 = none */
} ol_anomaly_query_t;

/* GET /api/v1/anomalies (docs/analysis.md). OL_OK or the buffer's error. */
int ol_analyzer_anomalies_json(ol_analyzer_t *an, const ol_anomaly_query_t *q, ol_buf_t *out);
/* GET /api/v1/baselines?service= (empty = all). */
int ol_analyzer_baselines_json(ol_analyzer_t *an, ol_slice_t service, ol_buf_t *out);
/* Appends the olly_analysis_* series in Prometheus text format. NULL ok. */
void ol_analyzer_metrics_text(ol_analyzer_t *an, ol_buf_t *out);

typedef struct ol_analyzer_stats {
    uint64_t cells, cells_late, cells_dropped; /* buckets used / arrived for a finished step / not kept */
    uint64_t steps;                           /* service steps processed */
    uint64_t updates;                         /* detector updates */
    uint64_t signals, signals_refused, warm;
    uint64_t anomalies_opened, anomalies_closed, open;
    uint64_t incidents_opened, incidents_open;
    uint64_t update_ns;                       /* thread CPU time spent in steps */
    uint64_t save_errors, load_errors;
} ol_analyzer_stats_t;
void ol_analyzer_stats(ol_analyzer_t *an, ol_analyzer_stats_t *out);

#endif
