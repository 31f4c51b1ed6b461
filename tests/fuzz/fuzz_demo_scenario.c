/*
 * fuzz_demo_scenario.c - what `olly demo` reads from the user (src/demo/
 * fault.c, docs/demo.md): scenario files, and the same bytes as a --fault
 * spec, a length and a start time.
 *
 * Scenario: parsed into the default configuration, as cmd/demo.c does. A
 * refusal must say why and leave the configuration exactly as it was; an
 * acceptance must leave settings in their documented ranges and at most
 * OL_DEMO_MAX_FAULTS faults, each of a known type, with a target (but for
 * traffic_surge), a positive duration, start and duration within the
 * parser's 10^18 ns bound, NUL-terminated names, and every parameter
 * either "unset" (-1, "") or inside the range fault.c accepts.
 * Fault spec, length and start: the input as a C string (cut at its first
 * NUL); whatever is accepted obeys the same rules.
 *
 * Seeds: tests/fuzz/corpus/demo_scenario (docs/demo.md's example, fault
 * specs and edge cases).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "demo/demo.h"

#define FZ_MAX_NS 1000000000000000000ull

static void fz_check_str(const char *s, size_t cap, bool required)
{
    const char *end = memchr(s, 0, cap);
    if (!end || (required && end == s)) abort();
}

/* A parameter that is either unset (-1) or in [lo, hi]. */
static void fz_check_param(double v, double lo, double hi)
{
    if (v == -1) return;
    if (!(v >= lo && v <= hi)) abort();
}

static void fz_check_fault(const ol_demo_fault_t *f, bool need_target)
{
    if (f->type >= OL_DEMO_FAULT__COUNT || !ol_demo_fault_type_name(f->type)) abort();
    fz_check_str(f->target, sizeof f->target, need_target && f->type != OL_DEMO_TRAFFIC_SURGE);
    fz_check_str(f->op, sizeof f->op, false);
    fz_check_str(f->version, sizeof f->version, false);
    fz_check_str(f->attr, sizeof f->attr, false);
    fz_check_str(f->value, sizeof f->value, false);
    if (f->duration_ns == 0 || f->duration_ns > FZ_MAX_NS || f->start_ns > FZ_MAX_NS) abort();
    fz_check_param(f->factor, 0.01, 1000);
    fz_check_param(f->delay_ms, 0, 600000);
    fz_check_param(f->error_rate, 0, 1);
    fz_check_param(f->oom_after_s, 1, 1e9);
    fz_check_param(f->restart_s, 0, 3600);
    fz_check_param(f->rollout_s, 0, 3600);
}

static void fz_scenario(const uint8_t *data, size_t size)
{
    static ol_demo_config_t c, before;
    ol_demo_config_default(&c);
    before = c;
    ol_err_t err;
    err.msg[0] = 0;
    int rc = ol_demo_scenario_parse(ol_slice(data, size), "fuzz.json", &c, &err);
    if (rc != OL_OK) {
        if ((rc != OL_CORRUPT && rc != OL_LIMIT && rc != OL_ERR && rc != OL_NOMEM) || err.msg[0] == 0 ||
            !memchr(err.msg, 0, sizeof err.msg))
            abort();
        if (memcmp(&c, &before, sizeof c) != 0) abort();
        return;
    }
    if (c.n_faults > OL_DEMO_MAX_FAULTS) abort();
    for (uint32_t i = 0; i < c.n_faults; i++) fz_check_fault(&c.faults[i], true);
    if (!(c.rate >= 0.001 && c.rate <= 1e6)) abort();
    if (c.speed != 0 && !(c.speed >= 0.001 && c.speed <= 1e6)) abort();
    if (!(c.metric_interval_s >= 1 && c.metric_interval_s <= 3600)) abort();
    if (c.duration_ns > FZ_MAX_NS) abort();
    fz_check_str(c.environment, sizeof c.environment, true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_scenario(data, size);

    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = 0;
    ol_demo_fault_t f;
    ol_err_t err;
    err.msg[0] = 0;
    int rc = ol_demo_fault_parse(s, &f, &err);
    if (rc == OL_OK) fz_check_fault(&f, false);
    else if (rc != OL_CORRUPT || err.msg[0] == 0 || !memchr(err.msg, 0, sizeof err.msg)) abort();

    uint64_t ns = 0;
    if (ol_demo_parse_duration(s, &ns) == OL_OK && ns > FZ_MAX_NS) abort();
    const uint64_t now = 1767225600000000000ull; /* 2026-01-01 */
    if (ol_demo_parse_start(s, now, &ns) == OL_OK && (s[0] == '-' || strncmp(s, "now", 3) == 0) && ns > now) abort();
    free(s);
    return 0;
}
