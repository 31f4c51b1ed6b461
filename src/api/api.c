/*
 * api.c - routes of the API port.
 *
 * Routes are a table (method, path pattern, handler). Every handler parses
 * its parameters strictly: unknown values and malformed numbers or times are
 * a 400 whose message names the parameter. Times accept RFC 3339 or Unix
 * nanoseconds; the default range is the last hour.
 */
#include "api/api.h"

#include <stdarg.h>
#include <stdio.h>

#include "codec/json.h"
#include "core/util.h"
#include "query/read.h"
#include "query/exemplars.h"

#define OL_HOUR_NS (3600ull * 1000000000ull)

static void ol_api_error(ol_http_response_t *res, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void ol_api_error(ol_http_response_t *res, int status, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    res->status = status;
    ol_buf_reset(&res->body);
    ol_http_response_header(res, "Content-Type", "application/json");
    ol_buf_append_cstr(&res->body, "{\"error\":");
    ol_json_write_cstr(&res->body, msg);
    ol_buf_append_u8(&res->body, '}');
}

static int ol_hexval(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static ol_slice_t ol_url_decode(ol_slice_t s, ol_arena_t *a)
{
    uint8_t *o = ol_arena_alloc(a, s.len + 1);
    if (!o) return OL_SLICE_NULL;
    size_t n = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] == '+') o[n++] = ' ';
        else if (s.ptr[i] == '%' && i + 2 < s.len && ol_hexval(s.ptr[i + 1]) >= 0 && ol_hexval(s.ptr[i + 2]) >= 0) {
            o[n++] = (uint8_t)(ol_hexval(s.ptr[i + 1]) << 4 | ol_hexval(s.ptr[i + 2]));
            i += 2;
        } else o[n++] = s.ptr[i];
    }
    return ol_slice(o, n);
}

size_t ol_api_query_get(ol_slice_t query, const char *key, ol_slice_t *out, size_t max, ol_arena_t *a)
{
    size_t found = 0, klen = strlen(key);
    size_t i = 0;
    while (i <= query.len && found < max) {
        size_t j = i;
        while (j < query.len && query.ptr[j] != '&') j++;
        ol_slice_t pair = ol_slice(query.ptr + i, j - i);
        size_t eq = 0;
        while (eq < pair.len && pair.ptr[eq] != '=') eq++;
        ol_slice_t k = ol_url_decode(ol_slice(pair.ptr, eq), a);
        if (k.len == klen && memcmp(k.ptr, key, klen) == 0) {
            ol_slice_t v = eq < pair.len ? ol_slice(pair.ptr + eq + 1, pair.len - eq - 1) : OL_SLICE_NULL;
            out[found++] = ol_url_decode(v, a);
        }
        i = j + 1;
    }
    return found;
}

static ol_slice_t ol_param(const ol_http_request_t *req, const char *key)
{
    ol_slice_t v = OL_SLICE_NULL;
    ol_api_query_get(req->query, key, &v, 1, req->arena);
    return v;
}

/* Time range: start/end (RFC 3339 or Unix ns); default the last hour. */
static bool ol_api_range(const ol_http_request_t *req, ol_http_response_t *res, uint64_t *start, uint64_t *end)
{
    uint64_t now = ol_now_ns();
    *end = now + 1;
    *start = now - OL_HOUR_NS;
    ol_slice_t s = ol_param(req, "start"), e = ol_param(req, "end");
    if (e.len && ol_time_parse(e, end) != OL_OK) {
        ol_api_error(res, 400, "parameter 'end': expected RFC 3339 time or Unix nanoseconds, got '%.*s'",
                     (int)OL_MIN(e.len, 64), (const char *)e.ptr);
        return false;
    }
    if (s.len) {
        if (ol_time_parse(s, start) != OL_OK) {
            ol_api_error(res, 400, "parameter 'start': expected RFC 3339 time or Unix nanoseconds, got '%.*s'",
                         (int)OL_MIN(s.len, 64), (const char *)s.ptr);
            return false;
        }
    } else if (e.len) {
        *start = *end > OL_HOUR_NS ? *end - OL_HOUR_NS : 0;
    }
    if (*start >= *end) {
        ol_api_error(res, 400, "parameter 'start' must be before 'end'");
        return false;
    }
    return true;
}

static bool ol_api_uint(const ol_http_request_t *req, ol_http_response_t *res, const char *key, uint64_t def,
                        uint64_t max, uint64_t *out)
{
    ol_slice_t v = ol_param(req, key);
    *out = def;
    if (!v.len) return true;
    if (ol_parse_u64(v, out) != OL_OK || *out > max) {
        ol_api_error(res, 400, "parameter '%s': expected an integer between 0 and %llu, got '%.*s'", key,
                     (unsigned long long)max, (int)OL_MIN(v.len, 64), (const char *)v.ptr);
        return false;
    }
    return true;
}

static bool ol_api_attrs(const ol_http_request_t *req, ol_http_response_t *res, ol_attr_filter_t *attrs, size_t *n)
{
    ol_slice_t vals[OL_QUERY_MAX_ATTRS + 1];
    size_t got = ol_api_query_get(req->query, "attr", vals, OL_QUERY_MAX_ATTRS + 1, req->arena);
    if (got > OL_QUERY_MAX_ATTRS) {
        ol_api_error(res, 400, "parameter 'attr': at most %d filters", OL_QUERY_MAX_ATTRS);
        return false;
    }
    for (size_t i = 0; i < got; i++) {
        size_t c = 0;
        while (c < vals[i].len && vals[i].ptr[c] != ':') c++;
        if (c == 0 || c == vals[i].len) {
            ol_api_error(res, 400, "parameter 'attr': expected key:value, got '%.*s'", (int)OL_MIN(vals[i].len, 64),
                         (const char *)vals[i].ptr);
            return false;
        }
        attrs[i].key = ol_slice(vals[i].ptr, c);
        attrs[i].value = ol_slice(vals[i].ptr + c + 1, vals[i].len - c - 1);
    }
    *n = got;
    return true;
}

static bool ol_api_trace_id(ol_slice_t hex, uint8_t id[16])
{
    return hex.len == 32 && ol_hex_decode(id, 16, (const char *)hex.ptr, 32) == 16;
}

static void ol_api_reply(ol_http_response_t *res, int rc, const char *what)
{
    if (rc == OL_OK) {
        res->status = 200;
        ol_http_response_header(res, "Content-Type", "application/json");
    } else if (rc == OL_NOTFOUND) {
        ol_api_error(res, 404, "%s not found", what);
    } else if (rc == OL_LIMIT) {
        ol_api_error(res, 422, "result too large; narrow the time range or lower the limit");
    } else {
        ol_api_error(res, 500, "query failed: %s", ol_rc_str(rc));
    }
}

static void ol_route_trace(ol_api_t *api, const ol_http_request_t *req, ol_http_response_t *res, ol_slice_t tail)
{
    uint8_t id[16];
    if (!ol_api_trace_id(tail, id)) {
        ol_api_error(res, 400, "trace id: expected 32 hex digits, got '%.*s'", (int)OL_MIN(tail.len, 64),
                     (const char *)tail.ptr);
        return;
    }
    ol_api_reply(res, ol_query_trace(api->store, id, &res->body), "trace");
}

static void ol_route_traces(ol_api_t *api, const ol_http_request_t *req, ol_http_response_t *res)
{
    ol_trace_query_t q;
    memset(&q, 0, sizeof q);
    uint64_t limit, min_ms, max_ms;
    if (!ol_api_range(req, res, &q.start_ns, &q.end_ns) || !ol_api_uint(req, res, "limit", 20, 1000, &limit) ||
        !ol_api_uint(req, res, "min_duration_ms", 0, UINT64_MAX / 1000000, &min_ms) ||
        !ol_api_uint(req, res, "max_duration_ms", 0, UINT64_MAX / 1000000, &max_ms) ||
        !ol_api_attrs(req, res, q.attrs, &q.n_attrs))
        return;
    q.limit = limit ? limit : 20;
    q.min_duration_ns = min_ms * 1000000;
    q.max_duration_ns = max_ms * 1000000;
    q.service = ol_param(req, "service");
    q.operation = ol_param(req, "operation");
    ol_slice_t st = ol_param(req, "status");
    q.status = OL_STATUS_ANY;
    if (st.len) {
        if (ol_slice_eq_nocase_cstr(st, "error")) q.status = OL_STATUS_ERROR;
        else if (ol_slice_eq_nocase_cstr(st, "ok")) q.status = OL_STATUS_OK;
        else if (ol_slice_eq_nocase_cstr(st, "unset")) q.status = OL_STATUS_UNSET;
        else {
            ol_api_error(res, 400, "parameter 'status': expected error, ok or unset, got '%.*s'",
                         (int)OL_MIN(st.len, 32), (const char *)st.ptr);
            return;
        }
    }
    if (q.max_duration_ns && q.min_duration_ns > q.max_duration_ns) {
        ol_api_error(res, 400, "parameter 'min_duration_ms' is larger than 'max_duration_ms'");
        return;
    }
    ol_api_reply(res, ol_query_traces(api->store, &q, &res->body), "traces");
}

static void ol_route_logs(ol_api_t *api, const ol_http_request_t *req, ol_http_response_t *res)
{
    ol_log_query_t q;
    memset(&q, 0, sizeof q);
    uint64_t limit, sev;
    if (!ol_api_range(req, res, &q.start_ns, &q.end_ns) || !ol_api_uint(req, res, "limit", 100, 10000, &limit) ||
        !ol_api_uint(req, res, "min_severity", 0, 24, &sev))
        return;
    q.limit = limit ? limit : 100;
    q.min_severity = (int32_t)sev;
    q.service = ol_param(req, "service");
    q.q = ol_param(req, "q");
    ol_slice_t tid = ol_param(req, "trace_id");
    if (tid.len) {
        if (!ol_api_trace_id(tid, q.trace_id)) {
            ol_api_error(res, 400, "parameter 'trace_id': expected 32 hex digits");
            return;
        }
        q.has_trace_id = true;
    }
    ol_api_reply(res, ol_query_logs(api->store, &q, &res->body), "logs");
}

static void ol_route_metric(ol_api_t *api, const ol_http_request_t *req, ol_http_response_t *res, ol_slice_t name)
{
    ol_metric_query_t q;
    memset(&q, 0, sizeof q);
    if (!ol_api_range(req, res, &q.start_ns, &q.end_ns) || !ol_api_attrs(req, res, q.attrs, &q.n_attrs)) return;
    q.name = ol_url_decode(name, req->arena);
    ol_api_reply(res, ol_query_metric(api->store, &q, &res->body), "metric");
}

/* POST {"sql": "..."} (or GET ?sql=...): one query of the SQL dialect
 * (docs/sql.md). A query that does not parse or bind is a 400 saying where
 * and why; one that hits a bound is a 422 naming it. */
static void ol_route_query(ol_api_t *api, const ol_http_request_t *req, ol_http_response_t *res)
{
    ol_slice_t sql = OL_SLICE_NULL;
    if (ol_slice_eq_cstr(req->method, "POST")) {
        if (req->body_status != OL_OK) {
            ol_api_error(res, 413, "request body too large");
            return;
        }
        ol_json_doc_t doc;
        ol_err_t jerr;
        if (ol_json_parse(req->body, req->arena, &doc, &jerr) != OL_OK || doc.n == 0 || doc.toks[0].kind != OL_JSON_OBJECT) {
            ol_api_error(res, 400, "body: expected a JSON object {\"sql\": \"SELECT ...\"}");
            return;
        }
        uint32_t v = ol_json_object_get(&doc, 0, "sql");
        if (!v || doc.toks[v].kind != OL_JSON_STRING || ol_json_unescape(&doc.toks[v], req->arena, &sql) != OL_OK) {
            ol_api_error(res, 400, "body: field 'sql' must be a string holding the query");
            return;
        }
    } else {
        sql = ol_param(req, "sql");
    }
    if (!sql.len) {
        ol_api_error(res, 400, "no query: POST {\"sql\": \"SELECT ...\"} or GET ?sql=SELECT...");
        return;
    }
    ol_err_t err;
    err.msg[0] = 0;
    atomic_fetch_add(&api->sql_queries, 1);
    int rc = ol_sql_run(api->store, (const char *)sql.ptr, sql.len, &api->sql_limits, 0, &res->body, NULL, &err);
    if (rc == OL_OK) {
        res->status = 200;
        ol_http_response_header(res, "Content-Type", "application/json");
        return;
    }
    atomic_fetch_add(&api->sql_errors, 1);
    if (rc == OL_CORRUPT) ol_api_error(res, 400, "%s", err.msg);
    else if (rc == OL_LIMIT) {
        atomic_fetch_add(&api->sql_limited, 1);
        ol_api_error(res, 422, "%s", err.msg);
    } else ol_api_error(res, 500, "query failed: %s%s%s", ol_rc_str(rc), err.msg[0] ? ": " : "", err.msg);
}

/* A processor's answer: OL_CORRUPT is the caller's mistake (400, err says
 * what), OL_NOTFOUND a 404, the rest as ol_api_reply. */
static void ol_api_reply_err(ol_http_response_t *res, int rc, const ol_err_t *err, const char *what)
{
    if (rc == OL_CORRUPT) ol_api_error(res, 400, "%s", err->msg[0] ? err->msg : "bad request");
    else if (rc == OL_NOTFOUND && err->msg[0]) ol_api_error(res, 404, "%s", err->msg);
    else ol_api_reply(res, rc, what);
}

static bool ol_api_pipeline_on(ol_api_t *api, ol_http_response_t *res)
{
    if (api->pipeline) return true;
    ol_api_error(res, 503, "the processing pipeline is not running");
    return false;
}

static void ol_route_service_map(ol_api_t *api, const ol_http_request_t *req, ol_http_response_t *res)
{
    uint64_t start, end;
    if (!ol_api_range(req, res, &start, &end) || !ol_api_pipeline_on(api, res)) return;
    ol_err_t err = {{0}};
    int rc = ol_red_service_map(ol_pipeline_red(api->pipeline), start, end, &res->body, &err);
    ol_api_reply_err(res, rc, &err, "service map");
}

/* GET /api/v1/services/{name}?start=&end=&step= (step in seconds, 0 = chosen). */
static void ol_route_service(ol_api_t *api, const ol_http_request_t *req, ol_http_response_t *res, ol_slice_t tail)
{
    uint64_t start, end, step_s;
    if (!ol_api_range(req, res, &start, &end) || !ol_api_uint(req, res, "step", 0, 86400, &step_s) ||
        !ol_api_pipeline_on(api, res))
        return;
    ol_slice_t name = ol_url_decode(tail, req->arena);
    if (!name.len) {
        ol_api_error(res, 400, "service name missing: GET /api/v1/services/{name}");
        return;
    }
    ol_err_t err = {{0}};
    int rc = ol_red_service(ol_pipeline_red(api->pipeline), name, start, end, step_s * 1000000000ull, &res->body, &err);
    ol_api_reply_err(res, rc, &err, "service");
}

/* GET /api/v1/correlate/{id} and /api/v1/correlate/{id}/timeline */
static void ol_route_correlate(ol_api_t *api, const ol_http_request_t *req, ol_http_response_t *res, ol_slice_t tail)
{
    if (!ol_api_pipeline_on(api, res)) return;
    bool timeline = false;
    static const char suffix[] = "/timeline";
    if (tail.len > sizeof suffix - 1 &&
        memcmp(tail.ptr + tail.len - (sizeof suffix - 1), suffix, sizeof suffix - 1) == 0) {
        timeline = true;
        tail.len -= sizeof suffix - 1;
    }
    ol_slice_t id = ol_url_decode(tail, req->arena);
    ol_err_t err = {{0}};
    int rc = ol_correlate_query(ol_pipeline_correlate(api->pipeline), id, timeline, &res->body, &err);
    ol_api_reply_err(res, rc, &err, "correlation id");
}

/* GET /api/v1/genai/usage?start=&end=&by=model|service */
static void ol_route_genai(ol_api_t *api, const ol_http_request_t *req, ol_http_response_t *res)
{
    uint64_t start, end;
    if (!ol_api_range(req, res, &start, &end) || !ol_api_pipeline_on(api, res)) return;
    ol_slice_t by = ol_param(req, "by");
    int by_service = 0;
    if (!by.len || ol_slice_eq_cstr(by, "model")) by_service = 0;
    else if (ol_slice_eq_cstr(by, "service")) by_service = 1;
    else {
        ol_api_error(res, 400, "parameter 'by': expected model or service, got '%.*s'", (int)OL_MIN(by.len, 64),
                     (const char *)by.ptr);
        return;
    }
    ol_err_t err = {{0}};
    int rc = ol_genai_usage(ol_pipeline_genai(api->pipeline), start, end, by_service, &res->body, &err);
    ol_api_reply_err(res, rc, &err, "usage");
}

/* GET /api/v1/metrics/{name}/exemplars?start=&end=&limit= */
static void ol_route_exemplars(ol_api_t *api, const ol_http_request_t *req, ol_http_response_t *res, ol_slice_t name)
{
    uint64_t start, end, limit;
    if (!ol_api_range(req, res, &start, &end) || !ol_api_uint(req, res, "limit", 1000, 100000, &limit)) return;
    ol_slice_t n = ol_url_decode(name, req->arena);
    ol_api_reply(res, ol_query_exemplars(api->store, n, start, end, limit, &res->body), "metric");
}

static bool ol_api_analysis_on(ol_api_t *api, ol_http_response_t *res)
{
    if (api->analyzer && api->act) return true;
    ol_api_error(res, 503, "analysis is off (olly serve --analysis off)");
    return false;
}

/* GET /api/v1/anomalies?start=&end=&service=&incident=&status=open|closed|all&limit=&traces= */
static void ol_route_anomalies(ol_api_t *api, const ol_http_request_t *req, ol_http_response_t *res)
{
    uint64_t start, end, limit, traces;
    if (!ol_api_range(req, res, &start, &end) || !ol_api_uint(req, res, "limit", 100, 10000, &limit) ||
        !ol_api_uint(req, res, "traces", 3, 20, &traces) || !ol_api_analysis_on(api, res))
        return;
    ol_anomaly_query_t q = {.start_ns = start, .end_ns = end, .service = ol_param(req, "service"),
                            .incident = ol_param(req, "incident"), .limit = (uint32_t)(limit ? limit : 1),
                            .traces = (uint32_t)traces};
    ol_slice_t st = ol_param(req, "status");
    if (!st.len || ol_slice_eq_cstr(st, "all")) q.status = OL_ANOMALY_ANY;
    else if (ol_slice_eq_cstr(st, "open")) q.status = OL_ANOMALY_OPEN;
    else if (ol_slice_eq_cstr(st, "closed")) q.status = OL_ANOMALY_CLOSED;
    else {
        ol_api_error(res, 400, "parameter 'status': expected open, closed or all, got '%.*s'", (int)OL_MIN(st.len, 64),
                     (const char *)st.ptr);
        return;
    }
    ol_api_reply(res, ol_analyzer_anomalies_json(api->analyzer, &q, &res->body), "anomalies");
}

static void ol_route_metrics_text(ol_api_t *api, ol_http_response_t *res)
{
    ol_buf_t *b = &res->body;
    ol_store_stats_t st;
    ol_store_stats(api->store, &st);
    ol_ingest_metrics_text(api->ingest, b);
    if (api->pipeline) ol_pipeline_metrics_text(api->pipeline, b);
    ol_analyzer_metrics_text(api->analyzer, b);
    ol_act_metrics_text(api->act, b);
    static const struct {
        const char *name, *type, *help;
        size_t off;
    } g[] = {
        {"olly_store_spans", "gauge", "Spans stored.", offsetof(ol_store_stats_t, spans)},
        {"olly_store_traces", "gauge", "Traces stored.", offsetof(ol_store_stats_t, traces)},
        {"olly_store_log_records", "gauge", "Log records stored.", offsetof(ol_store_stats_t, log_records)},
        {"olly_store_metric_points", "gauge", "Metric data points stored.", offsetof(ol_store_stats_t, metric_points)},
        {"olly_wal_bytes", "gauge", "Size of the write-ahead log in bytes.", offsetof(ol_store_stats_t, wal_bytes)},
        {"olly_wal_segments", "gauge", "Write-ahead log segment files.", offsetof(ol_store_stats_t, wal_segments)},
        {"olly_store_append_errors_total", "counter", "Appends refused by storage (disk full, I/O errors).",
         offsetof(ol_store_stats_t, append_errors)},
        {"olly_clock_skew_spans_total", "counter", "Spans with end before start or start far in the future.",
         offsetof(ol_store_stats_t, clock_skew_spans)},
        {"olly_store_head_spans", "gauge", "Spans in memory, not yet flushed into parts.",
         offsetof(ol_store_stats_t, head_spans)},
        {"olly_store_head_bytes", "gauge", "Log bytes of the spans in memory not yet flushed.",
         offsetof(ol_store_stats_t, head_bytes)},
        {"olly_store_parts", "gauge", "Columnar parts on disk.", offsetof(ol_store_stats_t, parts)},
        {"olly_store_part_bytes", "gauge", "Bytes of the columnar parts on disk.", offsetof(ol_store_stats_t, part_bytes)},
        {"olly_store_flushes_total", "counter", "Flushes of the head into parts.", offsetof(ol_store_stats_t, flushes)},
        {"olly_store_sampled_out_spans_total", "counter", "Spans tail sampling dropped when the head was flushed.",
         offsetof(ol_store_stats_t, sampled_out_spans)},
        {"olly_store_flush_errors_total", "counter", "Flushes that failed (retried).",
         offsetof(ol_store_stats_t, flush_errors)},
        {"olly_store_merges_total", "counter", "Merges of small parts.", offsetof(ol_store_stats_t, merges)},
        {"olly_store_merge_errors_total", "counter", "Merges that failed.", offsetof(ol_store_stats_t, merge_errors)},
        {"olly_store_dropped_partitions_total", "counter", "Partitions dropped by retention.",
         offsetof(ol_store_stats_t, dropped_partitions)},
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(g); i++)
        ol_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", g[i].name, g[i].help, g[i].name, g[i].type,
                      g[i].name, (unsigned long long)*(const uint64_t *)((const char *)&st + g[i].off));
    if (api->server) {
        ol_server_stats_t ss;
        ol_server_get_stats(api->server, &ss);
        ol_buf_printf(b, "# HELP olly_connections_active Open client connections.\n# TYPE olly_connections_active gauge\n"
                         "olly_connections_active %llu\n"
                         "# HELP olly_connections_rejected_total Connections refused over the limit.\n"
                         "# TYPE olly_connections_rejected_total counter\nolly_connections_rejected_total %llu\n",
                      (unsigned long long)ss.connections_active, (unsigned long long)ss.connections_rejected);
    }
    ol_buf_printf(b, "# HELP olly_sql_queries_total SQL queries received.\n# TYPE olly_sql_queries_total counter\n"
                     "olly_sql_queries_total %llu\n"
                     "# HELP olly_sql_errors_total SQL queries that failed (syntax, binding, bounds, errors).\n"
                     "# TYPE olly_sql_errors_total counter\nolly_sql_errors_total %llu\n"
                     "# HELP olly_sql_limited_total SQL queries stopped by a bound (rows, time range, run time, size).\n"
                     "# TYPE olly_sql_limited_total counter\nolly_sql_limited_total %llu\n",
                  (unsigned long long)atomic_load(&api->sql_queries), (unsigned long long)atomic_load(&api->sql_errors),
                  (unsigned long long)atomic_load(&api->sql_limited));
    for (int t = 0; t < OL_MEM__COUNT; t++) {
        if (t == 0)
            ol_buf_printf(b, "# HELP olly_memory_bytes Heap bytes in use per subsystem.\n# TYPE olly_memory_bytes gauge\n");
        ol_buf_printf(b, "olly_memory_bytes{subsystem=\"%s\"} %lld\n", ol_mem_tag_name((ol_mem_tag_t)t),
                      (long long)ol_mem_in_use((ol_mem_tag_t)t));
    }
    res->status = 200;
    ol_http_response_header(res, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
}

static bool ol_api_auth_ok(const ol_api_t *api, const ol_http_request_t *req)
{
    if (!api->token || !*api->token) return true;
    ol_slice_t v = ol_slice_trim(ol_http_header_get(req->headers, req->n_headers, "authorization"));
    ol_slice_t want = ol_slice_cstr(api->token);
    if (v.len != want.len + 7 || !ol_slice_eq_nocase(ol_slice(v.ptr, 7), OL_SLICE_LIT("Bearer "))) return false;
    uint8_t diff = 0;
    for (size_t i = 0; i < want.len; i++) diff |= v.ptr[7 + i] ^ want.ptr[i];
    return diff == 0;
}

static bool ol_prefix(ol_slice_t path, const char *p, ol_slice_t *tail)
{
    size_t n = strlen(p);
    if (path.len <= n || memcmp(path.ptr, p, n) != 0) return false;
    *tail = ol_slice(path.ptr + n, path.len - n);
    return true;
}

void ol_api_http(void *ud, const ol_http_request_t *req, ol_http_response_t *res)
{
    ol_api_t *api = ud;
    ol_slice_t p = req->path, tail;
    if (ol_slice_eq_cstr(req->method, "OPTIONS")) {
        res->status = 204;
        ol_http_response_header(res, "Access-Control-Allow-Origin", "*");
        ol_http_response_header(res, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
        ol_http_response_header(res, "Access-Control-Allow-Headers", "Authorization, Content-Type");
        return;
    }
    bool is_query = ol_slice_eq_cstr(p, "/api/v1/query");
    if (!ol_slice_eq_cstr(req->method, "GET") && !ol_slice_eq_cstr(req->method, "HEAD") &&
        !(is_query && ol_slice_eq_cstr(req->method, "POST"))) {
        ol_api_error(res, 405, "method %.*s not allowed here", (int)OL_MIN(req->method.len, 16),
                     (const char *)req->method.ptr);
        ol_http_response_header(res, "Allow", is_query ? "GET, POST" : "GET");
        return;
    }
    if (ol_slice_eq_cstr(p, "/healthz")) {
        res->status = 200;
        ol_http_response_header(res, "Content-Type", "application/json");
        ol_buf_append_cstr(&res->body, "{\"status\":\"ok\"}");
        return;
    }
    if (ol_slice_eq_cstr(p, "/readyz")) {
        bool ready = ol_store_ready(api->store);
        res->status = ready ? 200 : 503;
        ol_http_response_header(res, "Content-Type", "application/json");
        ol_buf_append_cstr(&res->body, ready ? "{\"status\":\"ready\"}"
                                             : "{\"status\":\"not ready\",\"reason\":\"replaying the write-ahead log\"}");
        return;
    }
    if (ol_slice_eq_cstr(p, "/metrics")) {
        ol_route_metrics_text(api, res);
        return;
    }
    if (!ol_prefix(p, "/api/v1/", &tail)) {
        ol_api_error(res, 404, "no such endpoint: %.*s", (int)OL_MIN(p.len, 100), (const char *)p.ptr);
        return;
    }
    ol_http_response_header(res, "Access-Control-Allow-Origin", "*");
    if (!ol_api_auth_ok(api, req)) {
        ol_api_error(res, 401, "missing or wrong bearer token in the Authorization header");
        ol_http_response_header(res, "WWW-Authenticate", "Bearer");
        return;
    }
    if (!ol_store_ready(api->store)) {
        ol_api_error(res, 503, "not ready: replaying the write-ahead log");
        ol_http_response_header(res, "Retry-After", "1");
        return;
    }
    ol_slice_t rest;
    if (ol_slice_eq_cstr(tail, "query")) ol_route_query(api, req, res);
    else if (ol_slice_eq_cstr(tail, "traces")) ol_route_traces(api, req, res);
    else if (ol_prefix(tail, "traces/", &rest)) ol_route_trace(api, req, res, rest);
    else if (ol_slice_eq_cstr(tail, "services")) ol_api_reply(res, ol_query_services(api->store, &res->body), "services");
    else if (ol_slice_eq_cstr(tail, "logs")) ol_route_logs(api, req, res);
    else if (ol_slice_eq_cstr(tail, "storage")) ol_api_reply(res, ol_query_storage(api->store, &res->body), "storage");
    else if (ol_slice_eq_cstr(tail, "metrics")) ol_api_reply(res, ol_query_metric_names(api->store, &res->body), "metrics");
    else if (ol_prefix(tail, "metrics/", &rest)) {
        ol_slice_t ex = OL_SLICE_LIT("/exemplars");
        if (rest.len > ex.len && ol_slice_eq(ol_slice(rest.ptr + rest.len - ex.len, ex.len), ex))
            ol_route_exemplars(api, req, res, ol_slice(rest.ptr, rest.len - ex.len));
        else ol_route_metric(api, req, res, rest);
    } else if (ol_slice_eq_cstr(tail, "service-map")) ol_route_service_map(api, req, res);
    else if (ol_prefix(tail, "services/", &rest)) ol_route_service(api, req, res, rest);
    else if (ol_prefix(tail, "correlate/", &rest)) ol_route_correlate(api, req, res, rest);
    else if (ol_slice_eq_cstr(tail, "genai/usage")) ol_route_genai(api, req, res);
    else if (ol_slice_eq_cstr(tail, "anomalies")) ol_route_anomalies(api, req, res);
    else if (ol_slice_eq_cstr(tail, "alerts")) {
        if (ol_api_analysis_on(api, res)) ol_api_reply(res, ol_act_alerts_json(api->act, &res->body), "alerts");
    } else if (ol_slice_eq_cstr(tail, "baselines")) {
        if (ol_api_analysis_on(api, res))
            ol_api_reply(res, ol_analyzer_baselines_json(api->analyzer, ol_param(req, "service"), &res->body),
                         "baselines");
    }
    else ol_api_error(res, 404, "no such endpoint: %.*s", (int)OL_MIN(p.len, 100), (const char *)p.ptr);
}
