/*
 * season.h - a signal's daily and weekly profile, learned online: what
 * the value usually is at this time of day (and of the week), robust to
 * the odd bad day, in bounded memory.
 *
 * Why: a request rate or a latency follows the clock. Against a local
 * window alone a daily cycle looks like a slope, inflates the scale and
 * hides a step that the same hour yesterday would make obvious. uni.c
 * subtracts this profile and runs its tests on what is left.
 *
 * How: the day is cut into `slots` wall-clock slots (t_ns modulo a day,
 * UTC): 288 of five minutes when the step is five minutes or less, one
 * per step for steps up to an hour (48 at 30 min, 24 at 1 h), none for
 * longer steps. A slot's points of one day reduce to their median (up to
 * 32 buffered, every stride-th when more arrive), and each slot keeps
 * its last 7 such day values. The expected value at t is the median of
 * its slot's day values once the slot has 3 of them, linearly
 * interpolated towards the neighbouring slot when a slot holds several
 * points (so a 10 s signal does not see a staircase). A bad day is one of
 * seven and moves the median by one rank.
 *
 * Weekly: each finished day leaves, per hour, the median of its slots'
 * residuals against the daily profile as it stood before them; the last 3
 * such values are kept per (weekday, hour), 168 cells. Once a cell has 2
 * (two weeks seen) its median is added to the daily expectation: a
 * weekend that runs lower stops looking anomalous after two weekends.
 *
 * Memory: about 12 KiB whatever the step (7 floats per slot, 3 per
 * weekly cell, one day of slot residuals, a 32-value buffer), inline in
 * the struct, no allocation. Cost per point: a few medians of at most 7
 * values.
 *
 * The step comes from the signal's options; when it is 0 it is learned
 * as the median of the first 15 positive time differences (the profile
 * starts after that).
 */
#ifndef OL_ANALYZE_SEASON_H
#define OL_ANALYZE_SEASON_H

#include "analyze/verdict.h"

#define OL_AN_SEASON_SLOTS 288
#define OL_AN_SEASON_DAYS 7
#define OL_AN_SEASON_WEEKS 3
#define OL_AN_SEASON_BUF 32
#define OL_AN_SEASON_LEARN 15

typedef struct ol_an_season {
    int64_t step_ns; /* declared or learned; 0 = not known yet */
    uint32_t slots;  /* per day; 0 = no profile (step unknown or above an hour) */
    uint32_t stride; /* every stride-th point of a slot is buffered */
    int64_t key;     /* open slot: day * slots + slot; -1 = none */
    uint32_t seen;   /* points in the open slot */
    uint32_t nbuf;
    double buf[OL_AN_SEASON_BUF];
    int64_t res_day; /* day whose slot residuals res[] holds; -1 = none */
    float res[OL_AN_SEASON_SLOTS];
    float val[OL_AN_SEASON_SLOTS][OL_AN_SEASON_DAYS];
    uint8_t cnt[OL_AN_SEASON_SLOTS], head[OL_AN_SEASON_SLOTS];
    float wk[7 * 24][OL_AN_SEASON_WEEKS];
    uint8_t wcnt[7 * 24], whead[7 * 24];
    uint8_t have_last; /* for learning the step: last_t is set */
    int64_t last_t;
    uint32_t ndelta;
    int64_t delta[OL_AN_SEASON_LEARN];
} ol_an_season_t;

/* step_ns 0 = learn it. */
void ol_an_season_init(ol_an_season_t *s, int64_t step_ns);

/* One point (t_ns not going back; the caller checks). Returns the
 * profile's expected value at t_ns from everything before this point, NaN
 * while the slot has fewer than 3 days; then learns x (NaN: nothing
 * learned). */
double ol_an_season_update(ol_an_season_t *s, int64_t t_ns, double x);

/* Day values in the fullest slot (0..7). */
uint32_t ol_an_season_days(const ol_an_season_t *s);

/* Inside the owner's blob, no header of its own (docs/format/analysis-state.md). */
void ol_an_season_save(const ol_an_season_t *s, ol_buf_t *b);
/* r->rc says (OL_CORRUPT on any inconsistency). */
void ol_an_season_load(ol_an_season_t *s, ol_an_rd_t *r);

#endif
