/*
 * an_json.c - the analyzer's API answers and metrics (analyzer.h,
 * docs/analysis.md).
 *
 * The anomalies are copied out under the lock, then the lock is released
 * before example traces are looked up in the store, so a slow trace search
 * never holds up analysis.
 */
#include "analyze/analyzer_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "codec/json.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/util.h"
#include "query/read.h"

#define OL_AN_TRACE_WINDOW_NS (5ull * 60 * 1000000000ull)

static void ol_an_json_time(ol_buf_t *b, int64_t ns)
{
    char t[40];
    ol_time_format((uint64_t)ns, t);
    ol_json_write_cstr(b, t);
}

static void ol_an_json_num(ol_buf_t *b, double v)
{
    if (isfinite(v)) ol_json_write_double(b, v);
    else ol_buf_append_cstr(b, "null");
}

/* Up to n trace ids of the anomaly, as [{"traceId","href"}]. */
static void ol_an_json_traces(ol_analyzer_t *an, const ol_an_anom_t *a, uint32_t n, ol_buf_t *out)
{
    ol_buf_append_u8(out, '[');
    if (!an->opt.store || !n || a->signal >= OL_AN_A_RED) {
        ol_buf_append_u8(out, ']');
        return;
    }
    ol_trace_query_t q = {.start_ns = (uint64_t)a->onset_ns, .end_ns = (uint64_t)a->onset_ns + OL_AN_TRACE_WINDOW_NS,
                          .service = ol_slice_cstr(a->service), .status = OL_STATUS_ANY, .limit = n};
    if (a->scope == OL_AN_SCOPE_OPERATION) q.operation = ol_slice_cstr(a->name);
    if (a->signal == OL_AN_A_ERRORS) q.status = OL_STATUS_ERROR;
    if (a->signal == OL_AN_A_LATENCY && a->scope != OL_AN_SCOPE_EDGE && isfinite(a->expected) && a->expected > 0)
        q.min_duration_ns = (uint64_t)(a->expected * 1.25 * 1e6);
    ol_buf_t res;
    ol_buf_init(&res, OL_MEM_ANALYZE, 16u << 20);
    ol_arena_t *ar = ol_arena_create(4096, 1u << 20);
    ol_json_doc_t d;
    uint32_t written = 0;
    if (ar && ol_query_traces(an->opt.store, &q, &res) == OL_OK && res.err == OL_OK &&
        ol_json_parse(ol_buf_slice(&res), ar, &d, NULL) == OL_OK) {
        uint32_t arr = ol_json_object_get(&d, 0, "traces");
        if (arr && d.toks[arr].kind == OL_JSON_ARRAY) {
            uint32_t t = arr + 1;
            for (uint32_t i = 0; i < d.toks[arr].size && written < n; i++) {
                uint32_t id = ol_json_object_get(&d, t, "traceId");
                if (id && d.toks[id].kind == OL_JSON_STRING && d.toks[id].text.len == 32) {
                    ol_buf_append_cstr(out, written ? ",{\"traceId\":" : "{\"traceId\":");
                    ol_json_write_string(out, d.toks[id].text);
                    ol_buf_append_cstr(out, ",\"href\":\"/api/v1/traces/");
                    ol_buf_append_slice(out, d.toks[id].text);
                    ol_buf_append_cstr(out, "\"}");
                    written++;
                }
                t = d.toks[t].next;
            }
        }
    }
    if (ar) ol_arena_destroy(ar);
    ol_buf_free(&res);
    ol_buf_append_u8(out, ']');
}

static void ol_an_json_anom(ol_analyzer_t *an, const ol_an_anom_t *a, uint32_t traces, ol_buf_t *out)
{
    ol_buf_printf(out, "{\"id\":\"%" PRIu64 "\",\"status\":\"%s\",\"service\":", a->id, a->open ? "open" : "closed");
    ol_json_write_cstr(out, a->service);
    ol_buf_append_cstr(out, ",\"operation\":");
    if (a->scope == OL_AN_SCOPE_OPERATION) ol_json_write_cstr(out, a->name);
    else ol_buf_append_cstr(out, "null");
    ol_buf_append_cstr(out, ",\"peer\":");
    if (a->scope == OL_AN_SCOPE_EDGE) ol_json_write_cstr(out, a->name);
    else ol_buf_append_cstr(out, "null");
    if (a->scope == OL_AN_SCOPE_EDGE) {
        static const char *const types[] = {"service", "database", "queue", "external"};
        ol_buf_printf(out, ",\"peerType\":\"%s\"", types[a->kind < 4 ? a->kind : 0]);
    }
    if (a->signal == OL_AN_A_SLO || a->signal == OL_AN_A_FORECAST) {
        ol_buf_append_cstr(out, ",\"slo\":");
        ol_json_write_cstr(out, a->name);
    }
    ol_buf_printf(out, ",\"signal\":\"%s\",\"detector\":\"%s\",\"score\":", ol_an_signal_name(a->signal),
                  ol_an_det_name(a->det));
    ol_an_json_num(out, a->score);
    ol_buf_append_cstr(out, ",\"peakScore\":");
    ol_an_json_num(out, a->peak);
    ol_buf_append_cstr(out, ",\"value\":");
    ol_an_json_num(out, a->value);
    ol_buf_append_cstr(out, ",\"expected\":");
    ol_an_json_num(out, a->expected);
    ol_buf_append_cstr(out, ",\"deviation\":");
    ol_an_json_num(out, a->deviation);
    if (a->threshold > 0) {
        ol_buf_append_cstr(out, ",\"slowShare\":");
        ol_an_json_num(out, a->share);
        ol_buf_append_cstr(out, ",\"usualSlowShare\":");
        ol_an_json_num(out, a->share_expected);
        ol_buf_append_cstr(out, ",\"slowThresholdMs\":");
        ol_an_json_num(out, a->threshold);
    }
    ol_buf_append_cstr(out, ",\"onset\":");
    ol_an_json_time(out, a->onset_ns);
    ol_buf_printf(out, ",\"onsetNs\":\"%" PRId64 "\",\"end\":", a->onset_ns);
    if (a->open) ol_buf_append_cstr(out, "null");
    else ol_an_json_time(out, a->end_ns);
    ol_buf_append_cstr(out, ",\"lastSeen\":");
    ol_an_json_time(out, a->last_ns);
    ol_buf_printf(out, ",\"incident\":\"%" PRIu64 "\",\"explanation\":", a->incident);
    ol_json_write_cstr(out, a->explanation);
    ol_buf_append_cstr(out, ",\"traces\":");
    ol_an_json_traces(an, a, traces, out);
    ol_buf_append_u8(out, '}');
}

static bool ol_an_match(const ol_an_anom_t *a, const ol_anomaly_query_t *q)
{
    if (q->status == OL_ANOMALY_OPEN && !a->open) return false;
    if (q->status == OL_ANOMALY_CLOSED && a->open) return false;
    if (q->service.len && !ol_slice_eq_cstr(q->service, a->service)) return false;
    if (q->incident.len) {
        char id[24];
        snprintf(id, sizeof id, "%" PRIu64, a->incident);
        if (!ol_slice_eq_cstr(q->incident, id)) return false;
    }
    if ((uint64_t)a->onset_ns >= q->end_ns) return false;
    if (!a->open && (uint64_t)a->end_ns < q->start_ns) return false;
    return true;
}

static void ol_an_json_summary(ol_analyzer_t *an, ol_buf_t *out)
{
    uint64_t warm, open, incs;
    ol_an_count_now(an, &warm, &open, &incs);
    ol_buf_printf(out,
                  "{\"services\":%u,\"signals\":%u,\"warm\":%" PRIu64 ",\"openAnomalies\":%" PRIu64
                  ",\"openIncidents\":%" PRIu64 ",\"stepNs\":\"%" PRIu64 "\",\"eventTime\":",
                  an->n_svcs, an->n_sigs, warm, open, incs, an->opt.step_ns);
    if (an->now_event) ol_an_json_time(out, an->now_event);
    else ol_buf_append_cstr(out, "null");
    ol_buf_append_u8(out, '}');
}

int ol_analyzer_anomalies_json(ol_analyzer_t *an, const ol_anomaly_query_t *q, ol_buf_t *out)
{
    uint32_t limit = q->limit ? q->limit : 100;
    pthread_mutex_lock(&an->mu);
    ol_an_anom_t *sel = ol_calloc(OL_MEM_ANALYZE, OL_MIN(limit, an->n_anoms) + 1, sizeof *sel);
    uint32_t n = 0;
    for (uint32_t i = an->n_anoms; sel && i-- > 0 && n < limit;) {
        const ol_an_anom_t *a = &an->anoms[i];
        if (!ol_an_match(a, q)) continue;
        sel[n] = *a;
        sel[n].service = ol_strndup(OL_MEM_ANALYZE, a->service, strlen(a->service));
        sel[n].name = ol_strndup(OL_MEM_ANALYZE, a->name, strlen(a->name));
        n++;
        if (!sel[n - 1].service || !sel[n - 1].name) break;
    }
    ol_buf_append_cstr(out, "{\"analysis\":");
    ol_an_json_summary(an, out);
    pthread_mutex_unlock(&an->mu);
    if (!sel) return OL_NOMEM;
    ol_buf_append_cstr(out, ",\"anomalies\":[");
    int rc = OL_OK;
    for (uint32_t i = 0; i < n; i++) {
        if (!sel[i].service || !sel[i].name) rc = OL_NOMEM;
        else {
            if (i) ol_buf_append_u8(out, ',');
            ol_an_json_anom(an, &sel[i], q->traces, out);
        }
        ol_an_anom_free(&sel[i]);
    }
    ol_free(OL_MEM_ANALYZE, sel, ((size_t)OL_MIN(limit, an->n_anoms) + 1) * sizeof *sel);
    ol_buf_append_cstr(out, "]}");
    return rc != OL_OK ? rc : out->err;
}

int ol_analyzer_baselines_json(ol_analyzer_t *an, ol_slice_t service, ol_buf_t *out)
{
    static const char *const scopes[] = {"service", "operation", "edge"};
    pthread_mutex_lock(&an->mu);
    ol_buf_append_cstr(out, "{\"analysis\":");
    ol_an_json_summary(an, out);
    ol_buf_append_cstr(out, ",\"signals\":[");
    bool first = true;
    for (uint32_t i = 0; i < an->n_series; i++) {
        const ol_an_series_t *x = &an->series[i];
        const ol_an_svc_t *s = &an->svcs[x->svc];
        if (service.len && !(service.len == s->len && memcmp(service.ptr, s->name, s->len) == 0)) continue;
        for (uint32_t m = 0; m < OL_AN_M__COUNT; m++) {
            const ol_an_sig_t *g = &an->sigs[x->sig[m]];
            ol_buf_append_cstr(out, first ? "{\"service\":" : ",{\"service\":");
            first = false;
            ol_json_write_string(out, ol_slice((const uint8_t *)s->name, s->len));
            ol_buf_printf(out, ",\"scope\":\"%s\",\"operation\":", scopes[x->scope]);
            if (x->scope == OL_AN_SCOPE_OPERATION) ol_json_write_string(out, ol_slice((const uint8_t *)x->name, x->name_len));
            else ol_buf_append_cstr(out, "null");
            ol_buf_append_cstr(out, ",\"peer\":");
            if (x->scope == OL_AN_SCOPE_EDGE) ol_json_write_string(out, ol_slice((const uint8_t *)x->name, x->name_len));
            else ol_buf_append_cstr(out, "null");
            uint64_t steps = ol_an_uni_steps(g->uni);
            bool warm = ol_an_uni_warm(g->uni);
            ol_buf_printf(out, ",\"signal\":\"%s\",\"steps\":%" PRIu64 ",\"warm\":%s,\"warmupSteps\":%u",
                          ol_an_metric_name(g->metric), steps, warm ? "true" : "false", an->opt.warmup);
            ol_buf_append_cstr(out, ",\"value\":");
            ol_an_json_num(out, g->has_last ? g->last.value : NAN);
            ol_buf_append_cstr(out, ",\"expected\":");
            ol_an_json_num(out, g->has_last ? g->last.expected : NAN);
            ol_buf_append_cstr(out, ",\"score\":");
            ol_an_json_num(out, g->has_last ? g->last.score : 0);
            ol_buf_printf(out, ",\"state\":\"%s\"}",
                          g->w.st == OL_AN_ST_OPEN ? "anomalous" : g->w.st == OL_AN_ST_CANDIDATE ? "suspect"
                                                                 : warm                         ? "normal"
                                                                                                : "learning");
        }
    }
    ol_buf_append_cstr(out, "]}");
    pthread_mutex_unlock(&an->mu);
    return out->err;
}

static void ol_an_metric(ol_buf_t *out, const char *name, const char *help, const char *type, double v)
{
    ol_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type, name, v);
}

void ol_analyzer_metrics_text(ol_analyzer_t *an, ol_buf_t *out)
{
    if (!an) return;
    ol_analyzer_stats_t s;
    ol_analyzer_stats(an, &s);
    ol_an_metric(out, "olly_analysis_signals", "Signals with a detector (3 per service, entry operation and edge).",
                 "gauge", (double)s.signals);
    ol_an_metric(out, "olly_analysis_signals_warm", "Signals past their warm-up.", "gauge", (double)s.warm);
    ol_an_metric(out, "olly_analysis_signals_refused_total", "Series not analysed because the signal cap was reached.",
                 "counter", (double)s.signals_refused);
    ol_buf_printf(out,
                  "# HELP olly_analysis_buckets_total RED buckets handed to analysis.\n"
                  "# TYPE olly_analysis_buckets_total counter\n"
                  "olly_analysis_buckets_total{result=\"used\"} %" PRIu64 "\n"
                  "olly_analysis_buckets_total{result=\"late\"} %" PRIu64 "\n"
                  "olly_analysis_buckets_total{result=\"dropped\"} %" PRIu64 "\n",
                  s.cells, s.cells_late, s.cells_dropped);
    ol_an_metric(out, "olly_analysis_steps_total", "Service steps analysed.", "counter", (double)s.steps);
    ol_an_metric(out, "olly_analysis_detector_updates_total", "Detector updates.", "counter", (double)s.updates);
    ol_an_metric(out, "olly_analysis_cpu_seconds_total", "CPU time spent analysing steps.", "counter",
                 (double)s.update_ns / 1e9);
    ol_an_metric(out, "olly_analysis_anomalies_opened_total", "Anomalies opened.", "counter",
                 (double)s.anomalies_opened);
    ol_an_metric(out, "olly_analysis_anomalies_open", "Anomalies open now.", "gauge", (double)s.open);
    ol_an_metric(out, "olly_analysis_incidents_opened_total", "Incidents opened.", "counter",
                 (double)s.incidents_opened);
    ol_an_metric(out, "olly_analysis_incidents_open", "Incidents open now.", "gauge", (double)s.incidents_open);
    ol_an_metric(out, "olly_analysis_state_errors_total", "Failed writes of analysis state.", "counter",
                 (double)s.save_errors);
}
