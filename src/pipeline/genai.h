/*
 * genai.h - GenAI usage: requests, tokens, cost and latency of the spans
 * that describe calls to language models (OpenTelemetry GenAI conventions).
 *
 * A span counts when it has gen_ai.provider.name (or the older
 * gen_ai.system), gen_ai.request.model or gen_ai.response.model. It is
 * counted once, before any sampling, in event time (bucket =
 * floor(start / resolution)), under the key
 *   service   the resource's service.name (OL_STORE_UNKNOWN_SERVICE if none)
 *   provider  gen_ai.provider.name, else gen_ai.system ("" if neither)
 *   model     gen_ai.request.model, else gen_ai.response.model ("" if neither)
 *   operation gen_ai.operation.name ("" if absent)
 * with: requests; errors (status Error, or an error.type attribute); input
 * tokens (gen_ai.usage.input_tokens, else gen_ai.usage.prompt_tokens) and
 * output tokens (gen_ai.usage.output_tokens, else
 * gen_ai.usage.completion_tokens); cost from the price table (the price of
 * gen_ai.response.model when the table has one, else of the request model;
 * unpriced spans cost 0 and are counted); and a duration sketch (sketch.h,
 * milliseconds).
 *
 * Price table (docs/genai.md): a text file, one "model input output" line
 * per model, prices in USD per million tokens; '#' starts a comment. A span's
 * model takes the price of the longest entry that is a prefix of it
 * ("gpt-4o" prices "gpt-4o-2024-08-06"; "gpt-4o-mini" wins for
 * "gpt-4o-mini-2024-07-18"). Costs are summed in whole picodollars, so they
 * are exact up to the single conversion to a double when stored.
 *
 * Buckets are written into the store as delta metrics (emit.h), so they
 * persist and SQL can query them: olly.genai.requests, olly.genai.errors,
 * olly.genai.tokens (with gen_ai.token.type = input | output) (Sum, int),
 * olly.genai.cost (Sum, double, USD) and olly.genai.duration
 * (ExponentialHistogram, ms), each with the attributes gen_ai.provider.name,
 * gen_ai.request.model (the key's model) and gen_ai.operation.name. A bucket
 * is written once the clock passed its end by OL_GENAI_GRACE_NS and it had no
 * new span for as long, or once it has been open OL_GENAI_MAX_OPEN_NS; a late
 * span opens the bucket again and its second point adds to the first.
 *
 * Thread safety: every function may be called from any thread.
 */
#ifndef OL_PIPELINE_GENAI_H
#define OL_PIPELINE_GENAI_H

#include "codec/otlp.h"
#include "core/buf.h"
#include "core/common.h"
#include "store/store.h"

#define OL_GENAI_GRACE_NS (10ull * 1000000000ull)
#define OL_GENAI_MAX_OPEN_NS (10ull * 60 * 1000000000ull)

typedef struct ol_genai ol_genai_t;

typedef struct ol_genai_options {
    const char *prices;     /* path of a price table file; NULL or "" = the built-in examples (docs/genai.md) */
    uint64_t resolution_ns; /* bucket width; 0 = 60 s */
} ol_genai_options_t;

/* The store must outlive g (NULL: nothing is ever written; for tests). OL_OK; OL_CORRUPT or OL_ERR with err naming the
 * price file and line; OL_NOMEM. */
int ol_genai_create(const ol_genai_options_t *opt, ol_store_t *store, ol_genai_t **out, ol_err_t *err);
/* Frees everything; does not write open buckets (ol_genai_flush first). */
void ol_genai_destroy(ol_genai_t *g);

/* Counts the spans of a traces batch the store accepted: skips !valid spans
 * and spans with dup[i] != 0 (dup may be NULL). */
void ol_genai_observe(ol_genai_t *g, const ol_otlp_batch_t *b, const uint8_t *dup);
/* Writes the buckets that are due at now_ns (wall clock; the clock never
 * goes back, as in sampling.h). */
void ol_genai_tick(ol_genai_t *g, uint64_t now_ns);
/* Writes every open bucket now. The store's error when the write failed
 * (those points are lost and counted). */
int ol_genai_flush(ol_genai_t *g);

/* Appends the olly_genai_* counters in Prometheus text format. */
void ol_genai_metrics_text(ol_genai_t *g, ol_buf_t *out);

/* Usage over the buckets starting in [start_ns, end_ns), stored and open,
 * grouped by model (by = 0) or service (by = 1), and by provider:
 * {"start","end","by":"model"|"service","groups":[{"model"|"service",
 * "provider","requests","errors","inputTokens","outputTokens","costUsd",
 * "p50Ms","p95Ms","p99Ms"}],"total":{"requests",...,"p99Ms"}}; groups are
 * sorted by name then provider; quantiles are null without data. Only points
 * written by Olly (scope "olly") count. Appends to out. OL_OK; OL_ERR for a
 * bad window or `by` (err says); the store's error. */
int ol_genai_usage(ol_genai_t *g, uint64_t start_ns, uint64_t end_ns, int by, ol_buf_t *out, ol_err_t *err);

/* Price lookup (tests, docs): USD per million input and output tokens of
 * the longest matching entry; false when no entry matches. */
bool ol_genai_price(const ol_genai_t *g, ol_slice_t model, double *input_usd, double *output_usd);

#endif
