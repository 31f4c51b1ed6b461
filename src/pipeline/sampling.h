/*
 * sampling.h - tail sampling: which traces the store keeps in its parts.
 *
 * The pipeline shows the sampler every span the store accepted
 * (ol_sampling_observe). A trace is decided once it had no new span for
 * `wait` (ol_sampling_tick), by these policies, in this order:
 *   error      a span has status ERROR;
 *   latency    a span lasted longer than its threshold (a latency_rules entry
 *              for its service and name, else for its service, else
 *              latency_ns; none = no threshold);
 *   attribute  a span (or its resource) has an attribute equal to an
 *              attr_rules pair, compared in the text form search uses;
 *   rate       of the rest, `share` of the traces per service (the service
 *              of the root span, else of the first span seen), chosen by a
 *              hash of the trace id so that every node agrees, and at most
 *              max_per_second of those per service (a token bucket with one
 *              second of burst, so this cap is per node);
 * and the others are dropped.
 *
 * The store applies the decisions when it flushes its head into parts: the
 * lead registers ol_sampling_keep with ol_store_set_trace_filter. Until then
 * the WAL and the head hold every acknowledged span and reads see them all.
 * A trace still open at that moment is decided early on what was seen; if a
 * later span of a trace dropped early would have kept it (error, latency or
 * attribute), the decision turns to keep for the spans still to come.
 * Decisions are remembered for OL_SAMPLING_REMEMBER_NS after they are made
 * or a late span of their trace arrives (late spans follow them). A trace the sampler does
 * not know (never observed, forgotten, spans from before a restart) is kept.
 *
 * Memory: at most max_traces traces (open and decided) are tracked; at the
 * bound the oldest decision is forgotten first, and when every tracked trace
 * is still open a new trace is not tracked (counted as overflow; kept).
 *
 * Thread safety: every function may be called from any thread; observe and
 * keep take one of 16 locks chosen by trace id, so ingest threads and the
 * store's flush rarely wait for each other. keep never calls the store.
 */
#ifndef OL_PIPELINE_SAMPLING_H
#define OL_PIPELINE_SAMPLING_H

#include "codec/otlp.h"
#include "core/buf.h"
#include "core/common.h"

typedef struct ol_sampling ol_sampling_t;

/* How long a decision outlives its trace's last span, beyond `wait`: longer
 * than the store's default flush age (5 min), so the late spans of a trace
 * reach the parts under its decision. */
#define OL_SAMPLING_REMEMBER_NS (10ull * 60 * 1000000000ull)

typedef struct ol_sampling_options {
    bool enabled;              /* false: observe does nothing, keep keeps everything */
    uint64_t wait_ns;          /* decide once a trace had no new span for this long (wall time); 0 = 30 s */
    double share;              /* of the remaining traces kept per service; 0 = 0.01, < 0 = none; <= 1 */
    double max_per_second;     /* per service cap on those; 0 = 100, < 0 = no cap */
    uint64_t latency_ns;       /* keep traces with a span slower than this; 0 = off */
    const char *latency_rules; /* "service/operation=ms,service=ms,...": thresholds in ms (decimals allowed) */
    const char *attr_rules;    /* "key=value,key=value": keep traces with a span attribute equal */
    uint64_t max_traces;       /* bound on traces tracked; 0 = 1,000,000 */
} ol_sampling_options_t;

/* OL_OK; OL_CORRUPT with err naming the malformed rule or option; OL_NOMEM.
 * The rule strings are copied. */
int ol_sampling_create(const ol_sampling_options_t *opt, ol_sampling_t **out, ol_err_t *err);
/* The store must no longer call ol_sampling_keep with s: clear the filter
 * (ol_store_set_trace_filter(store, NULL, NULL)) or close the store first. */
void ol_sampling_destroy(ol_sampling_t *s);

/* A traces batch after the store accepted it: valid spans with dup == NULL
 * or dup[i] == 0 are observed; other batches are ignored. */
void ol_sampling_observe(ol_sampling_t *s, const ol_otlp_batch_t *b, const uint8_t *dup);
/* Decides the traces whose wait is over at now_ns (wall clock) and forgets
 * decisions past OL_SAMPLING_REMEMBER_NS. The sampler's clock never goes
 * back: an earlier now_ns than one seen before counts as that one. */
void ol_sampling_tick(ol_sampling_t *s, uint64_t now_ns);
/* An ol_store_keep_fn (s is the ol_sampling_t): the decision for the trace,
 * made now if it is still open; true for a trace the sampler does not know. */
bool ol_sampling_keep(void *s, const uint8_t trace_id[16]);

/* Appends the olly_sampling_* counters in Prometheus text format. */
void ol_sampling_metrics_text(ol_sampling_t *s, ol_buf_t *out);

/* The counters, for tests and the lead's checks. */
typedef struct ol_sampling_stats {
    uint64_t decided;         /* traces decided (each once) */
    uint64_t kept_error, kept_latency, kept_attribute, kept_rate;
    uint64_t dropped;         /* decided to drop (including those later turned to keep) */
    uint64_t decided_early;   /* decided by keep() before their wait was over */
    uint64_t upgraded;        /* early drops turned to keep by a later span */
    uint64_t late_spans_kept, late_spans_dropped; /* spans arriving after their trace's decision */
    uint64_t unknown;         /* keep() asked about an untracked trace (kept) */
    uint64_t forgotten;       /* decisions forgotten early because max_traces was reached */
    uint64_t overflow_spans;  /* spans of traces not tracked because max_traces was reached (kept) */
    uint64_t open, remembered; /* traces tracked now: undecided, decided */
} ol_sampling_stats_t;
void ol_sampling_stats(ol_sampling_t *s, ol_sampling_stats_t *out);

#endif
