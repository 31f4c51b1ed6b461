/*
 * loadgen.h - the load generator's driver: build the batches, then either
 * write them to a file or send them on N connections and report.
 *
 * All generation and encoding happens before the clock starts. During the
 * measured run each connection thread loops: take the next of its own
 * batches, patch trace ids and timestamps in place (spans.h), export it,
 * record the outcome and the latency. Threads share nothing but an atomic
 * send counter (and, for --requests, an atomic request counter); their
 * statistics are merged after they are joined.
 *
 * The --out file is a sequence of records [u32 little-endian length]
 * [ExportTraceServiceRequest bytes]; ol_loadgen_out_next() reads it back.
 */
#ifndef OL_LOADGEN_LOADGEN_H
#define OL_LOADGEN_LOADGEN_H

#include <stdatomic.h>
#include <stdio.h>

#include "core/buf.h"
#include "core/common.h"
#include "loadgen/send.h"
#include "loadgen/spans.h"

typedef struct ol_loadgen_options {
    const char *target; /* NULL or "": the protocol's default */
    ol_loadgen_proto_t protocol;
    uint32_t connections;
    uint32_t spans_per_request;
    uint32_t batches;   /* distinct pre-encoded requests */
    double duration_s;  /* run length when requests == 0 */
    uint64_t requests;  /* total requests across connections; 0 = run for duration_s */
    uint64_t rate;      /* spans per second across all connections; 0 = as fast as answers come */
    uint64_t seed;
    uint32_t services;  /* topology size (ol_topo_create_default) */
    bool gzip;
    const char *out;    /* write the requests to this file instead of sending */
    const _Atomic bool *stop; /* optional: when it becomes true the run ends early (e.g. on SIGINT) */
} ol_loadgen_options_t;

void ol_loadgen_options_default(ol_loadgen_options_t *o);

/* Latency histogram in microseconds: exact below 128 us, then 64 buckets per
 * power of two (under 1.6% error), up to 2^32 us. Fixed size, mergeable. */
#define OL_LOADGEN_HIST_BUCKETS (128 + 26 * 64)
typedef struct ol_loadgen_hist {
    uint64_t count;
    uint64_t max_us;
    uint64_t b[OL_LOADGEN_HIST_BUCKETS];
} ol_loadgen_hist_t;

void ol_loadgen_hist_add(ol_loadgen_hist_t *h, uint64_t us);
void ol_loadgen_hist_merge(ol_loadgen_hist_t *into, const ol_loadgen_hist_t *from);
/* The q-quantile (0..1) in microseconds: the middle of its bucket, never above max. 0 when empty. */
double ol_loadgen_hist_quantile(const ol_loadgen_hist_t *h, double q);

typedef struct ol_loadgen_report {
    char target[300];
    ol_loadgen_proto_t protocol;
    uint32_t connections, spans_per_request, batches;
    bool gzip;
    uint64_t batch_bytes;   /* encoded size of the distinct batches */
    uint64_t batch_spans;
    double build_seconds;   /* generation + encoding, before the clock */
    double seconds;         /* measured: first send to last answer */
    uint64_t requests_ok, requests_failed, transport_errors;
    uint64_t http_failed[600]; /* non-2xx answers by HTTP status */
    uint64_t grpc_failed[17];  /* non-OK answers by grpc-status */
    uint64_t spans_sent, spans_accepted, spans_rejected;
    uint64_t bytes_sent;       /* request bodies as sent (after gzip) */
    ol_loadgen_hist_t latency; /* every answered request */
    char first_error[200];
    /* --out */
    uint64_t out_records, out_bytes;
} ol_loadgen_report_t;

/* Runs what the options ask for and fills the report (allocated by the
 * caller; it is large because of the histogram). OL_OK when the run happened
 * (even if every request failed: the report says so); OL_ERR/OL_NOMEM/OL_LIMIT
 * with err when it could not start (bad target, no connection, out of
 * memory, cannot write --out). */
int ol_loadgen_run(const ol_loadgen_options_t *o, ol_loadgen_report_t *r, ol_err_t *err);

/* Writes requests [0, n) to f: request i is batch i % n_batches patched with
 * send id i / n_batches (so the first pass keeps the ids as built and every
 * later pass gets fresh ones) and timestamps ending at end_ns.
 * OL_OK or OL_ERR (write failed) with err. */
int ol_loadgen_write_records(FILE *f, ol_loadgen_batch_t *batches, uint32_t n_batches, uint64_t n, uint64_t end_ns,
                             uint64_t *bytes, ol_err_t *err);

/* Reads the next record of an --out file held in memory: on OL_OK *rec is the
 * request and *pos moves past it; OL_NOTFOUND at the clean end; OL_CORRUPT
 * when a length runs past the end. */
int ol_loadgen_out_next(ol_slice_t file, size_t *pos, ol_slice_t *rec);

/* The report as a human-readable table, and as one JSON object (no newline). */
void ol_loadgen_report_print(FILE *f, const ol_loadgen_report_t *r);
void ol_loadgen_report_json(ol_buf_t *b, const ol_loadgen_report_t *r);

#endif
