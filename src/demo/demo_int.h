/*
 * demo_int.h - the layout of a simulated system, shared by sim.c (time,
 * traffic, faults, process state, what spans turn into) and encode.c (OTLP
 * requests from what was produced). Private to src/demo.
 *
 * Produced telemetry waits in four places until a flush: the generator's
 * span records (with a resource key per span in span_res), log records,
 * metric points (histogram payloads and exemplars alongside), and the truth
 * buffer. A resource key names one process incarnation: service, replica,
 * version (0 = its base version, k = the version of bad_deploy fault k-1) and
 * restart count; hosts have keys of their own. Keys are what encode.c groups
 * by, and everything a resource says is derived from the key.
 */
#ifndef OL_DEMO_INT_H
#define OL_DEMO_INT_H

#include "core/arena.h"
#include "demo/demo.h"
#include "loadgen/gen.h"

#define OL_DEMO_MAX_REPLICAS 4
#define OL_DEMO_HOSTS 6
#define OL_DEMO_HOST_SVC 0xFFFFu /* service part of a host's resource key */
#define OL_DEMO_MAX_BUCKETS 16   /* explicit bounds + 1 */
#define OL_DEMO_STEP_NS 1000000000ull

static inline uint64_t ol_demo_res_key(uint32_t svc, uint32_t inst, uint32_t ver, uint32_t inc)
{
    return ((uint64_t)svc << 48) | ((uint64_t)(inst & 0xff) << 40) | ((uint64_t)(ver & 0xff) << 32) | inc;
}
static inline uint32_t ol_demo_res_svc(uint64_t k) { return (uint32_t)(k >> 48); }
static inline uint32_t ol_demo_res_inst(uint64_t k) { return (uint32_t)(k >> 40) & 0xff; }
static inline uint32_t ol_demo_res_ver(uint64_t k) { return (uint32_t)(k >> 32) & 0xff; }
static inline uint32_t ol_demo_res_inc(uint64_t k) { return (uint32_t)k; }

/* One replica of an application service (or the single one of a DB, cache,
 * queue or external service). */
typedef struct ol_demo_inst {
    uint16_t svc;
    uint8_t idx, host;
    uint8_t ver;          /* see the resource key */
    uint32_t inc;         /* restarts and redeploys so far */
    uint64_t started_ns;  /* start of this incarnation */
    uint64_t down_until;  /* refuses connections before this time (crashed, restarting) */
    double mem_base_mb, mem_limit_mb;
    double leak_mb;       /* leaked by the current incarnation */
    double leak_scale;    /* this replica's share of a leak's rate */
    double gc_penalty;    /* latency multiplier from memory pressure (1 = none) */
    double mem_err;       /* failure probability from memory pressure */
    double load_mult;     /* latency multiplier from CPU saturation in the last metric interval (1 = none) */
    uint64_t requests;    /* server and consumer spans in the current metric interval */
    uint32_t restarts;
} ol_demo_inst_t;

/* A fault as the simulation runs it. */
typedef struct ol_demo_fstate {
    int32_t svc, op, host; /* resolved targets, -1 when not applicable (op: the first of its name) */
    uint64_t ops[2];       /* with an op: every op of that name (DB spans share names), as a bit set */
    int32_t attr;          /* demo attribute (attribute_latency), -1 otherwise */
    int32_t value;         /* index of the slow value */
    uint64_t start, end;   /* absolute simulated ns */
    bool active, done;
} ol_demo_fstate_t;

/* Metrics the demo's instruments record. */
enum {
    OL_DEMO_M_HTTP_SERVER,   /* http.server.request.duration */
    OL_DEMO_M_RPC_SERVER,    /* rpc.server.duration */
    OL_DEMO_M_DB_CLIENT,     /* db.client.operation.duration (SQL) */
    OL_DEMO_M_CACHE_CLIENT,  /* db.client.operation.duration (cache) */
    OL_DEMO_M_MSG_PROCESS,   /* messaging.process.duration */
    OL_DEMO_M_GENAI_DURATION, /* gen_ai.client.operation.duration */
    OL_DEMO_M_GENAI_TOKENS,  /* gen_ai.client.token.usage */
    OL_DEMO_M_PROC_MEMORY,   /* process.memory.usage */
    OL_DEMO_M_PROC_CPU,      /* process.cpu.utilization */
    OL_DEMO_M_RESTARTS,      /* k8s.container.restarts */
    OL_DEMO_M_HOST_CPU,      /* system.cpu.utilization */
    OL_DEMO_M_HOST_MEMORY,   /* system.memory.utilization */
    OL_DEMO_M__COUNT
};

typedef struct ol_demo_exemplar {
    uint8_t trace_id[16], span_id[8];
    uint64_t t;
    double v;
} ol_demo_exemplar_t;

/* A histogram series: one instrument, one attribute set, one process. */
typedef struct ol_demo_series {
    uint64_t key;      /* 0: empty slot */
    uint64_t res;      /* process incarnation the counts belong to */
    uint8_t metric, tok; /* tok: gen_ai.token.type (1 input, 2 output) */
    uint16_t op;
    uint16_t code;     /* status code (HTTP, gRPC) or 1 for a failed call of a kind without one */
    uint16_t svc;      /* the process: service and replica */
    uint8_t inst;
    bool touched;      /* observed since the last export */
    uint64_t start_ns;
    uint64_t count;
    double sum, min, max;
    uint64_t buckets[OL_DEMO_MAX_BUCKETS];
    uint16_t ex_mask;  /* buckets with an exemplar this interval */
    ol_demo_exemplar_t ex[OL_DEMO_MAX_BUCKETS];
} ol_demo_series_t;

/* One data point waiting for a flush. */
typedef struct ol_demo_point {
    uint64_t res;
    uint8_t metric, tok;
    uint16_t op, code;
    uint64_t start, time;
    double value;     /* gauges and sums */
    int32_t hist;     /* histograms: index into hists, else -1 */
} ol_demo_point_t;

typedef struct ol_demo_hist {
    uint64_t count;
    double sum, min, max;
    uint64_t buckets[OL_DEMO_MAX_BUCKETS];
    uint32_t ex_first, n_ex; /* into exemplars */
} ol_demo_hist_t;

typedef struct ol_demo_log {
    uint64_t res;
    uint64_t t;
    uint8_t severity;  /* SeverityNumber */
    int32_t span;      /* generator span whose ids it carries, or -1 */
    const char *body;
    const char *event_name; /* or NULL */
    uint32_t attr_first, n_attr; /* into lattrs */
} ol_demo_log_t;

struct ol_demo {
    ol_demo_config_t cfg;
    ol_demo_fstate_t fs[OL_DEMO_MAX_FAULTS];
    ol_topology_t *topo;
    ol_lg_gen_t gen;
    ol_lg_hooks_t hooks;
    ol_loadgen_rng_t rng_traffic; /* arrivals, root choice of surges */
    ol_loadgen_rng_t rng_noise;   /* traffic drift */
    ol_loadgen_rng_t rng_metrics; /* process and host figures */

    uint64_t t0, now, end;
    uint64_t next_arrival;
    uint64_t next_metrics;
    uint64_t noise_minute; /* minute index of noise[1] */
    double noise[2];       /* log-traffic drift at the start of that minute and the next */

    ol_demo_inst_t *inst; /* n_services x OL_DEMO_MAX_REPLICAS */
    double *visits;       /* per service: server and consumer spans per trace (calibrated) */
    const char *host_names[OL_DEMO_HOSTS];

    /* The trace being generated. */
    uint64_t trace_t;
    bool order_flow;
    uint8_t trace_attr[8]; /* value index per demo attribute */
    int32_t op_checkout;   /* frontend route that places orders */

    /* Produced, waiting for a flush. */
    uint64_t *span_res;
    uint32_t cap_span_res;
    ol_demo_log_t *logs;
    uint32_t n_logs, cap_logs;
    ol_lg_attr_t *lattrs;
    uint32_t n_lattrs, cap_lattrs;
    ol_demo_point_t *pts;
    uint32_t n_pts, cap_pts;
    ol_demo_hist_t *hists;
    uint32_t n_hists, cap_hists;
    ol_demo_exemplar_t *exs;
    uint32_t n_exs, cap_exs;
    ol_arena_t *arena; /* log bodies and attribute strings; reset by a flush */
    ol_buf_t truth;

    /* Histogram series, open addressing on key. */
    ol_demo_series_t *series;
    uint32_t cap_series, n_series;

    ol_demo_stats_t stats;
    bool nomem;
};

/* Demo attributes: per-request facts of a service that faults can select on. */
typedef struct ol_demo_attr_def {
    const char *service, *key;
    const char *values[6];
    uint8_t weights[6];
    uint8_t n, slow; /* number of values; the default slow value for attribute_latency */
} ol_demo_attr_def_t;
extern const ol_demo_attr_def_t ol_demo_attrs[];
extern const uint32_t ol_demo_n_attrs;

typedef struct ol_demo_metric_def {
    const char *name, *unit, *description;
    uint8_t type;      /* OL_METRIC_GAUGE, OL_METRIC_SUM, OL_METRIC_HISTOGRAM */
    bool is_int;       /* number points carry as_int */
    uint8_t scope;     /* see ol_demo_metric_scope() */
    const double *bounds;
    uint8_t n_bounds;
} ol_demo_metric_def_t;
extern const ol_demo_metric_def_t ol_demo_metrics[OL_DEMO_M__COUNT];

/* Both return OL_OK or OL_NOMEM. */
int ol_demo_log_add(ol_demo_t *d, uint64_t res, uint64_t t, uint8_t sev, int32_t span, const char *body,
                    const char *event_name);
int ol_demo_log_attr(ol_demo_t *d, const ol_lg_attr_t *a);
const char *ol_demo_strf(ol_demo_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The current resource key of replica `inst` of service `svc`. */
uint64_t ol_demo_inst_key(const ol_demo_t *d, uint32_t svc, uint32_t inst);
static inline ol_demo_inst_t *ol_demo_inst(ol_demo_t *d, uint32_t svc, uint32_t inst)
{
    return &d->inst[svc * OL_DEMO_MAX_REPLICAS + inst];
}

/* encode.c: the service.version a resource key stands for. */
const char *ol_demo_version(const ol_demo_t *d, uint64_t res);

#endif
