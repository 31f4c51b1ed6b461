/*
 * pipeline.c - runs the processors around the store append and ticks them.
 *
 * The order is fixed (pipeline.h): correlation ids are sanitised before the
 * append, because a rejected id must never reach the log; every figure
 * (RED, GenAI, the correlation index, sampling's view of a trace) is taken
 * after the store accepted the batch, from the spans it did not flag as
 * duplicates, so an SDK's retries are counted once and a refused request
 * (the SDK will retry it) is not counted at all.
 */
#include "pipeline/pipeline.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/util.h"
#include "pipeline/semconv.h"

struct ol_pipeline {
    ol_store_t *store;
    ol_red_t *red;
    ol_genai_t *genai;
    ol_correlate_t *correlate;
    ol_sampling_t *sampling; /* NULL when sampling is off */
    pthread_t ticker;
    bool ticker_on;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stopping;
    bool stopped; /* ol_pipeline_stop ran: the store may be closed */
};

static uint64_t ol_pipeline_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *ol_pipeline_ticker(void *ud)
{
    ol_pipeline_t *p = ud;
    pthread_mutex_lock(&p->mu);
    while (!p->stopping) {
        struct timespec ts = ol_mono_deadline_ms(1000);
        pthread_cond_timedwait(&p->cv, &p->mu, &ts);
        if (p->stopping) break;
        pthread_mutex_unlock(&p->mu);
        ol_pipeline_tick(p, ol_pipeline_wall_ns());
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int ol_pipeline_create(const ol_pipeline_options_t *opt, ol_pipeline_t **out, ol_err_t *err)
{
    *out = NULL;
    ol_pipeline_t *p = ol_calloc(OL_MEM_PIPELINE, 1, sizeof *p);
    if (!p) return OL_NOMEM;
    p->store = opt->store;
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
    int rc = ol_red_create(&opt->red, opt->store, &p->red, err);
    if (rc == OL_OK) rc = ol_genai_create(&opt->genai, opt->store, &p->genai, err);
    if (rc == OL_OK) rc = ol_correlate_create(&opt->correlate, opt->store, &p->correlate, err);
    if (rc == OL_OK && opt->sampling.enabled) {
        rc = ol_sampling_create(&opt->sampling, &p->sampling, err);
        if (rc == OL_OK) ol_store_set_trace_filter(opt->store, ol_sampling_keep, p->sampling);
    }
    if (rc == OL_OK && !opt->no_thread) {
        if (pthread_create(&p->ticker, NULL, ol_pipeline_ticker, p) != 0) {
            ol_err_set(err, "cannot start the pipeline's ticker thread");
            rc = OL_ERR;
        } else p->ticker_on = true;
    }
    if (rc != OL_OK) {
        ol_pipeline_destroy(p);
        return rc;
    }
    *out = p;
    return OL_OK;
}

void ol_pipeline_stop(ol_pipeline_t *p)
{
    if (!p || p->stopped) return;
    if (p->ticker_on) {
        pthread_mutex_lock(&p->mu);
        p->stopping = true;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        pthread_join(p->ticker, NULL);
        p->ticker_on = false;
    }
    if (p->red && p->genai && ol_pipeline_flush(p) != OL_OK)
        ol_warn("pipeline: the last RED/GenAI buckets could not be written into the store (counted in /metrics)");
    p->stopped = true;
}

void ol_pipeline_destroy(ol_pipeline_t *p)
{
    if (!p) return;
    if (!p->stopped) {
        ol_pipeline_stop(p);
        if (p->sampling) ol_store_set_trace_filter(p->store, NULL, NULL);
    }
    ol_sampling_destroy(p->sampling);
    ol_correlate_destroy(p->correlate);
    ol_genai_destroy(p->genai);
    ol_red_destroy(p->red);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    ol_free(OL_MEM_PIPELINE, p, sizeof *p);
}

int ol_pipeline_before_append(ol_pipeline_t *p, ol_otlp_batch_t *b, ol_arena_t *a)
{
    if (b->signal == OL_SIGNAL_METRICS) return OL_OK;
    return ol_correlate_sanitize(p->correlate, b, a);
}

void ol_pipeline_after_append(ol_pipeline_t *p, const ol_otlp_batch_t *b, const uint8_t *dup)
{
    if (b->signal == OL_SIGNAL_TRACES) {
        ol_red_observe(p->red, b, dup);
        ol_genai_observe(p->genai, b, dup);
        if (p->sampling) ol_sampling_observe(p->sampling, b, dup);
    }
    if (b->signal != OL_SIGNAL_METRICS) ol_correlate_observe(p->correlate, b, b->signal == OL_SIGNAL_TRACES ? dup : NULL);
}

void ol_pipeline_tick(ol_pipeline_t *p, uint64_t now_ns)
{
    ol_red_tick(p->red, now_ns);
    ol_genai_tick(p->genai, now_ns);
    ol_correlate_tick(p->correlate, now_ns);
    if (p->sampling) ol_sampling_tick(p->sampling, now_ns);
}

int ol_pipeline_flush(ol_pipeline_t *p)
{
    int rc = ol_red_flush(p->red);
    int rc2 = ol_genai_flush(p->genai);
    return rc != OL_OK ? rc : rc2;
}

ol_red_t *ol_pipeline_red(ol_pipeline_t *p) { return p->red; }
ol_genai_t *ol_pipeline_genai(ol_pipeline_t *p) { return p->genai; }
ol_correlate_t *ol_pipeline_correlate(ol_pipeline_t *p) { return p->correlate; }
ol_sampling_t *ol_pipeline_sampling(ol_pipeline_t *p) { return p->sampling; }

void ol_pipeline_metrics_text(ol_pipeline_t *p, ol_buf_t *out)
{
    ol_red_metrics_text(p->red, out);
    ol_genai_metrics_text(p->genai, out);
    ol_correlate_metrics_text(p->correlate, out);
    if (p->sampling) ol_sampling_metrics_text(p->sampling, out);
    ol_semconv_metrics_text(out);
}
