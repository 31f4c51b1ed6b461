/*
 * mkspans.c - makes a benchmark span file from real OTLP captures.
 *
 * Output format (the one `olly loadgen --out FILE` writes): repeated records
 * [u32 little-endian length][ExportTraceServiceRequest protobuf].
 *
 * Until the load generator exists this stands in for it: it takes captured
 * ExportTraceServiceRequest bodies (fixtures/otlp/NAME.traces.body; gzip and the
 * gRPC 5-byte prefix are undone) as a template and re-emits their spans many
 * times. Every copy gets fresh trace and span ids (parents and links follow),
 * is shifted in time so the copies fill --window-sec evenly, and is sent as a
 * different service: each request plays one service (chosen with skewed
 * weights, service.name and host.name rewritten), and every span carrying
 * http.route gets one of that service's routes (skewed too), with its
 * "GET ..." name to match. Everything else is copied byte for byte, so the
 * attribute, event and link shapes are those of the real SDK capture.
 *
 * Deterministic for a given --seed. Not a workload model: the real one is the
 * load generator's job.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "codec/compress.h"
#include "codec/otlp.h"
#include "codec/pb.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/util.h"

#define MKS_MAX_INPUT (64u << 20)

static const char *const services[] = {"frontend", "checkout", "cart",     "payment",
                                       "shipping", "email",    "currency", "recommendation"};
static const unsigned service_weight[] = {30, 20, 15, 12, 9, 6, 5, 3};
static const char *const route_fmt[] = {"/api/%s", "/api/%s/{id}", "/api/%s/list", "/api/%s/search", "/health"};
static const unsigned route_weight[] = {40, 25, 15, 10, 10};

typedef struct {
    const char *out;
    uint64_t spans;
    uint64_t batch;
    unsigned n_services;
    uint64_t window_sec;
    uint64_t seed;
} mks_opts_t;

typedef struct {
    ol_slice_t id;
} mks_id_t;

/* The template: every span of every input, plus the distinct ids in it. */
typedef struct {
    ol_otlp_span_t *spans;
    size_t n_spans, cap_spans;
    bool *has_route; /* per span: carries http.route */
    mks_id_t *traces, *span_ids;
    size_t n_traces, n_span_ids;
} mks_template_t;

/* What one copy of the template becomes. */
typedef struct {
    uint8_t (*trace)[16];
    uint8_t (*span)[8];
    uint64_t delta_ns;
    unsigned route;
} mks_copy_t;

static uint64_t mks_rng;
static uint64_t mks_next(void)
{
    uint64_t z = (mks_rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static unsigned mks_pick(const unsigned *w, unsigned n)
{
    unsigned total = 0;
    for (unsigned i = 0; i < n; i++) total += w[i];
    unsigned x = (unsigned)(mks_next() % total);
    for (unsigned i = 0; i < n; i++) {
        if (x < w[i]) return i;
        x -= w[i];
    }
    return n - 1;
}

static void mks_fill(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)mks_next();
    p[0] |= 1; /* never all zero */
}

static int mks_read_file(const char *path, ol_buf_t *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "mkspans: cannot open %s: %s\n", path, strerror(errno));
        return OL_ERR;
    }
    uint8_t tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) {
        if (out->len + n > MKS_MAX_INPUT) {
            fprintf(stderr, "mkspans: %s is larger than %u bytes\n", path, MKS_MAX_INPUT);
            fclose(f);
            return OL_LIMIT;
        }
        ol_buf_append(out, tmp, n);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad || out->err) {
        fprintf(stderr, "mkspans: cannot read %s\n", path);
        return OL_ERR;
    }
    return OL_OK;
}

/* A capture body -> bare protobuf: gunzip, strip a gRPC length prefix. */
static int mks_unwrap(const char *path, ol_buf_t *raw, ol_buf_t *pb)
{
    ol_slice_t s = ol_buf_slice(raw);
    ol_buf_t inflated;
    ol_err_t err;
    ol_buf_init(&inflated, OL_MEM_CODEC, 0);
    if (s.len >= 5 && (s.ptr[0] == 0 || s.ptr[0] == 1) && ol_load_be32(s.ptr + 1) == s.len - 5) {
        bool gz = s.ptr[0] == 1;
        s.ptr += 5;
        s.len -= 5;
        if (gz && ol_decompress(OL_ENC_GZIP, s, MKS_MAX_INPUT, &inflated, &err) != OL_OK) {
            fprintf(stderr, "mkspans: %s: %s\n", path, err.msg);
            ol_buf_free(&inflated);
            return OL_CORRUPT;
        }
        if (gz) s = ol_buf_slice(&inflated);
    } else if (s.len >= 2 && s.ptr[0] == 0x1f && s.ptr[1] == 0x8b) {
        if (ol_decompress(OL_ENC_GZIP, s, MKS_MAX_INPUT, &inflated, &err) != OL_OK) {
            fprintf(stderr, "mkspans: %s: %s\n", path, err.msg);
            ol_buf_free(&inflated);
            return OL_CORRUPT;
        }
        s = ol_buf_slice(&inflated);
    }
    ol_buf_append_slice(pb, s);
    ol_buf_free(&inflated);
    return pb->err;
}

static size_t mks_id_index(mks_id_t *ids, size_t n, ol_slice_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ol_slice_eq(ids[i].id, id)) return i;
    return SIZE_MAX;
}

static int mks_route_cb(void *ud, ol_slice_t key, ol_slice_t value)
{
    OL_UNUSED(value);
    if (ol_slice_eq_cstr(key, "http.route")) *(bool *)ud = true;
    return OL_OK;
}

static int mks_template_add(mks_template_t *t, const ol_otlp_batch_t *batch)
{
    size_t need = t->n_spans + batch->n_spans;
    t->spans = realloc(t->spans, need * sizeof *t->spans);
    t->has_route = realloc(t->has_route, need * sizeof *t->has_route);
    t->traces = realloc(t->traces, need * sizeof *t->traces);
    t->span_ids = realloc(t->span_ids, need * sizeof *t->span_ids);
    if (!t->spans || !t->has_route || !t->traces || !t->span_ids) return OL_NOMEM;
    for (size_t i = 0; i < batch->n_spans; i++) {
        const ol_otlp_span_t *s = &batch->spans[i];
        if (!s->valid) continue;
        bool route = false;
        ol_otlp_each_attribute(s->raw, 9, mks_route_cb, &route);
        t->has_route[t->n_spans] = route;
        t->spans[t->n_spans++] = *s;
        if (mks_id_index(t->traces, t->n_traces, s->trace_id) == SIZE_MAX) t->traces[t->n_traces++].id = s->trace_id;
        if (mks_id_index(t->span_ids, t->n_span_ids, s->span_id) == SIZE_MAX)
            t->span_ids[t->n_span_ids++].id = s->span_id;
    }
    return OL_OK;
}

/* Copies one field as it was read. */
static void mks_put_field(ol_buf_t *b, const ol_pb_field_value_t *f)
{
    switch (f->wire_type) {
    case OL_PB_VARINT: ol_pb_put_uint(b, f->number, f->u64); break;
    case OL_PB_I64: ol_pb_put_fixed64(b, f->number, f->u64); break;
    case OL_PB_I32: ol_pb_put_fixed32(b, f->number, (uint32_t)f->u64); break;
    default: ol_pb_put_bytes(b, f->number, f->bytes); break;
    }
}

static void mks_put_string_kv(ol_buf_t *b, uint32_t field, const char *key, const char *value)
{
    size_t kv = ol_pb_begin(b, field);
    ol_pb_put_bytes(b, 1, ol_slice_cstr(key));
    size_t av = ol_pb_begin(b, 2);
    ol_pb_put_bytes(b, 1, ol_slice_cstr(value));
    ol_pb_end(b, av);
    ol_pb_end(b, kv);
}

static ol_slice_t mks_kv_key(ol_slice_t kv)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_slice_t key = OL_SLICE_NULL;
    ol_pb_reader_init(&r, kv);
    while (ol_pb_next(&r, &f) == OL_OK)
        if (f.number == 1 && f.wire_type == OL_PB_LEN) key = f.bytes;
    return key;
}

static ol_slice_t mks_map_id(const mks_template_t *t, const mks_copy_t *c, ol_slice_t id)
{
    size_t i;
    if (id.len == 16 && (i = mks_id_index(t->traces, t->n_traces, id)) != SIZE_MAX) return ol_slice(c->trace[i], 16);
    if (id.len == 8 && (i = mks_id_index(t->span_ids, t->n_span_ids, id)) != SIZE_MAX) return ol_slice(c->span[i], 8);
    return id;
}

/* Event (field 1 = time) and Link (1 = trace id, 2 = span id) rewriting. */
static void mks_put_nested(ol_buf_t *b, uint32_t number, ol_slice_t msg, const mks_template_t *t, const mks_copy_t *c,
                           bool is_event)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    size_t m = ol_pb_begin(b, number);
    ol_pb_reader_init(&r, msg);
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (is_event && f.number == 1 && f.wire_type == OL_PB_I64) ol_pb_put_fixed64(b, 1, f.u64 + c->delta_ns);
        else if (!is_event && (f.number == 1 || f.number == 2) && f.wire_type == OL_PB_LEN)
            ol_pb_put_bytes(b, f.number, mks_map_id(t, c, f.bytes));
        else mks_put_field(b, &f);
    }
    ol_pb_end(b, m);
}

static void mks_put_span(ol_buf_t *b, const mks_template_t *t, size_t si, const mks_copy_t *c, const char *route)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    bool rename = t->has_route[si];
    size_t m = ol_pb_begin(b, 2);
    ol_pb_reader_init(&r, t->spans[si].raw);
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.wire_type == OL_PB_LEN && (f.number == 1 || f.number == 2 || f.number == 4)) {
            ol_pb_put_bytes(b, f.number, mks_map_id(t, c, f.bytes));
        } else if (f.wire_type == OL_PB_LEN && f.number == 5 && rename) {
            char name[128];
            snprintf(name, sizeof name, "GET %s", route);
            ol_pb_put_bytes(b, 5, ol_slice_cstr(name));
        } else if (f.wire_type == OL_PB_I64 && (f.number == 7 || f.number == 8)) {
            ol_pb_put_fixed64(b, f.number, f.u64 + c->delta_ns);
        } else if (f.wire_type == OL_PB_LEN && f.number == 9 && ol_slice_eq_cstr(mks_kv_key(f.bytes), "http.route")) {
            mks_put_string_kv(b, 9, "http.route", route);
        } else if (f.wire_type == OL_PB_LEN && (f.number == 11 || f.number == 13)) {
            mks_put_nested(b, f.number, f.bytes, t, c, f.number == 11);
        } else {
            mks_put_field(b, &f);
        }
    }
    ol_pb_end(b, m);
}

static void mks_put_resource(ol_buf_t *b, ol_slice_t resource, const char *service, const char *host)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    bool saw_service = false;
    size_t m = ol_pb_begin(b, 1);
    ol_pb_reader_init(&r, resource);
    while (ol_pb_next(&r, &f) == OL_OK) {
        ol_slice_t key = f.number == 1 && f.wire_type == OL_PB_LEN ? mks_kv_key(f.bytes) : OL_SLICE_NULL;
        if (ol_slice_eq_cstr(key, "service.name")) {
            mks_put_string_kv(b, 1, "service.name", service);
            saw_service = true;
        } else if (ol_slice_eq_cstr(key, "host.name")) {
            mks_put_string_kv(b, 1, "host.name", host);
        } else {
            mks_put_field(b, &f);
        }
    }
    if (!saw_service) mks_put_string_kv(b, 1, "service.name", service);
    ol_pb_end(b, m);
}

/* One request: copies [first, first+n) of the template, as service `svc`. */
static void mks_put_request(ol_buf_t *b, const mks_template_t *t, const ol_otlp_batch_t *const *inputs, size_t n_inputs,
                            const mks_copy_t *copies, size_t n, unsigned svc, char routes[][64])
{
    char host[64];
    snprintf(host, sizeof host, "%s-%u", services[svc], (unsigned)(mks_next() % 4));
    for (size_t in = 0; in < n_inputs; in++) {
        const ol_otlp_batch_t *batch = inputs[in];
        for (size_t oi = 0; oi < batch->n_origins; oi++) {
            const ol_otlp_origin_t *o = &batch->origins[oi];
            if (oi > 0 && batch->origins[oi - 1].resource_index == o->resource_index) continue;
            size_t rs = ol_pb_begin(b, 1);
            mks_put_resource(b, o->resource, services[svc], host);
            for (size_t oj = oi; oj < batch->n_origins && batch->origins[oj].resource_index == o->resource_index; oj++) {
                const ol_otlp_origin_t *so = &batch->origins[oj];
                size_t ss = ol_pb_begin(b, 2);
                ol_pb_put_bytes(b, 1, so->scope);
                for (size_t ci = 0; ci < n; ci++)
                    for (size_t si = 0; si < t->n_spans; si++)
                        if (t->spans[si].origin == so) mks_put_span(b, t, si, &copies[ci], routes[copies[ci].route]);
                if (so->scope_schema_url.len) ol_pb_put_bytes(b, 3, so->scope_schema_url);
                ol_pb_end(b, ss);
            }
            if (o->resource_schema_url.len) ol_pb_put_bytes(b, 3, o->resource_schema_url);
            ol_pb_end(b, rs);
        }
    }
}

static void mks_usage(void)
{
    fprintf(stderr,
            "usage: mkspans --out FILE [--spans N] [--batch N] [--services N] [--window-sec S] [--seed S]\n"
            "               [CAPTURE.traces.body ...]\n"
            "  --spans N       spans to write (default 200000)\n"
            "  --batch N       about N spans per request (default 512, the JS/Go SDK export batch)\n"
            "  --services N    services to spread the copies over, 1..%zu (default %zu)\n"
            "  --window-sec S  time span the copies fill (default 3600)\n"
            "  --seed S        PRNG seed (default 1)\n"
            "  captures default to $OLLY_SHARED/fixtures/otlp/otlp-http-proto.traces.body (OLLY_SHARED=../shared)\n",
            OL_ARRAY_LEN(services), OL_ARRAY_LEN(services));
}

static int mks_u64_arg(const char *s, uint64_t *out)
{
    return ol_parse_u64(ol_slice_cstr(s), out);
}

int main(int argc, char **argv)
{
    mks_opts_t o = {NULL, 200000, 512, (unsigned)OL_ARRAY_LEN(services), 3600, 1};
    const char *files[64];
    size_t n_files = 0;
    for (int i = 1; i < argc; i++) {
        uint64_t v = 0;
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        if (!strcmp(a, "--out") && has_val) o.out = argv[++i];
        else if (!strcmp(a, "--spans") && has_val && mks_u64_arg(argv[++i], &v) == OL_OK && v > 0) o.spans = v;
        else if (!strcmp(a, "--batch") && has_val && mks_u64_arg(argv[++i], &v) == OL_OK && v > 0) o.batch = v;
        else if (!strcmp(a, "--services") && has_val && mks_u64_arg(argv[++i], &v) == OL_OK && v >= 1 &&
                 v <= OL_ARRAY_LEN(services))
            o.n_services = (unsigned)v;
        else if (!strcmp(a, "--window-sec") && has_val && mks_u64_arg(argv[++i], &v) == OL_OK && v > 0)
            o.window_sec = v;
        else if (!strcmp(a, "--seed") && has_val && mks_u64_arg(argv[++i], &v) == OL_OK) o.seed = v;
        else if (a[0] != '-' && n_files < OL_ARRAY_LEN(files)) files[n_files++] = a;
        else {
            mks_usage();
            return 2;
        }
    }
    if (!o.out) {
        mks_usage();
        return 2;
    }
    char default_path[4096];
    if (n_files == 0) {
        const char *root = getenv("OLLY_SHARED");
        snprintf(default_path, sizeof default_path, "%s/fixtures/otlp/otlp-http-proto.traces.body",
                 root ? root : "../shared");
        files[n_files++] = default_path;
    }
    mks_rng = o.seed;

    /* Template: decode every capture; their buffers and arenas stay alive. */
    mks_template_t t;
    memset(&t, 0, sizeof t);
    ol_buf_t pbs[64];
    ol_otlp_batch_t batches[64];
    const ol_otlp_batch_t *inputs[64];
    ol_arena_t *arena = ol_arena_create(1 << 16, 0);
    if (!arena) return 1;
    for (size_t i = 0; i < n_files; i++) {
        ol_buf_t raw;
        ol_err_t err;
        ol_buf_init(&raw, OL_MEM_CODEC, 0);
        ol_buf_init(&pbs[i], OL_MEM_CODEC, 0);
        if (mks_read_file(files[i], &raw) != OL_OK || mks_unwrap(files[i], &raw, &pbs[i]) != OL_OK) return 1;
        ol_buf_free(&raw);
        if (ol_otlp_decode(OL_SIGNAL_TRACES, ol_buf_slice(&pbs[i]), arena, &batches[i], &err) != OL_OK) {
            fprintf(stderr, "mkspans: %s is not an ExportTraceServiceRequest: %s\n", files[i], err.msg);
            return 1;
        }
        inputs[i] = &batches[i];
        if (mks_template_add(&t, &batches[i]) != OL_OK) return 1;
    }
    if (t.n_spans == 0) {
        fprintf(stderr, "mkspans: the captures hold no valid span\n");
        return 1;
    }

    uint64_t total_copies = (o.spans + t.n_spans - 1) / t.n_spans;
    uint64_t per_request = o.batch > t.n_spans ? o.batch / t.n_spans : 1;
    uint64_t step_ns = o.window_sec * 1000000000ull / total_copies;
    mks_copy_t *copies = calloc(per_request, sizeof *copies);
    uint8_t(*trace_ids)[16] = calloc(per_request * t.n_traces, 16);
    uint8_t(*span_ids)[8] = calloc(per_request * t.n_span_ids, 8);
    FILE *out = fopen(o.out, "wb");
    if (!copies || !trace_ids || !span_ids || !out) {
        fprintf(stderr, "mkspans: cannot create %s: %s\n", o.out, strerror(errno));
        return 1;
    }

    ol_buf_t req;
    ol_buf_init(&req, OL_MEM_CODEC, 0);
    uint64_t done = 0, requests = 0, bytes = 0;
    while (done < total_copies) {
        size_t n = (size_t)OL_MIN(per_request, total_copies - done);
        unsigned svc = mks_pick(service_weight, o.n_services);
        char routes[OL_ARRAY_LEN(route_fmt)][64];
        for (size_t r = 0; r < OL_ARRAY_LEN(route_fmt); r++) snprintf(routes[r], sizeof routes[r], route_fmt[r], services[svc]);
        for (size_t ci = 0; ci < n; ci++) {
            mks_copy_t *c = &copies[ci];
            c->trace = trace_ids + ci * t.n_traces;
            c->span = span_ids + ci * t.n_span_ids;
            for (size_t k = 0; k < t.n_traces; k++) mks_fill(c->trace[k], 16);
            for (size_t k = 0; k < t.n_span_ids; k++) mks_fill(c->span[k], 8);
            c->delta_ns = (done + ci) * step_ns;
            c->route = mks_pick(route_weight, (unsigned)OL_ARRAY_LEN(route_weight));
        }
        ol_buf_reset(&req);
        mks_put_request(&req, &t, inputs, n_files, copies, n, svc, routes);
        if (req.err || req.len > UINT32_MAX) {
            fprintf(stderr, "mkspans: request too large or out of memory\n");
            return 1;
        }
        uint8_t le[4];
        ol_store_le32(le, (uint32_t)req.len);
        if (fwrite(le, 1, 4, out) != 4 || fwrite(req.data, 1, req.len, out) != req.len) {
            fprintf(stderr, "mkspans: write %s: %s\n", o.out, strerror(errno));
            return 1;
        }
        done += n;
        requests++;
        bytes += 4 + req.len;
    }
    if (fclose(out) != 0) {
        fprintf(stderr, "mkspans: close %s: %s\n", o.out, strerror(errno));
        return 1;
    }
    printf("mkspans: %s: %llu requests, %llu spans, %llu traces, %llu bytes, %u services, %llu s window\n", o.out,
           (unsigned long long)requests, (unsigned long long)(total_copies * t.n_spans),
           (unsigned long long)(total_copies * t.n_traces), (unsigned long long)bytes, o.n_services,
           (unsigned long long)o.window_sec);
    ol_buf_free(&req);
    free(copies);
    free(trace_ids);
    free(span_ids);
    for (size_t i = 0; i < n_files; i++) ol_buf_free(&pbs[i]);
    ol_arena_destroy(arena);
    free(t.spans);
    free(t.has_route);
    free(t.traces);
    free(t.span_ids);
    return 0;
}
