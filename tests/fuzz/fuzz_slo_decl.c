/*
 * fuzz_slo_decl.c - the SLO declaration parser (ol_an_slo_decl_parse,
 * src/analyze/slo.c) over arbitrary bytes.
 *
 * A refused declaration must say why (OL_CORRUPT with a message). An
 * accepted one must satisfy everything slo.h promises about it: name and
 * service non-empty, every name NUL-terminated inside its array and free
 * of control characters, a known kind, objective in (0,1), threshold_ms
 * positive and finite for latency and 0 for availability, period_days
 * 1..365. And it must be usable: its options at a few step sizes create a
 * detector, and updates with good, bad, empty and NaN steps give SLO
 * verdicts (score 0, 0.5 or 1, a rule index in range, the budget at most 1).
 *
 * Seeds: tests/fuzz/corpus/slo_decl (the examples of slo.h and edge cases).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/slo.h"

static void fz_check_name(const char *s, bool required)
{
    const char *end = memchr(s, 0, OL_AN_SLO_NAME_MAX);
    if (!end || (required && end == s)) abort();
    for (const char *p = s; p < end; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) abort();
}

static void fz_check_decl(const ol_an_slo_decl_t *d)
{
    fz_check_name(d->name, true);
    fz_check_name(d->service, true);
    fz_check_name(d->operation, false);
    if (!(d->objective > 0 && d->objective < 1)) abort();
    if (d->kind == OL_AN_SLO_LATENCY) {
        if (!(d->threshold_ms > 0) || !isfinite(d->threshold_ms)) abort();
    } else if (d->kind == OL_AN_SLO_AVAILABILITY) {
        if (d->threshold_ms != 0) abort();
    } else {
        abort();
    }
    if (d->period_days < 1 || d->period_days > 365) abort();
}

static void fz_use_decl(const ol_an_slo_decl_t *d, int64_t step_ns)
{
    ol_an_slo_options_t o;
    ol_an_slo_options_from_decl(d, step_ns, &o);
    if (o.target != d->objective || o.step_ns != step_ns || o.period_ns != (int64_t)d->period_days * 86400000000000ll)
        abort();
    ol_an_slo_t *s;
    if (ol_an_slo_create(&o, &s) != OL_OK) abort();
    const ol_an_slo_options_t *r = ol_an_slo_options(s);
    if (r->n_rules == 0 || r->n_rules > OL_AN_SLO_MAX_RULES) abort();
    static const double steps[][2] = {{100, 100}, {0, 50}, {NAN, 10},  {5, NAN},
                                      {0, 0},     {3, 1000}, {-1, 7}, {1e300, 1e300}};
    int64_t t = 1700000000000000000ll;
    for (size_t i = 0; i < 40; i++, t += step_ns) {
        ol_an_verdict_t v;
        int rule = -2;
        const double *g = steps[i % OL_ARRAY_LEN(steps)];
        if (ol_an_slo_update(s, t, g[0], g[1], &v, &rule) != OL_OK) abort();
        if (v.det != OL_AN_DET_SLO || !(v.score == 0 || v.score == 0.5 || v.score == 1)) abort();
        if (rule < -1 || rule >= (int)r->n_rules || (rule < 0) != (v.score == 0)) abort();
        if (ol_an_slo_firing(s) != rule || isnan(v.value) || v.value < 0) abort();
        if (!(ol_an_slo_budget_remaining(s) <= 1)) abort();
    }
    ol_an_slo_destroy(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ol_an_slo_decl_t d;
    ol_err_t err;
    err.msg[0] = 0;
    int rc = ol_an_slo_decl_parse(ol_slice(data, size), &d, &err);
    if (rc == OL_OK) {
        fz_check_decl(&d);
        fz_use_decl(&d, 10000000000ll);
        fz_use_decl(&d, 1000000000ll);
        fz_use_decl(&d, 3600000000000ll);
    } else if ((rc != OL_CORRUPT && rc != OL_NOMEM) || err.msg[0] == 0 || !memchr(err.msg, 0, sizeof err.msg)) {
        abort();
    }
    return 0;
}
