/*
 * sqldata.c - builds the OTLP requests of the SQL differential test (see
 * sqldata.h). Protobuf is written with codec/pb.h's writer; the load
 * generator's batches come from src/loadgen as `olly loadgen` builds them.
 *
 * Determinism: one xoshiro PRNG (loadgen/spans.h) per source, seeded from
 * the options' seed and a constant per source, so adding records to one
 * source does not change the others.
 */
#include "sqldata.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "codec/compress.h"
#include "codec/otlp_json.h"
#include "codec/pb.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/util.h"
#include "loadgen/spans.h"
#include "loadgen/topology.h"

#define MIN_NS 60000000000ull
#define SEC_NS 1000000000ull

void sd_options_default(sd_options_t *o)
{
    *o = (sd_options_t){.seed = 20261122,
                        .loadgen_batches = 96,
                        .loadgen_batch_spans = 250,
                        .edge_traces = 120,
                        .logs = 3000,
                        .metric_steps = 60,
                        .shared = NULL};
}

void sd_free(sd_dataset_t *d)
{
    for (size_t i = 0; i < d->n; i++) free(d->reqs[i].data);
    free(d->reqs);
    memset(d, 0, sizeof *d);
}

static int sd_add(sd_dataset_t *d, ol_signal_t sig, const ol_buf_t *b, const char *what)
{
    if (b->err) return b->err;
    if (d->n == d->cap) {
        size_t ncap = d->cap ? d->cap * 2 : 256;
        sd_req_t *r = realloc(d->reqs, ncap * sizeof *r);
        if (!r) return OL_NOMEM;
        d->reqs = r;
        d->cap = ncap;
    }
    sd_req_t *r = &d->reqs[d->n];
    r->data = malloc(b->len ? b->len : 1);
    if (!r->data) return OL_NOMEM;
    memcpy(r->data, b->data, b->len);
    r->len = b->len;
    r->sig = sig;
    snprintf(r->what, sizeof r->what, "%s", what);
    d->n++;
    return OL_OK;
}

/* ---- protobuf helpers (OTLP field numbers) ---- */

static void pb_str(ol_buf_t *b, uint32_t f, const char *s) { ol_pb_put_bytes(b, f, ol_slice_cstr(s)); }

/* AnyValue fields: 1 string, 2 bool, 3 int, 4 double, 5 array, 6 kvlist, 7 bytes. */
static void kv_str(ol_buf_t *b, uint32_t f, const char *k, const char *v)
{
    size_t m = ol_pb_begin(b, f);
    pb_str(b, 1, k);
    size_t a = ol_pb_begin(b, 2);
    pb_str(b, 1, v);
    ol_pb_end(b, a);
    ol_pb_end(b, m);
}
static void kv_int(ol_buf_t *b, uint32_t f, const char *k, int64_t v)
{
    size_t m = ol_pb_begin(b, f);
    pb_str(b, 1, k);
    size_t a = ol_pb_begin(b, 2);
    ol_pb_put_uint(b, 3, (uint64_t)v);
    ol_pb_end(b, a);
    ol_pb_end(b, m);
}
static void kv_dbl(ol_buf_t *b, uint32_t f, const char *k, double v)
{
    size_t m = ol_pb_begin(b, f);
    pb_str(b, 1, k);
    size_t a = ol_pb_begin(b, 2);
    ol_pb_put_double(b, 4, v);
    ol_pb_end(b, a);
    ol_pb_end(b, m);
}
static void kv_bool(ol_buf_t *b, uint32_t f, const char *k, bool v)
{
    size_t m = ol_pb_begin(b, f);
    pb_str(b, 1, k);
    size_t a = ol_pb_begin(b, 2);
    ol_pb_put_uint(b, 2, v);
    ol_pb_end(b, a);
    ol_pb_end(b, m);
}
static void kv_bytes(ol_buf_t *b, uint32_t f, const char *k, const void *p, size_t n)
{
    size_t m = ol_pb_begin(b, f);
    pb_str(b, 1, k);
    size_t a = ol_pb_begin(b, 2);
    ol_pb_put_bytes(b, 7, ol_slice(p, n));
    ol_pb_end(b, a);
    ol_pb_end(b, m);
}
/* An array value: ["<b>a&b</b>", 7, 2.5, true, ["x"]] */
static void kv_array(ol_buf_t *b, uint32_t f, const char *k, int variant)
{
    size_t m = ol_pb_begin(b, f);
    pb_str(b, 1, k);
    size_t a = ol_pb_begin(b, 2);
    size_t arr = ol_pb_begin(b, 5);
    size_t v = ol_pb_begin(b, 1);
    pb_str(b, 1, variant ? "plain" : "<b>a&b</b>");
    ol_pb_end(b, v);
    v = ol_pb_begin(b, 1);
    ol_pb_put_uint(b, 3, (uint64_t)(int64_t)(variant ? -7 : 7));
    ol_pb_end(b, v);
    v = ol_pb_begin(b, 1);
    ol_pb_put_double(b, 4, variant ? 1e21 : 2.5);
    ol_pb_end(b, v);
    v = ol_pb_begin(b, 1);
    ol_pb_put_uint(b, 2, 1);
    ol_pb_end(b, v);
    v = ol_pb_begin(b, 1);
    size_t inner = ol_pb_begin(b, 5);
    size_t w = ol_pb_begin(b, 1);
    pb_str(b, 1, "x");
    ol_pb_end(b, w);
    ol_pb_end(b, inner);
    ol_pb_end(b, v);
    ol_pb_end(b, arr);
    ol_pb_end(b, a);
    ol_pb_end(b, m);
}
/* A kvlist value: {"zeta":"z","alpha":{"n":1,"f":0.5},"tag":"\u2028"} (unsorted on the wire). */
static void kv_kvlist(ol_buf_t *b, uint32_t f, const char *k)
{
    size_t m = ol_pb_begin(b, f);
    pb_str(b, 1, k);
    size_t a = ol_pb_begin(b, 2);
    size_t l = ol_pb_begin(b, 6);
    kv_str(b, 1, "zeta", "z");
    size_t e = ol_pb_begin(b, 1);
    pb_str(b, 1, "alpha");
    size_t av = ol_pb_begin(b, 2);
    size_t l2 = ol_pb_begin(b, 6);
    kv_int(b, 1, "n", 1);
    kv_dbl(b, 1, "f", 0.5);
    ol_pb_end(b, l2);
    ol_pb_end(b, av);
    ol_pb_end(b, e);
    kv_str(b, 1, "tag", "line\xe2\x80\xa8sep");
    ol_pb_end(b, l);
    ol_pb_end(b, a);
    ol_pb_end(b, m);
}

static void rand_bytes(ol_loadgen_rng_t *r, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = (uint8_t)ol_loadgen_rng_next(r);
    out[0] |= 1; /* never all zero */
}

static uint32_t below(ol_loadgen_rng_t *r, uint32_t n) { return ol_loadgen_rng_below(r, n); }
static double unit(ol_loadgen_rng_t *r) { return ol_loadgen_rng_unit(r); }

/* ---- fixtures ---- */

static int read_file(const char *path, ol_buf_t *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) return OL_NOTFOUND;
    uint8_t tmp[8192];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) ol_buf_append(out, tmp, n);
    fclose(f);
    return out->err;
}

static int add_fixtures(sd_dataset_t *d, const sd_options_t *o, ol_err_t *err)
{
    static const char *const prefixes[] = {"otlp-http-proto", "otlp-grpc", "otlp-http-json", "otlp-http-proto-gzip",
                                           "otlp-grpc-gzip"};
    static const struct {
        const char *name;
        ol_signal_t sig;
        const ol_pb_msg_t *msg;
    } sigs[] = {{"traces", OL_SIGNAL_TRACES, &ol_pb_ExportTraceServiceRequest},
                {"logs", OL_SIGNAL_LOGS, &ol_pb_ExportLogsServiceRequest},
                {"metrics", OL_SIGNAL_METRICS, &ol_pb_ExportMetricsServiceRequest}};
    const char *shared = o->shared ? o->shared : "../shared";
    ol_buf_t raw, body, tmp;
    ol_buf_init(&raw, OL_MEM_CODEC, 0);
    ol_buf_init(&body, OL_MEM_CODEC, 0);
    ol_buf_init(&tmp, OL_MEM_CODEC, 0);
    int rc = OL_OK;
    for (size_t p = 0; rc == OL_OK && p < OL_ARRAY_LEN(prefixes); p++) {
        for (size_t s = 0; rc == OL_OK && s < OL_ARRAY_LEN(sigs); s++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/fixtures/otlp/%s.%s.body", shared, prefixes[p], sigs[s].name);
            ol_buf_reset(&raw);
            ol_buf_reset(&body);
            ol_buf_reset(&tmp);
            if (read_file(path, &raw) != OL_OK) {
                ol_err_set(err, "cannot read fixture %s (set OLLY_SHARED)", path);
                rc = OL_ERR;
                break;
            }
            ol_slice_t in = ol_buf_slice(&raw);
            bool grpc = strstr(prefixes[p], "grpc") != NULL, gz = strstr(prefixes[p], "gzip") != NULL;
            if (grpc) { /* 5-byte prefix: compressed flag, u32 BE length */
                if (in.len < 5) {
                    ol_err_set(err, "fixture %s: short gRPC frame", path);
                    rc = OL_ERR;
                    break;
                }
                in = ol_slice(in.ptr + 5, in.len - 5);
            }
            if (gz) {
                if (ol_decompress(OL_ENC_GZIP, in, 64u << 20, &tmp, err) != OL_OK) {
                    rc = OL_ERR;
                    break;
                }
                in = ol_buf_slice(&tmp);
            }
            if (strstr(prefixes[p], "json")) {
                ol_arena_t *a = ol_arena_create(1 << 16, 0);
                rc = a ? ol_otlp_json_to_pb(sigs[s].msg, in, a, &body, err) : OL_NOMEM;
                if (a) ol_arena_destroy(a);
                if (rc != OL_OK) break;
            } else {
                ol_buf_append_slice(&body, in);
            }
            char what[48];
            snprintf(what, sizeof what, "fixture %s.%s", prefixes[p], sigs[s].name);
            rc = sd_add(d, sigs[s].sig, &body, what);
        }
    }
    ol_buf_free(&raw);
    ol_buf_free(&body);
    ol_buf_free(&tmp);
    d->fixture_reqs = d->n;
    return rc;
}

/* ---- load generator spans ---- */

/* Seeded end times of the batches, sorted, spread over the window. */
static int add_loadgen(const sd_options_t *o, sd_dataset_t *out_tmp, ol_err_t *err)
{
    ol_topology_t *t = NULL;
    int rc = ol_topo_create_default(ol_topo_default_services(), &t, err);
    if (rc != OL_OK) return rc;
    ol_loadgen_rng_t r;
    ol_loadgen_rng_seed(&r, o->seed ^ 0x6c6f616467656eull);
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CODEC, 0);
    uint64_t window = SD_WINDOW_HOURS * SD_HOUR_NS;
    for (uint32_t i = 0; rc == OL_OK && i < o->loadgen_batches; i++) {
        ol_loadgen_batch_t lb;
        rc = ol_loadgen_batch_build(t, o->seed, i, o->loadgen_batch_spans, &lb, err);
        if (rc != OL_OK) break;
        /* Batch i ends in slot i of the window, at a random point of it (so batches
         * never overlap and the end times are spread evenly but irregularly). */
        uint64_t slot = window / o->loadgen_batches;
        uint64_t end = SD_T0_NS + 10 * SEC_NS + i * slot + (uint64_t)(unit(&r) * (double)(slot - 20 * SEC_NS));
        ol_loadgen_batch_patch(&lb, 0, end);
        ol_buf_reset(&b);
        ol_buf_append(&b, lb.data, lb.len);
        char what[48];
        snprintf(what, sizeof what, "loadgen batch %u", i);
        rc = sd_add(out_tmp, OL_SIGNAL_TRACES, &b, what);
        ol_loadgen_batch_free(&lb);
    }
    ol_buf_free(&b);
    ol_topo_destroy(t);
    return rc;
}

/* ---- hand-built spans ---- */

static const char *const edge_names[] = {
    "GET /items/{id}", "POST /items", "SELECT inventory", "process \"quoted\" job", "na\xc3\xafve \xc3\xbc" "n\xc3\xaf" "code span",
    "percent%_under", "back\\slash", "HTTP GET", "cache.get", "publish orders", "", "UPPER lower MiXeD",
};
static const char *const edge_routes[] = {"/items/{id}", "/items", "/health", "/api/v1/orders/{orderId}", ""};
static const char *const edge_db[] = {"postgresql", "redis", "mysql"};

typedef struct {
    uint8_t trace_id[16], span_id[8];
} span_ref_t;

/* One resource of hand-built spans: `kind_of_service` picks how service.name is given. */
static void edge_resource(ol_buf_t *b, int which)
{
    size_t res = ol_pb_begin(b, 1);
    switch (which) {
    case 0:
        kv_str(b, 1, "service.name", "inventory");
        kv_str(b, 1, "service.version", "2.0.1");
        kv_str(b, 1, "deployment.environment.name", "prod");
        kv_int(b, 1, "process.pid", 4242);
        kv_dbl(b, 1, "host.cpu.ghz", 3.5);
        kv_bool(b, 1, "feature.x", true);
        break;
    case 1: /* no service.name at all */
        kv_str(b, 1, "host.name", "edge-host");
        kv_str(b, 1, "service.version", "0.0.1");
        break;
    case 2: /* service.name that is not a string */
        kv_int(b, 1, "service.name", 123);
        kv_str(b, 1, "deployment.environment.name", "staging");
        break;
    default:
        kv_str(b, 1, "service.name", "billing");
        kv_str(b, 1, "service.version", "1.0.0");
        kv_str(b, 1, "deployment.environment.name", "prod");
        kv_str(b, 1, "cloud.region", "eu-west-1");
        break;
    }
    ol_pb_end(b, res);
}

/* Durations over orders of magnitude, with exact edges. */
static uint64_t edge_duration(ol_loadgen_rng_t *r)
{
    switch (below(r, 10)) {
    case 0: return 0;
    case 1: return 1 + below(r, 999);
    case 2: return (uint64_t)(3 * SD_HOUR_NS / 2) + below(r, 1000); /* 1.5 h */
    default: return (uint64_t)pow(10.0, 3.0 + unit(r) * 7.0);      /* 1 us .. 10 s */
    }
}

/* Start times: mostly uniform over the window, some on and around boundaries. */
static uint64_t edge_start(ol_loadgen_rng_t *r)
{
    uint64_t midnight = SD_T0_NS + 2 * SD_HOUR_NS;
    switch (below(r, 8)) {
    case 0: return midnight - 1 - below(r, 100000000);                        /* the last 0.1 s of the day */
    case 1: return midnight + below(r, 3) * MIN_NS;                          /* exactly on a minute */
    case 2: return SD_T0_NS + (1 + below(r, 4)) * SD_HOUR_NS + below(r, 2); /* on an hour, +0/1 ns */
    case 3: return midnight + 5 * MIN_NS - 1;                                /* 1 ns before 00:05 */
    default: return SD_T0_NS + 60 * SEC_NS + (uint64_t)(unit(r) * (double)(SD_WINDOW_HOURS * SD_HOUR_NS - 3 * SD_HOUR_NS));
    }
}

static void edge_span(ol_buf_t *b, ol_loadgen_rng_t *r, const span_ref_t *self, const uint8_t *parent,
                      const span_ref_t *links, size_t n_links, uint64_t start, uint32_t idx)
{
    size_t sp = ol_pb_begin(b, 2);
    ol_pb_put_bytes(b, 1, ol_slice(self->trace_id, 16));
    ol_pb_put_bytes(b, 2, ol_slice(self->span_id, 8));
    if (below(r, 6) == 0) pb_str(b, 3, below(r, 2) ? "vendor=1" : "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
    if (parent) ol_pb_put_bytes(b, 4, ol_slice(parent, 8));
    pb_str(b, 5, edge_names[below(r, OL_ARRAY_LEN(edge_names))]);
    ol_pb_put_uint(b, 6, below(r, 13) == 0 ? 7 : below(r, 6)); /* 7: a kind ptrace does not name */
    uint64_t dur = edge_duration(r);
    ol_pb_put_fixed64(b, 7, start);
    ol_pb_put_fixed64(b, 8, start + dur);
    /* attributes (field 9) */
    uint32_t k = below(r, 4);
    if (k == 0 || k == 1) {
        kv_str(b, 9, "http.request.method", k ? "POST" : "GET");
        kv_str(b, 9, "http.route", edge_routes[below(r, OL_ARRAY_LEN(edge_routes))]);
        static const int codes[] = {200, 200, 200, 201, 204, 301, 404, 429, 500, 503};
        kv_int(b, 9, "http.response.status_code", codes[below(r, OL_ARRAY_LEN(codes))]);
    } else if (k == 2) {
        kv_str(b, 9, "db.system", edge_db[below(r, OL_ARRAY_LEN(edge_db))]);
        kv_str(b, 9, "db.statement", "SELECT * FROM items WHERE id = $1");
    }
    static const double ratios[] = {0.1, 1e21, 1e-7, 2.5, -0.0, 100.0, 123456789.125, -3.75e-9, 1.0 / 3.0};
    if (below(r, 2)) kv_dbl(b, 9, "ratio", ratios[below(r, OL_ARRAY_LEN(ratios))]);
    if (below(r, 2)) kv_int(b, 9, "retry.count", (int64_t)below(r, 7) - 2);
    if (below(r, 3) == 0) kv_bool(b, 9, "cache.hit", below(r, 2));
    if (below(r, 5) == 0) kv_array(b, 9, "tags", (int)below(r, 2));
    if (below(r, 7) == 0) kv_kvlist(b, 9, "payload");
    if (below(r, 9) == 0) kv_bytes(b, 9, "raw", "\x00\xff\x10olly", 7);
    if (below(r, 6) == 0) kv_str(b, 9, "empty", "");
    if (below(r, 8) == 0) {
        kv_str(b, 9, "dup", "first");
        kv_str(b, 9, "dup", "second");
    }
    if (below(r, 4) == 0) kv_int(b, 9, "big.int", below(r, 2) ? INT64_MAX : INT64_MIN);
    kv_int(b, 9, "edge.seq", idx);
    /* events */
    uint32_t ne = below(r, 4) == 0 ? 1 + below(r, 3) : 0;
    for (uint32_t e = 0; e < ne; e++) {
        size_t ev = ol_pb_begin(b, 11);
        ol_pb_put_fixed64(b, 1, start + (dur ? (uint64_t)(unit(r) * (double)dur) : 0));
        bool exc = below(r, 2);
        pb_str(b, 2, exc ? "exception" : "retry");
        if (exc) {
            kv_str(b, 3, "exception.type", "TimeoutError");
            kv_str(b, 3, "exception.message", "deadline exceeded after 30s");
        } else {
            kv_int(b, 3, "attempt", e + 1);
        }
        ol_pb_end(b, ev);
    }
    /* links */
    for (size_t l = 0; l < n_links; l++) {
        size_t lk = ol_pb_begin(b, 13);
        ol_pb_put_bytes(b, 1, ol_slice(links[l].trace_id, 16));
        ol_pb_put_bytes(b, 2, ol_slice(links[l].span_id, 8));
        if (l == 0) pb_str(b, 3, "k=v");
        kv_str(b, 4, "link.kind", l ? "follows" : "caused-by");
        kv_int(b, 4, "link.n", (int64_t)l);
        ol_pb_end(b, lk);
    }
    /* status */
    uint32_t st = below(r, 10);
    if (st < 7) {
        size_t s = ol_pb_begin(b, 15);
        if (st >= 4) {
            ol_pb_put_uint(b, 3, 2);
            pb_str(b, 2, st == 4 ? "db timeout" : st == 5 ? "upstream 503" : "");
        } else if (st >= 2) {
            ol_pb_put_uint(b, 3, 1);
        }
        ol_pb_end(b, s);
    }
    ol_pb_end(b, sp);
}

static int add_edge_traces(const sd_options_t *o, sd_dataset_t *out, ol_err_t *err)
{
    ol_loadgen_rng_t r;
    ol_loadgen_rng_seed(&r, o->seed ^ 0x65646765ull);
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CODEC, 0);
    span_ref_t prev[8];
    size_t n_prev = 0;
    uint32_t seq = 0;
    int rc = OL_OK;
    /* 8 traces per request, one resource per trace so the four kinds of resource mix. */
    for (uint32_t t0 = 0; rc == OL_OK && t0 < o->edge_traces; t0 += 8) {
        ol_buf_reset(&b);
        for (uint32_t t = t0; t < o->edge_traces && t < t0 + 8; t++) {
            size_t rs = ol_pb_begin(&b, 1);
            int which = (int)(t % 4);
            edge_resource(&b, which);
            size_t ss = ol_pb_begin(&b, 2);
            size_t scope = ol_pb_begin(&b, 1);
            pb_str(&b, 1, which == 3 ? "billing-instrumentation" : "edge-lab");
            if (which != 1) pb_str(&b, 2, "0.9.0");
            ol_pb_end(&b, scope);
            span_ref_t spans[6];
            uint32_t n = 1 + below(&r, 6);
            rand_bytes(&r, spans[0].trace_id, 16);
            uint64_t start = edge_start(&r);
            for (uint32_t i = 0; i < n; i++) {
                memcpy(spans[i].trace_id, spans[0].trace_id, 16);
                rand_bytes(&r, spans[i].span_id, 8);
                const uint8_t *parent = i ? spans[below(&r, i)].span_id : NULL;
                size_t nl = (n_prev && below(&r, 5) == 0) ? 1 + below(&r, 2) : 0;
                span_ref_t links[2];
                for (size_t l = 0; l < nl; l++) links[l] = prev[below(&r, (uint32_t)n_prev)];
                edge_span(&b, &r, &spans[i], parent, links, nl, start + i * 1000003ull, seq++);
            }
            for (uint32_t i = 0; i < n; i++) {
                if (n_prev < OL_ARRAY_LEN(prev)) prev[n_prev++] = spans[i];
                else prev[below(&r, OL_ARRAY_LEN(prev))] = spans[i];
            }
            ol_pb_end(&b, ss);
            if (which == 3) pb_str(&b, 3, "https://opentelemetry.io/schemas/1.26.0");
            ol_pb_end(&b, rs);
        }
        char what[48];
        snprintf(what, sizeof what, "edge traces %u", t0 / 8);
        rc = sd_add(out, OL_SIGNAL_TRACES, &b, what);
    }
    ol_buf_free(&b);
    OL_UNUSED(err);
    return rc;
}

/* ---- logs ---- */

static const char *const log_services[] = {"frontend", "checkout", "cart", "payment", "inventory", NULL};
static const struct {
    int num;
    const char *text;
} severities[] = {{9, "INFO"}, {9, "INFO"}, {9, "Information"}, {5, "DEBUG"}, {1, "TRACE"}, {13, "WARN"},
                  {17, "ERROR"}, {17, "ERROR"}, {21, "FATAL"}, {0, ""}, {10, "INFO2"}, {18, "error"}};

static void log_body(ol_buf_t *b, ol_loadgen_rng_t *r, uint32_t seq)
{
    char msg[200];
    switch (below(r, 12)) {
    case 0: { /* kvlist body */
        size_t a = ol_pb_begin(b, 5);
        size_t l = ol_pb_begin(b, 6);
        kv_str(b, 1, "msg", "structured body");
        kv_int(b, 1, "n", (int64_t)seq);
        kv_bool(b, 1, "ok", below(r, 2));
        ol_pb_end(b, l);
        ol_pb_end(b, a);
        return;
    }
    case 1: { /* int body */
        size_t a = ol_pb_begin(b, 5);
        ol_pb_put_uint(b, 3, (uint64_t)(int64_t)((int)below(r, 2000) - 1000));
        ol_pb_end(b, a);
        return;
    }
    case 2: return; /* no body */
    case 3: snprintf(msg, sizeof msg, "payment failed for order %u: timeout after %ums", 1000 + below(r, 9000), below(r, 30000)); break;
    case 4: snprintf(msg, sizeof msg, "GET /api/cart %u %ums", below(r, 4) ? 200 : 500, below(r, 900)); break;
    case 5: snprintf(msg, sizeof msg, "user %u logged in from 10.0.%u.%u", below(r, 500), below(r, 255), below(r, 255)); break;
    case 6: snprintf(msg, sizeof msg, "cache miss ratio 12%% for key user_%u", below(r, 100)); break;
    case 7: snprintf(msg, sizeof msg, "Connection refused (os error 111) to db-%u:5432", below(r, 3)); break;
    case 8: snprintf(msg, sizeof msg, "retrying request attempt=%u backoff=%.3fs", 1 + below(r, 5), unit(r) * 4); break;
    case 9: snprintf(msg, sizeof msg, "ERROR in handler: NullPointerException at com.shop.Cart.add(Cart.java:%u)", 10 + below(r, 300)); break;
    case 10: snprintf(msg, sizeof msg, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e message \"quoted\" \\ back %u", seq); break;
    default: snprintf(msg, sizeof msg, "order %u shipped", 1000 + below(r, 9000)); break;
    }
    size_t a = ol_pb_begin(b, 5);
    pb_str(b, 1, msg);
    ol_pb_end(b, a);
}

static int add_logs(const sd_options_t *o, sd_dataset_t *out, ol_err_t *err)
{
    ol_loadgen_rng_t r;
    ol_loadgen_rng_seed(&r, o->seed ^ 0x6c6f6773ull);
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CODEC, 0);
    int rc = OL_OK;
    const uint32_t per_req = 100;
    uint64_t window = SD_WINDOW_HOURS * SD_HOUR_NS;
    uint64_t step = window / (o->logs ? o->logs : 1);
    uint64_t t = SD_T0_NS + 7 * SEC_NS;
    for (uint32_t i0 = 0; rc == OL_OK && i0 < o->logs; i0 += per_req) {
        ol_buf_reset(&b);
        /* one ResourceLogs per service present in this request, records in time order */
        uint32_t n = OL_MIN(per_req, o->logs - i0);
        for (size_t svc = 0; svc < OL_ARRAY_LEN(log_services); svc++) {
            size_t rl = ol_pb_begin(&b, 1);
            size_t res = ol_pb_begin(&b, 1);
            if (log_services[svc]) kv_str(&b, 1, "service.name", log_services[svc]);
            kv_str(&b, 1, "host.name", svc % 2 ? "host-a" : "host-b");
            kv_str(&b, 1, "k8s.namespace.name", "shop");
            ol_pb_end(&b, res);
            size_t sl = ol_pb_begin(&b, 2);
            size_t scope = ol_pb_begin(&b, 1);
            char sn[40];
            snprintf(sn, sizeof sn, "logger-%s", log_services[svc] ? log_services[svc] : "none");
            pb_str(&b, 1, sn);
            pb_str(&b, 2, "1.0");
            if (svc == 1) kv_str(&b, 3, "scope.attr", "x");
            ol_pb_end(&b, scope);
            /* records for this service: those of i with i % 6 == svc, each at its own time */
            for (uint32_t i = svc; i < n; i += (uint32_t)OL_ARRAY_LEN(log_services)) {
                uint32_t seq = i0 + i;
                uint64_t ts = t + (uint64_t)seq * step + below(&r, (uint32_t)OL_MIN(step / 2, 4000000000ull));
                size_t lr = ol_pb_begin(&b, 2);
                bool observed_only = below(&r, 25) == 0;
                if (!observed_only) ol_pb_put_fixed64(&b, 1, ts);
                ol_pb_put_fixed64(&b, 11, ts + below(&r, 5000000));
                uint32_t sv = below(&r, OL_ARRAY_LEN(severities));
                if (severities[sv].num) ol_pb_put_uint(&b, 2, (uint64_t)severities[sv].num);
                if (severities[sv].text[0]) pb_str(&b, 3, severities[sv].text);
                log_body(&b, &r, seq);
                kv_int(&b, 6, "log.seq", seq);
                if (below(&r, 2)) kv_int(&b, 6, "http.status_code", below(&r, 5) ? 200 : 503);
                if (below(&r, 3) == 0) kv_str(&b, 6, "user.id", below(&r, 2) ? "u-17" : "u-42");
                if (below(&r, 3) == 0) kv_dbl(&b, 6, "duration_ms", (double)below(&r, 100000) / 8.0);
                if (below(&r, 4) == 0) kv_bool(&b, 6, "retry", below(&r, 2));
                if (below(&r, 5) < 2) {
                    uint8_t tid[16], sid[8];
                    rand_bytes(&r, tid, 16);
                    rand_bytes(&r, sid, 8);
                    ol_pb_put_fixed32(&b, 8, 1);
                    ol_pb_put_bytes(&b, 9, ol_slice(tid, 16));
                    ol_pb_put_bytes(&b, 10, ol_slice(sid, 8));
                }
                if (below(&r, 10) == 0) pb_str(&b, 12, below(&r, 2) ? "session.start" : "browser.click");
                ol_pb_end(&b, lr);
            }
            ol_pb_end(&b, sl);
            if (svc == 2) pb_str(&b, 3, "https://opentelemetry.io/schemas/1.27.0");
            ol_pb_end(&b, rl);
        }
        char what[48];
        snprintf(what, sizeof what, "logs %u", i0 / per_req);
        rc = sd_add(out, OL_SIGNAL_LOGS, &b, what);
    }
    ol_buf_free(&b);
    OL_UNUSED(err);
    return rc;
}

/* ---- metrics ---- */

static const char *const metric_services[] = {"frontend", "checkout", "cart", "payment"};

static void exemplar(ol_buf_t *b, uint32_t field, ol_loadgen_rng_t *r, uint64_t ts, bool as_int)
{
    size_t e = ol_pb_begin(b, field);
    ol_pb_put_fixed64(b, 2, ts - 1000000);
    if (as_int) {
        ol_pb_put_tag(b, 6, 1 /* I64 */);
        uint8_t v[8];
        ol_store_le64(v, (uint64_t)(int64_t)below(r, 1000));
        ol_buf_append(b, v, 8);
    } else {
        ol_pb_put_double(b, 3, unit(r) * 250.0);
    }
    uint8_t tid[16], sid[8];
    rand_bytes(r, tid, 16);
    rand_bytes(r, sid, 8);
    ol_pb_put_bytes(b, 4, ol_slice(sid, 8));
    ol_pb_put_bytes(b, 5, ol_slice(tid, 16));
    kv_str(b, 7, "filtered", "yes");
    ol_pb_end(b, e);
}

static void number_point(ol_buf_t *b, ol_loadgen_rng_t *r, uint64_t start, uint64_t ts, bool as_int, double v,
                         const char *ak, const char *av, bool with_exemplar)
{
    size_t dp = ol_pb_begin(b, 1);
    if (ak) kv_str(b, 7, ak, av);
    if (start) ol_pb_put_fixed64(b, 2, start);
    ol_pb_put_fixed64(b, 3, ts);
    if (as_int) {
        ol_pb_put_tag(b, 6, 1);
        uint8_t x[8];
        ol_store_le64(x, (uint64_t)(int64_t)v);
        ol_buf_append(b, x, 8);
    } else {
        ol_pb_put_double(b, 4, v);
    }
    if (with_exemplar) exemplar(b, 5, r, ts, as_int);
    ol_pb_end(b, dp);
}

static int add_metrics(const sd_options_t *o, sd_dataset_t *out, ol_err_t *err)
{
    ol_loadgen_rng_t r;
    ol_loadgen_rng_seed(&r, o->seed ^ 0x6d657472ull);
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CODEC, 0);
    int rc = OL_OK;
    double counters[4][2] = {{0}};
    uint64_t start0 = SD_T0_NS - 30 * SEC_NS;
    for (uint32_t step = 0; rc == OL_OK && step < o->metric_steps; step++) {
        uint64_t ts = SD_T0_NS + step * 5 * MIN_NS + 15 * SEC_NS + below(&r, 1000) * 1000000ull;
        ol_buf_reset(&b);
        for (uint32_t s = 0; s < OL_ARRAY_LEN(metric_services); s++) {
            size_t rm = ol_pb_begin(&b, 1);
            size_t res = ol_pb_begin(&b, 1);
            kv_str(&b, 1, "service.name", metric_services[s]);
            kv_str(&b, 1, "host.name", s % 2 ? "host-a" : "host-b");
            ol_pb_end(&b, res);
            size_t sm = ol_pb_begin(&b, 2);
            size_t scope = ol_pb_begin(&b, 1);
            pb_str(&b, 1, "meter");
            pb_str(&b, 2, "2.1");
            if (s == 0) {
                kv_str(&b, 3, "meter.attr", "m");
                ol_pb_put_uint(&b, 4, 2); /* dropped_attributes_count */
            }
            ol_pb_end(&b, scope);
            /* gauge, double, per cpu */
            size_t m = ol_pb_begin(&b, 2);
            pb_str(&b, 1, "system.cpu.utilization");
            pb_str(&b, 2, "CPU in use");
            pb_str(&b, 3, "1");
            size_t g = ol_pb_begin(&b, 5);
            for (int cpu = 0; cpu < 2; cpu++)
                number_point(&b, &r, 0, ts, false, unit(&r), "cpu", cpu ? "1" : "0", below(&r, 10) == 0);
            ol_pb_end(&b, g);
            ol_pb_end(&b, m);
            /* gauge, int */
            m = ol_pb_begin(&b, 2);
            pb_str(&b, 1, "queue.depth");
            g = ol_pb_begin(&b, 5);
            number_point(&b, &r, ts - 60 * SEC_NS, ts, true, (double)((int)below(&r, 200) - 20), "queue",
                         below(&r, 2) ? "orders" : "emails", false);
            ol_pb_end(&b, g);
            ol_pb_end(&b, m);
            /* sum, monotonic cumulative int, per route */
            m = ol_pb_begin(&b, 2);
            pb_str(&b, 1, "http.server.request.count");
            pb_str(&b, 2, "requests");
            pb_str(&b, 3, "{request}");
            size_t su = ol_pb_begin(&b, 7);
            for (int rt = 0; rt < 2; rt++) {
                counters[s][rt] += below(&r, 500);
                number_point(&b, &r, start0, ts, true, counters[s][rt], "http.route", rt ? "/cart" : "/checkout",
                             below(&r, 8) == 0);
            }
            ol_pb_put_uint(&b, 2, 2);
            ol_pb_put_uint(&b, 3, 1);
            ol_pb_end(&b, su);
            ol_pb_end(&b, m);
            /* sum, non-monotonic delta double */
            m = ol_pb_begin(&b, 2);
            pb_str(&b, 1, "active.sessions");
            su = ol_pb_begin(&b, 7);
            number_point(&b, &r, ts - 5 * MIN_NS, ts, false, (double)((int)below(&r, 41) - 20) / 4.0, NULL, NULL, false);
            ol_pb_put_uint(&b, 2, 1);
            ol_pb_end(&b, su);
            ol_pb_end(&b, m);
            if (step % 3 == 0) { /* histogram every 15 min */
                static const double bounds[] = {0, 5, 10, 25, 50, 75, 100, 250, 500, 1000};
                m = ol_pb_begin(&b, 2);
                pb_str(&b, 1, "http.server.duration");
                pb_str(&b, 3, "ms");
                size_t h = ol_pb_begin(&b, 9);
                size_t dp = ol_pb_begin(&b, 1);
                kv_str(&b, 9, "http.route", "/checkout");
                ol_pb_put_fixed64(&b, 2, start0);
                ol_pb_put_fixed64(&b, 3, ts);
                uint64_t counts[11], total = 0;
                for (int i = 0; i < 11; i++) total += counts[i] = below(&r, i < 6 ? 40 : 5);
                ol_pb_put_fixed64(&b, 4, total);
                double sum = (double)total * 37.25 + (double)below(&r, 100);
                ol_pb_put_double(&b, 5, sum);
                size_t bc = ol_pb_begin(&b, 6);
                for (int i = 0; i < 11; i++) {
                    uint8_t x[8];
                    ol_store_le64(x, counts[i]);
                    ol_buf_append(&b, x, 8);
                }
                ol_pb_end(&b, bc);
                size_t eb = ol_pb_begin(&b, 7);
                for (size_t i = 0; i < OL_ARRAY_LEN(bounds); i++) {
                    uint8_t x[8];
                    double d = bounds[i];
                    uint64_t bits;
                    memcpy(&bits, &d, 8);
                    ol_store_le64(x, bits);
                    ol_buf_append(&b, x, 8);
                }
                ol_pb_end(&b, eb);
                if (below(&r, 3) == 0) exemplar(&b, 8, &r, ts, false);
                if (step % 2 == 0) {
                    ol_pb_put_double(&b, 11, 0.5);
                    ol_pb_put_double(&b, 12, 1200.0 + below(&r, 100));
                }
                ol_pb_end(&b, dp);
                ol_pb_put_uint(&b, 2, step % 6 ? 2 : 1);
                ol_pb_end(&b, h);
                ol_pb_end(&b, m);
            }
            if (step % 6 == 1) { /* exponential histogram every 30 min */
                m = ol_pb_begin(&b, 2);
                pb_str(&b, 1, "rpc.payload.size");
                pb_str(&b, 3, "By");
                size_t h = ol_pb_begin(&b, 10);
                size_t dp = ol_pb_begin(&b, 1);
                kv_str(&b, 1, "rpc.method", s % 2 ? "GetCart" : "PlaceOrder");
                ol_pb_put_fixed64(&b, 2, start0);
                ol_pb_put_fixed64(&b, 3, ts);
                uint64_t pos[6], neg[2], total = 0, zero = below(&r, 3);
                for (int i = 0; i < 6; i++) total += pos[i] = below(&r, 9);
                for (int i = 0; i < 2; i++) total += neg[i] = below(&r, 2);
                total += zero;
                ol_pb_put_fixed64(&b, 4, total);
                ol_pb_put_double(&b, 5, (double)total * 1024.5);
                ol_pb_put_uint(&b, 6, (uint64_t)((int64_t)(s % 3 + 1) * 2)); /* zigzag of 1..3 */
                ol_pb_put_fixed64(&b, 7, zero);
                size_t bk = ol_pb_begin(&b, 8);
                ol_pb_put_uint(&b, 1, (uint64_t)(40 + s) * 2); /* zigzag */
                size_t bc = ol_pb_begin(&b, 2);
                for (int i = 0; i < 6; i++) ol_pb_put_varint(&b, pos[i]);
                ol_pb_end(&b, bc);
                ol_pb_end(&b, bk);
                bk = ol_pb_begin(&b, 9);
                ol_pb_put_uint(&b, 1, 3); /* zigzag(-2) */
                bc = ol_pb_begin(&b, 2);
                for (int i = 0; i < 2; i++) ol_pb_put_varint(&b, neg[i]);
                ol_pb_end(&b, bc);
                ol_pb_end(&b, bk);
                ol_pb_put_double(&b, 12, -3.0);
                ol_pb_put_double(&b, 13, 65536.0);
                ol_pb_end(&b, dp);
                ol_pb_put_uint(&b, 2, 2);
                ol_pb_end(&b, h);
                ol_pb_end(&b, m);
            }
            if (step % 6 == 2) { /* summary every 30 min */
                m = ol_pb_begin(&b, 2);
                pb_str(&b, 1, "gc.pause");
                pb_str(&b, 3, "s");
                size_t su2 = ol_pb_begin(&b, 11);
                size_t dp = ol_pb_begin(&b, 1);
                kv_str(&b, 7, "gc", "g1");
                ol_pb_put_fixed64(&b, 2, start0);
                ol_pb_put_fixed64(&b, 3, ts);
                uint64_t cnt = 10 + below(&r, 90);
                ol_pb_put_fixed64(&b, 4, cnt);
                ol_pb_put_double(&b, 5, (double)cnt * 0.0125);
                static const double qs[] = {0.0, 0.5, 0.99, 1.0};
                for (size_t q = 0; q < OL_ARRAY_LEN(qs); q++) {
                    size_t vq = ol_pb_begin(&b, 6);
                    ol_pb_put_double(&b, 1, qs[q]);
                    ol_pb_put_double(&b, 2, 0.001 * (double)(q + 1) * (1.0 + unit(&r)));
                    ol_pb_end(&b, vq);
                }
                ol_pb_end(&b, dp);
                ol_pb_end(&b, su2);
                ol_pb_end(&b, m);
            }
            ol_pb_end(&b, sm);
            ol_pb_end(&b, rm);
        }
        char what[48];
        snprintf(what, sizeof what, "metrics %u", step);
        rc = sd_add(out, OL_SIGNAL_METRICS, &b, what);
    }
    ol_buf_free(&b);
    OL_UNUSED(err);
    return rc;
}

/* ---- putting it together ---- */

int sd_build(sd_dataset_t *d, const sd_options_t *o, ol_err_t *err)
{
    memset(d, 0, sizeof *d);
    sd_dataset_t parts[4];
    memset(parts, 0, sizeof parts);
    int rc = add_fixtures(d, o, err);
    if (rc == OL_OK) rc = add_loadgen(o, &parts[0], err);
    if (rc == OL_OK) rc = add_edge_traces(o, &parts[1], err);
    if (rc == OL_OK) rc = add_logs(o, &parts[2], err);
    if (rc == OL_OK) rc = add_metrics(o, &parts[3], err);
    /* Interleave the sources (a share of each in turn, so they end together) so that every
     * flush point cuts through all of them. The requests move; parts[] keep no ownership. */
    size_t pos[4] = {0};
    for (bool any = true; rc == OL_OK && any;) {
        any = false;
        for (int p = 0; p < 4 && rc == OL_OK; p++) {
            size_t take = 1 + parts[p].n / 40;
            for (size_t k = 0; k < take && pos[p] < parts[p].n; k++) {
                if (d->n == d->cap) {
                    size_t ncap = d->cap ? d->cap * 2 : 256;
                    sd_req_t *r = realloc(d->reqs, ncap * sizeof *r);
                    if (!r) {
                        rc = OL_NOMEM;
                        break;
                    }
                    d->reqs = r;
                    d->cap = ncap;
                }
                d->reqs[d->n++] = parts[p].reqs[pos[p]++];
                any = true;
            }
        }
    }
    for (int p = 0; p < 4; p++) {
        if (rc != OL_OK) /* not moved yet: free what remains */
            for (size_t i = pos[p]; i < parts[p].n; i++) free(parts[p].reqs[i].data);
        free(parts[p].reqs);
    }
    if (rc == OL_NOMEM) ol_err_set(err, "out of memory building the test data");
    if (rc != OL_OK) sd_free(d);
    return rc;
}
