/*
 * demo.c - `olly demo`: flags -> configuration -> a live run -> report.
 *
 * One table (name, kind, argument, doc) drives parsing and --help, as in
 * `olly loadgen`. Flags take "--name value" or "--name=value"; --fault may be
 * repeated. A --scenario file is read first wherever it appears, then the
 * flags given explicitly override its settings, and --fault specs are added
 * after its faults.
 */
#include "cmd/demo.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "core/util.h"

typedef enum {
    DF_TARGET,
    DF_PROTOCOL,
    DF_GZIP,
    DF_RATE,
    DF_SPEED,
    DF_START,
    DF_DURATION,
    DF_SEED,
    DF_FAULT,
    DF_SCENARIO,
    DF_TRUTH,
    DF_METRIC_INTERVAL,
    DF_ENVIRONMENT,
    DF_NO_SEASONALITY,
    DF_NO_NOISE,
    DF_DELTA,
    DF_STATUS,
    DF_QUEUE_MB,
    DF_DRAIN,
    DF_MAX_ITEMS,
    DF_JSON,
    DF_LIST,
    DF_HELP,
    DF__COUNT
} ol_demo_flag_t;

static const struct {
    const char *name, *arg, *doc;
} ol_demo_flags[DF__COUNT] = {
    [DF_TARGET] = {"target", "URL",
                   "OTLP endpoint: http://HOST:PORT[/BASE] for http (signals go to BASE/v1/traces, /v1/logs, "
                   "/v1/metrics; default 127.0.0.1:4318), HOST:PORT for grpc (default 127.0.0.1:4317)"},
    [DF_PROTOCOL] = {"protocol", "http|grpc", "OTLP/HTTP protobuf or OTLP/gRPC (default http)"},
    [DF_GZIP] = {"gzip", NULL, "gzip request bodies"},
    [DF_RATE] = {"rate", "N", "traces per second entering the frontend at the weekday daily peak (default 10)"},
    [DF_SPEED] = {"speed", "N", "simulated seconds per wall second (default 1; 1440 runs a day in a minute)"},
    [DF_START] = {"start", "TIME",
                  "simulated start: now, now-24h (or -24h), RFC 3339, Unix seconds (default now)"},
    [DF_DURATION] = {"duration", "LENGTH", "simulated length, like 24h or 90m (default: until interrupted)"},
    [DF_SEED] = {"seed", "N", "random seed: same seed and settings, same telemetry (default 1)"},
    [DF_FAULT] = {"fault", "SPEC",
                  "TYPE:TARGET:START:DURATION[:KEY=VALUE,...], repeatable; e.g. bad_deploy:checkout:+30m:20m "
                  "(docs/demo.md)"},
    [DF_SCENARIO] = {"scenario", "FILE", "JSON scenario: settings and faults (docs/demo.md)"},
    [DF_TRUTH] = {"truth", "FILE", "write ground truth (fault start/end, restarts) as JSON lines"},
    [DF_METRIC_INTERVAL] = {"metric-interval", "LENGTH", "simulated time between metric exports (default 30s)"},
    [DF_ENVIRONMENT] = {"environment", "NAME", "deployment.environment.name (default production)"},
    [DF_NO_SEASONALITY] = {"no-seasonality", NULL, "flat traffic at --rate (no daily or weekly shape)"},
    [DF_NO_NOISE] = {"no-noise", NULL, "no slow random drift of the traffic"},
    [DF_DELTA] = {"delta", NULL, "delta temporality for histograms (default cumulative)"},
    [DF_STATUS] = {"status", "SECONDS", "wall seconds between status lines on stderr; 0 = none (default 5)"},
    [DF_QUEUE_MB] = {"queue-mb", "N", "requests waiting to be sent, at most N MB; beyond, new ones are dropped "
                                      "(default 64)"},
    [DF_DRAIN] = {"drain", "SECONDS", "at the end, how long to wait for the queue to empty (default 10)"},
    [DF_MAX_ITEMS] = {"max-items", "N", "spans, log records or data points per request (default 2000)"},
    [DF_JSON] = {"json", NULL, "print a JSON summary on stdout at the end"},
    [DF_LIST] = {"list", NULL, "describe the simulated system (services, operations, hosts, attributes) and exit"},
    [DF_HELP] = {"help", NULL, "show this help"},
};

static void ol_demo_usage(FILE *f)
{
    fprintf(f, "usage: olly demo [flags]\n\n"
               "Runs a simulated microservice shop that sends OTLP traces, logs and metrics, in simulated time,\n"
               "with scripted faults. See docs/demo.md.\n\nflags:\n");
    for (int i = 0; i < DF__COUNT; i++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", ol_demo_flags[i].name, ol_demo_flags[i].arg ? " " : "",
                 ol_demo_flags[i].arg ? ol_demo_flags[i].arg : "");
        fprintf(f, "  %-28s %s\n", left, ol_demo_flags[i].doc);
    }
    fprintf(f, "\nfault types: bad_deploy, dependency_latency, attribute_latency, error_burst, host_saturation,\n"
               "memory_leak, traffic_surge, slow_db_query\n");
}

static bool ol_demo_num(const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (!*v || *end || errno || !(d >= lo && d <= hi)) return false;
    *out = d;
    return true;
}

int ol_cmd_demo_parse(int argc, char **argv, ol_cmd_demo_args_t *a, ol_err_t *err)
{
    memset(a, 0, sizeof *a);
    ol_demo_config_default(&a->cfg);
    a->run.speed = 1;
    a->run.status_s = 5;
    const char *val[DF__COUNT] = {0};
    bool seen[DF__COUNT] = {0};
    const char *faults[OL_DEMO_MAX_FAULTS];
    uint32_t n_faults = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0) {
            ol_err_set(err, "unexpected argument '%s' (flags start with --)", arg);
            return -1;
        }
        arg += 2;
        const char *eq = strchr(arg, '=');
        size_t nl = eq ? (size_t)(eq - arg) : strlen(arg);
        int f = -1;
        for (int k = 0; k < DF__COUNT; k++)
            if (strlen(ol_demo_flags[k].name) == nl && strncmp(ol_demo_flags[k].name, arg, nl) == 0) f = k;
        if (f < 0) {
            ol_err_set(err, "unknown flag '--%.*s' (try --help)", (int)OL_MIN(nl, 100u), arg);
            return -1;
        }
        const char *v = NULL;
        if (!ol_demo_flags[f].arg) {
            if (eq) {
                ol_err_set(err, "--%s takes no value", ol_demo_flags[f].name);
                return -1;
            }
        } else if (eq) {
            v = eq + 1;
        } else if (i + 1 < argc) {
            v = argv[++i];
        } else {
            ol_err_set(err, "--%s needs a value (%s)", ol_demo_flags[f].name, ol_demo_flags[f].arg);
            return -1;
        }
        if (f == DF_FAULT) {
            if (n_faults >= OL_DEMO_MAX_FAULTS) {
                ol_err_set(err, "at most %u faults", OL_DEMO_MAX_FAULTS);
                return -1;
            }
            faults[n_faults++] = v;
            continue;
        }
        seen[f] = true;
        val[f] = v;
    }
    a->help = seen[DF_HELP];
    a->list = seen[DF_LIST];
    a->json = seen[DF_JSON];
    if (a->help) return 1;
    if (seen[DF_SCENARIO] && ol_demo_scenario_load(val[DF_SCENARIO], &a->cfg, err) != OL_OK) return -1;
    if (a->cfg.speed > 0) a->run.speed = a->cfg.speed;
    double d;
    uint64_t ns;
    for (int f = 0; f < DF__COUNT; f++) {
        if (!seen[f]) continue;
        const char *v = val[f];
        bool ok = true;
        switch ((ol_demo_flag_t)f) {
        case DF_TARGET: a->run.target = v; break;
        case DF_PROTOCOL:
            if (strcmp(v, "http") == 0) a->run.protocol = OL_LOADGEN_HTTP;
            else if (strcmp(v, "grpc") == 0) a->run.protocol = OL_LOADGEN_GRPC;
            else ok = false;
            break;
        case DF_GZIP: a->run.gzip = true; break;
        case DF_RATE:
            ok = ol_demo_num(v, 0.001, 1e6, &a->cfg.rate);
            break;
        case DF_SPEED: ok = ol_demo_num(v, 0.001, 1e6, &a->run.speed); break;
        case DF_START: ok = ol_demo_parse_start(v, ol_now_ns(), &a->cfg.start_ns) == OL_OK; break;
        case DF_DURATION: ok = ol_demo_parse_duration(v, &a->cfg.duration_ns) == OL_OK; break;
        case DF_SEED: ok = ol_parse_u64(ol_slice_cstr(v), &a->cfg.seed) == OL_OK; break;
        case DF_TRUTH: a->run.truth = v; break;
        case DF_METRIC_INTERVAL:
            ok = ol_demo_parse_duration(v, &ns) == OL_OK && ns >= 1000000000ull && ns <= 3600000000000ull;
            a->cfg.metric_interval_s = (double)ns / 1e9;
            break;
        case DF_ENVIRONMENT:
            ok = *v && strlen(v) < sizeof a->cfg.environment;
            if (ok) snprintf(a->cfg.environment, sizeof a->cfg.environment, "%s", v);
            break;
        case DF_NO_SEASONALITY: a->cfg.no_seasonality = true; break;
        case DF_NO_NOISE: a->cfg.no_noise = true; break;
        case DF_DELTA: a->cfg.delta = true; break;
        case DF_STATUS: ok = ol_demo_num(v, 0, 86400, &a->run.status_s); break;
        case DF_QUEUE_MB:
            ok = ol_demo_num(v, 1, 65536, &d);
            a->run.queue_bytes = (uint64_t)(d * 1048576.0);
            break;
        case DF_DRAIN: ok = ol_demo_num(v, 0.001, 3600, &a->run.drain_s); break;
        case DF_MAX_ITEMS:
            ok = ol_demo_num(v, 1, 100000, &d) && d == (double)(uint32_t)d;
            a->run.max_items = (uint32_t)d;
            break;
        default: break;
        }
        if (!ok) {
            ol_err_set(err, "--%s: bad value '%.80s' (%s)", ol_demo_flags[f].name, v, ol_demo_flags[f].arg);
            return -1;
        }
    }
    if (!seen[DF_START] && a->cfg.start_ns == 0) a->cfg.start_ns = ol_now_ns();
    for (uint32_t k = 0; k < n_faults; k++) {
        if (a->cfg.n_faults >= OL_DEMO_MAX_FAULTS) {
            ol_err_set(err, "at most %u faults (scenario and --fault together)", OL_DEMO_MAX_FAULTS);
            return -1;
        }
        if (ol_demo_fault_parse(faults[k], &a->cfg.faults[a->cfg.n_faults], err) != OL_OK) return -1;
        a->cfg.n_faults++;
    }
    return 0;
}

static _Atomic bool ol_demo_interrupted;

static void ol_demo_on_signal(int sig)
{
    (void)sig;
    atomic_store(&ol_demo_interrupted, true);
}

int ol_cmd_demo(int argc, char **argv)
{
    ol_cmd_demo_args_t *a = ol_calloc(OL_MEM_DEMO, 1, sizeof *a);
    if (!a) {
        fprintf(stderr, "olly demo: out of memory\n");
        return 1;
    }
    ol_err_t err = {{0}};
    int exit_code = 2;
    ol_demo_t *d = NULL;
    ol_demo_report_t *r = NULL;
    int prc = ol_cmd_demo_parse(argc, argv, a, &err);
    if (prc == 1) {
        ol_demo_usage(stdout);
        exit_code = 0;
        goto out;
    }
    if (prc < 0) {
        fprintf(stderr, "olly demo: %s\n", err.msg);
        goto out;
    }
    if (ol_demo_create(&a->cfg, &d, &err) != OL_OK) {
        fprintf(stderr, "olly demo: %s\n", err.msg);
        goto out;
    }
    if (a->list) {
        ol_buf_t b;
        ol_buf_init(&b, OL_MEM_DEMO, 0);
        ol_demo_describe(d, &b);
        fwrite(b.data, 1, b.len, stdout);
        ol_buf_free(&b);
        exit_code = 0;
        goto out;
    }
    signal(SIGPIPE, SIG_IGN);
    /* Ctrl-C or SIGTERM ends the run cleanly (flush, drain, report); a second one kills. */
    struct sigaction sa = {.sa_handler = ol_demo_on_signal, .sa_flags = SA_RESETHAND};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    a->run.stop = &ol_demo_interrupted;
    r = ol_calloc(OL_MEM_DEMO, 1, sizeof *r);
    if (!r) {
        fprintf(stderr, "olly demo: out of memory\n");
        exit_code = 1;
        goto out;
    }
    char when[40];
    ol_time_format(a->cfg.start_ns, when);
    if (a->run.status_s > 0)
        fprintf(stderr, "olly demo: %g traces/s at peak, x%g from %s%s, %u fault%s, seed %llu\n", a->cfg.rate,
                a->run.speed, when,
                a->cfg.duration_ns ? "" : " until interrupted", a->cfg.n_faults, a->cfg.n_faults == 1 ? "" : "s",
                (unsigned long long)a->cfg.seed);
    /* Accelerated time that starts now soon runs ahead of every clock that reads it. */
    uint64_t now = ol_now_ns();
    double ahead_s = a->cfg.duration_ns ? ((double)a->cfg.start_ns - (double)now) / 1e9 +
                                              (double)a->cfg.duration_ns / 1e9 * (1 - 1 / a->run.speed)
                                        : (a->run.speed > 1 ? 1e18 : 0);
    if (ahead_s > 3600 && a->run.status_s > 0)
        fprintf(stderr,
                "olly demo: note: simulated time will run more than an hour ahead of the wall clock; backends treat "
                "future timestamps specially. Start in the past to end near now, e.g. --start now-24h "
                "--duration 24h\n");
    exit_code = 1;
    if (ol_demo_run(d, &a->run, r, &err) != OL_OK) {
        fprintf(stderr, "olly demo: %s\n", err.msg);
        goto out;
    }
    if (a->json) {
        ol_buf_t b;
        ol_buf_init(&b, OL_MEM_DEMO, 0);
        ol_demo_report_json(&b, r);
        ol_buf_append_u8(&b, '\n');
        fwrite(b.data, 1, b.len, stdout);
        ol_buf_free(&b);
    }
    bool nothing = r->gen.spans + r->gen.logs + r->gen.points == 0;
    exit_code = r->requests_ok > 0 || nothing ? 0 : 1;
    if (exit_code) fprintf(stderr, "olly demo: no request was accepted%s%s\n", r->first_error[0] ? ": " : "",
                           r->first_error);
out:
    ol_demo_destroy(d);
    if (r) ol_free(OL_MEM_DEMO, r, sizeof *r);
    ol_free(OL_MEM_DEMO, a, sizeof *a);
    return exit_code;
}
