/*
 * encode.c - what the simulation produced, as OTLP requests: traces, logs
 * and metrics grouped the way SDKs and the Collector group them (one
 * Resource* per process incarnation or host, one Scope* per instrumentation
 * scope), with everything a resource says derived from its key.
 *
 * Nested messages are written with ol_pb_begin()/ol_pb_end() (a fixed
 * five-byte length that is patched afterwards); protobuf readers accept the
 * padded varint. Items are chunked in generation order, then sorted within a
 * chunk by (resource, scope, ...) so that each group is contiguous; a trace
 * cut by a chunk boundary arrives in two requests, as it does from real SDKs.
 */
#include <stdio.h>
#include <stdlib.h>

#include "codec/pb.h"
#include "core/alloc.h"
#include "core/util.h"
#include "demo/demo_int.h"

static const double ol_demo_b_seconds[] = {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25,
                                           0.5,   0.75, 1,     2.5,  5,     7.5, 10};
static const double ol_demo_b_ms[] = {0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000};
static const double ol_demo_b_genai[] = {0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64,
                                         1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92};
static const double ol_demo_b_tokens[] = {1,     4,      16,      64,      256,      1024,     4096,
                                          16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864};

/* Scopes of metrics that do not come from an instrumentation library of the service. */
enum { SC_PROCESS = 16, SC_K8S, SC_HOST_CPU, SC_HOST_MEMORY };

#define B(x) x, (uint8_t)OL_ARRAY_LEN(x)
const ol_demo_metric_def_t ol_demo_metrics[OL_DEMO_M__COUNT] = {
    [OL_DEMO_M_HTTP_SERVER] = {"http.server.request.duration", "s", "Duration of HTTP server requests.",
                               OL_METRIC_HISTOGRAM, false, OL_LG_FAM_HTTP, B(ol_demo_b_seconds)},
    [OL_DEMO_M_RPC_SERVER] = {"rpc.server.duration", "ms", "Measures the duration of inbound RPC.",
                              OL_METRIC_HISTOGRAM, false, OL_LG_FAM_GRPC, B(ol_demo_b_ms)},
    [OL_DEMO_M_DB_CLIENT] = {"db.client.operation.duration", "s", "Duration of database client operations.",
                             OL_METRIC_HISTOGRAM, false, OL_LG_FAM_DB, B(ol_demo_b_seconds)},
    [OL_DEMO_M_CACHE_CLIENT] = {"db.client.operation.duration", "s", "Duration of database client operations.",
                                OL_METRIC_HISTOGRAM, false, OL_LG_FAM_CACHE, B(ol_demo_b_seconds)},
    [OL_DEMO_M_MSG_PROCESS] = {"messaging.process.duration", "s", "Duration of processing operation.",
                               OL_METRIC_HISTOGRAM, false, OL_LG_FAM_MSG, B(ol_demo_b_seconds)},
    [OL_DEMO_M_GENAI_DURATION] = {"gen_ai.client.operation.duration", "s", "GenAI operation duration.",
                                  OL_METRIC_HISTOGRAM, false, OL_LG_FAM_GENAI, B(ol_demo_b_genai)},
    [OL_DEMO_M_GENAI_TOKENS] = {"gen_ai.client.token.usage", "{token}", "Number of input and output tokens used.",
                                OL_METRIC_HISTOGRAM, false, OL_LG_FAM_GENAI, B(ol_demo_b_tokens)},
    [OL_DEMO_M_PROC_MEMORY] = {"process.memory.usage", "By", "The amount of physical memory in use.", OL_METRIC_SUM,
                               true, SC_PROCESS, NULL, 0},
    [OL_DEMO_M_PROC_CPU] = {"process.cpu.utilization", "1",
                            "Difference in process.cpu.time since the last measurement, divided by the elapsed time "
                            "and number of CPUs available to the process.",
                            OL_METRIC_GAUGE, false, SC_PROCESS, NULL, 0},
    [OL_DEMO_M_RESTARTS] = {"k8s.container.restarts", "{restart}",
                            "How many times the container has restarted in the recent past.", OL_METRIC_GAUGE, true,
                            SC_K8S, NULL, 0},
    [OL_DEMO_M_HOST_CPU] = {"system.cpu.utilization", "1", "Difference in system.cpu.time since the last measurement, "
                            "divided by the elapsed time and number of logical CPUs.",
                            OL_METRIC_GAUGE, false, SC_HOST_CPU, NULL, 0},
    [OL_DEMO_M_HOST_MEMORY] = {"system.memory.utilization", "1", "Percentage of memory bytes in use.",
                               OL_METRIC_GAUGE, false, SC_HOST_MEMORY, NULL, 0},
};
#undef B

/* ---- attribute helpers ---- */

static void ol_demo_kv_str(ol_buf_t *b, uint32_t field, const char *key, const char *v)
{
    ol_lg_attr_t a = {.key = key, .s = v, .slen = (uint32_t)strlen(v), .type = OL_LG_A_STR};
    ol_lg_put_attr(b, field, &a);
}

static void ol_demo_kv_int(ol_buf_t *b, uint32_t field, const char *key, int64_t v)
{
    ol_lg_attr_t a = {.key = key, .i = v, .type = OL_LG_A_INT};
    ol_lg_put_attr(b, field, &a);
}

const char *ol_demo_version(const ol_demo_t *d, uint64_t res)
{
    uint32_t ver = ol_demo_res_ver(res), svc = ol_demo_res_svc(res);
    if (ver > 0 && ver <= d->cfg.n_faults) return d->cfg.faults[ver - 1].version;
    return svc < d->topo->n_services ? d->topo->services[svc].version : "";
}

static void ol_demo_put_resource(ol_demo_t *d, ol_buf_t *b, uint64_t res)
{
    uint32_t svc = ol_demo_res_svc(res), inst = ol_demo_res_inst(res), ver = ol_demo_res_ver(res);
    uint32_t inc = ol_demo_res_inc(res);
    uint64_t seed = d->cfg.seed;
    char tmp[96];
    size_t m = ol_pb_begin(b, 1);
    if (svc == OL_DEMO_HOST_SVC) {
        const char *host = d->host_names[inst % OL_DEMO_HOSTS];
        ol_demo_kv_str(b, 1, "host.name", host);
        uint64_t h = ol_lg_hash3(seed, 0x686f7374, inst);
        snprintf(tmp, sizeof tmp, "%016llx%016llx", (unsigned long long)h, (unsigned long long)ol_lg_hash3(h, 1, 2));
        ol_demo_kv_str(b, 1, "host.id", tmp);
        ol_demo_kv_str(b, 1, "host.arch", "amd64");
        ol_demo_kv_str(b, 1, "os.type", "linux");
        ol_demo_kv_str(b, 1, "k8s.node.name", host);
        ol_demo_kv_str(b, 1, "k8s.cluster.name", "olly-demo");
        ol_demo_kv_str(b, 1, "cloud.provider", "gcp");
        ol_demo_kv_str(b, 1, "cloud.region", "us-east1");
        ol_demo_kv_str(b, 1, "deployment.environment.name", d->cfg.environment);
        ol_pb_end(b, m);
        return;
    }
    const ol_topo_service_t *sv = &d->topo->services[svc];
    const ol_demo_inst_t *I = ol_demo_inst(d, svc, inst);
    uint64_t h = ol_lg_hash3(seed, svc, ((uint64_t)ver << 40) | ((uint64_t)inc << 8) | inst);
    ol_demo_kv_str(b, 1, "service.name", sv->name);
    ol_demo_kv_str(b, 1, "service.namespace", "opentelemetry-demo");
    ol_demo_kv_str(b, 1, "service.version", ol_demo_version(d, res));
    uint64_t h2 = ol_lg_hash3(h, 7, 7);
    snprintf(tmp, sizeof tmp, "%08x-%04x-4%03x-%04x-%012llx", (uint32_t)(h >> 32), (uint32_t)(h >> 16) & 0xffff,
             (uint32_t)h & 0xfff, (uint32_t)(0x8000 | ((h2 >> 48) & 0x3fff)),
             (unsigned long long)(h2 & 0xffffffffffffull));
    ol_demo_kv_str(b, 1, "service.instance.id", tmp);
    const char *pod = ol_lg_gen_pod(&d->gen, svc, inst + 16 * ver);
    ol_demo_kv_str(b, 1, "host.name", d->host_names[I->host]);
    ol_demo_kv_str(b, 1, "host.arch", "amd64");
    ol_demo_kv_str(b, 1, "os.type", "linux");
    if (sv->kind == OL_TOPO_SVC_APP) {
        ol_demo_kv_int(b, 1, "process.pid", 1 + (int64_t)(h % 32000));
        ol_demo_kv_str(b, 1, "process.runtime.name", sv->runtime);
        ol_demo_kv_str(b, 1, "process.runtime.version", sv->runtime_version);
        ol_demo_kv_str(b, 1, "telemetry.sdk.name", "opentelemetry");
        ol_demo_kv_str(b, 1, "telemetry.sdk.language", sv->language);
        ol_demo_kv_str(b, 1, "telemetry.sdk.version", ol_lg_sdk_version(sv->language));
    }
    ol_demo_kv_str(b, 1, "k8s.cluster.name", "olly-demo");
    ol_demo_kv_str(b, 1, "k8s.namespace.name", "otel-demo");
    ol_demo_kv_str(b, 1, "k8s.deployment.name", sv->name);
    ol_demo_kv_str(b, 1, "k8s.pod.name", pod);
    ol_demo_kv_str(b, 1, "k8s.container.name", sv->name);
    ol_demo_kv_str(b, 1, "k8s.node.name", d->host_names[I->host]);
    ol_demo_kv_str(b, 1, "deployment.environment.name", d->cfg.environment);
    ol_demo_kv_str(b, 1, "cloud.provider", "gcp");
    ol_demo_kv_str(b, 1, "cloud.region", "us-east1");
    ol_pb_end(b, m);
}

static void ol_demo_put_scope(ol_buf_t *b, const char *name, const char *version)
{
    size_t m = ol_pb_begin(b, 1);
    ol_pb_put_bytes(b, 1, ol_slice_cstr(name));
    if (version && *version) ol_pb_put_bytes(b, 2, ol_slice_cstr(version));
    ol_pb_end(b, m);
}

/* ---- sorting ---- */

typedef struct ol_demo_ord {
    uint64_t k1;
    uint32_t k2, idx;
} ol_demo_ord_t;

static int ol_demo_ord_cmp(const void *a, const void *b)
{
    const ol_demo_ord_t *x = a, *y = b;
    if (x->k1 != y->k1) return x->k1 < y->k1 ? -1 : 1;
    if (x->k2 != y->k2) return x->k2 < y->k2 ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* ---- traces ---- */

static void ol_demo_put_span(ol_demo_t *d, ol_buf_t *b, uint32_t i)
{
    const ol_lg_gen_t *g = &d->gen;
    const ol_lg_span_t *s = &g->spans[i];
    size_t m = ol_pb_begin(b, 2);
    ol_pb_put_bytes(b, 1, ol_slice(s->trace_id, 16));
    ol_pb_put_bytes(b, 2, ol_slice(s->span_id, 8));
    if (s->has_parent) ol_pb_put_bytes(b, 4, ol_slice(s->parent_id, 8));
    ol_pb_put_bytes(b, 5, ol_slice_cstr(s->name));
    ol_pb_put_uint(b, 6, s->kind);
    ol_pb_put_fixed64(b, 7, s->start);
    ol_pb_put_fixed64(b, 8, s->end);
    for (uint32_t k = 0; k < s->n_attr; k++) ol_lg_put_attr(b, 9, &g->attrs[s->attr_first + k]);
    for (uint32_t e = 0; e < s->n_ev; e++) {
        const ol_lg_event_t *ev = &g->evs[s->ev_first + e];
        size_t me = ol_pb_begin(b, 11);
        ol_pb_put_fixed64(b, 1, ev->t);
        ol_pb_put_bytes(b, 2, ol_slice_cstr(ev->name));
        for (uint32_t k = 0; k < ev->n_attr; k++) ol_lg_put_attr(b, 3, &g->attrs[ev->attr_first + k]);
        ol_pb_end(b, me);
    }
    if (s->link >= 0) {
        const ol_lg_span_t *l = &g->spans[s->link];
        size_t ml = ol_pb_begin(b, 13);
        ol_pb_put_bytes(b, 1, ol_slice(l->trace_id, 16));
        ol_pb_put_bytes(b, 2, ol_slice(l->span_id, 8));
        ol_pb_put_fixed32(b, 6, 0x301);
        ol_pb_end(b, ml);
    }
    size_t ms = ol_pb_begin(b, 15);
    if (s->status_msg) ol_pb_put_bytes(b, 2, ol_slice_cstr(s->status_msg));
    if (s->status) ol_pb_put_uint(b, 3, s->status);
    ol_pb_end(b, ms);
    ol_pb_put_fixed32(b, 16, s->remote_parent ? 0x301 : 0x101);
    ol_pb_end(b, m);
}

static int ol_demo_flush_traces(ol_demo_t *d, ol_buf_t *b, ol_demo_ord_t *ord, uint32_t from, uint32_t to,
                                ol_demo_emit_fn fn, void *ud)
{
    const ol_lg_gen_t *g = &d->gen;
    uint32_t n = to - from;
    for (uint32_t i = 0; i < n; i++) {
        const ol_lg_span_t *s = &g->spans[from + i];
        ord[i] = (ol_demo_ord_t){d->span_res[from + i], s->family, from + i};
    }
    qsort(ord, n, sizeof *ord, ol_demo_ord_cmp);
    ol_buf_reset(b);
    for (uint32_t i = 0; i < n;) {
        uint64_t res = ord[i].k1;
        const ol_topo_service_t *sv = &d->topo->services[ol_demo_res_svc(res)];
        size_t mr = ol_pb_begin(b, 1);
        ol_demo_put_resource(d, b, res);
        while (i < n && ord[i].k1 == res) {
            uint32_t fam = ord[i].k2;
            const char *scope = ol_lg_scope_name(sv->language, fam);
            size_t msc = ol_pb_begin(b, 2);
            ol_demo_put_scope(b, scope ? scope : sv->name, scope ? ol_lg_sdk_version(sv->language) : sv->version);
            for (; i < n && ord[i].k1 == res && ord[i].k2 == fam; i++) ol_demo_put_span(d, b, ord[i].idx);
            ol_pb_end(b, msc);
        }
        ol_pb_put_bytes(b, 3, OL_SLICE_LIT("https://opentelemetry.io/schemas/1.30.0"));
        ol_pb_end(b, mr);
    }
    if (b->err) return OL_NOMEM;
    return fn(ud, OL_SIGNAL_TRACES, ol_buf_slice(b), n);
}

/* ---- logs ---- */

static const char *ol_demo_sev_text(uint8_t sev, bool db)
{
    if (db) return sev >= 17 ? "ERROR" : sev >= 13 ? "WARNING" : "LOG";
    return sev >= 21 ? "FATAL" : sev >= 17 ? "ERROR" : sev >= 13 ? "WARN" : sev >= 9 ? "INFO" : "DEBUG";
}

static int ol_demo_flush_logs(ol_demo_t *d, ol_buf_t *b, ol_demo_ord_t *ord, uint32_t from, uint32_t to,
                              ol_demo_emit_fn fn, void *ud)
{
    uint32_t n = to - from;
    for (uint32_t i = 0; i < n; i++) ord[i] = (ol_demo_ord_t){d->logs[from + i].res, 0, from + i};
    qsort(ord, n, sizeof *ord, ol_demo_ord_cmp);
    ol_buf_reset(b);
    for (uint32_t i = 0; i < n;) {
        uint64_t res = ord[i].k1;
        const ol_topo_service_t *sv = &d->topo->services[ol_demo_res_svc(res)];
        bool db = sv->kind != OL_TOPO_SVC_APP;
        size_t mr = ol_pb_begin(b, 1);
        ol_demo_put_resource(d, b, res);
        size_t msc = ol_pb_begin(b, 2);
        ol_demo_put_scope(b, sv->name, db ? NULL : sv->version);
        for (; i < n && ord[i].k1 == res; i++) {
            const ol_demo_log_t *l = &d->logs[ord[i].idx];
            size_t ml = ol_pb_begin(b, 2);
            ol_pb_put_fixed64(b, 1, l->t);
            ol_pb_put_uint(b, 2, l->severity);
            ol_pb_put_bytes(b, 3, ol_slice_cstr(ol_demo_sev_text(l->severity, db)));
            size_t mb = ol_pb_begin(b, 5);
            ol_pb_put_bytes(b, 1, ol_slice_cstr(l->body));
            ol_pb_end(b, mb);
            for (uint32_t k = 0; k < l->n_attr; k++) ol_lg_put_attr(b, 6, &d->lattrs[l->attr_first + k]);
            if (l->span >= 0) {
                const ol_lg_span_t *s = &d->gen.spans[l->span];
                ol_pb_put_fixed32(b, 8, 1);
                ol_pb_put_bytes(b, 9, ol_slice(s->trace_id, 16));
                ol_pb_put_bytes(b, 10, ol_slice(s->span_id, 8));
            }
            ol_pb_put_fixed64(b, 11, l->t + 1000000 + (l->t & 0x3fffff));
            if (l->event_name) ol_pb_put_bytes(b, 12, ol_slice_cstr(l->event_name));
            ol_pb_end(b, ml);
        }
        ol_pb_end(b, msc);
        ol_pb_put_bytes(b, 3, OL_SLICE_LIT("https://opentelemetry.io/schemas/1.30.0"));
        ol_pb_end(b, mr);
    }
    if (b->err) return OL_NOMEM;
    return fn(ud, OL_SIGNAL_LOGS, ol_buf_slice(b), n);
}

/* ---- metrics ---- */

static const char *ol_demo_scope_of(uint32_t scope, const ol_topo_service_t *sv)
{
    switch (scope) {
    case SC_PROCESS:
        return "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/hostmetricsreceiver/internal/"
               "scraper/processscraper";
    case SC_K8S: return "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/k8sclusterreceiver";
    case SC_HOST_CPU:
        return "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/hostmetricsreceiver/internal/"
               "scraper/cpuscraper";
    case SC_HOST_MEMORY:
        return "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/hostmetricsreceiver/internal/"
               "scraper/memoryscraper";
    default: {
        const char *s = sv ? ol_lg_scope_name(sv->language, scope) : NULL;
        return s ? s : sv ? sv->name : "olly-demo";
    }
    }
}

static void ol_demo_point_attrs(ol_demo_t *d, ol_buf_t *b, uint32_t field, const ol_demo_point_t *p)
{
    const ol_topo_op_t *op = &d->topo->ops[p->op];
    const ol_topo_service_t *callee = &d->topo->services[op->service];
    char code[16];
    snprintf(code, sizeof code, "%u", p->code);
    switch (p->metric) {
    case OL_DEMO_M_HTTP_SERVER:
        ol_demo_kv_str(b, field, "http.request.method", op->method);
        ol_demo_kv_str(b, field, "http.route", op->path);
        ol_demo_kv_str(b, field, "url.scheme", "http");
        ol_demo_kv_int(b, field, "http.response.status_code", p->code);
        if (p->code >= 500) ol_demo_kv_str(b, field, "error.type", code);
        break;
    case OL_DEMO_M_RPC_SERVER:
        ol_demo_kv_str(b, field, "rpc.system", "grpc");
        ol_demo_kv_str(b, field, "rpc.service", op->path);
        ol_demo_kv_str(b, field, "rpc.method", op->method);
        ol_demo_kv_int(b, field, "rpc.grpc.status_code", p->code);
        break;
    case OL_DEMO_M_DB_CLIENT:
    case OL_DEMO_M_CACHE_CLIENT:
        ol_demo_kv_str(b, field, "db.system.name", callee->system);
        ol_demo_kv_str(b, field, "db.operation.name", op->method);
        if (op->path) ol_demo_kv_str(b, field, "db.collection.name", op->path);
        ol_demo_kv_str(b, field, "server.address", callee->name);
        if (p->code) ol_demo_kv_str(b, field, "error.type", p->metric == OL_DEMO_M_DB_CLIENT ? "40P01" : "ReplyError");
        break;
    case OL_DEMO_M_MSG_PROCESS:
        ol_demo_kv_str(b, field, "messaging.system", "kafka");
        ol_demo_kv_str(b, field, "messaging.operation.name", "process");
        ol_demo_kv_str(b, field, "messaging.destination.name", op->path);
        ol_demo_kv_str(b, field, "messaging.consumer.group.name", d->topo->services[op->service].name);
        if (p->code) ol_demo_kv_str(b, field, "error.type", "processing_error");
        break;
    case OL_DEMO_M_GENAI_DURATION:
    case OL_DEMO_M_GENAI_TOKENS:
        ol_demo_kv_str(b, field, "gen_ai.operation.name", op->method);
        ol_demo_kv_str(b, field, "gen_ai.provider.name", callee->system);
        ol_demo_kv_str(b, field, "gen_ai.request.model", op->path);
        if (!p->code) ol_demo_kv_str(b, field, "gen_ai.response.model", op->query ? op->query : op->path);
        ol_demo_kv_str(b, field, "server.address", "api.openai.com");
        if (p->code) ol_demo_kv_str(b, field, "error.type", "429");
        if (p->metric == OL_DEMO_M_GENAI_TOKENS)
            ol_demo_kv_str(b, field, "gen_ai.token.type", p->tok == 1 ? "input" : "output");
        break;
    default: break;
    }
}

static void ol_demo_put_hist_point(ol_demo_t *d, ol_buf_t *b, const ol_demo_point_t *p)
{
    const ol_demo_metric_def_t *m = &ol_demo_metrics[p->metric];
    const ol_demo_hist_t *h = &d->hists[p->hist];
    size_t mp = ol_pb_begin(b, 1);
    ol_pb_put_fixed64(b, 2, p->start);
    ol_pb_put_fixed64(b, 3, p->time);
    ol_pb_put_fixed64(b, 4, h->count);
    ol_pb_put_double(b, 5, h->sum);
    ol_pb_put_tag(b, 6, OL_PB_LEN);
    ol_pb_put_varint(b, 8u * (m->n_bounds + 1u));
    uint8_t le[8];
    for (uint32_t k = 0; k <= m->n_bounds; k++) {
        ol_store_le64(le, h->buckets[k]);
        ol_buf_append(b, le, 8);
    }
    ol_pb_put_tag(b, 7, OL_PB_LEN);
    ol_pb_put_varint(b, 8u * m->n_bounds);
    for (uint32_t k = 0; k < m->n_bounds; k++) {
        uint64_t bits;
        memcpy(&bits, &m->bounds[k], 8);
        ol_store_le64(le, bits);
        ol_buf_append(b, le, 8);
    }
    for (uint32_t e = 0; e < h->n_ex; e++) {
        const ol_demo_exemplar_t *x = &d->exs[h->ex_first + e];
        size_t mx = ol_pb_begin(b, 8);
        ol_pb_put_fixed64(b, 2, x->t);
        ol_pb_put_double(b, 3, x->v);
        ol_pb_put_bytes(b, 4, ol_slice(x->span_id, 8));
        ol_pb_put_bytes(b, 5, ol_slice(x->trace_id, 16));
        ol_pb_end(b, mx);
    }
    ol_demo_point_attrs(d, b, 9, p);
    ol_pb_put_double(b, 11, h->min);
    ol_pb_put_double(b, 12, h->max);
    ol_pb_end(b, mp);
}

static void ol_demo_put_number_point(ol_demo_t *d, ol_buf_t *b, const ol_demo_point_t *p)
{
    const ol_demo_metric_def_t *m = &ol_demo_metrics[p->metric];
    size_t mp = ol_pb_begin(b, 1);
    if (p->start) ol_pb_put_fixed64(b, 2, p->start);
    ol_pb_put_fixed64(b, 3, p->time);
    if (m->is_int) {
        ol_pb_put_fixed64(b, 6, (uint64_t)(int64_t)p->value); /* as_int is sfixed64 */
    } else {
        ol_pb_put_double(b, 4, p->value);
    }
    ol_demo_point_attrs(d, b, 7, p);
    ol_pb_end(b, mp);
}

static int ol_demo_flush_metrics(ol_demo_t *d, ol_buf_t *b, ol_demo_ord_t *ord, uint32_t from, uint32_t to,
                                 ol_demo_emit_fn fn, void *ud)
{
    uint32_t n = to - from;
    for (uint32_t i = 0; i < n; i++) {
        const ol_demo_point_t *p = &d->pts[from + i];
        ord[i] = (ol_demo_ord_t){p->res, ((uint32_t)ol_demo_metrics[p->metric].scope << 8) | p->metric, from + i};
    }
    qsort(ord, n, sizeof *ord, ol_demo_ord_cmp);
    ol_buf_reset(b);
    for (uint32_t i = 0; i < n;) {
        uint64_t res = ord[i].k1;
        uint32_t svc = ol_demo_res_svc(res);
        const ol_topo_service_t *sv = svc < d->topo->n_services ? &d->topo->services[svc] : NULL;
        size_t mr = ol_pb_begin(b, 1);
        ol_demo_put_resource(d, b, res);
        while (i < n && ord[i].k1 == res) {
            uint32_t scope = ord[i].k2 >> 8;
            size_t msc = ol_pb_begin(b, 2);
            bool lib = scope < SC_PROCESS;
            ol_demo_put_scope(b, ol_demo_scope_of(scope, sv), lib && sv ? ol_lg_sdk_version(sv->language) : NULL);
            while (i < n && ord[i].k1 == res && ord[i].k2 >> 8 == scope) {
                uint32_t metric = ord[i].k2 & 0xff;
                const ol_demo_metric_def_t *m = &ol_demo_metrics[metric];
                size_t mm = ol_pb_begin(b, 2);
                ol_pb_put_bytes(b, 1, ol_slice_cstr(m->name));
                ol_pb_put_bytes(b, 2, ol_slice_cstr(m->description));
                ol_pb_put_bytes(b, 3, ol_slice_cstr(m->unit));
                size_t md = ol_pb_begin(b, m->type);
                for (; i < n && ord[i].k1 == res && ord[i].k2 == ((scope << 8) | metric); i++) {
                    const ol_demo_point_t *p = &d->pts[ord[i].idx];
                    if (m->type == OL_METRIC_HISTOGRAM) ol_demo_put_hist_point(d, b, p);
                    else ol_demo_put_number_point(d, b, p);
                }
                if (m->type == OL_METRIC_HISTOGRAM) ol_pb_put_uint(b, 2, d->cfg.delta ? 1 : 2);
                if (m->type == OL_METRIC_SUM) {
                    ol_pb_put_uint(b, 2, 2); /* an up-down counter: cumulative, not monotonic */
                    ol_pb_put_uint(b, 3, 0);
                }
                ol_pb_end(b, md);
                ol_pb_end(b, mm);
            }
            ol_pb_end(b, msc);
        }
        ol_pb_put_bytes(b, 3, OL_SLICE_LIT("https://opentelemetry.io/schemas/1.30.0"));
        ol_pb_end(b, mr);
    }
    if (b->err) return OL_NOMEM;
    return fn(ud, OL_SIGNAL_METRICS, ol_buf_slice(b), n);
}

int ol_demo_flush(ol_demo_t *d, uint32_t max_items, ol_demo_emit_fn fn, void *ud)
{
    if (!max_items) max_items = 2000;
    uint32_t most = OL_MAX(OL_MAX(d->gen.n_spans, d->n_logs), d->n_pts);
    uint32_t cap = OL_MIN(most, max_items);
    ol_demo_ord_t *ord = cap ? ol_malloc(OL_MEM_DEMO, (size_t)cap * sizeof *ord) : NULL;
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_DEMO, 0);
    int rc = cap && !ord ? OL_NOMEM : OL_OK;
    for (uint32_t k = 0; rc == OL_OK && k < d->gen.n_spans; k += max_items)
        rc = ol_demo_flush_traces(d, &b, ord, k, OL_MIN(d->gen.n_spans, k + max_items), fn, ud);
    for (uint32_t k = 0; rc == OL_OK && k < d->n_logs; k += max_items)
        rc = ol_demo_flush_logs(d, &b, ord, k, OL_MIN(d->n_logs, k + max_items), fn, ud);
    for (uint32_t k = 0; rc == OL_OK && k < d->n_pts; k += max_items)
        rc = ol_demo_flush_metrics(d, &b, ord, k, OL_MIN(d->n_pts, k + max_items), fn, ud);
    ol_buf_free(&b);
    ol_free(OL_MEM_DEMO, ord, (size_t)cap * sizeof *ord);
    ol_lg_gen_clear(&d->gen);
    d->n_logs = d->n_lattrs = d->n_pts = d->n_hists = d->n_exs = 0;
    ol_arena_reset(d->arena);
    return rc;
}
