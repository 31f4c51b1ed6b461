/*
 * genai_int.h - GenAI usage's private layout, shared by genai.c (observe,
 * buckets, emission, counters), genai_prices.c (the price table) and
 * genai_query.c (ol_genai_usage).
 *
 * State under g->mu: the open cells, one per (service, provider, model,
 * operation, bucket), in a pool indexed by an open-addressing table that is
 * rebuilt after each emission (cells leave only then). emit_lock orders
 * emission against queries as in red_int.h: tick and flush hold it
 * exclusively while they move cells into the store, a query shares it while
 * it reads the cells and then the store, so each bucket is counted once.
 * mu is never held while calling the store.
 */
#ifndef OL_PIPELINE_GENAI_INT_H
#define OL_PIPELINE_GENAI_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "pipeline/emit.h"
#include "pipeline/genai.h"
#include "pipeline/sketch.h"

#define OL_GENAI_MEM OL_MEM_PIPELINE
#define OL_GENAI_MAX_CELLS 50000u
#define OL_GENAI_MAX_NAME 256u /* longer service/provider/model/operation names are cut */
#define OL_GENAI_NONE UINT32_MAX

/* ---- prices (genai_prices.c) ---- */

typedef struct ol_genai_price {
    char *model;
    size_t len;
    uint64_t input_micro, output_micro; /* micro-USD per million tokens = picodollars per token */
} ol_genai_price_t;

typedef struct ol_genai_prices {
    ol_genai_price_t *v;
    size_t n, cap;
} ol_genai_prices_t;

/* Parses a price table (format in genai.h); `origin` names it in errors.
 * OL_OK, OL_CORRUPT (err: origin, line and what is wrong), OL_NOMEM. A
 * model listed twice keeps its last line. */
int ol_genai_prices_parse(ol_genai_prices_t *p, ol_slice_t text, const char *origin, ol_err_t *err);
/* path NULL or "": the built-in examples. OL_ERR when the file cannot be read. */
int ol_genai_prices_load(ol_genai_prices_t *p, const char *path, ol_err_t *err);
/* The longest entry that is a prefix of model, or NULL. */
const ol_genai_price_t *ol_genai_prices_find(const ol_genai_prices_t *p, ol_slice_t model);
void ol_genai_prices_free(ol_genai_prices_t *p);

/* ---- cells ---- */

enum { OL_GENAI_K_SERVICE = 0, OL_GENAI_K_PROVIDER, OL_GENAI_K_MODEL, OL_GENAI_K_OPERATION, OL_GENAI_K__COUNT };

typedef struct ol_genai_cell {
    bool used;
    uint64_t bucket;
    uint64_t hash;
    char *key; /* the four names back to back, owned */
    uint16_t len[OL_GENAI_K__COUNT];
    uint64_t requests, errors, input_tokens, output_tokens;
    uint64_t cost_pico;
    ol_sketch_t duration; /* ms */
    uint64_t opened_ns, updated_ns; /* sampler-style clock */
} ol_genai_cell_t;

static inline ol_slice_t ol_genai_cell_name(const ol_genai_cell_t *c, int k)
{
    size_t off = 0;
    for (int i = 0; i < k; i++) off += c->len[i];
    return ol_slice(c->key + off, c->len[k]);
}

typedef struct ol_genai_counters {
    uint64_t spans, unpriced_spans, dropped_spans, input_tokens, output_tokens, cost_pico;
    uint64_t buckets_emitted, points_written, points_lost, emit_errors;
} ol_genai_counters_t;

struct ol_genai {
    ol_genai_options_t opt; /* resolution filled in; prices path not kept */
    ol_store_t *store;
    ol_genai_prices_t prices; /* immutable after create */
    pthread_mutex_t mu;
    pthread_rwlock_t emit_lock;
    bool locks_ready;
    ol_genai_cell_t *cells;
    size_t n_cells, cap_cells; /* n_cells: slots handed out (used or free) */
    uint32_t *free_list;
    size_t n_free, cap_free;
    uint32_t *slots; /* cell index + 1; 0 = empty */
    size_t mask;     /* slots - 1; 0 = no table yet */
    size_t n_used;
    ol_emit_t *emit;
    atomic_uint_fast64_t clock;
    ol_genai_counters_t c; /* mu */
};

/* Saturating add. */
static inline uint64_t ol_genai_add(uint64_t a, uint64_t b) { return a + b < a ? UINT64_MAX : a + b; }

#endif
