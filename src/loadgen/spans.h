/*
 * spans.h - realistic OTLP trace batches from a topology, pre-encoded once
 * and patched in place per send.
 *
 * ol_loadgen_batch_build() walks the topology with a PRNG seeded from (seed,
 * batch index), so a batch is the same bytes for the same inputs on the same
 * machine. Each batch is one ExportTraceServiceRequest with exactly n_spans
 * spans: whole traces (parents before children, children inside their parents
 * in time), the last one cut short if it does not fit, grouped as SDKs and the
 * Collector group them: one ResourceSpans per service, one ScopeSpans per
 * instrumentation scope. Every length prefix is the minimal varint, as a
 * protobuf library writes it.
 *
 * Because the server deduplicates on (trace id, span id), sending the same
 * bytes twice would measure deduplication, not ingest. The batch therefore
 * records the byte offset of every trace id value (spans and links) and of
 * every fixed64 timestamp (span start/end, event time);
 * ol_loadgen_batch_patch() XORs a per-send mask into bytes 8..15 of each trace
 * id (the same mask for all of them, so spans of one trace stay together and
 * links still point at their trace) and shifts every timestamp so the latest
 * end time becomes `end_ns`. That loop is all the per-span work a send does.
 */
#ifndef OL_LOADGEN_SPANS_H
#define OL_LOADGEN_SPANS_H

#include "core/common.h"
#include "loadgen/topology.h"

/* xoshiro256** seeded through splitmix64: fast, good, deterministic. */
typedef struct ol_loadgen_rng {
    uint64_t s[4];
} ol_loadgen_rng_t;

void ol_loadgen_rng_seed(ol_loadgen_rng_t *r, uint64_t seed);
uint64_t ol_loadgen_rng_next(ol_loadgen_rng_t *r);
/* Uniform in [0, n) (n > 0), in [0, 1), and log-normal with median m. */
uint32_t ol_loadgen_rng_below(ol_loadgen_rng_t *r, uint32_t n);
double ol_loadgen_rng_unit(ol_loadgen_rng_t *r);
double ol_loadgen_rng_lognormal(ol_loadgen_rng_t *r, double median, double sigma);

typedef struct ol_loadgen_batch {
    uint8_t *data; /* ExportTraceServiceRequest */
    size_t len;
    size_t cap;    /* allocation size of data */
    uint32_t *offs;  /* n_tid trace-id offsets (16-byte values), then n_time timestamp offsets (8 bytes LE) */
    uint32_t n_tid;
    uint32_t n_time;
    uint32_t n_spans;
    uint32_t n_traces;
    uint64_t max_end_ns; /* latest end time as built (before any patch) */
    uint64_t mask;       /* patch state of `data`: the XOR mask and time shift now applied */
    uint64_t shift;
    bool shared_offs;    /* offs belongs to the batch this one was cloned from */
} ol_loadgen_batch_t;

/* Builds batch `index` of the run seeded with `seed`: n_spans spans (1 ..
 * 1,000,000). Timestamps are laid out from a fixed base time, so they say
 * nothing about when the batch was built. The batch owns its memory: free it
 * with ol_loadgen_batch_free(). OL_NOMEM, OL_LIMIT (n_spans out of range). */
int ol_loadgen_batch_build(const ol_topology_t *t, uint64_t seed, uint32_t index, uint32_t n_spans,
                           ol_loadgen_batch_t *out, ol_err_t *err);
void ol_loadgen_batch_free(ol_loadgen_batch_t *b);

/* A private copy of the bytes sharing the (immutable) offsets of src, so two
 * threads can patch the same batch independently. src must outlive it. */
int ol_loadgen_batch_clone(const ol_loadgen_batch_t *src, ol_loadgen_batch_t *out);

/* The mask a send id turns into: a bijection with mask(0) = 0, so distinct
 * send ids always give distinct trace ids and send id 0 is the batch as built. */
static inline uint64_t ol_loadgen_mask(uint64_t send_id) { return send_id * 0x9E3779B97F4A7C15ull; }

/* Patches in place so that trace ids = built ids with bytes 8..15 XOR
 * ol_loadgen_mask(send_id) (as little-endian u64), and every timestamp = built
 * value + (end_ns - max_end_ns). Any sequence of patches gives the same bytes
 * as a single patch from the built state. Cost: one 8-byte load/store per
 * recorded offset. */
void ol_loadgen_batch_patch(ol_loadgen_batch_t *b, uint64_t send_id, uint64_t end_ns);

#endif
