/*
 * demo.h - `olly demo`: a living simulated microservice system that emits
 * real OTLP traces, logs and metrics in simulated time, with scripted faults.
 *
 * The system is the demo topology of src/loadgen (the OpenTelemetry demo's
 * shop plus a product-reviews service that asks a language model), walked by
 * the loadgen trace generator with hooks (loadgen/gen.h) that let faults bend
 * latency, errors and availability per service, replica, host, operation or
 * request attribute. Around the traces the simulation keeps what a real
 * deployment has: replicas on hosts, process memory and CPU, restarts,
 * rolling deploys, metric instruments with exemplars, and logs that carry
 * trace, span and correlation ids.
 *
 * Time is simulated: everything is stamped with simulated nanoseconds from
 * `start`. ol_demo_advance() generates everything that happens up to a
 * simulated instant; ol_demo_flush() encodes it as Export*ServiceRequest
 * protobuf messages. The simulation works in fixed one-second steps aligned on
 * `start`, draws from random streams seeded by `seed`, and evaluates traffic
 * and faults as functions of simulated time, so the same configuration
 * produces the same telemetry however the calls are split (and however fast a
 * live run goes); only the grouping into requests depends on when flushes
 * happen. The live driver (ol_demo_run) paces this against the wall clock
 * and sends with the loadgen export clients from a sender thread behind a
 * bounded queue, so a slow or failing endpoint never stalls the simulation.
 *
 * Faults are described in docs/demo.md; each has a start offset and a
 * duration in simulated time, and the simulation writes a ground-truth record
 * (JSON lines) as they start and end.
 */
#ifndef OL_DEMO_DEMO_H
#define OL_DEMO_DEMO_H

#include <stdatomic.h>

#include "codec/otlp.h"
#include "core/buf.h"
#include "core/common.h"
#include "loadgen/send.h"

typedef enum {
    OL_DEMO_BAD_DEPLOY = 0,
    OL_DEMO_DEPENDENCY_LATENCY,
    OL_DEMO_ATTRIBUTE_LATENCY,
    OL_DEMO_ERROR_BURST,
    OL_DEMO_HOST_SATURATION,
    OL_DEMO_MEMORY_LEAK,
    OL_DEMO_TRAFFIC_SURGE,
    OL_DEMO_SLOW_DB_QUERY,
    OL_DEMO_FAULT__COUNT
} ol_demo_fault_type_t;

/* Name of a fault type ("bad_deploy"), or NULL. */
const char *ol_demo_fault_type_name(int type);

#define OL_DEMO_MAX_FAULTS 64

/* One scripted fault. Parameters left at their "unset" value (negative
 * numbers, empty strings) take the type's default when the demo is created. */
typedef struct ol_demo_fault {
    uint8_t type;
    char target[64];   /* service; for host_saturation a host or a service (its first replica's host) */
    char op[128];      /* operation (span name) or empty: all of the service's */
    uint64_t start_ns; /* offset from the simulation start */
    uint64_t duration_ns;
    double factor;     /* latency or traffic multiplier (-1: default) */
    double delay_ms;   /* latency added per request (-1: default) */
    double error_rate; /* probability a request fails (-1: default) */
    double oom_after_s; /* memory_leak: seconds from a fresh process to out-of-memory (-1: default) */
    double restart_s;   /* memory_leak: seconds a crashed process stays down (-1: default) */
    double rollout_s;   /* bad_deploy: seconds between replicas switching version (-1: default) */
    char version[32];   /* bad_deploy: the new service.version (empty: derived) */
    char attr[64];      /* attribute_latency: attribute key (empty: the service's demo attribute) */
    char value[64];     /* attribute_latency: the slow value */
} ol_demo_fault_t;

/* Resets f to "unset" parameters. */
void ol_demo_fault_init(ol_demo_fault_t *f);
/* Parses TYPE:TARGET:START:DURATION[:KEY=VALUE,...], e.g.
 * "bad_deploy:checkout:+30m:20m:version=2.1.0,error_rate=0.2". START is an
 * offset ("+30m", "90s", "1h30m"), DURATION a length. Keys: op, factor, delay,
 * error_rate, version, attr, value, oom_after, restart, rollout. OL_OK or
 * OL_CORRUPT with err naming the part. Names are checked later, against the
 * topology, by ol_demo_create(). */
int ol_demo_fault_parse(const char *spec, ol_demo_fault_t *f, ol_err_t *err);

/* A length such as "20m", "1h30m", "90s", "250ms", "2d" or a bare number of
 * seconds ("1.5"); a leading '+' is allowed. OL_OK or OL_CORRUPT. */
int ol_demo_parse_duration(const char *s, uint64_t *out_ns);
/* A start time: "now", "now-2h" / "-2h" (before now_ns), RFC 3339, or a Unix
 * time in seconds (or nanoseconds when it has 16 digits or more). */
int ol_demo_parse_start(const char *s, uint64_t now_ns, uint64_t *out_ns);

typedef struct ol_demo_config {
    uint64_t seed;
    double rate;           /* traces per second (requests entering the frontend) at the daily peak */
    uint64_t start_ns;     /* simulated time of the start */
    uint64_t duration_ns;  /* simulated; 0 = no end */
    double metric_interval_s; /* simulated seconds between metric exports (default 30) */
    char environment[64];  /* deployment.environment.name (default "production") */
    double speed;          /* a scenario's suggested clock speed (0: none); the live run's flag wins */
    bool no_seasonality;   /* flat traffic at `rate` (tests, benchmarks) */
    bool no_noise;         /* no slow random drift of the traffic */
    bool delta;            /* delta temporality for histograms (default cumulative, as SDKs default) */
    ol_demo_fault_t faults[OL_DEMO_MAX_FAULTS];
    uint32_t n_faults;
} ol_demo_config_t;

void ol_demo_config_default(ol_demo_config_t *c);

/* Reads a scenario file (JSON, docs/demo.md) into c: its settings replace
 * c's, its faults are appended. OL_OK; OL_CORRUPT / OL_LIMIT / OL_ERR with err
 * naming the file and the field ("faults[2].duration: ..."). */
int ol_demo_scenario_parse(ol_slice_t json, const char *name, ol_demo_config_t *c, ol_err_t *err);
int ol_demo_scenario_load(const char *path, ol_demo_config_t *c, ol_err_t *err);

typedef struct ol_demo ol_demo_t;

/* Builds the simulated system. Checks every fault against the topology
 * (service, operation, host, attribute names), fills in defaults.
 * OL_OK; OL_CORRUPT with err for a bad configuration; OL_NOMEM. */
int ol_demo_create(const ol_demo_config_t *c, ol_demo_t **out, ol_err_t *err);
void ol_demo_destroy(ol_demo_t *d); /* NULL is fine */

/* The configuration after defaults were filled in (faults resolved). */
const ol_demo_config_t *ol_demo_config(const ol_demo_t *d);
/* Simulated time generated so far (starts at config start_ns). */
uint64_t ol_demo_now(const ol_demo_t *d);
/* The simulated end (start + duration), or UINT64_MAX without one. */
uint64_t ol_demo_end(const ol_demo_t *d);

/* Simulates up to `until` (simulated ns; clamped to the end): traffic,
 * faults, process state, metric exports. What it produces waits for
 * ol_demo_flush(). OL_OK or OL_NOMEM. */
int ol_demo_advance(ol_demo_t *d, uint64_t until);

/* Receives one encoded request: an Export{Trace,Logs,Metrics}ServiceRequest
 * with `items` spans, log records or data points. The bytes live until the
 * callback returns. A non-OL_OK return stops the flush and is returned. */
typedef int (*ol_demo_emit_fn)(void *ud, ol_signal_t signal, ol_slice_t body, uint32_t items);

/* Encodes everything produced since the last flush into requests of at most
 * `max_items` items each (0: 2000) and hands them to fn, then forgets them. */
int ol_demo_flush(ol_demo_t *d, uint32_t max_items, ol_demo_emit_fn fn, void *ud);

/* Ground truth: JSON lines produced since the last call, appended to out
 * (one object per line, see docs/demo.md), then forgotten. */
void ol_demo_take_truth(ol_demo_t *d, ol_buf_t *out);
/* Ends every active fault at the current simulated time with
 * "interrupted":true in its record (a run stopped early). */
void ol_demo_interrupt(ol_demo_t *d);

typedef struct ol_demo_stats {
    uint64_t traces, spans, logs, points; /* generated */
    uint64_t error_spans;
    uint64_t restarts;
    uint32_t active_faults;
} ol_demo_stats_t;
void ol_demo_stats(const ol_demo_t *d, ol_demo_stats_t *s);
/* Names of the active faults, "type(target)" separated by spaces, into out. */
void ol_demo_active_faults(const ol_demo_t *d, char *out, size_t cap);

/* Traffic multiplier at simulated time t from seasonality alone (daily and
 * weekly shape, peak 1.0), without noise or faults. */
double ol_demo_seasonality(uint64_t t_ns);

/* Describes the simulated system (services, replicas, hosts, operations,
 * request attributes) for `olly demo --list`. */
void ol_demo_describe(const ol_demo_t *d, ol_buf_t *out);

/* ---- the live run ---- */

typedef struct ol_demo_run_options {
    const char *target;   /* NULL: 127.0.0.1:4318 (http) / 127.0.0.1:4317 (grpc) */
    ol_loadgen_proto_t protocol;
    bool gzip;
    double speed;         /* simulated seconds per wall second (default 1) */
    double status_s;      /* wall seconds between status lines on stderr; 0 = none */
    const char *truth;    /* ground-truth file (JSON lines), or NULL */
    uint64_t queue_bytes; /* bound of encoded requests waiting to be sent (default 64 MiB) */
    double drain_s;       /* at the end, wall seconds to wait for the queue to empty (default 10) */
    uint32_t max_items;   /* items per request (default 2000) */
    _Atomic bool *stop;   /* set by a signal handler: flush, drain and stop */
} ol_demo_run_options_t;

typedef struct ol_demo_report {
    char target[300];
    const char *protocol;
    double speed;
    uint64_t sim_start_ns, sim_end_ns; /* simulated span of the run */
    double wall_s;
    ol_demo_stats_t gen;
    uint64_t requests_ok, requests_failed, retries, dropped_requests, dropped_items;
    uint64_t sent_items[3], accepted_items[3], rejected_items[3]; /* by ol_signal_t */
    uint64_t bytes_sent;
    uint64_t fail_transport, fail_backoff, fail_other; /* failed attempts by kind */
    uint64_t lag_max_ms; /* how far the simulation fell behind the clock at worst */
    bool interrupted;
    char first_error[200];
} ol_demo_report_t;

/* Runs the demo live until its end or *stop, sending to the target. Returns
 * OL_OK when the run happened (whatever the endpoint did: failures are in
 * the report), or an error that prevented it (err). */
int ol_demo_run(ol_demo_t *d, const ol_demo_run_options_t *o, ol_demo_report_t *r, ol_err_t *err);
void ol_demo_report_json(ol_buf_t *b, const ol_demo_report_t *r);

#endif
