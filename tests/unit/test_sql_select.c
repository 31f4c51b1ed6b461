/*
 * test_sql_select.c - order statistics for quantile() (sql/select.c).
 *
 * Every position selected holds the value sorting would put there, and
 * nothing before a selected position is larger, nothing after smaller:
 * lists of many sizes (around the sampling threshold too), with many equal
 * values, all equal, sorted, reversed, negative and infinite values, and
 * several levels at once in any order, repeated or at the ends.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sql/plan.h"
#include "test.h"

static uint64_t g_rng = 0x2545F4914F6CDD1Dull;
static uint64_t rnd(void) { return ol_test_rng(&g_rng); }

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

enum { SHAPE_RANDOM, SHAPE_FEW, SHAPE_SAME, SHAPE_SORTED, SHAPE_REVERSED, SHAPE_WILD, SHAPES };

static void fill(double *v, size_t n, int shape)
{
    for (size_t i = 0; i < n; i++) {
        switch (shape) {
        case SHAPE_RANDOM: v[i] = (double)(rnd() % 1000000007u); break;
        case SHAPE_FEW: v[i] = (double)(rnd() % 7); break;
        case SHAPE_SAME: v[i] = 42; break;
        case SHAPE_SORTED: v[i] = (double)i; break;
        case SHAPE_REVERSED: v[i] = (double)(n - i); break;
        default: {
            uint64_t r = rnd() % 10;
            v[i] = r == 0 ? -INFINITY : r == 1 ? INFINITY : r == 2 ? -0.0 : ((double)(rnd() % 2001) - 1000) / 8;
        }
        }
    }
}

/* Checks that v (selected at the positions of ks) agrees with sorted. */
static bool positions_ok(const double *v, const double *sorted, size_t n, size_t k)
{
    if (!(v[k] == sorted[k])) return false;
    for (size_t i = 0; i < k; i++)
        if (v[i] > v[k]) return false;
    for (size_t i = k + 1; i < n; i++)
        if (v[i] < v[k]) return false;
    return true;
}

static void test_nth(void)
{
    static const size_t sizes[] = {1, 2, 3, 5, 17, 600, 601, 602, 1000, 4099, 65536};
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        size_t n = sizes[si];
        double *v = malloc(n * sizeof *v), *orig = malloc(n * sizeof *v), *sorted = malloc(n * sizeof *v);
        CHECK(v && orig && sorted);
        for (int shape = 0; shape < SHAPES; shape++) {
            fill(orig, n, shape);
            memcpy(sorted, orig, n * sizeof *v);
            qsort(sorted, n, sizeof *sorted, cmp_double);
            size_t ks[] = {0, n / 2, n - 1, (size_t)(rnd() % n), n * 95 / 100, n * 99 / 100};
            for (size_t j = 0; j < sizeof ks / sizeof *ks; j++) {
                memcpy(v, orig, n * sizeof *v);
                ol_sql_select_nth(v, n, ks[j]);
                CHECK(positions_ok(v, sorted, n, ks[j]));
            }
        }
        free(v);
        free(orig);
        free(sorted);
    }
}

static void test_levels(void)
{
    static const size_t sizes[] = {2, 3, 10, 599, 700, 5000, 100000};
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        size_t n = sizes[si];
        double *v = malloc(n * sizeof *v), *sorted = malloc(n * sizeof *v);
        CHECK(v && sorted);
        for (int shape = 0; shape < SHAPES; shape++) {
            fill(v, n, shape);
            memcpy(sorted, v, n * sizeof *v);
            qsort(sorted, n, sizeof *sorted, cmp_double);
            double levels[] = {0.99, 0.5, 0.95, 0.5, 0, 1, 0.999999, (double)(rnd() % 1000) / 1000};
            size_t m = sizeof levels / sizeof *levels, ks[2 * sizeof levels / sizeof *levels];
            ol_sql_select_levels(v, n, levels, m, ks);
            for (size_t j = 0; j < m; j++) {
                size_t left = (size_t)(levels[j] * (double)(n - 1));
                CHECK(v[left] == sorted[left]);
                if (left + 1 < n) CHECK(v[left + 1] == sorted[left + 1]);
            }
            /* and the multiset is unchanged */
            qsort(v, n, sizeof *v, cmp_double);
            CHECK(memcmp(v, sorted, n * sizeof *v) == 0 || shape == SHAPE_WILD);
        }
        free(v);
        free(sorted);
    }
}

int main(void)
{
    RUN(test_nth);
    RUN(test_levels);
    return TEST_REPORT();
}
