/*
 * slo.h - service level objectives that users declare, watched with the
 * multi-window, multi-burn-rate alerts of the Google SRE workbook
 * ("Alerting on SLOs").
 *
 * An objective counts good and total events per step (availability: the
 * requests that did not fail; latency: the requests faster than a
 * threshold; the caller computes both per step). With target T the error
 * budget is the fraction 1 - T of events; the burn rate over a window is
 *   burn = (bad / total in the window) / (1 - T),
 * so burn 1 spends exactly the budget over the SLO period and burn 14.4
 * spends 2% of a 30-day budget in one hour. A window without events has
 * burn 0.
 *
 * A rule pairs a long and a short window with one factor: it fires when
 * both windows burn faster than the factor, and resolves when the short
 * window drops to the factor or below (the short window makes the reset
 * quick once the problem is over). A rule cannot fire before its short
 * window has been filled once (a fresh SLO's first few events are not a
 * burn rate). The defaults are the workbook's:
 *   page   1h and 5m > 14.4,   6h and 30m > 6,
 *   ticket 1d and 2h > 3,      3d and 6h  > 1.
 * Windows are given in time and turned into steps of step_ns (rounded,
 * at least one step).
 *
 * Memory and exactness: per-step (bad, total) pairs live in rings of at
 * most OL_AN_SLO_RING_CAP buckets. Windows of up to that many steps are
 * exact (a ring of single steps). A longer window uses a ring of buckets
 * of B steps (B = the smallest that fits, shared by windows where it
 * fits) and covers K whole buckets plus the bucket being filled: between
 * K*B and K*B + B - 1 steps, with K chosen so that this straddles the
 * window: its length is right to within one bucket, a relative error
 * below 1/OL_AN_SLO_RING_CAP + 1/steps (about 0.1%). At 10 s steps: 5m
 * to 2h exact, 6h to 30 s, 1d to 90 s, 3d to 4.3 min, the 30-day budget
 * to 42 min; 72 kB per objective (measured in the unit test). Every
 * window's sums are running sums, so an update is O(windows), whatever
 * their lengths, and allocates nothing.
 *
 * The error budget remaining is kept over the SLO period (default 30
 * days) the same way; before a whole period has been seen it is over
 * what has been seen.
 */
#ifndef OL_ANALYZE_SLO_H
#define OL_ANALYZE_SLO_H

#include "analyze/verdict.h"
#include "codec/json.h"

typedef struct ol_an_slo ol_an_slo_t;

#define OL_AN_SLO_MAX_RULES 8
#define OL_AN_SLO_RING_CAP 1024u

typedef enum { OL_AN_SLO_PAGE = 1, OL_AN_SLO_TICKET = 2 } ol_an_slo_severity_t;

typedef struct ol_an_slo_rule {
    int64_t long_ns, short_ns; /* short_ns <= long_ns */
    double factor;             /* burn rate both windows must exceed */
    uint8_t severity;          /* ol_an_slo_severity_t */
} ol_an_slo_rule_t;

typedef struct ol_an_slo_options {
    double target;     /* fraction of good events, in (0, 1), e.g. 0.999 */
    int64_t step_ns;   /* spacing of updates, > 0 */
    int64_t period_ns; /* the SLO period for the budget; 0 = 30 days */
    uint32_t n_rules;  /* 0 = the workbook's four rules above */
    ol_an_slo_rule_t rules[OL_AN_SLO_MAX_RULES];
} ol_an_slo_options_t;

/* OL_OK, OL_NOMEM, OL_ERR (target, step, a window or a factor out of
 * range; a window longer than 2^30 steps). */
int ol_an_slo_create(const ol_an_slo_options_t *opt, ol_an_slo_t **out);
void ol_an_slo_destroy(ol_an_slo_t *s);

/* One step at event time t_ns: good of total events. A total that is
 * NaN, negative or above 1e18 is a step without events; good is clamped
 * to [0, total].
 * Verdict (det OL_AN_DET_SLO): when a rule is open, the most severe one
 * (page before ticket, then the higher long-window burn rate):
 *   score     1 for a page, 0.5 for a ticket;
 *   value     the burn rate of its long window;
 *   expected  1 (the burn rate that spends exactly the budget);
 *   deviation the same burn rate;
 *   since_ns  t_ns of the first step of the current stretch in which the
 *             rule's short window burnt faster than its factor.
 * With no rule open: score 0, value/deviation = the burn rate of the
 * first rule's long window, since_ns 0. *rule (may be NULL) = index of
 * the reported rule in the options, -1 when none is open.
 * OL_OK. O(windows), no allocation. */
int ol_an_slo_update(ol_an_slo_t *s, int64_t t_ns, double good, double total, ol_an_verdict_t *out, int *rule);

/* The rule reported by the last update (-1 = none), and whether rule i is open. */
int ol_an_slo_firing(const ol_an_slo_t *s);
bool ol_an_slo_rule_open(const ol_an_slo_t *s, uint32_t i);
/* Burn rates of rule i's windows now (OL_ERR when i is out of range). */
int ol_an_slo_burn(const ol_an_slo_t *s, uint32_t i, double *long_burn, double *short_burn);
/* 1 - bad / ((1 - target) * total) over the period (1 with no events;
 * negative once the budget is overspent). */
double ol_an_slo_budget_remaining(const ol_an_slo_t *s);
/* The resolved options (defaults filled in). */
const ol_an_slo_options_t *ol_an_slo_options(const ol_an_slo_t *s);
/* Steps a window of window_ns really covers: *min_steps..*max_steps. */
int ol_an_slo_window_steps(const ol_an_slo_t *s, int64_t window_ns, uint64_t *min_steps, uint64_t *max_steps);

/* "SLOB" v1, CRC-32C trailer; load: OL_CORRUPT, OL_NOMEM. */
int ol_an_slo_save(const ol_an_slo_t *s, ol_buf_t *out);
int ol_an_slo_load(ol_slice_t blob, ol_an_slo_t **out);

/* ---- declarations ---- */

typedef enum { OL_AN_SLO_AVAILABILITY = 1, OL_AN_SLO_LATENCY = 2 } ol_an_slo_kind_t;

#define OL_AN_SLO_NAME_MAX 128

/* One declared objective, e.g.
 *   {"name":"checkout-availability","service":"checkout","operation":"POST /checkout",
 *    "kind":"availability","objective":0.999,"period_days":30}
 *   {"name":"checkout-p99","service":"checkout","kind":"latency","objective":0.99,
 *    "threshold_ms":500}
 * name, service, kind and objective are required; operation (default: the
 * whole service) and period_days (default 30, 1..365) are optional;
 * threshold_ms is required for latency and refused for availability.
 * Unknown fields are refused, so a misspelt one is not silently ignored. */
typedef struct ol_an_slo_decl {
    char name[OL_AN_SLO_NAME_MAX];
    char service[OL_AN_SLO_NAME_MAX];
    char operation[OL_AN_SLO_NAME_MAX]; /* "" = every operation */
    uint8_t kind;                       /* ol_an_slo_kind_t */
    double objective;                   /* (0, 1) */
    double threshold_ms;                /* latency only, > 0 */
    uint32_t period_days;
} ol_an_slo_decl_t;

/* Parses one declaration (a JSON object). OL_OK, or OL_CORRUPT with err
 * naming the field and the reason ("objective: must be a number between 0
 * and 1 exclusive, got 1.5"), OL_NOMEM. */
int ol_an_slo_decl_parse(ol_slice_t json, ol_an_slo_decl_t *out, ol_err_t *err);
/* The same for the object at token obj of an already parsed document
 * (e.g. one element of a configuration's "slos" array); a is used for
 * unescaping strings. */
int ol_an_slo_decl_from_json(const ol_json_doc_t *d, uint32_t obj, ol_arena_t *a, ol_an_slo_decl_t *out,
                             ol_err_t *err);
/* Options for a declaration at a step: its target and period, the
 * default rules. */
void ol_an_slo_options_from_decl(const ol_an_slo_decl_t *d, int64_t step_ns, ol_an_slo_options_t *out);

#endif
