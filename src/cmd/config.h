/*
 * config.h - `olly serve` settings: one table (name, environment variable,
 * type, default, doc) drives flags, environment, the config file and the
 * generated help, so they cannot drift apart. Precedence: defaults < config
 * file < environment < flags.
 */
#ifndef OL_CMD_CONFIG_H
#define OL_CMD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct ol_config {
    char *data;
    char *otlp_grpc;
    char *otlp_http;
    char *http;
    uint64_t max_body_bytes;
    char *fsync;
    uint64_t fsync_interval_ms;
    char *ingest_token;
    char *api_token;
    char *tls_cert;
    char *tls_key;
    char *log_level;
    uint64_t max_connections;
    uint64_t flush_bytes;
    uint64_t flush_age_ms;
    uint64_t merge_min_parts;
    uint64_t retention_traces_hours, retention_logs_hours, retention_metrics_hours;
    uint64_t max_bytes_traces, max_bytes_logs, max_bytes_metrics;
    uint64_t store_threads;
    uint64_t query_threads;
    uint64_t red_resolution_s, red_lateness_s, red_edge_wait_ms;
    bool semconv;
    bool sampling;
    uint64_t sampling_wait_ms, sampling_latency_ms;
    double sampling_share, sampling_max_per_second;
    char *sampling_latency_rules, *sampling_attributes;
    char *genai_prices;
    bool analysis;
    uint64_t analysis_warmup;
    char *alerts_config, *slos, *external_url;
    char *config;
} ol_config_t;

/* Fills cfg from defaults, the config file (--config/OLLY_CONFIG), the
 * environment and argv. On error prints a message naming the setting and
 * returns -1; returns 1 when help was printed. */
int ol_config_load(ol_config_t *cfg, int argc, char **argv);
void ol_config_free(ol_config_t *cfg);
void ol_config_usage(FILE *out);

#endif
