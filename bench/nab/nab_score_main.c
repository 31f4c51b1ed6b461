/*
 * nab_score_main.c - `nab_score`: scores a detector's stored NAB results.
 *
 *   nab_score --nab DIR [--results DIR] --detector NAME [--thresholds | --sweep]
 *             [--only SUBSTR] [--categories] [--per-file]
 *
 * Reads <results>/<detector>/<category>/<detector>_<file>.csv (NAB's
 * layout; columns timestamp, anomaly_score and any others) for every file
 * of labels/combined_windows.json and prints the three profile scores:
 * normalised (2 decimals), raw and the threshold. --thresholds uses the
 * detector's thresholds from config/thresholds.json (NAB's published
 * ones), --sweep (the default) finds them with the exhaustive sweep.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nab/nab_score.h"

static void usage(void)
{
    fprintf(stderr,
            "usage: nab_score --nab DIR [--results DIR] --detector NAME [--thresholds | --sweep]\n"
            "                 [--only SUBSTR] [--categories] [--per-file]\n"
            "  --results    default DIR/results\n"
            "  --thresholds NAB's published thresholds (config/thresholds.json)\n"
            "  --sweep      thresholds from the exhaustive sweep (default)\n"
            "  --only       score only files whose name contains SUBSTR (a subset score)\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *nab = NULL, *results = NULL, *det = NULL, *only = NULL;
    bool given = false, cats = false, per_file = false;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "--nab") && i + 1 < argc) nab = argv[++i];
        else if (!strcmp(o, "--results") && i + 1 < argc) results = argv[++i];
        else if (!strcmp(o, "--detector") && i + 1 < argc) det = argv[++i];
        else if (!strcmp(o, "--only") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(o, "--thresholds")) given = true;
        else if (!strcmp(o, "--sweep")) given = false;
        else if (!strcmp(o, "--categories")) cats = true;
        else if (!strcmp(o, "--per-file")) per_file = true;
        else usage();
    }
    if (!nab || !det) usage();
    char rdir[4096];
    if (!results) {
        snprintf(rdir, sizeof rdir, "%s/results", nab);
        results = rdir;
    }
    ol_err_t err = {{0}};
    ol_nab_corpus_t *c;
    int rc = ol_nab_corpus_load(nab, only, &c, &err);
    if (rc != OL_OK) {
        fprintf(stderr, "nab_score: %s\n", err.msg);
        return 1;
    }
    double **a = ol_arena_calloc(c->arena, (size_t)c->nfiles * sizeof *a);
    double thr[OL_NAB_NPROFILES];
    if (!a) rc = OL_NOMEM;
    if (rc == OL_OK) rc = ol_nab_results_load(c, results, det, a, &err);
    if (rc == OL_OK && given) rc = ol_nab_thresholds_load(c, nab, det, thr, NULL, &err);
    ol_nab_eval_t ev;
    if (rc == OL_OK) {
        rc = ol_nab_evaluate(c, (const double *const *)a, given ? thr : NULL, &ev);
        if (rc != OL_OK) snprintf(err.msg, sizeof err.msg, "%s", ol_rc_str(rc));
    }
    if (rc != OL_OK) {
        fprintf(stderr, "nab_score: %s\n", err.msg);
        ol_nab_corpus_destroy(c);
        return 1;
    }
    printf("detector %s: %u files, %u windows, %llu rows%s\n", det, c->nfiles, c->nwindows,
           (unsigned long long)c->nrows, only ? " (a SUBSET: normalised against these files only)" : "");
    ol_nab_print(stdout, c, &ev, cats, per_file);
    ol_nab_corpus_destroy(c);
    return 0;
}
