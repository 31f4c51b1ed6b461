/*
 * fuzz_an_slos.c - the SLO declarations file of `olly serve --slos`
 * (ol_analyzer_slos_parse, src/analyze/an_slos.c) over arbitrary bytes.
 * Accepted files must hold unique, valid declarations that an analyzer
 * accepts; refused ones must say why and return nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/analyzer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ol_an_slo_decl_t *d = NULL;
    uint32_t n = 0;
    ol_err_t err = {{0}};
    int rc = ol_analyzer_slos_parse(ol_slice(data, size), &d, &n, &err);
    if (rc != OL_OK) {
        if (d || n || !err.msg[0]) abort();
        return 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        const ol_an_slo_decl_t *x = &d[i];
        if (!memchr(x->name, 0, sizeof x->name) || !memchr(x->service, 0, sizeof x->service) || !x->name[0] ||
            !x->service[0] || !(x->objective > 0 && x->objective < 1) ||
            (x->kind != OL_AN_SLO_AVAILABILITY && x->kind != OL_AN_SLO_LATENCY) ||
            (x->kind == OL_AN_SLO_LATENCY && !(x->threshold_ms > 0)) || x->period_days < 1 || x->period_days > 365)
            abort();
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(d[j].name, x->name) == 0) abort();
    }
    ol_analyzer_options_t o = {.step_ns = 10000000000ull, .slos = d, .n_slos = n, .no_thread = true};
    ol_analyzer_t *an = NULL;
    if (ol_analyzer_create(&o, &an, &err) != OL_OK) abort();
    ol_analyzer_destroy(an);
    ol_analyzer_slos_free(d, n);
    return 0;
}
