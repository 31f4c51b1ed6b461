/*
 * otlp.c - the OTLP receive pipeline shared by HTTP and gRPC.
 *
 *   auth -> admission (readiness, in-flight bytes) -> decompress (limit after
 *   decompression) -> [OTLP/JSON -> protobuf] -> ol_otlp_decode -> store append
 *   -> Export*ServiceResponse (partial_success when items were rejected)
 *
 * Every failure maps to one outcome (ol_ingest_outcome_t) that each transport
 * renders its own way: an HTTP status with a google.rpc.Status body in the
 * request's encoding, or a grpc-status with message and details. Nothing is
 * acknowledged unless the store said OL_OK, and a failed request changes
 * nothing in the store.
 */
#include <stdatomic.h>
#include <stdio.h>

#include "codec/compress.h"
#include "codec/otlp_json.h"
#include "codec/pb_schema.h"
#include "core/log.h"
#include "core/util.h"
#include "ingest/ingest.h"
#include "pipeline/pipeline.h"
#include "ingest/response.h"

enum { OL_TRANSPORT_HTTP = 0, OL_TRANSPORT_GRPC = 1, OL_TRANSPORT__COUNT };

/* Request latency buckets, seconds. */
static const double ol_latency_bounds[] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5};
#define OL_LAT_N (sizeof ol_latency_bounds / sizeof ol_latency_bounds[0])

typedef struct ol_ingest_counters {
    _Atomic uint64_t requests, failed_requests, items_received, items_rejected, items_duplicate, bytes;
    _Atomic uint64_t latency_buckets[OL_LAT_N + 1];
    _Atomic uint64_t latency_sum_us;
} ol_ingest_counters_t;

struct ol_ingest {
    ol_ingest_options_t opt;
    _Atomic size_t inflight_bytes;
    ol_ingest_counters_t c[3][OL_TRANSPORT__COUNT];
};

typedef enum {
    OL_OUT_OK,
    OL_OUT_BAD_REQUEST,    /* 400 / INVALID_ARGUMENT */
    OL_OUT_UNAUTHORIZED,   /* 401 / UNAUTHENTICATED */
    OL_OUT_TOO_LARGE,      /* 413 / RESOURCE_EXHAUSTED (no RetryInfo) */
    OL_OUT_UNSUPPORTED,    /* 415 / UNIMPLEMENTED */
    OL_OUT_OVERLOADED,     /* 429 / UNAVAILABLE + RetryInfo */
    OL_OUT_UNAVAILABLE,    /* 503 / UNAVAILABLE + RetryInfo (not ready, disk full) */
    OL_OUT_INTERNAL        /* 500 / INTERNAL */
} ol_ingest_outcome_t;

typedef struct ol_ingest_result {
    ol_ingest_outcome_t outcome;
    ol_err_t err;
    uint64_t rejected;
    const char *reject_msg;
    char reject_buf[200];
} ol_ingest_result_t;

int ol_ingest_create(const ol_ingest_options_t *opt, ol_ingest_t **out)
{
    ol_ingest_t *ing = ol_calloc(OL_MEM_INGEST, 1, sizeof *ing);
    if (!ing) return OL_NOMEM;
    ing->opt = *opt;
    if (!ing->opt.max_body) ing->opt.max_body = 64u << 20;
    if (!ing->opt.max_inflight_bytes) ing->opt.max_inflight_bytes = 256u << 20;
    if (!ing->opt.retry_after_s) ing->opt.retry_after_s = 1;
    *out = ing;
    return OL_OK;
}

void ol_ingest_destroy(ol_ingest_t *ing)
{
    if (ing) ol_free(OL_MEM_INGEST, ing, sizeof *ing);
}

static bool ol_ingest_auth_ok(const ol_ingest_t *ing, ol_slice_t authorization)
{
    if (!ing->opt.token || !*ing->opt.token) return true;
    ol_slice_t v = ol_slice_trim(authorization);
    if (v.len < 7 || !ol_slice_eq_nocase(ol_slice(v.ptr, 7), OL_SLICE_LIT("Bearer "))) return false;
    ol_slice_t tok = ol_slice_trim(ol_slice(v.ptr + 7, v.len - 7));
    ol_slice_t want = ol_slice_cstr(ing->opt.token);
    if (tok.len != want.len) return false;
    uint8_t diff = 0; /* constant time */
    for (size_t i = 0; i < tok.len; i++) diff |= tok.ptr[i] ^ want.ptr[i];
    return diff == 0;
}

/* The part after admission and decompression: body is an uncompressed
 * protobuf or JSON Export request. */
static void ol_ingest_process(ol_ingest_t *ing, ol_signal_t sig, int transport, ol_slice_t body, bool json,
                              ol_arena_t *arena, ol_ingest_result_t *r)
{
    static const ol_pb_msg_t *roots[3] = {&ol_pb_ExportTraceServiceRequest, &ol_pb_ExportMetricsServiceRequest,
                                          &ol_pb_ExportLogsServiceRequest};
    ol_buf_t pb;
    ol_buf_init(&pb, OL_MEM_INGEST, 0);
    ol_slice_t proto = body;
    if (json) {
        if (body.len == 0) {
            ol_err_set(&r->err, "empty JSON body: expected an object");
            r->outcome = OL_OUT_BAD_REQUEST;
            goto done;
        }
        int rc = ol_otlp_json_to_pb(roots[sig], body, arena, &pb, &r->err);
        if (rc != OL_OK) {
            r->outcome = rc == OL_NOMEM ? OL_OUT_TOO_LARGE : OL_OUT_BAD_REQUEST;
            if (rc == OL_NOMEM) ol_err_set(&r->err, "request too complex to decode within memory limits");
            goto done;
        }
        proto = ol_buf_slice(&pb);
    }
    ol_otlp_batch_t batch;
    int rc = ol_otlp_decode(sig, proto, arena, &batch, &r->err);
    if (rc != OL_OK) {
        r->outcome = rc == OL_NOMEM ? OL_OUT_TOO_LARGE : OL_OUT_BAD_REQUEST;
        if (rc == OL_NOMEM) ol_err_set(&r->err, "request too complex to decode within memory limits");
        goto done;
    }
    ol_ingest_counters_t *c = &ing->c[sig][transport];
    atomic_fetch_add(&c->items_received, batch.n_items);
    if (batch.n_items > batch.n_rejected) {
        ol_store_append_result_t ar = {0};
        ol_pipeline_t *pl = ing->opt.pipeline;
        uint8_t *dup = NULL;
        if (pl && sig == OL_SIGNAL_TRACES && batch.n_spans) {
            dup = ol_arena_alloc(arena, batch.n_spans);
            if (!dup) rc = OL_NOMEM;
        }
        if (pl && rc == OL_OK) rc = ol_pipeline_before_append(pl, &batch, arena);
        if (rc == OL_NOMEM) {
            ol_err_set(&r->err, "request too complex to process within memory limits");
            r->outcome = OL_OUT_TOO_LARGE;
            goto done;
        }
        rc = ol_store_append_dups(ing->opt.store, &batch, &ar, dup);
        if (rc == OL_LIMIT) {
            ol_err_set(&r->err, "request holds more data than one log record may (128 MiB); split it");
            r->outcome = OL_OUT_TOO_LARGE;
            goto done;
        }
        if (rc != OL_OK) {
            if (rc == OL_BUSY) ol_err_set(&r->err, "server is starting (replaying its log); retry shortly");
            else if (rc == OL_AGAIN)
                ol_err_set(&r->err, "storage is behind (flushing to disk takes longer than data arrives); retry shortly");
            else ol_err_set(&r->err, "storage cannot accept data right now (%s); retry later", ol_rc_str(rc));
            r->outcome = OL_OUT_UNAVAILABLE;
            goto done;
        }
        atomic_fetch_add(&c->items_duplicate, ar.duplicates);
        if (pl) ol_pipeline_after_append(pl, &batch, dup);
    }
    if (batch.n_rejected) {
        atomic_fetch_add(&c->items_rejected, batch.n_rejected);
        r->rejected = batch.n_rejected;
        snprintf(r->reject_buf, sizeof r->reject_buf, "%llu of %llu %s rejected: %s",
                 (unsigned long long)batch.n_rejected, (unsigned long long)batch.n_items,
                 sig == OL_SIGNAL_TRACES ? "spans" : sig == OL_SIGNAL_METRICS ? "data points" : "log records",
                 batch.first_reject_reason ? batch.first_reject_reason : "invalid");
        r->reject_msg = r->reject_buf;
    }
    r->outcome = OL_OUT_OK;
done:
    ol_buf_free(&pb);
}

/* Admission + decompression + process. */
static void ol_ingest_run(ol_ingest_t *ing, ol_signal_t sig, int transport, ol_slice_t raw, ol_encoding_t enc,
                          bool json, ol_arena_t *arena, ol_ingest_result_t *r)
{
    uint64_t t0 = ol_mono_ns();
    ol_ingest_counters_t *c = &ing->c[sig][transport];
    atomic_fetch_add(&c->requests, 1);
    atomic_fetch_add(&c->bytes, raw.len);
    if (!ol_store_ready(ing->opt.store)) {
        ol_err_set(&r->err, "server is starting (replaying its log); retry shortly");
        r->outcome = OL_OUT_UNAVAILABLE;
        goto out;
    }
    size_t charge = raw.len + (enc == OL_ENC_IDENTITY ? 0 : raw.len * 4);
    size_t prev = atomic_fetch_add(&ing->inflight_bytes, charge);
    if (prev > 0 && prev + charge > ing->opt.max_inflight_bytes) {
        atomic_fetch_sub(&ing->inflight_bytes, charge);
        ol_err_set(&r->err, "server is overloaded; retry later");
        r->outcome = OL_OUT_OVERLOADED;
        goto out;
    }
    ol_buf_t plain;
    ol_buf_init(&plain, OL_MEM_INGEST, 0);
    ol_slice_t body = raw;
    if (raw.len > ing->opt.max_body && enc == OL_ENC_IDENTITY) {
        ol_err_set(&r->err, "request body of %zu bytes exceeds the limit of %zu bytes", raw.len, ing->opt.max_body);
        r->outcome = OL_OUT_TOO_LARGE;
    } else if (enc != OL_ENC_IDENTITY) {
        int rc = ol_decompress(enc, raw, ing->opt.max_body, &plain, &r->err);
        if (rc == OL_OK) {
            body = ol_buf_slice(&plain);
            ol_ingest_process(ing, sig, transport, body, json, arena, r);
        } else {
            r->outcome = rc == OL_LIMIT ? OL_OUT_TOO_LARGE : rc == OL_NOMEM ? OL_OUT_OVERLOADED : OL_OUT_BAD_REQUEST;
        }
    } else {
        ol_ingest_process(ing, sig, transport, body, json, arena, r);
    }
    ol_buf_free(&plain);
    atomic_fetch_sub(&ing->inflight_bytes, charge);
out:
    if (r->outcome != OL_OUT_OK) atomic_fetch_add(&c->failed_requests, 1);
    double secs = (double)(ol_mono_ns() - t0) / 1e9;
    size_t bi = 0;
    while (bi < OL_LAT_N && secs > ol_latency_bounds[bi]) bi++;
    atomic_fetch_add(&c->latency_buckets[bi], 1);
    atomic_fetch_add(&c->latency_sum_us, (uint64_t)(secs * 1e6));
}

/* ---- HTTP ---- */

static int ol_http_status_of(ol_ingest_outcome_t o)
{
    static const int st[] = {200, 400, 401, 413, 415, 429, 503, 500};
    return st[o];
}

static int ol_grpc_code_of(ol_ingest_outcome_t o)
{
    static const int st[] = {OL_GRPC_OK, OL_GRPC_INVALID_ARGUMENT, OL_GRPC_UNAUTHENTICATED,
                             OL_GRPC_RESOURCE_EXHAUSTED, OL_GRPC_UNIMPLEMENTED, OL_GRPC_UNAVAILABLE,
                             OL_GRPC_UNAVAILABLE, OL_GRPC_INTERNAL};
    return st[o];
}

static void ol_http_cors(const ol_http_request_t *req, ol_http_response_t *res)
{
    ol_slice_t origin = ol_http_header_get(req->headers, req->n_headers, "origin");
    if (!origin.ptr) return;
    ol_http_response_header(res, "Access-Control-Allow-Origin", "*");
    ol_http_response_header(res, "Access-Control-Expose-Headers", "Retry-After");
}

static void ol_http_fail(ol_ingest_t *ing, ol_http_response_t *res, bool json, ol_ingest_outcome_t o, const char *msg)
{
    res->status = ol_http_status_of(o);
    ol_buf_reset(&res->body);
    uint32_t retry = (o == OL_OUT_OVERLOADED || o == OL_OUT_UNAVAILABLE) ? ing->opt.retry_after_s : 0;
    if (retry) {
        char v[16];
        snprintf(v, sizeof v, "%u", retry);
        ol_http_response_header(res, "Retry-After", v);
    }
    ol_http_response_header(res, "Content-Type", json ? "application/json" : "application/x-protobuf");
    ol_ingest_write_status(&res->body, json, ol_grpc_code_of(o), msg, retry);
}

static bool ol_signal_from_path(ol_slice_t path, ol_signal_t *sig)
{
    if (ol_slice_eq_cstr(path, "/v1/traces")) *sig = OL_SIGNAL_TRACES;
    else if (ol_slice_eq_cstr(path, "/v1/metrics")) *sig = OL_SIGNAL_METRICS;
    else if (ol_slice_eq_cstr(path, "/v1/logs")) *sig = OL_SIGNAL_LOGS;
    else return false;
    return true;
}

void ol_ingest_http(void *ud, const ol_http_request_t *req, ol_http_response_t *res)
{
    ol_ingest_t *ing = ud;
    ol_slice_t ctype = ol_http_header_get(req->headers, req->n_headers, "content-type");
    /* Media type without parameters. */
    ol_slice_t media = ctype;
    for (size_t i = 0; i < media.len; i++)
        if (media.ptr[i] == ';') { media.len = i; break; }
    media = ol_slice_trim(media);
    bool json = ol_slice_eq_nocase_cstr(media, "application/json");
    bool proto = ol_slice_eq_nocase_cstr(media, "application/x-protobuf") ||
                 ol_slice_eq_nocase_cstr(media, "application/protobuf");
    ol_signal_t sig;
    if (ol_slice_eq_cstr(req->method, "OPTIONS")) {
        res->status = 204;
        ol_http_response_header(res, "Access-Control-Allow-Origin", "*");
        ol_http_response_header(res, "Access-Control-Allow-Methods", "POST, OPTIONS");
        ol_slice_t want = ol_http_header_get(req->headers, req->n_headers, "access-control-request-headers");
        char hdrs[512];
        snprintf(hdrs, sizeof hdrs, "%.*s", want.ptr ? (int)OL_MIN(want.len, 500) : 0,
                 want.ptr ? (const char *)want.ptr : "");
        ol_http_response_header(res, "Access-Control-Allow-Headers",
                                hdrs[0] ? hdrs : "Content-Type, Content-Encoding, Authorization");
        ol_http_response_header(res, "Access-Control-Max-Age", "86400");
        return;
    }
    ol_http_cors(req, res);
    if (!ol_signal_from_path(req->path, &sig)) {
        res->status = 404;
        ol_http_response_header(res, "Content-Type", json ? "application/json" : "application/x-protobuf");
        char msg[160];
        snprintf(msg, sizeof msg, "unknown path %.*s: use /v1/traces, /v1/metrics or /v1/logs",
                 (int)OL_MIN(req->path.len, 100), (const char *)req->path.ptr);
        ol_ingest_write_status(&res->body, json, OL_GRPC_NOT_FOUND, msg, 0);
        return;
    }
    if (!ol_slice_eq_cstr(req->method, "POST")) {
        ol_http_fail(ing, res, json, OL_OUT_BAD_REQUEST, "method not allowed: OTLP/HTTP uses POST");
        res->status = 405;
        ol_http_response_header(res, "Allow", "POST, OPTIONS");
        return;
    }
    if (!ol_ingest_auth_ok(ing, ol_http_header_get(req->headers, req->n_headers, "authorization"))) {
        ol_http_fail(ing, res, json, OL_OUT_UNAUTHORIZED, "missing or wrong bearer token in the Authorization header");
        ol_http_response_header(res, "WWW-Authenticate", "Bearer");
        return;
    }
    if (!json && !proto) {
        char msg[200];
        snprintf(msg, sizeof msg, "unsupported content type '%.*s': use application/x-protobuf or application/json",
                 (int)OL_MIN(ctype.len, 100), ctype.ptr ? (const char *)ctype.ptr : "");
        ol_http_fail(ing, res, false, OL_OUT_UNSUPPORTED, msg);
        return;
    }
    if (req->body_status == OL_LIMIT) {
        char msg[120];
        snprintf(msg, sizeof msg, "request body exceeds the limit of %zu bytes", ing->opt.max_body);
        ol_http_fail(ing, res, json, OL_OUT_TOO_LARGE, msg);
        res->close = true;
        return;
    }
    ol_slice_t ce = ol_http_header_get(req->headers, req->n_headers, "content-encoding");
    ol_encoding_t enc = ol_encoding_parse(ce);
    if (enc == OL_ENC_UNKNOWN) {
        char msg[160];
        snprintf(msg, sizeof msg, "unsupported Content-Encoding '%.*s': use identity, gzip, deflate or zstd",
                 (int)OL_MIN(ce.len, 60), (const char *)ce.ptr);
        ol_http_fail(ing, res, json, OL_OUT_UNSUPPORTED, msg);
        return;
    }
    ol_ingest_result_t r;
    memset(&r, 0, sizeof r);
    ol_ingest_run(ing, sig, OL_TRANSPORT_HTTP, req->body, enc, json, req->arena, &r);
    if (r.outcome != OL_OUT_OK) {
        ol_http_fail(ing, res, json, r.outcome, r.err.msg);
        return;
    }
    res->status = 200;
    ol_http_response_header(res, "Content-Type", json ? "application/json" : "application/x-protobuf");
    ol_ingest_write_export_response(&res->body, json, sig, r.rejected, r.reject_msg);
}

/* ---- gRPC ---- */

static const struct {
    const char *path;
    ol_signal_t sig;
} ol_grpc_methods[] = {
    {"/opentelemetry.proto.collector.trace.v1.TraceService/Export", OL_SIGNAL_TRACES},
    {"/opentelemetry.proto.collector.metrics.v1.MetricsService/Export", OL_SIGNAL_METRICS},
    {"/opentelemetry.proto.collector.logs.v1.LogsService/Export", OL_SIGNAL_LOGS},
};

#define OL_GRPC_ACCEPT_ENCODING "identity,gzip,deflate,zstd"

static void ol_grpc_fail(ol_ingest_t *ing, ol_grpc_reply_t *reply, ol_ingest_outcome_t o, const char *msg)
{
    reply->status = ol_grpc_code_of(o);
    snprintf(reply->message, sizeof reply->message, "%s", msg);
    uint32_t retry = (o == OL_OUT_OVERLOADED || o == OL_OUT_UNAVAILABLE) ? ing->opt.retry_after_s : 0;
    if (retry) ol_ingest_write_status(&reply->details, false, reply->status, msg, retry);
}

void ol_ingest_grpc(void *ud, const ol_grpc_call_t *call, ol_grpc_reply_t *reply)
{
    ol_ingest_t *ing = ud;
    int sig = -1;
    for (size_t i = 0; i < OL_ARRAY_LEN(ol_grpc_methods); i++)
        if (ol_slice_eq_cstr(call->path, ol_grpc_methods[i].path)) sig = (int)ol_grpc_methods[i].sig;
    if (sig < 0) {
        reply->status = OL_GRPC_UNIMPLEMENTED;
        snprintf(reply->message, sizeof reply->message, "unknown method %.*s", (int)OL_MIN(call->path.len, 150),
                 (const char *)call->path.ptr);
        return;
    }
    if (!ol_ingest_auth_ok(ing, ol_http_header_get(call->headers, call->n_headers, "authorization"))) {
        ol_grpc_fail(ing, reply, OL_OUT_UNAUTHORIZED, "missing or wrong bearer token in the authorization metadata");
        return;
    }
    ol_encoding_t enc = OL_ENC_IDENTITY;
    if (call->compressed) {
        enc = ol_encoding_parse(call->grpc_encoding);
        if (enc == OL_ENC_UNKNOWN || enc == OL_ENC_IDENTITY) {
            reply->status = OL_GRPC_UNIMPLEMENTED;
            reply->accept_encoding = OL_GRPC_ACCEPT_ENCODING;
            snprintf(reply->message, sizeof reply->message,
                     "unsupported grpc-encoding '%.*s': supported are " OL_GRPC_ACCEPT_ENCODING,
                     (int)OL_MIN(call->grpc_encoding.len, 60), (const char *)call->grpc_encoding.ptr);
            return;
        }
    } else if (call->grpc_encoding.len && ol_encoding_parse(call->grpc_encoding) == OL_ENC_UNKNOWN) {
        /* An unknown encoding announced for the stream is refused even if this message is uncompressed. */
        reply->status = OL_GRPC_UNIMPLEMENTED;
        reply->accept_encoding = OL_GRPC_ACCEPT_ENCODING;
        snprintf(reply->message, sizeof reply->message,
                 "unsupported grpc-encoding '%.*s': supported are " OL_GRPC_ACCEPT_ENCODING,
                 (int)OL_MIN(call->grpc_encoding.len, 60), (const char *)call->grpc_encoding.ptr);
        return;
    }
    if (call->message_status == OL_LIMIT) {
        char msg[120];
        snprintf(msg, sizeof msg, "message exceeds the limit of %zu bytes", ing->opt.max_body);
        ol_grpc_fail(ing, reply, OL_OUT_TOO_LARGE, msg);
        return;
    }
    if (call->message_status != OL_OK) {
        ol_grpc_fail(ing, reply, OL_OUT_BAD_REQUEST, "malformed gRPC message framing");
        return;
    }
    ol_ingest_result_t r;
    memset(&r, 0, sizeof r);
    ol_ingest_run(ing, (ol_signal_t)sig, OL_TRANSPORT_GRPC, call->message, enc, false, call->arena, &r);
    if (r.outcome != OL_OUT_OK) {
        ol_grpc_fail(ing, reply, r.outcome, r.err.msg);
        return;
    }
    reply->status = OL_GRPC_OK;
    ol_ingest_write_export_response(&reply->response, false, (ol_signal_t)sig, r.rejected, r.reject_msg);
}

void ol_ingest_metrics_text(ol_ingest_t *ing, ol_buf_t *out)
{
    static const char *transports[] = {"http", "grpc"};
    static const struct {
        const char *name, *help;
        size_t off;
    } counters[] = {
        {"olly_ingest_requests_total", "OTLP export requests received.", offsetof(ol_ingest_counters_t, requests)},
        {"olly_ingest_failed_requests_total", "OTLP export requests answered with an error.",
         offsetof(ol_ingest_counters_t, failed_requests)},
        {"olly_ingest_items_received_total", "Spans, data points or log records received.",
         offsetof(ol_ingest_counters_t, items_received)},
        {"olly_ingest_items_rejected_total", "Items rejected in partial_success.",
         offsetof(ol_ingest_counters_t, items_rejected)},
        {"olly_ingest_items_duplicate_total", "Spans already stored (retries), not stored again.",
         offsetof(ol_ingest_counters_t, items_duplicate)},
        {"olly_ingest_bytes_total", "Request bytes received on the wire.", offsetof(ol_ingest_counters_t, bytes)},
    };
    for (size_t k = 0; k < OL_ARRAY_LEN(counters); k++) {
        ol_buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n", counters[k].name, counters[k].help, counters[k].name);
        for (int s = 0; s < 3; s++)
            for (int t = 0; t < OL_TRANSPORT__COUNT; t++) {
                _Atomic uint64_t *v = (_Atomic uint64_t *)((char *)&ing->c[s][t] + counters[k].off);
                ol_buf_printf(out, "%s{signal=\"%s\",transport=\"%s\"} %llu\n", counters[k].name,
                              ol_signal_name((ol_signal_t)s), transports[t], (unsigned long long)atomic_load(v));
            }
    }
    const char *h = "olly_ingest_request_duration_seconds";
    ol_buf_printf(out, "# HELP %s Time to process an OTLP export request.\n# TYPE %s histogram\n", h, h);
    for (int s = 0; s < 3; s++)
        for (int t = 0; t < OL_TRANSPORT__COUNT; t++) {
            ol_ingest_counters_t *c = &ing->c[s][t];
            uint64_t cum = 0;
            const char *sn = ol_signal_name((ol_signal_t)s);
            for (size_t b = 0; b <= OL_LAT_N; b++) {
                cum += atomic_load(&c->latency_buckets[b]);
                if (b < OL_LAT_N)
                    ol_buf_printf(out, "%s_bucket{signal=\"%s\",transport=\"%s\",le=\"%g\"} %llu\n", h, sn,
                                  transports[t], ol_latency_bounds[b], (unsigned long long)cum);
                else
                    ol_buf_printf(out, "%s_bucket{signal=\"%s\",transport=\"%s\",le=\"+Inf\"} %llu\n", h, sn,
                                  transports[t], (unsigned long long)cum);
            }
            ol_buf_printf(out, "%s_sum{signal=\"%s\",transport=\"%s\"} %.6f\n%s_count{signal=\"%s\",transport=\"%s\"} %llu\n",
                          h, sn, transports[t], (double)atomic_load(&c->latency_sum_us) / 1e6, h, sn, transports[t],
                          (unsigned long long)cum);
        }
}
