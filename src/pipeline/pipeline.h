/*
 * pipeline.h - the processors between OTLP decoding and the store.
 *
 * Ingest decodes a request into a batch (codec/otlp.h) and hands it here
 * before and after the store append:
 *
 *   ol_pipeline_before_append(p, batch, arena)
 *       correlation (correlate.h): sanitises correlation ids; a rejected id
 *       is replaced, which rewrites that item's raw bytes into the arena.
 *   ol_store_append_dups(store, batch, &res, dup)   (dup marks duplicates)
 *   ol_pipeline_after_append(p, batch, dup)
 *       only when the store accepted the batch, each span counted once:
 *       RED series (red.h), GenAI usage (genai.h), correlation index,
 *       tail sampling observation (sampling.h).
 *
 * Every figure is computed from every accepted span, before sampling:
 * sampling only decides which traces the store keeps when its head is
 * flushed into parts (ol_store_set_trace_filter), so the log holds every
 * acknowledged span until then.
 *
 * A background thread ticks the processors once a second (RED buckets due,
 * sampling decisions due). Semantic-convention normalisation (semconv.h) is
 * not a stage: it applies when data is read (SQL maps, the service map).
 */
#ifndef OL_PIPELINE_PIPELINE_H
#define OL_PIPELINE_PIPELINE_H

#include "codec/otlp.h"
#include "core/buf.h"
#include "pipeline/correlate.h"
#include "pipeline/genai.h"
#include "pipeline/red.h"
#include "pipeline/sampling.h"
#include "store/store.h"

typedef struct ol_pipeline ol_pipeline_t;

typedef struct ol_pipeline_options {
    ol_store_t *store;
    ol_red_options_t red;
    ol_sampling_options_t sampling; /* enabled = false by default */
    ol_genai_options_t genai;
    ol_correlate_options_t correlate;
    bool semconv;                   /* read-time normalisation on (default true in config) */
    bool no_thread;                 /* tests: no ticker thread; call ol_pipeline_tick */
} ol_pipeline_options_t;

int ol_pipeline_create(const ol_pipeline_options_t *opt, ol_pipeline_t **out, ol_err_t *err);
/* Shutdown is two steps around closing the store: ol_pipeline_stop stops
 * the ticker and emits the open RED and GenAI buckets into the store; the
 * store's last flush may still ask sampling for decisions, so the store is
 * closed next, then ol_pipeline_destroy frees (without touching the store).
 * Destroying a pipeline that was not stopped stops it and unregisters the
 * trace filter first (the store must then still be open). */
void ol_pipeline_stop(ol_pipeline_t *p);
void ol_pipeline_destroy(ol_pipeline_t *p);

int ol_pipeline_before_append(ol_pipeline_t *p, ol_otlp_batch_t *b, ol_arena_t *a);
void ol_pipeline_after_append(ol_pipeline_t *p, const ol_otlp_batch_t *b, const uint8_t *dup);
void ol_pipeline_tick(ol_pipeline_t *p, uint64_t now_ns);
/* Emits every open bucket now (tests, benchmarks, shutdown). */
int ol_pipeline_flush(ol_pipeline_t *p);

ol_red_t *ol_pipeline_red(ol_pipeline_t *p);
ol_genai_t *ol_pipeline_genai(ol_pipeline_t *p);
ol_correlate_t *ol_pipeline_correlate(ol_pipeline_t *p);
ol_sampling_t *ol_pipeline_sampling(ol_pipeline_t *p);

/* Appends every processor's counters in Prometheus text format. */
void ol_pipeline_metrics_text(ol_pipeline_t *p, ol_buf_t *out);

#endif
