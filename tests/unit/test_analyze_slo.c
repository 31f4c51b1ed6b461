/*
 * test_analyze_slo.c - burn-rate rules against hand-computed numbers:
 * window arithmetic, a full outage paging within the workbook's time and
 * resolving after recovery, slow burns raising tickets and nothing else,
 * the budget, window exactness, persistence, damaged blobs, and the
 * declaration parser's answers and errors.
 */
#include "analyze/slo.h"
#include "core/alloc.h"
#include "core/util.h"
#include "test.h"

#include <math.h>
#include <time.h>

#define SEC 1000000000ll
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

static bool near(double a, double b) { return fabs(a - b) <= 1e-9 * (1 + fabs(b)); }

/* 1-minute steps, 99.9%: burn rates by hand. */
static void test_slo_arithmetic(void)
{
    ol_an_slo_t *s;
    CHECK_EQ_INT(ol_an_slo_create(&(ol_an_slo_options_t){.target = 0.999, .step_ns = MIN}, &s), OL_OK);
    CHECK_EQ_INT(ol_an_slo_options(s)->n_rules, 4);
    double lb, sb;
    ol_an_verdict_t v;
    int rule;
    /* 60 minutes of 1000 requests with 2 failures: error ratio 0.002, burn 2 everywhere. */
    for (int i = 0; i < 60; i++) {
        ol_an_slo_update(s, i * MIN, 998, 1000, &v, &rule);
        CHECK(rule == -1); /* 3d/6h (factor 1) waits for its short window: 6 hours of data */
    }
    CHECK_EQ_INT(ol_an_slo_burn(s, 0, &lb, &sb), OL_OK);
    CHECK(near(lb, 2) && near(sb, 2));
    CHECK(v.score == 0 && near(v.value, 2) && v.det == OL_AN_DET_SLO);
    /* 10 clean minutes: 1h holds 50 x 2 bad of 60000 -> 100/60000/0.001 = 1.6667; 5m is clean. */
    for (int i = 60; i < 70; i++) ol_an_slo_update(s, i * MIN, 1000, 1000, &v, &rule);
    ol_an_slo_burn(s, 0, &lb, &sb);
    CHECK(near(lb, 100.0 / 60000 / 0.001) && sb == 0);
    /* 6h/30m: 120 bad of 70000 over 6h; 30m: 20 x 2 bad of 30000. */
    ol_an_slo_burn(s, 1, &lb, &sb);
    CHECK(near(lb, 120.0 / 70000 / 0.001) && near(sb, 40.0 / 30000 / 0.001));
    /* Budget: 120 bad of 70000 against an allowance of 70 -> 1 - 120/70. */
    CHECK(near(ol_an_slo_budget_remaining(s), 1 - 120.0 / 70));
    /* A step without events and a nonsense step change nothing. */
    ol_an_slo_update(s, 70 * MIN, 0, 0, &v, &rule);
    ol_an_slo_update(s, 71 * MIN, NAN, NAN, &v, &rule);
    ol_an_slo_update(s, 72 * MIN, 5, -3, &v, &rule);
    ol_an_slo_update(s, 72 * MIN, 0, 1e300, &v, &rule);
    ol_an_slo_update(s, 72 * MIN, 0, INFINITY, &v, &rule);
    ol_an_slo_burn(s, 1, &lb, &sb);
    CHECK(near(lb, 120.0 / 70000 / 0.001));
    /* good above total counts as all good */
    ol_an_slo_update(s, 73 * MIN, 2000, 1000, &v, &rule);
    ol_an_slo_burn(s, 1, &lb, &sb);
    CHECK(near(lb, 120.0 / 71000 / 0.001));
    CHECK_EQ_INT(ol_an_slo_burn(s, 4, &lb, &sb), OL_ERR);
    ol_an_slo_destroy(s);

    /* A window without events burns at 0; an empty SLO has its whole budget. */
    ol_an_slo_create(&(ol_an_slo_options_t){.target = 0.99, .step_ns = MIN}, &s);
    CHECK(ol_an_slo_budget_remaining(s) == 1);
    ol_an_slo_update(s, 0, 0, 0, &v, &rule);
    ol_an_slo_burn(s, 0, &lb, &sb);
    CHECK(lb == 0 && sb == 0);
    ol_an_slo_destroy(s);

    CHECK_EQ_INT(ol_an_slo_create(&(ol_an_slo_options_t){.target = 1, .step_ns = MIN}, &s), OL_ERR);
    CHECK_EQ_INT(ol_an_slo_create(&(ol_an_slo_options_t){.target = 0.99}, &s), OL_ERR);
    ol_an_slo_options_t bad = {.target = 0.99, .step_ns = MIN, .n_rules = 1};
    bad.rules[0] = (ol_an_slo_rule_t){HOUR, 2 * HOUR, 2, OL_AN_SLO_PAGE}; /* short longer than long */
    CHECK_EQ_INT(ol_an_slo_create(&bad, &s), OL_ERR);
    bad.rules[0] = (ol_an_slo_rule_t){HOUR, MIN, 2, 7};
    CHECK_EQ_INT(ol_an_slo_create(&bad, &s), OL_ERR);
}

/* 10-second steps, 100 requests each, 99.9%, a day of clean traffic, then
 * a 100% outage of 40 minutes. Hand-computed (the windows involved in
 * opening and closing are exact at 10 s except 6h (3 steps), 1d (9), 3d (26)):
 *   page 1h/5m > 14.4: 1h burn after n bad steps = n / 360 / 0.001 > 14.4
 *     -> n = 6: opens on the 6th outage step (60 s; the workbook's
 *     detection time for a full outage is 0.144% of 1h = 51.8 s);
 *   page 6h/30m > 6: n / 2160 / 0.001 > 6 -> n = 13;
 *   ticket 3d/6h > 1: the 3d window holds 1 day so far (8640 + n steps):
 *     n / (8640 + n) / 0.001 > 1 -> n = 9 (and 6h: 9/2.16 > 1);
 *   ticket 1d/2h > 3: n / 8640 / 0.001 > 3 -> n = 26.
 * After recovery (k clean steps; the 40-minute outage fills every short
 * window):
 *   1h/5m closes when 5m burn <= 14.4: bad steps in 30 <= 0.432 -> k = 30;
 *   6h/30m closes when 30m (180 steps) holds <= 1.08 bad steps -> k = 179;
 *   1d/2h closes when 2h (720) holds <= 2.16 -> k = 718;
 *   3d/6h closes when 6h (about 2160) holds <= 2.16 -> k about 2158. */
static void test_slo_outage(void)
{
    ol_an_slo_t *s;
    CHECK_EQ_INT(ol_an_slo_create(&(ol_an_slo_options_t){.target = 0.999, .step_ns = 10 * SEC}, &s), OL_OK);
    ol_an_verdict_t v;
    int rule;
    long t = 0;
    for (; t < 8640; t++) {
        ol_an_slo_update(s, t * 10 * SEC, 100, 100, &v, &rule);
        CHECK(rule == -1 && v.score == 0);
    }
    int open_at[4] = {-1, -1, -1, -1}, page_at = -1;
    long s0 = t;
    for (; t < s0 + 240; t++) {
        ol_an_slo_update(s, t * 10 * SEC, 0, 100, &v, &rule);
        for (uint32_t r = 0; r < 4; r++)
            if (open_at[r] < 0 && ol_an_slo_rule_open(s, r)) open_at[r] = (int)(t - s0) + 1;
        if (page_at < 0 && v.score == 1) {
            page_at = (int)(t - s0) + 1;
            CHECK_EQ_INT(rule, 0);
            CHECK(near(v.value, 6 / 0.36) && near(v.deviation, v.value) && v.expected == 1);
            CHECK_EQ_INT(v.since_ns, s0 * 10 * SEC);
            CHECK_EQ_INT(ol_an_slo_firing(s), 0);
        }
    }
    fprintf(stderr, "  full outage: rules open after %d, %d, %d, %d bad steps; page after %d (60 s)\n", open_at[0],
            open_at[1], open_at[2], open_at[3], page_at);
    CHECK_EQ_INT(page_at, 6);
    CHECK_EQ_INT(open_at[0], 6);
    CHECK_EQ_INT(open_at[1], 13);
    CHECK_EQ_INT(open_at[2], 26);
    CHECK_EQ_INT(open_at[3], 9);
    /* All four open now; the page with the higher burn is reported (1h: 1000 vs 6h: 240/2.16). */
    CHECK(v.score == 1 && rule == 0);

    int close_at[4] = {-1, -1, -1, -1}, unpaged = -1, quiet = -1;
    long r0 = t;
    for (; t < r0 + 3000; t++) {
        ol_an_slo_update(s, t * 10 * SEC, 100, 100, &v, &rule);
        for (uint32_t r = 0; r < 4; r++)
            if (close_at[r] < 0 && !ol_an_slo_rule_open(s, r)) close_at[r] = (int)(t - r0) + 1;
        if (unpaged < 0 && v.score < 1) {
            unpaged = (int)(t - r0) + 1;
            CHECK(v.score == 0.5 && (rule == 2 || rule == 3));
        }
        if (quiet < 0 && rule == -1) quiet = (int)(t - r0) + 1;
    }
    fprintf(stderr,
            "  recovery: rules close after %d, %d, %d, %d clean steps; page gone after %d, all quiet after %d\n",
            close_at[0], close_at[1], close_at[2], close_at[3], unpaged, quiet);
    CHECK_EQ_INT(close_at[0], 30);
    CHECK_EQ_INT(close_at[1], 179);
    CHECK_EQ_INT(close_at[2], 718);
    CHECK(close_at[3] >= 2158 - 3 && close_at[3] <= 2158 + 3);
    CHECK_EQ_INT(unpaged, 179);
    CHECK_EQ_INT(quiet, close_at[3]);
    CHECK(v.score == 0 && ol_an_slo_firing(s) == -1);
    /* 240 bad steps x 100 of a budget of 0.001 x (8640 + 240 + 3000) x 100 events */
    CHECK(near(ol_an_slo_budget_remaining(s), 1 - 240.0 / (0.001 * (8640 + 240 + 3000))));
    ol_an_slo_destroy(s);
}

/* A slow burn (0.2% errors, burn 2) after 3 clean days: the 3d/6h ticket
 * opens once half of the 3d window is burning (1.5 days), nothing pages,
 * and 1d/2h (factor 3) never opens. A steady burn of 0.5 raises nothing. */
static void test_slo_slow_burn(void)
{
    ol_an_slo_t *s;
    ol_an_slo_create(&(ol_an_slo_options_t){.target = 0.999, .step_ns = 10 * SEC}, &s);
    ol_an_verdict_t v;
    int rule, opened = -1, paged = 0, other = 0;
    long t = 0, clean = 3 * 8640;
    for (; t < clean; t++) ol_an_slo_update(s, t * 10 * SEC, 1000, 1000, &v, &rule);
    for (; t < clean + 15000; t++) {
        ol_an_slo_update(s, t * 10 * SEC, 998, 1000, &v, &rule);
        paged += v.score == 1;
        if (rule >= 0 && rule != 3) other++;
        if (opened < 0 && rule == 3) {
            opened = (int)(t - clean) + 1;
            CHECK(v.score == 0.5 && v.value > 1 && v.value < 1.01);
        }
    }
    uint64_t lo, hi;
    CHECK_EQ_INT(ol_an_slo_window_steps(s, 3 * DAY, &lo, &hi), OL_OK);
    fprintf(stderr, "  burn 2 after 3 clean days: 3d/6h ticket after %d steps (3d window covers %llu..%llu steps)\n",
            opened, (unsigned long long)lo, (unsigned long long)hi);
    /* 2 n / covered > 1: n just above half the covered steps */
    CHECK(opened >= (int)(lo / 2) && opened <= (int)(hi / 2) + 1);
    CHECK_EQ_INT(paged, 0);
    CHECK_EQ_INT(other, 0);
    ol_an_slo_destroy(s);

    ol_an_slo_create(&(ol_an_slo_options_t){.target = 0.999, .step_ns = 10 * SEC}, &s);
    uint64_t rng = 3;
    int fired = 0;
    for (t = 0; t < 4 * 8640; t++) {
        /* about 0.05% errors: 1 bad request every other step, on average */
        double bad = (double)(ol_test_rng(&rng) % 3 == 0) + (double)(ol_test_rng(&rng) % 6 == 0);
        ol_an_slo_update(s, t * 10 * SEC, 1000 - bad, 1000, &v, &rule);
        fired += rule >= 0;
    }
    CHECK_EQ_INT(fired, 0);
    CHECK(ol_an_slo_budget_remaining(s) > 0.4 && ol_an_slo_budget_remaining(s) < 0.6);
    ol_an_slo_destroy(s);
}

/* The window layout is as the header says at 10 s steps. */
static void test_slo_windows(void)
{
    int64_t before = ol_mem_in_use(OL_MEM_ANALYZE);
    ol_an_slo_t *s;
    ol_an_slo_create(&(ol_an_slo_options_t){.target = 0.999, .step_ns = 10 * SEC}, &s);
    int64_t bytes = ol_mem_in_use(OL_MEM_ANALYZE) - before;
    const struct {
        int64_t w;
        uint64_t steps, b;
    } want[] = {{5 * MIN, 30, 1},     {30 * MIN, 180, 1},  {HOUR, 360, 1},         {2 * HOUR, 720, 1},
                {6 * HOUR, 2160, 3}, {DAY, 8640, 9},      {3 * DAY, 25920, 26}, {30 * DAY, 259200, 254}};
    for (size_t i = 0; i < OL_ARRAY_LEN(want); i++) {
        uint64_t lo, hi;
        CHECK_EQ_INT(ol_an_slo_window_steps(s, want[i].w, &lo, &hi), OL_OK);
        CHECK_EQ_INT(hi - lo + 1, want[i].b);
        CHECK(lo <= want[i].steps + want[i].b && hi + want[i].b >= want[i].steps);
        CHECK(fabs(((double)lo + (double)hi) / 2 - (double)want[i].steps) <= (double)want[i].b / 2);
    }
    uint64_t lo, hi;
    CHECK_EQ_INT(ol_an_slo_window_steps(s, 7 * MIN, &lo, &hi), OL_NOTFOUND);
    fprintf(stderr, "  one SLO at 10 s steps: %lld bytes\n", (long long)bytes);
    CHECK(bytes < 80 * 1024);
    ol_an_slo_destroy(s);
}

/* A coarse window is right within its bucket: burn over an approximate
 * window against the exact sum over both of its possible lengths. */
static void test_slo_coarse_exactness(void)
{
    ol_an_slo_options_t o = {.target = 0.99, .step_ns = 10 * SEC, .n_rules = 1};
    o.rules[0] = (ol_an_slo_rule_t){DAY, 5 * MIN, 1000, OL_AN_SLO_TICKET};
    ol_an_slo_t *s;
    ol_an_slo_create(&o, &s);
    static double prefix[20001]; /* bad events before step t */
    uint64_t rng = 9;
    uint64_t lo, hi;
    ol_an_slo_window_steps(s, DAY, &lo, &hi);
    CHECK(hi - lo + 1 == 9);
    int wrong = 0;
    for (int t = 0; t < 20000; t++) {
        double bad = (double)(ol_test_rng(&rng) % 50);
        prefix[t + 1] = prefix[t] + bad;
        ol_an_slo_update(s, t * 10 * SEC, 100 - bad, 100, NULL, NULL);
        double lb, sb;
        ol_an_slo_burn(s, 0, &lb, &sb);
        /* some covered length n in [lo, hi] gives exactly this burn */
        bool found = false;
        for (uint64_t n = lo; n <= hi && !found; n++) {
            int from = (uint64_t)t + 1 > n ? t + 1 - (int)n : 0;
            found = near(lb, (prefix[t + 1] - prefix[from]) / (100.0 * (t + 1 - from)) / 0.01);
        }
        wrong += !found;
    }
    CHECK_EQ_INT(wrong, 0);
    ol_an_slo_destroy(s);
}

static void test_slo_persist(void)
{
    ol_an_slo_t *a, *b;
    ol_an_slo_create(&(ol_an_slo_options_t){.target = 0.995, .step_ns = 30 * SEC, .period_ns = 7 * DAY}, &a);
    uint64_t rng = 21;
    ol_an_verdict_t va, vb;
    int ra, rb;
    int fired = 0;
    for (int t = 0; t < 5000; t++) {
        double tot = 50 + (double)(ol_test_rng(&rng) % 50), bad = (t > 4000 && t < 4100) ? tot / 2 : 0;
        ol_an_slo_update(a, t * 30 * SEC, tot - bad, tot, &va, &ra);
        fired += ra >= 0;
    }
    CHECK(fired > 0);
    ol_buf_t buf;
    ol_buf_init(&buf, OL_MEM_ANALYZE, 0);
    CHECK_EQ_INT(ol_an_slo_save(a, &buf), OL_OK);
    CHECK_EQ_INT(ol_an_slo_load(ol_buf_slice(&buf), &b), OL_OK);
    CHECK_EQ_INT(ol_an_slo_firing(b), ol_an_slo_firing(a));
    int diff = 0;
    for (int t = 5000; t < 12000; t++) {
        double tot = 50 + (double)(ol_test_rng(&rng) % 50), bad = (t > 9000 && t < 9030) ? tot : 0;
        ol_an_slo_update(a, t * 30 * SEC, tot - bad, tot, &va, &ra);
        ol_an_slo_update(b, t * 30 * SEC, tot - bad, tot, &vb, &rb);
        fired += ra >= 0 && t > 9000;
        diff += ra != rb || memcmp(&va, &vb, sizeof va) != 0 ||
                ol_an_slo_budget_remaining(a) != ol_an_slo_budget_remaining(b);
    }
    CHECK_EQ_INT(diff, 0);
    CHECK(fired > 100);
    ol_an_slo_destroy(b);

    int accepted = 0;
    for (size_t n = 0; n < buf.len; n += (n < 400 ? 1 : 97)) {
        accepted += ol_an_slo_load(ol_slice(buf.data, n), &b) != OL_CORRUPT;
        buf.data[n] ^= 0x08;
        accepted += ol_an_slo_load(ol_buf_slice(&buf), &b) != OL_CORRUPT;
        buf.data[n] ^= 0x08;
    }
    CHECK_EQ_INT(accepted, 0);
    /* Sealed but impossible: a bucket with more bad than total events. The
     * first tier's ring starts after the header (8), options (8+8+8+4 +
     * 4 x 25) and the tier's pos, fill and partial sums (4+4+8+8). */
    size_t ring = 8 + 28 + 100 + 24;
    double big = 1e9;
    memcpy(buf.data + ring, &big, 8);
    ol_store_le32(buf.data + buf.len - 4, ol_crc32c(0, buf.data, buf.len - 4));
    CHECK_EQ_INT(ol_an_slo_load(ol_buf_slice(&buf), &b), OL_CORRUPT);
    ol_buf_free(&buf);
    ol_an_slo_destroy(a);
}

/* Steps of up to 1e18 events round-trip; a loaded bucket with more than its
 * steps can hold is refused (found by fuzz_an_blob: buckets of 1e308
 * events loaded and made the window sums infinite and the burn rates NaN). */
static void test_slo_persist_ranges(void)
{
    ol_an_slo_options_t o = {.target = 0.99, .step_ns = 60 * SEC, .period_ns = DAY, .n_rules = 2};
    o.rules[0] = (ol_an_slo_rule_t){10 * 60 * SEC, 2 * 60 * SEC, 2, OL_AN_SLO_PAGE};
    o.rules[1] = (ol_an_slo_rule_t){60 * 60 * SEC, 10 * 60 * SEC, 1, OL_AN_SLO_TICKET};
    ol_an_slo_t *a, *b;
    CHECK_EQ_INT(ol_an_slo_create(&o, &a), OL_OK);
    ol_an_verdict_t v;
    for (int t = 0; t < 3000; t++) {
        ol_an_slo_update(a, t * 60 * SEC, t % 7 ? 1e18 : 0, 1e18, &v, NULL);
        CHECK(isfinite(v.value) && isfinite(ol_an_slo_budget_remaining(a)));
    }
    ol_buf_t buf;
    ol_buf_init(&buf, OL_MEM_ANALYZE, 0);
    CHECK_EQ_INT(ol_an_slo_save(a, &buf), OL_OK);
    CHECK_EQ_INT(ol_an_slo_load(ol_buf_slice(&buf), &b), OL_OK);
    ol_an_slo_destroy(b);
    /* The first tier (single steps) holds the 2, 10 and 60 step windows: a
     * ring of 60 bad counts, then 60 totals, after header, options (8+8+8+4 +
     * 2 x 25) and the tier's pos, fill and partial sums (4+4+8+8). */
    size_t ring = 8 + 28 + 50 + 24;
    double huge = 1e300;
    memcpy(buf.data + ring, &huge, 8);
    memcpy(buf.data + ring + 60 * 8, &huge, 8);
    ol_store_le32(buf.data + buf.len - 4, ol_crc32c(0, buf.data, buf.len - 4));
    b = NULL;
    CHECK_EQ_INT(ol_an_slo_load(ol_buf_slice(&buf), &b), OL_CORRUPT);
    ol_an_slo_destroy(b);
    ol_buf_free(&buf);
    ol_an_slo_destroy(a);
}

static void test_slo_cost(void)
{
    ol_an_slo_t *s;
    ol_an_slo_create(&(ol_an_slo_options_t){.target = 0.999, .step_ns = 10 * SEC}, &s);
    ol_an_verdict_t v;
    int rule;
    ol_alloc_fail_after(2);
    long n = 2000000;
    double t = ol_test_wall_ns();
    for (long i = 0; i < n; i++) ol_an_slo_update(s, i * 10 * SEC, (double)(1000 - (i & 3)), 1000, &v, &rule);
    t = ol_test_wall_ns() - t;
    void *p = ol_malloc(OL_MEM_ANALYZE, 8), *q = ol_malloc(OL_MEM_ANALYZE, 8);
    ol_alloc_fail_after(0);
    CHECK(p && !q); /* nothing was allocated by the updates */
    ol_free(OL_MEM_ANALYZE, p, 8);
    ol_free(OL_MEM_ANALYZE, q, 8);
    fprintf(stderr, "  update cost (4 rules, 8 windows, 5 tiers): %.1f ns\n", t / n);
    ol_an_slo_destroy(s);
}

/* ---- declarations ---- */

static int parse(const char *json, ol_an_slo_decl_t *d, ol_err_t *err)
{
    err->msg[0] = 0;
    return ol_an_slo_decl_parse(ol_slice_cstr(json), d, err);
}

static void test_slo_decl(void)
{
    ol_an_slo_decl_t d;
    ol_err_t err;
    CHECK_EQ_INT(parse("{\"name\":\"checkout-availability\",\"service\":\"checkout\",\"operation\":\"POST /checkout\","
                       "\"kind\":\"availability\",\"objective\":0.999,\"period_days\":28}",
                       &d, &err),
                 OL_OK);
    CHECK(!strcmp(d.name, "checkout-availability") && !strcmp(d.service, "checkout") &&
          !strcmp(d.operation, "POST /checkout"));
    CHECK(d.kind == OL_AN_SLO_AVAILABILITY && d.objective == 0.999 && d.period_days == 28 && d.threshold_ms == 0);

    CHECK_EQ_INT(parse("{\"name\":\"p99\",\"service\":\"check\\u006fut\",\"kind\":\"latency\",\"objective\":0.99,"
                       "\"threshold_ms\":500}",
                       &d, &err),
                 OL_OK);
    CHECK(!strcmp(d.service, "checkout") && d.operation[0] == 0 && d.kind == OL_AN_SLO_LATENCY);
    CHECK(d.threshold_ms == 500 && d.period_days == 30);

    ol_an_slo_options_t o;
    ol_an_slo_options_from_decl(&d, 10 * SEC, &o);
    CHECK(o.target == 0.99 && o.period_ns == 30 * DAY && o.step_ns == 10 * SEC);
    ol_an_slo_t *s;
    CHECK_EQ_INT(ol_an_slo_create(&o, &s), OL_OK);
    ol_an_slo_destroy(s);

    static const struct {
        const char *json, *msg;
    } bad[] = {
        {"[1]", "JSON object"},
        {"{\"name\":", "offset"},
        {"{\"service\":\"a\",\"kind\":\"availability\",\"objective\":0.9}", "name: required"},
        {"{\"name\":\"\",\"service\":\"a\",\"kind\":\"availability\",\"objective\":0.9}", "name: must not be empty"},
        {"{\"name\":7,\"service\":\"a\",\"kind\":\"availability\",\"objective\":0.9}", "name: must be a string"},
        {"{\"name\":\"x\",\"kind\":\"availability\",\"objective\":0.9}", "service: required"},
        {"{\"name\":\"x\",\"service\":\"a\",\"objective\":0.9}", "kind: required"},
        {"{\"name\":\"x\",\"service\":\"a\",\"kind\":\"lat\",\"objective\":0.9}", "kind: must be \"availability\" or"},
        {"{\"name\":\"x\",\"service\":\"a\",\"kind\":\"availability\"}", "objective: required"},
        {"{\"name\":\"x\",\"service\":\"a\",\"kind\":\"availability\",\"objective\":99.9}",
         "objective: must be a fraction"},
        {"{\"name\":\"x\",\"service\":\"a\",\"kind\":\"availability\",\"objective\":1}",
         "objective: must be a fraction"},
        {"{\"name\":\"x\",\"service\":\"a\",\"kind\":\"availability\",\"objective\":\"0.9\"}",
         "objective: must be a number"},
        {"{\"name\":\"x\",\"service\":\"a\",\"kind\":\"latency\",\"objective\":0.9}", "threshold_ms: required"},
        {"{\"name\":\"x\",\"service\":\"a\",\"kind\":\"latency\",\"objective\":0.9,\"threshold_ms\":0}",
         "threshold_ms: must be above 0"},
        {"{\"name\":\"x\",\"service\":\"a\",\"kind\":\"availability\",\"objective\":0.9,\"threshold_ms\":5}",
         "threshold_ms: only for kind latency"},
        {"{\"name\":\"x\",\"service\":\"a\",\"kind\":\"availability\",\"objective\":0.9,\"period_days\":1.5}",
         "period_days: must be a whole number"},
        {"{\"name\":\"x\",\"service\":\"a\",\"kind\":\"availability\",\"objective\":0.9,\"period_days\":0}",
         "period_days: must be a whole number"},
        {"{\"name\":\"x\",\"service\":\"a\",\"kind\":\"availability\",\"objectiv\":0.9}", "unknown field \"objectiv\""},
        {"{\"name\":\"x\",\"name\":\"y\",\"service\":\"a\",\"kind\":\"availability\",\"objective\":0.9}",
         "name: given twice"},
        {"{\"name\":\"a\\u0000b\",\"service\":\"a\",\"kind\":\"availability\",\"objective\":0.9}",
         "name: control characters"},
        {"{\"name\":\"x\",\"service\":\"a\",\"operation\":[],\"kind\":\"availability\",\"objective\":0.9}",
         "operation: must be a string"},
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(bad); i++) {
        int rc = parse(bad[i].json, &d, &err);
        if (rc != OL_CORRUPT || !strstr(err.msg, bad[i].msg)) {
            fprintf(stderr, "  %s -> %d \"%s\" (want \"%s\")\n", bad[i].json, rc, err.msg, bad[i].msg);
            CHECK(0);
        }
    }
    char big[512];
    snprintf(big, sizeof big, "{\"name\":\"%0200d\",\"service\":\"a\",\"kind\":\"availability\",\"objective\":0.9}", 0);
    CHECK_EQ_INT(parse(big, &d, &err), OL_CORRUPT);
    CHECK(strstr(err.msg, "name: longer than 127 bytes") != NULL);
}

int main(void)
{
    RUN(test_slo_arithmetic);
    RUN(test_slo_outage);
    RUN(test_slo_slow_burn);
    RUN(test_slo_windows);
    RUN(test_slo_coarse_exactness);
    RUN(test_slo_persist);
    RUN(test_slo_persist_ranges);
    RUN(test_slo_cost);
    RUN(test_slo_decl);
    return TEST_REPORT();
}
