/*
 * genai.c - GenAI usage: reading the gen_ai.* attributes of spans, counting
 * them into event-time cells, writing the cells that are due into the store
 * as olly.genai.* metrics, and the counters (genai.h has the semantics,
 * genai_int.h the layout and locks).
 *
 * Most spans are not GenAI spans, so observe first looks for the bytes
 * "gen_ai." in the encoded span and parses its attributes only when they
 * are there; everything about a span (names, tokens, cost) is worked out
 * before g->mu is taken, once per batch, to add it to its cell.
 */
#include <math.h>
#include <string.h>

#include "codec/pb.h"
#include "core/alloc.h"
#include "core/util.h"
#include "pipeline/genai_int.h"

#define OL_GENAI_DEFAULT_RESOLUTION_NS (60ull * 1000000000ull)

/* ---- create / destroy ---- */

int ol_genai_create(const ol_genai_options_t *opt, ol_store_t *store, ol_genai_t **out, ol_err_t *err)
{
    *out = NULL;
    ol_genai_t *g = ol_calloc(OL_GENAI_MEM, 1, sizeof *g);
    if (!g) {
        ol_err_set(err, "genai: out of memory");
        return OL_NOMEM;
    }
    if (opt) g->opt = *opt;
    if (!g->opt.resolution_ns) g->opt.resolution_ns = OL_GENAI_DEFAULT_RESOLUTION_NS;
    g->store = store;
    int rc = ol_genai_prices_load(&g->prices, g->opt.prices, err);
    g->opt.prices = NULL;
    if (rc == OL_OK && ol_emit_create(&g->emit) != OL_OK) {
        ol_err_set(err, "genai: out of memory");
        rc = OL_NOMEM;
    }
    if (rc == OL_OK) {
        pthread_mutex_init(&g->mu, NULL);
        pthread_rwlock_init(&g->emit_lock, NULL);
        g->locks_ready = true;
    }
    if (rc != OL_OK) {
        ol_genai_destroy(g);
        return rc;
    }
    *out = g;
    return OL_OK;
}

static void ol_genai_cell_release(ol_genai_cell_t *c)
{
    size_t n = 0;
    for (int k = 0; k < OL_GENAI_K__COUNT; k++) n += c->len[k];
    if (c->key) ol_free(OL_GENAI_MEM, c->key, n ? n : 1);
    ol_sketch_free(&c->duration);
    memset(c, 0, sizeof *c);
}

void ol_genai_destroy(ol_genai_t *g)
{
    if (!g) return;
    for (size_t i = 0; i < g->n_cells; i++)
        if (g->cells[i].used) ol_genai_cell_release(&g->cells[i]);
    ol_free(OL_GENAI_MEM, g->cells, g->cap_cells * sizeof *g->cells);
    ol_free(OL_GENAI_MEM, g->free_list, g->cap_free * sizeof *g->free_list);
    if (g->mask) ol_free(OL_GENAI_MEM, g->slots, (g->mask + 1) * sizeof *g->slots);
    ol_emit_destroy(g->emit);
    ol_genai_prices_free(&g->prices);
    if (g->locks_ready) {
        pthread_mutex_destroy(&g->mu);
        pthread_rwlock_destroy(&g->emit_lock);
    }
    ol_free(OL_GENAI_MEM, g, sizeof *g);
}

bool ol_genai_price(const ol_genai_t *g, ol_slice_t model, double *input_usd, double *output_usd)
{
    const ol_genai_price_t *p = ol_genai_prices_find(&g->prices, model);
    if (!p) return false;
    if (input_usd) *input_usd = (double)p->input_micro / 1e6;
    if (output_usd) *output_usd = (double)p->output_micro / 1e6;
    return true;
}

static uint64_t ol_genai_clock(ol_genai_t *g, uint64_t t)
{
    uint64_t c = atomic_load(&g->clock);
    while (t > c && !atomic_compare_exchange_weak(&g->clock, &c, t)) {
    }
    return t > c ? t : c;
}

/* ---- one span ---- */

typedef struct ol_genai_span {
    ol_slice_t name[OL_GENAI_K__COUNT];
    ol_slice_t system, response_model;
    bool has_input, has_output, has_prompt, has_completion, error;
    uint64_t input, output, prompt, completion;
} ol_genai_span_t;

static bool ol_genai_count_value(ol_slice_t any_value, uint64_t *out)
{
    ol_otlp_any_t v;
    ol_otlp_any_parse(any_value, &v);
    if (v.kind == 3) {
        if ((int64_t)v.u64 < 0) return false;
        *out = v.u64;
        return true;
    }
    if (v.kind == 4) {
        double d = ol_pb_as_double(v.u64);
        if (!isfinite(d) || d < 0 || d >= 1.8e19) return false;
        *out = (uint64_t)llround(d);
        return true;
    }
    if (v.kind == 1) return ol_parse_u64(ol_slice_trim(v.bytes), out) == OL_OK;
    return false;
}

static ol_slice_t ol_genai_string_value(ol_slice_t any_value)
{
    ol_otlp_any_t v;
    ol_otlp_any_parse(any_value, &v);
    if (v.kind != 1) return OL_SLICE_NULL;
    return ol_slice(v.bytes.ptr, OL_MIN(v.bytes.len, (size_t)OL_GENAI_MAX_NAME));
}

static int ol_genai_attr(void *ud, ol_slice_t key, ol_slice_t any_value)
{
    ol_genai_span_t *s = ud;
    if (ol_slice_eq_cstr(key, "error.type")) {
        ol_otlp_any_t v;
        ol_otlp_any_parse(any_value, &v);
        s->error |= v.kind != 0 && (v.kind != 1 || v.bytes.len > 0);
        return OL_OK;
    }
    if (key.len < 7 || memcmp(key.ptr, "gen_ai.", 7) != 0) return OL_OK;
    ol_slice_t k = ol_slice(key.ptr + 7, key.len - 7);
    if (ol_slice_eq_cstr(k, "provider.name")) s->name[OL_GENAI_K_PROVIDER] = ol_genai_string_value(any_value);
    else if (ol_slice_eq_cstr(k, "system")) s->system = ol_genai_string_value(any_value);
    else if (ol_slice_eq_cstr(k, "request.model")) s->name[OL_GENAI_K_MODEL] = ol_genai_string_value(any_value);
    else if (ol_slice_eq_cstr(k, "response.model")) s->response_model = ol_genai_string_value(any_value);
    else if (ol_slice_eq_cstr(k, "operation.name")) s->name[OL_GENAI_K_OPERATION] = ol_genai_string_value(any_value);
    else if (ol_slice_eq_cstr(k, "usage.input_tokens")) s->has_input = ol_genai_count_value(any_value, &s->input);
    else if (ol_slice_eq_cstr(k, "usage.output_tokens")) s->has_output = ol_genai_count_value(any_value, &s->output);
    else if (ol_slice_eq_cstr(k, "usage.prompt_tokens")) s->has_prompt = ol_genai_count_value(any_value, &s->prompt);
    else if (ol_slice_eq_cstr(k, "usage.completion_tokens"))
        s->has_completion = ol_genai_count_value(any_value, &s->completion);
    return OL_OK;
}

/* false: not a GenAI span. */
static bool ol_genai_read_span(const ol_otlp_span_t *sp, ol_genai_span_t *s)
{
    memset(s, 0, sizeof *s);
    if (!memmem(sp->raw.ptr, sp->raw.len, "gen_ai.", 7)) return false;
    if (ol_otlp_each_attribute(sp->raw, 9, ol_genai_attr, s) != OL_OK) return false;
    if (!s->name[OL_GENAI_K_PROVIDER].len) s->name[OL_GENAI_K_PROVIDER] = s->system;
    if (!s->name[OL_GENAI_K_MODEL].len) s->name[OL_GENAI_K_MODEL] = s->response_model;
    if (!s->name[OL_GENAI_K_PROVIDER].len && !s->name[OL_GENAI_K_MODEL].len) return false;
    ol_slice_t svc = ol_store_service_of(sp->origin);
    s->name[OL_GENAI_K_SERVICE] = ol_slice(svc.ptr, OL_MIN(svc.len, (size_t)OL_GENAI_MAX_NAME));
    if (!s->has_input && s->has_prompt) s->input = s->prompt;
    if (!s->has_output && s->has_completion) s->output = s->completion;
    s->error |= sp->status_code == 2;
    return true;
}

static uint64_t ol_genai_cost(const ol_genai_price_t *p, uint64_t input, uint64_t output)
{
    uint64_t a, b;
    if (__builtin_mul_overflow(input, p->input_micro, &a)) a = UINT64_MAX;
    if (__builtin_mul_overflow(output, p->output_micro, &b)) b = UINT64_MAX;
    return ol_genai_add(a, b);
}

/* ---- cells (mu held) ---- */

static uint64_t ol_genai_key_hash(const ol_slice_t name[OL_GENAI_K__COUNT], uint64_t bucket)
{
    uint64_t h = ol_hash64(&bucket, sizeof bucket, 0x67656e6169ull);
    for (int k = 0; k < OL_GENAI_K__COUNT; k++) h = ol_hash64(name[k].ptr, name[k].len, h + (uint64_t)k);
    return h;
}

static bool ol_genai_cell_is(const ol_genai_cell_t *c, const ol_slice_t name[OL_GENAI_K__COUNT], uint64_t bucket,
                             uint64_t h)
{
    if (c->hash != h || c->bucket != bucket) return false;
    for (int k = 0; k < OL_GENAI_K__COUNT; k++)
        if (!ol_slice_eq(ol_genai_cell_name(c, k), name[k])) return false;
    return true;
}

static void ol_genai_slot_put(ol_genai_t *g, uint32_t idx)
{
    size_t i = (size_t)g->cells[idx].hash & g->mask;
    while (g->slots[i]) i = (i + 1) & g->mask;
    g->slots[i] = idx + 1;
}

/* Sizes the table for `need` cells at most half full and re-places them. */
static int ol_genai_reindex(ol_genai_t *g, size_t need)
{
    size_t slots = g->mask ? g->mask + 1 : 64;
    while (slots < need * 2) slots *= 2;
    if (slots != (g->mask ? g->mask + 1 : 0)) {
        uint32_t *v = ol_calloc(OL_GENAI_MEM, slots, sizeof *v);
        if (!v) return OL_NOMEM;
        if (g->mask) ol_free(OL_GENAI_MEM, g->slots, (g->mask + 1) * sizeof *g->slots);
        g->slots = v;
        g->mask = slots - 1;
    } else {
        memset(g->slots, 0, slots * sizeof *g->slots);
    }
    for (size_t i = 0; i < g->n_cells; i++)
        if (g->cells[i].used) ol_genai_slot_put(g, (uint32_t)i);
    return OL_OK;
}

static uint32_t ol_genai_cell_get(ol_genai_t *g, const ol_slice_t name[OL_GENAI_K__COUNT], uint64_t bucket,
                                  uint64_t now)
{
    uint64_t h = ol_genai_key_hash(name, bucket);
    if (g->mask) {
        for (size_t i = (size_t)h & g->mask; g->slots[i]; i = (i + 1) & g->mask)
            if (ol_genai_cell_is(&g->cells[g->slots[i] - 1], name, bucket, h)) return g->slots[i] - 1;
    }
    if (g->n_used >= OL_GENAI_MAX_CELLS) return OL_GENAI_NONE;
    if ((g->n_used + 1) * 2 > (g->mask ? g->mask + 1 : 0) && ol_genai_reindex(g, g->n_used + 1) != OL_OK)
        return OL_GENAI_NONE;
    uint32_t idx;
    if (g->n_free) {
        idx = g->free_list[--g->n_free];
    } else {
        if (ol_grow_array(OL_GENAI_MEM, (void **)&g->cells, &g->cap_cells, g->n_cells + 1, sizeof *g->cells) != OL_OK)
            return OL_GENAI_NONE;
        /* The free list can hold every cell: releasing never allocates. */
        if (ol_grow_array(OL_GENAI_MEM, (void **)&g->free_list, &g->cap_free, g->cap_cells, sizeof *g->free_list) !=
            OL_OK)
            return OL_GENAI_NONE;
        idx = (uint32_t)g->n_cells++;
        memset(&g->cells[idx], 0, sizeof g->cells[idx]);
    }
    ol_genai_cell_t *c = &g->cells[idx];
    size_t total = 0;
    for (int k = 0; k < OL_GENAI_K__COUNT; k++) total += name[k].len;
    c->key = ol_malloc(OL_GENAI_MEM, total ? total : 1);
    if (!c->key) {
        g->free_list[g->n_free++] = idx;
        return OL_GENAI_NONE;
    }
    size_t off = 0;
    for (int k = 0; k < OL_GENAI_K__COUNT; k++) {
        if (name[k].len) memcpy(c->key + off, name[k].ptr, name[k].len);
        off += name[k].len;
        c->len[k] = (uint16_t)name[k].len;
    }
    c->used = true;
    c->bucket = bucket;
    c->hash = h;
    c->opened_ns = now;
    ol_sketch_init(&c->duration);
    g->n_used++;
    ol_genai_slot_put(g, idx);
    return idx;
}

/* ---- observe ---- */

void ol_genai_observe(ol_genai_t *g, const ol_otlp_batch_t *b, const uint8_t *dup)
{
    if (!g || !b || b->signal != OL_SIGNAL_TRACES || !b->n_spans) return;
    uint64_t now = 0;
    bool locked = false;
    for (size_t i = 0; i < b->n_spans; i++) {
        const ol_otlp_span_t *sp = &b->spans[i];
        ol_genai_span_t s;
        if (!sp->valid || (dup && dup[i]) || !ol_genai_read_span(sp, &s)) continue;
        const ol_genai_price_t *price = s.response_model.len ? ol_genai_prices_find(&g->prices, s.response_model)
                                                             : NULL;
        if (!price) price = ol_genai_prices_find(&g->prices, s.name[OL_GENAI_K_MODEL]);
        uint64_t cost = price ? ol_genai_cost(price, s.input, s.output) : 0;
        double ms = sp->end_ns > sp->start_ns ? (double)(sp->end_ns - sp->start_ns) / 1e6 : 0.0;
        if (!locked) {
            now = ol_genai_clock(g, ol_now_ns());
            pthread_mutex_lock(&g->mu);
            locked = true;
        }
        g->c.spans++;
        uint32_t idx = ol_genai_cell_get(g, s.name, sp->start_ns / g->opt.resolution_ns, now);
        if (idx == OL_GENAI_NONE) {
            g->c.dropped_spans++;
            continue;
        }
        ol_genai_cell_t *c = &g->cells[idx];
        if (ol_sketch_add(&c->duration, ms) != OL_OK) {
            g->c.dropped_spans++;
            continue;
        }
        c->requests++;
        c->errors += s.error;
        c->input_tokens = ol_genai_add(c->input_tokens, s.input);
        c->output_tokens = ol_genai_add(c->output_tokens, s.output);
        c->cost_pico = ol_genai_add(c->cost_pico, cost);
        c->updated_ns = now;
        g->c.unpriced_spans += !price;
        g->c.input_tokens = ol_genai_add(g->c.input_tokens, s.input);
        g->c.output_tokens = ol_genai_add(g->c.output_tokens, s.output);
        g->c.cost_pico = ol_genai_add(g->c.cost_pico, cost);
    }
    if (locked) pthread_mutex_unlock(&g->mu);
}

/* ---- emission ---- */

static const ol_emit_metric_t ol_genai_m_requests = {"olly.genai.requests", "GenAI requests (Olly GenAI usage)",
                                                     "{request}"};
static const ol_emit_metric_t ol_genai_m_errors = {"olly.genai.errors", "GenAI requests that failed (Olly GenAI usage)",
                                                   "{error}"};
static const ol_emit_metric_t ol_genai_m_tokens = {"olly.genai.tokens",
                                                   "GenAI tokens by gen_ai.token.type (Olly GenAI usage)", "{token}"};
static const ol_emit_metric_t ol_genai_m_cost = {"olly.genai.cost",
                                                 "GenAI cost from the price table (Olly GenAI usage)", "USD"};
static const ol_emit_metric_t ol_genai_m_duration = {"olly.genai.duration",
                                                     "GenAI request duration (Olly GenAI usage)", "ms"};

static int ol_genai_emit_cell(ol_genai_t *g, const ol_genai_cell_t *c)
{
    ol_emit_attr_t attrs[4] = {
        {"gen_ai.provider.name", ol_genai_cell_name(c, OL_GENAI_K_PROVIDER)},
        {"gen_ai.request.model", ol_genai_cell_name(c, OL_GENAI_K_MODEL)},
        {"gen_ai.operation.name", ol_genai_cell_name(c, OL_GENAI_K_OPERATION)},
        {"gen_ai.token.type", OL_SLICE_LIT("input")},
    };
    uint64_t start = c->bucket * g->opt.resolution_ns;
    ol_emit_point_t p = {ol_genai_cell_name(c, OL_GENAI_K_SERVICE), attrs, 3, start, start + g->opt.resolution_ns};
    ol_emit_point_t pt = p;
    pt.n_attrs = 4;
    int rc = ol_emit_sum_int(g->emit, &ol_genai_m_requests, &p, (int64_t)OL_MIN(c->requests, (uint64_t)INT64_MAX));
    if (rc == OL_OK)
        rc = ol_emit_sum_int(g->emit, &ol_genai_m_errors, &p, (int64_t)OL_MIN(c->errors, (uint64_t)INT64_MAX));
    if (rc == OL_OK)
        rc = ol_emit_sum_int(g->emit, &ol_genai_m_tokens, &pt, (int64_t)OL_MIN(c->input_tokens, (uint64_t)INT64_MAX));
    attrs[3].value = OL_SLICE_LIT("output");
    if (rc == OL_OK)
        rc = ol_emit_sum_int(g->emit, &ol_genai_m_tokens, &pt, (int64_t)OL_MIN(c->output_tokens, (uint64_t)INT64_MAX));
    if (rc == OL_OK) rc = ol_emit_sum_double(g->emit, &ol_genai_m_cost, &p, (double)c->cost_pico / 1e12);
    if (rc == OL_OK) rc = ol_emit_exp_histogram(g->emit, &ol_genai_m_duration, &p, &c->duration);
    return rc;
}

/* Time from t to now; 0 when t is later (stamped after now was read). */
static uint64_t ol_genai_since(uint64_t now, uint64_t t) { return now > t ? now - t : 0; }

/* Under emit_lock (write). now 0: everything. */
static int ol_genai_emit_due(ol_genai_t *g, uint64_t now)
{
    pthread_mutex_lock(&g->mu);
    uint64_t buckets = 0;
    for (size_t i = 0; i < g->n_cells; i++) {
        ol_genai_cell_t *c = &g->cells[i];
        if (!c->used) continue;
        if (now) {
            uint64_t end = (c->bucket + 1) * g->opt.resolution_ns;
            bool due = (now >= end + OL_GENAI_GRACE_NS && ol_genai_since(now, c->updated_ns) >= OL_GENAI_GRACE_NS) ||
                       ol_genai_since(now, c->opened_ns) >= OL_GENAI_MAX_OPEN_NS;
            if (!due) continue;
        }
        ol_genai_emit_cell(g, c); /* a failure is counted by the builder and reported by the write */
        ol_genai_cell_release(c);
        g->free_list[g->n_free++] = (uint32_t)i;
        g->n_used--;
        buckets++;
    }
    if (buckets) ol_genai_reindex(g, g->n_used); /* same size: only re-places */
    pthread_mutex_unlock(&g->mu);

    ol_emit_stats_t before, after;
    ol_emit_stats(g->emit, &before);
    ol_err_t err = {{0}};
    int rc = buckets || ol_emit_pending(g->emit) ? ol_emit_write(g->emit, g->store, &err) : OL_OK;
    ol_emit_stats(g->emit, &after);

    pthread_mutex_lock(&g->mu);
    g->c.buckets_emitted += buckets;
    g->c.points_written += after.points_written - before.points_written;
    g->c.points_lost += after.points_failed - before.points_failed;
    g->c.emit_errors += rc != OL_OK;
    pthread_mutex_unlock(&g->mu);
    return rc;
}

void ol_genai_tick(ol_genai_t *g, uint64_t now_ns)
{
    if (!g || !g->store) return;
    uint64_t now = ol_genai_clock(g, now_ns);
    pthread_rwlock_wrlock(&g->emit_lock);
    ol_genai_emit_due(g, now ? now : 1);
    pthread_rwlock_unlock(&g->emit_lock);
}

int ol_genai_flush(ol_genai_t *g)
{
    if (!g || !g->store) return OL_OK;
    pthread_rwlock_wrlock(&g->emit_lock);
    int rc = ol_genai_emit_due(g, 0);
    pthread_rwlock_unlock(&g->emit_lock);
    return rc;
}

/* ---- counters ---- */

static void ol_genai_counter(ol_buf_t *out, const char *name, const char *type, const char *help, uint64_t v)
{
    ol_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name, (unsigned long long)v);
}

void ol_genai_metrics_text(ol_genai_t *g, ol_buf_t *out)
{
    if (!g) return;
    pthread_mutex_lock(&g->mu);
    ol_genai_counters_t c = g->c;
    size_t open = g->n_used;
    pthread_mutex_unlock(&g->mu);
    ol_genai_counter(out, "olly_genai_spans_total", "counter", "GenAI spans counted.", c.spans);
    ol_genai_counter(out, "olly_genai_unpriced_spans_total", "counter",
                     "GenAI spans whose model has no price in the price table (cost 0).", c.unpriced_spans);
    ol_genai_counter(out, "olly_genai_dropped_spans_total", "counter",
                     "GenAI spans left out because the open buckets were at their bound.", c.dropped_spans);
    ol_buf_printf(out,
                  "# HELP olly_genai_tokens_total GenAI tokens counted.\n# TYPE olly_genai_tokens_total counter\n"
                  "olly_genai_tokens_total{type=\"input\"} %llu\nolly_genai_tokens_total{type=\"output\"} %llu\n",
                  (unsigned long long)c.input_tokens, (unsigned long long)c.output_tokens);
    ol_buf_printf(out, "# HELP olly_genai_cost_usd_total GenAI cost counted, from the price table.\n"
                       "# TYPE olly_genai_cost_usd_total counter\nolly_genai_cost_usd_total %.12g\n",
                  (double)c.cost_pico / 1e12);
    ol_genai_counter(out, "olly_genai_open_buckets", "gauge", "GenAI buckets in memory, not yet written.", open);
    ol_genai_counter(out, "olly_genai_buckets_emitted_total", "counter", "GenAI buckets written into the store.",
                     c.buckets_emitted);
    ol_genai_counter(out, "olly_genai_points_written_total", "counter", "olly.genai.* points appended to the store.",
                     c.points_written);
    ol_genai_counter(out, "olly_genai_points_lost_total", "counter",
                     "olly.genai.* points lost (no memory or the store refused them).", c.points_lost);
    ol_genai_counter(out, "olly_genai_emit_errors_total", "counter", "Failed writes of GenAI buckets.", c.emit_errors);
}
