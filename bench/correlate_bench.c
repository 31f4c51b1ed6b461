/*
 * correlate_bench.c - correlation lookups over a store of 10 million spans
 * (the target: p95 under 20 ms).
 *
 *   correlate_bench [--spans N] [--lookups N] [--dir D] [--keep] [--reuse] [--json]
 *
 * --keep leaves the data directory (with the ids it looked up in
 * bench-ids.txt); --reuse --dir D then skips the ingest and times lookups
 * on what D holds.
 *
 * Ingest, in process and through the real path (decode, ol_correlate_sanitize,
 * ol_store_append, ol_correlate_observe): load-generator batches of 5,000
 * spans (the default topology, `olly loadgen`'s traces), each batch patched
 * to its own trace ids and half a second later than the previous one (10,000
 * spans/s of event time, so 10M spans cover about 17 minutes). Every
 * trace whose ordinal in its batch is 0, 1 or 2 modulo 300 carries a
 * correlation id on all its spans: three traces per flow (a request and two
 * retries). Each batch also brings one log record per trace (trace id set),
 * one trace-less log record per flow carrying its id 5 s later, and one
 * metric point with two exemplars pointing at traces of the batch. The
 * store runs with its defaults (64 MiB flushes, merges on 2 threads); after
 * the last batch everything is flushed into parts and merges are let
 * settle, then lookups start.
 *
 * Timed: ol_correlate_query, in process (no HTTP), for --lookups flows
 * picked at random (explicit ids), the same number of traces without an id
 * (their generated ids, computed here from the trace's first span start and
 * trace id), and the explicit ids again timeline-only. One unmeasured lookup
 * of each kind first. Checked (outside the clock): an explicit lookup
 * answers its 3 traces and the flow's trace-less log, a generated one its
 * one trace with the span count it was sent with. A failed check makes the
 * exit status 1; timing never does.
 *
 * Reported: p50/p90/p95/p99/max per kind, ingest rate, the time sanitise +
 * observe took per span, the store's parts and bytes.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_common.h"
#include "codec/otlp.h"
#include "codec/pb.h"
#include "core/log.h"
#include "core/util.h"
#include "loadgen/spans.h"
#include "loadgen/topology.h"
#include "pipeline/correlate.h"
#include "store/store.h"

#define CB_BATCH 5000u
#define CB_BASES 16u        /* distinct built batches, patched per send */
#define CB_STEP_NS 500000000ull
#define CB_FLOW_EVERY 300u

typedef struct cb_gen {
    uint8_t tid[16];
    uint64_t start_ns;
    uint32_t spans;
} cb_gen_t;

typedef struct cb {
    ol_store_t *s;
    ol_correlate_t *c;
    char (*flows)[32];
    size_t n_flows, cap_flows;
    cb_gen_t *gens;
    size_t n_gens, cap_gens;
    uint64_t traces_seen;
    uint64_t pipeline_ns, append_ns, spans, logs;
} cb_t;

static void die(const char *what)
{
    fprintf(stderr, "correlate_bench: %s\n", what);
    exit(2);
}

static void put_kv_str(ol_buf_t *b, uint32_t field, ol_slice_t k, ol_slice_t v)
{
    size_t kv = ol_pb_begin(b, field);
    ol_pb_put_bytes(b, 1, k);
    size_t av = ol_pb_begin(b, 2);
    ol_pb_put_bytes(b, 1, v);
    ol_pb_end(b, av);
    ol_pb_end(b, kv);
}

/* Decodes, sanitises, appends, observes; times the pipeline's share. */
static void cb_send(cb_t *cb, ol_signal_t sig, ol_slice_t pb, ol_arena_t *a, void (*edit)(cb_t *, ol_otlp_batch_t *, ol_arena_t *, void *), void *ud)
{
    ol_otlp_batch_t b;
    ol_err_t err;
    if (ol_otlp_decode(sig, pb, a, &b, &err) != OL_OK) die(err.msg);
    if (edit) edit(cb, &b, a, ud);
    uint8_t *dup = b.n_spans ? calloc(b.n_spans, 1) : NULL;
    uint64_t t0 = ol_mono_ns();
    if (ol_correlate_sanitize(cb->c, &b, a) != OL_OK) die("sanitize");
    uint64_t t1 = ol_mono_ns();
    ol_store_append_result_t res;
    int rc;
    while ((rc = ol_store_append_dups(cb->s, &b, &res, dup)) == OL_BUSY) usleep(1000);
    if (rc != OL_OK) die(ol_rc_str(rc));
    uint64_t t2 = ol_mono_ns();
    ol_correlate_observe(cb->c, &b, dup);
    uint64_t t3 = ol_mono_ns();
    cb->pipeline_ns += (t1 - t0) + (t3 - t2);
    cb->append_ns += t2 - t1;
    free(dup);
}

typedef struct cb_trace {
    const uint8_t *tid;
    uint64_t start_ns;
    uint32_t spans;
    const ol_otlp_span_t *root;
    int flow; /* -1 none */
} cb_trace_t;

typedef struct cb_batch_ctx {
    uint64_t send;
    cb_trace_t *traces;
    size_t n_traces;
    ol_slice_t *flow_ids; /* per flow of the batch */
} cb_batch_ctx_t;

static void cb_collect(cb_t *cb, ol_otlp_batch_t *b, ol_arena_t *a, void *ud)
{
    cb_batch_ctx_t *x = ud;
    x->traces = ol_arena_alloc(a, (b->n_spans + 1) * sizeof *x->traces);
    x->flow_ids = ol_arena_alloc(a, (b->n_spans / CB_FLOW_EVERY + 2) * sizeof *x->flow_ids);
    if (!x->traces || !x->flow_ids) die("arena");
    x->n_traces = 0;
    /* a trace's spans are spread over the batch (grouped by service): find them by id */
    size_t cap = 64;
    while (cap < 2 * b->n_spans) cap *= 2;
    uint32_t *slot = ol_arena_calloc(a, cap * sizeof *slot); /* trace index + 1 */
    if (!slot) die("arena");
    for (size_t i = 0; i < b->n_spans; i++) {
        ol_otlp_span_t *sp = &b->spans[i];
        cb_trace_t *t = NULL;
        size_t h = (size_t)(ol_load_le64(sp->trace_id.ptr + 8) * 0x9E3779B97F4A7C15ull >> 20) & (cap - 1);
        for (; slot[h]; h = (h + 1) & (cap - 1))
            if (memcmp(x->traces[slot[h] - 1].tid, sp->trace_id.ptr, 16) == 0) {
                t = &x->traces[slot[h] - 1];
                break;
            }
        if (!t) {
            slot[h] = (uint32_t)x->n_traces + 1;
            t = &x->traces[x->n_traces];
            *t = (cb_trace_t){.tid = sp->trace_id.ptr, .start_ns = sp->start_ns, .flow = -1};
            size_t ord = x->n_traces++;
            if (ord % CB_FLOW_EVERY < 3) {
                size_t f = ord / CB_FLOW_EVERY;
                t->flow = (int)f;
                if (ord % CB_FLOW_EVERY == 0) {
                    char id[32];
                    int n = snprintf(id, sizeof id, "flow-%llu-%zu", (unsigned long long)x->send, f);
                    x->flow_ids[f] = ol_slice(ol_arena_memdup(a, id, (size_t)n), (size_t)n);
                    if (ol_grow_array(OL_MEM_CORE, (void **)&cb->flows, &cb->cap_flows, cb->n_flows + 1,
                                      sizeof *cb->flows) != OL_OK)
                        die("memory");
                    memcpy(cb->flows[cb->n_flows++], id, (size_t)n + 1);
                }
            }
        }
        t->spans++;
        if (sp->start_ns < t->start_ns) t->start_ns = sp->start_ns;
        if (!sp->parent_span_id.len) t->root = sp;
        if (t->flow >= 0) { /* baggage copied to every span: the id appended to its attributes */
            ol_buf_t kv;
            ol_buf_init(&kv, OL_MEM_CORE, 0);
            put_kv_str(&kv, 9, OL_SLICE_LIT("correlation_id"), x->flow_ids[t->flow]);
            uint8_t *raw = ol_arena_alloc(a, sp->raw.len + kv.len);
            if (!raw) die("arena");
            memcpy(raw, sp->raw.ptr, sp->raw.len);
            memcpy(raw + sp->raw.len, kv.data, kv.len);
            sp->raw = ol_slice(raw, sp->raw.len + kv.len);
            ol_buf_free(&kv);
        }
    }
    /* traces without an id: every 97th is kept for generated-id lookups */
    for (size_t i = 0; i < x->n_traces; i++) {
        cb->traces_seen++;
        if (x->traces[i].flow >= 0 || cb->traces_seen % 97) continue;
        if (ol_grow_array(OL_MEM_CORE, (void **)&cb->gens, &cb->cap_gens, cb->n_gens + 1, sizeof *cb->gens) != OL_OK)
            die("memory");
        cb_gen_t *g = &cb->gens[cb->n_gens++];
        memcpy(g->tid, x->traces[i].tid, 16);
        g->start_ns = x->traces[i].start_ns;
        g->spans = x->traces[i].spans;
    }
}

/* One log per trace (its root's service), one trace-less log per flow, one metric with two exemplars. */
static void cb_logs_metrics(cb_t *cb, const cb_batch_ctx_t *x, ol_arena_t *a)
{
    ol_buf_t pb;
    ol_buf_init(&pb, OL_MEM_CORE, 0);
    size_t rm = ol_pb_begin(&pb, 1);
    size_t r = ol_pb_begin(&pb, 1);
    put_kv_str(&pb, 1, OL_SLICE_LIT("service.name"), OL_SLICE_LIT("frontend"));
    ol_pb_end(&pb, r);
    size_t sm = ol_pb_begin(&pb, 2);
    for (size_t i = 0; i < x->n_traces; i++) {
        const cb_trace_t *t = &x->traces[i];
        size_t lr = ol_pb_begin(&pb, 2);
        ol_pb_put_fixed64(&pb, 1, t->start_ns + 1000000);
        ol_pb_put_uint(&pb, 2, 9);
        size_t body = ol_pb_begin(&pb, 5);
        ol_pb_put_bytes(&pb, 1, t->root ? t->root->name : OL_SLICE_LIT("request"));
        ol_pb_end(&pb, body);
        put_kv_str(&pb, 6, OL_SLICE_LIT("logger"), OL_SLICE_LIT("http"));
        ol_pb_put_bytes(&pb, 9, ol_slice(t->tid, 16));
        ol_pb_end(&pb, lr);
        cb->logs++;
        if (t->flow >= 0 && i % CB_FLOW_EVERY == 0) {
            lr = ol_pb_begin(&pb, 2);
            ol_pb_put_fixed64(&pb, 1, t->start_ns + 5000000000ull);
            ol_pb_put_uint(&pb, 2, 9);
            body = ol_pb_begin(&pb, 5);
            ol_pb_put_bytes(&pb, 1, OL_SLICE_LIT("confirmation e-mail sent"));
            ol_pb_end(&pb, body);
            put_kv_str(&pb, 6, OL_SLICE_LIT("correlation_id"), x->flow_ids[t->flow]);
            ol_pb_end(&pb, lr);
            cb->logs++;
        }
    }
    ol_pb_end(&pb, sm);
    ol_pb_end(&pb, rm);
    cb_send(cb, OL_SIGNAL_LOGS, ol_buf_slice(&pb), a, NULL, NULL);

    ol_buf_reset(&pb);
    rm = ol_pb_begin(&pb, 1);
    r = ol_pb_begin(&pb, 1);
    put_kv_str(&pb, 1, OL_SLICE_LIT("service.name"), OL_SLICE_LIT("frontend"));
    ol_pb_end(&pb, r);
    sm = ol_pb_begin(&pb, 2);
    size_t m = ol_pb_begin(&pb, 2);
    ol_pb_put_bytes(&pb, 1, OL_SLICE_LIT("http.server.request.duration"));
    size_t h = ol_pb_begin(&pb, 9);
    size_t p = ol_pb_begin(&pb, 1);
    uint64_t t = x->n_traces ? x->traces[x->n_traces - 1].start_ns : 0;
    ol_pb_put_fixed64(&pb, 3, t);
    ol_pb_put_fixed64(&pb, 4, x->n_traces);
    for (size_t k = 0; k < 2 && k < x->n_traces; k++) {
        size_t ex = ol_pb_begin(&pb, 8);
        ol_pb_put_fixed64(&pb, 2, x->traces[k].start_ns);
        ol_pb_put_double(&pb, 3, 0.125);
        ol_pb_put_bytes(&pb, 5, ol_slice(x->traces[k].tid, 16));
        ol_pb_end(&pb, ex);
    }
    ol_pb_end(&pb, p);
    ol_pb_put_uint(&pb, 2, 2);
    ol_pb_end(&pb, h);
    ol_pb_end(&pb, m);
    ol_pb_end(&pb, sm);
    ol_pb_end(&pb, rm);
    cb_send(cb, OL_SIGNAL_METRICS, ol_buf_slice(&pb), a, NULL, NULL);
    ol_buf_free(&pb);
}

/* The ids a run can look up, for --reuse. */
static void cb_save_ids(const cb_t *cb, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/bench-ids.txt", dir);
    FILE *f = fopen(path, "w");
    if (!f) die("cannot write bench-ids.txt");
    fprintf(f, "%llu %llu\n", (unsigned long long)cb->spans, (unsigned long long)cb->logs);
    for (size_t i = 0; i < cb->n_flows; i++) fprintf(f, "F %s\n", cb->flows[i]);
    for (size_t i = 0; i < cb->n_gens; i++) {
        char hex[33];
        ol_hex_encode(hex, cb->gens[i].tid, 16);
        hex[32] = 0;
        fprintf(f, "G %s %llu %u\n", hex, (unsigned long long)cb->gens[i].start_ns, cb->gens[i].spans);
    }
    fclose(f);
}

static bool cb_load_ids(cb_t *cb, const char *dir)
{
    char path[4096], line[256];
    snprintf(path, sizeof path, "%s/bench-ids.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f) return false;
    unsigned long long spans = 0, logs = 0;
    if (!fgets(line, sizeof line, f) || sscanf(line, "%llu %llu", &spans, &logs) != 2) die("bad bench-ids.txt");
    cb->spans = spans;
    cb->logs = logs;
    while (fgets(line, sizeof line, f)) {
        char hex[40], flow[40];
        unsigned long long start;
        unsigned n;
        if (sscanf(line, "F %31s", flow) == 1) {
            if (ol_grow_array(OL_MEM_CORE, (void **)&cb->flows, &cb->cap_flows, cb->n_flows + 1, sizeof *cb->flows))
                die("memory");
            snprintf(cb->flows[cb->n_flows++], sizeof *cb->flows, "%.31s", flow);
        } else if (sscanf(line, "G %32s %llu %u", hex, &start, &n) == 3) {
            if (ol_grow_array(OL_MEM_CORE, (void **)&cb->gens, &cb->cap_gens, cb->n_gens + 1, sizeof *cb->gens))
                die("memory");
            cb_gen_t *g = &cb->gens[cb->n_gens++];
            if (ol_hex_decode(g->tid, 16, hex, 32) != 16) die("bad bench-ids.txt");
            g->start_ns = start;
            g->spans = n;
        }
    }
    fclose(f);
    return true;
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw) { return remove(p); }

static double cb_pct(const double *sorted, size_t n, double q)
{
    if (!n) return 0;
    size_t k = (size_t)(q * (double)n + 0.999999999);
    return sorted[(k ? k : 1) - 1];
}

static int cb_dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void cb_report(const char *name, double *v, size_t n, bool json)
{
    qsort(v, n, sizeof *v, cb_dbl_cmp);
    if (json)
        printf("\"%s\":{\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p95_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"count\":%zu},",
               name, cb_pct(v, n, .5), cb_pct(v, n, .9), cb_pct(v, n, .95), cb_pct(v, n, .99), n ? v[n - 1] : 0, n);
    else
        printf("%-22s p50 %7.3f ms  p90 %7.3f  p95 %7.3f  p99 %7.3f  max %7.3f  (n=%zu)\n", name, cb_pct(v, n, .5),
               cb_pct(v, n, .9), cb_pct(v, n, .95), cb_pct(v, n, .99), n ? v[n - 1] : 0, n);
}

static int cb_count(const ol_buf_t *b, const char *s)
{
    int n = 0;
    size_t k = strlen(s);
    for (const uint8_t *p = b->data, *end = b->data + b->len; p && p + k <= end;) {
        p = memmem(p, (size_t)(end - p), s, k);
        if (p) {
            n++;
            p += k;
        }
    }
    return n;
}

int main(int argc, char **argv)
{
    uint64_t n_spans = 10000000;
    size_t lookups = 500;
    const char *dir = NULL;
    bool keep = false, json = false, reuse = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--spans") && i + 1 < argc) n_spans = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--lookups") && i + 1 < argc) lookups = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc) dir = argv[++i];
        else if (!strcmp(argv[i], "--keep")) keep = true;
        else if (!strcmp(argv[i], "--reuse")) reuse = keep = true;
        else if (!strcmp(argv[i], "--json")) json = true;
        else {
            fprintf(stderr, "usage: correlate_bench [--spans N] [--lookups N] [--dir D] [--keep] [--reuse] [--json]\n");
            return 2;
        }
    }
    ol_log_set_level(OL_LOG_WARN);
    char tmpl[] = "/tmp/olly-correlate-bench-XXXXXX";
    if (!dir) {
        if (!mkdtemp(tmpl)) die("mkdtemp");
        dir = tmpl;
    }
    ol_err_t err = {{0}};
    cb_t cb = {0};
    ol_store_options_t so = {.dir = dir, .fsync = OL_FSYNC_NEVER};
    if (ol_store_open(&so, &cb.s, &err) != OL_OK || ol_store_replay(cb.s) != OL_OK) die(err.msg);
    ol_correlate_options_t co = {.dir = dir};
    if (ol_correlate_create(&co, cb.s, &cb.c, &err) != OL_OK) die(err.msg);
    ol_topology_t *topo;
    if (ol_topo_create_default(0, &topo, &err) != OL_OK) die(err.msg);
    ol_loadgen_batch_t base[CB_BASES];
    for (uint32_t i = 0; i < CB_BASES; i++)
        if (ol_loadgen_batch_build(topo, 42, i, CB_BATCH, &base[i], &err) != OL_OK) die(err.msg);

    bool ingest = !(reuse && cb_load_ids(&cb, dir));
    uint64_t sends = ingest ? (n_spans + CB_BATCH - 1) / CB_BATCH : 0;
    uint64_t t_end0 = ol_now_ns() - sends * CB_STEP_NS - 600 * 1000000000ull;
    uint64_t t0 = ol_mono_ns();
    ol_arena_t *a = ol_arena_create(1 << 20, 0);
    for (uint64_t k = 0; k < sends; k++) {
        ol_loadgen_batch_t *bb = &base[k % CB_BASES];
        ol_loadgen_batch_patch(bb, k + 1, t_end0 + k * CB_STEP_NS);
        cb_batch_ctx_t x = {.send = k};
        cb_send(&cb, OL_SIGNAL_TRACES, ol_slice(bb->data, bb->len), a, cb_collect, &x);
        cb.spans += bb->n_spans;
        cb_logs_metrics(&cb, &x, a);
        ol_arena_reset(a);
        if (k % 200 == 199) {
            ol_correlate_tick(cb.c, 0);
            fprintf(stderr, "\r%llu spans", (unsigned long long)cb.spans);
        }
    }
    double ingest_s = (double)(ol_mono_ns() - t0) / 1e9;
    if (ingest) fprintf(stderr, "\rflushing and letting merges settle...\n");
    if (ingest && ol_store_flush_now(cb.s) != OL_OK) die("flush");
    ol_store_stats_t st, prev = {0};
    for (int i = 0, stable = ingest ? 0 : 10; i < 1200 && stable < 10; i++) { /* no merge for 10 s in a row */
        sleep(1);
        ol_store_stats(cb.s, &st);
        stable = st.parts == prev.parts && st.merges == prev.merges && st.head_spans == 0 ? stable + 1 : 0;
        prev = st;
    }
    ol_store_stats(cb.s, &st);
    if (ingest && keep) cb_save_ids(&cb, dir);
    fprintf(stderr, "%llu parts after %llu merges\n", (unsigned long long)st.parts, (unsigned long long)st.merges);

    /* lookups */
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    double *lat_ex = calloc(lookups + 1, sizeof(double)), *lat_gen = calloc(lookups + 1, sizeof(double));
    double *lat_tl = calloc(lookups + 1, sizeof(double));
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CORE, 0);
    int failures = 0;
    for (int kind = 0; kind < 3; kind++) {
        double *lat = kind == 0 ? lat_ex : kind == 1 ? lat_gen : lat_tl;
        for (size_t i = 0; i <= lookups; i++) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            char id[64];
            const cb_gen_t *g = NULL;
            if (kind != 1) {
                if (!cb.n_flows) die("no flows");
                snprintf(id, sizeof id, "%s", cb.flows[rng % cb.n_flows]);
            } else {
                if (!cb.n_gens) die("no traces without ids");
                g = &cb.gens[rng % cb.n_gens];
                /* independent of the processor: base 36 of the second, FNV-1a + splitmix of the id */
                uint64_t h = 0xcbf29ce484222325ull;
                for (int b = 0; b < 16; b++) h = (h ^ g->tid[b]) * 0x100000001b3ull;
                h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
                h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
                h ^= h >> 31;
                char b36[16];
                int nd = 0;
                for (uint64_t s = g->start_ns / 1000000000ull; s || !nd; s /= 36) b36[nd++] = "0123456789abcdefghijklmnopqrstuvwxyz"[s % 36];
                int n = snprintf(id, sizeof id, "olly-");
                while (nd) id[n++] = b36[--nd];
                snprintf(id + n, sizeof id - (size_t)n, "-%08x", (unsigned)(h >> 32));
            }
            ol_buf_reset(&out);
            uint64_t q0 = ol_mono_ns();
            int rc = ol_correlate_query(cb.c, ol_slice_cstr(id), kind == 2, &out, &err);
            uint64_t q1 = ol_mono_ns();
            if (i) lat[i - 1] = (double)(q1 - q0) / 1e6;
            bool ok = rc == OL_OK;
            if (ok && kind == 0)
                ok = cb_count(&out, "\"generatedId\"") == 3 && cb_count(&out, "confirmation e-mail sent") == 2;
            if (ok && kind == 1) {
                char want[64];
                snprintf(want, sizeof want, "\"spanCount\":%u,", g->spans);
                ok = cb_count(&out, "\"generatedId\"") == 1 && cb_count(&out, want) == 1;
            }
            if (ok && kind == 2) ok = cb_count(&out, "\"kind\":\"log\"") >= 4;
            if (!ok) {
                if (failures++ < 5)
                    fprintf(stderr, "check failed for %s (kind %d, rc %s): %.300s\n", id, kind, ol_rc_str(rc),
                            out.len ? (const char *)out.data : err.msg);
            }
        }
    }
    if (json) printf("{");
    else
        printf("%llu spans, %llu log records in %.1f s (%.0f spans/s); sanitise+observe %.0f ns/item; "
               "%llu parts, %.1f MiB; %zu flows, %zu id-less traces sampled\n",
               (unsigned long long)cb.spans, (unsigned long long)cb.logs, ingest_s, (double)cb.spans / ingest_s,
               (double)cb.pipeline_ns / (double)(cb.spans + cb.logs), (unsigned long long)st.parts,
               (double)st.part_bytes / 1048576.0, cb.n_flows, cb.n_gens);
    cb_report("explicit", lat_ex, lookups, json);
    cb_report("generated", lat_gen, lookups, json);
    cb_report("explicit timeline", lat_tl, lookups, json);
    if (json)
        printf("\"spans\":%llu,\"logs\":%llu,\"ingest_spans_per_s\":%.0f,\"pipeline_ns_per_item\":%.0f,\"parts\":%llu,"
               "\"part_bytes\":%llu,\"failures\":%d}\n",
               (unsigned long long)cb.spans, (unsigned long long)cb.logs, (double)cb.spans / ingest_s,
               (double)cb.pipeline_ns / (double)(cb.spans + cb.logs), (unsigned long long)st.parts,
               (unsigned long long)st.part_bytes, failures);
    else printf("checks: %d failed\n", failures);

    ol_buf_free(&out);
    free(lat_ex);
    free(lat_gen);
    free(lat_tl);
    ol_arena_destroy(a);
    for (uint32_t i = 0; i < CB_BASES; i++) ol_loadgen_batch_free(&base[i]);
    ol_topo_destroy(topo);
    ol_correlate_destroy(cb.c);
    ol_store_close(cb.s);
    ol_free(OL_MEM_CORE, cb.flows, cb.cap_flows * sizeof *cb.flows);
    ol_free(OL_MEM_CORE, cb.gens, cb.cap_gens * sizeof *cb.gens);
    if (!keep) nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    return failures ? 1 : 0;
}
