/*
 * select.c - order statistics for quantile() without sorting.
 *
 * A RED query asks p50, p95 and p99 of a million durations: sorting them
 * costs n log n comparisons per group, selecting the few positions the
 * interpolation reads costs a few n. Selection is Floyd and Rivest's
 * algorithm (CACM 18(3), 1975, "Algorithm 489"): before partitioning a
 * large range it selects, recursively, within a small sample placed around
 * where the k-th value should fall, so the pivot lands next to it and the
 * range shrinks to a sliver in one pass (about n + min(k, n - k)
 * comparisons, against quickselect's 2n to 3.4n).
 *
 * Several levels of one list are taken in increasing position, each among
 * the values after the previous one (which are no smaller), so p95 and p99
 * after p50 search only the upper half, then the upper twentieth.
 */
#include <math.h>
#include <stdlib.h>

#include "sql/plan.h"

#define SAMPLE_ABOVE 600 /* ranges this long select within a sample first */

static inline void swap_d(double *v, size_t a, size_t b)
{
    double t = v[a];
    v[a] = v[b];
    v[b] = t;
}

static void select_range(double *v, size_t left, size_t right, size_t k, int depth)
{
    while (right > left) {
        if (right - left > SAMPLE_ABOVE && depth < 64) {
            double n = (double)(right - left + 1), i = (double)(k - left + 1);
            double z = log(n), s = 0.5 * exp(2.0 * z / 3.0);
            double sd = 0.5 * sqrt(z * s * (n - s) / n) * (i - n / 2 < 0 ? -1.0 : 1.0);
            double lo = (double)k - i * s / n + sd, hi = (double)k + (n - i) * s / n + sd;
            size_t nl = lo > (double)left ? (size_t)lo : left, nr = hi < (double)right ? (size_t)hi : right;
            if (nl > k) nl = k;
            if (nr < k) nr = k;
            select_range(v, nl, nr, k, depth + 1);
        }
        /* partition [left, right] around t = v[k] */
        double t = v[k];
        size_t i = left, j = right;
        swap_d(v, left, k);
        if (v[right] > t) swap_d(v, right, left);
        while (i < j) {
            swap_d(v, i, j);
            i++;
            j--;
            while (v[i] < t) i++;
            while (v[j] > t) j--;
        }
        if (v[left] == t) {
            swap_d(v, left, j);
        } else {
            j++;
            swap_d(v, j, right);
        }
        /* v[left..j) <= t = v[j] <= v(j..right] */
        if (j <= k) left = j + 1;
        if (k <= j) {
            if (j == 0) break;
            right = j - 1;
        }
    }
}

void ol_sql_select_nth(double *v, size_t n, size_t k)
{
    if (n > 1 && k < n) select_range(v, 0, n - 1, k, 0);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

void ol_sql_select_levels(double *v, size_t n, const double *levels, size_t m, size_t *ks)
{
    if (n < 2) return;
    size_t nk = 0;
    for (size_t i = 0; i < m; i++) {
        double idx = levels[i] * (double)(n - 1);
        if (!(idx > 0)) idx = 0;
        if (idx > (double)(n - 1)) idx = (double)(n - 1);
        size_t left = (size_t)idx;
        ks[nk++] = left;
        if (left + 1 < n) ks[nk++] = left + 1;
    }
    qsort(ks, nk, sizeof *ks, cmp_size);
    size_t lo = 0;
    for (size_t i = 0; i < nk; i++) {
        size_t k = ks[i];
        if (k < lo) continue; /* a repeat */
        if (k == lo) { /* the smallest of the rest */
            size_t at = lo;
            for (size_t j = lo + 1; j < n; j++)
                if (v[j] < v[at]) at = j;
            swap_d(v, lo, at);
        } else {
            ol_sql_select_nth(v + lo, n - lo, k - lo);
        }
        lo = k + 1;
    }
}
