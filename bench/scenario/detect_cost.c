/*
 * detect_cost.c - what the server's anomaly detection costs (issue 5:
 * "every service and operation of a 50-service system checked every
 * resolution step using a small share of one core, measured").
 *
 * A synthetic system (by default 50 services, each with 5 entry
 * operations and 4 outgoing edges, some to databases) is fed to the same
 * analyzer `olly serve` runs (analyze/analyzer.h), through the same RED
 * sink entry point (ol_analyzer_red_cell) with RED bucket views built
 * here: per 10 s step and series, Poisson request counts on a daily curve
 * with a slow per-service drift, binomial errors and a latency sketch of
 * log-normal durations. After each step ol_analyzer_run(an, true)
 * processes it. Only the sink calls and the run are timed (process CPU
 * time; the analyzer has no thread of its own here), not building the
 * sketches, which is the RED aggregator's work in the server.
 *
 * Reported: signals, detector updates per step, CPU per step (mean, p50,
 * p99, max over the steps after the first day), the share of one core at
 * a 10 s resolution, the analyzer's memory (ol_mem_in_use(OL_MEM_ANALYZE)),
 * the anomalies the fault-free days raised, and then a fault phase (one
 * operation's latency x4 and one service's errors at 20%, 20 minutes each)
 * with the anomalies naming those services, so that a quiet result cannot
 * come from an analyzer that looks at nothing.
 *
 *   make -C bench detect-cost && bench/build/detect_cost [--days 2] [--services 50] [--json] [--list]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyze/analyzer.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/log.h"
#include "loadgen/spans.h"
#include "pipeline/sketch.h"

#define STEP_NS 10000000000ull
#define DAY_STEPS 8640u
#define MAX_NAME 32
/* 2026-11-16T00:00:00Z, a Monday */
#define T0_NS 1794787200000000000ull

typedef struct series {
    char name[MAX_NAME];
    bool is_edge;
    uint8_t kind;         /* operation: span kind (2 server); edge: peer type (0 service, 1 database) */
    double rate;          /* requests/s at the daily peak */
    double median_ms, sigma;
    double err;           /* error probability */
} series_t;

typedef struct service {
    char name[MAX_NAME];
    uint32_t first, n;    /* its series */
    double drift;         /* log-space AR(1) */
} service_t;

typedef struct opts {
    uint32_t services, ops, edges, days, fault_hours;
    uint64_t seed;
    bool json, list;
} opts_t;

typedef struct fault {
    uint32_t svc, series;  /* series UINT32_MAX = every operation of the service */
    double lat_mult, err;
    uint64_t from, to;     /* step indexes */
} fault_t;

static double now_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double gauss(ol_loadgen_rng_t *r)
{
    double u1 = 1.0 - ol_loadgen_rng_unit(r), u2 = ol_loadgen_rng_unit(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static uint64_t poisson(ol_loadgen_rng_t *r, double lambda)
{
    if (lambda <= 0) return 0;
    if (lambda > 30) {
        double x = lambda + sqrt(lambda) * gauss(r) + 0.5;
        return x > 0 ? (uint64_t)x : 0;
    }
    double l = exp(-lambda), p = 1;
    uint64_t k = 0;
    do {
        k++;
        p *= ol_loadgen_rng_unit(r);
    } while (p > l);
    return k - 1;
}

/* Lowest (0.2) at 04:00, highest (1.0) at 16:00, as the demo's curve roughly is. */
static double daily(uint64_t step)
{
    double h = (double)(step % DAY_STEPS) * 24.0 / DAY_STEPS;
    return 0.6 + 0.4 * cos(6.283185307179586 * (h - 16.0) / 24.0);
}

static double log_uniform(ol_loadgen_rng_t *r, double lo, double hi)
{
    return exp(log(lo) + (log(hi) - log(lo)) * ol_loadgen_rng_unit(r));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void usage(void)
{
    fprintf(stderr, "usage: detect_cost [--services N] [--ops N] [--edges N] [--days D] [--fault-hours H] "
                    "[--seed N] [--json] [--list]\n");
    exit(2);
}

static uint32_t arg_u32(const char *v, uint32_t lo, uint32_t hi)
{
    char *end;
    unsigned long x = v ? strtoul(v, &end, 10) : 0;
    if (!v || *end || x < lo || x > hi) usage();
    return (uint32_t)x;
}

/* Counts the anomalies in a /api/v1/anomalies answer and finds the earliest onset (ns; 0 = none). */
static uint32_t scan_anomalies(const ol_buf_t *b, uint64_t *first_onset)
{
    uint32_t n = 0;
    *first_onset = 0;
    const char *p = (const char *)b->data, *end = p + b->len;
    const char key[] = "\"onsetNs\":\"";
    while (p < end) {
        const char *q = memmem(p, (size_t)(end - p), key, sizeof key - 1);
        if (!q) break;
        q += sizeof key - 1;
        uint64_t t = strtoull(q, NULL, 10);
        if (!*first_onset || t < *first_onset) *first_onset = t;
        n++;
        p = q;
    }
    return n;
}

/* Prints each anomaly's explanation from an anomalies answer. */
static void print_explanations(const ol_buf_t *b, const char *indent)
{
    const char *p = (const char *)b->data, *end = p + b->len;
    const char key[] = "\"explanation\":\"";
    while (p < end) {
        const char *q = memmem(p, (size_t)(end - p), key, sizeof key - 1);
        if (!q) break;
        q += sizeof key - 1;
        const char *e = q;
        while (e < end && *e != '"') e += *e == '\\' ? 2 : 1;
        printf("%s%.*s\n", indent, (int)(e - q), q);
        p = e;
    }
}

int main(int argc, char **argv)
{
    opts_t o = {.services = 50, .ops = 5, .edges = 4, .days = 2, .fault_hours = 1, .seed = 1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--services")) o.services = arg_u32(v, 2, 2000), i++;
        else if (!strcmp(a, "--ops")) o.ops = arg_u32(v, 1, 50), i++;
        else if (!strcmp(a, "--edges")) o.edges = arg_u32(v, 0, 50), i++;
        else if (!strcmp(a, "--days")) o.days = arg_u32(v, 1, 60), i++;
        else if (!strcmp(a, "--fault-hours")) o.fault_hours = arg_u32(v, 0, 24), i++;
        else if (!strcmp(a, "--seed")) o.seed = arg_u32(v, 0, UINT32_MAX), i++;
        else if (!strcmp(a, "--json")) o.json = true;
        else if (!strcmp(a, "--list")) o.list = true;
        else usage();
    }

    /* the system */
    ol_loadgen_rng_t rng;
    ol_loadgen_rng_seed(&rng, o.seed);
    uint32_t per = o.ops + o.edges, n_series = o.services * per;
    service_t *svcs = calloc(o.services, sizeof *svcs);
    series_t *ser = calloc(n_series, sizeof *ser);
    ol_sketch_t *sk = calloc(n_series, sizeof *sk);
    uint64_t *req = calloc(n_series, sizeof *req), *errs = calloc(n_series, sizeof *errs);
    if (!svcs || !ser || !sk || !req || !errs) return 1;
    for (uint32_t s = 0; s < o.services; s++) {
        service_t *sv = &svcs[s];
        snprintf(sv->name, sizeof sv->name, "svc-%02u", s);
        sv->first = s * per;
        sv->n = per;
        double total = 0;
        for (uint32_t k = 0; k < o.ops; k++) {
            series_t *x = &ser[sv->first + k];
            snprintf(x->name, sizeof x->name, "op-%u", k);
            x->kind = 2;
            x->rate = log_uniform(&rng, 0.2, 20);
            x->median_ms = log_uniform(&rng, 1, 50);
            x->sigma = 0.3 + 0.4 * ol_loadgen_rng_unit(&rng);
            x->err = ol_loadgen_rng_unit(&rng) < 0.3 ? 0 : log_uniform(&rng, 0.0005, 0.01);
            total += x->rate;
        }
        for (uint32_t k = 0; k < o.edges; k++) {
            series_t *x = &ser[sv->first + o.ops + k];
            x->is_edge = true;
            /* calls go down the list (a DAG); the last services and every fourth edge call a database */
            if (s + 1 >= o.services || k % 4 == 3) {
                x->kind = 1;
                snprintf(x->name, sizeof x->name, "db-%u", (s + k) % 4);
            } else {
                uint32_t callee = s + 1 + ol_loadgen_rng_below(&rng, o.services - s - 1);
                snprintf(x->name, sizeof x->name, "svc-%02u", callee);
            }
            x->rate = total * (0.1 + 0.5 * ol_loadgen_rng_unit(&rng));
            x->median_ms = log_uniform(&rng, 0.5, 30);
            x->sigma = 0.3 + 0.3 * ol_loadgen_rng_unit(&rng);
            x->err = ol_loadgen_rng_unit(&rng) < 0.5 ? 0 : log_uniform(&rng, 0.0005, 0.005);
        }
    }
    for (uint32_t i = 0; i < n_series; i++) ol_sketch_init(&sk[i]);
    if (o.list) { /* the system, then exit */
        for (uint32_t i = 0; i < n_series; i++)
            printf("%s %s%s: %.2f req/s at the peak, median %.2f ms, sigma %.2f, errors %.4f\n", svcs[i / per].name,
                   ser[i].is_edge ? "-> " : "", ser[i].name, ser[i].rate, ser[i].median_ms, ser[i].sigma, ser[i].err);
        return 0;
    }

    ol_log_set_level(OL_LOG_WARN); /* the anomalies are listed below */
    ol_analyzer_options_t ao = {.step_ns = STEP_NS, .no_thread = true};
    ol_analyzer_t *an;
    ol_err_t err = {{0}};
    if (ol_analyzer_create(&ao, &an, &err) != OL_OK) {
        fprintf(stderr, "detect_cost: cannot create the analyzer: %s\n", err.msg);
        return 1;
    }

    uint64_t quiet_steps = (uint64_t)o.days * DAY_STEPS, fault_steps = (uint64_t)o.fault_hours * 360;
    uint64_t total_steps = quiet_steps + fault_steps, base = T0_NS / STEP_NS;
    /* the fault phase: 10 minutes in, 20 minutes long */
    fault_t faults[2] = {
        {.svc = 7 % o.services, .series = 7 % o.services * per + 1 % o.ops, .lat_mult = 4, .err = -1},
        {.svc = 23 % o.services, .series = UINT32_MAX, .lat_mult = 1, .err = 0.2},
    };
    for (int f = 0; f < 2; f++) {
        faults[f].from = quiet_steps + 60;
        faults[f].to = quiet_steps + 180;
    }
    uint32_t n_faults = fault_steps >= 180 ? 2 : 0;

    double *cpu = calloc(total_steps, sizeof *cpu);
    if (!cpu) return 1;
    ol_analyzer_stats_t st0 = {0}, st_day1 = {0}, st_quiet = {0};
    int64_t mem_day1 = 0, mem_quiet = 0;
    double gen_ns = 0;
    for (uint64_t step = 0; step < total_steps; step++) {
        double g0 = now_cpu_ns(), season = daily(step);
        for (uint32_t s = 0; s < o.services; s++) {
            service_t *sv = &svcs[s];
            sv->drift = 0.9986 * sv->drift + 0.0053 * gauss(&rng); /* about +-10%, over hours */
            double level = season * exp(sv->drift);
            for (uint32_t k = 0; k < sv->n; k++) {
                uint32_t i = sv->first + k;
                series_t *x = &ser[i];
                double mult = 1, perr = x->err;
                for (uint32_t f = 0; f < n_faults; f++) {
                    const fault_t *ft = &faults[f];
                    if (step < ft->from || step >= ft->to || ft->svc != s || x->is_edge) continue;
                    if (ft->series != UINT32_MAX && ft->series != i) continue;
                    mult *= ft->lat_mult;
                    if (ft->err >= 0) perr = ft->err;
                }
                uint64_t n = poisson(&rng, x->rate * level * (double)(STEP_NS / 1000000000ull));
                uint64_t e = 0;
                ol_sketch_reset(&sk[i]);
                for (uint64_t r = 0; r < n; r++) {
                    ol_sketch_add(&sk[i], ol_loadgen_rng_lognormal(&rng, x->median_ms * mult, x->sigma));
                    if (perr > 0 && ol_loadgen_rng_unit(&rng) < perr) e++;
                }
                req[i] = n;
                errs[i] = e;
            }
        }
        double t0 = now_cpu_ns();
        gen_ns += t0 - g0;
        uint64_t b = base + step;
        for (uint32_t s = 0; s < o.services; s++)
            for (uint32_t k = 0; k < svcs[s].n; k++) {
                uint32_t i = svcs[s].first + k;
                if (!req[i]) continue; /* RED emits no bucket for a series without spans in the step */
                ol_red_cell_view_t c = {.service = ol_slice_cstr(svcs[s].name), .is_edge = ser[i].is_edge,
                                        .kind = ser[i].kind, .entry = !ser[i].is_edge,
                                        .name = ol_slice_cstr(ser[i].name), .start_ns = b * STEP_NS,
                                        .end_ns = (b + 1) * STEP_NS, .requests = req[i], .errors = errs[i],
                                        .duration = &sk[i]};
                ol_analyzer_red_cell(an, &c);
            }
        ol_analyzer_run(an, true);
        cpu[step] = now_cpu_ns() - t0;
        if (step + 1 == DAY_STEPS) {
            ol_analyzer_stats(an, &st_day1);
            mem_day1 = ol_mem_in_use(OL_MEM_ANALYZE);
        }
        if (step + 1 == quiet_steps) {
            ol_analyzer_stats(an, &st_quiet);
            mem_quiet = ol_mem_in_use(OL_MEM_ANALYZE);
        }
    }
    ol_analyzer_stats_t st_end;
    ol_analyzer_stats(an, &st_end);

    /* CPU per step after the first day (the first day includes warm-up and the baselines filling) */
    uint64_t from = o.days > 1 ? DAY_STEPS : 0, n_meas = quiet_steps - from;
    double *sorted = malloc(n_meas * sizeof *sorted), sum = 0, sum_all = 0;
    if (!sorted) return 1;
    for (uint64_t i = 0; i < n_meas; i++) sum += (sorted[i] = cpu[from + i]);
    for (uint64_t i = 0; i < quiet_steps; i++) sum_all += cpu[i];
    qsort(sorted, n_meas, sizeof *sorted, cmp_double);
    double mean_us = sum / (double)n_meas / 1e3, p50_us = sorted[n_meas / 2] / 1e3,
           p99_us = sorted[(uint64_t)((double)(n_meas - 1) * 0.99)] / 1e3, max_us = sorted[n_meas - 1] / 1e3;
    double mean_all_us = sum_all / (double)quiet_steps / 1e3;
    const ol_analyzer_stats_t *ref = o.days > 1 ? &st_day1 : &st0;
    double upd_per_step = (double)(st_quiet.updates - ref->updates) / (double)n_meas;
    double share = mean_us / 1e6 / ((double)STEP_NS / 1e9) * 100;

    /* anomalies: fault-free days, then each fault */
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CORE, 0);
    ol_anomaly_query_t q = {.start_ns = 0, .end_ns = (base + quiet_steps) * STEP_NS, .limit = 10000};
    ol_analyzer_anomalies_json(an, &q, &out);
    uint64_t first;
    uint32_t quiet_anoms = scan_anomalies(&out, &first);

    printf("detect_cost: %u services x (%u entry operations + %u edges) = %u series (+%u service series), "
           "%llu signals, %u service vectors\n",
           o.services, o.ops, o.edges, n_series, o.services, (unsigned long long)st_end.signals, o.services);
    printf("  %u fault-free days of 10 s steps (%llu steps; warm-up %u steps), then %u hour(s) with faults\n", o.days,
           (unsigned long long)quiet_steps, 192u, o.fault_hours);
    printf("  detector updates per step: %.0f\n", upd_per_step);
    printf("  CPU per step%s: mean %.0f us, p50 %.0f us, p99 %.0f us, max %.0f us (whole run incl. warm-up: mean %.0f "
           "us)\n",
           o.days > 1 ? " (days 2..)" : "", mean_us, p50_us, p99_us, max_us, mean_all_us);
    printf("  per detector update: %.2f us; share of one core at a 10 s resolution: %.3f%%\n",
           mean_us / (upd_per_step > 0 ? upd_per_step : 1), share);
    printf("  memory (OL_MEM_ANALYZE): %.2f MiB after day 1, %.2f MiB after day %u (%.1f KiB per signal)\n",
           (double)mem_day1 / 1048576.0, (double)mem_quiet / 1048576.0, o.days,
           (double)mem_quiet / 1024.0 / (double)(st_quiet.signals ? st_quiet.signals : 1));
    printf("  building the synthetic buckets (not counted): %.0f us per step\n", gen_ns / (double)total_steps / 1e3);
    printf("  fault-free days: %u anomalies, %llu incidents\n", quiet_anoms,
           (unsigned long long)st_quiet.incidents_opened);
    if (quiet_anoms) print_explanations(&out, "    ");

    uint32_t fault_hits[2] = {0};
    double fault_delay_s[2] = {-1, -1};
    for (uint32_t f = 0; f < n_faults; f++) {
        ol_buf_reset(&out);
        uint64_t fs = (base + faults[f].from) * STEP_NS;
        ol_anomaly_query_t fq = {.start_ns = fs, .end_ns = (base + faults[f].to) * STEP_NS,
                                 .service = ol_slice_cstr(svcs[faults[f].svc].name), .limit = 10000};
        ol_analyzer_anomalies_json(an, &fq, &out);
        fault_hits[f] = scan_anomalies(&out, &first);
        if (fault_hits[f]) fault_delay_s[f] = first >= fs ? (double)(first - fs) / 1e9 : 0;
        printf("  fault %u (%s on %s%s%s): %u anomalies naming it, first onset %+.0f s after the start\n", f + 1,
               faults[f].err >= 0 ? "errors at 20%" : "latency x4", svcs[faults[f].svc].name,
               faults[f].series != UINT32_MAX ? " " : "", faults[f].series != UINT32_MAX ? ser[faults[f].series].name : "",
               fault_hits[f], fault_delay_s[f]);
    }
    printf("  fault phase: %llu anomalies opened in all\n",
           (unsigned long long)(st_end.anomalies_opened - st_quiet.anomalies_opened));

    if (o.json)
        printf("{\"services\":%u,\"ops\":%u,\"edges\":%u,\"series\":%u,\"signals\":%llu,\"days\":%u,\"steps\":%llu,"
               "\"updates_per_step\":%.1f,\"cpu_us_per_step\":{\"mean\":%.1f,\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f,"
               "\"mean_with_warmup\":%.1f},\"core_share_pct\":%.4f,\"mem_bytes\":%lld,\"quiet_anomalies\":%u,"
               "\"quiet_incidents\":%llu,\"fault_hits\":[%u,%u],\"fault_delay_s\":[%.0f,%.0f]}\n",
               o.services, o.ops, o.edges, n_series, (unsigned long long)st_quiet.signals, o.days,
               (unsigned long long)quiet_steps, upd_per_step, mean_us, p50_us, p99_us, max_us, mean_all_us, share,
               (long long)mem_quiet, quiet_anoms, (unsigned long long)st_quiet.incidents_opened, fault_hits[0],
               fault_hits[1], fault_delay_s[0], fault_delay_s[1]);

    ol_buf_free(&out);
    ol_analyzer_destroy(an);
    for (uint32_t i = 0; i < n_series; i++) ol_sketch_free(&sk[i]);
    free(sorted);
    free(cpu);
    free(svcs);
    free(ser);
    free(sk);
    free(req);
    free(errs);
    return 0;
}
