/*
 * sqldata.h - the data the SQL differential test loads into both Olly's
 * store and ClickHouse: a list of OTLP Export*ServiceRequest bodies
 * (protobuf), built deterministically from a seed.
 *
 * What is in it:
 *   - the real OpenTelemetry JS SDK captures under $OLLY_SHARED/fixtures/otlp
 *     (traces, logs, metrics; protobuf, gRPC-framed, gzip and JSON variants,
 *     each a separate run with its own ids and times);
 *   - spans from the load generator (src/loadgen: the OpenTelemetry-demo
 *     topology), its batches placed at seeded times over SD_WINDOW_HOURS hours
 *     that cross a UTC midnight;
 *   - hand-built spans for the edges: events and links, attribute values of
 *     every AnyValue kind (ints, doubles such as 1e21 and 1e-7, bools, bytes,
 *     arrays, kvlists, '' and repeated keys), resources without service.name
 *     or with a non-string one, every span kind and status, durations from 0
 *     to hours, timestamps on and around minute, hour and day boundaries;
 *   - generated logs (severities, string/kvlist/int/empty bodies, trace
 *     links, observed-time-only records, event names) and metrics of all five
 *     kinds (int and double points, exemplars, temporalities).
 *
 * Every request is valid: nothing in it is rejected by ol_otlp_decode.
 */
#ifndef OL_TESTS_SQL_SQLDATA_H
#define OL_TESTS_SQL_SQLDATA_H

#include "codec/otlp.h"
#include "core/common.h"

/* 2026-11-21 22:00:00 UTC: the generated data lies in [SD_T0, SD_T0 + 5 h),
 * across the midnight of 2026-11-22. The JS SDK captures are from
 * 2026-11-21 16:22 UTC. */
#define SD_T0_NS 1795298400000000000ull
#define SD_WINDOW_HOURS 5
#define SD_HOUR_NS 3600000000000ull

typedef struct sd_req {
    ol_signal_t sig;
    uint8_t *data; /* protobuf, malloc'd */
    size_t len;
    char what[48]; /* "fixture otlp-grpc.traces", "loadgen 12", ... */
} sd_req_t;

typedef struct sd_dataset {
    sd_req_t *reqs;
    size_t n, cap;
    size_t fixture_reqs; /* how many came from the captures */
} sd_dataset_t;

typedef struct sd_options {
    uint64_t seed;
    uint32_t loadgen_batches;     /* load generator requests */
    uint32_t loadgen_batch_spans; /* spans in each */
    uint32_t edge_traces;         /* hand-built traces (1-6 spans each) */
    uint32_t logs;                /* generated log records */
    uint32_t metric_steps;        /* 5-minute steps of generated metrics (60 = 5 h) */
    const char *shared;           /* $OLLY_SHARED: fixtures come from <shared>/fixtures/otlp */
} sd_options_t;

void sd_options_default(sd_options_t *o);

/* Builds every request, in the order they are to be loaded (signals and
 * sources interleaved). OL_OK; OL_ERR with err (a fixture missing or not
 * decodable); OL_NOMEM. */
int sd_build(sd_dataset_t *d, const sd_options_t *o, ol_err_t *err);
void sd_free(sd_dataset_t *d);

#endif
