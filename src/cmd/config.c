/*
 * config.c - the settings table and its three sources (file, env, flags).
 *
 * Config file syntax: one `name = value` per line (names as the flags without
 * the leading dashes), '#' starts a comment, blank lines ignored, values may
 * be double-quoted.
 */
#include "cmd/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"

typedef enum { OL_OPT_STR, OL_OPT_U64, OL_OPT_BOOL, OL_OPT_F64 } ol_opt_type_t;

static const struct ol_opt {
    const char *name;
    const char *env;
    ol_opt_type_t type;
    const char *def;
    size_t off;
    const char *doc;
} ol_opts[] = {
    {"data", "OLLY_DATA", OL_OPT_STR, "./olly-data", offsetof(ol_config_t, data), "data directory (write-ahead log)"},
    {"otlp-grpc", "OLLY_OTLP_GRPC", OL_OPT_STR, "127.0.0.1:4317", offsetof(ol_config_t, otlp_grpc),
     "OTLP/gRPC listen address (HOST:PORT)"},
    {"otlp-http", "OLLY_OTLP_HTTP", OL_OPT_STR, "127.0.0.1:4318", offsetof(ol_config_t, otlp_http),
     "OTLP/HTTP listen address (HOST:PORT)"},
    {"http", "OLLY_HTTP", OL_OPT_STR, "127.0.0.1:3300", offsetof(ol_config_t, http),
     "API listen address (HOST:PORT): /api/v1, /healthz, /readyz, /metrics"},
    {"max-body-bytes", "OLLY_MAX_BODY_BYTES", OL_OPT_U64, "67108864", offsetof(ol_config_t, max_body_bytes),
     "largest accepted request, after decompression"},
    {"fsync", "OLLY_FSYNC", OL_OPT_STR, "interval", offsetof(ol_config_t, fsync),
     "always | interval | never (see docs/durability.md)"},
    {"fsync-interval-ms", "OLLY_FSYNC_INTERVAL_MS", OL_OPT_U64, "1000", offsetof(ol_config_t, fsync_interval_ms),
     "fsync period for --fsync interval"},
    {"ingest-token", "OLLY_INGEST_TOKEN", OL_OPT_STR, "", offsetof(ol_config_t, ingest_token),
     "bearer token required on OTLP requests (empty = none)"},
    {"api-token", "OLLY_API_TOKEN", OL_OPT_STR, "", offsetof(ol_config_t, api_token),
     "bearer token required on /api/v1 (empty = none)"},
    {"tls-cert", "OLLY_TLS_CERT", OL_OPT_STR, "", offsetof(ol_config_t, tls_cert),
     "PEM certificate: enables TLS on every listener"},
    {"tls-key", "OLLY_TLS_KEY", OL_OPT_STR, "", offsetof(ol_config_t, tls_key), "PEM private key for --tls-cert"},
    {"log-level", "OLLY_LOG_LEVEL", OL_OPT_STR, "info", offsetof(ol_config_t, log_level),
     "debug | info | warn | error"},
    {"max-connections", "OLLY_MAX_CONNECTIONS", OL_OPT_U64, "1024", offsetof(ol_config_t, max_connections),
     "open connections across all listeners"},
    {"flush-bytes", "OLLY_FLUSH_BYTES", OL_OPT_U64, "67108864", offsetof(ol_config_t, flush_bytes),
     "flush the in-memory head into columnar parts when its log bytes reach this"},
    {"flush-age-ms", "OLLY_FLUSH_AGE_MS", OL_OPT_U64, "300000", offsetof(ol_config_t, flush_age_ms),
     "flush the head when its oldest item is this old"},
    {"merge-min-parts", "OLLY_MERGE_MIN_PARTS", OL_OPT_U64, "4", offsetof(ol_config_t, merge_min_parts),
     "merge a partition's small parts once it has this many (>= 2)"},
    {"retention-traces-hours", "OLLY_RETENTION_TRACES_HOURS", OL_OPT_U64, "168",
     offsetof(ol_config_t, retention_traces_hours), "drop trace partitions older than this (0 = keep)"},
    {"retention-logs-hours", "OLLY_RETENTION_LOGS_HOURS", OL_OPT_U64, "168", offsetof(ol_config_t, retention_logs_hours),
     "drop log partitions older than this (0 = keep)"},
    {"retention-metrics-hours", "OLLY_RETENTION_METRICS_HOURS", OL_OPT_U64, "720",
     offsetof(ol_config_t, retention_metrics_hours), "drop metric partitions older than this (0 = keep)"},
    {"max-bytes-traces", "OLLY_MAX_BYTES_TRACES", OL_OPT_U64, "0", offsetof(ol_config_t, max_bytes_traces),
     "drop the oldest trace partitions while parts exceed this (0 = no limit)"},
    {"max-bytes-logs", "OLLY_MAX_BYTES_LOGS", OL_OPT_U64, "0", offsetof(ol_config_t, max_bytes_logs),
     "as --max-bytes-traces, for logs"},
    {"max-bytes-metrics", "OLLY_MAX_BYTES_METRICS", OL_OPT_U64, "0", offsetof(ol_config_t, max_bytes_metrics),
     "as --max-bytes-traces, for metrics"},
    {"store-threads", "OLLY_STORE_THREADS", OL_OPT_U64, "2", offsetof(ol_config_t, store_threads),
     "background threads for flushes, merges and retention (1..16)"},
    {"query-threads", "OLLY_QUERY_THREADS", OL_OPT_U64, "0", offsetof(ol_config_t, query_threads),
     "threads one trace search may use (0 = one per CPU, at most 64)"},
    {"red-resolution-s", "OLLY_RED_RESOLUTION_S", OL_OPT_U64, "10", offsetof(ol_config_t, red_resolution_s),
     "RED series resolution in seconds (event time)"},
    {"red-lateness-s", "OLLY_RED_LATENESS_S", OL_OPT_U64, "3600", offsetof(ol_config_t, red_lateness_s),
     "how far behind its service's newest span a span may be and still count in RED series"},
    {"red-edge-wait-ms", "OLLY_RED_EDGE_WAIT_MS", OL_OPT_U64, "30000", offsetof(ol_config_t, red_edge_wait_ms),
     "how long a client span waits for the server span it caused before it counts as a call to an uninstrumented peer"},
    {"semconv", "OLLY_SEMCONV", OL_OPT_BOOL, "true", offsetof(ol_config_t, semconv),
     "resolve deprecated semantic-convention attribute names when reading (true/false)"},
    {"sampling", "OLLY_SAMPLING", OL_OPT_BOOL, "false", offsetof(ol_config_t, sampling),
     "tail sampling of traces when they are written to parts (true/false)"},
    {"sampling-wait-ms", "OLLY_SAMPLING_WAIT_MS", OL_OPT_U64, "30000", offsetof(ol_config_t, sampling_wait_ms),
     "decide a trace once it had no new span for this long"},
    {"sampling-share", "OLLY_SAMPLING_SHARE", OL_OPT_F64, "0.01", offsetof(ol_config_t, sampling_share),
     "share (0..1) of the traces no policy keeps that are kept per service"},
    {"sampling-max-per-second", "OLLY_SAMPLING_MAX_PER_SECOND", OL_OPT_F64, "100",
     offsetof(ol_config_t, sampling_max_per_second), "per-service cap on the traces kept by share"},
    {"sampling-latency-ms", "OLLY_SAMPLING_LATENCY_MS", OL_OPT_U64, "0", offsetof(ol_config_t, sampling_latency_ms),
     "keep traces with a span slower than this (0 = off)"},
    {"sampling-latency-rules", "OLLY_SAMPLING_LATENCY_RULES", OL_OPT_STR, "",
     offsetof(ol_config_t, sampling_latency_rules), "per-operation latency thresholds: service/operation=ms,service=ms"},
    {"sampling-attributes", "OLLY_SAMPLING_ATTRIBUTES", OL_OPT_STR, "", offsetof(ol_config_t, sampling_attributes),
     "keep traces with a span attribute equal to one of: key=value,key=value"},
    {"genai-prices", "OLLY_GENAI_PRICES", OL_OPT_STR, "", offsetof(ol_config_t, genai_prices),
     "GenAI price table file (docs/genai.md); empty = built-in examples"},
    {"analysis", "OLLY_ANALYSIS", OL_OPT_BOOL, "true", offsetof(ol_config_t, analysis),
     "anomaly detection on the RED series, anomalies and alerts (true/false; docs/analysis.md)"},
    {"analysis-warmup", "OLLY_ANALYSIS_WARMUP", OL_OPT_U64, "0", offsetof(ol_config_t, analysis_warmup),
     "steps a signal learns before it may raise anomalies (0 = 192 steps)"},
    {"alerts-config", "OLLY_ALERTS_CONFIG", OL_OPT_STR, "", offsetof(ol_config_t, alerts_config),
     "alert routing file: receivers and routes (docs/alerts.md); empty = alerts only in the API"},
    {"slos", "OLLY_SLOS", OL_OPT_STR, "", offsetof(ol_config_t, slos),
     "SLO declarations file: {\"slos\":[...]} (docs/analysis.md)"},
    {"external-url", "OLLY_EXTERNAL_URL", OL_OPT_STR, "", offsetof(ol_config_t, external_url),
     "URL under which users reach this Olly (alert links); empty = http://localhost:<api port>"},
    {"config", "OLLY_CONFIG", OL_OPT_STR, "", offsetof(ol_config_t, config), "config file (name = value lines)"},
};

void ol_config_usage(FILE *out)
{
    fprintf(out, "usage: olly serve [flags]\n\nflags (each also settable by environment variable or config file):\n");
    for (size_t i = 0; i < OL_ARRAY_LEN(ol_opts); i++)
        fprintf(out, "  --%-18s %-24s %s (default \"%s\")\n", ol_opts[i].name, ol_opts[i].env, ol_opts[i].doc,
                ol_opts[i].def);
}

static int ol_config_set(ol_config_t *cfg, const struct ol_opt *o, const char *value, const char *source)
{
    char *base = (char *)cfg;
    if (o->type == OL_OPT_STR) {
        char **slot = (char **)(base + o->off);
        char *v = strdup(value);
        if (!v) return -1;
        free(*slot);
        *slot = v;
        return 0;
    }
    char *end;
    errno = 0;
    if (o->type == OL_OPT_BOOL) {
        bool *slot = (bool *)(base + o->off);
        if (!strcmp(value, "true") || !strcmp(value, "on") || !strcmp(value, "1")) *slot = true;
        else if (!strcmp(value, "false") || !strcmp(value, "off") || !strcmp(value, "0")) *slot = false;
        else {
            fprintf(stderr, "olly: %s: setting '%s' expects true or false, got '%s'\n", source, o->name, value);
            return -1;
        }
        return 0;
    }
    if (o->type == OL_OPT_F64) {
        double d = strtod(value, &end);
        if (!*value || *end || errno || !(d >= 0) || d > 1e15) {
            fprintf(stderr, "olly: %s: setting '%s' expects a non-negative number, got '%s'\n", source, o->name, value);
            return -1;
        }
        *(double *)(base + o->off) = d;
        return 0;
    }
    unsigned long long v = strtoull(value, &end, 10);
    if (!*value || *end || errno || value[0] == '-') {
        fprintf(stderr, "olly: %s: setting '%s' expects a non-negative integer, got '%s'\n", source, o->name, value);
        return -1;
    }
    *(uint64_t *)(base + o->off) = v;
    return 0;
}

static const struct ol_opt *ol_config_find(const char *name, size_t n)
{
    for (size_t i = 0; i < OL_ARRAY_LEN(ol_opts); i++)
        if (strlen(ol_opts[i].name) == n && strncmp(ol_opts[i].name, name, n) == 0) return &ol_opts[i];
    return NULL;
}

static int ol_config_file(ol_config_t *cfg, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "olly: config file %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[4096];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        char *nl = strpbrk(p, "\r\n");
        if (nl) *nl = 0;
        if (!*p || *p == '#') continue;
        char *eq = strchr(p, '=');
        char where[4200];
        snprintf(where, sizeof where, "%s:%d", path, lineno);
        if (!eq) {
            fprintf(stderr, "olly: %s: expected 'name = value'\n", where);
            rc = -1;
            break;
        }
        char *ke = eq;
        while (ke > p && (ke[-1] == ' ' || ke[-1] == '\t')) ke--;
        char *v = eq + 1;
        while (*v == ' ' || *v == '\t') v++;
        size_t vl = strlen(v);
        while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) v[--vl] = 0;
        if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
            v[vl - 1] = 0;
            v++;
        }
        const struct ol_opt *o = ol_config_find(p, (size_t)(ke - p));
        if (!o || strcmp(o->name, "config") == 0) {
            fprintf(stderr, "olly: %s: unknown setting '%.*s'\n", where, (int)(ke - p), p);
            rc = -1;
            break;
        }
        rc = ol_config_set(cfg, o, v, where);
    }
    fclose(f);
    return rc;
}

int ol_config_load(ol_config_t *cfg, int argc, char **argv)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < OL_ARRAY_LEN(ol_opts); i++)
        if (ol_config_set(cfg, &ol_opts[i], ol_opts[i].def, "default")) return -1;
    /* The config file's path may come from the environment or a flag. */
    const char *cfile = getenv("OLLY_CONFIG");
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--config=", 9) == 0) cfile = argv[i] + 9;
        else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) cfile = argv[i + 1];
    }
    if (cfile && *cfile && ol_config_file(cfg, cfile)) return -1;
    for (size_t i = 0; i < OL_ARRAY_LEN(ol_opts); i++) {
        const char *v = getenv(ol_opts[i].env);
        if (v && ol_config_set(cfg, &ol_opts[i], v, ol_opts[i].env)) return -1;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            ol_config_usage(stdout);
            return 1;
        }
        if (strncmp(a, "--", 2) != 0) {
            fprintf(stderr, "olly serve: unexpected argument '%s' (try --help)\n", a);
            return -1;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t n = eq ? (size_t)(eq - name) : strlen(name);
        const struct ol_opt *o = ol_config_find(name, n);
        if (!o) {
            fprintf(stderr, "olly serve: unknown flag '%s' (try --help)\n", a);
            return -1;
        }
        const char *v = eq ? eq + 1 : NULL;
        if (!v) {
            if (i + 1 >= argc) {
                fprintf(stderr, "olly serve: flag '--%s' needs a value\n", o->name);
                return -1;
            }
            v = argv[++i];
        }
        if (ol_config_set(cfg, o, v, a)) return -1;
    }
    return 0;
}

void ol_config_free(ol_config_t *cfg)
{
    for (size_t i = 0; i < OL_ARRAY_LEN(ol_opts); i++)
        if (ol_opts[i].type == OL_OPT_STR) {
            char **slot = (char **)((char *)cfg + ol_opts[i].off);
            free(*slot);
            *slot = NULL;
        }
}
