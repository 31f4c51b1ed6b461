/*
 * analyzer_int.h - the analyzer's private layout, shared by analyzer.c
 * (inbox, thread, step assembly), an_signal.c (detectors and the anomaly
 * life cycle of each signal), an_incident.c (incidents and alerts),
 * an_json.c (API answers) and an_persist.c (state blobs).
 *
 * Two locks. inbox_mu guards only the inbox the RED sink appends to, so
 * emission (and through it ingest) never waits for analysis. mu guards
 * everything else; the thread holds it while it processes one run, the
 * API while it reads.
 */
#ifndef OL_ANALYZE_ANALYZER_INT_H
#define OL_ANALYZE_ANALYZER_INT_H

#include <pthread.h>

#include "analyze/analyzer.h"
#include "analyze/autoenc.h"
#include "analyze/forecast.h"
#include "analyze/iforest.h"
#include "analyze/lathist.h"
#include "analyze/uni.h"

#define OL_AN_NONE UINT32_MAX
#define OL_AN_MAX_NAME 256u        /* longer service/operation/peer names are cut */
#define OL_AN_MAX_INBOX 200000u    /* buckets waiting for the thread */
#define OL_AN_COMPLETE_RUNS 3u     /* runs a pending step waits for more of its buckets */
#define OL_AN_MAX_GAP 360u         /* empty steps filled between two buckets of a service */
#define OL_AN_MAX_ANOMALIES 10000u /* kept in memory and in the state; the oldest closed go first */
#define OL_AN_MAX_INCIDENT_SVCS 32u
#define OL_AN_VEC_DIM 3u
#define OL_AN_DEFAULT_WARMUP 192u /* steps: 32 minutes at 10 s */

/* Anomaly policy (docs/analysis.md). */
#define OL_AN_OPEN_SCORE 0.5   /* per-step score (tail probability 1e-3) that makes a candidate */
#define OL_AN_OPEN_Z 4.0       /* robust deviations the candidate's first step must reach */
#define OL_AN_HOLD_Z 3.0       /* ... and the confirming steps, against the baseline frozen at the first */
#define OL_AN_CLEAR_Z 2.0      /* back within this many: a settle step */
#define OL_AN_CONFIRM 3u       /* steps beyond the baseline before an anomaly opens */
#define OL_AN_SETTLE 6u        /* steps back at the baseline before it closes */
#define OL_AN_VEC_SCORE 0.8    /* vector detectors' per-step score for a candidate */
#define OL_AN_GROUP_WAIT 3u    /* steps an incident waits before it is alerted */
#define OL_AN_JOIN_NS (15ll * 60 * 1000000000ll) /* an anomaly joins an incident whose newest began this close */
#define OL_AN_FC_HORIZON_NS (30ull * 60 * 1000000000ull)

enum { OL_AN_SCOPE_SERVICE = 0, OL_AN_SCOPE_OPERATION, OL_AN_SCOPE_EDGE };
enum { OL_AN_M_REQUESTS = 0, OL_AN_M_ERRORS, OL_AN_M_LATENCY, OL_AN_M__COUNT };
/* What an anomaly is about (the API's "signal"). */
enum { OL_AN_A_REQUESTS = 0, OL_AN_A_ERRORS, OL_AN_A_LATENCY, OL_AN_A_RED, OL_AN_A_SLO, OL_AN_A_FORECAST,
       OL_AN_A__COUNT };
/* Life cycle of one watched quantity. */
enum { OL_AN_ST_IDLE = 0, OL_AN_ST_CANDIDATE, OL_AN_ST_OPEN };

/* One bucket copied from the RED sink. */
typedef struct ol_an_inrec {
    uint32_t svc_off, svc_len, name_off, name_len; /* into the inbox's text */
    uint8_t is_edge, kind;
    uint64_t bucket;
    uint64_t requests, errors;
    double p95, p99;
    ol_sketch_t duration; /* milliseconds (empty when the bucket had none) */
} ol_an_inrec_t;

typedef struct ol_an_inbox {
    ol_an_inrec_t *recs;
    uint32_t n, cap;
    ol_buf_t text;
} ol_an_inbox_t;

/* The life cycle of an anomaly on one watched quantity (a signal, a
 * service's vector, an SLO, a forecast). */
typedef struct ol_an_watch {
    uint8_t st;
    int8_t dir;          /* +1 above, -1 below the baseline */
    uint32_t count;      /* candidate: confirming steps seen; open: settle steps seen */
    double base, scale;  /* baseline frozen when the candidate started */
    int64_t since_ns;    /* candidate's first step */
    uint64_t anomaly;    /* id of the open anomaly; 0 = none */
} ol_an_watch_t;

#define OL_AN_WIN 90u      /* steps in the long count window (15 minutes at 10 s) */
#define OL_AN_WIN_MID 30u  /* ... the middle one (5 minutes) */
#define OL_AN_WIN_SHORT 6u /* ... and the short one (1 minute) */
#define OL_AN_LAT_HALF_LIFE_S 3600.0 /* of the pooled latency histogram */
#define OL_AN_LAT_POOL_MIN 40.0      /* requests pooled before its p95 is used */

/* One detector signal: a metric of a service, an operation or an edge. */
typedef struct ol_an_sig {
    uint32_t series;
    uint8_t metric;
    ol_an_uni_t *uni;
    /* error ratio and latency: a count test (errors, or requests slower than
     * a threshold, among requests) that low-volume series need (a ratio of 2
     * requests a step is 0, 0.5 or 1 and says little; 40 requests a minute
     * with 12 errors say a lot) and that a bimodal latency cannot fool */
    double p0;                  /* learned share of events (EW, only while normal) */
    double p0_weight;           /* requests it was learned from, capped */
    double disp;                /* request rates: learned variance / mean of a step's count (>= 1), which
                                 * scales the Poisson test (calls come in clusters: one order, many
                                 * conversions) */
    /* per step, newest at win_i - 1: events and requests; for request
     * rates (a Poisson test) requests and the expected requests x 100 */
    uint32_t win_e[OL_AN_WIN], win_n[OL_AN_WIN];
    uint32_t win_i;
    /* latency only: the p95 baseline of the last normal step (the larger of
     * uni's expected and the pooled p95), and the requests' latencies
     * pooled while normal (lathist.h), whose p95 does not sink with traffic */
    double base;
    ol_an_lathist_t *lat;
    ol_an_watch_t w;
    ol_an_verdict_t last; /* the last step's combined verdict (score = max of the parts) */
    bool has_last;
} ol_an_sig_t;

/* A service, an entry operation or an outgoing edge, with its three signals. */
typedef struct ol_an_series {
    uint32_t svc;
    uint8_t scope;
    uint8_t kind;  /* operation: span kind; edge: peer type */
    char *name;    /* operation or peer name; "" for the service */
    uint32_t name_len;
    uint32_t sig[OL_AN_M__COUNT];
    bool in_step;  /* has a bucket in the step being processed; then: */
    uint64_t requests, errors;
    double p95, p99;
    ol_sketch_t *dur; /* the step's latency sketch, or NULL (owned by the pending step or the service) */
} ol_an_series_t;

/* A declared SLO, its burn-rate state and (latency) its forecast. */
typedef struct ol_an_slo_ent {
    ol_an_slo_decl_t decl;
    ol_an_slo_t *slo;
    ol_an_fc_t *fc; /* latency objectives only */
    ol_an_fc_objective_t objective;
    ol_an_watch_t w_slo, w_fc;
    int rule;       /* the open rule, -1 = none */
    ol_an_verdict_t last_slo, last_fc;
    uint32_t fc_steps; /* steps to the predicted breach (0 = none) */
} ol_an_slo_ent_t;

/* A bucket record kept until its step completes. */
typedef struct ol_an_srec {
    uint32_t series;
    uint64_t requests, errors;
    double p95, p99;
    ol_sketch_t duration; /* as in ol_an_inrec_t */
} ol_an_srec_t;

typedef struct ol_an_pstep {
    uint64_t bucket;
    uint32_t drains;
    ol_an_srec_t *recs;
    uint32_t n, cap;
} ol_an_pstep_t;

typedef struct ol_an_svc {
    char *name;
    uint32_t len;
    uint32_t *series; /* [0] = the service itself */
    uint32_t n_series, cap_series;
    uint64_t last_bucket;   /* last step processed; 0 = none */
    bool resumed;           /* loaded from the state: the gap before the next step is unknown, not quiet */
    uint64_t steps;         /* steps processed */
    ol_an_pstep_t *pend;    /* pending steps, by bucket */
    uint32_t n_pend, cap_pend;
    uint32_t *peers;        /* services this one calls (edges to instrumented services) */
    uint32_t n_peers, cap_peers;
    ol_an_iforest_t *forest;
    ol_an_autoenc_t *ae;
    ol_an_watch_t w_vec;
    ol_an_verdict_t last_vec;
    uint32_t vec_culprit;
    double last_x[OL_AN_VEC_DIM];
    ol_sketch_t agg; /* the step's merged entry-operation latency */
} ol_an_svc_t;

typedef struct ol_an_anom {
    uint64_t id, incident;
    bool open;
    uint8_t signal, det, scope, kind;
    char *service, *name; /* name: operation, peer, SLO; "" */
    int64_t onset_ns, end_ns, last_ns;
    double score, value, expected, deviation, peak;
    double share, share_expected, threshold; /* latency (binomial): slow share, its usual share, the threshold (ms) */
    char explanation[400];
} ol_an_anom_t;

typedef struct ol_an_incident {
    uint64_t id;
    bool open, alerted;
    uint8_t severity; /* 0 warning, 1 critical */
    uint32_t n_open;  /* open anomalies */
    uint32_t svcs[OL_AN_MAX_INCIDENT_SVCS];
    uint32_t n_svcs;
    int64_t onset_ns, end_ns, created_ns;
    char root[OL_AN_MAX_NAME + 1];
} ol_an_incident_t;

struct ol_analyzer {
    ol_analyzer_options_t opt;
    ol_an_uni_params_t params;
    ol_state_t *state;
    bool own_state;

    pthread_mutex_t inbox_mu;
    ol_an_inbox_t inbox, work; /* the sink fills inbox; a run swaps it with work */
    uint64_t in_cells, in_dropped;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool thread_on, stopping, stopped, wake;

    ol_an_svc_t *svcs;
    uint32_t n_svcs, cap_svcs;
    ol_an_series_t *series;
    uint32_t n_series, cap_series;
    ol_an_sig_t *sigs;
    uint32_t n_sigs, cap_sigs;

    ol_an_slo_ent_t *slos;
    uint32_t n_slos;

    ol_an_anom_t *anoms; /* by id, ascending */
    uint32_t n_anoms, cap_anoms;
    ol_an_incident_t *incs;
    uint32_t n_incs, cap_incs;
    uint64_t next_anomaly, next_incident;
    int64_t now_event; /* newest step processed (event time) */

    uint64_t last_save_ns;
    ol_analyzer_stats_t st;
};

/* analyzer.c */
int ol_an_grow(void **p, uint32_t *cap, uint32_t need, size_t elem);
uint32_t ol_an_series_find(ol_analyzer_t *an, uint32_t svc, uint8_t scope, uint8_t kind, ol_slice_t name,
                           bool create);
uint32_t ol_an_svc_find(ol_analyzer_t *an, ol_slice_t name, bool create);
const char *ol_an_metric_name(uint8_t metric);
const char *ol_an_signal_name(uint8_t signal);
/* Under mu: signals past warm-up, open anomalies, open incidents. */
void ol_an_count_now(const ol_analyzer_t *an, uint64_t *warm, uint64_t *open, uint64_t *incidents);

/* an_signal.c: one step of a service at event time t (series' in_step
 * fields say what the step holds; none for a step without traffic), then
 * the SLOs of that service. */
void ol_an_step_service(ol_analyzer_t *an, uint32_t svc, int64_t t_ns);
int ol_an_sig_init(ol_analyzer_t *an, ol_an_sig_t *s);
void ol_an_sig_free(ol_an_sig_t *s);

/* an_incident.c */
uint32_t ol_an_anom_open(ol_analyzer_t *an, uint32_t svc, uint8_t signal, uint8_t det, uint8_t scope,
                         uint8_t kind, ol_slice_t name, const ol_an_verdict_t *v, const double *share,
                         int64_t onset_ns);
void ol_an_anom_update(ol_analyzer_t *an, uint32_t idx, const ol_an_verdict_t *v, int64_t t_ns);
void ol_an_anom_close(ol_analyzer_t *an, uint32_t idx, int64_t end_ns);
uint32_t ol_an_anom_index(const ol_analyzer_t *an, uint64_t id);
void ol_an_incidents_run(ol_analyzer_t *an);
void ol_an_explain(ol_analyzer_t *an, ol_an_anom_t *a);
void ol_an_anom_free(ol_an_anom_t *a);

/* an_persist.c */
int ol_an_persist_load(ol_analyzer_t *an, ol_err_t *err);
int ol_an_persist_save(ol_analyzer_t *an);
void ol_an_persist_anom(ol_analyzer_t *an, const ol_an_anom_t *a);
void ol_an_persist_incident(ol_analyzer_t *an, const ol_an_incident_t *inc);
void ol_an_persist_forget_anom(ol_analyzer_t *an, uint64_t id);
void ol_an_persist_forget_incident(ol_analyzer_t *an, uint64_t id);

#endif
