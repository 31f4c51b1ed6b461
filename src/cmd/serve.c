/*
 * serve.c - `olly serve`: wires config, store, ingest, API and listeners.
 *
 * Start-up order: bind every listener first (a taken port fails at once with
 * a clear message), start serving, then replay the write-ahead log on a
 * thread while /readyz says not ready and ingest answers 503. SIGTERM or
 * SIGINT stops accepting, drains in-flight requests, then flushes and fsyncs
 * the store before exit.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "act/act.h"
#include "analyze/analyzer.h"
#include "api/api.h"
#include "cmd/config.h"
#include "cmd/serve.h"
#include "core/log.h"
#include "core/util.h"

static void *ol_serve_replay(void *ud)
{
    ol_store_t *store = ud;
    uint64_t t0 = ol_mono_ns();
    if (ol_store_replay(store) != OL_OK) ol_error("write-ahead log replay failed; see the lines above");
    else ol_info("write-ahead log replayed in %.1f ms; ready", (double)(ol_mono_ns() - t0) / 1e6);
    return NULL;
}

/* Analysis and alerting: the state file in the data directory, the act
 * thread with its routing, the analyzer fed by the RED aggregator. */
static int ol_serve_analysis(const ol_config_t *cfg, ol_store_t *store, ol_pipeline_t *pipeline, ol_state_t **state,
                             ol_act_t **act, ol_analyzer_t **an, ol_an_slo_decl_t **slos, uint32_t *n_slos)
{
    ol_err_t err = {{0}};
    char path[4096], url[512];
    snprintf(path, sizeof path, "%s/state.db", cfg->data);
    if (ol_state_open_sqlite(path, state, &err) != OL_OK) {
        ol_error("cannot open the analysis state %s: %s", path, err.msg);
        return OL_ERR;
    }
    ol_act_config_t *routes = NULL;
    if (*cfg->alerts_config && ol_act_config_load(cfg->alerts_config, &routes, &err) != OL_OK) {
        ol_error("--alerts-config: %s", err.msg);
        return OL_ERR;
    }
    if (*cfg->slos && ol_analyzer_slos_load(cfg->slos, slos, n_slos, &err) != OL_OK) {
        ol_error("--slos: %s", err.msg);
        ol_act_config_free(routes);
        return OL_ERR;
    }
    const char *port = strrchr(cfg->http, ':');
    snprintf(url, sizeof url, "http://localhost:%s", port ? port + 1 : "3300");
    ol_act_options_t ao = {.config = routes, .state = *state, .external_url = *cfg->external_url ? cfg->external_url : url};
    if (ol_act_create(&ao, act, &err) != OL_OK) {
        ol_error("cannot start alerting: %s", err.msg);
        return OL_ERR;
    }
    ol_analyzer_options_t an_opt = {.step_ns = cfg->red_resolution_s * 1000000000ull, .state = *state, .act = *act,
                                    .store = store, .slos = *slos, .n_slos = *n_slos,
                                    .warmup = (uint32_t)OL_MIN(cfg->analysis_warmup, UINT32_MAX)};
    if (ol_analyzer_create(&an_opt, an, &err) != OL_OK) {
        ol_error("cannot start analysis: %s", err.msg);
        return OL_ERR;
    }
    ol_red_sink_t sink;
    ol_analyzer_sink(*an, &sink);
    ol_red_set_sink(ol_pipeline_red(pipeline), &sink);
    ol_info("analysis on: %u SLOs, alert routing %s, state in %s", *n_slos,
            *cfg->alerts_config ? cfg->alerts_config : "none (API only)", path);
    return OL_OK;
}

int ol_cmd_serve(int argc, char **argv)
{
    ol_config_t cfg;
    int rc = ol_config_load(&cfg, argc, argv);
    if (rc) {
        ol_config_free(&cfg);
        return rc > 0 ? 0 : 2;
    }
    int exit_code = 1;
    ol_store_t *store = NULL;
    ol_ingest_t *ingest = NULL;
    ol_pipeline_t *pipeline = NULL;
    ol_server_t *server = NULL;
    ol_state_t *state = NULL;
    ol_act_t *act = NULL;
    ol_analyzer_t *analyzer = NULL;
    ol_an_slo_decl_t *slos = NULL;
    uint32_t n_slos = 0;
    int lvl = ol_log_parse_level(cfg.log_level);
    if (lvl < 0) {
        fprintf(stderr, "olly serve: --log-level must be debug, info, warn or error, got '%s'\n", cfg.log_level);
        exit_code = 2;
        goto out;
    }
    ol_log_set_level((ol_log_level_t)lvl);
    ol_store_options_t so = {.dir = cfg.data, .fsync_interval_ms = (uint32_t)cfg.fsync_interval_ms};
    if (strcmp(cfg.fsync, "always") == 0) so.fsync = OL_FSYNC_ALWAYS;
    else if (strcmp(cfg.fsync, "interval") == 0) so.fsync = OL_FSYNC_INTERVAL;
    else if (strcmp(cfg.fsync, "never") == 0) so.fsync = OL_FSYNC_NEVER;
    else {
        fprintf(stderr, "olly serve: --fsync must be always, interval or never, got '%s'\n", cfg.fsync);
        exit_code = 2;
        goto out;
    }
    if (!*cfg.tls_cert != !*cfg.tls_key) {
        fprintf(stderr, "olly serve: --tls-cert and --tls-key must be given together\n");
        exit_code = 2;
        goto out;
    }
    if (cfg.merge_min_parts < 2 || cfg.store_threads < 1 || cfg.store_threads > 16 || cfg.flush_bytes < 4096 ||
        cfg.query_threads > 64) {
        fprintf(stderr, "olly serve: --merge-min-parts must be >= 2, --store-threads 1..16, --flush-bytes >= 4096, "
                        "--query-threads 0..64\n");
        exit_code = 2;
        goto out;
    }
    so.flush_bytes = cfg.flush_bytes;
    so.flush_age_ms = cfg.flush_age_ms;
    so.merge_min_parts = (uint32_t)cfg.merge_min_parts;
    so.threads = (uint32_t)cfg.store_threads;
    so.query_threads = (uint32_t)cfg.query_threads;
    const uint64_t hour_ns = 3600ull * 1000000000ull;
    so.retention_ns[OL_SIGNAL_TRACES] = cfg.retention_traces_hours * hour_ns;
    so.retention_ns[OL_SIGNAL_LOGS] = cfg.retention_logs_hours * hour_ns;
    so.retention_ns[OL_SIGNAL_METRICS] = cfg.retention_metrics_hours * hour_ns;
    so.max_bytes[OL_SIGNAL_TRACES] = cfg.max_bytes_traces;
    so.max_bytes[OL_SIGNAL_LOGS] = cfg.max_bytes_logs;
    so.max_bytes[OL_SIGNAL_METRICS] = cfg.max_bytes_metrics;
    if (cfg.max_body_bytes < 1024) {
        fprintf(stderr, "olly serve: --max-body-bytes must be at least 1024\n");
        exit_code = 2;
        goto out;
    }

    /* Signals are taken synchronously by this thread; every other thread inherits the mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    ol_err_t err = {{0}};
    if (ol_store_open(&so, &store, &err) != OL_OK) {
        ol_error("cannot open the store in %s: %s", cfg.data, err.msg);
        goto out;
    }
    const uint64_t s_ns = 1000000000ull, ms_ns = 1000000ull;
    if (cfg.red_resolution_s < 1 || cfg.red_resolution_s > 3600 || 3600 % cfg.red_resolution_s ||
        cfg.sampling_share > 1) {
        fprintf(stderr, "olly serve: --red-resolution-s must divide 3600 (1..3600), --sampling-share 0..1\n");
        exit_code = 2;
        goto out;
    }
    ol_pipeline_options_t po = {
        .store = store,
        .red = {.resolution_ns = cfg.red_resolution_s * s_ns, .lateness_ns = cfg.red_lateness_s * s_ns,
                .edge_wait_ns = cfg.red_edge_wait_ms * ms_ns},
        .sampling = {.enabled = cfg.sampling, .wait_ns = cfg.sampling_wait_ms * ms_ns, .share = cfg.sampling_share > 0 ? cfg.sampling_share : -1,
                     .max_per_second = cfg.sampling_max_per_second, .latency_ns = cfg.sampling_latency_ms * ms_ns,
                     .latency_rules = cfg.sampling_latency_rules, .attr_rules = cfg.sampling_attributes},
        .genai = {.prices = *cfg.genai_prices ? cfg.genai_prices : NULL},
        .correlate = {.dir = cfg.data},
        .semconv = cfg.semconv,
    };
    if (ol_pipeline_create(&po, &pipeline, &err) != OL_OK) {
        ol_error("cannot start the pipeline: %s", err.msg);
        exit_code = 2;
        goto out;
    }
    if (cfg.analysis && ol_serve_analysis(&cfg, store, pipeline, &state, &act, &analyzer, &slos, &n_slos) != OL_OK) {
        exit_code = 2;
        goto out;
    }
    ol_ingest_options_t io = {.store = store, .pipeline = pipeline, .max_body = cfg.max_body_bytes,
                              .token = cfg.ingest_token};
    if (ol_ingest_create(&io, &ingest) != OL_OK || ol_server_create(&server, (int)cfg.max_connections) != OL_OK) {
        ol_error("out of memory at start-up");
        goto out;
    }
    ol_api_t api = {.store = store, .ingest = ingest, .pipeline = pipeline, .server = server, .analyzer = analyzer,
                    .act = act, .token = cfg.api_token,
                    .started_ns = ol_now_ns()};
    api.sql_limits.semconv_off = !cfg.semconv;
    const char *cert = *cfg.tls_cert ? cfg.tls_cert : NULL, *key = *cfg.tls_key ? cfg.tls_key : NULL;
    /* The wire limit leaves room for framing; the decompressed limit is enforced by ingest. */
    ol_listener_config_t ls[3] = {
        {.name = "otlp-grpc", .addr = cfg.otlp_grpc, .proto = OL_PROTO_GRPC, .grpc = ol_ingest_grpc, .ud = ingest,
         .max_body = cfg.max_body_bytes + 5, .tls_cert = cert, .tls_key = key},
        {.name = "otlp-http", .addr = cfg.otlp_http, .proto = OL_PROTO_HTTP1, .http = ol_ingest_http, .ud = ingest,
         .max_body = cfg.max_body_bytes, .tls_cert = cert, .tls_key = key},
        {.name = "api", .addr = cfg.http, .proto = OL_PROTO_HTTP1, .http = ol_api_http, .ud = &api,
         .max_body = 1 << 20, .tls_cert = cert, .tls_key = key},
    };
    for (int i = 0; i < 3; i++) {
        int li = ol_server_listen(server, &ls[i], &err);
        if (li < 0) {
            ol_error("cannot listen for %s on %s: %s", ls[i].name, ls[i].addr, err.msg);
            goto out;
        }
        ol_info("listening: %s on %s (port %d)%s", ls[i].name, ls[i].addr, ol_server_port(server, li),
                cert ? " with TLS" : "");
    }
    if (ol_server_start(server) != OL_OK) {
        ol_error("cannot start the listeners");
        goto out;
    }
    ol_info("olly %s serving; data in %s, fsync %s", OL_VERSION, cfg.data, cfg.fsync);
    pthread_t replay;
    if (pthread_create(&replay, NULL, ol_serve_replay, store) != 0) {
        ol_error("cannot start the replay thread");
        goto out;
    }
    int sig = 0;
    sigwait(&sigs, &sig);
    ol_info("received %s: draining requests, then flushing the store", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    ol_server_stop(server, 10000);
    pthread_join(replay, NULL);
    exit_code = 0;
out:
    if (server) ol_server_destroy(server);
    ol_pipeline_stop(pipeline); /* emits the open RED and GenAI buckets into the store (and to analysis) */
    if (pipeline) ol_red_set_sink(ol_pipeline_red(pipeline), NULL);
    ol_analyzer_stop(analyzer); /* analyses what is left, resolves what closed, saves the baselines */
    ol_act_destroy(act);        /* delivers what it can within its shutdown flush time */
    if (store) ol_store_close(store); /* flushes (sampling still decides) and fsyncs */
    ol_pipeline_destroy(pipeline);
    ol_ingest_destroy(ingest);
    ol_analyzer_destroy(analyzer);
    ol_analyzer_slos_free(slos, n_slos);
    ol_state_close(state);
    if (exit_code == 0) ol_info("stopped cleanly");
    ol_config_free(&cfg);
    return exit_code;
}
