/*
 * nab_report.c - one detector's NAB evaluation for all three profiles, and
 * the tables the tools print from it (nab_score, nab_run).
 *
 * The threshold of each profile is either given (NAB's published
 * thresholds) or found by the sweep; the corpus is then scored at it, file
 * by file, so the totals and the per-file and per-category breakdowns are
 * the same numbers. Normalisation uses the null detector swept over the
 * same files, so a subset (--only) is normalised against its own windows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nab/nab_score.h"

void ol_nab_fmt(double v, char buf[32])
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, 32, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) return;
    }
}

int ol_nab_evaluate(ol_nab_corpus_t *c, const double *const *a, const double *thr, ol_nab_eval_t *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->swept = thr == NULL;
    for (int k = 0; k < OL_NAB_NPROFILES; k++) {
        const ol_nab_profile_t *p = &c->prof[k];
        int rc;
        if (thr) {
            ev->theta[k] = thr[k];
        } else if ((rc = ol_nab_sweep(c->files, c->nfiles, a, p, &ev->theta[k], NULL)) != OL_OK) {
            return rc;
        }
        ev->per_file[k] = ol_arena_alloc(c->arena, (size_t)c->nfiles * sizeof *ev->per_file[k]);
        if (!ev->per_file[k]) return OL_NOMEM;
        rc = ol_nab_score_corpus(c->files, c->nfiles, a, p, ev->theta[k], &ev->total[k], ev->per_file[k]);
        if (rc == OL_OK) rc = ol_nab_bounds(c->files, c->nfiles, p, &ev->s_null[k], &ev->s_perfect[k]);
        if (rc != OL_OK) return rc;
        ev->raw[k] = ev->total[k].score;
        ev->norm[k] = ol_nab_normalise(ev->raw[k], ev->s_null[k], ev->s_perfect[k]);
    }
    return OL_OK;
}

void ol_nab_print(FILE *out, const ol_nab_corpus_t *c, const ol_nab_eval_t *ev, bool categories, bool per_file)
{
    fprintf(out, "%-20s %8s %10s  %-20s %6s %6s %8s\n", "profile", "score", "raw", "threshold", "hit", "missed",
            "FP rows");
    for (int k = 0; k < OL_NAB_NPROFILES; k++) {
        char th[32];
        ol_nab_fmt(ev->theta[k], th);
        fprintf(out, "%-20s %8.2f %10.4f  %-20s %6u %6u %8llu\n", c->prof[k].name, ev->norm[k], ev->raw[k], th,
                ev->total[k].win_hit, ev->total[k].win_miss, (unsigned long long)ev->total[k].fp_rows);
    }
    fprintf(out, "(threshold %s; normalised with null = %.4f / %.4f / %.4f, perfect = %.4f)\n",
            ev->swept ? "found by the exhaustive sweep" : "given", ev->s_null[0], ev->s_null[1], ev->s_null[2],
            ev->s_perfect[0]);
    if (categories) {
        for (int k = 0; k < OL_NAB_NPROFILES; k++) {
            fprintf(out, "\n%s at %.6g:\n  %-22s %5s %7s %5s %6s %8s %10s\n", c->prof[k].name, ev->theta[k],
                    "category", "files", "windows", "hit", "missed", "FP rows", "raw");
            for (uint32_t f = 0; f < c->nfiles; f++) {
                bool first = true;
                for (uint32_t g = 0; g < f; g++)
                    if (strcmp(c->files[g].category, c->files[f].category) == 0) first = false;
                if (!first) continue;
                ol_nab_counts_t t = {0};
                uint32_t nfiles = 0, nwin = 0;
                for (uint32_t g = f; g < c->nfiles; g++) {
                    if (strcmp(c->files[g].category, c->files[f].category) != 0) continue;
                    const ol_nab_counts_t *x = &ev->per_file[k][g];
                    nfiles++;
                    nwin += c->files[g].nwin;
                    t.score += x->score;
                    t.win_hit += x->win_hit;
                    t.win_miss += x->win_miss;
                    t.fp_rows += x->fp_rows;
                }
                fprintf(out, "  %-22s %5u %7u %5u %6u %8llu %10.4f\n", c->files[f].category, nfiles, nwin, t.win_hit,
                        t.win_miss, (unsigned long long)t.fp_rows, t.score);
            }
        }
    }
    if (per_file) {
        fprintf(out, "\n%-58s", "file (raw score, windows hit/total, FP rows)");
        for (int k = 0; k < OL_NAB_NPROFILES; k++) fprintf(out, " %22s", c->prof[k].name);
        fprintf(out, "\n");
        for (uint32_t f = 0; f < c->nfiles; f++) {
            fprintf(out, "%-58s", c->files[f].name);
            for (int k = 0; k < OL_NAB_NPROFILES; k++) {
                const ol_nab_counts_t *x = &ev->per_file[k][f];
                char cell[64];
                snprintf(cell, sizeof cell, "%.4f %u/%u %llu", x->score, x->win_hit, c->files[f].nwin,
                         (unsigned long long)x->fp_rows);
                fprintf(out, " %22s", cell);
            }
            fprintf(out, "\n");
        }
    }
}
