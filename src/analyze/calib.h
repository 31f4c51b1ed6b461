/*
 * calib.h - turns a detector's raw statistic into "how rare is this for
 * this signal": the upper-tail probability of a value against the
 * statistic's own last `cap` values.
 *
 * Why: one configuration has to fit thousands of signals with different
 * noise. A fixed threshold on a z-score fires constantly on a spiky series
 * and never on a calm one; a tail probability means the same on both.
 *
 * How: the window is kept twice, in arrival order (a ring, to know what
 * leaves) and sorted (to rank by binary search), as 16-bit codes of
 * log(1 + v) (relative resolution 5e-4; negative values count as 0, the
 * statistics ranked are distances): 4 bytes per value, O(log n) to rank,
 * O(n) memmove to insert (n <= a few thousand, a few hundred ns).
 * The tail is exact where it matters, at the top: (#{h >= v} + 1)/(n + 1),
 * and beyond the largest value in the window it keeps shrinking with the
 * distance, so "twice the biggest" ranks above "just the biggest". A
 * forgetting histogram was tried instead (fixed 1.3 KiB): it blurred the
 * top of the distribution and lost 11 NAB points.
 */
#ifndef OL_ANALYZE_CALIB_H
#define OL_ANALYZE_CALIB_H

#include "analyze/verdict.h"

#define OL_AN_CALIB_MAX 16384

typedef struct ol_an_calib {
    uint16_t *sorted; /* ascending, quantised (calib.c) */
    uint16_t *ring;   /* arrival order */
    uint32_t cap, n, head;
} ol_an_calib_t;

/* OL_OK, OL_NOMEM; cap in [8, OL_AN_CALIB_MAX]. */
int ol_an_calib_init(ol_an_calib_t *c, uint32_t cap);
void ol_an_calib_free(ol_an_calib_t *c);
/* Upper-tail probability of v in (0,1]; 1 with no history. */
double ol_an_calib_tail(const ol_an_calib_t *c, double v);
void ol_an_calib_add(ol_an_calib_t *c, double v);
/* Forgets every value (the capacity stays). */
void ol_an_calib_reset(ol_an_calib_t *c);

void ol_an_calib_save(const ol_an_calib_t *c, ol_buf_t *b);
/* Into a calibrator initialised with the same cap; r->rc says. */
void ol_an_calib_load(ol_an_calib_t *c, ol_an_rd_t *r);

#endif
