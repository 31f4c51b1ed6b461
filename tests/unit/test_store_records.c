/*
 * test_store_records.c - logs and metrics parts (store/col/records.h): the
 * records the JS SDK sent (fixtures) and synthetic ones come back byte for
 * byte with their origins once the granule payloads are decoded like WAL
 * records; empty parts; more rows than a granule; time-range pruning and
 * early stop; metrics whose points span widely; and damage of any kind is
 * OL_CORRUPT, never a crash or a misread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec/otlp.h"
#include "codec/pb.h"
#include "core/arena.h"
#include "core/util.h"
#include "store/col/records.h"
#include "test.h"

static char g_dir[256];

static const char *tmp_path(const char *name)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", g_dir, name);
    return p;
}

static unsigned char *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    *n = fread(b, 1, (size_t)len, f);
    fclose(f);
    return b;
}

static void write_file(const char *path, const unsigned char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (n) fwrite(b, 1, n, f);
    fclose(f);
}

/* ---- Building requests ---- */

static void put_msg(ol_buf_t *b, uint32_t field, ol_buf_t *inner)
{
    ol_pb_put_bytes(b, field, ol_buf_slice(inner));
    ol_buf_reset(inner);
}

static void put_kv_str(ol_buf_t *b, uint32_t field, const char *k, const char *v)
{
    ol_buf_t av, kv;
    ol_buf_init(&av, OL_MEM_CORE, 0);
    ol_buf_init(&kv, OL_MEM_CORE, 0);
    ol_pb_put_bytes(&av, 1, ol_slice_cstr(v));
    ol_pb_put_bytes(&kv, 1, ol_slice_cstr(k));
    put_msg(&kv, 2, &av);
    put_msg(b, field, &kv);
    ol_buf_free(&av);
    ol_buf_free(&kv);
}

/* Resource variants: 0 a service, 1 no Resource field at all, 2 an empty
 * Resource message, 3 another service with a schema url. */
static void put_resource(ol_buf_t *rx, int variant)
{
    ol_buf_t res;
    ol_buf_init(&res, OL_MEM_CORE, 0);
    if (variant == 0 || variant == 3) {
        put_kv_str(&res, 1, "service.name", variant == 0 ? "checkout" : "payments");
        put_kv_str(&res, 1, "host.name", "host-1");
        put_msg(rx, 1, &res);
    } else if (variant == 2) {
        ol_pb_put_bytes(rx, 1, OL_SLICE_NULL);
    }
    ol_buf_free(&res);
}

/* Scope variants: 0 named scope with a schema url, 1 none, 2 empty. */
static void put_scope_head(ol_buf_t *sx, int variant)
{
    if (variant == 0) {
        ol_buf_t sc;
        ol_buf_init(&sc, OL_MEM_CORE, 0);
        ol_pb_put_bytes(&sc, 1, OL_SLICE_LIT("lib"));
        ol_pb_put_bytes(&sc, 2, OL_SLICE_LIT("1.0"));
        put_msg(sx, 1, &sc);
        ol_buf_free(&sc);
    } else if (variant == 2) {
        ol_pb_put_bytes(sx, 1, OL_SLICE_NULL);
    }
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

#define T0 1700000000000000000ULL

/* One LogRecord; seed picks its shape. */
static void put_log(ol_buf_t *b, uint64_t seed, size_t pad)
{
    ol_buf_t lr, av;
    ol_buf_init(&lr, OL_MEM_CORE, 0);
    ol_buf_init(&av, OL_MEM_CORE, 0);
    uint64_t t = T0 + mix(seed) % 3600000000000ULL;
    if (seed % 7 != 3) ol_pb_put_fixed64(&lr, 1, t); /* no time: the observed time orders it */
    if (seed % 5) ol_pb_put_uint(&lr, 2, seed % 11 == 0 ? 300 : seed % 25);
    ol_pb_put_bytes(&lr, 3, seed % 2 ? OL_SLICE_LIT("INFO") : OL_SLICE_LIT("ERROR"));
    char text[64];
    snprintf(text, sizeof text, "request %llu handled", (unsigned long long)(seed % 977));
    ol_pb_put_bytes(&av, 1, ol_slice_cstr(text));
    put_msg(&lr, 5, &av);
    put_kv_str(&lr, 6, "http.route", seed % 3 ? "/cart" : "/pay");
    if (seed % 4 == 0) {
        uint8_t id[16];
        for (int i = 0; i < 16; i++) id[i] = (uint8_t)(mix(seed / 4 + (uint64_t)i) | 1);
        ol_pb_put_fixed32(&lr, 8, 1);
        ol_pb_put_bytes(&lr, 9, ol_slice(id, 16));
        ol_pb_put_bytes(&lr, 10, ol_slice(id, 8));
    } else if (seed % 9 == 1) {
        ol_pb_put_bytes(&lr, 9, OL_SLICE_LIT("short")); /* invalid: kept, unlinked */
    }
    ol_pb_put_fixed64(&lr, 11, t + 1000);
    if (seed % 13 == 0) ol_pb_put_bytes(&lr, 12, OL_SLICE_LIT("browser.click"));
    if (seed % 17 == 0) ol_pb_put_bytes(&lr, 99, OL_SLICE_LIT("an unknown field"));
    if (pad) {
        char *p = malloc(pad);
        for (size_t i = 0; i < pad; i++) p[i] = (char)('a' + (mix(seed + i) % 26));
        put_kv_str(&lr, 6, "pad", "");
        ol_buf_t kv;
        ol_buf_init(&kv, OL_MEM_CORE, 0);
        ol_pb_put_bytes(&kv, 1, OL_SLICE_LIT("blob"));
        ol_pb_put_bytes(&av, 1, ol_slice(p, pad));
        put_msg(&kv, 2, &av);
        put_msg(&lr, 6, &kv);
        ol_buf_free(&kv);
        free(p);
    }
    put_msg(b, 2, &lr);
    ol_buf_free(&lr);
    ol_buf_free(&av);
}

/* An ExportLogsServiceRequest of n records spread over every resource and scope variant. */
static void build_logs(ol_buf_t *req, size_t n, size_t pad)
{
    for (int rv = 0; rv < 4; rv++) {
        ol_buf_t rx, sx;
        ol_buf_init(&rx, OL_MEM_CORE, 0);
        ol_buf_init(&sx, OL_MEM_CORE, 0);
        put_resource(&rx, rv);
        for (int sv = 0; sv < 3; sv++) {
            put_scope_head(&sx, sv);
            for (size_t i = (size_t)(rv * 3 + sv); i < n; i += 12) put_log(&sx, i, pad);
            if (sv == 0) ol_pb_put_bytes(&sx, 3, OL_SLICE_LIT("https://opentelemetry.io/schemas/1.26.0"));
            put_msg(&rx, 2, &sx);
        }
        if (rv == 3) ol_pb_put_bytes(&rx, 3, OL_SLICE_LIT("https://opentelemetry.io/schemas/1.27.0"));
        put_msg(req, 1, &rx);
        ol_buf_free(&rx);
        ol_buf_free(&sx);
    }
}

/* A data point with time t (field 3), of the shape `type` wants. */
static void put_point(ol_buf_t *data, int type, uint64_t t, uint64_t seed)
{
    ol_buf_t dp;
    ol_buf_init(&dp, OL_MEM_CORE, 0);
    ol_pb_put_fixed64(&dp, 2, T0 - 1000);
    ol_pb_put_fixed64(&dp, 3, t);
    if (type == 5 || type == 7) {
        ol_pb_put_double(&dp, 4, (double)(seed % 1000) / 8.0);
        put_kv_str(&dp, 7, "http.method", seed % 2 ? "GET" : "POST");
    } else {
        ol_pb_put_fixed64(&dp, 4, seed % 50);
        ol_pb_put_double(&dp, 5, 12.5);
    }
    put_msg(data, 1, &dp);
    ol_buf_free(&dp);
}

static const char *const metric_names[] = {"http.server.duration", "queue.depth", "process.cpu.utilization",
                                           "active.sessions", "rpc.payload.size", "z.last"};

/* One Metric; seed picks its name, type and points. A metric with seed % 50
 * == 7 has points a long way apart; seed % 61 == 5 has no points. */
static void put_metric(ol_buf_t *b, uint64_t seed)
{
    static const int types[] = {5, 7, 9, 10, 11};
    int type = types[seed % 5];
    ol_buf_t m, data;
    ol_buf_init(&m, OL_MEM_CORE, 0);
    ol_buf_init(&data, OL_MEM_CORE, 0);
    ol_pb_put_bytes(&m, 1, ol_slice_cstr(metric_names[seed % OL_ARRAY_LEN(metric_names)]));
    if (seed % 3) ol_pb_put_bytes(&m, 2, OL_SLICE_LIT("a description"));
    ol_pb_put_bytes(&m, 3, OL_SLICE_LIT("ms"));
    uint64_t t = T0 + mix(seed) % 3600000000000ULL;
    if (seed % 61 != 5) {
        if (seed % 50 == 7) {
            put_point(&data, type, 1000000000ULL, seed);
            put_point(&data, type, T0 + 3600000000000ULL * 1000, seed);
        } else {
            for (uint64_t k = 0; k < 1 + seed % 4; k++) put_point(&data, type, t + k * 10000000000ULL, seed + k);
        }
    }
    if (type == 7) {
        ol_pb_put_uint(&data, 2, 2);
        ol_pb_put_uint(&data, 3, 1);
    }
    put_msg(&m, (uint32_t)type, &data);
    put_msg(b, 2, &m);
    ol_buf_free(&m);
    ol_buf_free(&data);
}

static void build_metrics(ol_buf_t *req, size_t n)
{
    for (int rv = 0; rv < 4; rv++) {
        ol_buf_t rx, sx;
        ol_buf_init(&rx, OL_MEM_CORE, 0);
        ol_buf_init(&sx, OL_MEM_CORE, 0);
        put_resource(&rx, rv);
        for (int sv = 0; sv < 3; sv++) {
            put_scope_head(&sx, sv);
            for (size_t i = (size_t)(rv * 3 + sv); i < n; i += 12) put_metric(&sx, i);
            put_msg(&rx, 2, &sx);
        }
        put_msg(req, 1, &rx);
        ol_buf_free(&rx);
        ol_buf_free(&sx);
    }
}

/* ---- Reading back ---- */

/* An item (log or metric) with everything compared. */
typedef struct item {
    ol_slice_t raw;
    const ol_otlp_origin_t *o;
    const ol_otlp_log_t *l;
    const ol_otlp_metric_t *m;
} item_t;

typedef struct got {
    ol_signal_t sig;
    ol_arena_t *a;
    item_t *items;
    size_t n, cap;
    size_t calls;
    uint64_t min_seen, max_seen; /* granule ranges passed to fn */
    int stop_after;              /* fn returns `stop_rc` after this many calls (0 = never) */
    int stop_rc;
    int decode_rc;
} got_t;

static int got_payload(void *ud, ol_slice_t payload, uint64_t min_ns, uint64_t max_ns)
{
    got_t *g = ud;
    g->calls++;
    if (g->calls == 1 || min_ns < g->min_seen) g->min_seen = min_ns;
    if (g->calls == 1 || max_ns > g->max_seen) g->max_seen = max_ns;
    /* The payload dies with the call: decode a copy that lives in the arena. */
    uint8_t *copy = ol_arena_memdup(g->a, payload.ptr ? payload.ptr : (const uint8_t *)"", payload.len);
    ol_otlp_batch_t b;
    ol_err_t err = {0};
    int rc = ol_otlp_decode(g->sig, ol_slice(copy, payload.len), g->a, &b, &err);
    if (rc) {
        fprintf(stderr, "  payload does not decode: %s\n", err.msg);
        g->decode_rc = rc;
        return rc;
    }
    size_t n = g->sig == OL_SIGNAL_LOGS ? b.n_logs : b.n_metrics;
    if (g->n + n > g->cap) {
        g->cap = (g->n + n) * 2;
        g->items = realloc(g->items, g->cap * sizeof *g->items);
    }
    for (size_t i = 0; i < n; i++) {
        item_t *it = &g->items[g->n++];
        memset(it, 0, sizeof *it);
        if (g->sig == OL_SIGNAL_LOGS) {
            it->l = &b.logs[i];
            it->raw = b.logs[i].raw;
            it->o = b.logs[i].origin;
            uint64_t t = it->l->time_ns ? it->l->time_ns : it->l->observed_ns;
            if (t < min_ns || t > max_ns) g->decode_rc = OL_ERR; /* outside its granule's range */
        } else {
            it->m = &b.metrics[i];
            it->raw = b.metrics[i].raw;
            it->o = b.metrics[i].origin;
            if (it->m->min_time_ns < min_ns || it->m->max_time_ns > max_ns) g->decode_rc = OL_ERR;
        }
    }
    if (g->stop_after && (int)g->calls >= g->stop_after) return g->stop_rc;
    return OL_OK;
}

static int slice_cmp(ol_slice_t a, ol_slice_t b)
{
    size_t k = OL_MIN(a.len, b.len);
    int c = k ? memcmp(a.ptr, b.ptr, k) : 0;
    if (c) return c;
    return a.len < b.len ? -1 : a.len > b.len;
}

static int item_cmp(const void *pa, const void *pb)
{
    const item_t *a = pa, *b = pb;
    int c = slice_cmp(a->raw, b->raw);
    if (!c) c = slice_cmp(a->o->resource, b->o->resource);
    if (!c) c = slice_cmp(a->o->resource_schema_url, b->o->resource_schema_url);
    if (!c) c = slice_cmp(a->o->scope, b->o->scope);
    if (!c) c = slice_cmp(a->o->scope_schema_url, b->o->scope_schema_url);
    if (!c) c = (a->o->resource.ptr != NULL) - (b->o->resource.ptr != NULL);
    if (!c) c = (a->o->scope.ptr != NULL) - (b->o->scope.ptr != NULL);
    return c;
}

static bool same_item(const item_t *a, const item_t *b)
{
    bool ok = ol_slice_eq(a->raw, b->raw) && ol_slice_eq(a->o->resource, b->o->resource) &&
              (a->o->resource.ptr != NULL) == (b->o->resource.ptr != NULL) &&
              ol_slice_eq(a->o->resource_schema_url, b->o->resource_schema_url) &&
              ol_slice_eq(a->o->scope, b->o->scope) && (a->o->scope.ptr != NULL) == (b->o->scope.ptr != NULL) &&
              ol_slice_eq(a->o->scope_schema_url, b->o->scope_schema_url) &&
              ol_slice_eq(a->o->service_name, b->o->service_name);
    if (a->l)
        ok = ok && a->l->time_ns == b->l->time_ns && a->l->observed_ns == b->l->observed_ns &&
             a->l->severity_number == b->l->severity_number && ol_slice_eq(a->l->trace_id, b->l->trace_id) &&
             ol_slice_eq(a->l->span_id, b->l->span_id) && ol_slice_eq(a->l->body, b->l->body) &&
             ol_slice_eq(a->l->severity_text, b->l->severity_text) && ol_slice_eq(a->l->event_name, b->l->event_name);
    if (a->m)
        ok = ok && ol_slice_eq(a->m->name, b->m->name) && a->m->type == b->m->type &&
             a->m->n_points == b->m->n_points && a->m->min_time_ns == b->m->min_time_ns &&
             a->m->max_time_ns == b->m->max_time_ns && a->m->valid == b->m->valid;
    return ok;
}

/* Every input item comes back exactly once with everything equal. */
static void check_same_items(const ol_otlp_batch_t *in, got_t *g)
{
    size_t n = in->signal == OL_SIGNAL_LOGS ? in->n_logs : in->n_metrics;
    CHECK_EQ_INT(g->n, n);
    if (g->n != n) return;
    item_t *want = calloc(n ? n : 1, sizeof *want);
    for (size_t i = 0; i < n; i++) {
        if (in->signal == OL_SIGNAL_LOGS) want[i] = (item_t){in->logs[i].raw, in->logs[i].origin, &in->logs[i], NULL};
        else want[i] = (item_t){in->metrics[i].raw, in->metrics[i].origin, NULL, &in->metrics[i]};
    }
    qsort(want, n, sizeof *want, item_cmp);
    qsort(g->items, n, sizeof *g->items, item_cmp);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        if (!same_item(&g->items[i], &want[i])) {
            if (bad++ < 3) fprintf(stderr, "  item %zu differs (%zu vs %zu raw bytes)\n", i, g->items[i].raw.len, want[i].raw.len);
        }
    CHECK_EQ_INT(bad, 0);
    free(want);
}

static void got_init(got_t *g, ol_signal_t sig)
{
    memset(g, 0, sizeof *g);
    g->sig = sig;
    g->a = ol_arena_create(1 << 16, 0);
}

static void got_free(got_t *g)
{
    free(g->items);
    ol_arena_destroy(g->a);
    memset(g, 0, sizeof *g);
}

static int write_batch(const ol_otlp_batch_t *b, const char *path, uint64_t id, ol_part_info_t *info, ol_err_t *err)
{
    unlink(path);
    size_t n = b->signal == OL_SIGNAL_LOGS ? b->n_logs : b->n_metrics;
    const void **in = malloc((n ? n : 1) * sizeof *in);
    for (size_t i = 0; i < n; i++) in[i] = b->signal == OL_SIGNAL_LOGS ? (const void *)&b->logs[i] : (const void *)&b->metrics[i];
    int rc = b->signal == OL_SIGNAL_LOGS
                 ? ol_part_write_logs(NULL, path, id, 11, (const ol_otlp_log_t *const *)in, n, info, err)
                 : ol_part_write_metrics(NULL, path, id, 11, (const ol_otlp_metric_t *const *)in, n, info, err);
    free(in);
    return rc;
}

/* Writes the batch as a part, checks info, verify, and that every item comes back. Returns the open part. */
static ol_part_t *roundtrip(const ol_otlp_batch_t *b, const char *name)
{
    ol_err_t err = {0};
    ol_part_info_t info;
    const char *path = tmp_path(name);
    size_t n = b->signal == OL_SIGNAL_LOGS ? b->n_logs : b->n_metrics;
    uint64_t raw_bytes = 0;
    for (size_t i = 0; i < n; i++) raw_bytes += b->signal == OL_SIGNAL_LOGS ? b->logs[i].raw.len : b->metrics[i].raw.len;
    int rc = write_batch(b, path, 5, &info, &err);
    CHECK_EQ_INT(rc, OL_OK);
    if (rc) {
        fprintf(stderr, "  %s\n", err.msg);
        return NULL;
    }
    CHECK_EQ_INT(info.rows, n);
    CHECK_EQ_INT(info.signal, b->signal);
    CHECK_EQ_INT(info.input_bytes, raw_bytes);
    ol_part_t *p = NULL;
    CHECK_EQ_INT(ol_part_open(NULL, path, &p, &err), OL_OK);
    if (!p) return NULL;
    CHECK_EQ_INT(ol_part_info(p)->rows, n);
    CHECK_EQ_INT(ol_part_info(p)->wal_segment, 11);
    CHECK_EQ_INT(ol_part_info(p)->input_bytes, raw_bytes);
    CHECK_EQ_INT(ol_part_verify(p, &err), OL_OK);
    rc = ol_part_verify_records(p, &err);
    CHECK_EQ_INT(rc, OL_OK);
    if (rc) fprintf(stderr, "  verify: %s\n", err.msg);
    got_t g;
    got_init(&g, b->signal);
    CHECK_EQ_INT(ol_part_read_payloads(p, 0, UINT64_MAX, got_payload, &g, &err), OL_OK);
    CHECK_EQ_INT(g.decode_rc, OL_OK);
    CHECK_EQ_INT(g.calls, ol_part_info(p)->granules);
    check_same_items(b, &g);
    got_free(&g);
    return p;
}

/* The bare protobuf request of a fixture (the gRPC one without its 5-byte prefix). */
static unsigned char *load_fixture(const char *transport, const char *signal, ol_slice_t *pb)
{
    char rel[256];
    size_t n = 0;
    snprintf(rel, sizeof rel, "otlp/%s.%s.body", transport, signal);
    unsigned char *raw = ol_test_fixture(rel, &n);
    CHECK(raw != NULL);
    if (!raw) return NULL;
    size_t skip = strcmp(transport, "otlp-grpc") == 0 ? 5 : 0;
    *pb = ol_slice(raw + skip, n - skip);
    return raw;
}

static void fixture_roundtrip(ol_signal_t sig, const char *transport, const char *part, size_t want)
{
    ol_slice_t pb;
    unsigned char *raw = load_fixture(transport, ol_signal_name(sig), &pb);
    if (!raw) return;
    ol_arena_t *a = ol_arena_create(1 << 16, 0);
    ol_otlp_batch_t b;
    ol_err_t err = {0};
    CHECK_EQ_INT(ol_otlp_decode(sig, pb, a, &b, &err), OL_OK);
    CHECK_EQ_INT(sig == OL_SIGNAL_LOGS ? b.n_logs : b.n_metrics, want);
    ol_part_close(roundtrip(&b, part));
    ol_arena_destroy(a);
    free(raw);
}

static void test_logs_fixtures(void)
{
    fixture_roundtrip(OL_SIGNAL_LOGS, "otlp-http-proto", "logs-fixture.olp", 2);
    fixture_roundtrip(OL_SIGNAL_LOGS, "otlp-grpc", "logs-fixture-grpc.olp", 2);
}

static void test_metrics_fixtures(void)
{
    fixture_roundtrip(OL_SIGNAL_METRICS, "otlp-http-proto", "metrics-fixture.olp", 6);
    fixture_roundtrip(OL_SIGNAL_METRICS, "otlp-grpc", "metrics-fixture-grpc.olp", 6);
}

static void test_empty(void)
{
    ol_err_t err = {0};
    ol_part_info_t info;
    const ol_otlp_log_t *no_logs[1];
    const ol_otlp_metric_t *no_metrics[1];
    const char *paths[2] = {"empty-logs.olp", "empty-metrics.olp"};
    for (int k = 0; k < 2; k++) {
        char path[512];
        snprintf(path, sizeof path, "%s", tmp_path(paths[k]));
        unlink(path);
        int rc = k == 0 ? ol_part_write_logs(NULL, path, 1, 0, no_logs, 0, &info, &err)
                        : ol_part_write_metrics(NULL, path, 1, 0, no_metrics, 0, &info, &err);
        CHECK_EQ_INT(rc, OL_OK);
        CHECK_EQ_INT(info.rows, 0);
        CHECK_EQ_INT(info.granules, 0);
        CHECK_EQ_INT(info.signal, k == 0 ? OL_SIGNAL_LOGS : OL_SIGNAL_METRICS);
        ol_part_t *p = NULL;
        CHECK_EQ_INT(ol_part_open(NULL, path, &p, &err), OL_OK);
        if (!p) continue;
        CHECK_EQ_INT(ol_part_verify_records(p, &err), OL_OK);
        got_t g;
        got_init(&g, k == 0 ? OL_SIGNAL_LOGS : OL_SIGNAL_METRICS);
        CHECK_EQ_INT(ol_part_read_payloads(p, 0, UINT64_MAX, got_payload, &g, &err), OL_OK);
        CHECK_EQ_INT(g.calls, 0);
        got_free(&g);
        ol_part_close(p);
        /* the file exists now: a second write refuses to replace it */
        rc = k == 0 ? ol_part_write_logs(NULL, path, 1, 0, no_logs, 0, &info, &err)
                    : ol_part_write_metrics(NULL, path, 1, 0, no_metrics, 0, &info, &err);
        CHECK(rc != OL_OK);
    }
}

/* Records whose time is in [lo, hi] (the effective time) among the batch. */
static size_t logs_in(const ol_otlp_batch_t *b, uint64_t lo, uint64_t hi)
{
    size_t n = 0;
    for (size_t i = 0; i < b->n_logs; i++) {
        uint64_t t = b->logs[i].time_ns ? b->logs[i].time_ns : b->logs[i].observed_ns;
        n += t >= lo && t <= hi;
    }
    return n;
}

static void test_logs_many_granules(void)
{
    size_t n = 20000;
    ol_buf_t req;
    ol_buf_init(&req, OL_MEM_CORE, 0);
    build_logs(&req, n, 0);
    ol_arena_t *a = ol_arena_create(1 << 20, 0);
    ol_otlp_batch_t b;
    ol_err_t err = {0};
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_LOGS, ol_buf_slice(&req), a, &b, &err), OL_OK);
    CHECK_EQ_INT(b.n_logs, n);
    ol_part_t *p = roundtrip(&b, "logs-many.olp");
    if (p) {
        const ol_part_info_t *in = ol_part_info(p);
        CHECK_EQ_INT(in->granules, 3);
        /* granules are in time order and tile the part's range */
        for (uint32_t gi = 0; gi < in->granules; gi++) {
            const ol_part_granule_info_t *g = ol_part_granule(p, gi);
            CHECK(g->rows <= OL_PART_GRANULE_ROWS);
            CHECK(g->min_time_ns <= g->max_time_ns);
            if (gi) CHECK(ol_part_granule(p, gi - 1)->max_time_ns <= g->min_time_ns);
            /* linked records give the granule a trace-id range */
            CHECK(memcmp(g->first_trace_id, g->last_trace_id, 16) < 0);
        }
        /* Pruning: a window inside the middle granule reads that granule only, and every record in it is there. */
        const ol_part_granule_info_t *mid = ol_part_granule(p, 1);
        uint64_t lo = mid->min_time_ns + 1, hi = mid->max_time_ns - 1;
        got_t g;
        got_init(&g, OL_SIGNAL_LOGS);
        CHECK_EQ_INT(ol_part_read_payloads(p, lo, hi, got_payload, &g, &err), OL_OK);
        CHECK_EQ_INT(g.calls, 1);
        CHECK_EQ_INT(g.decode_rc, OL_OK);
        size_t inside = 0;
        for (size_t i = 0; i < g.n; i++) {
            uint64_t t = g.items[i].l->time_ns ? g.items[i].l->time_ns : g.items[i].l->observed_ns;
            inside += t >= lo && t <= hi;
        }
        CHECK_EQ_INT(inside, logs_in(&b, lo, hi));
        got_free(&g);
        /* A window touching the end of granule 0 and the start of granule 1 reads both (bounds inclusive). */
        got_init(&g, OL_SIGNAL_LOGS);
        CHECK_EQ_INT(ol_part_read_payloads(p, ol_part_granule(p, 0)->max_time_ns, mid->min_time_ns, got_payload, &g, &err), OL_OK);
        CHECK_EQ_INT(g.calls, 2);
        got_free(&g);
        /* Before and after everything: nothing. */
        got_init(&g, OL_SIGNAL_LOGS);
        CHECK_EQ_INT(ol_part_read_payloads(p, 0, in->min_time_ns - 1, got_payload, &g, &err), OL_OK);
        CHECK_EQ_INT(ol_part_read_payloads(p, in->max_time_ns + 1, UINT64_MAX, got_payload, &g, &err), OL_OK);
        CHECK_EQ_INT(g.calls, 0);
        got_free(&g);
        /* fn returning 1 stops with OL_OK; any other code stops and comes back. */
        got_init(&g, OL_SIGNAL_LOGS);
        g.stop_after = 1;
        g.stop_rc = 1;
        CHECK_EQ_INT(ol_part_read_payloads(p, 0, UINT64_MAX, got_payload, &g, &err), OL_OK);
        CHECK_EQ_INT(g.calls, 1);
        got_free(&g);
        got_init(&g, OL_SIGNAL_LOGS);
        g.stop_after = 2;
        g.stop_rc = OL_LIMIT;
        CHECK_EQ_INT(ol_part_read_payloads(p, 0, UINT64_MAX, got_payload, &g, &err), OL_LIMIT);
        CHECK_EQ_INT(g.calls, 2);
        got_free(&g);
        ol_part_close(p);
    }
    ol_arena_destroy(a);
    ol_buf_free(&req);
}

static void test_logs_granule_bytes(void)
{
    /* 2,500 records of ~5 KB: fewer rows than a granule, but more bytes. */
    size_t n = 2500;
    ol_buf_t req;
    ol_buf_init(&req, OL_MEM_CORE, 0);
    build_logs(&req, n, 5000);
    ol_arena_t *a = ol_arena_create(1 << 20, 0);
    ol_otlp_batch_t b;
    ol_err_t err = {0};
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_LOGS, ol_buf_slice(&req), a, &b, &err), OL_OK);
    ol_part_t *p = roundtrip(&b, "logs-big.olp");
    if (p) {
        CHECK(ol_part_info(p)->granules >= 2);
        ol_part_close(p);
    }
    ol_arena_destroy(a);
    ol_buf_free(&req);
}

static void test_metrics_many_granules(void)
{
    size_t n = 9000;
    ol_buf_t req;
    ol_buf_init(&req, OL_MEM_CORE, 0);
    build_metrics(&req, n);
    ol_arena_t *a = ol_arena_create(1 << 20, 0);
    ol_otlp_batch_t b;
    ol_err_t err = {0};
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_METRICS, ol_buf_slice(&req), a, &b, &err), OL_OK);
    CHECK_EQ_INT(b.n_metrics, n);
    ol_part_t *p = roundtrip(&b, "metrics-many.olp");
    if (p) {
        const ol_part_info_t *in = ol_part_info(p);
        CHECK_EQ_INT(in->granules, 2);
        /* Wide metrics: points at 1 s after the epoch and ~1,000 hours after T0 widen their granule. */
        CHECK_EQ_INT(in->min_time_ns, 0); /* metrics without points count as time 0 */
        CHECK_EQ_INT(in->max_time_ns, T0 + 3600000000000ULL * 1000);
        /* A window around the far point finds every wide metric and only them among the matches. */
        uint64_t far = T0 + 3600000000000ULL * 1000;
        got_t g;
        got_init(&g, OL_SIGNAL_METRICS);
        CHECK_EQ_INT(ol_part_read_payloads(p, far, far, got_payload, &g, &err), OL_OK);
        CHECK_EQ_INT(g.decode_rc, OL_OK);
        size_t wide = 0, want = 0;
        for (size_t i = 0; i < g.n; i++) wide += g.items[i].m->max_time_ns == far;
        for (size_t i = 0; i < b.n_metrics; i++) want += b.metrics[i].max_time_ns == far;
        CHECK(want > 0);
        CHECK_EQ_INT(wide, want);
        got_free(&g);
        /* the rows of a granule are in (name, min time) order: the payload keeps that order within each origin */
        got_init(&g, OL_SIGNAL_METRICS);
        CHECK_EQ_INT(ol_part_read_payloads(p, 0, UINT64_MAX, got_payload, &g, &err), OL_OK);
        size_t disorder = 0;
        for (size_t i = 1; i < g.n; i++) {
            const ol_otlp_metric_t *x = g.items[i - 1].m, *y = g.items[i].m;
            if (g.items[i - 1].o != g.items[i].o) continue;
            int c = slice_cmp(x->name, y->name);
            if (c > 0 || (c == 0 && x->min_time_ns > y->min_time_ns)) disorder++;
        }
        CHECK_EQ_INT(disorder, 0);
        got_free(&g);
        ol_part_close(p);
    }
    ol_arena_destroy(a);
    ol_buf_free(&req);
}

/* Opens, verifies and reads; returns the first failure code. */
static int open_check(const char *path, ol_signal_t sig, ol_err_t *err)
{
    ol_part_t *p = NULL;
    int rc = ol_part_open(NULL, path, &p, err);
    if (rc) return rc;
    got_t g;
    got_init(&g, sig);
    int rc2 = ol_part_read_payloads(p, 0, UINT64_MAX, got_payload, &g, err);
    got_free(&g);
    rc = ol_part_verify(p, err);
    if (!rc) rc = ol_part_verify_records(p, err);
    ol_part_close(p);
    if (!rc && rc2 && rc2 != OL_CORRUPT) rc = rc2; /* reading may stop at damage verify sees too */
    return rc;
}

static void corrupt_file(const char *name, ol_signal_t sig)
{
    size_t n = 0;
    unsigned char *good = read_file(tmp_path(name), &n);
    CHECK(good != NULL && n > 100);
    if (!good) return;
    unsigned char *bad = malloc(n);
    char path[512];
    snprintf(path, sizeof path, "%s", tmp_path("damaged.olp"));
    ol_err_t err = {0};
    size_t undetected = 0, step = n > 3000 ? n / 3000 : 1;
    for (size_t i = 0; i < n; i += step) {
        for (int bit = 0; bit < 8; bit += 3) {
            memcpy(bad, good, n);
            bad[i] ^= (uint8_t)(1u << bit);
            write_file(path, bad, n);
            int rc = open_check(path, sig, &err);
            if (rc != OL_CORRUPT) {
                if (undetected < 5) fprintf(stderr, "  %s: flip at %zu of %zu: rc %d\n", name, i, n, rc);
                undetected++;
            }
        }
    }
    CHECK_EQ_INT(undetected, 0);
    size_t accepted = 0;
    for (size_t len = 0; len < n; len += step) {
        write_file(path, good, len);
        if (open_check(path, sig, &err) != OL_CORRUPT) accepted++;
    }
    CHECK_EQ_INT(accepted, 0);
    write_file(path, good, n);
    CHECK_EQ_INT(open_check(path, sig, &err), OL_OK);
    free(bad);
    free(good);
}

/* A part whose every CRC is right but whose columns lie about the records. */
static int forged(ol_signal_t sig, const char *lie, ol_err_t *err)
{
    ol_slice_t pb;
    unsigned char *raw = load_fixture("otlp-http-proto", ol_signal_name(sig), &pb);
    if (!raw) return OL_ERR;
    ol_arena_t *a = ol_arena_create(1 << 16, 0);
    ol_otlp_batch_t b;
    ol_otlp_decode(sig, pb, a, &b, err);
    char good[512], out[512];
    snprintf(good, sizeof good, "%s", tmp_path("forge-src.olp"));
    snprintf(out, sizeof out, "%s", tmp_path("forged.olp"));
    write_batch(&b, good, 1, NULL, err);
    ol_part_t *p = NULL;
    ol_part_open(NULL, good, &p, err);
    ol_part_builder_t *pbld = ol_part_builder_new(sig, 2, 1);
    int rc = OL_OK;
    for (uint32_t g = 0; p && g < ol_part_info(p)->granules; g++) {
        ol_part_granule_info_t gi = *ol_part_granule(p, g);
        if (strcmp(lie, "footer-time") == 0) gi.max_time_ns++;
        ol_part_builder_granule(pbld, &gi);
        ol_slice_t names[32];
        size_t nc = ol_part_columns(p, g, names, 32);
        ol_buf_t col;
        ol_buf_init(&col, OL_MEM_CORE, 0);
        for (size_t c = 0; c < nc; c++) {
            ol_buf_reset(&col);
            ol_part_read_column(p, g, names[c], &col, err);
            if (ol_slice_eq_cstr(names[c], lie) && col.len) col.data[col.len - 1] ^= 1; /* last value changed */
            if (strcmp(lie, "drop") == 0 && ol_slice_eq_cstr(names[c], "resource")) continue;
            ol_part_builder_column(pbld, names[c], ol_buf_slice(&col));
        }
        ol_buf_free(&col);
    }
    ol_slice_t t;
    if (p && ol_part_table(p, OL_SLICE_LIT("resources"), &t) == OL_OK) ol_part_builder_table(pbld, OL_SLICE_LIT("resources"), t);
    if (p && ol_part_table(p, OL_SLICE_LIT("scopes"), &t) == OL_OK) ol_part_builder_table(pbld, OL_SLICE_LIT("scopes"), t);
    unlink(out);
    rc = ol_part_builder_finish(pbld, NULL, out, 0, NULL, err);
    ol_part_builder_free(pbld);
    ol_part_close(p);
    p = NULL;
    if (!rc) rc = ol_part_open(NULL, out, &p, err);
    if (!rc) rc = ol_part_verify_records(p, err);
    ol_part_close(p);
    ol_arena_destroy(a);
    free(raw);
    return rc;
}

static void test_corruption(void)
{
    corrupt_file("logs-fixture.olp", OL_SIGNAL_LOGS);
    corrupt_file("metrics-fixture.olp", OL_SIGNAL_METRICS);
    ol_err_t err = {0};
    /* Valid blocks, lying columns: verify compares them with the records. */
    const char *log_lies[] = {"time", "observed", "severity", "trace_id", "footer-time", "drop"};
    for (size_t i = 0; i < OL_ARRAY_LEN(log_lies); i++) {
        int rc = forged(OL_SIGNAL_LOGS, log_lies[i], &err);
        if (rc != OL_CORRUPT) fprintf(stderr, "  logs lie %s: rc %d\n", log_lies[i], rc);
        CHECK_EQ_INT(rc, OL_CORRUPT);
    }
    const char *metric_lies[] = {"name", "type", "min_time", "max_time", "points", "scope", "footer-time", "drop"};
    for (size_t i = 0; i < OL_ARRAY_LEN(metric_lies); i++) {
        int rc = forged(OL_SIGNAL_METRICS, metric_lies[i], &err);
        if (rc != OL_CORRUPT) fprintf(stderr, "  metrics lie %s: rc %d\n", metric_lies[i], rc);
        CHECK_EQ_INT(rc, OL_CORRUPT);
    }
    /* The untouched copy verifies. */
    CHECK_EQ_INT(forged(OL_SIGNAL_LOGS, "nothing", &err), OL_OK);
    /* A traces part is not read as records. */
    ol_part_builder_t *pb = ol_part_builder_new(OL_SIGNAL_TRACES, 3, 1);
    char path[512];
    snprintf(path, sizeof path, "%s", tmp_path("traces.olp"));
    unlink(path);
    CHECK_EQ_INT(ol_part_builder_finish(pb, NULL, path, 0, NULL, &err), OL_OK);
    ol_part_builder_free(pb);
    ol_part_t *p = NULL;
    CHECK_EQ_INT(ol_part_open(NULL, path, &p, &err), OL_OK);
    if (p) {
        got_t g;
        got_init(&g, OL_SIGNAL_LOGS);
        CHECK_EQ_INT(ol_part_read_payloads(p, 0, UINT64_MAX, got_payload, &g, &err), OL_ERR);
        got_free(&g);
        CHECK_EQ_INT(ol_part_verify_records(p, &err), OL_OK);
        ol_part_close(p);
    }
}

/* With OL_PART_CORPUS_OUT=<dir>, writes seeds for tests/fuzz/fuzz_part.c: the
 * fixture parts whole (first byte odd) and their granule as streams (first
 * byte 2 * signal, then the row count, then [u16 LE length][bytes] per
 * column and table in the order fuzz_part.c names them). */
static void write_corpus(void)
{
    const char *dir = getenv("OL_PART_CORPUS_OUT");
    if (!dir) return;
    static const char *const logs_cols[] = {"time", "observed", "severity", "trace_id", "resource", "scope", "record"};
    static const char *const metric_cols[] = {"name", "type", "min_time", "max_time", "points", "resource", "scope", "metric"};
    static const char *const tables[] = {"resources", "scopes"};
    const char *parts[] = {"logs-fixture.olp", "metrics-fixture.olp"};
    char out[600];
    for (size_t k = 0; k < 2; k++) {
        ol_signal_t sig = k == 0 ? OL_SIGNAL_LOGS : OL_SIGNAL_METRICS;
        const char *const *cols = k == 0 ? logs_cols : metric_cols;
        size_t n_cols = k == 0 ? OL_ARRAY_LEN(logs_cols) : OL_ARRAY_LEN(metric_cols);
        size_t n = 0;
        unsigned char *b = read_file(tmp_path(parts[k]), &n);
        if (!b) continue;
        unsigned char *seed = malloc(n + 1);
        seed[0] = 1;
        memcpy(seed + 1, b, n);
        snprintf(out, sizeof out, "%s/whole-%s", dir, ol_signal_name(sig));
        write_file(out, seed, n + 1);
        free(seed);
        free(b);
        ol_part_t *p = NULL;
        ol_err_t err = {0};
        if (ol_part_open(NULL, tmp_path(parts[k]), &p, &err)) continue;
        ol_buf_t s, col;
        ol_buf_init(&s, OL_MEM_CORE, 0);
        ol_buf_init(&col, OL_MEM_CORE, 0);
        ol_buf_append_u8(&s, (uint8_t)(2 * sig));
        ol_buf_append_u8(&s, (uint8_t)ol_part_granule(p, 0)->rows);
        for (size_t i = 0; i < n_cols + OL_ARRAY_LEN(tables); i++) {
            ol_buf_reset(&col);
            ol_slice_t t = OL_SLICE_NULL;
            if (i < n_cols) ol_part_read_column(p, 0, ol_slice_cstr(cols[i]), &col, &err);
            else ol_part_table(p, ol_slice_cstr(tables[i - n_cols]), &t);
            if (t.len) ol_buf_append_slice(&col, t);
            if (col.len > 65535) col.len = 65535;
            uint8_t len[2] = {(uint8_t)col.len, (uint8_t)(col.len >> 8)};
            ol_buf_append(&s, len, 2);
            ol_buf_append(&s, col.data, col.len);
        }
        snprintf(out, sizeof out, "%s/streams-%s", dir, ol_signal_name(sig));
        write_file(out, s.data, s.len);
        ol_buf_free(&s);
        ol_buf_free(&col);
        ol_part_close(p);
    }
}

int main(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/olly-test-records-%d", (int)getpid());
    mkdir(g_dir, 0755);
    RUN(test_logs_fixtures);
    RUN(test_metrics_fixtures);
    RUN(test_empty);
    RUN(test_logs_many_granules);
    RUN(test_logs_granule_bytes);
    RUN(test_metrics_many_granules);
    RUN(test_corruption);
    write_corpus();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
    return TEST_REPORT();
}
